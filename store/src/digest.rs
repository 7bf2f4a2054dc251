//! The daily digest of what waits for a staff member (每日待办摘要), by
//! e-mail, for those who give an address and ask for it. Which day's digest
//! went out is kept on the account: an instance claims a user's day by
//! moving `digest_day` forward in one conditional update, so several
//! instances send each digest once; when the mail server fails for a while
//! it gives the day back and a later round tries again.

use crate::audit::{self, Change};
use crate::events::By;
use crate::users::UserRow;
use crate::{Pool, Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use domain::account::MailSettings;

/// The user's address and whether they want the digest.
pub async fn settings(pool: &Pool, user_id: i64) -> Result<MailSettings> {
    let (email, digest): (String, i64) =
        sqlx::query_as("SELECT email, digest FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound)?;
    Ok(MailSettings {
        email,
        digest: digest != 0,
    })
}

/// The user sets their address and digest. The audit trail notes whether
/// an address is set, not the address: it keeps no copy of it.
pub async fn save_settings(
    pool: &Pool,
    user: &UserRow,
    settings: MailSettings,
    now: DateTime<Utc>,
) -> Result<MailSettings> {
    let settings = settings
        .validate()
        .map_err(|e| StoreError::Invalid(vec![e]))?;
    let before = self::settings(pool, user.id).await?;
    let noted = |s: &MailSettings| serde_json::json!({ "email_set": !s.email.is_empty(), "digest": s.digest });
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE users SET email = $1, digest = $2 WHERE id = $3")
        .bind(&settings.email)
        .bind(i64::from(settings.digest))
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    let by = By::user(user);
    audit::record(
        &mut tx,
        Change::by(&by, "user.mail_settings", "user", &user.username)
            .states(Some(noted(&before)), Some(noted(&settings))),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(settings)
}

/// A digest this instance has claimed: to send to `email`.
#[derive(Debug)]
pub struct Due {
    pub user: UserRow,
    pub email: String,
    /// The day claimed before this one, given back if sending fails.
    previous: Option<String>,
}

fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// Claims up to `limit` digests of `day` (China time) not yet claimed:
/// enabled accounts that asked for one and have an address. A digest
/// claimed here is no other instance's.
pub async fn claim(pool: &Pool, day: NaiveDate, limit: i64) -> Result<Vec<Due>> {
    let key = day_key(day);
    let waiting: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT id, email, digest_day FROM users WHERE digest = 1 AND email <> '' \
         AND disabled_at IS NULL AND (digest_day IS NULL OR digest_day < $1) ORDER BY id LIMIT $2",
    )
    .bind(&key)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let mut due = Vec::with_capacity(waiting.len());
    for (id, email, previous) in waiting {
        let claimed = sqlx::query(
            "UPDATE users SET digest_day = $1 WHERE id = $2 AND digest = 1 \
             AND (digest_day IS NULL OR digest_day < $1)",
        )
        .bind(&key)
        .bind(id)
        .execute(pool)
        .await?;
        if claimed.rows_affected() == 1
            && let Some(user) = crate::users::find_by_id(pool, id).await?
        {
            due.push(Due {
                user,
                email,
                previous,
            });
        }
    }
    Ok(due)
}

/// Gives a claimed digest back (the mail server failed for a while), so a
/// later round sends it.
pub async fn give_back(pool: &Pool, due: &Due, day: NaiveDate) -> Result<()> {
    sqlx::query("UPDATE users SET digest_day = $1 WHERE id = $2 AND digest_day = $3")
        .bind(&due.previous)
        .bind(due.user.id)
        .bind(day_key(day))
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestDb, user};

    #[tokio::test]
    async fn each_days_digest_is_claimed_once_across_instances_and_can_be_given_back() {
        let db = TestDb::demo().await;
        let pool = &db.pool;
        let now = Utc::now();
        let director = user(pool, "director").await;
        let handler = user(pool, "handler").await;
        let refused = save_settings(
            pool,
            &director,
            MailSettings {
                email: "wang@lvliang".into(),
                digest: true,
            },
            now,
        )
        .await;
        assert!(matches!(refused, Err(StoreError::Invalid(_))));
        for (u, email) in [(&director, "director@lvliang.gov.cn"), (&handler, "")] {
            save_settings(
                pool,
                u,
                MailSettings {
                    email: email.into(),
                    digest: !email.is_empty(),
                },
                now,
            )
            .await
            .unwrap();
        }
        assert_eq!(
            settings(pool, director.id).await.unwrap(),
            MailSettings {
                email: "director@lvliang.gov.cn".into(),
                digest: true
            }
        );
        let audit = crate::audit::for_entity(pool, "user", "director")
            .await
            .unwrap();
        let noted = audit
            .iter()
            .find(|e| e.action == "user.mail_settings")
            .unwrap();
        assert!(!noted.after.as_deref().unwrap().contains("lvliang.gov.cn"));

        // Two instances claim the day's digests at once: each goes out once.
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let other = crate::db::connect(&db.url).await.expect("second pool");
        let (a, b) = tokio::join!(claim(pool, day, 50), claim(&other, day, 50));
        let claimed: Vec<i64> = a
            .unwrap()
            .iter()
            .chain(&b.unwrap())
            .map(|d| d.user.id)
            .collect();
        assert_eq!(claimed, [director.id]);
        assert!(claim(pool, day, 50).await.unwrap().is_empty());

        // The next day's is due again; given back, it is due once more.
        let next = day.succ_opt().unwrap();
        let due = claim(pool, next, 50).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].email, "director@lvliang.gov.cn");
        give_back(pool, &due[0], next).await.unwrap();
        assert_eq!(claim(pool, next, 50).await.unwrap().len(), 1);

        // A disabled account or one that stopped asking gets none.
        let later = next.succ_opt().unwrap();
        save_settings(
            pool,
            &director,
            MailSettings {
                email: "director@lvliang.gov.cn".into(),
                digest: false,
            },
            now,
        )
        .await
        .unwrap();
        assert!(claim(pool, later, 50).await.unwrap().is_empty());
    }
}
