//! `GET /v3/company/{realm}/reports/{ReportName}` (reference sheet §7): every report of the
//! catalogue (`qbsync_catalog::QBO_REPORTS`) computed from the sandbox's own books, so a report
//! run after posting an invoice shows it.
//!
//! - `ledger` (+ `postings`, `cash`) turns stored transactions into postings; `chart` knows the
//!   accounts; `openitems` the open invoices/bills as of a date;
//! - `params` and `period` read the query; `columns` and `tree` build the common row shapes;
//! - one module per report family: `statements`, `cashflow`, `ledgers`, `receivables`,
//!   `payables`, `sales`, `lists`, `other`;
//! - `render` writes the JSON in QuickBooks' key order.

mod cash;
mod cashflow;
mod chart;
mod columns;
mod detail;
mod ledger;
mod ledgers;
mod lists;
mod openitems;
mod other;
mod params;
mod payables;
mod period;
mod postings;
mod receivables;
mod render;
mod sales;
mod statements;
mod tree;

#[cfg(test)]
mod tests;

use crate::clock::{local_date, meta_time};
use crate::fault::Fault;
use crate::store::Store;
use chrono::NaiveDate;
use ledger::{Ledger, TXN_ENTITIES};
use params::{Basis, Params};
use qbsync_catalog::QBO_REPORTS;
use render::{Column, Header, Row};
use serde_json::Value;
use std::collections::HashMap;

/// At most this many money columns (period or name columns) in one report.
pub const MAX_COLUMNS: usize = 1000;

/// What the report runs on.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub now_secs: i64,
    pub today: NaiveDate,
    /// CompanyInfo `FiscalYearStartMonth` (1 = January).
    pub fy_month: u32,
    /// Preferences `CurrencyPrefs.HomeCurrency`.
    pub currency: String,
    /// Preferences `ReportPrefs.ReportBasis` (the default `accounting_method`).
    pub basis: Basis,
    span: std::cell::OnceCell<(NaiveDate, NaiveDate)>,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl<'a> Ctx<'a> {
    pub fn new(store: &'a Store, now_secs: i64) -> Ctx<'a> {
        let today = period::parse_date(&local_date(now_secs)).unwrap_or_default();
        let fy_month = store
            .singleton("CompanyInfo")
            .and_then(|c| c.get("FiscalYearStartMonth"))
            .and_then(Value::as_str)
            .and_then(|m| MONTHS.iter().position(|x| x.eq_ignore_ascii_case(m)))
            .map(|i| i as u32 + 1)
            .unwrap_or(1);
        let prefs = store.singleton("Preferences");
        let currency = prefs
            .and_then(|p| p.get("CurrencyPrefs"))
            .and_then(|c| c.get("HomeCurrency"))
            .and_then(|h| h.get("value"))
            .and_then(Value::as_str)
            .unwrap_or("USD")
            .to_string();
        let basis = match prefs
            .and_then(|p| p.get("ReportPrefs"))
            .and_then(|r| r.get("ReportBasis"))
            .and_then(Value::as_str)
        {
            Some("Cash") => Basis::Cash,
            _ => Basis::Accrual,
        };
        Ctx {
            store,
            now_secs,
            today,
            fy_month,
            currency,
            basis,
            span: std::cell::OnceCell::new(),
        }
    }

    /// First and last transaction date (the `All` macro), widened to include today.
    pub fn span(&self) -> (NaiveDate, NaiveDate) {
        *self.span.get_or_init(|| {
            let mut first: Option<NaiveDate> = None;
            let mut last: Option<NaiveDate> = None;
            for e in TXN_ENTITIES {
                let Some(ti) = self.store.table_index(e) else {
                    continue;
                };
                for r in self.store.tables[ti].rows.values().filter(|r| !r.deleted) {
                    if let Some(d) = ledger::date_field(&r.obj, "TxnDate") {
                        first = Some(first.map_or(d, |f| f.min(d)));
                        last = Some(last.map_or(d, |l| l.max(d)));
                    }
                }
            }
            (
                first.unwrap_or(self.today).min(self.today),
                last.unwrap_or(self.today).max(self.today),
            )
        })
    }

    pub fn ledger(&self, basis: Basis) -> Ledger<'a> {
        Ledger::build(self.store, basis)
    }
}

