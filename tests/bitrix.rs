//! The Bitrix half, end to end: the PHP kit's real gateway, handler, outbox and sender (served by
//! `php -S`, over the SqliteShop stand-in for Bitrix's API) against the real Worker, PostgREST
//! and PostgreSQL. Orders made in the CRM reach Bitrix once and their signed webhooks link back;
//! echoes are told by key; the Worker can be away and every event still arrives once, in order;
//! reconciliation repairs what went missing. A binary of its own: its tests share the kit's
//! settings and one stops the Worker, so they run one at a time.

#[path = "integration/fakes.rs"]
mod fakes;
#[path = "integration/harness.rs"]
mod harness;

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use harness::{
    crm, db, ensure_stack_with, eventually, exclusive, insert_product, order_id_of, send, settled, settled_order,
    start_worker, stop_worker, Job, WEBHOOK_SIGNING_SECRET,
};

const KIT_PORT: u16 = 55392;
const WAIT: Duration = Duration::from_secs(60);

fn kit_url(path: &str) -> String {
    format!("http://127.0.0.1:{KIT_PORT}{path}")
}

/// Starts `php -S` with the kit (once per run) and the stack with its gateway as BITRIX_API_URL.
fn ensure_kit() -> &'static harness::Stack {
    static GATEWAY: OnceLock<String> = OnceLock::new();
    let gateway = GATEWAY.get_or_init(|| kit_url("/bitrix/tools/cvety.crm/gateway.php"));
    let stack = ensure_stack_with(&[("BITRIX_API_URL", gateway.as_str())]);
    static KIT: OnceLock<()> = OnceLock::new();
    KIT.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let state = root.join(".local/test/bitrix");
        let _ = std::fs::remove_dir_all(&state);
        std::fs::create_dir_all(&state).unwrap();
        let run = root.join(".local/test/run");
        std::fs::create_dir_all(&run).unwrap();
        let log = std::fs::File::create(root.join(".local/test/logs/bitrix-kit.log")).unwrap();
        // Detached on purpose: it outlives this process and `stack.sh down` stops it by its pid file.
        #[allow(clippy::zombie_processes)]
        let child = Command::new("setsid")
            .args(["php", "-S", &format!("127.0.0.1:{KIT_PORT}"), "bitrix/tests/server/router.php"])
            .current_dir(root)
            .env("CVETY_KIT_DSN", format!("sqlite:{}", state.join("kit.sqlite").display()))
            .env("CVETY_SHOP_DB", state.join("shop.sqlite"))
            .env("CVETY_WORKER_URL", format!("{}/webhooks/bitrix/order", harness::WORKER))
            .env("WEBHOOK_SIGNING_SECRET", WEBHOOK_SIGNING_SECRET)
            .env("BITRIX_API_TOKEN", fakes::BITRIX_API_TOKEN)
            // The outbox's waits shortened (30 s, 1 min, … in production): the tests wait seconds.
            .env("CVETY_RETRY_DELAYS", "1,2,3")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("php -S could not start (is php-cli installed? scripts/test.sh installs it)");
        std::fs::write(run.join("bitrix.pid"), child.id().to_string()).unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", KIT_PORT)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("php -S did not listen on {KIT_PORT}");
    });
    stack
}

async fn shop(method: Method, path: &str, body: Option<Value>) -> Value {
    let mut request = reqwest::Client::new().request(method, kit_url(&format!("/__shop/{path}")));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request.send().await.expect("the kit's server answers");
    answer.json().await.unwrap_or(Value::Null)
}

/// When the kit sends a page's webhooks: "after" the answer (as on Bitrix), "before" it.
async fn flush_mode(mode: &str) {
    shop(Method::POST, "settings", Some(json!({"flush": mode}))).await;
}

/// A buyer's order on the storefront, in Bitrix; returns its id.
async fn storefront_order(recipient: &str) -> u64 {
    let body = json!({"properties": {"nameRecipient": recipient, "phoneRecipient": "+77015551234",
                                     "addressRecipient": "Алматы, пр. Абая 10", "data": "2025-08-25", "city": "2",
                                     "when": "18", "shopId": "17008"},
                      "basket": [{"product_id": 15652, "name": "Букет Стандарт", "price": "7500.00", "quantity": "1"}]});
    shop(Method::POST, "orders", Some(body)).await["id"].as_u64().unwrap()
}

/// A manager sets a status in Bitrix's admin.
async fn manager_sets_status(bitrix_id: u64, code: &str) {
    let answer = shop(Method::POST, &format!("orders/{bitrix_id}/status"), Some(json!({"status_id": code}))).await;
    assert_eq!(answer["changed"], true, "{answer}");
}

