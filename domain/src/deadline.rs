//! The 13710 deadline policy (13710督办系统): deploy within 1 day, report
//! progress within 3, finish an ordinary matter within 7 and a complex one
//! within 30; urgent matters count in hours.

use crate::case::CaseState;
use crate::view::CheckpointView;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// China Standard Time. Asia/Shanghai has kept +08:00 without daylight saving
/// since 1991, so a fixed offset is exact for every date a case can have.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

stored_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum DeadlineClass {
        /// 紧急: hours, not days.
        Urgent = "urgent",
        /// 一般事项: done within 7 days.
        Ordinary = "ordinary",
        /// 重大复杂事项: done within 1 month.
        Complex = "complex",
    }
}

stored_enum! {
    /// The three checkpoints every handled case is measured against.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Checkpoint {
        /// 1日部署: acknowledged and deployed.
        Acknowledge = "acknowledge",
        /// 3日反馈进度
        Progress = "progress",
        /// 7日办结 / 1月办结
        Completion = "completion",
    }
}

crate::form! {
    /// A unit asking for more days on its case's clock (延期申请).
    pub struct ExtensionRequest from RawExtensionRequest {
        code: code,
        days: id,
        reason: text,
    }
}

stored_enum! {
    /// The supervision office's answer to an extension request.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Verdict {
        Approve = "approve",
        Refuse = "refuse",
    }
}

crate::form! {
    /// The supervision office deciding a case's waiting extension request.
    pub struct ExtensionDecision from RawExtensionDecision {
        code: code,
        decision: choice(Verdict),
        note: text,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offset {
    Hours(i64),
    Days(u32),
}

fn offset(class: DeadlineClass, cp: Checkpoint) -> Offset {
    use Checkpoint::*;
    use DeadlineClass::*;
    match (class, cp) {
        (Urgent, Acknowledge) => Offset::Hours(2),
        (Urgent, Progress) => Offset::Hours(12),
        (Urgent, Completion) => Offset::Hours(24),
        (_, Acknowledge) => Offset::Days(1),
        (_, Progress) => Offset::Days(3),
        (Ordinary, Completion) => Offset::Days(7),
        (Complex, Completion) => Offset::Days(30),
    }
}

/// Whether "7 days" means calendar days or working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DayMode {
    #[default]
    Calendar,
    Working,
}

/// Public holidays and the make-up working days (调休) that move weekends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayCalendar {
    pub holidays: BTreeSet<NaiveDate>,
    pub workdays: BTreeSet<NaiveDate>,
}

impl HolidayCalendar {
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        if self.holidays.contains(&d) {
            return false;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePolicy {
    pub day_mode: DayMode,
    pub calendar: HolidayCalendar,
}

/// Where a checkpoint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointStatus {
    OnTrack,
    /// Yellow: close to the deadline.
    DueSoon,
    /// Red: past the deadline and not done.
    Overdue,
    Met,
    /// Done, but after the deadline.
    Late,
}

impl CheckpointStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnTrack => "on_track",
            Self::DueSoon => "due_soon",
            Self::Overdue => "overdue",
            Self::Met => "met",
            Self::Late => "late",
        }
    }

    /// Higher is worse; a case shows its worst open checkpoint.
    pub fn severity(self) -> u8 {
        match self {
            Self::Met | Self::Late => 0,
            Self::OnTrack => 1,
            Self::DueSoon => 2,
            Self::Overdue => 3,
        }
    }
}

impl DeadlinePolicy {
    /// When a checkpoint falls due for a case whose clock started at `start`.
    /// Day offsets keep the time of day: assigned Friday 15:00 with 1 working
    /// day is due Monday 15:00.
    pub fn due(&self, class: DeadlineClass, cp: Checkpoint, start: DateTime<Utc>) -> DateTime<Utc> {
        self.due_extended(class, cp, start, 0)
    }

