//! The shop chat's messages: an order card rendered as Telegram HTML, escaped, within 4096
//! UTF-16 units (Telegram's limit; counting the markup too keeps us safely under it), in the
//! formats the staff read on the pages (`human`).

use crate::app::ports::ChatMessage;
use crate::domain::decimal::Money;
use crate::domain::jobs::Occasion;
use crate::domain::jobs::RiskStage;
use crate::domain::reconciliation::{Difference, Reconciliation};
use crate::domain::status::BitrixStatusCode;
use crate::domain::status::CrmStatus;
use crate::domain::views::{DaySummary, ItemView, Named, OrderView};
use crate::web::human;

/// A chat message's text: what the runner decided to say, rendered.
#[must_use]
pub fn render_message(message: &ChatMessage<'_>) -> String {
    match message {
        ChatMessage::Order { order, occasion, crm_url } => render(order, *occasion, crm_url),
        ChatMessage::DailySummary { summary, reconciliation } => render_summary(summary, *reconciliation),
        ChatMessage::Backfill(load) => render_backfill(load),
        ChatMessage::Digest { entries, crm_url } => render_digest(entries, crm_url),
        ChatMessage::Reconciliation(run) => render_reconciliation(run),
        ChatMessage::Photo { order, photo, crm_url } => render_photo_caption(order, photo, crm_url),
    }
}

/// Telegram's limit for a photo's caption.
pub const MAX_CAPTION_UNITS: usize = 1024;

/// The caption of the bouquet's photo: the order, when and where it goes, who took the photo,
/// the link to the card. Every part is capped, so it stays within [`MAX_CAPTION_UNITS`].
#[must_use]
pub fn render_photo_caption(order: &OrderView, photo: &crate::domain::views::PhotoView, crm_url: &str) -> String {
    let when = match (order.delivery_date, order.delivery_slot.as_ref()) {
        (Some(date), Some(slot)) => format!("{}, {}", human::date(date), human::slot(slot)),
        (Some(date), None) => human::date(date),
        _ => "дата не указана".to_owned(),
    };
    let link = format!("{}/crm/orders/{}", crm_url.trim_end_matches('/'), order.id);
    let mut text = format!(
        "📷 <b>Букет собран: заказ №{}</b>\nДоставка: {}",
        escape_capped(&order.number(), caps::SHORT),
        escape_capped(&when, caps::SHORT * 2)
    );
    if let Some(by) = photo.by.as_deref() {
        text.push_str(&format!("\nФото: {}", escape_capped(by, caps::IN_DIGEST)));
    }
    text.push_str(&format!("\nКарточка заказа: {}", escape_capped(&link, caps::NAME)));
    text
}

/// A photo sent as `multipart/form-data` to `sendPhoto` (or `sendDocument` for a HEIC, which
/// Telegram does not show as a photo): the method, the body's content type and the body.
#[must_use]
pub fn photo_upload(
    chat_id: &str,
    caption_html: &str,
    bytes: &[u8],
    kind: crate::domain::photo::ImageKind,
    boundary: &str,
) -> (&'static str, String, Vec<u8>) {
    let (method, field) =
        if kind.telegram_shows_as_photo() { ("sendPhoto", "photo") } else { ("sendDocument", "document") };
    let mut body = Vec::with_capacity(bytes.len() + 1024);
    for (name, value) in [("chat_id", chat_id), ("caption", caption_html), ("parse_mode", "HTML")] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"bouquet.{}\"\r\n\
             Content-Type: {}\r\n\r\n",
            kind.extension(),
            kind.content_type()
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (method, format!("multipart/form-data; boundary={boundary}"), body)
}

/// Telegram's limit for one message's text.
pub const MAX_MESSAGE_UNITS: usize = 4096;

fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// How many UTF-16 units of escaped text each part of a message may take. Every cap is small
/// enough that the fixed part of any message, plus [`POSTCARD_RESERVE`] and the item note,
/// stays under [`MAX_MESSAGE_UNITS`] (a test adds them up).
pub mod caps {
    /// Order numbers, amounts, quantities, phone, date, slot, city, shop, currency.
    pub const SHORT: usize = 64;
    /// The recipient's name, a basket line's name.
    pub const NAME: usize = 256;
    /// The delivery address.
    pub const ADDRESS: usize = 512;
    /// The buyer's comment to the shop (`USER_DESCRIPTION`).
    pub const COMMENT: usize = 512;
    /// A name or a pay system on a digest's line.
    pub const IN_DIGEST: usize = 30;
}

/// The postcard keeps at least this much room (or all it needs) before the items take the
/// rest: the florist writes it by hand, a shortened item list has its note.
pub const POSTCARD_RESERVE: usize = 1024;

/// `text` escaped for Telegram's HTML, within `cap` units: cut with `…` when longer, never
/// inside an entity. Reads at most `cap` + 1 characters of `text`, so the cost is bounded.
#[must_use]
pub fn escape_capped(text: &str, cap: usize) -> String {
    let mut out = String::new();
    let (mut used, mut checkpoint) = (0, (0, 0));
    for c in text.chars() {
        let piece_units = match c {
            '<' | '>' => 4,
            '&' => 5,
            '"' => 6,
            other => other.len_utf16(),
        };
        if used + piece_units > cap {
            // Cut: back to the last point where the ellipsis still fits.
            let (length, _) = checkpoint;
            out.truncate(length);
            if cap > 0 {
                out.push('…');
            }
            return out;
        }
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
        used += piece_units;
        if used < cap {
            checkpoint = (out.len(), used);
        }
    }
    out
}

/// Escapes text for Telegram's HTML parse mode: `<`, `>`, `&` (and `"` for safety in attributes).
#[must_use]
pub fn escape_html(text: &str) -> String {
    escape_capped(text, usize::MAX)
}

fn or_dash(value: Option<&str>, cap: usize) -> String {
    value.filter(|v| !v.trim().is_empty()).map_or_else(|| "—".to_owned(), |v| escape_capped(v, cap))
}

/// `9 000 ₸` as on the pages (`human::money`), the currency code capped and escaped.
fn money(amount: Option<Money>, currency: Option<&str>) -> String {
    match amount {
        Some(amount) => escape_capped(&human::money(amount, currency), caps::SHORT * 2),
        None => "—".to_owned(),
    }
}

fn slot_of(card: &OrderView) -> String {
    or_dash(card.delivery_slot.as_ref().map(human::slot).as_deref(), caps::SHORT)
}

fn name_of(named: Option<&Named>) -> String {
    or_dash(named.and_then(|n| n.name.as_deref()), caps::SHORT)
}

fn item_line(item: &ItemView, currency: Option<&str>) -> String {
    format!(
        "• {} — {} × {}",
        or_dash(item.name.as_deref(), caps::NAME),
        money(Some(item.price), item.currency.as_deref().or(currency)),
        human::count(item.quantity)
    )
}

/// Renders the message, within [`MAX_MESSAGE_UNITS`] for any card, in one pass over bounded
/// pieces: every field is capped, the postcard keeps [`POSTCARD_RESERVE`], the items take what
/// fits (the rest is counted in a note), then the postcard takes what is left. Markup is ours
/// alone and always whole; user text is escaped and never cut inside an entity.
///
/// `crm_url` is the CRM's own address (`CRM_PUBLIC_URL`), for a link to the order's card.
#[must_use]
pub fn render(card: &OrderView, occasion: Occasion, crm_url: &str) -> String {
    if let Occasion::DeliveryRisk { stage, minutes_left } = occasion {
        return risk(card, stage, minutes_left, crm_url);
    }
    let mut text = header(card, occasion);
    text.push_str(&format!("\n\n<b>Состав ({})</b>", card.items.len()));
    let postcard_label = "\n\n<b>Открытка</b>: ";
    let fixed = units(&text) + units(postcard_label);
    let postcard = card.postcard_text.as_deref().filter(|p| !p.trim().is_empty());
    // The postcard's own need, capped at the whole message: never more than that is read.
    let postcard_need = postcard.map_or(1, |p| units(&escape_capped(p, MAX_MESSAGE_UNITS)));
    let items_budget = MAX_MESSAGE_UNITS.saturating_sub(fixed + postcard_need.min(POSTCARD_RESERVE));
    let items = item_lines(card, items_budget);
    text.push_str(&items);
    text.push_str(postcard_label);
    let postcard_budget = MAX_MESSAGE_UNITS.saturating_sub(fixed + units(&items));
    text.push_str(&or_dash(postcard, postcard_budget));
    text
}

