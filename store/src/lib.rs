//! Persistence for Lianxin. Repository functions take a `&Pool`; every state
//! change and its event are written in one transaction.
//!
//! SQL here is kept portable (`$n` placeholders, `RETURNING`, no SQLite-only
//! functions) so that PostgreSQL can serve the same queries.

pub mod access;
pub mod audit;
pub mod backup;
pub mod cases;
pub mod coordination;
pub mod demo;
pub mod extensions;
pub mod grid;
pub mod ledger;
pub mod open311;
pub mod party;
pub mod privacy;
pub mod reference;
pub mod regions;
pub mod sessions;
pub mod stats;
pub mod supervision;
pub mod users;
pub mod wishes;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::str::FromStr;
use std::time::Duration;

pub type Pool = sqlx::SqlitePool;

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

/// Appends `" AND {column} IN (…)"` with one bound parameter per value.
/// An empty list matches nothing.
pub(crate) fn push_in<'a, T>(
    qb: &mut sqlx::QueryBuilder<'a, sqlx::Sqlite>,
    column: &str,
    values: impl IntoIterator<Item = T>,
) where
    T: 'a + sqlx::Encode<'a, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send,
{
    let mut values = values.into_iter().peekable();
    if values.peek().is_none() {
        qb.push(" AND 1 = 0");
        return;
    }
    qb.push(format!(" AND {column} IN ("));
    let mut sep = qb.separated(", ");
    for v in values {
        sep.push_bind(v);
    }
    qb.push(")");
}

/// Opens (and creates, for SQLite) the database at `url`.
pub async fn connect(url: &str) -> Result<Pool> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    if let Some(parent) = options.get_filename().parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    Ok(pool)
}

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// Runs pending migrations.
pub async fn migrate(pool: &Pool) -> Result<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Whether the database is reachable (for `/healthz`).
pub async fn ping(pool: &Pool) -> bool {
    sqlx::query("SELECT 1").execute(pool).await.is_ok()
}
