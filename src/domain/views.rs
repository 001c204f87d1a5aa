//! What the CRM shows of its records, read from the store's view functions (`order_view`,
//! `order_views`, `product_views`, `sync_status`, `dead_letters`) into typed values: exact
//! money, typed status and ids, names beside ids, no internal columns. The CRM API answers with
//! them, Telegram messages and Bitrix gateway requests are built from them.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::decimal::{Money, Quantity};
use crate::domain::flow::Flow;
use crate::domain::ids::{CrmId, JobId};
use crate::domain::status::CrmStatus;

/// Where an order was born.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A Bitrix webhook (the storefront).
    Bitrix,
    /// The CRM itself (sent to Bitrix by reverse sync).
    Crm,
}

impl Origin {
    /// What the staff read.
    #[must_use]
    pub fn label_ru(self) -> &'static str {
        match self {
            Origin::Bitrix => "сайт",
            Origin::Crm => "CRM",
        }
    }
}

/// A reference id with the name the CRM knows for it (`None` for an id it does not know yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub id: u64,
    pub name: Option<String>,
}

/// Whether an order is paid, how much and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    pub paid: bool,
    pub sum_paid: Option<Money>,
    pub pay_system_id: Option<u64>,
    pub pay_system_name: Option<String>,
}

/// What the courier must collect from an order: nothing once it is paid (or when Bitrix never
/// said), else what is left of its total.
#[must_use]
pub fn to_collect(order: &OrderView) -> Option<Money> {
    let payment = order.payment.as_ref().filter(|p| !p.paid)?;
    let total = order.total_amount?;
    match payment.sum_paid {
        Some(paid) => total.minus(paid).filter(|left| left.is_positive()),
        None => Some(total),
    }
}

/// An unpaid order with the courier: what to collect from it (its card and its status message
/// warn once it is on its way).
#[must_use]
pub fn unpaid_with_courier(order: &OrderView) -> Option<Money> {
    order.status.with_courier().then(|| to_collect(order)).flatten()
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    pub id: CrmId,
    pub bitrix_basket_id: Option<u64>,
    pub bitrix_product_id: Option<u64>,
    pub product_id: Option<CrmId>,
    /// The name as it was when ordered.
    pub name: Option<String>,
    pub currency: Option<String>,
    pub price: Money,
    pub quantity: Quantity,
}

/// An order as the CRM shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: CrmId,
    pub origin: Origin,
    pub bitrix_order_id: Option<u64>,
    pub order_number: Option<String>,
    pub status: CrmStatus,
    /// The Bitrix code as last received or sent.
    pub status_raw: Option<String>,
    pub total_amount: Option<Money>,
    pub delivery_fee: Option<Money>,
    pub currency: Option<String>,
    pub recipient_name: Option<String>,
    pub recipient_phone: Option<String>,
    pub delivery_address: Option<String>,
    pub postcard_text: Option<String>,
    /// The buyer's comment to the shop.
    pub customer_comment: Option<String>,
    pub delivery_date: Option<NaiveDate>,
    /// The slot id with its label (`15:00-16:00`).
    pub delivery_slot: Option<Named>,
    pub city: Option<Named>,
    pub shop: Option<Named>,
    /// False while the order is known only from a status change that overtook its creation.
    pub details_known: bool,
    /// How the order is paid, as Bitrix last said (`None`: it never said).
    #[serde(default)]
    pub payment: Option<PaymentView>,
    /// Who delivers it (`None`: nobody yet).
    #[serde(default)]
    pub courier: Option<Courier>,
    /// The bouquet's photo, once the florist attached it.
    #[serde(default)]
    pub bouquet_photo: Option<PhotoView>,
    /// When the florist marked the bouquet «Собран».
    #[serde(default)]
    pub assembled_at: Option<DateTime<FixedOffset>>,
    /// The courier's photo of the handover, when they took one.
    #[serde(default)]
    pub handover_photo: Option<PhotoView>,
    /// The buyer's live tracking link's token (never sent out by the API).
    #[serde(default, skip_serializing)]
    pub track_token: Option<String>,
    pub items: Vec<ItemView>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl OrderView {
    /// The number people use: Bitrix's id, else the account number, else the start of the CRM id.
    #[must_use]
    pub fn number(&self) -> String {
        self.bitrix_order_id
            .map(|id| id.to_string())
            .or_else(|| self.order_number.clone())
            .unwrap_or_else(|| self.id.as_str().chars().take(8).collect())
    }
}

