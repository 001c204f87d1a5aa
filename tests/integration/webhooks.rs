//! `POST /webhooks/bitrix/order` on the real stack: what each webhook leaves in PostgreSQL.

use futures::future::join_all;
use serde_json::{json, Value};

use crate::harness::{
    counts, fixture, fresh_id, order_items, order_row, post_signed_bytes, post_webhook, post_webhook_bytes,
    post_webhook_with, signature_headers, sql_json, unix_now, WEBHOOK_TOKEN,
};

fn create(id: u64) -> Value {
    fixture("order-create.json", Some(id))
}

#[tokio::test]
async fn the_three_samples_posted_in_order_leave_exactly_the_rows_the_spec_implies() {
    // The samples' own order id, 122183, is used by this test only.
    let id = 122_183;

    let created = post_webhook(&fixture("order-create.json", None)).await;
    assert_eq!((created.status, created.body["outcome"].as_str()), (200, Some("created")), "{:?}", created.body);
    let order = order_row(id).await;
    assert_eq!(created.body["order_id"], order["id"]);
    assert_eq!(order["order_number"], "122183");
    assert_eq!((order["status"].as_str(), order["status_raw"].as_str()), (Some("new"), Some("N")));
    assert_eq!(order["bitrix_user_id"], 4521);
    assert_eq!((order["total_amount"].as_f64(), order["delivery_fee"].as_f64()), (Some(9000.0), Some(1500.0)));
    assert_eq!(order["currency"], "KZT");
    assert_eq!(order["recipient_name"], "Айгерим Садыкова");
    assert_eq!(order["recipient_phone"], "+77015551234");
    assert_eq!(order["delivery_address"], "Алматы, пр. Абая 10, кв. 5");
    assert_eq!(order["postcard_text"], "С днём рождения! Люблю, Марат");
    assert_eq!(order["customer_comment"], "Позвонить получателю за час");
    assert_eq!(order["delivery_date"], "2025-08-25");
    assert_eq!(
        (order["bitrix_city_id"].as_i64(), order["delivery_time_id"].as_i64(), order["bitrix_shop_id"].as_i64()),
        (Some(2), Some(18), Some(17008))
    );
    assert_eq!(order["origin"], "bitrix");
    let items = order_items(id).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["bitrix_basket_id"], 900_311);
    assert_eq!(items[0]["bitrix_product_id"], 15652);
    assert_eq!(items[0]["product_snapshot"], json!({"name": "Букет Стандарт", "currency": "KZT"}));
    let user = sql_json("select (select to_jsonb(u) from users u where bitrix_user_id = $1)", 4521).await;
    assert_eq!((user["first_name"].as_str(), user["last_name"].as_str()), (Some("Марат"), Some("Ахметов")));
    assert_eq!((user["email"].as_str(), user["phone"].as_str()), (Some("marat@example.kz"), Some("+77015550000")));

    let updated = post_webhook(&fixture("order-update.json", None)).await;
    assert_eq!(updated.body["outcome"], "updated", "{:?}", updated.body);
    let order = order_row(id).await;
    assert_eq!((order["status"].as_str(), order["status_raw"].as_str()), (Some("accepted"), Some("AP")));
    assert_eq!(order["total_amount"].as_f64(), Some(16500.0));
    assert_eq!(order["customer_comment"], "Позвонить получателю за час", "a field the update did not send is kept");
    let items = order_items(id).await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["product_snapshot"]["name"], "Коробка конфет Рахат");

    let changed = post_webhook(&fixture("order-status-change.json", None)).await;
    assert_eq!(changed.body["outcome"], "updated", "{:?}", changed.body);
    let order = order_row(id).await;
    assert_eq!((order["status"].as_str(), order["status_raw"].as_str()), (Some("delivering"), Some("PD")));
    assert_eq!(order["total_amount"].as_f64(), Some(16500.0));
    assert_eq!(order_items(id).await.len(), 2, "a status change keeps the items");
    assert_eq!(counts(id).await, (1, 2, 3));
}

