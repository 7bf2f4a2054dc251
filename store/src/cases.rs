//! Cases and their events.

use crate::access::{self, CaseFacts};
use crate::audit;
use crate::db::Stored;
use crate::deadlines::StateRow;
use crate::events::{self, By, insert_event};
use crate::reference::{self, RegionTree};
use crate::users::UserRow;
use crate::{Pool, Result, StoreError};
use chrono::{DateTime, Utc};
use domain::case::{self, transition};
use domain::view::{CaseFilter, CaseSummary, Receipt};
use domain::{
    Action, Actor, CaseState, CheckpointStatus, DeadlinePolicy, NewCase, Rating, SecondFactor,
    Source, Status, Step, TrackingCode,
};
use rand::Rng;
use std::sync::Arc;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub code: String,
    pub pin: String,
    pub title: String,
    pub description: String,
    pub category_id: i64,
    pub category: String,
    pub category_code: String,
    pub region_id: i64,
    pub region_path: String,
    pub station_id: Option<i64>,
    pub station: Option<String>,
    #[sqlx(try_from = "crate::db::Code<Source>")]
    pub source: Source,
    pub resident_name: String,
    pub resident_phone: String,
    pub resident_email: String,
    pub unit: Option<String>,
    #[sqlx(try_from = "crate::db::Stamp")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "crate::db::Stamp")]
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub letters: i64,
    #[sqlx(try_from = "crate::db::Flag")]
    pub escalated: bool,
    /// The closed case of the same kind in the same place this one repeats.
    pub recurs: Option<String>,
    /// The escalated item (市级统筹) the case follows.
    pub item_id: Option<i64>,
    /// The leader or deputy who heard it at a station session.
    pub heard_by: Option<i64>,
    /// The stored 13710 due times (see `deadlines`).
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    pub due_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    pub warn_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    pub completion_due_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    pub acknowledge_due_at: Option<DateTime<Utc>>,
    /// When it last came to wait for a rating; None in other states.
    #[sqlx(try_from = "crate::db::MaybeStamp")]
    pub awaiting_since: Option<DateTime<Utc>>,
    /// Unanswered callbacks since then (`domain::Calls`).
    pub calls: i64,
    pub call_concluded: i64,
    #[sqlx(try_from = "crate::db::MaybeCode<domain::RatingChannel>")]
    pub rated_via: Option<domain::RatingChannel>,
    /// The resident takes text messages (see `outbox`).
    #[sqlx(try_from = "crate::db::Flag")]
    pub notify: bool,
    /// What the 13710 rules read (`deadlines::state_columns!`).
    #[sqlx(flatten)]
    pub state: StateRow,
}

/// How many supervision letters case `c` has had.
macro_rules! letter_count {
    () => {
        "(SELECT COUNT(*) FROM supervision_letters l WHERE l.case_id = c.id)"
    };
}
pub(crate) use letter_count;

/// `letter_count!` as the column `letters`.
macro_rules! letters {
    () => {
        concat!(crate::cases::letter_count!(), " AS letters")
    };
}
pub(crate) use letters;

/// A case row (`CaseRow`): the case with its category, place, station and
/// unit, its letters, whether the 13710 job escalated its running clock
/// (migration 0029 keeps the clock it last escalated) and the case it repeats.
pub(crate) const SELECT_CASE: &str = concat!(
    "SELECT c.id, c.code, c.pin, c.title, c.description, c.category_id, \
     cat.name_zh AS category, cat.code AS category_code, c.region_id, r.path AS region_path, c.station_id, s.name AS station, \
     c.source, c.resident_name, c.resident_phone, c.resident_email, u.name AS unit, \
     c.created_at, c.updated_at, c.version, \
     ",
    letters!(),
    ", COALESCE(c.escalated_clock = c.clock_start, FALSE) AS escalated, \
     (SELECT p.code FROM cases p WHERE p.id = c.recurs_case_id) AS recurs, ",
    crate::deadlines::state_columns!(),
    ", \
     c.item_id, c.heard_by, c.due_at, c.warn_at, c.completion_due_at, \
     c.acknowledge_due_at, c.awaiting_since, c.calls, c.call_concluded, c.rated_via, c.notify \
     FROM cases c \
     JOIN categories cat ON cat.id = c.category_id \
     JOIN regions r ON r.id = c.region_id \
     LEFT JOIN stations s ON s.id = c.station_id \
     LEFT JOIN units u ON u.id = c.unit_id"
);

impl CaseRow {
    pub fn facts(&self) -> CaseFacts {
        CaseFacts {
            region_path: self.region_path.clone(),
            unit_id: self.state.unit_id,
            station_id: self.station_id,
        }
    }

    pub fn state(&self) -> CaseState {
        self.state.clone().into()
    }

    /// The callbacks made since the case came to wait for a rating.
    pub fn calls(&self) -> domain::Calls {
        domain::Calls {
            unanswered: u32::try_from(self.calls).unwrap_or(0),
            concluded: self.call_concluded != 0,
        }
    }

    pub fn second_factor(&self) -> SecondFactor {
        SecondFactor {
            phone_last4: domain::mask::phone_last4(&self.resident_phone),
            pin: self.pin.clone(),
        }
    }
}

