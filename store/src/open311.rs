//! Open311 GeoReport v2 storage: API keys, categories as services, requests
//! arriving through the API, and requests as the API publishes them.

use crate::cases::{self, CaseRow, SELECT_CASE};
use crate::db::{Stamp, Stored};
use crate::events::By;
use crate::{Pool, Result, StoreError, reference};
use chrono::{DateTime, Utc};
use domain::open311::{
    MAX_DISTANCE_M, MAX_RECORDS, PublishedRequest, Service, check_attributes, distance_m,
    looks_like_html, valid_position,
};
use domain::view::ApiKey;
use domain::{CheckpointStatus, NewCase, RegionLevel, Source, Status};
use rand::Rng;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

const MAX_KEY_NAME: usize = 60;
const MAX_EMAIL: usize = 254;
const MAX_URL: usize = 2000;
const MAX_ID: usize = 200;

fn random(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// Keys carry 190 bits of randomness, so a plain hash is as good as a slow one
/// and lets the key be found by its hash.
fn hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Who changes keys: an administrator, or the command line.
fn key_change<'a>(by: &'a By, action: &'a str, name: &str) -> crate::audit::Change<'a> {
    crate::audit::Change::by(by, action, "api_key", name)
}

/// Issues a key for the client `name` and returns it; only its hash is kept.
pub async fn create_key(pool: &Pool, by: &By, name: &str, now: DateTime<Utc>) -> Result<String> {
    let key = format!("lx_{}", random(32));
    create_key_with(pool, by, name, &key, now).await?;
    Ok(key)
}

/// Stores a key chosen by the caller (the demo's published key).
pub async fn create_key_with(
    pool: &Pool,
    by: &By,
    name: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::invalid("name", "required"));
    }
    if name.chars().count() > MAX_KEY_NAME {
        return Err(StoreError::invalid("name", "too_long"));
    }
    let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await?;
    if taken > 0 {
        return Err(StoreError::invalid("name", "taken"));
    }
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO api_keys (name, key_hash, created_at) VALUES ($1, $2, $3)")
        .bind(name)
        .bind(hash(key))
        .bind(now.stored())
        .execute(&mut *tx)
        .await
        .map_err(crate::unique("name", "taken"))?;
    crate::audit::record(&mut tx, key_change(by, "api_key.created", name), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes the key named `name`; revoking a revoked key changes nothing.
pub async fn revoke_key(pool: &Pool, by: &By, name: &str, now: DateTime<Utc>) -> Result<()> {
    let mut tx = pool.begin().await?;
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
            .bind(now.stored())
            .bind(name.trim())
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() == 1 {
        crate::audit::record(&mut tx, key_change(by, "api_key.revoked", name.trim()), now).await?;
    }
    tx.commit().await?;
    if done.rows_affected() == 0 {
        let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE name = $1")
            .bind(name.trim())
            .fetch_one(pool)
            .await?;
        if known == 0 {
            return Err(StoreError::NotFound);
        }
    }
    Ok(())
}

/// name, created, revoked, last used.
type KeyRow = (String, Stamp, Option<Stamp>, Option<Stamp>);

pub async fn keys(pool: &Pool) -> Result<Vec<ApiKey>> {
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT name, created_at, revoked_at, last_used_at FROM api_keys ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, created_at, revoked_at, last_used_at)| ApiKey {
            name,
            created_at: created_at.0,
            revoked_at: revoked_at.map(|s| s.0),
            last_used_at: last_used_at.map(|s| s.0),
        })
        .collect())
}

/// The id of the live key `key`, noting its use; None for unknown or revoked keys.
pub async fn key_id(pool: &Pool, key: &str, now: DateTime<Utc>) -> Result<Option<i64>> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
            .bind(hash(key.trim()))
            .fetch_optional(pool)
            .await?;
    if let Some(id) = id {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now.stored())
            .bind(id)
            .execute(pool)
            .await?;
    }
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct ServiceRow {
    id: i64,
    code: String,
    name_zh: String,
    name_en: String,
    unit: Option<String>,
}

