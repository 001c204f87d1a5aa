//! `/crm/sync`: each flow's health, the switches, the newest reconciliation with «Сверить
//! сейчас», and the dead letters with «Повторить» (one) and «Повторить все».

use maud::{html, Markup};

use super::{layout, Chrome};
use crate::domain::flow::Flow;
use crate::domain::jobs::Switches;
use crate::domain::reconciliation::{Reconciliation, Trigger};
use crate::domain::views::SyncPage;
use crate::web::human;

/// The newest reconciliation and the button that runs one now.
fn reconciliation(run: Option<&Reconciliation>) -> Markup {
    html! {
        section aria-labelledby="reconcile" {
            h2 id="reconcile" { "Сверка с Битриксом" }
            p { "Каждый день в 04:00 заказы за последние 7 дней сверяются с Битриксом: чего нет в CRM или что расходится по статусу или сумме, Битрикс отправляет заново." }
            @match run {
                None => p { "Сверок ещё не было." },
                Some(run) => dl {
                    dt { "Последняя" }
                    dd {
                        (human::moment(&run.started_at)) " ("
                        (if run.trigger == Trigger::Scheduled { "по расписанию" } else { "вручную" })
                        "), заказы с " (human::date(run.period_from)) " по " (human::date(run.period_to))
                    }
                    @if let Some(error) = &run.error {
                        dt { "Результат" } dd class="error" { "Прервана: " (error) }
                    } @else if run.finished_at.is_none() {
                        dt { "Результат" } dd { "Идёт…" }
                    } @else {
                        dt { "Заказов в Битриксе" } dd { (run.bitrix_orders.unwrap_or(0)) }
                        dt { "Нет в CRM" } dd { (run.missing.unwrap_or(0)) }
                        dt { "Другой статус" } dd { (run.other_status.unwrap_or(0)) }
                        dt { "Другая сумма" } dd { (run.other_total.unwrap_or(0)) }
                        dt { "Запрошено повторно" } dd { (run.resent.unwrap_or(0)) }
                    }
                },
            }
            form method="post" action="/crm/sync/reconcile" {
                button type="submit" data-busy="⏳ Обработка..." { "Сверить сейчас" }
            }
        }
    }
}

fn flow_label(flow: Flow) -> &'static str {
    match flow {
        Flow::WebhookApply => "Вебхуки Битрикса",
        Flow::ReverseSync => "Заказы CRM → Битрикс",
        Flow::StatusSync => "Статусы CRM → Битрикс",
        Flow::AvailabilitySync => "Наличие → Битрикс",
        Flow::Telegram => "Сообщения в Telegram",
    }
}

fn switch(on: bool) -> Markup {
    html! {
        @if on { span class="badge in-stock" { "Включено" } } @else { span class="badge out-of-stock" { "Выключено" } }
    }
}

/// The Bitrix kit's own outbox, as its agent last reported it: what waits and what is dead on the
/// shop's side (events the Worker refused five times), and whether the report is fresh.
fn kit_outbox(data: &SyncPage, now: chrono::DateTime<chrono::Utc>) -> Markup {
    html! {
        section aria-labelledby="kit-outbox" {
            h2 id="kit-outbox" { "Очередь на стороне Битрикса" }
            @match &data.kit_outbox {
                None => p class="none" { "Модуль Битрикса ещё не присылал отчёт о своей очереди." },
                Some(report) => {
                    p {
                        "Ждут отправки: " strong { (report.waiting) }
                        @if report.failing > 0 { " (с ошибками: " (report.failing) ")" }
                        ". Не доставлены: "
                        strong class=[(report.dead > 0).then_some("late")] { (report.dead) } "."
                        @if let Some(at) = &report.reported_at { " Отчёт от " (human::moment(at)) "." }
                    }
                    @if report.is_stale(now) {
                        p class="warning" role="alert" {
                            "⚠ Отчёта не было больше 15 минут: агент модуля в Битриксе не запускается или не достучался до CRM."
                        }
                    }
                    @if !report.dead_events.is_empty() {
                        p { "Повторить или пропустить их можно в Битриксе, на странице модуля." }
                        ul {
                            @for event in &report.dead_events {
                                li {
                                    "Заказ " (event.order_id) ", " (event.event)
                                    @if let Some(status) = event.last_status { ": HTTP " (status) }
                                    @if let Some(error) = &event.last_error { " — " span class="error" { (error) } }
                                }
                            }
                        }
                    }
                },
            }
        }
    }
}

