//! Queued jobs: the flows, the queue message, a job as claimed from `sync_jobs`, what it asks to
//! be done, whether the switches let it run now, and the times that bound a job's life.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::domain::flow::Flow;
use crate::domain::ids::JobId;
use crate::domain::retry::{self, Failure};
use crate::domain::status::CrmStatus;
use crate::domain::text::quote;
use crate::domain::views::Stock;

/// How far a delivery-risk warning reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskStage {
    /// The slot starts within the warning window (or has started) and the order still waits.
    Soon,
    /// The slot is over and the order is not with the courier.
    Over,
}

impl RiskStage {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RiskStage::Soon => "soon",
            RiskStage::Over => "over",
        }
    }
}

/// Every kind of job the CRM makes: its flow, how its idempotency key is made and what its
/// payload holds. The one home of the job vocabulary: SQL receives these as templates (`{name}`
/// placeholders it fills with the ids it knows, `public.add_job`) and never spells a key, a flow
/// or an occasion; jobs made here are filled the same way ([`JobKind::job`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// A new order in the shop's chat: `order_id`.
    NewOrderMessage,
    /// A status Bitrix changed, in the chat: `order_id`, `change` (the event's key), `status`.
    StatusMessage,
    /// A status set in the CRM, in the chat: `order_id`, `change`, `status`.
    CrmStatusMessage,
    /// What a reconciliation found, in the chat: `run`.
    ReconciliationMessage,
    /// A delivery-risk warning: `order_id`, `day`, `slot`, `stage`, `minutes_left`.
    RiskWarning,
    /// The day's summary: `day`.
    DailySummary,
    /// A quiet backfill summed up: `count`, `from`, `to` (the orders' creation times in Bitrix)
    /// and `until` (the newest load it counts, its key).
    BackfillSummary,
    /// A CRM order created in Bitrix: `order_id`.
    CreateBitrixOrder,
    /// A CRM status sent to Bitrix: `order_id`, `change`, `status`.
    SetBitrixStatus,
    /// A product's availability sent to Bitrix: `product_id`, `change`, `stock`.
    SetAvailability,
    /// The bouquet's photo in the chat: `order_id`, `photo` (its R2 key, which names its bytes).
    BouquetPhoto,
    /// An edit made in the CRM sent to Bitrix: `order_id`, `change`, `fields` (the names it
    /// touched), `lines` (whether it touched the basket), `seen` (the values the editor saw).
    UpdateBitrixOrder,
    /// The buyer's tracking link written to the Bitrix order (`crmTrackUrl`): `order_id`,
    /// `change`, `token` (null: the link was revoked, the property is cleared).
    BitrixTrackUrl,
}

/// A job's shape with `{name}` placeholders: in the key, and as whole payload values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobTemplate {
    pub flow: Flow,
    pub key: &'static str,
    pub payload: Value,
}

