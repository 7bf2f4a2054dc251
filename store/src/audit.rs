//! The tamper-evident audit trail: an append-only table in which every entry
//! carries the hash of the previous one. Changing or removing a row breaks
//! the chain from there on, and [`verify`] names the first broken entry.

use crate::{Pool, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The chain's starting point (the head's hash before the first entry).
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One change, as the writer reports it.
pub struct Change<'a> {
    pub actor_user_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> Change<'a> {
    /// A change made by `by` to one entity; `before`/`after` come with [`Change::states`].
    pub fn by(
        by: &'a crate::events::By,
        action: &'a str,
        entity: &'a str,
        entity_id: impl Into<String>,
    ) -> Self {
        Self {
            actor_user_id: by.user_id,
            actor: &by.label,
            action,
            entity,
            entity_id: entity_id.into(),
            before: None,
            after: None,
        }
    }

    pub fn states(
        self,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Self {
        Self {
            before,
            after,
            ..self
        }
    }
}

/// JSON of a value for `before`/`after`.
pub fn json(v: &impl Serialize) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// Fields that carry words people wrote: a resident's name or phone can be
/// in them, and the hash-chained trail cannot be anonymised later.
const FREE_TEXT: [&str; 6] = [
    "note",
    "answer",
    "reason",
    "result",
    "comment",
    "description",
];

/// `v` as the trail keeps it: every free-text field reduced to how long it
/// was, so the trail says that something was written, not what.
pub fn without_free_text(v: Option<serde_json::Value>) -> Option<serde_json::Value> {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(fields) => {
                for (key, value) in fields.iter_mut() {
                    match value {
                        serde_json::Value::String(text) if FREE_TEXT.contains(&key.as_str()) => {
                            *value = serde_json::json!({ "chars": text.chars().count() });
                        }
                        other => strip(other),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    v.map(|mut v| {
        strip(&mut v);
        v
    })
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Entry {
    pub id: i64,
    pub at: String,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The hash over everything the entry says, chained to `prev_hash`.
    fn digest(&self) -> String {
        let fields = [
            self.id.to_string(),
            self.at.clone(),
            self.actor_user_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
            self.actor.clone(),
            self.action.clone(),
            self.entity.clone(),
            self.entity_id.clone(),
            self.before.clone().unwrap_or_default(),
            self.after.clone().unwrap_or_default(),
            self.prev_hash.clone(),
        ];
        let mut hash = Sha256::new();
        for f in fields {
            // Length-prefixed, so no two different entries hash the same text.
            hash.update((f.len() as u64).to_be_bytes());
            hash.update(f.as_bytes());
        }
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Appends `change` inside the caller's transaction, after its own writes.
pub async fn record(tx: &mut crate::db::Conn, change: Change<'_>, at: DateTime<Utc>) -> Result<()> {
    // Taking the head first serialises writers: the next id and the previous
    // hash come from the same locked row.
    let (id, prev_hash): (i64, String) = sqlx::query_as(
        "UPDATE audit_head SET last_id = last_id + 1 WHERE id = 1 RETURNING last_id, hash",
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut entry = Entry {
        id,
        at: at.to_rfc3339_opts(SecondsFormat::Micros, true),
        actor_user_id: change.actor_user_id,
        actor: change.actor.to_string(),
        action: change.action.to_string(),
        entity: change.entity.to_string(),
        entity_id: change.entity_id,
        before: change.before.map(|v| v.to_string()),
        after: change.after.map(|v| v.to_string()),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.digest();
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_user_id, actor, action, entity, entity_id, before, after, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(entry.id)
    .bind(&entry.at)
    .bind(entry.actor_user_id)
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.entity)
    .bind(&entry.entity_id)
    .bind(&entry.before)
    .bind(&entry.after)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&entry.hash)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The id of the latest audit entry: every change the store makes records
/// one, so a different head means something changed (one row, read by key).
pub async fn head(pool: &Pool) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT last_id FROM audit_head WHERE id = 1")
            .fetch_one(pool)
            .await?,
    )
}

/// Where the chain breaks, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The first entry that does not check out (for a missing entry, the id it should have had).
    pub id: i64,
    pub reason: &'static str,
}

const SELECT_ENTRY: &str = "SELECT id, at, actor_user_id, actor, action, entity, entity_id, before, after, \
     prev_hash, hash FROM audit_log";

/// Checks the whole chain: ids without gaps, each entry linked to the one
/// before and hashing to what it says, the head at the last entry. Returns
/// the number of entries, or the first break.
pub async fn verify(pool: &Pool) -> Result<std::result::Result<i64, Broken>> {
    let entries: Vec<Entry> = sqlx::query_as(&format!("{SELECT_ENTRY} ORDER BY id"))
        .fetch_all(pool)
        .await?;
    let mut prev = GENESIS.to_string();
    let mut expected_id = 1;
    for e in &entries {
        if e.id != expected_id {
            return Ok(Err(Broken {
                id: expected_id,
                reason: "entry missing",
            }));
        }
        if e.prev_hash != prev {
            return Ok(Err(Broken {
                id: e.id,
                reason: "not linked to the entry before it",
            }));
        }
        if e.digest() != e.hash {
            return Ok(Err(Broken {
                id: e.id,
                reason: "content changed after it was written",
            }));
        }
        prev = e.hash.clone();
        expected_id += 1;
    }
    let (last_id, head): (i64, String) =
        sqlx::query_as("SELECT last_id, hash FROM audit_head WHERE id = 1")
            .fetch_one(pool)
            .await?;
    if last_id != expected_id - 1 || head != prev {
        return Ok(Err(Broken {
            id: expected_id,
            reason: "entries missing at the end",
        }));
    }
    Ok(Ok(entries.len() as i64))
}

/// The entries about one thing (`entity`, `entity_id`), oldest first.
pub async fn for_entity(pool: &Pool, entity: &str, entity_id: &str) -> Result<Vec<Entry>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT_ENTRY} WHERE entity = $1 AND entity_id = $2 ORDER BY id"
    ))
    .bind(entity)
    .bind(entity_id)
    .fetch_all(pool)
    .await?)
}

