//! The Bitrix PHP gateway's contract (docs/bitrix-gateway.md): the requests the CRM sends and
//! how their answers are read. The HTTP call itself is the edge's.

use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::edit::{BitrixField, EditField};

use crate::domain::ids::BitrixOrderId;
use crate::domain::retry::Failure;
use crate::domain::text::quote;
use crate::domain::views::OrderView;

/// One call to the gateway; `action` names it on the wire.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action")]
pub enum GatewayRequest {
    /// Create the Bitrix order of a CRM order, with its basket at the CRM's prices.
    #[serde(rename = "order.create")]
    CreateOrder { crm_order_id: String, order: Value, basket: Vec<Value>, properties: Value },
    /// Save the fields and the basket an edit made in the CRM touched, as the CRM has them now;
    /// `seen` holds the values the editor saw, so that the gateway can say which ones Bitrix had
    /// changed meanwhile (`overwritten`).
    #[serde(rename = "order.update")]
    UpdateOrder {
        bitrix_order_id: u64,
        fields: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        basket: Option<Vec<Value>>,
        seen: Value,
    },
    /// Set an order's status.
    #[serde(rename = "order.set_status")]
    SetStatus { bitrix_order_id: u64, status_id: String },
    /// Mark a product in or out of stock.
    #[serde(rename = "product.set_availability")]
    SetAvailability { bitrix_product_id: u64, in_stock: bool, in_stock_value: &'static str },
    /// A page of the orders Bitrix created in a period (Almaty dates): id, status, price; the
    /// orders with ids above `after_id`, in id order, at most `limit`.
    #[serde(rename = "orders.snapshot")]
    OrdersSnapshot { from: chrono::NaiveDate, to: chrono::NaiveDate, after_id: u64, limit: u32 },
    /// Put these orders in the kit's outbox again, to be sent as `order.update` webhooks.
    #[serde(rename = "orders.resend")]
    OrdersResend { bitrix_order_ids: Vec<u64> },
    /// A page of the catalogue: products with ids above `after_id`, at most `limit`.
    #[serde(rename = "catalog.snapshot")]
    CatalogSnapshot {
        after_id: u64,
        limit: u32,
        /// Only the products changed since then (RFC 3339): the frequent incremental load.
        #[serde(skip_serializing_if = "Option::is_none")]
        changed_since: Option<String>,
    },
    /// The shop's reference data: slots, cities, shops, statuses, pay systems, deliveries.
    #[serde(rename = "reference.snapshot")]
    ReferenceSnapshot,
}

/// The create request for a CRM order.
#[must_use]
pub fn create_order(card: &OrderView) -> GatewayRequest {
    let id = |named: Option<&crate::domain::views::Named>| named.map(|n| n.id.to_string());
    GatewayRequest::CreateOrder {
        crm_order_id: card.id.to_string(),
        order: json!({
            "status_id": "N",
            "price": card.total_amount,
            "price_delivery": card.delivery_fee,
            "currency": card.currency.clone().unwrap_or_else(|| "KZT".into()),
            "user_description": card.customer_comment,
        }),
        basket: card
            .items
            .iter()
            .map(|item| {
                json!({"product_id": item.bitrix_product_id, "name": item.name,
                               "price": item.price, "quantity": item.quantity, "custom_price": true})
            })
            .collect(),
        properties: json!({
            "nameRecipient": card.recipient_name,
            "phoneRecipient": card.recipient_phone,
            "addressRecipient": card.delivery_address,
            "postcardText": card.postcard_text,
            "data": card.delivery_date,
            "city": id(card.city.as_ref()),
            "when": id(card.delivery_slot.as_ref()),
            "shopId": id(card.shop.as_ref()),
            "crmOrderId": card.id,
        }),
    }
}

/// A field's text as Bitrix takes it (the CRM keeps each as Bitrix does: the slot's id, the
/// date as `YYYY-MM-DD`), or null for an empty one.
fn bitrix_value(text: Option<&str>) -> Value {
    text.map_or(Value::Null, |text| Value::String(text.to_owned()))
}

/// The update request for an edit made in the CRM: the order's current values of the `fields`
/// it touched, its whole basket when it touched lines, and what the editor `saw` (by field name).
///
/// # Errors
/// A transient [`Failure`] while the order has no Bitrix id.
pub fn update_order(
    card: &OrderView,
    fields: &[EditField],
    lines: bool,
    saw: &Value,
) -> Result<GatewayRequest, Failure> {
    let Some(bitrix_order_id) = card.bitrix_order_id else {
        return Err(Failure::transient("the order is not in Bitrix yet"));
    };
    let (mut properties, mut own, mut seen_properties, mut seen_own) =
        (serde_json::Map::new(), serde_json::Map::new(), serde_json::Map::new(), serde_json::Map::new());
    for &field in fields {
        let now = bitrix_value(crate::domain::edit::current(card, field).as_deref());
        let seen = bitrix_value(saw.get(field.name()).and_then(Value::as_str));
        match field.bitrix() {
            BitrixField::Property(code) => {
                properties.insert(code.to_owned(), now);
                seen_properties.insert(code.to_owned(), seen);
            }
            BitrixField::UserDescription => {
                own.insert("user_description".into(), now);
                seen_own.insert("user_description".into(), seen);
            }
            BitrixField::PriceDelivery => {
                own.insert("price_delivery".into(), if now.is_null() { json!("0") } else { now });
                seen_own.insert("price_delivery".into(), seen);
            }
        }
    }
    own.insert("properties".into(), Value::Object(properties));
    seen_own.insert("properties".into(), Value::Object(seen_properties));
    let basket = lines.then(|| {
        card.items
            .iter()
            .map(|item| {
                json!({"basket_id": item.bitrix_basket_id, "crm_item_id": item.id, "product_id": item.bitrix_product_id,
                       "name": item.name, "price": item.price, "quantity": item.quantity})
            })
            .collect()
    });
    Ok(GatewayRequest::UpdateOrder {
        bitrix_order_id,
        fields: Value::Object(own),
        basket,
        seen: Value::Object(seen_own),
    })
}

/// The request that writes the order's tracking link (`url`; `None`: cleared) to its Bitrix
/// property `crmTrackUrl`, through `order.update`.
///
/// # Errors
/// A transient [`Failure`] while the order has no Bitrix id.
pub fn set_track_url(card: &OrderView, url: Option<&str>) -> Result<GatewayRequest, Failure> {
    let Some(bitrix_order_id) = card.bitrix_order_id else {
        return Err(Failure::transient("the order is not in Bitrix yet"));
    };
    Ok(GatewayRequest::UpdateOrder {
        bitrix_order_id,
        fields: json!({"properties": {crate::domain::track::TRACK_PROPERTY: url.unwrap_or("")}}),
        basket: None,
        seen: json!({"properties": {}}),
    })
}

/// The status request for a CRM order, or why it cannot be sent yet.
///
/// # Errors
/// A transient [`Failure`] while the order has no Bitrix id (its reverse sync is on the way);
/// a permanent one for a status the Bitrix map has no code for.
pub fn set_status(card: &OrderView) -> Result<GatewayRequest, Failure> {
    let Some(bitrix_order_id) = card.bitrix_order_id else {
        return Err(Failure::transient("the order is not in Bitrix yet"));
    };
    let Some(code) = card.status.to_bitrix() else {
        return Err(Failure::Permanent { reason: format!("status {:?} has no Bitrix code", card.status.as_str()) });
    };
    Ok(GatewayRequest::SetStatus { bitrix_order_id, status_id: code.as_str().to_owned() })
}

/// An HTTP answer as the edge received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    pub status: u16,
    /// The `Retry-After` header, when it is a number of seconds.
    pub retry_after: Option<Duration>,
    pub body: String,
}

