//! Signing in and out, the signed-in staff member, passwords.

use crate::error::AppError;
use domain::view::UserInfo;
use leptos::prelude::*;

#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<UserInfo>, AppError> {
    let Some(user) = super::ssr::signed_in().await? else {
        return Ok(None);
    };
    let to_do = if user.must_change_password {
        None
    } else {
        store::cases::to_do(&super::ssr::state()?.pool, &user, chrono::Utc::now()).await?
    };
    Ok(Some(UserInfo {
        to_do,
        ..user.info()
    }))
}

#[server(endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<(), AppError> {
    use super::ssr::*;
    use store::users::SignIn;
    let pool = state()?.pool;
    let ip = domain::throttle::client_bucket(client_ip().await);
    let now = chrono::Utc::now();
    let user = match store::users::sign_in(&pool, &username, &password, &ip, now).await? {
        SignIn::Wait(secs) => return Err(fail(AppError::RateLimited(secs.unsigned_abs()))),
        SignIn::Welcome(user) => *user,
        SignIn::Failed => {
            // Only with the right password does it say the registration waits.
            let message =
                if store::party::awaiting_confirmation(&pool, &username, &password).await? {
                    "registration_pending"
                } else {
                    "login_failed"
                };
            return Err(fail(AppError::Invalid(vec![domain::FieldError::new(
                "password", message,
            )])));
        }
    };
    store::users::record_login(&pool, user.id, now).await?;
    let session = session().await?;
    // A new id on sign-in, so a session fixed before it is worth nothing after.
    session.cycle_id().await.map_err(|_| AppError::Server)?;
    sign_in_as(&session, user.id, user.session_epoch).await?;
    leptos_axum::redirect(if user.must_change_password {
        "/account"
    } else {
        home_of(user.role)
    });
    Ok(())
}

/// Where a role starts after signing in.
pub fn home_of(role: domain::Role) -> &'static str {
    match role {
        domain::Role::Member => "/service",
        // Their start page (工作台): what waits for them.
        _ => "/",
    }
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let session = super::ssr::session().await?;
    session.flush().await.map_err(|_| AppError::Server)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The signed-in user changes their own password; their other sessions end,
/// this one stays.
#[server(endpoint = "change_password")]
pub async fn change_password(
    old_password: String,
    new_password: String,
    repeat_password: String,
) -> Result<(), AppError> {
    use super::ssr::*;
    let me = authorize(domain::Permission::OwnAccount).await?;
    if new_password != repeat_password {
        return Err(fail(AppError::Invalid(vec![domain::FieldError::new(
            "repeat_password",
            "password_mismatch",
        )])));
    }
    let epoch = store::users::change_password(
        &state()?.pool,
        me.id,
        &old_password,
        &new_password,
        chrono::Utc::now(),
    )
    .await
    .map_err(fail)?;
    let session = session().await?;
    session.cycle_id().await.map_err(|_| AppError::Server)?;
    sign_in_as(&session, me.id, epoch).await?;
    leptos_axum::redirect(home_of(me.role));
    Ok(())
}

/// Ends every session of the signed-in user, this one included.
#[server(endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use super::ssr::*;
    let me = authorize(domain::Permission::OwnAccount).await?;
    let by = store::events::By::user(&me);
    store::users::sign_out_everywhere(&state()?.pool, &by, me.id, chrono::Utc::now())
        .await
        .map_err(fail)?;
    session()
        .await?
        .flush()
        .await
        .map_err(|_| AppError::Server)?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in user's mail settings: their address and whether they
/// want the daily digest of what waits for them.
#[server(endpoint = "get_mail_settings")]
pub async fn get_mail_settings() -> Result<domain::account::MailSettings, AppError> {
    use super::ssr::*;
    let me = authorize(domain::Permission::OwnAccount).await?;
    Ok(store::digest::settings(&state()?.pool, me.id).await?)
}

/// Saves them; a digest needs an address. `digest` is the checkbox (absent
/// when not ticked).
#[server(endpoint = "save_mail_settings")]
pub async fn save_mail_settings(
    email: String,
    #[server(default)] digest: bool,
) -> Result<(), AppError> {
    use super::ssr::*;
    let me = authorize(domain::Permission::OwnAccount).await?;
    let settings = domain::account::MailSettings { email, digest };
    store::digest::save_settings(&state()?.pool, &me, settings, chrono::Utc::now())
        .await
        .map_err(fail)?;
    Ok(())
}
