//! What people read, in the shop's conventions, for the staff pages and the Telegram messages
//! alike: dates `25.08.2025` (with the weekday where it helps), 24-hour times, money `9 000 ₸`
//! (no-break spaces, no kopecks when there are none), counts `2`, phones `+7 (701) 555-12-34`,
//! times on the shop's clock (`clock`).

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Weekday};

use crate::domain::clock::in_almaty;
use crate::domain::decimal::{Money, Quantity};

/// The no-break space: between thousands, and between an amount and its currency.
pub const NBSP: char = '\u{a0}';

/// `25.08.2025`.
#[must_use]
pub fn date(day: NaiveDate) -> String {
    day.format("%d.%m.%Y").to_string()
}

/// The weekday's short Russian name: `пн`, `вт`, …
#[must_use]
pub fn weekday_short(day: NaiveDate) -> &'static str {
    match day.weekday() {
        Weekday::Mon => "пн",
        Weekday::Tue => "вт",
        Weekday::Wed => "ср",
        Weekday::Thu => "чт",
        Weekday::Fri => "пт",
        Weekday::Sat => "сб",
        Weekday::Sun => "вс",
    }
}

/// `пн, 25.08.2025`: where the day of the week helps (the board, a delivery date).
#[must_use]
pub fn date_with_weekday(day: NaiveDate) -> String {
    format!("{}, {}", weekday_short(day), date(day))
}

/// `25.08.2025 15:04` in Almaty: when something happened.
#[must_use]
pub fn moment<Tz: TimeZone>(at: &DateTime<Tz>) -> String {
    in_almaty(at).format("%d.%m.%Y %H:%M").to_string()
}

/// Groups the digits of a whole number by three with no-break spaces: `9 000`, `1 250 000`.
pub fn grouped(whole: &str) -> String {
    let mut out = String::with_capacity(whole.len() + whole.len() / 3 * 2);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index).is_multiple_of(3) {
            out.push(NBSP);
        }
        out.push(digit);
    }
    out
}

/// `9 000 ₸`, `12 500,50 ₸`, `0,0001 ₸`: grouped thousands, a decimal comma only when there is a
/// fraction, exact to the ten-thousandth. Another currency is written by its code: `150 USD`.
#[must_use]
pub fn money(amount: Money, currency: Option<&str>) -> String {
    let text = amount.to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let fraction = fraction.trim_end_matches('0');
    let symbol = match currency.map(str::trim).filter(|c| !c.is_empty()).unwrap_or("KZT") {
        "KZT" => "₸",
        other => other,
    };
    if fraction.is_empty() {
        format!("{}{NBSP}{symbol}", grouped(whole))
    } else {
        format!("{},{fraction}{NBSP}{symbol}", grouped(whole))
    }
}

/// «Оплачен · Kaspi», «Не оплачен · Наличные курьеру», «Оплачен частично: 5 000 ₸»: how an
/// order is paid, as the board, the card, the ticket and the chat say it.
#[must_use]
pub fn payment(payment: &crate::domain::views::PaymentView, currency: Option<&str>) -> String {
    let state = match payment.sum_paid.filter(|_| !payment.paid).filter(|sum| sum.is_positive()) {
        _ if payment.paid => "Оплачен".to_owned(),
        Some(sum) => format!("Оплачен частично: {}", money(sum, currency)),
        None => "Не оплачен".to_owned(),
    };
    match payment.pay_system_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(system) => format!("{state} · {system}"),
        None => state,
    }
}

/// A slot the CRM does not know yet: «Слот 23 (время уточняется)», until the next reference
/// refresh names it.
#[must_use]
pub fn unknown_slot(id: u64) -> String {
    format!("Слот {id} (время уточняется)")
}

/// A slot as people read it: its name, or [`unknown_slot`] while the CRM does not know it.
#[must_use]
pub fn slot(named: &crate::domain::views::Named) -> String {
    named.name.clone().unwrap_or_else(|| unknown_slot(named.id))
}

