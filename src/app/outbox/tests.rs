use std::cell::RefCell;

use futures::executor::block_on;
use serde_json::json;

use super::*;
use crate::app::handoff::dedup_key;
use crate::app::ports::ProductAvailability;
use crate::app::ports::ReconcileStore;
use crate::domain::apply::{Applied, ApplyOutcome};
use crate::domain::ids::test_id;
use crate::domain::jobs::NewJob;
use crate::domain::jobs::HOLD_RECHECK;
use crate::domain::order::OrderEvent;
use crate::domain::reconciliation::{CrmRow, ReconcilePeriod, Reconciliation, RunOutcome, Trigger};
use crate::domain::retry::MAX_ATTEMPTS;
use crate::domain::views::DayOrders;

/// Every outside system in one place, recording what it was asked; each can be told to fail.
#[derive(Default)]
struct World {
    job: RefCell<Option<JobRow>>,
    leases: RefCell<Vec<Duration>>,
    ends: RefCell<Vec<JobEnd>>,
    card: RefCell<Option<OrderView>>,
    gateway_calls: RefCell<Vec<Value>>,
    gateway_failure: RefCell<Option<Failure>>,
    messages: RefCell<Vec<String>>,
    queued: RefCell<Vec<(QueueMessage, Duration)>>,
    /// The store cannot apply webhooks.
    store_down: RefCell<bool>,
    /// The outbox (claim, finish, dead letters) cannot be reached either.
    outbox_down: RefCell<bool>,
    dead_webhooks: RefCell<Vec<(String, String)>>,
    due: RefCell<Vec<JobId>>,
    added: RefCell<Vec<NewJob>>,
    day: RefCell<DayOrders>,
    /// The reconciliation runs the store knows.
    reconciliation: RefCell<Option<Reconciliation>>,
    /// What was remembered in KV.
    remembered: RefCell<Vec<(String, String)>>,
    /// The quiet backfill the store reports.
    backfill: RefCell<Option<crate::domain::jobs::BackfillLoad>>,
    /// The chat's waiting order messages, and how the digest ended them.
    backlog: RefCell<Vec<crate::domain::jobs::BacklogJob>>,
    backlog_ends: RefCell<Vec<(Vec<JobId>, bool)>>,
    /// Telegram refuses the next message.
    telegram_failure: RefCell<Option<Failure>>,
}

fn down() -> StoreError {
    StoreError::unavailable("connection refused", None)
}

