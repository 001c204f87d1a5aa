//! The Bitrix kit's outbox report (`POST /webhooks/bitrix/outbox`): signed like a webhook, kept
//! as the newest, shown by `/api/sync/status` and `/crm/sync`; unsigned or malformed, refused and
//! not kept.

use reqwest::Method;
use serde_json::json;

use crate::harness::{crm, ensure_stack, send, signature_headers, unix_now, url};

async fn report(body: &serde_json::Value, signed: bool) -> crate::harness::Answer {
    let bytes = serde_json::to_vec(body).unwrap();
    let mut request = reqwest::Client::new().post(url("/webhooks/bitrix/outbox")).body(bytes.clone());
    if signed {
        for (name, value) in signature_headers(&bytes, unix_now()) {
            request = request.header(name, value);
        }
    }
    send(request).await
}

#[tokio::test]
async fn the_kits_signed_report_is_shown_in_the_sync_status_and_an_unsigned_or_malformed_one_is_refused() {
    ensure_stack();
    let body = json!({"waiting": 4, "failing": 1, "dead": 1, "oldest_waiting_at": unix_now() - 600,
        "dead_events": [{"id": 77, "order_id": 122183, "event": "order.create", "last_status": 422,
                         "last_error": "HTTP 422: data.PAYED: ожидается Y или N"}]});

    let unsigned = report(&json!({"waiting": 999, "failing": 0, "dead": 0, "dead_events": []}), false).await;
    assert_eq!(unsigned.status, 401, "{:?}", unsigned.body);
    let malformed = report(&json!({"waiting": "много"}), true).await;
    assert_eq!(malformed.status, 400, "{:?}", malformed.body);
    let recorded = report(&body, true).await;
    assert_eq!(recorded.status, 200, "{:?}", recorded.body);

    let status = crm(Method::GET, "/api/sync/status", None).await;
    let kit = &status.body["bitrix_outbox"];
    assert_eq!(
        (kit["waiting"].as_u64(), kit["dead"].as_u64(), kit["stale"].as_bool()),
        (Some(4), Some(1), Some(false))
    );
    assert_eq!(kit["dead_events"][0]["order_id"], 122_183);
    assert!(kit["reported_at"].is_string());
}
