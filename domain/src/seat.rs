//! Where a staff member sits — their role and the region, unit or station
//! the role is tied to — and which cases that seat reaches for each
//! permission. The rules are here, without storage, so they are tested as
//! plain rules; `store::access` applies them to a signed-in account.

use crate::{Actor, Permission, Reach, Role};

/// A staff member's seat: what access depends on, as an account holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seat<'a> {
    pub role: Role,
    /// The materialised path of the region the seat covers (`/1/4/`).
    pub region_path: Option<&'a str>,
    pub unit_id: Option<i64>,
    pub station_id: Option<i64>,
}

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

impl Seat<'_> {
    fn region(&self) -> Scope {
        self.region_path
            .map(|p| Scope::Region(p.to_string()))
            .unwrap_or(Scope::Nothing)
    }

    /// The seat's area: where `Reach::Area` reaches.
    fn area(&self) -> Scope {
        match self.role {
            Role::Admin => Scope::All,
            Role::Leader | Role::Director | Role::GridWorker | Role::Member => self.region(),
            Role::Handler => self.unit_id.map(Scope::Unit).unwrap_or(Scope::Nothing),
            Role::Deputy => self
                .station_id
                .map(Scope::Station)
                .unwrap_or(Scope::Nothing),
        }
    }

    /// The cases on which the seat may exercise `permission`.
    pub fn scope_for(&self, permission: Permission) -> Scope {
        match crate::permission::grant(self.role, permission) {
            Some(Reach::All) => Scope::All,
            Some(Reach::Area) => self.area(),
            Some(Reach::Own) | None => Scope::Nothing,
        }
    }

    /// The cases the seat may see.
    pub fn scope(&self) -> Scope {
        self.scope_for(Permission::ViewCases)
    }

    pub fn can_view(&self, case: &CaseFacts) -> bool {
        self.scope().covers(case)
    }

    /// The capacities in which the seat may act on `case` (see
    /// `case::TRANSITIONS`).
    pub fn capacities(&self, case: &CaseFacts) -> Vec<Actor> {
        if !self.scope_for(Permission::ActOnCase).covers(case) {
            return vec![];
        }
        self.role.capacities().to_vec()
    }
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

    fn seat(
        role: Role,
        region_path: Option<&str>,
        unit_id: Option<i64>,
        station_id: Option<i64>,
    ) -> Seat<'_> {
        Seat {
            role,
            region_path,
            unit_id,
            station_id,
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
        let d = seat(Role::Director, Some("/1/2/3/"), None, None);
        assert_eq!(
            d.capacities(&case("/1/2/3/7/", None, None)),
            vec![Actor::Station]
        );
        assert!(!d.can_view(&case("/1/2/4/7/", None, None)));
        assert!(d.capacities(&case("/1/2/4/7/", None, None)).is_empty());
    }

    #[test]
    fn handlers_see_their_units_cases_only() {
        let h = seat(Role::Handler, None, Some(5), None);
        assert_eq!(h.capacities(&case("/1/", Some(5), None)), vec![Actor::Unit]);
        assert!(!h.can_view(&case("/1/", Some(6), None)));
        assert!(!h.can_view(&case("/1/", None, None)));
    }

    #[test]
    fn deputies_follow_their_station_and_grid_workers_only_look() {
        let dep = seat(Role::Deputy, None, None, Some(2));
        assert!(dep.can_view(&case("/9/", None, Some(2))));
        assert!(!dep.can_view(&case("/9/", None, Some(3))));
        let g = seat(Role::GridWorker, Some("/1/2/"), None, None);
        assert!(g.can_view(&case("/1/2/5/", None, None)));
        assert!(g.capacities(&case("/1/2/5/", None, None)).is_empty());
        let nobody = seat(Role::Director, None, None, None);
        assert!(!nobody.can_view(&case("/1/", None, None)));
    }

    #[test]
    fn each_permission_reaches_as_far_as_the_matrix_grants() {
        let leader = seat(Role::Leader, Some("/1/4/"), None, None);
        // The matrix grants a leader some permissions city-wide and others
        // in their area only; a seat reaches exactly that far.
        for (p, _) in crate::permission::MATRIX {
            let want = match crate::permission::grant(Role::Leader, p) {
                Some(Reach::All) => Scope::All,
                Some(Reach::Area) => Scope::Region("/1/4/".into()),
                Some(Reach::Own) | None => Scope::Nothing,
            };
            assert_eq!(leader.scope_for(p), want, "{p:?}");
        }
        let admin = seat(Role::Admin, None, None, None);
        assert_eq!(admin.scope(), Scope::All);
    }
}
