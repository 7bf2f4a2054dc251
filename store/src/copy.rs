//! `lianxin copy`: moves a whole database to another, either way between
//! SQLite and PostgreSQL — the step from a single-file trial to a city-wide
//! deployment. Rows keep their ids; the target's id sequences continue after
//! them. The copy is one transaction on the target: all or nothing.

use crate::backup::{TableSummary, ident, summary, tables};
use crate::db::{Backend, Builder};
use crate::{Pool, Result, StoreError};
use futures_util::TryStreamExt;
use sqlx::Row;
use sqlx::any::{AnyRow, AnyTypeInfoKind};
use std::collections::{BTreeMap, BTreeSet};

/// Tables the migrations fill; an empty target holds only their seed.
const SEEDED: [&str; 1] = ["audit_head"];

/// Rows per INSERT, kept under both databases' limits on bound values.
const VALUES_PER_STATEMENT: usize = 10_000;

/// A foreign key: `table.column` references `parent`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Reference {
    table: String,
    column: String,
    parent: String,
}

async fn references(pool: &Pool) -> Result<Vec<Reference>> {
    let sql = match Backend::of(pool) {
        Backend::Sqlite => {
            "SELECT m.name, p.\"from\", p.\"table\" FROM sqlite_master m \
             JOIN pragma_foreign_key_list(m.name) p WHERE m.type = 'table'"
        }
        Backend::Postgres => {
            "SELECT CAST(k.table_name AS TEXT), CAST(k.column_name AS TEXT), CAST(u.table_name AS TEXT) \
             FROM information_schema.table_constraints t \
             JOIN information_schema.key_column_usage k \
               ON k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema \
             JOIN information_schema.constraint_column_usage u \
               ON u.constraint_name = t.constraint_name AND u.table_schema = t.table_schema \
             WHERE t.constraint_type = 'FOREIGN KEY' AND t.table_schema = current_schema()"
        }
    };
    let rows: Vec<(String, String, String)> = sqlx::query_as(sql).fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .map(|(table, column, parent)| Reference {
            table,
            column,
            parent,
        })
        .collect())
}

/// Tables in an order where every parent comes before its children, and the
/// columns that must be filled in afterwards: references to the same table
/// (a region's parent may have a larger id) and any that close a cycle.
fn plan(tables: &[String], refs: &[Reference]) -> (Vec<String>, BTreeSet<(String, String)>) {
    let mut later: BTreeSet<(String, String)> = BTreeSet::new();
    let mut waiting: BTreeMap<&str, BTreeSet<&str>> = tables
        .iter()
        .map(|t| (t.as_str(), BTreeSet::new()))
        .collect();
    for r in refs {
        if r.table == r.parent {
            later.insert((r.table.clone(), r.column.clone()));
        } else if let Some(w) = waiting.get_mut(r.table.as_str())
            && tables.contains(&r.parent)
        {
            w.insert(r.parent.as_str());
        }
    }
    let mut order: Vec<String> = Vec::new();
    while !waiting.is_empty() {
        let ready: Vec<&str> = waiting
            .iter()
            .filter(|(_, parents)| parents.is_empty())
            .map(|(t, _)| *t)
            .collect();
        let next: Vec<&str> = if ready.is_empty() {
            // A cycle: take the table waiting on fewest others and fill its
            // references into them in afterwards.
            let (t, parents) = waiting
                .iter()
                .min_by_key(|(t, p)| (p.len(), **t))
                .map(|(t, p)| (*t, p.clone()))
                .unwrap_or_default();
            for r in refs {
                if r.table == t && parents.contains(r.parent.as_str()) {
                    later.insert((r.table.clone(), r.column.clone()));
                }
            }
            vec![t]
        } else {
            ready
        };
        for t in next {
            waiting.remove(t);
            for parents in waiting.values_mut() {
                parents.remove(t);
            }
            order.push(t.to_string());
        }
    }
    (order, later)
}

async fn boolean_columns(pool: &Pool) -> Result<BTreeSet<(String, String)>> {
    if Backend::of(pool) == Backend::Sqlite {
        // SQLite keeps booleans as 0/1 and takes booleans as such.
        return Ok(BTreeSet::new());
    }
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
         WHERE table_schema = current_schema() AND data_type = 'boolean'",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

async fn versions(pool: &Pool) -> Result<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?,
    )
}

