//! The background jobs' schedule: 13710 reminders, anonymisation and the
//! pruning of stale rate-limit counters, at start and then every minute (by
//! default). Each job records each change once, and on PostgreSQL one
//! instance at a time runs it (see `store::jobs`), so restarts and several
//! instances repeat nothing.

use futures::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How this instance's background jobs have been doing, for `/healthz`:
/// each schedule (`every`) by its name.
#[derive(Clone, Default)]
pub struct JobsHealth(Arc<Mutex<std::collections::BTreeMap<&'static str, Record>>>);

struct Record {
    period: Duration,
    started: Instant,
    last_ok: Option<Instant>,
    /// Why the last round failed, while it is the last one.
    failing: Option<String>,
}

/// What `/healthz` says of the jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobsState {
    /// The last round succeeded, recently enough.
    Ok,
    /// No schedule on this instance (a router built without one, in tests).
    NotRunning,
    /// The last round failed or panicked: why.
    Failing(String),
    /// No round has finished for three periods: one is stuck.
    Stalled,
}

impl JobsHealth {
    /// The worst of the schedules' states: a failing one names itself.
    pub fn state(&self) -> JobsState {
        let records = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if records.is_empty() {
            return JobsState::NotRunning;
        }
        let failing: Vec<String> = records
            .iter()
            .filter_map(|(name, r)| r.failing.as_ref().map(|why| format!("{name}: {why}")))
            .collect();
        if !failing.is_empty() {
            return JobsState::Failing(failing.join("; "));
        }
        let stalled = records
            .values()
            .any(|r| r.last_ok.unwrap_or(r.started).elapsed() > r.period * 3);
        if stalled {
            JobsState::Stalled
        } else {
            JobsState::Ok
        }
    }

    fn start(&self, name: &'static str, period: Duration) {
        let mut records = self.0.lock().unwrap_or_else(|p| p.into_inner());
        records.insert(
            name,
            Record {
                period,
                started: Instant::now(),
                last_ok: None,
                failing: None,
            },
        );
    }

    fn finished(&self, name: &'static str, outcome: Result<(), String>) {
        let mut records = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Some(r) = records.get_mut(name) else {
            return;
        };
        match outcome {
            Ok(()) => {
                r.last_ok = Some(Instant::now());
                r.failing = None;
            }
            Err(why) => r.failing = Some(why),
        }
    }
}

/// Runs `round` now and then every `every`, for ever, noting each outcome
/// in `health`. A round that panics is logged and the next tick runs
/// again: one bad row must not stop reminders for the whole city until
/// someone restarts the server.
pub fn every<F, Fut>(
    name: &'static str,
    every: Duration,
    health: JobsHealth,
    round: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let every = every.max(Duration::from_millis(10));
    health.start(name, every);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let outcome = match AssertUnwindSafe(round()).catch_unwind().await {
                Ok(outcome) => outcome,
                Err(panic) => {
                    let why = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    tracing::error!(job = name, panic = %why, "background job panicked; it runs again on the next tick");
                    Err(format!("panicked: {why}"))
                }
            };
            health.finished(name, outcome);
        }
    })
}

/// Starts every background job on `pool`; `health` follows them.
pub fn spawn(pool: store::Pool, anonymise_after_days: i64, every_secs: u64, health: JobsHealth) {
    let period = Duration::from_secs(every_secs.max(1));
    every("jobs", period, health, move || {
        let pool = pool.clone();
        async move {
            let mut failed = Vec::new();
            match store::jobs::reminders(&pool, chrono::Utc::now()).await {
                Ok(None | Some(0)) => {}
                Ok(Some(n)) => tracing::info!(reminders = n, "13710 reminders recorded"),
                Err(e) => {
                    tracing::warn!(error = %e, "13710 reminder job failed");
                    failed.push(format!("reminders: {e}"));
                }
            }
            match store::jobs::anonymise(&pool, anonymise_after_days, chrono::Utc::now()).await {
                Ok(None | Some(0)) => {}
                Ok(Some(n)) => tracing::info!(cases = n, "closed cases anonymised"),
                Err(e) => {
                    tracing::warn!(error = %e, "anonymisation job failed");
                    failed.push(format!("anonymisation: {e}"));
                }
            }
            if let Err(e) = store::throttle::prune(&pool, chrono::Utc::now()).await {
                tracing::warn!(error = %e, "pruning rate-limit counters failed");
                failed.push(format!("pruning: {e}"));
            }
            if failed.is_empty() {
                Ok(())
            } else {
                Err(failed.join("; "))
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_round_that_panics_does_not_stop_the_next() {
        let rounds = Arc::new(AtomicUsize::new(0));
        let seen = rounds.clone();
        let health = JobsHealth::default();
        let job = every(
            "test",
            Duration::from_millis(10),
            health.clone(),
            move || {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n == 0 {
                        panic!("a corrupt row");
                    }
                    Ok(())
                }
            },
        );
        // Printing the panic's backtrace may take a while in a debug build.
        let waited = tokio::time::timeout(Duration::from_secs(20), async {
            while rounds.load(Ordering::SeqCst) < 3 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(waited.is_ok(), "no round ran after the panic");
        assert!(!job.is_finished(), "the schedule died with the panic");
        assert_eq!(health.state(), JobsState::Ok);
        job.abort();
    }

    #[tokio::test]
    async fn the_jobs_state_says_when_rounds_fail_and_when_they_stop_finishing() {
        let health = JobsHealth::default();
        assert_eq!(health.state(), JobsState::NotRunning);
        health.start("jobs", Duration::from_millis(20));
        health.start("messages", Duration::from_secs(60));
        assert_eq!(health.state(), JobsState::Ok);
        health.finished("jobs", Err("reminders: database is locked".into()));
        assert_eq!(
            health.state(),
            JobsState::Failing("jobs: reminders: database is locked".into())
        );
        health.finished("jobs", Ok(()));
        health.finished("messages", Ok(()));
        assert_eq!(health.state(), JobsState::Ok);
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(health.state(), JobsState::Stalled);
    }
}
