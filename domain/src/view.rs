//! What pages and APIs show: serde types built by the store from its rows.
//! None of them carries a resident's unmasked name or phone except
//! `CaseDetail`, which only staff with access to the case receive.

use crate::callback::{CallOutcome, Calls, RatingChannel};
use crate::case::{ActionKind, Rating, Route, Status, Step};
use crate::coordination::ItemStatus;
use crate::deadline::{Checkpoint, CheckpointStatus, DeadlineClass};
use crate::intake::{FieldError, Source};
use crate::ledger::given;
use crate::ranking::percent;
use crate::role::Role;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A signed-in staff member, as the header shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Where they work: community, grid, unit or station name.
    pub place: Option<String>,
    /// An initial or reset password: nothing but changing it is allowed.
    pub must_change_password: bool,
    /// What waits for them, for the header (None: a role without cases of
    /// its own, or not asked).
    #[serde(default)]
    pub to_do: Option<ToDo>,
}

/// A staff member's start page (工作台): the first of what waits for them
/// (overdue first, then what waits longest; how many in all is the
/// signed-in user's `to_do`), their area's figures and, for deputies and
/// leaders, their next session and open promises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyDay {
    pub waiting: Vec<CaseSummary>,
    pub area: BoardCounts,
    pub next_session: Option<crate::session::SessionBrief>,
    /// Promises made at sessions, not yet delivered.
    pub open_commitments: Option<usize>,
}

stored_enum! {
    /// Where a request for more days stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum ExtensionStatus {
        /// Waiting for the supervision office.
        Pending = "pending",
        /// Granted: the completion deadline moved.
        Approved = "approved",
        Refused = "refused",
    }
}

/// A unit's request for more days on the completion deadline (延期).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub id: i64,
    pub days: i64,
    pub reason: String,
    pub status: ExtensionStatus,
    pub requested_at: DateTime<Utc>,
    /// The supervisor's note with the decision.
    pub note: String,
}

/// An escalated item (市级统筹) in a list, and as the notice on each linked
/// case (staff and the resident's public page alike: nothing personal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemBrief {
    pub id: i64,
    pub title: String,
    pub measure: String,
    pub unit: String,
    pub status: ItemStatus,
    pub cases: i64,
    /// The newest progress note, if any.
    pub latest: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// One progress update on an escalated item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemUpdate {
    pub at: DateTime<Utc>,
    pub by: String,
    pub status: ItemStatus,
    pub note: String,
}

/// An escalated item with its linked cases and its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub brief: ItemBrief,
    pub place: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub linked: Vec<CaseSummary>,
    /// Oldest first.
    pub updates: Vec<ItemUpdate>,
    /// Whether the signed-in user may report progress now.
    pub can_update: bool,
}

/// One node of the grid view (网格视图) with the figures of its subtree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridRow {
    pub id: i64,
    pub name: String,
    pub level: String,
    /// Depth below the node the view is about (0 for that node).
    pub depth: usize,
    pub open: i64,
    pub overdue: i64,
    pub closed_this_month: i64,
    /// Rated cases (all time) and the satisfied or fairly satisfied.
    pub rated: i64,
    pub satisfied: i64,
    /// Closed cases with a tier, and those handled at compound or grid tier
    /// ("小事不出小区，大事不出网格").
    pub tiered: i64,
    pub low_tier: i64,
}

impl GridRow {
    pub fn satisfaction_rate(&self) -> Option<u32> {
        percent(self.satisfied, self.rated)
    }

    /// Share of closed cases settled at compound or grid tier.
    pub fn low_tier_share(&self) -> Option<u32> {
        percent(self.low_tier, self.tiered)
    }
}

/// A line of the heat table: a node of the view's `RegionLevel::heat_level`
/// (a community's grids, a grid's compounds) and its open cases per category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeatRow {
    pub id: i64,
    pub name: String,
    /// In the order of `GridView::categories`.
    pub cells: Vec<i64>,
}

