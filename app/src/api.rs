//! Server functions. Each one is a public endpoint: it checks who is calling,
//! calls the store, and maps the error. The rules live in `domain` and `store`.
// A server function's arguments are its form's fields, one to one, so an
// intake form has many; the macro copies them into code we cannot annotate.
#![allow(clippy::too_many_arguments)]

use crate::error::AppError;
use domain::view::{CaseDetail, CaseSummary, Options, PublicCase, PublicStats, Receipt, UserInfo};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A receipt ready to print: the QR code opens the case's public page with
/// the code filled in (the second factor is still asked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedReceipt {
    pub receipt: Receipt,
    pub url: String,
    pub qr_svg: String,
}

/// What the public request form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicOptions {
    pub categories: Vec<domain::view::CategoryInfo>,
    pub compounds: Vec<domain::view::RegionOption>,
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::error::AppError;
    use crate::state::AppState;
    use store::users::UserRow;
    use tower_sessions::Session;

    pub const USER_KEY: &str = "user_id";
    /// The account's session epoch when this session signed in.
    pub const EPOCH_KEY: &str = "session_epoch";
    pub const TRACK_KEY: &str = "tracked_cases";
    /// When this browser last opened the online request form (ms since the epoch).
    pub const FORM_OPENED_KEY: &str = "report_form_opened";
    /// Cases this browser raised online: it may see their receipt (with the PIN).
    pub const REPORTED_KEY: &str = "reported_cases";

    /// Adds `code` to a short list kept in the session.
    pub async fn remember(session: &Session, key: &str, code: &str) -> Result<(), AppError> {
        let mut codes: Vec<String> = session.get(key).await.ok().flatten().unwrap_or_default();
        if !codes.iter().any(|c| c == code) {
            codes.push(code.to_string());
            // A resident on a shared phone may follow several cases; keep the last few.
            if codes.len() > 10 {
                codes.remove(0);
            }
        }
        session
            .insert(key, codes)
            .await
            .map_err(|_| AppError::Server)
    }

    pub async fn remembers(key: &str, code: &domain::TrackingCode) -> Result<bool, AppError> {
        let codes: Vec<String> = session()
            .await?
            .get(key)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        Ok(codes.iter().any(|c| c == code.as_str()))
    }

    /// The address printed in QR codes: `LIANXIN_PUBLIC_URL` when set (behind
    /// a proxy), else what the browser asked for.
    pub fn public_base() -> String {
        if let Ok(url) = std::env::var("LIANXIN_PUBLIC_URL") {
            return url.trim_end_matches('/').to_string();
        }
        let host = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|p| {
                p.headers
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .map(String::from)
            })
            .unwrap_or_else(|| "127.0.0.1:3000".into());
        format!("http://{host}")
    }

    pub fn printed(receipt: domain::view::Receipt) -> Result<super::PrintedReceipt, AppError> {
        use qrcode::QrCode;
        use qrcode::render::svg;
        let url = format!("{}/track?code={}", public_base(), receipt.code);
        let qr_svg = QrCode::new(url.as_bytes())
            .map_err(|_| AppError::Server)?
            .render::<svg::Color<'_>>()
            .min_dimensions(160, 160)
            .quiet_zone(true)
            .build();
        Ok(super::PrintedReceipt {
            receipt,
            url,
            qr_svg,
        })
    }

    pub fn state() -> Result<AppState, AppError> {
        leptos::prelude::use_context::<AppState>().ok_or(AppError::Server)
    }

    pub async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>().await.map_err(|e| {
            tracing::error!(error = %e, "no session layer");
            AppError::Server
        })
    }

    /// Sets the HTTP status of the response to the error's and passes it on.
    /// A plain HTML form post (no JavaScript) is left alone: server_fn answers
    /// it with a redirect back to the form carrying the error, and a 4xx
    /// status would stop the browser from following it.
    pub fn fail(e: impl Into<AppError>) -> AppError {
        use leptos::prelude::use_context;
        let e = e.into();
        let html_form = use_context::<http::request::Parts>().is_some_and(|p| {
            p.headers
                .get(http::header::ACCEPT)
                .and_then(|a| a.to_str().ok())
                .is_some_and(|a| a.contains("text/html"))
        });
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>()
            && !html_form
        {
            resp.set_status(e.status());
        }
        e
    }

    /// The account a session belongs to, while the account is enabled and
    /// has not been signed out everywhere since.
    pub async fn session_user(
        session: &Session,
        pool: &store::Pool,
    ) -> Result<Option<UserRow>, AppError> {
        let id: Option<i64> = session.get(USER_KEY).await.map_err(|_| AppError::Server)?;
        let Some(id) = id else {
            return Ok(None);
        };
        let epoch: i64 = session
            .get(EPOCH_KEY)
            .await
            .map_err(|_| AppError::Server)?
            .unwrap_or(0);
        Ok(store::users::for_session(pool, id, epoch).await?)
    }

    pub async fn signed_in() -> Result<Option<UserRow>, AppError> {
        session_user(&session().await?, &state()?.pool).await
    }

    /// Binds the session to the account under its current epoch.
    pub async fn sign_in_as(session: &Session, user_id: i64, epoch: i64) -> Result<(), AppError> {
        session
            .insert(USER_KEY, user_id)
            .await
            .map_err(|_| AppError::Server)?;
        session
            .insert(EPOCH_KEY, epoch)
            .await
            .map_err(|_| AppError::Server)
    }

    /// The signed-in staff member, or 401.
    pub async fn staff() -> Result<UserRow, AppError> {
        signed_in()
            .await?
            .ok_or_else(|| fail(AppError::Unauthorized))
    }

    /// The signed-in staff member if the permission matrix lets their role
    /// do `permission` at all (401/403 otherwise); the store checks the
    /// scope case by case. An initial or reset password allows nothing but
    /// changing it.
    pub fn check(user: &UserRow, permission: domain::Permission) -> Result<(), AppError> {
        if user.must_change_password && permission != domain::Permission::OwnAccount {
            return Err(fail(AppError::PasswordChange));
        }
        store::access::permit(user, permission).map_err(fail)?;
        Ok(())
    }

    pub async fn authorize(permission: domain::Permission) -> Result<UserRow, AppError> {
        let user = staff().await?;
        check(&user, permission)?;
        Ok(user)
    }

    pub fn parse_code(raw: &str) -> Result<domain::TrackingCode, AppError> {
        domain::TrackingCode::parse(raw).map_err(|_| {
            fail(AppError::Invalid(vec![domain::FieldError::new(
                "code",
                "malformed_code",
            )]))
        })
    }

    pub fn id(field: &str, raw: &str) -> Result<i64, AppError> {
        raw.trim().parse().map_err(|_| {
            fail(AppError::Invalid(vec![domain::FieldError::new(
                field, "required",
            )]))
        })
    }

    /// Counts one request of the caller's address (an IPv6 client by its
    /// /64) against `quota`, in the database so every instance counts the
    /// same; 429 with the wait when it is spent.
    pub async fn throttle(kind: &str, quota: domain::throttle::Quota) -> Result<(), AppError> {
        let bucket = format!(
            "{kind}:{}",
            domain::throttle::client_bucket(client_ip().await)
        );
        match store::throttle::hit(&state()?.pool, &bucket, quota, chrono::Utc::now()).await? {
            Some(secs) => Err(fail(AppError::RateLimited(secs))),
            None => Ok(()),
        }
    }

    /// The client address for rate limiting: the peer, or — when the peer
    /// is one of the load balancers named in `LIANXIN_TRUSTED_PROXIES` —
    /// the address that balancer saw (`X-Forwarded-For`).
    pub async fn client_ip() -> std::net::IpAddr {
        use axum::extract::ConnectInfo;
        use std::net::SocketAddr;
        let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
            .await
            .map(|ConnectInfo(a)| a.ip())
            .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
        let forwarded = leptos_axum::extract::<axum::http::HeaderMap>()
            .await
            .ok()
            .and_then(|h| {
                h.get("x-forwarded-for")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            });
        forwarded_client(peer, forwarded.as_deref(), trusted_proxies())
    }

    fn trusted_proxies() -> &'static [std::net::IpAddr] {
        static TRUSTED: std::sync::OnceLock<Vec<std::net::IpAddr>> = std::sync::OnceLock::new();
        TRUSTED.get_or_init(|| {
            std::env::var("LIANXIN_TRUSTED_PROXIES")
                .unwrap_or_default()
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect()
        })
    }

    /// Walks `X-Forwarded-For` from the right (the entries our own proxies
    /// added) to the first address that is not a trusted proxy; anything a
    /// client wrote further left is ignored, so it cannot pick its bucket.
    pub fn forwarded_client(
        peer: std::net::IpAddr,
        forwarded: Option<&str>,
        trusted: &[std::net::IpAddr],
    ) -> std::net::IpAddr {
        if !trusted.contains(&peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded.unwrap_or_default().rsplit(',') {
            match hop.trim().parse::<std::net::IpAddr>() {
                Ok(ip) if trusted.contains(&ip) => client = ip,
                Ok(ip) => return ip,
                Err(_) => break,
            }
        }
        client
    }
}

