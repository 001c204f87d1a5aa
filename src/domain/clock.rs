//! The shop's clock and day: Asia/Almaty, UTC+5 all year, no daylight saving. Not how a time
//! is shown (`human`).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Kazakhstan's one time zone since 2024-03-01: UTC+5, all year (the store's day reports are
/// given this offset, so that the shop's day has one home).
pub const ALMATY_OFFSET_SECONDS: i32 = 5 * 3600;

/// The shop's time zone.
#[must_use]
pub fn almaty() -> FixedOffset {
    FixedOffset::east_opt(ALMATY_OFFSET_SECONDS).expect("UTC+5 is a valid offset")
}

/// The shop's wall clock at `moment`.
#[must_use]
pub fn in_almaty<Tz: TimeZone>(moment: &DateTime<Tz>) -> NaiveDateTime {
    moment.with_timezone(&almaty()).naive_local()
}

/// The shop's day at `moment` (a day ends at midnight in Almaty, not in UTC).
#[must_use]
pub fn shop_day(moment: &DateTime<Utc>) -> NaiveDate {
    in_almaty(moment).date()
}
