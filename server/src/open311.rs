//! Open311 GeoReport v2 at `/open311/v2`: every resource in XML (the spec's
//! required format) and JSON, built once as a [`Node`] tree and written in
//! either. Reading is public; creating a request takes an API key.
//!
//! Resources are `name.format` files, so the router matches whole segments and
//! [`resource`] splits off the format.

use app::i18n::Locale;
use app::labels::open311 as open311_text;
use app::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use domain::open311::{self as spec, PublishedRequest, Service};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use store::StoreError;
use store::open311::{Search, Submission};

/// When this API last changed, for `discovery`.
const CHANGESET: &str = "2026-11-28T00:00:00+08:00";
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";
/// The most ids one `service_request_id` list may name.
const MAX_IDS: usize = 1000;

/// Deployment settings of the Open311 endpoint.
#[derive(Debug, Clone)]
pub struct Config {
    /// The `jurisdiction_id` this server answers for; requests naming another get 404.
    pub jurisdiction: String,
    /// The public base URL (`https://host`), for `discovery`; the request's
    /// Host header when unset.
    pub public_url: Option<String>,
}

impl Config {
    /// From `LIANXIN_JURISDICTION` (default `lvliang`) and `LIANXIN_PUBLIC_URL`.
    pub fn from_env() -> Self {
        Self {
            jurisdiction: std::env::var("LIANXIN_JURISDICTION")
                .unwrap_or_else(|_| "lvliang".into()),
            public_url: std::env::var("LIANXIN_PUBLIC_URL")
                .ok()
                .filter(|u| !u.is_empty()),
        }
    }
}

pub fn routes(config: Config) -> Router<AppState> {
    Router::new()
        .route(
            "/open311/v2/{file}",
            get(read).post(create).fallback(other_method),
        )
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
        .layer(axum::Extension(config))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Xml,
    Json,
}

/// `services.json` → ("services", Json). Unknown formats are unknown resources.
fn resource(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    let format = match ext {
        "xml" => Format::Xml,
        "json" => Format::Json,
        _ => return None,
    };
    (!name.is_empty()).then_some((name, format))
}

/// A response body: JSON and XML are both written from it.
#[derive(Debug, Clone)]
enum Node {
    Null,
    Str(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    Obj(Vec<(&'static str, Node)>),
    /// A list: a JSON array, or XML elements named by the first field.
    List(&'static str, Vec<Node>),
}

fn text(s: impl Into<String>) -> Node {
    Node::Str(s.into())
}

fn opt(s: Option<String>) -> Node {
    s.map(Node::Str).unwrap_or(Node::Null)
}

impl Node {
    fn json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Null => Value::Null,
            Node::Str(s) => Value::String(s.clone()),
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::from(*i),
            Node::Float(f) => Value::from(*f),
            Node::Obj(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), v.json()))
                    .collect(),
            ),
            Node::List(_, items) => Value::Array(items.iter().map(Node::json).collect()),
        }
    }

    fn xml(&self, name: &str, w: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        let scalar = match self {
            Node::Null => return w.write_event(Event::Empty(BytesStart::new(name))),
            Node::Str(s) => s.clone(),
            Node::Bool(b) => b.to_string(),
            Node::Int(i) => i.to_string(),
            Node::Float(f) => f.to_string(),
            Node::Obj(fields) => {
                w.write_event(Event::Start(BytesStart::new(name)))?;
                for (k, v) in fields {
                    v.xml(k, w)?;
                }
                return w.write_event(Event::End(BytesEnd::new(name)));
            }
            Node::List(item, items) => {
                if items.is_empty() {
                    return w.write_event(Event::Empty(BytesStart::new(name)));
                }
                w.write_event(Event::Start(BytesStart::new(name)))?;
                for v in items {
                    v.xml(item, w)?;
                }
                return w.write_event(Event::End(BytesEnd::new(name)));
            }
        };
        w.write_event(Event::Start(BytesStart::new(name)))?;
        w.write_event(Event::Text(BytesText::new(&scalar)))?;
        w.write_event(Event::End(BytesEnd::new(name)))
    }
}

