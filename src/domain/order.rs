//! A Bitrix order event in domain terms, and its parsing from the wire types.
//!
//! Every field follows one rule: absent from the webhook = keep what is stored; present but
//! empty = clear it; present with a value = set it. A typed value that cannot be read (money,
//! ids, dates) refuses the whole event with the field's path; an unknown status code never does.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::domain::bitrix::{read_webhook, PhpObject, ShapeError, Text, WireBasketLine, WireOrder, WireUser};
use crate::domain::dates::{parse_date, parse_timestamp};
use crate::domain::decimal::{Money, Quantity};
use crate::domain::ids::{
    BitrixBasketId, BitrixOrderId, BitrixProductId, BitrixUserId, CityId, CrmId, DeliverySlotId, PaySystemId, ShopId,
};
use crate::domain::phone::Phone;
use crate::domain::status::{BitrixStatusCode, CrmStatus};
use crate::domain::text::quote;

/// The three events Bitrix's handler sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventKind {
    #[serde(rename = "order.create")]
    Create,
    #[serde(rename = "order.update")]
    Update,
    #[serde(rename = "order.status.change")]
    StatusChange,
}

impl EventKind {
    /// The event's name on the wire.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Create => "order.create",
            EventKind::Update => "order.update",
            EventKind::StatusChange => "order.status.change",
        }
    }

    fn parse(raw: &str) -> Option<EventKind> {
        [EventKind::Create, EventKind::Update, EventKind::StatusChange]
            .into_iter()
            .find(|kind| kind.as_str() == raw.trim())
    }
}

/// What a webhook says about one field of a stored order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field<T> {
    /// Not mentioned: keep the stored value.
    #[default]
    Absent,
    /// Sent empty: the value was removed in Bitrix.
    Clear,
    /// Sent with this value.
    Set(T),
}

impl<T> Field<T> {
    /// True when the webhook did not mention the field (it is then left out of the store call).
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    /// The value, if one was sent.
    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Set(value) => Some(value),
            Field::Absent | Field::Clear => None,
        }
    }
}

/// `Clear` is sent to the store as `null`; `Absent` fields are skipped by the containers.
impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Set(value) => value.serialize(serializer),
            Field::Absent | Field::Clear => serializer.serialize_none(),
        }
    }
}

/// The order's own fields as a webhook states them (field names are `orders` columns).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrderDetails {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub order_number: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub bitrix_user_id: Field<BitrixUserId>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub total_amount: Field<Money>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub delivery_fee: Field<Money>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub currency: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub bitrix_created_at: Field<DateTime<FixedOffset>>,
    /// `USER_DESCRIPTION`: the buyer's comment to the shop.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub customer_comment: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub recipient_name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub recipient_phone: Field<Phone>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub delivery_address: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub postcard_text: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub delivery_date: Field<NaiveDate>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub bitrix_city_id: Field<CityId>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub delivery_time_id: Field<DeliverySlotId>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub bitrix_shop_id: Field<ShopId>,
    /// `PAYED`: the whole order is paid.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub paid: Field<bool>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub sum_paid: Field<Money>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub pay_system_id: Field<PaySystemId>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub pay_system_name: Field<String>,
}

/// Bitrix's `Y`/`N` flag (`PAYED`), in either case.
fn parse_flag(raw: &str) -> Result<bool, &'static str> {
    match raw {
        "Y" | "y" => Ok(true),
        "N" | "n" => Ok(false),
        _ => Err("expected Y or N"),
    }
}

/// A basket line's name and currency as they were when ordered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductSnapshot {
    pub name: Option<String>,
    pub currency: Option<String>,
}

/// One basket line, all that an `order_items` row needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BasketLine {
    pub bitrix_basket_id: BitrixBasketId,
    pub bitrix_product_id: Option<BitrixProductId>,
    pub product_snapshot: ProductSnapshot,
    pub price: Money,
    pub quantity: Quantity,
}

/// The buyer, upserted into `users` by `bitrix_user_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Buyer {
    pub bitrix_user_id: BitrixUserId,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub first_name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub last_name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub email: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub phone: Field<Phone>,
}

/// A status as both sides name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderStatus {
    pub raw: BitrixStatusCode,
    pub crm: CrmStatus,
}

/// A whole webhook, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEvent {
    pub kind: EventKind,
    /// Stable identity of this exact event: the same body always gives the same key.
    pub event_key: String,
    pub bitrix_order_id: BitrixOrderId,
    /// `DATE_UPDATE`: orders events; `None` when Bitrix did not send it.
    pub changed_at: Option<DateTime<FixedOffset>>,
    pub status: Option<OrderStatus>,
    pub details: OrderDetails,
    /// `None` when the webhook carried no basket: the stored items are then kept.
    pub basket: Option<Vec<BasketLine>>,
    pub buyer: Option<Buyer>,
    /// The CRM's id of an order the CRM created and sent to Bitrix (`properties.crmOrderId`).
    pub crm_order_id: Option<CrmId>,
    /// Whether this webhook is the echo of a change the CRM asked the gateway for.
    pub crm_change: CrmChange,
    /// `data` as received, for the audit trail in `webhook_events`.
    pub payload: serde_json::Value,
}

