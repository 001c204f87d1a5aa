//! The store ports (`OrderStore`, `JobStore`, `ReconcileStore`, `CrmStore`, `StaffStore`) on Supabase's PostgREST, through the
//! `postgrest` crate (reqwest over the Worker's fetch). Each call is one SQL function, sent as its
//! typed descriptor (`edge::calls`); a failure keeps its cause.

use std::sync::Arc;
use std::time::Duration;

use postgrest::Postgrest;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::calls::{self, OrderQuery, ProductQuery, StoreCall};
use crate::app::crm_input::{Actor, NewOrder, OrderFilter, ProductFilter, RequestKey};
use crate::app::ports::{
    CatalogStore, CrmStore, JobEnd, JobStore, LoginAttempt, NewSession, OrderCreation, OrderStore, ProductAvailability,
    ReconcileStore, ReferenceStore, StaffStore, StatusChange, StoreAnswer, StoreError,
};
use crate::domain::apply::{Applied, ApplyCommand};
use crate::domain::catalog::{CatalogDue, CatalogOutcome, CatalogProduct, CatalogTrigger};
use crate::domain::clock::ALMATY_OFFSET_SECONDS;
use crate::domain::ids::{CrmId, JobId};
use crate::domain::jobs::{JobKind, JobRow, NewJob};
use crate::domain::order::OrderEvent;
use crate::domain::reconciliation::{CrmRow, ReconcilePeriod, Reconciliation, RunId, RunOutcome, Trigger};
use crate::domain::reference::{RefreshOutcome, RefreshTrigger, ShopReference};
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

    /// Sends one typed call and reads its answer (`None` for `null` or a `void` function).
    async fn call<C: StoreCall>(&self, call: &C) -> Result<Option<C::Answer>, StoreError> {
        self.call_as(call, self.correlation.as_deref()).await
    }

    /// As `call`, with this correlation id.
    async fn call_as<C: StoreCall>(
        &self,
        call: &C,
        correlation: Option<&str>,
    ) -> Result<Option<C::Answer>, StoreError> {
        let arguments = serde_json::to_string(call)
            .map_err(|e| StoreError::rejected(format!("{}: arguments", C::FUNCTION), Some(Arc::new(e) as _)))?;
        let body = send(self.client.rpc(C::FUNCTION, arguments), C::FUNCTION, correlation).await?;
        read(&body, C::FUNCTION)
    }

    /// As `call`, for a function that always answers.
    async fn call_some<C: StoreCall>(&self, call: &C) -> Result<C::Answer, StoreError> {
        self.call(call).await?.ok_or_else(|| StoreError::rejected(format!("{}: answered null", C::FUNCTION), None))
    }
}

impl OrderStore for PostgrestStore {
    async fn apply_order_event(&self, event: &OrderEvent) -> Result<Applied, StoreError> {
        // The webhook's event key is its correlation id: its jobs carry it.
        let call = calls::ApplyOrderEvent { command: ApplyCommand::for_event(event) };
        self.call_as(&call, Some(&event.event_key))
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
        let call = calls::StartReconciliation {
            p_trigger: trigger.as_str(),
            p_day: day,
            p_from: period.from,
            p_to: period.to,
        };
        self.call(&call).await
    }

    async fn reconcile_rows(&self, bitrix_order_ids: &[u64]) -> Result<Vec<CrmRow>, StoreError> {
        self.call_some(&calls::ReconcileRows { p_ids: bitrix_order_ids }).await
    }

    async fn finish_reconciliation(&self, id: &RunId, outcome: &RunOutcome) -> Result<Vec<JobId>, StoreError> {
        let p_jobs = JobKind::templates(&[("reconciliation_message", JobKind::ReconciliationMessage)]);
        self.call_some(&calls::FinishReconciliation { p_id: id, p_outcome: outcome, p_jobs }).await
    }

    async fn reconciliation(&self, id: Option<&RunId>) -> Result<Option<Reconciliation>, StoreError> {
        self.call(&calls::ReconciliationView { p_id: id, p_details: id.is_some() }).await
    }
}

