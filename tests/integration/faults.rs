//! Fault tests on the real stack: nothing lost, nothing twice, when Bitrix or Telegram
//! misbehave, a consumer dies mid-attempt or a queue message is lost. Every count is taken after
//! the cause's jobs have all ended (`settled`), and every job list is asserted whole.

use std::time::Duration;

use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use crate::fakes::{Received, Reply};
use crate::harness::{
    counts, crm, db, ensure_stack, fixture, fresh_id, order_id_of, post_webhook, settled, settled_order, trigger_cron,
    Job, OUTBOUND_TIMEOUT_SECONDS,
};

fn ok(received: &[Received]) -> usize {
    received.iter().filter(|r| r.status == 200).count()
}

fn statuses(received: &[Received]) -> Vec<u16> {
    received.iter().map(|r| r.status).collect()
}

fn short(jobs: &[Job]) -> Vec<(&str, &str, i32)> {
    jobs.iter().map(Job::short).collect()
}

fn crm_order(recipient: &str) -> Value {
    json!({"recipient_name": recipient, "recipient_phone": "87015551234", "delivery_address": "Алматы",
           "delivery_date": "2025-08-25", "items": [{"bitrix_product_id": 15652, "price": "7500", "quantity": 1}]})
}

/// A webhook order whose recipient is `marker`; returns its CRM id once applied.
async fn webhook_order(marker: &str) -> String {
    let id = fresh_id();
    let mut body = fixture("order-create.json", Some(id));
    body["data"]["properties"]["nameRecipient"] = json!(marker);
    assert_eq!(post_webhook(&body).await.body["outcome"], "created");
    order_id_of(id).await
}

async fn bitrix_id_written_back(order_id: &str) -> i64 {
    let db = db().await;
    let row = db.query_one("select bitrix_order_id from orders where id = $1::text::uuid", &[&order_id]).await.unwrap();
    row.get::<_, Option<i64>>(0).expect("the Bitrix id was written back")
}

#[tokio::test]
async fn twenty_copies_of_a_webhook_in_parallel_send_one_telegram_message() {
    let stack = ensure_stack();
    let id = fresh_id();
    let mut body = fixture("order-create.json", Some(id));
    let marker = format!("Параллельно {id}");
    body["data"]["properties"]["nameRecipient"] = json!(marker);

    join_all((0..20).map(|_| post_webhook(&body))).await;

    let jobs = settled_order(&order_id_of(id).await).await;
    assert_eq!(short(&jobs), [("telegram", "done", 1)], "one job for twenty copies");
    assert_eq!(ok(&stack.telegram.received(&marker)), 1);
    assert_eq!(counts(id).await, (1, 1, 1));
}

#[tokio::test]
async fn a_bitrix_gateway_that_fails_twice_gets_exactly_three_calls_and_creates_one_order() {
    let stack = ensure_stack();
    let marker = format!("Шлюз 500 {}", fresh_id());
    stack.bitrix.script(
        &marker,
        vec![
            Reply::Status(500, json!({"ok": false, "message": "Internal error"})),
            Reply::Status(503, json!({"ok": false, "message": "Maintenance"})),
        ],
    );

    let created = crm(Method::POST, "/api/orders", Some(crm_order(&marker))).await;

    let order_id = created.body["order_id"].as_str().unwrap().to_owned();
    let jobs = settled_order(&order_id).await;
    assert_eq!(short(&jobs), [("reverse_sync", "done", 3), ("telegram", "done", 1)]);
    let calls = stack.bitrix.received(&marker);
    assert_eq!(statuses(&calls), [500, 503, 200], "exactly three calls, one success");
    let key = calls[0].body["idempotency_key"].as_str().unwrap();
    assert!(calls.iter().all(|c| c.body["idempotency_key"] == key && c.headers["idempotency-key"] == key));
    assert_eq!(stack.bitrix.creations(key), 1);
    assert_eq!(bitrix_id_written_back(&order_id).await, i64::try_from(stack.bitrix.created_orders()[key]).unwrap());
}

#[tokio::test]
async fn a_gateway_that_created_the_order_but_answered_too_late_is_asked_again_and_creates_nothing_more() {
    let stack = ensure_stack();
    let marker = format!("Шлюз завис {}", fresh_id());
    // The gateway does the work, then answers a second after the Worker stopped waiting.
    stack.bitrix.script(&marker, vec![Reply::Hang(Duration::from_secs(OUTBOUND_TIMEOUT_SECONDS + 1))]);

    let created = crm(Method::POST, "/api/orders", Some(crm_order(&marker))).await;

    let order_id = created.body["order_id"].as_str().unwrap().to_owned();
    let jobs = settled_order(&order_id).await;
    assert_eq!(short(&jobs), [("reverse_sync", "done", 2), ("telegram", "done", 1)]);
    assert!(jobs[0].last_error.as_deref().unwrap().contains("no answer within"), "{:?}", jobs[0]);
    let calls = stack.bitrix.received(&marker);
    assert_eq!(calls.len(), 2, "the timed-out call and its retry");
    let key = calls[0].body["idempotency_key"].as_str().unwrap();
    assert_eq!(stack.bitrix.creations(key), 1, "the retry was answered from the gateway's idempotency store");
    assert_eq!(bitrix_id_written_back(&order_id).await, i64::try_from(stack.bitrix.created_orders()[key]).unwrap());
}

