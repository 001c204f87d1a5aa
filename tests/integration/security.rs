//! What an attacker of crm.cvety.kz would try: guessing staff passwords in parallel, locking
//! the owner out, logins and bodies far too large, reading the database as Supabase's public
//! roles. Every answer's headers. On the real stack.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::harness::{
    db, ensure_stack, fresh_id, log_in, login_failures as failures_of, staff_account as staff, url, worker_log,
    CRM_TOKEN, STAFF_PASSWORD as PASSWORD,
};

const POSTGREST: &str = "http://127.0.0.1:55321";

#[tokio::test]
async fn a_login_hammered_from_one_network_still_opens_from_another_with_a_host_only_cookie() {
    ensure_stack();
    let login = format!("owner-{}", fresh_id());
    staff(&login).await;
    for n in 0..8 {
        log_in(&login, &format!("attacker-{n}"), "203.0.113.66").await;
    }
    assert_eq!(log_in(&login, PASSWORD, "203.0.113.66").await.0, 429);

    let (status, cookie, _) = log_in(&login, PASSWORD, "192.0.2.10").await;

    assert_eq!(status, 303, "the owner from another network is let in");
    let cookie = cookie.expect("a session cookie");
    assert!(cookie.starts_with("__Host-cvety_session="), "{cookie}");
    for part in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(part), "{part} missing from {cookie}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    assert_eq!(log_in(&login, PASSWORD, "203.0.113.66").await.0, 429, "the attacker's network stays locked");
}

#[tokio::test]
async fn many_networks_together_lock_a_login_but_not_for_a_network_it_opened_from_before() {
    ensure_stack();
    let login = format!("spread-{}", fresh_id());
    staff(&login).await;
    assert_eq!(log_in(&login, PASSWORD, "192.0.2.77").await.0, 303, "the owner's usual network");
    // 30 failures from 15 networks, two each: no network reaches its own limit.
    for n in 0..30 {
        log_in(&login, "wrong", &format!("198.18.0.{}", n / 2)).await;
    }

    let (fresh, _, page) = log_in(&login, PASSWORD, "198.18.1.1").await;
    let (usual, cookie, _) = log_in(&login, PASSWORD, "192.0.2.77").await;

    assert_eq!(fresh, 429, "a network never seen is held while the attack goes on");
    assert!(page.contains("с разных адресов"), "the page says why");
    assert_eq!(usual, 303, "the owner's own network opens it");
    assert!(cookie.is_some());
}

#[tokio::test]
async fn a_typed_login_is_never_logged_and_a_huge_one_is_refused_before_the_database() {
    ensure_stack();
    let marker = format!("typed-secret-{}", fresh_id());
    let huge = format!("{marker}{}", "x".repeat(10_000));

    let (wrong, _, _) = log_in(&marker, "wrong", "192.0.2.200").await;
    let (long, _, page) = log_in(&huge, "wrong", "192.0.2.200").await;

    assert_eq!(wrong, 401);
    assert_eq!(long, 400, "never the index's 500");
    assert!(page.contains("Логин длиннее 64 символов"));
    let rows: i64 = db()
        .await
        .query_one("select count(*) from staff_login_failures where login like $1", &[&format!("{marker}%")])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 1, "the short one counted; the long one never reached the database");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!worker_log().contains(&marker), "the typed login is in the Worker's log");
}

#[tokio::test]
async fn failures_older_than_a_day_are_forgotten_for_every_login() {
    ensure_stack();
    let old = format!("old-{}", fresh_id());
    db().await
        .execute("insert into staff_login_failures (login, at) values ($1, now() - interval '25 hours')", &[&old])
        .await
        .unwrap();

    log_in(&format!("other-{}", fresh_id()), "wrong", "192.0.2.201").await;

    assert_eq!(failures_of(&old).await, 0);
}

#[tokio::test]
async fn staff_sh_unlock_opens_a_locked_login() {
    ensure_stack();
    let login = format!("locked-{}", fresh_id());
    staff(&login).await;
    for _ in 0..5 {
        log_in(&login, "wrong", "192.0.2.202").await;
    }
    assert_eq!(log_in(&login, PASSWORD, "192.0.2.202").await.0, 429);

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new("bash")
        .arg(root.join("scripts/staff.sh"))
        .args(["unlock", &login.to_uppercase()])
        .env("CRM_STACK", "test")
        .status()
        .unwrap();

    assert!(status.success());
    assert_eq!(log_in(&login, PASSWORD, "192.0.2.202").await.0, 303);
}

