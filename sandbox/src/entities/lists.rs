//! Rules of the smaller name lists (reference sheet §3.4, §13; fields per Finance.xsd):
//! Employee, Class, Department, Term, PaymentMethod, the tax lists TaxAgency, TaxRate,
//! TaxCode, and Budget and CompanyCurrency. What an API client may do to them is decided elsewhere (`capability`); these are
//! the rules every write (API or QuickBooks user) follows.

use super::{
    apply_active_suffix, check_unique_name, derive_display_name, money, num, old_id, ref_value,
    resolve_ref, str_field, strip_suffix, Obj,
};
use crate::fault::Fault;
use crate::store::Store;
use qbsync_catalog::{DeleteStyle, Entity};
use serde_json::{json, Value};

/// Applies the rules of `store.entity(ti)` to the normalised body `w`; false when the entity is
/// not one of these lists (the caller then uses the generic rules).
pub(super) fn normalize(
    store: &Store,
    ti: usize,
    w: &mut Obj,
    old: Option<&Obj>,
    was_active: bool,
) -> Result<bool, Fault> {
    let entity = store.entity(ti);
    match entity.name {
        "Employee" => employee(entity, w, was_active)?,
        "Class" | "Department" => hierarchical(store, ti, w, old, was_active)?,
        "Term" => term(entity, w, was_active)?,
        "PaymentMethod" => payment_method(entity, w, was_active)?,
        "TaxAgency" => tax_agency(w)?,
        "TaxRate" => tax_rate(store, entity, w, was_active)?,
        "TaxCode" => tax_code(store, entity, w, was_active)?,
        "Budget" => budget(store, entity, w, was_active)?,
        "CompanyCurrency" => company_currency(store, ti, w, old, was_active)?,
        _ => return Ok(false),
    }
    let key = entity.natural_key.unwrap_or("Name");
    check_unique_name(store, ti, old_id(old), w, key)?;
    Ok(true)
}

fn require(w: &Obj, field: &str) -> Result<(), Fault> {
    match str_field(w, field) {
        Some(_) => Ok(()),
        None => Err(Fault::required_param(field)),
    }
}

/// Sets `Active` (default true) and, for lists whose delete is a deactivation, the
/// `" (deleted)"` rename of `keys`. Lists that cannot be deleted at all (tax codes and rates,
/// switched off only inside QuickBooks) keep their names: [sim].
fn activity(entity: &Entity, w: &mut Obj, was_active: bool, keys: &[&str]) {
    let active = !matches!(w.get("Active"), Some(Value::Bool(false)));
    w.insert("Active".into(), Value::from(active));
    if entity.delete_style() == DeleteStyle::Deactivate {
        for key in keys {
            apply_active_suffix(w, key, was_active);
        }
    }
}

/// A whole number field (`DueDays`, ...): 2080 when it is not one.
fn whole(w: &mut Obj, field: &str) -> Result<Option<i64>, Fault> {
    let Some(v) = w.get(field).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let x = money(v, field)?;
    if x.fract() != 0.0 || x.abs() > 1e9 {
        return Err(Fault::illegal_number(field, &v.to_string()));
    }
    let n = x as i64;
    w.insert(field.into(), Value::from(n));
    Ok(Some(n))
}

fn employee(entity: &Entity, w: &mut Obj, was_active: bool) -> Result<(), Fault> {
    derive_display_name(w)?;
    activity(entity, w, was_active, &["DisplayName"]);
    if str_field(w, "PrintOnCheckName").is_none() {
        let shown = w
            .get("DisplayName")
            .and_then(Value::as_str)
            .map(|d| strip_suffix(d).to_string())
            .unwrap_or_default();
        w.insert("PrintOnCheckName".into(), Value::from(shown));
    }
    w.entry("BillableTime").or_insert(Value::Bool(false));
    Ok(())
}

