//! HTTP answers of the Worker's routes: status codes and JSON bodies, each body a designed type.
//! Messages are in Russian (the shop's staff read them); the `error` codes are stable English
//! identifiers for programs.

use serde::Serialize;
use serde_json::Value;

use crate::app::catalog_run::CatalogRun;
use crate::app::crm::{CreatedOrder, CrmError, MAX_BODY_BYTES};
use crate::app::crm_input::{Page, Period, Problem};
use crate::app::ingest::{Ingested, WebhookError, MAX_WEBHOOK_BYTES};
use crate::app::outbox::DayRun;
use crate::app::ports::StoreError;
use crate::app::reconciliation_run::ReconcileRun;
use crate::app::reference_run::RefreshRun;
use crate::domain::apply::ApplyOutcome;
use crate::domain::catalog::CatalogOutcome;
use crate::domain::decimal::Money;
use crate::domain::ids::{JobId, Record};
use crate::domain::jobs::Switches;
use crate::domain::order::ParseError;
use crate::domain::reconciliation::{ReconcilePeriod, Reconciliation, RunId, RunOutcome};
use crate::domain::reference::RefreshOutcome;
use crate::domain::signing::{SignatureError, TOLERANCE_SECONDS};
use crate::domain::status::CrmStatus;
use crate::domain::views::{DeadLetter, OrderView, ProductView, ReportDay, Stock, SyncStatus};
use crate::web::deployment::Missing;
use crate::web::routes::Miss;

/// A status code, headers beyond `Content-Type`, and a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
}

impl Answer {
    /// An answer with no extra headers.
    #[must_use]
    pub fn json(status: u16, body: Value) -> Answer {
        Answer { status, headers: Vec::new(), body }
    }

    /// An answer whose body is `body` written as JSON.
    fn of(status: u16, body: &impl Serialize) -> Answer {
        Answer::json(status, serde_json::to_value(body).unwrap_or(Value::Null))
    }
}

/// `{"ok": true, ...}` or `{"ok": false, ...}`.
#[derive(Serialize)]
struct Envelope<T> {
    ok: bool,
    #[serde(flatten)]
    body: T,
}

/// A refusal's body: its code, its Russian message and what names the cause.
#[derive(Serialize)]
struct Refusal<'a> {
    error: &'a str,
    message: String,
    #[serde(flatten)]
    detail: Detail<'a>,
}

