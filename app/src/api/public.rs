//! Residents' pages: looking a case up, rating it, raising a request online, public figures.

use super::PrintedReceipt;
use crate::error::AppError;
use domain::view::{PublicCase, PublicStats};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[server(endpoint = "track_lookup")]
pub async fn track_lookup(code: String, factor: String) -> Result<(), AppError> {
    use super::ssr::*;
    use domain::throttle::FactorKind;
    let st = state()?;
    throttle("lookup", st.lookups).await?;
    let code = parse_code(&code)?;
    // Wrong answers count against the code itself, whichever address sends
    // them (and whether or not the code exists, so the answers do not tell).
    let kind = FactorKind::of(&factor);
    let bucket = kind.bucket(&code);
    let now = chrono::Utc::now();
    if store::throttle::hit(&st.pool, &bucket, kind.lockout(), now)
        .await?
        .is_some()
    {
        return Err(fail(match kind {
            FactorKind::Phone => AppError::PhoneLocked,
            FactorKind::Pin => AppError::CodeLocked,
        }));
    }
    if !store::cases::verify_second_factor(&st.pool, &code, &factor).await? {
        return Err(fail(AppError::LookupFailed));
    }
    store::throttle::forgive(&st.pool, &bucket, kind.lockout(), now).await?;
    remember(&session().await?, TRACK_KEY, code.as_str()).await?;
    leptos_axum::redirect(&format!("/track/{code}"));
    Ok(())
}

/// The resident's view of a case, or None until the second factor was given
/// in this browser session.
#[server(endpoint = "get_public_case")]
pub async fn get_public_case(code: String) -> Result<Option<PublicCase>, AppError> {
    use super::ssr::*;
    let code = parse_code(&code)?;
    if !remembers(TRACK_KEY, &code).await? {
        return Ok(None);
    }
    Ok(Some(
        store::casefile::public_view(&state()?.pool, &code, chrono::Utc::now())
            .await
            .map_err(fail)?,
    ))
}

#[server(endpoint = "rate_case")]
pub async fn rate_case(#[server(flatten)] form: domain::case::RawRating) -> Result<(), AppError> {
    use super::ssr::*;
    let form = form.parse().map_err(invalid)?;
    if !remembers(TRACK_KEY, &form.code).await? {
        return Err(fail(AppError::LookupFailed));
    }
    store::cases::rate(
        &state()?.pool,
        &form.code,
        form.rating,
        &form.comment,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    leptos_axum::redirect(&format!("/track/{}", form.code));
    Ok(())
}

/// The resident stops text messages about their case (from its page, so
/// only with the second factor given in this browser session).
#[server(endpoint = "stop_texts")]
pub async fn stop_texts(code: String) -> Result<(), AppError> {
    use super::ssr::*;
    let code = parse_code(&code)?;
    if !remembers(TRACK_KEY, &code).await? {
        return Err(fail(AppError::LookupFailed));
    }
    store::outbox::stop(&state()?.pool, &code, chrono::Utc::now())
        .await
        .map_err(fail)?;
    leptos_axum::redirect(&format!("/track/{code}"));
    Ok(())
}

/// What the public request form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicOptions {
    pub categories: Vec<domain::view::CategoryInfo>,
    pub compounds: Vec<domain::view::RegionOption>,
    /// What this browser typed before the form was refused, to fill it in again.
    #[serde(default)]
    pub draft: Option<ReportDraft>,
}

/// The online form as a resident filled it in. The page works without
/// JavaScript, so a refused form comes back as a new page: without this,
/// empty, and an elderly resident types their problem again. Kept in their
/// session only until the form is shown again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDraft {
    pub category_id: String,
    pub region_id: String,
    pub description: String,
    pub resident_name: String,
    pub resident_phone: String,
    pub resident_email: String,
    pub notify: bool,
}

