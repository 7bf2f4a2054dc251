//! How long browsers may keep the app's files (issue 21). `scripts/build`
//! names the JS, WASM and stylesheet after their content
//! (`lianxin.<16 hex>.wasm`) and lists the names in `hash.txt` beside the
//! binary: a file of that name never changes, so a phone keeps it for a
//! year and asks again only after a new build, which links new names.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// A fingerprinted file never changes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Anything else under `/pkg/` (a build without `hash.txt`) keeps its name
/// from build to build: the browser asks each time whether it changed.
const REVALIDATE: &str = "no-cache";

/// Whether `scripts/build` listed fingerprinted names in `hash.txt` beside
/// the binary, where leptos reads them.
pub fn fingerprinted_build() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").exists()))
        .unwrap_or(false)
}

/// `/pkg/<name>.<16 hex digits>.<ext>[.gz|.br]`.
fn fingerprinted(path: &str) -> bool {
    let Some(file) = path.strip_prefix("/pkg/") else {
        return false;
    };
    file.split('.')
        .any(|part| part.len() == 16 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub async fn cache_control(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    // A name that is missing now may exist after the next deploy: only a
    // file that was found may be kept.
    if path.starts_with("/pkg/") && res.status().is_success() {
        let value = if fingerprinted(&path) {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn cache_of(path: &str) -> (StatusCode, Option<String>) {
        let app = Router::new()
            .route(
                "/pkg/{file}",
                get(
                    |axum::extract::Path(file): axum::extract::Path<String>| async move {
                        if file.contains("0000000000000000") {
                            (StatusCode::NOT_FOUND, "")
                        } else {
                            (StatusCode::OK, "bytes")
                        }
                    },
                ),
            )
            .route("/track", get(|| async { "page" }))
            .layer(axum::middleware::from_fn(cache_control));
        let res = app
            .oneshot(axum::http::Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let cache = res
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap().to_string());
        (res.status(), cache)
    }

    #[tokio::test]
    async fn fingerprinted_files_are_kept_a_year_and_nothing_else_is() {
        for path in [
            "/pkg/lianxin.3f2a9c0d1e4b5a69.wasm",
            "/pkg/lianxin.3f2a9c0d1e4b5a69.js",
            "/pkg/lianxin.00ff00ff00ff00ff.css",
        ] {
            assert_eq!(cache_of(path).await.1.as_deref(), Some(IMMUTABLE), "{path}");
        }
        assert_eq!(
            cache_of("/pkg/lianxin.wasm").await.1.as_deref(),
            Some(REVALIDATE)
        );
        // Not sixteen hex digits: not a fingerprint.
        assert_eq!(
            cache_of("/pkg/lianxin.3f2a9c0d1e4b5a6.js")
                .await
                .1
                .as_deref(),
            Some(REVALIDATE)
        );
        // A name the next build may bring must not be remembered as missing.
        assert_eq!(
            cache_of("/pkg/lianxin.0000000000000000.js").await,
            (StatusCode::NOT_FOUND, None)
        );
        assert_eq!(cache_of("/track").await.1, None);
    }
}