/// The response in `format`; `root` names the XML document element.
fn reply(format: Format, status: StatusCode, root: &str, body: Node) -> Response {
    match format {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body.json().to_string(),
        )
            .into_response(),
        Format::Xml => {
            let mut w = Writer::new(Vec::new());
            let written = w
                .write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
                .and_then(|_| body.xml(root, &mut w));
            match written {
                Ok(()) => (
                    status,
                    [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                    w.into_inner(),
                )
                    .into_response(),
                Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
        }
    }
}

fn ok(format: Format, root: &str, body: Node) -> Response {
    reply(format, StatusCode::OK, root, body)
}

/// The spec's error document: `errors/error{code, description}`.
fn error(format: Format, status: StatusCode, description: &str) -> Response {
    let one = Node::Obj(vec![
        ("code", Node::Int(i64::from(status.as_u16()))),
        ("description", text(description)),
    ]);
    reply(format, status, "errors", Node::List("error", vec![one]))
}

fn not_found(format: Format, what: &str) -> Response {
    error(format, StatusCode::NOT_FOUND, what)
}

/// A store error the client cannot help: an outage (the database
/// restarting or out of space: 503, try again) or a fault of ours (500).
/// The conversion logs it.
fn internal(format: Format, e: StoreError) -> Response {
    match app::error::AppError::from(e) {
        app::error::AppError::Unavailable => error(
            format,
            StatusCode::SERVICE_UNAVAILABLE,
            "service unavailable, try again shortly",
        ),
        _ => error(format, StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

/// Query or form parameters; a key given twice keeps its first non-empty value.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(raw)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// A search filter's value, trimmed, when one is given at all: the
    /// spec's empty value means no filter, but a blank one (a space, a
    /// no-break space) is a value that names nothing, refused by the filter
    /// that reads it instead of taken for no filter.
    fn filter(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.trim())
    }

    /// `attribute[code]=v` and `attribute[code][]=v` pairs.
    fn attributes(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter_map(|(k, v)| {
                let code = k.strip_prefix("attribute[")?;
                let code = code.strip_suffix("[]").unwrap_or(code).strip_suffix(']')?;
                Some((code.to_string(), v.clone()))
            })
            .collect()
    }
}

/// English when the client prefers it, Chinese otherwise.
fn locale(headers: &HeaderMap) -> Locale {
    let prefers_english = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("en"));
    if prefers_english {
        Locale::en
    } else {
        Locale::zh
    }
}

/// The 404 for a `jurisdiction_id` other than ours.
fn foreign_jurisdiction(config: &Config, params: &Params, format: Format) -> Option<Response> {
    params
        .get("jurisdiction_id")
        .filter(|j| *j != config.jurisdiction)
        .map(|_| not_found(format, "jurisdiction_id not found"))
}

/// What every resource starts with: its name and format from the path's last
/// segment, the query's parameters, and the jurisdiction check (an unknown
/// resource or another jurisdiction is answered before the handler runs).
struct Call {
    name: String,
    format: Format,
    params: Params,
    config: Config,
}

impl FromRequestParts<AppState> for Call {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let unknown = || not_found(Format::Xml, "unknown resource");
        let Path(file) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| unknown())?;
        let (name, format) = resource(&file).ok_or_else(unknown)?;
        let config = parts
            .extensions
            .get::<Config>()
            .cloned()
            .ok_or_else(unknown)?;
        let params = Params::parse(parts.uri.query().unwrap_or_default().as_bytes());
        if let Some(refused) = foreign_jurisdiction(&config, &params, format) {
            return Err(refused);
        }
        Ok(Self {
            name: name.to_string(),
            format,
            params,
            config,
        })
    }
}

async fn read(State(state): State<AppState>, call: Call, headers: HeaderMap) -> Response {
    let Call {
        name,
        format,
        params,
        config,
    } = call;
    match name.as_str() {
        "discovery" => discovery(&config, &headers, format),
        "services" => match store::open311::services(&state.pool).await {
            Ok(services) => ok(
                format,
                "services",
                Node::List("service", services.iter().map(service_node).collect()),
            ),
            Err(e) => internal(format, e),
        },
        "requests" => search(&state, &params, &headers, format).await,
        _ => not_found(format, "unknown resource"),
    }
}

fn discovery(config: &Config, headers: &HeaderMap, format: Format) -> Response {
    let base = config.public_url.clone().unwrap_or_else(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let scheme = headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("http");
        format!("{scheme}://{host}")
    });
    let l = locale(headers);
    let endpoint = Node::Obj(vec![
        ("specification", text(SPECIFICATION)),
        (
            "url",
            text(format!("{}/open311/v2", base.trim_end_matches('/'))),
        ),
        ("changeset", text(CHANGESET)),
        ("type", text("production")),
        (
            "formats",
            Node::List("format", vec![text("text/xml"), text("application/json")]),
        ),
    ]);
    ok(
        format,
        "discovery",
        Node::Obj(vec![
            ("changeset", text(CHANGESET)),
            ("contact", text(open311_text::contact(l))),
            ("key_service", text(open311_text::key_service(l))),
            ("endpoints", Node::List("endpoint", vec![endpoint])),
        ]),
    )
}

fn service_node(s: &Service) -> Node {
    Node::Obj(vec![
        ("service_code", text(&s.code)),
        ("service_name", text(&s.name)),
        ("description", text(&s.description)),
        ("metadata", Node::Bool(!s.attributes.is_empty())),
        ("type", text("realtime")),
        ("keywords", text(&s.keywords)),
        ("group", text(&s.group)),
    ])
}

