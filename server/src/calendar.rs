//! iCalendar feeds of station sessions: one per station and one per leader
//! or deputy, so the schedule lands in their phone's calendar. Sessions are
//! published on the station's public page, so the feeds need no sign-in;
//! they carry no resident's data.

use app::api::ssr::Staff;
use app::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::session::SessionBrief;
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calendar/stations/{file}", get(station))
        .route("/calendar/people/{file}", get(person))
}

/// `7.ics` → 7.
fn id_of(file: &str) -> Option<i64> {
    file.strip_suffix(".ics")?.parse().ok()
}

/// The sessions as an iCalendar document.
pub fn ics(name: &str, sessions: &[SessionBrief], base: &str) -> String {
    let mut cal = Calendar::new();
    cal.name(name);
    for s in sessions {
        let people: Vec<&str> = s.attendees.iter().map(|a| a.name.as_str()).collect();
        let mut event = Event::new();
        event
            .uid(&format!("session-{}@lianxin", s.id))
            .summary(&format!("{} · {}", s.station, s.topic))
            .description(&format!("接待日：{}", people.join("、")))
            .location(&s.station)
            .url(&format!("{base}/stations/{}", s.station_id))
            .starts(s.starts_at)
            .ends(s.ends_at)
            .status(if s.status == domain::session::SessionStatus::Closed {
                EventStatus::Confirmed
            } else {
                EventStatus::Tentative
            });
        cal.push(event.done());
    }
    cal.done().to_string()
}

