//! Dual registration (双报到): members, work units, needs and service.

use crate::error::AppError;
use leptos::prelude::*;

/// What the public dual-registration forms offer, with the city's headline.
#[server(endpoint = "party_register_options")]
pub async fn party_register_options() -> Result<domain::party::RegisterOptions, AppError> {
    use super::ssr::*;
    store::party::register_options(&state()?.pool)
        .await
        .map_err(fail)
}

/// A member's 报到卡 and 登记表 (public; rate-limited like online requests,
/// since each one hashes a password).
#[server(endpoint = "register_member")]
pub async fn register_member(
    #[server(flatten)] form: domain::party::MemberForm,
) -> Result<(), AppError> {
    use super::ssr::*;
    let st = state()?;
    throttle("report", st.reports).await?;
    store::party::register_member(&st.pool, &form, chrono::Utc::now())
        .await
        .map_err(fail)?;
    Ok(())
}

/// A work unit's party organisation registering with a community (public).
#[server(endpoint = "register_unit")]
pub async fn register_unit(
    #[server(flatten)] form: domain::party::UnitForm,
) -> Result<(), AppError> {
    use super::ssr::*;
    let st = state()?;
    throttle("report", st.reports).await?;
    store::party::register_unit(&st.pool, &form, chrono::Utc::now())
        .await
        .map_err(fail)?;
    Ok(())
}

#[server(endpoint = "party_overview")]
pub async fn party_overview() -> Result<domain::party::PartyOverview, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    store::party::overview(&state()?.pool, &user)
        .await
        .map_err(fail)
}

/// Places a party organisation on the tree.
#[server(endpoint = "add_party_org")]
pub async fn add_party_org(
    #[server(flatten)] form: domain::party::RawOrg,
) -> Result<i64, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    let new = form.parse().map_err(invalid)?;
    store::party::add_org(&state()?.pool, &user, &new, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// The region nodes of the reader's party area, for the organisation form.
#[server(endpoint = "party_places")]
pub async fn party_places() -> Result<Vec<domain::view::RegionOption>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    let scope = store::access::scope_for(&user, domain::Permission::ManageParty);
    let options = store::reference::options(&state()?.pool, scope.region_path()).await?;
    Ok(options.regions)
}

#[server(endpoint = "party_registrations")]
pub async fn party_registrations() -> Result<Vec<domain::party::Registration>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    store::party::registrations(&state()?.pool, &user)
        .await
        .map_err(fail)
}

/// Confirms (issuing the receipt) or refuses a member's or unit's registration.
#[server(endpoint = "decide_registration")]
pub async fn decide_registration(
    #[server(flatten)] form: domain::party::RawRegistrationDecision,
) -> Result<Option<String>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    let form = form.parse().map_err(invalid)?;
    store::party::decide_registration(
        &state()?.pool,
        &user,
        form.kind,
        form.registration,
        form.decision,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// A confirmed registration's receipt (回执): the member's own, or one the
/// community prints.
#[server(endpoint = "party_receipt")]
pub async fn party_receipt(
    kind: String,
    registration: i64,
) -> Result<domain::party::Receipt, AppError> {
    use super::ssr::*;
    let user = staff().await?;
    store::party::receipt(&state()?.pool, &user, kind != "unit", registration)
        .await
        .map_err(fail)
}

#[server(endpoint = "list_needs")]
pub async fn list_needs() -> Result<Vec<domain::party::Need>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    store::party::needs(&state()?.pool, &user)
        .await
        .map_err(fail)
}

/// The communities whose need lists the reader keeps.
#[server(endpoint = "need_communities")]
pub async fn need_communities() -> Result<Vec<domain::view::RegionOption>, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    store::party::communities(&state()?.pool, &user)
        .await
        .map_err(fail)
}

#[server(endpoint = "add_need")]
pub async fn add_need(#[server(flatten)] form: domain::party::RawNeed) -> Result<i64, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    let new = form.parse().map_err(invalid)?;
    store::party::add_need(&state()?.pool, &user, &new, chrono::Utc::now())
        .await
        .map_err(fail)
}

#[server(endpoint = "close_need")]
pub async fn close_need(need: String) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    store::party::close_need(
        &state()?.pool,
        &user,
        id("need", &need)?,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// Moves a claim card: approve, refuse, evaluate (the community) or withdraw
/// (its member).
#[server(endpoint = "claim_action")]
pub async fn claim_action(
    #[server(flatten)] step: domain::party::RawClaimStep,
) -> Result<(), AppError> {
    use super::ssr::*;
    let step = step.parse().map_err(invalid)?;
    let user = authorize(if step.action.by_member() {
        domain::Permission::ServeCommunity
    } else {
        domain::Permission::ManageParty
    })
    .await?;
    store::party::act_on_claim(
        &state()?.pool,
        &user,
        step.claim,
        step.action,
        step.evaluation,
        &step.note,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

#[server(endpoint = "my_service")]
pub async fn my_service() -> Result<domain::party::MyService, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ServeCommunity).await?;
    store::party::my_service(&state()?.pool, &user)
        .await
        .map_err(fail)
}

/// A member signs a claim card (服务清单认领卡) for a need.
#[server(endpoint = "claim_need")]
pub async fn claim_need(
    #[server(flatten)] pledge: domain::party::RawPledge,
) -> Result<i64, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ServeCommunity).await?;
    let pledge = pledge.parse().map_err(invalid)?;
    store::party::claim(
        &state()?.pool,
        &user,
        pledge.need,
        &pledge.pledge,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

#[server(endpoint = "log_service")]
pub async fn log_service(
    #[server(flatten)] log: domain::party::RawServiceHours,
) -> Result<i64, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ServeCommunity).await?;
    let log = log.parse().map_err(invalid)?;
    store::party::log_service(
        &state()?.pool,
        &user,
        log.claim,
        &log.served_on,
        &log.hours,
        &log.note,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)
}

/// The quarterly service report of the reader's area (default: this quarter).
#[server(endpoint = "service_report")]
pub async fn service_report(quarter: String) -> Result<domain::party::ServiceReport, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageParty).await?;
    let today = chrono::Utc::now()
        .with_timezone(&domain::deadline::china())
        .date_naive();
    let quarter = if quarter.trim().is_empty() {
        domain::party::Quarter::of(today)
    } else {
        domain::party::Quarter::parse(&quarter).ok_or_else(|| {
            fail(AppError::Invalid(vec![domain::FieldError::new(
                "quarter",
                "bad_quarter",
            )]))
        })?
    };
    store::party::report(&state()?.pool, &user, quarter)
        .await
        .map_err(fail)
}
