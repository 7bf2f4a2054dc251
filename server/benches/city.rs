//! City benchmarks (not tests): whole pages, as the router serves them,
//! over a city grown by the store's scale bench (`LIANXIN_BENCH_DATABASE`,
//! see `store/benches/scale.rs`): server time of each page a director, a
//! handler, the supervision office and a resident open, the ledger's CSV of
//! the whole city streamed, and the process's memory while it serves them.
//!
//! Run with `LIANXIN_BENCH_DATABASE=<url> cargo bench -p server --bench city`;
//! figures go to `docs/benchmarks.md`. `LIANXIN_BENCH_ONLY=<name>` times
//! only the pages whose name holds it.

use app::state::{AppState, Limits};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use std::time::Instant;
use tower::ServiceExt;

const RUNS: usize = 20;

mod common;
use common::percentile;

/// The process's memory from /proc: resident now and at its peak, in MB.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| format!("{:.0} MB", kb / 1024.0))
            .unwrap_or_default()
    };
    format!("RSS {}, peak {}", field("VmRSS:"), field("VmHWM:"))
}

#[tokio::main]
async fn main() {
    let Ok(url) = std::env::var("LIANXIN_BENCH_DATABASE") else {
        eprintln!(
            "set LIANXIN_BENCH_DATABASE to a city grown by `cargo bench -p store --bench scale`"
        );
        return;
    };
    let pool = store::connect(&url)
        .await
        .expect("the benchmark's database");
    store::migrate(&pool).await.expect("migrations");
    let cases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!("database: {:?}, {cases} cases", store::Backend::of(&pool));
    println!("memory at start: {}", memory());

    let options = LeptosOptions::builder().output_name("lianxin").build();
    let state = AppState::new(options, pool.clone(), Limits::default());
    let app = server::http::router(state, common::photos())
        .await
        .expect("router");
    let director = common::sign_in(&app, "director").await;
    let leader = common::sign_in(&app, "leader").await;
    // The demo's handler works for a city-wide bureau: the largest unit
    // scope, whose to-do the header counts on each of their pages.
    let handler = common::sign_in(&app, "handler").await;

    // `LIANXIN_BENCH_ONLY=<part of a page's name>` times only the pages so
    // named, without the export: one page to profile (`perf record`).
    let only = std::env::var("LIANXIN_BENCH_ONLY").ok();
    // Each page `RUNS` times, whole: from the request to the last byte.
    let get = async |path: &str, cookie: Option<&str>| {
        let mut req = Request::get(path);
        if let Some(cookie) = cookie {
            req = req.header(header::COOKIE, cookie);
        }
        let res = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(status, StatusCode::OK, "{path}");
        body.len()
    };
    for (name, path, cookie) in [
        ("director's board", "/board", Some(&director)),
        (
            "a city-wide bureau's board (handler)",
            "/board",
            Some(&handler),
        ),
        (
            "city overdue board (leader)",
            "/board?overdue=1",
            Some(&leader),
        ),
        ("ledger, first page (leader)", "/ledger", Some(&leader)),
        (
            "/figures, twelve months (leader)",
            "/figures",
            Some(&leader),
        ),
        ("/ranking (leader)", "/ranking", Some(&leader)),
        ("grid view of the city (leader)", "/grid", Some(&leader)),
        ("public /stats (city)", "/stats", None),
        ("/api/v1/stats (city)", "/api/v1/stats", None),
    ] {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let mut samples = Vec::new();
        let mut bytes = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            bytes = get(path, cookie.map(String::as_str)).await;
            samples.push(t.elapsed());
        }
        let first = samples[0];
        samples.sort();
        println!(
            "{name}: first {:.1} ms, p50 {:.1} ms, p95 {:.1} ms, {} KB",
            first.as_secs_f64() * 1000.0,
            percentile(&samples, 0.5).as_secs_f64() * 1000.0,
            percentile(&samples, 0.95).as_secs_f64() * 1000.0,
            bytes / 1024
        );
    }
    println!("memory after the pages: {}", memory());
    if only.is_some() {
        return;
    }

    // The whole city's ledger as CSV, read as it streams.
    let req = Request::get("/ledger.csv")
        .header(header::COOKIE, &leader)
        .body(Body::empty())
        .unwrap();
    let t = Instant::now();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.into_body();
    let (mut bytes, mut lines) = (0usize, 0usize);
    while let Some(frame) = body.frame().await {
        if let Some(data) = frame.unwrap().data_ref() {
            bytes += data.len();
            lines += data.iter().filter(|b| **b == b'\n').count();
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "ledger.csv of the city: {lines} lines, {} MB in {secs:.1} s = {:.0} lines a second",
        bytes / 1_048_576,
        lines as f64 / secs
    );
    println!("memory after the export: {}", memory());
}
