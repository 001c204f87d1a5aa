//! Queued jobs: the queue message, a job as claimed from `sync_jobs`, what it asks to be done,
//! and whether the switches let it run now.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::retry::Failure;
use super::status::CrmStatus;
use super::telegram::Occasion;

/// The body of a Cloudflare Queue message. The attempt travels in the body: workers-rs has no
/// `attempts()` on a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QueueMessage {
    /// Carry out the `sync_jobs` row `job_id`.
    Job { job_id: String, attempt: u32 },
    /// Apply an accepted webhook that could not be written when it arrived (Supabase was down).
    Webhook { event_key: String, body: Value, attempt: u32 },
}

/// A `sync_jobs` row as `claim_sync_job` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JobRow {
    pub id: String,
    pub flow: String,
    pub idempotency_key: String,
    pub payload: Value,
    /// Counting the attempt now under way.
    pub attempts: u32,
}

/// What a job asks to be done.
#[derive(Debug, Clone, PartialEq)]
pub enum Task {
    /// Apply a stored webhook body (a replayed dead letter).
    ApplyWebhook { body: Value },
    /// Tell the shop's chat.
    Notify { order_id: String, occasion: Occasion },
    /// Create the Bitrix order of a CRM order and write its id back.
    CreateBitrixOrder { order_id: String },
    /// Send a CRM order's current status to Bitrix.
    SetBitrixStatus { order_id: String },
    /// Send a product's current availability to Bitrix.
    SetBitrixAvailability { product_id: String },
}

impl JobRow {
    /// Reads the task from the flow and payload.
    ///
    /// # Errors
    /// A permanent [`Failure`] for a flow or payload this code does not know.
    pub fn task(&self) -> Result<Task, Failure> {
        let text = |key: &str| {
            self.payload
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| Failure::Permanent { reason: format!("{} job without payload.{key}", self.flow) })
        };
        match self.flow.as_str() {
            "webhook_apply" => Ok(Task::ApplyWebhook { body: self.payload.clone() }),
            "reverse_sync" => Ok(Task::CreateBitrixOrder { order_id: text("order_id")? }),
            "status_sync" => Ok(Task::SetBitrixStatus { order_id: text("order_id")? }),
            "availability_sync" => Ok(Task::SetBitrixAvailability { product_id: text("product_id")? }),
            "telegram" => {
                let occasion = match text("occasion")?.as_str() {
                    "new_order" => Occasion::NewOrder,
                    "status_changed" => {
                        Occasion::StatusChanged(CrmStatus::parse(&text("status")?).unwrap_or(CrmStatus::Unknown))
                    }
                    other => return Err(Failure::Permanent { reason: format!("unknown occasion {other:?}") }),
                };
                Ok(Task::Notify { order_id: text("order_id")?, occasion })
            }
            other => Err(Failure::Permanent { reason: format!("unknown flow {other:?}") }),
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

const HOLD_RECHECK: Duration = Duration::from_secs(300);

/// Decides by the switches.
#[must_use]
pub fn gate(task: &Task, switches: Switches) -> Gate {
    match task {
        Task::Notify { .. } if !switches.telegram_notifications_enabled => {
            Gate::Skip("TELEGRAM_NOTIFICATIONS_ENABLED=false")
        }
        Task::CreateBitrixOrder { .. } | Task::SetBitrixStatus { .. } | Task::SetBitrixAvailability { .. }
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
/// A [`Failure`]: 429 with `parameters.retry_after` honoured, other statuses classified as usual.
pub fn read_telegram_answer(status: u16, body: &str) -> Result<(), Failure> {
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if (200..300).contains(&status) && parsed.get("ok").and_then(Value::as_bool) == Some(true) {
        return Ok(());
    }
    let description = parsed.get("description").and_then(Value::as_str).unwrap_or(body);
    let retry_after = parsed.pointer("/parameters/retry_after").and_then(Value::as_u64).map(Duration::from_secs);
    let status = if (200..300).contains(&status) { 502 } else { status };
    Err(Failure::from_http_status(status, retry_after, format!("telegram HTTP {status}: {description}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job(flow: &str, payload: Value) -> JobRow {
        JobRow { id: "j1".into(), flow: flow.into(), idempotency_key: "k".into(), payload, attempts: 1 }
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
            Ok(Task::SetBitrixAvailability { product_id: "p".into() })
        );
        assert!(matches!(job("fax", json!({})).task(), Err(Failure::Permanent { .. })));
        assert!(matches!(job("status_sync", json!({})).task(), Err(Failure::Permanent { .. })));
    }

    #[test]
    fn switched_off_notifications_are_skipped_and_switched_off_bitrix_calls_wait() {
        let notify = Task::Notify { order_id: "o".into(), occasion: Occasion::NewOrder };
        let bitrix = Task::SetBitrixStatus { order_id: "o".into() };
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
        let message = QueueMessage::Job { job_id: "j1".into(), attempt: 2 };
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json, json!({"kind": "job", "job_id": "j1", "attempt": 2}));
        assert_eq!(serde_json::from_value::<QueueMessage>(json).unwrap(), message);
    }
}
