//! Micro-wishes (微心愿): collected in a community, taken through the public
//! wish wall by the state machine of `domain::wish`, every step recorded.

use crate::access::{self, CaseFacts};
use crate::audit::{self, Change};
use crate::db::Stored;
use crate::events::By;
use crate::reference;
use crate::users::UserRow;
use crate::{Pool, Result, StoreError};
use chrono::{DateTime, Utc};
use domain::Permission;
use domain::wish::{NewWish, WallWish, Wish, WishAction, WishStatus, actions, next};

#[derive(sqlx::FromRow)]
struct WishRow {
    id: i64,
    region_id: i64,
    region_path: String,
    title: String,
    detail: String,
    resident_name: String,
    resident_phone: String,
    #[sqlx(try_from = "crate::db::Code<WishStatus>")]
    status: WishStatus,
    claimant: Option<String>,
    #[sqlx(try_from = "crate::db::Stamp")]
    updated_at: DateTime<Utc>,
}

const SELECT_WISH: &str = "SELECT w.id, w.region_id, r.path AS region_path, w.title, w.detail, \
     w.resident_name, w.resident_phone, w.status, w.claimant, w.updated_at \
     FROM wishes w JOIN regions r ON r.id = w.region_id";

impl WishRow {
    fn facts(&self) -> CaseFacts {
        CaseFacts {
            region_path: self.region_path.clone(),
            unit_id: None,
            station_id: None,
        }
    }
}

