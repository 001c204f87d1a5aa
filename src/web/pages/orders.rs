//! The order pages: the list with its filters and search (`/crm/orders`), the order card with
//! its status buttons and timeline (`/crm/orders/{id}`), the florist's ticket
//! (`/crm/orders/{id}/print`) and the create form (`/crm/orders/new`).

use std::collections::HashMap;

use chrono::NaiveDate;
use maud::{html, Markup, DOCTYPE};

use super::{layout, or_dash, origin_label, phone_link, status_badge, Chrome};
use crate::app::crm_input::{OrderFilter, Page};
use crate::domain::decimal::Money;
use crate::domain::edit::{current, EditField, EDIT_FIELDS};
use crate::domain::flow::Flow;
use crate::domain::status::{CrmStatus, ALL_CRM_STATUSES};
use crate::domain::views::{unpaid_with_courier, Named, OrderPage, OrderView, Origin, Reference, TimelineEntry};
use crate::web::human;

fn query_string(pairs: &[(&str, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(key, value);
    }
    query.finish()
}

/// The filter as query pairs (for links that keep it).
fn filter_pairs(filter: &OrderFilter) -> Vec<(&'static str, String)> {
    vec![
        ("q", filter.search.as_ref().map(|s| s.text.clone()).unwrap_or_default()),
        ("status", filter.status.map(|s| s.as_str().to_owned()).unwrap_or_default()),
        ("date", filter.date.map(|d| d.to_string()).unwrap_or_default()),
        ("shop", filter.shop.map(|s| s.to_string()).unwrap_or_default()),
        (
            "source",
            filter.origin.map(|o| if o == Origin::Crm { "crm" } else { "bitrix" }.to_owned()).unwrap_or_default(),
        ),
    ]
}

fn money_or_dash(amount: Option<Money>, currency: Option<&str>) -> Markup {
    html! {
        @match amount {
            Some(amount) => (human::money(amount, currency)),
            None => span class="none" { "—" },
        }
    }
}

/// How the order is paid, or a dash while Bitrix never said.
fn payment_text(order: &OrderView) -> Markup {
    or_dash(order.payment.as_ref().map(|p| human::payment(p, order.currency.as_deref())).as_deref())
}

fn slot_text(order: &OrderView) -> Markup {
    or_dash(order.delivery_slot.as_ref().map(human::slot).as_deref())
}

/// `/crm/orders`: a page of orders with the filters kept in the URL.
#[must_use]
pub fn list(chrome: &Chrome, orders: &[OrderView], filter: &OrderFilter, shops: &[Named]) -> Markup {
    let pairs = filter_pairs(filter);
    let Page { limit, offset } = filter.page;
    let page_link = |offset: u32| {
        let mut pairs = pairs.clone();
        pairs.push(("offset", offset.to_string()));
        format!("/crm/orders?{}", query_string(&pairs))
    };
    let selected = |value: &str, current: &str| value == current;
    let current = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    layout(
        chrome,
        "Заказы",
        html! {
            h1 { "Заказы" }
            form class="filters" method="get" action="/crm/orders" role="search" {
                p {
                    label for="q" { "Поиск: телефон, номер заказа или имя получателя" }
                    input id="q" name="q" type="search" value=(current("q"));
                }
                p {
                    label for="status" { "Статус" }
                    select id="status" name="status" {
                        option value="" { "Все" }
                        @for status in ALL_CRM_STATUSES {
                            option value=(status.as_str()) selected[selected(status.as_str(), &current("status"))] {
                                (status.label_ru())
                            }
                        }
                    }
                }
                p {
                    label for="date" { "Дата доставки" }
                    input id="date" name="date" type="date" value=(current("date"));
                }
                p {
                    label for="shop" { "Магазин" }
                    select id="shop" name="shop" {
                        option value="" { "Все" }
                        @for shop in shops {
                            option value=(shop.id) selected[selected(&shop.id.to_string(), &current("shop"))] {
                                (shop.name.clone().unwrap_or_else(|| shop.id.to_string()))
                            }
                        }
                    }
                }
                p {
                    label for="source" { "Источник" }
                    select id="source" name="source" {
                        option value="" { "Все" }
                        option value="bitrix" selected[current("source") == "bitrix"] { "Сайт" }
                        option value="crm" selected[current("source") == "crm"] { "CRM" }
                    }
                }
                p class="actions" {
                    button type="submit" class="primary" { "Найти" }
                    a href="/crm/orders" { "Сбросить" }
                }
            }
            p {
                a class="button-link" href={ "/crm/orders/export?" (query_string(&pairs)) } {
                    "⬇ Скачать CSV для Excel (с этими фильтрами)"
                }
            }
            @if orders.is_empty() {
                p { "Заказов не найдено." }
            } @else {
                table class="orders" {
                    thead {
                        tr {
                            th scope="col" { "№" }
                            th scope="col" { "Доставка" }
                            th scope="col" { "Получатель" }
                            th scope="col" { "Телефон" }
                            th scope="col" { "Сумма" }
                            th scope="col" { "Статус" }
                            th scope="col" { "Источник" }
                        }
                    }
                    tbody {
                        @for order in orders {
                            tr {
                                td { a href={ "/crm/orders/" (order.id) } { (order.number()) } }
                                td {
                                    @match order.delivery_date {
                                        Some(date) => { (human::date(date)) " " (slot_text(order)) },
                                        None => span class="none" { "—" },
                                    }
                                }
                                td { (or_dash(order.recipient_name.as_deref())) }
                                td { (phone_link(order.recipient_phone.as_deref())) }
                                td class="money" { (money_or_dash(order.total_amount, order.currency.as_deref())) }
                                td { (status_badge(order.status)) }
                                td { (origin_label(order.origin)) }
                            }
                        }
                    }
                }
            }
            nav class="pages" aria-label="Страницы" {
                @if offset > 0 {
                    a href=(page_link(offset.saturating_sub(limit))) rel="prev" { "← Назад" }
                }
                span { "Заказы " (offset + 1) "–" (offset + u32::try_from(orders.len()).unwrap_or(0)) }
                @if u32::try_from(orders.len()).unwrap_or(u32::MAX) >= limit {
                    a href=(page_link(offset + limit)) rel="next" { "Вперёд →" }
                }
            }
        },
    )
}

fn outcome_ru(outcome: &str) -> &'static str {
    match outcome {
        "created" => "заказ создан",
        "updated" => "заказ обновлён",
        "unchanged" => "без изменений",
        "stale" => "устарел, не применён",
        "pending" => "обрабатывается",
        _ => "—",
    }
}

