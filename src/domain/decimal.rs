//! Exact decimals for money and quantities: parsed once from Bitrix's strings, never a float.
//!
//! Bitrix's `sale` module keeps prices and quantities as DECIMAL(18,4) and sends them as strings
//! ("7500.00", "1.0000"). `Money` and `Quantity` hold ten-thousandths in an `i64` and print
//! themselves back as the shortest exact decimal with at least two places ("7500.00", "0.3333").

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const SCALE_DIGITS: u32 = 4;
const SCALE: i64 = 10_i64.pow(SCALE_DIGITS);

/// Why a decimal string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("is empty")]
    Empty,
    #[error("is not a decimal number: {0:?}")]
    NotANumber(String),
    #[error("has more than {SCALE_DIGITS} digits after the decimal point: {0:?}")]
    TooPrecise(String),
    #[error("is too large: {0:?}")]
    TooLarge(String),
    #[error("must not be negative: {0:?}")]
    Negative(String),
}

/// A non-negative fixed-point number with four decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
struct Fixed4(i64);

impl Fixed4 {
    /// Accepts `123`, `123.4`, `123,45`, `1 234.50`, `+5`; refuses signs other than `+`,
    /// exponents, more than four decimals and anything that is not a digit.
    fn parse(raw: &str) -> Result<Self, DecimalError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DecimalError::Empty);
        }
        if trimmed.starts_with('-') {
            return Err(DecimalError::Negative(raw.to_owned()));
        }
        let unsigned = trimmed.strip_prefix('+').unwrap_or(trimmed);
        // Thousands separators Bitrix may print: plain and non-breaking spaces.
        let compact: String = unsigned.chars().filter(|c| *c != ' ' && *c != '\u{a0}').collect();
        let compact = compact.replace(',', ".");
        let (whole, fraction) = match compact.split_once('.') {
            Some((w, f)) => (w, f),
            None => (compact.as_str(), ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
            return Err(DecimalError::NotANumber(raw.to_owned()));
        }
        let significant_fraction = fraction.trim_end_matches('0');
        if significant_fraction.len() > SCALE_DIGITS as usize {
            return Err(DecimalError::TooPrecise(raw.to_owned()));
        }
        let too_large = || DecimalError::TooLarge(raw.to_owned());
        let whole_value: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_large())? };
        let mut fraction_value: i64 = 0;
        for position in 0..SCALE_DIGITS as usize {
            let digit = significant_fraction.as_bytes().get(position).map_or(0, |b| i64::from(b - b'0'));
            fraction_value = fraction_value * 10 + digit;
        }
        whole_value
            .checked_mul(SCALE)
            .and_then(|scaled| scaled.checked_add(fraction_value))
            .map(Fixed4)
            .ok_or_else(too_large)
    }

    fn checked_mul(self, other: Fixed4) -> Option<Fixed4> {
        let product = i128::from(self.0) * i128::from(other.0) / i128::from(SCALE);
        i64::try_from(product).ok().map(Fixed4)
    }

    fn checked_add(self, other: Fixed4) -> Option<Fixed4> {
        self.0.checked_add(other.0).map(Fixed4)
    }
}

impl fmt::Display for Fixed4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / SCALE;
        let fraction = self.0 % SCALE;
        let digits = format!("{fraction:04}");
        let trimmed = digits.trim_end_matches('0');
        let shown = if trimmed.len() < 2 { &digits[..2] } else { trimmed };
        write!(f, "{whole}.{shown}")
    }
}

