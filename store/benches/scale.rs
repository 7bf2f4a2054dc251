//! Scale benchmarks (not tests): the demo city grown to 100,000 cases, then
//! intake throughput on top of them and the board, ledger and public-figure
//! queries people run all day.
//!
//! Run with `cargo bench -p store --bench scale` (SQLite, a fresh file in
//! the temp directory), or with `LIANXIN_TEST_DATABASE=postgres://…` for a
//! fresh database on that server; figures go to `docs/benchmarks.md`.

use chrono::{Datelike, Duration as Days, Utc};
use domain::view::CaseFilter;
use domain::{NewCase, Source};
use std::time::{Duration, Instant};

const CASES: i64 = 100_000;
/// One copy in this many keeps its original (often open) state; the rest
/// are closed months ago, as in a city that has run the loop for two years.
const OPEN_EVERY: i64 = 50;
const INTAKE: usize = 1_000;
const RUNS: usize = 20;
/// The city's public figures read every case: a few runs tell enough.
const STATS_RUNS: usize = 3;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

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

/// Times `runs` calls of `f`.
async fn time<F, Fut, T>(name: &str, runs: usize, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut samples = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f().await);
        samples.push(t.elapsed());
    }
    report(name, samples);
    last.expect("at least one run")
}

#[tokio::main]
async fn main() {
    let db = store::testing::TestDb::new().await;
    let pool = db.pool.clone();
    println!("database: {:?}", store::Backend::of(&pool));
    let now = Utc::now();
    store::demo::load(&pool, false, now).await.expect("demo");
    let user = |name: &'static str| {
        let pool = pool.clone();
        async move {
            store::users::find_by_username(&pool, name)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let (director, leader) = (user("director").await, user("leader").await);

    // Grow the city by copying the demo's cases, batch by batch, each copy
    // with its own code and (mostly) an old closing date.
    let t = Instant::now();
    let demo: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(&pool)
        .await
        .unwrap();
    let (mut n, mut total) = (0, demo);
    while total < CASES {
        n += 1;
        let old = now - Days::days(40 + (n * 7) % 680);
        let copied = sqlx::query(
            "INSERT INTO cases (code, pin, title, description, category_id, region_id, station_id, \
             source, resident_name, resident_phone, status, route, tier, unit_id, deadline_class, \
             clock_start, acknowledged_at, progress_at, completed_at, result, rating, rework_count, \
             closed_at, created_by, created_at, updated_at, version) \
             SELECT 'S' || $1 || 'X' || c.id, c.pin, c.title, c.description, c.category_id, \
             c.region_id, c.station_id, c.source, c.resident_name, c.resident_phone, \
             CASE WHEN $2 THEN c.status ELSE 'closed' END, c.route, c.tier, c.unit_id, \
             c.deadline_class, c.clock_start, c.acknowledged_at, c.progress_at, c.completed_at, \
             c.result, c.rating, c.rework_count, \
             CASE WHEN $2 THEN c.closed_at ELSE $3 END, c.created_by, \
             CASE WHEN $2 THEN c.created_at ELSE $3 END, $3, 0 \
             FROM cases c WHERE c.code NOT LIKE 'S%' AND c.status <> 'merged'",
        )
        .bind(n)
        .bind(n % OPEN_EVERY == 0)
        .bind(store::db::Stamp(old))
        .execute(&pool)
        .await
        .unwrap();
        total += i64::try_from(copied.rows_affected()).unwrap_or(0);
    }
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE status <> 'closed'")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!(
        "filled: {total} cases ({open} not closed) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Fresh statistics, as autovacuum (or SQLite's optimize) would gather
    // them shortly after such a load; without them PostgreSQL plans the
    // ledger's keyed page as if the tables were empty.
    let analyze = match store::Backend::of(&pool) {
        store::Backend::Sqlite => "PRAGMA optimize",
        store::Backend::Postgres => "ANALYZE",
    };
    sqlx::query(analyze).execute(&pool).await.unwrap();

    // 1. Intake: registrations at the desk on top of the full city.
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
    let mut samples = Vec::new();
    let started = Instant::now();
    for i in 0..INTAKE {
        let new = NewCase {
            title: format!("楼道灯不亮 {i}"),
            description: format!("{i} 号楼二单元楼道灯坏了一周，晚上看不见台阶"),
            category_id: category,
            region_id: compound,
            station_id: None,
            source: Source::WalkIn,
            resident_name: "王秀英".into(),
            resident_phone: "13800001111".into(),
        };
        let t = Instant::now();
        store::cases::create(&pool, &new, Some(&director), Utc::now())
            .await
            .unwrap();
        samples.push(t.elapsed());
    }
    println!(
        "intake: {INTAKE} registrations in {:.1} s = {:.0} per second",
        started.elapsed().as_secs_f64(),
        INTAKE as f64 / started.elapsed().as_secs_f64()
    );
    report("intake (one registration)", samples);

    // 2. Boards: the director's (open and closed this month), the
    // supervision office's overdue board across the city.
    let china = domain::deadline::china();
    let today = now.with_timezone(&china).date_naive();
    let month_start = store::stats::day_start(today.with_day(1).unwrap_or(today));
    let board = CaseFilter {
        closed_since: Some(month_start),
        ..Default::default()
    };
    let cards = time("director board (store::cases::list)", RUNS, || {
        store::cases::list(&pool, &director, &board, Utc::now())
    })
    .await
    .unwrap()
    .len();
    println!("director board: {cards} cards");
    let overdue = CaseFilter {
        overdue: true,
        closed_since: Some(month_start),
        ..Default::default()
    };
    let late = time("city overdue board (leader)", RUNS, || {
        store::cases::list(&pool, &leader, &overdue, Utc::now())
    })
    .await
    .unwrap()
    .len();
    println!("city overdue board: {late} cards");

    // 3. The ledger's first page and its count, city-wide.
    let ctx = store::ledger::Context::load(&pool, Utc::now())
        .await
        .unwrap();
    let filter = domain::ledger::Filter::default();
    time("ledger first page of 100 (city)", RUNS, || {
        store::ledger::page(&pool, &leader, &filter, &ctx, None, 100)
    })
    .await
    .unwrap();
    let counted = time("ledger count (city)", RUNS, || {
        store::ledger::count(&pool, &leader, &filter, &ctx)
    })
    .await
    .unwrap();
    println!("ledger count: {counted}");

    // 4. The public figures of the whole city.
    time("public figures /stats (city)", STATS_RUNS, || {
        store::stats::public_stats(&pool, None, Utc::now())
    })
    .await
    .unwrap();
}