fn job_what(flow: Flow, occasion: Option<&str>) -> &'static str {
    match (flow, occasion) {
        (Flow::Telegram, Some("new_order")) => "Сообщение в Telegram о новом заказе",
        (Flow::Telegram, Some("bouquet_photo")) => "Фото букета в Telegram",
        (Flow::Telegram, _) => "Сообщение в Telegram о смене статуса",
        (Flow::ReverseSync, Some("update")) => "Передача изменений в Битрикс",
        (Flow::ReverseSync, Some("track_url")) => "Ссылка для покупателя в Битрикс",
        (Flow::ReverseSync, _) => "Передача заказа в Битрикс",
        (Flow::StatusSync, _) => "Передача статуса в Битрикс",
        (Flow::AvailabilitySync, _) => "Передача наличия в Битрикс",
        (Flow::WebhookApply, _) => "Применение вебхука из очереди",
    }
}

fn flow_ru(flow: &str) -> &'static str {
    match flow {
        "telegram" => "Telegram",
        "reverse_sync" => "заказ в Битрикс",
        "status_sync" => "статус в Битрикс",
        "availability_sync" => "наличие в Битрикс",
        "webhook_apply" => "вебхук",
        _ => "задание",
    }
}

fn status_name(name: Option<&str>) -> &'static str {
    name.and_then(CrmStatus::parse).map_or("?", CrmStatus::label_ru)
}

/// What an update's answer says Bitrix had changed meanwhile (replaced by the CRM's edit).
fn overwritten_text(result: Option<&serde_json::Value>) -> Option<String> {
    let overwritten = result?.get("overwritten")?.as_array()?;
    let fields: Vec<String> = overwritten
        .iter()
        .map(|entry| {
            let field = entry["field"].as_str().unwrap_or("?");
            let was = entry["bitrix"].as_str().unwrap_or("пусто");
            format!("{field} (было «{was}»)")
        })
        .collect();
    (!fields.is_empty()).then(|| format!("в Битриксе это уже меняли, правка CRM заменила: {}", fields.join(", ")))
}

/// An edit as the timeline says it: each field before → after, each line's change.
fn edit_text(detail: &serde_json::Value) -> String {
    let shown = |value: &serde_json::Value| match value.as_str() {
        Some(text) if !text.is_empty() => format!("«{text}»"),
        _ => "пусто".to_owned(),
    };
    let mut parts: Vec<String> = detail["fields"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, change)| {
            let label = EditField::parse(name).map_or_else(|| name.clone(), |f| f.label_ru().to_owned());
            format!("{label}: {} → {}", shown(&change["from"]), shown(&change["to"]))
        })
        .collect();
    for line in detail["lines"].as_array().into_iter().flatten() {
        let name = line["name"].as_str().unwrap_or("товар");
        let count = |key: &str| {
            line[key]
                .as_str()
                .and_then(|q| crate::domain::decimal::Quantity::parse(q).ok())
                .map_or_else(String::new, |q| q.plain())
        };
        parts.push(match line["op"].as_str() {
            Some("quantity") => format!("{name}: × {} → × {}", count("from"), count("to")),
            Some("remove") => format!("удалено: {name}"),
            Some("add") => format!("добавлено: {name} × {}", count("quantity")),
            _ => continue,
        });
    }
    parts.join("; ")
}

fn timeline_entry(entry: &TimelineEntry) -> Markup {
    match entry {
        TimelineEntry::Webhook { at, event, outcome } => html! {
            time datetime=(at.to_rfc3339()) { (human::moment(at)) }
            " Вебхук Битрикса «" (event) "»: " (outcome_ru(outcome))
        },
        TimelineEntry::Loaded { at, bitrix_created_at } => html! {
            time datetime=(at.to_rfc3339()) { (human::moment(at)) }
            " Загружен из Битрикса"
            @if let Some(created) = bitrix_created_at { " (создан там " (human::moment(created)) ")" }
            ": старый заказ, без отдельного сообщения в чат"
        },
        TimelineEntry::Change { at, change, actor, detail } => html! {
            time datetime=(at.to_rfc3339()) { (human::moment(at)) }
            " "
            @match change.as_str() {
                "order_created" => "Заказ создан в CRM",
                "status_set" => {
                    "Статус изменён: «" (status_name(detail["from"].as_str())) "» → «"
                    (status_name(detail["to"].as_str())) "»"
                },
                "order_edited" => { "Заказ изменён: " (edit_text(detail)) },
                "handover_photo" => "Курьер приложил фото вручения",
                "track_link_made" => "Создана ссылка для покупателя",
                "track_link_revoked" => "Ссылка для покупателя отозвана",
                "photo_attached" => {
                    @if detail["replaced"].as_bool() == Some(true) { "Фото букета заменено" } @else { "Букет собран, фото прикреплено" }
                },
                "courier_set" => {
                    "Курьер: " (detail["from"].as_str().unwrap_or("нет")) " → " (detail["to"].as_str().unwrap_or("нет"))
                },
                "dead_letter_replayed" => { "Повторная отправка (" (flow_ru(detail["flow"].as_str().unwrap_or(""))) ")" },
                other => (other),
            }
            " — " strong { (actor) }
        },
        TimelineEntry::Job { at, flow, status, attempts, last_error, occasion, done_at, updated_at, result } => html! {
            time datetime=(at.to_rfc3339()) { (human::moment(at)) }
            " " (job_what(*flow, occasion.as_deref())) ": "
            @match status.as_str() {
                "done" => {
                    "выполнено" @if let Some(done) = done_at { " " (human::moment(done)) }
                    @if let Some(text) = overwritten_text(result.as_ref()) {
                        " " strong class="late-note" { (text) }
                    }
                },
                "skipped" => { "пропущено (" (last_error.clone().unwrap_or_default()) ")" },
                "pending" => "в очереди",
                "running" => "выполняется",
                "retrying" => {
                    "будет повторено, попыток: " (attempts)
                    @if let Some(error) = last_error { " — " span class="error" { (error) } }
                },
                "dead" => {
                    strong class="late-note" { "не доставлено" } " после попыток: " (attempts) " ("
                    (human::moment(updated_at)) ")"
                    @if let Some(error) = last_error { " — " span class="error" { (error) } }
                },
                other => (other),
            }
        },
    }
}

