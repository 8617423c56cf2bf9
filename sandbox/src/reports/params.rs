//! Report query parameters (reference sheet §7): the report's accepted names come from the
//! catalogue (`qbsync_catalog::QBO_REPORTS`); any other parameter is ignored, as QuickBooks
//! does. Bad values are refused with the standard fault:
//!
//! - a date that is not `YYYY-MM-DD` (`start_date`, `end_date`, `report_date`): 400 `2010`
//!   `Property Name:start_date specified is unsupported or invalid`;
//! - `start_date` after `end_date`: 400 `6000` `The start date ... is after the end date ...`;
//! - an unknown `date_macro`, `accounting_method`, `summarize_column_by` (or one the report
//!   does not support), `sort_order`, `aging_method`: 400 `2170` `Invalid Enumeration : X for p`;
//! - `aging_period`, `num_periods`, `past_due` not a whole number in range: 400 `2080`;
//! - a filter (`customer`, ...) that is not a comma-separated list of Ids: 400 `2500`.

use super::ledger::Filters;
use super::period::{macro_range, parse_date, Unit};
use super::{Columns, Ctx, Dates, Spec};
use crate::fault::Fault;
use chrono::NaiveDate;
use std::collections::HashMap;

/// `accounting_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    Accrual,
    Cash,
}

impl Basis {
    pub fn name(self) -> &'static str {
        match self {
            Basis::Accrual => "Accrual",
            Basis::Cash => "Cash",
        }
    }
}

/// A name dimension columns can be split by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Customers,
    Vendors,
    Employees,
    Classes,
    Departments,
    ProductsAndServices,
}

/// `summarize_column_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summarize {
    Total,
    Period(Unit),
    Dim(Dim),
}

const SUMMARIZE: [(&str, Summarize); 14] = [
    ("Total", Summarize::Total),
    ("Year", Summarize::Period(Unit::Year)),
    ("Quarter", Summarize::Period(Unit::Quarter)),
    ("FiscalYear", Summarize::Period(Unit::FiscalYear)),
    ("FiscalQuarter", Summarize::Period(Unit::FiscalQuarter)),
    ("Month", Summarize::Period(Unit::Month)),
    ("Week", Summarize::Period(Unit::Week)),
    ("Days", Summarize::Period(Unit::Days)),
    ("Customers", Summarize::Dim(Dim::Customers)),
    ("Vendors", Summarize::Dim(Dim::Vendors)),
    ("Employees", Summarize::Dim(Dim::Employees)),
    ("Departments", Summarize::Dim(Dim::Departments)),
    ("Classes", Summarize::Dim(Dim::Classes)),
    (
        "ProductsAndServices",
        Summarize::Dim(Dim::ProductsAndServices),
    ),
];

/// The filter values as sent, echoed in the Header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Echo {
    pub customer: Option<String>,
    pub vendor: Option<String>,
    pub employee: Option<String>,
    pub item: Option<String>,
    pub class: Option<String>,
    pub department: Option<String>,
}

/// Validated parameters of one report run.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The macro that set the period (lower case, as QuickBooks echoes it).
    pub date_macro: Option<String>,
    /// A macro or dates were sent.
    pub period_sent: bool,
    pub basis: Basis,
    pub summarize: Summarize,
    /// Whether the report takes `summarize_column_by` (the Header then echoes it).
    pub summarize_accepted: bool,
    pub summarize_name: &'static str,
    pub filters: Filters,
    pub echo: Echo,
    /// As-of date of aging and balance reports.
    pub report_date: NaiveDate,
    pub aging_period: i64,
    pub num_periods: i64,
    /// `aging_method=Current` ages from today, `Report_Date` from the report date.
    pub age_from_today: bool,
    pub past_due: Option<i64>,
    pub descend: bool,
    pub today: NaiveDate,
    pub fy_month: u32,
}

fn bad_enum(param: &str, v: &str) -> Fault {
    Fault::invalid_enum(param, v)
}

fn date_param(param: &str, v: Option<&str>) -> Result<Option<NaiveDate>, Fault> {
    v.map(|s| parse_date(s).ok_or_else(|| Fault::unsupported_property(param)))
        .transpose()
}

fn count(param: &str, v: Option<&str>, min: i64, max: i64) -> Result<Option<i64>, Fault> {
    v.map(|s| {
        s.parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| Fault::illegal_number(param, s))
    })
    .transpose()
}

fn ids(param: &str, v: Option<&str>) -> Result<Option<Vec<u64>>, Fault> {
    let Some(v) = v else { return Ok(None) };
    let mut out = Vec::new();
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        out.push(
            part.parse::<u64>()
                .map_err(|_| Fault::invalid_reference(param))?,
        );
    }
    Ok(Some(out))
}

