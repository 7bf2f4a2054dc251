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
use domain::TrackingCode;
use domain::view::{BoardEvent, CaseSummary};
use futures::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use store::access::CaseFacts;
use store::users::UserRow;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tower_sessions::Session;

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
        listener.listen(store::cases::EVENTS_CHANNEL).await?;
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
}

/// The fan-out point of live changes.
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Change>>,
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
        let mut last = store::cases::last_event_id(&pool).await?;
        let hub = Self {
            tx: tx.clone(),
            shutdown,
        };
        tokio::spawn(async move {
            loop {
                wake.wait().await;
                match changes_since(&pool, last).await {
                    Ok(changes) => {
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
}

/// The changes after event `after`, one per event, with each case as it is now.
async fn changes_since(pool: &store::Pool, after: i64) -> Result<Vec<Change>, store::StoreError> {
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    for (id, code) in store::cases::events_since(pool, after, 500).await? {
        let Ok(code) = TrackingCode::parse(&code) else {
            continue;
        };
        let (card, facts) = store::cases::summary(pool, &code, now).await?;
        out.push(Change { id, facts, card });
    }
    Ok(out)
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
    session: Session,
    headers: HeaderMap,
    Query(since): Query<Since>,
) -> Result<impl IntoResponse, (StatusCode, &'static str)> {
    let user: UserRow = app::api::ssr::session_user(&session, &state.pool)
        .await
        .ok()
        .flatten()
        .ok_or((StatusCode::UNAUTHORIZED, "sign in to follow a board"))?;
    app::api::ssr::check(&user, domain::Permission::ViewCases)
        .map_err(|e| (e.status(), "not allowed to follow a board"))?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .or(since.since);

    // Subscribe before reading the backlog, so nothing falls between the two.
    let rx = hub.subscribe();
    let backlog = match resume {
        Some(after) => changes_since(&state.pool, after)
            .await
            .map_err(|_| (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"))?,
        None => vec![],
    };
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
    let stream: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> = Box::pin(
        backlog
            .chain(live)
            .take_until(hub.shutdown.clone().cancelled_owned()),
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