const SELECT_SERVICE: &str = "SELECT c.id, c.code, c.name_zh, c.name_en, u.name AS unit \
     FROM categories c LEFT JOIN units u ON u.id = c.default_unit_id";

async fn service_of(pool: &Pool, row: ServiceRow) -> Result<Service> {
    Ok(Service {
        description: format!("{}（{}）", row.name_zh, row.name_en),
        keywords: format!("{},{}", row.name_zh, row.name_en.to_lowercase()),
        // Grouped by the unit that handles the category unless a station decides otherwise.
        group: row.unit.unwrap_or_default(),
        attributes: reference::attributes(pool, row.id).await?,
        code: row.code,
        name: row.name_zh,
    })
}

/// Every category as a service, with its attributes.
pub async fn services(pool: &Pool) -> Result<Vec<Service>> {
    let rows: Vec<ServiceRow> = sqlx::query_as(&format!("{SELECT_SERVICE} ORDER BY c.id"))
        .fetch_all(pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(service_of(pool, row).await?);
    }
    Ok(out)
}

pub async fn service(pool: &Pool, code: &str) -> Result<Option<Service>> {
    let row: Option<ServiceRow> = sqlx::query_as(&format!("{SELECT_SERVICE} WHERE c.code = $1"))
        .bind(code)
        .fetch_optional(pool)
        .await?;
    match row {
        Some(row) => Ok(Some(service_of(pool, row).await?)),
        None => Ok(None),
    }
}

/// A `POST requests` as the client sent it (already split into fields).
#[derive(Debug, Clone, Default)]
pub struct Submission {
    pub service_code: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub description: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub email: String,
    pub device_id: String,
    pub account_id: String,
    pub media_url: String,
    /// `attribute[code]` pairs, in the order sent.
    pub attributes: Vec<(String, String)>,
}

/// What the client gets back: the request's public id and token, and the
/// tracking code and PIN with which the resident follows it on `/track`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub id: i64,
    pub token: String,
    pub code: String,
    pub pin: String,
}

/// Where a request belongs: `address_id` names a node of the region tree
/// (a community or below); coordinates find the nearest compound within
/// 1.5 km; `address_string` names a compound ("滨河小区3号楼" finds 滨河小区).
async fn locate(pool: &Pool, tree: &reference::RegionTree, s: &Submission) -> Result<i64> {
    if let Some(raw) = s.address_id.as_deref().filter(|a| !a.trim().is_empty()) {
        let id: i64 = raw
            .trim()
            .parse()
            .map_err(|_| StoreError::invalid("address_id", "invalid"))?;
        let node = tree
            .get(id)
            .ok_or_else(|| StoreError::invalid("address_id", "unknown"))?;
        if node.level().is_none_or(|l| l < RegionLevel::Community) {
            return Err(StoreError::invalid("address_id", "too_coarse"));
        }
        return Ok(id);
    }
    let address = s
        .address_string
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    match (s.lat, s.long) {
        (Some(lat), Some(long)) => {
            if !valid_position(lat, long) {
                return Err(StoreError::invalid("lat", "invalid"));
            }
            let nearest = reference::placed_compounds(pool)
                .await?
                .into_iter()
                .filter(|(id, ..)| tree.get(*id).is_some())
                .map(|(id, clat, clon)| (id, distance_m((lat, long), (clat, clon))))
                .filter(|(_, d)| *d <= MAX_DISTANCE_M)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            match (nearest, address) {
                (Some((id, _)), _) => return Ok(id),
                (None, None) => return Err(StoreError::invalid("lat", "outside")),
                (None, Some(_)) => {}
            }
        }
        (Some(_), None) => return Err(StoreError::invalid("long", "required")),
        (None, Some(_)) => return Err(StoreError::invalid("lat", "required")),
        (None, None) => {}
    }
    let Some(address) = address else {
        return Err(StoreError::invalid("location", "required"));
    };
    let compounds: Vec<&reference::RegionRow> = tree
        .within("")
        .filter(|n| n.level() == Some(RegionLevel::Compound) && address.contains(n.name.as_str()))
        .collect();
    let longest = compounds.iter().map(|n| n.name.chars().count()).max();
    let best: Vec<&&reference::RegionRow> = compounds
        .iter()
        .filter(|n| Some(n.name.chars().count()) == longest)
        .collect();
    match best.as_slice() {
        [one] => Ok(one.id),
        [] => Err(StoreError::invalid("address_string", "unknown")),
        _ => Err(StoreError::invalid("address_string", "ambiguous")),
    }
}

