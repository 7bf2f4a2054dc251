//! Online backup and restore of the SQLite database (PostgreSQL has
//! `pg_dump`), and per-table checksums that show two databases — of either
//! kind — hold the same data.

use crate::db::Backend;
use crate::{Pool, Result, StoreError};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::{AnyRow, AnyTypeInfoKind};
use std::path::Path;

/// Rows and a content checksum of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    pub name: String,
    pub rows: i64,
    /// SHA-256 over the table's rows, each written as [`row_text`], sorted.
    pub sha256: String,
}

/// Not data. Sessions: a restore or a copy signs everyone out instead. The
/// change counters and the figures' tallies: each database keeps its own, by
/// triggers on the rows a restore or copy writes (the counters make every
/// instance reload the regions and the policy; the tallies count the cases).
const SKIPPED: [&str; 7] = [
    "_sqlx_migrations",
    "tower_sessions",
    "region_changes",
    "policy_changes",
    "case_tallies",
    "category_tallies",
    "report_tallies",
];

/// The application's tables, by name.
pub async fn tables(pool: &Pool) -> Result<Vec<String>> {
    let sql = match Backend::of(pool) {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        }
    };
    Ok(sqlx::query_scalar(sql)
        .fetch_all(pool)
        .await?
        .into_iter()
        .filter(|t: &String| !SKIPPED.contains(&t.as_str()))
        .collect())
}

/// Names come from the catalogue, never from input; quoting keeps odd ones whole.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// One row as text that reads the same from either database: columns in
/// name order (the two schemas may order them differently), booleans as
/// the 0/1 SQLite keeps, every value tagged with its kind.
pub(crate) fn row_text(row: &AnyRow) -> Result<String> {
    use sqlx::Column;
    let mut columns: Vec<(&str, usize)> = row
        .columns()
        .iter()
        .map(|c| (c.name(), c.ordinal()))
        .collect();
    columns.sort();
    let mut out = String::new();
    for (name, i) in columns {
        let raw = row.try_get_raw(i)?;
        let kind = sqlx::ValueRef::type_info(&raw).kind();
        let value = if sqlx::ValueRef::is_null(&raw) {
            "N".to_string()
        } else {
            match kind {
                AnyTypeInfoKind::Bool => format!("I{}", i64::from(row.try_get::<bool, _>(i)?)),
                AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
                    format!("I{}", row.try_get::<i64, _>(i)?)
                }
                AnyTypeInfoKind::Real | AnyTypeInfoKind::Double => {
                    format!("F{:?}", row.try_get::<f64, _>(i)?)
                }
                AnyTypeInfoKind::Blob => {
                    let b: Vec<u8> = row.try_get(i)?;
                    format!(
                        "B{}",
                        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
                    )
                }
                _ => {
                    let t: String = row.try_get(i)?;
                    format!("T{}:{t}", t.len())
                }
            }
        };
        out.push_str(name);
        out.push('=');
        out.push_str(&value);
        out.push('|');
    }
    Ok(out)
}

/// Every table's row count and checksum, by name.
pub async fn summary(pool: &Pool) -> Result<Vec<TableSummary>> {
    let mut out = Vec::new();
    for table in tables(pool).await? {
        let rows = sqlx::query(&format!("SELECT * FROM {}", ident(&table)))
            .fetch_all(pool)
            .await?;
        // Sorted in Rust: the two databases collate text differently.
        let mut lines = rows.iter().map(row_text).collect::<Result<Vec<_>>>()?;
        lines.sort();
        let mut hash = Sha256::new();
        for line in &lines {
            hash.update(line.as_bytes());
            hash.update(b"\n");
        }
        out.push(TableSummary {
            name: table,
            rows: lines.len() as i64,
            sha256: hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        });
    }
    Ok(out)
}

fn sqlite_only(pool: &Pool) -> Result<()> {
    match Backend::of(pool) {
        Backend::Sqlite => Ok(()),
        Backend::Postgres => Err(StoreError::invalid("database", "use_pg_dump")),
    }
}

/// Writes a consistent copy of the live database to `path` (SQLite's
/// `VACUUM INTO`: readers and writers carry on meanwhile). Refuses to
/// overwrite a file.
pub async fn backup(pool: &Pool, path: &Path) -> Result<()> {
    sqlite_only(pool)?;
    if path.exists() {
        return Err(StoreError::invalid("file", "exists"));
    }
    sqlx::query("VACUUM INTO $1")
        .bind(path.to_string_lossy().to_string())
        .execute(pool)
        .await?;
    Ok(())
}

