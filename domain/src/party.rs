//! Party building (党建引领): the party organisations that follow the region
//! tree, dual registration (双报到) of work units and in-service members with
//! the community where they live, the community's need list (需求清单) with
//! the claim cards members sign (服务清单认领卡), the service they log and the
//! quarterly report the community sends back to each work unit.

use crate::account::check_username;
use crate::intake::{FieldError, check_text};
use crate::{Rating, account};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

pub const MAX_NAME: usize = 60;
pub const MAX_PERSON: usize = 30;
pub const MAX_TEXT: usize = 500;
/// The most members one party organisation is recorded with.
pub const MAX_ORG_MEMBERS: i64 = 100_000;
/// No one logs more than a day of service in one entry.
pub const MAX_MINUTES_PER_ENTRY: i64 = 24 * 60;

stored_enum! {
    /// 社区党委 → 小区（网格）党支部 → 楼栋（单元）党小组.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    pub enum OrgKind {
        Committee = "committee",
        Branch = "branch",
        Group = "group",
    }
}

impl OrgKind {
    /// The kind an organisation of this kind hangs under (None: at the top).
    pub fn parent(self) -> Option<Self> {
        match self {
            Self::Committee => None,
            Self::Branch => Some(Self::Committee),
            Self::Group => Some(Self::Branch),
        }
    }
}

crate::form! {
    /// A party organisation as an administrator or director writes it down.
    #[derive(Serialize, Deserialize)]
    pub struct NewOrg from RawOrg {
        kind: choice(OrgKind),
        name: text,
        region_id: id,
        parent_id: pick,
        secretary: text,
        /// A retired (or retired-from-office) cadre serves as secretary.
        secretary_retired: flag,
        members: number(0..=MAX_ORG_MEMBERS),
    }
}

impl NewOrg {
    /// Every problem by field; `parent_kind` is the kind of `parent_id` as
    /// stored (None when there is no parent or it does not exist).
    pub fn validate(&self, parent_kind: Option<OrgKind>) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "name", &self.name, MAX_NAME);
        check_text(&mut errors, "secretary", &self.secretary, MAX_PERSON);
        if !(0..=MAX_ORG_MEMBERS).contains(&self.members) {
            errors.push(FieldError::new("members", "out_of_range"));
        }
        match (self.kind.parent(), self.parent_id, parent_kind) {
            (None, None, _) => {}
            (None, Some(_), _) => errors.push(FieldError::new("parent_id", "no_parent_for_kind")),
            (Some(_), None, _) => errors.push(FieldError::new("parent_id", "required")),
            (Some(want), Some(_), got) if got != Some(want) => {
                errors.push(FieldError::new("parent_id", "wrong_parent_kind"))
            }
            _ => {}
        }
        errors
    }
}

/// One organisation on the tree page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: OrgKind,
    pub name: String,
    pub place: String,
    pub secretary: String,
    pub secretary_retired: bool,
    pub members: i64,
    /// In-service members confirmed by dual registration whose home lies on
    /// this organisation's node or below.
    pub registered: i64,
    pub depth: usize,
}

/// The seed's headline figures, read off the data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headline {
    pub committees: i64,
    pub branches: i64,
    pub groups: i64,
    pub retired_secretaries: i64,
    /// In-service party members whose registration was confirmed.
    pub members_registered: i64,
    /// Communities at least one of them registered with.
    pub communities: i64,
    pub units_registered: i64,
}

impl Headline {
    /// Adds one organisation to the counts.
    pub fn count(&mut self, kind: OrgKind, secretary_retired: bool) {
        match kind {
            OrgKind::Committee => self.committees += 1,
            OrgKind::Branch => self.branches += 1,
            OrgKind::Group => self.groups += 1,
        }
        // The seed counts retired cadres who lead compound branches.
        if secretary_retired && kind == OrgKind::Branch {
            self.retired_secretaries += 1;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyOverview {
    pub headline: Headline,
    pub orgs: Vec<Org>,
}

stored_enum! {
    /// Where a registration stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum RegStatus {
        Pending = "pending",
        Confirmed = "confirmed",
        Refused = "refused",
    }
}

/// 报到卡 and 党员基本情况登记表 in one form, with the account the member
/// will sign in with once the community confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct MemberForm {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub gender: String,
    pub birth_year: String,
    pub phone: String,
    /// The community they live in, or the compound or building within it.
    pub home_id: String,
    pub address: String,
    pub work_unit_id: String,
    pub position: String,
    pub joined_party: String,
    pub skills: String,
}

/// A member form that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRegistration {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub gender: Gender,
    pub birth_year: i32,
    pub phone: String,
    pub home_id: i64,
    pub address: String,
    pub work_unit_id: i64,
    pub position: String,
    pub joined_party: NaiveDate,
    pub skills: String,
}

