//! The three switches: each turns its flow off at once, by a var, without new code; a missing or
//! unreadable var never turns a flow off. The webhook's proof of origin, by
//! `WEBHOOK_SIGNING_SECRET`. Its own test binary, because it restarts the Worker with other vars.

#[path = "integration/fakes.rs"]
mod fakes;
#[path = "integration/harness.rs"]
mod harness;

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use harness::{
    counts, crm, ensure_stack_with, eventually, exclusive, fixture, fresh_id, order_id_of, post_webhook,
    post_webhook_bytes, restart_worker_with, send, settled, settled_order, trigger_cron, url, Job, WEBHOOK_TOKEN,
};

const OFF: [(&str, &str); 2] = [("BITRIX_SYNC_ENABLED", "false"), ("TELEGRAM_NOTIFICATIONS_ENABLED", "false")];
const WAIT: Duration = Duration::from_secs(30);

fn short(jobs: &[Job]) -> Vec<(&str, &str, i32)> {
    jobs.iter().map(Job::short).collect()
}

async fn switches() -> serde_json::Value {
    send(reqwest::Client::new().get(url("/health"))).await.body["switches"].clone()
}

#[tokio::test]
async fn each_switch_stops_its_flow_at_once_and_held_bitrix_changes_are_sent_by_the_cron_when_switched_back_on() {
    let stack = ensure_stack_with(&OFF);
    let _alone = exclusive().await;
    restart_worker_with(&OFF);
    assert_eq!(
        switches().await,
        json!({"sync_enabled": true, "bitrix_sync_enabled": false, "telegram_notifications_enabled": false})
    );

    // Webhooks still land; their notification is skipped, not sent later.
    let id = fresh_id();
    let marker = format!("Выключено {id}");
    let mut body = fixture("order-create.json", Some(id));
    body["data"]["properties"]["nameRecipient"] = json!(marker);
    assert_eq!(post_webhook(&body).await.body["outcome"], "created");
    // A Bitrix change from the CRM is accepted and held.
    let bitrix_product_id = fresh_id();
    let product_id = harness::insert_product("Ирисы", bitrix_product_id, None).await;
    let toggled = crm(Method::POST, &format!("/api/products/{product_id}/set-unavailable"), None).await;
    assert_eq!(toggled.body["success"], true);

    let order_id = order_id_of(id).await;
    let skipped = settled_order(&order_id).await;
    assert_eq!(short(&skipped), [("telegram", "skipped", 1)]);
    assert_eq!(skipped[0].last_error.as_deref(), Some("TELEGRAM_NOTIFICATIONS_ENABLED=false"));
    let held = eventually(WAIT, "the held availability call", || async {
        let jobs = harness::jobs_of("product_id", &product_id).await;
        (jobs.len() == 1 && jobs[0].status == "retrying").then_some(jobs)
    })
    .await;
    assert_eq!(held[0].attempts, 0, "a held job has used no attempt");
    let needle = format!("\"bitrix_product_id\":{bitrix_product_id}");
    assert!(stack.bitrix.received(&needle).is_empty());
    assert!(stack.telegram.received(&marker).is_empty());

    // Switched back on (vars only): the cron sends the held call once; the skipped message stays unsent.
    restart_worker_with(&[]);
    // Cloudflare runs the cron every minute; here it runs until the held call is due and sent.
    eventually(WAIT, "the held call to be sent by the cron", || async {
        trigger_cron().await;
        let jobs = harness::jobs_of("product_id", &product_id).await;
        (jobs.iter().all(|job| job.status == "done")).then_some(())
    })
    .await;
    let jobs = settled("product_id", &product_id).await;
    assert_eq!(short(&jobs), [("availability_sync", "done", 1)]);
    let sent = stack.bitrix.received(&needle);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["in_stock_value"], "159");
    assert_eq!(short(&settled_order(&order_id).await), [("telegram", "skipped", 1)]);
    assert!(stack.telegram.received(&marker).is_empty());

    // SYNC_ENABLED=false: webhooks are refused for Bitrix to send later, and nothing is stored.
    restart_worker_with(&[("SYNC_ENABLED", "false")]);
    let refused_id = fresh_id();
    let refused = post_webhook(&fixture("order-create.json", Some(refused_id))).await;
    assert_eq!((refused.status, refused.body["error"].as_str()), (503, Some("sync_disabled")), "{:?}", refused.body);
    assert_eq!(counts(refused_id).await, (0, 0, 0));
    assert_eq!(switches().await["sync_enabled"], false);

    // A var nobody can read counts as on: a typo never stops the shop's flows.
    restart_worker_with(&[
        ("SYNC_ENABLED", "yes please"),
        ("BITRIX_SYNC_ENABLED", ""),
        ("TELEGRAM_NOTIFICATIONS_ENABLED", "maybe"),
    ]);
    assert_eq!(
        switches().await,
        json!({"sync_enabled": true, "bitrix_sync_enabled": true, "telegram_notifications_enabled": true})
    );
    let accepted = post_webhook(&fixture("order-create.json", Some(refused_id))).await;
    assert_eq!(accepted.body["outcome"], "created", "the same webhook, sent again, now lands");
}

