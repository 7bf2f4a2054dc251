//! The permission matrix walked against the real endpoints: for every role
//! and every permission, one request that needs it. Granted → success;
//! refused → 403 with nothing but the refusal in the body. Then the scope:
//! the same role against another community's, unit's or station's case.

use crate::http::tests::{app, form, sign_in};
use axum::Router;
use axum::http::StatusCode;
use domain::{ActionKind, Permission, Role};
use store::Pool;
use store::users::UserRow;
use tower::ServiceExt;

const PASSWORD: &str = store::demo::DEMO_PASSWORD;

use store::testing::user;

/// A new account with the demo password, seated at region node `region`.
async fn seated(pool: &Pool, username: &str, name: &str, role: Role, region: i64) -> UserRow {
    let hash = store::users::hash_password(PASSWORD).unwrap();
    store::users::create_user(
        pool,
        store::users::NewUser {
            username,
            display_name: name,
            password_hash: &hash,
            role,
            region_id: Some(region),
            unit_id: None,
            station_id: None,
        },
    )
    .await
    .unwrap();
    user(pool, username).await
}

async fn id(pool: &Pool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Actions that need nothing but a note, so any of them can stand for "acting".
const PLAIN: [ActionKind; 13] = [
    ActionKind::StartConsolidation,
    ActionKind::AnswerOnSpot,
    ActionKind::ToSuggestion,
    ActionKind::NotAccept,
    ActionKind::Acknowledge,
    ActionKind::Return,
    ActionKind::ReportProgress,
    ActionKind::RequestClosure,
    ActionKind::ApproveClosure,
    ActionKind::RejectClosure,
    ActionKind::CompleteLocally,
    ActionKind::ResolveEscalated,
    ActionKind::AnswerSuggestion,
];

/// A case `u` may see and, if their role can act at all, a plain action on it.
async fn case_to_act_on(pool: &Pool, u: &UserRow) -> (String, ActionKind) {
    let now = chrono::Utc::now();
    let cases = store::cases::list(pool, u, &Default::default(), now)
        .await
        .unwrap();
    assert!(!cases.is_empty(), "{} sees no case", u.username);
    for c in &cases {
        let code = domain::TrackingCode::parse(&c.code).unwrap();
        let detail = store::casefile::detail(pool, u, &code, now).await.unwrap();
        if let Some(kind) = PLAIN.into_iter().find(|k| detail.actions.contains(k)) {
            return (c.code.clone(), kind);
        }
    }
    (cases[0].code.clone(), ActionKind::ReportProgress)
}

/// A case `u` may see, or any case for a role that sees none.
async fn visible_case(pool: &Pool, u: &UserRow, f: &Fixture) -> String {
    store::cases::list(pool, u, &Default::default(), chrono::Utc::now())
        .await
        .map(|cases| cases.first().map(|c| c.code.clone()))
        .ok()
        .flatten()
        .unwrap_or_else(|| f.overdue_code.clone())
}

/// A case of the demo handler's unit with an extension request waiting.
async fn pending_extension(pool: &Pool) -> String {
    let now = chrono::Utc::now();
    let handler = user(pool, "handler").await;
    let case = store::cases::list(pool, &handler, &Default::default(), now)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.status == domain::Status::InProgress)
        .expect("the handler has a case in progress");
    let code = domain::TrackingCode::parse(&case.code).unwrap();
    // Still waiting from a refused probe is as good as new.
    match store::extensions::request(pool, &handler, &code, 2, "等待配件", now).await {
        Ok(_) | Err(store::StoreError::Invalid(_)) => case.code,
        Err(e) => panic!("{e:?}"),
    }
}

/// Two open cases `u` may see that follow no escalated item yet.
async fn two_to_link(pool: &Pool, u: &UserRow) -> String {
    let now = chrono::Utc::now();
    let mut codes = Vec::new();
    for c in store::cases::list(pool, u, &Default::default(), now)
        .await
        .unwrap()
    {
        if matches!(c.status, domain::Status::Closed | domain::Status::Merged) {
            continue;
        }
        let item: Option<i64> = sqlx::query_scalar("SELECT item_id FROM cases WHERE code = $1")
            .bind(c.code.replace('-', ""))
            .fetch_one(pool)
            .await
            .unwrap();
        if item.is_none() {
            codes.push(c.code);
        }
        if codes.len() == 2 {
            break;
        }
    }
    codes.join("+")
}

