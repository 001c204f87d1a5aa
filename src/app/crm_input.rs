//! The CRM API's inputs, checked once: an order created in the CRM, a status change, list
//! filters. Every problem is reported at once, with the field and a Russian message (422).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::domain::bitrix::Text;
use crate::domain::dates::parse_date;
use crate::domain::decimal::{Money, Quantity};
use crate::domain::ids::{BitrixProductId, CityId, CrmId, DeliverySlotId, ShopId};
use crate::domain::phone::Phone;
use crate::domain::status::CrmStatus;
use crate::domain::views::Origin;

/// Who makes a change in the CRM: a staff member (pages) or the API's token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub staff_id: Option<CrmId>,
    pub name: String,
}

impl Actor {
    /// A change made through the CRM API (`CRM_API_TOKEN`).
    #[must_use]
    pub fn api() -> Actor {
        Actor { staff_id: None, name: "API".into() }
    }

    /// A change made by a staff member in the pages.
    #[must_use]
    pub fn staff(staff: &crate::domain::views::Staff) -> Actor {
        Actor { staff_id: Some(staff.id.clone()), name: staff.name.clone() }
    }
}

/// One problem with the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

pub(crate) fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
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
/// A [`Problem`] naming the statuses the CRM can set.
pub fn parse_status_change(body: &Value) -> Result<CrmStatus, Problem> {
    let allowed: Vec<&str> = CrmStatus::settable().map(CrmStatus::as_str).collect();
    body.get("status")
        .and_then(Value::as_str)
        .and_then(CrmStatus::parse)
        .filter(|status| status.to_bitrix().is_some())
        .ok_or_else(|| problem("status", format!("Недопустимый статус, допустимые: {}", allowed.join(", "))))
}

/// A page of a list: the one paging rule of every list the CRM answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u32,
}

impl Page {
    /// Rows per page when none is asked for.
    pub const DEFAULT_LIMIT: u32 = 50;
    /// The most rows one page may ask for.
    pub const MAX_LIMIT: u32 = 200;
    /// The deepest a page may start: lists are read newest first, and nobody pages this far.
    pub const MAX_OFFSET: u32 = 100_000;
}

impl Default for Page {
    fn default() -> Self {
        Page { limit: Page::DEFAULT_LIMIT, offset: 0 }
    }
}

/// The days a report covers (both included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The longest period one report covers.
    pub const MAX_DAYS: i64 = 366;
    /// The period when none is asked for: the last 30 days, today included.
    pub const DEFAULT_DAYS: i64 = 30;

    /// The last `DEFAULT_DAYS` days up to `today`.
    #[must_use]
    pub fn recent(today: NaiveDate) -> Period {
        Period { from: today - chrono::Duration::days(Period::DEFAULT_DAYS - 1), to: today }
    }
}

/// Reads `from` and `to` (YYYY-MM-DD; by default the 30 days up to `today`), at most a year.
///
/// # Errors
/// Every [`Problem`] found.
pub fn parse_period(pairs: &[(String, String)], today: NaiveDate) -> Result<Period, Vec<Problem>> {
    parse_period_within(pairs, today, Period::DEFAULT_DAYS, Period::MAX_DAYS)
}

/// Reads `from` and `to` (YYYY-MM-DD; by default the `default_days` up to `today`), at most
/// `max_days` long.
///
/// # Errors
/// Every [`Problem`] found.
pub fn parse_period_within(
    pairs: &[(String, String)],
    today: NaiveDate,
    default_days: i64,
    max_days: i64,
) -> Result<Period, Vec<Problem>> {
    let mut query = QueryReader { pairs, problems: Vec::new() };
    let message = "Дата должна быть в формате ГГГГ-ММ-ДД";
    let to = query.read("to", message, |v| parse_date(v).ok()).unwrap_or(today);
    let from =
        query.read("from", message, |v| parse_date(v).ok()).unwrap_or(to - chrono::Duration::days(default_days - 1));
    if query.problems.is_empty() && from > to {
        query.problems.push(problem("from", "Начало периода позже его конца"));
    }
    if query.problems.is_empty() && (to - from).num_days() >= max_days {
        query.problems.push(problem("to", format!("Период не длиннее {max_days} дней")));
    }
    query.finish(Period { from, to })
}

/// `GET /api/orders` query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub page: Page,
    pub status: Option<CrmStatus>,
    /// Delivery date.
    pub date: Option<NaiveDate>,
    pub shop: Option<ShopId>,
    pub origin: Option<Origin>,
    pub search: Option<Search>,
}

/// `GET /api/products` query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilter {
    pub page: Page,
    pub search: Option<Search>,
    /// Only products in stock (`true`) or out of stock (`false`).
    pub available: Option<bool>,
    /// Only the products of this section of Bitrix's catalogue.
    pub section: Option<u64>,
}

/// One search box: a name (part of it), an order number, or a phone typed any way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// The text as typed (trimmed), matched as part of a name, case-insensitively.
    pub text: String,
    /// Its digits, when the text is only a number as people type one (digits, `+`, `(`, `)`,
    /// `-`, spaces), with a Kazakh `8…` number read as `7…`; matched against phone digits and
    /// order numbers. Empty for any other text, or fewer than three digits.
    pub digits: String,
}

