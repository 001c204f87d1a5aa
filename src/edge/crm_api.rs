//! The CRM API (`/api/...`), behind `Authorization: Bearer CRM_API_TOKEN`. Each handler:
//! (1) read and check the input in core, (2) one store call, (3) hand new jobs to the queue,
//! (4) answer with core's `api` answers.

use serde_json::{json, Value};
use worker::{Method, Request};

use super::emit;
use super::jobs::{sweep, Bindings};
use crate::core::api::{self, Answer, Record};
use crate::core::auth::{bearer_token, token_matches};
use crate::core::crm::{parse_order_filter, parse_status_change, NewOrderInput, Problem};
use crate::core::ids::CrmId;
use crate::core::log::LogLine;
use crate::core::ports::StoreError;
use crate::core::runner::enqueue_jobs;

/// A CRM API body above this is refused with 413 (an order with 200 lines is about 40 KB).
const MAX_BODY_BYTES: usize = 256 * 1024;

fn store_failed(error: &StoreError) -> Answer {
    emit(&LogLine::new("error", "crm_api.store_failed").with("reason", error.to_string()));
    api::store_failed(error)
}

fn ids_in(value: &Value) -> Vec<String> {
    value.as_array().into_iter().flatten().filter_map(|id| id.as_str().map(str::to_owned)).collect()
}

/// A UUID from the path; anything else cannot name a record.
fn uuid(segment: &str) -> Option<String> {
    CrmId::parse(segment).ok().map(|id| id.as_str().to_owned())
}

async fn body_json(request: &mut Request) -> Result<Value, Answer> {
    let bytes =
        request.bytes().await.map_err(|_| api::error(400, "invalid_body", "Не удалось прочитать тело запроса"))?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(api::body_too_large(bytes.len(), MAX_BODY_BYTES));
    }
    serde_json::from_slice(&bytes).map_err(|e| api::invalid_json(&e.to_string()))
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
    let token = bearer_token(authorization.as_deref());
    if !token.is_some_and(|t| token_matches(t, &bindings.config.crm_api_token)) {
        return Some(api::crm_unauthorized());
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
        Err(problems) => return api::validation_failed(&problems),
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
        Ok(orders) => api::found(json!({"orders": orders, "limit": filter.limit, "offset": filter.offset})),
        Err(error) => store_failed(&error),
    }
}

async fn get_order(bindings: &Bindings, id: &str) -> Answer {
    let Some(id) = uuid(id) else { return api::record_missing(Record::Order) };
    match bindings.store.select("orders", &[("select", "*,order_items(*)".into()), ("id", id)]).await {
        Ok(rows) => {
            rows.get(0).map_or_else(|| api::record_missing(Record::Order), |order| api::found(json!({"order": order})))
        }
        Err(error) => store_failed(&error),
    }
}

