//! The supervision ledger (台账) and the three lists (三清单) cut from it:
//! the problem list, the responsibility list (unit, person, deadline) and
//! the rectification list (measure, deadline, status). One set of columns
//! serves the page and the XLSX/CSV exports, so what is printed is what is
//! on screen.

use crate::case::{Rating, Route, Status};
use crate::deadline::CheckpointStatus;
use crate::intake::{FieldError, Source};
use crate::region::Tier;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

stored_enum! {
    /// Which cut of the ledger.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum List {
        /// Everything the supervision office tracks per case.
        Ledger = "ledger",
        /// 问题清单
        Problems = "problems",
        /// 责任清单
        Responsibility = "responsibility",
        /// 整改清单
        Rectification = "rectification",
    }
}

impl List {
    pub fn columns(self) -> &'static [Column] {
        use Column::*;
        match self {
            Self::Ledger => &[
                No,
                Code,
                Registered,
                Title,
                Category,
                Place,
                Source,
                Route,
                Unit,
                Status,
                AckDue,
                CompletionDue,
                CompletionState,
                Letters,
                Extension,
                Returns,
                Rework,
                Rating,
                Closed,
            ],
            Self::Problems => &[
                No,
                Code,
                Registered,
                Source,
                Place,
                Category,
                Title,
                Description,
                Status,
            ],
            Self::Responsibility => &[
                No,
                Code,
                Title,
                Tier,
                Unit,
                Person,
                AckDue,
                CompletionDue,
                Status,
            ],
            Self::Rectification => &[
                No,
                Code,
                Title,
                Measure,
                CompletionDue,
                CompletionState,
                Closed,
                Rating,
            ],
        }
    }
}

/// One column of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    No,
    Code,
    Registered,
    Title,
    Description,
    Category,
    Place,
    Source,
    Route,
    Tier,
    Unit,
    /// Who at the unit took the case on (the acknowledging handler).
    Person,
    Status,
    AckDue,
    CompletionDue,
    /// Met, late, overdue, on track …
    CompletionState,
    Letters,
    /// Approved extension days of the current clock.
    Extension,
    Returns,
    Rework,
    Rating,
    Closed,
    /// The result, the escalated item's long-term measure, or the latest progress.
    Measure,
}

impl Column {
    /// Width in characters for a printed sheet.
    pub fn width(self) -> f64 {
        match self {
            Self::No | Self::Letters | Self::Extension | Self::Returns | Self::Rework => 6.0,
            Self::Description | Self::Measure => 40.0,
            Self::Title | Self::Place => 24.0,
            Self::Unit => 18.0,
            _ => 12.0,
        }
    }
}

/// A checkpoint of a ledger line: when it is due and how it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub due: DateTime<Utc>,
    pub status: CheckpointStatus,
}

/// One case in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub code: String,
    pub registered: DateTime<Utc>,
    pub title: String,
    pub description: String,
    pub category: String,
    pub place: String,
    pub source: Source,
    pub route: Option<Route>,
    pub tier: Option<Tier>,
    pub unit: Option<String>,
    pub person: Option<String>,
    pub status: Status,
    pub ack: Option<Due>,
    pub completion: Option<Due>,
    pub letters: i64,
    pub extension_days: i64,
    pub returns: i64,
    pub rework: i32,
    pub rating: Option<Rating>,
    pub closed: Option<DateTime<Utc>>,
    pub measure: Option<String>,
}

/// The filters of the ledger, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub region_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub category_id: Option<i64>,
    pub source: Option<Source>,
    pub route: Option<Route>,
    /// Registered on or after this day, and before the day after `to` (China time).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub state: Option<StateFilter>,
}

stored_enum! {
    /// Where the cases stand.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum StateFilter {
        Open = "open",
        Overdue = "overdue",
        Closed = "closed",
    }
}

/// The filters as a query string or form sends them: every field text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawFilter {
    pub list: Option<String>,
    pub region: Option<String>,
    pub unit: Option<String>,
    pub category: Option<String>,
    pub source: Option<String>,
    pub route: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub state: Option<String>,
}

