//! Callbacks (回访): the station's list of cases waiting too long for a
//! rating, the resident's number on request, and each call's outcome.

use crate::error::AppError;
use domain::CallbackPolicy;
use domain::view::{CallbackLine, Page};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Lines per page of the callback list.
pub const CALLBACK_PAGE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackQueue {
    pub page: Page<CallbackLine>,
    pub policy: CallbackPolicy,
}

#[server(endpoint = "callback_list")]
pub async fn callback_list(offset: Option<i64>) -> Result<CallbackQueue, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::CallBack).await?;
    let (page, policy) = store::callbacks::list(
        &state()?.pool,
        &user,
        offset.unwrap_or(0),
        CALLBACK_PAGE,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    Ok(CallbackQueue { page, policy })
}

/// The resident's whole number, for dialling; every showing is audited.
#[server(endpoint = "reveal_phone")]
pub async fn reveal_phone(code: String) -> Result<String, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::CallBack).await?;
    store::callbacks::reveal_phone(
        &state()?.pool,
        &user,
        &parse_code(&code)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// What a call came to: `outcome` is a rating (satisfied, fairly_satisfied,
/// dissatisfied) or a call without one (no_answer, wrong_number, refused);
/// a rating says whether it was given by phone or in person (`via`).
#[server(endpoint = "record_call")]
pub async fn record_call(
    code: String,
    outcome: String,
    via: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    use store::callbacks::CallResult;
    let user = authorize(domain::Permission::CallBack).await?;
    let code = parse_code(&code)?;
    let invalid = |f: &str, m: &str| fail(AppError::Invalid(vec![domain::FieldError::new(f, m)]));
    let result = if let Some(o) = domain::CallOutcome::parse(&outcome) {
        CallResult::Unanswered(o)
    } else {
        let rating = domain::Rating::parse(&outcome)
            .filter(|r| *r != domain::Rating::NotRated)
            .ok_or_else(|| invalid("outcome", "required"))?;
        // By phone unless the form says otherwise; staff never rate "online".
        let via = match via.as_deref().filter(|v| !v.is_empty()) {
            None => domain::RatingChannel::Callback,
            Some(v) => domain::RatingChannel::parse(v)
                .filter(|c| *c != domain::RatingChannel::Online)
                .ok_or_else(|| invalid("via", "unknown"))?,
        };
        CallResult::Rated(rating, via)
    };
    store::callbacks::record(
        &state()?.pool,
        &user,
        &code,
        result,
        note.as_deref().unwrap_or_default(),
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}
