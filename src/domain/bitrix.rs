//! The Bitrix order webhook as it arrives on the wire: loose serde types that accept what
//! Bitrix's PHP really sends (numbers as strings, `[]` for an empty object, a basket keyed by
//! index) and nothing else. Turning them into domain types is `order::parse`'s job.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::domain::text::quote;

/// A scalar Bitrix sends as text: a JSON string or number (Bitrix is not consistent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl Text {
    /// The text with surrounding white space removed.
    #[must_use]
    pub fn trimmed(&self) -> &str {
        self.0.trim()
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// PHP's `json_encode` writes an empty associative array as `[]`, and a list whose keys are
/// not 0..n as an object: both shapes are accepted wherever Bitrix sends a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhpList<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for PhpList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = PhpList<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list (or an object keyed by position)")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(PhpList(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some((_key, item)) = map.next_entry::<String, T>()? {
                    items.push(item);
                }
                Ok(PhpList(items))
            }
        }
        deserializer.deserialize_any(ListVisitor(std::marker::PhantomData))
    }
}

/// An object PHP may have written as `[]` when it was empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PhpObject<T>(pub T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for PhpObject<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for ObjectVisitor<T> {
            type Value = PhpObject<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                match seq.next_element::<de::IgnoredAny>()? {
                    None => Ok(PhpObject(T::default())),
                    Some(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &self)),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                // Delegating keeps the wrapped MapAccess, so error paths stay exact.
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(PhpObject)
            }
        }
        deserializer.deserialize_any(ObjectVisitor(std::marker::PhantomData))
    }
}

/// The whole webhook body.
#[derive(Debug, Clone, Deserialize)]
pub struct WireWebhook {
    pub event: Option<Text>,
    pub data: Option<WireOrder>,
}

/// `data`: the order as Bitrix's `sale` module describes it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireOrder {
    #[serde(rename = "ID")]
    pub id: Option<Text>,
    #[serde(rename = "ACCOUNT_NUMBER")]
    pub account_number: Option<Text>,
    #[serde(rename = "STATUS_ID")]
    pub status_id: Option<Text>,
    #[serde(rename = "USER_ID")]
    pub user_id: Option<Text>,
    #[serde(rename = "PRICE")]
    pub price: Option<Text>,
    #[serde(rename = "PRICE_DELIVERY")]
    pub price_delivery: Option<Text>,
    #[serde(rename = "CURRENCY")]
    pub currency: Option<Text>,
    #[serde(rename = "DATE_INSERT")]
    pub date_insert: Option<Text>,
    #[serde(rename = "DATE_UPDATE")]
    pub date_update: Option<Text>,
    #[serde(rename = "USER_DESCRIPTION")]
    pub user_description: Option<Text>,
    /// `Y` or `N`: Bitrix's `Order::isPaid()`.
    #[serde(rename = "PAYED")]
    pub payed: Option<Text>,
    /// `Order::getSumPaid()`.
    #[serde(rename = "SUM_PAID")]
    pub sum_paid: Option<Text>,
    /// The first payment's pay system (`Payment::getPaymentSystemId()`), and its name.
    #[serde(rename = "PAY_SYSTEM_ID")]
    pub pay_system_id: Option<Text>,
    #[serde(rename = "PAY_SYSTEM_NAME")]
    pub pay_system_name: Option<Text>,
    pub properties: Option<PhpObject<WireProperties>>,
    pub basket: Option<PhpList<WireBasketLine>>,
    pub user: Option<PhpObject<WireUser>>,
    /// The kit's sender puts this on every webhook: null, or the idempotency key of the CRM
    /// request whose gateway save fired it. `None`: absent (Bitrix's older sender);
    /// `Some(None)`: null.
    #[serde(default, deserialize_with = "present")]
    pub crm_change_key: Option<Option<Text>>,
}

/// Tells a field sent as null (`Some(None)`) from one not sent (`None`, by `#[serde(default)]`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// `data.properties`: the order properties cvety.kz defined in Bitrix.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireProperties {
    pub name_recipient: Option<Text>,
    pub phone_recipient: Option<Text>,
    pub address_recipient: Option<Text>,
    pub postcard_text: Option<Text>,
    /// The delivery date; Bitrix's property is literally called `data`.
    pub data: Option<Text>,
    pub city: Option<Text>,
    pub when: Option<Text>,
    pub shop_id: Option<Text>,
    /// Set by the Bitrix gateway on orders the CRM created: the CRM's own order id.
    pub crm_order_id: Option<Text>,
}

