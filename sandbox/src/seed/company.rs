//! The company itself and the records seeded after everything else. `CompanyInfo` and
//! `Preferences` are singletons with `Id` "1" in their own tables (made first; they take no Id
//! from the realm's sequence). Company currencies, budgets and attachables are made last,
//! through the normal business rules (as a QuickBooks user would: budgets cannot be created
//! through the API), so no older Id or timestamp moves.

use crate::clock::local_date;
use crate::config::SeedSize;
use crate::entities::{self, account_named, seed_singleton};
use crate::store::Store;
use chrono::{Datelike, Months, NaiveDate};
use serde_json::{json, Map, Value};

/// The company name the agent's connect task and tests read.
pub const COMPANY_NAME: &str = "Sandbox Company_US_1";

/// Company currencies in seeding order (the home currency USD is not one of them).
const CURRENCIES: [&str; 12] = [
    "EUR", "CAD", "GBP", "AUD", "JPY", "CHF", "MXN", "INR", "NZD", "SEK", "SGD", "HKD",
];

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

fn o(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn make(store: &mut Store, entity: &str, body: Value, at: i64) -> Option<Map<String, Value>> {
    let ti = store.table_index(entity)?;
    match entities::create(store, ti, o(body), at) {
        Ok(obj) => Some(obj),
        Err(f) => {
            tracing::warn!(entity, fault = %f, "seed record refused");
            None
        }
    }
}

/// CompanyInfo and Preferences, both made at `at` (the company's start).
pub(super) fn seed_singletons(store: &mut Store, at: i64) {
    let addr = json!({"Id": "1", "Line1": "123 Sierra Way", "City": "San Pablo", "CountrySubDivisionCode": "CA", "PostalCode": "87999"});
    if let Some(ti) = store.table_index("CompanyInfo") {
        seed_singleton(
            store,
            ti,
            o(json!({
                "CompanyName": COMPANY_NAME,
                "LegalName": COMPANY_NAME,
                "CompanyAddr": addr,
                "CustomerCommunicationAddr": addr,
                "LegalAddr": addr,
                "CompanyEmailAddr": {"Address": "noreply@quickbooks.com"},
                "CustomerCommunicationEmailAddr": {"Address": "noreply@quickbooks.com"},
                "PrimaryPhone": {},
                "CompanyStartDate": local_date(at),
                "FiscalYearStartMonth": "January",
                "Country": "US",
                "Email": {"Address": "noreply@quickbooks.com"},
                "WebAddr": {},
                "SupportedLanguages": "en",
                "NameValue": [
                    {"Name": "NeoEnabled", "Value": "true"},
                    {"Name": "IndustryType", "Value": "Landscaping Services"},
                    {"Name": "CompanyType", "Value": "Other"},
                    {"Name": "SubscriptionStatus", "Value": "SUBSCRIBED"},
                    {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
                    {"Name": "PayrollFeature", "Value": "false"},
                    {"Name": "AccountantFeature", "Value": "false"},
                    {"Name": "IsQbdtMigrated", "Value": "false"},
                ],
            })),
            at,
        );
    }
    if let Some(ti) = store.table_index("Preferences") {
        seed_singleton(
            store,
            ti,
            o(json!({
                "EmailMessagesPrefs": {
                    "InvoiceMessage": {"Subject": format!("Invoice [Invoice No.] from {COMPANY_NAME}"), "Message": "Dear [Customer Name],\n\nWe appreciate your business. Please find your invoice details here. Feel free to contact us if you have any questions.\n\nHave a great day!\n"},
                    "EstimateMessage": {"Subject": format!("Estimate [Estimate No.] from {COMPANY_NAME}"), "Message": "Dear [Customer Name],\n\nPlease review the estimate below. Feel free to contact us if you have any questions.\n"},
                    "SalesReceiptMessage": {"Subject": format!("Sales Receipt [Sales Receipt No.] from {COMPANY_NAME}"), "Message": "Dear [Customer Name],\n\nPlease review the sales receipt below.\n"},
                    "StatementMessage": {"Subject": format!("Statement from {COMPANY_NAME}"), "Message": "Dear [Customer Name],\n\nYour statement is attached.\n"},
                },
                "ProductAndServicesPrefs": {"ForSales": true, "ForPurchase": true, "QuantityWithPriceAndRate": true, "QuantityOnHand": false, "RevenueRecognition": false},
                "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": false},
                "AccountingInfoPrefs": {
                    "FirstMonthOfFiscalYear": "January", "UseAccountNumbers": false, "TaxYearMonth": "January",
                    "ClassTrackingPerTxn": false, "ClassTrackingPerTxnLine": true, "TrackDepartments": true,
                    "TaxForm": "6", "CustomerTerminology": "Customers", "DepartmentTerminology": "Location",
                },
                "SalesFormsPrefs": {
                    "CustomField": [{"CustomField": [
                        {"Name": "SalesFormsPrefs.UseSalesCustom1", "Type": "BooleanType", "BooleanValue": false},
                        {"Name": "SalesFormsPrefs.UseSalesCustom2", "Type": "BooleanType", "BooleanValue": false},
                        {"Name": "SalesFormsPrefs.UseSalesCustom3", "Type": "BooleanType", "BooleanValue": false},
                    ]}],
                    "CustomTxnNumbers": false, "AllowDeposit": true, "AllowDiscount": true, "AllowEstimates": true,
                    "ETransactionEnabledStatus": "NotApplicable", "ETransactionAttachPDF": false, "ETransactionPaymentEnabled": false,
                    "IPNSupportEnabled": false, "AllowServiceDate": false, "AllowShipping": false, "EmailCopyToCompany": false,
                    "DefaultCustomerMessage": "Thank you for your business and have a great day!",
                    "UsingProgressInvoicing": false, "AutoApplyCredit": true, "AutoApplyPayments": true,
                    "PrintItemWithZeroAmount": true, "UsingPriceLevels": false,
                },
                "VendorAndPurchasesPrefs": {"TrackingByCustomer": true, "BillableExpenseTracking": true, "DefaultMarkup": 0, "POCustomField": []},
                "TimeTrackingPrefs": {"UseServices": true, "BillCustomers": true, "ShowBillRateToAll": false, "WorkWeekStartDate": "Monday", "MarkTimeEntriesBillable": true},
                "TaxPrefs": {"UsingSalesTax": true, "PartnerTaxEnabled": true, "PaySalesTax": "Monthly"},
                "CurrencyPrefs": {"MultiCurrencyEnabled": false, "HomeCurrency": {"value": "USD"}},
                "OtherPrefs": {"NameValue": [
                    {"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": "Thank you for your business and have a great day!"},
                    {"Name": "DTXCopyMemo", "Value": "false"},
                    {"Name": "VendorAndPurchasesPrefs.TrackingByCustomer", "Value": "true"},
                    {"Name": "SalesFormsPrefs.AllowGratuity", "Value": "false"},
                    {"Name": "SalesFormsPrefs.EnableCustomerFacingReceipt", "Value": "false"},
                    {"Name": "ItemCategoriesFeature", "Value": "true"},
                    {"Name": "AssignedTime", "Value": "Employees"},
                    {"Name": "WarnDuplicateCheckNumber", "Value": "true"},
                    {"Name": "WarnDuplicateBillNumber", "Value": "false"},
                    {"Name": "SignoutInactiveMinutes", "Value": "60"},
                    {"Name": "ShowDaysInNumberOfDaysPastDue", "Value": "true"},
                ]},
            })),
            at,
        );
    }
}

/// The first day of the fiscal year holding `today` (FiscalYearStartMonth of CompanyInfo).
fn fiscal_year_start(store: &Store, today: NaiveDate) -> NaiveDate {
    let month = store
        .singleton("CompanyInfo")
        .and_then(|c| c.get("FiscalYearStartMonth"))
        .and_then(Value::as_str)
        .and_then(|m| MONTHS.iter().position(|x| *x == m))
        .unwrap_or(0) as u32
        + 1;
    let year = if today.month() >= month {
        today.year()
    } else {
        today.year() - 1
    };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(today)
}

/// Id of the first active account of this type (for a chart without the named ones).
fn account_of_type(store: &Store, ty: &str) -> Option<u64> {
    let ti = store.table_index("Account")?;
    store.tables[ti]
        .rows
        .iter()
        .find(|(_, r)| {
            !r.deleted && r.active && r.obj.get("AccountType").and_then(Value::as_str) == Some(ty)
        })
        .map(|(id, _)| *id)
}

/// Company currencies, budgets and attachables. Currencies and budgets get times spread over
/// `from..to`; an attachable is made five minutes after the invoice it is attached to was last
/// changed. `now` is the sandbox time (the active budget covers the fiscal year holding it).
pub(super) fn seed_company_extras(
    store: &mut Store,
    size: &SeedSize,
    from: i64,
    to: i64,
    now: i64,
) {
    let currencies = size.currencies.min(CURRENCIES.len());
    let total = currencies + size.budgets;
    let step = ((to - from).max(total as i64) / total.max(1) as i64).max(1);
    let mut k = 0i64;
    let mut tick = || {
        let t = from + step * k;
        k += 1;
        t
    };

    for code in CURRENCIES.iter().take(currencies) {
        make(store, "CompanyCurrency", json!({"Code": code}), tick());
    }

    let income = account_named(store, "Services")
        .map(|a| a.0)
        .or_else(|| account_of_type(store, "Income"));
    let expense = account_named(store, "Office Expenses")
        .map(|a| a.0)
        .or_else(|| account_of_type(store, "Expense"));
    let today = NaiveDate::parse_from_str(&local_date(now), "%Y-%m-%d").unwrap_or(NaiveDate::MIN);
    let fy = fiscal_year_start(store, today);
    for i in 0..size.budgets {
        let start = fy
            .checked_sub_months(Months::new(12 * i as u32))
            .unwrap_or(fy);
        let end = start
            .checked_add_months(Months::new(12))
            .and_then(|d| d.pred_opt())
            .unwrap_or(start);
        let mut detail = Vec::with_capacity(24);
        for m in 0..12u32 {
            let Some(day) = start.checked_add_months(Months::new(m)) else {
                continue;
            };
            let day = day.format("%Y-%m-%d").to_string();
            let grow = 1.0 - 0.05 * i as f64;
            if let Some(acc) = income {
                detail.push(json!({"BudgetDate": day, "Amount": ((4_000 + 250 * m) as f64 * grow).round(), "AccountRef": {"value": acc.to_string()}}));
            }
            if let Some(acc) = expense {
                detail.push(json!({"BudgetDate": day, "Amount": ((350 + 25 * (m % 4)) as f64 * grow).round(), "AccountRef": {"value": acc.to_string()}}));
            }
        }
        // The current fiscal year's budget is active; earlier years' ones are inactive.
        make(
            store,
            "Budget",
            json!({"Name": format!("FY{} Profit and Loss Budget", end.year()), "StartDate": start.format("%Y-%m-%d").to_string(),
                "EndDate": end.format("%Y-%m-%d").to_string(), "BudgetType": "ProfitAndLoss", "BudgetEntryType": "Monthly",
                "Active": i == 0, "BudgetDetail": detail}),
            tick(),
        );
    }

    let invoices: Vec<(String, String, i64)> = store
        .table_index("Invoice")
        .map(|ti| {
            store.tables[ti]
                .rows
                .iter()
                .filter(|(_, r)| !r.deleted)
                .map(|(id, r)| {
                    let doc = r.obj.get("DocNumber").and_then(Value::as_str).unwrap_or("");
                    (id.to_string(), doc.to_string(), r.lut)
                })
                .collect()
        })
        .unwrap_or_default();
    if invoices.is_empty() {
        return;
    }
    for i in 0..size.attachables {
        let (inv, doc, lut) = &invoices[i % invoices.len()];
        let link =
            json!([{"EntityRef": {"type": "Invoice", "value": inv}, "IncludeOnSend": false}]);
        // Every other one a file's metadata; the rest notes.
        let body = if i % 2 == 0 {
            json!({"FileName": format!("signed-work-order-{doc}.pdf"), "Size": 48_213 + 1_031 * i,
                "Category": "Document", "Note": "Work order signed by the customer", "AttachableRef": link})
        } else {
            json!({"Note": "Customer asked for a paper copy by mail.", "Category": "Note", "AttachableRef": link})
        };
        make(
            store,
            "Attachable",
            body,
            lut + 300 + (i / invoices.len()) as i64,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::seed;
    use crate::config::SeedSize;
    use crate::query;
    use crate::store::{QueryOutput, Store};
    use serde_json::{json, Value};

    fn ids(s: &Store, entity: &str) -> Vec<u64> {
        let ti = s.table_index(entity).expect(entity);
        s.tables[ti]
            .rows
            .iter()
            .filter(|(_, r)| !r.deleted)
            .map(|(id, _)| *id)
            .collect()
    }

    #[test]
    fn small_company_singletons_and_extras() {
        let now = 1_750_000_000; // 2025-06-15
        let mut s = Store::new();
        seed(&mut s, &SeedSize::small(), "1", now);
        // The singletons take no Id from the sequence; the new records come last.
        assert_eq!(ids(&s, "CompanyInfo"), [1]);
        assert_eq!(ids(&s, "Preferences"), [1]);
        let info = s.singleton("CompanyInfo").expect("ci");
        assert_eq!(info["CompanyName"], "Sandbox Company_US_1");
        assert_eq!(info["SyncToken"], "0");
        let prefs = s.singleton("Preferences").expect("prefs");
        assert_eq!(
            prefs["CurrencyPrefs"],
            json!({"MultiCurrencyEnabled": false, "HomeCurrency": {"value": "USD"}})
        );
        assert_eq!(prefs["SalesFormsPrefs"]["CustomTxnNumbers"], false);
        assert_eq!(ids(&s, "TimeActivity"), [170, 171, 172]);
        assert_eq!(ids(&s, "CompanyCurrency"), [173, 174]);
        assert_eq!(ids(&s, "Budget"), [175, 176]);
        assert_eq!(ids(&s, "Attachable"), [177, 178]);
        assert_eq!(s.last_id(), 178);
        let cur = s.table_index("CompanyCurrency").expect("cur");
        let codes: Vec<Value> = s.tables[cur]
            .rows
            .values()
            .map(|r| r.obj["Code"].clone())
            .collect();
        assert_eq!(codes, [json!("EUR"), json!("CAD")]);
        assert_eq!(s.tables[cur].rows[&174].obj["Name"], "Canadian Dollar");
        // Budgets: the current fiscal year's active, last year's inactive; 12 months × 2 accounts.
        let bud = s.table_index("Budget").expect("bud");
        let b = &s.tables[bud].rows[&175].obj;
        assert_eq!(b["Name"], "FY2025 Profit and Loss Budget");
        assert_eq!(
            (b["StartDate"].as_str(), b["EndDate"].as_str()),
            (Some("2025-01-01"), Some("2025-12-31"))
        );
        assert_eq!(b["Active"], true);
        let detail = b["BudgetDetail"].as_array().cloned().unwrap_or_default();
        assert_eq!(detail.len(), 24);
        assert_eq!(detail[0]["AccountRef"]["name"], "Services");
        assert_eq!(detail[1]["AccountRef"]["name"], "Office Expenses");
        assert_eq!(detail[23]["BudgetDate"], "2025-12-01");
        let old = &s.tables[bud].rows[&176].obj;
        assert_eq!(
            (old["Name"].as_str(), old["Active"].as_bool()),
            (Some("FY2024 Profit and Loss Budget"), Some(false))
        );
        let q = query::parse("select count(*) from Budget").expect("q");
        assert!(
            matches!(s.query(bud, &q, true), QueryOutput::Count(1)),
            "inactive hidden"
        );
        // Attachables on invoices, made after them.
        let att = s.table_index("Attachable").expect("att");
        let inv = s.table_index("Invoice").expect("inv");
        for r in s.tables[att].rows.values() {
            let target: u64 = r.obj["AttachableRef"][0]["EntityRef"]["value"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .expect("ref");
            assert_eq!(r.obj["AttachableRef"][0]["EntityRef"]["type"], "Invoice");
            let i = s.live(inv, target).expect("live invoice");
            assert!(r.lut > i.lut && r.lut < now);
        }
        assert_eq!(
            s.tables[att].rows[&177].obj["ContentType"],
            "application/pdf"
        );
        assert!(s.tables[att].rows[&178].obj.get("FileName").is_none());
        // An empty company has the singletons only.
        let mut e = Store::new();
        seed(&mut e, &SeedSize::empty(), "1", now);
        assert_eq!(ids(&e, "Preferences"), [1]);
        assert!(ids(&e, "Budget").is_empty() && ids(&e, "CompanyCurrency").is_empty());
    }
}
