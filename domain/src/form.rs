//! Submitted forms. A form arrives as text, field by field, the way a
//! browser sends it; each server function takes one `Raw…` struct of such
//! text and turns it into typed values here, with a message per unusable
//! field, all at once, so the page can mark every field it has to.
//! Nothing is dropped or defaulted quietly: a number that is not one, a
//! name from no list, a day that does not exist each become a field error.

use crate::{FieldError, TrackingCode};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Reads the fields of one form and remembers what was wrong with them.
/// Every reader that answers `None` for a value it needed has recorded why,
/// so `finish` can build the result with `?` on the required ones.
#[derive(Debug, Default)]
pub struct Reader {
    errors: Vec<FieldError>,
}

/// The text of a field when it holds more than blanks.
fn given(raw: &str) -> Option<&str> {
    Some(raw.trim()).filter(|s| !s.is_empty())
}

impl Reader {
    /// Records `message` for `field` (a rule the readers below cannot see).
    pub fn refuse(&mut self, field: &str, message: &str) {
        self.errors.push(FieldError::new(field, message));
    }

    /// A required id or count: "required" when blank or not a whole number.
    pub fn id(&mut self, field: &str, raw: &str) -> Option<i64> {
        let value = given(raw).and_then(|v| v.parse().ok());
        if value.is_none() {
            self.refuse(field, "required");
        }
        value
    }

    /// An optional id, from a picker that may be left empty: none when
    /// blank, "unusable" when it is not a whole number.
    pub fn pick(&mut self, field: &str, raw: &str) -> Option<i64> {
        let value = given(raw)?;
        let id = value.parse().ok();
        if id.is_none() {
            self.refuse(field, "unusable");
        }
        id
    }

    /// A required name from a closed list: "required" when blank,
    /// "unknown" when it names nothing in the list.
    pub fn choice<T>(
        &mut self,
        field: &str,
        raw: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let Some(value) = given(raw) else {
            self.refuse(field, "required");
            return None;
        };
        let chosen = parse(value);
        if chosen.is_none() {
            self.refuse(field, "unknown");
        }
        chosen
    }

    /// An optional name from a closed list: none when blank, "unknown"
    /// when it names nothing in the list.
    pub fn option<T>(
        &mut self,
        field: &str,
        raw: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        given(raw)?;
        self.choice(field, raw, parse)
    }

    /// A whole number within `range` ("out_of_range" otherwise).
    pub fn number(
        &mut self,
        field: &str,
        raw: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        let value = given(raw)
            .and_then(|v| v.parse().ok())
            .filter(|n| range.contains(n));
        if value.is_none() {
            self.refuse(field, "out_of_range");
        }
        value
    }

    /// An optional whole number within `range`: none when blank.
    pub fn optional_number(
        &mut self,
        field: &str,
        raw: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        given(raw)?;
        self.number(field, raw, range)
    }

    /// A tracking code as printed on a receipt ("malformed_code" otherwise).
    pub fn code(&mut self, field: &str, raw: &str) -> Option<TrackingCode> {
        let code = TrackingCode::parse(raw).ok();
        if code.is_none() {
            self.refuse(field, "malformed_code");
        }
        code
    }

    /// An optional day, `YYYY-MM-DD`: none when blank, "bad_date" when it
    /// is no day.
    pub fn day(&mut self, field: &str, raw: &str) -> Option<NaiveDate> {
        let value = given(raw)?;
        let day = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok();
        if day.is_none() {
            self.refuse(field, "bad_date");
        }
        day
    }

    /// An optional moment as a `datetime-local` field sends it
    /// (`2026-12-03T19:30`), in China time: none when blank, "bad_date"
    /// when it is no moment.
    pub fn moment(&mut self, field: &str, raw: &str) -> Option<DateTime<Utc>> {
        let value = given(raw)?;
        let moment = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
            .ok()
            .and_then(|t| t.and_local_timezone(crate::deadline::china()).single())
            .map(|t| t.with_timezone(&Utc));
        if moment.is_none() {
            self.refuse(field, "bad_date");
        }
        moment
    }

