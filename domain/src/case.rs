//! The five-step closed loop (五步骤闭环) as one transition table.
//!
//! 群众反映情况登记在册 → 站点汇总梳理 → 分级分类处理 → 向代表和群众反馈 → 群众评议打分.
//! `TRANSITIONS` is the only place that says what may happen next; the UI asks
//! it which buttons to show and `apply` refuses anything it does not list.

use crate::callback::{CallOutcome, RatingChannel};
use crate::deadline::DeadlineClass;
use crate::region::Tier;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest free text a single field of an action may carry.
pub const MAX_TEXT: usize = 2000;

stored_enum! {
    /// The five steps, plus the end of the ledger.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
    pub enum Step {
        /// 1 登记
        Register = "register",
        /// 2 梳理
        Consolidate = "consolidate",
        /// 3 办理
        Handle = "handle",
        /// 4 反馈
        Feedback = "feedback",
        /// 5 评议
        Rate = "rate",
        /// 销号
        Closed = "closed",
    }
}

impl Step {
    pub fn number(self) -> u8 {
        match self {
            Self::Register => 1,
            Self::Consolidate => 2,
            Self::Handle => 3,
            Self::Feedback => 4,
            Self::Rate => 5,
            Self::Closed => 6,
        }
    }
}

stored_enum! {
    /// Where a case is within its step.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Status {
        Registered = "registered",
        Consolidating = "consolidating",
        /// 退单: the unit said it is not responsible; the station reassigns.
        Returned = "returned",
        /// Assigned to a unit, waiting for it to acknowledge (1日部署).
        AwaitingAck = "awaiting_ack",
        InProgress = "in_progress",
        /// 申请办结: the unit says it is done; the station reviews.
        ClosureRequested = "closure_requested",
        /// Solved in the compound, grid or community itself.
        LocalHandling = "local_handling",
        /// 市级统筹
        Escalated = "escalated",
        /// Turned into a formal deputy suggestion (代表建议).
        Suggestion = "suggestion",
        /// The resident was dissatisfied: back to work.
        Rework = "rework",
        FeedbackDue = "feedback_due",
        AwaitingRating = "awaiting_rating",
        /// 销号
        Closed = "closed",
        Merged = "merged",
    }
}

impl Status {
    /// Whose move it is: the capacities a case in this state waits for
    /// (the loop's next step, not a progress report or a callback). A case
    /// sent back for rework waits for its unit and its station alike: either
    /// may take the next step.
    pub fn waits_for(self) -> &'static [Actor] {
        match self {
            Self::Registered
            | Self::Consolidating
            | Self::Returned
            | Self::ClosureRequested
            | Self::LocalHandling
            | Self::FeedbackDue => &[Actor::Station],
            Self::AwaitingAck | Self::InProgress => &[Actor::Unit],
            Self::Rework => &[Actor::Unit, Actor::Station],
            Self::Escalated => &[Actor::Supervisor],
            Self::Suggestion => &[Actor::Station, Actor::Deputy],
            Self::AwaitingRating => &[Actor::Resident],
            Self::Closed | Self::Merged => &[],
        }
    }

    pub fn step(self) -> Step {
        match self {
            Self::Registered => Step::Register,
            Self::Consolidating | Self::Returned => Step::Consolidate,
            Self::AwaitingAck
            | Self::InProgress
            | Self::ClosureRequested
            | Self::LocalHandling
            | Self::Escalated
            | Self::Suggestion
            | Self::Rework => Step::Handle,
            Self::FeedbackDue => Step::Feedback,
            Self::AwaitingRating => Step::Rate,
            Self::Closed | Self::Merged => Step::Closed,
        }
    }

    pub fn is_open(self) -> bool {
        self.step() != Step::Closed
    }

    /// Statuses in which the 13710 clock runs.
    pub fn clock_runs(self) -> bool {
        matches!(
            self,
            Self::AwaitingAck
                | Self::InProgress
                | Self::ClosureRequested
                | Self::LocalHandling
                | Self::Escalated
                | Self::Suggestion
                | Self::Rework
        )
    }
}

stored_enum! {
    /// The route a case takes out of triage (step 2).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Route {
        /// 当场答复
        OnTheSpot = "on_the_spot",
        /// 小事不出小区，大事不出网格
        Local = "local",
        /// 交办
        Assigned = "assigned",
        /// 市级统筹
        Escalated = "escalated",
        /// 代表建议
        Suggestion = "suggestion",
        /// 不予受理
        NotAccepted = "not_accepted",
        Merged = "merged",
    }
}

stored_enum! {
    /// 群众评议
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Rating {
        /// 满意
        Satisfied = "satisfied",
        /// 基本满意
        FairlySatisfied = "fairly_satisfied",
        /// 不满意
        Dissatisfied = "dissatisfied",
        /// The rating window passed without an answer.
        NotRated = "not_rated",
    }
}

impl Rating {
    /// What a case's rating adds to (rated, satisfied): "not rated" and no
    /// rating count for neither; satisfaction = (satisfied + fairly satisfied) / rated.
    pub fn tally(rating: Option<Rating>) -> (i64, i64) {
        match rating {
            Some(Self::Satisfied | Self::FairlySatisfied) => (1, 1),
            Some(Self::Dissatisfied) => (1, 0),
            Some(Self::NotRated) | None => (0, 0),
        }
    }
}