pub use crate::domain::stock::{Stock, IN_STOCK, OUT_OF_STOCK};

/// A catalogue product as the CRM shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductView {
    pub id: CrmId,
    pub name: String,
    pub price: Option<Money>,
    pub bitrix_product_id: Option<u64>,
    /// Read from the catalogue code `IN_STOCK`.
    pub stock: Stock,
    /// The storefront slug (`metadata.properties.ru_url`).
    pub ru_url: Option<String>,
    /// False: gone from Bitrix's catalogue or deactivated there (kept for old orders).
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub section_id: Option<u64>,
    #[serde(default)]
    pub section_name: Option<String>,
    /// The catalogue's picture, when it is on the storefront.
    #[serde(default)]
    pub picture_url: Option<String>,
    pub updated_at: DateTime<FixedOffset>,
}

/// The storefront: its product pages and the pictures of its catalogue (the staff pages' CSP
/// allows images from here only).
pub const STOREFRONT_ORIGIN: &str = "https://cvety.kz";

fn yes() -> bool {
    true
}

impl ProductView {
    /// The picture, when it is one of the storefront's (the only images the pages may show).
    #[must_use]
    pub fn storefront_picture(&self) -> Option<&str> {
        self.picture_url.as_deref().filter(|url| {
            url.strip_prefix(STOREFRONT_ORIGIN).is_some_and(|rest| rest.starts_with('/'))
                && !url.contains(['"', '<', '>', ' ', '\\'])
        })
    }
}

/// The storefront's address for a product slug: `https://cvety.kz/products/{ru_url}/`. Any
/// character outside a URL path segment's unreserved set is percent-encoded, so a slug can
/// never leave the products path or break out of an attribute.
#[must_use]
pub fn storefront_url(ru_url: &str) -> Option<String> {
    let slug = ru_url.trim().trim_matches('/');
    if slug.is_empty() {
        return None;
    }
    let mut encoded = String::with_capacity(slug.len());
    for byte in slug.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    Some(format!("{STOREFRONT_ORIGIN}/products/{encoded}/"))
}

impl ProductView {
    /// The product's page on the storefront, when it has a slug.
    #[must_use]
    pub fn storefront_url(&self) -> Option<String> {
        self.ru_url.as_deref().and_then(storefront_url)
    }
}

/// The newest error of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastError {
    pub at: DateTime<FixedOffset>,
    pub error: String,
}

/// One flow's health: its jobs by state, its last success and its last error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowHealth {
    pub done: u64,
    pub pending: u64,
    pub retrying: u64,
    pub dead: u64,
    pub last_success_at: Option<DateTime<FixedOffset>>,
    pub last_error: Option<LastError>,
}

/// Every flow's health, by flow.
pub type SyncStatus = std::collections::BTreeMap<Flow, FlowHealth>;

/// A job that gave up, kept for staff to see and replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub id: JobId,
    pub flow: Flow,
    pub idempotency_key: String,
    pub payload: Value,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

/// A staff member, as a session names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: CrmId,
    pub login: String,
    pub name: String,
    pub role: crate::domain::roles::Role,
}

/// A photo of an order kept in R2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoView {
    /// The R2 key (it names the photo's bytes).
    pub key: String,
    pub content_type: String,
    pub size: u64,
    pub at: Option<DateTime<FixedOffset>>,
    /// Who attached it.
    pub by: Option<String>,
}

/// A courier, as an order and the courier list name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Courier {
    pub id: CrmId,
    pub name: String,
}

