//! The Bitrix PHP gateway's contract (docs/bitrix-gateway.md): the requests the CRM sends and
//! how their answers are read. The HTTP call itself is the edge's.

use serde::Serialize;
use serde_json::{json, Value};

use super::ids::BitrixOrderId;
use super::retry::Failure;
use super::status::BitrixStatusCode;
use super::telegram::OrderCard;

/// `metadata.properties.IN_STOCK` values of the Bitrix catalogue.
pub const IN_STOCK: &str = "158";
pub const OUT_OF_STOCK: &str = "159";

/// One call to the gateway; `action` names it on the wire.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action")]
pub enum GatewayRequest {
    /// Create the Bitrix order of a CRM order, with its basket at the CRM's prices.
    #[serde(rename = "order.create")]
    CreateOrder { crm_order_id: String, order: Value, basket: Vec<Value>, properties: Value },
    /// Set an order's status.
    #[serde(rename = "order.set_status")]
    SetStatus { bitrix_order_id: u64, status_id: String },
    /// Mark a product in or out of stock.
    #[serde(rename = "product.set_availability")]
    SetAvailability { bitrix_product_id: u64, in_stock: bool, in_stock_value: &'static str },
}

/// The create request for a CRM order, from its card.
#[must_use]
pub fn create_order(card: &OrderCard) -> GatewayRequest {
    GatewayRequest::CreateOrder {
        crm_order_id: card.order_id.clone(),
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
            "city": card.bitrix_city_id.map(|id| id.to_string()),
            "when": card.delivery_time_id.map(|id| id.to_string()),
            "shopId": card.bitrix_shop_id.map(|id| id.to_string()),
            "crmOrderId": card.order_id,
        }),
    }
}

/// The status request for a CRM order, or why it cannot be sent yet.
///
/// # Errors
/// A transient [`Failure`] while the order has no Bitrix id (its reverse sync is on the way);
/// a permanent one for a status the Bitrix map has no code for.
pub fn set_status(card: &OrderCard, code: Option<BitrixStatusCode>) -> Result<GatewayRequest, Failure> {
    let Some(bitrix_order_id) = card.bitrix_order_id else {
        return Err(Failure::Transient { retry_after: None, reason: "the order is not in Bitrix yet".into() });
    };
    let Some(code) = code else {
        return Err(Failure::Permanent { reason: format!("status {:?} has no Bitrix code", card.status) });
    };
    Ok(GatewayRequest::SetStatus { bitrix_order_id, status_id: code.as_str().to_owned() })
}

/// Reads a gateway answer. `Ok` carries the JSON body of a success.
///
/// # Errors
/// A [`Failure`] classified by status (408/429/5xx transient, other 4xx permanent), or a
/// permanent one for a 2xx whose body is not `{"ok": true, ...}`.
pub fn read_answer(status: u16, body: &str) -> Result<Value, Failure> {
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if !(200..300).contains(&status) {
        let message = parsed.get("message").and_then(Value::as_str).unwrap_or(body);
        return Err(Failure::from_http_status(status, None, format!("gateway HTTP {status}: {}", clip(message))));
    }
    if parsed.get("ok").and_then(Value::as_bool) != Some(true) {
        return Err(Failure::Permanent { reason: format!("gateway answered 2xx without ok=true: {}", clip(body)) });
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

fn clip(text: &str) -> String {
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> OrderCard {
        serde_json::from_value(json!({
            "order_id": "0b6f3c1e-0000-4000-8000-000000000001", "bitrix_order_id": null, "order_number": null,
            "origin": "crm", "status": "accepted", "total_amount": "9000.00", "delivery_fee": "1500.00",
            "currency": "KZT", "recipient_name": "Айгерим", "recipient_phone": "+77015551234",
            "delivery_address": "Алматы", "postcard_text": "Люблю", "delivery_date": "2025-08-25",
            "delivery_slot": "15:00-16:00", "city": "Алматы", "shop": "CVETYKZ",
            "delivery_time_id": 18, "bitrix_city_id": 2, "bitrix_shop_id": 17008,
            "items": [{"name": "Букет Стандарт", "price": "7500.00", "quantity": "1", "bitrix_product_id": 15652}]
        }))
        .unwrap()
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
        let failure = set_status(&card(), BitrixStatusCode::parse("AP")).unwrap_err();
        assert!(matches!(failure, Failure::Transient { .. }));
        let mut synced = card();
        synced.bitrix_order_id = Some(5);
        assert_eq!(
            set_status(&synced, BitrixStatusCode::parse("AP")).unwrap(),
            GatewayRequest::SetStatus { bitrix_order_id: 5, status_id: "AP".into() }
        );
        assert!(matches!(set_status(&synced, None), Err(Failure::Permanent { .. })));
    }

    #[test]
    fn answers_are_read_by_status_and_ok_flag() {
        assert!(read_answer(200, r#"{"ok": true, "bitrix_order_id": "7"}"#).is_ok());
        assert!(matches!(read_answer(503, "down"), Err(Failure::Transient { .. })));
        assert!(matches!(read_answer(422, r#"{"ok": false, "message": "bad"}"#), Err(Failure::Permanent { .. })));
        assert!(matches!(read_answer(200, r#"{"ok": false}"#), Err(Failure::Permanent { .. })));
        assert_eq!(created_order_id(&json!({"ok": true, "bitrix_order_id": 7})).unwrap().get(), 7);
        assert!(created_order_id(&json!({"ok": true})).is_err());
    }
}
