//! Escalated items (市级统筹): a station or supervisor links several cases
//! that share one problem into an item led by one unit with a long-term
//! measure (长效机制). Every update on the item is written into each linked
//! case's timeline in the same transaction, so the cases follow it on the
//! case page, the live board and the resident's public page.

use crate::access::{self, CaseFacts};
use crate::audit::{self, Change};
use crate::cases::{CaseRow, SELECT_CASE, load};
use crate::db::Stored;
use crate::events::{By, insert_event};
use crate::reference;
use crate::users::UserRow;
use crate::{Pool, Result, StoreError};
use chrono::{DateTime, Utc};
use domain::coordination::{ItemForm, ItemStatus, distinct_codes, validate_update};
use domain::view::{Item, ItemBrief, ItemUpdate};
use domain::{Permission, Status, TrackingCode};

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    title: String,
    measure: String,
    unit: String,
    unit_id: i64,
    region_id: i64,
    region_path: String,
    station_id: Option<i64>,
    #[sqlx(try_from = "crate::db::Code<ItemStatus>")]
    status: ItemStatus,
    created_by: String,
    #[sqlx(try_from = "crate::db::Stamp")]
    created_at: DateTime<Utc>,
    #[sqlx(try_from = "crate::db::Stamp")]
    updated_at: DateTime<Utc>,
    cases: i64,
    latest: Option<String>,
}

const SELECT_ITEM: &str = "SELECT i.id, i.title, i.measure, u.name AS unit, i.unit_id, i.region_id, \
     r.path AS region_path, i.station_id, i.status, COALESCE(p.display_name, '') AS created_by, \
     i.created_at, i.updated_at, \
     (SELECT COUNT(*) FROM cases c WHERE c.item_id = i.id) AS cases, \
     (SELECT n.note FROM coordination_updates n WHERE n.item_id = i.id ORDER BY n.id DESC LIMIT 1) AS latest \
     FROM coordination_items i \
     JOIN units u ON u.id = i.unit_id \
     JOIN regions r ON r.id = i.region_id \
     LEFT JOIN users p ON p.id = i.created_by";

impl ItemRow {
    /// Access to an item is decided like access to a case standing where
    /// all its cases stand, with the lead unit and the common station.
    fn facts(&self) -> CaseFacts {
        CaseFacts {
            region_path: self.region_path.clone(),
            unit_id: Some(self.unit_id),
            station_id: self.station_id,
        }
    }

    fn brief(&self) -> ItemBrief {
        ItemBrief {
            id: self.id,
            title: self.title.clone(),
            measure: self.measure.clone(),
            unit: self.unit.clone(),
            status: self.status,
            cases: self.cases,
            latest: self.latest.clone(),
            updated_at: self.updated_at,
        }
    }
}

/// Whether a case may still be linked: it is neither finished nor merged.
pub fn may_link(case: &CaseRow) -> bool {
    !matches!(case.state.status, Status::Closed | Status::Merged)
}

