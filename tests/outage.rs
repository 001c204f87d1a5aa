//! The store misbehaving, and what reaches every job at once: webhooks accepted while PostgREST
//! is down, the CRM API and `/health` meanwhile, the queue's own retries running out into the
//! dead-letter queue, a store that refuses a call, and replaying every dead letter. A binary of
//! its own (cargo runs binaries one after another), and its tests one at a time (`exclusive`).

#[path = "integration/fakes.rs"]
mod fakes;
#[path = "integration/harness.rs"]
mod harness;

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use fakes::Reply;
use harness::{
    counts, crm, db, ensure_stack, eventually, exclusive, fixture, fresh_id, order_id_of, send, settled, settled_order,
    start_postgrest, stop_postgrest, url, worker_log, Job,
};

const WAIT: Duration = Duration::from_secs(60);

fn short(jobs: &[Job]) -> Vec<(&str, &str, i32)> {
    jobs.iter().map(Job::short).collect()
}

async fn post(body: &Value) -> harness::Answer {
    harness::post_webhook(body).await
}

#[tokio::test]
async fn webhooks_accepted_while_postgrest_is_down_are_all_applied_once_it_is_back() {
    let stack = ensure_stack();
    let _alone = exclusive().await;
    let ids: Vec<u64> = (0..5).map(|_| fresh_id()).collect();
    let bodies: Vec<Value> = ids.iter().map(|id| fixture("order-create.json", Some(*id))).collect();
    stop_postgrest();

    let mut answers = Vec::new();
    for body in &bodies {
        answers.push(post(body).await);
    }
    // Bitrix sends one of them again while Supabase is still down.
    let repeated = post(&bodies[0]).await;
    // Meanwhile the CRM API and /health say what is wrong, and nothing more.
    let orders = crm(Method::GET, "/api/orders", None).await;
    let health = send(reqwest::Client::new().get(url("/health"))).await;
    start_postgrest();

    for answer in &answers {
        assert_eq!((answer.status, answer.body["outcome"].as_str()), (202, Some("queued")), "{:?}", answer.body);
    }
    assert!(repeated.status == 200 || repeated.status == 202, "{:?}", repeated.body);
    assert_eq!((orders.status, orders.body["error"].as_str()), (503, Some("store_unavailable")));
    assert!(!orders.body.to_string().contains("55321"), "the cause is logged, never shown");
    assert_eq!((health.status, health.body["postgrest"].as_str()), (200, Some("unreachable")));
    assert_eq!((health.body["ok"].as_bool(), health.body["status"].as_str()), (Some(false), Some("degraded")));
    for id in &ids {
        eventually(WAIT, "the queued webhook to be applied", || async {
            (counts(*id).await == (1, 1, 1)).then_some(())
        })
        .await;
    }
    for id in &ids {
        let jobs = settled_order(&order_id_of(*id).await).await;
        assert_eq!(short(&jobs), [("telegram", "done", 1)], "order {id}");
        assert_eq!(counts(*id).await, (1, 1, 1), "order {id} applied exactly once");
        let title = format!("Новый заказ №{id}");
        let sent = stack.telegram.received(&title).iter().filter(|r| r.status == 200).count();
        assert_eq!(sent, 1, "order {id} announced once");
    }
    let again = send(reqwest::Client::new().get(url("/health"))).await;
    assert_eq!(again.body["postgrest"], "ok");
}

#[tokio::test]
async fn a_message_that_outlives_the_queues_own_retries_is_kept_by_the_dead_letter_queue_and_can_be_replayed() {
    let stack = ensure_stack();
    let _alone = exclusive().await;
    let id = fresh_id();
    let marker = format!("Очередь мёртвых {id}");
    // The message comes back in 3 s (Telegram's own wait); meanwhile Supabase goes away, so the
    // consumer cannot even claim the job: only the queue's own retries are left.
    stack.telegram.script(&marker, vec![Reply::TooManyRequests { retry_after: 3 }]);
    let mut body = fixture("order-create.json", Some(id));
    body["data"]["properties"]["nameRecipient"] = json!(marker);
    assert_eq!(post(&body).await.body["outcome"], "created");
    let order_id = order_id_of(id).await;
    let job: String = db()
        .await
        .query_one("select id::text from sync_jobs where payload ->> 'order_id' = $1", &[&order_id])
        .await
        .unwrap()
        .get(0);
    eventually(WAIT, "the 429", || async { (!stack.telegram.received(&marker).is_empty()).then_some(()) }).await;
    stop_postgrest();

    // The queue retries it 10 times (1 s apart on the test stack), then hands it to the DLQ,
    // whose consumer cannot store it either until PostgREST is back.
    let in_dead_letter_queue = "\"queue\":\"cvety-crm-jobs-dlq\"";
    eventually(Duration::from_secs(90), "the message to reach the dead-letter queue", || async {
        worker_log().lines().any(|l| l.contains(in_dead_letter_queue) && l.contains(&job)).then_some(())
    })
    .await;
    start_postgrest();

    let jobs = settled_order(&order_id).await;
    assert_eq!(short(&jobs), [("telegram", "dead", 1)]);
    assert!(jobs[0].last_error.as_deref().unwrap().contains("queue's own retries"), "{:?}", jobs[0]);
    assert_eq!(stack.telegram.received(&marker).len(), 1, "only the 429 was sent");

    let replayed = crm(Method::POST, &format!("/api/sync/dead-letters/{job}/replay"), None).await;
    assert_eq!(replayed.body["replayed"], json!([job]));
    let jobs = settled_order(&order_id).await;
    assert_eq!(short(&jobs), [("telegram", "done", 1)]);
    assert_eq!(stack.telegram.received(&marker).iter().filter(|r| r.status == 200).count(), 1);
}

