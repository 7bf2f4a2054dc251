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
    Ok(Accounts {
        accounts: store::users::list(&pool).await?,
        regions: store::reference::areas(&pool, None).await?,
        units: store::reference::units(&pool).await?,
        stations: store::reference::stations(&pool, None).await?,
    })
}

/// Creates an account; the answer is its initial password, shown once.
#[server(endpoint = "create_account")]
pub async fn create_account(
    #[server(flatten)] form: domain::account::RawAccount,
) -> Result<String, AppError> {
    use super::ssr::*;
    let me = authorize(domain::Permission::ManageUsers).await?;
    let form = form.parse().map_err(invalid)?;
    let by = store::events::By::user(&me);
    let (_, password) = store::users::create(&state()?.pool, &by, form, chrono::Utc::now())
        .await
        .map_err(fail)?;
    Ok(password)
}

#[server(endpoint = "update_account")]
pub async fn update_account(
    account: String,
    #[server(flatten)] form: domain::account::RawAccount,
) -> Result<(), AppError> {
    use super::ssr::*;
    let me = authorize(domain::Permission::ManageUsers).await?;
    let id = super::ssr::id("account", &account)?;
    // The username cannot change; the store keeps the stored one.
    let form = form.parse().map_err(invalid)?;
    let by = store::events::By::user(&me);
    store::users::update(&state()?.pool, &by, id, form, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// An administrator's action on an account: `reset` (answers the new
/// temporary password), `sign_out`, `disable` or `enable`.
#[server(endpoint = "account_action")]
pub async fn account_action(
    #[server(flatten)] command: domain::account::RawAccountCommand,
) -> Result<Option<String>, AppError> {
    use super::ssr::*;
    // Not this function's own `AccountAction` (the server function's arguments).
    use domain::account::AccountAction as Act;
    let me = authorize(domain::Permission::ManageUsers).await?;
    let command = command.parse().map_err(invalid)?;
    let (pool, by, now, id) = (
        state()?.pool,
        store::events::By::user(&me),
        chrono::Utc::now(),
        command.account,
    );
    let done = match command.action {
        Act::Reset => store::users::reset_password(&pool, &by, id, now)
            .await
            .map(Some),
        Act::SignOut => store::users::sign_out_everywhere(&pool, &by, id, now)
            .await
            .map(|_| None),
        Act::Disable | Act::Enable => {
            let disable = command.action == Act::Disable;
            store::users::set_disabled(&pool, &by, id, disable, now)
                .await
                .map(|_| None)
        }
    };
    done.map_err(fail)
}
