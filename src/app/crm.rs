//! The CRM's operations over its ports, as `service.rs` is for webhooks: each takes typed input,
//! makes one store call, hands the jobs it caused to the queue and returns a typed result. The
//! CRM API (`crm_api`) and the staff pages (`desk`) read their input into these types and call
//! the same operations.

use chrono::{DateTime, Utc};

use crate::app::crm_input::{Actor, NewOrderInput, OrderFilter, Period, Problem, ProductFilter, RequestKey};
use crate::app::handoff::enqueue_jobs;
use crate::app::outbox::{run_daily_summary, run_delivery_risk, sweep, DayRun};
use crate::app::ports::{
    BitrixGateway, CrmStore, JobQueue, JobStore, OrderCreation, ReconcileStore, StatusChange, StoreError,
};
use crate::app::reconciliation_run::{reconcile, ReconcileRun};
use crate::domain::ids::{CrmId, JobId, Record};
use crate::domain::jobs::{echo_window, Switches};
use crate::domain::reconciliation::{ReconcilePeriod, Reconciliation, Trigger};
use crate::domain::status::CrmStatus;
use crate::domain::views::{
    DayOrders, DeadLetter, OrderPage, OrderView, ProductView, Reference, ReportDay, Stock, SyncPage, SyncStatus,
};

/// A CRM API body above this is refused with 413 (an order with 200 lines is about 40 KB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Why a CRM operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CrmError {
    #[error("the input has {} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    #[error("body is {size} bytes, over the limit of {MAX_BODY_BYTES}")]
    TooLarge { size: usize },
    #[error("body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("no such {0:?}")]
    NotFound(Record),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new order as the operation left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedOrder {
    pub order_id: CrmId,
    /// The request key had been used: this is the order created then, nothing was done now.
    pub replayed: bool,
}

/// The CRM's ports: its store (which also keeps the outbox) and the queue; the switches it
/// reports, the clock and the delivery-risk window of the shop's day tasks.
pub struct Crm<'a, S, Q, G> {
    pub store: &'a S,
    pub queue: &'a Q,
    /// The Bitrix gateway, for the reconciliation asked for on demand.
    pub gateway: &'a G,
    pub switches: Switches,
    pub now: DateTime<Utc>,
    /// `DELIVERY_RISK_MINUTES`.
    pub risk_window: u32,
}

