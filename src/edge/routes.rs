//! The Worker's HTTP routes. Each handler reads as steps: read the request, call core, answer.

use worker::{Env, Method, Request, Response, Result};

use super::config::Config;
use super::emit;
use super::store::PostgrestStore;
use crate::core::api::{self, Answer};
use crate::core::log::{mask_address, mask_phone, LogLine};
use crate::core::ports::OrderStore;
use crate::core::service::{ingest_webhook, WebhookError, WebhookSettings};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Routes one request.
pub async fn handle(mut request: Request, env: Env) -> Result<Response> {
    let config = Config::from_env(&env);
    let path = request.path();
    let answer = match (request.method(), path.as_str()) {
        (Method::Post, "/webhooks/bitrix/order") => bitrix_order_webhook(&mut request, &config).await?,
        (_, "/webhooks/bitrix/order") => api::method_not_allowed("POST"),
        (Method::Get, "/health") => health(&config).await,
        (_, "/health") => api::method_not_allowed("GET"),
        _ => api::not_found(&path),
    };
    respond(&answer)
}

fn respond(answer: &Answer) -> Result<Response> {
    Ok(Response::from_json(&answer.body)?.with_status(answer.status))
}

fn store(config: &Config) -> PostgrestStore {
    PostgrestStore::new(&config.supabase_url, &config.supabase_service_key)
}

/// `POST /webhooks/bitrix/order`: (1) read, (2) authenticate + parse + apply in core, (3) answer.
async fn bitrix_order_webhook(request: &mut Request, config: &Config) -> Result<Answer> {
    let authorization = request.headers().get("Authorization")?;
    let body = request.bytes().await?;
    let settings = WebhookSettings { token: config.webhook_token.clone(), sync_enabled: config.switches.sync_enabled };
    let result = ingest_webhook(&store(config), &settings, authorization.as_deref(), &body).await;
    Ok(match result {
        Ok(done) => {
            let details = &done.event.details;
            emit(
                &LogLine::new("info", "webhook.applied")
                    .with("kind", done.event.kind.as_str())
                    .with("bitrix_order_id", done.event.bitrix_order_id.get())
                    .with("outcome", serde_json::to_value(done.applied.outcome).unwrap_or_default())
                    .with("order_id", done.applied.order_id.clone())
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
                    .with("reason", failure.to_string()),
            );
            answer
        }
    })
}

/// `GET /health`: the version, whether PostgREST answers, and the switches.
async fn health(config: &Config) -> Answer {
    let postgrest = match store(config).ping().await {
        Ok(()) => serde_json::json!("ok"),
        Err(error) => {
            emit(&LogLine::new("error", "health.postgrest_unreachable").with("reason", error.to_string()));
            serde_json::json!("unreachable")
        }
    };
    let healthy = postgrest == "ok";
    Answer {
        status: 200,
        body: serde_json::json!({
            "ok": healthy,
            "status": if healthy { "ok" } else { "degraded" },
            "version": VERSION,
            "commit": env!("CRM_GIT_COMMIT"),
            "schema": env!("CRM_SCHEMA_VERSION"),
            "postgrest": postgrest,
            "switches": config.switches,
        }),
    }
}
