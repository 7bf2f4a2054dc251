//! Staff accounts and roles.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the account pages need: every account and the seats to pick from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounts {
    pub accounts: Vec<domain::view::Account>,
    pub regions: Vec<domain::view::RegionOption>,
    pub units: Vec<domain::view::Named>,
    pub stations: Vec<domain::view::Named>,
}

#[server(endpoint = "list_accounts")]
pub async fn list_accounts() -> Result<Accounts, AppError> {
    use super::ssr::*;
    authorize(domain::Permission::ManageUsers).await?;
    let pool = state()?.pool;
    let options = store::reference::options(&pool, None).await?;
    Ok(Accounts {
        accounts: store::users::list(&pool).await?,
        regions: options.areas,
        units: options.units,
        stations: options.stations,
    })
}

/// The form's fields as an account; an empty picker is no seat.
#[cfg(feature = "ssr")]
fn account_form(
    username: String,
    display_name: String,
    role: &str,
    region_id: Option<String>,
    unit_id: Option<String>,
    station_id: Option<String>,
) -> Result<domain::account::AccountForm, AppError> {
    let role = domain::Role::parse(role).ok_or_else(|| {
        super::ssr::fail(AppError::Invalid(vec![domain::FieldError::new(
            "role", "required",
        )]))
    })?;
    let pick = |v: Option<String>| v.and_then(|v| v.trim().parse().ok());
    Ok(domain::account::AccountForm {
        username,
        display_name,
        role,
        region_id: pick(region_id),
        unit_id: pick(unit_id),
        station_id: pick(station_id),
    })
}

/// Creates an account; the answer is its initial password, shown once.
#[server(endpoint = "create_account")]
pub async fn create_account(
    username: String,
    display_name: String,
    role: String,
    region_id: Option<String>,
    unit_id: Option<String>,
    station_id: Option<String>,
) -> Result<String, AppError> {
    use super::ssr::*;
    let me = authorize(domain::Permission::ManageUsers).await?;
    let form = account_form(
        username,
        display_name,
        &role,
        region_id,
        unit_id,
        station_id,
    )?;
    let by = store::events::By::user(&me);
    let (_, password) = store::users::create(&state()?.pool, &by, form, chrono::Utc::now())
        .await
        .map_err(fail)?;
    Ok(password)
}

#[server(endpoint = "update_account")]
pub async fn update_account(
    account: String,
    display_name: String,
    role: String,
    region_id: Option<String>,
    unit_id: Option<String>,
    station_id: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    let me = authorize(domain::Permission::ManageUsers).await?;
    let id = super::ssr::id("account", &account)?;
    // The username cannot change; the store keeps the stored one.
    let form = account_form(
        String::new(),
        display_name,
        &role,
        region_id,
        unit_id,
        station_id,
    )?;
    let by = store::events::By::user(&me);
    store::users::update(&state()?.pool, &by, id, form, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// An administrator's action on an account: `reset` (answers the new
/// temporary password), `sign_out`, `disable` or `enable`.
#[server(endpoint = "account_action")]
pub async fn account_action(account: String, action: String) -> Result<Option<String>, AppError> {
    use super::ssr::*;
    let me = authorize(domain::Permission::ManageUsers).await?;
    let id = super::ssr::id("account", &account)?;
    let (pool, by, now) = (
        state()?.pool,
        store::events::By::user(&me),
        chrono::Utc::now(),
    );
    let done = match action.as_str() {
        "reset" => store::users::reset_password(&pool, &by, id, now)
            .await
            .map(Some),
        "sign_out" => store::users::sign_out_everywhere(&pool, &by, id, now)
            .await
            .map(|_| None),
        "disable" | "enable" => {
            store::users::set_disabled(&pool, &by, id, action == "disable", now)
                .await
                .map(|_| None)
        }
        _ => {
            return Err(fail(AppError::Invalid(vec![domain::FieldError::new(
                "action", "unknown",
            )])));
        }
    };
    done.map_err(fail)
}
