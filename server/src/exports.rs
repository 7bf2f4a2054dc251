//! Downloads for offices: tables as CSV that Excel opens in Chinese, and
//! the ledger's lists as XLSX laid out to print. The ledger streams: it is
//! read in pages and written as it is read, never held whole in memory.

use app::api::ssr::Staff;
use app::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::ledger::{Line, List, RawFilter};
use serde::Deserialize;
use store::users::UserRow;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ranking.csv", get(ranking))
        .route("/figures.csv", get(figures))
        .route("/ledger.csv", get(ledger_csv))
        .route("/ledger.xlsx", get(ledger_xlsx))
        .route("/party/report.csv", get(service_csv))
        .route("/party/report.xlsx", get(service_xlsx))
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "export");
    refuse(StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
}

/// The fields a filter could not use, as a reason for a 400.
fn bad_fields(errors: &[domain::FieldError]) -> Response {
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    (
        StatusCode::BAD_REQUEST,
        format!("unusable filter: {}", fields.join(", ")),
    )
        .into_response()
}

fn attachment(content_type: &str, name: &str) -> [(header::HeaderName, String); 2] {
    [
        (header::CONTENT_TYPE, content_type.to_string()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ),
    ]
}

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    (status, why).into_response()
}

/// A small table's CSV as a download named `name`, or a 500 if any record
/// could not be written.
/// Writes one CSV row with every cell made safe to open in a spreadsheet.
fn write_row<W, I, T>(out: &mut csv::Writer<W>, cells: I) -> csv::Result<()>
where
    W: std::io::Write,
    I: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    for c in cells {
        out.write_field(domain::spreadsheet::safe_cell(c.as_ref()).as_bytes())?;
    }
    // Ends the record the fields began.
    out.write_record(None::<&[u8]>)
}

fn csv_file(out: csv::Writer<Vec<u8>>, rows: Vec<csv::Result<()>>, name: &str) -> Response {
    let written = rows.into_iter().collect::<csv::Result<()>>().ok();
    match written.and_then(|()| out.into_inner().ok()) {
        Some(body) => (attachment(CSV, name), body).into_response(),
        None => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not write the file",
        ),
    }
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
    staff: Staff,
    Query(q): Query<MonthQuery>,
) -> Response {
    if let Err(e) = staff.permit(domain::Permission::ViewCases) {
        return e.into_response();
    }
    let now = chrono::Utc::now();
    let today = now.with_timezone(&domain::deadline::china()).date_naive();
    let Ok(day) = domain::ranking::month_of(q.month.as_deref(), today) else {
        return refuse(StatusCode::BAD_REQUEST, "month must be YYYY-MM");
    };
    let units = match store::stats::unit_figures(&state.pool, day).await {
        Ok(u) => u,
        Err(e) => return unavailable(e),
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
    let mut rows = vec![write_row(&mut out, head)];
    for u in &ranking.units {
        let list = if ranking.red.contains(&u.unit_id) {
            "红榜"
        } else if ranking.black.contains(&u.unit_id) {
            "黑榜"
        } else {
            ""
        };
        rows.push(write_row(
            &mut out,
            [
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
            ],
        ));
    }
    csv_file(out, rows, &format!("ranking-{}.csv", ranking.month))
}

const CSV: &str = "text/csv; charset=utf-8";
pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Deserialize)]
struct FiguresQuery {
    by: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `GET /figures.csv?by=&from=&to=`: the table of `/figures`, counts and
/// rates in percent, with the total last.
async fn figures(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<FiguresQuery>,
) -> Response {
    let user = match staff.permit(domain::Permission::ViewCases) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let now = chrono::Utc::now();
    let today = now.with_timezone(&domain::deadline::china()).date_naive();
    let by = q.by.as_deref().filter(|b| !b.is_empty()).unwrap_or("unit");
    let Some(dimension) = domain::figures::Dimension::parse(by) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "by must be unit, station, community, grid, category, leader, heard_by or month",
        );
    };
    let (first, end) = match domain::figures::period(q.from.as_deref(), q.to.as_deref(), today) {
        Ok(p) => p,
        Err(e) => return bad_fields(&e),
    };
    let report = match store::stats::report(&state.pool, &user, dimension, first, end).await {
        Ok(r) => r,
        Err(e) => return unavailable(e),
    };
    let chinese = app::i18n::Locale::zh;
    let mut out = csv::Writer::from_writer(BOM.to_vec());
    let mut head = vec![
        app::tables::dimension_label(chinese, dimension),
        "收集".into(),
        "办结".into(),
        "办结率".into(),
        "按时办结率".into(),
        "签收率".into(),
        "退回率".into(),
        "返工率".into(),
        "满意率".into(),
    ];
    // The rated by how the rating came: online, in person, by callback.
    head.extend(domain::RatingChannel::ALL.map(|c| app::labels::channel(chinese, c).to_string()));
    let mut rows = vec![write_row(&mut out, &head)];
    let total = domain::figures::Group {
        id: None,
        name: "合计".into(),
        figures: report.total.clone(),
    };
    for g in report.groups.iter().chain([&total]) {
        let mut record = vec![g.name.clone()];
        record.extend(g.figures.row().iter().map(|c| match c {
            domain::figures::Cell::Rate(None) => String::new(),
            c => c.to_string(),
        }));
        record.extend(
            g.figures
                .rated_by
                .split(g.figures.rated)
                .map(|(_, n)| n.to_string()),
        );
        rows.push(write_row(&mut out, &record));
    }
    csv_file(
        out,
        rows,
        &format!(
            "figures-{}-{}-{}.csv",
            dimension.as_str(),
            report.from,
            report.to
        ),
    )
}