/// A field's text, when it holds more than blanks.
pub(crate) fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl RawFilter {
    /// The list and the filters, or a message per unusable field.
    pub fn parse(&self) -> Result<(List, Filter), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut field =
            |name: &str, raw: &Option<String>, ok: &dyn Fn(&str) -> bool| match given(raw) {
                Some(v) if !ok(v) => errors.push(FieldError::new(name, "unusable")),
                _ => {}
            };
        let id = |v: &str| v.parse::<i64>().is_ok();
        let day = |v: &str| NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok();
        field("list", &self.list, &|v| List::parse(v).is_some());
        field("region", &self.region, &id);
        field("unit", &self.unit, &id);
        field("category", &self.category, &id);
        field("source", &self.source, &|v| Source::parse(v).is_some());
        field("route", &self.route, &|v| Route::parse(v).is_some());
        field("from", &self.from, &day);
        field("to", &self.to, &day);
        field("state", &self.state, &|v| StateFilter::parse(v).is_some());
        let filter = Filter {
            region_id: given(&self.region).and_then(|v| v.parse().ok()),
            unit_id: given(&self.unit).and_then(|v| v.parse().ok()),
            category_id: given(&self.category).and_then(|v| v.parse().ok()),
            source: given(&self.source).and_then(Source::parse),
            route: given(&self.route).and_then(Route::parse),
            from: given(&self.from).and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()),
            to: given(&self.to).and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()),
            state: given(&self.state).and_then(StateFilter::parse),
        };
        if let (Some(a), Some(b)) = (filter.from, filter.to)
            && b < a
        {
            errors.push(FieldError::new("to", "before_start"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let list = given(&self.list)
            .and_then(List::parse)
            .unwrap_or(List::Ledger);
        Ok((list, filter))
    }

    /// The same filters as a query string, for export links and paging.
    pub fn query(&self) -> String {
        let pairs = [
            ("list", &self.list),
            ("region", &self.region),
            ("unit", &self.unit),
            ("category", &self.category),
            ("source", &self.source),
            ("route", &self.route),
            ("from", &self.from),
            ("to", &self.to),
            ("state", &self.state),
        ];
        pairs
            .into_iter()
            .filter_map(|(k, v)| given(v).map(|v| format!("{k}={}", crate::encode_query(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes what a filter value may hold (ids, codes, dates).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_and_bad_ones_are_named() {
        let raw = RawFilter {
            list: Some("responsibility".into()),
            unit: Some("3".into()),
            source: Some("grid_visit".into()),
            from: Some("2026-11-01".into()),
            to: Some(" ".into()),
            state: Some("overdue".into()),
            ..Default::default()
        };
        let (list, f) = raw.parse().unwrap();
        assert_eq!(list, List::Responsibility);
        assert_eq!(f.unit_id, Some(3));
        assert_eq!(f.source, Some(Source::GridVisit));
        assert_eq!(f.to, None);
        assert_eq!(f.state, Some(StateFilter::Overdue));
        assert_eq!(
            raw.query(),
            "list=responsibility&unit=3&source=grid_visit&from=2026-11-01&state=overdue"
        );
        let bad = RawFilter {
            list: Some("everything".into()),
            region: Some("x".into()),
            from: Some("2026-11-30".into()),
            to: Some("2026-11-01".into()),
            ..Default::default()
        };
        let fields: Vec<String> = bad
            .parse()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["list", "region", "to"]);
        assert_eq!(RawFilter::default().parse().unwrap().0, List::Ledger);
    }

    #[test]
    fn every_list_numbers_its_rows_and_names_the_case() {
        for list in List::ALL {
            let cols = list.columns();
            assert_eq!(cols[..2], [Column::No, Column::Code], "{list:?}");
            assert_eq!(List::parse(list.as_str()), Some(list));
        }
        // The responsibility list names unit, person and deadline; the
        // rectification list the measure, deadline and state.
        let r = List::Responsibility.columns();
        assert!(
            r.contains(&Column::Unit)
                && r.contains(&Column::Person)
                && r.contains(&Column::CompletionDue)
        );
        let r = List::Rectification.columns();
        assert!(r.contains(&Column::Measure) && r.contains(&Column::CompletionState));
    }
}
