//! Report queries (§16): the request's period, basis, filters and summarize options, then the
//! report computed from the stored data (ledger postings and open items) as one `ReportRet`.
//! Report requests have no iterators (the XSD rejects the attribute); `CustomSummary` without
//! `SummarizeRowsBy` fails XSD validation before it gets here.

use super::derived::Derived;
use super::ids::parse_date;
use super::kinds::Kind;
use super::ledger::Posting;
use super::money::parse_amount;
use super::query::{date_macro, Outcome};
use super::report_build::{Col, Table};
use super::status::Status;
use super::store::Store;
use super::{report_detail, report_summary, State};
use chrono::{Datelike, Duration, NaiveDate};
use qbsync_qbxml::Element;
use std::collections::HashSet;

/// The request's options.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pub report_type: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub basis: Option<String>,
    pub entities: Option<HashSet<String>>,
    pub accounts: Option<HashSet<String>>,
    pub account_types: Vec<String>,
    pub txn_types: Vec<String>,
    pub columns_by: String,
    pub rows_by: Option<String>,
    pub include_columns: Vec<String>,
    pub aging_today: bool,
    pub today: NaiveDate,
}

/// What a report function gets.
pub(crate) struct Ctx<'a> {
    pub store: &'a Store,
    pub d: &'a Derived,
    pub p: Params,
}

impl Ctx<'_> {
    pub fn name(&self, id: &str) -> String {
        self.store
            .get(id)
            .map(|r| self.store.label(r))
            .unwrap_or_default()
    }

    pub fn account_type(&self, id: &str) -> &str {
        self.store
            .get(id)
            .and_then(|r| r.text("AccountType"))
            .unwrap_or("")
    }

    /// Whether a posting passes the entity/account/transaction-type filters.
    pub fn keep(&self, p: &Posting) -> bool {
        if let Some(e) = &self.p.entities {
            if !p.entity.as_ref().is_some_and(|x| e.contains(x)) {
                return false;
            }
        }
        if let Some(a) = &self.p.accounts {
            if !a.contains(&p.account) {
                return false;
            }
        }
        if !self.p.account_types.is_empty() {
            let t = self.account_type(&p.account);
            if !self.p.account_types.iter().any(|f| type_in(t, f)) {
                return false;
            }
        }
        if !self.p.txn_types.is_empty()
            && !self
                .p
                .txn_types
                .iter()
                .any(|t| t == "All" || t == p.kind.name())
        {
            return false;
        }
        true
    }

    /// Postings kept by the filters within `from..=to`.
    pub fn postings(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> impl Iterator<Item = &Posting> + '_ {
        self.d.postings.iter().filter(move |p| {
            from.is_none_or(|f| p.date >= f) && to.is_none_or(|t| p.date <= t) && self.keep(p)
        })
    }

    /// The report's end date (today when open-ended).
    pub fn end(&self) -> NaiveDate {
        self.p.to.unwrap_or(self.p.today)
    }

    /// The report's start date (the earliest posting when open-ended).
    pub fn start(&self) -> NaiveDate {
        self.p.from.unwrap_or_else(|| {
            self.d
                .postings
                .iter()
                .map(|p| p.date)
                .min()
                .unwrap_or(self.p.today)
        })
    }

    /// Column periods for `SummarizeColumnsBy` over the report period.
    pub fn periods(&self) -> Vec<Period> {
        periods(&self.p.columns_by, self.start(), self.end())
    }
}

