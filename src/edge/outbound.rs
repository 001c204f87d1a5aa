//! Calls to the outside: the Bitrix gateway and the Telegram Bot API over `fetch`, each with the
//! configured timeout, and the Queue and KV bindings. Each implements a core port.

use std::time::Duration;

use futures::future::{select, Either};
use serde::Serialize;
use serde_json::{json, Value};
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

use super::config::Config;
use crate::app::ports::{BitrixGateway, ChatMessage, DedupCache, JobQueue, Notifier};
use crate::app::ports::{PhotoStore, StoreError};
use crate::domain::gateway::{parse_retry_after, read_answer, GatewayRequest, HttpAnswer};
use crate::domain::jobs::{read_telegram_answer, QueueMessage};
use crate::domain::photo::ImageKind;
use crate::domain::retry::Failure;
use crate::web::deployment::redact;
use crate::web::telegram::{photo_upload, render_message};

/// KV entries for webhooks live a day (Cloudflare's minimum is 60 s).
const DEDUP_TTL_SECONDS: u64 = 86_400;

/// The failure with every secret of the configuration taken out of its reason: a URL in an
/// error (a mistyped `TELEGRAM_API_URL` carries the bot token in its path) never reaches a
/// job's `last_error`, the sync page or a log line.
fn without_secrets<T>(result: Result<T, Failure>, config: &Config) -> Result<T, Failure> {
    result.map_err(|failure| match failure {
        Failure::Transient { retry_after, reason } => {
            Failure::Transient { retry_after, reason: redact(&reason, &config.secrets()) }
        }
        Failure::Permanent { reason } => Failure::Permanent { reason: redact(&reason, &config.secrets()) },
    })
}

/// POSTs JSON and returns the answer, or a transient failure on a network error or when
/// `timeout` passes (the request is then aborted).
async fn post_json(
    url: &str,
    headers: &[(&str, &str)],
    body: &Value,
    timeout: Duration,
) -> Result<HttpAnswer, Failure> {
    post(url, headers, "application/json", body.to_string().into(), timeout).await
}

/// POSTs a body of `content_type`, as [`post_json`] does.
async fn post(
    url: &str,
    headers: &[(&str, &str)],
    content_type: &str,
    body: worker::wasm_bindgen::JsValue,
    timeout: Duration,
) -> Result<HttpAnswer, Failure> {
    let transient = |reason: String| Failure::Transient { retry_after: None, reason };
    let request_headers = Headers::new();
    request_headers.set("Content-Type", content_type).map_err(|e| transient(e.to_string()))?;
    for (name, value) in headers {
        request_headers.set(name, value).map_err(|e| transient(e.to_string()))?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(request_headers).with_body(Some(body));
    let request =
        Request::new_with_init(url, &init).map_err(|e| Failure::Permanent { reason: format!("bad URL {url}: {e}") })?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let call = Box::pin(async move {
        let mut response = Fetch::Request(request).send_with_signal(&signal).await?;
        let status = response.status_code();
        let retry_after = parse_retry_after(response.headers().get("Retry-After")?.as_deref());
        let body = response.text().await?;
        Ok::<_, worker::Error>(HttpAnswer { status, retry_after, body })
    });
    match select(call, Delay::from(timeout)).await {
        Either::Left((Ok(answer), _)) => Ok(answer),
        Either::Left((Err(error), _)) => Err(transient(format!("fetch failed: {error}"))),
        Either::Right(_) => {
            controller.abort();
            Err(transient(format!("no answer within {} s", timeout.as_secs())))
        }
    }
}

/// The Bitrix PHP gateway (docs/bitrix-gateway.md).
pub struct HttpBitrixGateway<'a>(pub &'a Config);

impl BitrixGateway for HttpBitrixGateway<'_> {
    async fn call(&self, request: &GatewayRequest, idempotency_key: &str) -> Result<Value, Failure> {
        let mut body = serde_json::to_value(request).map_err(|e| Failure::Permanent { reason: e.to_string() })?;
        body["idempotency_key"] = json!(idempotency_key);
        let headers = [("X-API-TOKEN", self.0.bitrix_api_token.as_str()), ("Idempotency-Key", idempotency_key)];
        let answer = post_json(&self.0.bitrix_api_url, &headers, &body, self.0.outbound_timeout).await;
        without_secrets(answer.and_then(|answer| read_answer(&answer)), self.0)
    }
}

/// Telegram Bot API `sendMessage` to the shop's chat, HTML parse mode; a photo goes with
/// `sendPhoto` (its bytes read from R2).
pub struct TelegramNotifier<'a> {
    pub config: &'a Config,
    pub photos: &'a R2Photos,
}

