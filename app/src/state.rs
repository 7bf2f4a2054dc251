//! Server-side state handed to server functions through context.

use axum::extract::FromRef;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use leptos::prelude::LeptosOptions;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: store::Pool,
    /// Public lookups per client address, so tracking codes cannot be enumerated.
    #[from_ref(skip)]
    pub lookups: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Online requests per client address, against flooding.
    #[from_ref(skip)]
    pub reports: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

/// Limits of the public endpoints.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub lookups_per_minute: u32,
    pub reports_per_hour: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            lookups_per_minute: 10,
            reports_per_hour: 10,
        }
    }
}

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// Seconds until `limiter` lets `ip` through again, or None if it does now.
pub fn wait_for(limiter: &DefaultKeyedRateLimiter<IpAddr>, ip: IpAddr) -> Option<u64> {
    use governor::clock::{Clock, DefaultClock};
    limiter.check_key(&ip).err().map(|not_until| {
        not_until
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            + 1
    })
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, pool: store::Pool, limits: Limits) -> Self {
        let lookups = Quota::per_minute(at_least_one(limits.lookups_per_minute));
        let reports = Quota::per_hour(at_least_one(limits.reports_per_hour));
        Self {
            leptos_options,
            pool,
            lookups: Arc::new(RateLimiter::keyed(lookups)),
            reports: Arc::new(RateLimiter::keyed(reports)),
        }
    }
}

/// A page's Content-Security-Policy: scripts only from this site or carrying
/// this response's nonce (Leptos puts it on its hydration and data scripts),
/// WebAssembly allowed to compile, no framing.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sends the page's policy with the nonce of the response being rendered.
pub fn content_security_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&page_policy(&nonce)) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}