/// Chinese names run family name first, without a space.
fn full_name(first: &str, last: &str) -> String {
    let (first, last) = (first.trim(), last.trim());
    if first
        .chars()
        .chain(last.chars())
        .any(|c| c.is_ascii_alphabetic())
    {
        format!("{first} {last}").trim().to_string()
    } else {
        format!("{last}{first}")
    }
}

fn check_contact(s: &Submission) -> Result<()> {
    let email = s.email.trim();
    if !email.is_empty()
        && (email.len() > MAX_EMAIL || !email.contains('@') || email.contains(char::is_whitespace))
    {
        return Err(StoreError::invalid("email", "invalid"));
    }
    let url = s.media_url.trim();
    if !url.is_empty()
        && (url.len() > MAX_URL || !(url.starts_with("https://") || url.starts_with("http://")))
    {
        return Err(StoreError::invalid("media_url", "invalid"));
    }
    for (field, value) in [("device_id", &s.device_id), ("account_id", &s.account_id)] {
        if value.chars().count() > MAX_ID {
            return Err(StoreError::invalid(field, "too_long"));
        }
    }
    Ok(())
}

/// Registers a request that came through the API with key `key_id`. Contact
/// details are kept with the case, never published.
pub async fn submit(
    pool: &Pool,
    key_id: i64,
    s: &Submission,
    now: DateTime<Utc>,
) -> Result<Submitted> {
    let code = s.service_code.trim();
    if code.is_empty() {
        return Err(StoreError::invalid("service_code", "required"));
    }
    let service = service(pool, code)
        .await?
        .ok_or_else(|| StoreError::invalid("service_code", "unknown"))?;
    if looks_like_html(&s.description) {
        return Err(StoreError::invalid("description", "html"));
    }
    let attributes = check_attributes(&service.attributes, &s.attributes)
        .map_err(|message| StoreError::invalid("attribute", &message))?;
    check_contact(s)?;
    let tree = reference::region_tree(pool).await?;
    let region_id = locate(pool, &tree, s).await?;
    let category_id: i64 = sqlx::query_scalar("SELECT id FROM categories WHERE code = $1")
        .bind(code)
        .fetch_one(pool)
        .await?;
    let new = NewCase {
        title: NewCase::title_from(&s.description),
        description: s.description.clone(),
        category_id,
        region_id,
        station_id: None,
        source: Source::Open311,
        resident_name: full_name(&s.first_name, &s.last_name),
        resident_phone: s.phone.clone(),
        resident_email: String::new(),
        notify: false,
    };
    // The case and its request row commit together: a failure between the
    // two must not leave a case the client was never told about.
    let (tracking, pin) = cases::new_code();
    let mut tx = pool.begin().await?;
    let (id, _) = cases::create_in(pool, &mut tx, &new, None, None, now, &tracking, &pin).await?;
    let token = random(24);
    sqlx::query(
        "INSERT INTO open311_requests (case_id, token, api_key_id, email, device_id, account_id, media_url, \
         lat, lon, attributes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, \
         CAST($8 AS DOUBLE PRECISION), CAST($9 AS DOUBLE PRECISION), $10, $11)",
    )
    .bind(id)
    .bind(&token)
    .bind(key_id)
    .bind(s.email.trim())
    .bind(s.device_id.trim())
    .bind(s.account_id.trim())
    .bind(s.media_url.trim())
    .bind(crate::db::real(s.lat))
    .bind(crate::db::real(s.long))
    .bind(serde_json::to_string(&attributes).unwrap_or_else(|_| "{}".into()))
    .bind(now.stored())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Submitted {
        id,
        token,
        code: tracking.to_string(),
        pin,
    })
}