#[tokio::test]
async fn money_is_stored_exactly_as_sent() {
    let id = fresh_id();
    let mut body = create(id);
    body["data"]["PRICE"] = json!("1234567.8901");
    body["data"]["basket"][0]["PRICE"] = json!("0.10");
    body["data"]["basket"][0]["QUANTITY"] = json!("3");

    post_webhook(&body).await;

    let exact = sql_json(
        "select jsonb_build_array(o.total_amount::text, i.price::text, i.quantity::text) from orders o
         join order_items i on i.order_id = o.id where o.bitrix_order_id = $1",
        id,
    )
    .await;
    assert_eq!(exact, json!(["1234567.8901", "0.10", "3.00"]));
}

#[tokio::test]
async fn the_same_webhook_posted_again_is_a_duplicate_and_changes_nothing() {
    let id = fresh_id();
    let first = post_webhook(&create(id)).await;
    let before = order_row(id).await;

    let again = post_webhook(&create(id)).await;

    assert_eq!(first.body["outcome"], "created");
    assert_eq!(again.status, 200);
    assert_eq!(again.body["outcome"], "duplicate");
    assert_eq!(again.body["order_id"], first.body["order_id"]);
    assert_eq!(order_row(id).await, before);
    assert_eq!(counts(id).await, (1, 1, 1));
}

#[tokio::test]
async fn twenty_copies_in_parallel_make_one_order_one_item_set_and_one_event() {
    let id = fresh_id();
    let body = create(id);

    let answers = join_all((0..20).map(|_| post_webhook(&body))).await;

    let outcomes: Vec<&str> = answers.iter().map(|a| a.body["outcome"].as_str().unwrap_or("?")).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "created").count(), 1, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| **o == "duplicate").count(), 19, "{outcomes:?}");
    assert_eq!(counts(id).await, (1, 1, 1));
}

#[tokio::test]
async fn an_update_older_than_the_stored_order_is_stale_and_changes_nothing() {
    let id = fresh_id();
    post_webhook(&create(id)).await;
    let mut newer = fixture("order-update.json", Some(id));
    newer["data"]["DATE_UPDATE"] = json!("2025-08-24T18:00:00+05:00");
    post_webhook(&newer).await;
    let before = order_row(id).await;

    let mut older = fixture("order-update.json", Some(id));
    older["data"]["DATE_UPDATE"] = json!("2025-08-24T17:00:00+05:00");
    older["data"]["STATUS_ID"] = json!("DE");
    older["data"]["PRICE"] = json!("1.00");
    let answer = post_webhook(&older).await;

    assert_eq!(answer.body["outcome"], "stale", "{:?}", answer.body);
    assert_eq!(order_row(id).await, before);
    assert_eq!(counts(id).await.2, 3, "the stale event is still recorded");
}

#[tokio::test]
async fn a_status_change_before_its_order_is_kept_and_the_late_create_fills_in_the_details() {
    let id = fresh_id();
    let mut status = fixture("order-status-change.json", Some(id));
    status["data"]["STATUS_ID"] = json!("PD");

    let early = post_webhook(&status).await;
    assert_eq!(early.body["outcome"], "created", "{:?}", early.body);
    let stub = order_row(id).await;
    assert_eq!((stub["status"].as_str(), stub["details_known"].as_bool()), (Some("delivering"), Some(false)));

    let late = post_webhook(&create(id)).await;

    assert_eq!(late.body["outcome"], "updated", "{:?}", late.body);
    assert_eq!(late.body["order_id"], early.body["order_id"]);
    let order = order_row(id).await;
    assert_eq!(order["status"], "delivering", "the newer status survives the older create");
    assert_eq!(order["details_known"], true);
    assert_eq!(order["recipient_name"], "Айгерим Садыкова");
    assert_eq!(counts(id).await, (1, 1, 2));
}

#[tokio::test]
async fn a_basket_line_missing_from_a_later_update_is_removed() {
    let id = fresh_id();
    post_webhook(&fixture("order-update.json", Some(id))).await;
    assert_eq!(order_items(id).await.len(), 2);

    let mut fewer = fixture("order-update.json", Some(id));
    fewer["data"]["DATE_UPDATE"] = json!("2025-08-24T16:00:00+05:00");
    fewer["data"]["basket"].as_array_mut().unwrap().remove(0);
    let answer = post_webhook(&fewer).await;

    assert_eq!(answer.body["outcome"], "updated");
    let items = order_items(id).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["bitrix_basket_id"], 900_312);
}

