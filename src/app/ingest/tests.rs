use std::cell::RefCell;

use futures::executor::block_on;
use serde_json::json;

use super::*;
use crate::app::handoff::run_deferred;
use crate::domain::apply::ApplyOutcome;
use crate::domain::ids::test_id;
use crate::domain::signing::{SignatureError, SignedHeaders, SigningSecret};

/// Store, queue and KV in one: records what it was asked, in order; each can be told to fail.
#[derive(Default)]
struct FakeStore {
    calls: RefCell<Vec<&'static str>>,
    applied: RefCell<Vec<String>>,
    failure: RefCell<Option<StoreError>>,
    queued: RefCell<Vec<QueueMessage>>,
    queue_broken: RefCell<bool>,
    kv: RefCell<std::collections::HashMap<String, String>>,
}

impl JobQueue for FakeStore {
    async fn send(&self, message: &QueueMessage, _delay: Duration) -> Result<(), String> {
        self.calls.borrow_mut().push(match message {
            QueueMessage::Job { .. } => "queue.send(job)",
            QueueMessage::Webhook { .. } => "queue.send(webhook)",
        });
        if *self.queue_broken.borrow() {
            return Err("queue unavailable".into());
        }
        self.queued.borrow_mut().push(message.clone());
        Ok(())
    }
}

impl DedupCache for FakeStore {
    async fn get(&self, key: &str) -> Option<String> {
        self.calls.borrow_mut().push("kv.get");
        self.kv.borrow().get(key).cloned()
    }
    async fn put(&self, key: &str, value: &str) {
        self.calls.borrow_mut().push("kv.put");
        self.kv.borrow_mut().insert(key.into(), value.into());
    }
}

const BEARER: Credentials<'static> = Credentials {
    authorization: Some("Bearer secret-token"),
    signed: SignedHeaders { id: None, timestamp: None, signature: None },
    now: 0,
};

/// A webhook through the service, then what it deferred (as the Worker does after answering).
fn ingest(
    store: &FakeStore,
    settings: &WebhookSettings,
    auth: Option<&str>,
    body: &[u8],
) -> Result<Ingested, WebhookError> {
    let ports = WebhookPorts { store, queue: store, cache: store };
    let credentials = Credentials { authorization: auth, ..Credentials::default() };
    let (done, deferred) = block_on(ingest_webhook(&ports, settings, &credentials, body))?;
    block_on(run_deferred(store, store, &deferred));
    Ok(done)
}

