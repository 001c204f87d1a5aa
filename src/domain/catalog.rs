//! The shop's catalogue from Bitrix (`catalog.snapshot`, page by page): each product read once
//! into typed values; a page that breaks the contract is refused whole, a product's part the CRM
//! cannot use (a price in another currency, a picture that is not a web address) is left out and
//! said.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::decimal::Money;
use crate::domain::retry::Failure;
use crate::domain::stock::{IN_STOCK, OUT_OF_STOCK};
use crate::domain::text::quote;

/// Products per page asked for; the kit allows 500.
pub const PAGE_SIZE: u32 = 500;

/// At most this many pages in one load (50,000 products): a loop over Bitrix's answers ends.
pub const MAX_PAGES: u32 = 100;

/// The currency the CRM keeps prices in.
pub const CURRENCY: &str = "KZT";

/// The catalogue is loaded whole once a day (and on demand, and first of all when the CRM has
/// never loaded it): that load also hides what Bitrix no longer has.
pub const DAILY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Between whole loads, what changed in Bitrix since the last load is loaded this often: a
/// price, a name or a stock changed in Bitrix's admin reaches the CRM within these minutes.
pub const CHANGES_EVERY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// An incremental load asks for the changes since the last load's start less this much, so that
/// a save Bitrix made while that load ran, or a clock a little off, is not missed.
pub const CHANGES_OVERLAP: std::time::Duration = std::time::Duration::from_secs(2 * 60);

/// A load that is due, and for an incremental one, since when.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CatalogDue {
    pub trigger: CatalogTrigger,
    #[serde(default)]
    pub since: Option<DateTime<FixedOffset>>,
}

/// Why a load runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogTrigger {
    /// Never loaded yet.
    First,
    /// The last complete load is older than [`DAILY`].
    Nightly,
    /// Asked for (`POST /api/ops/catalog/run`, «Загрузить каталог» on `/crm/products`).
    OnDemand,
    /// What changed since the last load ([`CHANGES_EVERY`]); never hides anything.
    Changes,
}

impl CatalogTrigger {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CatalogTrigger::First => "first",
            CatalogTrigger::Nightly => "nightly",
            CatalogTrigger::OnDemand => "on_demand",
            CatalogTrigger::Changes => "changes",
        }
    }
}

/// A product as the CRM stores it from the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogProduct {
    pub bitrix_id: u64,
    pub name: String,
    /// The storefront slug (`ru_url`).
    pub code: Option<String>,
    /// False: deactivated in Bitrix (hidden in the CRM, kept for old orders).
    pub active: bool,
    pub section_id: Option<u64>,
    pub section_name: Option<String>,
    /// The base price, in [`CURRENCY`] only.
    pub price: Option<Money>,
    /// `158`, `159`, or none.
    pub stock: Option<&'static str>,
    /// An `https://` address.
    pub picture: Option<String>,
    pub changed_at: Option<DateTime<FixedOffset>>,
}

/// One page: its products, where the next starts, and what was left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CatalogPage {
    pub products: Vec<CatalogProduct>,
    pub next_after_id: Option<u64>,
    pub skipped: Vec<String>,
}

/// What a load did, as `finish_catalog_run` records it (a page's part: `apply_catalog_page`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct CatalogOutcome {
    pub products: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Older than what the CRM holds, or its stock left alone while the CRM's own toggle is on
    /// its way to Bitrix.
    pub kept: u64,
    /// Products the catalogue once had and no longer has: hidden, kept for old orders.
    pub hidden: u64,
    pub pages: u32,
    pub skipped: Vec<String>,
    /// Why the load stopped before its last page (nothing is hidden then).
    pub error: Option<String>,
}