impl<S: CrmStore + JobStore + ReconcileStore, Q: JobQueue, G: BitrixGateway> Crm<'_, S, Q, G> {
    pub async fn orders(&self, filter: &OrderFilter) -> Result<Vec<OrderView>, CrmError> {
        Ok(self.store.orders(filter).await?)
    }

    pub async fn order(&self, id: &CrmId) -> Result<OrderView, CrmError> {
        self.store.order(id).await?.ok_or(CrmError::NotFound(Record::Order))
    }

    /// Checks the order (every problem at once), stores it with its jobs, queues them.
    pub async fn create_order(
        &self,
        input: &NewOrderInput,
        key: Option<&RequestKey>,
        actor: &Actor,
    ) -> Result<CreatedOrder, CrmError> {
        let order = input.check().map_err(CrmError::Invalid)?;
        match self.store.create_order(&order, key, echo_window(), actor).await? {
            OrderCreation::Created { order_id, jobs } => {
                enqueue_jobs(self.queue, &jobs).await;
                Ok(CreatedOrder { order_id, replayed: false })
            }
            OrderCreation::Replayed { order_id } => Ok(CreatedOrder { order_id, replayed: true }),
            OrderCreation::UnknownProducts(problems) => Err(CrmError::Invalid(problems)),
        }
    }

    /// Sets a status the CRM can send to Bitrix; its echo is expected for [`echo_window`].
    pub async fn set_status(&self, id: &CrmId, status: CrmStatus, actor: &Actor) -> Result<StatusChange, CrmError> {
        let change = self
            .store
            .set_order_status(id, status, echo_window(), actor)
            .await?
            .ok_or(CrmError::NotFound(Record::Order))?;
        enqueue_jobs(self.queue, &change.jobs).await;
        Ok(change)
    }

    pub async fn products(&self, filter: &ProductFilter) -> Result<Vec<ProductView>, CrmError> {
        Ok(self.store.products(filter).await?)
    }

    pub async fn product(&self, id: &CrmId) -> Result<ProductView, CrmError> {
        self.store.product(id).await?.ok_or(CrmError::NotFound(Record::Product))
    }

    /// Marks a product in or out of stock and queues its sync to Bitrix.
    pub async fn set_availability(&self, id: &CrmId, available: bool, actor: &Actor) -> Result<(), CrmError> {
        let jobs = self
            .store
            .set_availability(id, Stock::code_for(available), actor)
            .await?
            .ok_or(CrmError::NotFound(Record::Product))?;
        enqueue_jobs(self.queue, &jobs).await;
        Ok(())
    }

    /// The Bitrix kit's newest outbox report.
    pub async fn kit_outbox(&self) -> Result<Option<crate::domain::kit_outbox::KitOutbox>, CrmError> {
        Ok(self.store.kit_outbox().await?)
    }

    pub async fn sync_status(&self) -> Result<SyncStatus, CrmError> {
        Ok(self.store.sync_status().await?)
    }

    /// The newest dead letters (at most 200).
    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>, CrmError> {
        Ok(self.store.dead_letters(200).await?)
    }

    /// Replays one dead letter (or all) and queues what was put back.
    pub async fn replay(&self, job: Option<&JobId>, actor: &Actor) -> Result<Vec<JobId>, CrmError> {
        let replayed = self.store.replay_dead_letters(job, actor).await?;
        enqueue_jobs(self.queue, &replayed).await;
        Ok(replayed)
    }

    /// Hands every due job to the queue now (what the cron does every minute).
    pub async fn sweep(&self) -> Result<usize, CrmError> {
        Ok(sweep(self.store, self.queue).await?)
    }

    /// The order card.
    pub async fn order_page(&self, id: &CrmId) -> Result<OrderPage, CrmError> {
        self.store.order_page(id).await?.ok_or(CrmError::NotFound(Record::Order))
    }

    /// The day's slots and orders.
    pub async fn day_orders(&self, date: chrono::NaiveDate) -> Result<DayOrders, CrmError> {
        Ok(self.store.day_orders(date).await?)
    }

    /// A page of orders, and the shops to filter by.
    pub async fn orders_page(&self, filter: &OrderFilter) -> Result<(Vec<OrderView>, Reference), CrmError> {
        Ok(self.store.orders_page(filter).await?)
    }

    /// What the new order form offers.
    pub async fn order_form(&self) -> Result<Reference, CrmError> {
        Ok(self.store.order_form().await?)
    }

    /// Every flow's health and the newest dead letters.
    pub async fn sync_page(&self) -> Result<SyncPage, CrmError> {
        Ok(self.store.sync_page(200).await?)
    }

    /// The shop's day now.
    #[must_use]
    pub fn today(&self) -> chrono::NaiveDate {
        crate::domain::clock::shop_day(&self.now)
    }

    /// The delivery-risk check now (what the cron runs every minute).
    pub async fn run_delivery_risk(&self) -> Result<DayRun, CrmError> {
        Ok(run_delivery_risk(self.store, self.queue, &self.now, self.risk_window).await?)
    }

    /// Today's summary now, unless it was sent already.
    pub async fn run_daily_summary(&self) -> Result<DayRun, CrmError> {
        Ok(run_daily_summary(self.store, self.queue, &self.now, true).await?)
    }

    /// A reconciliation with Bitrix now, for `period` (orders Bitrix created then).
    pub async fn reconcile(&self, period: ReconcilePeriod) -> Result<ReconcileRun, CrmError> {
        Ok(reconcile(self.store, self.gateway, self.queue, self.switches, Trigger::OnDemand, self.today(), period)
            .await?)
    }

    /// The newest reconciliation, without its differences.
    pub async fn newest_reconciliation(&self) -> Result<Option<Reconciliation>, CrmError> {
        Ok(self.store.reconciliation(None).await?)
    }

    /// Each day of the period: orders and revenue.
    pub async fn daily_report(&self, period: Period) -> Result<Vec<ReportDay>, CrmError> {
        Ok(self.store.daily_report(period.from, period.to, &crate::domain::ops::not_revenue()).await?)
    }
}

impl<S: crate::app::ports::CatalogStore, Q, G: BitrixGateway> Crm<'_, S, Q, G> {
    /// A load of the catalogue from Bitrix now.
    pub async fn load_catalog(&self) -> Result<crate::app::catalog_run::CatalogRun, CrmError> {
        let trigger = crate::domain::catalog::CatalogTrigger::OnDemand;
        Ok(crate::app::catalog_run::load(self.store, self.gateway, self.switches, trigger).await?)
    }
}

impl<S: crate::app::ports::ReferenceStore, Q, G: BitrixGateway> Crm<'_, S, Q, G> {
    /// A refresh of the shop's reference data from Bitrix now.
    pub async fn refresh_reference(&self) -> Result<crate::app::reference_run::RefreshRun, CrmError> {
        let trigger = crate::domain::reference::RefreshTrigger::OnDemand;
        Ok(crate::app::reference_run::refresh(self.store, self.gateway, self.switches, trigger).await?)
    }
}

#[cfg(test)]
mod tests;