fn answer(name: &str, body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// Where the links in the feed point: `LIANXIN_PUBLIC_URL`, else the host asked.
fn base(headers: &HeaderMap) -> String {
    if let Ok(url) = std::env::var("LIANXIN_PUBLIC_URL") {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:3000");
    format!("http://{host}")
}

async fn station(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(id) = id_of(&file) else {
        return (StatusCode::BAD_REQUEST, "expected {station id}.ics").into_response();
    };
    let now = chrono::Utc::now();
    match store::sessions::station_sessions(&state.pool, id, now).await {
        Ok(list) => {
            let name = list.first().map(|s| s.station.clone()).unwrap_or_default();
            answer(&file, ics(&name, &list, &base(&headers)))
        }
        Err(e) => {
            tracing::error!(error = %e, "station calendar");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// A person's own sessions. Who meets whom, and when, is not public: the
/// feed answers to its private address (`{id}-{token}.ics`, shown on the
/// person's own page, for calendar apps), or to that person signed in (or
/// an administrator) at `{id}.ics`. A wrong token is a 404.
async fn person(
    State(state): State<AppState>,
    Path(file): Path<String>,
    staff: Option<Staff>,
    headers: HeaderMap,
) -> Response {
    let unavailable = || (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response();
    let (id, token) = match file.strip_suffix(".ics").and_then(|f| f.split_once('-')) {
        Some((id, token)) => (id.parse::<i64>().ok(), Some(token.to_string())),
        None => (id_of(&file), None),
    };
    let Some(id) = id else {
        return (StatusCode::BAD_REQUEST, "expected {person id}.ics").into_response();
    };
    match token {
        Some(token) => {
            let owner = match store::users::find_by_id(&state.pool, id).await {
                Ok(owner) => owner.filter(|u| u.disabled_at.is_none()),
                Err(_) => return unavailable(),
            };
            let Some(owner) = owner else {
                return (StatusCode::NOT_FOUND, "no such calendar").into_response();
            };
            match store::sessions::calendar_token(&state.pool, &owner).await {
                Ok(good) if good == token => {}
                Ok(_) => return (StatusCode::NOT_FOUND, "no such calendar").into_response(),
                Err(_) => return unavailable(),
            }
        }
        None => match staff {
            Some(Staff(me)) if me.id == id || me.role == domain::Role::Admin => {}
            Some(_) => {
                return (StatusCode::FORBIDDEN, "only your own calendar").into_response();
            }
            None => {
                return (StatusCode::UNAUTHORIZED, "sign in to read your calendar").into_response();
            }
        },
    }
    let now = chrono::Utc::now();
    match store::sessions::person_sessions(&state.pool, id, now).await {
        Ok(list) => answer(&file, ics("接待日", &list, &base(&headers))),
        Err(e) => {
            tracing::error!(error = %e, "person calendar");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::http::tests::app;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use icalendar::{Calendar, Component};
    use tower::ServiceExt;

    async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String) {
        get_as(app, uri, None).await
    }

    async fn get_as(app: &axum::Router, uri: &str, cookie: Option<&str>) -> (StatusCode, String) {
        let mut req = Request::get(uri);
        if let Some(c) = cookie {
            req = req.header(axum::http::header::COOKIE, c);
        }
        let res = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn the_station_and_the_leader_feeds_parse_back_with_the_sessions() {
        let (app, pool, _db) = app().await;
        let deputy = store::users::find_by_username(&pool, "deputy")
            .await
            .unwrap()
            .unwrap();
        let leader = store::users::find_by_username(&pool, "leader")
            .await
            .unwrap()
            .unwrap();
        let station = deputy.station_id.unwrap();
        let now = chrono::Utc::now();
        let expected = store::sessions::station_sessions(&pool, station, now)
            .await
            .unwrap();
        assert_eq!(expected.len(), 2, "the demo's last and next sessions");

        let (status, text) = get(&app, &format!("/calendar/stations/{station}.ics")).await;
        assert_eq!(status, StatusCode::OK);
        let cal: Calendar = text.parse().unwrap();
        let events: Vec<_> = cal.events().collect();
        assert_eq!(events.len(), expected.len());
        for (e, s) in events.iter().zip(&expected) {
            assert_eq!(
                e.get_uid(),
                Some(format!("session-{}@lianxin", s.id).as_str())
            );
            assert!(e.get_summary().unwrap().contains(&s.topic));
            let start = match e.get_start() {
                Some(icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(t))) => {
                    t
                }
                other => panic!("{other:?}"),
            };
            assert_eq!(start.timestamp(), s.starts_at.timestamp());
        }
        assert!(!text.contains("1390000"), "no resident's phone");

        // A person's feed is theirs: not public, not another staff member's.
        let feed = format!("/calendar/people/{}.ics", leader.id);
        assert_eq!(get(&app, &feed).await.0, StatusCode::UNAUTHORIZED);
        let director =
            crate::http::tests::sign_in(&app, "director", store::demo::DEMO_PASSWORD).await;
        assert_eq!(
            get_as(&app, &feed, Some(&director)).await.0,
            StatusCode::FORBIDDEN
        );
        // Calendar apps subscribe to the private address on the person's page.
        let private = store::sessions::mine(&pool, &leader, now)
            .await
            .unwrap()
            .calendar;
        assert!(private.starts_with(&format!("/calendar/people/{}-", leader.id)));
        let (status, by_app) = get(&app, &private).await;
        assert_eq!(status, StatusCode::OK);
        let guessed = format!(
            "{}0.ics",
            private
                .trim_end_matches(".ics")
                .trim_end_matches(char::is_alphanumeric)
        );
        assert_eq!(get(&app, &guessed).await.0, StatusCode::NOT_FOUND);
        let cookie = crate::http::tests::sign_in(&app, "leader", store::demo::DEMO_PASSWORD).await;
        let (status, text) = get_as(&app, &feed, Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK);
        // The same feed either way (DTSTAMP is the moment each was written).
        let unstamped = |ics: &str| {
            ics.lines()
                .filter(|l| !l.starts_with("DTSTAMP:"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(unstamped(&by_app), unstamped(&text));
        // Signing out everywhere retires the old private address.
        store::users::sign_out_everywhere(&pool, &store::events::By::named("test"), leader.id, now)
            .await
            .unwrap();
        assert_eq!(get(&app, &private).await.0, StatusCode::NOT_FOUND);
        let cal: Calendar = text.parse().unwrap();
        assert_eq!(cal.events().count(), 2);
        assert_eq!(
            get(&app, "/calendar/people/me.ics").await.0,
            StatusCode::BAD_REQUEST
        );
    }
}
