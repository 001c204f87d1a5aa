//! The CRM API, reverse sync, status and availability sync, and Telegram notifications, with
//! the fake Bitrix gateway and the fake Telegram API: no loops, nothing twice.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{
    counts, crm, ensure_stack, eventually, fresh_id, order_id_of, order_row, post_webhook, send, settled,
    settled_order, url, Job, TELEGRAM_CHAT_ID,
};

const WAIT: Duration = Duration::from_secs(20);

fn new_order(recipient: &str) -> Value {
    json!({"recipient_name": recipient, "recipient_phone": "+7 701 555 12 34", "delivery_address": "Алматы, пр. Абая 10",
           "delivery_date": "2025-08-25", "delivery_time_id": 18, "bitrix_city_id": 2, "bitrix_shop_id": 17008,
           "postcard_text": "С любовью <b>&</b> 🌷", "delivery_fee": "1500.00",
           "items": [{"bitrix_product_id": 15652, "name": "Букет Стандарт", "price": "7500.00", "quantity": 1}]})
}

async fn bitrix_id_of(order_id: &str) -> Option<u64> {
    let client = crate::harness::db().await;
    let row =
        client.query_one("select bitrix_order_id from orders where id = $1::text::uuid", &[&order_id]).await.unwrap();
    row.get::<_, Option<i64>>(0).map(|id| u64::try_from(id).unwrap())
}

/// Posts a CRM order and waits until the reverse sync wrote its Bitrix id back.
async fn created_and_synced(recipient: &str) -> (String, u64) {
    let created = crm(Method::POST, "/api/orders", Some(new_order(recipient))).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let order_id = created.body["order_id"].as_str().unwrap().to_owned();
    let bitrix_id = eventually(WAIT, "the Bitrix id to be written back", || bitrix_id_of(&order_id)).await;
    (order_id, bitrix_id)
}

fn short(jobs: &[Job]) -> Vec<(&str, &str, i32)> {
    jobs.iter().map(Job::short).collect()
}

