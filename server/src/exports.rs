//! Downloads for offices: tables as CSV that Excel opens in Chinese.

use app::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;

pub fn routes() -> Router<AppState> {
    Router::new().route("/ranking.csv", get(ranking))
}

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    (status, why).into_response()
}

/// Excel reads a CSV as the local code page unless it starts with a BOM.
const BOM: &[u8] = b"\xEF\xBB\xBF";

fn cell(r: Option<u32>) -> String {
    r.map(|p| p.to_string()).unwrap_or_default()
}

/// `GET /ranking.csv?month=YYYY-MM`: the monthly ranking of units, the same
/// figures as `/ranking`, rates in percent.
async fn ranking(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<MonthQuery>,
) -> Response {
    let Ok(Some(user)) = app::api::ssr::session_user(&session, &state.pool).await else {
        return refuse(StatusCode::UNAUTHORIZED, "sign in to download");
    };
    if let Err(e) = app::api::ssr::check(&user, domain::Permission::ViewCases) {
        return refuse(e.status(), "not allowed");
    }
    let now = chrono::Utc::now();
    let today = now.with_timezone(&domain::deadline::china()).date_naive();
    let Ok(day) = domain::ranking::month_of(q.month.as_deref(), today) else {
        return refuse(StatusCode::BAD_REQUEST, "month must be YYYY-MM");
    };
    let units = match store::stats::unit_figures(&state.pool, day, now).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "ranking export");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
        }
    };
    let ranking = domain::ranking::Ranking::of(day, units, app::api::RANKING_LIST_LEN);
    let mut out = csv::Writer::from_writer(BOM.to_vec());
    let head = [
        "责任单位",
        "交办件数",
        "退回件数",
        "按时签收件数",
        "已销号件数",
        "按时办结件数",
        "返工件数",
        "已评价件数",
        "满意件数",
        "签收率(%)",
        "按时办结率(%)",
        "退回率(%)",
        "返工率(%)",
        "满意率(%)",
        "综合得分",
        "榜单",
    ];
    let mut rows = vec![out.write_record(head)];
    for u in &ranking.units {
        let list = if ranking.red.contains(&u.unit_id) {
            "红榜"
        } else if ranking.black.contains(&u.unit_id) {
            "黑榜"
        } else {
            ""
        };
        rows.push(out.write_record([
            u.name.clone(),
            u.assigned.to_string(),
            u.returned.to_string(),
            u.acknowledged_on_time.to_string(),
            u.closed.to_string(),
            u.on_time.to_string(),
            u.reworked.to_string(),
            u.rated.to_string(),
            u.satisfied.to_string(),
            cell(u.acknowledgement_rate()),
            cell(u.on_time_rate()),
            cell(u.return_rate()),
            cell(u.rework_rate()),
            cell(u.satisfaction_rate()),
            cell(u.score()),
            list.to_string(),
        ]));
    }
    let body = match rows.into_iter().collect::<Result<(), _>>() {
        Ok(()) => out.into_inner().map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let Ok(body) = body else {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not write the file",
        );
    };
    let name = format!("ranking-{}.csv", ranking.month);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use crate::http::tests::{app, sign_in};
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get(app: &axum::Router, uri: &str, cookie: Option<&str>) -> (StatusCode, Vec<u8>) {
        let mut req = Request::get(uri);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let res = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        (
            status,
            res.into_body().collect().await.unwrap().to_bytes().to_vec(),
        )
    }

    #[tokio::test]
    async fn the_ranking_downloads_as_csv_with_the_pages_figures() {
        let (app, pool) = app().await;
        assert_eq!(
            get(&app, "/ranking.csv", None).await.0,
            StatusCode::UNAUTHORIZED
        );
        let cookie = sign_in(&app, "leader", store::demo::DEMO_PASSWORD).await;
        let (status, _) = get(&app, "/ranking.csv?month=soon", Some(&cookie)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let (status, bytes) = get(&app, "/ranking.csv", Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(bytes.starts_with(super::BOM));
        let mut reader = csv::Reader::from_reader(&bytes[super::BOM.len()..]);
        let head: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(head[0], "责任单位");
        assert_eq!(head[13], "满意率(%)");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let now = chrono::Utc::now();
        let today = now.with_timezone(&domain::deadline::china()).date_naive();
        let figures = store::stats::unit_figures(&pool, today, now).await.unwrap();
        assert_eq!(rows.len(), figures.len());
        for f in &figures {
            let row = rows.iter().find(|r| &r[0] == f.name.as_str()).unwrap();
            assert_eq!(row[1].parse::<i64>().unwrap(), f.assigned);
            assert_eq!(
                row[13].to_string(),
                f.satisfaction_rate()
                    .map(|r| r.to_string())
                    .unwrap_or_default()
            );
        }
        assert!(rows.iter().any(|r| &r[15] == "红榜"));
    }
}
