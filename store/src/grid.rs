//! The grid view (网格视图): the region tree without a map. Every node shows
//! the open, overdue and this month's closed cases of its subtree, the
//! satisfaction, and the share settled at compound or grid tier; a heat
//! table of open cases by grid (or compound) and category spots hot spots.

use crate::access;
use crate::cases::{CaseRow, SELECT_CASE, checkpoints, push_scope};
use crate::reference::{self, RegionRow};
use crate::users::UserRow;
use crate::{Pool, Result, StoreError};
use chrono::{DateTime, Utc};
use domain::view::{GridRow, GridView, HeatRow, Named};
use domain::{CheckpointStatus, Permission, Rating, RegionLevel, Status, Tier};

/// What one case adds to every node above it.
fn add(row: &mut GridRow, case: &CaseRow, overdue: bool, month_start: DateTime<Utc>) {
    let state = case.state();
    if state.status == Status::Closed {
        if state.closed_at.is_some_and(|t| t >= month_start) {
            row.closed_this_month += 1;
        }
        if let Some(tier) = state.tier {
            row.tiered += 1;
            row.low_tier += i64::from(matches!(tier, Tier::Compound | Tier::Grid));
        }
    } else {
        row.open += 1;
        row.overdue += i64::from(overdue);
    }
    let (rated, satisfied) = Rating::tally(state.rating);
    row.rated += rated;
    row.satisfied += satisfied;
}