#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<UserInfo>, AppError> {
    Ok(ssr::signed_in().await?.map(|u| u.info()))
}

#[server(endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<(), AppError> {
    use ssr::*;
    use store::users::SignIn;
    let pool = state()?.pool;
    let ip = domain::throttle::client_bucket(client_ip().await);
    let now = chrono::Utc::now();
    let user = match store::users::sign_in(&pool, &username, &password, &ip, now).await? {
        SignIn::Wait(secs) => return Err(fail(AppError::RateLimited(secs.unsigned_abs()))),
        SignIn::Welcome(user) => *user,
        SignIn::Failed => {
            // Only with the right password does it say the registration waits.
            let message =
                if store::party::awaiting_confirmation(&pool, &username, &password).await? {
                    "registration_pending"
                } else {
                    "login_failed"
                };
            return Err(fail(AppError::Invalid(vec![domain::FieldError::new(
                "password", message,
            )])));
        }
    };
    store::users::record_login(&pool, user.id, now).await?;
    let session = session().await?;
    // A new id on sign-in, so a session fixed before it is worth nothing after.
    session.cycle_id().await.map_err(|_| AppError::Server)?;
    sign_in_as(&session, user.id, user.session_epoch).await?;
    leptos_axum::redirect(if user.must_change_password {
        "/account"
    } else {
        home_of(user.role())
    });
    Ok(())
}

/// Where a role starts after signing in.
pub fn home_of(role: domain::Role) -> &'static str {
    match role {
        domain::Role::Handler => "/inbox",
        domain::Role::Member => "/service",
        _ => "/cases",
    }
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let session = ssr::session().await?;
    session.flush().await.map_err(|_| AppError::Server)?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "intake_options")]
pub async fn intake_options() -> Result<Options, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    // Pickers offer the user's own area; a deputy's is their station's community.
    let scope = store::access::scope(&user);
    let area = scope.region_path().or(user.region_path.as_deref());
    Ok(store::reference::options(&state()?.pool, area).await?)
}

#[server(endpoint = "register_case")]
pub async fn register_case(
    title: String,
    description: String,
    category_id: String,
    region_id: String,
    station_id: String,
    source: String,
    resident_name: String,
    resident_phone: String,
) -> Result<Receipt, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::RegisterCase).await?;
    let source = domain::Source::parse(&source).ok_or_else(|| {
        fail(AppError::Invalid(vec![domain::FieldError::new(
            "source", "unknown",
        )]))
    })?;
    let new = domain::NewCase {
        title,
        description,
        category_id: id("category_id", &category_id)?,
        region_id: id("region_id", &region_id)?,
        station_id: station_id.trim().parse().ok(),
        source,
        resident_name,
        resident_phone,
    };
    let receipt = store::cases::create(&state()?.pool, &new, Some(&user), chrono::Utc::now())
        .await
        .map_err(fail)?;
    leptos_axum::redirect(&format!("/cases/{}/receipt", receipt.code));
    Ok(receipt)
}

/// The unit holding a case asks for `days` more days on its completion deadline.
#[server(endpoint = "request_extension")]
pub async fn request_extension(code: String, days: String, reason: String) -> Result<(), AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ActOnCase).await?;
    let days = id("days", &days)?;
    store::extensions::request(
        &state()?.pool,
        &user,
        &parse_code(&code)?,
        days,
        &reason,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// The supervision office decides the waiting extension request:
/// `decision` is `approve` or `refuse`.
#[server(endpoint = "decide_extension")]
pub async fn decide_extension(
    code: String,
    decision: String,
    note: String,
) -> Result<(), AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::DecideExtension).await?;
    let approve = match decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => {
            return Err(fail(AppError::Invalid(vec![domain::FieldError::new(
                "decision", "unknown",
            )])));
        }
    };
    store::extensions::decide(
        &state()?.pool,
        &user,
        &parse_code(&code)?,
        approve,
        &note,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Open cases in the same community that read like the request being
/// registered (title and description), for merging duplicates.
#[server(endpoint = "similar_cases")]
pub async fn similar_cases(
    region_id: String,
    text: String,
) -> Result<Vec<domain::view::SimilarCase>, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::RegisterCase).await?;
    if text.chars().count() > domain::case::MAX_TEXT * 2 {
        return Err(fail(AppError::Invalid(vec![domain::FieldError::new(
            "text", "too_long",
        )])));
    }
    store::cases::similar_open(&state()?.pool, &user, id("region_id", &region_id)?, &text)
        .await
        .map_err(fail)
}

