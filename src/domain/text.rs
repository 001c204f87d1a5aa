//! Text rules every input and output shares: U+0000 (which PostgreSQL's `text` and `jsonb`
//! cannot hold, and which means nothing in a name or an address) is removed once, where a JSON
//! body enters; text quoted back in logs, error details and job errors is clipped to a bound.

use serde_json::{Map, Value};

/// The one character PostgreSQL refuses in `text` and `jsonb` (`22P05`).
pub const NUL: char = '\0';

/// At most this many characters of outside text are quoted in a log field, an error detail or
/// a job's `last_error`: a 5,000-character address never makes a 5,000-character log line.
pub const QUOTE_CHARS: usize = 200;

/// Where U+0000 was removed from a JSON body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// How many U+0000 characters were removed in all.
    pub removed: usize,
    /// The paths of the first few cleaned values (`data.properties.nameRecipient`).
    pub paths: Vec<String>,
}

impl Cleaned {
    /// True when the body held no U+0000.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.removed == 0
    }
}

/// How many cleaned paths are named; the count covers the rest.
const NAMED_PATHS: usize = 10;

/// Removes U+0000 from every string and every object key of `value`, in place. A key that only
/// differed from another by U+0000 is dropped, so a clean key always keeps its own value.
/// Recursion is bounded by the depth `serde_json` accepts (128).
pub fn remove_nul(value: &mut Value) -> Cleaned {
    let mut cleaned = Cleaned::default();
    clean_value(value, &mut String::new(), &mut cleaned);
    cleaned
}

fn note(cleaned: &mut Cleaned, path: &str, removed: usize) {
    cleaned.removed += removed;
    if cleaned.paths.len() < NAMED_PATHS {
        cleaned.paths.push(if path.is_empty() { "(body)".to_owned() } else { path.to_owned() });
    }
}

fn without_nul(text: &str) -> Option<(String, usize)> {
    let removed = text.matches(NUL).count();
    (removed > 0).then(|| (text.replace(NUL, ""), removed))
}

fn clean_value(value: &mut Value, path: &mut String, cleaned: &mut Cleaned) {
    match value {
        Value::String(text) => {
            if let Some((clean, removed)) = without_nul(text) {
                *text = clean;
                note(cleaned, path, removed);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let length = path.len();
                path.push_str(&format!("[{index}]"));
                clean_value(item, path, cleaned);
                path.truncate(length);
            }
        }
        Value::Object(fields) => {
            if fields.keys().any(|key| key.contains(NUL)) {
                *fields = clean_keys(std::mem::take(fields), path, cleaned);
            }
            for (key, item) in fields.iter_mut() {
                let length = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                clean_value(item, path, cleaned);
                path.truncate(length);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn clean_keys(fields: Map<String, Value>, path: &str, cleaned: &mut Cleaned) -> Map<String, Value> {
    let (dirty, clean): (Vec<_>, Vec<_>) = fields.into_iter().partition(|(key, _)| key.contains(NUL));
    let mut kept: Map<String, Value> = clean.into_iter().collect();
    for (key, item) in dirty {
        let (clean_key, removed) = without_nul(&key).unwrap_or((key, 0));
        note(cleaned, &format!("{path}{}{clean_key}", if path.is_empty() { "" } else { "." }), removed);
        kept.entry(clean_key).or_insert(item);
    }
    kept
}

/// At most `max_chars` characters of `text`, ending in `…` when it was cut.
#[must_use]
pub fn clip(text: &str, max_chars: usize) -> String {
    let mut chars = text.char_indices();
    match chars.nth(max_chars.saturating_sub(1)) {
        Some((at, _)) if chars.next().is_some() => {
            let mut clipped = text[..at].to_owned();
            clipped.push('…');
            clipped
        }
        _ => text.to_owned(),
    }
}

/// Outside text as it may be quoted: at most [`QUOTE_CHARS`] characters.
#[must_use]
pub fn quote(text: &str) -> String {
    clip(text, QUOTE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_is_removed_from_every_string_and_the_paths_are_named() {
        let mut body = json!({"event": "order.create", "data": {"ID": "1",
            "properties": {"nameRecipient": "Ай\u{0}герим"}, "basket": [{"NAME": "Букет\u{0}\u{0}"}]}});

        let cleaned = remove_nul(&mut body);

        assert_eq!(body["data"]["properties"]["nameRecipient"], "Айгерим");
        assert_eq!(body["data"]["basket"][0]["NAME"], "Букет");
        assert_eq!(cleaned.removed, 3);
        assert_eq!(cleaned.paths, vec!["data.basket[0].NAME", "data.properties.nameRecipient"]);
    }

    #[test]
    fn a_key_with_nul_is_cleaned_but_never_overrides_the_clean_key() {
        let mut body = json!({"ID": "1", "ID\u{0}": "666", "na\u{0}me": "x"});

        let cleaned = remove_nul(&mut body);

        assert_eq!(body, json!({"ID": "1", "name": "x"}));
        assert_eq!(cleaned.removed, 2);
    }

    #[test]
    fn a_body_without_nul_is_left_as_it_is() {
        let mut body = json!({"a": ["x", 1, null, {"b": true}]});
        let before = body.clone();
        assert!(remove_nul(&mut body).is_clean());
        assert_eq!(body, before);
    }

    #[test]
    fn only_a_few_paths_are_named_however_many_values_were_cleaned() {
        let mut body = Value::Array((0..50).map(|_| json!("\u{0}")).collect());
        let cleaned = remove_nul(&mut body);
        assert_eq!((cleaned.removed, cleaned.paths.len()), (50, NAMED_PATHS));
    }

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text_with_an_ellipsis() {
        assert_eq!(clip("Алматы", 6), "Алматы");
        assert_eq!(clip("Алматы, пр. Абая", 6), "Алмат…");
        assert_eq!(quote(&"ы".repeat(5000)).chars().count(), QUOTE_CHARS);
    }
}
