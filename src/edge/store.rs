//! The store ports (`OrderStore`, `JobStore`, `ReconcileStore`, `CrmStore`, `StaffStore`) on Supabase's PostgREST, through the
//! `postgrest` crate (reqwest over the Worker's fetch). Each call is one SQL function; what it
//! answers is read into core's types here, and a failure keeps its cause.

use std::sync::Arc;
use std::time::Duration;

use postgrest::Postgrest;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::app::crm_input::{Actor, NewOrder, OrderFilter, Page, Problem, ProductFilter, RequestKey, Search};
use crate::app::ports::{
    CrmStore, JobEnd, JobStore, LoginAttempt, NewSession, OrderCreation, OrderStore, ProductAvailability,
    ReconcileStore, StaffStore, StatusChange, StoreAnswer, StoreError,
};
use crate::domain::apply::{Applied, ApplyCommand};
use crate::domain::ids::{CrmId, JobId};
use crate::domain::jobs::{JobKind, JobRow, NewJob};
use crate::domain::order::OrderEvent;
use crate::domain::reconciliation::{CrmRow, ReconcilePeriod, Reconciliation, RunId, RunOutcome, Trigger};
use crate::domain::retry::is_transient_status;
use crate::domain::staff_login::{LockScope, LoginLimits};
use crate::domain::status::CrmStatus;
use crate::domain::text::quote;
use crate::domain::views::{
    DayOrders, DaySummary, DeadLetter, OrderPage, OrderView, ProductView, Reference, ReportDay, Staff, Stock, SyncPage,
    SyncStatus,
};

/// PostgREST with the service key as both `apikey` and bearer token, as hosted Supabase wants.
pub struct PostgrestStore {
    client: Postgrest,
    /// Sent as `X-Correlation-Id` with every call: the jobs a call creates keep it
    /// (`sync_jobs.correlation_id`), so one id follows a request to its jobs' log lines.
    correlation: Option<String>,
}

/// The header PostgREST hands to SQL as `request.headers`.
pub const CORRELATION_HEADER: &str = "X-Correlation-Id";

/// Sends a PostgREST request: 2xx gives its body; a transport error or a transient status
/// (`core::retry::is_transient_status`) is `Unavailable`; any other status is `Rejected`.
async fn send(request: postgrest::Builder, what: &str, correlation: Option<&str>) -> Result<String, StoreError> {
    let mut request = request.build();
    if let Some(id) = correlation {
        request = request.header(CORRELATION_HEADER, id);
    }
    let response = request.send().await.map_err(|e| StoreError::unavailable(what, Some(Arc::new(e) as _)))?;
    let status = response.status().as_u16();
    let body = response
        .text()
        .await
        .map_err(|e| StoreError::unavailable(format!("{what}: reading the answer"), Some(Arc::new(e) as _)))?;
    if (200..300).contains(&status) {
        return Ok(body);
    }
    let answer = Some(Arc::new(StoreAnswer { status, body: quote(&body) }) as _);
    if is_transient_status(status) {
        Err(StoreError::unavailable(what, answer))
    } else {
        Err(StoreError::rejected(what, answer))
    }
}

/// Reads a function's JSON answer into `T`; `null` (or a `void` function's empty body) is `None`.
fn read<T: DeserializeOwned>(body: &str, what: &str) -> Result<Option<T>, StoreError> {
    if body.trim().is_empty() || body.trim() == "null" {
        return Ok(None);
    }
    serde_json::from_str(body)
        .map(Some)
        .map_err(|e| StoreError::rejected(format!("{what}: unexpected answer {}", quote(body)), Some(Arc::new(e) as _)))
}

fn page_json(page: Page) -> Value {
    json!({"limit": page.limit, "offset": page.offset})
}

fn search_json(search: Option<&Search>) -> Value {
    match search {
        Some(search) => json!({"q": search.text, "q_like": search.like_pattern(), "q_digits": search.digits}),
        None => json!({}),
    }
}

