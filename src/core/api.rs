//! HTTP answers of the Worker's routes: status codes and JSON bodies. Messages are in Russian
//! (the shop's staff read them); the `error` codes are stable English identifiers for programs.

use serde_json::{json, Value};

use super::order::ParseError;
use super::ports::StoreError;
use super::service::{Ingested, WebhookError, MAX_WEBHOOK_BYTES};

/// A status code and a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

fn error(status: u16, code: &str, message: String) -> Answer {
    Answer { status, body: json!({ "ok": false, "error": code, "message": message }) }
}

/// The answer to an accepted webhook: 200 when applied, 202 when it waits in the queue.
#[must_use]
pub fn webhook_applied(done: &Ingested) -> Answer {
    let (status, outcome, message) = match done.outcome() {
        Some(outcome) => (200, json!(outcome), outcome.message_ru()),
        None => (202, json!("queued"), "Событие принято и будет применено, как только база данных CRM станет доступна"),
    };
    Answer {
        status,
        body: json!({
            "ok": true,
            "outcome": outcome,
            "message": message,
            "order_id": done.order_id(),
            "bitrix_order_id": done.event.bitrix_order_id,
            "event": done.event.kind.as_str(),
            "event_key": done.event.event_key,
        }),
    }
}

/// The answer to a refused webhook. Store failures never leak their cause to the caller.
#[must_use]
pub fn webhook_refused(failure: &WebhookError) -> Answer {
    match failure {
        WebhookError::TooLarge { size } => error(
            413,
            "payload_too_large",
            format!("Тело запроса слишком большое: {size} байт, допустимо не более {MAX_WEBHOOK_BYTES}"),
        ),
        WebhookError::Unauthorized => error(401, "unauthorized", "Неверный или отсутствующий токен".into()),
        WebhookError::InvalidJson(detail) => {
            let mut answer = error(400, "invalid_json", "Тело запроса не является корректным JSON".into());
            answer.body["detail"] = json!(detail);
            answer
        }
        WebhookError::Invalid(parse) => invalid_webhook(parse),
        WebhookError::SyncDisabled => {
            error(503, "sync_disabled", "Синхронизация временно отключена (SYNC_ENABLED=false), повторите позже".into())
        }
        WebhookError::Store(StoreError::Unavailable(_)) => {
            error(503, "store_unavailable", "База данных CRM временно недоступна, повторите позже".into())
        }
        WebhookError::Store(StoreError::Rejected(_)) => {
            error(500, "store_rejected", "Внутренняя ошибка при сохранении заказа".into())
        }
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

/// The answer for a path no route serves.
#[must_use]
pub fn not_found(path: &str) -> Answer {
    error(404, "not_found", format!("Маршрут не найден: {path}"))
}

/// The answer for a method a route does not serve.
#[must_use]
pub fn method_not_allowed(allowed: &str) -> Answer {
    error(405, "method_not_allowed", format!("Метод не поддерживается, используйте {allowed}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::order::parse_webhook;

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
        let answer = webhook_refused(&WebhookError::Store(StoreError::Unavailable("host 10.0.0.1 key=abc".into())));
        assert_eq!(answer.status, 503);
        assert!(!answer.body.to_string().contains("abc"));
    }

    #[test]
    fn each_refusal_has_its_own_status_code() {
        let cases = [
            (WebhookError::TooLarge { size: 1 }, 413),
            (WebhookError::Unauthorized, 401),
            (WebhookError::InvalidJson("eof".into()), 400),
            (WebhookError::SyncDisabled, 503),
            (WebhookError::Store(StoreError::Rejected("x".into())), 500),
        ];
        for (failure, status) in cases {
            assert_eq!(webhook_refused(&failure).status, status, "{failure}");
        }
    }
}
