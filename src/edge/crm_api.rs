//! The CRM API (`/api/...`), behind `Authorization: Bearer CRM_API_TOKEN`. Each handler:
//! (1) read and check the input in core, (2) one store call, (3) hand new jobs to the queue,
//! (4) answer.

use serde_json::{json, Value};
use worker::{Method, Request};

use super::jobs::{sweep, Bindings};
use crate::core::api::Answer;
use crate::core::auth::{bearer_token, token_matches};
use crate::core::crm::{parse_order_filter, parse_status_change, NewOrderInput, Problem};
use crate::core::ids::CrmId;
use crate::core::ports::StoreError;
use crate::core::runner::enqueue_jobs;

fn answer(status: u16, body: Value) -> Answer {
    Answer { status, body }
}

fn refusal(status: u16, code: &str, message: &str) -> Answer {
    answer(status, json!({"ok": false, "error": code, "message": message}))
}

fn invalid(problems: &[Problem]) -> Answer {
    answer(
        422,
        json!({"ok": false, "error": "validation_failed", "message": "Проверьте поля запроса", "problems": problems}),
    )
}

fn store_failed(error: &StoreError) -> Answer {
    super::emit(&crate::core::log::LogLine::new("error", "crm_api.store_failed").with("reason", error.to_string()));
    match error {
        StoreError::Unavailable(_) => {
            refusal(503, "store_unavailable", "База данных CRM временно недоступна, повторите позже")
        }
        StoreError::Rejected(_) => refusal(500, "store_rejected", "Внутренняя ошибка при обращении к базе данных"),
    }
}

fn not_found(what: &str) -> Answer {
    refusal(404, "not_found", &format!("{what} не найден"))
}

fn jobs_of(value: &Value) -> Vec<String> {
    value["jobs"].as_array().into_iter().flatten().filter_map(|id| id.as_str().map(str::to_owned)).collect()
}

/// A UUID from the path, or `None` (answered 404: no such record can exist).
fn uuid(segment: &str) -> Option<String> {
    CrmId::parse(segment).ok().map(|id| id.as_str().to_owned())
}

async fn body_json(request: &mut Request) -> Result<Value, Answer> {
    let bytes = request.bytes().await.map_err(|_| refusal(400, "invalid_body", "Не удалось прочитать тело запроса"))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let mut refused = refusal(400, "invalid_json", "Тело запроса не является корректным JSON");
        refused.body["detail"] = json!(e.to_string());
        refused
    })
}

/// Routes `/api/...`; `None` when no CRM route matches the path.
pub async fn handle(request: &mut Request, bindings: &Bindings, path: &str) -> Option<Answer> {
    let segments: Vec<&str> = path.trim_start_matches("/api/").split('/').filter(|s| !s.is_empty()).collect();
    let method = request.method();
    let known = matches!(
        (segments.as_slice(), &method),
        (["orders"], Method::Get | Method::Post)
            | (["orders", _], Method::Get)
            | (["orders", _, "status"], Method::Patch)
            | (["products"], Method::Get)
            | (["products", _], Method::Get)
            | (["products", _, "set-available" | "set-unavailable"], Method::Post)
            | (["sync", "status"], Method::Get)
            | (["sync", "dead-letters"], Method::Get)
            | (["sync", "dead-letters", "replay"], Method::Post)
            | (["sync", "dead-letters", _, "replay"], Method::Post)
            | (["sync", "run"], Method::Post)
    );
    if !known {
        return None;
    }
    let authorization = request.headers().get("Authorization").ok().flatten();
    let authorized =
        bearer_token(authorization.as_deref()).is_some_and(|t| token_matches(t, &bindings.config.crm_api_token));
    if !authorized {
        return Some(refusal(401, "unauthorized", "Неверный или отсутствующий токен CRM API"));
    }
    Some(match (segments.as_slice(), method) {
        (["orders"], Method::Get) => list_orders(request, bindings).await,
        (["orders"], _) => create_order(request, bindings).await,
        (["orders", id], _) => get_order(bindings, id).await,
        (["orders", id, "status"], _) => set_status(request, bindings, id).await,
        (["products"], _) => list_products(request, bindings).await,
        (["products", id], _) => get_product(bindings, id).await,
        (["products", id, action], _) => set_availability(bindings, id, *action == "set-available").await,
        (["sync", "status"], _) => sync_status(bindings).await,
        (["sync", "dead-letters"], _) => dead_letters(bindings).await,
        (["sync", "dead-letters", "replay"], _) => replay(bindings, None).await,
        (["sync", "dead-letters", id, "replay"], _) => replay(bindings, Some(id)).await,
        _ => run_sweep(bindings).await,
    })
}

fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request
        .url()
        .map(|url| url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
        .unwrap_or_default()
}

async fn list_orders(request: &Request, bindings: &Bindings) -> Answer {
    let filter = match parse_order_filter(&query_pairs(request)) {
        Ok(filter) => filter,
        Err(problems) => return invalid(&problems),
    };
    let mut query = vec![
        ("select", "*,order_items(*)".to_owned()),
        ("order", "created_at.desc".to_owned()),
        ("limit", filter.limit.to_string()),
        ("offset", filter.offset.to_string()),
    ];
    if let Some(status) = filter.status {
        query.push(("status", status.as_str().to_owned()));
    }
    if let Some(date) = filter.date {
        query.push(("delivery_date", date.to_string()));
    }
    match bindings.store.select("orders", &query).await {
        Ok(orders) => {
            answer(200, json!({"ok": true, "orders": orders, "limit": filter.limit, "offset": filter.offset}))
        }
        Err(error) => store_failed(&error),
    }
}

async fn get_order(bindings: &Bindings, id: &str) -> Answer {
    let Some(id) = uuid(id) else { return not_found("Заказ") };
    match bindings.store.select("orders", &[("select", "*,order_items(*)".into()), ("id", id)]).await {
        Ok(rows) => {
            rows.get(0).map_or_else(|| not_found("Заказ"), |order| answer(200, json!({"ok": true, "order": order})))
        }
        Err(error) => store_failed(&error),
    }
}

/// `Idempotency-Key` of a CRM API call: at most 200 printable characters.
fn request_key(request: &Request) -> Result<Option<String>, Answer> {
    let key = request.headers().get("Idempotency-Key").ok().flatten().map(|k| k.trim().to_owned());
    match key {
        Some(key) if key.is_empty() || key.len() > 200 => Err(invalid(&[Problem {
            field: "Idempotency-Key".into(),
            message: "Ключ идемпотентности должен быть от 1 до 200 символов".into(),
        }])),
        key => Ok(key),
    }
}

async fn create_order(request: &mut Request, bindings: &Bindings) -> Answer {
    let key = match request_key(request) {
        Ok(key) => key,
        Err(refused) => return refused,
    };
    let body = match body_json(request).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let input: NewOrderInput = match serde_json::from_value(body) {
        Ok(input) => input,
        Err(e) => return invalid(&[Problem { field: "body".into(), message: format!("Неверная структура заказа: {e}") }]),
    };
    let order = match input.check() {
        Ok(order) => order,
        Err(problems) => return invalid(&problems),
    };
    match bindings.store.rpc("crm_create_order", &json!({"p_order": order.command(), "p_request_key": key})).await {
        Ok(created) => {
            enqueue_jobs(&bindings.queue, &jobs_of(&created)).await;
            let replayed = created["replayed"] == true;
            let (status, message) = if replayed { (200, "Заказ уже создан этим запросом") } else { (201, "Заказ создан") };
            answer(status, json!({"ok": true, "message": message, "order_id": created["order_id"], "replayed": replayed}))
        }
        Err(error) => store_failed(&error),
    }
}

async fn set_status(request: &mut Request, bindings: &Bindings, id: &str) -> Answer {
    let Some(id) = uuid(id) else { return not_found("Заказ") };
    let body = match body_json(request).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let status = match parse_status_change(&body) {
        Ok(status) => status,
        Err(problem) => return invalid(&[problem]),
    };
    let code = status.to_bitrix().map(|c| c.as_str().to_owned());
    let arguments = json!({"p_order_id": id, "p_status": status.as_str(), "p_status_raw": code});
    match bindings.store.rpc("crm_set_order_status", &arguments).await {
        Ok(Value::Null) => not_found("Заказ"),
        Ok(changed) => {
            enqueue_jobs(&bindings.queue, &jobs_of(&changed)).await;
            let message = if changed["changed"] == true {
                "Статус заказа изменён"
            } else {
                "Заказ уже в этом статусе"
            };
            answer(
                200,
                json!({"ok": true, "message": message, "changed": changed["changed"], "status": status.as_str(),
                               "status_label": status.label_ru()}),
            )
        }
        Err(error) => store_failed(&error),
    }
}

