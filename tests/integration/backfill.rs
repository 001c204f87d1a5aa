//! Issue 17 on the stack: payments from the webhook, old orders loaded quietly and summed up in
//! one message, and `/` sending people to the board.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::harness::{
    crm, db, ensure_stack, eventually, fixture, fresh_id, log_in, order_id_of, post_webhook, settled_order,
    staff_account, trigger_cron, url, STAFF_PASSWORD,
};

const WAIT: Duration = Duration::from_secs(20);

fn texts(received: &[crate::fakes::Received]) -> Vec<String> {
    received
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.body["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_webhooks_payment_reaches_the_order_the_api_and_the_chat() {
    let stack = ensure_stack();
    let id = fresh_id();
    let mut body = fixture("order-create.json", Some(id));
    body["data"]["properties"]["nameRecipient"] = json!(format!("Оплата {id}"));
    assert_eq!(post_webhook(&body).await.status, 200);
    let order_id = order_id_of(id).await;

    let order = crm(Method::GET, &format!("/api/orders/{order_id}"), None).await;
    assert_eq!(order.body["order"]["payment"]["paid"], false);
    assert_eq!(order.body["order"]["payment"]["pay_system_name"], "Kaspi");
    let message = eventually(WAIT, "the new-order message", || async {
        texts(&stack.telegram.received(&format!("Оплата {id}"))).into_iter().next()
    })
    .await;
    assert!(message.contains("Оплата: Не оплачен · Kaspi"), "{message}");

    body["event"] = json!("order.update");
    body["data"]["PAYED"] = json!("Y");
    body["data"]["SUM_PAID"] = json!("9000.00");
    body["data"]["DATE_UPDATE"] = json!("2025-08-24T14:00:00+05:00");
    assert_eq!(post_webhook(&body).await.body["outcome"], "updated", "a payment saved in Bitrix changes the order");
    let paid = crm(Method::GET, &format!("/api/orders/{order_id}"), None).await;
    assert_eq!(
        (paid.body["order"]["payment"]["paid"].as_bool(), paid.body["order"]["payment"]["sum_paid"].as_str()),
        (Some(true), Some("9000.00"))
    );
}

#[tokio::test]
async fn an_unpaid_order_handed_to_the_courier_is_warned_about_once_in_the_chat() {
    let stack = ensure_stack();
    let id = fresh_id();
    let mut body = fixture("order-create.json", Some(id));
    body["data"]["properties"]["nameRecipient"] = json!(format!("Без оплаты {id}"));
    post_webhook(&body).await;
    let handed = json!({"event": "order.status.change",
        "data": {"ID": id.to_string(), "STATUS_ID": "PD", "DATE_UPDATE": "2025-08-25T14:40:00+05:00"}});
    post_webhook(&handed).await;
    post_webhook(&handed).await;

    let needle = format!("Без оплаты {id}");
    let warned = eventually(WAIT, "the status message", || async {
        let all = texts(&stack.telegram.received(&needle));
        (all.len() >= 2).then_some(all)
    })
    .await;
    settled_order(&order_id_of(id).await).await;
    let warnings =
        texts(&stack.telegram.received(&needle)).iter().filter(|t| t.contains("У курьера без оплаты")).count();
    assert_eq!(warnings, 1, "{warned:?}");
    assert!(warned.iter().any(|t| t.contains("получить 9\u{a0}000\u{a0}₸")), "{warned:?}");
}

#[tokio::test]
async fn old_orders_are_loaded_quietly_and_a_backfill_is_summed_up_in_one_message_once_it_goes_quiet() {
    let stack = ensure_stack();
    let ids: Vec<u64> = (0..3).map(|_| fresh_id()).collect();
    for id in &ids {
        let mut body = fixture("order-create.json", Some(*id));
        body["data"]["DATE_INSERT"] = json!("2025-03-07T10:00:00+05:00");
        body["data"]["properties"]["nameRecipient"] = json!(format!("Архив {id}"));
        let answer = post_webhook(&body).await;
        assert_eq!((answer.status, answer.body["outcome"].as_str()), (200, Some("created")));
    }
    for id in &ids {
        let jobs = settled_order(&order_id_of(*id).await).await;
        assert!(jobs.is_empty(), "no message of its own for an old order: {jobs:?}");
        let loaded: bool = db()
            .await
            .query_one(
                "select loaded_from_bitrix_at is not null from orders where bitrix_order_id = $1",
                &[&i64::try_from(*id).unwrap()],
            )
            .await
            .unwrap()
            .get(0);
        assert!(loaded, "order {id} is marked as loaded from Bitrix");
    }

    // The test stack scales the 5 quiet minutes to 3 seconds.
    tokio::time::sleep(Duration::from_secs(4)).await;
    trigger_cron().await;
    let summary = eventually(WAIT, "the backfill's summary", || async {
        texts(&stack.telegram.received("Загружено из Битрикса старых заказов")).into_iter().last()
    })
    .await;
    assert!(summary.contains("07.03.2025"), "{summary}");
    for id in &ids {
        assert!(texts(&stack.telegram.received(&format!("Архив {id}"))).is_empty(), "no message names order {id}");
    }
    let sent = texts(&stack.telegram.received("Загружено из Битрикса старых заказов")).len();
    trigger_cron().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(texts(&stack.telegram.received("Загружено из Битрикса старых заказов")).len(), sent, "summed up once");

    let login = format!("backfill-{}", ids[0]);
    staff_account(&login).await;
    let (_, cookie, _) = log_in(&login, STAFF_PASSWORD, "203.0.113.77").await;
    let cookie = cookie.unwrap();
    let card = reqwest::Client::new()
        .get(url(&format!("/crm/orders/{}", order_id_of(ids[0]).await)))
        .header("Cookie", cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(card.contains("Загружен из Битрикса"), "the card's timeline says how it came");
}

#[tokio::test]
async fn the_root_sends_people_to_the_board() {
    ensure_stack();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = client.get(url("/")).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 302);
    assert_eq!(answer.headers()["Location"], "/crm");
    let posted = client.post(url("/")).send().await.unwrap();
    assert_eq!(posted.status().as_u16(), 405);
}

/// A staff page as a logged-in member of staff sees it.
async fn staff_page(path: &str) -> String {
    let login = format!("pages-{}", fresh_id());
    staff_account(&login).await;
    let (_, cookie, _) = log_in(&login, STAFF_PASSWORD, "203.0.113.78").await;
    let cookie = cookie.unwrap();
    reqwest::Client::new()
        .get(url(path))
        .header("Cookie", cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_order_naming_a_slot_the_crm_does_not_know_is_kept_and_placed_once_the_refresh_names_it() {
    let stack = ensure_stack();
    let id = fresh_id();
    let slot = 40_000 + id % 10_000;
    let today = crate::harness::just_now()[..10].to_owned();
    let mut body = fixture("order-create.json", Some(id));
    body["data"]["properties"]["when"] = json!(slot.to_string());
    body["data"]["properties"]["data"] = json!(today);
    body["data"]["properties"]["nameRecipient"] = json!(format!("Новый слот {id}"));
    assert_eq!(post_webhook(&body).await.body["outcome"], "created", "kept with the raw id, never refused");

    let waiting = format!("Слот {slot} (время уточняется)");
    let message = eventually(WAIT, "the new-order message", || async {
        texts(&stack.telegram.received(&format!("Новый слот {id}"))).into_iter().next()
    })
    .await;
    assert!(message.contains(&format!("Время: {waiting}")), "{message}");
    assert!(staff_page(&format!("/crm?date={today}")).await.contains(&waiting), "the board names it by its number");

    // Bitrix gains the slot; the cron's refresh (due at once for an unknown id) names it.
    stack.bitrix.add_slot(slot, "22:00-23:00");
    eventually(WAIT, "the refresh to name the slot", || async {
        trigger_cron().await;
        let known: bool = db()
            .await
            .query_one(
                "select exists (select 1 from delivery_time_slots where bitrix_slot_id = $1 and starts_at = '22:00')",
                &[&i64::try_from(slot).unwrap()],
            )
            .await
            .unwrap()
            .get(0);
        known.then_some(())
    })
    .await;
    let board = staff_page(&format!("/crm?date={today}")).await;
    assert!(board.contains("22:00-23:00") && !board.contains(&waiting), "placed in its slot");
}

#[tokio::test]
async fn the_reference_data_is_refreshed_on_demand_and_says_what_it_stored_and_what_it_skipped() {
    let stack = ensure_stack();
    let slot = 50_000 + fresh_id() % 10_000;
    stack.bitrix.add_slot(slot, "Вечер");

    let answer = crm(Method::POST, "/api/ops/reference/run", None).await;

    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert!(answer.body["message"].as_str().unwrap().starts_with("Справочники обновлены"), "{:?}", answer.body);
    let skipped = answer.body["outcome"]["skipped"].as_array().unwrap();
    assert!(skipped.iter().any(|s| s.as_str().unwrap().starts_with(&format!("slot {slot}:"))), "{skipped:?}");
    let kept: (String, bool) = {
        let row = db()
            .await
            .query_one(
                "select label, starts_at is null from delivery_time_slots where bitrix_slot_id = $1",
                &[&i64::try_from(slot).unwrap()],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(kept, ("Вечер".to_owned(), true), "kept by its name, without times");
    let paid_by: String =
        db().await.query_one("select name from pay_systems where bitrix_pay_system_id = 7", &[]).await.unwrap().get(0);
    assert_eq!(paid_by, "Kaspi");
}