macro_rules! exact_decimal {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(Fixed4);

        impl $name {
            /// Parses a Bitrix decimal string exactly.
            ///
            /// # Errors
            /// A [`DecimalError`] saying what is wrong with the text.
            pub fn parse(raw: &str) -> Result<Self, DecimalError> {
                Fixed4::parse(raw).map(Self)
            }

            /// The value in ten-thousandths, for arithmetic in tests and reports.
            #[must_use]
            pub fn ten_thousandths(self) -> i64 {
                self.0 .0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        /// Serialized as a JSON string so that no JSON reader turns it into a float.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        /// Read from the decimal text the store gives (`numeric::text`), exactly.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

exact_decimal!(
    /// An amount of money in the order's currency (KZT for cvety.kz).
    Money
);
exact_decimal!(
    /// How many of a basket line were ordered (Bitrix allows fractions, e.g. by weight).
    Quantity
);

impl Quantity {
    /// As people write a count: `1`, `2`, `0.5`, `1.25` (no trailing zeros).
    #[must_use]
    pub fn plain(self) -> String {
        let text = self.to_string();
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

impl Money {
    /// The line total `price × quantity`, rounded down to the ten-thousandth; `None` on overflow.
    #[must_use]
    pub fn times(self, quantity: Quantity) -> Option<Money> {
        self.0.checked_mul(quantity.0).map(Money)
    }

    /// The sum of two amounts; `None` on overflow.
    #[must_use]
    pub fn plus(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// This amount less `other`; `None` on overflow.
    #[must_use]
    pub fn minus(self, other: Money) -> Option<Money> {
        self.0 .0.checked_sub(other.0 .0).map(|units| Money(Fixed4(units)))
    }

    /// More than nothing.
    #[must_use]
    pub fn is_positive(self) -> bool {
        self.0 .0 > 0
    }

    /// This amount shared by `count`, rounded half up to the tiyn (0.01); `None` for none.
    #[must_use]
    pub fn divided_by(self, count: u64) -> Option<Money> {
        let count = i64::try_from(count).ok().filter(|c| *c > 0)?;
        let cents = (i128::from(self.0 .0) * 2 / i128::from(count) + 100) / 200;
        i64::try_from(cents * 100).ok().map(|units| Money(Fixed4(units)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bitrix_money_strings_parse_to_exact_values_and_print_canonically() {
        let cases = [
            ("7500.00", "7500.00"),
            ("7500", "7500.00"),
            ("7500.5", "7500.50"),
            ("0.3333", "0.3333"),
            ("1.0000", "1.00"),
            ("1 234,50", "1234.50"),
            ("+15", "15.00"),
            (".5", "0.50"),
            ("12.", "12.00"),
            ("6666.66670000", "6666.6667"),
        ];
        for (raw, printed) in cases {
            assert_eq!(Money::parse(raw).unwrap().to_string(), printed, "input {raw:?}");
        }
    }

    #[test]
    fn text_that_is_not_an_exact_non_negative_decimal_is_refused_with_a_reason() {
        assert_eq!(Money::parse("  "), Err(DecimalError::Empty));
        assert!(matches!(Money::parse("-5"), Err(DecimalError::Negative(_))));
        assert!(matches!(Money::parse("1e3"), Err(DecimalError::NotANumber(_))));
        assert!(matches!(Money::parse("."), Err(DecimalError::NotANumber(_))));
        assert!(matches!(Money::parse("12.3.4"), Err(DecimalError::NotANumber(_))));
        assert!(matches!(Money::parse("0.00001"), Err(DecimalError::TooPrecise(_))));
        assert!(matches!(Money::parse("99999999999999999999"), Err(DecimalError::TooLarge(_))));
    }

    #[test]
    fn money_is_serialized_as_a_json_string_not_a_float() {
        let json = serde_json::to_string(&Money::parse("0.10").unwrap()).unwrap();
        assert_eq!(json, "\"0.10\"");
    }

    #[test]
    fn money_is_read_back_exactly_from_the_stores_decimal_text() {
        let money: Money = serde_json::from_value(serde_json::json!("1234567.8901")).unwrap();
        assert_eq!(money.ten_thousandths(), 12_345_678_901);
        assert!(serde_json::from_value::<Money>(serde_json::json!(1.5)).is_err(), "never through a float");
    }

    #[test]
    fn a_quantity_is_written_as_people_count() {
        for (raw, plain) in [("1.0000", "1"), ("2", "2"), ("0.5", "0.5"), ("1.25", "1.25"), ("10", "10"), ("0", "0")] {
            assert_eq!(Quantity::parse(raw).unwrap().plain(), plain, "{raw}");
        }
    }

    #[test]
    fn an_average_is_rounded_half_up_to_the_tiyn() {
        let share = |amount: &str, count| Money::parse(amount).unwrap().divided_by(count).map(|m| m.to_string());
        assert_eq!(share("100", 3).as_deref(), Some("33.33"));
        assert_eq!(share("200", 3).as_deref(), Some("66.67"));
        assert_eq!(share("0.01", 2).as_deref(), Some("0.01"), "half a tiyn rounds up");
        assert_eq!(share("16500", 1).as_deref(), Some("16500.00"));
        assert_eq!(share("100", 0), None);
    }

    #[test]
    fn a_line_total_is_price_times_quantity_exactly() {
        let total = Money::parse("7500.00").unwrap().times(Quantity::parse("3").unwrap()).unwrap();
        assert_eq!(total.to_string(), "22500.00");
        let half = Money::parse("0.10").unwrap().times(Quantity::parse("0.5").unwrap()).unwrap();
        assert_eq!(half.to_string(), "0.05");
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_back_the_same_amount(units in 0_i64..10_000_000_000_000) {
            let money = Money(Fixed4(units));
            prop_assert_eq!(Money::parse(&money.to_string()).unwrap(), money);
        }

        #[test]
        fn any_two_decimal_price_parses_to_its_exact_value(whole in 0_u32..10_000_000, cents in 0_u32..100) {
            let money = Money::parse(&format!("{whole}.{cents:02}")).unwrap();
            prop_assert_eq!(money.ten_thousandths(), i64::from(whole) * 10_000 + i64::from(cents) * 100);
        }

        #[test]
        fn parsing_never_panics_on_arbitrary_text(raw in ".{0,40}") {
            let _ = Money::parse(&raw);
        }
    }
}