impl OrderStore for World {
    async fn apply_order_event(&self, _event: &OrderEvent) -> Result<Applied, StoreError> {
        if *self.store_down.borrow() {
            return Err(down());
        }
        Ok(Applied { outcome: ApplyOutcome::Created, order_id: Some("o1".into()), jobs: vec![test_id(9)] })
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl JobStore for World {
    async fn claim_job(&self, _job_id: &JobId, lease: Duration) -> Result<Option<JobRow>, StoreError> {
        if *self.outbox_down.borrow() {
            return Err(down());
        }
        self.leases.borrow_mut().push(lease);
        Ok(self.job.borrow().clone())
    }
    async fn finish_job(&self, _job_id: &JobId, end: &JobEnd) -> Result<(), StoreError> {
        if *self.outbox_down.borrow() {
            return Err(down());
        }
        self.ends.borrow_mut().push(end.clone());
        Ok(())
    }
    async fn order_view(&self, _order_id: &CrmId) -> Result<Option<OrderView>, StoreError> {
        Ok(self.card.borrow().clone())
    }
    async fn product_availability(&self, _id: &CrmId) -> Result<Option<ProductAvailability>, StoreError> {
        Ok(Some(ProductAvailability { bitrix_product_id: Some(15652), in_stock: false }))
    }
    async fn record_dead_webhook(
        &self,
        event_key: &str,
        _body: &Value,
        error: &str,
        _attempts: u32,
    ) -> Result<(), StoreError> {
        if *self.outbox_down.borrow() {
            return Err(down());
        }
        self.dead_webhooks.borrow_mut().push((event_key.into(), error.into()));
        Ok(())
    }
    async fn due_jobs(&self, limit: u32) -> Result<Vec<JobId>, StoreError> {
        Ok(self.due.borrow().iter().take(limit as usize).cloned().collect())
    }
    async fn add_jobs(&self, jobs: &[NewJob]) -> Result<Vec<JobId>, StoreError> {
        let mut added = self.added.borrow_mut();
        let mut new = Vec::new();
        for job in jobs {
            if !added.iter().any(|seen: &NewJob| seen.key == job.key) {
                added.push(job.clone());
                new.push(test_id(100 + added.len() as u64));
            }
        }
        Ok(new)
    }
    async fn risk_candidates(&self, _day: chrono::NaiveDate, statuses: &[&str]) -> Result<DayOrders, StoreError> {
        assert_eq!(statuses, ["new", "accepted", "processing"], "the statuses that wait for the courier");
        Ok(self.day.borrow().clone())
    }
    async fn daily_summary(
        &self,
        _day: chrono::NaiveDate,
        _not_revenue: &[&str],
        _waiting: &[&str],
    ) -> Result<crate::domain::views::DaySummary, StoreError> {
        Err(StoreError::unavailable("no summary in this world", None))
    }
    async fn claim_chat_backlog(
        &self,
        _job: &JobId,
        kinds: &(crate::domain::flow::Flow, Vec<String>),
        min: u32,
        limit: u32,
        _lease: Duration,
    ) -> Result<Vec<crate::domain::jobs::BacklogJob>, StoreError> {
        assert_eq!(kinds.1, ["new_order", "status_changed"]);
        let waiting = self.backlog.borrow();
        if (waiting.len() as u32) + 1 < min {
            return Ok(vec![]);
        }
        Ok(waiting.iter().take(limit as usize).cloned().collect())
    }
    async fn finish_chat_backlog(&self, jobs: &[JobId], _digest: &JobId, sent: bool) -> Result<(), StoreError> {
        self.backlog_ends.borrow_mut().push((jobs.to_vec(), sent));
        Ok(())
    }
    async fn backfill_to_announce(
        &self,
        quiet: Duration,
    ) -> Result<Option<crate::domain::jobs::BackfillLoad>, StoreError> {
        assert_eq!(quiet, crate::domain::apply::BACKFILL_QUIET);
        Ok(self.backfill.borrow().clone())
    }
}

impl ReconcileStore for World {
    async fn start_reconciliation(
        &self,
        _trigger: Trigger,
        _day: chrono::NaiveDate,
        _period: ReconcilePeriod,
    ) -> Result<Option<CrmId>, StoreError> {
        unreachable!("reconciler/tests.rs runs reconciliations")
    }
    async fn reconcile_rows(&self, _ids: &[u64]) -> Result<Vec<CrmRow>, StoreError> {
        unreachable!()
    }
    async fn finish_reconciliation(&self, _id: &CrmId, _outcome: &RunOutcome) -> Result<Vec<JobId>, StoreError> {
        unreachable!()
    }
    async fn reconciliation(&self, id: Option<&CrmId>) -> Result<Option<Reconciliation>, StoreError> {
        Ok(self.reconciliation.borrow().clone().filter(|run| id.is_none_or(|id| *id == run.id)))
    }
}

impl BitrixGateway for World {
    async fn call(&self, request: &GatewayRequest, _key: &str) -> Result<Value, Failure> {
        self.gateway_calls.borrow_mut().push(serde_json::to_value(request).unwrap());
        match self.gateway_failure.borrow().clone() {
            Some(failure) => Err(failure),
            None => Ok(json!({"ok": true, "bitrix_order_id": "555"})),
        }
    }
}

impl Notifier for World {
    async fn send(&self, message: &ChatMessage<'_>) -> Result<(), Failure> {
        if let Some(failure) = self.telegram_failure.borrow_mut().take() {
            return Err(failure);
        }
        self.messages.borrow_mut().push(crate::web::telegram::render_message(message));
        Ok(())
    }
}

impl JobQueue for World {
    async fn send(&self, message: &QueueMessage, delay: Duration) -> Result<(), String> {
        self.queued.borrow_mut().push((message.clone(), delay));
        Ok(())
    }
}

impl DedupCache for World {
    async fn get(&self, _key: &str) -> Option<String> {
        None
    }
    async fn put(&self, key: &str, value: &str) {
        self.remembered.borrow_mut().push((key.into(), value.into()));
    }
}

fn runtime(world: &World, switches: Switches) -> Runtime<'_, World, World, World, World, World> {
    Runtime {
        store: world,
        gateway: world,
        notifier: world,
        queue: world,
        cache: world,
        switches,
        jitter: 0.5,
        delay_scale: 1.0,
        crm_url: "https://crm.cvety.kz",
        digest_after: crate::domain::jobs::DIGEST_AFTER,
    }
}

fn card(bitrix_order_id: Option<u64>) -> OrderView {
    let mut card = crate::web::telegram::tests::card();
    card.bitrix_order_id = bitrix_order_id;
    card.origin = crate::domain::views::Origin::Crm;
    card.status = crate::domain::status::CrmStatus::Accepted;
    card
}

const ORDER: &str = "00000000-0000-4000-8000-000000000001";

fn job(flow: &str, payload: Value, attempts: u32) -> JobRow {
    JobRow {
        id: test_id(1),
        flow: flow.into(),
        idempotency_key: format!("{flow}:k"),
        payload,
        attempts,
        orphaned: false,
        order: None,
        correlation_id: Some("corr-webhook-1".into()),
        created_at: None,
        waiting: None,
    }
}

fn run(world: &World, switches: Switches) -> Handled {
    block_on(runtime(world, switches).run_job(&test_id(1))).unwrap()
}

#[test]
fn a_notification_is_sent_and_its_job_recorded_done() {
    let world = World::default();
    *world.job.borrow_mut() = Some(job("telegram", json!({"order_id": ORDER, "occasion": "new_order"}), 1));
    *world.card.borrow_mut() = Some(card(None));

    let handled = run(&world, Switches::all_on());

    assert_eq!(handled, Handled::Done);
    assert_eq!(world.messages.borrow().len(), 1);
    assert!(world.messages.borrow()[0].contains("Новый заказ"));
    assert_eq!(*world.ends.borrow(), vec![JobEnd::Done { result: None }]);
}

#[test]
fn a_job_that_cannot_be_claimed_is_left_alone() {
    let world = World::default();

    let handled = run(&world, Switches::all_on());

    assert_eq!(handled, Handled::Nothing);
    assert!(world.ends.borrow().is_empty() && world.messages.borrow().is_empty());
}

#[test]
fn a_transient_gateway_failure_is_retried_as_the_next_attempt() {
    let world = World::default();
    *world.job.borrow_mut() = Some(job("reverse_sync", json!({"order_id": ORDER}), 2));
    *world.card.borrow_mut() = Some(card(None));
    *world.gateway_failure.borrow_mut() = Some(Failure::Transient { retry_after: None, reason: "HTTP 502".into() });

    let handled = run(&world, Switches::all_on());

    let delay = Duration::from_secs(60);
    assert_eq!(handled, Handled::Retrying { delay });
    assert_eq!(*world.queued.borrow(), vec![(QueueMessage::Job { job_id: test_id(1), attempt: 3 }, delay)]);
    assert_eq!(*world.ends.borrow(), vec![JobEnd::Retrying { error: "HTTP 502".into(), delay }]);
}

#[test]
fn a_permanent_failure_and_the_last_attempt_both_end_dead() {
    for (failure, attempts) in [
        (Failure::Permanent { reason: "HTTP 422".into() }, 1),
        (Failure::Transient { retry_after: None, reason: "HTTP 502".into() }, MAX_ATTEMPTS),
    ] {
        let world = World::default();
        *world.job.borrow_mut() = Some(job("availability_sync", json!({"product_id": ORDER}), attempts));
        *world.gateway_failure.borrow_mut() = Some(failure.clone());

        let handled = run(&world, Switches::all_on());

        assert_eq!(handled, Handled::Dead { error: failure.reason().into() });
        assert!(world.queued.borrow().is_empty());
    }
}

#[test]
fn a_reverse_sync_returns_the_bitrix_id_and_skips_the_call_when_the_webhook_linked_it_first() {
    let world = World::default();
    *world.job.borrow_mut() = Some(job("reverse_sync", json!({"order_id": ORDER}), 1));
    *world.card.borrow_mut() = Some(card(None));
    run(&world, Switches::all_on());
    assert_eq!(world.ends.borrow()[0], JobEnd::Done { result: Some(json!({"bitrix_order_id": 555})) });
    assert_eq!(world.gateway_calls.borrow()[0]["action"], "order.create");

    let linked = World::default();
    *linked.job.borrow_mut() = Some(job("reverse_sync", json!({"order_id": ORDER}), 1));
    *linked.card.borrow_mut() = Some(card(Some(777)));
    run(&linked, Switches::all_on());
    assert!(linked.gateway_calls.borrow().is_empty());
}

#[test]
fn the_switches_skip_notifications_and_hold_bitrix_calls() {
    let off = Switches { sync_enabled: true, bitrix_sync_enabled: false, telegram_notifications_enabled: false };
    let world = World::default();
    *world.job.borrow_mut() = Some(job("telegram", json!({"order_id": ORDER, "occasion": "new_order"}), 1));
    assert_eq!(run(&world, off), Handled::Skipped);
    assert!(world.messages.borrow().is_empty());

    *world.job.borrow_mut() = Some(job("status_sync", json!({"order_id": ORDER}), 1));
    assert_eq!(run(&world, off), Handled::Held);
    assert!(world.gateway_calls.borrow().is_empty());
}

#[test]
fn a_webhook_waiting_for_the_store_is_requeued_and_finally_kept_as_a_dead_letter() {
    let world = World::default();
    *world.store_down.borrow_mut() = true;
    let body = json!({"event": "order.create", "data": {"ID": "1"}});
    let rt = runtime(&world, Switches::all_on());

    assert!(matches!(block_on(rt.run_webhook("k1", &body, 1)).unwrap(), Handled::Retrying { .. }));
    assert!(matches!(&world.queued.borrow()[0].0, QueueMessage::Webhook { attempt: 2, .. }));

    assert!(matches!(block_on(rt.run_webhook("k1", &body, MAX_ATTEMPTS)).unwrap(), Handled::Dead { .. }));
    assert_eq!(world.dead_webhooks.borrow()[0].0, "k1");

    *world.store_down.borrow_mut() = false;
    assert_eq!(block_on(rt.run_webhook("k1", &body, 3)).unwrap(), Handled::Done);
    assert!(
        matches!(&world.queued.borrow().last().unwrap().0, QueueMessage::Job { job_id, .. } if *job_id == test_id(9))
    );
}

#[test]
fn an_attempt_orphaned_by_a_dead_consumer_counts_as_failed_and_waits_for_the_schedule() {
    let world = World::default();
    let mut orphan = job("telegram", json!({"order_id": ORDER, "occasion": "new_order"}), 2);
    orphan.orphaned = true;
    *world.job.borrow_mut() = Some(orphan);
    *world.card.borrow_mut() = Some(card(None));

    let handled = run(&world, Switches::all_on());

    let delay = Duration::from_secs(60);
    assert_eq!(handled, Handled::Retrying { delay }, "attempt 2 failed: the next waits the schedule's 1 min");
    assert!(world.messages.borrow().is_empty(), "nothing is tried again at once");
    let JobEnd::Retrying { error, .. } = &world.ends.borrow()[0] else { panic!("{:?}", world.ends.borrow()) };
    assert!(error.starts_with("attempt 2 ended without a result"), "{error}");
    assert_eq!(*world.queued.borrow(), vec![(QueueMessage::Job { job_id: test_id(1), attempt: 3 }, delay)]);
}

#[test]
fn an_orphaned_last_attempt_is_a_dead_letter() {
    let world = World::default();
    let mut orphan = job("reverse_sync", json!({"order_id": ORDER}), MAX_ATTEMPTS);
    orphan.orphaned = true;
    *world.job.borrow_mut() = Some(orphan);

    assert!(matches!(run(&world, Switches::all_on()), Handled::Dead { .. }));
    assert!(world.gateway_calls.borrow().is_empty() && world.queued.borrow().is_empty());
}

#[test]
fn a_job_is_claimed_with_the_lease_of_the_jobs_module() {
    let world = World::default();
    run(&world, Switches::all_on());
    assert_eq!(*world.leases.borrow(), vec![JOB_LEASE]);
}

#[test]
fn a_held_job_and_a_held_webhook_wait_the_same_scaled_recheck() {
    let off = Switches { sync_enabled: false, bitrix_sync_enabled: false, telegram_notifications_enabled: true };
    let world = World::default();
    *world.job.borrow_mut() = Some(job("status_sync", json!({"order_id": ORDER}), 1));
    let mut rt = runtime(&world, off);
    rt.delay_scale = 0.01;

    block_on(rt.run_job(&test_id(1))).unwrap();
    let held = block_on(rt.run_webhook("k1", &json!({"event": "order.create", "data": {"ID": "1"}}), 1)).unwrap();

    let scaled = HOLD_RECHECK.mul_f64(0.01);
    assert_eq!(world.ends.borrow()[0], JobEnd::Held { reason: "BITRIX_SYNC_ENABLED=false".into(), recheck_in: scaled });
    assert_eq!(held, Handled::Held);
    assert_eq!(world.queued.borrow()[0].1, scaled);
}

#[test]
fn an_unreadable_queue_message_is_kept_as_a_dead_letter_and_acked() {
    let world = World::default();
    let body = json!({"kind": "fax", "to": "+7 701"});

    let (ack, line) = block_on(runtime(&world, Switches::all_on()).handle_message("m-7", &body, false));

    assert_eq!(ack, Ack::Ack);
    assert_eq!(
        *world.dead_webhooks.borrow(),
        vec![("unreadable:m-7".to_owned(), "unreadable queue message".to_owned())]
    );
    assert!(line.render().contains("queue.unreadable_message"));
}

#[test]
fn a_message_whose_store_is_down_is_redelivered_after_the_scaled_store_wait() {
    let world = World::default();
    *world.outbox_down.borrow_mut() = true;
    let body = serde_json::to_value(QueueMessage::Job { job_id: test_id(1), attempt: 1 }).unwrap();
    let mut rt = runtime(&world, Switches::all_on());
    rt.delay_scale = 0.01;

    let (ack, line) = block_on(rt.handle_message("m-1", &body, false));
    let (unreadable, _) = block_on(rt.handle_message("m-2", &json!(null), false));

    assert_eq!(ack, Ack::RetryAfter(STORE_RETRY.mul_f64(0.01)));
    assert_eq!(unreadable, Ack::RetryAfter(STORE_RETRY.mul_f64(0.01)), "not dropped while it cannot be kept");
    assert!(line.render().contains("connection refused"), "the cause is logged: {}", line.render());
}

#[test]
fn the_dead_letter_queues_messages_are_kept_as_dead_jobs_not_run() {
    let world = World::default();
    *world.job.borrow_mut() = Some(job("telegram", json!({"order_id": ORDER, "occasion": "new_order"}), 1));
    let rt = runtime(&world, Switches::all_on());
    let job_message = serde_json::to_value(QueueMessage::Job { job_id: test_id(1), attempt: 4 }).unwrap();
    let webhook = json!({"kind": "webhook", "event_key": "k5", "body": {"event": "order.create"}, "attempt": 2});

    let (first, _) = block_on(rt.handle_message("d-1", &job_message, true));
    let (second, _) = block_on(rt.handle_message("d-2", &webhook, true));

    assert_eq!((first, second), (Ack::Ack, Ack::Ack));
    assert!(world.messages.borrow().is_empty() && world.leases.borrow().is_empty(), "nothing was run");
    assert!(matches!(&world.ends.borrow()[0], JobEnd::Dead { error } if error.contains("queue's own retries")));
    assert_eq!(world.dead_webhooks.borrow()[0].0, "k5");
}

#[test]
fn a_sweep_hands_every_due_job_to_the_queue_as_a_first_attempt() {
    let world = World::default();
    *world.due.borrow_mut() = vec![test_id(3), test_id(4)];

    let sent = block_on(sweep(&world, &world)).unwrap();

    assert_eq!(sent, 2);
    let queued: Vec<QueueMessage> = world.queued.borrow().iter().map(|(m, _)| m.clone()).collect();
    assert_eq!(
        queued,
        vec![
            QueueMessage::Job { job_id: test_id(3), attempt: 1 },
            QueueMessage::Job { job_id: test_id(4), attempt: 1 }
        ]
    );
}

#[test]
fn a_notification_uses_the_order_that_came_with_the_claim_and_reads_nothing_more() {
    let world = World::default();
    let mut claimed =
        job("telegram", json!({"order_id": "0b6f3c1e-0000-4000-8000-000000000001", "occasion": "new_order"}), 1);
    *world.card.borrow_mut() = None;
    claimed.order = Some(crate::web::telegram::tests::card());
    *world.job.borrow_mut() = Some(claimed);

    assert_eq!(run(&world, Switches::all_on()), Handled::Done);
    assert!(world.messages.borrow()[0].contains("Новый заказ №122183"), "the claimed order, though the store has none");
}

fn risky_day() -> DayOrders {
    let mut order = crate::web::telegram::tests::card();
    order.delivery_date = Some(chrono::NaiveDate::from_ymd_opt(2025, 8, 25).unwrap());
    DayOrders {
        slots: vec![crate::domain::views::SlotView {
            id: 18,
            label: "15:00-16:00".into(),
            starts_at: chrono::NaiveTime::from_hms_opt(15, 0, 0),
            ends_at: chrono::NaiveTime::from_hms_opt(16, 0, 0),
        }],
        orders: vec![order],
    }
}

fn utc(hour: u32, minute: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2025, 8, 25, hour, minute, 0).unwrap()
}

