//! Statistics: the public figures (collected, closed, on time, rated) and
//! the monthly figures by which responsible units are ranked.

use crate::db::Stored;
use crate::reference::{self, RegionTree};
use crate::{Pool, Result, StoreError};
use chrono::{DateTime, Datelike, Months, Utc};
use domain::deadline::china;
use domain::view::{AreaStats, CategoryStats, ClosedBrief, MonthStats, Named, PublicStats};
use domain::{Rating, RegionLevel, Status};
use std::collections::HashMap;

/// Public figures per area, worked out at most once per `ttl` on this
/// instance however many people ask: a resident pressing refresh on
/// `/stats`, or a crowd opening it from a QR code, costs one aggregation a
/// minute per area, not one per visit. Visitors who arrive while an area is
/// being worked out wait for that one result.
pub struct FiguresCache {
    ttl: std::time::Duration,
    areas: std::sync::Mutex<HashMap<Option<i64>, std::sync::Arc<AreaSlot>>>,
}

type AreaSlot = tokio::sync::Mutex<Option<(std::time::Instant, std::sync::Arc<PublicStats>)>>;

impl FiguresCache {
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            ttl,
            areas: std::sync::Mutex::default(),
        }
    }

    /// [`public_stats`] of `region`, from the cache while it is fresh.
    pub async fn public_stats(
        &self,
        pool: &Pool,
        region: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<std::sync::Arc<PublicStats>> {
        let slot = self
            .areas
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(region)
            .or_default()
            .clone();
        let mut held = slot.lock().await;
        if let Some((at, stats)) = held.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(stats.clone());
        }
        match public_stats(pool, region, now).await {
            Ok(stats) => {
                let stats = std::sync::Arc::new(stats);
                *held = Some((std::time::Instant::now(), stats.clone()));
                Ok(stats)
            }
            Err(e) => {
                // Unknown areas leave nothing behind: the map holds only
                // areas that exist.
                if held.is_none() {
                    self.areas
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&region);
                }
                Err(e)
            }
        }
    }
}

/// The figures for `region_id` (the whole city when None). Merged duplicates
/// are not counted: their original is. Everything is counted by the
/// database (a handful of aggregations over the area's index range), so the
/// cost grows with the area's cases but no case is read into memory.
pub async fn public_stats(
    pool: &Pool,
    region_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<PublicStats> {
    let tree = reference::region_tree(pool).await?;
    let root = match region_id {
        Some(id) => tree
            .get(id)
            .filter(|n| {
                n.level()
                    .is_some_and(domain::RegionLevel::has_public_figures)
            })
            .ok_or(StoreError::NotFound)?
            .clone(),
        None => tree
            .within("/")
            .find(|n| n.parent_id.is_none())
            .cloned()
            .ok_or(StoreError::NotFound)?,
    };

    // The area and each child area: figures per region, rolled up the tree.
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
    // Figures per region from the tallies the database keeps with every
    // change to a case (migration 0017), rolled up the tree here.
    let mut per_region = tallies(
        "SELECT t.region_id, CAST(SUM(t.collected) AS BIGINT), CAST(SUM(t.closed) AS BIGINT), \
         CAST(SUM(t.timed) AS BIGINT), CAST(SUM(t.on_time) AS BIGINT), \
         CAST(SUM(t.rated) AS BIGINT), CAST(SUM(t.satisfied) AS BIGINT), \
         CAST(SUM(t.rated_session) AS BIGINT), CAST(SUM(t.rated_callback) AS BIGINT) \
         FROM case_tallies t",
        &root.path,
    );
    per_region.push(" GROUP BY t.region_id");
    type RegionRow = (i64, i64, i64, i64, i64, i64, i64, i64, i64);
    let rows: Vec<RegionRow> = per_region.build_query_as()?.fetch_all(pool).await?;
    for (region, collected, closed, timed, on_time, rated, satisfied, session, callback) in rows {
        let figures = AreaStats {
            collected,
            closed,
            timed,
            on_time,
            rated,
            satisfied,
            rated_by: domain::RatedBy { session, callback },
            ..Default::default()
        };
        total.merge(&figures);
        let path = tree
            .get(region)
            .map(|n| n.path.as_str())
            .unwrap_or_default();
        if let Some((stats, _)) = areas
            .iter_mut()
            .zip(&children)
            .find(|(_, c)| path.starts_with(&c.path))
        {
            stats.merge(&figures);
        }
    }

    // The last twelve months (China time), collected and closed.
    let this_month = now
        .with_timezone(&china())
        .date_naive()
        .with_day(1)
        .unwrap_or_default();
    let months_shown: Vec<String> = (0..12)
        .rev()
        .filter_map(|back| this_month.checked_sub_months(Months::new(back)))
        .map(|d| d.format("%Y-%m").to_string())
        .collect();
    let mut by_month = tallies(
        "SELECT t.month, CAST(SUM(t.collected) AS BIGINT), CAST(SUM(t.closed_in) AS BIGINT) \
         FROM case_tallies t",
        &root.path,
    );
    by_month
        .push(" AND t.month >= ")
        .push_bind(months_shown.first().cloned().unwrap_or_default())
        .push(" AND t.month <= ")
        .push_bind(months_shown.last().cloned().unwrap_or_default())
        .push(" GROUP BY t.month");
    let by_month: HashMap<String, (i64, i64)> = by_month
        .build_query_as::<(String, i64, i64)>()?
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(month, collected, closed)| (month, (collected, closed)))
        .collect();
    let months = months_shown
        .into_iter()
        .map(|month| {
            let (collected, closed) = by_month.get(&month).copied().unwrap_or_default();
            MonthStats {
                month,
                collected,
                closed,
            }
        })
        .collect();

    // The five categories with most cases.
    let mut by_category = tallies(
        "SELECT t.category_id, CAST(SUM(t.n) AS BIGINT) FROM category_tallies t",
        &root.path,
    );
    by_category.push(" GROUP BY t.category_id HAVING SUM(t.n) > 0");
    let by_category: HashMap<i64, i64> = by_category
        .build_query_as::<(i64, i64)>()?
        .fetch_all(pool)
        .await?
        .into_iter()
        .collect();
    let categories = reference::categories(pool).await?;
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

    // The ten most recently closed, read narrow (no case is read whole).
    // For the city they are the end of the closed_at index; the status is
    // then compared as an expression, or SQLite would rather read every
    // closed case by the status index and sort them (1.7 s at a million).
    // Within an area the area's index range is the shorter read.
    let mut recent = crate::db::Builder::new(
        "SELECT c.title, cat.name_zh, c.region_id, c.closed_at, c.rating FROM cases c \
         JOIN categories cat ON cat.id = c.category_id WHERE c.closed_at IS NOT NULL",
    );
    if crate::access::Scope::Region(root.path.clone()).is_whole_city() {
        recent.push(" AND c.status || '' = 'closed'");
    } else {
        recent.push(" AND c.status = 'closed'");
        crate::cases::push_area(&mut recent, &root.path);
    }
    recent.push(" ORDER BY c.closed_at DESC, c.id DESC LIMIT 10");
    type Recent = (
        String,
        String,
        i64,
        crate::db::Stamp,
        crate::db::MaybeCode<Rating>,
    );
    let recently_closed = recent
        .build_query_as::<Recent>()?
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(
            |(title, category, region_id, closed_at, rating)| ClosedBrief {
                title,
                category,
                place: tree.public_place(region_id),
                closed_at: closed_at.0,
                rating: rating.0,
            },
        )
        .collect();

    let trail = trail(&tree, &root);
    Ok(PublicStats {
        total,
        trail,
        areas,
        months,
        top_categories,
        recently_closed,
    })
}

/// The node's path from the city down, for navigation.
fn trail(tree: &RegionTree, root: &reference::RegionRow) -> Vec<Named> {
    let mut t: Vec<Named> = Vec::new();
    let mut cur = Some(root);
    while let Some(n) = cur {
        t.push(Named {
            id: n.id,
            name: n.name.clone(),
        });
        cur = n.parent_id.and_then(|p| tree.get(p));
    }
    t.reverse();
    t
}

/// A query over the tallies `t` of the places within `path`. The city
/// holds every tally; below it, the places are a prefix of the region tree
/// (a few thousand regions at most: read whole, as the tallies are).
fn tallies(sql: &str, path: &str) -> crate::db::Builder {
    let mut qb = crate::db::Builder::new(sql);
    push_tally_area(&mut qb, path);
    qb
}

