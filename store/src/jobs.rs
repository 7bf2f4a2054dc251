//! The background jobs every instance schedules (13710 reminders,
//! anonymisation). Each change they make is recorded once by the database
//! itself (a reminder's unique key, an anonymised case's timestamp), so a
//! repeat never duplicates anything. On PostgreSQL, where several instances
//! share the database, a session advisory lock also lets only one instance
//! run a job at a time: the others skip that round instead of doing the
//! same reads and losing the same insert races. The lock belongs to a
//! connection, so a crashed instance releases it with its connection.

use crate::db::{Backend, Flag};
use crate::{Pool, Result};
use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    Reminders,
    Anonymise,
}

impl Job {
    /// The advisory lock key: any number no other application on the same
    /// PostgreSQL uses; "LX" and the job.
    fn key(self) -> i64 {
        let base = 0x4c58_0000_i64;
        match self {
            Self::Reminders => base + 1,
            Self::Anonymise => base + 2,
        }
    }
}

/// Runs `work` unless another instance is running the same job right now
/// (`None` then).
pub async fn exclusively<T, Fut>(pool: &Pool, job: Job, work: Fut) -> Result<Option<T>>
where
    Fut: std::future::Future<Output = Result<T>>,
{
    if Backend::of(pool) == Backend::Sqlite {
        // One file, one serving instance: nothing to coordinate.
        return work.await.map(Some);
    }
    let mut conn = pool.acquire().await?;
    let Flag(got) = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(job.key())
        .fetch_one(&mut *conn)
        .await?;
    if !got {
        return Ok(None);
    }
    // The lock lives on this pooled connection: a panic in `work` must not
    // hand the connection back still holding it, or no instance would ever
    // run the job again.
    use futures_util::FutureExt;
    let result = std::panic::AssertUnwindSafe(work).catch_unwind().await;
    let _: Flag = sqlx::query_scalar("SELECT pg_advisory_unlock($1)")
        .bind(job.key())
        .fetch_one(&mut *conn)
        .await?;
    match result {
        Ok(result) => result.map(Some),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// One round of 13710 reminders; `None` when another instance has it.
pub async fn reminders(pool: &Pool, now: DateTime<Utc>) -> Result<Option<usize>> {
    exclusively(pool, Job::Reminders, crate::supervision::remind(pool, now)).await
}

/// One round of anonymisation; `None` when another instance has it.
pub async fn anonymise(pool: &Pool, after_days: i64, now: DateTime<Utc>) -> Result<Option<usize>> {
    exclusively(
        pool,
        Job::Anonymise,
        crate::privacy::anonymise(pool, after_days, now),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    async fn count(pool: &Pool, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
    }

    #[tokio::test]
    async fn two_instances_running_the_jobs_together_record_each_reminder_once() {
        let db = crate::testing::TestDb::demo().await;
        // A second instance: its own pool on the same database.
        let other = crate::connect(&db.url).await.unwrap();
        let (a, b) = (db.pool.clone(), other.clone());

        // Both instances tick together, through ten days of the demo's cases.
        let start = Utc::now();
        for hour in (0..240).step_by(12) {
            let at = start + Duration::hours(hour);
            let (ra, rb) = tokio::join!(reminders(&a, at), reminders(&b, at));
            ra.unwrap();
            rb.unwrap();
        }

        let reminders = count(&a, "SELECT COUNT(*) FROM reminders").await;
        assert!(reminders > 0, "the demo's cases fall due within ten days");
        let distinct = count(
            &a,
            "SELECT COUNT(*) FROM (SELECT DISTINCT case_id, clock_start, checkpoint, level FROM reminders) d",
        )
        .await;
        assert_eq!(reminders, distinct);
        // Each reminder wrote exactly one event on its case.
        let events = count(
            &a,
            "SELECT COUNT(*) FROM case_events WHERE kind LIKE 'reminder.%'",
        )
        .await;
        assert_eq!(events, reminders);
        other.close().await;
    }

    #[tokio::test]
    async fn a_job_another_instance_holds_is_skipped() {
        let db = crate::testing::TestDb::new().await;
        if Backend::of(&db.pool) == Backend::Sqlite {
            return; // no locks to hold on SQLite
        }
        let other = crate::connect(&db.url).await.unwrap();
        let mut holder = other.acquire().await.unwrap();
        let _: Flag = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(Job::Reminders.key())
            .fetch_one(&mut *holder)
            .await
            .unwrap();
        assert_eq!(reminders(&db.pool, Utc::now()).await.unwrap(), None);
        // A different job is not held.
        assert_eq!(anonymise(&db.pool, 180, Utc::now()).await.unwrap(), Some(0));
        let _: Flag = sqlx::query_scalar("SELECT pg_advisory_unlock($1)")
            .bind(Job::Reminders.key())
            .fetch_one(&mut *holder)
            .await
            .unwrap();
        assert_eq!(reminders(&db.pool, Utc::now()).await.unwrap(), Some(0));
        drop(holder);
        other.close().await;
    }
}