/// What `data.crm_change_key` says about the save that fired a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrmChange {
    /// No such field: Bitrix's older sender. Echoes are then told by the status-echo window.
    NotSaid,
    /// Null: the kit's sender, and a save made in Bitrix (a real change, never an echo).
    None,
    /// The idempotency key of the gateway request whose save fired this webhook: an echo.
    Key(String),
}

/// The longest change key read (the Worker's keys are under 100 characters).
const MAX_CHANGE_KEY: usize = 200;

fn parse_change_key(text: &str) -> Result<String, String> {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.');
    if text.len() > MAX_CHANGE_KEY {
        Err(format!("longer than {MAX_CHANGE_KEY} characters"))
    } else if !text.chars().all(ok) {
        Err("only letters, digits and : - _ . may appear in a change key".into())
    } else {
        Ok(text.to_owned())
    }
}

/// Why a webhook body was refused; each names the place in the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("{}: {}", .0.path, .0.reason)]
    Shape(ShapeError),
    #[error("{0}: is missing")]
    Missing(String),
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("event: unknown event {0:?} (expected order.create, order.update or order.status.change)")]
    UnknownEvent(String),
}

impl ParseError {
    /// The path of the field at fault (`data.basket[0].PRICE`).
    #[must_use]
    pub fn field(&self) -> &str {
        match self {
            ParseError::Shape(shape) => &shape.path,
            ParseError::Missing(path) | ParseError::Invalid { path, .. } => path,
            ParseError::UnknownEvent(_) => "event",
        }
    }
}

/// A refusal quoting at most [`quote`]'s share of the value: errors are logged and answered.
fn invalid(path: &str, reason: impl ToString) -> ParseError {
    ParseError::Invalid { path: quote(path), reason: quote(&reason.to_string()) }
}