#[test]
fn a_delivery_risk_run_warns_once_per_order_and_stage_and_a_second_run_sends_nothing() {
    let world = World::default();
    *world.day.borrow_mut() = risky_day();

    let first = block_on(run_delivery_risk(&world, &world, &utc(9, 30), 120)).unwrap();
    let again = block_on(run_delivery_risk(&world, &world, &utc(9, 40), 120)).unwrap();
    let over = block_on(run_delivery_risk(&world, &world, &utc(11, 0), 120)).unwrap();

    assert_eq!(
        (first, again, over),
        (DayRun { due: 1, created: 1 }, DayRun { due: 1, created: 0 }, DayRun { due: 1, created: 1 })
    );
    let added = world.added.borrow();
    assert_eq!(added[0].payload["stage"], "soon");
    assert_eq!(added[0].payload["minutes_left"], 30, "14:30 in Almaty, the slot at 15:00");
    assert_eq!(added[1].payload["stage"], "over");
    assert_eq!(world.queued.borrow().len(), 2, "each new warning queued once");
}

#[test]
fn the_summary_is_sent_once_from_nine_in_the_evening_or_at_once_when_asked() {
    let world = World::default();
    let before = block_on(run_daily_summary(&world, &world, &utc(15, 59), false)).unwrap();
    let due = block_on(run_daily_summary(&world, &world, &utc(16, 0), false)).unwrap();
    let later = block_on(run_daily_summary(&world, &world, &utc(18, 59), false)).unwrap();
    let asked = block_on(run_daily_summary(&world, &world, &utc(17, 0), true)).unwrap();

    assert_eq!(before, DayRun { due: 0, created: 0 }, "20:59 in Almaty");
    assert_eq!(due, DayRun { due: 1, created: 1 }, "21:00 in Almaty");
    assert_eq!((later.created, asked.created), (0, 0), "never twice a day");
    assert_eq!(world.added.borrow()[0].key, "telegram:daily_summary:2025-08-25");
}

