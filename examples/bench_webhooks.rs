//! Webhook throughput and latency on a running local stack (not a test: `make bench` runs it).
//!
//! Posts `order.create` webhooks with 3 basket lines, each for a new order, from N concurrent
//! clients for a fixed count, then prints webhooks per second and p50 / p99 latency. With `health`
//! as the fourth argument it does the same with `GET /health` (one PostgREST round trip), the
//! yardstick for the webhook's figures.
//! Usage: bench_webhooks [worker_url] [requests] [concurrency] [webhook|health]

use std::time::{Duration, Instant};

#[path = "shared/bench.rs"]
mod bench;

use bench::{percentile_ms, signed_webhook};

/// One request of the run: a webhook for order `id`, or `GET /health`.
fn request(client: &reqwest::Client, worker: &str, id: u64, health: bool) -> reqwest::RequestBuilder {
    if health {
        client.get(format!("{worker}/health"))
    } else {
        signed_webhook(client, worker, id)
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let worker = args.get(1).cloned().unwrap_or_else(|| "http://127.0.0.1:8788".into());
    let requests: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let concurrency: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(16);
    let health = args.get(4).is_some_and(|a| a == "health");
    let first_id = 10_000_000 + u64::from(std::process::id()) * 100_000;
    let client = reqwest::Client::new();

    // Warm-up: the first requests pay for wasm instantiation and connection pools.
    for i in 0..20 {
        request(&client, &worker, first_id + requests + i, health).send().await.expect("warm-up failed");
    }

    let started = Instant::now();
    let clients: Vec<_> = (0..concurrency)
        .map(|c| {
            let (client, worker) = (client.clone(), worker.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures = 0_u64;
                let mut i = c;
                while i < requests {
                    let sent = Instant::now();
                    let answer = request(&client, &worker, first_id + i, health).send().await;
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
    let mut latencies: Vec<Duration> = Vec::new();
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
    println!("p50_ms={:.1}", percentile_ms(&latencies, 50.0));
    println!("p99_ms={:.1}", percentile_ms(&latencies, 99.0));
}
