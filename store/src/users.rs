//! Staff accounts. A `UserRow` holds the password hash and is never serialised;
//! pages receive `domain::view::UserInfo` and administrators `Account`.
//! Every change to an account goes into the audit trail.

use crate::audit::{self, Change};
use crate::db::Stored;
use crate::events::By;
use crate::{Pool, Result, StoreError};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use chrono::{DateTime, Utc};
use domain::Role;
use domain::account::AccountForm;
use domain::view::{Account, UserInfo};
use serde_json::json;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    #[sqlx(try_from = "crate::db::Code<Role>")]
    pub role: Role,
    pub region_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub station_id: Option<i64>,
    /// The region's materialised path, for scope checks.
    pub region_path: Option<String>,
    /// Name of where they work, for the header.
    pub place: Option<String>,
    #[sqlx(try_from = "crate::db::Flag")]
    pub must_change_password: bool,
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    pub disabled_at: Option<DateTime<Utc>>,
    /// Sessions opened under an older epoch are signed out.
    pub session_epoch: i64,
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    pub last_login_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::db::Stamp")]
    pub created_at: DateTime<Utc>,
}

/// A staff member acting: kept here so `events` stays below the accounts.
impl By {
    pub fn user(u: &UserRow) -> Self {
        Self {
            user_id: Some(u.id),
            label: u.display_name.clone(),
        }
    }
}

impl UserRow {
    /// What access depends on (`store::access`, `domain::seat`).
    pub fn seat(&self) -> domain::seat::Seat<'_> {
        domain::seat::Seat {
            role: self.role,
            region_path: self.region_path.as_deref(),
            unit_id: self.unit_id,
            station_id: self.station_id,
        }
    }

    pub fn info(&self) -> UserInfo {
        UserInfo {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            place: self.place.clone(),
            must_change_password: self.must_change_password,
            to_do: None,
        }
    }

    pub fn account(&self) -> Account {
        Account {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            region_id: self.region_id,
            unit_id: self.unit_id,
            station_id: self.station_id,
            place: self.place.clone(),
            must_change_password: self.must_change_password,
            disabled_at: self.disabled_at,
            last_login_at: self.last_login_at,
            created_at: self.created_at,
        }
    }

    fn form(&self) -> AccountForm {
        AccountForm {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            region_id: self.region_id,
            unit_id: self.unit_id,
            station_id: self.station_id,
        }
    }

    fn audited(&self) -> serde_json::Value {
        audited(&self.form(), self.disabled_at.is_some())
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

/// Hashes at once at most as many passwords as there are cores. A hash
/// takes tens of milliseconds of a core and 19 MiB: run on the async
/// workers, a flood of sign-ins would stall every other request; unbounded
/// on the blocking pool, it would take the memory.
fn hashing() -> &'static tokio::sync::Semaphore {
    static HASHING: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    HASHING.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    })
}

async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let _permit = hashing().acquire().await.ok()?;
    tokio::task::spawn_blocking(work).await.ok()
}

/// [`hash_password`] on the blocking pool, a few at a time.
pub async fn password_hash_of(password: &str) -> Result<String> {
    let password = password.to_string();
    off_the_workers(move || hash_password(&password))
        .await
        .unwrap_or_else(|| Err(StoreError::invalid("password", "unusable")))
}

/// [`verify_password`] on the blocking pool, a few at a time.
pub async fn password_matches(hash: &str, password: &str) -> bool {
    let (hash, password) = (hash.to_string(), password.to_string());
    off_the_workers(move || verify_password(&hash, &password))
        .await
        .unwrap_or(false)
}

const SELECT_USER: &str = "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, \
     u.region_id, u.unit_id, u.station_id, r.path AS region_path, \
     COALESCE(un.name, s.name, r.name) AS place, \
     u.must_change_password, u.disabled_at, u.session_epoch, u.last_login_at, u.created_at \
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
    .bind((Utc::now()).stored())
    .fetch_one(pool)
    .await?;
    Ok(id)
}

