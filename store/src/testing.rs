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

/// The demo city this test process copies (see `TestDb::demo`).
enum Template {
    File(std::path::PathBuf),
    Postgres { server: String, name: String },
}

static DEMO: tokio::sync::OnceCell<Template> = tokio::sync::OnceCell::const_new();

/// Drops the demo templates of test processes that have ended: a process
/// cannot drop its own at exit (statics are never dropped), so the next
/// run does. Linux tells through /proc whether a process still runs.
async fn drop_stale_templates(admin: &Pool) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'lianxin\\_tpl\\_%'",
    )
    .fetch_all(admin)
    .await
    .unwrap_or_default();
    for name in names {
        let pid = name.split('_').nth(2).unwrap_or_default();
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(admin)
                .await;
        }
    }
}

/// `drop_stale_templates` for the SQLite files in the temporary folder.
fn drop_stale_template_files() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("lianxin_t_") else {
            continue;
        };
        let pid = rest.split('_').next().unwrap_or_default();
        if name.ends_with(".template.db") && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A database that exists for as long as this value does.
pub struct TestDb {
    pub pool: Pool,
    pub url: String,
    cleanup: Cleanup,
}

/// Renames database `from`, which the caller's pool has just closed. The
/// server ends a closed pool's sessions a moment after the client lets go,
/// and refuses the rename while one is left (55006, "being accessed by
/// other users"): wait for them, up to thirty seconds (five were not
/// enough while a bulk load kept the server busy).
async fn rename_when_closed(admin: &Pool, from: &str, to: &str) {
    let rename = format!("ALTER DATABASE {from} RENAME TO {to}");
    for _ in 0..600 {
        match sqlx::query(&rename).execute(admin).await {
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55006") => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            done => {
                done.expect("keep the demo database as a template");
                return;
            }
        }
    }
    panic!("{from} still has sessions after thirty seconds");
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
        crate::migrate(&db.pool).await.expect("migrations apply");
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

    /// The demo city, loaded once per test process and copied for each
    /// test: loading it takes seconds (hundreds of cases through every
    /// step), copying it a few milliseconds, and half the suite starts
    /// from it. Its times are those of the first load, a little before
    /// the test's own `Utc::now()`.
    pub async fn demo() -> Self {
        let template = DEMO
            .get_or_init(|| async {
                let db = Self::new().await;
                crate::demo::load(&db.pool, false, chrono::Utc::now())
                    .await
                    .expect("demo");
                if let Cleanup::File(_) = db.cleanup {
                    // Everything into the main file, which is what is copied.
                    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .execute(&db.pool)
                        .await
                        .expect("checkpoint");
                }
                db.pool.close().await;
                let template = match &db.cleanup {
                    Cleanup::File(path) => Template::File(path.with_extension("template.db")),
                    Cleanup::Postgres { server, .. } => Template::Postgres {
                        server: server.clone(),
                        name: format!(
                            "lianxin_tpl_{}_{:08x}",
                            std::process::id(),
                            rand::random::<u32>()
                        ),
                    },
                };
                match (&template, &db.cleanup) {
                    (Template::File(to), Cleanup::File(from)) => {
                        drop_stale_template_files();
                        std::fs::copy(from, to).expect("copy the demo database");
                    }
                    (Template::Postgres { server, name }, Cleanup::Postgres { name: from, .. }) => {
                        let admin = db::connect(server).await.expect("PostgreSQL reachable");
                        drop_stale_templates(&admin).await;
                        rename_when_closed(&admin, from, name).await;
                        admin.close().await;
                        // Renamed away: nothing left for the drop to remove.
                    }
                    _ => unreachable!("a template of the same kind as its database"),
                }
                template
            })
            .await;
        let name = unique_name();
        match template {
            Template::File(file) => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                std::fs::copy(file, &path).expect("copy the demo database");
                let url = format!("sqlite://{}", path.display());
                let pool = db::connect(&url).await.expect("open the copy");
                Self {
                    pool,
                    url,
                    cleanup: Cleanup::File(path),
                }
            }
            Template::Postgres { server, name: tpl } => {
                let admin = db::connect(server).await.expect("PostgreSQL reachable");
                sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {tpl}"))
                    .execute(&admin)
                    .await
                    .expect("copy the demo database");
                admin.close().await;
                let url = with_database(server, &name);
                let pool = db::connect(&url).await.expect("connect test database");
                Self {
                    pool,
                    url,
                    cleanup: Cleanup::Postgres {
                        server: server.clone(),
                        name,
                    },
                }
            }
        }
    }

    /// A migrated SQLite database, whichever database the run is for.
    pub async fn sqlite() -> Self {
        let db = Self::create(None).await;
        crate::migrate(&db.pool).await.expect("migrations apply");
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
    let db = TestDb::demo().await;
    (db.pool.clone(), db)
}

/// A staff account by username.
pub async fn user(pool: &Pool, username: &str) -> crate::users::UserRow {
    crate::users::find_by_username(pool, username)
        .await
        .expect("users readable")
        .expect("the account exists")
}

/// A walk-in request in the demo director's community, and the director;
/// `notify` when the resident takes messages.
pub async fn walk_in_request(
    pool: &Pool,
    notify: bool,
) -> (crate::users::UserRow, domain::NewCase) {
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
        resident_email: String::new(),
        notify,
    };
    (director, new)
}

/// [`walk_in_request`] registered by the director at `at`.
pub async fn walk_in(
    pool: &Pool,
    notify: bool,
    at: chrono::DateTime<chrono::Utc>,
) -> domain::view::Receipt {
    let (director, new) = walk_in_request(pool, notify).await;
    crate::cases::create(pool, &new, Some(&director), at)
        .await
        .expect("registered")
}

/// A new request in the demo director's community, answered on the spot
/// and fed back at `since`, so it waits for the resident's rating from then.
pub async fn awaiting_rating(
    pool: &Pool,
    since: chrono::DateTime<chrono::Utc>,
) -> domain::TrackingCode {
    use domain::Action;
    let director = user(pool, "director").await;
    let receipt = walk_in(pool, false, since).await;
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
