//! Photos with a case: the rows that say whose they are, which case and
//! stage they belong to and who may see them. The pictures themselves are
//! the server's photo store's; it calls [`add`] once they are kept and
//! [`to_sweep`]/[`swept`] to delete what was removed.

use crate::access::{self, CaseFacts};
use crate::cases::load;
use crate::db::Stored;
use crate::events::{By, insert_event};
use crate::users::UserRow;
use crate::{Pool, Result, StoreError, audit};
use chrono::{DateTime, Utc};
use domain::photo::{PhotoInfo, PhotoStage};
use domain::{Permission, TrackingCode};

/// A picture kept in the photo store, to be recorded with its case.
#[derive(Debug, Clone)]
pub struct Kept {
    /// The store's name for it (`{object}` and `{object}.small`).
    pub object: String,
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
}

/// Who adds photos: the resident from their case page (their second
/// factor checked by the caller), or a member of staff.
#[derive(Clone, Copy)]
pub enum Uploader<'a> {
    Resident,
    Staff(&'a UserRow),
}

/// Why photos cannot be added, before any is decoded or kept: the caller
/// asks first, so a refused upload stores nothing.
pub async fn check(
    pool: &Pool,
    code: &TrackingCode,
    uploader: Uploader<'_>,
    stage: PhotoStage,
    files: usize,
) -> Result<()> {
    checked(pool, code, uploader, stage, files).await.map(drop)
}

async fn checked(
    pool: &Pool,
    code: &TrackingCode,
    uploader: Uploader<'_>,
    stage: PhotoStage,
    files: usize,
) -> Result<crate::cases::CaseRow> {
    let row = load(pool, code).await?;
    if let Uploader::Staff(user) = uploader {
        access::permit(user, Permission::AttachPhotos)?;
        if !access::can_view(user, &row.facts()) {
            return Err(StoreError::Forbidden);
        }
    }
    let held = held(pool, row.id).await?;
    domain::photo::may_add(
        matches!(uploader, Uploader::Resident),
        stage,
        row.state.status,
        held,
        files,
    )
    .map_err(|why| StoreError::invalid("photo", why.key()))?;
    Ok(row)
}

/// Photos a case holds now (inside a transaction: with its own uncommitted ones).
async fn held<'e>(
    conn: impl sqlx::Executor<'e, Database = sqlx::Any>,
    case_id: i64,
) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM photos WHERE case_id = $1 AND removed_at IS NULL")
            .bind(case_id)
            .fetch_one(conn)
            .await?,
    )
}

