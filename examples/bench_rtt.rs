//! The webhook's critical path at a chosen round-trip time (not a test: `make bench` runs it with
//! scripts/rtt_proxy.py between the Worker and PostgREST).
//!
//! One client, one request at a time at a shop's pace: a new-order webhook, then `GET /health`
//! (exactly one PostgREST round trip: the yardstick), then a pause. Prints both p50s and their
//! difference, and, from the Telegram stand-in's log (scripts/fake_peers.py, one JSON line per
//! request with its arrival time), how long each order took from the webhook being sent to its
//! message reaching Telegram.
//! Usage: bench_rtt worker_url requests peers_log

#[path = "shared/bench.rs"]
mod bench;

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bench::{percentile_ms, signed_webhook};

fn unix_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

/// When each of `ids` first reached Telegram with a 200, from the stand-in's log.
fn arrivals(log: &str, ids: &[u64]) -> HashMap<u64, f64> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut found = HashMap::new();
    for line in text.lines() {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if entry["peer"] != "telegram" || entry["status"] != 200 {
            continue;
        }
        let message = entry["body"]["text"].as_str().unwrap_or_default();
        for id in ids {
            if message.contains(&id.to_string()) {
                found.entry(*id).or_insert(entry["at"].as_f64().unwrap_or(f64::NAN));
            }
        }
    }
    found
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let worker = args.get(1).cloned().unwrap_or_else(|| "http://127.0.0.1:8788".into());
    let requests: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100);
    let log = args.get(3).cloned().expect("the Telegram stand-in's log");
    let first_id = 30_000_000 + u64::from(std::process::id() % 1000) * 10_000;
    let client = reqwest::Client::new();
    let webhook = |id: u64| signed_webhook(&client, &worker, id);
    let health = || client.get(format!("{worker}/health"));

    for i in 0..10 {
        webhook(first_id + requests + i).send().await.expect("warm-up failed");
        health().send().await.expect("warm-up failed");
    }
    let (mut webhooks, mut healths, mut sent, mut failures) = (vec![], vec![], HashMap::new(), 0);
    for i in 0..requests {
        let id = first_id + i;
        sent.insert(id, unix_now());
        let started = Instant::now();
        let answer = webhook(id).send().await;
        webhooks.push(started.elapsed());
        failures += u64::from(!answer.is_ok_and(|a| a.status().is_success()));
        let started = Instant::now();
        let answer = health().send().await;
        healths.push(started.elapsed());
        failures += u64::from(!answer.is_ok_and(|a| a.status().is_success()));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let ids: Vec<u64> = (first_id..first_id + requests).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut reached = arrivals(&log, &ids);
    while reached.len() < ids.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        reached = arrivals(&log, &ids);
    }
    let mut notified: Vec<Duration> =
        reached.iter().map(|(id, at)| Duration::from_secs_f64((at - sent[id]).max(0.0))).collect();
    webhooks.sort();
    healths.sort();
    notified.sort();
    let (webhook_p50, health_p50) = (percentile_ms(&webhooks, 50.0), percentile_ms(&healths, 50.0));
    println!("requests={requests} failures={failures} messages_seen={}", notified.len());
    println!("webhook_p50_ms={webhook_p50:.1} webhook_p99_ms={:.1}", percentile_ms(&webhooks, 99.0));
    println!("health_p50_ms={health_p50:.1} health_p99_ms={:.1}", percentile_ms(&healths, 99.0));
    println!("webhook_minus_health_p50_ms={:.1}", webhook_p50 - health_p50);
    println!(
        "webhook_to_telegram_p50_ms={:.1} webhook_to_telegram_p99_ms={:.1}",
        percentile_ms(&notified, 50.0),
        percentile_ms(&notified, 99.0)
    );
}
