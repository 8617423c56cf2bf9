//! Host, Company and Preferences (§5): the answers QBWC puts in the first `sendRequestXML`'s
//! `strHCPResponse` (requestID 0, 1, 2), also served to ordinary `HostQueryRq`,
//! `CompanyQueryRq` and `PreferencesQueryRq`. The company carries QBWC's private `FileID`
//! DataExt under each application's `OwnerID`.

use super::query::Outcome;
use super::request::write_document;
use super::schema;
use super::status::Status;
use super::{QbdCompany, State};
use qbsync_qbxml::Element;

fn host_ret(st: &State) -> Element {
    let mut e = Element::new("HostRet")
        .leaf("ProductName", st.cfg.product_name.clone())
        .leaf("MajorVersion", st.cfg.product_major.to_string())
        .leaf("MinorVersion", "0")
        .leaf("Country", "US");
    for v in &st.cfg.supported_versions {
        e = e.leaf("SupportedQBXMLVersion", v.clone());
    }
    e.leaf("IsAutomaticLogin", "false")
        .leaf("QBFileMode", "SingleUser")
}

fn company_ret(st: &State, owners: &[&str]) -> Element {
    let mut e = Element::new("CompanyRet")
        .leaf("IsSampleCompany", "false")
        .leaf("CompanyName", st.cfg.company_name.clone())
        .leaf("LegalCompanyName", st.cfg.company_name.clone())
        .child(
            Element::new("Address")
                .leaf("Addr1", "123 Main Street")
                .leaf("City", "Middlefield")
                .leaf("State", "CA")
                .leaf("PostalCode", "94482")
                .leaf("Country", "US"),
        )
        .leaf("Phone", "650-555-1234")
        .leaf("Email", "books@example.com")
        .leaf("FirstMonthFiscalYear", "January")
        .leaf("FirstMonthIncomeTaxYear", "January")
        .leaf("TaxForm", "Form1120");
    for owner in owners {
        if let Some(v) = st.stamps.get(*owner) {
            e = e.child(
                Element::new("DataExtRet")
                    .leaf("OwnerID", *owner)
                    .leaf("DataExtName", "FileID")
                    .leaf("DataExtType", "STR255TYPE")
                    .leaf("DataExtValue", v.clone()),
            );
        }
    }
    e
}

fn preferences_ret() -> Element {
    Element::new("PreferencesRet")
        .child(
            Element::new("AccountingPreferences")
                .leaf("IsUsingAccountNumbers", "false")
                .leaf("IsRequiringAccounts", "true")
                .leaf("IsUsingClassTracking", "true")
                .leaf("IsUsingAuditTrail", "true")
                .leaf("IsAssigningJournalEntryNumbers", "true"),
        )
        .child(
            Element::new("JobsAndEstimatesPreferences")
                .leaf("IsUsingEstimates", "true")
                .leaf("IsUsingProgressInvoicing", "false")
                .leaf("IsPrintingItemsWithZeroAmounts", "false"),
        )
        .child(Element::new("MultiCurrencyPreferences").leaf("IsMultiCurrencyOn", "false"))
        .child(
            Element::new("PurchasesAndVendorsPreferences")
                .leaf("IsUsingInventory", "true")
                .leaf("DaysBillsAreDue", "10")
                .leaf("IsAutomaticallyUsingDiscounts", "false"),
        )
        .child(
            Element::new("ReportsPreferences")
                .leaf("AgingReportBasis", "AgeFromDueDate")
                .leaf("SummaryReportBasis", "Accrual"),
        )
        .child(
            Element::new("SalesAndCustomersPreferences")
                .leaf("IsTrackingReimbursedExpensesAsIncome", "false")
                .leaf("IsAutoApplyingPayments", "true"),
        )
        .child(Element::new("TimeTrackingPreferences").leaf("FirstDayOfWeek", "Monday"))
        .child(
            Element::new("CurrentAppAccessRights")
                .leaf("IsAutomaticLoginAllowed", "true")
                .leaf("IsPersonalDataAccessAllowed", "false"),
        )
}

fn filter(mut e: Element, rq: &Element) -> Element {
    let include: Vec<&str> = rq
        .find_all("IncludeRetElement")
        .map(|i| i.text.as_str())
        .collect();
    if !include.is_empty() {
        e.children.retain(|c| include.contains(&c.name.as_str()));
    }
    e
}

/// `HostQueryRq`, `CompanyQueryRq`, `PreferencesQueryRq`.
pub(crate) fn answer(st: &mut State, rq: &Element) -> Outcome {
    let ret = match rq.name.as_str() {
        "HostQueryRq" => host_ret(st),
        "CompanyQueryRq" => {
            let owners: Vec<&str> = rq.find_all("OwnerID").map(|o| o.text.as_str()).collect();
            company_ret(st, &owners)
        }
        _ => preferences_ret(),
    };
    Outcome {
        status: Status::ok(),
        rets: vec![filter(ret, rq)],
        attrs: Vec::new(),
    }
}

/// The `strHCPResponse` document; stamps `file_id` under `owner_id` unless already stamped.
pub(crate) fn hcp_response(company: &QbdCompany, owner_id: &str, file_id: &str) -> String {
    let mut st = company.lock();
    if !owner_id.is_empty() && !file_id.is_empty() {
        st.stamps
            .entry(owner_id.to_string())
            .or_insert_with(|| file_id.to_string());
    }
    let schema = schema::load(&st.schema_root, "13.0").ok();
    let rets = [
        ("HostQueryRs", host_ret(&st)),
        ("CompanyQueryRs", company_ret(&st, &[owner_id])),
        ("PreferencesQueryRs", preferences_ret()),
    ];
    let mut out = Vec::new();
    for (i, (name, mut ret)) in rets.into_iter().enumerate() {
        if let Some(s) = &schema {
            s.conform_global(&mut ret);
        }
        let mut rs = Element::new(name).attr("requestID", i.to_string());
        Status::ok().apply(&mut rs);
        rs.children.push(ret);
        out.push(rs);
    }
    write_document(&[], &out)
}