#[test]
fn a_quiet_backfill_is_summed_up_in_one_message_once_and_nothing_is_said_before() {
    let world = World::default();
    let nothing = block_on(run_backfill_summary(&world, &world, 1.0)).unwrap();
    let load: crate::domain::jobs::BackfillLoad = serde_json::from_value(json!({
        "count": 2000, "from": "2025-01-02T10:00:00+05:00", "to": "2025-11-30T18:00:00+05:00",
        "until": "2026-12-02T12:00:00.123456+00:00"
    }))
    .unwrap();
    *world.backfill.borrow_mut() = Some(load);
    let first = block_on(run_backfill_summary(&world, &world, 1.0)).unwrap();
    let again = block_on(run_backfill_summary(&world, &world, 1.0)).unwrap();

    assert_eq!(nothing, DayRun { due: 0, created: 0 });
    assert_eq!((first.created, again.created), (1, 0), "one summary per quiet backfill");
    let added = world.added.borrow()[0].clone();
    assert_eq!(added.key, "telegram:backfill:2026-12-02T12:00:00.123456Z");
    *world.job.borrow_mut() = Some(job("telegram", added.payload, 1));
    run_job_now(&world);
    let message = world.messages.borrow()[0].clone();
    assert!(message.contains("Загружено из Битрикса старых заказов: 2\u{a0}000"), "{message}");
    assert!(message.contains("с 02.01.2025 по 30.11.2025"), "{message}");
}