struct Fixture {
    category: i64,
    /// The demo director's community.
    community: i64,
    compound: i64,
    station: i64,
    overdue_code: String,
}

/// A walk-in's registration (`/api/register_case`) inside every
/// registering role's area.
fn registration_form(f: &Fixture) -> String {
    format!(
        "title=%E8%B7%AF%E7%81%AF&description=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE&category_id={}&region_id={}&station_id={}&source=walk_in&resident_name=%E9%99%88&resident_phone=13900001111",
        f.category, f.compound, f.station
    )
}

/// The same for router tests elsewhere.
pub(crate) async fn registration(pool: &Pool) -> String {
    registration_form(&fixture(pool).await)
}

async fn fixture(pool: &Pool) -> Fixture {
    let leader = user(pool, "leader").await;
    let overdue = domain::view::CaseFilter {
        overdue: true,
        ..Default::default()
    };
    let overdue_code = store::cases::list(pool, &leader, &overdue, chrono::Utc::now())
        .await
        .unwrap()
        .first()
        .expect("the demo has overdue cases")
        .code
        .clone();
    let grid = user(pool, "grid").await;
    Fixture {
        category: id(pool, "SELECT id FROM categories ORDER BY id LIMIT 1").await,
        community: user(pool, "director").await.region_id.unwrap(),
        // A compound in the grid worker's grid: inside every registering role's area.
        compound: id(
            pool,
            &format!(
                "SELECT id FROM regions WHERE level = 'compound' AND path LIKE '{}%' ORDER BY id LIMIT 1",
                grid.region_path.unwrap()
            ),
        )
        .await,
        station: user(pool, "deputy").await.station_id.unwrap(),
        overdue_code,
    }
}