/// What a refusal names beside its message.
#[derive(Serialize)]
#[serde(untagged)]
enum Detail<'a> {
    Nothing {},
    Field { field: &'a str, detail: String },
    Header { header: &'a str },
    Problems { problems: &'a [Problem] },
    Parse { detail: &'a str },
    Missing { missing: &'a [Missing] },
}

fn refusal(status: u16, code: &str, message: impl Into<String>, detail: Detail) -> Answer {
    Answer::of(status, &Envelope { ok: false, body: Refusal { error: code, message: message.into(), detail } })
}

/// A refusal: `{"ok": false, "error": code, "message": message}`.
#[must_use]
pub fn error(status: u16, code: &str, message: impl Into<String>) -> Answer {
    refusal(status, code, message, Detail::Nothing {})
}

/// A success: `{"ok": true, ...body}`.
fn success(status: u16, body: impl Serialize) -> Answer {
    Answer::of(status, &Envelope { ok: true, body })
}

/// A success that says what happened.
#[derive(Serialize)]
struct Told {
    message: String,
}

/// What became of an accepted webhook: applied with its outcome, or waiting in the queue.
#[derive(Serialize)]
#[serde(untagged)]
enum WebhookOutcome {
    Applied(ApplyOutcome),
    Queued(Queued),
}

/// `"queued"`.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Queued {
    Queued,
}

/// An accepted webhook.
#[derive(Serialize)]
struct WebhookAccepted<'a> {
    outcome: WebhookOutcome,
    message: &'static str,
    order_id: Option<&'a str>,
    bitrix_order_id: crate::domain::ids::BitrixOrderId,
    event: &'static str,
    event_key: &'a str,
}

/// The answer to an accepted webhook: 200 when applied, 202 when it waits in the queue
/// (`outcome` is then `"queued"`).
#[must_use]
pub fn webhook_applied(done: &Ingested) -> Answer {
    let outcome = done.outcome();
    let accepted = WebhookAccepted {
        outcome: outcome.map_or(WebhookOutcome::Queued(Queued::Queued), WebhookOutcome::Applied),
        message: outcome.map_or(
            "Событие принято и будет применено, как только база данных CRM станет доступна",
            ApplyOutcome::message_ru,
        ),
        order_id: done.order_id(),
        bitrix_order_id: done.event.bitrix_order_id,
        event: done.event.kind.as_str(),
        event_key: &done.event.event_key,
    };
    success(if outcome.is_some() { 200 } else { 202 }, accepted)
}

/// The answer to a refused webhook. Store failures never leak their cause to the caller.
#[must_use]
pub fn webhook_refused(failure: &WebhookError) -> Answer {
    match failure {
        WebhookError::TooLarge { size } => body_too_large(*size, MAX_WEBHOOK_BYTES),
        WebhookError::Unauthorized => error(401, "unauthorized", "Неверный или отсутствующий токен"),
        WebhookError::BadSignature(problem) => {
            let message = match problem {
                SignatureError::Missing(header) => format!("Вебхук не подписан: нет заголовка {header}"),
                SignatureError::BadTimestamp => "Заголовок webhook-timestamp должен быть числом секунд".to_owned(),
                SignatureError::OutOfTolerance { skew } => format!(
                    "Время подписи расходится с часами сервера на {} с (допускается не более {TOLERANCE_SECONDS} с)",
                    skew.unsigned_abs()
                ),
                SignatureError::Mismatch => "Подпись вебхука не совпадает с телом запроса".to_owned(),
            };
            refusal(401, "invalid_signature", message, Detail::Header { header: problem.header() })
        }
        WebhookError::SigningMisconfigured(_) => error(
            503,
            "signing_misconfigured",
            "Секрет подписи вебхуков (WEBHOOK_SIGNING_SECRET) задан неверно; вебхук не принят, повторите позже",
        ),
        WebhookError::InvalidJson(detail) => invalid_json(detail),
        WebhookError::Invalid(parse) => invalid_webhook(parse),
        WebhookError::SyncDisabled => {
            error(503, "sync_disabled", "Синхронизация временно отключена (SYNC_ENABLED=false), повторите позже")
        }
        WebhookError::Store(store) => store_failed(store),
    }
}

fn invalid_webhook(parse: &ParseError) -> Answer {
    let field = parse.field();
    let message = match parse {
        ParseError::Missing(_) => format!("Не заполнено обязательное поле {field}"),
        ParseError::UnknownEvent(name) => {
            format!("Неизвестное событие «{name}»: ожидается order.create, order.update или order.status.change")
        }
        ParseError::Shape(_) | ParseError::Invalid { .. } => format!("Некорректное значение поля {field}"),
    };
    refusal(400, "invalid_webhook", message, Detail::Field { field, detail: parse.to_string() })
}

/// The answer when the store failed; its cause is logged, never shown.
#[must_use]
pub fn store_failed(failure: &StoreError) -> Answer {
    match failure {
        StoreError::Unavailable { .. } => {
            error(503, "store_unavailable", "База данных CRM временно недоступна, повторите позже")
        }
        StoreError::Rejected { .. } => error(500, "store_rejected", "Внутренняя ошибка при обращении к базе данных"),
    }
}

/// 404 for a record that does not exist.
#[must_use]
pub fn record_missing(record: Record) -> Answer {
    let message = match record {
        Record::Order => "Заказ не найден",
        Record::Product => "Товар не найден",
        Record::Job => "Задание не найдено",
        Record::Staff => "Сотрудник не найден",
    };
    error(404, "not_found", message)
}

/// The answer to a CRM operation that did not happen.
#[must_use]
pub fn crm_refused(failure: &CrmError) -> Answer {
    match failure {
        CrmError::Invalid(problems) => validation_failed(problems),
        CrmError::TooLarge { size } => body_too_large(*size, MAX_BODY_BYTES),
        CrmError::InvalidJson(detail) => invalid_json(detail),
        CrmError::NotFound(record) => record_missing(*record),
        CrmError::Store(store) => store_failed(store),
    }
}

/// The answer for a request that names no route.
#[must_use]
pub fn route_missed(miss: Miss, path: &str) -> Answer {
    match miss {
        Miss::NotFound => not_found(path),
        Miss::MethodNotAllowed { allow } => method_not_allowed(allow),
        Miss::NoSuchRecord(record) => record_missing(record),
    }
}

/// 401 for a CRM API call without the right token.
#[must_use]
pub fn crm_unauthorized() -> Answer {
    error(401, "unauthorized", "Неверный или отсутствующий токен CRM API")
}

/// 422 with every problem found.
#[must_use]
pub fn validation_failed(problems: &[Problem]) -> Answer {
    refusal(422, "validation_failed", "Проверьте поля запроса", Detail::Problems { problems })
}

/// 400 for a body that is not JSON.
#[must_use]
pub fn invalid_json(detail: &str) -> Answer {
    refusal(400, "invalid_json", "Тело запроса не является корректным JSON", Detail::Parse { detail })
}

/// 503 while production misses what it cannot run without (each named).
#[must_use]
pub fn misconfigured(missing: &[Missing]) -> Answer {
    let message = "Сервис не настроен: не хватает секретов (см. /health)";
    refusal(503, "misconfigured", message, Detail::Missing { missing })
}

/// 413 for a body over `limit` bytes.
#[must_use]
pub fn body_too_large(size: usize, limit: usize) -> Answer {
    error(413, "payload_too_large", format!("Тело запроса слишком большое: {size} байт, допустимо не более {limit}"))
}

/// A created (or found again) order.
#[derive(Serialize)]
struct OrderCreated<'a> {
    message: &'static str,
    order_id: &'a str,
    replayed: bool,
}

/// A CRM order was created (201), or found again by its idempotency key (200).
#[must_use]
pub fn order_created(created: &CreatedOrder) -> Answer {
    let (status, message) = if created.replayed {
        (200, "Заказ уже создан этим запросом")
    } else {
        (201, "Заказ создан")
    };
    success(status, OrderCreated { message, order_id: created.order_id.as_str(), replayed: created.replayed })
}

/// An order as the API shows it: the view, with its status's Russian label.
#[derive(Serialize)]
struct OrderOut<'a> {
    #[serde(flatten)]
    view: &'a OrderView,
    status_label: &'static str,
}

