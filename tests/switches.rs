//! The three switches: each turns its flow off at once, by a var, without new code. Its own test
//! binary, because it restarts the Worker with other vars.

#[path = "integration/fakes.rs"]
mod fakes;
#[path = "integration/harness.rs"]
mod harness;

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use harness::{crm, ensure_stack_with, eventually, fixture, fresh_id, post_webhook, restart_worker_with, send, url};

const OFF: [(&str, &str); 2] = [("BITRIX_SYNC_ENABLED", "false"), ("TELEGRAM_NOTIFICATIONS_ENABLED", "false")];
const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn switched_off_flows_stop_at_once_and_bitrix_changes_wait_to_be_sent_when_switched_back_on() {
    let stack = ensure_stack_with(&OFF);
    let health = send(reqwest::Client::new().get(url("/health"))).await;
    assert_eq!(
        health.body["switches"],
        json!({"sync_enabled": true, "bitrix_sync_enabled": false, "telegram_notifications_enabled": false})
    );

    // Webhooks still land; their notification is skipped, not sent later.
    let id = fresh_id();
    let marker = format!("Выключено {id}");
    let mut body = fixture("order-create.json", Some(id));
    body["data"]["properties"]["nameRecipient"] = json!(marker);
    assert_eq!(post_webhook(&body).await.body["outcome"], "created");
    // A Bitrix change from the CRM is accepted and held.
    let bitrix_product_id = fresh_id();
    let product_id = harness::insert_product("Ирисы", bitrix_product_id, None).await;
    let db = harness::db().await;
    let toggled = crm(Method::POST, &format!("/api/products/{product_id}/set-unavailable"), None).await;
    assert_eq!(toggled.body["success"], true);

    let skipped = eventually(WAIT, "the skipped notification", || async {
        let row = db
            .query_opt(
                "select status, last_error from sync_jobs where flow = 'telegram' and payload->>'order_id' =
                                (select id::text from orders where bitrix_order_id = $1)",
                &[&i64::try_from(id).unwrap()],
            )
            .await
            .unwrap()?;
        let status: String = row.get(0);
        (status == "skipped").then(|| row.get::<_, Option<String>>(1))
    })
    .await;
    assert_eq!(skipped.as_deref(), Some("TELEGRAM_NOTIFICATIONS_ENABLED=false"));
    let held = eventually(WAIT, "the held availability call", || async {
        let row = db
            .query_opt("select status, attempts from sync_jobs where payload->>'product_id' = $1", &[&product_id])
            .await
            .unwrap()?;
        (row.get::<_, String>(0) == "retrying").then(|| row.get::<_, i32>(1))
    })
    .await;
    assert_eq!(held, 0, "a held job has used no attempt");
    let needle = format!("\"bitrix_product_id\":{bitrix_product_id}");
    assert!(stack.bitrix.received(&needle).is_empty());
    assert!(stack.telegram.received(&marker).is_empty());

    // Switched back on (vars only): the sweep sends the held call once; the skipped message stays unsent.
    restart_worker_with(&[]);
    let sent = eventually(WAIT, "the held call to be sent", || async {
        crm(Method::POST, "/api/sync/run", None).await;
        let calls = stack.bitrix.received(&needle);
        (!calls.is_empty()).then_some(calls)
    })
    .await;
    assert_eq!(sent[0].body["in_stock_value"], "159");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stack.bitrix.received(&needle).len(), 1);
    assert!(stack.telegram.received(&marker).is_empty());
}