impl Notifier for TelegramNotifier<'_> {
    async fn send(&self, message: &ChatMessage<'_>) -> Result<(), Failure> {
        let config = self.config;
        let html = render_message(message);
        if let ChatMessage::Photo { photo, .. } = message {
            let kind = ImageKind::from_content_type(&photo.content_type)
                .ok_or_else(|| Failure::Permanent { reason: format!("photo of type {:?}", photo.content_type) })?;
            let bytes = match self.photos.get(&photo.key).await {
                Ok(Some(bytes)) => bytes,
                Ok(None) => return Err(Failure::Permanent { reason: format!("photo {} is not in R2", photo.key) }),
                Err(error) => return Err(Failure::transient(format!("R2: {error}"))),
            };
            let boundary =
                format!("cvety-crm-{}", crate::web::session::new_session_id(&mut crate::random::SystemRandom));
            let (method, content_type, body) = photo_upload(&config.telegram_chat_id, &html, &bytes, kind, &boundary);
            let url = format!("{}/bot{}/{method}", config.telegram_api_url, config.telegram_bot_token);
            let body = worker::js_sys::Uint8Array::from(body.as_slice()).into();
            let answer =
                post(&url, &[], &content_type, body, config.outbound_timeout.max(Duration::from_secs(30))).await;
            return without_secrets(
                answer.and_then(|answer| read_telegram_answer(answer.status, &answer.body)),
                config,
            );
        }
        let url = format!("{}/bot{}/sendMessage", config.telegram_api_url, config.telegram_bot_token);
        let body = json!({"chat_id": config.telegram_chat_id, "text": html, "parse_mode": "HTML",
                          "disable_web_page_preview": true});
        let answer = post_json(&url, &[], &body, config.outbound_timeout).await;
        without_secrets(answer.and_then(|answer| read_telegram_answer(answer.status, &answer.body)), config)
    }
}

/// Cloudflare Queues producer.
pub struct CloudflareQueue(pub Option<worker::Queue>);

impl JobQueue for CloudflareQueue {
    async fn send(&self, message: &QueueMessage, delay: Duration) -> Result<(), String> {
        let Some(queue) = &self.0 else { return Err("no JOBS queue binding".into()) };
        let seconds = u32::try_from(delay.as_secs() + u64::from(delay.subsec_nanos() > 0)).unwrap_or(u32::MAX);
        // JSON-compatible: serde-wasm-bindgen would otherwise turn JSON objects into JS Maps,
        // which arrive at the consumer empty.
        let body = message
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| format!("cannot serialize the queue message: {e}"))?;
        let mut builder = worker::RawMessageBuilder::new(body);
        if seconds > 0 {
            builder = builder.delay_seconds(seconds);
        }
        queue.send_raw(builder.build_with_content_type(worker::QueueContentType::Json)).await.map_err(|e| e.to_string())
    }
}

/// R2's `PHOTOS` bucket (wrangler dev keeps it on disk locally).
pub struct R2Photos(pub Option<worker::Bucket>);

impl PhotoStore for R2Photos {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        let Some(bucket) = &self.0 else { return Err(StoreError::unavailable("no PHOTOS bucket binding", None)) };
        let metadata = worker::HttpMetadata { content_type: Some(content_type.to_owned()), ..Default::default() };
        bucket
            .put(key, bytes)
            .http_metadata(metadata)
            .execute()
            .await
            .map(|_| ())
            .map_err(|e| StoreError::unavailable(format!("R2 put: {e}"), None))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(bucket) = &self.0 else { return Err(StoreError::unavailable("no PHOTOS bucket binding", None)) };
        let object =
            bucket.get(key).execute().await.map_err(|e| StoreError::unavailable(format!("R2 get: {e}"), None))?;
        let Some(body) = object.as_ref().and_then(worker::Object::body) else { return Ok(None) };
        body.bytes().await.map(Some).map_err(|e| StoreError::unavailable(format!("R2 read: {e}"), None))
    }
}

/// Workers KV fast path. Errors count as misses: the database decides anyway.
pub struct KvDedup(pub Option<worker::kv::KvStore>);

impl DedupCache for KvDedup {
    async fn get(&self, key: &str) -> Option<String> {
        self.0.as_ref()?.get(key).text().await.ok().flatten()
    }

    async fn put(&self, key: &str, value: &str) {
        if let Some(kv) = &self.0 {
            if let Ok(put) = kv.put(key, value) {
                let _ = put.expiration_ttl(DEDUP_TTL_SECONDS).execute().await;
            }
        }
    }
}
