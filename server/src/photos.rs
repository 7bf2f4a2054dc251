//! Photos with a case (照片): uploads from the resident's case page and
//! from staff, pictures made safe to keep, a store for them, and serving
//! them to whoever may see them.
//!
//! A phone photo carries its location in EXIF and is often stored on its
//! side with an orientation tag. Every upload is decoded (within bounds: a
//! small file can claim a huge canvas), turned upright, shrunk and written
//! again as a plain JPEG, so no metadata survives, and only those copies
//! are kept. The original bytes never reach the store or the disk.

use app::api::ssr::Staff;
use app::state::AppState;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::photo::{self, PhotoStage};
use domain::{Permission, TrackingCode};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::sync::Arc;
use store::photos::{Kept, Uploader};
use tower_sessions::Session;

/// Where the pictures are kept: a folder on this machine (one instance),
/// or an S3-compatible bucket that every instance reaches.
#[derive(Clone, Debug)]
pub struct PhotoStore {
    store: Arc<dyn ObjectStore>,
}

impl PhotoStore {
    /// `s3://bucket/prefix` (credentials and endpoint from the usual
    /// `AWS_*` variables, e.g. `AWS_ENDPOINT` for Alibaba OSS or MinIO), or a
    /// folder, created if missing.
    pub fn open(setting: &str) -> Result<Self, String> {
        let store: Arc<dyn ObjectStore> = if setting.starts_with("s3://") {
            // reqwest's TLS is rustls without a built-in provider: ring, as for ureq.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let bucket = object_store::aws::AmazonS3Builder::from_env()
                .with_url(setting)
                .build()
                .map_err(|e| format!("photo store {setting}: {e}"))?;
            match setting.trim_start_matches("s3://").split_once('/') {
                Some((_, prefix)) if !prefix.trim_matches('/').is_empty() => Arc::new(
                    object_store::prefix::PrefixStore::new(bucket, prefix.trim_matches('/')),
                ),
                _ => Arc::new(bucket),
            }
        } else {
            let dir = setting.strip_prefix("file://").unwrap_or(setting);
            std::fs::create_dir_all(dir).map_err(|e| format!("photo folder {dir}: {e}"))?;
            Arc::new(
                object_store::local::LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| format!("photo folder {dir}: {e}"))?,
            )
        };
        Ok(Self { store })
    }

    /// The folder beside an SQLite database (`data/lianxin.db` keeps its
    /// photos in `data/lianxin-photos`), or `photos` for PostgreSQL.
    pub fn default_for(database: &str) -> String {
        let file = database
            .strip_prefix("sqlite://")
            .or_else(|| database.strip_prefix("sqlite:"))
            .map(|f| f.split('?').next().unwrap_or(f))
            .filter(|f| !f.is_empty() && !f.contains(":memory:"));
        match file {
            Some(f) => {
                let path = std::path::Path::new(f);
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("lianxin");
                path.with_file_name(format!("{stem}-photos"))
                    .to_string_lossy()
                    .into_owned()
            }
            None => "photos".into(),
        }
    }

    async fn put(&self, name: &str, bytes: Vec<u8>) -> object_store::Result<()> {
        self.store
            .put(&ObjectPath::from(name), PutPayload::from(bytes))
            .await
            .map(drop)
    }

    pub async fn get(&self, name: &str) -> object_store::Result<bytes::Bytes> {
        self.store.get(&ObjectPath::from(name)).await?.bytes().await
    }

    /// Deletes a photo's pictures; one already gone is no error (a sweep
    /// that crashed half-way tries again).
    pub async fn delete(&self, object: &str) -> object_store::Result<()> {
        for name in [object.to_string(), small(object)] {
            match self.store.delete(&ObjectPath::from(name)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Copies one photo's pictures to `to` (`lianxin copy`, backups).
    pub async fn copy_to(&self, to: &PhotoStore, object: &str) -> object_store::Result<()> {
        for name in [object.to_string(), small(object)] {
            let bytes = self.get(&name).await?;
            to.put(&name, bytes.to_vec()).await?;
        }
        Ok(())
    }
}

/// The thumbnail's name beside the photo's.
fn small(object: &str) -> String {
    format!("{object}.small")
}

/// A photo made safe to keep: upright, shrunk, JPEG without metadata.
#[derive(Debug)]
pub struct Prepared {
    pub full: Vec<u8>,
    pub small: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Why an upload is not a photo we keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// Not a JPEG, PNG or WebP picture (by its bytes, whatever it is called).
    Type,
    /// Larger than `photo::MAX_FILE_BYTES`, or a canvas beyond `photo::MAX_EDGE`.
    Size,
    /// It says it is a picture but does not decode.
    Damaged,
}

impl Unusable {
    fn key(self) -> &'static str {
        match self {
            Self::Type => "not_a_photo",
            Self::Size => "photo_too_large",
            Self::Damaged => "photo_damaged",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::Type => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Size => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Damaged => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// Decodes, turns upright by the EXIF orientation, shrinks to
/// `photo::FULL_EDGE` and `photo::THUMB_EDGE`, and encodes both again.
/// CPU work: run it off the async workers.
pub fn prepare(bytes: &[u8]) -> Result<Prepared, Unusable> {
    use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
    if bytes.len() > photo::MAX_FILE_BYTES {
        return Err(Unusable::Size);
    }
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| Unusable::Damaged)?;
    if !matches!(
        reader.format(),
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)
    ) {
        return Err(Unusable::Type);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(photo::MAX_EDGE);
    limits.max_image_height = Some(photo::MAX_EDGE);
    // A 50-megapixel phone picture decodes to 150 MB of RGB.
    limits.max_alloc = Some(320 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(too_large_or_damaged)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(too_large_or_damaged)?;
    picture.apply_orientation(orientation);
    let (width, height) = photo::fit(picture.width(), picture.height(), photo::FULL_EDGE);
    let full = picture.resize_exact(width, height, image::imageops::FilterType::Triangle);
    let (w, h) = photo::fit(width, height, photo::THUMB_EDGE);
    let thumb = full.thumbnail_exact(w, h);
    Ok(Prepared {
        full: jpeg(&full, 82)?,
        small: jpeg(&thumb, 75)?,
        width,
        height,
    })
}

fn too_large_or_damaged(e: image::ImageError) -> Unusable {
    match e {
        image::ImageError::Limits(_) => Unusable::Size,
        image::ImageError::Unsupported(_) => Unusable::Type,
        _ => Unusable::Damaged,
    }
}

/// A plain baseline JPEG: the encoder writes no EXIF, XMP or ICC of its own.
fn jpeg(picture: &image::DynamicImage, quality: u8) -> Result<Vec<u8>, Unusable> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&picture.to_rgb8())
        .map_err(|_| Unusable::Damaged)?;
    Ok(out)
}

/// Pictures prepared at once: each holds a decoded photo (up to hundreds
/// of MB) and a core; more would only queue for the cores and take memory.
fn preparing() -> &'static tokio::sync::Semaphore {
    static PREPARING: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PREPARING.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    })
}

