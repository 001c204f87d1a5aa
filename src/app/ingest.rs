//! Orchestration over the ports: what happens to a webhook, step by step, with no I/O of its own.

use std::time::Duration;

use crate::app::handoff::{dedup_key, follow_up, Deferred};
use crate::app::ports::{DedupCache, JobQueue, OrderStore, StoreError};
use crate::domain::apply::{Applied, ApplyOutcome};
use crate::domain::auth::{bearer_token, token_matches};
use crate::domain::jobs::QueueMessage;
use crate::domain::order::{parse_webhook, OrderEvent, ParseError};
use crate::domain::signing::{verify, SecretError, SignatureError, SignedHeaders, SigningSecret};
use crate::domain::text::{remove_nul, Cleaned};

/// Bodies above this are refused with 413: a 50-line basket is about 12 KB, and a body must
/// fit in one Cloudflare Queue message (128 KB) when Supabase is down.
pub const MAX_WEBHOOK_BYTES: usize = 100 * 1024;

/// How webhooks prove where they come from.
#[derive(Debug, Clone)]
pub enum WebhookAuth {
    /// No `WEBHOOK_SIGNING_SECRET`: `WEBHOOK_TOKEN` as a Bearer header or the body's `token`.
    Token(String),
    /// `WEBHOOK_SIGNING_SECRET` is set: a Standard Webhooks signature, and nothing else, is proof.
    Signed(SigningSecret),
    /// `WEBHOOK_SIGNING_SECRET` is set but unusable: every webhook is refused (503, so that the
    /// sender keeps it) until it is fixed; never a fallback to the token.
    Misconfigured(SecretError),
}

impl WebhookAuth {
    /// From `WEBHOOK_TOKEN` and `WEBHOOK_SIGNING_SECRET` (unset or blank: tokens).
    #[must_use]
    pub fn from_settings(token: String, signing_secret: Option<&str>) -> Self {
        match signing_secret.map(str::trim).filter(|s| !s.is_empty()) {
            None => Self::Token(token),
            Some(secret) => SigningSecret::parse(secret).map_or_else(Self::Misconfigured, Self::Signed),
        }
    }

    /// `signature` or `token`, for `/health` (`misconfigured` when the secret is unusable).
    #[must_use]
    pub fn mode(&self) -> &'static str {
        match self {
            Self::Token(_) => "token",
            Self::Signed(_) => "signature",
            Self::Misconfigured(_) => "misconfigured",
        }
    }
}

/// What the webhook route needs to know from the configuration.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub auth: WebhookAuth,
    /// `SYNC_ENABLED`: when false, webhooks are refused with 503 so that Bitrix sends them again.
    pub sync_enabled: bool,
}

/// What a webhook request carries to prove its origin, and the Worker's clock (Unix seconds).
#[derive(Debug, Clone, Copy, Default)]
pub struct Credentials<'a> {
    pub authorization: Option<&'a str>,
    pub signed: SignedHeaders<'a>,
    pub now: i64,
}

/// Why a webhook was not applied.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("body is {size} bytes, over the limit of {MAX_WEBHOOK_BYTES}")]
    TooLarge { size: usize },
    #[error("missing or wrong token")]
    Unauthorized,
    #[error("signature refused: {0}")]
    BadSignature(SignatureError),
    #[error("WEBHOOK_SIGNING_SECRET cannot be used: {0}")]
    SigningMisconfigured(SecretError),
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

/// Checks the webhook's proof of origin: the signature when a signing secret is set, else the
/// token (Bearer header, or the body's `token` for Bitrix's older sender).
fn authenticate(
    auth: &WebhookAuth,
    credentials: &Credentials<'_>,
    body: &[u8],
    json: &serde_json::Value,
) -> Result<(), WebhookError> {
    match auth {
        WebhookAuth::Misconfigured(problem) => Err(WebhookError::SigningMisconfigured(problem.clone())),
        WebhookAuth::Signed(secret) => {
            verify(secret, credentials.signed, body, credentials.now).map_err(WebhookError::BadSignature)
        }
        WebhookAuth::Token(expected) => {
            let given = match bearer_token(credentials.authorization) {
                Some(header) => header,
                None => json.get("token").and_then(serde_json::Value::as_str).unwrap_or_default(),
            };
            if token_matches(given, expected) {
                Ok(())
            } else {
                Err(WebhookError::Unauthorized)
            }
        }
    }
}