impl JobStore for PostgrestStore {
    async fn claim_job(&self, job_id: &JobId, lease: Duration) -> Result<Option<JobRow>, StoreError> {
        self.call(&calls::ClaimSyncJob { p_job_id: job_id, p_lease_seconds: lease.as_secs() }).await
    }

    async fn finish_job(&self, job_id: &JobId, end: &JobEnd) -> Result<(), StoreError> {
        let (status, error, retry_in, result) = match end {
            JobEnd::Done { result } => ("done", None, None, result.as_ref()),
            JobEnd::Skipped { reason } => ("skipped", Some(reason.as_str()), None, None),
            JobEnd::Held { reason, recheck_in } => ("held", Some(reason.as_str()), Some(recheck_in.as_secs()), None),
            JobEnd::Retrying { error, delay } => ("retrying", Some(error.as_str()), Some(delay.as_secs()), None),
            JobEnd::Dead { error } => ("dead", Some(error.as_str()), None, None),
        };
        let call = calls::FinishSyncJob {
            p_job_id: job_id,
            p_status: status,
            p_error: error,
            p_retry_in_seconds: retry_in,
            p_result: result,
        };
        self.call(&call).await.map(|_| ())
    }

    async fn order_view(&self, order_id: &CrmId) -> Result<Option<OrderView>, StoreError> {
        self.call(&calls::OrderView { p_order_id: order_id }).await
    }

    async fn product_availability(&self, product_id: &CrmId) -> Result<Option<ProductAvailability>, StoreError> {
        let product = self.call(&calls::ProductViewOf { p_product_id: product_id }).await?;
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
        let call =
            calls::RecordDeadWebhook { p_event_key: event_key, p_body: body, p_error: error, p_attempts: attempts };
        self.call(&call).await.map(|_| ())
    }

    async fn due_jobs(&self, limit: u32) -> Result<Vec<JobId>, StoreError> {
        Ok(self.call(&calls::DueSyncJobs { p_limit: limit }).await?.unwrap_or_default())
    }

    async fn add_jobs(&self, jobs: &[NewJob]) -> Result<Vec<JobId>, StoreError> {
        Ok(self.call(&calls::AddSyncJobs { p_jobs: jobs }).await?.unwrap_or_default())
    }

    async fn risk_candidates(&self, day: chrono::NaiveDate, statuses: &[&str]) -> Result<DayOrders, StoreError> {
        self.call_some(&calls::DayBoard { p_date: day, p_statuses: Some(statuses) }).await
    }

    async fn daily_summary(
        &self,
        day: chrono::NaiveDate,
        not_revenue: &[&str],
        waiting: &[&str],
    ) -> Result<DaySummary, StoreError> {
        let call = calls::DailySummary {
            p_date: day,
            p_offset_seconds: ALMATY_OFFSET_SECONDS,
            p_not_revenue: not_revenue,
            p_waiting: waiting,
        };
        self.call_some(&call).await
    }

    async fn claim_chat_backlog(
        &self,
        job: &JobId,
        kinds: &(crate::domain::flow::Flow, Vec<String>),
        min: u32,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<crate::domain::jobs::BacklogJob>, StoreError> {
        let call = calls::ClaimChatBacklog {
            p_job_id: job,
            p_flow: kinds.0.as_str(),
            p_occasions: &kinds.1,
            p_min: min,
            p_limit: limit,
            p_lease_seconds: lease.as_secs(),
        };
        Ok(self.call(&call).await?.unwrap_or_default())
    }

    async fn finish_chat_backlog(&self, jobs: &[JobId], digest: &JobId, sent: bool) -> Result<(), StoreError> {
        if jobs.is_empty() {
            return Ok(());
        }
        self.call(&calls::FinishChatBacklog { p_ids: jobs, p_digest: digest, p_sent: sent }).await.map(|_| ())
    }

    async fn backfill_to_announce(
        &self,
        quiet: Duration,
    ) -> Result<Option<crate::domain::jobs::BackfillLoad>, StoreError> {
        let p_template = serde_json::to_value(JobKind::BackfillSummary.template()).unwrap_or(Value::Null);
        self.call(&calls::BackfillToAnnounce { p_quiet_seconds: quiet.as_secs(), p_template }).await
    }
}

impl CatalogStore for PostgrestStore {
    async fn catalog_run_due(
        &self,
        daily: Duration,
        changes_every: Duration,
        overlap: Duration,
    ) -> Result<Option<CatalogDue>, StoreError> {
        let call = calls::CatalogRunDue {
            p_daily_seconds: daily.as_secs(),
            p_changes_seconds: changes_every.as_secs(),
            p_overlap_seconds: overlap.as_secs(),
        };
        self.call(&call).await
    }