async fn migrations(pool: &Pool) -> Result<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?,
    )
}

/// Replaces every table's rows with the backup's, in one transaction, and
/// signs everyone out. The backup must be intact and from the same schema
/// version as the database.
pub async fn restore(pool: &Pool, path: &Path) -> Result<()> {
    sqlite_only(pool)?;
    if !path.is_file() {
        return Err(StoreError::invalid("file", "unknown"));
    }
    let damaged = |_| StoreError::invalid("file", "damaged");
    sqlx::any::install_default_drivers();
    let source = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .map_err(damaged)?;
    let intact: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&source)
        .await
        .map_err(damaged)?;
    let same_schema = migrations(&source).await.ok() == Some(migrations(pool).await?);
    source.close().await;
    if intact != "ok" {
        return Err(StoreError::invalid("file", "damaged"));
    }
    if !same_schema {
        return Err(StoreError::invalid("file", "other_version"));
    }

    let mut conn = pool.acquire().await?;
    // Rows go in table by table; their references hold again at the end.
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await?;
    sqlx::query("ATTACH DATABASE $1 AS backup")
        .bind(path.to_string_lossy().to_string())
        .execute(&mut *conn)
        .await?;
    let copied = copy_all(&mut conn, &tables(pool).await?).await;
    sqlx::query("DETACH DATABASE backup")
        .execute(&mut *conn)
        .await?;
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await?;
    copied
}

async fn copy_all(conn: &mut crate::db::Conn, tables: &[String]) -> Result<()> {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    match copy_tables(conn, tables).await {
        Ok(()) => {
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            Ok(())
        }
        Err(e) => {
            sqlx::query("ROLLBACK").execute(&mut *conn).await.ok();
            Err(e)
        }
    }
}

async fn copy_tables(conn: &mut crate::db::Conn, tables: &[String]) -> Result<()> {
    // The session table exists once the server has run; without it there is no one to sign out.
    sqlx::query("DELETE FROM main.tower_sessions")
        .execute(&mut *conn)
        .await
        .ok();
    for t in tables {
        let t = ident(t);
        sqlx::query(&format!("DELETE FROM main.{t}"))
            .execute(&mut *conn)
            .await?;
        sqlx::query(&format!("INSERT INTO main.{t} SELECT * FROM backup.{t}"))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("lianxin-backup-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&file);
        file
    }

    #[tokio::test]
    async fn a_backup_restores_to_identical_data() {
        let live_path = scratch("live");
        let live = crate::connect(&format!("sqlite://{}", live_path.display()))
            .await
            .unwrap();
        crate::migrate(&live).await.unwrap();
        crate::demo::load(&live, false, Utc::now()).await.unwrap();
        crate::supervision::remind(&live, Utc::now()).await.unwrap();
        let before = summary(&live).await.unwrap();
        assert!(before.iter().any(|t| t.name == "cases" && t.rows > 0));
        let figures = crate::stats::public_stats(&live, None, Utc::now())
            .await
            .unwrap();

        let copy = scratch("copy");
        backup(&live, &copy).await.unwrap();
        assert!(matches!(
            backup(&live, &copy).await,
            Err(StoreError::Invalid(_))
        ));

        // Change and lose data after the backup; the restore brings it back exactly.
        sqlx::query("DELETE FROM reminders")
            .execute(&live)
            .await
            .unwrap();
        sqlx::query("UPDATE cases SET title = '改过了'")
            .execute(&live)
            .await
            .unwrap();
        assert_ne!(summary(&live).await.unwrap(), before);
        restore(&live, &copy).await.unwrap();
        assert_eq!(summary(&live).await.unwrap(), before);
        // The tallies are not restored but recounted, case by case, by the
        // triggers as the restore deletes and writes them.
        assert_eq!(
            crate::stats::public_stats(&live, None, Utc::now())
                .await
                .unwrap(),
            figures
        );
        let broken: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
            .fetch_all(&live)
            .await
            .unwrap_or_default();
        assert!(broken.is_empty());

        // Not a database, or none at all: refused, nothing touched.
        let junk = scratch("junk");
        std::fs::write(&junk, "not a database").unwrap();
        assert!(restore(&live, &junk).await.is_err());
        assert!(
            restore(&live, &junk.with_extension("missing"))
                .await
                .is_err()
        );
        assert_eq!(summary(&live).await.unwrap(), before);
    }
}
