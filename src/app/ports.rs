//! One trait per outside system the core talks to. Adapters live in `edge`; tests use fakes.
//! The traits are `async` without a `Send` bound: JavaScript handles in a Worker are not `Send`.
#![allow(async_fn_in_trait)]

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::app::crm_input::{Actor, NewOrder, OrderFilter, Problem, ProductFilter, RequestKey};
use crate::domain::apply::Applied;
use crate::domain::gateway::GatewayRequest;
use crate::domain::ids::{CrmId, JobId};
use crate::domain::jobs::{JobRow, NewJob, QueueMessage};
use crate::domain::order::OrderEvent;
use crate::domain::reconciliation::{CrmRow, ReconcilePeriod, Reconciliation, RunId, RunOutcome, Trigger};
use crate::domain::retry::Failure;
use crate::domain::status::CrmStatus;
use crate::domain::views::{
    DayOrders, DaySummary, DeadLetter, OrderPage, OrderView, ProductView, Reference, ReportDay, Staff, SyncPage,
    SyncStatus,
};

/// What lies under a store failure (the HTTP client's error, the store's answer), kept so that
/// logs show the whole chain.
pub type Cause = Arc<dyn Error + Send + Sync>;

/// A failure of the store (Supabase through PostgREST): which call, and its cause.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or answered 408/429/5xx: worth trying again later.
    #[error("store unavailable: {context}")]
    Unavailable {
        context: String,
        #[source]
        cause: Option<Cause>,
    },
    /// The store refused the request or answered something unreadable: a bug or a schema
    /// mismatch, not worth retrying.
    #[error("store refused the request: {context}")]
    Rejected {
        context: String,
        #[source]
        cause: Option<Cause>,
    },
}

impl StoreError {
    /// Unavailable: `context` says which call, `cause` what lay under it.
    pub fn unavailable(context: impl Into<String>, cause: impl Into<Option<Cause>>) -> Self {
        StoreError::Unavailable { context: context.into(), cause: cause.into() }
    }

    /// Rejected: `context` says which call, `cause` what lay under it.
    pub fn rejected(context: impl Into<String>, cause: impl Into<Option<Cause>>) -> Self {
        StoreError::Rejected { context: context.into(), cause: cause.into() }
    }

    /// True when trying again later may succeed.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }
}

