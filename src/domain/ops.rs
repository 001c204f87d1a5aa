//! The shop's day, as rules over the shop's clock (Asia/Almaty): which orders get a
//! delivery-risk warning in the chat and when, when the daily summary is due, and what each
//! counts. The store finds the orders and keeps the once-only keys; the runner sends.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::domain::ids::CrmId;
use crate::domain::jobs::{JobKind, NewJob, RiskStage};
use crate::domain::views::{DayOrders, OrderView, SlotView};

/// The summary goes out at 21:00 in Almaty, or, when the cron missed that minute, at its next run
/// that evening.
pub const SUMMARY_AT: NaiveTime = NaiveTime::from_hms_opt(21, 0, 0).expect("21:00");

/// A warning to send: one per order, slot and stage, ever.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskWarning {
    pub order_id: CrmId,
    pub stage: RiskStage,
    /// Minutes until the slot starts (negative once it has started).
    pub minutes_left: i64,
    /// The job's once-only key: the order, its delivery day and slot, the stage. A rescheduled
    /// order (another day or slot) has a new key, so it can be warned again for its new slot.
    pub key: String,
    /// The job that sends it ([`JobKind::RiskWarning`]).
    pub job: NewJob,
}

/// Whether an order is warned about now, and how: the slot's times are known, it is today's,
/// and it still waits for the courier.
fn risk_of(
    order: &OrderView,
    slot: &SlotView,
    today: NaiveDate,
    now: NaiveDateTime,
    window_minutes: i64,
) -> Option<(RiskStage, i64)> {
    if order.delivery_date != Some(today) || !order.status.waits_for_courier() {
        return None;
    }
    let starts = today.and_time(slot.starts_at?);
    let minutes_left = (starts - now).num_minutes();
    match slot.ends_at.map(|end| today.and_time(end)) {
        Some(ends) if ends <= now => Some((RiskStage::Over, minutes_left)),
        _ if minutes_left <= window_minutes => Some((RiskStage::Soon, minutes_left)),
        _ => None,
    }
}

/// The warnings due at `now` (the shop's wall clock) for the day's orders.
#[must_use]
pub fn risk_warnings(data: &DayOrders, now: NaiveDateTime, window_minutes: u32) -> Vec<RiskWarning> {
    let today = now.date();
    data.orders
        .iter()
        .filter_map(|order| {
            let slot_id = order.delivery_slot.as_ref()?.id;
            let slot = data.slots.iter().find(|slot| slot.id == slot_id)?;
            let (stage, minutes_left) = risk_of(order, slot, today, now, i64::from(window_minutes))?;
            let values = serde_json::json!({"order_id": order.id, "day": today, "slot": slot_id, "stage": stage,
                                            "minutes_left": minutes_left});
            let job = JobKind::RiskWarning.job(&values);
            Some(RiskWarning { order_id: order.id.clone(), stage, minutes_left, key: job.key.clone(), job })
        })
        .collect()
}

/// The day whose summary is due at `now` (from 21:00 until midnight), if any.
#[must_use]
pub fn summary_due(now: NaiveDateTime) -> Option<NaiveDate> {
    (now.time() >= SUMMARY_AT).then(|| now.date())
}

/// The summary's job for a day (its key makes it once-only).
#[must_use]
pub fn summary_job(day: NaiveDate) -> NewJob {
    JobKind::DailySummary.job(&serde_json::json!({ "day": day }))
}

/// The summary's once-only key for a day.
#[must_use]
pub fn summary_key(day: NaiveDate) -> String {
    summary_job(day).key
}