/// Links several cases into one escalated item (市级统筹); `codes` is a
/// list of tracking codes separated by spaces or commas.
#[server(endpoint = "create_item")]
pub async fn create_item(
    title: String,
    measure: String,
    unit_id: String,
    codes: String,
) -> Result<i64, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::Coordinate).await?;
    let form = domain::coordination::ItemForm {
        title,
        measure,
        unit_id: unit_id.trim().parse().ok(),
        codes: vec![codes],
    };
    store::coordination::create(&state()?.pool, &user, &form, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// A progress update on an escalated item; every linked case notes it.
#[server(endpoint = "update_item")]
pub async fn update_item(item: String, status: String, note: String) -> Result<(), AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::Coordinate).await?;
    let status = domain::coordination::ItemStatus::parse(&status).ok_or_else(|| {
        fail(AppError::Invalid(vec![domain::FieldError::new(
            "status", "unknown",
        )]))
    })?;
    store::coordination::update(
        &state()?.pool,
        &user,
        id("item", &item)?,
        status,
        &note,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

#[server(endpoint = "get_item")]
pub async fn get_item(item: String) -> Result<domain::view::Item, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    store::coordination::get(
        &state()?.pool,
        &user,
        id("item", &item)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

#[server(endpoint = "list_items")]
pub async fn list_items() -> Result<Vec<domain::view::ItemBrief>, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    store::coordination::list(&state()?.pool, &user)
        .await
        .map_err(fail)
}

/// Open cases like `code` that could join it in a new escalated item.
#[server(endpoint = "item_candidates")]
pub async fn item_candidates(code: String) -> Result<Vec<domain::view::SimilarCase>, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::Coordinate).await?;
    store::coordination::candidates(&state()?.pool, &user, &parse_code(&code)?)
        .await
        .map_err(fail)
}

#[server(endpoint = "get_receipt")]
pub async fn get_receipt(code: String) -> Result<PrintedReceipt, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let receipt = store::cases::receipt_for(&state()?.pool, &user, &parse_code(&code)?)
        .await
        .map_err(fail)?;
    printed(receipt)
}

/// Cases per page of a case list.
pub const CASES_PAGE: i64 = 200;

/// Cards per page of a board column ("more" loads the next).
pub const BOARD_PAGE: i64 = 50;

/// A page of the cases the user may see: overdue first, then newest, from
/// `offset`, with the exact number that match.
#[server(endpoint = "list_cases")]
pub async fn list_cases(
    step: Option<String>,
    category: Option<String>,
    unit: Option<String>,
    overdue: bool,
    q: Option<String>,
    offset: Option<i64>,
) -> Result<domain::view::Page<CaseSummary>, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let filter = domain::view::CaseFilter {
        step: step.as_deref().and_then(domain::Step::parse),
        category_id: category.and_then(|c| c.parse().ok()),
        unit_id: unit.and_then(|c| c.parse().ok()),
        overdue,
        q,
        ..Default::default()
    };
    let window = (store::cases::Order::Newest, offset.unwrap_or(0), CASES_PAGE);
    Ok(store::cases::page(&state()?.pool, &user, &filter, window, chrono::Utc::now()).await?)
}

/// A board's filter as its query string gives it: open cases and those
/// closed this month, narrowed by the chosen filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BoardQuery {
    pub step: Option<String>,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub station: Option<String>,
    pub region: Option<String>,
    pub overdue: bool,
    pub escalated: bool,
    pub recurring: bool,
    pub q: Option<String>,
}

#[cfg(feature = "ssr")]
impl BoardQuery {
    async fn filter(
        self,
        pool: &store::Pool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<domain::view::CaseFilter, AppError> {
        use chrono::{Datelike, TimeZone};
        let china = domain::deadline::china();
        let month_start = now
            .with_timezone(&china)
            .date_naive()
            .with_day(1)
            .unwrap_or_default();
        let closed_since = china
            .from_local_datetime(&month_start.and_hms_opt(0, 0, 0).unwrap_or_default())
            .single()
            .map(|t| t.with_timezone(&chrono::Utc));
        let region_path = match self.region.and_then(|r| r.trim().parse::<i64>().ok()) {
            Some(id) => store::reference::region_tree(pool)
                .await?
                .get(id)
                .map(|n| n.path.clone()),
            None => None,
        };
        Ok(domain::view::CaseFilter {
            step: self.step.as_deref().and_then(domain::Step::parse),
            category_id: self.category.and_then(|c| c.parse().ok()),
            unit_id: self.unit.and_then(|c| c.parse().ok()),
            station_id: self.station.and_then(|c| c.parse().ok()),
            region_path,
            overdue: self.overdue,
            escalated: self.escalated,
            recurring: self.recurring,
            q: self.q.filter(|q| !q.trim().is_empty()),
            closed_since,
        })
    }
}

/// The live board's first load: the first page of each column (overdue
/// first, then what waits longest) and the exact counts, with the filters in
/// the board's query string. The event stream at `/api/board/events`
/// continues from `last_event_id`.
#[server(endpoint = "get_board")]
pub async fn get_board(query: BoardQuery) -> Result<domain::view::BoardData, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let pool = state()?.pool;
    // Read the event id first: anything after it arrives through the stream.
    let last_event_id = store::cases::last_event_id(&pool).await?;
    let now = chrono::Utc::now();
    let filter = query.filter(&pool, now).await?;
    let counts = store::cases::board_counts(&pool, &user, &filter, now).await?;
    let mut cards = Vec::new();
    for step in domain::Step::ALL {
        if step == domain::Step::Closed || filter.step.is_some_and(|s| s != step) {
            continue;
        }
        let column = domain::view::CaseFilter {
            step: Some(step),
            ..filter.clone()
        };
        let window = (store::cases::Order::Waiting, 0, BOARD_PAGE);
        cards.extend(
            store::cases::page(&pool, &user, &column, window, now)
                .await?
                .items,
        );
    }
    Ok(domain::view::BoardData {
        cards,
        counts,
        page_size: BOARD_PAGE,
        last_event_id,
        filter,
        actors: user.role().capacities().to_vec(),
    })
}

/// The next page of one board column, from `offset`.
#[server(endpoint = "board_column")]
pub async fn board_column(
    query: BoardQuery,
    column: String,
    offset: i64,
) -> Result<domain::view::Page<CaseSummary>, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let pool = state()?.pool;
    let now = chrono::Utc::now();
    let step = domain::Step::parse(&column).ok_or_else(|| {
        fail(AppError::Invalid(vec![domain::FieldError::new(
            "column", "unknown",
        )]))
    })?;
    let filter = domain::view::CaseFilter {
        step: Some(step),
        ..query.filter(&pool, now).await?
    };
    let window = (store::cases::Order::Waiting, offset, BOARD_PAGE);
    Ok(store::cases::page(&pool, &user, &filter, window, now).await?)
}

/// A board's exact counts now (the board refreshes them as cases change).
#[server(endpoint = "board_counts")]
pub async fn board_counts(query: BoardQuery) -> Result<domain::view::BoardCounts, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let pool = state()?.pool;
    let now = chrono::Utc::now();
    let filter = query.filter(&pool, now).await?;
    Ok(store::cases::board_counts(&pool, &user, &filter, now).await?)
}

