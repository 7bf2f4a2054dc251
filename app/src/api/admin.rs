//! API keys and the audit log.

use crate::error::AppError;
use leptos::prelude::*;

/// Open311 clients' keys; administrators only.
#[server(endpoint = "list_api_keys")]
pub async fn list_api_keys() -> Result<Vec<domain::view::ApiKey>, AppError> {
    super::ssr::authorize(domain::Permission::ManageApiKeys).await?;
    Ok(store::open311::keys(&super::ssr::state()?.pool).await?)
}

/// Issues a key for the client `name`; the key is in the answer and nowhere else.
#[server(endpoint = "create_api_key")]
pub async fn create_api_key(name: String) -> Result<String, AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageApiKeys).await?;
    let by = store::events::By::user(&user);
    store::open311::create_key(&state()?.pool, &by, &name, chrono::Utc::now())
        .await
        .map_err(fail)
}

#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(name: String) -> Result<(), AppError> {
    use super::ssr::*;
    let user = authorize(domain::Permission::ManageApiKeys).await?;
    let by = store::events::By::user(&user);
    store::open311::revoke_key(&state()?.pool, &by, &name, chrono::Utc::now())
        .await
        .map_err(fail)
}

/// The audit trail of a case (by tracking code) or of a user (by username),
/// with the state of the whole chain; administrators and supervisors only.
#[server(endpoint = "get_audit")]
pub async fn get_audit(
    case: Option<String>,
    user: Option<String>,
) -> Result<domain::view::AuditView, AppError> {
    use super::ssr::*;
    let reader = authorize(domain::Permission::ViewAudit).await?;
    let pool = state()?.pool;
    let entries = match (
        case.filter(|c| !c.trim().is_empty()),
        user.filter(|u| !u.trim().is_empty()),
    ) {
        (Some(code), _) => {
            let code = parse_code(&code)?;
            store::trail::for_case(&pool, &reader, &code)
                .await
                .map_err(fail)?
        }
        (None, Some(name)) => match store::users::find_by_username(&pool, name.trim()).await? {
            Some(u) => store::trail::for_person(&pool, &reader, &u, 500).await?,
            None => return Err(fail(AppError::NotFound)),
        },
        (None, None) => vec![],
    };
    let chain = store::audit::verify(&pool).await?;
    Ok(domain::view::AuditView {
        entries: entries
            .into_iter()
            .map(|e| domain::view::AuditEntry {
                id: e.id,
                at: e.at,
                actor: e.actor,
                action: e.action,
                entity: e.entity,
                entity_id: e.entity_id,
                before: e.before,
                after: e.after,
            })
            .collect(),
        intact: chain.as_ref().ok().copied(),
        broken_at: chain.err().map(|b| b.id),
    })
}