#[test]
fn a_reconciliations_message_is_rendered_from_its_run_and_a_run_that_is_gone_is_a_dead_letter() {
    let world = World::default();
    let run = test_id(7);
    *world.job.borrow_mut() =
        Some(job("telegram", json!({"occasion": "reconciliation", "reconciliation_id": run.to_string()}), 1));

    let missing = run_job_now(&world);
    *world.reconciliation.borrow_mut() = Some(
        serde_json::from_value(json!({
            "id": run, "trigger": "on_demand", "period_from": "2026-11-23", "period_to": "2026-11-29",
            "started_at": "2026-11-29T10:00:00+05:00", "finished_at": "2026-11-29T10:00:03+05:00",
            "bitrix_orders": 3, "busy": 0, "missing": 1, "other_status": 0, "other_total": 0, "resent": 1,
            "differences": [{"kind": "missing", "bitrix_order_id": 122190}]
        }))
        .unwrap(),
    );
    let sent = run_job_now(&world);

    assert!(matches!(missing, Handled::Dead { .. }), "{missing:?}");
    assert_eq!(sent, Handled::Done);
    assert!(world.messages.borrow()[0].contains("<b>Нет в CRM</b> (1):\n• №122190"), "{:?}", world.messages.borrow());
}

fn run_job_now(world: &World) -> Handled {
    run(world, Switches::all_on())
}

