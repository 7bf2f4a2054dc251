//! Residents' pages as an anonymous visitor sees them, kept for a second
//! (issue 21). A QR code on a paper receipt, a link shared in a WeChat
//! group or a notice at a station sends many phones to the same few pages
//! at once; each render costs the app a database read and the page's
//! rendering, sending a page kept in memory almost nothing. Its gzip and
//! brotli forms are made when a visitor first asks for them and kept with
//! it, so compressing costs nothing per visit either.
//!
//! Only what cannot differ between visitors is kept: a GET of a resident's
//! page (`app::is_public_page`) with no cookie but the language's, answered
//! 200 with no cookie set but that one. A resident who has looked their case up carries
//! a session and is always served fresh; so is every staff member. The key
//! holds everything the page is rendered from besides the database: path,
//! query, the language cookie and `Accept-Language`.
//!
//! After every request this instance answers that may have changed
//! something (a successful one that is not a GET or HEAD), the cache reads
//! the head of the audit trail, which every change the store makes moves;
//! when it moved, the kept pages are dropped and a render that began before
//! is not kept: whoever changes something and then opens a page sees the
//! change. Server functions that only read (they are POSTs too) leave the
//! head and the kept pages alone, so staff at work, or anyone calling them,
//! do not empty the cache. A change made through another instance shows
//! within a second, what the live board takes anyway.

use crate::http::LANGUAGE_COOKIE;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a kept page is sent before it is rendered again, unless
/// `--page-cache-ms` says otherwise (0 keeps nothing).
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// Memory the kept pages may take, all forms counted: a bound however
/// many different addresses and languages are asked for.
const MAX_BYTES: usize = 32 << 20;
/// Longer paths, queries or language headers are not kept: nobody's
/// phone sends them, and they would only fill the cache.
const MAX_KEY_PART: usize = 512;
/// Larger pages are not kept (the city's `/stats` is 16 KB).
const MAX_PAGE: usize = 512 << 10;
/// Says whether an answer came from the kept copy, for operators and tests.
const CACHE_HEADER: &str = "x-lianxin-cache";

pub struct PageCache {
    fresh_for: Duration,
    pages: Mutex<Pages>,
}

#[derive(Default)]
struct Pages {
    by_key: HashMap<String, Arc<Page>>,
    bytes: usize,
    /// Changes answered so far: a render that saw an older count may show
    /// what a change altered, and is not kept.
    changes: u64,
    /// The audit trail's head when it was last read.
    audit_head: Option<i64>,
}

struct Page {
    made: Instant,
    headers: HeaderMap,
    identity: Bytes,
    /// Made when first asked for (None: compressing failed; sent as is).
    gzip: std::sync::OnceLock<Option<Bytes>>,
    brotli: std::sync::OnceLock<Option<Bytes>>,
}

impl Page {
    fn new(headers: HeaderMap, identity: Bytes) -> Self {
        Self {
            made: Instant::now(),
            headers,
            identity,
            gzip: std::sync::OnceLock::new(),
            brotli: std::sync::OnceLock::new(),
        }
    }

    /// What the page may take with both compressed forms made: each is
    /// smaller than the HTML it compresses.
    fn size(&self) -> usize {
        self.identity.len() * 3
    }