#[tokio::test]
async fn an_update_that_repeats_the_stored_state_is_unchanged() {
    let id = fresh_id();
    post_webhook(&create(id)).await;
    let mut same = create(id);
    same["event"] = json!("order.update");

    let answer = post_webhook(&same).await;

    assert_eq!(answer.body["outcome"], "unchanged", "{:?}", answer.body);
}

#[tokio::test]
async fn missing_and_empty_optional_fields_are_stored_as_nulls() {
    let id = fresh_id();
    let body = json!({"event": "order.create", "data": {
        "ID": id.to_string(), "STATUS_ID": "N", "PRICE": "5000",
        "properties": {"nameRecipient": "", "postcardText": "", "city": ""}
    }});

    let answer = post_webhook(&body).await;

    assert_eq!(answer.body["outcome"], "created", "{:?}", answer.body);
    let order = order_row(id).await;
    for column in
        ["recipient_name", "recipient_phone", "postcard_text", "bitrix_city_id", "delivery_date", "order_number"]
    {
        assert_eq!(order[column], Value::Null, "{column}");
    }
    assert_eq!(counts(id).await, (1, 0, 1));
}

#[tokio::test]
async fn an_unknown_status_code_is_stored_raw_and_the_order_is_kept() {
    let id = fresh_id();
    let mut body = create(id);
    body["data"]["STATUS_ID"] = json!("ZX");

    let answer = post_webhook(&body).await;

    assert_eq!(answer.status, 200);
    let order = order_row(id).await;
    assert_eq!((order["status"].as_str(), order["status_raw"].as_str()), (Some("unknown"), Some("ZX")));
}

#[tokio::test]
async fn cyrillic_kazakh_and_emoji_text_round_trips_unchanged() {
    let id = fresh_id();
    let mut body = create(id);
    body["data"]["properties"]["nameRecipient"] = json!("Әсем Қайратқызы 🌷");
    body["data"]["properties"]["postcardText"] = json!("Туған күніңмен! ❤️🎉 <b>&</b> «кавычки»");

    post_webhook(&body).await;

    let order = order_row(id).await;
    assert_eq!(order["recipient_name"], "Әсем Қайратқызы 🌷");
    assert_eq!(order["postcard_text"], "Туған күніңмен! ❤️🎉 <b>&</b> «кавычки»");
}

#[tokio::test]
async fn a_fifty_line_basket_becomes_fifty_order_items() {
    let id = fresh_id();
    let mut body = create(id);
    body["data"]["basket"] = (0..50)
        .map(|n| {
            json!({"ID": (5_000_000 + n).to_string(), "PRODUCT_ID": "15652", "NAME": format!("Роза №{n}"),
                        "PRICE": "1500.00", "QUANTITY": "1.0000", "CURRENCY": "KZT"})
        })
        .collect();

    let answer = post_webhook(&body).await;

    assert_eq!(answer.body["outcome"], "created");
    assert_eq!(counts(id).await, (1, 50, 1));
}

#[tokio::test]
async fn with_the_signing_secret_set_the_token_alone_in_the_header_or_the_body_is_refused_with_401() {
    let id = fresh_id();
    let mut with_body_token = create(id);
    with_body_token["token"] = json!(WEBHOOK_TOKEN);

    let header = post_webhook_bytes(serde_json::to_vec(&create(id)).unwrap(), Some(WEBHOOK_TOKEN)).await;
    let in_body = post_webhook_bytes(serde_json::to_vec(&with_body_token).unwrap(), None).await;

    for answer in [&header, &in_body] {
        assert_eq!(
            (answer.status, answer.body["error"].as_str()),
            (401, Some("invalid_signature")),
            "{:?}",
            answer.body
        );
        assert_eq!(answer.body["header"], "webhook-id");
        assert_eq!(answer.body["message"], "Вебхук не подписан: нет заголовка webhook-id");
    }
    assert_eq!(counts(id).await, (0, 0, 0));
}