async fn service_definition(State(state): State<AppState>, call: Call) -> Response {
    let (code, format) = (call.name.as_str(), call.format);
    let service = match store::open311::service(&state.pool, code).await {
        Ok(Some(s)) => s,
        Ok(None) => return not_found(format, "service_code not found"),
        Err(e) => return internal(format, e),
    };
    let attributes = service
        .attributes
        .iter()
        .map(|a| {
            Node::Obj(vec![
                ("variable", Node::Bool(true)),
                ("code", text(&a.code)),
                ("datatype", text(a.datatype.as_str())),
                ("required", Node::Bool(a.required)),
                ("datatype_description", Node::Null),
                ("order", Node::Int(a.order)),
                ("description", text(&a.description)),
                (
                    "values",
                    Node::List(
                        "value",
                        a.values
                            .iter()
                            .map(|v| {
                                Node::Obj(vec![("key", text(&v.key)), ("name", text(&v.name))])
                            })
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    ok(
        format,
        "service_definition",
        Node::Obj(vec![
            ("service_code", text(&service.code)),
            ("attributes", Node::List("attribute", attributes)),
        ]),
    )
}

fn request_node(r: &PublishedRequest, l: Locale) -> Node {
    Node::Obj(vec![
        ("service_request_id", text(r.id.to_string())),
        (
            "status",
            text(if r.is_closed() { "closed" } else { "open" }),
        ),
        ("status_notes", text(app::labels::status(l, r.status))),
        ("service_name", text(&r.service_name)),
        ("service_code", text(&r.service_code)),
        ("description", text(&r.description)),
        ("agency_responsible", opt(r.agency_responsible.clone())),
        ("service_notice", Node::Null),
        (
            "requested_datetime",
            text(spec::format_datetime(r.requested)),
        ),
        ("updated_datetime", text(spec::format_datetime(r.updated))),
        (
            "expected_datetime",
            opt(r.expected.map(spec::format_datetime)),
        ),
        ("address", text(&r.address)),
        ("address_id", opt(r.address_id.map(|id| id.to_string()))),
        ("zipcode", Node::Null),
        ("lat", r.lat.map(Node::Float).unwrap_or(Node::Null)),
        ("long", r.long.map(Node::Float).unwrap_or(Node::Null)),
        ("media_url", Node::Null),
    ])
}

fn requests(format: Format, list: &[PublishedRequest], l: Locale) -> Response {
    ok(
        format,
        "service_requests",
        Node::List("request", list.iter().map(|r| request_node(r, l)).collect()),
    )
}

fn bad_request(format: Format, description: &str) -> Response {
    error(format, StatusCode::BAD_REQUEST, description)
}

async fn search(
    state: &AppState,
    params: &Params,
    headers: &HeaderMap,
    format: Format,
) -> Response {
    // Every filter must be well formed, even one that ids make moot.
    let date = |key: &str| match params.filter(key) {
        None => Ok(None),
        Some(raw) => spec::parse_datetime(raw)
            .map(Some)
            .ok_or_else(|| format!("{key} is not a W3C datetime (e.g. 2026-11-28T09:00:00+08:00)")),
    };
    let (start, end) = match (date("start_date"), date("end_date")) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(m), _) | (_, Err(m)) => return bad_request(format, &m),
    };
    let (open, closed) = match params.filter("status").map(spec::parse_status) {
        None => (true, true),
        Some(Ok(s)) => s,
        Some(Err(m)) => return bad_request(format, m),
    };
    let search = if let Some(ids) = params.get("service_request_id") {
        let ids: Result<Vec<i64>, _> = ids
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect();
        match ids {
            Ok(ids) if ids.len() <= MAX_IDS => Search::Ids(ids),
            Ok(_) => {
                return bad_request(format, "service_request_id may name at most 1000 requests");
            }
            Err(_) => {
                return bad_request(
                    format,
                    "service_request_id must be a comma-separated list of ids",
                );
            }
        }
    } else {
        let (from, to) = match spec::window(start, end, Utc::now()) {
            Ok(w) => w,
            Err(m) => return bad_request(format, m),
        };
        let service_codes: Vec<String> = params
            .get("service_code")
            .map(|c| {
                c.split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        for code in &service_codes {
            match store::open311::service(&state.pool, code).await {
                Ok(Some(_)) => {}
                Ok(None) => {
                    return bad_request(format, &format!("service_code {code} is not a service"));
                }
                Err(e) => return internal(format, e),
            }
        }
        Search::Filter {
            service_codes,
            from,
            to,
            open,
            closed,
        }
    };
    match store::open311::search(&state.pool, &search, Utc::now()).await {
        Ok(list) => requests(format, &list, locale(headers)),
        Err(e) => internal(format, e),
    }
}

/// A method a top-level resource does not answer: 405 with the methods it
/// does (requests are searched and posted, discovery and services only
/// read), or 404 for no such resource.
async fn other_method(call: Call) -> Response {
    let allowed = match call.name.as_str() {
        "requests" => "GET, HEAD, POST",
        "discovery" | "services" => "GET, HEAD",
        _ => return not_found(call.format, "unknown resource"),
    };
    let mut refused = error(
        call.format,
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("only {allowed} here"),
    );
    refused
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allowed));
    refused
}

async fn one_request(State(state): State<AppState>, call: Call, headers: HeaderMap) -> Response {
    let (id, format) = (call.name.as_str(), call.format);
    let Ok(id) = id.parse::<i64>() else {
        return not_found(format, "service_request_id not found");
    };
    match store::open311::published(&state.pool, id, Utc::now()).await {
        Ok(r) => requests(format, &[r], locale(&headers)),
        Err(StoreError::NotFound) => not_found(format, "service_request_id not found"),
        Err(e) => internal(format, e),
    }
}

async fn token(State(state): State<AppState>, call: Call) -> Response {
    let (token, format) = (call.name.as_str(), call.format);
    match store::open311::by_token(&state.pool, token).await {
        Ok(Some(id)) => ok(
            format,
            "service_requests",
            Node::List(
                "request",
                vec![Node::Obj(vec![
                    ("service_request_id", text(id.to_string())),
                    ("token", text(token)),
                ])],
            ),
        ),
        Ok(None) => not_found(format, "token not found"),
        Err(e) => internal(format, e),
    }
}

/// A store field error in the spec's terms (its parameter names).
fn describe(field: &str, message: &str) -> String {
    let param = match field {
        "resident_name" => "first_name/last_name",
        "resident_phone" => "phone",
        "title" => "description",
        f => f,
    };
    match (field, message) {
        ("attribute", m) => m.to_string(),
        ("location", _) => {
            "a location is required: lat and long, address_string or address_id".into()
        }
        ("description", "too_long") => {
            format!(
                "description is longer than {} characters",
                domain::intake::MAX_API_DESCRIPTION
            )
        }
        ("description", "html") => "description may not contain HTML".into(),
        ("lat", "outside") => {
            "lat/long is not within 1.5 km of any compound of this jurisdiction".into()
        }
        ("address_id", "too_coarse") => {
            "address_id must be a community or a place within one".into()
        }
        ("address_string", "ambiguous") => {
            "address_string matches several compounds; send address_id instead".into()
        }
        ("address_string", "unknown") => {
            "address_string names no compound of this jurisdiction".into()
        }
        (_, "required") => format!("{param} is required"),
        (_, "too_long") => format!("{param} is too long"),
        (_, "unknown") => format!("{param} is not known"),
        (_, "invalid_phone") => format!("{param} is not a phone number"),
        (_, "invalid") => format!("{param} is not valid"),
        (_, m) => format!("{param}: {m}"),
    }
}

async fn create(
    State(state): State<AppState>,
    call: Call,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let format = call.format;
    if call.name != "requests" {
        return other_method(call).await;
    }
    // The spec posts a form; parameters in the query string count too.
    let mut params = Params::parse(&body);
    params.0.extend(call.params.0);
    if let Some(refused) = foreign_jurisdiction(&call.config, &params, format) {
        return refused;
    }
    let now = Utc::now();
    let key_id = match params.get("api_key") {
        None => return error(format, StatusCode::FORBIDDEN, "api_key is required"),
        Some(key) => match store::open311::key_id(&state.pool, key, now).await {
            Ok(Some(id)) => id,
            Ok(None) => return error(format, StatusCode::FORBIDDEN, "api_key is not valid"),
            Err(e) => return internal(format, e),
        },
    };
    let number = |key: &str| match params.get(key) {
        None => Ok(None),
        Some(raw) => raw
            .parse::<f64>()
            .map(Some)
            .map_err(|_| format!("{key} is not a number")),
    };
    let (lat, long) = match (number("lat"), number("long")) {
        (Ok(lat), Ok(long)) => (lat, long),
        (Err(m), _) | (_, Err(m)) => return bad_request(format, &m),
    };
    let field = |key: &str| params.get(key).unwrap_or_default().to_string();
    let submission = Submission {
        service_code: field("service_code"),
        lat,
        long,
        address_string: params.get("address_string").map(String::from),
        address_id: params.get("address_id").map(String::from),
        description: field("description"),
        first_name: field("first_name"),
        last_name: field("last_name"),
        phone: field("phone"),
        email: field("email"),
        device_id: field("device_id"),
        account_id: field("account_id"),
        media_url: field("media_url"),
        attributes: params.attributes(),
    };
    match store::open311::submit(&state.pool, key_id, &submission, now).await {
        Ok(done) => {
            let l = locale(&headers);
            let notice = open311_text::notice(l, &done.code, &done.pin);
            ok(
                format,
                "service_requests",
                Node::List(
                    "request",
                    vec![Node::Obj(vec![
                        ("service_request_id", text(done.id.to_string())),
                        ("token", text(done.token)),
                        ("service_notice", text(notice)),
                        (
                            "account_id",
                            opt(params.get("account_id").map(String::from)),
                        ),
                    ])],
                ),
            )
        }
        Err(StoreError::Invalid(errors)) => {
            let description = errors
                .iter()
                .map(|e| describe(&e.field, &e.message))
                .collect::<Vec<_>>()
                .join("; ");
            bad_request(format, &description)
        }
        Err(e) => internal(format, e),
    }
}

#[cfg(test)]
mod tests {
    use crate::http::tests::{app, body};
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use serde_json::Value;
    use store::demo::DEMO_API_KEY;
    use tower::ServiceExt;

    const REQUEST_FIELDS: [&str; 17] = [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ];

    async fn get(app: &Router, uri: &str) -> (StatusCode, String) {
        let res = app
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        (status, body(res).await)
    }

    async fn post(app: &Router, uri: &str, form: &str) -> (StatusCode, String) {
        let res = app
            .clone()
            .oneshot(
                Request::post(uri)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(form.to_string()))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = res.status();
        (status, body(res).await)
    }

    fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    /// Names of an XML element's child elements, in order.
    fn children<'a>(node: roxmltree::Node<'a, 'a>) -> Vec<&'a str> {
        node.children()
            .filter(|n| n.is_element())
            .map(|n| n.tag_name().name())
            .collect()
    }

    fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
        node.children()
            .find(|n| n.has_tag_name(name))
            .and_then(|n| n.text())
    }

    fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    }

    fn sorted(fields: &[&str]) -> Vec<String> {
        let mut f: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        f.sort();
        f
    }

    /// The spec's error document in both formats.
    async fn assert_error(
        app: &Router,
        method_post: Option<&str>,
        uri: &str,
        status: StatusCode,
        needle: &str,
    ) {
        for format in ["json", "xml"] {
            let uri = uri.replace("{fmt}", format);
            let (got, text) = match method_post {
                Some(form) => post(app, &uri, form).await,
                None => get(app, &uri).await,
            };
            assert_eq!(got, status, "{uri}: {text}");
            if format == "json" {
                let v = json(&text);
                assert_eq!(v[0]["code"], Value::from(status.as_u16()), "{text}");
                let d = v[0]["description"].as_str().unwrap();
                assert!(d.contains(needle), "{uri}: {d}");
            } else {
                let doc = roxmltree::Document::parse(&text).unwrap();
                let root = doc.root_element();
                assert_eq!(root.tag_name().name(), "errors");
                let error = root.first_element_child().unwrap();
                assert_eq!(error.tag_name().name(), "error");
                assert_eq!(child_text(error, "code"), Some(status.as_str()));
                assert!(
                    child_text(error, "description").unwrap().contains(needle),
                    "{text}"
                );
            }
        }
    }

    fn lamp_form(extra: &str) -> String {
        format!(
            "api_key={DEMO_API_KEY}&service_code=lighting&description=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE&{extra}"
        )
    }

    #[tokio::test]
    async fn discovery_and_services_follow_the_spec_in_both_formats() {
        let (app, pool, _db) = app().await;
        let (status, text) = get(&app, "/open311/v2/discovery.json").await;
        assert_eq!(status, StatusCode::OK);
        let d = json(&text);
        assert_eq!(
            keys(&d),
            sorted(&["changeset", "contact", "key_service", "endpoints"])
        );
        let endpoint = &d["endpoints"][0];
        assert_eq!(
            endpoint["specification"],
            "http://wiki.open311.org/GeoReport_v2"
        );
        assert!(endpoint["url"].as_str().unwrap().ends_with("/open311/v2"));
        assert_eq!(
            endpoint["formats"],
            serde_json::json!(["text/xml", "application/json"])
        );
        let (_, text) = get(&app, "/open311/v2/discovery.xml").await;
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "discovery");
        let endpoint = doc
            .descendants()
            .find(|n| n.has_tag_name("endpoint"))
            .unwrap();
        assert_eq!(
            children(endpoint),
            ["specification", "url", "changeset", "type", "formats"]
        );
        let formats: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("format"))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(formats, ["text/xml", "application/json"]);

        let categories: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM categories")
            .fetch_one(&pool)
            .await
            .unwrap();
        let (status, text) = get(&app, "/open311/v2/services.json").await;
        assert_eq!(status, StatusCode::OK);
        let services = json(&text);
        let services = services.as_array().unwrap();
        assert_eq!(services.len() as i64, categories);
        let fields = [
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ];
        for s in services {
            assert_eq!(keys(s), sorted(&fields));
            assert_eq!(s["type"], "realtime");
            let with_attributes =
                ["lighting", "water"].contains(&s["service_code"].as_str().unwrap());
            assert_eq!(s["metadata"], Value::Bool(with_attributes), "{s}");
        }
        let (_, text) = get(&app, "/open311/v2/services.xml").await;
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "services");
        let listed: Vec<_> = doc
            .root_element()
            .children()
            .filter(|n| n.is_element())
            .collect();
        assert_eq!(listed.len() as i64, categories);
        assert!(
            listed
                .iter()
                .all(|s| s.has_tag_name("service") && children(*s) == fields)
        );

        // A service definition, with its attribute and list values.
        let (status, text) = get(&app, "/open311/v2/services/water.json").await;
        assert_eq!(status, StatusCode::OK);
        let def = json(&text);
        assert_eq!(def["service_code"], "water");
        let attribute = &def["attributes"][0];
        assert_eq!(
            keys(attribute),
            sorted(&[
                "variable",
                "code",
                "datatype",
                "required",
                "datatype_description",
                "order",
                "description",
                "values"
            ])
        );
        assert_eq!(attribute["code"], "supply");
        assert_eq!(attribute["datatype"], "singlevaluelist");
        assert_eq!(attribute["required"], true);
        assert_eq!(
            attribute["values"][1],
            serde_json::json!({"key": "hot", "name": "热水"})
        );
        let (_, text) = get(&app, "/open311/v2/services/water.xml").await;
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "service_definition");
        let keys_xml: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("key"))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(keys_xml, ["cold", "hot", "drain"]);
        // A service without extra fields has an empty list.
        let (_, text) = get(&app, "/open311/v2/services/road.json").await;
        assert_eq!(json(&text)["attributes"], serde_json::json!([]));

        assert_error(
            &app,
            None,
            "/open311/v2/services/teleport.{fmt}",
            StatusCode::NOT_FOUND,
            "service_code",
        )
        .await;
        assert_error(
            &app,
            None,
            "/open311/v2/nothing.{fmt}",
            StatusCode::NOT_FOUND,
            "unknown",
        )
        .await;
        assert_error(
            &app,
            None,
            "/open311/v2/services.{fmt}?jurisdiction_id=elsewhere",
            StatusCode::NOT_FOUND,
            "jurisdiction_id",
        )
        .await;
        let (status, _) = get(&app, "/open311/v2/services.json?jurisdiction_id=lvliang").await;
        assert_eq!(status, StatusCode::OK);
        let (status, text) = get(&app, "/open311/v2/services.yaml").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(text.contains("<errors>"));
    }

    #[tokio::test]
    async fn posting_takes_a_live_key_and_good_input() {
        let (app, pool, _db) = app().await;
        let tree = store::reference::region_tree(&pool).await.unwrap();
        let compound = tree
            .within("")
            .find(|n| n.level() == Some(domain::RegionLevel::Compound))
            .unwrap()
            .clone();
        let place = format!("address_id={}", compound.id);

        let without_key = lamp_form(&place).replace(&format!("api_key={DEMO_API_KEY}&"), "");
        assert_error(
            &app,
            Some(&without_key),
            "/open311/v2/requests.{fmt}",
            StatusCode::FORBIDDEN,
            "api_key",
        )
        .await;
        // Resources that only answer GET say so (schemathesis asked).
        for what in ["discovery", "services"] {
            assert_error(
                &app,
                Some(&lamp_form(&place)),
                &format!("/open311/v2/{what}.{{fmt}}"),
                StatusCode::METHOD_NOT_ALLOWED,
                "only GET, HEAD here",
            )
            .await;
        }
        let res = app
            .clone()
            .oneshot(
                Request::delete("/open311/v2/requests.json")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(res.headers()[header::ALLOW], "GET, HEAD, POST");
        let wrong_key = lamp_form(&place).replace(DEMO_API_KEY, "guess");
        assert_error(
            &app,
            Some(&wrong_key),
            "/open311/v2/requests.{fmt}",
            StatusCode::FORBIDDEN,
            "api_key",
        )
        .await;

        let long = "%E5%AD%97".repeat(domain::intake::MAX_API_DESCRIPTION + 1);
        let bad = [
            (lamp_form("lat=north&long=111.1"), "lat is not a number"),
            (lamp_form(""), "a location is required"),
            (
                lamp_form("address_string=%E7%81%AB%E6%98%9F"),
                "address_string",
            ),
            (lamp_form("lat=0&long=0"), "within 1.5 km"),
            (
                lamp_form(&place).replace("service_code=lighting", "service_code=teleport"),
                "service_code is not known",
            ),
            (
                lamp_form(&place).replace("service_code=lighting&", ""),
                "service_code is required",
            ),
            (
                lamp_form(&place).replace(
                    "description=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE",
                    &format!("description={long}"),
                ),
                "longer than 4000",
            ),
            (
                lamp_form(&place).replace(
                    "description=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE",
                    "description=%3Cb%3Ehi%3C%2Fb%3E",
                ),
                "HTML",
            ),
            (
                lamp_form(&place).replace("service_code=lighting", "service_code=water"),
                "attribute[supply] is required",
            ),
            (
                lamp_form(&format!("{place}&email=nobody")),
                "email is not valid",
            ),
            (
                lamp_form(&format!("{place}&phone=call+me")),
                "phone is not a phone number",
            ),
        ];
        for (form, needle) in bad {
            assert_error(
                &app,
                Some(&form),
                "/open311/v2/requests.{fmt}",
                StatusCode::BAD_REQUEST,
                needle,
            )
            .await;
        }
        let cases_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(
            cases_before,
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cases WHERE source <> 'open311'")
                .fetch_one(&pool)
                .await
                .unwrap(),
            "refused requests leave nothing behind"
        );

        // Accepted, in both formats; the token leads to the id.
        let contact = "first_name=%E4%B8%BD%E5%8D%8E&last_name=%E7%8E%8B&phone=13912345678&email=wang%40example.cn&account_id=a-7";
        let (status, text) = post(
            &app,
            "/open311/v2/requests.json",
            &lamp_form(&format!("{place}&{contact}")),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let created = json(&text);
        let created = &created[0];
        assert_eq!(
            keys(created),
            sorted(&[
                "service_request_id",
                "token",
                "service_notice",
                "account_id"
            ])
        );
        assert_eq!(created["account_id"], "a-7");
        let id = created["service_request_id"].as_str().unwrap().to_string();
        let token = created["token"].as_str().unwrap().to_string();
        let code: String = sqlx::query_scalar("SELECT code FROM cases WHERE id = $1")
            .bind(id.parse::<i64>().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
        let notice = created["service_notice"].as_str().unwrap();
        assert!(
            notice.contains(&domain::TrackingCode::parse(&code).unwrap().to_string()),
            "{notice}"
        );

        let (status, text) = post(
            &app,
            "/open311/v2/requests.xml",
            &lamp_form(&format!("{place}&attribute%5Bpole_number%5D=LS-0231")),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "service_requests");
        let request = doc.root_element().first_element_child().unwrap();
        assert_eq!(
            children(request),
            [
                "service_request_id",
                "token",
                "service_notice",
                "account_id"
            ]
        );

        let (status, text) = get(&app, &format!("/open311/v2/tokens/{token}.json")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            json(&text),
            serde_json::json!([{"service_request_id": id, "token": token}])
        );
        let (_, text) = get(&app, &format!("/open311/v2/tokens/{token}.xml")).await;
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(
            child_text(
                doc.root_element().first_element_child().unwrap(),
                "service_request_id"
            ),
            Some(id.as_str())
        );
        assert_error(
            &app,
            None,
            "/open311/v2/tokens/nope.{fmt}",
            StatusCode::NOT_FOUND,
            "token",
        )
        .await;

        // A revoked key is refused.
        store::open311::revoke_key(
            &pool,
            &store::events::By::named("test"),
            store::demo::DEMO_API_KEY_NAME,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        assert_error(
            &app,
            Some(&lamp_form(&place)),
            "/open311/v2/requests.{fmt}",
            StatusCode::FORBIDDEN,
            "api_key",
        )
        .await;
    }

    #[tokio::test]
    async fn requests_are_searched_with_the_specs_defaults_and_filters() {
        let (app, pool, _db) = app().await;
        let recent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE created_at >= $1")
            .bind(store::db::Stamp(
                chrono::Utc::now() - chrono::Duration::days(90),
            ))
            .fetch_one(&pool)
            .await
            .unwrap();
        let (status, text) = get(&app, "/open311/v2/requests.json").await;
        assert_eq!(status, StatusCode::OK);
        let all = json(&text);
        let all = all.as_array().unwrap().clone();
        assert_eq!(
            all.len() as i64,
            recent.min(1000),
            "the last 90 days by default"
        );
        for r in &all {
            assert_eq!(keys(r), sorted(&REQUEST_FIELDS));
            assert!(["open", "closed"].contains(&r["status"].as_str().unwrap()));
            chrono::DateTime::parse_from_rfc3339(r["requested_datetime"].as_str().unwrap())
                .unwrap();
            assert!(
                r["requested_datetime"]
                    .as_str()
                    .unwrap()
                    .ends_with("+08:00")
            );
        }
        let (_, text) = get(&app, "/open311/v2/requests.xml").await;
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "service_requests");
        let xml: Vec<_> = doc
            .root_element()
            .children()
            .filter(|n| n.is_element())
            .collect();
        assert_eq!(xml.len(), all.len());
        assert!(
            xml.iter()
                .all(|r| r.has_tag_name("request") && children(*r) == REQUEST_FIELDS)
        );

        let (_, text) = get(
            &app,
            "/open311/v2/requests.json?status=closed&service_code=road",
        )
        .await;
        let closed_roads = json(&text);
        let closed_roads = closed_roads.as_array().unwrap();
        assert!(!closed_roads.is_empty());
        assert!(
            closed_roads
                .iter()
                .all(|r| r["status"] == "closed" && r["service_code"] == "road")
        );
        assert_eq!(
            closed_roads.len(),
            all.iter()
                .filter(|r| r["status"] == "closed" && r["service_code"] == "road")
                .count()
        );
        let (_, text) = get(&app, "/open311/v2/requests.json?status=open").await;
        assert!(
            json(&text)
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["status"] == "open")
        );

        // Ids override the other parameters.
        let open = all.iter().find(|r| r["status"] == "open").unwrap();
        let id = open["service_request_id"].as_str().unwrap();
        let (_, text) = get(
            &app,
            &format!("/open311/v2/requests.json?service_request_id={id},999999&status=closed"),
        )
        .await;
        let picked = json(&text);
        assert_eq!(picked.as_array().unwrap().len(), 1);
        assert_eq!(&picked[0], open);
        let (status, text) = get(&app, &format!("/open311/v2/requests/{id}.json")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&json(&text)[0], open);
        let (_, text) = get(&app, &format!("/open311/v2/requests/{id}.xml")).await;
        let doc = roxmltree::Document::parse(&text).unwrap();
        let one = doc.root_element().first_element_child().unwrap();
        assert_eq!(child_text(one, "service_request_id"), Some(id));
        assert_eq!(child_text(one, "status"), Some("open"));

        // A window in the past finds nothing, and dates are checked.
        let (_, text) = get(&app, "/open311/v2/requests.json?start_date=2001-01-01T00:00:00Z&end_date=2001-02-01T00:00:00Z").await;
        assert_eq!(json(&text), serde_json::json!([]));
        let (_, text) = get(
            &app,
            "/open311/v2/requests.xml?start_date=2001-01-01&end_date=2001-02-01",
        )
        .await;
        assert!(text.contains("<service_requests/>"), "{text}");
        for (query, needle) in [
            ("start_date=yesterday", "start_date is not a W3C datetime"),
            ("end_date=2026-13-40", "end_date is not a W3C datetime"),
            ("start_date=2026-01-01&end_date=2026-06-01", "90 days"),
            (
                "start_date=2026-06-01&end_date=2026-01-01",
                "before start_date",
            ),
            ("status=pending", "status must be"),
            // Blank is not empty: the spec's "" means no filter, a space
            // (or a no-break space, as schemathesis sent) names no status.
            ("status=%20", "status must be"),
            ("status=%C2%A0", "status must be"),
            ("start_date=%20", "start_date is not a W3C datetime"),
            (
                "service_code=teleport",
                "service_code teleport is not a service",
            ),
            ("service_request_id=1,x", "comma-separated"),
            // Moot beside ids, but still malformed (schemathesis asked).
            ("service_request_id=1&start_date=yesterday", "start_date"),
        ] {
            assert_error(
                &app,
                None,
                &format!("/open311/v2/requests.{{fmt}}?{query}"),
                StatusCode::BAD_REQUEST,
                needle,
            )
            .await;
        }
        assert_error(
            &app,
            None,
            "/open311/v2/requests/999999.{fmt}",
            StatusCode::NOT_FOUND,
            "not found",
        )
        .await;
        assert_error(
            &app,
            None,
            "/open311/v2/requests/abc.{fmt}",
            StatusCode::NOT_FOUND,
            "not found",
        )
        .await;
    }

    #[tokio::test]
    async fn no_response_carries_personal_data() {
        let (app, pool, _db) = app().await;
        // One request through the API with a name, phone and e-mail in it.
        let tree = store::reference::region_tree(&pool).await.unwrap();
        let compound = tree
            .within("")
            .find(|n| n.level() == Some(domain::RegionLevel::Compound))
            .unwrap()
            .id;
        let description = "我是王丽华，电话13912345678，邮箱wang%40example.cn";
        let form = format!(
            "api_key={DEMO_API_KEY}&service_code=lighting&address_id={compound}&description={description}\
             &first_name=%E4%B8%BD%E5%8D%8E&last_name=%E7%8E%8B&phone=13912345678&email=wang%40example.cn"
        );
        let (status, text) = post(&app, "/open311/v2/requests.json", &form).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let id = json(&text)[0]["service_request_id"]
            .as_str()
            .unwrap()
            .to_string();
        let mut people: Vec<String> = sqlx::query_as::<_, (String, String)>(
            "SELECT resident_name, resident_phone FROM cases",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|(n, p)| [n, p])
        .filter(|s| !s.is_empty())
        .collect();
        people.push("wang@example.cn".into());
        let buildings: Vec<String> = tree
            .within("")
            .filter(|n| n.level() == Some(domain::RegionLevel::Building))
            .map(|n| format!("/ {}", n.name))
            .collect();
        for format in ["json", "xml"] {
            for uri in [
                format!("/open311/v2/requests.{format}"),
                format!("/open311/v2/requests/{id}.{format}"),
                format!("/open311/v2/requests.{format}?status=closed"),
                format!("/open311/v2/services.{format}"),
                format!("/open311/v2/discovery.{format}"),
            ] {
                let (status, text) = get(&app, &uri).await;
                assert_eq!(status, StatusCode::OK);
                for p in &people {
                    assert!(!text.contains(p.as_str()), "{uri} shows {p}");
                }
                for b in &buildings {
                    assert!(!text.contains(b.as_str()), "{uri} names a building");
                }
            }
        }
        let (_, text) = get(&app, &format!("/api/v1/requests/{id}/timeline")).await;
        for p in &people {
            assert!(!text.contains(p.as_str()), "the timeline shows {p}");
        }
    }

    #[tokio::test]
    async fn the_json_api_is_described_by_a_generated_openapi_document() {
        let (app, pool, _db) = app().await;
        let (status, text) = get(&app, "/api/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        let doc = json(&text);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.contains_key("/api/v1/requests/{id}/timeline"));
        assert!(paths.contains_key("/api/v1/stats"));
        assert!(doc["components"]["schemas"]["Timeline"].is_object());
        // As the handler reads it: `?region_id=`, optional (schemathesis
        // found it declared as a path segment).
        let region = &doc["paths"]["/api/v1/stats"]["get"]["parameters"][0];
        assert_eq!(
            (&region["name"], &region["in"]),
            (&"region_id".into(), &"query".into())
        );
        assert_ne!(region["required"], true);

        let id: i64 =
            sqlx::query_scalar("SELECT id FROM cases WHERE status = 'closed' ORDER BY id LIMIT 1")
                .fetch_one(&pool)
                .await
                .unwrap();
        let (status, text) = get(&app, &format!("/api/v1/requests/{id}/timeline")).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let timeline = json(&text);
        assert_eq!(timeline["status"], "closed");
        let events = timeline["events"].as_array().unwrap();
        assert_eq!(events[0]["kind"], "registered");
        assert_eq!(events.last().unwrap()["step"], "closed");
        assert!(
            events
                .iter()
                .all(|e| keys(e) == sorted(&["kind", "status", "step", "at"]))
        );
        let (status, _) = get(&app, "/api/v1/requests/999999/timeline").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (status, text) = get(&app, "/api/v1/stats").await;
        assert_eq!(status, StatusCode::OK);
        let stats = json(&text);
        let collected: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE status <> 'merged'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(stats["total"]["collected"], collected);
        assert_eq!(stats["months"].as_array().unwrap().len(), 12);
        let (status, _) = get(&app, "/api/v1/stats?region_id=999999").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = get(&app, "/api/v1/stats?region_id=abc").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}
