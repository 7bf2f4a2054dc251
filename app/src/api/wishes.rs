//! Micro-wishes (微心愿).

use crate::error::AppError;
use leptos::prelude::*;

/// Writes a micro-wish down (collected, not yet on the wall).
#[server(endpoint = "collect_wish")]
pub async fn collect_wish(
    title: String,
    detail: String,
    region_id: String,
    resident_name: String,
    resident_phone: String,
) -> Result<i64, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageWishes).await?;
    let new = domain::wish::NewWish {
        title,
        detail,
        region_id: id("region_id", &region_id)?,
        resident_name,
        resident_phone,
    };
    store::wishes::collect(&state()?.pool, &user, &new, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// Takes a wish one step: verify, claim (with the claimant), cancel_claim,
/// fulfil, confirm or withdraw.
#[server(endpoint = "wish_action")]
pub async fn wish_action(
    wish: String,
    action: String,
    claimant: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageWishes).await?;
    let action = domain::wish::WishAction::parse(&action).ok_or_else(|| {
        fail(AppError::Invalid(vec![domain::FieldError::new(
            "action", "unknown",
        )]))
    })?;
    store::wishes::act(
        &state()?.pool,
        &user,
        id("wish", &wish)?,
        action,
        claimant.as_deref().unwrap_or_default(),
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

#[server(endpoint = "list_wishes")]
pub async fn list_wishes() -> Result<Vec<domain::wish::Wish>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageWishes).await?;
    store::wishes::list(&state()?.pool, &user)
        .await
        .map_err(fail)
}

/// The public wish wall: no sign-in, names masked.
#[server(endpoint = "get_wall")]
pub async fn get_wall() -> Result<Vec<domain::wish::WallWish>, AppError> {
    use super::ssr::*;
    store::wishes::wall(&state()?.pool).await.map_err(fail)
}
