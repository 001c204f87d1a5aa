//! The Worker's configuration, read from its vars and secrets (names from SPEC.md) on every
//! request, so that a var changed in the dashboard applies at once.

use std::time::Duration;

use worker::Env;

use crate::app::ingest::WebhookAuth;
use crate::domain::jobs::Switches;
use crate::domain::settings::{
    chat_digest_after, crm_public_url, delivery_risk_minutes, outbound_timeout, retry_delay_scale,
};
use crate::web::deployment::{ConfigFacts, Environment};

/// Binding names, as constants so that a typo is a compile error.
pub mod names {
    pub const SUPABASE_URL: &str = "SUPABASE_URL";
    pub const SUPABASE_SERVICE_KEY: &str = "SUPABASE_SERVICE_KEY";
    pub const WEBHOOK_TOKEN: &str = "WEBHOOK_TOKEN";
    pub const WEBHOOK_SIGNING_SECRET: &str = "WEBHOOK_SIGNING_SECRET";
    pub const CRM_API_TOKEN: &str = "CRM_API_TOKEN";
    pub const BITRIX_API_URL: &str = "BITRIX_API_URL";
    pub const BITRIX_API_TOKEN: &str = "BITRIX_API_TOKEN";
    pub const TELEGRAM_API_URL: &str = "TELEGRAM_API_URL";
    pub const TELEGRAM_BOT_TOKEN: &str = "TELEGRAM_BOT_TOKEN";
    pub const TELEGRAM_CHAT_ID: &str = "TELEGRAM_CHAT_ID";
    pub const SYNC_ENABLED: &str = "SYNC_ENABLED";
    pub const BITRIX_SYNC_ENABLED: &str = "BITRIX_SYNC_ENABLED";
    pub const TELEGRAM_NOTIFICATIONS_ENABLED: &str = "TELEGRAM_NOTIFICATIONS_ENABLED";
    pub const RETRY_DELAY_SCALE: &str = "RETRY_DELAY_SCALE";
    pub const OUTBOUND_TIMEOUT_SECONDS: &str = "OUTBOUND_TIMEOUT_SECONDS";
    pub const SESSION_SECRET: &str = "SESSION_SECRET";
    pub const DELIVERY_RISK_MINUTES: &str = "DELIVERY_RISK_MINUTES";
    pub const CHAT_DIGEST_AFTER: &str = "CHAT_DIGEST_AFTER";
    pub const CRM_PUBLIC_URL: &str = "CRM_PUBLIC_URL";
    pub const SHOP_PHONE: &str = "SHOP_PHONE";
    pub const ENVIRONMENT: &str = "ENVIRONMENT";
    /// The queue for jobs and delayed webhook applies (wrangler.toml).
    pub const JOBS_QUEUE: &str = "JOBS";
    /// The KV namespace for the webhook fast path (wrangler.toml).
    pub const DEDUP_KV: &str = "WEBHOOK_DEDUP";
    /// The R2 bucket for photos people upload (wrangler.toml).
    pub const PHOTOS_BUCKET: &str = "PHOTOS";
    /// The rate limit of the buyer's tracking page, per network (wrangler.toml).
    pub const TRACK_LIMIT: &str = "TRACK_LIMIT";
}

/// Everything the routes and the queue consumer need.
#[derive(Clone)]
pub struct Config {
    pub supabase_url: String,
    pub supabase_service_key: String,
    /// The webhook's proof of origin: a signature when `WEBHOOK_SIGNING_SECRET` is set, else
    /// `WEBHOOK_TOKEN`.
    pub webhook_auth: WebhookAuth,
    pub crm_api_token: String,
    pub bitrix_api_url: String,
    pub bitrix_api_token: String,
    pub telegram_api_url: String,
    pub telegram_bot_token: String,
    pub telegram_chat_id: String,
    pub switches: Switches,
    /// 1.0 in production; a smaller value shortens the retry schedule on the test stack.
    pub retry_delay_scale: f64,
    /// The longest an outbound call (Bitrix, Telegram) may take.
    pub outbound_timeout: Duration,
    /// Signs the staff's session cookie; empty: nobody can log in.
    pub session_secret: String,
    /// How long before a slot its waiting orders are warned about.
    pub delivery_risk_minutes: u32,
    /// How many order messages waiting at once make a digest.
    pub chat_digest_after: u32,
    /// The CRM's own address, for links in messages.
    pub crm_public_url: String,
    /// The shop's phone, on the buyer's tracking page.
    pub shop_phone: String,
    /// Production (by `ENVIRONMENT` or the host) refuses to run half-configured.
    pub environment: Environment,
    /// `WEBHOOK_SIGNING_SECRET` is set (for production's checks).
    pub signing_secret_set: bool,
}