/// Which tallies a query adds up: each place's (`case_tallies`), or each
/// place's under one grouping of `report_tallies` ("unit", "station",
/// "category" or "heard_by"), for every key or for one.
#[derive(Clone, Copy)]
pub(crate) enum Tallies {
    Places,
    Grouped(&'static str, Option<i64>),
}

impl Tallies {
    /// The tallies of what `scope` sees: a unit's or a station's cases,
    /// or every case of the places.
    pub(crate) fn seen_by(scope: &crate::access::Scope) -> Self {
        match scope {
            crate::access::Scope::Unit(u) => Self::Grouped("unit", Some(*u)),
            crate::access::Scope::Station(s) => Self::Grouped("station", Some(*s)),
            _ => Self::Places,
        }
    }
}

/// Appends the table of `which` as `t`, narrowed to the places under
/// `path` and to its grouping; further conditions follow with ` AND`.
pub(crate) fn push_tallies(qb: &mut crate::db::Builder, which: Tallies, path: &str) {
    let table = match which {
        Tallies::Places => "case_tallies",
        Tallies::Grouped(..) => "report_tallies",
    };
    qb.push(format_args!(" FROM {table} t"));
    push_tally_area(qb, path);
    if let Tallies::Grouped(dimension, key) = which {
        qb.push(" AND t.dimension = ").push_bind(dimension);
        if let Some(key) = key {
            qb.push(" AND t.key_id = ").push_bind(key);
        }
    }
}

/// Narrows the tallies `t` of a query to those of the places under `path`,
/// opening its WHERE clause; further conditions follow with ` AND`.
///
/// The places are a list the tallies are looked up by, not a join: joined,
/// SQLite with statistics read every tally of the city and kept an area's
/// (a community's public figures took 69 ms instead of 10 at 100,000 cases).
fn push_tally_area(qb: &mut crate::db::Builder, path: &str) {
    qb.push(" WHERE 1 = 1");
    if !crate::access::Scope::Region(path.to_string()).is_whole_city() {
        qb.push(" AND t.region_id IN (SELECT r.id FROM regions r WHERE r.path LIKE ")
            .push_bind(format!("{path}%"))
            .push(")");
    }
}

/// Midnight of `day` in China, in UTC.
pub fn day_start(day: chrono::NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    china()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The month (China time) holding `day`, as UTC bounds [from, to).
pub fn month_bounds(day: chrono::NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = day.with_day(1).unwrap_or(day);
    let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
    (day_start(first), day_start(next))
}

/// SQL conditions over `cases c` for the figures, as `domain::figures`
/// counts them (`Figures::add` of `CaseFact`s is the rule; a test compares
/// the two over a generated city).
mod judged {
    pub const CLOSED: &str = "c.status = 'closed'";
    /// A finished clock met the completion deadline: completed, or stopped
    /// at its start, by the stored deadline (`DeadlinePolicy::completion_due`).
    pub const ON_TIME: &str = "c.clock_start IS NOT NULL AND COALESCE(c.completed_at, c.clock_start) <= c.completion_due_at";
    pub const RETURNED: &str =
        "EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind = 'return')";
    pub const RATED: &str = "c.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied')";
    pub const SATISFIED: &str = "c.rating IN ('satisfied', 'fairly_satisfied')";
    /// Of the rated, by how the rating reached the case (`RatedBy`).
    pub const AT_SESSION: &str = "c.rated_via = 'session'";
    pub const ON_CALLBACK: &str = "c.rated_via = 'callback'";

    /// The acknowledgement checkpoint was met: acknowledged, or the clock
    /// stopped at its start without the unit finishing, by the stored
    /// deadline (`DeadlinePolicy::acknowledge_due`).
    pub fn acknowledged() -> String {
        let running: Vec<String> = domain::Status::ALL
            .into_iter()
            .filter(|s| s.clock_runs())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        format!(
            "COALESCE(c.acknowledged_at, CASE WHEN c.status NOT IN ({}) AND c.completed_at IS NULL \
             THEN c.clock_start END) <= c.acknowledge_due_at",
            running.join(", ")
        )
    }

    /// How many of the rows meet `condition`, as a BIGINT on both databases.
    pub fn count(condition: &str) -> String {
        format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0) AS BIGINT)")
    }
}

/// Each unit's figures for the month holding `day` (see
/// `domain::ranking::UnitFigures`): the cases whose 13710 clock started in
/// the month and are with the unit, plus the cases it returned in the month.
/// Counted by the database, by unit.
pub async fn unit_figures(
    pool: &Pool,
    day: chrono::NaiveDate,
) -> Result<Vec<domain::ranking::UnitFigures>> {
    use judged::{CLOSED, ON_TIME, RATED, SATISFIED, count};
    let (from, to) = month_bounds(day);
    let mut units: Vec<domain::ranking::UnitFigures> = reference::units(pool)
        .await?
        .into_iter()
        .map(|u| domain::ranking::UnitFigures {
            unit_id: u.id,
            name: u.name,
            ..Default::default()
        })
        .collect();
    let sql = format!(
        "SELECT c.unit_id, COUNT(*), {}, {}, {}, {}, {}, {} FROM cases c \
         WHERE c.unit_id IS NOT NULL AND c.clock_start >= $1 AND c.clock_start < $2 \
         GROUP BY c.unit_id",
        count(&judged::acknowledged()),
        count(CLOSED),
        count(&format!("{CLOSED} AND {ON_TIME}")),
        count(&format!("{CLOSED} AND c.rework_count > 0")),
        count(RATED),
        count(SATISFIED),
    );
    type UnitRow = (i64, i64, i64, i64, i64, i64, i64, i64);
    let rows: Vec<UnitRow> = sqlx::query_as(&sql)
        .bind(from.stored())
        .bind(to.stored())
        .fetch_all(pool)
        .await?;
    for (unit_id, assigned, acknowledged, closed, on_time, reworked, rated, satisfied) in rows {
        if let Some(u) = units.iter_mut().find(|u| u.unit_id == unit_id) {
            u.assigned += assigned;
            u.acknowledged_on_time += acknowledged;
            u.closed += closed;
            u.on_time += on_time;
            u.reworked += reworked;
            u.rated += rated;
            u.satisfied += satisfied;
        }
    }
    // A return clears the case's unit, so the unit is the returning handler's.
    let returns: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT u.unit_id, COUNT(*) FROM case_events e JOIN users u ON u.id = e.actor_user_id \
         WHERE e.kind = 'return' AND e.at >= $1 AND e.at < $2 AND u.unit_id IS NOT NULL \
         GROUP BY u.unit_id",
    )
    .bind(from.stored())
    .bind(to.stored())
    .fetch_all(pool)
    .await?;
    for (unit_id, n) in returns {
        if let Some(u) = units.iter_mut().find(|u| u.unit_id == unit_id) {
            u.returned += n;
            u.assigned += n;
        }
    }
    Ok(units)
}

/// The figures of the cases of `cases c` that `condition` (with its one
/// bound value) selects, counted by the database: what a person heard at
/// the station, say. Merged duplicates are not counted.
pub(crate) async fn figures_where(
    pool: &Pool,
    condition: &str,
    value: i64,
) -> Result<domain::figures::Figures> {
    let sql = format!(
        "SELECT CAST(NULL AS BIGINT) AS id, CAST(NULL AS TEXT) AS month, {} FROM cases c \
         WHERE c.status <> 'merged' AND {condition}",
        figure_columns()
    );
    let row: FigureRow = sqlx::query_as(&sql).bind(value).fetch_one(pool).await?;
    Ok(row.figures())
}

/// `domain::figures::Figures` summed by the database over `cases c`.
fn figure_columns() -> String {
    use judged::{AT_SESSION, CLOSED, ON_CALLBACK, ON_TIME, RATED, RETURNED, SATISFIED, count};
    format!(
        "COUNT(*) AS collected, {} AS closed, {} AS timed, {} AS on_time, {} AS assigned, \
         {} AS ack_due, {} AS acknowledged, {} AS returned, {} AS reworked, {} AS rated, \
         {} AS satisfied, {} AS rated_session, {} AS rated_callback",
        count(CLOSED),
        count(&format!("{CLOSED} AND c.clock_start IS NOT NULL")),
        count(&format!("{CLOSED} AND {ON_TIME}")),
        count(&format!("c.unit_id IS NOT NULL OR {RETURNED}")),
        count("c.clock_start IS NOT NULL"),
        count(&judged::acknowledged()),
        count(RETURNED),
        count(&format!("{CLOSED} AND c.rework_count > 0")),
        count(RATED),
        count(SATISFIED),
        count(&format!("{RATED} AND {AT_SESSION}")),
        count(&format!("{RATED} AND {ON_CALLBACK}")),
    )
}