/// Reads `Retry-After`: delay-seconds only (an HTTP date is ignored: the schedule applies).
#[must_use]
pub fn parse_retry_after(header: Option<&str>) -> Option<Duration> {
    header?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Reads a gateway answer. `Ok` carries the JSON body of a success.
///
/// # Errors
/// A [`Failure`] classified by status (408/429/5xx transient, with `Retry-After` honoured;
/// other 4xx permanent), or a permanent one for a 2xx whose body is not `{"ok": true, ...}`.
pub fn read_answer(answer: &HttpAnswer) -> Result<Value, Failure> {
    let HttpAnswer { status, retry_after, body } = answer;
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if !(200..300).contains(status) {
        let message = parsed.get("message").and_then(Value::as_str).unwrap_or(body);
        return Err(Failure::from_http_status(
            *status,
            *retry_after,
            format!("gateway HTTP {status}: {}", quote(message)),
        ));
    }
    if parsed.get("ok").and_then(Value::as_bool) != Some(true) {
        return Err(Failure::Permanent {
            reason: format!("gateway answered {status} without ok=true: {}", quote(body)),
        });
    }
    Ok(parsed)
}

/// The Bitrix order id in a create answer (a string or a number).
///
/// # Errors
/// A permanent [`Failure`] when it is missing or not an id.
pub fn created_order_id(answer: &Value) -> Result<BitrixOrderId, Failure> {
    let raw = match answer.get("bitrix_order_id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    BitrixOrderId::parse(&raw)
        .map_err(|e| Failure::Permanent { reason: format!("gateway answer without a usable bitrix_order_id ({e})") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> OrderView {
        let mut card = crate::web::telegram::tests::card();
        card.bitrix_order_id = None;
        card.origin = crate::domain::views::Origin::Crm;
        card.status = crate::domain::status::CrmStatus::Accepted;
        card
    }

    #[test]
    fn a_create_request_carries_the_crm_id_the_basket_and_the_properties() {
        let request = serde_json::to_value(create_order(&card())).unwrap();
        assert_eq!(request["action"], "order.create");
        assert_eq!(request["crm_order_id"], "0b6f3c1e-0000-4000-8000-000000000001");
        assert_eq!(request["properties"]["crmOrderId"], "0b6f3c1e-0000-4000-8000-000000000001");
        assert_eq!(request["properties"]["city"], "2");
        assert_eq!(request["properties"]["when"], "18");
        assert_eq!(request["properties"]["shopId"], "17008");
        assert_eq!(request["basket"][0]["product_id"], 15652);
        assert_eq!(request["basket"][0]["price"], "7500.00");
    }

    #[test]
    fn a_status_cannot_be_sent_before_the_order_has_a_bitrix_id() {
        let failure = set_status(&card()).unwrap_err();
        assert!(matches!(failure, Failure::Transient { .. }));
        let mut synced = card();
        synced.bitrix_order_id = Some(5);
        assert_eq!(
            set_status(&synced).unwrap(),
            GatewayRequest::SetStatus { bitrix_order_id: 5, status_id: "AP".into() }
        );
        synced.status = crate::domain::status::CrmStatus::Cancelled;
        assert!(matches!(set_status(&synced), Err(Failure::Permanent { .. })));
    }

    fn answer(status: u16, body: &str) -> HttpAnswer {
        HttpAnswer { status, retry_after: None, body: body.into() }
    }

    #[test]
    fn answers_are_read_by_status_and_ok_flag() {
        assert!(read_answer(&answer(200, r#"{"ok": true, "bitrix_order_id": "7"}"#)).is_ok());
        assert!(matches!(read_answer(&answer(503, "down")), Err(Failure::Transient { retry_after: None, .. })));
        assert!(matches!(
            read_answer(&answer(422, r#"{"ok": false, "message": "bad"}"#)),
            Err(Failure::Permanent { .. })
        ));
        assert!(matches!(read_answer(&answer(200, r#"{"ok": false}"#)), Err(Failure::Permanent { .. })));
        assert!(matches!(read_answer(&answer(200, "<html>Bitrix is updating</html>")), Err(Failure::Permanent { .. })));
        assert_eq!(created_order_id(&json!({"ok": true, "bitrix_order_id": 7})).unwrap().get(), 7);
        assert!(created_order_id(&json!({"ok": true})).is_err());
    }

    #[test]
    fn a_retry_after_header_is_the_wait_of_a_transient_answer() {
        let busy =
            HttpAnswer { status: 503, retry_after: parse_retry_after(Some(" 7 ")), body: "<html>busy</html>".into() };
        assert_eq!(
            read_answer(&busy),
            Err(Failure::Transient {
                retry_after: Some(Duration::from_secs(7)),
                reason: "gateway HTTP 503: <html>busy</html>".into()
            })
        );
        assert_eq!(parse_retry_after(Some("Wed, 21 Oct 2026 07:28:00 GMT")), None);
        assert_eq!(parse_retry_after(None), None);
    }
}
