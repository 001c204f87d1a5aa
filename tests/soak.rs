//! The fuzzing soak: N mutated webhooks (`SOAK_WEBHOOKS`, default 1,000; `make soak` sends
//! 10,000) against the real stack with notifications on, from a seeded generator
//! (`SOAK_SEED`, printed, so any run can be repeated). Then it checks what the shop relies on:
//! every answer is 200, 202, 400, 401 or 413; `/health` answered within a second throughout;
//! every job ended (done, not dead) within a minute of the last webhook; and no order is
//! half-written: an accepted order holds exactly what its webhook said, a refused one left
//! nothing. Its own binary: the figures it prints are its own.

#[path = "integration/fakes.rs"]
mod fakes;
#[path = "integration/harness.rs"]
mod harness;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cvety_crm::domain::order::parse_webhook;
use cvety_crm::domain::text::remove_nul;
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

use harness::{db, ensure_stack, fixture, url};

/// A small, seeded generator (xorshift64*): the same seed makes the same webhooks.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Where a mutation can strike: a path in `data`.
const FIELDS: [&[&str]; 22] = [
    &["ID"],
    &["ACCOUNT_NUMBER"],
    &["STATUS_ID"],
    &["USER_ID"],
    &["PRICE"],
    &["PRICE_DELIVERY"],
    &["CURRENCY"],
    &["DATE_INSERT"],
    &["DATE_UPDATE"],
    &["USER_DESCRIPTION"],
    &["properties", "nameRecipient"],
    &["properties", "phoneRecipient"],
    &["properties", "addressRecipient"],
    &["properties", "postcardText"],
    &["properties", "data"],
    &["properties", "city"],
    &["properties", "when"],
    &["properties", "shopId"],
    &["properties", "crmOrderId"],
    &["basket", "0", "PRICE"],
    &["basket", "0", "QUANTITY"],
    &["basket", "0", "NAME"],
];

fn slot<'a>(data: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    let mut at = data;
    for key in path {
        at = match key.parse::<usize>() {
            Ok(index) => at.get_mut(index)?,
            Err(_) => at.get_mut(*key)?,
        };
    }
    Some(at)
}

const ODD_TEXT: [&str; 16] = [
    "",
    " ",
    "-5",
    "-0.01",
    "NaN",
    "Infinity",
    "1e400",
    "99999999999999999999999999999999999999",
    "0",
    "0.00001",
    "2025-02-30",
    "0000-00-00",
    "9999-99-99T99:99:99",
    "2025-08-24T13:05:11+25:00",
    "1899-12-31",
    "\u{0}",
];

/// The bytes of one webhook, and the mutation that made it.
struct Webhook {
    body: Vec<u8>,
    kind: &'static str,
}

fn control_text(rng: &mut Rng) -> String {
    let mut text = String::from("Имя");
    for _ in 0..1 + rng.below(6) {
        let c = char::from_u32(*rng.pick(&[0_u32, 1, 7, 8, 9, 10, 13, 27, 31, 127, 0x2028, 0xFEFF])).unwrap();
        text.insert(text.char_indices().nth(rng.below(3)).map_or(text.len(), |(i, _)| i), c);
    }
    text
}

