//! The sample company's smaller name lists: terms, payment methods, the tax agency with its
//! rates and codes, classes, departments and employees. They are made through the normal
//! business rules (as a QuickBooks user would), after every other seeded record, so the Ids of
//! the older records do not move; their times fall in the week before the other records'.

use super::FIRST;
use crate::config::SeedSize;
use crate::entities;
use crate::store::Store;
use serde_json::{json, Map, Value};

/// (Name, DueDays)
const TERMS: [(&str, u32); 4] = [
    ("Due on receipt", 0),
    ("Net 15", 15),
    ("Net 30", 30),
    ("Net 60", 60),
];
/// (Name, Type)
const PAYMENT_METHODS: [(&str, &str); 6] = [
    ("Cash", "NON_CREDIT_CARD"),
    ("Check", "NON_CREDIT_CARD"),
    ("Visa", "CREDIT_CARD"),
    ("MasterCard", "CREDIT_CARD"),
    ("American Express", "CREDIT_CARD"),
    ("Discover", "CREDIT_CARD"),
];
const TAX_AGENCY: &str = "California Department of Tax and Fee Administration";
/// (Name, RateValue)
const TAX_RATES: [(&str, f64); 2] = [("California", 7.25), ("San Pablo City", 1.5)];
/// The agency, its rates and codes.
const TAX_RECORDS: usize = 1 + TAX_RATES.len() + 2;
const CLASSES: [&str; 4] = ["Residential", "Commercial", "Maintenance", "Design"];
const DEPARTMENTS: [&str; 3] = ["Main Office", "North Yard", "South Yard"];
/// Family names no customer or vendor uses (DisplayName is unique across all three lists).
const EMPLOYEE_LAST: [&str; 10] = [
    "Okafor",
    "Nakamura",
    "Petrov",
    "Kowalski",
    "Haddad",
    "Lindqvist",
    "Moreau",
    "Rossi",
    "Novak",
    "Sato",
];