/// Class and Department: `Name` required, `ParentRef` to a live record of the same list,
/// `FullyQualifiedName` = parent's FullyQualifiedName + ":" + Name, `SubClass`/`SubDepartment`.
fn hierarchical(
    store: &Store,
    ti: usize,
    w: &mut Obj,
    old: Option<&Obj>,
    was_active: bool,
) -> Result<(), Fault> {
    let entity = store.entity(ti);
    require(w, "Name")?;
    activity(entity, w, was_active, &["Name"]);
    let name = w
        .get("Name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let sub = if entity.name == "Class" {
        "SubClass"
    } else {
        "SubDepartment"
    };
    match w.get("ParentRef").cloned().filter(|v| !v.is_null()) {
        Some(v) => {
            let (pid, parent_fqn) = resolve_ref(store, entity.name, &v, "ParentRef", true)?;
            if let Some(me) = old_id(old) {
                check_no_cycle(store, ti, me, pid)?;
            }
            w.insert("ParentRef".into(), ref_value(pid, &parent_fqn));
            w.insert(
                "FullyQualifiedName".into(),
                Value::from(format!("{parent_fqn}:{name}")),
            );
            w.insert(sub.into(), Value::Bool(true));
        }
        None => {
            w.remove("ParentRef");
            w.insert("FullyQualifiedName".into(), Value::from(name));
            w.insert(sub.into(), Value::Bool(false));
        }
    }
    Ok(())
}

fn parent_of(store: &Store, ti: usize, id: u64) -> Option<u64> {
    store
        .live(ti, id)?
        .obj
        .get("ParentRef")?
        .get("value")?
        .as_str()?
        .parse()
        .ok()
}

/// [sim] 6000 when `me` would become its own ancestor.
fn check_no_cycle(store: &Store, ti: usize, me: u64, parent: u64) -> Result<(), Fault> {
    let mut cur = Some(parent);
    for _ in 0..1000 {
        match cur {
            Some(id) if id == me => {
                return Err(Fault::business(format!(
                    "A {} cannot be its own parent.",
                    store.entity(ti).name.to_lowercase()
                )))
            }
            Some(id) => cur = parent_of(store, ti, id),
            None => return Ok(()),
        }
    }
    Ok(())
}

/// Term: `Name` required; `STANDARD` (DueDays, default 0) or `DATE_DRIVEN` (DayOfMonthDue).
fn term(entity: &Entity, w: &mut Obj, was_active: bool) -> Result<(), Fault> {
    require(w, "Name")?;
    activity(entity, w, was_active, &["Name"]);
    for field in [
        "DueDays",
        "DiscountDays",
        "DayOfMonthDue",
        "DueNextMonthDays",
        "DiscountDayOfMonth",
    ] {
        whole(w, field)?;
    }
    if let Some(v) = w.get("DiscountPercent").filter(|v| !v.is_null()) {
        let p = money(v, "DiscountPercent")?;
        w.insert("DiscountPercent".into(), num(p));
    }
    let implied = if w.get("DayOfMonthDue").is_some_and(|v| !v.is_null()) {
        "DATE_DRIVEN"
    } else {
        "STANDARD"
    };
    let ty = str_field(w, "Type").unwrap_or(implied).to_string();
    if ty != "STANDARD" && ty != "DATE_DRIVEN" {
        return Err(Fault::invalid_enum("Type", &ty));
    }
    if ty == "STANDARD" {
        w.entry("DueDays").or_insert(Value::from(0));
    }
    w.insert("Type".into(), Value::from(ty));
    Ok(())
}

/// PaymentMethod: `Name` required; `Type` CREDIT_CARD or NON_CREDIT_CARD (the default).
fn payment_method(entity: &Entity, w: &mut Obj, was_active: bool) -> Result<(), Fault> {
    require(w, "Name")?;
    activity(entity, w, was_active, &["Name"]);
    let ty = str_field(w, "Type")
        .unwrap_or("NON_CREDIT_CARD")
        .to_string();
    if ty != "CREDIT_CARD" && ty != "NON_CREDIT_CARD" {
        return Err(Fault::invalid_enum("Type", &ty));
    }
    w.insert("Type".into(), Value::from(ty));
    Ok(())
}

/// TaxAgency: `DisplayName` required; no `Active` field at all ([sim] one sent is dropped).
fn tax_agency(w: &mut Obj) -> Result<(), Fault> {
    require(w, "DisplayName")?;
    w.remove("Active");
    w.entry("TaxTrackedOnSales").or_insert(Value::Bool(true));
    w.entry("TaxTrackedOnPurchases")
        .or_insert(Value::Bool(false));
    Ok(())
}

