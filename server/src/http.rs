//! The HTTP surface: the Leptos app, its server functions, and `/healthz`.

use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio_util::sync::CancellationToken;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// For load balancers and monitoring: 503 while the database does not
/// answer (take this instance out); 200 otherwise, with `degraded` in the
/// body while the database takes no writes or the background jobs fail or
/// stop finishing (it still serves requests, but someone should look).
async fn healthz(
    State(state): State<AppState>,
    axum::Extension(jobs): axum::Extension<crate::jobs::JobsHealth>,
) -> (StatusCode, axum::Json<serde_json::Value>) {
    use crate::jobs::JobsState;
    use store::DbHealth;
    let database = store::health(&state.pool).await;
    let (jobs_ok, jobs) = match jobs.state() {
        JobsState::Ok => (true, "ok".to_string()),
        JobsState::NotRunning => (true, "not_running".to_string()),
        JobsState::Failing(why) => (false, format!("failing: {why}")),
        JobsState::Stalled => (false, "stalled".to_string()),
    };
    let (code, status) = match (database, jobs_ok) {
        (DbHealth::Unreachable, _) => (StatusCode::SERVICE_UNAVAILABLE, "down"),
        // Reads still work (and every instance shares the database): keep
        // serving, but say so.
        (DbHealth::ReadOnly, _) | (DbHealth::Ok, false) => (StatusCode::OK, "degraded"),
        (DbHealth::Ok, true) => (StatusCode::OK, "ok"),
    };
    // Texts waiting to go out, due or not: a backlog that only grows says
    // the SMS gateway refuses or is unreachable (each try is in the log).
    let texts_waiting = match database {
        DbHealth::Unreachable => None,
        _ => store::outbox::waiting(&state.pool).await.ok(),
    };
    let body = serde_json::json!({
        "status": status,
        "database": match database {
            DbHealth::Ok => "ok",
            DbHealth::ReadOnly => "read_only",
            DbHealth::Unreachable => "unreachable",
        },
        "jobs": jobs,
        "texts_waiting": texts_waiting,
    });
    (code, axum::Json(body))
}

/// The largest request body any route accepts.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The cookie leptos_i18n reads the chosen language from.
pub(crate) const LANGUAGE_COOKIE: &str = "i18n_pref_locale";

#[derive(serde::Deserialize)]
struct Back {
    back: Option<String>,
}

/// `GET /lang/{zh|en}?back=/path`: the language switch of a page sent
/// without the app (a resident's page, or any page with JavaScript off):
/// sets the cookie the app reads its language from and returns to the page.
async fn switch_language(
    axum::extract::Path(locale): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<Back>,
) -> axum::response::Response {
    use axum::http::header::{LOCATION, SET_COOKIE};
    use axum::response::IntoResponse;
    if !matches!(locale.as_str(), "zh" | "en") {
        return (StatusCode::NOT_FOUND, "no such language").into_response();
    }
    // Back to a page of this site only: never another site (an open
    // redirect), never anything a header cannot carry.
    let back = q
        .back
        .filter(|b| {
            b.starts_with('/')
                && !b.starts_with("//")
                && !b.starts_with("/\\")
                && b.bytes().all(|c| c.is_ascii_graphic())
        })
        .unwrap_or_else(|| "/".into());
    (
        StatusCode::SEE_OTHER,
        [
            (LOCATION, back),
            (
                SET_COOKIE,
                format!("{LANGUAGE_COOKIE}={locale}; Path=/; Max-Age=31536000; SameSite=Lax"),
            ),
        ],
    )
        .into_response()
}

/// The whole app as a router, so tests can drive it without a socket.
pub async fn router(
    state: AppState,
    photos: crate::photos::PhotoStore,
) -> Result<Router, store::StoreError> {
    router_until(
        state,
        photos,
        CancellationToken::new(),
        crate::jobs::JobsHealth::default(),
        crate::pagecache::FRESH_FOR,
    )
    .await
}

