//! The values the store's team and edit operations take and answer: a change to the staff
//! accounts and its outcome, a courier assignment and what it did, an edit as stored, a tracking
//! link made or revoked. Plain values over `domain`, so that `ports` and the use cases both name
//! them without importing each other.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::ids::CrmId;
use crate::domain::roles::Role;

/// A change to the staff accounts, as the store takes it (`crm_change_staff`'s `p_change`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AccountChange {
    Add { login: String, name: String, role: Role, password_hash: String },
    Disable,
    Enable,
    Reset { password_hash: String },
    Unlock,
    Role { role: Role },
}

/// What the store did with an [`AccountChange`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AccountOutcome {
    Done {
        id: CrmId,
    },
    /// The login belongs to another account already.
    LoginTaken,
    NotFound,
    /// The account was already so (disabled, enabled, in that role).
    Same {
        id: CrmId,
    },
}

/// The orders a courier assignment is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CourierTarget {
    Order(CrmId),
    /// Every open order of a day's slot (`None`: the orders without a slot).
    Slot {
        date: NaiveDate,
        slot: Option<u64>,
    },
}

/// What a courier assignment did.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CourierSet {
    /// `ok`, or `not_a_courier` when the account is not an active courier.
    pub courier: String,
    /// The orders whose courier changed.
    pub orders: Vec<CrmId>,
}

impl CourierSet {
    #[must_use]
    pub fn is_a_courier(&self) -> bool {
        self.courier == "ok"
    }
}

/// What the store did with an edit (`crm_edit_order`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EditStored {
    Done {
        jobs: Vec<crate::domain::ids::JobId>,
    },
    /// The order changed since the form was opened: these fields no longer have the value seen.
    Moved {
        fields: Vec<String>,
    },
}

/// A link the store made, or the live one it already had.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TrackLinkMade {
    pub token: String,
    pub made: bool,
    pub jobs: Vec<crate::domain::ids::JobId>,
}

/// A link the store revoked (or found none to).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TrackLinkRevoked {
    pub revoked: bool,
    pub jobs: Vec<crate::domain::ids::JobId>,
}
