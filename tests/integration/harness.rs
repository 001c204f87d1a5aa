#![allow(dead_code)] // shared by several test binaries, each using a part
//! Starts the test stack once per test run and gives tests what they need to drive it:
//! an HTTP client for the Worker, SQL for the database, and fresh Bitrix ids.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fakes::{start_bitrix, start_telegram, Fake};

pub const WEBHOOK_TOKEN: &str = "dev-webhook-token";
/// The test stack's Standard Webhooks secret (scripts/stack.sh; made up).
pub const WEBHOOK_SIGNING_SECRET: &str = "whsec_ZGV2LXNpZ25pbmctc2VjcmV0LWN2ZXR5LWNybS0wMTIzNDU2Nzg5";
pub const CRM_TOKEN: &str = "dev-crm-token";
pub const WORKER: &str = "http://127.0.0.1:8788";
const DATABASE: &str = "host=127.0.0.1 port=55322 user=postgres dbname=postgres";
const BITRIX_PORT: u16 = 55380;
const TELEGRAM_PORT: u16 = 55381;
pub use crate::fakes::TELEGRAM_CHAT_ID;
/// The test stack's outbound timeout: a hanging peer costs its own test two seconds.
pub const OUTBOUND_TIMEOUT_SECONDS: u64 = 2;

/// The fakes the Worker of the test stack talks to.
pub struct Stack {
    pub bitrix: Fake,
    pub telegram: Fake,
}

/// The stack, or why it did not come up (every test then fails with that reason).
static STACK: OnceLock<Result<Stack, String>> = OnceLock::new();
static NEXT_ID: AtomicU64 = AtomicU64::new(700_000);

/// Worker settings a test binary starts the stack with, on top of the fakes' URLs.
static SETTINGS: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();

fn stack_script(command: &str) -> Result<(), String> {
    let settings = SETTINGS.get().cloned().unwrap_or_default();
    stack_script_with(command, &settings)
}

fn stack_script_with(command: &str, settings: &[(&str, &str)]) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new("bash")
        .arg(root.join("scripts/stack.sh"))
        .arg(command)
        .env("CRM_STACK", "test")
        .env("BITRIX_API_URL", format!("http://127.0.0.1:{BITRIX_PORT}/local/api/crm-gateway.php"))
        .env("TELEGRAM_API_URL", format!("http://127.0.0.1:{TELEGRAM_PORT}"))
        .env("TELEGRAM_CHAT_ID", TELEGRAM_CHAT_ID)
        // The retry schedule shortened 100 times: 10 s becomes 0.1 s (the queue rounds up to 1 s).
        .env("RETRY_DELAY_SCALE", "0.01")
        .env("OUTBOUND_TIMEOUT_SECONDS", OUTBOUND_TIMEOUT_SECONDS.to_string())
        // Dozens of tests in parallel are an artificial burst that would fold each other's
        // messages into digests; tests/load.rs's burst runs alone with the real threshold.
        .env("CHAT_DIGEST_AFTER", "1000")
        .envs(settings.iter().copied())
        .current_dir(root)
        .status()
        .map_err(|e| format!("failed to run scripts/stack.sh: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("scripts/stack.sh {command} failed (its output is above; logs in .local/test/logs)"))
    }
}

/// Brings the test stack up (once per run): the fakes, a fresh database with
/// supabase/migrations applied, PostgREST, and the Worker built from this tree.
pub fn ensure_stack() -> &'static Stack {
    let stack = STACK.get_or_init(|| {
        let stack = Stack { bitrix: start_bitrix(BITRIX_PORT)?, telegram: start_telegram(TELEGRAM_PORT)? };
        stack_script("up")?;
        Ok(stack)
    });
    stack.as_ref().unwrap_or_else(|reason| panic!("the test stack is not up: {reason}"))
}

/// Brings the test stack up with these Worker settings (for a binary of its own: the stack is
/// shared by every test of a binary).
pub fn ensure_stack_with(settings: &[(&'static str, &'static str)]) -> &'static Stack {
    SETTINGS.get_or_init(|| settings.to_vec());
    ensure_stack()
}

/// Restarts only the Worker with other settings, as changing vars in the dashboard would.
pub fn restart_worker_with(settings: &[(&str, &str)]) {
    stack_script_with("worker-restart", settings).unwrap();
}

/// Stops the Worker (wrangler dev), as an outage of the Worker would.
pub fn stop_worker() {
    stack_script("worker-stop").unwrap();
}

