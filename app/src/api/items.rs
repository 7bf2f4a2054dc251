//! Escalated items: similar cases linked into one.

use crate::error::AppError;
use leptos::prelude::*;

/// Links several cases into one escalated item (市级统筹); `codes` is a
/// list of tracking codes separated by spaces or commas.
#[server(endpoint = "create_item")]
pub async fn create_item(
    #[server(flatten)] form: domain::coordination::RawItem,
) -> Result<i64, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::Coordinate).await?;
    let form = form.parse().map_err(invalid)?;
    store::coordination::create(&state()?.pool, &user, &form, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// A progress update on an escalated item; every linked case notes it.
#[server(endpoint = "update_item")]
pub async fn update_item(
    #[server(flatten)] update: domain::coordination::RawItemUpdate,
) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::Coordinate).await?;
    let update = update.parse().map_err(invalid)?;
    store::coordination::update(
        &state()?.pool,
        &user,
        update.item,
        update.status,
        &update.note,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

#[server(endpoint = "get_item")]
pub async fn get_item(item: String) -> Result<domain::view::Item, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    store::coordination::get(
        &state()?.pool,
        &user,
        id("item", &item)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

#[server(endpoint = "list_items")]
pub async fn list_items() -> Result<Vec<domain::view::ItemBrief>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    store::coordination::list(&state()?.pool, &user)
        .await
        .map_err(fail)
}

/// Open cases like `code` that could join it in a new escalated item.
#[server(endpoint = "item_candidates")]
pub async fn item_candidates(code: String) -> Result<Vec<domain::view::SimilarCase>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::Coordinate).await?;
    store::coordination::candidates(&state()?.pool, &user, &parse_code(&code)?)
        .await
        .map_err(fail)
}