impl Params {
    /// Parses the parameters `accepted` by the report (plus the spec's extras).
    pub fn parse(
        raw: &HashMap<String, String>,
        ctx: &Ctx,
        accepted: &[&str],
        spec: &Spec,
    ) -> Result<Params, Fault> {
        let get = |k: &str| -> Option<&str> {
            if accepted.contains(&k) || spec.extras.contains(&k) {
                raw.get(k).map(|v| v.trim()).filter(|v| !v.is_empty())
            } else {
                None
            }
        };
        let today = ctx.today;
        let fy = ctx.fy_month;
        let range_of = |m: &str, at: NaiveDate| {
            let all = if m.trim().eq_ignore_ascii_case("all") {
                ctx.span()
            } else {
                (at, at)
            };
            macro_range(m, at, fy, all)
        };

        let sent_macro = match get("date_macro") {
            Some(m) => {
                let r = range_of(m, today).ok_or_else(|| bad_enum("date_macro", m))?;
                Some((m.to_ascii_lowercase(), r))
            }
            None => None,
        };
        let start_date = date_param("start_date", get("start_date"))?;
        let end_date = date_param("end_date", get("end_date"))?;
        let report_date = date_param("report_date", get("report_date"))?;
        let period_sent = sent_macro.is_some() || start_date.is_some() || end_date.is_some();

        let (mut start, mut end, mut date_macro) = (today, today, None);
        let mut as_of = today;
        match spec.dates {
            Dates::Period(default) => {
                let (m, (ms, me)) = match &sent_macro {
                    Some(x) => x.clone(),
                    None => (
                        default.to_ascii_lowercase(),
                        range_of(default, today).unwrap_or((today, today)),
                    ),
                };
                (start, end, date_macro) = match (start_date, end_date) {
                    (Some(s), Some(e)) => (s, e, None),
                    (Some(s), None) => (s, me.max(s), None),
                    (None, Some(e)) => {
                        let (s, _) = range_of(&m, e).unwrap_or((e, e));
                        (s.min(e), e, None)
                    }
                    (None, None) => (ms, me, Some(m)),
                };
                as_of = end;
            }
            Dates::AsOf | Dates::Aging => {
                if let Some((m, (ms, me))) = &sent_macro {
                    (start, end, date_macro) = (*ms, *me, Some(m.clone()));
                    as_of = *me;
                } else if spec.dates == Dates::AsOf {
                    date_macro = Some("all".to_string());
                }
                if let Some(s) = start_date {
                    start = s;
                }
                if let Some(e) = end_date {
                    end = e;
                    as_of = e;
                }
                if let Some(r) = report_date {
                    as_of = r;
                }
            }
            Dates::None => {}
        }
        if start > end {
            return Err(Fault::business(format!(
                "The start date {start} is after the end date {end}."
            )));
        }

        let basis = match get("accounting_method") {
            None => ctx.basis,
            Some(v) if v.eq_ignore_ascii_case("accrual") => Basis::Accrual,
            Some(v) if v.eq_ignore_ascii_case("cash") => Basis::Cash,
            Some(v) => return Err(bad_enum("accounting_method", v)),
        };

        let (summarize_name, summarize) = match get("summarize_column_by") {
            None => ("Total", Summarize::Total),
            Some(v) => {
                let (name, s) = SUMMARIZE
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(v))
                    .copied()
                    .ok_or_else(|| bad_enum("summarize_column_by", v))?;
                let ok = match spec.columns {
                    Columns::Any => true,
                    Columns::Periods => !matches!(s, Summarize::Dim(_)),
                    Columns::Total => s == Summarize::Total,
                };
                if !ok {
                    return Err(bad_enum("summarize_column_by", v));
                }
                (name, s)
            }
        };

        let filters = Filters {
            customer: ids("customer", get("customer"))?,
            vendor: ids("vendor", get("vendor"))?,
            employee: ids("employee", get("employee"))?,
            item: ids("item", get("item"))?,
            class: ids("class", get("class"))?,
            department: ids("department", get("department"))?,
            account: ids("account", get("account"))?,
        };
        let echo_of =
            |k: &str| get(k).map(|v| v.split(',').map(str::trim).collect::<Vec<_>>().join(","));
        let echo = Echo {
            customer: echo_of("customer"),
            vendor: echo_of("vendor"),
            employee: echo_of("employee"),
            item: echo_of("item"),
            class: echo_of("class"),
            department: echo_of("department"),
        };

        let age_from_today = match get("aging_method") {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("current") => true,
            Some(v) if v.eq_ignore_ascii_case("report_date") => false,
            Some(v) => return Err(bad_enum("aging_method", v)),
        };
        let descend = match get("sort_order") {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("ascend") => false,
            Some(v) if v.eq_ignore_ascii_case("descend") => true,
            Some(v) => return Err(bad_enum("sort_order", v)),
        };

        Ok(Params {
            start,
            end,
            date_macro,
            period_sent,
            basis,
            summarize,
            summarize_accepted: accepted.contains(&"summarize_column_by"),
            summarize_name,
            filters,
            echo,
            report_date: as_of,
            aging_period: count("aging_period", get("aging_period"), 1, 3650)?.unwrap_or(30),
            num_periods: count("num_periods", get("num_periods"), 1, 100)?.unwrap_or(4),
            age_from_today,
            past_due: count("past_due", get("past_due"), 0, 100_000)?,
            descend,
            today,
            fy_month: fy,
        })
    }
}