impl JobKind {
    #[must_use]
    pub fn template(self) -> JobTemplate {
        let status_message = json!({"order_id": "{order_id}", "occasion": "status_changed", "status": "{status}"});
        let (flow, key, payload) = match self {
            JobKind::NewOrderMessage => (
                Flow::Telegram,
                "telegram:new_order:{order_id}",
                json!({"order_id": "{order_id}", "occasion": "new_order"}),
            ),
            JobKind::StatusMessage => (Flow::Telegram, "telegram:status:{order_id}:{change}", status_message),
            JobKind::CrmStatusMessage => (Flow::Telegram, "telegram:status:{order_id}:crm:{change}", status_message),
            JobKind::ReconciliationMessage => (
                Flow::Telegram,
                "telegram:reconciliation:{run}",
                json!({"occasion": "reconciliation", "reconciliation_id": "{run}"}),
            ),
            JobKind::RiskWarning => (
                Flow::Telegram,
                "telegram:risk:{order_id}:{day}:{slot}:{stage}",
                json!({"order_id": "{order_id}", "occasion": "delivery_risk", "stage": "{stage}",
                       "minutes_left": "{minutes_left}"}),
            ),
            JobKind::DailySummary => {
                (Flow::Telegram, "telegram:daily_summary:{day}", json!({"occasion": "daily_summary", "day": "{day}"}))
            }
            JobKind::BackfillSummary => (
                Flow::Telegram,
                "telegram:backfill:{until}",
                json!({"occasion": "backfill", "count": "{count}", "from": "{from}", "to": "{to}", "until": "{until}"}),
            ),
            JobKind::CreateBitrixOrder => {
                (Flow::ReverseSync, "bitrix:create_order:{order_id}", json!({"order_id": "{order_id}"}))
            }
            JobKind::UpdateBitrixOrder => (
                Flow::ReverseSync,
                "bitrix:update_order:{order_id}:{change}",
                json!({"order_id": "{order_id}", "update": true, "fields": "{fields}", "lines": "{lines}", "seen": "{seen}"}),
            ),
            JobKind::BitrixTrackUrl => (
                Flow::ReverseSync,
                "bitrix:track_url:{order_id}:{change}",
                json!({"order_id": "{order_id}", "occasion": "track_url", "token": "{token}"}),
            ),
            JobKind::SetBitrixStatus => (
                Flow::StatusSync,
                "bitrix:status:{order_id}:{change}",
                json!({"order_id": "{order_id}", "status": "{status}"}),
            ),
            JobKind::BouquetPhoto => (
                Flow::Telegram,
                "telegram:photo:{order_id}:{photo}",
                json!({"order_id": "{order_id}", "occasion": "bouquet_photo", "photo": "{photo}"}),
            ),
            JobKind::SetAvailability => (
                Flow::AvailabilitySync,
                "bitrix:availability:{product_id}:{change}",
                json!({"product_id": "{product_id}", "stock": "{stock}"}),
            ),
        };
        JobTemplate { flow, key, payload }
    }

    /// The job for `values` (an object), filled as `public.add_job` fills a template in SQL:
    /// `{name}` in the key becomes the value's text, a payload value that is exactly `"{name}"`
    /// becomes the value itself.
    #[must_use]
    pub fn job(self, values: &Value) -> NewJob {
        let template = self.template();
        let as_text = |value: &Value| value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        let mut key = template.key.to_owned();
        if let Some(values) = values.as_object() {
            for (name, value) in values {
                key = key.replace(&format!("{{{name}}}"), &as_text(value));
            }
        }
        let payload = match template.payload {
            Value::Object(fields) => Value::Object(
                fields
                    .into_iter()
                    .map(|(name, value)| {
                        let placeholder = value.as_str().and_then(|v| v.strip_prefix('{')?.strip_suffix('}'));
                        let filled =
                            placeholder.map_or(value.clone(), |p| values.get(p).cloned().unwrap_or(Value::Null));
                        (name, filled)
                    })
                    .collect(),
            ),
            other => other,
        };
        NewJob { flow: template.flow, key, payload }
    }

    /// The templates a change may use, by the names its SQL function reads them by.
    #[must_use]
    pub fn templates(named: &[(&str, JobKind)]) -> Value {
        Value::Object(named.iter().map(|(name, kind)| ((*name).to_owned(), json!(kind.template()))).collect())
    }
}

/// Telegram lets a bot send about 20 messages a minute to one group. When at least this many
/// order messages wait for the chat at once (a burst, or messages held back by a 429), the one
/// being sent takes the others along as one digest instead of queueing them for hours
/// (`CHAT_DIGEST_AFTER` changes it).
pub const DIGEST_AFTER: u32 = 5;

/// The most messages one digest names (its text stays within Telegram's 4,096 characters).
pub const DIGEST_MAX: u32 = 40;

