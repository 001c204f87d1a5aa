//! Requests in bulk, each test alone on the stack (its own binary, one test at a time), so that
//! no other test's load blurs what is measured: 50 parallel wrong passwords for one login,
//! 50 MB bodies to each entry with the Worker's memory measured around them, and a burst of 300
//! new orders reaching the chat as digests (with the real `CHAT_DIGEST_AFTER`).

#[path = "integration/fakes.rs"]
mod fakes;
#[path = "integration/harness.rs"]
mod harness;

use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use harness::{
    ensure_stack_with, exclusive, fixture, fresh_id, log_in, login_failures, post_webhook, staff_account as staff,
    CRM_TOKEN, STAFF_PASSWORD as PASSWORD, WORKER,
};

/// The production threshold of a digest, not the shared suites' (see harness).
fn ensure_stack() -> &'static harness::Stack {
    ensure_stack_with(&[("CHAT_DIGEST_AFTER", "5")])
}

#[tokio::test]
async fn a_burst_of_300_new_orders_reaches_the_chat_as_a_few_digests_naming_every_order_once() {
    let stack = ensure_stack();
    let _alone = exclusive().await;
    let burst = fresh_id();
    let ids: Vec<u64> = (0..300).map(|n| burst * 1000 + n).collect();
    let started = std::time::Instant::now();
    for chunk in ids.chunks(20) {
        let posts = chunk.iter().map(|id| {
            let mut body = fixture("order-create.json", Some(*id));
            body["data"]["properties"]["nameRecipient"] = serde_json::json!(format!("Всплеск {id}"));
            async move { post_webhook(&body).await.status }
        });
        let statuses = futures::future::join_all(posts).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    }
    let named = |texts: &[String], id: u64| texts.iter().map(|t| t.matches(&format!("№{id}")).count()).sum::<usize>();
    let texts = harness::eventually(Duration::from_secs(180), "every order in the chat", || async {
        let texts: Vec<String> = stack
            .telegram
            .received(&format!("Всплеск {burst}"))
            .iter()
            .filter(|r| r.status == 200)
            .map(|r| r.body["text"].as_str().unwrap_or_default().to_owned())
            .collect();
        ids.iter().all(|id| named(&texts, *id) > 0).then_some(texts)
    })
    .await;
    let took = started.elapsed();
    for id in &ids {
        assert_eq!(named(&texts, *id), 1, "order {id} is named once");
    }
    let digests = texts.iter().filter(|t| t.starts_with("📦")).count();
    println!(
        "burst: 300 orders in {} messages ({digests} digests), the last {took:.1?} after the first webhook",
        texts.len()
    );
    assert!(texts.len() <= 20, "within one minute of Telegram's group budget: {} messages", texts.len());
    assert!(digests >= 1);
}

fn catalogue_product(id: u64, price: &str, stock: &str) -> serde_json::Value {
    serde_json::json!({"id": id.to_string(), "name": format!("Букет каталога {id}"), "code": format!("buket-{id}"),
        "active": "Y", "section": {"id": "10", "name": "Букеты"}, "price": price, "currency": "KZT", "in_stock": stock,
        "picture": format!("https://cvety.kz/upload/iblock/{id}.jpg"), "changed_at": "2026-11-30T10:00:00+05:00"})
}

