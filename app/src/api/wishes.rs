//! Micro-wishes (微心愿).

use crate::error::AppError;
use leptos::prelude::*;

/// Writes a micro-wish down (collected, not yet on the wall).
#[server(endpoint = "collect_wish")]
pub async fn collect_wish(#[server(flatten)] form: domain::wish::RawWish) -> Result<i64, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageWishes).await?;
    let new = form.parse().map_err(invalid)?;
    store::wishes::collect(&state()?.pool, &user, &new, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// Takes a wish one step: verify, claim (with the claimant), cancel_claim,
/// fulfil, confirm or withdraw.
#[server(endpoint = "wish_action")]
pub async fn wish_action(
    #[server(flatten)] step: domain::wish::RawWishStep,
) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageWishes).await?;
    let step = step.parse().map_err(invalid)?;
    store::wishes::act(
        &state()?.pool,
        &user,
        step.wish,
        step.action,
        &step.claimant,
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
