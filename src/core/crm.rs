//! The CRM API's inputs, checked once: an order created in the CRM, a status change, list
//! filters. Every problem is reported at once, with the field and a Russian message (422).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::bitrix::Text;
use super::dates::parse_date;
use super::decimal::{Money, Quantity};
use super::ids::{BitrixProductId, CityId, CrmId, DeliverySlotId, ShopId};
use super::phone::Phone;
use super::status::CrmStatus;

/// One problem with the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem { field: field.into(), message: message.into() }
}

/// `POST /api/orders` as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewOrderInput {
    pub recipient_name: Option<String>,
    pub recipient_phone: Option<String>,
    pub delivery_address: Option<String>,
    pub delivery_date: Option<String>,
    pub delivery_time_id: Option<Text>,
    pub bitrix_city_id: Option<Text>,
    pub bitrix_shop_id: Option<Text>,
    pub postcard_text: Option<String>,
    pub comment: Option<String>,
    pub delivery_fee: Option<Text>,
    pub items: Option<Vec<NewItemInput>>,
}

/// One item of a new order.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewItemInput {
    pub product_id: Option<String>,
    pub bitrix_product_id: Option<Text>,
    pub name: Option<String>,
    pub price: Option<Text>,
    pub quantity: Option<Text>,
}

/// A checked new order, ready for `crm_create_order`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub recipient_name: String,
    pub recipient_phone: Phone,
    pub delivery_address: String,
    pub delivery_date: NaiveDate,
    pub delivery_slot: Option<DeliverySlotId>,
    pub city: Option<CityId>,
    pub shop: Option<ShopId>,
    pub postcard_text: Option<String>,
    pub comment: Option<String>,
    pub delivery_fee: Money,
    pub items: Vec<NewItem>,
}

/// A checked item: a product of the CRM's catalogue or of Bitrix's, at the CRM's price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    pub product_id: Option<CrmId>,
    pub bitrix_product_id: Option<BitrixProductId>,
    pub name: Option<String>,
    pub price: Money,
    pub quantity: Quantity,
}

fn required_text(value: Option<&String>, field: &str, problems: &mut Vec<Problem>) -> String {
    match value.map(|v| v.trim()).filter(|v| !v.is_empty()) {
        Some(text) => text.to_owned(),
        None => {
            problems.push(problem(field, "Обязательное поле"));
            String::new()
        }
    }
}