/// Whether account type `t` belongs to `AccountTypeFilter` value `f`.
pub(crate) fn type_in(t: &str, f: &str) -> bool {
    const ASSET: &[&str] = &[
        "Bank",
        "AccountsReceivable",
        "OtherCurrentAsset",
        "FixedAsset",
        "OtherAsset",
    ];
    const CURRENT_ASSET: &[&str] = &["Bank", "AccountsReceivable", "OtherCurrentAsset"];
    const LIABILITY: &[&str] = &[
        "AccountsPayable",
        "CreditCard",
        "OtherCurrentLiability",
        "LongTermLiability",
    ];
    const CURRENT_LIABILITY: &[&str] = &["AccountsPayable", "CreditCard", "OtherCurrentLiability"];
    const PNL: &[&str] = &[
        "Income",
        "OtherIncome",
        "CostOfGoodsSold",
        "Expense",
        "OtherExpense",
    ];
    let set: &[&str] = match f {
        "Asset" => ASSET,
        "CurrentAsset" => CURRENT_ASSET,
        "Liability" => LIABILITY,
        "CurrentLiability" => CURRENT_LIABILITY,
        "BalanceSheet" => return ASSET.contains(&t) || LIABILITY.contains(&t) || t == "Equity",
        "LiabilityAndEquity" => return LIABILITY.contains(&t) || t == "Equity",
        "IncomeAndExpense" => PNL,
        "EquityAndIncomeAndExpense" => return PNL.contains(&t) || t == "Equity",
        "OrdinaryIncome" => &["Income"],
        "IncomeAndOtherIncome" => &["Income", "OtherIncome"],
        "OrdinaryExpense" => &["Expense"],
        "ExpenseAndOtherExpense" => &["Expense", "OtherExpense"],
        "CostOfSales" => &["CostOfGoodsSold"],
        "OrdinaryIncomeAndCOGS" => &["Income", "CostOfGoodsSold"],
        "OrdinaryIncomeAndExpense" => &["Income", "CostOfGoodsSold", "Expense"],
        "OtherIncomeOrExpense" => &["OtherIncome", "OtherExpense"],
        "ARAndAP" => &["AccountsReceivable", "AccountsPayable"],
        "APOrCreditCard" => &["AccountsPayable", "CreditCard"],
        "CurrentAssetAndExpense" => &["Bank", "AccountsReceivable", "OtherCurrentAsset", "Expense"],
        _ => return t == f,
    };
    set.contains(&t)
}

