//! The store's SQL functions as typed calls: one descriptor per function (its name, its
//! argument struct with each argument's SQL type, its answer type). `edge::store` sends them;
//! a native test holds each against the live signature in `supabase/schemas/functions/`.

use chrono::NaiveDate;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::crm_input::{Actor, OrderFilter, Problem, ProductFilter, RequestKey, Search};
use crate::app::team::{AccountChange, AccountOutcome, CourierSet};
use crate::domain::apply::{Applied, ApplyCommand};
use crate::domain::catalog::{CatalogDue, CatalogOutcome, CatalogProduct};
use crate::domain::ids::{CrmId, JobId, ShopId};
use crate::domain::jobs::{BackfillLoad, BacklogJob, JobRow, NewJob};
use crate::domain::kit_outbox::KitOutbox;
use crate::domain::reconciliation::{CrmRow, Reconciliation, RunId, RunOutcome};
use crate::domain::reference::{RefreshOutcome, RefreshTrigger, ShopReference};
use crate::domain::staff_login::LockScope;
use crate::domain::views::{Courier, PhotoView, StaffAccount, StaffChangeEntry};
use crate::domain::views::{
    DayOrders, DaySummary, DeadLetter, OrderPage as OrderPageView, OrderView as OrderViewAnswer, Origin, ProductView,
    Reference, ReportDay, Staff, SyncPage as SyncPageView, SyncStatus as SyncStatusView,
};

/// A call of one SQL function through PostgREST's `rpc/`.
pub trait StoreCall: Serialize {
    /// The function's name in `public`.
    const FUNCTION: &'static str;
    /// Each argument's name and SQL type, as the function declares them.
    const ARGUMENTS: &'static [(&'static str, &'static str)];
    /// What the function answers (`IgnoredAny` for `void`).
    type Answer: DeserializeOwned;
}

/// Declares each call: its struct (fields named as the SQL arguments), its SQL types and its
/// answer; and `ALL`, every call's name and arguments, for the signature test.
macro_rules! store_calls {
    ($(
        $(#[$doc:meta])*
        $name:ident $(<$lt:lifetime>)? = $function:literal -> $answer:ty {
            $($field:ident : $ty:ty => $sql:literal),* $(,)?
        }
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Serialize)]
            pub struct $name $(<$lt>)? { $(pub $field: $ty,)* }

            impl $(<$lt>)? StoreCall for $name $(<$lt>)? {
                const FUNCTION: &'static str = $function;
                const ARGUMENTS: &'static [(&'static str, &'static str)] = &[$((stringify!($field), $sql)),*];
                type Answer = $answer;
            }
        )*

        /// Every call: the function and its arguments.
        #[cfg(test)]
        pub const ALL: &[(&str, &[(&str, &str)])] = &[$(($function, <$name as StoreCall>::ARGUMENTS)),*];
    };
}