/// The jobs a digest may take along: the chat's messages about one order's news (a new order, a
/// status), by their occasions as the templates spell them.
#[must_use]
pub fn digest_kinds() -> (Flow, Vec<String>) {
    let occasion = |kind: JobKind| kind.template().payload["occasion"].as_str().unwrap_or_default().to_owned();
    let mut occasions = vec![occasion(JobKind::NewOrderMessage), occasion(JobKind::StatusMessage)];
    occasions.dedup();
    (Flow::Telegram, occasions)
}

/// A message the chat was due that a digest took along.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BacklogJob {
    pub id: JobId,
    pub payload: Value,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    #[serde(default)]
    pub order: Option<crate::domain::views::OrderView>,
}

impl BacklogJob {
    /// What it was due to say.
    #[must_use]
    pub fn occasion(&self) -> Option<Occasion> {
        let row = JobRow {
            id: self.id.clone(),
            flow: Flow::Telegram.as_str().to_owned(),
            idempotency_key: String::new(),
            payload: self.payload.clone(),
            attempts: 1,
            orphaned: false,
            order: None,
            correlation_id: None,
            created_at: Some(self.created_at),
            waiting: None,
        };
        match row.task() {
            Ok(Task::Notify { occasion, .. }) => Some(occasion),
            _ => None,
        }
    }
}

/// What a chat message about an order is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occasion {
    NewOrder,
    StatusChanged(CrmStatus),
    /// The order's slot is near (or over) and it still waits for the courier.
    DeliveryRisk {
        stage: RiskStage,
        minutes_left: i64,
    },
}

impl Occasion {
    /// News about an order that a digest may carry when the chat is flooded; a delivery-risk
    /// warning is always sent on its own.
    #[must_use]
    pub fn fits_a_digest(self) -> bool {
        match self {
            Occasion::NewOrder | Occasion::StatusChanged(_) => true,
            Occasion::DeliveryRisk { .. } => false,
        }
    }
}

/// A claimed attempt holds its job this long; a consumer that dies mid-attempt frees it then.
/// Longer than the longest attempt: two outbound calls at their longest timeout, and the store.
pub const JOB_LEASE: Duration = Duration::from_secs(60);

/// A job held by a switch is looked at again after this (scaled on the test stack).
pub const HOLD_RECHECK: Duration = Duration::from_secs(300);

/// How long the queue waits before redelivering a message whose outbox could not be reached.
pub const STORE_RETRY: Duration = Duration::from_secs(30);

/// How long a status code the CRM sent to Bitrix is expected back as an echo: the longest
/// retry schedule of the job that sends it, plus an hour for the queue's own retries.
#[must_use]
pub fn echo_window() -> Duration {
    retry::longest_schedule() + Duration::from_secs(3600)
}

/// The body of a Cloudflare Queue message. The attempt travels in the body: workers-rs has no
/// `attempts()` on a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QueueMessage {
    /// Carry out the `sync_jobs` row `job_id`.
    Job { job_id: JobId, attempt: u32 },
    /// Apply an accepted webhook that could not be written when it arrived (Supabase was down).
    Webhook { event_key: String, body: Value, attempt: u32 },
}

/// A `sync_jobs` row as `claim_sync_job` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JobRow {
    pub id: JobId,
    pub flow: String,
    pub idempotency_key: String,
    pub payload: Value,
    /// Counting the attempt now under way (or, when `orphaned`, the one that never ended).
    pub attempts: u32,
    /// The previous attempt's lease ran out while it was running: the consumer died mid-attempt
    /// (a panic, the CPU limit, a crash). That attempt counts as failed; no new one is started.
    #[serde(default)]
    pub orphaned: bool,
    /// The order the job names, read with the claim (so that the job needs no second read).
    #[serde(default)]
    pub order: Option<crate::domain::views::OrderView>,
    /// The correlation id of the request that caused it (a webhook's event key, a CRM call's
    /// key): on every log line of its attempts.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// When it was made: a digest names its messages in this order.
    #[serde(default)]
    pub created_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// How many other jobs of its flow wait, counted with the claim (`None`: not said).
    #[serde(default)]
    pub waiting: Option<u64>,
}

