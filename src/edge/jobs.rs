//! The queue consumers (jobs and the dead-letter queue) and the sweep, on the real bindings:
//! core's runner decides, this file acks, retries and logs.

use serde_json::Value;
use worker::{Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder};

use super::config::{names, Config};
use super::emit;
use super::now;
use super::outbound::{CloudflareQueue, HttpBitrixGateway, KvDedup, R2Photos, TelegramNotifier};
use super::store::PostgrestStore;
use crate::app::crm::Crm;
use crate::app::outbox::{self, Ack, Runtime};
use crate::app::ports::{cause_chain, StoreError};
use crate::app::reconciliation_run::{reconcile_if_due, ReconcileRun};
use crate::domain::log::LogLine;

/// The bindings a request or a batch borrows.
pub struct Bindings {
    pub config: Config,
    pub store: PostgrestStore,
    pub queue: CloudflareQueue,
    pub cache: KvDedup,
    pub photos: R2Photos,
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
            photos: R2Photos(env.bucket(names::PHOTOS_BUCKET).ok()),
            config,
        }
    }

    /// These bindings, their store's calls carrying `id` as their correlation id.
    #[must_use]
    pub fn correlated(mut self, id: &str) -> Bindings {
        self.store = self.store.correlated(id);
        self
    }

    /// The CRM's operations over these bindings, at `now` (the API and the pages serve them).
    #[must_use]
    pub fn crm<'a>(
        &'a self,
        gateway: &'a HttpBitrixGateway<'a>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Crm<'a, PostgrestStore, CloudflareQueue, HttpBitrixGateway<'a>> {
        Crm {
            store: &self.store,
            queue: &self.queue,
            gateway,
            switches: self.config.switches,
            now,
            risk_window: self.config.delivery_risk_minutes,
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
    let notifier = TelegramNotifier { config, photos: &bindings.photos };
    let runtime = Runtime {
        store: &bindings.store,
        gateway: &gateway,
        notifier: &notifier,
        queue: &bindings.queue,
        cache: &bindings.cache,
        switches: config.switches,
        jitter: jitter(),
        delay_scale: config.retry_delay_scale,
        crm_url: &config.crm_public_url,
        digest_after: config.chat_digest_after,
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

/// The cron trigger, every minute: the sweep, the delivery-risk check, the daily summary once
/// it is due, and the day's reconciliation with Bitrix from 04:00. Each is logged; one failing
/// does not stop the others.
pub async fn scheduled(env: &Env) {
    let bindings = Bindings::from_env(env);
    let (store, queue, now) = (&bindings.store, &bindings.queue, now());
    let line = match outbox::sweep(store, queue).await {
        Ok(count) => LogLine::new("info", "sweep.done").with("enqueued", count),
        Err(error) => LogLine::new("error", "sweep.failed").with("reason", cause_chain(&error as &StoreError)),
    };
    emit(&line);
    match outbox::run_delivery_risk(store, queue, &now, bindings.config.delivery_risk_minutes).await {
        Ok(run) if run.created > 0 => {
            emit(&LogLine::new("info", "ops.delivery_risk").with("due", run.due).with("sent", run.created));
        }
        Ok(_) => {}
        Err(error) => emit(&LogLine::new("error", "ops.delivery_risk_failed").with("reason", cause_chain(&error))),
    }
    match outbox::run_daily_summary(store, queue, &now, false).await {
        Ok(run) if run.created > 0 => emit(&LogLine::new("info", "ops.daily_summary").with("sent", run.created)),
        Ok(_) => {}
        Err(error) => emit(&LogLine::new("error", "ops.daily_summary_failed").with("reason", cause_chain(&error))),
    }
    match outbox::run_backfill_summary(store, queue, bindings.config.retry_delay_scale).await {
        Ok(run) if run.created > 0 => emit(&LogLine::new("info", "ops.backfill_summary").with("sent", run.created)),
        Ok(_) => {}
        Err(error) => emit(&LogLine::new("error", "ops.backfill_summary_failed").with("reason", cause_chain(&error))),
    }
    let gateway = HttpBitrixGateway(&bindings.config);
    match crate::app::catalog_run::load_if_due(
        store,
        &gateway,
        bindings.config.switches,
        bindings.config.retry_delay_scale,
    )
    .await
    {
        Ok(run @ crate::app::catalog_run::CatalogRun::Loaded { .. }) => emit(&crate::web::answers::catalog_log(&run)),
        Ok(_) => {}
        Err(error) => emit(&LogLine::new("error", "ops.catalog_failed").with("reason", cause_chain(&error))),
    }
    match crate::app::reference_run::refresh_if_due(
        store,
        &gateway,
        bindings.config.switches,
        bindings.config.retry_delay_scale,
    )
    .await
    {
        Ok(crate::app::reference_run::RefreshRun::NotDue | crate::app::reference_run::RefreshRun::SwitchedOff) => {}
        Ok(run) => emit(&crate::web::answers::reference_log(&run)),
        Err(error) => emit(&LogLine::new("error", "ops.reference_failed").with("reason", cause_chain(&error))),
    }
    match reconcile_if_due(store, &gateway, queue, bindings.config.switches, &now).await {
        Ok(ReconcileRun::Ran { id, outcome, .. }) => emit(
            &LogLine::new(if outcome.error.is_some() { "error" } else { "info" }, "ops.reconciliation")
                .with("run", id.as_str())
                .with("bitrix_orders", outcome.bitrix_orders)
                .with("drift", outcome.drift())
                .with("resent", outcome.resent)
                .with("error", outcome.error),
        ),
        Ok(_) => {}
        Err(error) => emit(&LogLine::new("error", "ops.reconciliation_failed").with("reason", cause_chain(&error))),
    }
}
