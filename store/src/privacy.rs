//! Data protection: residents' contact details do not outlive their use.

use crate::db::Stored;
use crate::{Pool, Result, audit};
use chrono::{DateTime, Duration, Utc};

/// Who the timeline names for the job.
const JOB: &str = "个人信息保护任务";
/// What replaces a resident's name.
const ANONYMOUS: &str = "（已匿名）";

/// Cases read per round, so a backlog of half a million closed cases never
/// sits in memory at once (a handful in the unit tests, so every test of
/// the job crosses batch boundaries).
#[cfg(not(test))]
const BATCH: i64 = 500;
#[cfg(test)]
const BATCH: i64 = 7;

/// Removes the personal data of cases closed more than `after_days` days
/// ago: the resident's name and phone, what an Open311 client sent with the
/// request, and names, phone and ID numbers and room numbers wherever
/// words were written about the case (description, title, result, every
/// note of its timeline). Each case gets an `anonymised` entry in its
/// timeline and the audit trail (which never held the data: see
/// `audit::without_free_text`). Wishes struck off or withdrawn that long
/// ago lose their resident's contact, and party members refused or
/// disabled that long ago their phone and address. Returns how many cases
/// it anonymised; a second run finds none. It works in batches and can be
/// stopped at any point: what is done stays done.
pub async fn anonymise(pool: &Pool, after_days: i64, now: DateTime<Utc>) -> Result<usize> {
    let cutoff = now - Duration::days(after_days);
    let mut done = 0;
    loop {
        let due: Vec<DueCase> = sqlx::query_as(
            "SELECT id, code, status, resident_name, resident_phone, resident_email, title, description, \
             result FROM cases \
             WHERE closed_at IS NOT NULL AND closed_at < $1 AND anonymised_at IS NULL ORDER BY id LIMIT $2",
        )
        .bind(cutoff.stored())
        .bind(BATCH)
        .fetch_all(pool)
        .await?;
        for case in &due {
            anonymise_case(pool, case, after_days, now).await?;
        }
        done += due.len();
        if (due.len() as i64) < BATCH {
            break;
        }
    }
    anonymise_wishes(pool, cutoff).await?;
    anonymise_members(pool, cutoff).await?;
    Ok(done)
}

#[derive(sqlx::FromRow)]
struct DueCase {
    id: i64,
    code: String,
    #[sqlx(try_from = "crate::db::Code<domain::Status>")]
    status: domain::Status,
    resident_name: String,
    resident_phone: String,
    resident_email: String,
    title: String,
    description: String,
    result: Option<String>,
}

async fn anonymise_case(
    pool: &Pool,
    case: &DueCase,
    after_days: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let clean = |text: &str| {
        scrub(
            text,
            &case.resident_name,
            &[&case.resident_phone, &case.resident_email],
        )
    };
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE cases SET resident_name = $1, resident_phone = '', resident_email = '', title = $2, \
         description = $3, \
         result = $4, anonymised_at = $5 WHERE id = $6",
    )
    .bind(ANONYMOUS)
    .bind(clean(&case.title))
    .bind(clean(&case.description))
    .bind(case.result.as_deref().map(clean))
    .bind(now.stored())
    .bind(case.id)
    .execute(&mut *tx)
    .await?;
    clean_rows(&mut tx, "case_events", "payload", "case_id", case.id, clean).await?;
    crate::photos::remove_residents(&mut tx, case.id, now).await?;
    sqlx::query(
        "UPDATE open311_requests SET email = '', device_id = '', account_id = '', media_url = '', \
         lat = NULL, lon = NULL WHERE case_id = $1",
    )
    .bind(case.id)
    .execute(&mut *tx)
    .await?;
    let payload = serde_json::json!({ "after_days": after_days }).to_string();
    let status = case.status;
    crate::events::insert_event(
        &mut tx,
        case.id,
        "anonymised",
        Some(status),
        status,
        &crate::events::By::named(JOB),
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
            entity_id: case.code.clone(),
            before: None,
            after: serde_json::from_str(&payload).ok(),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `text` without the resident's name and numbers (`mask::redact`), and
/// without their phone as they gave it, however short.
fn scrub(text: &str, name: &str, contacts: &[&str]) -> String {
    let mut text = domain::mask::redact(text, &[name]);
    for contact in contacts.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        text = text.replace(contact, "***");
    }
    text
}

