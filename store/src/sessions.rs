//! Station sessions (接待日): scheduling with the attending leaders and
//! deputies, registering what is heard, commitments judged by delivery,
//! closing with minutes and a head-count; the deputy's brief for the next
//! session, the station's public page and a leader's own visits.

use crate::access::{self, CaseFacts};
use crate::audit::{self, Change};
use crate::cases::{CaseRow, Heard, SELECT_CASE, summarize};
use crate::db::Stored;
use crate::events::By;
use crate::reference;
use crate::users::UserRow;
use crate::{Pool, Result, StoreError, push_in};
use chrono::{DateTime, NaiveDate, Utc};
use domain::deadline::china;
use domain::session::{
    Commitment, Delivery, DeputyBrief, MyVisits, NewCommitment, PublicStation, SessionBrief,
    SessionDetail, SessionForm, SessionStatus, short_notice, validate_close, validate_commitment,
};
use domain::view::{CaseSummary, Named, Receipt};
use domain::{NewCase, Permission, Source, Status};
use std::collections::HashMap;

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    station_id: i64,
    station: String,
    station_path: String,
    #[sqlx(try_from = "crate::db::Stamp")]
    starts_at: DateTime<Utc>,
    #[sqlx(try_from = "crate::db::Stamp")]
    ends_at: DateTime<Utc>,
    topic: String,
    #[sqlx(try_from = "crate::db::Code<SessionStatus>")]
    status: SessionStatus,
    residents_present: Option<i64>,
    minutes: String,
    #[sqlx(try_from = "crate::db::Stamp")]
    created_at: DateTime<Utc>,
}

const SELECT_SESSION: &str = "SELECT s.id, s.station_id, st.name AS station, r.path AS station_path, \
     s.starts_at, s.ends_at, s.topic, s.status, s.residents_present, s.minutes, s.created_at \
     FROM sessions s JOIN stations st ON st.id = s.station_id JOIN regions r ON r.id = st.region_id";

fn station_facts(path: &str, station_id: i64) -> CaseFacts {
    CaseFacts {
        region_path: path.to_string(),
        unit_id: None,
        station_id: Some(station_id),
    }
}

impl SessionRow {
    fn facts(&self) -> CaseFacts {
        station_facts(&self.station_path, self.station_id)
    }
}

/// A station's id, name, region and path.
#[derive(sqlx::FromRow)]
struct StationRow {
    id: i64,
    name: String,
    address: String,
    opening_hours: String,
    region_id: i64,
    path: String,
}

async fn station(pool: &Pool, id: i64) -> Result<StationRow> {
    sqlx::query_as(
        "SELECT st.id, st.name, st.address, st.opening_hours, st.region_id, r.path \
         FROM stations st JOIN regions r ON r.id = st.region_id WHERE st.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or(StoreError::NotFound)
}

async fn load(pool: &Pool, id: i64) -> Result<SessionRow> {
    sqlx::query_as(&format!("{SELECT_SESSION} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)
}

async fn attendees(pool: &Pool, sessions: &[i64]) -> Result<HashMap<i64, Vec<Named>>> {
    let mut qb = crate::db::Builder::new(
        "SELECT a.session_id, u.id, u.display_name FROM session_attendees a \
         JOIN users u ON u.id = a.user_id WHERE 1 = 1",
    );
    push_in(&mut qb, "a.session_id", sessions.iter().copied());
    qb.push(" ORDER BY u.id");
    let rows: Vec<(i64, i64, String)> = qb.build_query_as()?.fetch_all(pool).await?;
    let mut out: HashMap<i64, Vec<Named>> = HashMap::new();
    for (session, id, name) in rows {
        out.entry(session).or_default().push(Named { id, name });
    }
    Ok(out)
}

async fn briefs(pool: &Pool, rows: &[SessionRow]) -> Result<Vec<SessionBrief>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut people = attendees(pool, &ids).await?;
    Ok(rows
        .iter()
        .map(|r| SessionBrief {
            id: r.id,
            station_id: r.station_id,
            station: r.station.clone(),
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            topic: r.topic.clone(),
            status: r.status,
            short_notice: short_notice(r.created_at, r.starts_at),
            attendees: people.remove(&r.id).unwrap_or_default(),
            residents_present: r.residents_present,
        })
        .collect())
}

fn day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china()).date_naive()
}

