//! Supervision: the 13710 reminder job and supervision letters (督办函).

use crate::access;
use crate::cases::{CaseRow, SELECT_CASE};
use crate::db::Stored;
use crate::users::UserRow;
use crate::{Pool, Result, StoreError, reference};
use chrono::{DateTime, Datelike, Duration, Utc};
use domain::deadline::china;
use domain::view::Letter;
use domain::{Actor, Checkpoint, CheckpointStatus, Status, TrackingCode};

/// The issuing office printed on letters.
pub const OFFICE: &str = "中共吕梁市委督查室";
/// Who the timeline names for the 13710 job.
const JOB: &str = "13710督办系统";
/// Longest demand text of a letter.
const MAX_DEMAND: usize = 1000;

/// Statuses in which the clock runs, for the job's query.
fn running() -> Vec<&'static str> {
    Status::ALL
        .into_iter()
        .filter(|s| s.clock_runs())
        .map(|s| s.as_str())
        .collect()
}

/// Records a reminder in the timeline for every checkpoint of a running
/// clock that has turned due soon or overdue, once each (the unique key on
/// `reminders` makes a second run, or a second instance, a no-op). Returns
/// how many reminders it recorded.
pub async fn remind(pool: &Pool, now: DateTime<Utc>) -> Result<usize> {
    let policy = reference::policy(pool).await?;
    let mut recorded = 0;
    // Running cases a batch at a time, by id: a city's tens of thousands of
    // open cases never sit in memory at once.
    let mut after = 0;
    loop {
        let mut qb: crate::db::Builder = crate::db::Builder::new(SELECT_CASE);
        qb.push(" WHERE c.clock_start IS NOT NULL AND c.id > ")
            .push_bind(after);
        crate::push_in(&mut qb, "c.status", running());
        qb.push(" ORDER BY c.id LIMIT ").push_bind(REMIND_BATCH);
        let rows: Vec<CaseRow> = qb.build_query_as()?.fetch_all(pool).await?;
        let Some(last) = rows.last() else {
            return Ok(recorded);
        };
        after = last.id;
        let full = rows.len() as i64 == REMIND_BATCH;
        recorded += remind_batch(pool, &policy, rows, now).await?;
        if !full {
            return Ok(recorded);
        }
    }
}

/// Running cases read per round of the reminder job (a handful in the unit
/// tests, so every test of the job crosses batch boundaries).
#[cfg(not(test))]
const REMIND_BATCH: i64 = 500;
#[cfg(test)]
const REMIND_BATCH: i64 = 7;

async fn remind_batch(
    pool: &Pool,
    policy: &domain::DeadlinePolicy,
    rows: Vec<CaseRow>,
    now: DateTime<Utc>,
) -> Result<usize> {
    // What is recorded already, so a round with nothing new writes nothing
    // (every minute, on every instance, for every overdue case otherwise).
    let mut qb: crate::db::Builder = crate::db::Builder::new(
        "SELECT case_id, clock_start, checkpoint, level FROM reminders WHERE 1 = 1",
    );
    crate::push_in(
        &mut qb,
        "case_id",
        rows.iter().map(|r| r.id).collect::<Vec<_>>(),
    );
    let known: std::collections::HashSet<(i64, DateTime<Utc>, String, String)> = qb
        .build_query_as::<(i64, crate::db::Stamp, String, String)>()?
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(id, crate::db::Stamp(start), cp, level)| (id, start, cp, level))
        .collect();
    let mut recorded = 0;
    for row in rows {
        let state = row.state();
        let Some(start) = state.clock_start else {
            continue;
        };
        for cp in policy.checkpoints(&state, now) {
            let level = match cp.status {
                CheckpointStatus::DueSoon => "due_soon",
                CheckpointStatus::Overdue => "overdue",
                _ => continue,
            };
            let key = (
                row.id,
                start,
                cp.checkpoint.as_str().to_string(),
                level.to_string(),
            );
            if known.contains(&key) {
                continue;
            }
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO reminders (case_id, clock_start, checkpoint, level, at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(row.id)
            .bind(start.stored())
            .bind(cp.checkpoint.as_str())
            .bind(level)
            .bind(now.stored())
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 1 {
                let payload =
                    serde_json::json!({ "checkpoint": cp.checkpoint, "due": cp.due }).to_string();
                crate::events::insert_event(
                    &mut tx,
                    row.id,
                    &format!("reminder.{level}.{}", cp.checkpoint.as_str()),
                    Some(state.status),
                    state.status,
                    &crate::events::By::named(JOB),
                    &payload,
                    now,
                )
                .await?;
                crate::audit::record(
                    &mut tx,
                    crate::audit::Change {
                        actor_user_id: None,
                        actor: JOB,
                        action: &format!("case.reminder.{level}"),
                        entity: "case",
                        entity_id: row.code.clone(),
                        before: None,
                        after: serde_json::from_str(&payload).ok(),
                    },
                    now,
                )
                .await?;
                recorded += 1;
            }
            tx.commit().await?;
        }
    }
    Ok(recorded)
}