/// The list, its filter and everything needed to read it, for one export.
struct LedgerExport {
    list: List,
    filter: domain::ledger::Filter,
    user: UserRow,
    ctx: store::ledger::Context,
    total: i64,
    name: String,
    /// The day of the export, China time, as printed in the title.
    day: String,
}

async fn ledger_export(
    state: &AppState,
    staff: Staff,
    raw: &RawFilter,
    ext: &str,
) -> Result<LedgerExport, Response> {
    let user = staff
        .permit(domain::Permission::ViewCases)
        .map_err(IntoResponse::into_response)?;
    let (list, filter) = raw.parse().map_err(|e| bad_fields(&e))?;
    let now = chrono::Utc::now();
    let ctx = store::ledger::Context::load(&state.pool, now)
        .await
        .map_err(unavailable)?;
    let total = store::ledger::count(&state.pool, &user, &filter, &ctx)
        .await
        .map_err(unavailable)?;
    let day = now
        .with_timezone(&domain::deadline::china())
        .format("%Y-%m-%d")
        .to_string();
    Ok(LedgerExport {
        name: format!("{}-{day}.{ext}", list.as_str()),
        day,
        list,
        filter,
        user,
        ctx,
        total,
    })
}

/// The cells of one line of `list`, as the page prints them.
fn cells(list: List, n: usize, line: &Line) -> Vec<std::borrow::Cow<'_, str>> {
    list.columns()
        .iter()
        .map(|c| app::tables::cell(app::i18n::Locale::zh, *c, n, line))
        .collect()
}

fn headings(list: List) -> Vec<String> {
    list.columns()
        .iter()
        .map(|c| app::tables::heading(app::i18n::Locale::zh, *c))
        .collect()
}

