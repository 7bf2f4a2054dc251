//! A city's worth of cases for benchmarks and load tests (`lianxin demo
//! --cases N`): the demo city grown to Lüliang's shape — its thirteen
//! counties, each with streets and communities, every community with its
//! station, grids and compounds — and N cases spread over two years with
//! their events and reminders. Deterministic: the same N gives the same city.
//!
//! Cases are written many rows per statement with their ids chosen here,
//! so a million take minutes, not the hours a million `cases::create`
//! calls would. Their states follow the loop's rules (most closed and rated,
//! a few percent open, some of those overdue), and their stored 13710 due
//! times come from `DeadlinePolicy::open_deadline` like every other case's.

use crate::db::{Backend, Pool, Stamp};
use crate::{Result, reference};
use chrono::{DateTime, Duration, Utc};
use domain::{
    ActionKind, CaseState, DeadlineClass, DeadlinePolicy, Rating, RegionLevel, Route, Source,
    Status, Tier, TrackingCode,
};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// Lüliang's counties beside the demo's 离石区, each with its streets or towns.
const COUNTIES: [&str; 12] = [
    "孝义市",
    "汾阳市",
    "文水县",
    "交城县",
    "兴县",
    "临县",
    "柳林县",
    "石楼县",
    "岚县",
    "方山县",
    "中阳县",
    "交口县",
];
const STREETS_PER_COUNTY: usize = 5;
const COMMUNITIES_PER_STREET: usize = 5;
const COMMUNITY_NAMES: [&str; 10] = [
    "城东", "城西", "南关", "北关", "新华", "朝阳", "建设", "胜利", "文化", "和平",
];

/// Rows per INSERT statement: under both databases' limits on bound values.
const ROWS: usize = 400;
/// Cases per transaction.
const CHUNK: usize = 10_000;

/// What `grow` built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grown {
    pub communities: usize,
    pub cases: u64,
    pub open: u64,
    pub events: u64,
}

struct Place {
    station: i64,
    compounds: Vec<(i64, String)>,
}

struct Category {
    id: i64,
    unit: Option<i64>,
    tier: Tier,
    class: DeadlineClass,
    title: String,
}

