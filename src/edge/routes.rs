//! The Worker's HTTP routes: the request's route parsed by `core::routes` and matched
//! exhaustively. Each handler reads as steps: read the request, call core, answer.

use worker::{Context, Env, Request, Response, Result};

use super::crm_api;
use super::emit;
use super::jobs::Bindings;
use super::pages;
use crate::core::api::{self, Answer};
use crate::core::log::{mask_address, mask_phone, LogLine};
use crate::core::ports::{cause_chain, OrderStore};
use crate::core::routes::{route, Method, Route};
use crate::core::service::{
    ingest_webhook, run_deferred, Credentials, WebhookAuth, WebhookError, WebhookPorts, WebhookSettings,
};
use crate::core::signing::SignedHeaders;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Routes one request.
pub async fn handle(mut request: Request, env: Env, ctx: Context) -> Result<Response> {
    let bindings = Bindings::from_env(&env);
    let path = request.path();
    let method = Method::parse(request.method().as_ref());
    let answer = match route(method, &path) {
        Route::Health => health(&bindings).await,
        Route::BitrixOrderWebhook => bitrix_order_webhook(&mut request, &bindings, &env, &ctx).await?,
        Route::Api(api_route) => crm_api::handle(&mut request, &bindings, api_route, &path).await,
        Route::Page(page_route) => return pages::handle(&mut request, &bindings, &page_route).await,
        Route::Unknown(miss) => api::route_missed(miss, &path),
    };
    respond(&answer)
}

fn respond(answer: &Answer) -> Result<Response> {
    let mut response = Response::from_json(&answer.body)?.with_status(answer.status);
    for (name, value) in &answer.headers {
        response.headers_mut().set(name, value)?;
    }
    Ok(response)
}

/// `POST /webhooks/bitrix/order`: (1) read, (2) authenticate + parse + apply in core, (3) answer,
/// and after the answer (`waitUntil`) hand the new jobs to the queue and remember the event in KV.
async fn bitrix_order_webhook(request: &mut Request, bindings: &Bindings, env: &Env, ctx: &Context) -> Result<Answer> {
    let headers = request.headers();
    let (authorization, id, timestamp, signature) = (
        headers.get("Authorization")?,
        headers.get("webhook-id")?,
        headers.get("webhook-timestamp")?,
        headers.get("webhook-signature")?,
    );
    let body = request.bytes().await?;
    let config = &bindings.config;
    let settings = WebhookSettings { auth: config.webhook_auth.clone(), sync_enabled: config.switches.sync_enabled };
    let ports = WebhookPorts { store: &bindings.store, queue: &bindings.queue, cache: &bindings.cache };
    let credentials = Credentials {
        authorization: authorization.as_deref(),
        signed: SignedHeaders { id: id.as_deref(), timestamp: timestamp.as_deref(), signature: signature.as_deref() },
        #[allow(clippy::cast_possible_truncation)]
        now: (worker::Date::now().as_millis() / 1000) as i64,
    };
    let result = ingest_webhook(&ports, &settings, &credentials, &body).await;
    Ok(match result {
        Ok((done, deferred)) => {
            let env = env.clone();
            ctx.wait_until(async move {
                let bindings = Bindings::from_env(&env);
                let unsent = run_deferred(&bindings.queue, &bindings.cache, &deferred).await;
                if unsent > 0 {
                    emit(&LogLine::new("warn", "webhook.enqueue_failed").with("unsent", unsent));
                }
            });
            let details = &done.event.details;
            let outcome =
                done.outcome().map_or_else(|| "queued".into(), |o| serde_json::to_value(o).unwrap_or_default());
            if !done.cleaned.is_clean() {
                emit(
                    &LogLine::new("warn", "input.cleaned")
                        .with("source", "webhook")
                        .with("bitrix_order_id", done.event.bitrix_order_id.get())
                        .with("removed_nul", done.cleaned.removed)
                        .with("fields", done.cleaned.paths.clone()),
                );
            }
            emit(
                &LogLine::new("info", "webhook.accepted")
                    .with("kind", done.event.kind.as_str())
                    .with("bitrix_order_id", done.event.bitrix_order_id.get())
                    .with("outcome", outcome)
                    .with("order_id", done.order_id())
                    .with("recipient_phone", details.recipient_phone.value().map(mask_phone))
                    .with("delivery_address", details.delivery_address.value().map(|a| mask_address(a))),
            );
            api::webhook_applied(&done)
        }
        Err(failure) => {
            let level = if matches!(failure, WebhookError::Store(_)) { "error" } else { "warn" };
            let answer = api::webhook_refused(&failure);
            emit(
                &LogLine::new(level, "webhook.refused")
                    .with("status", answer.status)
                    .with("reason", cause_chain(&failure)),
            );
            answer
        }
    })
}

/// `GET /health`: the version, whether PostgREST answers, and the switches.
async fn health(bindings: &Bindings) -> Answer {
    let postgrest = match bindings.store.ping().await {
        Ok(()) => "ok",
        Err(error) => {
            emit(&LogLine::new("error", "health.postgrest_unreachable").with("reason", cause_chain(&error)));
            "unreachable"
        }
    };
    // An unusable signing secret refuses every webhook: that is not healthy either.
    let healthy = postgrest == "ok" && !matches!(bindings.config.webhook_auth, WebhookAuth::Misconfigured(_));
    Answer::json(
        200,
        serde_json::json!({
            "ok": healthy,
            "status": if healthy { "ok" } else { "degraded" },
            "version": VERSION,
            "commit": env!("CRM_GIT_COMMIT"),
            "schema": env!("CRM_SCHEMA_VERSION"),
            "postgrest": postgrest,
            "switches": bindings.config.switches,
            "webhook_auth": bindings.config.webhook_auth.mode(),
        }),
    )
}
