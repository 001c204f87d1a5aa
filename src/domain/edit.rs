//! An edit of an order made in the CRM, as values: the fields it can change (each with its name
//! in the form, the store and the job, its label, and where Bitrix keeps it), the fields and
//! basket lines that change, and the edit as the store takes it. Reading a form into one is
//! `app::edit`.

use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::decimal::{Money, Quantity};
use crate::domain::ids::CrmId;
use crate::domain::views::OrderView;

/// How a field is kept in Bitrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitrixField {
    /// An order property, by its code.
    Property(&'static str),
    /// `USER_DESCRIPTION`.
    UserDescription,
    /// The shipment's price (`PRICE_DELIVERY`).
    PriceDelivery,
}

macro_rules! edit_fields {
    ($($variant:ident = $name:literal, $label:literal, $bitrix:expr, required: $required:literal;)+) => {
        /// A field of an order the CRM can edit.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EditField { $($variant,)+ }

        /// Every editable field, in the form's order.
        pub const EDIT_FIELDS: &[EditField] = &[$(EditField::$variant),+];

        impl EditField {
            /// Its name in the form, the store (`orders` column) and the job.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(EditField::$variant => $name,)+ }
            }

            /// What the staff read.
            #[must_use]
            pub fn label_ru(self) -> &'static str {
                match self { $(EditField::$variant => $label,)+ }
            }

            /// Where Bitrix keeps it.
            #[must_use]
            pub fn bitrix(self) -> BitrixField {
                match self { $(EditField::$variant => $bitrix,)+ }
            }

            /// It may not be emptied.
            #[must_use]
            pub fn required(self) -> bool {
                match self { $(EditField::$variant => $required,)+ }
            }

            #[must_use]
            pub fn parse(name: &str) -> Option<EditField> {
                EDIT_FIELDS.iter().copied().find(|field| field.name() == name)
            }
        }
    };
}

edit_fields! {
    RecipientName = "recipient_name", "Получатель", BitrixField::Property("nameRecipient"), required: true;
    RecipientPhone = "recipient_phone", "Телефон получателя", BitrixField::Property("phoneRecipient"), required: true;
    DeliveryAddress = "delivery_address", "Адрес", BitrixField::Property("addressRecipient"), required: true;
    DeliveryDate = "delivery_date", "Дата доставки", BitrixField::Property("data"), required: true;
    DeliverySlot = "delivery_time_id", "Время доставки", BitrixField::Property("when"), required: true;
    PostcardText = "postcard_text", "Открытка", BitrixField::Property("postcardText"), required: false;
    CustomerComment = "customer_comment", "Комментарий покупателя", BitrixField::UserDescription, required: false;
    DeliveryFee = "delivery_fee", "Стоимость доставки", BitrixField::PriceDelivery, required: false;
}

/// The value of a field as the CRM keeps it, as text (`None`: empty).
#[must_use]
pub fn current(order: &OrderView, field: EditField) -> Option<String> {
    match field {
        EditField::RecipientName => order.recipient_name.clone(),
        EditField::RecipientPhone => order.recipient_phone.clone(),
        EditField::DeliveryAddress => order.delivery_address.clone(),
        EditField::DeliveryDate => order.delivery_date.map(|d| d.to_string()),
        EditField::DeliverySlot => order.delivery_slot.as_ref().map(|s| s.id.to_string()),
        EditField::PostcardText => order.postcard_text.clone(),
        EditField::CustomerComment => order.customer_comment.clone(),
        EditField::DeliveryFee => order.delivery_fee.map(|m| m.to_string()),
    }
    .filter(|v| !v.trim().is_empty())
}

/// One field that changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    #[serde(serialize_with = "field_name")]
    pub field: EditField,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's signature
fn field_name<S: serde::Serializer>(field: &EditField, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(field.name())
}

/// One line of the basket that changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LineChange {
    Quantity { item: CrmId, name: String, from: Quantity, to: Quantity },
    Remove { item: CrmId, name: String, quantity: Quantity },
    Add { bitrix_product_id: u64, name: String, price: Money, quantity: Quantity },
}

/// An edit: the fields and lines that change (never empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderEdit {
    pub fields: Vec<FieldChange>,
    pub lines: Vec<LineChange>,
}

impl OrderEdit {
    /// What the store takes (`crm_edit_order`'s `p_edit`).
    #[must_use]
    pub fn command(&self) -> Value {
        json!({
            "fields": self.fields.iter().map(|c| (c.field.name().to_owned(), json!({"from": c.from, "to": c.to})))
                .collect::<serde_json::Map<_, _>>(),
            "lines": self.lines,
        })
    }
}
