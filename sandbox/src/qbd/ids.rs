//! Identifiers and times as QuickBooks Desktop writes them (§12, §17): `ListID`
//! `80000001-1405768916`, `TxnID`/`TxnLineID` `4C-1415942229`, `EditSequence` (unix seconds,
//! strictly increasing), and the host's time zone with its daylight-saving quirk (§10):
//! local wall-clock time is shown with the zone's *standard* offset all year, and input is read
//! the same way (offset-less = local wall clock; with an offset = converted to wall clock with
//! the standard offset).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// The QuickBooks machine's time zone: a standard offset and, optionally, US daylight-saving
/// rules (second Sunday of March 02:00 to first Sunday of November 02:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostZone {
    /// Standard offset from UTC in seconds (east positive): -5 h for US Eastern.
    pub std_offset_secs: i32,
    /// Whether the zone observes US daylight-saving time.
    pub dst: bool,
}

impl Default for HostZone {
    fn default() -> Self {
        HostZone {
            std_offset_secs: -5 * 3600,
            dst: true,
        }
    }
}

fn nth_sunday(year: i32, month: u32, n: u32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let to_sunday = (7 - first.weekday().num_days_from_sunday()) % 7;
    first.checked_add_signed(Duration::days(i64::from(to_sunday + 7 * (n - 1))))
}

fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .unwrap_or_default()
        .and_time(NaiveTime::MIN)
}

fn naive_of(secs: i64) -> NaiveDateTime {
    epoch()
        .checked_add_signed(Duration::seconds(secs))
        .unwrap_or_else(epoch)
}

fn secs_of(t: NaiveDateTime) -> i64 {
    (t - epoch()).num_seconds()
}

impl HostZone {
    /// Whether daylight time is in force at standard-time wall clock `std_local`.
    fn dst_at(&self, std_local: NaiveDateTime) -> bool {
        if !self.dst {
            return false;
        }
        let y = std_local.year();
        let (Some(start), Some(end)) = (nth_sunday(y, 3, 2), nth_sunday(y, 11, 1)) else {
            return false;
        };
        let start = start.and_hms_opt(2, 0, 0).unwrap_or_default();
        // 02:00 daylight time = 01:00 standard time.
        let end = end.and_hms_opt(1, 0, 0).unwrap_or_default();
        std_local >= start && std_local < end
    }

    /// Local wall-clock time of an instant (daylight time applied).
    pub fn local(&self, secs: i64) -> NaiveDateTime {
        let std_local = naive_of(secs + i64::from(self.std_offset_secs));
        if self.dst_at(std_local) {
            std_local + Duration::hours(1)
        } else {
            std_local
        }
    }

    /// The instant a local wall-clock time denotes (the earlier one when ambiguous).
    pub fn instant(&self, wall: NaiveDateTime) -> i64 {
        let as_std = secs_of(wall) - i64::from(self.std_offset_secs);
        let as_dst = as_std - 3600;
        if self.dst && self.local(as_dst) == wall {
            as_dst
        } else {
            as_std
        }
    }

    fn offset_text(&self) -> String {
        let o = self.std_offset_secs;
        let sign = if o < 0 { '-' } else { '+' };
        let a = o.unsigned_abs();
        format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
    }

    /// `DATETIMETYPE` as QuickBooks writes it: local wall clock with the standard offset
    /// (`2014-07-19T07:21:56-05:00` in July in US Eastern).
    pub fn format_datetime(&self, secs: i64) -> String {
        format!(
            "{}{}",
            self.local(secs).format("%Y-%m-%dT%H:%M:%S"),
            self.offset_text()
        )
    }

    /// The local date of an instant.
    pub fn date(&self, secs: i64) -> NaiveDate {
        self.local(secs).date()
    }

