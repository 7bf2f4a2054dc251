//! Escalated items (市级统筹): one problem several cases share, taken up
//! above the community with a long-term measure (长效机制) so that it stops
//! coming back. The linked cases keep their own loop and follow the item.

use crate::intake::{FieldError, check_text};
use serde::{Deserialize, Serialize};

pub const MAX_TITLE: usize = 100;
pub const MAX_MEASURE: usize = 2000;
pub const MAX_NOTE: usize = 1000;
/// An item links at least two cases: one case alone is handled in its own loop.
pub const MIN_CASES: usize = 2;
pub const MAX_CASES: usize = 50;

stored_enum! {
    /// Where an escalated item stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum ItemStatus {
        /// Taken up, no measure under way yet.
        Open = "open",
        /// The lead unit is putting the measure in place.
        InProgress = "in_progress",
        /// The measure is in place; the item is kept for the record.
        Done = "done",
    }
}

impl ItemStatus {
    /// An update may keep the status or move it forward; a finished item
    /// takes no more updates (a new problem is a new item).
    pub fn may_become(self, next: ItemStatus) -> bool {
        self != Self::Done && next >= self
    }
}

impl PartialOrd for ItemStatus {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ItemStatus {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |s: &Self| Self::ALL.iter().position(|x| x == s);
        rank(self).cmp(&rank(other))
    }
}

/// A new escalated item as a station or supervisor writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemForm {
    pub title: String,
    pub measure: String,
    pub unit_id: Option<i64>,
    /// Tracking codes of the cases to link, as typed or ticked.
    pub codes: Vec<String>,
}

impl ItemForm {
    /// Field-level problems; the codes are checked as a set (their existence
    /// and the caller's reach are the store's business).
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "title", &self.title, MAX_TITLE);
        check_text(&mut errors, "measure", &self.measure, MAX_MEASURE);
        if self.unit_id.is_none() {
            errors.push(FieldError::new("unit_id", "required"));
        }
        let n = distinct_codes(&self.codes).len();
        if n < MIN_CASES {
            errors.push(FieldError::new("codes", "too_few_cases"));
        } else if n > MAX_CASES {
            errors.push(FieldError::new("codes", "too_many_cases"));
        }
        errors
    }
}

/// The codes in a free-form list ("K7QM-3XPA, K7QM3XPB …"), normalised,
/// each once, in the order given.
pub fn distinct_codes(raw: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in raw
        .iter()
        .flat_map(|s| s.split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、'))
        .map(|s| s.trim().replace('-', "").to_uppercase())
        .filter(|s| !s.is_empty())
    {
        if !out.contains(&code) {
            out.push(code);
        }
    }
    out
}

/// A progress update on an item: what was done and where it now stands.
pub fn validate_update(current: ItemStatus, next: ItemStatus, note: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_text(&mut errors, "note", note, MAX_NOTE);
    if !current.may_become(next) {
        errors.push(FieldError::new("status", "not_allowed"));
    }
    errors
}

/// [`ItemForm`] as the browser sends it: the codes in one free-form list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawItem {
    pub title: String,
    pub measure: String,
    pub unit_id: String,
    pub codes: String,
}

impl RawItem {
    /// The item, or a message per unusable field (its rules are `validate`'s).
    pub fn parse(&self) -> Result<ItemForm, Vec<FieldError>> {
        let mut r = crate::form::Reader::default();
        let unit_id = r.pick("unit_id", &self.unit_id);
        r.finish(|| {
            Some(ItemForm {
                title: self.title.clone(),
                measure: self.measure.clone(),
                unit_id,
                codes: vec![self.codes.clone()],
            })
        })
    }
}

crate::form! {
    /// A progress update on an escalated item.
    pub struct ItemUpdate from RawItemUpdate {
        item: id,
        status: choice(ItemStatus),
        note: text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(codes: &[&str]) -> ItemForm {
        ItemForm {
            title: "老旧小区雨污管网改造".into(),
            measure: "纳入年度城建计划，建立汛前排查机制".into(),
            unit_id: Some(1),
            codes: codes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn an_item_links_at_least_two_distinct_cases() {
        assert!(form(&["K7QM-3XPA", "K7QM-3XPB"]).validate().is_empty());
        // The same case typed twice, in both spellings, is one case.
        let once = form(&["K7QM-3XPA", "k7qm3xpa"]).validate();
        assert_eq!(once, vec![FieldError::new("codes", "too_few_cases")]);
        assert!(
            form(&["K7QM-3XPA，K7QM-3XPB、K7QM-3XPC"])
                .validate()
                .is_empty()
        );
        let many: Vec<String> = (0..=MAX_CASES).map(|i| format!("C{i:07}")).collect();
        let mut f = form(&[]);
        f.codes = many;
        assert_eq!(
            f.validate(),
            vec![FieldError::new("codes", "too_many_cases")]
        );
    }

    #[test]
    fn every_field_is_reported_at_once() {
        let f = ItemForm {
            title: " ".into(),
            measure: "x".repeat(MAX_MEASURE + 1),
            unit_id: None,
            codes: vec![],
        };
        let fields: Vec<String> = f.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "measure", "unit_id", "codes"]);
    }

    #[test]
    fn status_only_moves_forward_and_done_is_final() {
        use ItemStatus::*;
        assert!(Open.may_become(Open));
        assert!(Open.may_become(InProgress));
        assert!(Open.may_become(Done));
        assert!(InProgress.may_become(Done));
        assert!(!InProgress.may_become(Open));
        assert!(!Done.may_become(Done));
        assert_eq!(
            validate_update(Done, Done, "再次更新"),
            vec![FieldError::new("status", "not_allowed")]
        );
        assert_eq!(
            validate_update(Open, InProgress, ""),
            vec![FieldError::new("note", "required")]
        );
        for s in ItemStatus::ALL {
            assert_eq!(ItemStatus::parse(s.as_str()), Some(s));
        }
    }
}
