//! The shop's reference data from Bitrix (`reference.snapshot`): delivery slots with the times
//! read from their names, cities, shops, statuses with Bitrix's own names, pay systems and
//! delivery services. Read once here; what breaks the contract is refused whole, a slot whose
//! name has no times is kept without them and said.

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::retry::Failure;
use crate::domain::text::quote;

/// At most this many entries in one list: far above a shop's slots, cities or pay systems.
pub const MAX_ENTRIES: usize = 1000;

/// A daily refresh, and at most one every this long while an order names an id the CRM does
/// not know (a slot Bitrix gained since the last refresh).
pub const DAILY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
pub const UNKNOWN_ID_RETRY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Why a refresh runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshTrigger {
    /// The last refresh is older than [`DAILY`].
    Daily,
    /// An order names a slot, city or shop the CRM does not know.
    UnknownId,
    /// Asked for (`POST /api/ops/reference/run`, «Обновить справочники» on `/crm/sync`).
    OnDemand,
}

impl RefreshTrigger {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshTrigger::Daily => "daily",
            RefreshTrigger::UnknownId => "unknown_id",
            RefreshTrigger::OnDemand => "on_demand",
        }
    }
}

/// What a refresh stored: how many of each it read, how many rows changed, what was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshOutcome {
    pub slots: u64,
    pub cities: u64,
    pub shops: u64,
    pub statuses: u64,
    pub pay_systems: u64,
    pub deliveries: u64,
    pub changed: u64,
    pub skipped: Vec<String>,
}

/// A delivery slot (a value of the order property `when`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub id: u64,
    pub name: String,
    pub starts_at: Option<NaiveTime>,
    pub ends_at: Option<NaiveTime>,
    pub sort: i64,
}

/// An entry with a numeric id (city, shop, pay system, delivery service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: u64,
    pub name: String,
}

/// A status as Bitrix names it (`N` → «Принят, ожидается оплата»).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusName {
    pub code: String,
    pub name: String,
}

/// What the snapshot holds, and what of it could not be used as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ShopReference {
    pub slots: Vec<Slot>,
    pub cities: Vec<Entry>,
    pub shops: Vec<Entry>,
    pub statuses: Vec<StatusName>,
    pub pay_systems: Vec<Entry>,
    pub deliveries: Vec<Entry>,
    /// Each entry kept with less than it should have, and why (in English, for the log and the
    /// run's record).
    pub skipped: Vec<String>,
}

/// Why a slot's name gives no times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotNameError(pub String);

