#![allow(dead_code)] // shared by two test binaries, each using a part
//! Small HTTP servers that speak the protocols of the services we cannot run: the Bitrix PHP
//! gateway (docs/bitrix-gateway.md) and the Telegram Bot API. They record what they receive and
//! can be told to fail for requests whose body contains a given text (tests run in parallel,
//! so each test scripts failures for its own orders only).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The dev token the stack gives the Worker for the gateway.
pub const BITRIX_API_TOKEN: &str = "dev-bitrix-token";

/// A scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status with this body.
    Status(u16, Value),
    /// Telegram's flood control: 429 with `parameters.retry_after`.
    TooManyRequests { retry_after: u64 },
    /// Answer only after this long (past the Worker's timeout).
    Hang(Duration),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Value,
    /// The status the fake answered with.
    pub status: u16,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    scripts: Vec<(String, VecDeque<Reply>)>,
    /// The gateway's own idempotency: one Bitrix order per idempotency key.
    created_orders: HashMap<String, u64>,
    next_order_id: u64,
    next_message_id: u64,
}

/// A fake server on a fixed loopback port.
#[derive(Clone)]
pub struct Fake {
    state: Arc<Mutex<State>>,
}

impl Fake {
    /// The next requests whose body contains `needle` get these replies, in order.
    pub fn script(&self, needle: &str, replies: Vec<Reply>) {
        self.state.lock().unwrap().scripts.push((needle.to_owned(), replies.into()));
    }

    /// Every request whose body contains `needle`.
    pub fn received(&self, needle: &str) -> Vec<Received> {
        let state = self.state.lock().unwrap();
        state.received.iter().filter(|r| r.body.to_string().contains(needle)).cloned().collect()
    }

    /// The Bitrix order ids the gateway created, by idempotency key.
    pub fn created_orders(&self) -> HashMap<String, u64> {
        self.state.lock().unwrap().created_orders.clone()
    }

    fn scripted(&self, body: &str) -> Option<Reply> {
        let mut state = self.state.lock().unwrap();
        let index =
            state.scripts.iter().position(|(needle, replies)| body.contains(needle.as_str()) && !replies.is_empty())?;
        state.scripts[index].1.pop_front()
    }
}

type Answer = fn(&Fake, &str, &HashMap<String, String>, &Value) -> (u16, Value);

fn start(port: u16, answer: Answer) -> Result<Fake, String> {
    let fake = Fake {
        state: Arc::new(Mutex::new(State { next_order_id: 9_000_000, next_message_id: 1, ..State::default() })),
    };
    let server = tiny_http::Server::http(("127.0.0.1", port)).map_err(|e| format!("fake on port {port}: {e}"))?;
    let shared = fake.clone();
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let fake = shared.clone();
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = request.as_reader().read_to_string(&mut text);
                let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                let path = request.url().to_owned();
                let headers: HashMap<String, String> = request
                    .headers()
                    .iter()
                    .map(|h| (h.field.to_string().to_ascii_lowercase(), h.value.to_string()))
                    .collect();
                let (status, reply) = match fake.scripted(&text) {
                    Some(Reply::Status(status, reply)) => (status, reply),
                    Some(Reply::TooManyRequests { retry_after }) => (
                        429,
                        json!({"ok": false, "error_code": 429,
                        "description": format!("Too Many Requests: retry after {retry_after}"),
                        "parameters": {"retry_after": retry_after}}),
                    ),
                    Some(Reply::Hang(wait)) => {
                        std::thread::sleep(wait);
                        answer(&fake, &path, &headers, &body)
                    }
                    None => answer(&fake, &path, &headers, &body),
                };
                fake.state.lock().unwrap().received.push(Received { at: Instant::now(), path, headers, body, status });
                let response = tiny_http::Response::from_string(reply.to_string())
                    .with_status_code(status)
                    .with_header("Content-Type: application/json".parse::<tiny_http::Header>().unwrap());
                let _ = request.respond(response);
            });
        }
    });
    Ok(fake)
}

/// The Bitrix gateway: checks `X-API-TOKEN` like the PHP side and answers per the contract.
pub fn start_bitrix(port: u16) -> Result<Fake, String> {
    start(port, |fake, _path, headers, body| {
        if headers.get("x-api-token").map(String::as_str) != Some(BITRIX_API_TOKEN) {
            return (401, json!({"ok": false, "error": "unauthorized", "message": "Invalid X-API-TOKEN"}));
        }
        let mut state = fake.state.lock().unwrap();
        match body["action"].as_str() {
            Some("order.create") => {
                let key = body["idempotency_key"].as_str().unwrap_or_default().to_owned();
                let next = state.next_order_id;
                let id = *state.created_orders.entry(key).or_insert(next);
                if id == next {
                    state.next_order_id += 1;
                }
                (200, json!({"ok": true, "bitrix_order_id": id.to_string()}))
            }
            Some("order.set_status" | "product.set_availability") => (200, json!({"ok": true})),
            _ => (400, json!({"ok": false, "error": "unknown_action", "message": "Unknown action"})),
        }
    })
}

/// The Telegram Bot API's `sendMessage`.
pub fn start_telegram(port: u16) -> Result<Fake, String> {
    start(port, |fake, path, _headers, body| {
        if !path.ends_with("/sendMessage")
            || body["chat_id"].is_null()
            || body["text"].as_str().is_none_or(str::is_empty)
        {
            return (400, json!({"ok": false, "error_code": 400, "description": "Bad Request: message text is empty"}));
        }
        let mut state = fake.state.lock().unwrap();
        state.next_message_id += 1;
        (200, json!({"ok": true, "result": {"message_id": state.next_message_id, "text": body["text"]}}))
    })
}
