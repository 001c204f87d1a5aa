//! An edit of an order made in the CRM (the card's «Изменить»): the form read against the order
//! as it is, into the fields and lines that change, each checked (a required field emptied, a
//! date in the past, a slot that does not exist, a quantity out of range: a Russian problem
//! beside the field, and nothing changes).
//!
//! The rule when the CRM and Bitrix change an order at the same time: **the later save in Bitrix
//! wins, field by field, and the CRM always ends up with Bitrix's values.** The store applies an
//! edit only if every field still has the value the form was opened with (else the form comes
//! back with the new values: nobody overwrites what they did not see in the CRM). The job that
//! carries it to Bitrix sends the order's *current* values of the fields the edit touched (a late
//! retry never undoes a newer edit) and the values the editor saw; Bitrix's gateway saves them
//! and says which fields Bitrix had changed meanwhile (`overwritten`, shown on the timeline).
//! Bitrix's webhook after any save then brings the CRM to Bitrix's values.

pub use crate::app::changes::EditStored;
use crate::app::crm_input::{problem, Problem};
use crate::domain::dates::parse_date;
use crate::domain::decimal::{Money, Quantity};
pub use crate::domain::edit::{current, EditField, FieldChange, LineChange, OrderEdit, EDIT_FIELDS};
use crate::domain::phone::Phone;
use crate::domain::views::{OrderView, Reference};

/// The longest text a field takes (the postcard, the comment, the address).
pub const MAX_TEXT_CHARS: usize = 1000;
/// The largest quantity of one line.
pub const MAX_QUANTITY: i64 = 999;
/// How many new lines the edit form offers.
pub const NEW_ROWS: usize = 3;

/// What became of an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditResult {
    Done,
    NoChange,
    Invalid(Vec<Problem>),
    Moved(Vec<String>),
}

impl<S, Q, G> crate::app::crm::Crm<'_, S, Q, G>
where
    S: crate::app::ports::CrmStore + crate::app::ports::JobStore + crate::app::ports::ReconcileStore,
    Q: crate::app::ports::JobQueue,
    G: crate::app::ports::BitrixGateway,
{
    /// Reads the edit form against the order and the reference data, stores the edit (or says
    /// why not) and queues its job for Bitrix.
    pub async fn edit_order(
        &self,
        id: &crate::domain::ids::CrmId,
        form: &[(String, String)],
        today: chrono::NaiveDate,
        actor: &crate::app::crm_input::Actor,
    ) -> Result<EditResult, crate::app::crm::CrmError> {
        let order = self.order(id).await?;
        let reference = self.store.order_form().await?;
        let edit = match parse_edit(form, &order, &reference, today) {
            Ok(edit) => edit,
            Err(EditRefusal::NoChange) => return Ok(EditResult::NoChange),
            Err(EditRefusal::Invalid(problems)) => return Ok(EditResult::Invalid(problems)),
        };
        let stored = self
            .store
            .edit_order(id, &edit, actor)
            .await?
            .ok_or(crate::app::crm::CrmError::NotFound(crate::domain::ids::Record::Order))?;
        Ok(match stored {
            EditStored::Done { jobs } => {
                crate::app::handoff::enqueue_jobs(self.queue, &jobs).await;
                EditResult::Done
            }
            EditStored::Moved { fields } => EditResult::Moved(fields),
        })
    }
}

/// Why an edit is not taken as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditRefusal {
    /// Problems beside fields.
    Invalid(Vec<Problem>),
    /// The form changes nothing.
    NoChange,
}

fn form_value<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

fn quantity(text: &str) -> Result<Quantity, String> {
    let message = format!("Количество — число от 1 до {MAX_QUANTITY}");
    let quantity = Quantity::parse(text.trim()).map_err(|_| message.clone())?;
    let units = quantity.ten_thousandths();
    if units <= 0 || units > MAX_QUANTITY * 10_000 {
        return Err(message);
    }
    Ok(quantity)
}

