//! One load of the catalogue from Bitrix over the ports: `catalog.snapshot` page by page (at
//! most `MAX_PAGES`), each page read (`domain::catalog`) and stored as it comes, the load
//! finished (a complete one hides what the catalogue no longer has) and recorded.

use crate::app::ports::{BitrixGateway, CatalogStore, StoreError};
use crate::domain::catalog::{read_catalog_page, CatalogOutcome, CatalogTrigger, DAILY, MAX_PAGES, PAGE_SIZE};
use crate::domain::gateway::GatewayRequest;
use crate::domain::jobs::Switches;

/// What a load did, or why none ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogRun {
    /// Finished: complete, or stopped by `outcome.error` (nothing hidden then).
    Loaded {
        trigger: CatalogTrigger,
        outcome: CatalogOutcome,
    },
    /// Another load is running.
    Busy,
    NotDue,
    /// `BITRIX_SYNC_ENABLED` is off: Bitrix is not asked.
    SwitchedOff,
}

/// The cron's load: first of all, then nightly.
///
/// # Errors
/// The store's failure (Bitrix's ends the load with its `error`).
pub async fn load_if_due<S: CatalogStore, G: BitrixGateway>(
    store: &S,
    gateway: &G,
    switches: Switches,
) -> Result<CatalogRun, StoreError> {
    if !switches.bitrix_sync_enabled {
        return Ok(CatalogRun::SwitchedOff);
    }
    match store.catalog_run_due(DAILY).await? {
        Some(trigger) => load(store, gateway, switches, trigger).await,
        None => Ok(CatalogRun::NotDue),
    }
}