    /// Text as typed, "too_long" past `max` characters.
    pub fn bounded(&mut self, field: &str, raw: &str, max: usize) -> String {
        if raw.chars().count() > max {
            self.refuse(field, "too_long");
        }
        raw.to_string()
    }

    /// Ids separated by spaces or commas; "unusable" when one is not a number.
    pub fn ids(&mut self, field: &str, raw: &str) -> Vec<i64> {
        let mut ids = Vec::new();
        for part in raw.split(|c: char| c.is_whitespace() || c == ',') {
            match part.parse() {
                _ if part.is_empty() => {}
                Ok(id) => ids.push(id),
                Err(_) => {
                    self.refuse(field, "unusable");
                    break;
                }
            }
        }
        ids
    }

    /// The typed form when every field could be read; every message otherwise.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldError>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        // A reader that answered None has recorded an error, so `build`
        // only fails here if a caller used `?` on an optional field.
        build().ok_or_else(|| vec![FieldError::new("form", "unusable")])
    }
}

/// Declares a form twice: `Raw…`, the text a browser sends (what a server
/// function takes), and the typed form its `parse` yields. Each field names
/// how it is read: `text` (as typed), `bounded(max)`, `flag` (a checkbox), `id`, `pick`,
/// `code`, `day`, `number(lo..=hi)`, `optional_number(lo..=hi)`,
/// `choice(Enum)`, `option(Enum)` —
/// see the `Reader` method of the same name.
#[macro_export]
macro_rules! form {
    (
        $(#[$meta:meta])*
        pub struct $typed:ident from $raw:ident {
            $( $(#[$fmeta:meta])* $field:ident : $kind:ident $( ( $($arg:tt)* ) )? ),* $(,)?
        }
    ) => {
        #[doc = concat!("[`", stringify!($typed), "`] as the browser sends it: every field text.")]
        #[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(default)]
        pub struct $raw {
            $( $(#[$fmeta])* pub $field: $crate::form!(@raw $kind), )*
        }

        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $typed {
            $( $(#[$fmeta])* pub $field: $crate::form!(@typed $kind $( ( $($arg)* ) )?), )*
        }

        impl $raw {
            /// The typed form, or a message per unusable field.
            pub fn parse(&self) -> Result<$typed, Vec<$crate::FieldError>> {
                let raw = self;
                let mut reader = $crate::form::Reader::default();
                $( let $field = $crate::form!(@read reader, raw, $field, $kind $( ( $($arg)* ) )?); )*
                reader.finish(|| Some($typed { $( $field: $crate::form!(@done $field, $kind), )* }))
            }
        }
    };
    (@raw flag) => { Option<String> };
    (@raw $kind:ident) => { String };
    (@typed text) => { String };
    (@typed bounded($max:expr)) => { String };
    (@typed flag) => { bool };
    (@typed id) => { i64 };
    (@typed pick) => { Option<i64> };
    (@typed code) => { $crate::TrackingCode };
    (@typed day) => { Option<chrono::NaiveDate> };
    (@typed number($($range:tt)*)) => { i64 };
    (@typed optional_number($($range:tt)*)) => { Option<i64> };
    (@typed choice($t:ty)) => { $t };
    (@typed option($t:ty)) => { Option<$t> };
    (@read $r:ident, $s:ident, $f:ident, text) => { $s.$f.clone() };
    (@read $r:ident, $s:ident, $f:ident, flag) => { $s.$f.is_some() };
    (@read $r:ident, $s:ident, $f:ident, number($($range:tt)*)) => {
        $r.number(stringify!($f), &$s.$f, $($range)*)
    };
    (@read $r:ident, $s:ident, $f:ident, optional_number($($range:tt)*)) => {
        $r.optional_number(stringify!($f), &$s.$f, $($range)*)
    };
    (@read $r:ident, $s:ident, $f:ident, bounded($max:expr)) => {
        $r.bounded(stringify!($f), &$s.$f, $max)
    };
    (@read $r:ident, $s:ident, $f:ident, choice($t:ty)) => {
        $r.choice(stringify!($f), &$s.$f, <$t>::parse)
    };
    (@read $r:ident, $s:ident, $f:ident, option($t:ty)) => {
        $r.option(stringify!($f), &$s.$f, <$t>::parse)
    };
    (@read $r:ident, $s:ident, $f:ident, $kind:ident) => { $r.$kind(stringify!($f), &$s.$f) };
    (@done $f:ident, id) => { $f? };
    (@done $f:ident, code) => { $f? };
    (@done $f:ident, number) => { $f? };
    (@done $f:ident, choice) => { $f? };
    (@done $f:ident, $kind:ident) => { $f };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect()
    }

    #[test]
    fn every_unusable_field_is_reported_at_once() {
        let mut r = Reader::default();
        let a = r.id("a", " x ");
        let b = r.pick("b", "3.5");
        let c = r.choice("c", "purple", crate::Source::parse);
        let d = r.number("d", "0", 1..=12);
        let e = r.code("e", "nope");
        let f = r.day("f", "2026-02-30");
        let errors = r.finish(|| Some((a?, b, c?, d?, e?, f))).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                ("a", "required"),
                ("b", "unusable"),
                ("c", "unknown"),
                ("d", "out_of_range"),
                ("e", "malformed_code"),
                ("f", "bad_date"),
            ]
        );
    }

    #[test]
    fn blanks_are_missing_where_required_and_nothing_where_optional() {
        let mut r = Reader::default();
        assert_eq!(r.pick("b", "  "), None);
        assert_eq!(r.option("o", "", crate::Source::parse), None);
        assert_eq!(r.optional_number("n", " ", 1..=3), None);
        assert_eq!(r.day("f", ""), None);
        assert!(r.finish(|| Some(())).is_ok());
        let mut r = Reader::default();
        assert_eq!(r.id("a", " "), None);
        assert_eq!(r.choice("c", "", crate::Source::parse), None);
        let errors = r.finish(|| Some(())).unwrap_err();
        assert_eq!(fields(&errors), [("a", "required"), ("c", "required")]);
    }

    #[test]
    fn good_fields_read_as_their_values() {
        let mut r = Reader::default();
        let got = (
            r.id("a", " 42 "),
            r.pick("b", "7"),
            r.choice("c", "walk_in", crate::Source::parse),
            r.number("d", "12", 1..=12),
            r.day("f", "2026-12-03"),
        );
        let (a, b, c, d, f) = r.finish(|| Some(got)).unwrap();
        assert_eq!(a, Some(42));
        assert_eq!(b, Some(7));
        assert_eq!(c, Some(crate::Source::WalkIn));
        assert_eq!(d, Some(12));
        assert_eq!(f, NaiveDate::from_ymd_opt(2026, 12, 3));
    }

    crate::form! {
        /// A test form with one field of each kind.
        pub struct Sample from RawSample {
            note: text,
            notify: flag,
            unit: id,
            station: pick,
            case: code,
            due: day,
            hours: number(1..=8),
            source: choice(crate::Source),
            via: option(crate::Source),
        }
    }

    #[test]
    fn a_declared_form_reads_its_raw_twin() {
        let raw: RawSample = serde_json::from_str(
            r#"{"note":" x ","notify":"on","unit":"3","case":"CODE",
                "hours":"2","source":"online"}"#,
        )
        .unwrap();
        let code = TrackingCode::from_random([1, 2, 3, 4, 5, 6, 7]);
        let raw = RawSample {
            case: code.to_string(),
            ..raw
        };
        let form = raw.parse().unwrap();
        assert_eq!(form.case, code);
        assert_eq!(form.note, " x ");
        assert!(form.notify);
        assert_eq!((form.unit, form.station, form.due), (3, None, None));
        assert_eq!(form.hours, 2);
        assert_eq!((form.source, form.via), (crate::Source::Online, None));
        let errors = RawSample::default().parse().unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                ("unit", "required"),
                ("case", "malformed_code"),
                ("hours", "out_of_range"),
                ("source", "required"),
            ]
        );
    }
}
