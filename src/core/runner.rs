//! Carrying out queued work over the ports: one job attempt, or one delayed webhook apply.
//! Every outcome is recorded, every retry is scheduled by `retry::decide`.

use std::time::Duration;

use serde_json::{json, Value};

use super::gateway::{self, GatewayRequest, IN_STOCK, OUT_OF_STOCK};
use super::jobs::{gate, Gate, JobRow, QueueMessage, Switches, Task};
use super::order::parse_webhook;
use super::ports::{BitrixGateway, DedupCache, JobEnd, JobQueue, JobStore, Notifier, OrderStore, StoreError};
use super::retry::{decide, Decision, Failure};
use super::status::CrmStatus;
use super::telegram::render;

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
}

/// Hands new jobs to the queue. A send that fails is left to the sweep (the job is pending in
/// `sync_jobs`). Returns how many were sent.
pub async fn enqueue_jobs<Q: JobQueue>(queue: &Q, job_ids: &[String]) -> usize {
    let mut sent = 0;
    for job_id in job_ids {
        let message = QueueMessage::Job { job_id: job_id.clone(), attempt: 1 };
        if queue.send(&message, Duration::ZERO).await.is_ok() {
            sent += 1;
        }
    }
    sent
}

/// KV key for a webhook event.
#[must_use]
pub fn dedup_key(event_key: &str) -> String {
    format!("webhook:{event_key}")
}

