//! Reference data: the region tree, units, stations, categories and the
//! deadline calendar.

use crate::audit::{self, Change};
use crate::db::Conn;
use crate::events::By;
use crate::kept::Kept;
use crate::{Pool, Result};
use chrono::{DateTime, NaiveDate, Utc};
use domain::open311::{AttributeType, AttributeValue, ServiceAttribute};
use domain::view::{CategoryInfo, FilterChoices, Named, Options, RegionOption};
use domain::{CallbackPolicy, DayMode, DeadlineClass, DeadlinePolicy, RegionLevel, Tier};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegionRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub level: String,
    pub name: String,
    pub path: String,
    /// Retired nodes keep naming the places of their old cases but are no
    /// longer offered or accepted anywhere.
    #[sqlx(try_from = "crate::db::Flag")]
    pub retired: bool,
}

impl RegionRow {
    pub fn level(&self) -> Option<RegionLevel> {
        RegionLevel::parse(&self.level)
    }
}

/// The whole region tree in memory: a few thousand nodes at most for a city.
#[derive(Debug, Clone, Default)]
pub struct RegionTree {
    nodes: HashMap<i64, RegionRow>,
    order: Vec<i64>,
}

impl RegionTree {
    /// A node in use (retired nodes are history only).
    pub fn get(&self, id: i64) -> Option<&RegionRow> {
        self.nodes.get(&id).filter(|n| !n.retired)
    }

    fn ancestors(&self, id: i64) -> Vec<&RegionRow> {
        let mut out = Vec::new();
        let mut cur = self.nodes.get(&id);
        while let Some(n) = cur {
            out.push(n);
            cur = n.parent_id.and_then(|p| self.nodes.get(&p));
        }
        out.reverse();
        out
    }

    /// "永宁社区 / 益众小区 / 2号楼": names from the community down.
    pub fn label(&self, id: i64) -> String {
        let chain = self.ancestors(id);
        let from_community: Vec<&str> = chain
            .iter()
            .filter(|n| n.level().is_some_and(|l| l >= RegionLevel::Community))
            .map(|n| n.name.as_str())
            .collect();
        if from_community.is_empty() {
            chain.last().map(|n| n.name.clone()).unwrap_or_default()
        } else {
            from_community.join(" / ")
        }
    }

    /// "离石区 / 凤山街道 / 袁家庄社区": names below the city.
    pub fn full_label(&self, id: i64) -> String {
        let chain = self.ancestors(id);
        let names: Vec<&str> = chain.iter().skip(1).map(|n| n.name.as_str()).collect();
        if names.is_empty() {
            chain.first().map(|n| n.name.clone()).unwrap_or_default()
        } else {
            names.join(" / ")
        }
    }

    /// The node public output may name for `id`: the compound, or the nearest
    /// node above it when the case hangs higher. Never a building.
    pub fn public_node(&self, id: i64) -> Option<&RegionRow> {
        self.ancestors(id)
            .into_iter()
            .rev()
            .find(|n| n.level().is_some_and(|l| l <= RegionLevel::Compound))
    }

    /// What a public page may say of where a case is (see `public_node`).
    pub fn public_place(&self, id: i64) -> String {
        let chain = self.ancestors(id);
        let name = self.public_node(id).map(|n| n.name.clone());
        let community = chain
            .iter()
            .find(|n| n.level() == Some(RegionLevel::Community))
            .map(|n| n.name.clone());
        match (community, name) {
            (Some(c), Some(n)) if c != n => format!("{c} {n}"),
            (_, Some(n)) => n,
            _ => String::new(),
        }
    }

    /// The community `id` lies in, or the node itself when it is above
    /// community level.
    pub fn community_of(&self, id: i64) -> Option<&RegionRow> {
        let chain = self.ancestors(id);
        chain
            .iter()
            .find(|n| n.level() == Some(RegionLevel::Community))
            .or(chain.last())
            .copied()
    }