/// Starts the Worker again with the binary's settings.
pub fn start_worker() {
    stack_script("worker-restart").unwrap();
}

/// Stops PostgREST (the Worker then cannot reach Supabase).
pub fn stop_postgrest() {
    stack_script("postgrest-stop").unwrap();
}

/// Starts PostgREST again.
pub fn start_postgrest() {
    stack_script("postgrest-start").unwrap();
}

/// Polls `check` until it gives `Some`, for at most `limit`.
pub async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    limit: Duration,
    what: &str,
    check: impl Fn() -> F,
) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

static EXCLUSIVE: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();

/// Held by a test whose effects reach every other test of its binary (PostgREST stopped, every
/// dead letter replayed): such tests run one at a time.
pub async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
    EXCLUSIVE.get_or_init(|| tokio::sync::Mutex::new(())).lock().await
}

/// The Worker's log so far (wrangler dev's output: our JSON lines among its own).
pub fn worker_log() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".local/test/logs/worker.log");
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Runs the Worker's cron handler now, as Cloudflare does every minute (wrangler dev's
/// `/__scheduled`, enabled by `--test-scheduled`).
pub async fn trigger_cron() {
    let answer = send(reqwest::Client::new().get(url("/__scheduled?cron=*+*+*+*+*"))).await;
    assert_eq!(answer.status, 200, "the cron handler did not run: {answer:?}");
}

/// A `sync_jobs` row as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub flow: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

impl Job {
    /// `(flow, status, attempts)`, for exact comparisons.
    pub fn short(&self) -> (&str, &str, i32) {
        (&self.flow, &self.status, self.attempts)
    }
}

/// The jobs whose payload says `key = value` (an order's, a product's), oldest first; jobs written
/// in one transaction (one `created_at`) by flow name.
pub async fn jobs_of(key: &str, value: &str) -> Vec<Job> {
    let rows = db()
        .await
        .query(
            "select flow, status, attempts, last_error from sync_jobs where payload ->> $1 = $2
             order by created_at, flow, idempotency_key",
            &[&key, &value],
        )
        .await
        .expect("failed to read sync_jobs");
    rows.iter().map(|r| Job { flow: r.get(0), status: r.get(1), attempts: r.get(2), last_error: r.get(3) }).collect()
}

/// Waits until every job of a cause has ended (done, skipped or dead: none pending, running or
/// retrying), so that what the fakes received can no longer grow, and returns the jobs. Count
/// after this, never after a bare sleep: a duplicate that comes later would pass.
pub async fn settled(key: &str, value: &str) -> Vec<Job> {
    eventually(Duration::from_secs(45), &format!("every job with {key} = {value} to end"), || async {
        let jobs = jobs_of(key, value).await;
        jobs.iter().all(|job| matches!(job.status.as_str(), "done" | "skipped" | "dead")).then_some(jobs)
    })
    .await
}

/// As [`settled`], for the jobs of an order.
pub async fn settled_order(order_id: &str) -> Vec<Job> {
    settled("order_id", order_id).await
}

/// The CRM id of the order with this Bitrix id.
pub async fn order_id_of(bitrix_id: u64) -> String {
    let row = order_row(bitrix_id).await;
    row["id"].as_str().unwrap_or_else(|| panic!("no order {bitrix_id}")).to_owned()
}

/// A Bitrix order id no other test uses.
pub fn fresh_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

pub fn url(path: &str) -> String {
    ensure_stack();
    format!("{WORKER}{path}")
}

/// An HTTP answer: status and JSON body (Null when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// What `wrangler dev`'s own proxy answers when it swapped the local Worker while a request
/// was on its way: the request never reached the Worker, and wrangler asks to send it again.
const WRANGLER_RESTARTED: &str = "Your worker restarted mid-request";