/// The statuses that are not revenue, for the store's sums.
#[must_use]
pub fn not_revenue() -> Vec<&'static str> {
    crate::domain::status::ALL_CRM_STATUSES.iter().filter(|s| !s.counts_as_revenue()).map(|s| s.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::CrmStatus;
    use crate::domain::views::Named;

    fn slot(id: u64, from: (u32, u32), to: Option<(u32, u32)>) -> SlotView {
        SlotView {
            id,
            label: format!("{}", id),
            starts_at: NaiveTime::from_hms_opt(from.0, from.1, 0),
            ends_at: to.and_then(|(h, m)| NaiveTime::from_hms_opt(h, m, 0)),
        }
    }

    fn order(n: u64, slot: u64, status: CrmStatus, day: NaiveDate) -> OrderView {
        let mut order = crate::web::telegram::tests::card();
        order.id = crate::domain::ids::test_id(n);
        order.delivery_slot = Some(Named { id: slot, name: None });
        order.status = status;
        order.delivery_date = Some(day);
        order
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 8, 25).unwrap()
    }

    fn at(hour: u32, minute: u32) -> NaiveDateTime {
        day().and_hms_opt(hour, minute, 0).unwrap()
    }

    fn stages(data: &DayOrders, now: NaiveDateTime) -> Vec<(u64, RiskStage, i64)> {
        risk_warnings(data, now, 120)
            .into_iter()
            .map(|w| (w.order_id.as_str()[24..].parse::<u64>().unwrap(), w.stage, w.minutes_left))
            .collect()
    }

    #[test]
    fn a_waiting_order_is_warned_when_its_slot_is_within_the_window_and_again_once_it_is_over() {
        let data = DayOrders {
            slots: vec![slot(18, (15, 0), Some((16, 0)))],
            orders: vec![order(1, 18, CrmStatus::New, day())],
        };
        let table = [
            (at(12, 59), vec![]),
            (at(13, 0), vec![(1, RiskStage::Soon, 120)]),
            (at(14, 15), vec![(1, RiskStage::Soon, 45)]),
            (at(15, 30), vec![(1, RiskStage::Soon, -30)]),
            (at(16, 0), vec![(1, RiskStage::Over, -60)]),
            (at(23, 59), vec![(1, RiskStage::Over, -539)]),
        ];
        for (now, expected) in table {
            assert_eq!(stages(&data, now), expected, "at {now}");
        }
    }

    #[test]
    fn only_orders_that_wait_for_the_courier_today_are_warned() {
        let data = DayOrders {
            slots: vec![slot(18, (15, 0), Some((16, 0)))],
            orders: vec![
                order(1, 18, CrmStatus::Accepted, day()),
                order(2, 18, CrmStatus::Delivering, day()),
                order(3, 18, CrmStatus::Completed, day()),
                order(4, 18, CrmStatus::New, day().succ_opt().unwrap()),
                order(5, 18, CrmStatus::Declined, day()),
            ],
        };
        assert_eq!(stages(&data, at(14, 30)), vec![(1, RiskStage::Soon, 30)]);
    }

    #[test]
    fn slots_without_times_are_never_guessed_and_a_slot_without_an_end_is_only_ever_soon() {
        let data = DayOrders {
            slots: vec![
                SlotView { id: 7, label: "вечер".into(), starts_at: None, ends_at: None },
                slot(8, (15, 0), None),
            ],
            orders: vec![
                order(1, 7, CrmStatus::New, day()),
                order(2, 8, CrmStatus::New, day()),
                order(3, 99, CrmStatus::New, day()),
            ],
        };
        assert_eq!(stages(&data, at(23, 0)), vec![(2, RiskStage::Soon, -480)]);
    }

    #[test]
    fn a_slot_near_midnight_is_judged_on_its_own_day() {
        let data = DayOrders {
            slots: vec![slot(30, (23, 0), Some((23, 59)))],
            orders: vec![order(1, 30, CrmStatus::New, day())],
        };
        assert_eq!(stages(&data, at(21, 0)), vec![(1, RiskStage::Soon, 120)]);
        assert_eq!(stages(&data, at(23, 59)), vec![(1, RiskStage::Over, -59)]);
        let next_morning = day().succ_opt().unwrap().and_hms_opt(0, 30, 0).unwrap();
        assert_eq!(stages(&data, next_morning), vec![], "yesterday's order is not today's");
    }

    #[test]
    fn a_rescheduled_order_gets_a_new_key_for_its_new_slot_and_each_stage_its_own() {
        let first = DayOrders {
            slots: vec![slot(18, (15, 0), Some((16, 0)))],
            orders: vec![order(1, 18, CrmStatus::New, day())],
        };
        let mut moved = first.clone();
        moved.slots.push(slot(20, (18, 0), Some((19, 0))));
        moved.orders[0].delivery_slot = Some(Named { id: 20, name: None });
        let soon = &risk_warnings(&first, at(14, 0), 120)[0].key;
        let over = &risk_warnings(&first, at(16, 0), 120)[0].key;
        let rescheduled = &risk_warnings(&moved, at(16, 30), 120)[0].key;
        assert_eq!(soon, "telegram:risk:00000000-0000-4000-8000-000000000001:2025-08-25:18:soon");
        assert_ne!(soon, over);
        assert_eq!(rescheduled, "telegram:risk:00000000-0000-4000-8000-000000000001:2025-08-25:20:soon");
    }

    #[test]
    fn the_summary_is_due_from_nine_in_the_evening_until_midnight() {
        assert_eq!(summary_due(at(20, 59)), None);
        assert_eq!(summary_due(at(21, 0)), Some(day()));
        assert_eq!(summary_due(at(23, 59)), Some(day()));
        assert_eq!(
            summary_due(day().succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap()),
            None,
            "a missed evening is not sent at night"
        );
        assert_eq!(summary_key(day()), "telegram:daily_summary:2025-08-25");
    }

    #[test]
    fn turned_down_and_returned_orders_are_not_revenue() {
        assert_eq!(not_revenue(), ["returned", "declined", "refunded", "cancelled"]);
        assert!(CrmStatus::New.counts_as_revenue() && CrmStatus::Completed.counts_as_revenue());
    }
}
