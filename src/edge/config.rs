//! The Worker's configuration, read from its vars and secrets (names from SPEC.md).

use worker::Env;

/// Binding names, as constants so that a typo is a compile error.
pub mod names {
    pub const SUPABASE_URL: &str = "SUPABASE_URL";
    pub const SUPABASE_SERVICE_KEY: &str = "SUPABASE_SERVICE_KEY";
    pub const WEBHOOK_TOKEN: &str = "WEBHOOK_TOKEN";
    pub const SYNC_ENABLED: &str = "SYNC_ENABLED";
    pub const BITRIX_SYNC_ENABLED: &str = "BITRIX_SYNC_ENABLED";
    pub const TELEGRAM_NOTIFICATIONS_ENABLED: &str = "TELEGRAM_NOTIFICATIONS_ENABLED";
}

/// Everything the routes need, read once per request (vars change without a code deploy).
#[derive(Clone)]
pub struct Config {
    pub supabase_url: String,
    pub supabase_service_key: String,
    pub webhook_token: String,
    pub switches: Switches,
}

/// SPEC.md's three switches.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Switches {
    pub sync_enabled: bool,
    pub bitrix_sync_enabled: bool,
    pub telegram_notifications_enabled: bool,
}

fn text(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).or_else(|| env.secret(name).ok().map(|s| s.to_string()))
}

/// A switch is on unless it says `false`, `0`, `off` or `no`: a missing var never turns a flow off.
fn switch(env: &Env, name: &str) -> bool {
    !matches!(text(env, name).as_deref().map(str::trim).map(str::to_ascii_lowercase).as_deref(), Some("false" | "0" | "off" | "no"))
}

impl Config {
    /// Reads the bindings; missing secrets are empty strings, which authenticate nothing.
    #[must_use]
    pub fn from_env(env: &Env) -> Config {
        Config {
            supabase_url: text(env, names::SUPABASE_URL).unwrap_or_default().trim_end_matches('/').to_owned(),
            supabase_service_key: text(env, names::SUPABASE_SERVICE_KEY).unwrap_or_default(),
            webhook_token: text(env, names::WEBHOOK_TOKEN).unwrap_or_default(),
            switches: Switches {
                sync_enabled: switch(env, names::SYNC_ENABLED),
                bitrix_sync_enabled: switch(env, names::BITRIX_SYNC_ENABLED),
                telegram_notifications_enabled: switch(env, names::TELEGRAM_NOTIFICATIONS_ENABLED),
            },
        }
    }
}