/// `2`, `0,5`: a count as people write it.
#[must_use]
pub fn count(quantity: Quantity) -> String {
    quantity.plain().replace('.', ",")
}

/// `+7 (701) 555-12-34` for a Kazakh number stored as `+77015551234`; anything else as stored.
#[must_use]
pub fn phone(stored: &str) -> String {
    let digits = stored.strip_prefix("+7").filter(|d| d.len() == 10 && d.bytes().all(|b| b.is_ascii_digit()));
    match digits {
        Some(d) => format!("+7 ({}) {}-{}-{}", &d[..3], &d[3..6], &d[6..8], &d[8..]),
        None => stored.to_owned(),
    }
}

/// `tel:+77015551234`, or `None` when the stored text is not a number to call.
#[must_use]
pub fn tel_link(stored: &str) -> Option<String> {
    let number: String = stored.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    (number.len() >= 7 && number.len() <= 16 && number.chars().skip(1).all(|c| c.is_ascii_digit()))
        .then(|| format!("tel:{number}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock::shop_day;
    use chrono::Utc;

    fn money_of(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn money_is_grouped_by_thousands_with_no_break_spaces_and_kopecks_only_when_there_are_some() {
        let table = [
            ("9000.00", Some("KZT"), "9\u{a0}000\u{a0}₸"),
            ("0", None, "0\u{a0}₸"),
            ("999", Some("KZT"), "999\u{a0}₸"),
            ("1000", Some("KZT"), "1\u{a0}000\u{a0}₸"),
            ("1250000.5", Some("KZT"), "1\u{a0}250\u{a0}000,5\u{a0}₸"),
            ("12500.50", Some(""), "12\u{a0}500,5\u{a0}₸"),
            ("0.0001", Some("KZT"), "0,0001\u{a0}₸"),
            ("150", Some("USD"), "150\u{a0}USD"),
        ];
        for (amount, currency, shown) in table {
            assert_eq!(money(money_of(amount), currency), shown, "{amount}");
        }
    }

    #[test]
    fn dates_are_day_month_year_and_weekdays_are_russian() {
        let day = NaiveDate::from_ymd_opt(2025, 8, 25).unwrap();
        assert_eq!(date(day), "25.08.2025");
        assert_eq!(date_with_weekday(day), "пн, 25.08.2025");
        assert_eq!(weekday_short(NaiveDate::from_ymd_opt(2025, 8, 31).unwrap()), "вс");
    }

    #[test]
    fn the_shops_day_and_clock_are_almatys() {
        let late_utc = Utc.with_ymd_and_hms(2025, 8, 24, 19, 30, 0).unwrap();
        assert_eq!(shop_day(&late_utc), NaiveDate::from_ymd_opt(2025, 8, 25).unwrap(), "00:30 in Almaty");
        assert_eq!(moment(&late_utc), "25.08.2025 00:30");
        let early_utc = Utc.with_ymd_and_hms(2025, 8, 24, 18, 59, 0).unwrap();
        assert_eq!(shop_day(&early_utc), NaiveDate::from_ymd_opt(2025, 8, 24).unwrap(), "23:59 in Almaty");
    }

    #[test]
    fn phones_are_shown_as_people_read_them_and_called_by_their_digits() {
        assert_eq!(phone("+77015551234"), "+7 (701) 555-12-34");
        assert_eq!(phone("+49 30 1234567"), "+49 30 1234567", "not Kazakh: as stored");
        assert_eq!(phone("звонить маме"), "звонить маме");
        assert_eq!(tel_link("+77015551234").as_deref(), Some("tel:+77015551234"));
        assert_eq!(tel_link("+49 30 1234567").as_deref(), Some("tel:+49301234567"));
        assert_eq!(tel_link("звонить маме"), None);
    }

    #[test]
    fn counts_drop_their_zeros_and_use_a_decimal_comma() {
        assert_eq!(count(Quantity::parse("2.0000").unwrap()), "2");
        assert_eq!(count(Quantity::parse("0.5").unwrap()), "0,5");
    }
}