/// The newest catalogue load and reference refresh: when, what changed, what went wrong.
fn catalog_and_reference(data: &SyncPage) -> Markup {
    html! {
        section aria-labelledby="catalog" {
            h2 id="catalog" { "Каталог и справочники из Битрикса" }
            dl {
                dt { "Каталог" }
                dd {
                    @match &data.catalog {
                        Some(catalog) => {
                            "товаров из Битрикса: " (human::grouped(&catalog.products.to_string()))
                            @if catalog.hidden > 0 { ", снято с продажи: " (catalog.hidden) }
                            @if let Some(load) = &catalog.newest {
                                br;
                                "последняя загрузка " (human::moment(&load.started_at))
                                @match (&load.outcome, load.finished_at) {
                                    (Some(outcome), Some(_)) => {
                                        @if let Some(error) = &outcome.error {
                                            ": " span class="error" { "прервана — " (error) }
                                        } @else {
                                            ": новых " (outcome.created) ", изменено " (outcome.updated)
                                            ", снято " (outcome.hidden)
                                        }
                                        @if !outcome.skipped.is_empty() { ", замечаний " (outcome.skipped.len()) }
                                    },
                                    _ => ": идёт",
                                }
                            }
                        },
                        None => "ещё не загружался",
                    }
                    " "
                    a href="/crm/products" { "Товары →" }
                }
                dt { "Справочники (слоты, города, магазины, статусы, оплаты)" }
                dd {
                    @match &data.reference {
                        Some(refresh) => {
                            "обновлены " (human::moment(&refresh.at))
                            @match (&refresh.outcome, &refresh.error) {
                                (_, Some(error)) => { ": " span class="error" { "не удалось — " (error) } },
                                (Some(outcome), None) => {
                                    ": изменено записей " (outcome.changed)
                                    @if !outcome.skipped.is_empty() {
                                        ", замечания: "
                                        ul { @for note in &outcome.skipped { li { (note) } } }
                                    }
                                },
                                (None, None) => "",
                            }
                        },
                        None => "ещё не обновлялись",
                    }
                }
            }
        }
    }
}

