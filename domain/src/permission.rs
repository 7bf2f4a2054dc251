//! The permission matrix: which role may do what, and how far it reaches.
//! Every server function and HTTP handler asks [`grant`]; a [`Seat`](crate::seat::Seat)
//! narrows `Reach::Area` to its own community, unit or station.

use crate::role::Role;
use serde::{Deserialize, Serialize};

/// What a staff member may ask to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Case lists, the live board, case files and receipts.
    ViewCases,
    /// Step 1: register a request on someone's behalf.
    RegisterCase,
    /// The transitions of the five-step loop (in the capacities of the role,
    /// see `Role::capacities`).
    ActOnCase,
    /// The callback list (回访): phoning residents whose case waits for a
    /// rating, seeing their number, recording the call or their rating.
    CallBack,
    /// Photos with a case: the problem, the work, before and after
    /// (everyone who registers or works cases, in their area).
    AttachPhotos,
    /// Deciding that a photo may show on the resident's page (no faces,
    /// plates or doors): the station's privacy check.
    PublishPhotos,
    /// Supervision letters (督办函) for overdue cases.
    IssueLetter,
    /// Approving or refusing a unit's request for an extension (延期).
    DecideExtension,
    /// Linking several cases into one escalated item (市级统筹) and
    /// reporting its progress.
    Coordinate,
    /// Scheduling station sessions, recording commitments, closing sessions.
    ManageSessions,
    /// Collecting micro-wishes (微心愿) and taking them through the wall.
    ManageWishes,
    /// The region tree: adding, renaming, importing from CSV.
    ManageRegions,
    /// Party organisations, confirming dual registrations, the need list,
    /// approving and evaluating members' claims, the quarterly service report.
    ManageParty,
    /// A registered party member claiming need items and logging service.
    ServeCommunity,
    /// The tamper-evident audit trail.
    ViewAudit,
    /// Open311 clients' keys.
    ManageApiKeys,
    /// Accounts, roles, password resets.
    ManageUsers,
    /// One's own password and sessions.
    OwnAccount,
}

/// How far a granted permission reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// The user's own account only.
    Own,
    /// The user's area: a region node and below, a unit's cases, a station's cases.
    Area,
    /// The whole city.
    All,
}

const NO: Option<Reach> = None;
const OWN: Option<Reach> = Some(Reach::Own);
const AREA: Option<Reach> = Some(Reach::Area);
const ALL: Option<Reach> = Some(Reach::All);

/// Rows are permissions; columns follow `Role::ALL`:
/// admin, director, deputy, handler, leader, grid worker, party member.
pub const MATRIX: [(Permission, [Option<Reach>; 7]); 18] = [
    (
        Permission::ViewCases,
        [ALL, AREA, AREA, AREA, AREA, AREA, NO],
    ),
    (
        Permission::RegisterCase,
        [ALL, AREA, AREA, NO, NO, AREA, NO],
    ),
    (Permission::ActOnCase, [ALL, AREA, AREA, AREA, AREA, NO, NO]),
    // The station calls its residents back (the station capacity's rows).
    (Permission::CallBack, [ALL, AREA, NO, NO, NO, NO, NO]),
    (
        Permission::AttachPhotos,
        [ALL, AREA, AREA, AREA, AREA, AREA, NO],
    ),
    (Permission::PublishPhotos, [ALL, AREA, NO, NO, NO, NO, NO]),
    (Permission::IssueLetter, [ALL, NO, NO, NO, AREA, NO, NO]),
    (Permission::DecideExtension, [ALL, NO, NO, NO, AREA, NO, NO]),
    // The station links its cases; the lead unit's handler reports progress.
    (
        Permission::Coordinate,
        [ALL, AREA, AREA, AREA, AREA, NO, NO],
    ),
    (
        Permission::ManageSessions,
        [ALL, AREA, AREA, NO, AREA, NO, NO],
    ),
    (Permission::ManageWishes, [ALL, AREA, NO, NO, NO, AREA, NO]),
    (Permission::ManageRegions, [ALL, NO, NO, NO, NO, NO, NO]),
    // The community confirms and approves; leaders read their area's reports.
    (Permission::ManageParty, [ALL, AREA, NO, NO, AREA, NO, NO]),
    (Permission::ServeCommunity, [NO, NO, NO, NO, NO, NO, OWN]),
    (Permission::ViewAudit, [ALL, NO, NO, NO, ALL, NO, NO]),
    (Permission::ManageApiKeys, [ALL, NO, NO, NO, NO, NO, NO]),
    (Permission::ManageUsers, [ALL, NO, NO, NO, NO, NO, NO]),
    (Permission::OwnAccount, [OWN, OWN, OWN, OWN, OWN, OWN, OWN]),
];

impl Permission {
    pub const ALL: [Permission; 18] = [
        Self::ViewCases,
        Self::RegisterCase,
        Self::ActOnCase,
        Self::CallBack,
        Self::AttachPhotos,
        Self::PublishPhotos,
        Self::IssueLetter,
        Self::DecideExtension,
        Self::Coordinate,
        Self::ManageSessions,
        Self::ManageWishes,
        Self::ManageRegions,
        Self::ManageParty,
        Self::ServeCommunity,
        Self::ViewAudit,
        Self::ManageApiKeys,
        Self::ManageUsers,
        Self::OwnAccount,
    ];
}

/// How far `role` may exercise `permission`, or None when it may not.
pub fn grant(role: Role, permission: Permission) -> Option<Reach> {
    let column = Role::ALL.iter().position(|r| *r == role)?;
    MATRIX
        .iter()
        .find(|(p, _)| *p == permission)
        .and_then(|(_, row)| row[column])
}

pub fn allows(role: Role, permission: Permission) -> bool {
    grant(role, permission).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_has_one_row() {
        for p in Permission::ALL {
            assert_eq!(MATRIX.iter().filter(|(q, _)| *q == p).count(), 1, "{p:?}");
        }
    }

    #[test]
    fn only_administrators_manage_accounts_and_everyone_keeps_their_own() {
        for r in Role::ALL {
            assert_eq!(
                allows(r, Permission::ManageUsers),
                r == Role::Admin,
                "{r:?}"
            );
            assert_eq!(grant(r, Permission::OwnAccount), Some(Reach::Own));
        }
    }

    #[test]
    fn acting_follows_the_roles_capacities() {
        // A role with a capacity in the transition table may act, and only then.
        for r in Role::ALL {
            assert_eq!(
                allows(r, Permission::ActOnCase),
                !r.capacities().is_empty(),
                "{r:?}"
            );
        }
        assert!(!allows(Role::Handler, Permission::RegisterCase));
        assert!(!allows(Role::Leader, Permission::RegisterCase));
        assert_eq!(
            grant(Role::GridWorker, Permission::RegisterCase),
            Some(Reach::Area)
        );
    }
}
