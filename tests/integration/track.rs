//! The buyer's tracking page on the real stack (issue 20): a link made on the card, written to
//! the Bitrix order once, showing the steps and the bouquet's photo and nothing of the recipient,
//! the buyer or the money; revoked, it answers the same 404 as any guess; a burst of guesses from
//! one network is limited and finds nothing.

use std::time::Duration;

use serde_json::Value;

use crate::harness::{
    crm, db, ensure_stack, eventually, fixture, fresh_id, log_in, order_id_of, photo_form, post_webhook,
    staff_account_as, url, STAFF_PASSWORD, WORKER,
};

/// Long enough for a job to meet a retry on a loaded 2-core machine (the whole suite runs side by
/// side); it costs time only when a test is failing anyway.
const WAIT: Duration = Duration::from_secs(60);

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn manager() -> String {
    let login = format!("manager-{}", fresh_id());
    staff_account_as(&login, "manager").await;
    let (_, cookie, _) = log_in(&login, STAFF_PASSWORD, "192.0.2.160").await;
    cookie.unwrap().split(';').next().unwrap().to_owned()
}

async fn post(cookie: &str, path: &str) -> u16 {
    let request = client().post(url(path)).header("Cookie", cookie).header("Origin", WORKER).form(&[("x", "y")]);
    request.send().await.unwrap().status().as_u16()
}

/// The buyer's page as a phone from `network` gets it: status, headers we check, body.
async fn open(path: &str, network: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let answer = client().get(url(path)).header("CF-Connecting-IP", network).send().await.unwrap();
    let (status, headers) = (answer.status().as_u16(), answer.headers().clone());
    (status, headers, answer.text().await.unwrap())
}

async fn live_token(order_id: &str) -> Option<String> {
    db().await
        .query_opt("select token from track_links where order_id = $1::text::uuid and revoked_at is null", &[&order_id])
        .await
        .unwrap()
        .map(|row| row.get(0))
}

fn track_urls(stack: &crate::harness::Stack, bitrix_id: i64) -> Vec<Value> {
    stack
        .bitrix
        .received(&format!("\"bitrix_order_id\":{bitrix_id}"))
        .into_iter()
        .filter(|c| c.body["action"] == "order.update" && c.body["fields"]["properties"].get("crmTrackUrl").is_some())
        .map(|c| c.body["fields"]["properties"]["crmTrackUrl"].clone())
        .collect()
}

#[tokio::test]
async fn a_link_made_on_the_card_shows_the_buyer_the_steps_and_photo_and_nothing_private_until_revoked() {
    let stack = ensure_stack();
    let manager = manager().await;
    let bitrix_id = 7_600_000 + fresh_id() % 100_000;
    assert_eq!(post_webhook(&fixture("order-create.json", Some(bitrix_id))).await.status, 200);
    let order_id = order_id_of(bitrix_id).await;
    let network = format!("198.51.100.{}", fresh_id() % 200);

    assert_eq!(post(&manager, &format!("/crm/orders/{order_id}/track")).await, 303);
    assert_eq!(post(&manager, &format!("/crm/orders/{order_id}/track")).await, 303, "a second press makes nothing");
    let token = live_token(&order_id).await.expect("a live link");
    assert_eq!(token.len(), 43, "32 random bytes");
    let written = eventually(WAIT, "the link in the Bitrix order", || async {
        let urls = track_urls(stack, i64::try_from(bitrix_id).unwrap());
        (!urls.is_empty()).then_some(urls)
    })
    .await;
    assert_eq!(written.len(), 1, "the property once per link");
    assert!(written[0].as_str().unwrap().ends_with(&format!("/t/{token}")), "{written:?}");

    let (status, headers, page) = open(&format!("/t/{token}"), &network).await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "private, no-store");
    assert_eq!(headers["x-robots-tag"], "noindex, nofollow");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(page.contains(&format!("Заказ №{bitrix_id}")) && page.contains("Принят") && page.contains("15:00-16:00"));
    for private in [
        "+7 (701) 555-12-34",
        "7015551234",
        "7015550000",
        "Абая",
        "Айгерим",
        "Марат",
        "9 000",
        "9000",
        "16 500",
        "7 500",
        "₸",
    ] {
        assert!(!page.contains(private), "the page shows {private}");
    }
    let card = client().get(url(&format!("/crm/orders/{order_id}"))).header("Cookie", &manager).send().await.unwrap();
    let card = card.text().await.unwrap();
    assert!(card.contains("https://wa.me/77015550000?text="), "WhatsApp with the buyer's number");
    assert!(card.contains("Создана ссылка для покупателя"));

    assert_eq!(post(&manager, &format!("/crm/orders/{order_id}/track/revoke")).await, 303);
    let (revoked, _, revoked_page) = open(&format!("/t/{token}"), &network).await;
    let (guessed, _, guessed_page) = open(&format!("/t/{}", "A".repeat(43)), &network).await;
    let (malformed, _, malformed_page) = open("/t/short", &network).await;
    assert_eq!((revoked, guessed, malformed), (404, 404, 404));
    assert_eq!(revoked_page, guessed_page, "a revoked link looks like any guess");
    assert_eq!(malformed_page, guessed_page);
    let cleared = eventually(WAIT, "the property cleared", || async {
        let urls = track_urls(stack, i64::try_from(bitrix_id).unwrap());
        (urls.len() >= 2).then_some(urls)
    })
    .await;
    assert_eq!(cleared[1], "", "revoking clears it");
    assert_eq!(post(&manager, &format!("/crm/orders/{order_id}/track")).await, 303);
    let renewed = live_token(&order_id).await.unwrap();
    assert_ne!(renewed, token, "a new link is a new token");
    assert_eq!(open(&format!("/t/{token}"), &network).await.0, 404, "the old one stays dead");
}

