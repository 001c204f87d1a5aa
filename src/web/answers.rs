//! HTTP answers of the Worker's routes: status codes and JSON bodies. Messages are in Russian
//! (the shop's staff read them); the `error` codes are stable English identifiers for programs.

use serde::Serialize;
use serde_json::{json, Value};

use crate::app::crm::{CreatedOrder, CrmError, MAX_BODY_BYTES};
use crate::app::crm_input::{Page, Period, Problem};
use crate::app::ingest::{Ingested, WebhookError, MAX_WEBHOOK_BYTES};
use crate::app::outbox::DayRun;
use crate::app::ports::StoreError;
use crate::app::reconciliation_run::ReconcileRun;
use crate::domain::ids::JobId;
use crate::domain::ids::Record;
use crate::domain::jobs::Switches;
use crate::domain::order::ParseError;
use crate::domain::reconciliation::Reconciliation;
use crate::domain::signing::{SignatureError, TOLERANCE_SECONDS};
use crate::domain::status::CrmStatus;
use crate::domain::views::{DeadLetter, OrderView, ProductView, ReportDay, SyncStatus};
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
}

/// A refusal: `{"ok": false, "error": code, "message": message}`.
#[must_use]
pub fn error(status: u16, code: &str, message: impl Into<String>) -> Answer {
    Answer::json(status, json!({ "ok": false, "error": code, "message": message.into() }))
}

/// A success: `{"ok": true, ...fields}`.
fn success(status: u16, fields: Value) -> Answer {
    let mut body = json!({"ok": true});
    if let (Some(target), Value::Object(extra)) = (body.as_object_mut(), fields) {
        target.extend(extra);
    }
    Answer::json(status, body)
}

/// The answer to an accepted webhook: 200 when applied, 202 when it waits in the queue.
#[must_use]
pub fn webhook_applied(done: &Ingested) -> Answer {
    let (status, outcome, message) = match done.outcome() {
        Some(outcome) => (200, json!(outcome), outcome.message_ru()),
        None => (202, json!("queued"), "Событие принято и будет применено, как только база данных CRM станет доступна"),
    };
    Answer::json(
        status,
        json!({
            "ok": true,
            "outcome": outcome,
            "message": message,
            "order_id": done.order_id(),
            "bitrix_order_id": done.event.bitrix_order_id,
            "event": done.event.kind.as_str(),
            "event_key": done.event.event_key,
        }),
    )
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
            let mut answer = error(401, "invalid_signature", message);
            answer.body["header"] = json!(problem.header());
            answer
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
    let mut answer = error(400, "invalid_webhook", message);
    answer.body["field"] = json!(field);
    answer.body["detail"] = json!(parse.to_string());
    answer
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
    let mut answer = error(422, "validation_failed", "Проверьте поля запроса");
    answer.body["problems"] = json!(problems);
    answer
}

/// 400 for a body that is not JSON.
#[must_use]
pub fn invalid_json(detail: &str) -> Answer {
    let mut answer = error(400, "invalid_json", "Тело запроса не является корректным JSON");
    answer.body["detail"] = json!(detail);
    answer
}

/// 503 while production misses what it cannot run without (each named).
#[must_use]
pub fn misconfigured(missing: &[crate::web::deployment::Missing]) -> Answer {
    let mut answer = error(503, "misconfigured", "Сервис не настроен: не хватает секретов (см. /health)");
    answer.body["missing"] = json!(missing);
    answer
}

/// 413 for a body over `limit` bytes.
#[must_use]
pub fn body_too_large(size: usize, limit: usize) -> Answer {
    error(413, "payload_too_large", format!("Тело запроса слишком большое: {size} байт, допустимо не более {limit}"))
}

/// A CRM order was created (201), or found again by its idempotency key (200).
#[must_use]
pub fn order_created(created: &CreatedOrder) -> Answer {
    let order_id = created.order_id.as_str();
    if created.replayed {
        success(200, json!({"message": "Заказ уже создан этим запросом", "order_id": order_id, "replayed": true}))
    } else {
        success(201, json!({"message": "Заказ создан", "order_id": order_id, "replayed": false}))
    }
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
            crate::domain::views::Stock::InStock => Some(true),
            crate::domain::views::Stock::OutOfStock => Some(false),
            crate::domain::views::Stock::Unknown => None,
        };
        ProductOut { view, is_available, stock_label: view.stock.label_ru(), storefront_url: view.storefront_url() }
    }
}

/// A page of orders, newest first.
#[must_use]
pub fn order_list(orders: &[OrderView], page: Page) -> Answer {
    let orders: Vec<OrderOut> = orders.iter().map(OrderOut::from).collect();
    success(200, json!({"orders": orders, "limit": page.limit, "offset": page.offset}))
}

