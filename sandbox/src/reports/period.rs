//! Report dates: `date_macro` ranges (Report.xsd `DateMacro`) relative to the sandbox clock's
//! "today", the fiscal year (CompanyInfo `FiscalYearStartMonth`), and the period columns of
//! `summarize_column_by` (Days, Week, Month, Quarter, Year, FiscalQuarter, FiscalYear).

use chrono::{Datelike, Duration, NaiveDate};

/// Strict `YYYY-MM-DD` (hand-parsed: reports read every stored TxnDate).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.trim().as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

fn month_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

fn from_month_index(i: i64) -> Option<NaiveDate> {
    let year = i32::try_from(i.div_euclid(12)).ok()?;
    NaiveDate::from_ymd_opt(year, u32::try_from(i.rem_euclid(12)).ok()? + 1, 1)
}

/// First day of the block of `len` months holding `d`, blocks starting at month `anchor0`
/// (0 = January): quarters are `len` 3, years 12.
fn block_start(d: NaiveDate, len: i64, anchor0: i64) -> Option<NaiveDate> {
    let i = month_index(d);
    from_month_index(i - (i - anchor0).rem_euclid(len))
}

fn add_months(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    from_month_index(month_index(d) + n)
}

/// First day of the fiscal year holding `d`.
pub fn fiscal_year_start(d: NaiveDate, fy_month: u32) -> NaiveDate {
    block_start(d, 12, i64::from(fy_month.clamp(1, 12)) - 1).unwrap_or(d)
}

/// Weeks run Sunday to Saturday (US QuickBooks).
fn week_start(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_sunday()))
}

/// How report columns are split in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Days,
    Week,
    Month,
    Quarter,
    Year,
    FiscalQuarter,
    FiscalYear,
}

impl Unit {
    /// `(months per block, anchor month0)`; None for days and weeks.
    fn months(self, fy_month: u32) -> Option<(i64, i64)> {
        let fy0 = i64::from(fy_month.clamp(1, 12)) - 1;
        match self {
            Unit::Days | Unit::Week => None,
            Unit::Month => Some((1, 0)),
            Unit::Quarter => Some((3, 0)),
            Unit::Year => Some((12, 0)),
            Unit::FiscalQuarter => Some((3, fy0)),
            Unit::FiscalYear => Some((12, fy0)),
        }
    }

    /// The whole unit holding `d`: `(first day, last day)`.
    pub fn span(self, d: NaiveDate, fy_month: u32) -> Option<(NaiveDate, NaiveDate)> {
        match self.months(fy_month) {
            None if self == Unit::Days => Some((d, d)),
            None => {
                let s = week_start(d);
                Some((s, s + Duration::days(6)))
            }
            Some((len, anchor)) => {
                let s = block_start(d, len, anchor)?;
                Some((s, add_months(s, len)? - Duration::days(1)))
            }
        }
    }

    /// The same unit `n` units before (negative) or after `start` (a unit's first day).
    fn shift(self, start: NaiveDate, n: i64, fy_month: u32) -> Option<NaiveDate> {
        match self.months(fy_month) {
            None if self == Unit::Days => start.checked_add_signed(Duration::days(n)),
            None => start.checked_add_signed(Duration::weeks(n)),
            Some((len, _)) => add_months(start, n * len),
        }
    }
}

/// One period column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub title: String,
}

fn title(unit: Unit, start: NaiveDate, end: NaiveDate, fy_month: u32) -> String {
    match unit {
        Unit::Days => start.format("%b %-d, %Y").to_string(),
        Unit::Week => format!("{} - {}", start.format("%b %-d"), end.format("%b %-d, %Y")),
        Unit::Month => start.format("%b %Y").to_string(),
        Unit::Quarter | Unit::FiscalQuarter => {
            format!("{} - {}", start.format("%b"), end.format("%b, %Y"))
        }
        Unit::Year => start.format("%Y").to_string(),
        Unit::FiscalYear if fy_month <= 1 => start.format("%Y").to_string(),
        Unit::FiscalYear => format!("{} - {}", start.format("%b %Y"), end.format("%b %Y")),
    }
}

/// The period columns covering `start..=end`, the first and last clipped to the range
/// (titled by their whole unit). At most `max` columns; None beyond.
pub fn split(
    start: NaiveDate,
    end: NaiveDate,
    unit: Unit,
    fy_month: u32,
    max: usize,
) -> Option<Vec<Period>> {
    let mut out = Vec::new();
    let mut cur = start;
    while cur <= end {
        if out.len() >= max {
            return None;
        }
        let (us, ue) = unit.span(cur, fy_month)?;
        let e = ue.min(end);
        out.push(Period {
            start: cur,
            end: e,
            title: title(unit, us, ue, fy_month),
        });
        cur = e.checked_add_signed(Duration::days(1))?;
    }
    Some(out)
}