/// Everything that can happen to a registered case, with what it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    StartConsolidation,
    AnswerOnSpot {
        answer: String,
    },
    HandleLocally {
        tier: Tier,
        note: String,
    },
    Assign {
        unit_id: i64,
        class: DeadlineClass,
    },
    Escalate {
        note: String,
    },
    ToSuggestion {
        note: String,
    },
    NotAccept {
        reason: String,
    },
    Merge {
        into: String,
    },
    Acknowledge,
    Return {
        reason: String,
    },
    ReportProgress {
        note: String,
    },
    /// 催办: the station or the supervision office presses the unit that
    /// holds the case; the case stays where it is and the note joins its
    /// timeline, where the unit reads it.
    Urge {
        note: String,
    },
    RequestClosure {
        result: String,
    },
    ApproveClosure,
    RejectClosure {
        reason: String,
    },
    CompleteLocally {
        result: String,
    },
    ResolveEscalated {
        result: String,
    },
    AnswerSuggestion {
        result: String,
    },
    RecordFeedback {
        note: String,
    },
    /// A rating: the resident's own online, or recorded by the station on
    /// their behalf when given in person or by phone (`via`).
    Rate {
        rating: Rating,
        comment: String,
        #[serde(default)]
        via: RatingChannel,
    },
    /// A callback (回访) that brought no rating.
    RecordCall {
        outcome: CallOutcome,
        note: String,
    },
    CloseUnrated,
}

crate::form! {
    /// A staff action as the case page sends it: `kind` names the row of the
    /// transition table, the other fields carry what that row needs.
    pub struct ActionForm from RawAction {
        code: code,
        kind: choice(ActionKind),
        text: text,
        unit_id: pick,
        class: option(DeadlineClass),
        tier: option(Tier),
    }
}

impl ActionForm {
    /// The action, or the field its row needs and lacks. Ratings and calls
    /// are not staff buttons: the resident rates on the public page, and the
    /// station records what it hears through its call form.
    pub fn action(self) -> Result<Action, Vec<crate::FieldError>> {
        let missing = |field: &str| vec![crate::FieldError::new(field, "required")];
        let text = self.text;
        Ok(match self.kind {
            K::StartConsolidation => Action::StartConsolidation,
            K::AnswerOnSpot => Action::AnswerOnSpot { answer: text },
            K::HandleLocally => Action::HandleLocally {
                tier: self.tier.ok_or_else(|| missing("tier"))?,
                note: text,
            },
            K::Assign => Action::Assign {
                unit_id: self.unit_id.ok_or_else(|| missing("unit_id"))?,
                class: self.class.ok_or_else(|| missing("class"))?,
            },
            K::Escalate => Action::Escalate { note: text },
            K::ToSuggestion => Action::ToSuggestion { note: text },
            K::NotAccept => Action::NotAccept { reason: text },
            K::Merge => Action::Merge { into: text },
            K::Acknowledge => Action::Acknowledge,
            K::Return => Action::Return { reason: text },
            K::ReportProgress => Action::ReportProgress { note: text },
            K::Urge => Action::Urge { note: text },
            K::RequestClosure => Action::RequestClosure { result: text },
            K::ApproveClosure => Action::ApproveClosure,
            K::RejectClosure => Action::RejectClosure { reason: text },
            K::CompleteLocally => Action::CompleteLocally { result: text },
            K::ResolveEscalated => Action::ResolveEscalated { result: text },
            K::AnswerSuggestion => Action::AnswerSuggestion { result: text },
            K::RecordFeedback => Action::RecordFeedback { note: text },
            K::CloseUnrated => Action::CloseUnrated,
            K::RateSatisfied | K::RateFairlySatisfied | K::RateDissatisfied | K::RecordCall => {
                return Err(vec![crate::FieldError::new("kind", "unknown")]);
            }
        })
    }
}

/// The name of an action, without its payload: what the transition table and
/// the UI's buttons speak of. A rating is three kinds because it leads to
/// different places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    StartConsolidation,
    AnswerOnSpot,
    HandleLocally,
    Assign,
    Escalate,
    ToSuggestion,
    NotAccept,
    Merge,
    Acknowledge,
    Return,
    ReportProgress,
    Urge,
    RequestClosure,
    ApproveClosure,
    RejectClosure,
    CompleteLocally,
    ResolveEscalated,
    AnswerSuggestion,
    RecordFeedback,
    RateSatisfied,
    RateFairlySatisfied,
    RateDissatisfied,
    RecordCall,
    CloseUnrated,
}

impl ActionKind {
    pub const ALL: [ActionKind; 24] = [
        Self::StartConsolidation,
        Self::AnswerOnSpot,
        Self::HandleLocally,
        Self::Assign,
        Self::Escalate,
        Self::ToSuggestion,
        Self::NotAccept,
        Self::Merge,
        Self::Acknowledge,
        Self::Return,
        Self::ReportProgress,
        Self::Urge,
        Self::RequestClosure,
        Self::ApproveClosure,
        Self::RejectClosure,
        Self::CompleteLocally,
        Self::ResolveEscalated,
        Self::AnswerSuggestion,
        Self::RecordFeedback,
        Self::RateSatisfied,
        Self::RateFairlySatisfied,
        Self::RateDissatisfied,
        Self::RecordCall,
        Self::CloseUnrated,
    ];

