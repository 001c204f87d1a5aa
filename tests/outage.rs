//! Supabase down: webhooks accepted while PostgREST is stopped are applied once it is back.
//! Its own test binary, so that the outage touches no other test (cargo runs test binaries
//! one after another); it starts the same test stack through the same harness.

#[path = "integration/fakes.rs"]
mod fakes;
#[path = "integration/harness.rs"]
mod harness;

use std::time::Duration;

use serde_json::Value;

use harness::{
    counts, ensure_stack, eventually, fixture, fresh_id, send, start_postgrest, stop_postgrest, url, WEBHOOK_TOKEN,
};

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn webhooks_accepted_while_postgrest_is_down_are_all_applied_once_it_is_back() {
    let stack = ensure_stack();
    let ids: Vec<u64> = (0..5).map(|_| fresh_id()).collect();
    let bodies: Vec<Value> = ids.iter().map(|id| fixture("order-create.json", Some(*id))).collect();
    stop_postgrest();

    let mut answers = Vec::new();
    for body in &bodies {
        let request = reqwest::Client::new().post(url("/webhooks/bitrix/order")).bearer_auth(WEBHOOK_TOKEN).json(body);
        answers.push(send(request).await);
    }
    // Bitrix sends one of them again while Supabase is still down.
    let repeat = reqwest::Client::new().post(url("/webhooks/bitrix/order")).bearer_auth(WEBHOOK_TOKEN).json(&bodies[0]);
    let repeated = send(repeat).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    start_postgrest();

    for answer in &answers {
        assert_eq!((answer.status, answer.body["outcome"].as_str()), (202, Some("queued")), "{:?}", answer.body);
    }
    assert!(repeated.status == 200 || repeated.status == 202, "{:?}", repeated.body);
    for id in &ids {
        eventually(WAIT, "the queued webhook to be applied", || async {
            (counts(*id).await == (1, 1, 1)).then_some(())
        })
        .await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for id in &ids {
        assert_eq!(counts(*id).await, (1, 1, 1), "order {id} applied exactly once");
        let title = format!("Новый заказ №{id}");
        let sent = stack.telegram.received(&title).iter().filter(|r| r.status == 200).count();
        assert!(sent <= 1, "order {id} notified {sent} times");
    }
    for id in &ids {
        let title = format!("Новый заказ №{id}");
        eventually(WAIT, "one new-order message per order", || async {
            (stack.telegram.received(&title).iter().filter(|r| r.status == 200).count() == 1).then_some(())
        })
        .await;
    }
}
