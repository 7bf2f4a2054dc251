//! Server-side state handed to server functions through context.

use axum::extract::FromRef;
use domain::throttle::Quota;
use leptos::prelude::LeptosOptions;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: store::Pool,
    /// Public lookups per client address, so tracking codes cannot be
    /// enumerated (counted in the database: one quota across instances).
    #[from_ref(skip)]
    pub lookups: Quota,
    /// Online requests and party registrations per client address, against flooding.
    #[from_ref(skip)]
    pub reports: Quota,
    /// Public figures, per area at most once a minute.
    #[from_ref(skip)]
    pub figures: std::sync::Arc<store::stats::FiguresCache>,
}

/// How long public figures are served from the cache.
pub const FIGURES_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(60);

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

impl AppState {
    pub fn new(leptos_options: LeptosOptions, pool: store::Pool, limits: Limits) -> Self {
        Self {
            leptos_options,
            pool,
            lookups: Quota::per_minute(limits.lookups_per_minute),
            reports: Quota::per_hour(limits.reports_per_hour),
            figures: std::sync::Arc::new(store::stats::FiguresCache::new(FIGURES_FRESH_FOR)),
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
