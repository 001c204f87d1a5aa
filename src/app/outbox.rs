//! Carrying out queued work over the ports: one queue message (a job attempt, a delayed webhook
//! apply, or a dead letter to keep), and the sweep. Every outcome is recorded, every retry is
//! scheduled by `retry::decide`, and no failure (an unreadable message, an attempt that died
//! mid-way) can bring a job back sooner than the schedule says.

use std::time::Duration;

use serde_json::{json, Value};

use crate::app::handoff::{apply_event, enqueue_jobs};
use crate::app::ports::{
    cause_chain, BitrixGateway, ChatMessage, DedupCache, JobEnd, JobQueue, JobStore, Notifier, OrderStore,
    ReconcileStore, StoreError,
};
use crate::domain::apply::BACKFILL_QUIET;
use crate::domain::clock;
use crate::domain::gateway::{self, GatewayRequest};
use crate::domain::ids::{CrmId, JobId};
use crate::domain::jobs::NewJob;
use crate::domain::jobs::{
    digest_kinds, gate, Gate, JobRow, Occasion, QueueMessage, Switches, Task, DIGEST_MAX, JOB_LEASE, STORE_RETRY,
};
use crate::domain::log::LogLine;
use crate::domain::ops::{not_revenue, risk_warnings, summary_due, summary_job};
use crate::domain::order::parse_webhook;
use crate::domain::retry::{decide, Decision, Failure};
use crate::domain::status::ALL_CRM_STATUSES;
use crate::domain::text::quote;
use crate::domain::views::OrderView;
use crate::domain::views::{IN_STOCK, OUT_OF_STOCK};

/// Everything a job may touch, and the knobs of this run.
pub struct Runtime<'a, S, G, N, Q, C> {
    pub store: &'a S,
    pub gateway: &'a G,
    pub notifier: &'a N,
    pub queue: &'a Q,
    pub cache: &'a C,
    pub switches: Switches,
    /// A number in [0, 1) for the retry jitter.
    pub jitter: f64,
    /// Multiplies the retry schedule (1.0 in production; the test stack shortens it).
    pub delay_scale: f64,
    /// The CRM's own address, for links in messages (`CRM_PUBLIC_URL`).
    pub crm_url: &'a str,
    /// How many order messages waiting at once make a digest (`CHAT_DIGEST_AFTER`).
    pub digest_after: u32,
}

/// What became of a queue message.
#[derive(Debug, Clone, PartialEq)]
pub enum Handled {
    /// Nothing to do: the job was done, dead or held by another attempt.
    Nothing,
    Done,
    Skipped,
    Held,
    Retrying {
        delay: Duration,
    },
    Dead {
        error: String,
    },
    /// Kept in the store as a dead letter (a message from the dead-letter queue, or one no code
    /// can read).
    Kept,
}

/// What the queue must do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    /// Handled (whatever the outcome): the queue forgets it.
    Ack,
    /// The store could not be reached to record anything: deliver it again after this long.
    /// Past the queue's own retries it goes to the dead-letter queue, whose consumer keeps it.
    RetryAfter(Duration),
}

/// The most jobs one sweep hands to the queue; the next sweep (a minute later) takes the rest.
pub const SWEEP_LIMIT: u32 = 200;

/// Hands every due job to the queue: jobs whose queue message was lost, held jobs whose switch
/// is back on, replayed dead letters, attempts orphaned by a consumer that died. Run by the
/// cron trigger every minute and by `POST /api/sync/run`.
///
/// # Errors
/// [`StoreError`] when the due jobs cannot be read.
pub async fn sweep<S: JobStore, Q: JobQueue>(store: &S, queue: &Q) -> Result<usize, StoreError> {
    let due = store.due_jobs(SWEEP_LIMIT).await?;
    Ok(enqueue_jobs(queue, &due).await)
}

/// The statuses of orders that still wait for the courier (`CrmStatus::waits_for_courier`).
#[must_use]
pub fn waiting_statuses() -> Vec<&'static str> {
    ALL_CRM_STATUSES.iter().filter(|s| s.waits_for_courier()).map(|s| s.as_str()).collect()
}

