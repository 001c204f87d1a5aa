use std::cell::RefCell;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use futures::executor::block_on;
use serde_json::{json, Value};

use super::*;
use crate::domain::decimal::Money;
use crate::domain::ids::{test_id, JobId};
use crate::domain::jobs::QueueMessage;
use crate::domain::reconciliation::{CrmRow, Reconciliation, MAX_PAGES};

/// The store, the gateway and the queue, recording what they were asked; each can be told to fail.
#[derive(Default)]
struct World {
    /// The Bitrix orders the snapshot pages through: (id, status, price).
    bitrix: Vec<(u64, &'static str, &'static str)>,
    /// A gateway that always has another page.
    endless: bool,
    crm: Vec<CrmRow>,
    not_due: bool,
    gateway_failure: RefCell<Option<(&'static str, Failure)>>,
    calls: RefCell<Vec<(Value, String)>>,
    started: RefCell<Vec<(Trigger, NaiveDate, ReconcilePeriod)>>,
    finished: RefCell<Vec<RunOutcome>>,
    queued: RefCell<Vec<QueueMessage>>,
}

impl ReconcileStore for World {
    async fn start_reconciliation(
        &self,
        trigger: Trigger,
        day: NaiveDate,
        period: ReconcilePeriod,
    ) -> Result<Option<RunId>, StoreError> {
        self.started.borrow_mut().push((trigger, day, period));
        Ok((!self.not_due).then(|| test_id(7)))
    }
    async fn reconcile_rows(&self, ids: &[u64]) -> Result<Vec<CrmRow>, StoreError> {
        assert!(ids.len() <= 1000, "rows are asked for in chunks");
        Ok(self.crm.iter().filter(|row| ids.contains(&row.bitrix_order_id)).cloned().collect())
    }
    async fn finish_reconciliation(&self, _id: &RunId, outcome: &RunOutcome) -> Result<Vec<JobId>, StoreError> {
        self.finished.borrow_mut().push(outcome.clone());
        Ok(if outcome.drift() > 0 { vec![test_id(8)] } else { vec![] })
    }
    async fn reconciliation(&self, _id: Option<&RunId>) -> Result<Option<Reconciliation>, StoreError> {
        Ok(None)
    }
}

impl BitrixGateway for World {
    async fn call(&self, request: &GatewayRequest, key: &str) -> Result<Value, Failure> {
        let request = serde_json::to_value(request).unwrap();
        self.calls.borrow_mut().push((request.clone(), key.to_owned()));
        if let Some((action, failure)) = self.gateway_failure.borrow().clone() {
            if request["action"] == action {
                return Err(failure);
            }
        }
        match request["action"].as_str().unwrap() {
            "orders.snapshot" => {
                let after = request["after_id"].as_u64().unwrap();
                let limit = request["limit"].as_u64().unwrap() as usize;
                if self.endless {
                    return Ok(json!({"ok": true, "orders": [], "next_after_id": after + 1}));
                }
                let page: Vec<_> = self.bitrix.iter().filter(|(id, ..)| *id > after).take(limit).collect();
                let next =
                    (self.bitrix.iter().filter(|(id, ..)| *id > after).count() > limit).then(|| page.last().unwrap().0);
                let orders: Vec<Value> = page
                    .iter()
                    .map(|(id, status, price)| json!({"id": id.to_string(), "status_id": status, "price": price}))
                    .collect();
                Ok(json!({"ok": true, "orders": orders, "next_after_id": next}))
            }
            "orders.resend" => Ok(json!({"ok": true, "queued": request["bitrix_order_ids"].as_array().unwrap().len()})),
            other => panic!("unexpected {other}"),
        }
    }
}

impl JobQueue for World {
    async fn send(&self, message: &QueueMessage, _delay: Duration) -> Result<(), String> {
        self.queued.borrow_mut().push(message.clone());
        Ok(())
    }
}

fn crm(id: u64, status: &str, total: &str) -> CrmRow {
    CrmRow { bitrix_order_id: id, status_raw: Some(status.into()), total_amount: Money::parse(total).ok(), busy: false }
}

const PERIOD: ReconcilePeriod = ReconcilePeriod {
    from: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    to: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
};

fn run(world: &World, switches: Switches) -> ReconcileRun {
    block_on(reconcile(world, world, world, switches, Trigger::OnDemand, PERIOD.to, PERIOD)).unwrap()
}

fn actions(world: &World) -> Vec<String> {
    world.calls.borrow().iter().map(|(request, key)| format!("{} {key}", request["action"].as_str().unwrap())).collect()
}

#[test]
fn a_run_reads_every_page_resends_only_what_differs_and_queues_its_one_message() {
    let world = World {
        bitrix: (1..=1200).map(|id| (id, "N", "9000.00")).collect(),
        crm: (1..=1200).filter(|id| *id != 5).map(|id| crm(id, if id == 700 { "AP" } else { "N" }, "9000")).collect(),
        ..World::default()
    };

    let ran = run(&world, Switches::all_on());

    let ReconcileRun::Ran { outcome, .. } = ran else { panic!("{ran:?}") };
    assert_eq!((outcome.bitrix_orders, outcome.missing, outcome.other_status, outcome.other_total), (1200, 1, 1, 0));
    assert_eq!((outcome.resent, outcome.truncated, outcome.error.as_deref()), (2, false, None));
    let id = test_id(7);
    assert_eq!(
        actions(&world),
        [
            format!("orders.snapshot reconcile:{id}:snapshot:0"),
            format!("orders.snapshot reconcile:{id}:snapshot:500"),
            format!("orders.snapshot reconcile:{id}:snapshot:1000"),
            format!("orders.resend reconcile:{id}:resend:0"),
        ]
    );
    assert_eq!(world.calls.borrow()[3].0["bitrix_order_ids"], json!([5, 700]));
    assert_eq!(world.finished.borrow().len(), 1);
    assert_eq!(world.queued.borrow().len(), 1, "the drift's message");
}

#[test]
fn a_run_that_finds_nothing_asks_for_nothing_and_queues_no_message() {
    let world = World { bitrix: vec![(1, "AP", "10")], crm: vec![crm(1, "AP", "10.00")], ..World::default() };
    let ReconcileRun::Ran { outcome, .. } = run(&world, Switches::all_on()) else { panic!() };
    assert_eq!((outcome.drift(), outcome.resent), (0, 0));
    assert_eq!(actions(&world).len(), 1);
    assert!(world.queued.borrow().is_empty());
}

#[test]
fn a_gateway_that_always_has_another_page_is_read_forty_pages_and_the_run_says_it_was_cut() {
    let world = World { endless: true, ..World::default() };
    let ReconcileRun::Ran { outcome, .. } = run(&world, Switches::all_on()) else { panic!() };
    assert_eq!(world.calls.borrow().len(), MAX_PAGES as usize);
    assert!(outcome.truncated);
}

#[test]
fn a_snapshot_the_gateway_refuses_is_a_failed_run_recorded_with_its_reason_and_nothing_resent() {
    let world = World::default();
    *world.gateway_failure.borrow_mut() = Some(("orders.snapshot", Failure::transient("gateway HTTP 503: занято")));
    let ReconcileRun::Ran { outcome, .. } = run(&world, Switches::all_on()) else { panic!() };
    assert_eq!(outcome.error.as_deref(), Some("orders.snapshot: gateway HTTP 503: занято"));
    assert_eq!(actions(&world).len(), 1);
    assert_eq!(world.finished.borrow().len(), 1);
}

#[test]
fn a_resend_that_fails_keeps_the_comparison_and_says_why_it_stopped() {
    let world = World { bitrix: vec![(1, "N", "1"), (2, "N", "1")], ..World::default() };
    *world.gateway_failure.borrow_mut() = Some(("orders.resend", Failure::transient("timeout")));
    let ReconcileRun::Ran { outcome, .. } = run(&world, Switches::all_on()) else { panic!() };
    assert_eq!((outcome.missing, outcome.resent), (2, 0));
    assert_eq!(outcome.error.as_deref(), Some("orders.resend: timeout"));
    assert_eq!(world.queued.borrow().len(), 1, "the drift is still told");
}

#[test]
fn with_bitrix_sync_or_sync_off_nothing_is_asked_of_anyone() {
    let world = World::default();
    for switches in [
        Switches { bitrix_sync_enabled: false, ..Switches::all_on() },
        Switches { sync_enabled: false, ..Switches::all_on() },
    ] {
        assert_eq!(run(&world, switches), ReconcileRun::SwitchedOff);
    }
    assert!(world.started.borrow().is_empty() && world.calls.borrow().is_empty());
}

#[test]
fn the_cron_starts_the_days_run_from_four_in_almaty_and_not_when_the_store_says_it_is_done() {
    let at = |hour, minute| Utc.with_ymd_and_hms(2026, 11, 28, hour, minute, 0).unwrap();
    let world = World::default();
    // 22:59 UTC is 03:59 in Almaty.
    assert_eq!(
        block_on(reconcile_if_due(&world, &world, &world, Switches::all_on(), &at(22, 59))).unwrap(),
        ReconcileRun::NotDue
    );
    assert!(world.started.borrow().is_empty());
    let ran = block_on(reconcile_if_due(&world, &world, &world, Switches::all_on(), &at(23, 0))).unwrap();
    assert!(matches!(ran, ReconcileRun::Ran { .. }));
    assert_eq!(world.started.borrow()[0], (Trigger::Scheduled, PERIOD.to, PERIOD));

    let done = World { not_due: true, ..World::default() };
    assert_eq!(
        block_on(reconcile_if_due(&done, &done, &done, Switches::all_on(), &at(23, 30))).unwrap(),
        ReconcileRun::NotDue
    );
    assert!(done.calls.borrow().is_empty());
}