/// `domain::figures::Figures` added up over tallies `t` (`case_tallies` or
/// `report_tallies`).
fn tally_sums() -> String {
    [
        "collected",
        "closed",
        "timed",
        "on_time",
        "assigned",
        "ack_due",
        "acknowledged",
        "returned",
        "reworked",
        "rated",
        "satisfied",
        "rated_session",
        "rated_callback",
    ]
    .map(|f| format!("CAST(SUM(t.{f}) AS BIGINT) AS {f}"))
    .join(", ")
}

/// One group's figures as the database counts them: keyed by an id (a
/// unit, station, region, category or person) or by a month.
#[derive(sqlx::FromRow)]
struct FigureRow {
    id: Option<i64>,
    month: Option<String>,
    collected: i64,
    closed: i64,
    timed: i64,
    on_time: i64,
    assigned: i64,
    ack_due: i64,
    acknowledged: i64,
    returned: i64,
    reworked: i64,
    rated: i64,
    satisfied: i64,
    rated_session: i64,
    rated_callback: i64,
}

impl FigureRow {
    fn figures(&self) -> domain::figures::Figures {
        domain::figures::Figures {
            collected: self.collected,
            closed: self.closed,
            timed: self.timed,
            on_time: self.on_time,
            assigned: self.assigned,
            ack_due: self.ack_due,
            acknowledged: self.acknowledged,
            returned: self.returned,
            reworked: self.reworked,
            rated: self.rated,
            satisfied: self.satisfied,
            rated_by: domain::RatedBy {
                session: self.rated_session,
                callback: self.rated_callback,
            },
        }
    }
}

/// The figures of the cases registered in `[first, end)` (first days of
/// months, China time) that `user` may see, grouped by `dimension`.
/// Merged duplicates are not counted: their original is. The database
/// counts them per unit, station, category, person, month or place; places
/// are then added up to their community, grid or leader's area here.
pub async fn report(
    pool: &Pool,
    user: &crate::users::UserRow,
    dimension: domain::figures::Dimension,
    first: chrono::NaiveDate,
    end: chrono::NaiveDate,
) -> Result<domain::figures::Report> {
    use domain::figures::{Dimension as D, Figures};
    let scope = crate::access::scope(user);
    let rows: Vec<FigureRow> = match &scope {
        // An area's figures add up the tallies the database keeps per place,
        // month and grouping (migration 0020).
        crate::access::Scope::All | crate::access::Scope::Region(_) => {
            let path = scope.region_path().unwrap_or("/");
            // Places and months: the tallies per place; the other groupings:
            // those per place and key.
            let (which, id, label) = match dimension {
                D::Unit => (Some("unit"), "NULLIF(t.key_id, 0)", "CAST(NULL AS TEXT)"),
                D::Station => (Some("station"), "NULLIF(t.key_id, 0)", "CAST(NULL AS TEXT)"),
                D::Category => (Some("category"), "t.key_id", "CAST(NULL AS TEXT)"),
                D::HeardBy => (
                    Some("heard_by"),
                    "NULLIF(t.key_id, 0)",
                    "CAST(NULL AS TEXT)",
                ),
                D::Community | D::Grid | D::Leader => (None, "t.region_id", "CAST(NULL AS TEXT)"),
                D::Month => (None, "CAST(NULL AS BIGINT)", "t.month"),
            };
            let which = match which {
                Some(grouping) => Tallies::Grouped(grouping, None),
                None => Tallies::Places,
            };
            let mut qb = crate::db::Builder::new(format!(
                "SELECT {id} AS id, {label} AS month, {}",
                tally_sums()
            ));
            push_tallies(&mut qb, which, path);
            // A tally that counted cases out to zero is no group (nor is a
            // place's month that only closed older cases).
            qb.push(" AND t.collected <> 0 AND t.month >= ")
                .push_bind(first.format("%Y-%m").to_string())
                .push(" AND t.month < ")
                .push_bind(end.format("%Y-%m").to_string());
            qb.push(" GROUP BY 1, 2");
            qb.build_query_as()?.fetch_all(pool).await?
        }
        // A unit's or a station's cases, grouped some other way: counted
        // from the cases (by the unit's or station's index).
        crate::access::Scope::Unit(_) | crate::access::Scope::Station(_) => {
            let (from, _) = month_bounds(first);
            let (to, _) = month_bounds(end);
            let month = match crate::db::Backend::of(pool) {
                crate::db::Backend::Sqlite => "strftime('%Y-%m', c.created_at, '+8 hours')",
                crate::db::Backend::Postgres => "china_month(c.created_at)",
            };
            let (id, label) = match dimension {
                D::Unit => ("c.unit_id", "CAST(NULL AS TEXT)"),
                D::Station => ("c.station_id", "CAST(NULL AS TEXT)"),
                D::Category => ("c.category_id", "CAST(NULL AS TEXT)"),
                D::HeardBy => ("c.heard_by", "CAST(NULL AS TEXT)"),
                D::Community | D::Grid | D::Leader => ("c.region_id", "CAST(NULL AS TEXT)"),
                D::Month => ("CAST(NULL AS BIGINT)", month),
            };
            let mut qb = crate::db::Builder::new(format!(
                "SELECT {id} AS id, {label} AS month, {} FROM cases c",
                figure_columns()
            ));
            qb.push(" WHERE c.status <> ")
                .push_bind(Status::Merged.as_str())
                .push(" AND c.created_at >= ")
                .push_bind(from.stored())
                .push(" AND c.created_at < ")
                .push_bind(to.stored());
            crate::cases::push_scope(&mut qb, &scope);
            qb.push(" GROUP BY 1, 2");
            qb.build_query_as()?.fetch_all(pool).await?
        }
        crate::access::Scope::Nothing => vec![],
    };

    let mut total = Figures::default();
    for row in &rows {
        total.merge(&row.figures());
    }
    // Each row's groups: (id, name) pairs.
    let names: HashMap<i64, String> = match dimension {
        D::Unit => reference::units(pool)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect(),
        D::Station => sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM stations")
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect(),
        D::Category => reference::categories(pool)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name_zh))
            .collect(),
        D::HeardBy => {
            let mut people =
                crate::db::Builder::new("SELECT id, display_name FROM users WHERE 1 = 1");
            crate::push_in(&mut people, "id", rows.iter().filter_map(|r| r.id));
            people
                .build_query_as::<(i64, String)>()?
                .fetch_all(pool)
                .await?
                .into_iter()
                .collect()
        }
        D::Community | D::Grid | D::Leader | D::Month => HashMap::new(),
    };
    let tree = reference::region_tree(pool).await?;
    let leaders: Vec<(i64, String, String)> = if dimension == D::Leader {
        sqlx::query_as(
            "SELECT u.id, u.display_name, r.path FROM users u JOIN regions r ON r.id = u.region_id \
             WHERE u.role = 'leader' AND u.disabled_at IS NULL ORDER BY u.id",
        )
        .fetch_all(pool)
        .await?
    } else {
        vec![]
    };
    let keys = |row: &FigureRow| -> Vec<(Option<i64>, String)> {
        let region = |level| {
            row.id
                .and_then(|r| tree.ancestor_at(r, level))
                .map(|n| (Some(n.id), n.name.clone()))
        };
        match dimension {
            D::Unit | D::Station | D::Category | D::HeardBy => row
                .id
                .and_then(|id| names.get(&id).map(|n| (Some(id), n.clone())))
                .into_iter()
                .collect(),
            D::Community => region(RegionLevel::Community).into_iter().collect(),
            D::Grid => region(RegionLevel::Grid).into_iter().collect(),
            D::Leader => {
                let path = row
                    .id
                    .and_then(|r| tree.get(r))
                    .map(|n| n.path.as_str())
                    .unwrap_or_default();
                leaders
                    .iter()
                    .filter(|(.., p)| path.starts_with(p.as_str()))
                    .map(|(id, name, _)| (Some(*id), name.clone()))
                    .collect()
            }
            D::Month => row.month.clone().map(|m| (None, m)).into_iter().collect(),
        }
    };

    let mut groups = Groups::new(dimension, first, end);
    for row in &rows {
        let figures = row.figures();
        for (id, name) in keys(row) {
            groups.get(id, name).merge(&figures);
        }
    }
    Ok(groups.report(total))
}