/// What an on-demand or cron run of a day task did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRun {
    /// How many messages the rules call for now.
    pub due: usize,
    /// How many of them are new (the others were sent before: once only).
    pub created: usize,
}

/// Warns the shop's chat about today's orders whose slot is near or over and that still wait
/// for the courier: once per order, slot and stage (`ops::risk_warnings`).
///
/// # Errors
/// [`StoreError`] when the orders cannot be read or the jobs written.
pub async fn run_delivery_risk<S: JobStore, Q: JobQueue>(
    store: &S,
    queue: &Q,
    now: &chrono::DateTime<chrono::Utc>,
    window_minutes: u32,
) -> Result<DayRun, StoreError> {
    let now = clock::in_almaty(now);
    let candidates = store.risk_candidates(now.date(), &waiting_statuses()).await?;
    let warnings = risk_warnings(&candidates, now, window_minutes);
    if warnings.is_empty() {
        return Ok(DayRun { due: 0, created: 0 });
    }
    let jobs: Vec<NewJob> = warnings.iter().map(|warning| warning.job.clone()).collect();
    let created = store.add_jobs(&jobs).await?;
    enqueue_jobs(queue, &created).await;
    Ok(DayRun { due: warnings.len(), created: created.len() })
}

/// Sends the day's summary once: when it is due (from 21:00 in Almaty until midnight), or at
/// once when asked for; a day's summary is never sent twice.
///
/// # Errors
/// [`StoreError`] when the job cannot be written.
pub async fn run_daily_summary<S: JobStore, Q: JobQueue>(
    store: &S,
    queue: &Q,
    now: &chrono::DateTime<chrono::Utc>,
    on_demand: bool,
) -> Result<DayRun, StoreError> {
    let now = clock::in_almaty(now);
    let Some(day) = (if on_demand { Some(now.date()) } else { summary_due(now) }) else {
        return Ok(DayRun { due: 0, created: 0 });
    };
    let created = store.add_jobs(&[summary_job(day)]).await?;
    enqueue_jobs(queue, &created).await;
    Ok(DayRun { due: 1, created: created.len() })
}

/// Sums a backfill up once it has gone quiet ([`BACKFILL_QUIET`], times `delay_scale` on the
/// test stack): one message for all the old orders stored silently since the last summary (its
/// key is the newest load it counts).
///
/// # Errors
/// The store's failure.
pub async fn run_backfill_summary<S: JobStore, Q: JobQueue>(
    store: &S,
    queue: &Q,
    delay_scale: f64,
) -> Result<DayRun, StoreError> {
    let quiet = BACKFILL_QUIET.mul_f64(delay_scale.clamp(0.0, 1.0));
    let Some(load) = store.backfill_to_announce(quiet).await? else {
        return Ok(DayRun { due: 0, created: 0 });
    };
    let created = store.add_jobs(&[load.job()]).await?;
    enqueue_jobs(queue, &created).await;
    Ok(DayRun { due: 1, created: created.len() })
}

