//! The sandbox clock: real time plus an adjustable offset, shown in the company's time zone.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

/// Offset of the sample company's local time (Pacific standard time). [sim] no daylight saving.
pub const COMPANY_OFFSET_SECS: i32 = -8 * 3600;

pub fn company_tz() -> FixedOffset {
    FixedOffset::east_opt(COMPANY_OFFSET_SECS)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// Real time plus an offset that tests move forward with `advance`.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn new() -> Self {
        Clock {
            offset_ms: AtomicI64::new(0),
        }
    }

    pub fn advance(&self, secs: i64) {
        self.offset_ms
            .fetch_add(secs.saturating_mul(1000), Ordering::SeqCst);
    }

    /// Current sandbox time in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis() + self.offset_ms.load(Ordering::SeqCst)
    }

    /// Current sandbox time in whole seconds since the epoch.
    pub fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

pub fn from_ms(ms: i64) -> DateTime<FixedOffset> {
    let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    utc.with_timezone(&company_tz())
}

/// The envelope `time`: ISO-8601 with milliseconds and offset, `2020-09-29T06:02:35.106-08:00`.
pub fn envelope_time(ms: i64) -> String {
    from_ms(ms).format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
}

/// A `MetaData` time: no milliseconds, `2015-12-23T12:55:50-08:00`.
pub fn meta_time(secs: i64) -> String {
    from_ms(secs.saturating_mul(1000))
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// The company-local date of an instant, `2024-01-31`.
pub fn local_date(secs: i64) -> String {
    from_ms(secs.saturating_mul(1000))
        .format("%Y-%m-%d")
        .to_string()
}

/// Parses a date-time as QuickBooks accepts it in `changedSince` and query literals: RFC 3339
/// (`2024-01-01T00:00:00-08:00`, `...Z`), a local date-time without offset, or a bare date
/// (midnight, company time). A space in place of `+` (an unencoded `+` in a URL) is tolerated.
/// Returns epoch milliseconds.
pub fn parse_datetime_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let fixed: String;
    let s = if s.len() > 19 && s.as_bytes().get(19) == Some(&b' ')
        || s.contains(' ') && s.contains('T')
    {
        fixed = s.replacen(' ', "+", 1);
        fixed.as_str()
    } else {
        s
    };
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return company_tz()
                .from_local_datetime(&naive)
                .single()
                .map(|d| d.timestamp_millis());
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.timestamp_millis());
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let naive = date.and_hms_opt(0, 0, 0)?;
        return company_tz()
            .from_local_datetime(&naive)
            .single()
            .map(|d| d.timestamp_millis());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let ms = 1_601_391_072_830; // 2020-09-29T14:51:12.830Z
        assert_eq!(envelope_time(ms), "2020-09-29T06:51:12.830-08:00");
        assert_eq!(meta_time(ms / 1000), "2020-09-29T06:51:12-08:00");
        assert_eq!(local_date(ms / 1000), "2020-09-29");
    }

    #[test]
    fn parses_the_accepted_forms() {
        let base = parse_datetime_ms("2024-01-01T00:00:00-08:00").expect("rfc3339");
        assert_eq!(parse_datetime_ms("2024-01-01T08:00:00Z"), Some(base));
        assert_eq!(parse_datetime_ms("2024-01-01"), Some(base));
        assert_eq!(parse_datetime_ms("2024-01-01T00:00:00"), Some(base));
        assert_eq!(parse_datetime_ms("2024-01-01T09:00:00 01:00"), Some(base));
        assert_eq!(parse_datetime_ms("not a date"), None);
    }

    #[test]
    fn advance_moves_the_clock() {
        let c = Clock::new();
        let before = c.now_secs();
        c.advance(86_400);
        assert!(c.now_secs() >= before + 86_400);
    }
}