#[tokio::test]
async fn a_store_that_refuses_a_call_is_a_500_that_names_no_cause() {
    ensure_stack();
    let _alone = exclusive().await;
    let product_id = harness::insert_product("Ромашки", fresh_id(), None).await;
    let db = db().await;
    db.batch_execute("revoke execute on function public.product_view(uuid) from service_role").await.unwrap();

    let refused = crm(Method::GET, &format!("/api/products/{product_id}"), None).await;

    db.batch_execute("grant execute on function public.product_view(uuid) to service_role").await.unwrap();
    assert_eq!((refused.status, refused.body["error"].as_str()), (500, Some("store_rejected")), "{:?}", refused.body);
    assert!(!refused.body.to_string().contains("permission"), "the cause is logged, never shown");
    eventually(Duration::from_secs(5), "a log line carrying the cause chain", || async {
        worker_log()
            .lines()
            .any(|l| l.contains("crm_api.store_failed") && l.contains("permission denied"))
            .then_some(())
    })
    .await;
    assert_eq!(crm(Method::GET, &format!("/api/products/{product_id}"), None).await.status, 200);
}

#[tokio::test]
async fn replaying_every_dead_letter_gives_each_a_fresh_attempt_count_and_delivers_each_once() {
    let stack = ensure_stack();
    let _alone = exclusive().await;
    let mut products = Vec::new();
    for name in ["Астры", "Хризантемы"] {
        let bitrix_product_id = fresh_id();
        let needle = format!("\"bitrix_product_id\":{bitrix_product_id}");
        let maintenance = || Reply::Status(503, json!({"ok": false, "message": "Maintenance"}));
        stack.bitrix.script(&needle, vec![maintenance(), maintenance()]);
        let product_id = harness::insert_product(name, bitrix_product_id, None).await;
        crm(Method::POST, &format!("/api/products/{product_id}/set-unavailable"), None).await;
        // After its first 503, the job skips to its seventh attempt (the schedule's later waits
        // are minutes even on the test stack), so that its next 503 is its last attempt.
        eventually(WAIT, "the first retry to be scheduled", || async {
            let moved = db()
                .await
                .execute(
                    "update sync_jobs set attempts = 7 where payload ->> 'product_id' = $1 and status = 'retrying' and attempts = 1",
                    &[&product_id],
                )
                .await
                .unwrap();
            (moved == 1).then_some(())
        })
        .await;
        products.push((product_id, needle));
    }
    for (product_id, _) in &products {
        let jobs = settled("product_id", product_id).await;
        assert_eq!(short(&jobs), [("availability_sync", "dead", 8)], "{product_id}: the whole schedule used");
    }

    let replayed = crm(Method::POST, "/api/sync/dead-letters/replay", None).await;

    let ids = replayed.body["replayed"].as_array().unwrap().clone();
    assert_eq!(ids.len(), 2, "{:?}", replayed.body);
    for (product_id, needle) in &products {
        let jobs = settled("product_id", product_id).await;
        assert_eq!(short(&jobs), [("availability_sync", "done", 1)], "a fresh count, then one attempt");
        let calls: Vec<u16> = stack.bitrix.received(needle).iter().map(|r| r.status).collect();
        assert_eq!(calls, [503, 503, 200], "delivered once after the replay");
    }
    let again = crm(Method::POST, "/api/sync/dead-letters/replay", None).await;
    assert_eq!(again.body["replayed"], json!([]));
}