/// The statuses the card offers to set: those Bitrix has a code for, but the current one.
fn status_choices(current: CrmStatus) -> impl Iterator<Item = CrmStatus> {
    CrmStatus::settable().filter(move |status| *status != current)
}

/// A photo of the order with what it shows, when and who took it; its address names its bytes
/// (`?v=`), so a new photo is never an old one from the browser's memory.
fn photo_figure(
    src: &str,
    photo: &crate::domain::views::PhotoView,
    alt: &str,
    caption: &str,
    at: Option<&chrono::DateTime<chrono::FixedOffset>>,
) -> Markup {
    html! {
        figure class="bouquet-photo" {
            img src={ (src) "?v=" (photo.key.rsplit('/').next().unwrap_or("")) } alt=(alt) loading="lazy";
            figcaption {
                (caption)
                @if let Some(at) = at { " " (human::moment(at)) }
                @if let Some(by) = &photo.by { " — " (by) }
            }
        }
    }
}

/// The bouquet: its photo once attached, and the florist's «Собран» with a photo from the
/// phone's camera (a plain form: it works without JavaScript).
fn bouquet_section(chrome: &Chrome, order: &OrderView, problem: Option<&str>) -> Markup {
    let may_attach = chrome.may(&crate::web::routes::PageRoute::AttachPhoto(order.id.clone()));
    html! {
        section aria-labelledby="bouquet" {
            h2 id="bouquet" { "Букет" }
            @if let Some(photo) = &order.bouquet_photo {
                (photo_figure(&format!("/crm/orders/{}/photo", order.id), photo,
                    &format!("Фото букета к заказу №{}", order.number()), "Собран", order.assembled_at.as_ref()))
            } @else {
                p class="none" { "Фото ещё нет." }
            }
            @if let (Some(photo), true) = (&order.handover_photo,
                    chrome.may(&crate::web::routes::PageRoute::HandoverPhoto(order.id.clone()))) {
                (photo_figure(&format!("/crm/orders/{}/handover-photo", order.id), photo,
                    &format!("Фото вручения заказа №{}", order.number()), "Вручён", photo.at.as_ref()))
            }
            @if may_attach {
                form method="post" action={ "/crm/orders/" (order.id) "/photo" } enctype="multipart/form-data" class="stacked" {
                    label for="photo" { @if order.bouquet_photo.is_some() { "Заменить фото" } @else { "Фото букета" } }
                    input id="photo" name="photo" type="file" accept="image/*" capture="environment"
                        aria-invalid=[problem.map(|_| "true")] aria-describedby=[problem.map(|_| "photo-error")];
                    @if let Some(problem) = problem {
                        span class="field-error" id="photo-error" role="alert" { (problem) }
                    }
                    button type="submit" class="primary" data-busy="⏳ Загрузка..." { "Собран — сохранить фото" }
                }
            }
        }
    }
}

/// The buyer's tracking link (for those who may make one): the link, «Отправить покупателю в
/// WhatsApp» with the buyer's number and a prefilled message, «Отозвать ссылку»; or «Создать
/// ссылку».
fn track_section(chrome: &Chrome, page: &OrderPage, public_url: &str) -> Markup {
    use crate::domain::track::{track_url, whatsapp_link, whatsapp_text};
    let order = &page.order;
    if !chrome.may(&crate::web::routes::PageRoute::MakeTrackLink(order.id.clone())) {
        return html! {};
    }
    html! {
        section id="track" aria-labelledby="track-title" {
            h2 id="track-title" { "Ссылка для покупателя" }
            @match &order.track_token {
                Some(token) => {
                    @let url = track_url(public_url, token);
                    p { "Покупатель видит по ней статус, время доставки и фото букета — без адреса, телефонов и цен." }
                    p class="track-url" { a href=(url) rel="noreferrer" { (url) } }
                    p class="actions" {
                        a class="button-link" rel="noreferrer" target="_blank"
                            href=(whatsapp_link(page.buyer_phone.as_deref(), &whatsapp_text(&order.number(), &url))) {
                            "Отправить покупателю в WhatsApp"
                        }
                    }
                    @if page.buyer_phone.is_none() {
                        p class="note" { "Телефон покупателя неизвестен: WhatsApp спросит, кому отправить." }
                    }
                    form method="post" action={ "/crm/orders/" (order.id) "/track/revoke" } {
                        button type="submit" { "Отозвать ссылку" }
                    }
                },
                None => {
                    p { "Ссылки нет. Её запишут в заказ в Битриксе (свойство crmTrackUrl), и её можно отправить покупателю." }
                    form method="post" action={ "/crm/orders/" (order.id) "/track" } {
                        button type="submit" class="primary" { "Создать ссылку" }
                    }
                },
            }
        }
    }
}