    async fn start_catalog_run(&self, trigger: CatalogTrigger) -> Result<Option<CrmId>, StoreError> {
        self.call(&calls::StartCatalogRun { p_trigger: trigger.as_str() }).await
    }

    async fn apply_catalog_page(&self, run: &CrmId, products: &[CatalogProduct]) -> Result<CatalogOutcome, StoreError> {
        let flow = JobKind::SetAvailability.template().flow.as_str();
        self.call_some(&calls::ApplyCatalogPage { p_run: run, p_products: products, p_availability_flow: flow }).await
    }

    async fn finish_catalog_run(
        &self,
        run: &CrmId,
        outcome: &CatalogOutcome,
        complete: bool,
    ) -> Result<CatalogOutcome, StoreError> {
        self.call_some(&calls::FinishCatalogRun { p_run: run, p_outcome: outcome, p_complete: complete }).await
    }
}

impl ReferenceStore for PostgrestStore {
    async fn reference_refresh_due(
        &self,
        daily: Duration,
        unknown_retry: Duration,
    ) -> Result<Option<RefreshTrigger>, StoreError> {
        let call =
            calls::ReferenceRefreshDue { p_daily_seconds: daily.as_secs(), p_unknown_seconds: unknown_retry.as_secs() };
        self.call(&call).await
    }

    async fn apply_reference(
        &self,
        reference: &ShopReference,
        trigger: RefreshTrigger,
    ) -> Result<RefreshOutcome, StoreError> {
        self.call_some(&calls::ApplyReference { p_reference: reference, p_trigger: trigger.as_str() }).await
    }

    async fn record_reference_failure(&self, trigger: RefreshTrigger, error: &str) -> Result<(), StoreError> {
        self.call(&calls::RecordReferenceFailure { p_trigger: trigger.as_str(), p_error: error }).await.map(|_| ())
    }
}

impl CrmStore for PostgrestStore {
    async fn record_kit_outbox(&self, report: &crate::domain::kit_outbox::KitOutbox) -> Result<(), StoreError> {
        self.call(&calls::RecordKitOutbox { p_report: report }).await.map(|_| ())
    }

    async fn kit_outbox(&self) -> Result<Option<crate::domain::kit_outbox::KitOutbox>, StoreError> {
        self.call(&calls::KitOutboxReport {}).await
    }

    async fn edit_order(
        &self,
        id: &CrmId,
        edit: &crate::domain::edit::OrderEdit,
        actor: &Actor,
    ) -> Result<Option<crate::app::edit::EditStored>, StoreError> {
        let p_jobs = JobKind::templates(&[("update_bitrix_order", JobKind::UpdateBitrixOrder)]);
        self.call(&calls::EditOrder { p_order_id: id, p_edit: edit.command(), p_actor: actor, p_jobs }).await
    }

