//! The ledger and the three lists.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A page of the ledger as the server hands it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerPage {
    pub list: domain::ledger::List,
    pub lines: Vec<domain::ledger::Line>,
    /// Lines the filter selects in all.
    pub total: i64,
    /// Number of the first line of this page.
    pub first: usize,
    /// Where the next page starts, if there is one.
    pub next: Option<i64>,
}

/// Lines of the ledger shown on one page.
pub const LEDGER_PAGE: i64 = 100;

/// One page of the ledger or of one of the three lists, with the total the
/// filter selects; `before` and `first` continue from a previous page.
#[server(endpoint = "get_ledger")]
pub async fn get_ledger(
    #[server(default)] filter: domain::ledger::RawFilter,
    before: Option<String>,
    first: Option<String>,
) -> Result<LedgerPage, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let (list, parsed) = filter.parse().map_err(|e| fail(AppError::Invalid(e)))?;
    let pool = &state()?.pool;
    let ctx = store::ledger::Context::load(pool, chrono::Utc::now()).await?;
    let before = before.and_then(|b| b.trim().parse().ok());
    let total = store::ledger::count(pool, &user, &parsed, &ctx).await?;
    let mut lines = Vec::new();
    let mut cursor = before;
    // Overdue lines are picked out of whole pages: read on until the page is full.
    let next = loop {
        let (mut got, next) =
            store::ledger::page(pool, &user, &parsed, &ctx, cursor, LEDGER_PAGE).await?;
        lines.append(&mut got);
        match next {
            Some(id) if (lines.len() as i64) < LEDGER_PAGE => cursor = Some(id),
            other => break other,
        }
    };
    Ok(LedgerPage {
        list,
        lines,
        total,
        first: first.and_then(|f| f.trim().parse().ok()).unwrap_or(1),
        next,
    })
}