/// The request a token stands for.
pub async fn by_token(pool: &Pool, token: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT case_id FROM open311_requests WHERE token = $1")
            .bind(token)
            .fetch_optional(pool)
            .await?,
    )
}

/// What `GET requests` asks for.
#[derive(Debug, Clone)]
pub enum Search {
    /// `service_request_id=…`: these requests, whatever the other parameters say.
    Ids(Vec<i64>),
    Filter {
        service_codes: Vec<String>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        open: bool,
        closed: bool,
    },
}

/// Requests as Open311 publishes them, newest first, at most 1,000.
pub async fn search(
    pool: &Pool,
    search: &Search,
    now: DateTime<Utc>,
) -> Result<Vec<PublishedRequest>> {
    let mut qb: crate::db::Builder = crate::db::Builder::new(SELECT_CASE);
    qb.push(" WHERE 1 = 1");
    match search {
        Search::Ids(ids) => {
            if ids.is_empty() {
                return Ok(vec![]);
            }
            crate::push_in(&mut qb, "c.id", ids.iter().copied());
        }
        Search::Filter {
            service_codes,
            from,
            to,
            open,
            closed,
        } => {
            qb.push(" AND c.created_at >= ")
                .push_bind((*from).stored())
                .push(" AND c.created_at <= ")
                .push_bind((*to).stored());
            if !service_codes.is_empty() {
                crate::push_in(&mut qb, "cat.code", service_codes.iter().cloned());
            }
            if open != closed {
                let closed = *closed;
                let statuses = Status::ALL
                    .into_iter()
                    .filter(move |s| (s.step() == domain::Step::Closed) == closed);
                crate::push_in(&mut qb, "c.status", statuses.map(|s| s.as_str()));
            }
        }
    }
    qb.push(" ORDER BY c.created_at DESC, c.id DESC LIMIT ")
        .push_bind(MAX_RECORDS as i64);
    let rows: Vec<CaseRow> = qb.build_query_as()?.fetch_all(pool).await?;
    let policy = reference::policy(pool).await?;
    let tree = reference::region_tree(pool).await?;
    // Six decimals (about 10 cm) are all a compound's position means.
    let round = |x: f64| (x * 1e6).round() / 1e6;
    let positions: HashMap<i64, (f64, f64)> = reference::placed_compounds(pool)
        .await?
        .into_iter()
        .map(|(id, lat, lon)| (id, (round(lat), round(lon))))
        .collect();
    Ok(rows
        .iter()
        .map(|row| {
            let state = row.state();
            let expected = domain::deadline::headline(&policy.checkpoints(&state, now))
                .filter(|d| {
                    matches!(
                        d.status,
                        CheckpointStatus::OnTrack
                            | CheckpointStatus::DueSoon
                            | CheckpointStatus::Overdue
                    )
                })
                .map(|d| d.due);
            let place = tree.public_node(row.region_id);
            let position = place.and_then(|p| positions.get(&p.id));
            PublishedRequest {
                id: row.id,
                status: state.status,
                service_code: row.category_code.clone(),
                service_name: row.category.clone(),
                // Only what a resident published themselves is republished:
                // a walk-in's or a session's words stay with the staff.
                description: if row.source.published_by_resident() {
                    // Cases stored before control characters were refused
                    // must not break the XML feed either.
                    domain::intake::clean_text(&domain::mask::redact(
                        &row.description,
                        &[&row.resident_name],
                    ))
                } else {
                    String::new()
                },
                agency_responsible: row.unit.clone(),
                requested: row.created_at,
                updated: row.updated_at,
                expected,
                address: tree.public_place(row.region_id),
                address_id: place.map(|p| p.id),
                lat: position.map(|p| p.0),
                long: position.map(|p| p.1),
            }
        })
        .collect())
}