/// Whether `user` may do `permission` at the station.
fn may(user: &UserRow, permission: Permission, facts: &CaseFacts) -> bool {
    access::scope_for(user, permission).covers(facts)
}

/// Schedules a session at a station with the leaders and deputies expected.
pub async fn schedule(
    pool: &Pool,
    user: &UserRow,
    station_id: i64,
    form: &SessionForm,
    now: DateTime<Utc>,
) -> Result<i64> {
    access::permit(user, Permission::ManageSessions)?;
    let st = station(pool, station_id).await?;
    if !may(
        user,
        Permission::ManageSessions,
        &station_facts(&st.path, st.id),
    ) {
        return Err(StoreError::Forbidden);
    }
    let mut errors = form.validate(now);
    let mut qb = crate::db::Builder::new(
        "SELECT COUNT(*) FROM users WHERE role IN ('leader', 'deputy') AND disabled_at IS NULL",
    );
    push_in(&mut qb, "id", form.attendees.iter().copied());
    let known: i64 = qb.build_query_scalar()?.fetch_one(pool).await?;
    if !form.attendees.is_empty() && known != form.attendees.len() as i64 {
        errors.push(domain::FieldError::new("attendees", "unknown"));
    }
    let Some(starts) = form.starts_at.filter(|_| errors.is_empty()) else {
        return Err(StoreError::Invalid(errors));
    };
    let ends = starts + chrono::Duration::hours(form.hours);
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sessions (station_id, starts_at, ends_at, topic, status, created_by, created_at) \
         VALUES ($1, $2, $3, $4, 'scheduled', $5, $6) RETURNING id",
    )
    .bind(station_id)
    .bind(starts.stored())
    .bind(ends.stored())
    .bind(form.topic.trim())
    .bind(user.id)
    .bind(now.stored())
    .fetch_one(&mut *tx)
    .await?;
    for a in &form.attendees {
        sqlx::query("INSERT INTO session_attendees (session_id, user_id) VALUES ($1, $2)")
            .bind(id)
            .bind(a)
            .execute(&mut *tx)
            .await?;
    }
    let after = serde_json::json!({
        "station": st.name, "starts_at": starts, "ends_at": ends, "topic": form.topic.trim(),
        "attendees": form.attendees, "short_notice": short_notice(now, starts),
    });
    audit::record(
        &mut tx,
        Change::by(&by, "session.scheduled", "session", id.to_string()).states(None, Some(after)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn attendee_ids(pool: &Pool, session: i64) -> Result<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT user_id FROM session_attendees WHERE session_id = $1")
            .bind(session)
            .fetch_all(pool)
            .await?,
    )
}