fn texts(received: &[crate::fakes::Received]) -> Vec<String> {
    received
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.body["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_crm_order_reaches_bitrix_once_gets_its_id_back_and_its_webhook_creates_nothing_new() {
    let stack = ensure_stack();
    let recipient = format!("Получатель CRM {}", fresh_id());

    let (order_id, bitrix_id) = created_and_synced(&recipient).await;

    let creates = stack.bitrix.received(&recipient);
    assert_eq!(creates.len(), 1, "one gateway call");
    let call = &creates[0];
    assert_eq!(call.body["action"], "order.create");
    assert_eq!(call.headers["x-api-token"], crate::fakes::BITRIX_API_TOKEN);
    assert_eq!(call.body["properties"]["crmOrderId"], order_id.as_str());
    assert_eq!(call.body["properties"]["when"], "18");
    assert_eq!(call.body["basket"][0]["product_id"], 15652);
    assert_eq!(call.headers["idempotency-key"], call.body["idempotency_key"].as_str().unwrap());

    // Bitrix now fires its own webhook for the order it created, carrying the CRM id.
    let webhook = json!({"event": "order.create", "data": {
        "ID": bitrix_id.to_string(), "ACCOUNT_NUMBER": bitrix_id.to_string(), "STATUS_ID": "N", "PRICE": "9000.00",
        "PRICE_DELIVERY": "1500.00", "CURRENCY": "KZT", "DATE_UPDATE": "2025-08-24T13:05:11+05:00",
        "properties": {"nameRecipient": recipient, "crmOrderId": order_id, "city": "2", "when": "18", "shopId": "17008"},
        "basket": [{"ID": "1", "PRODUCT_ID": "15652", "NAME": "Букет Стандарт", "PRICE": "7500.00", "QUANTITY": "1", "CURRENCY": "KZT"}]}});
    let echoed = post_webhook(&webhook).await;

    assert_eq!(echoed.status, 200, "{:?}", echoed.body);
    assert_eq!(echoed.body["order_id"], order_id.as_str(), "the webhook links to the CRM order");
    assert_eq!(counts(bitrix_id).await.0, 1);
    let order = order_row(bitrix_id).await;
    assert_eq!((order["origin"].as_str(), order["status"].as_str()), (Some("crm"), Some("new")));
    let items = crate::harness::order_items(bitrix_id).await;
    assert_eq!(items.len(), 1, "Bitrix's basket replaces the CRM's lines, it does not add to them: {items:?}");
    assert_eq!(items[0]["bitrix_basket_id"], 1);
    let jobs = settled_order(&order_id).await;
    assert_eq!(short(&jobs), [("reverse_sync", "done", 1), ("telegram", "done", 1)], "no job beyond these two");
    assert_eq!(stack.bitrix.received(&recipient).len(), 1, "no second reverse sync");
    let messages = texts(&stack.telegram.received(&recipient));
    assert_eq!(messages.len(), 1, "one new-order message: {messages:?}");
}

#[tokio::test]
async fn a_webhook_for_a_crm_order_that_comes_before_the_gateways_answer_links_to_it() {
    let stack = ensure_stack();
    let recipient = format!("Раньше ответа {}", fresh_id());
    // The gateway creates the Bitrix order at once but answers after the Worker gave up; its
    // webhook for that order comes meanwhile.
    let late = Duration::from_secs(crate::harness::OUTBOUND_TIMEOUT_SECONDS + 1);
    stack.bitrix.script(&recipient, vec![crate::fakes::Reply::Hang(late)]);
    let created = crm(Method::POST, "/api/orders", Some(new_order(&recipient))).await;
    let order_id = created.body["order_id"].as_str().unwrap().to_owned();
    let key = format!("bitrix:create_order:{order_id}");
    let bitrix_id = eventually(WAIT, "the gateway to create the Bitrix order", || async {
        stack.bitrix.created_orders().get(&key).copied()
    })
    .await;

    let webhook = json!({"event": "order.create", "data": {
        "ID": bitrix_id.to_string(), "STATUS_ID": "N", "PRICE": "9000.00", "DATE_UPDATE": "2025-08-24T13:05:11+05:00",
        "properties": {"nameRecipient": recipient, "crmOrderId": order_id}}});
    let linked = post_webhook(&webhook).await;

    assert_eq!(linked.body["order_id"], order_id.as_str(), "{:?}", linked.body);
    let jobs = settled_order(&order_id).await;
    assert_eq!(short(&jobs), [("reverse_sync", "done", 2), ("telegram", "done", 1)]);
    assert_eq!(counts(bitrix_id).await.0, 1, "one order for the Bitrix id");
    assert_eq!(bitrix_id_of(&order_id).await, Some(bitrix_id));
    assert_eq!(stack.bitrix.creations(&key), 1);
    assert_eq!(texts(&stack.telegram.received(&recipient)).len(), 1);
}

#[tokio::test]
async fn a_crm_status_change_reaches_bitrix_once_and_its_echo_changes_nothing() {
    let stack = ensure_stack();
    let recipient = format!("Получатель статуса {}", fresh_id());
    let (order_id, bitrix_id) = created_and_synced(&recipient).await;

    let changed =
        crm(Method::PATCH, &format!("/api/orders/{order_id}/status"), Some(json!({"status": "accepted"}))).await;

    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(changed.body["changed"], true);
    let needle = format!("\"bitrix_order_id\":{bitrix_id}");
    let calls = eventually(WAIT, "the status call", || async {
        let calls = stack.bitrix.received(&needle);
        (!calls.is_empty()).then_some(calls)
    })
    .await;
    assert_eq!(calls[0].body["action"], "order.set_status");
    assert_eq!(calls[0].body["status_id"], "AP");
    let status_messages =
        || texts(&stack.telegram.received(&recipient)).into_iter().filter(|t| t.contains("статус «Принят»")).count();
    eventually(WAIT, "the status message", || async { (status_messages() == 1).then_some(()) }).await;

    let echo = post_webhook(&json!({"event": "order.status.change",
        "data": {"ID": bitrix_id.to_string(), "STATUS_ID": "AP", "DATE_UPDATE": "2025-08-26T10:00:00+05:00"}}))
    .await;

    assert_eq!(echo.body["outcome"], "unchanged", "{:?}", echo.body);
    assert_eq!(order_row(bitrix_id).await["status"], "accepted");
    let jobs = settled_order(&order_id).await;
    assert_eq!(
        short(&jobs),
        [("reverse_sync", "done", 1), ("telegram", "done", 1), ("status_sync", "done", 1), ("telegram", "done", 1)],
        "the echo queued nothing"
    );
    assert_eq!(stack.bitrix.received(&needle).len(), 1, "the echo is not sent back to Bitrix");
    assert_eq!(status_messages(), 1, "nobody is notified twice");
}

#[tokio::test]
async fn a_late_echo_of_an_earlier_crm_status_does_not_undo_a_later_one() {
    let stack = ensure_stack();
    let recipient = format!("Двойная смена {}", fresh_id());
    let (order_id, bitrix_id) = created_and_synced(&recipient).await;
    for status in ["accepted", "delivering"] {
        let changed =
            crm(Method::PATCH, &format!("/api/orders/{order_id}/status"), Some(json!({"status": status}))).await;
        assert_eq!(changed.body["changed"], true, "{:?}", changed.body);
    }
    let before = settled_order(&order_id).await;

    // Bitrix's webhook for the first change (AP) arrives after the second (PD) was made.
    let echo = post_webhook(&json!({"event": "order.status.change",
        "data": {"ID": bitrix_id.to_string(), "STATUS_ID": "AP", "DATE_UPDATE": "2025-08-26T10:00:00+05:00"}}))
    .await;

    assert_eq!(echo.body["outcome"], "unchanged", "{:?}", echo.body);
    assert_eq!(order_row(bitrix_id).await["status"], "delivering", "the later status stands");
    let after = settled_order(&order_id).await;
    assert_eq!(short(&after), short(&before), "the echo queued nothing: no message, no call back to Bitrix");
    let delivering = texts(&stack.telegram.received(&recipient)).iter().filter(|t| t.contains("статус «")).count();
    assert_eq!(delivering, 2, "one message per CRM change");
}

#[tokio::test]
async fn a_status_changed_in_bitrix_is_notified_and_never_sent_back_to_bitrix() {
    let stack = ensure_stack();
    let id = fresh_id();
    let mut create = crate::harness::fixture("order-create.json", Some(id));
    create["data"]["properties"]["nameRecipient"] = json!(format!("Получатель Битрикс {id}"));
    post_webhook(&create).await;

    let changed = post_webhook(&json!({"event": "order.status.change",
        "data": {"ID": id.to_string(), "STATUS_ID": "PD", "DATE_UPDATE": "2025-08-25T14:40:00+05:00"}}))
    .await;

    assert_eq!(changed.body["outcome"], "updated");
    let needle = format!("Получатель Битрикс {id}");
    let messages = eventually(WAIT, "two messages", || async {
        let messages = texts(&stack.telegram.received(&needle));
        (messages.len() >= 2).then_some(messages)
    })
    .await;
    assert!(messages.iter().any(|t| t.contains(&format!("Новый заказ №{id}"))), "{messages:?}");
    assert!(messages.iter().any(|t| t.contains("статус «Доставляется»")), "{messages:?}");
    let jobs = settled_order(&order_id_of(id).await).await;
    assert_eq!(short(&jobs), [("telegram", "done", 1), ("telegram", "done", 1)], "no Bitrix job for a Bitrix change");
    assert_eq!(texts(&stack.telegram.received(&needle)).len(), 2);
    assert!(stack.bitrix.received(&format!("\"bitrix_order_id\":{id}")).is_empty());
}

#[tokio::test]
async fn the_new_order_message_holds_the_order_escaped_with_its_emoji() {
    let stack = ensure_stack();
    let recipient = format!("Айгерим & <Ко> {}", fresh_id());

    let created = crm(Method::POST, "/api/orders", Some(new_order(&recipient))).await;
    assert_eq!(created.status, 201);

    let escaped_name = recipient.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let message = eventually(WAIT, "the new-order message", || async {
        texts(&stack.telegram.received(&escaped_name)).into_iter().next()
    })
    .await;
    let call = &stack.telegram.received(&escaped_name)[0];
    assert_eq!(call.body["parse_mode"], "HTML");
    assert_eq!(call.body["chat_id"], TELEGRAM_CHAT_ID);
    assert!(call.path.starts_with("/bot123456:dev-telegram-token/sendMessage"), "{}", call.path);
    for part in [
        "Новый заказ",
        "9\u{a0}000\u{a0}₸",
        "+7 (701) 555-12-34",
        "Алматы, пр. Абая 10",
        "Букет Стандарт — 7\u{a0}500\u{a0}₸ × 1",
        "Дата: пн, 25.08.2025",
        "Время: 15:00-16:00",
        "Город: Алматы",
        "Магазин: CVETYKZ",
        "Стоимость доставки: 1\u{a0}500\u{a0}₸",
        "С любовью &lt;b&gt;&amp;&lt;/b&gt; 🌷",
        "Источник: CRM",
    ] {
        assert!(message.contains(part), "{part:?} missing from\n{message}");
    }
    assert!(message.encode_utf16().count() <= 4096);
}

#[tokio::test]
async fn availability_toggles_update_supabase_and_reach_bitrix_with_the_products_bitrix_id() {
    let stack = ensure_stack();
    let bitrix_product_id = fresh_id();
    let product_id = crate::harness::insert_product("Тюльпаны", bitrix_product_id, Some("tyulpany")).await;
    let client = crate::harness::db().await;
    let created_at: String = client
        .query_one("select updated_at::text from products where id = $1::text::uuid", &[&product_id])
        .await
        .unwrap()
        .get(0);

    let off = crm(Method::POST, &format!("/api/products/{product_id}/set-unavailable"), None).await;

    assert_eq!(
        (off.status, off.body.clone()),
        (200, json!({"success": true, "message": "Товар сделан недоступным", "is_available": false}))
    );
    let stored = client
        .query_one(
            "select metadata->'properties'->>'IN_STOCK', updated_at::text from products where id = $1::text::uuid",
            &[&product_id],
        )
        .await
        .unwrap();
    assert_eq!(stored.get::<_, String>(0), "159");
    assert_ne!(stored.get::<_, String>(1), created_at);
    let needle = format!("\"bitrix_product_id\":{bitrix_product_id}");
    let call =
        eventually(WAIT, "the availability call", || async { stack.bitrix.received(&needle).into_iter().next() }).await;
    assert_eq!(call.body["action"], "product.set_availability");
    assert_eq!((call.body["in_stock"].as_bool(), call.body["in_stock_value"].as_str()), (Some(false), Some("159")));

    let on = crm(Method::POST, &format!("/api/products/{product_id}/set-available"), None).await;

    assert_eq!(on.body, json!({"success": true, "message": "Товар сделан доступным", "is_available": true}));
    let calls = eventually(WAIT, "the second availability call", || async {
        let calls = stack.bitrix.received(&needle);
        (calls.len() >= 2).then_some(calls)
    })
    .await;
    assert_eq!(calls[1].body["in_stock_value"], "158");
    let jobs = settled("product_id", &product_id).await;
    assert_eq!(short(&jobs), [("availability_sync", "done", 1), ("availability_sync", "done", 1)]);
    assert_eq!(stack.bitrix.received(&needle).len(), 2, "one call per toggle");
    let product = crm(Method::GET, &format!("/api/products/{product_id}"), None).await;
    assert_eq!(product.body["storefront_url"], "https://cvety.kz/products/tyulpany/");
    assert_eq!(product.body["product"]["is_available"], true);
    assert_eq!(product.body["product"]["stock_label"], "В наличии");
}

#[tokio::test]
async fn calls_without_the_crm_token_are_refused_and_change_nothing() {
    ensure_stack();
    let recipient = format!("Без токена {}", fresh_id());
    let client = reqwest::Client::new();

    let refused = [
        send(client.post(url("/api/orders")).json(&new_order(&recipient))).await,
        send(client.post(url("/api/orders")).bearer_auth("dev-webhook-token").json(&new_order(&recipient))).await,
        send(client.get(url("/api/orders"))).await,
        send(client.get(url("/api/sync/status"))).await,
        send(client.post(url("/api/sync/dead-letters/replay"))).await,
    ];

    for answer in &refused {
        assert_eq!(answer.status, 401, "{:?}", answer.body);
        assert_eq!(answer.body["error"], "unauthorized");
    }
    assert_eq!(crate::harness::orders_for_recipient(&recipient).await, 0);
}

#[tokio::test]
async fn an_invalid_crm_order_gets_422_naming_every_problem_and_nothing_is_stored() {
    ensure_stack();

    let answer = crm(Method::POST, "/api/orders", Some(json!({"recipient_phone": "123", "items": []}))).await;

    assert_eq!(answer.status, 422);
    let fields: Vec<&str> =
        answer.body["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    for field in ["recipient_name", "recipient_phone", "delivery_address", "delivery_date", "items"] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
    }
}

#[tokio::test]
async fn a_crm_order_posted_twice_with_one_idempotency_key_is_created_once() {
    let stack = ensure_stack();
    let recipient = format!("Двойной клик {}", fresh_id());
    let post = || {
        let request = reqwest::Client::new()
            .post(url("/api/orders"))
            .bearer_auth(crate::harness::CRM_TOKEN)
            .header("Idempotency-Key", format!("ui-{recipient}"))
            .json(&new_order(&recipient));
        send(request)
    };

    let first = post().await;
    let second = post().await;

    assert_eq!((first.status, second.status), (201, 200), "{:?}", second.body);
    assert_eq!(second.body["replayed"], true);
    assert_eq!(first.body["order_id"], second.body["order_id"]);
    assert_eq!(crate::harness::orders_for_recipient(&recipient).await, 1);
    let jobs = settled_order(first.body["order_id"].as_str().unwrap()).await;
    assert_eq!(
        short(&jobs),
        [("reverse_sync", "done", 1), ("telegram", "done", 1)],
        "the replayed POST queued nothing"
    );
    assert_eq!(stack.bitrix.received(&recipient).len(), 1);
}

#[tokio::test]
async fn a_crm_order_naming_an_unknown_product_is_refused_with_its_field_and_nothing_is_stored() {
    ensure_stack();
    let recipient = format!("Нет товара {}", fresh_id());
    let mut body = new_order(&recipient);
    body["items"] = json!([{"bitrix_product_id": 15652, "price": "7500", "quantity": 1},
                           {"product_id": "00000000-0000-4000-8000-00000000beef", "price": "100", "quantity": 1}]);

    let answer = crm(Method::POST, "/api/orders", Some(body)).await;

    assert_eq!(answer.status, 422, "{:?}", answer.body);
    assert_eq!(answer.body["problems"], json!([{"field": "items[1].product_id", "message": "Товар не найден"}]));
    assert_eq!(crate::harness::orders_for_recipient(&recipient).await, 0);
}

#[tokio::test]
async fn orders_are_listed_newest_first_with_filters_and_read_one_by_one() {
    ensure_stack();
    let recipient = format!("Список {}", fresh_id());
    let created = crm(Method::POST, "/api/orders", Some(new_order(&recipient))).await;
    let order_id = created.body["order_id"].as_str().unwrap().to_owned();

    let list = crm(Method::GET, "/api/orders?limit=5&status=new&date=2025-08-25", None).await;
    let one = crm(Method::GET, &format!("/api/orders/{order_id}"), None).await;
    let bad = crm(Method::GET, "/api/orders?limit=1000&status=shipped", None).await;
    let missing = crm(Method::GET, "/api/orders/00000000-0000-4000-8000-000000000000", None).await;

    assert_eq!(list.status, 200);
    let orders = list.body["orders"].as_array().unwrap();
    assert!(orders.len() <= 5 && orders.iter().all(|o| o["status"] == "new" && o["delivery_date"] == "2025-08-25"));
    let created_at: Vec<&str> = orders.iter().map(|o| o["created_at"].as_str().unwrap()).collect();
    assert!(created_at.windows(2).all(|w| w[0] >= w[1]), "newest first: {created_at:?}");
    let order = &one.body["order"];
    assert_eq!(order["recipient_name"], recipient.as_str());
    assert_eq!(order["items"][0]["price"], "7500.00", "money is exact text");
    assert_eq!((order["total_amount"].as_str(), order["delivery_fee"].as_str()), (Some("9000.00"), Some("1500.00")));
    assert_eq!((order["status"].as_str(), order["status_label"].as_str()), (Some("new"), Some("Новый")));
    assert_eq!(order["delivery_slot"], json!({"id": 18, "name": "15:00-16:00"}));
    assert_eq!(order["city"], json!({"id": 2, "name": "Алматы"}));
    assert_eq!(order["shop"], json!({"id": 17008, "name": "CVETYKZ"}));
    for internal in ["status_echoes", "status_echoes_until", "crm_request_key", "bitrix_updated_at", "order_items"] {
        assert!(order.get(internal).is_none(), "{internal} is internal: {order}");
    }
    assert_eq!(bad.status, 422);
    let fields: Vec<&str> =
        bad.body["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["limit", "status"]);
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn orders_are_found_by_a_phone_typed_any_way_by_a_name_and_by_a_number() {
    ensure_stack();
    let id = fresh_id();
    let suffix = format!("{:07}", id % 10_000_000);
    let phone = format!("+7705{suffix}");
    let mut body = crate::harness::fixture("order-create.json", Some(id));
    body["data"]["properties"]["phoneRecipient"] =
        json!(format!("8 (705) {}-{}-{}", &suffix[..3], &suffix[3..5], &suffix[5..]));
    body["data"]["properties"]["nameRecipient"] = json!(format!("Поиск Гүлнар {id}"));
    assert_eq!(post_webhook(&body).await.body["outcome"], "created");

    let search = |q: String| async move {
        let mut address = reqwest::Url::parse("http://x/api/orders").unwrap();
        address.query_pairs_mut().append_pair("q", &q);
        let found = crm(Method::GET, &format!("/api/orders?{}", address.query().unwrap()), None).await;
        assert_eq!(found.status, 200, "{:?}", found.body);
        found.body["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["bitrix_order_id"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };

    for typed in [
        phone.clone(),
        format!("8 705 {} {} {}", &suffix[..3], &suffix[3..5], &suffix[5..]),
        suffix.clone(),
        format!("гүлнар {id}"),
        id.to_string(),
    ] {
        assert_eq!(search(typed.clone()).await, vec![id], "searching {typed:?}");
    }
    assert!(search("%".to_owned()).await.len() <= 50, "a wildcard is text, and the page is bounded");
    assert!(!search(format!("нет такого {id}")).await.contains(&id));
}

#[tokio::test]
async fn a_status_code_the_crm_sent_long_ago_no_longer_hides_a_real_change_made_in_bitrix() {
    let stack = ensure_stack();
    let recipient = format!("Старое эхо {}", fresh_id());
    let (order_id, bitrix_id) = created_and_synced(&recipient).await;
    crm(Method::PATCH, &format!("/api/orders/{order_id}/status"), Some(json!({"status": "accepted"}))).await;
    // A day later Bitrix never echoed "N"; a manager now sets the order back to N in Bitrix.
    let db = crate::harness::db().await;
    db.execute(
        "update orders set status_echoes_until = now() - interval '1 second' where id = $1::text::uuid",
        &[&order_id],
    )
    .await
    .unwrap();

    let changed = post_webhook(&json!({"event": "order.status.change",
        "data": {"ID": bitrix_id.to_string(), "STATUS_ID": "N", "DATE_UPDATE": "2025-08-27T10:00:00+05:00"}}))
    .await;

    assert_eq!(changed.body["outcome"], "updated", "{:?}", changed.body);
    let order = order_row(bitrix_id).await;
    assert_eq!((order["status"].as_str(), order["status_echoes"].clone()), (Some("new"), json!([])));
    eventually(WAIT, "the status message", || async {
        texts(&stack.telegram.received(&recipient)).iter().any(|t| t.contains("статус «Новый»")).then_some(())
    })
    .await;
}