/// The card's courier: who has the order, and (for those who assign) the form to change it.
fn courier_section(order: &OrderView, couriers: &[crate::domain::views::Courier]) -> Markup {
    let current = order.courier.as_ref().map(|c| &c.id);
    html! {
        section aria-labelledby="courier" {
            h2 id="courier" { "Курьер" }
            p { (or_dash(order.courier.as_ref().map(|c| c.name.as_str()))) }
            @if !couriers.is_empty() {
                form method="post" action={ "/crm/orders/" (order.id) "/courier" } class="inline" {
                    label for="courier-choice" { "Назначить" }
                    select id="courier-choice" name="courier" {
                        option value="" { "Без курьера" }
                        @for courier in couriers {
                            option value=(courier.id) selected[current == Some(&courier.id)] { (courier.name) }
                        }
                    }
                    button type="submit" { "Сохранить" }
                }
            }
        }
    }
}

/// `/crm/orders/{id}`: everything about one order, its status buttons and its timeline;
/// `couriers` are offered to assign (empty: the person does not assign couriers). Prices,
/// totals and payment show only to those who see money.
#[must_use]
pub fn card(
    chrome: &Chrome,
    page: &OrderPage,
    couriers: &[crate::domain::views::Courier],
    photo_problem: Option<&str>,
    public_url: &str,
) -> Markup {
    let money = chrome.sees_money();
    let order = &page.order;
    let currency = order.currency.as_deref();
    let items_total = order
        .items
        .iter()
        .try_fold(Money::default(), |sum, item| item.price.times(item.quantity).and_then(|line| sum.plus(line)));
    let title = format!("Заказ №{}", order.number());
    layout(
        chrome,
        &title,
        html! {
            h1 { (title) " " (status_badge(order.status)) }
            @if let Some(left) = unpaid_with_courier(order) {
                p class="warning" role="alert" {
                    "⚠ Заказ у курьера, но не оплачен: получить с получателя " strong { (human::money(left, currency)) }
                }
            }
            p class="links" {
                a href={ "/crm/orders/" (order.id) "/print" } { "🖨 Тикет для флориста" }
                @if chrome.may(&crate::web::routes::PageRoute::EditOrder(order.id.clone())) {
                    " " a class="button-link" href={ "/crm/orders/" (order.id) "/edit" } { "✏️ Изменить заказ" }
                }
            }
            @if let Some(postcard) = order.postcard_text.as_deref().filter(|p| !p.trim().is_empty()) {
                section class="postcard" aria-labelledby="postcard" {
                    h2 id="postcard" { "Открытка" }
                    blockquote { (postcard) }
                }
            }
            div class="columns" {
                section aria-labelledby="recipient" {
                    h2 id="recipient" { "Получатель" }
                    dl {
                        dt { "Имя" } dd { (or_dash(order.recipient_name.as_deref())) }
                        dt { "Телефон" } dd { (phone_link(order.recipient_phone.as_deref())) }
                        dt { "Адрес" } dd { (or_dash(order.delivery_address.as_deref())) }
                    }
                }
                section aria-labelledby="delivery" {
                    h2 id="delivery" { "Доставка" }
                    dl {
                        dt { "Дата" }
                        dd {
                            @match order.delivery_date {
                                Some(date) => (human::date_with_weekday(date)),
                                None => span class="none" { "—" },
                            }
                        }
                        dt { "Время" } dd { (slot_text(order)) }
                        dt { "Город" } dd { (or_dash(order.city.as_ref().and_then(|c| c.name.as_deref()))) }
                        dt { "Магазин" } dd { (or_dash(order.shop.as_ref().and_then(|s| s.name.as_deref()))) }
                    }
                }
                section aria-labelledby="about" {
                    h2 id="about" { "Заказ" }
                    dl {
                        dt { "Источник" } dd { (origin_label(order.origin)) }
                        dt { "Номер в Битриксе" }
                        dd {
                            @match order.bitrix_order_id {
                                Some(id) => (id),
                                None => span class="none" { "ещё не передан" },
                            }
                        }
                        dt { "Создан" } dd { (human::moment(&order.created_at)) }
                        @if money { dt { "Оплата" } dd { (payment_text(order)) } }
                        @if let Some(comment) = buyers_comment(order) {
                            dt { "Комментарий покупателя" } dd { (comment) }
                        }
                    }
                }
            }
            section aria-labelledby="items" {
                h2 id="items" { "Состав" }
                table {
                    thead {
                        tr {
                            th scope="col" { "Товар" }
                            @if money { th scope="col" { "Цена" } }
                            th scope="col" { "Кол-во" }
                            @if money { th scope="col" { "Сумма" } }
                        }
                    }
                    tbody {
                        @for item in &order.items {
                            tr {
                                td { (or_dash(item.name.as_deref())) }
                                @if money { td class="money" { (human::money(item.price, item.currency.as_deref().or(currency))) } }
                                td { "× " (human::count(item.quantity)) }
                                @if money { td class="money" { (money_or_dash(item.price.times(item.quantity), currency)) } }
                            }
                        }
                    }
                    @if money {
                    tfoot {
                        tr { th scope="row" colspan="3" { "Товары" } td class="money" { (money_or_dash(items_total, currency)) } }
                        tr { th scope="row" colspan="3" { "Доставка" } td class="money" { (money_or_dash(order.delivery_fee, currency)) } }
                        tr { th scope="row" colspan="3" { "Итого" } td class="money total" { (money_or_dash(order.total_amount, currency)) } }
                    }
                    }
                }
            }
            (courier_section(order, couriers))
            (bouquet_section(chrome, order, photo_problem))
            (track_section(chrome, page, public_url))
            section aria-labelledby="change-status" {
                h2 id="change-status" { "Сменить статус" }
                div class="status-buttons" {
                    @for status in status_choices(order.status) {
                        form method="post" action={ "/crm/orders/" (order.id) "/status" } {
                            input type="hidden" name="status" value=(status.as_str());
                            button type="submit" data-busy="⏳ Обработка..." { (status.label_ru()) }
                        }
                    }
                }
            }
            section aria-labelledby="timeline" {
                h2 id="timeline" { "История" }
                ol class="timeline" {
                    @for entry in &page.timeline {
                        li { (timeline_entry(entry)) }
                    }
                }
            }
        },
    )
}

