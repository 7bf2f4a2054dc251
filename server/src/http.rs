//! The HTTP surface: the Leptos app, its server functions, and `/healthz`.

use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_sessions::cookie::SameSite;
use tower_sessions::{ExpiredDeletion, Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;

async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if store::ping(&state.pool).await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

/// The whole app as a router, so tests can drive it without a socket.
pub async fn router(state: AppState) -> Result<Router, sqlx::Error> {
    let sessions = SqliteStore::new(state.pool.clone());
    sessions.migrate().await?;
    tokio::spawn(
        sessions
            .clone()
            .continuously_delete_expired(tokio::time::Duration::from_secs(600)),
    );
    let sessions = SessionManagerLayer::new(sessions)
        .with_name("lianxin")
        .with_secure(false)
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::hours(8),
        ));
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    Ok(Router::new()
        .route("/healthz", get(healthz))
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(sessions)
        .with_state(state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, header};
    use http_body_util::BodyExt;
    use leptos::prelude::LeptosOptions;
    use tower::ServiceExt;

    async fn app() -> (Router, store::Pool) {
        let pool = store::connect("sqlite::memory:").await.unwrap();
        store::migrate(&pool).await.unwrap();
        store::demo::load(&pool, false, chrono::Utc::now())
            .await
            .unwrap();
        let options = LeptosOptions::builder().output_name("lianxin").build();
        (
            router(AppState::new(options, pool.clone(), 3))
                .await
                .unwrap(),
            pool,
        )
    }

    async fn body(res: axum::response::Response) -> String {
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    }

    fn form(uri: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
        let mut req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.body(Body::from(body.to_string())).unwrap()
    }

    #[tokio::test]
    async fn healthz_answers_when_the_database_does() {
        let (app, pool) = app().await;
        let res = app
            .clone()
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        pool.close().await;
        let res = app
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn pages_render_on_the_server_in_chinese() {
        let (app, _) = app().await;
        let res = app
            .clone()
            .oneshot(Request::get("/track").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let html = body(res).await;
        assert!(html.contains("办理进度查询"), "{html}");
        let res = app
            .oneshot(Request::get("/no/such/page").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn server_functions_check_the_caller() {
        let (app, _) = app().await;
        let res = app
            .clone()
            .oneshot(form("/api/list_cases", "overdue=false", None))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let res = app
            .clone()
            .oneshot(form("/api/login", "username=director&password=wrong", None))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = app
            .clone()
            .oneshot(form(
                "/api/login",
                "username=director&password=lianxin-demo",
                None,
            ))
            .await
            .unwrap();
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "{}",
            res.status()
        );
        let cookie = res
            .headers()
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let res = app
            .clone()
            .oneshot(form("/api/list_cases", "overdue=false", Some(&cookie)))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let listed = body(res).await;
        assert!(listed.contains("袁家庄社区"));
        assert!(
            !listed.contains("交通路社区"),
            "a director sees only their community"
        );
        let res = app
            .oneshot(form("/api/get_case", "code=ABCD", Some(&cookie)))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn public_lookups_are_rate_limited_and_never_say_which_part_was_wrong() {
        let (app, pool) = app().await;
        let code: String = sqlx::query_scalar("SELECT code FROM cases ORDER BY id LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
        let lookup = |body: String| form("/api/track_lookup", &body, None);
        let res = app
            .clone()
            .oneshot(lookup(format!("code={code}&factor=0000000")))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(body(res).await.contains("LookupFailed"));
        // A well-formed code that does not exist answers exactly like a wrong factor.
        let res = app
            .clone()
            .oneshot(lookup("code=2222-2222&factor=1234".into()))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(body(res).await.contains("LookupFailed"));
        let res = app
            .clone()
            .oneshot(lookup("code=2222-2222&factor=5678".into()))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        // The quota in these tests is 3 a minute: the fourth is refused whatever it asks.
        let res = app
            .clone()
            .oneshot(lookup(format!("code={code}&factor=1234")))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(body(res).await.contains("RateLimited"));
    }
}
