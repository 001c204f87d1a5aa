//! Bitrix's dates and timestamps, in the formats its PHP prints, parsed once.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

/// Kazakhstan has kept a single time zone, UTC+5, since 2024-03-01; Bitrix prints local time.
const SHOP_OFFSET_SECONDS: i32 = 5 * 3600;

/// Why a date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a date Bitrix would send (YYYY-MM-DD or DD.MM.YYYY): {0:?}")]
pub struct DateError(pub String);

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a timestamp (ISO 8601 with offset, or DD.MM.YYYY HH:MM:SS shop time): {0:?}")]
pub struct TimestampError(pub String);

/// A delivery date: `2025-08-25` or `25.08.2025`.
///
/// # Errors
/// [`DateError`] when it is neither.
pub fn parse_date(raw: &str) -> Result<NaiveDate, DateError> {
    let trimmed = raw.trim();
    NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(trimmed, "%d.%m.%Y"))
        .map_err(|_| DateError(raw.to_owned()))
}

/// A moment: RFC 3339 (`2025-08-24T13:05:11+05:00`), or shop-local `2025-08-24 13:05:11` /
/// `24.08.2025 13:05:11` read as UTC+5.
///
/// # Errors
/// [`TimestampError`] when it is none of these.
pub fn parse_timestamp(raw: &str) -> Result<DateTime<FixedOffset>, TimestampError> {
    let trimmed = raw.trim();
    if let Ok(moment) = DateTime::parse_from_rfc3339(trimmed) {
        return Ok(moment);
    }
    let shop_zone = FixedOffset::east_opt(SHOP_OFFSET_SECONDS).expect("UTC+5 is a valid offset");
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(trimmed, format).ok())
        .and_then(|local| shop_zone.from_local_datetime(&local).single())
        .ok_or_else(|| TimestampError(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_dates_in_both_bitrix_formats_parse_to_the_same_day() {
        let day = NaiveDate::from_ymd_opt(2025, 8, 25).unwrap();
        assert_eq!(parse_date("2025-08-25"), Ok(day));
        assert_eq!(parse_date(" 25.08.2025 "), Ok(day));
        assert!(parse_date("завтра").is_err());
        assert!(parse_date("2025-02-30").is_err());
    }

    #[test]
    fn shop_local_timestamps_are_read_as_utc_plus_five() {
        let iso = parse_timestamp("2025-08-24T13:05:11+05:00").unwrap();
        assert_eq!(parse_timestamp("24.08.2025 13:05:11").unwrap(), iso);
        assert_eq!(parse_timestamp("2025-08-24 13:05:11").unwrap(), iso);
        assert_eq!(parse_timestamp("2025-08-24T08:05:11Z").unwrap(), iso);
        assert!(parse_timestamp("вчера").is_err());
    }
}