store_calls! {
    /// A webhook's order event, applied with its jobs in one transaction.
    ApplyOrderEvent<'a> = "apply_bitrix_order_event" -> Applied { command: ApplyCommand<'a> => "jsonb" }

    StartReconciliation<'a> = "start_reconciliation" -> RunId {
        p_trigger: &'a str => "text", p_day: NaiveDate => "date", p_from: NaiveDate => "date", p_to: NaiveDate => "date",
    }
    ReconcileRows<'a> = "reconcile_rows" -> Vec<CrmRow> { p_ids: &'a [u64] => "bigint[]" }
    FinishReconciliation<'a> = "finish_reconciliation" -> Vec<JobId> {
        p_id: &'a RunId => "uuid", p_outcome: &'a RunOutcome => "jsonb", p_jobs: Value => "jsonb",
    }
    ReconciliationView<'a> = "reconciliation_view" -> Reconciliation {
        p_id: Option<&'a RunId> => "uuid", p_details: bool => "boolean",
    }

    ClaimSyncJob<'a> = "claim_sync_job" -> JobRow { p_job_id: &'a JobId => "uuid", p_lease_seconds: u64 => "integer" }
    FinishSyncJob<'a> = "finish_sync_job" -> IgnoredAny {
        p_job_id: &'a JobId => "uuid", p_status: &'a str => "text", p_error: Option<&'a str> => "text",
        p_retry_in_seconds: Option<u64> => "integer", p_result: Option<&'a Value> => "jsonb",
    }
    ClaimChatBacklog<'a> = "claim_chat_backlog" -> Vec<BacklogJob> {
        p_job_id: &'a JobId => "uuid", p_flow: &'static str => "text", p_occasions: &'a [String] => "text[]",
        p_min: u32 => "integer", p_limit: u32 => "integer", p_lease_seconds: u64 => "integer",
    }
    FinishChatBacklog<'a> = "finish_chat_backlog" -> IgnoredAny {
        p_ids: &'a [JobId] => "uuid[]", p_digest: &'a JobId => "uuid", p_sent: bool => "boolean",
    }
    DueSyncJobs = "due_sync_jobs" -> Vec<JobId> { p_limit: u32 => "integer" }
    AddSyncJobs<'a> = "add_sync_jobs" -> Vec<JobId> { p_jobs: &'a [NewJob] => "jsonb" }
    RecordDeadWebhook<'a> = "record_dead_webhook" -> IgnoredAny {
        p_event_key: &'a str => "text", p_body: &'a Value => "jsonb", p_error: &'a str => "text",
        p_attempts: u32 => "integer",
    }
    DeadLetters = "dead_letters" -> Vec<DeadLetter> { p_limit: u32 => "integer" }
    ReplayDeadJobs<'a> = "replay_dead_jobs" -> Vec<JobId> {
        p_job_id: Option<&'a JobId> => "uuid", p_actor: &'a Actor => "jsonb",
    }

    OrderView<'a> = "order_view" -> OrderViewAnswer { p_order_id: &'a CrmId => "uuid" }
    OrderViews<'a> = "order_views" -> Vec<OrderViewAnswer> { p_filter: OrderQuery<'a> => "jsonb" }
    OrdersPage<'a> = "orders_page" -> OrdersPageAnswer { p_filter: OrderQuery<'a> => "jsonb" }
    OrderPage<'a> = "order_page" -> OrderPageView { p_order_id: &'a CrmId => "uuid" }
    OrderForm = "order_form" -> Reference {}
    BackfillToAnnounce = "backfill_to_announce" -> BackfillLoad {
        p_quiet_seconds: u64 => "integer", p_template: Value => "jsonb",
    }
    DayBoard<'a> = "day_board" -> DayOrders { p_date: NaiveDate => "date", p_statuses: Option<&'a [&'a str]> => "text[]" }
    DailySummary<'a> = "daily_summary" -> DaySummary {
        p_date: NaiveDate => "date", p_offset_seconds: i32 => "integer", p_not_revenue: &'a [&'a str] => "text[]",
        p_waiting: &'a [&'a str] => "text[]",
    }
    DailyReport<'a> = "daily_report" -> Vec<ReportDay> {
        p_from: NaiveDate => "date", p_to: NaiveDate => "date", p_offset_seconds: i32 => "integer",
        p_not_revenue: &'a [&'a str] => "text[]",
    }
    CreateOrder<'a> = "crm_create_order" -> CreateAnswer {
        p_order: Value => "jsonb", p_request_key: Option<&'a RequestKey> => "text", p_echo_seconds: u64 => "integer",
        p_actor: &'a Actor => "jsonb", p_jobs: Value => "jsonb",
    }
    SetOrderStatus<'a> = "crm_set_order_status" -> StatusAnswer {
        p_order_id: &'a CrmId => "uuid", p_status: &'a str => "text", p_status_raw: Option<&'a str> => "text",
        p_echo_seconds: u64 => "integer", p_actor: &'a Actor => "jsonb", p_jobs: Value => "jsonb",
    }

    ProductViewOf<'a> = "product_view" -> ProductView { p_product_id: &'a CrmId => "uuid" }
    ProductViews<'a> = "product_views" -> Vec<ProductView> { p_filter: ProductQuery<'a> => "jsonb" }
    SetAvailability<'a> = "crm_set_product_availability" -> JobsAnswer {
        p_product_id: &'a CrmId => "uuid", p_stock_code: &'a str => "text", p_actor: &'a Actor => "jsonb",
        p_jobs: Value => "jsonb",
    }

    ReferenceRefreshDue = "reference_refresh_due" -> RefreshTrigger {
        p_daily_seconds: u64 => "integer", p_unknown_seconds: u64 => "integer",
    }
    ApplyReference<'a> = "apply_reference" -> RefreshOutcome {
        p_reference: &'a ShopReference => "jsonb", p_trigger: &'static str => "text",
    }
    RecordReferenceFailure<'a> = "record_reference_failure" -> IgnoredAny {
        p_trigger: &'static str => "text", p_error: &'a str => "text",
    }

    CatalogRunDue = "catalog_run_due" -> CatalogDue {
        p_daily_seconds: u64 => "integer", p_changes_seconds: u64 => "integer", p_overlap_seconds: u64 => "integer",
    }
    StartCatalogRun = "start_catalog_run" -> CrmId { p_trigger: &'static str => "text" }
    ApplyCatalogPage<'a> = "apply_catalog_page" -> CatalogOutcome {
        p_run: &'a CrmId => "uuid", p_products: &'a [CatalogProduct] => "jsonb", p_availability_flow: &'static str => "text",
    }
    FinishCatalogRun<'a> = "finish_catalog_run" -> CatalogOutcome {
        p_run: &'a CrmId => "uuid", p_outcome: &'a CatalogOutcome => "jsonb", p_complete: bool => "boolean",
    }

    SyncStatus = "sync_status" -> SyncStatusView {}
    SyncPage = "sync_page" -> SyncPageView { p_limit: u32 => "integer" }

    StaffLoginAttempt<'a> = "staff_login_attempt" -> AttemptAnswer {
        p_login: &'a str => "text", p_network: &'a str => "text", p_limits: LoginLimitsArgument => "jsonb",
    }
    StaffLoginSucceeded<'a> = "staff_login_succeeded" -> IgnoredAny {
        p_attempt: i64 => "bigint", p_network: &'a str => "text", p_staff_id: &'a CrmId => "uuid",
        p_session_id: &'a str => "text", p_lifetime_seconds: u64 => "integer",
    }
    StaffSession<'a> = "staff_session" -> Staff { p_session_id: &'a str => "text" }
    StaffLogout<'a> = "staff_logout" -> IgnoredAny { p_session_id: &'a str => "text" }

    AttachPhoto<'a> = "crm_attach_photo" -> StatusAnswer {
        p_order_id: &'a CrmId => "uuid", p_photo: &'a PhotoView => "jsonb", p_actor: &'a Actor => "jsonb",
        p_jobs: Value => "jsonb",
    }
    EditOrder<'a> = "crm_edit_order" -> crate::app::edit::EditStored {
        p_order_id: &'a CrmId => "uuid", p_edit: Value => "jsonb", p_actor: &'a Actor => "jsonb", p_jobs: Value => "jsonb",
    }
    AttachHandoverPhoto<'a> = "crm_attach_handover_photo" -> bool {
        p_order_id: &'a CrmId => "uuid", p_photo: &'a PhotoView => "jsonb", p_actor: &'a Actor => "jsonb",
    }
    MakeTrackLink<'a> = "crm_make_track_link" -> crate::app::team::TrackLinkMade {
        p_order_id: &'a CrmId => "uuid", p_token: &'a str => "text", p_actor: &'a Actor => "jsonb", p_jobs: Value => "jsonb",
    }
    RevokeTrackLink<'a> = "crm_revoke_track_link" -> crate::app::team::TrackLinkRevoked {
        p_order_id: &'a CrmId => "uuid", p_actor: &'a Actor => "jsonb", p_jobs: Value => "jsonb",
    }
    TrackPage<'a> = "track_page" -> crate::domain::track::TrackView { p_token: &'a str => "text" }
    RecordKitOutbox<'a> = "record_kit_outbox" -> IgnoredAny { p_report: &'a KitOutbox => "jsonb" }
    KitOutboxReport = "kit_outbox" -> KitOutbox {}
    CourierList = "courier_list" -> Vec<Courier> {}
    SetCourier<'a> = "crm_set_courier" -> CourierSet {
        p_order_id: Option<&'a CrmId> => "uuid", p_date: Option<NaiveDate> => "date", p_slot: Option<u64> => "bigint",
        p_courier_id: Option<&'a CrmId> => "uuid", p_actor: &'a Actor => "jsonb",
    }
    StaffList = "staff_list" -> Vec<StaffAccount> { p_window_seconds: u64 => "integer" }
    StaffChanges = "staff_changes" -> Vec<StaffChangeEntry> { p_limit: u32 => "integer" }
    ChangeStaff<'a> = "crm_change_staff" -> AccountOutcome {
        p_staff_id: Option<&'a CrmId> => "uuid", p_change: &'a AccountChange => "jsonb", p_actor: &'a Actor => "jsonb",
    }
}