    /// The node at `level` on the way from the root to `id`, if any (a case
    /// hung on a compound outside any grid has no grid).
    pub fn ancestor_at(&self, id: i64, level: RegionLevel) -> Option<&RegionRow> {
        self.ancestors(id)
            .into_iter()
            .find(|n| n.level() == Some(level))
    }

    /// The nodes in use at `level`, named from the community down, as the
    /// intake form names places: what the residents' online form offers
    /// (compounds), without labelling the rest of the city.
    pub fn places_at(&self, level: RegionLevel) -> Vec<RegionOption> {
        self.within("/")
            .filter(|n| n.level() == Some(level))
            .map(|n| self.place_option(n.id))
            .collect()
    }

    fn place_option(&self, id: i64) -> RegionOption {
        RegionOption {
            id,
            label: self.label(id),
        }
    }

    fn area_option(&self, id: i64) -> RegionOption {
        RegionOption {
            id,
            label: self.full_label(id),
        }
    }

    /// What an area filter offers within `path`: its nodes down to the
    /// level's [`RegionLevel::filter_floor`], and, when `chosen` lies within
    /// `path`, every node on the way down to it and its children, so the
    /// list being looked at is always one of the choices and a deeper area
    /// one more choice away.
    pub fn filter_areas(&self, path: &str, chosen: Option<i64>) -> Vec<RegionOption> {
        let top = self
            .within(path)
            .find(|n| n.path == path)
            .and_then(RegionRow::level)
            .unwrap_or(RegionLevel::City);
        let floor = top.filter_floor();
        let chosen = chosen
            .and_then(|id| self.get(id))
            .filter(|n| n.path.starts_with(path));
        self.within(path)
            .filter(|n| {
                n.level().is_some_and(|l| l <= RegionLevel::Compound)
                    && (n.level().is_some_and(|l| l <= floor)
                        || chosen.is_some_and(|c| {
                            c.path.starts_with(&n.path) || n.parent_id == Some(c.id)
                        }))
            })
            .map(|n| self.area_option(n.id))
            .collect()
    }

    /// Nodes in use at `path` or below, in insertion order.
    pub fn within<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a RegionRow> + 'a {
        self.order
            .iter()
            .filter_map(|id| self.nodes.get(id))
            .filter(move |n| !n.retired && n.path.starts_with(path))
    }
}

/// The region tree, from memory while no instance has changed it (see
/// [`crate::kept`]).
pub async fn region_tree(pool: &Pool) -> Result<Arc<RegionTree>> {
    static TREE: Kept<RegionTree> = Kept::new("region_changes");
    TREE.get(pool, load_region_tree).await
}

async fn load_region_tree(conn: &mut Conn) -> Result<RegionTree> {
    let rows: Vec<RegionRow> =
        sqlx::query_as("SELECT id, parent_id, level, name, path, retired FROM regions ORDER BY id")
            .fetch_all(conn)
            .await?;
    let order = rows.iter().map(|r| r.id).collect();
    let nodes = rows.into_iter().map(|r| (r.id, r)).collect();
    Ok(RegionTree { nodes, order })
}

/// Adds a node below `parent` and returns its id.
pub async fn insert_region(
    pool: &Pool,
    parent: Option<i64>,
    level: RegionLevel,
    name: &str,
) -> Result<i64> {
    let mut tx = pool.begin().await?;
    let id = insert_region_in(&mut tx, parent, level, name).await?;
    tx.commit().await?;
    Ok(id)
}

/// Adds a node inside the caller's transaction (so its audit entry commits with it).
pub(crate) async fn insert_region_in(
    conn: &mut crate::db::Conn,
    parent: Option<i64>,
    level: RegionLevel,
    name: &str,
) -> Result<i64> {
    let parent_path: String = match parent {
        Some(p) => {
            sqlx::query_scalar("SELECT path FROM regions WHERE id = $1")
                .bind(p)
                .fetch_one(&mut *conn)
                .await?
        }
        None => "/".into(),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO regions (parent_id, level, name, path) VALUES ($1, $2, $3, '') RETURNING id",
    )
    .bind(parent)
    .bind(level.as_str())
    .bind(name)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE regions SET path = $1 WHERE id = $2")
        .bind(format!("{parent_path}{id}/"))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

pub async fn insert_unit(pool: &Pool, name: &str, kind: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("INSERT INTO units (name, kind) VALUES ($1, $2) RETURNING id")
            .bind(name)
            .bind(kind)
            .fetch_one(pool)
            .await?,
    )
}

