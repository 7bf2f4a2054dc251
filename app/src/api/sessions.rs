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

/// Schedules a session; `attendees` lists user ids separated by spaces.
#[server(endpoint = "schedule_session")]
pub async fn schedule_session(
    #[server(flatten)] form: domain::session::RawSession,
) -> Result<i64, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageSessions).await?;
    let (station, form) = form.parse().map_err(invalid)?;
    store::sessions::schedule(&state()?.pool, &user, station, &form, chrono::Utc::now())
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
pub async fn attach_member(
    #[server(flatten)] form: domain::session::RawAttachment,
) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageSessions).await?;
    let form = form.parse().map_err(invalid)?;
    store::sessions::attach(
        &state()?.pool,
        &user,
        form.station,
        form.member,
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
    #[server(flatten)] hearing: domain::session::RawHearing,
) -> Result<Receipt, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::RegisterCase).await?;
    let hearing = hearing.parse().map_err(invalid)?;
    store::sessions::register(
        &state()?.pool,
        &user,
        hearing.session_id,
        &hearing.case(),
        hearing.heard_by,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Records a commitment made at a session ("will be solved by …").
#[server(endpoint = "add_commitment")]
pub async fn add_commitment(
    #[server(flatten)] form: domain::session::RawCommitment,
) -> Result<i64, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageSessions).await?;
    let (session, promise) = form.parse().map_err(invalid)?;
    store::sessions::commit(&state()?.pool, &user, session, &promise, chrono::Utc::now())
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
    #[server(flatten)] closing: domain::session::RawClosing,
) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageSessions).await?;
    let closing = closing.parse().map_err(invalid)?;
    store::sessions::close(
        &state()?.pool,
        &user,
        closing.session_id,
        closing.residents,
        &closing.minutes,
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
