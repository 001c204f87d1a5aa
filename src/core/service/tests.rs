use std::cell::RefCell;

use futures::executor::block_on;
use serde_json::json;

use super::*;
use crate::core::apply::ApplyOutcome;

/// Records what it was asked to apply; can be told to fail.
#[derive(Default)]
struct FakeStore {
    applied: RefCell<Vec<String>>,
    failure: RefCell<Option<StoreError>>,
}

impl OrderStore for FakeStore {
    async fn apply_order_event(&self, event: &OrderEvent) -> Result<Applied, StoreError> {
        if let Some(error) = self.failure.borrow().clone() {
            return Err(error);
        }
        self.applied.borrow_mut().push(event.event_key.clone());
        Ok(Applied { outcome: ApplyOutcome::Created, order_id: Some("crm-1".into()) })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

fn settings() -> WebhookSettings {
    WebhookSettings { token: "secret-token".into(), sync_enabled: true }
}

fn body(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

fn create() -> serde_json::Value {
    json!({"event": "order.create", "data": {"ID": "10", "STATUS_ID": "N"}})
}

#[test]
fn a_webhook_with_the_bearer_token_is_applied() {
    let store = FakeStore::default();
    let done = block_on(ingest_webhook(&store, &settings(), Some("Bearer secret-token"), &body(&create()))).unwrap();
    assert_eq!(done.applied.outcome, ApplyOutcome::Created);
    assert_eq!(store.applied.borrow().len(), 1);
}

#[test]
fn a_webhook_with_the_token_in_its_body_is_applied() {
    let store = FakeStore::default();
    let mut with_token = create();
    with_token["token"] = json!("secret-token");
    block_on(ingest_webhook(&store, &settings(), None, &body(&with_token))).unwrap();
    assert_eq!(store.applied.borrow().len(), 1);
}

#[test]
fn a_wrong_header_token_is_refused_even_when_the_body_token_is_right() {
    let store = FakeStore::default();
    let mut with_token = create();
    with_token["token"] = json!("secret-token");
    let error = block_on(ingest_webhook(&store, &settings(), Some("Bearer nope"), &body(&with_token))).unwrap_err();
    assert!(matches!(error, WebhookError::Unauthorized));
    assert!(store.applied.borrow().is_empty());
}

#[test]
fn a_webhook_without_any_token_is_refused_and_nothing_is_applied() {
    let store = FakeStore::default();
    let error = block_on(ingest_webhook(&store, &settings(), None, &body(&create()))).unwrap_err();
    assert!(matches!(error, WebhookError::Unauthorized));
    assert!(store.applied.borrow().is_empty());
}

#[test]
fn malformed_json_and_oversized_bodies_are_refused_before_the_store_is_touched() {
    let store = FakeStore::default();
    let auth = Some("Bearer secret-token");
    let error = block_on(ingest_webhook(&store, &settings(), auth, b"{\"event\": ")).unwrap_err();
    assert!(matches!(error, WebhookError::InvalidJson(_)));
    let huge = vec![b' '; MAX_WEBHOOK_BYTES + 1];
    let error = block_on(ingest_webhook(&store, &settings(), auth, &huge)).unwrap_err();
    assert!(matches!(error, WebhookError::TooLarge { .. }));
    assert!(store.applied.borrow().is_empty());
}

#[test]
fn with_sync_switched_off_a_valid_webhook_is_refused_for_a_later_retry() {
    let store = FakeStore::default();
    let off = WebhookSettings { sync_enabled: false, ..settings() };
    let error = block_on(ingest_webhook(&store, &off, Some("Bearer secret-token"), &body(&create()))).unwrap_err();
    assert!(matches!(error, WebhookError::SyncDisabled));
    assert!(store.applied.borrow().is_empty());
}

#[test]
fn a_store_failure_is_reported_as_such() {
    let store = FakeStore::default();
    *store.failure.borrow_mut() = Some(StoreError::Unavailable("connection refused".into()));
    let error = block_on(ingest_webhook(&store, &settings(), Some("Bearer secret-token"), &body(&create()))).unwrap_err();
    assert!(matches!(error, WebhookError::Store(StoreError::Unavailable(_))));
}
