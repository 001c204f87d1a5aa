//! The CRM's operations over its ports, as `service.rs` is for webhooks: each takes typed input,
//! makes one store call, hands the jobs it caused to the queue and returns a typed result. The
//! CRM API (`serve`) reads its input into these types and answers with `api`; the staff pages
//! will call the same operations.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::api::{self, Answer};
use super::crm::{
    parse_order_filter, parse_period, parse_period_within, parse_product_filter, parse_status_change, Actor,
    NewOrderInput, OrderFilter, Period, Problem, ProductFilter, RequestKey,
};
use super::ids::{CrmId, JobId};
use super::jobs::{echo_window, Switches};
use super::log::LogLine;
use super::ports::{
    cause_chain, BitrixGateway, CrmStore, JobQueue, JobStore, OrderCreation, ReconcileStore, StatusChange, StoreError,
};
use super::reconcile::{ReconcilePeriod, Reconciliation, Trigger, MAX_PERIOD_DAYS, RECONCILE_DAYS};
use super::reconciler::{reconcile, ReconcileRun};
use super::routes::{ApiRoute, Record};
use super::runner::{enqueue_jobs, run_daily_summary, run_delivery_risk, sweep, DayRun};
use super::status::CrmStatus;
use super::text::remove_nul;
use super::views::{
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
        match self.store.create_order(&order, key, actor).await? {
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
        super::human::shop_day(&self.now)
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
        Ok(self.store.daily_report(period.from, period.to, &super::ops::not_revenue()).await?)
    }
}

/// A CRM API request as the edge read it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiInput<'a> {
    /// The query string's pairs, decoded.
    pub query: &'a [(String, String)],
    /// The body's bytes (empty when there is none).
    pub body: &'a [u8],
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<&'a str>,
}

/// An answer, and the log lines the request left.
#[derive(Debug)]
pub struct Served {
    pub answer: Answer,
    pub logs: Vec<LogLine>,
}

/// Reads a JSON body: at most [`MAX_BODY_BYTES`], valid JSON, U+0000 removed (and logged).
///
/// # Errors
/// [`CrmError::TooLarge`] or [`CrmError::InvalidJson`].
pub fn read_body(body: &[u8], logs: &mut Vec<LogLine>) -> Result<Value, CrmError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(CrmError::TooLarge { size: body.len() });
    }
    let mut json: Value = serde_json::from_slice(body).map_err(|e| CrmError::InvalidJson(e.to_string()))?;
    let cleaned = remove_nul(&mut json);
    if !cleaned.is_clean() {
        logs.push(
            LogLine::new("warn", "input.cleaned")
                .with("source", "crm_api")
                .with("removed_nul", cleaned.removed)
                .with("fields", cleaned.paths),
        );
    }
    Ok(json)
}

