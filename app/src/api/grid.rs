//! The grid view without maps.

use crate::error::AppError;
use leptos::prelude::*;

/// The grid view of a region node (the top of the caller's area by default).
#[server(endpoint = "get_grid")]
pub async fn get_grid(node: Option<String>) -> Result<domain::view::GridView, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let node = match node.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        None => None,
        Some(n) => Some(id("node", n)?),
    };
    store::grid::view(&state()?.pool, &user, node, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// A grid worker's own page: visits registered and what is open in the grid.
#[server(endpoint = "my_grid")]
pub async fn my_grid() -> Result<domain::view::MyGrid, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    store::grid::mine(&state()?.pool, &user, chrono::Utc::now())
        .await
        .map_err(fail)
}
