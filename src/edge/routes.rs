//! The Worker's HTTP routes: the request's route parsed by `core::routes` and matched
//! exhaustively. Each handler reads as steps: read the request, call core, answer.

use worker::{Context, Env, Request, Response, Result};

use super::body::{read_capped, unreadable_body, BodyError};
use super::crm_api;
use super::emit;
use super::jobs::Bindings;
use super::pages;
use crate::app::handoff::run_deferred;
use crate::app::ingest::{
    ingest_webhook, Credentials, WebhookAuth, WebhookError, WebhookPorts, WebhookSettings, MAX_WEBHOOK_BYTES,
};
use crate::app::ports::{cause_chain, OrderStore};
use crate::domain::log::{mask_address, mask_phone, LogLine};
use crate::domain::signing::SignedHeaders;
use crate::web::answers::{self, Answer};
use crate::web::deployment::{misconfigured, Missing, HSTS, NO_STORE};
use crate::web::routes::{route, Method, Route};
use crate::web::staff_pages;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Routes one request; every answer carries HSTS.
pub async fn handle(mut request: Request, env: Env, ctx: Context) -> Result<Response> {
    // The request's correlation id: a CRM call's Idempotency-Key, else a new one (a webhook's
    // store call carries its event key instead).
    let given = request.headers().get("Idempotency-Key").ok().flatten();
    // A header value must be visible ASCII: another key gets a fresh id instead.
    let usable = |key: &String| (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    let correlation = given.filter(usable).unwrap_or_else(super::new_correlation_id);
    let bindings = Bindings::from_env(&env).correlated(&correlation);
    let path = request.path();
    let method = Method::parse(request.method().as_ref());
    let mut response = serve(&mut request, route(method, &path), &path, &bindings, &env, &ctx).await?;
    response.headers_mut().set(HSTS.0, HSTS.1)?;
    Ok(response)
}

async fn serve(
    request: &mut Request,
    route: Route,
    path: &str,
    bindings: &Bindings,
    env: &Env,
    ctx: &Context,
) -> Result<Response> {
    // Production with a secret missing serves nothing but /health, which names what is missing.
    let missing = misconfigured(&bindings.config.facts());
    if !missing.is_empty() && !matches!(route, Route::Health) {
        return match route {
            Route::Page(_) => pages::respond(&staff_pages::misconfigured()),
            _ => respond(&answers::misconfigured(&missing)),
        };
    }
    let answer = match route {
        Route::Home => return pages::respond(&staff_pages::home()),
        Route::Health => health(bindings, &missing).await,
        Route::BitrixOrderWebhook => bitrix_order_webhook(request, bindings, env, ctx).await?,
        Route::BitrixOutboxReport => kit_outbox_report(request, bindings).await?,
        Route::Api(api_route) => crm_api::handle(request, bindings, api_route, path).await,
        Route::Page(page_route) => return pages::handle(request, bindings, &page_route).await,
        Route::Track(token) => return super::track::handle(request, bindings, env, &token, false).await,
        Route::TrackPhoto(token) => return super::track::handle(request, bindings, env, &token, true).await,
        Route::Unknown(miss) => answers::route_missed(miss, path),
    };
    respond(&answer)
}

/// A JSON answer: never stored by a browser or a proxy (orders, phones, addresses).
fn respond(answer: &Answer) -> Result<Response> {
    let mut response = Response::from_json(&answer.body)?.with_status(answer.status);
    response.headers_mut().set(NO_STORE.0, NO_STORE.1)?;
    for (name, value) in &answer.headers {
        response.headers_mut().set(name, value)?;
    }
    Ok(response)
}

/// A body from Bitrix's sender with what authenticates it: the token header and the Standard
/// Webhooks headers, read once for the webhook and the outbox report alike.
struct SignedBody {
    authorization: Option<String>,
    id: Option<String>,
    timestamp: Option<String>,
    signature: Option<String>,
    body: Vec<u8>,
}

impl SignedBody {
    /// The headers and the body (at most [`MAX_WEBHOOK_BYTES`]), or the answer that refuses it.
    async fn read(request: &mut Request) -> Result<std::result::Result<SignedBody, Answer>> {
        let headers = request.headers();
        let (authorization, id, timestamp, signature) = (
            headers.get("Authorization")?,
            headers.get("webhook-id")?,
            headers.get("webhook-timestamp")?,
            headers.get("webhook-signature")?,
        );
        Ok(match read_capped(request, MAX_WEBHOOK_BYTES).await {
            Ok(body) => Ok(SignedBody { authorization, id, timestamp, signature, body }),
            Err(BodyError::TooLarge { size, .. }) => Err(answers::webhook_refused(&WebhookError::TooLarge { size })),
            Err(BodyError::Unreadable(reason)) => Err(answers::error(400, "invalid_body", unreadable_body(&reason))),
        })
    }

    fn credentials(&self) -> Credentials<'_> {
        Credentials {
            authorization: self.authorization.as_deref(),
            signed: SignedHeaders {
                id: self.id.as_deref(),
                timestamp: self.timestamp.as_deref(),
                signature: self.signature.as_deref(),
            },
            #[allow(clippy::cast_possible_truncation)]
            now: (worker::Date::now().as_millis() / 1000) as i64,
        }
    }
}

