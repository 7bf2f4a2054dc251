//! Administering the region tree: adding and renaming nodes, and importing
//! a whole branch from CSV. An import is checked line by line first; a file
//! with any bad line imports nothing and names every bad line.

use crate::audit::{self, Change};
use crate::events::By;
use crate::reference::{self, RegionTree};
use crate::users::UserRow;
use crate::{Pool, Result, StoreError, access};
use chrono::{DateTime, Utc};
use domain::region::{ImportLine, check_region_name};
use domain::view::{ImportReport, LineError};
use domain::{Permission, RegionLevel};
use std::collections::HashMap;

/// Lines one import may hold.
pub const MAX_LINES: usize = 20_000;

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
        let fields: Vec<&str> = record.iter().collect();
        let ImportLine {
            parent,
            level,
            name,
        } = match ImportLine::parse(&fields) {
            Ok(line) => line,
            Err(problem) => {
                report.errors.push(fail(problem));
                continue;
            }
        };
        let (parent, name) = (parent.as_str(), name.as_str());
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
    let name = check_region_name(name).map_err(|problem| StoreError::invalid("name", problem))?;
    if tree
        .within(&node.path)
        .any(|n| n.parent_id == Some(parent) && n.name == name)
    {
        return Err(StoreError::invalid("name", "duplicate"));
    }
    let mut tx = pool.begin().await?;
    let id = reference::insert_region_in(&mut tx, Some(parent), level, name).await?;
    audit::record(
        &mut tx,
        Change::by(&By::user(user), "region.added", "region", id.to_string()).states(
            None,
            Some(serde_json::json!({ "parent": parent, "level": level.as_str(), "name": name })),
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
    let name = check_region_name(name).map_err(|problem| StoreError::invalid("name", problem))?;
    let tree = reference::region_tree(pool).await?;
    let node = tree.get(id).ok_or(StoreError::NotFound)?;
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE regions SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Change::by(&By::user(user), "region.renamed", "region", id.to_string()).states(
            Some(serde_json::json!({ "name": node.name })),
            Some(serde_json::json!({ "name": name })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Moves a node (and everything below it) under another node one level
/// above it; its cases, accounts and stations move with it, since they hang
/// on the node and every scope follows the paths.
pub async fn move_node(
    pool: &Pool,
    user: &UserRow,
    id: i64,
    parent: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    access::permit(user, Permission::ManageRegions)?;
    let tree = reference::region_tree(pool).await?;
    let node = tree.get(id).ok_or(StoreError::NotFound)?;
    let target = tree
        .get(parent)
        .ok_or_else(|| StoreError::invalid("parent", "unknown"))?;
    if target.path.starts_with(&node.path) {
        return Err(StoreError::invalid("parent", "inside_itself"));
    }
    if target.level().and_then(|l| l.child()) != node.level() {
        return Err(StoreError::invalid("parent", "level_order"));
    }
    if node.parent_id == Some(parent) {
        return Err(StoreError::invalid("parent", "same_parent"));
    }
    if tree
        .within(&target.path)
        .any(|n| n.parent_id == Some(parent) && n.name == node.name)
    {
        return Err(StoreError::invalid("name", "duplicate"));
    }
    let new_path = format!("{}{}/", target.path, node.id);
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE regions SET parent_id = $1 WHERE id = $2")
        .bind(parent)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    // One statement rewrites the whole subtree's paths (portable SQL).
    sqlx::query(
        "UPDATE regions SET path = $1 || substr(path, CAST($2 AS INTEGER)) WHERE path LIKE $3",
    )
    .bind(&new_path)
    .bind(i64::try_from(node.path.len()).unwrap_or(0) + 1)
    .bind(format!("{}%", node.path))
    .execute(&mut *tx)
    .await?;
    // Cases keep their region's path (their area scope): the same rewrite.
    let (from, to) = crate::cases::area_range(&node.path);
    sqlx::query(
        "UPDATE cases SET area_path = $1 || substr(area_path, CAST($2 AS INTEGER)) \
         WHERE area_path >= $3 AND area_path < $4",
    )
    .bind(&new_path)
    .bind(i64::try_from(node.path.len()).unwrap_or(0) + 1)
    .bind(from)
    .bind(to)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Change::by(&By::user(user), "region.moved", "region", id.to_string()).states(
            Some(serde_json::json!({ "parent": node.parent_id, "path": node.path })),
            Some(serde_json::json!({ "parent": parent, "path": new_path })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Retires a node and everything below it. Closed cases keep naming it;
/// a node with open cases, active accounts or stations is refused until
/// they are moved.
pub async fn retire(pool: &Pool, user: &UserRow, id: i64, now: DateTime<Utc>) -> Result<i64> {
    access::permit(user, Permission::ManageRegions)?;
    let tree = reference::region_tree(pool).await?;
    let node = tree.get(id).ok_or(StoreError::NotFound)?;
    if node.parent_id.is_none() {
        return Err(StoreError::invalid("region", "root"));
    }
    let like = format!("{}%", node.path);
    let (open, accounts, stations): (i64, i64, i64) = sqlx::query_as(
        "SELECT          (SELECT COUNT(*) FROM cases c JOIN regions r ON r.id = c.region_id           WHERE r.path LIKE $1 AND c.status NOT IN ('closed', 'merged')),          (SELECT COUNT(*) FROM users u JOIN regions r ON r.id = u.region_id           WHERE r.path LIKE $1 AND u.disabled_at IS NULL),          (SELECT COUNT(*) FROM stations s JOIN regions r ON r.id = s.region_id WHERE r.path LIKE $1)",
    )
    .bind(&like)
    .fetch_one(pool)
    .await?;
    let mut errors = Vec::new();
    for (n, problem) in [
        (open, "open_cases"),
        (accounts, "has_accounts"),
        (stations, "has_stations"),
    ] {
        if n > 0 {
            errors.push(domain::FieldError::new("region", problem));
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let mut tx = pool.begin().await?;
    let done =
        sqlx::query("UPDATE regions SET retired = TRUE WHERE path LIKE $1 AND retired = FALSE")
            .bind(&like)
            .execute(&mut *tx)
            .await?;
    audit::record(
        &mut tx,
        Change::by(&By::user(user), "region.retired", "region", id.to_string()).states(
            None,
            Some(serde_json::json!({ "name": node.name, "nodes": done.rows_affected() })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(i64::try_from(done.rows_affected()).unwrap_or(0))
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

    #[tokio::test]
    async fn one_bad_line_imports_nothing_and_a_good_file_imports_fully() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
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

    #[tokio::test]
    async fn nodes_are_added_below_their_parent_and_renamed() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let admin = admin(&pool).await;
        let grid: i64 =
            sqlx::query_scalar("SELECT id FROM regions WHERE level = 'grid' ORDER BY id LIMIT 1")
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

    #[tokio::test]
    async fn a_moved_node_takes_its_cases_along_and_a_retired_one_keeps_their_history() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let admin = admin(&pool).await;
        let id_of = |sql: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        // A compound of 袁家庄社区's first grid moves to its second grid.
        let compound = id_of(
            "SELECT c.id FROM regions c JOIN regions g ON g.id = c.parent_id \
             JOIN regions m ON m.id = g.parent_id WHERE m.name = '袁家庄社区' \
             AND g.name = '第一网格' AND c.level = 'compound' ORDER BY c.id LIMIT 1",
        )
        .await;
        let second_grid = id_of(
            "SELECT g.id FROM regions g JOIN regions m ON m.id = g.parent_id \
             WHERE m.name = '袁家庄社区' AND g.name = '第二网格'",
        )
        .await;
        let community = id_of("SELECT id FROM regions WHERE name = '袁家庄社区'").await;
        // By the path each case carries, as lists scope them.
        let cases_of = |path: String| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cases WHERE area_path LIKE $1")
                    .bind(format!("{path}%"))
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        let tree = reference::region_tree(&pool).await.unwrap();
        let before_path = tree.get(compound).unwrap().path.clone();
        let moving = cases_of(before_path.clone()).await;
        assert!(moving > 0, "the demo compound has cases");
        let second_path = tree.get(second_grid).unwrap().path.clone();
        let second_before = cases_of(second_path.clone()).await;
        // Wrong targets: a level that does not fit, itself, a building below it.
        for (parent, problem) in [(community, "level_order"), (compound, "inside_itself")] {
            assert!(matches!(
                move_node(&pool, &admin, compound, parent, now).await,
                Err(StoreError::Invalid(e)) if e[0].message == problem
            ));
        }
        move_node(&pool, &admin, compound, second_grid, now)
            .await
            .unwrap();
        let tree = reference::region_tree(&pool).await.unwrap();
        let moved = tree.get(compound).unwrap();
        assert_eq!(moved.path, format!("{second_path}{compound}/"));
        assert_eq!(moved.parent_id, Some(second_grid));
        // Its buildings followed, and so did its cases.
        assert!(
            tree.within(&moved.path)
                .filter(|n| n.level == "building")
                .count()
                >= 2
        );
        assert_eq!(cases_of(second_path.clone()).await, second_before + moving);
        assert!(tree.label(compound).contains("第二网格"));

        // A compound with open cases cannot be retired; one without can.
        assert!(matches!(
            retire(&pool, &admin, compound, now).await,
            Err(StoreError::Invalid(e)) if e.iter().any(|e| e.message == "open_cases")
        ));
        let building = tree
            .within(&moved.path)
            .find(|n| n.level == "building")
            .unwrap()
            .id;
        sqlx::query("UPDATE cases SET status = 'closed' WHERE region_id = $1")
            .bind(building)
            .execute(&pool)
            .await
            .unwrap();
        let closed_here: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE region_id = $1")
                .bind(building)
                .fetch_one(&pool)
                .await
                .unwrap();
        let label = tree.label(building);
        assert_eq!(retire(&pool, &admin, building, now).await.unwrap(), 1);
        let tree = reference::region_tree(&pool).await.unwrap();
        // Not offered or accepted any more, but its old cases keep their place.
        assert!(tree.get(building).is_none());
        assert!(tree.within("/").all(|n| n.id != building));
        assert_eq!(tree.label(building), label);
        let options = reference::options(&pool, None).await.unwrap();
        assert!(options.regions.iter().all(|r| r.id != building));
        if closed_here > 0 {
            let code: String = sqlx::query_scalar(
                "SELECT code FROM cases WHERE region_id = $1 ORDER BY id LIMIT 1",
            )
            .bind(building)
            .fetch_one(&pool)
            .await
            .unwrap();
            let code = domain::TrackingCode::parse(&code).unwrap();
            let detail = crate::casefile::detail(&pool, &admin, &code, now)
                .await
                .unwrap();
            assert!(!detail.place.is_empty());
        }
        // Nothing new hangs on a retired node.
        assert!(matches!(
            add(&pool, &admin, building, "1单元", now).await,
            Err(StoreError::Invalid(_))
        ));
        let entries = crate::audit::for_entity(&pool, "region", &compound.to_string())
            .await
            .unwrap();
        assert!(entries.iter().any(|e| e.action == "region.moved"));
    }
}
