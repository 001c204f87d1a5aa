//! Orchestration over the ports: what happens to a webhook, step by step, with no I/O of its own.

use std::time::Duration;

use super::apply::{Applied, ApplyOutcome};
use super::auth::{bearer_token, token_matches};
use super::jobs::QueueMessage;
use super::order::{parse_webhook, OrderEvent, ParseError};
use super::ports::{DedupCache, JobQueue, OrderStore, StoreError};
use super::runner::{dedup_key, enqueue_jobs};
use super::text::{remove_nul, Cleaned};

/// Bodies above this are refused with 413: a 50-line basket is about 12 KB, and a body must
/// fit in one Cloudflare Queue message (128 KB) when Supabase is down.
pub const MAX_WEBHOOK_BYTES: usize = 100 * 1024;

/// What the webhook route needs to know from the configuration.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `WEBHOOK_TOKEN`.
    pub token: String,
    /// `SYNC_ENABLED`: when false, webhooks are refused with 503 so that Bitrix sends them again.
    pub sync_enabled: bool,
}

/// Why a webhook was not applied.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("body is {size} bytes, over the limit of {MAX_WEBHOOK_BYTES}")]
    TooLarge { size: usize },
    #[error("missing or wrong token")]
    Unauthorized,
    #[error("body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("invalid webhook: {0}")]
    Invalid(#[from] ParseError),
    #[error("sync is switched off (SYNC_ENABLED=false)")]
    SyncDisabled,
    #[error("failed to apply the event: {0}")]
    Store(#[from] StoreError),
}

/// What became of an accepted webhook.
#[derive(Debug, PartialEq)]
pub enum Accepted {
    /// Written to the store.
    Applied(Applied),
    /// Known from the KV fast path: the store was not asked again.
    SeenBefore { order_id: Option<String> },
    /// The store is unreachable: the event waits in the queue and is applied when it is back.
    Queued,
}

/// A webhook that was accepted, with what became of it.
#[derive(Debug)]
pub struct Ingested {
    pub event: OrderEvent,
    pub accepted: Accepted,
    /// Where U+0000 was removed from its text (PostgreSQL cannot hold it): logged, not refused.
    pub cleaned: Cleaned,
}

impl Ingested {
    /// The CRM order id, when it is known yet.
    #[must_use]
    pub fn order_id(&self) -> Option<&str> {
        match &self.accepted {
            Accepted::Applied(applied) => applied.order_id.as_deref(),
            Accepted::SeenBefore { order_id } => order_id.as_deref().filter(|id| !id.is_empty()),
            Accepted::Queued => None,
        }
    }

    /// `Duplicate` for a KV hit, `None` while queued.
    #[must_use]
    pub fn outcome(&self) -> Option<ApplyOutcome> {
        match &self.accepted {
            Accepted::Applied(applied) => Some(applied.outcome),
            Accepted::SeenBefore { .. } => Some(ApplyOutcome::Duplicate),
            Accepted::Queued => None,
        }
    }
}

/// The webhook route's outside systems.
pub struct WebhookPorts<'a, S, Q, C> {
    pub store: &'a S,
    pub queue: &'a Q,
    pub cache: &'a C,
}

/// (1) size, (2) authenticate, (3) remove U+0000 and parse into domain types, (4) the KV fast
/// path, (5) apply through the store, or queue the event when the store is down, (6) hand new
/// jobs to the queue.
///
/// # Errors
/// [`WebhookError`] saying which step refused the webhook.
pub async fn ingest_webhook<S: OrderStore, Q: JobQueue, C: DedupCache>(
    ports: &WebhookPorts<'_, S, Q, C>,
    settings: &WebhookSettings,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<Ingested, WebhookError> {
    if body.len() > MAX_WEBHOOK_BYTES {
        return Err(WebhookError::TooLarge { size: body.len() });
    }
    let header_token = bearer_token(authorization);
    if header_token.is_some_and(|token| !token_matches(token, &settings.token)) {
        return Err(WebhookError::Unauthorized);
    }
    let mut json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::InvalidJson(e.to_string()))?;
    if header_token.is_none() {
        let body_token = json.get("token").and_then(serde_json::Value::as_str).unwrap_or_default();
        if !token_matches(body_token, &settings.token) {
            return Err(WebhookError::Unauthorized);
        }
    }
    if let Some(fields) = json.as_object_mut() {
        fields.remove("token");
    }
    let cleaned = remove_nul(&mut json);
    let event = parse_webhook(json.clone())?;
    if !settings.sync_enabled {
        return Err(WebhookError::SyncDisabled);
    }
    let key = dedup_key(&event.event_key);
    if let Some(order_id) = ports.cache.get(&key).await {
        return Ok(Ingested { event, accepted: Accepted::SeenBefore { order_id: Some(order_id) }, cleaned });
    }
    let accepted = match ports.store.apply_order_event(&event).await {
        Ok(applied) => {
            enqueue_jobs(ports.queue, &applied.jobs).await;
            Accepted::Applied(applied)
        }
        Err(unavailable @ StoreError::Unavailable { .. }) => {
            let message = QueueMessage::Webhook { event_key: event.event_key.clone(), body: json, attempt: 1 };
            ports.queue.send(&message, Duration::ZERO).await.map_err(|queue| {
                StoreError::unavailable(
                    format!("queueing failed too ({queue})"),
                    Some(std::sync::Arc::new(unavailable) as _),
                )
            })?;
            Accepted::Queued
        }
        Err(rejected) => return Err(rejected.into()),
    };
    let order_id = match &accepted {
        Accepted::Applied(applied) => applied.order_id.clone().unwrap_or_default(),
        _ => String::new(),
    };
    ports.cache.put(&key, &order_id).await;
    Ok(Ingested { event, accepted, cleaned })
}

#[cfg(test)]
mod tests;
