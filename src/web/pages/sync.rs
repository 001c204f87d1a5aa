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

/// The page.
#[must_use]
pub fn page(chrome: &Chrome, data: &SyncPage, switches: Switches) -> Markup {
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
