//! What the bench examples share: the webhook they post and how they read percentiles.

use std::time::Duration;

use serde_json::json;

/// Now in Almaty, as Bitrix writes `DATE_INSERT`: the benchmark's orders are new ones (an order
/// Bitrix created over a day ago would be stored quietly, as a backfill, with no message).
fn placed_now() -> String {
    static NOW: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NOW.get_or_init(|| {
        let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let now = chrono::DateTime::from_timestamp(i64::try_from(seconds).unwrap(), 0).unwrap();
        now.with_timezone(&chrono::FixedOffset::east_opt(5 * 3600).unwrap())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    })
    .clone()
}

/// An `order.create` webhook for order `id` with 3 basket lines, as Bitrix sends it.
pub fn order_webhook(id: u64) -> serde_json::Value {
    let basket: Vec<_> = (0..3)
        .map(|n| {
            json!({"ID": (id * 10 + n).to_string(), "PRODUCT_ID": "15652", "NAME": "Букет Стандарт",
                        "PRICE": "3000.00", "QUANTITY": "1.0000", "CURRENCY": "KZT"})
        })
        .collect();
    json!({"event": "order.create", "data": {
        "ID": id.to_string(), "ACCOUNT_NUMBER": id.to_string(), "STATUS_ID": "N", "USER_ID": "4521",
        "PRICE": "9000.00", "PRICE_DELIVERY": "1500.00", "CURRENCY": "KZT",
        "DATE_INSERT": placed_now(), "DATE_UPDATE": "2025-08-24T13:05:11+05:00",
        "properties": {"nameRecipient": "Айгерим", "phoneRecipient": "+7 (701) 555-12-34",
                       "addressRecipient": "Алматы, пр. Абая 10", "postcardText": "С днём рождения!",
                       "data": "2025-08-25", "city": "2", "when": "18", "shopId": "17008"},
        "basket": basket,
        "user": {"ID": "4521", "NAME": "Марат", "LAST_NAME": "Ахметов", "EMAIL": "m@example.kz", "PERSONAL_PHONE": "+77015550000"}
    }})
}

/// The p-th percentile (nearest rank) of sorted durations, in milliseconds.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// A webhook request for order `id`, signed as the Bitrix kit signs it with the stack's
/// `WEBHOOK_SIGNING_SECRET` (the dev default unless set).
pub fn signed_webhook(client: &reqwest::Client, worker: &str, id: u64) -> reqwest::RequestBuilder {
    let secret = std::env::var("WEBHOOK_SIGNING_SECRET")
        .unwrap_or_else(|_| "whsec_ZGV2LXNpZ25pbmctc2VjcmV0LWN2ZXR5LWNybS0wMTIzNDU2Nzg5".into());
    let secret = cvety_crm::domain::signing::SigningSecret::parse(&secret).expect("WEBHOOK_SIGNING_SECRET");
    let body = serde_json::to_vec(&order_webhook(id)).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let webhook_id = format!("evt_bench_{id}");
    let signature = secret.sign(&webhook_id, i64::try_from(now).unwrap(), &body);
    client
        .post(format!("{worker}/webhooks/bitrix/order"))
        .header("Content-Type", "application/json")
        .header("webhook-id", webhook_id)
        .header("webhook-timestamp", now.to_string())
        .header("webhook-signature", signature)
        .body(body)
}