#[server(endpoint = "get_case")]
pub async fn get_case(code: String) -> Result<CaseDetail, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    store::cases::detail(
        &state()?.pool,
        &user,
        &parse_code(&code)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// One endpoint for every staff action; `kind` names the row of the
/// transition table and the other fields carry what that action needs.
#[server(endpoint = "perform")]
pub async fn perform(
    code: String,
    kind: String,
    text: Option<String>,
    unit_id: Option<String>,
    class: Option<String>,
    tier: Option<String>,
) -> Result<(), AppError> {
    use domain::{Action, ActionKind as K};
    use ssr::*;
    let user = authorize(domain::Permission::ActOnCase).await?;
    let code = parse_code(&code)?;
    let kind = K::parse(&kind).ok_or_else(|| {
        fail(AppError::Invalid(vec![domain::FieldError::new(
            "kind", "unknown",
        )]))
    })?;
    let text = text.unwrap_or_default();
    let invalid = |f: &str, m: &str| fail(AppError::Invalid(vec![domain::FieldError::new(f, m)]));
    let action = match kind {
        K::StartConsolidation => Action::StartConsolidation,
        K::AnswerOnSpot => Action::AnswerOnSpot { answer: text },
        K::HandleLocally => Action::HandleLocally {
            tier: tier
                .as_deref()
                .and_then(domain::Tier::parse)
                .ok_or_else(|| invalid("tier", "required"))?,
            note: text,
        },
        K::Assign => Action::Assign {
            unit_id: id("unit_id", unit_id.as_deref().unwrap_or_default())?,
            class: class
                .as_deref()
                .and_then(domain::DeadlineClass::parse)
                .ok_or_else(|| invalid("class", "required"))?,
        },
        K::Escalate => Action::Escalate { note: text },
        K::ToSuggestion => Action::ToSuggestion { note: text },
        K::NotAccept => Action::NotAccept { reason: text },
        K::Merge => Action::Merge { into: text },
        K::Acknowledge => Action::Acknowledge,
        K::Return => Action::Return { reason: text },
        K::ReportProgress => Action::ReportProgress { note: text },
        K::RequestClosure => Action::RequestClosure { result: text },
        K::ApproveClosure => Action::ApproveClosure,
        K::RejectClosure => Action::RejectClosure { reason: text },
        K::CompleteLocally => Action::CompleteLocally { result: text },
        K::ResolveEscalated => Action::ResolveEscalated { result: text },
        K::AnswerSuggestion => Action::AnswerSuggestion { result: text },
        K::RecordFeedback => Action::RecordFeedback { note: text },
        K::CloseUnrated => Action::CloseUnrated,
        // Ratings are the resident's, through the public page.
        K::RateSatisfied | K::RateFairlySatisfied | K::RateDissatisfied => {
            return Err(fail(AppError::Forbidden));
        }
    };
    store::cases::act(&state()?.pool, &user, &code, &action, chrono::Utc::now())
        .await
        .map_err(fail)?;
    Ok(())
}

#[server(endpoint = "track_lookup")]
pub async fn track_lookup(code: String, factor: String) -> Result<(), AppError> {
    use domain::throttle::FactorKind;
    use ssr::*;
    let st = state()?;
    throttle("lookup", st.lookups).await?;
    let code = parse_code(&code)?;
    // Wrong answers count against the code itself, whichever address sends
    // them (and whether or not the code exists, so the answers do not tell).
    let kind = FactorKind::of(&factor);
    let bucket = kind.bucket(&code);
    let now = chrono::Utc::now();
    if store::throttle::hit(&st.pool, &bucket, kind.lockout(), now)
        .await?
        .is_some()
    {
        return Err(fail(match kind {
            FactorKind::Phone => AppError::PhoneLocked,
            FactorKind::Pin => AppError::CodeLocked,
        }));
    }
    if !store::cases::verify_second_factor(&st.pool, &code, &factor).await? {
        return Err(fail(AppError::LookupFailed));
    }
    store::throttle::forgive(&st.pool, &bucket, kind.lockout(), now).await?;
    remember(&session().await?, TRACK_KEY, code.as_str()).await?;
    leptos_axum::redirect(&format!("/track/{code}"));
    Ok(())
}

/// The resident's view of a case, or None until the second factor was given
/// in this browser session.
#[server(endpoint = "get_public_case")]
pub async fn get_public_case(code: String) -> Result<Option<PublicCase>, AppError> {
    use ssr::*;
    let code = parse_code(&code)?;
    if !remembers(TRACK_KEY, &code).await? {
        return Ok(None);
    }
    Ok(Some(
        store::cases::public_view(&state()?.pool, &code, chrono::Utc::now())
            .await
            .map_err(fail)?,
    ))
}

#[server(endpoint = "rate_case")]
pub async fn rate_case(code: String, rating: String, comment: String) -> Result<(), AppError> {
    use ssr::*;
    let code = parse_code(&code)?;
    if !remembers(TRACK_KEY, &code).await? {
        return Err(fail(AppError::LookupFailed));
    }
    let rating = domain::Rating::parse(&rating)
        .filter(|r| *r != domain::Rating::NotRated)
        .ok_or_else(|| {
            fail(AppError::Invalid(vec![domain::FieldError::new(
                "rating", "required",
            )]))
        })?;
    store::cases::rate(&state()?.pool, &code, rating, &comment, chrono::Utc::now())
        .await
        .map_err(fail)?;
    leptos_axum::redirect(&format!("/track/{code}"));
    Ok(())
}

/// The online request form's choices. Opening the form starts its clock:
/// a request sent within seconds of it is a machine's.
#[server(endpoint = "get_public_options")]
pub async fn get_public_options() -> Result<PublicOptions, AppError> {
    use ssr::*;
    let session = session().await?;
    session
        .insert(FORM_OPENED_KEY, chrono::Utc::now().timestamp_millis())
        .await
        .map_err(|_| AppError::Server)?;
    let options = store::reference::options(&state()?.pool, None).await?;
    let tree = store::reference::region_tree(&state()?.pool).await?;
    let compounds = options
        .regions
        .into_iter()
        .filter(|r| tree.get(r.id).and_then(|n| n.level()) == Some(domain::RegionLevel::Compound))
        .collect();
    Ok(PublicOptions {
        categories: options.categories,
        compounds,
    })
}

/// Seconds a person needs at least to fill in the online form.
pub const MIN_FILL_SECONDS: i64 = 3;

/// A resident raises a request online (step 1, source "online").
#[server(endpoint = "submit_online")]
pub async fn submit_online(
    category_id: String,
    description: String,
    region_id: String,
    resident_name: String,
    resident_phone: String,
    website: Option<String>,
) -> Result<(), AppError> {
    use ssr::*;
    let st = state()?;
    let session = session().await?;
    // A field people cannot see: only a machine fills it in.
    let honeypot = website.is_some_and(|w| !w.trim().is_empty());
    let opened: Option<i64> = session.get(FORM_OPENED_KEY).await.ok().flatten();
    let too_fast =
        opened.is_none_or(|t| chrono::Utc::now().timestamp_millis() - t < MIN_FILL_SECONDS * 1000);
    if honeypot || too_fast {
        return Err(fail(AppError::Spam));
    }
    throttle("report", st.reports).await?;
    let title = domain::NewCase::title_from(&description);
    let new = domain::NewCase {
        title,
        description,
        category_id: id("category_id", &category_id)?,
        region_id: id("region_id", &region_id)?,
        station_id: None,
        source: domain::Source::Online,
        resident_name,
        resident_phone,
    };
    let receipt = store::cases::create(&st.pool, &new, None, chrono::Utc::now())
        .await
        .map_err(fail)?;
    let code = parse_code(&receipt.code)?;
    remember(&session, REPORTED_KEY, code.as_str()).await?;
    remember(&session, TRACK_KEY, code.as_str()).await?;
    leptos_axum::redirect(&format!("/report/{code}"));
    Ok(())
}

/// The receipt of a request raised online, for the browser that raised it.
#[server(endpoint = "get_public_receipt")]
pub async fn get_public_receipt(code: String) -> Result<PrintedReceipt, AppError> {
    use ssr::*;
    let code = parse_code(&code)?;
    if !remembers(REPORTED_KEY, &code).await? {
        return Err(fail(AppError::NotFound));
    }
    let mut receipt = store::cases::public_receipt(&state()?.pool, &code)
        .await
        .map_err(fail)?;
    receipt.code = code.to_string();
    printed(receipt)
}

/// Public figures of a region node (the whole city by default).
#[server(endpoint = "get_public_stats")]
pub async fn get_public_stats(region: Option<String>) -> Result<PublicStats, AppError> {
    use ssr::*;
    let region = region.and_then(|r| r.trim().parse().ok());
    let st = state()?;
    st.figures
        .public_stats(&st.pool, region, chrono::Utc::now())
        .await
        .map(|s| (*s).clone())
        .map_err(fail)
}

/// How many units each list of the ranking names.
pub const RANKING_LIST_LEN: usize = 3;

/// The monthly ranking of units (红黑榜) for `month` (`YYYY-MM`, this month
/// by default), best first.
#[server(endpoint = "get_unit_ranking")]
pub async fn get_unit_ranking(month: Option<String>) -> Result<domain::ranking::Ranking, AppError> {
    use ssr::*;
    authorize(domain::Permission::ViewCases).await?;
    let now = chrono::Utc::now();
    let today = now.with_timezone(&domain::deadline::china()).date_naive();
    let day = domain::ranking::month_of(month.as_deref(), today)
        .map_err(|e| fail(AppError::Invalid(vec![e])))?;
    let units = store::stats::unit_figures(&state()?.pool, day).await?;
    Ok(domain::ranking::Ranking::of(day, units, RANKING_LIST_LEN))
}

/// The figures of a period (`YYYY-MM` to `YYYY-MM`, the last 12 months by
/// default) grouped by `by` (unit, station, community, grid, category,
/// leader or month), over the cases the caller may see.
#[server(endpoint = "get_figures")]
pub async fn get_figures(
    by: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<domain::figures::Report, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let now = chrono::Utc::now();
    let today = now.with_timezone(&domain::deadline::china()).date_naive();
    let dimension = match by.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => domain::figures::Dimension::Unit,
        Some(b) => domain::figures::Dimension::parse(b).ok_or_else(|| {
            fail(AppError::Invalid(vec![domain::FieldError::new(
                "by", "unknown",
            )]))
        })?,
    };
    let (first, end) = domain::figures::period(from.as_deref(), to.as_deref(), today)
        .map_err(|e| fail(AppError::Invalid(e)))?;
    store::stats::report(&state()?.pool, &user, dimension, first, end)
        .await
        .map_err(fail)
}

