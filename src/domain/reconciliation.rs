//! Reconciliation with Bitrix: when it is due, which period it covers, how the gateway's
//! snapshot is read, and what differs between Bitrix and the CRM. The runner fetches and sends;
//! the store keeps each run.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::bitrix::Text;
use crate::domain::decimal::Money;
use crate::domain::ids::{BitrixOrderId, CrmId};
use crate::domain::retry::Failure;
use crate::domain::status::BitrixStatusCode;
use crate::domain::text::quote;

/// The daily run starts at 04:00 in Almaty (nobody edits orders then), or at the cron's next run
/// after that; a run that failed is tried again by the cron ten minutes later.
pub const RECONCILE_AT: NaiveTime = NaiveTime::from_hms_opt(4, 0, 0).expect("04:00");
/// The daily run covers the orders placed in the last 7 days, today included.
pub const RECONCILE_DAYS: i64 = 7;
/// The longest period one run may cover (an on-demand run asks for it).
pub const MAX_PERIOD_DAYS: i64 = 92;
/// Orders per snapshot page, and pages per run: at most 20,000 orders are compared.
pub const PAGE_SIZE: u32 = 500;
pub const MAX_PAGES: u32 = 40;
/// Orders asked for again per gateway call, and per run (the next run asks for the rest).
pub const RESEND_CHUNK: usize = 200;
pub const MAX_RESEND: usize = 1000;

/// At most this many differences are kept with a run (the counts are complete).
pub const MAX_KEPT_DIFFERENCES: usize = 1000;

/// A reconciliation run's id.
pub type RunId = CrmId;

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The cron, once a day.
    Scheduled,
    /// `POST /api/ops/reconcile/run`.
    OnDemand,
}

impl Trigger {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Scheduled => "scheduled",
            Trigger::OnDemand => "on_demand",
        }
    }
}

/// The days whose orders (by the date Bitrix created them, in Almaty) a run compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcilePeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The daily run's period if it is due at `now` (the shop's wall clock): from 04:00 on, the
/// last [`RECONCILE_DAYS`] days. Whether it already ran today is the store's to say.
#[must_use]
pub fn scheduled_period(now: NaiveDateTime) -> Option<ReconcilePeriod> {
    (now.time() >= RECONCILE_AT).then(|| default_period(now.date()))
}

/// The last [`RECONCILE_DAYS`] days up to `today`.
#[must_use]
pub fn default_period(today: NaiveDate) -> ReconcilePeriod {
    ReconcilePeriod { from: today - Duration::days(RECONCILE_DAYS - 1), to: today }
}

/// One order as Bitrix's snapshot gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitrixRow {
    pub id: BitrixOrderId,
    pub status: BitrixStatusCode,
    pub price: Money,
}

/// A snapshot page: its orders and where the next page starts (`None`: the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotPage {
    pub orders: Vec<BitrixRow>,
    pub next_after_id: Option<u64>,
}

#[derive(Deserialize)]
struct WireRow {
    id: Option<Text>,
    status_id: Option<Text>,
    price: Option<Text>,
}

/// Reads an `orders.snapshot` answer (already checked for `ok: true`).
///
/// # Errors
/// A permanent [`Failure`] for an answer that is not the contract's: more rows than asked for,
/// a row without a usable id, status or price, or a next page that does not move forward.
pub fn read_snapshot(answer: &Value, after_id: u64, limit: u32) -> Result<SnapshotPage, Failure> {
    let wrong = |reason: String| Failure::Permanent { reason: format!("orders.snapshot answer: {reason}") };
    let rows = answer.get("orders").and_then(Value::as_array).ok_or_else(|| wrong("no orders list".into()))?;
    if rows.len() > limit as usize {
        return Err(wrong(format!("{} orders for a page of {limit}", rows.len())));
    }
    let mut orders = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        let row: WireRow = serde_json::from_value(row.clone())
            .map_err(|e| wrong(format!("orders[{index}]: {}", quote(&e.to_string()))))?;
        let text = |t: &Option<Text>| t.as_ref().map(|t| t.trimmed().to_owned()).unwrap_or_default();
        let id = BitrixOrderId::parse(&text(&row.id)).map_err(|e| wrong(format!("orders[{index}].id: {e}")))?;
        let status = BitrixStatusCode::parse(&text(&row.status_id))
            .ok_or_else(|| wrong(format!("orders[{index}].status_id: not a status code")))?;
        let price = Money::parse(&text(&row.price)).map_err(|e| wrong(format!("orders[{index}].price: {e}")))?;
        orders.push(BitrixRow { id, status, price });
    }
    let next_after_id = match answer.get("next_after_id") {
        None | Some(Value::Null) => None,
        Some(next) => {
            let next = next
                .as_u64()
                .or_else(|| next.as_str().and_then(|s| s.parse().ok()))
                .ok_or_else(|| wrong("next_after_id is not an order id".into()))?;
            if next <= after_id {
                return Err(wrong(format!("next_after_id {next} does not move past {after_id}")));
            }
            Some(next)
        }
    };
    Ok(SnapshotPage { orders, next_after_id })
}

/// What the CRM holds for a Bitrix order of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CrmRow {
    pub bitrix_order_id: u64,
    pub status_raw: Option<String>,
    pub total_amount: Option<Money>,
    /// A change of the CRM's is on its way to Bitrix (or a webhook for it waits): the two sides
    /// may differ for a moment, and asking Bitrix to resend would undo the CRM's change.
    pub busy: bool,
}