/// A load now.
///
/// # Errors
/// The store's failure (Bitrix's ends the load with its `error`).
pub async fn load<S: CatalogStore, G: BitrixGateway>(
    store: &S,
    gateway: &G,
    switches: Switches,
    trigger: CatalogTrigger,
) -> Result<CatalogRun, StoreError> {
    if !switches.bitrix_sync_enabled {
        return Ok(CatalogRun::SwitchedOff);
    }
    let Some(run) = store.start_catalog_run(trigger).await? else {
        return Ok(CatalogRun::Busy);
    };
    let mut outcome = CatalogOutcome::default();
    let mut after_id = 0;
    let mut complete = false;
    for _ in 0..MAX_PAGES {
        let request = GatewayRequest::CatalogSnapshot { after_id, limit: PAGE_SIZE };
        let page = match gateway.call(&request, &format!("catalog:{run}:{after_id}")).await {
            Ok(answer) => read_catalog_page(&answer, after_id, PAGE_SIZE),
            Err(failure) => Err(failure),
        };
        let page = match page {
            Ok(page) => page,
            Err(failure) => {
                outcome.error = Some(failure.reason().to_owned());
                break;
            }
        };
        let stored = store.apply_catalog_page(&run, &page.products).await?;
        outcome.pages += 1;
        outcome.products += page.products.len() as u64;
        outcome.created += stored.created;
        outcome.updated += stored.updated;
        outcome.unchanged += stored.unchanged;
        outcome.kept += stored.kept;
        outcome.skipped.extend(page.skipped);
        match page.next_after_id {
            Some(next) => after_id = next,
            None => {
                complete = true;
                break;
            }
        }
    }
    if !complete && outcome.error.is_none() {
        outcome.error = Some(format!("the catalogue has more than {} pages of {PAGE_SIZE}", MAX_PAGES));
    }
    let outcome = store.finish_catalog_run(&run, &outcome, complete).await?;
    Ok(CatalogRun::Loaded { trigger, outcome })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::time::Duration;

    use futures::executor::block_on;
    use serde_json::{json, Value};

    use super::*;
    use crate::domain::catalog::CatalogProduct;
    use crate::domain::ids::{test_id, CrmId};
    use crate::domain::retry::Failure;

    /// Bitrix with `pages` pages of two products each; a page can be told to fail.
    #[derive(Default)]
    struct World {
        due: Option<CatalogTrigger>,
        busy: bool,
        pages: u64,
        failing_page: Option<u64>,
        asked: RefCell<Vec<u64>>,
        stored: RefCell<Vec<u64>>,
        finished: RefCell<Vec<(CatalogOutcome, bool)>>,
    }

    impl CatalogStore for World {
        async fn catalog_run_due(&self, daily: Duration) -> Result<Option<CatalogTrigger>, StoreError> {
            assert_eq!(daily, DAILY);
            Ok(self.due)
        }
        async fn start_catalog_run(&self, _trigger: CatalogTrigger) -> Result<Option<CrmId>, StoreError> {
            Ok((!self.busy).then(|| test_id(3)))
        }
        async fn apply_catalog_page(
            &self,
            _run: &CrmId,
            products: &[CatalogProduct],
        ) -> Result<CatalogOutcome, StoreError> {
            self.stored.borrow_mut().extend(products.iter().map(|p| p.bitrix_id));
            Ok(CatalogOutcome { created: products.len() as u64, ..CatalogOutcome::default() })
        }
        async fn finish_catalog_run(
            &self,
            _run: &CrmId,
            outcome: &CatalogOutcome,
            complete: bool,
        ) -> Result<CatalogOutcome, StoreError> {
            self.finished.borrow_mut().push((outcome.clone(), complete));
            Ok(outcome.clone())
        }
    }

    impl BitrixGateway for World {
        async fn call(&self, request: &GatewayRequest, _key: &str) -> Result<Value, Failure> {
            let request = serde_json::to_value(request).unwrap();
            assert_eq!(request["action"], "catalog.snapshot");
            let after = request["after_id"].as_u64().unwrap();
            let page = after / 2;
            self.asked.borrow_mut().push(after);
            if self.failing_page == Some(page) {
                return Err(Failure::Transient { retry_after: None, reason: "gateway HTTP 503".into() });
            }
            let products: Vec<Value> = (after + 1..=after + 2)
                .map(|id| json!({"id": id.to_string(), "name": format!("Букет {id}")}))
                .collect();
            let next = (page + 1 < self.pages).then_some(after + 2);
            Ok(json!({"ok": true, "products": products, "next_after_id": next}))
        }
    }

    #[test]
    fn a_load_reads_every_page_in_turn_stores_each_and_finishes_complete() {
        let world = World { due: Some(CatalogTrigger::First), pages: 3, ..World::default() };
        let run = block_on(load_if_due(&world, &world, Switches::all_on())).unwrap();
        assert_eq!(*world.asked.borrow(), [0, 2, 4]);
        assert_eq!(*world.stored.borrow(), [1, 2, 3, 4, 5, 6]);
        let (outcome, complete) = world.finished.borrow()[0].clone();
        assert!(complete);
        assert_eq!((outcome.products, outcome.created, outcome.pages), (6, 6, 3));
        assert!(matches!(run, CatalogRun::Loaded { trigger: CatalogTrigger::First, .. }));
    }

    #[test]
    fn a_load_bitrix_stops_keeps_what_it_stored_and_hides_nothing() {
        let world = World { pages: 3, failing_page: Some(1), ..World::default() };
        block_on(load(&world, &world, Switches::all_on(), CatalogTrigger::OnDemand)).unwrap();
        let (outcome, complete) = world.finished.borrow()[0].clone();
        assert!(!complete, "an incomplete load hides nothing");
        assert_eq!(*world.stored.borrow(), [1, 2]);
        assert_eq!(outcome.error.as_deref(), Some("gateway HTTP 503"));
    }

    #[test]
    fn nothing_is_asked_while_another_load_runs_none_is_due_or_bitrix_sync_is_off() {
        let busy = World { pages: 1, busy: true, ..World::default() };
        assert_eq!(
            block_on(load(&busy, &busy, Switches::all_on(), CatalogTrigger::OnDemand)).unwrap(),
            CatalogRun::Busy
        );
        let idle = World { pages: 1, ..World::default() };
        assert_eq!(block_on(load_if_due(&idle, &idle, Switches::all_on())).unwrap(), CatalogRun::NotDue);
        let off = Switches { bitrix_sync_enabled: false, ..Switches::all_on() };
        assert_eq!(block_on(load(&idle, &idle, off, CatalogTrigger::OnDemand)).unwrap(), CatalogRun::SwitchedOff);
        assert!(busy.asked.borrow().is_empty() && idle.asked.borrow().is_empty());
    }

    #[test]
    fn a_catalogue_longer_than_the_page_limit_ends_the_loop_and_says_so() {
        let world = World { pages: u64::from(MAX_PAGES) + 5, ..World::default() };
        block_on(load(&world, &world, Switches::all_on(), CatalogTrigger::OnDemand)).unwrap();
        assert_eq!(world.asked.borrow().len(), MAX_PAGES as usize);
        let (outcome, complete) = world.finished.borrow()[0].clone();
        assert!(!complete && outcome.error.unwrap().contains("more than 100 pages"));
    }
}
