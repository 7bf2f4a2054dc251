//! Callbacks (回访): the station phones residents whose case waits for a
//! rating, records each call, and may record a rating given by phone on
//! the resident's behalf. Many residents never open a website; without
//! this the loop's last step only closes for those who do.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

stored_enum! {
    /// How a rating reached the case: the resident's own online rating, one
    /// given in person at the station or a session, or one given by phone
    /// when the station called back. Figures tell them apart.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum RatingChannel {
        /// Ratings recorded before channels existed were all given online.
        #[default]
        Online = "online",
        Session = "session",
        Callback = "callback",
    }
}

stored_enum! {
    /// A call that brought no rating.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum CallOutcome {
        /// 无人接听: worth trying again another day.
        NoAnswer = "no_answer",
        /// 号码错误: no later call will reach the resident.
        WrongNumber = "wrong_number",
        /// 拒绝评价: the resident will not rate.
        Refused = "refused",
    }
}

impl CallOutcome {
    /// Whether calling again is pointless.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::NoAnswer)
    }
}

/// The calls made since the case last came to wait for a rating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calls {
    pub unanswered: u32,
    /// A wrong number or a refusal was recorded.
    pub concluded: bool,
}

impl Calls {
    /// The tally after one more call.
    pub fn after(mut self, outcome: CallOutcome) -> Self {
        if outcome.is_final() {
            self.concluded = true;
        } else {
            self.unanswered += 1;
        }
        self
    }
}

/// When a case comes on the callback list and when the station may give
/// up and close it unrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackPolicy {
    /// Days a case waits for the resident's own rating before the station
    /// calls.
    pub after_days: i64,
    /// Unanswered calls after which the case may be closed unrated.
    pub attempts: u32,
}

impl Default for CallbackPolicy {
    fn default() -> Self {
        Self {
            after_days: 3,
            attempts: 3,
        }
    }
}

impl CallbackPolicy {
    pub const MAX_DAYS: i64 = 60;
    pub const MAX_ATTEMPTS: u32 = 10;

    /// Whether both settings are within reason (a day to two months; one to
    /// ten calls).
    pub fn valid(&self) -> bool {
        (1..=Self::MAX_DAYS).contains(&self.after_days)
            && (1..=Self::MAX_ATTEMPTS).contains(&self.attempts)
    }

    /// A case waiting since `since` is on the list from `due_from(since)`.
    pub fn due_from(&self, since: DateTime<Utc>) -> DateTime<Utc> {
        since + Duration::days(self.after_days)
    }

    /// The latest waiting-since time that puts a case on the list at `now`.
    pub fn waiting_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(self.after_days)
    }

    /// The station may close a case unrated only after trying: `attempts`
    /// unanswered calls, or a call that settled it (wrong number, refusal).
    /// Closing without calling would turn "not rated" into a way around
    /// the resident's judgement.
    pub fn may_close_unrated(&self, calls: Calls) -> bool {
        calls.concluded || calls.unanswered >= self.attempts
    }
}

/// How many of these ratings came by each channel, every channel named.
pub fn by_channel(
    ratings: impl IntoIterator<Item = Option<RatingChannel>>,
) -> [(RatingChannel, i64); 3] {
    let mut rated = 0;
    let mut by = RatedBy::default();
    for via in ratings.into_iter().flatten() {
        rated += 1;
        by.add(via);
    }
    by.split(rated)
}

/// Of a set of rated cases, those whose rating the station recorded on the
/// resident's behalf: at a session, or on a callback. The rest the
/// residents gave online themselves, so figures keep these two beside the
/// count of the rated and work out the third.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatedBy {
    pub session: i64,
    pub callback: i64,
}

impl RatedBy {
    /// Counts one more rating given by `via`.
    pub fn add(&mut self, via: RatingChannel) {
        match via {
            RatingChannel::Online => {}
            RatingChannel::Session => self.session += 1,
            RatingChannel::Callback => self.callback += 1,
        }
    }

    pub fn merge(&mut self, other: RatedBy) {
        self.session += other.session;
        self.callback += other.callback;
    }

    /// Every channel with its count, of `rated` ratings in all.
    pub fn split(self, rated: i64) -> [(RatingChannel, i64); 3] {
        [
            (
                RatingChannel::Online,
                (rated - self.session - self.callback).max(0),
            ),
            (RatingChannel::Session, self.session),
            (RatingChannel::Callback, self.callback),
        ]
    }
}

/// What one call came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallResult {
    /// No rating: no answer, a wrong number, a refusal.
    Unanswered(CallOutcome),
    /// The resident rated, on the phone or in person: recorded in their
    /// name, attributed to the caller.
    Rated(crate::Rating, RatingChannel),
}

/// A call as the callback list's form sends it: `outcome` is a rating
/// (satisfied, fairly_satisfied, dissatisfied) or a call without one
/// (no_answer, wrong_number, refused); a rating says whether it was given
/// by phone (the default) or in person (`via`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawCall {
    pub code: String,
    pub outcome: String,
    pub via: String,
    pub note: String,
}

