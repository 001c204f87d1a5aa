use std::cell::RefCell;

use futures::executor::block_on;
use serde_json::json;

use super::*;
use crate::core::apply::{Applied, ApplyOutcome};
use crate::core::order::OrderEvent;
use crate::core::ports::ProductAvailability;
use crate::core::retry::MAX_ATTEMPTS;
use crate::core::telegram::OrderCard;

/// Every outside system in one place, recording what it was asked; each can be told to fail.
#[derive(Default)]
struct World {
    job: RefCell<Option<JobRow>>,
    ends: RefCell<Vec<JobEnd>>,
    card: RefCell<Option<OrderCard>>,
    gateway_calls: RefCell<Vec<Value>>,
    gateway_failure: RefCell<Option<Failure>>,
    messages: RefCell<Vec<String>>,
    queued: RefCell<Vec<(QueueMessage, Duration)>>,
    store_down: RefCell<bool>,
    dead_webhooks: RefCell<Vec<String>>,
}

impl OrderStore for World {
    async fn apply_order_event(&self, _event: &OrderEvent) -> Result<Applied, StoreError> {
        if *self.store_down.borrow() {
            return Err(StoreError::Unavailable("connection refused".into()));
        }
        Ok(Applied { outcome: ApplyOutcome::Created, order_id: Some("o1".into()), jobs: vec!["j9".into()] })
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl JobStore for World {
    async fn claim_job(&self, _job_id: &str) -> Result<Option<JobRow>, StoreError> {
        Ok(self.job.borrow().clone())
    }
    async fn finish_job(&self, _job_id: &str, end: &JobEnd) -> Result<(), StoreError> {
        self.ends.borrow_mut().push(end.clone());
        Ok(())
    }
    async fn order_card(&self, _order_id: &str) -> Result<Option<OrderCard>, StoreError> {
        Ok(self.card.borrow().clone())
    }
    async fn product_availability(&self, _id: &str) -> Result<Option<ProductAvailability>, StoreError> {
        Ok(Some(ProductAvailability { bitrix_product_id: Some(15652), in_stock: false }))
    }
    async fn record_dead_webhook(
        &self,
        event_key: &str,
        _body: &Value,
        _error: &str,
        _attempts: u32,
    ) -> Result<(), StoreError> {
        self.dead_webhooks.borrow_mut().push(event_key.into());
        Ok(())
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
    async fn send_message(&self, html: &str) -> Result<(), Failure> {
        self.messages.borrow_mut().push(html.into());
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
    async fn put(&self, _key: &str, _value: &str) {}
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
    }
}

fn card(bitrix_order_id: Option<u64>) -> OrderCard {
    serde_json::from_value(json!({"order_id": "o1", "bitrix_order_id": bitrix_order_id, "order_number": null,
        "origin": "crm", "status": "accepted", "total_amount": "9000.00", "delivery_fee": null, "currency": "KZT",
        "recipient_name": "Айгерим", "recipient_phone": null, "delivery_address": null, "postcard_text": null,
        "delivery_date": null, "delivery_slot": null, "city": null, "shop": null, "items": []}))
    .unwrap()
}

fn job(flow: &str, payload: Value, attempts: u32) -> JobRow {
    JobRow { id: "j1".into(), flow: flow.into(), idempotency_key: format!("{flow}:k"), payload, attempts }
}

#[test]
fn a_notification_is_sent_and_its_job_recorded_done() {
    let world = World::default();
    *world.job.borrow_mut() = Some(job("telegram", json!({"order_id": "o1", "occasion": "new_order"}), 1));
    *world.card.borrow_mut() = Some(card(None));

    let handled = block_on(runtime(&world, Switches::all_on()).run_job("j1")).unwrap();

    assert_eq!(handled, Handled::Done);
    assert_eq!(world.messages.borrow().len(), 1);
    assert!(world.messages.borrow()[0].contains("Новый заказ"));
    assert_eq!(*world.ends.borrow(), vec![JobEnd::Done { result: None }]);
}

#[test]
fn a_job_that_cannot_be_claimed_is_left_alone() {
    let world = World::default();

    let handled = block_on(runtime(&world, Switches::all_on()).run_job("j1")).unwrap();

    assert_eq!(handled, Handled::Nothing);
    assert!(world.ends.borrow().is_empty() && world.messages.borrow().is_empty());
}

#[test]
fn a_transient_gateway_failure_is_retried_as_the_next_attempt() {
    let world = World::default();
    *world.job.borrow_mut() = Some(job("reverse_sync", json!({"order_id": "o1"}), 2));
    *world.card.borrow_mut() = Some(card(None));
    *world.gateway_failure.borrow_mut() = Some(Failure::Transient { retry_after: None, reason: "HTTP 502".into() });

    let handled = block_on(runtime(&world, Switches::all_on()).run_job("j1")).unwrap();

    let delay = Duration::from_secs(60);
    assert_eq!(handled, Handled::Retrying { delay });
    assert_eq!(*world.queued.borrow(), vec![(QueueMessage::Job { job_id: "j1".into(), attempt: 3 }, delay)]);
    assert_eq!(*world.ends.borrow(), vec![JobEnd::Retrying { error: "HTTP 502".into(), delay }]);
}

#[test]
fn a_permanent_failure_and_the_last_attempt_both_end_dead() {
    for (failure, attempts) in [
        (Failure::Permanent { reason: "HTTP 422".into() }, 1),
        (Failure::Transient { retry_after: None, reason: "HTTP 502".into() }, MAX_ATTEMPTS),
    ] {
        let world = World::default();
        *world.job.borrow_mut() = Some(job("availability_sync", json!({"product_id": "p1"}), attempts));
        *world.gateway_failure.borrow_mut() = Some(failure.clone());

        let handled = block_on(runtime(&world, Switches::all_on()).run_job("j1")).unwrap();

        assert_eq!(handled, Handled::Dead { error: failure.reason().into() });
        assert!(world.queued.borrow().is_empty());
    }
}

#[test]
fn a_reverse_sync_returns_the_bitrix_id_and_skips_the_call_when_the_webhook_linked_it_first() {
    let world = World::default();
    *world.job.borrow_mut() = Some(job("reverse_sync", json!({"order_id": "o1"}), 1));
    *world.card.borrow_mut() = Some(card(None));
    block_on(runtime(&world, Switches::all_on()).run_job("j1")).unwrap();
    assert_eq!(world.ends.borrow()[0], JobEnd::Done { result: Some(json!({"bitrix_order_id": 555})) });
    assert_eq!(world.gateway_calls.borrow()[0]["action"], "order.create");

    let linked = World::default();
    *linked.job.borrow_mut() = Some(job("reverse_sync", json!({"order_id": "o1"}), 1));
    *linked.card.borrow_mut() = Some(card(Some(777)));
    block_on(runtime(&linked, Switches::all_on()).run_job("j1")).unwrap();
    assert!(linked.gateway_calls.borrow().is_empty());
}

#[test]
fn the_switches_skip_notifications_and_hold_bitrix_calls() {
    let off = Switches { sync_enabled: true, bitrix_sync_enabled: false, telegram_notifications_enabled: false };
    let world = World::default();
    *world.job.borrow_mut() = Some(job("telegram", json!({"order_id": "o1", "occasion": "new_order"}), 1));
    assert_eq!(block_on(runtime(&world, off).run_job("j1")).unwrap(), Handled::Skipped);
    assert!(world.messages.borrow().is_empty());

    *world.job.borrow_mut() = Some(job("status_sync", json!({"order_id": "o1"}), 1));
    assert_eq!(block_on(runtime(&world, off).run_job("j1")).unwrap(), Handled::Held);
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
    assert_eq!(*world.dead_webhooks.borrow(), vec!["k1".to_owned()]);

    *world.store_down.borrow_mut() = false;
    assert_eq!(block_on(rt.run_webhook("k1", &body, 3)).unwrap(), Handled::Done);
    assert!(matches!(&world.queued.borrow().last().unwrap().0, QueueMessage::Job { job_id, .. } if job_id == "j9"));
}
