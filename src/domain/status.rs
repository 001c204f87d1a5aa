//! The order status map, both ways: Bitrix's `STATUS_ID` codes and the CRM's statuses.

use serde::{Deserialize, Deserializer, Serialize};

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

/// Declares the CRM statuses once, as a table: each variant with its stored name, the label the
/// staff read, the Bitrix code the CRM sends for it (`None`: Bitrix's current map has no
/// code), and its groups as columns: whether the order still waits in the shop for the courier,
/// whether its money counts as revenue, and whether it is with the courier. The enum, [`ALL_CRM_STATUSES`] and every
/// per-status function come from this one table, so a status cannot be added to one of them
/// and forgotten in another, and a new status does not compile until its groups are said.
macro_rules! crm_statuses {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $label:literal, $bitrix:expr,
       waits: $waits:literal, revenue: $revenue:literal, courier: $courier:literal;)+) => {
        /// An order's status in the CRM.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum CrmStatus {
            $($(#[$doc])* $variant,)+
        }

        /// Every CRM status, in the table's order.
        pub const ALL_CRM_STATUSES: &[CrmStatus] = &[$(CrmStatus::$variant),+];

        impl CrmStatus {
            /// The name stored in `orders.status`.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(CrmStatus::$variant => $name,)+ }
            }

            /// What the shop's staff read.
            #[must_use]
            pub fn label_ru(self) -> &'static str {
                match self { $(CrmStatus::$variant => $label,)+ }
            }

            /// The Bitrix code to send for a status set in the CRM; `None` where the current
            /// Bitrix map has no code (the legacy statuses and `Unknown`).
            #[must_use]
            pub fn to_bitrix(self) -> Option<BitrixStatusCode> {
                let code: Option<&str> = match self { $(CrmStatus::$variant => $bitrix,)+ };
                code.map(|code| BitrixStatusCode(code.to_owned()))
            }

            /// The order is still in the shop, waiting for the courier: the board's lateness and
            /// the delivery-risk warnings look at these.
            #[must_use]
            pub fn waits_for_courier(self) -> bool {
                match self { $(CrmStatus::$variant => $waits,)+ }
            }

            /// The order's money counts as revenue (the daily summary and report).
            #[must_use]
            pub fn counts_as_revenue(self) -> bool {
                match self { $(CrmStatus::$variant => $revenue,)+ }
            }

            /// The order is with the courier, on its way: an unpaid one is warned about.
            #[must_use]
            pub fn with_courier(self) -> bool {
                match self { $(CrmStatus::$variant => $courier,)+ }
            }
        }
    };
}

crm_statuses! {
    New = "new", "Новый", Some("N"), waits: true, revenue: true, courier: false;
    Accepted = "accepted", "Принят", Some("AP"), waits: true, revenue: true, courier: false;
    Delivering = "delivering", "Доставляется", Some("PD"), waits: false, revenue: true, courier: true;
    Completed = "completed", "Доставлен", Some("CO"), waits: false, revenue: true, courier: false;
    Returned = "returned", "Возврат", Some("RD"), waits: false, revenue: false, courier: false;
    Declined = "declined", "Отклонён", Some("DE"), waits: false, revenue: false, courier: false;
    Finished = "finished", "Завершён", Some("F"), waits: false, revenue: true, courier: false;
    /// From the older mapping (P).
    Processing = "processing", "В обработке", None, waits: true, revenue: true, courier: false;
    /// From the older mapping (RF).
    Refunded = "refunded", "Деньги возвращены", None, waits: false, revenue: false, courier: false;
    /// From the older mapping (CN).
    Cancelled = "cancelled", "Отменён", None, waits: false, revenue: false, courier: false;
    /// A code the map does not know: stored with its raw code, never rejected.
    Unknown = "unknown", "Неизвестный статус", None, waits: false, revenue: true, courier: false;
}

impl CrmStatus {
    /// Maps a Bitrix code; codes outside both maps become [`CrmStatus::Unknown`]. The current
    /// codes are the table's own; the older map's are listed here (`CF` is now `CO`).
    #[must_use]
    pub fn from_bitrix(code: &BitrixStatusCode) -> CrmStatus {
        let current = ALL_CRM_STATUSES.iter().copied().find(|status| status.to_bitrix().as_ref() == Some(code));
        current.unwrap_or(match code.as_str() {
            "CF" => CrmStatus::Completed,
            "P" => CrmStatus::Processing,
            "RF" => CrmStatus::Refunded,
            "CN" => CrmStatus::Cancelled,
            _ => CrmStatus::Unknown,
        })
    }

    /// Parses a stored or API-given status name.
    #[must_use]
    pub fn parse(name: &str) -> Option<CrmStatus> {
        ALL_CRM_STATUSES.iter().copied().find(|s| s.as_str() == name.trim())
    }

    /// The statuses the CRM can set (those Bitrix has a code for), in the table's order.
    pub fn settable() -> impl Iterator<Item = CrmStatus> {
        ALL_CRM_STATUSES.iter().copied().filter(|status| status.to_bitrix().is_some())
    }
}

/// Read from a stored name; a name this code does not know reads as `Unknown`, never an error.
impl<'de> Deserialize<'de> for CrmStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(CrmStatus::parse(&name).unwrap_or(CrmStatus::Unknown))
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
        for &status in ALL_CRM_STATUSES {
            if let Some(bitrix) = status.to_bitrix() {
                assert_eq!(CrmStatus::from_bitrix(&bitrix), status);
            }
        }
        assert_eq!(CrmStatus::Cancelled.to_bitrix(), None);
    }

    #[test]
    fn every_status_name_parses_back_and_has_a_russian_label() {
        for &status in ALL_CRM_STATUSES {
            assert_eq!(CrmStatus::parse(status.as_str()), Some(status));
            assert!(!status.label_ru().is_empty());
        }
        assert_eq!(CrmStatus::parse("shipped"), None);
    }

    /// Exhaustive on purpose (no `_` arm): a new status must be placed here, and then the list
    /// must hold it, or this test fails.
    fn table_position(status: CrmStatus) -> usize {
        match status {
            CrmStatus::New => 0,
            CrmStatus::Accepted => 1,
            CrmStatus::Delivering => 2,
            CrmStatus::Completed => 3,
            CrmStatus::Returned => 4,
            CrmStatus::Declined => 5,
            CrmStatus::Finished => 6,
            CrmStatus::Processing => 7,
            CrmStatus::Refunded => 8,
            CrmStatus::Cancelled => 9,
            CrmStatus::Unknown => 10,
        }
    }

    #[test]
    fn the_list_holds_every_status_once_in_the_tables_order() {
        let positions: Vec<usize> = ALL_CRM_STATUSES.iter().map(|s| table_position(*s)).collect();
        assert_eq!(positions, (0..=table_position(CrmStatus::Unknown)).collect::<Vec<_>>());
    }

    #[test]
    fn the_statuses_the_crm_can_set_are_exactly_those_with_a_bitrix_code() {
        let settable: Vec<&str> = CrmStatus::settable().map(CrmStatus::as_str).collect();
        assert_eq!(settable, ["new", "accepted", "delivering", "completed", "returned", "declined", "finished"]);
    }

    #[test]
    fn a_stored_name_reads_back_and_an_unknown_one_reads_as_unknown() {
        let read = |name: &str| serde_json::from_value::<CrmStatus>(serde_json::json!(name)).unwrap();
        assert_eq!(read("delivering"), CrmStatus::Delivering);
        assert_eq!(read("teleported"), CrmStatus::Unknown);
    }
}
