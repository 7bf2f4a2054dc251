//! What every server function shares on the server: the session, the
//! caller, the client's address, the app's state.

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
/// What this browser typed into the online form when it was refused
/// (`super::public::ReportDraft`), until the form is shown again.
pub const REPORT_DRAFT_KEY: &str = "report_draft";

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
async fn session_user(session: &Session, pool: &store::Pool) -> Result<Option<UserRow>, AppError> {
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

/// The staff member of a server function's request, if signed in.
pub async fn signed_in() -> Result<Option<UserRow>, AppError> {
    let mut parts =
        leptos::prelude::use_context::<http::request::Parts>().ok_or(AppError::Server)?;
    Ok(Staff::read(&mut parts, &state()?).await?.map(|s| s.0))
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

/// The signed-in staff member: the session's account while it is enabled
/// and has not been signed out everywhere since. The one way every endpoint
/// learns who calls: server functions (through `staff` and `authorize`),
/// the exports, the live stream and the calendar feeds take it as an axum
/// extractor (401 without it), then `permit` checks the permission matrix;
/// the store checks the scope case by case.
pub struct Staff(pub UserRow);

impl Staff {
    /// The member if their role may do `permission` at all (403 otherwise;
    /// an initial or reset password allows nothing but changing it).
    pub fn permit(self, permission: domain::Permission) -> Result<UserRow, AppError> {
        check(&self.0, permission)?;
        Ok(self.0)
    }

    async fn read<S: Send + Sync>(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Option<Self>, AppError>
    where
        AppState: axum::extract::FromRef<S>,
    {
        use axum::extract::{FromRef, FromRequestParts};
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, why)| {
                tracing::error!(why, "no session layer");
                AppError::Server
            })?;
        let pool = AppState::from_ref(state).pool;
        Ok(session_user(&session, &pool).await?.map(Self))
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Staff
where
    AppState: axum::extract::FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        Self::read(parts, state)
            .await?
            .ok_or(AppError::Unauthorized)
    }
}

/// Signed in or not, for endpoints that also answer otherwise (a calendar
/// feed's private address).
impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Staff
where
    AppState: axum::extract::FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Option<Self>, AppError> {
        Self::read(parts, state).await
    }
}

/// The signed-in staff member of a server function's request, or 401.
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
    Staff(staff().await?).permit(permission)
}

/// A single tracking code argument, read as a form's `code` field is.
pub fn parse_code(raw: &str) -> Result<domain::TrackingCode, AppError> {
    let mut reader = domain::form::Reader::default();
    let code = reader.code("code", raw);
    reader.finish(|| code).map_err(invalid)
}

/// A form's field errors, answered as `fail` answers them.
pub fn invalid(errors: Vec<domain::FieldError>) -> AppError {
    fail(AppError::Invalid(errors))
}

/// A single id argument, read as a form's id field is.
pub fn id(field: &str, raw: &str) -> Result<i64, AppError> {
    let mut reader = domain::form::Reader::default();
    let id = reader.id(field, raw);
    reader.finish(|| id).map_err(invalid)
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

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::forwarded_client;
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