/// The online request form's choices, and what the resident typed if the
/// form was refused. Opening the form starts its clock: a request sent
/// within seconds of it is a machine's (a refused form shown again keeps
/// its clock, so correcting one field is not too fast).
#[server(endpoint = "get_public_options")]
pub async fn get_public_options() -> Result<PublicOptions, AppError> {
    use super::ssr::*;
    let session = session().await?;
    let draft: Option<ReportDraft> = session
        .remove(REPORT_DRAFT_KEY)
        .await
        .map_err(|_| AppError::Server)?;
    let opened: Option<i64> = session.get(FORM_OPENED_KEY).await.ok().flatten();
    if draft.is_none() || opened.is_none() {
        session
            .insert(FORM_OPENED_KEY, chrono::Utc::now().timestamp_millis())
            .await
            .map_err(|_| AppError::Server)?;
    }
    let pool = state()?.pool;
    let tree = store::reference::region_tree(&pool).await?;
    Ok(PublicOptions {
        categories: store::reference::categories(&pool).await?,
        compounds: tree.places_at(domain::RegionLevel::Compound),
        draft,
    })
}

/// Seconds a person needs at least to fill in the online form.
pub const MIN_FILL_SECONDS: i64 = 3;

/// A resident raises a request online (step 1, source "online").
#[server(endpoint = "submit_online")]
pub async fn submit_online(
    category_id: String,
    description: String,
    region_id: String,
    resident_name: String,
    resident_phone: String,
    /// Where the resident would rather have their messages (optional).
    #[server(default)]
    resident_email: String,
    website: Option<String>,
    /// The opt-in box: present when ticked.
    notify: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    let st = state()?;
    let session = session().await?;
    let draft = ReportDraft {
        category_id,
        region_id,
        description,
        resident_name,
        resident_phone,
        resident_email,
        notify: notify.is_some(),
    };
    let registered = async {
        // A field people cannot see: only a machine fills it in.
        let honeypot = website.is_some_and(|w| !w.trim().is_empty());
        let opened: Option<i64> = session.get(FORM_OPENED_KEY).await.ok().flatten();
        let too_fast = opened
            .is_none_or(|t| chrono::Utc::now().timestamp_millis() - t < MIN_FILL_SECONDS * 1000);
        if honeypot || too_fast {
            return Err(fail(AppError::Spam));
        }
        throttle("report", st.reports).await?;
        let d = draft.clone();
        let new = domain::NewCase {
            title: domain::NewCase::title_from(&d.description),
            description: d.description,
            category_id: id("category_id", &d.category_id)?,
            region_id: id("region_id", &d.region_id)?,
            station_id: None,
            source: domain::Source::Online,
            resident_name: d.resident_name,
            resident_phone: d.resident_phone,
            resident_email: d.resident_email,
            notify: d.notify,
        };
        store::cases::create(&st.pool, &new, None, chrono::Utc::now())
            .await
            .map_err(fail)
    }
    .await;
    let receipt = match registered {
        Ok(receipt) => receipt,
        Err(e) => {
            session
                .insert(REPORT_DRAFT_KEY, &draft)
                .await
                .map_err(|_| AppError::Server)?;
            return Err(e);
        }
    };
    let code = parse_code(&receipt.code)?;
    remember(&session, REPORTED_KEY, code.as_str()).await?;
    remember(&session, TRACK_KEY, code.as_str()).await?;
    leptos_axum::redirect(&format!("/report/{code}"));
    Ok(())
}

/// The receipt of a request raised online, for the browser that raised it.
#[server(endpoint = "get_public_receipt")]
pub async fn get_public_receipt(code: String) -> Result<PrintedReceipt, AppError> {
    use super::ssr::*;
    let code = parse_code(&code)?;
    if !remembers(REPORTED_KEY, &code).await? {
        return Err(fail(AppError::NotFound));
    }
    let mut receipt = store::cases::public_receipt(&state()?.pool, &code)
        .await
        .map_err(fail)?;
    receipt.code = code.to_string();
    printed(receipt)
}

/// Public figures of a region node (the whole city by default).
#[server(endpoint = "get_public_stats")]
pub async fn get_public_stats(region: Option<String>) -> Result<PublicStats, AppError> {
    use super::ssr::*;
    let region = region.and_then(|r| r.trim().parse().ok());
    let st = state()?;
    st.figures
        .public_stats(&st.pool, region, chrono::Utc::now())
        .await
        .map(|s| (*s).clone())
        .map_err(fail)
}
