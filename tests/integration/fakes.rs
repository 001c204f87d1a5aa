#![allow(dead_code)] // shared by several test binaries, each using a part
//! Small HTTP servers that speak the protocols of the services we cannot run, as strictly as
//! the services do: the Bitrix PHP gateway (docs/bitrix-gateway.md: token, Idempotency-Key in
//! the header and the body, one answer per key) and the Telegram Bot API's `sendMessage`
//! (token, chat id, HTML entities, 4096 characters, its real error texts). They record what they
//! receive and can be told to fail for requests whose body contains a given text (tests run in
//! parallel, so each test scripts failures for its own orders only).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The dev token the stack gives the Worker for the gateway.
pub const BITRIX_API_TOKEN: &str = "dev-bitrix-token";
/// The dev bot token the stack gives the Worker.
pub const TELEGRAM_BOT_TOKEN: &str = "123456:dev-telegram-token";
/// The shop chat the test stack is configured with.
pub const TELEGRAM_CHAT_ID: &str = "-1001234567890";

/// A scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status with this JSON body.
    Status(u16, Value),
    /// This status, these headers and this body as it is (not JSON, a `Retry-After`, …).
    Raw { status: u16, headers: Vec<(&'static str, String)>, body: String },
    /// Telegram's flood control: 429 with `parameters.retry_after`.
    TooManyRequests { retry_after: u64 },
    /// Telegram's answer when the shop's chat blocked the bot.
    Blocked,
    /// Do the work as usual, then answer only after this long (past the Worker's timeout):
    /// the real danger of a slow peer, which did what was asked but answered too late.
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
    /// The gateway's idempotency store: each key's first answer.
    answers: HashMap<String, (u16, Value)>,
    /// Bitrix orders created, by idempotency key, and how many times each key created one.
    created_orders: HashMap<String, u64>,
    creations: HashMap<String, u32>,
    next_order_id: u64,
    next_message_id: u64,
    /// Delivery slots the fake Bitrix has beyond the standard ones (`reference.snapshot`).
    extra_slots: Vec<(u64, String)>,
    /// Its catalogue (`catalog.snapshot`), by id: empty unless a test gives it one.
    catalog: std::collections::BTreeMap<u64, Value>,
    /// Order fields as `order.update` saved them, or as a test says someone changed them in
    /// Bitrix's admin (`edit_in_bitrix`): by order, the properties and the order's own fields.
    order_fields: HashMap<u64, serde_json::Map<String, Value>>,
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

    /// Bitrix gains a delivery slot: the next `reference.snapshot` names it.
    pub fn add_slot(&self, id: u64, name: &str) {
        self.state.lock().unwrap().extra_slots.push((id, name.to_owned()));
    }

    /// Bitrix's catalogue now holds `product` (its `id` a number as text): added or changed.
    pub fn put_product(&self, product: Value) {
        let id = product["id"].as_str().and_then(|id| id.parse().ok()).expect("a product id as text");
        self.state.lock().unwrap().catalog.insert(id, product);
    }

    /// Bitrix's catalogue loses this product.
    /// Someone changes an order field in Bitrix's admin (a property code, `user_description`
    /// or `price_delivery`): `order.update` then reports it as overwritten.
    pub fn edit_in_bitrix(&self, order: u64, field: &str, value: &str) {
        self.state.lock().unwrap().order_fields.entry(order).or_default().insert(field.to_owned(), json!(value));
    }

    /// An order field as Bitrix now has it (after the CRM's updates), if anything set it.
    pub fn order_field(&self, order: u64, field: &str) -> Option<Value> {
        self.state.lock().unwrap().order_fields.get(&order).and_then(|fields| fields.get(field).cloned())
    }

    pub fn remove_product(&self, id: u64) {
        self.state.lock().unwrap().catalog.remove(&id);
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

    /// How many times a key really created an order (a repeat answered from the store does not).
    pub fn creations(&self, key: &str) -> u32 {
        self.state.lock().unwrap().creations.get(key).copied().unwrap_or(0)
    }

    fn scripted(&self, body: &str) -> Option<Reply> {
        let mut state = self.state.lock().unwrap();
        let index =
            state.scripts.iter().position(|(needle, replies)| body.contains(needle.as_str()) && !replies.is_empty())?;
        state.scripts[index].1.pop_front()
    }
}

/// What a fake answers: status, headers, body.
struct Response(u16, Vec<(&'static str, String)>, String);

impl Response {
    fn json(status: u16, body: &Value) -> Response {
        Response(status, vec![("Content-Type", "application/json".into())], body.to_string())
    }
}

type Protocol = fn(&Fake, &str, &HashMap<String, String>, &Value) -> (u16, Value);

fn start(port: u16, protocol: Protocol) -> Result<Fake, String> {
    let fake = Fake {
        state: Arc::new(Mutex::new(State { next_order_id: 9_000_000, next_message_id: 1, ..State::default() })),
    };
    let server = tiny_http::Server::http(("127.0.0.1", port)).map_err(|e| format!("fake on port {port}: {e}"))?;
    let shared = fake.clone();
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let fake = shared.clone();
            std::thread::spawn(move || {
                let mut raw = Vec::new();
                let _ = request.as_reader().read_to_end(&mut raw);
                let path = request.url().to_owned();
                let headers: HashMap<String, String> = request
                    .headers()
                    .iter()
                    .map(|h| (h.field.to_string().to_ascii_lowercase(), h.value.to_string()))
                    .collect();
                // A multipart form (Telegram's sendPhoto) is recorded as JSON: its text fields,
                // and for a file its name, type, size and SHA-256.
                let body: Value = match headers.get("content-type").and_then(|t| multipart_boundary(t)) {
                    Some(boundary) => multipart_json(&raw, &boundary),
                    None => serde_json::from_slice(&raw).unwrap_or(Value::Null),
                };
                let text = if body.is_null() { String::from_utf8_lossy(&raw).into_owned() } else { body.to_string() };
                if let Some(control) = control(&fake, &path, &body) {
                    let Response(status, _, reply) = control;
                    let _ = request.respond(tiny_http::Response::from_string(reply).with_status_code(status));
                    return;
                }
                let answer = |fake: &Fake| {
                    let (status, reply) = protocol(fake, &path, &headers, &body);
                    Response::json(status, &reply)
                };
                let response = match fake.scripted(&text) {
                    Some(Reply::Status(status, reply)) => Response::json(status, &reply),
                    Some(Reply::Raw { status, headers, body }) => Response(status, headers, body),
                    Some(Reply::TooManyRequests { retry_after }) => Response::json(
                        429,
                        &json!({"ok": false, "error_code": 429,
                                "description": format!("Too Many Requests: retry after {retry_after}"),
                                "parameters": {"retry_after": retry_after}}),
                    ),
                    Some(Reply::Blocked) => Response::json(
                        403,
                        &json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
                    ),
                    Some(Reply::Hang(wait)) => {
                        let done = answer(&fake);
                        std::thread::sleep(wait);
                        done
                    }
                    None => answer(&fake),
                };
                let Response(status, extra, reply) = response;
                fake.state.lock().unwrap().received.push(Received { at: Instant::now(), path, headers, body, status });
                let mut response = tiny_http::Response::from_string(reply).with_status_code(status);
                for (name, value) in extra {
                    response.add_header(tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap());
                }
                let _ = request.respond(response);
            });
        }
    });
    Ok(fake)
}

/// The fakes' own endpoints, for a test in another process (the browser tests): what was
/// received (`/__received?needle=...`) and scripted failures (`/__script`, `{"needle", "replies":
/// [{"status", "body"}]}`).
fn control(fake: &Fake, path: &str, body: &Value) -> Option<Response> {
    if let Some(query) = path.strip_prefix("/__received") {
        let needle: String = form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
            .find(|(key, _)| key == "needle")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        let received: Vec<Value> = fake
            .received(&needle)
            .iter()
            .map(|r| json!({"path": r.path, "status": r.status, "body": r.body, "headers": r.headers}))
            .collect();
        return Some(Response::json(200, &Value::Array(received)));
    }
    if path == "/__script" {
        let replies = body["replies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|reply| {
                Reply::Status(
                    u16::try_from(reply["status"].as_u64().unwrap_or(500)).unwrap_or(500),
                    reply["body"].clone(),
                )
            })
            .collect();
        fake.script(body["needle"].as_str().unwrap_or_default(), replies);
        return Some(Response::json(200, &json!({"ok": true})));
    }
    None
}

