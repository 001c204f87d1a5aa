//! The staff's pages, rendered on the server as HTML (`lang="ru"`), usable without JavaScript:
//! the layout and the pieces every page shares. Every value is escaped by `maud`; the only
//! script is the static `/static/crm.js`, and the Content-Security-Policy allows no other.

pub mod board;
pub mod login;
pub mod my;
pub mod orders;
pub mod products;
pub mod reports;
pub mod staff;
pub mod sync;

use maud::{html, Markup, DOCTYPE};

use crate::domain::status::CrmStatus;
use crate::domain::views::{Origin, Staff};
use crate::web::access;
use crate::web::human;
use crate::web::routes::PageRoute;

/// The sections of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Board,
    Orders,
    NewOrder,
    Products,
    Sync,
    Reports,
    /// The courier's own deliveries.
    My,
    /// The staff accounts (owner).
    Staff,
    /// A page outside the navigation (login, errors).
    None,
}

/// A message shown once at the top of a page, after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    /// An error (`role="alert"`) or a success (`role="status"`).
    pub error: bool,
}

impl Flash {
    #[must_use]
    pub fn done(text: impl Into<String>) -> Flash {
        Flash { text: text.into(), error: false }
    }

    #[must_use]
    pub fn error(text: impl Into<String>) -> Flash {
        Flash { text: text.into(), error: true }
    }
}

/// What every page around its content needs.
#[derive(Debug, Clone)]
pub struct Chrome<'a> {
    pub staff: Option<&'a Staff>,
    pub section: Section,
    pub flash: Option<Flash>,
}

impl Chrome<'_> {
    /// What the person on the page sees of money (nobody logged in: nothing).
    #[must_use]
    pub fn sees_money(&self) -> bool {
        self.staff.is_some_and(|staff| staff.role.sight().money)
    }

    /// True when the person on the page may take `route` (its rule in `web::access`).
    #[must_use]
    pub fn may(&self, route: &PageRoute) -> bool {
        self.staff.is_some_and(|staff| access::rule(route).admits(staff.role))
    }
}

/// The navigation: each link with the route it opens, shown to those its rule admits.
const NAVIGATION: [(Section, PageRoute, &str, &str); 8] = [
    (Section::Board, PageRoute::Board, "/crm", "Доска дня"),
    (Section::My, PageRoute::MyDeliveries, "/crm/my", "Мои доставки"),
    (Section::Orders, PageRoute::Orders, "/crm/orders", "Заказы"),
    (Section::NewOrder, PageRoute::NewOrder, "/crm/orders/new", "Новый заказ"),
    (Section::Products, PageRoute::Products, "/crm/products", "Товары"),
    (Section::Reports, PageRoute::Reports, "/crm/reports", "Отчёты"),
    (Section::Sync, PageRoute::Sync, "/crm/sync", "Синхронизация"),
    (Section::Staff, PageRoute::Staff, "/crm/staff", "Сотрудники"),
];

/// The `<head>` of every page: its title, the stylesheet and the one static script.
#[must_use]
pub fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) }
            link rel="stylesheet" href="/static/crm.css";
            script src="/static/crm.js" defer {}
        }
    }
}

