//! Roles, staff accounts and couriers on the real stack: each role is served or refused as its
//! rule says, a courier assigned by the manager takes and delivers the order (each status reaching
//! Bitrix), the owner adds and disables accounts, and the exports download as CSV.

use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{
    db, ensure_stack, eventually, fixture, fresh_id, log_in, order_id_of, photo_form, post_webhook, staff_account_as,
    url, STAFF_PASSWORD, WORKER,
};

/// Long enough for a job to meet a retry on a loaded 2-core machine (the whole suite runs side by
/// side); it costs time only when a test is failing anyway.
const WAIT: Duration = Duration::from_secs(60);

/// A page as a browser without JavaScript gets it: status, `Location`, the headers, the body.
struct Page {
    status: u16,
    location: Option<String>,
    content_type: String,
    body: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn read(response: reqwest::Response) -> Page {
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (status, location, content_type) =
        (response.status().as_u16(), header("Location"), header("Content-Type").unwrap_or_default());
    Page { status, location, content_type, body: response.text().await.unwrap() }
}

async fn get(cookie: &str, path: &str) -> Page {
    read(client().get(url(path)).header("Cookie", cookie).send().await.unwrap()).await
}

async fn post(cookie: &str, path: &str, form: &[(&str, &str)]) -> Page {
    let request = client().post(url(path)).header("Cookie", cookie).header("Origin", WORKER).form(form);
    read(request.send().await.unwrap()).await
}

/// A new account of `role`, logged in: its id and its session cookie.
async fn account(role: &str) -> (String, String) {
    let login = format!("{role}-{}", fresh_id());
    let id = staff_account_as(&login, role).await;
    let (status, cookie, _) = log_in(&login, STAFF_PASSWORD, "192.0.2.150").await;
    assert_eq!(status, 303, "{role} logs in");
    (id, cookie.unwrap().split(';').next().unwrap().to_owned())
}

/// A new Bitrix order delivered on 25.08.2025 in slot 18: its CRM id.
async fn order() -> String {
    let bitrix_id = 7_700_000 + fresh_id() % 100_000;
    let answer = post_webhook(&fixture("order-create.json", Some(bitrix_id))).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    order_id_of(bitrix_id).await
}

async fn courier_of(order_id: &str) -> Option<String> {
    db().await
        .query_one("select courier_id::text from orders where id = $1::text::uuid", &[&order_id])
        .await
        .unwrap()
        .get(0)
}

async fn status_of(order_id: &str) -> String {
    db().await.query_one("select status from orders where id = $1::text::uuid", &[&order_id]).await.unwrap().get(0)
}

#[tokio::test]
async fn a_courier_lands_on_their_own_page_and_is_refused_the_board_the_orders_and_the_exports() {
    ensure_stack();
    let (_, courier) = account("courier").await;

    let home = get(&courier, "/crm").await;
    assert_eq!((home.status, home.location.as_deref()), (303, Some("/crm/my")));
    for path in ["/crm/orders", "/crm/reports", "/crm/orders/export", "/crm/sync", "/crm/staff"] {
        let page = get(&courier, path).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(page.body.contains("Нет доступа") && page.body.contains("«Курьер»"), "{path}");
    }
    let mine = get(&courier, "/crm/my").await;
    assert_eq!(mine.status, 200);
    assert!(mine.body.contains("Мои доставки"));
}

#[tokio::test]
async fn a_manager_assigns_a_courier_who_takes_and_delivers_the_order_and_bitrix_hears_each_status() {
    let stack = ensure_stack();
    let (_, manager) = account("manager").await;
    let (courier_id, courier) = account("courier").await;
    let (_, other_courier) = account("courier").await;
    let order_id = order().await;

    let assigned = post(&manager, &format!("/crm/orders/{order_id}/courier"), &[("courier", &courier_id)]).await;
    assert_eq!(assigned.status, 303);
    assert!(assigned.location.unwrap().ends_with("done=courier"));
    assert_eq!(courier_of(&order_id).await.as_deref(), Some(courier_id.as_str()));
    let card = get(&manager, &format!("/crm/orders/{order_id}")).await;
    assert!(card.body.contains("Курьер: нет → Проверка courier-"), "the timeline says who got it");

    let mine = get(&courier, "/crm/my?date=2025-08-25").await;
    assert!(mine.body.contains(&format!("/crm/my/{order_id}/picked")), "the courier sees the order");
    assert!(mine.body.contains("https://2gis.kz/search/") && mine.body.contains("tel:+77015551234"));
    assert!(mine.body.contains("Не оплачен: получить"), "what to collect");
    let theirs = get(&other_courier, "/crm/my?date=2025-08-25").await;
    assert!(!theirs.body.contains(&order_id), "another courier does not");
    let stolen = post(&other_courier, &format!("/crm/my/{order_id}/picked"), &[]).await;
    assert_eq!(stolen.status, 403);
    assert_eq!(status_of(&order_id).await, "new", "nothing changed");

    let picked = post(&courier, &format!("/crm/my/{order_id}/picked"), &[]).await;
    assert_eq!((picked.status, picked.location.as_deref()), (303, Some("/crm/my?done=picked")));
    assert_eq!(status_of(&order_id).await, "delivering");
    let delivered = post(&courier, &format!("/crm/my/{order_id}/delivered"), &[]).await;
    assert_eq!(delivered.status, 303);
    assert_eq!(status_of(&order_id).await, "completed");
    let bitrix_id = db()
        .await
        .query_one("select bitrix_order_id from orders where id = $1::text::uuid", &[&order_id])
        .await
        .unwrap()
        .get::<_, i64>(0);
    let needle = format!("\"bitrix_order_id\":{bitrix_id}");
    let statuses = eventually(WAIT, "both statuses in Bitrix", || async {
        let calls: Vec<Value> =
            stack.bitrix.received(&needle).into_iter().map(|c| c.body["status_id"].clone()).collect();
        (calls.len() >= 2).then_some(calls)
    })
    .await;
    assert_eq!(statuses, [json!("PD"), json!("CO")]);
    let again = post(&courier, &format!("/crm/my/{order_id}/picked"), &[]).await;
    assert_eq!(again.location.as_deref(), Some("/crm/my?done=too_late"));
}

#[tokio::test]
async fn a_whole_slot_gets_one_courier_and_an_account_that_is_not_a_courier_is_refused() {
    ensure_stack();
    let (_, manager) = account("manager").await;
    let (courier_id, _) = account("courier").await;
    let (florist_id, _) = account("florist").await;
    // A day of its own, so that only these two orders are in its slot.
    let day = format!("2031-0{}-1{}", 1 + fresh_id() % 9, fresh_id() % 10);
    let mut orders = Vec::new();
    for _ in 0..2 {
        let order_id = order().await;
        db().await
            .execute("update orders set delivery_date = $2::text::date where id = $1::text::uuid", &[&order_id, &day])
            .await
            .unwrap();
        orders.push(order_id);
    }

    let refused =
        post(&manager, "/crm/board/courier", &[("date", &day), ("slot", "18"), ("courier", &florist_id)]).await;
    assert!(refused.location.unwrap().ends_with("done=not_a_courier"));
    let set = post(&manager, "/crm/board/courier", &[("date", &day), ("slot", "18"), ("courier", &courier_id)]).await;
    assert_eq!(set.location.as_deref(), Some(format!("/crm?date={day}&done=courier_slot&n=2").as_str()));
    for order_id in &orders {
        assert_eq!(courier_of(order_id).await.as_deref(), Some(courier_id.as_str()));
    }
    let board = get(&manager, &format!("/crm?date={day}")).await;
    assert!(board.body.contains("Курьер на весь слот") && board.body.contains("Проверка courier-"));
}

#[tokio::test]
async fn the_owner_adds_a_florist_whose_temporary_password_opens_the_crm_and_disabling_ends_her_session() {
    ensure_stack();
    let (_, owner) = account("owner").await;
    let login = format!("florist-{}", fresh_id());

    let added = post(&owner, "/crm/staff", &[("login", &login), ("name", "Дана"), ("role", "florist")]).await;
    assert_eq!(added.status, 200, "{}", added.body);
    let password = added.body.split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_owned();
    let (status, cookie, _) = log_in(&login, &password, "192.0.2.151").await;
    assert_eq!(status, 303, "the password shown opens the CRM");
    let florist = cookie.unwrap().split(';').next().unwrap().to_owned();
    assert_eq!(get(&florist, "/crm").await.status, 200);
    assert_eq!(get(&florist, "/crm/sync").await.status, 403);
    let taken = post(&owner, "/crm/staff", &[("login", &login), ("name", "Другая"), ("role", "courier")]).await;
    assert_eq!(taken.status, 422);
    assert!(taken.body.contains("Этот логин уже занят"));

    let id: String =
        db().await.query_one("select id::text from staff where login = $1", &[&login]).await.unwrap().get(0);
    let disabled = post(&owner, &format!("/crm/staff/{id}"), &[("action", "disable")]).await;
    assert_eq!(disabled.location.as_deref(), Some("/crm/staff?done=staff_done"));
    let after = get(&florist, "/crm").await;
    assert_eq!(after.status, 303);
    assert!(after.location.unwrap().starts_with("/crm/login"), "her old session opens nothing");
    assert_eq!(post(&florist, "/crm/orders/new", &[]).await.status, 403);
    let kinds: Vec<String> = db()
        .await
        .query("select kind from crm_changes where subject_staff_id = $1::text::uuid order by id", &[&id])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(kinds, ["staff_added", "staff_disabled"]);
}

#[tokio::test]
async fn the_orders_and_the_report_download_as_csv_that_russian_excel_opens() {
    ensure_stack();
    let (_, manager) = account("manager").await;
    order().await;

    let orders = get(&manager, "/crm/orders/export?date=2025-08-25").await;
    assert_eq!(orders.status, 200);
    assert_eq!(orders.content_type, "text/csv; charset=utf-8");
    assert!(orders.body.starts_with("\u{feff}Номер;Создан;Источник;Статус;Дата доставки"));
    assert!(orders.body.contains(";25.08.2025;") && orders.body.contains(";9000;"), "{}", &orders.body[..400]);
    let report = get(&manager, "/crm/reports/export").await;
    assert!(
        report.body.starts_with("\u{feff}День;Заказов;Выручка, ₸"),
        "{} {}",
        report.status,
        report.body.chars().take(300).collect::<String>()
    );
    let (_, florist) = account("florist").await;
    assert_eq!(get(&florist, "/crm/orders/export").await.status, 403);
}

/// A real 1×1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

fn png() -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(PNG).unwrap()
}