fn refused(status: u16, error: &str, message: &str) -> (u16, Value) {
    (status, json!({"ok": false, "error": error, "message": message}))
}

/// The Bitrix gateway, as docs/bitrix-gateway.md says the PHP side behaves.
pub fn start_bitrix(port: u16) -> Result<Fake, String> {
    start(port, |fake, _path, headers, body| {
        if headers.get("x-api-token").map(String::as_str) != Some(BITRIX_API_TOKEN) {
            return refused(401, "unauthorized", "Invalid X-API-TOKEN");
        }
        let Some(key) = headers.get("idempotency-key").cloned() else {
            return refused(400, "missing_idempotency_key", "Нет заголовка Idempotency-Key");
        };
        if body["idempotency_key"].as_str() != Some(key.as_str()) {
            return refused(422, "idempotency_key_mismatch", "Idempotency-Key заголовка и тела не совпадают");
        }
        let mut state = fake.state.lock().unwrap();
        if body["action"] == "catalog.snapshot" {
            // A read, paged by id as the kit pages it: afresh every time, never kept.
            let after = body["after_id"].as_u64().unwrap_or(0);
            let limit = usize::try_from(body["limit"].as_u64().unwrap_or(500).min(500)).unwrap_or(500);
            // changed_since as the kit applies it (TIMESTAMP_X >= since).
            let since = body["changed_since"].as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok());
            let changed = |product: &Value| {
                let at = product["changed_at"].as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok());
                since.is_none_or(|since| at.is_some_and(|at| at >= since))
            };
            let page: Vec<Value> = state
                .catalog
                .range(after + 1..)
                .map(|(_, p)| p)
                .filter(|p| changed(p))
                .take(limit + 1)
                .cloned()
                .collect();
            let more = page.len() > limit;
            let page: Vec<Value> = page.into_iter().take(limit).collect();
            let next = more
                .then(|| page.last().and_then(|p| p["id"].as_str()).and_then(|id| id.parse::<u64>().ok()))
                .flatten();
            return (200, json!({"ok": true, "products": page, "next_after_id": next}));
        }
        if body["action"] == "reference.snapshot" {
            // A read, as the kit answers it: afresh every time, never kept with its key.
            let mut slots = vec![json!({"id": "18", "name": "15:00-16:00", "sort": 100})];
            slots.extend(
                state.extra_slots.iter().map(|(id, name)| json!({"id": id.to_string(), "name": name, "sort": 500})),
            );
            return (
                200,
                json!({"ok": true, "slots": slots,
                "cities": [{"id": "2", "name": "Алматы"}, {"id": "3", "name": "Астана"}],
                "shops": [{"id": "17008", "name": "CVETYKZ"}],
                "statuses": [{"id": "N", "name": "Принят, ожидается оплата"}, {"id": "PD", "name": "Передан курьеру"}],
                "pay_systems": [{"id": "7", "name": "Kaspi"}, {"id": "3", "name": "Наличные курьеру"}],
                "deliveries": [{"id": "2", "name": "Курьер"}]}),
            );
        }
        if let Some(first) = state.answers.get(&key) {
            return first.clone();
        }
        let answer = match body["action"].as_str() {
            Some("order.create") => {
                let id = state.next_order_id;
                state.next_order_id += 1;
                state.created_orders.insert(key.clone(), id);
                *state.creations.entry(key.clone()).or_default() += 1;
                (200, json!({"ok": true, "bitrix_order_id": id.to_string()}))
            }
            Some("order.set_status") => (200, json!({"ok": true})),
            Some("order.update") => {
                // As docs/bitrix-gateway.md says: the touched fields' values now, and the values
                // the editor saw; a field Bitrix holds with a third value is reported overwritten.
                let (Some(order), Some(fields), Some(seen)) =
                    (body["bitrix_order_id"].as_u64(), body["fields"].as_object(), body["seen"].as_object())
                else {
                    return refused(400, "invalid_request", "bitrix_order_id, fields and seen are required");
                };
                if let Some(basket) = body.get("basket") {
                    let lines = basket.as_array().map(Vec::len).unwrap_or(0);
                    if lines == 0 || lines > 200 {
                        return refused(400, "invalid_request", "basket must hold 1 to 200 lines");
                    }
                }
                let mut flat: Vec<(String, Value, Value)> = Vec::new();
                for (name, value) in fields {
                    if name == "properties" {
                        for (code, value) in value.as_object().into_iter().flatten() {
                            flat.push((code.clone(), value.clone(), seen["properties"][code].clone()));
                        }
                    } else {
                        flat.push((name.clone(), value.clone(), seen[name].clone()));
                    }
                }
                let stored = state.order_fields.entry(order).or_default();
                let mut overwritten = Vec::new();
                for (name, value, was_seen) in flat {
                    if let Some(bitrix) = stored.get(&name) {
                        if *bitrix != was_seen && *bitrix != value {
                            overwritten.push(json!({"field": name, "bitrix": bitrix}));
                        }
                    }
                    stored.insert(name, value);
                }
                (200, json!({"ok": true, "changed": true, "overwritten": overwritten}))
            }
            Some("product.set_availability") => {
                // Bitrix's catalogue now says so, as the kit's SetPropertyValuesEx makes it.
                if let Some(product) = body["bitrix_product_id"].as_u64().and_then(|id| state.catalog.get_mut(&id)) {
                    product["in_stock"] = body["in_stock_value"].clone();
                }
                (200, json!({"ok": true}))
            }
            // The Bitrix this fake stands for has no orders of its own to reconcile.
            Some("orders.snapshot") => (200, json!({"ok": true, "orders": [], "next_after_id": null})),
            Some("orders.resend") => (200, json!({"ok": true, "queued": 0, "missing": body["bitrix_order_ids"]})),
            _ => refused(400, "unknown_action", "Unknown action"),
        };
        state.answers.insert(key, answer.clone());
        answer
    })
}