#[tokio::test]
async fn before_the_switch_over_to_signatures_the_token_is_proof_and_an_unusable_secret_refuses_every_webhook() {
    ensure_stack_with(&OFF);
    let _alone = exclusive().await;

    // No signing secret: Bitrix's older sender, with the token in the header or in the body.
    restart_worker_with(&[("WEBHOOK_SIGNING_SECRET", "")]);
    let health = send(reqwest::Client::new().get(url("/health"))).await;
    assert_eq!(health.body["webhook_auth"], "token");
    let (header_id, body_id, wrong_id) = (fresh_id(), fresh_id(), fresh_id());
    let by_header = post_webhook_bytes(
        serde_json::to_vec(&fixture("order-create.json", Some(header_id))).unwrap(),
        Some(WEBHOOK_TOKEN),
    )
    .await;
    let mut with_token = fixture("order-create.json", Some(body_id));
    with_token["token"] = json!(WEBHOOK_TOKEN);
    let by_body = post_webhook_bytes(serde_json::to_vec(&with_token).unwrap(), None).await;
    let wrong = post_webhook_bytes(
        serde_json::to_vec(&fixture("order-create.json", Some(wrong_id))).unwrap(),
        Some("not-the-token"),
    )
    .await;
    assert_eq!(
        (by_header.body["outcome"].as_str(), by_body.body["outcome"].as_str()),
        (Some("created"), Some("created"))
    );
    assert_eq!((wrong.status, wrong.body["error"].as_str()), (401, Some("unauthorized")));
    assert_eq!(counts(wrong_id).await, (0, 0, 0));

    // A secret that is not whsec_<base64>: every webhook waits with its sender (503), never the token.
    restart_worker_with(&[("WEBHOOK_SIGNING_SECRET", "whsec_not base64")]);
    let health = send(reqwest::Client::new().get(url("/health"))).await;
    assert_eq!(
        (health.body["status"].as_str(), health.body["webhook_auth"].as_str()),
        (Some("degraded"), Some("misconfigured"))
    );
    let refused_id = fresh_id();
    let refused = post_webhook_bytes(
        serde_json::to_vec(&fixture("order-create.json", Some(refused_id))).unwrap(),
        Some(WEBHOOK_TOKEN),
    )
    .await;
    assert_eq!(
        (refused.status, refused.body["error"].as_str()),
        (503, Some("signing_misconfigured")),
        "{:?}",
        refused.body
    );
    assert_eq!(counts(refused_id).await, (0, 0, 0));

    // The secret back: signed webhooks land again.
    restart_worker_with(&OFF);
    let signed = post_webhook(&fixture("order-create.json", Some(refused_id))).await;
    assert_eq!(signed.body["outcome"], "created");
}

#[tokio::test]
async fn a_mistyped_telegram_url_never_puts_the_bot_token_in_a_job_an_answer_or_a_log() {
    ensure_stack_with(&OFF);
    let _alone = exclusive().await;
    // No scheme: the URL cannot be built, and the error would quote it, bot token and all.
    restart_worker_with(&[("TELEGRAM_API_URL", "127.0.0.1:55381")]);
    let token = "123456:dev-telegram-token";
    let id = fresh_id();

    post_webhook(&fixture("order-create.json", Some(id))).await;
    let jobs = settled_order(&order_id_of(id).await).await;
    let status = crm(Method::GET, "/api/sync/status", None).await;
    let dead = crm(Method::GET, "/api/sync/dead-letters", None).await;
    restart_worker_with(&OFF);

    assert_eq!(short(&jobs), [("telegram", "dead", 1)]);
    let error = jobs[0].last_error.clone().unwrap();
    assert!(error.contains("bad URL") && error.contains("[redacted]"), "{error}");
    assert!(!error.contains(token), "{error}");
    assert!(!status.body.to_string().contains(token), "{}", status.body);
    assert!(dead.body.to_string().contains("[redacted]"), "{}", dead.body);
    assert!(!dead.body.to_string().contains(token), "{}", dead.body);
    assert!(!harness::worker_log().contains(token), "the bot token is in the Worker's log");
}

#[tokio::test]
async fn production_missing_a_secret_answers_503_misconfigured_naming_each_and_serves_nothing_else() {
    ensure_stack_with(&OFF);
    let _alone = exclusive().await;
    restart_worker_with(&[
        ("ENVIRONMENT", "production"),
        ("WEBHOOK_SIGNING_SECRET", ""),
        ("SESSION_SECRET", "too-short"),
    ]);
    let id = fresh_id();

    let health = send(reqwest::Client::new().get(url("/health"))).await;
    let webhook =
        post_webhook_bytes(serde_json::to_vec(&fixture("order-create.json", Some(id))).unwrap(), Some(WEBHOOK_TOKEN))
            .await;
    let api = crm(Method::GET, "/api/orders", None).await;
    let page = reqwest::get(url("/crm/login")).await.unwrap();
    let (page_status, page_text) = (page.status().as_u16(), page.text().await.unwrap());
    restart_worker_with(&OFF);
    let healthy = send(reqwest::Client::new().get(url("/health"))).await;

    assert_eq!((health.status, health.body["status"].as_str()), (503, Some("misconfigured")), "{:?}", health.body);
    let named: Vec<&str> =
        health.body["misconfigured"].as_array().unwrap().iter().map(|m| m["setting"].as_str().unwrap()).collect();
    assert_eq!(named, ["WEBHOOK_SIGNING_SECRET", "SESSION_SECRET"]);
    assert_eq!(health.body["environment"], "production");
    assert_eq!((webhook.status, webhook.body["error"].as_str()), (503, Some("misconfigured")), "never token mode");
    assert_eq!(counts(id).await, (0, 0, 0));
    assert_eq!((api.status, api.body["error"].as_str()), (503, Some("misconfigured")));
    assert_eq!(page_status, 503);
    assert!(page_text.contains("CRM не настроена"), "{page_text}");
    assert_eq!((healthy.status, healthy.body["status"].as_str()), (200, Some("ok")), "development checks nothing");
}