#[tokio::test]
async fn a_gateways_retry_after_header_is_waited_for_not_our_shortened_schedule() {
    let stack = ensure_stack();
    let bitrix_product_id = fresh_id();
    let needle = format!("\"bitrix_product_id\":{bitrix_product_id}");
    let busy = Reply::Raw {
        status: 503,
        headers: vec![("Retry-After", "5".into()), ("Content-Type", "text/html".into())],
        body: "<html><body>Bitrix обновляется</body></html>".into(),
    };
    stack.bitrix.script(&needle, vec![busy]);
    let product_id = crate::harness::insert_product("Лилии", bitrix_product_id, None).await;

    crm(Method::POST, &format!("/api/products/{product_id}/set-unavailable"), None).await;

    let jobs = settled("product_id", &product_id).await;
    assert_eq!(short(&jobs), [("availability_sync", "done", 2)]);
    assert!(jobs[0].last_error.as_deref().unwrap().contains("Bitrix обновляется"), "{:?}", jobs[0]);
    let calls = stack.bitrix.received(&needle);
    assert_eq!(statuses(&calls), [503, 200]);
    let waited = calls[1].at - calls[0].at;
    assert!(waited >= Duration::from_millis(4900), "retried after {waited:?}, before Retry-After: 5");
}

#[tokio::test]
async fn a_gateway_2xx_that_is_not_its_json_is_a_dead_letter_after_one_call() {
    let stack = ensure_stack();
    let bitrix_product_id = fresh_id();
    let needle = format!("\"bitrix_product_id\":{bitrix_product_id}");
    let html =
        Reply::Raw { status: 200, headers: vec![("Content-Type", "text/html".into())], body: "<html>OK</html>".into() };
    stack.bitrix.script(&needle, vec![html]);
    let product_id = crate::harness::insert_product("Гортензии", bitrix_product_id, None).await;

    crm(Method::POST, &format!("/api/products/{product_id}/set-available"), None).await;

    let jobs = settled("product_id", &product_id).await;
    assert_eq!(short(&jobs), [("availability_sync", "dead", 1)], "an answer that makes no sense is not retried");
    assert!(jobs[0].last_error.as_deref().unwrap().contains("without ok=true"), "{:?}", jobs[0]);
    assert_eq!(stack.bitrix.received(&needle).len(), 1);
}

#[tokio::test]
async fn telegrams_429_is_honoured_and_the_message_arrives_once_after_the_delay() {
    let stack = ensure_stack();
    let marker = format!("Флуд {}", fresh_id());
    // Long enough to tell apart from our own (shortened) schedule: the queue rounds any delay up
    // to a second and waits up to a second more for a batch.
    stack.telegram.script(&marker, vec![Reply::TooManyRequests { retry_after: 5 }]);

    let order_id = webhook_order(&marker).await;

    let jobs = settled_order(&order_id).await;
    assert_eq!(short(&jobs), [("telegram", "done", 2)]);
    let received = stack.telegram.received(&marker);
    assert_eq!(statuses(&received), [429, 200], "one 429, then one success");
    let waited = received[1].at - received[0].at;
    assert!(waited >= Duration::from_millis(4900), "retried after {waited:?}, before retry_after");
}

#[tokio::test]
async fn a_chat_that_blocked_the_bot_makes_a_dead_letter_with_telegrams_words_and_no_retry() {
    let stack = ensure_stack();
    let marker = format!("Заблокирован {}", fresh_id());
    stack.telegram.script(&marker, vec![Reply::Blocked]);

    let order_id = webhook_order(&marker).await;

    let jobs = settled_order(&order_id).await;
    assert_eq!(short(&jobs), [("telegram", "dead", 1)]);
    assert_eq!(jobs[0].last_error.as_deref(), Some("telegram HTTP 403: Forbidden: bot was blocked by the user"));
    assert_eq!(statuses(&stack.telegram.received(&marker)), [403]);
}