/// Adds the counties, streets and communities to the demo city in `pool`
/// (loaded first), then `cases` cases; `progress` hears (done, of).
pub async fn grow(
    pool: &Pool,
    cases: u64,
    now: DateTime<Utc>,
    mut progress: impl FnMut(u64, u64),
) -> Result<Grown> {
    let places = communities(pool).await?;
    type Row = (
        i64,
        Option<i64>,
        crate::db::Code<Tier>,
        crate::db::Code<DeadlineClass>,
        String,
    );
    let categories: Vec<Category> = sqlx::query_as::<_, Row>(
        "SELECT id, default_unit_id, default_tier, deadline_class, name_zh FROM categories ORDER BY id",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|(id, unit, tier, class, name)| Category {
        id,
        unit,
        tier: tier.0,
        class: class.0,
        title: name,
    })
    .collect();
    let policy = reference::policy(pool).await?;
    let taken: std::collections::HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT code FROM cases")
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
    let first_id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM cases")
        .fetch_one(pool)
        .await?;
    let first_event: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM case_events")
        .fetch_one(pool)
        .await?;

    let mut rng = StdRng::seed_from_u64(2026_1201);
    let mut grown = Grown {
        communities: places.len(),
        cases: 0,
        open: 0,
        events: 0,
    };
    let (mut next_id, mut next_event, mut serial) = (first_id, first_event, 0u64);
    let backend = Backend::of(pool);
    const GROWN: [&str; 3] = ["cases", "case_events", "reminders"];
    while grown.cases < cases {
        // Each chunk is planned for the city as it is, not as it was.
        crate::db::analyze(pool, backend, &GROWN).await?;
        let n = usize::try_from((cases - grown.cases).min(CHUNK as u64)).unwrap_or(CHUNK);
        let mut batch = Vec::with_capacity(n);
        while batch.len() < n {
            serial += 1;
            let code = code_of(serial);
            if taken.contains(code.as_str()) {
                continue;
            }
            let place = &places[rng.gen_range(0..places.len())];
            let category = &categories[rng.gen_range(0..categories.len())];
            batch.push(generate(
                &mut rng, next_id, code, place, category, &policy, now,
            ));
            next_id += 1;
        }
        let mut tx = pool.begin().await?;
        for rows in batch.chunks(ROWS) {
            insert_cases(&mut tx, rows).await?;
        }
        let events: Vec<(i64, &Event)> = batch
            .iter()
            .flat_map(|c| c.events.iter().map(move |e| (c.id, e)))
            .collect();
        for rows in events.chunks(ROWS * 2) {
            insert_events(&mut tx, rows, next_event).await?;
            next_event += rows.len() as i64;
        }
        let reminders: Vec<&Case> = batch.iter().filter(|c| c.reminded.is_some()).collect();
        for rows in reminders.chunks(ROWS) {
            insert_reminders(&mut tx, rows).await?;
        }
        tx.commit().await?;
        grown.cases += batch.len() as u64;
        grown.open += batch.iter().filter(|c| c.state.status.is_open()).count() as u64;
        grown.events += events.len() as u64;
        progress(grown.cases, cases);
    }
    if Backend::of(pool) == Backend::Postgres {
        // Ids were chosen here: identities continue after them. VACUUM
        // marks the new pages all-visible (counts then read the indexes
        // alone, as autovacuum would have in time) and ANALYZE tells the
        // planner the tables' new size.
        for t in ["cases", "case_events", "reminders"] {
            let _: i64 = sqlx::query_scalar(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {t}"
            ))
            .fetch_one(pool)
            .await?;
        }
        sqlx::query("VACUUM (ANALYZE)").execute(pool).await?;
    } else {
        // The planner picks the area and due-time indexes only when it
        // knows how the new rows spread (PRAGMA optimize alone left the
        // director's board at 435 ms instead of tens).
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    Ok(grown)
}

/// A tracking code unique to `serial`: multiplying by an odd number is a
/// bijection modulo 32⁷, so no two serials share a code.
fn code_of(serial: u64) -> TrackingCode {
    const SPACE: u64 = 1 << 35;
    let mut x = serial.wrapping_mul(0x9E37_79B9) % SPACE;
    let mut bytes = [0u8; 7];
    for b in &mut bytes {
        *b = (x % 32) as u8;
        x /= 32;
    }
    TrackingCode::from_random(bytes)
}

/// The counties, streets and communities (each with a station, two grids
/// and four compounds); returns every community of the city.
async fn communities(pool: &Pool) -> Result<Vec<Place>> {
    let city: i64 =
        sqlx::query_scalar("SELECT id FROM regions WHERE parent_id IS NULL ORDER BY id")
            .fetch_one(pool)
            .await?;
    for (c, county) in COUNTIES.iter().enumerate() {
        let district =
            reference::insert_region(pool, Some(city), RegionLevel::District, county).await?;
        for s in 0..STREETS_PER_COUNTY {
            let street = reference::insert_region(
                pool,
                Some(district),
                RegionLevel::Street,
                &format!("{}街道", COMMUNITY_NAMES[(c + s) % COMMUNITY_NAMES.len()]),
            )
            .await?;
            for m in 0..COMMUNITIES_PER_STREET {
                let name = format!(
                    "{}{}社区",
                    COMMUNITY_NAMES[(s * COMMUNITIES_PER_STREET + m) % COMMUNITY_NAMES.len()],
                    ["一", "二", "三", "四", "五"][m]
                );
                let community =
                    reference::insert_region(pool, Some(street), RegionLevel::Community, &name)
                        .await?;
                reference::insert_station(
                    pool,
                    &format!("{county}{name}人大代表联络站"),
                    community,
                    &format!("{name}党群服务中心"),
                )
                .await?;
                for g in ["第一网格", "第二网格"] {
                    let grid =
                        reference::insert_region(pool, Some(community), RegionLevel::Grid, g)
                            .await?;
                    for k in ["小区", "花园"] {
                        reference::insert_region(
                            pool,
                            Some(grid),
                            RegionLevel::Compound,
                            &format!("{name}{g}{k}"),
                        )
                        .await?;
                    }
                }
            }
        }
    }
    // Every community of the city, the demo's included.
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT m.id, m.path, MIN(s.id) FROM regions m JOIN stations s ON s.region_id = m.id \
         WHERE m.level = 'community' GROUP BY m.id, m.path ORDER BY m.id",
    )
    .fetch_all(pool)
    .await?;
    let compounds: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, path FROM regions WHERE level = 'compound' ORDER BY id")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(_, path, station)| Place {
            station,
            compounds: compounds
                .iter()
                .filter(|(_, p)| p.starts_with(&path))
                .cloned()
                .collect(),
        })
        .filter(|p| !p.compounds.is_empty())
        .collect())
}