/// `GET /ledger.csv?list=&…filters`: the list as CSV, written page by page
/// as it is read. `X-Total-Rows` announces the lines for a progress bar.
async fn ledger_csv(
    State(state): State<AppState>,
    staff: Staff,
    Query(raw): Query<RawFilter>,
) -> Response {
    let export = match ledger_export(&state, staff, &raw, "csv").await {
        Ok(e) => e,
        Err(refusal) => return refusal,
    };
    struct Walk {
        pages: store::ledger::Pages,
        list: List,
        n: usize,
        head: bool,
    }
    let (name, total, list) = (export.name.clone(), export.total, export.list);
    let walk = Walk {
        pages: store::ledger::Pages::new(&state.pool, export.user, export.filter, export.ctx),
        list,
        n: 0,
        head: true,
    };
    let chunks = futures::stream::unfold(walk, |mut w| async move {
        // None once the last page is written (or a read failed).
        let lines = match w.pages.next().await {
            Ok(lines) => lines?,
            Err(error) => {
                // The headers are gone: a cut-off file is all the client can be told.
                tracing::error!(%error, "ledger export");
                return Some((Err(std::io::Error::other("database unavailable")), w));
            }
        };
        let mut out = csv::Writer::from_writer(Vec::with_capacity(lines.len() * 256));
        let mut written = Ok(());
        if w.head {
            w.head = false;
            written = write_row(&mut out, headings(w.list));
        }
        for l in &lines {
            w.n += 1;
            written = written.and_then(|()| write_row(&mut out, cells(w.list, w.n, l)));
        }
        let chunk = written
            .map_err(std::io::Error::other)
            .and_then(|()| {
                out.into_inner()
                    .map_err(|e| std::io::Error::other(e.to_string()))
            })
            .map(axum::body::Bytes::from);
        Some((chunk, w))
    });
    let bom = futures::stream::once(async { Ok(axum::body::Bytes::from_static(BOM)) });
    // Fused: a body may be polled again after its end (compression does),
    // which an unfold would answer with a panic.
    let body = axum::body::Body::from_stream(futures::StreamExt::fuse(futures::StreamExt::chain(
        bom, chunks,
    )));
    let mut res = (attachment(CSV, &name), body).into_response();
    res.headers_mut().insert("x-total-rows", total.into());
    res
}

/// `GET /ledger.xlsx?list=&…filters`: the list as a workbook laid out to
/// print (title, headings repeated on every A4 landscape page, borders).
/// The sheet is written row by row to a temporary file in constant-memory
/// mode and the file is streamed from disk.
async fn ledger_xlsx(
    State(state): State<AppState>,
    staff: Staff,
    Query(raw): Query<RawFilter>,
) -> Response {
    let export = match ledger_export(&state, staff, &raw, "xlsx").await {
        Ok(e) => e,
        Err(refusal) => return refusal,
    };
    let file = match write_xlsx(&state.pool, &export).await {
        Ok(f) => f,
        Err(e) => return unavailable(e),
    };
    let Ok(length) = file.as_file().metadata().map(|m| m.len()) else {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not write the file",
        );
    };
    let Ok(reopened) = file.reopen() else {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not write the file",
        );
    };
    // The open handle keeps the unlinked file readable until the stream ends.
    drop(file);
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(reopened));
    let mut res = (
        attachment(XLSX, &export.name),
        axum::body::Body::from_stream(stream),
    )
        .into_response();
    res.headers_mut()
        .insert(header::CONTENT_LENGTH, length.into());
    res.headers_mut()
        .insert("x-total-rows", export.total.into());
    res
}

#[derive(Debug, thiserror::Error)]
enum ExportError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

async fn write_xlsx(
    pool: &store::Pool,
    e: &LedgerExport,
) -> Result<tempfile::NamedTempFile, ExportError> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let chinese = app::i18n::Locale::zh;
    let cols = e.list.columns();
    let last_col = u16::try_from(cols.len().saturating_sub(1)).unwrap_or(0);
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("#E7ECF3")
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let body = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let mut book = Workbook::new();
    book.set_tempdir(std::env::temp_dir())?;
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name(app::tables::list_title(chinese, e.list))?;
    sheet
        .set_landscape()
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 1)?;
    sheet.set_freeze_panes(2, 0)?;
    for (i, c) in cols.iter().enumerate() {
        sheet.set_column_width(u16::try_from(i).unwrap_or(0), c.width())?;
    }
    let heading = format!(
        "{}（{}，共 {} 件）",
        app::tables::list_title(chinese, e.list),
        e.day,
        e.total
    );
    sheet.merge_range(0, 0, 0, last_col, &heading, &title)?;
    for (i, h) in headings(e.list).iter().enumerate() {
        sheet.write_string_with_format(1, u16::try_from(i).unwrap_or(0), h, &head)?;
    }
    let mut row: u32 = 2;
    let mut failed = None;
    store::ledger::walk(pool, &e.user, &e.filter, &e.ctx, |n, line| {
        for (i, text) in cells(e.list, n, line).into_iter().enumerate() {
            let col = u16::try_from(i).unwrap_or(0);
            if let Err(err) = sheet.write_string_with_format(row, col, text, &body) {
                failed.get_or_insert(err);
            }
        }
        row += 1;
        Ok::<(), store::StoreError>(())
    })
    .await?;
    if let Some(err) = failed {
        return Err(err.into());
    }
    let file = tempfile::NamedTempFile::new()?;
    book.save(file.path())?;
    Ok(file)
}