/// Rewrites `column` of the rows of `table` whose `owner` is `id` where
/// `clean` changes it (names are this module's constants, never input).
async fn clean_rows(
    tx: &mut crate::db::Conn,
    table: &str,
    column: &str,
    owner: &str,
    id: i64,
    clean: impl Fn(&str) -> String,
) -> Result<()> {
    let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT id, {column} FROM {table} WHERE {owner} = $1"
    ))
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    for (row, text) in rows {
        let cleaned = clean(&text);
        if cleaned != text {
            sqlx::query(&format!("UPDATE {table} SET {column} = $1 WHERE id = $2"))
                .bind(cleaned)
                .bind(row)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

/// Wishes struck off (or withdrawn) before `cutoff` keep what was wished
/// for, not who wished it.
async fn anonymise_wishes(pool: &Pool, cutoff: DateTime<Utc>) -> Result<()> {
    loop {
        let due: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT id, resident_name, resident_phone, title, detail FROM wishes \
             WHERE status IN ('confirmed', 'withdrawn') AND updated_at < $1 AND resident_name <> $2 \
             ORDER BY id LIMIT $3",
        )
        .bind(cutoff.stored())
        .bind(ANONYMOUS)
        .bind(BATCH)
        .fetch_all(pool)
        .await?;
        for (id, name, phone, title, detail) in &due {
            let clean = |text: &str| scrub(text, name, &[phone]);
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE wishes SET resident_name = $1, resident_phone = '', title = $2, detail = $3 WHERE id = $4",
            )
            .bind(ANONYMOUS)
            .bind(clean(title))
            .bind(clean(detail))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            clean_rows(&mut tx, "wish_events", "note", "wish_id", *id, clean).await?;
            tx.commit().await?;
        }
        if (due.len() as i64) < BATCH {
            return Ok(());
        }
    }
}

/// Party members refused, or whose account was disabled, before `cutoff`
/// keep their service record, not their phone and home address.
async fn anonymise_members(pool: &Pool, cutoff: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "UPDATE party_members SET phone = '', address = '' \
         WHERE phone <> '' AND ((status = 'refused' AND decided_at < $1) \
           OR user_id IN (SELECT id FROM users WHERE disabled_at IS NOT NULL AND disabled_at < $1))",
    )
    .bind(cutoff.stored())
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row of every table, as text.
    async fn everything(pool: &Pool) -> String {
        let mut all = String::new();
        for table in crate::backup::tables(pool).await.unwrap() {
            let rows = sqlx::query(&format!("SELECT * FROM {}", crate::backup::ident(&table)))
                .fetch_all(pool)
                .await
                .unwrap();
            for row in rows {
                all.push_str(&table);
                all.push_str(&crate::backup::row_text(&row).unwrap());
                all.push('\n');
            }
        }
        all
    }

    #[tokio::test]
    async fn an_anonymised_case_leaves_its_residents_name_phone_and_address_nowhere() {
        use domain::{Action, NewCase, Rating, Source, Tier, TrackingCode};
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let director = crate::users::find_by_username(&pool, "director")
            .await
            .unwrap()
            .unwrap();
        let (region, category) = crate::testing::compound_and_category(&pool, &director).await;
        let (name, phone, email) = ("欧阳春晓", "13987654321", "ouyang.cx@example.cn");
        let description =
            format!("我是{name}，电话{phone}，邮箱{email}，住3单元1517室，楼道灯坏了");
        let receipt = crate::cases::create(
            &pool,
            &NewCase {
                title: NewCase::title_from(&description),
                description: description.clone(),
                category_id: category,
                region_id: region,
                station_id: None,
                source: Source::WalkIn,
                resident_name: name.into(),
                resident_phone: phone.into(),
                resident_email: email.into(),
                notify: true,
            },
            Some(&director),
            now,
        )
        .await
        .unwrap();
        let code = TrackingCode::parse(&receipt.code).unwrap();
        for action in [
            Action::StartConsolidation,
            Action::HandleLocally {
                tier: Tier::Grid,
                note: format!("已电话联系{name}（{phone}）"),
            },
            Action::CompleteLocally {
                result: format!("已为{name}家门口更换灯泡"),
            },
            Action::RecordFeedback {
                note: format!("已告知{name}，电话 139 8765 4321"),
            },
        ] {
            crate::cases::act(&pool, &director, &code, &action, now)
                .await
                .unwrap();
        }
        crate::cases::rate(
            &pool,
            &code,
            Rating::Satisfied,
            &format!("谢谢，{name}"),
            now,
        )
        .await
        .unwrap();
        let before = everything(&pool).await;
        assert!(
            before.contains(name) && before.contains(phone) && before.contains(email),
            "the case was written"
        );

        let later = now + Duration::days(400);
        assert!(anonymise(&pool, 365, later).await.unwrap() > 0);
        let after = everything(&pool).await;
        for private in [name, phone, email, "139 8765 4321", "1517室"] {
            let at: Vec<&str> = after.lines().filter(|l| l.contains(private)).collect();
            assert!(at.is_empty(), "{private} is still in {at:#?}");
        }
        // The audit trail is unbroken: it never held the data.
        assert!(crate::audit::verify(&pool).await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn closed_cases_lose_contact_details_after_the_period_once() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
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
             AND (resident_name <> '（已匿名）' OR resident_phone <> '' OR resident_email <> '' \
             OR anonymised_at IS NULL)",
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
