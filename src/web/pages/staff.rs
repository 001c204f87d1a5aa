//! `/crm/staff`: the owner's page of staff accounts: each with its role, state, last login and
//! failed logins; the forms to add one, change its role, disable or enable it, give it a new
//! password (shown once) and unlock it; and the newest changes, with who made them.

use std::collections::HashMap;

use maud::{html, Markup};

use super::{layout, Chrome};
use crate::domain::roles::{Role, ALL_ROLES};
use crate::domain::views::{StaffAccount, StaffChangeEntry};
use crate::web::human;

/// A temporary password to show once, to whom it belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownPassword {
    pub login: String,
    pub password: String,
}

/// What the add form shows again after a refusal: its values and the problem beside each field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddForm {
    pub values: HashMap<String, String>,
    pub problems: HashMap<String, String>,
}

fn role_select(name: &str, id: &str, chosen: Option<Role>) -> Markup {
    html! {
        select name=(name) id=(id) {
            @for role in ALL_ROLES {
                option value=(role.as_str()) selected[chosen == Some(role)] { (role.label_ru()) }
            }
        }
    }
}

fn change_text(entry: &StaffChangeEntry) -> String {
    let login = entry.detail["login"].as_str().unwrap_or("?");
    let role = |key: &str| entry.detail[key].as_str().and_then(Role::parse).map_or("?", Role::label_ru);
    match entry.kind.as_str() {
        "staff_added" => format!("Добавлен {login} ({})", role("role")),
        "staff_disabled" => format!("Отключён {login}"),
        "staff_enabled" => format!("Включён {login}"),
        "staff_password_reset" => format!("Новый пароль для {login}"),
        "staff_unlocked" => format!("Разблокирован {login}"),
        "staff_role_set" => format!("Роль {login}: «{}» → «{}»", role("from"), role("to")),
        other => other.to_owned(),
    }
}

fn field_problem(form: &AddForm, name: &str) -> Markup {
    html! {
        @if let Some(problem) = form.problems.get(name) {
            span class="field-error" id={ "new-" (name) "-error" } { (problem) }
        }
    }
}

/// The page; `shown` is a password made by the change just done, shown this once.
#[must_use]
pub fn page(
    chrome: &Chrome,
    accounts: &[StaffAccount],
    changes: &[StaffChangeEntry],
    shown: Option<&ShownPassword>,
    form: &AddForm,
) -> Markup {
    let me = chrome.staff.map(|s| s.id.clone());
    let value = |name: &str| form.values.get(name).cloned().unwrap_or_default();
    let invalid = |name: &str| form.problems.contains_key(name).then_some("true");
    layout(
        chrome,
        "Сотрудники",
        html! {
            h1 { "Сотрудники" }
            @if let Some(shown) = shown {
                section class="password-once" aria-labelledby="password-once" role="status" {
                    h2 id="password-once" { "Временный пароль для " (shown.login) }
                    p class="password" { code { (shown.password) } }
                    p { "Передайте его сотруднику лично. Он показан один раз и больше нигде не хранится." }
                }
            }
            section aria-labelledby="staff-list" {
                h2 id="staff-list" { "Учётные записи" }
                div class="table-scroll" {
                table {
                    thead {
                        tr {
                            th scope="col" { "Сотрудник" }
                            th scope="col" { "Роль" }
                            th scope="col" { "Состояние" }
                            th scope="col" { "Действия" }
                        }
                    }
                    tbody {
                        @for account in accounts {
                            @let own = me.as_ref() == Some(&account.id);
                            @let action = format!("/crm/staff/{}", account.id);
                            tr {
                                td { strong { (account.name) } br; span class="login-name" { (account.login) } }
                                td {
                                    @if own {
                                        (account.role.label_ru())
                                    } @else {
                                        form method="post" action=(action) class="inline" {
                                            input type="hidden" name="action" value="role";
                                            label class="visually-hidden" for={ "role-" (account.id) } { "Роль " (account.login) }
                                            (role_select("role", &format!("role-{}", account.id), Some(account.role)))
                                            button type="submit" { "Сменить роль" }
                                        }
                                    }
                                }
                                td {
                                    @match &account.disabled_at {
                                        Some(at) => { span class="unpaid" { "Отключён " (human::moment(at)) } },
                                        None => "Активен",
                                    }
                                    br;
                                    @match &account.last_login_at {
                                        Some(at) => { "Вход: " (human::moment(at)) },
                                        None => "Ещё не входил",
                                    }
                                    @if account.recent_failures > 0 {
                                        br; strong class="late-note" { "Неудачных входов: " (account.recent_failures) }
                                    }
                                }
                                td class="actions" {
                                    @if !own {
                                        form method="post" action=(action) {
                                            @if account.disabled_at.is_some() {
                                                input type="hidden" name="action" value="enable";
                                                button type="submit" { "Включить" }
                                            } @else {
                                                input type="hidden" name="action" value="disable";
                                                button type="submit" { "Отключить" }
                                            }
                                        }
                                        form method="post" action=(action) {
                                            input type="hidden" name="action" value="reset";
                                            button type="submit" { "Новый пароль" }
                                        }
                                    }
                                    @if account.recent_failures > 0 {
                                        form method="post" action=(action) {
                                            input type="hidden" name="action" value="unlock";
                                            button type="submit" { "Разблокировать" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                }
            }
            section aria-labelledby="staff-add" {
                h2 id="staff-add" { "Добавить сотрудника" }
                form method="post" action="/crm/staff" class="stacked" novalidate {
                    label for="new-login" { "Логин (латиница)" }
                    input id="new-login" name="login" type="text" autocomplete="off" autocapitalize="none"
                        value=(value("login")) aria-invalid=[invalid("login")];
                    (field_problem(form, "login"))
                    label for="new-name" { "Имя" }
                    input id="new-name" name="name" type="text" value=(value("name")) aria-invalid=[invalid("name")];
                    (field_problem(form, "name"))
                    label for="new-role" { "Роль" }
                    (role_select("role", "new-role", form.values.get("role").and_then(|r| Role::parse(r)).or(Some(Role::Florist))))
                    (field_problem(form, "role"))
                    button type="submit" { "Добавить и показать пароль" }
                }
            }
            section aria-labelledby="staff-changes" {
                h2 id="staff-changes" { "Последние изменения" }
                @if changes.is_empty() { p { "Изменений ещё не было." } }
                ol class="timeline" {
                    @for entry in changes {
                        li {
                            time datetime=(entry.at.to_rfc3339()) { (human::moment(&entry.at)) }
                            " " (change_text(entry)) " — " strong { (entry.actor) }
                        }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_account_change_reads_as_a_russian_sentence() {
        let entry = |kind: &str, detail: serde_json::Value| StaffChangeEntry {
            at: chrono::DateTime::parse_from_rfc3339("2025-08-25T10:00:00+05:00").unwrap(),
            kind: kind.into(),
            actor: "Айгуль".into(),
            detail,
        };
        let role_set =
            entry("staff_role_set", serde_json::json!({"login": "dana", "from": "florist", "to": "manager"}));
        assert_eq!(change_text(&role_set), "Роль dana: «Флорист» → «Менеджер»");
        assert_eq!(
            change_text(&entry("staff_added", serde_json::json!({"login": "k1", "role": "courier"}))),
            "Добавлен k1 (Курьер)"
        );
    }
}