stored_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Gender {
        Male = "male",
        Female = "female",
    }
}

fn number(errors: &mut Vec<FieldError>, field: &str, raw: &str) -> Option<i64> {
    match raw.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(field, "required"));
            None
        }
    }
}

impl MemberForm {
    /// Every problem by field, or the registration; `today` bounds the dates.
    pub fn validate(&self, today: NaiveDate) -> Result<MemberRegistration, Vec<FieldError>> {
        let mut errors = Vec::new();
        let username = crate::account::username_key(&self.username);
        if let Err(e) = check_username(&username) {
            errors.push(e);
        }
        if let Err(e) = account::check_new_password(&username, "", &self.password) {
            errors.push(FieldError::new("password", &e.message));
        }
        check_text(&mut errors, "display_name", &self.display_name, MAX_PERSON);
        let gender = Gender::parse(&self.gender);
        if gender.is_none() {
            errors.push(FieldError::new("gender", "required"));
        }
        let year = today.year();
        let birth_year = self
            .birth_year
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (year - 100..=year - 16).contains(y));
        if birth_year.is_none() {
            errors.push(FieldError::new("birth_year", "out_of_range"));
        }
        if !crate::intake::phone_is_valid(&self.phone) {
            errors.push(FieldError::new("phone", "invalid_phone"));
        }
        let home_id = number(&mut errors, "home_id", &self.home_id);
        check_text(&mut errors, "address", &self.address, MAX_NAME);
        let work_unit_id = number(&mut errors, "work_unit_id", &self.work_unit_id);
        if self.position.chars().count() > MAX_NAME {
            errors.push(FieldError::new("position", "too_long"));
        }
        let joined = NaiveDate::parse_from_str(self.joined_party.trim(), "%Y-%m-%d").ok();
        match joined {
            None => errors.push(FieldError::new("joined_party", "bad_date")),
            Some(d) if d > today => errors.push(FieldError::new("joined_party", "in_future")),
            Some(d) if birth_year.is_some_and(|y| d.year() < y + 18) => {
                errors.push(FieldError::new("joined_party", "before_eighteen"))
            }
            Some(_) => {}
        }
        if self.skills.chars().count() > MAX_TEXT {
            errors.push(FieldError::new("skills", "too_long"));
        }
        match (gender, birth_year, home_id, work_unit_id, joined) {
            (Some(gender), Some(birth_year), Some(home_id), Some(work_unit_id), Some(joined))
                if errors.is_empty() =>
            {
                Ok(MemberRegistration {
                    username,
                    password: self.password.clone(),
                    display_name: self.display_name.trim().to_string(),
                    gender,
                    birth_year,
                    phone: self.phone.trim().to_string(),
                    home_id,
                    address: self.address.trim().to_string(),
                    work_unit_id,
                    position: self.position.trim().to_string(),
                    joined_party: joined,
                    skills: self.skills.trim().to_string(),
                })
            }
            _ => Err(errors),
        }
    }
}

/// A work unit's party organisation registering with a community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct UnitForm {
    pub name: String,
    pub party_org: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub community_id: String,
    pub members: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRegistration {
    pub name: String,
    pub party_org: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub community_id: i64,
    pub members: i64,
}

impl UnitForm {
    pub fn validate(&self) -> Result<UnitRegistration, Vec<FieldError>> {
        let mut errors = Vec::new();
        check_text(&mut errors, "name", &self.name, MAX_NAME);
        check_text(&mut errors, "party_org", &self.party_org, MAX_NAME);
        check_text(&mut errors, "contact_name", &self.contact_name, MAX_PERSON);
        if !crate::intake::phone_is_valid(&self.contact_phone) {
            errors.push(FieldError::new("contact_phone", "invalid_phone"));
        }
        let community_id = number(&mut errors, "community_id", &self.community_id);
        let members = self.members.trim().parse::<i64>().ok();
        if !members.is_some_and(|m| (1..=MAX_ORG_MEMBERS).contains(&m)) {
            errors.push(FieldError::new("members", "out_of_range"));
        }
        match (community_id, members) {
            (Some(community_id), Some(members)) if errors.is_empty() => Ok(UnitRegistration {
                name: self.name.trim().to_string(),
                party_org: self.party_org.trim().to_string(),
                contact_name: self.contact_name.trim().to_string(),
                contact_phone: self.contact_phone.trim().to_string(),
                community_id,
                members,
            }),
            _ => Err(errors),
        }
    }
}

