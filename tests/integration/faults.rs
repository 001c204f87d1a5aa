//! Fault tests on the real stack: nothing lost, nothing twice, when Supabase, Bitrix or
//! Telegram misbehave. Each is bounded in time.

use std::time::Duration;

use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use crate::fakes::Reply;
use crate::harness::{counts, crm, ensure_stack, eventually, fixture, fresh_id, post_webhook};

const WAIT: Duration = Duration::from_secs(30);

fn ok_texts(received: &[crate::fakes::Received]) -> usize {
    received.iter().filter(|r| r.status == 200).count()
}

fn crm_order(recipient: &str) -> Value {
    json!({"recipient_name": recipient, "recipient_phone": "87015551234", "delivery_address": "Алматы",
           "delivery_date": "2025-08-25", "items": [{"bitrix_product_id": 15652, "price": "7500", "quantity": 1}]})
}

#[tokio::test]
async fn twenty_copies_of_a_webhook_in_parallel_send_one_telegram_message() {
    let stack = ensure_stack();
    let id = fresh_id();
    let mut body = fixture("order-create.json", Some(id));
    let marker = format!("Параллельно {id}");
    body["data"]["properties"]["nameRecipient"] = json!(marker);

    join_all((0..20).map(|_| post_webhook(&body))).await;

    eventually(WAIT, "the message", || async { (ok_texts(&stack.telegram.received(&marker)) == 1).then_some(()) })
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(ok_texts(&stack.telegram.received(&marker)), 1);
    assert_eq!(counts(id).await, (1, 1, 1));
}

#[tokio::test]
async fn a_bitrix_gateway_that_fails_then_recovers_gets_each_call_exactly_once() {
    let stack = ensure_stack();
    let failing = format!("Шлюз 500 {}", fresh_id());
    let hanging = format!("Шлюз завис {}", fresh_id());
    stack.bitrix.script(
        &failing,
        vec![
            Reply::Status(500, json!({"ok": false, "message": "Internal error"})),
            Reply::Status(503, json!({"ok": false, "message": "Maintenance"})),
        ],
    );
    // Past the Worker's 15 s timeout; the gateway still creates the order, as a slow PHP would.
    stack.bitrix.script(&hanging, vec![Reply::Hang(Duration::from_secs(17))]);

    let first = crm(Method::POST, "/api/orders", Some(crm_order(&failing))).await;
    let second = crm(Method::POST, "/api/orders", Some(crm_order(&hanging))).await;

    for (answer, marker, tries) in [(&first, &failing, 3), (&second, &hanging, 2)] {
        let order_id = answer.body["order_id"].as_str().unwrap().to_owned();
        let db = crate::harness::db().await;
        let bitrix_id: i64 = eventually(Duration::from_secs(60), "the reverse sync to land", || {
            let (db, order_id) = (&db, order_id.clone());
            async move {
                let row = db
                    .query_one("select bitrix_order_id from orders where id = $1::text::uuid", &[&order_id])
                    .await
                    .ok()?;
                row.get::<_, Option<i64>>(0)
            }
        })
        .await;
        let calls = stack.bitrix.received(marker);
        assert!(calls.len() >= tries, "{marker}: {} calls", calls.len());
        let keys: std::collections::HashSet<&str> =
            calls.iter().map(|c| c.body["idempotency_key"].as_str().unwrap()).collect();
        assert_eq!(keys.len(), 1, "every retry carries the same idempotency key");
        let created = stack.bitrix.created_orders();
        let key = *keys.iter().next().unwrap();
        assert_eq!(
            created.get(key).map(|id| i64::try_from(*id).unwrap()),
            Some(bitrix_id),
            "one Bitrix order per call"
        );
    }
}

#[tokio::test]
async fn telegrams_429_is_honoured_and_the_message_arrives_once_after_the_delay() {
    let stack = ensure_stack();
    let id = fresh_id();
    let marker = format!("Флуд {id}");
    stack.telegram.script(&marker, vec![Reply::TooManyRequests { retry_after: 2 }]);
    let mut body = fixture("order-create.json", Some(id));
    body["data"]["properties"]["nameRecipient"] = json!(marker);

    post_webhook(&body).await;

    let received = eventually(WAIT, "the message after the 429", || async {
        let received = stack.telegram.received(&marker);
        (ok_texts(&received) == 1).then_some(received)
    })
    .await;
    assert_eq!(received.len(), 2, "one 429, then one success");
    assert_eq!((received[0].status, received[1].status), (429, 200));
    let waited = received[1].at - received[0].at;
    assert!(waited >= Duration::from_millis(1900), "retried after {waited:?}, before retry_after");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(stack.telegram.received(&marker).len(), 2);
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

    let dead = eventually(WAIT, "the dead letter", || async {
        let list = crm(Method::GET, "/api/sync/dead-letters", None).await;
        list.body["dead_letters"]
            .as_array()?
            .iter()
            .find(|job| job["payload"]["product_id"] == product_id.as_str())
            .cloned()
    })
    .await;
    assert_eq!(dead["flow"], "availability_sync");
    assert_eq!(dead["attempts"], 1, "a 422 is not retried");
    assert!(dead["last_error"].as_str().unwrap().contains("422"), "{dead}");
    let status = crm(Method::GET, "/api/sync/status", None).await;
    assert!(status.body["flows"]["availability_sync"]["dead"].as_i64().unwrap() >= 1);
    assert!(status.body["flows"]["availability_sync"]["last_error"]["error"].as_str().is_some());

    // The cause is fixed (the script is used up); replay the one job, then replay it again.
    let job_id = dead["id"].as_str().unwrap();
    let replayed = crm(Method::POST, &format!("/api/sync/dead-letters/{job_id}/replay"), None).await;
    assert_eq!(replayed.body["replayed"], json!([job_id]));
    eventually(WAIT, "the replayed call", || async { (ok_texts(&stack.bitrix.received(&needle)) == 1).then_some(()) })
        .await;
    let again = crm(Method::POST, &format!("/api/sync/dead-letters/{job_id}/replay"), None).await;

    assert_eq!(again.body["replayed"], json!([]));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(ok_texts(&stack.bitrix.received(&needle)), 1, "delivered once");
}
