//! What follows a change once the store has it: its jobs handed to the queue, a webhook event
//! remembered in KV with its order. One path for the webhook route (after its answer, in
//! `waitUntil`), the queue's delayed webhooks and replayed ones, and the CRM's changes.

use std::time::Duration;

use crate::app::ports::{DedupCache, JobQueue, OrderStore, StoreError};
use crate::domain::apply::Applied;
use crate::domain::ids::JobId;
use crate::domain::jobs::QueueMessage;
use crate::domain::order::OrderEvent;

/// Hands jobs to the queue. A send that fails is left to the sweep (the job waits in
/// `sync_jobs`). Returns how many were sent.
pub async fn enqueue_jobs<Q: JobQueue>(queue: &Q, job_ids: &[JobId]) -> usize {
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

/// What is left to do after the answer (the Worker's `waitUntil`): hand the new jobs to the
/// queue and remember the event in KV. Neither may delay the answer; a lost queue send is picked
/// up by the sweep (the jobs wait in `sync_jobs`), a lost KV record costs nothing (the database
/// decides).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deferred {
    pub jobs: Vec<crate::domain::ids::JobId>,
    /// The KV key and value to remember the event by.
    pub remember: Option<(String, String)>,
}

/// Carries out what was deferred; returns how many jobs the queue did not take (the cron's sweep
/// sends them within a minute).
pub async fn run_deferred<Q: JobQueue, C: DedupCache>(queue: &Q, cache: &C, deferred: &Deferred) -> usize {
    let sent = enqueue_jobs(queue, &deferred.jobs).await;
    if let Some((key, value)) = &deferred.remember {
        cache.put(key, value).await;
    }
    deferred.jobs.len() - sent
}

/// What follows an applied webhook event: its jobs, and its KV key with the order it named.
#[must_use]
pub fn follow_up(event: &OrderEvent, applied: &Applied) -> Deferred {
    let remember = Some((dedup_key(&event.event_key), applied.order_id.clone().unwrap_or_default()));
    Deferred { jobs: applied.jobs.clone(), remember }
}

/// Applies a webhook event and carries out what follows at once (the queue's webhooks, which
/// have no answer to wait for).
///
/// # Errors
/// [`StoreError`] when the store did not apply it.
pub async fn apply_event<S: OrderStore, Q: JobQueue, C: DedupCache>(
    store: &S,
    queue: &Q,
    cache: &C,
    event: &OrderEvent,
) -> Result<Applied, StoreError> {
    let applied = store.apply_order_event(event).await?;
    run_deferred(queue, cache, &follow_up(event, &applied)).await;
    Ok(applied)
}
