//! Phone numbers: normalised once to E.164 for Kazakhstan (+7…), and masked for logs.

use serde::{Serialize, Serializer};

/// A phone number as the shop should store it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phone {
    /// A Kazakh (+7) number in E.164 form: `+77015551234`.
    Kazakh(String),
    /// Text that is not a recognisable +7 number, kept as typed (trimmed) so nothing is lost.
    Unrecognised(String),
}

impl Phone {
    /// Normalises `+7 (701) 555-12-34`, `87015551234`, `7015551234` to `+77015551234`.
    /// Returns `None` for empty text.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Phone> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return None;
        }
        let has_only_phone_characters =
            trimmed.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | ' ' | '.' | '\u{a0}'));
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let national = match digits.len() {
            11 if digits.starts_with('7') || digits.starts_with('8') => Some(&digits[1..]),
            10 if digits.starts_with('7') => Some(&digits[..]),
            _ => None,
        };
        Some(match national {
            Some(national) if has_only_phone_characters => Phone::Kazakh(format!("+7{national}")),
            _ => Phone::Unrecognised(trimmed.to_owned()),
        })
    }

    /// The text to store.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Phone::Kazakh(s) | Phone::Unrecognised(s) => s,
        }
    }

    /// `+7701*****34`: enough to tell two numbers apart in a log, not enough to call.
    #[must_use]
    pub fn masked(&self) -> String {
        mask_middle(self.as_str(), 4, 2)
    }
}

impl Serialize for Phone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// At most this many stars stand for the hidden middle, so a mask has a fixed length.
const MAX_STARS: usize = 8;

/// Keeps the first `head` and last `tail` characters and stars the rest (at most eight stars:
/// the mask says something was there, not how long it was).
#[must_use]
pub fn mask_middle(text: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len().min(MAX_STARS));
    }
    let mut masked: String = chars[..head].iter().collect();
    masked.push_str(&"*".repeat((chars.len() - head - tail).min(MAX_STARS)));
    masked.extend(&chars[chars.len() - tail..]);
    masked
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_ways_kazakh_numbers_are_typed_all_normalise_to_e164() {
        for raw in ["+7 (701) 555-12-34", "87015551234", "7015551234", "+77015551234", " 8 701 555 12 34 "] {
            assert_eq!(Phone::parse(raw), Some(Phone::Kazakh("+77015551234".into())), "{raw}");
        }
    }

    #[test]
    fn a_number_that_is_not_kazakh_is_kept_as_typed_and_empty_text_is_no_phone() {
        assert_eq!(Phone::parse("+49 30 1234567"), Some(Phone::Unrecognised("+49 30 1234567".into())));
        assert_eq!(Phone::parse("звонить маме"), Some(Phone::Unrecognised("звонить маме".into())));
        assert_eq!(Phone::parse("   "), None);
    }

    #[test]
    fn a_masked_phone_shows_only_its_prefix_and_last_two_digits() {
        assert_eq!(Phone::parse("87015551234").unwrap().masked(), "+770******34");
        assert_eq!(mask_middle("abc", 4, 2), "***");
    }

    proptest! {
        #[test]
        fn any_ten_digit_national_number_normalises_the_same_from_8_and_plus7(rest in "[0-9]{9}") {
            let from_8 = Phone::parse(&format!("87{rest}"));
            let from_plus7 = Phone::parse(&format!("+7 7{rest}"));
            prop_assert_eq!(from_8.clone(), from_plus7);
            prop_assert_eq!(from_8, Some(Phone::Kazakh(format!("+77{rest}"))));
        }
    }
}