pub(crate) async fn load(pool: &Pool, code: &TrackingCode) -> Result<CaseRow> {
    let sql = format!("{SELECT_CASE} WHERE c.code = $1");
    sqlx::query_as(&sql)
        .bind(code.as_str())
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A case by its code, for someone allowed to see it. Another area's case is
/// Forbidden: staff are signed in and accountable, and telling "not yours"
/// from "no such code" spares them a hunt for typos.
pub async fn load_for(pool: &Pool, user: &UserRow, code: &TrackingCode) -> Result<CaseRow> {
    let row = load(pool, code).await?;
    if access::can_view(user, &row.facts()) {
        Ok(row)
    } else {
        Err(StoreError::Forbidden)
    }
}

/// What access depends on, for each of these stored codes that exists.
pub(crate) async fn facts_of(
    pool: &Pool,
    codes: Vec<String>,
) -> Result<std::collections::HashMap<String, CaseFacts>> {
    let mut out = std::collections::HashMap::new();
    // Bounded lists: a person's trail is read 500 entries at a time.
    for chunk in codes.chunks(500) {
        let mut qb = crate::db::Builder::new(
            "SELECT c.code, r.path, c.unit_id, c.station_id FROM cases c \
             JOIN regions r ON r.id = c.region_id WHERE 1 = 1",
        );
        crate::push_in(&mut qb, "c.code", chunk.to_vec());
        let rows: Vec<(String, String, Option<i64>, Option<i64>)> =
            qb.build_query_as()?.fetch_all(pool).await?;
        for (code, region_path, unit_id, station_id) in rows {
            out.insert(
                code,
                CaseFacts {
                    region_path,
                    unit_id,
                    station_id,
                },
            );
        }
    }
    Ok(out)
}

pub(crate) fn new_code() -> (TrackingCode, String) {
    let mut rng = rand::thread_rng();
    let code = TrackingCode::from_random(rng.r#gen());
    let pin = SecondFactor::pin_from_random(rng.r#gen());
    (code, pin)
}

/// Registers a request (step 1). `creator` is None for online requests.
pub async fn create(
    pool: &Pool,
    new: &NewCase,
    creator: Option<&UserRow>,
    now: DateTime<Utc>,
) -> Result<Receipt> {
    let (code, pin) = new_code();
    create_with_code(pool, new, creator, None, now, code, pin).await
}

/// A request heard at a station session, and by whom.
#[derive(Debug, Clone, Copy)]
pub struct Heard {
    pub session_id: i64,
    pub by_user_id: Option<i64>,
}

/// Registers a request heard at a session (see `sessions::register`).
pub(crate) async fn create_heard(
    pool: &Pool,
    new: &NewCase,
    creator: &UserRow,
    heard: Heard,
    now: DateTime<Utc>,
) -> Result<Receipt> {
    let (code, pin) = new_code();
    create_with_code(pool, new, Some(creator), Some(heard), now, code, pin).await
}

pub(crate) async fn create_with_code(
    pool: &Pool,
    new: &NewCase,
    creator: Option<&UserRow>,
    heard: Option<Heard>,
    now: DateTime<Utc>,
    code: TrackingCode,
    pin: String,
) -> Result<Receipt> {
    let mut tx = pool.begin().await?;
    let (_, tree) = create_in(pool, &mut tx, new, creator, heard, now, &code, &pin).await?;
    tx.commit().await?;
    let row = load(pool, &code).await?;
    Ok(receipt(&row, &tree))
}

/// Checks and writes a new case inside the caller's transaction, so what
/// the caller adds (an Open311 request's row) commits with it or not at
/// all. Returns the case's id and the region tree it was checked against.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn create_in(
    pool: &Pool,
    tx: &mut crate::db::Tx<'_>,
    new: &NewCase,
    creator: Option<&UserRow>,
    heard: Option<Heard>,
    now: DateTime<Utc>,
    code: &TrackingCode,
    pin: &str,
) -> Result<(i64, Arc<RegionTree>)> {
    let errors = new.validate();
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let new = new.normalised();
    let class: Option<String> =
        sqlx::query_scalar("SELECT deadline_class FROM categories WHERE id = $1")
            .bind(new.category_id)
            .fetch_optional(pool)
            .await?;
    let class = class.ok_or_else(|| StoreError::invalid("category_id", "unknown"))?;
    let tree = reference::region_tree(pool).await?;
    let region = tree
        .get(new.region_id)
        .ok_or_else(|| StoreError::invalid("region_id", "unknown"))?;
    if let Some(station) = new.station_id {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stations WHERE id = $1")
            .bind(station)
            .fetch_one(pool)
            .await?;
        if n == 0 {
            return Err(StoreError::invalid("station_id", "unknown"));
        }
    }
    if let Some(user) = creator {
        let facts = CaseFacts {
            region_path: region.path.clone(),
            unit_id: None,
            station_id: new.station_id,
        };
        if !access::scope_for(user, domain::Permission::RegisterCase).covers(&facts) {
            access::permit(user, domain::Permission::RegisterCase)?;
            return Err(StoreError::invalid("region_id", "out_of_scope"));
        }
    }

    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cases (code, pin, title, description, category_id, region_id, station_id, source, \
         resident_name, resident_phone, status, deadline_class, created_by, created_at, updated_at, \
         session_id, heard_by, notify, resident_email) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17, $18) \
         RETURNING id",
    )
    .bind(code.as_str())
    .bind(pin)
    .bind(&new.title)
    .bind(&new.description)
    .bind(new.category_id)
    .bind(new.region_id)
    .bind(new.station_id)
    .bind(new.source.as_str())
    .bind(&new.resident_name)
    .bind(&new.resident_phone)
    .bind(Status::Registered.as_str())
    .bind(&class)
    .bind(creator.map(|u| u.id))
    .bind(now.stored())
    .bind(heard.map(|h| h.session_id))
    .bind(heard.and_then(|h| h.by_user_id))
    .bind(i64::from(new.notify))
    .bind(&new.resident_email)
    .fetch_one(&mut **tx)
    .await?;
    let payload = serde_json::json!({ "source": new.source.as_str() }).to_string();
    let by = creator.map(By::user).unwrap_or_else(By::resident);
    insert_event(
        tx,
        id,
        "registered",
        None,
        Status::Registered,
        &by,
        &payload,
        now,
    )
    .await?;
    audit::record(
        tx,
        audit::Change {
            actor_user_id: by.user_id,
            actor: &by.label,
            action: "case.registered",
            entity: "case",
            entity_id: code.as_str().to_string(),
            before: None,
            // What was registered, without the resident's name, phone or
            // words: anonymisation cannot reach the hash-chained trail.
            after: Some(serde_json::json!({
                "source": new.source.as_str(),
                "category_id": new.category_id,
                "region_id": new.region_id,
                "station_id": new.station_id,
            })),
        },
        now,
    )
    .await?;
    flag_recurrence(tx, (id, code.as_str()), &new, &tree, now).await?;
    crate::outbox::enqueue(tx, id, domain::notice::Notice::Registered, now).await?;
    Ok((id, tree))
}

/// Who notes a recurrence in the timeline.
const RECURRENCE_CHECK: &str = "同类问题核查";

