//! The contract with the `apply_bitrix_order_event` SQL function: the one command a webhook
//! becomes, and the outcome it answers with. One PostgREST call, one transaction.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::ids::CrmId;
use crate::domain::jobs::JobKind;
use crate::domain::order::{BasketLine, Buyer, CrmChange, OrderDetails, OrderEvent};

/// An order Bitrix created longer ago than this, heard of by the CRM for the first time, is a
/// backfill or a resend (the Bitrix module's backfill over last year): stored without its own «Новый заказ»
/// message, and counted in one summary once the backfill goes quiet.
pub const BACKFILL_AGE: Duration = Duration::from_secs(24 * 3600);

/// A backfill has ended when no old order came in for this long: then its summary is sent.
pub const BACKFILL_QUIET: Duration = Duration::from_secs(5 * 60);

/// The JSON argument of `rpc/apply_bitrix_order_event` (see supabase/migrations).
#[derive(Debug, Serialize)]
pub struct ApplyCommand<'a> {
    pub event_key: &'a str,
    pub event: &'static str,
    pub bitrix_order_id: u64,
    /// RFC 3339; `None` when Bitrix sent no `DATE_UPDATE` (the event is then never stale).
    pub changed_at: Option<String>,
    pub status: Option<&'static str>,
    pub status_raw: Option<&'a str>,
    pub order: &'a OrderDetails,
    /// Absent: keep the stored items. Present: exactly these lines, others are removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<&'a [BasketLine]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<&'a Buyer>,
    pub crm_order_id: Option<&'a str>,
    /// Absent for Bitrix's older sender (the status-echo window decides); null for a change made
    /// in Bitrix; the gateway request's idempotency key for the echo of a CRM change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crm_change_key: Option<Option<&'a str>>,
    pub payload: &'a serde_json::Value,
    /// The jobs the event may cause, as templates (`JobKind`): SQL picks and fills them.
    pub jobs: serde_json::Value,
    /// [`BACKFILL_AGE`], for SQL to tell a backfilled order from a new one by its own clock.
    pub quiet_after_seconds: u64,
}

impl<'a> ApplyCommand<'a> {
    /// The command for one parsed webhook.
    #[must_use]
    pub fn for_event(event: &'a OrderEvent) -> Self {
        ApplyCommand {
            event_key: &event.event_key,
            event: event.kind.as_str(),
            bitrix_order_id: event.bitrix_order_id.get(),
            changed_at: event.changed_at.map(|at| at.to_rfc3339()),
            status: event.status.as_ref().map(|s| s.crm.as_str()),
            status_raw: event.status.as_ref().map(|s| s.raw.as_str()),
            order: &event.details,
            items: event.basket.as_deref(),
            user: event.buyer.as_ref(),
            crm_order_id: event.crm_order_id.as_ref().map(CrmId::as_str),
            crm_change_key: match &event.crm_change {
                CrmChange::NotSaid => None,
                CrmChange::None => Some(None),
                CrmChange::Key(key) => Some(Some(key.as_str())),
            },
            payload: &event.payload,
            jobs: JobKind::templates(&[
                ("new_order_message", JobKind::NewOrderMessage),
                ("status_message", JobKind::StatusMessage),
            ]),
            quiet_after_seconds: BACKFILL_AGE.as_secs(),
        }
    }
}

/// What applying an event did to the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplyOutcome {
    /// A new order row.
    Created,
    /// The stored order changed.
    Updated,
    /// Applied, but the order already looked exactly like this.
    Unchanged,
    /// Older than what is stored (`DATE_UPDATE`): recorded, nothing changed.
    Stale,
    /// This exact event was applied before: nothing done.
    Duplicate,
}

impl ApplyOutcome {
    /// What the staff read in the API answer.
    #[must_use]
    pub fn message_ru(self) -> &'static str {
        match self {
            ApplyOutcome::Created => "Заказ создан",
            ApplyOutcome::Updated => "Заказ обновлён",
            ApplyOutcome::Unchanged => "Заказ уже в актуальном состоянии",
            ApplyOutcome::Stale => "Событие устарело: заказ уже изменён позже, ничего не изменено",
            ApplyOutcome::Duplicate => "Событие уже было обработано",
        }
    }
}

/// The function's answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Applied {
    pub outcome: ApplyOutcome,
    /// The CRM's id of the order (`orders.id`).
    pub order_id: Option<String>,
    /// Jobs the change queued in `sync_jobs` (notifications), to hand to the queue.
    #[serde(default)]
    pub jobs: Vec<crate::domain::ids::JobId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::order::parse_webhook;
    use serde_json::json;

    #[test]
    fn a_status_change_command_carries_no_items_and_no_user_so_both_are_kept() {
        let event = parse_webhook(json!({"event": "order.status.change",
            "data": {"ID": "7", "STATUS_ID": "PD", "DATE_UPDATE": "2025-08-25T14:40:00+05:00"}}))
        .unwrap();
        let command = serde_json::to_value(ApplyCommand::for_event(&event)).unwrap();
        assert_eq!(command["status"], "delivering");
        assert_eq!(command["status_raw"], "PD");
        assert_eq!(command["changed_at"], "2025-08-25T14:40:00+05:00");
        assert_eq!(command["order"], json!({}));
        assert!(command.get("items").is_none() && command.get("user").is_none());
    }

    #[test]
    fn the_change_key_is_left_out_for_an_older_sender_null_for_a_bitrix_change_and_the_key_for_an_echo() {
        let command = |data: serde_json::Value| {
            let event = parse_webhook(json!({"event": "order.update", "data": data})).unwrap();
            serde_json::to_value(ApplyCommand::for_event(&event)).unwrap()
        };
        assert!(command(json!({"ID": "7"})).get("crm_change_key").is_none());
        assert_eq!(command(json!({"ID": "7", "crm_change_key": null})).get("crm_change_key"), Some(&json!(null)));
        assert_eq!(
            command(json!({"ID": "7", "crm_change_key": "bitrix:status:x:1"}))["crm_change_key"],
            "bitrix:status:x:1"
        );
    }

    #[test]
    fn an_empty_basket_is_sent_as_an_empty_list_so_every_stored_item_is_removed() {
        let event = parse_webhook(json!({"event": "order.update", "data": {"ID": "7", "basket": []}})).unwrap();
        let command = serde_json::to_value(ApplyCommand::for_event(&event)).unwrap();
        assert_eq!(command["items"], json!([]));
    }

    #[test]
    fn each_outcome_tells_bitrix_in_russian_what_happened() {
        let table = [
            (ApplyOutcome::Created, "Заказ создан"),
            (ApplyOutcome::Updated, "Заказ обновлён"),
            (ApplyOutcome::Unchanged, "Заказ уже в актуальном состоянии"),
            (ApplyOutcome::Stale, "Событие устарело: заказ уже изменён позже, ничего не изменено"),
            (ApplyOutcome::Duplicate, "Событие уже было обработано"),
        ];
        for (outcome, message) in table {
            assert_eq!(outcome.message_ru(), message, "{outcome:?}");
        }
    }

    #[test]
    fn the_function_answer_is_read_into_an_outcome() {
        let applied: Applied = serde_json::from_value(json!({"outcome": "stale", "order_id": "u1"})).unwrap();
        assert_eq!(applied, Applied { outcome: ApplyOutcome::Stale, order_id: Some("u1".into()), jobs: vec![] });
    }
}
