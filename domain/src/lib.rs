//! The domain of Lianxin (连心): plain Rust, no I/O, shared by server and browser.
//!
//! Everything a rule depends on is passed in (the current time, random bytes),
//! so the rules are deterministic and unit-tested here.

/// A closed set of values kept as text — in the database, in URLs, in JSON:
/// the enum with its derives and docs as written, `ALL` in the order given,
/// `as_str`, `parse` and `FromStr`, all from one list of variants and their
/// names. Serde takes the same names, so a stored row, a query string and a
/// server function's JSON cannot drift apart; the store reads these through
/// `db::Code<T>`, which fails on a name the enum does not know.
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            pub const ALL: [Self; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s).ok_or_else(|| crate::UnknownName {
                    of: stringify!($name),
                    name: s.to_string(),
                })
            }
        }
    };
}

/// A name that is none of a stored enum's (`"handling"` for a `Status`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name:?} is no {of}")]
pub struct UnknownName {
    pub of: &'static str,
    pub name: String,
}

pub mod account;
pub mod callback;
pub mod case;
pub mod code;
pub mod coordination;
pub mod deadline;
pub mod figures;
pub mod form;
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
pub mod seat;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name a stored enum writes reads back as the same value, in the
    /// store's way (`parse`), a query string's (`FromStr`) and JSON's alike.
    fn round_trips<T>(all: &[T], as_str: fn(T) -> &'static str)
    where
        T: Copy
            + PartialEq
            + std::fmt::Debug
            + std::str::FromStr<Err = UnknownName>
            + serde::Serialize
            + serde::de::DeserializeOwned,
    {
        for value in all.iter().copied() {
            let name = as_str(value);
            assert_eq!(name.parse::<T>(), Ok(value));
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), value);
        }
    }

    #[test]
    fn stored_enums_read_back_what_they_write_and_refuse_other_names() {
        round_trips(&Status::ALL, Status::as_str);
        round_trips(&Role::ALL, Role::as_str);
        round_trips(&view::ExtensionStatus::ALL, view::ExtensionStatus::as_str);
        round_trips(&session::SessionStatus::ALL, session::SessionStatus::as_str);
        round_trips(&wish::WishStatus::ALL, wish::WishStatus::as_str);
        assert_eq!(Status::ALL.len(), 14);
        assert_eq!(Status::parse("handling"), None);
        let refused = "handling".parse::<Status>().unwrap_err();
        assert_eq!(refused.to_string(), "\"handling\" is no Status");
        assert!(serde_json::from_str::<Role>("\"Admin\"").is_err());
    }
}