/// Records photos already kept, with one timeline entry for the upload;
/// the rules of [`check`] hold again inside the transaction (two uploads
/// at once cannot overfill a case). Returns their ids.
pub async fn add(
    pool: &Pool,
    code: &TrackingCode,
    uploader: Uploader<'_>,
    stage: PhotoStage,
    kept: &[Kept],
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let row = checked(pool, code, uploader, stage, kept.len()).await?;
    let (by, user_id, by_resident) = match uploader {
        Uploader::Resident => (By::resident(), None, true),
        Uploader::Staff(u) => (By::user(u), Some(u.id), false),
    };
    let mut tx = pool.begin().await?;
    // Holds the case's row until commit, so two uploads at once count each
    // other's photos (PostgreSQL would let both see the case below its bound).
    sqlx::query("UPDATE cases SET id = id WHERE id = $1")
        .bind(row.id)
        .execute(&mut *tx)
        .await?;
    let mut ids = Vec::with_capacity(kept.len());
    for k in kept {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO photos (case_id, stage, by_resident, user_id, object, width, height, bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(row.id)
        .bind(stage.as_str())
        .bind(i64::from(by_resident))
        .bind(user_id)
        .bind(&k.object)
        .bind(i64::from(k.width))
        .bind(i64::from(k.height))
        .bind(k.bytes as i64)
        .bind(now.stored())
        .fetch_one(&mut *tx)
        .await?;
        ids.push(id);
    }
    if held(&mut *tx, row.id).await? > domain::photo::PER_CASE {
        return Err(StoreError::invalid(
            "photo",
            domain::photo::Refusal::CaseFull.key(),
        ));
    }
    let payload = serde_json::json!({ "stage": stage.as_str(), "count": kept.len() }).to_string();
    insert_event(
        &mut tx,
        row.id,
        "photos_added",
        Some(row.state.status),
        row.state.status,
        &by,
        &payload,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(ids)
}

#[derive(sqlx::FromRow)]
struct PhotoRow {
    id: i64,
    #[sqlx(try_from = "crate::db::Code<PhotoStage>")]
    stage: PhotoStage,
    #[sqlx(try_from = "crate::db::Flag")]
    by_resident: bool,
    #[sqlx(try_from = "crate::db::Flag")]
    public: bool,
    width: i64,
    height: i64,
    #[sqlx(try_from = "crate::db::Stamp")]
    created_at: DateTime<Utc>,
}

impl From<PhotoRow> for PhotoInfo {
    fn from(r: PhotoRow) -> Self {
        Self {
            id: r.id,
            stage: r.stage,
            by_resident: r.by_resident,
            public: r.public,
            width: u32::try_from(r.width).unwrap_or(0),
            height: u32::try_from(r.height).unwrap_or(0),
            added_at: r.created_at,
        }
    }
}

/// A case's photos, oldest first (staff see them all; the resident's page
/// filters with [`PhotoInfo::shown_to_resident`]).
pub async fn of_case(pool: &Pool, case_id: i64) -> Result<Vec<PhotoInfo>> {
    let rows: Vec<PhotoRow> = sqlx::query_as(
        "SELECT id, stage, by_resident, public, width, height, created_at FROM photos \
         WHERE case_id = $1 AND removed_at IS NULL ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(PhotoInfo::from).collect())
}

/// One photo, with what deciding who may see it needs.
#[derive(Debug, Clone)]
pub struct Found {
    pub info: PhotoInfo,
    pub object: String,
    pub code: TrackingCode,
    pub facts: CaseFacts,
    case_id: i64,
    status: domain::Status,
}

#[derive(sqlx::FromRow)]
struct FoundRow {
    #[sqlx(flatten)]
    photo: PhotoRow,
    object: String,
    case_id: i64,
    code: String,
    #[sqlx(try_from = "crate::db::Code<domain::Status>")]
    status: domain::Status,
    region_path: String,
    unit_id: Option<i64>,
    station_id: Option<i64>,
}

/// A photo that has not been removed, by id.
pub async fn find(pool: &Pool, id: i64) -> Result<Found> {
    let row: FoundRow = sqlx::query_as(
        "SELECT p.id, p.stage, p.by_resident, p.public, p.width, p.height, p.created_at, p.object, \
         c.id AS case_id, c.code, c.status, r.path AS region_path, c.unit_id, c.station_id \
         FROM photos p JOIN cases c ON c.id = p.case_id JOIN regions r ON r.id = c.region_id \
         WHERE p.id = $1 AND p.removed_at IS NULL",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(Found {
        info: row.photo.into(),
        object: row.object,
        code: TrackingCode::parse(&row.code).map_err(|_| StoreError::NotFound)?,
        facts: CaseFacts {
            region_path: row.region_path,
            unit_id: row.unit_id,
            station_id: row.station_id,
        },
        case_id: row.case_id,
        status: row.status,
    })
}

/// Staff decide whether a photo shows on the resident's page (the
/// station's privacy check); recorded in the timeline and the audit trail.
pub async fn publish(
    pool: &Pool,
    user: &UserRow,
    code: &TrackingCode,
    id: i64,
    public: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    access::permit(user, Permission::PublishPhotos)?;
    let found = find(pool, id).await?;
    // The code names the case the page shows: a photo of another is not found.
    if found.code != *code {
        return Err(StoreError::NotFound);
    }
    if !access::can_view(user, &found.facts) {
        return Err(StoreError::Forbidden);
    }
    if found.info.public == public {
        return Ok(());
    }
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE photos SET public = $1 WHERE id = $2")
        .bind(i64::from(public))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let kind = if public {
        "photo_published"
    } else {
        "photo_hidden"
    };
    let payload = serde_json::json!({ "photo": id }).to_string();
    insert_event(
        &mut tx,
        found.case_id,
        kind,
        Some(found.status),
        found.status,
        &by,
        &payload,
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Change::by(&by, kind, "photo", id.to_string()).states(
            audit::json(&serde_json::json!({ "public": !public })),
            audit::json(&serde_json::json!({ "public": public, "case": code.as_str() })),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks the resident's photos of a case removed, inside anonymisation's
/// transaction: the pictures go with the contact data (the sweep deletes them).
pub(crate) async fn remove_residents(
    conn: &mut crate::db::Conn,
    case_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE photos SET removed_at = $1 WHERE case_id = $2 AND by_resident = 1 AND removed_at IS NULL",
    )
    .bind(now.stored())
    .bind(case_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removed photos whose pictures are still kept: (id, object), a batch.
pub async fn to_sweep(pool: &Pool, limit: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, object FROM photos WHERE removed_at IS NOT NULL AND object <> '' ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The pictures of a removed photo are deleted: nothing points at them.
pub async fn swept(pool: &Pool, id: i64) -> Result<()> {
    sqlx::query("UPDATE photos SET object = '' WHERE id = $1 AND removed_at IS NOT NULL")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Every kept picture, for `lianxin copy` and the backup: (id, object), a
/// page after `after`.
pub async fn kept_after(pool: &Pool, after: i64, limit: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, object FROM photos WHERE object <> '' AND id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestDb, user};

    fn kept(n: usize) -> Vec<Kept> {
        (0..n)
            .map(|i| Kept {
                object: format!("cases/test/{i}"),
                width: 1600,
                height: 1200,
                bytes: 200_000,
            })
            .collect()
    }

    async fn walk_in(pool: &Pool) -> TrackingCode {
        let receipt = crate::testing::walk_in(pool, false, Utc::now()).await;
        TrackingCode::parse(&receipt.code).unwrap()
    }

    #[tokio::test]
    async fn residents_add_report_photos_and_staff_decide_what_is_public() {
        let db = TestDb::demo().await;
        let pool = &db.pool;
        let code = walk_in(pool).await;
        let now = Utc::now();
        let mine = add(
            pool,
            &code,
            Uploader::Resident,
            PhotoStage::Report,
            &kept(2),
            now,
        )
        .await
        .unwrap();
        assert_eq!(mine.len(), 2);
        // A resident shows the problem, not the unit's work.
        let refused = add(
            pool,
            &code,
            Uploader::Resident,
            PhotoStage::After,
            &kept(1),
            now,
        )
        .await;
        assert!(
            matches!(refused, Err(StoreError::Invalid(_))),
            "{refused:?}"
        );

        let handler = user(pool, "director").await;
        let theirs = add(
            pool,
            &code,
            Uploader::Staff(&handler),
            PhotoStage::Before,
            &kept(1),
            now,
        )
        .await
        .unwrap();
        let row = load(pool, &code).await.unwrap();
        let photos = of_case(pool, row.id).await.unwrap();
        assert_eq!(photos.len(), 3);
        let shown: Vec<i64> = photos
            .iter()
            .filter(|p| p.shown_to_resident())
            .map(|p| p.id)
            .collect();
        assert_eq!(shown, mine, "the staff photo waits for the privacy check");

        publish(pool, &handler, &code, theirs[0], true, now)
            .await
            .unwrap();
        let photos = of_case(pool, row.id).await.unwrap();
        assert!(photos.iter().all(|p| p.shown_to_resident()));
        let kinds = crate::cases::event_kinds(pool, &code).await.unwrap();
        assert_eq!(
            kinds.iter().filter(|k| *k == "photos_added").count(),
            2,
            "one entry per upload: {kinds:?}"
        );
        assert!(kinds.contains(&"photo_published".to_string()));
        assert!(crate::audit::verify(pool).await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn staff_add_and_publish_only_in_their_area() {
        let db = TestDb::demo().await;
        let pool = &db.pool;
        let code = walk_in(pool).await;
        let now = Utc::now();
        // A party member works no cases; another station's deputy sees none of these.
        let member = user(pool, "member").await;
        assert!(matches!(
            check(pool, &code, Uploader::Staff(&member), PhotoStage::Report, 1).await,
            Err(StoreError::Forbidden)
        ));
        let director = user(pool, "director").await;
        let id = add(
            pool,
            &code,
            Uploader::Staff(&director),
            PhotoStage::Report,
            &kept(1),
            now,
        )
        .await
        .unwrap()[0];
        // Handlers attach photos but the privacy check is the station's.
        let handler = user(pool, "handler").await;
        assert!(matches!(
            publish(pool, &handler, &code, id, true, now).await,
            Err(StoreError::Forbidden)
        ));
        // A photo is published from its own case's page only.
        let other = walk_in(pool).await;
        assert!(matches!(
            publish(pool, &director, &other, id, true, now).await,
            Err(StoreError::NotFound)
        ));
    }

    #[tokio::test]
    async fn a_case_holds_a_bounded_number_of_photos() {
        let db = TestDb::demo().await;
        let pool = &db.pool;
        let code = walk_in(pool).await;
        let director = user(pool, "director").await;
        let now = Utc::now();
        let per = domain::photo::PER_UPLOAD;
        let mut held = 0;
        while held + per as i64 <= domain::photo::PER_CASE {
            add(
                pool,
                &code,
                Uploader::Staff(&director),
                PhotoStage::Progress,
                &kept(per),
                now,
            )
            .await
            .unwrap();
            held += per as i64;
        }
        let left = (domain::photo::PER_CASE - held) as usize;
        let over = add(
            pool,
            &code,
            Uploader::Staff(&director),
            PhotoStage::After,
            &kept(left + 1),
            now,
        )
        .await;
        assert!(matches!(over, Err(StoreError::Invalid(_))), "{over:?}");
        let too_many = check(
            pool,
            &code,
            Uploader::Staff(&director),
            PhotoStage::After,
            per + 1,
        )
        .await;
        assert!(matches!(too_many, Err(StoreError::Invalid(_))));
    }

    #[tokio::test]
    async fn anonymising_a_case_removes_the_residents_photos_and_the_sweep_forgets_them() {
        let db = TestDb::demo().await;
        let pool = &db.pool;
        let code = walk_in(pool).await;
        let now = Utc::now();
        add(
            pool,
            &code,
            Uploader::Resident,
            PhotoStage::Report,
            &kept(2),
            now,
        )
        .await
        .unwrap();
        let director = user(pool, "director").await;
        add(
            pool,
            &code,
            Uploader::Staff(&director),
            PhotoStage::After,
            &kept(1),
            now,
        )
        .await
        .unwrap();
        let row = load(pool, &code).await.unwrap();
        sqlx::query("UPDATE cases SET status = 'closed', closed_at = $1 WHERE id = $2")
            .bind((now - chrono::Duration::days(400)).stored())
            .bind(row.id)
            .execute(pool)
            .await
            .unwrap();
        crate::privacy::anonymise(pool, 365, now).await.unwrap();
        let left = of_case(pool, row.id).await.unwrap();
        assert_eq!(left.len(), 1, "the unit's evidence stays");
        assert!(!left[0].by_resident);
        let sweep = to_sweep(pool, 10).await.unwrap();
        assert_eq!(sweep.len(), 2);
        for (id, _) in &sweep {
            swept(pool, *id).await.unwrap();
        }
        assert!(to_sweep(pool, 10).await.unwrap().is_empty());
        assert!(matches!(
            find(pool, sweep[0].0).await,
            Err(StoreError::NotFound)
        ));
    }
}
