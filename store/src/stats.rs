//! Public statistics: what was collected, closed, on time and how it was rated.

use crate::cases::{CaseRow, checkpoints};
use crate::reference::{self, RegionTree};
use crate::{Pool, Result, StoreError};
use chrono::{DateTime, Datelike, Months, Utc};
use domain::deadline::china;
use domain::view::{AreaStats, CategoryStats, ClosedBrief, MonthStats, Named, PublicStats};
use domain::{Checkpoint, CheckpointStatus, Rating, RegionLevel, Status};
use std::collections::HashMap;

/// The facts one case contributes to the figures.
struct Fact {
    path: String,
    region_id: i64,
    closed: bool,
    on_time: Option<bool>,
    rating: Option<Rating>,
    created: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    category: i64,
}

fn add(stats: &mut AreaStats, f: &Fact) {
    stats.collected += 1;
    if f.closed {
        stats.closed += 1;
        if let Some(met) = f.on_time {
            stats.timed += 1;
            stats.on_time += i64::from(met);
        }
    }
    match f.rating {
        Some(Rating::Satisfied | Rating::FairlySatisfied) => {
            stats.rated += 1;
            stats.satisfied += 1;
        }
        Some(Rating::Dissatisfied) => stats.rated += 1,
        Some(Rating::NotRated) | None => {}
    }
}

fn month_key(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%Y-%m").to_string()
}

/// The figures for `region_id` (the whole city when None). Merged duplicates
/// are not counted: their original is.
pub async fn public_stats(
    pool: &Pool,
    region_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<PublicStats> {
    let tree: RegionTree = reference::region_tree(pool).await?;
    let root = match region_id {
        Some(id) => tree.get(id).ok_or(StoreError::NotFound)?.clone(),
        None => tree
            .within("/")
            .find(|n| n.parent_id.is_none())
            .cloned()
            .ok_or(StoreError::NotFound)?,
    };
    let sql = format!(
        "{} WHERE r.path LIKE $1 AND c.status <> $2",
        crate::cases::SELECT_CASE
    );
    let rows: Vec<CaseRow> = sqlx::query_as(&sql)
        .bind(format!("{}%", root.path))
        .bind(Status::Merged.as_str())
        .fetch_all(pool)
        .await?;
    let policy = reference::policy(pool).await?;
    let categories = reference::categories(pool).await?;

    let facts: Vec<Fact> = rows
        .iter()
        .map(|row| {
            let state = row.state();
            let completion = checkpoints(&policy, &state, now)
                .into_iter()
                .find(|c| c.checkpoint == Checkpoint::Completion);
            Fact {
                path: row.region_path.clone(),
                region_id: row.region_id,
                closed: state.status == Status::Closed,
                on_time: completion.map(|c| c.status == CheckpointStatus::Met),
                rating: state.rating,
                created: row.created_at,
                closed_at: state.closed_at,
                category: row.category_id,
            }
        })
        .collect();

    let mut total = AreaStats {
        region_id: root.id,
        name: root.name.clone(),
        ..Default::default()
    };
    let children: Vec<_> = tree
        .within(&root.path)
        .filter(|n| n.parent_id == Some(root.id))
        // Below a community the areas are grids and compounds, which is as far as public figures go.
        .filter(|n| n.level().is_some_and(|l| l <= RegionLevel::Compound))
        .cloned()
        .collect();
    let mut areas: Vec<AreaStats> = children
        .iter()
        .map(|c| AreaStats {
            region_id: c.id,
            name: c.name.clone(),
            ..Default::default()
        })
        .collect();
    let this_month = now
        .with_timezone(&china())
        .date_naive()
        .with_day(1)
        .unwrap_or_default();
    let month_keys: Vec<String> = (0..12)
        .rev()
        .filter_map(|back| this_month.checked_sub_months(Months::new(back)))
        .map(|d| d.format("%Y-%m").to_string())
        .collect();
    let mut months: Vec<MonthStats> = month_keys
        .iter()
        .map(|m| MonthStats {
            month: m.clone(),
            collected: 0,
            closed: 0,
        })
        .collect();
    let mut by_category: HashMap<i64, i64> = HashMap::new();
    for f in &facts {
        add(&mut total, f);
        if let Some((area, _)) = areas
            .iter_mut()
            .zip(&children)
            .find(|(_, c)| f.path.starts_with(&c.path))
        {
            add(area, f);
        }
        if let Some(m) = months.iter_mut().find(|m| m.month == month_key(f.created)) {
            m.collected += 1;
        }
        if let Some(closed) = f.closed_at.filter(|_| f.closed)
            && let Some(m) = months.iter_mut().find(|m| m.month == month_key(closed))
        {
            m.closed += 1;
        }
        *by_category.entry(f.category).or_default() += 1;
    }

    let mut top_categories: Vec<CategoryStats> = categories
        .iter()
        .filter_map(|c| {
            by_category.get(&c.id).map(|n| CategoryStats {
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                count: *n,
            })
        })
        .collect();
    top_categories.sort_by(|a, b| b.count.cmp(&a.count).then(a.name_zh.cmp(&b.name_zh)));
    top_categories.truncate(5);

    let mut closed: Vec<(&CaseRow, &Fact)> =
        rows.iter().zip(&facts).filter(|(_, f)| f.closed).collect();
    closed.sort_by_key(|(_, f)| std::cmp::Reverse(f.closed_at));
    let recently_closed = closed
        .into_iter()
        .take(10)
        .map(|(row, f)| ClosedBrief {
            title: row.title.clone(),
            category: row.category.clone(),
            place: tree.public_place(f.region_id),
            closed_at: f.closed_at.unwrap_or(row.created_at),
            rating: f.rating,
        })
        .collect();

    let trail = {
        let mut t: Vec<Named> = Vec::new();
        let mut cur = Some(&root);
        while let Some(n) = cur {
            t.push(Named {
                id: n.id,
                name: n.name.clone(),
            });
            cur = n.parent_id.and_then(|p| tree.get(p));
        }
        t.reverse();
        t
    };
    Ok(PublicStats {
        total,
        trail,
        areas,
        months,
        top_categories,
        recently_closed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn figures_add_up_across_the_tree(pool: Pool) {
        let now = Utc::now();
        crate::demo::load(&pool, false, now).await.unwrap();
        let city = public_stats(&pool, None, now).await.unwrap();
        let merged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE status = 'merged'")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(city.total.collected, crate::demo::CASES as i64 - merged);
        assert!(city.total.closed > 0 && city.total.closed < city.total.collected);
        assert!(city.total.satisfied <= city.total.rated);
        assert_eq!(city.trail.len(), 1);
        // The city's only child is the district, which holds everything.
        assert_eq!(city.areas.len(), 1);
        assert_eq!(city.areas[0].collected, city.total.collected);
        let district = public_stats(&pool, Some(city.areas[0].region_id), now)
            .await
            .unwrap();
        let streets: i64 = district.areas.iter().map(|a| a.collected).sum();
        assert_eq!(streets, city.total.collected);
        assert_eq!(district.trail.len(), 2);
        let months_collected: i64 = city.months.iter().map(|m| m.collected).sum();
        assert!(months_collected <= city.total.collected && months_collected > 0);
        assert_eq!(city.months.len(), 12);
        assert!(city.top_categories.len() <= 5);
        assert!(city.recently_closed.len() <= 10);
        assert!(
            city.recently_closed
                .iter()
                .all(|c| !c.place.contains("号楼"))
        );
        assert!(matches!(
            public_stats(&pool, Some(999_999), now).await,
            Err(StoreError::NotFound)
        ));
    }
}
