//! Translated names of domain values, for views.

use crate::error::AppError;
use crate::i18n::*;
use chrono::{DateTime, Utc};
use domain::Checkpoint;
use domain::coordination::ItemStatus;
use domain::notice::{Delivery, Notice};
use domain::{
    ActionKind, CallOutcome, CheckpointStatus, DeadlineClass, Rating, RatingChannel, Role, Route,
    Source, Status, Step, Tier,
};

/// A time as people in China read it ("2026-12-03 09:05"). Written field by
/// field: a `format` pattern is parsed again for every time it prints, and
/// an export prints four times on each of a million lines.
pub fn fmt_time(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let t = t.with_timezone(&domain::deadline::china());
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

macro_rules! labels {
    ($name:ident: $ty:ident { $($variant:ident => $group:ident . $key:ident),* $(,)? }) => {
        pub fn $name(l: Locale, v: $ty) -> &'static str {
            match v {
                $($ty::$variant => td_string!(l, $group.$key),)*
            }
        }
    };
}

labels!(step: Step {
    Register => step.register, Consolidate => step.consolidate, Handle => step.handle,
    Feedback => step.feedback, Rate => step.rate, Closed => step.closed,
});

labels!(status: Status {
    Registered => status.registered, Consolidating => status.consolidating, Returned => status.returned,
    AwaitingAck => status.awaiting_ack, InProgress => status.in_progress,
    ClosureRequested => status.closure_requested, LocalHandling => status.local_handling,
    Escalated => status.escalated, Suggestion => status.suggestion, Rework => status.rework,
    FeedbackDue => status.feedback_due, AwaitingRating => status.awaiting_rating,
    Closed => status.closed, Merged => status.merged,
});

labels!(route: Route {
    OnTheSpot => route.on_the_spot, Local => route.local, Assigned => route.assigned,
    Escalated => route.escalated, Suggestion => route.suggestion, NotAccepted => route.not_accepted,
    Merged => route.merged,
});

labels!(rating: Rating {
    Satisfied => rating.satisfied, FairlySatisfied => rating.fairly_satisfied,
    Dissatisfied => rating.dissatisfied, NotRated => rating.not_rated,
});

labels!(source: Source {
    StationSession => source.station_session, WalkIn => source.walk_in, GridVisit => source.grid_visit,
    Phone => source.phone, Online => source.online, Open311 => source.open311,
});

labels!(item_status: ItemStatus {
    Open => item.open, InProgress => item.in_progress, Done => item.done,
});

labels!(checkpoint: Checkpoint {
    Acknowledge => checkpoint.acknowledge, Progress => checkpoint.progress, Completion => checkpoint.completion,
});

labels!(deadline: CheckpointStatus {
    OnTrack => deadline.on_track, DueSoon => deadline.due_soon, Overdue => deadline.overdue,
    Met => deadline.met, Late => deadline.late,
});

labels!(class: DeadlineClass {
    Urgent => class.urgent, Ordinary => class.ordinary, Complex => class.complex,
});

labels!(tier: Tier {
    Compound => tier.compound, Grid => tier.grid, Community => tier.community,
    Street => tier.street, District => tier.district, City => tier.city,
});

labels!(role: Role {
    Admin => role.admin, Director => role.director, Deputy => role.deputy,
    Handler => role.handler, Leader => role.leader, GridWorker => role.grid_worker,
    Member => role.member,
});

labels!(action: ActionKind {
    StartConsolidation => action.start_consolidation, AnswerOnSpot => action.answer_on_spot,
    HandleLocally => action.handle_locally, Assign => action.assign, Escalate => action.escalate,
    ToSuggestion => action.to_suggestion, NotAccept => action.not_accept, Merge => action.merge,
    Acknowledge => action.acknowledge, Return => action.return_case, ReportProgress => action.report_progress, Urge => action.urge,
    RequestClosure => action.request_closure, ApproveClosure => action.approve_closure,
    RejectClosure => action.reject_closure, CompleteLocally => action.complete_locally,
    ResolveEscalated => action.resolve_escalated, AnswerSuggestion => action.answer_suggestion,
    RecordFeedback => action.record_feedback, RateSatisfied => action.rate_satisfied,
    RateFairlySatisfied => action.rate_fairly_satisfied, RateDissatisfied => action.rate_dissatisfied,
    RecordCall => action.record_call, CloseUnrated => action.close_unrated,
});

labels!(call_outcome: CallOutcome {
    NoAnswer => callback.no_answer, WrongNumber => callback.wrong_number, Refused => callback.refused,
});

