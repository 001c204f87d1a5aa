//! Orchestration over the ports: what happens to a webhook, step by step, with no I/O of its own.

use super::apply::Applied;
use super::auth::{bearer_token, token_matches};
use super::order::{parse_webhook, OrderEvent, ParseError};
use super::ports::{OrderStore, StoreError};

/// Bodies above this are refused with 413; a 50-line basket is about 12 KB.
pub const MAX_WEBHOOK_BYTES: usize = 256 * 1024;

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

/// A webhook that was applied, with what it did.
#[derive(Debug)]
pub struct Ingested {
    pub event: OrderEvent,
    pub applied: Applied,
}

/// (1) size, (2) authenticate, (3) parse into domain types, (4) apply through the store.
///
/// # Errors
/// [`WebhookError`] saying which step refused the webhook.
pub async fn ingest_webhook<S: OrderStore>(
    store: &S,
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
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::InvalidJson(e.to_string()))?;
    if header_token.is_none() {
        let body_token = json.get("token").and_then(serde_json::Value::as_str).unwrap_or_default();
        if !token_matches(body_token, &settings.token) {
            return Err(WebhookError::Unauthorized);
        }
    }
    let event = parse_webhook(json)?;
    if !settings.sync_enabled {
        return Err(WebhookError::SyncDisabled);
    }
    let applied = store.apply_order_event(&event).await?;
    Ok(Ingested { event, applied })
}

#[cfg(test)]
mod tests;
