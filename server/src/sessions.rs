//! Sign-in sessions, kept in the same database as everything else so any
//! instance behind the load balancer can serve any request.

use async_trait::async_trait;
use store::Backend;
use tower_sessions::ExpiredDeletion;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Result, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

#[derive(Clone, Debug)]
pub enum Sessions {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Sessions {
    /// The session table of `pool`'s database (created if missing), with
    /// expired sessions swept every ten minutes.
    pub async fn open(pool: &store::Pool) -> std::result::Result<Self, store::StoreError> {
        // The session crate speaks the native drivers; a small pool of its
        // own on the same database.
        let url = pool.connect_options().database_url.to_string();
        let sweep = tokio::time::Duration::from_secs(600);
        Ok(match Backend::of(pool) {
            Backend::Sqlite => {
                let native = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(2)
                    .connect(&url)
                    .await?;
                let s = SqliteStore::new(native);
                s.migrate().await?;
                tokio::spawn(s.clone().continuously_delete_expired(sweep));
                Self::Sqlite(s)
            }
            Backend::Postgres => {
                let native = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(2)
                    .connect(&url)
                    .await?;
                let s = PostgresStore::new(native);
                s.migrate().await?;
                tokio::spawn(s.clone().continuously_delete_expired(sweep));
                Self::Postgres(s)
            }
        })
    }
}

#[async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> Result<()> {
        match self {
            Self::Sqlite(s) => s.create(record).await,
            Self::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        match self {
            Self::Sqlite(s) => s.save(record).await,
            Self::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        match self {
            Self::Sqlite(s) => s.load(id).await,
            Self::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        match self {
            Self::Sqlite(s) => s.delete(id).await,
            Self::Postgres(s) => s.delete(id).await,
        }
    }
}