pub async fn insert_station(pool: &Pool, name: &str, region_id: i64, address: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO stations (name, region_id, address) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(region_id)
    .bind(address)
    .fetch_one(pool)
    .await?)
}

/// Places a node (a compound) on the map, for reports that come with coordinates.
pub async fn set_position(pool: &Pool, region_id: i64, lat: f64, lon: f64) -> Result<()> {
    sqlx::query("UPDATE regions SET lat = $1, lon = $2 WHERE id = $3")
        .bind(lat)
        .bind(lon)
        .bind(region_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Compounds with a position: (id, lat, lon).
pub async fn placed_compounds(pool: &Pool) -> Result<Vec<(i64, f64, f64)>> {
    Ok(sqlx::query_as(
        "SELECT id, lat, lon FROM regions WHERE level = 'compound' AND retired = FALSE \
         AND lat IS NOT NULL AND lon IS NOT NULL ORDER BY id",
    )
    .fetch_all(pool)
    .await?)
}

/// A node's position, if it has one.
pub async fn position(pool: &Pool, region_id: i64) -> Result<Option<(f64, f64)>> {
    let row: Option<(Option<f64>, Option<f64>)> =
        sqlx::query_as("SELECT lat, lon FROM regions WHERE id = $1")
            .bind(region_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.and_then(|(lat, lon)| lat.zip(lon)))
}

pub async fn insert_attribute(pool: &Pool, category_id: i64, a: &ServiceAttribute) -> Result<i64> {
    let choices: Vec<(&str, &str)> = a
        .values
        .iter()
        .map(|v| (v.key.as_str(), v.name.as_str()))
        .collect();
    Ok(sqlx::query_scalar(
        "INSERT INTO category_attributes (category_id, code, datatype, required, description, position, choices) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(category_id)
    .bind(&a.code)
    .bind(a.datatype.as_str())
    .bind(a.required)
    .bind(&a.description)
    .bind(a.order)
    .bind(serde_json::to_string(&choices).unwrap_or_else(|_| "[]".into()))
    .fetch_one(pool)
    .await?)
}

/// The extra fields of a category, in order.
pub async fn attributes(pool: &Pool, category_id: i64) -> Result<Vec<ServiceAttribute>> {
    let rows: Vec<(String, String, crate::db::Flag, String, i64, String)> = sqlx::query_as(
        "SELECT code, datatype, required, description, position, choices FROM category_attributes \
         WHERE category_id = $1 ORDER BY position, id",
    )
    .bind(category_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(code, datatype, required, description, order, choices)| {
            let values: Vec<(String, String)> = serde_json::from_str(&choices).unwrap_or_default();
            Some(ServiceAttribute {
                code,
                datatype: AttributeType::parse(&datatype)?,
                required: required.0,
                description,
                order,
                values: values
                    .into_iter()
                    .map(|(key, name)| AttributeValue { key, name })
                    .collect(),
            })
        })
        .collect())
}

pub struct NewCategory<'a> {
    pub code: &'a str,
    pub name_zh: &'a str,
    pub name_en: &'a str,
    pub default_tier: Tier,
    pub default_unit_id: Option<i64>,
    pub deadline_class: DeadlineClass,
}

pub async fn insert_category(pool: &Pool, c: NewCategory<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO categories (code, name_zh, name_en, default_tier, default_unit_id, deadline_class) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(c.code)
    .bind(c.name_zh)
    .bind(c.name_en)
    .bind(c.default_tier.as_str())
    .bind(c.default_unit_id)
    .bind(c.deadline_class.as_str())
    .fetch_one(pool)
    .await?)
}