pub async fn find_by_username(pool: &Pool, username: &str) -> Result<Option<UserRow>> {
    let sql = format!("{SELECT_USER} WHERE u.username = $1");
    Ok(sqlx::query_as(&sql)
        .bind(domain::account::username_key(username))
        .fetch_optional(pool)
        .await?)
}

pub async fn find_by_id(pool: &Pool, id: i64) -> Result<Option<UserRow>> {
    let sql = format!("{SELECT_USER} WHERE u.id = $1");
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?)
}

/// The user if the password matches and the account is enabled. A missing
/// user still costs a hash verification so timing does not reveal which
/// usernames exist.
pub async fn authenticate(pool: &Pool, username: &str, password: &str) -> Result<Option<UserRow>> {
    let user = find_by_username(pool, username).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| {
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Vh5u1Y3d2JxQ2Q1b3pYbW1hT3N6a3l6bFhtS0F0Rk0".into()
    });
    let ok = password_matches(&hash, password).await;
    Ok(user.filter(|u| ok && u.disabled_at.is_none()))
}

/// Notes a successful sign-in.
pub async fn record_login(pool: &Pool, id: i64, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(now.stored())
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The account behind a session: only while it is enabled and the session
/// was opened under the account's current epoch.
pub async fn for_session(pool: &Pool, id: i64, epoch: i64) -> Result<Option<UserRow>> {
    Ok(find_by_id(pool, id)
        .await?
        .filter(|u| u.disabled_at.is_none() && u.session_epoch == epoch))
}

/// Every account, by role and name.
pub async fn list(pool: &Pool) -> Result<Vec<Account>> {
    let sql = format!("{SELECT_USER} ORDER BY u.role, u.username");
    let rows: Vec<UserRow> = sqlx::query_as(&sql).fetch_all(pool).await?;
    Ok(rows.iter().map(UserRow::account).collect())
}

/// A password for an administrator to hand over; it must be changed at the
/// first sign-in. Letters and digits without look-alikes (0/O, 1/l/I).
pub fn temporary_password() -> String {
    use rand::seq::SliceRandom;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..14)
        .map(|_| char::from(*ALPHABET.choose(&mut rng).unwrap_or(&b'x')))
        .collect()
}

async fn check_seat(pool: &Pool, f: &AccountForm) -> Result<()> {
    for (field, table, id) in [
        ("region_id", "regions", f.region_id),
        ("unit_id", "units", f.unit_id),
        ("station_id", "stations", f.station_id),
    ] {
        if let Some(id) = id {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE id = $1"))
                .bind(id)
                .fetch_one(pool)
                .await?;
            if n == 0 {
                return Err(StoreError::invalid(field, "unknown"));
            }
        }
    }
    Ok(())
}

/// The audit trail's picture of an account (no password hash).
fn audited(form: &AccountForm, disabled: bool) -> serde_json::Value {
    json!({
        "username": form.username,
        "display_name": form.display_name,
        "role": form.role,
        "region_id": form.region_id,
        "unit_id": form.unit_id,
        "station_id": form.station_id,
        "disabled": disabled,
    })
}

fn change<'a>(
    by: &'a By,
    action: &'a str,
    username: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Change<'a> {
    Change::by(by, action, "user", username).states(before, after)
}

