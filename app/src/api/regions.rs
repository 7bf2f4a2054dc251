//! The region tree: import, add, rename, move, retire.

use crate::error::AppError;
use leptos::prelude::*;

/// Every node of the tree down to compounds, for the administration's pickers and list.
#[server(endpoint = "region_nodes")]
pub async fn region_nodes() -> Result<Vec<domain::view::RegionOption>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageRegions).await?;
    let scope = store::access::scope_for(&user, domain::Permission::ManageRegions);
    Ok(store::reference::areas(&state()?.pool, scope.region_path()).await?)
}

/// Imports a branch of the region tree from CSV (上级,层级,名称); a file
/// with any bad line imports nothing and the report names every bad line.
#[server(endpoint = "import_regions")]
pub async fn import_regions(csv: String) -> Result<domain::view::ImportReport, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageRegions).await?;
    store::regions::import(&state()?.pool, &user, &csv, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// Adds a node below `parent` (one level deeper).
#[server(endpoint = "add_region")]
pub async fn add_region(
    #[server(flatten)] node: domain::region::RawNewNode,
) -> Result<i64, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageRegions).await?;
    let node = node.parse().map_err(invalid)?;
    store::regions::add(
        &state()?.pool,
        &user,
        node.parent,
        &node.name,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

#[server(endpoint = "rename_region")]
pub async fn rename_region(
    #[server(flatten)] rename: domain::region::RawRename,
) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageRegions).await?;
    let rename = rename.parse().map_err(invalid)?;
    store::regions::rename(
        &state()?.pool,
        &user,
        rename.region,
        &rename.name,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Moves a node (with everything below it) under a new parent.
#[server(endpoint = "move_region")]
pub async fn move_region(#[server(flatten)] to: domain::region::RawMove) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageRegions).await?;
    let to = to.parse().map_err(invalid)?;
    store::regions::move_node(
        &state()?.pool,
        &user,
        to.region,
        to.parent,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Retires a node and its subtree (refused while cases are open there or
/// accounts or stations sit there); returns how many nodes were retired.
#[server(endpoint = "retire_region")]
pub async fn retire_region(region: String) -> Result<i64, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageRegions).await?;
    store::regions::retire(
        &state()?.pool,
        &user,
        id("region", &region)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}