labels!(channel: RatingChannel {
    Online => callback.online, Session => callback.in_person, Callback => callback.by_phone,
});

/// What the timeline adds to a rating staff recorded or a call.
pub fn call_note(l: Locale, note: domain::view::CallNote) -> &'static str {
    match note {
        domain::view::CallNote::Rated(via) => channel(l, via),
        domain::view::CallNote::Unanswered(o) => call_outcome(l, o),
    }
}

/// A text message to a resident, whole (see `domain::notice`).
pub fn sms(l: Locale, notice: Notice, code: &str, pin: &str, link: &str) -> String {
    match notice {
        Notice::Registered => td_string!(l, sms.registered, code, pin).to_string(),
        Notice::TakenUp => td_string!(l, sms.taken_up, code).to_string(),
        Notice::Done => td_string!(l, sms.done, code, link).to_string(),
        Notice::Reopened => td_string!(l, sms.reopened, code).to_string(),
    }
}

/// The subject of a mail to a resident about case `code`.
pub fn message_subject(l: Locale, code: &str) -> String {
    td_string!(l, mail.message_subject, code).to_string()
}

/// The daily digest for `name` (see `server::mail`): its subject and plain
/// text, the first of what waits with a link to each, and links to all of
/// it and to where the digest is turned off. `site` is the public address.
pub fn digest(
    l: Locale,
    name: &str,
    to_do: domain::view::ToDo,
    first: &[domain::view::CaseSummary],
    site: &str,
) -> (String, String) {
    let site = site.trim_end_matches('/');
    let (total, overdue) = (to_do.total, to_do.overdue);
    let subject = td_string!(l, mail.subject, total, overdue).to_string();
    let mut body = vec![
        td_string!(l, mail.greeting, name).to_string(),
        String::new(),
        td_string!(l, mail.intro).to_string(),
        String::new(),
    ];
    for case in first {
        let late = if case.due_in_hours.is_some_and(|h| h < 0) {
            format!("（{}）", td_string!(l, mail.overdue))
        } else {
            String::new()
        };
        // A resident's title is one line here, whatever they typed.
        body.push(format!(
            "{} {} · {}{late}",
            case.code,
            domain::intake::clean_line(&case.title),
            status(l, case.status)
        ));
        body.push(format!("  {site}/cases/{}", case.code));
    }
    let link = format!("{site}/cases?mine=1");
    body.push(String::new());
    body.push(td_string!(l, mail.more, total, link).to_string());
    let link = format!("{site}/account");
    body.push(td_string!(l, mail.footer, link).to_string());
    (subject, body.join("\n"))
}

/// What the timeline adds to a text message: which one, and what became of it.
pub fn message_note(l: Locale, note: domain::view::MessageNote) -> String {
    let notice = match note.notice {
        Notice::Registered => td_string!(l, sms.notice_registered),
        Notice::TakenUp => td_string!(l, sms.notice_taken_up),
        Notice::Done => td_string!(l, sms.notice_done),
        Notice::Reopened => td_string!(l, sms.notice_reopened),
    };
    let delivery = match note.delivery {
        Delivery::Sent => td_string!(l, sms.delivery_sent),
        Delivery::Failed => td_string!(l, sms.delivery_failed),
        Delivery::GaveUp => td_string!(l, sms.delivery_gave_up),
    };
    format!("{notice} · {delivery}")
}

/// A timeline entry's kind: `registered`, an action, or a 13710 reminder
/// (`reminder.<level>.<checkpoint>`).
pub fn event(l: Locale, kind: &str) -> String {
    if let Some((level, cp)) = kind
        .strip_prefix("reminder.")
        .and_then(|r| r.split_once('.'))
    {
        let level = if level == "overdue" {
            td_string!(l, reminder.overdue)
        } else {
            td_string!(l, reminder.due_soon)
        };
        let cp = Checkpoint::parse(cp)
            .map(|c| checkpoint(l, c))
            .unwrap_or_default();
        return format!("{level} · {cp}");
    }
    let text = match kind {
        "anonymised" => td_string!(l, privacy.anonymised),
        "letter" => td_string!(l, letter.issued),
        "recurrence" => td_string!(l, board.recurring),
        "extension_requested" => td_string!(l, extension.requested_event),
        "extension_approved" => td_string!(l, extension.approved_event),
        "extension_refused" => td_string!(l, extension.refused_event),
        "coordinated" => td_string!(l, item.coordinated_event),
        "coordination_update" => td_string!(l, item.update_event),
        "notified" => td_string!(l, sms.event),
        "notify_stopped" => td_string!(l, sms.stopped_event),
        "photos_added" => td_string!(l, photo.added_event),
        "photo_published" => td_string!(l, photo.published_event),
        "photo_hidden" => td_string!(l, photo.hidden_event),
        _ => ActionKind::parse(kind)
            .map(|k| action(l, k))
            .unwrap_or_else(|| td_string!(l, action.registered)),
    };
    text.to_string()
}

