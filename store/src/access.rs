//! Who may see and act on which case: the permission matrix
//! (`domain::permission`) applied to a user's seat.

use crate::StoreError;
use crate::users::UserRow;
use domain::{Actor, Permission, Reach, Role};

/// The cases a user may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// A region node and everything below it (its materialised path).
    Region(String),
    Unit(i64),
    Station(i64),
    Nothing,
}

/// The facts about a case that access depends on.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    pub region_path: String,
    pub unit_id: Option<i64>,
    pub station_id: Option<i64>,
}

fn region(user: &UserRow) -> Scope {
    user.region_path
        .clone()
        .map(Scope::Region)
        .unwrap_or(Scope::Nothing)
}

/// The user's area: where `Reach::Area` reaches.
fn area(user: &UserRow) -> Scope {
    match user.role {
        Role::Admin => Scope::All,
        Role::Leader | Role::Director | Role::GridWorker | Role::Member => region(user),
        Role::Handler => user.unit_id.map(Scope::Unit).unwrap_or(Scope::Nothing),
        Role::Deputy => user
            .station_id
            .map(Scope::Station)
            .unwrap_or(Scope::Nothing),
    }
}

/// The cases on which `user` may exercise `permission`.
pub fn scope_for(user: &UserRow, permission: Permission) -> Scope {
    match domain::permission::grant(user.role, permission) {
        Some(Reach::All) => Scope::All,
        Some(Reach::Area) => area(user),
        Some(Reach::Own) | None => Scope::Nothing,
    }
}

/// The cases `user` may see.
pub fn scope(user: &UserRow) -> Scope {
    scope_for(user, Permission::ViewCases)
}

/// Forbidden unless the matrix grants `permission` to the user's role at all
/// (the case-by-case scope is checked where the case is loaded).
pub fn permit(user: &UserRow, permission: Permission) -> Result<Reach, StoreError> {
    domain::permission::grant(user.role, permission).ok_or(StoreError::Forbidden)
}

impl Scope {
    /// Whether the scope is the whole city: everything, or the root of the
    /// region tree (whose materialised path is one step, `/1/`).
    pub fn is_whole_city(&self) -> bool {
        match self {
            Scope::All => true,
            Scope::Region(p) => p.trim_matches('/').split('/').count() == 1,
            _ => false,
        }
    }

    pub fn covers(&self, case: &CaseFacts) -> bool {
        match self {
            Scope::All => true,
            Scope::Region(p) => case.region_path.starts_with(p.as_str()),
            Scope::Unit(u) => case.unit_id == Some(*u),
            Scope::Station(s) => case.station_id == Some(*s),
            Scope::Nothing => false,
        }
    }

    /// The region path to offer in pickers, when the scope is a region.
    pub fn region_path(&self) -> Option<&str> {
        match self {
            Scope::Region(p) => Some(p),
            _ => None,
        }
    }
}

pub fn can_view(user: &UserRow, case: &CaseFacts) -> bool {
    scope(user).covers(case)
}

/// The capacities in which `user` may act on `case` (see `domain::case::TRANSITIONS`).
pub fn capacities(user: &UserRow, case: &CaseFacts) -> Vec<Actor> {
    if !scope_for(user, Permission::ActOnCase).covers(case) {
        return vec![];
    }
    user.role.capacities().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_everything_or_the_trees_root_is_the_whole_city() {
        assert!(Scope::All.is_whole_city());
        assert!(Scope::Region("/1/".into()).is_whole_city());
        assert!(!Scope::Region("/1/4/".into()).is_whole_city());
        assert!(!Scope::Unit(3).is_whole_city());
        assert!(!Scope::Station(3).is_whole_city());
        assert!(!Scope::Nothing.is_whole_city());
    }

    fn user(role: Role, region: Option<&str>, unit: Option<i64>, station: Option<i64>) -> UserRow {
        UserRow {
            id: 1,
            username: "u".into(),
            display_name: "u".into(),
            password_hash: String::new(),
            role,
            region_id: None,
            unit_id: unit,
            station_id: station,
            region_path: region.map(Into::into),
            place: None,
            must_change_password: false,
            disabled_at: None,
            session_epoch: 0,
            last_login_at: None,
            created_at: chrono::Utc::now(),
        }
    }

    fn case(path: &str, unit: Option<i64>, station: Option<i64>) -> CaseFacts {
        CaseFacts {
            region_path: path.into(),
            unit_id: unit,
            station_id: station,
        }
    }

    #[test]
    fn directors_see_their_community_only() {
        let d = user(Role::Director, Some("/1/2/3/"), None, None);
        assert_eq!(
            capacities(&d, &case("/1/2/3/7/", None, None)),
            vec![Actor::Station]
        );
        assert!(!can_view(&d, &case("/1/2/4/7/", None, None)));
        assert!(capacities(&d, &case("/1/2/4/7/", None, None)).is_empty());
    }

    #[test]
    fn handlers_see_their_units_cases_only() {
        let h = user(Role::Handler, None, Some(5), None);
        assert_eq!(
            capacities(&h, &case("/1/", Some(5), None)),
            vec![Actor::Unit]
        );
        assert!(!can_view(&h, &case("/1/", Some(6), None)));
        assert!(!can_view(&h, &case("/1/", None, None)));
    }

    #[test]
    fn deputies_follow_their_station_and_grid_workers_only_look() {
        let dep = user(Role::Deputy, None, None, Some(2));
        assert!(can_view(&dep, &case("/9/", None, Some(2))));
        assert!(!can_view(&dep, &case("/9/", None, Some(3))));
        let g = user(Role::GridWorker, Some("/1/2/"), None, None);
        assert!(can_view(&g, &case("/1/2/5/", None, None)));
        assert!(capacities(&g, &case("/1/2/5/", None, None)).is_empty());
        let nobody = user(Role::Director, None, None, None);
        assert!(!can_view(&nobody, &case("/1/", None, None)));
    }
}