fn new_order(recipient: &str) -> Value {
    json!({"recipient_name": recipient, "recipient_phone": "+7 701 555 12 34", "delivery_address": "Алматы, пр. Абая 10",
           "delivery_date": "2025-08-25", "delivery_time_id": 18, "bitrix_city_id": 2, "bitrix_shop_id": 17008,
           "delivery_fee": "1500.00",
           "items": [{"bitrix_product_id": 15652, "name": "Букет Стандарт", "price": "7500.00", "quantity": 1}]})
}

async fn outbox_of(bitrix_id: u64) -> Vec<Value> {
    let all = shop(Method::GET, "outbox", None).await;
    all.as_array().unwrap().iter().filter(|row| row["order_id"] == bitrix_id).cloned().collect()
}

/// Every outbox event of the order sent: (event, crm_change_key), in order.
async fn delivered(bitrix_id: u64, count: usize) -> Vec<(String, Value)> {
    eventually(WAIT, "the order's outbox to be sent", || async {
        let rows = outbox_of(bitrix_id).await;
        (rows.len() == count && rows.iter().all(|row| !row["sent_at"].is_null())).then(|| {
            rows.iter()
                .map(|row| {
                    let body: Value = serde_json::from_str(row["body"].as_str().unwrap()).unwrap();
                    (row["event"].as_str().unwrap().to_owned(), body["data"]["crm_change_key"].clone())
                })
                .collect()
        })
    })
    .await
}