/// The request that exercises `permission` for a user signed in as `who`.
async fn probe(
    pool: &Pool,
    f: &Fixture,
    who: &UserRow,
    permission: Permission,
) -> (String, String) {
    if permission == Permission::AttachPhotos {
        // A multipart upload (see `call`): the body names nothing.
        let code = visible_case(pool, who, f).await;
        return (format!("/cases/{code}/photos"), String::new());
    }
    let (uri, body) = match permission {
        Permission::ViewCases => ("/api/list_cases", "overdue=false".to_string()),
        Permission::RegisterCase => ("/api/register_case", registration_form(f)),
        // A role that may not act sees no case either (a party member): any
        // case will do for the refusal.
        Permission::ActOnCase if !domain::permission::allows(who.role, permission) => (
            "/api/perform",
            format!("code={}&kind=report_progress&text=note", f.overdue_code),
        ),
        Permission::ActOnCase => {
            let (code, kind) = case_to_act_on(pool, who).await;
            (
                "/api/perform",
                format!("code={code}&kind={}&text=note", kind.as_str()),
            )
        }
        Permission::CallBack => ("/api/callback_list", String::new()),
        Permission::AttachPhotos => unreachable!("answered above"),
        Permission::PublishPhotos => {
            let code = visible_case(pool, who, f).await;
            let admin = user(pool, "admin").await;
            let kept = store::photos::Kept {
                object: "cases/probe/0".into(),
                width: 1,
                height: 1,
                bytes: 1,
            };
            let id = store::photos::add(
                pool,
                &domain::TrackingCode::parse(&code).unwrap(),
                store::photos::Uploader::Staff(&admin),
                domain::photo::PhotoStage::After,
                &[kept],
                chrono::Utc::now(),
            )
            .await
            .unwrap()[0];
            (
                "/api/publish_photo",
                format!("code={code}&photo={id}&public=true"),
            )
        }
        Permission::IssueLetter => (
            "/api/issue_letter",
            format!(
                "code={}&demand=%E9%99%90%E6%9C%9F%E5%8A%9E%E7%BB%93&reply_days=3",
                f.overdue_code
            ),
        ),
        Permission::DecideExtension => (
            "/api/decide_extension",
            format!(
                "code={}&decision=approve&note=ok",
                pending_extension(pool).await
            ),
        ),
        Permission::Coordinate => (
            "/api/create_item",
            format!(
                "title=%E7%BB%9F%E7%AD%B9&measure=%E6%9C%BA%E5%88%B6&unit_id={}&codes={}",
                id(pool, "SELECT MIN(id) FROM units").await,
                two_to_link(pool, who).await
            ),
        ),
        Permission::ManageSessions => (
            "/api/schedule_session",
            format!(
                "station={}&starts_at={}&hours=2&topic=&attendees={}",
                f.station,
                (chrono::Utc::now() + chrono::Duration::days(10))
                    .with_timezone(&domain::deadline::china())
                    .format("%Y-%m-%dT%H:%M"),
                user(pool, "leader").await.id
            ),
        ),
        Permission::ManageWishes => (
            "/api/collect_wish",
            format!(
                "title=%E5%8A%A9%E5%90%AC%E5%99%A8&detail=&region_id={}&resident_name=%E5%88%98&resident_phone=13800007777",
                f.compound
            ),
        ),
        Permission::ManageRegions => (
            "/api/import_regions",
            "csv=%E4%B8%8A%E7%BA%A7%2C%E5%B1%82%E7%BA%A7%2C%E5%90%8D%E7%A7%B0%0A".to_string(),
        ),
        Permission::ManageParty => (
            "/api/add_need",
            format!(
                "community_id={}&title=%E5%BF%97%E6%84%BF%E8%80%85&detail=",
                f.community
            ),
        ),
        Permission::ServeCommunity => (
            "/api/claim_need",
            format!(
                "need={}&pledge=%E5%8D%8F%E8%B0%83",
                id(pool, "SELECT MIN(id) FROM needs").await
            ),
        ),
        Permission::ViewAudit => ("/api/get_audit", String::new()),
        Permission::ManageApiKeys => ("/api/list_api_keys", String::new()),
        Permission::ManageUsers => ("/api/list_accounts", String::new()),
        Permission::OwnAccount => (
            "/api/change_password",
            format!(
                "old_password={PASSWORD}&new_password=Matrix-2026-pass&repeat_password=Matrix-2026-pass"
            ),
        ),
    };
    (uri.to_string(), body)
}

async fn call(app: &Router, uri: &str, body: &str, cookie: &str) -> (StatusCode, String) {
    let req = if uri.ends_with("/photos") {
        crate::photos::tests::upload(
            uri,
            "after",
            &[crate::photos::tests::phone_jpeg(64, 48)],
            cookie,
        )
    } else {
        form(uri, body, Some(cookie))
    };
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    (status, crate::http::tests::body(res).await)
}

/// A refusal says it is one and nothing else (a server function's error
/// by its name, a route's as its reason).
fn assert_refused(status: StatusCode, text: &str, what: &str) {
    assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {text}");
    assert!(
        text.to_lowercase().contains("forbidden") && text.len() < 40,
        "{what}: the refusal carries data: {text}"
    );
}

fn username(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Director => "director",
        Role::Deputy => "deputy",
        Role::Handler => "handler",
        Role::Leader => "leader",
        Role::GridWorker => "grid",
        Role::Member => "member",
    }
}

#[tokio::test]
async fn every_role_gets_exactly_what_the_matrix_grants() {
    let (app, pool, _db) = app().await;
    let f = fixture(&pool).await;
    for role in Role::ALL {
        let who = user(&pool, username(role)).await;
        assert_eq!(who.role, role);
        let cookie = sign_in(&app, &who.username, PASSWORD).await;
        // OwnAccount changes the password: walk it last.
        for permission in Permission::ALL {
            let (uri, form_body) = probe(&pool, &f, &who, permission).await;
            let (status, text) = call(&app, &uri, &form_body, &cookie).await;
            let what = format!("{role:?} × {permission:?} ({uri})");
            if domain::permission::allows(role, permission) {
                assert!(
                    status.is_success() || status.is_redirection(),
                    "{what} should be allowed: {status} {text}"
                );
            } else {
                assert_refused(status, &text, &what);
            }
        }
    }
}

