//! Administering the region tree: adding and renaming nodes, and importing
//! a whole branch from CSV. An import is checked line by line first; a file
//! with any bad line imports nothing and names every bad line.

use crate::audit::{self, Change};
use crate::cases::By;
use crate::reference::{self, RegionTree};
use crate::users::UserRow;
use crate::{Pool, Result, StoreError, access};
use chrono::{DateTime, Utc};
use domain::view::{ImportReport, LineError};
use domain::{Permission, RegionLevel};
use std::collections::HashMap;

pub const MAX_NAME: usize = 40;
/// Lines one import may hold.
pub const MAX_LINES: usize = 20_000;

/// A level as a file may spell it: `grid` or `网格`.
fn level_of(raw: &str) -> Option<RegionLevel> {
    let raw = raw.trim();
    RegionLevel::parse(raw).or(match raw {
        "市" => Some(RegionLevel::City),
        "区" | "县" | "区县" => Some(RegionLevel::District),
        "街道" | "乡镇" => Some(RegionLevel::Street),
        "社区" => Some(RegionLevel::Community),
        "网格" => Some(RegionLevel::Grid),
        "小区" => Some(RegionLevel::Compound),
        "楼栋" | "单元" => Some(RegionLevel::Building),
        _ => None,
    })
}

fn check_name(name: &str) -> Option<&'static str> {
    let n = name.trim().chars().count();
    if n == 0 {
        Some("required")
    } else if n > MAX_NAME {
        Some("too_long")
    } else {
        None
    }
}

/// Every node's name chain from the root ("吕梁市/离石区/…") with its id and level.
fn chains(tree: &RegionTree) -> HashMap<String, (Option<i64>, RegionLevel)> {
    let mut out = HashMap::new();
    for n in tree.within("/") {
        let names: Vec<String> = n
            .path
            .split('/')
            .filter_map(|s| s.parse::<i64>().ok())
            .filter_map(|id| tree.get(id).map(|r| r.name.clone()))
            .collect();
        if let Some(level) = n.level() {
            out.insert(names.join("/"), (Some(n.id), level));
        }
    }
    out
}

/// One checked line, ready to insert once the whole file is good.
struct Planned {
    chain: String,
    parent: String,
    level: RegionLevel,
    name: String,
}

