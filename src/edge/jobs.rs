//! The queue consumers (jobs and the dead-letter queue) and the sweep, on the real bindings:
//! core's runner decides, this file acks, retries and logs.

use serde_json::Value;
use worker::{Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder};

use super::config::{names, Config};
use super::emit;
use super::outbound::{CloudflareQueue, HttpBitrixGateway, KvDedup, TelegramNotifier};
use super::store::PostgrestStore;
use crate::core::log::LogLine;
use crate::core::ports::{cause_chain, StoreError};
use crate::core::runner::{self, Ack, Runtime};

/// The bindings a request or a batch borrows.
pub struct Bindings {
    pub config: Config,
    pub store: PostgrestStore,
    pub queue: CloudflareQueue,
    pub cache: KvDedup,
}

impl Bindings {
    #[must_use]
    pub fn from_env(env: &Env) -> Bindings {
        let config = Config::from_env(env);
        let store = PostgrestStore::new(&config.supabase_url, &config.supabase_service_key);
        Bindings {
            store,
            queue: CloudflareQueue(env.queue(names::JOBS_QUEUE).ok()),
            cache: KvDedup(env.kv(names::DEDUP_KV).ok()),
            config,
        }
    }
}

/// A number in [0, 1) from the Web Crypto API, for retry jitter.
fn jitter() -> f64 {
    let mut bytes = [0_u8; 4];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

/// A queue batch (`JOBS`, or its dead-letter queue): each message is acked or retried on its own.
pub async fn consume(batch: MessageBatch<Value>, env: &Env) -> worker::Result<()> {
    let bindings = Bindings::from_env(env);
    let config = &bindings.config;
    let gateway = HttpBitrixGateway(config);
    let notifier = TelegramNotifier(config);
    let runtime = Runtime {
        store: &bindings.store,
        gateway: &gateway,
        notifier: &notifier,
        queue: &bindings.queue,
        cache: &bindings.cache,
        switches: config.switches,
        jitter: jitter(),
        delay_scale: config.retry_delay_scale,
    };
    let queue = batch.queue();
    let from_dead_letter_queue = queue.ends_with("-dlq");
    for message in batch.messages()? {
        let (ack, line) = runtime.handle_message(&message.id(), message.body(), from_dead_letter_queue).await;
        emit(&line.with("queue", queue.as_str()));
        match ack {
            Ack::Ack => message.ack(),
            Ack::RetryAfter(delay) => {
                let seconds = u32::try_from(delay.as_secs().max(1)).unwrap_or(u32::MAX);
                message.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(seconds).build());
            }
        }
    }
    Ok(())
}

/// The sweep of the cron trigger, logged.
pub async fn scheduled_sweep(env: &Env) {
    let bindings = Bindings::from_env(env);
    let line = match runner::sweep(&bindings.store, &bindings.queue).await {
        Ok(count) => LogLine::new("info", "sweep.done").with("enqueued", count),
        Err(error) => LogLine::new("error", "sweep.failed").with("reason", cause_chain(&error as &StoreError)),
    };
    emit(&line);
}
