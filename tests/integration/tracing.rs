//! One id follows an order through the logs: a webhook's event key, or a CRM call's
//! Idempotency-Key, is on the request's log line, on its jobs (`sync_jobs.correlation_id`) and
//! on every log line of their attempts. On the real stack.

use std::time::Duration;

use serde_json::json;

use crate::harness::{
    db, ensure_stack, eventually, fixture, fresh_id, order_id_of, post_webhook, send, settled_order, url, worker_log,
    CRM_TOKEN,
};

async fn correlations_of(order_id: &str) -> Vec<Option<String>> {
    db().await
        .query(
            "select correlation_id from sync_jobs where payload ->> 'order_id' = $1 order by created_at",
            &[&order_id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The Worker's JSON log lines that carry `id`.
fn lines_with(id: &str) -> Vec<serde_json::Value> {
    worker_log()
        .lines()
        .filter_map(|line| line.find('{').and_then(|at| serde_json::from_str(&line[at..]).ok()))
        .filter(|line: &serde_json::Value| line["correlation_id"] == id)
        .collect()
}

#[tokio::test]
async fn a_webhooks_event_key_is_on_its_log_line_its_jobs_and_their_attempts_log_lines() {
    ensure_stack();
    let id = fresh_id();

    let answer = post_webhook(&fixture("order-create.json", Some(id))).await;
    let key = answer.body["event_key"].as_str().unwrap().to_owned();
    let order_id = order_id_of(id).await;
    settled_order(&order_id).await;

    assert_eq!(correlations_of(&order_id).await, [Some(key.clone())]);
    let lines = eventually(Duration::from_secs(10), "the job's log line", || async {
        let lines = lines_with(&key);
        lines.iter().any(|l| l["event"] == "queue.handled").then_some(lines)
    })
    .await;
    assert!(lines.iter().any(|l| l["event"] == "webhook.accepted"), "{lines:?}");
}

#[tokio::test]
async fn a_crm_calls_idempotency_key_is_its_jobs_correlation_id() {
    ensure_stack();
    let key = format!("trace-{}", fresh_id());
    let body = json!({"recipient_name": "Трассировка", "recipient_phone": "+7 701 555 12 34",
                      "delivery_address": "Алматы, Абая 1", "delivery_date": "2025-08-25",
                      "items": [{"bitrix_product_id": 15652, "name": "Роза", "price": "100", "quantity": 1}]});
    let request = reqwest::Client::new()
        .post(url("/api/orders"))
        .bearer_auth(CRM_TOKEN)
        .header("Idempotency-Key", &key)
        .json(&body);

    let answer = send(request).await;

    assert_eq!(answer.status, 201, "{:?}", answer.body);
    let order_id = answer.body["order_id"].as_str().unwrap().to_owned();
    settled_order(&order_id).await;
    let correlations = correlations_of(&order_id).await;
    assert!(!correlations.is_empty());
    assert!(correlations.iter().all(|c| c.as_deref() == Some(key.as_str())), "{correlations:?}");
    let lines = eventually(Duration::from_secs(10), "the jobs' log lines", || async {
        let lines = lines_with(&key);
        (lines.iter().filter(|l| l["event"] == "queue.handled").count() >= correlations.len()).then_some(lines)
    })
    .await;
    assert!(lines.iter().any(|l| l["event"].as_str().unwrap_or("").starts_with("crm_api.")), "{lines:?}");
}
