//! Liaison stations' sessions, briefs and commitments, and leaders' visits.

use crate::error::AppError;
use domain::view::Receipt;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A station and the leaders and deputies attached to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationChoice {
    pub station: domain::view::Named,
    pub members: Vec<domain::view::Named>,
}

#[server(endpoint = "list_stations")]
pub async fn list_stations() -> Result<Vec<StationChoice>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    Ok(store::sessions::stations(&state()?.pool, &user)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|(station, members)| StationChoice { station, members })
        .collect())
}

#[server(endpoint = "get_brief")]
pub async fn get_brief(station: String) -> Result<domain::session::DeputyBrief, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    store::sessions::brief(
        &state()?.pool,
        &user,
        id("station", &station)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// `2026-12-03T19:30` as China time.
#[cfg(feature = "ssr")]
fn china_time(raw: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M")
        .ok()?
        .and_local_timezone(domain::deadline::china())
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// Schedules a session; `attendees` lists user ids separated by spaces.
#[server(endpoint = "schedule_session")]
pub async fn schedule_session(
    station: String,
    starts_at: String,
    hours: String,
    topic: String,
    attendees: String,
) -> Result<i64, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageSessions).await?;
    let form = domain::session::SessionForm {
        starts_at: china_time(&starts_at),
        hours: hours.trim().parse().unwrap_or(0),
        topic,
        attendees: attendees
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter_map(|a| a.parse().ok())
            .collect(),
    };
    store::sessions::schedule(
        &state()?.pool,
        &user,
        id("station", &station)?,
        &form,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Leaders and deputies who could join a station.
#[server(endpoint = "station_candidates")]
pub async fn station_candidates(station: String) -> Result<Vec<domain::view::Named>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageSessions).await?;
    store::sessions::candidates(&state()?.pool, &user, id("station", &station)?)
        .await
        .map_err(fail)
}

/// Attaches a deputy or assigns a leader to a station.
#[server(endpoint = "attach_member")]
pub async fn attach_member(station: String, member: String) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageSessions).await?;
    store::sessions::attach(
        &state()?.pool,
        &user,
        id("station", &station)?,
        id("member", &member)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

#[server(endpoint = "get_session")]
pub async fn get_session(session_id: String) -> Result<domain::session::SessionDetail, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    store::sessions::detail(
        &state()?.pool,
        &user,
        id("session", &session_id)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Registers a request heard at a session, by one of its attendees.
#[server(endpoint = "register_at_session")]
pub async fn register_at_session(
    session_id: String,
    title: String,
    description: String,
    category_id: String,
    region_id: String,
    resident_name: String,
    resident_phone: String,
    heard_by: String,
    /// The opt-in box: present when ticked.
    notify: Option<String>,
) -> Result<Receipt, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::RegisterCase).await?;
    let new = domain::NewCase {
        title,
        description,
        category_id: id("category_id", &category_id)?,
        region_id: id("region_id", &region_id)?,
        station_id: None,
        source: domain::Source::StationSession,
        resident_name,
        resident_phone,
        resident_email: String::new(),
        notify: notify.is_some(),
    };
    store::sessions::register(
        &state()?.pool,
        &user,
        id("session", &session_id)?,
        &new,
        heard_by.trim().parse().ok(),
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Records a commitment made at a session ("will be solved by …").
#[server(endpoint = "add_commitment")]
pub async fn add_commitment(
    session_id: String,
    by: String,
    text: String,
    due_on: String,
    case: String,
) -> Result<i64, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageSessions).await?;
    let new = domain::session::NewCommitment {
        by: id("by", &by)?,
        text,
        due_on: chrono::NaiveDate::parse_from_str(due_on.trim(), "%Y-%m-%d").ok(),
        case_code: Some(case),
    };
    store::sessions::commit(
        &state()?.pool,
        &user,
        id("session", &session_id)?,
        &new,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

#[server(endpoint = "deliver_commitment")]
pub async fn deliver_commitment(commitment: String) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageSessions).await?;
    store::sessions::deliver(
        &state()?.pool,
        &user,
        id("commitment", &commitment)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Closes a session with the head-count and the minutes.
#[server(endpoint = "close_session")]
pub async fn close_session(
    session_id: String,
    residents: String,
    minutes: String,
) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageSessions).await?;
    store::sessions::close(
        &state()?.pool,
        &user,
        id("session", &session_id)?,
        residents.trim().parse().ok(),
        &minutes,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// A station's public page: no sign-in, nothing personal.
#[server(endpoint = "get_public_station")]
pub async fn get_public_station(
    station: String,
) -> Result<domain::session::PublicStation, AppError> {
    use super::ssr::*;
    let st = state()?;
    store::sessions::public_station(
        &st.pool,
        &st.figures,
        id("station", &station)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// The signed-in leader's or deputy's stations, visits, what they heard and promised.
#[server(endpoint = "my_visits")]
pub async fn my_visits() -> Result<domain::session::MyVisits, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    store::sessions::mine(&state()?.pool, &user, chrono::Utc::now())
        .await
        .map_err(fail)
}