/// Whether `pool` holds nothing but what its migrations put there.
async fn is_empty(pool: &Pool) -> Result<bool> {
    for t in tables(pool).await? {
        if SEEDED.contains(&t.as_str()) {
            continue;
        }
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", ident(&t)))
            .fetch_one(pool)
            .await?;
        if n > 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// One value of a source row, bound for the target.
fn bind_value(qb: &mut Builder, row: &AnyRow, i: usize, boolean: bool) -> Result<()> {
    let raw = row.try_get_raw(i)?;
    if sqlx::ValueRef::is_null(&raw) {
        qb.push("NULL");
        return Ok(());
    }
    match sqlx::ValueRef::type_info(&raw).kind() {
        AnyTypeInfoKind::Bool => {
            qb.push_bind(row.try_get::<bool, _>(i)?);
        }
        AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
            let v: i64 = row.try_get(i)?;
            if boolean {
                qb.push_bind(v != 0);
            } else {
                qb.push_bind(v);
            }
        }
        AnyTypeInfoKind::Real | AnyTypeInfoKind::Double => {
            qb.push_bind(row.try_get::<f64, _>(i)?);
        }
        AnyTypeInfoKind::Blob => {
            qb.push_bind(row.try_get::<Vec<u8>, _>(i)?);
        }
        _ => {
            qb.push_bind(row.try_get::<String, _>(i)?);
        }
    }
    Ok(())
}

/// Copies every row of `from` into `to`, which must be migrated to the same
/// version and hold nothing yet. `progress(table, copied, total)` is called
/// after each batch. Returns the target's summary, equal to the source's.
pub async fn copy(
    from: &Pool,
    to: &Pool,
    mut progress: impl FnMut(&str, u64, u64),
) -> Result<Vec<TableSummary>> {
    if versions(from).await? != versions(to).await? {
        return Err(StoreError::invalid("to", "other_version"));
    }
    if !is_empty(to).await? {
        return Err(StoreError::invalid("to", "not_empty"));
    }
    let names = tables(from).await?;
    let (order, later) = plan(&names, &references(to).await?);
    let booleans = boolean_columns(to).await?;

    let mut tx = to.begin().await?;
    for t in SEEDED {
        sqlx::query(&format!("DELETE FROM {}", ident(t)))
            .execute(&mut *tx)
            .await?;
    }
    for table in &order {
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", ident(table)))
            .fetch_one(from)
            .await?;
        let select = format!("SELECT * FROM {}", ident(table));
        let mut rows = sqlx::query(&select).fetch(from);
        let mut batch: Vec<AnyRow> = Vec::new();
        let mut done = 0_u64;
        let mut afterwards: Vec<(String, i64, i64)> = Vec::new();
        loop {
            let row = rows.try_next().await?;
            let full = batch.first().is_some_and(|r| {
                (batch.len() + 1) * sqlx::Row::columns(r).len() > VALUES_PER_STATEMENT
            });
            if (row.is_none() || full) && !batch.is_empty() {
                insert(&mut tx, table, &batch, &later, &booleans, &mut afterwards).await?;
                done += batch.len() as u64;
                progress(table, done, total as u64);
                batch.clear();
            }
            match row {
                Some(r) => batch.push(r),
                None => break,
            }
        }
        for (column, id, value) in afterwards {
            sqlx::query(&format!(
                "UPDATE {} SET {} = $1 WHERE id = $2",
                ident(table),
                ident(&column)
            ))
            .bind(value)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        if total == 0 {
            progress(table, 0, 0);
        }
        // The next tables' foreign keys and triggers look these rows up.
        crate::db::analyze(&mut *tx, Backend::of(to), &[ident(table).as_str()]).await?;
    }
    if Backend::of(to) == Backend::Postgres {
        // Identity columns continue after the copied ids.
        let identities: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(table_name AS TEXT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'",
        )
        .fetch_all(&mut *tx)
        .await?;
        for t in identities {
            let _: i64 = sqlx::query_scalar(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {}",
                ident(&t)
            ))
            .fetch_one(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    if Backend::of(to) == Backend::Postgres {
        // Freshly loaded tables are planned as if empty until analysed
        // (docs/benchmarks.md: the ledger's page 80 times slower).
        sqlx::query("ANALYZE").execute(to).await?;
    }
    summary(to).await
}

/// Inserts one batch; self and cyclic references go in as NULL and are
/// noted in `afterwards` as (column, row id, value).
async fn insert(
    tx: &mut crate::db::Tx<'_>,
    table: &str,
    batch: &[AnyRow],
    later: &BTreeSet<(String, String)>,
    booleans: &BTreeSet<(String, String)>,
    afterwards: &mut Vec<(String, i64, i64)>,
) -> Result<()> {
    use sqlx::Column;
    let Some(first) = batch.first() else {
        return Ok(());
    };
    let columns: Vec<String> = first
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let mut qb = Builder::new(format!(
        "INSERT INTO {} ({}) VALUES ",
        ident(table),
        columns
            .iter()
            .map(|c| ident(c))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for (n, row) in batch.iter().enumerate() {
        qb.push(if n == 0 { "(" } else { ", (" });
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                qb.push(", ");
            }
            let key = (table.to_string(), column.clone());
            if later.contains(&key) {
                if let Some(value) = row.try_get::<Option<i64>, _>(i)? {
                    afterwards.push((column.clone(), row.try_get::<i64, _>("id")?, value));
                }
                qb.push("NULL");
            } else {
                bind_value(&mut qb, row, i, booleans.contains(&key))?;
            }
        }
        qb.push(")");
    }
    qb.build()?.execute(&mut **tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDb;
    use chrono::Utc;

    #[tokio::test]
    async fn a_whole_database_moves_with_nothing_lost_and_a_full_target_is_refused() {
        let source = TestDb::sqlite().await;
        crate::demo::load(&source.pool, false, Utc::now())
            .await
            .unwrap();
        crate::supervision::remind(&source.pool, Utc::now() + chrono::Duration::days(3))
            .await
            .unwrap();
        let before = summary(&source.pool).await.unwrap();
        let rows = |s: &[TableSummary], t: &str| s.iter().find(|x| x.name == t).map(|x| x.rows);
        assert!(rows(&before, "cases") > Some(0) && rows(&before, "reminders") > Some(0));

        // SQLite to the run's database (PostgreSQL in the PostgreSQL run).
        let target = TestDb::new().await;
        let mut last: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let copied = copy(&source.pool, &target.pool, |t, done, total| {
            last.insert(t.to_string(), (done, total));
        })
        .await
        .unwrap();
        assert_eq!(copied, before, "row counts and content hashes per table");
        let cases = rows(&before, "cases").unwrap_or_default() as u64;
        assert_eq!(last.get("cases"), Some(&(cases, cases)));
        assert_eq!(last.len(), before.len(), "progress names every table");
        // The figures' tallies are not copied: the target's triggers count
        // the cases as they arrive, to the same figures.
        let now = Utc::now();
        assert_eq!(
            crate::stats::public_stats(&target.pool, None, now)
                .await
                .unwrap(),
            crate::stats::public_stats(&source.pool, None, now)
                .await
                .unwrap()
        );
        let leader = crate::users::find_by_username(&source.pool, "leader")
            .await
            .unwrap()
            .unwrap();
        let today = now.with_timezone(&domain::deadline::china()).date_naive();
        let (first, end) = domain::figures::period(None, None, today).unwrap();
        for dimension in domain::figures::Dimension::ALL {
            let report = async |pool| {
                crate::stats::report(pool, &leader, dimension, first, end)
                    .await
                    .unwrap()
            };
            assert_eq!(report(&target.pool).await, report(&source.pool).await);
        }

        // The copy carries on where the source stopped.
        assert!(crate::audit::verify(&target.pool).await.unwrap().is_ok());
        let max: i64 = sqlx::query_scalar("SELECT MAX(id) FROM units")
            .fetch_one(&target.pool)
            .await
            .unwrap();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO units (name, kind) VALUES ('新单位', 'street') RETURNING id",
        )
        .fetch_one(&target.pool)
        .await
        .unwrap();
        assert!(id > max);

        // A target with data is refused and left as it was.
        let held = summary(&target.pool).await.unwrap();
        assert!(matches!(
            copy(&source.pool, &target.pool, |_, _, _| {}).await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(summary(&target.pool).await.unwrap(), held);

        // And back again into a new SQLite file, still identical.
        let back = TestDb::sqlite().await;
        assert_eq!(
            copy(&target.pool, &back.pool, |_, _, _| {}).await.unwrap(),
            held
        );
    }

    fn reference(table: &str, column: &str, parent: &str) -> Reference {
        Reference {
            table: table.into(),
            column: column.into(),
            parent: parent.into(),
        }
    }

    #[test]
    fn parents_come_first_and_self_references_are_filled_in_later() {
        let tables: Vec<String> = ["cases", "regions", "users"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let refs = vec![
            reference("cases", "region_id", "regions"),
            reference("cases", "created_by", "users"),
            reference("users", "region_id", "regions"),
            reference("regions", "parent_id", "regions"),
        ];
        let (order, later) = plan(&tables, &refs);
        assert_eq!(order, vec!["regions", "users", "cases"]);
        assert_eq!(
            later.into_iter().collect::<Vec<_>>(),
            vec![("regions".to_string(), "parent_id".to_string())]
        );
    }

    #[test]
    fn a_cycle_is_broken_by_filling_one_side_in_later() {
        let tables: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        let refs = vec![reference("a", "b_id", "b"), reference("b", "a_id", "a")];
        let (order, later) = plan(&tables, &refs);
        assert_eq!(order.len(), 2);
        assert_eq!(later.len(), 1);
    }
}
