//! The QuickBooks Online reports `qb_report()` can run, and the parameters each accepts. The
//! extension checks a call against this list before queueing it and the agent sends only these
//! parameter names, so a typo is refused in SQL instead of being ignored by QuickBooks.

/// How a report parameter's value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// `YYYY-MM-DD`.
    Date,
    /// One of a fixed list of values.
    Choice(&'static [&'static str]),
    /// A QuickBooks Id, or several separated by commas (customer, vendor, ... filters).
    Ids,
    /// A positive whole number.
    Count,
}

/// One query parameter of `GET /reports/{name}`.
#[derive(Debug, Clone, Copy)]
pub struct ReportParam {
    pub name: &'static str,
    pub kind: ParamKind,
    pub doc: &'static str,
}

/// One report QuickBooks Online can run.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    pub name: &'static str,
    pub group: &'static str,
    pub params: &'static [&'static str],
    pub doc: &'static str,
}

pub const ACCOUNTING_METHODS: &[&str] = &["Accrual", "Cash"];

pub const SUMMARIZE_COLUMN_BY: &[&str] = &[
    "Total",
    "Month",
    "Week",
    "Days",
    "Quarter",
    "Year",
    "FiscalYear",
    "FiscalQuarter",
    "Customers",
    "Vendors",
    "Classes",
    "Departments",
    "Employees",
    "ProductsAndServices",
];

pub const DATE_MACROS: &[&str] = &[
    "All",
    "Today",
    "This Week",
    "This Week-to-date",
    "This Month",
    "This Month-to-date",
    "This Fiscal Quarter",
    "This Fiscal Quarter-to-date",
    "This Fiscal Year",
    "This Fiscal Year-to-date",
    "This Calendar Quarter",
    "This Calendar Quarter-to-date",
    "This Calendar Year",
    "This Calendar Year-to-date",
    "Yesterday",
    "Last Week",
    "Last Week-to-date",
    "Last Month",
    "Last Month-to-date",
    "Last Fiscal Quarter",
    "Last Fiscal Quarter-to-date",
    "Last Fiscal Year",
    "Last Fiscal Year-to-date",
    "Last Calendar Quarter",
    "Last Calendar Quarter-to-date",
    "Last Calendar Year",
    "Last Calendar Year-to-date",
    "Next Week",
    "Next 4 Weeks",
    "Next Month",
    "Next Fiscal Quarter",
    "Next Fiscal Year",
    "Next Calendar Quarter",
    "Next Calendar Year",
];

pub const SORT_ORDERS: &[&str] = &["ascend", "descend"];

/// Every parameter any report accepts, with how its value is checked.
pub const REPORT_PARAMS: &[ReportParam] = &[
    ReportParam {
        name: "start_date",
        kind: ParamKind::Date,
        doc: "first day of the period (YYYY-MM-DD)",
    },
    ReportParam {
        name: "end_date",
        kind: ParamKind::Date,
        doc: "last day of the period (YYYY-MM-DD)",
    },
    ReportParam {
        name: "date_macro",
        kind: ParamKind::Choice(DATE_MACROS),
        doc: "a named period instead of start_date/end_date",
    },
    ReportParam {
        name: "report_date",
        kind: ParamKind::Date,
        doc: "the as-of date of an aging report",
    },
    ReportParam {
        name: "accounting_method",
        kind: ParamKind::Choice(ACCOUNTING_METHODS),
        doc: "Accrual or Cash",
    },
    ReportParam {
        name: "summarize_column_by",
        kind: ParamKind::Choice(SUMMARIZE_COLUMN_BY),
        doc: "one column per period or per name",
    },
    ReportParam {
        name: "customer",
        kind: ParamKind::Ids,
        doc: "customer Id(s) to restrict to",
    },
    ReportParam {
        name: "vendor",
        kind: ParamKind::Ids,
        doc: "vendor Id(s) to restrict to",
    },
    ReportParam {
        name: "item",
        kind: ParamKind::Ids,
        doc: "item Id(s) to restrict to",
    },
    ReportParam {
        name: "class",
        kind: ParamKind::Ids,
        doc: "class Id(s) to restrict to",
    },
    ReportParam {
        name: "department",
        kind: ParamKind::Ids,
        doc: "department Id(s) to restrict to",
    },
    ReportParam {
        name: "account",
        kind: ParamKind::Ids,
        doc: "account Id(s) to restrict to",
    },
    ReportParam {
        name: "aging_period",
        kind: ParamKind::Count,
        doc: "days per aging column (default 30)",
    },
    ReportParam {
        name: "num_periods",
        kind: ParamKind::Count,
        doc: "number of aging columns (default 4)",
    },
    ReportParam {
        name: "sort_order",
        kind: ParamKind::Choice(SORT_ORDERS),
        doc: "ascend or descend",
    },
];

const PERIOD: &[&str] = &["start_date", "end_date", "date_macro", "accounting_method"];
const STATEMENT: &[&str] = &[
    "start_date",
    "end_date",
    "date_macro",
    "accounting_method",
    "summarize_column_by",
    "customer",
    "vendor",
    "item",
    "class",
    "department",
    "sort_order",
];
const DETAIL: &[&str] = &[
    "start_date",
    "end_date",
    "date_macro",
    "accounting_method",
    "customer",
    "vendor",
    "item",
    "class",
    "department",
    "account",
    "sort_order",
];
const AGING: &[&str] = &[
    "report_date",
    "date_macro",
    "accounting_method",
    "aging_period",
    "num_periods",
    "customer",
    "vendor",
    "department",
    "sort_order",
];
const NAMES: &[&str] = &[
    "start_date",
    "end_date",
    "date_macro",
    "accounting_method",
    "summarize_column_by",
    "customer",
    "vendor",
    "item",
    "class",
    "department",
    "sort_order",
];