/// How a report takes its dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dates {
    /// A period; the default macro when none is sent.
    Period(&'static str),
    /// Balances as of a date (`report_date`, else `end_date`, else today); default macro All.
    AsOf,
    /// Aging as of `report_date` (else the macro's end, else today).
    Aging,
    None,
}

/// Which `summarize_column_by` values a report supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    Any,
    Periods,
    Total,
}

/// How a report reads its parameters and fills its Header.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub dates: Dates,
    /// The Header carries `ReportBasis`.
    pub basis: bool,
    pub columns: Columns,
    /// The Header carries the `AccountingStandard` option (ProfitAndLoss, BalanceSheet).
    pub standard: bool,
    /// Parameters QuickBooks takes beyond the catalogue's list.
    pub extras: &'static [&'static str],
}

const MTD: &str = "This Month-to-date";

fn spec(name: &str) -> Spec {
    let s = |dates, basis, columns| Spec {
        dates,
        basis,
        columns,
        standard: false,
        extras: &[],
    };
    let period = Dates::Period(MTD);
    match name {
        "ProfitAndLoss" => Spec {
            standard: true,
            ..s(period, true, Columns::Any)
        },
        "BalanceSheet" => Spec {
            standard: true,
            ..s(period, true, Columns::Periods)
        },
        "ProfitAndLossDetail"
        | "TrialBalance"
        | "GeneralLedger"
        | "JournalReport"
        | "TaxSummary" => s(period, true, Columns::Total),
        "CashFlow" => s(period, false, Columns::Periods),
        "CustomerSales" | "DepartmentSales" | "ClassSales" | "VendorExpenses" => {
            s(period, true, Columns::Any)
        }
        "ItemSales" | "CustomerIncome" => s(period, true, Columns::Total),
        "CustomerBalance" | "VendorBalance" | "CustomerBalanceDetail" | "VendorBalanceDetail" => {
            Spec {
                extras: &["report_date"],
                ..s(Dates::AsOf, false, Columns::Total)
            }
        }
        "AgedReceivables" | "AgedReceivableDetail" | "AgedPayables" | "AgedPayableDetail" => Spec {
            extras: &["aging_method", "past_due"],
            ..s(Dates::Aging, false, Columns::Total)
        },
        "AccountList" => s(Dates::None, false, Columns::Total),
        // Transaction lists, inventory valuation.
        _ => s(period, false, Columns::Total),
    }
}

/// A computed report before its Header.
#[derive(Debug, Clone, Default)]
pub struct Built {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// `NoReportData`.
    pub empty: bool,
}

/// Whether `name` is a report the sandbox serves (exact QuickBooks spelling: paths are
/// case-sensitive).
pub fn is_report(name: &str) -> bool {
    QBO_REPORTS.iter().any(|r| r.name == name)
}

