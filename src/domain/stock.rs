//! A product's availability in Bitrix's catalogue: the `IN_STOCK` property's two codes and
//! what they mean. Its own home, so that the catalogue's reading and the CRM's views both use it.

use serde::{Deserialize, Serialize};

/// `metadata.properties.IN_STOCK` values of the Bitrix catalogue.
pub const IN_STOCK: &str = "158";
pub const OUT_OF_STOCK: &str = "159";

/// A product's availability in the catalogue (`metadata.properties.IN_STOCK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stock {
    /// `"158"`.
    InStock,
    /// `"159"`.
    OutOfStock,
    /// Not set, or a code the CRM does not know.
    Unknown,
}

impl Stock {
    /// Reads the catalogue code.
    #[must_use]
    pub fn from_code(code: Option<&str>) -> Stock {
        match code {
            Some(IN_STOCK) => Stock::InStock,
            Some(OUT_OF_STOCK) => Stock::OutOfStock,
            _ => Stock::Unknown,
        }
    }

    /// The catalogue code to store for "available" or not.
    #[must_use]
    pub fn code_for(available: bool) -> &'static str {
        if available {
            IN_STOCK
        } else {
            OUT_OF_STOCK
        }
    }

    /// What the staff read on the badge.
    #[must_use]
    pub fn label_ru(self) -> &'static str {
        match self {
            Stock::InStock => "В наличии",
            Stock::OutOfStock => "Нет в наличии",
            Stock::Unknown => "Наличие не указано",
        }
    }
}

impl<'de> Deserialize<'de> for Stock {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = Option::<String>::deserialize(deserializer)?;
        Ok(Stock::from_code(code.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_codes_read_into_availability_and_back() {
        assert_eq!(Stock::from_code(Some("158")), Stock::InStock);
        assert_eq!(Stock::from_code(Some("159")), Stock::OutOfStock);
        assert_eq!(Stock::from_code(Some("160")), Stock::Unknown);
        assert_eq!(Stock::from_code(None), Stock::Unknown);
        assert_eq!((Stock::code_for(true), Stock::code_for(false)), ("158", "159"));
    }
}
