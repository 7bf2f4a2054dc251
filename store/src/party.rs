//! Party building: organisations on the region tree, dual registration
//! (双报到), the need list with members' claim cards and service logs, and
//! the quarterly service report. Every change goes into the audit trail.

use crate::access;
use crate::audit::{self, Change};
use crate::db::{Flag, Stored};
use crate::events::By;
use crate::reference;
use crate::users::{self, UserRow};
use crate::{Pool, Result, StoreError};
use chrono::{DateTime, Datelike, Utc};
use domain::party::{
    Claim, ClaimAction, ClaimStatus, Decision, Headline, MemberForm, MyService, Need, NewNeed,
    NewOrg, Org, OrgKind, PartyOverview, Quarter, Receipt, RegStatus, RegisterOptions, Registrant,
    Registration, ServiceFact, ServiceLog, ServiceReport, UnitForm, next_claim,
};
use domain::view::{Named, RegionOption};
use domain::{Permission, Rating, RegionLevel, Role};
use serde_json::json;

/// The region path `user` manages party work in ("/" for the whole city).
fn managed_path(user: &UserRow) -> Result<String> {
    access::permit(user, Permission::ManageParty)?;
    match access::scope_for(user, Permission::ManageParty) {
        access::Scope::All => Ok("/".into()),
        access::Scope::Region(p) => Ok(p),
        _ => Err(StoreError::Forbidden),
    }
}

/// Counts organisations, confirmed members and units under `path`.
pub async fn headline(pool: &Pool, path: &str) -> Result<Headline> {
    let like = format!("{path}%");
    let orgs: Vec<(String, Flag)> = sqlx::query_as(
        "SELECT o.kind, o.secretary_retired FROM party_orgs o JOIN regions r ON r.id = o.region_id \
         WHERE r.path LIKE $1",
    )
    .bind(&like)
    .fetch_all(pool)
    .await?;
    let mut h = Headline::default();
    for (kind, Flag(retired)) in orgs {
        if let Some(kind) = OrgKind::parse(&kind) {
            h.count(kind, retired);
        }
    }
    let (members, communities): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT m.community_id) FROM party_members m \
         JOIN regions r ON r.id = m.community_id WHERE m.status = 'confirmed' AND r.path LIKE $1",
    )
    .bind(&like)
    .fetch_one(pool)
    .await?;
    h.members_registered = members;
    h.communities = communities;
    h.units_registered = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT u.work_unit_id) FROM unit_registrations u \
         JOIN regions r ON r.id = u.community_id WHERE u.status = 'confirmed' AND r.path LIKE $1",
    )
    .bind(&like)
    .fetch_one(pool)
    .await?;
    Ok(h)
}

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: i64,
    parent_id: Option<i64>,
    #[sqlx(try_from = "crate::db::Code<OrgKind>")]
    kind: OrgKind,
    name: String,
    region_id: i64,
    path: String,
    secretary: String,
    #[sqlx(try_from = "crate::db::Flag")]
    secretary_retired: bool,
    members: i64,
}

/// The organisations of the reader's area as a tree (depth-first), each with
/// how many registered members live on its node or below.
pub async fn overview(pool: &Pool, user: &UserRow) -> Result<PartyOverview> {
    let path = managed_path(user)?;
    let tree = reference::region_tree(pool).await?;
    let rows: Vec<OrgRow> = sqlx::query_as(
        "SELECT o.id, o.parent_id, o.kind, o.name, o.region_id, r.path, o.secretary, \
         o.secretary_retired, o.members FROM party_orgs o JOIN regions r ON r.id = o.region_id \
         WHERE r.path LIKE $1 ORDER BY o.id",
    )
    .bind(format!("{path}%"))
    .fetch_all(pool)
    .await?;
    let homes: Vec<String> = sqlx::query_scalar(
        "SELECT r.path FROM party_members m JOIN users u ON u.id = m.user_id \
         JOIN regions r ON r.id = u.region_id WHERE m.status = 'confirmed' AND r.path LIKE $1",
    )
    .bind(format!("{path}%"))
    .fetch_all(pool)
    .await?;
    let mut orgs = Vec::with_capacity(rows.len());
    // Children by parent, in id order; roots are those whose parent lies
    // outside the reader's area too.
    let ids: std::collections::HashSet<i64> = rows.iter().map(|r| r.id).collect();
    let mut children: std::collections::HashMap<Option<i64>, Vec<&OrgRow>> =
        std::collections::HashMap::new();
    for r in &rows {
        let parent = r.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(r);
    }
    let mut stack: Vec<(usize, &OrgRow)> = children
        .get(&None)
        .into_iter()
        .flatten()
        .rev()
        .map(|r| (0, *r))
        .collect();
    while let Some((depth, r)) = stack.pop() {
        orgs.push(Org {
            id: r.id,
            parent_id: r.parent_id,
            kind: r.kind,
            name: r.name.clone(),
            place: tree.label(r.region_id),
            secretary: r.secretary.clone(),
            secretary_retired: r.secretary_retired,
            members: r.members,
            registered: homes.iter().filter(|h| h.starts_with(&r.path)).count() as i64,
            depth,
        });
        stack.extend(
            children
                .get(&Some(r.id))
                .into_iter()
                .flatten()
                .rev()
                .map(|c| (depth + 1, *c)),
        );
    }
    Ok(PartyOverview {
        headline: headline(pool, &path).await?,
        orgs,
    })
}