/// Moves the case to `to` by `kind` at `t`, with its event.
fn step(
    events: &mut Vec<Event>,
    s: &mut CaseState,
    kind: ActionKind,
    to: Status,
    t: DateTime<Utc>,
) {
    events.push(Event {
        kind: kind.as_str(),
        from: Some(s.status),
        to,
        at: t,
    });
    s.status = to;
}

struct Event {
    kind: &'static str,
    from: Option<Status>,
    to: Status,
    at: DateTime<Utc>,
}

struct Case {
    id: i64,
    code: TrackingCode,
    pin: String,
    title: String,
    category: i64,
    region: (i64, String),
    station: i64,
    source: Source,
    phone: String,
    state: CaseState,
    created_at: DateTime<Utc>,
    due: Option<domain::deadline::OpenDeadline>,
    completion_due: Option<DateTime<Utc>>,
    acknowledge_due: Option<DateTime<Utc>>,
    events: Vec<Event>,
    /// The 13710 job's escalation of an overdue clock: (clock start, at).
    reminded: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// One case: its place in the loop follows its age — what came in weeks ago
/// is closed and rated, what is recent is anywhere in the loop.
fn generate(
    rng: &mut StdRng,
    id: i64,
    code: TrackingCode,
    place: &Place,
    category: &Category,
    policy: &DeadlinePolicy,
    now: DateTime<Utc>,
) -> Case {
    // Two years of cases, a little more in recent months.
    let age_hours = (rng.gen_range(0.0f64..1.0).powf(1.2) * 730.0 * 24.0) as i64;
    let created = now - Duration::hours(age_hours) - Duration::minutes(rng.gen_range(1..60));
    let latest = now - Duration::minutes(1);
    let at = |t: DateTime<Utc>| t.min(latest);
    let mut s = CaseState::registered(category.class);
    let mut events = vec![Event {
        kind: "registered",
        from: None,
        to: Status::Registered,
        at: created,
    }];
    let days = age_hours / 24;
    // Where the case is now: old ones closed; recent ones anywhere.
    let stage: u32 = if days > 40 {
        100
    } else {
        rng.gen_range(0..100)
    };
    let mut reminded = None;
    if stage < 3 && days < 2 {
        // Just registered.
    } else if stage < 6 && days < 4 {
        step(
            &mut events,
            &mut s,
            ActionKind::StartConsolidation,
            Status::Consolidating,
            at(created + Duration::hours(2)),
        );
    } else if stage < 8 || (days > 40 && rng.gen_bool(0.02)) {
        // Not accepted (out of the loop's remit), closed at once.
        let t = at(created + Duration::hours(rng.gen_range(2..30)));
        step(
            &mut events,
            &mut s,
            ActionKind::NotAccept,
            Status::Closed,
            t,
        );
        s.route = Some(Route::NotAccepted);
        s.closed_at = Some(t);
    } else {
        let start = at(created + Duration::hours(rng.gen_range(1..8)));
        step(
            &mut events,
            &mut s,
            ActionKind::Assign,
            Status::AwaitingAck,
            start,
        );
        s.route = Some(Route::Assigned);
        s.tier = Some(category.tier);
        s.unit_id = category.unit;
        s.clock_start = Some(start);
        let span = match category.class {
            DeadlineClass::Urgent => Duration::hours(20),
            DeadlineClass::Ordinary => Duration::days(6),
            DeadlineClass::Complex => Duration::days(25),
        };
        // One in six units is slow: late at every checkpoint.
        let slow = rng.gen_bool(1.0 / 6.0);
        let late = |rng: &mut StdRng, d: Duration| {
            if slow {
                d * 2 + Duration::hours(rng.gen_range(1..48))
            } else {
                d / 2 + Duration::minutes(rng.gen_range(1..120))
            }
        };
        let ack = start + late(rng, span / 8);
        let done = start + late(rng, span);
        if stage < 15 && ack > now {
            // Still waiting for the unit to acknowledge.
        } else if stage < 15 && rng.gen_bool(0.3) {
            let t = at(ack);
            step(&mut events, &mut s, ActionKind::Return, Status::Returned, t);
            s.clock_start = Some(start);
        } else {
            let t = at(ack);
            step(
                &mut events,
                &mut s,
                ActionKind::Acknowledge,
                Status::InProgress,
                t,
            );
            s.acknowledged_at = Some(t);
            let progress = start + late(rng, span / 3);
            if progress < now {
                s.progress_at = Some(progress);
                events.push(Event {
                    kind: ActionKind::ReportProgress.as_str(),
                    from: Some(Status::InProgress),
                    to: Status::InProgress,
                    at: progress,
                });
            }
            if done < now && stage >= 40 {
                step(
                    &mut events,
                    &mut s,
                    ActionKind::RequestClosure,
                    Status::ClosureRequested,
                    done,
                );
                s.completed_at = Some(done);
                s.result = Some(format!("{}已处理完毕", category.title));
                let approved = done + Duration::hours(rng.gen_range(2..30));
                if approved < now && stage >= 50 {
                    step(
                        &mut events,
                        &mut s,
                        ActionKind::ApproveClosure,
                        Status::FeedbackDue,
                        approved,
                    );
                    let told = approved + Duration::hours(rng.gen_range(2..48));
                    if told < now && stage >= 60 {
                        step(
                            &mut events,
                            &mut s,
                            ActionKind::RecordFeedback,
                            Status::AwaitingRating,
                            told,
                        );
                        let rated = told + Duration::hours(rng.gen_range(2..72));
                        if rated < now && stage >= 70 {
                            let (kind, rating) = match rng.gen_range(0..100) {
                                0..68 => (ActionKind::RateSatisfied, Rating::Satisfied),
                                68..90 => {
                                    (ActionKind::RateFairlySatisfied, Rating::FairlySatisfied)
                                }
                                90..96 => (ActionKind::CloseUnrated, Rating::NotRated),
                                _ => (ActionKind::RateDissatisfied, Rating::Dissatisfied),
                            };
                            if rating == Rating::Dissatisfied {
                                // Dissatisfied: back to work on a new clock, then fixed.
                                step(&mut events, &mut s, kind, Status::Rework, rated);
                                s.rework_count = 1;
                                s.clock_start = Some(rated);
                                s.acknowledged_at = Some(rated);
                                s.progress_at = None;
                                s.completed_at = None;
                                let fixed = rated + late(rng, span);
                                if fixed < now && stage >= 80 {
                                    step(
                                        &mut events,
                                        &mut s,
                                        ActionKind::RequestClosure,
                                        Status::ClosureRequested,
                                        fixed,
                                    );
                                    s.completed_at = Some(fixed);
                                    let closed = fixed + Duration::hours(rng.gen_range(24..96));
                                    if closed < now {
                                        step(
                                            &mut events,
                                            &mut s,
                                            ActionKind::RateSatisfied,
                                            Status::Closed,
                                            closed,
                                        );
                                        s.rating = Some(Rating::Satisfied);
                                        s.closed_at = Some(closed);
                                    }
                                }
                            } else {
                                step(&mut events, &mut s, kind, Status::Closed, rated);
                                s.rating = Some(rating);
                                s.closed_at = Some(rated);
                            }
                        }
                    }
                }
            }
        }
        // The 13710 job escalates a clock that ran past its completion.
        if s.status.clock_runs() {
            let due = policy.due_extended(
                category.class,
                domain::Checkpoint::Completion,
                s.clock_start.unwrap_or(start),
                0,
            );
            if due < now {
                reminded = Some((s.clock_start.unwrap_or(start), due + Duration::minutes(5)));
            }
        }
    }
    let (compound, path) = place.compounds[rng.gen_range(0..place.compounds.len())].clone();
    Case {
        id,
        pin: format!("{:06}", rng.gen_range(0..1_000_000u32)),
        title: category.title.clone(),
        category: category.id,
        region: (compound, path),
        station: place.station,
        source: Source::AT_INTAKE[rng.gen_range(0..Source::AT_INTAKE.len())],
        phone: format!(
            "13{}{:08}",
            rng.gen_range(0..10),
            rng.gen_range(0..100_000_000u32)
        ),
        due: policy.open_deadline(&s),
        completion_due: policy.completion_due(&s),
        acknowledge_due: policy.acknowledge_due(&s),
        created_at: created,
        events,
        reminded,
        code,
        state: s,
    }
}

async fn insert_cases(tx: &mut crate::db::Tx<'_>, rows: &[Case]) -> Result<()> {
    let mut qb = crate::db::Builder::new(
        "INSERT INTO cases (id, code, pin, title, description, category_id, region_id, area_path, \
         station_id, source, resident_name, resident_phone, status, route, tier, unit_id, \
         deadline_class, clock_start, acknowledged_at, progress_at, completed_at, result, rating, \
         rework_count, closed_at, created_at, updated_at, due_at, warn_at, completion_due_at, \
         acknowledge_due_at, awaiting_since, rated_via) VALUES ",
    );
    for (n, c) in rows.iter().enumerate() {
        if n > 0 {
            qb.push(", ");
        }
        let s = &c.state;
        let updated = c.events.last().map_or(c.created_at, |e| e.at);
        qb.push("(")
            .push_bind(c.id)
            .push(", ")
            .push_bind(c.code.as_str().to_string())
            .push(", ")
            .push_bind(c.pin.clone())
            .push(", ")
            .push_bind(c.title.clone())
            .push(", ")
            .push_bind(format!("居民反映：{}，希望尽快解决。", c.title))
            .push(", ")
            .push_bind(c.category)
            .push(", ")
            .push_bind(c.region.0)
            .push(", ")
            .push_bind(c.region.1.clone())
            .push(", ")
            .push_bind(c.station)
            .push(", ")
            .push_bind(c.source.as_str())
            .push(", '居民', ")
            .push_bind(c.phone.clone())
            .push(", ")
            .push_bind(s.status.as_str())
            .push(", ")
            .push_bind(s.route.map(|r| r.as_str()))
            .push(", ")
            .push_bind(s.tier.map(|t| t.as_str()))
            .push(", ")
            .push_bind(s.unit_id)
            .push(", ")
            .push_bind(s.deadline_class.as_str())
            .push(", ")
            .push_bind(s.clock_start.map(Stamp))
            .push(", ")
            .push_bind(s.acknowledged_at.map(Stamp))
            .push(", ")
            .push_bind(s.progress_at.map(Stamp))
            .push(", ")
            .push_bind(s.completed_at.map(Stamp))
            .push(", ")
            .push_bind(s.result.clone())
            .push(", ")
            .push_bind(s.rating.map(|r| r.as_str()))
            .push(", ")
            .push_bind(s.rework_count)
            .push(", ")
            .push_bind(s.closed_at.map(Stamp))
            .push(", ")
            .push_bind(Stamp(c.created_at))
            .push(", ")
            .push_bind(Stamp(updated))
            .push(", ")
            .push_bind(c.due.map(|d| Stamp(d.due)))
            .push(", ")
            .push_bind(c.due.map(|d| Stamp(d.warn)))
            .push(", ")
            .push_bind(c.completion_due.map(Stamp))
            .push(", ")
            .push_bind(c.acknowledge_due.map(Stamp))
            .push(", ")
            // Waiting began with the feedback, the case's last event.
            .push_bind((s.status == Status::AwaitingRating).then_some(Stamp(updated)))
            .push(", ")
            // Most residents rate online; the station records some ratings
            // at sessions and on callbacks.
            .push_bind(
                s.rating
                    .filter(|r| *r != Rating::NotRated)
                    .map(|_| match c.id % 10 {
                        0 | 1 => domain::RatingChannel::Callback,
                        2 => domain::RatingChannel::Session,
                        _ => domain::RatingChannel::Online,
                    })
                    .map(domain::RatingChannel::as_str),
            )
            .push(")");
    }
    qb.build()?.execute(&mut **tx).await?;
    Ok(())
}

async fn insert_events(
    tx: &mut crate::db::Tx<'_>,
    rows: &[(i64, &Event)],
    first: i64,
) -> Result<()> {
    let mut qb = crate::db::Builder::new(
        "INSERT INTO case_events (id, case_id, kind, from_status, to_status, actor_user_id, \
         actor_label, payload, at) VALUES ",
    );
    for (n, (case, e)) in rows.iter().enumerate() {
        if n > 0 {
            qb.push(", ");
        }
        qb.push("(")
            .push_bind(first + n as i64)
            .push(", ")
            .push_bind(*case)
            .push(", ")
            .push_bind(e.kind)
            .push(", ")
            .push_bind(e.from.map(|s| s.as_str()))
            .push(", ")
            .push_bind(e.to.as_str())
            .push(", NULL, '联络站', '{}', ")
            .push_bind(Stamp(e.at))
            .push(")");
    }
    qb.build()?.execute(&mut **tx).await?;
    Ok(())
}

async fn insert_reminders(tx: &mut crate::db::Tx<'_>, rows: &[&Case]) -> Result<()> {
    let mut qb = crate::db::Builder::new(
        "INSERT INTO reminders (case_id, clock_start, checkpoint, level, at) VALUES ",
    );
    for (n, c) in rows.iter().enumerate() {
        let Some((start, at)) = c.reminded else {
            continue;
        };
        if n > 0 {
            qb.push(", ");
        }
        qb.push("(")
            .push_bind(c.id)
            .push(", ")
            .push_bind(Stamp(start))
            .push(", 'completion', 'overdue', ")
            .push_bind(Stamp(at))
            .push(")");
    }
    qb.build()?.execute(&mut **tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{Order, page};
    use domain::view::CaseFilter;

    /// Growing a city into a new PostgreSQL database finds each case it
    /// writes events for by its index: the rows of `cases` the load read
    /// one by one stay a few dozen per event. Before, the plans the foreign keys
    /// and triggers kept from the empty database read every case for each
    /// event (millions of rows here). SQLite keeps no such plans.
    #[tokio::test]
    async fn growing_a_city_into_a_new_database_finds_cases_by_index() {
        let db = crate::testing::TestDb::new().await;
        if Backend::of(&db.pool) != Backend::Postgres {
            return;
        }
        // Connections of their own, which load the demo and grow the city
        // as `lianxin demo --cases` does, and whose counts reach the
        // statistics when they close.
        let own = sqlx::any::AnyPoolOptions::new()
            .max_connections(2)
            .connect(&db.url)
            .await
            .unwrap();
        let now = Utc::now();
        crate::demo::load(&own, false, now).await.unwrap();
        let grown = grow(&own, 2_000, now, |_, _| {}).await.unwrap();
        own.close().await;
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let read_one_by_one: i64 = sqlx::query_scalar(
            "SELECT seq_tup_read FROM pg_stat_user_tables WHERE relname = 'cases'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert!(grown.events > 10_000, "{} events", grown.events);
        // 45 a case event with the plans made for the city (the demo's own
        // load included), 1,480 with those kept from the empty database.
        assert!(
            read_one_by_one < 100 * grown.events as i64,
            "{read_one_by_one} case rows read one by one for {} events",
            grown.events
        );
    }

    /// A generated city above every former cap (2,000 rows): the stored due
    /// times equal the rules' for every case; the city-wide overdue list,
    /// paged in SQL, holds exactly the cases that are overdue one by one;
    /// the board's counts equal the cases counted one by one.
    #[tokio::test]
    async fn a_generated_city_lists_every_overdue_case_exactly() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let grown = grow(&pool, 2_600, now, |_, _| {}).await.unwrap();
        assert_eq!(grown.cases, 2_600);
        assert!(grown.communities > 300, "{grown:?}");
        assert!(grown.open > 50 && grown.open < 600, "{grown:?}");
        assert_eq!(
            crate::deadlines::tests::disagreeing(&pool, crate::deadlines::Reach::Started)
                .await
                .unwrap(),
            Vec::<String>::new()
        );

        let leader = crate::users::find_by_username(&pool, "leader")
            .await
            .unwrap()
            .unwrap();
        let everything = crate::cases::list(&pool, &leader, &CaseFilter::default(), now)
            .await
            .unwrap();
        assert!(everything.len() > 2_700, "{}", everything.len());
        let mut one_by_one: Vec<String> = everything
            .iter()
            .filter(|c| c.is_overdue())
            .map(|c| c.code.clone())
            .collect();
        assert!(one_by_one.len() > 20, "{}", one_by_one.len());

        let overdue = CaseFilter {
            overdue: true,
            ..Default::default()
        };
        let mut paged = Vec::new();
        loop {
            let p = page(
                &pool,
                &leader,
                &overdue,
                (Order::Newest, paged.len() as i64, 7),
                now,
            )
            .await
            .unwrap();
            assert_eq!(p.total as usize, one_by_one.len());
            let more = p.has_more();
            paged.extend(p.items.into_iter().map(|c| c.code));
            if !more {
                break;
            }
        }
        one_by_one.sort();
        paged.sort();
        assert_eq!(paged, one_by_one);

        // Overdue first in every list, before any page is cut.
        let first = page(
            &pool,
            &leader,
            &CaseFilter::default(),
            (Order::Newest, 0, 10),
            now,
        )
        .await
        .unwrap();
        assert!(first.items.iter().all(|c| c.is_overdue()));
        assert_eq!(first.total as usize, everything.len());

        let counts = crate::cases::board_counts(&pool, &leader, &CaseFilter::default(), now)
            .await
            .unwrap();
        for step in domain::Step::ALL {
            let n = everything.iter().filter(|c| c.step == step).count();
            assert_eq!(counts.in_step(step) as usize, n, "{step:?}");
        }
        let open: Vec<_> = everything.iter().filter(|c| c.status.is_open()).collect();
        assert_eq!(counts.open as usize, open.len());
        assert_eq!(
            counts.overdue as usize,
            open.iter().filter(|c| c.is_overdue()).count()
        );
        assert_eq!(
            counts.escalated as usize,
            everything.iter().filter(|c| c.escalated).count()
        );
    }
}
