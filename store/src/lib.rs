//! Persistence for Lianxin. Repository functions take a `&Pool`; every state
//! change and its event are written in one transaction.
//!
//! SQL here is kept portable (`$n` placeholders, `RETURNING`, no SQLite-only
//! functions): the same queries run on SQLite and PostgreSQL (see [`db`]).

pub mod access;
pub mod audit;
pub mod backup;
pub mod callbacks;
pub mod casefile;
pub mod cases;
pub mod city;
pub mod coordination;
pub mod copy;
pub mod db;
pub mod deadlines;
pub mod demo;
pub mod digest;
pub mod events;
pub mod extensions;
pub mod grid;
pub mod jobs;
mod kept;
pub mod ledger;
pub mod open311;
pub mod outbox;
pub mod party;
pub mod photos;
pub mod privacy;
pub mod reference;
pub mod regions;
pub mod sessions;
pub mod stats;
pub mod supervision;
pub mod testing;
pub mod throttle;
pub mod trail;
pub mod users;
pub mod wishes;

pub use db::{Backend, Pool, connect};

/// Runs pending migrations for whichever database the pool is on, then
/// fills what a migration marked stale (the cases' due times).
pub async fn migrate(pool: &Pool) -> Result<()> {
    db::migrator(Backend::of(pool)).run(pool).await?;
    deadlines::fill_if_stale(pool).await
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Transition(#[from] domain::TransitionError),
    #[error("invalid input")]
    Invalid(Vec<domain::FieldError>),
    #[error("the case was changed by someone else; reload and try again")]
    Conflict,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub fn invalid(field: &str, message: &str) -> Self {
        Self::Invalid(vec![domain::FieldError::new(field, message)])
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A unique constraint refused the row: `field` is `message` ("taken").
/// The check before an insert cannot rule it out when two requests race,
/// and the loser gets the same field error as a later request would.
pub(crate) fn unique(
    field: &'static str,
    message: &'static str,
) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match e.as_database_error() {
        Some(d) if d.is_unique_violation() => StoreError::invalid(field, message),
        _ => StoreError::Db(e),
    }
}

/// Appends `" AND {column} IN (…)"` with one bound parameter per value.
/// An empty list matches nothing.
pub(crate) fn push_in<T>(qb: &mut db::Builder, column: &str, values: impl IntoIterator<Item = T>)
where
    T: 'static + sqlx::Encode<'static, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    let mut values = values.into_iter().peekable();
    if values.peek().is_none() {
        qb.push(" AND 1 = 0");
        return;
    }
    qb.push(format!(" AND {column} IN ("));
    let mut first = true;
    for v in values {
        if !first {
            qb.push(", ");
        }
        first = false;
        qb.push_bind(v);
    }
    qb.push(")");
}

/// Whether the database is reachable (for `/healthz`).
pub async fn ping(pool: &Pool) -> bool {
    sqlx::query("SELECT 1").execute(pool).await.is_ok()
}

/// What the database can do right now, for `/healthz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbHealth {
    Ok,
    /// It answers but takes no writes (read-only, or out of space).
    ReadOnly,
    Unreachable,
}

/// Reads, then writes one row nothing else reads (a counter of its own in
/// the rate-limit table, pruned with the others), so a database that went
/// read-only or ran out of space shows here before a resident finds out.
pub async fn health(pool: &Pool) -> DbHealth {
    if !ping(pool).await {
        return DbHealth::Unreachable;
    }
    let wrote = sqlx::query(
        "INSERT INTO throttle (bucket, window_start, hits, expires) VALUES ('healthz', 0, 1, 0) \
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = throttle.hits + 1",
    )
    .execute(pool)
    .await;
    match wrote {
        Ok(_) => DbHealth::Ok,
        Err(e) if db::cannot_write(&e) => DbHealth::ReadOnly,
        Err(_) => DbHealth::Unreachable,
    }
}
