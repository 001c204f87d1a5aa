//! The shop's day on the real stack: delivery-risk warnings (once per order, slot and stage), the
//! daily summary (once a day, its sums equal SQL's), the daily report, and the on-demand routes.
//! A binary of its own: the summary and the warnings look at every order of the day.

#[path = "integration/fakes.rs"]
mod fakes;
#[path = "integration/harness.rs"]
mod harness;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Timelike};
use reqwest::Method;
use serde_json::{json, Value};

use harness::{crm, db, ensure_stack, exclusive, fresh_id, order_id_of, post_webhook, send, settled_order, url, Job};

fn short(jobs: &[Job]) -> Vec<(&str, &str, i32)> {
    jobs.iter().map(Job::short).collect()
}

/// The shop's wall clock now.
fn almaty_now() -> NaiveDateTime {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let utc = DateTime::from_timestamp(since_epoch.as_secs() as i64, 0).unwrap();
    (utc + Duration::hours(5)).naive_utc()
}

async fn add_slot(id: i64, from: NaiveDateTime, to: NaiveDateTime) {
    db().await
        .execute(
            "insert into delivery_time_slots (bitrix_slot_id, label, starts_at, ends_at) values ($1, $2, $3::text::time, $4::text::time)
             on conflict (bitrix_slot_id) do update set label = excluded.label, starts_at = excluded.starts_at, ends_at = excluded.ends_at",
            &[&id, &format!("{}-{}", from.format("%H:%M"), to.format("%H:%M")), &from.format("%H:%M:%S").to_string(), &to.format("%H:%M:%S").to_string()],
        )
        .await
        .unwrap();
}

/// A webhook order for `day` in `slot` with `status`; returns its Bitrix id.
async fn order(day: NaiveDate, slot: i64, status: &str, price: &str, name: &str) -> u64 {
    let id = fresh_id();
    let body = json!({"event": "order.create", "data": {
        "ID": id.to_string(), "ACCOUNT_NUMBER": id.to_string(), "STATUS_ID": status, "PRICE": price,
        "CURRENCY": "KZT", "DATE_UPDATE": "2025-08-24T13:05:11+05:00",
        "properties": {"nameRecipient": name, "phoneRecipient": "+77015551234", "addressRecipient": "Алматы, Абая 1",
                       "data": day.to_string(), "when": slot.to_string()}}});
    assert_eq!(post_webhook(&body).await.body["outcome"], "created");
    id
}

async fn risk_jobs(bitrix_id: u64) -> Vec<Value> {
    let order_id = order_id_of(bitrix_id).await;
    settled_order(&order_id).await;
    let rows = db()
        .await
        .query(
            "select payload from sync_jobs where payload ->> 'order_id' = $1 and payload ->> 'occasion' = 'delivery_risk'
             order by created_at, idempotency_key",
            &[&order_id],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get::<_, Value>(0)).collect()
}

#[tokio::test]
async fn orders_in_a_slot_about_to_start_get_one_warning_each_an_overdue_one_gets_its_own_and_a_second_run_sends_none()
{
    let stack = ensure_stack();
    let _alone = exclusive().await;
    let mut now = almaty_now();
    if now.time().num_seconds_from_midnight() < 180 {
        tokio::time::sleep(std::time::Duration::from_secs(181 - u64::from(now.time().num_seconds_from_midnight())))
            .await;
        now = almaty_now();
    }
    let today = now.date();
    let midnight = today.and_hms_opt(0, 0, 0).unwrap();
    let last = today.and_hms_opt(23, 59, 0).unwrap();
    // A slot starting within the hour (or, late in the evening, one that has started), one that is
    // over, one for the reschedule, one whose times nobody knows.
    let (soon_from, soon_to) = if now + Duration::minutes(90) < last {
        (now + Duration::minutes(40), now + Duration::minutes(90))
    } else {
        (now - Duration::minutes(1), last)
    };
    add_slot(801, soon_from, soon_to).await;
    add_slot(802, midnight, midnight + Duration::minutes(1)).await;
    add_slot(803, soon_from, soon_to).await;
    db().await
        .execute(
            "insert into delivery_time_slots (bitrix_slot_id, label) values (804, 'вечер') on conflict do nothing",
            &[],
        )
        .await
        .unwrap();
    let first = order(today, 801, "N", "9000", "Риск первый").await;
    let second = order(today, 801, "AP", "9000", "Риск второй").await;
    let with_courier = order(today, 801, "PD", "9000", "Риск у курьера").await;
    let overdue = order(today, 802, "AP", "9000", "Риск просрочен").await;
    let tomorrow = order(today + Duration::days(1), 801, "N", "9000", "Риск завтра").await;
    let unknown = order(today, 804, "N", "9000", "Риск без времени").await;

    let run = crm(Method::POST, "/api/ops/delivery-risk/run", None).await;
    let again = crm(Method::POST, "/api/ops/delivery-risk/run", None).await;

    assert_eq!(run.status, 200, "{:?}", run.body);
    assert!(run.body["sent"].as_u64().unwrap() >= 3, "{:?}", run.body);
    assert_eq!(again.body["sent"], 0, "nothing is sent twice: {:?}", again.body);
    assert_eq!(again.body["message"], "Все предупреждения уже отправлены, новых нет");
    for id in [first, second] {
        let jobs = risk_jobs(id).await;
        assert_eq!(jobs.len(), 1, "order {id}: {jobs:?}");
        assert_eq!(jobs[0]["stage"], "soon");
    }
    let over = risk_jobs(overdue).await;
    assert_eq!((over.len(), over[0]["stage"].as_str()), (1, Some("over")));
    for id in [with_courier, tomorrow, unknown] {
        assert!(risk_jobs(id).await.is_empty(), "order {id} is not warned");
    }
    let sent = stack.telegram.received("Риск первый");
    let warning = sent.iter().find(|r| r.body["text"].as_str().unwrap().contains("⚠️")).expect("the warning was sent");
    let text = warning.body["text"].as_str().unwrap();
    let card = format!("/crm/orders/{}", order_id_of(first).await);
    assert!(text.contains(&card), "a link to the order card: {text}");
    assert!(text.contains(&format!("Время: {}", soon_from.format("%H:%M"))), "{text}");

    // Rescheduled to another slot: warned again, for the new slot only.
    let moved = json!({"event": "order.update", "data": {"ID": first.to_string(), "DATE_UPDATE": "2025-08-24T14:00:00+05:00",
        "properties": {"data": today.to_string(), "when": "803"}}});
    assert_eq!(post_webhook(&moved).await.body["outcome"], "updated");
    let after_move = crm(Method::POST, "/api/ops/delivery-risk/run", None).await;
    assert_eq!(after_move.body["sent"], 1, "{:?}", after_move.body);
    assert_eq!(risk_jobs(first).await.len(), 2);
    let jobs = settled_order(&order_id_of(overdue).await).await;
    assert_eq!(
        short(&jobs),
        [("telegram", "done", 1), ("telegram", "done", 1)],
        "the new order's message and the one warning"
    );
}