/// The range of a date macro (matched case-insensitively), relative to `today`. `all` is the
/// range of the company's transactions. Also accepted: `This Year`, `This Quarter` (and
/// Last/Next, `-to-date`) as the calendar ones.
pub fn macro_range(
    name: &str,
    today: NaiveDate,
    fy_month: u32,
    all: (NaiveDate, NaiveDate),
) -> Option<(NaiveDate, NaiveDate)> {
    let n = name.trim().to_ascii_lowercase();
    match n.as_str() {
        "all" => return Some(all),
        "today" => return Some((today, today)),
        "yesterday" => {
            let y = today.pred_opt()?;
            return Some((y, y));
        }
        "next 4 weeks" => {
            let s = week_start(today) + Duration::weeks(1);
            return Some((s, s + Duration::days(27)));
        }
        _ => {}
    }
    let (rest, to_date) = match n.strip_suffix("-to-date") {
        Some(r) => (r, true),
        None => (n.as_str(), false),
    };
    let (offset, unit_name) = if let Some(u) = rest.strip_prefix("this ") {
        (0, u)
    } else if let Some(u) = rest.strip_prefix("last ") {
        (-1, u)
    } else if let Some(u) = rest.strip_prefix("next ") {
        (1, u)
    } else {
        return None;
    };
    if offset == 1 && to_date {
        return None;
    }
    let unit = match unit_name {
        "week" => Unit::Week,
        "month" => Unit::Month,
        "fiscal quarter" => Unit::FiscalQuarter,
        "fiscal year" => Unit::FiscalYear,
        "calendar quarter" | "quarter" => Unit::Quarter,
        "calendar year" | "year" => Unit::Year,
        _ => return None,
    };
    let (this_start, _) = unit.span(today, fy_month)?;
    let start = unit.shift(this_start, offset, fy_month)?;
    let (_, full_end) = unit.span(start, fy_month)?;
    if !to_date {
        return Some((start, full_end));
    }
    // "-to-date": as far into the period as today is into the current one.
    let into = today - this_start;
    let end = start.checked_add_signed(into)?.min(full_end);
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).expect("date")
    }

    #[test]
    fn macros() {
        let today = d("2024-05-15"); // a Wednesday
        let all = (d("2020-01-01"), d("2024-05-15"));
        let r = |m: &str| macro_range(m, today, 1, all);
        assert_eq!(r("This Month-to-date"), Some((d("2024-05-01"), today)));
        assert_eq!(r("This Month"), Some((d("2024-05-01"), d("2024-05-31"))));
        assert_eq!(r("Last Month"), Some((d("2024-04-01"), d("2024-04-30"))));
        assert_eq!(
            r("Last Month-to-date"),
            Some((d("2024-04-01"), d("2024-04-15")))
        );
        assert_eq!(r("this year"), Some((d("2024-01-01"), d("2024-12-31"))));
        assert_eq!(
            r("Last Calendar Year"),
            Some((d("2023-01-01"), d("2023-12-31")))
        );
        assert_eq!(
            r("This Fiscal Year-to-date"),
            Some((d("2024-01-01"), today))
        );
        assert_eq!(r("Yesterday"), Some((d("2024-05-14"), d("2024-05-14"))));
        assert_eq!(r("This Week"), Some((d("2024-05-12"), d("2024-05-18"))));
        assert_eq!(r("Last Week"), Some((d("2024-05-05"), d("2024-05-11"))));
        assert_eq!(
            r("This Calendar Quarter"),
            Some((d("2024-04-01"), d("2024-06-30")))
        );
        assert_eq!(r("All"), Some(all));
        assert_eq!(r("Next Month-to-date"), None);
        assert_eq!(r("Fortnight"), None);
        // A fiscal year starting in July.
        assert_eq!(
            macro_range("This Fiscal Year", today, 7, all),
            Some((d("2023-07-01"), d("2024-06-30")))
        );
        assert_eq!(
            macro_range("Last Fiscal Quarter", today, 7, all),
            Some((d("2024-01-01"), d("2024-03-31")))
        );
    }

    #[test]
    fn splits_into_clipped_periods() {
        let p = split(d("2024-01-15"), d("2024-03-10"), Unit::Month, 1, 100).expect("p");
        assert_eq!(p.len(), 3);
        assert_eq!((p[0].start, p[0].end), (d("2024-01-15"), d("2024-01-31")));
        assert_eq!(p[0].title, "Jan 2024");
        assert_eq!((p[2].start, p[2].end), (d("2024-03-01"), d("2024-03-10")));
        let q = split(d("2024-01-01"), d("2024-12-31"), Unit::Quarter, 1, 100).expect("q");
        assert_eq!(q.len(), 4);
        assert_eq!(q[1].title, "Apr - Jun, 2024");
        let days = split(d("2021-07-20"), d("2021-07-21"), Unit::Days, 1, 100).expect("d");
        assert_eq!(days[0].title, "Jul 20, 2021");
        assert!(split(d("2000-01-01"), d("2024-01-01"), Unit::Days, 1, 1000).is_none());
        assert_eq!(fiscal_year_start(d("2024-05-15"), 7), d("2023-07-01"));
        for bad in [
            "2024-13-01",
            "2024-02-30",
            "2024-1-01",
            "24-01-01xx",
            "2024/01/01",
            "+024-01-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(
            parse_date(" 2024-02-29 "),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
    }
}
