//! `/crm/login`: the login form, with what went wrong when it did.

use maud::{html, Markup};

use super::{layout, Chrome, Flash, Section};

/// The login form; `next` is the page to go to after it (already checked to be one of ours);
/// `flash` says what went wrong, or that the staff member logged out.
#[must_use]
pub fn page(login: &str, next: &str, flash: Option<Flash>) -> Markup {
    let chrome = Chrome { staff: None, section: Section::None, flash };
    layout(
        &chrome,
        "Вход",
        html! {
            h1 { "CRM cvety.kz" }
            form class="card login" method="post" action="/crm/login" {
                input type="hidden" name="next" value=(next);
                p {
                    label for="login" { "Логин" }
                    input id="login" name="login" type="text" autocomplete="username" required
                          autocapitalize="none" spellcheck="false" value=(login);
                }
                p {
                    label for="password" { "Пароль" }
                    input id="password" name="password" type="password" autocomplete="current-password" required;
                }
                p { button type="submit" class="primary" { "Войти" } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_form_has_its_two_labelled_fields_and_keeps_the_page_asked_for() {
        let problem = Some(Flash::error("Неверный логин или пароль"));
        let page = page("admin\"><script>", "/crm/orders?status=new", problem).into_string();
        assert!(page.contains(r#"<label for="login">Логин</label>"#));
        assert!(page.contains(r#"<label for="password">Пароль</label>"#));
        assert!(page.contains(">Войти</button>"));
        assert!(page.contains(r#"value="/crm/orders?status=new""#));
        assert!(page.contains(r#"role="alert">Неверный логин или пароль"#));
        assert!(!page.contains("<script>"), "the typed login is escaped");
    }
}