async fn prepare_off_the_workers(bytes: bytes::Bytes) -> Result<Prepared, Unusable> {
    let _permit = preparing().acquire().await.map_err(|_| Unusable::Damaged)?;
    tokio::task::spawn_blocking(move || prepare(&bytes))
        .await
        .unwrap_or(Err(Unusable::Damaged))
}

/// The largest upload body: a full set of the largest files, and the form.
pub const MAX_UPLOAD_BYTES: usize = photo::PER_UPLOAD * photo::MAX_FILE_BYTES + 64 * 1024;

/// The upload routes (with their own body limit, above the site's) and the
/// pictures.
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route("/cases/{code}/photos", post(staff_upload))
        .route("/track/{code}/photos", post(resident_upload))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/photos/{id}", get(full_picture))
        .route("/photos/{id}/small", get(small_picture))
}

/// An upload's answer: JSON for the page's script (which shows progress),
/// a redirect back to the case for a plain form.
struct Answer {
    json: bool,
    back: String,
}

impl Answer {
    fn of(headers: &HeaderMap, back: String) -> Self {
        let json = headers
            .get(header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("application/json"));
        Self { json, back }
    }

    fn added(self, ids: &[i64]) -> Response {
        if self.json {
            axum::Json(serde_json::json!({ "photos": ids })).into_response()
        } else {
            see_other(&format!("{}#photos", self.back))
        }
    }

    fn refused(self, status: StatusCode, key: &str) -> Response {
        if self.json {
            (
                status,
                axum::Json(serde_json::json!({ "field": "photo", "message": key })),
            )
                .into_response()
        } else {
            see_other(&format!("{}?photo_error={key}#photos", self.back))
        }
    }

