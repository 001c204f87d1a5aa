//! One refresh of the shop's reference data over the ports: Bitrix's `reference.snapshot`,
//! read (`domain::reference`), stored whole, and recorded, or its failure recorded.

use crate::app::ports::{BitrixGateway, ReferenceStore, StoreError};
use crate::domain::gateway::GatewayRequest;
use crate::domain::jobs::Switches;
use crate::domain::reference::{read_reference, RefreshOutcome, RefreshTrigger, DAILY, UNKNOWN_ID_RETRY};

/// What a refresh did, or why none ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshRun {
    Refreshed {
        trigger: RefreshTrigger,
        outcome: RefreshOutcome,
    },
    /// Bitrix did not answer as the contract says: nothing stored, the failure recorded.
    Failed {
        trigger: RefreshTrigger,
        error: String,
    },
    NotDue,
    /// `BITRIX_SYNC_ENABLED` is off: Bitrix is not asked.
    SwitchedOff,
}

/// The cron's refresh: daily, or within a minute of an order naming an unknown id (both waits
/// times `delay_scale`, which only the test stack sets).
///
/// # Errors
/// The store's failure (Bitrix's is a [`RefreshRun::Failed`]).
pub async fn refresh_if_due<S: ReferenceStore, G: BitrixGateway>(
    store: &S,
    gateway: &G,
    switches: Switches,
    delay_scale: f64,
) -> Result<RefreshRun, StoreError> {
    if !switches.bitrix_sync_enabled {
        return Ok(RefreshRun::SwitchedOff);
    }
    let scale = delay_scale.clamp(0.0, 1.0);
    match store.reference_refresh_due(DAILY.mul_f64(scale), UNKNOWN_ID_RETRY.mul_f64(scale)).await? {
        Some(trigger) => refresh(store, gateway, switches, trigger).await,
        None => Ok(RefreshRun::NotDue),
    }
}

/// A refresh now.
///
/// # Errors
/// The store's failure (Bitrix's is a [`RefreshRun::Failed`]).
pub async fn refresh<S: ReferenceStore, G: BitrixGateway>(
    store: &S,
    gateway: &G,
    switches: Switches,
    trigger: RefreshTrigger,
) -> Result<RefreshRun, StoreError> {
    if !switches.bitrix_sync_enabled {
        return Ok(RefreshRun::SwitchedOff);
    }
    let read = match gateway.call(&GatewayRequest::ReferenceSnapshot, "reference:snapshot").await {
        Ok(answer) => read_reference(&answer),
        Err(failure) => Err(failure),
    };
    match read {
        Ok(reference) => {
            Ok(RefreshRun::Refreshed { trigger, outcome: store.apply_reference(&reference, trigger).await? })
        }
        Err(failure) => {
            let error = failure.reason().to_owned();
            store.record_reference_failure(trigger, &error).await?;
            Ok(RefreshRun::Failed { trigger, error })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::time::Duration;

    use futures::executor::block_on;
    use serde_json::{json, Value};

    use super::*;
    use crate::domain::reference::ShopReference;
    use crate::domain::retry::Failure;

    #[derive(Default)]
    struct World {
        due: Option<RefreshTrigger>,
        answer: Option<Value>,
        stored: RefCell<Vec<(ShopReference, RefreshTrigger)>>,
        failures: RefCell<Vec<(RefreshTrigger, String)>>,
        calls: RefCell<u32>,
    }

    impl ReferenceStore for World {
        async fn reference_refresh_due(
            &self,
            daily: Duration,
            retry: Duration,
        ) -> Result<Option<RefreshTrigger>, StoreError> {
            assert_eq!((daily, retry), (DAILY, UNKNOWN_ID_RETRY));
            Ok(self.due)
        }
        async fn apply_reference(
            &self,
            reference: &ShopReference,
            trigger: RefreshTrigger,
        ) -> Result<RefreshOutcome, StoreError> {
            self.stored.borrow_mut().push((reference.clone(), trigger));
            Ok(RefreshOutcome {
                slots: reference.slots.len() as u64,
                cities: 0,
                shops: 0,
                statuses: 0,
                pay_systems: 0,
                deliveries: 0,
                changed: 1,
                skipped: reference.skipped.clone(),
            })
        }
        async fn record_reference_failure(&self, trigger: RefreshTrigger, error: &str) -> Result<(), StoreError> {
            self.failures.borrow_mut().push((trigger, error.to_owned()));
            Ok(())
        }
    }

    impl BitrixGateway for World {
        async fn call(&self, request: &GatewayRequest, _key: &str) -> Result<Value, Failure> {
            assert_eq!(serde_json::to_value(request).unwrap(), json!({"action": "reference.snapshot"}));
            *self.calls.borrow_mut() += 1;
            self.answer.clone().ok_or(Failure::Transient { retry_after: None, reason: "gateway HTTP 503".into() })
        }
    }

    fn snapshot() -> Value {
        json!({"ok": true, "slots": [{"id": "23", "name": "21:00-22:00", "sort": 1}], "cities": [], "shops": [],
               "statuses": [], "pay_systems": [], "deliveries": []})
    }

    #[test]
    fn a_refresh_due_for_an_unknown_slot_stores_what_bitrix_names() {
        let world = World { due: Some(RefreshTrigger::UnknownId), answer: Some(snapshot()), ..World::default() };
        let run = block_on(refresh_if_due(&world, &world, Switches::all_on(), 1.0)).unwrap();
        assert!(matches!(run, RefreshRun::Refreshed { trigger: RefreshTrigger::UnknownId, .. }), "{run:?}");
        assert_eq!(world.stored.borrow()[0].0.slots[0].id, 23);
    }

    #[test]
    fn nothing_is_asked_when_no_refresh_is_due_or_bitrix_sync_is_off() {
        let idle = World { answer: Some(snapshot()), ..World::default() };
        assert_eq!(block_on(refresh_if_due(&idle, &idle, Switches::all_on(), 1.0)).unwrap(), RefreshRun::NotDue);
        let off = Switches { bitrix_sync_enabled: false, ..Switches::all_on() };
        let due = World { due: Some(RefreshTrigger::Daily), answer: Some(snapshot()), ..World::default() };
        assert_eq!(block_on(refresh_if_due(&due, &due, off, 1.0)).unwrap(), RefreshRun::SwitchedOff);
        assert_eq!((*idle.calls.borrow(), *due.calls.borrow()), (0, 0));
    }

    #[test]
    fn a_snapshot_against_the_contract_or_bitrix_down_stores_nothing_and_is_recorded() {
        let broken = World { answer: Some(json!({"ok": true, "slots": "many"})), ..World::default() };
        let down = World::default();
        for world in [&broken, &down] {
            let run = block_on(refresh(world, world, Switches::all_on(), RefreshTrigger::OnDemand)).unwrap();
            assert!(matches!(run, RefreshRun::Failed { .. }), "{run:?}");
            assert!(world.stored.borrow().is_empty());
            assert_eq!(world.failures.borrow().len(), 1);
        }
        assert!(broken.failures.borrow()[0].1.contains("slots is not a list"));
    }
}
