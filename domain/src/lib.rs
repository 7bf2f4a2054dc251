//! The domain of Lianxin (连心): plain Rust, no I/O, shared by server and browser.
//!
//! Everything a rule depends on is passed in (the current time, random bytes),
//! so the rules are deterministic and unit-tested here.

pub mod account;
pub mod callback;
pub mod case;
pub mod code;
pub mod coordination;
pub mod deadline;
pub mod figures;
pub mod intake;
pub mod ledger;
pub mod mask;
pub mod notice;
pub mod open311;
pub mod party;
pub mod permission;
pub mod photo;
pub mod ranking;
pub mod region;
pub mod role;
pub mod session;
pub mod similarity;
pub mod spreadsheet;
pub mod throttle;
pub mod view;
pub mod wish;

pub use callback::{CallOutcome, CallbackPolicy, Calls, RatedBy, RatingChannel};
pub use case::{
    Action, ActionKind, Actor, CaseState, Rating, Route, Status, Step, TransitionError,
};
pub use code::{SecondFactor, TrackingCode};
pub use deadline::{
    Checkpoint, CheckpointStatus, DayMode, DeadlineClass, DeadlinePolicy, HolidayCalendar,
};
pub use intake::{FieldError, NewCase, Source};
pub use permission::{Permission, Reach};
pub use region::{RegionLevel, Tier};
pub use role::Role;

/// A value percent-encoded for a query string (every byte but letters,
/// digits and `-_.`).
pub fn encode_query(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
