//! The JSON API for integrators beyond Open311 (a request's timeline, the
//! public statistics), described by the OpenAPI document at
//! `/api/openapi.json`, which utoipa generates from these handlers and types.
//! Everything here is public and carries no personal data.

use app::i18n::Locale;
use app::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use domain::open311::format_datetime;
use domain::view::AreaStats;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Lianxin API",
        description = "Public, read-only JSON API of Lianxin (连心), beside the Open311 GeoReport v2 \
            endpoints at /open311/v2 (discovery, services, requests, tokens; XML and JSON). \
            Request ids are Open311's service_request_id. No response carries personal data."
    ),
    paths(timeline, stats),
    components(schemas(Timeline, TimelineEvent, Stats, AreaFigures, MonthFigures, ApiError))
)]
pub struct ApiDoc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/requests/{id}/timeline", get(timeline))
        .route("/api/v1/stats", get(stats))
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Why a call failed.
#[derive(Serialize, ToSchema)]
pub struct ApiError {
    pub error: String,
}

fn fail(status: StatusCode, error: &str) -> Response {
    (
        status,
        Json(ApiError {
            error: error.into(),
        }),
    )
        .into_response()
}

/// A store error the client cannot help: an outage (the database
/// restarting or out of space: 503, try again) or a fault of ours (500).
/// The conversion logs it.
fn internal(e: store::StoreError) -> Response {
    match app::error::AppError::from(e) {
        app::error::AppError::Unavailable => fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "service unavailable, try again shortly",
        ),
        _ => fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

/// One thing that happened to a request.
#[derive(Serialize, ToSchema)]
pub struct TimelineEvent {
    /// `registered`, an action of the five-step loop (`assign`, `acknowledge`,
    /// `request_closure`, `rate_satisfied`, …), `reminder.<level>.<checkpoint>`
    /// from the 13710 job, or `letter` (a supervision letter).
    pub kind: String,
    /// The status after it.
    pub status: String,
    /// The step of the loop after it: register, consolidate, handle, feedback, rate or closed.
    pub step: String,
    /// ISO 8601 with offset, China time.
    pub at: String,
}

/// A request's progress, oldest event first.
#[derive(Serialize, ToSchema)]
pub struct Timeline {
    pub service_request_id: String,
    /// Open311's `open` or `closed`.
    pub status: String,
    /// The current status in Chinese words, as Open311's `status_notes`.
    pub status_notes: String,
    pub events: Vec<TimelineEvent>,
}

/// The timeline of a request.
#[utoipa::path(
    get,
    path = "/api/v1/requests/{id}/timeline",
    params(("id" = i64, Path, description = "Open311 service_request_id")),
    responses(
        (status = 200, description = "The request's events", body = Timeline),
        (status = 404, description = "No such request", body = ApiError),
        (status = 503, description = "The database is unavailable for now: try again", body = ApiError)
    )
)]
async fn timeline(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return fail(StatusCode::NOT_FOUND, "no such request");
    };
    let events = match store::open311::timeline(&state.pool, id).await {
        Ok(Some(events)) => events,
        Ok(None) => return fail(StatusCode::NOT_FOUND, "no such request"),
        Err(e) => return internal(e),
    };
    let current = events
        .last()
        .map(|(_, s, _)| *s)
        .unwrap_or(domain::Status::Registered);
    Json(Timeline {
        service_request_id: id.to_string(),
        status: if current.step() == domain::Step::Closed {
            "closed"
        } else {
            "open"
        }
        .into(),
        status_notes: app::labels::status(Locale::zh, current).to_string(),
        events: events
            .into_iter()
            .map(|(kind, status, at)| TimelineEvent {
                kind,
                status: status.as_str().into(),
                step: status.step().as_str().into(),
                at: format_datetime(at),
            })
            .collect(),
    })
    .into_response()
}

/// The figures of one area. Rates are whole percent, absent without a base.
#[derive(Serialize, ToSchema)]
pub struct AreaFigures {
    pub region_id: i64,
    pub name: String,
    /// Requests registered (merged duplicates not counted).
    pub collected: i64,
    pub closed: i64,
    /// 办结率 = closed / collected.
    pub closure_rate: Option<u32>,
    /// Closed requests that ran a 13710 clock, and how many met the completion deadline.
    pub timed: i64,
    pub on_time: i64,
    /// on_time / timed.
    pub on_time_rate: Option<u32>,
    /// Rated requests, and how many were satisfied or fairly satisfied.
    pub rated: i64,
    pub satisfied: i64,
    /// 满意率 = satisfied / rated.
    pub satisfaction_rate: Option<u32>,
    /// Of the rated: given online by the resident, recorded by the station
    /// at a session, and recorded on a callback (回访).
    pub rated_online: i64,
    pub rated_session: i64,
    pub rated_callback: i64,
}

impl From<AreaStats> for AreaFigures {
    fn from(a: AreaStats) -> Self {
        let [(_, online), (_, session), (_, callback)] = a.rated_by.split(a.rated);
        Self {
            rated_online: online,
            rated_session: session,
            rated_callback: callback,
            closure_rate: a.closure_rate(),
            on_time_rate: a.on_time_rate(),
            satisfaction_rate: a.satisfaction_rate(),
            region_id: a.region_id,
            name: a.name,
            collected: a.collected,
            closed: a.closed,
            timed: a.timed,
            on_time: a.on_time,
            rated: a.rated,
            satisfied: a.satisfied,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MonthFigures {
    /// `2026-11`
    pub month: String,
    pub collected: i64,
    pub closed: i64,
}

/// The public statistics of a node of the region tree.
#[derive(Serialize, ToSchema)]
pub struct Stats {
    pub total: AreaFigures,
    /// One entry per child area.
    pub areas: Vec<AreaFigures>,
    /// The last twelve months, oldest first.
    pub months: Vec<MonthFigures>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// A node of the region tree (Open311's address_id); the whole city when absent.
    pub region_id: Option<i64>,
}

/// Statistics: collected, closed, on time and satisfaction, by area and month.
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    params(StatsQuery),
    responses(
        (status = 200, description = "The figures", body = Stats),
        (status = 400, description = "region_id is not a number"),
        (status = 404, description = "No such region", body = ApiError),
        (status = 503, description = "The database is unavailable for now: try again", body = ApiError)
    )
)]
async fn stats(State(state): State<AppState>, Query(q): Query<StatsQuery>) -> Response {
    match state
        .figures
        .public_stats(&state.pool, q.region_id, Utc::now())
        .await
        .map(|s| (*s).clone())
    {
        Ok(s) => Json(Stats {
            total: s.total.into(),
            areas: s.areas.into_iter().map(Into::into).collect(),
            months: s
                .months
                .into_iter()
                .map(|m| MonthFigures {
                    month: m.month,
                    collected: m.collected,
                    closed: m.closed,
                })
                .collect(),
        })
        .into_response(),
        Err(store::StoreError::NotFound) => fail(StatusCode::NOT_FOUND, "no such region"),
        Err(e) => internal(e),
    }
}