/// Many order messages at once, one line each in the order they were due: the number, the
/// news, the delivery day and slot, the recipient, the sum and how it is paid. Lines are capped
/// so that the most a digest names fits one message.
#[must_use]
pub fn render_digest(entries: &[(OrderView, Occasion)], crm_url: &str) -> String {
    let mut text = format!(
        "📦 <b>Сразу {} {} о заказах</b> (чат не успевает по одному, поэтому списком)",
        entries.len(),
        if entries.len() % 10 == 1 && entries.len() % 100 != 11 { "сообщение" } else { "сообщений" }
    );
    let budget = MAX_MESSAGE_UNITS.saturating_sub(units(&text) + 120);
    let mut used = 0;
    for (shown, (card, occasion)) in entries.iter().enumerate() {
        let line = digest_line(card, *occasion);
        if used + units(&line) > budget {
            text.push_str(&format!("\n… и ещё {}", entries.len() - shown));
            break;
        }
        used += units(&line);
        text.push_str(&line);
    }
    text + &format!("\nЗаказы: {}", escape_capped(&format!("{}/crm/orders", crm_url.trim_end_matches('/')), caps::NAME))
}

fn digest_line(card: &OrderView, occasion: Occasion) -> String {
    let number = escape_capped(&card.number(), caps::SHORT);
    let news = match occasion {
        Occasion::NewOrder => format!("🆕 №{number}"),
        Occasion::StatusChanged(to) => format!("🔄 №{number} «{}»", to.label_ru()),
        Occasion::DeliveryRisk { .. } => format!("⚠️ №{number}"),
    };
    let when = [card.delivery_date.map(human::date), card.delivery_slot.as_ref().map(human::slot)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let parts = [
        Some(news),
        (!when.is_empty()).then(|| escape_capped(&when, caps::SHORT)),
        card.recipient_name.as_deref().map(|n| escape_capped(n, caps::IN_DIGEST)),
        card.total_amount.map(|t| human::money(t, card.currency.as_deref())),
        card.payment.as_ref().map(|p| escape_capped(&human::payment(p, card.currency.as_deref()), 30)),
    ];
    format!("\n{}", parts.into_iter().flatten().collect::<Vec<_>>().join(" · "))
}

/// The longest note about left-out items: "\n… и ещё 500 поз." with room for any count.
const ITEM_NOTE_UNITS: usize = 32;

/// As many item lines as fit in `budget` units, then a note of how many were left out.
fn item_lines(card: &OrderView, budget: usize) -> String {
    if card.items.is_empty() {
        return "\n—".to_owned();
    }
    let currency = card.currency.as_deref();
    let mut lines = String::new();
    let mut used = 0;
    for (shown, item) in card.items.iter().enumerate() {
        let line = format!("\n{}", item_line(item, currency));
        let line_units = units(&line);
        let last = shown + 1 == card.items.len();
        let room = if last { budget } else { budget.saturating_sub(ITEM_NOTE_UNITS) };
        if used + line_units > room {
            lines.push_str(&format!("\n… и ещё {} поз.", card.items.len() - shown));
            return lines;
        }
        lines.push_str(&line);
        used += line_units;
    }
    lines
}

fn header(card: &OrderView, occasion: Occasion) -> String {
    let number = escape_capped(&card.number(), caps::SHORT);
    let title = match occasion {
        Occasion::NewOrder => format!("🆕 <b>Новый заказ №{number}</b>"),
        Occasion::StatusChanged(to) => format!("🔄 <b>Заказ №{number}: статус «{}»</b>", to.label_ru()),
        Occasion::DeliveryRisk { .. } => format!("⚠️ <b>Заказ №{number}</b>"),
    };
    let currency = card.currency.as_deref();
    let date = card.delivery_date.map(human::date_with_weekday);
    let phone = card.recipient_phone.as_deref().map(human::phone);
    let comment = card.customer_comment.as_deref().filter(|c| !c.trim().is_empty());
    [
        title,
        format!("Статус: {}", card.status.label_ru()),
        format!("Сумма: <b>{}</b>", money(card.total_amount, currency)) + &payment_line(card, occasion),
        format!("Источник: {}", card.origin.label_ru()),
        String::new(),
        "<b>Получатель</b>".to_owned(),
        format!("Имя: {}", or_dash(card.recipient_name.as_deref(), caps::NAME)),
        format!("Телефон: {}", or_dash(phone.as_deref(), caps::SHORT)),
        format!("Адрес: {}", or_dash(card.delivery_address.as_deref(), caps::ADDRESS)),
        String::new(),
        "<b>Доставка</b>".to_owned(),
        format!("Дата: {}", or_dash(date.as_deref(), caps::SHORT)),
        format!("Время: {}", slot_of(card)),
        format!("Город: {}", name_of(card.city.as_ref())),
        format!("Магазин: {}", name_of(card.shop.as_ref())),
        format!("Стоимость доставки: {}", money(card.delivery_fee, currency)),
    ]
    .join("\n")
        + &comment.map_or_else(String::new, |c| {
            format!("\n\n<b>Комментарий покупателя</b>: {}", escape_capped(c, caps::COMMENT))
        })
}

/// `\nОплата: …` when Bitrix said how the order is paid, and, in the message announcing that an
/// unpaid order went to the courier (sent once), a warning with what to collect.
fn payment_line(card: &OrderView, occasion: Occasion) -> String {
    let currency = card.currency.as_deref();
    let leaving = matches!(occasion, Occasion::StatusChanged(to) if to.with_courier());
    let said =
        card.payment.as_ref().map(|p| format!("\nОплата: {}", escape_capped(&human::payment(p, currency), caps::NAME)));
    let warning = crate::domain::views::unpaid_with_courier(card)
        .filter(|_| leaving)
        .map(|left| format!("\n⚠️ <b>У курьера без оплаты: получить {}</b>", human::money(left, currency)));
    said.unwrap_or_default() + &warning.unwrap_or_default()
}

fn minutes_ru(minutes: i64) -> String {
    let (hours, rest) = (minutes / 60, minutes % 60);
    match (hours, rest) {
        (0, m) => format!("{m} мин"),
        (h, 0) => format!("{h} ч"),
        (h, m) => format!("{h} ч {m} мин"),
    }
}

/// The delivery-risk warning: the number, the slot and the time left, the recipient, the
/// address, and the link to the order's card.
fn risk(card: &OrderView, stage: RiskStage, minutes_left: i64, crm_url: &str) -> String {
    let number = escape_capped(&card.number(), caps::SHORT);
    let title = match stage {
        RiskStage::Soon if minutes_left > 0 => {
            format!("⚠️ <b>Заказ №{number}: доставка через {}</b>", minutes_ru(minutes_left))
        }
        RiskStage::Soon => format!("⚠️ <b>Заказ №{number}: время доставки идёт уже {}</b>", minutes_ru(-minutes_left)),
        RiskStage::Over => format!("⏰ <b>Заказ №{number}: время доставки прошло</b>"),
    };
    let phone = card.recipient_phone.as_deref().map(human::phone);
    let link = format!("{}/crm/orders/{}", crm_url.trim_end_matches('/'), card.id);
    [
        title,
        format!("Время: {}", slot_of(card)),
        format!("Статус: {}, заказ ещё не у курьера", card.status.label_ru()),
        format!(
            "Получатель: {}, {}",
            or_dash(card.recipient_name.as_deref(), caps::NAME),
            or_dash(phone.as_deref(), caps::SHORT)
        ),
        format!("Адрес: {}", or_dash(card.delivery_address.as_deref(), caps::ADDRESS)),
        format!("Карточка заказа: {}", escape_capped(&link, caps::NAME)),
    ]
    .join("\n")
}

/// At most this many lines of a list in the summary; the rest are counted.
const SUMMARY_LIST: usize = 24;

fn limited(lines: Vec<String>, what: &str) -> Vec<String> {
    let total = lines.len();
    let mut shown: Vec<String> = lines.into_iter().take(SUMMARY_LIST).collect();
    if total > SUMMARY_LIST {
        shown.push(format!("… и ещё {} {what}", total - SUMMARY_LIST));
    }
    shown
}

/// The daily summary: the day's orders by status, revenue by source, the average order,
/// tomorrow's deliveries by slot, today's deliveries whose slot time is unknown, and the sync's
/// health. Every list is bounded, so the message always fits.
#[must_use]
pub fn render_summary(summary: &DaySummary, reconciliation: Option<&Reconciliation>) -> String {
    let report = &summary.report;
    let mut lines = vec![
        format!("📊 <b>Итоги дня: {}</b>", human::date_with_weekday(summary.day)),
        format!("Заказов за день: <b>{}</b>", report.orders),
    ];
    let mut statuses: Vec<(CrmStatus, u64)> =
        report.by_status.iter().map(|(name, n)| (CrmStatus::parse(name).unwrap_or(CrmStatus::Unknown), *n)).collect();
    statuses.sort_by_key(|(status, _)| crate::domain::status::ALL_CRM_STATUSES.iter().position(|s| s == status));
    lines.extend(limited(
        statuses.iter().map(|(status, n)| format!("• {} — {n}", status.label_ru())).collect(),
        "статусов",
    ));
    lines.push(format!("Выручка: <b>{}</b>", human::money(report.revenue, None)));
    for (origin, share) in &report.by_source {
        lines.push(format!("• {}: {} ({} зак.)", origin.label_ru(), human::money(share.revenue, None), share.orders));
    }
    if let Some(average) = report.average() {
        lines.push(format!("Средний чек: {}", human::money(average, None)));
    }
    let tomorrow = summary.day.succ_opt().map(human::date_with_weekday).unwrap_or_default();
    let deliveries: u64 = summary.tomorrow.iter().map(|load| load.orders).sum();
    lines.push(String::new());
    lines.push(format!("<b>Завтра, {tomorrow}</b>: доставок {deliveries}"));
    lines.extend(limited(
        summary
            .tomorrow
            .iter()
            .map(|load| {
                let slot = match &load.slot {
                    Some(slot) => escape_capped(slot.name.as_deref().unwrap_or("слот без названия"), caps::SHORT),
                    None => "время не указано".to_owned(),
                };
                format!("• {slot} — {}", load.orders)
            })
            .collect(),
        "слотов",
    ));
    if !summary.unknown_slot_times.is_empty() {
        lines.push(String::new());
        lines.push("<b>Время доставки неизвестно</b> (сегодня, не предупреждались):".to_owned());
        lines.extend(limited(
            summary
                .unknown_slot_times
                .iter()
                .map(|order| format!("• №{}", escape_capped(&order.number, caps::SHORT)))
                .collect(),
            "заказов",
        ));
    }
    lines.push(String::new());
    lines.push(format!("<b>Синхронизация</b>: не доставлено {}, повторяются {}", summary.dead, summary.retrying));
    if let Some(run) = reconciliation {
        lines.push(reconciliation_line(run));
    }
    lines.join("\n")
}

#[cfg(test)]
pub(crate) mod tests;

/// The summary's line about the newest reconciliation.
fn reconciliation_line(run: &Reconciliation) -> String {
    let when = human::moment(&run.started_at);
    match (&run.error, run.finished_at) {
        (Some(error), _) => format!("Сверка с Bitrix ({when}) не удалась: {}", escape_capped(error, caps::ADDRESS)),
        (None, None) => format!("Сверка с Bitrix идёт (начата {when})"),
        (None, Some(_)) => {
            let drift = run.missing.unwrap_or(0) + run.other_status.unwrap_or(0) + run.other_total.unwrap_or(0);
            format!(
                "Сверка с Bitrix ({when}): заказов {}, расхождений {drift}, запрошено повторно {}",
                run.bitrix_orders.unwrap_or(0),
                run.resent.unwrap_or(0)
            )
        }
    }
}

/// A Bitrix status code as the staff read it: its label, or the code itself when the map has
/// none.
fn status_label(code: Option<&str>) -> String {
    match code.and_then(BitrixStatusCode::parse).map(|code| CrmStatus::from_bitrix(&code)) {
        Some(status) if status != CrmStatus::Unknown => status.label_ru().to_owned(),
        _ => code.map_or_else(|| "—".to_owned(), |c| escape_capped(c, caps::SHORT)),
    }
}

/// A backfill summed up: how many old orders were stored without their own message, and when
/// Bitrix created them.
#[must_use]
pub fn render_backfill(load: &crate::domain::jobs::BackfillLoad) -> String {
    let span = match (load.from, load.to) {
        (Some(from), Some(to)) if from.date_naive() == to.date_naive() => {
            format!("\nСозданы в Битриксе {}.", human::date(from.date_naive()))
        }
        (Some(from), Some(to)) => {
            format!("\nСозданы в Битриксе с {} по {}.", human::date(from.date_naive()), human::date(to.date_naive()))
        }
        _ => String::new(),
    };
    format!(
        "📥 <b>Загружено из Битрикса старых заказов: {}</b>{span}\nОтдельных сообщений о них не было: \
         они в списке заказов CRM, на карточке каждого — «Загружен из Битрикса».",
        human::grouped(&load.count.to_string())
    )
}

/// What a reconciliation run found: how many orders differ and how, each list bounded, and
/// what was asked of Bitrix again.
#[must_use]
pub fn render_reconciliation(run: &Reconciliation) -> String {
    let mut lines = vec![
        format!(
            "🔍 <b>Сверка с Bitrix</b>: заказы с {} по {}",
            human::date(run.period_from),
            human::date(run.period_to)
        ),
        format!(
            "Заказов в Bitrix: {}; расходятся: <b>{}</b>",
            run.bitrix_orders.unwrap_or(0),
            run.missing.unwrap_or(0) + run.other_status.unwrap_or(0) + run.other_total.unwrap_or(0)
        ),
    ];
    let pick = |kind: fn(&Difference) -> Option<String>| run.differences.iter().filter_map(kind).collect::<Vec<_>>();
    let missing = pick(|d| match d {
        Difference::Missing { bitrix_order_id } => Some(format!("• №{bitrix_order_id}")),
        _ => None,
    });
    let status = pick(|d| match d {
        Difference::Status { bitrix_order_id, bitrix, crm } => Some(format!(
            "• №{bitrix_order_id}: в Bitrix «{}», в CRM «{}»",
            status_label(Some(bitrix)),
            status_label(crm.as_deref())
        )),
        _ => None,
    });
    let total = pick(|d| match d {
        Difference::Total { bitrix_order_id, bitrix, crm } => Some(format!(
            "• №{bitrix_order_id}: в Bitrix {}, в CRM {}",
            human::money(*bitrix, None),
            crm.map_or_else(|| "—".to_owned(), |m| human::money(m, None))
        )),
        _ => None,
    });
    for (title, count, list) in [
        ("Нет в CRM", run.missing, missing),
        ("Другой статус", run.other_status, status),
        ("Другая сумма", run.other_total, total),
    ] {
        if count.unwrap_or(0) > 0 {
            lines.push(format!("<b>{title}</b> ({}):", count.unwrap_or(0)));
            lines.extend(limited(list, "заказов"));
        }
    }
    lines.push(format!("Bitrix отправит их заново: запрошено {}", run.resent.unwrap_or(0)));
    if run.truncated {
        lines.push("Сверены не все заказы периода (больше 20 000): остальные — при следующей сверке".to_owned());
    }
    if let Some(error) = &run.error {
        lines.push(format!("⚠️ Сверка прервана: {}", escape_capped(error, caps::ADDRESS)));
    }
    lines.join("\n")
}