/// TaxRate: `Name` and `RateValue` required, `AgencyRef` must name a TaxAgency (2500).
fn tax_rate(store: &Store, entity: &Entity, w: &mut Obj, was_active: bool) -> Result<(), Fault> {
    require(w, "Name")?;
    activity(entity, w, was_active, &["Name"]);
    let Some(rate) = w.get("RateValue").filter(|v| !v.is_null()) else {
        return Err(Fault::required_param("RateValue"));
    };
    let rate = money(rate, "RateValue")?;
    w.insert("RateValue".into(), num(rate));
    let Some(agency) = w.get("AgencyRef").cloned().filter(|v| !v.is_null()) else {
        return Err(Fault::required_param("AgencyRef"));
    };
    let (id, name) = resolve_ref(store, "TaxAgency", &agency, "AgencyRef", false)?;
    w.insert("AgencyRef".into(), ref_value(id, &name));
    w.entry("SpecialTaxType").or_insert(Value::from("NONE"));
    w.entry("DisplayType").or_insert(Value::from("ReadOnly"));
    Ok(())
}

/// Normalises `SalesTaxRateList`/`PurchaseTaxRateList`: every `TaxRateRef` must name a TaxRate.
/// Returns how many rates the list holds.
fn rate_list(store: &Store, w: &mut Obj, field: &str) -> Result<usize, Fault> {
    let details = match w.get(field) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(l)) => match l.get("TaxRateDetail") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(Value::Object(one)) => vec![Value::Object(one.clone())],
            Some(_) => return Err(Fault::unsupported_property(field)),
        },
        Some(_) => return Err(Fault::unsupported_property(field)),
    };
    let path = format!("{field}.TaxRateDetail.TaxRateRef");
    let mut out = Vec::with_capacity(details.len());
    for (i, d) in details.into_iter().enumerate() {
        let Value::Object(mut d) = d else {
            return Err(Fault::unsupported_property(field));
        };
        let Some(r) = d.get("TaxRateRef").cloned().filter(|v| !v.is_null()) else {
            return Err(Fault::required_param(&path));
        };
        let (id, name) = resolve_ref(store, "TaxRate", &r, &path, false)?;
        d.insert("TaxRateRef".into(), ref_value(id, &name));
        d.entry("TaxTypeApplicable")
            .or_insert(Value::from("TaxOnAmount"));
        d.entry("TaxOrder").or_insert(Value::from(i));
        out.push(Value::Object(d));
    }
    let n = out.len();
    w.insert(field.into(), json!({ "TaxRateDetail": out }));
    Ok(n)
}

/// TaxCode: `Name` required; rate lists checked; `Taxable`/`TaxGroup` default from the rates.
fn tax_code(store: &Store, entity: &Entity, w: &mut Obj, was_active: bool) -> Result<(), Fault> {
    require(w, "Name")?;
    activity(entity, w, was_active, &["Name"]);
    let sales = rate_list(store, w, "SalesTaxRateList")?;
    rate_list(store, w, "PurchaseTaxRateList")?;
    w.entry("Taxable").or_insert(Value::Bool(sales > 0));
    w.entry("TaxGroup").or_insert(Value::Bool(sales > 1));
    w.entry("Hidden").or_insert(Value::Bool(false));
    Ok(())
}

/// A field of an enumeration: `default` when absent, 2170 when not one of `allowed`.
fn one_of(w: &mut Obj, field: &str, allowed: &[&str], default: &str) -> Result<(), Fault> {
    let v = str_field(w, field).unwrap_or(default).to_string();
    if !allowed.contains(&v.as_str()) {
        return Err(Fault::invalid_enum(field, &v));
    }
    w.insert(field.into(), Value::from(v));
    Ok(())
}

/// A required `YYYY-MM-DD` date (2020 when absent, 2010 when not a date).
fn date(w: &Obj, field: &str, path: &str) -> Result<chrono::NaiveDate, Fault> {
    let Some(s) = str_field(w, field) else {
        return Err(Fault::required_param(path));
    };
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| Fault::unsupported_property(path))
}

