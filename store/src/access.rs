//! Who may see and act on which case: the domain's scope rules
//! (`domain::seat`) applied to a signed-in account's seat.

use crate::StoreError;
use crate::users::UserRow;
use domain::{Actor, Permission, Reach};

pub use domain::seat::{CaseFacts, Scope};

/// The cases on which `user` may exercise `permission`.
pub fn scope_for(user: &UserRow, permission: Permission) -> Scope {
    user.seat().scope_for(permission)
}

/// The cases `user` may see.
pub fn scope(user: &UserRow) -> Scope {
    user.seat().scope()
}

/// Forbidden unless the matrix grants `permission` to the user's role at all
/// (the case-by-case scope is checked where the case is loaded).
pub fn permit(user: &UserRow, permission: Permission) -> Result<Reach, StoreError> {
    domain::permission::grant(user.role, permission).ok_or(StoreError::Forbidden)
}

pub fn can_view(user: &UserRow, case: &CaseFacts) -> bool {
    user.seat().can_view(case)
}

/// The capacities in which `user` may act on `case`.
pub fn capacities(user: &UserRow, case: &CaseFacts) -> Vec<Actor> {
    user.seat().capacities(case)
}