/// Reads the edit form against `order` (as it was when the form was opened: its values ride in
/// the form as `seen.<field>`, so a change made meanwhile is noticed by the store), with the
/// slots and the catalogue of `reference` and the shop's `today`.
///
/// # Errors
/// [`EditRefusal`]: every problem at once, or nothing to change.
pub fn parse_edit(
    form: &[(String, String)],
    order: &OrderView,
    reference: &Reference,
    today: chrono::NaiveDate,
) -> Result<OrderEdit, EditRefusal> {
    let mut problems = Vec::new();
    let mut fields = Vec::new();
    for &field in EDIT_FIELDS {
        let Some(raw) = form_value(form, field.name()) else { continue };
        let text = raw.trim();
        let name = field.name();
        let to = if text.is_empty() {
            if field.required() {
                problems.push(problem(name, "Это поле нельзя оставить пустым"));
                continue;
            }
            None
        } else if text.chars().count() > MAX_TEXT_CHARS {
            problems.push(problem(name, format!("Не длиннее {MAX_TEXT_CHARS} символов")));
            continue;
        } else {
            match field {
                EditField::RecipientPhone => match Phone::parse(text) {
                    Some(phone @ Phone::Kazakh(_)) => Some(phone.as_str().to_owned()),
                    _ => {
                        problems.push(problem(name, "Номер телефона должен быть казахстанским: +7XXXXXXXXXX"));
                        continue;
                    }
                },
                EditField::DeliveryDate => match parse_date(text) {
                    Ok(date) if date < today => {
                        problems.push(problem(name, "Дата доставки уже прошла"));
                        continue;
                    }
                    Ok(date) => Some(date.to_string()),
                    Err(_) => {
                        problems.push(problem(name, "Дата должна быть в формате ГГГГ-ММ-ДД"));
                        continue;
                    }
                },
                EditField::DeliverySlot => match text.parse::<u64>() {
                    Ok(id) if reference.slots.iter().any(|slot| slot.id == id) => Some(id.to_string()),
                    _ => {
                        problems.push(problem(name, "Такого времени доставки нет: выберите из списка"));
                        continue;
                    }
                },
                EditField::DeliveryFee => match Money::parse(text) {
                    Ok(fee) => Some(fee.to_string()),
                    Err(_) => {
                        problems.push(problem(name, "Сумма должна быть неотрицательным числом, например 1500"));
                        continue;
                    }
                },
                _ => Some(text.to_owned()),
            }
        };
        // What the editor saw when the form was opened (the store refuses the edit if the order
        // has moved on since); without it, the order as it is now.
        let from = match form_value(form, &format!("seen.{name}")) {
            Some(seen) => Some(seen.trim().to_owned()).filter(|s| !s.is_empty()),
            None => current(order, field),
        };
        let same = match field {
            EditField::DeliveryFee => {
                from.as_deref().and_then(|f| Money::parse(f).ok()) == to.as_deref().and_then(|t| Money::parse(t).ok())
            }
            _ => from == to,
        };
        if !same {
            fields.push(FieldChange { field, from, to });
        }
    }
    let lines = parse_lines(form, order, reference, &mut problems);
    if !problems.is_empty() {
        return Err(EditRefusal::Invalid(problems));
    }
    if fields.is_empty() && lines.is_empty() {
        return Err(EditRefusal::NoChange);
    }
    Ok(OrderEdit { fields, lines })
}