#[tokio::test]
async fn a_job_that_cannot_succeed_is_a_dead_letter_and_a_replay_after_the_fix_delivers_it_once() {
    let stack = ensure_stack();
    let bitrix_product_id = fresh_id();
    let needle = format!("\"bitrix_product_id\":{bitrix_product_id}");
    stack
        .bitrix
        .script(&needle, vec![Reply::Status(422, json!({"ok": false, "message": "Товар не найден в каталоге"}))]);
    let product_id = crate::harness::insert_product("Пионы", bitrix_product_id, None).await;

    crm(Method::POST, &format!("/api/products/{product_id}/set-unavailable"), None).await;

    let jobs = settled("product_id", &product_id).await;
    assert_eq!(short(&jobs), [("availability_sync", "dead", 1)], "a 422 is not retried");
    let list = crm(Method::GET, "/api/sync/dead-letters", None).await;
    let dead = list.body["dead_letters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|job| job["payload"]["product_id"] == product_id.as_str())
        .cloned()
        .expect("listed as a dead letter");
    assert_eq!((dead["flow"].as_str(), dead["attempts"].as_u64()), (Some("availability_sync"), Some(1)));
    assert!(dead["last_error"].as_str().unwrap().contains("Товар не найден в каталоге"), "{dead}");
    let status = crm(Method::GET, "/api/sync/status", None).await;
    assert!(status.body["flows"]["availability_sync"]["dead"].as_u64().unwrap() >= 1);
    assert!(status.body["flows"]["availability_sync"]["last_error"]["error"].as_str().is_some());

    // The cause is fixed (the script is used up); replay the one job, then replay it again.
    let job_id = dead["id"].as_str().unwrap();
    let replayed = crm(Method::POST, &format!("/api/sync/dead-letters/{job_id}/replay"), None).await;
    assert_eq!(replayed.body["replayed"], json!([job_id]));
    let jobs = settled("product_id", &product_id).await;
    let again = crm(Method::POST, &format!("/api/sync/dead-letters/{job_id}/replay"), None).await;

    assert_eq!(short(&jobs), [("availability_sync", "done", 1)], "a fresh attempt count, one attempt");
    assert_eq!(again.body["replayed"], json!([]), "a job that is not dead is not replayed");
    assert_eq!(statuses(&stack.bitrix.received(&needle)), [422, 200], "delivered once after the fix");
}

#[tokio::test]
async fn a_job_whose_consumer_died_mid_attempt_is_taken_again_by_the_cron_after_its_lease() {
    let stack = ensure_stack();
    let marker = format!("Упавший обработчик {}", fresh_id());
    let order_id = webhook_order(&marker).await;
    settled_order(&order_id).await;
    // A status message whose first attempt was claimed by a consumer that then died: running,
    // one attempt counted, its lease already over.
    db().await
        .execute(
            "insert into sync_jobs (flow, idempotency_key, payload, status, attempts, locked_until)
             values ('telegram', 'telegram:status:' || $1 || ':orphan', jsonb_build_object('order_id', $1,
                     'occasion', 'status_changed', 'status', 'accepted'), 'running', 1, now() - interval '1 second')",
            &[&order_id],
        )
        .await
        .unwrap();

    trigger_cron().await;

    let jobs = settled_order(&order_id).await;
    assert_eq!(short(&jobs), [("telegram", "done", 1), ("telegram", "done", 2)]);
    let error = jobs[1].last_error.as_deref().unwrap();
    assert!(error.starts_with("attempt 1 ended without a result"), "{error}");
    let sent: Vec<String> = stack
        .telegram
        .received(&marker)
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.body["text"].to_string())
        .collect();
    assert_eq!(sent.iter().filter(|t| t.contains("статус «Принят»")).count(), 1, "{sent:?}");
}

#[tokio::test]
async fn a_due_job_whose_queue_message_was_lost_is_sent_by_the_cron() {
    let stack = ensure_stack();
    let marker = format!("Потерянное сообщение {}", fresh_id());
    let order_id = webhook_order(&marker).await;
    settled_order(&order_id).await;
    // Written in the outbox, but its queue message never arrived.
    db().await
        .execute(
            "select add_sync_job('telegram', 'telegram:status:' || $1 || ':lost', jsonb_build_object('order_id', $1,
                     'occasion', 'status_changed', 'status', 'delivering'))",
            &[&order_id],
        )
        .await
        .unwrap();

    trigger_cron().await;

    let jobs = settled_order(&order_id).await;
    assert_eq!(short(&jobs), [("telegram", "done", 1), ("telegram", "done", 1)]);
    let delivering = stack
        .telegram
        .received(&marker)
        .iter()
        .filter(|r| r.status == 200 && r.body["text"].as_str().unwrap().contains("статус «Доставляется»"))
        .count();
    assert_eq!(delivering, 1);
}
