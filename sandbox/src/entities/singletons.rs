//! The singletons CompanyInfo and Preferences (reference sheet §13; fields per Finance.xsd):
//! one object each, `Id` "1" in its own table, never created or deleted (the catalogue's
//! `EntityKind::Singleton`), read and updated. CompanyInfo takes full and sparse updates of its
//! writable fields; Preferences only changes a small documented subset (below), may turn
//! multicurrency on (never off) and refuses a home-currency change.

use super::{str_field, Obj, SYSTEM_FIELDS};
use crate::fault::Fault;
use crate::store::Store;
use serde_json::{Map, Value};

/// CompanyInfo fields QuickBooks maintains itself: ignored in request bodies, kept as they are.
pub(super) const COMPANY_INFO_READ_ONLY: &[&str] = &[
    "Country",
    "CompanyStartDate",
    "SupportedLanguages",
    "NameValue",
    "DefaultTimeZone",
    "QBVersion",
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

/// How a writable preference is typed.
#[derive(Debug, Clone, Copy)]
enum Pref {
    Bool,
    Text,
    /// One of these values (2170 otherwise).
    Enum(&'static [&'static str]),
}

const WEEKDAYS: &[&str] = &[
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// [sim] The preferences an application may change (section, field, type). Everything else
/// in a body is ignored (kept as it is), except `CurrencyPrefs` (see `preferences`).
const WRITABLE_PREFERENCES: &[(&str, &str, Pref)] = &[
    ("AccountingInfoPrefs", "TrackDepartments", Pref::Bool),
    ("AccountingInfoPrefs", "DepartmentTerminology", Pref::Text),
    ("AccountingInfoPrefs", "ClassTrackingPerTxn", Pref::Bool),
    ("AccountingInfoPrefs", "ClassTrackingPerTxnLine", Pref::Bool),
    ("SalesFormsPrefs", "CustomTxnNumbers", Pref::Bool),
    ("SalesFormsPrefs", "AllowDiscount", Pref::Bool),
    ("SalesFormsPrefs", "AllowDeposit", Pref::Bool),
    ("SalesFormsPrefs", "AllowShipping", Pref::Bool),
    ("SalesFormsPrefs", "AllowServiceDate", Pref::Bool),
    ("SalesFormsPrefs", "AllowEstimates", Pref::Bool),
    ("SalesFormsPrefs", "AutoApplyCredit", Pref::Bool),
    ("SalesFormsPrefs", "AutoApplyPayments", Pref::Bool),
    ("SalesFormsPrefs", "DefaultCustomerMessage", Pref::Text),
    ("VendorAndPurchasesPrefs", "TrackingByCustomer", Pref::Bool),
    (
        "VendorAndPurchasesPrefs",
        "BillableExpenseTracking",
        Pref::Bool,
    ),
    ("TimeTrackingPrefs", "BillCustomers", Pref::Bool),
    ("TimeTrackingPrefs", "MarkTimeEntriesBillable", Pref::Bool),
    (
        "TimeTrackingPrefs",
        "WorkWeekStartDate",
        Pref::Enum(WEEKDAYS),
    ),
];

/// Applies the rules of a singleton to the normalised body `w`; false when `store.entity(ti)`
/// is not one.
pub(super) fn normalize(
    store: &Store,
    ti: usize,
    w: &mut Obj,
    old: Option<&Obj>,
) -> Result<bool, Fault> {
    match store.entity(ti).name {
        "CompanyInfo" => company_info(w, old)?,
        "Preferences" => preferences(w, old)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// CompanyInfo: `CompanyName` required (2020), `FiscalYearStartMonth` a month name (2170; kept
/// when a full update leaves it out: a company always has a fiscal year, [sim]); the read-only
/// fields are kept from the stored object.
fn company_info(w: &mut Obj, old: Option<&Obj>) -> Result<(), Fault> {
    if str_field(w, "CompanyName").is_none() {
        return Err(Fault::required_param("CompanyName"));
    }
    if let Some(old) = old {
        for f in COMPANY_INFO_READ_ONLY {
            match old.get(*f) {
                Some(v) => w.insert((*f).to_string(), v.clone()),
                None => w.remove(*f),
            };
        }
        if str_field(w, "FiscalYearStartMonth").is_none() {
            if let Some(v) = old.get("FiscalYearStartMonth") {
                w.insert("FiscalYearStartMonth".into(), v.clone());
            }
        }
    }
    if let Some(m) = str_field(w, "FiscalYearStartMonth").map(str::to_string) {
        let Some(month) = MONTHS.iter().find(|x| x.eq_ignore_ascii_case(&m)) else {
            return Err(Fault::invalid_enum("FiscalYearStartMonth", &m));
        };
        w.insert("FiscalYearStartMonth".into(), Value::from(*month));
    }
    Ok(())
}

fn section<'a>(obj: &'a Obj, name: &str) -> Option<&'a Map<String, Value>> {
    obj.get(name).and_then(Value::as_object)
}

/// Preferences: the stored object with the writable subset applied from `w`. Full and sparse
/// updates behave alike ([sim]: omitted preferences keep their values; there is nothing to
/// clear them to). `CurrencyPrefs.MultiCurrencyEnabled` may go from false to true (once on,
/// multicurrency stays on: turning it off → 6000); a `HomeCurrency` change → 6000.
fn preferences(w: &mut Obj, old: Option<&Obj>) -> Result<(), Fault> {
    let Some(old) = old else {
        // Only the seed makes the one Preferences object (see `seed_singleton`).
        return Err(Fault::unsupported_entity_operation("Create", "Preferences"));
    };
    let mut turn_on_multicurrency = false;
    if let Some(cp) = section(w, "CurrencyPrefs") {
        let was = section(old, "CurrencyPrefs");
        if let Some(v) = cp.get("MultiCurrencyEnabled").filter(|v| !v.is_null()) {
            let now_on = as_bool(v, "CurrencyPrefs.MultiCurrencyEnabled")?;
            let was_on = was
                .and_then(|c| c.get("MultiCurrencyEnabled"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if was_on && !now_on {
                return Err(Fault::business(
                    "Multicurrency cannot be turned off once it has been turned on.",
                ));
            }
            turn_on_multicurrency = now_on && !was_on;
        }
        if let Some(v) = cp.get("HomeCurrency").filter(|v| !v.is_null()) {
            let code = |v: &Value| match v {
                Value::Object(m) => m.get("value").and_then(Value::as_str).map(str::to_string),
                Value::String(s) => Some(s.clone()),
                _ => None,
            };
            let was_code = was.and_then(|c| c.get("HomeCurrency")).and_then(code);
            if code(v).map(|c| c.trim().to_ascii_uppercase()) != was_code {
                return Err(Fault::business("The home currency cannot be changed."));
            }
        }
    }
    let mut out: Obj = old
        .iter()
        .filter(|(k, _)| !SYSTEM_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (sec, field, ty) in WRITABLE_PREFERENCES {
        let Some(v) = section(w, sec).and_then(|s| s.get(*field)) else {
            continue;
        };
        if v.is_null() {
            continue;
        }
        let path = format!("{sec}.{field}");
        let value = match ty {
            Pref::Bool => Value::Bool(as_bool(v, &path)?),
            Pref::Text => match v {
                Value::String(s) => Value::from(s.clone()),
                _ => return Err(Fault::unsupported_property(&path)),
            },
            Pref::Enum(allowed) => {
                let s = v.as_str().unwrap_or("").trim();
                match allowed.iter().find(|a| a.eq_ignore_ascii_case(s)) {
                    Some(a) => Value::from(*a),
                    None => return Err(Fault::invalid_enum(&path, s)),
                }
            }
        };
        let entry = out
            .entry((*sec).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert((*field).to_string(), value);
        }
    }
    if turn_on_multicurrency {
        let entry = out
            .entry("CurrencyPrefs".to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert("MultiCurrencyEnabled".into(), Value::Bool(true));
        }
    }
    *w = out;
    Ok(())
}

/// A boolean preference: `true`/`false` (or the strings); 2010 otherwise.
fn as_bool(v: &Value, path: &str) -> Result<bool, Fault> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(Fault::unsupported_property(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{create, delete, seed_singleton, update};
    use crate::store::Store;
    use serde_json::{json, Map, Value};

    fn o(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn setup() -> (Store, usize, usize) {
        let mut s = Store::new();
        let ci = s.table_index("CompanyInfo").expect("ci");
        let pr = s.table_index("Preferences").expect("pr");
        seed_singleton(
            &mut s,
            ci,
            o(
                json!({"CompanyName":"Co","LegalName":"Co LLC","Country":"US","FiscalYearStartMonth":"January","CompanyStartDate":"2020-01-01"}),
            ),
            10,
        );
        seed_singleton(
            &mut s,
            pr,
            o(json!({
                "AccountingInfoPrefs":{"TrackDepartments":false,"ClassTrackingPerTxn":false,"UseAccountNumbers":true},
                "SalesFormsPrefs":{"CustomTxnNumbers":false,"AllowDiscount":true},
                "CurrencyPrefs":{"MultiCurrencyEnabled":false,"HomeCurrency":{"value":"USD"}},
                "ReportPrefs":{"ReportBasis":"Accrual"}})),
            10,
        );
        (s, ci, pr)
    }

    #[test]
    fn company_info_updates_full_and_sparse() {
        let (mut s, ci, _) = setup();
        let before = s.live(ci, 1).expect("ci").obj.clone();
        assert_eq!(before["Id"], "1");
        assert_eq!(before["SyncToken"], "0");
        let u = update(
            &mut s,
            ci,
            o(json!({"Id":"1","SyncToken":"0","sparse":true,"LegalName":"Co Inc","Country":"FR"})),
            20,
        )
        .expect("sparse");
        assert_eq!(u["LegalName"], "Co Inc");
        assert_eq!(u["Country"], "US", "read-only field kept");
        assert_eq!(u["CompanyName"], "Co");
        assert_eq!(u["SyncToken"], "1");
        // A no-op keeps SyncToken and LastUpdatedTime.
        let same = update(
            &mut s,
            ci,
            o(json!({"Id":"1","SyncToken":"1","sparse":true,"LegalName":"Co Inc"})),
            30,
        )
        .expect("noop");
        assert_eq!(same["SyncToken"], "1");
        assert_eq!(same["MetaData"], u["MetaData"]);
        // Full update clears LegalName; CompanyName is required; stale token → 5010.
        let f = update(
            &mut s,
            ci,
            o(json!({"Id":"1","SyncToken":"1","CompanyName":"Co 2"})),
            40,
        )
        .expect("full");
        assert!(f.get("LegalName").is_none());
        assert_eq!(f["FiscalYearStartMonth"], "January");
        assert_eq!(f["CompanyStartDate"], "2020-01-01");
        let e = update(
            &mut s,
            ci,
            o(json!({"Id":"1","SyncToken":"2","sparse":true,"CompanyName":""})),
            50,
        )
        .unwrap_err();
        assert_eq!(e.code(), "2020");
        let e = update(
            &mut s,
            ci,
            o(json!({"Id":"1","SyncToken":"2","sparse":true,"FiscalYearStartMonth":"Smarch"})),
            50,
        )
        .unwrap_err();
        assert_eq!(e.code(), "2170");
        let e = update(
            &mut s,
            ci,
            o(json!({"Id":"1","SyncToken":"0","sparse":true,"LegalName":"x"})),
            50,
        )
        .unwrap_err();
        assert_eq!(e.code(), "5010");
        // Never created or deleted, even by a QuickBooks user.
        let e = create(&mut s, ci, o(json!({"CompanyName":"Second"})), 60).unwrap_err();
        assert_eq!(
            (e.code(), e.errors[0].detail.as_str()),
            ("500", "Operation Create CompanyInfo is not supported.")
        );
        let e = delete(&mut s, ci, o(json!({"Id":"1","SyncToken":"2"})), 60).unwrap_err();
        assert_eq!(e.code(), "500");
        assert_eq!(s.count(ci), 1);
    }

    #[test]
    fn preferences_subset_and_multicurrency_one_way() {
        let (mut s, _, pr) = setup();
        let u = update(
            &mut s,
            pr,
            o(json!({"Id":"1","SyncToken":"0","sparse":true,
                "SalesFormsPrefs":{"CustomTxnNumbers":true},
                "ReportPrefs":{"ReportBasis":"Cash"}})),
            20,
        )
        .expect("sparse");
        assert_eq!(u["SalesFormsPrefs"]["CustomTxnNumbers"], true);
        assert_eq!(
            u["SalesFormsPrefs"]["AllowDiscount"], true,
            "section merged, not replaced"
        );
        assert_eq!(
            u["ReportPrefs"]["ReportBasis"], "Accrual",
            "not writable: ignored"
        );
        assert_eq!(u["AccountingInfoPrefs"]["UseAccountNumbers"], true);
        assert_eq!(u["SyncToken"], "1");
        // Only ignored fields: no change, no new SyncToken.
        let same = update(
            &mut s,
            pr,
            o(json!({"Id":"1","SyncToken":"1","sparse":true,"ReportPrefs":{"ReportBasis":"Cash"}})),
            30,
        )
        .expect("noop");
        assert_eq!(same["SyncToken"], "1");
        // A full update leaves the rest alone.
        let f = update(
            &mut s,
            pr,
            o(json!({"Id":"1","SyncToken":"1","AccountingInfoPrefs":{"TrackDepartments":true,"ClassTrackingPerTxn":"true"}})),
            40,
        )
        .expect("full");
        assert_eq!(f["AccountingInfoPrefs"]["TrackDepartments"], true);
        assert_eq!(f["AccountingInfoPrefs"]["ClassTrackingPerTxn"], true);
        assert_eq!(f["SalesFormsPrefs"]["CustomTxnNumbers"], true);
        assert_eq!(f["CurrencyPrefs"]["MultiCurrencyEnabled"], false);
        // A home-currency change is refused; sending the current values is fine.
        let e = update(
            &mut s,
            pr,
            o(json!({"Id":"1","SyncToken":"2","sparse":true,"CurrencyPrefs":{"HomeCurrency":{"value":"EUR"}}})),
            50,
        )
        .unwrap_err();
        assert_eq!(e.code(), "6000");
        assert!(e.errors[0]
            .detail
            .starts_with("Business Validation Error: "));
        let same = update(
            &mut s,
            pr,
            o(json!({"Id":"1","SyncToken":"2","sparse":true,"CurrencyPrefs":{"MultiCurrencyEnabled":false,"HomeCurrency":{"value":"USD"}}})),
            50,
        )
        .expect("unchanged currency");
        assert_eq!(same["SyncToken"], "2");
        let e = update(
            &mut s,
            pr,
            o(json!({"Id":"1","SyncToken":"2","sparse":true,"SalesFormsPrefs":{"CustomTxnNumbers":7}})),
            50,
        )
        .unwrap_err();
        assert_eq!(e.code(), "2010");
        let e = create(&mut s, pr, o(json!({"SalesFormsPrefs":{}})), 60).unwrap_err();
        assert_eq!(e.code(), "500");
        // Multicurrency goes on (the rest of the section stays) and never off again.
        let on = update(
            &mut s,
            pr,
            o(json!({"Id":"1","SyncToken":"2","sparse":true,"CurrencyPrefs":{"MultiCurrencyEnabled":"true"}})),
            70,
        )
        .expect("multicurrency on");
        assert_eq!(
            on["CurrencyPrefs"],
            json!({"MultiCurrencyEnabled":true,"HomeCurrency":{"value":"USD"}})
        );
        assert_eq!(on["SyncToken"], "3");
        let e = update(
            &mut s,
            pr,
            o(json!({"Id":"1","SyncToken":"3","sparse":true,"CurrencyPrefs":{"MultiCurrencyEnabled":false}})),
            80,
        )
        .unwrap_err();
        assert_eq!(
            (e.code(), e.errors[0].detail.as_str()),
            (
                "6000",
                "Business Validation Error: Multicurrency cannot be turned off once it has been turned on."
            )
        );
    }
}
