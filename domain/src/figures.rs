//! Statistics for supervisors and leaders: the figures of the cases
//! registered in a period, grouped by unit, station, community, grid,
//! category, leader or month. Every rate is a share of whole cases (see
//! `ranking::percent`); the definitions are on the page and in the README.

use crate::callback::{RatedBy, RatingChannel};
use crate::case::Rating;
use crate::intake::FieldError;
use crate::ranking::percent;
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

stored_enum! {
    /// What the figures are grouped by.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Dimension {
        Unit = "unit",
        Station = "station",
        Community = "community",
        Grid = "grid",
        Category = "category",
        /// The leaders whose area holds the case (a city leader counts every case).
        Leader = "leader",
        /// The leader or deputy who heard the request at a station session.
        HeardBy = "heard_by",
        /// The month the case was registered.
        Month = "month",
    }
}

/// What one case contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CaseFact {
    pub closed: bool,
    /// Whether the completion checkpoint was met, for a case with a 13710 clock.
    pub on_time: Option<bool>,
    /// It reached a responsible unit (now or before a return).
    pub assigned: bool,
    /// Whether the acknowledgement checkpoint was met, for a case whose
    /// current clock has one.
    pub acknowledged: Option<bool>,
    /// A unit sent it back to the station at least once.
    pub returned: bool,
    pub reworked: bool,
    pub rating: Option<Rating>,
    /// How the rating reached the case.
    pub rated_via: RatingChannel,
}

/// Counts over a set of cases; the rates are derived from them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Cases registered in the period (merged duplicates not counted).
    pub collected: i64,
    pub closed: i64,
    /// Closed cases that had a 13710 clock, and those that met the completion deadline.
    pub timed: i64,
    pub on_time: i64,
    /// Cases that reached a responsible unit.
    pub assigned: i64,
    /// Cases with an acknowledgement checkpoint, and those acknowledged in time.
    pub ack_due: i64,
    pub acknowledged: i64,
    /// Of those that reached a unit: returned at least once.
    pub returned: i64,
    /// Closed cases reworked at least once after a dissatisfied rating.
    pub reworked: i64,
    /// Rated cases ("not rated" excluded) and the satisfied or fairly satisfied.
    pub rated: i64,
    pub satisfied: i64,
    /// Of the rated, those recorded by the station at a session or on a
    /// callback (回访) rather than given online.
    #[serde(default)]
    pub rated_by: RatedBy,
}

impl Figures {
    pub fn add(&mut self, f: &CaseFact) {
        self.collected += 1;
        if f.closed {
            self.closed += 1;
            self.reworked += i64::from(f.reworked);
            if let Some(met) = f.on_time {
                self.timed += 1;
                self.on_time += i64::from(met);
            }
        }
        if f.assigned {
            self.assigned += 1;
            self.returned += i64::from(f.returned);
        }
        if let Some(met) = f.acknowledged {
            self.ack_due += 1;
            self.acknowledged += i64::from(met);
        }
        let (rated, satisfied) = Rating::tally(f.rating);
        self.rated += rated;
        self.satisfied += satisfied;
        if rated > 0 {
            self.rated_by.add(f.rated_via);
        }
    }

    /// Adds the counts of `other` (another set of cases).
    pub fn merge(&mut self, other: &Figures) {
        self.collected += other.collected;
        self.closed += other.closed;
        self.timed += other.timed;
        self.on_time += other.on_time;
        self.assigned += other.assigned;
        self.ack_due += other.ack_due;
        self.acknowledged += other.acknowledged;
        self.returned += other.returned;
        self.reworked += other.reworked;
        self.rated += other.rated;
        self.satisfied += other.satisfied;
        self.rated_by.merge(other.rated_by);
    }

    /// 办结率 = closed / collected.
    pub fn closure_rate(&self) -> Option<u32> {
        percent(self.closed, self.collected)
    }

    /// 按时办结率 = closed within the completion deadline / closed with a clock.
    pub fn on_time_rate(&self) -> Option<u32> {
        percent(self.on_time, self.timed)
    }

    /// 签收率 = acknowledged by the 1-day checkpoint / cases with that checkpoint.
    pub fn acknowledgement_rate(&self) -> Option<u32> {
        percent(self.acknowledged, self.ack_due)
    }

    /// 退回率 = returned at least once / reached a unit.
    pub fn return_rate(&self) -> Option<u32> {
        percent(self.returned, self.assigned)
    }

    /// 返工率 = reworked / closed.
    pub fn rework_rate(&self) -> Option<u32> {
        percent(self.reworked, self.closed)
    }

    /// 满意率 = (satisfied + fairly satisfied) / rated.
    pub fn satisfaction_rate(&self) -> Option<u32> {
        percent(self.satisfied, self.rated)
    }

    /// The eight headline figures in the order pages and exports print them.
    pub fn row(&self) -> [Cell; 8] {
        [
            Cell::Count(self.collected),
            Cell::Count(self.closed),
            Cell::Rate(self.closure_rate()),
            Cell::Rate(self.on_time_rate()),
            Cell::Rate(self.acknowledgement_rate()),
            Cell::Rate(self.return_rate()),
            Cell::Rate(self.rework_rate()),
            Cell::Rate(self.satisfaction_rate()),
        ]
    }
}

/// One printed figure: a count, or a rate that may have no figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Count(i64),
    Rate(Option<u32>),
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Count(n) => write!(f, "{n}"),
            Cell::Rate(Some(p)) => write!(f, "{p}%"),
            Cell::Rate(None) => f.write_str("—"),
        }
    }
}