#[derive(sqlx::FromRow)]
struct LetterRow {
    id: i64,
    case_id: i64,
    year: i64,
    seq: i64,
    #[sqlx(try_from = "crate::db::Code<Checkpoint>")]
    checkpoint: Checkpoint,
    #[sqlx(try_from = "crate::db::Stamp")]
    due: DateTime<Utc>,
    demand: String,
    #[sqlx(try_from = "crate::db::Stamp")]
    reply_by: DateTime<Utc>,
    office: String,
    #[sqlx(try_from = "crate::db::Stamp")]
    issued_at: DateTime<Utc>,
    issued_by: Option<String>,
}

const SELECT_LETTER: &str = "SELECT l.id, l.case_id, l.year, l.seq, l.checkpoint, l.due, l.demand, l.reply_by, \
     l.office, l.issued_at, u.display_name AS issued_by \
     FROM supervision_letters l LEFT JOIN users u ON u.id = l.issued_by";

fn letter(row: LetterRow, case: &CaseRow, tree: &reference::RegionTree) -> Letter {
    Letter {
        id: row.id,
        number: format!("吕督〔{}〕{}号", row.year, row.seq),
        office: row.office,
        unit: case.unit.clone(),
        case_code: TrackingCode::parse(&case.code)
            .map(|c| c.to_string())
            .unwrap_or_else(|_| case.code.clone()),
        title: case.title.clone(),
        description: case.description.clone(),
        place: tree.label(case.region_id),
        checkpoint: row.checkpoint,
        due: row.due,
        demand: row.demand,
        reply_by: row.reply_by,
        issued_at: row.issued_at,
        issued_by: row.issued_by.unwrap_or_default(),
    }
}

