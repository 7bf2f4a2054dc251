//! The 13710 due times kept on each case (`cases.due_at`, `cases.warn_at`),
//! so "overdue" and "due soon" are indexed SQL predicates instead of a rule
//! run in Rust over every row. `DeadlinePolicy::open_deadline` still defines
//! them; this module writes its answer whenever a clock starts or changes:
//! a transition (`cases::apply`), an approved extension, a change of the
//! calendar or the day mode, and once for every case after a migration that
//! adds one (0016, 0018). With them it keeps the clock's completion and
//! acknowledgement deadlines, by which figures judge "in time".

use crate::Result;
use crate::audit::{self, Change};
use crate::db::{Conn, Pool, Stored};
use crate::events::By;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{CaseState, DayMode, DeadlineClass, DeadlinePolicy, Rating, Route, Status, Tier};

/// Cases recomputed per statement batch: bounded memory and short writes
/// whatever the backlog.
const BATCH: i64 = if cfg!(test) { 7 } else { 1_000 };

/// The values of case `c`'s state as the 13710 rules read it (`StateRow`),
/// the approved extension days of its current clock last: one list for the
/// case file, the ledger's lines and the rules' own reads.
macro_rules! state_values {
    () => {
        "c.status, c.route, c.tier, c.unit_id, c.deadline_class, c.clock_start, \
         c.acknowledged_at, c.progress_at, c.completed_at, c.result, c.rating, \
         c.rework_count, c.closed_at, c.merged_into, \
         (SELECT CAST(COALESCE(SUM(x.days), 0) AS BIGINT) FROM extensions x \
         WHERE x.case_id = c.id AND x.clock_start = c.clock_start AND x.status = 'approved')"
    };
}
pub(crate) use state_values;

/// `state_values!` as the columns `StateRow` reads by name.
macro_rules! state_columns {
    () => {
        concat!(crate::deadlines::state_values!(), " AS extension_days")
    };
}
pub(crate) use state_columns;

/// A case's state as `state_columns!` reads it, or as a JSON array of
/// `state_values!` (the ledger's pages on SQLite).
#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct StateRow {
    #[sqlx(try_from = "crate::db::Code<Status>")]
    pub status: Status,
    #[sqlx(try_from = "crate::db::MaybeCode<Route>")]
    pub route: Option<Route>,
    #[sqlx(try_from = "crate::db::MaybeCode<Tier>")]
    pub tier: Option<Tier>,
    pub unit_id: Option<i64>,
    #[sqlx(try_from = "crate::db::Code<DeadlineClass>")]
    pub deadline_class: DeadlineClass,
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    #[serde(deserialize_with = "crate::db::Stamp::maybe_from_json")]
    pub clock_start: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    #[serde(deserialize_with = "crate::db::Stamp::maybe_from_json")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    #[serde(deserialize_with = "crate::db::Stamp::maybe_from_json")]
    pub progress_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    #[serde(deserialize_with = "crate::db::Stamp::maybe_from_json")]
    pub completed_at: Option<DateTime<Utc>>,
    pub result: Option<String>,
    #[sqlx(try_from = "crate::db::MaybeCode<Rating>")]
    pub rating: Option<Rating>,
    pub rework_count: i32,
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    #[serde(deserialize_with = "crate::db::Stamp::maybe_from_json")]
    pub closed_at: Option<DateTime<Utc>>,
    pub merged_into: Option<String>,
    /// Days of approved extensions of the current clock.
    pub extension_days: i64,
}

impl From<StateRow> for CaseState {
    fn from(s: StateRow) -> Self {
        CaseState {
            status: s.status,
            route: s.route,
            tier: s.tier,
            unit_id: s.unit_id,
            deadline_class: s.deadline_class,
            clock_start: s.clock_start,
            acknowledged_at: s.acknowledged_at,
            progress_at: s.progress_at,
            completed_at: s.completed_at,
            result: s.result,
            rating: s.rating,
            rework_count: s.rework_count,
            closed_at: s.closed_at,
            merged_into: s.merged_into,
            extension_days: u32::try_from(s.extension_days).unwrap_or(0),
        }
    }
}

/// What the rules read of a case.
const SELECT_CLOCK: &str = concat!("SELECT c.id, ", state_columns!(), " FROM cases c");

