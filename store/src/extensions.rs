//! Extensions (延期): a unit asks for more days on the completion deadline
//! with a reason; the supervision office approves or refuses. The deadline
//! moves only on approval (see `DeadlinePolicy::checkpoints`), and only for the clock
//! it was asked for — rework starts a new clock without it.

use crate::access;
use crate::audit::{self, Change};
use crate::cases::{CaseRow, load_for};
use crate::db::Stored;
use crate::events::{By, insert_event};
use crate::users::UserRow;
use crate::{Pool, Result, StoreError};
use chrono::{DateTime, Utc};
use domain::deadline::Verdict;
use domain::view::{Extension, ExtensionStatus};
use domain::{Actor, Permission, TrackingCode};

/// Most days one request may ask for (the 13710 month for complex matters
/// is the longest clock).
pub const MAX_DAYS: i64 = 30;
pub const MAX_REASON: usize = 500;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    days: i64,
    reason: String,
    #[sqlx(try_from = "crate::db::Code<ExtensionStatus>")]
    status: ExtensionStatus,
    #[sqlx(try_from = "crate::db::Stamp")]
    requested_at: DateTime<Utc>,
    note: String,
}

impl Row {
    fn view(self) -> Extension {
        Extension {
            id: self.id,
            days: self.days,
            reason: self.reason,
            status: self.status,
            requested_at: self.requested_at,
            note: self.note,
        }
    }
}

/// The requests made for the case's current clock, oldest first.
pub async fn for_case(pool: &Pool, case: &CaseRow) -> Result<Vec<Extension>> {
    let Some(start) = case.state.clock_start else {
        return Ok(vec![]);
    };
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, days, reason, status, requested_at, note FROM extensions \
         WHERE case_id = $1 AND clock_start = $2 ORDER BY id",
    )
    .bind(case.id)
    .bind(start.stored())
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Row::view).collect())
}

/// Whether the unit holding the case may ask now: its clock runs, the case
/// is with the unit, and no request waits for a decision.
pub fn may_request(case: &CaseRow, pending: bool) -> bool {
    use domain::Status as S;
    matches!(case.state.status, S::AwaitingAck | S::InProgress) && !pending
}

/// Notes a request or decision in the case's timeline and the audit trail.
async fn note(
    tx: &mut crate::db::Tx<'_>,
    case: &CaseRow,
    by: &By,
    kind: &str,
    payload: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    let status = case.state.status;
    let text = payload.to_string();
    insert_event(tx, case.id, kind, Some(status), status, by, &text, now).await?;
    let action = format!("case.{kind}");
    audit::record(
        tx,
        Change::by(by, &action, "case", case.code.clone()).states(None, Some(payload)),
        now,
    )
    .await
}

