//! The staff pages' figures (`make bench`, scripts/bench.sh): logs in, then asks each page
//! ROUNDS times and prints its latency (p50, p99) and HTML size; renders the day board for
//! 300 orders natively ROUNDS times and prints the time it takes.
//!
//! Counts each page's PostgREST requests in PostgREST's own log (one line per request).
//!
//! Usage: bench_pages BASE_URL DAY ORDER_ID PRODUCT_ID POSTGREST_LOG [ROUNDS]

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use cvety_crm::domain::board::board;
use cvety_crm::domain::views::{DayOrders, OrderView, SlotView, Staff};
use cvety_crm::web::pages::{self, Chrome, Section};

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

/// A day of 300 orders over 12 slots, as the store would give them.
fn day_orders(day: NaiveDate) -> DayOrders {
    let slots: Vec<SlotView> = (0..12)
        .map(|n| SlotView {
            id: 100 + n,
            label: format!("{:02}:00-{:02}:00", 9 + n, 10 + n),
            starts_at: chrono::NaiveTime::from_hms_opt(9 + u32::try_from(n).unwrap(), 0, 0),
            ends_at: chrono::NaiveTime::from_hms_opt(10 + u32::try_from(n).unwrap(), 0, 0),
        })
        .collect();
    let orders: Vec<OrderView> = (0..300)
        .map(|n| {
            let status = ["new", "accepted", "delivering", "completed"][n % 4];
            serde_json::from_value(serde_json::json!({
                "id": format!("00000000-0000-4000-8000-{n:012}"), "origin": if n % 4 == 0 { "crm" } else { "bitrix" },
                "bitrix_order_id": 200_000 + n, "order_number": (200_000 + n).to_string(),
                "status": status, "status_raw": "N",
                "total_amount": "16500.00", "delivery_fee": "1500.00", "currency": "KZT",
                "recipient_name": format!("Получатель №{n} Әсем Қайратқызы"), "recipient_phone": "+77015551234",
                "delivery_address": "Алматы, мкр. Самал-2, д. 58, кв. 114, подъезд 3, этаж 7",
                "postcard_text": "С днём рождения! Люблю, целую", "customer_comment": null,
                "delivery_date": day.to_string(), "delivery_slot": {"id": 100 + n % 12, "name": null},
                "city": {"id": 2, "name": "Алматы"}, "shop": {"id": 17008, "name": "CVETYKZ"}, "details_known": true,
                "items": [{"id": "00000000-0000-4000-8000-000000000001", "bitrix_basket_id": n, "bitrix_product_id": 15652,
                           "product_id": null, "name": "Букет Стандарт", "currency": "KZT", "price": "7500.00",
                           "quantity": "2"}],
                "created_at": "2025-08-24T08:05:11+00:00", "updated_at": "2025-08-24T08:05:11+00:00"}))
            .unwrap()
        })
        .collect();
    DayOrders { slots, orders }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args.get(1).expect("BASE_URL").trim_end_matches('/').to_owned();
    let day: NaiveDate = args.get(2).expect("DAY").parse().expect("DAY as YYYY-MM-DD");
    let order = args.get(3).expect("ORDER_ID");
    let product = args.get(4).expect("PRODUCT_ID");
    let log = args.get(5).expect("POSTGREST_LOG").clone();
    let rounds: usize = args.get(6).and_then(|r| r.parse().ok()).unwrap_or(20);
    let requests_logged = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\" 200 ") || l.contains("\" 204 "))
            .count()
    };

    // The board for 300 orders, rendered natively (the Worker runs the same code as wasm).
    let data = day_orders(day);
    let staff = Staff {
        id: cvety_crm::domain::ids::CrmId::parse("00000000-0000-4000-8000-000000000042").unwrap(),
        login: "admin".into(),
        name: "Администратор".into(),
    };
    let now = day.and_hms_opt(14, 30, 0).unwrap();
    let mut renders = Vec::new();
    let mut bytes = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        let chrome = Chrome { staff: Some(&staff), section: Section::Board, flash: None };
        let html = pages::board::page(&chrome, &board(day, &data, now), day).into_string();
        renders.push(started.elapsed());
        bytes = html.len();
    }
    renders.sort();
    println!("board_300_orders_native_render_p50_ms={:.2} html_bytes={bytes}", percentile(&renders, 0.5));

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = client
        .post(format!("{base}/crm/login"))
        .header("Origin", &base)
        .form(&[("login", "admin"), ("password", "dev-staff-password"), ("next", "/crm")])
        .send()
        .await
        .expect("the login answers");
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let pages = [
        ("board_300_orders", format!("/crm?date={day}")),
        ("orders", "/crm/orders".to_owned()),
        ("order", format!("/crm/orders/{order}")),
        ("print", format!("/crm/orders/{order}/print")),
        ("new_order", "/crm/orders/new".to_owned()),
        ("products", "/crm/products".to_owned()),
        ("product", format!("/crm/products/{product}")),
        ("sync", "/crm/sync".to_owned()),
        ("reports_30_days", "/crm/reports".to_owned()),
    ];
    // The board's two store calls, timed straight at PostgREST: what is left of the page's time
    // is the Worker's own (reading the answers, rendering) and the loopback hops.
    if let Ok(key) = std::env::var("SUPABASE_SERVICE_KEY") {
        let session = cookie.split_once('=').map(|(_, v)| v.split('.').next().unwrap_or("")).unwrap_or("").to_owned();
        for (name, function, body) in [
            ("staff_session", "staff_session", serde_json::json!({"p_session_id": session})),
            ("day_board_300_orders", "day_board", serde_json::json!({"p_date": day})),
        ] {
            let mut latencies = Vec::new();
            for _ in 0..rounds {
                let started = Instant::now();
                let answer = client
                    .post(format!("http://127.0.0.1:55321/rpc/{function}"))
                    .header("apikey", &key)
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert!(answer.status().is_success());
                answer.bytes().await.unwrap();
                latencies.push(started.elapsed());
            }
            latencies.sort();
            println!("postgrest_rpc={name} p50_ms={:.1}", percentile(&latencies, 0.5));
        }
    }
    for (name, path) in pages {
        let mut latencies = Vec::new();
        let mut size = 0;
        let before = requests_logged();
        for _ in 0..rounds {
            let started = Instant::now();
            let answer = client.get(format!("{base}{path}")).header("Cookie", &cookie).send().await.unwrap();
            let status = answer.status();
            let body = answer.text().await.unwrap();
            latencies.push(started.elapsed());
            assert_eq!(status, 200, "{path}: {}", &body[..body.len().min(300)]);
            size = body.len();
        }
        latencies.sort();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let per_page = (requests_logged() - before) as f64 / rounds as f64;
        println!(
            "page={name} p50_ms={:.1} p99_ms={:.1} html_bytes={size} postgrest_requests={per_page:.2} path={path}",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99)
        );
    }
}
