//! The Bitrix kit's own outbox as it reports it (`POST /webhooks/bitrix/outbox`, signed like a
//! webhook, sent by the kit's agent every run): what waits on the shop's side, what is dead
//! there, and the newest dead events. Read once here, bounded; the CRM's sync status and page show
//! it beside the Worker's own flows.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

/// The most dead events a report lists (the kit's page lists them all).
pub const MAX_DEAD_EVENTS: usize = 20;
/// The longest error text kept per dead event.
pub const MAX_ERROR_CHARS: usize = 300;
/// A report older than this is stale: the kit's agent has stopped running, or cannot reach us.
pub const STALE_AFTER_SECONDS: i64 = 15 * 60;

/// One dead event on the kit's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadEvent {
    pub id: u64,
    pub order_id: u64,
    pub event: String,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
}

/// The kit's outbox, as its agent last reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KitOutbox {
    /// Events waiting to be sent (alive), of which some have failed at least once.
    pub waiting: u32,
    pub failing: u32,
    /// Events the Worker refused five times in a row: not sent until someone retries them.
    pub dead: u32,
    /// Since when the oldest waiting event waits (Unix seconds).
    pub oldest_waiting_at: Option<i64>,
    pub dead_events: Vec<DeadEvent>,
    /// When the Worker received the report (set by the store, absent in the kit's body).
    #[serde(default)]
    pub reported_at: Option<DateTime<FixedOffset>>,
}

impl KitOutbox {
    /// Reads the kit's report: counts, the oldest waiting time and at most [`MAX_DEAD_EVENTS`]
    /// dead events, each error cut to [`MAX_ERROR_CHARS`].
    ///
    /// # Errors
    /// What is wrong with the body, naming the field.
    pub fn parse(body: &[u8]) -> Result<KitOutbox, String> {
        let mut report: KitOutbox =
            serde_json::from_slice(body).map_err(|e| format!("the report is not readable: {e}"))?;
        if report.failing > report.waiting {
            return Err("failing: more than waiting".into());
        }
        if report.dead_events.len() > MAX_DEAD_EVENTS {
            return Err(format!("dead_events: more than {MAX_DEAD_EVENTS}"));
        }
        for event in &mut report.dead_events {
            if event.event.len() > 40 {
                return Err("dead_events[].event: longer than 40 characters".into());
            }
            if let Some(error) = &mut event.last_error {
                *error = error.chars().take(MAX_ERROR_CHARS).collect();
            }
        }
        report.reported_at = None;
        Ok(report)
    }

    /// True when the report is older than [`STALE_AFTER_SECONDS`] at `now`.
    #[must_use]
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        self.reported_at.is_none_or(|at| (now - at.with_timezone(&Utc)).num_seconds() > STALE_AFTER_SECONDS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_read_with_its_counts_and_dead_events_and_errors_are_cut() {
        let body = serde_json::json!({"waiting": 3, "failing": 1, "dead": 1, "oldest_waiting_at": 1_764_650_000,
            "dead_events": [{"id": 12, "order_id": 122183, "event": "order.create", "last_status": 422,
                             "last_error": "x".repeat(1000)}]});
        let report = KitOutbox::parse(body.to_string().as_bytes()).unwrap();
        assert_eq!((report.waiting, report.failing, report.dead), (3, 1, 1));
        assert_eq!(report.dead_events[0].last_error.as_ref().unwrap().len(), MAX_ERROR_CHARS);
    }

    #[test]
    fn a_report_that_breaks_its_shape_is_refused_naming_the_field() {
        for (body, field) in [
            (serde_json::json!({"waiting": -1, "failing": 0, "dead": 0, "dead_events": []}), "readable"),
            (serde_json::json!({"waiting": 1, "failing": 2, "dead": 0, "dead_events": []}), "failing"),
            (
                serde_json::json!({"waiting": 0, "failing": 0, "dead": 21, "dead_events":
                    (0..21).map(|n| serde_json::json!({"id": n, "order_id": 1, "event": "order.create"})).collect::<Vec<_>>()}),
                "dead_events",
            ),
        ] {
            let error = KitOutbox::parse(body.to_string().as_bytes()).unwrap_err();
            assert!(error.contains(field), "{error}");
        }
    }

    #[test]
    fn a_report_older_than_a_quarter_hour_is_stale() {
        let at = DateTime::parse_from_rfc3339("2026-12-02T10:00:00+05:00").unwrap();
        let report = KitOutbox {
            waiting: 0,
            failing: 0,
            dead: 0,
            oldest_waiting_at: None,
            dead_events: vec![],
            reported_at: Some(at),
        };
        assert!(!report.is_stale(at.with_timezone(&Utc) + chrono::Duration::minutes(10)));
        assert!(report.is_stale(at.with_timezone(&Utc) + chrono::Duration::minutes(16)));
    }
}
