//! Rate-limit counters in the database, so N instances behind a load
//! balancer give a client one quota, not N. Each hit is one upsert that
//! returns the new count, so concurrent requests on any instance get
//! distinct counts; the rules (sliding windows, buckets) are in
//! `domain::throttle`.

use crate::{Pool, Result};
use chrono::{DateTime, Utc};
use domain::throttle::Quota;

/// Counts one hit in `bucket`. `None` lets it through; `Some(secs)` is how
/// long until the bucket has room. Refused hits count too: a client that
/// keeps trying while refused stays refused.
pub async fn hit(
    pool: &Pool,
    bucket: &str,
    quota: Quota,
    now: DateTime<Utc>,
) -> Result<Option<u64>> {
    let t = now.timestamp();
    let window = quota.window_of(t);
    let current: i64 = sqlx::query_scalar(
        "INSERT INTO throttle (bucket, window_start, hits, expires) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = throttle.hits + 1 \
         RETURNING hits",
    )
    .bind(bucket)
    .bind(window)
    // The window is read as "previous" for one more window after it ends.
    .bind(window + 2 * quota.window_secs)
    .fetch_one(pool)
    .await?;
    let previous = previous_hits(pool, bucket, quota, window).await?;
    Ok(quota.verdict(previous, current, t))
}

/// Takes back a hit that should not count (a right answer after all).
pub async fn forgive(pool: &Pool, bucket: &str, quota: Quota, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "UPDATE throttle SET hits = hits - 1 WHERE bucket = $1 AND window_start = $2 AND hits > 0",
    )
    .bind(bucket)
    .bind(quota.window_of(now.timestamp()))
    .execute(pool)
    .await?;
    Ok(())
}

async fn previous_hits(pool: &Pool, bucket: &str, quota: Quota, window: i64) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT hits FROM throttle WHERE bucket = $1 AND window_start = $2")
            .bind(bucket)
            .bind(window - quota.window_secs)
            .fetch_optional(pool)
            .await?
            .unwrap_or(0),
    )
}

/// Forgets counters no limiter reads any more; returns how many.
pub async fn prune(pool: &Pool, now: DateTime<Utc>) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM throttle WHERE expires < $1")
        .bind(now.timestamp())
        .execute(pool)
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn two_pools_on_one_database_share_one_quota() {
        let db = crate::testing::TestDb::new().await;
        // A second pool stands for a second instance.
        let other = crate::connect(&db.url).await.unwrap();
        let quota = Quota::per_minute(4);
        let now = DateTime::parse_from_rfc3339("2026-12-01T08:00:05Z")
            .unwrap()
            .with_timezone(&Utc);
        for pool in [&db.pool, &other, &db.pool, &other] {
            assert_eq!(
                hit(pool, "lookup:10.0.0.1", quota, now).await.unwrap(),
                None
            );
        }
        assert!(
            hit(&other, "lookup:10.0.0.1", quota, now)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            hit(&db.pool, "lookup:10.0.0.2", quota, now).await.unwrap(),
            None
        );
        other.close().await;
    }

    #[tokio::test]
    async fn concurrent_hits_never_exceed_the_quota() {
        let db = crate::testing::TestDb::new().await;
        let quota = Quota::per_hour(5);
        let now = Utc::now();
        let tries = (0..20).map(|_| hit(&db.pool, "report:10.0.0.9", quota, now));
        let passed = futures_util::future::join_all(tries)
            .await
            .into_iter()
            .filter(|r| matches!(r, Ok(None)))
            .count();
        assert_eq!(passed, 5);
    }

    #[tokio::test]
    async fn a_forgiven_hit_frees_its_place_and_stale_counters_are_pruned() {
        let db = crate::testing::TestDb::new().await;
        let pool = &db.pool;
        let quota = Quota::per_minute(1);
        let now = Utc::now();
        assert_eq!(hit(pool, "b", quota, now).await.unwrap(), None);
        forgive(pool, "b", quota, now).await.unwrap();
        assert_eq!(hit(pool, "b", quota, now).await.unwrap(), None);
        assert!(hit(pool, "b", quota, now).await.unwrap().is_some());
        // Still read as the previous window a minute on; gone after that.
        assert_eq!(
            prune(pool, now + chrono::Duration::seconds(60))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            prune(pool, now + chrono::Duration::seconds(181))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            hit(pool, "b", quota, now + chrono::Duration::seconds(181))
                .await
                .unwrap(),
            None
        );
    }
}