/// A validation message key in words; unknown keys are shown as they are.
pub fn message(l: Locale, key: &str) -> String {
    match key {
        "required" => td_string!(l, error.required).to_string(),
        "too_long" => td_string!(l, error.too_long).to_string(),
        "invalid_phone" => td_string!(l, error.invalid_phone).to_string(),
        "unknown" => td_string!(l, error.unknown).to_string(),
        "out_of_scope" => td_string!(l, error.out_of_scope).to_string(),
        "malformed_code" => td_string!(l, error.malformed_code).to_string(),
        "cannot_merge" => td_string!(l, error.cannot_merge).to_string(),
        "unusable" => td_string!(l, error.unusable).to_string(),
        "login_failed" => td_string!(l, error.login_failed).to_string(),
        "not_overdue" => td_string!(l, error.not_overdue).to_string(),
        "out_of_range" => td_string!(l, error.out_of_range).to_string(),
        "taken" => td_string!(l, error.taken).to_string(),
        "no_extension" => td_string!(l, error.no_extension).to_string(),
        "bad_username" => td_string!(l, error.bad_username).to_string(),
        "bad_email" => td_string!(l, error.bad_email).to_string(),
        "not_yourself" => td_string!(l, error.not_yourself).to_string(),
        "password_short" => td_string!(l, error.password_short).to_string(),
        "password_unchanged" => td_string!(l, error.password_unchanged).to_string(),
        "password_has_name" => td_string!(l, error.password_has_name).to_string(),
        "password_simple" => td_string!(l, error.password_simple).to_string(),
        "password_mismatch" => td_string!(l, error.password_mismatch).to_string(),
        "too_few_cases" => td_string!(l, error.too_few_cases).to_string(),
        "too_many_cases" => td_string!(l, error.too_many_cases).to_string(),
        "unknown_case" => td_string!(l, error.unknown_case).to_string(),
        "case_closed" => td_string!(l, error.case_closed).to_string(),
        "already_linked" => td_string!(l, error.already_linked).to_string(),
        "not_allowed" => td_string!(l, error.not_allowed).to_string(),
        "before_start" => td_string!(l, error.before_start).to_string(),
        "in_the_past" => td_string!(l, error.in_the_past).to_string(),
        "session_closed" => td_string!(l, error.session_closed).to_string(),
        "follows_case" => td_string!(l, error.follows_case).to_string(),
        "already_claimed" => td_string!(l, error.already_claimed).to_string(),
        "claimed_cannot_withdraw" => td_string!(l, error.claimed_cannot_withdraw).to_string(),
        "registration_pending" => td_string!(l, error.registration_pending).to_string(),
        "no_parent_for_kind" => td_string!(l, error.no_parent_for_kind).to_string(),
        "wrong_parent_kind" => td_string!(l, error.wrong_parent_kind).to_string(),
        "outside_parent" => td_string!(l, error.outside_parent).to_string(),
        "bad_date" => td_string!(l, error.bad_date).to_string(),
        "in_future" => td_string!(l, error.in_future).to_string(),
        "before_eighteen" => td_string!(l, error.before_eighteen).to_string(),
        "already_registered" => td_string!(l, error.already_registered).to_string(),
        "already_decided" => td_string!(l, error.already_decided).to_string(),
        "already_closed" => td_string!(l, error.already_closed).to_string(),
        "approved_cannot_withdraw" => td_string!(l, error.approved_cannot_withdraw).to_string(),
        "nothing_served" => td_string!(l, error.nothing_served).to_string(),
        "bad_hours" => td_string!(l, error.bad_hours).to_string(),
        "before_claim" => td_string!(l, error.before_claim).to_string(),
        "not_serving" => td_string!(l, error.not_serving).to_string(),
        "bad_quarter" => td_string!(l, error.bad_quarter).to_string(),
        "inside_itself" => td_string!(l, error.inside_itself).to_string(),
        "same_parent" => td_string!(l, error.same_parent).to_string(),
        "open_cases" => td_string!(l, error.open_cases).to_string(),
        "has_accounts" => td_string!(l, error.has_accounts).to_string(),
        "has_stations" => td_string!(l, error.has_stations).to_string(),
        "root" => td_string!(l, error.root).to_string(),
        "level_order" => td_string!(l, error.level_order).to_string(),
        "slash" => td_string!(l, error.slash).to_string(),
        "control_chars" => td_string!(l, error.control_chars).to_string(),
        "duplicate" => td_string!(l, error.duplicate).to_string(),
        "call_first" => td_string!(l, error.call_first).to_string(),
        other => other.to_string(),
    }
}

