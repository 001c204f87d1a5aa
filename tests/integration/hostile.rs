//! Input a hostile or broken sender could send: text PostgreSQL cannot hold, fields far too long
//! for a message, values at the edge of what can be stored. Never a 5xx, never a stuck job.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::harness::{
    counts, crm, ensure_stack, fixture, fresh_id, order_id_of, order_row, post_signed_bytes, post_webhook,
    settled_order, Job,
};

fn short(jobs: &[Job]) -> Vec<(&str, &str, i32)> {
    jobs.iter().map(Job::short).collect()
}

#[tokio::test]
async fn a_webhook_with_nul_in_the_recipients_name_is_stored_without_it_and_announced() {
    let stack = ensure_stack();
    let id = fresh_id();
    let marker = format!("Нуль{id}");
    let text = serde_json::to_string(&fixture("order-create.json", Some(id))).unwrap();
    // JSON's own escape for U+0000, in a name and in a basket line's name.
    let text = text
        .replace("Айгерим Садыкова", &format!("{marker}\\u0000Садыкова"))
        .replace("Букет Стандарт", "Букет\\u0000 Стандарт");

    let answer = post_signed_bytes(text.into_bytes()).await;

    assert_eq!((answer.status, answer.body["outcome"].as_str()), (200, Some("created")), "{:?}", answer.body);
    let order = order_row(id).await;
    assert_eq!(order["recipient_name"], format!("{marker}Садыкова"));
    assert_eq!(crate::harness::order_items(id).await[0]["product_snapshot"]["name"], "Букет Стандарт");
    let jobs = settled_order(&order_id_of(id).await).await;
    assert_eq!(short(&jobs), [("telegram", "done", 1)]);
    assert_eq!(stack.telegram.received(&marker).iter().filter(|r| r.status == 200).count(), 1);
}

#[tokio::test]
async fn a_crm_order_with_nul_in_its_text_is_created_without_it() {
    ensure_stack();
    let marker = format!("Нуль CRM {}", fresh_id());
    let body = format!(
        r#"{{"recipient_name": "{marker}\u0000", "recipient_phone": "+7 701 555 12 34", "delivery_address": "Алматы\u0000, Абая 1",
            "delivery_date": "2025-08-25", "postcard_text": "\u0000", "items": [{{"bitrix_product_id": 15652, "name": "Роза\u0000", "price": "100", "quantity": 1}}]}}"#
    );
    let request = reqwest::Client::new()
        .post(crate::harness::url("/api/orders"))
        .bearer_auth(crate::harness::CRM_TOKEN)
        .header("Content-Type", "application/json")
        .body(body);

    let answer = crate::harness::send(request).await;

    assert_eq!(answer.status, 201, "{:?}", answer.body);
    let order = crm(Method::GET, &format!("/api/orders/{}", answer.body["order_id"].as_str().unwrap()), None).await;
    assert_eq!(order.body["order"]["recipient_name"], marker.as_str());
    assert_eq!(order.body["order"]["delivery_address"], "Алматы, Абая 1");
    assert_eq!(order.body["order"]["postcard_text"], json!(null), "a postcard of only U+0000 is no postcard");
    assert_eq!(order.body["order"]["items"][0]["name"], "Роза");
}

#[tokio::test]
async fn a_five_thousand_character_address_is_announced_within_seconds_in_one_message_that_fits() {
    let stack = ensure_stack();
    let id = fresh_id();
    let marker = format!("Длинный адрес {id}");
    let mut body = fixture("order-create.json", Some(id));
    body["data"]["properties"]["nameRecipient"] = json!(marker);
    body["data"]["properties"]["addressRecipient"] = json!("Алматы, мкр. Самал-2, д. 5 ".repeat(185));
    let started = Instant::now();

    let answer = post_webhook(&body).await;

    assert_eq!(answer.body["outcome"], "created");
    let jobs = settled_order(&order_id_of(id).await).await;
    assert_eq!(short(&jobs), [("telegram", "done", 1)]);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    let sent = stack.telegram.received(&marker);
    assert_eq!(sent.len(), 1, "accepted by the strict fake at the first try");
    let text = sent[0].body["text"].as_str().unwrap();
    assert!(text.encode_utf16().count() <= 4096);
    let address = text.lines().find(|l| l.starts_with("Адрес: ")).unwrap();
    assert!(address.ends_with('…') && address.chars().count() < 600, "{address}");
    assert!(text.contains("<b>Открытка</b>: С днём рождения!"), "the postcard is whole");
}

#[tokio::test]
async fn dates_and_offsets_the_store_could_not_hold_are_refused_with_400_naming_the_field() {
    ensure_stack();
    let cases = [
        ("DATE_UPDATE", "2025-08-24T13:05:11+23:00", "data.DATE_UPDATE"),
        ("DATE_INSERT", "0000-01-01T00:00:00Z", "data.DATE_INSERT"),
        ("DATE_UPDATE", "10000-01-01T00:00:00Z", "data.DATE_UPDATE"),
    ];
    for (field, value, path) in cases {
        let id = fresh_id();
        let mut body = fixture("order-create.json", Some(id));
        body["data"][field] = json!(value);

        let answer = post_webhook(&body).await;

        assert_eq!((answer.status, answer.body["field"].as_str()), (400, Some(path)), "{value}: {:?}", answer.body);
        assert_eq!(counts(id).await, (0, 0, 0), "nothing stored for {value}");
    }
    let id = fresh_id();
    let mut body = fixture("order-create.json", Some(id));
    body["data"]["properties"]["data"] = json!("0000-00-00");
    let answer = post_webhook(&body).await;
    assert_eq!((answer.status, answer.body["field"].as_str()), (400, Some("data.properties.data")));
}

#[tokio::test]
async fn a_refusal_quotes_a_huge_value_only_in_part() {
    ensure_stack();
    let id = fresh_id();
    let mut body = fixture("order-create.json", Some(id));
    body["data"]["PRICE"] = json!("9".repeat(5000));

    let answer = post_webhook(&body).await;

    assert_eq!((answer.status, answer.body["field"].as_str()), (400, Some("data.PRICE")));
    assert!(answer.body.to_string().len() < 1000, "{} bytes", answer.body.to_string().len());
}