#[derive(sqlx::FromRow)]
struct CategoryRow {
    id: i64,
    code: String,
    name_zh: String,
    name_en: String,
    default_unit_id: Option<i64>,
    deadline_class: String,
}

pub async fn categories(pool: &Pool) -> Result<Vec<CategoryInfo>> {
    let rows: Vec<CategoryRow> = sqlx::query_as(
        "SELECT id, code, name_zh, name_en, default_unit_id, deadline_class FROM categories ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CategoryInfo {
            id: r.id,
            code: r.code,
            name_zh: r.name_zh,
            name_en: r.name_en,
            default_unit_id: r.default_unit_id,
            deadline_class: DeadlineClass::parse(&r.deadline_class)
                .unwrap_or(DeadlineClass::Ordinary),
        })
        .collect())
}

pub async fn units(pool: &Pool) -> Result<Vec<Named>> {
    Ok(named(
        sqlx::query_as("SELECT id, name FROM units ORDER BY id")
            .fetch_all(pool)
            .await?,
    ))
}

pub async fn unit_exists(pool: &Pool, id: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM units WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await?;
    Ok(n > 0)
}

fn named(rows: Vec<(i64, String)>) -> Vec<Named> {
    rows.into_iter()
        .map(|(id, name)| Named { id, name })
        .collect()
}

/// The intake form's pickers for a user whose scope is `scope_path` (None:
/// the whole city).
pub async fn options(pool: &Pool, scope_path: Option<&str>) -> Result<Options> {
    let tree = region_tree(pool).await?;
    let path = scope_path.unwrap_or("/");
    let regions = tree
        .within(path)
        .filter(|n| n.level().is_some_and(|l| l >= RegionLevel::Community))
        .map(|n| tree.place_option(n.id))
        .collect();
    Ok(Options {
        categories: categories(pool).await?,
        regions,
        stations: stations(pool, scope_path).await?,
        units: units(pool).await?,
    })
}

/// The filter bars' pickers for a user whose scope is `scope_path` (None:
/// the whole city), with the area `chosen` in the list being filtered.
pub async fn filter_options(
    pool: &Pool,
    scope_path: Option<&str>,
    chosen: Option<i64>,
) -> Result<FilterChoices> {
    let tree = region_tree(pool).await?;
    let path = scope_path.unwrap_or("/");
    Ok(FilterChoices {
        categories: categories(pool).await?,
        areas: tree.filter_areas(path, chosen),
        stations: stations(pool, scope_path).await?,
        units: units(pool).await?,
    })
}

/// Every node in use within `scope_path` down to compounds, named from
/// below the city: what the tree's and the accounts' administration pick
/// from.
pub async fn areas(pool: &Pool, scope_path: Option<&str>) -> Result<Vec<RegionOption>> {
    let tree = region_tree(pool).await?;
    Ok(tree
        .within(scope_path.unwrap_or("/"))
        .filter(|n| n.level().is_some_and(|l| l <= RegionLevel::Compound))
        .map(|n| tree.area_option(n.id))
        .collect())
}

/// The stations within `scope_path` (None: the whole city).
pub async fn stations(pool: &Pool, scope_path: Option<&str>) -> Result<Vec<Named>> {
    let path = scope_path.unwrap_or("/");
    let stations: Vec<(i64, String)> = sqlx::query_as(
        "SELECT s.id, s.name FROM stations s JOIN regions r ON r.id = s.region_id \
         WHERE r.path LIKE $1 ORDER BY s.id",
    )
    .bind(format!("{path}%"))
    .fetch_all(pool)
    .await?;
    Ok(named(stations))
}

const AFTER_DAYS: &str = "callback_after_days";
const ATTEMPTS: &str = "callback_attempts";

