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

/// What a call came to (see `domain::callback::RawCall`).
#[server(endpoint = "record_call")]
pub async fn record_call(
    #[server(flatten)] call: domain::callback::RawCall,
) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::CallBack).await?;
    let call = call.parse().map_err(invalid)?;
    store::callbacks::record(
        &state()?.pool,
        &user,
        &call.code,
        call.result,
        &call.note,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}