/// A page and a search, as `order_views`, `orders_page` and `product_views` read their filter.
#[derive(Debug, Serialize)]
pub struct PageAndSearch<'a> {
    limit: u32,
    offset: u32,
    q: Option<&'a str>,
    q_like: Option<String>,
    q_digits: Option<&'a str>,
}

impl<'a> PageAndSearch<'a> {
    fn new(page: crate::app::crm_input::Page, search: Option<&'a Search>) -> Self {
        PageAndSearch {
            limit: page.limit,
            offset: page.offset,
            q: search.map(|s| s.text.as_str()),
            q_like: search.map(Search::like_pattern),
            q_digits: search.map(|s| s.digits.as_str()),
        }
    }
}

/// The orders' filter (`p_filter`).
#[derive(Debug, Serialize)]
pub struct OrderQuery<'a> {
    #[serde(flatten)]
    page: PageAndSearch<'a>,
    status: Option<&'static str>,
    date: Option<NaiveDate>,
    shop: Option<&'a ShopId>,
    origin: Option<&'a Origin>,
}

impl<'a> OrderQuery<'a> {
    #[must_use]
    pub fn new(filter: &'a OrderFilter) -> Self {
        OrderQuery {
            page: PageAndSearch::new(filter.page, filter.search.as_ref()),
            status: filter.status.map(crate::domain::status::CrmStatus::as_str),
            date: filter.date,
            shop: filter.shop.as_ref(),
            origin: filter.origin.as_ref(),
        }
    }
}