/// A report's groups as they fill up, whatever counts them.
struct Groups {
    dimension: domain::figures::Dimension,
    first: chrono::NaiveDate,
    end: chrono::NaiveDate,
    groups: Vec<domain::figures::Group>,
}

impl Groups {
    fn new(
        dimension: domain::figures::Dimension,
        first: chrono::NaiveDate,
        end: chrono::NaiveDate,
    ) -> Self {
        use domain::figures::{Dimension, Figures, Group};
        let groups = match dimension {
            // Every month of the period has a line, empty or not.
            Dimension::Month => domain::figures::months(first, end)
                .into_iter()
                .map(|m| Group {
                    id: None,
                    name: m,
                    figures: Figures::default(),
                })
                .collect(),
            _ => vec![],
        };
        Self {
            dimension,
            first,
            end,
            groups,
        }
    }

    /// The figures of group `(id, name)`, a new line when it has none yet.
    fn get(&mut self, id: Option<i64>, name: String) -> &mut domain::figures::Figures {
        let at = match self
            .groups
            .iter()
            .position(|g| g.id == id && g.name == name)
        {
            Some(i) => i,
            None => {
                self.groups.push(domain::figures::Group {
                    id,
                    name,
                    figures: Default::default(),
                });
                self.groups.len() - 1
            }
        };
        &mut self.groups[at].figures
    }

    /// The report: months in order, other groups biggest first.
    fn report(mut self, total: domain::figures::Figures) -> domain::figures::Report {
        if self.dimension != domain::figures::Dimension::Month {
            self.groups.sort_by(|a, b| {
                b.figures
                    .collected
                    .cmp(&a.figures.collected)
                    .then_with(|| a.name.cmp(&b.name))
                    .then_with(|| a.id.cmp(&b.id))
            });
        }
        domain::figures::Report {
            dimension: self.dimension,
            from: self.first.format("%Y-%m").to_string(),
            to: self
                .end
                .checked_sub_months(Months::new(1))
                .unwrap_or(self.end)
                .format("%Y-%m")
                .to_string(),
            total,
            groups: self.groups,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::CaseRow;

    fn month_key(t: DateTime<Utc>) -> String {
        t.with_timezone(&china()).format("%Y-%m").to_string()
    }

    // The figures as they were worked out before they moved into SQL: every
    // case read and judged one by one by `Figures::add` of its `CaseFact`.
    // The oracle the SQL figures are compared with.

    /// Each unit's figures for the month holding `day` (see
    /// `domain::ranking::UnitFigures`): the cases whose 13710 clock started in
    /// the month and are with the unit, plus the cases it returned in the month.
    async fn unit_figures_by_rows(
        pool: &Pool,
        day: chrono::NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Vec<domain::ranking::UnitFigures>> {
        let (from, to) = month_bounds(day);
        let mut units: Vec<domain::ranking::UnitFigures> = reference::units(pool)
            .await?
            .into_iter()
            .map(|u| domain::ranking::UnitFigures {
                unit_id: u.id,
                name: u.name,
                ..Default::default()
            })
            .collect();
        let sql = format!(
            "{} WHERE c.unit_id IS NOT NULL AND c.clock_start >= $1 AND c.clock_start < $2",
            crate::cases::SELECT_CASE
        );
        let rows: Vec<CaseRow> = sqlx::query_as(&sql)
            .bind(from.stored())
            .bind(to.stored())
            .fetch_all(pool)
            .await?;
        let policy = reference::policy(pool).await?;
        for row in &rows {
            let Some(u) = units
                .iter_mut()
                .find(|u| Some(u.unit_id) == row.state.unit_id)
            else {
                continue;
            };
            let state = row.state();
            let cps = policy.checkpoints(&state, now);
            let met = |cp: Checkpoint| {
                cps.iter()
                    .any(|c| c.checkpoint == cp && c.status == CheckpointStatus::Met)
            };
            u.assigned += 1;
            u.acknowledged_on_time += i64::from(met(Checkpoint::Acknowledge));
            if state.status == Status::Closed {
                u.closed += 1;
                u.on_time += i64::from(met(Checkpoint::Completion));
                u.reworked += i64::from(state.rework_count > 0);
            }
            let (rated, satisfied) = Rating::tally(state.rating);
            u.rated += rated;
            u.satisfied += satisfied;
        }
        // A return clears the case's unit, so the unit is the returning handler's.
        let returns: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT u.unit_id, COUNT(*) FROM case_events e JOIN users u ON u.id = e.actor_user_id \
             WHERE e.kind = 'return' AND e.at >= $1 AND e.at < $2 AND u.unit_id IS NOT NULL \
             GROUP BY u.unit_id",
        )
        .bind(from.stored())
        .bind(to.stored())
        .fetch_all(pool)
        .await?;
        for (unit_id, n) in returns {
            if let Some(u) = units.iter_mut().find(|u| u.unit_id == unit_id) {
                u.returned += n;
                u.assigned += n;
            }
        }
        Ok(units)
    }

    /// The cases a unit has ever returned to the station.
    async fn returned_cases(pool: &Pool) -> Result<std::collections::HashSet<i64>> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT case_id FROM case_events WHERE kind = 'return'")
                .fetch_all(pool)
                .await?
                .into_iter()
                .collect(),
        )
    }

    /// What one case contributes to the figures, from its row.
    fn fact(
        row: &CaseRow,
        policy: &domain::DeadlinePolicy,
        returned: bool,
        now: DateTime<Utc>,
    ) -> domain::figures::CaseFact {
        let state = row.state();
        let cps = policy.checkpoints(&state, now);
        let met = |cp: Checkpoint| {
            cps.iter()
                .find(|c| c.checkpoint == cp)
                .map(|c| c.status == CheckpointStatus::Met)
        };
        let closed = state.status == Status::Closed;
        domain::figures::CaseFact {
            closed,
            on_time: met(Checkpoint::Completion).filter(|_| closed),
            assigned: row.state.unit_id.is_some() || returned,
            acknowledged: met(Checkpoint::Acknowledge),
            returned,
            reworked: state.rework_count > 0,
            rating: state.rating,
            rated_via: row.rated_via.unwrap_or_default(),
        }
    }

    /// The groups a case counts for under `dimension`: (id, name) pairs.
    struct Grouping {
        dimension: domain::figures::Dimension,
        tree: std::sync::Arc<RegionTree>,
        categories: HashMap<i64, String>,
        /// Leaders: id, name, region path.
        leaders: Vec<(i64, String, String)>,
        /// Everyone's name by id, for who heard a request.
        people: HashMap<i64, String>,
    }

    impl Grouping {
        fn keys(&self, row: &CaseRow) -> Vec<(Option<i64>, String)> {
            use domain::figures::Dimension as D;
            let region = |level| {
                self.tree
                    .ancestor_at(row.region_id, level)
                    .map(|n| (Some(n.id), n.name.clone()))
            };
            match self.dimension {
                D::Unit => row
                    .state
                    .unit_id
                    .zip(row.unit.clone())
                    .map(|(i, n)| (Some(i), n))
                    .into_iter()
                    .collect(),
                D::Station => row
                    .station_id
                    .zip(row.station.clone())
                    .map(|(i, n)| (Some(i), n))
                    .into_iter()
                    .collect(),
                D::Community => region(RegionLevel::Community).into_iter().collect(),
                D::Grid => region(RegionLevel::Grid).into_iter().collect(),
                D::Category => vec![(
                    Some(row.category_id),
                    self.categories
                        .get(&row.category_id)
                        .cloned()
                        .unwrap_or_else(|| row.category.clone()),
                )],
                D::Leader => self
                    .leaders
                    .iter()
                    .filter(|(.., path)| row.region_path.starts_with(path.as_str()))
                    .map(|(id, name, _)| (Some(*id), name.clone()))
                    .collect(),
                D::HeardBy => row
                    .heard_by
                    .and_then(|id| self.people.get(&id).map(|n| (Some(id), n.clone())))
                    .into_iter()
                    .collect(),
                D::Month => vec![(None, month_key(row.created_at))],
            }
        }
    }

