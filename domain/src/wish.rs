//! Micro-wishes (微心愿): a resident's small wish — goods or a service — is
//! collected by a grid worker or director, verified and published on the
//! public wish wall, claimed by one party member or unit at a time,
//! fulfilled, confirmed and struck off the wall.

use crate::intake::{FieldError, check_text};
use serde::{Deserialize, Serialize};

pub const MAX_TITLE: usize = 60;
pub const MAX_DETAIL: usize = 500;
pub const MAX_CLAIMANT: usize = 60;

stored_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum WishStatus {
        /// Written down, not yet checked.
        Collected = "collected",
        /// Checked and on the public wall, waiting for someone to claim it.
        Published = "published",
        /// One member or unit has taken it on.
        Claimed = "claimed",
        /// The claimant says it is done; the community checks with the resident.
        Fulfilled = "fulfilled",
        /// Confirmed with the resident: struck off the wall.
        Confirmed = "confirmed",
        /// Taken back before anyone claimed it.
        Withdrawn = "withdrawn",
    }
}

impl WishStatus {
    /// Whether the wish shows on the public wall.
    pub fn on_wall(self) -> bool {
        matches!(self, Self::Published | Self::Claimed | Self::Fulfilled)
    }
}

stored_enum! {
    /// What can be done to a wish.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum WishAction {
        Verify = "verify",
        Claim = "claim",
        CancelClaim = "cancel_claim",
        Fulfil = "fulfil",
        Confirm = "confirm",
        Withdraw = "withdraw",
    }
}

/// The state machine: where `action` takes a wish in `status`, or why not.
pub fn next(status: WishStatus, action: WishAction) -> Result<WishStatus, FieldError> {
    use WishAction as A;
    use WishStatus as S;
    match (status, action) {
        (S::Collected, A::Verify) => Ok(S::Published),
        (S::Published, A::Claim) => Ok(S::Claimed),
        // One claim at a time: a claimed wish must be released first.
        (S::Claimed, A::Claim) => Err(FieldError::new("wish", "already_claimed")),
        (S::Claimed, A::CancelClaim) => Ok(S::Published),
        (S::Claimed, A::Fulfil) => Ok(S::Fulfilled),
        (S::Fulfilled, A::Confirm) => Ok(S::Confirmed),
        (S::Collected | S::Published, A::Withdraw) => Ok(S::Withdrawn),
        (S::Claimed | S::Fulfilled, A::Withdraw) => {
            Err(FieldError::new("wish", "claimed_cannot_withdraw"))
        }
        _ => Err(FieldError::new("wish", "not_allowed")),
    }
}

/// The actions open to a wish in `status`, for the page to offer.
pub fn actions(status: WishStatus) -> Vec<WishAction> {
    WishAction::ALL
        .into_iter()
        .filter(|a| next(status, *a).is_ok())
        .collect()
}

crate::form! {
    /// A new wish as collected.
    #[derive(Serialize, Deserialize)]
    pub struct NewWish from RawWish {
        title: text,
        detail: text,
        region_id: id,
        resident_name: text,
        resident_phone: text,
    }
}

impl NewWish {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "title", &self.title, MAX_TITLE);
        if self.detail.chars().count() > MAX_DETAIL {
            errors.push(FieldError::new("detail", "too_long"));
        }
        check_text(&mut errors, "resident_name", &self.resident_name, 30);
        if !crate::intake::phone_is_valid(&self.resident_phone) {
            errors.push(FieldError::new("resident_phone", "invalid_phone"));
        }
        errors
    }
}

/// A claimant: a party member or a work unit, by name.
pub fn validate_claimant(name: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_text(&mut errors, "claimant", name, MAX_CLAIMANT);
    errors
}

/// A wish as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wish {
    pub id: i64,
    pub title: String,
    pub detail: String,
    pub place: String,
    pub resident_name: String,
    pub resident_phone: String,
    pub status: WishStatus,
    pub claimant: Option<String>,
    pub actions: Vec<WishAction>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A wish on the public wall: the name masked, the place reduced to the compound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WallWish {
    pub id: i64,
    pub title: String,
    pub detail: String,
    pub place: String,
    pub resident: String,
    pub status: WishStatus,
    pub claimant: Option<String>,
}

crate::form! {
    /// One step of a wish on the wall: verify, claim (with the claimant),
    /// cancel_claim, fulfil, confirm or withdraw.
    pub struct WishStep from RawWishStep {
        wish: id,
        action: choice(WishAction),
        claimant: text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WishAction as A;
    use WishStatus as S;

    #[test]
    fn a_wish_goes_from_collected_to_struck_off() {
        let mut s = S::Collected;
        for (a, to) in [
            (A::Verify, S::Published),
            (A::Claim, S::Claimed),
            (A::Fulfil, S::Fulfilled),
            (A::Confirm, S::Confirmed),
        ] {
            s = next(s, a).unwrap();
            assert_eq!(s, to);
        }
        assert!(!s.on_wall());
        assert!(actions(s).is_empty());
    }

    #[test]
    fn one_claim_at_a_time_and_cancelling_returns_it_to_the_wall() {
        assert_eq!(
            next(S::Claimed, A::Claim),
            Err(FieldError::new("wish", "already_claimed"))
        );
        let back = next(S::Claimed, A::CancelClaim).unwrap();
        assert_eq!(back, S::Published);
        assert!(back.on_wall());
        assert_eq!(next(back, A::Claim), Ok(S::Claimed));
    }

    #[test]
    fn withdrawing_only_while_unclaimed() {
        assert_eq!(next(S::Collected, A::Withdraw), Ok(S::Withdrawn));
        assert_eq!(next(S::Published, A::Withdraw), Ok(S::Withdrawn));
        for s in [S::Claimed, S::Fulfilled] {
            assert_eq!(
                next(s, A::Withdraw),
                Err(FieldError::new("wish", "claimed_cannot_withdraw"))
            );
        }
        assert!(next(S::Confirmed, A::Withdraw).is_err());
        // Nothing skips a step.
        assert!(next(S::Collected, A::Claim).is_err());
        assert!(next(S::Published, A::Fulfil).is_err());
        assert!(next(S::Claimed, A::Confirm).is_err());
        for s in WishStatus::ALL {
            assert_eq!(WishStatus::parse(s.as_str()), Some(s));
        }
    }
}