fn optional_text(value: Option<&String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn optional_id<T, E>(
    value: Option<&Text>,
    field: &str,
    parse: fn(&str) -> Result<T, E>,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let text = value.map(Text::trimmed).filter(|t| !t.is_empty())?;
    match parse(text) {
        Ok(id) => Some(id),
        Err(_) => {
            problems.push(problem(field, "Должно быть положительным целым числом"));
            None
        }
    }
}

impl NewOrderInput {
    /// Checks everything and reports every problem.
    ///
    /// # Errors
    /// The list of [`Problem`]s, never empty.
    pub fn check(&self) -> Result<NewOrder, Vec<Problem>> {
        let mut problems = Vec::new();
        let recipient_name = required_text(self.recipient_name.as_ref(), "recipient_name", &mut problems);
        let phone_text = required_text(self.recipient_phone.as_ref(), "recipient_phone", &mut problems);
        let recipient_phone = match Phone::parse(&phone_text) {
            Some(phone @ Phone::Kazakh(_)) => Some(phone),
            Some(Phone::Unrecognised(_)) => {
                problems.push(problem("recipient_phone", "Номер телефона должен быть казахстанским: +7XXXXXXXXXX"));
                None
            }
            None => None,
        };
        let delivery_address = required_text(self.delivery_address.as_ref(), "delivery_address", &mut problems);
        let date_text = required_text(self.delivery_date.as_ref(), "delivery_date", &mut problems);
        let delivery_date = if date_text.is_empty() {
            None
        } else {
            parse_date(&date_text)
                .map_err(|_| problems.push(problem("delivery_date", "Дата должна быть в формате ГГГГ-ММ-ДД")))
                .ok()
        };
        let delivery_slot =
            optional_id(self.delivery_time_id.as_ref(), "delivery_time_id", DeliverySlotId::parse, &mut problems);
        let city = optional_id(self.bitrix_city_id.as_ref(), "bitrix_city_id", CityId::parse, &mut problems);
        let shop = optional_id(self.bitrix_shop_id.as_ref(), "bitrix_shop_id", ShopId::parse, &mut problems);
        let delivery_fee = match self.delivery_fee.as_ref().map(Text::trimmed).filter(|t| !t.is_empty()) {
            None => Money::default(),
            Some(text) => Money::parse(text).unwrap_or_else(|_| {
                problems.push(problem("delivery_fee", "Сумма должна быть неотрицательным числом, например 1500.00"));
                Money::default()
            }),
        };
        let items = self.check_items(&mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(NewOrder {
            recipient_name,
            recipient_phone: recipient_phone.expect("checked above"),
            delivery_address,
            delivery_date: delivery_date.expect("checked above"),
            delivery_slot,
            city,
            shop,
            postcard_text: optional_text(self.postcard_text.as_ref()),
            comment: optional_text(self.comment.as_ref()),
            delivery_fee,
            items,
        })
    }

    fn check_items(&self, problems: &mut Vec<Problem>) -> Vec<NewItem> {
        let items = self.items.as_deref().unwrap_or_default();
        if items.is_empty() {
            problems.push(problem("items", "В заказе должна быть хотя бы одна позиция"));
        }
        let mut checked = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let field = |name: &str| format!("items[{index}].{name}");
            let product_id = item.product_id.as_deref().map(str::trim).filter(|t| !t.is_empty()).and_then(|raw| {
                CrmId::parse(raw)
                    .map_err(|_| problems.push(problem(field("product_id"), "Должен быть UUID товара")))
                    .ok()
            });
            let bitrix_product_id = optional_id(
                item.bitrix_product_id.as_ref(),
                &field("bitrix_product_id"),
                BitrixProductId::parse,
                problems,
            );
            if item.product_id.is_none() && item.bitrix_product_id.is_none() {
                problems.push(problem(field("product_id"), "Укажите product_id или bitrix_product_id"));
            }
            let price = match item.price.as_ref().map(|t| Money::parse(t.trimmed())) {
                Some(Ok(price)) => Some(price),
                Some(Err(_)) => {
                    problems.push(problem(field("price"), "Цена должна быть неотрицательным числом, например 7500.00"));
                    None
                }
                None => {
                    problems.push(problem(field("price"), "Обязательное поле"));
                    None
                }
            };
            let quantity = match item.quantity.as_ref().map(|t| Quantity::parse(t.trimmed())) {
                None => Some(Quantity::parse("1").expect("1 is a quantity")),
                Some(Ok(quantity)) if quantity.ten_thousandths() > 0 => Some(quantity),
                Some(_) => {
                    problems.push(problem(field("quantity"), "Количество должно быть больше нуля"));
                    None
                }
            };
            if let (Some(price), Some(quantity)) = (price, quantity) {
                checked.push(NewItem {
                    product_id,
                    bitrix_product_id,
                    name: optional_text(item.name.as_ref()),
                    price,
                    quantity,
                });
            }
        }
        checked
    }
}

impl NewOrder {
    /// Items plus delivery, as Bitrix counts an order's PRICE.
    #[must_use]
    pub fn total_amount(&self) -> Option<Money> {
        self.items
            .iter()
            .try_fold(self.delivery_fee, |sum, item| item.price.times(item.quantity).and_then(|line| sum.plus(line)))
    }

    /// The argument of `crm_create_order`.
    #[must_use]
    pub fn command(&self) -> Value {
        json!({
            "recipient_name": self.recipient_name,
            "recipient_phone": self.recipient_phone,
            "delivery_address": self.delivery_address,
            "delivery_date": self.delivery_date,
            "delivery_time_id": self.delivery_slot,
            "bitrix_city_id": self.city,
            "bitrix_shop_id": self.shop,
            "postcard_text": self.postcard_text,
            "customer_comment": self.comment,
            "delivery_fee": self.delivery_fee,
            "total_amount": self.total_amount(),
            "currency": "KZT",
            "items": self.items.iter().map(|item| json!({
                "product_id": item.product_id, "bitrix_product_id": item.bitrix_product_id,
                "name": item.name, "price": item.price, "quantity": item.quantity,
            })).collect::<Vec<_>>(),
        })
    }
}

/// `PATCH /api/orders/{id}/status` body: `{"status": "accepted"}`.
///
/// # Errors
/// A [`Problem`] naming the allowed statuses.
pub fn parse_status_change(body: &Value) -> Result<CrmStatus, Problem> {
    let allowed = "new, accepted, delivering, completed, returned, declined, finished";
    body.get("status")
        .and_then(Value::as_str)
        .and_then(CrmStatus::parse)
        .filter(|status| status.to_bitrix().is_some())
        .ok_or_else(|| problem("status", format!("Недопустимый статус, допустимые: {allowed}")))
}

/// `GET /api/orders` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFilter {
    pub limit: usize,
    pub offset: usize,
    pub status: Option<CrmStatus>,
    pub date: Option<NaiveDate>,
}

