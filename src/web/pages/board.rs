//! `/crm`: the day board. A day's orders (today in Almaty unless another day is asked for),
//! grouped by delivery slot with counts per status; late orders say so in words.

use chrono::{Duration, NaiveDate};
use maud::{html, Markup};

use super::{layout, or_dash, phone_link, status_badge, Chrome};
use crate::domain::board::Board;
use crate::domain::status::CrmStatus;
use crate::domain::views::Courier;
use crate::web::human;

fn counts_list(counts: &[(CrmStatus, usize)]) -> Markup {
    html! {
        ul class="counts" {
            @for (status, count) in counts {
                li { (status_badge(*status)) " " (count) }
            }
        }
    }
}

fn orders_word(count: usize) -> &'static str {
    match (count % 10, count % 100) {
        (1, n) if n != 11 => "заказ",
        (2..=4, n) if !(12..=14).contains(&n) => "заказа",
        _ => "заказов",
    }
}

/// A form that sets one courier for the slot's open orders (offered to those who assign).
fn slot_courier_form(day: NaiveDate, slot: Option<u64>, index: usize, couriers: &[Courier]) -> Markup {
    html! {
        form class="slot-courier" method="post" action="/crm/board/courier" {
            input type="hidden" name="date" value=(day.to_string());
            input type="hidden" name="slot" value=(slot.map_or_else(|| "none".to_owned(), |s| s.to_string()));
            label for={ "slot-courier-" (index) } { "Курьер на весь слот" }
            select id={ "slot-courier-" (index) } name="courier" {
                option value="" { "Без курьера" }
                @for courier in couriers { option value=(courier.id) { (courier.name) } }
            }
            button type="submit" { "Назначить" }
        }
    }
}

/// The board for `board.day`; `today` is the shop's day now; `couriers` are offered for a whole
/// slot (empty: the person does not assign couriers).
#[must_use]
pub fn page(chrome: &Chrome, board: &Board, today: NaiveDate, couriers: &[Courier]) -> Markup {
    let money = chrome.sees_money();
    let day = board.day;
    let total: usize = board.counts.iter().map(|(_, n)| n).sum();
    let title = format!("Доска дня: {}", human::date_with_weekday(day));
    let link = |date: NaiveDate| format!("/crm?date={date}");
    layout(
        chrome,
        &title,
        html! {
            h1 { (title) @if day == today { " (сегодня)" } }
            form class="day" method="get" action="/crm" {
                label for="date" { "День" }
                input id="date" name="date" type="date" value=(day.to_string());
                button type="submit" { "Показать" }
                a href=(link(day - Duration::days(1))) { "← Предыдущий день" }
                a href="/crm" { "Сегодня" }
                a href=(link(day + Duration::days(1))) { "Следующий день →" }
            }
            p class="summary" {
                "Всего: " (total) " " (orders_word(total)) "."
                @if board.late > 0 {
                    " " strong class="late" { "Опаздывают: " (board.late) "." }
                }
            }
            @if total > 0 { (counts_list(&board.counts)) }
            @if board.groups.is_empty() {
                p { "На этот день заказов нет." }
            }
            @for (index, group) in board.groups.iter().enumerate() {
                section class="slot" aria-labelledby=(format!("slot-{index}")) {
                    h2 id=(format!("slot-{index}")) {
                        @match (group.slot, group.unknown_slot) {
                            (Some(slot), _) => (slot.label),
                            (None, Some(id)) => (human::unknown_slot(id)),
                            (None, None) => "Время не указано",
                        }
                        " — " (group.orders.len()) " " (orders_word(group.orders.len()))
                    }
                    (counts_list(&group.counts))
                    @if !couriers.is_empty() {
                        (slot_courier_form(day, group.slot.map(|s| s.id).or(group.unknown_slot), index, couriers))
                    }
                    div class="table-scroll" {
                    table {
                        thead {
                            tr {
                                th scope="col" { "№" }
                                th scope="col" { "Получатель" }
                                th scope="col" { "Телефон" }
                                th scope="col" { "Адрес" }
                                th scope="col" { "Курьер" }
                                @if money { th scope="col" { "Сумма" } }
                                th scope="col" { "Статус" }
                            }
                        }
                        tbody {
                            @for (order, lateness) in &group.orders {
                                tr class=[lateness.map(|_| "late")] {
                                    td { a href={ "/crm/orders/" (order.id) } { (order.number()) } }
                                    td { (or_dash(order.recipient_name.as_deref())) }
                                    td { (phone_link(order.recipient_phone.as_deref())) }
                                    td { (or_dash(order.delivery_address.as_deref())) }
                                    td { (or_dash(order.courier.as_ref().map(|c| c.name.as_str()))) }
                                    @if money {
                                        td class="money" {
                                            @match order.total_amount {
                                                Some(total) => (human::money(total, order.currency.as_deref())),
                                                None => "—",
                                            }
                                        }
                                    }
                                    td {
                                        (status_badge(order.status))
                                        @if let (true, Some(payment)) = (money, &order.payment) {
                                            br;
                                            span class=(if payment.paid { "paid" } else { "unpaid" }) {
                                                (human::payment(payment, order.currency.as_deref()))
                                            }
                                        }
                                        @if let Some(lateness) = lateness {
                                            br;
                                            strong class="late-note" { "⚠ " (lateness.label_ru()) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::board::board;
    use crate::domain::views::{DayOrders, Named, SlotView};
    use crate::web::pages::tests::staff;
    use crate::web::pages::Section;
    use chrono::NaiveTime;

    #[test]
    fn the_board_shows_each_slot_with_its_orders_and_says_in_words_which_are_late() {
        let day = NaiveDate::from_ymd_opt(2025, 8, 25).unwrap();
        let mut late = crate::web::telegram::tests::card();
        late.delivery_slot = Some(Named { id: 18, name: Some("15:00-16:00".into()) });
        late.recipient_name = Some("<img src=x onerror=alert(1)>".into());
        let data = DayOrders {
            slots: vec![SlotView {
                id: 18,
                label: "15:00-16:00".into(),
                starts_at: NaiveTime::from_hms_opt(15, 0, 0),
                ends_at: NaiveTime::from_hms_opt(16, 0, 0),
            }],
            orders: vec![late],
        };
        let staff = staff();
        let chrome = Chrome { staff: Some(&staff), section: Section::Board, flash: None };

        let page = page(&chrome, &board(day, &data, day.and_hms_opt(15, 30, 0).unwrap()), day, &[]).into_string();

        assert!(page.contains("Доска дня: пн, 25.08.2025 (сегодня)"));
        assert!(page.contains("15:00-16:00 — 1 заказ"));
        assert!(page.contains("Опаздывает: время доставки началось"), "late in words");
        assert!(page.contains("16\u{a0}500\u{a0}₸"));
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(page.contains(r#"href="/crm?date=2025-08-24""#) && page.contains(r#"href="/crm?date=2025-08-26""#));
    }

    #[test]
    fn the_count_agrees_with_its_russian_word() {
        let words: Vec<&str> = [0, 1, 2, 5, 11, 21, 22, 25, 112].into_iter().map(orders_word).collect();
        assert_eq!(
            words,
            ["заказов", "заказ", "заказа", "заказов", "заказов", "заказ", "заказа", "заказов", "заказов"]
        );
    }
}