/// Lines of the ledger shown on one page.
pub const LEDGER_PAGE: i64 = 100;

/// One page of the ledger or of one of the three lists, with the total the
/// filter selects; `before` and `first` continue from a previous page.
#[server(endpoint = "get_ledger")]
pub async fn get_ledger(
    #[server(default)] filter: domain::ledger::RawFilter,
    before: Option<String>,
    first: Option<String>,
) -> Result<crate::pages::ledger::LedgerPage, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let (list, parsed) = filter.parse().map_err(|e| fail(AppError::Invalid(e)))?;
    let pool = &state()?.pool;
    let ctx = store::ledger::Context::load(pool, chrono::Utc::now()).await?;
    let before = before.and_then(|b| b.trim().parse().ok());
    let total = store::ledger::count(pool, &user, &parsed, &ctx).await?;
    let mut lines = Vec::new();
    let mut cursor = before;
    // Overdue lines are picked out of whole pages: read on until the page is full.
    let next = loop {
        let (mut got, next) =
            store::ledger::page(pool, &user, &parsed, &ctx, cursor, LEDGER_PAGE).await?;
        lines.append(&mut got);
        match next {
            Some(id) if (lines.len() as i64) < LEDGER_PAGE => cursor = Some(id),
            other => break other,
        }
    };
    Ok(crate::pages::ledger::LedgerPage {
        list,
        lines,
        total,
        first: first.and_then(|f| f.trim().parse().ok()).unwrap_or(1),
        next,
    })
}

/// The grid view of a region node (the top of the caller's area by default).
#[server(endpoint = "get_grid")]
pub async fn get_grid(node: Option<String>) -> Result<domain::view::GridView, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let node = match node.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        None => None,
        Some(n) => Some(id("node", n)?),
    };
    store::grid::view(&state()?.pool, &user, node, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// Imports a branch of the region tree from CSV (上级,层级,名称); a file
/// with any bad line imports nothing and the report names every bad line.
#[server(endpoint = "import_regions")]
pub async fn import_regions(csv: String) -> Result<domain::view::ImportReport, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageRegions).await?;
    store::regions::import(&state()?.pool, &user, &csv, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// Adds a node below `parent` (one level deeper).
#[server(endpoint = "add_region")]
pub async fn add_region(parent: String, name: String) -> Result<i64, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageRegions).await?;
    store::regions::add(
        &state()?.pool,
        &user,
        id("parent", &parent)?,
        &name,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

#[server(endpoint = "rename_region")]
pub async fn rename_region(region: String, name: String) -> Result<(), AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageRegions).await?;
    store::regions::rename(
        &state()?.pool,
        &user,
        id("region", &region)?,
        &name,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Moves a node (with everything below it) under a new parent.
#[server(endpoint = "move_region")]
pub async fn move_region(region: String, parent: String) -> Result<(), AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageRegions).await?;
    store::regions::move_node(
        &state()?.pool,
        &user,
        id("region", &region)?,
        id("parent", &parent)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Retires a node and its subtree (refused while cases are open there or
/// accounts or stations sit there); returns how many nodes were retired.
#[server(endpoint = "retire_region")]
pub async fn retire_region(region: String) -> Result<i64, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageRegions).await?;
    store::regions::retire(
        &state()?.pool,
        &user,
        id("region", &region)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Writes a micro-wish down (collected, not yet on the wall).
#[server(endpoint = "collect_wish")]
pub async fn collect_wish(
    title: String,
    detail: String,
    region_id: String,
    resident_name: String,
    resident_phone: String,
) -> Result<i64, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageWishes).await?;
    let new = domain::wish::NewWish {
        title,
        detail,
        region_id: id("region_id", &region_id)?,
        resident_name,
        resident_phone,
    };
    store::wishes::collect(&state()?.pool, &user, &new, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// Takes a wish one step: verify, claim (with the claimant), cancel_claim,
/// fulfil, confirm or withdraw.
#[server(endpoint = "wish_action")]
pub async fn wish_action(
    wish: String,
    action: String,
    claimant: Option<String>,
) -> Result<(), AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageWishes).await?;
    let action = domain::wish::WishAction::parse(&action).ok_or_else(|| {
        fail(AppError::Invalid(vec![domain::FieldError::new(
            "action", "unknown",
        )]))
    })?;
    store::wishes::act(
        &state()?.pool,
        &user,
        id("wish", &wish)?,
        action,
        claimant.as_deref().unwrap_or_default(),
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

#[server(endpoint = "list_wishes")]
pub async fn list_wishes() -> Result<Vec<domain::wish::Wish>, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageWishes).await?;
    store::wishes::list(&state()?.pool, &user)
        .await
        .map_err(fail)
}