impl<S: CrmStore + JobStore + ReconcileStore, Q: JobQueue, G: BitrixGateway> Crm<'_, S, Q, G> {
    /// Serves one CRM API route: (1) read the input into typed values, (2) one operation,
    /// (3) the answer, with the log lines to write.
    pub async fn serve(&self, route: &ApiRoute, input: ApiInput<'_>) -> Served {
        let mut logs = Vec::new();
        let answer = match self.answer(route, input, &mut logs).await {
            Ok(answer) => answer,
            Err(error) => {
                if let CrmError::Store(store) = &error {
                    logs.push(LogLine::new("error", "crm_api.store_failed").with("reason", cause_chain(store)));
                }
                api::crm_refused(&error)
            }
        };
        Served { answer, logs }
    }

    async fn answer(&self, route: &ApiRoute, input: ApiInput<'_>, logs: &mut Vec<LogLine>) -> Result<Answer, CrmError> {
        Ok(match route {
            ApiRoute::ListOrders => {
                let filter = parse_order_filter(input.query).map_err(CrmError::Invalid)?;
                api::order_list(&self.orders(&filter).await?, filter.page)
            }
            ApiRoute::Order(id) => api::order(&self.order(id).await?),
            ApiRoute::CreateOrder => {
                let key = RequestKey::parse(input.idempotency_key).map_err(|p| CrmError::Invalid(vec![p]))?;
                let body = read_body(input.body, logs)?;
                let order = serde_json::from_value::<NewOrderInput>(body).map_err(|e| {
                    CrmError::Invalid(vec![Problem {
                        field: "body".into(),
                        message: format!("Неверная структура заказа: {}", super::text::quote(&e.to_string())),
                    }])
                })?;
                let created = self.create_order(&order, key.as_ref(), &Actor::api()).await?;
                logs.push(
                    LogLine::new("info", "crm_api.order_created")
                        .with("order_id", created.order_id.as_str())
                        .with("replayed", created.replayed),
                );
                api::order_created(&created)
            }
            ApiRoute::SetOrderStatus(id) => {
                let body = read_body(input.body, logs)?;
                let status = parse_status_change(&body).map_err(|p| CrmError::Invalid(vec![p]))?;
                let change = self.set_status(id, status, &Actor::api()).await?;
                logs.push(
                    LogLine::new("info", "crm_api.status_set")
                        .with("order_id", id.as_str())
                        .with("status", status.as_str())
                        .with("changed", change.changed),
                );
                api::status_set(change.changed, status)
            }
            ApiRoute::ListProducts => {
                let filter = parse_product_filter(input.query).map_err(CrmError::Invalid)?;
                api::product_list(&self.products(&filter).await?, filter.page)
            }
            ApiRoute::Product(id) => api::product(&self.product(id).await?),
            ApiRoute::SetAvailability(id, available) => {
                self.set_availability(id, *available, &Actor::api()).await?;
                logs.push(
                    LogLine::new("info", "crm_api.availability_set")
                        .with("product_id", id.as_str())
                        .with("available", *available),
                );
                api::availability_set(*available)
            }
            ApiRoute::SyncStatus => api::sync_status(
                &self.sync_status().await?,
                self.switches,
                self.newest_reconciliation().await?.as_ref(),
            ),
            ApiRoute::DeadLetters => api::dead_letters(&self.dead_letters().await?),
            ApiRoute::ReplayAllDeadLetters | ApiRoute::ReplayDeadLetter(_) => {
                let job = match route {
                    ApiRoute::ReplayDeadLetter(job) => Some(job),
                    _ => None,
                };
                let replayed = self.replay(job, &Actor::api()).await?;
                logs.push(LogLine::new("info", "crm_api.dead_letters_replayed").with("jobs", replayed.len()));
                api::dead_letters_replayed(&replayed)
            }
            ApiRoute::RunSweep => api::swept(self.sweep().await?),
            ApiRoute::RunDeliveryRisk => {
                let run = self.run_delivery_risk().await?;
                logs.push(LogLine::new("info", "ops.delivery_risk").with("due", run.due).with("sent", run.created));
                api::delivery_risk_run(run)
            }
            ApiRoute::RunDailySummary => {
                let run = self.run_daily_summary().await?;
                logs.push(LogLine::new("info", "ops.daily_summary").with("sent", run.created));
                api::daily_summary_run(run, self.today())
            }
            ApiRoute::RunReconcile => {
                let period = parse_period_within(input.query, self.today(), RECONCILE_DAYS, MAX_PERIOD_DAYS)
                    .map_err(CrmError::Invalid)?;
                let run = self.reconcile(ReconcilePeriod { from: period.from, to: period.to }).await?;
                if let ReconcileRun::Ran { id, outcome, .. } = &run {
                    logs.push(
                        LogLine::new(if outcome.error.is_some() { "error" } else { "info" }, "ops.reconciliation")
                            .with("run", id.as_str())
                            .with("bitrix_orders", outcome.bitrix_orders)
                            .with("drift", outcome.drift())
                            .with("resent", outcome.resent)
                            .with("error", outcome.error.clone()),
                    );
                }
                api::reconciliation_run(&run)
            }
            ApiRoute::DailyReport => {
                let period = parse_period(input.query, self.today()).map_err(CrmError::Invalid)?;
                api::daily_report(period, &self.daily_report(period).await?)
            }
        })
    }
}

#[cfg(test)]
mod tests;
