//! The staff pages' requests, as `crm_api` is for the API. Each reads as steps:
//! (1) a change must come from our own origin, (2) every page but the login needs a live
//! session, (3) the input is read into typed values, (4) one CRM operation, (5) the page, or a
//! redirect after a change (303, so that a reload never repeats it).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use maud::Markup;
use serde_json::json;

use crate::app::catalog_run::CatalogRun;
use crate::app::crm::{Crm, CrmError};
use crate::app::crm_input::{
    parse_order_filter, parse_product_filter, parse_status_change, Actor, NewItemInput, NewOrderInput, Problem,
    RequestKey,
};
use crate::app::ports::{
    cause_chain, BitrixGateway, CrmStore, JobQueue, JobStore, LoginAttempt, NewSession, ReconcileStore, StaffStore,
    StoreError, TeamStore,
};
use crate::app::reconciliation_run::ReconcileRun;
use crate::app::team::{
    parse_account_action, parse_new_account, AccountAction, AccountChange, AccountOutcome, CourierStep, CourierTarget,
    StepRefusal,
};
use crate::domain::bitrix::Text;
use crate::domain::board::board;
use crate::domain::clock;
use crate::domain::dates::parse_date;
use crate::domain::ids::Record;
use crate::domain::log::LogLine;
use crate::domain::roles::{self, Role};
use crate::domain::staff_login::{self, LockScope};
use crate::domain::views::Staff;
use crate::web::access;
use crate::web::pages::orders::{FormState, ITEM_ROWS};
use crate::web::pages::{self, Chrome, Flash, Section};
use crate::web::routes::{Miss, PageRoute, STAFF_HOME};
use crate::web::session;

/// A page request as the edge read it.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    /// The path and query as asked (to come back to after the login).
    pub target: &'a str,
    pub query: &'a [(String, String)],
    /// The form's fields (a POST body, `application/x-www-form-urlencoded`).
    pub form: &'a [(String, String)],
    pub cookie: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub sec_fetch_site: Option<&'a str>,
    /// Our own origin (`https://crm.cvety.kz`), as the request's URL says.
    pub own_origin: &'a str,
    pub now: DateTime<Utc>,
    /// 32 random bytes, URL-safe: a new session id, or a new form's request key.
    pub fresh_token: &'a str,
    /// 32 more random bytes, URL-safe: a temporary password and its salt, when one is made.
    pub fresh_secret: &'a str,
    /// The uploaded file of a photo form (`multipart/form-data`, its `photo` field), or why the
    /// edge could not read one; `None` for every other request.
    pub upload: Option<Result<&'a [u8], crate::domain::photo::PhotoProblem>>,
    /// The network the request comes from (`staff_login::network_of`), for the login limits.
    pub network: &'a str,
}

/// An HTML answer (or a redirect), with its headers.
#[derive(Debug, Clone, PartialEq)]
pub struct PageAnswer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub html: String,
    /// A body that is not HTML (a photo): sent instead of `html`.
    pub bytes: Option<Vec<u8>>,
}

/// The headers of every page: no script, style or frame from anywhere else, nothing cached.
pub const SECURITY_HEADERS: [(&str, &str); 6] = [
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https://cvety.kz; connect-src 'self'; \
         form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
    ("Content-Type", "text/html; charset=utf-8"),
];

/// A form body above this is refused with 413 before it is read (the largest form, a new order,
/// is about 2 KB).
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// 413 for a form over [`MAX_FORM_BYTES`].
#[must_use]
pub fn form_too_large() -> PageAnswer {
    let chrome = Chrome { staff: None, section: Section::None, flash: None };
    let why = format!("Форма больше {} КБ не принимается. Ничего не изменено.", MAX_FORM_BYTES / 1024);
    html(413, pages::refused(&chrome, "Слишком большой запрос", &why))
}

/// 503 while production's configuration misses what it cannot run without.
#[must_use]
pub fn misconfigured() -> PageAnswer {
    let chrome = Chrome { staff: None, section: Section::None, flash: None };
    let why = "CRM не запущена: в настройках Worker не хватает секретов. Администратору: откройте /health.";
    html(503, pages::refused(&chrome, "CRM не настроена", why))
}

fn html(status: u16, markup: Markup) -> PageAnswer {
    let headers = SECURITY_HEADERS.iter().map(|(name, value)| (*name, (*value).to_owned())).collect();
    PageAnswer { status, headers, html: markup.into_string(), bytes: None }
}

fn redirect(location: &str) -> PageAnswer {
    let mut answer = html(303, maud::html! {});
    answer.headers.push(("Location", location.to_owned()));
    answer
}

/// `/`: a 302 to the staff's home (a 302, not a permanent redirect: no browser keeps it).
#[must_use]
pub fn home() -> PageAnswer {
    let mut answer = html(302, maud::html! {});
    answer.headers.push(("Location", STAFF_HOME.to_owned()));
    answer
}

/// Where to go after the login: one of our pages, never another site.
#[must_use]
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if (path == STAFF_HOME || path.starts_with("/crm/") || path.starts_with("/crm?"))
                && !path.starts_with("/crm/login")
                && !path.starts_with("/crm/logout")
                && !path.contains("//")
                && !path.contains('\\') =>
        {
            path.to_owned()
        }
        _ => STAFF_HOME.to_owned(),
    }
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

