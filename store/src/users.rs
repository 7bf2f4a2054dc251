//! Staff accounts. A `UserRow` holds the password hash and is never serialised;
//! pages receive `domain::view::UserInfo`.

use crate::{Pool, Result, StoreError};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use chrono::{DateTime, Utc};
use domain::Role;
use domain::view::UserInfo;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub region_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub station_id: Option<i64>,
    /// The region's materialised path, for scope checks.
    pub region_path: Option<String>,
    /// Name of where they work, for the header.
    pub place: Option<String>,
}

impl UserRow {
    pub fn role(&self) -> Role {
        // An unknown role string can only come from a hand-edited row; it gets
        // the narrowest role.
        Role::parse(&self.role).unwrap_or(Role::GridWorker)
    }

    pub fn info(&self) -> UserInfo {
        UserInfo {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role(),
            place: self.place.clone(),
        }
    }
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub region_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub station_id: Option<i64>,
}

pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| StoreError::invalid("password", "unusable"))
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

const SELECT_USER: &str = "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, \
     u.region_id, u.unit_id, u.station_id, r.path AS region_path, \
     COALESCE(un.name, s.name, r.name) AS place \
     FROM users u \
     LEFT JOIN regions r ON r.id = u.region_id \
     LEFT JOIN units un ON un.id = u.unit_id \
     LEFT JOIN stations s ON s.id = u.station_id";

pub async fn create_user(pool: &Pool, u: NewUser<'_>) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, role, region_id, unit_id, station_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(u.username)
    .bind(u.display_name)
    .bind(u.password_hash)
    .bind(u.role.as_str())
    .bind(u.region_id)
    .bind(u.unit_id)
    .bind(u.station_id)
    .bind(Utc::now())
    .fetch_one(pool)
    .await?;
    Ok(id)
}

pub async fn find_by_username(pool: &Pool, username: &str) -> Result<Option<UserRow>> {
    let sql = format!("{SELECT_USER} WHERE u.username = $1");
    Ok(sqlx::query_as(&sql)
        .bind(username)
        .fetch_optional(pool)
        .await?)
}

pub async fn find_by_id(pool: &Pool, id: i64) -> Result<Option<UserRow>> {
    let sql = format!("{SELECT_USER} WHERE u.id = $1");
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?)
}

/// The user if the password matches. A missing user still costs a hash
/// verification so timing does not reveal which usernames exist.
pub async fn authenticate(pool: &Pool, username: &str, password: &str) -> Result<Option<UserRow>> {
    let user = find_by_username(pool, username.trim()).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| {
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Vh5u1Y3d2JxQ2Q1b3pYbW1hT3N6a3l6bFhtS0F0Rk0".into()
    });
    let ok = verify_password(&hash, password);
    Ok(user.filter(|_| ok))
}

/// Failed sign-ins an account may have within [`THROTTLE_WINDOW_MINUTES`] before it waits.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed sign-ins one address may have within the window (people share
/// addresses behind an office's gateway, so more than per account).
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// Seconds until `username` may try again from `ip`, or None when it may now:
/// too many recent failures for the account or the address make it wait until
/// the oldest of them leaves the window.
pub async fn login_wait(
    pool: &Pool,
    username: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let window = chrono::Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let since = now - window;
    let mut wait = None;
    for (column, key, max) in [
        ("username", username.trim(), MAX_FAILURES_PER_ACCOUNT),
        ("ip", ip, MAX_FAILURES_PER_ADDRESS),
    ] {
        // The max-th newest failure: once it is out of the window, there is room again.
        let oldest_counted: Option<DateTime<Utc>> = sqlx::query_scalar(&format!(
            "SELECT at FROM login_failures WHERE {column} = $1 AND at > $2 ORDER BY at DESC LIMIT 1 OFFSET $3"
        ))
        .bind(key)
        .bind(since)
        .bind(max - 1)
        .fetch_optional(pool)
        .await?;
        if let Some(at) = oldest_counted {
            let secs = (at + window - now).num_seconds().max(1);
            wait = Some(wait.map_or(secs, |w: i64| w.max(secs)));
        }
    }
    Ok(wait)
}

/// Notes a failed sign-in (and forgets those older than a day).
pub async fn record_login_failure(
    pool: &Pool,
    username: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("INSERT INTO login_failures (username, ip, at) VALUES ($1, $2, $3)")
        .bind(username.trim())
        .bind(ip)
        .bind(now)
        .execute(pool)
        .await?;
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(now - chrono::Duration::days(1))
        .execute(pool)
        .await?;
    Ok(())
}

/// A successful sign-in clears the account's failures.
pub async fn clear_login_failures(pool: &Pool, username: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(username.trim())
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn a_user_signs_in_with_the_right_password_only(pool: Pool) {
        let hash = hash_password("s3cret-pass").unwrap();
        let id = create_user(
            &pool,
            NewUser {
                username: "zhang",
                display_name: "张主任",
                password_hash: &hash,
                role: Role::Director,
                region_id: None,
                unit_id: None,
                station_id: None,
            },
        )
        .await
        .unwrap();
        let ok = authenticate(&pool, "zhang", "s3cret-pass")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ok.id, id);
        assert_eq!(ok.info().role, Role::Director);
        assert!(
            authenticate(&pool, "zhang", "wrong")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            authenticate(&pool, "nobody", "s3cret-pass")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            find_by_id(&pool, id).await.unwrap().unwrap().username,
            "zhang"
        );
    }

    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn failed_sign_ins_make_the_account_and_the_address_wait(pool: Pool) {
        let now = Utc::now();
        for i in 0..MAX_FAILURES_PER_ACCOUNT {
            assert_eq!(
                login_wait(&pool, "director", "10.0.0.1", now)
                    .await
                    .unwrap(),
                None,
                "{i}"
            );
            record_login_failure(&pool, "director", "10.0.0.1", now)
                .await
                .unwrap();
        }
        let wait = login_wait(&pool, "director", "10.0.0.2", now)
            .await
            .unwrap()
            .unwrap();
        assert!((THROTTLE_WINDOW_MINUTES * 60 - 1..=THROTTLE_WINDOW_MINUTES * 60).contains(&wait));
        // Another account from the same address may still try.
        assert_eq!(
            login_wait(&pool, "leader", "10.0.0.1", now).await.unwrap(),
            None
        );
        // After the window the account may try again.
        let later =
            now + chrono::Duration::minutes(THROTTLE_WINDOW_MINUTES) + chrono::Duration::seconds(1);
        assert_eq!(
            login_wait(&pool, "director", "10.0.0.1", later)
                .await
                .unwrap(),
            None
        );
        // An address spraying many accounts waits too.
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            record_login_failure(&pool, &format!("user{i}"), "10.0.0.9", now)
                .await
                .unwrap();
        }
        assert!(
            login_wait(&pool, "someone", "10.0.0.9", now)
                .await
                .unwrap()
                .is_some()
        );
        clear_login_failures(&pool, "director").await.unwrap();
        assert_eq!(
            login_wait(&pool, "director", "10.0.0.1", now)
                .await
                .unwrap(),
            None
        );
    }
}