impl<'a> From<&'a OrderView> for OrderOut<'a> {
    fn from(view: &'a OrderView) -> Self {
        OrderOut { view, status_label: view.status.label_ru() }
    }
}

/// A product as the API shows it: the view, its availability and its storefront address.
#[derive(Serialize)]
struct ProductOut<'a> {
    #[serde(flatten)]
    view: &'a ProductView,
    is_available: Option<bool>,
    stock_label: &'static str,
    storefront_url: Option<String>,
}

impl<'a> From<&'a ProductView> for ProductOut<'a> {
    fn from(view: &'a ProductView) -> Self {
        let is_available = match view.stock {
            Stock::InStock => Some(true),
            Stock::OutOfStock => Some(false),
            Stock::Unknown => None,
        };
        ProductOut { view, is_available, stock_label: view.stock.label_ru(), storefront_url: view.storefront_url() }
    }
}

/// A page of orders.
#[derive(Serialize)]
struct OrderList<'a> {
    orders: Vec<OrderOut<'a>>,
    limit: u32,
    offset: u32,
}

/// A page of products.
#[derive(Serialize)]
struct ProductList<'a> {
    products: Vec<ProductOut<'a>>,
    limit: u32,
    offset: u32,
}

/// A page of orders, newest first.
#[must_use]
pub fn order_list(orders: &[OrderView], page: Page) -> Answer {
    let orders = orders.iter().map(OrderOut::from).collect();
    success(200, OrderList { orders, limit: page.limit, offset: page.offset })
}

/// One order.
#[must_use]
pub fn order(view: &OrderView) -> Answer {
    #[derive(Serialize)]
    struct One<'a> {
        order: OrderOut<'a>,
    }
    success(200, One { order: OrderOut::from(view) })
}

/// A page of products, by name.
#[must_use]
pub fn product_list(products: &[ProductView], page: Page) -> Answer {
    let products = products.iter().map(ProductOut::from).collect();
    success(200, ProductList { products, limit: page.limit, offset: page.offset })
}