    /// The rating and call rows the station records through its call
    /// form (回访), not through the case's plain buttons.
    pub fn is_recorded_call(self) -> bool {
        matches!(
            self,
            Self::RateSatisfied
                | Self::RateFairlySatisfied
                | Self::RateDissatisfied
                | Self::RecordCall
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::StartConsolidation => "start_consolidation",
            Self::AnswerOnSpot => "answer_on_spot",
            Self::HandleLocally => "handle_locally",
            Self::Assign => "assign",
            Self::Escalate => "escalate",
            Self::ToSuggestion => "to_suggestion",
            Self::NotAccept => "not_accept",
            Self::Merge => "merge",
            Self::Acknowledge => "acknowledge",
            Self::Return => "return",
            Self::ReportProgress => "report_progress",
            Self::Urge => "urge",
            Self::RequestClosure => "request_closure",
            Self::ApproveClosure => "approve_closure",
            Self::RejectClosure => "reject_closure",
            Self::CompleteLocally => "complete_locally",
            Self::ResolveEscalated => "resolve_escalated",
            Self::AnswerSuggestion => "answer_suggestion",
            Self::RecordFeedback => "record_feedback",
            Self::RateSatisfied => "rate_satisfied",
            Self::RateFairlySatisfied => "rate_fairly_satisfied",
            Self::RateDissatisfied => "rate_dissatisfied",
            Self::RecordCall => "record_call",
            Self::CloseUnrated => "close_unrated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::StartConsolidation => ActionKind::StartConsolidation,
            Self::AnswerOnSpot { .. } => ActionKind::AnswerOnSpot,
            Self::HandleLocally { .. } => ActionKind::HandleLocally,
            Self::Assign { .. } => ActionKind::Assign,
            Self::Escalate { .. } => ActionKind::Escalate,
            Self::ToSuggestion { .. } => ActionKind::ToSuggestion,
            Self::NotAccept { .. } => ActionKind::NotAccept,
            Self::Merge { .. } => ActionKind::Merge,
            Self::Acknowledge => ActionKind::Acknowledge,
            Self::Return { .. } => ActionKind::Return,
            Self::ReportProgress { .. } => ActionKind::ReportProgress,
            Self::Urge { .. } => ActionKind::Urge,
            Self::RequestClosure { .. } => ActionKind::RequestClosure,
            Self::ApproveClosure => ActionKind::ApproveClosure,
            Self::RejectClosure { .. } => ActionKind::RejectClosure,
            Self::CompleteLocally { .. } => ActionKind::CompleteLocally,
            Self::ResolveEscalated { .. } => ActionKind::ResolveEscalated,
            Self::AnswerSuggestion { .. } => ActionKind::AnswerSuggestion,
            Self::RecordFeedback { .. } => ActionKind::RecordFeedback,
            Self::Rate { rating, .. } => match rating {
                Rating::Satisfied => ActionKind::RateSatisfied,
                Rating::FairlySatisfied => ActionKind::RateFairlySatisfied,
                Rating::Dissatisfied | Rating::NotRated => ActionKind::RateDissatisfied,
            },
            Self::RecordCall { .. } => ActionKind::RecordCall,
            Self::CloseUnrated => ActionKind::CloseUnrated,
        }
    }

    /// The free-text fields this action carries, by name, for validation.
    fn texts(&self) -> Vec<(&'static str, &str, bool)> {
        match self {
            Self::AnswerOnSpot { answer } => vec![("answer", answer, true)],
            Self::HandleLocally { note, .. } => vec![("note", note, false)],
            Self::Escalate { note } | Self::ToSuggestion { note } => vec![("note", note, true)],
            Self::NotAccept { reason }
            | Self::Return { reason }
            | Self::RejectClosure { reason } => {
                vec![("reason", reason, true)]
            }
            Self::Merge { into } => vec![("into", into, true)],
            Self::ReportProgress { note } | Self::Urge { note } => vec![("note", note, true)],
            Self::RequestClosure { result }
            | Self::CompleteLocally { result }
            | Self::ResolveEscalated { result }
            | Self::AnswerSuggestion { result } => vec![("result", result, true)],
            Self::RecordFeedback { note } => vec![("note", note, false)],
            Self::Rate { comment, .. } => vec![("comment", comment, false)],
            Self::RecordCall { note, .. } => vec![("note", note, false)],
            _ => vec![],
        }
    }
}

/// The capacity in which someone acts on a case. The store decides who
/// holds it (a director of *this* case's community, a handler of *this*
/// case's unit); the table decides what that capacity may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The community's station: its director and staff.
    Station,
    /// A deputy attached to the case's station.
    Deputy,
    /// The responsible unit the case is assigned to.
    Unit,
    /// Leaders and the supervision office (督查室).
    Supervisor,
    /// The resident, proven by tracking code and second factor.
    Resident,
    /// Scheduled jobs.
    System,
}

use ActionKind as K;
use Actor::*;
use Status as S;