impl OrderStore for FakeStore {
    async fn apply_order_event(&self, event: &OrderEvent) -> Result<Applied, StoreError> {
        self.calls.borrow_mut().push("store.apply");
        if let Some(error) = self.failure.borrow().clone() {
            return Err(error);
        }
        self.applied.borrow_mut().push(event.event_key.clone());
        Ok(Applied { outcome: ApplyOutcome::Created, order_id: Some("crm-1".into()), jobs: vec![test_id(1)] })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

fn settings() -> WebhookSettings {
    WebhookSettings { auth: WebhookAuth::Token("secret-token".into()), sync_enabled: true }
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
    let done = ingest(&store, &settings(), Some("Bearer secret-token"), &body(&create())).unwrap();
    assert_eq!(done.outcome(), Some(ApplyOutcome::Created));
    assert_eq!(store.applied.borrow().len(), 1);
    assert_eq!(*store.queued.borrow(), vec![QueueMessage::Job { job_id: test_id(1), attempt: 1 }]);
}

#[test]
fn a_webhook_with_the_token_in_its_body_is_applied() {
    let store = FakeStore::default();
    let mut with_token = create();
    with_token["token"] = json!("secret-token");
    ingest(&store, &settings(), None, &body(&with_token)).unwrap();
    assert_eq!(store.applied.borrow().len(), 1);
}

#[test]
fn a_wrong_header_token_is_refused_even_when_the_body_token_is_right() {
    let store = FakeStore::default();
    let mut with_token = create();
    with_token["token"] = json!("secret-token");
    let error = ingest(&store, &settings(), Some("Bearer nope"), &body(&with_token)).unwrap_err();
    assert!(matches!(error, WebhookError::Unauthorized));
    assert!(store.applied.borrow().is_empty());
}

#[test]
fn a_webhook_without_any_token_is_refused_and_nothing_is_applied() {
    let store = FakeStore::default();
    let error = ingest(&store, &settings(), None, &body(&create())).unwrap_err();
    assert!(matches!(error, WebhookError::Unauthorized));
    assert!(store.applied.borrow().is_empty());
}

#[test]
fn malformed_json_and_oversized_bodies_are_refused_before_the_store_is_touched() {
    let store = FakeStore::default();
    let auth = Some("Bearer secret-token");
    let error = ingest(&store, &settings(), auth, b"{\"event\": ").unwrap_err();
    assert!(matches!(error, WebhookError::InvalidJson(_)));
    let huge = vec![b' '; MAX_WEBHOOK_BYTES + 1];
    let error = ingest(&store, &settings(), auth, &huge).unwrap_err();
    assert!(matches!(error, WebhookError::TooLarge { .. }));
    assert!(store.applied.borrow().is_empty());
}

#[test]
fn a_body_of_exactly_the_limit_is_read() {
    let store = FakeStore::default();
    let mut padded = body(&create());
    padded.resize(MAX_WEBHOOK_BYTES, b' ');
    assert_eq!(padded.len(), 100 * 1024);
    let done = ingest(&store, &settings(), Some("Bearer secret-token"), &padded).unwrap();
    assert_eq!(done.outcome(), Some(ApplyOutcome::Created));
}

#[test]
fn an_accepted_webhook_names_its_crm_order_only_when_one_is_known() {
    let store = FakeStore::default();
    let mut done = ingest(&store, &settings(), Some("Bearer secret-token"), &body(&create())).unwrap();
    assert_eq!(done.order_id(), Some("crm-1"));
    done.accepted = Accepted::SeenBefore { order_id: Some("crm-2".into()) };
    assert_eq!(done.order_id(), Some("crm-2"));
    done.accepted = Accepted::SeenBefore { order_id: Some(String::new()) };
    assert_eq!(done.order_id(), None, "KV keeps an empty id for an event with no order");
    done.accepted = Accepted::Queued;
    assert_eq!(done.order_id(), None);
}

#[test]
fn with_sync_switched_off_a_valid_webhook_is_refused_for_a_later_retry() {
    let store = FakeStore::default();
    let off = WebhookSettings { sync_enabled: false, ..settings() };
    let error = ingest(&store, &off, Some("Bearer secret-token"), &body(&create())).unwrap_err();
    assert!(matches!(error, WebhookError::SyncDisabled));
    assert!(store.applied.borrow().is_empty());
}

#[test]
fn with_the_store_down_the_event_is_queued_without_its_token_and_accepted() {
    let store = FakeStore::default();
    *store.failure.borrow_mut() = Some(StoreError::unavailable("connection refused", None));
    let mut with_token = create();
    with_token["token"] = json!("secret-token");

    let done = ingest(&store, &settings(), None, &body(&with_token)).unwrap();

    assert_eq!(done.accepted, Accepted::Queued);
    let queued = store.queued.borrow();
    let QueueMessage::Webhook { body, attempt, .. } = &queued[0] else { panic!("{queued:?}") };
    assert_eq!((body.get("token"), *attempt), (None, 1));
}

#[test]
fn with_the_store_and_the_queue_down_the_webhook_is_refused_so_that_bitrix_retries() {
    let store = FakeStore::default();
    *store.failure.borrow_mut() = Some(StoreError::unavailable("connection refused", None));
    *store.queue_broken.borrow_mut() = true;
    let error = ingest(&store, &settings(), Some("Bearer secret-token"), &body(&create())).unwrap_err();
    assert!(matches!(error, WebhookError::Store(StoreError::Unavailable { .. })));
}

#[test]
fn a_new_event_is_answered_after_one_store_round_trip_and_the_rest_waits_until_after_the_answer() {
    let store = FakeStore::default();
    let ports = WebhookPorts { store: &store, queue: &store, cache: &store };

    let (done, deferred) = block_on(ingest_webhook(&ports, &settings(), &BEARER, &body(&create()))).unwrap();

    assert_eq!(*store.calls.borrow(), ["store.apply"], "before the answer: the apply, and nothing else");
    assert_eq!(done.outcome(), Some(ApplyOutcome::Created));
    let unsent = block_on(run_deferred(&store, &store, &deferred));
    assert_eq!(*store.calls.borrow(), ["store.apply", "queue.send(job)", "kv.put"], "after the answer");
    assert_eq!(unsent, 0, "the queue took every job");
}

#[test]
fn with_the_store_down_kv_stops_a_repeat_from_being_queued_twice() {
    let store = FakeStore::default();
    *store.failure.borrow_mut() = Some(StoreError::unavailable("connection refused", None));

    let first = ingest(&store, &settings(), Some("Bearer secret-token"), &body(&create())).unwrap();
    let again = ingest(&store, &settings(), Some("Bearer secret-token"), &body(&create())).unwrap();

    assert_eq!(first.accepted, Accepted::Queued);
    assert_eq!(again.outcome(), Some(ApplyOutcome::Duplicate));
    assert_eq!(
        *store.calls.borrow(),
        ["store.apply", "kv.get", "queue.send(webhook)", "kv.put", "store.apply", "kv.get"],
        "the repeat was answered from KV, not queued again"
    );
}

#[test]
fn a_repeat_while_the_store_is_up_is_the_stores_to_answer() {
    let store = FakeStore::default();
    ingest(&store, &settings(), Some("Bearer secret-token"), &body(&create())).unwrap();
    ingest(&store, &settings(), Some("Bearer secret-token"), &body(&create())).unwrap();
    assert_eq!(store.applied.borrow().len(), 2, "the database's unique key decides, not KV");
    assert!(!store.calls.borrow().contains(&"kv.get"));
}

#[test]
fn nul_in_any_text_is_removed_before_parsing_and_reported() {
    let store = FakeStore::default();
    let body =
        br#"{"event": "order.create", "data": {"ID": "10", "properties": {"nameRecipient": "\u0000\u0410\u0000"},
        "basket": [{"ID": "1", "NAME": "Rose\u0000", "PRICE": "1", "QUANTITY": "1"}]}}"#;