/// Places a party organisation on the tree.
pub async fn add_org(pool: &Pool, user: &UserRow, new: &NewOrg, now: DateTime<Utc>) -> Result<i64> {
    let path = managed_path(user)?;
    let parent: Option<(String, i64)> = match new.parent_id {
        Some(p) => {
            sqlx::query_as("SELECT kind, region_id FROM party_orgs WHERE id = $1")
                .bind(p)
                .fetch_optional(pool)
                .await?
        }
        None => None,
    };
    let mut errors = new.validate(parent.as_ref().and_then(|(k, _)| OrgKind::parse(k)));
    let tree = reference::region_tree(pool).await?;
    match tree.get(new.region_id) {
        None => errors.push(domain::FieldError::new("region_id", "unknown")),
        Some(node) if !node.path.starts_with(&path) => {
            errors.push(domain::FieldError::new("region_id", "out_of_scope"))
        }
        // A branch sits inside its committee's community, a group inside its branch's node.
        Some(node) => {
            if let Some(parent_path) = parent
                .as_ref()
                .and_then(|(_, region)| tree.get(*region))
                .map(|r| r.path.clone())
                && !node.path.starts_with(&parent_path)
            {
                errors.push(domain::FieldError::new("region_id", "outside_parent"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO party_orgs (parent_id, kind, name, region_id, secretary, secretary_retired, \
         members, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(new.parent_id)
    .bind(new.kind.as_str())
    .bind(new.name.trim())
    .bind(new.region_id)
    .bind(new.secretary.trim())
    .bind(new.secretary_retired)
    .bind(new.members)
    .bind(now.stored())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Change::by(&by, "party_org.created", "party_org", id.to_string()).states(
            None,
            Some(json!({ "kind": new.kind.as_str(), "name": new.name.trim(), "region_id": new.region_id })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// What the public registration forms offer, with the city's headline.
pub async fn register_options(pool: &Pool) -> Result<RegisterOptions> {
    let tree = reference::region_tree(pool).await?;
    let option = |n: &reference::RegionRow| RegionOption {
        id: n.id,
        label: tree.label(n.id),
    };
    let communities = tree
        .within("/")
        .filter(|n| n.level() == Some(RegionLevel::Community))
        .map(option)
        .collect();
    let homes = tree
        .within("/")
        .filter(|n| {
            n.level()
                .is_some_and(|l| l >= RegionLevel::Community && l != RegionLevel::Grid)
        })
        .map(option)
        .collect();
    let units: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM work_units ORDER BY name")
        .fetch_all(pool)
        .await?;
    Ok(RegisterOptions {
        communities,
        homes,
        units: units
            .into_iter()
            .map(|(id, name)| Named { id, name })
            .collect(),
        headline: headline(pool, "/").await?,
    })
}

/// A member's 报到卡 and 登记表: a disabled account and the form, waiting for
/// the community's confirmation.
pub async fn register_member(pool: &Pool, form: &MemberForm, now: DateTime<Utc>) -> Result<i64> {
    let today = now.with_timezone(&domain::deadline::china()).date_naive();
    let mut errors = Vec::new();
    let reg = form.validate(today).map_err(|e| errors = e).ok();
    let tree = reference::region_tree(pool).await?;
    let home = tree.get(form.home_id.trim().parse().unwrap_or(0));
    let community_id = home
        .filter(|n| n.level().is_some_and(|l| l >= RegionLevel::Community))
        .and_then(|n| tree.community_of(n.id))
        .map(|c| c.id);
    if community_id.is_none() && !errors.iter().any(|e| e.field == "home_id") {
        errors.push(domain::FieldError::new("home_id", "unknown"));
    }
    if let Some(r) = &reg {
        if !reference_exists(pool, "work_units", r.work_unit_id).await? {
            errors.push(domain::FieldError::new("work_unit_id", "unknown"));
        }
        if users::find_by_username(pool, &r.username).await?.is_some() {
            errors.push(domain::FieldError::new("username", "taken"));
        }
    }
    let (Some(r), Some(community_id), true) = (reg, community_id, errors.is_empty()) else {
        return Err(StoreError::Invalid(errors));
    };
    let hash = users::password_hash_of(&r.password).await?;
    let by = By::named(&r.display_name);
    let mut tx = pool.begin().await?;
    // Disabled until confirmed: the password is set now so the member need
    // not come back for one.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, role, region_id, created_at, \
         disabled_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(&r.username)
    .bind(&r.display_name)
    .bind(&hash)
    .bind(Role::Member.as_str())
    .bind(r.home_id)
    .bind(now.stored())
    .fetch_one(&mut *tx)
    .await
    .map_err(crate::unique("username", "taken"))?;
    sqlx::query(
        "INSERT INTO party_members (user_id, community_id, work_unit_id, gender, birth_year, phone, \
         address, position, joined_party, skills, status, registered_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11)",
    )
    .bind(id)
    .bind(community_id)
    .bind(r.work_unit_id)
    .bind(r.gender.as_str())
    .bind(r.birth_year)
    .bind(&r.phone)
    .bind(&r.address)
    .bind(&r.position)
    .bind(r.joined_party.stored())
    .bind(&r.skills)
    .bind(now.stored())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Change::by(&by, "party_member.registered", "user", id.to_string()).states(
            None,
            Some(json!({ "username": r.username, "community_id": community_id })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn reference_exists(pool: &Pool, table: &str, id: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_one(pool)
        .await?;
    Ok(n > 0)
}

/// A work unit's party organisation registering with a community; the unit
/// is added to the city's list (or found there by name).
pub async fn register_unit(pool: &Pool, form: &UnitForm, now: DateTime<Utc>) -> Result<i64> {
    let reg = form.validate().map_err(StoreError::Invalid)?;
    let tree = reference::region_tree(pool).await?;
    if tree.get(reg.community_id).and_then(|n| n.level()) != Some(RegionLevel::Community) {
        return Err(StoreError::invalid("community_id", "unknown"));
    }
    let by = By::named(&reg.contact_name);
    let mut tx = pool.begin().await?;
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM work_units WHERE name = $1")
        .bind(&reg.name)
        .fetch_optional(&mut *tx)
        .await?;
    let unit_id =
        match existing {
            Some(id) => id,
            None => sqlx::query_scalar(
                "INSERT INTO work_units (name, party_org, contact_name, contact_phone, members, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(&reg.name)
            .bind(&reg.party_org)
            .bind(&reg.contact_name)
            .bind(&reg.contact_phone)
            .bind(reg.members)
            .bind(now.stored())
            .fetch_one(&mut *tx)
            .await?,
        };
    let already: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM unit_registrations WHERE work_unit_id = $1 AND community_id = $2",
    )
    .bind(unit_id)
    .bind(reg.community_id)
    .fetch_one(&mut *tx)
    .await?;
    if already > 0 {
        return Err(StoreError::invalid("name", "already_registered"));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO unit_registrations (work_unit_id, community_id, status, registered_at) \
         VALUES ($1, $2, 'pending', $3) RETURNING id",
    )
    .bind(unit_id)
    .bind(reg.community_id)
    .bind(now.stored())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Change::by(
            &by,
            "work_unit.registered",
            "unit_registration",
            id.to_string(),
        )
        .states(
            None,
            Some(json!({ "unit": reg.name, "community_id": reg.community_id })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct RegRow {
    id: i64,
    name: String,
    unit: String,
    community_id: i64,
    detail: String,
    phone: String,
    #[sqlx(try_from = "crate::db::Code<RegStatus>")]
    status: RegStatus,
    receipt_no: Option<String>,
    #[sqlx(try_from = "crate::db::Stamp")]
    registered_at: DateTime<Utc>,
}

const MEMBER_REGS: &str = "SELECT m.user_id AS id, u.display_name AS name, w.name AS unit, \
     m.community_id, m.address AS detail, m.phone, m.status, m.receipt_no, m.registered_at \
     FROM party_members m JOIN users u ON u.id = m.user_id \
     JOIN work_units w ON w.id = m.work_unit_id JOIN regions r ON r.id = m.community_id";

const UNIT_REGS: &str = "SELECT g.id, w.party_org AS name, w.name AS unit, g.community_id, \
     w.contact_name AS detail, w.contact_phone AS phone, g.status, g.receipt_no, g.registered_at \
     FROM unit_registrations g JOIN work_units w ON w.id = g.work_unit_id \
     JOIN regions r ON r.id = g.community_id";

/// Registrations in the reader's area: waiting ones first, then the latest.
pub async fn registrations(pool: &Pool, user: &UserRow) -> Result<Vec<Registration>> {
    let path = managed_path(user)?;
    let tree = reference::region_tree(pool).await?;
    let mut out = Vec::new();
    for (member, select) in [(true, MEMBER_REGS), (false, UNIT_REGS)] {
        let rows: Vec<RegRow> = sqlx::query_as(&format!(
            "{select} WHERE r.path LIKE $1 ORDER BY registered_at DESC LIMIT 500"
        ))
        .bind(format!("{path}%"))
        .fetch_all(pool)
        .await?;
        out.extend(rows.into_iter().map(|r| Registration {
            id: r.id,
            member,
            name: r.name,
            unit: r.unit,
            community: tree.label(r.community_id),
            detail: r.detail,
            phone: r.phone,
            status: r.status,
            receipt_no: r.receipt_no,
            registered_at: r.registered_at,
        }));
    }
    out.sort_by_key(|r| {
        (
            r.status != RegStatus::Pending,
            std::cmp::Reverse(r.registered_at),
        )
    });
    Ok(out)
}

/// The community confirms (a receipt number, and a member's account opens)
/// or refuses a registration. Returns the receipt number when confirmed.
pub async fn decide_registration(
    pool: &Pool,
    user: &UserRow,
    kind: Registrant,
    id: i64,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let path = managed_path(user)?;
    let (table, key) = match kind {
        Registrant::Member => ("party_members", "user_id"),
        Registrant::Unit => ("unit_registrations", "id"),
    };
    let (community_path, status): (String, String) = sqlx::query_as(&format!(
        "SELECT r.path, t.status FROM {table} t JOIN regions r ON r.id = t.community_id WHERE t.{key} = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    if !community_path.starts_with(&path) {
        return Err(StoreError::Forbidden);
    }
    if status != RegStatus::Pending.as_str() {
        return Err(StoreError::invalid("registration", "already_decided"));
    }
    let (to, receipt) = match decision {
        Decision::Confirm => {
            let year = now.with_timezone(&domain::deadline::china()).year();
            (
                RegStatus::Confirmed,
                Some(domain::party::receipt_no(year, kind, id)),
            )
        }
        Decision::Refuse => (RegStatus::Refused, None),
    };
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let done = sqlx::query(&format!(
        "UPDATE {table} SET status = $1, receipt_no = $2, decided_at = $3, decided_by = $4 \
         WHERE {key} = $5 AND status = 'pending'"
    ))
    .bind(to.as_str())
    .bind(&receipt)
    .bind(now.stored())
    .bind(user.id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict);
    }
    if (kind, decision) == (Registrant::Member, Decision::Confirm) {
        sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let action = match kind {
        Registrant::Member => format!("party_member.{}", to.as_str()),
        Registrant::Unit => format!("work_unit.{}", to.as_str()),
    };
    audit::record(
        &mut tx,
        Change::by(&by, &action, table, id.to_string()).states(
            Some(json!({ "status": "pending" })),
            Some(json!({ "status": to.as_str(), "receipt_no": receipt })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(receipt)
}

/// Whether `username`/`password` belong to a registration still waiting for
/// the community (so the sign-in page can say so instead of "wrong password").
pub async fn awaiting_confirmation(pool: &Pool, username: &str, password: &str) -> Result<bool> {
    let row: Option<String> = sqlx::query_scalar(
        "SELECT u.password_hash FROM users u JOIN party_members m ON m.user_id = u.id \
         WHERE u.username = $1 AND m.status = 'pending'",
    )
    .bind(domain::account::username_key(username))
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        Some(hash) => users::password_matches(&hash, password).await,
        None => false,
    })
}

#[derive(sqlx::FromRow)]
struct ReceiptRow {
    receipt_no: Option<String>,
    name: String,
    unit: String,
    party_org: String,
    community_id: i64,
    community_path: String,
    address: String,
    #[sqlx(try_from = "crate::db::Stamp")]
    registered_at: DateTime<Utc>,
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    decided_at: Option<DateTime<Utc>>,
}

/// A confirmed registration's receipt: the member's own, or any in the
/// reader's area for the community's staff to print.
pub async fn receipt(pool: &Pool, user: &UserRow, member: bool, id: i64) -> Result<Receipt> {
    let own = member && user.id == id && user.role == Role::Member;
    let path = if own { "/".into() } else { managed_path(user)? };
    let sql = if member {
        "SELECT m.receipt_no, u.display_name AS name, w.name AS unit, w.party_org, m.community_id, \
         r.path AS community_path, m.address, m.registered_at, m.decided_at \
         FROM party_members m JOIN users u ON u.id = m.user_id \
         JOIN work_units w ON w.id = m.work_unit_id JOIN regions r ON r.id = m.community_id \
         WHERE m.user_id = $1 AND m.status = 'confirmed'"
    } else {
        "SELECT g.receipt_no, w.contact_name AS name, w.name AS unit, w.party_org, g.community_id, \
         r.path AS community_path, '' AS address, g.registered_at, g.decided_at \
         FROM unit_registrations g JOIN work_units w ON w.id = g.work_unit_id \
         JOIN regions r ON r.id = g.community_id WHERE g.id = $1 AND g.status = 'confirmed'"
    };
    let row: ReceiptRow = sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !row.community_path.starts_with(path.as_str()) {
        return Err(StoreError::Forbidden);
    }
    let tree = reference::region_tree(pool).await?;
    Ok(Receipt {
        receipt_no: row.receipt_no.unwrap_or_default(),
        member,
        name: row.name,
        unit: row.unit,
        party_org: row.party_org,
        community: tree.full_label(row.community_id),
        address: row.address,
        registered_at: row.registered_at,
        confirmed_at: row.decided_at.unwrap_or(row.registered_at),
    })
}

/// Adds an item to a community's need list.
pub async fn add_need(
    pool: &Pool,
    user: &UserRow,
    new: &NewNeed,
    now: DateTime<Utc>,
) -> Result<i64> {
    let path = managed_path(user)?;
    let mut errors = new.validate();
    let tree = reference::region_tree(pool).await?;
    match tree.get(new.community_id) {
        Some(n) if n.level() == Some(RegionLevel::Community) && n.path.starts_with(&path) => {}
        Some(n) if n.level() == Some(RegionLevel::Community) => {
            errors.push(domain::FieldError::new("community_id", "out_of_scope"))
        }
        _ => errors.push(domain::FieldError::new("community_id", "unknown")),
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO needs (community_id, title, detail, open, created_by, created_at) \
         VALUES ($1, $2, $3, TRUE, $4, $5) RETURNING id",
    )
    .bind(new.community_id)
    .bind(new.title.trim())
    .bind(new.detail.trim())
    .bind(user.id)
    .bind(now.stored())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Change::by(&by, "need.created", "need", id.to_string())
            .states(None, Some(json!({ "title": new.title.trim() }))),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Takes a need off the list (its claims and logged service stay).
pub async fn close_need(pool: &Pool, user: &UserRow, id: i64, now: DateTime<Utc>) -> Result<()> {
    let path = managed_path(user)?;
    let (need_path, Flag(open)): (String, Flag) = sqlx::query_as(
        "SELECT r.path, n.open FROM needs n JOIN regions r ON r.id = n.community_id WHERE n.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    if !need_path.starts_with(&path) {
        return Err(StoreError::Forbidden);
    }
    if !open {
        return Err(StoreError::invalid("need", "already_closed"));
    }
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE needs SET open = FALSE WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Change::by(&by, "need.closed", "need", id.to_string()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    need_id: i64,
    need: String,
    member: String,
    unit: String,
    pledge: String,
    #[sqlx(try_from = "crate::db::Code<ClaimStatus>")]
    status: ClaimStatus,
    #[sqlx(try_from = "crate::db::Stamp")]
    claimed_at: DateTime<Utc>,
    #[sqlx(try_from = "crate::db::MaybeCode<Rating>")]
    evaluation: Option<Rating>,
    evaluation_note: String,
}

const CLAIMS_FROM: &str = "FROM need_claims c JOIN needs n ON n.id = c.need_id \
     JOIN regions r ON r.id = n.community_id JOIN users u ON u.id = c.member_id \
     JOIN party_members m ON m.user_id = c.member_id JOIN work_units w ON w.id = m.work_unit_id";

/// Claims matching `condition` (one `$1` bound to `bind`), with their logs,
/// in two queries; `member` decides which actions are offered.
async fn load_claims(pool: &Pool, condition: &str, bind: &str, member: bool) -> Result<Vec<Claim>> {
    let rows: Vec<ClaimRow> = sqlx::query_as(&format!(
        "SELECT c.id, c.need_id, n.title AS need, u.display_name AS member, w.name AS unit, c.pledge, \
         c.status, c.claimed_at, c.evaluation, c.evaluation_note {CLAIMS_FROM} WHERE {condition} \
         ORDER BY c.claimed_at DESC"
    ))
    .bind(bind)
    .fetch_all(pool)
    .await?;
    let logs: Vec<(i64, crate::db::Day, i64, String)> = sqlx::query_as(&format!(
        "SELECT l.claim_id, l.served_on, l.minutes, l.note FROM service_logs l \
         WHERE l.claim_id IN (SELECT c.id {CLAIMS_FROM} WHERE {condition}) ORDER BY l.served_on, l.id"
    ))
    .bind(bind)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let logs: Vec<ServiceLog> = logs
                .iter()
                .filter(|l| l.0 == r.id)
                .map(|l| ServiceLog {
                    served_on: l.1.0,
                    minutes: l.2,
                    note: l.3.clone(),
                })
                .collect();
            let minutes = logs.iter().map(|l| l.minutes).sum();
            let status = r.status;
            let actions = ClaimAction::ALL
                .into_iter()
                .filter(|a| a.by_member() == member && next_claim(status, *a, minutes).is_ok())
                .collect();
            Claim {
                id: r.id,
                need_id: r.need_id,
                need: r.need,
                member: r.member,
                unit: r.unit,
                pledge: r.pledge,
                status,
                claimed_at: r.claimed_at,
                minutes,
                logs,
                evaluation: r.evaluation,
                evaluation_note: r.evaluation_note,
                actions,
            }
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct NeedRow {
    id: i64,
    title: String,
    detail: String,
    community_id: i64,
    #[sqlx(try_from = "crate::db::Flag")]
    open: bool,
}

async fn need_rows(pool: &Pool, condition: &str, bind: &str) -> Result<Vec<NeedRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT n.id, n.title, n.detail, n.community_id, n.open FROM needs n \
         JOIN regions r ON r.id = n.community_id WHERE {condition} ORDER BY n.open DESC, n.id DESC"
    ))
    .bind(bind)
    .fetch_all(pool)
    .await?)
}

/// The need lists of the reader's area with every claim card on them.
pub async fn needs(pool: &Pool, user: &UserRow) -> Result<Vec<Need>> {
    let path = managed_path(user)?;
    let like = format!("{path}%");
    let tree = reference::region_tree(pool).await?;
    let claims = load_claims(pool, "r.path LIKE $1", &like, false).await?;
    let rows = need_rows(pool, "r.path LIKE $1", &like).await?;
    Ok(rows
        .into_iter()
        .map(|n| Need {
            claims: claims
                .iter()
                .filter(|c| c.need_id == n.id)
                .cloned()
                .collect(),
            id: n.id,
            title: n.title,
            detail: n.detail,
            community: tree.label(n.community_id),
            open: n.open,
            claimed_by_me: false,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    community_id: i64,
    #[sqlx(try_from = "crate::db::Code<RegStatus>")]
    status: RegStatus,
    receipt_no: Option<String>,
}

async fn member_row(pool: &Pool, user: &UserRow) -> Result<MemberRow> {
    access::permit(user, Permission::ServeCommunity)?;
    sqlx::query_as("SELECT community_id, status, receipt_no FROM party_members WHERE user_id = $1")
        .bind(user.id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A member's page: registration, the open needs of their community, their cards.
pub async fn my_service(pool: &Pool, user: &UserRow) -> Result<MyService> {
    let m = member_row(pool, user).await?;
    let tree = reference::region_tree(pool).await?;
    let claims = load_claims(
        pool,
        "c.member_id = CAST($1 AS INTEGER)",
        &user.id.to_string(),
        true,
    )
    .await?;
    let rows = need_rows(
        pool,
        "n.open = TRUE AND n.community_id = CAST($1 AS INTEGER)",
        &m.community_id.to_string(),
    )
    .await?;
    let needs = rows
        .into_iter()
        .map(|n| Need {
            claimed_by_me: claims
                .iter()
                .any(|c| c.need_id == n.id && c.status.active()),
            claims: Vec::new(),
            id: n.id,
            title: n.title,
            detail: n.detail,
            community: tree.label(n.community_id),
            open: n.open,
        })
        .collect();
    Ok(MyService {
        member_id: user.id,
        status: m.status,
        receipt_no: m.receipt_no,
        community: tree.full_label(m.community_id),
        needs,
        claims,
    })
}

/// A member signs a claim card for an open need of their community; one
/// active card per member and need.
pub async fn claim(
    pool: &Pool,
    user: &UserRow,
    need_id: i64,
    pledge: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let m = member_row(pool, user).await?;
    if m.status != RegStatus::Confirmed {
        return Err(StoreError::Forbidden);
    }
    let errors = domain::party::validate_pledge(pledge);
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let need: (i64, Flag) = sqlx::query_as("SELECT community_id, open FROM needs WHERE id = $1")
        .bind(need_id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    if need.0 != m.community_id {
        return Err(StoreError::Forbidden);
    }
    if !need.1.0 {
        return Err(StoreError::invalid("need", "already_closed"));
    }
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let active: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM need_claims WHERE need_id = $1 AND member_id = $2 \
         AND status IN ('signed', 'approved')",
    )
    .bind(need_id)
    .bind(user.id)
    .fetch_one(&mut *tx)
    .await?;
    if active > 0 {
        return Err(StoreError::invalid("need", "already_claimed"));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO need_claims (need_id, member_id, pledge, status, claimed_at) \
         VALUES ($1, $2, $3, 'signed', $4) RETURNING id",
    )
    .bind(need_id)
    .bind(user.id)
    .bind(pledge.trim())
    .bind(now.stored())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Change::by(&by, "claim.signed", "need_claim", id.to_string())
            .states(None, Some(json!({ "need_id": need_id }))),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Where a claim is and who may touch it: its member, or the community.
async fn claim_state(
    pool: &Pool,
    id: i64,
) -> Result<(i64, String, ClaimStatus, i64, DateTime<Utc>)> {
    type Row = (
        i64,
        String,
        crate::db::Code<ClaimStatus>,
        i64,
        crate::db::Stamp,
    );
    let (member, path, status, minutes, claimed_at): Row =
        sqlx::query_as(
            "SELECT c.member_id, r.path, c.status, \
             (SELECT CAST(COALESCE(SUM(l.minutes), 0) AS BIGINT) FROM service_logs l WHERE l.claim_id = c.id), \
             c.claimed_at FROM need_claims c JOIN needs n ON n.id = c.need_id \
             JOIN regions r ON r.id = n.community_id WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((member, path, status.0, minutes, claimed_at.0))
}

/// Moves a claim card: the community approves, refuses or evaluates (with a
/// rating and a note); the member withdraws an unapproved card.
pub async fn act_on_claim(
    pool: &Pool,
    user: &UserRow,
    id: i64,
    action: ClaimAction,
    evaluation: Option<Rating>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<ClaimStatus> {
    let (member, path, from, minutes, _) = claim_state(pool, id).await?;
    if action.by_member() {
        access::permit(user, Permission::ServeCommunity)?;
        if member != user.id {
            return Err(StoreError::Forbidden);
        }
    } else if !path.starts_with(&managed_path(user)?) {
        return Err(StoreError::Forbidden);
    }
    let to = next_claim(from, action, minutes).map_err(|e| StoreError::Invalid(vec![e]))?;
    let evaluation = match action {
        ClaimAction::Evaluate => match evaluation {
            Some(r) if r != Rating::NotRated => Some(r),
            _ => return Err(StoreError::invalid("evaluation", "required")),
        },
        _ => None,
    };
    if note.chars().count() > domain::party::MAX_TEXT {
        return Err(StoreError::invalid("note", "too_long"));
    }
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "UPDATE need_claims SET status = $1, decided_at = CASE WHEN $2 THEN $3 ELSE decided_at END, \
         decided_by = CASE WHEN $2 THEN $4 ELSE decided_by END, \
         evaluation = COALESCE($5, evaluation), \
         evaluation_note = CASE WHEN $5 IS NULL THEN evaluation_note ELSE $6 END \
         WHERE id = $7 AND status = $8",
    )
    .bind(to.as_str())
    .bind(matches!(action, ClaimAction::Approve | ClaimAction::Refuse))
    .bind(now.stored())
    .bind(user.id)
    .bind(evaluation.map(|r| r.as_str()))
    .bind(note.trim())
    .bind(id)
    .bind(from.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict);
    }
    let action_name = format!("claim.{}", action.as_str());
    audit::record(
        &mut tx,
        Change::by(&by, &action_name, "need_claim", id.to_string()).states(
            Some(json!({ "status": from.as_str() })),
            Some(json!({ "status": to.as_str(), "evaluation": evaluation.map(|r| r.as_str()) })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// A member logs service against their approved card.
pub async fn log_service(
    pool: &Pool,
    user: &UserRow,
    id: i64,
    served_on: &str,
    hours: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    access::permit(user, Permission::ServeCommunity)?;
    let (member, _, status, _, claimed_at) = claim_state(pool, id).await?;
    if member != user.id {
        return Err(StoreError::Forbidden);
    }
    if !status.serving() {
        return Err(StoreError::invalid("claim", "not_serving"));
    }
    let china = domain::deadline::china();
    let entry = domain::party::service_entry(
        served_on,
        hours,
        note,
        claimed_at.with_timezone(&china).date_naive(),
        now.with_timezone(&china).date_naive(),
    )
    .map_err(StoreError::Invalid)?;
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    let log: i64 = sqlx::query_scalar(
        "INSERT INTO service_logs (claim_id, served_on, minutes, note, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(id)
    .bind(entry.served_on.stored())
    .bind(entry.minutes)
    .bind(&entry.note)
    .bind(now.stored())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Change::by(&by, "service.logged", "need_claim", id.to_string()).states(
            None,
            Some(json!({ "served_on": entry.served_on, "minutes": entry.minutes })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(log)
}

#[derive(sqlx::FromRow)]
struct FactRow {
    member_id: i64,
    member: String,
    unit_id: i64,
    unit: String,
    community_id: i64,
    need_id: i64,
    minutes: i64,
    #[sqlx(try_from = "crate::db::MaybeCode<Rating>")]
    evaluation: Option<Rating>,
}

/// The quarterly service report of the reader's area: every claim with
/// service logged within the quarter, by member and by work unit.
pub async fn report(pool: &Pool, user: &UserRow, quarter: Quarter) -> Result<ServiceReport> {
    let path = managed_path(user)?;
    let (start, end) = quarter.days();
    let rows: Vec<FactRow> = sqlx::query_as(
        "SELECT c.member_id, u.display_name AS member, w.id AS unit_id, w.name AS unit, \
         m.community_id, c.need_id, CAST(SUM(l.minutes) AS BIGINT) AS minutes, c.evaluation \
         FROM service_logs l JOIN need_claims c ON c.id = l.claim_id \
         JOIN needs n ON n.id = c.need_id JOIN regions r ON r.id = n.community_id \
         JOIN users u ON u.id = c.member_id JOIN party_members m ON m.user_id = c.member_id \
         JOIN work_units w ON w.id = m.work_unit_id \
         WHERE r.path LIKE $1 AND l.served_on >= $2 AND l.served_on < $3 \
         GROUP BY c.id, c.member_id, u.display_name, w.id, w.name, m.community_id, c.need_id, c.evaluation",
    )
    .bind(format!("{path}%"))
    .bind(start.stored())
    .bind(end.stored())
    .fetch_all(pool)
    .await?;
    let tree = reference::region_tree(pool).await?;
    let facts = rows
        .into_iter()
        .map(|r| ServiceFact {
            member_id: r.member_id,
            member: r.member,
            unit_id: r.unit_id,
            unit: r.unit,
            community: tree.label(r.community_id),
            need_id: r.need_id,
            minutes: r.minutes,
            evaluation: r.evaluation,
        })
        .collect();
    Ok(ServiceReport::build(quarter, facts))
}

/// The community a need-list form offers to a reader: their own, or every
/// community of their area.
pub async fn communities(pool: &Pool, user: &UserRow) -> Result<Vec<RegionOption>> {
    let path = managed_path(user)?;
    let tree = reference::region_tree(pool).await?;
    Ok(tree
        .within(&path)
        .filter(|n| n.level() == Some(RegionLevel::Community))
        .map(|n| RegionOption {
            id: n.id,
            label: tree.label(n.id),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::party::UnitForm;

    use crate::testing::user;

    async fn count(pool: &Pool, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(pool)
            .await
            .unwrap()
    }

    async fn scalar(pool: &Pool, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
    }

    fn form(unit: i64, home: i64) -> MemberForm {
        MemberForm {
            username: "wanghy".into(),
            password: "fudong-2026!".into(),
            display_name: "王海燕".into(),
            gender: "female".into(),
            birth_year: "1982".into(),
            phone: "13800001234".into(),
            home_id: home.to_string(),
            address: "3号楼 2单元".into(),
            work_unit_id: unit.to_string(),
            position: "医生".into(),
            joined_party: "2004-07-01".into(),
            skills: "健康讲座".into(),
        }
    }

    #[tokio::test]
    async fn a_member_registers_claims_serves_and_shows_in_the_quarter() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let director = user(&pool, "director").await;
        let yjz = director.region_id.unwrap();
        let unit = scalar(&pool, "SELECT MIN(id) FROM work_units").await;
        let home = scalar(
            &pool,
            "SELECT id FROM regions WHERE level = 'building' ORDER BY id LIMIT 1",
        )
        .await;

        // Bad forms write nothing and name every field.
        let users_before = count(&pool, "users").await;
        let bad = MemberForm {
            username: "member".into(),
            work_unit_id: "999".into(),
            ..form(unit, home)
        };
        let Err(StoreError::Invalid(errors)) = register_member(&pool, &bad, now).await else {
            panic!("a taken username and an unknown unit are refused");
        };
        let mut fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        fields.sort();
        assert_eq!(fields, ["username", "work_unit_id"]);
        assert_eq!(count(&pool, "users").await, users_before);

        // Registered: the account exists but cannot sign in until confirmed.
        let id = register_member(&pool, &form(unit, home), now)
            .await
            .unwrap();
        assert!(
            users::authenticate(&pool, "wanghy", "fudong-2026!")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            awaiting_confirmation(&pool, "wanghy", "fudong-2026!")
                .await
                .unwrap()
        );
        assert!(
            !awaiting_confirmation(&pool, "wanghy", "wrong-password")
                .await
                .unwrap()
        );
        let waiting = registrations(&pool, &director).await.unwrap();
        assert!(
            waiting
                .iter()
                .any(|r| r.member && r.id == id && r.status == RegStatus::Pending)
        );
        // Another community's director cannot confirm it; a grid worker cannot at all.
        assert!(matches!(
            decide_registration(
                &pool,
                &user(&pool, "grid").await,
                Registrant::Member,
                id,
                Decision::Confirm,
                now
            )
            .await,
            Err(StoreError::Forbidden)
        ));
        let receipt_no = decide_registration(
            &pool,
            &director,
            Registrant::Member,
            id,
            Decision::Confirm,
            now,
        )
        .await
        .unwrap()
        .unwrap();
        assert!(receipt_no.starts_with("HZ") && receipt_no.ends_with(&format!("D{id:06}")));
        assert!(matches!(
            decide_registration(
                &pool,
                &director,
                Registrant::Member,
                id,
                Decision::Confirm,
                now
            )
            .await,
            Err(StoreError::Invalid(_))
        ));
        let member = users::authenticate(&pool, "wanghy", "fudong-2026!")
            .await
            .unwrap()
            .expect("a confirmed member signs in");
        let printed = receipt(&pool, &member, true, id).await.unwrap();
        assert_eq!(printed.receipt_no, receipt_no);
        assert_eq!(printed.name, "王海燕");
        // Nobody else's receipt.
        let other = user(&pool, "member").await;
        assert!(matches!(
            receipt(&pool, &member, true, other.id).await,
            Err(StoreError::Forbidden)
        ));

        // The need list of their community; a claim card; one at a time.
        let mine = my_service(&pool, &member).await.unwrap();
        assert_eq!(mine.status, RegStatus::Confirmed);
        let need = mine
            .needs
            .iter()
            .find(|n| n.title == "急需增设办公和活动场所")
            .expect("the demo's need list")
            .id;
        assert!(matches!(
            claim(&pool, &member, need, " ", now).await,
            Err(StoreError::Invalid(_))
        ));
        let card = claim(&pool, &member, need, "协调单位闲置用房", now)
            .await
            .unwrap();
        assert!(matches!(
            claim(&pool, &member, need, "再认领一次", now).await,
            Err(StoreError::Invalid(e)) if e[0].message == "already_claimed"
        ));
        let today = now
            .with_timezone(&domain::deadline::china())
            .date_naive()
            .to_string();
        // Not approved yet: nothing can be logged.
        assert!(matches!(
            log_service(&pool, &member, card, &today, "2", "联系场地", now).await,
            Err(StoreError::Invalid(e)) if e[0].message == "not_serving"
        ));
        // Only the community approves; the member cannot approve their own card.
        assert!(matches!(
            act_on_claim(&pool, &member, card, ClaimAction::Approve, None, "", now).await,
            Err(StoreError::Forbidden)
        ));
        act_on_claim(&pool, &director, card, ClaimAction::Approve, None, "", now)
            .await
            .unwrap();
        let logs_before = count(&pool, "service_logs").await;
        assert!(matches!(
            log_service(&pool, &member, card, &today, "2.25", "联系场地", now).await,
            Err(StoreError::Invalid(e)) if e[0].field == "hours"
        ));
        assert!(matches!(
            log_service(&pool, &other, card, &today, "2", "冒名", now).await,
            Err(StoreError::Forbidden)
        ));
        assert_eq!(count(&pool, "service_logs").await, logs_before);
        log_service(
            &pool,
            &member,
            card,
            &today,
            "2",
            "联系单位闲置用房，现场查看",
            now,
        )
        .await
        .unwrap();
        let seen = needs(&pool, &director).await.unwrap();
        let served = seen.iter().find(|n| n.id == need).unwrap();
        assert_eq!(served.claims[0].minutes, 120);
        assert_eq!(served.claims[0].actions, [ClaimAction::Evaluate]);
        act_on_claim(
            &pool,
            &director,
            card,
            ClaimAction::Evaluate,
            Some(Rating::Satisfied),
            "场地问题有了着落",
            now,
        )
        .await
        .unwrap();

        // The quarter's report: the member with their two hours, their unit too.
        let quarter = Quarter::of(now.with_timezone(&domain::deadline::china()).date_naive());
        let report = report(&pool, &director, quarter).await.unwrap();
        let line = report
            .members
            .iter()
            .find(|m| m.member == "王海燕")
            .expect("the member is in the quarter");
        assert_eq!(
            (line.items, line.minutes, line.evaluations.satisfied),
            (1, 120, 1)
        );
        let unit_name: String = sqlx::query_scalar("SELECT name FROM work_units WHERE id = $1")
            .bind(unit)
            .fetch_one(&pool)
            .await
            .unwrap();
        let unit_line = report.units.iter().find(|u| u.unit == unit_name).unwrap();
        assert!(unit_line.minutes >= 120);
        // Last quarter holds none of it.
        let before = super::report(&pool, &director, quarter.previous())
            .await
            .unwrap();
        assert!(before.members.iter().all(|m| m.member != "王海燕"));
        // The headline counts the new member in the community.
        let h = headline(&pool, "/").await.unwrap();
        assert_eq!(h.members_registered, 3);
        assert_eq!(h.communities, 1);
        let _ = yjz;
    }

    #[tokio::test]
    async fn organisations_follow_the_tree_and_add_up() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let admin = user(&pool, "admin").await;
        let view = overview(&pool, &admin).await.unwrap();
        let (communities, compounds, buildings) = (
            scalar(
                &pool,
                "SELECT COUNT(*) FROM regions WHERE level = 'community'",
            )
            .await,
            scalar(
                &pool,
                "SELECT COUNT(*) FROM regions WHERE level = 'compound'",
            )
            .await,
            scalar(
                &pool,
                "SELECT COUNT(*) FROM regions WHERE level = 'building'",
            )
            .await,
        );
        let h = &view.headline;
        assert_eq!(
            (h.committees, h.branches, h.groups),
            (communities, compounds, buildings)
        );
        let retired = scalar(
            &pool,
            "SELECT COUNT(*) FROM party_orgs WHERE kind = 'branch' AND secretary_retired",
        )
        .await;
        assert_eq!(h.retired_secretaries, retired);
        // Depth-first: every organisation follows its parent, one level deeper.
        for (i, org) in view.orgs.iter().enumerate() {
            if let Some(p) = org.parent_id {
                let parent = view.orgs[..i]
                    .iter()
                    .find(|o| o.id == p)
                    .expect("parent first");
                assert_eq!(parent.depth + 1, org.depth);
            }
        }
        // The two confirmed demo members live in 袁家庄社区's first compound.
        let committee = view
            .orgs
            .iter()
            .find(|o| o.name == "袁家庄社区党委")
            .unwrap();
        assert_eq!(committee.registered, 2);
        // A director sees their own community's organisations only.
        let director = user(&pool, "director").await;
        let own = overview(&pool, &director).await.unwrap();
        assert!(own.orgs.len() < view.orgs.len());
        assert_eq!(own.orgs[0].name, "袁家庄社区党委");
        // A group cannot hang under a committee; a branch not outside its committee.
        let other_community = scalar(
            &pool,
            "SELECT id FROM regions WHERE level = 'compound' AND path NOT LIKE \
             (SELECT path || '%' FROM regions WHERE name = '袁家庄社区') ORDER BY id LIMIT 1",
        )
        .await;
        let orgs_before = count(&pool, "party_orgs").await;
        let bad = NewOrg {
            kind: OrgKind::Branch,
            name: "越界党支部".into(),
            region_id: other_community,
            parent_id: Some(committee.id),
            secretary: "某人".into(),
            secretary_retired: false,
            members: 3,
        };
        let Err(StoreError::Invalid(e)) = add_org(&pool, &admin, &bad, now).await else {
            panic!("outside its parent");
        };
        assert_eq!(e[0].message, "outside_parent");
        let Err(StoreError::Invalid(e)) = add_org(
            &pool,
            &admin,
            &NewOrg {
                kind: OrgKind::Group,
                ..bad
            },
            now,
        )
        .await
        else {
            panic!("wrong parent kind");
        };
        assert!(e.iter().any(|e| e.message == "wrong_parent_kind"));
        assert_eq!(count(&pool, "party_orgs").await, orgs_before);
        // A work unit registers once per community.
        let form = UnitForm {
            name: "吕梁市委办公室".into(),
            party_org: "机关党支部".into(),
            contact_name: "刘晓东".into(),
            contact_phone: "13500001001".into(),
            community_id: director.region_id.unwrap().to_string(),
            members: "42".into(),
        };
        assert!(matches!(
            register_unit(&pool, &form, now).await,
            Err(StoreError::Invalid(e)) if e[0].message == "already_registered"
        ));
    }
}