/// (from, action, to, who may do it). The one table of the loop.
pub const TRANSITIONS: &[(Status, ActionKind, Status, &[Actor])] = &[
    (
        S::Registered,
        K::StartConsolidation,
        S::Consolidating,
        &[Station],
    ),
    (
        S::Registered,
        K::AnswerOnSpot,
        S::FeedbackDue,
        &[Station, Deputy],
    ),
    (S::Registered, K::Merge, S::Merged, &[Station]),
    (
        S::Consolidating,
        K::AnswerOnSpot,
        S::FeedbackDue,
        &[Station, Deputy],
    ),
    (
        S::Consolidating,
        K::HandleLocally,
        S::LocalHandling,
        &[Station],
    ),
    (S::Consolidating, K::Assign, S::AwaitingAck, &[Station]),
    (S::Consolidating, K::Escalate, S::Escalated, &[Station]),
    (
        S::Consolidating,
        K::ToSuggestion,
        S::Suggestion,
        &[Station, Deputy],
    ),
    (S::Consolidating, K::NotAccept, S::FeedbackDue, &[Station]),
    (S::Consolidating, K::Merge, S::Merged, &[Station]),
    (S::Returned, K::Assign, S::AwaitingAck, &[Station]),
    (S::Returned, K::HandleLocally, S::LocalHandling, &[Station]),
    (S::Returned, K::Escalate, S::Escalated, &[Station]),
    (S::AwaitingAck, K::Acknowledge, S::InProgress, &[Unit]),
    (S::AwaitingAck, K::Return, S::Returned, &[Unit]),
    (S::InProgress, K::ReportProgress, S::InProgress, &[Unit]),
    // 催办: pressing the unit while it has the case, without moving it.
    (
        S::AwaitingAck,
        K::Urge,
        S::AwaitingAck,
        &[Station, Supervisor],
    ),
    (
        S::InProgress,
        K::Urge,
        S::InProgress,
        &[Station, Supervisor],
    ),
    (
        S::InProgress,
        K::RequestClosure,
        S::ClosureRequested,
        &[Unit],
    ),
    (
        S::ClosureRequested,
        K::ApproveClosure,
        S::FeedbackDue,
        &[Station, Supervisor],
    ),
    (
        S::ClosureRequested,
        K::RejectClosure,
        S::InProgress,
        &[Station, Supervisor],
    ),
    (
        S::LocalHandling,
        K::ReportProgress,
        S::LocalHandling,
        &[Station],
    ),
    (
        S::LocalHandling,
        K::CompleteLocally,
        S::FeedbackDue,
        &[Station],
    ),
    (S::Escalated, K::ReportProgress, S::Escalated, &[Supervisor]),
    (
        S::Escalated,
        K::ResolveEscalated,
        S::FeedbackDue,
        &[Supervisor],
    ),
    (
        S::Suggestion,
        K::AnswerSuggestion,
        S::FeedbackDue,
        &[Station, Deputy],
    ),
    (
        S::FeedbackDue,
        K::RecordFeedback,
        S::AwaitingRating,
        &[Station],
    ),
    // The station records a rating given in person or by phone (回访).
    (
        S::AwaitingRating,
        K::RateSatisfied,
        S::Closed,
        &[Resident, Station],
    ),
    (
        S::AwaitingRating,
        K::RateFairlySatisfied,
        S::Closed,
        &[Resident, Station],
    ),
    (
        S::AwaitingRating,
        K::RateDissatisfied,
        S::Rework,
        &[Resident, Station],
    ),
    (
        S::AwaitingRating,
        K::RecordCall,
        S::AwaitingRating,
        &[Station],
    ),
    (
        S::AwaitingRating,
        K::CloseUnrated,
        S::Closed,
        &[Station, System],
    ),
    (S::Rework, K::ReportProgress, S::Rework, &[Unit, Station]),
    (S::Rework, K::RequestClosure, S::ClosureRequested, &[Unit]),
    (S::Rework, K::CompleteLocally, S::FeedbackDue, &[Station]),
    (S::Rework, K::Assign, S::AwaitingAck, &[Station]),
    (S::Rework, K::Escalate, S::Escalated, &[Station]),
];

/// What `apply` refuses, always naming the state the case is in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a case in state {from} cannot {action}")]
    Illegal {
        from: &'static str,
        action: &'static str,
    },
    #[error("in state {from}, {action} is not yours to do")]
    NotAllowed {
        from: &'static str,
        action: &'static str,
    },
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

/// The part of a case the loop changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    pub status: Status,
    pub route: Option<Route>,
    pub tier: Option<Tier>,
    pub unit_id: Option<i64>,
    pub deadline_class: DeadlineClass,
    /// When the 13710 clock started (assignment, local handling, rework).
    pub clock_start: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub progress_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub result: Option<String>,
    pub rating: Option<Rating>,
    pub rework_count: i32,
    pub closed_at: Option<DateTime<Utc>>,
    pub merged_into: Option<String>,
    /// Days of extension (延期) approved for the completion checkpoint of the
    /// current clock.
    pub extension_days: u32,
}

impl CaseState {
    /// A freshly registered case.
    pub fn registered(class: DeadlineClass) -> Self {
        Self {
            status: Status::Registered,
            route: None,
            tier: None,
            unit_id: None,
            deadline_class: class,
            clock_start: None,
            acknowledged_at: None,
            progress_at: None,
            completed_at: None,
            result: None,
            rating: None,
            rework_count: 0,
            closed_at: None,
            merged_into: None,
            extension_days: 0,
        }
    }
}

/// The row of the table for this state and action, if any.
pub fn transition(from: Status, kind: ActionKind) -> Option<(Status, &'static [Actor])> {
    TRANSITIONS
        .iter()
        .find(|(f, k, _, _)| *f == from && *k == kind)
        .map(|(_, _, to, actors)| (*to, *actors))
}

/// The actions the given capacities may take now: what the UI shows as buttons.
pub fn allowed_actions(from: Status, actors: &[Actor]) -> Vec<ActionKind> {
    TRANSITIONS
        .iter()
        .filter(|(f, _, _, who)| *f == from && who.iter().any(|a| actors.contains(a)))
        .map(|(_, k, _, _)| *k)
        .collect()
}