/// Reads the list query (`limit` 1..=200, default 50).
///
/// # Errors
/// The [`Problem`]s found.
pub fn parse_order_filter(pairs: &[(String, String)]) -> Result<OrderFilter, Vec<Problem>> {
    let mut filter = OrderFilter { limit: 50, offset: 0, status: None, date: None };
    let mut problems = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "limit" => match value.parse::<usize>() {
                Ok(limit) if (1..=200).contains(&limit) => filter.limit = limit,
                _ => problems.push(problem("limit", "Должно быть целым числом от 1 до 200")),
            },
            "offset" => match value.parse::<usize>() {
                Ok(offset) => filter.offset = offset,
                Err(_) => problems.push(problem("offset", "Должно быть неотрицательным целым числом")),
            },
            "status" => match CrmStatus::parse(value) {
                Some(status) => filter.status = Some(status),
                None => problems.push(problem("status", "Неизвестный статус")),
            },
            "date" => match parse_date(value) {
                Ok(date) => filter.date = Some(date),
                Err(_) => problems.push(problem("date", "Дата должна быть в формате ГГГГ-ММ-ДД")),
            },
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(filter)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Value {
        json!({"recipient_name": "Айгерим", "recipient_phone": "8 701 555 12 34", "delivery_address": "Алматы, Абая 10",
               "delivery_date": "2025-08-25", "delivery_time_id": 18, "bitrix_city_id": "2", "bitrix_shop_id": 17008,
               "postcard_text": "<b>&</b> 🌷", "delivery_fee": "1500.00",
               "items": [{"bitrix_product_id": 15652, "price": "7500.00", "quantity": 2}]})
    }

    fn check(body: Value) -> Result<NewOrder, Vec<Problem>> {
        serde_json::from_value::<NewOrderInput>(body).unwrap().check()
    }

    #[test]
    fn a_valid_order_is_normalised_and_its_total_includes_delivery() {
        let order = check(valid()).unwrap();
        assert_eq!(order.recipient_phone, Phone::Kazakh("+77015551234".into()));
        assert_eq!(order.total_amount().unwrap().to_string(), "16500.00");
        let command = order.command();
        assert_eq!(command["total_amount"], "16500.00");
        assert_eq!(command["items"][0]["bitrix_product_id"], 15652);
        assert_eq!(command["delivery_date"], "2025-08-25");
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_field() {
        let problems = check(json!({"recipient_phone": "+49 30 123", "delivery_date": "завтра",
            "items": [{"price": "-1", "quantity": 0}]}))
        .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        for field in [
            "recipient_name",
            "recipient_phone",
            "delivery_address",
            "delivery_date",
            "items[0].product_id",
            "items[0].price",
            "items[0].quantity",
        ] {
            assert!(fields.contains(&field), "{field} missing from {fields:?}");
        }
    }

    #[test]
    fn an_order_without_items_is_refused() {
        let mut body = valid();
        body["items"] = json!([]);
        assert_eq!(check(body).unwrap_err()[0].field, "items");
    }

    #[test]
    fn only_statuses_bitrix_knows_can_be_set() {
        assert_eq!(parse_status_change(&json!({"status": "accepted"})), Ok(CrmStatus::Accepted));
        assert!(parse_status_change(&json!({"status": "cancelled"})).is_err());
        assert!(parse_status_change(&json!({"status": "shipped"})).is_err());
        assert!(parse_status_change(&json!({})).is_err());
    }

    #[test]
    fn list_filters_are_checked() {
        let pairs =
            |list: &[(&str, &str)]| list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>();
        let filter = parse_order_filter(&pairs(&[("limit", "10"), ("status", "new"), ("date", "2025-08-25")])).unwrap();
        assert_eq!((filter.limit, filter.status), (10, Some(CrmStatus::New)));
        let problems = parse_order_filter(&pairs(&[("limit", "0"), ("status", "x"), ("date", "y")])).unwrap_err();
        assert_eq!(problems.len(), 3);
    }
}
