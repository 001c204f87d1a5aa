//! The catalogue pages: `/crm/products` (search, availability filter, the catalogue loaded from
//! Bitrix on demand) and `/crm/products/{id}`, as the old page was: the badge «В наличии» /
//! «Нет в наличии», one button that makes the bouquet available or not, the link to the
//! storefront, and now the section, the picture and whether Bitrix still sells it.

use maud::{html, Markup};

use super::{layout, Chrome};
use crate::app::crm_input::ProductFilter;
use crate::domain::views::{ProductView, Stock};
use crate::web::human;

fn badge(stock: Stock) -> Markup {
    let class = match stock {
        Stock::InStock => "badge in-stock",
        Stock::OutOfStock => "badge out-of-stock",
        Stock::Unknown => "badge unknown-stock",
    };
    html! { span class=(class) { (stock.label_ru()) } }
}

/// The storefront's picture, small; nothing for a picture from anywhere else.
fn picture(product: &ProductView, size: u32) -> Markup {
    html! {
        @if let Some(url) = product.storefront_picture() {
            img src=(url) alt=(product.name) width=(size) height=(size) loading="lazy" class="picture";
        }
    }
}

fn retired(product: &ProductView) -> Markup {
    html! { @if !product.active { " " span class="badge unknown-stock" { "Снят с продажи" } } }
}

fn site_link(product: &ProductView) -> Markup {
    html! {
        @if let Some(url) = product.storefront_url() {
            a href=(url) rel="noopener" target="_blank" { "🔗 Просмотреть на сайте" }
        }
    }
}

