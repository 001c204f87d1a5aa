//! Which deployment this is and what production refuses to run without; the headers every
//! answer carries; secrets kept out of every text we store, show or log. Not the secrets
//! themselves (the edge reads them) nor the webhook's proof (`service::WebhookAuth`).

/// `Strict-Transport-Security` on every answer: browsers keep to HTTPS for a year on
/// crm.cvety.kz and below it. Over plain HTTP (the local stacks on 127.0.0.1) browsers ignore it
/// (RFC 6797 8.1), and never keep it for an IP address, so it is sent everywhere alike.
pub const HSTS: (&str, &str) = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains");

/// `Cache-Control` on every JSON answer: they carry orders, phones and addresses.
pub const NO_STORE: (&str, &str) = ("Cache-Control", "no-store");

/// The shortest `SESSION_SECRET` production takes (HMAC-SHA256's block of security).
pub const MIN_SESSION_SECRET_BYTES: usize = 32;

/// The production host: a Worker serving it is production whatever `ENVIRONMENT` says.
pub const PRODUCTION_URL: &str = "https://crm.cvety.kz";

/// Where the Worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Production,
    Development,
}

impl Environment {
    /// `ENVIRONMENT=production`, or the production host as `CRM_PUBLIC_URL` (so a forgotten
    /// `ENVIRONMENT` still gets production's checks); anything else is development.
    #[must_use]
    pub fn from_vars(environment: Option<&str>, crm_public_url: &str) -> Environment {
        let named = environment.is_some_and(|e| e.trim().eq_ignore_ascii_case("production"));
        let host = crm_public_url.trim_end_matches('/').eq_ignore_ascii_case(PRODUCTION_URL);
        if named || host {
            Environment::Production
        } else {
            Environment::Development
        }
    }
}

/// What the configuration has, as far as production's checks need to know (never a value).
#[derive(Debug, Clone, Copy)]
pub struct ConfigFacts {
    pub environment: Environment,
    /// `WEBHOOK_SIGNING_SECRET` is set (usable or not: an unusable one is refused elsewhere).
    pub signing_secret_set: bool,
    pub session_secret_bytes: usize,
    pub service_key_set: bool,
}

/// One thing production cannot run without, named by its setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Missing {
    pub setting: &'static str,
    pub why: &'static str,
}

/// What is wrong with production's configuration, each named; empty in development and when
/// production has everything. Production answers nothing but `/health` (503 `misconfigured`,
/// naming these) until it is empty: a half-configured Worker never takes a webhook in token
/// mode or a login with a guessable session key.
#[must_use]
pub fn misconfigured(facts: &ConfigFacts) -> Vec<Missing> {
    if facts.environment != Environment::Production {
        return Vec::new();
    }
    let mut missing = Vec::new();
    if !facts.signing_secret_set {
        missing.push(Missing {
            setting: "WEBHOOK_SIGNING_SECRET",
            why: "not set: production takes only signed webhooks, never the token alone",
        });
    }
    if facts.session_secret_bytes < MIN_SESSION_SECRET_BYTES {
        missing.push(Missing { setting: "SESSION_SECRET", why: "shorter than 32 bytes" });
    }
    if !facts.service_key_set {
        missing.push(Missing { setting: "SUPABASE_SERVICE_KEY", why: "not set" });
    }
    missing
}

/// What stands in a text for a secret that was in it.
pub const REDACTED: &str = "[redacted]";

/// `text` with every occurrence of each secret (as written, and percent-encoded as in a URL)
/// replaced by [`REDACTED`]. Secrets shorter than 4 characters are not looked for (they would
/// blank out ordinary words; no real secret is that short).
#[must_use]
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(secret, REDACTED);
        let encoded: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        if encoded != *secret {
            out = out.replace(&encoded, REDACTED);
        }
        let percent_colon = secret.replace(':', "%3A");
        if percent_colon != *secret {
            out = out.replace(&percent_colon, REDACTED);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn production(signing: bool, session: usize, key: bool) -> ConfigFacts {
        ConfigFacts {
            environment: Environment::Production,
            signing_secret_set: signing,
            session_secret_bytes: session,
            service_key_set: key,
        }
    }

    fn settings(missing: &[Missing]) -> Vec<&str> {
        missing.iter().map(|m| m.setting).collect()
    }

    #[test]
    fn production_names_each_missing_secret_and_development_names_none() {
        assert_eq!(
            settings(&misconfigured(&production(false, 31, false))),
            ["WEBHOOK_SIGNING_SECRET", "SESSION_SECRET", "SUPABASE_SERVICE_KEY"]
        );
        assert!(misconfigured(&production(true, 32, true)).is_empty(), "32 bytes are enough");
        assert_eq!(settings(&misconfigured(&production(true, 0, true))), ["SESSION_SECRET"]);
        let dev = ConfigFacts { environment: Environment::Development, ..production(false, 0, false) };
        assert!(misconfigured(&dev).is_empty());
    }

    #[test]
    fn production_is_named_by_its_var_or_by_its_host() {
        assert_eq!(Environment::from_vars(Some(" Production "), "http://127.0.0.1:8787"), Environment::Production);
        assert_eq!(Environment::from_vars(None, "https://crm.cvety.kz/"), Environment::Production);
        assert_eq!(Environment::from_vars(Some("development"), "http://127.0.0.1:8787"), Environment::Development);
        assert_eq!(Environment::from_vars(None, "https://crm.cvety.kz.evil.example"), Environment::Development);
    }

    #[test]
    fn a_secret_is_redacted_as_written_and_as_a_url_carries_it() {
        let token = "123456:AAdev-token";
        let text = format!("bad URL htp://x/bot{token}/sendMessage and htp://x/bot123456%3AAAdev-token");
        let clean = redact(&text, &[token, ""]);
        assert!(!clean.contains("AAdev-token"), "{clean}");
        assert_eq!(clean.matches(REDACTED).count(), 2);
        assert_eq!(redact("a b c", &["a"]), "a b c", "too short to look for");
    }
}
