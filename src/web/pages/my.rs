//! `/crm/my`: the courier's deliveries of the day on a phone: in slot order, each with the
//! address as links to 2GIS and Yandex Maps, the recipient's phone to call, what to collect if
//! unpaid, the postcard note, and the two buttons of the road: «Забрал» and «Доставлено».

use chrono::NaiveDate;
use maud::{html, Markup};

use super::{layout, or_dash, phone_link, status_badge, Chrome};
use crate::app::team::{step_fits, CourierStep};
use crate::domain::ids::CrmId;
use crate::domain::views::{to_collect, OrderView, SlotView};
use crate::web::human;

/// The map searches for an address (the city first, when the order names one).
#[must_use]
pub fn map_links(order: &OrderView) -> Option<(String, String)> {
    let address = order.delivery_address.as_deref().map(str::trim).filter(|a| !a.is_empty())?;
    let city = order.city.as_ref().and_then(|c| c.name.as_deref());
    let query = match city {
        Some(city) if !address.to_lowercase().contains(&city.to_lowercase()) => format!("{city}, {address}"),
        _ => address.to_owned(),
    };
    let encoded: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let path = encoded.replace('+', "%20");
    Some((format!("https://2gis.kz/search/{path}"), format!("https://yandex.kz/maps/?text={encoded}")))
}

/// The orders in the order of their slots' start (unknown slots and none last), then as given.
#[must_use]
pub fn in_slot_order<'a>(orders: &'a [OrderView], slots: &[SlotView]) -> Vec<&'a OrderView> {
    let start = |order: &OrderView| {
        let slot = order.delivery_slot.as_ref().and_then(|named| slots.iter().find(|s| s.id == named.id));
        slot.and_then(|s| s.starts_at).map_or((1, chrono::NaiveTime::MIN), |t| (0, t))
    };
    let mut sorted: Vec<&OrderView> = orders.iter().collect();
    sorted.sort_by_key(|order| start(order));
    sorted
}

/// The courier's page for `day`; `problem` is a handover photo refused, shown beside its order's
/// file field.
#[must_use]
pub fn page(chrome: &Chrome, day: NaiveDate, orders: &[&OrderView], problem: Option<(&CrmId, String)>) -> Markup {
    let title = format!("Мои доставки: {}", human::date_with_weekday(day));
    layout(
        chrome,
        &title,
        html! {
            h1 { (title) }
            @if orders.is_empty() {
                p { "На этот день вам не назначено ни одного заказа." }
            }
            ol class="deliveries" {
                @for order in orders {
                    li class="delivery" {
                        article aria-labelledby={ "d-" (order.id) } {
                            h2 id={ "d-" (order.id) } {
                                (or_dash(order.delivery_slot.as_ref().map(human::slot).as_deref()))
                                " · №" (order.number()) " "
                                (status_badge(order.status))
                            }
                            @if let Some(left) = to_collect(order) {
                                p class="warning" role="alert" {
                                    "Не оплачен: получить " strong { (human::money(left, order.currency.as_deref())) }
                                }
                            }
                            dl {
                                dt { "Кому" } dd { (or_dash(order.recipient_name.as_deref())) }
                                dt { "Телефон" } dd { (phone_link(order.recipient_phone.as_deref())) }
                                dt { "Адрес" }
                                dd {
                                    (or_dash(order.delivery_address.as_deref()))
                                    @if let Some((two_gis, yandex)) = map_links(order) {
                                        span class="maps" {
                                            a class="button-link" href=(two_gis) rel="noreferrer" { "2ГИС" }
                                            a class="button-link" href=(yandex) rel="noreferrer" { "Яндекс Карты" }
                                        }
                                    }
                                }
                                @if let Some(note) = order.postcard_text.as_deref().filter(|p| !p.trim().is_empty()) {
                                    dt { "Открытка" } dd { (note) }
                                }
                            }
                            div class="road" {
                                @if step_fits(CourierStep::Picked, order.status) {
                                    form method="post" action={ "/crm/my/" (order.id) "/picked" } {
                                        button type="submit" data-busy="⏳" { "Забрал" }
                                    }
                                }
                                @if step_fits(CourierStep::Delivered, order.status) {
                                    @let refused = problem.as_ref().filter(|(id, _)| **id == order.id).map(|(_, message)| message);
                                    @let input = format!("handover-{}", order.id);
                                    form class="delivered" method="post" action={ "/crm/my/" (order.id) "/delivered" }
                                        enctype="multipart/form-data" {
                                        label for=(input) { "Фото вручения (необязательно)" }
                                        input id=(input) name="photo" type="file" accept="image/*" capture="environment"
                                            aria-invalid=[refused.map(|_| "true")]
                                            aria-describedby=[refused.map(|_| format!("{input}-error"))];
                                        @if let Some(message) = refused {
                                            span class="field-error" id={ (input) "-error" } role="alert" { (message) }
                                        }
                                        button type="submit" data-busy="⏳" { "Доставлено" }
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
    use crate::domain::views::Named;

    #[test]
    fn the_address_opens_in_both_maps_with_the_city_in_front() {
        let mut order = crate::web::telegram::tests::card();
        order.delivery_address = Some("ул. Абая 10, кв 5".into());
        order.city = Some(Named { id: 1, name: Some("Алматы".into()) });
        let (two_gis, yandex) = map_links(&order).unwrap();
        assert!(two_gis.starts_with("https://2gis.kz/search/%D0%90%D0%BB"), "{two_gis}");
        assert!(!two_gis.contains('+') && !two_gis.contains(' '), "{two_gis}");
        assert!(yandex.starts_with("https://yandex.kz/maps/?text="), "{yandex}");
        order.delivery_address = Some("  ".into());
        assert_eq!(map_links(&order), None);
    }

    #[test]
    fn deliveries_come_in_the_order_of_their_slots_start() {
        let slot = |id: u64, hour: u32| SlotView {
            id,
            label: format!("{hour}:00"),
            starts_at: chrono::NaiveTime::from_hms_opt(hour, 0, 0),
            ends_at: None,
        };
        let order = |slot: Option<u64>, n: &str| {
            let mut order = crate::web::telegram::tests::card();
            order.delivery_slot = slot.map(|id| Named { id, name: None });
            order.order_number = Some(n.into());
            order.bitrix_order_id = None;
            order
        };
        let orders = vec![order(None, "none"), order(Some(2), "late"), order(Some(1), "early")];
        let sorted: Vec<String> =
            in_slot_order(&orders, &[slot(1, 9), slot(2, 15)]).iter().map(|o| o.number()).collect();
        assert_eq!(sorted, ["early", "late", "none"]);
    }
}