/// A whole page: the head, the navigation (when someone is logged in), the flash, the content.
#[must_use]
pub fn layout(chrome: &Chrome, title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ru" {
            (head(&format!("{title} — CRM cvety.kz")))
            body {
                a class="skip" href="#content" { "К содержимому" }
                @if let Some(staff) = chrome.staff {
                    header class="top" {
                        nav aria-label="Разделы" {
                            ul {
                                @for (section, _, href, label) in NAVIGATION.iter().filter(|entry| chrome.may(&entry.1)) {
                                    li {
                                        @if *section == chrome.section {
                                            a href=(href) aria-current="page" { (label) }
                                        } @else {
                                            a href=(href) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                        form class="logout" method="post" action="/crm/logout" {
                            span class="who" { (staff.name) " · " (staff.role.label_ru()) }
                            button type="submit" class="link" { "Выйти" }
                        }
                    }
                }
                main id="content" {
                    @if let Some(flash) = &chrome.flash {
                        @if flash.error {
                            p class="flash flash-error" role="alert" { (flash.text) }
                        } @else {
                            p class="flash flash-done" role="status" { (flash.text) }
                        }
                    }
                    (content)
                }
            }
        }
    }
}

/// A status as a badge: its words, and a colour by kind.
#[must_use]
pub fn status_badge(status: CrmStatus) -> Markup {
    html! { span class={ "status status-" (status.as_str()) } { (status.label_ru()) } }
}

/// Where an order came from.
#[must_use]
pub fn origin_label(origin: Origin) -> &'static str {
    match origin {
        Origin::Bitrix => "Сайт",
        Origin::Crm => "CRM",
    }
}

/// A phone as a link to call it, shown as people read it.
#[must_use]
pub fn phone_link(stored: Option<&str>) -> Markup {
    html! {
        @match stored {
            Some(stored) => {
                @match human::tel_link(stored) {
                    Some(href) => a href=(href) { (human::phone(stored)) },
                    None => (stored),
                }
            }
            None => span class="none" { "не указан" },
        }
    }
}

/// A value, or a dash for none.
#[must_use]
pub fn or_dash(value: Option<&str>) -> Markup {
    html! {
        @match value.filter(|v| !v.trim().is_empty()) {
            Some(text) => (text),
            None => span class="none" aria-label="не указано" { "—" },
        }
    }
}

/// The page for a record or a path that does not exist (404).
#[must_use]
pub fn not_found(chrome: &Chrome, what: &str) -> Markup {
    layout(
        chrome,
        "Не найдено",
        html! {
            h1 { (what) }
            p { "Проверьте адрес или вернитесь " a href="/crm" { "на доску дня" } "." }
        },
    )
}

/// The page for a route the person's role may not take (403).
#[must_use]
pub fn no_access(chrome: &Chrome) -> Markup {
    let role = chrome.staff.map_or("", |staff| staff.role.label_ru());
    layout(
        chrome,
        "Нет доступа",
        html! {
            h1 { "Нет доступа" }
            p { "Эта страница или это действие не для роли «" (role) "». Ничего не изменено." }
            p { a href=(chrome.staff.map_or("/crm", |staff| crate::domain::roles::home(staff.role))) { "На главную" } }
        },
    )
}

/// The page for a change that was refused: from another site, or without a session (403).
#[must_use]
pub fn forbidden(chrome: &Chrome, why: &str) -> Markup {
    layout(
        chrome,
        "Действие отклонено",
        html! {
            h1 { "Действие отклонено" }
            p { (why) }
            p { a href="/crm/login" { "Войти снова" } }
        },
    )
}

/// A page that says, with its title, why a request was not served (413, 503 `misconfigured`).
#[must_use]
pub fn refused(chrome: &Chrome, title: &str, why: &str) -> Markup {
    layout(
        chrome,
        title,
        html! {
            h1 { (title) }
            p { (why) }
        },
    )
}

/// The page when the CRM's database cannot be reached or refused (503/500).
#[must_use]
pub fn unavailable(chrome: &Chrome) -> Markup {
    layout(
        chrome,
        "База данных недоступна",
        html! {
            h1 { "База данных CRM временно недоступна" }
            p { "Обновите страницу через минуту. Если не помогает, сообщите администратору." }
        },
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn staff() -> Staff {
        Staff {
            id: crate::domain::ids::test_id(42),
            login: "admin".into(),
            name: "Айгуль <Администратор>".into(),
            role: crate::domain::roles::Role::Owner,
        }
    }

    #[test]
    fn every_page_is_russian_loads_only_its_own_static_files_and_escapes_what_it_shows() {
        let staff = staff();
        let chrome =
            Chrome { staff: Some(&staff), section: Section::Orders, flash: Some(Flash::done("<b>Готово</b>")) };

        let page = layout(&chrome, "Заказы <x>", html! { p { "тело" } }).into_string();

        assert!(page.starts_with("<!DOCTYPE html><html lang=\"ru\">"), "{page}");
        assert!(page.contains("<title>Заказы &lt;x&gt; — CRM cvety.kz</title>"));
        assert!(page.contains("Айгуль &lt;Администратор&gt;"));
        assert!(page.contains("&lt;b&gt;Готово&lt;/b&gt;"));
        assert!(page.contains(r#"<a href="/crm/orders" aria-current="page">Заказы</a>"#));
        assert!(page.contains(r#"<script src="/static/crm.js" defer></script>"#));
        assert_eq!(page.matches("<script").count(), 1, "no inline script");
        assert!(!page.contains("style="), "no inline style");
    }

    #[test]
    fn a_phone_is_a_link_to_call_it() {
        assert_eq!(
            phone_link(Some("+77015551234")).into_string(),
            r#"<a href="tel:+77015551234">+7 (701) 555-12-34</a>"#
        );
        assert!(phone_link(None).into_string().contains("не указан"));
    }
}