impl CatalogOutcome {
    /// What differed from the CRM's copy: created, updated and hidden products.
    #[must_use]
    pub fn drift(&self) -> u64 {
        self.created + self.updated + self.hidden
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireText {
    Text(String),
    Number(serde_json::Number),
}

impl WireText {
    fn text(&self) -> String {
        match self {
            WireText::Text(text) => text.trim().to_owned(),
            WireText::Number(number) => number.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct WireSection {
    id: WireText,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct WireProduct {
    id: WireText,
    name: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    section: Option<WireSection>,
    #[serde(default)]
    price: Option<WireText>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    in_stock: Option<WireText>,
    #[serde(default)]
    picture: Option<String>,
    #[serde(default)]
    changed_at: Option<String>,
}

fn broken(reason: impl Into<String>) -> Failure {
    Failure::Permanent { reason: format!("catalog.snapshot: {}", reason.into()) }
}

fn product(wire: WireProduct, skipped: &mut Vec<String>) -> Result<CatalogProduct, Failure> {
    let id_text = wire.id.text();
    let bitrix_id = id_text
        .parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| broken(format!("product id {} is not a number", quote(&id_text))))?;
    let name = wire.name.trim().to_owned();
    if name.is_empty() {
        return Err(broken(format!("product {bitrix_id} has no name")));
    }
    let currency = wire.currency.as_deref().map(str::trim).unwrap_or(CURRENCY);
    let price = match wire.price.map(|p| p.text()).filter(|p| !p.is_empty()) {
        None => None,
        Some(_) if currency != CURRENCY => {
            skipped.push(format!(
                "product {bitrix_id}: its price is in {}, not {CURRENCY}; kept without a price",
                quote(currency)
            ));
            None
        }
        Some(text) => match Money::parse(&text) {
            Ok(price) => Some(price),
            Err(e) => {
                skipped.push(format!("product {bitrix_id}: price {}: {e}; kept without a price", quote(&text)));
                None
            }
        },
    };
    let stock = match wire.in_stock.map(|s| s.text()).as_deref() {
        Some(IN_STOCK) => Some(IN_STOCK),
        Some(OUT_OF_STOCK) => Some(OUT_OF_STOCK),
        None | Some("") => None,
        Some(other) => {
            skipped.push(format!(
                "product {bitrix_id}: IN_STOCK {} is neither {IN_STOCK} nor {OUT_OF_STOCK}",
                quote(other)
            ));
            None
        }
    };
    let picture = wire.picture.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
    let picture = match picture {
        Some(url) if url.starts_with("https://") && url.len() <= 1000 && !url.contains(['"', '<', '>', ' ']) => {
            Some(url)
        }
        Some(url) => {
            skipped.push(format!("product {bitrix_id}: picture {} is not an https address", quote(&url)));
            None
        }
        None => None,
    };
    let section = wire.section.and_then(|s| s.id.text().parse::<u64>().ok().map(|id| (id, s.name)));
    Ok(CatalogProduct {
        bitrix_id,
        name,
        code: wire.code.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()),
        active: wire.active.as_deref().is_none_or(|a| a.trim().eq_ignore_ascii_case("Y")),
        section_id: section.as_ref().map(|(id, _)| *id),
        section_name: section.and_then(|(_, name)| name).map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
        price,
        stock,
        picture,
        changed_at: wire.changed_at.as_deref().and_then(|at| DateTime::parse_from_rfc3339(at.trim()).ok()),
    })
}

/// Reads one `catalog.snapshot` page asked for with `after_id` and `limit`.
///
/// # Errors
/// A permanent [`Failure`] when the page breaks the contract: no product list, more products
/// than asked for, a product without an id or a name, ids not above `after_id` and rising, or a
/// next page that does not start after this one.
pub fn read_catalog_page(answer: &Value, after_id: u64, limit: u32) -> Result<CatalogPage, Failure> {
    let Some(items) = answer.get("products").and_then(Value::as_array) else {
        return Err(broken("products is not a list"));
    };
    if items.len() > limit as usize {
        return Err(broken(format!("{} products on a page of {limit}", items.len())));
    }
    let mut page = CatalogPage::default();
    let mut last = after_id;
    for (index, item) in items.iter().enumerate() {
        let wire: WireProduct = serde_json::from_value(item.clone())
            .map_err(|e| broken(format!("products[{index}]: {}", quote(&e.to_string()))))?;
        let product = product(wire, &mut page.skipped)?;
        if product.bitrix_id <= last {
            return Err(broken(format!("products[{index}]: id {} does not follow {last}", product.bitrix_id)));
        }
        last = product.bitrix_id;
        page.products.push(product);
    }
    page.next_after_id = match answer.get("next_after_id") {
        None | Some(Value::Null) => None,
        Some(next) => {
            let next = next.as_u64().or_else(|| next.as_str().and_then(|s| s.parse().ok()));
            match next {
                Some(next) if next >= last && next > after_id => Some(next),
                _ => {
                    return Err(broken(format!(
                        "next_after_id {} does not follow the page",
                        quote(&answer["next_after_id"].to_string())
                    )))
                }
            }
        }
    };
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(id: u64) -> Value {
        json!({"id": id.to_string(), "name": format!("Букет {id}"), "code": format!("buket-{id}"), "active": "Y",
               "section": {"id": "10", "name": "Букеты"}, "price": "9000.00", "currency": "KZT", "in_stock": "158",
               "picture": format!("https://cvety.kz/upload/{id}.jpg"), "changed_at": "2026-11-30T10:00:00+05:00"})
    }

    #[test]
    fn a_page_is_read_into_products_with_price_stock_section_and_picture() {
        let page =
            read_catalog_page(&json!({"ok": true, "products": [item(5), item(7)], "next_after_id": 7}), 0, 2).unwrap();
        assert_eq!(page.next_after_id, Some(7));
        let first = &page.products[0];
        assert_eq!((first.bitrix_id, first.name.as_str(), first.code.as_deref()), (5, "Букет 5", Some("buket-5")));
        assert_eq!(
            (first.price, first.stock, first.section_id),
            (Some(Money::parse("9000").unwrap()), Some(IN_STOCK), Some(10))
        );
        assert_eq!(first.section_name.as_deref(), Some("Букеты"));
        assert!(first.active && first.changed_at.is_some() && page.skipped.is_empty());
    }

    #[test]
    fn a_price_in_another_currency_or_a_picture_off_the_web_is_left_out_and_said() {
        let mut odd = item(5);
        odd["currency"] = json!("USD");
        odd["picture"] = json!("javascript:alert(1)");
        odd["in_stock"] = json!("160");
        odd["active"] = json!("N");
        let page = read_catalog_page(&json!({"products": [odd], "next_after_id": null}), 0, 10).unwrap();
        let product = &page.products[0];
        assert_eq!(
            (product.price, product.picture.as_deref(), product.stock, product.active),
            (None, None, None, false)
        );
        assert_eq!(page.skipped.len(), 3, "{:?}", page.skipped);
        assert!(page.skipped[0].contains("USD, not KZT"), "{:?}", page.skipped);
    }

    #[test]
    fn a_page_that_breaks_the_contract_is_refused_whole() {
        let cases = [
            json!({"ok": true}),
            json!({"products": [item(5), item(6), item(7)]}),
            json!({"products": [{"id": "x", "name": "?"}]}),
            json!({"products": [{"id": "5", "name": "  "}]}),
            json!({"products": [item(7), item(5)]}),
            json!({"products": [item(5)], "next_after_id": 3}),
            json!({"products": [item(1)]}),
        ];
        for (index, answer) in cases.iter().enumerate() {
            let after = if index == 6 { 4 } else { 0 };
            assert!(matches!(read_catalog_page(answer, after, 2), Err(Failure::Permanent { .. })), "{answer}");
        }
    }
}