/// The message a change leaves on the page it comes back to (`?done=...`).
fn flash(query: &[(String, String)]) -> Option<Flash> {
    let count = field(query, "n").and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
    Some(match field(query, "done")? {
        "created" => Flash::done("Заказ создан и отправлен в Битрикс"),
        "status" => Flash::done("Статус изменён"),
        "same_status" => Flash::done("Заказ уже в этом статусе"),
        "bad_status" => Flash::error("Этот статус нельзя установить"),
        "available" => Flash::done("Товар сделан доступным"),
        "unavailable" => Flash::done("Товар сделан недоступным"),
        "replayed" => Flash::done(format!("Повторно отправлено заданий: {count}")),
        "reconciled" => Flash::done(format!("Сверка выполнена: расхождений {count}")),
        "reconcile_failed" => Flash::error("Сверка прервана: Битрикс не ответил как нужно (подробности ниже)"),
        "reconcile_off" => Flash::error("Сверка невозможна: передача в Битрикс или приём вебхуков выключены"),
        "logged_out" => Flash::done("Вы вышли из CRM"),
        "catalog" => Flash::done(format!("Каталог загружен из Битрикса: изменено товаров {count}")),
        "catalog_failed" => Flash::error("Загрузка каталога прервана: Битрикс не ответил как нужно"),
        "catalog_busy" => Flash::error("Каталог уже загружается, повторите через несколько минут"),
        "catalog_off" => Flash::error("Загрузка невозможна: передача в Битрикс выключена"),
        "courier" => Flash::done("Курьер назначен"),
        "courier_off" => Flash::done("Курьер снят с заказа"),
        "courier_same" => Flash::done("У заказа уже этот курьер"),
        "courier_slot" => Flash::done(format!("Курьер назначен на заказов: {count}")),
        "not_a_courier" => Flash::error("Этот сотрудник не курьер или отключён: курьер не назначен"),
        "bad_slot" => Flash::error("Не понятно, какой слот: курьер не назначен"),
        "picked" => Flash::done("Отмечено: заказ у вас, статус «Доставляется»"),
        "delivered" => Flash::done("Отмечено: заказ доставлен"),
        "too_late" => Flash::error("Этот заказ уже не ждёт этого шага: ничего не изменено"),
        "staff_done" => Flash::done("Изменение сохранено"),
        "staff_same" => Flash::done("Так уже было: ничего не изменено"),
        "staff_self" => Flash::error("Свою учётную запись так менять нельзя: попросите другого владельца"),
        "staff_bad" => Flash::error("Такого действия нет: ничего не изменено"),
        "photo" => Flash::done("Букет собран: фото сохранено и отправлено в чат"),
        "edited" => Flash::done("Заказ изменён, изменения отправлены в Битрикс"),
        "track_made" => Flash::done("Ссылка для покупателя создана и записана в заказ в Битриксе"),
        "track_live" => Flash::done("У заказа уже есть ссылка для покупателя"),
        "track_revoked" => Flash::done("Ссылка отозвана: по ней больше ничего не открывается"),
        "track_none" => Flash::done("У заказа нет действующей ссылки"),
        "edit_same" => Flash::done("Ничего не изменилось"),
        "same_photo" => Flash::done("Это фото уже прикреплено"),
        _ => return None,
    })
}

/// The id of a product chosen in the form: `Букет Стандарт (15652)`, or just `15652`.
fn chosen_product(text: &str) -> Option<&str> {
    let text = text.trim();
    let id = text.strip_suffix(')').and_then(|t| t.rsplit_once('(')).map_or(text, |(_, id)| id.trim());
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then_some(id)
}

/// The create form's fields as the CRM's order input, and the form row of each item.
fn order_input(form: &[(String, String)]) -> (NewOrderInput, Vec<usize>, Vec<Problem>) {
    let text = |name: &str| field(form, name).map(str::to_owned);
    let number = |name: &str| field(form, name).map(|v| Text(v.to_owned()));
    let mut items = Vec::new();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for row in 0..ITEM_ROWS {
        let product = field(form, &format!("items[{row}].product")).unwrap_or("").trim();
        let price = field(form, &format!("items[{row}].price")).unwrap_or("").trim();
        let quantity = field(form, &format!("items[{row}].quantity")).unwrap_or("").trim();
        if product.is_empty() && price.is_empty() && quantity.is_empty() {
            continue;
        }
        let bitrix_product_id = chosen_product(product).map(|id| Text(id.to_owned()));
        if bitrix_product_id.is_none() {
            problems
                .push(Problem {
                    field: format!("items[{row}].product"), message: "Выберите товар из списка".into()
                });
        }
        items.push(NewItemInput {
            product_id: None,
            bitrix_product_id: bitrix_product_id.or_else(|| Some(Text(String::new()))),
            name: None,
            price: (!price.is_empty()).then(|| Text(price.to_owned())),
            quantity: (!quantity.is_empty()).then(|| Text(quantity.to_owned())),
        });
        rows.push(row);
    }
    let input = NewOrderInput {
        recipient_name: text("recipient_name"),
        recipient_phone: text("recipient_phone"),
        delivery_address: text("delivery_address"),
        delivery_date: text("delivery_date"),
        delivery_time_id: number("delivery_time_id"),
        bitrix_city_id: number("bitrix_city_id"),
        bitrix_shop_id: number("bitrix_shop_id"),
        postcard_text: text("postcard_text"),
        comment: text("comment"),
        delivery_fee: number("delivery_fee"),
        items: Some(items),
    };
    (input, rows, problems)
}

/// A problem of the CRM's order input, named by the form field it belongs beside.
fn form_problem(problem: &Problem, rows: &[usize]) -> (String, String) {
    let Some(rest) = problem.field.strip_prefix("items[") else {
        return (problem.field.clone(), problem.message.clone());
    };
    let (index, name) = rest.split_once("].").unwrap_or((rest, ""));
    let row = index.parse::<usize>().ok().and_then(|i| rows.get(i).copied()).unwrap_or(0);
    match name {
        "product_id" | "bitrix_product_id" => (format!("items[{row}].product"), "Выберите товар из списка".into()),
        other => (format!("items[{row}].{other}"), problem.message.clone()),
    }
}