    /// Parses `DATETIMETYPE` (`YYYY-M-D[Thh[:mm[:ss[±hh:mm]]]]`) as QuickBooks reads it.
    pub fn parse_datetime(&self, s: &str) -> Option<i64> {
        let s = s.trim();
        let (date_part, rest) = match s.split_once('T') {
            Some((d, r)) => (d, Some(r)),
            None => (s, None),
        };
        let mut dp = date_part.split('-');
        let y: i32 = dp.next()?.parse().ok()?;
        let m: u32 = dp.next()?.parse().ok()?;
        let d: u32 = dp.next()?.parse().ok()?;
        if dp.next().is_some() {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(y, m, d)?;
        let (mut h, mut mi, mut se, mut off) = (0u32, 0u32, 0u32, None::<i64>);
        if let Some(rest) = rest {
            let (time, offset) = match rest.find(['+', '-']) {
                Some(i) => (&rest[..i], Some(&rest[i..])),
                None => (rest, None),
            };
            let mut tp = time.split(':');
            h = tp.next()?.parse().ok()?;
            if let Some(x) = tp.next() {
                mi = x.parse().ok()?;
            }
            if let Some(x) = tp.next() {
                se = x.parse().ok()?;
            }
            if let Some(o) = offset {
                let neg = o.starts_with('-');
                let (oh, om) = o[1..].split_once(':')?;
                let v = oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60;
                off = Some(if neg { -v } else { v });
            }
        }
        let wall = date.and_hms_opt(h, mi, se)?;
        let wall = match off {
            // QuickBooks turns the value into its own wall clock with the standard offset.
            Some(o) => wall + Duration::seconds(i64::from(self.std_offset_secs) - o),
            None => wall,
        };
        Some(self.instant(wall))
    }

    /// Midnight (local) starting `date`.
    pub fn start_of(&self, date: NaiveDate) -> i64 {
        self.instant(date.and_time(NaiveTime::MIN))
    }
}

/// `DATETYPE` (`2024-01-31`).
pub fn format_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Parses `DATETYPE` (`YYYY-MM-DD`, single-digit parts tolerated).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let mut p = s.trim().split('-');
    let y = p.next()?.parse().ok()?;
    let m = p.next()?.parse().ok()?;
    let d = p.next()?.parse().ok()?;
    if p.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The company file's counters: list and transaction sequences and the last `EditSequence`.
#[derive(Debug, Clone)]
pub(crate) struct IdGen {
    next_list: u64,
    next_txn: u64,
    last_edit: i64,
}

impl Default for IdGen {
    fn default() -> Self {
        IdGen {
            next_list: 0x8000_0001,
            next_txn: 1,
            last_edit: 0,
        }
    }
}

impl IdGen {
    /// `80000001-1405768916`: hex counter (lists start at `80000001`) and creation seconds.
    pub fn list_id(&mut self, now: i64) -> String {
        let n = self.next_list;
        self.next_list += 1;
        format!("{n:X}-{now}")
    }

    /// `4C-1415942229`: short hex counter and creation seconds (also used for `TxnLineID`).
    pub fn txn_id(&mut self, now: i64) -> String {
        let n = self.next_txn;
        self.next_txn += 1;
        format!("{n:X}-{now}")
    }

    /// A fresh `EditSequence`: unix seconds, strictly increasing even within one second.
    pub fn edit_sequence(&mut self, now: i64) -> i64 {
        let v = now.max(self.last_edit + 1);
        self.last_edit = v;
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eastern() -> HostZone {
        HostZone::default()
    }

    #[test]
    fn summer_times_carry_the_standard_offset() {
        let z = eastern();
        // 2014-07-19T12:21:56Z is 08:21:56 EDT; QuickBooks shows it with -05:00.
        let t = 1_405_772_516;
        assert_eq!(z.format_datetime(t), "2014-07-19T08:21:56-05:00");
        // Winter: 2014-01-19T12:21:56Z is 07:21:56 EST.
        assert_eq!(
            z.format_datetime(1_390_134_116),
            "2014-01-19T07:21:56-05:00"
        );
    }

    #[test]
    fn input_is_read_as_quickbooks_reads_it() {
        let z = eastern();
        let t = 1_405_772_516;
        // Echoing the offset QuickBooks returned, or no offset, gives the same instant.
        assert_eq!(z.parse_datetime("2014-07-19T08:21:56-05:00"), Some(t));
        assert_eq!(z.parse_datetime("2014-07-19T08:21:56"), Some(t));
        // The correct UTC offset is one hour off during daylight time (the quirk).
        assert_eq!(
            z.parse_datetime("2014-07-19T12:21:56+00:00"),
            Some(t - 3600)
        );
        assert_eq!(
            z.parse_datetime("2014-7-9"),
            z.parse_datetime("2014-07-09T00:00:00")
        );
        assert_eq!(
            z.parse_datetime("2014-07-19T8"),
            z.parse_datetime("2014-07-19T08:00:00")
        );
        assert_eq!(z.parse_datetime("bad"), None);
        assert_eq!(z.parse_datetime("2014-13-01"), None);
    }

    #[test]
    fn round_trips_across_the_year() {
        let z = eastern();
        for t in (1_388_534_400..1_420_070_400).step_by(86_400 * 7 + 3_601) {
            let s = z.format_datetime(t);
            assert_eq!(z.parse_datetime(&s), Some(t), "{s}");
        }
        let utc = HostZone {
            std_offset_secs: 0,
            dst: false,
        };
        assert_eq!(utc.format_datetime(0), "1970-01-01T00:00:00+00:00");
    }

    #[test]
    fn ids_have_quickbooks_shapes() {
        let mut g = IdGen::default();
        assert_eq!(g.list_id(1_405_768_916), "80000001-1405768916");
        assert_eq!(g.list_id(1_405_768_917), "80000002-1405768917");
        assert_eq!(g.txn_id(1_415_942_229), "1-1415942229");
        let a = g.edit_sequence(100);
        let b = g.edit_sequence(100);
        assert!(b > a && b.to_string().len() <= 16);
    }
}
