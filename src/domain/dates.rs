//! Bitrix's dates and timestamps, in the formats its PHP prints, parsed once. Only values that
//! are real and that PostgreSQL stores as sent are accepted: years 1900 to 2999, and UTC
//! offsets a real time zone has (at most 14 hours).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

use crate::domain::text::quote;

/// The years a date may fall in: wide enough for any order's history and future, narrow enough
/// that no year PostgreSQL or a four-digit format cannot hold (0, 10000, negative) gets through.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2999;

/// Real time zones are within UTC-12 and UTC+14; PostgreSQL refuses offsets of 16 h and more.
const MAX_OFFSET_SECONDS: i32 = 14 * 3600;

/// Why a date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a date Bitrix would send (YYYY-MM-DD or DD.MM.YYYY, years 1900-2999): {0:?}")]
pub struct DateError(pub String);

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a timestamp (ISO 8601 with an offset of at most 14 h, or DD.MM.YYYY HH:MM:SS shop time; years 1900-2999): {0:?}")]
pub struct TimestampError(pub String);

/// A delivery date: `2025-08-25` or `25.08.2025`.
///
/// # Errors
/// [`DateError`] when it is neither, or its year is outside 1900-2999.
pub fn parse_date(raw: &str) -> Result<NaiveDate, DateError> {
    let trimmed = raw.trim();
    NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(trimmed, "%d.%m.%Y"))
        .ok()
        .filter(|date| YEARS.contains(&date.year()))
        .ok_or_else(|| DateError(quote(raw)))
}

/// A moment: RFC 3339 (`2025-08-24T13:05:11+05:00`), or shop-local `2025-08-24 13:05:11` /
/// `24.08.2025 13:05:11` read as UTC+5.
///
/// # Errors
/// [`TimestampError`] when it is none of these.
pub fn parse_timestamp(raw: &str) -> Result<DateTime<FixedOffset>, TimestampError> {
    let trimmed = raw.trim();
    // Bitrix prints the shop's local time (UTC+5) when it gives no offset.
    let shop_zone = crate::domain::clock::almaty();
    DateTime::parse_from_rfc3339(trimmed)
        .ok()
        .or_else(|| {
            ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M:%S"]
                .iter()
                .find_map(|format| NaiveDateTime::parse_from_str(trimmed, format).ok())
                .and_then(|local| shop_zone.from_local_datetime(&local).single())
        })
        .filter(|moment| {
            moment.offset().local_minus_utc().abs() <= MAX_OFFSET_SECONDS && YEARS.contains(&moment.year())
        })
        .ok_or_else(|| TimestampError(quote(raw)))
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

    #[test]
    fn years_and_offsets_postgresql_cannot_store_are_refused() {
        for raw in ["0000-01-01", "1899-12-31", "3000-01-01", "+12345-01-01", "-0001-01-01", "00.00.0000"] {
            assert!(parse_date(raw).is_err(), "{raw}");
        }
        assert!(parse_date("1900-01-01").is_ok() && parse_date("31.12.2999").is_ok());
        for raw in
            ["2025-08-24T13:05:11+14:01", "2025-08-24T13:05:11-23:59", "0000-01-01T00:00:00Z", "3000-01-01 00:00:00"]
        {
            assert!(parse_timestamp(raw).is_err(), "{raw}");
        }
        assert!(parse_timestamp("2025-08-24T13:05:11+14:00").is_ok());
        assert!(parse_timestamp("2025-08-24T13:05:11-12:00").is_ok());
    }

    #[test]
    fn a_refused_value_is_quoted_only_in_part() {
        let error = parse_date(&"9".repeat(5000)).unwrap_err();
        assert!(error.to_string().chars().count() < 400, "{error}");
    }
}
