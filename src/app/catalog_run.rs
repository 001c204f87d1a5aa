//! One load of the catalogue from Bitrix over the ports: `catalog.snapshot` page by page (at
//! most `MAX_PAGES`), each page read (`domain::catalog`) and stored as it comes, the load
//! finished (a whole one hides what the catalogue no longer has) and recorded. Between whole
//! loads, what changed since the last load is loaded the same way.

use chrono::{DateTime, FixedOffset};

use crate::app::ports::{BitrixGateway, CatalogStore, StoreError};
use crate::domain::catalog::{
    read_catalog_page, CatalogOutcome, CatalogTrigger, CHANGES_EVERY, CHANGES_OVERLAP, DAILY, MAX_PAGES, PAGE_SIZE,
};
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

/// The cron's load: first of all, then whole nightly, and what changed every few minutes
/// between (the waits times `delay_scale`, which only the test stack sets).
///
/// # Errors
/// The store's failure (Bitrix's ends the load with its `error`).
pub async fn load_if_due<S: CatalogStore, G: BitrixGateway>(
    store: &S,
    gateway: &G,
    switches: Switches,
    delay_scale: f64,
) -> Result<CatalogRun, StoreError> {
    if !switches.bitrix_sync_enabled {
        return Ok(CatalogRun::SwitchedOff);
    }
    let scale = delay_scale.clamp(0.0, 1.0);
    let due = store.catalog_run_due(DAILY.mul_f64(scale), CHANGES_EVERY.mul_f64(scale), CHANGES_OVERLAP).await?;
    match due {
        Some(due) if due.trigger == CatalogTrigger::Changes => match due.since {
            Some(since) => run(store, gateway, switches, CatalogTrigger::Changes, Some(since)).await,
            None => Ok(CatalogRun::NotDue),
        },
        Some(due) => run(store, gateway, switches, due.trigger, None).await,
        None => Ok(CatalogRun::NotDue),
    }
}

/// A whole load now.
///
/// # Errors
/// The store's failure (Bitrix's ends the load with its `error`).
pub async fn load<S: CatalogStore, G: BitrixGateway>(
    store: &S,
    gateway: &G,
    switches: Switches,
    trigger: CatalogTrigger,
) -> Result<CatalogRun, StoreError> {
    run(store, gateway, switches, trigger, None).await
}

/// A load: the whole catalogue, or (`since`) what changed since then.
async fn run<S: CatalogStore, G: BitrixGateway>(
    store: &S,
    gateway: &G,
    switches: Switches,
    trigger: CatalogTrigger,
    since: Option<DateTime<FixedOffset>>,
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
        let changed_since = since.map(|at| at.to_rfc3339());
        let request = GatewayRequest::CatalogSnapshot { after_id, limit: PAGE_SIZE, changed_since };
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
        outcome.error = Some(format!("the catalogue has more than {MAX_PAGES} pages of {PAGE_SIZE}"));
    }
    // Only a whole load can tell what Bitrix no longer has.
    let outcome = store.finish_catalog_run(&run, &outcome, complete && since.is_none()).await?;
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
        since: RefCell<Vec<Option<Value>>>,
    }

    impl CatalogStore for World {
        async fn catalog_run_due(
            &self,
            daily: Duration,
            every: Duration,
            overlap: Duration,
        ) -> Result<Option<crate::domain::catalog::CatalogDue>, StoreError> {
            assert_eq!((daily, every, overlap), (DAILY, CHANGES_EVERY, CHANGES_OVERLAP));
            Ok(self.due.map(|trigger| crate::domain::catalog::CatalogDue {
                trigger,
                since: (trigger == CatalogTrigger::Changes).then(|| "2026-12-02T10:00:00+05:00".parse().unwrap()),
            }))
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
            self.since.borrow_mut().push(request.get("changed_since").cloned());
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
        let run = block_on(load_if_due(&world, &world, Switches::all_on(), 1.0)).unwrap();
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
        assert_eq!(block_on(load_if_due(&idle, &idle, Switches::all_on(), 1.0)).unwrap(), CatalogRun::NotDue);
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

    #[test]
    fn the_changes_since_the_last_load_are_asked_for_stored_and_never_hide_anything() {
        let world = World { due: Some(CatalogTrigger::Changes), pages: 1, ..World::default() };
        let run = block_on(load_if_due(&world, &world, Switches::all_on(), 1.0)).unwrap();
        assert!(matches!(run, CatalogRun::Loaded { trigger: CatalogTrigger::Changes, .. }), "{run:?}");
        assert_eq!(world.since.borrow()[0], Some(json!("2026-12-02T10:00:00+05:00")));
        assert_eq!(*world.stored.borrow(), [1, 2]);
        assert!(!world.finished.borrow()[0].1, "an incremental load is never complete: it hides nothing");
    }
}
