//! Registering a case, its page, its actions, extensions and receipts.

use super::PrintedReceipt;
use crate::error::AppError;
use domain::view::{CaseDetail, Options, Receipt};
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

#[server(endpoint = "register_case")]
pub async fn register_case(
    title: String,
    description: String,
    category_id: String,
    region_id: String,
    station_id: String,
    source: String,
    resident_name: String,
    resident_phone: String,
    /// Where the resident would rather have their messages (optional).
    #[server(default)]
    resident_email: String,
    /// The opt-in box: present when ticked.
    notify: Option<String>,
) -> Result<Receipt, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::RegisterCase).await?;
    let source = domain::Source::parse(&source).ok_or_else(|| {
        fail(AppError::Invalid(vec![domain::FieldError::new(
            "source", "unknown",
        )]))
    })?;
    let new = domain::NewCase {
        title,
        description,
        category_id: id("category_id", &category_id)?,
        region_id: id("region_id", &region_id)?,
        station_id: station_id.trim().parse().ok(),
        source,
        resident_name,
        resident_phone,
        resident_email,
        notify: notify.is_some(),
    };
    let receipt = store::cases::create(&state()?.pool, &new, Some(&user), chrono::Utc::now())
        .await
        .map_err(fail)?;
    leptos_axum::redirect(&format!("/cases/{}/receipt", receipt.code));
    Ok(receipt)
}

/// The unit holding a case asks for `days` more days on its completion deadline.
#[server(endpoint = "request_extension")]
pub async fn request_extension(code: String, days: String, reason: String) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ActOnCase).await?;
    let days = id("days", &days)?;
    store::extensions::request(
        &state()?.pool,
        &user,
        &parse_code(&code)?,
        days,
        &reason,
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
    code: String,
    decision: String,
    note: String,
) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::DecideExtension).await?;
    let approve = match decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => {
            return Err(fail(AppError::Invalid(vec![domain::FieldError::new(
                "decision", "unknown",
            )])));
        }
    };
    store::extensions::decide(
        &state()?.pool,
        &user,
        &parse_code(&code)?,
        approve,
        &note,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Open cases in the same community that read like the request being
/// registered (title and description), for merging duplicates.
#[server(endpoint = "similar_cases")]
pub async fn similar_cases(
    region_id: String,
    text: String,
) -> Result<Vec<domain::view::SimilarCase>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::RegisterCase).await?;
    if text.chars().count() > domain::case::MAX_TEXT * 2 {
        return Err(fail(AppError::Invalid(vec![domain::FieldError::new(
            "text", "too_long",
        )])));
    }
    store::cases::similar_open(&state()?.pool, &user, id("region_id", &region_id)?, &text)
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
pub async fn perform(
    code: String,
    kind: String,
    text: Option<String>,
    unit_id: Option<String>,
    class: Option<String>,
    tier: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    use domain::{Action, ActionKind as K};
    let user = authorize(domain::Permission::ActOnCase).await?;
    let code = parse_code(&code)?;
    let kind = K::parse(&kind).ok_or_else(|| {
        fail(AppError::Invalid(vec![domain::FieldError::new(
            "kind", "unknown",
        )]))
    })?;
    let text = text.unwrap_or_default();
    let invalid = |f: &str, m: &str| fail(AppError::Invalid(vec![domain::FieldError::new(f, m)]));
    let action = match kind {
        K::StartConsolidation => Action::StartConsolidation,
        K::AnswerOnSpot => Action::AnswerOnSpot { answer: text },
        K::HandleLocally => Action::HandleLocally {
            tier: tier
                .as_deref()
                .and_then(domain::Tier::parse)
                .ok_or_else(|| invalid("tier", "required"))?,
            note: text,
        },
        K::Assign => Action::Assign {
            unit_id: id("unit_id", unit_id.as_deref().unwrap_or_default())?,
            class: class
                .as_deref()
                .and_then(domain::DeadlineClass::parse)
                .ok_or_else(|| invalid("class", "required"))?,
        },
        K::Escalate => Action::Escalate { note: text },
        K::ToSuggestion => Action::ToSuggestion { note: text },
        K::NotAccept => Action::NotAccept { reason: text },
        K::Merge => Action::Merge { into: text },
        K::Acknowledge => Action::Acknowledge,
        K::Return => Action::Return { reason: text },
        K::ReportProgress => Action::ReportProgress { note: text },
        K::RequestClosure => Action::RequestClosure { result: text },
        K::ApproveClosure => Action::ApproveClosure,
        K::RejectClosure => Action::RejectClosure { reason: text },
        K::CompleteLocally => Action::CompleteLocally { result: text },
        K::ResolveEscalated => Action::ResolveEscalated { result: text },
        K::AnswerSuggestion => Action::AnswerSuggestion { result: text },
        K::RecordFeedback => Action::RecordFeedback { note: text },
        K::CloseUnrated => Action::CloseUnrated,
        // Ratings are the resident's, through the public page; those the
        // station hears in person or by phone, and its calls, go through
        // `record_call`.
        K::RateSatisfied | K::RateFairlySatisfied | K::RateDissatisfied | K::RecordCall => {
            return Err(invalid("kind", "unknown"));
        }
    };
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