/// The grid view of `node` (the top of the reader's area by default) over
/// the cases the reader may see.
pub async fn view(
    pool: &Pool,
    user: &UserRow,
    node: Option<i64>,
    now: DateTime<Utc>,
) -> Result<GridView> {
    access::permit(user, Permission::ViewCases)?;
    let tree = reference::region_tree(pool).await?;
    let scope = access::scope(user);
    let top: RegionRow = match scope.region_path() {
        Some(path) => tree.within(path).next().cloned(),
        None => tree.within("/").find(|n| n.parent_id.is_none()).cloned(),
    }
    .ok_or(StoreError::NotFound)?;
    let root = match node {
        Some(id) => tree.get(id).cloned().ok_or(StoreError::NotFound)?,
        None => top.clone(),
    };
    if !root.path.starts_with(&top.path) {
        return Err(StoreError::Forbidden);
    }
    let mut qb: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(SELECT_CASE);
    qb.push(" WHERE c.status <> 'merged' AND r.path LIKE ")
        .push_bind(format!("{}%", root.path));
    let cases: Vec<CaseRow> = if push_scope(&mut qb, &scope) {
        qb.build_query_as().fetch_all(pool).await?
    } else {
        vec![]
    };
    let policy = reference::policy(pool).await?;
    let (month_start, _) =
        crate::stats::month_bounds(now.with_timezone(&domain::deadline::china()).date_naive());

    // The subtree down to compounds, depth first, each with its path.
    let root_depth = root.path.matches('/').count();
    let mut nodes: Vec<&RegionRow> = tree
        .within(&root.path)
        .filter(|n| n.level().is_some_and(|l| l <= RegionLevel::Compound))
        .collect();
    nodes.sort_by_cached_key(|n| {
        // Depth-first order: the chain of ancestors' positions in the tree.
        n.path
            .split('/')
            .filter_map(|s| s.parse::<i64>().ok())
            .collect::<Vec<_>>()
    });
    let mut rows: Vec<GridRow> = nodes
        .iter()
        .map(|n| GridRow {
            id: n.id,
            name: n.name.clone(),
            level: n.level.clone(),
            depth: n.path.matches('/').count() - root_depth,
            ..Default::default()
        })
        .collect();

    // Heat rows: the grids below the node, or its compounds from a grid down.
    let heat_level = if root.level().is_some_and(|l| l >= RegionLevel::Grid) {
        RegionLevel::Compound
    } else {
        RegionLevel::Grid
    };
    let heat_nodes: Vec<&&RegionRow> = nodes
        .iter()
        .filter(|n| n.level() == Some(heat_level))
        .collect();
    let categories = reference::categories(pool).await?;
    let mut heat: Vec<HeatRow> = heat_nodes
        .iter()
        .map(|n| HeatRow {
            id: n.id,
            name: tree.label(n.id),
            cells: vec![0; categories.len()],
        })
        .collect();

    for case in &cases {
        let state = case.state();
        let overdue = checkpoints(&policy, &state, now)
            .iter()
            .any(|c| c.status == CheckpointStatus::Overdue);
        for (row, n) in rows.iter_mut().zip(&nodes) {
            if case.region_path.starts_with(&n.path) {
                add(row, case, overdue, month_start);
            }
        }
        if state.status != Status::Closed
            && let Some(col) = categories.iter().position(|c| c.id == case.category_id)
        {
            for (h, n) in heat.iter_mut().zip(&heat_nodes) {
                if case.region_path.starts_with(&n.path) {
                    h.cells[col] += 1;
                }
            }
        }
    }
    // Only the categories with an open case somewhere in the table.
    let used: Vec<usize> = (0..categories.len())
        .filter(|i| heat.iter().any(|h| h.cells[*i] > 0))
        .collect();
    for h in &mut heat {
        h.cells = used.iter().map(|i| h.cells[*i]).collect();
    }
    let trail = {
        let mut t = Vec::new();
        let mut cur = Some(&root);
        while let Some(n) = cur {
            t.push(Named {
                id: n.id,
                name: n.name.clone(),
            });
            if n.id == top.id {
                break;
            }
            cur = n.parent_id.and_then(|p| tree.get(p));
        }
        t.reverse();
        t
    };
    Ok(GridView {
        trail,
        rows,
        categories: used
            .iter()
            .map(|i| Named {
                id: categories[*i].id,
                name: categories[*i].name_zh.clone(),
            })
            .collect(),
        heat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn user(pool: &Pool, name: &str) -> UserRow {
        crate::users::find_by_username(pool, name)
            .await
            .unwrap()
            .unwrap()
    }

    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn every_node_adds_up_and_the_heat_table_matches_the_board(pool: Pool) {
        let now = Utc::now();
        crate::demo::load(&pool, false, now).await.unwrap();
        let director = user(&pool, "director").await;
        let v = view(&pool, &director, None, now).await.unwrap();
        let root = &v.rows[0];
        assert_eq!(root.depth, 0);
        assert_eq!(root.level, "community");
        // The community's figures are the sum of its grids'.
        let grids: Vec<&GridRow> = v.rows.iter().filter(|r| r.level == "grid").collect();
        assert!(grids.len() >= 2);
        for field in [
            |r: &GridRow| r.open,
            |r: &GridRow| r.overdue,
            |r: &GridRow| r.rated,
        ] {
            assert_eq!(field(root), grids.iter().map(|g| field(g)).sum::<i64>());
        }
        assert!(root.overdue <= root.open && root.low_tier <= root.tiered);
        // Each heat cell is what the board shows for that grid and category.
        let tree = reference::region_tree(&pool).await.unwrap();
        for h in &v.heat {
            for (cell, cat) in h.cells.iter().zip(&v.categories) {
                let filter = domain::view::CaseFilter {
                    region_path: tree.get(h.id).map(|n| n.path.clone()),
                    category_id: Some(cat.id),
                    ..Default::default()
                };
                let open = crate::cases::list(&pool, &director, &filter, now)
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|c| !matches!(c.status, Status::Closed | Status::Merged))
                    .count() as i64;
                assert_eq!(*cell, open, "{} × {}", h.name, cat.name);
            }
        }
        assert_eq!(
            v.heat.iter().flat_map(|h| &h.cells).sum::<i64>(),
            root.open,
            "every open case hangs on a grid"
        );
        // Another community's node is out of a director's reach.
        let other: i64 = sqlx::query_scalar(
            "SELECT id FROM regions WHERE level = 'community' AND path NOT LIKE $1 LIMIT 1",
        )
        .bind(format!("{}%", director.region_path.clone().unwrap()))
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(matches!(
            view(&pool, &director, Some(other), now).await,
            Err(StoreError::Forbidden)
        ));
        // A grid's view counts its compounds in the heat table.
        let grid = view(&pool, &director, Some(grids[0].id), now)
            .await
            .unwrap();
        assert_eq!(grid.trail.len(), 2);
        assert_eq!(grid.rows[0].open, grids[0].open);
        assert!(grid.heat.iter().all(|h| h.name.contains(" / ")));
    }
}