fn parse_lines(
    form: &[(String, String)],
    order: &OrderView,
    reference: &Reference,
    problems: &mut Vec<Problem>,
) -> Vec<LineChange> {
    let mut lines = Vec::new();
    let mut kept = 0;
    for item in &order.items {
        let name = item.name.clone().unwrap_or_default();
        let field = format!("items[{}].quantity", item.id);
        let removed = form_value(form, &format!("items[{}].remove", item.id)) == Some("on");
        if removed {
            lines.push(LineChange::Remove { item: item.id.clone(), name, quantity: item.quantity });
            continue;
        }
        kept += 1;
        let Some(text) = form_value(form, &field) else { continue };
        match quantity(text) {
            Ok(to) if to != item.quantity => {
                if order.bitrix_order_id.is_some() && item.bitrix_basket_id.is_none() {
                    problems.push(problem(field, "Строка ещё не передана в Битрикс: измените её через минуту"));
                } else {
                    lines.push(LineChange::Quantity { item: item.id.clone(), name, from: item.quantity, to });
                }
            }
            Ok(_) => {}
            Err(message) => problems.push(problem(field, message)),
        }
    }
    for row in 0..NEW_ROWS {
        let product_field = format!("new[{row}].product");
        let chosen = form_value(form, &product_field).unwrap_or("").trim();
        let quantity_text = form_value(form, &format!("new[{row}].quantity")).unwrap_or("").trim();
        if chosen.is_empty() {
            continue;
        }
        let id = chosen.strip_suffix(')').and_then(|t| t.rsplit_once('(')).map_or(chosen, |(_, id)| id.trim());
        let product = id
            .parse::<u64>()
            .ok()
            .and_then(|id| reference.products.iter().find(|p| p.bitrix_product_id == Some(id) && p.active));
        let Some((product, bitrix_product_id)) = product.and_then(|p| p.bitrix_product_id.map(|id| (p, id))) else {
            problems.push(problem(product_field, "Выберите товар из списка"));
            continue;
        };
        let Some(price) = product.price else {
            problems.push(problem(product_field, "У товара нет цены в каталоге"));
            continue;
        };
        match quantity(if quantity_text.is_empty() { "1" } else { quantity_text }) {
            Ok(quantity) => {
                kept += 1;
                lines.push(LineChange::Add { bitrix_product_id, name: product.name.clone(), price, quantity });
            }
            Err(message) => problems.push(problem(format!("new[{row}].quantity"), message)),
        }
    }
    if kept == 0 && !order.items.is_empty() {
        problems.push(problem("items", "В заказе должна остаться хотя бы одна позиция"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::edit::BitrixField;
    use crate::domain::views::{Named, ProductView, SlotView};
    use serde_json::json;

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2025, 8, 24).unwrap()
    }

    fn order() -> OrderView {
        let mut order = crate::web::telegram::tests::card();
        order.delivery_date = chrono::NaiveDate::from_ymd_opt(2025, 8, 25);
        order.delivery_slot = Some(Named { id: 18, name: Some("15:00-16:00".into()) });
        order
    }

    fn reference() -> Reference {
        let product: ProductView = serde_json::from_value(json!({
            "id": "00000000-0000-4000-8000-000000000009", "name": "Розы красные", "price": "5000",
            "bitrix_product_id": 15653, "active": true, "stock": "158",
            "created_at": "2025-08-01T00:00:00+05:00", "updated_at": "2025-08-01T00:00:00+05:00"}))
        .unwrap();
        Reference {
            slots: vec![
                SlotView { id: 18, label: "15:00-16:00".into(), starts_at: None, ends_at: None },
                SlotView { id: 19, label: "16:00-17:00".into(), starts_at: None, ends_at: None },
            ],
            products: vec![product],
            ..Reference::default()
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn problems_of(form: &[(&str, &str)]) -> Vec<(String, String)> {
        match parse_edit(&pairs(form), &order(), &reference(), today()) {
            Err(EditRefusal::Invalid(problems)) => problems.into_iter().map(|p| (p.field, p.message)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_the_fields_that_change_are_in_the_edit_each_with_its_value_before() {
        let edit = parse_edit(
            &pairs(&[
                ("recipient_name", "Айгерим Садыкова-Ким"),
                ("recipient_phone", "8 701 555 00 00"),
                ("delivery_time_id", "19"),
                ("delivery_fee", "1500"),
            ]),
            &order(),
            &reference(),
            today(),
        )
        .unwrap();
        let changed: Vec<(&str, Option<&str>, Option<&str>)> =
            edit.fields.iter().map(|c| (c.field.name(), c.from.as_deref(), c.to.as_deref())).collect();
        assert_eq!(
            changed,
            [
                ("recipient_name", Some("Айгерим Садыкова"), Some("Айгерим Садыкова-Ким")),
                ("recipient_phone", Some("+77015551234"), Some("+77015550000")),
                ("delivery_time_id", Some("18"), Some("19")),
            ],
            "the fee 1500 is the order's 1500.00"
        );
        assert_eq!(edit.command()["fields"]["delivery_time_id"], json!({"from": "18", "to": "19"}));
    }

    #[test]
    fn an_emptied_required_field_a_past_date_an_unknown_slot_and_a_bad_phone_are_each_said_beside_the_field() {
        let problems = problems_of(&[
            ("recipient_name", "  "),
            ("delivery_date", "2025-08-23"),
            ("delivery_time_id", "77"),
            ("recipient_phone", "+49 30 1234567"),
        ]);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["recipient_name", "recipient_phone", "delivery_date", "delivery_time_id"]);
        assert_eq!(problems[2].1, "Дата доставки уже прошла");
    }

    #[test]
    fn a_quantity_of_zero_or_ten_thousand_is_refused_and_a_line_is_removed_with_its_box() {
        let order = order();
        let item = order.items[0].id.clone();
        for bad in ["0", "10000", "-1", "много"] {
            let problems = problems_of(&[(&format!("items[{item}].quantity"), bad)]);
            assert_eq!(problems[0].0, format!("items[{item}].quantity"), "{bad}");
        }
        let only_line_removed = problems_of(&[(&format!("items[{item}].remove"), "on")]);
        assert_eq!(only_line_removed[0].0, "items", "an order keeps one line");
        let edit = parse_edit(
            &pairs(&[
                (&format!("items[{item}].remove"), "on"),
                ("new[0].product", "Розы красные (15653)"),
                ("new[0].quantity", "3"),
            ]),
            &order,
            &reference(),
            today(),
        )
        .unwrap();
        assert!(matches!(edit.lines[0], LineChange::Remove { .. }));
        assert!(
            matches!(&edit.lines[1], LineChange::Add { bitrix_product_id: 15653, quantity, .. } if quantity.to_string().starts_with('3')),
            "{:?}",
            edit.lines
        );
    }

    #[test]
    fn the_value_before_is_the_one_the_editor_saw_not_the_one_the_order_has_now() {
        let edit = parse_edit(
            &pairs(&[("seen.delivery_address", "Алматы, старый адрес"), ("delivery_address", "Алматы, новый адрес")]),
            &order(),
            &reference(),
            today(),
        )
        .unwrap();
        assert_eq!(edit.fields[0].from.as_deref(), Some("Алматы, старый адрес"));
    }

    #[test]
    fn a_form_that_changes_nothing_is_no_edit() {
        let same = parse_edit(&pairs(&[("recipient_name", " Айгерим Садыкова ")]), &order(), &reference(), today());
        assert_eq!(same, Err(EditRefusal::NoChange));
    }

    #[test]
    fn every_field_has_one_name_and_reads_back() {
        for &field in EDIT_FIELDS {
            assert_eq!(EditField::parse(field.name()), Some(field));
        }
        assert_eq!(EditField::DeliverySlot.bitrix(), BitrixField::Property("when"));
    }
}
