//! Headings and cells of the tables a page shows and an export prints
//! (ledger, figures, the party's service report): text only, no views, so
//! the server's exports need no page.

use crate::i18n::*;
use crate::labels::{self, fmt_time};
use domain::figures::Dimension;
use domain::ledger::{Column, Line, List};
use domain::party::{ServiceReport, hours};
use std::borrow::Cow;

pub fn list_title(l: Locale, list: List) -> String {
    match list {
        List::Ledger => td_string!(l, ledger.ledger),
        List::Problems => td_string!(l, ledger.problems),
        List::Responsibility => td_string!(l, ledger.responsibility),
        List::Rectification => td_string!(l, ledger.rectification),
    }
    .to_string()
}

pub fn heading(l: Locale, c: Column) -> String {
    use Column::*;
    match c {
        No => td_string!(l, ledger.col_no),
        Code => td_string!(l, field.code),
        Registered => td_string!(l, ledger.col_registered),
        Title => td_string!(l, field.title),
        Description => td_string!(l, field.description),
        Category => td_string!(l, field.category),
        Place => td_string!(l, cases.place),
        Source => td_string!(l, field.source),
        Route => td_string!(l, field.route),
        Tier => td_string!(l, field.tier),
        Unit => td_string!(l, field.unit),
        Person => td_string!(l, ledger.col_person),
        Status => td_string!(l, field.status),
        AckDue => td_string!(l, ledger.col_ack_due),
        CompletionDue => td_string!(l, ledger.col_completion_due),
        CompletionState => td_string!(l, ledger.col_completion_state),
        Letters => td_string!(l, ledger.col_letters),
        Extension => td_string!(l, ledger.col_extension),
        Returns => td_string!(l, ledger.col_returns),
        Rework => td_string!(l, case.rework_count),
        Rating => td_string!(l, ledger.col_rating),
        Closed => td_string!(l, ledger.col_closed),
        Measure => td_string!(l, ledger.col_measure),
    }
    .to_string()
}

/// A cell as printed; `n` is the line's number in the list. The line's own
/// texts are lent, not copied: an export prints a million lines.
pub fn cell(l: Locale, c: Column, n: usize, line: &Line) -> Cow<'_, str> {
    use Column::*;
    let count = |v: i64| {
        if v == 0 {
            Cow::Borrowed("")
        } else {
            v.to_string().into()
        }
    };
    match c {
        No => n.to_string().into(),
        Code => Cow::Borrowed(&line.code),
        Registered => fmt_time(line.registered).into(),
        Title => Cow::Borrowed(&line.title),
        Description => Cow::Borrowed(&line.description),
        Category => Cow::Borrowed(&line.category),
        Place => Cow::Borrowed(&line.place),
        Source => labels::source(l, line.source).into(),
        Route => line
            .route
            .map(|r| labels::route(l, r))
            .unwrap_or_default()
            .into(),
        Tier => line
            .tier
            .map(|t| labels::tier(l, t))
            .unwrap_or_default()
            .into(),
        Unit => text(&line.unit),
        Person => text(&line.person),
        Status => labels::status(l, line.status).into(),
        AckDue => line
            .ack
            .as_ref()
            .map(|d| fmt_time(d.due))
            .unwrap_or_default()
            .into(),
        CompletionDue => line
            .completion
            .as_ref()
            .map(|d| fmt_time(d.due))
            .unwrap_or_default()
            .into(),
        CompletionState => line
            .completion
            .as_ref()
            .map(|d| labels::deadline(l, d.status))
            .unwrap_or_default()
            .into(),
        Letters => count(line.letters),
        Extension => count(line.extension_days),
        Returns => count(line.returns),
        Rework => count(i64::from(line.rework)),
        Rating => line
            .rating
            .map(|r| labels::rating(l, r))
            .unwrap_or_default()
            .into(),
        Closed => line.closed.map(fmt_time).unwrap_or_default().into(),
        Measure => text(&line.measure),
    }
}

fn text(t: &Option<String>) -> Cow<'_, str> {
    Cow::Borrowed(t.as_deref().unwrap_or_default())
}

pub fn dimension_label(l: Locale, d: Dimension) -> String {
    match d {
        Dimension::Unit => td_string!(l, figures.by_unit),
        Dimension::Station => td_string!(l, figures.by_station),
        Dimension::Community => td_string!(l, figures.by_community),
        Dimension::Grid => td_string!(l, figures.by_grid),
        Dimension::Category => td_string!(l, figures.by_category),
        Dimension::Leader => td_string!(l, figures.by_leader),
        Dimension::HeardBy => td_string!(l, figures.by_heard_by),
        Dimension::Month => td_string!(l, figures.by_month),
    }
    .to_string()
}

/// The report's sheet (and page section) names.
pub fn report_title(l: Locale, by_unit: bool) -> String {
    if by_unit {
        td_string!(l, party.by_unit)
    } else {
        td_string!(l, party.by_member)
    }
    .to_string()
}

/// Column headings of the quarterly report, shared by the page and the files.
pub fn report_headings(l: Locale, by_unit: bool) -> Vec<String> {
    let mut head: Vec<String> = if by_unit {
        vec![
            td_string!(l, party.col_unit).into(),
            td_string!(l, party.col_members).into(),
        ]
    } else {
        vec![
            td_string!(l, party.col_member).into(),
            td_string!(l, party.col_unit).into(),
            td_string!(l, party.col_community).into(),
        ]
    };
    head.extend(
        [
            td_string!(l, party.col_items),
            td_string!(l, party.col_hours),
            td_string!(l, party.col_satisfied),
            td_string!(l, party.col_fairly),
            td_string!(l, party.col_dissatisfied),
        ]
        .map(String::from),
    );
    head
}

/// The report's lines as text, in the order of `report_headings`.
pub fn report_rows(_l: Locale, r: &ServiceReport, by_unit: bool) -> Vec<Vec<String>> {
    let tail = |items: i64, minutes: i64, e: &domain::party::Evaluations| {
        [
            items.to_string(),
            hours(minutes),
            e.satisfied.to_string(),
            e.fairly.to_string(),
            e.dissatisfied.to_string(),
        ]
    };
    if by_unit {
        r.units
            .iter()
            .map(|u| {
                let mut row = vec![u.unit.clone(), u.members.to_string()];
                row.extend(tail(u.items, u.minutes, &u.evaluations));
                row
            })
            .collect()
    } else {
        r.members
            .iter()
            .map(|m| {
                let mut row = vec![m.member.clone(), m.unit.clone(), m.community.clone()];
                row.extend(tail(m.items, m.minutes, &m.evaluations));
                row
            })
            .collect()
    }
}