fn merged(parts: &[Value]) -> Value {
    let mut all = serde_json::Map::new();
    for part in parts {
        if let Value::Object(fields) = part {
            all.extend(fields.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    Value::Object(all)
}

impl PostgrestStore {
    #[must_use]
    pub fn new(base_url: &str, service_key: &str) -> Self {
        let client = Postgrest::new(base_url)
            .insert_header("apikey", service_key)
            .insert_header("Authorization", format!("Bearer {service_key}"));
        PostgrestStore { client, correlation: None }
    }

    /// The same store, its calls carrying `id` as their correlation id.
    #[must_use]
    pub fn correlated(mut self, id: &str) -> Self {
        self.correlation = Some(id.to_owned());
        self
    }

    /// The correlation id its calls carry.
    #[must_use]
    pub fn correlation(&self) -> Option<&str> {
        self.correlation.as_deref()
    }

    /// Calls a SQL function with named arguments and reads its answer.
    async fn call<T: DeserializeOwned>(&self, function: &str, arguments: &Value) -> Result<Option<T>, StoreError> {
        self.call_as(function, arguments, self.correlation.as_deref()).await
    }

    /// As `call`, with this correlation id.
    async fn call_as<T: DeserializeOwned>(
        &self,
        function: &str,
        arguments: &Value,
        correlation: Option<&str>,
    ) -> Result<Option<T>, StoreError> {
        let body = send(self.client.rpc(function, arguments.to_string()), function, correlation).await?;
        read(&body, function)
    }

    /// As `call`, for a function that always answers.
    async fn call_some<T: DeserializeOwned>(&self, function: &str, arguments: &Value) -> Result<T, StoreError> {
        self.call(function, arguments)
            .await?
            .ok_or_else(|| StoreError::rejected(format!("{function}: answered null"), None))
    }
}

impl OrderStore for PostgrestStore {
    async fn apply_order_event(&self, event: &OrderEvent) -> Result<Applied, StoreError> {
        // The webhook's event key is its correlation id: its jobs carry it.
        let arguments = json!({ "command": ApplyCommand::for_event(event) });
        self.call_as("apply_bitrix_order_event", &arguments, Some(&event.event_key))
            .await?
            .ok_or_else(|| StoreError::rejected("apply_bitrix_order_event: answered null", None))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        send(self.client.from("orders").select("id").limit(1), "ping", None).await.map(|_| ())
    }
}

impl ReconcileStore for PostgrestStore {
    async fn start_reconciliation(
        &self,
        trigger: Trigger,
        day: chrono::NaiveDate,
        period: ReconcilePeriod,
    ) -> Result<Option<RunId>, StoreError> {
        let arguments = json!({"p_trigger": trigger.as_str(), "p_day": day, "p_from": period.from, "p_to": period.to});
        self.call("start_reconciliation", &arguments).await
    }

    async fn reconcile_rows(&self, bitrix_order_ids: &[u64]) -> Result<Vec<CrmRow>, StoreError> {
        self.call_some("reconcile_rows", &json!({"p_ids": bitrix_order_ids})).await
    }

    async fn finish_reconciliation(&self, id: &RunId, outcome: &RunOutcome) -> Result<Vec<JobId>, StoreError> {
        let jobs = JobKind::templates(&[("reconciliation_message", JobKind::ReconciliationMessage)]);
        self.call_some("finish_reconciliation", &json!({"p_id": id, "p_outcome": outcome, "p_jobs": jobs})).await
    }

    async fn reconciliation(&self, id: Option<&RunId>) -> Result<Option<Reconciliation>, StoreError> {
        self.call("reconciliation_view", &json!({"p_id": id, "p_details": id.is_some()})).await
    }
}

impl JobStore for PostgrestStore {
    async fn claim_job(&self, job_id: &JobId, lease: Duration) -> Result<Option<JobRow>, StoreError> {
        self.call("claim_sync_job", &json!({"p_job_id": job_id, "p_lease_seconds": lease.as_secs()})).await
    }

    async fn finish_job(&self, job_id: &JobId, end: &JobEnd) -> Result<(), StoreError> {
        let (status, error, retry_in, result) = match end {
            JobEnd::Done { result } => ("done", None, None, result.clone()),
            JobEnd::Skipped { reason } => ("skipped", Some(reason.clone()), None, None),
            JobEnd::Held { reason, recheck_in } => ("held", Some(reason.clone()), Some(recheck_in.as_secs()), None),
            JobEnd::Retrying { error, delay } => ("retrying", Some(error.clone()), Some(delay.as_secs()), None),
            JobEnd::Dead { error } => ("dead", Some(error.clone()), None, None),
        };
        let arguments = json!({"p_job_id": job_id, "p_status": status, "p_error": error,
                               "p_retry_in_seconds": retry_in, "p_result": result});
        self.call::<Value>("finish_sync_job", &arguments).await.map(|_| ())
    }

    async fn order_view(&self, order_id: &CrmId) -> Result<Option<OrderView>, StoreError> {
        self.call("order_view", &json!({"p_order_id": order_id})).await
    }

    async fn product_availability(&self, product_id: &CrmId) -> Result<Option<ProductAvailability>, StoreError> {
        let product: Option<ProductView> = self.call("product_view", &json!({"p_product_id": product_id})).await?;
        Ok(product.map(|product| ProductAvailability {
            bitrix_product_id: product.bitrix_product_id,
            in_stock: product.stock == Stock::InStock,
        }))
    }

    async fn record_dead_webhook(
        &self,
        event_key: &str,
        body: &Value,
        error: &str,
        attempts: u32,
    ) -> Result<(), StoreError> {
        let arguments = json!({"p_event_key": event_key, "p_body": body, "p_error": error, "p_attempts": attempts});
        self.call::<Value>("record_dead_webhook", &arguments).await.map(|_| ())
    }

    async fn due_jobs(&self, limit: u32) -> Result<Vec<JobId>, StoreError> {
        Ok(self.call("due_sync_jobs", &json!({"p_limit": limit})).await?.unwrap_or_default())
    }

    async fn add_jobs(&self, jobs: &[NewJob]) -> Result<Vec<JobId>, StoreError> {
        Ok(self.call("add_sync_jobs", &json!({"p_jobs": jobs})).await?.unwrap_or_default())
    }

    async fn risk_candidates(&self, day: chrono::NaiveDate, statuses: &[&str]) -> Result<DayOrders, StoreError> {
        self.call_some("day_board", &json!({"p_date": day, "p_statuses": statuses})).await
    }

    async fn daily_summary(
        &self,
        day: chrono::NaiveDate,
        not_revenue: &[&str],
        waiting: &[&str],
    ) -> Result<DaySummary, StoreError> {
        let arguments = json!({"p_date": day, "p_offset_seconds": crate::domain::clock::ALMATY_OFFSET_SECONDS,
                               "p_not_revenue": not_revenue, "p_waiting": waiting});
        self.call_some("daily_summary", &arguments).await
    }
}

/// `crm_create_order`'s answer.
#[derive(serde::Deserialize)]
struct CreateAnswer {
    order_id: Option<CrmId>,
    #[serde(default)]
    jobs: Vec<JobId>,
    #[serde(default)]
    replayed: bool,
    problems: Option<Vec<Problem>>,
}

#[derive(serde::Deserialize)]
struct JobsAnswer {
    #[serde(default)]
    jobs: Vec<JobId>,
}

#[derive(serde::Deserialize)]
struct StatusAnswer {
    changed: bool,
    #[serde(default)]
    jobs: Vec<JobId>,
}

/// An order filter as `order_views` reads it.
fn order_filter(filter: &OrderFilter) -> Value {
    merged(&[
        page_json(filter.page),
        json!({"status": filter.status.map(CrmStatus::as_str), "date": filter.date, "shop": filter.shop,
               "origin": filter.origin}),
        search_json(filter.search.as_ref()),
    ])
}

impl CrmStore for PostgrestStore {
    async fn orders(&self, filter: &OrderFilter) -> Result<Vec<OrderView>, StoreError> {
        self.call_some("order_views", &json!({ "p_filter": order_filter(filter) })).await
    }

    async fn order(&self, id: &CrmId) -> Result<Option<OrderView>, StoreError> {
        self.order_view(id).await
    }

    async fn create_order(
        &self,
        order: &NewOrder,
        key: Option<&RequestKey>,
        echo_window: Duration,
        actor: &Actor,
    ) -> Result<OrderCreation, StoreError> {
        let echo = echo_window.as_secs();
        let jobs = JobKind::templates(&[
            ("create_bitrix_order", JobKind::CreateBitrixOrder),
            ("new_order_message", JobKind::NewOrderMessage),
        ]);
        let arguments = json!({"p_order": order.command(), "p_request_key": key, "p_echo_seconds": echo,
                               "p_actor": actor, "p_jobs": jobs});
        let answer: CreateAnswer = self.call_some("crm_create_order", &arguments).await?;
        if let Some(problems) = answer.problems {
            return Ok(OrderCreation::UnknownProducts(problems));
        }
        let order_id =
            answer.order_id.ok_or_else(|| StoreError::rejected("crm_create_order: answered no order id", None))?;
        Ok(if answer.replayed {
            OrderCreation::Replayed { order_id }
        } else {
            OrderCreation::Created { order_id, jobs: answer.jobs }
        })
    }

    async fn set_order_status(
        &self,
        id: &CrmId,
        status: CrmStatus,
        echo_window: Duration,
        actor: &Actor,
    ) -> Result<Option<StatusChange>, StoreError> {
        let code = status.to_bitrix().map(|c| c.as_str().to_owned());
        let jobs = JobKind::templates(&[
            ("set_bitrix_status", JobKind::SetBitrixStatus),
            ("crm_status_message", JobKind::CrmStatusMessage),
        ]);
        let arguments = json!({"p_order_id": id, "p_status": status.as_str(), "p_status_raw": code,
                               "p_echo_seconds": echo_window.as_secs(), "p_actor": actor, "p_jobs": jobs});
        let answer: Option<StatusAnswer> = self.call("crm_set_order_status", &arguments).await?;
        Ok(answer.map(|a| StatusChange { changed: a.changed, jobs: a.jobs }))
    }

    async fn products(&self, filter: &ProductFilter) -> Result<Vec<ProductView>, StoreError> {
        let stock = filter.available.map(Stock::code_for);
        let p_filter = merged(&[page_json(filter.page), json!({"stock": stock}), search_json(filter.search.as_ref())]);
        self.call_some("product_views", &json!({ "p_filter": p_filter })).await
    }

    async fn product(&self, id: &CrmId) -> Result<Option<ProductView>, StoreError> {
        self.call("product_view", &json!({"p_product_id": id})).await
    }

    async fn set_availability(
        &self,
        id: &CrmId,
        stock_code: &str,
        actor: &Actor,
    ) -> Result<Option<Vec<JobId>>, StoreError> {
        let jobs = JobKind::templates(&[("set_availability", JobKind::SetAvailability)]);
        let arguments = json!({"p_product_id": id, "p_stock_code": stock_code, "p_actor": actor, "p_jobs": jobs});
        let answer: Option<JobsAnswer> = self.call("crm_set_product_availability", &arguments).await?;
        Ok(answer.map(|a| a.jobs))
    }

    async fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        self.call_some("sync_status", &json!({})).await
    }

    async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>, StoreError> {
        self.call_some("dead_letters", &json!({"p_limit": limit})).await
    }

    async fn replay_dead_letters(&self, job: Option<&JobId>, actor: &Actor) -> Result<Vec<JobId>, StoreError> {
        Ok(self.call("replay_dead_jobs", &json!({"p_job_id": job, "p_actor": actor})).await?.unwrap_or_default())
    }

    async fn order_page(&self, id: &CrmId) -> Result<Option<OrderPage>, StoreError> {
        self.call("order_page", &json!({"p_order_id": id})).await
    }

    async fn day_orders(&self, date: chrono::NaiveDate) -> Result<DayOrders, StoreError> {
        self.call_some("day_board", &json!({"p_date": date})).await
    }

    async fn orders_page(&self, filter: &OrderFilter) -> Result<(Vec<OrderView>, Reference), StoreError> {
        #[derive(serde::Deserialize)]
        struct Answer {
            orders: Vec<OrderView>,
            reference: Reference,
        }
        let answer: Answer = self.call_some("orders_page", &json!({ "p_filter": order_filter(filter) })).await?;
        Ok((answer.orders, answer.reference))
    }

    async fn order_form(&self) -> Result<Reference, StoreError> {
        self.call_some("order_form", &json!({})).await
    }

    async fn sync_page(&self, limit: u32) -> Result<SyncPage, StoreError> {
        self.call_some("sync_page", &json!({"p_limit": limit})).await
    }

    async fn daily_report(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        not_revenue: &[&str],
    ) -> Result<Vec<ReportDay>, StoreError> {
        let arguments = json!({"p_from": from, "p_to": to, "p_offset_seconds": crate::domain::clock::ALMATY_OFFSET_SECONDS,
                               "p_not_revenue": not_revenue});
        self.call_some("daily_report", &arguments).await
    }
}

/// `staff_login_attempt`'s answer.
#[derive(serde::Deserialize)]
struct AttemptAnswer {
    locked_until: Option<chrono::DateTime<chrono::Utc>>,
    scope: Option<LockScope>,
    attempt: Option<i64>,
    staff: Option<LoginAccount>,
    #[serde(default)]
    remaining: u32,
}

#[derive(serde::Deserialize)]
struct LoginAccount {
    #[serde(flatten)]
    staff: Staff,
    password_hash: String,
}

impl StaffStore for PostgrestStore {
    async fn login_attempt(
        &self,
        login: &str,
        network: &str,
        limits: &LoginLimits,
    ) -> Result<LoginAttempt, StoreError> {
        let arguments = json!({"p_login": login, "p_network": network, "p_limits": {
            "window_seconds": limits.window.as_secs(), "per_login_and_network": limits.per_login_and_network,
            "per_network": limits.per_network, "per_login": limits.per_login,
            "lock_seconds": limits.lock.as_secs(), "trusted_seconds": limits.trusted_for.as_secs()}});
        let answer: AttemptAnswer = self.call_some("staff_login_attempt", &arguments).await?;
        Ok(match (answer.locked_until, answer.attempt) {
            (Some(until), _) => {
                LoginAttempt::Locked { until, scope: answer.scope.unwrap_or(LockScope::LoginFromNetwork) }
            }
            (None, Some(attempt)) => LoginAttempt::Counted {
                attempt,
                account: answer.staff.map(|a| (a.staff, a.password_hash)),
                remaining: answer.remaining,
            },
            (None, None) => {
                return Err(StoreError::rejected("staff_login_attempt answered neither a lock nor an attempt", None))
            }
        })
    }

    async fn login_succeeded(&self, attempt: i64, network: &str, session: &NewSession) -> Result<(), StoreError> {
        let arguments = json!({"p_attempt": attempt, "p_network": network, "p_staff_id": session.staff_id,
                               "p_session_id": session.session_id, "p_lifetime_seconds": session.lifetime.as_secs()});
        self.call::<Value>("staff_login_succeeded", &arguments).await.map(|_| ())
    }

    async fn session(&self, session_id: &str) -> Result<Option<Staff>, StoreError> {
        self.call("staff_session", &json!({"p_session_id": session_id})).await
    }

    async fn logout(&self, session_id: &str) -> Result<(), StoreError> {
        self.call::<Value>("staff_logout", &json!({"p_session_id": session_id})).await.map(|_| ())
    }
}