/// The times in a slot's name: `15:00-16:00`, `15:00 – 16:00`, `с 15:00 до 16:00`, `9:00-10:30`.
///
/// # Errors
/// [`SlotNameError`] when the name does not hold exactly two times, in order, within one day.
pub fn slot_times(name: &str) -> Result<(NaiveTime, NaiveTime), SlotNameError> {
    let mut times = Vec::new();
    for word in name.split(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.')) {
        let word = word.trim_matches('.');
        if word.contains(':') || word.contains('.') {
            let time = NaiveTime::parse_from_str(&word.replace('.', ":"), "%H:%M")
                .map_err(|_| SlotNameError(format!("{} is not a time", quote(word))))?;
            times.push(time);
        }
    }
    match times.as_slice() {
        [from, to] if from < to => Ok((*from, *to)),
        [from, to] => Err(SlotNameError(format!("the slot ends ({to}) before it starts ({from})"))),
        _ => Err(SlotNameError(format!("{} does not name two times like 15:00-16:00", quote(name)))),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireId {
    Text(String),
    Number(u64),
}

impl WireId {
    fn text(&self) -> String {
        match self {
            WireId::Text(text) => text.trim().to_owned(),
            WireId::Number(number) => number.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct WireEntry {
    id: WireId,
    name: String,
    #[serde(default)]
    sort: Option<i64>,
}

fn broken(reason: impl Into<String>) -> Failure {
    Failure::Permanent { reason: format!("reference.snapshot: {}", reason.into()) }
}

fn list(answer: &Value, field: &str) -> Result<Vec<WireEntry>, Failure> {
    let Some(items) = answer.get(field).and_then(Value::as_array) else {
        return Err(broken(format!("{field} is not a list")));
    };
    if items.len() > MAX_ENTRIES {
        return Err(broken(format!("{field} has {} entries, more than {MAX_ENTRIES}", items.len())));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            serde_json::from_value(item.clone())
                .map_err(|e| broken(format!("{field}[{index}]: {}", quote(&e.to_string()))))
        })
        .collect()
}

fn numeric(field: &str, entries: Vec<WireEntry>, skipped: &mut Vec<String>) -> Vec<(u64, WireEntry)> {
    let mut kept = Vec::new();
    for entry in entries {
        match entry.id.text().parse::<u64>() {
            Ok(id) if id > 0 => kept.push((id, entry)),
            _ => skipped.push(format!("{field}: id {} is not a number", quote(&entry.id.text()))),
        }
    }
    kept
}

/// Reads a `reference.snapshot` answer.
///
/// # Errors
/// A permanent [`Failure`] when a list is missing, too long, or holds an entry without an id
/// and a name: nothing of it is stored then.
pub fn read_reference(answer: &Value) -> Result<ShopReference, Failure> {
    let mut reference = ShopReference::default();
    let skipped = &mut reference.skipped;
    for (id, entry) in numeric("slots", list(answer, "slots")?, skipped) {
        let name = entry.name.trim().to_owned();
        let (starts_at, ends_at) = match slot_times(&name) {
            Ok((from, to)) => (Some(from), Some(to)),
            Err(SlotNameError(why)) => {
                skipped.push(format!("slot {id}: {why}; kept without times"));
                (None, None)
            }
        };
        reference.slots.push(Slot { id, name, starts_at, ends_at, sort: entry.sort.unwrap_or(0) });
    }
    let entries = |field: &str, skipped: &mut Vec<String>| -> Result<Vec<Entry>, Failure> {
        Ok(numeric(field, list(answer, field)?, skipped)
            .into_iter()
            .map(|(id, entry)| Entry { id, name: entry.name.trim().to_owned() })
            .collect())
    };
    reference.cities = entries("cities", skipped)?;
    reference.shops = entries("shops", skipped)?;
    reference.pay_systems = entries("pay_systems", skipped)?;
    reference.deliveries = entries("deliveries", skipped)?;
    reference.statuses = list(answer, "statuses")?
        .into_iter()
        .filter_map(|entry| {
            let code = entry.id.text().to_uppercase();
            let usable = !code.is_empty() && code.len() <= 2 && code.chars().all(|c| c.is_ascii_alphanumeric());
            if !usable {
                skipped.push(format!("statuses: {} is not a status code", quote(&code)));
            }
            usable.then(|| StatusName { code, name: entry.name.trim().to_owned() })
        })
        .collect();
    Ok(reference)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn a_slots_times_are_read_from_its_name_as_the_shop_writes_them() {
        assert_eq!(slot_times("15:00-16:00"), Ok((at(15, 0), at(16, 0))));
        assert_eq!(slot_times("15:00 – 16:00"), Ok((at(15, 0), at(16, 0))));
        assert_eq!(slot_times("с 9:00 до 10:30"), Ok((at(9, 0), at(10, 30))));
        assert_eq!(slot_times("21.00-22.00"), Ok((at(21, 0), at(22, 0))));
    }

    #[test]
    fn a_slot_name_without_two_times_in_order_is_refused_saying_why() {
        for name in ["Вечер", "15:00", "16:00-15:00", "25:00-26:00", "10:00-11:00-12:00"] {
            assert!(slot_times(name).is_err(), "{name}");
        }
        assert!(slot_times("Вечер").unwrap_err().0.contains("does not name two times"));
    }

    fn snapshot() -> Value {
        json!({"ok": true,
            "slots": [{"id": "18", "name": "15:00-16:00", "sort": 100}, {"id": "24", "name": "Вечер", "sort": 200}],
            "cities": [{"id": "2", "name": "Алматы"}], "shops": [{"id": 17008, "name": "CVETYKZ"}],
            "statuses": [{"id": "N", "name": "Принят, ожидается оплата"}],
            "pay_systems": [{"id": "7", "name": "Kaspi"}], "deliveries": [{"id": "2", "name": "Курьер"}]})
    }

    #[test]
    fn a_snapshot_is_read_into_typed_lists_and_a_slot_without_times_is_kept_and_said() {
        let reference = read_reference(&snapshot()).unwrap();
        assert_eq!(
            reference.slots[0],
            Slot {
                id: 18,
                name: "15:00-16:00".into(),
                starts_at: Some(at(15, 0)),
                ends_at: Some(at(16, 0)),
                sort: 100
            }
        );
        assert_eq!((reference.slots[1].id, reference.slots[1].starts_at), (24, None));
        assert_eq!(reference.shops, [Entry { id: 17008, name: "CVETYKZ".into() }]);
        assert_eq!(reference.statuses[0].code, "N");
        assert_eq!(reference.skipped.len(), 1);
        assert!(reference.skipped[0].starts_with("slot 24:"), "{:?}", reference.skipped);
    }

    #[test]
    fn a_snapshot_that_breaks_the_contract_is_refused_whole() {
        let mut missing = snapshot();
        missing.as_object_mut().unwrap().remove("cities");
        let mut nameless = snapshot();
        nameless["slots"][0] = json!({"id": "18"});
        let mut huge = snapshot();
        huge["cities"] = Value::Array(vec![json!({"id": "1", "name": "x"}); MAX_ENTRIES + 1]);
        for broken in [missing, nameless, huge, json!("<html>")] {
            assert!(matches!(read_reference(&broken), Err(Failure::Permanent { .. })), "{broken}");
        }
    }

    #[test]
    fn an_entry_whose_id_is_not_a_number_is_left_out_and_counted() {
        let mut odd = snapshot();
        odd["cities"] = json!([{"id": "два", "name": "?"}, {"id": "3", "name": "Астана"}]);
        let reference = read_reference(&odd).unwrap();
        assert_eq!(reference.cities, [Entry { id: 3, name: "Астана".into() }]);
        assert!(reference.skipped.iter().any(|s| s.starts_with("cities:")));
    }
}