/// A grid worker's own page: what they registered on visits and what is
/// still open in their grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyGrid {
    pub grid: String,
    pub registered: Vec<CaseSummary>,
    pub pending: Vec<CaseSummary>,
}

/// The region tree without a map: every node with its figures, and where
/// the open cases concentrate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridView {
    /// From the top of the reader's area down to the node shown.
    pub trail: Vec<Named>,
    /// The node itself first, then its subtree down to
    /// `RegionLevel::grid_view_floor`, depth first.
    pub rows: Vec<GridRow>,
    pub categories: Vec<Named>,
    pub heat: Vec<HeatRow>,
}

/// A line of an import that cannot be taken, and why (a message key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineError {
    /// 1-based, the heading being line 1.
    pub line: usize,
    pub problem: String,
}

/// What an import did: the nodes added, or the lines that stopped it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportReport {
    pub lines: usize,
    pub imported: usize,
    pub errors: Vec<LineError>,
}

/// An open case that reads like a request being registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimilarCase {
    pub code: String,
    pub title: String,
    pub place: String,
    pub status: Status,
    /// How alike, in percent (see `domain::similarity`).
    pub score: u8,
}

/// A staff account as administrators see it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub station_id: Option<i64>,
    pub place: Option<String>,
    pub must_change_password: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryInfo {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub default_unit_id: Option<i64>,
    pub deadline_class: DeadlineClass,
}

/// A region node for pickers: `label` is its path of names below the community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionOption {
    pub id: i64,
    pub label: String,
}

/// What the intake form offers this user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Options {
    pub categories: Vec<CategoryInfo>,
    /// Where a case can hang: the community and below.
    pub regions: Vec<RegionOption>,
    pub stations: Vec<Named>,
    pub units: Vec<Named>,
}

/// What the filter bars of the board, the case list and the ledger offer
/// this user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FilterChoices {
    pub categories: Vec<CategoryInfo>,
    /// The areas a list can be narrowed to: the user's area down to
    /// [`crate::RegionLevel::filter_floor`], and the way down to the area
    /// chosen with that area's own children.
    pub areas: Vec<RegionOption>,
    pub stations: Vec<Named>,
    pub units: Vec<Named>,
}

/// One checkpoint of the 13710 clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointView {
    pub checkpoint: Checkpoint,
    pub due: DateTime<Utc>,
    pub status: CheckpointStatus,
}

/// A line of a case list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    pub code: String,
    pub title: String,
    pub category: String,
    pub place: String,
    pub unit: Option<String>,
    pub status: Status,
    pub step: Step,
    pub source: Source,
    pub deadline: Option<CheckpointView>,
    pub rating: Option<Rating>,
    /// How the rating came: online, in person, by a callback.
    pub rated_via: Option<RatingChannel>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Ids and the region path, so a board can tell whether a live update
    /// matches its filters without asking the server.
    pub category_id: i64,
    pub unit_id: Option<i64>,
    pub station_id: Option<i64>,
    pub region_path: String,
    /// Supervision letters (督办函) issued for it.
    pub letters: i64,
    /// Whole days since it was registered, when the list was made.
    pub age_days: i64,
    /// Hours to the headline deadline when the list was made; negative when overdue.
    pub due_in_hours: Option<i64>,
    /// The 13710 job found a checkpoint of the running clock overdue and
    /// reported the case to the supervision office (督查室).
    pub escalated: bool,
    /// The code of the closed case of the same kind and place this one repeats.
    pub recurs: Option<String>,
}

impl CaseSummary {
    pub fn is_overdue(&self) -> bool {
        self.deadline
            .as_ref()
            .is_some_and(|d| d.status == crate::deadline::CheckpointStatus::Overdue)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    /// `registered` or an action kind.
    pub kind: String,
    pub actor: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub detail: Option<String>,
    /// A rating staff recorded, or a call that brought none.
    pub call: Option<CallNote>,
    /// A text message to the resident and what became of it.
    pub message: Option<MessageNote>,
}

/// What the timeline says of a text message (短信通知).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageNote {
    pub notice: crate::notice::Notice,
    pub delivery: crate::notice::Delivery,
}