fn o(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `base`, then `base 2`, `base 3`, ... once the list of bases is used up.
fn nth_name(bases: &[&str], i: usize) -> String {
    let base = bases[i % bases.len()];
    match i / bases.len() {
        0 => base.to_string(),
        round => format!("{base} {}", round + 1),
    }
}

/// Creates one record through the business rules; returns its Id (None, logged, if refused).
fn make(store: &mut Store, entity: &str, body: Value, at: i64) -> Option<String> {
    let ti = store.table_index(entity)?;
    match entities::create(store, ti, o(body), at) {
        Ok(obj) => obj.get("Id").and_then(Value::as_str).map(str::to_string),
        Err(f) => {
            tracing::warn!(entity, fault = %f, "seed record refused");
            None
        }
    }
}

/// Seeds the lists with times spread over the week before `start`.
pub(super) fn seed_lists(store: &mut Store, size: &SeedSize, start: i64) {
    let fixed = if size.standard_lists {
        TERMS.len() + PAYMENT_METHODS.len() + TAX_RECORDS
    } else {
        0
    };
    let total = fixed + size.classes + size.departments + size.employees;
    if total == 0 {
        return;
    }
    let from = start - 7 * 86_400;
    let step = (7 * 86_400 - 60) as f64 / total as f64;
    let mut k = 0usize;
    let mut tick = || {
        let t = from + (step * k as f64) as i64;
        k += 1;
        t
    };

    if size.standard_lists {
        for (name, days) in TERMS {
            make(
                store,
                "Term",
                json!({"Name": name, "DueDays": days, "DiscountPercent": 0, "DiscountDays": 0}),
                tick(),
            );
        }
        for (name, ty) in PAYMENT_METHODS {
            make(
                store,
                "PaymentMethod",
                json!({"Name": name, "Type": ty}),
                tick(),
            );
        }
        seed_tax(store, &mut tick);
    }

    let mut class_ids: Vec<Option<String>> = Vec::with_capacity(size.classes);
    for i in 0..size.classes {
        let mut body = json!({"Name": nth_name(&CLASSES, i)});
        let parent = (i % CLASSES.len() == 2)
            .then(|| class_ids.get(i - 1).cloned().flatten())
            .flatten();
        if let Some(p) = parent {
            body["ParentRef"] = json!({"value": p});
        }
        class_ids.push(make(store, "Class", body, tick()));
    }
    for i in 0..size.departments {
        make(
            store,
            "Department",
            json!({"Name": nth_name(&DEPARTMENTS, i)}),
            tick(),
        );
    }
    for i in 0..size.employees {
        make(store, "Employee", employee(i), tick());
    }
}

/// One agency, two rates, two codes: "California" (active) and "San Pablo" (both rates, a
/// group, inactive so that the Active filter shows).
fn seed_tax(store: &mut Store, tick: &mut impl FnMut() -> i64) {
    let Some(agency) = make(
        store,
        "TaxAgency",
        json!({"DisplayName": TAX_AGENCY, "TaxRegistrationNumber": "SR-KH-100-123456",
               "TaxTrackedOnSales": true, "TaxTrackedOnPurchases": false}),
        tick(),
    ) else {
        return;
    };
    let mut rates = Vec::with_capacity(TAX_RATES.len());
    for (name, value) in TAX_RATES {
        rates.push(make(
            store,
            "TaxRate",
            json!({"Name": name, "Description": format!("{name} sales tax"), "RateValue": value,
                   "AgencyRef": {"value": agency}}),
            tick(),
        ));
    }
    let detail = |ids: &[&Option<String>]| -> Value {
        let d: Vec<Value> = ids
            .iter()
            .filter_map(|id| id.as_ref())
            .enumerate()
            .map(|(i, id)| json!({"TaxRateRef": {"value": id}, "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": i}))
            .collect();
        json!({ "TaxRateDetail": d })
    };
    let (Some(state), Some(city)) = (rates.first(), rates.get(1)) else {
        return;
    };
    make(
        store,
        "TaxCode",
        json!({"Name": "California", "Description": "California state sales tax",
               "SalesTaxRateList": detail(&[state]), "PurchaseTaxRateList": {"TaxRateDetail": []}}),
        tick(),
    );
    make(
        store,
        "TaxCode",
        json!({"Name": "San Pablo", "Description": "California + San Pablo City (no longer used)",
               "Active": false, "SalesTaxRateList": detail(&[state, city]),
               "PurchaseTaxRateList": {"TaxRateDetail": []}}),
        tick(),
    );
}

fn employee(i: usize) -> Value {
    let first = FIRST[(i / EMPLOYEE_LAST.len() + i) % FIRST.len()];
    let last = EMPLOYEE_LAST[i % EMPLOYEE_LAST.len()];
    let round = i / (EMPLOYEE_LAST.len() * FIRST.len());
    let display = if round == 0 {
        format!("{first} {last}")
    } else {
        format!("{first} {last} {}", round + 1)
    };
    json!({
        "GivenName": first, "FamilyName": last, "DisplayName": display,
        "PrimaryEmailAddr": {"Address": format!("{}.{}{}@sandbox-company.example.com", first.to_lowercase(), last.to_lowercase(), i + 1)},
        "PrimaryPhone": {"FreeFormNumber": format!("(510) 555-{:04}", i % 10_000)},
        "PrimaryAddr": {"Line1": format!("{} Sierra Way", 200 + i % 700), "City": "San Pablo", "CountrySubDivisionCode": "CA", "PostalCode": "87999"},
        "EmployeeNumber": format!("E-{:04}", i + 1),
        "HiredDate": format!("20{:02}-{:02}-{:02}", 15 + i % 10, 1 + i % 12, 1 + i % 28),
        "Active": i % 5 != 4,
    })
}

#[cfg(test)]
mod tests {
    use super::super::seed;
    use crate::config::SeedSize;
    use crate::query;
    use crate::store::{QueryOutput, Store};
    use serde_json::Value;

    fn count(s: &Store, entity: &str, active_only: bool) -> usize {
        let ti = s.table_index(entity).expect(entity);
        let q = query::parse(&format!("select count(*) from {entity}")).expect("q");
        match s.query(ti, &q, active_only) {
            QueryOutput::Count(n) => n,
            QueryOutput::Rows(..) => 0,
        }
    }

    fn all(s: &Store, entity: &str) -> Vec<serde_json::Map<String, Value>> {
        let ti = s.table_index(entity).expect(entity);
        s.tables[ti].rows.values().map(|r| r.obj.clone()).collect()
    }

    #[test]
    fn small_company_lists() {
        let mut s = Store::new();
        seed(&mut s, &SeedSize::small(), "1", 1_700_000_000);
        assert_eq!(
            (count(&s, "Employee", false), count(&s, "Employee", true)),
            (5, 4)
        );
        assert_eq!(count(&s, "Class", false), 4);
        assert_eq!(count(&s, "Department", false), 3);
        assert_eq!(count(&s, "Term", false), 4);
        assert_eq!(count(&s, "PaymentMethod", false), 6);
        assert_eq!(count(&s, "TaxAgency", false), 1);
        assert_eq!(count(&s, "TaxRate", false), 2);
        assert_eq!(
            (count(&s, "TaxCode", false), count(&s, "TaxCode", true)),
            (2, 1)
        );
        let fqns: Vec<String> = all(&s, "Class")
            .iter()
            .filter_map(|c| c["FullyQualifiedName"].as_str().map(str::to_string))
            .collect();
        assert!(
            fqns.contains(&"Commercial:Maintenance".to_string()),
            "{fqns:?}"
        );
        let inactive: Vec<Value> = all(&s, "Employee")
            .into_iter()
            .filter(|e| e["Active"] == false)
            .map(|e| e["DisplayName"].clone())
            .collect();
        assert_eq!(inactive.len(), 1);
        assert!(inactive[0]
            .as_str()
            .is_some_and(|d| d.ends_with(" (deleted)")));
        let terms: Vec<Value> = all(&s, "Term").iter().map(|t| t["Name"].clone()).collect();
        for name in ["Net 15", "Net 30", "Due on receipt"] {
            assert!(terms.contains(&Value::from(name)), "{name}");
        }
        let agency = all(&s, "TaxAgency")[0]["Id"].clone();
        assert!(all(&s, "TaxRate")
            .iter()
            .all(|r| r["AgencyRef"]["value"] == agency));
        // The older records keep their Ids: the lists come after the sales receipts, but
        // their times precede everything else's.
        let sr = s.table_index("SalesReceipt").expect("sr");
        let last_sr = s.tables[sr].rows.keys().max().copied().unwrap_or(0);
        let term = s.table_index("Term").expect("term");
        assert!(s.tables[term].rows.keys().all(|id| *id > last_sr));
        assert_eq!(last_sr, 119);
        let inv = s.table_index("Invoice").expect("inv");
        let first_inv_lut = s.tables[inv]
            .rows
            .values()
            .map(|r| r.lut)
            .min()
            .unwrap_or(0);
        assert!(s.tables[term].rows.values().all(|r| r.lut < first_inv_lut));
    }

    #[test]
    fn scaled_lists_have_unique_names() {
        let mut s = Store::new();
        seed(&mut s, &SeedSize::scaled(1000), "1", 1_700_000_000);
        assert_eq!(count(&s, "Employee", false), 200);
        assert_eq!(count(&s, "Class", false), 160);
        assert_eq!(count(&s, "Department", false), 120);
        assert_eq!(count(&s, "Employee", true), 160);
        let mut empty = Store::new();
        seed(&mut empty, &SeedSize::empty(), "1", 1_700_000_000);
        assert_eq!(count(&empty, "Term", false), 0);
        assert_eq!(count(&empty, "TaxCode", false), 0);
    }
}