/// An error and every cause under it, joined with `: `, for logs and job errors.
#[must_use]
pub fn cause_chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    // Bounded: error chains are short, and a cycle would be a bug; stop at eight links.
    for _ in 0..8 {
        let Some(cause) = source else { break };
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A store's answer that is not a success, as a cause.
#[derive(Debug, Clone, thiserror::Error)]
#[error("HTTP {status}: {body}")]
pub struct StoreAnswer {
    pub status: u16,
    /// The answer's body, quoted in part.
    pub body: String,
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

/// The catalogue's loads from Bitrix (`catalog_runs`) and their pages (`apply_catalog_page`).
pub trait CatalogStore {
    /// Why a load is due now: never loaded, the last whole load older than `daily`, or (after a
    /// whole load) none for `changes_every`, then with the time to ask changes since (the last
    /// load's start less `overlap`); `None` while one runs or none is due.
    async fn catalog_run_due(
        &self,
        daily: Duration,
        changes_every: Duration,
        overlap: Duration,
    ) -> Result<Option<crate::domain::catalog::CatalogDue>, StoreError>;
    /// A new load, or `None` while another is running.
    async fn start_catalog_run(
        &self,
        trigger: crate::domain::catalog::CatalogTrigger,
    ) -> Result<Option<crate::domain::ids::CrmId>, StoreError>;
    /// MUST upsert the page's products in one transaction (stale ones and the stock of a product
    /// whose CRM toggle is on its way kept as they are) and say how many were created, updated,
    /// unchanged and kept.
    async fn apply_catalog_page(
        &self,
        run: &crate::domain::ids::CrmId,
        products: &[crate::domain::catalog::CatalogProduct],
    ) -> Result<crate::domain::catalog::CatalogOutcome, StoreError>;
    /// Ends a load; a complete one that found products MUST hide those an earlier load named and
    /// this one did not, and say how many.
    async fn finish_catalog_run(
        &self,
        run: &crate::domain::ids::CrmId,
        outcome: &crate::domain::catalog::CatalogOutcome,
        complete: bool,
    ) -> Result<crate::domain::catalog::CatalogOutcome, StoreError>;
}

/// The shop's reference data (`apply_reference`) and its refreshes (`reference_refreshes`).
pub trait ReferenceStore {
    /// Why a refresh is due now (the last one older than `daily`, or an order naming an unknown
    /// slot, city or shop and the last try older than `unknown_retry`), or `None`.
    async fn reference_refresh_due(
        &self,
        daily: Duration,
        unknown_retry: Duration,
    ) -> Result<Option<crate::domain::reference::RefreshTrigger>, StoreError>;
    /// MUST store the whole snapshot in one transaction (add and rename, never delete) and
    /// record the refresh.
    async fn apply_reference(
        &self,
        reference: &crate::domain::reference::ShopReference,
        trigger: crate::domain::reference::RefreshTrigger,
    ) -> Result<crate::domain::reference::RefreshOutcome, StoreError>;
    /// Records a refresh that failed, so that the next try waits its turn.
    async fn record_reference_failure(
        &self,
        trigger: crate::domain::reference::RefreshTrigger,
        error: &str,
    ) -> Result<(), StoreError>;
}

/// Reconciliation runs (`reconciliations`) and the CRM's side of a comparison.
pub trait ReconcileStore {
    /// Starts a run and returns its id; `None` when the day's scheduled run is not to start
    /// (done, running, or failed in the last minutes). An on-demand run always starts.
    async fn start_reconciliation(
        &self,
        trigger: Trigger,
        day: chrono::NaiveDate,
        period: ReconcilePeriod,
    ) -> Result<Option<RunId>, StoreError>;
    /// The CRM's rows for these Bitrix orders (orders whose details never arrived are left out).
    async fn reconcile_rows(&self, bitrix_order_ids: &[u64]) -> Result<Vec<CrmRow>, StoreError>;
    /// Records how the run ended; returns the message job when it found drift.
    async fn finish_reconciliation(&self, id: &RunId, outcome: &RunOutcome) -> Result<Vec<JobId>, StoreError>;
    /// A run with its differences, or (`None`) the newest run without them.
    async fn reconciliation(&self, id: Option<&RunId>) -> Result<Option<Reconciliation>, StoreError>;
}

/// The outbox of jobs (`sync_jobs`) and the reads the jobs need.
pub trait JobStore {
    /// MUST return `None` unless the job is due (pending or retrying) or its running attempt's
    /// lease has run out, and no live attempt holds it. MUST count the attempt it hands out,
    /// except for an orphaned one (lease run out), which it returns with `orphaned` set.
    async fn claim_job(&self, job_id: &JobId, lease: Duration) -> Result<Option<JobRow>, StoreError>;
    /// Records the attempt's end; a done reverse sync writes the Bitrix id back to the order.
    /// MUST leave a done or skipped job as it is.
    async fn finish_job(&self, job_id: &JobId, end: &JobEnd) -> Result<(), StoreError>;
    async fn order_view(&self, order_id: &CrmId) -> Result<Option<OrderView>, StoreError>;
    async fn product_availability(&self, product_id: &CrmId) -> Result<Option<ProductAvailability>, StoreError>;
    /// Keeps a webhook whose apply gave up, or a queue message no code can read, as a dead
    /// `webhook_apply` job.
    async fn record_dead_webhook(
        &self,
        event_key: &str,
        body: &Value,
        error: &str,
        attempts: u32,
    ) -> Result<(), StoreError>;
    /// Jobs to hand to the queue now: due, or orphaned. At most `limit`.
    async fn due_jobs(&self, limit: u32) -> Result<Vec<JobId>, StoreError>;
    /// MUST add each job once per key, and return only the new ones.
    async fn add_jobs(&self, jobs: &[NewJob]) -> Result<Vec<JobId>, StoreError>;
    /// The day's orders in the given statuses (without items) and the slots with their times.
    async fn risk_candidates(&self, day: chrono::NaiveDate, statuses: &[&str]) -> Result<DayOrders, StoreError>;
    /// What the day's summary says (`not_revenue`: statuses whose orders are not revenue;
    /// `waiting`: statuses of orders that still wait for the courier).
    async fn daily_summary(
        &self,
        day: chrono::NaiveDate,
        not_revenue: &[&str],
        waiting: &[&str],
    ) -> Result<DaySummary, StoreError>;
    /// The chat's other order messages waiting beside `job` (any of `occasions` in `flow`): when
    /// at least `min` wait (`job` included), MUST claim up to `limit` of them, oldest first, for
    /// `lease` (another attempt then leaves them alone) and give them with their orders; else
    /// MUST claim none and give none.
    async fn claim_chat_backlog(
        &self,
        job: &JobId,
        kinds: &(crate::domain::flow::Flow, Vec<String>),
        min: u32,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<crate::domain::jobs::BacklogJob>, StoreError>;
    /// Ends claimed backlog jobs: done as part of `digest` when it was sent, else back in line
    /// (their attempt not counted).
    async fn finish_chat_backlog(&self, jobs: &[JobId], digest: &JobId, sent: bool) -> Result<(), StoreError>;
    /// The old orders stored silently since the last backfill summary, once none came for
    /// `quiet`; MUST be `None` while there are none or they still come.
    async fn backfill_to_announce(
        &self,
        quiet: Duration,
    ) -> Result<Option<crate::domain::jobs::BackfillLoad>, StoreError>;
}

/// What creating a CRM order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderCreation {
    /// A new order, and the jobs that send it to Bitrix and announce it.
    Created { order_id: CrmId, jobs: Vec<JobId> },
    /// The request key was used before: the order it created then.
    Replayed { order_id: CrmId },
    /// An item names a product the catalogue does not have; nothing was stored.
    UnknownProducts(Vec<Problem>),
}

/// What setting a status from the CRM did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// False when the order already had the status.
    pub changed: bool,
    pub jobs: Vec<JobId>,
}

/// The CRM's reads and changes (the CRM API and, later, its pages).
pub trait CrmStore {
    /// MUST answer at most `filter.page.limit` orders, newest first.
    async fn orders(&self, filter: &OrderFilter) -> Result<Vec<OrderView>, StoreError>;
    async fn order(&self, id: &CrmId) -> Result<Option<OrderView>, StoreError>;
    /// MUST store the order, its items, its jobs and who created it in one transaction, or
    /// nothing; MUST return the first order for a request key used before, and queue nothing
    /// again; its webhook echo is expected for `echo_window`.
    async fn create_order(
        &self,
        order: &NewOrder,
        key: Option<&RequestKey>,
        echo_window: Duration,
        actor: &Actor,
    ) -> Result<OrderCreation, StoreError>;
    /// `None` for an unknown order. MUST record the status, its jobs and who set it in one
    /// transaction, and remember the Bitrix code sent, for `echo_window`, so that its webhook
    /// echo changes nothing.
    async fn set_order_status(
        &self,
        id: &CrmId,
        status: CrmStatus,
        echo_window: Duration,
        actor: &Actor,
    ) -> Result<Option<StatusChange>, StoreError>;
    /// `None` for an unknown order. MUST apply the edit only if every field and line it changes
    /// still has the value it names as `from` (else `Moved`, nothing changed), and then record
    /// it with who made it and add its job for Bitrix (when the order is there), in one
    /// transaction; the total follows the lines and the delivery fee.
    async fn edit_order(
        &self,
        id: &CrmId,
        edit: &crate::domain::edit::OrderEdit,
        actor: &Actor,
    ) -> Result<Option<crate::app::changes::EditStored>, StoreError>;
    /// MUST keep the kit's newest outbox report (one, replacing the last) with when it arrived.
    async fn record_kit_outbox(&self, report: &crate::domain::kit_outbox::KitOutbox) -> Result<(), StoreError>;
    /// The kit's newest outbox report, `None` before the first.
    async fn kit_outbox(&self) -> Result<Option<crate::domain::kit_outbox::KitOutbox>, StoreError>;
    /// MUST answer at most `filter.page.limit` products, by name.
    async fn products(&self, filter: &ProductFilter) -> Result<Vec<ProductView>, StoreError>;
    async fn product(&self, id: &CrmId) -> Result<Option<ProductView>, StoreError>;
    /// `None` for an unknown product; else the jobs that carry the change to Bitrix. MUST record
    /// who made it.
    async fn set_availability(
        &self,
        id: &CrmId,
        stock_code: &str,
        actor: &Actor,
    ) -> Result<Option<Vec<JobId>>, StoreError>;
    async fn sync_status(&self) -> Result<SyncStatus, StoreError>;
    /// The newest dead letters, at most `limit`.
    async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>, StoreError>;
    /// Puts one dead job (or all) back in line with a fresh attempt count, recording who did it;
    /// a job that is not dead is left alone. Returns the jobs put back.
    async fn replay_dead_letters(&self, job: Option<&JobId>, actor: &Actor) -> Result<Vec<JobId>, StoreError>;
    /// The order card: the order and everything that happened to it, in one call.
    async fn order_page(&self, id: &CrmId) -> Result<Option<OrderPage>, StoreError>;
    /// The slots and the orders to deliver on `date`, in one call.
    async fn day_orders(&self, date: chrono::NaiveDate) -> Result<DayOrders, StoreError>;
    /// A page of orders and the shops to filter by, in one call.
    async fn orders_page(&self, filter: &OrderFilter) -> Result<(Vec<OrderView>, Reference), StoreError>;
    /// What the new order form offers: slots, cities, shops and the catalogue.
    async fn order_form(&self) -> Result<Reference, StoreError>;
    /// Every flow's health and the newest dead letters, in one call.
    async fn sync_page(&self, limit: u32) -> Result<SyncPage, StoreError>;
    /// The days from `from` to `to`, each with its orders and revenue (`not_revenue` as for the
    /// summary).
    async fn daily_report(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        not_revenue: &[&str],
    ) -> Result<Vec<ReportDay>, StoreError>;
}

/// What the store answered to a login attempt, before any password is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginAttempt {
    /// Too many recent failures in `scope`: refused until `until`, no password is checked.
    Locked { until: chrono::DateTime<chrono::Utc>, scope: crate::domain::staff_login::LockScope },
    /// The attempt is counted as a failure already (a right password takes it back).
    Counted {
        attempt: i64,
        /// The account and its password hash, when the login has one (and it is not disabled).
        account: Option<(Staff, String)>,
        /// Failures still allowed after this one before a lock (0: this one locks on failure).
        remaining: u32,
    },
}

