//! The shop chat's messages: an order card rendered as Telegram HTML, escaped, within 4096
//! UTF-16 units (Telegram's limit; counting the markup too keeps us safely under it).

use serde::Deserialize;

use super::status::CrmStatus;

/// Telegram's limit for one message's text.
pub const MAX_MESSAGE_UNITS: usize = 4096;

/// What the message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occasion {
    NewOrder,
    StatusChanged(CrmStatus),
}

/// One basket line as shown.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CardItem {
    pub name: Option<String>,
    pub price: String,
    pub quantity: String,
    #[serde(default)]
    pub bitrix_product_id: Option<u64>,
}

/// An order as the chat sees it (read from the `order_card` SQL function).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderCard {
    pub order_id: String,
    pub bitrix_order_id: Option<u64>,
    pub order_number: Option<String>,
    pub origin: String,
    pub status: String,
    pub total_amount: Option<String>,
    pub delivery_fee: Option<String>,
    pub currency: Option<String>,
    pub recipient_name: Option<String>,
    pub recipient_phone: Option<String>,
    pub delivery_address: Option<String>,
    pub postcard_text: Option<String>,
    pub delivery_date: Option<String>,
    pub delivery_slot: Option<String>,
    pub city: Option<String>,
    pub shop: Option<String>,
    #[serde(default)]
    pub items: Vec<CardItem>,
    #[serde(default)]
    pub customer_comment: Option<String>,
    #[serde(default)]
    pub delivery_time_id: Option<u64>,
    #[serde(default)]
    pub bitrix_city_id: Option<u64>,
    #[serde(default)]
    pub bitrix_shop_id: Option<u64>,
}

/// Escapes text for Telegram's HTML parse mode: `<`, `>`, `&` (and `"` for safety in attributes).
#[must_use]
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

fn or_dash(value: Option<&str>) -> String {
    value.filter(|v| !v.trim().is_empty()).map_or_else(|| "—".to_owned(), escape_html)
}

fn money(amount: Option<&str>, currency: Option<&str>) -> String {
    match amount {
        Some(amount) => {
            let symbol = match currency.unwrap_or("KZT") {
                "KZT" => "₸".to_owned(),
                other => escape_html(other),
            };
            format!("{} {symbol}", escape_html(amount))
        }
        None => "—".to_owned(),
    }
}

fn item_line(item: &CardItem, currency: Option<&str>) -> String {
    format!(
        "• {} — {} × {}",
        or_dash(item.name.as_deref()),
        money(Some(&item.price), currency),
        escape_html(&item.quantity)
    )
}

/// At most `max_units` UTF-16 units of `text`, ending in `…` when cut.
fn truncate_chars(text: &str, max_units: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        if used + c.len_utf16() + 1 > max_units {
            out.push('…');
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    out
}

/// Renders the message. Too long: items are dropped from the end with a note of how many
/// (the most that fit, found by bisection), then the postcard is shortened; markup is never cut.
#[must_use]
pub fn render(card: &OrderCard, occasion: Occasion) -> String {
    let fits = |text: &String| units(text) <= MAX_MESSAGE_UNITS;
    let full = compose(card, occasion, card.items.len(), card.postcard_text.as_deref());
    if fits(&full) {
        return full;
    }
    // The largest number of items that fits: fits(0..=best), not fits(best+1..).
    let (mut best, mut over) = (0, card.items.len());
    while over - best > 1 {
        let middle = best + (over - best) / 2;
        if fits(&compose(card, occasion, middle, card.postcard_text.as_deref())) {
            best = middle;
        } else {
            over = middle;
        }
    }
    let mut postcard = card.postcard_text.clone();
    loop {
        let text = compose(card, occasion, best, postcard.as_deref());
        if fits(&text) {
            return text;
        }
        match postcard.as_deref().filter(|p| !p.is_empty()) {
            // Each raw unit removed shortens the escaped text by at least one unit.
            Some(current) => {
                postcard =
                    Some(truncate_chars(current, units(current).saturating_sub(units(&text) - MAX_MESSAGE_UNITS + 1)))
            }
            None => return truncate_chars(&text, MAX_MESSAGE_UNITS),
        }
    }
}

fn compose(card: &OrderCard, occasion: Occasion, shown_items: usize, postcard: Option<&str>) -> String {
    let status = CrmStatus::parse(&card.status).unwrap_or(CrmStatus::Unknown);
    let number = card
        .bitrix_order_id
        .map(|id| id.to_string())
        .or_else(|| card.order_number.clone())
        .unwrap_or_else(|| card.order_id.chars().take(8).collect());
    let title = match occasion {
        Occasion::NewOrder => format!("🆕 <b>Новый заказ №{}</b>", escape_html(&number)),
        Occasion::StatusChanged(to) => {
            format!("🔄 <b>Заказ №{}: статус «{}»</b>", escape_html(&number), escape_html(to.label_ru()))
        }
    };
    let currency = card.currency.as_deref();
    let source = if card.origin == "crm" { "CRM" } else { "сайт" };
    let mut lines = vec![
        title,
        format!("Статус: {}", escape_html(status.label_ru())),
        format!("Сумма: <b>{}</b>", money(card.total_amount.as_deref(), currency)),
        format!("Источник: {source}"),
        String::new(),
        "<b>Получатель</b>".to_owned(),
        format!("Имя: {}", or_dash(card.recipient_name.as_deref())),
        format!("Телефон: {}", or_dash(card.recipient_phone.as_deref())),
        format!("Адрес: {}", or_dash(card.delivery_address.as_deref())),
        String::new(),
        "<b>Доставка</b>".to_owned(),
        format!("Дата: {}", or_dash(card.delivery_date.as_deref())),
        format!("Время: {}", or_dash(card.delivery_slot.as_deref())),
        format!("Город: {}", or_dash(card.city.as_deref())),
        format!("Магазин: {}", or_dash(card.shop.as_deref())),
        format!("Стоимость доставки: {}", money(card.delivery_fee.as_deref(), currency)),
        String::new(),
        format!("<b>Состав ({})</b>", card.items.len()),
    ];
    lines.extend(card.items.iter().take(shown_items).map(|item| item_line(item, currency)));
    if shown_items < card.items.len() {
        lines.push(format!("… и ещё {} поз.", card.items.len() - shown_items));
    }
    if card.items.is_empty() {
        lines.push("—".to_owned());
    }
    lines.push(String::new());
    lines.push(format!("<b>Открытка</b>: {}", or_dash(postcard)));
    lines.join("\n")
}

#[cfg(test)]
mod tests;