/// What the timeline says of a callback (回访).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallNote {
    /// A rating given in person or by phone, recorded by staff.
    Rated(RatingChannel),
    Unanswered(CallOutcome),
}

/// A case on the station's callback list (回访).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackLine {
    pub code: String,
    pub title: String,
    pub category: String,
    pub station: Option<String>,
    /// Masked name and number: the whole number is shown on request.
    pub resident: String,
    pub phone: String,
    /// What was done, as the resident was told.
    pub result: Option<String>,
    pub waiting_since: DateTime<Utc>,
    pub calls: Calls,
    /// Whether the station may now close it unrated.
    pub may_close: bool,
}

/// A case as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDetail {
    pub code: String,
    pub pin: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub place: String,
    pub station: Option<String>,
    pub source: Source,
    pub resident_name: String,
    pub resident_phone: String,
    /// Where messages go instead of texts (empty: none); staff only.
    #[serde(default)]
    pub resident_email: String,
    pub status: Status,
    pub step: Step,
    pub route: Option<Route>,
    pub unit: Option<String>,
    pub deadline_class: DeadlineClass,
    pub checkpoints: Vec<CheckpointView>,
    pub result: Option<String>,
    pub rating: Option<Rating>,
    pub rework_count: i32,
    pub merged_into: Option<String>,
    /// The closed case of the same kind and place this one repeats.
    pub recurs: Option<String>,
    pub created_at: DateTime<Utc>,
    pub timeline: Vec<TimelineEntry>,
    /// What the signed-in user may do now.
    pub actions: Vec<ActionKind>,
    /// Supervision letters issued for it: id and number.
    pub letters: Vec<Named>,
    /// Extension requests of the current clock, oldest first.
    pub extensions: Vec<Extension>,
    pub can_request_extension: bool,
    pub can_decide_extension: bool,
    /// Whether the signed-in user may issue one now (supervision office, overdue).
    pub can_issue_letter: bool,
    /// The escalated item this case follows.
    pub coordination: Option<ItemBrief>,
    /// Whether the signed-in user may link it, with others, into a new item.
    pub can_coordinate: bool,
    /// Whether the signed-in user may record a callback or a rating given
    /// in person (the station, while it waits for a rating).
    pub can_call: bool,
    /// The calls since it came to wait for a rating.
    pub calls: Calls,
    /// How its rating reached it.
    pub rated_via: Option<RatingChannel>,
    /// Its photos, oldest first.
    pub photos: Vec<crate::photo::PhotoInfo>,
    /// Whether the signed-in user may add photos.
    pub can_attach_photos: bool,
    /// Whether the signed-in user may show or hide them on the resident's page.
    pub can_publish_photos: bool,
}

/// When the case last entered a step, for the public timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDate {
    pub step: Step,
    pub at: Option<DateTime<Utc>>,
}

/// A case as the resident sees it: masked, no internal notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicCase {
    pub code: String,
    pub title: String,
    pub category: String,
    /// Reduced to the compound (or the nearest node above it).
    pub place: String,
    pub resident_name: String,
    pub resident_phone: String,
    pub status: Status,
    pub step: Step,
    pub steps: Vec<StepDate>,
    pub unit: Option<String>,
    pub deadline: Option<CheckpointView>,
    pub result: Option<String>,
    pub rating: Option<Rating>,
    pub rework_count: i32,
    pub can_rate: bool,
    /// The resident takes text messages about it (and may stop them).
    pub notify: bool,
    /// Their own photos and those staff made public.
    pub photos: Vec<crate::photo::PhotoInfo>,
    /// Whether they may still add photos (the case is open).
    pub can_add_photos: bool,
    /// The escalated item this case follows.
    pub coordination: Option<ItemBrief>,
}

/// What intake hands back: print it for the resident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub code: String,
    pub pin: String,
    pub title: String,
    pub category: String,
    pub place: String,
    pub station: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What waits for a staff member (待办): the cases of their area whose