/// One product, with its storefront address also at the top (as the old API had it).
#[must_use]
pub fn product(view: &ProductView) -> Answer {
    #[derive(Serialize)]
    struct One<'a> {
        product: ProductOut<'a>,
        storefront_url: Option<String>,
    }
    success(200, One { product: ProductOut::from(view), storefront_url: view.storefront_url() })
}

/// Every flow's health, the switches and the newest reconciliation (null before the first).
#[must_use]
pub fn sync_status(
    flows: &SyncStatus,
    switches: Switches,
    reconciliation: Option<&Reconciliation>,
    kit_outbox: Option<&crate::domain::kit_outbox::KitOutbox>,
    now: chrono::DateTime<chrono::Utc>,
) -> Answer {
    #[derive(Serialize)]
    struct KitSide<'a> {
        #[serde(flatten)]
        report: &'a crate::domain::kit_outbox::KitOutbox,
        /// The kit's agent has not reported for a quarter hour.
        stale: bool,
    }
    #[derive(Serialize)]
    struct Status<'a> {
        flows: &'a SyncStatus,
        switches: Switches,
        reconciliation: Option<&'a Reconciliation>,
        /// The Bitrix kit's own outbox: what waits and what is dead on the shop's side.
        bitrix_outbox: Option<KitSide<'a>>,
    }
    let bitrix_outbox = kit_outbox.map(|report| KitSide { report, stale: report.is_stale(now) });
    success(200, Status { flows, switches, reconciliation, bitrix_outbox })
}

/// `POST /webhooks/bitrix/outbox`: the kit's report kept (200), or why not.
#[must_use]
pub fn kit_outbox_recorded() -> Answer {
    success(200, serde_json::json!({"recorded": true}))
}

/// A reconciliation that ran.
#[derive(Serialize)]
struct ReconciliationRan<'a> {
    message: String,
    reconciliation_id: &'a RunId,
    period: &'a ReconcilePeriod,
    outcome: &'a RunOutcome,
}

/// What an on-demand reconciliation did: 200 with the run, or 409 when the switches forbid it.
#[must_use]
pub fn reconciliation_run(run: &ReconcileRun) -> Answer {
    match run {
        ReconcileRun::Ran { id, period, outcome } => {
            let dates = format!("{} – {}", crate::web::human::date(period.from), crate::web::human::date(period.to));
            let message = match &outcome.error {
                Some(_) => format!("Сверка за {dates} прервана: Битрикс не ответил как нужно"),
                None if outcome.drift() == 0 => {
                    format!("Сверка за {dates}: заказов в Битриксе {}, расхождений нет", outcome.bitrix_orders)
                }
                None => format!(
                    "Сверка за {dates}: заказов в Битриксе {}, расхождений {}, Битрикс отправит заново {}",
                    outcome.bitrix_orders,
                    outcome.drift(),
                    outcome.resent
                ),
            };
            success(200, ReconciliationRan { message, reconciliation_id: id, period, outcome })
        }
        ReconcileRun::SwitchedOff => error(
            409,
            "sync_disabled",
            "Сверка невозможна: передача в Битрикс или приём вебхуков выключены (BITRIX_SYNC_ENABLED, SYNC_ENABLED)",
        ),
        // Only the cron's run can be not due; an on-demand run always starts.
        ReconcileRun::NotDue => success(200, Told { message: "Сверка сегодня уже выполнена".to_owned() }),
    }
}

/// What an on-demand refresh of the reference data did: 200 with what it stored (and what it
/// skipped, and why), 502 when Bitrix did not answer as the contract says, 409 when switched off.
#[must_use]
pub fn reference_run(run: &RefreshRun) -> Answer {
    #[derive(Serialize)]
    struct Refreshed<'a> {
        message: String,
        outcome: &'a RefreshOutcome,
    }
    match run {
        RefreshRun::Refreshed { outcome, .. } => {
            let mut message = format!(
                "Справочники обновлены: слотов {}, городов {}, магазинов {}, статусов {}, способов оплаты {}, доставок {}; изменено записей {}",
                outcome.slots, outcome.cities, outcome.shops, outcome.statuses, outcome.pay_systems, outcome.deliveries, outcome.changed
            );
            if !outcome.skipped.is_empty() {
                message.push_str(&format!("; с замечаниями: {}", outcome.skipped.len()));
            }
            success(200, Refreshed { message, outcome })
        }
        RefreshRun::Failed { error, .. } => refusal(
            502,
            "bitrix_failed",
            "Битрикс не ответил как нужно, справочники не изменены",
            Detail::Parse { detail: error },
        ),
        RefreshRun::SwitchedOff | RefreshRun::NotDue => {
            error(409, "sync_disabled", "Обновление невозможно: передача в Битрикс выключена (BITRIX_SYNC_ENABLED)")
        }
    }
}

