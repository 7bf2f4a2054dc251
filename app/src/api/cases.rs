//! Registering a case, its page, its actions, extensions and receipts.

use super::PrintedReceipt;
use crate::error::AppError;
use domain::view::{CaseDetail, FilterChoices, Options, Receipt};
use leptos::prelude::*;

#[server(endpoint = "intake_options")]
pub async fn intake_options() -> Result<Options, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    // Pickers offer the user's own area; a deputy's is their station's community.
    let scope = store::access::scope(&user);
    let area = scope.region_path().or(user.region_path.as_deref());
    Ok(store::reference::options(&state()?.pool, area).await?)
}

/// The filter bars' pickers, with the way down to the area `region` the
/// list is narrowed to (see `RegionTree::filter_areas`).
#[server(endpoint = "filter_options")]
pub async fn filter_options(region: Option<i64>) -> Result<FilterChoices, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let scope = store::access::scope(&user);
    let area = scope.region_path().or(user.region_path.as_deref());
    Ok(store::reference::filter_options(&state()?.pool, area, region).await?)
}

#[server(endpoint = "register_case")]
pub async fn register_case(
    #[server(flatten)] form: domain::intake::RawCase,
) -> Result<Receipt, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::RegisterCase).await?;
    let new = form.parse().map_err(invalid)?;
    let receipt = store::cases::create(&state()?.pool, &new, Some(&user), chrono::Utc::now())
        .await
        .map_err(fail)?;
    leptos_axum::redirect(&format!("/cases/{}/receipt", receipt.code));
    Ok(receipt)
}

/// The unit holding a case asks for `days` more days on its completion deadline.
#[server(endpoint = "request_extension")]
pub async fn request_extension(
    #[server(flatten)] form: domain::deadline::RawExtensionRequest,
) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ActOnCase).await?;
    let form = form.parse().map_err(invalid)?;
    store::extensions::request(
        &state()?.pool,
        &user,
        &form.code,
        form.days,
        &form.reason,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// The supervision office decides the waiting extension request:
/// `decision` is `approve` or `refuse`.
#[server(endpoint = "decide_extension")]
pub async fn decide_extension(
    #[server(flatten)] form: domain::deadline::RawExtensionDecision,
) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::DecideExtension).await?;
    let form = form.parse().map_err(invalid)?;
    store::extensions::decide(
        &state()?.pool,
        &user,
        &form.code,
        form.decision,
        &form.note,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Open cases in the same community that read like the request being
/// registered (title and description), for merging duplicates.
#[server(endpoint = "similar_cases")]
pub async fn similar_cases(
    #[server(flatten)] query: domain::similarity::RawSimilarQuery,
) -> Result<Vec<domain::view::SimilarCase>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::RegisterCase).await?;
    let query = query.parse().map_err(invalid)?;
    store::cases::similar_open(&state()?.pool, &user, query.region_id, &query.text)
        .await
        .map_err(fail)
}

#[server(endpoint = "get_receipt")]
pub async fn get_receipt(code: String) -> Result<PrintedReceipt, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let receipt = store::cases::receipt_for(&state()?.pool, &user, &parse_code(&code)?)
        .await
        .map_err(fail)?;
    printed(receipt)
}

#[server(endpoint = "get_case")]
pub async fn get_case(code: String) -> Result<CaseDetail, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    store::casefile::detail(
        &state()?.pool,
        &user,
        &parse_code(&code)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// One endpoint for every staff action; `kind` names the row of the
/// transition table and the other fields carry what that action needs.
#[server(endpoint = "perform")]
pub async fn perform(#[server(flatten)] form: domain::case::RawAction) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ActOnCase).await?;
    let form = form.parse().map_err(invalid)?;
    let code = form.code.clone();
    let action = form.action().map_err(invalid)?;
    store::cases::act(&state()?.pool, &user, &code, &action, chrono::Utc::now())
        .await
        .map_err(fail)?;
    Ok(())
}

/// Shows a photo on the resident's page, or hides it again (the station's
/// check that it shows no faces, plates or doors).
#[server(endpoint = "publish_photo")]
pub async fn publish_photo(code: String, photo: i64, public: bool) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::PublishPhotos).await?;
    store::photos::publish(
        &state()?.pool,
        &user,
        &parse_code(&code)?,
        photo,
        public,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}