    /// The body in `encoding`, or the HTML as is when it cannot be made.
    fn body(&self, encoding: Encoding) -> (Encoding, Bytes) {
        let made = match encoding {
            Encoding::Identity => None,
            Encoding::Gzip => self.gzip.get_or_init(|| gzip(&self.identity).ok()).clone(),
            Encoding::Brotli => self
                .brotli
                .get_or_init(|| brotli(&self.identity).ok())
                .clone(),
        };
        match made {
            Some(bytes) => (encoding, bytes),
            None => (Encoding::Identity, self.identity.clone()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl PageCache {
    pub fn new(fresh_for: Duration) -> Arc<Self> {
        Arc::new(Self {
            fresh_for,
            pages: Mutex::new(Pages::default()),
        })
    }

    fn fresh(&self, key: &str) -> Option<Arc<Page>> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages
            .by_key
            .get(key)
            .filter(|p| p.made.elapsed() < self.fresh_for)
            .cloned()
    }

    fn changes(&self) -> u64 {
        self.pages.lock().unwrap_or_else(|e| e.into_inner()).changes
    }

    /// A request that may have changed something was answered: reads the
    /// audit trail's head and drops the kept pages when it moved (or when
    /// it cannot be read).
    async fn after_write(&self, pool: &store::Pool) {
        let head = store::audit::head(pool).await.ok();
        let moved = {
            let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
            let moved = head.is_none() || head != pages.audit_head;
            pages.audit_head = head;
            moved
        };
        if moved {
            self.changed();
        }
    }

    /// A change was answered: every kept page may be out of date.
    fn changed(&self) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages.changes += 1;
        pages.by_key.clear();
        pages.bytes = 0;
    }

    /// Keeps a page rendered from the database as it was after `changes`
    /// changes, unless another has been answered since.
    fn keep(&self, key: String, page: Arc<Page>, changes: u64) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.changes != changes {
            return;
        }
        if let Some(old) = pages.by_key.remove(&key) {
            pages.bytes -= old.size();
        }
        if pages.bytes + page.size() > MAX_BYTES {
            // Stale copies are dropped first; when the fresh ones alone
            // fill the bound, this page is sent without being kept.
            let fresh_for = self.fresh_for;
            pages.by_key.retain(|_, p| p.made.elapsed() < fresh_for);
            pages.bytes = pages.by_key.values().map(|p| p.size()).sum();
            if pages.bytes + page.size() > MAX_BYTES {
                return;
            }
        }
        pages.bytes += page.size();
        pages.by_key.insert(key, page);
    }
}

/// The key of a request whose answer is the same for every visitor who
/// sends it, or None.
fn key(req: &Request) -> Option<String> {
    if req.method() != Method::GET || !app::is_public_page(req.uri().path()) {
        return None;
    }
    let target = req.uri().path_and_query()?.as_str();
    let h = req.headers();
    let mut language = "";
    for cookies in h.get_all(header::COOKIE) {
        for pair in cookies.to_str().ok()?.split(';') {
            let (name, value) = pair.trim().split_once('=').unwrap_or((pair.trim(), ""));
            // Any other cookie (a session above all) may change the page.
            if name != LANGUAGE_COOKIE {
                return None;
            }
            language = value;
        }
    }
    let accept_language = match h.get(header::ACCEPT_LANGUAGE) {
        Some(v) => v.to_str().ok()?,
        None => "",
    };
    [target, language, accept_language]
        .iter()
        .all(|part| part.len() <= MAX_KEY_PART)
        .then(|| format!("{target}\n{language}\n{accept_language}"))
}

/// The best form the client accepts (`Accept-Encoding`, q=0 refuses).
fn encoding(headers: &HeaderMap) -> Encoding {
    let mut gzip = false;
    let mut brotli = false;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(',') {
            let mut params = part.split(';');
            let name = params.next().unwrap_or("").trim();
            let refused = params.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            match name.to_ascii_lowercase().as_str() {
                "br" => brotli = true,
                "gzip" | "x-gzip" => gzip = true,
                "*" => {
                    brotli = true;
                    gzip = true;
                }
                _ => {}
            }
        }
    }
    if brotli {
        Encoding::Brotli
    } else if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn gzip(bytes: &[u8]) -> std::io::Result<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.into())
}

fn brotli(bytes: &[u8]) -> std::io::Result<Bytes> {
    let mut out = Vec::new();
    {
        // Quality 5: within a few percent of the best for pages this small,
        // at a tenth of a millisecond; it runs on the request's thread.
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        writer.write_all(bytes)?;
    }
    Ok(out.into())
}

fn send(page: &Page, wanted: Encoding, hit: bool) -> Response {
    let (encoding, body) = page.body(wanted);
    let mut res = Response::new(Body::from(body));
    *res.headers_mut() = page.headers.clone();
    let h = res.headers_mut();
    let coding = match encoding {
        Encoding::Identity => None,
        Encoding::Gzip => Some("gzip"),
        Encoding::Brotli => Some("br"),
    };
    if let Some(coding) = coding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(
        CACHE_HEADER,
        HeaderValue::from_static(if hit { "hit" } else { "miss" }),
    );
    res
}

