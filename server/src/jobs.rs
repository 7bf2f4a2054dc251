//! The background jobs' schedule: 13710 reminders, anonymisation and the
//! pruning of stale rate-limit counters, at start and then every minute (by
//! default). Each job records each change once, and on PostgreSQL one
//! instance at a time runs it (see `store::jobs`), so restarts and several
//! instances repeat nothing.

use futures::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

/// Runs `round` now and then every `every`, for ever. A round that panics
/// is logged and the next tick runs again: one bad row must not stop
/// reminders for the whole city until someone restarts the server.
pub fn every<F, Fut>(name: &'static str, every: Duration, round: F) -> tokio::task::JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(panic) = AssertUnwindSafe(round()).catch_unwind().await {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(job = name, panic = %why, "background job panicked; it runs again on the next tick");
            }
        }
    })
}

/// Starts every background job on `pool`.
pub fn spawn(pool: store::Pool, anonymise_after_days: i64, every_secs: u64) {
    let period = Duration::from_secs(every_secs.max(1));
    every("jobs", period, move || {
        let pool = pool.clone();
        async move {
            match store::jobs::reminders(&pool, chrono::Utc::now()).await {
                Ok(None | Some(0)) => {}
                Ok(Some(n)) => tracing::info!(reminders = n, "13710 reminders recorded"),
                Err(e) => tracing::warn!(error = %e, "13710 reminder job failed"),
            }
            match store::jobs::anonymise(&pool, anonymise_after_days, chrono::Utc::now()).await {
                Ok(None | Some(0)) => {}
                Ok(Some(n)) => tracing::info!(cases = n, "closed cases anonymised"),
                Err(e) => tracing::warn!(error = %e, "anonymisation job failed"),
            }
            if let Err(e) = store::throttle::prune(&pool, chrono::Utc::now()).await {
                tracing::warn!(error = %e, "pruning rate-limit counters failed");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_round_that_panics_does_not_stop_the_next() {
        let rounds = Arc::new(AtomicUsize::new(0));
        let seen = rounds.clone();
        let job = every("test", Duration::from_millis(10), move || {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    panic!("a corrupt row");
                }
            }
        });
        // Printing the panic's backtrace may take a while in a debug build.
        let waited = tokio::time::timeout(Duration::from_secs(20), async {
            while rounds.load(Ordering::SeqCst) < 3 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(waited.is_ok(), "no round ran after the panic");
        assert!(!job.is_finished(), "the schedule died with the panic");
        job.abort();
    }
}
