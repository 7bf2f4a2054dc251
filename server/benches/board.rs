//! Board benchmarks (not tests): server render time of a 500-card board, and
//! the time from a change to its arrival on 100 connected boards.
//!
//! Run with `cargo bench -p server --bench board`; figures go to
//! `docs/benchmarks.md`.

use app::state::{AppState, Limits};
use axum::body::Body;
use axum::http::{Request, header};
use chrono::Utc;
use domain::{Action, NewCase, Source, TrackingCode};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const CARDS: usize = 500;
const RENDERS: usize = 40;
const SUBSCRIBERS: usize = 100;
const CHANGES: usize = 10;

mod common;
use common::percentile;

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name}: n={} p50={:.1} ms p95={:.1} ms max={:.1} ms",
        samples.len(),
        percentile(&samples, 0.5).as_secs_f64() * 1000.0,
        percentile(&samples, 0.95).as_secs_f64() * 1000.0,
        samples
            .last()
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0),
    );
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("lianxin-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}/bench.db", dir.display());
    let pool = store::connect(&url).await.expect("database");
    store::migrate(&pool).await.expect("migrations");
    store::demo::load(&pool, false, Utc::now())
        .await
        .expect("demo");
    let director = store::users::find_by_username(&pool, "director")
        .await
        .unwrap()
        .unwrap();

    // Fill the director's community up to CARDS open cases.
    let tree = store::reference::region_tree(&pool).await.unwrap();
    let compound = tree
        .within(director.region_path.as_deref().unwrap())
        .find(|n| n.level == "compound")
        .unwrap()
        .id;
    let category: i64 = sqlx::query_scalar("SELECT id FROM categories ORDER BY id LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let open = store::cases::list(&pool, &director, &Default::default(), Utc::now())
        .await
        .unwrap();
    let mut codes = Vec::new();
    for i in open.iter().filter(|c| c.status.is_open()).count()..CARDS {
        let new = NewCase {
            title: format!("压测案件 {i}"),
            description: "基准测试用".into(),
            category_id: category,
            region_id: compound,
            station_id: None,
            source: Source::WalkIn,
            resident_name: "测试".into(),
            resident_phone: "13800000000".into(),
            resident_email: String::new(),
            notify: false,
        };
        let receipt = store::cases::create(&pool, &new, Some(&director), Utc::now())
            .await
            .unwrap();
        codes.push(TrackingCode::parse(&receipt.code).unwrap());
    }

    let options = LeptosOptions::builder().output_name("lianxin").build();
    let state = AppState::new(options, pool.clone(), Limits::default());
    let app = server::http::router(state, common::photos())
        .await
        .expect("router");
    let cookie = common::sign_in(&app, "director").await;

    // 1. Server render of the board page.
    let mut renders = Vec::new();
    let mut cards = 0;
    for _ in 0..RENDERS {
        let req = Request::get("/board")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap();
        let t = Instant::now();
        let res = app.clone().oneshot(req).await.unwrap();
        let html = res.into_body().collect().await.unwrap().to_bytes();
        renders.push(t.elapsed());
        cards = String::from_utf8_lossy(&html)
            .matches("class=\"card-item")
            .count();
    }
    println!("board page: {cards} cards rendered");
    report("render /board (server)", renders);

    // 2. Fan-out: SUBSCRIBERS boards connected; time from a change to its arrival on each.
    let since = store::events::last_event_id(&pool).await.unwrap();
    let mut streams = Vec::new();
    for _ in 0..SUBSCRIBERS {
        let req = Request::get(format!("/api/board/events?since={since}"))
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        streams.push(res.into_body());
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
    for mut body in streams {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut seen = 0;
            while let Some(Ok(frame)) = body.frame().await {
                if let Some(data) = frame.data_ref() {
                    seen += String::from_utf8_lossy(data).matches("event: case").count();
                    if seen > 0 && tx.send((seen, Instant::now())).is_err() {
                        return;
                    }
                }
            }
        });
    }
    drop(tx);
    let mut arrivals = Vec::new();
    for (i, code) in codes.iter().take(CHANGES).enumerate() {
        // Let the follower go idle, then change one case and wait for every board.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let t = Instant::now();
        store::cases::act(
            &pool,
            &director,
            code,
            &Action::StartConsolidation,
            Utc::now(),
        )
        .await
        .unwrap();
        let mut got = 0;
        while got < SUBSCRIBERS {
            match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
                Ok(Some((seen, at))) if seen == i + 1 => {
                    arrivals.push(at - t);
                    got += 1;
                }
                Ok(Some(_)) => {}
                _ => panic!("change {i} reached only {got} of {SUBSCRIBERS} boards"),
            }
        }
    }
    report(&format!("change → {SUBSCRIBERS} boards"), arrivals);
    let _ = std::fs::remove_dir_all(&dir);
}