/// `/crm/orders/{id}/print`: the florist's ticket, one A5 page: the postcard large, the items,
/// the date and slot, the address.
#[must_use]
/// The buyer's comment to the shop (Bitrix's `USER_DESCRIPTION`), when there is one.
fn buyers_comment(order: &OrderView) -> Option<&str> {
    order.customer_comment.as_deref().filter(|c| !c.trim().is_empty())
}

pub fn ticket(order: &OrderView) -> Markup {
    let title = format!("Заказ №{}", order.number());
    html! {
        (DOCTYPE)
        html lang="ru" {
            (super::head(&format!("{title} — тикет")))
            body class="ticket" {
                main {
                    p class="no-print" {
                        a href={ "/crm/orders/" (order.id) } { "← К заказу" }
                        " "
                        button type="button" data-print { "🖨 Печать" }
                    }
                    h1 { (title) }
                    p class="when" {
                        @match order.delivery_date {
                            Some(date) => (human::date_with_weekday(date)),
                            None => "Дата не указана",
                        }
                        ", " (slot_text(order))
                    }
                    p class="paid" { "Оплата: " (payment_text(order)) }
                    @if order.bouquet_photo.is_some() {
                        img class="ticket-photo" src={ "/crm/orders/" (order.id) "/photo" } alt={ "Фото букета к заказу №" (order.number()) };
                    }
                    section aria-labelledby="card-text" {
                        h2 id="card-text" { "Открытка" }
                        p class="postcard-text" { (or_dash(order.postcard_text.as_deref())) }
                    }
                    @if let Some(comment) = buyers_comment(order) {
                        section aria-labelledby="ticket-comment" {
                            h2 id="ticket-comment" { "Комментарий покупателя" }
                            p { (comment) }
                        }
                    }
                    section aria-labelledby="ticket-items" {
                        h2 id="ticket-items" { "Состав" }
                        ul {
                            @for item in &order.items {
                                li { (or_dash(item.name.as_deref())) " × " (human::count(item.quantity)) }
                            }
                        }
                    }
                    section aria-labelledby="ticket-to" {
                        h2 id="ticket-to" { "Кому" }
                        p {
                            (or_dash(order.recipient_name.as_deref())) ", "
                            (order.recipient_phone.as_deref().map(human::phone).unwrap_or_default())
                        }
                        p { (or_dash(order.delivery_address.as_deref())) }
                    }
                }
            }
        }
    }
}

/// What was typed into the create form (to show it again), and what was wrong with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormState {
    pub values: HashMap<String, String>,
    /// Problems by form field name (`recipient_phone`, `items[2].price`).
    pub problems: HashMap<String, String>,
    /// The form's own request key: a second submit of the same form creates nothing more.
    pub request_key: String,
}

/// How many item rows the form offers.
pub const ITEM_ROWS: usize = 5;

/// The catalogue's label for a product in the item fields: `Букет Стандарт (15652)`.
#[must_use]
pub fn product_choice(name: &str, bitrix_id: u64) -> String {
    format!("{name} ({bitrix_id})")
}

fn field(state: &FormState, name: &str, label: &str, input: Markup) -> Markup {
    let problem = state.problems.get(name);
    let error_id = format!("{}-error", name.replace(['[', ']', '.'], "-"));
    html! {
        p class=[problem.map(|_| "invalid")] {
            label for=(name) { (label) }
            (input)
            @if let Some(problem) = problem {
                span class="field-error" id=(error_id) role="alert" { (problem) }
            }
        }
    }
}

fn text_input(state: &FormState, name: &str, kind: &str, required: bool) -> Markup {
    let value = state.values.get(name).cloned().unwrap_or_default();
    let invalid = state.problems.contains_key(name);
    let described = format!("{}-error", name.replace(['[', ']', '.'], "-"));
    html! {
        input id=(name) name=(name) type=(kind) value=(value) required[required]
              aria-invalid=[invalid.then_some("true")] aria-describedby=[invalid.then_some(described)];
    }
}

fn textarea(state: &FormState, name: &str, rows: u8) -> Markup {
    html! {
        textarea id=(name) name=(name) rows=(rows) { (state.values.get(name).cloned().unwrap_or_default()) }
    }
}

/// The recipient's three fields, as the create and the edit forms ask them.
fn recipient_fields(state: &FormState) -> Markup {
    html! {
        fieldset {
            legend { "Получатель" }
            (field(state, "recipient_name", "Имя", text_input(state, "recipient_name", "text", true)))
            (field(state, "recipient_phone", "Телефон", text_input(state, "recipient_phone", "tel", true)))
            (field(state, "delivery_address", "Адрес", text_input(state, "delivery_address", "text", true)))
        }
    }
}