/// The public wish wall: no sign-in, names masked.
#[server(endpoint = "get_wall")]
pub async fn get_wall() -> Result<Vec<domain::wish::WallWish>, AppError> {
    use ssr::*;
    store::wishes::wall(&state()?.pool).await.map_err(fail)
}

/// A station and the leaders and deputies attached to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationChoice {
    pub station: domain::view::Named,
    pub members: Vec<domain::view::Named>,
}

#[server(endpoint = "list_stations")]
pub async fn list_stations() -> Result<Vec<StationChoice>, AppError> {
    use ssr::*;
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
    use ssr::*;
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
    use ssr::*;
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
    use ssr::*;
    let user = authorize(domain::Permission::ManageSessions).await?;
    store::sessions::candidates(&state()?.pool, &user, id("station", &station)?)
        .await
        .map_err(fail)
}

/// Attaches a deputy or assigns a leader to a station.
#[server(endpoint = "attach_member")]
pub async fn attach_member(station: String, member: String) -> Result<(), AppError> {
    use ssr::*;
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
    use ssr::*;
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
) -> Result<Receipt, AppError> {
    use ssr::*;
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
    use ssr::*;
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
    use ssr::*;
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
    use ssr::*;
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
    use ssr::*;
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
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    store::sessions::mine(&state()?.pool, &user, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// Issues a supervision letter (督办函) for an overdue case; supervision office only.
#[server(endpoint = "issue_letter")]
pub async fn issue_letter(
    code: String,
    demand: String,
    reply_days: String,
) -> Result<(), AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::IssueLetter).await?;
    let days = id("reply_days", &reply_days)?;
    let letter = store::supervision::issue_letter(
        &state()?.pool,
        &user,
        &parse_code(&code)?,
        &demand,
        days,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    leptos_axum::redirect(&format!("/letters/{}", letter.id));
    Ok(())
}

#[server(endpoint = "get_letter")]
pub async fn get_letter(letter: String) -> Result<domain::view::Letter, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let letter_id = ssr::id("letter", &letter)?;
    store::supervision::letter_by_id(&state()?.pool, &user, letter_id)
        .await
        .map_err(fail)
}

/// Open311 clients' keys; administrators only.
#[server(endpoint = "list_api_keys")]
pub async fn list_api_keys() -> Result<Vec<domain::view::ApiKey>, AppError> {
    ssr::authorize(domain::Permission::ManageApiKeys).await?;
    Ok(store::open311::keys(&ssr::state()?.pool).await?)
}

/// Issues a key for the client `name`; the key is in the answer and nowhere else.
#[server(endpoint = "create_api_key")]
pub async fn create_api_key(name: String) -> Result<String, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageApiKeys).await?;
    let by = store::cases::By::user(&user);
    store::open311::create_key(&state()?.pool, &by, &name, chrono::Utc::now())
        .await
        .map_err(fail)
}

#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(name: String) -> Result<(), AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageApiKeys).await?;
    let by = store::cases::By::user(&user);
    store::open311::revoke_key(&state()?.pool, &by, &name, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// The audit trail of a case (by tracking code) or of a user (by username),
/// with the state of the whole chain; administrators and supervisors only.
#[server(endpoint = "get_audit")]
pub async fn get_audit(
    case: Option<String>,
    user: Option<String>,
) -> Result<domain::view::AuditView, AppError> {
    use ssr::*;
    let reader = authorize(domain::Permission::ViewAudit).await?;
    let pool = state()?.pool;
    let entries = match (
        case.filter(|c| !c.trim().is_empty()),
        user.filter(|u| !u.trim().is_empty()),
    ) {
        (Some(code), _) => {
            let code = parse_code(&code)?;
            store::audit::for_case(&pool, &reader, &code)
                .await
                .map_err(fail)?
        }
        (None, Some(name)) => match store::users::find_by_username(&pool, name.trim()).await? {
            Some(u) => store::audit::for_person(&pool, &reader, &u, 500).await?,
            None => return Err(fail(AppError::NotFound)),
        },
        (None, None) => vec![],
    };
    let chain = store::audit::verify(&pool).await?;
    Ok(domain::view::AuditView {
        entries: entries
            .into_iter()
            .map(|e| domain::view::AuditEntry {
                id: e.id,
                at: e.at,
                actor: e.actor,
                action: e.action,
                entity: e.entity,
                entity_id: e.entity_id,
                before: e.before,
                after: e.after,
            })
            .collect(),
        intact: chain.as_ref().ok().copied(),
        broken_at: chain.err().map(|b| b.id),
    })
}

/// What the account pages need: every account and the seats to pick from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounts {
    pub accounts: Vec<domain::view::Account>,
    pub regions: Vec<domain::view::RegionOption>,
    pub units: Vec<domain::view::Named>,
    pub stations: Vec<domain::view::Named>,
}

#[server(endpoint = "list_accounts")]
pub async fn list_accounts() -> Result<Accounts, AppError> {
    use ssr::*;
    authorize(domain::Permission::ManageUsers).await?;
    let pool = state()?.pool;
    let options = store::reference::options(&pool, None).await?;
    Ok(Accounts {
        accounts: store::users::list(&pool).await?,
        regions: options.areas,
        units: options.units,
        stations: options.stations,
    })
}