/// The middleware: sends a kept copy when there is a fresh one, renders
/// and keeps the page when it may be kept, and leaves every other request
/// alone.
pub async fn serve(
    State((cache, pool)): State<(Arc<PageCache>, store::Pool)>,
    mut req: Request,
    next: Next,
) -> Response {
    if cache.fresh_for.is_zero() {
        return next.run(req).await;
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let res = next.run(req).await;
        if res.status().is_success() || res.status().is_redirection() {
            cache.after_write(&pool).await;
        }
        return res;
    }
    let Some(key) = key(&req) else {
        return next.run(req).await;
    };
    let wanted = encoding(req.headers());
    if let Some(page) = cache.fresh(&key) {
        return send(&page, wanted, true);
    }
    let changes = cache.changes();
    // Rendered uncompressed, so one render serves every encoding.
    req.headers_mut().remove(header::ACCEPT_ENCODING);
    let res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    // The app repeats the language cookie it was sent; that cookie is part
    // of the key, so the copy repeats it to the same visitors only. Any
    // other cookie (a session begun by the page) is one visitor's own.
    let own_cookie = res.headers().get_all(header::SET_COOKIE).iter().any(|c| {
        c.to_str()
            .ok()
            .and_then(|c| c.split_once('='))
            .is_none_or(|(name, _)| name.trim() != LANGUAGE_COOKIE)
    });
    let keepable = res.status() == StatusCode::OK
        && is_html
        && !own_cookie
        && !res.headers().contains_key(header::CONTENT_ENCODING);
    if !keepable {
        return res;
    }
    let (parts, body) = res.into_parts();
    // The app renders a page whole before sending it (SsrMode::Async), so
    // reading it whole here holds nothing the render did not already hold.
    let identity = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "a resident's page failed while it was rendered");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response();
        }
    };
    let mut headers = parts.headers;
    // The length differs per encoding; the body sets it.
    headers.remove(header::CONTENT_LENGTH);
    let page = Arc::new(Page::new(headers, identity));
    if page.identity.len() <= MAX_PAGE {
        cache.keep(key, page.clone(), changes);
    }
    send(&page, wanted, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().uri(path);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn only_anonymous_gets_of_residents_pages_have_a_key() {
        assert!(key(&request("/", &[])).is_some());
        assert!(key(&request("/track/AB12CD", &[])).is_some());
        assert!(key(&request("/stats?area=4", &[])).is_some());
        assert!(key(&request("/stats", &[("cookie", "i18n_pref_locale=en")])).is_some());
        // Staff pages, sessions, other cookies, other methods.
        assert!(key(&request("/board", &[])).is_none());
        assert!(key(&request("/track/AB12CD", &[("cookie", "lianxin=abc")])).is_none());
        assert!(
            key(&request(
                "/",
                &[("cookie", "i18n_pref_locale=zh; lianxin=abc")]
            ))
            .is_none()
        );
        assert!(key(&request("/", &[("cookie", "other")])).is_none());
        let post = Request::builder()
            .method(Method::POST)
            .uri("/report")
            .body(Body::empty())
            .unwrap();
        assert!(key(&post).is_none());
        let long = format!("/stats?area={}", "9".repeat(MAX_KEY_PART));
        assert!(key(&request(&long, &[])).is_none());
    }

    #[test]
    fn the_key_holds_what_the_page_is_rendered_from() {
        let zh = key(&request("/", &[("cookie", "i18n_pref_locale=zh")]));
        let en = key(&request("/", &[("cookie", "i18n_pref_locale=en")]));
        let browser_en = key(&request("/", &[("accept-language", "en-GB,en")]));
        let plain = key(&request("/", &[]));
        let other_query = key(&request("/?a=1", &[]));
        let all = [zh, en, browser_en, plain, other_query];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn the_encoding_is_the_best_accepted() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            encoding(&h)
        };
        assert_eq!(encoding(&HeaderMap::new()), Encoding::Identity);
        assert_eq!(with("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(with("gzip, deflate"), Encoding::Gzip);
        assert_eq!(with("br;q=0, gzip;q=0.5"), Encoding::Gzip);
        assert_eq!(with("identity"), Encoding::Identity);
        assert_eq!(with("*"), Encoding::Brotli);
    }

    fn small_page() -> Arc<Page> {
        Arc::new(Page::new(
            HeaderMap::new(),
            Bytes::from_static(b"<html></html>"),
        ))
    }

    #[test]
    fn a_change_drops_the_kept_pages_and_a_render_begun_before_it() {
        let cache = PageCache::new(Duration::from_secs(60));
        let before = cache.changes();
        cache.keep("/wall".into(), small_page(), before);
        assert!(cache.fresh("/wall").is_some());
        cache.changed();
        assert!(cache.fresh("/wall").is_none());
        // Rendered from what the database held before the change.
        cache.keep("/wall".into(), small_page(), before);
        assert!(cache.fresh("/wall").is_none());
        cache.keep("/wall".into(), small_page(), cache.changes());
        assert!(cache.fresh("/wall").is_some());
        assert_eq!(cache.pages.lock().unwrap().bytes, small_page().size());
    }

    #[test]
    fn the_kept_pages_stay_within_their_bound() {
        let cache = PageCache::new(Duration::from_secs(60));
        let page = || {
            Arc::new(Page::new(
                HeaderMap::new(),
                Bytes::from(vec![b'x'; MAX_PAGE]),
            ))
        };
        for i in 0..(MAX_BYTES / MAX_PAGE + 10) {
            cache.keep(format!("/{i}"), page(), 0);
        }
        let pages = cache.pages.lock().unwrap();
        assert!(pages.bytes <= MAX_BYTES);
        assert_eq!(pages.by_key.len(), MAX_BYTES / (MAX_PAGE * 3));
        assert_eq!(
            pages.bytes,
            pages.by_key.values().map(|p| p.size()).sum::<usize>()
        );
    }
}