    let done = ingest(&store, &settings(), Some("Bearer secret-token"), body).unwrap();

    assert_eq!(done.event.details.recipient_name.value().map(String::as_str), Some("\u{410}"));
    assert_eq!(done.event.basket.as_ref().unwrap()[0].product_snapshot.name.as_deref(), Some("Rose"));
    assert_eq!(done.cleaned.removed, 3);
    assert!(!done.event.payload.to_string().contains('\0'), "the stored payload is clean too");
}

#[test]
fn jobs_the_queue_refuses_after_the_answer_are_counted_for_the_log_and_the_event_is_still_remembered() {
    let store = FakeStore::default();
    let ports = WebhookPorts { store: &store, queue: &store, cache: &store };
    let (_, deferred) = block_on(ingest_webhook(&ports, &settings(), &BEARER, &body(&create()))).unwrap();
    *store.queue_broken.borrow_mut() = true;

    let unsent = block_on(run_deferred(&store, &store, &deferred));

    assert_eq!(unsent, deferred.jobs.len());
    assert!(unsent > 0);
    assert_eq!(store.calls.borrow().last(), Some(&"kv.put"));
}

const DEV_SECRET: &str = "whsec_ZGV2LXNpZ25pbmctc2VjcmV0LWN2ZXR5LWNybS0wMTIzNDU2Nzg5";

fn signed_settings() -> WebhookSettings {
    WebhookSettings { auth: WebhookAuth::from_settings("secret-token".into(), Some(DEV_SECRET)), sync_enabled: true }
}