/// The app whose long-lived responses (the boards' event streams) end when
/// `shutdown` is cancelled, so a graceful shutdown does not wait on them;
/// `/healthz` reports on `jobs`; residents' pages are kept for `page_cache`
/// (zero: never).
pub async fn router_until(
    state: AppState,
    photos: crate::photos::PhotoStore,
    shutdown: CancellationToken,
    jobs: crate::jobs::JobsHealth,
    page_cache: std::time::Duration,
) -> Result<Router, store::StoreError> {
    let store = crate::sessions::Sessions::open(&state.pool).await?;
    let sessions = SessionManagerLayer::new(store.clone())
        .with_name("lianxin")
        .with_secure(crate::security::secure_cookies())
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::hours(8),
        ));
    use tower_http::compression::Predicate as _;
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let hub = crate::live::Hub::start(state.pool.clone(), shutdown).await?;
    // No request body is larger than a city's region-tree import (tens of
    // thousands of lines, percent-encoded); refuse the rest before reading
    // it (413), whichever route it is sent to. Photo uploads have their own
    // bound, a full set of the largest photos.
    let limited = Router::new()
        .route("/healthz", get(healthz))
        .route("/lang/{locale}", get(switch_language))
        .route("/api/board/events", get(crate::live::events))
        .route("/api/to-do/events", get(crate::live::to_do_events))
        .merge(crate::open311::routes(crate::open311::Config::from_env()))
        .merge(crate::api_v1::routes())
        .merge(crate::exports::routes())
        .merge(crate::calendar::routes())
        .merge(crate::photos::routes())
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ));
    let uploads = crate::photos::upload_routes()
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::photos::MAX_UPLOAD_BYTES,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            crate::photos::MAX_UPLOAD_BYTES,
        ));
    Ok(uploads
        .merge(limited)
        .layer(axum::Extension(photos))
        .layer(axum::Extension(hub))
        .layer(axum::Extension(jobs))
        // The board stream checks that its session still exists.
        .layer(axum::Extension(store))
        .layer(sessions)
        .layer(axum::middleware::from_fn(crate::security::csrf))
        .layer(axum::middleware::from_fn(crate::security::headers))
        .layer(axum::middleware::from_fn(crate::assets::cache_control))
        // Pages, JSON and exports compressed for clients that accept it (the
        // app's files are sent precompressed, the boards' event streams never
        // compressed: each event must leave at once).
        .layer(
            tower_http::compression::CompressionLayer::new()
                // Brotli's default, 11, takes tens of milliseconds of a core
                // for a 200 KB page; 4 takes a few, for a few percent more
                // bytes. Compression runs on the request's thread.
                .quality(tower_http::compression::CompressionLevel::Precise(4))
                .compress_when(tower_http::compression::DefaultPredicate::new().and(
                    // A workbook is a zip already; its length drives the
                    // download's progress bar.
                    tower_http::compression::predicate::NotForContentType::const_new(
                        crate::exports::XLSX,
                    ),
                )),
        )
        // Outermost: a kept resident's page is sent without the work of any
        // layer above (its headers were kept with it).
        .layer(axum::middleware::from_fn_with_state(
            (
                crate::pagecache::PageCache::new(page_cache),
                state.pool.clone(),
            ),
            crate::pagecache::serve,
        ))
        .with_state(state))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, header};
    use http_body_util::BodyExt;
    use leptos::prelude::LeptosOptions;
    use tower::ServiceExt;

    /// The app on a fresh demo database (SQLite, or PostgreSQL when
    /// `LIANXIN_TEST_DATABASE` names one); the database lives as long as
    /// the returned guard.
    pub(crate) async fn app() -> (Router, store::Pool, store::testing::TestDb) {
        let db = store::testing::TestDb::new().await;
        let pool = db.pool.clone();
        store::demo::load(&pool, false, chrono::Utc::now())
            .await
            .unwrap();
        let options = LeptosOptions::builder().output_name("lianxin").build();
        (
            router(
                AppState::new(
                    options,
                    pool.clone(),
                    app::state::Limits {
                        lookups_per_minute: 3,
                        reports_per_hour: 2,
                    },
                ),
                test_photos(),
            )
            .await
            .unwrap(),
            pool,
            db,
        )
    }

    /// One photo folder per test process (photos have random names).
    pub(crate) fn test_photos() -> crate::photos::PhotoStore {
        let dir = std::env::temp_dir().join(format!("lianxin_photos_{}", std::process::id()));
        crate::photos::PhotoStore::open(&dir.to_string_lossy()).unwrap()
    }

    pub(crate) async fn body(res: axum::response::Response) -> String {
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    }

    pub(crate) fn form(uri: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
        let mut req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.body(Body::from(body.to_string())).unwrap()
    }

    /// Signs in and returns the session cookie.
    pub(crate) async fn sign_in(app: &Router, username: &str, password: &str) -> String {
        let res = app
            .clone()
            .oneshot(form(
                "/api/login",
                &format!("username={username}&password={password}"),
                None,
            ))
            .await
            .unwrap();
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "{username}: {}",
            res.status()
        );
        session_cookie(&res).unwrap()
    }

    #[tokio::test]
    async fn healthz_answers_when_the_database_does() {
        let (app, pool, _db) = app().await;
        let res = app
            .clone()
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let said = body(res).await;
        assert!(said.contains(r#""status":"ok""#), "{said}");
        assert!(said.contains(r#""texts_waiting":0"#), "{said}");
        pool.close().await;
        let res = app
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(body(res).await.contains(r#""database":"unreachable""#));
    }

    #[tokio::test]
    async fn healthz_says_degraded_while_the_background_jobs_fail() {
        let db = store::testing::TestDb::new().await;
        let health = crate::jobs::JobsHealth::default();
        let job = crate::jobs::every(
            "test",
            std::time::Duration::from_secs(3600),
            health.clone(),
            || async { Err("reminders: database or disk is full".to_string()) },
        );
        while health.state() == crate::jobs::JobsState::Ok {
            tokio::task::yield_now().await;
        }
        let options = LeptosOptions::builder().output_name("lianxin").build();
        let app = router_until(
            AppState::new(options, db.pool.clone(), app::state::Limits::default()),
            test_photos(),
            CancellationToken::new(),
            health,
            crate::pagecache::FRESH_FOR,
        )
        .await
        .unwrap();
        let res = app
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "it still serves requests");
        let said: serde_json::Value = serde_json::from_str(&body(res).await).unwrap();
        assert_eq!(said["status"], "degraded");
        assert_eq!(said["database"], "ok");
        assert!(
            said["jobs"].as_str().unwrap().contains("disk is full"),
            "{said}"
        );
        job.abort();
    }

    #[tokio::test]
    async fn a_read_only_database_shows_in_healthz_and_a_write_says_nothing_was_saved() {
        let db = store::testing::TestDb::new().await;
        let read_only = db.read_only().await;
        let options = LeptosOptions::builder().output_name("lianxin").build();
        let state = AppState::new(options, read_only.clone(), app::state::Limits::default());
        let (status, axum::Json(said)) = healthz(
            axum::extract::State(state),
            axum::Extension(crate::jobs::JobsHealth::default()),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(said["status"], "degraded");
        assert_eq!(said["database"], "read_only");
        // What a server function answers when its write is refused.
        let refused = store::throttle::hit(
            &read_only,
            "lookup:10.0.0.1",
            domain::throttle::Quota::per_minute(10),
            chrono::Utc::now(),
        )
        .await
        .unwrap_err();
        let answer = app::error::AppError::from(refused);
        assert_eq!(answer, app::error::AppError::Unavailable);
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
        read_only.close().await;
    }

    #[tokio::test]
    async fn pages_render_on_the_server_in_chinese() {
        let (app, _, _db) = app().await;
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
        let (app, _, _db) = app().await;
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
        let (app, pool, _db) = app().await;
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

    /// A lookup from `addr`, as the peer the server sees.
    fn lookup_from(addr: &str, body: String) -> Request<Body> {
        let mut req = form("/api/track_lookup", &body, None);
        let peer: std::net::SocketAddr = addr.parse().unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        req
    }

    #[tokio::test]
    async fn a_codes_phone_digits_lock_after_five_misses_from_anywhere_and_the_pin_still_opens_it()
    {
        let (app, pool, _db) = app().await;
        let (code, pin, phone): (String, String, String) =
            sqlx::query_as("SELECT code, pin, resident_phone FROM cases ORDER BY id LIMIT 1")
                .fetch_one(&pool)
                .await
                .unwrap();
        let last4 = domain::mask::phone_last4(&phone).unwrap();
        let wrong = |n: u32| format!("{:04}", (last4.parse::<u32>().unwrap() + n) % 10_000);
        // Five guesses, each from another address: none is rate-limited by address.
        for n in 1..=5 {
            let res = app
                .clone()
                .oneshot(lookup_from(
                    &format!("10.9.0.{n}:5000"),
                    format!("code={code}&factor={}", wrong(n)),
                ))
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "guess {n}");
        }
        // Now even the right digits are refused, from a fresh address, and the answer says why.
        let res = app
            .clone()
            .oneshot(lookup_from(
                "10.9.1.1:5000",
                format!("code={code}&factor={last4}"),
            ))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(body(res).await.contains("PhoneLocked"));
        // The printed PIN still opens the case.
        let res = app
            .clone()
            .oneshot(lookup_from(
                "10.9.1.2:5000",
                format!("code={code}&factor={pin}"),
            ))
            .await
            .unwrap();
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "{}",
            res.status()
        );
        // A code that does not exist locks the same way, so locking tells nothing.
        for n in 1..=6 {
            let res = app
                .clone()
                .oneshot(lookup_from(
                    &format!("10.9.2.{n}:5000"),
                    "code=2222-2222&factor=1234".into(),
                ))
                .await
                .unwrap();
            let want = if n <= 5 {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::TOO_MANY_REQUESTS
            };
            assert_eq!(res.status(), want, "{n}");
        }
    }

    #[tokio::test]
    async fn an_ipv6_subscriber_gets_one_quota_for_its_whole_prefix() {
        let (app, _, _db) = app().await;
        // The quota in these tests is 3 a minute.
        for (n, addr) in [
            "[2001:db8:7:1::1]:5000",
            "[2001:db8:7:1::2]:5000",
            "[2001:db8:7:1:ffff::9]:5000",
            "[2001:db8:7:1::4]:5000",
        ]
        .into_iter()
        .enumerate()
        {
            let res = app
                .clone()
                .oneshot(lookup_from(addr, "code=2222-2223&factor=1234".into()))
                .await
                .unwrap();
            assert_eq!(
                res.status() == StatusCode::TOO_MANY_REQUESTS,
                n == 3,
                "{addr}: {}",
                res.status()
            );
        }
        // Another subscriber is not affected.
        let res = app
            .clone()
            .oneshot(lookup_from(
                "[2001:db8:7:2::1]:5000",
                "code=2222-2223&factor=1234".into(),
            ))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn a_username_in_capitals_shares_the_accounts_sign_in_limit() {
        let (app, _, _db) = app().await;
        for name in [
            "Director",
            "DIRECTOR",
            "director%20",
            "DiReCtOr",
            "%20director",
        ] {
            let res = app
                .clone()
                .oneshot(form(
                    "/api/login",
                    &format!("username={name}&password=guess"),
                    None,
                ))
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{name}");
        }
        let res = app
            .clone()
            .oneshot(form(
                "/api/login",
                "username=director&password=lianxin-demo",
                None,
            ))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    }

    #[tokio::test]
    async fn an_oversized_body_is_refused_on_every_route_before_it_is_read() {
        let (app, _, _db) = app().await;
        let huge = "a".repeat(MAX_BODY_BYTES + 1);
        for uri in [
            "/api/submit_online",
            "/api/login",
            "/open311/v2/requests.json",
            "/no/such/route",
        ] {
            let req = Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::CONTENT_LENGTH, huge.len())
                .body(Body::from(huge.clone()))
                .unwrap();
            let res = app.clone().oneshot(req).await.unwrap();
            assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        }
    }

    pub(crate) fn session_cookie(res: &axum::response::Response) -> Option<String> {
        res.headers()
            .get(header::SET_COOKIE)
            .and_then(|c| c.to_str().ok())
            .and_then(|c| c.split(';').next())
            .map(String::from)
    }

    #[tokio::test]
    async fn online_requests_refuse_machines_and_accept_people() {
        let (app, pool, _db) = app().await;
        let category: i64 = sqlx::query_scalar("SELECT id FROM categories ORDER BY id LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
        let compound: i64 = sqlx::query_scalar(
            "SELECT id FROM regions WHERE level = 'compound' ORDER BY id LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let request_with = |description: &str, extra: &str| {
            format!(
                "category_id={category}&region_id={compound}&description={description}&resident_name=%E9%99%88%E6%99%93%E7%BA%A2&resident_phone=13900001111{extra}"
            )
        };
        let request = |extra: &str| request_with("%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE", extra);
        let count = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cases")
                .fetch_one(&pool)
                .await
                .unwrap()
        };
        let before = count().await;

        // Without having opened the form, or sending it at once: a machine.
        let res = app
            .clone()
            .oneshot(form("/api/submit_online", &request(""), None))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = app
            .clone()
            .oneshot(form("/api/get_public_options", "", None))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = session_cookie(&res).unwrap();
        let options = body(res).await;
        assert!(
            options.contains("compounds") && !options.contains("号楼"),
            "only compounds are offered"
        );
        let res = app
            .clone()
            .oneshot(form("/api/submit_online", &request(""), Some(&cookie)))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

        tokio::time::sleep(std::time::Duration::from_secs(
            app::api::MIN_FILL_SECONDS as u64,
        ))
        .await;
        let res = app
            .clone()
            .oneshot(form(
                "/api/submit_online",
                &request("&website=http%3A%2F%2Fspam"),
                Some(&cookie),
            ))
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "the honeypot was filled"
        );
        assert_eq!(count().await, before);

        let res = app
            .clone()
            .oneshot(form("/api/submit_online", &request(""), Some(&cookie)))
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        assert_eq!(count().await, before + 1);
        let code: String = sqlx::query_scalar(
            "SELECT code FROM cases WHERE source = 'online' ORDER BY id DESC LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let res = app
            .clone()
            .oneshot(form(
                "/api/get_public_receipt",
                &format!("code={code}"),
                Some(&cookie),
            ))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let receipt = body(res).await;
        assert!(
            receipt.contains("<svg") && receipt.contains("/track?code="),
            "the receipt carries a QR code"
        );
        assert!(!receipt.contains("13900001111") && !receipt.contains("陈晓红"));
        // Another browser cannot read that receipt (it shows the PIN).
        let res = app
            .clone()
            .oneshot(form(
                "/api/get_public_receipt",
                &format!("code={code}"),
                None,
            ))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        // Oversized text is refused with the field named; then the hourly quota (2 here) is spent.
        let long = "%E5%AD%97".repeat(2001);
        let res = app
            .clone()
            .oneshot(form(
                "/api/submit_online",
                &request_with(&long, ""),
                Some(&cookie),
            ))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(body(res).await.contains("too_long"));
        // The form shown again holds what was typed, once, and keeps its
        // clock: sending it corrected at once is no machine's speed.
        let options = || async {
            let res = app
                .clone()
                .oneshot(form("/api/get_public_options", "", Some(&cookie)))
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            body(res).await
        };
        let again = options().await;
        assert!(
            again.contains("陈晓红") && again.contains("13900001111"),
            "{again}"
        );
        let res = app
            .clone()
            .oneshot(form("/api/submit_online", &request(""), Some(&cookie)))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(count().await, before + 1);
        // Refused again, kept again; shown, gone.
        assert!(options().await.contains("陈晓红"));
        assert!(options().await.contains("\"draft\":null"));
    }

    #[tokio::test]
    async fn unreadable_requests_are_the_callers_fault() {
        let (app, _, _db) = app().await;
        let res = app
            .oneshot(form("/api/track_lookup", "code=A&code=B&factor=1", None))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }

    /// The language switch works without the app: a cookie and a way back
    /// to the same page, never to another site.
    #[tokio::test]
    async fn the_language_switch_sets_the_cookie_and_returns_to_the_page_only() {
        let (app, _pool, _db) = app().await;
        let get = |uri: &str, cookie: Option<&str>| {
            let mut req = Request::get(uri);
            if let Some(c) = cookie {
                req = req.header(header::COOKIE, c);
            }
            req.body(Body::empty()).unwrap()
        };
        let res = app
            .clone()
            .oneshot(get("/lang/en?back=%2Fstats%3Fregion%3D1", None))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()[header::LOCATION], "/stats?region=1");
        let cookie = res.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_string();
        assert!(cookie.starts_with("i18n_pref_locale=en;"), "{cookie}");
        for back in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "stats",
            "/%E4%B8%AD%0A",
        ] {
            let res = app
                .clone()
                .oneshot(get(&format!("/lang/zh?back={back}"), None))
                .await
                .unwrap();
            assert_eq!(res.headers()[header::LOCATION], "/", "{back}");
        }
        let res = app.clone().oneshot(get("/lang/fr", None)).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = app
            .oneshot(get("/stats", Some("i18n_pref_locale=en")))
            .await
            .unwrap();
        assert!(body(res).await.contains("<html lang=\"en\""));
    }

    #[tokio::test]
    async fn a_callback_records_the_residents_rating_and_a_bad_outcome_says_which_field() {
        let (app, pool, _db) = app().await;
        let since = chrono::Utc::now() - chrono::Duration::days(5);
        let code = store::testing::awaiting_rating(&pool, since).await;
        let cookie = sign_in(&app, "director", "lianxin-demo").await;
        let post = |uri: &'static str, args: String| {
            let app = app.clone();
            let cookie = cookie.clone();
            async move {
                let res = app.oneshot(form(uri, &args, Some(&cookie))).await.unwrap();
                (res.status(), body(res).await)
            }
        };
        let (status, list) = post("/api/callback_list", String::new()).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert!(list.contains(code.as_str()), "{list}");
        assert!(
            !list.contains("13912345678"),
            "the list shows whole numbers"
        );

        for (args, field) in [
            ("outcome=delighted", "outcome"),
            ("outcome=not_rated", "outcome"),
            ("outcome=satisfied&via=online", "via"),
            ("outcome=satisfied&via=fax", "via"),
        ] {
            let (status, text) = post("/api/record_call", format!("code={code}&{args}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{args}: {text}");
            assert!(text.contains(&format!("\"{field}\"")), "{args}: {text}");
        }
        assert_eq!(
            store::cases::status_of(&pool, &code).await.unwrap(),
            domain::Status::AwaitingRating,
            "a refused call changed the case"
        );

        let (status, phone) = post("/api/reveal_phone", format!("code={code}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(phone.contains("13912345678"), "{phone}");

        let (status, text) = post(
            "/api/record_call",
            format!(
                "code={code}&outcome=dissatisfied&via=callback&note=%E8%BF%98%E6%B2%A1%E4%BF%AE"
            ),
        )
        .await;
        assert!(status.is_success(), "{status} {text}");
        assert_eq!(
            store::cases::status_of(&pool, &code).await.unwrap(),
            domain::Status::Rework
        );
        // Units and deputies have no callback list.
        let handler = sign_in(&app, "handler", "lianxin-demo").await;
        let res = app
            .clone()
            .oneshot(form("/api/callback_list", "", Some(&handler)))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }

    /// Every unusable field of a form is named, all at once, and none is
    /// dropped: an attendee, a commitment's day, a head-count or a picked
    /// unit or region that could not be read used to count as "none".
    #[tokio::test]
    async fn every_unusable_form_field_is_named_and_none_is_read_as_none() {
        let (app, pool, _db) = app().await;
        let director = sign_in(&app, "director", "lianxin-demo").await;
        let admin = sign_in(&app, "admin", "lianxin-demo").await;
        let code = domain::TrackingCode::from_random([2, 3, 5, 7, 11, 13, 17]);
        async fn rows(pool: &store::Pool, table: &str) -> i64 {
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(pool)
                .await
                .unwrap()
        }
        let before = (rows(&pool, "sessions").await, rows(&pool, "users").await);
        // Who sends what where, and the fields and messages it must name.
        type Refused<'a> = (&'a str, &'a str, String, &'a [(&'a str, &'a str)]);
        let refused: [Refused; 6] = [
            (
                &director,
                "/api/schedule_session",
                "station=1&starts_at=2030-01-07T19:30&hours=2&topic=roads&attendees=3+x".into(),
                &[("attendees", "unusable")],
            ),
            (
                &director,
                "/api/schedule_session",
                "station=1&starts_at=tomorrow&hours=99&topic=roads&attendees=".into(),
                &[("starts_at", "bad_date"), ("hours", "out_of_range")],
            ),
            (
                &director,
                "/api/add_commitment",
                "session_id=1&by=1&text=fix&due_on=2030-02-30&case=".into(),
                &[("due_on", "bad_date")],
            ),
            (
                &director,
                "/api/close_session",
                "session_id=1&residents=lots&minutes=met".into(),
                &[("residents", "out_of_range")],
            ),
            (
                &director,
                "/api/perform",
                format!("code={code}&kind=assign&unit_id=x&class=ordinary"),
                &[("unit_id", "unusable")],
            ),
            (
                &admin,
                "/api/create_account",
                "username=newbie&display_name=New&role=boss&region_id=abc".into(),
                &[("role", "unknown"), ("region_id", "unusable")],
            ),
        ];
        for (cookie, uri, args, fields) in refused {
            let res = app
                .clone()
                .oneshot(form(uri, &args, Some(cookie)))
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{uri} {args}");
            let text = body(res).await;
            for (field, message) in fields {
                assert!(
                    text.contains(&format!("\"{field}\"")) && text.contains(message),
                    "{uri} {args}: no {field} {message} in {text}"
                );
            }
        }
        let after = (rows(&pool, "sessions").await, rows(&pool, "users").await);
        assert_eq!(before, after, "a refused form wrote something");
    }

    /// A board or case list asked for a region that does not exist, or a
    /// filter value that is not one, says which field is wrong: it used to
    /// drop the filter and show the reader's whole area.
    #[tokio::test]
    async fn a_board_filter_that_names_nothing_is_refused_by_field() {
        let (app, _pool, _db) = app().await;
        let cookie = sign_in(&app, "director", "lianxin-demo").await;
        let flags = "query[overdue]=false&query[escalated]=false&query[recurring]=false";
        for (uri, args, field) in [
            ("/api/get_board", "query[region]=999999", "region"),
            ("/api/board_counts", "query[region]=999999", "region"),
            ("/api/get_board", "query[region]=x", "region"),
            ("/api/get_board", "query[step]=somewhere", "step"),
            ("/api/get_board", "query[category]=lamps", "category"),
            ("/api/board_counts", "query[unit]=1.5", "unit"),
            ("/api/board_counts", "query[station]=-", "station"),
        ] {
            let res = app
                .clone()
                .oneshot(form(uri, &format!("{args}&{flags}"), Some(&cookie)))
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{uri} {args}");
            let text = body(res).await;
            assert!(
                text.contains(&format!("\"{field}\"")),
                "{uri} {args}: {text}"
            );
        }
        for (args, field) in [("category=lamps", "category"), ("step=somewhere", "step")] {
            let res = app
                .clone()
                .oneshot(form(
                    "/api/list_cases",
                    &format!("{args}&overdue=false"),
                    Some(&cookie),
                ))
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{args}");
            assert!(body(res).await.contains(&format!("\"{field}\"")), "{args}");
        }
        // Empty fields are no filter, and a real region narrows the board.
        let res = app
            .clone()
            .oneshot(form(
                "/api/board_counts",
                &format!("query[region]=&query[step]=&{flags}"),
                Some(&cookie),
            ))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn public_figures_carry_no_personal_data() {
        let (app, pool, _db) = app().await;
        let res = app
            .clone()
            .oneshot(form("/api/get_public_stats", "", None))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let stats = body(res).await;
        assert!(stats.contains("collected"));
        let people: Vec<(String, String)> =
            sqlx::query_as("SELECT resident_name, resident_phone FROM cases")
                .fetch_all(&pool)
                .await
                .unwrap();
        for (name, phone) in people {
            assert!(
                !stats.contains(&name) && !stats.contains(&phone),
                "{name} or {phone} is public"
            );
        }
        let res = app
            .oneshot(form("/api/get_public_stats", "region=999999", None))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn public_figures_are_worked_out_once_a_minute_however_often_they_are_asked() {
        let (app, pool, _db) = app().await;
        let collected = |app: Router| async move {
            let res = app
                .oneshot(form("/api/get_public_stats", "", None))
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            serde_json::from_str::<domain::view::PublicStats>(&body(res).await)
                .unwrap()
                .total
                .collected
        };
        let first = collected(app.clone()).await;
        // A new request arrives; the next visitors within the minute get the
        // figures already worked out, not a new aggregation of the city.
        let category: i64 = sqlx::query_scalar("SELECT MIN(id) FROM categories")
            .fetch_one(&pool)
            .await
            .unwrap();
        let compound: i64 = sqlx::query_scalar(
            "SELECT id FROM regions WHERE level = 'compound' ORDER BY id LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        store::cases::create(
            &pool,
            &domain::NewCase {
                title: "路灯不亮".into(),
                description: "路灯不亮".into(),
                category_id: category,
                region_id: compound,
                station_id: None,
                source: domain::Source::Online,
                resident_name: "陈晓红".into(),
                resident_phone: "13900001111".into(),
                resident_email: String::new(),
                notify: false,
            },
            None,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        for _ in 0..3 {
            assert_eq!(collected(app.clone()).await, first);
        }
        let res = app
            .clone()
            .oneshot(Request::get("/api/v1/stats").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let v1: serde_json::Value = serde_json::from_str(&body(res).await).unwrap();
        assert_eq!(v1["total"]["collected"], first);
        // The database has the new case: only the cache held the old figure.
        let fresh = store::stats::public_stats(&pool, None, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(fresh.total.collected, first + 1);
    }

    #[tokio::test]
    async fn every_answer_carries_the_security_headers_and_pages_their_nonce() {
        let (app, _, _db) = app().await;
        for uri in [
            "/track",
            "/stats",
            "/no/such/page",
            "/api/openapi.json",
            "/open311/v2/services.xml",
            "/healthz",
        ] {
            let res = app
                .clone()
                .oneshot(Request::get(uri).body(Body::empty()).unwrap())
                .await
                .unwrap();
            let h = res.headers().clone();
            assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
            assert_eq!(h["x-frame-options"], "DENY", "{uri}");
            assert_eq!(h["referrer-policy"], "same-origin", "{uri}");
            let csp = h["content-security-policy"].to_str().unwrap().to_string();
            assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
            let html = body(res).await;
            if html.starts_with("<!DOCTYPE html>") {
                // The page's scripts carry the nonce the policy names, and nothing else runs.
                let nonce = csp
                    .split("'nonce-")
                    .nth(1)
                    .and_then(|r| r.split('\'').next())
                    .unwrap_or_else(|| panic!("{uri}: no nonce in {csp}"));
                let scripts_policy = csp
                    .split(';')
                    .find(|d| d.trim().starts_with("script-src"))
                    .unwrap();
                assert!(scripts_policy.contains("'wasm-unsafe-eval'"), "{csp}");
                assert!(!scripts_policy.contains("unsafe-inline"), "{csp}");
                // leptos_i18n leaves an empty placeholder <script></script>: nothing to run.
                let scripts =
                    html.matches("<script").count() - html.matches("<script></script>").count();
                assert!(scripts > 0, "{uri}");
                assert_eq!(
                    html.matches(&format!("nonce=\"{nonce}\"")).count(),
                    scripts,
                    "{uri}: {html}"
                );
            } else {
                assert!(csp.starts_with("default-src 'none'"), "{uri}: {csp}");
            }
        }
    }

    #[tokio::test]
    async fn state_changing_requests_from_other_sites_are_refused() {
        let (app, _, _db) = app().await;
        let login = |origin: Option<&str>, fetch_site: Option<&str>| {
            let mut req = Request::post("/api/login")
                .header(header::HOST, "127.0.0.1:3000")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json");
            if let Some(o) = origin {
                req = req.header(header::ORIGIN, o);
            }
            if let Some(s) = fetch_site {
                req = req.header("sec-fetch-site", s);
            }
            req.body(Body::from("username=director&password=lianxin-demo"))
                .unwrap()
        };
        for (origin, site, refused) in [
            (Some("https://evil.example"), None, true),
            (Some("null"), None, true),
            (None, Some("cross-site"), true),
            (Some("http://127.0.0.1:3000"), Some("same-origin"), false),
            // Not a browser: neither header.
            (None, None, false),
        ] {
            let res = app.clone().oneshot(login(origin, site)).await.unwrap();
            assert_eq!(
                res.status() == StatusCode::FORBIDDEN,
                refused,
                "{origin:?} {site:?}: {}",
                res.status()
            );
        }
    }

    #[tokio::test]
    async fn sign_in_is_throttled_after_repeated_failures() {
        let (app, _, _db) = app().await;
        let attempt = |password: &str| {
            form(
                "/api/login",
                &format!("username=director&password={password}"),
                None,
            )
        };
        for _ in 0..store::users::MAX_FAILURES_PER_ACCOUNT {
            let res = app.clone().oneshot(attempt("guess")).await.unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        }
        // Now even the right password waits, and the answer says how long.
        let res = app.clone().oneshot(attempt("lianxin-demo")).await.unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let text = body(res).await;
        assert!(text.contains("RateLimited"), "{text}");
        // Other accounts are not locked out by it.
        let res = app
            .clone()
            .oneshot(form(
                "/api/login",
                "username=leader&password=lianxin-demo",
                None,
            ))
            .await
            .unwrap();
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "{}",
            res.status()
        );
    }

    async fn bytes(res: axum::response::Response) -> Vec<u8> {
        res.into_body().collect().await.unwrap().to_bytes().to_vec()
    }

    /// Residents' pages as anonymous visitors see them are rendered once a
    /// second at most and sent with the headers of the render, in the
    /// encoding asked for; a visitor with a session is always served fresh.
    #[tokio::test]
    async fn residents_pages_are_kept_a_second_for_anonymous_visitors() {
        use std::io::Read;
        let (app, pool, _db) = app().await;
        let get = |uri: &str, headers: &[(&str, &str)]| {
            let mut req = Request::get(uri);
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            req.body(Body::empty()).unwrap()
        };
        let first = app.clone().oneshot(get("/track", &[])).await.unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(first.headers()["x-lianxin-cache"], "miss");
        let policy = first.headers()[header::CONTENT_SECURITY_POLICY].clone();
        let page = bytes(first).await;
        let again = app.clone().oneshot(get("/track", &[])).await.unwrap();
        assert_eq!(again.headers()["x-lianxin-cache"], "hit");
        assert_eq!(again.headers()[header::CONTENT_SECURITY_POLICY], policy);
        assert_eq!(again.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(bytes(again).await, page);

        // Kept compressed: each form is the same page.
        for (accept, coding) in [("gzip, deflate, br", "br"), ("gzip", "gzip")] {
            let res = app
                .clone()
                .oneshot(get("/track", &[("accept-encoding", accept)]))
                .await
                .unwrap();
            assert_eq!(res.headers()[header::CONTENT_ENCODING], coding);
            assert_eq!(res.headers()[header::VARY], "accept-encoding");
            let sent = bytes(res).await;
            let mut plain = Vec::new();
            if coding == "br" {
                brotli::Decompressor::new(&sent[..], 4096).read_to_end(&mut plain)
            } else {
                flate2::read::GzDecoder::new(&sent[..]).read_to_end(&mut plain)
            }
            .unwrap();
            assert_eq!(plain, page, "{coding}");
        }

        // Another language is another page, kept with the cookie the app
        // repeats.
        for kept in ["miss", "hit"] {
            let en = app
                .clone()
                .oneshot(get("/track", &[("cookie", "i18n_pref_locale=en")]))
                .await
                .unwrap();
            assert_eq!(en.headers()["x-lianxin-cache"], kept);
            assert_eq!(en.headers()[header::SET_COOKIE], "i18n_pref_locale=en");
            assert!(
                String::from_utf8(bytes(en).await)
                    .unwrap()
                    .contains("<html lang=\"en\"")
            );
        }

        // With a session (a resident who looked their case up, staff):
        // never kept, never sent from the kept copy.
        let cookie = sign_in(&app, "director", "lianxin-demo").await;
        for _ in 0..2 {
            let res = app
                .clone()
                .oneshot(get("/track", &[("cookie", &cookie)]))
                .await
                .unwrap();
            assert!(!res.headers().contains_key("x-lianxin-cache"));
        }
        // Staff pages are never kept.
        let res = app.clone().oneshot(get("/login", &[])).await.unwrap();
        assert!(!res.headers().contains_key("x-lianxin-cache"));
        // Nor a page that begins a visitor's session: the online form keeps
        // the time it was opened in one.
        for _ in 0..2 {
            let res = app.clone().oneshot(get("/report", &[])).await.unwrap();
            assert!(res.headers().contains_key(header::SET_COOKIE));
            assert!(!res.headers().contains_key("x-lianxin-cache"));
        }

        // A server function that only reads (a POST too) keeps the pages;
        // a change answered drops them: who changes something and opens a
        // page sees the change.
        app.clone().oneshot(get("/track", &[])).await.unwrap();
        let res = app
            .clone()
            .oneshot(form("/api/list_cases", "overdue=false", Some(&cookie)))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let kept = app.clone().oneshot(get("/track", &[])).await.unwrap();
        assert_eq!(kept.headers()["x-lianxin-cache"], "hit");
        let registration = crate::permission_tests::registration(&pool).await;
        let res = app
            .clone()
            .oneshot(form("/api/register_case", &registration, Some(&cookie)))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.clone().oneshot(get("/track", &[])).await.unwrap();
        assert_eq!(res.headers()["x-lianxin-cache"], "miss");

        // A second later the page is rendered again.
        tokio::time::sleep(crate::pagecache::FRESH_FOR).await;
        let res = app.clone().oneshot(get("/track", &[])).await.unwrap();
        assert_eq!(res.headers()["x-lianxin-cache"], "miss");
    }

    /// A city leader's board offers districts, streets and communities to
    /// narrow it to, not every grid and compound of the city; a compound
    /// chosen elsewhere (the grid view links to `/board?region=`) is offered,
    /// chosen, with the way down to it.
    #[tokio::test]
    async fn a_leaders_board_offers_areas_down_to_communities_and_the_one_chosen() {
        let (app, pool, _db) = app().await;
        let cookie = sign_in(&app, "leader", "lianxin-demo").await;
        let page = |uri: String| {
            let req = Request::get(uri)
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap();
            let app = app.clone();
            async move {
                let res = app.oneshot(req).await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                body(res).await
            }
        };
        let (compound, grid, community): (i64, i64, i64) = sqlx::query_as(
            "SELECT c.id, g.id, g.parent_id FROM regions c JOIN regions g ON g.id = c.parent_id \
             WHERE c.level = 'compound' AND g.level = 'grid' ORDER BY c.id LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        // Only the area picker: stations, categories and units have ids of their own.
        let areas = |html: &str| {
            let from = html.find("name=\"region\"").expect("an area picker");
            let to = from + html[from..].find("</select>").unwrap();
            html[from..to].to_string()
        };
        let offered =
            |html: &str, id: i64| areas(html).contains(&format!("<option value=\"{id}\""));
        let board = page("/board".into()).await;
        assert!(offered(&board, community));
        assert!(!offered(&board, grid) && !offered(&board, compound));
        let chosen = page(format!("/board?region={compound}")).await;
        assert!(offered(&chosen, community) && offered(&chosen, grid));
        assert!(areas(&chosen).contains(&format!("<option value=\"{compound}\" selected")));
        // The pickers alone: an area that names nothing adds nothing, one
        // that is not a number is refused, not a server error.
        let picker = |args: &'static str| {
            app.clone()
                .oneshot(form("/api/filter_options", args, Some(&cookie)))
        };
        let res = picker("region=999999").await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let plain: domain::view::FilterChoices = serde_json::from_str(&body(res).await).unwrap();
        assert!(plain.areas.iter().any(|a| a.id == community));
        assert!(plain.areas.iter().all(|a| a.id != grid));
        let res = picker("region=x").await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }

    /// Every other page is compressed for a client that accepts it; the
    /// boards' event streams are not (each event must leave at once).
    #[tokio::test]
    async fn pages_are_compressed_and_event_streams_are_not() {
        let (app, _pool, _db) = app().await;
        let cookie = sign_in(&app, "director", "lianxin-demo").await;
        let get = |uri: &str| {
            Request::get(uri)
                .header(header::COOKIE, &cookie)
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::empty())
                .unwrap()
        };
        let res = app.clone().oneshot(get("/board")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
        let res = app.clone().oneshot(get("/api/board/events")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(!res.headers().contains_key(header::CONTENT_ENCODING));
    }
}
