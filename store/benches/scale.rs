//! Scale benchmarks (not tests): the demo city grown by `store::city::grow`
//! into Lüliang's shape with `LIANXIN_BENCH_CASES` cases (default 100,000;
//! the figures are taken at 1,000,000), then intake throughput on
//! top of them, each later step of the loop as it is written, and the
//! board, ledger and public-figure queries people run all day.
//!
//! Run with `cargo bench -p store --bench scale` (SQLite, a fresh file in
//! the temp directory), or with `LIANXIN_TEST_DATABASE=postgres://…` for a
//! fresh database on that server; `LIANXIN_BENCH_DATABASE=<url>` grows the
//! city there once (when it is empty) and measures it on every later run.
//! Figures go to `docs/benchmarks.md`.

use chrono::{Datelike, Utc};
use domain::case::{Action, Actor};
use domain::view::CaseFilter;
use domain::{DeadlineClass, NewCase, Rating, RatingChannel, Source, Step};
use std::time::{Duration, Instant};

const INTAKE: usize = 1_000;
const RUNS: usize = 20;
/// Uncached figures of the whole city: a few runs tell enough.
const STATS_RUNS: usize = 5;

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
    // `LIANXIN_BENCH_DATABASE` names a database to measure and keep: a city
    // generated before (`lianxin demo --cases N`, or an earlier run's) is
    // measured as it is; an empty one is grown first and kept for the next
    // run. Without it, a fresh database is grown and dropped afterwards.
    let existing = std::env::var("LIANXIN_BENCH_DATABASE").ok();
    let db = match &existing {
        Some(_) => None,
        None => Some(store::testing::TestDb::new().await),
    };
    let pool = match (&db, &existing) {
        (Some(db), _) => db.pool.clone(),
        (None, Some(url)) => {
            let pool = store::connect(url).await.expect("the benchmark's database");
            store::migrate(&pool).await.expect("migrations apply");
            pool
        }
        (None, None) => unreachable!("one of the two is set"),
    };
    println!("database: {:?}", store::Backend::of(&pool));
    let now = Utc::now();
    let empty: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(&pool)
        .await
        .unwrap();
    let grow = empty == 0;
    if grow {
        store::demo::load(&pool, false, now).await.expect("demo");
    }
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

    if grow {
        let cases: u64 = std::env::var("LIANXIN_BENCH_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(100_000);
        let t = Instant::now();
        let grown = store::city::grow(&pool, cases, now, |done, of| {
            if done % 100_000 == 0 || done == of {
                println!("  {done} of {of} ({:.0} s)", t.elapsed().as_secs_f64());
            }
        })
        .await
        .unwrap();
        println!(
            "city: {} communities, {} cases ({} open), {} events in {:.1} s",
            grown.communities,
            grown.cases,
            grown.open,
            grown.events,
            t.elapsed().as_secs_f64()
        );
    }
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!("measuring over {total} cases");

    // 1. Intake: registrations at the desk on top of the full city, in the
    // newest community (registered by the administrator), so that the
    // director's board measured next stays the size it was grown to from
    // run to run. They go round its compounds and the categories: all in
    // one compound and one category, each run's closures made every later
    // registration's recurrence check read thousands of same-kind cases of
    // one place (2.7 ms a registration rising to 7.0 over five runs).
    let tree = store::reference::region_tree(&pool).await.unwrap();
    let community = tree
        .within("/")
        .filter(|n| n.level == "community")
        .max_by_key(|n| n.id)
        .unwrap()
        .path
        .clone();
    let compounds: Vec<i64> = tree
        .within(&community)
        .filter(|n| n.level == "compound")
        .map(|n| n.id)
        .collect();
    let admin = user("admin").await;
    let categories: Vec<i64> = sqlx::query_scalar("SELECT id FROM categories ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    let mut samples = Vec::new();
    let mut registered = Vec::with_capacity(INTAKE);
    let started = Instant::now();
    for i in 0..INTAKE {
        let new = NewCase {
            title: format!("楼道灯不亮 {i}"),
            description: format!("{i} 号楼二单元楼道灯坏了一周，晚上看不见台阶"),
            category_id: categories[i % categories.len()],
            region_id: compounds[i % compounds.len()],
            station_id: None,
            source: Source::WalkIn,
            resident_name: "王秀英".into(),
            resident_phone: "13800001111".into(),
            resident_email: String::new(),
            notify: false,
        };
        let t = Instant::now();
        let receipt = store::cases::create(&pool, &new, Some(&admin), Utc::now())
            .await
            .unwrap();
        samples.push(t.elapsed());
        registered.push(domain::TrackingCode::parse(&receipt.code).unwrap());
    }
    println!(
        "intake: {INTAKE} registrations in {:.1} s = {:.0} per second",
        started.elapsed().as_secs_f64(),
        INTAKE as f64 / started.elapsed().as_secs_f64()
    );
    report("intake (one registration)", samples);

    // The same cases through the rest of the loop, each step timed as the
    // store writes it (the case, its event and every roll-up the database
    // keeps up to date in the same transaction); closing them again keeps
    // the community's board the size it was grown to.
    let unit: i64 = sqlx::query_scalar("SELECT id FROM units ORDER BY id LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let loop_steps = [
        (Action::StartConsolidation, Actor::Station),
        (
            Action::Assign {
                unit_id: unit,
                class: DeadlineClass::Ordinary,
            },
            Actor::Station,
        ),
        (Action::Acknowledge, Actor::Unit),
        (
            Action::ReportProgress {
                note: "已安排人员现场查看".into(),
            },
            Actor::Unit,
        ),
        (
            Action::RequestClosure {
                result: "已更换楼道灯".into(),
            },
            Actor::Unit,
        ),
        (Action::ApproveClosure, Actor::Station),
        (
            Action::RecordFeedback {
                note: "已电话告知居民".into(),
            },
            Actor::Station,
        ),
        (
            Action::Rate {
                rating: Rating::Satisfied,
                comment: String::new(),
                via: RatingChannel::Online,
            },
            Actor::Resident,
        ),
    ];
    let by = store::events::By::named("联络站");
    let mut step_samples: Vec<Vec<Duration>> = vec![Vec::new(); loop_steps.len()];
    for code in &registered {
        for ((action, actor), samples) in loop_steps.iter().zip(&mut step_samples) {
            let t = Instant::now();
            let row = store::cases::load_for(&pool, &admin, code).await.unwrap();
            store::cases::apply(&pool, &row, action, *actor, &by, Utc::now())
                .await
                .unwrap();
            samples.push(t.elapsed());
        }
    }
    for ((action, _), samples) in loop_steps.iter().zip(step_samples) {
        report(
            &format!("loop step {} (read + write)", action.kind().as_str()),
            samples,
        );
    }

    // 2. Boards: the director's (open and closed this month), the
    // supervision office's overdue board across the city.
    let china = domain::deadline::china();
    let today = now.with_timezone(&china).date_naive();
    let month_start = store::stats::day_start(today.with_day(1).unwrap_or(today));
    let board = CaseFilter {
        closed_since: Some(month_start),
        ..Default::default()
    };
    // A board as the page loads it: the exact counts and the first page of
    // each of its five columns, side by side.
    let load_board = |user: store::users::UserRow, filter: CaseFilter| {
        let pool = pool.clone();
        async move {
            let columns = [
                Step::Register,
                Step::Consolidate,
                Step::Handle,
                Step::Feedback,
                Step::Rate,
            ];
            let (counts, cards) =
                store::cases::board(&pool, &user, &filter, columns, 50, Utc::now())
                    .await
                    .unwrap();
            (counts, cards.len())
        }
    };
    // Where a board's time goes: its counts alone, then each column's cards
    // read beside them.
    for (who, user, filter) in [
        ("director", &director, &board),
        (
            "leader, overdue",
            &leader,
            &CaseFilter {
                overdue: true,
                ..board.clone()
            },
        ),
    ] {
        let t = Instant::now();
        store::cases::board_counts(&pool, user, filter, Utc::now())
            .await
            .unwrap();
        let mut parts = vec![format!(
            "counts {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0
        )];
        for step in [
            Step::Register,
            Step::Consolidate,
            Step::Handle,
            Step::Feedback,
            Step::Rate,
        ] {
            // The board with this column alone, its counts read beside it.
            let t = Instant::now();
            store::cases::board(&pool, user, filter, [step], 50, Utc::now())
                .await
                .unwrap();
            parts.push(format!(
                "counts + {} {:.1} ms",
                step.as_str(),
                t.elapsed().as_secs_f64() * 1000.0
            ));
        }
        println!("board of the {who}: {}", parts.join(", "));
    }
    let (counts, cards) = time("director board (counts + 5 columns of 50)", RUNS, || {
        load_board(director.clone(), board.clone())
    })
    .await;
    println!(
        "director board: {cards} cards shown of {} open",
        counts.open
    );
    let overdue = CaseFilter {
        overdue: true,
        closed_since: Some(month_start),
        ..Default::default()
    };
    let (counts, cards) = time("city overdue board (leader)", RUNS, || {
        load_board(leader.clone(), overdue.clone())
    })
    .await;
    println!(
        "city overdue board: {cards} cards shown of {} overdue",
        counts.overdue
    );
    let (counts, _) = time("city board (leader, everything open)", RUNS, || {
        load_board(leader.clone(), board.clone())
    })
    .await;
    println!("city board: {} open", counts.open);

    // The header's to-do count (待办), counted on every staff page a
    // reader opens and again after each change in their area.
    for (who, reader) in [
        ("director", &director),
        ("leader, the city's escalated", &leader),
        ("handler", &user("handler").await),
    ] {
        let to_do = time(&format!("to-do count ({who})"), RUNS, || {
            store::cases::to_do(&pool, reader, Utc::now())
        })
        .await
        .unwrap();
        println!("to-do of the {who}: {to_do:?}");
    }

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

    // 4. The public figures, uncached: the whole city and the director's
    // community (what a cold cache costs the first visitor of a minute).
    time("public figures /stats (city, uncached)", STATS_RUNS, || {
        store::stats::public_stats(&pool, None, Utc::now())
    })
    .await
    .unwrap();
    let community = director.region_id;
    time("public figures (a community, uncached)", RUNS, || {
        store::stats::public_stats(&pool, community, Utc::now())
    })
    .await
    .unwrap();

    // 5. The staff's figures: the last twelve months grouped by community
    // (the city's leader) and by unit (the director), this month's ranking
    // of the units, and the grid view's heat table of the city.
    let today = now.with_timezone(&domain::deadline::china()).date_naive();
    let (first, end) = domain::figures::period(None, None, today).unwrap();
    use domain::figures::Dimension;
    for (who, user, dimension) in [
        ("leader", &leader, Dimension::Community),
        ("leader", &leader, Dimension::Leader),
        ("director", &director, Dimension::Unit),
    ] {
        let report = time(
            &format!("figures by {dimension:?} ({who}, 12 months)"),
            STATS_RUNS,
            || store::stats::report(&pool, user, dimension, first, end),
        )
        .await
        .unwrap();
        println!(
            "figures by {dimension:?} ({who}): {} cases in {} groups",
            report.total.collected,
            report.groups.len()
        );
    }
    time("unit ranking (this month)", RUNS, || {
        store::stats::unit_figures(&pool, today)
    })
    .await
    .unwrap();
    time("grid view (leader, the city)", RUNS, || {
        store::grid::view(&pool, &leader, None, Utc::now())
    })
    .await
    .unwrap();

    // 6. The ledger's CSV export reads every line of the city page by page
    // (the server writes each page out before reading the next): lines a
    // second, and the process's peak memory before and after.
    let peak = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
            })
            .unwrap_or_default()
    };
    let before = peak();
    let t = Instant::now();
    let lines =
        store::ledger::walk::<store::StoreError>(&pool, &leader, &filter, &ctx, |_, _| Ok(()))
            .await
            .unwrap();
    println!(
        "ledger walk (the CSV export's reads, city): {lines} lines in {:.1} s = {:.0} a second; \
         peak memory {before} before, {} after",
        t.elapsed().as_secs_f64(),
        lines as f64 / t.elapsed().as_secs_f64(),
        peak()
    );
}