/// What an on-demand load of the catalogue did: 200 with what it found and changed (and its
/// `error` when Bitrix stopped it: what was stored stays, nothing is hidden), 409 while another
/// load runs or Bitrix sync is off.
#[must_use]
pub fn catalog_run(run: &CatalogRun) -> Answer {
    #[derive(Serialize)]
    struct Loaded<'a> {
        message: String,
        outcome: &'a CatalogOutcome,
    }
    match run {
        CatalogRun::Loaded { outcome, .. } => {
            let mut message = match &outcome.error {
                Some(_) => format!(
                    "Загрузка каталога прервана: Битрикс не ответил как нужно; сохранено товаров {}",
                    outcome.products
                ),
                None => format!(
                    "Каталог загружен: товаров {}, новых {}, изменено {}, снято с продажи {}",
                    outcome.products, outcome.created, outcome.updated, outcome.hidden
                ),
            };
            if !outcome.skipped.is_empty() {
                message.push_str(&format!("; с замечаниями: {}", outcome.skipped.len()));
            }
            success(200, Loaded { message, outcome })
        }
        CatalogRun::Busy => error(409, "catalog_busy", "Каталог уже загружается, повторите через несколько минут"),
        CatalogRun::SwitchedOff | CatalogRun::NotDue => {
            error(409, "sync_disabled", "Загрузка невозможна: передача в Битрикс выключена (BITRIX_SYNC_ENABLED)")
        }
    }
}

/// The log line of a catalogue load.
#[must_use]
pub fn catalog_log(run: &CatalogRun) -> crate::domain::log::LogLine {
    use crate::domain::log::LogLine;
    match run {
        CatalogRun::Loaded { trigger, outcome } => {
            LogLine::new(if outcome.error.is_some() { "error" } else { "info" }, "ops.catalog")
                .with("trigger", trigger.as_str())
                .with("products", outcome.products)
                .with("drift", outcome.drift())
                .with("skipped", outcome.skipped.len())
                .with("error", outcome.error.clone())
        }
        CatalogRun::Busy | CatalogRun::SwitchedOff | CatalogRun::NotDue => LogLine::new("info", "ops.catalog_skipped"),
    }
}

/// The log line of a refresh (the cron's or one asked for).
#[must_use]
pub fn reference_log(run: &RefreshRun) -> crate::domain::log::LogLine {
    use crate::domain::log::LogLine;
    match run {
        RefreshRun::Refreshed { trigger, outcome } => LogLine::new("info", "ops.reference")
            .with("trigger", trigger.as_str())
            .with("changed", outcome.changed)
            .with("skipped", outcome.skipped.len()),
        RefreshRun::Failed { trigger, error } => LogLine::new("error", "ops.reference_failed")
            .with("trigger", trigger.as_str())
            .with("reason", error.as_str()),
        RefreshRun::SwitchedOff | RefreshRun::NotDue => LogLine::new("info", "ops.reference_skipped"),
    }
}

/// The dead letters, newest first.
#[must_use]
pub fn dead_letters(dead_letters: &[DeadLetter]) -> Answer {
    #[derive(Serialize)]
    struct Letters<'a> {
        dead_letters: &'a [DeadLetter],
    }
    success(200, Letters { dead_letters })
}

/// What an on-demand delivery-risk check did.
#[must_use]
pub fn delivery_risk_run(run: DayRun) -> Answer {
    #[derive(Serialize)]
    struct RiskRun {
        message: String,
        due: usize,
        sent: usize,
    }
    let message = match (run.due, run.created) {
        (0, _) => "Сейчас предупреждать не о чем".to_owned(),
        (_, 0) => "Все предупреждения уже отправлены, новых нет".to_owned(),
        (_, sent) => format!("Отправлено предупреждений: {sent}"),
    };
    success(200, RiskRun { message, due: run.due, sent: run.created })
}