fn mutate(rng: &mut Rng, id: u64) -> Webhook {
    let mut body = fixture("order-create.json", Some(id));
    body["data"]["properties"]["nameRecipient"] = json!(format!("Соак {id}"));
    let kind = *rng.pick(&[
        "valid",
        "swap_type",
        "missing",
        "empty",
        "odd_value",
        "control_chars",
        "long_text",
        "truncated",
        "unknown_event",
        "bad_signature",
        "oversized",
        "php_shapes",
        "status_change",
        "duplicate_basket",
        "raw_nan",
        "lone_surrogate",
        "deep_nesting",
        "many_lines",
    ]);
    let field = *rng.pick(&FIELDS);
    let data = &mut body["data"];
    match kind {
        "swap_type" => {
            if let Some(value) = slot(data, field) {
                *value = rng
                    .pick(&[
                        json!(12.5),
                        json!(-7),
                        json!(true),
                        json!(null),
                        json!({"x": 1}),
                        json!([1, "2"]),
                        json!(u64::MAX),
                        json!(1e300),
                    ])
                    .clone();
            }
        }
        "missing" => {
            let (last, parent) = field.split_last().unwrap();
            if let Some(parent) = slot(data, parent).and_then(Value::as_object_mut) {
                parent.remove(*last);
            }
        }
        "empty" => {
            if let Some(value) = slot(data, field) {
                *value = json!("");
            }
        }
        "odd_value" => {
            if let Some(value) = slot(data, field) {
                *value = json!(*rng.pick(&ODD_TEXT));
            }
        }
        "control_chars" => {
            if let Some(value) = slot(data, field) {
                *value = json!(control_text(rng));
            }
        }
        "long_text" => {
            if let Some(value) = slot(data, field) {
                *value = json!("Длинный текст <b>&</b> 🌷 ".repeat(5000 / 24 + rng.below(50)));
            }
        }
        "unknown_event" => body["event"] = json!(rng.pick(&["order.delete", "", "ORDER.CREATE", "order.create\u{0}"])),
        "php_shapes" => {
            let line = data["basket"][0].clone();
            data["basket"] = json!({"7": line});
            if rng.chance(50) {
                data["user"] = json!([]);
            }
        }
        "status_change" => {
            body["event"] = json!("order.status.change");
            body["data"] = json!({"ID": id.to_string(), "STATUS_ID": rng.pick(&["N", "AP", "PD", "ZZ", "", "\u{0}"]),
                                  "DATE_UPDATE": "2025-08-25T10:00:00+05:00"});
        }
        "duplicate_basket" => {
            let line = data["basket"][0].clone();
            data["basket"] = json!([line.clone(), line]);
        }
        "many_lines" => {
            let lines: Vec<Value> = (0..200 + rng.below(200))
                .map(|n| {
                    json!({"ID": (1_000_000 + n).to_string(), "PRODUCT_ID": "15652", "NAME": format!("Роза №{n} «<>&»"),
                                "PRICE": "1500.00", "QUANTITY": "1", "CURRENCY": "KZT"})
                })
                .collect();
            data["basket"] = Value::Array(lines);
        }
        _ => {}
    }
    let mut text = serde_json::to_string(&body).unwrap();
    match kind {
        "truncated" => {
            let mut at = rng.below(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.truncate(at);
        }
        "raw_nan" => text = text.replacen("\"9000.00\"", rng.pick::<&str>(&["NaN", "1e400", "-Infinity", "0x10"]), 1),
        "lone_surrogate" => text = text.replacen("Соак", "\\ud800Соак", 1),
        "deep_nesting" => {
            text = text.replacen("\"user\":", &format!("\"user\":{}1{},\"x\":", "[".repeat(300), "]".repeat(300)), 1)
        }
        "oversized" => {
            text =
                text.replacen("\"USER_DESCRIPTION\":\"", &format!("\"USER_DESCRIPTION\":\"{}", "ы".repeat(60_000)), 1)
        }
        _ => {}
    }
    Webhook { body: text.into_bytes(), kind }
}

/// What the Worker answered, with what the test expects of the store afterwards.
struct Sent {
    id: u64,
    kind: &'static str,
    status: u16,
    outcome: Option<String>,
    /// For an accepted event: the basket lines it carried (`None`: it carried none).
    basket: Option<usize>,
}

fn expected_basket(body: &[u8]) -> Option<usize> {
    let mut json: Value = serde_json::from_slice(body).ok()?;
    remove_nul(&mut json);
    parse_webhook(json).ok()?.basket.map(|lines| lines.len())
}

#[tokio::test]
async fn thousands_of_mutated_webhooks_cost_no_5xx_no_stuck_job_and_no_half_written_order() {
    let stack = ensure_stack();
    let total: usize = std::env::var("SOAK_WEBHOOKS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let seed: u64 = std::env::var("SOAK_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or_else(|| {
        u64::try_from(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() % (1 << 63),
        )
        .unwrap()
            | 1
    });
    eprintln!("soak: {total} webhooks, SOAK_SEED={seed}");
    let mut rng = Rng(seed);
    let first_id = 5_000_000_u64;
    let webhooks: Vec<(u64, Webhook)> =
        (0..total as u64).map(|n| (first_id + n, mutate(&mut rng, first_id + n))).collect();

    // /health, polled throughout.
    let running = Arc::new(AtomicBool::new(true));
    let health = tokio::spawn({
        let running = running.clone();
        async move {
            let client = reqwest::Client::new();
            let mut slowest = Duration::ZERO;
            let mut failures = Vec::new();
            while running.load(Ordering::Relaxed) {
                let started = Instant::now();
                match client.get(url("/health")).timeout(Duration::from_secs(5)).send().await {
                    Ok(answer) if answer.status() == 200 => {}
                    other => failures.push(format!("{other:?}")),
                }
                slowest = slowest.max(started.elapsed());
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            (slowest, failures)
        }
    });

    let started = Instant::now();
    let client = reqwest::Client::new();
    let sent: Vec<Sent> = stream::iter(webhooks)
        .map(|(id, webhook)| {
            let client = client.clone();
            async move {
                let mut headers = harness::signature_headers(&webhook.body, harness::unix_now());
                if webhook.kind == "bad_signature" {
                    // The signature of another body: what a tampering proxy would send.
                    headers = harness::signature_headers(b"{}", harness::unix_now());
                }
                let mut request = client
                    .post(url("/webhooks/bitrix/order"))
                    .header("Content-Type", "application/json")
                    .body(webhook.body.clone());
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                let answer = harness::send(request).await;
                let accepted = answer.status == 200 || answer.status == 202;
                Sent {
                    id,
                    kind: webhook.kind,
                    status: answer.status,
                    outcome: answer.body["outcome"].as_str().map(str::to_owned),
                    basket: if accepted { expected_basket(&webhook.body) } else { None },
                }
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let sending = started.elapsed();

    // Every job ends within a minute of the last webhook.
    let drain_started = Instant::now();
    let db = db().await;
    let unfinished = loop {
        let open: i64 = db
            .query_one("select count(*) from sync_jobs where status in ('pending', 'running', 'retrying')", &[])
            .await
            .unwrap()
            .get(0);
        if open == 0 || drain_started.elapsed() > Duration::from_secs(60) {
            break open;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let drained = drain_started.elapsed();
    running.store(false, Ordering::Relaxed);
    let (slowest_health, health_failures) = health.await.unwrap();

    // The figures.
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let mut by_kind: BTreeMap<(&str, u16), usize> = BTreeMap::new();
    for answer in &sent {
        *by_status.entry(answer.status).or_default() += 1;
        *by_kind.entry((answer.kind, answer.status)).or_default() += 1;
    }
    let jobs: Vec<(String, String, i64)> = db
        .query("select flow, status, count(*) from sync_jobs group by 1, 2 order by 1, 2", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let messages = stack.telegram.received("Соак").len();
    eprintln!(
        "soak figures: webhooks={total} seconds={:.1} per_second={:.0} answers={by_status:?} \
         health_slowest_ms={} jobs_drained_after_last_webhook_ms={} jobs={jobs:?} telegram_messages={messages}",
        sending.as_secs_f64(),
        total as f64 / sending.as_secs_f64(),
        slowest_health.as_millis(),
        drained.as_millis()
    );
    eprintln!("soak answers by mutation: {by_kind:?}");

    let unexpected: Vec<String> = sent
        .iter()
        .filter(|a| ![200, 202, 400, 401, 413].contains(&a.status))
        .map(|a| format!("{} ({}): {}", a.id, a.kind, a.status))
        .collect();
    assert!(unexpected.is_empty(), "answers outside 200/202/400/401/413 (seed {seed}): {unexpected:?}");
    assert!(health_failures.is_empty(), "/health failed: {health_failures:?}");
    assert!(slowest_health < Duration::from_secs(1), "/health took {slowest_health:?}");
    assert_eq!(unfinished, 0, "jobs still open a minute after the last webhook (seed {seed})");
    let failed: Vec<&(String, String, i64)> = jobs.iter().filter(|(_, status, _)| status == "dead").collect();
    assert!(failed.is_empty(), "dead jobs (seed {seed}): {failed:?}");
    let pending_events: i64 =
        db.query_one("select count(*) from webhook_events where outcome = 'pending'", &[]).await.unwrap().get(0);
    assert_eq!(pending_events, 0, "an event left half-applied");

    // No order half-written: each accepted one holds exactly its basket; each refused one nothing.
    for answer in &sent {
        let id = i64::try_from(answer.id).unwrap();
        let row = db
            .query_one(
                "select (select count(*) from orders where bitrix_order_id = $1),
                        (select count(*) from order_items i join orders o on o.id = i.order_id where o.bitrix_order_id = $1),
                        (select count(*) from webhook_events where bitrix_order_id = $1)",
                &[&id],
            )
            .await
            .unwrap();
        let stored: (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        let what = format!("{} ({}, {}, {:?}; seed {seed})", answer.id, answer.kind, answer.status, answer.outcome);
        if answer.status == 200 || answer.status == 202 {
            let lines = i64::try_from(answer.basket.unwrap_or(0)).unwrap();
            assert_eq!(stored, (1, lines, 1), "accepted {what}");
        } else {
            assert_eq!(stored, (0, 0, 0), "refused {what}");
        }
    }
}