async fn list_products(request: &Request, bindings: &Bindings) -> Answer {
    let pairs = query_pairs(request);
    let number = |key: &str, default: usize| {
        pairs.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.parse().ok()).unwrap_or(default)
    };
    let limit = number("limit", 100).clamp(1, 500);
    let query = [
        ("select", "*".to_owned()),
        ("order", "name.asc".to_owned()),
        ("limit", limit.to_string()),
        ("offset", number("offset", 0).to_string()),
    ];
    match bindings.store.select("products", &query).await {
        Ok(products) => answer(200, json!({"ok": true, "products": products})),
        Err(error) => store_failed(&error),
    }
}

async fn get_product(bindings: &Bindings, id: &str) -> Answer {
    let Some(id) = uuid(id) else { return not_found("Товар") };
    match bindings.store.select("products", &[("select", "*".into()), ("id", id)]).await {
        Ok(rows) => rows.get(0).map_or_else(
            || not_found("Товар"),
            |product| {
                let url = product["metadata"]["properties"]["ru_url"]
                    .as_str()
                    .map(|slug| format!("https://cvety.kz/products/{slug}/"));
                answer(200, json!({"ok": true, "product": product, "storefront_url": url}))
            },
        ),
        Err(error) => store_failed(&error),
    }
}

async fn set_availability(bindings: &Bindings, id: &str, available: bool) -> Answer {
    let Some(id) = uuid(id) else { return not_found("Товар") };
    match bindings
        .store
        .rpc("crm_set_product_availability", &json!({"p_product_id": id, "p_in_stock": available}))
        .await
    {
        Ok(Value::Null) => not_found("Товар"),
        Ok(changed) => {
            enqueue_jobs(&bindings.queue, &jobs_of(&changed)).await;
            let message = if available {
                "Товар сделан доступным"
            } else {
                "Товар сделан недоступным"
            };
            answer(200, json!({"success": true, "message": message, "is_available": available}))
        }
        Err(error) => store_failed(&error),
    }
}

async fn sync_status(bindings: &Bindings) -> Answer {
    match bindings.store.rpc("sync_status", &json!({})).await {
        Ok(flows) => answer(200, json!({"ok": true, "flows": flows, "switches": bindings.config.switches})),
        Err(error) => store_failed(&error),
    }
}

async fn dead_letters(bindings: &Bindings) -> Answer {
    let query = [
        ("select", "id,flow,idempotency_key,payload,attempts,last_error,created_at,updated_at".to_owned()),
        ("status", "dead".to_owned()),
        ("order", "updated_at.desc".to_owned()),
        ("limit", "200".to_owned()),
    ];
    match bindings.store.select("sync_jobs", &query).await {
        Ok(jobs) => answer(200, json!({"ok": true, "dead_letters": jobs})),
        Err(error) => store_failed(&error),
    }
}

async fn replay(bindings: &Bindings, id: Option<&str>) -> Answer {
    let job_id = match id {
        Some(raw) => match uuid(raw) {
            Some(id) => Value::String(id),
            None => return not_found("Задание"),
        },
        None => Value::Null,
    };
    match bindings.store.rpc("replay_dead_jobs", &json!({"p_job_id": job_id})).await {
        Ok(ids) => {
            let ids: Vec<String> =
                ids.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect();
            enqueue_jobs(&bindings.queue, &ids).await;
            answer(
                200,
                json!({"ok": true, "message": format!("Повторно отправлено заданий: {}", ids.len()), "replayed": ids}),
            )
        }
        Err(error) => store_failed(&error),
    }
}

async fn run_sweep(bindings: &Bindings) -> Answer {
    match sweep(bindings).await {
        Ok(count) => answer(200, json!({"ok": true, "enqueued": count})),
        Err(error) => store_failed(&error),
    }
}
