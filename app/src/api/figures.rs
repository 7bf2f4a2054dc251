//! Figures by month and the units' ranking.

use crate::error::AppError;
use leptos::prelude::*;

/// How many units each list of the ranking names.
pub const RANKING_LIST_LEN: usize = 3;

/// The monthly ranking of units (红黑榜) for `month` (`YYYY-MM`, this month
/// by default), best first.
#[server(endpoint = "get_unit_ranking")]
pub async fn get_unit_ranking(month: Option<String>) -> Result<domain::ranking::Ranking, AppError> {
    use super::ssr::*;
    authorize(domain::Permission::ViewCases).await?;
    let now = chrono::Utc::now();
    let today = now.with_timezone(&domain::deadline::china()).date_naive();
    let day = domain::ranking::month_of(month.as_deref(), today)
        .map_err(|e| fail(AppError::Invalid(vec![e])))?;
    let units = store::stats::unit_figures(&state()?.pool, day).await?;
    Ok(domain::ranking::Ranking::of(day, units, RANKING_LIST_LEN))
}

/// The figures of a period (`YYYY-MM` to `YYYY-MM`, the last 12 months by
/// default) grouped by `by` (unit, station, community, grid, category,
/// leader or month), over the cases the caller may see.
#[server(endpoint = "get_figures")]
pub async fn get_figures(
    by: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<domain::figures::Report, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let now = chrono::Utc::now();
    let today = now.with_timezone(&domain::deadline::china()).date_naive();
    let dimension = match by.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => domain::figures::Dimension::Unit,
        Some(b) => domain::figures::Dimension::parse(b).ok_or_else(|| {
            fail(AppError::Invalid(vec![domain::FieldError::new(
                "by", "unknown",
            )]))
        })?,
    };
    let (first, end) = domain::figures::period(from.as_deref(), to.as_deref(), today)
        .map_err(|e| fail(AppError::Invalid(e)))?;
    store::stats::report(&state()?.pool, &user, dimension, first, end)
        .await
        .map_err(fail)
}
