//! The CRM API's requests (`/api/...`): the query and body read into typed values, one CRM
//! operation of `crm_service`, and its answer from `api`. Not the operations themselves, nor
//! the token check (the edge does it before the route is served).

use serde_json::Value;

use crate::app::crm::{Crm, CrmError, MAX_BODY_BYTES};
use crate::app::crm_input::{
    parse_order_filter, parse_period, parse_period_within, parse_product_filter, parse_status_change, Actor,
    NewOrderInput, Problem, RequestKey,
};
use crate::app::ports::{
    cause_chain, BitrixGateway, CatalogStore, CrmStore, JobQueue, JobStore, ReconcileStore, ReferenceStore,
};
use crate::app::reconciliation_run::ReconcileRun;
use crate::domain::log::LogLine;
use crate::domain::reconciliation::{ReconcilePeriod, MAX_PERIOD_DAYS, RECONCILE_DAYS};
use crate::domain::text::remove_nul;
use crate::web::answers::{self, Answer};
use crate::web::routes::ApiRoute;

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

impl<S: CrmStore + JobStore + ReconcileStore + ReferenceStore + CatalogStore, Q: JobQueue, G: BitrixGateway>
    Crm<'_, S, Q, G>
{
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
                answers::crm_refused(&error)
            }
        };
        Served { answer, logs }
    }

    async fn answer(&self, route: &ApiRoute, input: ApiInput<'_>, logs: &mut Vec<LogLine>) -> Result<Answer, CrmError> {
        Ok(match route {
            ApiRoute::ListOrders => {
                let filter = parse_order_filter(input.query).map_err(CrmError::Invalid)?;
                answers::order_list(&self.orders(&filter).await?, filter.page)
            }
            ApiRoute::Order(id) => answers::order(&self.order(id).await?),
            ApiRoute::CreateOrder => {
                let key = RequestKey::parse(input.idempotency_key).map_err(|p| CrmError::Invalid(vec![p]))?;
                let body = read_body(input.body, logs)?;
                let order = serde_json::from_value::<NewOrderInput>(body).map_err(|e| {
                    CrmError::Invalid(vec![Problem {
                        field: "body".into(),
                        message: format!("Неверная структура заказа: {}", crate::domain::text::quote(&e.to_string())),
                    }])
                })?;
                let created = self.create_order(&order, key.as_ref(), &Actor::api()).await?;
                logs.push(
                    LogLine::new("info", "crm_api.order_created")
                        .with("order_id", created.order_id.as_str())
                        .with("replayed", created.replayed),
                );
                answers::order_created(&created)
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
                answers::status_set(change.changed, status)
            }
            ApiRoute::ListProducts => {
                let filter = parse_product_filter(input.query).map_err(CrmError::Invalid)?;
                answers::product_list(&self.products(&filter).await?, filter.page)
            }
            ApiRoute::Product(id) => answers::product(&self.product(id).await?),
            ApiRoute::SetAvailability(id, available) => {
                self.set_availability(id, *available, &Actor::api()).await?;
                logs.push(
                    LogLine::new("info", "crm_api.availability_set")
                        .with("product_id", id.as_str())
                        .with("available", *available),
                );
                answers::availability_set(*available)
            }
            ApiRoute::SyncStatus => answers::sync_status(
                &self.sync_status().await?,
                self.switches,
                self.newest_reconciliation().await?.as_ref(),
                self.kit_outbox().await?.as_ref(),
                self.now,
            ),
            ApiRoute::DeadLetters => answers::dead_letters(&self.dead_letters().await?),
            ApiRoute::ReplayAllDeadLetters | ApiRoute::ReplayDeadLetter(_) => {
                let job = match route {
                    ApiRoute::ReplayDeadLetter(job) => Some(job),
                    _ => None,
                };
                let replayed = self.replay(job, &Actor::api()).await?;
                logs.push(LogLine::new("info", "crm_api.dead_letters_replayed").with("jobs", replayed.len()));
                answers::dead_letters_replayed(&replayed)
            }
            ApiRoute::RunSweep => answers::swept(self.sweep().await?),
            ApiRoute::RunDeliveryRisk => {
                let run = self.run_delivery_risk().await?;
                logs.push(LogLine::new("info", "ops.delivery_risk").with("due", run.due).with("sent", run.created));
                answers::delivery_risk_run(run)
            }
            ApiRoute::RunDailySummary => {
                let run = self.run_daily_summary().await?;
                logs.push(LogLine::new("info", "ops.daily_summary").with("sent", run.created));
                answers::daily_summary_run(run, self.today())
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
                answers::reconciliation_run(&run)
            }
            ApiRoute::RunCatalogLoad => {
                let run = self.load_catalog().await?;
                logs.push(answers::catalog_log(&run));
                answers::catalog_run(&run)
            }
            ApiRoute::RunReferenceRefresh => {
                let run = self.refresh_reference().await?;
                logs.push(answers::reference_log(&run));
                answers::reference_run(&run)
            }
            ApiRoute::DailyReport => {
                let period = parse_period(input.query, self.today()).map_err(CrmError::Invalid)?;
                answers::daily_report(period, &self.daily_report(period).await?)
            }
        })
    }
}