/// Signs `body` as the PHP kit does, at `at`, and sends it with the Worker's clock at `now`.
fn ingest_signed(
    store: &FakeStore,
    body: &[u8],
    at: i64,
    now: i64,
    bearer: Option<&str>,
) -> Result<Ingested, WebhookError> {
    let secret = SigningSecret::parse(DEV_SECRET).unwrap();
    let signature = secret.sign("evt_1", at, body);
    let timestamp = at.to_string();
    let credentials = Credentials {
        authorization: bearer,
        signed: SignedHeaders { id: Some("evt_1"), timestamp: Some(&timestamp), signature: Some(&signature) },
        now,
    };
    let ports = WebhookPorts { store, queue: store, cache: store };
    block_on(ingest_webhook(&ports, &signed_settings(), &credentials, body)).map(|(done, _)| done)
}

#[test]
fn with_a_signing_secret_a_signed_webhook_is_applied_without_any_token() {
    let store = FakeStore::default();
    ingest_signed(&store, &body(&create()), 1_764_000_000, 1_764_000_030, None).unwrap();
    assert_eq!(store.applied.borrow().len(), 1);
}

#[test]
fn with_a_signing_secret_the_right_token_alone_is_refused_and_nothing_is_applied() {
    let store = FakeStore::default();
    let mut with_token = create();
    with_token["token"] = json!("secret-token");
    let ports = WebhookPorts { store: &store, queue: &store, cache: &store };
    for credentials in [BEARER, Credentials::default()] {
        let error = block_on(ingest_webhook(&ports, &signed_settings(), &credentials, &body(&with_token))).unwrap_err();
        assert!(matches!(error, WebhookError::BadSignature(SignatureError::Missing("webhook-id"))), "{error}");
    }
    assert!(store.calls.borrow().is_empty(), "the store was not asked");
}

#[test]
fn a_body_changed_after_signing_and_an_old_timestamp_are_refused_before_the_store() {
    let store = FakeStore::default();
    let original = body(&create());
    let secret = SigningSecret::parse(DEV_SECRET).unwrap();
    let signature = secret.sign("evt_1", 1_764_000_000, &original);
    let mut changed = create();
    changed["data"]["PRICE"] = json!("1.00");
    let credentials = Credentials {
        authorization: None,
        signed: SignedHeaders { id: Some("evt_1"), timestamp: Some("1764000000"), signature: Some(&signature) },
        now: 1_764_000_000,
    };
    let ports = WebhookPorts { store: &store, queue: &store, cache: &store };
    let tampered = block_on(ingest_webhook(&ports, &signed_settings(), &credentials, &body(&changed))).unwrap_err();
    let replayed = ingest_signed(&store, &original, 1_764_000_000, 1_764_000_000 + 3600, None).unwrap_err();
    assert!(matches!(tampered, WebhookError::BadSignature(SignatureError::Mismatch)), "{tampered}");
    assert!(
        matches!(replayed, WebhookError::BadSignature(SignatureError::OutOfTolerance { skew: -3600 })),
        "{replayed}"
    );
    assert!(store.calls.borrow().is_empty());
}

#[test]
fn an_unusable_signing_secret_refuses_every_webhook_and_never_falls_back_to_the_token() {
    let store = FakeStore::default();
    let settings = WebhookSettings {
        auth: WebhookAuth::from_settings("secret-token".into(), Some("not-a-secret")),
        sync_enabled: true,
    };
    assert_eq!(settings.auth.mode(), "misconfigured");
    let ports = WebhookPorts { store: &store, queue: &store, cache: &store };
    let error = block_on(ingest_webhook(&ports, &settings, &BEARER, &body(&create()))).unwrap_err();
    assert!(matches!(error, WebhookError::SigningMisconfigured(_)));
    assert!(store.calls.borrow().is_empty());
}

#[test]
fn a_blank_signing_secret_means_tokens_as_before() {
    assert_eq!(WebhookAuth::from_settings("t".into(), Some("  ")).mode(), "token");
    assert_eq!(WebhookAuth::from_settings("t".into(), None).mode(), "token");
    assert_eq!(WebhookAuth::from_settings("t".into(), Some(DEV_SECRET)).mode(), "signature");
}