impl Search {
    /// The most characters a search reads.
    pub const MAX_CHARS: usize = 100;

    /// `None` for empty text.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Search> {
        let text: String = raw.trim().chars().take(Search::MAX_CHARS).collect();
        if text.is_empty() {
            return None;
        }
        let number_like = text.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | ' ' | '.'));
        let digits: String = match Phone::parse(&text) {
            _ if !number_like => String::new(),
            Some(Phone::Kazakh(e164)) => e164.chars().filter(char::is_ascii_digit).collect(),
            _ => text.chars().filter(char::is_ascii_digit).collect(),
        };
        let digits = if digits.len() >= 3 { digits } else { String::new() };
        Some(Search { text, digits })
    }

    /// The text as a SQL `LIKE` pattern matching it anywhere, its wildcards escaped.
    #[must_use]
    pub fn like_pattern(&self) -> String {
        let escaped = self.text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        format!("%{escaped}%")
    }
}

/// The `Idempotency-Key` of a CRM API call: 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RequestKey(String);

impl RequestKey {
    /// The longest key accepted.
    pub const MAX_CHARS: usize = 200;

    /// `Ok(None)` when no key was sent.
    ///
    /// # Errors
    /// A [`Problem`] for an empty or too long key.
    pub fn parse(header: Option<&str>) -> Result<Option<RequestKey>, Problem> {
        match header.map(str::trim) {
            None => Ok(None),
            Some(key) if key.is_empty() || key.chars().count() > RequestKey::MAX_CHARS => Err(problem(
                "Idempotency-Key",
                format!("Ключ идемпотентности должен быть от 1 до {} символов", RequestKey::MAX_CHARS),
            )),
            Some(key) => Ok(Some(RequestKey(key.to_owned()))),
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reads a query: each known key once, every problem reported.
struct QueryReader<'a> {
    pairs: &'a [(String, String)],
    problems: Vec<Problem>,
}

impl QueryReader<'_> {
    /// The value of `key`, read by `parse`; a value it refuses becomes a problem.
    fn read<T>(&mut self, key: &str, message: &str, parse: impl FnOnce(&str) -> Option<T>) -> Option<T> {
        let (_, raw) = self.pairs.iter().find(|(k, _)| k == key)?;
        if raw.trim().is_empty() {
            return None;
        }
        let value = parse(raw.trim());
        if value.is_none() {
            self.problems.push(problem(key, message));
        }
        value
    }

    fn page(&mut self) -> Page {
        let limit_message = format!("Должно быть целым числом от 1 до {}", Page::MAX_LIMIT);
        let limit =
            self.read("limit", &limit_message, |v| v.parse().ok().filter(|l| (1..=Page::MAX_LIMIT).contains(l)));
        let offset_message = format!("Должно быть целым числом от 0 до {}", Page::MAX_OFFSET);
        let offset = self.read("offset", &offset_message, |v| v.parse().ok().filter(|o| *o <= Page::MAX_OFFSET));
        Page { limit: limit.unwrap_or(Page::DEFAULT_LIMIT), offset: offset.unwrap_or(0) }
    }

    fn finish<T>(self, value: T) -> Result<T, Vec<Problem>> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(self.problems)
        }
    }
}

/// Reads the order list's query: `limit` (1..=200, default 50), `offset`, `status`, `date`
/// (delivery date), `shop`, `source` (`bitrix` or `crm`), `q` (search).
///
/// # Errors
/// Every [`Problem`] found.
pub fn parse_order_filter(pairs: &[(String, String)]) -> Result<OrderFilter, Vec<Problem>> {
    let mut query = QueryReader { pairs, problems: Vec::new() };
    let filter = OrderFilter {
        page: query.page(),
        status: query.read("status", "Неизвестный статус", CrmStatus::parse),
        date: query.read("date", "Дата должна быть в формате ГГГГ-ММ-ДД", |v| {
            parse_date(v).ok()
        }),
        shop: query.read("shop", "Должно быть положительным целым числом", |v| {
            ShopId::parse(v).ok()
        }),
        origin: query.read("source", "Источник: bitrix или crm", |v| serde_json::from_value(json!(v)).ok()),
        search: query.read("q", "", Search::parse),
    };
    query.finish(filter)
}