/// Sends a request to the Worker. The one answer that is not the Worker's (wrangler's dev
/// proxy restarting, above) is retried, at most three times; everything else is returned.
pub async fn send(request: reqwest::RequestBuilder) -> Answer {
    for _ in 0..3 {
        let attempt = request.try_clone().expect("requests in tests have plain bodies");
        let response = attempt.send().await.expect("failed to reach the Worker");
        let status = response.status().as_u16();
        let text = response.text().await.expect("failed to read the Worker's answer");
        if status == 503 && text.starts_with(WRANGLER_RESTARTED) {
            eprintln!("wrangler dev restarted the Worker mid-request; sending again");
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        return Answer { status, body: serde_json::from_str(&text).unwrap_or(Value::Null) };
    }
    panic!("wrangler dev kept restarting the Worker");
}

/// Now, in Unix seconds (the Worker's clock is this machine's).
pub fn unix_now() -> i64 {
    i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

static WEBHOOK_IDS: AtomicU64 = AtomicU64::new(1);

/// The Standard Webhooks headers the Bitrix kit sends with `body`, signed at `at`.
pub fn signature_headers(body: &[u8], at: i64) -> Vec<(&'static str, String)> {
    let secret = cvety_crm::domain::signing::SigningSecret::parse(WEBHOOK_SIGNING_SECRET).unwrap();
    let id = format!("evt_test_{}_{}", std::process::id(), WEBHOOK_IDS.fetch_add(1, Ordering::Relaxed));
    let signature = secret.sign(&id, at, body);
    vec![("webhook-id", id), ("webhook-timestamp", at.to_string()), ("webhook-signature", signature)]
}

/// Posts raw bytes to the webhook route with these headers (and no others of ours).
pub async fn post_webhook_with(body: Vec<u8>, headers: &[(&str, String)]) -> Answer {
    let mut request =
        reqwest::Client::new().post(url("/webhooks/bitrix/order")).header("Content-Type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    send(request.body(body)).await
}

/// Posts raw bytes to the webhook route with an optional bearer token and no signature.
pub async fn post_webhook_bytes(body: Vec<u8>, token: Option<&str>) -> Answer {
    let headers: Vec<(&str, String)> = token.map(|t| ("Authorization", format!("Bearer {t}"))).into_iter().collect();
    post_webhook_with(body, &headers).await
}

/// Posts raw bytes signed as the Bitrix kit signs them, now.
pub async fn post_signed_bytes(body: Vec<u8>) -> Answer {
    let headers = signature_headers(&body, unix_now());
    post_webhook_with(body, &headers).await
}

/// Posts a webhook body, signed.
pub async fn post_webhook(body: &Value) -> Answer {
    post_signed_bytes(serde_json::to_vec(body).unwrap()).await
}

/// A sample from tests/fixtures/bitrix, with its order id replaced when `id` is given.
pub fn fixture(name: &str, id: Option<u64>) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bitrix").join(name);
    let mut body: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    if let Some(id) = id {
        body["data"]["ID"] = Value::String(id.to_string());
        if body["data"].get("ACCOUNT_NUMBER").is_some() {
            body["data"]["ACCOUNT_NUMBER"] = Value::String(id.to_string());
        }
        // A test's own order was placed during this run (an old one would be stored as a
        // backfill, quietly); one time for the whole run, so that a body built twice is the same.
        if body["data"].get("DATE_INSERT").is_some() {
            static RUN_STARTED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            body["data"]["DATE_INSERT"] = Value::String(RUN_STARTED.get_or_init(just_now).clone());
        }
    }
    body
}

/// The time now in Almaty, as Bitrix writes `DATE_INSERT`.
pub fn just_now() -> String {
    let almaty = chrono::FixedOffset::east_opt(5 * 3600).unwrap();
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let now = chrono::DateTime::from_timestamp(i64::try_from(seconds).unwrap(), 0).unwrap();
    now.with_timezone(&almaty).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// A CRM API call with the CRM token.
pub async fn crm(method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
    let mut request = reqwest::Client::new().request(method, url(path)).bearer_auth(CRM_TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    send(request).await
}

/// Adds a catalogue product in stock with this Bitrix id (and storefront slug); returns its id.
pub async fn insert_product(name: &str, bitrix_product_id: u64, ru_url: Option<&str>) -> String {
    db().await
        .query_one(
            // The product as Bitrix's catalogue has it: the one a catalogue load made, if one did.
            "with existing as (select id from products where metadata -> 'properties' ->> 'bitrix_id' = $2::text),
                  made as (insert into products (name, metadata)
                           select $1, jsonb_strip_nulls(jsonb_build_object('properties', jsonb_build_object(
                             'bitrix_id', $2::text, 'IN_STOCK', '158', 'ru_url', $3::text)))
                           where not exists (select 1 from existing) returning id)
             select id::text from made union all select id::text from existing",
            &[&name, &bitrix_product_id.to_string(), &ru_url],
        )
        .await
        .expect("failed to insert a product")
        .get(0)
}

/// How many orders have this recipient name.
pub async fn orders_for_recipient(recipient: &str) -> i64 {
    db().await
        .query_one("select count(*) from orders where recipient_name = $1", &[&recipient])
        .await
        .expect("failed to count orders")
        .get(0)
}

/// A connection to the test database.
pub async fn db() -> tokio_postgres::Client {
    ensure_stack();
    let (client, connection) =
        tokio_postgres::connect(DATABASE, tokio_postgres::NoTls).await.expect("failed to connect to the test database");
    tokio::spawn(connection);
    client
}

/// Runs a query whose single row and column is JSON (use `to_jsonb(...)` / `jsonb_build_object`).
pub async fn sql_json(query: &str, bitrix_id: u64) -> Value {
    let id = i64::try_from(bitrix_id).unwrap();
    let row = db().await.query_one(query, &[&id]).await.unwrap_or_else(|e| panic!("{query}: {e}"));
    row.get::<_, Option<Value>>(0).unwrap_or(Value::Null)
}

/// The order row for a Bitrix id, as JSON (Null when there is none).
pub async fn order_row(bitrix_id: u64) -> Value {
    sql_json("select (select to_jsonb(o) from orders o where bitrix_order_id = $1)", bitrix_id).await
}

/// The order's items, ordered by basket id.
pub async fn order_items(bitrix_id: u64) -> Vec<Value> {
    let items = sql_json(
        "select coalesce(jsonb_agg(to_jsonb(i) order by i.bitrix_basket_id), '[]') from order_items i
         join orders o on o.id = i.order_id where o.bitrix_order_id = $1",
        bitrix_id,
    )
    .await;
    items.as_array().cloned().unwrap_or_default()
}

/// How many rows each table holds for a Bitrix order id.
pub async fn counts(bitrix_id: u64) -> (i64, i64, i64) {
    let value = sql_json(
        "select jsonb_build_array(
           (select count(*) from orders where bitrix_order_id = $1),
           (select count(*) from order_items i join orders o on o.id = i.order_id where o.bitrix_order_id = $1),
           (select count(*) from webhook_events where bitrix_order_id = $1))",
        bitrix_id,
    )
    .await;
    (value[0].as_i64().unwrap(), value[1].as_i64().unwrap(), value[2].as_i64().unwrap())
}

/// The password of the staff accounts tests add with [`staff_account`].
pub const STAFF_PASSWORD: &str = "right-password-for-tests";

/// A new staff account, `login`, with [`STAFF_PASSWORD`]: an owner.
pub async fn staff_account(login: &str) {
    staff_account_as(login, "owner").await;
}

/// A new staff account, `login`, with [`STAFF_PASSWORD`] and `role`; answers its id.
pub async fn staff_account_as(login: &str, role: &str) -> String {
    let hash = cvety_crm::web::session::hash_password(STAFF_PASSWORD, &mut cvety_crm::random::SystemRandom).unwrap();
    let row = db()
        .await
        .query_one(
            "insert into staff (login, name, password_hash, role) values ($1, 'Проверка ' || $1, $2, $3) returning id::text",
            &[&login, &hash, &role],
        )
        .await
        .unwrap();
    row.get(0)
}

/// The login form's POST from `network` (Cloudflare's `CF-Connecting-IP`): status, cookie, page.
pub async fn log_in(login: &str, password: &str, network: &str) -> (u16, Option<String>, String) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = [("login", login), ("password", password), ("next", "/crm")];
    let response = client
        .post(url("/crm/login"))
        .header("Origin", WORKER)
        .header("CF-Connecting-IP", network)
        .form(&form)
        .send()
        .await
        .expect("the Worker answers the login form");
    let status = response.status().as_u16();
    let cookie = response.headers().get("Set-Cookie").map(|v| v.to_str().unwrap().to_owned());
    (status, cookie, response.text().await.unwrap_or_default())
}

/// How many failed attempts a login has on record.
pub async fn login_failures(login: &str) -> i64 {
    db().await.query_one("select count(*) from staff_login_failures where login = $1", &[&login]).await.unwrap().get(0)
}

/// A `multipart/form-data` body with one file in the field `photo`, as a phone's browser sends
/// it: its content type (with the boundary) and its bytes.
pub fn photo_form(file: &[u8], filename: &str, content_type: &str) -> (String, Vec<u8>) {
    let boundary = "----cvetyTestBoundary7MA4YWxk";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{filename}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
