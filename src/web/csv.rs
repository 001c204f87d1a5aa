//! The exports as CSV that Russian Excel opens as it is: UTF-8 with a byte order mark, `;`
//! between fields, CRLF between rows, dates `DD.MM.YYYY`, money as a plain number with a decimal
//! comma and no spaces, every field that needs it quoted.

use crate::domain::decimal::Money;
use crate::domain::status::CrmStatus;
use crate::domain::views::{OrderView, Origin, ReportDay};
use crate::web::human;

/// The byte order mark Excel needs to read UTF-8.
const BOM: &str = "\u{feff}";

/// An export: its file name and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub filename: String,
    pub text: String,
}

/// `9000`, `12500,5`: as Russian Excel reads a number.
#[must_use]
pub fn number(amount: Money) -> String {
    let text = amount.to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole},{fraction}")
    }
}

/// A field, quoted when it holds `;`, a quote or a line break; a leading `=`, `+`, `-` or `@`
/// is prefixed with `'` so that Excel never runs it as a formula.
fn field(value: &str) -> String {
    let value = match value.chars().next() {
        Some('=' | '+' | '-' | '@') => format!("'{value}"),
        _ => value.to_owned(),
    };
    if value.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

fn rows(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut text = String::from(BOM);
    text.push_str(&header.iter().map(|h| field(h)).collect::<Vec<_>>().join(";"));
    text.push_str("\r\n");
    for row in rows {
        text.push_str(&row.iter().map(|v| field(v)).collect::<Vec<_>>().join(";"));
        text.push_str("\r\n");
    }
    text
}

fn money_or_empty(amount: Option<Money>) -> String {
    amount.map(number).unwrap_or_default()
}

/// The orders list, as filtered.
#[must_use]
pub fn orders(orders: &[OrderView], today: chrono::NaiveDate) -> Export {
    let header = [
        "Номер",
        "Создан",
        "Источник",
        "Статус",
        "Дата доставки",
        "Время",
        "Получатель",
        "Телефон",
        "Адрес",
        "Город",
        "Магазин",
        "Курьер",
        "Доставка, ₸",
        "Сумма, ₸",
        "Оплата",
    ];
    let text = rows(
        &header,
        orders.iter().map(|order| {
            vec![
                order.number(),
                human::moment(&order.created_at),
                match order.origin {
                    Origin::Bitrix => "Сайт".to_owned(),
                    Origin::Crm => "CRM".to_owned(),
                },
                order.status.label_ru().to_owned(),
                order.delivery_date.map(human::date).unwrap_or_default(),
                order.delivery_slot.as_ref().map(human::slot).unwrap_or_default(),
                order.recipient_name.clone().unwrap_or_default(),
                order.recipient_phone.as_deref().map(human::phone).unwrap_or_default(),
                order.delivery_address.clone().unwrap_or_default(),
                order.city.as_ref().and_then(|c| c.name.clone()).unwrap_or_default(),
                order.shop.as_ref().and_then(|s| s.name.clone()).unwrap_or_default(),
                order.courier.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
                money_or_empty(order.delivery_fee),
                money_or_empty(order.total_amount),
                order.payment.as_ref().map(|p| human::payment(p, order.currency.as_deref())).unwrap_or_default(),
            ]
        }),
    );
    Export { filename: format!("orders-{}.csv", human::date(today)), text }
}

/// The report of a period, a row per day.
#[must_use]
pub fn report(days: &[ReportDay], from: chrono::NaiveDate, to: chrono::NaiveDate) -> Export {
    let header = [
        "День",
        "Заказов",
        "Выручка, ₸",
        "В выручке заказов",
        "Средний чек, ₸",
        "С сайта",
        "Из CRM",
        "Отменено и возвращено",
    ];
    let text = rows(
        &header,
        days.iter().map(|day| {
            let source = |origin: Origin| day.by_source.get(&origin).map_or(0, |share| share.orders).to_string();
            let lost: u64 = day
                .by_status
                .iter()
                .filter(|(status, _)| CrmStatus::parse(status).is_some_and(|s| !s.counts_as_revenue()))
                .map(|(_, n)| n)
                .sum();
            vec![
                human::date(day.day),
                day.orders.to_string(),
                number(day.revenue),
                day.revenue_orders.to_string(),
                money_or_empty(day.average()),
                source(Origin::Bitrix),
                source(Origin::Crm),
                lost.to_string(),
            ]
        }),
    );
    Export { filename: format!("report-{}-{}.csv", human::date(from), human::date(to)), text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_a_plain_number_with_a_decimal_comma() {
        assert_eq!(number(Money::parse("9000").unwrap()), "9000");
        assert_eq!(number(Money::parse("1250000.50").unwrap()), "1250000,5");
    }

    #[test]
    fn a_field_with_a_semicolon_a_quote_or_a_formula_is_quoted_or_defused() {
        assert_eq!(field("ул. Абая; кв 5"), "\"ул. Абая; кв 5\"");
        assert_eq!(field("букет \"Нежность\""), "\"букет \"\"Нежность\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("Данияр"), "Данияр");
    }

    #[test]
    fn the_orders_export_starts_with_the_bom_and_has_a_row_per_order_in_excels_russian_format() {
        let mut order = crate::web::telegram::tests::card();
        order.delivery_date = chrono::NaiveDate::from_ymd_opt(2025, 8, 25);
        let export = orders(&[order.clone(), order], chrono::NaiveDate::from_ymd_opt(2025, 8, 26).unwrap());
        assert!(export.text.starts_with("\u{feff}Номер;Создан;"));
        assert_eq!(export.text.matches("\r\n").count(), 3);
        assert!(export.text.contains(";25.08.2025;"), "{}", export.text);
        assert!(export.text.contains(";16500;"), "{}", export.text);
        assert_eq!(export.filename, "orders-26.08.2025.csv");
    }
}
