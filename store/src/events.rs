//! Case events: who acted (`By`), the event written with every change of a
//! case, and the channel that tells every instance of it. Below every module
//! that changes a case, so none of them needs the case module for it.

use crate::Result;
use crate::db::{Pool, Stored};
use chrono::{DateTime, Utc};
use domain::Status;

/// Who an event is recorded against: a staff account, or a label alone
/// (the resident, a scheduled job, imported history).
#[derive(Debug, Clone)]
pub struct By {
    pub user_id: Option<i64>,
    pub label: String,
}

impl By {
    pub fn resident() -> Self {
        Self::named("居民")
    }

    pub fn named(label: &str) -> Self {
        Self {
            user_id: None,
            label: label.into(),
        }
    }
}

/// The PostgreSQL channel told of every new case event, so boards on every
/// instance refresh at once instead of waiting for their next look.
pub const EVENTS_CHANNEL: &str = "lianxin_case_events";

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_event(
    tx: &mut crate::db::Tx<'_>,
    case_id: i64,
    kind: &str,
    from: Option<Status>,
    to: Status,
    by: &By,
    payload: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_events (case_id, kind, from_status, to_status, actor_user_id, actor_label, payload, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(case_id)
    .bind(kind)
    .bind(from.map(|s| s.as_str()))
    .bind(to.as_str())
    .bind(by.user_id)
    .bind(&by.label)
    .bind(payload)
    .bind(at.stored())
    .execute(&mut **tx)
    .await?;
    if tx.backend_name() == "PostgreSQL" {
        // Delivered when (and only if) the transaction commits; several in
        // one transaction arrive as one.
        sqlx::query(&format!("NOTIFY {EVENTS_CHANNEL}"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub(crate) kind: String,
    #[sqlx(try_from = "crate::db::MaybeCode<Status>")]
    pub(crate) from_status: Option<Status>,
    #[sqlx(try_from = "crate::db::Code<Status>")]
    pub(crate) to_status: Status,
    pub(crate) actor_label: String,
    pub(crate) payload: String,
    #[sqlx(try_from = "crate::db::Stamp")]
    pub(crate) at: DateTime<Utc>,
}

/// A case's events, oldest first.
pub(crate) async fn of_case(pool: &Pool, case_id: i64) -> Result<Vec<EventRow>> {
    Ok(sqlx::query_as(
        "SELECT kind, from_status, to_status, actor_label, payload, at FROM case_events \
         WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?)
}

/// The newest event's id (0 when there is none).
pub async fn last_event_id(pool: &Pool) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM case_events")
            .fetch_one(pool)
            .await?,
    )
}

/// Events after `after`, oldest first: (event id, case code, acting user).
pub async fn events_since(
    pool: &Pool,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, Option<i64>)>> {
    Ok(sqlx::query_as(
        "SELECT e.id, c.code, e.actor_user_id FROM case_events e JOIN cases c ON c.id = e.case_id \
         WHERE e.id > $1 ORDER BY e.id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