/// The photo form's POST as a phone's browser sends it.
async fn post_photo(cookie: &str, order_id: &str, file: &[u8], filename: &str) -> Page {
    let (content_type, body) = photo_form(file, filename, "image/jpeg");
    let request = client()
        .post(url(&format!("/crm/orders/{order_id}/photo")))
        .header("Cookie", cookie)
        .header("Origin", WORKER)
        .header("Content-Type", content_type)
        .body(body);
    read(request.send().await.unwrap()).await
}

async fn photo_key_of(order_id: &str) -> Option<String> {
    db().await
        .query_one("select bouquet_photo ->> 'key' from orders where id = $1::text::uuid", &[&order_id])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn the_florists_photo_is_told_by_its_bytes_kept_private_and_sent_to_the_chat_once() {
    let stack = ensure_stack();
    let (_, florist) = account("florist").await;
    let order_id = order().await;
    let photo = png();
    let sha256: String = {
        use sha2::Digest;
        sha2::Sha256::digest(&photo).iter().map(|b| format!("{b:02x}")).collect()
    };

    // Named .jpg and sent as image/jpeg: its bytes say PNG.
    let attached = post_photo(&florist, &order_id, &photo, "IMG_0001.jpg").await;
    assert_eq!(attached.status, 303, "{}", attached.body);
    assert!(attached.location.unwrap().ends_with("done=photo"));
    let key = photo_key_of(&order_id).await.expect("the order keeps its photo");
    assert!(key.starts_with(&format!("orders/{order_id}/bouquet-")) && key.ends_with(".png"), "{key}");

    let served =
        client().get(url(&format!("/crm/orders/{order_id}/photo"))).header("Cookie", &florist).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["cache-control"], "private, no-store");
    assert_eq!(served.bytes().await.unwrap().to_vec(), photo, "the bytes come back as they were");
    let anonymous = client().get(url(&format!("/crm/orders/{order_id}/photo"))).send().await.unwrap();
    assert_eq!(anonymous.status(), 303, "no session, no photo");
    let card = get(&florist, &format!("/crm/orders/{order_id}")).await;
    assert!(card.body.contains(&format!("/crm/orders/{order_id}/photo?v=")) && card.body.contains("Собран"));

    let sent = eventually(WAIT, "the photo in the chat", || async {
        let sent = stack.telegram.received(&sha256);
        (!sent.is_empty()).then_some(sent)
    })
    .await;
    assert!(sent[0].path.ends_with("/sendPhoto"), "{}", sent[0].path);
    assert!(sent[0].body["caption"].as_str().unwrap().contains("Букет собран"));
    let again = post_photo(&florist, &order_id, &photo, "IMG_0001.jpg").await;
    assert!(again.location.unwrap().ends_with("done=same_photo"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stack.telegram.received(&sha256).len(), 1, "the chat gets the photo once");
}

#[tokio::test]
async fn a_file_that_is_not_a_photo_a_cut_photo_or_one_over_ten_megabytes_is_refused_in_words_and_nothing_changes() {
    ensure_stack();
    let (_, florist) = account("florist").await;
    let order_id = order().await;
    let photo = png();
    let mut huge = vec![0xFF, 0xD8, 0xFF];
    huge.resize(11 * 1024 * 1024, 0x11);
    let cases: [(&[u8], u16, &str); 3] = [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 a price list", 422, "Это не фото"),
        (&photo[..photo.len() - 8], 422, "Фото загрузилось не полностью"),
        (&huge, 413, "можно не больше 10 МБ"),
    ];
    for (file, status, message) in cases {
        let refused = post_photo(&florist, &order_id, file, "photo.jpg").await;
        assert_eq!(refused.status, status, "{message}");
        assert!(refused.body.contains(message), "{message}");
    }
    assert_eq!(photo_key_of(&order_id).await, None, "nothing was attached");
}

/// The edit form as a browser sends it after the page showed `order`'s fixture values.
fn edit_form<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("seen.recipient_name", "Айгерим Садыкова"),
        ("seen.recipient_phone", "+77015551234"),
        ("seen.delivery_address", "Алматы, пр. Абая 10, кв. 5"),
        ("seen.delivery_date", "2025-08-25"),
        ("seen.delivery_time_id", "18"),
        ("seen.postcard_text", "С днём рождения! Люблю, Марат"),
        ("seen.customer_comment", "Позвонить получателю за час"),
        ("seen.delivery_fee", "1500.00"),
    ];
    form.extend_from_slice(changes);
    form
}