/// What an on-demand daily summary did.
#[must_use]
pub fn daily_summary_run(run: DayRun, day: chrono::NaiveDate) -> Answer {
    #[derive(Serialize)]
    struct SummaryRun {
        message: String,
        day: chrono::NaiveDate,
        sent: usize,
    }
    let message = if run.created > 0 {
        format!("Итоги за {} отправлены", crate::web::human::date(day))
    } else {
        format!("Итоги за {} уже отправлены, повторно не отправляются", crate::web::human::date(day))
    };
    success(200, SummaryRun { message, day, sent: run.created })
}

/// One day of the report, with its average order.
#[derive(Serialize)]
struct ReportRow<'a> {
    #[serde(flatten)]
    day: &'a ReportDay,
    average: Option<Money>,
}

/// The period's totals.
#[derive(Serialize)]
struct ReportTotal {
    orders: u64,
    revenue: Option<Money>,
    revenue_orders: u64,
    average: Option<Money>,
}

/// The report: each day, and the period's totals.
#[must_use]
pub fn daily_report(period: Period, days: &[ReportDay]) -> Answer {
    #[derive(Serialize)]
    struct Report<'a> {
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        days: Vec<ReportRow<'a>>,
        total: ReportTotal,
    }
    let revenue_orders: u64 = days.iter().map(|d| d.revenue_orders).sum();
    let revenue = days.iter().try_fold(Money::default(), |sum, d| sum.plus(d.revenue));
    let total = ReportTotal {
        orders: days.iter().map(|d| d.orders).sum(),
        revenue,
        revenue_orders,
        average: revenue.and_then(|r| r.divided_by(revenue_orders)),
    };
    let days = days.iter().map(|day| ReportRow { day, average: day.average() }).collect();
    success(200, Report { from: period.from, to: period.to, days, total })
}

/// How many due jobs a sweep handed to the queue.
#[must_use]
pub fn swept(enqueued: usize) -> Answer {
    #[derive(Serialize)]
    struct Swept {
        enqueued: usize,
    }
    success(200, Swept { enqueued })
}

/// A status was set from the CRM (or the order already had it).
#[must_use]
pub fn status_set(changed: bool, status: CrmStatus) -> Answer {
    #[derive(Serialize)]
    struct StatusSet {
        message: &'static str,
        changed: bool,
        status: &'static str,
        status_label: &'static str,
    }
    let message = if changed {
        "Статус заказа изменён"
    } else {
        "Заказ уже в этом статусе"
    };
    success(200, StatusSet { message, changed, status: status.as_str(), status_label: status.label_ru() })
}

/// SPEC.md's exact answer to `set-available` / `set-unavailable`.
#[must_use]
pub fn availability_set(available: bool) -> Answer {
    #[derive(Serialize)]
    struct AvailabilitySet {
        success: bool,
        message: &'static str,
        is_available: bool,
    }
    let message = if available {
        "Товар сделан доступным"
    } else {
        "Товар сделан недоступным"
    };
    Answer::of(200, &AvailabilitySet { success: true, message, is_available: available })
}

/// Dead letters put back in line.
#[must_use]
pub fn dead_letters_replayed(replayed: &[JobId]) -> Answer {
    #[derive(Serialize)]
    struct Replayed<'a> {
        message: String,
        replayed: &'a [JobId],
    }
    success(
        200,
        Replayed {
            message: format!("Повторно отправлено заданий: {}", replayed.len()), replayed
        },
    )
}

/// The answer for a path no route serves.
#[must_use]
pub fn not_found(path: &str) -> Answer {
    error(404, "not_found", format!("Маршрут не найден: {path}"))
}