/// A session to start for a right password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub staff_id: CrmId,
    pub session_id: String,
    pub lifetime: Duration,
}

/// Staff accounts and sessions.
pub trait StaffStore {
    /// MUST compare the recent failures of `login` from `network` (and of each alone) with
    /// `limits` and count this attempt as a failure in one atomic step, so that parallel
    /// attempts never pass more than the limits; MUST forget failures older than a day, of
    /// every login.
    async fn login_attempt(
        &self,
        login: &str,
        network: &str,
        limits: &crate::domain::staff_login::LoginLimits,
    ) -> Result<LoginAttempt, StoreError>;
    /// MUST start the session, take back the attempt's failure and the login's other failures
    /// from the same network, and remember the network as one the login opens from.
    async fn login_succeeded(&self, attempt: i64, network: &str, session: &NewSession) -> Result<(), StoreError>;
    /// The staff member of a live session (not ended, not expired, account not disabled).
    async fn session(&self, session_id: &str) -> Result<Option<Staff>, StoreError>;
    /// MUST end the session so that its cookie opens nothing anymore.
    async fn logout(&self, session_id: &str) -> Result<(), StoreError>;
}

/// The shop's people at work: staff accounts run from the owner's page, the couriers of orders,
/// the bouquet's photo.
pub trait TeamStore {
    /// `None` for an unknown order. MUST record the photo (already in the photo store), mark the
    /// bouquet assembled, record who did it and add the chat's job, in one transaction; the
    /// photo the order already has changes nothing (`changed: false`, no job).
    async fn attach_photo(
        &self,
        order: &CrmId,
        photo: &crate::domain::views::PhotoView,
        actor: &Actor,
    ) -> Result<Option<StatusChange>, StoreError>;
    /// `None` for an unknown order, `Some(false)` when it already has this photo. MUST record
    /// the courier's handover photo (already in the photo store) with who took it.
    async fn attach_handover_photo(
        &self,
        order: &CrmId,
        photo: &crate::domain::views::PhotoView,
        actor: &Actor,
    ) -> Result<Option<bool>, StoreError>;
    /// `None` for an unknown order. MUST make the order's one live link with `token` and add the
    /// job that writes it to Bitrix, or answer the live link there is (`made: false`, no job).
    async fn make_track_link(
        &self,
        order: &CrmId,
        token: &str,
        actor: &Actor,
    ) -> Result<Option<crate::app::changes::TrackLinkMade>, StoreError>;
    /// `None` for an unknown order. MUST revoke the live link (its page then answers 404) and
    /// add the job that clears it in Bitrix; `revoked: false` when there is none.
    async fn revoke_track_link(
        &self,
        order: &CrmId,
        actor: &Actor,
    ) -> Result<Option<crate::app::changes::TrackLinkRevoked>, StoreError>;
    /// What the buyer's page shows for a live link's token; `None` for an unknown or revoked one.
    async fn track_page(&self, token: &str) -> Result<Option<crate::domain::track::TrackView>, StoreError>;
    /// The active couriers, by name.
    async fn couriers(&self) -> Result<Vec<crate::domain::views::Courier>, StoreError>;
    /// MUST refuse an account that is not an active courier (`not_a_courier`, nothing changed);
    /// MUST record each order whose courier changed with who changed it, in one transaction;
    /// a slot's closed orders (delivered, refused) keep theirs.
    async fn set_courier(
        &self,
        target: &crate::app::changes::CourierTarget,
        courier: Option<&CrmId>,
        actor: &Actor,
    ) -> Result<crate::app::changes::CourierSet, StoreError>;
    /// Every account, with its failed logins within `window`.
    async fn staff_list(
        &self,
        window: std::time::Duration,
    ) -> Result<Vec<crate::domain::views::StaffAccount>, StoreError>;
    /// The newest changes to accounts, at most `limit`.
    async fn staff_changes(&self, limit: u32) -> Result<Vec<crate::domain::views::StaffChangeEntry>, StoreError>;
    /// MUST make the change and record it with who made it in one transaction; disabling an
    /// account and a new password MUST end its sessions.
    async fn change_staff(
        &self,
        staff: Option<&CrmId>,
        change: &crate::app::changes::AccountChange,
        actor: &Actor,
    ) -> Result<crate::app::changes::AccountOutcome, StoreError>;
}

