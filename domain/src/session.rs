//! Station sessions (接待日/联系群众活动): leaders and deputies receive
//! residents at a liaison station on a published date; requests heard there
//! are registered against the session, promises made are recorded as
//! commitments and judged by delivery.

use crate::Source;
use crate::form::Reader;
use crate::intake::{FieldError, NewCase, check_text};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A session is to be published this long ahead on the station's page.
pub const NOTICE_DAYS: i64 = 3;
pub const MAX_TOPIC: usize = 100;
pub const MAX_MINUTES: usize = 5000;
pub const MAX_COMMITMENT: usize = 500;
/// Longest session, in hours.
pub const MAX_HOURS: i64 = 12;
/// The most residents a session records as present.
pub const MAX_RESIDENTS: i64 = 10_000;

/// Whether a session was published with less than the required notice.
pub fn short_notice(created_at: DateTime<Utc>, starts_at: DateTime<Utc>) -> bool {
    starts_at - created_at < Duration::days(NOTICE_DAYS)
}

/// A session being scheduled, as parsed from the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionForm {
    pub starts_at: Option<DateTime<Utc>>,
    pub hours: i64,
    pub topic: String,
    /// The leaders and deputies expected (user ids).
    pub attendees: Vec<i64>,
}

impl SessionForm {
    pub fn validate(&self, now: DateTime<Utc>) -> Vec<FieldError> {
        let mut errors = Vec::new();
        match self.starts_at {
            None => errors.push(FieldError::new("starts_at", "required")),
            Some(t) if t < now => errors.push(FieldError::new("starts_at", "in_the_past")),
            Some(_) => {}
        }
        if !(1..=MAX_HOURS).contains(&self.hours) {
            errors.push(FieldError::new("hours", "out_of_range"));
        }
        if self.topic.chars().count() > MAX_TOPIC {
            errors.push(FieldError::new("topic", "too_long"));
        }
        if self.attendees.is_empty() {
            errors.push(FieldError::new("attendees", "required"));
        }
        errors
    }
}

/// Closing a session: the head-count and the minutes.
pub fn validate_close(residents: Option<i64>, minutes: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match residents {
        Some(n) if (0..=MAX_RESIDENTS).contains(&n) => {}
        Some(_) => errors.push(FieldError::new("residents", "out_of_range")),
        None => errors.push(FieldError::new("residents", "required")),
    }
    check_text(&mut errors, "minutes", minutes, MAX_MINUTES);
    errors
}

/// A promise being recorded at a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCommitment {
    /// The attendee who made it (user id).
    pub by: i64,
    pub text: String,
    pub due_on: Option<NaiveDate>,
    /// The request registered at the session that it is about, if any.
    pub case_code: Option<String>,
}

/// A promise made at a session: "will be solved by …".
pub fn validate_commitment(
    text: &str,
    due: Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_text(&mut errors, "text", text, MAX_COMMITMENT);
    match due {
        None => errors.push(FieldError::new("due_on", "required")),
        Some(d) if d < today => errors.push(FieldError::new("due_on", "in_the_past")),
        Some(_) => {}
    }
    errors
}

/// Whether a commitment was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Delivered by the promised day.
    Kept,
    /// Delivered, but after the promised day.
    Late,
    /// The day has passed and it is not delivered.
    Broken,
    /// Not yet due.
    Pending,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kept => "kept",
            Self::Late => "late",
            Self::Broken => "broken",
            Self::Pending => "pending",
        }
    }

    /// A commitment is delivered when it is marked so or, when it names a
    /// case, when that case is closed; the day counts in China time.
    pub fn of(due: NaiveDate, delivered_on: Option<NaiveDate>, today: NaiveDate) -> Self {
        match delivered_on {
            Some(d) if d <= due => Self::Kept,
            Some(_) => Self::Late,
            None if today > due => Self::Broken,
            None => Self::Pending,
        }
    }
}

/// Delivery rate = kept ÷ (kept + late + broken); pending ones are not judged yet.
pub fn delivery_rate(all: &[Delivery]) -> Option<u32> {
    let judged = all.iter().filter(|d| **d != Delivery::Pending).count() as i64;
    let kept = all.iter().filter(|d| **d == Delivery::Kept).count() as i64;
    crate::ranking::percent(kept, judged)
}

stored_enum! {
    /// A session is scheduled until its minutes close it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum SessionStatus {
        Scheduled = "scheduled",
        Closed = "closed",
    }
}