/// Flags case `id` when a case of the same category was closed in the same
/// place (its compound, or the node it hangs on above that) within the
/// recurrence window, and notes it in the timeline.
async fn flag_recurrence(
    tx: &mut crate::db::Tx<'_>,
    (id, case_code): (i64, &str),
    new: &NewCase,
    tree: &RegionTree,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(place) = tree.public_node(new.region_id) else {
        return Ok(());
    };
    let days = reference::recurrence_days(&mut **tx).await?;
    let (from, to) = area_range(&place.path);
    let earlier: Option<(i64, String)> = sqlx::query_as(
        "SELECT c.id, c.code FROM cases c \
         WHERE c.category_id = $1 AND c.status = 'closed' AND c.closed_at >= $2 \
         AND c.area_path >= $3 AND c.area_path < $4 AND c.id <> $5 \
         ORDER BY c.closed_at DESC LIMIT 1",
    )
    .bind(new.category_id)
    .bind((now - chrono::Duration::days(days)).stored())
    .bind(from)
    .bind(to)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((earlier_id, code)) = earlier else {
        return Ok(());
    };
    sqlx::query("UPDATE cases SET recurs_case_id = $1 WHERE id = $2")
        .bind(earlier_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let shown = TrackingCode::readable(&code);
    let payload = serde_json::json!({ "recurs": shown }).to_string();
    let by = By::named(RECURRENCE_CHECK);
    insert_event(
        tx,
        id,
        "recurrence",
        Some(Status::Registered),
        Status::Registered,
        &by,
        &payload,
        now,
    )
    .await?;
    let after = Some(serde_json::json!({ "recurs": shown }));
    audit::record(
        tx,
        audit::Change::by(&by, "case.recurrence", "case", case_code).states(None, after),
        now,
    )
    .await
}

fn receipt(row: &CaseRow, tree: &RegionTree) -> Receipt {
    Receipt {
        code: TrackingCode::readable(&row.code),
        pin: row.pin.clone(),
        title: row.title.clone(),
        category: row.category.clone(),
        place: tree.label(row.region_id),
        station: row.station.clone(),
        created_at: row.created_at,
    }
}

/// The receipt of an online request, for its sender: the place is reduced to
/// what public pages may show.
pub async fn public_receipt(pool: &Pool, code: &TrackingCode) -> Result<Receipt> {
    let row = load(pool, code).await?;
    let tree = reference::region_tree(pool).await?;
    Ok(Receipt {
        place: tree.public_place(row.region_id),
        ..receipt(&row, &tree)
    })
}

/// The receipt again, for reprinting.
pub async fn receipt_for(pool: &Pool, user: &UserRow, code: &TrackingCode) -> Result<Receipt> {
    let row = load_for(pool, user, code).await?;
    let tree = reference::region_tree(pool).await?;
    Ok(receipt(&row, &tree))
}

/// Applies `action` in capacity `actor`; the case row and its event are
/// written together or not at all.
pub async fn apply(
    pool: &Pool,
    row: &CaseRow,
    action: &Action,
    actor: Actor,
    by: &By,
    now: DateTime<Utc>,
) -> Result<CaseState> {
    let before = row.state();
    let after = case::apply(&before, action, actor, now)?;
    match action {
        Action::Assign { unit_id, .. } if !reference::unit_exists(pool, *unit_id).await? => {
            return Err(StoreError::invalid("unit_id", "unknown"));
        }
        Action::Merge { into } => {
            let target = TrackingCode::parse(into)
                .map_err(|_| StoreError::invalid("into", "malformed_code"))?;
            let other = load(pool, &target)
                .await
                .map_err(|_| StoreError::invalid("into", "unknown"))?;
            if other.id == row.id || !other.state.status.is_open() {
                return Err(StoreError::invalid("into", "cannot_merge"));
            }
        }
        _ => {}
    }

    let waiting = Waiting::after(row, action, after.status, now);
    let mut tx = pool.begin().await?;
    let changed = sqlx::query(
        "UPDATE cases SET status = $1, route = $2, tier = $3, unit_id = $4, deadline_class = $5, \
         clock_start = $6, acknowledged_at = $7, progress_at = $8, completed_at = $9, result = $10, \
         rating = $11, rework_count = $12, closed_at = $13, merged_into = $14, updated_at = $15, \
         version = version + 1, awaiting_since = $18, calls = $19, call_concluded = $20, \
         rated_via = $21 WHERE id = $16 AND version = $17",
    )
    .bind(after.status.as_str())
    .bind(after.route.map(|r| r.as_str()))
    .bind(after.tier.map(|t| t.as_str()))
    .bind(after.unit_id)
    .bind(after.deadline_class.as_str())
    .bind(after.clock_start.stored())
    .bind(after.acknowledged_at.stored())
    .bind(after.progress_at.stored())
    .bind(after.completed_at.stored())
    .bind(&after.result)
    .bind(after.rating.map(|r| r.as_str()))
    .bind(after.rework_count)
    .bind(after.closed_at.stored())
    .bind(&after.merged_into)
    .bind(now.stored())
    .bind(row.id)
    .bind(row.version)
    .bind(waiting.since.stored())
    .bind(i64::from(waiting.calls.unanswered))
    .bind(i64::from(waiting.calls.concluded))
    .bind(waiting.rated_via.map(|v| v.as_str()))
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(StoreError::Conflict);
    }
    let policy = reference::policy_in(pool, &mut tx).await?;
    crate::deadlines::write(&mut tx, row.id, &policy, &after).await?;
    if let Some(notice) = domain::notice::Notice::after(action.kind(), after.status) {
        crate::outbox::enqueue(&mut tx, row.id, notice, now).await?;
    }
    let payload = serde_json::to_string(action).unwrap_or_else(|_| "{}".into());
    insert_event(
        &mut tx,
        row.id,
        action.kind().as_str(),
        Some(before.status),
        after.status,
        by,
        &payload,
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Change {
            actor_user_id: by.user_id,
            actor: &by.label,
            action: &format!("case.{}", action.kind().as_str()),
            entity: "case",
            entity_id: row.code.clone(),
            before: audit::without_free_text(audit::json(&before)),
            after: audit::without_free_text(audit::json(
                &serde_json::json!({ "state": after, "action": action }),
            )),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// What a case keeps about waiting for its rating, after an action.
struct Waiting {
    since: Option<DateTime<Utc>>,
    calls: domain::Calls,
    rated_via: Option<domain::RatingChannel>,
}

impl Waiting {
    fn after(row: &CaseRow, action: &Action, to: Status, now: DateTime<Utc>) -> Self {
        let waiting = to == Status::AwaitingRating;
        // Coming (back) to wait starts the list's clock and the calls afresh.
        let again = waiting && row.state.status != Status::AwaitingRating;
        let calls = match action {
            _ if !waiting || again => domain::Calls::default(),
            Action::RecordCall { outcome, .. } => row.calls().after(*outcome),
            _ => row.calls(),
        };
        Self {
            since: match (waiting, again) {
                (false, _) => None,
                (true, true) => Some(now),
                (true, false) => row.awaiting_since.or(Some(now)),
            },
            calls,
            rated_via: match action {
                Action::Rate { via, .. } => Some(*via),
                Action::CloseUnrated => None,
                _ => row.rated_via,
            },
        }
    }
}

/// A staff member acts on a case: checks scope and capacity, then applies.
pub async fn act(
    pool: &Pool,
    user: &UserRow,
    code: &TrackingCode,
    action: &Action,
    now: DateTime<Utc>,
) -> Result<CaseState> {
    let row = load_for(pool, user, code).await?;
    act_on(pool, user, &row, action, now).await
}

/// `act` on a row already loaded for a user who may see it (the answers
/// below name its state, which must not leak from another area).
pub(crate) async fn act_on(
    pool: &Pool,
    user: &UserRow,
    row: &CaseRow,
    action: &Action,
    now: DateTime<Utc>,
) -> Result<CaseState> {
    let mine = access::capacities(user, &row.facts());
    let kind = action.kind();
    let actor = match transition(row.state.status, kind) {
        None => {
            return Err(domain::TransitionError::Illegal {
                from: row.state.status.as_str(),
                action: kind.as_str(),
            }
            .into());
        }
        Some((_, who)) => who
            .iter()
            .copied()
            .find(|a| mine.contains(a))
            .ok_or(StoreError::Forbidden)?,
    };
    // A merge target outside the actor's area answers exactly like one that
    // does not exist (after the same checks): the answers must not reveal
    // other areas' codes.
    if let Action::Merge { into } = action
        && let Ok(target) = TrackingCode::parse(into)
        && matches!(
            load_for(pool, user, &target).await,
            Err(StoreError::Forbidden)
        )
    {
        case::apply(&row.state(), action, actor, now)?;
        return Err(StoreError::invalid("into", "unknown"));
    }
    if matches!(action, Action::CloseUnrated)
        && actor == Actor::Station
        && !may_close_unrated(pool, row).await?
    {
        return Err(StoreError::invalid("calls", "call_first"));
    }
    apply(pool, row, action, actor, &By::user(user), now).await
}

/// Whether the station has tried to call enough to close the case unrated.
pub(crate) async fn may_close_unrated(pool: &Pool, row: &CaseRow) -> Result<bool> {
    Ok(reference::callback_policy(pool)
        .await?
        .may_close_unrated(row.calls()))
}

pub(crate) fn summarize(
    row: &CaseRow,
    policy: &DeadlinePolicy,
    tree: &RegionTree,
    now: DateTime<Utc>,
) -> CaseSummary {
    let state = row.state();
    let deadline = domain::deadline::headline(&policy.checkpoints(&state, now));
    let due_in_hours = deadline
        .as_ref()
        .filter(|d| {
            matches!(
                d.status,
                CheckpointStatus::OnTrack | CheckpointStatus::DueSoon | CheckpointStatus::Overdue
            )
        })
        .map(|d| (d.due - now).num_hours());
    CaseSummary {
        code: TrackingCode::readable(&row.code),
        title: row.title.clone(),
        category: row.category.clone(),
        place: tree.label(row.region_id),
        unit: row.unit.clone(),
        status: state.status,
        step: state.status.step(),
        source: row.source,
        deadline,
        rating: state.rating,
        rated_via: row.rated_via,
        created_at: row.created_at,
        closed_at: state.closed_at,
        age_days: (now - row.created_at).num_days(),
        due_in_hours,
        category_id: row.category_id,
        unit_id: row.state.unit_id,
        station_id: row.station_id,
        region_path: row.region_path.clone(),
        letters: row.letters,
        // Only while the clock runs: a case done after escalation leaves the supervisor's list.
        escalated: row.escalated && state.status.clock_runs(),
        recurs: row.recurs.as_deref().map(TrackingCode::readable),
    }
}

/// A case's list line and the facts access depends on, for live updates.
/// The cards of the cases with these stored codes, by code, in three
/// queries however many there are (the live board's follower and replay
/// read a batch of changed cases at once). Unknown codes are left out.
pub async fn summaries_by_code(
    pool: &Pool,
    codes: &[String],
    now: DateTime<Utc>,
) -> Result<std::collections::HashMap<String, (CaseSummary, CaseFacts)>> {
    let mut out = std::collections::HashMap::new();
    if codes.is_empty() {
        return Ok(out);
    }
    let policy = reference::policy(pool).await?;
    let tree = reference::region_tree(pool).await?;
    for chunk in codes.chunks(500) {
        let mut qb: crate::db::Builder = crate::db::Builder::new(SELECT_CASE);
        qb.push(" WHERE 1 = 1");
        crate::push_in(&mut qb, "c.code", chunk.to_vec());
        let rows: Vec<CaseRow> = qb.build_query_as()?.fetch_all(pool).await?;
        for row in rows {
            let card = summarize(&row, &policy, &tree, now);
            out.insert(row.code.clone(), (card, row.facts()));
        }
    }
    Ok(out)
}

/// One case's card (tests read a card after each step).
#[cfg(test)]
pub(crate) async fn summary(
    pool: &Pool,
    code: &TrackingCode,
    now: DateTime<Utc>,
) -> Result<(CaseSummary, CaseFacts)> {
    summaries_by_code(pool, &[code.as_str().to_string()], now)
        .await?
        .remove(code.as_str())
        .ok_or(StoreError::NotFound)
}

/// The index range of the cases at and below the region with `path`
/// ('/1/4/' → '/1/4/' ≤ area_path < '/1/40'): paths are ids between
/// slashes and '/' sorts just before '0', so exactly the subtree falls in it.
pub(crate) fn area_range(path: &str) -> (String, String) {
    let stem = path.strip_suffix('/').unwrap_or(path);
    (format!("{stem}/"), format!("{stem}0"))
}

/// Narrows a query over `cases c` to the area with materialised `path`.
pub(crate) fn push_area(qb: &mut crate::db::Builder, path: &str) {
    // The city (the tree's one root) holds every case: a range over all of
    // the index would only lead the planner to walk it row by row (5 s per
    // query at a million cases, against milliseconds by the other filters).
    if access::Scope::Region(path.to_string()).is_whole_city() {
        return;
    }
    let (from, to) = area_range(path);
    qb.push(" AND c.area_path >= ")
        .push_bind(from)
        .push(" AND c.area_path < ")
        .push_bind(to);
}

/// Narrows a query over `cases c` to `scope`; false when the scope holds
/// nothing (the query need not run).
pub(crate) fn push_scope(qb: &mut crate::db::Builder, scope: &access::Scope) -> bool {
    match scope {
        access::Scope::All => {}
        access::Scope::Region(p) => push_area(qb, p),
        access::Scope::Unit(u) => {
            qb.push(" AND c.unit_id = ").push_bind(*u);
        }
        access::Scope::Station(s) => {
            qb.push(" AND c.station_id = ").push_bind(*s);
        }
        access::Scope::Nothing => return false,
    }
    true
}

/// The statuses in which the 13710 clock runs, for SQL.
fn clock_statuses() -> impl Iterator<Item = &'static str> {
    Status::ALL
        .into_iter()
        .filter(|s| s.clock_runs())
        .map(|s| s.as_str())
}

/// The 13710 job escalated the case's current clock (and it still runs):
/// the clock it last escalated, which the database keeps from the reminders
/// (migration 0029), is the running one.
fn push_escalated(qb: &mut crate::db::Builder) {
    qb.push(" AND c.escalated_clock = c.clock_start");
    crate::push_in(qb, "c.status", clock_statuses());
}

/// The conditions of a case list over `cases c`: the user's scope and every
/// filter, all in SQL so counts and pages are exact. False when the scope
/// holds nothing.
fn push_filter(
    qb: &mut crate::db::Builder,
    user: &UserRow,
    filter: &CaseFilter,
    now: DateTime<Utc>,
) -> bool {
    qb.push(" WHERE 1 = 1");
    if !push_scope(qb, &access::scope(user)) {
        return false;
    }
    if let Some(step) = filter.step {
        let statuses = Status::ALL.into_iter().filter(move |s| s.step() == step);
        crate::push_in(qb, "c.status", statuses.map(|s| s.as_str()));
    }
    if let Some(c) = filter.category_id {
        qb.push(" AND c.category_id = ").push_bind(c);
    }
    if let Some(u) = filter.unit_id {
        qb.push(" AND c.unit_id = ").push_bind(u);
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let like = format!("%{q}%");
        qb.push(" AND (c.title LIKE ")
            .push_bind(like.clone())
            .push(" OR c.description LIKE ")
            .push_bind(like)
            .push(" OR c.code = ")
            .push_bind(q.replace('-', "").to_uppercase())
            .push(")");
    }
    if let Some(st) = filter.station_id {
        qb.push(" AND c.station_id = ").push_bind(st);
    }
    if let Some(p) = filter.region_path.as_deref() {
        push_area(qb, p);
    }
    if let Some(t) = filter.closed_since {
        qb.push(" AND (c.closed_at IS NULL OR c.closed_at >= ")
            .push_bind(t.stored())
            .push(")");
    }
    if filter.overdue {
        qb.push(" AND c.due_at < ").push_bind(now.stored());
    }
    if filter.escalated {
        push_escalated(qb);
    }
    if filter.recurring {
        qb.push(" AND c.recurs_case_id IS NOT NULL");
    }
    if let Some(statuses) = &filter.statuses {
        // None of them (an empty list) matches nothing.
        crate::push_in(qb, "c.status", statuses.iter().map(|s| s.as_str()));
    }
    true
}

/// What waits for `user` (待办), in one count over the indexes; None for a
/// role that has no to-do of cases.
pub async fn to_do(
    pool: &Pool,
    user: &UserRow,
    now: DateTime<Utc>,
) -> Result<Option<domain::view::ToDo>> {
    let filter = CaseFilter::to_do(user.role);
    if filter.statuses.as_ref().is_some_and(Vec::is_empty) {
        return Ok(None);
    }
    let mut qb =
        crate::db::Builder::new("SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN c.due_at < ");
    qb.push_bind(now.stored())
        .push(" THEN 1 ELSE 0 END), 0) AS BIGINT) FROM cases c");
    if !push_filter(&mut qb, user, &filter, now) {
        return Ok(Some(domain::view::ToDo::default()));
    }
    let (total, overdue): (i64, i64) = qb.build_query_as()?.fetch_one(pool).await?;
    Ok(Some(domain::view::ToDo { total, overdue }))
}

/// The first `limit` cases of `user`'s to-do, overdue first, then what
/// waits longest; without counting them again (`to_do` has).
pub async fn first_waiting(
    pool: &Pool,
    user: &UserRow,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Vec<CaseSummary>> {
    let filter = CaseFilter::to_do(user.role);
    let rows = rows(pool, user, &filter, Order::Waiting, Some((0, limit)), now).await?;
    summaries(pool, &rows, now).await
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Overdue first, then newest first (case lists).
    Newest,
    /// Overdue first, then oldest first: what waits longest (board columns).
    Waiting,
}

/// A page of cards out of `total` matching cases, starting at `offset`.
pub type CasePage = domain::view::Page<CaseSummary>;

/// The cases `user` may see that match `filter`: `limit` cards from
/// `offset` in `order`, with the exact number that match. Filters, ordering
/// and paging all run in SQL, on the stored due times.
pub async fn page(
    pool: &Pool,
    user: &UserRow,
    filter: &CaseFilter,
    (order, offset, limit): (Order, i64, i64),
    now: DateTime<Utc>,
) -> Result<CasePage> {
    let offset = offset.max(0);
    let mut count = crate::db::Builder::new("SELECT COUNT(*) FROM cases c");
    if !push_filter(&mut count, user, filter, now) {
        return Ok(CasePage::empty(offset));
    }
    let total: i64 = count.build_query_scalar()?.fetch_one(pool).await?;
    let cards = if total > offset && limit > 0 {
        let rows = rows(pool, user, filter, order, Some((offset, limit)), now).await?;
        summaries(pool, &rows, now).await?
    } else {
        vec![]
    };
    Ok(CasePage {
        items: cards,
        total,
        offset,
    })
}

/// A board's first load: its exact counts and the first `per_column` cards
/// of each of `columns` (overdue first, then what waits longest). The
/// queries run side by side on the pool's connections, and a column's cards
/// are read without counting them again: the counts hold every column's
/// total.
pub async fn board(
    pool: &Pool,
    user: &UserRow,
    filter: &CaseFilter,
    columns: impl IntoIterator<Item = Step>,
    per_column: i64,
    now: DateTime<Utc>,
) -> Result<(domain::view::BoardCounts, Vec<CaseSummary>)> {
    let cards = columns.into_iter().map(|step| {
        let column = CaseFilter {
            step: Some(step),
            ..filter.clone()
        };
        async move {
            let window = Some((0, per_column));
            rows(pool, user, &column, Order::Waiting, window, now).await
        }
    });
    let (counts, cards) = futures_util::future::try_join(
        board_counts(pool, user, filter, now),
        futures_util::future::try_join_all(cards),
    )
    .await?;
    let cards: Vec<CaseRow> = cards.into_iter().flatten().collect();
    Ok((counts, summaries(pool, &cards, now).await?))
}

/// Every case `user` may see that matches `filter`, overdue first, then
/// newest first — for areas a person works through whole (a grid, a
/// community's session); lists people page through use `page`.
pub async fn list(
    pool: &Pool,
    user: &UserRow,
    filter: &CaseFilter,
    now: DateTime<Utc>,
) -> Result<Vec<CaseSummary>> {
    let rows = rows(pool, user, filter, Order::Newest, None, now).await?;
    summaries(pool, &rows, now).await
}

/// The cases `user` may see that match `filter`, in `order`, within
/// `window` (offset, limit) if one is given.
async fn rows(
    pool: &Pool,
    user: &UserRow,
    filter: &CaseFilter,
    order: Order,
    window: Option<(i64, i64)>,
    now: DateTime<Utc>,
) -> Result<Vec<CaseRow>> {
    let sorted = |select: &str| {
        let mut qb = crate::db::Builder::new(select);
        if !push_filter(&mut qb, user, filter, now) {
            return None;
        }
        qb.push(" ORDER BY CASE WHEN c.due_at < ")
            .push_bind(now.stored())
            .push(" THEN 0 ELSE 1 END, ")
            .push(match order {
                Order::Newest => "c.created_at DESC, c.id DESC",
                Order::Waiting => "c.created_at, c.id",
            });
        Some(qb)
    };
    let rows: Vec<CaseRow> = match window {
        // A page: the matching ids are sorted first and only the page's
        // cases are read whole. Sorted whole, every match (23,000 overdue
        // cases of a city) would have its letters, escalation, recurrence
        // and extensions worked out before the sort, for 50 shown.
        Some((offset, limit)) => {
            let Some(mut ids) = sorted("SELECT c.id FROM cases c") else {
                return Ok(vec![]);
            };
            ids.push(" LIMIT ")
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset);
            let ids: Vec<i64> = ids.build_query_scalar()?.fetch_all(pool).await?;
            if ids.is_empty() {
                return Ok(vec![]);
            }
            let mut page = crate::db::Builder::new(SELECT_CASE);
            page.push(" WHERE 1 = 1");
            crate::push_in(&mut page, "c.id", ids.clone());
            let mut by_id: std::collections::HashMap<i64, CaseRow> = page
                .build_query_as::<CaseRow>()?
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|r| (r.id, r))
                .collect();
            ids.iter().filter_map(|id| by_id.remove(id)).collect()
        }
        None => match sorted(SELECT_CASE) {
            Some(mut qb) => qb.build_query_as()?.fetch_all(pool).await?,
            None => return Ok(vec![]),
        },
    };
    Ok(rows)
}

/// The cards of `rows`, with the deadline policy and the region tree read
/// once for all of them (a board's five columns included).
async fn summaries(pool: &Pool, rows: &[CaseRow], now: DateTime<Utc>) -> Result<Vec<CaseSummary>> {
    let (policy, tree) =
        futures_util::future::try_join(reference::policy(pool), reference::region_tree(pool))
            .await?;
    Ok(rows
        .iter()
        .map(|row| summarize(row, &policy, &tree, now))
        .collect())
}

/// The exact figures of a board: cards per step and the strip's counts, by
/// one aggregation in SQL over everything that matches.
pub async fn board_counts(
    pool: &Pool,
    user: &UserRow,
    filter: &CaseFilter,
    now: DateTime<Utc>,
) -> Result<domain::view::BoardCounts> {
    // Grouped by an expression, not the column: grouped by the column,
    // SQLite walks the status index over every case of the city to save a
    // sort, instead of reading the few the filters select by their indexes.
    // Escalation counts only while the clock runs (the statuses are the
    // code's own words): a city board also counts its recent closures.
    let running: Vec<String> = clock_statuses().map(|s| format!("'{s}'")).collect();
    let mut qb = crate::db::Builder::new("SELECT c.status || '', COUNT(*), ");
    qb.push("CAST(COALESCE(SUM(CASE WHEN c.due_at < ")
        .push_bind(now.stored())
        .push(" THEN 1 ELSE 0 END), 0) AS BIGINT), ")
        .push(format_args!(
            "CAST(COALESCE(SUM(CASE WHEN c.status IN ({}) AND c.escalated_clock = c.clock_start \
             THEN 1 ELSE 0 END), 0) AS BIGINT), ",
            running.join(", ")
        ))
        .push(
            "CAST(COALESCE(SUM(CASE WHEN c.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied') \
             THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN c.rating IN ('satisfied', 'fairly_satisfied') \
             THEN 1 ELSE 0 END), 0) AS BIGINT) FROM cases c",
        );
    let mut counts = domain::view::BoardCounts::default();
    if !push_filter(&mut qb, user, filter, now) {
        return Ok(counts);
    }
    qb.push(" GROUP BY c.status || ''");
    let rows: Vec<(crate::db::Code<Status>, i64, i64, i64, i64, i64)> =
        qb.build_query_as()?.fetch_all(pool).await?;
    for (status, n, overdue, escalated, rated, satisfied) in rows {
        counts.add(status.0, n, overdue, escalated, rated, satisfied);
    }
    Ok(counts)
}

/// code, title, description, status, region, unit, station, region path.
type SimilarRow = (
    String,
    String,
    String,
    crate::db::Code<Status>,
    i64,
    Option<i64>,
    Option<i64>,
    String,
);

/// Suggestions at intake: at most this many similar cases.
pub const MAX_SIMILAR: usize = 5;

/// Open cases in the community of `region_id` that read like `text`, best
/// first, among those `user` may see — so a director can merge a duplicate
/// instead of sending a unit the same problem twice.
pub async fn similar_open(
    pool: &Pool,
    user: &UserRow,
    region_id: i64,
    text: &str,
) -> Result<Vec<domain::view::SimilarCase>> {
    use domain::similarity::{Fingerprint, THRESHOLD, score};
    let probe = Fingerprint::of(text);
    if probe.is_empty() {
        return Ok(vec![]);
    }
    let tree = reference::region_tree(pool).await?;
    let area = tree
        .community_of(region_id)
        .ok_or_else(|| StoreError::invalid("region_id", "unknown"))?
        .path
        .clone();
    let (from, to) = area_range(&area);
    let rows: Vec<SimilarRow> = sqlx::query_as(
        "SELECT c.code, c.title, c.description, c.status, c.region_id, c.unit_id, \
             c.station_id, c.area_path FROM cases c \
             WHERE c.area_path >= $1 AND c.area_path < $2 AND c.status NOT IN ('closed', 'merged')",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut found: Vec<(f64, domain::view::SimilarCase)> = rows
        .into_iter()
        .filter(|(.., unit_id, station_id, path)| {
            access::can_view(
                user,
                &CaseFacts {
                    region_path: path.clone(),
                    unit_id: *unit_id,
                    station_id: *station_id,
                },
            )
        })
        .filter_map(|(code, title, description, status, region_id, ..)| {
            let s = score(&probe, &Fingerprint::of(&format!("{title} {description}")));
            (s >= THRESHOLD).then(|| {
                let case = domain::view::SimilarCase {
                    code: TrackingCode::readable(&code),
                    title,
                    place: tree.label(region_id),
                    status: status.0,
                    score: (s * 100.0).round() as u8,
                };
                (s, case)
            })
        })
        .collect();
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(found
        .into_iter()
        .take(MAX_SIMILAR)
        .map(|(_, c)| c)
        .collect())
}

/// Whether `answer` is the case's second factor. Unknown codes answer false,
/// indistinguishable from a wrong factor.
pub async fn verify_second_factor(pool: &Pool, code: &TrackingCode, answer: &str) -> Result<bool> {
    match load(pool, code).await {
        Ok(row) => Ok(row.second_factor().accepts(answer)),
        Err(StoreError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The resident rates the result (step 5).
pub async fn rate(
    pool: &Pool,
    code: &TrackingCode,
    rating: Rating,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<CaseState> {
    let row = load(pool, code).await?;
    let action = Action::Rate {
        rating,
        comment: comment.to_string(),
        via: domain::RatingChannel::Online,
    };
    apply(pool, &row, &action, Actor::Resident, &By::resident(), now).await
}

/// For tests and tools: the status of a case by code.
pub async fn status_of(pool: &Pool, code: &TrackingCode) -> Result<Status> {
    Ok(load(pool, code).await?.state.status)
}

/// Kinds of the events of a case, oldest first.
pub async fn event_kinds(pool: &Pool, code: &TrackingCode) -> Result<Vec<String>> {
    let row = load(pool, code).await?;
    Ok(events::of_case(pool, row.id)
        .await?
        .into_iter()
        .map(|e| e.kind)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::casefile::{detail, public_view};

    /// Migrations 0029 and 0030 fill what they keep on existing cases (the
    /// escalated clock, the returns, the last acknowledging handler): the
    /// demo city taken back to before them and migrated again has the
    /// values the triggers kept while it was made.
    #[tokio::test]
    async fn migrating_fills_the_kept_columns_of_existing_cases() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        crate::supervision::remind(&pool, Utc::now()).await.unwrap();
        type Kept = (i64, Option<String>, i64, Option<String>);
        let kept = async || -> Vec<Kept> {
            sqlx::query_as(
                "SELECT id, escalated_clock, returns, acknowledger FROM cases ORDER BY id",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        };
        let before = kept().await;
        assert!(before.iter().any(|k| k.1.is_some()));
        assert!(before.iter().any(|k| k.2 > 0));
        assert!(before.iter().any(|k| k.3.is_some()));

        let old_index = "CREATE INDEX cases_open ON cases(due_at, status, created_at, \
                         closed_at, clock_start, rating) WHERE due_at IS NOT NULL";
        // Migration 0033's unit index holds escalated_clock: it goes first,
        // and 0033 runs again after 0029 and 0030.
        let undo: Vec<&str> = match crate::Backend::of(&pool) {
            crate::Backend::Sqlite => vec![
                "DROP INDEX cases_area_closed",
                "CREATE INDEX cases_area ON cases(area_path, status)",
                "DROP INDEX cases_unit_status",
                "CREATE INDEX cases_unit ON cases(unit_id)",
                "DROP TRIGGER reminder_escalates",
                "DROP TRIGGER case_returns",
                "DROP TRIGGER case_acknowledger",
            ],
            crate::Backend::Postgres => vec![
                "DROP INDEX cases_unit_status",
                "CREATE INDEX cases_unit ON cases(unit_id)",
                "DROP TRIGGER reminder_escalates ON reminders",
                "DROP FUNCTION reminder_escalates()",
                "DROP TRIGGER case_event_for_ledger ON case_events",
                "DROP FUNCTION case_event_for_ledger()",
            ],
        };
        for sql in undo.into_iter().chain([
            "DROP INDEX cases_open",
            "ALTER TABLE cases DROP COLUMN escalated_clock",
            "ALTER TABLE cases DROP COLUMN returns",
            "ALTER TABLE cases DROP COLUMN acknowledger",
            old_index,
            "DELETE FROM _sqlx_migrations WHERE version IN (29, 30, 33)",
        ]) {
            sqlx::query(sql).execute(&pool).await.expect(sql);
        }
        crate::migrate(&pool).await.unwrap();
        assert_eq!(kept().await, before);
    }

    /// The demo's director and two unit handlers (on `TestDb::demo`).
    async fn fixture(pool: &Pool) -> (UserRow, UserRow, UserRow) {
        let user = |name: &'static str| async move {
            crate::users::find_by_username(pool, name)
                .await
                .unwrap()
                .unwrap()
        };
        (
            user("director").await,
            user("handler").await,
            user("handler2").await,
        )
    }

    /// The unit reports it done, the station approves and feeds back.
    async fn finish_round(
        pool: &Pool,
        handler: &UserRow,
        director: &UserRow,
        code: &TrackingCode,
        result: &str,
    ) {
        let now = Utc::now();
        let request = Action::RequestClosure {
            result: result.into(),
        };
        act(pool, handler, code, &request, now).await.unwrap();
        act(pool, director, code, &Action::ApproveClosure, now)
            .await
            .unwrap();
        let feedback = Action::RecordFeedback {
            note: String::new(),
        };
        act(pool, director, code, &feedback, now).await.unwrap();
    }

    fn request(region_id: i64, category_id: i64) -> NewCase {
        NewCase {
            title: "巷口路灯不亮".into(),
            description: "3号楼旁巷口路灯坏了一周，晚上出行不便".into(),
            category_id,
            region_id,
            station_id: None,
            source: Source::WalkIn,
            resident_name: "王丽华".into(),
            resident_phone: "13812345678".into(),
            resident_email: String::new(),
            notify: false,
        }
    }

    async fn count(pool: &Pool, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_to_do_counts_what_waits_for_the_role_and_follows_the_case() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let (director, handler, _) = fixture(&pool).await;
        let to_do = |u: UserRow| {
            let pool = pool.clone();
            async move { to_do(&pool, &u, Utc::now()).await.unwrap().unwrap() }
        };
        // The count is the list's: the area's cases in the states that wait.
        let mine = CaseFilter::to_do(domain::Role::Director);
        let listed = list(&pool, &director, &mine, now).await.unwrap();
        let before = to_do(director.clone()).await;
        assert_eq!(before.total, listed.len() as i64);
        assert!(before.total > 0, "the demo director has work waiting");
        assert_eq!(
            before.overdue,
            listed.iter().filter(|c| c.is_overdue()).count() as i64
        );
        let handler_before = to_do(handler.clone()).await;

        // A new request waits for the station; assigned, for the unit.
        let (_, _, compound, category) = fixture_ids(&pool, &director).await;
        let receipt = create(&pool, &request(compound, category), Some(&director), now)
            .await
            .unwrap();
        let code = TrackingCode::parse(&receipt.code).unwrap();
        assert_eq!(to_do(director.clone()).await.total, before.total + 1);
        act(&pool, &director, &code, &Action::StartConsolidation, now)
            .await
            .unwrap();
        assert_eq!(to_do(director.clone()).await.total, before.total + 1);
        let assign = Action::Assign {
            unit_id: handler.unit_id.unwrap(),
            class: domain::DeadlineClass::Ordinary,
        };
        act(&pool, &director, &code, &assign, now).await.unwrap();
        assert_eq!(to_do(director.clone()).await, before);
        assert_eq!(to_do(handler.clone()).await.total, handler_before.total + 1);

        // Roles without cases of their own have no to-do at all.
        let admin = crate::users::find_by_username(&pool, "admin")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(super::to_do(&pool, &admin, now).await.unwrap(), None);
    }

    #[tokio::test]
    async fn intake_writes_the_case_and_its_first_event() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let (director, ..) = fixture(&pool).await;
        let (_, _, compound, category) = fixture_ids(&pool, &director).await;
        let receipt = create(
            &pool,
            &request(compound, category),
            Some(&director),
            Utc::now(),
        )
        .await
        .unwrap();
        let code = TrackingCode::parse(&receipt.code).unwrap();
        assert_eq!(receipt.pin.len(), 6);
        assert_eq!(status_of(&pool, &code).await.unwrap(), Status::Registered);
        // Registered; the demo may have closed a lighting case there lately,
        // which makes this a noted recurrence and nothing else.
        let kinds = event_kinds(&pool, &code).await.unwrap();
        assert_eq!(kinds[0], "registered");
        assert!(kinds[1..].iter().all(|k| k == "recurrence"), "{kinds:?}");
        assert!(receipt.place.contains("袁家庄社区"));
        // The receipt can be printed again, but only by someone who may see the case.
        assert_eq!(receipt_for(&pool, &director, &code).await.unwrap(), receipt);
        let handler = crate::users::find_by_username(&pool, "handler")
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            receipt_for(&pool, &handler, &code).await,
            Err(StoreError::Forbidden)
        ));
    }

    #[tokio::test]
    async fn similar_open_cases_are_offered_within_the_community_and_the_scope() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let director = crate::users::find_by_username(&pool, "director")
            .await
            .unwrap()
            .unwrap();
        let mine = list(&pool, &director, &Default::default(), now)
            .await
            .unwrap();
        let open = mine.iter().find(|c| c.status.is_open()).unwrap();
        let region_of = |code: String| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>("SELECT region_id FROM cases WHERE code = $1")
                    .bind(TrackingCode::parse(&code).unwrap().as_str().to_string())
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        let region = region_of(open.code.clone()).await;
        let asked = format!("{}，请尽快处理", open.title);
        let found = similar_open(&pool, &director, region, &asked)
            .await
            .unwrap();
        // The case itself is offered (others with the same wording may tie),
        // best first.
        assert!(found.iter().any(|c| c.code == open.code), "{found:?}");
        assert!(found.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(found.len() <= MAX_SIMILAR);
        assert!(found.iter().all(|c| c.status.is_open()));

        // Closed cases are not offered.
        let closed = mine.iter().find(|c| c.status == Status::Closed).unwrap();
        let region = region_of(closed.code.clone()).await;
        let found = similar_open(&pool, &director, region, &closed.title)
            .await
            .unwrap();
        assert!(found.iter().all(|c| c.code != closed.code));

        // Another community's intake does not see this community's cases.
        let other: i64 = sqlx::query_scalar(
            "SELECT id FROM regions WHERE level = 'community' AND name <> '袁家庄社区' ORDER BY id LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let admin = crate::users::find_by_username(&pool, "admin")
            .await
            .unwrap()
            .unwrap();
        let found = similar_open(&pool, &admin, other, &asked).await.unwrap();
        assert!(found.iter().all(|c| c.code != open.code));
        // Nothing but noise asks nothing.
        assert!(
            similar_open(&pool, &director, region, "请尽快解决，3号楼")
                .await
                .unwrap()
                .is_empty()
        );
    }

    async fn fixture_ids(pool: &Pool, director: &UserRow) -> (i64, i64, i64, i64) {
        let tree = reference::region_tree(pool).await.unwrap();
        let path = director.region_path.clone().unwrap();
        let compound = tree
            .within(&path)
            .find(|n| n.level == "compound")
            .unwrap()
            .id;
        let other = tree
            .within("/")
            .find(|n| n.level == "compound" && !n.path.starts_with(&path))
            .unwrap()
            .id;
        let category: i64 = sqlx::query_scalar("SELECT id FROM categories WHERE code = 'lighting'")
            .fetch_one(pool)
            .await
            .unwrap();
        (other, 0, compound, category)
    }

    #[tokio::test]
    async fn a_problem_closed_in_the_same_place_and_registered_again_is_flagged() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let (director, ..) = fixture(&pool).await;
        let (_, _, compound, _) = fixture_ids(&pool, &director).await;
        // Categories of their own, so no demo case interferes.
        let new_category = |code: &'static str| {
            let pool = pool.clone();
            async move {
                reference::insert_category(
                    &pool,
                    reference::NewCategory {
                        code,
                        name_zh: code,
                        name_en: code,
                        default_tier: domain::Tier::District,
                        default_unit_id: None,
                        deadline_class: domain::DeadlineClass::Ordinary,
                    },
                )
                .await
                .unwrap()
            }
        };
        let category = new_category("elevator").await;
        let intercom = new_category("intercom").await;
        let tree = reference::region_tree(&pool).await.unwrap();
        let building = tree
            .within(&tree.get(compound).unwrap().path)
            .find(|n| n.level == "building")
            .unwrap()
            .id;
        let now = Utc::now();
        let register = |region: i64, category: i64| {
            let pool = pool.clone();
            let director = director.clone();
            async move {
                let r = create(&pool, &request(region, category), Some(&director), now)
                    .await
                    .unwrap();
                TrackingCode::parse(&r.code).unwrap()
            }
        };
        let close = |code: TrackingCode, days_ago: i64| {
            let pool = pool.clone();
            async move {
                sqlx::query("UPDATE cases SET status = 'closed', closed_at = $1 WHERE code = $2")
                    .bind((now - chrono::Duration::days(days_ago)).stored())
                    .bind(code.as_str())
                    .execute(&pool)
                    .await
                    .unwrap();
            }
        };
        let recurs = |code: TrackingCode| {
            let pool = pool.clone();
            async move { load(&pool, &code).await.unwrap().recurs }
        };

        let first = register(compound, category).await;
        assert_eq!(recurs(first.clone()).await, None);
        close(first.clone(), 10).await;

        // Again, in a building of the same compound: flagged, with a timeline note.
        let again = register(building, category).await;
        assert_eq!(recurs(again.clone()).await.as_deref(), Some(first.as_str()));
        let d = detail(&pool, &director, &again, now).await.unwrap();
        assert_eq!(d.recurs.as_deref(), Some(first.to_string().as_str()));
        let note = d.timeline.iter().find(|e| e.kind == "recurrence").unwrap();
        assert_eq!(note.detail.as_deref(), Some(first.to_string().as_str()));
        let flagged = domain::view::CaseFilter {
            recurring: true,
            ..Default::default()
        };
        let listed = list(&pool, &director, &flagged, now).await.unwrap();
        assert!(listed.iter().any(|c| c.code == again.to_string()));
        assert!(listed.iter().all(|c| c.recurs.is_some()));

        // Another category in the same place is not a recurrence.
        let other_kind = register(compound, intercom).await;
        assert_eq!(recurs(other_kind).await, None);

        // Outside the window (90 days by default) it is not either, until the
        // window is widened.
        close(first.clone(), 100).await;
        close(again.clone(), 100).await;
        assert_eq!(recurs(register(compound, category).await).await, None);
        reference::set_recurrence_days(&pool, &By::named("命令行"), 120, now)
            .await
            .unwrap();
        assert!(recurs(register(compound, category).await).await.is_some());
        assert!(matches!(
            reference::set_recurrence_days(&pool, &By::named("命令行"), 0, now).await,
            Err(StoreError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn bad_intake_saves_nothing_and_names_the_fields() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let (director, ..) = fixture(&pool).await;
        let (other, _, compound, category) = fixture_ids(&pool, &director).await;
        let before = (
            count(&pool, "cases").await,
            count(&pool, "case_events").await,
        );
        let mut bad = request(compound, category);
        bad.title = String::new();
        bad.resident_phone = "x".into();
        match create(&pool, &bad, Some(&director), Utc::now()).await {
            Err(StoreError::Invalid(errors)) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, vec!["title", "resident_phone"]);
            }
            other => panic!("expected invalid, got {other:?}"),
        }
        let unknown = NewCase {
            category_id: 9999,
            ..request(compound, category)
        };
        assert!(matches!(
            create(&pool, &unknown, Some(&director), Utc::now()).await,
            Err(StoreError::Invalid(_))
        ));
        let elsewhere = request(other, category);
        assert!(matches!(
            create(&pool, &elsewhere, Some(&director), Utc::now()).await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(
            before,
            (
                count(&pool, "cases").await,
                count(&pool, "case_events").await
            )
        );
    }

    #[tokio::test]
    async fn the_loop_runs_through_the_store_with_scope_checks() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let (director, handler, handler2, ..) = fixture(&pool).await;
        let (_, _, compound, category) = fixture_ids(&pool, &director).await;
        let receipt = create(
            &pool,
            &request(compound, category),
            Some(&director),
            Utc::now(),
        )
        .await
        .unwrap();
        let code = TrackingCode::parse(&receipt.code).unwrap();
        let now = Utc::now();
        act(&pool, &director, &code, &Action::StartConsolidation, now)
            .await
            .unwrap();
        let unit = handler.unit_id.unwrap();
        act(
            &pool,
            &director,
            &code,
            &Action::Assign {
                unit_id: unit,
                class: domain::DeadlineClass::Ordinary,
            },
            now,
        )
        .await
        .unwrap();

        // Another unit's handler cannot see it, let alone act.
        assert!(matches!(
            load_for(&pool, &handler2, &code).await,
            Err(StoreError::Forbidden)
        ));
        assert!(matches!(
            act(&pool, &handler2, &code, &Action::Acknowledge, now).await,
            Err(StoreError::Forbidden)
        ));
        // The director sees it but acknowledging is the unit's job.
        assert!(matches!(
            act(&pool, &director, &code, &Action::Acknowledge, now).await,
            Err(StoreError::Forbidden)
        ));
        // The director presses the unit (催办): the case stays where it is
        // and the unit reads the note in its timeline; the unit cannot urge.
        let urge = Action::Urge {
            note: "居民再次来电".into(),
        };
        act(&pool, &director, &code, &urge, now).await.unwrap();
        assert_eq!(status_of(&pool, &code).await.unwrap(), Status::AwaitingAck);
        assert!(matches!(
            act(&pool, &handler, &code, &urge, now).await,
            Err(StoreError::Forbidden)
        ));
        let urged = detail(&pool, &handler, &code, now).await.unwrap();
        assert!(urged.timeline.iter().any(|e| e.kind == "urge"
            && e.detail.as_deref() == Some("居民再次来电")
            && e.to_status == Status::AwaitingAck));

        let d = detail(&pool, &handler, &code, now).await.unwrap();
        assert_eq!(
            d.actions,
            vec![domain::ActionKind::Acknowledge, domain::ActionKind::Return]
        );
        assert_eq!(d.checkpoints.len(), 3);
        act(&pool, &handler, &code, &Action::Acknowledge, now)
            .await
            .unwrap();
        finish_round(&pool, &handler, &director, &code, "已更换灯泡").await;

        let public = public_view(&pool, &code, now).await.unwrap();
        assert!(public.can_rate);
        assert_eq!(public.resident_name, "王*华");
        assert_eq!(public.resident_phone, "138****5678");
        assert!(!public.place.contains("号楼"));
        assert_eq!(public.unit.as_deref(), Some("离石区城市管理局"));
        assert!(public.steps.iter().all(|s| s.at.is_some()));

        assert!(verify_second_factor(&pool, &code, "5678").await.unwrap());
        assert!(
            verify_second_factor(&pool, &code, &receipt.pin)
                .await
                .unwrap()
        );
        assert!(!verify_second_factor(&pool, &code, "0000").await.unwrap());

        rate(&pool, &code, Rating::Dissatisfied, "还是不亮", now)
            .await
            .unwrap();
        assert_eq!(status_of(&pool, &code).await.unwrap(), Status::Rework);
        finish_round(&pool, &handler, &director, &code, "更换整套灯具").await;
        rate(&pool, &code, Rating::Satisfied, "", now)
            .await
            .unwrap();
        assert_eq!(status_of(&pool, &code).await.unwrap(), Status::Closed);
        let listed = list(
            &pool,
            &director,
            &CaseFilter {
                q: Some(code.to_string()),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].rating, Some(Rating::Satisfied));
    }

    #[tokio::test]
    async fn a_refused_transition_writes_nothing() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let (director, ..) = fixture(&pool).await;
        let (_, _, compound, category) = fixture_ids(&pool, &director).await;
        let receipt = create(
            &pool,
            &request(compound, category),
            Some(&director),
            Utc::now(),
        )
        .await
        .unwrap();
        let code = TrackingCode::parse(&receipt.code).unwrap();
        let before = (
            count(&pool, "case_events").await,
            status_of(&pool, &code).await.unwrap(),
        );
        let err = act(&pool, &director, &code, &Action::ApproveClosure, Utc::now())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("registered"), "{err}");
        let err = act(
            &pool,
            &director,
            &code,
            &Action::Assign {
                unit_id: 9999,
                class: domain::DeadlineClass::Ordinary,
            },
            Utc::now(),
        )
        .await;
        assert!(err.is_err());
        act(
            &pool,
            &director,
            &code,
            &Action::StartConsolidation,
            Utc::now(),
        )
        .await
        .unwrap();
        let err = act(
            &pool,
            &director,
            &code,
            &Action::Assign {
                unit_id: 9999,
                class: domain::DeadlineClass::Ordinary,
            },
            Utc::now(),
        )
        .await;
        assert!(matches!(err, Err(StoreError::Invalid(_))));
        assert_eq!(count(&pool, "case_events").await, before.0 + 1);
        assert_eq!(
            status_of(&pool, &code).await.unwrap(),
            Status::Consolidating
        );
    }

    #[tokio::test]
    async fn a_stale_write_is_a_conflict() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let (director, ..) = fixture(&pool).await;
        let (_, _, compound, category) = fixture_ids(&pool, &director).await;
        let receipt = create(
            &pool,
            &request(compound, category),
            Some(&director),
            Utc::now(),
        )
        .await
        .unwrap();
        let code = TrackingCode::parse(&receipt.code).unwrap();
        let stale = load(&pool, &code).await.unwrap();
        act(
            &pool,
            &director,
            &code,
            &Action::StartConsolidation,
            Utc::now(),
        )
        .await
        .unwrap();
        let err = apply(
            &pool,
            &stale,
            &Action::StartConsolidation,
            Actor::Station,
            &By::user(&director),
            Utc::now(),
        )
        .await;
        assert!(matches!(err, Err(StoreError::Conflict)));
    }

    #[tokio::test]
    async fn lists_respect_scope_and_filters() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let (director, handler, ..) = fixture(&pool).await;
        let now = Utc::now();
        let mine = list(&pool, &director, &CaseFilter::default(), now)
            .await
            .unwrap();
        let all: i64 = count(&pool, "cases").await;
        assert!(!mine.is_empty() && (mine.len() as i64) < all);
        assert!(mine.iter().all(|c| c.place.starts_with("袁家庄社区")));
        let theirs = list(&pool, &handler, &CaseFilter::default(), now)
            .await
            .unwrap();
        assert!(
            theirs
                .iter()
                .all(|c| c.unit.as_deref() == Some("离石区城市管理局"))
        );
        let closed = list(
            &pool,
            &director,
            &CaseFilter {
                step: Some(Step::Closed),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        assert!(closed.iter().all(|c| c.step == Step::Closed));
        let overdue = list(
            &pool,
            &director,
            &CaseFilter {
                overdue: true,
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        assert!(
            overdue
                .iter()
                .all(|c| c.deadline.as_ref().unwrap().status == CheckpointStatus::Overdue)
        );
    }
}