impl<S, G, N, Q, C> Runtime<'_, S, G, N, Q, C>
where
    S: OrderStore + JobStore,
    G: BitrixGateway,
    N: Notifier,
    Q: JobQueue,
    C: DedupCache,
{
    fn retry_delay(&self, failure: &Failure, delay: Duration) -> Duration {
        match failure {
            Failure::Transient { retry_after: Some(_), .. } => delay,
            _ => delay.mul_f64(self.delay_scale.clamp(0.0, 1.0)),
        }
    }

    /// One attempt at a job.
    ///
    /// # Errors
    /// [`StoreError`] when the outbox itself cannot be read or written: the queue message must
    /// then be retried by the queue.
    pub async fn run_job(&self, job_id: &str) -> Result<Handled, StoreError> {
        let Some(job) = self.store.claim_job(job_id).await? else {
            return Ok(Handled::Nothing);
        };
        let task = match job.task() {
            Ok(task) => task,
            Err(failure) => return self.end(&job, Err(failure)).await,
        };
        match gate(&task, self.switches) {
            Gate::Skip(reason) => {
                self.store.finish_job(&job.id, &JobEnd::Skipped { reason: reason.into() }).await?;
                Ok(Handled::Skipped)
            }
            Gate::Hold { reason, recheck_in } => {
                let recheck_in = recheck_in.mul_f64(self.delay_scale.clamp(0.0, 1.0));
                self.store.finish_job(&job.id, &JobEnd::Held { reason: reason.into(), recheck_in }).await?;
                Ok(Handled::Held)
            }
            Gate::Go => {
                let outcome = self.perform(&job, &task).await;
                self.end(&job, outcome).await
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
        match decide(job.attempts, &failure, self.jitter) {
            Decision::Retry { next_attempt, delay } => {
                let delay = self.retry_delay(&failure, delay);
                let end = JobEnd::Retrying { error: failure.reason().to_owned(), delay };
                self.store.finish_job(&job.id, &end).await?;
                let message = QueueMessage::Job { job_id: job.id.clone(), attempt: next_attempt };
                // A lost send is picked up by the sweep once the job is due.
                let _ = self.queue.send(&message, delay).await;
                Ok(Handled::Retrying { delay })
            }
            Decision::DeadLetter => {
                let error = failure.reason().to_owned();
                self.store.finish_job(&job.id, &JobEnd::Dead { error: error.clone() }).await?;
                Ok(Handled::Dead { error })
            }
        }
    }

    async fn card(&self, order_id: &str) -> Result<super::telegram::OrderCard, Failure> {
        match self.store.order_card(order_id).await {
            Ok(Some(card)) => Ok(card),
            Ok(None) => Err(Failure::Permanent { reason: format!("order {order_id} does not exist") }),
            Err(error) => Err(store_failure(&error)),
        }
    }

    async fn perform(&self, job: &JobRow, task: &Task) -> Result<Option<Value>, Failure> {
        match task {
            Task::Notify { order_id, occasion } => {
                let card = self.card(order_id).await?;
                self.notifier.send_message(&render(&card, *occasion)).await?;
                Ok(None)
            }
            Task::CreateBitrixOrder { order_id } => {
                let card = self.card(order_id).await?;
                if let Some(bitrix_order_id) = card.bitrix_order_id {
                    // Its webhook came back first and linked it: nothing left to create.
                    return Ok(Some(json!({"bitrix_order_id": bitrix_order_id, "linked_by": "webhook"})));
                }
                let answer = self.gateway.call(&gateway::create_order(&card), &job.idempotency_key).await?;
                let bitrix_order_id = gateway::created_order_id(&answer)?;
                Ok(Some(json!({"bitrix_order_id": bitrix_order_id.get()})))
            }
            Task::SetBitrixStatus { order_id } => {
                let card = self.card(order_id).await?;
                let code = CrmStatus::parse(&card.status).and_then(CrmStatus::to_bitrix);
                let request = gateway::set_status(&card, code)?;
                self.gateway.call(&request, &job.idempotency_key).await.map(Some)
            }
            Task::SetBitrixAvailability { product_id } => {
                let product = match self.store.product_availability(product_id).await {
                    Ok(Some(product)) => product,
                    Ok(None) => {
                        return Err(Failure::Permanent { reason: format!("product {product_id} does not exist") })
                    }
                    Err(error) => return Err(store_failure(&error)),
                };
                let Some(bitrix_product_id) = product.bitrix_product_id else {
                    return Err(Failure::Permanent { reason: "the product has no bitrix_id".into() });
                };
                let in_stock_value = if product.in_stock { IN_STOCK } else { OUT_OF_STOCK };
                let request =
                    GatewayRequest::SetAvailability { bitrix_product_id, in_stock: product.in_stock, in_stock_value };
                self.gateway.call(&request, &job.idempotency_key).await.map(Some)
            }
            Task::ApplyWebhook { body } => {
                let event = parse_webhook(body.clone()).map_err(|e| Failure::Permanent { reason: e.to_string() })?;
                let applied = self.store.apply_order_event(&event).await.map_err(|e| store_failure(&e))?;
                enqueue_jobs(self.queue, &applied.jobs).await;
                self.cache.put(&dedup_key(&event.event_key), applied.order_id.as_deref().unwrap_or("")).await;
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
        if !self.switches.sync_enabled {
            let delay = Duration::from_secs(300);
            let message = QueueMessage::Webhook { event_key: event_key.into(), body: body.clone(), attempt };
            self.queue.send(&message, delay).await.map_err(StoreError::Unavailable)?;
            return Ok(Handled::Held);
        }
        let failure = match parse_webhook(body.clone()) {
            Err(error) => Failure::Permanent { reason: error.to_string() },
            Ok(event) => match self.store.apply_order_event(&event).await {
                Ok(applied) => {
                    enqueue_jobs(self.queue, &applied.jobs).await;
                    return Ok(Handled::Done);
                }
                Err(error) => store_failure(&error),
            },
        };
        match decide(attempt, &failure, self.jitter) {
            Decision::Retry { next_attempt, delay } => {
                let delay = self.retry_delay(&failure, delay);
                let message =
                    QueueMessage::Webhook { event_key: event_key.into(), body: body.clone(), attempt: next_attempt };
                self.queue.send(&message, delay).await.map_err(StoreError::Unavailable)?;
                Ok(Handled::Retrying { delay })
            }
            Decision::DeadLetter => {
                self.store.record_dead_webhook(event_key, body, failure.reason(), attempt).await?;
                Ok(Handled::Dead { error: failure.reason().to_owned() })
            }
        }
    }
}

fn store_failure(error: &StoreError) -> Failure {
    match error {
        StoreError::Unavailable(reason) => Failure::Transient { retry_after: None, reason: reason.clone() },
        StoreError::Rejected(reason) => Failure::Permanent { reason: reason.clone() },
    }
}

#[cfg(test)]
mod tests;