/// One report column period.
#[derive(Debug, Clone)]
pub(crate) struct Period {
    pub label: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

const SHORT: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Splits `from..=to` by `by` (`Month`, `Quarter`, `Year`, `Week`, `Day`; anything else is one
/// `TOTAL` period). At most 400 periods.
pub(crate) fn periods(by: &str, from: NaiveDate, to: NaiveDate) -> Vec<Period> {
    let to = to.max(from);
    let mut out = Vec::new();
    let mut cur = from;
    while cur <= to && out.len() < 400 {
        let (end, label) = match by {
            "Month" => {
                let next = if cur.month() == 12 {
                    NaiveDate::from_ymd_opt(cur.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(cur.year(), cur.month() + 1, 1)
                };
                let end = next.and_then(|n| n.pred_opt()).unwrap_or(to);
                (
                    end,
                    format!("{} {:02}", SHORT[cur.month0() as usize], cur.year() % 100),
                )
            }
            "Quarter" => {
                let q = cur.month0() / 3;
                let next = if q == 3 {
                    NaiveDate::from_ymd_opt(cur.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(cur.year(), q * 3 + 4, 1)
                };
                (
                    next.and_then(|n| n.pred_opt()).unwrap_or(to),
                    format!("Q{} {:02}", q + 1, cur.year() % 100),
                )
            }
            "Year" => (
                NaiveDate::from_ymd_opt(cur.year(), 12, 31).unwrap_or(to),
                cur.year().to_string(),
            ),
            "Week" => {
                let end = cur + Duration::days(6 - i64::from(cur.weekday().num_days_from_sunday()));
                (end, format!("Week of {}", super::ids::format_date(cur)))
            }
            "Day" => (cur, super::ids::format_date(cur)),
            _ => {
                return vec![Period {
                    label: "TOTAL".into(),
                    from,
                    to,
                }]
            }
        };
        let end = end.min(to);
        out.push(Period {
            label,
            from: cur,
            to: end,
        });
        match end.succ_opt() {
            Some(n) => cur = n,
            None => break,
        }
    }
    out
}

/// Label column, one column per period, and `TOTAL` when there is more than one period.
pub(crate) fn period_columns(periods: &[Period]) -> Vec<Col> {
    let mut cols = vec![Col::label()];
    if periods.len() == 1 {
        cols.push(Col::new("TOTAL", "Total", "AMTTYPE"));
    } else {
        for p in periods {
            cols.push(Col::new(p.label.clone(), "Amount", "AMTTYPE"));
        }
        cols.push(Col::new("TOTAL", "Total", "AMTTYPE"));
    }
    cols
}

/// Resolves `ListID`/`FullName`(`WithChildren`) of a report filter to ids.
fn filter_ids(store: &Store, f: &Element, kinds: &[Kind]) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut roots = Vec::new();
    for name in [
        "ListID",
        "FullName",
        "ListIDWithChildren",
        "FullNameWithChildren",
    ] {
        for v in f.find_all(name) {
            let r = store
                .get_of(kinds, &v.text)
                .or_else(|| store.find_by_name(kinds, &v.text));
            if let Some(r) = r {
                out.insert(r.id.clone());
                if name.ends_with("WithChildren") {
                    roots.push(r.id.clone());
                }
            }
        }
    }
    while let Some(root) = roots.pop() {
        for c in store.of_kinds(kinds) {
            if c.ref_id("ParentRef") == Some(root.as_str()) && out.insert(c.id.clone()) {
                roots.push(c.id.clone());
            }
        }
    }
    out
}

fn params(store: &Store, rq: &Element, today: NaiveDate) -> Result<Params, Status> {
    let q = rq;
    let report_type = q
        .children
        .iter()
        .find(|c| c.name.ends_with("ReportType"))
        .map(|c| c.text.clone())
        .unwrap_or_default();
    let mut p = Params {
        report_type,
        today,
        columns_by: q
            .child_text("SummarizeColumnsBy")
            .unwrap_or("TotalOnly")
            .to_string(),
        rows_by: q.child_text("SummarizeRowsBy").map(str::to_string),
        include_columns: q
            .find_all("IncludeColumn")
            .map(|c| c.text.clone())
            .collect(),
        basis: q.child_text("ReportBasis").map(str::to_string),
        aging_today: q.child_text("ReportAgingAsOf") == Some("Today"),
        ..Params::default()
    };
    if let Some(per) = q.find("ReportPeriod") {
        for (field, slot) in [("FromReportDate", &mut p.from), ("ToReportDate", &mut p.to)] {
            if let Some(v) = per.child_text(field).filter(|v| !v.is_empty()) {
                *slot = Some(parse_date(v).ok_or_else(|| Status::bad_date(v, field))?);
            }
        }
    }
    if let Some(m) = q.child_text("ReportDateMacro") {
        (p.from, p.to) = date_macro(m, today);
    }
    if let Some(f) = q.find("ReportEntityFilter") {
        let ids = filter_ids(store, f, &super::kinds::ENTITIES);
        if f.children.iter().any(|c| c.name != "EntityTypeFilter") {
            p.entities = Some(ids);
        }
    }
    if let Some(f) = q.find("ReportAccountFilter") {
        p.account_types = f
            .find_all("AccountTypeFilter")
            .map(|c| c.text.clone())
            .collect();
        if f.children.iter().any(|c| c.name != "AccountTypeFilter") {
            p.accounts = Some(filter_ids(store, f, &[Kind::Account]));
        }
    }
    if let Some(f) = q.find("ReportTxnTypeFilter") {
        p.txn_types = f
            .find_all("TxnTypeFilter")
            .map(|c| c.text.clone())
            .collect();
    }
    Ok(p)
}

/// The basis a summary report shows.
pub(crate) fn basis(p: &Params) -> Option<String> {
    Some(
        p.basis
            .clone()
            .filter(|b| b != "None")
            .unwrap_or_else(|| "Accrual".into()),
    )
}

/// Open amount of an item (helper for reports reading stored totals).
pub(crate) fn amount_of(r: &super::store::Record, field: &str) -> i64 {
    r.text(field).and_then(parse_amount).unwrap_or(0)
}

/// Runs a `*ReportQueryRq`.
pub(crate) fn run(st: &mut State, rq: &Element) -> Outcome {
    let today = st.zone().date(st.now());
    let off_schema = st.faults.off_schema_values;
    let d = st.derived();
    let p = match params(&st.store, rq, today) {
        Ok(p) => p,
        Err(s) => return Outcome::status(s),
    };
    let ctx = Ctx {
        store: &st.store,
        d: &d,
        p,
    };
    let t = ctx.p.report_type.as_str();
    let table: Option<Table> = match rq.name.as_str() {
        "GeneralSummaryReportQueryRq" => match t {
            "ProfitAndLossStandard" => Some(report_summary::profit_and_loss(&ctx)),
            "BalanceSheetStandard" => Some(report_summary::balance_sheet(&ctx)),
            "TrialBalance" => Some(report_summary::trial_balance(&ctx)),
            "CustomerBalanceSummary" => Some(report_summary::entity_balances(&ctx, true)),
            "VendorBalanceSummary" => Some(report_summary::entity_balances(&ctx, false)),
            "SalesByCustomerSummary" => Some(report_summary::sales_by_customer(&ctx)),
            _ => None,
        },
        "GeneralDetailReportQueryRq" => match t {
            "GeneralLedger" => Some(report_detail::general_ledger(&ctx)),
            "OpenInvoices" => Some(report_detail::open_invoices(&ctx)),
            "TxnListByDate" => Some(report_detail::txn_list_by_date(&ctx)),
            "CustomerBalanceDetail" => Some(report_detail::customer_balance_detail(&ctx)),
            _ => None,
        },
        "AgingReportQueryRq" => match t {
            "ARAgingSummary" => Some(report_detail::aging(&ctx, true, false)),
            "APAgingSummary" => Some(report_detail::aging(&ctx, false, false)),
            "ARAgingDetail" => Some(report_detail::aging(&ctx, true, true)),
            "APAgingDetail" => Some(report_detail::aging(&ctx, false, true)),
            _ => None,
        },
        "CustomSummaryReportQueryRq" => Some(report_summary::custom_summary(&ctx)),
        "CustomDetailReportQueryRq" => Some(report_detail::custom_detail(&ctx)),
        _ => None,
    };
    match table {
        Some(mut t) => {
            if off_schema {
                t.cols.push(Col::new("U/M", "UnitOfMeasureUnit", "STRTYPE"));
            }
            Outcome {
                status: Status::ok(),
                rets: vec![t.to_ret()],
                attrs: Vec::new(),
            }
        }
        // [sim] report types the simulation does not compute.
        None => Outcome::status(Status::feature_unavailable()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_split_months_and_quarters() {
        let f = NaiveDate::from_ymd_opt(2024, 1, 15).unwrap_or_default();
        let t = NaiveDate::from_ymd_opt(2024, 3, 10).unwrap_or_default();
        let m = periods("Month", f, t);
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].label, "Jan 24");
        assert_eq!(m[0].from, f);
        assert_eq!(m[2].to, t);
        assert_eq!(periods("Quarter", f, t).len(), 1);
        assert_eq!(periods("TotalOnly", f, t)[0].label, "TOTAL");
        assert_eq!(period_columns(&m).len(), 5);
        assert!(type_in("Bank", "Asset") && !type_in("Income", "BalanceSheet"));
        assert!(type_in("Income", "Income"));
    }
}