/// The entries made by one user and those about their account, newest first.
pub(crate) async fn by_user(
    pool: &Pool,
    user_id: i64,
    username: &str,
    limit: i64,
) -> Result<Vec<Entry>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT_ENTRY} WHERE actor_user_id = $1 OR (entity = 'user' AND entity_id = $2) \
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(user_id)
    .bind(username)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo (on `TestDb::demo`) with its reminders.
    async fn demo(pool: &Pool) {
        crate::supervision::remind(pool, Utc::now()).await.unwrap();
    }

    #[tokio::test]
    async fn every_case_change_is_in_an_intact_chain() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        demo(&pool).await;
        let entries = verify(&pool).await.unwrap().unwrap();
        let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM case_events")
            .fetch_one(&pool)
            .await
            .unwrap();
        // Every timeline event (registrations, actions, reminders, letters,
        // escalated items' notes) has its entry; the rest are about other
        // things (the demo's API key, the escalated item, the sessions).
        let others: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE entity <> 'case'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert!(others >= 3, "key, item and session entries");
        assert_eq!(entries, events + others);
        let code: String = sqlx::query_scalar(
            "SELECT code FROM cases WHERE status = 'closed' ORDER BY id LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let history = for_entity(&pool, "case", &code).await.unwrap();
        assert_eq!(history[0].action, "case.registered");
        assert!(history[0].before.is_none() && history[0].after.is_some());
        let last = history.last().unwrap();
        assert!(last.before.as_deref().unwrap().contains("\"status\""));
        assert!(last.after.as_deref().unwrap().contains("\"closed\""));
        let director: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'director'")
            .fetch_one(&pool)
            .await
            .unwrap();
        let theirs = by_user(&pool, director, "director", 1000).await.unwrap();
        assert!(!theirs.is_empty() && theirs.iter().all(|e| e.actor_user_id == Some(director)));
    }

    #[tokio::test]
    async fn editing_or_deleting_a_row_is_found_and_named() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        demo(&pool).await;
        let total = verify(&pool).await.unwrap().unwrap();
        assert!(total > 20);

        // Someone with database access softens a record.
        sqlx::query("UPDATE audit_log SET after = '{\"rating\":\"satisfied\"}' WHERE id = 17")
            .execute(&pool)
            .await
            .unwrap();
        let broken = verify(&pool).await.unwrap().unwrap_err();
        assert_eq!(
            broken,
            Broken {
                id: 17,
                reason: "content changed after it was written"
            }
        );

        // Recomputing that row's hash does not help: the next one no longer links.
        let mut row: Entry = sqlx::query_as(&format!("{SELECT_ENTRY} WHERE id = 17"))
            .fetch_one(&pool)
            .await
            .unwrap();
        row.hash = row.digest();
        sqlx::query("UPDATE audit_log SET hash = $1 WHERE id = 17")
            .bind(&row.hash)
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(verify(&pool).await.unwrap().unwrap_err().id, 18);

        // A deleted row is named by the id it had.
        let fresh = pool.clone();
        sqlx::query("DELETE FROM audit_log WHERE id >= 17")
            .execute(&fresh)
            .await
            .unwrap();
        assert_eq!(
            verify(&fresh).await.unwrap().unwrap_err(),
            Broken {
                id: 17,
                reason: "entries missing at the end"
            }
        );
    }

    #[tokio::test]
    async fn a_deleted_row_in_the_middle_is_found() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        demo(&pool).await;
        sqlx::query("DELETE FROM audit_log WHERE id = 5")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(
            verify(&pool).await.unwrap().unwrap_err(),
            Broken {
                id: 5,
                reason: "entry missing"
            }
        );
    }
}
