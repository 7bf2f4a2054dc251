use crate::case::Actor;
use serde::{Deserialize, Serialize};

/// A staff account's role. Residents have no account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    /// 社区主任/书记: runs a community's station.
    Director,
    /// 站点工作人员/人大代表
    Deputy,
    /// 责任单位经办人
    Handler,
    /// 领导/督查室
    Leader,
    /// 网格员
    GridWorker,
    /// 在职党员 registered with the community where they live (双报到).
    Member,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Self::Admin,
        Self::Director,
        Self::Deputy,
        Self::Handler,
        Self::Leader,
        Self::GridWorker,
        Self::Member,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Director => "director",
            Self::Deputy => "deputy",
            Self::Handler => "handler",
            Self::Leader => "leader",
            Self::GridWorker => "grid_worker",
            Self::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
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
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