/// The page.
#[must_use]
pub fn page(chrome: &Chrome, data: &SyncPage, switches: Switches, now: chrono::DateTime<chrono::Utc>) -> Markup {
    layout(
        chrome,
        "Синхронизация",
        html! {
            h1 { "Синхронизация" }
            section aria-labelledby="switches" {
                h2 id="switches" { "Переключатели" }
                dl {
                    dt { "Приём вебхуков (SYNC_ENABLED)" } dd { (switch(switches.sync_enabled)) }
                    dt { "Передача в Битрикс (BITRIX_SYNC_ENABLED)" } dd { (switch(switches.bitrix_sync_enabled)) }
                    dt { "Сообщения в Telegram (TELEGRAM_NOTIFICATIONS_ENABLED)" } dd { (switch(switches.telegram_notifications_enabled)) }
                }
            }
            section aria-labelledby="flows" {
                h2 id="flows" { "Потоки" }
                table {
                    thead {
                        tr {
                            th scope="col" { "Поток" }
                            th scope="col" { "Выполнено" }
                            th scope="col" { "В очереди" }
                            th scope="col" { "Повторяются" }
                            th scope="col" { "Не доставлено" }
                            th scope="col" { "Последний успех" }
                            th scope="col" { "Последняя ошибка" }
                        }
                    }
                    tbody {
                        @for (flow, health) in &data.flows {
                            tr {
                                th scope="row" { (flow_label(*flow)) }
                                td { (health.done) }
                                td { (health.pending) }
                                td { (health.retrying) }
                                td class=[(health.dead > 0).then_some("late")] { (health.dead) }
                                td { @match &health.last_success_at { Some(at) => (human::moment(at)), None => "—" } }
                                td {
                                    @match &health.last_error {
                                        Some(error) => { (human::moment(&error.at)) ": " span class="error" { (error.error) } },
                                        None => "—",
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (reconciliation(data.reconciliation.as_ref()))
            (catalog_and_reference(data))
            (kit_outbox(data, now))
            section aria-labelledby="dead" {
                h2 id="dead" { "Не доставлено (" (data.dead_letters.len()) ")" }
                @if data.dead_letters.is_empty() {
                    p { "Всё доставлено." }
                } @else {
                    form method="post" action="/crm/sync/dead-letters/replay" {
                        button type="submit" class="primary" data-busy="⏳ Обработка..." { "Повторить все" }
                    }
                    table {
                        thead {
                            tr {
                                th scope="col" { "Поток" }
                                th scope="col" { "Попыток" }
                                th scope="col" { "Ошибка" }
                                th scope="col" { "Когда" }
                                th scope="col" { "Действие" }
                            }
                        }
                        tbody {
                            @for job in &data.dead_letters {
                                tr {
                                    td {
                                        (flow_label(job.flow))
                                        @if let Some(order) = job.payload.get("order_id").and_then(|v| v.as_str()) {
                                            br; a href={ "/crm/orders/" (order) } { "заказ" }
                                        }
                                    }
                                    td { (job.attempts) }
                                    td class="error" { (job.last_error.clone().unwrap_or_default()) }
                                    td { (human::moment(&job.updated_at)) }
                                    td {
                                        form method="post" action={ "/crm/sync/dead-letters/" (job.id) "/replay" } {
                                            button type="submit" data-busy="⏳ Обработка..." { "Повторить" }
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
    use crate::web::pages::tests::staff;
    use crate::web::pages::Section;

    #[test]
    fn the_sync_page_says_how_the_newest_catalogue_load_and_reference_refresh_went() {
        let data: SyncPage = serde_json::from_value(serde_json::json!({
            "flows": {}, "dead_letters": [],
            "catalog": {"products": 5000, "hidden": 3, "newest": {"started_at": "2026-12-02T04:30:00+05:00",
                "finished_at": "2026-12-02T04:31:00+05:00", "complete": true,
                "outcome": {"products": 5000, "created": 2, "updated": 5, "hidden": 1, "skipped": ["product 7: …"]}}},
            "reference": {"at": "2026-12-02T04:00:00+05:00", "outcome": {"slots": 14, "cities": 2, "shops": 1,
                "statuses": 7, "pay_systems": 3, "deliveries": 2, "changed": 0, "skipped": ["slot 24: no times"]},
                "error": null}
        }))
        .unwrap();
        let staff = staff();
        let chrome = Chrome { staff: Some(&staff), section: Section::Sync, flash: None };
        let html = page(&chrome, &data, Switches::all_on(), noon()).into_string();
        assert!(html.contains("товаров из Битрикса: 5\u{a0}000, снято с продажи: 3"), "{html}");
        assert!(html.contains("новых 2, изменено 5, снято 1, замечаний 1"), "{html}");
        assert!(html.contains("<li>slot 24: no times</li>"), "{html}");

        let never = SyncPage { catalog: None, reference: None, ..data };
        let html = page(&chrome, &never, Switches::all_on(), noon()).into_string();
        assert!(html.contains("ещё не загружался") && html.contains("ещё не обновлялись"));
    }

    fn noon() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-12-02T12:00:00+05:00").unwrap().with_timezone(&chrono::Utc)
    }

    #[test]
    fn the_sync_page_shows_the_kits_dead_events_and_says_when_its_report_is_stale() {
        let data: SyncPage = serde_json::from_value(serde_json::json!({
            "flows": {}, "dead_letters": [],
            "kit_outbox": {"waiting": 2, "failing": 1, "dead": 1, "oldest_waiting_at": null,
                "dead_events": [{"id": 5, "order_id": 122183, "event": "order.create", "last_status": 422,
                                 "last_error": "HTTP 422: data.PAYED"}],
                "reported_at": "2026-12-02T10:00:00+05:00"}
        }))
        .unwrap();
        let staff = staff();
        let chrome = Chrome { staff: Some(&staff), section: Section::Sync, flash: None };
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-02T10:05:00+05:00").unwrap().with_timezone(&chrono::Utc);
        let fresh = page(&chrome, &data, Switches::all_on(), at).into_string();
        assert!(fresh.contains("Ждут отправки: <strong>2</strong>"), "{fresh}");
        assert!(fresh.contains("Заказ 122183, order.create: HTTP 422"));
        assert!(!fresh.contains("Отчёта не было больше 15 минут"));
        let stale = page(&chrome, &data, Switches::all_on(), at + chrono::Duration::minutes(20)).into_string();
        assert!(stale.contains("Отчёта не было больше 15 минут"));
    }
}