    async fn orders(&self, filter: &OrderFilter) -> Result<Vec<OrderView>, StoreError> {
        self.call_some(&calls::OrderViews { p_filter: OrderQuery::new(filter) }).await
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
        let p_jobs = JobKind::templates(&[
            ("create_bitrix_order", JobKind::CreateBitrixOrder),
            ("new_order_message", JobKind::NewOrderMessage),
        ]);
        let call = calls::CreateOrder {
            p_order: order.command(),
            p_request_key: key,
            p_echo_seconds: echo_window.as_secs(),
            p_actor: actor,
            p_jobs,
        };
        let answer = self.call_some(&call).await?;
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
        let p_jobs = JobKind::templates(&[
            ("set_bitrix_status", JobKind::SetBitrixStatus),
            ("crm_status_message", JobKind::CrmStatusMessage),
        ]);
        let code = status.to_bitrix();
        let call = calls::SetOrderStatus {
            p_order_id: id,
            p_status: status.as_str(),
            p_status_raw: code.as_ref().map(|code| code.as_str()),
            p_echo_seconds: echo_window.as_secs(),
            p_actor: actor,
            p_jobs,
        };
        let answer = self.call(&call).await?;
        Ok(answer.map(|a| StatusChange { changed: a.changed, jobs: a.jobs }))
    }

    async fn products(&self, filter: &ProductFilter) -> Result<Vec<ProductView>, StoreError> {
        self.call_some(&calls::ProductViews { p_filter: ProductQuery::new(filter) }).await
    }

    async fn product(&self, id: &CrmId) -> Result<Option<ProductView>, StoreError> {
        self.call(&calls::ProductViewOf { p_product_id: id }).await
    }

    async fn set_availability(
        &self,
        id: &CrmId,
        stock_code: &str,
        actor: &Actor,
    ) -> Result<Option<Vec<JobId>>, StoreError> {
        let p_jobs = JobKind::templates(&[("set_availability", JobKind::SetAvailability)]);
        let call = calls::SetAvailability { p_product_id: id, p_stock_code: stock_code, p_actor: actor, p_jobs };
        Ok(self.call(&call).await?.map(|a| a.jobs))
    }

    async fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        self.call_some(&calls::SyncStatus {}).await
    }

    async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>, StoreError> {
        self.call_some(&calls::DeadLetters { p_limit: limit }).await
    }

    async fn replay_dead_letters(&self, job: Option<&JobId>, actor: &Actor) -> Result<Vec<JobId>, StoreError> {
        Ok(self.call(&calls::ReplayDeadJobs { p_job_id: job, p_actor: actor }).await?.unwrap_or_default())
    }

    async fn order_page(&self, id: &CrmId) -> Result<Option<OrderPage>, StoreError> {
        self.call(&calls::OrderPage { p_order_id: id }).await
    }

    async fn day_orders(&self, date: chrono::NaiveDate) -> Result<DayOrders, StoreError> {
        self.call_some(&calls::DayBoard { p_date: date, p_statuses: None }).await
    }

    async fn orders_page(&self, filter: &OrderFilter) -> Result<(Vec<OrderView>, Reference), StoreError> {
        let answer = self.call_some(&calls::OrdersPage { p_filter: OrderQuery::new(filter) }).await?;
        Ok((answer.orders, answer.reference))
    }

    async fn order_form(&self) -> Result<Reference, StoreError> {
        self.call_some(&calls::OrderForm {}).await
    }

    async fn sync_page(&self, limit: u32) -> Result<SyncPage, StoreError> {
        self.call_some(&calls::SyncPage { p_limit: limit }).await
    }

    async fn daily_report(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        not_revenue: &[&str],
    ) -> Result<Vec<ReportDay>, StoreError> {
        let call = calls::DailyReport {
            p_from: from,
            p_to: to,
            p_offset_seconds: ALMATY_OFFSET_SECONDS,
            p_not_revenue: not_revenue,
        };
        self.call_some(&call).await
    }
}

impl crate::app::ports::TeamStore for PostgrestStore {
    async fn make_track_link(
        &self,
        order: &CrmId,
        token: &str,
        actor: &Actor,
    ) -> Result<Option<crate::app::team::TrackLinkMade>, StoreError> {
        let p_jobs = JobKind::templates(&[("bitrix_track_url", JobKind::BitrixTrackUrl)]);
        self.call(&calls::MakeTrackLink { p_order_id: order, p_token: token, p_actor: actor, p_jobs }).await
    }

