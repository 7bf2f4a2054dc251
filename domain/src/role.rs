use crate::case::{Actor, Status};
use serde::{Deserialize, Serialize};

stored_enum! {
    /// A staff account's role. Residents have no account.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Role {
        Admin = "admin",
        /// 社区主任/书记: runs a community's station.
        Director = "director",
        /// 站点工作人员/人大代表
        Deputy = "deputy",
        /// 责任单位经办人
        Handler = "handler",
        /// 领导/督查室
        Leader = "leader",
        /// 网格员
        GridWorker = "grid_worker",
        /// 在职党员 registered with the community where they live (双报到).
        Member = "member",
    }
}

impl Role {
    /// The states of the cases that wait for this role (its to-do, 待办):
    /// those whose next step is one of its capacities. A grid worker has no
    /// step of the loop but follows up on foot: the cases of their grid
    /// waiting for the resident's rating. Administrators run accounts, not
    /// cases, and members their service: neither has a to-do of cases.
    pub fn to_do(self) -> Vec<Status> {
        let waits = |actors: &[Actor]| {
            Status::ALL
                .into_iter()
                .filter(|s| s.waits_for().iter().any(|a| actors.contains(a)))
                .collect()
        };
        match self {
            Self::Admin | Self::Member => vec![],
            Self::GridWorker => waits(&[Actor::Resident]),
            _ => waits(self.capacities()),
        }
    }

    /// The capacities in which this role acts on the cases within its scope
    /// (see `case::TRANSITIONS`).
    pub fn capacities(self) -> &'static [Actor] {
        match self {
            Self::Admin => &[Actor::Station, Actor::Supervisor],
            Self::Director => &[Actor::Station],
            Self::Leader => &[Actor::Supervisor],
            Self::Handler => &[Actor::Unit],
            Self::Deputy => &[Actor::Deputy],
            Self::GridWorker | Self::Member => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_waits_for_the_steps_that_are_its_own() {
        use Status as S;
        let director = Role::Director.to_do();
        for s in [
            S::Registered,
            S::Consolidating,
            S::Returned,
            S::ClosureRequested,
        ] {
            assert!(director.contains(&s), "{s:?}");
        }
        assert!(director.contains(&S::FeedbackDue) && director.contains(&S::Rework));
        assert!(!director.contains(&S::AwaitingAck) && !director.contains(&S::AwaitingRating));
        assert_eq!(
            Role::Handler.to_do(),
            [S::AwaitingAck, S::InProgress, S::Rework]
        );
        assert_eq!(Role::Leader.to_do(), [S::Escalated]);
        assert_eq!(Role::Deputy.to_do(), [S::Suggestion]);
        assert_eq!(Role::GridWorker.to_do(), [S::AwaitingRating]);
        assert!(Role::Admin.to_do().is_empty() && Role::Member.to_do().is_empty());
        // Nothing closed is ever anybody's to-do.
        for role in Role::ALL {
            let to_do = role.to_do();
            assert!(!to_do.contains(&S::Closed) && !to_do.contains(&S::Merged));
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