/// The staff pages over the CRM's operations, the staff store and the photo store.
pub struct Desk<'a, S, Q, G, P> {
    pub crm: Crm<'a, S, Q, G>,
    /// `SESSION_SECRET`: signs the session cookie. Empty: nobody can log in.
    pub session_secret: &'a str,
    /// R2's `PHOTOS`.
    pub photos: &'a P,
    /// `CRM_PUBLIC_URL`: the buyer's tracking links start with it.
    pub public_url: &'a str,
}

impl<
        S: CrmStore + JobStore + ReconcileStore + StaffStore + TeamStore + crate::app::ports::CatalogStore,
        Q: JobQueue,
        G: BitrixGateway,
        P: crate::app::ports::PhotoStore,
    > Desk<'_, S, Q, G, P>
{
    /// Serves one staff page; returns the answer and the log lines to write.
    pub async fn serve(
        &self,
        route: &Result<PageRoute, Miss>,
        request: &PageRequest<'_>,
    ) -> (PageAnswer, Vec<LogLine>) {
        let mut logs = Vec::new();
        let answer = match self.answer(route, request, &mut logs).await {
            Ok(answer) => answer,
            Err(error) => {
                logs.push(LogLine::new("error", "crm_page.store_failed").with("reason", cause_chain(&error)));
                let chrome = Chrome { staff: None, section: Section::None, flash: None };
                html(if error.is_unavailable() { 503 } else { 500 }, pages::unavailable(&chrome))
            }
        };
        (answer, logs)
    }

    async fn staff(&self, request: &PageRequest<'_>) -> Result<Option<Staff>, StoreError> {
        let Some(session_id) = session::cookie(request.cookie, session::COOKIE)
            .and_then(|value| session::verify(self.session_secret, value))
        else {
            return Ok(None);
        };
        self.crm.store.session(&session_id).await
    }

    async fn answer(
        &self,
        route: &Result<PageRoute, Miss>,
        request: &PageRequest<'_>,
        logs: &mut Vec<LogLine>,
    ) -> Result<PageAnswer, StoreError> {
        let anonymous = Chrome { staff: None, section: Section::None, flash: None };
        // (1) A change comes from our own pages, or it is refused before anything is read.
        let change = route.as_ref().is_ok_and(PageRoute::is_change);
        if change && !session::same_origin(request.own_origin, request.origin, request.sec_fetch_site) {
            logs.push(LogLine::new("warn", "crm_page.cross_origin").with("origin", request.origin.unwrap_or("")));
            let why = "Запрос пришёл не со страниц CRM. Ничего не изменено.";
            return Ok(html(403, pages::forbidden(&anonymous, why)));
        }
        match route {
            Ok(PageRoute::Login) => {
                let next = safe_next(field(request.query, "next"));
                return Ok(html(200, pages::login::page("", &next, flash(request.query))));
            }
            Ok(PageRoute::LoginSubmit) => return self.login(request, logs).await,
            Ok(PageRoute::Logout) => {
                if let Some(id) = session::cookie(request.cookie, session::COOKIE)
                    .and_then(|value| session::verify(self.session_secret, value))
                {
                    self.crm.store.logout(&id).await?;
                }
                let mut answer = redirect("/crm/login?done=logged_out");
                answer.headers.push(("Set-Cookie", session::clear_cookie()));
                return Ok(answer);
            }
            _ => {}
        }
        // (2) Everything else needs a live session.
        let Some(staff) = self.staff(request).await? else {
            if change {
                let why = "Сессия истекла или вы не вошли. Ничего не изменено.";
                return Ok(html(403, pages::forbidden(&anonymous, why)));
            }
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &safe_next(Some(request.target)))
                .finish();
            return Ok(redirect(&format!("/crm/login?{query}")));
        };
        let route = match route {
            Ok(route) => route,
            Err(miss) => return Ok(missed(*miss, &staff)),
        };
        // The courier's home is their own page.
        if *route == PageRoute::Board && staff.role == Role::Courier {
            return Ok(redirect(roles::home(staff.role)));
        }
        if !access::rule(route).admits(staff.role) {
            logs.push(
                LogLine::new("warn", "crm_page.role_refused")
                    .with("role", staff.role.as_str())
                    .with("staff", staff.login.as_str()),
            );
            let chrome = Chrome { staff: Some(&staff), section: Section::None, flash: None };
            return Ok(html(403, pages::no_access(&chrome)));
        }
        // (3)-(5) The page.
        let result = self.page(route, request, &staff, logs).await;
        match result {
            Ok(answer) => Ok(answer),
            Err(CrmError::NotFound(record)) => Ok(missed(Miss::NoSuchRecord(record), &staff)),
            Err(CrmError::Store(error)) => Err(error),
            Err(other) => {
                let chrome = Chrome {
                    staff: Some(&staff),
                    section: Section::None,
                    flash: Some(Flash::error(other.to_string())),
                };
                Ok(html(400, pages::not_found(&chrome, "Запрос не понят")))
            }
        }
    }

    /// The login form's POST: (1) a login no account can have is refused before anything
    /// else, (2) the store counts the attempt against the limits (or refuses it, and no
    /// password is checked), (3) the password is checked, (4) a session, or the failure as
    /// counted. The typed login is never logged (people type their password there too).
    async fn login(&self, request: &PageRequest<'_>, logs: &mut Vec<LogLine>) -> Result<PageAnswer, StoreError> {
        let login = field(request.form, "login").unwrap_or("").trim().to_lowercase();
        let password = field(request.form, "password").unwrap_or("");
        let next = safe_next(field(request.form, "next"));
        if login.chars().count() > staff_login::MAX_LOGIN_CHARS {
            logs.push(LogLine::new("warn", "staff.login_refused").with("reason", "login_too_long"));
            let why = format!("Логин длиннее {} символов: такого логина нет", staff_login::MAX_LOGIN_CHARS);
            return Ok(html(400, pages::login::page("", &next, Some(Flash::error(why)))));
        }
        if self.session_secret.is_empty() {
            return Ok(html(
                503,
                pages::login::page(&login, &next, Some(Flash::error("Вход не настроен: не задан SESSION_SECRET"))),
            ));
        }
        let attempt = self.crm.store.login_attempt(&login, request.network, &staff_login::LOGIN_LIMITS).await?;
        let (attempt, account, remaining) = match attempt {
            LoginAttempt::Locked { until, scope } => {
                logs.push(LogLine::new("warn", "staff.login_locked").with("scope", format!("{scope:?}")));
                return Ok(html(
                    429,
                    pages::login::page(&login, &next, Some(Flash::error(locked_message(until, scope)))),
                ));
            }
            LoginAttempt::Counted { attempt, account, remaining } => (attempt, account, remaining),
        };
        // An unknown login costs the same hash check as a wrong password.
        let hash = account.as_ref().map_or(session::NO_ACCOUNT_HASH, |(_, hash)| hash.as_str());
        let matches = session::verify_password(password, hash);
        match account {
            Some((staff, _)) if matches => {
                let new_session = NewSession {
                    staff_id: staff.id.clone(),
                    session_id: request.fresh_token.to_owned(),
                    lifetime: session::SESSION_LIFETIME,
                };
                self.crm.store.login_succeeded(attempt, request.network, &new_session).await?;
                logs.push(LogLine::new("info", "staff.login").with("staff_id", staff.id.to_string()));
                let mut answer = redirect(&next);
                answer.headers.push((
                    "Set-Cookie",
                    session::set_cookie(&session::sign(self.session_secret, request.fresh_token)),
                ));
                Ok(answer)
            }
            _ => {
                logs.push(LogLine::new("warn", "staff.login_failed").with("remaining", remaining));
                Ok(if remaining == 0 {
                    let until =
                        request.now + chrono::Duration::from_std(staff_login::LOGIN_LIMITS.lock).unwrap_or_default();
                    let message = locked_message(until, LockScope::LoginFromNetwork);
                    html(429, pages::login::page(&login, &next, Some(Flash::error(message))))
                } else {
                    html(401, pages::login::page(&login, &next, Some(Flash::error("Неверный логин или пароль"))))
                })
            }
        }
    }

    async fn page(
        &self,
        route: &PageRoute,
        request: &PageRequest<'_>,
        staff: &Staff,
        logs: &mut Vec<LogLine>,
    ) -> Result<PageAnswer, CrmError> {
        let chrome = |section: Section| Chrome { staff: Some(staff), section, flash: flash(request.query) };
        let actor = Actor::staff(staff);
        let today = clock::shop_day(&request.now);
        Ok(match route {
            PageRoute::Board => {
                let day = field(request.query, "date").and_then(|d| parse_date(d).ok()).unwrap_or(today);
                let data = self.crm.day_orders(day).await?;
                let board = board(day, &data, clock::in_almaty(&request.now));
                let couriers = if chrome(Section::Board).may(&PageRoute::AssignSlotCourier) {
                    self.crm.couriers().await?
                } else {
                    Vec::new()
                };
                html(200, pages::board::page(&chrome(Section::Board), &board, today, &couriers))
            }
            PageRoute::Orders => match parse_order_filter(request.query) {
                Ok(filter) => {
                    let (orders, reference) = self.crm.orders_page(&filter).await?;
                    html(200, pages::orders::list(&chrome(Section::Orders), &orders, &filter, &reference.shops))
                }
                Err(problems) => {
                    let text =
                        problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; ");
                    let chrome =
                        Chrome { staff: Some(staff), section: Section::Orders, flash: Some(Flash::error(text)) };
                    let filter = parse_order_filter(&[]).unwrap_or_default();
                    let (orders, reference) = self.crm.orders_page(&filter).await?;
                    html(400, pages::orders::list(&chrome, &orders, &filter, &reference.shops))
                }
            },
            PageRoute::NewOrder => {
                let reference = self.crm.order_form().await?;
                let state = FormState { request_key: request.fresh_token.to_owned(), ..FormState::default() };
                html(200, pages::orders::form(&chrome(Section::NewOrder), &reference, &state, today))
            }
            PageRoute::CreateOrder => {
                let (input, rows, unchosen) = order_input(request.form);
                let key = RequestKey::parse(field(request.form, "request_key")).ok().flatten();
                // Every problem at once: the rows without a chosen product, and the order's own.
                let result = if unchosen.is_empty() {
                    self.crm.create_order(&input, key.as_ref(), &actor).await
                } else {
                    Err(CrmError::Invalid(input.check().err().unwrap_or_default()))
                };
                match result {
                    Ok(created) => {
                        logs.push(
                            LogLine::new("info", "crm_page.order_created")
                                .with("order_id", created.order_id.as_str())
                                .with("staff", staff.login.as_str()),
                        );
                        redirect(&format!("/crm/orders/{}?done=created", created.order_id))
                    }
                    Err(CrmError::Invalid(problems)) => {
                        let reference = self.crm.order_form().await?;
                        let mut by_field: HashMap<String, String> =
                            problems.iter().rev().map(|p| form_problem(p, &rows)).collect();
                        by_field.extend(unchosen.into_iter().map(|p| (p.field, p.message)));
                        let state = FormState {
                            values: request.form.iter().cloned().collect::<HashMap<_, _>>(),
                            problems: by_field,
                            request_key: key.map_or_else(|| request.fresh_token.to_owned(), |k| k.as_str().to_owned()),
                        };
                        html(422, pages::orders::form(&chrome(Section::NewOrder), &reference, &state, today))
                    }
                    Err(other) => return Err(other),
                }
            }
            PageRoute::Order(id) => {
                let page = self.crm.order_page(id).await?;
                let couriers = if chrome(Section::Orders).may(&PageRoute::AssignCourier(id.clone())) {
                    self.crm.couriers().await?
                } else {
                    Vec::new()
                };
                html(200, pages::orders::card(&chrome(Section::Orders), &page, &couriers, None, self.public_url))
            }
            PageRoute::MakeTrackLink(id) => {
                // The token: 32 random bytes the edge drew for this request.
                let made = self.crm.make_track_link(id, request.fresh_secret, &actor).await?;
                logs.push(
                    LogLine::new("info", "crm_page.track_link")
                        .with("order_id", id.as_str())
                        .with("made", made.made)
                        .with("staff", staff.login.as_str()),
                );
                redirect(&format!(
                    "/crm/orders/{id}?done={}#track",
                    if made.made { "track_made" } else { "track_live" }
                ))
            }
            PageRoute::RevokeTrackLink(id) => {
                let revoked = self.crm.revoke_track_link(id, &actor).await?;
                logs.push(
                    LogLine::new("info", "crm_page.track_link_revoked")
                        .with("order_id", id.as_str())
                        .with("revoked", revoked)
                        .with("staff", staff.login.as_str()),
                );
                redirect(&format!(
                    "/crm/orders/{id}?done={}#track",
                    if revoked { "track_revoked" } else { "track_none" }
                ))
            }
            PageRoute::AttachPhoto(id) => {
                let outcome = match request.upload.unwrap_or(Err(crate::domain::photo::PhotoProblem::Missing)) {
                    Ok(bytes) => self.crm.attach_photo(self.photos, id, bytes.to_vec(), &actor).await?,
                    Err(problem) => Err(problem),
                };
                match outcome {
                    Ok(changed) => {
                        logs.push(
                            LogLine::new("info", "crm_page.photo_attached")
                                .with("order_id", id.as_str())
                                .with("changed", changed)
                                .with("staff", staff.login.as_str()),
                        );
                        redirect(&format!("/crm/orders/{id}?done={}", if changed { "photo" } else { "same_photo" }))
                    }
                    Err(problem) => {
                        logs.push(
                            LogLine::new("warn", "crm_page.photo_refused")
                                .with("order_id", id.as_str())
                                .with("problem", format!("{problem:?}")),
                        );
                        let page = self.crm.order_page(id).await?;
                        let status = if matches!(problem, crate::domain::photo::PhotoProblem::TooLarge { .. }) {
                            413
                        } else {
                            422
                        };
                        let message = problem.message_ru();
                        html(
                            status,
                            pages::orders::card(&chrome(Section::Orders), &page, &[], Some(&message), self.public_url),
                        )
                    }
                }
            }
            PageRoute::EditOrder(id) => {
                let order = self.crm.order(id).await?;
                let reference = self.crm.order_form().await?;
                let state = FormState { values: pages::orders::edit_values(&order), ..FormState::default() };
                html(200, pages::orders::edit_form(&chrome(Section::Orders), &order, &reference, &state, &[]))
            }
            PageRoute::UpdateOrder(id) => {
                let result = self.crm.edit_order(id, request.form, today, &actor).await?;
                let again = |problems: HashMap<String, String>, moved: Vec<String>, fresh: bool| async move {
                    let order = self.crm.order(id).await?;
                    let reference = self.crm.order_form().await?;
                    let mut values: HashMap<String, String> = request.form.iter().cloned().collect();
                    if fresh {
                        values = pages::orders::edit_values(&order);
                    }
                    let state = FormState { values, problems, request_key: String::new() };
                    let status = if moved.is_empty() { 422 } else { 409 };
                    Ok::<_, CrmError>(html(
                        status,
                        pages::orders::edit_form(&chrome(Section::Orders), &order, &reference, &state, &moved),
                    ))
                };
                match result {
                    crate::app::edit::EditResult::Done => {
                        logs.push(
                            LogLine::new("info", "crm_page.order_edited")
                                .with("order_id", id.as_str())
                                .with("staff", staff.login.as_str()),
                        );
                        redirect(&format!("/crm/orders/{id}?done=edited"))
                    }
                    crate::app::edit::EditResult::NoChange => redirect(&format!("/crm/orders/{id}?done=edit_same")),
                    crate::app::edit::EditResult::Invalid(problems) => {
                        again(problems.into_iter().map(|p| (p.field, p.message)).collect(), Vec::new(), false).await?
                    }
                    crate::app::edit::EditResult::Moved(fields) => again(HashMap::new(), fields, true).await?,
                }
            }
            PageRoute::Photo(id) | PageRoute::HandoverPhoto(id) => {
                match self.crm.order_photo(self.photos, id, matches!(route, PageRoute::HandoverPhoto(_))).await? {
                    Some((bytes, content_type)) => {
                        let mut answer = html(200, maud::html! {});
                        answer.headers.retain(|(name, _)| *name != "Content-Type" && *name != "Cache-Control");
                        answer.headers.push(("Content-Type", content_type));
                        answer.headers.push(("Cache-Control", "private, no-store".to_owned()));
                        answer.bytes = Some(bytes);
                        answer
                    }
                    None => html(404, pages::not_found(&chrome(Section::Orders), "У заказа нет такого фото")),
                }
            }
            PageRoute::SetOrderStatus(id) => {
                let Ok(status) = parse_status_change(&json!({"status": field(request.form, "status")})) else {
                    return Ok(redirect(&format!("/crm/orders/{id}?done=bad_status")));
                };
                let change = self.crm.set_status(id, status, &actor).await?;
                logs.push(
                    LogLine::new("info", "crm_page.status_set")
                        .with("order_id", id.as_str())
                        .with("status", status.as_str())
                        .with("staff", staff.login.as_str()),
                );
                redirect(&format!("/crm/orders/{id}?done={}", if change.changed { "status" } else { "same_status" }))
            }
            PageRoute::PrintOrder(id) => html(200, pages::orders::ticket(&self.crm.order(id).await?)),
            PageRoute::Products => {
                let filter = parse_product_filter(request.query).unwrap_or_default();
                let products = self.crm.products(&filter).await?;
                html(200, pages::products::list(&chrome(Section::Products), &products, &filter))
            }
            PageRoute::Product(id) => {
                html(200, pages::products::page(&chrome(Section::Products), &self.crm.product(id).await?))
            }
            PageRoute::SetAvailability(id) => {
                let available = field(request.form, "available") == Some("true");
                self.crm.set_availability(id, available, &actor).await?;
                logs.push(
                    LogLine::new("info", "crm_page.availability_set")
                        .with("product_id", id.as_str())
                        .with("available", available)
                        .with("staff", staff.login.as_str()),
                );
                redirect(&format!("/crm/products/{id}?done={}", if available { "available" } else { "unavailable" }))
            }
            PageRoute::Sync => {
                let data = self.crm.sync_page().await?;
                html(200, pages::sync::page(&chrome(Section::Sync), &data, self.crm.switches, request.now))
            }
            PageRoute::ReplayAllDeadLetters | PageRoute::ReplayDeadLetter(_) => {
                let job = match route {
                    PageRoute::ReplayDeadLetter(job) => Some(job),
                    _ => None,
                };
                let replayed = self.crm.replay(job, &actor).await?;
                logs.push(
                    LogLine::new("info", "crm_page.dead_letters_replayed")
                        .with("jobs", replayed.len())
                        .with("staff", staff.login.as_str()),
                );
                redirect(&format!("/crm/sync?done=replayed&n={}", replayed.len()))
            }
            PageRoute::Reconcile => {
                let run = self.crm.reconcile(crate::domain::reconciliation::default_period(today)).await?;
                let target = match &run {
                    ReconcileRun::Ran { outcome, .. } if outcome.error.is_some() => {
                        "/crm/sync?done=reconcile_failed".to_owned()
                    }
                    ReconcileRun::Ran { id, outcome, .. } => {
                        logs.push(
                            LogLine::new("info", "crm_page.reconciliation")
                                .with("run", id.as_str())
                                .with("drift", outcome.drift())
                                .with("staff", staff.login.as_str()),
                        );
                        format!("/crm/sync?done=reconciled&n={}", outcome.drift())
                    }
                    ReconcileRun::SwitchedOff | ReconcileRun::NotDue => "/crm/sync?done=reconcile_off".to_owned(),
                };
                redirect(&target)
            }
            PageRoute::LoadCatalog => {
                let run = self.crm.load_catalog().await?;
                logs.push(crate::web::answers::catalog_log(&run));
                let target = match &run {
                    CatalogRun::Loaded { outcome, .. } if outcome.error.is_some() => "catalog_failed".to_owned(),
                    CatalogRun::Loaded { outcome, .. } => format!("catalog&n={}", outcome.drift()),
                    CatalogRun::Busy => "catalog_busy".to_owned(),
                    CatalogRun::SwitchedOff | CatalogRun::NotDue => "catalog_off".to_owned(),
                };
                redirect(&format!("/crm/products?done={target}"))
            }
            PageRoute::Reports => {
                let period = crate::app::crm_input::parse_period(request.query, today)
                    .unwrap_or_else(|_| crate::app::crm_input::Period::recent(today));
                let days = self.crm.daily_report(period).await?;
                html(200, pages::reports::page(&chrome(Section::Reports), period, &days))
            }
            PageRoute::Login | PageRoute::LoginSubmit | PageRoute::Logout => redirect(STAFF_HOME),
            PageRoute::ExportOrders => {
                let mut filter = parse_order_filter(request.query).unwrap_or_default();
                let orders = self.export_orders(&mut filter).await?;
                csv_answer(&crate::web::csv::orders(&orders, today))
            }
            PageRoute::ExportReport => {
                let period = crate::app::crm_input::parse_period(request.query, today)
                    .unwrap_or_else(|_| crate::app::crm_input::Period::recent(today));
                let days = self.crm.daily_report(period).await?;
                csv_answer(&crate::web::csv::report(&days, period.from, period.to))
            }
            PageRoute::AssignCourier(id) => {
                let courier = chosen_courier(field(request.form, "courier"));
                let set = self.crm.set_courier(&CourierTarget::Order(id.clone()), courier.as_ref(), &actor).await?;
                logs.push(
                    LogLine::new("info", "crm_page.courier_set")
                        .with("order_id", id.as_str())
                        .with("orders", set.orders.len())
                        .with("staff", staff.login.as_str()),
                );
                let done = match (set.is_a_courier(), set.orders.is_empty(), courier.is_some()) {
                    (false, _, _) => "not_a_courier",
                    (true, true, _) => "courier_same",
                    (true, false, true) => "courier",
                    (true, false, false) => "courier_off",
                };
                redirect(&format!("/crm/orders/{id}?done={done}"))
            }
            PageRoute::AssignSlotCourier => {
                let day = field(request.form, "date").and_then(|d| parse_date(d).ok());
                let slot = match field(request.form, "slot").unwrap_or("").trim() {
                    "" | "none" => Ok(None),
                    text => text.parse::<u64>().map(Some),
                };
                let (Some(day), Ok(slot)) = (day, slot) else {
                    return Ok(redirect("/crm?done=bad_slot"));
                };
                let courier = chosen_courier(field(request.form, "courier"));
                let set =
                    self.crm.set_courier(&CourierTarget::Slot { date: day, slot }, courier.as_ref(), &actor).await?;
                logs.push(
                    LogLine::new("info", "crm_page.slot_courier_set")
                        .with("orders", set.orders.len())
                        .with("staff", staff.login.as_str()),
                );
                let done = if set.is_a_courier() {
                    format!("courier_slot&n={}", set.orders.len())
                } else {
                    "not_a_courier".into()
                };
                redirect(&format!("/crm?date={day}&done={done}"))
            }
            PageRoute::MyDeliveries => {
                let day = field(request.query, "date").and_then(|d| parse_date(d).ok()).unwrap_or(today);
                self.my_page(&chrome(Section::My), staff, day, None, 200).await?
            }
            PageRoute::Picked(id) | PageRoute::Delivered(id) => {
                let step =
                    if matches!(route, PageRoute::Picked(_)) { CourierStep::Picked } else { CourierStep::Delivered };
                // «Доставлено» may carry a photo of the handover; an empty file field is none.
                let handover = match request.upload {
                    Some(Ok(bytes)) if step == CourierStep::Delivered => Some((self.photos, bytes.to_vec())),
                    Some(Err(problem)) if step == CourierStep::Delivered => {
                        // Shown on the page of the order's day, beside its file field.
                        let day = self.crm.order(id).await?.delivery_date.unwrap_or(today);
                        let chrome = chrome(Section::My);
                        return self.my_page(&chrome, staff, day, Some((id, problem.message_ru())), 422).await;
                    }
                    _ => None,
                };
                match self.crm.courier_step(staff, id, step, handover).await? {
                    Ok(()) => {
                        logs.push(
                            LogLine::new("info", "crm_page.courier_step")
                                .with("order_id", id.as_str())
                                .with("status", step.status().as_str())
                                .with("staff", staff.login.as_str()),
                        );
                        let done = if step == CourierStep::Picked { "picked" } else { "delivered" };
                        redirect(&format!("/crm/my?done={done}"))
                    }
                    Err(StepRefusal::TooLate) => redirect("/crm/my?done=too_late"),
                    Err(StepRefusal::Photo(problem)) => {
                        let day = self.crm.order(id).await?.delivery_date.unwrap_or(today);
                        self.my_page(&chrome(Section::My), staff, day, Some((id, problem.message_ru())), 422).await?
                    }
                    Err(StepRefusal::NotYours) => {
                        logs.push(LogLine::new("warn", "crm_page.not_your_order").with("staff", staff.login.as_str()));
                        html(
                            403,
                            pages::forbidden(&chrome(Section::My), "Этот заказ назначен не вам. Ничего не изменено."),
                        )
                    }
                }
            }
            PageRoute::Staff => {
                self.staff_page(&chrome(Section::Staff), None, &pages::staff::AddForm::default(), 200).await?
            }
            PageRoute::AddStaff => {
                let form = request.form;
                match parse_new_account(field(form, "login"), field(form, "name"), field(form, "role")) {
                    Err(problems) => {
                        let add = pages::staff::AddForm {
                            values: form.iter().cloned().collect(),
                            problems: problems.into_iter().map(|p| (p.field, p.message)).collect(),
                        };
                        self.staff_page(&chrome(Section::Staff), None, &add, 422).await?
                    }
                    Ok(account) => {
                        let (password, password_hash) = temporary_password(request.fresh_secret);
                        let change = AccountChange::Add {
                            login: account.login.clone(),
                            name: account.name,
                            role: account.role,
                            password_hash,
                        };
                        match self.crm.change_staff(None, &change, &actor).await? {
                            AccountOutcome::LoginTaken => {
                                let add = pages::staff::AddForm {
                                    values: form.iter().cloned().collect(),
                                    problems: [("login".to_owned(), "Этот логин уже занят".to_owned())].into(),
                                };
                                self.staff_page(&chrome(Section::Staff), None, &add, 422).await?
                            }
                            _ => {
                                logs.push(
                                    LogLine::new("info", "crm_page.staff_added")
                                        .with("role", account.role.as_str())
                                        .with("staff", staff.login.as_str()),
                                );
                                let shown =
                                    Shown::Added(pages::staff::ShownPassword { login: account.login, password });
                                let chrome = Chrome {
                                    staff: Some(staff),
                                    section: Section::Staff,
                                    flash: Some(Flash::done("Сотрудник добавлен")),
                                };
                                self.staff_page(&chrome, Some(shown), &pages::staff::AddForm::default(), 200).await?
                            }
                        }
                    }
                }
            }
            PageRoute::ChangeStaff(id) => {
                let Ok(action) = parse_account_action(field(request.form, "action"), field(request.form, "role"))
                else {
                    return Ok(redirect("/crm/staff?done=staff_bad"));
                };
                // The owner never disables, demotes or resets themself here: the page would lock
                // them out (scripts/staff.sh stays for that).
                if *id == staff.id && !matches!(action, AccountAction::Unlock) {
                    return Ok(redirect("/crm/staff?done=staff_self"));
                }
                let mut password = None;
                let change = match action {
                    AccountAction::Disable => AccountChange::Disable,
                    AccountAction::Enable => AccountChange::Enable,
                    AccountAction::Unlock => AccountChange::Unlock,
                    AccountAction::Role(role) => AccountChange::Role { role },
                    AccountAction::Reset => {
                        let (shown, password_hash) = temporary_password(request.fresh_secret);
                        password = Some(shown);
                        AccountChange::Reset { password_hash }
                    }
                };
                let outcome = self.crm.change_staff(Some(id), &change, &actor).await?;
                logs.push(
                    LogLine::new("info", "crm_page.staff_changed")
                        .with("account", id.as_str())
                        .with("action", format!("{action:?}"))
                        .with("staff", staff.login.as_str()),
                );
                match (outcome, password) {
                    (AccountOutcome::NotFound, _) => return Err(CrmError::NotFound(Record::Staff)),
                    (AccountOutcome::Same { .. }, _) => redirect("/crm/staff?done=staff_same"),
                    (_, Some(password)) => {
                        let shown = Shown::Account { id, password };
                        let chrome = Chrome {
                            staff: Some(staff),
                            section: Section::Staff,
                            flash: Some(Flash::done("Пароль заменён, входы этого сотрудника завершены")),
                        };
                        self.staff_page(&chrome, Some(shown), &pages::staff::AddForm::default(), 200).await?
                    }
                    (_, None) => redirect("/crm/staff?done=staff_done"),
                }
            }
        })
    }

    /// The courier's page for `day`; `problem` is a handover photo refused, beside its order.
    async fn my_page(
        &self,
        chrome: &Chrome<'_>,
        staff: &Staff,
        day: chrono::NaiveDate,
        problem: Option<(&crate::domain::ids::CrmId, String)>,
        status: u16,
    ) -> Result<PageAnswer, CrmError> {
        let mine = self.crm.deliveries(staff, day).await?;
        let sorted = pages::my::in_slot_order(&mine.orders, &mine.slots);
        Ok(html(status, pages::my::page(chrome, day, &sorted, problem)))
    }

    async fn staff_page(
        &self,
        chrome: &Chrome<'_>,
        shown: Option<Shown<'_>>,
        form: &pages::staff::AddForm,
        status: u16,
    ) -> Result<PageAnswer, CrmError> {
        let (accounts, changes) = self.crm.staff_page(staff_login::LOGIN_LIMITS.window).await?;
        // A new password for an account: its login from the list this page reads anyway.
        let shown = shown.map(|shown| match shown {
            Shown::Added(shown) => shown,
            Shown::Account { id, password } => pages::staff::ShownPassword {
                login: accounts.iter().find(|a| a.id == *id).map_or_else(String::new, |a| a.login.clone()),
                password,
            },
        });
        Ok(html(status, pages::staff::page(chrome, &accounts, &changes, shown.as_ref(), form)))
    }

    /// Every order the filter matches, a page at a time, at most [`MAX_EXPORT_ROWS`].
    async fn export_orders(
        &self,
        filter: &mut crate::app::crm_input::OrderFilter,
    ) -> Result<Vec<crate::domain::views::OrderView>, CrmError> {
        filter.page = crate::app::crm_input::Page { limit: crate::app::crm_input::Page::MAX_LIMIT, offset: 0 };
        let mut all = Vec::new();
        for _ in 0..MAX_EXPORT_ROWS / crate::app::crm_input::Page::MAX_LIMIT as usize {
            let page = self.crm.orders(filter).await?;
            let last = page.len() < filter.page.limit as usize;
            all.extend(page);
            if last {
                break;
            }
            filter.page.offset += filter.page.limit;
        }
        Ok(all)
    }
}