#[test]
fn a_status_job_a_later_crm_change_superseded_sends_nothing_and_one_still_current_sends_its_status() {
    let world = World::default();
    *world.card.borrow_mut() = Some(card(Some(122_190)));
    *world.job.borrow_mut() = Some(job("status_sync", json!({"order_id": ORDER, "status": "new"}), 1));

    let superseded = run(&world, Switches::all_on());
    *world.job.borrow_mut() = Some(job("status_sync", json!({"order_id": ORDER, "status": "accepted"}), 1));
    let current = run(&world, Switches::all_on());

    assert_eq!((superseded, current), (Handled::Done, Handled::Done));
    let calls = world.gateway_calls.borrow();
    assert_eq!(calls.len(), 1, "only the current status went to Bitrix");
    assert_eq!((calls[0]["action"].as_str(), calls[0]["status_id"].as_str()), (Some("order.set_status"), Some("AP")));
    assert_eq!(
        world.ends.borrow()[0],
        JobEnd::Done { result: Some(json!({"superseded": "new", "current": "accepted"})) }
    );
}

#[test]
fn an_availability_job_a_later_toggle_superseded_sends_nothing() {
    let world = World::default();
    // The product is out of stock now (World's product): a job made for "in stock" is superseded.
    *world.job.borrow_mut() = Some(job("availability_sync", json!({"product_id": ORDER, "stock": "158"}), 1));
    assert_eq!(run(&world, Switches::all_on()), Handled::Done);
    assert!(world.gateway_calls.borrow().is_empty());
    *world.job.borrow_mut() = Some(job("availability_sync", json!({"product_id": ORDER, "stock": "159"}), 1));
    assert_eq!(run(&world, Switches::all_on()), Handled::Done);
    assert_eq!(world.gateway_calls.borrow()[0]["in_stock_value"], "159");
}

