//! QuickBooks Desktop reports: the qbXML 13.0 report types `qb_report()` can run for a Desktop
//! company and the values their parameters take (from qbxml130.xsd).

/// `GeneralSummaryReportType` values (13.0).
pub const GENERAL_SUMMARY_REPORT_TYPES: &[&str] = &[
    "BalanceSheetByClass",
    "BalanceSheetPrevYearComp",
    "BalanceSheetStandard",
    "BalanceSheetSummary",
    "CustomerBalanceSummary",
    "ExpenseByVendorSummary",
    "IncomeByCustomerSummary",
    "InventoryStockStatusByItem",
    "InventoryStockStatusByVendor",
    "IncomeTaxSummary",
    "InventoryValuationSummary",
    "InventoryValuationSummaryBySite",
    "LotNumberInStockBySite",
    "PhysicalInventoryWorksheet",
    "ProfitAndLossByClass",
    "ProfitAndLossByJob",
    "ProfitAndLossPrevYearComp",
    "ProfitAndLossStandard",
    "ProfitAndLossYTDComp",
    "PurchaseByItemSummary",
    "PurchaseByVendorSummary",
    "SalesByCustomerSummary",
    "SalesByItemSummary",
    "SalesByRepSummary",
    "SalesTaxLiability",
    "SalesTaxRevenueSummary",
    "SerialNumberInStockBySite",
    "TrialBalance",
    "VendorBalanceSummary",
];

/// `GeneralDetailReportType` values (13.0).
pub const GENERAL_DETAIL_REPORT_TYPES: &[&str] = &[
    "1099Detail",
    "AuditTrail",
    "BalanceSheetDetail",
    "CheckDetail",
    "CustomerBalanceDetail",
    "DepositDetail",
    "EstimatesByJob",
    "ExpenseByVendorDetail",
    "GeneralLedger",
    "IncomeByCustomerDetail",
    "IncomeTaxDetail",
    "InventoryValuationDetail",
    "JobProgressInvoicesVsEstimates",
    "Journal",
    "MissingChecks",
    "OpenInvoices",
    "OpenPOs",
    "OpenPOsByJob",
    "OpenSalesOrderByCustomer",
    "OpenSalesOrderByItem",
    "PendingSales",
    "ProfitAndLossDetail",
    "PurchaseByItemDetail",
    "PurchaseByVendorDetail",
    "SalesByCustomerDetail",
    "SalesByItemDetail",
    "SalesByRepDetail",
    "TxnDetailByAccount",
    "TxnListByCustomer",
    "TxnListByDate",
    "TxnListByVendor",
    "UnpaidBillsDetail",
    "UnbilledCostsByJob",
    "VendorBalanceDetail",
];

/// `AgingReportType` values (13.0).
pub const AGING_REPORT_TYPES: &[&str] = &[
    "APAgingDetail",
    "APAgingSummary",
    "ARAgingDetail",
    "ARAgingSummary",
    "CollectionsReport",
];

/// `ReportDateMacro` values (13.0).
pub const REPORT_DATE_MACROS: &[&str] = &[
    "All",
    "Today",
    "ThisWeek",
    "ThisWeekToDate",
    "ThisMonth",
    "ThisMonthToDate",
    "ThisQuarter",
    "ThisQuarterToDate",
    "ThisYear",
    "ThisYearToDate",
    "Yesterday",
    "LastWeek",
    "LastWeekToDate",
    "LastMonth",
    "LastMonthToDate",
    "LastQuarter",
    "LastQuarterToDate",
    "LastYear",
    "LastYearToDate",
    "NextWeek",
    "NextFourWeeks",
    "NextMonth",
    "NextQuarter",
    "NextYear",
];

/// `SummarizeColumnsBy` values (13.0).
pub const SUMMARIZE_COLUMNS_BY: &[&str] = &[
    "Account",
    "BalanceSheet",
    "Class",
    "Customer",
    "CustomerType",
    "Day",
    "Employee",
    "FourWeek",
    "HalfMonth",
    "IncomeStatement",
    "ItemDetail",
    "ItemType",
    "Month",
    "Payee",
    "PaymentMethod",
    "PayrollItemDetail",
    "PayrollYtdDetail",
    "Quarter",
    "SalesRep",
    "SalesTaxCode",
    "ShipMethod",
    "Terms",
    "TotalOnly",
    "TwoWeek",
    "Vendor",
    "VendorType",
    "Week",
    "Year",
];

/// `SummarizeRowsBy` values (13.0).
pub const SUMMARIZE_ROWS_BY: &[&str] = &[
    "Account",
    "BalanceSheet",
    "Class",
    "Customer",
    "CustomerType",
    "Day",
    "Employee",
    "FourWeek",
    "HalfMonth",
    "IncomeStatement",
    "ItemDetail",
    "ItemType",
    "Month",
    "Payee",
    "PaymentMethod",
    "PayrollItemDetail",
    "PayrollYtdDetail",
    "Quarter",
    "SalesRep",
    "SalesTaxCode",
    "ShipMethod",
    "TaxLine",
    "Terms",
    "TotalOnly",
    "TwoWeek",
    "Vendor",
    "VendorType",
    "Week",
    "Year",
];