fn build(ctx: &Ctx, p: &Params, name: &str) -> Result<Built, Fault> {
    Ok(match name {
        "ProfitAndLoss" => statements::profit_and_loss(ctx, p)?,
        "ProfitAndLossDetail" => ledgers::profit_and_loss_detail(ctx, p),
        "BalanceSheet" => statements::balance_sheet(ctx, p)?,
        "TrialBalance" => statements::trial_balance(ctx, p),
        "CashFlow" => cashflow::cash_flow(ctx, p)?,
        "GeneralLedger" => ledgers::general_ledger(ctx, p),
        "JournalReport" => ledgers::journal(ctx, p),
        "CustomerSales" => sales::sales_by(ctx, p, sales::By::Customer)?,
        "ClassSales" => sales::sales_by(ctx, p, sales::By::Class)?,
        "DepartmentSales" => sales::sales_by(ctx, p, sales::By::Department)?,
        "ItemSales" => sales::item_sales(ctx, p),
        "CustomerIncome" => sales::customer_income(ctx, p),
        "AgedReceivables" => receivables::aged(ctx, p, openitems::Side::Receivable),
        "AgedReceivableDetail" => receivables::aged_detail(ctx, p, openitems::Side::Receivable),
        "CustomerBalance" => receivables::balance(ctx, p, openitems::Side::Receivable),
        "CustomerBalanceDetail" => receivables::balance_detail(ctx, p, openitems::Side::Receivable),
        "AgedPayables" => payables::aged(ctx, p),
        "AgedPayableDetail" => payables::aged_detail(ctx, p),
        "VendorBalance" => payables::balance(ctx, p),
        "VendorBalanceDetail" => payables::balance_detail(ctx, p),
        "VendorExpenses" => payables::vendor_expenses(ctx, p)?,
        "TransactionList" => lists::transaction_list(ctx, p),
        "TransactionListWithSplits" => lists::with_splits(ctx, p),
        "TransactionListByCustomer" => lists::by_party(ctx, p, lists::Party::Customer),
        "TransactionListByVendor" => lists::by_party(ctx, p, lists::Party::Vendor),
        "AccountList" => lists::account_list(ctx, p),
        "TaxSummary" => other::tax_summary(ctx, p),
        "InventoryValuationSummary" => other::inventory_summary(ctx, p),
        "InventoryValuationDetail" => other::inventory_detail(ctx, p),
        other => return Err(Fault::unsupported_operation(&format!("Report {other}"))),
    })
}

fn header(ctx: &Ctx, p: &Params, name: &str, spec: &Spec, built: &Built) -> Header {
    let mut h = Header {
        time: meta_time(ctx.now_secs),
        report_name: name.to_string(),
        currency: ctx.currency.clone(),
        customer: p.echo.customer.clone(),
        vendor: p.echo.vendor.clone(),
        employee: p.echo.employee.clone(),
        item: p.echo.item.clone(),
        class: p.echo.class.clone(),
        department: p.echo.department.clone(),
        ..Header::default()
    };
    match spec.dates {
        Dates::Period(_) => {
            h.date_macro = p.date_macro.clone();
            h.start_period = Some(p.start);
            h.end_period = Some(p.end);
        }
        Dates::AsOf => {
            h.date_macro = p.date_macro.clone();
            h.options.push(("report_date", render::date(p.report_date)));
        }
        Dates::Aging => {
            if p.date_macro.is_some() {
                h.date_macro = p.date_macro.clone();
                h.start_period = Some(p.start);
                h.end_period = Some(p.end);
            }
            h.options.push(("report_date", render::date(p.report_date)));
        }
        Dates::None => {}
    }
    if spec.basis {
        h.report_basis = Some(p.basis.name());
    }
    if p.summarize_accepted && matches!(spec.dates, Dates::Period(_)) {
        h.summarize_columns_by = Some(p.summarize_name.to_string());
    }
    if spec.standard {
        h.options
            .insert(0, ("AccountingStandard", "GAAP".to_string()));
    }
    h.options.push(("NoReportData", built.empty.to_string()));
    h
}

/// Runs report `name` with the request's query parameters at sandbox time `now_secs`:
/// the bare report JSON (no wrapper, no `time`), or the fault to answer with.
pub fn run(
    store: &Store,
    name: &str,
    raw: &HashMap<String, String>,
    now_secs: i64,
) -> Result<String, Fault> {
    let Some(report) = QBO_REPORTS.iter().find(|r| r.name == name) else {
        return Err(Fault::unsupported_operation(&format!("Report {name}")));
    };
    let spec = spec(report.name);
    let ctx = Ctx::new(store, now_secs);
    let p = Params::parse(raw, &ctx, report.params, &spec)?;
    let built = build(&ctx, &p, report.name)?;
    let h = header(&ctx, &p, report.name, &spec, &built);
    Ok(render::report(&h, &built.columns, &built.rows))
}

/// [`run`] as a JSON value (tests, the admin surface).
pub fn run_value(
    store: &Store,
    name: &str,
    raw: &HashMap<String, String>,
    now_secs: i64,
) -> Result<Value, Fault> {
    let body = run(store, name, raw, now_secs)?;
    serde_json::from_str(&body).map_err(|_| Fault::system_fault())
}
