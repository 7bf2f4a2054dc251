//! The audit trail as a reader may see it: a case's entries, a person's.
//! The trail itself (`audit`) is written by every change below the case
//! module; reading it by area needs the cases, so it lives above them.

use crate::users::UserRow;
use crate::{Pool, Result, StoreError, access, audit, cases};

/// A case's trail, for someone who may see the case: 403 otherwise, as on
/// the case page (and the same 403 for a code that does not exist, so the
/// answer does not tell).
pub async fn for_case(
    pool: &Pool,
    reader: &UserRow,
    code: &domain::TrackingCode,
) -> Result<Vec<audit::Entry>> {
    match cases::load_for(pool, reader, code).await {
        Ok(_) => audit::for_entity(pool, "case", code.as_str()).await,
        Err(StoreError::NotFound) => Err(StoreError::Forbidden),
        Err(e) => Err(e),
    }
}

/// What one person did and what was done to their account, newest first,
/// as `reader` may see it: entries about cases outside the reader's area
/// are left out, and entries about anything else (accounts, keys,
/// settings) are shown only to a reader who sees the whole city.
pub async fn for_person(
    pool: &Pool,
    reader: &UserRow,
    person: &UserRow,
    limit: i64,
) -> Result<Vec<audit::Entry>> {
    let scope = access::scope(reader);
    let entries = audit::by_user(pool, person.id, &person.username, limit).await?;
    let codes: Vec<String> = entries
        .iter()
        .filter(|e| e.entity == "case")
        .map(|e| e.entity_id.clone())
        .collect();
    let facts = cases::facts_of(pool, codes).await?;
    let whole_city = scope.is_whole_city();
    Ok(entries
        .into_iter()
        .filter(|e| match e.entity.as_str() {
            "case" => facts.get(&e.entity_id).is_some_and(|f| scope.covers(f)),
            _ => whole_city,
        })
        .collect())
}