/// A staff account on the owner's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccount {
    pub id: CrmId,
    pub login: String,
    pub name: String,
    pub role: crate::domain::roles::Role,
    pub created_at: DateTime<FixedOffset>,
    pub disabled_at: Option<DateTime<FixedOffset>>,
    pub last_login_at: Option<DateTime<FixedOffset>>,
    /// Failed logins within the login limits' window.
    pub recent_failures: u32,
}

/// One change to a staff account, for the owner's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffChangeEntry {
    pub at: DateTime<FixedOffset>,
    pub kind: String,
    pub actor: String,
    pub detail: Value,
}

/// One thing that happened to an order, for its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineEntry {
    /// A Bitrix webhook applied to the order, with its outcome.
    Webhook { at: DateTime<FixedOffset>, event: String, outcome: String },
    /// An old order stored without a message of its own (a backfill or a resend).
    Loaded { at: DateTime<FixedOffset>, bitrix_created_at: Option<DateTime<FixedOffset>> },
    /// A change made in the CRM, and who made it.
    Change { at: DateTime<FixedOffset>, change: String, actor: String, detail: Value },
    /// A Bitrix call or a Telegram message, in its current state.
    Job {
        at: DateTime<FixedOffset>,
        flow: Flow,
        status: String,
        attempts: u32,
        last_error: Option<String>,
        occasion: Option<String>,
        updated_at: DateTime<FixedOffset>,
        done_at: Option<DateTime<FixedOffset>>,
        /// What the job's call answered (an update's `overwritten` fields).
        #[serde(default)]
        result: Option<Value>,
    },
}

/// The order card: the order and its timeline (one store call).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderPage {
    pub order: OrderView,
    pub timeline: Vec<TimelineEntry>,
    /// The buyer's phone, as Bitrix gave it (for the WhatsApp link to the tracking page).
    #[serde(default)]
    pub buyer_phone: Option<String>,
}

/// A delivery slot with its times (when the CRM knows them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotView {
    pub id: u64,
    pub label: String,
    pub starts_at: Option<NaiveTime>,
    pub ends_at: Option<NaiveTime>,
}

/// The day board's data: the slots, and the orders to deliver that day (one store call).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct DayOrders {
    pub slots: Vec<SlotView>,
    pub orders: Vec<OrderView>,
}

/// The reference data a form offers (slots, cities, shops), with the catalogue for the new
/// order form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Reference {
    #[serde(default)]
    pub slots: Vec<SlotView>,
    #[serde(default)]
    pub cities: Vec<Named>,
    #[serde(default)]
    pub shops: Vec<Named>,
    #[serde(default)]
    pub products: Vec<ProductView>,
}

/// One source's share of a day: how many orders and their revenue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceShare {
    pub orders: u64,
    pub revenue: Money,
}

/// One day of the report: the orders placed that day (on the shop's clock), their revenue
/// (without turned-down and returned orders), by status and by source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDay {
    pub day: NaiveDate,
    pub orders: u64,
    pub revenue: Money,
    /// The orders the revenue counts (the average divides by these).
    pub revenue_orders: u64,
    pub by_status: std::collections::BTreeMap<String, u64>,
    pub by_source: std::collections::BTreeMap<Origin, SourceShare>,
}

impl ReportDay {
    /// The average order: the revenue over the orders it counts, to the tiyn.
    #[must_use]
    pub fn average(&self) -> Option<Money> {
        self.revenue.divided_by(self.revenue_orders)
    }
}

/// Tomorrow's deliveries in one slot (`None`: no slot given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotLoad {
    pub slot: Option<Named>,
    pub orders: u64,
}

/// An order named by its number, with the link to its card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRef {
    pub id: CrmId,
    pub number: String,
}

/// What the daily summary says (one store call).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DaySummary {
    pub day: NaiveDate,
    pub report: ReportDay,
    pub tomorrow: Vec<SlotLoad>,
    /// Today's deliveries whose slot time the CRM does not know: listed, not guessed.
    pub unknown_slot_times: Vec<OrderRef>,
    pub dead: u64,
    pub retrying: u64,
}