/// The callback policy (回访): days a rating may wait before the station
/// calls, and the calls after which it may close unrated; the defaults
/// where nothing is set.
pub async fn callback_policy<'e>(
    ex: impl sqlx::Executor<'e, Database = sqlx::Any>,
) -> Result<CallbackPolicy> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT key, value FROM settings WHERE key IN ('callback_after_days', 'callback_attempts')",
    )
    .fetch_all(ex)
    .await?;
    let mut p = CallbackPolicy::default();
    for (key, value) in rows {
        match key.as_str() {
            AFTER_DAYS => p.after_days = value.parse().unwrap_or(p.after_days),
            ATTEMPTS => p.attempts = value.parse().unwrap_or(p.attempts),
            _ => {}
        }
    }
    Ok(p)
}

/// Sets both numbers, audited.
pub async fn set_callback_policy(
    pool: &Pool,
    by: &By,
    policy: CallbackPolicy,
    now: DateTime<Utc>,
) -> Result<()> {
    if !policy.valid() {
        return Err(crate::StoreError::invalid("callbacks", "out_of_range"));
    }
    let mut tx = pool.begin().await?;
    let before = callback_policy(&mut *tx).await?;
    for (key, value) in [
        (AFTER_DAYS, policy.after_days.to_string()),
        (ATTEMPTS, policy.attempts.to_string()),
    ] {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut tx,
        Change::by(by, "setting.callbacks", "setting", "callbacks")
            .states(audit::json(&before), audit::json(&policy)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Days after a closure during which a case of the same category in the
/// same place counts as a recurrence.
pub const DEFAULT_RECURRENCE_DAYS: i64 = 90;

pub async fn recurrence_days<'e>(ex: impl sqlx::Executor<'e, Database = sqlx::Any>) -> Result<i64> {
    let value: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'recurrence_days'")
            .fetch_optional(ex)
            .await?;
    Ok(value
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_RECURRENCE_DAYS))
}

pub async fn set_recurrence_days(
    pool: &Pool,
    by: &By,
    days: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    if !(1..=3650).contains(&days) {
        return Err(crate::StoreError::invalid("days", "out_of_range"));
    }
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ('recurrence_days', $1) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(days.to_string())
    .execute(&mut *tx)
    .await?;
    let after = Some(serde_json::json!({ "recurrence_days": days }));
    audit::record(
        &mut tx,
        Change::by(by, "setting.recurrence_days", "setting", "recurrence_days").states(None, after),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every marked date, oldest first: (date, "holiday" or "workday", name).
pub async fn calendar_days(pool: &Pool) -> Result<Vec<(String, String, String)>> {
    Ok(
        sqlx::query_as("SELECT day, kind, name FROM calendar_days ORDER BY day")
            .fetch_all(pool)
            .await?,
    )
}

/// The deadline policy (day mode and calendar), from memory while no
/// instance has changed it (see [`crate::kept`]).
pub async fn policy(pool: &Pool) -> Result<Arc<DeadlinePolicy>> {
    POLICY.get(pool, load_policy).await
}

static POLICY: Kept<DeadlinePolicy> = Kept::new("policy_changes");

/// The policy as a transaction on `pool` sees it, for the due times a
/// transition writes.
pub(crate) async fn policy_in(pool: &Pool, conn: &mut Conn) -> Result<Arc<DeadlinePolicy>> {
    POLICY.get_in(pool, conn, load_policy).await
}

/// The policy read afresh by the caller's transaction: a calendar change
/// recomputes the due times with the calendar it has just written. Rare
/// (calendar changes, approved extensions), so nothing is kept.
pub(crate) async fn load_policy(conn: &mut Conn) -> Result<DeadlinePolicy> {
    let mode: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'day_mode'")
            .fetch_optional(&mut *conn)
            .await?;
    let days: Vec<(String, String)> = sqlx::query_as("SELECT day, kind FROM calendar_days")
        .fetch_all(&mut *conn)
        .await?;
    let mut policy = DeadlinePolicy {
        day_mode: if mode.as_deref() == Some("working") {
            DayMode::Working
        } else {
            DayMode::Calendar
        },
        ..Default::default()
    };
    for (day, kind) in days {
        if let Ok(d) = day.parse::<NaiveDate>() {
            if kind == "workday" {
                policy.calendar.workdays.insert(d);
            } else {
                policy.calendar.holidays.insert(d);
            }
        }
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadlines::{clear_calendar_day, set_calendar_day, set_day_mode};

    /// Each instance keeps the region tree in memory, and sees a change made
    /// through another instance (a second pool) at its next use, and one
    /// made by plain SQL too.
    #[tokio::test]
    async fn a_kept_region_tree_follows_changes_from_any_instance() {
        let db = crate::testing::TestDb::new().await;
        let other = crate::connect(&db.url).await.unwrap();
        let city = insert_region(&db.pool, None, RegionLevel::City, "吕梁市")
            .await
            .unwrap();
        assert_eq!(region_tree(&db.pool).await.unwrap().within("/").count(), 1);
        let district = insert_region(&other, Some(city), RegionLevel::District, "离石区")
            .await
            .unwrap();
        let tree = region_tree(&db.pool).await.unwrap();
        assert_eq!(tree.get(district).map(|n| n.name.as_str()), Some("离石区"));
        sqlx::query("UPDATE regions SET name = '离石' WHERE id = $1")
            .bind(district)
            .execute(&other)
            .await
            .unwrap();
        let tree = region_tree(&db.pool).await.unwrap();
        assert_eq!(tree.get(district).map(|n| n.name.as_str()), Some("离石"));
    }

    /// A city's filter offers its districts, streets and communities, not
    /// its every grid and compound; choosing a compound (as the grid view's
    /// links do) brings in the way down to it, and a community its grids
    /// and compounds. A director sees the whole community; nobody sees
    /// outside their area, whatever they choose.
    #[tokio::test]
    async fn an_area_filter_offers_three_levels_and_the_way_to_the_area_chosen() {
        let db = crate::testing::TestDb::city(0, chrono::Utc::now()).await;
        let tree = region_tree(&db.pool).await.unwrap();
        let level = |id: i64| tree.get(id).and_then(RegionRow::level).unwrap();
        let ids = |areas: Vec<RegionOption>| areas.into_iter().map(|a| a.id).collect::<Vec<_>>();
        let in_use = |path: &str, l: RegionLevel| {
            tree.within(path)
                .filter(|n| n.level() == Some(l))
                .map(|n| n.id)
                .collect::<Vec<_>>()
        };

        let city = ids(tree.filter_areas("/", None));
        let communities = in_use("/", RegionLevel::Community);
        assert!(communities.len() > 300, "{}", communities.len());
        assert!(city.iter().all(|&id| level(id) <= RegionLevel::Community));
        for l in [
            RegionLevel::City,
            RegionLevel::District,
            RegionLevel::Street,
            RegionLevel::Community,
        ] {
            let all = in_use("/", l);
            assert_eq!(
                city.iter().filter(|&&id| level(id) == l).count(),
                all.len(),
                "{l:?}"
            );
        }

        let compound = in_use("/", RegionLevel::Compound)[0];
        let node = tree.get(compound).unwrap();
        let chosen = ids(tree.filter_areas("/", Some(compound)));
        let way: Vec<i64> = node
            .path
            .split('/')
            .filter_map(|p| p.parse().ok())
            .collect();
        assert!(way.iter().all(|id| chosen.contains(id)), "{way:?}");
        let community = tree.community_of(compound).unwrap().clone();
        let picked = ids(tree.filter_areas("/", Some(community.id)));
        let below: Vec<i64> = tree
            .within(&community.path)
            .filter(|n| n.parent_id == Some(community.id))
            .map(|n| n.id)
            .collect();
        assert!(!below.is_empty());
        assert!(below.iter().all(|id| picked.contains(id)));
        assert_eq!(picked.len(), city.len() + below.len());

        let director = ids(tree.filter_areas(&community.path, None));
        let whole: Vec<i64> = tree
            .within(&community.path)
            .filter(|n| n.level().is_some_and(|l| l <= RegionLevel::Compound))
            .map(|n| n.id)
            .collect();
        assert_eq!(director, whole);
        let elsewhere = communities
            .into_iter()
            .find(|&c| c != community.id)
            .unwrap();
        assert_eq!(
            ids(tree.filter_areas(&community.path, Some(elsewhere))),
            whole
        );

        // The residents' form's compounds, as the intake form names them.
        let intake = options(&db.pool, None).await.unwrap().regions;
        let compounds: Vec<RegionOption> = intake
            .into_iter()
            .filter(|r| level(r.id) == RegionLevel::Compound)
            .collect();
        assert_eq!(compounds.len(), in_use("/", RegionLevel::Compound).len());
        assert_eq!(tree.places_at(RegionLevel::Compound), compounds);
    }

    /// The policy is kept like the tree: changes through another instance
    /// and by plain SQL are seen at the next use; a transaction sees its own
    /// uncommitted change, and a rollback leaves nothing kept behind.
    #[tokio::test]
    async fn a_kept_policy_follows_changes_and_keeps_no_rolled_back_one() {
        let db = crate::testing::TestDb::new().await;
        let other = crate::connect(&db.url).await.unwrap();
        let (by, now) = (By::named("命令行"), chrono::Utc::now());
        let day = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let counter = async || -> i64 {
            sqlx::query_scalar("SELECT n FROM policy_changes")
                .fetch_one(&db.pool)
                .await
                .unwrap()
        };
        assert!(policy(&db.pool).await.unwrap().calendar.is_working_day(day));
        set_calendar_day(&other, &by, day, false, "国庆节", now)
            .await
            .unwrap();
        assert!(!policy(&db.pool).await.unwrap().calendar.is_working_day(day));
        sqlx::query("INSERT INTO settings (key, value) VALUES ('day_mode', 'calendar')")
            .execute(&other)
            .await
            .unwrap();
        assert_eq!(policy(&db.pool).await.unwrap().day_mode, DayMode::Calendar);
        sqlx::query("UPDATE settings SET value = 'working' WHERE key = 'day_mode'")
            .execute(&other)
            .await
            .unwrap();
        assert_eq!(policy(&db.pool).await.unwrap().day_mode, DayMode::Working);
        // Other settings are no part of the policy and leave it kept.
        let before = counter().await;
        set_recurrence_days(&other, &by, 30, now).await.unwrap();
        assert_eq!(counter().await, before);

        let mut tx = db.pool.begin().await.unwrap();
        sqlx::query("DELETE FROM calendar_days")
            .execute(&mut *tx)
            .await
            .unwrap();
        let seen = policy_in(&db.pool, &mut tx).await.unwrap();
        assert!(seen.calendar.is_working_day(day));
        tx.rollback().await.unwrap();
        // The next committed change takes the counter value the rolled-back
        // one had: had that one's reading been kept, it would be served now.
        // (One plain statement: PostgreSQL fires both the insert's and the
        // update's statement triggers for an upsert.)
        let later = NaiveDate::from_ymd_opt(2026, 10, 2).unwrap();
        sqlx::query("INSERT INTO calendar_days (day, kind, name) VALUES ($1, 'holiday', '国庆节')")
            .bind(later.to_string())
            .execute(&other)
            .await
            .unwrap();
        assert_eq!(counter().await, before + 1);
        let calendar = policy(&db.pool).await.unwrap().calendar.clone();
        assert!(!calendar.is_working_day(day) && !calendar.is_working_day(later));
    }

    #[tokio::test]
    async fn the_tree_labels_and_reduces_places() {
        let db = crate::testing::TestDb::new().await;
        let pool = db.pool.clone();
        let city = insert_region(&pool, None, RegionLevel::City, "吕梁市")
            .await
            .unwrap();
        let community = insert_region(&pool, Some(city), RegionLevel::Community, "永宁社区")
            .await
            .unwrap();
        let compound = insert_region(&pool, Some(community), RegionLevel::Compound, "益众小区")
            .await
            .unwrap();
        let building = insert_region(&pool, Some(compound), RegionLevel::Building, "2号楼")
            .await
            .unwrap();
        let tree = region_tree(&pool).await.unwrap();
        assert_eq!(
            tree.get(building).unwrap().path,
            format!("/{city}/{community}/{compound}/{building}/")
        );
        assert_eq!(tree.label(building), "永宁社区 / 益众小区 / 2号楼");
        assert_eq!(tree.public_place(building), "永宁社区 益众小区");
        assert_eq!(tree.public_place(community), "永宁社区");
        let path = tree.get(community).unwrap().path.clone();
        assert_eq!(tree.within(&path).count(), 3);
        let opts = options(&pool, Some(&path)).await.unwrap();
        assert_eq!(opts.regions.len(), 3);
    }

    #[tokio::test]
    async fn units_stations_and_categories_are_listed_as_entered() {
        let db = crate::testing::TestDb::new().await;
        let pool = db.pool.clone();
        let city = insert_region(&pool, None, RegionLevel::City, "吕梁市")
            .await
            .unwrap();
        let community = insert_region(&pool, Some(city), RegionLevel::Community, "袁家庄社区")
            .await
            .unwrap();
        let unit = insert_unit(&pool, "离石区城市管理局", "department")
            .await
            .unwrap();
        assert!(unit_exists(&pool, unit).await.unwrap());
        assert!(!unit_exists(&pool, unit + 1).await.unwrap());
        insert_station(&pool, "袁家庄社区人大代表联络站", community, "党群服务中心")
            .await
            .unwrap();
        let id = insert_category(
            &pool,
            NewCategory {
                code: "lighting",
                name_zh: "路灯照明",
                name_en: "Street lighting",
                default_tier: Tier::Street,
                default_unit_id: Some(unit),
                deadline_class: DeadlineClass::Urgent,
            },
        )
        .await
        .unwrap();
        let cats = categories(&pool).await.unwrap();
        assert_eq!(
            (cats[0].id, cats[0].deadline_class, cats[0].default_unit_id),
            (id, DeadlineClass::Urgent, Some(unit))
        );
        assert_eq!(units(&pool).await.unwrap()[0].name, "离石区城市管理局");
        let everywhere = options(&pool, None).await.unwrap();
        assert_eq!(everywhere.stations.len(), 1);
        let elsewhere = insert_region(&pool, Some(city), RegionLevel::Community, "交通路社区")
            .await
            .unwrap();
        let path = region_tree(&pool)
            .await
            .unwrap()
            .get(elsewhere)
            .unwrap()
            .path
            .clone();
        assert!(
            options(&pool, Some(&path))
                .await
                .unwrap()
                .stations
                .is_empty()
        );
    }

    #[tokio::test]
    async fn the_calendar_feeds_the_policy() {
        let db = crate::testing::TestDb::new().await;
        let pool = db.pool.clone();
        let d = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let w = NaiveDate::from_ymd_opt(2026, 10, 10).unwrap();
        let by = By::named("命令行");
        let now = chrono::Utc::now();
        set_calendar_day(&pool, &by, d, false, "国庆节", now)
            .await
            .unwrap();
        set_calendar_day(&pool, &by, w, true, "国庆调休", now)
            .await
            .unwrap();
        set_day_mode(&pool, &by, DayMode::Working, now)
            .await
            .unwrap();
        let p = policy(&pool).await.unwrap();
        assert_eq!(p.day_mode, DayMode::Working);
        assert!(!p.calendar.is_working_day(d));
        assert!(p.calendar.is_working_day(w));
        assert_eq!(calendar_days(&pool).await.unwrap().len(), 2);
        assert!(clear_calendar_day(&pool, &by, w, now).await.unwrap());
        assert!(!clear_calendar_day(&pool, &by, w, now).await.unwrap());
        assert!(!policy(&pool).await.unwrap().calendar.is_working_day(w));
        // Three marks and one unmark are in the audit trail, each with the
        // recomputation of the open cases' due times; the futile second
        // unmark is not.
        let trail = audit::for_entity(&pool, "calendar", &w.to_string())
            .await
            .unwrap();
        let actions: Vec<_> = trail.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["calendar.marked", "calendar.cleared"]);
        assert_eq!(audit::verify(&pool).await.unwrap(), Ok(8));
    }
}