/// The one action that moving a card from `from` into column `to` means, if
/// exactly one row of the table leads there and it needs nothing typed in.
/// Anything else (choosing a unit, writing a reason) is refused: the user
/// opens the case instead.
pub fn drag_action(from: Status, to: Step, actors: &[Actor]) -> Option<ActionKind> {
    let needs_input = |k: ActionKind| {
        !matches!(
            k,
            ActionKind::StartConsolidation
                | ActionKind::ApproveClosure
                | ActionKind::RecordFeedback
                | ActionKind::Acknowledge
        )
    };
    let mut rows = TRANSITIONS.iter().filter(|(f, _, t, who)| {
        *f == from
            && t.step() == to
            && t.step() != from.step()
            && who.iter().any(|a| actors.contains(a))
    });
    match (rows.next(), rows.next()) {
        (Some((_, kind, _, _)), None) if !needs_input(*kind) => Some(*kind),
        _ => None,
    }
}

fn validate(action: &Action) -> Result<(), TransitionError> {
    for (field, text, required) in action.texts() {
        let len = text.trim().chars().count();
        if required && len == 0 {
            return Err(TransitionError::Invalid {
                field,
                message: "required".into(),
            });
        }
        if len > MAX_TEXT {
            return Err(TransitionError::Invalid {
                field,
                message: format!("at most {MAX_TEXT} characters"),
            });
        }
    }
    if let Action::HandleLocally { tier, .. } = action
        && !tier.is_local()
    {
        return Err(TransitionError::Invalid {
            field: "tier",
            message: "local handling stays in the compound, grid or community".into(),
        });
    }
    if let Action::Rate {
        rating: Rating::NotRated,
        ..
    } = action
    {
        return Err(TransitionError::Invalid {
            field: "rating",
            message: "choose satisfied, fairly satisfied or dissatisfied".into(),
        });
    }
    Ok(())
}

/// A resident rates online; staff record only what was said to them, in
/// person or on the phone, so the figures can tell the two apart.
fn check_channel(action: &Action, actor: Actor) -> Result<(), TransitionError> {
    if let Action::Rate { via, .. } = action
        && (actor == Actor::Resident) != (*via == RatingChannel::Online)
    {
        return Err(TransitionError::Invalid {
            field: "via",
            message: "a resident rates online; staff record a rating given in person or by phone"
                .into(),
        });
    }
    Ok(())
}

fn text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Applies one action by one capacity at `now`: the new state, or why not.
pub fn apply(
    state: &CaseState,
    action: &Action,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<CaseState, TransitionError> {
    let kind = action.kind();
    let (to, who) = transition(state.status, kind).ok_or(TransitionError::Illegal {
        from: state.status.as_str(),
        action: kind.as_str(),
    })?;
    if !who.contains(&actor) {
        return Err(TransitionError::NotAllowed {
            from: state.status.as_str(),
            action: kind.as_str(),
        });
    }
    validate(action)?;
    check_channel(action, actor)?;

    let mut next = state.clone();
    next.status = to;
    let start_clock = |n: &mut CaseState, acknowledged: bool| {
        n.clock_start = Some(now);
        n.acknowledged_at = acknowledged.then_some(now);
        n.progress_at = None;
        n.completed_at = None;
    };
    match action {
        Action::StartConsolidation
        | Action::ApproveClosure
        | Action::RecordFeedback { .. }
        | Action::Urge { .. } => {}
        Action::AnswerOnSpot { answer } => {
            next.route = Some(Route::OnTheSpot);
            next.result = text(answer);
            next.completed_at = Some(now);
        }
        Action::HandleLocally { tier, .. } => {
            next.route = Some(Route::Local);
            next.tier = Some(*tier);
            next.unit_id = None;
            start_clock(&mut next, true);
        }
        Action::Assign { unit_id, class } => {
            next.route = Some(Route::Assigned);
            next.unit_id = Some(*unit_id);
            next.deadline_class = *class;
            start_clock(&mut next, false);
        }
        Action::Escalate { .. } => {
            next.route = Some(Route::Escalated);
            next.tier = Some(Tier::City);
            next.deadline_class = DeadlineClass::Complex;
            start_clock(&mut next, true);
        }
        Action::ToSuggestion { .. } => {
            next.route = Some(Route::Suggestion);
            next.deadline_class = DeadlineClass::Complex;
            start_clock(&mut next, true);
        }
        Action::NotAccept { reason } => {
            next.route = Some(Route::NotAccepted);
            next.result = text(reason);
            next.completed_at = Some(now);
        }
        Action::Merge { into } => {
            next.route = Some(Route::Merged);
            next.merged_into = text(into);
            next.closed_at = Some(now);
        }
        Action::Acknowledge => next.acknowledged_at = Some(now),
        Action::Return { .. } => {
            next.unit_id = None;
            next.clock_start = None;
            next.acknowledged_at = None;
        }
        Action::ReportProgress { .. } => {
            next.progress_at = next.progress_at.or(Some(now));
        }
        Action::RequestClosure { result }
        | Action::CompleteLocally { result }
        | Action::ResolveEscalated { result }
        | Action::AnswerSuggestion { result } => {
            next.result = text(result);
            next.progress_at = next.progress_at.or(Some(now));
            next.completed_at = Some(now);
        }
        Action::RejectClosure { .. } => next.completed_at = None,
        Action::Rate { rating, .. } => {
            next.rating = Some(*rating);
            if *rating == Rating::Dissatisfied {
                next.rework_count += 1;
                next.closed_at = None;
                start_clock(&mut next, true);
            } else {
                next.closed_at = Some(now);
            }
        }
        Action::CloseUnrated => {
            next.rating = Some(Rating::NotRated);
            next.closed_at = Some(now);
        }
        // The call is the event itself: nothing of the state changes.
        Action::RecordCall { .. } => {}
    }
    Ok(next)
}

/// The resident's rating as their case page sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawRating {
    pub code: String,
    pub rating: String,
    pub comment: String,
}