fn text(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).or_else(|| env.secret(name).ok().map(|s| s.to_string()))
}

impl Config {
    /// Reads the bindings; missing secrets are empty strings, which authenticate nothing.
    #[must_use]
    pub fn from_env(env: &Env) -> Config {
        let get = |name| text(env, name).unwrap_or_default();
        Config {
            supabase_url: get(names::SUPABASE_URL).trim_end_matches('/').to_owned(),
            supabase_service_key: get(names::SUPABASE_SERVICE_KEY),
            webhook_auth: WebhookAuth::from_settings(
                get(names::WEBHOOK_TOKEN),
                text(env, names::WEBHOOK_SIGNING_SECRET).as_deref(),
            ),
            crm_api_token: get(names::CRM_API_TOKEN),
            bitrix_api_url: get(names::BITRIX_API_URL),
            bitrix_api_token: get(names::BITRIX_API_TOKEN),
            telegram_api_url: text(env, names::TELEGRAM_API_URL)
                .unwrap_or_else(|| "https://api.telegram.org".into())
                .trim_end_matches('/')
                .to_owned(),
            telegram_bot_token: get(names::TELEGRAM_BOT_TOKEN),
            telegram_chat_id: get(names::TELEGRAM_CHAT_ID),
            switches: Switches::from_vars(
                text(env, names::SYNC_ENABLED).as_deref(),
                text(env, names::BITRIX_SYNC_ENABLED).as_deref(),
                text(env, names::TELEGRAM_NOTIFICATIONS_ENABLED).as_deref(),
            ),
            retry_delay_scale: retry_delay_scale(text(env, names::RETRY_DELAY_SCALE).as_deref()),
            outbound_timeout: outbound_timeout(text(env, names::OUTBOUND_TIMEOUT_SECONDS).as_deref()),
            session_secret: get(names::SESSION_SECRET),
            delivery_risk_minutes: delivery_risk_minutes(text(env, names::DELIVERY_RISK_MINUTES).as_deref()),
            chat_digest_after: chat_digest_after(text(env, names::CHAT_DIGEST_AFTER).as_deref()),
            crm_public_url: crm_public_url(text(env, names::CRM_PUBLIC_URL).as_deref()),
            shop_phone: get(names::SHOP_PHONE),
            environment: Environment::from_vars(
                text(env, names::ENVIRONMENT).as_deref(),
                &crm_public_url(text(env, names::CRM_PUBLIC_URL).as_deref()),
            ),
            signing_secret_set: text(env, names::WEBHOOK_SIGNING_SECRET).is_some_and(|s| !s.trim().is_empty()),
        }
    }

    /// What production's checks need to know of this configuration.
    #[must_use]
    pub fn facts(&self) -> ConfigFacts {
        ConfigFacts {
            environment: self.environment,
            signing_secret_set: self.signing_secret_set,
            session_secret_bytes: self.session_secret.len(),
            service_key_set: !self.supabase_service_key.trim().is_empty(),
        }
    }

    /// Every secret, for keeping them out of stored errors and log lines.
    #[must_use]
    pub fn secrets(&self) -> Vec<&str> {
        let mut secrets = vec![
            self.telegram_bot_token.as_str(),
            self.bitrix_api_token.as_str(),
            self.supabase_service_key.as_str(),
            self.crm_api_token.as_str(),
            self.session_secret.as_str(),
        ];
        if let WebhookAuth::Token(token) = &self.webhook_auth {
            secrets.push(token);
        }
        secrets
    }
}