/// `Idempotency-Key` of a CRM API call: 1 to 200 characters.
fn request_key(request: &Request) -> Result<Option<String>, Answer> {
    match request.headers().get("Idempotency-Key").ok().flatten().map(|k| k.trim().to_owned()) {
        Some(key) if key.is_empty() || key.len() > 200 => Err(api::validation_failed(&[Problem {
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
    let checked = serde_json::from_value::<NewOrderInput>(body)
        .map_err(|e| {
            vec![Problem {
                field: "body".into(), message: format!("Неверная структура заказа: {e}")
            }]
        })
        .and_then(|input| input.check());
    let order = match checked {
        Ok(order) => order,
        Err(problems) => return api::validation_failed(&problems),
    };
    match bindings.store.rpc("crm_create_order", &json!({"p_order": order.command(), "p_request_key": key})).await {
        Ok(created) if created.get("problems").is_some() => {
            let problems: Vec<Problem> = serde_json::from_value(created["problems"].clone()).unwrap_or_default();
            api::validation_failed(&problems)
        }
        Ok(created) => {
            enqueue_jobs(&bindings.queue, &ids_in(&created["jobs"])).await;
            emit(&LogLine::new("info", "crm_api.order_created").with("order_id", created["order_id"].clone()));
            api::order_created(&created["order_id"], created["replayed"] == true)
        }
        Err(error) => store_failed(&error),
    }
}

async fn set_status(request: &mut Request, bindings: &Bindings, id: &str) -> Answer {
    let Some(id) = uuid(id) else { return api::record_missing(Record::Order) };
    let body = match body_json(request).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let status = match parse_status_change(&body) {
        Ok(status) => status,
        Err(problem) => return api::validation_failed(&[problem]),
    };
    let code = status.to_bitrix().map(|c| c.as_str().to_owned());
    let arguments = json!({"p_order_id": id, "p_status": status.as_str(), "p_status_raw": code});
    match bindings.store.rpc("crm_set_order_status", &arguments).await {
        Ok(Value::Null) => api::record_missing(Record::Order),
        Ok(changed) => {
            enqueue_jobs(&bindings.queue, &ids_in(&changed["jobs"])).await;
            emit(&LogLine::new("info", "crm_api.status_set").with("order_id", id).with("status", status.as_str()));
            api::status_set(changed["changed"] == true, status)
        }
        Err(error) => store_failed(&error),
    }
}

async fn list_products(request: &Request, bindings: &Bindings) -> Answer {
    let pairs = query_pairs(request);
    let number = |key: &str, default: usize| {
        pairs.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.parse().ok()).unwrap_or(default)
    };
    let query = [
        ("select", "*".to_owned()),
        ("order", "name.asc".to_owned()),
        ("limit", number("limit", 100).clamp(1, 500).to_string()),
        ("offset", number("offset", 0).to_string()),
    ];
    match bindings.store.select("products", &query).await {
        Ok(products) => api::found(json!({"products": products})),
        Err(error) => store_failed(&error),
    }
}

async fn get_product(bindings: &Bindings, id: &str) -> Answer {
    let Some(id) = uuid(id) else { return api::record_missing(Record::Product) };
    match bindings.store.select("products", &[("select", "*".into()), ("id", id)]).await {
        Ok(rows) => rows.get(0).map_or_else(
            || api::record_missing(Record::Product),
            |product| {
                let slug = product["metadata"]["properties"]["ru_url"].as_str();
                let url = slug.map(|slug| format!("https://cvety.kz/products/{slug}/"));
                api::found(json!({"product": product, "storefront_url": url}))
            },
        ),
        Err(error) => store_failed(&error),
    }
}

async fn set_availability(bindings: &Bindings, id: &str, available: bool) -> Answer {
    let Some(id) = uuid(id) else { return api::record_missing(Record::Product) };
    match bindings
        .store
        .rpc("crm_set_product_availability", &json!({"p_product_id": id, "p_in_stock": available}))
        .await
    {
        Ok(Value::Null) => api::record_missing(Record::Product),
        Ok(changed) => {
            enqueue_jobs(&bindings.queue, &ids_in(&changed["jobs"])).await;
            emit(&LogLine::new("info", "crm_api.availability_set").with("product_id", id).with("available", available));
            api::availability_set(available)
        }
        Err(error) => store_failed(&error),
    }
}

async fn sync_status(bindings: &Bindings) -> Answer {
    match bindings.store.rpc("sync_status", &json!({})).await {
        Ok(flows) => api::found(json!({"flows": flows, "switches": bindings.config.switches})),
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
        Ok(jobs) => api::found(json!({"dead_letters": jobs})),
        Err(error) => store_failed(&error),
    }
}

async fn replay(bindings: &Bindings, id: Option<&str>) -> Answer {
    let job_id = match id.map(uuid) {
        Some(None) => return api::record_missing(Record::Job),
        Some(Some(id)) => Value::String(id),
        None => Value::Null,
    };
    match bindings.store.rpc("replay_dead_jobs", &json!({"p_job_id": job_id})).await {
        Ok(replayed) => {
            let ids = ids_in(&replayed);
            enqueue_jobs(&bindings.queue, &ids).await;
            emit(&LogLine::new("info", "crm_api.dead_letters_replayed").with("jobs", ids.len()));
            api::dead_letters_replayed(&ids)
        }
        Err(error) => store_failed(&error),
    }
}

async fn run_sweep(bindings: &Bindings) -> Answer {
    match sweep(bindings).await {
        Ok(count) => api::found(json!({"enqueued": count})),
        Err(error) => store_failed(&error),
    }
}