/// Imports `text` (CSV with the heading 上级,层级,名称: the parent's name
/// chain from the root separated by "/", empty for a root; the level as a
/// code or in Chinese; the name). Parents may be earlier lines of the file.
pub async fn import(
    pool: &Pool,
    user: &UserRow,
    text: &str,
    now: DateTime<Utc>,
) -> Result<ImportReport> {
    access::permit(user, Permission::ManageRegions)?;
    let tree = reference::region_tree(pool).await?;
    let mut known = chains(&tree);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut report = ImportReport::default();
    let mut planned: Vec<Planned> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        report.lines += 1;
        if report.lines > MAX_LINES {
            report.errors.push(LineError {
                line,
                problem: "too_many_lines".into(),
            });
            break;
        }
        let fail = |problem: &str| LineError {
            line,
            problem: problem.into(),
        };
        let Ok(record) = record else {
            report.errors.push(fail("unreadable"));
            continue;
        };
        if record.len() != 3 {
            report.errors.push(fail("columns"));
            continue;
        }
        let (parent, level, name) = (record[0].trim_matches('/'), &record[1], record[2].trim());
        let Some(level) = level_of(level) else {
            report.errors.push(fail("level"));
            continue;
        };
        if let Some(problem) = check_name(name) {
            report.errors.push(fail(problem));
            continue;
        }
        if name.contains('/') {
            report.errors.push(fail("slash"));
            continue;
        }
        let parent_level = if parent.is_empty() {
            None
        } else {
            match known.get(parent) {
                Some((_, l)) => Some(*l),
                None => {
                    report.errors.push(fail("parent"));
                    continue;
                }
            }
        };
        if parent_level.is_some_and(|p| p >= level) {
            report.errors.push(fail("level_order"));
            continue;
        }
        let chain = if parent.is_empty() {
            name.to_string()
        } else {
            format!("{parent}/{name}")
        };
        if known.contains_key(&chain) {
            report.errors.push(fail("duplicate"));
            continue;
        }
        known.insert(chain.clone(), (None, level));
        planned.push(Planned {
            chain,
            parent: parent.to_string(),
            level,
            name: name.to_string(),
        });
    }
    if !report.errors.is_empty() {
        return Ok(report);
    }
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    // Ids and paths of the nodes added so far, by name chain.
    let mut added: HashMap<String, (i64, String)> = HashMap::new();
    for p in &planned {
        let (parent_id, parent_path) = match known.get(&p.parent) {
            _ if p.parent.is_empty() => (None, "/".to_string()),
            Some((Some(id), _)) => (
                Some(*id),
                tree.get(*id).map(|n| n.path.clone()).unwrap_or_default(),
            ),
            _ => match added.get(&p.parent) {
                Some((id, path)) => (Some(*id), path.clone()),
                None => return Err(StoreError::NotFound),
            },
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO regions (parent_id, level, name, path) VALUES ($1, $2, $3, '') RETURNING id",
        )
        .bind(parent_id)
        .bind(p.level.as_str())
        .bind(&p.name)
        .fetch_one(&mut *tx)
        .await?;
        let path = format!("{parent_path}{id}/");
        sqlx::query("UPDATE regions SET path = $1 WHERE id = $2")
            .bind(&path)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        added.insert(p.chain.clone(), (id, path));
    }
    audit::record(
        &mut tx,
        Change::by(&by, "regions.imported", "region", "import")
            .states(None, Some(serde_json::json!({ "nodes": planned.len() }))),
        now,
    )
    .await?;
    tx.commit().await?;
    report.imported = planned.len();
    Ok(report)
}