/// Old orders stored silently since the last summary (`backfill_to_announce`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillLoad {
    pub count: u64,
    /// The oldest and newest creation time in Bitrix among them.
    pub from: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub to: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The newest load counted: the next summary counts what came after it.
    pub until: chrono::DateTime<chrono::FixedOffset>,
}

impl BackfillLoad {
    /// Its summary job.
    #[must_use]
    pub fn job(&self) -> NewJob {
        JobKind::BackfillSummary.job(&json!(self))
    }
}

/// A job to add once per key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewJob {
    pub flow: Flow,
    pub key: String,
    pub payload: Value,
}

/// What a job asks to be done.
#[derive(Debug, Clone, PartialEq)]
pub enum Task {
    /// Apply a stored webhook body (a replayed dead letter).
    ApplyWebhook { body: Value },
    /// Tell the shop's chat about an order.
    Notify { order_id: String, occasion: Occasion },
    /// Tell the shop's chat how the day went.
    DailySummary { day: chrono::NaiveDate },
    /// Tell the shop's chat how many old orders a backfill stored silently.
    BackfillSummary(BackfillLoad),
    /// Tell the shop's chat what a reconciliation run found.
    ReconciliationFound { run: crate::domain::reconciliation::RunId },
    /// Create the Bitrix order of a CRM order and write its id back.
    CreateBitrixOrder { order_id: String },
    /// Send a CRM order's status to Bitrix: the one the job was made for (`None` for a job from
    /// before jobs named it: the current one); nothing when a later change superseded it.
    SetBitrixStatus { order_id: String, status: Option<CrmStatus> },
    /// Send a product's availability to Bitrix: the one the job was made for (its stock code;
    /// `None`: the current one); nothing when a later toggle superseded it.
    SetBitrixAvailability { product_id: String, in_stock: Option<bool> },
    /// Send the bouquet's photo (its R2 key) to the shop's chat.
    BouquetPhoto { order_id: String, photo: String },
    /// Send an edit made in the CRM to Bitrix: the order's current values of these fields (and
    /// its basket when `lines`), with what the editor saw.
    UpdateBitrixOrder { order_id: String, fields: Vec<crate::domain::edit::EditField>, lines: bool, seen: Value },
    /// Write the order's tracking link to Bitrix: the one the job was made for (`None`: cleared);
    /// nothing when a later link or revocation superseded it.
    SetBitrixTrackUrl { order_id: String, token: Option<String> },
}

