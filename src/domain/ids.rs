//! Bitrix's numeric identifiers as distinct types, parsed once from the strings Bitrix sends.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("is empty")]
    Empty,
    #[error("is not a positive whole number: {0:?}")]
    NotAnId(String),
}

fn parse_positive(raw: &str) -> Result<u64, IdError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(IdError::Empty);
    }
    match trimmed.parse::<u64>() {
        // Bitrix ids live in signed BIGINT columns on our side.
        Ok(value) if value > 0 && i64::try_from(value).is_ok() => Ok(value),
        _ => Err(IdError::NotAnId(raw.to_owned())),
    }
}

macro_rules! bitrix_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Parses the decimal text Bitrix sends ("122183").
            ///
            /// # Errors
            /// [`IdError`] when the text is empty or not a positive whole number.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                parse_positive(raw).map(Self)
            }

            /// The number itself.
            #[must_use]
            pub fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

bitrix_id!(
    /// `b_sale_order.ID`: one CRM order per value.
    BitrixOrderId
);
bitrix_id!(
    /// `b_user.ID` of the buyer.
    BitrixUserId
);
bitrix_id!(
    /// `b_sale_basket.ID`: one order item per value within an order.
    BitrixBasketId
);
bitrix_id!(
    /// The catalogue element ID of a product.
    BitrixProductId
);
bitrix_id!(
    /// The `city` order property (2 = Алматы).
    CityId
);
bitrix_id!(
    /// The `when` order property: a delivery time slot (18 = 15:00-16:00).
    DeliverySlotId
);
bitrix_id!(
    /// The `shopId` order property (17008 = CVETYKZ).
    ShopId
);
bitrix_id!(
    /// `b_sale_pay_system_action.ID`: how the buyer pays (Kaspi, a card, cash to the courier).
    PaySystemId
);

/// The CRM's own id of a row (`orders.id`, `products.id`, `sync_jobs.id`: a UUID), in
/// canonical lower-case form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CrmId(String);

impl CrmId {
    /// Accepts a UUID in its 8-4-4-4-12 hexadecimal form.
    ///
    /// # Errors
    /// [`IdError::NotAnId`] for anything else.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let text = raw.trim().to_ascii_lowercase();
        let groups: Vec<&str> = text.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        let hex = groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
        if lengths == [8, 4, 4, 4, 12] && hex {
            Ok(CrmId(text))
        } else {
            Err(IdError::NotAnId(raw.to_owned()))
        }
    }

    /// The UUID text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CrmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Read only from a UUID: a message or answer naming anything else is refused where it is read.
impl<'de> Deserialize<'de> for CrmId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        CrmId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A `sync_jobs` row's id.
pub type JobId = CrmId;

/// A made-up id for tests: `00000000-0000-4000-8000-00000000000n`.
/// The kind of record an id names (a route's, or one not found).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    Order,
    Product,
    Job,
    Staff,
}

#[cfg(test)]
#[must_use]
pub fn test_id(n: u64) -> CrmId {
    CrmId::parse(&format!("00000000-0000-4000-8000-{n:012}")).expect("a UUID")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crm_order_id_is_a_uuid_and_nothing_else() {
        let id = CrmId::parse(" 0B6F3C1E-0000-4000-8000-000000000001 ").unwrap();
        assert_eq!(id.as_str(), "0b6f3c1e-0000-4000-8000-000000000001");
        for raw in ["", "122183", "0b6f3c1e-0000-4000-8000-00000000000g", "0b6f3c1e00004000800000000000000001"] {
            assert!(CrmId::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn an_id_is_parsed_from_its_decimal_text_with_surrounding_spaces_ignored() {
        assert_eq!(BitrixOrderId::parse(" 122183 ").unwrap().get(), 122_183);
    }

    #[test]
    fn zero_negative_fractional_and_oversized_ids_are_refused() {
        for raw in ["0", "-4", "12.5", "abc", "9223372036854775808"] {
            assert!(matches!(BitrixOrderId::parse(raw), Err(IdError::NotAnId(_))), "{raw}");
        }
        assert_eq!(ShopId::parse(""), Err(IdError::Empty));
    }
}