    /// The figures of the cases registered in `[first, end)` (first days of
    /// months, China time) that `user` may see, grouped by `dimension`.
    /// Merged duplicates are not counted: their original is.
    async fn report_by_rows(
        pool: &Pool,
        user: &crate::users::UserRow,
        dimension: domain::figures::Dimension,
        first: chrono::NaiveDate,
        end: chrono::NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<domain::figures::Report> {
        use domain::figures::Figures;
        let (from, _) = month_bounds(first);
        let (to, _) = month_bounds(end);
        let mut qb: crate::db::Builder = crate::db::Builder::new(crate::cases::SELECT_CASE);
        qb.push(" WHERE c.status <> ")
            .push_bind(Status::Merged.as_str())
            .push(" AND c.created_at >= ")
            .push_bind(from.stored())
            .push(" AND c.created_at < ")
            .push_bind(to.stored());
        let rows: Vec<CaseRow> = if crate::cases::push_scope(&mut qb, &crate::access::scope(user)) {
            qb.build_query_as()?.fetch_all(pool).await?
        } else {
            vec![]
        };
        let returned = returned_cases(pool).await?;
        let leaders: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT u.id, u.display_name, r.path FROM users u JOIN regions r ON r.id = u.region_id \
             WHERE u.role = 'leader' AND u.disabled_at IS NULL ORDER BY u.id",
        )
        .fetch_all(pool)
        .await?;
        let grouping = Grouping {
            dimension,
            tree: reference::region_tree(pool).await?,
            categories: reference::categories(pool)
                .await?
                .into_iter()
                .map(|c| (c.id, c.name_zh))
                .collect(),
            leaders,
            people: sqlx::query_as::<_, (i64, String)>("SELECT id, display_name FROM users")
                .fetch_all(pool)
                .await?
                .into_iter()
                .collect(),
        };
        let policy = reference::policy(pool).await?;
        let mut total = Figures::default();
        let mut groups = Groups::new(dimension, first, end);
        for row in &rows {
            let f = fact(row, &policy, returned.contains(&row.id), now);
            total.add(&f);
            for (id, name) in grouping.keys(row) {
                groups.get(id, name).add(&f);
            }
        }
        Ok(groups.report(total))
    }

    /// Cases written by hand carry no due times: they get them as existing
    /// cases do after a migration that adds them.
    async fn fill_due_times(pool: &Pool) {
        sqlx::query("INSERT INTO settings (key, value) VALUES ('deadlines_stale', 'test')")
            .execute(pool)
            .await
            .unwrap();
        crate::deadlines::fill_if_stale(pool).await.unwrap();
    }
    use domain::{Checkpoint, CheckpointStatus};

    /// The facts one case contributes to the figures.
    struct Fact {
        path: String,
        region_id: i64,
        closed: bool,
        on_time: Option<bool>,
        rating: Option<Rating>,
        rated_via: domain::RatingChannel,
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
        let (rated, satisfied) = Rating::tally(f.rating);
        stats.rated += rated;
        stats.satisfied += satisfied;
        if rated > 0 {
            stats.rated_by.add(f.rated_via);
        }
    }