/// The receipt number (回执编号) given when a registration is confirmed:
/// "HZ" + year + the kind's letter + the registration's number.
pub fn receipt_no(year: i32, registrant: Registrant, id: i64) -> String {
    let kind = match registrant {
        Registrant::Member => 'D',
        Registrant::Unit => 'Z',
    };
    format!("HZ{year}{kind}{id:06}")
}

/// A registration waiting for (or past) the community's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The member's account id or the unit registration's id.
    pub id: i64,
    pub member: bool,
    pub name: String,
    pub unit: String,
    pub community: String,
    pub detail: String,
    pub phone: String,
    pub status: RegStatus,
    pub receipt_no: Option<String>,
    pub registered_at: chrono::DateTime<chrono::Utc>,
}

/// 回执: what the member (or the unit) keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub receipt_no: String,
    pub member: bool,
    pub name: String,
    pub unit: String,
    pub party_org: String,
    pub community: String,
    pub address: String,
    pub registered_at: chrono::DateTime<chrono::Utc>,
    pub confirmed_at: chrono::DateTime<chrono::Utc>,
}

/// What the public registration forms offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterOptions {
    /// Where a work unit registers.
    pub communities: Vec<crate::view::RegionOption>,
    /// Where a member lives: a community or a compound or building in it.
    pub homes: Vec<crate::view::RegionOption>,
    pub units: Vec<crate::view::Named>,
    pub headline: Headline,
}

crate::form! {
    /// An item of the community's need list.
    #[derive(Serialize, Deserialize)]
    pub struct NewNeed from RawNeed {
        community_id: id,
        title: text,
        detail: text,
    }
}

impl NewNeed {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "title", &self.title, MAX_NAME);
        if self.detail.chars().count() > MAX_TEXT {
            errors.push(FieldError::new("detail", "too_long"));
        }
        errors
    }
}

stored_enum! {
    /// Where a claim card stands (摸准需求—对接需求—解决难题—评价成效).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum ClaimStatus {
        /// The member signed the card; the community has not decided.
        Signed = "signed",
        /// Approved: the member serves and logs hours.
        Approved = "approved",
        Refused = "refused",
        /// The member took the card back before it was approved.
        Withdrawn = "withdrawn",
        /// The community evaluated the service: the claim is finished.
        Evaluated = "evaluated",
    }
}

impl ClaimStatus {
    /// Holds the member's one claim on a need: no second card while it does.
    pub fn active(self) -> bool {
        matches!(self, Self::Signed | Self::Approved)
    }

    /// Service can be logged against it.
    pub fn serving(self) -> bool {
        self == Self::Approved
    }
}

stored_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum ClaimAction {
        Approve = "approve",
        Refuse = "refuse",
        Withdraw = "withdraw",
        Evaluate = "evaluate",
    }
}

impl ClaimAction {
    /// The member acts on their own card; the community does the rest.
    pub fn by_member(self) -> bool {
        self == Self::Withdraw
    }
}

/// Where `action` takes a claim in `status`; evaluating needs logged service.
pub fn next_claim(
    status: ClaimStatus,
    action: ClaimAction,
    minutes_logged: i64,
) -> Result<ClaimStatus, FieldError> {
    use ClaimAction as A;
    use ClaimStatus as S;
    match (status, action) {
        (S::Signed, A::Approve) => Ok(S::Approved),
        (S::Signed, A::Refuse) => Ok(S::Refused),
        (S::Signed, A::Withdraw) => Ok(S::Withdrawn),
        (S::Approved, A::Withdraw) => Err(FieldError::new("claim", "approved_cannot_withdraw")),
        (S::Approved, A::Evaluate) if minutes_logged == 0 => {
            Err(FieldError::new("claim", "nothing_served"))
        }
        (S::Approved, A::Evaluate) => Ok(S::Evaluated),
        _ => Err(FieldError::new("claim", "not_allowed")),
    }
}