async fn load_item(pool: &Pool, id: i64) -> Result<ItemRow> {
    sqlx::query_as(&format!("{SELECT_ITEM} WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)
}

async fn linked_rows(pool: &Pool, id: i64) -> Result<Vec<CaseRow>> {
    Ok(
        sqlx::query_as(&format!("{SELECT_CASE} WHERE c.item_id = $1 ORDER BY c.id"))
            .bind(id)
            .fetch_all(pool)
            .await?,
    )
}

/// The notice shown on a linked case.
pub async fn brief(pool: &Pool, id: i64) -> Result<ItemBrief> {
    Ok(load_item(pool, id).await?.brief())
}

/// Whether `user` may see the item: its place is in their reach, or one of
/// its cases is.
fn visible(user: &UserRow, item: &ItemRow, linked: &[CaseRow]) -> bool {
    let scope = access::scope(user);
    scope.covers(&item.facts()) || linked.iter().any(|c| scope.covers(&c.facts()))
}

/// The lowest region node whose subtree holds every path ('/1/4/9/').
fn common_node(paths: &[&str]) -> Option<i64> {
    let split = |p: &str| -> Vec<i64> { p.split('/').filter_map(|s| s.parse().ok()).collect() };
    let first = split(paths.first()?);
    let shared = paths.iter().skip(1).fold(first.len(), |n, p| {
        let other = split(p);
        first
            .iter()
            .zip(&other)
            .take(n)
            .take_while(|(a, b)| a == b)
            .count()
    });
    first.get(shared.checked_sub(1)?).copied()
}

/// Notes what happened to the item on one linked case: its timeline and,
/// like every case change, the audit trail.
async fn note_on_case(
    tx: &mut crate::db::Tx<'_>,
    case: &CaseRow,
    by: &By,
    kind: &str,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    let status = case.state.status;
    insert_event(
        tx,
        case.id,
        kind,
        Some(status),
        status,
        by,
        &payload.to_string(),
        now,
    )
    .await?;
    let action = format!("case.{kind}");
    audit::record(
        tx,
        Change::by(
            by,
            &action,
            "case",
            domain::TrackingCode::readable(&case.code),
        )
        .states(None, Some(payload.clone())),
        now,
    )
    .await
}

/// Links the cases of `form` into a new item. Every case must exist, be in
/// the user's reach for coordination, be open and not yet linked; anything
/// wrong is reported per field and nothing is written.
pub async fn create(
    pool: &Pool,
    user: &UserRow,
    form: &ItemForm,
    now: DateTime<Utc>,
) -> Result<i64> {
    access::permit(user, Permission::Coordinate)?;
    let mut errors = form.validate();
    if let Some(unit) = form.unit_id
        && !reference::unit_exists(pool, unit).await?
    {
        errors.push(domain::FieldError::new("unit_id", "unknown"));
    }
    let scope = access::scope_for(user, Permission::Coordinate);
    let mut cases = Vec::new();
    let mut problem = None;
    for raw in distinct_codes(&form.codes) {
        let row = match TrackingCode::parse(&raw) {
            Ok(code) => match load(pool, &code).await {
                Ok(row) => row,
                Err(StoreError::NotFound) => {
                    problem.get_or_insert("unknown_case");
                    continue;
                }
                Err(e) => return Err(e),
            },
            Err(_) => {
                problem.get_or_insert("malformed_code");
                continue;
            }
        };
        if !scope.covers(&row.facts()) {
            return Err(StoreError::Forbidden);
        }
        if !may_link(&row) {
            problem.get_or_insert("case_closed");
        } else if row.item_id.is_some() {
            problem.get_or_insert("already_linked");
        }
        cases.push(row);
    }
    if let Some(p) = problem
        && !errors.iter().any(|e| e.field == "codes")
    {
        errors.push(domain::FieldError::new("codes", p));
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let paths: Vec<&str> = cases.iter().map(|c| c.region_path.as_str()).collect();
    let region_id = common_node(&paths).ok_or(StoreError::NotFound)?;
    let station_id = cases[0]
        .station_id
        .filter(|s| cases.iter().all(|c| c.station_id == Some(*s)));
    let (title, measure) = (form.title.trim(), form.measure.trim());
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO coordination_items (title, measure, unit_id, region_id, station_id, status, \
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(title)
    .bind(measure)
    .bind(form.unit_id)
    .bind(region_id)
    .bind(station_id)
    .bind(ItemStatus::Open.as_str())
    .bind(user.id)
    .bind(now.stored())
    .fetch_one(&mut *tx)
    .await?;
    let payload = serde_json::json!({ "item": id, "title": title });
    for case in &cases {
        // Only a case still unlinked is linked: a concurrent item loses.
        let done = sqlx::query(
            "UPDATE cases SET item_id = $1, updated_at = $2, version = version + 1 \
             WHERE id = $3 AND item_id IS NULL",
        )
        .bind(id)
        .bind(now.stored())
        .bind(case.id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        note_on_case(&mut tx, case, &by, "coordinated", &payload, now).await?;
    }
    let codes: Vec<String> = cases
        .iter()
        .map(|c| domain::TrackingCode::readable(&c.code))
        .collect();
    let after = serde_json::json!({
        "title": title, "measure": measure, "unit_id": form.unit_id, "cases": codes,
    });
    audit::record(
        &mut tx,
        Change::by(&by, "coordination.created", "coordination", id.to_string())
            .states(None, Some(after)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Open, unlinked cases that read like the case `code`, to tick when
/// linking it into a new item.
pub async fn candidates(
    pool: &Pool,
    user: &UserRow,
    code: &TrackingCode,
) -> Result<Vec<domain::view::SimilarCase>> {
    let case = crate::cases::load_for(pool, user, code).await?;
    let text = format!("{} {}", case.title, case.description);
    let similar = crate::cases::similar_open(pool, user, case.region_id, &text).await?;
    let linked: Vec<String> =
        sqlx::query_scalar("SELECT code FROM cases WHERE item_id IS NOT NULL")
            .fetch_all(pool)
            .await?;
    let linked: Vec<String> = linked
        .iter()
        .map(|c| domain::TrackingCode::readable(c))
        .collect();
    let own = domain::TrackingCode::readable(&case.code);
    Ok(similar
        .into_iter()
        .filter(|s| s.code != own && !linked.contains(&s.code))
        .collect())
}

/// Whether `user` may report progress on the item: coordination reaches it
/// (the lead unit's handler, the station, the area's supervisors) and it is
/// not finished.
fn may_update(user: &UserRow, item: &ItemRow) -> bool {
    item.status != ItemStatus::Done
        && access::scope_for(user, Permission::Coordinate).covers(&item.facts())
}

/// A progress update: noted on the item and on every linked case.
pub async fn update(
    pool: &Pool,
    user: &UserRow,
    id: i64,
    status: ItemStatus,
    note: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    access::permit(user, Permission::Coordinate)?;
    let item = load_item(pool, id).await?;
    if !access::scope_for(user, Permission::Coordinate).covers(&item.facts()) {
        return Err(StoreError::Forbidden);
    }
    let linked = linked_rows(pool, id).await?;
    let errors = validate_update(item.status, status, note);
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let note = note.trim();
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "UPDATE coordination_items SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
    )
    .bind(status.as_str())
    .bind(now.stored())
    .bind(id)
    .bind(item.status.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict);
    }
    sqlx::query(
        "INSERT INTO coordination_updates (item_id, status, note, by_user_id, by_label, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(note)
    .bind(user.id)
    .bind(&by.label)
    .bind(now.stored())
    .execute(&mut *tx)
    .await?;
    let payload = serde_json::json!({ "item": id, "status": status.as_str(), "note": note });
    for case in &linked {
        note_on_case(&mut tx, case, &by, "coordination_update", &payload, now).await?;
    }
    audit::record(
        &mut tx,
        Change::by(&by, "coordination.updated", "coordination", id.to_string()).states(
            Some(serde_json::json!({ "status": item.status })),
            Some(serde_json::json!({ "status": status.as_str(), "note": note })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The item with its cases and history, for a user who may see it.
pub async fn get(pool: &Pool, user: &UserRow, id: i64, now: DateTime<Utc>) -> Result<Item> {
    access::permit(user, Permission::ViewCases)?;
    let item = load_item(pool, id).await?;
    let linked = linked_rows(pool, id).await?;
    if !visible(user, &item, &linked) {
        return Err(StoreError::Forbidden);
    }
    let policy = reference::policy(pool).await?;
    let tree = reference::region_tree(pool).await?;
    let scope = access::scope(user);
    type Update = (
        crate::db::Stamp,
        String,
        crate::db::Code<ItemStatus>,
        String,
    );
    let updates: Vec<Update> = sqlx::query_as(
        "SELECT at, by_label, status, note FROM coordination_updates WHERE item_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(Item {
        brief: item.brief(),
        place: tree.label(item.region_id),
        created_by: item.created_by.clone(),
        created_at: item.created_at,
        // A supervisor sees the whole item; others only the cases in their reach.
        linked: linked
            .iter()
            .filter(|c| scope.covers(&c.facts()))
            .map(|c| crate::cases::summarize(c, &policy, &tree, now))
            .collect(),
        updates: updates
            .into_iter()
            .map(|(at, by, status, note)| ItemUpdate {
                at: at.0,
                by,
                status: status.0,
                note,
            })
            .collect(),
        can_update: may_update(user, &item),
    })
}

/// The items `user` may see, unfinished first, most recently updated first.
pub async fn list(pool: &Pool, user: &UserRow) -> Result<Vec<ItemBrief>> {
    access::permit(user, Permission::ViewCases)?;
    let items: Vec<ItemRow> = sqlx::query_as(&format!("{SELECT_ITEM} ORDER BY i.updated_at DESC"))
        .fetch_all(pool)
        .await?;
    // The access facts of every linked case, read once rather than per item.
    let facts: Vec<(i64, String, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT c.item_id, r.path, c.unit_id, c.station_id FROM cases c \
         JOIN regions r ON r.id = c.region_id WHERE c.item_id IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    let scope = access::scope(user);
    let mut out: Vec<ItemBrief> = items
        .iter()
        .filter(|item| {
            scope.covers(&item.facts())
                || facts.iter().filter(|(id, ..)| *id == item.id).any(
                    |(_, path, unit_id, station_id)| {
                        scope.covers(&CaseFacts {
                            region_path: path.clone(),
                            unit_id: *unit_id,
                            station_id: *station_id,
                        })
                    },
                )
        })
        .map(ItemRow::brief)
        .collect();
    out.sort_by_key(|b| b.status == ItemStatus::Done);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_node_is_the_deepest_shared_ancestor() {
        assert_eq!(common_node(&["/1/4/9/", "/1/4/10/"]), Some(4));
        assert_eq!(common_node(&["/1/4/9/", "/1/4/9/"]), Some(9));
        assert_eq!(common_node(&["/1/4/9/", "/1/5/"]), Some(1));
        assert_eq!(common_node(&["/1/4/9/12/", "/1/4/9/"]), Some(9));
        assert_eq!(common_node(&[]), None);
    }

    /// Open cases `user` sees that follow no item yet (the demo links two).
    async fn open_codes(pool: &Pool, user: &UserRow, n: usize) -> Vec<String> {
        let now = Utc::now();
        let list = crate::cases::list(pool, user, &Default::default(), now)
            .await
            .unwrap();
        let linked: Vec<String> =
            sqlx::query_scalar("SELECT code FROM cases WHERE item_id IS NOT NULL")
                .fetch_all(pool)
                .await
                .unwrap();
        list.into_iter()
            .filter(|c| !matches!(c.status, Status::Closed | Status::Merged))
            .filter(|c| !linked.contains(&c.code.replace('-', "")))
            .take(n)
            .map(|c| c.code)
            .collect()
    }

    fn form(codes: &[String], unit_id: i64) -> ItemForm {
        ItemForm {
            title: "雨污管网统筹改造".into(),
            measure: "纳入年度城建计划，汛前排查".into(),
            unit_id: Some(unit_id),
            codes: codes.to_vec(),
        }
    }

    use crate::testing::user;

    async fn count(pool: &Pool, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
    }

    #[tokio::test]
    async fn linked_cases_follow_the_item() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let director = user(&pool, "director").await;
        let leader = user(&pool, "leader").await;
        let codes = open_codes(&pool, &director, 2).await;
        let unit = reference::units(&pool).await.unwrap()[0].id;
        let id = create(&pool, &director, &form(&codes, unit), now)
            .await
            .unwrap();

        // Each case names the item and notes the link.
        for code in &codes {
            let code = TrackingCode::parse(code).unwrap();
            let d = crate::casefile::detail(&pool, &director, &code, now)
                .await
                .unwrap();
            let brief = d.coordination.expect("linked");
            assert_eq!((brief.id, brief.cases), (id, 2));
            assert!(!d.can_coordinate);
            assert_eq!(
                d.timeline.last().map(|t| t.kind.as_str()),
                Some("coordinated")
            );
        }
        // A second item cannot take the same cases.
        let again = create(&pool, &director, &form(&codes, unit), now).await;
        assert!(
            matches!(&again, Err(StoreError::Invalid(e)) if e[0].message == "already_linked"),
            "{again:?}"
        );

        // The supervisor reports progress; every case's timeline shows it,
        // and the public page too.
        update(
            &pool,
            &leader,
            id,
            ItemStatus::InProgress,
            "已列入改造计划",
            now,
        )
        .await
        .unwrap();
        for code in &codes {
            let code = TrackingCode::parse(code).unwrap();
            let d = crate::casefile::detail(&pool, &director, &code, now)
                .await
                .unwrap();
            let last = d.timeline.last().unwrap();
            assert_eq!(last.kind, "coordination_update");
            let public = crate::casefile::public_view(&pool, &code, now)
                .await
                .unwrap();
            let brief = public.coordination.unwrap();
            assert_eq!(brief.status, ItemStatus::InProgress);
            assert_eq!(brief.latest.as_deref(), Some("已列入改造计划"));
        }
        let item = get(&pool, &director, id, now).await.unwrap();
        assert_eq!(item.linked.len(), 2);
        assert_eq!(item.updates.len(), 1);

        // Backwards is refused; done is final.
        let back = update(&pool, &leader, id, ItemStatus::Open, "重新开始", now).await;
        assert!(matches!(back, Err(StoreError::Invalid(_))));
        update(&pool, &leader, id, ItemStatus::Done, "长效机制已建立", now)
            .await
            .unwrap();
        assert!(!get(&pool, &leader, id, now).await.unwrap().can_update);
        let updates = format!(
            "SELECT COUNT(*) FROM case_events WHERE kind = 'coordination_update' \
             AND case_id IN (SELECT id FROM cases WHERE item_id = {id})"
        );
        assert_eq!(count(&pool, &updates).await, 4);
        let audited = format!(
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'coordination' AND entity_id = '{id}'"
        );
        assert_eq!(count(&pool, &audited).await, 3);
        assert!(crate::audit::verify(&pool).await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn bad_links_write_nothing() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let items = count(&pool, "SELECT COUNT(*) FROM coordination_items").await;
        let linked = count(
            &pool,
            "SELECT COUNT(*) FROM cases WHERE item_id IS NOT NULL",
        )
        .await;
        let director = user(&pool, "director").await;
        let unit = reference::units(&pool).await.unwrap()[0].id;
        let codes = open_codes(&pool, &director, 1).await;
        // A closed case the director may see (PostgreSQL returns rows in no set order).
        let closed: String = sqlx::query_scalar(
            "SELECT c.code FROM cases c JOIN regions r ON r.id = c.region_id \
             WHERE c.status = 'closed' AND r.path LIKE $1 ORDER BY c.id LIMIT 1",
        )
        .bind(format!(
            "{}%",
            director.region_path.clone().unwrap_or_default()
        ))
        .fetch_one(&pool)
        .await
        .unwrap();
        let cases = [
            (vec![codes[0].clone()], "too_few_cases"),
            (
                vec![
                    codes[0].clone(),
                    TrackingCode::from_random([7; 7]).to_string(),
                ],
                "unknown_case",
            ),
            (vec![codes[0].clone(), "ZZZZ-ZZZZ".into()], "malformed_code"),
            (vec![codes[0].clone(), closed], "case_closed"),
        ];
        for (codes, message) in cases {
            let r = create(&pool, &director, &form(&codes, unit), now).await;
            assert!(
                matches!(&r, Err(StoreError::Invalid(e)) if e.iter().any(|e| e.field == "codes" && e.message == message)),
                "{message}: {r:?}"
            );
        }
        let mut no_unit = form(&open_codes(&pool, &director, 2).await, unit);
        no_unit.unit_id = Some(999_999);
        assert!(matches!(
            create(&pool, &director, &no_unit, now).await,
            Err(StoreError::Invalid(e)) if e[0].field == "unit_id"
        ));
        // A grid worker may not coordinate at all.
        let grid = user(&pool, "grid").await;
        assert!(matches!(
            create(&pool, &grid, &no_unit, now).await,
            Err(StoreError::Forbidden)
        ));
        assert_eq!(
            count(&pool, "SELECT COUNT(*) FROM coordination_items").await,
            items
        );
        assert_eq!(
            count(
                &pool,
                "SELECT COUNT(*) FROM cases WHERE item_id IS NOT NULL"
            )
            .await,
            linked
        );
    }
}