impl<S, G, N, Q, C> Runtime<'_, S, G, N, Q, C>
where
    S: OrderStore + JobStore + ReconcileStore,
    G: BitrixGateway,
    N: Notifier,
    Q: JobQueue,
    C: DedupCache,
{
    /// Our own waits shrink with `delay_scale` on the test stack; a peer's `retry_after` never does.
    fn scaled(&self, delay: Duration) -> Duration {
        delay.mul_f64(self.delay_scale.clamp(0.0, 1.0))
    }

    fn retry_delay(&self, failure: &Failure, delay: Duration) -> Duration {
        match failure {
            Failure::Transient { retry_after: Some(_), .. } => delay,
            _ => self.scaled(delay),
        }
    }

    /// Handles one queue message: reads it, carries it out (or, from the dead-letter queue,
    /// keeps it as a dead letter), and says what the queue must do and what to log.
    pub async fn handle_message(&self, message_id: &str, body: &Value, from_dead_letter_queue: bool) -> (Ack, LogLine) {
        let Ok(message) = serde_json::from_value::<QueueMessage>(body.clone()) else {
            // Not ours to understand (an older or newer format), but never dropped silently.
            let key = format!("unreadable:{message_id}");
            let kept = self.store.record_dead_webhook(&key, body, "unreadable queue message", 0).await;
            let line = LogLine::new("error", "queue.unreadable_message").with("body", body.to_string());
            return match kept {
                Ok(()) => (Ack::Ack, line.with("handled", "kept as a dead letter")),
                Err(error) => (Ack::RetryAfter(self.scaled(STORE_RETRY)), line.with("reason", cause_chain(&error))),
            };
        };
        // The correlation id of the cause: the job's (read with its claim), or the webhook's key.
        let mut correlation = match &message {
            QueueMessage::Job { .. } => None,
            QueueMessage::Webhook { event_key, .. } => Some(event_key.clone()),
        };
        let result = if from_dead_letter_queue {
            self.keep_dead_letter(&message).await.map(|()| Handled::Kept)
        } else {
            match &message {
                QueueMessage::Job { job_id, .. } => self.run_job_traced(job_id).await.map(|(handled, id)| {
                    correlation = id;
                    handled
                }),
                QueueMessage::Webhook { event_key, body, attempt } => self.run_webhook(event_key, body, *attempt).await,
            }
        };
        let summary = match &message {
            QueueMessage::Job { job_id, attempt } => json!({"kind": "job", "job_id": job_id, "attempt": attempt}),
            QueueMessage::Webhook { event_key, attempt, .. } => {
                json!({"kind": "webhook", "event_key": event_key, "attempt": attempt})
            }
        };
        let (ack, line) = match result {
            Ok(handled) => (
                Ack::Ack,
                LogLine::new("info", "queue.handled").with("message", summary).with("handled", format!("{handled:?}")),
            ),
            Err(error) => (
                // Supabase is unreachable: give it a while. A job's lease runs out meanwhile,
                // and the sweep brings the job back even if the queue gives up on this message.
                Ack::RetryAfter(self.scaled(STORE_RETRY)),
                LogLine::new("error", "queue.retry_message")
                    .with("message", summary)
                    .with("reason", cause_chain(&error)),
            ),
        };
        match correlation {
            Some(id) => (ack, line.with("correlation_id", id)),
            None => (ack, line),
        }
    }

    /// A message that used up the queue's own retries: kept in the store as a dead letter.
    async fn keep_dead_letter(&self, message: &QueueMessage) -> Result<(), StoreError> {
        let error = "the queue's own retries were used up (the Worker could not record an attempt)";
        match message {
            QueueMessage::Job { job_id, .. } => {
                self.store.finish_job(job_id, &JobEnd::Dead { error: error.into() }).await
            }
            QueueMessage::Webhook { event_key, body, attempt } => {
                self.store.record_dead_webhook(event_key, body, error, *attempt).await
            }
        }
    }

    /// One attempt at a job.
    ///
    /// # Errors
    /// [`StoreError`] when the outbox itself cannot be read or written: the queue message must
    /// then be retried by the queue.
    pub async fn run_job(&self, job_id: &JobId) -> Result<Handled, StoreError> {
        self.run_job_traced(job_id).await.map(|(handled, _)| handled)
    }

    /// As [`Self::run_job`], with the job's correlation id (none when nothing was claimed).
    async fn run_job_traced(&self, job_id: &JobId) -> Result<(Handled, Option<String>), StoreError> {
        let Some(job) = self.store.claim_job(job_id, JOB_LEASE).await? else {
            return Ok((Handled::Nothing, None));
        };
        let correlation = job.correlation_id.clone();
        self.attempt(&job).await.map(|handled| (handled, correlation))
    }

    /// One attempt at a claimed job.
    async fn attempt(&self, job: &JobRow) -> Result<Handled, StoreError> {
        if job.orphaned {
            // Its last attempt never ended (a panic, the CPU limit, a crash): that attempt
            // failed, and the schedule decides when the next one runs, if any.
            let reason = format!(
                "attempt {} ended without a result: the Worker stopped mid-attempt (a panic, the CPU limit or a crash)",
                job.attempts
            );
            return self.end(job, Err(Failure::transient(reason))).await;
        }
        let task = match job.task() {
            Ok(task) => task,
            Err(failure) => return self.end(job, Err(failure)).await,
        };
        match gate(&task, self.switches) {
            Gate::Skip(reason) => {
                self.store.finish_job(&job.id, &JobEnd::Skipped { reason: reason.into() }).await?;
                Ok(Handled::Skipped)
            }
            Gate::Hold { reason, recheck_in } => {
                let end = JobEnd::Held { reason: reason.into(), recheck_in: self.scaled(recheck_in) };
                self.store.finish_job(&job.id, &end).await?;
                Ok(Handled::Held)
            }
            Gate::Go => {
                let outcome = self.perform(job, &task).await;
                self.end(job, outcome).await
            }
        }
    }

    async fn end(&self, job: &JobRow, outcome: Result<Option<Value>, Failure>) -> Result<Handled, StoreError> {
        let failure = match outcome {
            Ok(result) => {
                self.store.finish_job(&job.id, &JobEnd::Done { result }).await?;
                return Ok(Handled::Done);
            }
            Err(failure) => failure,
        };
        let error = quote(failure.reason());
        match decide(job.attempts, &failure, self.jitter) {
            Decision::Retry { next_attempt, delay } => {
                let delay = self.retry_delay(&failure, delay);
                self.store.finish_job(&job.id, &JobEnd::Retrying { error, delay }).await?;
                let message = QueueMessage::Job { job_id: job.id.clone(), attempt: next_attempt };
                // A lost send is picked up by the sweep once the job is due.
                let _ = self.queue.send(&message, delay).await;
                Ok(Handled::Retrying { delay })
            }
            Decision::DeadLetter => {
                self.store.finish_job(&job.id, &JobEnd::Dead { error: error.clone() }).await?;
                Ok(Handled::Dead { error })
            }
        }
    }

    /// The order a job names: as the claim brought it, or read now.
    async fn view(&self, job: &JobRow, order_id: &str) -> Result<OrderView, Failure> {
        if let Some(order) = job.order.as_ref().filter(|order| order.id.as_str() == order_id) {
            return Ok(order.clone());
        }
        let id = CrmId::parse(order_id)
            .map_err(|_| Failure::Permanent { reason: format!("job names order {:?}, not an id", quote(order_id)) })?;
        match self.store.order_view(&id).await {
            Ok(Some(view)) => Ok(view),
            Ok(None) => Err(Failure::Permanent { reason: format!("order {id} does not exist") }),
            Err(error) => Err(store_failure(&error)),
        }
    }

    /// When the chat is flooded (`digest_after` order messages waiting), sends this message
    /// and the waiting ones as one digest, in the order they were due, and ends them with it;
    /// `None` (nothing claimed) when the chat keeps up.
    async fn digest(&self, job: &JobRow, view: &OrderView, occasion: Occasion) -> Result<Option<Value>, Failure> {
        // The claim counted the flow's waiting jobs: too few for a digest spares a round trip.
        if job.waiting.is_some_and(|others| others + 1 < u64::from(self.digest_after)) {
            return Ok(None);
        }
        let backlog = self
            .store
            .claim_chat_backlog(&job.id, &digest_kinds(), self.digest_after, DIGEST_MAX - 1, JOB_LEASE)
            .await
            .map_err(|e| store_failure(&e))?;
        if backlog.is_empty() {
            return Ok(None);
        }
        let mut named = vec![(job.created_at, view.clone(), occasion)];
        let (mut taken, mut left) = (Vec::new(), Vec::new());
        for waiting in backlog {
            match (waiting.order.clone(), waiting.occasion()) {
                (Some(order), Some(occasion)) if occasion.fits_a_digest() => {
                    named.push((Some(waiting.created_at), order, occasion));
                    taken.push(waiting.id);
                }
                // Unreadable, or its order is gone: its own attempt says why.
                _ => left.push(waiting.id),
            }
        }
        named.sort_by_key(|(at, ..)| *at);
        let entries: Vec<(OrderView, Occasion)> =
            named.into_iter().map(|(_, order, occasion)| (order, occasion)).collect();
        let sent = self.notifier.send(&ChatMessage::Digest { entries: &entries, crm_url: self.crm_url }).await;
        let ended = self.store.finish_chat_backlog(&taken, &job.id, sent.is_ok()).await;
        let released = self.store.finish_chat_backlog(&left, &job.id, false).await;
        sent?;
        ended.and(released).map_err(|e| store_failure(&e))?;
        Ok(Some(json!({"digest": entries.len(), "took": taken})))
    }

    async fn perform(&self, job: &JobRow, task: &Task) -> Result<Option<Value>, Failure> {
        match task {
            Task::Notify { order_id, occasion } => {
                let view = self.view(job, order_id).await?;
                if occasion.fits_a_digest() {
                    if let Some(digest) = self.digest(job, &view, *occasion).await? {
                        return Ok(Some(digest));
                    }
                }
                self.notifier
                    .send(&ChatMessage::Order { order: &view, occasion: *occasion, crm_url: self.crm_url })
                    .await?;
                Ok(None)
            }
            Task::DailySummary { day } => {
                let waiting = waiting_statuses();
                let summary =
                    self.store.daily_summary(*day, &not_revenue(), &waiting).await.map_err(|e| store_failure(&e))?;
                let newest = self.store.reconciliation(None).await.map_err(|e| store_failure(&e))?;
                self.notifier
                    .send(&ChatMessage::DailySummary { summary: &summary, reconciliation: newest.as_ref() })
                    .await?;
                Ok(None)
            }
            Task::BouquetPhoto { order_id, photo } => {
                let view = self.view(job, order_id).await?;
                // Replaced since: the newer photo's own job sends it.
                let Some(current) = view.bouquet_photo.as_ref().filter(|current| current.key == *photo) else {
                    return Ok(Some(json!({"superseded": true})));
                };
                self.notifier.send(&ChatMessage::Photo { order: &view, photo: current, crm_url: self.crm_url }).await?;
                Ok(None)
            }
            Task::BackfillSummary(load) => {
                self.notifier.send(&ChatMessage::Backfill(load)).await?;
                Ok(None)
            }
            Task::ReconciliationFound { run } => {
                let found = self.store.reconciliation(Some(run)).await.map_err(|e| store_failure(&e))?;
                let Some(found) = found else {
                    return Err(Failure::Permanent { reason: format!("reconciliation {run} does not exist") });
                };
                self.notifier.send(&ChatMessage::Reconciliation(&found)).await?;
                Ok(None)
            }
            Task::CreateBitrixOrder { order_id } => {
                let view = self.view(job, order_id).await?;
                if let Some(bitrix_order_id) = view.bitrix_order_id {
                    // Its webhook came back first and linked it: nothing left to create.
                    return Ok(Some(json!({"bitrix_order_id": bitrix_order_id, "linked_by": "webhook"})));
                }
                let answer = self.gateway.call(&gateway::create_order(&view), &job.idempotency_key).await?;
                let bitrix_order_id = gateway::created_order_id(&answer)?;
                Ok(Some(json!({"bitrix_order_id": bitrix_order_id.get()})))
            }
            Task::UpdateBitrixOrder { order_id, fields, lines, seen } => {
                // The order's values now: a late retry never undoes a newer edit.
                let view = self.view(job, order_id).await?;
                let request = gateway::update_order(&view, fields, *lines, seen)?;
                self.gateway.call(&request, &job.idempotency_key).await.map(Some)
            }
            Task::SetBitrixTrackUrl { order_id, token } => {
                let view = self.view(job, order_id).await?;
                if view.track_token != *token {
                    // A newer link, or its revocation, has its own job.
                    return Ok(Some(json!({"superseded": true})));
                }
                let url = token.as_deref().map(|token| crate::domain::track::track_url(self.crm_url, token));
                let request = gateway::set_track_url(&view, url.as_deref())?;
                self.gateway.call(&request, &job.idempotency_key).await.map(Some)
            }
            Task::SetBitrixStatus { order_id, status } => {
                let view = self.view(job, order_id).await?;
                if let Some(wanted) = status.filter(|wanted| *wanted != view.status) {
                    // A later change of the CRM's has its own job: this one would send a status
                    // the order no longer has (and a body its key was not first sent with).
                    return Ok(Some(json!({"superseded": wanted.as_str(), "current": view.status.as_str()})));
                }
                let request = gateway::set_status(&view)?;
                self.gateway.call(&request, &job.idempotency_key).await.map(Some)
            }
            Task::SetBitrixAvailability { product_id, in_stock } => {
                let id = CrmId::parse(product_id).map_err(|_| Failure::Permanent {
                    reason: format!("job names product {:?}, not an id", quote(product_id)),
                })?;
                let product = match self.store.product_availability(&id).await {
                    Ok(Some(product)) => product,
                    Ok(None) => return Err(Failure::Permanent { reason: format!("product {id} does not exist") }),
                    Err(error) => return Err(store_failure(&error)),
                };
                let Some(bitrix_product_id) = product.bitrix_product_id else {
                    return Err(Failure::Permanent { reason: "the product has no bitrix_id".into() });
                };
                if in_stock.is_some_and(|wanted| wanted != product.in_stock) {
                    return Ok(Some(json!({"superseded": in_stock, "current": product.in_stock})));
                }
                let in_stock_value = if product.in_stock { IN_STOCK } else { OUT_OF_STOCK };
                let request =
                    GatewayRequest::SetAvailability { bitrix_product_id, in_stock: product.in_stock, in_stock_value };
                self.gateway.call(&request, &job.idempotency_key).await.map(Some)
            }
            Task::ApplyWebhook { body } => {
                let event = parse_webhook(body.clone()).map_err(|e| Failure::Permanent { reason: e.to_string() })?;
                let applied =
                    apply_event(self.store, self.queue, self.cache, &event).await.map_err(|e| store_failure(&e))?;
                Ok(Some(json!({"outcome": applied.outcome, "order_id": applied.order_id})))
            }
        }
    }

    /// One attempt at applying a webhook that was accepted while Supabase was down.
    ///
    /// # Errors
    /// [`StoreError`] when it gave up and even the dead-letter store cannot be written: the
    /// queue must retry the message (and, past its own retries, move it to the DLQ).
    pub async fn run_webhook(&self, event_key: &str, body: &Value, attempt: u32) -> Result<Handled, StoreError> {
        let task = Task::ApplyWebhook { body: body.clone() };
        if let Gate::Hold { recheck_in, .. } = gate(&task, self.switches) {
            let message = QueueMessage::Webhook { event_key: event_key.into(), body: body.clone(), attempt };
            self.queue.send(&message, self.scaled(recheck_in)).await.map_err(|e| StoreError::unavailable(e, None))?;
            return Ok(Handled::Held);
        }
        let failure = match parse_webhook(body.clone()) {
            Err(error) => Failure::Permanent { reason: error.to_string() },
            Ok(event) => match apply_event(self.store, self.queue, self.cache, &event).await {
                Ok(_) => return Ok(Handled::Done),
                Err(error) => store_failure(&error),
            },
        };
        match decide(attempt, &failure, self.jitter) {
            Decision::Retry { next_attempt, delay } => {
                let delay = self.retry_delay(&failure, delay);
                let message =
                    QueueMessage::Webhook { event_key: event_key.into(), body: body.clone(), attempt: next_attempt };
                self.queue.send(&message, delay).await.map_err(|e| StoreError::unavailable(e, None))?;
                Ok(Handled::Retrying { delay })
            }
            Decision::DeadLetter => {
                let error = quote(failure.reason());
                self.store.record_dead_webhook(event_key, body, &error, attempt).await?;
                Ok(Handled::Dead { error })
            }
        }
    }
}

fn store_failure(error: &StoreError) -> Failure {
    let reason = cause_chain(error);
    if error.is_unavailable() {
        Failure::transient(reason)
    } else {
        Failure::Permanent { reason }
    }
}

#[cfg(test)]
mod tests;