async fn webhook_outcomes(bitrix_id: u64) -> Vec<(String, String)> {
    let id = i64::try_from(bitrix_id).unwrap();
    db().await
        .query(
            "select event_type, outcome from webhook_events where bitrix_order_id = $1 order by received_at, event_key",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

async fn crm_status(bitrix_id: u64) -> String {
    let id = i64::try_from(bitrix_id).unwrap();
    db().await.query_one("select status from orders where bitrix_order_id = $1", &[&id]).await.unwrap().get(0)
}

async fn orders_named(recipient: &str) -> i64 {
    db().await.query_one("select count(*) from orders where recipient_name = $1", &[&recipient]).await.unwrap().get(0)
}

fn short(jobs: &[Job]) -> Vec<(&str, &str, i32)> {
    jobs.iter().map(Job::short).collect()
}

/// The CRM order reaches Bitrix once, and the signed webhook Bitrix's save fires links to it.
async fn crm_order_round_trip(recipient: &str) {
    let stack = ensure_kit();
    let created = crm(Method::POST, "/api/orders", Some(new_order(recipient))).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let order_id = created.body["order_id"].as_str().unwrap().to_owned();

    let jobs = settled_order(&order_id).await;
    let bitrix_id = eventually(WAIT, "the Bitrix id written back", || async {
        let row = db()
            .await
            .query_one("select bitrix_order_id from orders where id = $1::text::uuid", &[&order_id])
            .await
            .unwrap();
        row.get::<_, Option<i64>>(0).map(|id| u64::try_from(id).unwrap())
    })
    .await;

    let in_bitrix = shop(Method::GET, &format!("crm-orders?crm_order_id={order_id}"), None).await;
    assert_eq!(in_bitrix["id"], bitrix_id, "one Bitrix order, carrying the CRM's id");
    let log = shop(Method::GET, "gateway-log", None).await;
    let creates: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["request_key"].as_str().unwrap_or("").contains(&order_id))
        .collect();
    assert_eq!(creates.len(), 1, "the gateway was asked once: {creates:?}");
    assert_eq!(creates[0]["status"], 200);
    let events = delivered(bitrix_id, 1).await;
    assert_eq!(events, [("order.create".to_owned(), json!(format!("bitrix:create_order:{order_id}")))]);
    let applied = eventually(WAIT, "the webhook applied", || async {
        let outcomes = webhook_outcomes(bitrix_id).await;
        (!outcomes.is_empty()).then_some(outcomes)
    })
    .await;
    assert_eq!(applied.len(), 1);
    assert_ne!(applied[0].1, "created", "the webhook linked the CRM order: {applied:?}");
    assert_eq!(orders_named(recipient).await, 1, "no second order");
    assert_eq!(order_id_of(bitrix_id).await, order_id);
    assert_eq!(short(&jobs), [("reverse_sync", "done", 1), ("telegram", "done", 1)]);
    let messages = settled_order(&order_id).await;
    assert_eq!(short(&messages), [("reverse_sync", "done", 1), ("telegram", "done", 1)], "no second message");
    assert_eq!(stack.telegram.received(recipient).len(), 1);
}

#[tokio::test]
async fn a_crm_order_reaches_bitrix_once_and_the_signed_webhook_its_save_fires_links_to_it() {
    ensure_kit();
    let _alone = exclusive().await;
    flush_mode("after").await;
    crm_order_round_trip("Круговой после ответа").await;
}

#[tokio::test]
async fn a_crm_order_whose_webhook_arrives_before_the_gateway_has_answered_is_linked_all_the_same() {
    ensure_kit();
    let _alone = exclusive().await;
    flush_mode("before").await;
    crm_order_round_trip("Круговой до ответа").await;
    flush_mode("after").await;
}

#[tokio::test]
async fn a_crm_status_changes_echo_is_told_by_its_key_and_a_real_bitrix_change_to_the_same_code_is_applied_and_announced(
) {
    let stack = ensure_kit();
    let _alone = exclusive().await;
    flush_mode("after").await;
    let recipient = "Эхо по ключу";
    let bitrix_id = storefront_order(recipient).await;
    let order_id = eventually(WAIT, "the storefront order in the CRM", || async {
        let rows = db()
            .await
            .query("select id::text from orders where bitrix_order_id = $1", &[&i64::try_from(bitrix_id).unwrap()])
            .await
            .unwrap();
        rows.first().map(|row| row.get::<_, String>(0))
    })
    .await;

    let set = crm(Method::PATCH, &format!("/api/orders/{order_id}/status"), Some(json!({"status": "accepted"}))).await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    let events = delivered(bitrix_id, 2).await;
    assert_eq!(events[1].0, "order.status.change");
    assert!(events[1].1.as_str().unwrap().starts_with(&format!("bitrix:status:{order_id}:")), "{events:?}");
    let echo = eventually(WAIT, "the echo applied", || async {
        let outcomes = webhook_outcomes(bitrix_id).await;
        (outcomes.len() == 2).then(|| outcomes[1].clone())
    })
    .await;
    assert_eq!(echo, ("order.status.change".to_owned(), "unchanged".to_owned()), "the echo changes nothing");

    // Later, in Bitrix's admin: to the courier, then back to the code the CRM sent (AP).
    manager_sets_status(bitrix_id, "PD").await;
    delivered(bitrix_id, 3).await;
    manager_sets_status(bitrix_id, "AP").await;
    delivered(bitrix_id, 4).await;
    eventually(WAIT, "both changes applied", || async { (webhook_outcomes(bitrix_id).await.len() == 4).then_some(()) })
        .await;
    assert_eq!(crm_status(bitrix_id).await, "accepted");
    let jobs = settled_order(&order_id).await;
    let messages = jobs.iter().filter(|job| job.flow == "telegram").count();
    assert_eq!(messages, 4, "the new order, the CRM's change, Bitrix's two changes; none for the echo: {jobs:?}");
    assert_eq!(stack.telegram.received(recipient).len(), 4);
}

#[tokio::test]
async fn availability_set_in_the_crm_reaches_bitrixs_catalogue() {
    ensure_kit();
    let _alone = exclusive().await;
    let product_id = insert_product("Розы красные", 15653, None).await;
    let set = crm(Method::POST, &format!("/api/products/{product_id}/set-unavailable"), None).await;
    assert_eq!(set.body["success"], true);
    let jobs = settled("product_id", &product_id).await;
    assert_eq!(short(&jobs), [("availability_sync", "done", 1)]);
    assert_eq!(shop(Method::GET, "products?id=15653", None).await["in_stock"], "159");
}

#[tokio::test]
async fn the_catalogue_and_the_reference_data_are_loaded_from_the_kits_snapshots() {
    ensure_kit();
    let _alone = exclusive().await;
    let catalog = crm(Method::POST, "/api/ops/catalog/run", None).await;
    let reference = crm(Method::POST, "/api/ops/reference/run", None).await;

    assert_eq!(catalog.status, 200, "{:?}", catalog.body);
    assert!(catalog.body["outcome"]["products"].as_u64().unwrap() >= 3, "{:?}", catalog.body);
    let row = db()
        .await
        .query_one(
            "select name, section_name, picture_url, active from products
             where metadata -> 'properties' ->> 'bitrix_id' = '15654'",
            &[],
        )
        .await
        .unwrap();
    let product: (String, Option<String>, Option<String>, bool) = (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(
        product,
        (
            "Тюльпаны (нет на складе)".into(),
            Some("Букеты".into()),
            Some("https://cvety.kz/upload/iblock/15654.jpg".into()),
            true
        )
    );
    assert_eq!(reference.status, 200, "{:?}", reference.body);
    assert_eq!(reference.body["outcome"]["slots"], 3, "{:?}", reference.body);
    let evening: (String, Option<String>) = {
        let row = db()
            .await
            .query_one("select label, starts_at::text from delivery_time_slots where bitrix_slot_id = 23", &[])
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(evening, ("21:00-22:00".into(), Some("21:00:00".into())), "its times read from its name");
}

#[tokio::test]
async fn with_the_worker_away_every_outbox_event_is_delivered_once_and_in_order_when_it_is_back() {
    ensure_kit();
    let _alone = exclusive().await;
    flush_mode("after").await;
    stop_worker();
    let bitrix_id = storefront_order("Пока Worker лежит").await;
    manager_sets_status(bitrix_id, "AP").await;
    manager_sets_status(bitrix_id, "PD").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let waiting = outbox_of(bitrix_id).await;
    assert_eq!(waiting.len(), 3);
    assert!(waiting.iter().all(|row| row["sent_at"].is_null()), "nothing got through: {waiting:?}");
    assert!(waiting[0]["attempts"].as_u64().unwrap() >= 1, "the first was tried: {waiting:?}");
    assert_eq!(waiting[1]["attempts"], 0, "the later ones wait behind it");

    start_worker();
    // The cron agent's run (every minute on the shop's server).
    let flushed = shop(Method::POST, "flush", None).await;

    assert_eq!(flushed["unsent"], 0, "{flushed}");
    let events = delivered(bitrix_id, 3).await;
    let names: Vec<&str> = events.iter().map(|(event, _)| event.as_str()).collect();
    assert_eq!(names, ["order.create", "order.status.change", "order.status.change"]);
    let outcomes = eventually(WAIT, "the three events applied", || async {
        let outcomes = webhook_outcomes(bitrix_id).await;
        (outcomes.len() == 3).then_some(outcomes)
    })
    .await;
    assert_eq!(
        outcomes.iter().map(|(_, outcome)| outcome.as_str()).collect::<Vec<_>>(),
        ["created", "updated", "updated"],
        "each once, none a duplicate, in the order they happened"
    );
    assert_eq!(crm_status(bitrix_id).await, "delivering");
}

#[tokio::test]
async fn reconciliation_finds_a_deleted_order_and_a_changed_status_and_repairs_both() {
    let stack = ensure_kit();
    let _alone = exclusive().await;
    flush_mode("after").await;
    let gone = storefront_order("Сверка: удалённый").await;
    let changed = storefront_order("Сверка: другой статус").await;
    delivered(gone, 1).await;
    delivered(changed, 1).await;
    eventually(WAIT, "both orders in the CRM", || async {
        (webhook_outcomes(gone).await.len() == 1 && webhook_outcomes(changed).await.len() == 1).then_some(())
    })
    .await;
    let client = db().await;
    client.execute("delete from orders where bitrix_order_id = $1", &[&i64::try_from(gone).unwrap()]).await.unwrap();
    client
        .execute(
            "update orders set status = 'completed', status_raw = 'CO' where bitrix_order_id = $1",
            &[&i64::try_from(changed).unwrap()],
        )
        .await
        .unwrap();

    let run = crm(Method::POST, "/api/ops/reconcile/run", None).await;

    assert_eq!(run.status, 200, "{:?}", run.body);
    let outcome = &run.body["outcome"];
    let differences = outcome["differences"].as_array().unwrap();
    assert!(differences.contains(&json!({"kind": "missing", "bitrix_order_id": gone})), "{differences:?}");
    assert!(
        differences.contains(&json!({"kind": "status", "bitrix_order_id": changed, "bitrix": "N", "crm": "CO"})),
        "{differences:?}"
    );
    assert!(outcome["resent"].as_u64().unwrap() >= 2);
    eventually(WAIT, "the deleted order back and the status repaired", || async {
        let back = db()
            .await
            .query("select recipient_name from orders where bitrix_order_id = $1", &[&i64::try_from(gone).unwrap()])
            .await
            .unwrap();
        (back.len() == 1 && crm_status(changed).await == "new").then_some(())
    })
    .await;
    let status =
        send(reqwest::Client::new().get(harness::url("/api/sync/status")).bearer_auth(harness::CRM_TOKEN)).await;
    assert_eq!(status.body["reconciliation"]["id"], run.body["reconciliation_id"]);
    let message = eventually(WAIT, "the drift's message", || async {
        stack
            .telegram
            .received("Сверка с Bitrix")
            .into_iter()
            .find(|r| r.body["text"].as_str().unwrap_or("").contains(&gone.to_string()))
    })
    .await;
    assert!(message.body["text"].as_str().unwrap().contains("<b>Нет в CRM</b>"));
}