#[derive(sqlx::FromRow)]
struct ClockRow {
    id: i64,
    #[sqlx(flatten)]
    state: StateRow,
}

/// Writes the due times of case `id` in state `state` (in the caller's
/// transaction, with the state it has just written).
pub(crate) async fn write(
    conn: &mut Conn,
    id: i64,
    policy: &DeadlinePolicy,
    state: &CaseState,
) -> Result<()> {
    let open = policy.open_deadline(state);
    sqlx::query(
        "UPDATE cases SET due_at = $1, warn_at = $2, completion_due_at = $3, \
         acknowledge_due_at = $4 WHERE id = $5",
    )
    .bind(open.map(|d| d.due).stored())
    .bind(open.map(|d| d.warn).stored())
    .bind(policy.completion_due(state).stored())
    .bind(policy.acknowledge_due(state).stored())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Recomputes case `id` from what the database holds (after a change that
/// is not a transition, such as an approved extension).
pub(crate) async fn refresh(conn: &mut Conn, id: i64) -> Result<()> {
    let policy = crate::reference::load_policy(conn).await?;
    let row: ClockRow = sqlx::query_as(&format!("{SELECT_CLOCK} WHERE c.id = $1"))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    write(conn, id, &policy, &row.state.into()).await
}

/// Which cases a recomputation visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Cases with an open checkpoint: all a calendar change can move.
    Open,
    /// Every case whose clock ever started (after migration, or a repair).
    Started,
}

/// Recomputes the due times of the cases in `reach`, batch by batch in the
/// caller's transaction, with the policy that transaction sees; `progress`
/// hears (done, of) after each batch. Returns how many were visited.
pub(crate) async fn recompute(
    conn: &mut Conn,
    reach: Reach,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64> {
    let policy = crate::reference::load_policy(conn).await?;
    let filter = match reach {
        Reach::Open => " WHERE c.due_at IS NOT NULL",
        Reach::Started => " WHERE c.clock_start IS NOT NULL",
    };
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM cases c{filter}"))
        .fetch_one(&mut *conn)
        .await?;
    let total = u64::try_from(total).unwrap_or(0);
    let (mut after, mut done) = (0i64, 0u64);
    loop {
        // By id, so rows the batch itself changes (due_at cleared) never
        // shift the next batch.
        let rows: Vec<ClockRow> = sqlx::query_as(&format!(
            "{SELECT_CLOCK}{filter} AND c.id > $1 ORDER BY c.id LIMIT $2"
        ))
        .bind(after)
        .bind(BATCH)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        done += rows.len() as u64;
        for row in rows {
            write(conn, row.id, &policy, &row.state.into()).await?;
        }
        progress(done, total);
    }
    Ok(done)
}

/// After migrating: fills the due times of the existing cases once, when a
/// migration has marked them stale (migration 0016 added the columns).
/// Several instances starting together may each run it; the result is the same.
pub(crate) async fn fill_if_stale(pool: &Pool) -> Result<()> {
    let stale: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'deadlines_stale'")
            .fetch_optional(pool)
            .await?;
    let Some(reason) = stale else { return Ok(()) };
    let mut tx = pool.begin().await?;
    let n = recompute(&mut tx, Reach::Started, |done, of| {
        tracing::info!(done, of, "filling the cases' 13710 due times ({reason})");
    })
    .await?;
    sqlx::query("DELETE FROM settings WHERE key = 'deadlines_stale'")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if n > 0 {
        tracing::info!(cases = n, "13710 due times filled");
    }
    Ok(())
}

/// The 13710 calendar decides every deadline units are judged by, so its
/// changes go into the audit trail.
fn calendar_change<'a>(
    by: &'a By,
    action: &'a str,
    what: String,
    after: Option<serde_json::Value>,
) -> Change<'a> {
    Change::by(by, action, "calendar", what).states(None, after)
}

/// A calendar change moves open deadlines: their stored due times are
/// recomputed in the same transaction (no list reads a due time from the
/// old calendar), and the audit trail records how many moved with it.
async fn recompute_due_times(tx: &mut crate::db::Conn, by: &By, now: DateTime<Utc>) -> Result<()> {
    let n = recompute(tx, Reach::Open, |done, of| {
        tracing::info!(done, of, "recomputing the open cases' 13710 due times");
    })
    .await?;
    let after = Some(serde_json::json!({ "open_cases": n }));
    audit::record(
        tx,
        calendar_change(by, "calendar.recomputed", "due_times".into(), after),
        now,
    )
    .await
}