/// A session in a list or calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionBrief {
    pub id: i64,
    pub station_id: i64,
    pub station: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub topic: String,
    pub status: SessionStatus,
    pub short_notice: bool,
    /// Leaders and deputies expected or present.
    pub attendees: Vec<crate::view::Named>,
    pub residents_present: Option<i64>,
}

/// A promise made at a session, judged by delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    pub id: i64,
    pub session_id: i64,
    pub session_day: NaiveDate,
    pub by: String,
    pub text: String,
    pub due_on: NaiveDate,
    pub case_code: Option<String>,
    pub delivered_on: Option<NaiveDate>,
    pub delivery: Delivery,
}

/// A session as its organisers see it, in session mode or afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDetail {
    pub brief: SessionBrief,
    pub minutes: String,
    /// Requests registered at the session.
    pub cases: Vec<crate::view::CaseSummary>,
    pub commitments: Vec<Commitment>,
    /// Scheduling, commitments and closing.
    pub can_manage: bool,
    /// Registering requests heard at it.
    pub can_register: bool,
}

/// What a deputy reads before the next session of a station (the "prepare" page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeputyBrief {
    pub station_id: i64,
    pub station: String,
    pub next: Option<SessionBrief>,
    /// The last session held there, if any.
    pub last: Option<SessionBrief>,
    /// Every request raised at earlier sessions there, where it stands now.
    pub raised: Vec<crate::view::CaseSummary>,
    /// Open requests of the station's area past a checkpoint.
    pub overdue: Vec<crate::view::CaseSummary>,
    /// Requests of the station's area closed since the last session, with their ratings.
    pub closed_since: Vec<crate::view::CaseSummary>,
    /// Those ratings by how they came: online, in person, by callback.
    pub rated_by: [(crate::RatingChannel, i64); 3],
    /// Categories with more than one open request in the area, most first.
    pub common: Vec<(String, i64)>,
    /// Escalated items following cases of the area.
    pub items: Vec<crate::view::ItemBrief>,
    /// Commitments made at earlier sessions there.
    pub commitments: Vec<Commitment>,
    /// Whether the reader may schedule the station's sessions.
    pub can_schedule: bool,
}

/// A station's public page: nothing personal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicStation {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub opening_hours: String,
    pub community: String,
    pub deputies: Vec<String>,
    pub leaders: Vec<String>,
    pub upcoming: Vec<SessionBrief>,
    pub figures: crate::view::AreaStats,
}

/// A leader's or deputy's own page: stations, visits, what they heard and
/// what they promised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyVisits {
    /// The address of their iCalendar feed.
    pub calendar: String,
    pub stations: Vec<crate::view::Named>,
    pub upcoming: Vec<SessionBrief>,
    pub done: Vec<SessionBrief>,
    pub heard: Vec<crate::view::CaseSummary>,
    pub commitments: Vec<Commitment>,
    pub delivery_rate: Option<u32>,
    /// Figures of the requests they heard.
    pub figures: crate::figures::Figures,
}

/// [`SessionForm`] as the scheduling form sends it, with its station.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawSession {
    pub station: String,
    /// `2026-12-03T19:30`, China time.
    pub starts_at: String,
    pub hours: String,
    pub topic: String,
    /// The attendees' user ids, separated by spaces or commas.
    pub attendees: String,
}

impl RawSession {
    /// The station and the session, or a message per unusable field.
    pub fn parse(&self) -> Result<(i64, SessionForm), Vec<FieldError>> {
        let mut r = Reader::default();
        let station = r.id("station", &self.station);
        let form = SessionForm {
            starts_at: r.moment("starts_at", &self.starts_at),
            hours: r
                .number("hours", &self.hours, 1..=MAX_HOURS)
                .unwrap_or_default(),
            topic: self.topic.clone(),
            attendees: r.ids("attendees", &self.attendees),
        };
        r.finish(|| Some((station?, form)))
    }
}

crate::form! {
    /// A deputy attached to, or a leader assigned to, a station.
    pub struct Attachment from RawAttachment {
        station: id,
        member: id,
    }
}

crate::form! {
    /// A request heard at a session: who heard it, and the request itself
    /// with no station, source or e-mail of its own (it comes from the
    /// session, whatever a form might add).
    pub struct Hearing from RawHearing {
        session_id: id,
        /// The attendee who heard it; the registering user by default.
        heard_by: pick,
        title: text,
        description: text,
        category_id: id,
        region_id: id,
        resident_name: text,
        resident_phone: text,
        /// The resident agreed to text messages as the case moves.
        notify: flag,
    }
}