/// One line of a report: a unit, a station, a month …
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The unit's, station's, region's, category's or leader's id; None for a month.
    pub id: Option<i64>,
    /// The name, or the month as `2026-11`.
    pub name: String,
    pub figures: Figures,
}

/// The figures of a period by one dimension, with the total over the
/// cases the reader may see (a case counted for two leaders counts once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub dimension: Dimension,
    /// First and last month, inclusive, as `2026-01`.
    pub from: String,
    pub to: String,
    pub total: Figures,
    pub groups: Vec<Group>,
}

/// Longest period one report covers.
pub const MAX_MONTHS: u32 = 36;

/// The period asked for as (first day of the first month, first day of the
/// month after the last). Defaults: the last 12 months up to this one.
pub fn period(
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), Vec<FieldError>> {
    let this = today.with_day(1).unwrap_or(today);
    let month = |field: &str, raw: Option<&str>, default: NaiveDate| match raw
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        None => Ok(default),
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| FieldError::new(field, "unusable")),
    };
    let first = month(
        "from",
        from,
        this.checked_sub_months(Months::new(11)).unwrap_or(this),
    );
    let last = month("to", to, this);
    let (first, last) = match (first, last) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => return Err([a.err(), b.err()].into_iter().flatten().collect()),
    };
    if last < first {
        return Err(vec![FieldError::new("to", "before_start")]);
    }
    let end = last.checked_add_months(Months::new(1)).unwrap_or(last);
    if first.checked_add_months(Months::new(MAX_MONTHS)) < Some(end) {
        return Err(vec![FieldError::new("to", "out_of_range")]);
    }
    Ok((first, end))
}

/// Every month of `[first, end)` as `2026-11`.
pub fn months(first: NaiveDate, end: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let mut m = first;
    while m < end {
        out.push(m.format("%Y-%m").to_string());
        match m.checked_add_months(Months::new(1)) {
            Some(next) => m = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn rates_follow_their_definitions() {
        let mut f = Figures::default();
        let facts = [
            // Closed on time, acknowledged in time, satisfied.
            CaseFact {
                closed: true,
                on_time: Some(true),
                assigned: true,
                acknowledged: Some(true),
                rating: Some(Rating::Satisfied),
                ..Default::default()
            },
            // Closed late after a return and a rework, fairly satisfied.
            CaseFact {
                closed: true,
                on_time: Some(false),
                assigned: true,
                acknowledged: Some(false),
                returned: true,
                reworked: true,
                rating: Some(Rating::FairlySatisfied),
                rated_via: RatingChannel::Callback,
            },
            // Answered on the spot: closed, no clock, dissatisfied at the session.
            CaseFact {
                closed: true,
                rating: Some(Rating::Dissatisfied),
                rated_via: RatingChannel::Session,
                ..Default::default()
            },
            // Still open at a unit, acknowledged in time.
            CaseFact {
                assigned: true,
                acknowledged: Some(true),
                ..Default::default()
            },
            // Returned by a unit and not yet sent on: no clock now.
            CaseFact {
                assigned: true,
                returned: true,
                ..Default::default()
            },
            // Closed unrated after the calls: no rating by any channel.
            CaseFact {
                closed: true,
                rating: Some(Rating::NotRated),
                rated_via: RatingChannel::Callback,
                ..Default::default()
            },
        ];
        for fact in &facts {
            f.add(fact);
        }
        assert_eq!(
            (f.collected, f.closed, f.timed, f.assigned, f.ack_due),
            (6, 4, 2, 4, 3)
        );
        assert_eq!(f.closure_rate(), Some(67));
        assert_eq!(f.on_time_rate(), Some(50));
        assert_eq!(f.acknowledgement_rate(), Some(67));
        assert_eq!(f.return_rate(), Some(50));
        assert_eq!(f.rework_rate(), Some(25));
        assert_eq!(f.satisfaction_rate(), Some(67));
        assert_eq!(
            f.rated_by.split(f.rated),
            [
                (RatingChannel::Online, 1),
                (RatingChannel::Session, 1),
                (RatingChannel::Callback, 1)
            ]
        );
        assert_eq!(
            f.row().map(|c| c.to_string()),
            ["6", "4", "67%", "50%", "67%", "50%", "25%", "67%"]
        );
        assert_eq!(Figures::default().row()[2].to_string(), "—");
    }

    #[test]
    fn the_period_defaults_to_twelve_months_and_refuses_nonsense() {
        let today = day(2026, 11, 28);
        assert_eq!(
            period(None, None, today),
            Ok((day(2025, 12, 1), day(2026, 12, 1)))
        );
        assert_eq!(
            period(Some("2026-03"), Some("2026-03"), today),
            Ok((day(2026, 3, 1), day(2026, 4, 1)))
        );
        assert_eq!(
            period(Some("2026-05"), Some("2026-03"), today),
            Err(vec![FieldError::new("to", "before_start")])
        );
        assert_eq!(
            period(Some("March"), Some("x"), today).map_err(|e| e.len()),
            Err(2)
        );
        assert!(period(Some("2020-01"), Some("2026-01"), today).is_err());
        assert_eq!(
            months(day(2025, 12, 1), day(2026, 2, 1)),
            ["2025-12", "2026-01"]
        );
        for d in Dimension::ALL {
            assert_eq!(Dimension::parse(d.as_str()), Some(d));
        }
    }
}
