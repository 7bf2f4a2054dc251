//! Text messages to residents (短信通知): which steps of the loop send one,
//! when a failed send is tried again, and what fits in one message. Many
//! residents never come back to `/track`; a message at the steps that
//! matter to them is how they learn their case moved.

use crate::case::{ActionKind, Status};
use chrono::Duration;
use serde::{Deserialize, Serialize};

stored_enum! {
    /// A message a resident who opted in receives.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
    pub enum Notice {
        /// Registered: the code and PIN, so the paper receipt is not the only copy.
        Registered = "registered",
        /// A unit (or the community itself) has taken the problem up.
        TakenUp = "taken_up",
        /// Done and fed back: the link to rate.
        Done = "done",
        /// Rated dissatisfied: the case is being worked on again.
        Reopened = "reopened",
    }
}

impl Notice {
    /// The message an action that led to `to` sends, if any. Registration
    /// sends `Registered` from intake itself (it is not an action).
    pub fn after(kind: ActionKind, to: Status) -> Option<Self> {
        match (kind, to) {
            (ActionKind::Acknowledge | ActionKind::HandleLocally, _) => Some(Self::TakenUp),
            (ActionKind::RecordFeedback, Status::AwaitingRating) => Some(Self::Done),
            (ActionKind::RateDissatisfied, Status::Rework) => Some(Self::Reopened),
            _ => None,
        }
    }
}

stored_enum! {
    /// What became of one message, as the case's timeline shows it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Delivery {
        Sent = "sent",
        /// This attempt failed; another follows.
        Failed = "failed",
        /// The last attempt failed, or the provider refused the number for good.
        GaveUp = "gave_up",
    }
}

/// How many times a message is tried before giving up.
pub const ATTEMPTS: u32 = 5;

/// How long to wait after failed attempt number `attempts` (1-based) before
/// the next, or `None` when that was the last. The waits grow so a provider
/// that is down for an hour is not hammered, and the last try still falls
/// within the day the event happened.
pub fn retry_after(attempts: u32) -> Option<Duration> {
    match attempts {
        1 => Some(Duration::minutes(1)),
        2 => Some(Duration::minutes(5)),
        3 => Some(Duration::minutes(30)),
        4 => Some(Duration::hours(2)),
        _ => None,
    }
}

/// Whether `text` goes out as a single SMS: 70 characters when any of them
/// needs UCS-2 (every Chinese text), 160 when all are plain ASCII (GSM 7-bit
/// covers more, but a text that only fits by that margin is one edit from
/// splitting).
pub fn fits_one_sms(text: &str) -> bool {
    let n = text.chars().count();
    if text.is_ascii() { n <= 160 } else { n <= 70 }
}

/// How a message reaches the resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Mail,
    Text,
}

/// By e-mail when the resident gave an address and the city sends mail
/// (`mail`), else by text when they gave a number; nowhere otherwise.
pub fn via(phone: &str, email: &str, mail: bool) -> Option<Via> {
    if mail && !email.is_empty() {
        Some(Via::Mail)
    } else if !phone.is_empty() {
        Some(Via::Text)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_goes_by_mail_when_it_can_else_by_text() {
        assert_eq!(via("13912345678", "li@example.cn", true), Some(Via::Mail));
        assert_eq!(via("13912345678", "li@example.cn", false), Some(Via::Text));
        assert_eq!(via("13912345678", "", true), Some(Via::Text));
        assert_eq!(via("", "li@example.cn", false), None);
        assert_eq!(via("", "", true), None);
    }

    #[test]
    fn the_steps_a_resident_hears_about() {
        use ActionKind as K;
        use Status as S;
        assert_eq!(
            Notice::after(K::Acknowledge, S::InProgress),
            Some(Notice::TakenUp)
        );
        assert_eq!(
            Notice::after(K::HandleLocally, S::LocalHandling),
            Some(Notice::TakenUp)
        );
        assert_eq!(
            Notice::after(K::RecordFeedback, S::AwaitingRating),
            Some(Notice::Done)
        );
        assert_eq!(
            Notice::after(K::RateDissatisfied, S::Rework),
            Some(Notice::Reopened)
        );
        // Internal steps and the resident's own good rating send nothing.
        for (kind, to) in [
            (K::StartConsolidation, S::Consolidating),
            (K::Assign, S::AwaitingAck),
            (K::ReportProgress, S::InProgress),
            (K::RequestClosure, S::ClosureRequested),
            (K::ApproveClosure, S::FeedbackDue),
            (K::RateSatisfied, S::Closed),
            (K::RecordCall, S::AwaitingRating),
        ] {
            assert_eq!(Notice::after(kind, to), None, "{kind:?}");
        }
    }

    #[test]
    fn failed_sends_wait_longer_each_time_and_stop_after_the_last() {
        let waits: Vec<_> = (1..ATTEMPTS).map(|a| retry_after(a).unwrap()).collect();
        assert!(waits.windows(2).all(|w| w[0] < w[1]), "{waits:?}");
        assert_eq!(retry_after(ATTEMPTS), None);
        assert!(waits.iter().copied().sum::<Duration>() < Duration::hours(24));
    }

    #[test]
    fn one_sms_is_seventy_chinese_or_a_hundred_and_sixty_plain_characters() {
        assert!(fits_one_sms(&"好".repeat(70)));
        assert!(!fits_one_sms(&"好".repeat(71)));
        assert!(fits_one_sms(&"a".repeat(160)));
        assert!(!fits_one_sms(&"a".repeat(161)));
        // One Chinese character makes the whole text UCS-2.
        assert!(!fits_one_sms(&format!("好{}", "a".repeat(70))));
    }

    #[test]
    fn names_read_back() {
        for n in Notice::ALL {
            assert_eq!(Notice::parse(n.as_str()), Some(n));
        }
        for d in Delivery::ALL {
            assert_eq!(Delivery::parse(d.as_str()), Some(d));
        }
    }
}