async fn order_value(order_id: &str, column: &str) -> Option<String> {
    db().await
        .query_one(&format!("select {column}::text from orders where id = $1::text::uuid"), &[&order_id])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_manager_edits_an_order_and_bitrix_gets_one_update_with_what_changed_and_a_change_made_there_meanwhile_is_said(
) {
    let stack = ensure_stack();
    let (_, manager) = account("manager").await;
    let order_id = order().await;
    db().await
        .execute(
            "insert into delivery_time_slots (bitrix_slot_id, label) values (19, '16:00-17:00') on conflict do nothing",
            &[],
        )
        .await
        .unwrap();
    let bitrix_id: i64 = db()
        .await
        .query_one("select bitrix_order_id from orders where id = $1::text::uuid", &[&order_id])
        .await
        .unwrap()
        .get(0);
    let bitrix_id = u64::try_from(bitrix_id).unwrap();
    let item: String = db()
        .await
        .query_one("select id::text from order_items where order_id = $1::text::uuid", &[&order_id])
        .await
        .unwrap()
        .get(0);
    // Meanwhile someone changes the address in Bitrix's admin.
    stack.bitrix.edit_in_bitrix(bitrix_id, "addressRecipient", "Алматы, ул. Сатпаева 1");
    let quantity = format!("items[{item}].quantity");

    let form = edit_form(&[
        ("delivery_address", "Алматы, пр. Абая 12, кв. 7"),
        ("delivery_time_id", "19"),
        ("postcard_text", "С днём рождения!"),
        (&quantity, "2"),
    ]);
    let edited = post(&manager, &format!("/crm/orders/{order_id}/edit"), &form).await;

    assert_eq!(edited.status, 303, "{}", edited.body);
    assert!(edited.location.unwrap().ends_with("done=edited"));
    assert_eq!(order_value(&order_id, "delivery_address").await.as_deref(), Some("Алматы, пр. Абая 12, кв. 7"));
    assert_eq!(order_value(&order_id, "delivery_time_id").await.as_deref(), Some("19"));
    assert_eq!(order_value(&order_id, "total_amount").await.as_deref(), Some("16500.0000"), "2 × 7500 + 1500");
    let needle = format!("\"bitrix_order_id\":{bitrix_id}");
    let updates = eventually(WAIT, "the update in Bitrix", || async {
        let calls: Vec<Value> = stack
            .bitrix
            .received(&needle)
            .into_iter()
            .filter(|c| c.body["action"] == "order.update")
            .map(|c| c.body)
            .collect();
        (!calls.is_empty()).then_some(calls)
    })
    .await;
    assert_eq!(updates.len(), 1, "one order.update per edit");
    let fields = &updates[0]["fields"]["properties"];
    assert_eq!(fields["addressRecipient"], "Алматы, пр. Абая 12, кв. 7");
    assert_eq!(fields["when"], "19");
    assert_eq!(fields["postcardText"], "С днём рождения!");
    assert!(fields.get("nameRecipient").is_none(), "only what the edit touched");
    let sent_quantity = updates[0]["basket"][0]["quantity"].as_str().unwrap().parse::<f64>().unwrap();
    assert!((sent_quantity - 2.0).abs() < f64::EPSILON, "{sent_quantity}");
    assert_eq!(updates[0]["seen"]["properties"]["addressRecipient"], "Алматы, пр. Абая 10, кв. 5");
    let card = eventually(WAIT, "the timeline to say what Bitrix had", || async {
        let card = get(&manager, &format!("/crm/orders/{order_id}")).await;
        card.body.contains("правка CRM заменила").then_some(card)
    })
    .await;
    assert!(card.body.contains("Адрес: «Алматы, пр. Абая 10, кв. 5» → «Алматы, пр. Абая 12, кв. 7»"));
    assert!(card.body.contains("Букет Стандарт: × 1 → × 2"));
    assert!(card.body.contains("addressRecipient (было «Алматы, ул. Сатпаева 1»)"));
}

#[tokio::test]
async fn an_edit_of_an_order_changed_since_the_form_opened_or_with_bad_fields_changes_nothing_and_says_why() {
    let stack = ensure_stack();
    let (_, manager) = account("manager").await;
    let order_id = order().await;
    let item: String = db()
        .await
        .query_one("select id::text from order_items where order_id = $1::text::uuid", &[&order_id])
        .await
        .unwrap()
        .get(0);
    let quantity = format!("items[{item}].quantity");

    let mut moved = edit_form(&[("delivery_address", "Алматы, пр. Абая 12")]);
    moved.retain(|(k, _)| *k != "seen.delivery_address");
    moved.push(("seen.delivery_address", "Алматы, где-то ещё"));
    let refused = post(&manager, &format!("/crm/orders/{order_id}/edit"), &moved).await;
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("Пока вы редактировали, заказ изменили (Адрес)"));

    for (field, value, message) in [
        ("recipient_name", " ", "Это поле нельзя оставить пустым"),
        ("delivery_date", "2020-01-01", "Дата доставки уже прошла"),
        ("delivery_time_id", "99999", "Такого времени доставки нет"),
        (quantity.as_str(), "0", "Количество — число от 1 до 999"),
        (quantity.as_str(), "10000", "Количество — число от 1 до 999"),
    ] {
        let bad = post(&manager, &format!("/crm/orders/{order_id}/edit"), &edit_form(&[(field, value)])).await;
        assert_eq!(bad.status, 422, "{field}={value}");
        assert!(bad.body.contains(message), "{field}={value}: {message}");
    }
    assert_eq!(order_value(&order_id, "delivery_address").await.as_deref(), Some("Алматы, пр. Абая 10, кв. 5"));
    assert_eq!(order_value(&order_id, "recipient_name").await.as_deref(), Some("Айгерим Садыкова"));
    let kinds: i64 = db()
        .await
        .query_one(
            "select count(*) from crm_changes where order_id = $1::text::uuid and kind = 'order_edited'",
            &[&order_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kinds, 0, "nothing was recorded");
    let bitrix_id: i64 = db()
        .await
        .query_one("select bitrix_order_id from orders where id = $1::text::uuid", &[&order_id])
        .await
        .unwrap()
        .get(0);
    let updates = stack.bitrix.received(&format!("\"bitrix_order_id\":{bitrix_id}"));
    assert!(updates.iter().all(|c| c.body["action"] != "order.update"), "nothing went to Bitrix");
    let (_, florist) = account("florist").await;
    assert_eq!(post(&florist, &format!("/crm/orders/{order_id}/edit"), &edit_form(&[])).await.status, 403);
}

/// «Доставлено» as the courier's phone sends it, with a photo of the handover.
async fn deliver_with_photo(cookie: &str, order_id: &str, file: &[u8]) -> Page {
    let (content_type, body) = photo_form(file, "handover.png", "image/png");
    let request = client()
        .post(url(&format!("/crm/my/{order_id}/delivered")))
        .header("Cookie", cookie)
        .header("Origin", WORKER)
        .header("Content-Type", content_type)
        .body(body);
    read(request.send().await.unwrap()).await
}

#[tokio::test]
async fn the_courier_may_deliver_with_a_photo_of_the_handover_which_the_manager_sees_and_a_bad_one_is_refused() {
    ensure_stack();
    let (_, manager) = account("manager").await;
    let (courier_id, courier) = account("courier").await;
    let order_id = order().await;
    post(&manager, &format!("/crm/orders/{order_id}/courier"), &[("courier", &courier_id)]).await;

    let refused = deliver_with_photo(&courier, &order_id, b"not a photo at all").await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("Это не фото"));
    assert_eq!(status_of(&order_id).await, "new", "nothing changed");

    let delivered = deliver_with_photo(&courier, &order_id, &png()).await;
    assert_eq!(delivered.location.as_deref(), Some("/crm/my?done=delivered"), "{}", delivered.body);
    assert_eq!(status_of(&order_id).await, "completed");
    let card = get(&manager, &format!("/crm/orders/{order_id}")).await;
    assert!(card.body.contains(&format!("/crm/orders/{order_id}/handover-photo?v=")));
    let photo = client()
        .get(url(&format!("/crm/orders/{order_id}/handover-photo")))
        .header("Cookie", &manager)
        .send()
        .await
        .unwrap();
    assert_eq!(photo.headers()["cache-control"], "private, no-store");
    assert_eq!(photo.bytes().await.unwrap().to_vec(), png());
}

#[tokio::test]
async fn a_day_whose_orders_sum_past_the_money_range_is_reported_at_the_cap_never_a_500() {
    ensure_stack();
    let (_, manager) = account("manager").await;
    // Two orders at the largest total a webhook may carry, on a day of their own.
    let day = format!("2019-0{}-1{}", 1 + fresh_id() % 9, fresh_id() % 10);
    for _ in 0..2 {
        db().await
            .execute(
                "insert into orders (bitrix_order_id, status, total_amount, created_at)
                 values ($1, 'accepted', 922337203685477.5807, $2::text::date + time '12:00')",
                &[&i64::try_from(9_100_000 + fresh_id()).unwrap(), &day],
            )
            .await
            .unwrap();
    }
    let page = get(&manager, &format!("/crm/reports?from={day}&to={day}")).await;
    assert_eq!(page.status, 200);
    let csv = get(&manager, &format!("/crm/reports/export?from={day}&to={day}")).await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.contains(";922337203685477,5807;"), "{}", csv.body);
}
