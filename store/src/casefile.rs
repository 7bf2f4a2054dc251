//! The case file: everything a staff member sees of a case (its timeline,
//! the actions open to them, letters, extensions, coordination, photos) and
//! the resident's view. It reads across the modules that act on a case, so
//! it sits above all of them and none of them needs it.

use crate::access;
use crate::cases::{load, load_for, may_close_unrated};
use crate::events;
use crate::reference;
use crate::users::UserRow;
use crate::{Pool, Result};
use chrono::{DateTime, Utc};
use domain::case;
use domain::view::{CaseDetail, PublicCase, StepDate, TimelineEntry};
use domain::{Action, ActionKind, Actor, Checkpoint, CheckpointStatus, Status, Step, TrackingCode};

/// How a rating came (in person, by phone) or what a call came to.
fn call_of(action: &Action) -> Option<domain::view::CallNote> {
    use domain::view::CallNote;
    match *action {
        Action::Rate { via, .. } if via != domain::RatingChannel::Online => {
            Some(CallNote::Rated(via))
        }
        Action::RecordCall { outcome, .. } => Some(CallNote::Unanswered(outcome)),
        _ => None,
    }
}

/// The text an event shows: from its action, read once by the caller, or
/// else from the payload of an event that is no action.
fn detail_of(
    action: Option<Action>,
    payload: &str,
    units: &[domain::view::Named],
) -> Option<String> {
    let Some(action) = action else {
        // Not an action.
        let value: serde_json::Value = serde_json::from_str(payload).ok()?;
        // An extension says how many days and why.
        if let Some(days) = value.get("days").and_then(|d| d.as_i64()) {
            let why = value
                .get("reason")
                .or_else(|| value.get("note"))
                .and_then(|t| t.as_str())
                .unwrap_or_default();
            return Some(
                format!("+{days} · {why}")
                    .trim_end_matches(" · ")
                    .to_string(),
            );
        }
        // A letter names its number, a recurrence the earlier case, a link
        // the escalated item, an item's update its note.
        return ["number", "recurs", "note", "title"]
            .into_iter()
            .find_map(|k| value.get(k).and_then(|v| v.as_str()))
            .map(String::from);
    };
    match action {
        Action::Assign { unit_id, .. } => units
            .iter()
            .find(|u| u.id == unit_id)
            .map(|u| u.name.clone()),
        Action::AnswerOnSpot { answer: t }
        | Action::HandleLocally { note: t, .. }
        | Action::Escalate { note: t }
        | Action::ToSuggestion { note: t }
        | Action::NotAccept { reason: t }
        | Action::Return { reason: t }
        | Action::ReportProgress { note: t }
        | Action::Urge { note: t }
        | Action::RequestClosure { result: t }
        | Action::RejectClosure { reason: t }
        | Action::CompleteLocally { result: t }
        | Action::ResolveEscalated { result: t }
        | Action::AnswerSuggestion { result: t }
        | Action::RecordFeedback { note: t }
        | Action::Rate { comment: t, .. }
        | Action::RecordCall { note: t, .. } => (!t.is_empty()).then_some(t),
        Action::Merge { into } => Some(into),
        Action::StartConsolidation
        | Action::Acknowledge
        | Action::ApproveClosure
        | Action::CloseUnrated => None,
    }
}