/// next step is theirs, and how many of those are past a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ToDo {
    pub total: i64,
    pub overdue: i64,
}

/// Filters of a case list; every field optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CaseFilter {
    pub step: Option<Step>,
    pub category_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub station_id: Option<i64>,
    /// A node of the region tree (its materialised path): it and everything below.
    pub region_path: Option<String>,
    pub overdue: bool,
    /// Only cases the 13710 job escalated to the supervision office.
    pub escalated: bool,
    /// Only recurrences of a problem closed in the same place.
    pub recurring: bool,
    pub q: Option<String>,
    /// Leave out cases closed before this moment (a board shows the open ones
    /// and what closed this month).
    pub closed_since: Option<DateTime<Utc>>,
    /// Only cases in these states (None: any state); a role's to-do
    /// (`Role::to_do`) is its area's cases in the states that wait for it.
    pub statuses: Option<Vec<Status>>,
}

impl CaseFilter {
    /// What waits for `role` (its to-do, 待办) within the reader's area: a
    /// role without one matches nothing rather than everything.
    pub fn to_do(role: Role) -> Self {
        Self {
            statuses: Some(role.to_do()),
            ..Default::default()
        }
    }

    /// Whether a case belongs in a list with these filters; the same rule the
    /// store's query applies, for live updates in the browser.
    pub fn matches(&self, c: &CaseSummary) -> bool {
        let text = |q: &str| {
            let q = q.trim();
            q.is_empty()
                || c.title.contains(q)
                || c.code.replace('-', "") == q.replace('-', "").to_uppercase()
        };
        self.step.is_none_or(|s| s == c.step)
            && self.category_id.is_none_or(|id| id == c.category_id)
            && self.unit_id.is_none_or(|id| Some(id) == c.unit_id)
            && self.station_id.is_none_or(|id| Some(id) == c.station_id)
            && self
                .region_path
                .as_deref()
                .is_none_or(|p| c.region_path.starts_with(p))
            && (!self.overdue || c.is_overdue())
            && (!self.escalated || c.escalated)
            && (!self.recurring || c.recurs.is_some())
            && self.statuses.as_ref().is_none_or(|s| s.contains(&c.status))
            && self.q.as_deref().is_none_or(text)
            && self
                .closed_since
                .is_none_or(|t| c.step != Step::Closed || c.closed_at.is_some_and(|at| at >= t))
    }
}

/// A board's or case list's filters as the query string gives them: every
/// field text, read by [`BoardQuery::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardQuery {
    pub step: Option<String>,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub station: Option<String>,
    pub region: Option<String>,
    pub overdue: bool,
    pub escalated: bool,
    pub recurring: bool,
    pub q: Option<String>,
    /// Only what waits for the reader (their to-do): the server fills in
    /// the states from the reader's role. Absent (a caller from before the
    /// to-do) means everything.
    #[serde(default)]
    pub mine: bool,
}

impl BoardQuery {
    /// The filter, or a message per field that names nothing: a value that
    /// is not one (`unusable`), a region `path_of` does not know (`unknown`).
    /// Dropping such a filter would show the reader's whole area as if it
    /// were the place they asked for.
    pub fn parse(
        &self,
        path_of: impl Fn(i64) -> Option<String>,
    ) -> Result<CaseFilter, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut id = |name: &str, raw: &Option<String>| {
            let v = given(raw)?;
            let parsed = v.parse::<i64>().ok();
            if parsed.is_none() {
                errors.push(FieldError::new(name, "unusable"));
            }
            parsed
        };
        let category_id = id("category", &self.category);
        let unit_id = id("unit", &self.unit);
        let station_id = id("station", &self.station);
        let region_id = id("region", &self.region);
        let step = given(&self.step).and_then(|v| {
            let step = Step::parse(v);
            if step.is_none() {
                errors.push(FieldError::new("step", "unusable"));
            }
            step
        });
        let region_path = region_id.and_then(|r| {
            let path = path_of(r);
            if path.is_none() {
                errors.push(FieldError::new("region", "unknown"));
            }
            path
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CaseFilter {
            step,
            category_id,
            unit_id,
            station_id,
            region_path,
            overdue: self.overdue,
            escalated: self.escalated,
            recurring: self.recurring,
            q: given(&self.q).map(String::from),
            closed_since: None,
            statuses: None,
        })
    }
}

