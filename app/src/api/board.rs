//! The live board and the case lists, and the filters they share.

use crate::error::AppError;
use domain::view::{BoardQuery, CaseSummary};
use leptos::prelude::*;

/// Cases per page of a case list.
pub const CASES_PAGE: i64 = 200;

/// Cards per page of a board column ("more" loads the next).
pub const BOARD_PAGE: i64 = 50;

/// A page of the cases the user may see: overdue first, then newest, from
/// `offset`, with the exact number that match.
#[server(endpoint = "list_cases")]
pub async fn list_cases(
    step: Option<String>,
    category: Option<String>,
    unit: Option<String>,
    overdue: bool,
    q: Option<String>,
    // Absent from callers written before the to-do: everything, as before.
    #[server(default)] mine: bool,
    offset: Option<i64>,
) -> Result<domain::view::Page<CaseSummary>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let pool = state()?.pool;
    let query = BoardQuery {
        step,
        category,
        unit,
        overdue,
        q,
        mine,
        ..Default::default()
    };
    let filter = case_filter(&query, &pool, user.role).await?;
    let window = (store::cases::Order::Newest, offset.unwrap_or(0), CASES_PAGE);
    Ok(store::cases::page(&pool, &user, &filter, window, chrono::Utc::now()).await?)
}

/// A board's filter: open cases and those closed this month, narrowed by
/// the query's filters; a filter that names nothing is a field error.
#[cfg(feature = "ssr")]
async fn board_filter(
    query: &BoardQuery,
    pool: &store::Pool,
    role: domain::Role,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<domain::view::CaseFilter, AppError> {
    use chrono::{Datelike, TimeZone};
    let china = domain::deadline::china();
    let month_start = now
        .with_timezone(&china)
        .date_naive()
        .with_day(1)
        .unwrap_or_default();
    let closed_since = china
        .from_local_datetime(&month_start.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.with_timezone(&chrono::Utc));
    Ok(domain::view::CaseFilter {
        closed_since,
        ..case_filter(query, pool, role).await?
    })
}

/// The filters of a board or case list, or which of them names nothing.
#[cfg(feature = "ssr")]
async fn case_filter(
    query: &BoardQuery,
    pool: &store::Pool,
    role: domain::Role,
) -> Result<domain::view::CaseFilter, AppError> {
    // The tree (a query and a copy of the city's regions) only when a
    // region is asked for: most board and list requests name none.
    let tree = match query.region.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => Some(store::reference::region_tree(pool).await?),
        _ => None,
    };
    let mut filter = query
        .parse(|id| tree.as_ref()?.get(id).map(|n| n.path.clone()))
        .map_err(|e| super::ssr::fail(AppError::Invalid(e)))?;
    if query.mine {
        // A role with no to-do gets an empty list, not everything.
        filter.statuses = domain::view::CaseFilter::to_do(role).statuses;
    }
    Ok(filter)
}

/// The live board's first load: the first page of each column (overdue
/// first, then what waits longest) and the exact counts, with the filters in
/// the board's query string. The event stream at `/api/board/events`
/// continues from `last_event_id`.
#[server(endpoint = "get_board")]
pub async fn get_board(query: BoardQuery) -> Result<domain::view::BoardData, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let pool = state()?.pool;
    // Read the event id first: anything after it arrives through the stream.
    let last_event_id = store::events::last_event_id(&pool).await?;
    let now = chrono::Utc::now();
    let filter = board_filter(&query, &pool, user.role, now).await?;
    let columns = domain::Step::ALL
        .into_iter()
        .filter(|s| *s != domain::Step::Closed && filter.step.is_none_or(|f| f == *s));
    let (counts, cards) =
        store::cases::board(&pool, &user, &filter, columns, BOARD_PAGE, now).await?;
    Ok(domain::view::BoardData {
        cards,
        counts,
        page_size: BOARD_PAGE,
        last_event_id,
        filter,
        actors: user.role.capacities().to_vec(),
    })
}

/// The next page of one board column, from `offset`.
#[server(endpoint = "board_column")]
pub async fn board_column(
    query: BoardQuery,
    column: String,
    offset: i64,
) -> Result<domain::view::Page<CaseSummary>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let pool = state()?.pool;
    let now = chrono::Utc::now();
    let step = domain::Step::parse(&column).ok_or_else(|| {
        fail(AppError::Invalid(vec![domain::FieldError::new(
            "column", "unknown",
        )]))
    })?;
    let filter = domain::view::CaseFilter {
        step: Some(step),
        ..board_filter(&query, &pool, user.role, now).await?
    };
    let window = (store::cases::Order::Waiting, offset, BOARD_PAGE);
    Ok(store::cases::page(&pool, &user, &filter, window, now).await?)
}

/// A board's exact counts now (the board refreshes them as cases change).
#[server(endpoint = "board_counts")]
pub async fn board_counts(query: BoardQuery) -> Result<domain::view::BoardCounts, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let pool = state()?.pool;
    let now = chrono::Utc::now();
    let filter = board_filter(&query, &pool, user.role, now).await?;
    Ok(store::cases::board_counts(&pool, &user, &filter, now).await?)
}