impl Hearing {
    /// The request as registered against the session.
    pub fn case(&self) -> NewCase {
        NewCase {
            title: self.title.clone(),
            description: self.description.clone(),
            category_id: self.category_id,
            region_id: self.region_id,
            station_id: None,
            source: Source::StationSession,
            resident_name: self.resident_name.clone(),
            resident_phone: self.resident_phone.clone(),
            resident_email: String::new(),
            notify: self.notify,
        }
    }
}

/// [`NewCommitment`] as the session page sends it, with its session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawCommitment {
    pub session_id: String,
    pub by: String,
    pub text: String,
    pub due_on: String,
    /// The tracking code of a request registered at the session, if any.
    pub case: String,
}

impl RawCommitment {
    /// The session and the promise, or a message per unusable field.
    pub fn parse(&self) -> Result<(i64, NewCommitment), Vec<FieldError>> {
        let mut r = Reader::default();
        let session = r.id("session_id", &self.session_id);
        let by = r.id("by", &self.by);
        let due_on = r.day("due_on", &self.due_on);
        r.finish(|| {
            Some((
                session?,
                NewCommitment {
                    by: by?,
                    text: self.text.clone(),
                    due_on,
                    case_code: Some(self.case.clone()),
                },
            ))
        })
    }
}

crate::form! {
    /// A session closing with its head-count and minutes.
    pub struct Closing from RawClosing {
        session_id: id,
        residents: optional_number(0..=MAX_RESIDENTS),
        minutes: text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_scheduling_form_reads_china_time_and_every_attendee() {
        let raw = RawSession {
            station: "2".into(),
            starts_at: "2026-12-03T19:30".into(),
            hours: "2".into(),
            topic: "roads".into(),
            attendees: "3, 5 8".into(),
        };
        let (station, form) = raw.parse().unwrap();
        assert_eq!(station, 2);
        assert_eq!(
            form.starts_at,
            Some(Utc.with_ymd_and_hms(2026, 12, 3, 11, 30, 0).unwrap())
        );
        assert_eq!((form.hours, form.attendees), (2, vec![3, 5, 8]));
        let bad = RawSession {
            starts_at: "19:30".into(),
            hours: "13".into(),
            attendees: "3 ann".into(),
            ..raw
        };
        let fields: Vec<_> = bad
            .parse()
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect();
        assert_eq!(
            fields,
            [
                ("starts_at".to_string(), "bad_date".to_string()),
                ("hours".to_string(), "out_of_range".to_string()),
                ("attendees".to_string(), "unusable".to_string()),
            ]
        );
    }

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn less_than_three_days_ahead_is_short_notice() {
        assert!(!short_notice(at(1, 9), at(4, 9)));
        assert!(short_notice(at(1, 9), at(4, 8)));
        assert!(short_notice(at(1, 9), at(1, 12)));
    }

    #[test]
    fn a_session_needs_a_future_time_people_and_a_sane_length() {
        let now = at(10, 9);
        let ok = SessionForm {
            starts_at: Some(at(20, 11)),
            hours: 2,
            topic: "老旧小区改造".into(),
            attendees: vec![3],
        };
        assert!(ok.validate(now).is_empty());
        let bad = SessionForm {
            starts_at: Some(at(9, 11)),
            hours: 0,
            topic: "x".repeat(MAX_TOPIC + 1),
            attendees: vec![],
        };
        let fields: Vec<String> = bad.validate(now).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["starts_at", "hours", "topic", "attendees"]);
        assert_eq!(
            validate_close(None, ""),
            vec![
                FieldError::new("residents", "required"),
                FieldError::new("minutes", "required")
            ]
        );
        assert!(validate_close(Some(23), "听取意见 5 条").is_empty());
        assert_eq!(
            validate_commitment("月底前修好", Some(day(1)), day(10)),
            vec![FieldError::new("due_on", "in_the_past")]
        );
    }

    #[test]
    fn commitments_are_judged_by_delivery() {
        assert_eq!(
            Delivery::of(day(20), Some(day(19)), day(25)),
            Delivery::Kept
        );
        assert_eq!(
            Delivery::of(day(20), Some(day(20)), day(25)),
            Delivery::Kept
        );
        assert_eq!(
            Delivery::of(day(20), Some(day(22)), day(25)),
            Delivery::Late
        );
        assert_eq!(Delivery::of(day(20), None, day(21)), Delivery::Broken);
        assert_eq!(Delivery::of(day(20), None, day(20)), Delivery::Pending);
        use Delivery::*;
        assert_eq!(delivery_rate(&[Kept, Late, Broken, Pending]), Some(33));
        assert_eq!(delivery_rate(&[Pending]), None);
    }
}