/// The unit asks for `days` more days on the completion deadline.
pub async fn request(
    pool: &Pool,
    user: &UserRow,
    code: &TrackingCode,
    days: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Extension> {
    let case = load_for(pool, user, code).await?;
    if !access::capacities(user, &case.facts()).contains(&Actor::Unit) {
        return Err(StoreError::Forbidden);
    }
    let reason = reason.trim();
    let mut errors = Vec::new();
    if !(1..=MAX_DAYS).contains(&days) {
        errors.push(domain::FieldError::new("days", "out_of_range"));
    }
    if reason.is_empty() {
        errors.push(domain::FieldError::new("reason", "required"));
    } else if reason.chars().count() > MAX_REASON {
        errors.push(domain::FieldError::new("reason", "too_long"));
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let pending = for_case(pool, &case)
        .await?
        .iter()
        .any(|e| e.status == ExtensionStatus::Pending);
    let Some(start) = case
        .state
        .clock_start
        .filter(|_| may_request(&case, pending))
    else {
        return Err(StoreError::invalid("case", "no_extension"));
    };
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO extensions (case_id, clock_start, days, reason, requested_by, requested_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(case.id)
    .bind(start.stored())
    .bind(days)
    .bind(reason)
    .bind(user.id)
    .bind(now.stored())
    .fetch_one(&mut *tx)
    .await?;
    let payload = serde_json::json!({ "days": days, "reason": reason });
    note(&mut tx, &case, &by, "extension_requested", payload, now).await?;
    tx.commit().await?;
    Ok(Extension {
        id,
        days,
        reason: reason.to_string(),
        status: ExtensionStatus::Pending,
        requested_at: now,
        note: String::new(),
    })
}

/// The supervision office approves (the deadline moves) or refuses the
/// waiting request.
pub async fn decide(
    pool: &Pool,
    user: &UserRow,
    code: &TrackingCode,
    verdict: Verdict,
    note: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let case = load_for(pool, user, code).await?;
    if !access::scope_for(user, Permission::DecideExtension).covers(&case.facts()) {
        return Err(StoreError::Forbidden);
    }
    let note = note.trim();
    if note.chars().count() > MAX_REASON {
        return Err(StoreError::invalid("note", "too_long"));
    }
    let pending = for_case(pool, &case)
        .await?
        .into_iter()
        .find(|e| e.status == ExtensionStatus::Pending)
        .ok_or_else(|| StoreError::invalid("case", "no_extension"))?;
    let decision = match verdict {
        Verdict::Approve => ExtensionStatus::Approved,
        Verdict::Refuse => ExtensionStatus::Refused,
    };
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    // Only a request still pending is decided: a second decision finds none.
    let done = sqlx::query(
        "UPDATE extensions SET status = $1, decided_by = $2, decided_at = $3, note = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(decision.as_str())
    .bind(user.id)
    .bind(now.stored())
    .bind(note)
    .bind(pending.id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict);
    }
    let payload = serde_json::json!({ "days": pending.days, "note": note });
    let kind = format!("extension_{}", decision.as_str());
    self::note(&mut tx, &case, &by, &kind, payload, now).await?;
    if verdict == Verdict::Approve {
        crate::deadlines::refresh(&mut tx, case.id).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::casefile::detail;
    use crate::cases::list;
    use domain::{Checkpoint, Status};

    use crate::testing::user;

    fn completion(d: &domain::view::CaseDetail) -> DateTime<Utc> {
        d.checkpoints
            .iter()
            .find(|c| c.checkpoint == Checkpoint::Completion)
            .unwrap()
            .due
    }

    #[tokio::test]
    async fn the_deadline_moves_only_when_the_supervisor_approves() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let (handler, director, leader) = (
            user(&pool, "handler").await,
            user(&pool, "director").await,
            user(&pool, "leader").await,
        );
        let case = list(&pool, &handler, &Default::default(), now)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.status == Status::InProgress)
            .expect("the handler has a case in progress");
        let code = TrackingCode::parse(&case.code).unwrap();
        let due = completion(&detail(&pool, &handler, &code, now).await.unwrap());

        // Bad input names the fields; a director cannot ask in the unit's place.
        match request(&pool, &handler, &code, 0, " ", now).await {
            Err(StoreError::Invalid(e)) => {
                let fields: Vec<_> = e.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(fields, ["days", "reason"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            request(&pool, &director, &code, 5, "材料未到", now).await,
            Err(StoreError::Forbidden)
        ));
        request(&pool, &handler, &code, 5, "需协调供电公司停电施工", now)
            .await
            .unwrap();
        // One request at a time; nothing moves while it waits.
        assert!(matches!(
            request(&pool, &handler, &code, 3, "再延", now).await,
            Err(StoreError::Invalid(_))
        ));
        let d = detail(&pool, &leader, &code, now).await.unwrap();
        assert_eq!(completion(&d), due);
        assert_eq!(
            d.extensions.last().unwrap().status,
            ExtensionStatus::Pending
        );
        assert!(d.can_decide_extension && !d.can_request_extension);

        // Only the supervision office decides.
        assert!(matches!(
            decide(&pool, &director, &code, Verdict::Approve, "", now).await,
            Err(StoreError::Forbidden)
        ));
        decide(&pool, &leader, &code, Verdict::Refuse, "理由不充分", now)
            .await
            .unwrap();
        assert_eq!(
            completion(&detail(&pool, &handler, &code, now).await.unwrap()),
            due
        );
        request(&pool, &handler, &code, 5, "需协调供电公司停电施工", now)
            .await
            .unwrap();
        decide(&pool, &leader, &code, Verdict::Approve, "同意", now)
            .await
            .unwrap();
        let d = detail(&pool, &handler, &code, now).await.unwrap();
        assert_eq!(completion(&d), due + chrono::Duration::days(5));
        let kinds: Vec<_> = d.timeline.iter().map(|e| e.kind.as_str()).collect();
        for k in [
            "extension_requested",
            "extension_refused",
            "extension_approved",
        ] {
            assert!(kinds.contains(&k), "{kinds:?}");
        }
        assert!(matches!(
            decide(&pool, &leader, &code, Verdict::Approve, "", now).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(crate::audit::verify(&pool).await.unwrap().is_ok());
    }
}