/// `/crm/products`.
#[must_use]
pub fn list(chrome: &Chrome, products: &[ProductView], filter: &ProductFilter) -> Markup {
    let q = filter.search.as_ref().map(|s| s.text.clone()).unwrap_or_default();
    layout(
        chrome,
        "Товары",
        html! {
            h1 { "Товары" }
            form method="post" action="/crm/products/load" class="inline" {
                button type="submit" data-busy="⏳ Загрузка..." { "Загрузить каталог из Битрикса" }
            }
            form class="filters" method="get" action="/crm/products" role="search" {
                p {
                    label for="q" { "Название" }
                    input id="q" name="q" type="search" value=(q);
                }
                p {
                    label for="available" { "Наличие" }
                    select id="available" name="available" {
                        option value="" { "Все" }
                        option value="true" selected[filter.available == Some(true)] { "В наличии" }
                        option value="false" selected[filter.available == Some(false)] { "Нет в наличии" }
                    }
                }
                @if let Some(section) = filter.section {
                    input type="hidden" name="section" value=(section);
                }
                p class="actions" {
                    button type="submit" class="primary" { "Найти" }
                    a href="/crm/products" { "Сбросить" }
                }
            }
            @if products.is_empty() {
                p { "Товаров не найдено." }
            } @else {
                table {
                    thead {
                        tr {
                            th scope="col" { "Товар" }
                            th scope="col" { "Раздел" }
                            th scope="col" { "Цена" }
                            th scope="col" { "Наличие" }
                            th scope="col" { "На сайте" }
                        }
                    }
                    tbody {
                        @for product in products {
                            tr {
                                td {
                                    (picture(product, 48))
                                    a href={ "/crm/products/" (product.id) } { (product.name) }
                                    (retired(product))
                                }
                                td {
                                    @match (product.section_id, product.section_name.as_deref()) {
                                        (Some(id), Some(name)) => a href={ "/crm/products?section=" (id) } { (name) },
                                        (_, name) => (super::or_dash(name)),
                                    }
                                }
                                td class="money" {
                                    @match product.price { Some(price) => (human::money(price, None)), None => "—" }
                                }
                                td { (badge(product.stock)) }
                                td { (site_link(product)) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// `/crm/products/{id}`.
#[must_use]
pub fn page(chrome: &Chrome, product: &ProductView) -> Markup {
    let available = product.stock == Stock::InStock;
    layout(
        chrome,
        &product.name,
        html! {
            h1 { (product.name) }
            p class="stock" { (badge(product.stock)) (retired(product)) }
            (picture(product, 240))
            dl {
                dt { "Раздел" }
                dd { (super::or_dash(product.section_name.as_deref())) }
                dt { "Цена" }
                dd { @match product.price { Some(price) => (human::money(price, None)), None => "—" } }
                dt { "Код в Битриксе" }
                dd { @match product.bitrix_product_id { Some(id) => (id), None => "нет" } }
                dt { "Изменён" }
                dd { (human::moment(&product.updated_at)) }
            }
            form method="post" action={ "/crm/products/" (product.id) "/availability" } {
                input type="hidden" name="available" value=(if available { "false" } else { "true" });
                button type="submit" class="primary" data-busy="⏳ Обработка..." {
                    (if available { "Сделать недоступным" } else { "Сделать доступным" })
                }
            }
            p { (site_link(product)) }
            p { a href="/crm/products" { "← Все товары" } }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::pages::tests::staff;
    use crate::web::pages::Section;

    fn product(stock: Stock, ru_url: Option<&str>) -> ProductView {
        serde_json::from_value(serde_json::json!({
            "id": "00000000-0000-4000-8000-000000000001", "name": "Букет Стандарт", "price": "7500",
            "bitrix_product_id": 15652, "stock": match stock { Stock::InStock => "158", Stock::OutOfStock => "159", Stock::Unknown => "x" },
            "ru_url": ru_url, "updated_at": "2025-08-24T08:05:11+00:00"}))
        .unwrap()
    }

    #[test]
    fn a_product_in_stock_shows_its_badge_the_button_to_take_it_away_and_its_site_link() {
        let staff = staff();
        let chrome = Chrome { staff: Some(&staff), section: Section::Products, flash: None };
        let html = page(&chrome, &product(Stock::InStock, Some("buket-standart"))).into_string();
        assert!(html.contains(r#"<span class="badge in-stock">В наличии</span>"#));
        assert!(html.contains(">Сделать недоступным</button>"));
        assert!(html.contains(r#"name="available" value="false""#));
        assert!(html.contains(r#"href="https://cvety.kz/products/buket-standart/""#));
        assert!(html.contains("🔗 Просмотреть на сайте"));
    }

    #[test]
    fn a_product_out_of_stock_offers_to_make_it_available_and_without_a_slug_has_no_link() {
        let staff = staff();
        let chrome = Chrome { staff: Some(&staff), section: Section::Products, flash: None };
        let html = page(&chrome, &product(Stock::OutOfStock, None)).into_string();
        assert!(html.contains(r#"<span class="badge out-of-stock">Нет в наличии</span>"#));
        assert!(html.contains(">Сделать доступным</button>"));
        assert!(!html.contains("Просмотреть на сайте"));
    }

    #[test]
    fn a_catalogue_product_shows_its_section_its_storefront_picture_and_whether_bitrix_still_sells_it() {
        let mut shown = product(Stock::InStock, Some("buket"));
        shown.section_name = Some("Розы".into());
        shown.section_id = Some(10);
        shown.picture_url = Some("https://cvety.kz/upload/iblock/1.jpg".into());
        let mut foreign = shown.clone();
        foreign.picture_url = Some("https://evil.example/x.jpg".into());
        foreign.active = false;
        let staff = staff();
        let chrome = Chrome { staff: Some(&staff), section: Section::Products, flash: None };

        let html = page(&chrome, &shown).into_string();
        let other = page(&chrome, &foreign).into_string();
        let listed = list(&chrome, &[shown], &ProductFilter::default()).into_string();

        assert!(html.contains(r#"<img src="https://cvety.kz/upload/iblock/1.jpg" alt="Букет Стандарт""#), "{html}");
        assert!(html.contains("<dd>Розы</dd>") && !html.contains("Снят с продажи"));
        assert!(!other.contains("evil.example"), "only the storefront's pictures are shown");
        assert!(other.contains("Снят с продажи"));
        assert!(listed.contains(r#"action="/crm/products/load""#), "{listed}");
        assert!(listed.contains(r#"<a href="/crm/products?section=10">Розы</a>"#), "a section is a filter: {listed}");
        let in_section = ProductFilter { section: Some(10), ..ProductFilter::default() };
        let filtered = list(&chrome, &[], &in_section).into_string();
        assert!(filtered.contains(r#"<input type="hidden" name="section" value="10">"#), "{filtered}");
    }
}