/// A member's claim card: what they pledge to do about a need.
pub fn validate_pledge(pledge: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_text(&mut errors, "pledge", pledge, MAX_TEXT);
    errors
}

/// "2", "1.5", "0.5" hours → minutes (a tenth of an hour at most).
pub fn parse_hours(raw: &str) -> Result<i64, FieldError> {
    let bad = || FieldError::new("hours", "bad_hours");
    let raw = raw.trim();
    let (whole, tenths) = match raw.split_once('.') {
        Some((w, f)) if f.len() == 1 => (w, f),
        Some(_) => return Err(bad()),
        None => (raw, "0"),
    };
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let tenths: i64 = tenths.parse().map_err(|_| bad())?;
    if whole < 0 || raw.starts_with('+') {
        return Err(bad());
    }
    // A number of hours no day holds must not overflow on its way to "too many".
    match whole
        .checked_mul(60)
        .and_then(|m| m.checked_add(tenths * 6))
    {
        Some(minutes) if minutes > 0 && minutes <= MAX_MINUTES_PER_ENTRY => Ok(minutes),
        _ => Err(FieldError::new("hours", "out_of_range")),
    }
}

/// Minutes as hours with one decimal, as reports print them.
pub fn hours(minutes: i64) -> String {
    format!("{}.{}", minutes / 60, (minutes % 60) / 6)
}

/// One entry of service as the member logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEntry {
    pub served_on: NaiveDate,
    pub minutes: i64,
    pub note: String,
}

