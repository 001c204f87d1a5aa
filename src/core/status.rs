//! The order status map, both ways: Bitrix's `STATUS_ID` codes and the CRM's statuses.

use std::fmt;

use serde::Serialize;

/// The raw Bitrix status code, kept as sent (trimmed, upper-cased) next to the mapped status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct BitrixStatusCode(String);

impl BitrixStatusCode {
    /// `None` for empty text; any other code is accepted, known or not.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        let code = raw.trim().to_uppercase();
        (!code.is_empty()).then_some(Self(code))
    }

    /// The code as Bitrix spells it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BitrixStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An order's status in the CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrmStatus {
    New,
    Accepted,
    Delivering,
    Completed,
    Returned,
    Declined,
    Finished,
    /// From the older mapping (P).
    Processing,
    /// From the older mapping (RF).
    Refunded,
    /// From the older mapping (CN).
    Cancelled,
    /// A code the map does not know: stored with its raw code, never rejected.
    Unknown,
}

/// Every CRM status, for tables and tests.
pub const ALL_CRM_STATUSES: [CrmStatus; 11] = [
    CrmStatus::New,
    CrmStatus::Accepted,
    CrmStatus::Delivering,
    CrmStatus::Completed,
    CrmStatus::Returned,
    CrmStatus::Declined,
    CrmStatus::Finished,
    CrmStatus::Processing,
    CrmStatus::Refunded,
    CrmStatus::Cancelled,
    CrmStatus::Unknown,
];

impl CrmStatus {
    /// Maps a Bitrix code; codes outside both maps become [`CrmStatus::Unknown`].
    #[must_use]
    pub fn from_bitrix(code: &BitrixStatusCode) -> CrmStatus {
        match code.as_str() {
            "N" => CrmStatus::New,
            "AP" => CrmStatus::Accepted,
            "PD" => CrmStatus::Delivering,
            "CO" | "CF" => CrmStatus::Completed,
            "RD" => CrmStatus::Returned,
            "DE" => CrmStatus::Declined,
            "F" => CrmStatus::Finished,
            "P" => CrmStatus::Processing,
            "RF" => CrmStatus::Refunded,
            "CN" => CrmStatus::Cancelled,
            _ => CrmStatus::Unknown,
        }
    }

    /// The Bitrix code to send for a status set in the CRM; `None` where the current Bitrix
    /// map has no code (the legacy statuses and `Unknown`).
    #[must_use]
    pub fn to_bitrix(self) -> Option<BitrixStatusCode> {
        let code = match self {
            CrmStatus::New => "N",
            CrmStatus::Accepted => "AP",
            CrmStatus::Delivering => "PD",
            CrmStatus::Completed => "CO",
            CrmStatus::Returned => "RD",
            CrmStatus::Declined => "DE",
            CrmStatus::Finished => "F",
            CrmStatus::Processing | CrmStatus::Refunded | CrmStatus::Cancelled | CrmStatus::Unknown => return None,
        };
        Some(BitrixStatusCode(code.to_owned()))
    }

    /// The name stored in `orders.status`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CrmStatus::New => "new",
            CrmStatus::Accepted => "accepted",
            CrmStatus::Delivering => "delivering",
            CrmStatus::Completed => "completed",
            CrmStatus::Returned => "returned",
            CrmStatus::Declined => "declined",
            CrmStatus::Finished => "finished",
            CrmStatus::Processing => "processing",
            CrmStatus::Refunded => "refunded",
            CrmStatus::Cancelled => "cancelled",
            CrmStatus::Unknown => "unknown",
        }
    }

    /// Parses a stored or API-given status name.
    #[must_use]
    pub fn parse(name: &str) -> Option<CrmStatus> {
        ALL_CRM_STATUSES.into_iter().find(|s| s.as_str() == name.trim())
    }

    /// What the shop's staff read.
    #[must_use]
    pub fn label_ru(self) -> &'static str {
        match self {
            CrmStatus::New => "Новый",
            CrmStatus::Accepted => "Принят",
            CrmStatus::Delivering => "Доставляется",
            CrmStatus::Completed => "Доставлен",
            CrmStatus::Returned => "Возврат",
            CrmStatus::Declined => "Отклонён",
            CrmStatus::Finished => "Завершён",
            CrmStatus::Processing => "В обработке",
            CrmStatus::Refunded => "Деньги возвращены",
            CrmStatus::Cancelled => "Отменён",
            CrmStatus::Unknown => "Неизвестный статус",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> BitrixStatusCode {
        BitrixStatusCode::parse(raw).unwrap()
    }

    #[test]
    fn every_code_of_the_spec_maps_to_its_crm_status() {
        let table = [
            ("N", CrmStatus::New),
            ("AP", CrmStatus::Accepted),
            ("PD", CrmStatus::Delivering),
            ("CO", CrmStatus::Completed),
            ("RD", CrmStatus::Returned),
            ("DE", CrmStatus::Declined),
            ("F", CrmStatus::Finished),
            ("P", CrmStatus::Processing),
            ("CF", CrmStatus::Completed),
            ("RF", CrmStatus::Refunded),
            ("CN", CrmStatus::Cancelled),
        ];
        for (raw, status) in table {
            assert_eq!(CrmStatus::from_bitrix(&code(raw)), status, "{raw}");
        }
    }

    #[test]
    fn an_unknown_or_oddly_cased_code_is_kept_raw_and_maps_to_unknown() {
        assert_eq!(CrmStatus::from_bitrix(&code("ZZ")), CrmStatus::Unknown);
        assert_eq!(code(" ap ").as_str(), "AP");
        assert_eq!(CrmStatus::from_bitrix(&code(" ap ")), CrmStatus::Accepted);
        assert_eq!(BitrixStatusCode::parse(" "), None);
    }

    #[test]
    fn every_current_crm_status_round_trips_through_its_bitrix_code() {
        for status in ALL_CRM_STATUSES {
            if let Some(bitrix) = status.to_bitrix() {
                assert_eq!(CrmStatus::from_bitrix(&bitrix), status);
            }
        }
        assert_eq!(CrmStatus::Cancelled.to_bitrix(), None);
    }

    #[test]
    fn every_status_name_parses_back_and_has_a_russian_label() {
        for status in ALL_CRM_STATUSES {
            assert_eq!(CrmStatus::parse(status.as_str()), Some(status));
            assert!(!status.label_ru().is_empty());
        }
        assert_eq!(CrmStatus::parse("shipped"), None);
    }
}
