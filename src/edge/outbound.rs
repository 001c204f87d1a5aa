//! Calls to the outside: the Bitrix gateway and the Telegram Bot API over `fetch`, each with the
//! configured timeout, and the Queue and KV bindings. Each implements a core port.

use std::time::Duration;

use futures::future::{select, Either};
use serde::Serialize;
use serde_json::{json, Value};
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

use super::config::Config;
use crate::app::ports::{BitrixGateway, ChatMessage, DedupCache, JobQueue, Notifier};
use crate::domain::gateway::{parse_retry_after, read_answer, GatewayRequest, HttpAnswer};
use crate::domain::jobs::{read_telegram_answer, QueueMessage};
use crate::domain::retry::Failure;
use crate::web::deployment::redact;
use crate::web::telegram::render_message;

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
    let transient = |reason: String| Failure::Transient { retry_after: None, reason };
    let request_headers = Headers::new();
    request_headers.set("Content-Type", "application/json").map_err(|e| transient(e.to_string()))?;
    for (name, value) in headers {
        request_headers.set(name, value).map_err(|e| transient(e.to_string()))?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(request_headers).with_body(Some(body.to_string().into()));
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

/// Telegram Bot API `sendMessage` to the shop's chat, HTML parse mode.
pub struct TelegramNotifier<'a>(pub &'a Config);

impl Notifier for TelegramNotifier<'_> {
    async fn send(&self, message: &ChatMessage<'_>) -> Result<(), Failure> {
        let config = self.0;
        let html = render_message(message);
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