/// Registers a request heard at the session (source: station session, the
/// session's station), by one of its attendees.
pub async fn register(
    pool: &Pool,
    user: &UserRow,
    session_id: i64,
    new: &NewCase,
    heard_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Receipt> {
    access::permit(user, Permission::RegisterCase)?;
    let s = load(pool, session_id).await?;
    if !may(user, Permission::RegisterCase, &s.facts()) {
        return Err(StoreError::Forbidden);
    }
    if s.status == SessionStatus::Closed {
        return Err(StoreError::invalid("session", "session_closed"));
    }
    if let Some(h) = heard_by
        && !attendee_ids(pool, session_id).await?.contains(&h)
    {
        return Err(StoreError::invalid("heard_by", "unknown"));
    }
    let new = NewCase {
        source: Source::StationSession,
        station_id: Some(s.station_id),
        ..new.clone()
    };
    let heard = Heard {
        session_id,
        by_user_id: heard_by,
    };
    crate::cases::create_heard(pool, &new, user, heard, now).await
}

/// A commitment made at the session by one of its attendees, optionally
/// about one of the requests registered there.
pub async fn commit(
    pool: &Pool,
    user: &UserRow,
    session_id: i64,
    new: &NewCommitment,
    now: DateTime<Utc>,
) -> Result<i64> {
    let (by_user, text, due_on) = (new.by, new.text.as_str(), new.due_on);
    let case_code = new.case_code.as_deref();
    access::permit(user, Permission::ManageSessions)?;
    let s = load(pool, session_id).await?;
    if !may(user, Permission::ManageSessions, &s.facts()) {
        return Err(StoreError::Forbidden);
    }
    let mut errors = validate_commitment(text, due_on, day(now));
    if !attendee_ids(pool, session_id).await?.contains(&by_user) {
        errors.push(domain::FieldError::new("by", "unknown"));
    }
    let case_id: Option<i64> = match case_code.map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(code) => {
            let id: Option<i64> =
                sqlx::query_scalar("SELECT id FROM cases WHERE code = $1 AND session_id = $2")
                    .bind(code.replace('-', "").to_uppercase())
                    .bind(session_id)
                    .fetch_optional(pool)
                    .await?;
            if id.is_none() {
                errors.push(domain::FieldError::new("case", "unknown_case"));
            }
            id
        }
    };
    let Some(due) = due_on.filter(|_| errors.is_empty()) else {
        return Err(StoreError::Invalid(errors));
    };
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO commitments (session_id, user_id, case_id, text, due_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(session_id)
    .bind(by_user)
    .bind(case_id)
    .bind(text.trim())
    .bind(due.stored())
    .bind(now.stored())
    .fetch_one(&mut *tx)
    .await?;
    let after =
        serde_json::json!({ "by": by_user, "text": text.trim(), "due_on": due, "case": case_code });
    audit::record(
        &mut tx,
        Change::by(&by, "session.commitment", "session", session_id.to_string())
            .states(None, Some(after)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Marks a commitment that names no request as delivered today.
pub async fn deliver(
    pool: &Pool,
    user: &UserRow,
    commitment: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    access::permit(user, Permission::ManageSessions)?;
    let (session_id, case_id): (i64, Option<i64>) =
        sqlx::query_as("SELECT session_id, case_id FROM commitments WHERE id = $1")
            .bind(commitment)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound)?;
    let s = load(pool, session_id).await?;
    if !may(user, Permission::ManageSessions, &s.facts()) {
        return Err(StoreError::Forbidden);
    }
    if case_id.is_some() {
        // Delivered when its request is closed, not by a click.
        return Err(StoreError::invalid("commitment", "follows_case"));
    }
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "UPDATE commitments SET delivered_on = $1 WHERE id = $2 AND delivered_on IS NULL",
    )
    .bind(day(now).stored())
    .bind(commitment)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict);
    }
    audit::record(
        &mut tx,
        Change::by(&by, "session.delivered", "session", session_id.to_string())
            .states(None, Some(serde_json::json!({ "commitment": commitment }))),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Closes the session with the head-count and the minutes.
pub async fn close(
    pool: &Pool,
    user: &UserRow,
    session_id: i64,
    residents: Option<i64>,
    minutes: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    access::permit(user, Permission::ManageSessions)?;
    let s = load(pool, session_id).await?;
    if !may(user, Permission::ManageSessions, &s.facts()) {
        return Err(StoreError::Forbidden);
    }
    let errors = validate_close(residents, minutes);
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "UPDATE sessions SET status = 'closed', residents_present = $1, minutes = $2, closed_at = $3 \
         WHERE id = $4 AND status = 'scheduled'",
    )
    .bind(residents)
    .bind(minutes.trim())
    .bind(now.stored())
    .bind(session_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::invalid("session", "session_closed"));
    }
    audit::record(
        &mut tx,
        Change::by(&by, "session.closed", "session", session_id.to_string()).states(
            None,
            Some(serde_json::json!({ "residents": residents, "minutes": minutes.trim() })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct CommitmentRow {
    id: i64,
    session_id: i64,
    #[sqlx(try_from = "crate::db::Stamp")]
    session_start: DateTime<Utc>,
    by_name: String,
    text: String,
    #[sqlx(try_from = "crate::db::Day")]
    due_on: NaiveDate,
    #[sqlx(try_from = "crate::db::MaybeDay")]
    delivered_on: Option<NaiveDate>,
    case_code: Option<String>,
    case_status: Option<String>,
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    case_closed_at: Option<DateTime<Utc>>,
}

const SELECT_COMMITMENT: &str = "SELECT k.id, k.session_id, s.starts_at AS session_start, \
     u.display_name AS by_name, k.text, k.due_on, k.delivered_on, c.code AS case_code, \
     c.status AS case_status, c.closed_at AS case_closed_at \
     FROM commitments k JOIN sessions s ON s.id = k.session_id JOIN users u ON u.id = k.user_id \
     LEFT JOIN cases c ON c.id = k.case_id";

fn commitment(r: CommitmentRow, today: NaiveDate) -> Commitment {
    let delivered_on = match (&r.case_status, r.case_closed_at) {
        (Some(status), Some(at)) if status == Status::Closed.as_str() => Some(day(at)),
        (Some(_), _) => None,
        (None, _) => r.delivered_on,
    };
    Commitment {
        id: r.id,
        session_id: r.session_id,
        session_day: day(r.session_start),
        by: r.by_name,
        text: r.text,
        due_on: r.due_on,
        case_code: r.case_code.as_deref().map(domain::TrackingCode::readable),
        delivered_on,
        delivery: Delivery::of(r.due_on, delivered_on, today),
    }
}

async fn commitments(
    pool: &Pool,
    filter: &str,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Commitment>> {
    let rows: Vec<CommitmentRow> = sqlx::query_as(&format!(
        "{SELECT_COMMITMENT} WHERE {filter} = $1 ORDER BY k.id"
    ))
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| commitment(r, day(now))).collect())
}

async fn summaries(pool: &Pool, rows: &[CaseRow], now: DateTime<Utc>) -> Result<Vec<CaseSummary>> {
    let policy = reference::policy(pool).await?;
    let tree = reference::region_tree(pool).await?;
    Ok(rows
        .iter()
        .map(|r| summarize(r, &policy, &tree, now))
        .collect())
}

async fn cases_where(pool: &Pool, clause: &str, id: i64) -> Result<Vec<CaseRow>> {
    Ok(
        sqlx::query_as(&format!("{SELECT_CASE} WHERE {clause} ORDER BY c.id"))
            .bind(id)
            .fetch_all(pool)
            .await?,
    )
}

/// A session for whoever may see its station's cases, or attended it.
pub async fn detail(
    pool: &Pool,
    user: &UserRow,
    session_id: i64,
    now: DateTime<Utc>,
) -> Result<SessionDetail> {
    access::permit(user, Permission::ViewCases)?;
    let s = load(pool, session_id).await?;
    let attended = attendee_ids(pool, session_id).await?.contains(&user.id);
    if !attended && !may(user, Permission::ViewCases, &s.facts()) {
        return Err(StoreError::Forbidden);
    }
    let rows = cases_where(pool, "c.session_id = $1", session_id).await?;
    let open = s.status == SessionStatus::Scheduled;
    Ok(SessionDetail {
        minutes: s.minutes.clone(),
        cases: summaries(pool, &rows, now).await?,
        commitments: commitments(pool, "k.session_id", session_id, now).await?,
        can_manage: open && may(user, Permission::ManageSessions, &s.facts()),
        can_register: open && may(user, Permission::RegisterCase, &s.facts()),
        brief: briefs(pool, std::slice::from_ref(&s)).await?.remove(0),
    })
}

/// The stations `user` may see, with their members for the scheduling form.
pub async fn stations(pool: &Pool, user: &UserRow) -> Result<Vec<(Named, Vec<Named>)>> {
    access::permit(user, Permission::ViewCases)?;
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT st.id, st.name, r.path FROM stations st JOIN regions r ON r.id = st.region_id ORDER BY st.id",
    )
    .fetch_all(pool)
    .await?;
    let members: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT m.station_id, u.id, u.display_name FROM station_members m \
         JOIN users u ON u.id = m.user_id WHERE u.disabled_at IS NULL ORDER BY m.kind DESC, u.id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(id, _, path)| may(user, Permission::ViewCases, &station_facts(path, *id)))
        .map(|(id, name, _)| {
            let people = members
                .iter()
                .filter(|(s, ..)| *s == id)
                .map(|(_, uid, n)| Named {
                    id: *uid,
                    name: n.clone(),
                })
                .collect();
            (Named { id, name }, people)
        })
        .collect())
}

