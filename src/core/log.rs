//! Log lines: one JSON object per line with an `event` field, personal data masked.

use serde_json::{Map, Value};

use super::phone::{mask_middle, Phone};

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

    /// Adds a field.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.into(), value.into());
        self
    }

    /// The line as JSON text.
    #[must_use]
    pub fn render(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }
}

/// A phone for a log: `+770******34`.
#[must_use]
pub fn mask_phone(phone: &Phone) -> String {
    phone.masked()
}

/// An address for a log: its first six characters (usually the city), the rest starred.
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
        assert_eq!(mask_address("Алматы, пр. Абая 10"), "Алматы*************");
        assert_eq!(mask_phone(&Phone::Kazakh("+77015551234".into())), "+770******34");
    }
}