/// Applies the absent / empty / value rule with a typed parser.
fn field<T, E: ToString>(
    text: Option<&Text>,
    path: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Field<T>, ParseError> {
    match text {
        None => Ok(Field::Absent),
        Some(text) if text.trimmed().is_empty() => Ok(Field::Clear),
        Some(text) => parse(text.trimmed()).map(Field::Set).map_err(|e| invalid(path, e)),
    }
}

fn text_field(text: Option<&Text>) -> Field<String> {
    match text {
        None => Field::Absent,
        Some(text) if text.trimmed().is_empty() => Field::Clear,
        Some(text) => Field::Set(text.trimmed().to_owned()),
    }
}

fn phone_field(text: Option<&Text>) -> Field<Phone> {
    match text.and_then(|t| Phone::parse(&t.0)) {
        Some(phone) => Field::Set(phone),
        None if text.is_some() => Field::Clear,
        None => Field::Absent,
    }
}

fn required<T, E: ToString>(
    text: Option<&Text>,
    path: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, ParseError> {
    match field(text, path, parse)? {
        Field::Set(value) => Ok(value),
        Field::Absent | Field::Clear => Err(ParseError::Missing(path.to_owned())),
    }
}

/// Reads a webhook's JSON body into an [`OrderEvent`].
///
/// # Errors
/// [`ParseError`] naming the first field that is missing, of the wrong type or unreadable.
pub fn parse_webhook(body: serde_json::Value) -> Result<OrderEvent, ParseError> {
    let payload = body.get("data").cloned().unwrap_or(serde_json::Value::Null);
    let wire = read_webhook(body).map_err(ParseError::Shape)?;
    let event_name = wire.event.ok_or_else(|| ParseError::Missing("event".into()))?;
    let kind = EventKind::parse(&event_name.0).ok_or_else(|| ParseError::UnknownEvent(quote(&event_name.0)))?;
    let data = wire.data.ok_or_else(|| ParseError::Missing("data".into()))?;
    let event_key = event_key(kind, &payload);
    parse_order(kind, event_key, data, payload)
}

fn parse_order(
    kind: EventKind,
    event_key: String,
    data: WireOrder,
    payload: serde_json::Value,
) -> Result<OrderEvent, ParseError> {
    let bitrix_order_id = required(data.id.as_ref(), "data.ID", BitrixOrderId::parse)?;
    let changed_at = field(data.date_update.as_ref(), "data.DATE_UPDATE", parse_timestamp)?.value().copied();
    let status = data
        .status_id
        .as_ref()
        .and_then(|t| BitrixStatusCode::parse(&t.0))
        .map(|raw| OrderStatus { crm: CrmStatus::from_bitrix(&raw), raw });
    if kind == EventKind::StatusChange && status.is_none() {
        return Err(ParseError::Missing("data.STATUS_ID".into()));
    }
    let properties = data.properties.map(|PhpObject(p)| p).unwrap_or_default();
    let details = OrderDetails {
        order_number: text_field(data.account_number.as_ref()),
        bitrix_user_id: field(data.user_id.as_ref(), "data.USER_ID", BitrixUserId::parse)?,
        total_amount: field(data.price.as_ref(), "data.PRICE", Money::parse)?,
        delivery_fee: field(data.price_delivery.as_ref(), "data.PRICE_DELIVERY", Money::parse)?,
        currency: text_field(data.currency.as_ref()),
        bitrix_created_at: field(data.date_insert.as_ref(), "data.DATE_INSERT", parse_timestamp)?,
        customer_comment: text_field(data.user_description.as_ref()),
        recipient_name: text_field(properties.name_recipient.as_ref()),
        recipient_phone: phone_field(properties.phone_recipient.as_ref()),
        delivery_address: text_field(properties.address_recipient.as_ref()),
        postcard_text: text_field(properties.postcard_text.as_ref()),
        delivery_date: field(properties.data.as_ref(), "data.properties.data", parse_date)?,
        bitrix_city_id: field(properties.city.as_ref(), "data.properties.city", CityId::parse)?,
        delivery_time_id: field(properties.when.as_ref(), "data.properties.when", DeliverySlotId::parse)?,
        bitrix_shop_id: field(properties.shop_id.as_ref(), "data.properties.shopId", ShopId::parse)?,
        paid: field(data.payed.as_ref(), "data.PAYED", parse_flag)?,
        sum_paid: field(data.sum_paid.as_ref(), "data.SUM_PAID", Money::parse)?,
        pay_system_id: field(data.pay_system_id.as_ref(), "data.PAY_SYSTEM_ID", PaySystemId::parse)?,
        pay_system_name: text_field(data.pay_system_name.as_ref()),
    };
    let crm_order_id =
        field(properties.crm_order_id.as_ref(), "data.properties.crmOrderId", CrmId::parse)?.value().cloned();
    let crm_change = match &data.crm_change_key {
        None => CrmChange::NotSaid,
        Some(key) => match field(key.as_ref(), "data.crm_change_key", parse_change_key)? {
            Field::Set(key) => CrmChange::Key(key),
            Field::Absent | Field::Clear => CrmChange::None,
        },
    };
    let basket = data.basket.map(|list| parse_basket(&list.0)).transpose()?;
    let buyer = parse_buyer(data.user.map(|PhpObject(u)| u), details.bitrix_user_id.value().copied())?;
    Ok(OrderEvent {
        kind,
        event_key,
        bitrix_order_id,
        changed_at,
        status,
        details,
        basket,
        buyer,
        crm_order_id,
        crm_change,
        payload,
    })
}

fn parse_basket(lines: &[WireBasketLine]) -> Result<Vec<BasketLine>, ParseError> {
    let mut basket: Vec<BasketLine> = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        let path = |name: &str| format!("data.basket[{index}].{name}");
        let bitrix_basket_id = required(line.id.as_ref(), &path("ID"), BitrixBasketId::parse)?;
        if basket.iter().any(|seen| seen.bitrix_basket_id == bitrix_basket_id) {
            return Err(invalid(&path("ID"), format!("basket line {bitrix_basket_id} appears twice")));
        }
        let optional_text = |text: Option<&Text>| text_field(text).value().cloned();
        basket.push(BasketLine {
            bitrix_basket_id,
            bitrix_product_id: field(line.product_id.as_ref(), &path("PRODUCT_ID"), BitrixProductId::parse)?
                .value()
                .copied(),
            product_snapshot: ProductSnapshot {
                name: optional_text(line.name.as_ref()),
                currency: optional_text(line.currency.as_ref()),
            },
            price: required(line.price.as_ref(), &path("PRICE"), Money::parse)?,
            quantity: required(line.quantity.as_ref(), &path("QUANTITY"), Quantity::parse)?,
        });
    }
    Ok(basket)
}

fn parse_buyer(user: Option<WireUser>, order_user: Option<BitrixUserId>) -> Result<Option<Buyer>, ParseError> {
    let Some(user) = user else { return Ok(None) };
    let own_id = field(user.id.as_ref(), "data.user.ID", BitrixUserId::parse)?.value().copied();
    let Some(bitrix_user_id) = own_id.or(order_user) else {
        return Ok(None);
    };
    Ok(Some(Buyer {
        bitrix_user_id,
        first_name: text_field(user.name.as_ref()),
        last_name: text_field(user.last_name.as_ref()),
        email: text_field(user.email.as_ref()),
        phone: phone_field(user.personal_phone.as_ref()),
    }))
}

/// SHA-256 over the event name and `data` with object keys sorted: the same webhook body,
/// whatever its key order or the token it carried, always gives the same key.
#[must_use]
pub fn event_key(kind: EventKind, data: &serde_json::Value) -> String {
    let mut canonical = String::from(kind.as_str());
    canonical.push('\n');
    write_canonical(data, &mut canonical);
    let digest = Sha256::digest(canonical.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests;