#[tokio::test]
async fn a_bad_signature_a_replayed_old_timestamp_and_a_body_changed_after_signing_are_refused_and_nothing_is_stored() {
    let id = fresh_id();
    let body = serde_json::to_vec(&create(id)).unwrap();
    let now = unix_now();
    let good = signature_headers(&body, now);
    let with = |name: &str, value: String| -> Vec<(&'static str, String)> {
        good.iter().map(|(n, v)| (*n, if *n == name { value.clone() } else { v.clone() })).collect()
    };
    let mut changed = create(id);
    changed["data"]["PRICE"] = json!("1.00");

    let wrong_secret = with("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".into());
    let bad = post_webhook_with(body.clone(), &wrong_secret).await;
    let replayed = post_webhook_with(body.clone(), &signature_headers(&body, now - 3600)).await;
    let tampered = post_webhook_with(serde_json::to_vec(&changed).unwrap(), &good).await;
    let not_seconds =
        post_webhook_with(body.clone(), &with("webhook-timestamp", "2025-08-24T13:05:11+05:00".into())).await;

    for (answer, header, words) in [
        (&bad, "webhook-signature", "не совпадает"),
        // 3600 s, or 3601 when the second turns between signing and arriving.
        (&replayed, "webhook-timestamp", "расходится с часами сервера на 360"),
        (&tampered, "webhook-signature", "не совпадает"),
        (&not_seconds, "webhook-timestamp", "числом секунд"),
    ] {
        assert_eq!(
            (answer.status, answer.body["error"].as_str()),
            (401, Some("invalid_signature")),
            "{:?}",
            answer.body
        );
        assert_eq!(answer.body["header"], header);
        assert!(answer.body["message"].as_str().unwrap().contains(words), "{:?}", answer.body);
    }
    assert_eq!(counts(id).await, (0, 0, 0), "nothing stored");
    let signed = post_webhook_with(body, &good).await;
    assert_eq!(signed.body["outcome"], "created", "the same body with its own signature is applied");
}

#[tokio::test]
async fn malformed_json_is_refused_with_400_and_nothing_is_stored() {
    let answer = post_signed_bytes(b"{\"event\": \"order.create\", \"data\": {".to_vec()).await;

    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["error"], "invalid_json");
}

#[tokio::test]
async fn a_wrong_type_is_refused_with_400_naming_the_field_and_nothing_is_stored() {
    let id = fresh_id();
    let mut body = create(id);
    body["data"]["basket"][0]["PRICE"] = json!({"amount": 7500});

    let answer = post_webhook(&body).await;

    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["field"], "data.basket[0].PRICE");
    assert_eq!(answer.body["message"], "Некорректное значение поля data.basket[0].PRICE");
    assert_eq!(counts(id).await, (0, 0, 0));
}

#[tokio::test]
async fn an_unreadable_value_is_refused_with_400_and_nothing_partial_is_stored() {
    let id = fresh_id();
    let mut body = create(id);
    body["data"]["basket"][0]["QUANTITY"] = json!("много");

    let answer = post_webhook(&body).await;

    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["field"], "data.basket[0].QUANTITY");
    assert_eq!(counts(id).await, (0, 0, 0));
}

#[tokio::test]
async fn a_body_over_the_size_limit_is_refused_with_413() {
    let id = fresh_id();
    let mut body = create(id);
    body["data"]["USER_DESCRIPTION"] = json!("ы".repeat(200_000));

    let answer = post_webhook(&body).await;

    assert_eq!(answer.status, 413);
    assert_eq!(answer.body["error"], "payload_too_large");
    assert_eq!(counts(id).await, (0, 0, 0));
}

#[tokio::test]
async fn a_get_on_the_webhook_route_is_a_405() {
    let answer = crate::harness::send(reqwest::Client::new().get(crate::harness::url("/webhooks/bitrix/order"))).await;

    assert_eq!(answer.status, 405);
}