/// A page of a longer list: `items` from position `offset` (0-based) of
/// `total` that match — "1–200 of 12,408".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub offset: i64,
}

impl<T> Page<T> {
    pub fn empty(offset: i64) -> Self {
        Self {
            items: Vec::new(),
            total: 0,
            offset,
        }
    }

    /// The first and last positions shown, counting from 1 ((0, 0) when
    /// the page is empty).
    pub fn range(&self) -> (i64, i64) {
        match self.items.len() as i64 {
            0 => (0, 0),
            n => (self.offset + 1, self.offset + n),
        }
    }

    /// Whether more match after this page.
    pub fn has_more(&self) -> bool {
        self.offset + (self.items.len() as i64) < self.total
    }
}

/// A board's exact figures, counted in SQL over everything that matches its
/// filter (its columns show a page of cards each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BoardCounts {
    /// Matching cases per step.
    pub steps: Vec<(Step, i64)>,
    pub open: i64,
    /// Open and past a 13710 checkpoint.
    pub overdue: i64,
    pub escalated: i64,
    pub closed: i64,
    pub rated: i64,
    pub satisfied: i64,
}

impl BoardCounts {
    /// Adds the figures of the cases in one status.
    pub fn add(
        &mut self,
        status: crate::case::Status,
        n: i64,
        overdue: i64,
        escalated: i64,
        rated: i64,
        satisfied: i64,
    ) {
        let step = status.step();
        match self.steps.iter_mut().find(|(s, _)| *s == step) {
            Some((_, total)) => *total += n,
            None => self.steps.push((step, n)),
        }
        if status.is_open() {
            self.open += n;
            self.overdue += overdue;
        } else if status == crate::case::Status::Closed {
            self.closed += n;
        }
        self.escalated += escalated;
        self.rated += rated;
        self.satisfied += satisfied;
    }

    pub fn in_step(&self, step: Step) -> i64 {
        self.steps
            .iter()
            .find(|(s, _)| *s == step)
            .map_or(0, |(_, n)| *n)
    }
}

/// A board's first load: the first page of cards of each column, the exact
/// counts, and the last event they include, from which the live stream
/// continues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BoardData {
    pub cards: Vec<CaseSummary>,
    pub counts: BoardCounts,
    /// Cards per column page ("more" loads the next).
    pub page_size: i64,
    pub last_event_id: i64,
    pub filter: CaseFilter,
    /// The viewer's capacities, to tell which drags mean an action.
    pub actors: Vec<crate::case::Actor>,
}

/// One live change, as the board's event stream sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardEvent {
    pub id: i64,
    pub card: CaseSummary,
}

/// Figures for one area of the region tree, in the seed's form: "269 collected, 132 closed".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AreaStats {
    pub region_id: i64,
    pub name: String,
    pub collected: i64,
    pub closed: i64,
    /// Closed cases that had a 13710 clock, and how many of them met the completion deadline.
    pub timed: i64,
    pub on_time: i64,
    /// Rated cases (not counting "not rated"), and how many were satisfied or fairly satisfied.
    pub rated: i64,
    pub satisfied: i64,
    /// Of the rated, those recorded by the station at a session or on a
    /// callback rather than given online.
    pub rated_by: crate::callback::RatedBy,
}

impl AreaStats {
    /// Adds the counts of `other` (a part of this area).
    pub fn merge(&mut self, other: &AreaStats) {
        self.collected += other.collected;
        self.closed += other.closed;
        self.timed += other.timed;
        self.on_time += other.on_time;
        self.rated += other.rated;
        self.satisfied += other.satisfied;
        self.rated_by.merge(other.rated_by);
    }