/// Adds one node below `parent`.
pub async fn add(
    pool: &Pool,
    user: &UserRow,
    parent: i64,
    name: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    access::permit(user, Permission::ManageRegions)?;
    let tree = reference::region_tree(pool).await?;
    let node = tree
        .get(parent)
        .ok_or_else(|| StoreError::invalid("parent", "unknown"))?;
    let level = node
        .level()
        .and_then(|l| l.child())
        .ok_or_else(|| StoreError::invalid("parent", "level_order"))?;
    if let Some(problem) = check_name(name) {
        return Err(StoreError::invalid("name", problem));
    }
    if tree
        .within(&node.path)
        .any(|n| n.parent_id == Some(parent) && n.name == name.trim())
    {
        return Err(StoreError::invalid("name", "duplicate"));
    }
    let id = reference::insert_region(pool, Some(parent), level, name.trim()).await?;
    let mut tx = pool.begin().await?;
    audit::record(
        &mut tx,
        Change::by(&By::user(user), "region.added", "region", id.to_string()).states(
            None,
            Some(serde_json::json!({ "parent": parent, "level": level.as_str(), "name": name.trim() })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames a node; its cases, stations and history stay where they are.
pub async fn rename(
    pool: &Pool,
    user: &UserRow,
    id: i64,
    name: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    access::permit(user, Permission::ManageRegions)?;
    if let Some(problem) = check_name(name) {
        return Err(StoreError::invalid("name", problem));
    }
    let tree = reference::region_tree(pool).await?;
    let node = tree.get(id).ok_or(StoreError::NotFound)?;
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE regions SET name = $1 WHERE id = $2")
        .bind(name.trim())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Change::by(&By::user(user), "region.renamed", "region", id.to_string()).states(
            Some(serde_json::json!({ "name": node.name })),
            Some(serde_json::json!({ "name": name.trim() })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn admin(pool: &Pool) -> UserRow {
        crate::users::find_by_username(pool, "admin")
            .await
            .unwrap()
            .unwrap()
    }

    async fn regions(pool: &Pool) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM regions")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    const COMMUNITY: &str = "吕梁市/离石区/凤山街道/袁家庄社区";

    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn one_bad_line_imports_nothing_and_a_good_file_imports_fully(pool: Pool) {
        let now = Utc::now();
        crate::demo::load(&pool, false, now).await.unwrap();
        let admin = admin(&pool).await;
        let before = regions(&pool).await;
        let bad = format!(
            "上级,层级,名称\n{COMMUNITY},网格,第三网格\n{COMMUNITY}/第三网格,小区,幸福里\n{COMMUNITY}/第九网格,小区,无主小区\n"
        );
        let report = import(&pool, &admin, &bad, now).await.unwrap();
        assert_eq!(report.imported, 0);
        assert_eq!(
            report.errors,
            vec![LineError {
                line: 4,
                problem: "parent".into()
            }]
        );
        assert_eq!(regions(&pool).await, before, "nothing imported");

        let good = format!(
            "\u{feff}上级,层级,名称\n{COMMUNITY},网格,第三网格\n{COMMUNITY}/第三网格,compound,幸福里\n{COMMUNITY}/第三网格/幸福里,楼栋,1号楼\n"
        );
        let report = import(&pool, &admin, &good, now).await.unwrap();
        assert_eq!((report.lines, report.imported), (3, 3));
        assert!(report.errors.is_empty());
        assert_eq!(regions(&pool).await, before + 3);
        let tree = reference::region_tree(&pool).await.unwrap();
        let compound = tree.within("/").find(|n| n.name == "幸福里").unwrap();
        let building = tree
            .within(&compound.path)
            .find(|n| n.parent_id == Some(compound.id))
            .unwrap();
        assert_eq!(
            tree.label(building.id),
            "袁家庄社区 / 第三网格 / 幸福里 / 1号楼"
        );
        // The same file again: every line is a duplicate now.
        let again = import(&pool, &admin, &good, now).await.unwrap();
        assert_eq!(again.errors.len(), 3);
        assert!(again.errors.iter().all(|e| e.problem == "duplicate"));

        // Every kind of bad line is named.
        let mixed = format!(
            "上级,层级,名称\n{COMMUNITY},星球,火星\n{COMMUNITY},社区,子社区\n{COMMUNITY},网格\n{COMMUNITY},网格,\n"
        );
        let problems: Vec<(usize, String)> = import(&pool, &admin, &mixed, now)
            .await
            .unwrap()
            .errors
            .into_iter()
            .map(|e| (e.line, e.problem))
            .collect();
        assert_eq!(
            problems,
            [
                (2, "level".to_string()),
                (3, "level_order".to_string()),
                (4, "columns".to_string()),
                (5, "required".to_string())
            ]
        );
        // Only administrators import.
        let director = crate::users::find_by_username(&pool, "director")
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            import(&pool, &director, &good, now).await,
            Err(StoreError::Forbidden)
        ));
    }

    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn nodes_are_added_below_their_parent_and_renamed(pool: Pool) {
        let now = Utc::now();
        crate::demo::load(&pool, false, now).await.unwrap();
        let admin = admin(&pool).await;
        let grid: i64 = sqlx::query_scalar("SELECT id FROM regions WHERE level = 'grid' LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
        let id = add(&pool, &admin, grid, "新建小区", now).await.unwrap();
        let tree = reference::region_tree(&pool).await.unwrap();
        assert_eq!(tree.get(id).unwrap().level(), Some(RegionLevel::Compound));
        assert!(matches!(
            add(&pool, &admin, grid, "新建小区", now).await,
            Err(StoreError::Invalid(e)) if e[0].message == "duplicate"
        ));
        rename(&pool, &admin, id, "新建家园", now).await.unwrap();
        let tree = reference::region_tree(&pool).await.unwrap();
        assert_eq!(tree.get(id).unwrap().name, "新建家园");
        assert!(crate::audit::verify(&pool).await.unwrap().is_ok());
    }
}