/// `POST /webhooks/bitrix/outbox`: (1) read, (2) authenticate as a webhook and keep the kit's
/// report, (3) answer.
async fn kit_outbox_report(request: &mut Request, bindings: &Bindings) -> Result<Answer> {
    let signed = match SignedBody::read(request).await? {
        Ok(signed) => signed,
        Err(refused) => return Ok(refused),
    };
    let config = &bindings.config;
    let settings = WebhookSettings { auth: config.webhook_auth.clone(), sync_enabled: config.switches.sync_enabled };
    let credentials = signed.credentials();
    Ok(match crate::app::ingest::ingest_kit_outbox(&bindings.store, &settings, &credentials, &signed.body).await {
        Ok(report) => {
            emit(
                &LogLine::new(if report.dead > 0 { "warn" } else { "info" }, "kit.outbox_reported")
                    .with("waiting", report.waiting)
                    .with("dead", report.dead),
            );
            answers::kit_outbox_recorded()
        }
        Err(failure) => answers::webhook_refused(&failure),
    })
}

/// `POST /webhooks/bitrix/order`: (1) read, (2) authenticate + parse + apply in core, (3) answer,
/// and after the answer (`waitUntil`) hand the new jobs to the queue and remember the event in KV.
async fn bitrix_order_webhook(request: &mut Request, bindings: &Bindings, env: &Env, ctx: &Context) -> Result<Answer> {
    let signed = match SignedBody::read(request).await? {
        Ok(signed) => signed,
        Err(refused) => return Ok(refused),
    };
    let config = &bindings.config;
    let settings = WebhookSettings { auth: config.webhook_auth.clone(), sync_enabled: config.switches.sync_enabled };
    let ports = WebhookPorts { store: &bindings.store, queue: &bindings.queue, cache: &bindings.cache };
    let credentials = signed.credentials();
    let result = ingest_webhook(&ports, &settings, &credentials, &signed.body).await;
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
                    .with("correlation_id", done.event.event_key.as_str())
                    .with("kind", done.event.kind.as_str())
                    .with("bitrix_order_id", done.event.bitrix_order_id.get())
                    .with("outcome", outcome)
                    .with("order_id", done.order_id())
                    .with("recipient_phone", details.recipient_phone.value().map(mask_phone))
                    .with("delivery_address", details.delivery_address.value().map(|a| mask_address(a))),
            );
            answers::webhook_applied(&done)
        }
        Err(failure) => {
            let level = if matches!(failure, WebhookError::Store(_)) { "error" } else { "warn" };
            let answer = answers::webhook_refused(&failure);
            emit(
                &LogLine::new(level, "webhook.refused")
                    .with("status", answer.status)
                    .with("reason", cause_chain(&failure)),
            );
            answer
        }
    })
}

/// `GET /health`: the version, whether PostgREST answers, and the switches; 503
/// `misconfigured` naming each missing secret while production misses one.
async fn health(bindings: &Bindings, missing: &[Missing]) -> Answer {
    let postgrest = match bindings.store.ping().await {
        Ok(()) => "ok",
        Err(error) => {
            emit(&LogLine::new("error", "health.postgrest_unreachable").with("reason", cause_chain(&error)));
            "unreachable"
        }
    };
    // An unusable signing secret refuses every webhook: that is not healthy either.
    let healthy = postgrest == "ok" && !matches!(bindings.config.webhook_auth, WebhookAuth::Misconfigured(_));
    let status = match (missing.is_empty(), healthy) {
        (false, _) => "misconfigured",
        (true, true) => "ok",
        (true, false) => "degraded",
    };
    Answer::json(
        if missing.is_empty() { 200 } else { 503 },
        serde_json::json!({
            "ok": healthy && missing.is_empty(),
            "status": status,
            "environment": bindings.config.environment,
            "misconfigured": missing,
            "version": VERSION,
            "commit": env!("CRM_GIT_COMMIT"),
            "schema": env!("CRM_SCHEMA_VERSION"),
            "postgrest": postgrest,
            "switches": bindings.config.switches,
            "webhook_auth": bindings.config.webhook_auth.mode(),
        }),
    )
}
