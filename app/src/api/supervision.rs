//! Supervision letters (督办函).

use crate::error::AppError;
use leptos::prelude::*;

/// Issues a supervision letter (督办函) for an overdue case; supervision office only.
#[server(endpoint = "issue_letter")]
pub async fn issue_letter(
    #[server(flatten)] form: domain::deadline::RawLetter,
) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::IssueLetter).await?;
    let form = form.parse().map_err(invalid)?;
    let letter = store::supervision::issue_letter(
        &state()?.pool,
        &user,
        &form.code,
        &form.demand,
        form.reply_days,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    leptos_axum::redirect(&format!("/letters/{}", letter.id));
    Ok(())
}

#[server(endpoint = "get_letter")]
pub async fn get_letter(letter: String) -> Result<domain::view::Letter, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ViewCases).await?;
    let letter_id = super::ssr::id("letter", &letter)?;
    store::supervision::letter_by_id(&state()?.pool, &user, letter_id)
        .await
        .map_err(fail)
}
