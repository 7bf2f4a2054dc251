//! Several `lianxin` processes on one database, as behind a load balancer:
//! the reminder job run by all of them at once records each reminder once.
//! On SQLite by default; on PostgreSQL with `LIANXIN_TEST_DATABASE`.

use std::process::Stdio;

async fn count(pool: &store::Pool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn instances_running_the_reminder_job_together_record_each_reminder_once() {
    let db = store::testing::TestDb::new().await;
    // A demo loaded a week ago: its assigned cases are due or overdue now.
    store::demo::load(
        &db.pool,
        false,
        chrono::Utc::now() - chrono::Duration::days(7),
    )
    .await
    .unwrap();
    assert_eq!(count(&db.pool, "SELECT COUNT(*) FROM reminders").await, 0);

    // Three rounds of two instances started together.
    for _ in 0..3 {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                std::process::Command::new(env!("CARGO_BIN_EXE_lianxin"))
                    .args(["--database", &db.url, "remind"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("lianxin starts")
            })
            .collect();
        for run in runs {
            let out = run.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    let reminders = count(&db.pool, "SELECT COUNT(*) FROM reminders").await;
    assert!(reminders > 0, "the week-old demo has cases due");
    let distinct = count(
        &db.pool,
        "SELECT COUNT(*) FROM (SELECT DISTINCT case_id, clock_start, checkpoint, level FROM reminders) d",
    )
    .await;
    assert_eq!(reminders, distinct);
    let events = count(
        &db.pool,
        "SELECT COUNT(*) FROM case_events WHERE kind LIKE 'reminder.%'",
    )
    .await;
    assert_eq!(events, reminders, "one event per reminder");
}
