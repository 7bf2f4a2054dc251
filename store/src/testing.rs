//! Fresh, migrated databases for tests. SQLite by default (a file in the
//! system's temporary folder); with `LIANXIN_TEST_DATABASE=postgres://…` a
//! new database on that server for every test, dropped afterwards, so the
//! whole suite runs against either database unchanged.

use crate::db::{self, Backend, Pool};
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(0);

/// The server the PostgreSQL run uses, if this run is one.
pub fn postgres_url() -> Option<String> {
    std::env::var("LIANXIN_TEST_DATABASE")
        .ok()
        .filter(|u| Backend::of_url(u) == Some(Backend::Postgres))
}

enum Cleanup {
    File(std::path::PathBuf),
    Postgres { server: String, name: String },
}

/// A database that exists for as long as this value does.
pub struct TestDb {
    pub pool: Pool,
    pub url: String,
    cleanup: Cleanup,
}

fn unique_name() -> String {
    format!(
        "lianxin_t_{}_{}_{:08x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    )
}

/// `postgres://host:port/db?x` with the database replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..host_end])
}

impl TestDb {
    /// An empty database with every migration applied.
    pub async fn new() -> Self {
        let db = Self::unmigrated().await;
        db::migrate(&db.pool).await.expect("migrations apply");
        db
    }

    /// The demo city grown by `cases` generated cases (`city::grow`), as of
    /// `now`: what the tests that compare figures with a case-by-case count
    /// run over.
    pub async fn city(cases: u64, now: chrono::DateTime<chrono::Utc>) -> Self {
        let db = Self::new().await;
        crate::demo::load(&db.pool, false, now).await.expect("demo");
        crate::city::grow(&db.pool, cases, now, |_, _| {})
            .await
            .expect("city");
        db
    }

    /// A migrated SQLite database, whichever database the run is for.
    pub async fn sqlite() -> Self {
        let db = Self::create(None).await;
        db::migrate(&db.pool).await.expect("migrations apply");
        db
    }

    /// An empty database without tables.
    pub async fn unmigrated() -> Self {
        Self::create(postgres_url()).await
    }

    async fn create(postgres: Option<String>) -> Self {
        let name = unique_name();
        match postgres {
            Some(server) => {
                let admin = db::connect(&server).await.expect("PostgreSQL reachable");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&admin)
                    .await
                    .expect("create test database");
                admin.close().await;
                let url = with_database(&server, &name);
                let pool = db::connect(&url).await.expect("connect test database");
                Self {
                    pool,
                    url,
                    cleanup: Cleanup::Postgres { server, name },
                }
            }
            None => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                let url = format!("sqlite://{}", path.display());
                let pool = db::connect(&url).await.expect("create test database");
                Self {
                    pool,
                    url,
                    cleanup: Cleanup::File(path),
                }
            }
        }
    }
}

/// Where tests register a case: the first compound of a seat's area, and the
/// first category.
pub async fn compound_and_category(pool: &Pool, user: &crate::users::UserRow) -> (i64, i64) {
    let compound = sqlx::query_scalar(
        "SELECT id FROM regions WHERE level = 'compound' AND path LIKE $1 ORDER BY id LIMIT 1",
    )
    .bind(format!("{}%", user.region_path.clone().unwrap_or_default()))
    .fetch_one(pool)
    .await
    .expect("a compound in the area");
    let category = sqlx::query_scalar("SELECT MIN(id) FROM categories")
        .fetch_one(pool)
        .await
        .expect("a category");
    (compound, category)
}

impl TestDb {
    /// Another pool on the same database that may only read: work run
    /// through it fails if it tries to write anything.
    pub async fn read_only(&self) -> Pool {
        sqlx::any::install_default_drivers();
        let sep = if self.url.contains('?') { '&' } else { '?' };
        let url = match self.cleanup {
            Cleanup::File(_) => format!("{}{sep}mode=ro", self.url),
            Cleanup::Postgres { .. } => format!(
                "{}{sep}options=-c%20default_transaction_read_only%3Don",
                self.url
            ),
        };
        sqlx::any::AnyPoolOptions::new()
            .max_connections(2)
            .connect(&url)
            .await
            .expect("read-only connection")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::Postgres { server, name } => {
                // Drop runs inside the test's runtime, which cannot be
                // blocked on; a thread with its own runtime can.
                let (server, name) = (server.clone(), name.clone());
                let pool = self.pool.clone();
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(async move {
                        drop(pool);
                        if let Ok(admin) = db::connect(&server).await {
                            let _ = sqlx::query(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .execute(&admin)
                            .await;
                            admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// The demo city in a fresh database (kept alive by the returned value).
pub async fn demo_db() -> (Pool, TestDb) {
    let db = TestDb::new().await;
    crate::demo::load(&db.pool, false, chrono::Utc::now())
        .await
        .expect("demo");
    (db.pool.clone(), db)
}

/// A staff account by username.
pub async fn user(pool: &Pool, username: &str) -> crate::users::UserRow {
    crate::users::find_by_username(pool, username)
        .await
        .expect("users readable")
        .expect("the account exists")
}

/// A new request in the demo director's community, answered on the spot
/// and fed back at `since`, so it waits for the resident's rating from then.
pub async fn awaiting_rating(
    pool: &Pool,
    since: chrono::DateTime<chrono::Utc>,
) -> domain::TrackingCode {
    use domain::Action;
    let director = user(pool, "director").await;
    let (region_id, category_id) = compound_and_category(pool, &director).await;
    let new = domain::NewCase {
        title: "楼道灯不亮".into(),
        description: "5号楼二单元楼道灯坏了".into(),
        category_id,
        region_id,
        station_id: None,
        source: domain::Source::WalkIn,
        resident_name: "李秀兰".into(),
        resident_phone: "13912345678".into(),
    };
    let receipt = crate::cases::create(pool, &new, Some(&director), since)
        .await
        .expect("registered");
    let code = domain::TrackingCode::parse(&receipt.code).expect("a code");
    for action in [
        Action::StartConsolidation,
        Action::AnswerOnSpot {
            answer: "已报修，当天换好".into(),
        },
        Action::RecordFeedback {
            note: String::new(),
        },
    ] {
        crate::cases::act(pool, &director, &code, &action, since)
            .await
            .expect("the station's steps");
    }
    code
}

/// A director of another community than the demo director's.
pub async fn director_elsewhere(pool: &Pool) -> crate::users::UserRow {
    let home = user(pool, "director").await.region_path.unwrap_or_default();
    let community: i64 = sqlx::query_scalar(
        "SELECT id FROM regions WHERE level = 'community' AND path NOT LIKE $1 ORDER BY id LIMIT 1",
    )
    .bind(format!("{home}%"))
    .fetch_one(pool)
    .await
    .expect("another community");
    let hash = crate::users::hash_password("Another-director-1").expect("hash");
    crate::users::create_user(
        pool,
        crate::users::NewUser {
            username: "director2",
            display_name: "另一社区主任",
            password_hash: &hash,
            role: domain::Role::Director,
            region_id: Some(community),
            unit_id: None,
            station_id: None,
        },
    )
    .await
    .expect("created");
    user(pool, "director2").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_swapped_keeping_host_and_options() {
        assert_eq!(
            with_database("postgres://127.0.0.1:5432/test", "x"),
            "postgres://127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
    }
}
