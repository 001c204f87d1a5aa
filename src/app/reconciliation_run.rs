//! One reconciliation run over the ports: Bitrix's snapshot page by page, the CRM's rows for
//! it, the comparison (`reconcile.rs`), the resend of what differs, and the record of it all.
//! Every loop is bounded: pages, rows and resends.

use serde_json::Value;

use crate::app::handoff::enqueue_jobs;
use crate::app::ports::{BitrixGateway, JobQueue, ReconcileStore, StoreError};
use crate::domain::clock;
use crate::domain::gateway::GatewayRequest;
use crate::domain::jobs::Switches;
use crate::domain::reconciliation::{
    compare, read_snapshot, scheduled_period, BitrixRow, ReconcilePeriod, RunId, RunOutcome, Trigger, MAX_PAGES,
    PAGE_SIZE, RESEND_CHUNK,
};
use crate::domain::retry::Failure;

/// What a run did, or why none ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReconcileRun {
    Ran {
        id: RunId,
        period: ReconcilePeriod,
        outcome: RunOutcome,
    },
    /// The day's scheduled run finished (or runs, or failed minutes ago), or it is before 04:00.
    NotDue,
    /// `BITRIX_SYNC_ENABLED` or `SYNC_ENABLED` is off: Bitrix is neither asked nor can its
    /// answers land.
    SwitchedOff,
}

/// Bitrix's orders for the period, page by page: at most [`MAX_PAGES`]; `true` when there were
/// more.
async fn snapshot<G: BitrixGateway>(
    gateway: &G,
    id: &RunId,
    period: ReconcilePeriod,
) -> Result<(Vec<BitrixRow>, bool), Failure> {
    let mut rows = Vec::new();
    let mut after_id = 0;
    for _ in 0..MAX_PAGES {
        let request = GatewayRequest::OrdersSnapshot { from: period.from, to: period.to, after_id, limit: PAGE_SIZE };
        let answer = gateway.call(&request, &format!("reconcile:{id}:snapshot:{after_id}")).await?;
        let page = read_snapshot(&answer, after_id, PAGE_SIZE)?;
        rows.extend(page.orders);
        match page.next_after_id {
            Some(next) => after_id = next,
            None => return Ok((rows, false)),
        }
    }
    Ok((rows, true))
}

/// Asks Bitrix to send these orders again; returns how many it queued, and the failure that
/// stopped it, if one did.
async fn resend<G: BitrixGateway>(gateway: &G, id: &RunId, ids: &[u64]) -> (u64, Option<String>) {
    let mut queued = 0;
    for (index, chunk) in ids.chunks(RESEND_CHUNK).enumerate() {
        let request = GatewayRequest::OrdersResend { bitrix_order_ids: chunk.to_vec() };
        match gateway.call(&request, &format!("reconcile:{id}:resend:{index}")).await {
            Ok(answer) => queued += answer.get("queued").and_then(Value::as_u64).unwrap_or(0),
            Err(failure) => return (queued, Some(format!("orders.resend: {}", failure.reason()))),
        }
    }
    (queued, None)
}

/// Runs a reconciliation for `period`: started in the store (which may say the day's
/// scheduled run is not to start), compared, resent, recorded; its message job, if it found
/// drift, handed to the queue. A gateway failure ends the run early and is recorded with it.
///
/// # Errors
/// [`StoreError`] when the store cannot be reached (the run then stays unfinished, and a
/// scheduled one is tried again ten minutes later).
pub async fn reconcile<S: ReconcileStore, G: BitrixGateway, Q: JobQueue>(
    store: &S,
    gateway: &G,
    queue: &Q,
    switches: Switches,
    trigger: Trigger,
    today: chrono::NaiveDate,
    period: ReconcilePeriod,
) -> Result<ReconcileRun, StoreError> {
    if !switches.bitrix_sync_enabled || !switches.sync_enabled {
        return Ok(ReconcileRun::SwitchedOff);
    }
    let Some(id) = store.start_reconciliation(trigger, today, period).await? else {
        return Ok(ReconcileRun::NotDue);
    };
    let outcome = match snapshot(gateway, &id, period).await {
        Err(failure) => RunOutcome::failed(format!("orders.snapshot: {}", failure.reason())),
        Ok((bitrix, truncated)) => {
            let ids: Vec<u64> = bitrix.iter().map(|row| row.id.get()).collect();
            let mut crm = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(1000) {
                crm.extend(store.reconcile_rows(chunk).await?);
            }
            let drift = compare(&bitrix, &crm);
            let (resent, error) = resend(gateway, &id, &drift.to_resend()).await;
            RunOutcome::compared(&drift, resent, truncated, error)
        }
    };
    let jobs = store.finish_reconciliation(&id, &outcome).await?;
    enqueue_jobs(queue, &jobs).await;
    Ok(ReconcileRun::Ran { id, period, outcome })
}

/// The cron's part: the day's run, from 04:00 in Almaty, once it succeeds.
///
/// # Errors
/// As [`reconcile`].
pub async fn reconcile_if_due<S: ReconcileStore, G: BitrixGateway, Q: JobQueue>(
    store: &S,
    gateway: &G,
    queue: &Q,
    switches: Switches,
    now: &chrono::DateTime<chrono::Utc>,
) -> Result<ReconcileRun, StoreError> {
    let now = clock::in_almaty(now);
    match scheduled_period(now) {
        Some(period) => reconcile(store, gateway, queue, switches, Trigger::Scheduled, now.date(), period).await,
        None => Ok(ReconcileRun::NotDue),
    }
}

#[cfg(test)]
mod tests;