#[derive(Deserialize)]
struct QuarterQuery {
    quarter: Option<String>,
    by: Option<String>,
}

/// The quarterly service report the reader may see, from `?quarter=2026-Q4`
/// (default: this quarter).
async fn service_report(
    state: &AppState,
    staff: Staff,
    q: &QuarterQuery,
) -> Result<domain::party::ServiceReport, Response> {
    let user = staff
        .permit(domain::Permission::ManageParty)
        .map_err(IntoResponse::into_response)?;
    let today = chrono::Utc::now()
        .with_timezone(&domain::deadline::china())
        .date_naive();
    let quarter = match q.quarter.as_deref().filter(|s| !s.is_empty()) {
        None => domain::party::Quarter::of(today),
        Some(s) => domain::party::Quarter::parse(s)
            .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "quarter must look like 2026-Q4"))?,
    };
    store::party::report(&state.pool, &user, quarter)
        .await
        .map_err(unavailable)
}

/// `GET /party/report.csv?quarter=2026-Q4&by=member|unit`: the quarter's
/// service per member (default) or per work unit, for the units.
async fn service_csv(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<QuarterQuery>,
) -> Response {
    let by_unit = match q.by.as_deref().unwrap_or("member") {
        "member" | "" => false,
        "unit" => true,
        _ => return refuse(StatusCode::BAD_REQUEST, "by must be member or unit"),
    };
    let report = match service_report(&state, staff, &q).await {
        Ok(r) => r,
        Err(refusal) => return refusal,
    };
    let chinese = app::i18n::Locale::zh;
    let mut out = csv::Writer::from_writer(BOM.to_vec());
    let mut rows = vec![write_row(
        &mut out,
        app::tables::report_headings(chinese, by_unit),
    )];
    for record in app::tables::report_rows(chinese, &report, by_unit) {
        rows.push(write_row(&mut out, &record));
    }
    csv_file(
        out,
        rows,
        &format!(
            "service-{}-{}.csv",
            report.quarter,
            if by_unit { "units" } else { "members" }
        ),
    )
}

/// `GET /party/report.xlsx?quarter=2026-Q4`: both tables, one sheet each,
/// laid out to print. A community's report is small: written in memory.
async fn service_xlsx(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<QuarterQuery>,
) -> Response {
    let report = match service_report(&state, staff, &q).await {
        Ok(r) => r,
        Err(refusal) => return refusal,
    };
    match service_workbook(&report) {
        Ok(bytes) => (
            attachment(XLSX, &format!("service-{}.xlsx", report.quarter)),
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "service report");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "could not write the file",
            )
        }
    }
}