    fn failed(self, e: store::StoreError) -> Response {
        let e = app::error::AppError::from(e);
        let key = match &e {
            app::error::AppError::Invalid(fields) => fields
                .first()
                .map(|f| f.message.clone())
                .unwrap_or_else(|| "unknown".into()),
            app::error::AppError::Forbidden | app::error::AppError::NotFound => "refused".into(),
            _ => "unavailable".into(),
        };
        self.refused(e.status(), &key)
    }
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

async fn staff_upload(
    State(state): State<AppState>,
    axum::Extension(photos): axum::Extension<PhotoStore>,
    staff: Staff,
    Path(code): Path<String>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let answer = Answer::of(&headers, format!("/cases/{}", code_in_path(&code)));
    let Ok(code) = TrackingCode::parse(&code) else {
        return answer.refused(StatusCode::NOT_FOUND, "refused");
    };
    let user = match staff.permit(Permission::AttachPhotos) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    upload(&state, &photos, &code, Uploader::Staff(&user), answer, form).await
}

async fn resident_upload(
    State(state): State<AppState>,
    axum::Extension(photos): axum::Extension<PhotoStore>,
    session: Session,
    Path(code): Path<String>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let answer = Answer::of(&headers, format!("/track/{}", code_in_path(&code)));
    let Ok(code) = TrackingCode::parse(&code) else {
        return answer.refused(StatusCode::NOT_FOUND, "refused");
    };
    // The case page's own door: the second factor given in this session.
    if !tracks(&session, &code).await {
        return answer.refused(StatusCode::FORBIDDEN, "refused");
    }
    // Counted per case in the database: the same for every address and instance.
    let quota = domain::throttle::Quota::per_hour(photo::RESIDENT_UPLOADS_PER_HOUR);
    let bucket = format!("photos:{}", code.as_str());
    match store::throttle::hit(&state.pool, &bucket, quota, chrono::Utc::now()).await {
        Ok(None) => {}
        Ok(Some(_)) => return answer.refused(StatusCode::TOO_MANY_REQUESTS, "too_often"),
        Err(e) => return answer.failed(e),
    }
    upload(&state, &photos, &code, Uploader::Resident, answer, form).await
}

/// A code as it may stand in a redirect: letters, digits and dashes only.
fn code_in_path(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(16)
        .collect()
}

/// Whether this browser session gave the case's second factor.
async fn tracks(session: &Session, code: &TrackingCode) -> bool {
    session
        .get::<Vec<String>>(app::api::ssr::TRACK_KEY)
        .await
        .ok()
        .flatten()
        .is_some_and(|codes| codes.iter().any(|c| c == code.as_str()))
}

/// Reads the form (`stage`, then one or more `photo` files), prepares each
/// picture as it arrives, keeps them and records them with the case. The
/// rules are checked before the first picture is decoded; a refusal at
/// any point leaves nothing stored.
async fn upload(
    state: &AppState,
    photos: &PhotoStore,
    code: &TrackingCode,
    uploader: Uploader<'_>,
    answer: Answer,
    mut form: Multipart,
) -> Response {
    let pool = &state.pool;
    let mut stage = PhotoStage::Report;
    let mut prepared = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let status = e.status();
                let key = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "photo_too_large"
                } else {
                    "photo_damaged"
                };
                return answer.refused(status, key);
            }
        };
        match field.name() {
            Some("stage") => {
                let text = field.text().await.unwrap_or_default();
                match PhotoStage::parse(text.trim()) {
                    Some(s) => stage = s,
                    None => return answer.refused(StatusCode::BAD_REQUEST, "stage_not_yours"),
                }
            }
            Some("photo") => {
                // A form sent with no file chosen still has the field, empty.
                let bytes = match read_file(field).await {
                    Ok(b) if b.is_empty() => continue,
                    Ok(b) => b,
                    Err(u) => return answer.refused(u.status(), u.key()),
                };
                // The case's rules once, before the first picture is decoded;
                // the count of later files needs no database (`add` checks
                // the case's bound again when it records them).
                let refused = if prepared.is_empty() {
                    store::photos::check(pool, code, uploader, stage, 1)
                        .await
                        .err()
                } else if prepared.len() >= photo::PER_UPLOAD {
                    Some(store::StoreError::invalid(
                        "photo",
                        photo::Refusal::TooMany.key(),
                    ))
                } else {
                    None
                };
                if let Some(e) = refused {
                    return answer.failed(e);
                }
                match prepare_off_the_workers(bytes).await {
                    Ok(p) => prepared.push(p),
                    Err(u) => return answer.refused(u.status(), u.key()),
                }
            }
            _ => {}
        }
    }
    if prepared.is_empty() {
        return answer.refused(StatusCode::BAD_REQUEST, "required");
    }
    let mut kept = Vec::with_capacity(prepared.len());
    for p in prepared {
        let object = format!("cases/{}/{:016x}", code.as_str(), rand::random::<u64>());
        let bytes = p.full.len();
        let stored = async {
            photos.put(&small(&object), p.small).await?;
            photos.put(&object, p.full).await
        }
        .await;
        if let Err(e) = stored {
            tracing::error!(error = %e, "photo store");
            forget(photos, &kept).await;
            let _ = photos.delete(&object).await;
            return answer.refused(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
        }
        kept.push(Kept {
            object,
            width: p.width,
            height: p.height,
            bytes,
        });
    }
    match store::photos::add(pool, code, uploader, stage, &kept, chrono::Utc::now()).await {
        Ok(ids) => answer.added(&ids),
        Err(e) => {
            // Not recorded, so not kept: no picture without its row.
            forget(photos, &kept).await;
            answer.failed(e)
        }
    }
}