/// One order.
#[must_use]
pub fn order(view: &OrderView) -> Answer {
    success(200, json!({"order": OrderOut::from(view)}))
}

/// A page of products, by name.
#[must_use]
pub fn product_list(products: &[ProductView], page: Page) -> Answer {
    let products: Vec<ProductOut> = products.iter().map(ProductOut::from).collect();
    success(200, json!({"products": products, "limit": page.limit, "offset": page.offset}))
}

/// One product, with its storefront address also at the top (as the old API had it).
#[must_use]
pub fn product(view: &ProductView) -> Answer {
    success(200, json!({"product": ProductOut::from(view), "storefront_url": view.storefront_url()}))
}

/// Every flow's health, the switches and the newest reconciliation (null before the first).
#[must_use]
pub fn sync_status(flows: &SyncStatus, switches: Switches, reconciliation: Option<&Reconciliation>) -> Answer {
    success(200, json!({"flows": flows, "switches": switches, "reconciliation": reconciliation}))
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
            success(200, json!({"message": message, "reconciliation_id": id, "period": period, "outcome": outcome}))
        }
        ReconcileRun::SwitchedOff => error(
            409,
            "sync_disabled",
            "Сверка невозможна: передача в Битрикс или приём вебхуков выключены (BITRIX_SYNC_ENABLED, SYNC_ENABLED)",
        ),
        // Only the cron's run can be not due; an on-demand run always starts.
        ReconcileRun::NotDue => success(200, json!({"message": "Сверка сегодня уже выполнена"})),
    }
}

/// The dead letters, newest first.
#[must_use]
pub fn dead_letters(jobs: &[DeadLetter]) -> Answer {
    success(200, json!({"dead_letters": jobs}))
}

/// What an on-demand delivery-risk check did.
#[must_use]
pub fn delivery_risk_run(run: DayRun) -> Answer {
    let message = match (run.due, run.created) {
        (0, _) => "Сейчас предупреждать не о чем".to_owned(),
        (_, 0) => "Все предупреждения уже отправлены, новых нет".to_owned(),
        (_, sent) => format!("Отправлено предупреждений: {sent}"),
    };
    success(200, json!({"message": message, "due": run.due, "sent": run.created}))
}

/// What an on-demand daily summary did.
#[must_use]
pub fn daily_summary_run(run: DayRun, day: chrono::NaiveDate) -> Answer {
    let message = if run.created > 0 {
        format!("Итоги за {} отправлены", crate::web::human::date(day))
    } else {
        format!("Итоги за {} уже отправлены, повторно не отправляются", crate::web::human::date(day))
    };
    success(200, json!({"message": message, "day": day, "sent": run.created}))
}

/// The report: each day, and the period's totals.
#[must_use]
pub fn daily_report(period: Period, days: &[ReportDay]) -> Answer {
    let orders: u64 = days.iter().map(|d| d.orders).sum();
    let revenue_orders: u64 = days.iter().map(|d| d.revenue_orders).sum();
    let revenue = days.iter().try_fold(crate::domain::decimal::Money::default(), |sum, d| sum.plus(d.revenue));
    let rows: Vec<Value> = days
        .iter()
        .map(|day| {
            let mut row = json!(day);
            row["average"] = json!(day.average());
            row
        })
        .collect();
    success(
        200,
        json!({"from": period.from, "to": period.to, "days": rows,
               "total": {"orders": orders, "revenue": revenue, "revenue_orders": revenue_orders,
                         "average": revenue.and_then(|r| r.divided_by(revenue_orders))}}),
    )
}

/// How many due jobs a sweep handed to the queue.
#[must_use]
pub fn swept(enqueued: usize) -> Answer {
    success(200, json!({"enqueued": enqueued}))
}

/// A status was set from the CRM (or the order already had it).
#[must_use]
pub fn status_set(changed: bool, status: CrmStatus) -> Answer {
    let message = if changed {
        "Статус заказа изменён"
    } else {
        "Заказ уже в этом статусе"
    };
    success(
        200,
        json!({"message": message, "changed": changed, "status": status.as_str(), "status_label": status.label_ru()}),
    )
}

/// SPEC.md's exact answer to `set-available` / `set-unavailable`.
#[must_use]
pub fn availability_set(available: bool) -> Answer {
    let message = if available {
        "Товар сделан доступным"
    } else {
        "Товар сделан недоступным"
    };
    Answer::json(200, json!({"success": true, "message": message, "is_available": available}))
}

/// Dead letters put back in line.
#[must_use]
pub fn dead_letters_replayed(job_ids: &[JobId]) -> Answer {
    success(200, json!({"message": format!("Повторно отправлено заданий: {}", job_ids.len()), "replayed": job_ids}))
}

/// A read of a summary: `{"ok": true, key: value, ...}`.
#[must_use]
pub fn found(fields: Value) -> Answer {
    success(200, fields)
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
