//! `GET /health` on the real stack.

use crate::harness::{send, url};

#[tokio::test]
async fn health_reports_the_version_and_that_postgrest_answers() {
    let answer = send(reqwest::Client::new().get(url("/health"))).await;

    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["postgrest"], "ok");
    assert_eq!(answer.body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(answer.body["switches"]["sync_enabled"], true);
}

#[tokio::test]
async fn an_unknown_route_is_a_404_in_russian() {
    let answer = send(reqwest::Client::new().get(url("/nope"))).await;

    assert_eq!(answer.status, 404);
    assert_eq!(answer.body["error"], "not_found");
    assert!(answer.body["message"].as_str().unwrap().contains("Маршрут не найден"));
}