async fn forget(photos: &PhotoStore, kept: &[Kept]) {
    for k in kept {
        if let Err(e) = photos.delete(&k.object).await {
            tracing::error!(error = %e, object = %k.object, "an unrecorded photo stays in the store");
        }
    }
}

/// One file of the form, refused as soon as it passes the size bound
/// (without reading the rest into memory).
async fn read_file(
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<bytes::Bytes, Unusable> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Unusable::Size
        } else {
            Unusable::Damaged
        }
    })? {
        if bytes.len() + chunk.len() > photo::MAX_FILE_BYTES {
            return Err(Unusable::Size);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.into())
}

async fn full_picture(
    state: State<AppState>,
    photos: axum::Extension<PhotoStore>,
    staff: Option<Staff>,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    picture(state, photos, staff, session, id, false).await
}

async fn small_picture(
    state: State<AppState>,
    photos: axum::Extension<PhotoStore>,
    staff: Option<Staff>,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    picture(state, photos, staff, session, id, true).await
}

/// A picture for whoever may see it: staff whose area holds the case; the
/// resident (second factor given in this session) their own photos and the
/// published ones. Anyone else is told there is no such photo.
async fn picture(
    State(state): State<AppState>,
    axum::Extension(photos): axum::Extension<PhotoStore>,
    staff: Option<Staff>,
    session: Session,
    id: i64,
    thumbnail: bool,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "no such photo").into_response();
    let found = match store::photos::find(&state.pool, id).await {
        Ok(f) => f,
        Err(store::StoreError::NotFound) => return not_found(),
        Err(e) => return app::error::AppError::from(e).into_response(),
    };
    let staff_sees = staff
        .and_then(|s| s.permit(Permission::ViewCases).ok())
        .is_some_and(|u| store::access::can_view(&u, &found.facts));
    let resident_sees =
        || async { found.info.shown_to_resident() && tracks(&session, &found.code).await };
    if !staff_sees && !resident_sees().await {
        return not_found();
    }
    let name = if thumbnail {
        small(&found.object)
    } else {
        found.object.clone()
    };
    match photos.get(&name).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                // Never in a shared cache: who may see it can change.
                (header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            bytes,
        )
            .into_response(),
        Err(object_store::Error::NotFound { .. }) => not_found(),
        Err(e) => {
            tracing::error!(error = %e, "photo store");
            (StatusCode::SERVICE_UNAVAILABLE, "photo store unavailable").into_response()
        }
    }
}

/// Deletes the pictures of removed photos (anonymised with their resident's
/// contact data): a background job, as many rounds as it takes.
pub async fn sweep(pool: &store::Pool, photos: &PhotoStore) -> Result<usize, String> {
    let mut done = 0;
    loop {
        let batch = store::photos::to_sweep(pool, 200)
            .await
            .map_err(|e| format!("photos: {e}"))?;
        if batch.is_empty() {
            return Ok(done);
        }
        for (id, object) in batch {
            photos
                .delete(&object)
                .await
                .map_err(|e| format!("photos: {e}"))?;
            store::photos::swept(pool, id)
                .await
                .map_err(|e| format!("photos: {e}"))?;
            done += 1;
        }
    }
}