#[tokio::test]
async fn the_catalogue_of_5000_products_loads_in_pages_and_a_later_load_brings_only_what_changed_in_bitrix() {
    let stack = ensure_stack();
    let _alone = exclusive().await;
    let first_id = 8_000_001;
    for id in first_id..first_id + 5000 {
        stack.bitrix.put_product(catalogue_product(id, "9000", "158"));
    }
    let load = || async { harness::crm(reqwest::Method::POST, "/api/ops/catalog/run", None).await };

    let started = std::time::Instant::now();
    let first = load().await;
    let took = started.elapsed();
    assert_eq!(first.status, 200, "{:?}", first.body);
    let outcome = &first.body["outcome"];
    assert_eq!(
        (outcome["products"].as_u64(), outcome["created"].as_u64(), outcome["pages"].as_u64()),
        (Some(5000), Some(5000), Some(10))
    );
    println!("catalog: 5,000 products in {took:.1?} (10 pages)");

    // In Bitrix: a new price, a product out of stock, and one product gone; in the CRM: a toggle.
    stack.bitrix.put_product(catalogue_product(first_id, "9500", "158"));
    stack.bitrix.put_product(catalogue_product(first_id + 1, "9000", "159"));
    stack.bitrix.remove_product(first_id + 2);
    let toggled_bitrix_id = first_id + 3;
    let toggled: String = harness::db()
        .await
        .query_one(
            "select id::text from products where metadata -> 'properties' ->> 'bitrix_id' = $1",
            &[&toggled_bitrix_id.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    let answer = harness::crm(reqwest::Method::POST, &format!("/api/products/{toggled}/set-unavailable"), None).await;
    assert_eq!(answer.body["success"], true);
    harness::settled("product_id", &toggled).await;

    let second = load().await;
    let outcome = &second.body["outcome"];
    assert_eq!(
        (outcome["updated"].as_u64(), outcome["hidden"].as_u64(), outcome["created"].as_u64()),
        (Some(2), Some(1), Some(0)),
        "the price and the stock changed in Bitrix; the CRM's own toggle is not a change; one product gone: {outcome}"
    );
    let row = |bitrix_id: u64| async move {
        harness::db()
            .await
            .query_one(
                "select price::text, metadata -> 'properties' ->> 'IN_STOCK', active from products
                 where metadata -> 'properties' ->> 'bitrix_id' = $1",
                &[&bitrix_id.to_string()],
            )
            .await
            .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1), r.get::<_, bool>(2)))
            .unwrap()
    };
    assert_eq!(row(first_id).await, ("9500.00".into(), "158".into(), true));
    assert_eq!(row(first_id + 1).await, ("9000.00".into(), "159".into(), true));
    assert_eq!(row(first_id + 2).await, ("9000.00".into(), "158".into(), false), "hidden, kept for old orders");
    assert_eq!(row(toggled_bitrix_id).await.1, "159");
    let third = load().await;
    assert_eq!(third.body["outcome"]["updated"], 0, "nothing changed since: {:?}", third.body);

    // A price changed in Bitrix's admin now reaches the CRM with the cron's next incremental load.
    let mut changed = catalogue_product(first_id + 4, "12000", "158");
    changed["changed_at"] = serde_json::json!(harness::just_now());
    stack.bitrix.put_product(changed);
    harness::eventually(Duration::from_secs(30), "the change to arrive by the cron", || async {
        harness::trigger_cron().await;
        (row(first_id + 4).await.0 == "12000.00").then_some(())
    })
    .await;
    let incremental: serde_json::Value = harness::db()
        .await
        .query_one(
            "select outcome from catalog_runs where trigger = 'changes' and outcome ->> 'updated' = '1' limit 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(incremental["hidden"], 0, "an incremental load hides nothing: {incremental}");
    assert!(incremental["products"].as_u64().unwrap() < 10, "it asks only for what changed: {incremental}");
}