/// The answer for a method a route does not serve, with the `Allow` header.
#[must_use]
pub fn method_not_allowed(allowed: &'static str) -> Answer {
    let mut answer = error(405, "method_not_allowed", format!("Метод не поддерживается, используйте {allowed}"));
    answer.headers.push(("Allow", allowed.to_owned()));
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::order::parse_webhook;
    use serde_json::json;

    #[test]
    fn an_invalid_field_gets_a_400_naming_the_field_in_russian_and_in_detail() {
        let parse = parse_webhook(json!({"event": "order.create", "data": {"ID": "1", "PRICE": "x"}})).unwrap_err();
        let answer = webhook_refused(&WebhookError::Invalid(parse));
        assert_eq!(answer.status, 400);
        assert_eq!(answer.body["field"], "data.PRICE");
        assert_eq!(answer.body["message"], "Некорректное значение поля data.PRICE");
        assert!(answer.body["detail"].as_str().unwrap().contains("not a decimal"));
    }

    #[test]
    fn a_plain_refusal_holds_its_code_and_message_and_nothing_else() {
        let answer = crm_unauthorized();
        assert_eq!(
            answer.body,
            json!({"ok": false, "error": "unauthorized", "message": "Неверный или отсутствующий токен CRM API"})
        );
    }

    #[test]
    fn a_refusal_with_problems_lists_each_beside_its_code() {
        let problems = [Problem { field: "recipient_phone".into(), message: "Укажите телефон".into() }];
        let answer = validation_failed(&problems);
        assert_eq!(answer.status, 422);
        assert_eq!(answer.body["problems"], json!([{"field": "recipient_phone", "message": "Укажите телефон"}]));
        assert_eq!(answer.body["error"], "validation_failed");
    }

    #[test]
    fn a_report_gives_each_day_its_average_and_the_period_its_totals() {
        let day = |d, orders, revenue: &str, revenue_orders| ReportDay {
            day: chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
            orders,
            revenue: Money::parse(revenue).unwrap(),
            revenue_orders,
            by_status: std::collections::BTreeMap::new(),
            by_source: std::collections::BTreeMap::new(),
        };
        let period = Period {
            from: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            to: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        };
        let answer = daily_report(period, &[day(1, 3, "30000", 2), day(2, 1, "10000", 1)]);
        assert_eq!(answer.body["days"][0]["average"], "15000.00");
        assert_eq!(answer.body["days"][1]["orders"], 1);
        assert_eq!(answer.body["total"]["orders"], 4);
        assert_eq!(answer.body["total"]["revenue_orders"], 3);
        assert_eq!(answer.body["from"], "2026-11-01");
    }

    #[test]
    fn a_webhook_waiting_in_the_queue_is_a_202_queued_and_a_known_one_a_200_with_its_outcome() {
        let event = parse_webhook(json!({"event": "order.create", "data": {"ID": "122183"}})).unwrap();
        let ingested = |accepted| crate::app::ingest::Ingested {
            event: event.clone(),
            accepted,
            cleaned: crate::domain::text::Cleaned::default(),
        };
        let queued = webhook_applied(&ingested(crate::app::ingest::Accepted::Queued));
        let seen = webhook_applied(&ingested(crate::app::ingest::Accepted::SeenBefore { order_id: None }));
        assert_eq!((queued.status, queued.body["outcome"].as_str()), (202, Some("queued")));
        assert_eq!((seen.status, seen.body["outcome"].as_str()), (200, Some("duplicate")));
        assert_eq!(queued.body["event_key"], json!(event.event_key));
    }

    #[test]
    fn a_store_failure_answers_without_its_cause() {
        let answer = webhook_refused(&WebhookError::Store(StoreError::unavailable("host 10.0.0.1 key=abc", None)));
        assert_eq!(answer.status, 503);
        assert!(!answer.body.to_string().contains("abc"));
    }

    #[test]
    fn the_availability_answer_is_exactly_the_one_of_the_spec() {
        assert_eq!(
            availability_set(true).body,
            json!({"success": true, "message": "Товар сделан доступным", "is_available": true})
        );
        assert_eq!(
            availability_set(false).body,
            json!({"success": true, "message": "Товар сделан недоступным", "is_available": false})
        );
    }

    #[test]
    fn a_replayed_order_creation_is_a_200_naming_the_first_order() {
        let order_id = crate::domain::ids::CrmId::parse("0b6f3c1e-0000-4000-8000-000000000001").unwrap();
        let first = order_created(&CreatedOrder { order_id: order_id.clone(), replayed: false });
        let again = order_created(&CreatedOrder { order_id, replayed: true });
        assert_eq!((first.status, again.status), (201, 200));
        assert_eq!(again.body["order_id"], "0b6f3c1e-0000-4000-8000-000000000001");
        assert_eq!(again.body["ok"], true);
    }

    #[test]
    fn a_method_a_route_does_not_take_is_a_405_with_the_allow_header() {
        let answer = route_missed(Miss::MethodNotAllowed { allow: "GET, POST" }, "/api/orders");
        assert_eq!(answer.status, 405);
        assert_eq!(answer.headers, vec![("Allow", "GET, POST".to_owned())]);
        assert_eq!(route_missed(Miss::NoSuchRecord(Record::Product), "/x").body["message"], "Товар не найден");
    }

    #[test]
    fn an_order_goes_out_with_its_status_label_and_without_internal_columns() {
        let view = crate::web::telegram::tests::card();
        let answer = order(&view);
        let out = &answer.body["order"];
        assert_eq!((out["status"].as_str(), out["status_label"].as_str()), (Some("new"), Some("Новый")));
        assert_eq!(out["total_amount"], "16500.00");
        for internal in ["status_echoes", "status_echoes_until", "crm_request_key", "bitrix_updated_at"] {
            assert!(out.get(internal).is_none(), "{internal} leaked");
        }
    }

    #[test]
    fn each_refusal_has_its_own_status_code() {
        let cases = [
            (WebhookError::TooLarge { size: 1 }, 413),
            (WebhookError::Unauthorized, 401),
            (WebhookError::InvalidJson("eof".into()), 400),
            (WebhookError::SyncDisabled, 503),
            (WebhookError::Store(StoreError::rejected("x", None)), 500),
            (WebhookError::BadSignature(SignatureError::Mismatch), 401),
            (WebhookError::SigningMisconfigured(crate::domain::signing::SecretError::Prefix), 503),
        ];
        for (failure, status) in cases {
            assert_eq!(webhook_refused(&failure).status, status, "{failure}");
        }
    }

    #[test]
    fn an_on_demand_reconciliation_says_what_it_found_or_why_it_could_not_run() {
        use crate::domain::reconciliation::{Drift, ReconcilePeriod, RunOutcome};
        let period = ReconcilePeriod {
            from: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            to: chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
        };
        let id = crate::domain::ids::test_id(7);
        let drift = Drift {
            bitrix_orders: 54,
            differences: vec![crate::domain::reconciliation::Difference::Missing { bitrix_order_id: 1 }],
            busy: 0,
        };
        let ran = |outcome| reconciliation_run(&ReconcileRun::Ran { id: id.clone(), period, outcome });
        let found = ran(RunOutcome::compared(&drift, 1, false, None));
        let clean = ran(RunOutcome::compared(&Drift { bitrix_orders: 54, ..Drift::default() }, 0, false, None));
        let failed = ran(RunOutcome::failed("orders.snapshot: gateway HTTP 503".into()));
        let off = reconciliation_run(&ReconcileRun::SwitchedOff);

        assert_eq!(
            found.body["message"],
            "Сверка за 23.11.2026 – 29.11.2026: заказов в Битриксе 54, расхождений 1, Битрикс отправит заново 1"
        );
        assert_eq!(found.body["outcome"]["missing"], 1);
        assert_eq!(clean.body["message"], "Сверка за 23.11.2026 – 29.11.2026: заказов в Битриксе 54, расхождений нет");
        assert_eq!(failed.status, 200);
        assert_eq!(failed.body["outcome"]["error"], "orders.snapshot: gateway HTTP 503");
        assert!(failed.body["message"].as_str().unwrap().contains("прервана"));
        assert_eq!((off.status, off.body["error"].as_str()), (409, Some("sync_disabled")));
    }

    #[test]
    fn a_refused_signature_names_its_header_and_says_in_russian_what_was_wrong() {
        let cases = [
            (SignatureError::Missing("webhook-id"), "webhook-id", "нет заголовка webhook-id"),
            (SignatureError::BadTimestamp, "webhook-timestamp", "числом секунд"),
            (
                SignatureError::OutOfTolerance { skew: -900 },
                "webhook-timestamp",
                "на 900 с (допускается не более 300 с)",
            ),
            (SignatureError::Mismatch, "webhook-signature", "не совпадает с телом"),
        ];
        for (problem, header, words) in cases {
            let answer = webhook_refused(&WebhookError::BadSignature(problem));
            assert_eq!(
                (answer.body["error"].as_str(), answer.body["header"].as_str()),
                (Some("invalid_signature"), Some(header))
            );
            assert!(answer.body["message"].as_str().unwrap().contains(words), "{:?}", answer.body);
        }
    }
}