#[tokio::test]
async fn every_answer_carries_hsts_and_no_json_answer_may_be_stored() {
    ensure_stack();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let requests = [
        client.get(url("/health")),
        client.get(url("/nope")),
        client.get(url("/api/orders")),
        client.get(url("/api/orders")).bearer_auth(CRM_TOKEN),
        client.get(url("/api/sync/status")).bearer_auth(CRM_TOKEN),
        client.post(url("/webhooks/bitrix/order")).body("{}"),
        client.get(url("/crm/login")),
        client.get(url("/crm")),
        client.get(url("/static/crm.css")),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        let path = response.url().path().to_owned();
        let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            header("Strict-Transport-Security").as_deref(),
            Some("max-age=31536000; includeSubDomains"),
            "{path}"
        );
        if header("Content-Type").is_some_and(|t| t.starts_with("application/json")) || path.starts_with("/api") {
            assert_eq!(header("Cache-Control").as_deref(), Some("no-store"), "{path}");
        }
    }
}

#[tokio::test]
async fn supabases_public_roles_read_nothing_and_write_nothing_through_postgrest() {
    ensure_stack();
    let db = db().await;
    let tables: Vec<String> = db
        .query("select tablename::text from pg_tables where schemaname = 'public' order by 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.len() > 10, "{tables:?}");
    let before: i64 = db.query_one("select count(*) from orders", &[]).await.unwrap().get(0);
    let client = reqwest::Client::new();

    for table in &tables {
        // No JWT: PostgREST's anon role, as anyone with the project's URL.
        let read = client.get(format!("{POSTGREST}/{table}?limit=1")).send().await.unwrap();
        assert!([401, 403].contains(&read.status().as_u16()), "anon read {table}: {}", read.status());
    }
    let write = client
        .post(format!("{POSTGREST}/orders"))
        .json(&serde_json::json!({"recipient_name": "anon"}))
        .send()
        .await
        .unwrap();
    let call = client
        .post(format!("{POSTGREST}/rpc/orders_page"))
        .json(&serde_json::json!({"p_filter": {}}))
        .send()
        .await
        .unwrap();

    assert!([401, 403].contains(&write.status().as_u16()), "anon write: {}", write.status());
    assert!([401, 403, 404].contains(&call.status().as_u16()), "anon rpc: {}", call.status());
    let after: i64 = db.query_one("select count(*) from orders", &[]).await.unwrap().get(0);
    assert!(after >= before);
    let anon_rows: i64 =
        db.query_one("select count(*) from orders where recipient_name = 'anon'", &[]).await.unwrap().get(0);
    assert_eq!(anon_rows, 0);
    let grants: i64 = db
        .query_one(
            "select count(*) from information_schema.role_table_grants
             where table_schema = 'public' and grantee in ('anon', 'authenticated')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(grants, 0, "no table right left to anon or authenticated");
}

/// Runs `make deploy`'s check with a stand-in `wrangler` that lists `secrets`.
fn deploy_check(secrets: &[&str]) -> (bool, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("cvety-deploy-check-{}", fresh_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list: Vec<String> = secrets.iter().map(|s| format!(r#"{{"name":"{s}","type":"secret_text"}}"#)).collect();
    let fake = dir.join("wrangler");
    std::fs::write(&fake, format!("#!/bin/sh\n[ \"$1 $2\" = 'secret list' ] || exit 3\necho '[{}]'\n", list.join(",")))
        .unwrap();
    Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
    let output = Command::new("bash")
        .arg(root.join("scripts/deploy.sh"))
        .arg("check")
        .env("WRANGLER", &fake)
        .current_dir(root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn make_deploy_stops_with_a_clear_message_when_a_production_secret_is_missing() {
    let all = [
        "WEBHOOK_TOKEN",
        "WEBHOOK_SIGNING_SECRET",
        "CRM_API_TOKEN",
        "SUPABASE_SERVICE_KEY",
        "BITRIX_API_TOKEN",
        "TELEGRAM_BOT_TOKEN",
        "SESSION_SECRET",
    ];
    let (ok, text) = deploy_check(&all);
    assert!(ok, "{text}");

    let without: Vec<&str> =
        all.iter().copied().filter(|s| !["SESSION_SECRET", "WEBHOOK_SIGNING_SECRET"].contains(s)).collect();
    let (ok, text) = deploy_check(&without);
    assert!(!ok, "{text}");
    assert!(text.contains("SESSION_SECRET") && text.contains("WEBHOOK_SIGNING_SECRET"), "{text}");
    assert!(text.contains("wrangler secret put"), "{text}");
}
