//! The day board's rules: a day's orders grouped by delivery slot with counts per status, and
//! which orders are late: their slot (on the shop's clock, Asia/Almaty) has started or ended
//! and they are not yet with the courier.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::status::CrmStatus;
use crate::domain::views::{DayOrders, OrderView, SlotView};

/// How late an order is for its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lateness {
    /// The slot has started and the order is not with the courier yet.
    SlotStarted,
    /// The slot is over and the order is not with the courier yet.
    SlotOver,
}

impl Lateness {
    /// What the board says, in words (not only in colour).
    #[must_use]
    pub fn label_ru(self) -> &'static str {
        match self {
            Lateness::SlotStarted => "Опаздывает: время доставки началось, заказ ещё не у курьера",
            Lateness::SlotOver => "Просрочен: время доставки прошло, заказ не у курьера",
        }
    }
}

/// The order's lateness at `now` (the shop's wall clock), for its delivery day and slot;
/// `None` when it is on time, out of the courier's hands, or its slot's times are unknown.
#[must_use]
pub fn lateness(order: &OrderView, slot: Option<&SlotView>, now: NaiveDateTime) -> Option<Lateness> {
    if !order.status.waits_for_courier() {
        return None;
    }
    let day = order.delivery_date?;
    let slot = slot?;
    let ends = slot.ends_at.map(|end| day.and_time(end));
    let starts = slot.starts_at.map(|start| day.and_time(start));
    match (starts, ends) {
        (_, Some(ends)) if ends <= now => Some(Lateness::SlotOver),
        (Some(starts), _) if starts <= now => Some(Lateness::SlotStarted),
        _ => None,
    }
}

/// One slot of the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotGroup<'a> {
    /// `None`: orders without a known slot.
    pub slot: Option<&'a SlotView>,
    /// A slot id the orders name that the CRM does not know yet (the next reference refresh
    /// names it): its own group, so that its orders are not mixed with those without a slot.
    pub unknown_slot: Option<u64>,
    pub orders: Vec<(&'a OrderView, Option<Lateness>)>,
    /// How many orders of each status, in the status table's order.
    pub counts: Vec<(CrmStatus, usize)>,
}

/// The board for `day` at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board<'a> {
    pub day: NaiveDate,
    pub groups: Vec<SlotGroup<'a>>,
    /// The whole day's orders by status.
    pub counts: Vec<(CrmStatus, usize)>,
    /// How many orders are late now.
    pub late: usize,
}

fn counts<'a>(orders: impl Iterator<Item = &'a OrderView>) -> Vec<(CrmStatus, usize)> {
    let mut by_status: BTreeMap<usize, (CrmStatus, usize)> = BTreeMap::new();
    let position = |status: CrmStatus| {
        crate::domain::status::ALL_CRM_STATUSES.iter().position(|s| *s == status).unwrap_or(usize::MAX)
    };
    for order in orders {
        by_status.entry(position(order.status)).or_insert((order.status, 0)).1 += 1;
    }
    by_status.into_values().collect()
}

