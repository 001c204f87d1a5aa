use super::*;
use serde_json::json;

fn at(day: &str, time: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(&format!("{day} {time}"), "%Y-%m-%d %H:%M").unwrap()
}

fn date(day: &str) -> NaiveDate {
    day.parse().unwrap()
}

fn bitrix(id: u64, status: &str, price: &str) -> BitrixRow {
    BitrixRow {
        id: BitrixOrderId::parse(&id.to_string()).unwrap(),
        status: BitrixStatusCode::parse(status).unwrap(),
        price: Money::parse(price).unwrap(),
    }
}

fn crm(id: u64, status: &str, total: &str, busy: bool) -> CrmRow {
    CrmRow {
        bitrix_order_id: id,
        status_raw: Some(status.to_owned()),
        total_amount: Some(Money::parse(total).unwrap()),
        busy,
    }
}

#[test]
fn the_daily_run_is_due_from_four_in_the_morning_almaty_and_covers_the_last_seven_days() {
    let table = [
        ("2026-11-29", "03:59", None),
        ("2026-11-29", "04:00", Some(("2026-11-23", "2026-11-29"))),
        ("2026-11-29", "23:59", Some(("2026-11-23", "2026-11-29"))),
        ("2026-03-01", "04:10", Some(("2026-02-23", "2026-03-01"))),
    ];
    for (day, time, expected) in table {
        let period = scheduled_period(at(day, time));
        assert_eq!(
            period,
            expected.map(|(from, to)| ReconcilePeriod { from: date(from), to: date(to) }),
            "{day} {time}"
        );
    }
}

#[test]
fn an_order_missing_in_the_crm_another_status_and_another_total_are_each_a_difference() {
    let snapshot = [
        bitrix(1, "N", "9000.00"),
        bitrix(2, "AP", "9000"),
        bitrix(3, "PD", "7500.00"),
        bitrix(4, "CO", "100.50"),
        bitrix(5, "DE", "1.00"),
    ];
    let rows = [
        crm(2, "N", "9000.00", false),
        crm(3, "PD", "7500.0000", false),
        crm(4, "CO", "100.05", false),
        crm(5, "N", "2", false),
    ];

    let drift = compare(&snapshot, &rows);

    assert_eq!(drift.bitrix_orders, 5);
    assert_eq!(
        drift.differences,
        vec![
            Difference::Missing { bitrix_order_id: 1 },
            Difference::Status { bitrix_order_id: 2, bitrix: "AP".into(), crm: Some("N".into()) },
            Difference::Total {
                bitrix_order_id: 4,
                bitrix: Money::parse("100.50").unwrap(),
                crm: Money::parse("100.05").ok()
            },
            Difference::Status { bitrix_order_id: 5, bitrix: "DE".into(), crm: Some("N".into()) },
            Difference::Total { bitrix_order_id: 5, bitrix: Money::parse("1").unwrap(), crm: Money::parse("2").ok() },
        ]
    );
    assert_eq!(drift.counts(), (1, 2, 2));
    assert_eq!(drift.to_resend(), vec![1, 2, 4, 5], "each differing order once");
    let outcome = RunOutcome::compared(&drift, 4, false, None);
    assert_eq!((outcome.missing, outcome.other_status, outcome.other_total), (1, 2, 2));
    assert_eq!(outcome.drift(), 5, "every difference counts, two for order 5");
    let counted = RunOutcome { missing: 1, other_status: 3, other_total: 2, ..RunOutcome::default() };
    assert_eq!(counted.drift(), 6);
}

#[test]
fn a_runs_trigger_is_stored_by_the_name_it_is_read_back_with() {
    for trigger in [Trigger::Scheduled, Trigger::OnDemand] {
        assert_eq!(serde_json::to_value(trigger).unwrap(), json!(trigger.as_str()));
    }
    assert_eq!(Trigger::Scheduled.as_str(), "scheduled", "the SQL's check constraint names it so");
}

#[test]
fn an_order_whose_crm_change_is_on_its_way_is_left_out_not_resent() {
    let drift = compare(&[bitrix(7, "AP", "10")], &[crm(7, "N", "10", true)]);
    assert_eq!((drift.differences.len(), drift.busy), (0, 1));
    assert!(drift.to_resend().is_empty());
}

#[test]
fn a_run_asks_for_at_most_a_thousand_orders_again() {
    let snapshot: Vec<BitrixRow> = (1..=1500).map(|id| bitrix(id, "N", "1")).collect();
    let drift = compare(&snapshot, &[]);
    assert_eq!(drift.counts().0, 1500);
    let resend = drift.to_resend();
    assert_eq!((resend.len(), resend[0], resend[999]), (MAX_RESEND, 1, 1000));
}

#[test]
fn a_snapshot_page_is_read_with_its_next_page_and_bitrix_numbers_as_text_or_numbers() {
    let answer = json!({"ok": true, "orders": [
        {"id": "122183", "status_id": "N", "price": "9000.00", "date_update": "2025-08-24T13:05:11+05:00"},
        {"id": 122184, "status_id": "AP", "price": 7500}], "next_after_id": 122184});
    let page = read_snapshot(&answer, 0, 500).unwrap();
    assert_eq!(page.orders, vec![bitrix(122_183, "N", "9000"), bitrix(122_184, "AP", "7500")]);
    assert_eq!(page.next_after_id, Some(122_184));
    let last = read_snapshot(&json!({"ok": true, "orders": [], "next_after_id": null}), 122_184, 500).unwrap();
    assert_eq!(last, SnapshotPage { orders: vec![], next_after_id: None });
}

#[test]
fn a_snapshot_that_breaks_the_contract_is_refused_with_what_was_wrong() {
    let row = json!({"id": "1", "status_id": "N", "price": "1"});
    let cases = [
        (json!({"ok": true}), "no orders list"),
        (json!({"ok": true, "orders": [row, row, row]}), "3 orders for a page of 2"),
        (json!({"ok": true, "orders": [{"id": "x", "status_id": "N", "price": "1"}]}), "orders[0].id"),
        (json!({"ok": true, "orders": [{"id": "1", "status_id": "", "price": "1"}]}), "orders[0].status_id"),
        (json!({"ok": true, "orders": [{"id": "1", "status_id": "N", "price": "-1"}]}), "orders[0].price"),
        (json!({"ok": true, "orders": [{"id": "1", "status_id": "N", "price": {"x": 1}}]}), "orders[0]"),
        (json!({"ok": true, "orders": [], "next_after_id": 5}), "does not move past 5"),
        (json!({"ok": true, "orders": [], "next_after_id": "later"}), "not an order id"),
    ];
    for (answer, words) in cases {
        let Err(Failure::Permanent { reason }) = read_snapshot(&answer, 5, 2) else { panic!("{answer} was accepted") };
        assert!(reason.contains(words), "{reason} should say {words}");
    }
}
