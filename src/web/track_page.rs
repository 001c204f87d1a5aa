//! The buyer's tracking page (`/t/{token}`), in Russian and made for a phone: the shop's name,
//! the order's number, its steps with their times, the delivery date and slot, the bouquet's
//! photo once attached, the shop's phone. Nothing of the recipient, the buyer or the money. Every
//! miss (a malformed, unknown or revoked token) is the same 404 page; too many requests from one
//! network is a 429. Never indexed, never cached, and no address leaves it (`no-referrer`).

use maud::{html, Markup, DOCTYPE};

use crate::domain::track::{progress, TrackView};
use crate::web::human;
use crate::web::staff_pages::PageAnswer;

/// The shop as the buyer knows it.
pub const SHOP_NAME: &str = "cvety.kz — доставка цветов";

/// How long a network waits after too many requests (the rate limit's window).
pub const RETRY_AFTER_SECONDS: u32 = 60;

/// The headers of every answer of the buyer's page.
fn headers() -> Vec<(&'static str, String)> {
    [
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'",
        ),
        ("X-Robots-Tag", "noindex, nofollow"),
        ("Cache-Control", "private, no-store"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Content-Type", "text/html; charset=utf-8"),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.to_owned()))
    .collect()
}

fn layout(title: &str, shop_phone: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ru" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                meta name="referrer" content="no-referrer";
                title { (title) " — " (SHOP_NAME) }
                link rel="stylesheet" href="/static/track.css";
            }
            body {
                header class="shop" { p class="shop-name" { (SHOP_NAME) } }
                main {
                    (content)
                    p class="call" {
                        "Вопросы о заказе: "
                        @match human::tel_link(shop_phone) {
                            Some(href) => a href=(href) { (human::phone(shop_phone)) },
                            None => (shop_phone),
                        }
                    }
                }
            }
        }
    }
}

fn answer(status: u16, markup: Markup) -> PageAnswer {
    PageAnswer { status, headers: headers(), html: markup.into_string(), bytes: None }
}

/// The page of a live link.
#[must_use]
pub fn page(view: &TrackView, token: &str, shop_phone: &str) -> PageAnswer {
    let progress = progress(view);
    let current = progress.steps.iter().rposition(|(_, done, _)| *done);
    let title = format!("Заказ №{}", view.number);
    answer(
        200,
        layout(
            &title,
            shop_phone,
            html! {
                h1 { (title) }
                @if progress.stopped {
                    p class="stopped" role="status" { "Заказ отменён. Позвоните нам, если это ошибка." }
                } @else {
                    ol class="steps" aria-label="Как идёт заказ" {
                        @for (index, (step, done, at)) in progress.steps.iter().enumerate() {
                            li class=(if *done { "done" } else { "todo" })
                                aria-current=[(Some(index) == current).then_some("step")] {
                                span class="mark" aria-hidden="true" { @if *done { "✓" } @else { "○" } }
                                span class="label" { (step.label_ru()) }
                                @if let (true, Some(at)) = (*done, at) {
                                    " " time datetime=(at.to_rfc3339()) { (human::moment(at)) }
                                }
                                @if !*done { span class="visually-hidden" { " — ещё нет" } }
                            }
                        }
                    }
                }
                dl class="when" {
                    dt { "Доставка" }
                    dd {
                        @match view.delivery_date {
                            Some(date) => (human::date_with_weekday(date)),
                            None => "дата уточняется",
                        }
                        @if let Some(slot) = &view.slot { ", " (slot) }
                    }
                }
                @if view.photo_key.is_some() {
                    figure class="photo" {
                        img src={ "/t/" (token) "/photo" } alt="Фото вашего букета";
                        figcaption { "Ваш букет" }
                    }
                } @else {
                    p class="note" { "Фото букета появится здесь, когда флорист его соберёт." }
                }
            },
        ),
    )
}