/// Everything about a case for a staff member who may see it.
pub async fn detail(
    pool: &Pool,
    user: &UserRow,
    code: &TrackingCode,
    now: DateTime<Utc>,
) -> Result<CaseDetail> {
    let row = load_for(pool, user, code).await?;
    let policy = reference::policy(pool).await?;
    let tree = reference::region_tree(pool).await?;
    let units = reference::units(pool).await?;
    let state = row.state();
    let timeline = events::of_case(pool, row.id)
        .await?
        .into_iter()
        .map(|e| {
            let action = serde_json::from_str::<Action>(&e.payload).ok();
            TimelineEntry {
                at: e.at,
                call: action.as_ref().and_then(call_of),
                message: (e.kind == "notified")
                    .then(|| serde_json::from_str(&e.payload).ok())
                    .flatten(),
                detail: detail_of(action, &e.payload, &units),
                kind: e.kind,
                actor: e.actor_label,
                from_status: e.from_status,
                to_status: e.to_status,
            }
        })
        .collect();
    let capacities = access::capacities(user, &row.facts());
    let mut actions = case::allowed_actions(state.status, &capacities);
    // Ratings and calls the station records go through the call form.
    let can_call = actions.contains(&ActionKind::RecordCall)
        && access::scope_for(user, domain::Permission::CallBack).covers(&row.facts());
    actions.retain(|k| !k.is_recorded_call());
    if actions.contains(&ActionKind::CloseUnrated) && !may_close_unrated(pool, &row).await? {
        actions.retain(|k| *k != ActionKind::CloseUnrated);
    }
    let checkpoints = policy.checkpoints(&state, now);
    let can_issue_letter = capacities.contains(&Actor::Supervisor)
        && access::scope_for(user, domain::Permission::IssueLetter).covers(&row.facts())
        && state.status.clock_runs()
        && checkpoints
            .iter()
            .any(|c| c.status == CheckpointStatus::Overdue);
    let letters = crate::supervision::letters_for(pool, user, code)
        .await?
        .into_iter()
        .map(|l| domain::view::Named {
            id: l.id,
            name: l.number,
        })
        .collect();
    let extensions = crate::extensions::for_case(pool, &row).await?;
    let pending = extensions
        .iter()
        .any(|e| e.status == domain::view::ExtensionStatus::Pending);
    let can_request_extension =
        capacities.contains(&Actor::Unit) && crate::extensions::may_request(&row, pending);
    let can_decide_extension = pending
        && access::scope_for(user, domain::Permission::DecideExtension).covers(&row.facts());
    let coordination = match row.item_id {
        Some(id) => Some(crate::coordination::brief(pool, id).await?),
        None => None,
    };
    let can_coordinate = row.item_id.is_none()
        && crate::coordination::may_link(&row)
        && access::scope_for(user, domain::Permission::Coordinate).covers(&row.facts());
    Ok(CaseDetail {
        code: TrackingCode::readable(&row.code),
        pin: row.pin.clone(),
        title: row.title.clone(),
        description: row.description.clone(),
        category: row.category.clone(),
        place: tree.label(row.region_id),
        station: row.station.clone(),
        source: row.source,
        resident_name: row.resident_name.clone(),
        resident_phone: row.resident_phone.clone(),
        resident_email: row.resident_email.clone(),
        status: state.status,
        step: state.status.step(),
        route: state.route,
        unit: row.unit.clone(),
        deadline_class: state.deadline_class,
        checkpoints,
        result: state.result.clone(),
        rating: state.rating,
        rework_count: state.rework_count,
        merged_into: state.merged_into.clone(),
        recurs: row.recurs.as_deref().map(TrackingCode::readable),
        created_at: row.created_at,
        timeline,
        actions,
        letters,
        can_issue_letter,
        extensions,
        can_request_extension,
        can_decide_extension,
        coordination,
        can_coordinate,
        can_call,
        calls: row.calls(),
        rated_via: row.rated_via,
        photos: crate::photos::of_case(pool, row.id).await?,
        can_attach_photos: domain::permission::allows(user.role, domain::Permission::AttachPhotos),
        can_publish_photos: domain::permission::allows(
            user.role,
            domain::Permission::PublishPhotos,
        ),
    })
}

/// The resident's view. Callers must have checked the second factor.
pub async fn public_view(
    pool: &Pool,
    code: &TrackingCode,
    now: DateTime<Utc>,
) -> Result<PublicCase> {
    let row = load(pool, code).await?;
    let policy = reference::policy(pool).await?;
    let tree = reference::region_tree(pool).await?;
    let state = row.state();
    let evs = events::of_case(pool, row.id).await?;
    let steps = [
        Step::Register,
        Step::Consolidate,
        Step::Handle,
        Step::Feedback,
        Step::Rate,
    ]
    .into_iter()
    .map(|step| StepDate {
        step,
        at: evs
            .iter()
            .rev()
            .find(|e| e.to_status.step() == step)
            .map(|e| e.at),
    })
    .collect();
    let deadline = policy
        .checkpoints(&state, now)
        .into_iter()
        .find(|c| c.checkpoint == Checkpoint::Completion);
    Ok(PublicCase {
        code: code.to_string(),
        title: row.title.clone(),
        category: row.category.clone(),
        place: tree.public_place(row.region_id),
        resident_name: domain::mask::name(&row.resident_name),
        resident_phone: domain::mask::phone(&row.resident_phone),
        status: state.status,
        step: state.status.step(),
        steps,
        unit: row.unit.clone(),
        deadline,
        result: state.result.clone(),
        rating: state.rating,
        rework_count: state.rework_count,
        can_rate: state.status == Status::AwaitingRating,
        notify: row.notify,
        photos: crate::photos::of_case(pool, row.id)
            .await?
            .into_iter()
            .filter(|p| p.shown_to_resident())
            .collect(),
        can_add_photos: state.status != Status::Closed,
        coordination: match row.item_id {
            Some(id) => Some(crate::coordination::brief(pool, id).await?),
            None => None,
        },
    })
}
