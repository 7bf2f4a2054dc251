//! What the server's benches share: percentiles and signing in.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use std::time::Duration;
use tower::ServiceExt;

/// The `p` quantile (0–1) of `sorted`.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Signs `username` in with the demo password; the session cookie.
pub async fn sign_in(app: &Router, username: &str) -> String {
    let req = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(format!(
            "username={username}&password=lianxin-demo"
        )))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// A photo folder for the bench's router (the benches upload none).
pub fn photos() -> server::photos::PhotoStore {
    let dir = std::env::temp_dir().join(format!("lianxin_bench_photos_{}", std::process::id()));
    server::photos::PhotoStore::open(&dir.to_string_lossy()).expect("photo folder")
}