/// Reads the product list's query: `limit`, `offset` (as for orders), `q`, `available`.
///
/// # Errors
/// Every [`Problem`] found.
pub fn parse_product_filter(pairs: &[(String, String)]) -> Result<ProductFilter, Vec<Problem>> {
    let mut query = QueryReader { pairs, problems: Vec::new() };
    let filter = ProductFilter {
        page: query.page(),
        search: query.read("q", "", Search::parse),
        available: query.read("available", "Должно быть true или false", |v| v.parse().ok()),
        section: query.read("section", "Должно быть номером раздела", |v| {
            v.parse().ok().filter(|id| *id > 0)
        }),
    };
    query.finish(filter)
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

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn list_filters_are_checked() {
        let filter = parse_order_filter(&pairs(&[
            ("limit", "10"),
            ("status", "new"),
            ("date", "2025-08-25"),
            ("shop", "17008"),
            ("source", "crm"),
        ]))
        .unwrap();
        assert_eq!((filter.page.limit, filter.status), (10, Some(CrmStatus::New)));
        assert_eq!((filter.shop.map(ShopId::get), filter.origin), (Some(17008), Some(Origin::Crm)));
        let problems = parse_order_filter(&pairs(&[("limit", "0"), ("status", "x"), ("date", "y"), ("source", "fax")]))
            .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["limit", "status", "date", "source"]);
    }

    #[test]
    fn orders_and_products_page_by_one_rule() {
        for limit in ["0", "201", "-1", "x"] {
            assert_eq!(parse_order_filter(&pairs(&[("limit", limit)])).unwrap_err()[0].field, "limit", "{limit}");
            assert_eq!(parse_product_filter(&pairs(&[("limit", limit)])).unwrap_err()[0].field, "limit", "{limit}");
        }
        for limit in [1, 200] {
            let query = pairs(&[("limit", &limit.to_string())]);
            assert_eq!(parse_order_filter(&query).unwrap().page.limit, limit);
            assert_eq!(parse_product_filter(&query).unwrap().page.limit, limit);
        }
        assert_eq!(parse_product_filter(&[]).unwrap().page, Page { limit: 50, offset: 0 });
        assert!(parse_order_filter(&pairs(&[("offset", "100001")])).is_err());
        assert_eq!(parse_order_filter(&pairs(&[("offset", "100000")])).unwrap().page.offset, 100_000);
    }

    #[test]
    fn products_are_filtered_by_a_section_number_and_anything_else_is_named() {
        assert_eq!(parse_product_filter(&pairs(&[("section", "10")])).unwrap().section, Some(10));
        for bad in ["0", "Розы", "-1"] {
            let problems = parse_product_filter(&pairs(&[("section", bad)])).unwrap_err();
            assert_eq!(
                (problems[0].field.as_str(), problems[0].message.as_str()),
                ("section", "Должно быть номером раздела")
            );
        }
    }

    #[test]
    fn a_search_for_a_phone_typed_any_way_matches_its_digits() {
        for typed in ["8 (701) 555-12-34", "+7 701 555 12 34", "87015551234"] {
            assert_eq!(Search::parse(typed).unwrap().digits, "77015551234", "{typed}");
        }
        assert_eq!(Search::parse("122183").unwrap().digits, "122183");
        assert_eq!(Search::parse("Айгерим").unwrap().digits, "");
        assert_eq!(Search::parse("Айгерим 122183").unwrap().digits, "", "a name with digits is searched as a name");
        assert_eq!(Search::parse("  "), None);
        assert_eq!(Search::parse("50%_off\\").unwrap().like_pattern(), "%50\\%\\_off\\\\%");
        assert_eq!(Search::parse(&"я".repeat(500)).unwrap().text.chars().count(), Search::MAX_CHARS);
    }

    #[test]
    fn a_report_covers_the_last_thirty_days_by_default_and_at_most_a_year() {
        let today = NaiveDate::from_ymd_opt(2025, 8, 25).unwrap();
        let day = |text: &str| parse_date(text).unwrap();
        assert_eq!(parse_period(&[], today), Ok(Period { from: day("2025-07-27"), to: today }));
        assert_eq!(
            parse_period(&pairs(&[("from", "2025-08-01"), ("to", "2025-08-10")]), today),
            Ok(Period { from: day("2025-08-01"), to: day("2025-08-10") })
        );
        assert_eq!(
            parse_period(&pairs(&[("from", "2025-08-11"), ("to", "2025-08-10")]), today).unwrap_err()[0].field,
            "from"
        );
        assert_eq!(
            parse_period(&pairs(&[("from", "2024-01-01"), ("to", "2025-08-10")]), today).unwrap_err()[0].field,
            "to"
        );
        assert_eq!(parse_period(&pairs(&[("to", "вчера")]), today).unwrap_err()[0].field, "to");
        assert!(parse_period(&pairs(&[("from", "2024-08-11"), ("to", "2025-08-10")]), today).is_ok(), "365 days");
    }

    #[test]
    fn a_request_key_is_one_to_two_hundred_characters() {
        assert_eq!(RequestKey::parse(None), Ok(None));
        assert_eq!(RequestKey::parse(Some(" ui-7f3a ")).unwrap().unwrap().as_str(), "ui-7f3a");
        assert!(RequestKey::parse(Some(" ")).is_err());
        assert!(RequestKey::parse(Some(&"k".repeat(201))).is_err());
        assert!(RequestKey::parse(Some(&"я".repeat(200))).is_ok());
    }

    #[test]
    fn the_allowed_statuses_are_named_from_the_status_table() {
        let problem = parse_status_change(&json!({"status": "cancelled"})).unwrap_err();
        assert_eq!(
            problem.message,
            "Недопустимый статус, допустимые: new, accepted, delivering, completed, returned, declined, finished"
        );
    }
}