/// The QuickBooks Online reports qbsync runs, in the order the reference sheet lists them.
pub const QBO_REPORTS: &[Report] = &[
    Report {
        name: "BalanceSheet",
        group: "Statements",
        params: STATEMENT,
        doc: "assets, liabilities and equity at the end of the period",
    },
    Report {
        name: "ProfitAndLoss",
        group: "Statements",
        params: STATEMENT,
        doc: "income and expenses over the period",
    },
    Report {
        name: "ProfitAndLossDetail",
        group: "Statements",
        params: DETAIL,
        doc: "the transactions behind each profit and loss line",
    },
    Report {
        name: "TrialBalance",
        group: "Statements",
        params: PERIOD,
        doc: "debit and credit balance of every account",
    },
    Report {
        name: "CashFlow",
        group: "Statements",
        params: STATEMENT,
        doc: "cash from operating, investing and financing activities",
    },
    Report {
        name: "InventoryValuationSummary",
        group: "Inventory",
        params: STATEMENT,
        doc: "quantity and value of inventory items",
    },
    Report {
        name: "InventoryValuationDetail",
        group: "Inventory",
        params: DETAIL,
        doc: "inventory movements per item",
    },
    Report {
        name: "CustomerSales",
        group: "Sales",
        params: NAMES,
        doc: "sales per customer",
    },
    Report {
        name: "ItemSales",
        group: "Sales",
        params: NAMES,
        doc: "sales per product or service",
    },
    Report {
        name: "CustomerIncome",
        group: "Sales",
        params: NAMES,
        doc: "income, expenses and net income per customer",
    },
    Report {
        name: "DepartmentSales",
        group: "Sales",
        params: NAMES,
        doc: "sales per department",
    },
    Report {
        name: "ClassSales",
        group: "Sales",
        params: NAMES,
        doc: "sales per class",
    },
    Report {
        name: "CustomerBalance",
        group: "Receivables",
        params: NAMES,
        doc: "open balance per customer",
    },
    Report {
        name: "CustomerBalanceDetail",
        group: "Receivables",
        params: DETAIL,
        doc: "open invoices and credits per customer",
    },
    Report {
        name: "AgedReceivables",
        group: "Receivables",
        params: AGING,
        doc: "customer balances by age",
    },
    Report {
        name: "AgedReceivableDetail",
        group: "Receivables",
        params: AGING,
        doc: "open receivables by age, one row per transaction",
    },
    Report {
        name: "VendorBalance",
        group: "Payables",
        params: NAMES,
        doc: "open balance per vendor",
    },
    Report {
        name: "VendorBalanceDetail",
        group: "Payables",
        params: DETAIL,
        doc: "open bills and credits per vendor",
    },
    Report {
        name: "AgedPayables",
        group: "Payables",
        params: AGING,
        doc: "vendor balances by age",
    },
    Report {
        name: "AgedPayableDetail",
        group: "Payables",
        params: AGING,
        doc: "open payables by age, one row per transaction",
    },
    Report {
        name: "VendorExpenses",
        group: "Payables",
        params: NAMES,
        doc: "expenses per vendor",
    },
    Report {
        name: "TransactionList",
        group: "Transaction lists",
        params: DETAIL,
        doc: "every transaction in the period",
    },
    Report {
        name: "TransactionListWithSplits",
        group: "Transaction lists",
        params: DETAIL,
        doc: "every transaction with its split lines",
    },
    Report {
        name: "TransactionListByCustomer",
        group: "Transaction lists",
        params: DETAIL,
        doc: "transactions grouped by customer",
    },
    Report {
        name: "TransactionListByVendor",
        group: "Transaction lists",
        params: DETAIL,
        doc: "transactions grouped by vendor",
    },
    Report {
        name: "GeneralLedger",
        group: "Ledgers",
        params: DETAIL,
        doc: "every posting per account with running balance",
    },
    Report {
        name: "JournalReport",
        group: "Ledgers",
        params: DETAIL,
        doc: "every transaction as journal debits and credits",
    },
    Report {
        name: "TaxSummary",
        group: "Other",
        params: PERIOD,
        doc: "sales tax collected per tax code",
    },
    Report {
        name: "AccountList",
        group: "Other",
        params: &["account", "sort_order"],
        doc: "the chart of accounts with balances",
    },
];

/// The report called `name` (QuickBooks spelling, case-insensitive).
pub fn qbo_report(name: &str) -> Option<&'static Report> {
    QBO_REPORTS
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case(name))
}

/// The parameter called `name`.
pub fn report_param(name: &str) -> Option<&'static ReportParam> {
    REPORT_PARAMS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_param_is_defined() {
        for r in QBO_REPORTS {
            for p in r.params {
                assert!(report_param(p).is_some(), "{}: {p}", r.name);
            }
        }
    }

    #[test]
    fn report_lookup_ignores_case() {
        assert_eq!(
            qbo_report("profitandloss").map(|r| r.name),
            Some("ProfitAndLoss")
        );
        assert!(qbo_report("Nope").is_none());
    }
}