use crate::report::{ParamKind, ReportParam, ACCOUNTING_METHODS};

/// Which qbXML request runs a Desktop report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QbdReportFamily {
    /// `GeneralSummaryReportQueryRq`
    GeneralSummary,
    /// `GeneralDetailReportQueryRq`
    GeneralDetail,
    /// `AgingReportQueryRq`
    Aging,
    /// `CustomSummaryReportQueryRq` (needs summarize_column_by and summarize_rows_by)
    CustomSummary,
    /// `CustomDetailReportQueryRq`
    CustomDetail,
}

impl QbdReportFamily {
    pub fn label(self) -> &'static str {
        match self {
            QbdReportFamily::GeneralSummary => "General Summary",
            QbdReportFamily::GeneralDetail => "General Detail",
            QbdReportFamily::Aging => "Aging",
            QbdReportFamily::CustomSummary | QbdReportFamily::CustomDetail => "Custom",
        }
    }

    /// The parameters reports of this family accept.
    pub fn params(self) -> &'static [&'static str] {
        match self {
            QbdReportFamily::GeneralSummary => &[
                "start_date",
                "end_date",
                "date_macro",
                "accounting_method",
                "summarize_column_by",
            ],
            QbdReportFamily::GeneralDetail => &[
                "start_date",
                "end_date",
                "date_macro",
                "accounting_method",
                "summarize_rows_by",
            ],
            QbdReportFamily::Aging => &["start_date", "end_date", "date_macro"],
            QbdReportFamily::CustomSummary => &[
                "start_date",
                "end_date",
                "date_macro",
                "accounting_method",
                "summarize_column_by",
                "summarize_rows_by",
            ],
            QbdReportFamily::CustomDetail => &[
                "start_date",
                "end_date",
                "date_macro",
                "accounting_method",
                "summarize_rows_by",
            ],
        }
    }
}

/// A QuickBooks Desktop report `qb_report()` can run: its qbXML report type (or `CustomSummary`
/// / `CustomTxnDetail`) and family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QbdReport {
    pub name: &'static str,
    pub family: QbdReportFamily,
}

/// Every Desktop report, by family.
pub fn qbd_reports() -> impl Iterator<Item = QbdReport> {
    let of = |names: &'static [&'static str], family| {
        names.iter().map(move |&name| QbdReport { name, family })
    };
    of(
        GENERAL_SUMMARY_REPORT_TYPES,
        QbdReportFamily::GeneralSummary,
    )
    .chain(of(
        GENERAL_DETAIL_REPORT_TYPES,
        QbdReportFamily::GeneralDetail,
    ))
    .chain(of(AGING_REPORT_TYPES, QbdReportFamily::Aging))
    .chain(of(&["CustomSummary"], QbdReportFamily::CustomSummary))
    .chain(of(&["CustomTxnDetail"], QbdReportFamily::CustomDetail))
}

/// The Desktop report called `name` (case-insensitive).
pub fn qbd_report(name: &str) -> Option<QbdReport> {
    qbd_reports().find(|r| r.name.eq_ignore_ascii_case(name))
}

/// The parameters of Desktop reports and how their values are checked.
pub const QBD_REPORT_PARAMS: &[ReportParam] = &[
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
        kind: ParamKind::Choice(REPORT_DATE_MACROS),
        doc: "a named period (ReportDateMacro) instead of dates",
    },
    ReportParam {
        name: "accounting_method",
        kind: ParamKind::Choice(ACCOUNTING_METHODS),
        doc: "Accrual or Cash (ReportBasis)",
    },
    ReportParam {
        name: "summarize_column_by",
        kind: ParamKind::Choice(SUMMARIZE_COLUMNS_BY),
        doc: "SummarizeColumnsBy: one column per period or per name",
    },
    ReportParam {
        name: "summarize_rows_by",
        kind: ParamKind::Choice(SUMMARIZE_ROWS_BY),
        doc: "SummarizeRowsBy: how rows are grouped",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_desktop_report_param_is_defined_and_names_are_unique() {
        let mut names: Vec<&str> = qbd_reports().map(|r| r.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        for r in qbd_reports() {
            for p in r.family.params() {
                assert!(
                    QBD_REPORT_PARAMS.iter().any(|d| d.name == *p),
                    "{}: {p}",
                    r.name
                );
            }
        }
        assert_eq!(
            qbd_report("profitandlossstandard").map(|r| r.family),
            Some(QbdReportFamily::GeneralSummary)
        );
        assert_eq!(
            qbd_report("ARAgingSummary").map(|r| r.family),
            Some(QbdReportFamily::Aging)
        );
    }
}