fn select(state: &FormState, name: &str, options: &[(String, String)]) -> Markup {
    let value = state.values.get(name).cloned().unwrap_or_default();
    html! {
        select id=(name) name=(name) {
            option value="" { "—" }
            @for (id, label) in options {
                option value=(id) selected[*id == value] { (label) }
            }
        }
    }
}

fn named_options(list: &[Named]) -> Vec<(String, String)> {
    list.iter().map(|n| (n.id.to_string(), n.name.clone().unwrap_or_else(|| n.id.to_string()))).collect()
}

/// `/crm/orders/new`: the form, with every problem beside its field.
#[must_use]
pub fn form(chrome: &Chrome, reference: &Reference, state: &FormState, today: NaiveDate) -> Markup {
    let slots: Vec<(String, String)> = reference.slots.iter().map(|s| (s.id.to_string(), s.label.clone())).collect();
    let mut state = state.clone();
    state.values.entry("delivery_date".into()).or_insert_with(|| today.to_string());
    let state = &state;
    layout(
        chrome,
        "Новый заказ",
        html! {
            h1 { "Новый заказ" }
            @if !state.problems.is_empty() {
                p class="flash flash-error" role="alert" { "Заказ не создан: исправьте отмеченные поля." }
            }
            form class="card order-form" method="post" action="/crm/orders/new" novalidate {
                input type="hidden" name="request_key" value=(state.request_key);
                (recipient_fields(state))
                fieldset {
                    legend { "Доставка" }
                    (field(state, "delivery_date", "Дата", text_input(state, "delivery_date", "date", true)))
                    (field(state, "delivery_time_id", "Время", select(state, "delivery_time_id", &slots)))
                    (field(state, "bitrix_city_id", "Город", select(state, "bitrix_city_id", &named_options(&reference.cities))))
                    (field(state, "bitrix_shop_id", "Магазин", select(state, "bitrix_shop_id", &named_options(&reference.shops))))
                    (field(state, "delivery_fee", "Стоимость доставки, ₸", text_input(state, "delivery_fee", "text", false)))
                }
                fieldset {
                    legend { "Открытка и комментарий" }
                    (field(state, "postcard_text", "Текст открытки", textarea(state, "postcard_text", 3)))
                    (field(state, "comment", "Комментарий", text_input(state, "comment", "text", false)))
                }
                fieldset {
                    legend { "Состав" }
                    @if let Some(problem) = state.problems.get("items") {
                        p class="field-error" role="alert" { (problem) }
                    }
                    datalist id="catalogue" {
                        @for product in &reference.products {
                            @if let Some(bitrix_id) = product.bitrix_product_id {
                                option value=(product_choice(&product.name, bitrix_id)) {
                                    @if let Some(price) = product.price { (human::money(price, None)) }
                                }
                            }
                        }
                    }
                    @for row in 0..ITEM_ROWS {
                        div class="item-row" {
                            (field(state, &format!("items[{row}].product"), &format!("Товар {}", row + 1), html! {
                                input id={ "items[" (row) "].product" } name={ "items[" (row) "].product" } type="text"
                                      list="catalogue" autocomplete="off"
                                      value=(state.values.get(&format!("items[{row}].product")).cloned().unwrap_or_default());
                            }))
                            (field(state, &format!("items[{row}].price"), "Цена, ₸", text_input(state, &format!("items[{row}].price"), "text", false)))
                            (field(state, &format!("items[{row}].quantity"), "Кол-во", text_input(state, &format!("items[{row}].quantity"), "text", false)))
                        }
                    }
                }
                p { button type="submit" class="primary" data-busy="⏳ Обработка..." { "Создать заказ" } }
            }
        },
    )
}

/// The edit form's values for `order` as it is now: each field's value, and the same under
/// `seen.<field>` (what the editor saw, so that a change made meanwhile is noticed).
#[must_use]
pub fn edit_values(order: &OrderView) -> HashMap<String, String> {
    let mut values = HashMap::new();
    for &field in EDIT_FIELDS {
        let value = current(order, field).unwrap_or_default();
        let shown = match field {
            EditField::RecipientPhone => human::phone(&value),
            EditField::DeliveryFee if !value.is_empty() => {
                Money::parse(&value).map(crate::web::csv::number).unwrap_or(value.clone())
            }
            _ => value.clone(),
        };
        values.insert(field.name().to_owned(), if value.is_empty() { String::new() } else { shown });
        values.insert(format!("seen.{}", field.name()), value);
    }
    for item in &order.items {
        values.insert(format!("items[{}].quantity", item.id), item.quantity.plain());
    }
    values
}