/// A call to record on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub code: crate::TrackingCode,
    pub result: CallResult,
    pub note: String,
}

impl RawCall {
    /// The call, or a message per unusable field. Staff never rate
    /// "online": that is the resident's own channel.
    pub fn parse(&self) -> Result<Call, Vec<crate::FieldError>> {
        let mut r = crate::form::Reader::default();
        let code = r.code("code", &self.code);
        let rated = |o: &str| crate::Rating::parse(o).filter(|r| *r != crate::Rating::NotRated);
        let result = match CallOutcome::parse(self.outcome.trim()) {
            Some(o) => Some(CallResult::Unanswered(o)),
            None => {
                let rating = r.choice("outcome", &self.outcome, rated);
                let channel =
                    |v: &str| RatingChannel::parse(v).filter(|c| *c != RatingChannel::Online);
                let via = r
                    .option("via", &self.via, channel)
                    .unwrap_or(RatingChannel::Callback);
                rating.map(|rating| CallResult::Rated(rating, via))
            }
        };
        r.finish(|| {
            Some(Call {
                code: code?,
                result: result?,
                note: self.note.clone(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_call_is_a_rating_by_phone_unless_said_otherwise_or_a_call_without_one() {
        let call = |outcome: &str, via: &str| {
            RawCall {
                code: crate::TrackingCode::from_random([7, 6, 5, 4, 3, 2, 1]).to_string(),
                outcome: outcome.into(),
                via: via.into(),
                note: String::new(),
            }
            .parse()
            .map(|c| c.result)
            .map_err(|e| e.into_iter().map(|e| e.field).collect::<Vec<_>>())
        };
        assert_eq!(
            call("no_answer", "session"),
            Ok(CallResult::Unanswered(CallOutcome::NoAnswer))
        );
        assert_eq!(
            call("satisfied", ""),
            Ok(CallResult::Rated(
                crate::Rating::Satisfied,
                RatingChannel::Callback
            ))
        );
        assert_eq!(
            call("dissatisfied", "session"),
            Ok(CallResult::Rated(
                crate::Rating::Dissatisfied,
                RatingChannel::Session
            ))
        );
        for (outcome, via, field) in [
            ("delighted", "", "outcome"),
            ("not_rated", "", "outcome"),
            ("satisfied", "online", "via"),
            ("satisfied", "fax", "via"),
        ] {
            assert_eq!(
                call(outcome, via),
                Err(vec![field.to_string()]),
                "{outcome} {via}"
            );
        }
    }

    #[test]
    fn closing_unrated_needs_enough_unanswered_calls_or_a_final_one() {
        let p = CallbackPolicy::default();
        let mut calls = Calls::default();
        assert!(!p.may_close_unrated(calls));
        for _ in 0..2 {
            calls = calls.after(CallOutcome::NoAnswer);
            assert!(!p.may_close_unrated(calls), "{calls:?}");
        }
        calls = calls.after(CallOutcome::NoAnswer);
        assert_eq!(calls.unanswered, 3);
        assert!(p.may_close_unrated(calls));
        for last in [CallOutcome::WrongNumber, CallOutcome::Refused] {
            let c = Calls::default().after(last);
            assert_eq!(c.unanswered, 0);
            assert!(p.may_close_unrated(c), "{last:?}");
        }
    }

    #[test]
    fn a_case_comes_on_the_list_after_the_waiting_days() {
        let p = CallbackPolicy {
            after_days: 5,
            attempts: 2,
        };
        let since = Utc.with_ymd_and_hms(2026, 11, 1, 2, 0, 0).unwrap();
        assert_eq!(
            p.due_from(since),
            Utc.with_ymd_and_hms(2026, 11, 6, 2, 0, 0).unwrap()
        );
        let now = p.due_from(since);
        assert!(since <= p.waiting_before(now));
        assert!(since > p.waiting_before(now - Duration::seconds(1)));
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        let ok = CallbackPolicy::default();
        assert!(ok.valid());
        for bad in [
            CallbackPolicy {
                after_days: 0,
                ..ok
            },
            CallbackPolicy {
                after_days: 61,
                ..ok
            },
            CallbackPolicy { attempts: 0, ..ok },
            CallbackPolicy { attempts: 11, ..ok },
        ] {
            assert!(!bad.valid(), "{bad:?}");
        }
    }

    #[test]
    fn ratings_are_counted_by_channel_with_every_channel_named() {
        use RatingChannel::*;
        let got = by_channel([Some(Callback), None, Some(Online), Some(Callback)]);
        assert_eq!(got, [(Online, 1), (Session, 0), (Callback, 2)]);
        assert_eq!(by_channel([]), [(Online, 0), (Session, 0), (Callback, 0)]);
    }

    #[test]
    fn names_round_trip() {
        for c in RatingChannel::ALL {
            assert_eq!(RatingChannel::parse(c.as_str()), Some(c));
        }
        for o in CallOutcome::ALL {
            assert_eq!(CallOutcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(RatingChannel::parse("fax"), None);
    }
}