/// Creates an account with a temporary password, which is returned (and
/// kept only as a hash).
pub async fn create(
    pool: &Pool,
    by: &By,
    form: AccountForm,
    now: DateTime<Utc>,
) -> Result<(i64, String)> {
    let form = form.validate().map_err(StoreError::Invalid)?;
    check_seat(pool, &form).await?;
    if find_by_username(pool, &form.username).await?.is_some() {
        return Err(StoreError::invalid("username", "taken"));
    }
    let password = temporary_password();
    let hash = password_hash_of(&password).await?;
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, role, region_id, unit_id, \
         station_id, created_at, must_change_password) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE) RETURNING id",
    )
    .bind(&form.username)
    .bind(&form.display_name)
    .bind(&hash)
    .bind(form.role.as_str())
    .bind(form.region_id)
    .bind(form.unit_id)
    .bind(form.station_id)
    .bind(now.stored())
    .fetch_one(&mut *tx)
    .await
    .map_err(crate::unique("username", "taken"))?;
    let after = audited(&form, false);
    audit::record(
        &mut tx,
        change(by, "user.created", &form.username, None, Some(after)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((id, password))
}

async fn existing(pool: &Pool, id: i64) -> Result<UserRow> {
    find_by_id(pool, id).await?.ok_or(StoreError::NotFound)
}

/// Administrators may not lock themselves out: no demoting or disabling
/// one's own account.
fn not_self(by: &By, id: i64, field: &str) -> Result<()> {
    if by.user_id == Some(id) {
        Err(StoreError::invalid(field, "not_yourself"))
    } else {
        Ok(())
    }
}

/// Changes name, role and seat (the username stays). A new role takes effect
/// on the account's next request.
pub async fn update(
    pool: &Pool,
    by: &By,
    id: i64,
    form: AccountForm,
    now: DateTime<Utc>,
) -> Result<()> {
    let before = existing(pool, id).await?;
    let form = AccountForm {
        username: before.username.clone(),
        ..form
    }
    .validate()
    .map_err(StoreError::Invalid)?;
    if form.role != before.role {
        not_self(by, id, "role")?;
    }
    check_seat(pool, &form).await?;
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE users SET display_name = $1, role = $2, region_id = $3, unit_id = $4, \
         station_id = $5 WHERE id = $6",
    )
    .bind(&form.display_name)
    .bind(form.role.as_str())
    .bind(form.region_id)
    .bind(form.unit_id)
    .bind(form.station_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let after = audited(&form, before.disabled_at.is_some());
    audit::record(
        &mut tx,
        change(
            by,
            "user.updated",
            &before.username,
            Some(before.audited()),
            Some(after),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Signs the account out everywhere (raises its epoch), setting
/// `disabled_at` too when given, in one audited statement.
async fn bump(
    pool: &Pool,
    by: &By,
    user: &UserRow,
    action: &str,
    disabled_at: Option<Option<DateTime<Utc>>>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let mut tx = pool.begin().await?;
    let epoch: i64 = sqlx::query_scalar(
        "UPDATE users SET session_epoch = session_epoch + 1, \
         disabled_at = CASE WHEN $2 THEN $3 ELSE disabled_at END \
         WHERE id = $1 RETURNING session_epoch",
    )
    .bind(user.id)
    .bind(disabled_at.is_some())
    .bind(disabled_at.flatten().stored())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        change(by, action, &user.username, Some(user.audited()), None),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(epoch)
}

/// A new temporary password (returned once), to be changed at the next
/// sign-in; the account's sessions end.
pub async fn reset_password(pool: &Pool, by: &By, id: i64, now: DateTime<Utc>) -> Result<String> {
    let user = existing(pool, id).await?;
    let password = temporary_password();
    set_password(pool, by, &user, &password, true, "user.password_reset", now).await?;
    Ok(password)
}

/// Stores a new password hash and whether it must be changed, ending every
/// session of the account (returns the new epoch), with its audit entry.
async fn set_password(
    pool: &Pool,
    by: &By,
    user: &UserRow,
    password: &str,
    must_change: bool,
    action: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let hash = password_hash_of(password).await?;
    let mut tx = pool.begin().await?;
    let epoch: i64 = sqlx::query_scalar(
        "UPDATE users SET password_hash = $1, must_change_password = $2, \
         session_epoch = session_epoch + 1 WHERE id = $3 RETURNING session_epoch",
    )
    .bind(&hash)
    .bind(must_change)
    .bind(user.id)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(&mut tx, change(by, action, &user.username, None, None), now).await?;
    tx.commit().await?;
    Ok(epoch)
}

/// The account holder's own change; every other session of theirs ends.
/// Returns the new epoch for the session that made the change.
pub async fn change_password(
    pool: &Pool,
    id: i64,
    old: &str,
    new: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let user = existing(pool, id).await?;
    if !password_matches(&user.password_hash, old).await {
        return Err(StoreError::invalid("old_password", "login_failed"));
    }
    domain::account::check_new_password(&user.username, old, new)
        .map_err(|e| StoreError::Invalid(vec![e]))?;
    let by = By::user(&user);
    set_password(pool, &by, &user, new, false, "user.password_changed", now).await
}

/// Ends every session of the account (its own or by an administrator).
pub async fn sign_out_everywhere(pool: &Pool, by: &By, id: i64, now: DateTime<Utc>) -> Result<i64> {
    let user = existing(pool, id).await?;
    bump(pool, by, &user, "user.signed_out_everywhere", None, now).await
}

/// Disables (or enables again) an account; a disabled one cannot sign in and
/// its sessions end, its history stays.
pub async fn set_disabled(
    pool: &Pool,
    by: &By,
    id: i64,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let user = existing(pool, id).await?;
    not_self(by, id, "disabled")?;
    if user.disabled_at.is_some() == disabled {
        return Ok(());
    }
    let (action, at) = if disabled {
        ("user.disabled", Some(now))
    } else {
        ("user.enabled", None)
    };
    bump(pool, by, &user, action, Some(at), now).await?;
    Ok(())
}

/// Failed sign-ins an account may have within [`THROTTLE_WINDOW_MINUTES`] before it waits.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed sign-ins one address may have within the window (people share
/// addresses behind an office's gateway, so more than per account).
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// What a sign-in attempt came to.
#[derive(Debug)]
pub enum SignIn {
    /// The account or the address must wait this many seconds.
    Wait(i64),
    /// Wrong username or password, or a disabled account (never says which).
    Failed,
    Welcome(Box<UserRow>),
}

/// Checks the throttle and the password and records the outcome as one
/// step. The attempt is written down before the password is checked, so
/// attempts sent at once on any number of connections or instances all
/// count against each other; a successful one clears the account's
/// failures, a refused one is not counted. Usernames count by their key
/// (trimmed, lower case): `Director` and `director` are one account and
/// one counter.
pub async fn sign_in(
    pool: &Pool,
    username: &str,
    password: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<SignIn> {
    let username = domain::account::username_key(username);
    let attempt: i64 = sqlx::query_scalar(
        "INSERT INTO login_failures (username, ip, at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(&username)
    .bind(ip)
    .bind(now.stored())
    .fetch_one(pool)
    .await?;
    if let Some(secs) = login_wait(pool, &username, ip, now).await? {
        sqlx::query("DELETE FROM login_failures WHERE id = $1")
            .bind(attempt)
            .execute(pool)
            .await?;
        return Ok(SignIn::Wait(secs));
    }
    // Failures older than a day count for nothing: forget them.
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind((now - chrono::Duration::days(1)).stored())
        .execute(pool)
        .await?;
    match authenticate(pool, &username, password).await? {
        Some(user) => {
            sqlx::query("DELETE FROM login_failures WHERE username = $1")
                .bind(&username)
                .execute(pool)
                .await?;
            Ok(SignIn::Welcome(Box::new(user)))
        }
        None => Ok(SignIn::Failed),
    }
}

/// Seconds until `username` may try again from `ip`, counting the attempt
/// just recorded, or None when it may go on: more failures than allowed for
/// the account or the address make it wait until the oldest of them leaves
/// the window.
async fn login_wait(
    pool: &Pool,
    username: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let window = chrono::Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let since = now - window;
    let mut wait = None;
    for (column, key, max) in [
        ("username", username, MAX_FAILURES_PER_ACCOUNT),
        ("ip", ip, MAX_FAILURES_PER_ADDRESS),
    ] {
        // Beyond the max newest failures, the attempt itself: once the
        // oldest of them is out of the window, there is room again.
        let oldest_counted: Option<crate::db::Stamp> = sqlx::query_scalar(&format!(
            "SELECT at FROM login_failures WHERE {column} = $1 AND at > $2 \
             ORDER BY at DESC, id DESC LIMIT 1 OFFSET $3"
        ))
        .bind(key)
        .bind(since.stored())
        .bind(max)
        .fetch_optional(pool)
        .await?;
        if let Some(crate::db::Stamp(at)) = oldest_counted {
            let secs = (at + window - now).num_seconds().max(1);
            wait = Some(wait.map_or(secs, |w: i64| w.max(secs)));
        }
    }
    Ok(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A role or status the code does not know (a hand-edited row, a
    /// downgrade) fails the read: it used to become the narrowest role, and
    /// an unknown case status a newly registered case.
    #[tokio::test]
    async fn an_unknown_stored_value_fails_the_read_instead_of_becoming_a_default() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        assert!(find_by_username(&pool, "grid").await.unwrap().is_some());
        sqlx::query("UPDATE users SET role = 'mayor' WHERE username = 'grid'")
            .execute(&pool)
            .await
            .unwrap();
        let read = find_by_username(&pool, "grid").await;
        assert!(
            matches!(&read, Err(StoreError::Db(e)) if e.to_string().contains("mayor")),
            "{read:?}"
        );

        let code: String = sqlx::query_scalar("SELECT code FROM cases ORDER BY id LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
        sqlx::query("UPDATE cases SET status = 'lost' WHERE code = $1")
            .bind(&code)
            .execute(&pool)
            .await
            .unwrap();
        let code = domain::TrackingCode::parse(&code).unwrap();
        let read = crate::cases::status_of(&pool, &code).await;
        assert!(matches!(read, Err(StoreError::Db(_))), "{read:?}");
    }

    #[tokio::test]
    async fn a_user_signs_in_with_the_right_password_only() {
        let db = crate::testing::TestDb::new().await;
        let pool = db.pool.clone();
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

    /// Two requests for one new name at once: both pass the check before
    /// the insert (the password hash runs between them); one account is
    /// made and the other request is told the name is taken, as a later
    /// request would be, not a 500.
    #[tokio::test]
    async fn two_requests_for_one_name_get_one_account_and_a_field_error() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let admin = find_by_username(&pool, "admin").await.unwrap().unwrap();
        let by = By::user(&admin);
        let unit: i64 = sqlx::query_scalar("SELECT MIN(id) FROM units")
            .fetch_one(&pool)
            .await
            .unwrap();
        let form = AccountForm {
            username: "qian".into(),
            display_name: "钱芳".into(),
            role: Role::Handler,
            region_id: None,
            unit_id: Some(unit),
            station_id: None,
        };
        let (a, b) = tokio::join!(
            create(&pool, &by, form.clone(), now),
            create(&pool, &by, form.clone(), now)
        );
        let (won, lost) = if a.is_ok() { (a, b) } else { (b, a) };
        assert!(won.is_ok());
        assert!(
            matches!(&lost, Err(StoreError::Invalid(e)) if e[0].message == "taken"),
            "{lost:?}"
        );
    }

    #[tokio::test]
    async fn administrators_manage_accounts_and_every_change_is_audited() {
        let db = crate::testing::TestDb::new().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let admin_id = create_user(
            &pool,
            NewUser {
                username: "admin",
                display_name: "管理员",
                password_hash: &hash_password("admin-pass-2026").unwrap(),
                role: Role::Admin,
                region_id: None,
                unit_id: None,
                station_id: None,
            },
        )
        .await
        .unwrap();
        let admin = find_by_id(&pool, admin_id).await.unwrap().unwrap();
        let by = By::user(&admin);
        let unit: i64 = sqlx::query_scalar(
            "INSERT INTO units (name, kind) VALUES ('城管局', 'bureau') RETURNING id",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let form = AccountForm {
            username: "Zhao".into(),
            display_name: "赵磊".into(),
            role: Role::Handler,
            region_id: None,
            unit_id: Some(unit),
            station_id: None,
        };
        let (id, initial) = create(&pool, &by, form.clone(), now).await.unwrap();
        assert!(matches!(
            create(&pool, &by, form.clone(), now).await,
            Err(StoreError::Invalid(e)) if e[0].message == "taken"
        ));
        let zhao = authenticate(&pool, "zhao", &initial)
            .await
            .unwrap()
            .unwrap();
        assert!(zhao.must_change_password);
        assert!(for_session(&pool, id, 0).await.unwrap().is_some());

        // Changing the password lifts the obligation and ends older sessions.
        assert!(matches!(
            change_password(&pool, id, "wrong", "a-new-pass-2026", now).await,
            Err(StoreError::Invalid(e)) if e[0].field == "old_password"
        ));
        let epoch = change_password(&pool, id, &initial, "a-new-pass-2026", now)
            .await
            .unwrap();
        assert!(for_session(&pool, id, 0).await.unwrap().is_none());
        let zhao = for_session(&pool, id, epoch).await.unwrap().unwrap();
        assert!(!zhao.must_change_password);

        // A reset hands out a new temporary password and ends every session.
        let temp = reset_password(&pool, &by, id, now).await.unwrap();
        assert!(for_session(&pool, id, epoch).await.unwrap().is_none());
        assert!(
            authenticate(&pool, "zhao", "a-new-pass-2026")
                .await
                .unwrap()
                .is_none()
        );
        let zhao = authenticate(&pool, "zhao", &temp).await.unwrap().unwrap();
        assert!(zhao.must_change_password);

        // Role and seat change; the role needs its seat.
        let director = AccountForm {
            role: Role::Director,
            ..form.clone()
        };
        assert!(matches!(
            update(&pool, &by, id, director, now).await,
            Err(StoreError::Invalid(e)) if e[0].field == "region_id"
        ));
        let renamed = AccountForm {
            display_name: "赵磊（城管）".into(),
            ..form.clone()
        };
        update(&pool, &by, id, renamed, now).await.unwrap();

        // Disabled accounts cannot sign in; administrators cannot lock themselves out.
        set_disabled(&pool, &by, id, true, now).await.unwrap();
        assert!(authenticate(&pool, "zhao", &temp).await.unwrap().is_none());
        assert!(matches!(
            set_disabled(&pool, &by, admin_id, true, now).await,
            Err(StoreError::Invalid(e)) if e[0].message == "not_yourself"
        ));
        set_disabled(&pool, &by, id, false, now).await.unwrap();
        let epoch = sign_out_everywhere(&pool, &by, id, now).await.unwrap();
        assert!(for_session(&pool, id, epoch).await.unwrap().is_some());

        let trail: Vec<String> = crate::audit::for_entity(&pool, "user", "zhao")
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            trail,
            [
                "user.created",
                "user.password_changed",
                "user.password_reset",
                "user.updated",
                "user.disabled",
                "user.enabled",
                "user.signed_out_everywhere",
            ]
        );
        assert_eq!(crate::audit::verify(&pool).await.unwrap(), Ok(7));
        // The trail never holds a password or its hash.
        let text: String = sqlx::query_scalar::<_, String>(
            "SELECT COALESCE(before, '') || COALESCE(after, '') FROM audit_log",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
        .concat();
        assert!(!text.contains(&temp) && !text.contains("argon2"), "{text}");
    }

    async fn demo_pool() -> crate::testing::TestDb {
        crate::testing::TestDb::demo().await
    }

    #[tokio::test]
    async fn failed_sign_ins_make_the_account_and_the_address_wait() {
        let db = demo_pool().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        for i in 0..MAX_FAILURES_PER_ACCOUNT {
            let r = sign_in(&pool, "director", "guess", "10.0.0.1", now)
                .await
                .unwrap();
            assert!(matches!(r, SignIn::Failed), "{i}: {r:?}");
        }
        // Now even the right password waits, from any address.
        let SignIn::Wait(wait) = sign_in(
            &pool,
            "director",
            crate::demo::DEMO_PASSWORD,
            "10.0.0.2",
            now,
        )
        .await
        .unwrap() else {
            panic!("not throttled");
        };
        assert!((THROTTLE_WINDOW_MINUTES * 60 - 1..=THROTTLE_WINDOW_MINUTES * 60).contains(&wait));
        // Another account from the same address may still try.
        let r = sign_in(&pool, "leader", crate::demo::DEMO_PASSWORD, "10.0.0.1", now)
            .await
            .unwrap();
        assert!(matches!(r, SignIn::Welcome(_)), "{r:?}");
        // After the window the account may try again, and success clears its failures.
        let later =
            now + chrono::Duration::minutes(THROTTLE_WINDOW_MINUTES) + chrono::Duration::seconds(1);
        let r = sign_in(
            &pool,
            "director",
            crate::demo::DEMO_PASSWORD,
            "10.0.0.1",
            later,
        )
        .await
        .unwrap();
        assert!(matches!(r, SignIn::Welcome(_)), "{r:?}");
        let r = sign_in(&pool, "director", "guess", "10.0.0.1", later)
            .await
            .unwrap();
        assert!(matches!(r, SignIn::Failed), "{r:?}");
        // An address spraying many accounts waits too.
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            sign_in(&pool, &format!("user{i}"), "guess", "10.0.0.9", now)
                .await
                .unwrap();
        }
        let r = sign_in(&pool, "someone", "guess", "10.0.0.9", now)
            .await
            .unwrap();
        assert!(matches!(r, SignIn::Wait(_)), "{r:?}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn password_checks_leave_the_request_thread_free() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let hash = hash_password("s3cret-pass").unwrap();
        let done = Arc::new(AtomicUsize::new(0));
        let checks: Vec<_> = (0..8)
            .map(|_| {
                let (hash, done) = (hash.clone(), done.clone());
                tokio::spawn(async move {
                    let ok = password_matches(&hash, "wrong").await;
                    done.fetch_add(1, Ordering::SeqCst);
                    ok
                })
            })
            .collect();
        // One thread serves every request here: it comes back to this task
        // while the hashes are still being checked elsewhere.
        tokio::task::yield_now().await;
        assert!(
            done.load(Ordering::SeqCst) < 8,
            "the hashes ran on the request thread"
        );
        for c in checks {
            assert!(!c.await.unwrap());
        }
    }

    #[tokio::test]
    async fn a_username_in_other_letters_is_the_same_account_and_the_same_counter() {
        let db = demo_pool().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        // Before: each spelling had its own five tries.
        for (i, name) in ["Director", "DIRECTOR", " director", "director ", "DiReCtOr"]
            .into_iter()
            .enumerate()
        {
            let r = sign_in(&pool, name, "guess", "10.0.0.1", now)
                .await
                .unwrap();
            assert!(matches!(r, SignIn::Failed), "{i}: {r:?}");
        }
        let r = sign_in(&pool, "director", "guess", "10.0.0.2", now)
            .await
            .unwrap();
        assert!(matches!(r, SignIn::Wait(_)), "{r:?}");
        // And the right password under another spelling signs in.
        let r = sign_in(
            &pool,
            " Leader",
            crate::demo::DEMO_PASSWORD,
            "10.0.0.3",
            now,
        )
        .await
        .unwrap();
        assert!(matches!(r, SignIn::Welcome(u) if u.username == "leader"));
    }

    #[tokio::test]
    async fn attempts_sent_at_once_cannot_slip_past_the_limit() {
        let db = demo_pool().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let tries = (0..12).map(|i| {
            let pool = pool.clone();
            async move {
                sign_in(&pool, "director", "guess", &format!("10.0.1.{i}"), now)
                    .await
                    .unwrap()
            }
        });
        let results = futures_util::future::join_all(tries).await;
        let checked = results
            .iter()
            .filter(|r| matches!(r, SignIn::Failed))
            .count() as i64;
        assert!(
            checked <= MAX_FAILURES_PER_ACCOUNT,
            "{checked} passwords were checked"
        );
    }
}