/// A resident rating their case (群众评议).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingForm {
    pub code: crate::TrackingCode,
    pub rating: Rating,
    pub comment: String,
}

impl RawRating {
    /// The rating, or a message per unusable field ("not rated" is no answer).
    pub fn parse(&self) -> Result<RatingForm, Vec<crate::FieldError>> {
        let mut r = crate::form::Reader::default();
        let code = r.code("code", &self.code);
        let given = |v: &str| Rating::parse(v).filter(|r| *r != Rating::NotRated);
        let rating = r.choice("rating", &self.rating, given);
        r.finish(|| {
            Some(RatingForm {
                code: code?,
                rating: rating?,
                comment: self.comment.clone(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action_form(fields: &[(&str, &str)]) -> Result<Action, Vec<crate::FieldError>> {
        let mut raw = RawAction {
            code: crate::TrackingCode::from_random([1, 2, 3, 4, 5, 6, 7]).to_string(),
            ..Default::default()
        };
        for (name, value) in fields {
            let value = value.to_string();
            match *name {
                "kind" => raw.kind = value,
                "text" => raw.text = value,
                "unit_id" => raw.unit_id = value,
                "class" => raw.class = value,
                _ => raw.tier = value,
            }
        }
        raw.parse()?.action()
    }

    fn named(errors: Vec<crate::FieldError>) -> Vec<(String, String)> {
        errors.into_iter().map(|e| (e.field, e.message)).collect()
    }

    #[test]
    fn an_action_form_gives_its_row_what_it_needs_or_says_what_is_missing() {
        assert_eq!(
            action_form(&[("kind", "escalate"), ("text", "city roads")]),
            Ok(Action::Escalate {
                note: "city roads".into()
            })
        );
        assert_eq!(
            action_form(&[("kind", "assign"), ("unit_id", "4"), ("class", "urgent")]),
            Ok(Action::Assign {
                unit_id: 4,
                class: DeadlineClass::Urgent
            })
        );
        let missing = |fields: &[(&str, &str)]| named(action_form(fields).unwrap_err());
        let error = |f: &str, m: &str| vec![(f.to_string(), m.to_string())];
        assert_eq!(
            missing(&[("kind", "assign"), ("class", "urgent")]),
            error("unit_id", "required")
        );
        assert_eq!(
            missing(&[("kind", "assign"), ("unit_id", "4")]),
            error("class", "required")
        );
        assert_eq!(
            missing(&[("kind", "handle_locally")]),
            error("tier", "required")
        );
        assert_eq!(
            missing(&[("kind", "assign"), ("unit_id", "four"), ("class", "soon")]),
            [
                ("unit_id".to_string(), "unusable".to_string()),
                ("class".to_string(), "unknown".to_string()),
            ]
        );
        // Ratings and calls have their own forms.
        for kind in ["rate_satisfied", "record_call", "jump"] {
            assert_eq!(
                missing(&[("kind", kind)]),
                error("kind", "unknown"),
                "{kind}"
            );
        }
    }

    #[test]
    fn urging_presses_the_unit_without_moving_the_case() {
        let now = Utc::now();
        let mut assigned = CaseState::registered(DeadlineClass::Ordinary);
        assigned.status = Status::AwaitingAck;
        assigned.unit_id = Some(3);
        assigned.clock_start = Some(now);
        let urge = Action::Urge {
            note: "群众多次来电".into(),
        };
        for actor in [Actor::Station, Actor::Supervisor] {
            assert_eq!(apply(&assigned, &urge, actor, now), Ok(assigned.clone()));
        }
        assert!(matches!(
            apply(&assigned, &urge, Actor::Unit, now),
            Err(TransitionError::NotAllowed { .. })
        ));
        let silent = Action::Urge { note: " ".into() };
        assert!(matches!(
            apply(&assigned, &silent, Actor::Station, now),
            Err(TransitionError::Invalid { field: "note", .. })
        ));
        // Only while a unit holds it.
        let consolidating = CaseState {
            status: Status::Consolidating,
            ..assigned
        };
        assert!(matches!(
            apply(&consolidating, &urge, Actor::Station, now),
            Err(TransitionError::Illegal { .. })
        ));
    }

    #[test]
    fn a_case_waits_only_for_those_who_can_move_it_on() {
        // Reports and callbacks leave a case where it is: they are not the
        // next step a to-do counts.
        let moves = |from: Status, actor: Actor| {
            TRANSITIONS.iter().any(|(f, k, to, who)| {
                *f == from
                    && who.contains(&actor)
                    && !matches!(k, ActionKind::ReportProgress | ActionKind::RecordCall)
                    && (*to != from)
            })
        };
        for s in Status::ALL {
            for actor in s.waits_for() {
                assert!(moves(s, *actor), "{s:?} waits for {actor:?}");
            }
            // Every open state waits for somebody.
            assert_eq!(s.waits_for().is_empty(), !s.is_open(), "{s:?}");
        }
    }
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 1, 0, 0).unwrap()
    }

    fn sample(kind: ActionKind) -> Action {
        sample_by(kind, Resident)
    }

    /// A well-formed action of this kind as `actor` would send it (a
    /// rating's channel depends on who records it).
    fn sample_by(kind: ActionKind, actor: Actor) -> Action {
        let t = || "文本".to_string();
        let via = if actor == Resident {
            RatingChannel::Online
        } else {
            RatingChannel::Callback
        };
        match kind {
            K::StartConsolidation => Action::StartConsolidation,
            K::AnswerOnSpot => Action::AnswerOnSpot { answer: t() },
            K::HandleLocally => Action::HandleLocally {
                tier: Tier::Grid,
                note: t(),
            },
            K::Assign => Action::Assign {
                unit_id: 7,
                class: DeadlineClass::Ordinary,
            },
            K::Escalate => Action::Escalate { note: t() },
            K::ToSuggestion => Action::ToSuggestion { note: t() },
            K::NotAccept => Action::NotAccept { reason: t() },
            K::Merge => Action::Merge {
                into: "ABCDEFGH".into(),
            },
            K::Acknowledge => Action::Acknowledge,
            K::Return => Action::Return { reason: t() },
            K::ReportProgress => Action::ReportProgress { note: t() },
            K::Urge => Action::Urge { note: t() },
            K::RequestClosure => Action::RequestClosure { result: t() },
            K::ApproveClosure => Action::ApproveClosure,
            K::RejectClosure => Action::RejectClosure { reason: t() },
            K::CompleteLocally => Action::CompleteLocally { result: t() },
            K::ResolveEscalated => Action::ResolveEscalated { result: t() },
            K::AnswerSuggestion => Action::AnswerSuggestion { result: t() },
            K::RecordFeedback => Action::RecordFeedback { note: t() },
            K::RateSatisfied => Action::Rate {
                rating: Rating::Satisfied,
                comment: t(),
                via,
            },
            K::RateFairlySatisfied => Action::Rate {
                rating: Rating::FairlySatisfied,
                comment: t(),
                via,
            },
            K::RateDissatisfied => Action::Rate {
                rating: Rating::Dissatisfied,
                comment: t(),
                via,
            },
            K::RecordCall => Action::RecordCall {
                outcome: CallOutcome::NoAnswer,
                note: t(),
            },
            K::CloseUnrated => Action::CloseUnrated,
        }
    }

    fn in_state(status: Status) -> CaseState {
        CaseState {
            status,
            ..CaseState::registered(DeadlineClass::Ordinary)
        }
    }

    #[test]
    fn every_row_of_the_table_applies_for_its_actors_and_no_one_else() {
        let everyone = [Station, Deputy, Unit, Supervisor, Resident, System];
        for (from, kind, to, who) in TRANSITIONS {
            for actor in everyone {
                let result = apply(&in_state(*from), &sample_by(*kind, actor), actor, now());
                if who.contains(&actor) {
                    assert_eq!(
                        result.map(|s| s.status),
                        Ok(*to),
                        "{from:?} {kind:?} by {actor:?}"
                    );
                } else {
                    assert!(
                        matches!(result, Err(TransitionError::NotAllowed { .. })),
                        "{from:?} {kind:?} by {actor:?} should be refused"
                    );
                }
            }
        }
    }

    #[test]
    fn staff_record_ratings_given_in_person_or_by_phone_and_residents_rate_online() {
        let waiting = in_state(S::AwaitingRating);
        let rate = |via| Action::Rate {
            rating: Rating::Dissatisfied,
            comment: String::new(),
            via,
        };
        for via in [RatingChannel::Session, RatingChannel::Callback] {
            let s = apply(&waiting, &rate(via), Station, now()).unwrap();
            assert_eq!((s.status, s.rework_count), (S::Rework, 1), "{via:?}");
            assert!(matches!(
                apply(&waiting, &rate(via), Resident, now()),
                Err(TransitionError::Invalid { field: "via", .. })
            ));
        }
        assert!(matches!(
            apply(&waiting, &rate(RatingChannel::Online), Station, now()),
            Err(TransitionError::Invalid { field: "via", .. })
        ));
        let call = Action::RecordCall {
            outcome: CallOutcome::NoAnswer,
            note: String::new(),
        };
        assert_eq!(apply(&waiting, &call, Station, now()), Ok(waiting.clone()));
        assert!(apply(&in_state(S::Closed), &call, Station, now()).is_err());
    }

    #[test]
    fn a_rating_stored_before_channels_reads_as_online() {
        let old: Action =
            serde_json::from_str(r#"{"kind":"rate","rating":"satisfied","comment":""}"#).unwrap();
        assert!(matches!(
            old,
            Action::Rate {
                via: RatingChannel::Online,
                ..
            }
        ));
    }

    #[test]
    fn forbidden_transitions_name_the_current_state() {
        let cases = [
            (S::Registered, K::Acknowledge),
            (S::Closed, K::Assign),
            (S::AwaitingRating, K::RequestClosure),
            (S::InProgress, K::RateSatisfied),
            (S::Merged, K::StartConsolidation),
            (S::FeedbackDue, K::ApproveClosure),
        ];
        for (from, kind) in cases {
            let err = apply(&in_state(from), &sample(kind), Station, now()).unwrap_err();
            assert!(matches!(err, TransitionError::Illegal { .. }));
            assert!(err.to_string().contains(from.as_str()), "{err}");
        }
    }

    #[test]
    fn the_whole_loop_with_one_round_of_rework() {
        let mut s = CaseState::registered(DeadlineClass::Ordinary);
        let steps: &[(Action, Actor)] = &[
            (Action::StartConsolidation, Station),
            (
                Action::Assign {
                    unit_id: 3,
                    class: DeadlineClass::Ordinary,
                },
                Station,
            ),
            (Action::Acknowledge, Unit),
            (
                Action::ReportProgress {
                    note: "已派人查看".into(),
                },
                Unit,
            ),
            (
                Action::RequestClosure {
                    result: "路灯已修复".into(),
                },
                Unit,
            ),
            (Action::ApproveClosure, Station),
            (
                Action::RecordFeedback {
                    note: "电话告知".into(),
                },
                Station,
            ),
            (
                Action::Rate {
                    rating: Rating::Dissatisfied,
                    comment: "又坏了".into(),
                    via: RatingChannel::Online,
                },
                Resident,
            ),
            (
                Action::RequestClosure {
                    result: "更换灯具".into(),
                },
                Unit,
            ),
            (Action::ApproveClosure, Station),
            (
                Action::RecordFeedback {
                    note: String::new(),
                },
                Station,
            ),
            (
                Action::Rate {
                    rating: Rating::Satisfied,
                    comment: String::new(),
                    via: RatingChannel::Online,
                },
                Resident,
            ),
        ];
        for (a, who) in steps {
            s = apply(&s, a, *who, now()).unwrap();
        }
        assert_eq!(s.status, S::Closed);
        assert_eq!(s.rating, Some(Rating::Satisfied));
        assert_eq!(s.rework_count, 1);
        assert_eq!(s.unit_id, Some(3));
        assert_eq!(s.result.as_deref(), Some("更换灯具"));
        assert_eq!(s.closed_at, Some(now()));
    }

    #[test]
    fn a_return_clears_the_unit_and_the_clock() {
        let s = apply(
            &in_state(S::Consolidating),
            &sample(K::Assign),
            Station,
            now(),
        )
        .unwrap();
        assert_eq!(s.clock_start, Some(now()));
        let s = apply(
            &s,
            &Action::Return {
                reason: "不属本单位职责".into(),
            },
            Unit,
            now(),
        )
        .unwrap();
        assert_eq!(
            (s.status, s.unit_id, s.clock_start),
            (S::Returned, None, None)
        );
    }

    #[test]
    fn text_fields_are_required_and_bounded() {
        let empty = Action::NotAccept {
            reason: "   ".into(),
        };
        let err = apply(&in_state(S::Consolidating), &empty, Station, now()).unwrap_err();
        assert_eq!(
            err,
            TransitionError::Invalid {
                field: "reason",
                message: "required".into()
            }
        );
        let long = Action::RequestClosure {
            result: "字".repeat(MAX_TEXT + 1),
        };
        let err = apply(&in_state(S::InProgress), &long, Unit, now()).unwrap_err();
        assert!(matches!(
            err,
            TransitionError::Invalid {
                field: "result",
                ..
            }
        ));
        let street = Action::HandleLocally {
            tier: Tier::Street,
            note: String::new(),
        };
        assert!(apply(&in_state(S::Consolidating), &street, Station, now()).is_err());
    }

    #[test]
    fn dragging_a_card_means_an_action_only_when_unambiguous() {
        assert_eq!(
            drag_action(S::Registered, Step::Consolidate, &[Station]),
            Some(K::StartConsolidation)
        );
        assert_eq!(
            drag_action(S::ClosureRequested, Step::Feedback, &[Station]),
            Some(K::ApproveClosure)
        );
        assert_eq!(
            drag_action(S::FeedbackDue, Step::Rate, &[Station]),
            Some(K::RecordFeedback)
        );
        // Into handling there are several routes, each needing a choice.
        assert_eq!(
            drag_action(S::Consolidating, Step::Handle, &[Station]),
            None
        );
        // Straight to feedback needs an answer typed in.
        assert_eq!(drag_action(S::Registered, Step::Feedback, &[Station]), None);
        // Not the unit's to approve, and no going back.
        assert_eq!(
            drag_action(S::ClosureRequested, Step::Feedback, &[Unit]),
            None
        );
        assert_eq!(
            drag_action(S::Consolidating, Step::Register, &[Station]),
            None
        );
        // Only residents rate.
        assert_eq!(
            drag_action(S::AwaitingRating, Step::Closed, &[Station]),
            None
        );
    }

    #[test]
    fn the_ui_is_offered_exactly_the_rows_of_the_table() {
        assert_eq!(
            allowed_actions(S::AwaitingAck, &[Unit]),
            vec![K::Acknowledge, K::Return]
        );
        // The station may only press the unit while the unit has it.
        assert_eq!(allowed_actions(S::AwaitingAck, &[Station]), vec![K::Urge]);
        assert_eq!(
            allowed_actions(S::AwaitingRating, &[Resident]),
            vec![
                K::RateSatisfied,
                K::RateFairlySatisfied,
                K::RateDissatisfied
            ]
        );
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for k in ActionKind::ALL {
            assert_eq!(ActionKind::parse(k.as_str()), Some(k));
        }
    }
}