#[tokio::test]
async fn scope_keeps_each_seat_to_its_own_cases() {
    let (app, pool, _db) = app().await;
    let now = chrono::Utc::now();
    let admin = user(&pool, "admin").await;
    let handler = user(&pool, "handler").await;
    let deputy = user(&pool, "deputy").await;
    let grid = user(&pool, "grid").await;
    let all = store::cases::list(&pool, &admin, &Default::default(), now)
        .await
        .unwrap();

    // A director of another community.
    let other_community = id(
        &pool,
        "SELECT id FROM regions WHERE level = 'community' AND name <> '袁家庄社区' ORDER BY id LIMIT 1",
    )
    .await;
    let director_b = seated(
        &pool,
        "director_b",
        "另一社区主任",
        Role::Director,
        other_community,
    )
    .await;
    let b_path = director_b.region_path.clone().unwrap();

    // For each seat, a case outside it that the administrator can see.
    let outside = |pred: &dyn Fn(&domain::view::CaseSummary) -> bool| {
        all.iter()
            .find(|c| pred(c))
            .map(|c| c.code.clone())
            .expect("a case outside the seat")
    };
    let director = user(&pool, "director").await;
    let yjz = director.region_path.clone().unwrap();
    let path_of = |c: &domain::view::CaseSummary| c.region_path.clone();
    let in_yjz = |c: &domain::view::CaseSummary| path_of(c).starts_with(&yjz);
    let grid_path = grid.region_path.clone().unwrap();

    let checks: Vec<(&UserRow, String)> = vec![
        // A director of one community against a case of another.
        (
            &director_b,
            outside(&|c| in_yjz(c) && !path_of(c).starts_with(&b_path)),
        ),
        // A handler of one unit against another unit's case.
        (
            &handler,
            outside(&|c| c.unit_id.is_some() && c.unit_id != handler.unit_id),
        ),
        // A deputy against a case raised at no station of theirs.
        (&deputy, outside(&|c| c.station_id != deputy.station_id)),
        // A grid worker against a case in the next grid.
        (
            &grid,
            outside(&|c| in_yjz(c) && !path_of(c).starts_with(&grid_path)),
        ),
    ];
    for (who, code) in checks {
        let cookie = sign_in(&app, &who.username, PASSWORD).await;
        for (uri, form_body) in [
            ("/api/get_case", format!("code={code}")),
            ("/api/get_receipt", format!("code={code}")),
            (
                "/api/perform",
                format!("code={code}&kind=report_progress&text=x"),
            ),
        ] {
            let (status, text) = call(&app, uri, &form_body, &cookie).await;
            assert_refused(status, &text, &format!("{} → {uri} {code}", who.username));
            assert!(!text.contains(&code));
        }
        // Lists leave the case out rather than refuse.
        let (status, text) = call(&app, "/api/list_cases", "overdue=false", &cookie).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!text.contains(&code), "{} lists {code}", who.username);
    }
}