/// The Bitrix PHP gateway.
pub trait BitrixGateway {
    /// MUST send `idempotency_key` with the call so that the gateway can drop a repeat.
    async fn call(&self, request: &GatewayRequest, idempotency_key: &str) -> Result<Value, Failure>;
}

/// The shop's Telegram chat.
pub trait Notifier {
    /// MUST deliver the message to the shop's chat (rendered by the adapter), or say why not.
    async fn send(&self, message: &ChatMessage<'_>) -> Result<(), Failure>;
}

/// A message for the shop's chat: what it says, never its text (`telegram::render_message`
/// writes that).
#[derive(Debug, Clone, Copy)]
pub enum ChatMessage<'a> {
    Order {
        order: &'a OrderView,
        occasion: crate::domain::jobs::Occasion,
        crm_url: &'a str,
    },
    DailySummary {
        summary: &'a crate::domain::views::DaySummary,
        reconciliation: Option<&'a Reconciliation>,
    },
    Reconciliation(&'a Reconciliation),
    Backfill(&'a crate::domain::jobs::BackfillLoad),
    /// Several order messages at once, in the order they were due.
    Digest {
        entries: &'a [(OrderView, crate::domain::jobs::Occasion)],
        crm_url: &'a str,
    },
    /// The bouquet's photo with a caption; the adapter reads its bytes from the photo store.
    Photo {
        order: &'a OrderView,
        photo: &'a crate::domain::views::PhotoView,
        crm_url: &'a str,
    },
}

/// Photos people upload, in R2 (`PHOTOS`): bytes by key.
pub trait PhotoStore {
    /// MUST keep the bytes under `key` with their content type; the same key again is the same
    /// bytes (a key names its bytes), so a repeat may overwrite.
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError>;
    /// The bytes under `key`, `None` when there are none.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_error_logs_its_whole_cause_chain() {
        let answer: Cause = Arc::new(StoreAnswer { status: 503, body: "no connection to the server".into() });
        let error = StoreError::unavailable("apply_bitrix_order_event", answer);
        assert_eq!(
            cause_chain(&error),
            "store unavailable: apply_bitrix_order_event: HTTP 503: no connection to the server"
        );
        assert_eq!(cause_chain(&StoreError::rejected("ping", None)), "store refused the request: ping");
    }
}