/// The deputy's brief for the next session of a station.
pub async fn brief(
    pool: &Pool,
    user: &UserRow,
    station_id: i64,
    now: DateTime<Utc>,
) -> Result<DeputyBrief> {
    access::permit(user, Permission::ViewCases)?;
    let st = station(pool, station_id).await?;
    let facts = station_facts(&st.path, st.id);
    if !may(user, Permission::ViewCases, &facts) {
        return Err(StoreError::Forbidden);
    }
    let next_row: Option<SessionRow> = sqlx::query_as(&format!(
        "{SELECT_SESSION} WHERE s.station_id = $1 AND s.status = 'scheduled' AND s.ends_at >= $2 \
         ORDER BY s.starts_at LIMIT 1"
    ))
    .bind(station_id)
    .bind(now.stored())
    .fetch_optional(pool)
    .await?;
    let last_row: Option<SessionRow> = sqlx::query_as(&format!(
        "{SELECT_SESSION} WHERE s.station_id = $1 AND s.status = 'closed' ORDER BY s.starts_at DESC LIMIT 1"
    ))
    .bind(station_id)
    .fetch_optional(pool)
    .await?;
    // Only what the reader may open: a deputy's brief holds the station's
    // cases, not every case of the community around it.
    let scope = access::scope(user);
    let mut raised_rows = cases_where(
        pool,
        "c.session_id IN (SELECT id FROM sessions WHERE station_id = $1 AND status = 'closed')",
        station_id,
    )
    .await?;
    raised_rows.retain(|c| scope.covers(&c.facts()));
    let (from, to) = crate::cases::area_range(&st.path);
    let mut area: Vec<CaseRow> = sqlx::query_as(&format!(
        "{SELECT_CASE} WHERE c.area_path >= $1 AND c.area_path < $2 AND c.status <> 'merged' \
         ORDER BY c.id"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    area.retain(|c| scope.covers(&c.facts()));
    let area_summaries = summaries(pool, &area, now).await?;
    let since = last_row
        .as_ref()
        .map(|l| l.starts_at)
        .unwrap_or(now - chrono::Duration::days(30));
    let overdue = area_summaries
        .iter()
        .filter(|c| c.is_overdue())
        .cloned()
        .collect();
    let closed_since: Vec<_> = area_summaries
        .iter()
        .filter(|c| c.status == Status::Closed && c.closed_at.is_some_and(|t| t >= since))
        .cloned()
        .collect();
    let rated_by = domain::callback::by_channel(closed_since.iter().map(|c| c.rated_via));
    let mut common: HashMap<String, i64> = HashMap::new();
    for c in area_summaries.iter().filter(|c| c.status != Status::Closed) {
        *common.entry(c.category.clone()).or_default() += 1;
    }
    let mut common: Vec<(String, i64)> = common.into_iter().filter(|(_, n)| *n > 1).collect();
    common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let item_ids: std::collections::HashSet<i64> = area.iter().filter_map(|c| c.item_id).collect();
    let mut items = Vec::new();
    for id in item_ids {
        items.push(crate::coordination::brief(pool, id).await?);
    }
    items.sort_by_key(|i| i.id);
    let mut session_rows = Vec::new();
    session_rows.extend(next_row);
    let has_next = !session_rows.is_empty();
    session_rows.extend(last_row);
    let mut b = briefs(pool, &session_rows).await?.into_iter();
    let next = if has_next { b.next() } else { None };
    let last = b.next();
    Ok(DeputyBrief {
        station_id,
        station: st.name,
        next,
        last,
        raised: summaries(pool, &raised_rows, now).await?,
        overdue,
        closed_since,
        rated_by,
        common,
        items,
        commitments: commitments(pool, "s.station_id", station_id, now).await?,
        can_schedule: may(user, Permission::ManageSessions, &facts),
    })
}

/// Sessions of a station from a month back on, for its page and calendar.
pub async fn station_sessions(
    pool: &Pool,
    station_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<SessionBrief>> {
    sessions_from_a_month_back(pool, "s.station_id = $1", station_id, now).await
}

/// The sessions matching `clause` (on `id`) that start at most a month before `now`.
async fn sessions_from_a_month_back(
    pool: &Pool,
    clause: &str,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<SessionBrief>> {
    let rows: Vec<SessionRow> = sqlx::query_as(&format!(
        "{SELECT_SESSION} WHERE {clause} AND s.starts_at >= $2 ORDER BY s.starts_at"
    ))
    .bind(id)
    .bind((now - chrono::Duration::days(31)).stored())
    .fetch_all(pool)
    .await?;
    briefs(pool, &rows).await
}

/// Sessions a person attends from a month back on, for their calendar.
pub async fn person_sessions(
    pool: &Pool,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<SessionBrief>> {
    sessions_from_a_month_back(
        pool,
        "s.id IN (SELECT session_id FROM session_attendees WHERE user_id = $1)",
        user_id,
        now,
    )
    .await
}

/// The station's public page: upcoming sessions, who is on duty, figures.
pub async fn public_station(
    pool: &Pool,
    figures: &crate::stats::FiguresCache,
    station_id: i64,
    now: DateTime<Utc>,
) -> Result<PublicStation> {
    let st = station(pool, station_id).await?;
    let members: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.kind, u.display_name FROM station_members m JOIN users u ON u.id = m.user_id \
         WHERE m.station_id = $1 AND u.disabled_at IS NULL ORDER BY u.id",
    )
    .bind(station_id)
    .fetch_all(pool)
    .await?;
    let names = |kind: &str| {
        members
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, n)| n.clone())
            .collect()
    };
    let upcoming = station_sessions(pool, station_id, now)
        .await?
        .into_iter()
        .filter(|s| s.ends_at >= now && s.status == SessionStatus::Scheduled)
        .collect();
    let tree = reference::region_tree(pool).await?;
    // The community's figures (public figures go no lower).
    let area = tree.community_of(st.region_id).map(|n| n.id);
    let figures = figures.public_stats(pool, area, now).await?.total.clone();
    Ok(PublicStation {
        id: st.id,
        name: st.name,
        address: st.address,
        opening_hours: st.opening_hours,
        community: tree.public_place(st.region_id),
        deputies: names("deputy"),
        leaders: names("leader"),
        upcoming,
        figures,
    })
}

/// The secret part of a person's calendar address: calendar apps subscribe
/// without signing in, so the address itself must be unguessable. Keyed
/// with a random key kept in the database (made on first use) and the
/// account's session epoch, so "sign out everywhere" also retires the old
/// address.
pub async fn calendar_token(pool: &Pool, user: &UserRow) -> Result<String> {
    use rand::Rng;
    use sha2::{Digest, Sha256};
    let read = || async {
        sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = 'calendar_key'")
            .fetch_optional(pool)
            .await
    };
    // Feeds are read far more often than the key is made: a write only once.
    let key = match read().await? {
        Some(key) => key,
        None => {
            let fresh: String = rand::thread_rng()
                .sample_iter(rand::distributions::Alphanumeric)
                .take(43)
                .map(char::from)
                .collect();
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ('calendar_key', $1) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(fresh)
            .execute(pool)
            .await?;
            read().await?.ok_or(StoreError::NotFound)?
        }
    };
    let digest = Sha256::digest(format!("{key}:{}:{}", user.id, user.session_epoch));
    Ok(digest[..12].iter().map(|b| format!("{b:02x}")).collect())
}

/// A leader's or deputy's own stations, visits, what they heard and promised.
pub async fn mine(pool: &Pool, user: &UserRow, now: DateTime<Utc>) -> Result<MyVisits> {
    let stations: Vec<(i64, String)> = sqlx::query_as(
        "SELECT st.id, st.name FROM station_members m JOIN stations st ON st.id = m.station_id \
         WHERE m.user_id = $1 ORDER BY st.id",
    )
    .bind(user.id)
    .fetch_all(pool)
    .await?;
    let sessions = person_sessions(pool, user.id, now - chrono::Duration::days(335)).await?;
    let (upcoming, done): (Vec<_>, Vec<_>) = sessions
        .into_iter()
        .partition(|s| s.status == SessionStatus::Scheduled && s.ends_at >= now);
    let heard_rows = cases_where(pool, "c.heard_by = $1", user.id).await?;
    let figures = crate::stats::figures_where(pool, "c.heard_by = $1", user.id).await?;
    let commitments = commitments(pool, "k.user_id", user.id, now).await?;
    let deliveries: Vec<Delivery> = commitments.iter().map(|c| c.delivery).collect();
    Ok(MyVisits {
        calendar: format!(
            "/calendar/people/{}-{}.ics",
            user.id,
            calendar_token(pool, user).await?
        ),
        stations: stations
            .into_iter()
            .map(|(id, name)| Named { id, name })
            .collect(),
        upcoming,
        done,
        heard: summaries(pool, &heard_rows, now).await?,
        delivery_rate: domain::session::delivery_rate(&deliveries),
        commitments,
        figures,
    })
}

/// Attaches a deputy or assigns a leader to a station (the demo's way in).
pub async fn add_member(pool: &Pool, station_id: i64, user_id: i64, kind: &str) -> Result<()> {
    sqlx::query("INSERT INTO station_members (station_id, user_id, kind) VALUES ($1, $2, $3)")
        .bind(station_id)
        .bind(user_id)
        .bind(kind)
        .execute(pool)
        .await?;
    Ok(())
}

/// Leaders and deputies not yet members of the station.
pub async fn candidates(pool: &Pool, user: &UserRow, station_id: i64) -> Result<Vec<Named>> {
    let st = station(pool, station_id).await?;
    if !may(
        user,
        Permission::ManageSessions,
        &station_facts(&st.path, st.id),
    ) {
        return Err(StoreError::Forbidden);
    }
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, display_name FROM users WHERE role IN ('leader', 'deputy') AND disabled_at IS NULL \
         AND id NOT IN (SELECT user_id FROM station_members WHERE station_id = $1) ORDER BY role, id",
    )
    .bind(station_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| Named { id, name })
        .collect())
}