/// One order that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Difference {
    /// In Bitrix, not in the CRM.
    Missing { bitrix_order_id: u64 },
    /// Another status in the CRM.
    Status { bitrix_order_id: u64, bitrix: String, crm: Option<String> },
    /// Another total in the CRM.
    Total { bitrix_order_id: u64, bitrix: Money, crm: Option<Money> },
}

impl Difference {
    #[must_use]
    pub fn bitrix_order_id(&self) -> u64 {
        match self {
            Difference::Missing { bitrix_order_id }
            | Difference::Status { bitrix_order_id, .. }
            | Difference::Total { bitrix_order_id, .. } => *bitrix_order_id,
        }
    }
}

/// What a comparison found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// Orders in the snapshot.
    pub bitrix_orders: u64,
    pub differences: Vec<Difference>,
    /// Orders left out because a change of the CRM's was on its way.
    pub busy: u64,
}

impl Drift {
    /// The orders to ask Bitrix to send again: each differing order once, in id order, at most
    /// [`MAX_RESEND`].
    #[must_use]
    pub fn to_resend(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.differences.iter().map(Difference::bitrix_order_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.truncate(MAX_RESEND);
        ids
    }

    /// How many orders differ in each way: (missing, other status, other total).
    #[must_use]
    pub fn counts(&self) -> (u64, u64, u64) {
        self.differences.iter().fold((0, 0, 0), |(m, s, t), d| match d {
            Difference::Missing { .. } => (m + 1, s, t),
            Difference::Status { .. } => (m, s + 1, t),
            Difference::Total { .. } => (m, s, t + 1),
        })
    }
}

/// Compares Bitrix's orders with the CRM's rows for them. An order is missing when the CRM has
/// no row or only a status (its details never arrived); an order whose CRM change is on its way
/// is left out; otherwise its status code and total must be equal.
#[must_use]
pub fn compare(bitrix: &[BitrixRow], crm: &[CrmRow]) -> Drift {
    let by_id: std::collections::HashMap<u64, &CrmRow> = crm.iter().map(|row| (row.bitrix_order_id, row)).collect();
    let mut drift = Drift { bitrix_orders: bitrix.len() as u64, ..Drift::default() };
    for order in bitrix {
        let id = order.id.get();
        let Some(row) = by_id.get(&id) else {
            drift.differences.push(Difference::Missing { bitrix_order_id: id });
            continue;
        };
        if row.busy {
            drift.busy += 1;
            continue;
        }
        if row.status_raw.as_deref() != Some(order.status.as_str()) {
            drift.differences.push(Difference::Status {
                bitrix_order_id: id,
                bitrix: order.status.as_str().to_owned(),
                crm: row.status_raw.clone(),
            });
        }
        if row.total_amount != Some(order.price) {
            drift.differences.push(Difference::Total {
                bitrix_order_id: id,
                bitrix: order.price,
                crm: row.total_amount,
            });
        }
    }
    drift
}

/// How a run ended, as the store keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunOutcome {
    pub bitrix_orders: u64,
    pub busy: u64,
    pub missing: u64,
    pub other_status: u64,
    pub other_total: u64,
    /// Orders Bitrix put back in its outbox.
    pub resent: u64,
    /// More orders than one run compares ([`MAX_PAGES`] × [`PAGE_SIZE`]): the rest were not.
    pub truncated: bool,
    /// Why the run stopped early (the gateway failed), if it did.
    pub error: Option<String>,
    /// The first [`MAX_KEPT_DIFFERENCES`].
    pub differences: Vec<Difference>,
}

impl RunOutcome {
    /// A run that compared: its drift, what was resent, and whether resending stopped early.
    #[must_use]
    pub fn compared(drift: &Drift, resent: u64, truncated: bool, error: Option<String>) -> Self {
        let (missing, other_status, other_total) = drift.counts();
        RunOutcome {
            bitrix_orders: drift.bitrix_orders,
            busy: drift.busy,
            missing,
            other_status,
            other_total,
            resent,
            truncated,
            error,
            differences: drift.differences.iter().take(MAX_KEPT_DIFFERENCES).cloned().collect(),
        }
    }

    /// A run that could not read the snapshot.
    #[must_use]
    pub fn failed(error: String) -> Self {
        RunOutcome { error: Some(error), ..RunOutcome::default() }
    }

    /// Differences, in all (an order whose status and total both differ counts twice).
    #[must_use]
    pub fn drift(&self) -> u64 {
        self.missing + self.other_status + self.other_total
    }
}

/// A run as the store keeps it: for `/api/sync/status`, `/crm/sync`, the summary and the
/// message about its drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub id: RunId,
    pub trigger: Trigger,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub started_at: DateTime<FixedOffset>,
    pub finished_at: Option<DateTime<FixedOffset>>,
    pub bitrix_orders: Option<u64>,
    pub busy: Option<u64>,
    pub missing: Option<u64>,
    pub other_status: Option<u64>,
    pub other_total: Option<u64>,
    pub resent: Option<u64>,
    #[serde(default)]
    pub truncated: bool,
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
}

#[cfg(test)]
mod tests;