/// A whole error in words.
pub fn error(l: Locale, e: &AppError) -> String {
    match e {
        AppError::Unauthorized => td_string!(l, error.unauthorized).to_string(),
        AppError::Forbidden => td_string!(l, error.forbidden).to_string(),
        AppError::PasswordChange => td_string!(l, error.password_change).to_string(),
        AppError::NotFound => td_string!(l, error.not_found).to_string(),
        AppError::Conflict => td_string!(l, error.conflict).to_string(),
        AppError::LookupFailed => td_string!(l, error.lookup_failed).to_string(),
        AppError::RateLimited(secs) => td_string!(l, error.rate_limited, secs = *secs).to_string(),
        AppError::PhoneLocked => td_string!(l, error.phone_locked).to_string(),
        AppError::CodeLocked => td_string!(l, error.code_locked).to_string(),
        AppError::Spam => td_string!(l, error.spam).to_string(),
        AppError::Server => td_string!(l, error.server).to_string(),
        AppError::Unavailable => td_string!(l, error.unavailable).to_string(),
        AppError::Invalid(errors) => {
            let own = errors
                .iter()
                .map(|f| message(l, &f.message))
                .collect::<Vec<_>>()
                .join("; ");
            format!(
                "{}{}",
                td_string!(l, error.fix_fields),
                if own.is_empty() {
                    String::new()
                } else {
                    format!(" ({own})")
                }
            )
        }
        AppError::Refused(m) | AppError::Transport(m) => {
            format!("{}{m}", td_string!(l, error.generic))
        }
    }
}

/// Texts of the Open311 endpoint (the server answers in the client's language).
pub mod open311 {
    use crate::i18n::*;

    pub fn contact(l: Locale) -> String {
        td_string!(l, open311.contact).to_string()
    }

    pub fn key_service(l: Locale) -> String {
        td_string!(l, open311.key_service).to_string()
    }

    /// What a client shows its user after filing: how to follow the request.
    pub fn notice(l: Locale, code: &str, pin: &str) -> String {
        td_string!(l, open311.notice, code = code, pin = pin).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_reads_as_the_strftime_pattern_prints_it_in_china() {
        let pattern = |t: DateTime<Utc>| {
            t.with_timezone(&domain::deadline::china())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        };
        // Around midnight in China (a day later than in UTC), a year's
        // turn, a leap day, single digits, and a year below 1000.
        for s in [
            "2026-12-03T16:05:59Z",
            "2026-12-31T15:59:00Z",
            "2026-12-31T16:00:00Z",
            "2028-02-28T20:30:00Z",
            "2026-01-01T00:00:00Z",
            "0999-05-06T07:08:09Z",
        ] {
            let t: DateTime<Utc> = s.parse().expect("a time");
            assert_eq!(fmt_time(t), pattern(t), "{s}");
        }
        let t: DateTime<Utc> = "2026-12-31T16:00:00Z".parse().expect("a time");
        assert_eq!(fmt_time(t), "2027-01-01 00:00");
    }

    #[test]
    fn every_text_message_fits_one_sms_in_every_locale() {
        // The longest code and PIN there are, and a city's address as long
        // as the README asks LIANXIN_PUBLIC_URL to be at most.
        let (code, pin) = ("K7QM-3XPA", "123456");
        let link = format!("{}/track/{code}", "x".repeat(25));
        for l in [Locale::zh, Locale::en] {
            for notice in Notice::ALL {
                let text = sms(l, notice, code, pin, &link);
                assert!(
                    domain::notice::fits_one_sms(&text),
                    "{l:?} {notice:?}: {text}"
                );
                assert!(text.contains(code), "{l:?} {notice:?}: {text}");
            }
        }
        assert!(sms(Locale::zh, Notice::Registered, code, pin, &link).contains(pin));
        assert!(sms(Locale::zh, Notice::Done, code, pin, &link).contains(&link));
    }
}