/// The HTML Telegram accepts: these tags, properly nested, and these entities.
const TELEGRAM_TAGS: [&str; 14] =
    ["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "tg-spoiler", "blockquote", "a"];

/// Parses Telegram HTML as the Bot API does; the text without markup, or the error it answers.
pub fn telegram_text(html: &str) -> Result<String, String> {
    let mut text = String::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(['<', '&']) {
        text.push_str(&rest[..at]);
        let offset = html.len() - rest.len() + at;
        let tail = &rest[at..];
        if tail.starts_with('&') {
            let end = tail.find(';').filter(|end| *end <= 10).ok_or(format!(
                "Bad Request: can't parse entities: Character entity expected at byte offset {offset}"
            ))?;
            let decoded = match &tail[1..end] {
                "lt" => "<".to_owned(),
                "gt" => ">".to_owned(),
                "amp" => "&".to_owned(),
                "quot" => "\"".to_owned(),
                numeric if numeric.starts_with('#') => numeric[1..]
                    .parse::<u32>()
                    .ok()
                    .and_then(char::from_u32)
                    .map(String::from)
                    .ok_or(format!("Bad Request: can't parse entities: Invalid entity at byte offset {offset}"))?,
                other => {
                    return Err(format!(
                        "Bad Request: can't parse entities: Unsupported entity \"{other}\" at byte offset {offset}"
                    ))
                }
            };
            text.push_str(&decoded);
            rest = &tail[end + 1..];
            continue;
        }
        let end = tail
            .find('>')
            .ok_or(format!("Bad Request: can't parse entities: Unclosed start tag at byte offset {offset}"))?;
        let inner = &tail[1..end];
        if let Some(name) = inner.strip_prefix('/') {
            if open.pop().as_deref() != Some(name) {
                return Err(format!(
                    "Bad Request: can't parse entities: Unmatched end tag at byte offset {offset}, expected \"</{}>\", found \"</{name}>\"",
                    open.last().cloned().unwrap_or_default()
                ));
            }
        } else {
            let name = inner.split_whitespace().next().unwrap_or_default();
            if !TELEGRAM_TAGS.contains(&name) {
                return Err(format!(
                    "Bad Request: can't parse entities: Unsupported start tag \"{name}\" at byte offset {offset}"
                ));
            }
            open.push(name.to_owned());
        }
        rest = &tail[end + 1..];
    }
    text.push_str(rest);
    match open.last() {
        Some(name) => {
            Err(format!("Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{name}\""))
        }
        None => Ok(text),
    }
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    (kind.trim() == "multipart/form-data").then_some(())?;
    params.split(';').find_map(|p| p.trim().strip_prefix("boundary=").map(|b| b.trim_matches('"').to_owned()))
}

/// A multipart body as JSON: each text field by name; a file as {filename, content_type,
/// size, sha256}. Null when it is not a well-formed multipart body.
fn multipart_json(raw: &[u8], boundary: &str) -> Value {
    use sha2::Digest;
    let delimiter = format!("\r\n--{boundary}");
    let mut body = b"\r\n".to_vec();
    body.extend_from_slice(raw);
    let find = |from: usize, needle: &[u8]| {
        body.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
    };
    let mut fields = serde_json::Map::new();
    let Some(mut at) = find(0, delimiter.as_bytes()) else { return Value::Null };
    for _ in 0..32 {
        at += delimiter.len();
        if body.get(at..at + 2) == Some(b"--") {
            return Value::Object(fields);
        }
        let Some(headers_end) = find(at, b"\r\n\r\n") else { return Value::Null };
        let headers = String::from_utf8_lossy(&body[at..headers_end]).into_owned();
        let Some(end) = find(headers_end + 4, delimiter.as_bytes()) else { return Value::Null };
        let content = &body[headers_end + 4..end];
        let param = |name: &str| {
            headers
                .split(';')
                .find_map(|p| p.trim().strip_prefix(&format!("{name}=\"")).map(|v| v.trim_end_matches('"').to_owned()))
        };
        let Some(name) = param("name") else { return Value::Null };
        let value = match param("filename") {
            Some(filename) => {
                let content_type = headers.lines().find_map(|l| l.strip_prefix("Content-Type: ")).unwrap_or("");
                let digest: String = sha2::Sha256::digest(content).iter().map(|b| format!("{b:02x}")).collect();
                json!({"filename": filename, "content_type": content_type, "size": content.len(), "sha256": digest})
            }
            None => Value::String(String::from_utf8_lossy(content).into_owned()),
        };
        fields.insert(name, value);
        at = end;
    }
    Value::Null
}

/// The Telegram Bot API's `sendMessage`, with its checks and its error texts.
pub fn start_telegram(port: u16) -> Result<Fake, String> {
    start(port, |fake, path, _headers, body| {
        let error = |code: u16, description: String| {
            (code, json!({"ok": false, "error_code": code, "description": description}))
        };
        let Some(rest) = path.strip_prefix("/bot") else { return error(404, "Not Found".into()) };
        let Some((token, method)) = rest.split_once('/') else { return error(404, "Not Found".into()) };
        if token != TELEGRAM_BOT_TOKEN {
            return error(401, "Unauthorized".into());
        }
        if !["sendMessage", "sendPhoto", "sendDocument"].contains(&method) {
            return error(404, "Not Found".into());
        }
        let chat = match &body["chat_id"] {
            Value::String(id) => id.clone(),
            Value::Number(id) => id.to_string(),
            _ => return error(400, "Bad Request: chat_id is empty".into()),
        };
        if chat != TELEGRAM_CHAT_ID {
            return error(400, "Bad Request: chat not found".into());
        }
        if method != "sendMessage" {
            // sendPhoto / sendDocument: the file, then its caption (at most 1,024 characters).
            let field = if method == "sendPhoto" { "photo" } else { "document" };
            let Some(size) = body[field]["size"].as_u64() else {
                return error(400, format!("Bad Request: there is no {field} in the request"));
            };
            if size > 10 * 1024 * 1024 {
                return error(400, "Bad Request: file is too big".into());
            }
            let caption = match telegram_text(body["caption"].as_str().unwrap_or_default()) {
                Ok(caption) if caption.encode_utf16().count() <= 1024 => caption,
                Ok(_) => return error(400, "Bad Request: message caption is too long".into()),
                Err(description) => return error(400, description),
            };
            let mut state = fake.state.lock().unwrap();
            state.next_message_id += 1;
            return (
                200,
                json!({"ok": true, "result": {"message_id": state.next_message_id, "chat": {"id": chat},
                                "caption": caption, field: [{"file_id": body[field]["sha256"], "file_size": size}]}}),
            );
        }
        let html = body["text"].as_str().unwrap_or_default();
        let text = if body["parse_mode"] == "HTML" { telegram_text(html) } else { Ok(html.to_owned()) };
        let text = match text {
            Ok(text) => text,
            Err(description) => return error(400, description),
        };
        if text.trim().is_empty() {
            return error(400, "Bad Request: message text is empty".into());
        }
        if text.encode_utf16().count() > 4096 {
            return error(400, "Bad Request: message is too long".into());
        }
        let mut state = fake.state.lock().unwrap();
        state.next_message_id += 1;
        (200, json!({"ok": true, "result": {"message_id": state.next_message_id, "chat": {"id": chat}, "text": text}}))
    })
}

#[test]
fn the_fake_telegram_parses_html_as_the_bot_api_does() {
    assert_eq!(telegram_text("🆕 <b>Заказ №1</b> &lt;b&gt; &amp; &quot;").unwrap(), "🆕 Заказ №1 <b> & \"");
    assert!(telegram_text("<b>open").unwrap_err().contains("Can't find end tag"));
    assert!(telegram_text("<x>y</x>").unwrap_err().contains("Unsupported start tag \"x\""));
    assert!(telegram_text("a & b").unwrap_err().contains("can't parse entities"));
    assert!(telegram_text("<b><i>a</b></i>").unwrap_err().contains("Unmatched end tag"));
}