#[tokio::test]
async fn a_backfill_of_2000_old_orders_is_stored_quietly_and_summed_up_in_one_message() {
    let stack = ensure_stack();
    let _alone = exclusive().await;
    let first = fresh_id() * 10_000;
    let ids: Vec<u64> = (first..first + 2000).collect();
    for chunk in ids.chunks(20) {
        let posts = chunk.iter().map(|id| {
            let mut body = fixture("order-create.json", Some(*id));
            body["data"]["DATE_INSERT"] = serde_json::json!("2025-03-07T10:00:00+05:00");
            body["data"]["properties"]["nameRecipient"] = serde_json::json!(format!("Архив {id}"));
            async move { post_webhook(&body).await.status }
        });
        let statuses = futures::future::join_all(posts).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    }
    let summaries = || {
        stack
            .telegram
            .received("Загружено из Битрикса старых заказов")
            .into_iter()
            .map(|r| r.body["text"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    // The test stack scales the 5 quiet minutes to 3 seconds; the cron runs every minute.
    let summary = harness::eventually(Duration::from_secs(60), "the backfill's summary", || async {
        harness::trigger_cron().await;
        summaries().into_iter().next()
    })
    .await;
    assert!(summary.contains("старых заказов: 2\u{a0}000"), "{summary}");
    harness::trigger_cron().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(summaries().len(), 1, "one summary");
    assert!(stack.telegram.received(&format!("Архив {first}")).is_empty(), "no message of its own");
    let jobs: i64 = harness::db()
        .await
        .query_one(
            "select count(*) from sync_jobs j join orders o on j.payload ->> 'order_id' = o.id::text
             where o.bitrix_order_id between $1 and $2",
            &[&i64::try_from(first).unwrap(), &i64::try_from(first + 1999).unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(jobs, 0, "no job for any of the 2,000");
}

#[tokio::test]
async fn fifty_parallel_wrong_passwords_get_no_more_guesses_checked_than_the_limit() {
    ensure_stack();
    let _alone = exclusive().await;
    let login = format!("race-{}", fresh_id());
    staff(&login).await;

    let guesses = (0..50).map(|n| {
        let login = login.clone();
        tokio::spawn(async move { log_in(&login, &format!("guess-{n}"), "198.51.100.50").await.0 })
    });
    let statuses: Vec<u16> = futures::future::join_all(guesses).await.into_iter().map(Result::unwrap).collect();

    let checked = statuses.iter().filter(|s| **s != 429).count();
    assert!(statuses.iter().all(|s| [401, 429].contains(s)), "{statuses:?}");
    assert!(checked <= 4, "at most the limit of 5 checked, the fifth answered 429: {statuses:?}");
    let failures = login_failures(&login).await;
    assert_eq!(failures, 5, "exactly the limit recorded");
    assert_eq!(
        log_in(&login, PASSWORD, "198.51.100.50").await.0,
        429,
        "locked: the right password does not open it from there"
    );
}

/// The resident memory of the Worker's workerd processes, in KiB.
fn workerd_rss_kib() -> u64 {
    let pid_file = Path::new(env!("CARGO_MANIFEST_DIR")).join(".local/test/run/worker.pid");
    let group: i64 = std::fs::read_to_string(pid_file).unwrap().trim().parse().unwrap();
    let mut total = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let Some((name, rest)) = stat.split_once(") ") else { continue };
        let fields: Vec<&str> = rest.split(' ').collect();
        if !name.contains("workerd") || fields.get(2).and_then(|g| g.parse::<i64>().ok()) != Some(group) {
            continue;
        }
        let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        total += status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0);
    }
    assert!(total > 0, "no workerd process of the test stack found");
    total
}

/// What `wrangler dev`'s proxy answers when the connection to workerd broke under a request
/// (here: the Worker answered 413 and closed while the proxy was still passing the body on).
const PROXY_CUT: &str = "Your worker restarted mid-request";

/// As [`post_once`], sent again (at most three times) when wrangler's proxy, not the Worker,
/// answered.
async fn post_huge(path: &str, headers: &[(&str, &str)], size: usize, chunked: bool) -> u16 {
    for _ in 0..3 {
        let (status, text) = post_once(path, headers, size, chunked).await;
        if !(status == 503 && text.contains(PROXY_CUT)) {
            return status;
        }
        eprintln!("wrangler's proxy lost the connection under {path}; sending again");
    }
    panic!("wrangler's proxy kept losing the connection under {path}");
}

/// POSTs `size` bytes to `path` over a raw connection (with `Content-Length`, or chunked, a
/// chunk every few milliseconds), stopping when the Worker answers; the answer's status and text.
async fn post_once(path: &str, headers: &[(&str, &str)], size: usize, chunked: bool) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect("127.0.0.1:8788").await.unwrap();
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1:8788\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&if chunked {
        "Transfer-Encoding: chunked\r\n\r\n".to_owned()
    } else {
        format!("Content-Length: {size}\r\n\r\n")
    });
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let read = tokio::spawn(async move {
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(60), reader.read_to_end(&mut answer)).await;
        answer
    });
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0;
    // Bounded by `size`; a Worker that answered and closed ends it early.
    while sent < size && !read.is_finished() {
        let piece = if chunked {
            [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk.clone(), b"\r\n".to_vec()].concat()
        } else {
            chunk.clone()
        };
        if writer.write_all(&piece).await.is_err() {
            break;
        }
        sent += chunk.len();
        if chunked {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    if chunked {
        let _ = writer.write_all(b"0\r\n\r\n").await;
    }
    let answer = read.await.unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok());
    (status.unwrap_or_else(|| panic!("no HTTP answer for {path}: {text:.200}")), text)
}

#[tokio::test]
async fn a_fifty_megabyte_body_is_refused_with_413_at_each_entry_and_the_workers_memory_stays_flat() {
    ensure_stack();
    let _alone = exclusive().await;
    let bearer = format!("Bearer {CRM_TOKEN}");
    let entries: [(&str, Vec<(&str, &str)>); 3] = [
        ("/webhooks/bitrix/order", vec![("Content-Type", "application/json")]),
        ("/api/orders", vec![("Content-Type", "application/json"), ("Authorization", &bearer)]),
        ("/crm/login", vec![("Content-Type", "application/x-www-form-urlencoded"), ("Origin", WORKER)]),
    ];
    // The other bulk tests of this binary (thousands of webhooks, a 5,000-product catalogue) leave
    // workerd's heaps large and fragmented: measure a fresh Worker, as a deploy starts one.
    harness::start_worker();
    // Warm up: the first requests of each route grow workerd's heaps whatever their size.
    for (path, headers) in &entries {
        for chunked in [false, true] {
            assert_eq!(post_huge(path, headers, 1024 * 1024, chunked).await, 413, "{path}, chunked: {chunked}");
        }
    }
    let before = workerd_rss_kib();

    for (path, headers) in &entries {
        for chunked in [false, true] {
            let status = post_huge(path, headers, 50 * 1024 * 1024, chunked).await;
            assert_eq!(status, 413, "{path}, chunked: {chunked}");
        }
    }

    let after = workerd_rss_kib();
    let grown = after.saturating_sub(before);
    eprintln!("workerd RSS before {before} KiB, after six 50 MB bodies {after} KiB");
    assert!(grown < 30 * 1024, "the Worker's memory grew by {grown} KiB for bodies it refused");
}