/// The sync page's data (one store call).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SyncPage {
    pub flows: SyncStatus,
    pub dead_letters: Vec<DeadLetter>,
    /// The newest reconciliation with Bitrix, without its differences.
    #[serde(default)]
    pub reconciliation: Option<crate::domain::reconciliation::Reconciliation>,
    /// The catalogue: how many products came from Bitrix, how many are hidden, the newest load.
    #[serde(default)]
    pub catalog: Option<CatalogStatus>,
    /// The newest refresh of the reference data.
    #[serde(default)]
    pub reference: Option<ReferenceRefresh>,
    /// The Bitrix kit's own outbox, as its agent last reported it.
    #[serde(default)]
    pub kit_outbox: Option<crate::domain::kit_outbox::KitOutbox>,
}

/// The catalogue as `/crm/sync` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CatalogStatus {
    pub products: u64,
    pub hidden: u64,
    pub newest: Option<CatalogLoad>,
}

/// One load of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CatalogLoad {
    pub started_at: DateTime<FixedOffset>,
    pub finished_at: Option<DateTime<FixedOffset>>,
    pub complete: bool,
    pub outcome: Option<crate::domain::catalog::CatalogOutcome>,
}

/// One refresh of the reference data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReferenceRefresh {
    pub at: DateTime<FixedOffset>,
    pub outcome: Option<crate::domain::reference::RefreshOutcome>,
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub fn order_json() -> Value {
        json!({
            "id": "0b6f3c1e-0000-4000-8000-000000000001", "origin": "bitrix", "bitrix_order_id": 122183,
            "order_number": "122183", "status": "accepted", "status_raw": "AP",
            "total_amount": "16500.00", "delivery_fee": "1500.00", "currency": "KZT",
            "recipient_name": "Айгерим", "recipient_phone": "+77015551234", "delivery_address": "Алматы",
            "postcard_text": "Люблю", "customer_comment": null, "delivery_date": "2025-08-25",
            "delivery_slot": {"id": 18, "name": "15:00-16:00"}, "city": {"id": 2, "name": "Алматы"},
            "shop": {"id": 99, "name": null}, "details_known": true,
            "items": [{"id": "0b6f3c1e-0000-4000-8000-000000000002", "bitrix_basket_id": 900311,
                       "bitrix_product_id": 15652, "product_id": null, "name": "Букет Стандарт",
                       "currency": "KZT", "price": "7500.00", "quantity": "1.00"}],
            "created_at": "2025-08-24T08:05:11.123456+00:00", "updated_at": "2025-08-24T08:05:11+00:00"
        })
    }

    #[test]
    fn an_order_is_read_with_exact_money_a_typed_status_and_names_beside_ids() {
        let order: OrderView = serde_json::from_value(order_json()).unwrap();
        assert_eq!(order.status, CrmStatus::Accepted);
        assert_eq!(order.total_amount.unwrap().ten_thousandths(), 165_000_000);
        assert_eq!(order.delivery_slot.as_ref().unwrap().name.as_deref(), Some("15:00-16:00"));
        assert_eq!(order.shop, Some(Named { id: 99, name: None }), "an unknown shop keeps its id");
        assert_eq!(order.number(), "122183");
        let back = serde_json::to_value(&order).unwrap();
        assert_eq!(back["total_amount"], "16500.00", "money goes out as text, never a float");
        assert_eq!(back["items"][0]["quantity"], "1.00");
    }

    #[test]
    fn the_storefront_url_is_built_from_the_slug_and_cannot_escape_its_path() {
        assert_eq!(storefront_url("buket-standart").as_deref(), Some("https://cvety.kz/products/buket-standart/"));
        assert_eq!(
            storefront_url("../\"><script>").as_deref(),
            Some("https://cvety.kz/products/..%2F%22%3E%3Cscript%3E/")
        );
        assert_eq!(storefront_url("розы").as_deref(), Some("https://cvety.kz/products/%D1%80%D0%BE%D0%B7%D1%8B/"));
        assert_eq!(storefront_url("  "), None);
    }
}
