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
    pub lookups: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, pool: store::Pool, lookups_per_minute: u32) -> Self {
        let quota =
            Quota::per_minute(NonZeroU32::new(lookups_per_minute).unwrap_or(NonZeroU32::MIN));
        Self {
            leptos_options,
            pool,
            lookups: Arc::new(RateLimiter::keyed(quota)),
        }
    }
}
