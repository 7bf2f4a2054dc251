//! Open311 GeoReport v2 as pure rules: service attributes and how request
//! values are checked against them, the search window of `GET requests`,
//! dates in the spec's format, and what a published request carries. The HTTP
//! side (paths, XML and JSON) lives in the server.

use crate::case::Status;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `GET requests` without dates covers this many days, and no search may span more.
pub const MAX_SPAN_DAYS: i64 = 90;
/// The most requests one search returns.
pub const MAX_RECORDS: usize = 1000;
/// A request found by coordinates belongs to the nearest compound within this distance.
pub const MAX_DISTANCE_M: f64 = 1500.0;
/// Longest value of a `string` attribute.
const MAX_STRING: usize = 200;

/// The datatypes the spec allows for attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeType {
    String,
    Number,
    Datetime,
    Text,
    SingleValueList,
    MultiValueList,
}

impl AttributeType {
    pub const ALL: [AttributeType; 6] = [
        Self::String,
        Self::Number,
        Self::Datetime,
        Self::Text,
        Self::SingleValueList,
        Self::MultiValueList,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Datetime => "datetime",
            Self::Text => "text",
            Self::SingleValueList => "singlevaluelist",
            Self::MultiValueList => "multivaluelist",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    fn is_list(self) -> bool {
        matches!(self, Self::SingleValueList | Self::MultiValueList)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// An extra field of a category (a service's attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAttribute {
    pub code: String,
    pub datatype: AttributeType,
    pub required: bool,
    pub description: String,
    pub order: i64,
    pub values: Vec<AttributeValue>,
}

/// A category as an Open311 service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub code: String,
    pub name: String,
    pub description: String,
    pub keywords: String,
    pub group: String,
    pub attributes: Vec<ServiceAttribute>,
}

/// Checks the `attribute[code]` values of a request against the service's
/// attributes: every code known, required ones present, list values among
/// the keys, numbers and datetimes readable, one value unless a multi-value
/// list. Returns the values by code, or the first problem in words.
pub fn check_attributes(
    attributes: &[ServiceAttribute],
    given: &[(String, String)],
) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (code, value) in given {
        let Some(attr) = attributes.iter().find(|a| &a.code == code) else {
            return Err(format!(
                "attribute[{code}] is not an attribute of this service"
            ));
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let ok = match attr.datatype {
            AttributeType::String => value.chars().count() <= MAX_STRING,
            AttributeType::Text => value.chars().count() <= crate::intake::MAX_API_DESCRIPTION,
            AttributeType::Number => value.parse::<f64>().is_ok_and(f64::is_finite),
            AttributeType::Datetime => parse_datetime(value).is_some(),
            AttributeType::SingleValueList | AttributeType::MultiValueList => {
                attr.values.iter().any(|v| v.key == value)
            }
        };
        if !ok {
            return Err(match attr.datatype {
                t if t.is_list() => format!("attribute[{code}] must be one of the listed keys"),
                t => format!("attribute[{code}] is not a valid {}", t.as_str()),
            });
        }
        let entry = values.entry(code.clone()).or_default();
        if !entry.is_empty() && attr.datatype != AttributeType::MultiValueList {
            return Err(format!("attribute[{code}] takes one value"));
        }
        entry.push(value.to_string());
    }
    if let Some(missing) = attributes
        .iter()
        .find(|a| a.required && !values.contains_key(&a.code))
    {
        return Err(format!("attribute[{}] is required", missing.code));
    }
    Ok(values)
}

/// Reads a date as clients send it: a full W3C/RFC 3339 datetime, a local
/// datetime without offset, or a bare date (both read in China's time zone).
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let china = crate::deadline::china();
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    china
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// A datetime as the spec writes it: ISO 8601 with the offset, in China's time zone.
pub fn format_datetime(t: DateTime<Utc>) -> String {
    let china: FixedOffset = crate::deadline::china();
    t.with_timezone(&china)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The `requested_datetime` window of `GET requests`: the last 90 days by
/// default; a start alone runs 90 days on, an end alone 90 days back.
pub fn window(
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), &'static str> {
    let span = chrono::Duration::days(MAX_SPAN_DAYS);
    match (start, end) {
        (None, None) => Ok((now - span, now)),
        (Some(s), None) => Ok((s, s + span)),
        (None, Some(e)) => Ok((e - span, e)),
        (Some(s), Some(e)) if e < s => Err("end_date is before start_date"),
        (Some(s), Some(e)) if e - s > span => {
            Err("start_date and end_date may not span more than 90 days")
        }
        (Some(s), Some(e)) => Ok((s, e)),
    }
}

/// Which statuses `status=open,closed` asks for: (open, closed).
pub fn parse_status(s: &str) -> Result<(bool, bool), &'static str> {
    let mut open = false;
    let mut closed = false;
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "open" => open = true,
            "closed" => closed = true,
            _ => return Err("status must be open, closed or both"),
        }
    }
    if open || closed {
        Ok((open, closed))
    } else {
        Err("status must be open, closed or both")
    }
}

