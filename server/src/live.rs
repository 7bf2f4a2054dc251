//! Live updates for case boards, as server-sent events.
//!
//! One task follows the `case_events` table and fans each change out to every
//! connected board; each connection keeps what its user may see. Following
//! the table (rather than an in-process signal) means changes made by any
//! process on the database — another instance, the CLI, a job — reach the
//! boards, and a board that reconnects with `Last-Event-ID` replays what it
//! missed from the same table.
//!
//! On SQLite the follower looks every 150 ms. On PostgreSQL, where several
//! instances share the database, it LISTENs: every event written through any
//! instance NOTIFYs on commit and wakes the followers at once, so the
//! database is not polled by every instance all the time.

use app::state::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use domain::view::{BoardEvent, CaseSummary};
use futures::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use store::access::CaseFacts;
use store::users::UserRow;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tower_sessions::Session;

/// How often an open board's session is checked again: a board signed out
/// (on this device or everywhere), disabled or moved to another seat stops
/// receiving cards within this time and is told to reload.
const RECHECK: Duration = Duration::from_secs(5);
/// Events a reconnecting board may have missed and still be brought up to
/// date by replay; further behind, it reloads (a whole board is one query).
pub const REPLAY_WINDOW: i64 = 500;
/// Live streams (boards, and the header's to-do on every staff page) one
/// account may follow at once on one instance: a board tab holds two.
pub const MAX_STREAMS_PER_ACCOUNT: usize = 32;

/// How often the follower looks for new events on SQLite.
const POLL: Duration = Duration::from_millis(150);
/// On PostgreSQL, how often it looks anyway, in case a notification was
/// lost with a dropped connection.
const SAFETY: Duration = Duration::from_secs(5);

/// What wakes the follower.
enum Wake {
    Poll,
    Notify(sqlx::postgres::PgListener),
}

impl Wake {
    async fn start(pool: &store::Pool) -> Result<Self, store::StoreError> {
        if store::Backend::of(pool) == store::Backend::Sqlite {
            return Ok(Self::Poll);
        }
        let url = pool.connect_options().database_url.to_string();
        let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
        listener.listen(store::events::EVENTS_CHANNEL).await?;
        Ok(Self::Notify(listener))
    }

    async fn wait(&mut self) {
        match self {
            Self::Poll => tokio::time::sleep(POLL).await,
            Self::Notify(listener) => {
                tokio::select! {
                    got = listener.recv() => {
                        if let Err(e) = got {
                            // The listener reconnects on its next call.
                            tracing::warn!(error = %e, "live updates: notification channel lost");
                            tokio::time::sleep(POLL).await;
                        }
                    }
                    _ = tokio::time::sleep(SAFETY) => {}
                }
            }
        }
    }
}

#[derive(Clone)]
pub struct Change {
    pub id: i64,
    pub facts: CaseFacts,
    pub card: CaseSummary,
    /// Who made the newest change, when a user did: their own action may
    /// take a case out of their area (a unit returning it) and their to-do.
    pub by: Option<i64>,
}

/// The fan-out point of live changes.
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Change>>,
    /// Open boards per account, for the cap.
    open: Arc<std::sync::Mutex<HashMap<i64, usize>>>,
    /// Cancelled when the server shuts down: every open stream ends.
    shutdown: CancellationToken,
}

impl Hub {
    /// Starts following the event table from its current end.
    pub async fn start(
        pool: store::Pool,
        shutdown: CancellationToken,
    ) -> Result<Self, store::StoreError> {
        let (tx, _) = broadcast::channel(1024);
        // Listen before reading where the table ends, so no event falls between.
        let mut wake = Wake::start(&pool).await?;
        let mut last = store::events::last_event_id(&pool).await?;
        let hub = Self {
            tx: tx.clone(),
            open: Arc::default(),
            shutdown,
        };
        tokio::spawn(async move {
            loop {
                wake.wait().await;
                match changes_since(&pool, last, REPLAY_WINDOW).await {
                    Ok((changes, _)) => {
                        for change in changes {
                            last = last.max(change.id);
                            // No receivers is fine: nobody has a board open.
                            let _ = tx.send(Arc::new(change));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "live updates: reading events failed"),
                }
            }
        });
        Ok(hub)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.tx.subscribe()
    }

    /// A place for one more board of `user_id`, or None at the cap.
    fn take_slot(&self, user_id: i64) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(user_id).or_default();
        if *n >= MAX_STREAMS_PER_ACCOUNT {
            return None;
        }
        *n += 1;
        Some(Slot {
            open: self.open.clone(),
            user_id,
        })
    }
}