/// The products' filter (`p_filter`).
#[derive(Debug, Serialize)]
pub struct ProductQuery<'a> {
    #[serde(flatten)]
    page: PageAndSearch<'a>,
    stock: Option<&'static str>,
    section: Option<u64>,
}

impl<'a> ProductQuery<'a> {
    #[must_use]
    pub fn new(filter: &'a ProductFilter) -> Self {
        ProductQuery {
            page: PageAndSearch::new(filter.page, filter.search.as_ref()),
            stock: filter.available.map(crate::domain::views::Stock::code_for),
            section: filter.section,
        }
    }
}

/// The login limits as `staff_login_attempt` reads them (`p_limits`).
#[derive(Debug, Serialize)]
pub struct LoginLimitsArgument {
    window_seconds: u64,
    per_login_and_network: u32,
    per_network: u32,
    per_login: u32,
    lock_seconds: u64,
    trusted_seconds: u64,
}

impl From<&crate::domain::staff_login::LoginLimits> for LoginLimitsArgument {
    fn from(limits: &crate::domain::staff_login::LoginLimits) -> Self {
        LoginLimitsArgument {
            window_seconds: limits.window.as_secs(),
            per_login_and_network: limits.per_login_and_network,
            per_network: limits.per_network,
            per_login: limits.per_login,
            lock_seconds: limits.lock.as_secs(),
            trusted_seconds: limits.trusted_for.as_secs(),
        }
    }
}