/// The form's fields as an account; an empty picker is no seat.
#[cfg(feature = "ssr")]
fn account_form(
    username: String,
    display_name: String,
    role: &str,
    region_id: Option<String>,
    unit_id: Option<String>,
    station_id: Option<String>,
) -> Result<domain::account::AccountForm, AppError> {
    let role = domain::Role::parse(role).ok_or_else(|| {
        ssr::fail(AppError::Invalid(vec![domain::FieldError::new(
            "role", "required",
        )]))
    })?;
    let pick = |v: Option<String>| v.and_then(|v| v.trim().parse().ok());
    Ok(domain::account::AccountForm {
        username,
        display_name,
        role,
        region_id: pick(region_id),
        unit_id: pick(unit_id),
        station_id: pick(station_id),
    })
}

/// Creates an account; the answer is its initial password, shown once.
#[server(endpoint = "create_account")]
pub async fn create_account(
    username: String,
    display_name: String,
    role: String,
    region_id: Option<String>,
    unit_id: Option<String>,
    station_id: Option<String>,
) -> Result<String, AppError> {
    use ssr::*;
    let me = authorize(domain::Permission::ManageUsers).await?;
    let form = account_form(
        username,
        display_name,
        &role,
        region_id,
        unit_id,
        station_id,
    )?;
    let by = store::cases::By::user(&me);
    let (_, password) = store::users::create(&state()?.pool, &by, form, chrono::Utc::now())
        .await
        .map_err(fail)?;
    Ok(password)
}

#[server(endpoint = "update_account")]
pub async fn update_account(
    account: String,
    display_name: String,
    role: String,
    region_id: Option<String>,
    unit_id: Option<String>,
    station_id: Option<String>,
) -> Result<(), AppError> {
    use ssr::*;
    let me = authorize(domain::Permission::ManageUsers).await?;
    let id = ssr::id("account", &account)?;
    // The username cannot change; the store keeps the stored one.
    let form = account_form(
        String::new(),
        display_name,
        &role,
        region_id,
        unit_id,
        station_id,
    )?;
    let by = store::cases::By::user(&me);
    store::users::update(&state()?.pool, &by, id, form, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// An administrator's action on an account: `reset` (answers the new
/// temporary password), `sign_out`, `disable` or `enable`.
#[server(endpoint = "account_action")]
pub async fn account_action(account: String, action: String) -> Result<Option<String>, AppError> {
    use ssr::*;
    let me = authorize(domain::Permission::ManageUsers).await?;
    let id = ssr::id("account", &account)?;
    let (pool, by, now) = (
        state()?.pool,
        store::cases::By::user(&me),
        chrono::Utc::now(),
    );
    let done = match action.as_str() {
        "reset" => store::users::reset_password(&pool, &by, id, now)
            .await
            .map(Some),
        "sign_out" => store::users::sign_out_everywhere(&pool, &by, id, now)
            .await
            .map(|_| None),
        "disable" | "enable" => {
            store::users::set_disabled(&pool, &by, id, action == "disable", now)
                .await
                .map(|_| None)
        }
        _ => {
            return Err(fail(AppError::Invalid(vec![domain::FieldError::new(
                "action", "unknown",
            )])));
        }
    };
    done.map_err(fail)
}

/// The signed-in user changes their own password; their other sessions end,
/// this one stays.
#[server(endpoint = "change_password")]
pub async fn change_password(
    old_password: String,
    new_password: String,
    repeat_password: String,
) -> Result<(), AppError> {
    use ssr::*;
    let me = authorize(domain::Permission::OwnAccount).await?;
    if new_password != repeat_password {
        return Err(fail(AppError::Invalid(vec![domain::FieldError::new(
            "repeat_password",
            "password_mismatch",
        )])));
    }
    let epoch = store::users::change_password(
        &state()?.pool,
        me.id,
        &old_password,
        &new_password,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    let session = session().await?;
    session.cycle_id().await.map_err(|_| AppError::Server)?;
    sign_in_as(&session, me.id, epoch).await?;
    leptos_axum::redirect(home_of(me.role()));
    Ok(())
}

/// Ends every session of the signed-in user, this one included.
#[server(endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use ssr::*;
    let me = authorize(domain::Permission::OwnAccount).await?;
    let by = store::cases::By::user(&me);
    store::users::sign_out_everywhere(&state()?.pool, &by, me.id, chrono::Utc::now())
        .await
        .map_err(fail)?;
    session()
        .await?
        .flush()
        .await
        .map_err(|_| AppError::Server)?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// What the public dual-registration forms offer, with the city's headline.
#[server(endpoint = "party_register_options")]
pub async fn party_register_options() -> Result<domain::party::RegisterOptions, AppError> {
    use ssr::*;
    store::party::register_options(&state()?.pool)
        .await
        .map_err(fail)
}

/// A member's 报到卡 and 登记表 (public; rate-limited like online requests,
/// since each one hashes a password).
#[server(endpoint = "register_member")]
pub async fn register_member(
    username: String,
    password: String,
    display_name: String,
    gender: String,
    birth_year: String,
    phone: String,
    home_id: String,
    address: String,
    work_unit_id: String,
    position: String,
    joined_party: String,
    skills: String,
) -> Result<(), AppError> {
    use ssr::*;
    let st = state()?;
    throttle("report", st.reports).await?;
    let form = domain::party::MemberForm {
        username,
        password,
        display_name,
        gender,
        birth_year,
        phone,
        home_id,
        address,
        work_unit_id,
        position,
        joined_party,
        skills,
    };
    store::party::register_member(&st.pool, &form, chrono::Utc::now())
        .await
        .map_err(fail)?;
    Ok(())
}

/// A work unit's party organisation registering with a community (public).
#[server(endpoint = "register_unit")]
pub async fn register_unit(
    name: String,
    party_org: String,
    contact_name: String,
    contact_phone: String,
    community_id: String,
    members: String,
) -> Result<(), AppError> {
    use ssr::*;
    let st = state()?;
    throttle("report", st.reports).await?;
    let form = domain::party::UnitForm {
        name,
        party_org,
        contact_name,
        contact_phone,
        community_id,
        members,
    };
    store::party::register_unit(&st.pool, &form, chrono::Utc::now())
        .await
        .map_err(fail)?;
    Ok(())
}

#[server(endpoint = "party_overview")]
pub async fn party_overview() -> Result<domain::party::PartyOverview, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    store::party::overview(&state()?.pool, &user)
        .await
        .map_err(fail)
}

/// Places a party organisation on the tree.
#[server(endpoint = "add_party_org")]
pub async fn add_party_org(
    kind: String,
    name: String,
    region_id: String,
    parent_id: String,
    secretary: String,
    secretary_retired: Option<String>,
    members: String,
) -> Result<i64, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    let invalid = |field: &str, message: &str| {
        fail(AppError::Invalid(vec![domain::FieldError::new(
            field, message,
        )]))
    };
    let new = domain::party::NewOrg {
        kind: domain::party::OrgKind::parse(&kind).ok_or_else(|| invalid("kind", "unknown"))?,
        name,
        region_id: id("region_id", &region_id)?,
        parent_id: parent_id.trim().parse().ok(),
        secretary,
        secretary_retired: secretary_retired.is_some(),
        members: members
            .trim()
            .parse()
            .map_err(|_| invalid("members", "out_of_range"))?,
    };
    store::party::add_org(&state()?.pool, &user, &new, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// The region nodes of the reader's party area, for the organisation form.
#[server(endpoint = "party_places")]
pub async fn party_places() -> Result<Vec<domain::view::RegionOption>, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    let scope = store::access::scope_for(&user, domain::Permission::ManageParty);
    let options = store::reference::options(&state()?.pool, scope.region_path()).await?;
    Ok(options.regions)
}

#[server(endpoint = "party_registrations")]
pub async fn party_registrations() -> Result<Vec<domain::party::Registration>, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    store::party::registrations(&state()?.pool, &user)
        .await
        .map_err(fail)
}

/// Confirms (issuing the receipt) or refuses a member's or unit's registration.
#[server(endpoint = "decide_registration")]
pub async fn decide_registration(
    kind: String,
    registration: String,
    decision: String,
) -> Result<Option<String>, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    let member = match kind.as_str() {
        "member" => true,
        "unit" => false,
        _ => {
            return Err(fail(AppError::Invalid(vec![domain::FieldError::new(
                "kind", "unknown",
            )])));
        }
    };
    let confirm = match decision.as_str() {
        "confirm" => true,
        "refuse" => false,
        _ => {
            return Err(fail(AppError::Invalid(vec![domain::FieldError::new(
                "decision", "unknown",
            )])));
        }
    };
    store::party::decide_registration(
        &state()?.pool,
        &user,
        member,
        id("registration", &registration)?,
        confirm,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// A confirmed registration's receipt (回执): the member's own, or one the
/// community prints.
#[server(endpoint = "party_receipt")]
pub async fn party_receipt(
    kind: String,
    registration: i64,
) -> Result<domain::party::Receipt, AppError> {
    use ssr::*;
    let user = staff().await?;
    store::party::receipt(&state()?.pool, &user, kind != "unit", registration)
        .await
        .map_err(fail)
}

#[server(endpoint = "list_needs")]
pub async fn list_needs() -> Result<Vec<domain::party::Need>, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    store::party::needs(&state()?.pool, &user)
        .await
        .map_err(fail)
}

/// The communities whose need lists the reader keeps.
#[server(endpoint = "need_communities")]
pub async fn need_communities() -> Result<Vec<domain::view::RegionOption>, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    store::party::communities(&state()?.pool, &user)
        .await
        .map_err(fail)
}