/// Budget (made inside QuickBooks only; the API reads it): `Name` required; `BudgetType`
/// ProfitAndLoss (default) or BalanceSheet; `BudgetEntryType` Monthly (default), Quarterly or
/// Yearly; `StartDate` ≤ `EndDate` required; every `BudgetDetail` entry needs a `BudgetDate`
/// inside the period and an `AccountRef` (2500), Amount defaults to 0; Customer/Class/Department
/// references checked. An inactive budget keeps its name (it cannot be deleted at all).
fn budget(store: &Store, entity: &Entity, w: &mut Obj, was_active: bool) -> Result<(), Fault> {
    require(w, "Name")?;
    activity(entity, w, was_active, &["Name"]);
    one_of(
        w,
        "BudgetType",
        &["ProfitAndLoss", "BalanceSheet"],
        "ProfitAndLoss",
    )?;
    one_of(
        w,
        "BudgetEntryType",
        &["Monthly", "Quarterly", "Yearly"],
        "Monthly",
    )?;
    let start = date(w, "StartDate", "StartDate")?;
    let end = date(w, "EndDate", "EndDate")?;
    if end < start {
        return Err(Fault::business(
            "The budget end date is before its start date.",
        ));
    }
    let details = match w.get("BudgetDetail") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Object(one)) => vec![Value::Object(one.clone())],
        Some(_) => return Err(Fault::unsupported_property("BudgetDetail")),
    };
    let mut out = Vec::with_capacity(details.len());
    for d in details {
        let Value::Object(mut d) = d else {
            return Err(Fault::unsupported_property("BudgetDetail"));
        };
        let day = date(&d, "BudgetDate", "BudgetDetail.BudgetDate")?;
        if day < start || day > end {
            return Err(Fault::business(format!(
                "The budget date {day} is outside the budget period {start} to {end}."
            )));
        }
        let amount = match d.get("Amount").filter(|v| !v.is_null()) {
            Some(v) => money(v, "BudgetDetail.Amount")?,
            None => 0.0,
        };
        d.insert("Amount".into(), num(amount));
        let Some(acc) = d.get("AccountRef").cloned().filter(|v| !v.is_null()) else {
            return Err(Fault::required_param("BudgetDetail.AccountRef"));
        };
        let (id, name) = resolve_ref(store, "Account", &acc, "BudgetDetail.AccountRef", false)?;
        d.insert("AccountRef".into(), ref_value(id, &name));
        for (field, list) in [
            ("CustomerRef", "Customer"),
            ("ClassRef", "Class"),
            ("DepartmentRef", "Department"),
        ] {
            match d.get(field).cloned() {
                Some(Value::Null) => {
                    d.remove(field);
                }
                Some(v) => {
                    let path = format!("BudgetDetail.{field}");
                    let (id, name) = resolve_ref(store, list, &v, &path, false)?;
                    d.insert(field.into(), ref_value(id, &name));
                }
                None => {}
            }
        }
        out.push(Value::Object(d));
    }
    w.insert("BudgetDetail".into(), Value::Array(out));
    Ok(())
}

/// Currency names by ISO 4217 code, for the common ones; other valid codes are named by their
/// code ([sim]).
const CURRENCY_NAMES: &[(&str, &str)] = &[
    ("AED", "UAE Dirham"),
    ("ARS", "Argentine Peso"),
    ("AUD", "Australian Dollar"),
    ("BRL", "Brazilian Real"),
    ("CAD", "Canadian Dollar"),
    ("CHF", "Swiss Franc"),
    ("CLP", "Chilean Peso"),
    ("CNY", "Chinese Yuan Renminbi"),
    ("COP", "Colombian Peso"),
    ("CZK", "Czech Koruna"),
    ("DKK", "Danish Krone"),
    ("EUR", "Euro"),
    ("GBP", "British Pound Sterling"),
    ("HKD", "Hong Kong Dollar"),
    ("HUF", "Hungarian Forint"),
    ("IDR", "Indonesian Rupiah"),
    ("ILS", "Israeli New Shekel"),
    ("INR", "Indian Rupee"),
    ("JPY", "Japanese Yen"),
    ("KRW", "South Korean Won"),
    ("MXN", "Mexican Peso"),
    ("MYR", "Malaysian Ringgit"),
    ("NOK", "Norwegian Krone"),
    ("NZD", "New Zealand Dollar"),
    ("PHP", "Philippine Peso"),
    ("PLN", "Polish Zloty"),
    ("SAR", "Saudi Riyal"),
    ("SEK", "Swedish Krona"),
    ("SGD", "Singapore Dollar"),
    ("THB", "Thai Baht"),
    ("TRY", "Turkish Lira"),
    ("TWD", "New Taiwan Dollar"),
    ("USD", "United States Dollar"),
    ("ZAR", "South African Rand"),
];

/// The ISO 4217 currency codes in use.
const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND \
    BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN \
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD \
    JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT \
    MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR \
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT \
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW \
    ZWG ZWL";

