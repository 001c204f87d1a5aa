//! Log lines: one JSON object per line with an `event` field, personal data masked, every
//! field bounded: a line never grows with the input that caused it.

use serde_json::{Map, Value};

use crate::domain::phone::{mask_middle, Phone};
use crate::domain::text::{quote, QUOTE_CHARS};

/// Builds one log line.
#[derive(Debug, Default)]
pub struct LogLine(Map<String, Value>);

impl LogLine {
    /// A line for `event` (`webhook.applied`, `webhook.refused`, …) at `level`.
    #[must_use]
    pub fn new(level: &str, event: &str) -> Self {
        let mut fields = Map::new();
        fields.insert("level".into(), level.into());
        fields.insert("event".into(), event.into());
        LogLine(fields)
    }

    /// Adds a field: text is clipped to [`QUOTE_CHARS`] characters, and a structured value whose
    /// JSON is longer than that is logged as its clipped JSON text.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.into(), bounded(value.into()));
        self
    }

    /// The line as JSON text.
    #[must_use]
    pub fn render(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }
}

fn bounded(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(quote(&text)),
        Value::Array(_) | Value::Object(_) => {
            let json = value.to_string();
            if json.chars().count() > QUOTE_CHARS {
                Value::String(quote(&json))
            } else {
                value
            }
        }
        scalar => scalar,
    }
}

/// A phone for a log: `+770******34`.
#[must_use]
pub fn mask_phone(phone: &Phone) -> String {
    phone.masked()
}

/// An address for a log: its first six characters (usually the city), then a few stars.
#[must_use]
pub fn mask_address(address: &str) -> String {
    mask_middle(address, 6, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_is_one_json_object_with_its_event() {
        let line = LogLine::new("info", "webhook.applied").with("bitrix_order_id", 5).render();
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["event"], "webhook.applied");
        assert_eq!(parsed["bitrix_order_id"], 5);
        assert!(!line.contains('\n'));
    }

    #[test]
    fn addresses_and_phones_are_masked() {
        assert_eq!(mask_address("Алматы, пр. Абая 10"), "Алматы********");
        assert_eq!(mask_phone(&Phone::Kazakh("+77015551234".into())), "+770******34");
    }

    #[test]
    fn a_five_thousand_character_field_makes_a_short_line() {
        let address = "Алматы, ".repeat(625);
        let line = LogLine::new("info", "webhook.accepted")
            .with("delivery_address", mask_address(&address))
            .with("reason", address.clone())
            .with("message", serde_json::json!({"body": address}))
            .render();
        assert!(line.chars().count() < 600, "{} characters", line.chars().count());
        assert_eq!(mask_address(&address), "Алматы********");
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert!(parsed["reason"].as_str().unwrap().ends_with('…'));
    }
}