/// Issues a supervision letter for an overdue case: only the supervision
/// office (leaders, administrators) may, and only while a checkpoint is
/// overdue. Numbers run per year; the issue is recorded in the timeline.
pub async fn issue_letter(
    pool: &Pool,
    user: &UserRow,
    code: &TrackingCode,
    demand: &str,
    reply_days: i64,
    now: DateTime<Utc>,
) -> Result<Letter> {
    let case = crate::cases::load_for(pool, user, code).await?;
    let facts = case.facts();
    if !access::scope_for(user, domain::Permission::IssueLetter).covers(&facts)
        || !access::capacities(user, &facts).contains(&Actor::Supervisor)
    {
        return Err(StoreError::Forbidden);
    }
    let demand = demand.trim();
    if demand.is_empty() {
        return Err(StoreError::invalid("demand", "required"));
    }
    if demand.chars().count() > MAX_DEMAND {
        return Err(StoreError::invalid("demand", "too_long"));
    }
    if !(1..=30).contains(&reply_days) {
        return Err(StoreError::invalid("reply_days", "out_of_range"));
    }
    let policy = reference::policy(pool).await?;
    let state = case.state();
    let missed = policy
        .checkpoints(&state, now)
        .into_iter()
        .find(|c| c.status == CheckpointStatus::Overdue && state.status.clock_runs())
        .ok_or_else(|| StoreError::invalid("case", "not_overdue"))?;
    let year = i64::from(now.with_timezone(&china()).year());
    let reply_by = now + Duration::days(reply_days);
    let mut tx = pool.begin().await?;
    // The year's next number; the unique key turns a concurrent issue into a conflict.
    let seq: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM supervision_letters WHERE year = $1",
    )
    .bind(year)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO supervision_letters (case_id, year, seq, checkpoint, due, demand, reply_by, issued_by, office, issued_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(case.id)
    .bind(year)
    .bind(seq)
    .bind(missed.checkpoint.as_str())
    .bind(missed.due.stored())
    .bind(demand)
    .bind(reply_by.stored())
    .bind(user.id)
    .bind(OFFICE)
    .bind(now.stored())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict,
        other => other.into(),
    })?;
    let number = format!("吕督〔{year}〕{seq}号");
    let payload = serde_json::json!({ "number": number, "checkpoint": missed.checkpoint, "reply_by": reply_by }).to_string();
    crate::events::insert_event(
        &mut tx,
        case.id,
        "letter",
        Some(state.status),
        state.status,
        &crate::events::By::user(user),
        &payload,
        now,
    )
    .await?;
    crate::audit::record(
        &mut tx,
        crate::audit::Change {
            actor_user_id: Some(user.id),
            actor: &user.display_name,
            action: "letter.issued",
            entity: "case",
            entity_id: case.code.clone(),
            before: None,
            after: Some(serde_json::json!({ "letter_id": id, "number": number, "demand": demand, "reply_by": reply_by })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    let tree = reference::region_tree(pool).await?;
    let row: LetterRow = sqlx::query_as(&format!("{SELECT_LETTER} WHERE l.id = $1"))
        .bind(id)
        .fetch_one(pool)
        .await?;
    Ok(letter(row, &case, &tree))
}

/// A letter, for whoever may see its case.
pub async fn letter_by_id(pool: &Pool, user: &UserRow, id: i64) -> Result<Letter> {
    let row: LetterRow = sqlx::query_as(&format!("{SELECT_LETTER} WHERE l.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let code: String = sqlx::query_scalar("SELECT code FROM cases WHERE id = $1")
        .bind(row.case_id)
        .fetch_one(pool)
        .await?;
    let code = TrackingCode::parse(&code).map_err(|_| StoreError::NotFound)?;
    let case = crate::cases::load_for(pool, user, &code).await?;
    let tree = reference::region_tree(pool).await?;
    Ok(letter(row, &case, &tree))
}

/// The letters issued for a case, oldest first.
pub async fn letters_for(pool: &Pool, user: &UserRow, code: &TrackingCode) -> Result<Vec<Letter>> {
    let case = crate::cases::load_for(pool, user, code).await?;
    let rows: Vec<LetterRow> = sqlx::query_as(&format!(
        "{SELECT_LETTER} WHERE l.case_id = $1 ORDER BY l.id"
    ))
    .bind(case.id)
    .fetch_all(pool)
    .await?;
    let tree = reference::region_tree(pool).await?;
    Ok(rows.into_iter().map(|r| letter(r, &case, &tree)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases;
    use chrono::Duration;
    use domain::{Action, DeadlineClass, NewCase, Source, TrackingCode};

    #[tokio::test]
    async fn a_reminder_round_with_nothing_new_writes_nothing() {
        let db = crate::testing::TestDb::demo().await;
        let now = Utc::now();
        let later = now + Duration::days(10);
        assert!(remind(&db.pool, later).await.unwrap() > 0);
        // The same round again, on a connection that cannot write.
        let read_only = db.read_only().await;
        assert_eq!(remind(&read_only, later).await.unwrap(), 0);
        read_only.close().await;
    }

    #[tokio::test]
    async fn a_job_that_panics_lets_go_of_its_lock() {
        use futures_util::FutureExt;
        let db = crate::testing::TestDb::new().await;
        let panicked = std::panic::AssertUnwindSafe(crate::jobs::exclusively(
            &db.pool,
            crate::jobs::Job::Reminders,
            async {
                if std::hint::black_box(true) {
                    panic!("a corrupt row");
                }
                Ok(())
            },
        ))
        .catch_unwind()
        .await;
        assert!(panicked.is_err());
        // Another instance takes the next round.
        let other = crate::connect(&db.url).await.unwrap();
        assert_eq!(
            crate::jobs::reminders(&other, Utc::now()).await.unwrap(),
            Some(0)
        );
        other.close().await;
    }

    /// The demo, then a new case assigned to a unit at `at`.
    async fn assigned_case(pool: &Pool, at: DateTime<Utc>) -> TrackingCode {
        crate::demo::load(pool, false, at).await.unwrap();
        new_assigned_case(pool, at).await
    }

    async fn new_assigned_case(pool: &Pool, at: DateTime<Utc>) -> TrackingCode {
        let director = crate::users::find_by_username(pool, "director")
            .await
            .unwrap()
            .unwrap();
        let tree = reference::region_tree(pool).await.unwrap();
        let compound = tree
            .within(director.region_path.as_deref().unwrap())
            .find(|n| n.level == "compound")
            .unwrap()
            .id;
        let category: i64 = sqlx::query_scalar("SELECT id FROM categories WHERE code = 'road'")
            .fetch_one(pool)
            .await
            .unwrap();
        let new = NewCase {
            title: "楼前道路破损".into(),
            description: "雨天积水".into(),
            category_id: category,
            region_id: compound,
            station_id: None,
            source: Source::WalkIn,
            resident_name: "赵红霞".into(),
            resident_phone: "13700001234".into(),
            resident_email: String::new(),
            notify: false,
        };
        let receipt = cases::create(pool, &new, Some(&director), at)
            .await
            .unwrap();
        let code = TrackingCode::parse(&receipt.code).unwrap();
        cases::act(pool, &director, &code, &Action::StartConsolidation, at)
            .await
            .unwrap();
        let unit: i64 = sqlx::query_scalar("SELECT id FROM units ORDER BY id LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap();
        let assign = Action::Assign {
            unit_id: unit,
            class: DeadlineClass::Ordinary,
        };
        cases::act(pool, &director, &code, &assign, at)
            .await
            .unwrap();
        code
    }

    async fn reminders_of(pool: &Pool, code: &TrackingCode) -> Vec<String> {
        cases::event_kinds(pool, code)
            .await
            .unwrap()
            .into_iter()
            .filter(|k| k.starts_with("reminder."))
            .collect()
    }

    #[tokio::test]
    async fn each_checkpoint_is_reminded_once_per_level_even_across_restarts() {
        let db = crate::testing::TestDb::new().await;
        let pool = db.pool.clone();
        let assigned_at = Utc::now() - Duration::days(10);
        let code = assigned_case(&pool, assigned_at).await;

        // Half a day after assignment the acknowledgement (D+1) is due soon.
        remind(&pool, assigned_at + Duration::hours(20))
            .await
            .unwrap();
        assert_eq!(
            reminders_of(&pool, &code).await,
            vec!["reminder.due_soon.acknowledge"]
        );

        // Running again (a restart, a second instance) records nothing new.
        remind(&pool, assigned_at + Duration::hours(21))
            .await
            .unwrap();
        assert_eq!(reminders_of(&pool, &code).await.len(), 1);

        // Four days on: acknowledgement and progress are overdue.
        remind(&pool, assigned_at + Duration::days(4))
            .await
            .unwrap();
        remind(&pool, assigned_at + Duration::days(4))
            .await
            .unwrap();
        let kinds = reminders_of(&pool, &code).await;
        assert!(kinds.contains(&"reminder.overdue.acknowledge".to_string()));
        assert!(kinds.contains(&"reminder.overdue.progress".to_string()));
        assert_eq!(
            kinds
                .iter()
                .filter(|k| *k == "reminder.overdue.progress")
                .count(),
            1
        );
    }

    #[tokio::test]
    async fn overdue_cases_are_escalated_to_the_supervisors_board_until_done() {
        let db = crate::testing::TestDb::new().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let assigned_at = now - Duration::days(10);
        let code = assigned_case(&pool, assigned_at).await;
        let user = |name: &'static str| {
            let pool = pool.clone();
            async move {
                crate::users::find_by_username(&pool, name)
                    .await
                    .unwrap()
                    .unwrap()
            }
        };
        let leader = user("leader").await;
        let only_escalated = domain::view::CaseFilter {
            escalated: true,
            ..Default::default()
        };
        let on_board = |listed: Vec<domain::view::CaseSummary>| {
            listed.iter().any(|c| c.code == code.to_string())
        };

        // Overdue by the clock, but the job has not looked yet: not escalated.
        assert!(!cases::summary(&pool, &code, now).await.unwrap().0.escalated);
        // A due-soon reminder does not escalate.
        remind(&pool, assigned_at + Duration::hours(20))
            .await
            .unwrap();
        assert!(!cases::summary(&pool, &code, now).await.unwrap().0.escalated);

        remind(&pool, now).await.unwrap();
        assert!(cases::summary(&pool, &code, now).await.unwrap().0.escalated);
        let listed = cases::list(&pool, &leader, &only_escalated, now)
            .await
            .unwrap();
        assert!(listed.iter().all(|c| c.escalated));
        assert!(on_board(listed));

        // The unit finishes the work: the clock stops and the mark goes.
        let unit_id = cases::summary(&pool, &code, now).await.unwrap().0.unit_id;
        let handler_name: String =
            sqlx::query_scalar("SELECT username FROM users WHERE unit_id = $1 ORDER BY id LIMIT 1")
                .bind(unit_id)
                .fetch_one(&pool)
                .await
                .unwrap();
        let handler = crate::users::find_by_username(&pool, &handler_name)
            .await
            .unwrap()
            .unwrap();
        let director = user("director").await;
        cases::act(&pool, &handler, &code, &Action::Acknowledge, now)
            .await
            .unwrap();
        let done = Action::RequestClosure {
            result: "已修复路面".into(),
        };
        cases::act(&pool, &handler, &code, &done, now)
            .await
            .unwrap();
        cases::act(&pool, &director, &code, &Action::ApproveClosure, now)
            .await
            .unwrap();
        assert!(!cases::summary(&pool, &code, now).await.unwrap().0.escalated);
        let listed = cases::list(&pool, &leader, &only_escalated, now)
            .await
            .unwrap();
        assert!(!on_board(listed));
    }

    /// The escalated clock the database keeps on each case (migration 0029)
    /// says what the reminders say: a case is escalated when the job
    /// recorded an overdue reminder for its current clock; over a generated
    /// city, and the board's escalated count is those whose clock runs.
    #[tokio::test]
    async fn the_kept_escalated_clock_agrees_with_the_reminders() {
        let now = Utc::now();
        let db = crate::testing::TestDb::city(1_500, now).await;
        let pool = db.pool.clone();
        remind(&pool, now).await.unwrap();
        let by_reminders = "EXISTS (SELECT 1 FROM reminders m WHERE m.case_id = c.id \
                            AND m.clock_start = c.clock_start AND m.level = 'overdue')";
        let (escalated, differing): (i64, i64) = sqlx::query_as(&format!(
            "SELECT CAST(COALESCE(SUM(CASE WHEN {by_reminders} THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN COALESCE(c.escalated_clock = c.clock_start, FALSE) \
             <> {by_reminders} THEN 1 ELSE 0 END), 0) AS BIGINT) FROM cases c"
        ))
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(escalated > 10, "{escalated}");
        assert_eq!(differing, 0);

        let leader = crate::users::find_by_username(&pool, "leader")
            .await
            .unwrap()
            .unwrap();
        let counts = cases::board_counts(&pool, &leader, &Default::default(), now)
            .await
            .unwrap();
        let running: Vec<String> = Status::ALL
            .into_iter()
            .filter(|s| s.clock_runs())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let expected: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM cases c WHERE {by_reminders} AND c.status IN ({})",
            running.join(", ")
        ))
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(counts.escalated, expected);
    }

    #[tokio::test]
    async fn letters_go_to_overdue_cases_from_the_supervision_office_only() {
        let db = crate::testing::TestDb::new().await;
        let pool = db.pool.clone();
        let assigned_at = Utc::now() - Duration::days(4);
        let code = assigned_case(&pool, assigned_at).await;
        let leader = crate::users::find_by_username(&pool, "leader")
            .await
            .unwrap()
            .unwrap();
        let director = crate::users::find_by_username(&pool, "director")
            .await
            .unwrap()
            .unwrap();
        let now = Utc::now();

        let refused = issue_letter(&pool, &director, &code, "限期整改", 3, now).await;
        assert!(matches!(refused, Err(StoreError::Forbidden)));
        assert!(matches!(
            issue_letter(&pool, &leader, &code, " ", 3, now).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            issue_letter(&pool, &leader, &code, "限期整改", 0, now).await,
            Err(StoreError::Invalid(_))
        ));

        let first = issue_letter(
            &pool,
            &leader,
            &code,
            "请于3日内完成签收部署并书面回复",
            3,
            now,
        )
        .await
        .unwrap();
        let second = issue_letter(&pool, &leader, &code, "再次督办", 2, now)
            .await
            .unwrap();
        let year = now.with_timezone(&china()).year();
        assert_eq!(first.number, format!("吕督〔{year}〕1号"));
        assert_eq!(second.number, format!("吕督〔{year}〕2号"));
        assert_eq!(first.checkpoint, Checkpoint::Acknowledge);
        assert_eq!(first.unit.as_deref(), Some("离石区城市管理局"));
        assert_eq!(first.reply_by, now + Duration::days(3));
        assert_eq!(letters_for(&pool, &director, &code).await.unwrap().len(), 2);
        assert_eq!(
            letter_by_id(&pool, &director, first.id).await.unwrap(),
            first
        );
        let handler2 = crate::users::find_by_username(&pool, "handler2")
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            letter_by_id(&pool, &handler2, first.id).await,
            Err(StoreError::Forbidden)
        ));
        let kinds = cases::event_kinds(&pool, &code).await.unwrap();
        assert_eq!(kinds.iter().filter(|k| *k == "letter").count(), 2);

        // A case on track gets none.
        let fresh = new_assigned_case(&pool, Utc::now()).await;
        assert!(matches!(
            issue_letter(&pool, &leader, &fresh, "限期整改", 3, Utc::now()).await,
            Err(StoreError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn cases_without_a_running_clock_are_left_alone() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        remind(&pool, now).await.unwrap();
        let stray: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM reminders r JOIN cases c ON c.id = r.case_id \
             WHERE c.status IN ('closed', 'feedback_due', 'awaiting_rating', 'registered', 'consolidating', 'merged')",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(stray, 0);
        // The demo has overdue cases, and each reminder is in the timeline once.
        let (reminders, events): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM reminders), (SELECT COUNT(*) FROM case_events WHERE kind LIKE 'reminder.%')",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(reminders > 0);
        assert_eq!(reminders, events);
    }
}
