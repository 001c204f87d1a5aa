//! The CRM API (`/api/...`), behind `Authorization: Bearer CRM_API_TOKEN`: (1) authenticate,
//! (2) read the query, the body and the `Idempotency-Key`, (3) `core::crm_service` serves the
//! route, (4) write its log lines and answer.

use worker::Request;

use super::body::{read_capped, unreadable_body, BodyError};
use super::emit_correlated;
use super::jobs::Bindings;
use super::outbound::HttpBitrixGateway;
use crate::app::crm::MAX_BODY_BYTES;
use crate::domain::auth::{bearer_token, token_matches};
use crate::web::answers::{self, Answer};
use crate::web::api_requests::ApiInput;
use crate::web::routes::{ApiRoute, Miss};

fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request
        .url()
        .map(|url| url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
        .unwrap_or_default()
}

/// Serves a path under `/api/`: the token is checked before the route (or why there is none)
/// is answered.
pub async fn handle(request: &mut Request, bindings: &Bindings, route: Result<ApiRoute, Miss>, path: &str) -> Answer {
    let authorization = request.headers().get("Authorization").ok().flatten();
    let token = bearer_token(authorization.as_deref());
    if !token.is_some_and(|t| token_matches(t, &bindings.config.crm_api_token)) {
        return answers::crm_unauthorized();
    }
    let route = match route {
        Ok(route) => route,
        Err(miss) => return answers::route_missed(miss, path),
    };
    let query = query_pairs(request);
    let idempotency_key = request.headers().get("Idempotency-Key").ok().flatten();
    let body = match read_capped(request, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(BodyError::TooLarge { size, cap }) => return answers::body_too_large(size, cap),
        Err(BodyError::Unreadable(reason)) => return answers::error(400, "invalid_body", unreadable_body(&reason)),
    };
    let input = ApiInput { query: &query, body: &body, idempotency_key: idempotency_key.as_deref() };
    let gateway = HttpBitrixGateway(&bindings.config);
    let crm = bindings.crm(&gateway, super::now());
    let served = crm.serve(&route, input).await;
    emit_correlated(served.logs, bindings.store.correlation());
    served.answer
}