#[tokio::test]
async fn the_daily_summary_is_sent_once_and_its_sums_are_sqls_over_the_same_rows() {
    let stack = ensure_stack();
    let _alone = exclusive().await;
    let today = almaty_now().date();
    order(today, 18, "N", "12000.50", "Итоги один").await;
    order(today, 18, "CO", "7500", "Итоги два").await;
    order(today, 18, "DE", "99999", "Итоги отклонён").await;

    let first = crm(Method::POST, "/api/ops/daily-summary/run", None).await;
    let second = crm(Method::POST, "/api/ops/daily-summary/run", None).await;

    assert_eq!(
        (first.body["sent"].as_u64(), second.body["sent"].as_u64()),
        (Some(1), Some(0)),
        "{:?} {:?}",
        first.body,
        second.body
    );
    assert!(second.body["message"].as_str().unwrap().contains("уже отправлены"));
    let row = db()
        .await
        .query_one(
            "select count(*), coalesce(sum(total_amount) filter (where status not in ('returned','declined','refunded','cancelled')), 0)::text
             from orders where (created_at at time zone 'UTC' + interval '5 hours')::date = $1::text::date",
            &[&today.to_string()],
        )
        .await
        .unwrap();
    let (orders, revenue): (i64, String) = (row.get(0), row.get(1));
    let report = crm(Method::GET, &format!("/api/reports/daily?from={today}&to={today}"), None).await;
    assert_eq!(report.body["days"][0]["orders"], orders);
    assert_eq!(
        report.body["days"][0]["revenue"].as_str().unwrap(),
        cvety_crm::domain::decimal::Money::parse(&revenue).unwrap().to_string()
    );
    let title = format!("Итоги дня: {}", cvety_crm::web::human::date_with_weekday(today));
    let message = harness::eventually(std::time::Duration::from_secs(20), "the summary", || async {
        stack.telegram.received(&title).into_iter().find(|r| r.status == 200)
    })
    .await;
    let text = message.body["text"].as_str().unwrap();
    let money = cvety_crm::web::human::money(cvety_crm::domain::decimal::Money::parse(&revenue).unwrap(), None);
    assert!(text.contains(&format!("Заказов за день: <b>{orders}</b>")), "{text}");
    assert!(text.contains(&format!("Выручка: <b>{money}</b>")), "{text}");
    assert_eq!(stack.telegram.received(&title).len(), 1, "one summary a day");
}

#[tokio::test]
async fn the_daily_report_counts_each_day_as_sql_does() {
    ensure_stack();
    let _alone = exclusive().await;
    let today = almaty_now().date();
    order(today, 18, "N", "1000.25", "Отчёт").await;

    let report = crm(Method::GET, "/api/reports/daily", None).await;
    let wrong = crm(Method::GET, "/api/reports/daily?from=2025-09-01&to=2025-08-01", None).await;

    assert_eq!(report.status, 200, "{:?}", report.body);
    let days = report.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 30, "the last 30 days by default");
    let rows = db()
        .await
        .query(
            "select (created_at at time zone 'UTC' + interval '5 hours')::date::text as day, count(*)
             from orders group by 1 order by 1",
            &[],
        )
        .await
        .unwrap();
    for row in rows {
        let (day, count): (String, i64) = (row.get(0), row.get(1));
        if let Some(entry) = days.iter().find(|d| d["day"] == day.as_str()) {
            assert_eq!(entry["orders"], count, "{day}");
        }
    }
    assert_eq!(days.last().unwrap()["day"], today.to_string());
    assert_eq!((wrong.status, wrong.body["problems"][0]["field"].as_str()), (422, Some("from")));
}

#[tokio::test]
async fn the_on_demand_routes_refuse_calls_without_the_token() {
    ensure_stack();
    let client = reqwest::Client::new();
    for (method, path) in [
        (Method::POST, "/api/ops/delivery-risk/run"),
        (Method::POST, "/api/ops/daily-summary/run"),
        (Method::GET, "/api/reports/daily"),
    ] {
        let answer = send(client.request(method, url(path))).await;
        assert_eq!((answer.status, answer.body["error"].as_str()), (401, Some("unauthorized")), "{path}");
    }
}