fn service_workbook(
    report: &domain::party::ServiceReport,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use app::tables::{report_headings, report_rows, report_title};
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let chinese = app::i18n::Locale::zh;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("#E7ECF3")
        .set_align(FormatAlign::Center);
    let body = Format::new().set_border(FormatBorder::Thin);
    let mut book = Workbook::new();
    for by_unit in [false, true] {
        let heads = report_headings(chinese, by_unit);
        let last = u16::try_from(heads.len().saturating_sub(1)).unwrap_or(0);
        let sheet = book.add_worksheet();
        sheet.set_name(report_title(chinese, by_unit))?;
        sheet
            .set_landscape()
            .set_paper_size(9)
            .set_print_fit_to_pages(1, 0);
        sheet.set_repeat_rows(0, 1)?;
        sheet.merge_range(
            0,
            0,
            0,
            last,
            &format!("{}（{}）", report_title(chinese, by_unit), report.quarter),
            &title,
        )?;
        for (i, h) in heads.iter().enumerate() {
            let col = u16::try_from(i).unwrap_or(0);
            sheet.set_column_width(col, if i == 0 { 24 } else { 14 })?;
            sheet.write_string_with_format(1, col, h, &head)?;
        }
        for (r, record) in report_rows(chinese, report, by_unit).iter().enumerate() {
            let row = u32::try_from(r + 2).unwrap_or(u32::MAX);
            for (i, text) in record.iter().enumerate() {
                sheet.write_string_with_format(row, u16::try_from(i).unwrap_or(0), text, &body)?;
            }
        }
    }
    book.save_to_buffer()
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
        let (app, pool, _db) = app().await;
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
        let figures = store::stats::unit_figures(&pool, today).await.unwrap();
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

    /// A browser asks for compression: the ledger's CSV streams compressed
    /// to its last line, and the workbook, a zip already, is sent as it is
    /// with the length its progress bar reads. Over a real connection: the
    /// CSV's stream once panicked when the server polled it past its end,
    /// cutting every compressed download after its first bytes.
    #[tokio::test]
    async fn exports_are_compressed_whole_and_workbooks_left_alone() {
        use std::io::Read;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (app, _pool, _db) = app().await;
        let cookie = sign_in(&app, "leader", store::demo::DEMO_PASSWORD).await;
        let (_, plain) = get(&app, "/ledger.csv?list=ledger", Some(&cookie)).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served = app
            .clone()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, served).await });
        let fetch = |path: &'static str| {
            let cookie = cookie.clone();
            async move {
                let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                let request = format!(
                    "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\
                     Accept-Encoding: gzip, deflate, br\r\nConnection: close\r\n\r\n"
                );
                stream.write_all(request.as_bytes()).await.unwrap();
                let mut answer = Vec::new();
                stream.read_to_end(&mut answer).await.unwrap();
                let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
                let head = String::from_utf8(answer[..split].to_vec())
                    .unwrap()
                    .to_lowercase();
                (head, answer[split + 4..].to_vec())
            }
        };

        let (head, chunked) = fetch("/ledger.csv?list=ledger").await;
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(head.contains("content-encoding: br"), "{head}");
        // The chunks, to the last (empty) one: a cut connection has none.
        let mut zipped = Vec::new();
        let mut rest = &chunked[..];
        loop {
            let line_end = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("cut short");
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap(), 16).unwrap();
            rest = &rest[line_end + 2..];
            if size == 0 {
                break;
            }
            zipped.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        let mut csv = Vec::new();
        brotli::Decompressor::new(&zipped[..], 4096)
            .read_to_end(&mut csv)
            .unwrap();
        assert_eq!(csv, plain);

        let (head, body) = fetch("/ledger.xlsx?list=ledger").await;
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(!head.contains("content-encoding"), "{head}");
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap();
        assert_eq!(body.len(), length.parse::<usize>().unwrap());
    }

    /// Every line of a list the reader may see, in the store's order.
    async fn lines(pool: &store::Pool, user: &str, query: &str) -> Vec<domain::ledger::Line> {
        let user = store::users::find_by_username(pool, user)
            .await
            .unwrap()
            .unwrap();
        let raw: domain::ledger::RawFilter = serde_urlencoded_query(query);
        let (_, filter) = raw.parse().unwrap();
        let ctx = store::ledger::Context::load(pool, chrono::Utc::now())
            .await
            .unwrap();
        let mut out = Vec::new();
        store::ledger::walk(pool, &user, &filter, &ctx, |_, l| {
            out.push(l.clone());
            Ok::<(), store::StoreError>(())
        })
        .await
        .unwrap();
        out
    }

    fn serde_urlencoded_query(q: &str) -> domain::ledger::RawFilter {
        let pairs: std::collections::HashMap<String, String> =
            form_urlencoded::parse(q.as_bytes()).into_owned().collect();
        serde_json::from_value(serde_json::to_value(pairs).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn a_residents_formula_reaches_the_csv_as_text_and_the_xlsx_as_a_string() {
        use calamine::{Data, Reader, Xlsx};
        let (app, pool, _db) = app().await;
        let cookie = sign_in(&app, "leader", store::demo::DEMO_PASSWORD).await;
        let query = "list=responsibility&state=open";
        let code = lines(&pool, "leader", query).await[0].code.clone();
        let formula = "=HYPERLINK(\"http://evil.example\",\"查看详情\")";
        sqlx::query("UPDATE cases SET title = $1 WHERE code = $2")
            .bind(formula)
            .bind(code.replace('-', ""))
            .execute(&pool)
            .await
            .unwrap();

        let (status, bytes) = get(&app, &format!("/ledger.csv?{query}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK);
        let mut reader = csv::Reader::from_reader(&bytes[super::BOM.len()..]);
        let row = reader
            .records()
            .map(Result::unwrap)
            .find(|r| r[1] == *code)
            .unwrap();
        assert_eq!(&row[2], format!("'{formula}"));

        let (_, bytes) = get(&app, &format!("/ledger.xlsx?{query}"), Some(&cookie)).await;
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("责任清单").unwrap();
        let row = range
            .rows()
            .find(|r| r.get(1).is_some_and(|c| c.to_string() == code))
            .unwrap();
        assert_eq!(row[2], Data::String(formula.into()));
    }

    #[tokio::test]
    async fn the_responsibility_list_downloads_as_xlsx_and_csv_with_every_line() {
        use calamine::{Reader, Xlsx};
        let (app, pool, _db) = app().await;
        assert_eq!(
            get(&app, "/ledger.xlsx", None).await.0,
            StatusCode::UNAUTHORIZED
        );
        let cookie = sign_in(&app, "leader", store::demo::DEMO_PASSWORD).await;
        let (status, body) = get(&app, "/ledger.csv?list=all&from=yesterday", Some(&cookie)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(String::from_utf8_lossy(&body).contains("list, from"));

        let query = "list=responsibility&state=open";
        let expected = lines(&pool, "leader", query).await;
        assert!(expected.len() > 10, "the demo has open cases");

        let (status, bytes) = get(&app, &format!("/ledger.xlsx?{query}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK);
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["责任清单"]);
        let range = book.worksheet_range("责任清单").unwrap();
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert!(rows[0][0].starts_with("责任清单"), "{:?}", rows[0]);
        assert_eq!(
            rows[1],
            [
                "序号",
                "查询码",
                "标题",
                "层级",
                "责任单位",
                "责任人",
                "签收时限",
                "办结时限",
                "状态"
            ]
        );
        assert_eq!(rows.len() - 2, expected.len());
        for (i, (row, line)) in rows[2..].iter().zip(&expected).enumerate() {
            assert_eq!(row[0], (i + 1).to_string());
            assert_eq!(row[1], line.code);
            assert_eq!(row[4], line.unit.clone().unwrap_or_default());
        }

        let (status, bytes) = get(&app, &format!("/ledger.csv?{query}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(bytes.starts_with(super::BOM));
        let mut reader = csv::Reader::from_reader(&bytes[super::BOM.len()..]);
        assert_eq!(reader.headers().unwrap().get(5), Some("责任人"));
        let codes: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[1].to_string())
            .collect();
        let want: Vec<String> = expected.iter().map(|l| l.code.clone()).collect();
        assert_eq!(codes, want);

        // A unit's filter narrows the file to that unit.
        let unit = sqlx::query_scalar::<_, i64>("SELECT MIN(unit_id) FROM cases")
            .fetch_one(&pool)
            .await
            .unwrap();
        let narrowed = format!("list=ledger&unit={unit}");
        let (_, bytes) = get(&app, &format!("/ledger.csv?{narrowed}"), Some(&cookie)).await;
        let mut reader = csv::Reader::from_reader(&bytes[super::BOM.len()..]);
        let n = reader.records().count();
        assert_eq!(n, lines(&pool, "leader", &narrowed).await.len());
        assert!(n > 0 && n < lines(&pool, "leader", "list=ledger").await.len());
    }

    #[tokio::test]
    async fn figures_download_as_csv_with_the_total_last() {
        let (app, pool, _db) = app().await;
        let cookie = sign_in(&app, "leader", store::demo::DEMO_PASSWORD).await;
        let (status, _) = get(&app, "/figures.csv?by=planet", Some(&cookie)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = get(&app, "/figures.csv?from=2026-05&to=2026-01", Some(&cookie)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, bytes) = get(&app, "/figures.csv?by=community", Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK);
        let mut reader = csv::Reader::from_reader(&bytes[super::BOM.len()..]);
        assert_eq!(reader.headers().unwrap().get(8), Some("满意率"));
        assert_eq!(reader.headers().unwrap().get(11), Some("电话回访评价"));
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let leader = store::users::find_by_username(&pool, "leader")
            .await
            .unwrap()
            .unwrap();
        let now = chrono::Utc::now();
        let today = now.with_timezone(&domain::deadline::china()).date_naive();
        let (first, end) = domain::figures::period(None, None, today).unwrap();
        let report = store::stats::report(
            &pool,
            &leader,
            domain::figures::Dimension::Community,
            first,
            end,
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), report.groups.len() + 1);
        let last = rows.last().unwrap();
        assert_eq!(&last[0], "合计");
        assert_eq!(last[1].parse::<i64>().unwrap(), report.total.collected);
        // The rated, by channel, add up to the rated.
        let by_channel: i64 = (9..12).map(|i| last[i].parse::<i64>().unwrap()).sum();
        assert_eq!(by_channel, report.total.rated);
        let sum: i64 = rows[..rows.len() - 1]
            .iter()
            .map(|r| r[1].parse::<i64>().unwrap())
            .sum();
        assert_eq!(
            sum, report.total.collected,
            "every case is in one community"
        );
    }

    #[tokio::test]
    async fn the_quarterly_service_report_downloads_for_the_work_units() {
        use calamine::{Reader, Xlsx};
        let (app, pool, _db) = app().await;
        let day = (chrono::Utc::now() - chrono::Duration::days(8))
            .with_timezone(&domain::deadline::china())
            .date_naive();
        let quarter = domain::party::Quarter::of(day).to_string();
        let uri = format!("/party/report.csv?quarter={quarter}");
        assert_eq!(get(&app, &uri, None).await.0, StatusCode::UNAUTHORIZED);
        let handler = sign_in(&app, "handler", store::demo::DEMO_PASSWORD).await;
        assert_eq!(
            get(&app, &uri, Some(&handler)).await.0,
            StatusCode::FORBIDDEN
        );
        let cookie = sign_in(&app, "director", store::demo::DEMO_PASSWORD).await;
        let (status, _) = get(&app, "/party/report.csv?quarter=2026-Q9", Some(&cookie)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let (status, bytes) = get(&app, &uri, Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK);
        let mut reader = csv::Reader::from_reader(&bytes[super::BOM.len()..]);
        let head: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(head[0], "党员");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let director = store::users::find_by_username(&pool, "director")
            .await
            .unwrap()
            .unwrap();
        let report = store::party::report(
            &pool,
            &director,
            domain::party::Quarter::parse(&quarter).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), report.members.len());
        let li = rows
            .iter()
            .find(|r| &r[0] == "在职党员 李文斌")
            .expect("the serving member");
        assert_eq!(&li[1], "离石区城市管理局");
        let line = report
            .members
            .iter()
            .find(|m| m.member == "在职党员 李文斌")
            .unwrap();
        assert_eq!(li[4].to_string(), domain::party::hours(line.minutes));

        let (_, bytes) = get(&app, &format!("{uri}&by=unit"), Some(&cookie)).await;
        let mut reader = csv::Reader::from_reader(&bytes[super::BOM.len()..]);
        assert_eq!(&reader.headers().unwrap()[0], "工作单位");
        assert_eq!(reader.records().count(), report.units.len());

        let (status, bytes) = get(
            &app,
            &format!("/party/report.xlsx?quarter={quarter}"),
            Some(&cookie),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names().len(), 2);
        let first = book.sheet_names()[0].clone();
        let range = book.worksheet_range(&first).unwrap();
        let cells: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert!(cells[0][0].contains(&quarter));
        assert_eq!(cells.len(), 2 + report.members.len());
        assert!(cells.iter().any(|r| r[0] == "在职党员 李文斌"));
    }
}