/// Any token that opens nothing: malformed, unknown or revoked, all the same.
#[must_use]
pub fn not_found(shop_phone: &str) -> PageAnswer {
    answer(
        404,
        layout(
            "Страница не найдена",
            shop_phone,
            html! {
                h1 { "Страница не найдена" }
                p { "Ссылка неверна или больше не действует. Позвоните нам — мы подскажем, где ваш заказ." }
            },
        ),
    )
}

/// Too many requests from one network.
#[must_use]
pub fn too_many(shop_phone: &str) -> PageAnswer {
    let mut answer = answer(
        429,
        layout(
            "Слишком много запросов",
            shop_phone,
            html! {
                h1 { "Слишком много запросов" }
                p { "Подождите минуту и откройте ссылку снова." }
            },
        ),
    );
    answer.headers.push(("Retry-After", RETRY_AFTER_SECONDS.to_string()));
    answer
}

/// The page while the CRM's database cannot be reached.
#[must_use]
pub fn unavailable(shop_phone: &str) -> PageAnswer {
    answer(
        503,
        layout(
            "Страница временно недоступна",
            shop_phone,
            html! {
                h1 { "Страница временно недоступна" }
                p { "Обновите её через минуту." }
            },
        ),
    )
}

/// The bouquet's photo on the buyer's page: never cached, never sniffed.
#[must_use]
pub fn photo(bytes: Vec<u8>, content_type: &str) -> PageAnswer {
    PageAnswer {
        status: 200,
        headers: vec![
            ("Content-Type", content_type.to_owned()),
            ("Cache-Control", "private, no-store".to_owned()),
            ("X-Content-Type-Options", "nosniff".to_owned()),
            ("Referrer-Policy", "no-referrer".to_owned()),
            ("X-Robots-Tag", "noindex, nofollow".to_owned()),
        ],
        html: String::new(),
        bytes: Some(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::CrmStatus;

    fn view() -> TrackView {
        serde_json::from_value(serde_json::json!({
            "number": "122183", "status": "delivering", "accepted_at": "2025-08-24T13:05:00+05:00",
            "assembled_at": "2025-08-25T12:10:00+05:00", "delivering_at": "2025-08-25T14:40:00+05:00",
            "delivered_at": null, "delivery_date": "2025-08-25", "slot": "15:00-16:00",
            "photo_key": "orders/x/bouquet-ab.jpg", "photo_type": "image/jpeg"}))
        .unwrap()
    }

    #[test]
    fn the_page_shows_the_steps_with_their_times_the_slot_and_the_photo_and_is_never_indexed_or_cached() {
        let answer = page(&view(), "TOKEN", "+77273550000");
        assert_eq!(answer.status, 200);
        for part in [
            "Заказ №122183",
            "Принят",
            "24.08.2025 13:05",
            "Собран",
            "25.08.2025 12:10",
            "В пути",
            "Доставлен",
            "пн, 25.08.2025, 15:00-16:00",
            r#"src="/t/TOKEN/photo""#,
            r#"href="tel:+77273550000""#,
            r#"<meta name="robots" content="noindex, nofollow">"#,
        ] {
            assert!(answer.html.contains(part), "missing {part}");
        }
        let header = |name: &str| answer.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        assert_eq!(header("Cache-Control"), Some("private, no-store"));
        assert_eq!(header("X-Robots-Tag"), Some("noindex, nofollow"));
        assert_eq!(header("Referrer-Policy"), Some("no-referrer"));
    }

    #[test]
    fn every_miss_is_the_same_page() {
        assert_eq!(not_found("+77273550000"), not_found("+77273550000"));
        assert_eq!(not_found("+77273550000").status, 404);
        let mut stopped = view();
        stopped.status = CrmStatus::Declined;
        assert!(page(&stopped, "T", "+77273550000").html.contains("Заказ отменён"));
        assert!(too_many("x").headers.contains(&("Retry-After", "60".to_owned())));
    }
}
