//! One trait per outside system the core talks to. Adapters live in `edge`; tests use fakes.
//! The traits are `async` without a `Send` bound: JavaScript handles in a Worker are not `Send`.
#![allow(async_fn_in_trait)]

use super::apply::Applied;
use super::order::OrderEvent;

/// A failure of the store (Supabase through PostgREST), with a cause fit for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or answered 5xx: worth trying again later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store refused the request (4xx): a bug or a schema mismatch, not worth retrying.
    #[error("store refused the request: {0}")]
    Rejected(String),
}

/// The CRM's order data (Supabase).
pub trait OrderStore {
    /// Applies one Bitrix order event.
    ///
    /// MUST write the order, its items and its buyer in one transaction, or nothing.
    /// MUST return `Duplicate` and change nothing when an event with the same `event_key` was
    /// applied before, also when the two arrive at the same time.
    /// MUST return `Stale` and change nothing when `changed_at` is older than the stored
    /// order's, except that an order known only from a status change gets its details filled.
    /// MUST create the order when it is not known yet, whatever the event kind.
    async fn apply_order_event(&self, event: &OrderEvent) -> Result<Applied, StoreError>;

    /// Answers `Ok` when the store is reachable and its schema is in place.
    async fn ping(&self) -> Result<(), StoreError>;
}