/// Checks a service entry: a real day between the claim and today, hours in
/// tenths, a note of what was done.
pub fn service_entry(
    served_on: &str,
    hours_raw: &str,
    note: &str,
    claimed_on: NaiveDate,
    today: NaiveDate,
) -> Result<ServiceEntry, Vec<FieldError>> {
    let mut errors = Vec::new();
    let day = NaiveDate::parse_from_str(served_on.trim(), "%Y-%m-%d").ok();
    match day {
        None => errors.push(FieldError::new("served_on", "bad_date")),
        Some(d) if d > today => errors.push(FieldError::new("served_on", "in_future")),
        Some(d) if d < claimed_on => errors.push(FieldError::new("served_on", "before_claim")),
        Some(_) => {}
    }
    let minutes = parse_hours(hours_raw).map_err(|e| errors.push(e)).ok();
    check_text(&mut errors, "note", note, MAX_TEXT);
    match (day, minutes) {
        (Some(served_on), Some(minutes)) if errors.is_empty() => Ok(ServiceEntry {
            served_on,
            minutes,
            note: note.trim().to_string(),
        }),
        _ => Err(errors),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLog {
    pub served_on: NaiveDate,
    pub minutes: i64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub id: i64,
    pub need_id: i64,
    pub need: String,
    pub member: String,
    pub unit: String,
    pub pledge: String,
    pub status: ClaimStatus,
    pub claimed_at: chrono::DateTime<chrono::Utc>,
    pub minutes: i64,
    pub logs: Vec<ServiceLog>,
    pub evaluation: Option<Rating>,
    pub evaluation_note: String,
    /// What the reader may do to it now.
    pub actions: Vec<ClaimAction>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Need {
    pub id: i64,
    pub title: String,
    pub detail: String,
    pub community: String,
    pub open: bool,
    pub claims: Vec<Claim>,
    /// The reader (a member) holds an active claim on it.
    pub claimed_by_me: bool,
}

/// What a signed-in member sees: the registration, the need list of their
/// community and their own claim cards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyService {
    /// The member's account, which numbers their receipt's page.
    pub member_id: i64,
    pub status: RegStatus,
    pub receipt_no: Option<String>,
    pub community: String,
    pub needs: Vec<Need>,
    pub claims: Vec<Claim>,
}

/// A calendar quarter: "2026-Q4".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarter {
    pub year: i32,
    pub q: u32,
}

impl Quarter {
    pub fn of(day: NaiveDate) -> Self {
        Self {
            year: day.year(),
            q: day.month0() / 3 + 1,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let (y, q) = s.trim().split_once("-Q")?;
        let year: i32 = y.parse().ok()?;
        let q: u32 = q.parse().ok()?;
        ((1..=4).contains(&q) && (2000..=2100).contains(&year)).then_some(Self { year, q })
    }

    /// First day and the day after the last.
    pub fn days(self) -> (NaiveDate, NaiveDate) {
        let first = |year, month| NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
        let start = first(self.year, (self.q - 1) * 3 + 1);
        let end = if self.q == 4 {
            first(self.year + 1, 1)
        } else {
            first(self.year, self.q * 3 + 1)
        };
        (start, end)
    }

    pub fn previous(self) -> Self {
        if self.q == 1 {
            Self {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Self {
                year: self.year,
                q: self.q - 1,
            }
        }
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-Q{}", self.year, self.q)
    }
}

/// One claim's service within a quarter, as the store reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFact {
    pub member_id: i64,
    pub member: String,
    pub unit_id: i64,
    pub unit: String,
    pub community: String,
    pub need_id: i64,
    pub minutes: i64,
    pub evaluation: Option<Rating>,
}

/// Evaluations as the report counts them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluations {
    pub satisfied: i64,
    pub fairly: i64,
    pub dissatisfied: i64,
}

impl Evaluations {
    fn add(&mut self, r: Option<Rating>) {
        match r {
            Some(Rating::Satisfied) => self.satisfied += 1,
            Some(Rating::FairlySatisfied) => self.fairly += 1,
            Some(Rating::Dissatisfied) => self.dissatisfied += 1,
            Some(Rating::NotRated) | None => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberLine {
    pub member: String,
    pub unit: String,
    pub community: String,
    pub items: i64,
    pub minutes: i64,
    pub evaluations: Evaluations,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitLine {
    pub unit: String,
    pub members: i64,
    pub items: i64,
    pub minutes: i64,
    pub evaluations: Evaluations,
}

/// What a work unit's members add up to while the report is built.
#[derive(Default)]
struct UnitTally {
    members: std::collections::BTreeSet<i64>,
    needs: std::collections::BTreeSet<i64>,
    minutes: i64,
    evaluations: Evaluations,
}

/// The quarterly service report (per member and per work unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceReport {
    pub quarter: Quarter,
    pub members: Vec<MemberLine>,
    pub units: Vec<UnitLine>,
}

impl ServiceReport {
    /// Adds the facts up: items are distinct needs served, members distinct
    /// people; lines sorted by unit then name so a unit's people sit together.
    pub fn build(quarter: Quarter, mut facts: Vec<ServiceFact>) -> Self {
        use std::collections::{BTreeMap, BTreeSet};
        facts.sort_by(|a, b| {
            (&a.unit, &a.member, a.member_id).cmp(&(&b.unit, &b.member, b.member_id))
        });
        let mut members: Vec<MemberLine> = Vec::new();
        let mut last_member = None;
        let mut needs = BTreeSet::new();
        let mut units: BTreeMap<(String, i64), UnitTally> = BTreeMap::new();
        for f in facts {
            if last_member != Some(f.member_id) {
                last_member = Some(f.member_id);
                needs.clear();
                members.push(MemberLine {
                    member: f.member.clone(),
                    unit: f.unit.clone(),
                    community: f.community.clone(),
                    items: 0,
                    minutes: 0,
                    evaluations: Evaluations::default(),
                });
            }
            if let Some(line) = members.last_mut() {
                if needs.insert(f.need_id) {
                    line.items += 1;
                }
                line.minutes += f.minutes;
                line.evaluations.add(f.evaluation);
            }
            let unit = units.entry((f.unit.clone(), f.unit_id)).or_default();
            unit.members.insert(f.member_id);
            unit.needs.insert(f.need_id);
            unit.minutes += f.minutes;
            unit.evaluations.add(f.evaluation);
        }
        let units = units
            .into_iter()
            .map(|((unit, _), t)| UnitLine {
                unit,
                members: t.members.len() as i64,
                items: t.needs.len() as i64,
                minutes: t.minutes,
                evaluations: t.evaluations,
            })
            .collect();
        Self {
            quarter,
            members,
            units,
        }
    }
}

stored_enum! {
    /// Which dual registration (双报到) a community decides on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Registrant {
        /// A member reporting to the community where they live.
        Member = "member",
        /// A work unit's party organisation reporting to a community.
        Unit = "unit",
    }
}

stored_enum! {
    /// The community's answer to a registration.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Decision {
        /// Confirmed, with a receipt (回执).
        Confirm = "confirm",
        Refuse = "refuse",
    }
}

crate::form! {
    pub struct RegistrationDecision from RawRegistrationDecision {
        kind: choice(Registrant),
        registration: id,
        decision: choice(Decision),
    }
}

crate::form! {
    /// A move of a claim card: approve, refuse, evaluate (the community, with
    /// its rating of the service) or withdraw (its member).
    pub struct ClaimStep from RawClaimStep {
        claim: id,
        action: choice(ClaimAction),
        evaluation: option(Rating),
        note: text,
    }
}

crate::form! {
    /// A member signing a claim card (服务清单认领卡) for a need.
    pub struct Pledge from RawPledge {
        need: id,
        pledge: text,
    }
}

crate::form! {
    /// Service given on a claim; the day and hours are checked with the
    /// claim they belong to.
    pub struct ServiceHours from RawServiceHours {
        claim: id,
        served_on: text,
        hours: text,
        note: text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_organisation_hangs_under_the_kind_above_it() {
        let org = |kind, parent_id| NewOrg {
            kind,
            name: "祥和小区党支部".into(),
            region_id: 5,
            parent_id,
            secretary: "高卫平".into(),
            secretary_retired: true,
            members: 12,
        };
        assert!(org(OrgKind::Committee, None).validate(None).is_empty());
        assert!(
            org(OrgKind::Branch, Some(1))
                .validate(Some(OrgKind::Committee))
                .is_empty()
        );
        let field = |e: Vec<FieldError>| e.into_iter().map(|e| e.message).collect::<Vec<_>>();
        assert_eq!(
            field(org(OrgKind::Group, Some(1)).validate(Some(OrgKind::Committee))),
            ["wrong_parent_kind"]
        );
        assert_eq!(
            field(org(OrgKind::Branch, None).validate(None)),
            ["required"]
        );
        assert_eq!(
            field(org(OrgKind::Committee, Some(2)).validate(Some(OrgKind::Committee))),
            ["no_parent_for_kind"]
        );
    }

    #[test]
    fn headline_counts_retired_cadres_leading_branches() {
        let mut h = Headline::default();
        h.count(OrgKind::Committee, true);
        h.count(OrgKind::Branch, true);
        h.count(OrgKind::Branch, false);
        h.count(OrgKind::Group, true);
        assert_eq!(
            (h.committees, h.branches, h.groups, h.retired_secretaries),
            (1, 2, 1, 1)
        );
    }

    fn member_form() -> MemberForm {
        MemberForm {
            username: " LiangZY ".into(),
            password: "fudong-2026!".into(),
            display_name: "梁志勇".into(),
            gender: "male".into(),
            birth_year: "1970".into(),
            phone: "13800001234".into(),
            home_id: "4".into(),
            address: "府东小区 3号楼".into(),
            work_unit_id: "2".into(),
            position: "".into(),
            joined_party: "1994-07-01".into(),
            skills: "政策宣讲".into(),
        }
    }

    #[test]
    fn a_member_form_checks_every_field_at_once() {
        let today = day("2026-11-29");
        let ok = member_form().validate(today).unwrap();
        assert_eq!(ok.username, "liangzy");
        assert_eq!(ok.joined_party, day("1994-07-01"));
        let bad = MemberForm {
            username: "1x".into(),
            password: "short".into(),
            gender: "".into(),
            birth_year: "2020".into(),
            phone: "12".into(),
            home_id: "".into(),
            joined_party: "1980-01-01".into(),
            ..member_form()
        };
        let mut fields: Vec<_> = bad
            .validate(today)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "birth_year",
                "gender",
                "home_id",
                "password",
                "phone",
                "username"
            ]
        );
        let early = MemberForm {
            joined_party: "1985-01-01".into(),
            ..member_form()
        };
        assert_eq!(
            early.validate(today).unwrap_err()[0].message,
            "before_eighteen"
        );
    }

    #[test]
    fn a_claim_card_is_approved_served_and_evaluated() {
        use ClaimAction as A;
        use ClaimStatus as S;
        assert_eq!(next_claim(S::Signed, A::Approve, 0), Ok(S::Approved));
        assert_eq!(next_claim(S::Signed, A::Withdraw, 0), Ok(S::Withdrawn));
        assert_eq!(
            next_claim(S::Approved, A::Withdraw, 0).unwrap_err().message,
            "approved_cannot_withdraw"
        );
        assert_eq!(
            next_claim(S::Approved, A::Evaluate, 0).unwrap_err().message,
            "nothing_served"
        );
        assert_eq!(next_claim(S::Approved, A::Evaluate, 120), Ok(S::Evaluated));
        for done in [S::Refused, S::Withdrawn, S::Evaluated] {
            for a in ClaimAction::ALL {
                assert!(next_claim(done, a, 60).is_err(), "{done:?} {a:?}");
            }
            assert!(!done.active());
        }
        assert!(S::Signed.active() && S::Approved.active());
        assert!(S::Approved.serving() && !S::Signed.serving());
    }

    #[test]
    fn hours_are_read_in_tenths() {
        assert_eq!(parse_hours("2"), Ok(120));
        assert_eq!(parse_hours(" 1.5 "), Ok(90));
        assert_eq!(parse_hours("0.1"), Ok(6));
        for bad in ["", "x", "1.25", "-1", "+1", "1.", ".5"] {
            assert!(parse_hours(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_hours("0").unwrap_err().message, "out_of_range");
        assert_eq!(parse_hours("25").unwrap_err().message, "out_of_range");
        assert_eq!(hours(120), "2.0");
        assert_eq!(hours(90), "1.5");
    }

    #[test]
    fn a_service_entry_lies_between_the_claim_and_today() {
        let (claimed, today) = (day("2026-11-01"), day("2026-11-29"));
        let ok = service_entry("2026-11-20", "2", "打扫楼道", claimed, today).unwrap();
        assert_eq!(ok.minutes, 120);
        let fields = |r: Result<ServiceEntry, Vec<FieldError>>| {
            r.unwrap_err()
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields(service_entry("2026-12-01", "2", "x", claimed, today)),
            ["in_future"]
        );
        assert_eq!(
            fields(service_entry("2026-10-01", "abc", "", claimed, today)),
            ["before_claim", "bad_hours", "required"]
        );
    }

    #[test]
    fn quarters_parse_and_bound_their_days() {
        let q = Quarter::parse("2026-Q4").unwrap();
        assert_eq!(q.days(), (day("2026-10-01"), day("2027-01-01")));
        assert_eq!(Quarter::of(day("2026-05-31")).to_string(), "2026-Q2");
        assert_eq!(
            Quarter::parse("2026-Q1").unwrap().previous().to_string(),
            "2025-Q4"
        );
        assert!(Quarter::parse("2026-Q5").is_none());
        assert!(Quarter::parse("2026").is_none());
    }

    #[test]
    fn the_report_adds_members_and_units_up() {
        let fact =
            |member_id, member: &str, unit_id, unit: &str, need_id, minutes, r| ServiceFact {
                member_id,
                member: member.into(),
                unit_id,
                unit: unit.into(),
                community: "府东社区".into(),
                need_id,
                minutes,
                evaluation: r,
            };
        let q = Quarter::parse("2026-Q4").unwrap();
        let report = ServiceReport::build(
            q,
            vec![
                fact(1, "梁志勇", 7, "市委", 10, 120, Some(Rating::Satisfied)),
                fact(2, "张伟", 7, "市委", 10, 60, None),
                fact(1, "梁志勇", 7, "市委", 11, 30, None),
                fact(3, "王芳", 8, "市医院", 11, 90, Some(Rating::Dissatisfied)),
            ],
        );
        let members: Vec<_> = report
            .members
            .iter()
            .map(|m| (m.member.as_str(), m.items, m.minutes))
            .collect();
        assert_eq!(
            members,
            [("王芳", 1, 90), ("张伟", 1, 60), ("梁志勇", 2, 150)]
        );
        let units: Vec<_> = report
            .units
            .iter()
            .map(|u| {
                (
                    u.unit.as_str(),
                    u.members,
                    u.items,
                    u.minutes,
                    u.evaluations.satisfied,
                )
            })
            .collect();
        assert_eq!(units, [("市医院", 1, 1, 90, 0), ("市委", 2, 2, 210, 1)]);
        assert_eq!(report.units[0].evaluations.dissatisfied, 1);
    }
}
