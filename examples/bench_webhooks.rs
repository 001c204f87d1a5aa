//! Webhook throughput and latency on a running local stack (not a test: `make bench` runs it).
//!
//! Posts `order.create` webhooks with 3 basket lines, each for a new order, from N concurrent
//! clients for a fixed count, then prints webhooks per second and p50 / p99 latency.
//! Usage: bench_webhooks [worker_url] [requests] [concurrency]

use std::time::{Duration, Instant};

use serde_json::json;

fn body(id: u64) -> serde_json::Value {
    let basket: Vec<_> = (0..3)
        .map(|n| {
            json!({"ID": (id * 10 + n).to_string(), "PRODUCT_ID": "15652", "NAME": "Букет Стандарт",
                        "PRICE": "3000.00", "QUANTITY": "1.0000", "CURRENCY": "KZT"})
        })
        .collect();
    json!({"event": "order.create", "data": {
        "ID": id.to_string(), "ACCOUNT_NUMBER": id.to_string(), "STATUS_ID": "N", "USER_ID": "4521",
        "PRICE": "9000.00", "PRICE_DELIVERY": "1500.00", "CURRENCY": "KZT",
        "DATE_INSERT": "2025-08-24T13:05:11+05:00", "DATE_UPDATE": "2025-08-24T13:05:11+05:00",
        "properties": {"nameRecipient": "Айгерим", "phoneRecipient": "+7 (701) 555-12-34",
                       "addressRecipient": "Алматы, пр. Абая 10", "postcardText": "С днём рождения!",
                       "data": "2025-08-25", "city": "2", "when": "18", "shopId": "17008"},
        "basket": basket,
        "user": {"ID": "4521", "NAME": "Марат", "LAST_NAME": "Ахметов", "EMAIL": "m@example.kz", "PERSONAL_PHONE": "+77015550000"}
    }})
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let worker = args.get(1).cloned().unwrap_or_else(|| "http://127.0.0.1:8788".into());
    let requests: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let concurrency: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(16);
    let token = std::env::var("WEBHOOK_TOKEN").unwrap_or_else(|_| "dev-webhook-token".into());
    let first_id = 10_000_000 + u64::from(std::process::id()) * 100_000;
    let client = reqwest::Client::new();

    // Warm-up: the first requests pay for wasm instantiation and connection pools.
    for i in 0..20 {
        client
            .post(format!("{worker}/webhooks/bitrix/order"))
            .bearer_auth(&token)
            .json(&body(first_id + requests + i))
            .send()
            .await
            .expect("warm-up failed");
    }

    let started = Instant::now();
    let clients: Vec<_> = (0..concurrency)
        .map(|c| {
            let (client, worker, token) = (client.clone(), worker.clone(), token.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures = 0_u64;
                let mut i = c;
                while i < requests {
                    let sent = Instant::now();
                    let answer = client
                        .post(format!("{worker}/webhooks/bitrix/order"))
                        .bearer_auth(&token)
                        .json(&body(first_id + i))
                        .send()
                        .await;
                    latencies.push(sent.elapsed());
                    if !answer.is_ok_and(|a| a.status().is_success()) {
                        failures += 1;
                    }
                    i += concurrency;
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failures = 0;
    for client in clients {
        let (mut l, f) = client.await.unwrap();
        latencies.append(&mut l);
        failures += f;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    println!("requests={requests} concurrency={concurrency} failures={failures}");
    println!("throughput_per_s={:.0}", requests as f64 / elapsed.as_secs_f64());
    println!("p50_ms={:.1}", percentile(&latencies, 50.0).as_secs_f64() * 1000.0);
    println!("p99_ms={:.1}", percentile(&latencies, 99.0).as_secs_f64() * 1000.0);
}
