//! The queue consumer, the dead-letter consumer and the sweep: queued work carried out by
//! `core::runner` on the real bindings.

use serde_json::{json, Value};
use worker::{Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder};

use super::config::{names, Config};
use super::emit;
use super::outbound::{CloudflareQueue, HttpBitrixGateway, KvDedup, TelegramNotifier};
use super::store::PostgrestStore;
use crate::core::jobs::QueueMessage;
use crate::core::log::LogLine;
use crate::core::ports::{JobEnd, JobStore, StoreError};
use crate::core::runner::{enqueue_jobs, Runtime};

/// How long the queue waits before redelivering a message whose outbox could not be reached.
const STORE_RETRY_SECONDS: u32 = 30;

/// The bindings a runtime borrows.
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

/// Runs `work` with a runtime over the bindings.
pub async fn with_runtime<T>(
    bindings: &Bindings,
    work: impl AsyncFnOnce(
        &Runtime<'_, PostgrestStore, HttpBitrixGateway<'_>, TelegramNotifier<'_>, CloudflareQueue, KvDedup>,
    ) -> T,
) -> T {
    let gateway = HttpBitrixGateway(&bindings.config);
    let notifier = TelegramNotifier(&bindings.config);
    let runtime = Runtime {
        store: &bindings.store,
        gateway: &gateway,
        notifier: &notifier,
        queue: &bindings.queue,
        cache: &bindings.cache,
        switches: bindings.config.switches,
        jitter: jitter(),
        delay_scale: bindings.config.retry_delay_scale,
    };
    work(&runtime).await
}

/// The `JOBS` queue consumer: each message is acked or retried on its own.
pub async fn consume(batch: MessageBatch<Value>, env: &Env) -> worker::Result<()> {
    let bindings = Bindings::from_env(env);
    let dead_letter_queue = batch.queue().ends_with("-dlq");
    for message in batch.messages()? {
        let parsed: Result<QueueMessage, _> = serde_json::from_value(message.body().clone());
        let Ok(body) = parsed else {
            // Not ours to understand, but never dropped silently: kept as a dead letter.
            emit(&LogLine::new("error", "queue.unreadable_message").with("body", message.body().to_string()));
            let key = format!("unreadable:{}", message.id());
            let kept = bindings.store.record_dead_webhook(&key, message.body(), "unreadable queue message", 0).await;
            if kept.is_ok() {
                message.ack()
            } else {
                message.retry()
            }
            continue;
        };
        let result =
            if dead_letter_queue { store_dead_letter(&bindings, &body).await } else { run(&bindings, &body).await };
        match result {
            Ok(handled) => {
                emit(&LogLine::new("info", "queue.handled").with("message", json!(body)).with("handled", handled));
                message.ack();
            }
            Err(error) => {
                emit(
                    &LogLine::new("error", "queue.retry_message")
                        .with("message", json!(body))
                        .with("reason", error.to_string()),
                );
                // Supabase is unreachable: give it a while. The job's lease runs out meanwhile,
                // and the sweep re-enqueues it even if the queue gives up on this message.
                message.retry_with_options(
                    &QueueRetryOptionsBuilder::new().with_delay_seconds(STORE_RETRY_SECONDS).build(),
                );
            }
        }
    }
    Ok(())
}

async fn run(bindings: &Bindings, message: &QueueMessage) -> Result<String, StoreError> {
    with_runtime(bindings, async |runtime| match message {
        QueueMessage::Job { job_id, .. } => runtime.run_job(job_id).await.map(|h| format!("{h:?}")),
        QueueMessage::Webhook { event_key, body, attempt } => {
            runtime.run_webhook(event_key, body, *attempt).await.map(|h| format!("{h:?}"))
        }
    })
    .await
}

/// A message that used up the queue's own retries: kept in Supabase as a dead letter.
async fn store_dead_letter(bindings: &Bindings, message: &QueueMessage) -> Result<String, StoreError> {
    let error = "the queue's own retries were used up (the Worker kept failing on this message)";
    match message {
        QueueMessage::Job { job_id, .. } => {
            bindings.store.finish_job(job_id, &JobEnd::Dead { error: error.into() }).await?;
        }
        QueueMessage::Webhook { event_key, body, attempt } => {
            bindings.store.record_dead_webhook(event_key, body, error, *attempt).await?;
        }
    }
    Ok("stored as a dead letter".into())
}

/// Hands every due job to the queue: jobs whose queue message was lost, held jobs whose switch
/// is back on, replayed dead letters. Run by the cron trigger and by `POST /api/sync/run`.
pub async fn sweep(bindings: &Bindings) -> Result<usize, StoreError> {
    let due = bindings.store.rpc("due_sync_jobs", &json!({"p_limit": 200})).await?;
    let ids: Vec<String> =
        due.as_array().into_iter().flatten().filter_map(|id| id.as_str().map(str::to_owned)).collect();
    Ok(enqueue_jobs(&bindings.queue, &ids).await)
}