    /// The public figures as they were worked out before they moved into SQL:
    /// every case of the area read and judged one by one. The oracle the SQL
    /// figures are compared with.
    async fn by_rows(
        pool: &Pool,
        region_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<PublicStats> {
        let tree = reference::region_tree(pool).await?;
        let root = match region_id {
            Some(id) => tree
                .get(id)
                .filter(|n| {
                    n.level()
                        .is_some_and(domain::RegionLevel::has_public_figures)
                })
                .ok_or(StoreError::NotFound)?
                .clone(),
            None => tree
                .within("/")
                .find(|n| n.parent_id.is_none())
                .cloned()
                .ok_or(StoreError::NotFound)?,
        };
        let sql = format!(
            "{} WHERE c.area_path >= $1 AND c.area_path < $2 AND c.status <> $3",
            crate::cases::SELECT_CASE
        );
        let (from, to) = crate::cases::area_range(&root.path);
        let rows: Vec<CaseRow> = sqlx::query_as(&sql)
            .bind(from)
            .bind(to)
            .bind(Status::Merged.as_str())
            .fetch_all(pool)
            .await?;
        let policy = reference::policy(pool).await?;
        let categories = reference::categories(pool).await?;

        let facts: Vec<Fact> = rows
            .iter()
            .map(|row| {
                let state = row.state();
                let completion = policy
                    .checkpoints(&state, now)
                    .into_iter()
                    .find(|c| c.checkpoint == Checkpoint::Completion);
                Fact {
                    path: row.region_path.clone(),
                    region_id: row.region_id,
                    closed: state.status == Status::Closed,
                    on_time: completion.map(|c| c.status == CheckpointStatus::Met),
                    rating: state.rating,
                    rated_via: row.rated_via.unwrap_or_default(),
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

        let trail = trail(&tree, &root);
        Ok(PublicStats {
            total,
            trail,
            areas,
            months,
            top_categories,
            recently_closed,
        })
    }

    /// The figures counted by the database equal those worked out case by
    /// case, for the city and an area at each level, over a generated city.
    #[tokio::test]
    async fn figures_from_sql_equal_the_case_by_case_count() {
        let now = Utc::now();
        let db = crate::testing::TestDb::city(3_000, now).await;
        let pool = db.pool.clone();
        let mut areas = vec![None];
        for level in ["district", "street", "community"] {
            // The busiest area of the level.
            let id: i64 = sqlx::query_scalar(&format!(
                "SELECT r.id FROM regions r WHERE r.level = '{level}' ORDER BY \
                 (SELECT COUNT(*) FROM cases c WHERE c.area_path LIKE r.path || '%') DESC, r.id LIMIT 1"
            ))
            .fetch_one(&pool)
            .await
            .unwrap();
            areas.push(Some(id));
        }
        let compare = async |areas: &[Option<i64>]| {
            for area in areas.iter().copied() {
                let sql = public_stats(&pool, area, now).await.unwrap();
                let rows = by_rows(&pool, area, now).await.unwrap();
                assert!(sql.total.collected > 0, "{area:?}");
                // The city's ratings came by every channel.
                let by = sql.total.rated_by;
                assert!(
                    area.is_some() || (by.session > 0 && by.callback > 0),
                    "{by:?}"
                );
                assert_eq!(sql.total, rows.total, "{area:?}");
                assert_eq!(sql.areas, rows.areas, "{area:?}");
                assert_eq!(sql.months, rows.months, "{area:?}");
                assert_eq!(sql.top_categories, rows.top_categories, "{area:?}");
                assert_eq!(sql.trail, rows.trail, "{area:?}");
                let closed = |s: &PublicStats| -> Vec<_> {
                    s.recently_closed.iter().map(|c| c.closed_at).collect()
                };
                assert_eq!(closed(&sql), closed(&rows), "{area:?}");
            }
        };
        compare(&areas).await;

        // Every change to a case moves the tallies the figures add up:
        // reopened, rerated, merged, moved to another place, filed under
        // another category, closed late.
        for change in [
            "UPDATE cases SET status = 'in_progress', closed_at = NULL WHERE id IN \
             (SELECT id FROM cases WHERE status = 'closed' ORDER BY id LIMIT 40)",
            "UPDATE cases SET rating = 'dissatisfied' WHERE id IN \
             (SELECT id FROM cases WHERE rating = 'satisfied' ORDER BY id DESC LIMIT 40)",
            // Rated again by another channel, and a rating taken back by rework.
            "UPDATE cases SET rated_via = 'session' WHERE id IN \
             (SELECT id FROM cases WHERE rated_via = 'callback' ORDER BY id DESC LIMIT 30)",
            "UPDATE cases SET rating = NULL, rated_via = NULL, status = 'rework' WHERE id IN \
             (SELECT id FROM cases WHERE rated_via = 'session' ORDER BY id LIMIT 20)",
            "UPDATE cases SET status = 'merged' WHERE id IN \
             (SELECT id FROM cases WHERE status = 'closed' ORDER BY id DESC LIMIT 25)",
            "UPDATE cases SET region_id = (SELECT MIN(id) FROM regions WHERE level = 'compound') \
             WHERE id IN (SELECT id FROM cases ORDER BY id LIMIT 60)",
            "UPDATE cases SET category_id = (SELECT MAX(id) FROM categories) \
             WHERE id IN (SELECT id FROM cases ORDER BY created_at LIMIT 60)",
            "UPDATE cases SET completed_at = '2099-01-01T00:00:00+00:00' WHERE id IN \
             (SELECT id FROM cases WHERE status = 'closed' AND clock_start IS NOT NULL \
              ORDER BY id LIMIT 30)",
        ] {
            sqlx::query(change).execute(&pool).await.unwrap();
        }
        compare(&areas).await;
    }

    /// On SQLite the places' tallies are stored in the order of their key
    /// (migration 0032), and a database whose tallies were rowid tables
    /// keeps every tally through the migration, and the triggers that keep
    /// them count into the new tables.
    #[tokio::test]
    async fn sqlite_stores_the_places_tallies_in_key_order() {
        let now = Utc::now();
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        // PostgreSQL's tables have no such storage: its 0032 does nothing.
        if !matches!(crate::db::Backend::of(&pool), crate::db::Backend::Sqlite) {
            return;
        }
        let layout = async || -> Vec<(String, String)> {
            sqlx::query_as(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
                 AND name IN ('case_tallies', 'category_tallies') ORDER BY name",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        };
        let in_key_order = async || -> Vec<bool> {
            let tables = layout().await;
            assert_eq!(tables.len(), 2);
            tables
                .iter()
                .map(|(_, sql)| sql.contains("WITHOUT ROWID"))
                .collect()
        };
        let tallies = async || -> Vec<String> {
            let mut rows = vec![];
            for all in [
                "SELECT * FROM case_tallies ORDER BY region_id, month",
                "SELECT * FROM category_tallies ORDER BY region_id, category_id",
            ] {
                for row in sqlx::query(all).fetch_all(&pool).await.unwrap() {
                    rows.push(crate::backup::row_text(&row).unwrap());
                }
            }
            rows
        };
        assert_eq!(in_key_order().await, [true, true]);
        let kept = tallies().await;
        assert!(kept.len() > 100);

        // Back to before 0032: the same tables, with a rowid.
        let mut undo = vec!["PRAGMA legacy_alter_table = ON".to_string()];
        for (name, sql) in layout().await {
            let rowid =
                sql.replace(") WITHOUT ROWID", ")")
                    .replacen(&name, &format!("{name}_rowid"), 1);
            undo.extend([
                rowid,
                format!("INSERT INTO {name}_rowid SELECT * FROM {name}"),
                format!("DROP TABLE {name}"),
                format!("ALTER TABLE {name}_rowid RENAME TO {name}"),
            ]);
        }
        undo.extend(
            [
                "CREATE INDEX case_tallies_month ON case_tallies(month)",
                "PRAGMA legacy_alter_table = OFF",
                "DELETE FROM _sqlx_migrations WHERE version = 32",
            ]
            .map(String::from),
        );
        // One connection: the pragma is the connection's.
        let mut conn = pool.acquire().await.unwrap();
        for sql in &undo {
            sqlx::query(sql).execute(&mut *conn).await.expect(sql);
        }
        drop(conn);
        assert_eq!(in_key_order().await, [false, false]);

        crate::migrate(&pool).await.unwrap();
        assert_eq!(in_key_order().await, [true, true]);
        assert_eq!(tallies().await, kept);
        sqlx::query(
            "UPDATE cases SET status = 'in_progress', closed_at = NULL, \
             category_id = (SELECT MAX(id) FROM categories) WHERE id IN \
             (SELECT id FROM cases WHERE status = 'closed' ORDER BY id LIMIT 10)",
        )
        .execute(&pool)
        .await
        .unwrap();
        assert_ne!(tallies().await, kept);
        let sql = public_stats(&pool, None, now).await.unwrap();
        let rows = by_rows(&pool, None, now).await.unwrap();
        assert_eq!(sql.total, rows.total);
        assert_eq!(sql.top_categories, rows.top_categories);
    }

    /// The figures of every dimension and the units' ranking, counted by the
    /// database, equal those worked out case by case over a generated city
    /// (with its returns, reworks, sessions and overdue units), for the
    /// city's leader and for a community's director.
    #[tokio::test]
    async fn report_and_ranking_from_sql_equal_the_case_by_case_count() {
        let now = Utc::now();
        let db = crate::testing::TestDb::city(2_000, now).await;
        let pool = db.pool.clone();
        let today = now.with_timezone(&china()).date_naive();
        let (first, end) = domain::figures::period(None, None, today).unwrap();
        // The city's leader and a community's director read the tallies; a
        // unit's handler and a station's deputy have their cases counted.
        let compare = async || {
            for name in ["leader", "director", "handler", "deputy"] {
                let user = crate::users::find_by_username(&pool, name)
                    .await
                    .unwrap()
                    .unwrap();
                for dimension in domain::figures::Dimension::ALL {
                    let sql = report(&pool, &user, dimension, first, end).await.unwrap();
                    let rows = report_by_rows(&pool, &user, dimension, first, end, now)
                        .await
                        .unwrap();
                    assert!(sql.total.collected > 0, "{name} {dimension:?}");
                    let by = sql.total.rated_by;
                    assert!(
                        name != "leader" || (by.session > 0 && by.callback > 0),
                        "{by:?}"
                    );
                    assert_eq!(sql.total, rows.total, "{name} {dimension:?}");
                    assert_eq!(sql.groups.len(), rows.groups.len(), "{name} {dimension:?}");
                    for (a, b) in sql.groups.iter().zip(&rows.groups) {
                        assert_eq!(a, b, "{name} {dimension:?}");
                    }
                    assert_eq!(sql, rows, "{name} {dimension:?}");
                }
            }
        };
        compare().await;

        // Every change to a column the figures read moves the tallies:
        // reopened, rerated, merged, moved, recategorised, handed to another
        // unit, returned, reworked, acknowledged late, settled at a tier.
        let month_start = month_bounds(today).0.stored();
        for change in [
            "UPDATE cases SET status = 'in_progress', closed_at = NULL WHERE id IN \
             (SELECT id FROM cases WHERE status = 'closed' ORDER BY id DESC LIMIT 40)",
            "UPDATE cases SET rating = 'dissatisfied' WHERE id IN \
             (SELECT id FROM cases WHERE rating = 'satisfied' ORDER BY id DESC LIMIT 40)",
            // Rated again by another channel, and a rating taken back by rework.
            "UPDATE cases SET rated_via = 'session' WHERE id IN \
             (SELECT id FROM cases WHERE rated_via = 'callback' ORDER BY id DESC LIMIT 30)",
            "UPDATE cases SET rating = NULL, rated_via = NULL, status = 'rework' WHERE id IN \
             (SELECT id FROM cases WHERE rated_via = 'session' ORDER BY id LIMIT 20)",
            "UPDATE cases SET status = 'merged' WHERE id IN \
             (SELECT id FROM cases WHERE status = 'closed' ORDER BY id DESC LIMIT 25)",
            "UPDATE cases SET region_id = (SELECT MIN(id) FROM regions WHERE level = 'compound') \
             WHERE id IN (SELECT id FROM cases ORDER BY id DESC LIMIT 60)",
            "UPDATE cases SET category_id = (SELECT MAX(id) FROM categories) \
             WHERE id IN (SELECT id FROM cases ORDER BY created_at DESC LIMIT 60)",
            "UPDATE cases SET unit_id = (SELECT MIN(id) FROM units) WHERE id IN \
             (SELECT id FROM cases WHERE unit_id IS NOT NULL ORDER BY id DESC LIMIT 50)",
            "UPDATE cases SET rework_count = rework_count + 1, tier = 'grid' WHERE id IN \
             (SELECT id FROM cases WHERE status = 'closed' ORDER BY id DESC LIMIT 50)",
            "UPDATE cases SET acknowledged_at = '2099-01-01T00:00:00+00:00' WHERE id IN \
             (SELECT id FROM cases WHERE clock_start IS NOT NULL ORDER BY id DESC LIMIT 50)",
            "UPDATE cases SET heard_by = NULL, station_id = NULL WHERE id IN \
             (SELECT id FROM cases WHERE heard_by IS NOT NULL ORDER BY id DESC LIMIT 20)",
        ] {
            sqlx::query(change).execute(&pool).await.unwrap();
        }
        // Returns recorded by their events alone.
        sqlx::query(
            "INSERT INTO case_events (case_id, kind, from_status, to_status, actor_label, payload, at) \
             SELECT id, 'return', 'awaiting_ack', 'triage', 'test', '{}', $1 FROM cases \
             WHERE returned = 0 AND status = 'closed' AND id IN \
             (SELECT id FROM cases ORDER BY id DESC LIMIT 300)",
        )
        .bind(month_start)
        .execute(&pool)
        .await
        .unwrap();
        compare().await;

        // Migrations 0020 and 0025 count an existing city's cases as their
        // triggers count each one.
        let tallies = async || -> Vec<String> {
            let mut rows = vec![];
            for table in ["case_tallies", "report_tallies"] {
                let all = format!("SELECT * FROM {table} WHERE collected <> 0");
                for row in sqlx::query(&all).fetch_all(&pool).await.unwrap() {
                    rows.push(crate::backup::row_text(&row).unwrap());
                }
            }
            rows.sort();
            rows
        };
        let kept = tallies().await;
        let migrations = match crate::db::Backend::of(&pool) {
            crate::db::Backend::Sqlite => [
                include_str!("../../migrations/sqlite/0020_report_tallies.sql"),
                include_str!("../../migrations/sqlite/0025_rated_via_tallies.sql"),
            ],
            crate::db::Backend::Postgres => [
                include_str!("../../migrations/postgres/0020_report_tallies.sql"),
                include_str!("../../migrations/postgres/0025_rated_via_tallies.sql"),
            ],
        };
        sqlx::query(
            "UPDATE case_tallies SET assigned = 0, ack_due = 0, acknowledged = 0, returned = 0, \
             reworked = 0, tiered = 0, low_tier = 0, rated_session = 0, rated_callback = 0",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("DELETE FROM report_tallies")
            .execute(&pool)
            .await
            .unwrap();
        for migration in migrations {
            // The statements that fill the tables from the cases; the
            // triggers' bodies say FROM (SELECT …) or VALUES instead.
            let fills: Vec<&str> = migration
                .split(';')
                .filter(|statement| statement.contains("FROM cases c"))
                .filter(|statement| statement.contains("_tallies"))
                .collect();
            assert_eq!(fills.len(), 2);
            for fill in fills {
                sqlx::query(fill).execute(&pool).await.unwrap();
            }
        }
        assert!(kept.len() > 1000);
        let filled = tallies().await;
        let differ = kept.iter().zip(&filled).find(|(a, b)| a != b);
        assert!(differ.is_none(), "first difference: {differ:?}");
        assert_eq!(kept.len(), filled.len());
        for back in 0..4 {
            let day = today.checked_sub_months(Months::new(back)).unwrap();
            let sql = unit_figures(&pool, day).await.unwrap();
            assert!(sql.iter().any(|u| u.assigned > 0), "{day}");
            assert_eq!(
                sql,
                unit_figures_by_rows(&pool, day, now).await.unwrap(),
                "{day}"
            );
        }
    }

    /// A month of cases written down by hand, and the figures counted from them.
    #[tokio::test]
    async fn unit_figures_equal_a_hand_count() {
        let db = crate::testing::TestDb::new().await;
        let pool = db.pool.clone();
        use chrono::TimeZone;
        use domain::{DeadlineClass, RegionLevel, Tier};
        let at = |m: u32, d: u32, h: u32| {
            china()
                .with_ymd_and_hms(2026, m, d, h, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        let city = reference::insert_region(&pool, None, RegionLevel::City, "吕梁市")
            .await
            .unwrap();
        let category = reference::insert_category(
            &pool,
            reference::NewCategory {
                code: "road",
                name_zh: "道路",
                name_en: "Roads",
                default_tier: Tier::District,
                default_unit_id: None,
                deadline_class: DeadlineClass::Ordinary,
            },
        )
        .await
        .unwrap();
        let a = reference::insert_unit(&pool, "城管局", "bureau")
            .await
            .unwrap();
        let b = reference::insert_unit(&pool, "住建局", "bureau")
            .await
            .unwrap();
        let c = reference::insert_unit(&pool, "水务局", "bureau")
            .await
            .unwrap();
        type Row = (
            i64,
            &'static str,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<&'static str>,
            i32,
        );
        // unit, status, clock start, acknowledged, completed, rating, rework count
        let cases: [Row; 5] = [
            // On time throughout, satisfied.
            (
                a,
                "closed",
                at(11, 2, 9),
                Some(at(11, 2, 10)),
                Some(at(11, 5, 9)),
                Some("satisfied"),
                0,
            ),
            // Late twice, reworked once, fairly satisfied in the end.
            (
                a,
                "closed",
                at(11, 3, 9),
                Some(at(11, 5, 9)),
                Some(at(11, 15, 9)),
                Some("fairly_satisfied"),
                1,
            ),
            // Acknowledged in time, still in progress.
            (
                a,
                "in_progress",
                at(11, 20, 9),
                Some(at(11, 20, 12)),
                None,
                None,
                0,
            ),
            // Last month's: not counted.
            (
                a,
                "closed",
                at(10, 20, 9),
                Some(at(10, 20, 10)),
                Some(at(10, 22, 9)),
                Some("satisfied"),
                0,
            ),
            // On time, closed without a rating.
            (
                b,
                "closed",
                at(11, 10, 9),
                Some(at(11, 10, 10)),
                Some(at(11, 12, 9)),
                Some("not_rated"),
                0,
            ),
        ];
        for (i, (unit, status, start, ack, done, rating, rework)) in cases.into_iter().enumerate() {
            sqlx::query(
                "INSERT INTO cases (code, pin, title, description, category_id, region_id, source, \
                 resident_name, resident_phone, status, unit_id, deadline_class, clock_start, \
                 acknowledged_at, progress_at, completed_at, rating, rework_count, closed_at, \
                 created_at, updated_at) VALUES ($1, '123456', '路面破损', '路面破损', $2, $3, \
                 'walk_in', '陈', '13900001111', $4, $5, 'ordinary', $6, $7, $8, $8, $9, $10, $8, $6, $6)",
            )
            .bind(format!("CASE{i:04}"))
            .bind(category)
            .bind(city)
            .bind(status)
            .bind(unit)
            .bind(start.stored())
            .bind(ack.stored())
            .bind(done.stored())
            .bind(rating)
            .bind(rework)
            .execute(&pool)
            .await
            .unwrap();
        }
        fill_due_times(&pool).await;
        // Unit A's handler returned one case in November (and one in October).
        let handler = crate::users::create_user(
            &pool,
            crate::users::NewUser {
                username: "zhao",
                display_name: "赵",
                password_hash: "x",
                role: domain::Role::Handler,
                region_id: None,
                unit_id: Some(a),
                station_id: None,
            },
        )
        .await
        .unwrap();
        for when in [at(11, 10, 9), at(10, 10, 9)] {
            sqlx::query(
                "INSERT INTO case_events (case_id, kind, from_status, to_status, actor_user_id, \
                 actor_label, payload, at) VALUES (1, 'return', 'awaiting_ack', 'returned', $1, '赵', '{}', $2)",
            )
            .bind(handler)
            .bind(when.stored())
            .execute(&pool)
            .await
            .unwrap();
        }

        let figures = unit_figures(&pool, at(11, 15, 0).date_naive())
            .await
            .unwrap();
        let of = |id: i64| figures.iter().find(|u| u.unit_id == id).unwrap().clone();
        let expected_a = domain::ranking::UnitFigures {
            unit_id: a,
            name: "城管局".into(),
            assigned: 4,
            acknowledged_on_time: 2,
            returned: 1,
            closed: 2,
            on_time: 1,
            reworked: 1,
            rated: 2,
            satisfied: 2,
        };
        assert_eq!(of(a), expected_a);
        let expected_b = domain::ranking::UnitFigures {
            unit_id: b,
            name: "住建局".into(),
            assigned: 1,
            acknowledged_on_time: 1,
            returned: 0,
            closed: 1,
            on_time: 1,
            reworked: 0,
            rated: 0,
            satisfied: 0,
        };
        assert_eq!(of(b), expected_b);
        assert_eq!(of(c).assigned, 0);
        // A: on time 50, return 25, rework 50, satisfaction 100 → (50+75+50+100)/4 = 69 (68.75).
        assert_eq!(of(a).score(), Some(69));
        // B: on time 100, return 0, rework 0, no rating → 100.
        assert_eq!(of(b).score(), Some(100));
        assert_eq!(
            domain::ranking::red_and_black(&figures, 1),
            (vec![b], vec![a])
        );
    }

    #[tokio::test]
    async fn figures_add_up_across_the_tree() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
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

    /// Six cases written down by hand, and the figures counted from them by
    /// community, grid, leader, category and month.
    #[tokio::test]
    async fn report_equals_a_hand_count() {
        let db = crate::testing::TestDb::new().await;
        let pool = db.pool.clone();
        use chrono::TimeZone;
        use domain::figures::Dimension;
        use domain::{DeadlineClass, RegionLevel as L, Tier};
        let at = |m: u32, d: u32, h: u32| {
            china()
                .with_ymd_and_hms(2026, m, d, h, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        let region = |parent, level, name| reference::insert_region(&pool, parent, level, name);
        let city = region(None, L::City, "吕梁市").await.unwrap();
        let a = region(Some(city), L::Community, "甲社区").await.unwrap();
        let b = region(Some(city), L::Community, "乙社区").await.unwrap();
        let a1 = region(Some(a), L::Grid, "甲一网格").await.unwrap();
        let a2 = region(Some(a), L::Grid, "甲二网格").await.unwrap();
        let b1 = region(Some(b), L::Grid, "乙一网格").await.unwrap();
        let category = |code, name| {
            reference::insert_category(
                &pool,
                reference::NewCategory {
                    code,
                    name_zh: name,
                    name_en: code,
                    default_tier: Tier::District,
                    default_unit_id: None,
                    deadline_class: DeadlineClass::Ordinary,
                },
            )
        };
        let road = category("road", "道路").await.unwrap();
        let water = category("water", "供水").await.unwrap();
        let x = reference::insert_unit(&pool, "城管局", "bureau")
            .await
            .unwrap();
        let y = reference::insert_unit(&pool, "水务局", "bureau")
            .await
            .unwrap();
        type Row = (
            i64,
            i64,
            Option<i64>,
            &'static str,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<&'static str>,
            i32,
        );
        // region, category, unit, status, clock start (= registered), acknowledged, completed, rating, rework
        let rows: [Row; 6] = [
            // 1. A1 road: on time throughout, satisfied.
            (
                a1,
                road,
                Some(x),
                "closed",
                at(11, 2, 9),
                Some(at(11, 2, 10)),
                Some(at(11, 5, 9)),
                Some("satisfied"),
                0,
            ),
            // 2. A1 road: late twice, reworked, fairly satisfied.
            (
                a1,
                road,
                Some(x),
                "closed",
                at(11, 3, 9),
                Some(at(11, 5, 9)),
                Some(at(11, 15, 9)),
                Some("fairly_satisfied"),
                1,
            ),
            // 3. A2 water: acknowledged in time, in progress (returned once before).
            (
                a2,
                water,
                Some(y),
                "in_progress",
                at(11, 20, 9),
                Some(at(11, 20, 12)),
                None,
                None,
                0,
            ),
            // 4. B1 water: registered, not yet sent anywhere.
            (
                b1,
                water,
                None,
                "registered",
                at(11, 21, 9),
                None,
                None,
                None,
                0,
            ),
            // 5. B1 road: a merged duplicate, not counted.
            (b1, road, None, "merged", at(11, 22, 9), None, None, None, 0),
            // 6. B (no grid) road, October: answered on the spot, dissatisfied.
            (
                b,
                road,
                None,
                "closed",
                at(10, 12, 9),
                None,
                None,
                Some("dissatisfied"),
                0,
            ),
        ];
        for (i, (region_id, cat, unit, status, start, ack, done, rating, rework)) in
            rows.into_iter().enumerate()
        {
            let clock = unit.map(|_| start);
            let closed = (status == "closed").then_some(done.unwrap_or(start));
            sqlx::query(
                "INSERT INTO cases (code, pin, title, description, category_id, region_id, source, \
                 resident_name, resident_phone, status, unit_id, deadline_class, clock_start, \
                 acknowledged_at, progress_at, completed_at, rating, rework_count, closed_at, \
                 created_at, updated_at) VALUES ($1, '123456', '问题', '问题', $2, $3, \
                 'walk_in', '陈', '13900001111', $4, $5, 'ordinary', $6, $7, $7, $8, $9, $10, $11, $12, $12)",
            )
            .bind(format!("CASE{i:04}"))
            .bind(cat)
            .bind(region_id)
            .bind(status)
            .bind(unit)
            .bind(clock.stored())
            .bind(ack.stored())
            .bind(done.stored())
            .bind(rating)
            .bind(rework)
            .bind(closed.stored())
            .bind(start.stored())
            .execute(&pool)
            .await
            .unwrap();
        }
        fill_due_times(&pool).await;
        sqlx::query(
            "INSERT INTO case_events (case_id, kind, from_status, to_status, actor_label, payload, at) \
             VALUES (3, 'return', 'awaiting_ack', 'returned', '水务局', '{}', $1)",
        )
        .bind((at(11, 19, 9)).stored())
        .execute(&pool)
        .await
        .unwrap();
        let user = |username, role, region_id| crate::users::NewUser {
            username,
            display_name: username,
            password_hash: "x",
            role,
            region_id,
            unit_id: None,
            station_id: None,
        };
        let admin_id = crate::users::create_user(&pool, user("root", domain::Role::Admin, None))
            .await
            .unwrap();
        crate::users::create_user(&pool, user("lead_a", domain::Role::Leader, Some(a)))
            .await
            .unwrap();
        crate::users::create_user(&pool, user("lead_city", domain::Role::Leader, Some(city)))
            .await
            .unwrap();
        let admin = crate::users::find_by_id(&pool, admin_id)
            .await
            .unwrap()
            .unwrap();
        let day = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let (first, end) = (day(10, 1), day(12, 1));
        let report = |d| report(&pool, &admin, d, first, end);

        let by_community = report(Dimension::Community).await.unwrap();
        let of = |r: &domain::figures::Report, name: &str| {
            r.groups
                .iter()
                .find(|g| g.name == name)
                .unwrap()
                .figures
                .clone()
        };
        let expected_a = domain::figures::Figures {
            collected: 3,
            closed: 2,
            timed: 2,
            on_time: 1,
            assigned: 3,
            ack_due: 3,
            acknowledged: 2,
            returned: 1,
            reworked: 1,
            rated: 2,
            satisfied: 2,
            ..Default::default()
        };
        assert_eq!(of(&by_community, "甲社区"), expected_a);
        let expected_b = domain::figures::Figures {
            collected: 2,
            closed: 1,
            rated: 1,
            ..Default::default()
        };
        assert_eq!(of(&by_community, "乙社区"), expected_b);
        assert_eq!(by_community.total.collected, 5);
        assert_eq!(
            (by_community.from.as_str(), by_community.to.as_str()),
            ("2026-10", "2026-11")
        );
        // Rates of community A: closure 67, on time 50, acknowledgement 67,
        // return 33, rework 50, satisfaction 100.
        assert_eq!(
            expected_a.row().map(|c| c.to_string()),
            ["3", "2", "67%", "50%", "67%", "33%", "50%", "100%"]
        );

        let grid = report(Dimension::Grid).await.unwrap();
        let counts: Vec<(&str, i64)> = grid
            .groups
            .iter()
            .map(|g| (g.name.as_str(), g.figures.collected))
            .collect();
        assert_eq!(counts, [("甲一网格", 2), ("乙一网格", 1), ("甲二网格", 1)]);

        let leader = report(Dimension::Leader).await.unwrap();
        let counts: Vec<(&str, i64)> = leader
            .groups
            .iter()
            .map(|g| (g.name.as_str(), g.figures.collected))
            .collect();
        assert_eq!(counts, [("lead_city", 5), ("lead_a", 3)]);

        let category = report(Dimension::Category).await.unwrap();
        assert_eq!(of(&category, "道路").collected, 3);
        assert_eq!(of(&category, "供水").collected, 2);

        let unit = report(Dimension::Unit).await.unwrap();
        assert_eq!(of(&unit, "城管局").on_time, 1);
        assert_eq!(of(&unit, "水务局").returned, 1);

        let month = report(Dimension::Month).await.unwrap();
        let counts: Vec<(&str, i64, i64)> = month
            .groups
            .iter()
            .map(|g| (g.name.as_str(), g.figures.collected, g.figures.closed))
            .collect();
        assert_eq!(counts, [("2026-10", 1, 1), ("2026-11", 4, 2)]);
    }
}