/// `crm_create_order`'s answer.
#[derive(Debug, Deserialize)]
pub struct CreateAnswer {
    pub order_id: Option<CrmId>,
    #[serde(default)]
    pub jobs: Vec<JobId>,
    #[serde(default)]
    pub replayed: bool,
    pub problems: Option<Vec<Problem>>,
}

/// The jobs a command queued.
#[derive(Debug, Deserialize)]
pub struct JobsAnswer {
    #[serde(default)]
    pub jobs: Vec<JobId>,
}

/// `crm_set_order_status`'s answer.
#[derive(Debug, Deserialize)]
pub struct StatusAnswer {
    pub changed: bool,
    #[serde(default)]
    pub jobs: Vec<JobId>,
}

/// `orders_page`'s answer.
#[derive(Debug, Deserialize)]
pub struct OrdersPageAnswer {
    pub orders: Vec<OrderViewAnswer>,
    pub reference: Reference,
}

/// `staff_login_attempt`'s answer.
#[derive(Debug, Deserialize)]
pub struct AttemptAnswer {
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
    pub scope: Option<LockScope>,
    pub attempt: Option<i64>,
    pub staff: Option<LoginAccount>,
    #[serde(default)]
    pub remaining: u32,
}

/// The account a login names, with its password hash.
#[derive(Debug, Deserialize)]
pub struct LoginAccount {
    #[serde(flatten)]
    pub staff: Staff,
    pub password_hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The live signature in `supabase/schemas/functions/<name>.sql`: each argument's name, its
    /// type, and whether it has a default.
    fn signature(function: &str) -> Vec<(String, String, bool)> {
        let path = format!("{}/supabase/schemas/functions/{function}.sql", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let head = format!("CREATE FUNCTION public.{function}(");
        let start = text.find(&head).unwrap_or_else(|| panic!("{path} does not create {function}")) + head.len();
        let end = start + text[start..].find(") RETURNS").expect("a RETURNS clause");
        text[start..end]
            .split(", ")
            .filter(|a| !a.is_empty())
            .map(|argument| {
                let (declared, default) = match argument.split_once(" DEFAULT ") {
                    Some((declared, _)) => (declared, true),
                    None => (argument, false),
                };
                let (name, sql_type) = declared.split_once(' ').expect("a name and a type");
                (name.to_owned(), sql_type.to_owned(), default)
            })
            .collect()
    }

    #[test]
    fn every_call_names_a_live_function_with_its_arguments_and_their_types() {
        for (function, arguments) in ALL {
            let live = signature(function);
            for (name, sql_type) in *arguments {
                let found = live.iter().find(|(n, ..)| n == name);
                let (_, live_type, _) = found.unwrap_or_else(|| panic!("{function} has no argument {name}"));
                assert_eq!(live_type, sql_type, "{function}({name}) is {live_type}");
            }
            for (name, _, default) in &live {
                assert!(
                    *default || arguments.iter().any(|(n, _)| n == name),
                    "{function} needs {name}, which its call does not send"
                );
            }
        }
    }

    #[test]
    fn a_call_sends_exactly_the_arguments_it_declares() {
        let id = CrmId::parse("00000000-0000-4000-8000-000000000001").unwrap();
        let call =
            SetAvailability { p_product_id: &id, p_stock_code: "158", p_actor: &Actor::api(), p_jobs: Value::Null };
        let sent = serde_json::to_value(&call).unwrap();
        let names: Vec<&str> = sent.as_object().unwrap().keys().map(String::as_str).collect();
        let mut declared: Vec<&str> = SetAvailability::ARGUMENTS.iter().map(|(n, _)| *n).collect();
        declared.sort_unstable();
        assert_eq!(names, declared);
    }

    #[test]
    fn a_filter_without_a_search_sends_no_search() {
        let filter = OrderFilter::default();
        let sent = serde_json::to_value(OrderQuery::new(&filter)).unwrap();
        assert_eq!(sent["q"], Value::Null);
        assert_eq!(sent["limit"], serde_json::json!(filter.page.limit));
    }
}