#[server(endpoint = "add_need")]
pub async fn add_need(
    community_id: String,
    title: String,
    detail: String,
) -> Result<i64, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    let new = domain::party::NewNeed {
        community_id: id("community_id", &community_id)?,
        title,
        detail,
    };
    store::party::add_need(&state()?.pool, &user, &new, chrono::Utc::now())
        .await
        .map_err(fail)
}

#[server(endpoint = "close_need")]
pub async fn close_need(need: String) -> Result<(), AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    store::party::close_need(
        &state()?.pool,
        &user,
        id("need", &need)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Moves a claim card: approve, refuse, evaluate (the community) or withdraw
/// (its member).
#[server(endpoint = "claim_action")]
pub async fn claim_action(
    claim: String,
    action: String,
    evaluation: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    use ssr::*;
    let action = domain::party::ClaimAction::parse(&action).ok_or_else(|| {
        fail(AppError::Invalid(vec![domain::FieldError::new(
            "action", "unknown",
        )]))
    })?;
    let user = authorize(if action.by_member() {
        domain::Permission::ServeCommunity
    } else {
        domain::Permission::ManageParty
    })
    .await?;
    store::party::act_on_claim(
        &state()?.pool,
        &user,
        id("claim", &claim)?,
        action,
        evaluation.as_deref().and_then(domain::Rating::parse),
        note.as_deref().unwrap_or_default(),
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

#[server(endpoint = "my_service")]
pub async fn my_service() -> Result<domain::party::MyService, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ServeCommunity).await?;
    store::party::my_service(&state()?.pool, &user)
        .await
        .map_err(fail)
}

/// A member signs a claim card (服务清单认领卡) for a need.
#[server(endpoint = "claim_need")]
pub async fn claim_need(need: String, pledge: String) -> Result<i64, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ServeCommunity).await?;
    store::party::claim(
        &state()?.pool,
        &user,
        id("need", &need)?,
        &pledge,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

#[server(endpoint = "log_service")]
pub async fn log_service(
    claim: String,
    served_on: String,
    hours: String,
    note: String,
) -> Result<i64, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ServeCommunity).await?;
    store::party::log_service(
        &state()?.pool,
        &user,
        id("claim", &claim)?,
        &served_on,
        &hours,
        &note,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// The quarterly service report of the reader's area (default: this quarter).
#[server(endpoint = "service_report")]
pub async fn service_report(quarter: String) -> Result<domain::party::ServiceReport, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    let today = chrono::Utc::now()
        .with_timezone(&domain::deadline::china())
        .date_naive();
    let quarter = if quarter.trim().is_empty() {
        domain::party::Quarter::of(today)
    } else {
        domain::party::Quarter::parse(&quarter).ok_or_else(|| {
            fail(AppError::Invalid(vec![domain::FieldError::new(
                "quarter",
                "bad_quarter",
            )]))
        })?
    };
    store::party::report(&state()?.pool, &user, quarter)
        .await
        .map_err(fail)
}

/// A grid worker's own page: visits registered and what is open in the grid.
#[server(endpoint = "my_grid")]
pub async fn my_grid() -> Result<domain::view::MyGrid, AppError> {
    use ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    store::grid::mine(&state()?.pool, &user, chrono::Utc::now())
        .await
        .map_err(fail)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::ssr::forwarded_client;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_behind_a_trusted_balancer_is_its_own_bucket() {
        let lb = [ip("10.0.0.2")];
        // No proxy configured: the peer, whatever the header says.
        assert_eq!(
            forwarded_client(ip("1.2.3.4"), Some("9.9.9.9"), &[]),
            ip("1.2.3.4")
        );
        // From the balancer: the address it saw.
        assert_eq!(
            forwarded_client(ip("10.0.0.2"), Some("1.2.3.4"), &lb),
            ip("1.2.3.4")
        );
        // A client cannot choose its bucket by writing the header itself.
        assert_eq!(
            forwarded_client(ip("10.0.0.2"), Some("6.6.6.6, 1.2.3.4"), &lb),
            ip("1.2.3.4")
        );
        // Straight to an instance, bypassing the balancer: the peer.
        assert_eq!(
            forwarded_client(ip("1.2.3.4"), Some("6.6.6.6"), &lb),
            ip("1.2.3.4")
        );
        // The balancer without a header, or with garbage: the balancer.
        assert_eq!(forwarded_client(ip("10.0.0.2"), None, &lb), ip("10.0.0.2"));
        assert_eq!(
            forwarded_client(ip("10.0.0.2"), Some("junk"), &lb),
            ip("10.0.0.2")
        );
    }
}