    async fn revoke_track_link(
        &self,
        order: &CrmId,
        actor: &Actor,
    ) -> Result<Option<crate::app::team::TrackLinkRevoked>, StoreError> {
        let p_jobs = JobKind::templates(&[("bitrix_track_url", JobKind::BitrixTrackUrl)]);
        self.call(&calls::RevokeTrackLink { p_order_id: order, p_actor: actor, p_jobs }).await
    }

    async fn track_page(&self, token: &str) -> Result<Option<crate::domain::track::TrackView>, StoreError> {
        self.call(&calls::TrackPage { p_token: token }).await
    }

    async fn attach_handover_photo(
        &self,
        order: &CrmId,
        photo: &crate::domain::views::PhotoView,
        actor: &Actor,
    ) -> Result<Option<bool>, StoreError> {
        self.call(&calls::AttachHandoverPhoto { p_order_id: order, p_photo: photo, p_actor: actor }).await
    }

    async fn attach_photo(
        &self,
        order: &CrmId,
        photo: &crate::domain::views::PhotoView,
        actor: &Actor,
    ) -> Result<Option<StatusChange>, StoreError> {
        let p_jobs = JobKind::templates(&[("bouquet_photo", JobKind::BouquetPhoto)]);
        let call = calls::AttachPhoto { p_order_id: order, p_photo: photo, p_actor: actor, p_jobs };
        let answer = self.call(&call).await?;
        Ok(answer.map(|a| StatusChange { changed: a.changed, jobs: a.jobs }))
    }

    async fn couriers(&self) -> Result<Vec<crate::domain::views::Courier>, StoreError> {
        self.call_some(&calls::CourierList {}).await
    }

    async fn set_courier(
        &self,
        target: &crate::app::team::CourierTarget,
        courier: Option<&CrmId>,
        actor: &Actor,
    ) -> Result<crate::app::team::CourierSet, StoreError> {
        use crate::app::team::CourierTarget;
        let call = match target {
            CourierTarget::Order(id) => calls::SetCourier {
                p_order_id: Some(id),
                p_date: None,
                p_slot: None,
                p_courier_id: courier,
                p_actor: actor,
            },
            CourierTarget::Slot { date, slot } => calls::SetCourier {
                p_order_id: None,
                p_date: Some(*date),
                p_slot: *slot,
                p_courier_id: courier,
                p_actor: actor,
            },
        };
        self.call_some(&call).await
    }

    async fn staff_list(
        &self,
        window: std::time::Duration,
    ) -> Result<Vec<crate::domain::views::StaffAccount>, StoreError> {
        self.call_some(&calls::StaffList { p_window_seconds: window.as_secs() }).await
    }

    async fn staff_changes(&self, limit: u32) -> Result<Vec<crate::domain::views::StaffChangeEntry>, StoreError> {
        self.call_some(&calls::StaffChanges { p_limit: limit }).await
    }

    async fn change_staff(
        &self,
        staff: Option<&CrmId>,
        change: &crate::app::team::AccountChange,
        actor: &Actor,
    ) -> Result<crate::app::team::AccountOutcome, StoreError> {
        self.call_some(&calls::ChangeStaff { p_staff_id: staff, p_change: change, p_actor: actor }).await
    }
}

impl StaffStore for PostgrestStore {
    async fn login_attempt(
        &self,
        login: &str,
        network: &str,
        limits: &LoginLimits,
    ) -> Result<LoginAttempt, StoreError> {
        let call = calls::StaffLoginAttempt { p_login: login, p_network: network, p_limits: limits.into() };
        let answer = self.call_some(&call).await?;
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
        let call = calls::StaffLoginSucceeded {
            p_attempt: attempt,
            p_network: network,
            p_staff_id: &session.staff_id,
            p_session_id: &session.session_id,
            p_lifetime_seconds: session.lifetime.as_secs(),
        };
        self.call(&call).await.map(|_| ())
    }

    async fn session(&self, session_id: &str) -> Result<Option<Staff>, StoreError> {
        self.call(&calls::StaffSession { p_session_id: session_id }).await
    }

    async fn logout(&self, session_id: &str) -> Result<(), StoreError> {
        self.call(&calls::StaffLogout { p_session_id: session_id }).await.map(|_| ())
    }
}