/// One `data.basket[]` line.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireBasketLine {
    #[serde(rename = "ID")]
    pub id: Option<Text>,
    #[serde(rename = "PRODUCT_ID")]
    pub product_id: Option<Text>,
    #[serde(rename = "NAME")]
    pub name: Option<Text>,
    #[serde(rename = "PRICE")]
    pub price: Option<Text>,
    #[serde(rename = "QUANTITY")]
    pub quantity: Option<Text>,
    #[serde(rename = "CURRENCY")]
    pub currency: Option<Text>,
}

/// `data.user`: the buyer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireUser {
    #[serde(rename = "ID")]
    pub id: Option<Text>,
    #[serde(rename = "NAME")]
    pub name: Option<Text>,
    #[serde(rename = "LAST_NAME")]
    pub last_name: Option<Text>,
    #[serde(rename = "EMAIL")]
    pub email: Option<Text>,
    #[serde(rename = "PERSONAL_PHONE")]
    pub personal_phone: Option<Text>,
}

/// Where the body's shape is wrong, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    pub path: String,
    pub reason: String,
}

/// Reads the JSON value into the wire types, naming the exact path of a wrong type.
///
/// # Errors
/// A [`ShapeError`] such as `data.basket[0].PRICE: invalid type: map, expected a string or a number`.
pub fn read_webhook(body: serde_json::Value) -> Result<WireWebhook, ShapeError> {
    serde_path_to_error::deserialize(body).map_err(|error| ShapeError {
        path: quote(&error.path().to_string()),
        reason: quote(&error.inner().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_strings_are_both_read_as_text() {
        let wire = read_webhook(json!({"event": "order.create", "data": {"ID": 122183, "PRICE": "7500.00"}})).unwrap();
        let data = wire.data.unwrap();
        assert_eq!(data.id, Some(Text("122183".into())));
        assert_eq!(data.price, Some(Text("7500.00".into())));
    }

    #[test]
    fn php_shapes_for_empty_properties_and_an_index_keyed_basket_are_accepted() {
        let wire = read_webhook(json!({"event": "order.update", "data": {
            "ID": "1", "properties": [], "user": [],
            "basket": {"3": {"ID": "9", "PRICE": "1", "QUANTITY": "1"}}
        }}))
        .unwrap();
        let data = wire.data.unwrap();
        assert_eq!(data.properties.unwrap().0.city, None);
        assert_eq!(data.basket.unwrap().0[0].id, Some(Text("9".into())));
    }

    #[test]
    fn a_wrong_type_is_reported_with_the_path_of_the_field() {
        let error = read_webhook(
            json!({"event": "order.create", "data": {"ID": "1", "basket": [{"ID": "2", "PRICE": {"v": 1}}]}}),
        )
        .unwrap_err();
        assert_eq!(error.path, "data.basket[0].PRICE");
        assert!(error.reason.contains("expected a string or a number"), "{}", error.reason);
    }

    #[test]
    fn a_wrong_type_inside_properties_keeps_its_full_path() {
        let error = read_webhook(json!({"event": "order.create", "data": {"ID": "1", "properties": {"city": [1]}}}))
            .unwrap_err();
        assert_eq!(error.path, "data.properties.city");
    }

    #[test]
    fn a_wrong_shape_says_which_shape_was_expected() {
        let list = read_webhook(json!({"event": "order.create", "data": {"ID": "1", "basket": "x"}})).unwrap_err();
        assert!(list.reason.contains("a list (or an object keyed by position)"), "{}", list.reason);
        let object = read_webhook(json!({"event": "order.create", "data": {"ID": "1", "user": true}})).unwrap_err();
        assert!(object.reason.contains("an object"), "{}", object.reason);
        let text = read_webhook(json!({"event": "order.create", "data": {"ID": [1]}})).unwrap_err();
        assert!(text.reason.contains("a string or a number"), "{}", text.reason);
    }

    #[test]
    fn only_an_empty_list_stands_for_an_empty_object() {
        let refused =
            read_webhook(json!({"event": "order.create", "data": {"ID": "1", "properties": ["x"]}})).unwrap_err();
        assert_eq!(refused.path, "data.properties");
    }

    #[test]
    fn properties_given_as_a_string_are_refused_with_their_path() {
        let error = read_webhook(json!({"event": "order.create", "data": {"ID": "1", "properties": "x"}})).unwrap_err();
        assert_eq!(error.path, "data.properties");
    }
}