impl JobRow {
    /// Reads the task from the flow and payload.
    ///
    /// # Errors
    /// A permanent [`Failure`] for a flow or payload this code does not know.
    pub fn task(&self) -> Result<Task, Failure> {
        let text = |key: &str| {
            self.payload.get(key).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| Failure::Permanent {
                reason: format!("{} job without payload.{key}", quote(&self.flow)),
            })
        };
        let flow = serde_json::from_value::<Flow>(Value::String(self.flow.clone()))
            .map_err(|_| Failure::Permanent { reason: format!("unknown flow {:?}", quote(&self.flow)) })?;
        match flow {
            Flow::WebhookApply => Ok(Task::ApplyWebhook { body: self.payload.clone() }),
            Flow::ReverseSync if self.payload.get("update").and_then(Value::as_bool) == Some(true) => {
                let fields = self.payload.get("fields").and_then(Value::as_array).into_iter().flatten();
                let fields = fields
                    .map(|name| {
                        name.as_str().and_then(crate::domain::edit::EditField::parse).ok_or_else(|| {
                            Failure::Permanent { reason: format!("update job names an unknown field {name}") }
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Task::UpdateBitrixOrder {
                    order_id: text("order_id")?,
                    fields,
                    lines: self.payload.get("lines").and_then(Value::as_bool).unwrap_or(false),
                    seen: self.payload.get("seen").cloned().unwrap_or(Value::Null),
                })
            }
            Flow::ReverseSync if self.payload.get("occasion").and_then(Value::as_str) == Some("track_url") => {
                Ok(Task::SetBitrixTrackUrl {
                    order_id: text("order_id")?,
                    token: self.payload.get("token").and_then(Value::as_str).map(str::to_owned),
                })
            }
            Flow::ReverseSync => Ok(Task::CreateBitrixOrder { order_id: text("order_id")? }),
            Flow::StatusSync => Ok(Task::SetBitrixStatus {
                order_id: text("order_id")?,
                status: self.payload.get("status").and_then(Value::as_str).and_then(CrmStatus::parse),
            }),
            Flow::AvailabilitySync => Ok(Task::SetBitrixAvailability {
                product_id: text("product_id")?,
                in_stock: match Stock::from_code(self.payload.get("stock").and_then(Value::as_str)) {
                    Stock::InStock => Some(true),
                    Stock::OutOfStock => Some(false),
                    Stock::Unknown => None,
                },
            }),
            Flow::Telegram => {
                let occasion = match text("occasion")?.as_str() {
                    "daily_summary" => {
                        let day = text("day")?.parse().map_err(|_| Failure::Permanent {
                            reason: "daily_summary job without a day (YYYY-MM-DD)".into(),
                        })?;
                        return Ok(Task::DailySummary { day });
                    }
                    "backfill" => {
                        let load = serde_json::from_value(self.payload.clone()).map_err(|e| Failure::Permanent {
                            reason: format!("backfill job with an unreadable payload ({e})"),
                        })?;
                        return Ok(Task::BackfillSummary(load));
                    }
                    "reconciliation" => {
                        let run = crate::domain::ids::CrmId::parse(&text("reconciliation_id")?)
                            .map_err(|_| Failure::Permanent { reason: "reconciliation job without a run id".into() })?;
                        return Ok(Task::ReconciliationFound { run });
                    }
                    "bouquet_photo" => {
                        return Ok(Task::BouquetPhoto { order_id: text("order_id")?, photo: text("photo")? });
                    }
                    "new_order" => Occasion::NewOrder,
                    "status_changed" => {
                        Occasion::StatusChanged(CrmStatus::parse(&text("status")?).unwrap_or(CrmStatus::Unknown))
                    }
                    "delivery_risk" => Occasion::DeliveryRisk {
                        stage: serde_json::from_value(Value::String(text("stage")?)).map_err(|_| {
                            Failure::Permanent { reason: "delivery_risk job with an unknown stage".into() }
                        })?,
                        minutes_left: self.payload.get("minutes_left").and_then(Value::as_i64).unwrap_or(0),
                    },
                    other => return Err(Failure::Permanent { reason: format!("unknown occasion {:?}", quote(other)) }),
                };
                Ok(Task::Notify { order_id: text("order_id")?, occasion })
            }
        }
    }
}

/// The three switches of SPEC.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Switches {
    pub sync_enabled: bool,
    pub bitrix_sync_enabled: bool,
    pub telegram_notifications_enabled: bool,
}

impl Switches {
    /// Everything on.
    #[must_use]
    pub fn all_on() -> Switches {
        Switches { sync_enabled: true, bitrix_sync_enabled: true, telegram_notifications_enabled: true }
    }
}

/// Whether a task may run now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Go,
    /// Done without doing it: a notification while notifications are off is not sent later
    /// (a burst of stale messages would help nobody).
    Skip(&'static str),
    /// Wait, without using up an attempt: a Bitrix change while Bitrix sync is off is sent
    /// once it is back on (the data must converge).
    Hold {
        reason: &'static str,
        recheck_in: Duration,
    },
}

/// Decides by the switches.
#[must_use]
pub fn gate(task: &Task, switches: Switches) -> Gate {
    match task {
        Task::Notify { .. }
        | Task::DailySummary { .. }
        | Task::ReconciliationFound { .. }
        | Task::BouquetPhoto { .. }
            if !switches.telegram_notifications_enabled =>
        {
            Gate::Skip("TELEGRAM_NOTIFICATIONS_ENABLED=false")
        }
        Task::CreateBitrixOrder { .. }
        | Task::SetBitrixStatus { .. }
        | Task::SetBitrixAvailability { .. }
        | Task::UpdateBitrixOrder { .. }
        | Task::SetBitrixTrackUrl { .. }
            if !switches.bitrix_sync_enabled =>
        {
            Gate::Hold { reason: "BITRIX_SYNC_ENABLED=false", recheck_in: HOLD_RECHECK }
        }
        Task::ApplyWebhook { .. } if !switches.sync_enabled => {
            Gate::Hold { reason: "SYNC_ENABLED=false", recheck_in: HOLD_RECHECK }
        }
        _ => Gate::Go,
    }
}

/// Reads a Telegram Bot API answer to `sendMessage`.
///
/// # Errors
/// A [`Failure`]: 429 with `parameters.retry_after` honoured, other statuses classified by
/// [`retry::is_transient_status`]. A 2xx without `"ok": true` makes no sense and is permanent,
/// as for the Bitrix gateway: the message may have been sent, so it is not sent again blindly
/// but kept as a dead letter that staff can replay.
pub fn read_telegram_answer(status: u16, body: &str) -> Result<(), Failure> {
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let success = (200..300).contains(&status);
    if success && parsed.get("ok").and_then(Value::as_bool) == Some(true) {
        return Ok(());
    }
    let description = quote(parsed.get("description").and_then(Value::as_str).unwrap_or(body));
    if success {
        return Err(Failure::Permanent { reason: format!("telegram HTTP {status} without ok=true: {description}") });
    }
    let retry_after = parsed.pointer("/parameters/retry_after").and_then(Value::as_u64).map(Duration::from_secs);
    Err(Failure::from_http_status(status, retry_after, format!("telegram HTTP {status}: {description}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job(flow: &str, payload: Value) -> JobRow {
        JobRow {
            id: crate::domain::ids::test_id(1),
            flow: flow.into(),
            idempotency_key: "k".into(),
            payload,
            attempts: 1,
            orphaned: false,
            order: None,
            correlation_id: None,
            created_at: None,
            waiting: None,
        }
    }

    #[test]
    fn each_flow_reads_into_its_task() {
        assert_eq!(
            job("telegram", json!({"order_id": "o", "occasion": "status_changed", "status": "delivering"})).task(),
            Ok(Task::Notify { order_id: "o".into(), occasion: Occasion::StatusChanged(CrmStatus::Delivering) })
        );
        assert_eq!(
            job("reverse_sync", json!({"order_id": "o"})).task(),
            Ok(Task::CreateBitrixOrder { order_id: "o".into() })
        );
        assert_eq!(
            job("availability_sync", json!({"product_id": "p"})).task(),
            Ok(Task::SetBitrixAvailability { product_id: "p".into(), in_stock: None })
        );
        assert_eq!(
            job("availability_sync", json!({"product_id": "p", "stock": "159"})).task(),
            Ok(Task::SetBitrixAvailability { product_id: "p".into(), in_stock: Some(false) })
        );
        assert_eq!(
            job("status_sync", json!({"order_id": "o", "status": "accepted"})).task(),
            Ok(Task::SetBitrixStatus { order_id: "o".into(), status: Some(CrmStatus::Accepted) })
        );
        assert!(matches!(job("fax", json!({})).task(), Err(Failure::Permanent { .. })));
        assert!(matches!(job("status_sync", json!({})).task(), Err(Failure::Permanent { .. })));
    }

    #[test]
    fn a_warning_and_a_summary_are_read_from_their_payloads() {
        assert_eq!(
            job(
                "telegram",
                json!({"order_id": "o", "occasion": "delivery_risk", "stage": "over", "minutes_left": -30})
            )
            .task(),
            Ok(Task::Notify {
                order_id: "o".into(),
                occasion: Occasion::DeliveryRisk { stage: crate::domain::jobs::RiskStage::Over, minutes_left: -30 }
            })
        );
        assert_eq!(
            job("telegram", json!({"occasion": "daily_summary", "day": "2025-08-25"})).task(),
            Ok(Task::DailySummary { day: chrono::NaiveDate::from_ymd_opt(2025, 8, 25).unwrap() })
        );
        assert!(matches!(
            job("telegram", json!({"occasion": "daily_summary", "day": "вчера"})).task(),
            Err(Failure::Permanent { .. })
        ));
        let summary = Task::DailySummary { day: chrono::NaiveDate::from_ymd_opt(2025, 8, 25).unwrap() };
        let quiet = Switches { sync_enabled: true, bitrix_sync_enabled: true, telegram_notifications_enabled: false };
        assert!(matches!(gate(&summary, quiet), Gate::Skip(_)));
    }

    #[test]
    fn a_reconciliations_message_names_its_run_and_is_skipped_like_any_message_when_notifications_are_off() {
        let run = "0b6f3c1e-0000-4000-8000-000000000007";
        let task = job("telegram", json!({"occasion": "reconciliation", "reconciliation_id": run})).task().unwrap();
        assert_eq!(task, Task::ReconciliationFound { run: crate::domain::ids::CrmId::parse(run).unwrap() });
        let quiet = Switches { telegram_notifications_enabled: false, ..Switches::all_on() };
        assert!(matches!(gate(&task, quiet), Gate::Skip(_)));
        assert_eq!(gate(&task, Switches::all_on()), Gate::Go);
        let no_run = job("telegram", json!({"occasion": "reconciliation", "reconciliation_id": "вчера"})).task();
        assert!(matches!(no_run, Err(Failure::Permanent { .. })));
    }

    #[test]
    fn switched_off_notifications_are_skipped_and_switched_off_bitrix_calls_wait() {
        let notify = Task::Notify { order_id: "o".into(), occasion: Occasion::NewOrder };
        let bitrix = Task::SetBitrixStatus { order_id: "o".into(), status: None };
        let off = Switches { sync_enabled: true, bitrix_sync_enabled: false, telegram_notifications_enabled: false };
        assert!(matches!(gate(&notify, off), Gate::Skip(_)));
        assert!(matches!(gate(&bitrix, off), Gate::Hold { .. }));
        assert_eq!(gate(&notify, Switches::all_on()), Gate::Go);
        assert_eq!(gate(&bitrix, Switches::all_on()), Gate::Go);
    }

    #[test]
    fn telegrams_429_carries_its_retry_after() {
        let failure = read_telegram_answer(429, r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}"#)
            .unwrap_err();
        assert_eq!(
            failure,
            Failure::Transient {
                retry_after: Some(Duration::from_secs(3)),
                reason: "telegram HTTP 429: Too Many Requests: retry after 3".into()
            }
        );
        assert!(read_telegram_answer(200, r#"{"ok":true,"result":{"message_id":1}}"#).is_ok());
        assert!(matches!(
            read_telegram_answer(400, r#"{"ok":false,"description":"Bad Request: chat not found"}"#),
            Err(Failure::Permanent { .. })
        ));
    }

    #[test]
    fn a_queue_message_is_tagged_json_with_its_attempt() {
        let id = "0b6f3c1e-0000-4000-8000-000000000001";
        let message = QueueMessage::Job { job_id: JobId::parse(id).unwrap(), attempt: 2 };
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json, json!({"kind": "job", "job_id": id, "attempt": 2}));
        assert_eq!(serde_json::from_value::<QueueMessage>(json).unwrap(), message);
        let unreadable = json!({"kind": "job", "job_id": "not-a-job", "attempt": 1});
        assert!(serde_json::from_value::<QueueMessage>(unreadable).is_err());
    }

    #[test]
    fn a_telegram_2xx_without_ok_true_is_permanent_and_never_retried() {
        for body in [r#"{"ok":false}"#, "<html>proxy</html>", ""] {
            assert!(matches!(read_telegram_answer(200, body), Err(Failure::Permanent { .. })), "{body}");
        }
        assert!(matches!(read_telegram_answer(502, "<html>bad gateway</html>"), Err(Failure::Transient { .. })));
        let blocked = read_telegram_answer(
            403,
            r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#,
        );
        assert_eq!(
            blocked,
            Err(Failure::Permanent { reason: "telegram HTTP 403: Forbidden: bot was blocked by the user".into() })
        );
    }

    #[test]
    fn every_flow_reads_back_from_its_name() {
        for flow in Flow::ALL {
            assert_eq!(serde_json::from_value::<Flow>(json!(flow.as_str())).unwrap(), flow);
        }
    }

    #[test]
    fn the_echo_window_outlasts_the_longest_retry_schedule() {
        assert!(echo_window() > retry::longest_schedule());
        assert!(echo_window() < Duration::from_secs(2 * 86_400), "but not by days: {:?}", echo_window());
    }

    #[test]
    fn each_job_kind_builds_its_key_flow_and_payload_from_its_values_in_one_place() {
        let order = "00000000-0000-4000-8000-000000000001";
        let new_order = JobKind::NewOrderMessage.job(&json!({"order_id": order}));
        assert_eq!(new_order.key, format!("telegram:new_order:{order}"));
        assert_eq!(
            (new_order.flow, new_order.payload),
            (Flow::Telegram, json!({"order_id": order, "occasion": "new_order"}))
        );

        let status = JobKind::CrmStatusMessage.job(&json!({"order_id": order, "change": "c1", "status": "accepted"}));
        assert_eq!(status.key, format!("telegram:status:{order}:crm:c1"));
        assert_eq!(status.payload, json!({"order_id": order, "occasion": "status_changed", "status": "accepted"}));

        let risk = JobKind::RiskWarning
            .job(&json!({"order_id": order, "day": "2025-08-25", "slot": 18, "stage": "soon", "minutes_left": -5}));
        assert_eq!(risk.key, format!("telegram:risk:{order}:2025-08-25:18:soon"));
        assert_eq!(risk.payload["minutes_left"], json!(-5), "a whole placeholder keeps the value's type");

        let bitrix = JobKind::SetBitrixStatus.job(&json!({"order_id": order, "change": "k", "status": "new"}));
        assert_eq!((bitrix.flow, bitrix.key.as_str()), (Flow::StatusSync, format!("bitrix:status:{order}:k").as_str()));
    }

    #[test]
    fn every_job_kind_reads_back_as_the_task_it_was_made_for() {
        let order = "00000000-0000-4000-8000-000000000001";
        let values = json!({"order_id": order, "product_id": order, "change": "c", "status": "accepted", "stock": "159",
                            "run": order, "day": "2025-08-25", "slot": 18, "stage": "over", "minutes_left": -30,
                            "photo": "orders/o/bouquet-ab.jpg", "fields": ["recipient_name"], "lines": true,
                            "seen": {"recipient_name": "A"}, "token": "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE"});
        for kind in [
            JobKind::NewOrderMessage,
            JobKind::StatusMessage,
            JobKind::CrmStatusMessage,
            JobKind::ReconciliationMessage,
            JobKind::RiskWarning,
            JobKind::DailySummary,
            JobKind::CreateBitrixOrder,
            JobKind::SetBitrixStatus,
            JobKind::SetAvailability,
            JobKind::BouquetPhoto,
            JobKind::UpdateBitrixOrder,
            JobKind::BitrixTrackUrl,
        ] {
            let made = kind.job(&values);
            let row = JobRow { flow: made.flow.as_str().into(), payload: made.payload, ..job("telegram", json!({})) };
            assert!(row.task().is_ok(), "{kind:?}: {:?}", row.task());
            assert!(!made.key.contains('{'), "{kind:?} left a placeholder in {}", made.key);
        }
    }
}