/// `/crm/orders/{id}/edit`: the order's fields and lines to change, each problem beside its
/// field; `moved` names the fields that changed while the form was open.
#[must_use]
pub fn edit_form(
    chrome: &Chrome,
    order: &OrderView,
    reference: &Reference,
    state: &FormState,
    moved: &[String],
) -> Markup {
    let slots: Vec<(String, String)> = reference.slots.iter().map(|s| (s.id.to_string(), s.label.clone())).collect();
    let title = format!("Изменить заказ №{}", order.number());
    let moved_labels: Vec<&str> =
        moved.iter().map(|name| EditField::parse(name).map_or("состав", EditField::label_ru)).collect();
    layout(
        chrome,
        &title,
        html! {
            h1 { (title) }
            p { a href={ "/crm/orders/" (order.id) } { "← К заказу" } }
            @if !moved.is_empty() {
                p class="flash flash-error" role="alert" {
                    "Пока вы редактировали, заказ изменили (" (moved_labels.join(", ")) "). "
                    "Ничего не сохранено: ниже — его значения сейчас, внесите правку снова."
                }
            } @else if !state.problems.is_empty() {
                p class="flash flash-error" role="alert" { "Ничего не сохранено: исправьте отмеченные поля." }
            }
            form class="card order-form" method="post" action={ "/crm/orders/" (order.id) "/edit" } novalidate {
                @for &field in EDIT_FIELDS {
                    @let seen = format!("seen.{}", field.name());
                    input type="hidden" name=(seen) value=(state.values.get(&seen).cloned().unwrap_or_default());
                }
                (recipient_fields(state))
                fieldset {
                    legend { "Доставка" }
                    (field(state, "delivery_date", "Дата", text_input(state, "delivery_date", "date", true)))
                    (field(state, "delivery_time_id", "Время", select(state, "delivery_time_id", &slots)))
                    (field(state, "delivery_fee", "Стоимость доставки, ₸", text_input(state, "delivery_fee", "text", false)))
                }
                fieldset {
                    legend { "Открытка и комментарий" }
                    (field(state, "postcard_text", "Текст открытки", textarea(state, "postcard_text", 3)))
                    (field(state, "customer_comment", "Комментарий покупателя", textarea(state, "customer_comment", 2)))
                }
                fieldset {
                    legend { "Состав" }
                    @if let Some(problem) = state.problems.get("items") {
                        p class="field-error" role="alert" { (problem) }
                    }
                    @for item in &order.items {
                        @let quantity = format!("items[{}].quantity", item.id);
                        @let remove = format!("items[{}].remove", item.id);
                        div class="item-row" {
                            (field(state, &quantity, &format!("{} — кол-во", item.name.as_deref().unwrap_or("Товар")),
                                text_input(state, &quantity, "text", false)))
                            p class="remove" {
                                input type="checkbox" id=(remove) name=(remove)
                                    checked[state.values.get(&remove).map(String::as_str) == Some("on")];
                                label for=(remove) { "Удалить" }
                            }
                        }
                    }
                    datalist id="catalogue" {
                        @for product in reference.products.iter().filter(|p| p.active) {
                            @if let Some(bitrix_id) = product.bitrix_product_id {
                                option value=(product_choice(&product.name, bitrix_id)) {
                                    @if let Some(price) = product.price { (human::money(price, None)) }
                                }
                            }
                        }
                    }
                    @for row in 0..crate::app::edit::NEW_ROWS {
                        @let product = format!("new[{row}].product");
                        @let quantity = format!("new[{row}].quantity");
                        div class="item-row" {
                            (field(state, &product, &format!("Добавить товар {}", row + 1), html! {
                                input id=(product) name=(product) type="text" list="catalogue" autocomplete="off"
                                      value=(state.values.get(&product).cloned().unwrap_or_default());
                            }))
                            (field(state, &quantity, "Кол-во", text_input(state, &quantity, "text", false)))
                        }
                    }
                }
                p { button type="submit" class="primary" data-busy="⏳ Сохранение..." { "Сохранить и отправить в Битрикс" } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::pages::tests::staff;
    use crate::web::pages::Section;
    use chrono::DateTime;
    use serde_json::json;

    fn at(text: &str) -> DateTime<chrono::FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    #[test]
    fn the_card_shows_the_order_as_people_read_it_with_its_status_buttons_and_timeline() {
        let mut order = crate::web::telegram::tests::card();
        order.postcard_text = Some("<img src=x onerror=alert(1)> С днём рождения!".into());
        let page = OrderPage {
            order,
            timeline: vec![
                TimelineEntry::Webhook {
                    at: at("2025-08-24T08:05:11Z"),
                    event: "order.create".into(),
                    outcome: "created".into(),
                },
                TimelineEntry::Change {
                    at: at("2025-08-24T09:00:00Z"),
                    change: "status_set".into(),
                    actor: "Айгуль".into(),
                    detail: json!({"from": "new", "to": "accepted"}),
                },
                TimelineEntry::Job {
                    at: at("2025-08-24T09:00:00Z"),
                    flow: Flow::StatusSync,
                    status: "dead".into(),
                    attempts: 8,
                    last_error: Some("gateway HTTP 422: Заказ не найден".into()),
                    occasion: None,
                    updated_at: at("2025-08-25T07:00:00Z"),
                    done_at: None,
                    result: None,
                },
                TimelineEntry::Change {
                    at: at("2025-08-24T10:00:00Z"),
                    change: "order_edited".into(),
                    actor: "Айгуль".into(),
                    detail: json!({"fields": {"delivery_address": {"from": "ул. Абая 10", "to": "ул. Абая 12"}},
                                   "lines": [{"op": "quantity", "name": "Букет Стандарт", "from": "1", "to": "2"}]}),
                },
                TimelineEntry::Job {
                    at: at("2025-08-24T10:00:00Z"),
                    flow: Flow::ReverseSync,
                    status: "done".into(),
                    attempts: 1,
                    last_error: None,
                    occasion: Some("update".into()),
                    updated_at: at("2025-08-24T10:00:01Z"),
                    done_at: Some(at("2025-08-24T10:00:01Z")),
                    result: Some(
                        json!({"ok": true, "overwritten": [{"field": "addressRecipient", "bitrix": "ул. Сатпаева 1"}]}),
                    ),
                },
            ],
            buyer_phone: Some("+77015550000".into()),
        };
        let staff = staff();
        let chrome = Chrome { staff: Some(&staff), section: Section::Orders, flash: None };

        let html = card(&chrome, &page, &[], None, "https://crm.cvety.kz").into_string();

        for part in [
            "Заказ №122183",
            r#"<a href="tel:+77015551234">+7 (701) 555-12-34</a>"#,
            "пн, 25.08.2025",
            "15:00-16:00",
            "16\u{a0}500\u{a0}₸",
            "× 1",
            "&lt;img src=x onerror=alert(1)&gt; С днём рождения!",
            "24.08.2025 13:05</time> Вебхук Битрикса «order.create»: заказ создан",
            "Статус изменён: «Новый» → «Принят» — <strong>Айгуль</strong>",
            "Передача статуса в Битрикс: <strong class=\"late-note\">не доставлено</strong> после попыток: 8",
            "Номер в Битриксе",
            "Заказ изменён: Адрес: «ул. Абая 10» → «ул. Абая 12»; Букет Стандарт: × 1 → × 2",
            "Передача изменений в Битрикс: выполнено",
            "в Битриксе это уже меняли, правка CRM заменила: addressRecipient (было «ул. Сатпаева 1»)",
            "/crm/orders/0b6f3c1e-0000-4000-8000-000000000001/edit",
        ] {
            assert!(html.contains(part), "missing {part:?}");
        }
        assert!(!html.contains(r#"value="new""#), "no button for the status it has");
        assert!(html.contains(r#"value="accepted""#) && html.contains(">Принят</button>"));
    }

    #[test]
    fn the_form_shows_each_problem_beside_its_field_and_keeps_what_was_typed() {
        let state = FormState {
            values: HashMap::from([("recipient_name".into(), "Айгерим \"<b>\"".into())]),
            problems: HashMap::from([("recipient_phone".into(), "Номер телефона должен быть казахстанским".into())]),
            request_key: "k-1".into(),
        };
        let staff = staff();
        let chrome = Chrome { staff: Some(&staff), section: Section::NewOrder, flash: None };

        let html =
            form(&chrome, &Reference::default(), &state, NaiveDate::from_ymd_opt(2025, 8, 25).unwrap()).into_string();

        assert!(html.contains(r#"value="Айгерим &quot;&lt;b&gt;&quot;""#));
        assert!(html.contains(r#"aria-invalid="true" aria-describedby="recipient_phone-error""#));
        assert!(html.contains(r#"id="recipient_phone-error" role="alert">Номер телефона должен быть казахстанским"#));
        assert!(html.contains(r#"name="delivery_date" type="date" value="2025-08-25""#), "today by default");
        assert!(html.contains(r#"name="request_key" value="k-1""#));
    }

    #[test]
    fn the_list_keeps_its_filters_in_the_links_to_other_pages() {
        let staff = staff();
        let chrome = Chrome { staff: Some(&staff), section: Section::Orders, flash: None };
        let mut filter = crate::app::crm_input::parse_order_filter(&[
            ("q".into(), "8 701".into()),
            ("status".into(), "new".into()),
            ("limit".into(), "1".into()),
        ])
        .unwrap();
        filter.page.offset = 1;
        let orders = vec![crate::web::telegram::tests::card()];

        let html = list(&chrome, &orders, &filter, &[]).into_string();

        assert!(html.contains(r#"href="/crm/orders?q=8+701&amp;status=new&amp;offset=0""#), "{html}");
        assert!(html.contains(r#"href="/crm/orders?q=8+701&amp;status=new&amp;offset=2""#));
        assert!(html.contains(r#"<option value="new" selected>Новый</option>"#));
    }

    #[test]
    fn the_buyers_comment_is_on_the_card_and_the_ticket_only_when_there_is_one() {
        let mut order = crate::web::telegram::tests::card();
        order.customer_comment = Some("Позвонить получателю за час".into());
        let staff = staff();
        let chrome = Chrome { staff: Some(&staff), section: Section::Orders, flash: None };
        let page = OrderPage { order: order.clone(), timeline: vec![], buyer_phone: None };

        let card = card(&chrome, &page, &[], None, "https://crm.cvety.kz").into_string();
        let printed = ticket(&order).into_string();
        order.customer_comment = None;
        let bare = ticket(&order).into_string();

        assert!(card.contains("<dt>Комментарий покупателя</dt><dd>Позвонить получателю за час</dd>"), "{card}");
        assert!(printed.contains("Комментарий покупателя") && printed.contains("Позвонить получателю за час"));
        assert!(!bare.contains("Комментарий покупателя"));
    }

    #[test]
    fn an_unpaid_order_with_the_courier_is_warned_about_on_its_card_with_what_to_collect() {
        let mut order = crate::web::telegram::tests::card();
        order.payment = Some(crate::domain::views::PaymentView {
            paid: false,
            sum_paid: Some(Money::parse("6500").unwrap()),
            pay_system_id: Some(3),
            pay_system_name: Some("Наличные курьеру".into()),
        });
        let staff = staff();
        let chrome = Chrome { staff: Some(&staff), section: Section::Orders, flash: None };
        let in_shop = card(
            &chrome,
            &OrderPage { order: order.clone(), timeline: vec![], buyer_phone: None },
            &[],
            None,
            "https://crm.cvety.kz",
        )
        .into_string();
        order.status = CrmStatus::Delivering;
        let on_its_way = card(
            &chrome,
            &OrderPage { order: order.clone(), timeline: vec![], buyer_phone: None },
            &[],
            None,
            "https://crm.cvety.kz",
        )
        .into_string();
        let printed = ticket(&order).into_string();

        assert!(
            in_shop.contains("<dt>Оплата</dt><dd>Оплачен частично: 6\u{a0}500\u{a0}₸ · Наличные курьеру</dd>"),
            "{in_shop}"
        );
        assert!(!in_shop.contains("не оплачен: получить"));
        assert!(
            on_its_way.contains("не оплачен: получить с получателя <strong>10\u{a0}000\u{a0}₸</strong>"),
            "{on_its_way}"
        );
        assert!(printed.contains("Оплата: Оплачен частично"));
    }
}