    /// 办结率: closed / collected, in whole percent.
    pub fn closure_rate(&self) -> Option<u32> {
        percent(self.closed, self.collected)
    }

    pub fn on_time_rate(&self) -> Option<u32> {
        percent(self.on_time, self.timed)
    }

    /// 满意率: (satisfied + fairly satisfied) / rated.
    pub fn satisfaction_rate(&self) -> Option<u32> {
        percent(self.satisfied, self.rated)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthStats {
    /// `2026-11`
    pub month: String,
    pub collected: i64,
    pub closed: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryStats {
    pub name_zh: String,
    pub name_en: String,
    pub count: i64,
}

/// A closed case as the public may see it: no names, no phones, no building.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedBrief {
    pub title: String,
    pub category: String,
    pub place: String,
    pub closed_at: DateTime<Utc>,
    pub rating: Option<Rating>,
}

/// The public statistics of one node of the region tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PublicStats {
    pub total: AreaStats,
    /// The node's path from the city down, for navigation.
    pub trail: Vec<Named>,
    /// One row per child area (districts, streets or communities).
    pub areas: Vec<AreaStats>,
    /// The last twelve months, oldest first.
    pub months: Vec<MonthStats>,
    pub top_categories: Vec<CategoryStats>,
    pub recently_closed: Vec<ClosedBrief>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_board_query_parses_or_names_each_field_that_names_nothing() {
        let path_of = |id: i64| (id == 7).then(|| "/1/7/".to_string());
        let q = BoardQuery {
            step: Some("handle".into()),
            category: Some(" 3 ".into()),
            region: Some("7".into()),
            station: Some("".into()),
            overdue: true,
            q: Some("  ".into()),
            ..Default::default()
        };
        let f = q.parse(path_of).unwrap();
        assert_eq!(f.step, Some(Step::Handle));
        assert_eq!(f.category_id, Some(3));
        assert_eq!(f.region_path.as_deref(), Some("/1/7/"));
        assert_eq!((f.station_id, f.q, f.overdue), (None, None, true));

        let bad = BoardQuery {
            step: Some("somewhere".into()),
            unit: Some("1.5".into()),
            station: Some("-".into()),
            region: Some("8".into()),
            ..Default::default()
        };
        let errors = bad.parse(path_of).unwrap_err();
        let named: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("unit", "unusable"),
                ("station", "unusable"),
                ("step", "unusable"),
                ("region", "unknown")
            ]
        );
        let malformed = BoardQuery {
            region: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(malformed.parse(path_of).unwrap_err()[0].message, "unusable");
        assert_eq!(
            BoardQuery::default().parse(path_of).unwrap(),
            CaseFilter::default()
        );
    }

    #[test]
    fn rates_are_whole_percent_and_absent_without_a_base() {
        let s = AreaStats {
            collected: 269,
            closed: 132,
            timed: 3,
            on_time: 2,
            rated: 0,
            ..Default::default()
        };
        assert_eq!(s.closure_rate(), Some(49));
        assert_eq!(s.on_time_rate(), Some(67));
        assert_eq!(s.satisfaction_rate(), None);
    }
}

/// 督办函: a supervision letter for an overdue case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    pub id: i64,
    /// 吕督〔2026〕7号
    pub number: String,
    pub office: String,
    pub unit: Option<String>,
    pub case_code: String,
    pub title: String,
    pub description: String,
    pub place: String,
    pub checkpoint: crate::deadline::Checkpoint,
    pub due: DateTime<Utc>,
    pub demand: String,
    pub reply_by: DateTime<Utc>,
    pub issued_at: DateTime<Utc>,
    pub issued_by: String,
}

/// An Open311 client's key, as the admin pages list it (the key itself is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// One entry of the audit trail, for administrators and supervisors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339, as recorded.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The audit entries of a case or a user, and whether the whole chain checks out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AuditView {
    pub entries: Vec<AuditEntry>,
    /// Entries in the whole trail when intact.
    pub intact: Option<i64>,
    /// The first broken entry, when not.
    pub broken_at: Option<i64>,
}
