//! How responsible units are judged each month (红黑榜): the rates, their
//! definitions, and the red and black lists. Every rate is a percentage of
//! whole cases, rounded half up; a rate without cases is "no figure", not 0.

use crate::intake::FieldError;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// One unit's cases whose 13710 clock started in the month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitFigures {
    pub unit_id: i64,
    pub name: String,
    /// Cases assigned to the unit in the month, including those it returned.
    pub assigned: i64,
    /// Of those still with the unit: acknowledged by the acknowledgement checkpoint.
    pub acknowledged_on_time: i64,
    /// Cases the unit sent back to the station in the month (退回).
    pub returned: i64,
    /// Cases the unit finished that are closed, and how many met the
    /// completion deadline.
    pub closed: i64,
    pub on_time: i64,
    /// Closed cases that needed rework after a dissatisfied rating.
    pub reworked: i64,
    /// Rated cases (a rating other than "not rated") and the satisfied or
    /// fairly satisfied among them.
    pub rated: i64,
    pub satisfied: i64,
}

/// `part` of `whole` in percent, rounded half up; None without a whole.
pub fn percent(part: i64, whole: i64) -> Option<u32> {
    (whole > 0).then(|| u32::try_from((part * 1000 / whole + 5) / 10).unwrap_or(0))
}

impl UnitFigures {
    /// Acknowledgement rate = acknowledged on time / (assigned − returned).
    pub fn acknowledgement_rate(&self) -> Option<u32> {
        percent(self.acknowledged_on_time, self.assigned - self.returned)
    }

    /// On-time rate = closed within the completion deadline / closed.
    pub fn on_time_rate(&self) -> Option<u32> {
        percent(self.on_time, self.closed)
    }

    /// Return rate = returned / assigned.
    pub fn return_rate(&self) -> Option<u32> {
        percent(self.returned, self.assigned)
    }

    /// Rework rate = closed after rework / closed.
    pub fn rework_rate(&self) -> Option<u32> {
        percent(self.reworked, self.closed)
    }

    /// Satisfaction rate = (satisfied + fairly satisfied) / rated.
    pub fn satisfaction_rate(&self) -> Option<u32> {
        percent(self.satisfied, self.rated)
    }

    /// The ranking score: the mean of on-time rate, 100 − return rate,
    /// 100 − rework rate and satisfaction rate, over those that have a figure.
    pub fn score(&self) -> Option<u32> {
        let parts: Vec<u32> = [
            self.on_time_rate(),
            self.return_rate().map(|r| 100 - r.min(100)),
            self.rework_rate().map(|r| 100 - r.min(100)),
            self.satisfaction_rate(),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| {
            let n = parts.len() as u32;
            (parts.iter().sum::<u32>() * 10 / n + 5) / 10
        })
    }
}

/// Best score first; ties go to the unit that handled more cases, then by
/// id for a stable order. Units without a score come last.
fn best_first(a: &UnitFigures, b: &UnitFigures) -> Ordering {
    b.score()
        .cmp(&a.score())
        .then(b.assigned.cmp(&a.assigned))
        .then(a.unit_id.cmp(&b.unit_id))
}

/// Units on the red list (best `n` scores) and the black list (worst `n`),
/// each best or worst first. Units without a score are on neither; a unit is
/// never on both (with fewer than 2n scored units the black list is shorter).
pub fn red_and_black(units: &[UnitFigures], n: usize) -> (Vec<i64>, Vec<i64>) {
    let mut scored: Vec<&UnitFigures> = units.iter().filter(|u| u.score().is_some()).collect();
    scored.sort_by(|a, b| best_first(a, b));
    let red: Vec<i64> = scored.iter().take(n).map(|u| u.unit_id).collect();
    let black: Vec<i64> = scored
        .iter()
        .rev()
        .take(n.min(scored.len().saturating_sub(red.len())))
        .map(|u| u.unit_id)
        .collect();
    (red, black)
}

/// A month's ranking as pages and exports show it: units best first and
/// the two lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranking {
    /// `YYYY-MM`
    pub month: String,
    pub units: Vec<UnitFigures>,
    pub red: Vec<i64>,
    pub black: Vec<i64>,
}

impl Ranking {
    pub fn of(month: NaiveDate, mut units: Vec<UnitFigures>, n: usize) -> Self {
        let (red, black) = red_and_black(&units, n);
        units.sort_by(best_first);
        Self {
            month: month.format("%Y-%m").to_string(),
            units,
            red,
            black,
        }
    }
}

/// The first day of the month `YYYY-MM`, or of `today`'s month when none is asked for.
pub fn month_of(asked: Option<&str>, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    match asked.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| FieldError::new("month", "unusable")),
        None => Ok(today.with_day(1).unwrap_or(today)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i64, assigned: i64, returned: i64, closed: i64, on_time: i64) -> UnitFigures {
        UnitFigures {
            unit_id: id,
            name: format!("unit {id}"),
            assigned,
            acknowledged_on_time: assigned - returned,
            returned,
            closed,
            on_time,
            reworked: 0,
            rated: closed,
            satisfied: closed,
        }
    }

    #[test]
    fn rates_follow_their_definitions_and_round_half_up() {
        let u = UnitFigures {
            assigned: 8,
            acknowledged_on_time: 5,
            returned: 2,
            closed: 6,
            on_time: 5,
            reworked: 1,
            rated: 3,
            satisfied: 2,
            ..Default::default()
        };
        assert_eq!(u.acknowledgement_rate(), Some(83)); // 5 / 6 = 83.3
        assert_eq!(u.on_time_rate(), Some(83));
        assert_eq!(u.return_rate(), Some(25));
        assert_eq!(u.rework_rate(), Some(17)); // 16.7
        assert_eq!(u.satisfaction_rate(), Some(67)); // 66.7
        // (83 + 75 + 83 + 67) / 4 = 77
        assert_eq!(u.score(), Some(77));
        assert_eq!(percent(1, 8), Some(13)); // 12.5 rounds up
        assert_eq!(UnitFigures::default().score(), None);
    }

    #[test]
    fn the_best_are_red_the_worst_black_and_none_on_both() {
        let units = [
            unit(1, 10, 0, 10, 10), // 100
            unit(2, 10, 5, 5, 1),   // (20 + 50 + 100 + 100) / 4 = 68
            unit(3, 10, 0, 10, 8),  // 95
            unit(4, 0, 0, 0, 0),    // no figure
            unit(5, 4, 0, 4, 2),    // 88
        ];
        let (red, black) = red_and_black(&units, 2);
        assert_eq!(red, vec![1, 3]);
        assert_eq!(black, vec![2, 5]);
        let (red, black) = red_and_black(&units[..2], 2);
        assert_eq!((red, black), (vec![1, 2], vec![]));
        let ranked = Ranking::of(
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            units.to_vec(),
            2,
        );
        let order: Vec<i64> = ranked.units.iter().map(|u| u.unit_id).collect();
        assert_eq!(order, vec![1, 3, 5, 2, 4]);
        assert_eq!(ranked.month, "2026-11");
    }

    #[test]
    fn months_are_read_as_year_and_month() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(
            month_of(None, today),
            Ok(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())
        );
        assert_eq!(
            month_of(Some("2026-01"), today),
            Ok(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
        );
        assert!(month_of(Some("soon"), today).is_err());
    }
}
