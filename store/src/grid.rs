//! The grid view (网格视图): the region tree without a map. Every node shows
//! the open, overdue and this month's closed cases of its subtree, the
//! satisfaction, and the share settled at compound or grid tier; a heat
//! table of open cases by grid (or compound) and category spots hot spots.

use crate::access;
use crate::cases::push_scope;
use crate::db::Stored;
use crate::reference::{self, RegionRow};
use crate::users::UserRow;
use crate::{Pool, Result, StoreError};
use chrono::{DateTime, Utc};
use domain::view::{CaseFilter, GridRow, GridView, HeatRow, MyGrid, Named};
use domain::{Permission, RegionLevel, Role, Source, Status};
use std::collections::HashMap;

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
    let (month_start, _) =
        crate::stats::month_bounds(now.with_timezone(&domain::deadline::china()).date_naive());

    // The subtree two levels down, depth first, each with its path.
    let level = root.level().unwrap_or(RegionLevel::Compound);
    let floor = level.grid_view_floor();
    let root_depth = root.path.matches('/').count();
    let mut nodes: Vec<&RegionRow> = tree
        .within(&root.path)
        .filter(|n| n.level().is_some_and(|l| l <= floor))
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

    let heat_level = level.heat_level();
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

    // Each place's figures, counted by the database, then added to each node
    // above the place (a walk up the tree, not a comparison with every node).
    let mut per_place: HashMap<i64, GridRow> = HashMap::new();
    let mut open_by_category: Vec<(i64, i64, i64)> = vec![];
    if !matches!(scope, access::Scope::Nothing) {
        // Open and overdue by place and category: the few percent of cases
        // still open, from their own index (migration 0021, whose condition
        // this one repeats word for word so both databases take it). Grouped
        // by an expression: by the column, SQLite walks the region index
        // over every case of the city to save a sort (2.5 s, not 40 ms).
        let mut qb = crate::db::Builder::new(
            "SELECT c.region_id + 0, c.category_id, COUNT(*), \
             CAST(COALESCE(SUM(CASE WHEN c.due_at < ",
        );
        qb.push_bind(now.stored()).push(
            " THEN 1 ELSE 0 END), 0) AS BIGINT) FROM cases c \
             WHERE c.status <> 'closed' AND c.status <> 'merged'",
        );
        crate::cases::push_area(&mut qb, &root.path);
        push_scope(&mut qb, &scope);
        qb.push(" GROUP BY 1, 2");
        let open: Vec<(i64, i64, i64, i64)> = qb.build_query_as()?.fetch_all(pool).await?;
        for (region, category, n, overdue) in open {
            let place = per_place.entry(region).or_default();
            place.open += n;
            place.overdue += overdue;
            open_by_category.push((region, category, n));
        }

        // Ratings and tiers of all time and this month's closures, from the
        // tallies the database keeps per place and month (migrations 0017,
        // 0020): all of a place's cases, or those of the reader's unit or
        // station, whose tallies keep no closures by month.
        let which = crate::stats::Tallies::seen_by(&scope);
        let mut qb = crate::db::Builder::new(
            "SELECT t.region_id, CAST(SUM(t.rated) AS BIGINT), CAST(SUM(t.satisfied) AS BIGINT), \
             CAST(SUM(t.tiered) AS BIGINT), CAST(SUM(t.low_tier) AS BIGINT), ",
        );
        match which {
            crate::stats::Tallies::Places => {
                let this_month = now.with_timezone(&domain::deadline::china());
                qb.push("CAST(SUM(CASE WHEN t.month = ")
                    .push_bind(this_month.format("%Y-%m").to_string())
                    .push(" THEN t.closed_in ELSE 0 END) AS BIGINT)");
            }
            crate::stats::Tallies::Grouped(..) => {
                qb.push("CAST(0 AS BIGINT)");
            }
        }
        crate::stats::push_tallies(&mut qb, which, &root.path);
        qb.push(" GROUP BY t.region_id");
        let all_time: Vec<(i64, i64, i64, i64, i64, i64)> =
            qb.build_query_as()?.fetch_all(pool).await?;
        for (region, rated, satisfied, tiered, low_tier, closed) in all_time {
            let place = per_place.entry(region).or_default();
            place.rated += rated;
            place.satisfied += satisfied;
            place.tiered += tiered;
            place.low_tier += low_tier;
            place.closed_this_month += closed;
        }
        if let crate::stats::Tallies::Grouped(..) = which {
            // This month's closures of the unit's or station's cases, by the
            // closing time's index (the status compared as an expression and
            // grouped by one, or SQLite reads the city's 930,000 closed
            // cases by the status index, or all cases by the region index).
            let mut qb = crate::db::Builder::new(
                "SELECT c.region_id + 0, COUNT(*) FROM cases c WHERE c.status || '' = ",
            );
            qb.push_bind(Status::Closed.as_str())
                .push(" AND c.closed_at >= ")
                .push_bind(month_start.stored());
            crate::cases::push_area(&mut qb, &root.path);
            push_scope(&mut qb, &scope);
            qb.push(" GROUP BY 1");
            let closed: Vec<(i64, i64)> = qb.build_query_as()?.fetch_all(pool).await?;
            for (region, n) in closed {
                per_place.entry(region).or_default().closed_this_month += n;
            }
        }
    }
    let row_of: HashMap<i64, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let heat_of: HashMap<i64, usize> = heat_nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id, i))
        .collect();
    // The places and their ancestors up to the view's node.
    let up = |region: i64| {
        std::iter::successors(Some(region), |&id| {
            (id != root.id)
                .then(|| tree.get(id).and_then(|n| n.parent_id))
                .flatten()
        })
    };
    for (region, place) in &per_place {
        for id in up(*region) {
            if let Some(&i) = row_of.get(&id) {
                let row = &mut rows[i];
                row.open += place.open;
                row.overdue += place.overdue;
                row.closed_this_month += place.closed_this_month;
                row.rated += place.rated;
                row.satisfied += place.satisfied;
                row.tiered += place.tiered;
                row.low_tier += place.low_tier;
            }
        }
    }
    for (region, category, open) in open_by_category {
        let Some(col) = categories.iter().position(|c| c.id == category) else {
            continue;
        };
        for id in up(region) {
            if let Some(&h) = heat_of.get(&id) {
                heat[h].cells[col] += open;
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

/// A grid worker's page: the cases they registered on visits (newest first,
/// the last 100) and every open case of their grid, most urgent first.
pub async fn mine(pool: &Pool, user: &UserRow, now: DateTime<Utc>) -> Result<MyGrid> {
    access::permit(user, Permission::ViewCases)?;
    if user.role != Role::GridWorker {
        return Err(StoreError::Forbidden);
    }
    let path = user.region_path.clone().ok_or(StoreError::Forbidden)?;
    let tree = reference::region_tree(pool).await?;
    let mine: Vec<String> = sqlx::query_scalar(
        "SELECT code FROM cases WHERE created_by = $1 AND source = $2 ORDER BY id DESC LIMIT 100",
    )
    .bind(user.id)
    .bind(Source::GridVisit.as_str())
    .fetch_all(pool)
    .await?;
    let mine: Vec<String> = mine
        .iter()
        .map(|c| domain::TrackingCode::readable(c))
        .collect();
    let all = crate::cases::list(pool, user, &CaseFilter::default(), now).await?;
    let mut registered: Vec<_> = all
        .iter()
        .filter(|c| mine.contains(&c.code))
        .cloned()
        .collect();
    registered.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    let mut pending: Vec<_> = all
        .into_iter()
        .filter(|c| {
            c.closed_at.is_none() && c.status != Status::Merged && c.region_path.starts_with(&path)
        })
        .collect();
    pending.sort_by_key(|c| c.due_in_hours.unwrap_or(i64::MAX));
    Ok(MyGrid {
        grid: user.region_id.map(|id| tree.label(id)).unwrap_or_default(),
        registered,
        pending,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{Rating, Tier};

    use crate::testing::user;

    /// Every node's figures and every heat cell equal a case-by-case count
    /// over a generated city, for the city's leader, a community's director
    /// and a unit's handler, at the top of their area and further down.
    #[tokio::test]
    async fn the_grid_view_equals_a_case_by_case_count() {
        let now = Utc::now();
        let db = crate::testing::TestDb::city(1_500, now).await;
        let pool = db.pool.clone();
        let tree = reference::region_tree(&pool).await.unwrap();
        let all: Vec<crate::cases::CaseRow> = sqlx::query_as(crate::cases::SELECT_CASE)
            .fetch_all(&pool)
            .await
            .unwrap();
        let (month_start, _) =
            crate::stats::month_bounds(now.with_timezone(&domain::deadline::china()).date_naive());
        let street: i64 = sqlx::query_scalar(
            "SELECT r.id FROM regions r WHERE r.level = 'street' ORDER BY \
             (SELECT COUNT(*) FROM cases c WHERE c.area_path LIKE r.path || '%') DESC, r.id LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        for (name, node) in [
            ("leader", None),
            ("leader", Some(street)),
            ("director", None),
            ("handler", None),
        ] {
            let reader = user(&pool, name).await;
            let scope = access::scope(&reader);
            let seen: Vec<&crate::cases::CaseRow> = all
                .iter()
                .filter(|c| c.state.status != Status::Merged && scope.covers(&c.facts()))
                .collect();
            let v = view(&pool, &reader, node, now).await.unwrap();
            let under = |id: i64| {
                let path = tree.get(id).unwrap().path.clone();
                seen.iter()
                    .copied()
                    .filter(move |c| c.region_path.starts_with(&path))
            };
            let open = |c: &&crate::cases::CaseRow| c.state.status != Status::Closed;
            let closed = |c: &&crate::cases::CaseRow| c.state.status == Status::Closed;
            let rated = |c: &&crate::cases::CaseRow| {
                matches!(
                    c.state.rating,
                    Some(Rating::Satisfied | Rating::FairlySatisfied | Rating::Dissatisfied)
                )
            };
            let mut compared = 0;
            for row in &v.rows {
                let count = |keep: &dyn Fn(&&crate::cases::CaseRow) -> bool| {
                    under(row.id).filter(|c| keep(c)).count() as i64
                };
                let expected = GridRow {
                    id: row.id,
                    name: row.name.clone(),
                    level: row.level.clone(),
                    depth: row.depth,
                    open: count(&open),
                    overdue: count(&|c| open(c) && c.due_at.is_some_and(|d| d < now)),
                    closed_this_month: count(&|c| {
                        closed(c) && c.state.closed_at.is_some_and(|t| t >= month_start)
                    }),
                    rated: count(&rated),
                    satisfied: count(&|c| {
                        matches!(
                            c.state.rating,
                            Some(Rating::Satisfied | Rating::FairlySatisfied)
                        )
                    }),
                    tiered: count(&|c| closed(c) && c.state.tier.is_some()),
                    low_tier: count(&|c| {
                        closed(c) && matches!(c.state.tier, Some(Tier::Compound | Tier::Grid))
                    }),
                };
                assert_eq!(row, &expected, "{name} {node:?}");
                compared += row.open + row.rated;
            }
            assert!(compared > 0, "{name} {node:?}");
            for h in &v.heat {
                for (cell, category) in h.cells.iter().zip(&v.categories) {
                    let n = under(h.id)
                        .filter(|c| open(c) && c.category_id == category.id)
                        .count() as i64;
                    assert_eq!(*cell, n, "{name} {node:?} {} × {}", h.name, category.name);
                }
            }
        }
    }

    /// A city's view is its districts and streets, with the streets as the
    /// heat table's rows, not every grid and compound of the city; each
    /// street's own view goes down to its grids.
    #[tokio::test]
    async fn the_grid_view_shows_two_levels_below_its_node() {
        let now = Utc::now();
        let db = crate::testing::TestDb::city(300, now).await;
        let pool = db.pool.clone();
        let tree = reference::region_tree(&pool).await.unwrap();
        let leader = user(&pool, "leader").await;
        let levels = |v: &GridView| {
            v.rows
                .iter()
                .map(|r| r.level.clone())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        };
        let city = view(&pool, &leader, None, now).await.unwrap();
        assert_eq!(levels(&city), ["city", "district", "street"]);
        let streets: Vec<i64> = tree
            .within(&tree.get(city.rows[0].id).unwrap().path)
            .filter(|n| n.level() == Some(RegionLevel::Street))
            .map(|n| n.id)
            .collect();
        assert!(streets.len() > 10, "{streets:?}");
        let mut heat: Vec<i64> = city.heat.iter().map(|h| h.id).collect();
        heat.sort();
        let mut expected = streets.clone();
        expected.sort();
        assert_eq!(heat, expected);

        let street = view(&pool, &leader, Some(streets[0]), now).await.unwrap();
        assert_eq!(levels(&street), ["community", "grid", "street"]);
        assert!(
            street
                .heat
                .iter()
                .all(|h| tree.get(h.id).and_then(|n| n.level()) == Some(RegionLevel::Grid))
        );
    }

    #[tokio::test]
    async fn every_node_adds_up_and_the_heat_table_matches_the_board() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
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
            "SELECT id FROM regions WHERE level = 'community' AND path NOT LIKE $1 ORDER BY id LIMIT 1",
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

    #[tokio::test]
    async fn a_grid_worker_sees_what_they_registered_and_what_is_open_in_their_grid() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let grid = user(&pool, "grid").await;
        let (compound, category) = crate::testing::compound_and_category(&pool, &grid).await;
        let case = |source| domain::NewCase {
            title: "楼道堆放杂物".into(),
            description: "走访发现 2 号楼楼道堆放杂物，存在消防隐患".into(),
            category_id: category,
            region_id: compound,
            station_id: None,
            source,
            resident_name: "陈秀兰".into(),
            resident_phone: "13900002222".into(),
            resident_email: String::new(),
            notify: false,
        };
        let visit = crate::cases::create(&pool, &case(Source::GridVisit), Some(&grid), now)
            .await
            .unwrap();
        let phoned = crate::cases::create(&pool, &case(Source::Phone), Some(&grid), now)
            .await
            .unwrap();
        let page = mine(&pool, &grid, now).await.unwrap();
        assert!(page.grid.contains("第一网格"), "{}", page.grid);
        let codes: Vec<&str> = page.registered.iter().map(|c| c.code.as_str()).collect();
        assert!(codes.contains(&visit.code.as_str()));
        // Only what came from a visit.
        assert!(!codes.contains(&phoned.code.as_str()));
        assert!(
            page.registered
                .iter()
                .all(|c| c.source == Source::GridVisit)
        );
        // Pending: every open case of the grid, both new ones among them.
        assert!(page.pending.iter().any(|c| c.code == phoned.code));
        assert!(page.pending.iter().all(|c| {
            c.closed_at.is_none()
                && c.region_path
                    .starts_with(grid.region_path.as_deref().unwrap())
        }));
        let director = user(&pool, "director").await;
        assert!(matches!(
            mine(&pool, &director, now).await,
            Err(StoreError::Forbidden)
        ));
    }
}