/// One open board; its place is given back when its stream is dropped.
struct Slot {
    open: Arc<std::sync::Mutex<HashMap<i64, usize>>>,
    user_id: i64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.user_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

/// The changes after event `after`, at most `limit` events' worth, with each
/// case as it is now: one change per case (under its newest event), all
/// read in a few queries whatever their number. The flag says whether more
/// events follow beyond the limit.
async fn changes_since(
    pool: &store::Pool,
    after: i64,
    limit: i64,
) -> Result<(Vec<Change>, bool), store::StoreError> {
    let now = chrono::Utc::now();
    let events = store::events::events_since(pool, after, limit + 1).await?;
    let more = events.len() as i64 > limit;
    let mut newest: HashMap<String, (i64, Option<i64>)> = HashMap::new();
    for (id, code, by) in events.into_iter().take(limit as usize) {
        newest.insert(code, (id, by));
    }
    let codes: Vec<String> = newest.keys().cloned().collect();
    let mut cards = store::cases::summaries_by_code(pool, &codes, now).await?;
    let mut out: Vec<Change> = newest
        .into_iter()
        .filter_map(|(code, (id, by))| {
            cards.remove(&code).map(|(card, facts)| Change {
                id,
                facts,
                card,
                by,
            })
        })
        .collect();
    out.sort_by_key(|c| c.id);
    Ok((out, more))
}

/// Resolves when the board's session may no longer follow it: signed out
/// on this device (its session is gone) or everywhere, disabled, or moved
/// to another role or seat (the board reloads and reconnects with the new
/// scope). A database that does not answer is not a sign-out.
async fn session_ends(
    pool: store::Pool,
    sessions: crate::sessions::Sessions,
    id: Option<tower_sessions::session::Id>,
    user: UserRow,
) {
    use tower_sessions::SessionStore;
    loop {
        tokio::time::sleep(RECHECK).await;
        if let Some(id) = &id
            && let Ok(None) = sessions.load(id).await
        {
            return;
        }
        match store::users::for_session(&pool, user.id, user.session_epoch).await {
            Ok(Some(now))
                if now.role == user.role
                    && now.region_id == user.region_id
                    && now.unit_id == user.unit_id
                    && now.station_id == user.station_id => {}
            Err(_) => {}
            _ => return,
        }
    }
}

fn reload(why: &str) -> Event {
    Event::default().event("reload").data(why)
}

#[derive(Deserialize)]
pub struct Since {
    since: Option<i64>,
}

fn event(change: &Change) -> Event {
    let payload = BoardEvent {
        id: change.id,
        card: change.card.clone(),
    };
    Event::default()
        .id(change.id.to_string())
        .event("case")
        .json_data(payload)
        .unwrap_or_else(|_| Event::default().comment("unserialisable change"))
}

/// `GET /api/board/events`: the changes a signed-in user may see, from
/// `Last-Event-ID` (a reconnect) or `?since=` (a board's first load) on.
pub async fn events(
    State(state): State<AppState>,
    axum::Extension(hub): axum::Extension<Hub>,
    axum::Extension(sessions): axum::Extension<crate::sessions::Sessions>,
    staff: app::api::ssr::Staff,
    // Its id, to end the stream when it is signed out.
    session: Session,
    headers: HeaderMap,
    Query(since): Query<Since>,
) -> Result<impl IntoResponse, (StatusCode, &'static str)> {
    let user = staff
        .permit(domain::Permission::ViewCases)
        .map_err(|e| (e.status(), "not allowed to follow a board"))?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .or(since.since);

    let slot = hub.take_slot(user.id).ok_or((
        StatusCode::TOO_MANY_REQUESTS,
        "too many boards open for this account; close one first",
    ))?;

    // Subscribe before reading the backlog, so nothing falls between the two.
    let rx = hub.subscribe();
    let (backlog, too_far) = match resume {
        Some(after) => changes_since(&state.pool, after, REPLAY_WINDOW)
            .await
            .map_err(|_| (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"))?,
        None => (vec![], false),
    };
    if too_far {
        // A partial replay would leave holes: the board loads afresh.
        let once = stream::once(async { Ok::<_, Infallible>(reload("too_far_behind")) });
        return Ok(sse(Box::pin(once)));
    }
    let ends = session_ends(state.pool.clone(), sessions, session.id(), user.clone());
    let replayed_to = backlog.last().map(|c| c.id).or(resume).unwrap_or(0);
    let scope = store::access::scope(&user);
    let visible = move |c: &Change| scope.covers(&c.facts);
    let visible_live = visible.clone();
    let backlog = stream::iter(
        backlog
            .into_iter()
            .filter(visible)
            .map(|c| Ok::<_, Infallible>(event(&c))),
    );
    let live = tokio_stream::wrappers::BroadcastStream::new(rx).filter_map(move |msg| {
        let out = match msg {
            Ok(c) if c.id > replayed_to && visible_live(&c) => Some(Ok(event(&c))),
            // A board that fell too far behind reloads instead of showing a hole.
            Err(_) => Some(Ok(Event::default().event("reload").data("lagged"))),
            _ => None,
        };
        async move { out }
    });
    Ok(followed(backlog.chain(live), ends, &hub, slot))
}

type Events = std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>>;

fn sse(events: Events) -> Sse<axum::response::sse::KeepAliveStream<Events>> {
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// A live stream as sent: `events` until the session may no longer follow
/// them (`ends`; the page is then told to reload) or the server shuts down,
/// holding the account's `slot` while it is open.
fn followed(
    events: impl Stream<Item = Result<Event, Infallible>> + Send + 'static,
    ends: impl std::future::Future<Output = ()> + Send + 'static,
    hub: &Hub,
    slot: Slot,
) -> Sse<axum::response::sse::KeepAliveStream<Events>> {
    sse(Box::pin(
        events
            .take_until(ends)
            .chain(stream::once(async { Ok(reload("signed_out")) }))
            .take_until(hub.shutdown.clone().cancelled_owned())
            // The slot is given back when the stream is dropped.
            .map(move |event| {
                let _ = &slot;
                event
            }),
    ))
}

/// How long a to-do waits after a change before it is counted again: a
/// burst of changes (a session registering twenty requests) is one count.
const TO_DO_SETTLE: Duration = Duration::from_secs(1);
/// How often a quiet to-do is counted anyway: deadlines pass without an
/// event, and another's action can take a case out of a unit's area unseen.
const TO_DO_REFRESH: Duration = Duration::from_secs(60);

/// Whether a change may move `user`'s to-do: one in their area, or one of
/// their own (which may have taken a case out of it). False when the hub
/// has closed.
async fn next_relevant(
    rx: &mut broadcast::Receiver<Arc<Change>>,
    scope: &store::access::Scope,
    user_id: i64,
) -> bool {
    loop {
        match rx.recv().await {
            Ok(c) if c.by == Some(user_id) || scope.covers(&c.facts) => return true,
            Ok(_) => {}
            // Missed changes may have been relevant.
            Err(broadcast::error::RecvError::Lagged(_)) => return true,
            Err(broadcast::error::RecvError::Closed) => return false,
        }
    }
}

fn to_do_event(to_do: domain::view::ToDo) -> Event {
    Event::default()
        .event("to_do")
        .json_data(to_do)
        .unwrap_or_else(|_| Event::default().comment("unserialisable count"))
}

/// `GET /api/to-do/events`: the signed-in staff member's to-do count (待办),
/// at once and again whenever it changes — after a change in their area or
/// one of their own, and at least every minute. Each count is one indexed
/// query, run at most once a second per open header however busy the city.
pub async fn to_do_events(
    State(state): State<AppState>,
    axum::Extension(hub): axum::Extension<Hub>,
    axum::Extension(sessions): axum::Extension<crate::sessions::Sessions>,
    staff: app::api::ssr::Staff,
    session: Session,
) -> Result<impl IntoResponse, (StatusCode, &'static str)> {
    let user = staff
        .permit(domain::Permission::ViewCases)
        .map_err(|e| (e.status(), "not allowed to follow a to-do"))?;
    if user.role.to_do().is_empty() {
        return Err((StatusCode::NOT_FOUND, "this role has no to-do of cases"));
    }
    let slot = hub.take_slot(user.id).ok_or((
        StatusCode::TOO_MANY_REQUESTS,
        "too many live pages open for this account; close one first",
    ))?;
    let rx = hub.subscribe();
    let ends = session_ends(state.pool.clone(), sessions, session.id(), user.clone());
    let scope = store::access::scope(&user);
    let pool = state.pool.clone();
    let counts = stream::unfold((rx, None), move |(mut rx, last)| {
        let (pool, user, scope) = (pool.clone(), user.clone(), scope.clone());
        async move {
            let mut first = last.is_none();
            loop {
                if !first {
                    let woke = tokio::time::timeout(
                        TO_DO_REFRESH,
                        next_relevant(&mut rx, &scope, user.id),
                    )
                    .await;
                    if matches!(woke, Ok(false)) {
                        return None;
                    }
                    tokio::time::sleep(TO_DO_SETTLE).await;
                    // What arrived meanwhile is in the count about to be taken.
                    while !matches!(
                        rx.try_recv(),
                        Err(broadcast::error::TryRecvError::Empty
                            | broadcast::error::TryRecvError::Closed)
                    ) {}
                }
                first = false;
                match store::cases::to_do(&pool, &user, chrono::Utc::now()).await {
                    Ok(Some(now)) if Some(now) != last => {
                        return Some((Ok::<_, Infallible>(to_do_event(now)), (rx, Some(now))));
                    }
                    Ok(_) => {}
                    // A database that does not answer: counted again at the
                    // next change or the next minute.
                    Err(e) => tracing::warn!(error = %e, "to-do: counting failed"),
                }
            }
        }
    });
    Ok(followed(counts, ends, &hub, slot))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::tests::{app, form, sign_in};
    use axum::body::Body;
    use axum::http::{Request, header};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn open(app: &axum::Router, cookie: &str, query: &str) -> axum::response::Response {
        app.clone()
            .oneshot(
                Request::get(format!("/api/board/events{query}"))
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap()
    }

    /// What the stream sends until `want` appears (None if it ends or
    /// `within` passes first).
    async fn read_until(body: &mut Body, want: &str, within: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + within;
        let mut seen = String::new();
        while !seen.contains(want) {
            let frame = tokio::time::timeout_at(deadline, body.frame())
                .await
                .ok()??
                .ok()?;
            if let Ok(data) = frame.into_data() {
                seen.push_str(&String::from_utf8_lossy(&data));
            }
        }
        Some(seen)
    }

    #[tokio::test]
    async fn a_board_signed_out_here_or_everywhere_is_told_to_reload_and_ends() {
        let (app, pool, _db) = app().await;
        let pass = store::demo::DEMO_PASSWORD;
        // Signed out on this device.
        let cookie = sign_in(&app, "director", pass).await;
        let res = open(&app, &cookie, "").await;
        assert_eq!(res.status(), StatusCode::OK);
        let mut board = res.into_body();
        let out = app
            .clone()
            .oneshot(form("/api/logout", "", Some(&cookie)))
            .await
            .unwrap();
        assert!(out.status().is_success() || out.status().is_redirection());
        let seen = read_until(&mut board, "signed_out", RECHECK * 3).await;
        assert!(seen.is_some_and(|s| s.contains("event: reload")));
        assert!(board.frame().await.is_none(), "the stream ended");

        // Signed out everywhere (from another device, or by an administrator).
        let cookie = sign_in(&app, "director", pass).await;
        let mut board = open(&app, &cookie, "").await.into_body();
        let director = store::users::find_by_username(&pool, "director")
            .await
            .unwrap()
            .unwrap();
        store::users::sign_out_everywhere(
            &pool,
            &store::events::By::named("test"),
            director.id,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let seen = read_until(&mut board, "signed_out", RECHECK * 3).await;
        assert!(
            seen.is_some(),
            "cards kept coming after sign-out everywhere"
        );
    }

    #[tokio::test]
    async fn a_board_too_far_behind_reloads_instead_of_skipping_what_it_missed() {
        let (app, pool, _db) = app().await;
        let cookie = sign_in(&app, "leader", store::demo::DEMO_PASSWORD).await;
        let last = store::events::last_event_id(&pool).await.unwrap();
        assert!(
            last > REPLAY_WINDOW,
            "the demo has more events than the window"
        );
        let mut behind = open(&app, &cookie, "?since=0").await.into_body();
        let seen = read_until(&mut behind, "too_far_behind", Duration::from_secs(5))
            .await
            .unwrap();
        assert!(!seen.contains("event: case"), "{seen}");
        // A board a few events behind is brought up to date by replay.
        let mut near = open(&app, &cookie, &format!("?since={}", last - 3))
            .await
            .into_body();
        let seen = read_until(&mut near, "event: case", Duration::from_secs(5))
            .await
            .unwrap();
        assert!(!seen.contains("reload"));
    }

    /// The next count a to-do stream sends.
    async fn next_count(body: &mut Body) -> domain::view::ToDo {
        let mut seen = String::new();
        let deadline = tokio::time::Instant::now() + TO_DO_REFRESH / 2;
        loop {
            let Ok(frame) = tokio::time::timeout_at(deadline, body.frame()).await else {
                panic!("no count in time; the stream sent {seen:?}");
            };
            if let Ok(data) = frame.unwrap().unwrap().into_data() {
                seen.push_str(&String::from_utf8_lossy(&data));
            }
            let count = seen
                .split("\n\n")
                .filter(|e| e.contains("event: to_do"))
                .find_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
                .and_then(|d| serde_json::from_str(d).ok());
            if let Some(count) = count {
                return count;
            }
        }
    }

    async fn follow_to_do(app: &axum::Router, cookie: &str) -> Body {
        let res = app
            .clone()
            .oneshot(
                Request::get("/api/to-do/events")
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.into_body()
    }

    #[tokio::test]
    async fn the_header_count_follows_what_waits_for_the_reader() {
        let (app, pool, _db) = app().await;
        let pass = store::demo::DEMO_PASSWORD;
        // Nobody signed in, and a role without cases, get no stream.
        let res = app
            .clone()
            .oneshot(
                Request::get("/api/to-do/events")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let admin = sign_in(&app, "admin", pass).await;
        let res = app
            .clone()
            .oneshot(
                Request::get("/api/to-do/events")
                    .header(header::COOKIE, &admin)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        let cookie = sign_in(&app, "director", pass).await;
        let mut stream = follow_to_do(&app, &cookie).await;
        let director = store::users::find_by_username(&pool, "director")
            .await
            .unwrap()
            .unwrap();
        let first = next_count(&mut stream).await;
        assert_eq!(
            Some(first),
            store::cases::to_do(&pool, &director, chrono::Utc::now())
                .await
                .unwrap()
        );
        // A request registered in the director's community (here by the
        // store, as another instance or the CLI would) raises the count.
        let tree = store::reference::region_tree(&pool).await.unwrap();
        let compound = tree
            .within(director.region_path.as_deref().unwrap())
            .find(|n| n.level == "compound")
            .unwrap()
            .id;
        let category: i64 = sqlx::query_scalar("SELECT MIN(id) FROM categories")
            .fetch_one(&pool)
            .await
            .unwrap();
        let new = domain::NewCase {
            title: "楼道灯不亮".into(),
            description: "3号楼二单元楼道灯坏了".into(),
            category_id: category,
            region_id: compound,
            station_id: None,
            source: domain::Source::Online,
            resident_name: "陈晓红".into(),
            resident_phone: "13900001111".into(),
            resident_email: String::new(),
            notify: false,
        };
        store::cases::create(&pool, &new, None, chrono::Utc::now())
            .await
            .unwrap();
        let next = next_count(&mut stream).await;
        assert_eq!(next.total, first.total + 1, "{next:?} after {first:?}");

        // A unit that returns a case has taken it out of its own area: its
        // count follows its own action too.
        let handler = store::users::find_by_username(&pool, "handler")
            .await
            .unwrap()
            .unwrap();
        let code: String = sqlx::query_scalar(
            "SELECT code FROM cases WHERE status = 'awaiting_ack' AND unit_id = $1 LIMIT 1",
        )
        .bind(handler.unit_id)
        .fetch_one(&pool)
        .await
        .unwrap();
        let cookie = sign_in(&app, "handler", pass).await;
        let mut stream = follow_to_do(&app, &cookie).await;
        let first = next_count(&mut stream).await;
        let back = domain::Action::Return {
            reason: "不属于本单位职责".into(),
        };
        let code = domain::TrackingCode::parse(&code).unwrap();
        store::cases::act(&pool, &handler, &code, &back, chrono::Utc::now())
            .await
            .unwrap();
        let next = next_count(&mut stream).await;
        assert_eq!(next.total, first.total - 1, "{next:?} after {first:?}");
    }

    #[tokio::test]
    async fn one_account_opens_a_bounded_number_of_boards() {
        let (app, _pool, _db) = app().await;
        let cookie = sign_in(&app, "director", store::demo::DEMO_PASSWORD).await;
        let mut boards = Vec::new();
        for _ in 0..MAX_STREAMS_PER_ACCOUNT {
            let res = open(&app, &cookie, "").await;
            assert_eq!(res.status(), StatusCode::OK);
            boards.push(res);
        }
        assert_eq!(
            open(&app, &cookie, "").await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        // Another account is not affected; a closed board frees its place.
        let other = sign_in(&app, "leader", store::demo::DEMO_PASSWORD).await;
        assert_eq!(open(&app, &other, "").await.status(), StatusCode::OK);
        drop(boards.pop());
        assert_eq!(open(&app, &cookie, "").await.status(), StatusCode::OK);
    }
}