#[test]
fn a_webhooks_kv_key_is_pinned_so_a_deploy_still_finds_the_last_days_records() {
    assert_eq!(dedup_key("3f2a"), "webhook:3f2a");
}

#[test]
fn a_peers_retry_after_is_waited_in_full_while_our_own_schedule_shrinks_with_the_scale() {
    for (retry_after, waited) in
        [(Some(Duration::from_secs(120)), Duration::from_secs(120)), (None, Duration::from_secs(60).mul_f64(0.01))]
    {
        let world = World::default();
        *world.job.borrow_mut() = Some(job("reverse_sync", json!({"order_id": ORDER}), 2));
        *world.card.borrow_mut() = Some(card(None));
        *world.gateway_failure.borrow_mut() = Some(Failure::Transient { retry_after, reason: "HTTP 503".into() });
        let mut rt = runtime(&world, Switches::all_on());
        rt.delay_scale = 0.01;

        let handled = block_on(rt.run_job(&test_id(1))).unwrap();

        assert_eq!(handled, Handled::Retrying { delay: waited }, "{retry_after:?}");
    }
}

#[test]
fn a_webhook_applied_from_the_queue_hands_on_its_jobs_and_remembers_its_order_as_the_route_does() {
    let world = World::default();
    let body = json!({"event": "order.create", "data": {"ID": "1", "DATE_UPDATE": "2025-08-24T13:05:11+05:00"}});
    let rt = runtime(&world, Switches::all_on());

    assert_eq!(block_on(rt.run_webhook("k1", &body, 1)).unwrap(), Handled::Done);

    assert!(matches!(&world.queued.borrow()[..], [(QueueMessage::Job { job_id, .. }, _)] if *job_id == test_id(9)));
    let remembered = world.remembered.borrow();
    assert_eq!(remembered.len(), 1);
    assert!(remembered[0].0.starts_with("webhook:") && remembered[0].1 == "o1", "{remembered:?}");
}