#[tokio::test]
async fn a_new_account_must_change_its_password_and_sessions_end_when_told() {
    let (app, pool, _db) = app().await;
    let admin = sign_in(&app, "admin", PASSWORD).await;
    let community = id(&pool, "SELECT id FROM regions WHERE name = '袁家庄社区'").await;
    let (status, text) = call(
        &app,
        "/api/create_account",
        &format!("username=wang&display_name=%E7%8E%8B&role=director&region_id={community}"),
        &admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let initial: String = serde_json::from_str(&text).unwrap();

    // Nothing but the password change until it is done.
    let wang = sign_in(&app, "wang", &initial).await;
    let (status, text) = call(&app, "/api/list_cases", "overdue=false", &wang).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("PasswordChange"), "{text}");
    let (status, text) = call(
        &app,
        "/api/change_password",
        &format!("old_password={initial}&new_password=short&repeat_password=short"),
        &wang,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("password_short"), "{text}");
    let new = "Liaison-2026-station";
    let res = app
        .clone()
        .oneshot(form(
            "/api/change_password",
            &format!("old_password={initial}&new_password={new}&repeat_password={new}"),
            Some(&wang),
        ))
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());
    // The session got a new id with the change (the browser takes the new cookie).
    let wang = crate::http::tests::session_cookie(&res).unwrap();
    let (status, _) = call(&app, "/api/list_cases", "overdue=false", &wang).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the changing session stays signed in"
    );

    // A second device; signing out everywhere ends both.
    let phone = sign_in(&app, "wang", new).await;
    let (status, _) = call(&app, "/api/sign_out_everywhere", "", &wang).await;
    assert!(status.is_success() || status.is_redirection());
    for cookie in [&wang, &phone] {
        let (status, _) = call(&app, "/api/list_cases", "overdue=false", cookie).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    // An administrator's reset ends the sessions and asks for a change again.
    let phone = sign_in(&app, "wang", new).await;
    let wang_id = user(&pool, "wang").await.id;
    let (status, text) = call(
        &app,
        "/api/account_action",
        &format!("account={wang_id}&action=reset"),
        &admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let temporary: Option<String> = serde_json::from_str(&text).unwrap();
    let (status, _) = call(&app, "/api/list_cases", "overdue=false", &phone).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let again = sign_in(&app, "wang", &temporary.unwrap()).await;
    let (status, _) = call(&app, "/api/list_cases", "overdue=false", &again).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A disabled account cannot sign in.
    let (status, _) = call(
        &app,
        "/api/account_action",
        &format!("account={wang_id}&action=disable"),
        &admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let res = app
        .clone()
        .oneshot(form(
            "/api/login",
            &format!("username=wang&password={new}"),
            None,
        ))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // The board's event stream follows the same rules.
    let res = app
        .clone()
        .oneshot(
            axum::http::Request::get("/api/board/events")
                .header(axum::http::header::COOKIE, &again)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn trails_briefs_merges_and_public_figures_stay_within_the_callers_area() {
    let (app, pool, _db) = app().await;
    let now = chrono::Utc::now();
    // A leader seated at another community (leaders read the audit trail).
    let other_community = id(
        &pool,
        "SELECT id FROM regions WHERE level = 'community' AND name <> '袁家庄社区' ORDER BY id LIMIT 1",
    )
    .await;
    let leader_b = seated(
        &pool,
        "leader_b",
        "另一社区包联领导",
        Role::Leader,
        other_community,
    )
    .await;
    let b_path = leader_b.region_path.clone().unwrap();
    let yjz = user(&pool, "director").await.region_path.unwrap();
    let codes_in = |path: String| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT c.code FROM cases c JOIN regions r ON r.id = c.region_id \
                 WHERE r.path LIKE $1 ORDER BY c.id",
            )
            .bind(format!("{path}%"))
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let yjz_codes = codes_in(yjz.clone()).await;
    let b_codes = codes_in(b_path.clone()).await;
    assert!(!yjz_codes.is_empty() && !b_codes.is_empty());
    let cookie = sign_in(&app, "leader_b", PASSWORD).await;
    let post = |uri: &'static str, body: String| {
        let app = app.clone();
        let cookie = cookie.clone();
        async move {
            let res = app.oneshot(form(uri, &body, Some(&cookie))).await.unwrap();
            let status = res.status();
            (status, crate::http::tests::body(res).await)
        }
    };

    // The audit trail of another area's case: 403, like its case page.
    let (status, _) = post("/api/get_audit", format!("case={}", yjz_codes[0])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post("/api/get_audit", format!("case={}", b_codes[0])).await;
    assert_eq!(status, StatusCode::OK);
    // The trail of a person of another area names none of that area's cases.
    let (status, trail) = post("/api/get_audit", "user=director".into()).await;
    assert_eq!(status, StatusCode::OK);
    for code in &yjz_codes {
        assert!(!trail.contains(code.as_str()), "{code} in {trail}");
    }

    // A merge into another area's case answers as if the code did not exist,
    // for one who may merge here (a director of leader_b's community).
    let director_b = seated(
        &pool,
        "director_b",
        "另一社区主任",
        Role::Director,
        other_community,
    )
    .await;
    let consolidating: Vec<String> = sqlx::query_scalar(
        "SELECT c.code FROM cases c JOIN regions r ON r.id = c.region_id \
         WHERE r.path LIKE $1 AND c.status IN ('registered', 'consolidating') ORDER BY c.id",
    )
    .bind(format!("{b_path}%"))
    .fetch_all(&pool)
    .await
    .unwrap();
    let own =
        domain::TrackingCode::parse(consolidating.first().expect("a case to consolidate")).unwrap();
    let open_yjz: String = sqlx::query_scalar(
        "SELECT c.code FROM cases c JOIN regions r ON r.id = c.region_id \
         WHERE r.path LIKE $1 AND c.closed_at IS NULL AND c.status <> 'merged' ORDER BY c.id LIMIT 1",
    )
    .bind(format!("{yjz}%"))
    .fetch_one(&pool)
    .await
    .unwrap();
    let merge = |into: String| {
        let (pool, director_b, own) = (pool.clone(), director_b.clone(), own.clone());
        async move {
            let act = |action| {
                let (pool, director_b, own) = (pool.clone(), director_b.clone(), own.clone());
                async move { store::cases::act(&pool, &director_b, &own, &action, now).await }
            };
            if store::cases::status_of(&pool, &own).await.unwrap() == domain::Status::Registered {
                act(domain::Action::StartConsolidation).await.unwrap();
            }
            act(domain::Action::Merge { into }).await
        }
    };
    for into in [open_yjz, "2222-2222".to_string()] {
        let refused = merge(into.clone()).await;
        assert!(
            matches!(&refused, Err(store::StoreError::Invalid(e)) if e[0].field == "into" && e[0].message == "unknown"),
            "{into}: {refused:?}"
        );
    }

    // A deputy's brief holds the station's cases only; the director's the community's.
    let deputy = user(&pool, "deputy").await;
    let director = user(&pool, "director").await;
    let station = deputy.station_id.unwrap();
    let listed = |b: &domain::session::DeputyBrief| {
        b.raised
            .iter()
            .chain(&b.overdue)
            .chain(&b.closed_since)
            .map(|c| c.station_id)
            .collect::<Vec<_>>()
    };
    // A problem the director found on a walk, closed today, not raised at the station.
    let (compound, category) = store::testing::compound_and_category(&pool, &director).await;
    let receipt = store::cases::create(
        &pool,
        &domain::NewCase {
            title: "楼道堆物".into(),
            description: "3号楼楼道堆放杂物".into(),
            category_id: category,
            region_id: compound,
            station_id: None,
            source: domain::Source::WalkIn,
            resident_name: "赵一鸣".into(),
            resident_phone: "13700001234".into(),
            resident_email: String::new(),
            notify: false,
        },
        Some(&director),
        now,
    )
    .await
    .unwrap();
    let walked = domain::TrackingCode::parse(&receipt.code).unwrap();
    for action in [
        domain::Action::StartConsolidation,
        domain::Action::HandleLocally {
            tier: domain::Tier::Grid,
            note: "网格员清理".into(),
        },
        domain::Action::CompleteLocally {
            result: "已清理".into(),
        },
        domain::Action::RecordFeedback {
            note: "已告知".into(),
        },
    ] {
        store::cases::act(&pool, &director, &walked, &action, now)
            .await
            .unwrap();
    }
    store::cases::rate(&pool, &walked, domain::Rating::Satisfied, "", now)
        .await
        .unwrap();
    let wide = store::sessions::brief(&pool, &director, station, now)
        .await
        .unwrap();
    assert!(
        listed(&wide).iter().any(|s| *s != Some(station)),
        "the community has cases not raised at the station"
    );
    let own_brief = store::sessions::brief(&pool, &deputy, station, now)
        .await
        .unwrap();
    assert!(listed(&own_brief).iter().all(|s| *s == Some(station)));

    // Public figures go down to the community, not to a building.
    let building = id(
        &pool,
        "SELECT id FROM regions WHERE level = 'building' ORDER BY id LIMIT 1",
    )
    .await;
    let public = |region: i64| {
        let app = app.clone();
        async move {
            app.oneshot(form(
                "/api/get_public_stats",
                &format!("region={region}"),
                None,
            ))
            .await
            .unwrap()
            .status()
        }
    };
    assert_eq!(public(building).await, StatusCode::NOT_FOUND);
    assert_eq!(public(other_community).await, StatusCode::OK);
}