#[tokio::test]
async fn the_page_shows_the_bouquets_photo_and_the_steps_as_the_order_goes() {
    ensure_stack();
    let manager = manager().await;
    let bitrix_id = 7_700_000 + fresh_id() % 100_000;
    post_webhook(&fixture("order-create.json", Some(bitrix_id))).await;
    let order_id = order_id_of(bitrix_id).await;
    post(&manager, &format!("/crm/orders/{order_id}/track")).await;
    let token = live_token(&order_id).await.unwrap();
    let network = format!("198.51.101.{}", fresh_id() % 200);
    assert!(open(&format!("/t/{token}"), &network).await.2.contains("Фото букета появится здесь"));
    assert_eq!(open(&format!("/t/{token}/photo"), &network).await.0, 404, "no photo yet");

    // The florist's photo (a real 1x1 PNG).
    let png = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
            .unwrap()
    };
    let (content_type, body) = photo_form(&png, "b.png", "image/png");
    let attached = client()
        .post(url(&format!("/crm/orders/{order_id}/photo")))
        .header("Cookie", &manager)
        .header("Origin", WORKER)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(attached.status(), 303);
    let (_, _, page) = open(&format!("/t/{token}"), &network).await;
    assert!(page.contains(&format!("src=\"/t/{token}/photo\"")));
    let (status, headers, _) = open(&format!("/t/{token}/photo"), &network).await;
    assert_eq!((status, headers["cache-control"].to_str().unwrap()), (200, "private, no-store"));

    let delivered = crm(
        reqwest::Method::PATCH,
        &format!("/api/orders/{order_id}/status"),
        Some(serde_json::json!({"status": "completed"})),
    )
    .await;
    assert_eq!(delivered.status, 200);
    let (_, _, page) = open(&format!("/t/{token}"), &network).await;
    assert_eq!(page.matches("class=\"done\"").count(), 4, "every step reached");
    assert!(page.contains("aria-current=\"step\""));
}

#[tokio::test]
async fn a_burst_of_a_thousand_guesses_from_one_network_is_limited_and_finds_nothing() {
    ensure_stack();
    let network = format!("203.0.113.{}", 100 + fresh_id() % 100);
    let mut statuses = Vec::new();
    let started = std::time::Instant::now();
    for batch in 0..20 {
        let guesses = (0..50).map(|n| {
            let network = network.clone();
            async move {
                let token = format!("{:0>43}", format!("guess{batch}x{n}"));
                open(&format!("/t/{token}"), &network).await.0
            }
        });
        statuses.extend(futures::future::join_all(guesses).await);
    }
    assert_eq!(statuses.len(), 1000);
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 0, "nothing found");
    // The limit counts per fixed minute: a burst that spans a minute's turn gets a second 60.
    let windows = usize::try_from(started.elapsed().as_secs() / 60).unwrap() + 2;
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited >= 1000 - 60 * windows, "{limited} of 1000 limited over {windows} windows");
    assert!(statuses.iter().all(|s| *s == 404 || *s == 429));
    let (other, _, _) = open(&format!("/t/{}", "B".repeat(43)), "192.0.2.77").await;
    assert_eq!(other, 404, "another network is not limited by this one's burst");
}