/// A temporary password to show once on the staff page: of an account just added, or the new
/// one of an existing account (named by its id; the page finds its login).
enum Shown<'a> {
    Added(pages::staff::ShownPassword),
    Account { id: &'a crate::domain::ids::CrmId, password: String },
}

/// The most orders one export holds (50 pages of 200).
pub const MAX_EXPORT_ROWS: usize = 10_000;

/// A CSV download.
fn csv_answer(export: &crate::web::csv::Export) -> PageAnswer {
    let mut answer = html(200, maud::html! {});
    answer.html.clone_from(&export.text);
    answer.headers.retain(|(name, _)| *name != "Content-Type");
    answer.headers.push(("Content-Type", "text/csv; charset=utf-8".to_owned()));
    answer.headers.push(("Content-Disposition", format!("attachment; filename=\"{}\"", export.filename)));
    answer
}

/// The courier chosen in a form: an account id, or none («Без курьера», an empty value).
fn chosen_courier(value: Option<&str>) -> Option<crate::domain::ids::CrmId> {
    value.map(str::trim).filter(|v| !v.is_empty()).and_then(|v| crate::domain::ids::CrmId::parse(v).ok())
}

/// A temporary password made from 32 random bytes (URL-safe text): 12 letters and digits that
/// read unambiguously (no 0/O, 1/l/I), about 60 bits; and its Argon2id hash, salted from the
/// rest of the bytes.
fn temporary_password(fresh_secret: &str) -> (String, String) {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes = fresh_secret.as_bytes();
    let password: String =
        bytes.iter().take(12).map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
    let hash = session::hash_password_salted(&password, &bytes[12.min(bytes.len())..]);
    (password, hash)
}