/// Groups a day's orders by slot, in the slots' order (earliest first), then each slot id the
/// CRM does not know yet, orders without a slot last; marks the late ones.
#[must_use]
pub fn board(day: NaiveDate, data: &DayOrders, now: NaiveDateTime) -> Board<'_> {
    let slot_of = |order: &OrderView| {
        let id = order.delivery_slot.as_ref()?.id;
        data.slots.iter().find(|slot| slot.id == id)
    };
    let group = |slot, unknown_slot| SlotGroup { slot, unknown_slot, orders: Vec::new(), counts: Vec::new() };
    let mut groups: Vec<SlotGroup> = data.slots.iter().map(|slot| group(Some(slot), None)).collect();
    let mut unknown: Vec<SlotGroup> = Vec::new();
    let mut unplaced = group(None, None);
    let mut late = 0;
    for order in &data.orders {
        let slot = slot_of(order);
        let lateness = lateness(order, slot, now);
        late += usize::from(lateness.is_some());
        let named = order.delivery_slot.as_ref().map(|named| named.id);
        let target = match (slot, named) {
            (Some(slot), _) => {
                groups.iter_mut().find(|g| g.slot.is_some_and(|s| s.id == slot.id)).expect("a known slot")
            }
            (None, Some(id)) => {
                if !unknown.iter().any(|g| g.unknown_slot == Some(id)) {
                    unknown.push(group(None, Some(id)));
                }
                unknown.iter_mut().find(|g| g.unknown_slot == Some(id)).expect("just added")
            }
            (None, None) => &mut unplaced,
        };
        target.orders.push((order, lateness));
    }
    groups.extend(unknown);
    groups.push(unplaced);
    groups.retain(|group| !group.orders.is_empty());
    for group in &mut groups {
        group.counts = counts(group.orders.iter().map(|(order, _)| *order));
    }
    Board { day, groups, counts: counts(data.orders.iter()), late }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn slot(id: u64, from: u32, to: u32) -> SlotView {
        SlotView {
            id,
            label: format!("{from:02}:00-{to:02}:00"),
            starts_at: NaiveTime::from_hms_opt(from, 0, 0),
            ends_at: NaiveTime::from_hms_opt(to, 0, 0),
        }
    }

    fn order(slot: Option<u64>, status: CrmStatus, day: NaiveDate) -> OrderView {
        let mut order = crate::web::telegram::tests::card();
        order.delivery_slot = slot.map(|id| crate::domain::views::Named { id, name: None });
        order.status = status;
        order.delivery_date = Some(day);
        order
    }

    fn at(day: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
        day.and_hms_opt(hour, minute, 0).unwrap()
    }

    #[test]
    fn an_order_is_late_once_its_slot_starts_and_overdue_once_it_ends_until_the_courier_has_it() {
        let day = NaiveDate::from_ymd_opt(2025, 8, 25).unwrap();
        let afternoon = slot(18, 15, 16);
        let table = [
            (CrmStatus::New, at(day, 14, 59), None),
            (CrmStatus::New, at(day, 15, 0), Some(Lateness::SlotStarted)),
            (CrmStatus::Accepted, at(day, 15, 30), Some(Lateness::SlotStarted)),
            (CrmStatus::Accepted, at(day, 16, 0), Some(Lateness::SlotOver)),
            (CrmStatus::Processing, at(day + chrono::Duration::days(1), 9, 0), Some(Lateness::SlotOver)),
            (CrmStatus::Delivering, at(day, 16, 30), None),
            (CrmStatus::Completed, at(day, 23, 0), None),
            (CrmStatus::Declined, at(day, 23, 0), None),
        ];
        for (status, now, expected) in table {
            assert_eq!(lateness(&order(Some(18), status, day), Some(&afternoon), now), expected, "{status:?} at {now}");
        }
    }

    #[test]
    fn a_slot_without_times_and_an_order_without_a_slot_are_never_called_late() {
        let day = NaiveDate::from_ymd_opt(2025, 8, 25).unwrap();
        let unknown = SlotView { id: 7, label: "вечер".into(), starts_at: None, ends_at: None };
        assert_eq!(lateness(&order(Some(7), CrmStatus::New, day), Some(&unknown), at(day, 23, 59)), None);
        assert_eq!(lateness(&order(None, CrmStatus::New, day), None, at(day, 23, 59)), None);
    }

    #[test]
    fn a_slot_across_midnight_is_judged_by_its_own_end() {
        let day = NaiveDate::from_ymd_opt(2025, 8, 25).unwrap();
        let late_evening = slot(30, 22, 23);
        assert_eq!(
            lateness(&order(Some(30), CrmStatus::New, day), Some(&late_evening), at(day, 22, 30)),
            Some(Lateness::SlotStarted)
        );
        assert_eq!(
            lateness(&order(Some(30), CrmStatus::New, day), Some(&late_evening), at(day, 23, 0)),
            Some(Lateness::SlotOver)
        );
    }

    #[test]
    fn the_board_groups_orders_by_slot_in_time_order_with_counts_then_unknown_slots_then_unplaced_orders() {
        let day = NaiveDate::from_ymd_opt(2025, 8, 25).unwrap();
        let data = DayOrders {
            slots: vec![slot(10, 10, 11), slot(18, 15, 16), slot(20, 18, 19)],
            orders: vec![
                order(Some(18), CrmStatus::New, day),
                order(None, CrmStatus::Accepted, day),
                order(Some(10), CrmStatus::Delivering, day),
                order(Some(18), CrmStatus::Accepted, day),
                order(Some(99), CrmStatus::New, day),
                order(Some(18), CrmStatus::New, day),
            ],
        };

        let board = board(day, &data, at(day, 15, 10));

        let ids: Vec<(Option<u64>, Option<u64>)> =
            board.groups.iter().map(|g| (g.slot.map(|s| s.id), g.unknown_slot)).collect();
        assert_eq!(
            ids,
            [(Some(10), None), (Some(18), None), (None, Some(99)), (None, None)],
            "the empty 18:00 slot is left out; 99 is unknown: its own group, before the orders without a slot"
        );
        assert_eq!(board.groups[1].counts, [(CrmStatus::New, 2), (CrmStatus::Accepted, 1)]);
        assert_eq!((board.groups[2].orders.len(), board.groups[3].orders.len()), (1, 1));
        assert_eq!(board.late, 3, "the three of 15:00 that wait for the courier");
        assert_eq!(board.counts, [(CrmStatus::New, 3), (CrmStatus::Accepted, 2), (CrmStatus::Delivering, 1)]);
    }
}
