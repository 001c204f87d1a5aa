//! One trait per outside system the core talks to. Adapters live in `edge`; tests use fakes.
//! The traits are `async` without a `Send` bound: JavaScript handles in a Worker are not `Send`.
#![allow(async_fn_in_trait)]

use std::time::Duration;

use serde_json::Value;

use super::apply::Applied;
use super::gateway::GatewayRequest;
use super::jobs::{JobRow, QueueMessage};
use super::order::OrderEvent;
use super::retry::Failure;
use super::telegram::OrderCard;

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
    /// MUST write the order, its items, its buyer and the jobs it causes in one transaction,
    /// or nothing.
    /// MUST return `Duplicate` and change nothing when an event with the same `event_key` was
    /// applied before, also when the two arrive at the same time.
    /// MUST return `Stale` and change nothing when `changed_at` is older than the stored
    /// order's, except that an order known only from a status change gets its details filled.
    /// MUST create the order when it is not known yet, whatever the event kind.
    async fn apply_order_event(&self, event: &OrderEvent) -> Result<Applied, StoreError>;

    /// Answers `Ok` when the store is reachable and its schema is in place.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// How an attempt at a job ended, as recorded in `sync_jobs`.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEnd {
    Done {
        result: Option<Value>,
    },
    Skipped {
        reason: String,
    },
    /// Not attempted (a switch is off): the attempt does not count.
    Held {
        reason: String,
        recheck_in: Duration,
    },
    Retrying {
        error: String,
        delay: Duration,
    },
    Dead {
        error: String,
    },
}

/// A product's availability as the store has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductAvailability {
    pub bitrix_product_id: Option<u64>,
    pub in_stock: bool,
}

/// The outbox of jobs (`sync_jobs`) and the reads the jobs need.
pub trait JobStore {
    /// MUST return `None` unless the job is pending or retrying and no live attempt holds it;
    /// MUST count the attempt it hands out.
    async fn claim_job(&self, job_id: &str) -> Result<Option<JobRow>, StoreError>;
    /// Records the attempt's end; a done reverse sync writes the Bitrix id back to the order.
    async fn finish_job(&self, job_id: &str, end: &JobEnd) -> Result<(), StoreError>;
    async fn order_card(&self, order_id: &str) -> Result<Option<OrderCard>, StoreError>;
    async fn product_availability(&self, product_id: &str) -> Result<Option<ProductAvailability>, StoreError>;
    /// Keeps a webhook whose apply gave up as a dead `webhook_apply` job.
    async fn record_dead_webhook(
        &self,
        event_key: &str,
        body: &Value,
        error: &str,
        attempts: u32,
    ) -> Result<(), StoreError>;
}

/// The Bitrix PHP gateway.
pub trait BitrixGateway {
    /// MUST send `idempotency_key` with the call so that the gateway can drop a repeat.
    async fn call(&self, request: &GatewayRequest, idempotency_key: &str) -> Result<Value, Failure>;
}

/// The shop's Telegram chat.
pub trait Notifier {
    async fn send_message(&self, html: &str) -> Result<(), Failure>;
}

/// Cloudflare Queues.
pub trait JobQueue {
    async fn send(&self, message: &QueueMessage, delay: Duration) -> Result<(), String>;
}

/// Workers KV as a fast path for repeated webhooks. Eventually consistent: a miss proves
/// nothing, so the database's unique keys stay the guarantee.
pub trait DedupCache {
    async fn get(&self, key: &str) -> Option<String>;
    async fn put(&self, key: &str, value: &str);
}