pub async fn set_day_mode(pool: &Pool, by: &By, mode: DayMode, now: DateTime<Utc>) -> Result<()> {
    let value = match mode {
        DayMode::Calendar => "calendar",
        DayMode::Working => "working",
    };
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ('day_mode', $1) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(value)
    .execute(&mut *tx)
    .await?;
    let after = Some(serde_json::json!({ "day_mode": value }));
    audit::record(
        &mut tx,
        calendar_change(by, "calendar.day_mode", "day_mode".into(), after),
        now,
    )
    .await?;
    recompute_due_times(&mut tx, by, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Marks a date as a public holiday (`holiday`) or a make-up working day (`workday`).
pub async fn set_calendar_day(
    pool: &Pool,
    by: &By,
    day: NaiveDate,
    workday: bool,
    name: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let kind = if workday { "workday" } else { "holiday" };
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3) \
         ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name",
    )
    .bind(day.to_string())
    .bind(kind)
    .bind(name)
    .execute(&mut *tx)
    .await?;
    let after = Some(serde_json::json!({ "kind": kind, "name": name }));
    audit::record(
        &mut tx,
        calendar_change(by, "calendar.marked", day.to_string(), after),
        now,
    )
    .await?;
    recompute_due_times(&mut tx, by, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Unmarks a date; it is an ordinary weekday or weekend day again.
pub async fn clear_calendar_day(
    pool: &Pool,
    by: &By,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query("DELETE FROM calendar_days WHERE day = $1")
        .bind(day.to_string())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() > 0 {
        audit::record(
            &mut tx,
            calendar_change(by, "calendar.cleared", day.to_string(), None),
            now,
        )
        .await?;
        recompute_due_times(&mut tx, by, now).await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cases::{self, CaseRow};
    use crate::events::By;
    use crate::testing::{TestDb, user};
    use domain::deadline::Verdict;
    use domain::{Action, Actor, DayMode, TrackingCode};

    /// The test oracle: every case whose stored due times differ from what
    /// the rules give for its whole row (not the clock columns `recompute`
    /// reads), by code.
    /// Every case whose stored due times differ from what the rules give for
    /// what the database holds now, by code (empty when all agree). Reads the
    /// cases in batches, so it runs over a whole generated city. With
    /// `Reach::Open` a finished clock's completion deadline is not compared:
    /// it keeps the one it was judged by when the calendar changes later.
    pub(crate) async fn disagreeing(pool: &Pool, reach: Reach) -> Result<Vec<String>> {
        let policy = crate::reference::policy(pool).await?;
        let mut out = Vec::new();
        let mut after = 0i64;
        loop {
            let rows: Vec<CaseRow> = sqlx::query_as(&format!(
                "{} WHERE c.id > $1 ORDER BY c.id LIMIT $2",
                crate::cases::SELECT_CASE
            ))
            .bind(after)
            .bind(BATCH * 10)
            .fetch_all(pool)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            out.extend(rows.into_iter().filter_map(|row| {
                let state = row.state();
                let open = policy.open_deadline(&state);
                let finished = reach == Reach::Open && open.is_none() && row.due_at.is_none();
                let completion_agrees = finished
                    || (
                        policy.completion_due(&state),
                        policy.acknowledge_due(&state),
                    ) == (row.completion_due_at, row.acknowledge_due_at);
                let agrees = (open.map(|d| d.due), open.map(|d| d.warn))
                    == (row.due_at, row.warn_at)
                    && completion_agrees;
                (!agrees).then_some(row.code)
            }));
        }
        Ok(out)
    }

    async fn due_of(pool: &Pool, code: &str) -> Option<DateTime<Utc>> {
        sqlx::query_scalar::<_, Option<crate::db::Stamp>>(
            "SELECT due_at FROM cases WHERE code = $1",
        )
        .bind(code)
        .fetch_one(pool)
        .await
        .unwrap()
        .map(|s| s.0)
    }

    /// Every way a clock starts or moves writes the due times in the same
    /// transaction: the stored times equal the rules' for every case after
    /// the demo's transitions, an approved extension, a return, a rework,
    /// a change of day mode and a new holiday (recomputed, and audited).
    #[tokio::test]
    async fn every_change_of_the_clock_writes_the_due_times() {
        let db = TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        assert_eq!(
            disagreeing(&pool, Reach::Started).await.unwrap(),
            Vec::<String>::new()
        );
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE due_at IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(open > 10, "the demo has running clocks: {open}");

        // An approved extension moves the completion deadline.
        let (handler, leader) = (user(&pool, "handler").await, user(&pool, "leader").await);
        let running = cases::list(&pool, &handler, &Default::default(), now)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.status == Status::InProgress)
            .unwrap();
        let code = TrackingCode::parse(&running.code).unwrap();
        crate::extensions::request(&pool, &handler, &code, 20, "需要采购材料", now)
            .await
            .unwrap();
        crate::extensions::decide(&pool, &leader, &code, Verdict::Approve, "同意", now)
            .await
            .unwrap();
        assert_eq!(
            disagreeing(&pool, Reach::Started).await.unwrap(),
            Vec::<String>::new()
        );
        let row = cases::load(&pool, &code).await.unwrap();
        assert_eq!(row.state.extension_days, 20);
        assert!(row.due_at.is_some());

        // A return stops the clock: nothing open, no due time.
        let waiting = cases::list(&pool, &handler, &Default::default(), now)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.status == Status::AwaitingAck)
            .unwrap();
        let code = TrackingCode::parse(&waiting.code).unwrap();
        assert!(due_of(&pool, code.as_str()).await.is_some());
        let row = cases::load(&pool, &code).await.unwrap();
        cases::apply(
            &pool,
            &row,
            &Action::Return {
                reason: "不属于本单位职责".into(),
            },
            Actor::Unit,
            &By::named("单位"),
            now,
        )
        .await
        .unwrap();
        assert_eq!(due_of(&pool, code.as_str()).await, None);

        // A dissatisfied rating starts a new clock.
        let rated = cases::list(&pool, &handler, &Default::default(), now)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.status == Status::AwaitingRating);
        if let Some(rated) = rated {
            let code = TrackingCode::parse(&rated.code).unwrap();
            let row = cases::load(&pool, &code).await.unwrap();
            cases::apply(
                &pool,
                &row,
                &Action::Rate {
                    rating: domain::Rating::Dissatisfied,
                    comment: String::new(),
                    via: domain::RatingChannel::Online,
                },
                Actor::Resident,
                &By::resident(),
                now,
            )
            .await
            .unwrap();
            assert!(due_of(&pool, code.as_str()).await.is_some());
        }
        assert_eq!(
            disagreeing(&pool, Reach::Started).await.unwrap(),
            Vec::<String>::new()
        );

        // Calendar changes recompute every open case, in the audit trail.
        let by = By::named("管理员");
        set_day_mode(&pool, &by, DayMode::Working, now)
            .await
            .unwrap();
        assert_eq!(
            disagreeing(&pool, Reach::Open).await.unwrap(),
            Vec::<String>::new()
        );
        for d in 0..10 {
            let day = (now + chrono::Duration::days(d)).date_naive();
            set_calendar_day(&pool, &by, day, false, "假日", now)
                .await
                .unwrap();
        }
        assert_eq!(
            disagreeing(&pool, Reach::Open).await.unwrap(),
            Vec::<String>::new()
        );
        let recomputed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'calendar.recomputed'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(recomputed, 11);
    }

    /// An existing database gets its due times filled after migrating.
    #[tokio::test]
    async fn migrating_fills_the_due_times_of_existing_cases() {
        let db = TestDb::demo().await;
        let pool = db.pool.clone();
        sqlx::query("UPDATE cases SET due_at = NULL, warn_at = NULL")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO settings (key, value) VALUES ('deadlines_stale', 'test')")
            .execute(&pool)
            .await
            .unwrap();
        assert!(!disagreeing(&pool, Reach::Started).await.unwrap().is_empty());
        crate::migrate(&pool).await.unwrap();
        assert_eq!(
            disagreeing(&pool, Reach::Started).await.unwrap(),
            Vec::<String>::new()
        );
    }
}