/// What [`copy_all`] did.
#[derive(Debug, Default)]
pub struct Copied {
    pub copied: usize,
    /// Photos the database records but the source store does not hold (a
    /// backup taken without its photo folder): reported, not fatal, so a
    /// restore or copy of the data still completes.
    pub missing: Vec<String>,
}

/// Copies the pictures of every photo `pool` records from `from` to `to`
/// (`lianxin copy`, `backup` and `restore`).
pub async fn copy_all(
    pool: &store::Pool,
    from: &PhotoStore,
    to: &PhotoStore,
) -> Result<Copied, String> {
    let mut after = 0;
    let mut done = Copied::default();
    loop {
        let page = store::photos::kept_after(pool, after, 500)
            .await
            .map_err(|e| format!("photos: {e}"))?;
        let Some((last, _)) = page.last() else {
            return Ok(done);
        };
        after = *last;
        for (_, object) in page {
            match from.copy_to(to, &object).await {
                Ok(()) => done.copied += 1,
                Err(object_store::Error::NotFound { .. }) => done.missing.push(object),
                Err(e) => return Err(format!("photo {object}: {e}")),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;

    /// The form a page sends: the stage, then the files.
    pub(crate) fn upload(uri: &str, stage: &str, files: &[Vec<u8>], cookie: &str) -> Request<Body> {
        let boundary = "lianxinBoundary7MA4YWxk";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"stage\"\r\n\r\n{stage}\r\n"
        )
        .into_bytes();
        for (i, file) in files.iter().enumerate() {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"IMG_{i}.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(file);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        Request::post(uri)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::ACCEPT, "application/json")
            .header(header::COOKIE, cookie)
            .body(Body::from(body))
            .unwrap()
    }

    /// A JPEG `w`×`h` whose EXIF says "rotate 90° clockwise to view" and
    /// carries a GPS marker, as a phone writes it.
    pub(crate) fn phone_jpeg(w: u32, h: u32) -> Vec<u8> {
        let picture = image::RgbImage::from_fn(w, h, |x, _| {
            if x < w / 2 {
                image::Rgb([200, 30, 30])
            } else {
                image::Rgb([30, 30, 200])
            }
        });
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
            .encode_image(&picture)
            .unwrap();
        // TIFF (big-endian): two entries, Orientation = 6 and an ASCII
        // GPSAreaInformation-like tag holding the marker.
        let marker = b"GPS 37.5177N 111.1437E\0";
        let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x02".to_vec();
        tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        let offset = 8 + 2 + 2 * 12 + 4;
        tiff.extend_from_slice(&[0x01, 0x0e, 0, 2]);
        tiff.extend_from_slice(&(marker.len() as u32).to_be_bytes());
        tiff.extend_from_slice(&(offset as u32).to_be_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0]);
        tiff.extend_from_slice(marker);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&plain[2..]);
        out
    }

    use crate::http::tests::{app, body, form, session_cookie, sign_in};
    use tower::ServiceExt;

    /// A walk-in case and a session that gave its PIN: the resident's cookie.
    async fn resident(app: &Router, pool: &store::Pool) -> (String, String) {
        let receipt = store::testing::walk_in(pool, false, chrono::Utc::now()).await;
        let res = app
            .clone()
            .oneshot(form(
                "/api/track_lookup",
                &format!("code={}&factor={}", receipt.code, receipt.pin),
                None,
            ))
            .await
            .unwrap();
        assert!(res.status().is_success() || res.status().is_redirection());
        (receipt.code, session_cookie(&res).expect("a session"))
    }

    async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Vec<u8>) {
        let res = app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, bytes.to_vec())
    }

    /// Uploads that must succeed: the new photos' ids.
    async fn added(
        app: &Router,
        uri: &str,
        stage: &str,
        files: &[Vec<u8>],
        cookie: &str,
    ) -> Vec<i64> {
        let (status, answer) = send(app, upload(uri, stage, files, cookie)).await;
        let said = String::from_utf8_lossy(&answer);
        assert_eq!(status, StatusCode::OK, "{said}");
        ids(&answer)
    }

    fn fetch(uri: &str, cookie: Option<&str>) -> Request<Body> {
        let mut req = Request::get(uri);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.body(Body::empty()).unwrap()
    }

    fn ids(answer: &[u8]) -> Vec<i64> {
        let said: serde_json::Value = serde_json::from_slice(answer).unwrap();
        said["photos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect()
    }

    async fn photo_rows(pool: &store::Pool) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM photos")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_residents_photo_reaches_their_page_without_its_location_and_nobody_elses() {
        let (app, pool, _db) = app().await;
        let (code, cookie) = resident(&app, &pool).await;
        let uri = format!("/track/{code}/photos");
        let id = added(&app, &uri, "report", &[phone_jpeg(1200, 900)], &cookie).await[0];

        let (status, picture) = send(&app, fetch(&format!("/photos/{id}"), Some(&cookie))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(picture.starts_with(&[0xFF, 0xD8]), "a JPEG");
        assert!(!find(&picture, b"Exif") && !find(&picture, b"GPS 37.5177N"));
        let (status, _) = send(&app, fetch(&format!("/photos/{id}/small"), Some(&cookie))).await;
        assert_eq!(status, StatusCode::OK);
        // Someone without the case's second factor is told there is no such photo.
        let (status, _) = send(&app, fetch(&format!("/photos/{id}"), None)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The station sees it.
        let director = sign_in(&app, "director", store::demo::DEMO_PASSWORD).await;
        let (status, _) = send(&app, fetch(&format!("/photos/{id}"), Some(&director))).await;
        assert_eq!(status, StatusCode::OK);
        // Without the second factor, no upload.
        let (status, _) = send(
            &app,
            upload(&uri, "report", &[phone_jpeg(64, 48)], "lianxin=none"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Residents show the problem; before and after are the unit's.
        let (status, answer) =
            send(&app, upload(&uri, "after", &[phone_jpeg(64, 48)], &cookie)).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(&answer)
        );
        assert_eq!(photo_rows(&pool).await, 1);
    }

    #[tokio::test]
    async fn a_units_before_and_after_photos_reach_the_resident_only_once_published() {
        let (app, pool, _db) = app().await;
        let (code, resident_cookie) = resident(&app, &pool).await;
        let director = sign_in(&app, "director", store::demo::DEMO_PASSWORD).await;
        let uri = format!("/cases/{code}/photos");
        let before = added(&app, &uri, "before", &[phone_jpeg(800, 600)], &director).await[0];
        let after = [phone_jpeg(800, 600), phone_jpeg(600, 800)];
        assert_eq!(added(&app, &uri, "after", &after, &director).await.len(), 2);

        let (status, _) = send(
            &app,
            fetch(&format!("/photos/{before}"), Some(&resident_cookie)),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "not yet checked for faces and plates"
        );
        let res = app
            .clone()
            .oneshot(form(
                "/api/publish_photo",
                &format!("code={code}&photo={before}&public=true"),
                Some(&director),
            ))
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", body(res).await);
        let (status, _) = send(
            &app,
            fetch(&format!("/photos/{before}"), Some(&resident_cookie)),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let case = store::casefile::public_view(
            &pool,
            &TrackingCode::parse(&code).unwrap(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(
            case.photos.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![before]
        );
    }

    #[tokio::test]
    async fn oversized_and_wrong_uploads_are_refused_with_nothing_stored() {
        let (app, pool, _db) = app().await;
        let director = sign_in(&app, "director", store::demo::DEMO_PASSWORD).await;
        let code = store::testing::walk_in(&pool, false, chrono::Utc::now())
            .await
            .code;
        let uri = format!("/cases/{code}/photos");
        let folder = std::env::temp_dir().join(format!("lianxin_photos_{}", std::process::id()));
        let files_in = |dir: &std::path::Path| -> usize {
            walk(
                dir,
                &format!("cases/{code}").replace('/', std::path::MAIN_SEPARATOR_STR),
            )
        };
        // A good photo then a PDF: the good one is not kept either.
        let (status, answer) = send(
            &app,
            upload(
                &uri,
                "after",
                &[phone_jpeg(64, 48), b"%PDF-1.7".to_vec()],
                &director,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(String::from_utf8_lossy(&answer).contains("not_a_photo"));
        let mut big = phone_jpeg(64, 48);
        big.resize(photo::MAX_FILE_BYTES + 1, 0);
        let (status, answer) = send(&app, upload(&uri, "after", &[big], &director)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(String::from_utf8_lossy(&answer).contains("photo_too_large"));
        let seven = vec![phone_jpeg(32, 32); photo::PER_UPLOAD + 1];
        let (status, answer) = send(&app, upload(&uri, "after", &seven, &director)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(String::from_utf8_lossy(&answer).contains("too_many_photos"));
        assert_eq!(photo_rows(&pool).await, 0);
        assert_eq!(files_in(&folder), 0, "nothing left in the photo store");
    }

    #[tokio::test]
    async fn a_copy_carries_every_kept_photo_to_the_other_store() {
        let (app, pool, _db) = app().await;
        let director = sign_in(&app, "director", store::demo::DEMO_PASSWORD).await;
        let code = store::testing::walk_in(&pool, false, chrono::Utc::now())
            .await
            .code;
        let uri = format!("/cases/{code}/photos");
        let ids = added(
            &app,
            &uri,
            "before",
            &[phone_jpeg(300, 200), phone_jpeg(200, 300)],
            &director,
        )
        .await;
        let target = tempfile::tempdir().unwrap();
        let to = PhotoStore::open(&target.path().to_string_lossy()).unwrap();
        // A photo recorded without its picture (a backup taken without its folder).
        let gone = store::photos::Kept {
            object: "cases/gone/0".into(),
            width: 1,
            height: 1,
            bytes: 1,
        };
        let code = domain::TrackingCode::parse(&code).unwrap();
        let director_row = store::testing::user(&pool, "director").await;
        store::photos::add(
            &pool,
            &code,
            Uploader::Staff(&director_row),
            PhotoStage::After,
            &[gone],
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let done = copy_all(&pool, &crate::http::tests::test_photos(), &to)
            .await
            .unwrap();
        assert!(done.copied >= 2, "{done:?}");
        assert_eq!(done.missing, vec!["cases/gone/0".to_string()]);
        for id in ids {
            let found = store::photos::find(&pool, id).await.unwrap();
            let copied = to.get(&found.object).await.unwrap();
            assert_eq!(
                image::load_from_memory(&copied).unwrap().width(),
                if found.info.width == 300 { 300 } else { 200 }
            );
            assert!(to.get(&small(&found.object)).await.is_ok());
        }
    }

    /// The store several instances share: an S3-compatible server, here the
    /// one `scripts/test` starts (`LIANXIN_TEST_S3`, with the `AWS_*`
    /// variables it sets). A run without one says so and checks nothing.
    #[tokio::test]
    async fn an_s3_bucket_keeps_serves_and_deletes_the_pictures() {
        let Ok(endpoint) = std::env::var("LIANXIN_TEST_S3") else {
            eprintln!("LIANXIN_TEST_S3 is not set: no S3-compatible server to test against");
            return;
        };
        let bucket = format!("lianxin-{:08x}", rand::random::<u32>());
        let made = ureq::put(&format!("{endpoint}/{bucket}"))
            .send_empty()
            .unwrap();
        assert!(made.status().is_success());
        let photos = PhotoStore::open(&format!("s3://{bucket}/city")).unwrap();
        let (app, pool, _db) = app().await;
        let director = sign_in(&app, "director", store::demo::DEMO_PASSWORD).await;
        let code = store::testing::walk_in(&pool, false, chrono::Utc::now())
            .await
            .code;
        let uri = format!("/cases/{code}/photos");
        let id = added(&app, &uri, "after", &[phone_jpeg(400, 300)], &director).await[0];
        // Copied into the bucket, then read back from it as another instance would.
        let done = copy_all(&pool, &crate::http::tests::test_photos(), &photos)
            .await
            .unwrap();
        assert!(done.copied >= 1, "{done:?}");
        let found = store::photos::find(&pool, id).await.unwrap();
        let kept = photos.get(&found.object).await.unwrap();
        assert_eq!(
            kept,
            crate::http::tests::test_photos()
                .get(&found.object)
                .await
                .unwrap()
        );
        // Under the prefix given, with the thumbnail beside it.
        let listed = ureq::get(&format!("{endpoint}/{bucket}?prefix=city/cases/"))
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap();
        assert_eq!(listed.matches("<Key>city/cases/").count(), 2, "{listed}");
        photos.delete(&found.object).await.unwrap();
        assert!(matches!(
            photos.get(&found.object).await,
            Err(object_store::Error::NotFound { .. })
        ));
        // Deleting what is gone already is no error (a sweep that crashed half-way).
        photos.delete(&found.object).await.unwrap();
    }

    #[tokio::test]
    async fn a_resident_may_send_a_bounded_number_of_uploads_an_hour() {
        let (app, pool, _db) = app().await;
        let (code, cookie) = resident(&app, &pool).await;
        let uri = format!("/track/{code}/photos");
        // Refused files cost work too: they count.
        for _ in 0..photo::RESIDENT_UPLOADS_PER_HOUR {
            let (status, _) =
                send(&app, upload(&uri, "report", &[b"%PDF".to_vec()], &cookie)).await;
            assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        }
        let (status, answer) =
            send(&app, upload(&uri, "report", &[phone_jpeg(64, 48)], &cookie)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(String::from_utf8_lossy(&answer).contains("too_often"));
        assert_eq!(photo_rows(&pool).await, 0);
    }

    /// Files under `dir` whose path contains `part`.
    fn walk(dir: &std::path::Path, part: &str) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        entries
            .flatten()
            .map(|e| {
                let path = e.path();
                if path.is_dir() {
                    walk(&path, part)
                } else {
                    usize::from(path.to_string_lossy().contains(part))
                }
            })
            .sum()
    }

    fn find(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_phone_photo_is_kept_upright_shrunk_and_without_its_exif() {
        let sent = phone_jpeg(2400, 1800);
        assert!(find(&sent, b"Exif") && find(&sent, b"GPS 37.5177N"));
        let kept = prepare(&sent).unwrap();
        for bytes in [&kept.full, &kept.small] {
            assert!(!find(bytes, b"Exif"), "EXIF left in the kept picture");
            assert!(
                !find(bytes, b"GPS 37.5177N"),
                "the location left in the kept picture"
            );
        }
        // Orientation 6: the landscape sensor picture is a portrait photo.
        assert_eq!((kept.width, kept.height), (1200, 1600));
        let full = image::load_from_memory(&kept.full).unwrap();
        assert_eq!((full.width(), full.height()), (1200, 1600));
        let thumb = image::load_from_memory(&kept.small).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (240, 320));
        // Turned clockwise, the red left half of the sensor is the top.
        let top = full.to_rgb8().get_pixel(600, 100).0;
        let bottom = full.to_rgb8().get_pixel(600, 1500).0;
        assert!(top[0] > 150 && top[2] < 100, "top {top:?}");
        assert!(bottom[2] > 150 && bottom[0] < 100, "bottom {bottom:?}");
    }

    #[test]
    fn what_is_not_a_photo_is_refused_by_its_bytes() {
        assert_eq!(
            prepare(b"%PDF-1.7 not a picture").unwrap_err(),
            Unusable::Type
        );
        assert_eq!(
            prepare(b"<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap_err(),
            Unusable::Type
        );
        let mut cut = phone_jpeg(64, 64);
        cut.truncate(cut.len() / 3);
        assert_eq!(prepare(&cut).unwrap_err(), Unusable::Damaged);
        assert_eq!(
            prepare(&vec![0xFF; photo::MAX_FILE_BYTES + 1]).unwrap_err(),
            Unusable::Size
        );
    }

    #[test]
    fn a_small_file_claiming_a_huge_canvas_is_refused_before_decoding() {
        // A PNG header for 60000×60000 pixels: 14 GB decoded.
        let mut png = Vec::new();
        image::ImageEncoder::write_image(
            image::codecs::png::PngEncoder::new(&mut png),
            &[0],
            1,
            1,
            image::ExtendedColorType::L8,
        )
        .unwrap();
        let huge = (60_000u32).to_be_bytes();
        // IHDR's width and height follow the 8-byte signature and the chunk head.
        png[16..20].copy_from_slice(&huge);
        png[20..24].copy_from_slice(&huge);
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(prepare(&png).unwrap_err(), Unusable::Size);
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn photos_live_beside_the_sqlite_file() {
        assert_eq!(
            PhotoStore::default_for("sqlite://data/lianxin.db"),
            "data/lianxin-photos"
        );
        assert_eq!(
            PhotoStore::default_for("sqlite:/var/lib/lianxin/city.db?mode=rwc"),
            "/var/lib/lianxin/city-photos"
        );
        assert_eq!(PhotoStore::default_for("postgres://db/lianxin"), "photos");
    }
}