/// One published request.
pub async fn published(pool: &Pool, id: i64, now: DateTime<Utc>) -> Result<PublishedRequest> {
    search(pool, &Search::Ids(vec![id]), now)
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// A request's timeline for the public API: what happened and when, without
/// who or any note. None for an unknown request.
pub async fn timeline(
    pool: &Pool,
    id: i64,
) -> Result<Option<Vec<(String, Status, DateTime<Utc>)>>> {
    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await?;
    if known == 0 {
        return Ok(None);
    }
    let rows: Vec<(String, crate::db::Code<Status>, Stamp)> = sqlx::query_as(
        "SELECT kind, to_status, at FROM case_events WHERE case_id = $1 ORDER BY at, id",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(Some(
        rows.into_iter()
            .map(|(kind, status, at)| (kind, status.0, at.0))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    /// On `TestDb::demo`: the demo's first compound.
    async fn demo(pool: &Pool) -> i64 {
        key_id(pool, crate::demo::DEMO_API_KEY, Utc::now())
            .await
            .unwrap()
            .expect("the demo key works")
    }

    fn lamp(location: impl FnOnce(&mut Submission)) -> Submission {
        let mut s = Submission {
            service_code: "lighting".into(),
            description: "路灯不亮。我是王丽华，电话13812345678".into(),
            first_name: "丽华".into(),
            last_name: "王".into(),
            phone: "13812345678".into(),
            email: "wang@example.cn".into(),
            ..Default::default()
        };
        location(&mut s);
        s
    }

    #[tokio::test]
    async fn a_request_whose_row_cannot_be_written_leaves_no_case_behind() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        demo(&pool).await;
        let count = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cases")
                .fetch_one(&pool)
                .await
                .unwrap()
        };
        let before = count().await;
        // A key that is gone by the time the request row is written.
        let s = lamp(|s| s.address_string = Some("滨河小区".into()));
        assert!(submit(&pool, 999_999, &s, Utc::now()).await.is_err());
        assert_eq!(count().await, before, "a case without its request row");
    }

    #[tokio::test]
    async fn only_what_residents_published_is_republished_and_without_control_characters() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let key = demo(&pool).await;
        let now = Utc::now();
        // A walk-in, a grid visit, a session: staff wrote those down.
        let kept: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, source FROM cases WHERE source NOT IN ('online', 'open311') ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(!kept.is_empty());
        for (id, source) in &kept {
            let r = published(&pool, *id, now).await.unwrap();
            assert_eq!(r.description, "", "{source} case {id} republished");
            assert!(!r.address.is_empty() && !r.service_code.is_empty());
        }
        // What a resident sent through an app is, redacted and clean.
        let mut s = lamp(|s| s.address_string = Some("滨河小区".into()));
        s.description = "路灯不亮\u{1b}\u{0}，电话１３８１２３４５６７８".into();
        let id = submit(&pool, key, &s, now).await.unwrap().id;
        let r = published(&pool, id, now).await.unwrap();
        assert_eq!(r.description, "路灯不亮，电话***");
    }

    fn field(err: StoreError) -> String {
        match err {
            StoreError::Invalid(errors) => format!("{}:{}", errors[0].field, errors[0].message),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn keys_are_shown_once_kept_hashed_and_revocable() {
        let db = crate::testing::TestDb::new().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let key = create_key(&pool, &By::named("test"), "市12345热线", now)
            .await
            .unwrap();
        assert!(key.starts_with("lx_") && key.len() == 35);
        let stored: String =
            sqlx::query_scalar("SELECT key_hash FROM api_keys WHERE name = '市12345热线'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert!(!stored.contains(&key[3..]));
        assert!(key_id(&pool, &key, now).await.unwrap().is_some());
        assert_eq!(
            field(
                create_key(&pool, &By::named("test"), "市12345热线", now)
                    .await
                    .unwrap_err()
            ),
            "name:taken"
        );
        assert_eq!(
            field(
                create_key(&pool, &By::named("test"), " ", now)
                    .await
                    .unwrap_err()
            ),
            "name:required"
        );
        revoke_key(&pool, &By::named("test"), "市12345热线", now)
            .await
            .unwrap();
        revoke_key(&pool, &By::named("test"), "市12345热线", now)
            .await
            .unwrap();
        assert!(key_id(&pool, &key, now).await.unwrap().is_none());
        assert!(matches!(
            revoke_key(&pool, &By::named("test"), "nobody", now).await,
            Err(StoreError::NotFound)
        ));
        let listed = keys(&pool).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].revoked_at.is_some() && listed[0].last_used_at.is_some());
    }

    #[tokio::test]
    async fn requests_find_their_place_by_id_name_or_coordinates() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let key = demo(&pool).await;
        let now = Utc::now();
        let tree = reference::region_tree(&pool).await.unwrap();
        let compound = tree
            .within("")
            .find(|n| n.level() == Some(RegionLevel::Compound))
            .unwrap()
            .clone();
        let building = tree
            .within(&compound.path)
            .find(|n| n.level() == Some(RegionLevel::Building))
            .unwrap()
            .clone();
        let (lat, lon) = reference::position(&pool, compound.id)
            .await
            .unwrap()
            .unwrap();
        let round = |x: f64| (x * 1e6).round() / 1e6;

        let by_id = submit(
            &pool,
            key,
            &lamp(|s| s.address_id = Some(building.id.to_string())),
            now,
        )
        .await
        .unwrap();
        let by_name = submit(
            &pool,
            key,
            &lamp(|s| s.address_string = Some(format!("{}2号楼东侧", compound.name))),
            now,
        )
        .await
        .unwrap();
        let by_position = submit(
            &pool,
            key,
            &lamp(|s| (s.lat, s.long) = (Some(lat + 0.0005), Some(lon))),
            now,
        )
        .await
        .unwrap();
        for done in [&by_id, &by_name, &by_position] {
            let published = published(&pool, done.id, now).await.unwrap();
            // Published at the compound, never the building, with the compound's position.
            assert_eq!(published.address_id, Some(compound.id));
            assert_eq!(
                (published.lat, published.long),
                (Some(round(lat)), Some(round(lon)))
            );
            assert_eq!(published.service_code, "lighting");
            assert_eq!(published.status, Status::Registered);
            assert!(!published.description.contains("王丽华"));
            assert!(!published.description.contains("13812345678"));
            assert_eq!(by_token(&pool, &done.token).await.unwrap(), Some(done.id));
        }
        let stored: (String, String, String) = sqlx::query_as(
            "SELECT c.resident_name, c.source, o.email FROM cases c JOIN open311_requests o ON o.case_id = c.id WHERE c.id = $1",
        )
        .bind(by_id.id)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            stored,
            ("王丽华".into(), "open311".into(), "wang@example.cn".into())
        );

        let bad = |f: fn(&mut Submission)| {
            let pool = pool.clone();
            async move { field(submit(&pool, key, &lamp(f), now).await.unwrap_err()) }
        };
        assert_eq!(bad(|_| {}).await, "location:required");
        assert_eq!(
            bad(|s| s.address_id = Some("x".into())).await,
            "address_id:invalid"
        );
        assert_eq!(
            bad(|s| s.address_id = Some("999999".into())).await,
            "address_id:unknown"
        );
        assert_eq!(
            bad(|s| s.address_string = Some("火星小区".into())).await,
            "address_string:unknown"
        );
        assert_eq!(
            bad(|s| (s.lat, s.long) = (Some(0.0), Some(0.0))).await,
            "lat:outside"
        );
        assert_eq!(bad(|s| s.lat = Some(37.5)).await, "long:required");
        assert_eq!(
            bad(|s| (s.lat, s.long) = (Some(95.0), Some(0.0))).await,
            "lat:invalid"
        );
        assert_eq!(
            bad(|s| {
                s.address_id = Some("1".into());
            })
            .await,
            "address_id:too_coarse"
        );
        assert_eq!(
            bad(|s| {
                s.address_string = Some("x".into());
                s.service_code = "teleport".into();
            })
            .await,
            "service_code:unknown"
        );
        assert_eq!(
            bad(|s| {
                s.address_string = Some("x".into());
                s.description = "<script>alert(1)</script>".into();
            })
            .await,
            "description:html"
        );
        assert_eq!(
            bad(|s| {
                s.address_string = Some("x".into());
                s.email = "not an address".into();
            })
            .await,
            "email:invalid"
        );
    }

    #[tokio::test]
    async fn attributes_are_required_where_the_service_says() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let key = demo(&pool).await;
        let now = Utc::now();
        let water = service(&pool, "water").await.unwrap().unwrap();
        assert_eq!(water.attributes[0].code, "supply");
        let tree = reference::region_tree(&pool).await.unwrap();
        let compound = tree
            .within("")
            .find(|n| n.level() == Some(RegionLevel::Compound))
            .unwrap()
            .name
            .clone();
        let mut s = lamp(|s| s.address_string = Some(compound));
        s.service_code = "water".into();
        assert_eq!(
            field(submit(&pool, key, &s, now).await.unwrap_err()),
            "attribute:attribute[supply] is required"
        );
        s.attributes = vec![("supply".into(), "hot".into())];
        let done = submit(&pool, key, &s, now).await.unwrap();
        let stored: String =
            sqlx::query_scalar("SELECT attributes FROM open311_requests WHERE case_id = $1")
                .bind(done.id)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(stored, r#"{"supply":["hot"]}"#);
    }

    #[tokio::test]
    async fn searches_filter_by_service_window_and_status() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        demo(&pool).await;
        let now = Utc::now();
        let all = search(
            &pool,
            &Search::Filter {
                service_codes: vec![],
                from: now - Duration::days(90),
                to: now,
                open: true,
                closed: true,
            },
            now,
        )
        .await
        .unwrap();
        assert!(!all.is_empty());
        assert!(all.windows(2).all(|w| w[0].requested >= w[1].requested));
        let (requested_in_window, _): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), 0 FROM cases WHERE created_at >= $1")
                .bind((now - Duration::days(90)).stored())
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(all.len() as i64, requested_in_window);
        let closed_roads = search(
            &pool,
            &Search::Filter {
                service_codes: vec!["road".into()],
                from: now - Duration::days(90),
                to: now,
                open: false,
                closed: true,
            },
            now,
        )
        .await
        .unwrap();
        assert!(!closed_roads.is_empty());
        assert!(
            closed_roads
                .iter()
                .all(|r| r.service_code == "road" && r.is_closed())
        );
        assert_eq!(
            closed_roads.len(),
            all.iter()
                .filter(|r| r.service_code == "road" && r.is_closed())
                .count()
        );
        let picked = search(&pool, &Search::Ids(vec![all[0].id, all[1].id, -1]), now)
            .await
            .unwrap();
        assert_eq!(picked.len(), 2);
        // Nobody's data: no demo resident's name or phone anywhere.
        let residents: Vec<(String, String)> =
            sqlx::query_as("SELECT resident_name, resident_phone FROM cases")
                .fetch_all(&pool)
                .await
                .unwrap();
        let text = serde_json::to_string(&all).unwrap();
        for (name, phone) in residents {
            assert!(
                !text.contains(&name) && !text.contains(&phone),
                "{name} {phone}"
            );
        }
    }
}