/// Whether `code` (upper case) is an ISO 4217 code in use.
pub(super) fn is_iso_currency(code: &str) -> bool {
    code.len() == 3 && ISO_4217.split_whitespace().any(|c| c == code)
}

/// The name QuickBooks shows for a currency code (the code itself when not a common one).
pub(super) fn currency_name(code: &str) -> &str {
    CURRENCY_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
        .unwrap_or(code)
}

/// The company's home currency (Preferences `CurrencyPrefs.HomeCurrency`, else USD).
pub(super) fn home_currency(store: &Store) -> String {
    store
        .singleton("Preferences")
        .and_then(|p| p.get("CurrencyPrefs"))
        .and_then(|c| c.get("HomeCurrency"))
        .and_then(|h| h.get("value"))
        .and_then(Value::as_str)
        .unwrap_or("USD")
        .to_string()
}

/// CompanyCurrency: `Code` required (2020), an ISO 4217 code (2170 otherwise, upper-cased),
/// not the home currency (6000) and not already in the list, active or not (6240; [sim] a code
/// stays taken: reactivate instead). `Name` derives from the code. A code never changes on
/// update (6000). Deactivation is `Active:false` without the " (deleted)" rename ([sim]).
fn company_currency(
    store: &Store,
    ti: usize,
    w: &mut Obj,
    old: Option<&Obj>,
    was_active: bool,
) -> Result<(), Fault> {
    let Some(raw) = str_field(w, "Code").map(str::to_string) else {
        return Err(Fault::required_param("Code"));
    };
    let code = raw.to_ascii_uppercase();
    if !is_iso_currency(&code) {
        return Err(Fault::invalid_enum("Code", &raw));
    }
    if let Some(prev) = old.and_then(|o| o.get("Code")).and_then(Value::as_str) {
        if prev != code {
            return Err(Fault::business("The currency code cannot be changed."));
        }
    }
    if code == home_currency(store) {
        return Err(Fault::business(format!(
            "{code} is the home currency of this company."
        )));
    }
    let me = old_id(old);
    let taken = store.tables[ti].rows.iter().any(|(id, r)| {
        !r.deleted
            && Some(*id) != me
            && r.obj.get("Code").and_then(Value::as_str) == Some(code.as_str())
    });
    if taken {
        return Err(Fault::duplicate_list_name("currency"));
    }
    activity(store.entity(ti), w, was_active, &[]);
    w.insert("Name".into(), Value::from(currency_name(&code)));
    w.insert("Code".into(), Value::from(code));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{create, update};
    use crate::store::Store;
    use serde_json::{json, Map, Value};

    fn o(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn ti(s: &Store, name: &str) -> usize {
        s.table_index(name).expect(name)
    }

    #[test]
    fn employee_shares_the_display_name_namespace() {
        let mut s = Store::new();
        let cust = ti(&s, "Customer");
        let emp = ti(&s, "Employee");
        let vend = ti(&s, "Vendor");
        let e = create(
            &mut s,
            emp,
            o(json!({"GivenName":"Ann","FamilyName":"Lee"})),
            1,
        )
        .expect("employee");
        assert_eq!(e["DisplayName"], "Ann Lee", "derived from the name parts");
        assert_eq!(e["PrintOnCheckName"], "Ann Lee");
        assert_eq!(e["Active"], true);
        for t in [cust, vend] {
            let f = create(&mut s, t, o(json!({"DisplayName":"ann lee"})), 2).unwrap_err();
            assert_eq!(f.code(), "6240");
            assert!(f.errors[0].detail.contains("customer, vendor or employee"));
        }
        create(&mut s, cust, o(json!({"DisplayName":"Bo"})), 2).expect("bo");
        let f = create(&mut s, emp, o(json!({"DisplayName":"Bo"})), 3).unwrap_err();
        assert_eq!(f.code(), "6240");
        let f = create(&mut s, emp, o(json!({"EmployeeNumber":"7"})), 3).unwrap_err();
        assert_eq!(f.code(), "2020");
        // Deactivation renames and frees the name.
        let d = update(
            &mut s,
            emp,
            o(json!({"Id":e["Id"],"SyncToken":"0","sparse":true,"Active":false})),
            4,
        )
        .expect("deactivate");
        assert_eq!(d["DisplayName"], "Ann Lee (deleted)");
        create(&mut s, cust, o(json!({"DisplayName":"Ann Lee"})), 5).expect("name is free");
    }

    #[test]
    fn class_hierarchy_names_and_references() {
        let mut s = Store::new();
        let class = ti(&s, "Class");
        let dept = ti(&s, "Department");
        let top = create(&mut s, class, o(json!({"Name":"Commercial"})), 1).expect("top");
        assert_eq!(top["FullyQualifiedName"], "Commercial");
        assert_eq!(top["SubClass"], false);
        let child = create(
            &mut s,
            class,
            o(json!({"Name":"Maintenance","ParentRef":{"value":top["Id"]}})),
            2,
        )
        .expect("child");
        assert_eq!(child["FullyQualifiedName"], "Commercial:Maintenance");
        assert_eq!(child["SubClass"], true);
        assert_eq!(child["ParentRef"]["value"], top["Id"]);
        let grandchild = create(
            &mut s,
            class,
            o(json!({"Name":"Lawns","ParentRef":{"value":child["Id"]}})),
            3,
        )
        .expect("grandchild");
        assert_eq!(
            grandchild["FullyQualifiedName"],
            "Commercial:Maintenance:Lawns"
        );
        // Unknown parent, or a parent of another list: 2500.
        let f = create(
            &mut s,
            class,
            o(json!({"Name":"X","ParentRef":{"value":"999"}})),
            4,
        )
        .unwrap_err();
        assert_eq!(
            (f.code(), f.errors[0].detail.as_str()),
            ("2500", "Invalid Reference Id : ParentRef")
        );
        let f = create(
            &mut s,
            dept,
            o(json!({"Name":"X","ParentRef":{"value":top["Id"]}})),
            4,
        )
        .unwrap_err();
        assert_eq!(f.code(), "2500");
        // Name unique within the list, not across lists.
        let f = create(&mut s, class, o(json!({"Name":"commercial"})), 5).unwrap_err();
        assert_eq!(f.code(), "6240");
        assert!(f.errors[0].detail.contains("Another class"));
        create(&mut s, dept, o(json!({"Name":"Commercial"})), 5).expect("other list");
        assert_eq!(
            create(&mut s, class, o(json!({})), 5).unwrap_err().code(),
            "2020"
        );
        // A class cannot become its own ancestor.
        let f = update(
            &mut s,
            class,
            o(json!({"Id":top["Id"],"SyncToken":"0","sparse":true,"ParentRef":{"value":grandchild["Id"]}})),
            6,
        )
        .unwrap_err();
        assert_eq!(f.code(), "6000");
        // Deactivation renames Name and FullyQualifiedName; a sparse update keeps the parent.
        let d = update(
            &mut s,
            class,
            o(json!({"Id":child["Id"],"SyncToken":"0","sparse":true,"Active":false})),
            7,
        )
        .expect("deactivate");
        assert_eq!(d["Name"], "Maintenance (deleted)");
        assert_eq!(d["FullyQualifiedName"], "Commercial:Maintenance (deleted)");
        let r = update(
            &mut s,
            class,
            o(json!({"Id":child["Id"],"SyncToken":"1","sparse":true,"Active":true})),
            8,
        )
        .expect("reactivate");
        assert_eq!(r["FullyQualifiedName"], "Commercial:Maintenance");
        // Moving to the top level: a full update without ParentRef.
        let moved = update(
            &mut s,
            class,
            o(json!({"Id":child["Id"],"SyncToken":"2","Name":"Upkeep"})),
            9,
        )
        .expect("full update");
        assert_eq!(moved["FullyQualifiedName"], "Upkeep");
        assert_eq!(moved["SubClass"], false);
        assert!(moved.get("ParentRef").is_none());
    }

    #[test]
    fn terms_and_payment_methods() {
        let mut s = Store::new();
        let term = ti(&s, "Term");
        let pm = ti(&s, "PaymentMethod");
        let t = create(&mut s, term, o(json!({"Name":"Net 30","DueDays":"30"})), 1).expect("t");
        assert_eq!(
            (t["Type"].clone(), t["DueDays"].clone()),
            (json!("STANDARD"), json!(30))
        );
        let t = create(&mut s, term, o(json!({"Name":"Due on receipt"})), 1).expect("t");
        assert_eq!(t["DueDays"], 0);
        let t = create(
            &mut s,
            term,
            o(json!({"Name":"15th","DayOfMonthDue":15})),
            1,
        )
        .expect("t");
        assert_eq!(t["Type"], "DATE_DRIVEN");
        assert_eq!(
            create(&mut s, term, o(json!({"DueDays":10})), 1)
                .unwrap_err()
                .code(),
            "2020"
        );
        assert_eq!(
            create(&mut s, term, o(json!({"Name":"Odd","DueDays":1.5})), 1)
                .unwrap_err()
                .code(),
            "2080"
        );
        let c = create(&mut s, pm, o(json!({"Name":"Cash"})), 1).expect("cash");
        assert_eq!(c["Type"], "NON_CREDIT_CARD");
        let v = create(
            &mut s,
            pm,
            o(json!({"Name":"Visa","Type":"CREDIT_CARD"})),
            1,
        )
        .expect("v");
        assert_eq!(v["Type"], "CREDIT_CARD");
        assert_eq!(
            create(&mut s, pm, o(json!({"Name":"Gold","Type":"GOLD"})), 1)
                .unwrap_err()
                .code(),
            "2170"
        );
        let f = create(&mut s, pm, o(json!({"Name":"cash"})), 1).unwrap_err();
        assert!(f.errors[0].detail.contains("Another payment method"));
    }

    #[test]
    fn tax_lists() {
        let mut s = Store::new();
        let agency = ti(&s, "TaxAgency");
        let rate = ti(&s, "TaxRate");
        let code = ti(&s, "TaxCode");
        let cust = ti(&s, "Customer");
        let a = create(
            &mut s,
            agency,
            o(json!({"DisplayName":"Board of Equalization","Active":false})),
            1,
        )
        .expect("agency");
        assert!(a.get("Active").is_none(), "tax agencies have no Active");
        assert_eq!(a["TaxTrackedOnSales"], true);
        let c = create(&mut s, cust, o(json!({"DisplayName":"Someone"})), 1).expect("c");
        let f = create(
            &mut s,
            rate,
            o(json!({"Name":"CA","RateValue":7.25,"AgencyRef":{"value":c["Id"]}})),
            2,
        )
        .unwrap_err();
        assert_eq!(
            (f.code(), f.errors[0].detail.as_str()),
            ("2500", "Invalid Reference Id : AgencyRef"),
            "AgencyRef must be a tax agency"
        );
        assert_eq!(
            create(&mut s, rate, o(json!({"Name":"CA","RateValue":1})), 2)
                .unwrap_err()
                .code(),
            "2020"
        );
        let r = create(
            &mut s,
            rate,
            o(json!({"Name":"CA","RateValue":"7.25","AgencyRef":{"value":a["Id"]}})),
            2,
        )
        .expect("rate");
        assert_eq!(r["RateValue"], json!(7.25));
        assert_eq!(r["AgencyRef"]["name"], "Board of Equalization");
        let tc = create(
            &mut s,
            code,
            o(json!({"Name":"CA tax","SalesTaxRateList":{"TaxRateDetail":[{"TaxRateRef":{"value":r["Id"]}}]}})),
            3,
        )
        .expect("code");
        assert_eq!(tc["Taxable"], true);
        assert_eq!(tc["TaxGroup"], false);
        assert_eq!(
            tc["SalesTaxRateList"]["TaxRateDetail"][0]["TaxRateRef"]["name"],
            "CA"
        );
        let f = create(
            &mut s,
            code,
            o(json!({"Name":"Bad","SalesTaxRateList":{"TaxRateDetail":[{"TaxRateRef":{"value":a["Id"]}}]}})),
            3,
        )
        .unwrap_err();
        assert_eq!(f.code(), "2500");
        // Tax codes switched off inside QuickBooks keep their name.
        let off = update(
            &mut s,
            code,
            o(json!({"Id":tc["Id"],"SyncToken":"0","sparse":true,"Active":false})),
            4,
        )
        .expect("inactive");
        assert_eq!(
            (off["Name"].clone(), off["Active"].clone()),
            (json!("CA tax"), json!(false))
        );
    }

    #[test]
    fn budget_rules() {
        let mut s = Store::new();
        let acc = ti(&s, "Account");
        let bud = ti(&s, "Budget");
        let a = create(
            &mut s,
            acc,
            o(json!({"Name":"Sales","AccountType":"Income"})),
            1,
        )
        .expect("acc");
        let b = create(
            &mut s,
            bud,
            o(json!({"Name":"FY","StartDate":"2025-01-01","EndDate":"2025-12-31",
                "BudgetDetail":[{"BudgetDate":"2025-01-01","Amount":"100.5","AccountRef":{"value":a["Id"]}}]})),
            2,
        )
        .expect("budget");
        assert_eq!(b["BudgetType"], "ProfitAndLoss");
        assert_eq!(b["BudgetEntryType"], "Monthly");
        assert_eq!(b["Active"], true);
        assert_eq!(b["BudgetDetail"][0]["Amount"], json!(100.5));
        assert_eq!(b["BudgetDetail"][0]["AccountRef"]["name"], "Sales");
        for (body, code) in [
            (
                json!({"StartDate":"2025-01-01","EndDate":"2025-12-31"}),
                "2020",
            ),
            (json!({"Name":"X","StartDate":"2025-01-01"}), "2020"),
            (
                json!({"Name":"X","StartDate":"2025-01-01","EndDate":"2025-12-31","BudgetType":"Cash"}),
                "2170",
            ),
            (
                json!({"Name":"X","StartDate":"2025-01-01","EndDate":"2025-12-31","BudgetDetail":[{"BudgetDate":"2025-02-01","AccountRef":{"value":"999"}}]}),
                "2500",
            ),
            (
                json!({"Name":"X","StartDate":"2025-01-01","EndDate":"2025-12-31","BudgetDetail":[{"BudgetDate":"2026-02-01","AccountRef":{"value":a["Id"]}}]}),
                "6000",
            ),
            (
                json!({"Name":"fy","StartDate":"2025-01-01","EndDate":"2025-12-31"}),
                "6240",
            ),
        ] {
            assert_eq!(
                create(&mut s, bud, o(body.clone()), 3).unwrap_err().code(),
                code,
                "{body}"
            );
        }
        // Inactive budgets keep their name (a budget cannot be deleted at all).
        let off = update(
            &mut s,
            bud,
            o(json!({"Id":b["Id"],"SyncToken":"0","sparse":true,"Active":false})),
            4,
        )
        .expect("inactive");
        assert_eq!(
            (off["Name"].clone(), off["Active"].clone()),
            (json!("FY"), json!(false))
        );
    }

    #[test]
    fn company_currency_rules() {
        let mut s = Store::new();
        let cur = ti(&s, "CompanyCurrency");
        let eur = create(&mut s, cur, o(json!({"Code":"eur","Name":"ignored"})), 1).expect("eur");
        assert_eq!(eur["Code"], "EUR");
        assert_eq!(eur["Name"], "Euro");
        assert_eq!(eur["Active"], true);
        let gbp = create(&mut s, cur, o(json!({"Code":"GBP"})), 1).expect("gbp");
        assert_eq!(gbp["Name"], "British Pound Sterling");
        let isk = create(&mut s, cur, o(json!({"Code":"ISK"})), 1).expect("isk");
        assert_eq!(isk["Name"], "ISK", "valid but uncommon: named by its code");
        for (body, code) in [
            (json!({"Name":"Euro"}), "2020"),
            (json!({"Code":"EURO"}), "2170"),
            (json!({"Code":"ABC"}), "2170"),
            (json!({"Code":"USD"}), "6000"),
            (json!({"Code":"EUR"}), "6240"),
        ] {
            assert_eq!(
                create(&mut s, cur, o(body.clone()), 2).unwrap_err().code(),
                code,
                "{body}"
            );
        }
        let off = update(
            &mut s,
            cur,
            o(json!({"Id":eur["Id"],"SyncToken":"0","sparse":true,"Active":false})),
            3,
        )
        .expect("deactivate");
        assert_eq!(
            (
                off["Code"].clone(),
                off["Name"].clone(),
                off["Active"].clone()
            ),
            (json!("EUR"), json!("Euro"), json!(false))
        );
        let e = create(&mut s, cur, o(json!({"Code":"EUR"})), 4).unwrap_err();
        assert_eq!(e.code(), "6240", "an inactive code stays taken");
        assert!(e.errors[0].detail.contains("Another currency"));
        let e = update(
            &mut s,
            cur,
            o(json!({"Id":gbp["Id"],"SyncToken":"0","sparse":true,"Code":"CHF"})),
            5,
        )
        .unwrap_err();
        assert_eq!(e.code(), "6000");
    }
}