/// The kit's outbox report (`POST /webhooks/bitrix/outbox`): (1) size, (2) the same
/// authentication as a webhook, (3) read into [`KitOutbox`], (4) kept as the newest.
///
/// # Errors
/// [`WebhookError`]: too large, not authenticated, not a report (`InvalidJson`, naming what), or
/// the store.
pub async fn ingest_kit_outbox<S: crate::app::ports::CrmStore>(
    store: &S,
    settings: &WebhookSettings,
    credentials: &Credentials<'_>,
    body: &[u8],
) -> Result<crate::domain::kit_outbox::KitOutbox, WebhookError> {
    if body.len() > MAX_WEBHOOK_BYTES {
        return Err(WebhookError::TooLarge { size: body.len() });
    }
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
    authenticate(&settings.auth, credentials, body, &json)?;
    let report = crate::domain::kit_outbox::KitOutbox::parse(body).map_err(WebhookError::InvalidJson)?;
    store.record_kit_outbox(&report).await?;
    Ok(report)
}

/// (1) size, (2) authenticate, (3) remove U+0000 and parse into domain types, (4) apply through
/// the store: the one round trip the answer waits for. Only when the store cannot be reached:
/// (5) the KV fast path (so that Bitrix's repeats during an outage are not queued again), then
/// the event into the queue. What is left (queue sends for the new jobs, the KV record) is
/// returned as [`Deferred`], for after the answer.
///
/// # Errors
/// [`WebhookError`] saying which step refused the webhook.
pub async fn ingest_webhook<S: OrderStore, Q: JobQueue, C: DedupCache>(
    ports: &WebhookPorts<'_, S, Q, C>,
    settings: &WebhookSettings,
    credentials: &Credentials<'_>,
    body: &[u8],
) -> Result<(Ingested, Deferred), WebhookError> {
    if body.len() > MAX_WEBHOOK_BYTES {
        return Err(WebhookError::TooLarge { size: body.len() });
    }
    if let WebhookAuth::Misconfigured(problem) = &settings.auth {
        return Err(WebhookError::SigningMisconfigured(problem.clone()));
    }
    // A wrong Bearer token or signature is refused before the body is read as JSON.
    let early = match &settings.auth {
        WebhookAuth::Token(_) => bearer_token(credentials.authorization).is_some(),
        _ => true,
    };
    if early {
        authenticate(&settings.auth, credentials, body, &serde_json::Value::Null)?;
    }
    let mut json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::InvalidJson(e.to_string()))?;
    if !early {
        authenticate(&settings.auth, credentials, body, &json)?;
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
    match ports.store.apply_order_event(&event).await {
        Ok(applied) => {
            let deferred = follow_up(&event, &applied);
            Ok((Ingested { event, accepted: Accepted::Applied(applied), cleaned }, deferred))
        }
        Err(unavailable @ StoreError::Unavailable { .. }) => {
            if let Some(order_id) = ports.cache.get(&key).await {
                let accepted = Accepted::SeenBefore { order_id: Some(order_id) };
                return Ok((Ingested { event, accepted, cleaned }, Deferred::default()));
            }
            let message = QueueMessage::Webhook { event_key: event.event_key.clone(), body: json, attempt: 1 };
            ports.queue.send(&message, Duration::ZERO).await.map_err(|queue| {
                StoreError::unavailable(
                    format!("queueing failed too ({queue})"),
                    Some(std::sync::Arc::new(unavailable) as _),
                )
            })?;
            let deferred = Deferred { jobs: Vec::new(), remember: Some((key, String::new())) };
            Ok((Ingested { event, accepted: Accepted::Queued, cleaned }, deferred))
        }
        Err(rejected) => Err(rejected.into()),
    }
}

#[cfg(test)]
mod tests;