/// Writes a wish down (collected, not yet on the wall).
pub async fn collect(
    pool: &Pool,
    user: &UserRow,
    new: &NewWish,
    now: DateTime<Utc>,
) -> Result<i64> {
    access::permit(user, Permission::ManageWishes)?;
    let errors = new.validate();
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let tree = reference::region_tree(pool).await?;
    let region = tree
        .get(new.region_id)
        .ok_or_else(|| StoreError::invalid("region_id", "unknown"))?;
    let facts = CaseFacts {
        region_path: region.path.clone(),
        unit_id: None,
        station_id: None,
    };
    if !access::scope_for(user, Permission::ManageWishes).covers(&facts) {
        return Err(StoreError::invalid("region_id", "out_of_scope"));
    }
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO wishes (region_id, title, detail, resident_name, resident_phone, status, \
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(new.region_id)
    .bind(new.title.trim())
    .bind(new.detail.trim())
    .bind(new.resident_name.trim())
    .bind(new.resident_phone.trim())
    .bind(WishStatus::Collected.as_str())
    .bind(user.id)
    .bind(now.stored())
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO wish_events (wish_id, action, to_status, actor_user_id, actor_label, at) \
         VALUES ($1, 'collect', $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(WishStatus::Collected.as_str())
    .bind(user.id)
    .bind(&by.label)
    .bind(now.stored())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Change::by(&by, "wish.collected", "wish", id.to_string())
            .states(None, Some(serde_json::json!({ "title": new.title.trim() }))),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Moves a wish by `action`; a claim names the member or unit taking it on.
pub async fn act(
    pool: &Pool,
    user: &UserRow,
    id: i64,
    action: WishAction,
    claimant: &str,
    now: DateTime<Utc>,
) -> Result<WishStatus> {
    access::permit(user, Permission::ManageWishes)?;
    let row: WishRow = sqlx::query_as(&format!("{SELECT_WISH} WHERE w.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !access::scope_for(user, Permission::ManageWishes).covers(&row.facts()) {
        return Err(StoreError::Forbidden);
    }
    let from = row.status;
    let to = next(from, action).map_err(|e| StoreError::Invalid(vec![e]))?;
    let claimant = match action {
        WishAction::Claim => {
            let errors = domain::wish::validate_claimant(claimant);
            if !errors.is_empty() {
                return Err(StoreError::Invalid(errors));
            }
            Some(claimant.trim().to_string())
        }
        WishAction::CancelClaim => None,
        _ => row.claimant.clone(),
    };
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    // Only from the state read: a concurrent step (a second claim) loses.
    let done = sqlx::query(
        "UPDATE wishes SET status = $1, claimant = $2, updated_at = $3 WHERE id = $4 AND status = $5",
    )
    .bind(to.as_str())
    .bind(&claimant)
    .bind(now.stored())
    .bind(id)
    .bind(from.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict);
    }
    sqlx::query(
        "INSERT INTO wish_events (wish_id, action, from_status, to_status, actor_user_id, \
         actor_label, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(action.as_str())
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(user.id)
    .bind(&by.label)
    .bind(claimant.clone().unwrap_or_default())
    .bind(now.stored())
    .execute(&mut *tx)
    .await?;
    let audit_action = format!("wish.{}", action.as_str());
    audit::record(
        &mut tx,
        Change::by(&by, &audit_action, "wish", id.to_string()).states(
            Some(serde_json::json!({ "status": from.as_str() })),
            Some(serde_json::json!({ "status": to.as_str(), "claimant": claimant })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// The wishes of the reader's area, unfinished first.
pub async fn list(pool: &Pool, user: &UserRow) -> Result<Vec<Wish>> {
    access::permit(user, Permission::ManageWishes)?;
    let scope = access::scope_for(user, Permission::ManageWishes);
    let rows: Vec<WishRow> = sqlx::query_as(&format!(
        "{SELECT_WISH} ORDER BY w.updated_at DESC, w.id DESC"
    ))
    .fetch_all(pool)
    .await?;
    let tree = reference::region_tree(pool).await?;
    let mut out: Vec<Wish> = rows
        .into_iter()
        .filter(|r| scope.covers(&r.facts()))
        .map(|r| Wish {
            id: r.id,
            place: tree.label(r.region_id),
            status: r.status,
            actions: actions(r.status),
            title: r.title,
            detail: r.detail,
            resident_name: r.resident_name,
            resident_phone: r.resident_phone,
            claimant: r.claimant,
            updated_at: r.updated_at,
        })
        .collect();
    out.sort_by_key(|w| matches!(w.status, WishStatus::Confirmed | WishStatus::Withdrawn));
    Ok(out)
}

/// The public wish wall: wishes published, claimed or fulfilled and not yet
/// confirmed, names masked, places reduced to the compound.
pub async fn wall(pool: &Pool) -> Result<Vec<WallWish>> {
    let rows: Vec<WishRow> = sqlx::query_as(&format!(
        "{SELECT_WISH} WHERE w.status IN ('published', 'claimed', 'fulfilled') ORDER BY w.id DESC"
    ))
    .fetch_all(pool)
    .await?;
    let tree = reference::region_tree(pool).await?;
    Ok(rows
        .into_iter()
        .map(|r| WallWish {
            id: r.id,
            place: tree.public_place(r.region_id),
            resident: domain::mask::name(&r.resident_name),
            status: r.status,
            claimant: r.claimant.clone(),
            // The same redaction as every public text: staff type what the
            // resident said, phone numbers and room numbers included.
            title: domain::mask::redact(&r.title, &[&r.resident_name]),
            detail: domain::mask::redact(&r.detail, &[&r.resident_name]),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wish_crosses_the_wall_and_leaves_it() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let grid = crate::users::find_by_username(&pool, "grid")
            .await
            .unwrap()
            .unwrap();
        let compound: i64 = sqlx::query_scalar(
            "SELECT id FROM regions WHERE level = 'compound' AND path LIKE $1 ORDER BY id LIMIT 1",
        )
        .bind(format!("{}%", grid.region_path.clone().unwrap()))
        .fetch_one(&pool)
        .await
        .unwrap();
        let new = NewWish {
            title: "想要一台助听器".into(),
            detail: "独居老人刘秀英，住3单元502室，电话１３８ ０００７ ７７７７，听力下降".into(),
            region_id: compound,
            resident_name: "刘秀英".into(),
            resident_phone: "13800007777".into(),
        };
        let id = collect(&pool, &grid, &new, now).await.unwrap();
        // The demo's own wishes are on the wall too: look for this one.
        let on_wall =
            |all: Vec<WallWish>| all.into_iter().filter(|w| w.id == id).collect::<Vec<_>>();
        assert!(on_wall(wall(&pool).await.unwrap()).is_empty());
        act(&pool, &grid, id, WishAction::Verify, "", now)
            .await
            .unwrap();
        let on_wall_now = on_wall(wall(&pool).await.unwrap());
        assert_eq!(on_wall_now.len(), 1);
        assert_eq!(on_wall_now[0].resident, "刘*英");
        let shown = format!("{on_wall_now:?}");
        for private in ["13800007777", "１３８ ０００７", "刘秀英", "502"] {
            assert!(!shown.contains(private), "{private} on the wall: {shown}");
        }
        assert!(on_wall_now[0].detail.contains("听力下降"));
        // A claim needs a name; a second claim is refused; cancelling frees it.
        assert!(matches!(
            act(&pool, &grid, id, WishAction::Claim, " ", now).await,
            Err(StoreError::Invalid(_))
        ));
        act(
            &pool,
            &grid,
            id,
            WishAction::Claim,
            "王建国（在职党员）",
            now,
        )
        .await
        .unwrap();
        assert!(matches!(
            act(&pool, &grid, id, WishAction::Claim, "另一位党员", now).await,
            Err(StoreError::Invalid(e)) if e[0].message == "already_claimed"
        ));
        assert!(matches!(
            act(&pool, &grid, id, WishAction::Withdraw, "", now).await,
            Err(StoreError::Invalid(_))
        ));
        act(&pool, &grid, id, WishAction::CancelClaim, "", now)
            .await
            .unwrap();
        assert_eq!(on_wall(wall(&pool).await.unwrap())[0].claimant, None);
        act(&pool, &grid, id, WishAction::Claim, "市供电公司党支部", now)
            .await
            .unwrap();
        act(&pool, &grid, id, WishAction::Fulfil, "", now)
            .await
            .unwrap();
        act(&pool, &grid, id, WishAction::Confirm, "", now)
            .await
            .unwrap();
        assert!(on_wall(wall(&pool).await.unwrap()).is_empty());
        let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM wish_events WHERE wish_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(events, 7);
        // A deputy may not manage wishes.
        let deputy = crate::users::find_by_username(&pool, "deputy")
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            list(&pool, &deputy).await,
            Err(StoreError::Forbidden)
        ));
    }
}
