//! The Worker's vars read into typed settings, with the defaults that keep the shop running
//! when a var is missing or unreadable: a switch is on unless it clearly says off.

use std::time::Duration;

use crate::domain::jobs::Switches;

/// A switch is on unless it says `false`, `0`, `off` or `no` (any case, spaces ignored): a
/// missing or unreadable var never turns a flow off.
#[must_use]
pub fn switch_on(value: Option<&str>) -> bool {
    let value = value.map(|v| v.trim().to_ascii_lowercase());
    !matches!(value.as_deref(), Some("false" | "0" | "off" | "no"))
}

impl Switches {
    /// The three switches from their vars (`SYNC_ENABLED`, `BITRIX_SYNC_ENABLED`,
    /// `TELEGRAM_NOTIFICATIONS_ENABLED`).
    #[must_use]
    pub fn from_vars(sync: Option<&str>, bitrix: Option<&str>, telegram: Option<&str>) -> Switches {
        Switches {
            sync_enabled: switch_on(sync),
            bitrix_sync_enabled: switch_on(bitrix),
            telegram_notifications_enabled: switch_on(telegram),
        }
    }
}

/// `RETRY_DELAY_SCALE`: a number in [0, 1] that shortens our own waits on the test stack;
/// anything else (missing, unreadable, out of range) is 1, the production schedule.
#[must_use]
pub fn retry_delay_scale(value: Option<&str>) -> f64 {
    value.and_then(|v| v.trim().parse::<f64>().ok()).filter(|scale| (0.0..=1.0).contains(scale)).unwrap_or(1.0)
}

/// No outbound call (Bitrix gateway, Telegram) waits longer than this by default.
pub const OUTBOUND_TIMEOUT: Duration = Duration::from_secs(15);

/// `OUTBOUND_TIMEOUT_SECONDS`: 1 to 30 seconds; anything else is [`OUTBOUND_TIMEOUT`]. The test
/// stack shortens it so that a hanging peer costs its test seconds, not the whole suite.
#[must_use]
pub fn outbound_timeout(value: Option<&str>) -> Duration {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|seconds| (1..=30).contains(seconds))
        .map_or(OUTBOUND_TIMEOUT, Duration::from_secs)
}

/// How long before a slot starts its waiting orders are warned about, by default.
pub const DELIVERY_RISK_MINUTES: u32 = 120;

/// `DELIVERY_RISK_MINUTES`: 1 to 720; anything else is [`DELIVERY_RISK_MINUTES`].
#[must_use]
pub fn delivery_risk_minutes(value: Option<&str>) -> u32 {
    value
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|minutes| (1..=720).contains(minutes))
        .unwrap_or(DELIVERY_RISK_MINUTES)
}

/// `CHAT_DIGEST_AFTER`: 2 to 1,000 order messages waiting at once; anything else is
/// [`crate::domain::jobs::DIGEST_AFTER`].
#[must_use]
pub fn chat_digest_after(value: Option<&str>) -> u32 {
    value
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|count| (2..=1000).contains(count))
        .unwrap_or(crate::domain::jobs::DIGEST_AFTER)
}

/// The CRM's own address for links in messages, by default.
pub const CRM_PUBLIC_URL: &str = "https://crm.cvety.kz";

/// `CRM_PUBLIC_URL`: an `http(s)://` address without a trailing slash; anything else is
/// [`CRM_PUBLIC_URL`].
#[must_use]
pub fn crm_public_url(value: Option<&str>) -> String {
    value
        .map(|v| v.trim().trim_end_matches('/'))
        .filter(|v| {
            (v.starts_with("https://") || v.starts_with("http://")) && v.len() > 8 && !v.contains(char::is_whitespace)
        })
        .unwrap_or(CRM_PUBLIC_URL)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_unreadable_switch_counts_as_on() {
        for value in [None, Some(""), Some("true"), Some("maybe"), Some("1"), Some("ja"), Some("disabled")] {
            assert!(switch_on(value), "{value:?}");
        }
        for value in ["false", "FALSE", " off ", "0", "No"] {
            assert!(!switch_on(Some(value)), "{value:?}");
        }
    }

    #[test]
    fn each_switch_is_read_from_its_own_var() {
        let switches = Switches::from_vars(Some("false"), None, Some("off"));
        assert_eq!(
            switches,
            Switches { sync_enabled: false, bitrix_sync_enabled: true, telegram_notifications_enabled: false }
        );
    }

    #[test]
    fn the_retry_scale_and_the_timeout_fall_back_to_production_values() {
        assert_eq!(retry_delay_scale(Some("0.01")), 0.01);
        for value in [None, Some("2"), Some("-1"), Some("x"), Some("NaN")] {
            assert_eq!(retry_delay_scale(value), 1.0, "{value:?}");
        }
        assert_eq!(delivery_risk_minutes(Some("45")), 45);
        for value in [None, Some("0"), Some("721"), Some("x")] {
            assert_eq!(delivery_risk_minutes(value), 120, "{value:?}");
        }
        assert_eq!(crm_public_url(Some("http://127.0.0.1:8787/")), "http://127.0.0.1:8787");
        for value in [None, Some(""), Some("crm.cvety.kz"), Some("javascript:alert(1)"), Some("https:// x")] {
            assert_eq!(crm_public_url(value), "https://crm.cvety.kz", "{value:?}");
        }
        assert_eq!(outbound_timeout(Some("2")), Duration::from_secs(2));
        for value in [None, Some("0"), Some("31"), Some("x")] {
            assert_eq!(outbound_timeout(value), OUTBOUND_TIMEOUT, "{value:?}");
        }
    }
}
