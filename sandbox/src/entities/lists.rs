//! Rules of the smaller name lists (reference sheet §3.4, §13; fields per Finance.xsd):
//! Employee, Class, Department, Term, PaymentMethod, and the tax lists TaxAgency, TaxRate,
//! TaxCode. What an API client may do to them is decided elsewhere (`capability`); these are
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
}