    /// `due`, moved by `extra_days` granted as an extension (延期), counted
    /// like the checkpoint's own days (working days in working-day mode).
    pub fn due_extended(
        &self,
        class: DeadlineClass,
        cp: Checkpoint,
        start: DateTime<Utc>,
        extra_days: u32,
    ) -> DateTime<Utc> {
        match offset(class, cp) {
            Offset::Hours(h) => start + Duration::hours(h) + Duration::days(i64::from(extra_days)),
            Offset::Days(n) => match self.day_mode {
                DayMode::Calendar => start + Duration::days(i64::from(n + extra_days)),
                DayMode::Working => self.add_working_days(start, n + extra_days),
            },
        }
    }

    fn add_working_days(&self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let local = start.with_timezone(&china());
        let mut day = local.date_naive();
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().unwrap_or(day);
            if self.calendar.is_working_day(day) {
                left -= 1;
            }
        }
        let naive = day.and_time(local.time());
        china()
            .from_local_datetime(&naive)
            .single()
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or(start)
    }

    pub fn status(
        &self,
        class: DeadlineClass,
        cp: Checkpoint,
        start: DateTime<Utc>,
        done: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> CheckpointStatus {
        self.status_extended(class, cp, (start, 0), done, now)
    }

    /// `status` against the deadline moved by an extension of `extra_days`.
    pub fn status_extended(
        &self,
        class: DeadlineClass,
        cp: Checkpoint,
        (start, extra_days): (DateTime<Utc>, u32),
        done: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> CheckpointStatus {
        let due = self.due_extended(class, cp, start, extra_days);
        match done {
            Some(t) if t <= due => CheckpointStatus::Met,
            Some(_) => CheckpointStatus::Late,
            None if now > due => CheckpointStatus::Overdue,
            None if now > warn_from(start, due) => CheckpointStatus::DueSoon,
            None => CheckpointStatus::OnTrack,
        }
    }

    /// Every checkpoint of a case's running (or finished) clock.
    pub fn checkpoints(&self, s: &CaseState, now: DateTime<Utc>) -> Vec<CheckpointView> {
        self.clock(s)
            .map(|(cp, start, extra, done)| CheckpointView {
                checkpoint: cp,
                due: self.due_extended(s.deadline_class, cp, start, extra),
                status: self.status_extended(s.deadline_class, cp, (start, extra), done, now),
            })
            .collect()
    }

    /// What the store keeps on a case so lists filter and sort by deadline
    /// in SQL: the earliest due time and the earliest warning time among the
    /// checkpoints still open. A case is overdue exactly when `due` has
    /// passed and due soon when `warn` has (see `checkpoints`); none when
    /// nothing is open (no clock, finished, or stopped).
    pub fn open_deadline(&self, s: &CaseState) -> Option<OpenDeadline> {
        self.clock(s)
            .filter(|(.., done)| done.is_none())
            .map(|(cp, start, extra, _)| {
                let due = self.due_extended(s.deadline_class, cp, start, extra);
                OpenDeadline {
                    due,
                    warn: warn_from(start, due),
                }
            })
            .reduce(|a, b| OpenDeadline {
                due: a.due.min(b.due),
                warn: a.warn.min(b.warn),
            })
    }

    /// The completion deadline of the case's current (or last) clock,
    /// extensions included: what figures judge "on time" by. A finished
    /// case met it exactly when it was done (completed, or its clock
    /// stopped at the start) by then — `completed_at.or(clock_start) <= due`,
    /// which the store's figures ask in SQL.
    pub fn completion_due(&self, s: &CaseState) -> Option<DateTime<Utc>> {
        s.clock_start.map(|start| {
            self.due_extended(
                s.deadline_class,
                Checkpoint::Completion,
                start,
                s.extension_days,
            )
        })
    }

    /// The acknowledgement deadline of the case's current (or last) clock:
    /// what figures judge "acknowledged in time" by. Met exactly when the
    /// unit acknowledged by then, or its clock stopped at the start without
    /// the unit finishing (see `clock`), which the store's figures ask in SQL.
    pub fn acknowledge_due(&self, s: &CaseState) -> Option<DateTime<Utc>> {
        s.clock_start
            .map(|start| self.due_extended(s.deadline_class, Checkpoint::Acknowledge, start, 0))
    }

    /// Each checkpoint of the current clock with its start, extension days
    /// and when it was done (a stopped clock counts as done at its start).
    fn clock<'a>(
        &'a self,
        s: &'a CaseState,
    ) -> impl Iterator<Item = (Checkpoint, DateTime<Utc>, u32, Option<DateTime<Utc>>)> + 'a {
        let start = s.clock_start;
        // A case that left handling without the unit finishing (e.g. returned)
        // stops its clock: nothing further can be overdue.
        let stopped_at = start.filter(|_| !s.status.clock_runs() && s.completed_at.is_none());
        start.into_iter().flat_map(move |start| {
            Checkpoint::ALL.into_iter().map(move |cp| {
                let done = match cp {
                    Checkpoint::Acknowledge => s.acknowledged_at,
                    Checkpoint::Progress => s.progress_at.or(s.completed_at),
                    Checkpoint::Completion => s.completed_at,
                };
                // Extensions move the completion deadline only.
                let extra = if cp == Checkpoint::Completion {
                    s.extension_days
                } else {
                    0
                };
                (cp, start, extra, done.or(stopped_at))
            })
        })
    }
}