#[test]
fn every_log_line_of_a_job_carries_the_correlation_id_of_its_cause() {
    let world = World::default();
    *world.job.borrow_mut() = Some(job("telegram", json!({"order_id": ORDER, "occasion": "new_order"}), 1));
    *world.card.borrow_mut() = Some(crate::web::telegram::tests::card());
    let rt = runtime(&world, Switches::all_on());
    let message = json!({"kind": "job", "job_id": test_id(1), "attempt": 1});
    let webhook = json!({"kind": "webhook", "event_key": "evt-7", "body": {}, "attempt": 1});

    let (_, job_line) = block_on(rt.handle_message("m1", &message, false));
    let (_, webhook_line) = block_on(rt.handle_message("m2", &webhook, false));

    assert!(job_line.render().contains(r#""correlation_id":"corr-webhook-1""#), "{}", job_line.render());
    assert!(webhook_line.render().contains(r#""correlation_id":"evt-7""#), "{}", webhook_line.render());
}

fn waiting(n: u64, occasion: Value, minute: u32) -> crate::domain::jobs::BacklogJob {
    let mut order = card(Some(122_000 + n));
    order.recipient_name = Some(format!("Получатель {n}"));
    serde_json::from_value(json!({
        "id": test_id(10 + n), "payload": {"order_id": ORDER, "occasion": occasion, "status": "delivering"},
        "created_at": format!("2026-03-08T10:{minute:02}:00+05:00"), "order": order
    }))
    .unwrap()
}

#[test]
fn a_flooded_chat_gets_one_digest_naming_every_waiting_message_in_the_order_they_were_due() {
    let world = World::default();
    let mut own = job("telegram", json!({"order_id": ORDER, "occasion": "new_order"}), 1);
    own.created_at = Some("2026-03-08T10:03:00+05:00".parse().unwrap());
    *world.job.borrow_mut() = Some(own);
    *world.card.borrow_mut() = Some(card(Some(122_999)));
    *world.backlog.borrow_mut() = vec![
        waiting(1, json!("new_order"), 1),
        waiting(2, json!("status_changed"), 2),
        waiting(3, json!("new_order"), 4),
        waiting(4, json!("new_order"), 5),
    ];

    let handled = run(&world, Switches::all_on());

    assert_eq!(handled, Handled::Done);
    let messages = world.messages.borrow();
    assert_eq!(messages.len(), 1, "one message for five");
    let digest = &messages[0];
    let at = |needle: &str| digest.find(needle).unwrap_or_else(|| panic!("{needle} missing from\n{digest}"));
    assert!(at("№122001") < at("№122002 «Доставляется»"));
    assert!(at("№122002") < at("№122999") && at("№122999") < at("№122003") && at("№122003") < at("№122004"));
    assert!(digest.starts_with("📦 <b>Сразу 5 сообщений о заказах</b>"), "{digest}");
    assert_eq!(*world.backlog_ends.borrow(), [((11..=14).map(test_id).collect(), true), (vec![], false)]);
    let last = world.ends.borrow().last().cloned();
    match last {
        Some(JobEnd::Done { result: Some(result) }) => assert_eq!(result["digest"], 5),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_message_whose_claim_says_few_wait_does_not_ask_for_the_backlog() {
    let world = World::default();
    let mut own = job("telegram", json!({"order_id": ORDER, "occasion": "new_order"}), 1);
    own.waiting = Some(3);
    *world.job.borrow_mut() = Some(own);
    *world.card.borrow_mut() = Some(card(None));
    // Were it asked, the store would hand five over: the claim's count spares the call.
    *world.backlog.borrow_mut() = (1..=5).map(|n| waiting(n, json!("new_order"), 1)).collect();

    run(&world, Switches::all_on());

    assert!(world.messages.borrow()[0].contains("Новый заказ"), "a message of its own");
    assert!(world.backlog_ends.borrow().is_empty());
}

#[test]
fn a_chat_that_keeps_up_gets_each_message_on_its_own() {
    let world = World::default();
    *world.job.borrow_mut() = Some(job("telegram", json!({"order_id": ORDER, "occasion": "new_order"}), 1));
    *world.card.borrow_mut() = Some(card(None));
    *world.backlog.borrow_mut() = vec![waiting(1, json!("new_order"), 1), waiting(2, json!("new_order"), 2)];

    run(&world, Switches::all_on());

    assert!(world.messages.borrow()[0].contains("Новый заказ"), "a message of its own");
    assert!(world.backlog_ends.borrow().is_empty(), "nothing taken along");
}

#[test]
fn a_digest_telegram_refuses_puts_the_messages_it_took_back_in_line() {
    let world = World::default();
    *world.job.borrow_mut() = Some(job("telegram", json!({"order_id": ORDER, "occasion": "new_order"}), 1));
    *world.card.borrow_mut() = Some(card(None));
    *world.backlog.borrow_mut() = (1..=5).map(|n| waiting(n, json!("new_order"), 1)).collect();
    *world.telegram_failure.borrow_mut() =
        Some(Failure::Transient { retry_after: Some(Duration::from_secs(30)), reason: "429".into() });

    let handled = run(&world, Switches::all_on());

    assert!(matches!(handled, Handled::Retrying { .. }), "{handled:?}");
    assert_eq!(world.backlog_ends.borrow()[0], ((11..=15).map(test_id).collect(), false));
    assert!(world.messages.borrow().is_empty());
}