/// Attaches a deputy or assigns a leader to the station, as their role says.
pub async fn attach(
    pool: &Pool,
    user: &UserRow,
    station_id: i64,
    member: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    access::permit(user, Permission::ManageSessions)?;
    if !candidates(pool, user, station_id)
        .await?
        .iter()
        .any(|c| c.id == member)
    {
        return Err(StoreError::invalid("member", "unknown"));
    }
    let kind: String = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(member)
        .fetch_one(pool)
        .await?;
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO station_members (station_id, user_id, kind) VALUES ($1, $2, $3)")
        .bind(station_id)
        .bind(member)
        .bind(&kind)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Change::by(&by, "station.member", "station", station_id.to_string()).states(
            None,
            Some(serde_json::json!({ "user": member, "kind": kind })),
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

    use crate::testing::user;

    fn request(title: &str, region_id: i64, category_id: i64) -> NewCase {
        NewCase {
            title: title.into(),
            description: format!("{title}，请尽快解决"),
            category_id,
            region_id,
            station_id: None,
            source: Source::WalkIn,
            resident_name: "陈桂芳".into(),
            resident_phone: "13900002222".into(),
            resident_email: String::new(),
            notify: false,
        }
    }

    #[tokio::test]
    async fn a_session_runs_from_schedule_to_the_next_brief() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let (director, leader, deputy) = (
            user(&pool, "director").await,
            user(&pool, "leader").await,
            user(&pool, "deputy").await,
        );
        let station = deputy.station_id.unwrap();
        // Two days ahead is short notice; a week is not.
        let form = |days: i64| SessionForm {
            starts_at: Some(now + chrono::Duration::days(days)),
            hours: 2,
            topic: "接待日".into(),
            attendees: vec![leader.id, deputy.id],
        };
        let soon = schedule(&pool, &director, station, &form(2), now)
            .await
            .unwrap();
        // Sooner than the demo's next session, so it is the next one.
        let later = schedule(&pool, &director, station, &form(4), now)
            .await
            .unwrap();
        assert!(
            detail(&pool, &director, soon, now)
                .await
                .unwrap()
                .brief
                .short_notice
        );
        assert!(
            !detail(&pool, &director, later, now)
                .await
                .unwrap()
                .brief
                .short_notice
        );
        // A grid worker may not schedule; nobody schedules in the past.
        let grid = user(&pool, "grid").await;
        assert!(matches!(
            schedule(&pool, &grid, station, &form(7), now).await,
            Err(StoreError::Forbidden)
        ));
        assert!(matches!(
            schedule(&pool, &director, station, &form(-1), now).await,
            Err(StoreError::Invalid(_))
        ));

        // In session: three requests heard by the leader, one commitment.
        let (compound, category) = crate::testing::compound_and_category(&pool, &director).await;
        let mut codes = Vec::new();
        for t in ["楼道灯不亮", "小区门口积水", "健身器材损坏"] {
            let r = register(
                &pool,
                &deputy,
                soon,
                &request(t, compound, category),
                Some(leader.id),
                now,
            )
            .await
            .unwrap();
            codes.push(r.code);
        }
        assert!(matches!(
            register(&pool, &deputy, soon, &request("x", compound, category), Some(grid.id), now).await,
            Err(StoreError::Invalid(e)) if e[0].field == "heard_by"
        ));
        let today = day(now);
        let promise = NewCommitment {
            by: leader.id,
            text: "两周内修好".into(),
            due_on: Some(today + chrono::Days::new(14)),
            case_code: Some(codes[0].clone()),
        };
        commit(&pool, &deputy, soon, &promise, now).await.unwrap();
        let d = detail(&pool, &deputy, soon, now).await.unwrap();
        assert_eq!(d.cases.len(), 3);
        assert!(
            d.cases
                .iter()
                .all(|c| c.source == Source::StationSession && c.station_id == Some(station))
        );
        assert_eq!(d.commitments[0].delivery, Delivery::Pending);
        assert!(matches!(
            close(&pool, &deputy, soon, None, "", now).await,
            Err(StoreError::Invalid(e)) if e.len() == 2
        ));
        close(&pool, &deputy, soon, Some(31), "听取意见 3 条", now)
            .await
            .unwrap();
        assert!(matches!(
            register(
                &pool,
                &deputy,
                soon,
                &request("迟到的", compound, category),
                None,
                now
            )
            .await,
            Err(StoreError::Invalid(_))
        ));

        // The brief for the next session shows those three where they stand,
        // and the promise.
        let b = brief(&pool, &deputy, station, now).await.unwrap();
        assert_eq!(b.next.as_ref().map(|s| s.id), Some(later));
        assert_eq!(b.last.as_ref().map(|s| s.id), Some(soon));
        for code in &codes {
            assert!(b.raised.iter().any(|c| &c.code == code), "{code}");
        }
        assert!(
            b.commitments
                .iter()
                .any(|c| c.case_code.as_deref() == Some(codes[0].as_str()))
        );
        // The leader's page lists what they heard and promised.
        let mine = mine(&pool, &leader, now).await.unwrap();
        assert!(
            codes
                .iter()
                .all(|c| mine.heard.iter().any(|h| &h.code == c))
        );
        assert!(mine.upcoming.iter().any(|s| s.id == later));
        assert!(mine.figures.collected >= 3);
        // Another leader joins the station; the list of candidates shrinks.
        let newcomer = crate::users::create_user(
            &pool,
            crate::users::NewUser {
                username: "leader2",
                display_name: "区委副书记 李强",
                password_hash: "x",
                role: domain::Role::Leader,
                region_id: leader.region_id,
                unit_id: None,
                station_id: None,
            },
        )
        .await
        .unwrap();
        assert!(
            candidates(&pool, &director, station)
                .await
                .unwrap()
                .iter()
                .any(|c| c.id == newcomer)
        );
        attach(&pool, &director, station, newcomer, now)
            .await
            .unwrap();
        assert!(
            !candidates(&pool, &director, station)
                .await
                .unwrap()
                .iter()
                .any(|c| c.id == newcomer)
        );
        assert!(matches!(
            attach(&pool, &director, station, newcomer, now).await,
            Err(StoreError::Invalid(_))
        ));
        // The figures by who heard it count them for the leader.
        let (first, end) = domain::figures::period(None, None, today).unwrap();
        let by_heard = crate::stats::report(
            &pool,
            &leader,
            domain::figures::Dimension::HeardBy,
            first,
            end,
        )
        .await
        .unwrap();
        let leaders_line = by_heard
            .groups
            .iter()
            .find(|g| g.id == Some(leader.id))
            .unwrap();
        assert_eq!(leaders_line.figures.collected, mine.figures.collected);
        // The public page shows the upcoming session and no resident.
        let cache = crate::stats::FiguresCache::new(std::time::Duration::ZERO);
        let public = public_station(&pool, &cache, station, now).await.unwrap();
        assert!(public.upcoming.iter().any(|s| s.id == later));
        assert!(!format!("{public:?}").contains("陈桂芳"));
    }
}