/// The yellow window before a checkpoint: a quarter of its span, at most a day.
fn warn_from(start: DateTime<Utc>, due: DateTime<Utc>) -> DateTime<Utc> {
    due - std::cmp::min((due - start) / 4, Duration::days(1))
}

/// A case's open deadlines as stored on the case (`cases.due_at`, `cases.warn_at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenDeadline {
    pub due: DateTime<Utc>,
    pub warn: DateTime<Utc>,
}

/// The one checkpoint a list shows: the worst open one, else completion.
pub fn headline(cps: &[CheckpointView]) -> Option<CheckpointView> {
    cps.iter()
        .filter(|c| {
            matches!(
                c.status,
                CheckpointStatus::OnTrack | CheckpointStatus::DueSoon | CheckpointStatus::Overdue
            )
        })
        .max_by_key(|c| c.status.severity())
        .or_else(|| cps.iter().find(|c| c.checkpoint == Checkpoint::Completion))
        .cloned()
}

crate::form! {
    /// A supervision letter (督办函) as the office writes it for an overdue case.
    pub struct LetterForm from RawLetter {
        code: code,
        demand: text,
        /// Days the unit has to reply in writing.
        reply_days: id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extension_moves_the_deadline_by_its_days_in_the_policys_count() {
        let start = at(2026, 9, 28, 15);
        let c = DeadlineClass::Ordinary;
        let cp = Checkpoint::Completion;
        let calendar = DeadlinePolicy::default();
        assert_eq!(
            calendar.due_extended(c, cp, start, 5),
            calendar.due(c, cp, start) + Duration::days(5)
        );
        // Seven working days from Monday 28 Sept run into the holiday; five
        // more working days skip it too.
        let w = working();
        assert!(w.due_extended(c, cp, start, 5) - w.due(c, cp, start) > Duration::days(5));
        let due = calendar.due(c, cp, start);
        let late = due + Duration::hours(1);
        assert_eq!(
            calendar.status(c, cp, start, None, late),
            CheckpointStatus::Overdue
        );
        assert_eq!(
            calendar.status_extended(c, cp, (start, 5), None, late),
            CheckpointStatus::OnTrack
        );
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        china()
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn working() -> DeadlinePolicy {
        // National Day 2026: Oct 1-7 off, Sat Oct 10 worked in exchange.
        let holidays = (1..=7).map(|d| date(2026, 10, d)).collect();
        let workdays = [date(2026, 10, 10)].into_iter().collect();
        DeadlinePolicy {
            day_mode: DayMode::Working,
            calendar: HolidayCalendar { holidays, workdays },
        }
    }

    #[test]
    fn calendar_days_give_1_3_7_and_30() {
        let p = DeadlinePolicy::default();
        let start = at(2026, 11, 2, 9);
        assert_eq!(
            p.due(DeadlineClass::Ordinary, Checkpoint::Acknowledge, start),
            at(2026, 11, 3, 9)
        );
        assert_eq!(
            p.due(DeadlineClass::Ordinary, Checkpoint::Progress, start),
            at(2026, 11, 5, 9)
        );
        assert_eq!(
            p.due(DeadlineClass::Ordinary, Checkpoint::Completion, start),
            at(2026, 11, 9, 9)
        );
        assert_eq!(
            p.due(DeadlineClass::Complex, Checkpoint::Completion, start),
            at(2026, 12, 2, 9)
        );
    }

    #[test]
    fn urgent_cases_count_hours_even_in_working_day_mode() {
        let start = at(2026, 11, 7, 22); // a Saturday night
        let p = working();
        assert_eq!(
            p.due(DeadlineClass::Urgent, Checkpoint::Acknowledge, start),
            at(2026, 11, 8, 0)
        );
        assert_eq!(
            p.due(DeadlineClass::Urgent, Checkpoint::Completion, start),
            at(2026, 11, 8, 22)
        );
    }

    #[test]
    fn working_days_skip_the_weekend() {
        let friday = at(2026, 11, 6, 15);
        let p = working();
        assert_eq!(
            p.due(DeadlineClass::Ordinary, Checkpoint::Acknowledge, friday),
            at(2026, 11, 9, 15)
        );
        assert_eq!(
            p.due(DeadlineClass::Ordinary, Checkpoint::Progress, friday),
            at(2026, 11, 11, 15)
        );
        assert_eq!(
            p.due(DeadlineClass::Ordinary, Checkpoint::Completion, friday),
            at(2026, 11, 17, 15)
        );
    }

    #[test]
    fn working_days_skip_a_public_holiday_and_count_a_make_up_day() {
        // Assigned Wed Sep 30: Oct 1-7 are holidays, Thu 8 and Fri 9 work,
        // Sat 10 is a make-up working day.
        let p = working();
        let start = at(2026, 9, 30, 10);
        assert_eq!(
            p.due(DeadlineClass::Ordinary, Checkpoint::Acknowledge, start),
            at(2026, 10, 8, 10)
        );
        assert_eq!(
            p.due(DeadlineClass::Ordinary, Checkpoint::Progress, start),
            at(2026, 10, 10, 10)
        );
        // Sun 11 is off again: Mon 12 to Thu 15 are the 4th to 7th working days.
        assert_eq!(
            p.due(DeadlineClass::Ordinary, Checkpoint::Completion, start),
            at(2026, 10, 15, 10)
        );
    }

    /// The stored form agrees with the checkpoints at every moment: overdue
    /// exactly when the stored due time has passed, due soon exactly when the
    /// stored warning time has, for every class, mode and stage of a case.
    #[test]
    fn the_stored_deadline_tells_overdue_and_due_soon_like_the_checkpoints() {
        use crate::case::Status;
        let start = at(2026, 9, 30, 10);
        let h = |n: i64| Some(start + Duration::hours(n));
        for policy in [DeadlinePolicy::default(), working()] {
            for class in DeadlineClass::ALL {
                for (status, ack, progress, done, extra) in [
                    (Status::AwaitingAck, None, None, None, 0),
                    (Status::InProgress, h(1), None, None, 0),
                    (Status::InProgress, h(1), h(30), None, 3),
                    (Status::Rework, h(1), None, None, 0),
                    (Status::ClosureRequested, h(1), None, h(50), 0),
                    (Status::Returned, None, None, None, 0),
                    (Status::FeedbackDue, h(1), h(2), h(3), 0),
                ] {
                    let mut s = CaseState::registered(class);
                    s.status = status;
                    s.clock_start = Some(start);
                    s.acknowledged_at = ack;
                    s.progress_at = progress;
                    s.completed_at = done;
                    s.extension_days = extra;
                    let stored = policy.open_deadline(&s);
                    for hours in (0..24 * 50).step_by(7) {
                        let now = start + Duration::hours(hours);
                        let shown = headline(&policy.checkpoints(&s, now)).map(|c| c.status);
                        let overdue = stored.is_some_and(|d| d.due < now);
                        let soon = !overdue && stored.is_some_and(|d| d.warn < now);
                        assert_eq!(
                            shown == Some(CheckpointStatus::Overdue),
                            overdue,
                            "{status:?} {class:?} at +{hours}h"
                        );
                        assert_eq!(
                            shown == Some(CheckpointStatus::DueSoon),
                            soon,
                            "{status:?} {class:?} at +{hours}h"
                        );
                    }
                }
            }
        }
    }

    /// The stored completion deadline tells "on time" for a finished case
    /// exactly as the completion checkpoint does.
    #[test]
    fn the_stored_completion_deadline_tells_on_time_like_the_checkpoint() {
        use crate::case::Status;
        let start = at(2026, 9, 30, 10);
        for policy in [DeadlinePolicy::default(), working()] {
            for class in DeadlineClass::ALL {
                for done in [
                    None,
                    Some(1),
                    Some(23),
                    Some(25),
                    Some(24 * 8),
                    Some(24 * 40),
                ] {
                    for extra in [0, 5] {
                        let mut s = CaseState::registered(class);
                        s.status = Status::Closed;
                        s.clock_start = Some(start);
                        s.completed_at = done.map(|h| start + Duration::hours(h));
                        s.extension_days = extra;
                        let met = policy
                            .checkpoints(&s, start + Duration::days(90))
                            .into_iter()
                            .find(|c| c.checkpoint == Checkpoint::Completion)
                            .map(|c| c.status == CheckpointStatus::Met);
                        let stored = policy.completion_due(&s);
                        let sql = stored.map(|due| s.completed_at.unwrap_or(start) <= due);
                        assert_eq!(met, sql, "{class:?} done {done:?} +{extra}");
                    }
                }
            }
        }
    }

    /// The stored acknowledgement deadline tells "acknowledged in time" as
    /// the checkpoint does, for running, finished and stopped clocks.
    #[test]
    fn the_stored_acknowledgement_deadline_tells_in_time_like_the_checkpoint() {
        use crate::case::Status;
        let start = at(2026, 9, 30, 10);
        for policy in [DeadlinePolicy::default(), working()] {
            for class in DeadlineClass::ALL {
                for status in [Status::AwaitingAck, Status::Closed, Status::Consolidating] {
                    for acknowledged in [None, Some(1), Some(23), Some(25), Some(24 * 3)] {
                        for completed in [None, Some(24 * 8)] {
                            let mut s = CaseState::registered(class);
                            s.status = status;
                            s.clock_start = Some(start);
                            s.acknowledged_at = acknowledged.map(|h| start + Duration::hours(h));
                            s.completed_at = completed.map(|h| start + Duration::hours(h));
                            let met = policy
                                .checkpoints(&s, start + Duration::days(90))
                                .into_iter()
                                .find(|c| c.checkpoint == Checkpoint::Acknowledge)
                                .map(|c| c.status == CheckpointStatus::Met);
                            // The store's SQL: acknowledged, or stopped at the start.
                            let stopped =
                                (!status.clock_runs() && s.completed_at.is_none()).then_some(start);
                            let sql = policy
                                .acknowledge_due(&s)
                                .map(|due| s.acknowledged_at.or(stopped).is_some_and(|t| t <= due));
                            assert_eq!(
                                met, sql,
                                "{class:?} {status:?} ack {acknowledged:?} done {completed:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn status_turns_yellow_then_red_and_records_met_or_late() {
        let p = DeadlinePolicy::default();
        let start = at(2026, 11, 2, 9);
        let c = DeadlineClass::Ordinary;
        let cp = Checkpoint::Completion;
        assert_eq!(
            p.status(c, cp, start, None, at(2026, 11, 5, 9)),
            CheckpointStatus::OnTrack
        );
        assert_eq!(
            p.status(c, cp, start, None, at(2026, 11, 8, 10)),
            CheckpointStatus::DueSoon
        );
        assert_eq!(
            p.status(c, cp, start, None, at(2026, 11, 9, 10)),
            CheckpointStatus::Overdue
        );
        assert_eq!(
            p.status(c, cp, start, Some(at(2026, 11, 9, 9)), at(2026, 12, 1, 0)),
            CheckpointStatus::Met
        );
        assert_eq!(
            p.status(c, cp, start, Some(at(2026, 11, 9, 10)), at(2026, 12, 1, 0)),
            CheckpointStatus::Late
        );
    }
}
