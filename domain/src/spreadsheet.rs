//! Cells of the CSV files people open in Excel or WPS. Residents' words
//! reach them (titles, descriptions, comments), and a spreadsheet runs a
//! cell that begins like a formula: `=HYPERLINK(...)` or `@SUM(...)` typed
//! into an online request would run on a supervisor's desk.

use std::borrow::Cow;

/// The cell as text a spreadsheet will not evaluate: a leading `'` before
/// anything that starts with `=`, `+`, `-`, `@`, a tab or a carriage
/// return, unless it is a plain finite number (a negative count stays a
/// number; `-inf`, which Rust reads as one, is a formula to a spreadsheet).
pub fn safe_cell(text: &str) -> Cow<'_, str> {
    let risky = text
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    if risky && !text.parse::<f64>().is_ok_and(f64::is_finite) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_plain_values_stay_as_they_are() {
        for (cell, written) in [
            ("=1+2", "'=1+2"),
            (
                "=HYPERLINK(\"http://x\",\"点此\")",
                "'=HYPERLINK(\"http://x\",\"点此\")",
            ),
            ("+86 138 0000 0000", "'+86 138 0000 0000"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("路灯不亮", "路灯不亮"),
            ("a=b", "a=b"),
            ("-3", "-3"),
            ("+4.5", "+4.5"),
            ("-inf", "'-inf"),
            ("+NaN", "'+NaN"),
            ("87.5", "87.5"),
            ("", ""),
        ] {
            assert_eq!(safe_cell(cell), written, "{cell:?}");
        }
    }
}
