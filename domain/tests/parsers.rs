//! Property tests of what careless or hostile input reaches (issue 23):
//! tracking codes, hours of service, Open311's dates and statuses, the
//! masks of public pages, the cells of exports and the lines of a region
//! import file. No input makes a parser
//! panic (a panic is a 500 and a dropped request), and what the system
//! writes reads back the same.

use chrono::{DateTime, TimeZone, Utc};
use domain::TrackingCode;
use domain::code::CodeError;
use domain::region::{ImportLine, MAX_REGION_NAME, RegionLevel};
use proptest::prelude::*;

/// The symbols of a code, as `code.rs` keeps them.
const ALPHABET: &str = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_text_makes_the_code_parser_panic(s in "\\PC{0,24}") {
        let _ = TrackingCode::parse(&s);
    }

    #[test]
    fn a_code_reads_back_however_it_is_typed(
        bytes in any::<[u8; 7]>(),
        lower in any::<bool>(),
        dash in any::<bool>(),
        pad in "[ \t]{0,3}",
    ) {
        let code = TrackingCode::from_random(bytes);
        let shown = code.to_string();
        let shown = if dash { shown } else { shown.replace('-', " ") };
        let shown = if lower { shown.to_lowercase() } else { shown };
        prop_assert_eq!(TrackingCode::parse(&format!("{pad}{shown}{pad}")), Ok(code));
    }

    #[test]
    fn one_mistyped_symbol_is_caught(bytes in any::<[u8; 7]>(), at in 0usize..8, shift in 1usize..32) {
        let code = TrackingCode::from_random(bytes);
        let mut symbols: Vec<char> = code.as_str().chars().collect();
        let was = ALPHABET.find(symbols[at]).unwrap();
        symbols[at] = ALPHABET.as_bytes()[(was + shift) % 32] as char;
        let typo: String = symbols.into_iter().collect();
        prop_assert_eq!(TrackingCode::parse(&typo), Err(CodeError::Check));
    }

    #[test]
    fn no_text_makes_the_hours_parser_panic(s in "[0-9.+ -]{0,25}|\\PC{0,12}") {
        if let Ok(minutes) = domain::party::parse_hours(&s) {
            prop_assert!(minutes > 0);
        }
    }

    #[test]
    fn hours_in_range_read_back_as_written(tenths in 1i64..=240) {
        let written = domain::party::hours(tenths * 6);
        prop_assert_eq!(domain::party::parse_hours(&written), Ok(tenths * 6));
    }

    #[test]
    fn no_text_makes_open311s_parameters_panic(s in "\\PC{0,40}") {
        let _ = domain::open311::parse_datetime(&s);
        let _ = domain::open311::parse_status(&s);
        let _ = domain::open311::looks_like_html(&s);
    }

    #[test]
    fn dates_open311_writes_read_back(seconds in 0i64..8_000_000_000) {
        let t: DateTime<Utc> = Utc.timestamp_opt(seconds, 0).unwrap();
        let written = domain::open311::format_datetime(t);
        prop_assert_eq!(domain::open311::parse_datetime(&written), Some(t));
    }

    #[test]
    fn a_window_from_any_readable_dates_never_panics(
        start in proptest::option::of("[0-9]{4}-[01][0-9]-[0-3][0-9]"),
        end in proptest::option::of("[0-9]{4}-[01][0-9]-[0-3][0-9]"),
    ) {
        let read = |d: &Option<String>| d.as_deref().and_then(domain::open311::parse_datetime);
        if let Ok((s, e)) = domain::open311::window(read(&start), read(&end), Utc::now()) {
            prop_assert!(s <= e);
            prop_assert!(e - s <= chrono::Duration::days(domain::open311::MAX_SPAN_DAYS));
        }
    }

    #[test]
    fn masks_never_show_a_whole_name_or_number(name in "[^*]{0,12}", phone in "[0-9 +-]{0,20}") {
        let masked = domain::mask::name(&name);
        let trimmed = name.trim();
        if trimmed.chars().count() >= 2 {
            prop_assert_ne!(masked.as_str(), trimmed);
        }
        let shown = domain::mask::phone(&phone);
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        prop_assert!(digits.len() < 8 || !shown.contains(&digits));
        prop_assert!(shown.chars().filter(char::is_ascii_digit).count() <= 7);
    }

    #[test]
    fn redacted_text_holds_no_long_run_of_digits(text in "[0-9０-９ a-z.()\\-一二三]{0,60}") {
        let redacted = domain::mask::redact(&text, &[]);
        let mut run = 0;
        for c in redacted.chars() {
            if c.is_ascii_digit() || ('０'..='９').contains(&c) {
                run += 1;
                prop_assert!(run < 7 || redacted.contains('-'), "{redacted:?} from {text:?}");
            } else if c != ' ' {
                run = 0;
            }
        }
    }

    #[test]
    fn no_export_cell_starts_a_formula(text in "[=+@\\t\\r-]?\\PC{0,20}") {
        let cell = domain::spreadsheet::safe_cell(&text);
        let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
        // What a spreadsheet takes as a plain number stays one; nothing else starts like a formula.
        prop_assert!(!risky || cell.parse::<f64>().is_ok_and(f64::is_finite), "{cell:?}");
    }

    #[test]
    fn no_import_line_makes_the_region_parser_panic(
        fields in proptest::collection::vec("\\PC{0,12}", 0..5),
    ) {
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let _ = ImportLine::parse(&fields);
    }

    #[test]
    fn an_import_line_keeps_only_a_name_pages_can_show(
        parent in "\\PC{0,12}",
        at in 0usize..7,
        name in "[\\x00-\\x1f\u{202a}-\u{202e}/ a汉]{0,6}|\\PC{36,44}",
    ) {
        let level = RegionLevel::ALL[at].as_str();
        if let Ok(line) = ImportLine::parse(&[&parent, level, &name]) {
            let n = line.name.chars().count();
            prop_assert!((1..=MAX_REGION_NAME).contains(&n), "{:?}", line.name);
            prop_assert!(!line.name.contains('/'), "{:?}", line.name);
            let hidden = |c: char| c.is_control() || domain::intake::is_bidi_control(c);
            prop_assert!(!line.name.chars().any(hidden), "{:?}", line.name);
            prop_assert_eq!(line.name.trim(), line.name.as_str());
        }
    }

    #[test]
    fn an_import_line_reads_back_as_written(
        chain in proptest::collection::vec("[\\p{Han}a-z0-9]{1,10}", 0..5),
        at in 0usize..7,
        chinese in any::<bool>(),
        name in "[\\p{Han}a-zA-Z0-9（）·-]{1,40}",
    ) {
        let level = RegionLevel::ALL[at];
        let labels = ["市", "区县", "街道", "社区", "网格", "小区", "楼栋"];
        let written = if chinese { labels[at].to_string() } else { level.as_str().to_string() };
        let parent = chain.join("/");
        let line = ImportLine::parse(&[&format!(" {parent} "), &written, &format!(" {name} ")]);
        prop_assert_eq!(line, Ok(ImportLine { parent, level, name: name.clone() }));
    }
}

#[test]
fn hours_beyond_any_day_are_out_of_range_not_an_overflow() {
    for huge in [
        "9223372036854775807",
        "153722867280912931",
        "99999999999999999.9",
    ] {
        assert_eq!(
            domain::party::parse_hours(huge).unwrap_err().message,
            "out_of_range",
            "{huge}"
        );
    }
}