fn locked_message(until: DateTime<Utc>, scope: LockScope) -> String {
    let time = clock::in_almaty(&until).format("%H:%M");
    match scope {
        LockScope::LoginFromNetwork => {
            format!("Слишком много неудачных попыток. Вход для этого логина заблокирован до {time}")
        }
        LockScope::Network => format!("Слишком много неудачных попыток с этого адреса. Вход заблокирован до {time}"),
        LockScope::Login => format!(
            "Слишком много неудачных попыток с разных адресов. Вход для этого логина заблокирован до {time}, \
             кроме сетей, откуда в него уже входили"
        ),
    }
}

fn missed(miss: Miss, staff: &Staff) -> PageAnswer {
    let chrome = Chrome { staff: Some(staff), section: Section::None, flash: None };
    match miss {
        Miss::NoSuchRecord(Record::Order) => html(404, pages::not_found(&chrome, "Заказ не найден")),
        Miss::NoSuchRecord(Record::Product) => html(404, pages::not_found(&chrome, "Товар не найден")),
        Miss::NoSuchRecord(Record::Job) => html(404, pages::not_found(&chrome, "Задание не найдено")),
        Miss::NoSuchRecord(Record::Staff) => html(404, pages::not_found(&chrome, "Сотрудник не найден")),
        Miss::NotFound => html(404, pages::not_found(&chrome, "Страница не найдена")),
        Miss::MethodNotAllowed { allow } => {
            let mut answer = html(405, pages::not_found(&chrome, "Так эту страницу не открыть"));
            answer.headers.push(("Allow", allow.to_owned()));
            answer
        }
    }
}

#[cfg(test)]
mod tests;
