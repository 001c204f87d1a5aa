//! The buyer's tracking link: its token (43 URL-safe characters, 32 random bytes: 256 bits),
//! read once where the request arrives (a malformed one never reaches the store); the steps the
//! buyer's page shows, each with its time; the link's address; and the WhatsApp message that
//! carries it to the buyer in one tap.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;

use crate::domain::status::CrmStatus;

/// The Bitrix order property that holds the link (the shop's status e-mails can carry it).
pub const TRACK_PROPERTY: &str = "crmTrackUrl";

/// The length of a token: 32 bytes in unpadded base64url.
pub const TOKEN_CHARS: usize = 43;

/// A well-formed token (which may still name no link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackToken(String);

impl TrackToken {
    /// Exactly [`TOKEN_CHARS`] characters of the URL-safe base64 alphabet, or `None`: too
    /// short, too long, or any other character.
    #[must_use]
    pub fn parse(text: &str) -> Option<TrackToken> {
        let ok = text.len() == TOKEN_CHARS && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| TrackToken(text.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The buyer's page address for a token.
#[must_use]
pub fn track_url(public_url: &str, token: &str) -> String {
    format!("{}/t/{token}", public_url.trim_end_matches('/'))
}

/// A step of the order as the buyer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Accepted,
    Assembled,
    OnTheWay,
    Delivered,
}

impl Step {
    #[must_use]
    pub fn label_ru(self) -> &'static str {
        match self {
            Step::Accepted => "Принят",
            Step::Assembled => "Собран",
            Step::OnTheWay => "В пути",
            Step::Delivered => "Доставлен",
        }
    }
}

/// What the buyer's page may show of an order: nothing of the recipient, the buyer or the money.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TrackView {
    pub number: String,
    pub status: CrmStatus,
    pub accepted_at: Option<DateTime<FixedOffset>>,
    pub assembled_at: Option<DateTime<FixedOffset>>,
    pub delivering_at: Option<DateTime<FixedOffset>>,
    pub delivered_at: Option<DateTime<FixedOffset>>,
    pub delivery_date: Option<NaiveDate>,
    /// The slot's label (`15:00-16:00`).
    pub slot: Option<String>,
    /// The bouquet's photo in R2, when the florist attached one.
    pub photo_key: Option<String>,
    pub photo_type: Option<String>,
}

/// Where an order stands for the buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Each step, with its time once reached (a later step reached implies the earlier ones,
    /// whose time may be unknown).
    pub steps: Vec<(Step, bool, Option<DateTime<FixedOffset>>)>,
    /// The order was turned down, returned or cancelled: the page says to call the shop.
    pub stopped: bool,
}

/// The order's progress from its times and status.
#[must_use]
pub fn progress(view: &TrackView) -> Progress {
    let delivered = view.delivered_at.is_some() || matches!(view.status, CrmStatus::Completed | CrmStatus::Finished);
    let on_the_way = delivered || view.delivering_at.is_some() || view.status == CrmStatus::Delivering;
    let assembled = on_the_way || view.assembled_at.is_some();
    let steps = vec![
        (Step::Accepted, true, view.accepted_at),
        (Step::Assembled, assembled, view.assembled_at),
        (Step::OnTheWay, on_the_way, view.delivering_at),
        (Step::Delivered, delivered, view.delivered_at),
    ];
    let stopped =
        matches!(view.status, CrmStatus::Declined | CrmStatus::Returned | CrmStatus::Refunded | CrmStatus::Cancelled);
    Progress { steps, stopped }
}

/// The message the manager sends the buyer, with the link.
#[must_use]
pub fn whatsapp_text(number: &str, url: &str) -> String {
    format!(
        "Здравствуйте! Это цветочный магазин cvety.kz. По этой ссылке видно, как собирают и доставляют \
         ваш заказ №{number}, и фото букета, как только он будет готов: {url}"
    )
}

/// `https://wa.me/<digits>?text=…`: WhatsApp with the buyer's number (digits only) and the text;
/// without a number, WhatsApp asks whom to send it to.
#[must_use]
pub fn whatsapp_link(phone: Option<&str>, text: &str) -> String {
    let digits: String = phone.unwrap_or("").chars().filter(char::is_ascii_digit).collect();
    let encoded: String = form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20");
    format!("https://wa.me/{digits}?text={encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE";

    #[test]
    fn a_token_is_exactly_43_url_safe_characters() {
        assert_eq!(TOKEN.len(), 43);
        assert!(TrackToken::parse(TOKEN).is_some());
        for bad in
            [&TOKEN[..42], &format!("{TOKEN}A"), &TOKEN.replace('-', "+"), &TOKEN.replace('A', "/"), "", "../../etc"]
        {
            assert_eq!(TrackToken::parse(bad), None, "{bad}");
        }
        assert_eq!(TrackToken::parse(&TOKEN.replacen('A', "Ж", 1)), None, "not ASCII");
    }

    fn view(status: CrmStatus) -> TrackView {
        TrackView {
            number: "122183".into(),
            status,
            accepted_at: DateTime::parse_from_rfc3339("2025-08-24T13:05:00+05:00").ok(),
            assembled_at: None,
            delivering_at: None,
            delivered_at: None,
            delivery_date: None,
            slot: None,
            photo_key: None,
            photo_type: None,
        }
    }

    #[test]
    fn the_steps_follow_the_order_and_a_later_step_implies_the_earlier_ones() {
        let reached = |p: Progress| p.steps.iter().map(|(_, done, _)| *done).collect::<Vec<_>>();
        assert_eq!(reached(progress(&view(CrmStatus::New))), [true, false, false, false]);
        let mut assembled = view(CrmStatus::Accepted);
        assembled.assembled_at = assembled.accepted_at;
        assert_eq!(reached(progress(&assembled)), [true, true, false, false]);
        assert_eq!(reached(progress(&view(CrmStatus::Delivering))), [true, true, true, false]);
        assert_eq!(reached(progress(&view(CrmStatus::Completed))), [true, true, true, true]);
        assert!(progress(&view(CrmStatus::Declined)).stopped);
    }

    #[test]
    fn the_whatsapp_link_carries_the_buyers_digits_and_the_text_with_the_link() {
        let url = track_url("https://crm.cvety.kz/", TOKEN);
        assert_eq!(url, format!("https://crm.cvety.kz/t/{TOKEN}"));
        let link = whatsapp_link(Some("+77015550000"), &whatsapp_text("122183", &url));
        assert!(link.starts_with("https://wa.me/77015550000?text=%D0%97"), "{link}");
        assert!(link.contains(&format!("https%3A%2F%2Fcrm.cvety.kz%2Ft%2F{TOKEN}")), "{link}");
        assert!(!link.contains('+') && !link.contains(' '));
        assert!(whatsapp_link(None, "x").starts_with("https://wa.me/?text="));
    }
}
