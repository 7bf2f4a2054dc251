//! Data protection: residents' contact details do not outlive their use.

use crate::db::Stored;
use crate::{Pool, Result, audit};
use chrono::{DateTime, Duration, Utc};

/// Who the timeline names for the job.
const JOB: &str = "个人信息保护任务";
/// What replaces a resident's name.
const ANONYMOUS: &str = "（已匿名）";

/// Removes the contact details of cases closed more than `after_days` days
/// ago: the resident's name and phone, what an Open311 client sent with the
/// request, and names and numbers in the description. Each case gets an
/// `anonymised` entry in its timeline and the audit trail. Returns how many
/// cases it anonymised; a second run finds none.
pub async fn anonymise(pool: &Pool, after_days: i64, now: DateTime<Utc>) -> Result<usize> {
    let cutoff = now - Duration::days(after_days);
    let due: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT id, code, status, resident_name, description FROM cases \
         WHERE closed_at IS NOT NULL AND closed_at < $1 AND anonymised_at IS NULL ORDER BY id",
    )
    .bind(cutoff.stored())
    .fetch_all(pool)
    .await?;
    for (id, code, status, name, description) in &due {
        let mut tx = pool.begin().await?;
        let redacted = domain::mask::redact(description, &[name]);
        sqlx::query(
            "UPDATE cases SET resident_name = $1, resident_phone = '', description = $2, anonymised_at = $3 \
             WHERE id = $4",
        )
        .bind(ANONYMOUS)
        .bind(&redacted)
        .bind(now.stored())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE open311_requests SET email = '', device_id = '', account_id = '', media_url = '', \
             lat = NULL, lon = NULL WHERE case_id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let payload = serde_json::json!({ "after_days": after_days }).to_string();
        let status = domain::Status::parse(status).unwrap_or(domain::Status::Closed);
        crate::cases::insert_event(
            &mut tx,
            *id,
            "anonymised",
            Some(status),
            status,
            &crate::cases::By::named(JOB),
            &payload,
            now,
        )
        .await?;
        // The audit trail records that it happened, not what was removed.
        audit::record(
            &mut tx,
            audit::Change {
                actor_user_id: None,
                actor: JOB,
                action: "case.anonymised",
                entity: "case",
                entity_id: code.clone(),
                before: None,
                after: serde_json::from_str(&payload).ok(),
            },
            now,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(due.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn closed_cases_lose_contact_details_after_the_period_once() {
        let db = crate::testing::TestDb::new().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        crate::demo::load(&pool, false, now).await.unwrap();
        let closed: Vec<(String, String)> =
            sqlx::query_as("SELECT code, resident_phone FROM cases WHERE closed_at IS NOT NULL")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert!(!closed.is_empty());
        // Nothing is old enough under the default year.
        assert_eq!(anonymise(&pool, 365, now).await.unwrap(), 0);

        let later = now + Duration::days(400);
        assert_eq!(anonymise(&pool, 365, later).await.unwrap(), closed.len());
        assert_eq!(anonymise(&pool, 365, later).await.unwrap(), 0);
        let left: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cases WHERE closed_at IS NOT NULL \
             AND (resident_name <> '（已匿名）' OR resident_phone <> '' OR anonymised_at IS NULL)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(left, 0);
        for (_, phone) in &closed {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE description LIKE $1")
                .bind(format!("%{phone}%"))
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(n, 0);
        }
        let (code, _) = &closed[0];
        let kinds = crate::cases::event_kinds(&pool, &domain::TrackingCode::parse(code).unwrap())
            .await
            .unwrap();
        assert_eq!(kinds.last().map(String::as_str), Some("anonymised"));
        // Open cases keep theirs.
        let open_named: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cases WHERE closed_at IS NULL AND resident_name <> '（已匿名）'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(open_named > 0);
        assert!(crate::audit::verify(&pool).await.unwrap().is_ok());
    }
}
