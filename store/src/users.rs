//! Staff accounts. A `UserRow` holds the password hash and is never serialised;
//! pages receive `domain::view::UserInfo`.

use crate::{Pool, Result, StoreError};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use chrono::Utc;
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
}