/// Whether text holds markup: a tag, comment or processing instruction.
pub fn looks_like_html(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?')))
}

/// Whether coordinates are on the globe.
pub fn valid_position(lat: f64, long: f64) -> bool {
    lat.is_finite()
        && long.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&long)
}

/// Great-circle distance in metres.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_000.0;
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// A request as Open311 publishes it: no resident's data, the place no finer
/// than the compound, the description redacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedRequest {
    pub id: i64,
    pub status: Status,
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    pub agency_responsible: Option<String>,
    pub requested: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// The deadline the case runs against now, when its clock runs.
    pub expected: Option<DateTime<Utc>>,
    pub address: String,
    pub address_id: Option<i64>,
    /// The compound's position, never the reporter's.
    pub lat: Option<f64>,
    pub long: Option<f64>,
}

impl PublishedRequest {
    /// Open311 knows two states: everything not finished is open.
    pub fn is_closed(&self) -> bool {
        self.status.step() == crate::case::Step::Closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(code: &str, datatype: AttributeType, required: bool) -> ServiceAttribute {
        ServiceAttribute {
            code: code.into(),
            datatype,
            required,
            description: String::new(),
            order: 1,
            values: ["cold", "hot"]
                .iter()
                .map(|k| AttributeValue {
                    key: (*k).into(),
                    name: (*k).into(),
                })
                .collect(),
        }
    }

    fn given(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn attributes_are_checked_against_their_definition() {
        let defs = [
            attr("supply", AttributeType::SingleValueList, true),
            attr("floors", AttributeType::Number, false),
            attr("rooms", AttributeType::MultiValueList, false),
        ];
        let ok = check_attributes(
            &defs,
            &given(&[("supply", "hot"), ("rooms", "cold"), ("rooms", "hot")]),
        )
        .unwrap();
        assert_eq!(ok["supply"], vec!["hot"]);
        assert_eq!(ok["rooms"].len(), 2);
        let err = |pairs: &[(&str, &str)]| check_attributes(&defs, &given(pairs)).unwrap_err();
        assert_eq!(err(&[]), "attribute[supply] is required");
        assert_eq!(
            err(&[("supply", "warm")]),
            "attribute[supply] must be one of the listed keys"
        );
        assert_eq!(
            err(&[("supply", "hot"), ("supply", "cold")]),
            "attribute[supply] takes one value"
        );
        assert_eq!(
            err(&[("supply", "hot"), ("floors", "three")]),
            "attribute[floors] is not a valid number"
        );
        assert_eq!(
            err(&[("supply", "hot"), ("colour", "red")]),
            "attribute[colour] is not an attribute of this service"
        );
    }

    #[test]
    fn dates_read_with_or_without_offset_and_print_in_china_time() {
        let t = parse_datetime("2026-11-28T10:00:00+08:00").unwrap();
        assert_eq!(parse_datetime("2026-11-28T02:00:00Z"), Some(t));
        assert_eq!(parse_datetime("2026-11-28T10:00:00"), Some(t));
        assert_eq!(format_datetime(t), "2026-11-28T10:00:00+08:00");
        assert_eq!(
            parse_datetime("2026-11-28").map(format_datetime).as_deref(),
            Some("2026-11-28T00:00:00+08:00")
        );
        assert_eq!(parse_datetime("28/11/2026"), None);
        assert_eq!(parse_datetime("2026-13-01"), None);
    }

    #[test]
    fn searches_default_to_ninety_days_and_never_span_more() {
        let now = parse_datetime("2026-11-28T12:00:00+08:00").unwrap();
        let day = chrono::Duration::days(1);
        assert_eq!(window(None, None, now), Ok((now - day * 90, now)));
        assert_eq!(window(Some(now), None, now), Ok((now, now + day * 90)));
        assert_eq!(window(None, Some(now), now), Ok((now - day * 90, now)));
        assert!(window(Some(now), Some(now - day), now).is_err());
        assert!(window(Some(now - day * 91), Some(now), now).is_err());
        assert_eq!(
            window(Some(now - day * 90), Some(now), now),
            Ok((now - day * 90, now))
        );
    }

    #[test]
    fn statuses_markup_and_positions() {
        assert_eq!(parse_status("open"), Ok((true, false)));
        assert_eq!(parse_status("open,closed"), Ok((true, true)));
        assert!(parse_status("pending").is_err());
        assert!(parse_status(",").is_err());
        assert!(looks_like_html("路灯<b>不亮</b>"));
        assert!(looks_like_html("<!-- x -->"));
        assert!(!looks_like_html("水压 < 2 公斤，温度>30度"));
        assert!(valid_position(37.5, 111.1));
        assert!(!valid_position(91.0, 0.0));
        assert!(!valid_position(f64::NAN, 0.0));
        // One hundredth of a degree of latitude is about 1.1 km.
        let d = distance_m((37.50, 111.14), (37.51, 111.14));
        assert!((1100.0..1120.0).contains(&d), "{d}");
    }
}
