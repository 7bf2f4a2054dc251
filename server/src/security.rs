//! Response headers every answer carries, and the same-origin rule for
//! state-changing requests (against cross-site request forgery).
//!
//! Pages set their own Content-Security-Policy with the response's nonce
//! (see `app::state::content_security_policy`); everything else gets a policy
//! that allows nothing to run.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// For responses that are not pages (JSON, XML, files): nothing may run or embed them.
const DEFAULT_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

pub async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = [
        (header::CONTENT_SECURITY_POLICY, DEFAULT_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Tracking codes are in some paths; they must not leak to other sites.
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    for (name, value) in set {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    res
}

/// Whether an `Origin` names the host the request was sent to, or the
/// configured public address (behind a proxy that rewrites `Host`).
fn same_origin(origin: &str, host: Option<&str>, public_url: Option<&str>) -> bool {
    let origin = origin.trim_end_matches('/');
    let bare = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let by_host = bare
        .zip(host)
        .is_some_and(|(o, h)| o.eq_ignore_ascii_case(h));
    let by_config =
        public_url.is_some_and(|u| u.trim_end_matches('/').eq_ignore_ascii_case(origin));
    by_host || by_config
}

/// Refuses state-changing requests a browser sent from another site: the
/// `Origin` must be ours, or, without one, `Sec-Fetch-Site` must not say
/// cross-site. Clients that are not browsers send neither and pass; the
/// Open311 API authenticates by key, not by cookie, and is left alone.
pub async fn csrf(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || req.uri().path().starts_with("/open311/") {
        return next.run(req).await;
    }
    let h = req.headers();
    let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
    let public_url = std::env::var("LIANXIN_PUBLIC_URL").ok();
    let cross_site = match text("origin") {
        Some(origin) => !same_origin(origin, text("host"), public_url.as_deref()),
        None => text("sec-fetch-site") == Some("cross-site"),
    };
    if cross_site {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    next.run(req).await
}

/// Whether session cookies carry `Secure`: `LIANXIN_SECURE_COOKIES` when set,
/// else whether the public address is https (TLS ends at a proxy in front).
pub fn secure_cookies() -> bool {
    match std::env::var("LIANXIN_SECURE_COOKIES").ok().as_deref() {
        Some("1" | "true" | "yes") => true,
        Some("0" | "false" | "no") => false,
        _ => std::env::var("LIANXIN_PUBLIC_URL").is_ok_and(|u| u.starts_with("https://")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_the_host_or_the_public_address() {
        assert!(same_origin(
            "http://127.0.0.1:3000",
            Some("127.0.0.1:3000"),
            None
        ));
        assert!(same_origin(
            "https://Lianxin.example.cn",
            Some("lianxin.example.cn"),
            None
        ));
        assert!(!same_origin(
            "https://evil.example",
            Some("127.0.0.1:3000"),
            None
        ));
        assert!(!same_origin("null", Some("127.0.0.1:3000"), None));
        assert!(same_origin(
            "https://lianxin.example.cn",
            Some("10.0.0.7:3000"),
            Some("https://lianxin.example.cn/")
        ));
    }
}
