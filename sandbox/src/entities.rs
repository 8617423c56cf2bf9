//! Business rules: create, full/sparse update, delete, void and deactivate, with the light
//! accounting that keeps balances coherent (reference sheet §3, §13).

use crate::clock::{local_date, meta_time};
use crate::fault::Fault;
use crate::store::Store;
use qbsync_catalog::{DeleteStyle, EntityKind, VoidStyle};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

mod currency;
mod lists;
mod singletons;
mod tax;
mod txns;

pub use currency::{
    admin_read_exchange_rate, exchange_rate_request, seed_exchange_rates, write_exchange_rate,
};

pub const DELETED_SUFFIX: &str = " (deleted)";

type Obj = Map<String, Value>;

/// Fields QuickBooks maintains itself; ignored in request bodies.
const SYSTEM_FIELDS: &[&str] = &["Id", "SyncToken", "MetaData", "domain", "sparse", "status"];

fn computed_fields(entity: &str) -> &'static [&'static str] {
    match entity {
        "Customer" => &["FullyQualifiedName", "Balance", "BalanceWithJobs"],
        "Vendor" => &["FullyQualifiedName", "Balance"],
        "Item" => &["FullyQualifiedName"],
        "Account" => &[
            "FullyQualifiedName",
            "CurrentBalance",
            "CurrentBalanceWithSubAccounts",
            "Classification",
        ],
        "Invoice" => &["TotalAmt", "Balance", "LinkedTxn"],
        "SalesReceipt" => &["TotalAmt", "Balance"],
        "Payment" => &["UnappliedAmt"],
        "Estimate" | "Purchase" | "PurchaseOrder" | "JournalEntry" | "Deposit" => &["TotalAmt"],
        "CreditMemo" => &["TotalAmt", "Balance", "RemainingCredit", "LinkedTxn"],
        "RefundReceipt" | "VendorCredit" => &["TotalAmt", "Balance"],
        "Bill" => &["TotalAmt", "Balance", "LinkedTxn"],
        "Class" => &["FullyQualifiedName", "SubClass"],
        "Department" => &["FullyQualifiedName", "SubDepartment"],
        "CompanyInfo" => singletons::COMPANY_INFO_READ_ONLY,
        "CompanyCurrency" => &["Name"],
        // Set by QuickBooks for uploaded files; the sandbox keeps metadata only.
        "Attachable" => &[
            "FileAccessUri",
            "TempDownloadUri",
            "ThumbnailFileAccessUri",
            "ThumbnailTempDownloadUri",
        ],
        _ => &[],
    }
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn num(x: f64) -> Value {
    let r = round2(x);
    serde_json::Number::from_f64(r)
        .map(Value::Number)
        .unwrap_or(Value::from(0))
}

/// Reads a money/quantity value: a JSON number or a numeric string.
fn money(v: &Value, field: &str) -> Result<f64, Fault> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| Fault::illegal_number(field, &n.to_string())),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .ok_or_else(|| Fault::illegal_number(field, s)),
        other => Err(Fault::illegal_number(field, &other.to_string())),
    }
}

fn opt_money(obj: &Obj, field: &str, path: &str) -> Result<Option<f64>, Fault> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => money(v, path).map(Some),
    }
}

/// Parses an Id as QuickBooks does (2030 when not a number).
pub fn parse_id(v: &Value) -> Result<u64, Fault> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    s.trim().parse::<u64>().map_err(|_| Fault::invalid_id(&s))
}

fn sync_token(body: &Obj) -> Result<u64, Fault> {
    match body.get("SyncToken") {
        None | Some(Value::Null) => Err(Fault::required_param("SyncToken")),
        Some(Value::String(s)) => s.trim().parse::<u64>().map_err(|_| Fault::stale_object()),
        Some(Value::Number(n)) => n.as_u64().ok_or_else(Fault::stale_object),
        Some(_) => Err(Fault::stale_object()),
    }
}

fn str_field<'a>(obj: &'a Obj, field: &str) -> Option<&'a str> {
    obj.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn is_txn(store: &Store, ti: usize) -> bool {
    store.entity(ti).kind == EntityKind::Transaction
}

/// The 610 answer for an Id that is not there (deleted, or never existed).
fn not_found(store: &Store, ti: usize) -> Fault {
    if is_txn(store, ti) {
        Fault::deleted_txn()
    } else {
        Fault::inactive_reference()
    }
}

fn reject_wrapper(store: &Store, ti: usize, body: &Obj) -> Result<(), Fault> {
    let name = store.entity(ti).name;
    if body.len() == 1 && body.contains_key(name) {
        return Err(Fault::unsupported_property(name));
    }
    Ok(())
}

/// Resolves a reference (`{"value":"5"}`) to a live record of `entity`, returning its id and display name.
fn resolve_ref(
    store: &Store,
    entity: &str,
    v: &Value,
    path: &str,
    require_active: bool,
) -> Result<(u64, String), Fault> {
    let raw = match v {
        Value::Object(m) => m.get("value").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let id = match &raw {
        Value::String(s) => s.trim().parse::<u64>().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
    .ok_or_else(|| Fault::invalid_reference(path))?;
    let ti = store
        .table_index(entity)
        .ok_or_else(|| Fault::invalid_reference(path))?;
    let rec = store
        .live(ti, id)
        .ok_or_else(|| Fault::invalid_reference(path))?;
    if require_active && !rec.active {
        return Err(Fault::inactive_reference());
    }
    let name_key = store.entity(ti).natural_key.unwrap_or("Name");
    let name = rec
        .obj
        .get("FullyQualifiedName")
        .or_else(|| rec.obj.get(name_key))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    Ok((id, name))
}

fn ref_value(id: u64, name: &str) -> Value {
    json!({"value": id.to_string(), "name": name})
}

/// Id of the first active account with this name.
pub fn account_named(store: &Store, name: &str) -> Option<(u64, String)> {
    let ti = store.table_index("Account")?;
    store.tables[ti]
        .rows
        .iter()
        .find(|(_, r)| {
            !r.deleted && r.active && r.obj.get("Name").and_then(Value::as_str) == Some(name)
        })
        .map(|(id, _)| (*id, name.to_string()))
}

fn strip_suffix(name: &str) -> &str {
    name.strip_suffix(DELETED_SUFFIX).unwrap_or(name)
}

/// Applies the deactivation rename: inactive records carry " (deleted)", reactivated ones lose it.
fn apply_active_suffix(obj: &mut Obj, key: &str, was_active: bool) {
    let active = obj.get("Active").and_then(Value::as_bool).unwrap_or(true);
    let Some(name) = obj.get(key).and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    let new = if !active {
        if name.ends_with(DELETED_SUFFIX) {
            name
        } else {
            format!("{name}{DELETED_SUFFIX}")
        }
    } else if !was_active {
        strip_suffix(&name).to_string()
    } else {
        name
    };
    obj.insert(key.to_string(), Value::from(new));
}

fn check_unique_name(
    store: &Store,
    ti: usize,
    self_id: Option<u64>,
    obj: &Obj,
    key: &str,
) -> Result<(), Fault> {
    if obj.get("Active").and_then(Value::as_bool) == Some(false) {
        return Ok(());
    }
    let Some(name) = obj.get(key).and_then(Value::as_str) else {
        return Ok(());
    };
    match store.name_holder(ti, name) {
        Some((hti, hid)) if !(hti == ti && Some(hid) == self_id) => {
            Err(match store.entity(ti).name {
                "Customer" | "Vendor" | "Employee" => Fault::duplicate_name(),
                "Item" => Fault::duplicate_list_name("product or service"),
                other => Fault::duplicate_list_name(&list_noun(other)),
            })
        }
        _ => Ok(()),
    }
}

/// `PaymentMethod` -> `payment method`: how a duplicate-name detail names the list.
fn list_noun(entity: &str) -> String {
    let mut out = String::with_capacity(entity.len() + 4);
    for (i, c) in entity.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Normalisation: a body's writable fields in, the full stored object (without system fields) out.

fn normalize(
    store: &Store,
    ti: usize,
    mut w: Obj,
    old: Option<&Obj>,
    now: i64,
) -> Result<Obj, Fault> {
    let entity = store.entity(ti);
    let was_active = old
        .and_then(|o| o.get("Active"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    match entity.name {
        "Customer" | "Vendor" => {
            derive_display_name(&mut w)?;
            let active = !matches!(w.get("Active"), Some(Value::Bool(false)));
            w.insert("Active".into(), Value::from(active));
            apply_active_suffix(&mut w, "DisplayName", was_active);
            let balance = old
                .and_then(|o| o.get("Balance"))
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            if entity.name == "Customer" && was_active && !active && round2(balance) != 0.0 {
                return Err(Fault::list_has_balance());
            }
            let dn = w.get("DisplayName").cloned().unwrap_or(Value::Null);
            w.insert("FullyQualifiedName".into(), dn);
            w.insert("Balance".into(), num(balance));
            if entity.name == "Customer" {
                w.insert("BalanceWithJobs".into(), num(balance));
                w.entry("Job").or_insert(Value::Bool(false));
                w.entry("BillWithParent").or_insert(Value::Bool(false));
                w.entry("Taxable").or_insert(Value::Bool(false));
            } else {
                w.entry("Vendor1099").or_insert(Value::Bool(false));
            }
            currency::name_currency(store, ti, &mut w, old)?;
            check_unique_name(store, ti, old_id(old), &w, "DisplayName")?;
        }
        "Item" => {
            if str_field(&w, "Name").is_none() {
                return Err(Fault::required_param("Name"));
            }
            let ty = str_field(&w, "Type").unwrap_or("Service").to_string();
            if !["Service", "NonInventory", "Inventory", "Category", "Group"].contains(&ty.as_str())
            {
                return Err(Fault::invalid_enum("Type", &ty));
            }
            w.insert("Type".into(), Value::from(ty.clone()));
            if let Some(p) = opt_money(&w, "UnitPrice", "UnitPrice")? {
                w.insert("UnitPrice".into(), num(p));
            }
            for (field, required) in [
                ("IncomeAccountRef", ty != "Category" && ty != "Group"),
                ("ExpenseAccountRef", false),
                ("AssetAccountRef", false),
            ] {
                match w.get(field).cloned() {
                    Some(v) if !v.is_null() => {
                        let (id, name) = resolve_ref(store, "Account", &v, field, true)?;
                        w.insert(field.into(), ref_value(id, &name));
                    }
                    _ if required => return Err(Fault::required_param(field)),
                    _ => {}
                }
            }
            let active = !matches!(w.get("Active"), Some(Value::Bool(false)));
            w.insert("Active".into(), Value::from(active));
            apply_active_suffix(&mut w, "Name", was_active);
            let n = w.get("Name").cloned().unwrap_or(Value::Null);
            w.insert("FullyQualifiedName".into(), n);
            w.entry("Taxable").or_insert(Value::Bool(false));
            w.entry("TrackQtyOnHand").or_insert(Value::Bool(false));
            check_unique_name(store, ti, old_id(old), &w, "Name")?;
        }
        "Account" => {
            if str_field(&w, "Name").is_none() {
                return Err(Fault::required_param("Name"));
            }
            let Some(ty) = str_field(&w, "AccountType").map(str::to_string) else {
                return Err(Fault::required_param("AccountType"));
            };
            let class = account_classification(&ty)
                .ok_or_else(|| Fault::invalid_enum("AccountType", &ty))?;
            w.insert("Classification".into(), Value::from(class));
            let active = !matches!(w.get("Active"), Some(Value::Bool(false)));
            w.insert("Active".into(), Value::from(active));
            apply_active_suffix(&mut w, "Name", was_active);
            let n = w.get("Name").cloned().unwrap_or(Value::Null);
            w.insert("FullyQualifiedName".into(), n);
            let bal = old
                .and_then(|o| o.get("CurrentBalance"))
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            w.insert("CurrentBalance".into(), num(bal));
            w.insert("CurrentBalanceWithSubAccounts".into(), num(bal));
            w.entry("SubAccount").or_insert(Value::Bool(false));
            currency::account_currency(store, &mut w, old)?;
            check_unique_name(store, ti, old_id(old), &w, "Name")?;
        }
        "Invoice" | "SalesReceipt" => {
            let is_invoice = entity.name == "Invoice";
            match w.get("CustomerRef").cloned() {
                Some(v) if !v.is_null() => {
                    let (id, name) = resolve_ref(store, "Customer", &v, "CustomerRef", true)?;
                    w.insert("CustomerRef".into(), ref_value(id, &name));
                }
                _ if is_invoice => return Err(Fault::required_param("CustomerRef")),
                _ => {}
            }
            let (subtotal, taxable) = normalize_sales_lines(store, &mut w, false)?;
            let total = round2(subtotal + tax::apply_sales_tax(store, &mut w, old, taxable)?);
            w.insert("TotalAmt".into(), num(total));
            fill_doc_and_dates(store, ti, &mut w, old, now, is_invoice);
            if is_invoice {
                let old_total = old
                    .and_then(|o| o.get("TotalAmt"))
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0);
                let old_bal = old
                    .and_then(|o| o.get("Balance"))
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0);
                let applied = round2(old_total - old_bal);
                if total + 0.005 < applied {
                    return Err(Fault::business(
                        "The invoice total cannot be less than the payments applied to it.",
                    ));
                }
                w.insert("Balance".into(), num(total - applied));
                let linked = old
                    .and_then(|o| o.get("LinkedTxn"))
                    .cloned()
                    .unwrap_or_else(|| json!([]));
                w.insert("LinkedTxn".into(), linked);
            } else {
                w.insert("Balance".into(), num(0.0));
                default_deposit_account(store, &mut w)?;
            }
        }
        "Payment" => {
            match w.get("CustomerRef").cloned() {
                Some(v) if !v.is_null() => {
                    let (id, name) = resolve_ref(store, "Customer", &v, "CustomerRef", true)?;
                    w.insert("CustomerRef".into(), ref_value(id, &name));
                }
                _ => return Err(Fault::required_param("CustomerRef")),
            }
            let Some(total) = opt_money(&w, "TotalAmt", "TotalAmt")? else {
                return Err(Fault::required_param("TotalAmt"));
            };
            if total < 0.0 {
                return Err(Fault::business("The payment amount cannot be negative."));
            }
            w.insert("TotalAmt".into(), num(total));
            let sums = normalize_linked_lines(&mut w, &["Invoice", "CreditMemo"])?;
            let applied = sums.get("Invoice").copied().unwrap_or(0.0);
            let unapplied = match sums.get("CreditMemo").copied() {
                // QuickBooks' rule for a payment that uses credits: the invoice lines are paid
                // by the money received plus the credits, exactly ([sim] wording).
                Some(credits) => {
                    if (applied - (total + credits)).abs() > 0.005 {
                        return Err(Fault::business(format!(
                            "The amount applied to invoices ({applied:.2}) must equal the payment amount ({total:.2}) plus the credits applied ({credits:.2})."
                        )));
                    }
                    0.0
                }
                None => {
                    if applied > total + 0.005 {
                        return Err(Fault::business(
                            "The amount applied to transactions exceeds the payment amount.",
                        ));
                    }
                    total - applied
                }
            };
            w.insert("UnappliedAmt".into(), num(unapplied));
            if str_field(&w, "TxnDate").is_none() {
                w.insert("TxnDate".into(), Value::from(local_date(now)));
            }
            default_deposit_account(store, &mut w)?;
            w.entry("ProcessPayment").or_insert(Value::Bool(false));
        }
        _ => {
            if !singletons::normalize(store, ti, &mut w, old)?
                && !lists::normalize(store, ti, &mut w, old, was_active)?
                && !txns::normalize(store, ti, &mut w, old, now)?
            {
                normalize_generic(store, ti, &mut w, old, was_active, now)?;
            }
        }
    }
    // After the entity's own rules (TotalAmt, Balance, TxnDate are set).
    currency::txn_currency(store, entity.name, &mut w, now)?;
    Ok(w)
}

/// Fills a missing DisplayName of a customer, vendor or employee from the name parts (then
/// CompanyName); 2020 when there is nothing to derive it from.
fn derive_display_name(w: &mut Obj) -> Result<(), Fault> {
    if str_field(w, "DisplayName").is_some() {
        return Ok(());
    }
    let parts: Vec<&str> = ["Title", "GivenName", "MiddleName", "FamilyName", "Suffix"]
        .iter()
        .filter_map(|f| str_field(w, f))
        .collect();
    let derived = if parts.is_empty() {
        str_field(w, "CompanyName").map(str::to_string)
    } else {
        Some(parts.join(" "))
    };
    match derived {
        Some(d) => {
            w.insert("DisplayName".into(), Value::from(d));
            Ok(())
        }
        None => Err(Fault::new(
            400,
            "ValidationFault",
            "2020",
            "Required param missing",
            "Required parameter : Missing required parameter : At least one of the name elements is required: Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix",
            Some(""),
        )),
    }
}

fn old_id(old: Option<&Obj>) -> Option<u64> {
    old.and_then(|o| o.get("Id"))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// Entities the catalogue may add later get the generic rules of their kind.
fn normalize_generic(
    store: &Store,
    ti: usize,
    w: &mut Obj,
    old: Option<&Obj>,
    was_active: bool,
    now: i64,
) -> Result<(), Fault> {
    let entity = store.entity(ti);
    if entity.is_name_list() {
        let key = entity.natural_key.unwrap_or("Name");
        if str_field(w, key).is_none() {
            return Err(Fault::required_param(key));
        }
        let active = !matches!(w.get("Active"), Some(Value::Bool(false)));
        w.insert("Active".into(), Value::from(active));
        apply_active_suffix(w, key, was_active);
        check_unique_name(store, ti, old_id(old), w, key)?;
    } else {
        if w.contains_key("Line") {
            let mut total = 0.0;
            if let Some(Value::Array(lines)) = w.get("Line") {
                for l in lines {
                    if let Some(a) = l.get("Amount") {
                        total += money(a, "Line.Amount")?;
                    }
                }
            }
            w.insert("TotalAmt".into(), num(total));
        }
        if str_field(w, "TxnDate").is_none() {
            w.insert("TxnDate".into(), Value::from(local_date(now)));
        }
    }
    Ok(())
}

fn account_classification(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "Bank" | "Other Current Asset" | "Fixed Asset" | "Other Asset" | "Accounts Receivable" => {
            "Asset"
        }
        "Equity" => "Equity",
        "Expense" | "Other Expense" | "Cost of Goods Sold" => "Expense",
        "Accounts Payable" | "Credit Card" | "Long Term Liability" | "Other Current Liability" => {
            "Liability"
        }
        "Income" | "Other Income" => "Revenue",
        _ => return None,
    })
}

fn default_deposit_account(store: &Store, w: &mut Obj) -> Result<(), Fault> {
    match w.get("DepositToAccountRef").cloned() {
        Some(v) if !v.is_null() => {
            let (id, name) = resolve_ref(store, "Account", &v, "DepositToAccountRef", true)?;
            w.insert("DepositToAccountRef".into(), ref_value(id, &name));
        }
        _ => {
            if let Some((id, name)) = account_named(store, "Undeposited Funds") {
                w.insert("DepositToAccountRef".into(), ref_value(id, &name));
            }
        }
    }
    Ok(())
}

fn fill_doc_and_dates(
    store: &Store,
    ti: usize,
    w: &mut Obj,
    old: Option<&Obj>,
    now: i64,
    due: bool,
) {
    if str_field(w, "DocNumber").is_none() {
        // [sim] a full update without DocNumber keeps the old number; a create gets the next one
        // (the counter itself is advanced by the caller).
        let doc = old
            .and_then(|o| o.get("DocNumber"))
            .cloned()
            .unwrap_or(Value::Null);
        if !doc.is_null() {
            w.insert("DocNumber".into(), doc);
        } else {
            w.insert("DocNumber".into(), Value::from(format!("__AUTO__{ti}")));
        }
    }
    let _ = store;
    if str_field(w, "TxnDate").is_none() {
        w.insert("TxnDate".into(), Value::from(local_date(now)));
    }
    if due && str_field(w, "DueDate").is_none() {
        let txn = w
            .get("TxnDate")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let due_date = chrono::NaiveDate::parse_from_str(&txn, "%Y-%m-%d")
            .map(|d| {
                (d + chrono::Duration::days(30))
                    .format("%Y-%m-%d")
                    .to_string()
            })
            .unwrap_or_else(|_| local_date(now + 30 * 86400));
        w.insert("DueDate".into(), Value::from(due_date));
    }
}

/// Validates and renumbers sales lines, appends the subtotal line, returns the total and the
/// amount of the taxable (`TaxCodeRef` `TAX`) item lines. With `require_item` every
/// `SalesItemLineDetail` line needs an `ItemRef` and there must be at least one such line
/// (estimates, credit memos, refund receipts); invoices and sales receipts stay lenient.
fn normalize_sales_lines(
    store: &Store,
    w: &mut Obj,
    require_item: bool,
) -> Result<(f64, f64), Fault> {
    let lines = match w.get("Line") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => return Err(Fault::unsupported_property("Line")),
    };
    let mut out = Vec::with_capacity(lines.len() + 1);
    let mut total = 0.0;
    let mut taxable = 0.0;
    let mut n = 0;
    let mut item_lines = 0;
    for line in lines {
        let Value::Object(mut l) = line else {
            return Err(Fault::unsupported_property("Line"));
        };
        let Some(dt) = str_field(&l, "DetailType").map(str::to_string) else {
            return Err(Fault::required_param("Line.DetailType"));
        };
        let amount = match dt.as_str() {
            "SubTotalLineDetail" => continue,
            "SalesItemLineDetail" | "GroupLineDetail" => {
                let mut detail = match l.get(&dt) {
                    Some(Value::Object(d)) => d.clone(),
                    _ => Map::new(),
                };
                let qty = opt_money(&detail, "Qty", "Line.SalesItemLineDetail.Qty")?;
                let price = opt_money(&detail, "UnitPrice", "Line.SalesItemLineDetail.UnitPrice")?;
                if let Some(q) = qty {
                    detail.insert("Qty".into(), Value::from(q));
                }
                if let Some(p) = price {
                    detail.insert("UnitPrice".into(), Value::from(p));
                }
                if let Some(item) = detail.get("ItemRef").cloned().filter(|v| !v.is_null()) {
                    let (id, name) = resolve_ref(
                        store,
                        "Item",
                        &item,
                        "Line.SalesItemLineDetail.ItemRef",
                        true,
                    )?;
                    detail.insert("ItemRef".into(), ref_value(id, &name));
                    item_lines += 1;
                } else if require_item && dt == "SalesItemLineDetail" {
                    return Err(Fault::required_param("Line.SalesItemLineDetail.ItemRef"));
                }
                let amount = match opt_money(&l, "Amount", "Line.Amount")? {
                    Some(a) => a,
                    None => match (qty, price) {
                        (Some(q), Some(p)) => q * p,
                        _ => return Err(Fault::required_param("Line.Amount")),
                    },
                };
                if dt == "SalesItemLineDetail" && tax::line_tax_code(&mut detail)? {
                    taxable += amount;
                }
                l.insert(dt.clone(), Value::Object(detail));
                amount
            }
            "DescriptionOnly" => opt_money(&l, "Amount", "Line.Amount")?.unwrap_or(0.0),
            "DiscountLineDetail" => -opt_money(&l, "Amount", "Line.Amount")?.unwrap_or(0.0).abs(),
            other => return Err(Fault::invalid_enum("Line.DetailType", other)),
        };
        n += 1;
        l.insert("Id".into(), Value::from(n.to_string()));
        l.insert("LineNum".into(), Value::from(n));
        l.insert("Amount".into(), num(amount.abs()));
        total += amount;
        out.push(Value::Object(l));
    }
    if n == 0 || (require_item && item_lines == 0) {
        return Err(Fault::required_param("Line"));
    }
    out.push(
        json!({"Amount": num(total), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}),
    );
    w.insert("Line".into(), Value::Array(out));
    Ok((round2(total), round2(taxable)))
}

/// Validates the lines of a payment (types "Invoice", "CreditMemo") or bill payment ("Bill"),
/// shape only: an Amount and `LinkedTxn` entries of one of `types` each (all of a line's
/// entries of one type, else 2170). Returns the amount per linked type present.
fn normalize_linked_lines(w: &mut Obj, types: &[&str]) -> Result<BTreeMap<String, f64>, Fault> {
    let lines = match w.get("Line") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => return Err(Fault::unsupported_property("Line")),
    };
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let Value::Object(mut l) = line else {
            return Err(Fault::unsupported_property("Line"));
        };
        let Some(amount) = opt_money(&l, "Amount", "Line.Amount")? else {
            return Err(Fault::required_param("Line.Amount"));
        };
        if amount < 0.0 {
            return Err(Fault::business("A payment line amount cannot be negative."));
        }
        let linked = match l.get("LinkedTxn") {
            Some(Value::Array(a)) if !a.is_empty() => a.clone(),
            Some(Value::Object(o)) => vec![Value::Object(o.clone())],
            _ => return Err(Fault::required_param("Line.LinkedTxn")),
        };
        let mut norm = Vec::new();
        let mut line_type: Option<&str> = None;
        for lt in linked {
            let ty = lt.get("TxnType").and_then(Value::as_str).unwrap_or("");
            let Some(ty) = types.iter().copied().find(|t| *t == ty) else {
                return Err(Fault::invalid_enum("Line.LinkedTxn.TxnType", ty));
            };
            if line_type.is_some_and(|first| first != ty) {
                return Err(Fault::invalid_enum("Line.LinkedTxn.TxnType", ty));
            }
            line_type = Some(ty);
            let id = lt
                .get("TxnId")
                .map(parse_id)
                .transpose()
                .map_err(|_| Fault::invalid_reference("Line.LinkedTxn.TxnId"))?;
            let Some(id) = id else {
                return Err(Fault::required_param("Line.LinkedTxn.TxnId"));
            };
            norm.push(json!({"TxnId": id.to_string(), "TxnType": ty}));
        }
        l.insert("LinkedTxn".into(), Value::Array(norm));
        l.insert("Amount".into(), num(amount));
        if let Some(ty) = line_type {
            *sums.entry(ty.to_string()).or_insert(0.0) += amount;
        }
        out.push(Value::Object(l));
    }
    w.insert("Line".into(), Value::Array(out));
    for v in sums.values_mut() {
        *v = round2(*v);
    }
    Ok(sums)
}

/// The linked type of a payment line (its first `LinkedTxn`'s TxnType).
fn line_type(l: &Value) -> Option<&str> {
    l.get("LinkedTxn")?
        .as_array()?
        .first()?
        .get("TxnType")?
        .as_str()
}

/// Applications of a payment or bill payment object: linked txn id -> amount, over every line.
fn applications(obj: &Obj) -> BTreeMap<u64, f64> {
    applications_where(obj, |_| true)
}

/// Applications of a payment object to transactions of one type (`Invoice`, `CreditMemo`).
fn applications_of(obj: &Obj, txn_type: &str) -> BTreeMap<u64, f64> {
    applications_where(obj, |l| line_type(l) == Some(txn_type))
}

fn applications_where(obj: &Obj, keep: impl Fn(&Value) -> bool) -> BTreeMap<u64, f64> {
    let mut out = BTreeMap::new();
    if let Some(Value::Array(lines)) = obj.get("Line") {
        for l in lines.iter().filter(|l| keep(l)) {
            let amount = l.get("Amount").and_then(Value::as_f64).unwrap_or(0.0);
            if let Some(Value::Array(lts)) = l.get("LinkedTxn") {
                if let Some(id) = lts.iter().find_map(|lt| {
                    lt.get("TxnId")
                        .and_then(Value::as_str)
                        .and_then(|s| s.parse::<u64>().ok())
                }) {
                    *out.entry(id).or_insert(0.0) += amount;
                }
            }
        }
    }
    out
}

fn customer_of(obj: &Obj) -> Option<u64> {
    obj.get("CustomerRef")
        .and_then(|r| r.get("value"))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// Checks a payment's new applications against the invoices (open balance plus what this
/// payment already applied, same customer) and its credits against the credit memos (remaining
/// credit plus what this payment already used, same customer). `old` is the stored payment on
/// an update.
fn check_applications(store: &Store, new: &Obj, old: Option<&Obj>) -> Result<(), Fault> {
    let cust = customer_of(new);
    for (ty, field, what) in [
        ("Invoice", "Balance", "open balance"),
        ("CreditMemo", "RemainingCredit", "remaining credit"),
    ] {
        let Some(ti) = store.table_index(ty) else {
            continue;
        };
        let old_apps = old.map(|o| applications_of(o, ty)).unwrap_or_default();
        for (txn, amt) in applications_of(new, ty) {
            let rec = match store.get(ti, txn) {
                Some(r) if r.deleted => return Err(Fault::deleted_txn()),
                Some(r) => r,
                None => return Err(Fault::invalid_reference("Line.LinkedTxn.TxnId")),
            };
            let noun = if ty == "Invoice" {
                "Invoice"
            } else {
                "Credit memo"
            };
            if customer_of(&rec.obj) != cust {
                return Err(Fault::business(format!(
                    "{noun} {txn} belongs to another customer."
                )));
            }
            let open = rec.obj.get(field).and_then(Value::as_f64).unwrap_or(0.0)
                + old_apps.get(&txn).copied().unwrap_or(0.0);
            if amt > open + 0.005 {
                return Err(Fault::business(if ty == "Invoice" {
                    format!(
                        "The payment amount applied to invoice {txn} exceeds its {what} of {:.2}.",
                        round2(open)
                    )
                } else {
                    format!(
                        "The credit applied from credit memo {txn} exceeds its {what} of {:.2}.",
                        round2(open)
                    )
                }));
            }
        }
    }
    Ok(())
}

/// Adds `delta` to a customer's Balance in place ([sim] a derived change: no new SyncToken).
fn adjust_customer_balance(store: &mut Store, cust: Option<u64>, delta: f64) {
    adjust_balance_in_place(store, "Customer", cust, delta);
}

/// Adds `delta` to a name's Balance (and BalanceWithJobs, where the entity has it) in place:
/// [sim] a derived change, so no new SyncToken or LastUpdatedTime.
pub(super) fn adjust_balance_in_place(
    store: &mut Store,
    entity: &str,
    id: Option<u64>,
    delta: f64,
) {
    if delta.abs() < 0.0001 {
        return;
    }
    let (Some(id), Some(ti)) = (id, store.table_index(entity)) else {
        return;
    };
    let Some(rec) = store.tables[ti].rows.get(&id) else {
        return;
    };
    let mut obj = rec.obj.clone();
    let bal = obj.get("Balance").and_then(Value::as_f64).unwrap_or(0.0) + delta;
    obj.insert("Balance".into(), num(bal));
    if entity == "Customer" {
        obj.insert("BalanceWithJobs".into(), num(bal));
    }
    store.put_in_place(ti, id, obj);
}

/// Replaces payment `pid`'s back-link in a transaction's LinkedTxn (kept only when
/// `keep_link`), then stores the object with a new SyncToken and LastUpdatedTime if anything
/// really changed.
#[allow(clippy::too_many_arguments)]
pub(super) fn relink_and_store(
    store: &mut Store,
    ti: usize,
    id: u64,
    mut obj: Obj,
    pid: u64,
    link_type: &str,
    keep_link: bool,
    now: i64,
) {
    let pid_s = pid.to_string();
    let mut links: Vec<Value> = match obj.get("LinkedTxn") {
        Some(Value::Array(a)) => a
            .iter()
            .filter(|l| l.get("TxnId").and_then(Value::as_str) != Some(pid_s.as_str()))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    if keep_link {
        links.push(json!({"TxnId": pid_s, "TxnType": link_type}));
    }
    obj.insert("LinkedTxn".into(), Value::Array(links));
    currency::refresh_home_amounts(&mut obj);
    let changed = store.tables[ti].rows.get(&id).is_none_or(|r| r.obj != obj);
    if changed {
        bump(&mut obj, now);
        store.put(ti, id, obj, now);
    }
}

/// Moves an invoice's Balance by `-(new_amt - old_amt)` for payment `pid`, keeps its LinkedTxn
/// list, and (a real change) bumps its SyncToken and LastUpdatedTime.
fn apply_to_invoice(
    store: &mut Store,
    inv: u64,
    pid: u64,
    old_amt: f64,
    new_amt: f64,
    keep_link: bool,
    now: i64,
) {
    let Some(ti) = store.table_index("Invoice") else {
        return;
    };
    let Some(rec) = store.tables[ti].rows.get(&inv).filter(|r| !r.deleted) else {
        return;
    };
    let mut obj = rec.obj.clone();
    let cust = customer_of(&obj);
    let delta = new_amt - old_amt;
    let bal = obj.get("Balance").and_then(Value::as_f64).unwrap_or(0.0) - delta;
    obj.insert("Balance".into(), num(bal));
    relink_and_store(store, ti, inv, obj, pid, "Payment", keep_link, now);
    adjust_customer_balance(store, cust, -delta);
}

/// Moves a credit memo's RemainingCredit (and Balance) by `-(new_amt - old_amt)` for payment
/// `pid`, keeps its LinkedTxn list, and (a real change) bumps its SyncToken and
/// LastUpdatedTime. [sim] The customer's Balance does not move (open invoices only).
fn apply_to_credit_memo(
    store: &mut Store,
    cm: u64,
    pid: u64,
    old_amt: f64,
    new_amt: f64,
    keep_link: bool,
    now: i64,
) {
    let Some(ti) = store.table_index("CreditMemo") else {
        return;
    };
    let Some(rec) = store.tables[ti].rows.get(&cm).filter(|r| !r.deleted) else {
        return;
    };
    let mut obj = rec.obj.clone();
    let delta = new_amt - old_amt;
    let remaining = obj
        .get("RemainingCredit")
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
        - delta;
    obj.insert("RemainingCredit".into(), num(remaining));
    obj.insert("Balance".into(), num(remaining));
    relink_and_store(store, ti, cm, obj, pid, "Payment", keep_link, now);
}

/// Side effects of a payment going from `old` to `new` (create, update, void, delete) on the
/// transactions of one linked type.
fn apply_payment_change_of(
    store: &mut Store,
    txn_type: &str,
    pid: u64,
    old: Option<&Obj>,
    new: Option<&Obj>,
    now: i64,
) {
    let old_apps = old
        .map(|o| applications_of(o, txn_type))
        .unwrap_or_default();
    let new_apps = new
        .map(|o| applications_of(o, txn_type))
        .unwrap_or_default();
    let mut txns: Vec<u64> = old_apps.keys().chain(new_apps.keys()).copied().collect();
    txns.sort_unstable();
    txns.dedup();
    for txn in txns {
        let o = old_apps.get(&txn).copied().unwrap_or(0.0);
        let n = new_apps.get(&txn).copied().unwrap_or(0.0);
        let keep = n > 0.0;
        let had = o > 0.0;
        if (o - n).abs() > 0.0001 || keep != had {
            if txn_type == "Invoice" {
                apply_to_invoice(store, txn, pid, o, n, keep, now);
            } else {
                apply_to_credit_memo(store, txn, pid, o, n, keep, now);
            }
        }
    }
}

fn apply_payment_change(
    store: &mut Store,
    pid: u64,
    old: Option<&Obj>,
    new: Option<&Obj>,
    now: i64,
) {
    apply_payment_change_of(store, "Invoice", pid, old, new, now);
    apply_payment_change_of(store, "CreditMemo", pid, old, new, now);
}

/// Ids of the payments a transaction's `LinkedTxn` names.
fn linked_payments(obj: &Obj) -> Vec<u64> {
    match obj.get("LinkedTxn") {
        Some(Value::Array(a)) => a
            .iter()
            .filter(|l| l.get("TxnType").and_then(Value::as_str) == Some("Payment"))
            .filter_map(|l| {
                l.get("TxnId")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse().ok())
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Keeps the payment's lines that do not link `txn`.
fn drop_lines_linking(obj: &mut Obj, txn: u64) {
    let txn_s = txn.to_string();
    let lines: Vec<Value> = match obj.get("Line") {
        Some(Value::Array(a)) => a
            .iter()
            .filter(|l| {
                !l.get("LinkedTxn")
                    .and_then(Value::as_array)
                    .is_some_and(|lts| {
                        lts.iter().any(|lt| {
                            lt.get("TxnId").and_then(Value::as_str) == Some(txn_s.as_str())
                        })
                    })
            })
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    obj.insert("Line".into(), Value::Array(lines));
}

/// Takes `excess` off the payment's lines of `txn_type`, last line first (a line brought to 0
/// goes).
fn shrink_lines(obj: &mut Obj, txn_type: &str, mut excess: f64) {
    let Some(Value::Array(lines)) = obj.get_mut("Line") else {
        return;
    };
    for i in (0..lines.len()).rev() {
        if excess <= 0.0001 {
            break;
        }
        if line_type(&lines[i]) != Some(txn_type) {
            continue;
        }
        let amt = lines[i]
            .get("Amount")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let cut = amt.min(excess);
        excess = round2(excess - cut);
        if amt - cut <= 0.0001 {
            lines.remove(i);
        } else if let Some(l) = lines[i].as_object_mut() {
            l.insert("Amount".into(), num(amt - cut));
        }
    }
}

fn sum_of(obj: &Obj, txn_type: &str) -> f64 {
    round2(applications_of(obj, txn_type).values().sum())
}

/// UnappliedAmt of a payment: TotalAmt less the invoice lines plus the credits used.
fn set_unapplied(obj: &mut Obj) {
    let total = obj.get("TotalAmt").and_then(Value::as_f64).unwrap_or(0.0);
    let unapplied = total - sum_of(obj, "Invoice") + sum_of(obj, "CreditMemo");
    obj.insert("UnappliedAmt".into(), num(unapplied.max(0.0)));
}

/// Removes an invoice from every payment applied to it (on invoice delete or void): the
/// payments' lines for it go, their UnappliedAmt grows. [sim] A payment that also used credit
/// memos keeps only the credit its remaining invoice lines still need (credit lines shrink,
/// last first), and those credit memos get the rest of their credit back.
fn unlink_invoice(store: &mut Store, inv: u64, inv_obj: &Obj, now: i64) {
    let Some(pti) = store.table_index("Payment") else {
        return;
    };
    for pid in linked_payments(inv_obj) {
        let Some(rec) = store.tables[pti].rows.get(&pid).filter(|r| !r.deleted) else {
            continue;
        };
        let old = rec.obj.clone();
        let mut obj = old.clone();
        drop_lines_linking(&mut obj, inv);
        let total = obj.get("TotalAmt").and_then(Value::as_f64).unwrap_or(0.0);
        let needed = (sum_of(&obj, "Invoice") - total).max(0.0);
        let excess = round2(sum_of(&obj, "CreditMemo") - needed);
        if excess > 0.0 {
            shrink_lines(&mut obj, "CreditMemo", excess);
        }
        set_unapplied(&mut obj);
        bump(&mut obj, now);
        store.put(pti, pid, obj.clone(), now);
        apply_payment_change_of(store, "CreditMemo", pid, Some(&old), Some(&obj), now);
    }
}

/// Removes a deleted credit memo from every payment that used it, as `unlink_invoice` does for
/// invoices: the payments' lines for it go and they get a new SyncToken. [sim] The credit no
/// longer pays anything, so the invoice lines it funded shrink by as much (last first) and those
/// invoices (and their customers) get that balance back.
fn unlink_credit_memo(store: &mut Store, cm: u64, cm_obj: &Obj, now: i64) {
    let Some(pti) = store.table_index("Payment") else {
        return;
    };
    for pid in linked_payments(cm_obj) {
        let Some(rec) = store.tables[pti].rows.get(&pid).filter(|r| !r.deleted) else {
            continue;
        };
        let old = rec.obj.clone();
        let mut obj = old.clone();
        drop_lines_linking(&mut obj, cm);
        let total = obj.get("TotalAmt").and_then(Value::as_f64).unwrap_or(0.0);
        let excess = round2(sum_of(&obj, "Invoice") - total - sum_of(&obj, "CreditMemo"));
        if excess > 0.0 {
            shrink_lines(&mut obj, "Invoice", excess);
        }
        set_unapplied(&mut obj);
        bump(&mut obj, now);
        store.put(pti, pid, obj.clone(), now);
        apply_payment_change_of(store, "Invoice", pid, Some(&old), Some(&obj), now);
    }
}

/// SyncToken + 1 and a new LastUpdatedTime.
fn bump(obj: &mut Obj, now: i64) {
    let st = obj
        .get("SyncToken")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    obj.insert("SyncToken".into(), Value::from((st + 1).to_string()));
    let create = obj
        .get("MetaData")
        .and_then(|m| m.get("CreateTime"))
        .cloned()
        .unwrap_or_else(|| Value::from(meta_time(now)));
    obj.insert(
        "MetaData".into(),
        json!({"CreateTime": create, "LastUpdatedTime": meta_time(now)}),
    );
}

fn writable(store: &Store, ti: usize, obj: &Obj) -> Obj {
    let computed = computed_fields(store.entity(ti).name);
    obj.iter()
        .filter(|(k, _)| {
            !SYSTEM_FIELDS.contains(&k.as_str())
                && !computed.contains(&k.as_str())
                && !currency::HOME_FIELDS.contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn finish_doc_number(store: &mut Store, ti: usize, obj: &mut Obj) {
    let marker = format!("__AUTO__{ti}");
    if obj.get("DocNumber").and_then(Value::as_str) == Some(marker.as_str()) {
        let n = store.next_doc_number(ti);
        obj.insert("DocNumber".into(), Value::from(n.to_string()));
    }
}

/// Side effects of replacing `old` by `new` (either may be absent): payment applications and
/// customer balances.
fn side_effects(
    store: &mut Store,
    ti: usize,
    id: u64,
    old: Option<&Obj>,
    new: Option<&Obj>,
    now: i64,
) {
    match store.entity(ti).name {
        "Payment" => apply_payment_change(store, id, old, new, now),
        "BillPayment" => txns::apply_bill_payment_change(store, id, old, new, now),
        "Bill" => txns::bill_side_effects(store, old, new),
        "Preferences" => {
            let on = |o: Option<&Obj>| {
                o.and_then(|o| o.get("CurrencyPrefs"))
                    .and_then(|c| c.get("MultiCurrencyEnabled"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            };
            if on(new) && !on(old) {
                currency::backfill_exchange_rates(store);
            }
        }
        "Invoice" => {
            let bal = |o: Option<&Obj>| {
                o.and_then(|o| o.get("Balance"))
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0)
            };
            let oc = old.and_then(customer_of);
            let nc = new.and_then(customer_of);
            if oc == nc {
                adjust_customer_balance(store, nc, bal(new) - bal(old));
            } else {
                adjust_customer_balance(store, oc, -bal(old));
                adjust_customer_balance(store, nc, bal(new));
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Operations.

/// Creates an object from a request body; returns the stored object.
pub fn create(store: &mut Store, ti: usize, body: Obj, now: i64) -> Result<Obj, Fault> {
    let entity = store.entity(ti);
    if entity.kind == EntityKind::Singleton {
        // The one object is made with the company (`seed_singleton`); not even a QuickBooks
        // user makes a second one.
        return Err(Fault::unsupported_entity_operation("Create", entity.name));
    }
    reject_wrapper(store, ti, &body)?;
    let w = writable(store, ti, &body);
    let mut obj = normalize(store, ti, w, None, now)?;
    if store.entity(ti).name == "Payment" {
        check_applications(store, &obj, None)?;
    }
    finish_doc_number(store, ti, &mut obj);
    let id = store.alloc_id();
    obj.insert("domain".into(), Value::from("QBO"));
    obj.insert("sparse".into(), Value::Bool(false));
    obj.insert("Id".into(), Value::from(id.to_string()));
    obj.insert("SyncToken".into(), Value::from("0"));
    obj.insert(
        "MetaData".into(),
        json!({"CreateTime": meta_time(now), "LastUpdatedTime": meta_time(now)}),
    );
    store.put(ti, id, obj.clone(), now);
    side_effects(store, ti, id, None, Some(&obj), now);
    Ok(store.live(ti, id).map(|r| r.obj.clone()).unwrap_or(obj))
}

/// Looks up the object an update/delete/void body names, checking Id, SyncToken and staleness.
fn target(store: &Store, ti: usize, body: &Obj) -> Result<(u64, Obj), Fault> {
    let id = match body.get("Id") {
        None | Some(Value::Null) => return Err(Fault::required_param("Id")),
        Some(v) => parse_id(v)?,
    };
    let st = sync_token(body)?;
    let rec = match store.get(ti, id) {
        Some(r) if !r.deleted => r,
        _ => return Err(not_found(store, ti)),
    };
    let current = rec
        .obj
        .get("SyncToken")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    if st != current {
        return Err(Fault::stale_object());
    }
    Ok((id, rec.obj.clone()))
}

/// Full or sparse update (per `"sparse":true` in the body). A no-op returns the object unchanged.
pub fn update(store: &mut Store, ti: usize, body: Obj, now: i64) -> Result<Obj, Fault> {
    reject_wrapper(store, ti, &body)?;
    let (id, old) = target(store, ti, &body)?;
    let sparse = body.get("sparse").and_then(Value::as_bool).unwrap_or(false);
    let incoming = writable(store, ti, &body);
    let w = if sparse {
        let mut base = writable(store, ti, &old);
        for (k, v) in incoming {
            base.insert(k, v);
        }
        base
    } else {
        incoming
    };
    let mut new = normalize(store, ti, w, Some(&old), now)?;
    if store.entity(ti).name == "Payment" {
        check_applications(store, &new, Some(&old))?;
    }
    finish_doc_number(store, ti, &mut new);
    for k in SYSTEM_FIELDS {
        if let Some(v) = old.get(*k) {
            new.insert((*k).to_string(), v.clone());
        }
    }
    if new == old {
        return Ok(old);
    }
    bump(&mut new, now);
    store.put(ti, id, new.clone(), now);
    side_effects(store, ti, id, Some(&old), Some(&new), now);
    Ok(store.live(ti, id).map(|r| r.obj.clone()).unwrap_or(new))
}

/// Deletes a transaction; returns the `{"domain","status","Id"}` stub.
pub fn delete(store: &mut Store, ti: usize, body: Obj, now: i64) -> Result<Value, Fault> {
    let entity = store.entity(ti);
    if entity.delete_style() != DeleteStyle::Delete {
        return Err(Fault::unsupported_entity_operation("Delete", entity.name));
    }
    let (id, old) = target(store, ti, &body)?;
    match store.entity(ti).name {
        "Invoice" => unlink_invoice(store, id, &old, now),
        // [sim] like an invoice: the payments lose their lines for it (and the invoice lines
        // the credit paid), see `unlink_credit_memo`.
        "CreditMemo" => unlink_credit_memo(store, id, &old, now),
        // [sim] like an invoice: the bill payments lose their lines for it (the money stays
        // paid out, unapplied) and get a new SyncToken.
        "Bill" => txns::unlink_bill(store, id, &old, now),
        _ => {}
    }
    let old = store.live(ti, id).map(|r| r.obj.clone()).unwrap_or(old);
    store.tombstone(ti, id, now);
    side_effects(store, ti, id, Some(&old), None, now);
    Ok(json!({"domain": "QBO", "status": "Deleted", "Id": id.to_string()}))
}

/// Voids per the entity's void style; `style` is how the request asked.
pub fn void(
    store: &mut Store,
    ti: usize,
    body: Obj,
    style: VoidStyle,
    now: i64,
) -> Result<Obj, Fault> {
    let entity = store.entity(ti);
    if entity.void == VoidStyle::None || entity.void != style {
        return Err(Fault::unsupported_entity_operation("Void", entity.name));
    }
    let (id, old) = target(store, ti, &body)?;
    let mut new = old.clone();
    let zero_lines = |obj: &mut Obj, keep_subtotal: bool| {
        if let Some(Value::Array(lines)) = obj.get_mut("Line") {
            for l in lines.iter_mut() {
                if let Some(m) = l.as_object_mut() {
                    if m.get("DetailType").and_then(Value::as_str) == Some("SubTotalLineDetail")
                        && !keep_subtotal
                    {
                        continue;
                    }
                    m.insert("Amount".into(), num(0.0));
                    for detail in ["SalesItemLineDetail", "GroupLineDetail"] {
                        if let Some(Value::Object(d)) = m.get_mut(detail) {
                            if d.contains_key("Qty") {
                                d.insert("Qty".into(), Value::from(0));
                            }
                        }
                    }
                }
            }
        }
    };
    match style {
        VoidStyle::OperationVoid => {
            if old.get("PrivateNote").and_then(Value::as_str) == Some("Voided")
                && old.get("TotalAmt").and_then(Value::as_f64) == Some(0.0)
            {
                return Ok(old);
            }
            unlink_invoice(store, id, &old, now);
            zero_lines(&mut new, true);
            new.insert("TotalAmt".into(), num(0.0));
            new.insert("Balance".into(), num(0.0));
            new.insert("LinkedTxn".into(), json!([]));
            new.insert("PrivateNote".into(), Value::from("Voided"));
        }
        VoidStyle::UpdateIncludeVoid => {
            let note = old.get("PrivateNote").and_then(Value::as_str).unwrap_or("");
            // A $0 payment (a credit memo applied) is not voided until its lines are zero too.
            let lines_zero = old.get("Line").and_then(Value::as_array).is_none_or(|ls| {
                ls.iter()
                    .all(|l| l.get("Amount").and_then(Value::as_f64).unwrap_or(0.0) == 0.0)
            });
            if note.starts_with("Voided")
                && old.get("TotalAmt").and_then(Value::as_f64) == Some(0.0)
                && lines_zero
            {
                return Ok(old);
            }
            zero_lines(&mut new, true);
            new.insert("TotalAmt".into(), num(0.0));
            if entity.name == "BillPayment" {
                // §3.5: "BillPayment lines cleared"; the bills get their balances back
                // through the side effects below.
                new.insert("Line".into(), json!([]));
            }
            if new.contains_key("UnappliedAmt") {
                new.insert("UnappliedAmt".into(), num(0.0));
            }
            if new.contains_key("Balance") {
                new.insert("Balance".into(), num(0.0));
            }
            // [sim] "Voided" then a space before any existing memo.
            let voided = if note.is_empty() {
                "Voided".to_string()
            } else {
                format!("Voided {note}")
            };
            new.insert("PrivateNote".into(), Value::from(voided));
        }
        VoidStyle::None => return Err(Fault::unsupported_entity_operation("Void", entity.name)),
    }
    tax::zero_tax(&mut new);
    currency::refresh_home_amounts(&mut new);
    let old = store.live(ti, id).map(|r| r.obj.clone()).unwrap_or(old);
    bump(&mut new, now);
    store.put(ti, id, new.clone(), now);
    side_effects(store, ti, id, Some(&old), Some(&new), now);
    Ok(store.live(ti, id).map(|r| r.obj.clone()).unwrap_or(new))
}

/// Reads an object by Id: 2030 for a bad Id, 610 for a missing or deleted one.
pub fn read(store: &Store, ti: usize, id: &str) -> Result<Obj, Fault> {
    let id = id
        .trim()
        .parse::<u64>()
        .map_err(|_| Fault::invalid_id(id))?;
    match store.get(ti, id) {
        Some(r) if !r.deleted => Ok(r.obj.clone()),
        _ => Err(not_found(store, ti)),
    }
}

/// Inserts the one object of a singleton (CompanyInfo, Preferences) as-is, with `Id` "1" in its
/// own table (the realm's Id sequence does not move).
pub fn seed_singleton(store: &mut Store, ti: usize, mut obj: Obj, created: i64) {
    let id = crate::store::SINGLETON_ID;
    obj.insert("domain".into(), Value::from("QBO"));
    obj.insert("sparse".into(), Value::Bool(false));
    obj.insert("Id".into(), Value::from(id.to_string()));
    obj.insert("SyncToken".into(), Value::from("0"));
    let t = Value::from(meta_time(created));
    let mut meta = Map::new();
    meta.insert("CreateTime".into(), t.clone());
    meta.insert("LastUpdatedTime".into(), t);
    obj.insert("MetaData".into(), Value::Object(meta));
    store.put(ti, id, obj, created);
}

/// Inserts a seeded object as-is with given times (used by the sample company).
pub fn seed_insert(store: &mut Store, ti: usize, mut obj: Obj, created: i64) -> u64 {
    let id = store.alloc_id();
    obj.insert("domain".into(), Value::from("QBO"));
    obj.insert("sparse".into(), Value::Bool(false));
    obj.insert("Id".into(), Value::from(id.to_string()));
    obj.insert("SyncToken".into(), Value::from("0"));
    let t = Value::from(meta_time(created));
    let mut meta = Map::new();
    meta.insert("CreateTime".into(), t.clone());
    meta.insert("LastUpdatedTime".into(), t);
    obj.insert("MetaData".into(), Value::Object(meta));
    store.put(ti, id, obj, created);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(v: Value) -> Obj {
        v.as_object().cloned().unwrap_or_default()
    }

    fn setup() -> (Store, usize, usize, usize, usize, u64, u64) {
        let mut s = Store::new();
        let acc = s.table_index("Account").expect("account");
        let item = s.table_index("Item").expect("item");
        let cust = s.table_index("Customer").expect("customer");
        let inv = s.table_index("Invoice").expect("invoice");
        create(
            &mut s,
            acc,
            o(json!({"Name":"Undeposited Funds","AccountType":"Other Current Asset"})),
            100,
        )
        .expect("acc");
        let inc = create(
            &mut s,
            acc,
            o(json!({"Name":"Services","AccountType":"Income"})),
            100,
        )
        .expect("acc");
        let it = create(
            &mut s,
            item,
            o(json!({"Name":"Hours","IncomeAccountRef":{"value":inc["Id"]}})),
            100,
        )
        .expect("item");
        let c = create(&mut s, cust, o(json!({"DisplayName":"Amy"})), 100).expect("cust");
        let cid = parse_id(&c["Id"]).expect("id");
        let iid = parse_id(&it["Id"]).expect("id");
        (s, acc, item, cust, inv, cid, iid)
    }

    #[test]
    fn invoice_totals_balances_and_payments() {
        let (mut s, _, _, cust, inv, cid, iid) = setup();
        let i = create(
            &mut s,
            inv,
            o(json!({"CustomerRef":{"value":cid.to_string()},"Line":[
                {"DetailType":"SalesItemLineDetail","Amount":100,"SalesItemLineDetail":{"ItemRef":{"value":iid.to_string()}}},
                {"DetailType":"SalesItemLineDetail","Amount":"50.5","SalesItemLineDetail":{"ItemRef":{"value":iid.to_string()}}}]})),
            200,
        )
        .expect("invoice");
        assert_eq!(i["TotalAmt"], json!(150.5));
        assert_eq!(i["Balance"], json!(150.5));
        assert_eq!(i["DocNumber"], "1001");
        assert_eq!(
            i["Line"].as_array().map(Vec::len),
            Some(3),
            "subtotal line appended"
        );
        assert_eq!(s.live(cust, cid).expect("c").obj["Balance"], json!(150.5));
        let pti = s.table_index("Payment").expect("payment");
        let p = create(
            &mut s,
            pti,
            o(json!({"CustomerRef":{"value":cid.to_string()},"TotalAmt":200,"Line":[{"Amount":100,"LinkedTxn":[{"TxnId":i["Id"],"TxnType":"Invoice"}]}]})),
            300,
        )
        .expect("payment");
        assert_eq!(p["UnappliedAmt"], json!(100.0));
        let iid2 = parse_id(&i["Id"]).expect("id");
        let after = s.live(inv, iid2).expect("inv").obj.clone();
        assert_eq!(after["Balance"], json!(50.5));
        assert_eq!(after["SyncToken"], "1");
        assert_eq!(s.live(cust, cid).expect("c").obj["Balance"], json!(50.5));
        // Deactivating a customer with a balance is refused.
        let c = s.live(cust, cid).expect("c").obj.clone();
        let e = update(
            &mut s,
            cust,
            o(json!({"Id":c["Id"],"SyncToken":c["SyncToken"],"sparse":true,"Active":false})),
            400,
        )
        .unwrap_err();
        assert_eq!(e.errors[0].message, "Delete List Has Balance Error");
        // Deleting the payment restores the balance.
        delete(
            &mut s,
            pti,
            o(json!({"Id":p["Id"],"SyncToken":p["SyncToken"]})),
            500,
        )
        .expect("delete");
        assert_eq!(s.live(inv, iid2).expect("inv").obj["Balance"], json!(150.5));
        assert_eq!(s.live(cust, cid).expect("c").obj["Balance"], json!(150.5));
    }

    fn sales_line(iid: u64, amt: f64) -> Value {
        json!({"DetailType":"SalesItemLineDetail","Amount":amt,"SalesItemLineDetail":{"ItemRef":{"value":iid.to_string()}}})
    }

    fn mk(s: &mut Store, entity: &str, body: Value, now: i64) -> Obj {
        let ti = s.table_index(entity).expect("table");
        create(s, ti, o(body), now).expect(entity)
    }

    fn invoice_of(s: &mut Store, cid: u64, iid: u64, amounts: &[f64]) -> Obj {
        let lines: Vec<Value> = amounts.iter().map(|a| sales_line(iid, *a)).collect();
        mk(
            s,
            "Invoice",
            json!({"CustomerRef":{"value":cid.to_string()},"Line":lines}),
            200,
        )
    }

    fn credit_memo_of(s: &mut Store, cid: u64, iid: u64, amount: f64) -> Obj {
        mk(
            s,
            "CreditMemo",
            json!({"CustomerRef":{"value":cid.to_string()},"Line":[sales_line(iid, amount)]}),
            200,
        )
    }

    /// A payment body: `lines` are (linked object, TxnType, Amount).
    fn pay_body(cid: u64, total: f64, lines: &[(&Obj, &str, f64)]) -> Value {
        let lines: Vec<Value> = lines
            .iter()
            .map(|(t, ty, a)| json!({"Amount":a,"LinkedTxn":[{"TxnId":t["Id"],"TxnType":ty}]}))
            .collect();
        json!({"CustomerRef":{"value":cid.to_string()},"TotalAmt":total,"Line":lines})
    }

    fn pay(s: &mut Store, cid: u64, total: f64, lines: &[(&Obj, &str, f64)]) -> Result<Obj, Fault> {
        let pti = s.table_index("Payment").expect("p");
        create(s, pti, o(pay_body(cid, total, lines)), 300)
    }

    fn now_of(s: &Store, entity: &str, t: &Obj) -> Obj {
        let ti = s.table_index(entity).expect("table");
        s.live(ti, parse_id(&t["Id"]).expect("id"))
            .expect("live")
            .obj
            .clone()
    }

    fn cust_balance(s: &Store, cid: u64) -> Value {
        let ti = s.table_index("Customer").expect("c");
        s.live(ti, cid).expect("c").obj["Balance"].clone()
    }

    fn links(obj: &Obj) -> Vec<(String, String)> {
        obj["LinkedTxn"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|l| {
                        (
                            l["TxnId"].as_str().unwrap_or("").to_string(),
                            l["TxnType"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn split_payment_reduces_each_invoice_by_its_line() {
        let (mut s, _, _, _, _, cid, iid) = setup();
        let a = invoice_of(&mut s, cid, iid, &[100.0]);
        let b = invoice_of(&mut s, cid, iid, &[40.0, 20.0]);
        let c = invoice_of(&mut s, cid, iid, &[15.0]);
        assert_eq!(cust_balance(&s, cid), json!(175.0));
        let p = pay(
            &mut s,
            cid,
            130.0,
            &[
                (&a, "Invoice", 100.0),
                (&b, "Invoice", 25.0),
                (&c, "Invoice", 5.0),
            ],
        )
        .expect("split payment");
        assert_eq!(p["UnappliedAmt"], json!(0.0));
        assert_eq!(p["Line"].as_array().map(Vec::len), Some(3));
        let pid = p["Id"].as_str().unwrap_or("").to_string();
        for (inv, bal) in [(&a, 0.0), (&b, 35.0), (&c, 10.0)] {
            let now = now_of(&s, "Invoice", inv);
            assert_eq!(now["Balance"], json!(bal));
            assert_eq!(now["SyncToken"], "1");
            assert_eq!(links(&now), vec![(pid.clone(), "Payment".to_string())]);
        }
        assert_eq!(cust_balance(&s, cid), json!(45.0));
        // One line over its invoice's open balance refuses the whole payment.
        let e = pay(
            &mut s,
            cid,
            50.0,
            &[(&b, "Invoice", 35.0), (&c, "Invoice", 10.01)],
        )
        .unwrap_err();
        assert_eq!(e.code(), "6000");
        assert_eq!(now_of(&s, "Invoice", &b)["Balance"], json!(35.0));
        // Deleting the split payment gives every invoice its balance back.
        let pti = s.table_index("Payment").expect("p");
        delete(&mut s, pti, o(json!({"Id":p["Id"],"SyncToken":"0"})), 400).expect("delete");
        for (inv, bal) in [(&a, 100.0), (&b, 60.0), (&c, 15.0)] {
            let now = now_of(&s, "Invoice", inv);
            assert_eq!(now["Balance"], json!(bal));
            assert_eq!(now["SyncToken"], "2");
            assert!(links(&now).is_empty());
        }
        assert_eq!(cust_balance(&s, cid), json!(175.0));
    }

    #[test]
    fn partial_payments_until_the_balance_is_zero() {
        let (mut s, _, _, _, _, cid, iid) = setup();
        let i = invoice_of(&mut s, cid, iid, &[100.0]);
        let mut pids = Vec::new();
        for (amt, bal) in [(30.0, 70.0), (30.0, 40.0), (39.99, 0.01), (0.01, 0.0)] {
            let p = pay(&mut s, cid, amt, &[(&i, "Invoice", amt)]).expect("partial");
            assert_eq!(p["UnappliedAmt"], json!(0.0));
            assert_eq!(now_of(&s, "Invoice", &i)["Balance"], json!(bal));
            assert_eq!(cust_balance(&s, cid), json!(bal));
            pids.push(p["Id"].as_str().unwrap_or("").to_string());
        }
        let paid = now_of(&s, "Invoice", &i);
        assert_eq!(paid["SyncToken"], "4");
        let linked: Vec<String> = links(&paid).into_iter().map(|(id, _)| id).collect();
        assert_eq!(linked, pids);
        // Nothing left to pay.
        let e = pay(&mut s, cid, 1.0, &[(&i, "Invoice", 0.01)]).unwrap_err();
        assert_eq!(e.code(), "6000");
        assert_eq!(
            e.errors[0].detail,
            format!(
                "Business Validation Error: The payment amount applied to invoice {} exceeds its open balance of 0.00.",
                i["Id"].as_str().unwrap_or("")
            )
        );
        // Lowering the second payment reopens the invoice by the difference.
        let pti = s.table_index("Payment").expect("p");
        let second = s
            .live(pti, pids[1].parse().expect("id"))
            .expect("p")
            .obj
            .clone();
        let upd = update(
            &mut s,
            pti,
            o(json!({"Id":second["Id"],"SyncToken":"0","sparse":true,"TotalAmt":30,"Line":[{"Amount":20,"LinkedTxn":[{"TxnId":i["Id"],"TxnType":"Invoice"}]}]})),
            400,
        )
        .expect("update");
        assert_eq!(upd["UnappliedAmt"], json!(10.0));
        assert_eq!(now_of(&s, "Invoice", &i)["Balance"], json!(10.0));
        assert_eq!(cust_balance(&s, cid), json!(10.0));
    }

    #[test]
    fn overpayment_leaves_customer_credit_unapplied() {
        let (mut s, _, _, _, _, cid, iid) = setup();
        let i = invoice_of(&mut s, cid, iid, &[100.0]);
        let p = pay(&mut s, cid, 150.0, &[(&i, "Invoice", 100.0)]).expect("overpay");
        assert_eq!(p["TotalAmt"], json!(150.0));
        assert_eq!(p["UnappliedAmt"], json!(50.0));
        assert_eq!(now_of(&s, "Invoice", &i)["Balance"], json!(0.0));
        // [sim] the customer's Balance counts open invoices only.
        assert_eq!(cust_balance(&s, cid), json!(0.0));
        // A payment with no lines is all credit.
        let p = pay(&mut s, cid, 25.0, &[]).expect("unapplied");
        assert_eq!(p["UnappliedAmt"], json!(25.0));
        // A line above the invoice's open balance, and lines above TotalAmt: 6000.
        let j = invoice_of(&mut s, cid, iid, &[80.0]);
        let e = pay(&mut s, cid, 200.0, &[(&j, "Invoice", 80.01)]).unwrap_err();
        assert_eq!(e.code(), "6000");
        assert!(e.errors[0]
            .detail
            .contains("exceeds its open balance of 80.00"));
        let e = pay(&mut s, cid, 50.0, &[(&j, "Invoice", 60.0)]).unwrap_err();
        assert_eq!(e.code(), "6000");
        assert!(e.errors[0].detail.contains("exceeds the payment amount"));
        assert_eq!(now_of(&s, "Invoice", &j)["Balance"], json!(80.0));
    }

    #[test]
    fn credit_memo_applied_to_an_invoice_through_a_payment() {
        let (mut s, _, _, cust, _, cid, iid) = setup();
        let i = invoice_of(&mut s, cid, iid, &[100.0]);
        let cm = credit_memo_of(&mut s, cid, iid, 30.0);
        assert_eq!(cm["RemainingCredit"], json!(30.0));
        assert_eq!(cm["LinkedTxn"], json!([]));
        // A $0 payment: invoice line 30 = TotalAmt 0 + credit 30.
        let p = pay(
            &mut s,
            cid,
            0.0,
            &[(&i, "Invoice", 30.0), (&cm, "CreditMemo", 30.0)],
        )
        .expect("apply credit");
        assert_eq!(p["UnappliedAmt"], json!(0.0));
        assert_eq!(
            p["Line"][1]["LinkedTxn"],
            json!([{"TxnId":cm["Id"],"TxnType":"CreditMemo"}])
        );
        let pid = p["Id"].as_str().unwrap_or("").to_string();
        let inv_now = now_of(&s, "Invoice", &i);
        assert_eq!(inv_now["Balance"], json!(70.0));
        assert_eq!(inv_now["SyncToken"], "1");
        let cm_now = now_of(&s, "CreditMemo", &cm);
        assert_eq!(cm_now["RemainingCredit"], json!(0.0));
        assert_eq!(cm_now["Balance"], json!(0.0));
        assert_eq!(cm_now["TotalAmt"], json!(30.0));
        assert_eq!(cm_now["SyncToken"], "1");
        assert_eq!(cm_now["MetaData"]["LastUpdatedTime"], json!(meta_time(300)));
        assert_eq!(links(&cm_now), vec![(pid.clone(), "Payment".to_string())]);
        assert_eq!(cust_balance(&s, cid), json!(70.0));
        // Nothing left on the memo.
        let e = pay(
            &mut s,
            cid,
            0.0,
            &[(&i, "Invoice", 1.0), (&cm, "CreditMemo", 1.0)],
        )
        .unwrap_err();
        assert_eq!(e.code(), "6000");
        assert!(e.errors[0]
            .detail
            .contains("exceeds its remaining credit of 0.00"));

        // Money and credit together: invoice 70 = TotalAmt 50 + credit 20.
        let cm2 = credit_memo_of(&mut s, cid, iid, 25.0);
        for (total, inv_amt, credit) in [(50.0, 70.0, 10.0), (50.0, 60.0, 20.0), (0.0, 20.0, 30.0)]
        {
            let e = pay(
                &mut s,
                cid,
                total,
                &[(&i, "Invoice", inv_amt), (&cm2, "CreditMemo", credit)],
            )
            .unwrap_err();
            assert_eq!(e.code(), "6000", "{total} {inv_amt} {credit}");
        }
        let e = pay(
            &mut s,
            cid,
            50.0,
            &[(&i, "Invoice", 70.0), (&cm2, "CreditMemo", 10.0)],
        )
        .unwrap_err();
        assert_eq!(
            e.errors[0].detail,
            "Business Validation Error: The amount applied to invoices (70.00) must equal the payment amount (50.00) plus the credits applied (10.00)."
        );
        let p2 = pay(
            &mut s,
            cid,
            50.0,
            &[(&i, "Invoice", 70.0), (&cm2, "CreditMemo", 20.0)],
        )
        .expect("money and credit");
        assert_eq!(p2["UnappliedAmt"], json!(0.0));
        assert_eq!(now_of(&s, "Invoice", &i)["Balance"], json!(0.0));
        assert_eq!(
            now_of(&s, "CreditMemo", &cm2)["RemainingCredit"],
            json!(5.0)
        );
        assert_eq!(cust_balance(&s, cid), json!(0.0));

        // Another customer's memo, a deleted memo, a bad TxnType.
        let other = mk(&mut s, "Customer", json!({"DisplayName":"Other"}), 100);
        let oid = parse_id(&other["Id"]).expect("id");
        let ocm = credit_memo_of(&mut s, oid, iid, 10.0);
        let j = invoice_of(&mut s, cid, iid, &[10.0]);
        let e = pay(
            &mut s,
            cid,
            0.0,
            &[(&j, "Invoice", 5.0), (&ocm, "CreditMemo", 5.0)],
        )
        .unwrap_err();
        assert_eq!(e.code(), "6000");
        let e = pay(
            &mut s,
            cid,
            0.0,
            &[(&j, "Invoice", 5.0), (&cm2, "Bill", 5.0)],
        )
        .unwrap_err();
        assert_eq!(e.code(), "2170");

        // Voiding the first payment gives both their amounts back (its memo text starting
        // with "Voided" does not make a live $0 payment look voided already).
        let pti = s.table_index("Payment").expect("p");
        let p = update(
            &mut s,
            pti,
            o(json!({"Id":p["Id"],"SyncToken":"0","sparse":true,"PrivateNote":"Voided cheque replaced by credit"})),
            450,
        )
        .expect("memo");
        assert_eq!(p["SyncToken"], "1");
        let voided = void(
            &mut s,
            pti,
            o(json!({"Id":p["Id"],"SyncToken":"1","sparse":true})),
            VoidStyle::UpdateIncludeVoid,
            500,
        )
        .expect("void");
        assert_eq!(voided["TotalAmt"], json!(0.0));
        assert_eq!(now_of(&s, "Invoice", &i)["Balance"], json!(30.0));
        let cm_now = now_of(&s, "CreditMemo", &cm);
        assert_eq!(cm_now["RemainingCredit"], json!(30.0));
        assert_eq!(cm_now["Balance"], json!(30.0));
        assert_eq!(cm_now["SyncToken"], "2");
        assert_eq!(cm_now["LinkedTxn"], json!([]));
        // The open invoices: `i` (30) and `j` (10).
        assert_eq!(cust_balance(&s, cid), json!(40.0));
        // Deleting the second one does too.
        delete(&mut s, pti, o(json!({"Id":p2["Id"],"SyncToken":"0"})), 600).expect("delete");
        assert_eq!(now_of(&s, "Invoice", &i)["Balance"], json!(100.0));
        assert_eq!(
            now_of(&s, "CreditMemo", &cm2)["RemainingCredit"],
            json!(25.0)
        );
        assert_eq!(s.live(cust, cid).expect("c").obj["Balance"], json!(110.0));
    }

    #[test]
    fn applied_credit_memo_keeps_its_used_credit_on_update() {
        let (mut s, _, _, _, _, cid, iid) = setup();
        let i = invoice_of(&mut s, cid, iid, &[100.0]);
        let cm = credit_memo_of(&mut s, cid, iid, 30.0);
        pay(
            &mut s,
            cid,
            0.0,
            &[(&i, "Invoice", 20.0), (&cm, "CreditMemo", 20.0)],
        )
        .expect("apply");
        let cti = s.table_index("CreditMemo").expect("cm");
        let cur = now_of(&s, "CreditMemo", &cm);
        let e = update(
            &mut s,
            cti,
            o(json!({"Id":cm["Id"],"SyncToken":cur["SyncToken"],"sparse":true,"Line":[sales_line(iid, 19.0)]})),
            400,
        )
        .unwrap_err();
        assert_eq!(e.code(), "6000");
        let up = update(
            &mut s,
            cti,
            o(json!({"Id":cm["Id"],"SyncToken":cur["SyncToken"],"sparse":true,"Line":[sales_line(iid, 50.0)],"LinkedTxn":[]})),
            400,
        )
        .expect("raise");
        assert_eq!(up["RemainingCredit"], json!(30.0));
        assert_eq!(up["Balance"], json!(30.0));
        assert_eq!(links(&up).len(), 1, "LinkedTxn is not writable");
        let other = mk(&mut s, "Customer", json!({"DisplayName":"Other"}), 100);
        let e = update(
            &mut s,
            cti,
            o(json!({"Id":cm["Id"],"SyncToken":up["SyncToken"],"sparse":true,"CustomerRef":{"value":other["Id"]}})),
            500,
        )
        .unwrap_err();
        assert_eq!(e.code(), "6000");
    }

    #[test]
    fn deleting_an_applied_credit_memo_or_its_invoice() {
        let (mut s, _, _, _, _, cid, iid) = setup();
        let pti = s.table_index("Payment").expect("p");
        let cti = s.table_index("CreditMemo").expect("cm");
        let iti = s.table_index("Invoice").expect("inv");
        // The memo goes: the payment loses its credit line and the invoice line it paid.
        let i = invoice_of(&mut s, cid, iid, &[100.0]);
        let cm = credit_memo_of(&mut s, cid, iid, 30.0);
        let p = pay(
            &mut s,
            cid,
            50.0,
            &[(&i, "Invoice", 80.0), (&cm, "CreditMemo", 30.0)],
        )
        .expect("apply");
        assert_eq!(cust_balance(&s, cid), json!(20.0));
        let cur = now_of(&s, "CreditMemo", &cm);
        delete(
            &mut s,
            cti,
            o(json!({"Id":cm["Id"],"SyncToken":cur["SyncToken"]})),
            400,
        )
        .expect("delete memo");
        let p_now = now_of(&s, "Payment", &p);
        assert_eq!(p_now["SyncToken"], "1");
        assert_eq!(p_now["Line"].as_array().map(Vec::len), Some(1));
        assert_eq!(p_now["Line"][0]["Amount"], json!(50.0));
        assert_eq!(p_now["UnappliedAmt"], json!(0.0));
        assert_eq!(now_of(&s, "Invoice", &i)["Balance"], json!(50.0));
        assert_eq!(cust_balance(&s, cid), json!(50.0));
        let e = read(&s, cti, cm["Id"].as_str().unwrap_or("")).unwrap_err();
        assert_eq!(e.code(), "610");

        // The invoice goes: the memo gets its credit back, the money stays unapplied.
        let j = invoice_of(&mut s, cid, iid, &[60.0]);
        let cm2 = credit_memo_of(&mut s, cid, iid, 40.0);
        let p2 = pay(
            &mut s,
            cid,
            20.0,
            &[(&j, "Invoice", 60.0), (&cm2, "CreditMemo", 40.0)],
        )
        .expect("apply");
        assert_eq!(
            now_of(&s, "CreditMemo", &cm2)["RemainingCredit"],
            json!(0.0)
        );
        let cur = now_of(&s, "Invoice", &j);
        delete(
            &mut s,
            iti,
            o(json!({"Id":j["Id"],"SyncToken":cur["SyncToken"]})),
            500,
        )
        .expect("delete invoice");
        let p_now = now_of(&s, "Payment", &p2);
        assert_eq!(p_now["Line"], json!([]));
        assert_eq!(p_now["UnappliedAmt"], json!(20.0));
        let cm_now = now_of(&s, "CreditMemo", &cm2);
        assert_eq!(cm_now["RemainingCredit"], json!(40.0));
        assert_eq!(cm_now["LinkedTxn"], json!([]));
        assert_eq!(cust_balance(&s, cid), json!(50.0));
        let _ = pti;
    }

    #[test]
    fn zero_dollar_invoice_is_accepted_with_nothing_to_pay() {
        let (mut s, _, _, _, _, cid, iid) = setup();
        let z = invoice_of(&mut s, cid, iid, &[0.0]);
        assert_eq!(z["TotalAmt"], json!(0.0));
        assert_eq!(z["Balance"], json!(0.0));
        let d = mk(
            &mut s,
            "Invoice",
            json!({"CustomerRef":{"value":cid.to_string()},"Line":[sales_line(iid, 50.0),
                {"DetailType":"DiscountLineDetail","Amount":50,"DiscountLineDetail":{"PercentBased":false}}]}),
            200,
        );
        assert_eq!(d["TotalAmt"], json!(0.0));
        assert_eq!(d["Balance"], json!(0.0));
        assert_eq!(cust_balance(&s, cid), json!(0.0));
        let e = pay(&mut s, cid, 1.0, &[(&z, "Invoice", 1.0)]).unwrap_err();
        assert_eq!(e.code(), "6000");
    }

    #[test]
    fn overpaying_an_invoice_is_refused() {
        let (mut s, _, _, _, inv, cid, _) = setup();
        let i = create(&mut s, inv, o(json!({"CustomerRef":{"value":cid.to_string()},"Line":[{"DetailType":"SalesItemLineDetail","Amount":10,"SalesItemLineDetail":{}}]})), 200).expect("inv");
        let pti = s.table_index("Payment").expect("p");
        let e = create(&mut s, pti, o(json!({"CustomerRef":{"value":cid.to_string()},"TotalAmt":50,"Line":[{"Amount":20,"LinkedTxn":[{"TxnId":i["Id"],"TxnType":"Invoice"}]}]})), 300).unwrap_err();
        assert_eq!(e.code(), "6000");
    }

    #[test]
    fn deactivation_suffix_and_noop() {
        let (mut s, _, _, cust, _, _, _) = setup();
        let b = create(&mut s, cust, o(json!({"DisplayName":"Bob"})), 100).expect("bob");
        let d = update(
            &mut s,
            cust,
            o(json!({"Id":b["Id"],"SyncToken":"0","sparse":true,"Active":false})),
            200,
        )
        .expect("deactivate");
        assert_eq!(d["DisplayName"], "Bob (deleted)");
        assert_eq!(d["FullyQualifiedName"], "Bob (deleted)");
        assert_eq!(d["SyncToken"], "1");
        let again = update(
            &mut s,
            cust,
            o(json!({"Id":b["Id"],"SyncToken":"1","sparse":true,"Active":false})),
            300,
        )
        .expect("noop");
        assert_eq!(again["SyncToken"], "1");
        assert_eq!(again["MetaData"], d["MetaData"]);
        // The name is free again.
        create(&mut s, cust, o(json!({"DisplayName":"bob"})), 300).expect("name free");
        let e = update(
            &mut s,
            cust,
            o(json!({"Id":b["Id"],"SyncToken":"1","sparse":true,"Active":true})),
            400,
        )
        .unwrap_err();
        assert_eq!(
            e.code(),
            "6240",
            "reactivation restores the name, which is now taken"
        );
    }

    #[test]
    fn full_update_clears_and_sparse_keeps() {
        let (mut s, _, _, cust, _, _, _) = setup();
        let c = create(
            &mut s,
            cust,
            o(json!({"DisplayName":"Cy","CompanyName":"Cy Co","Notes":"n"})),
            100,
        )
        .expect("c");
        let sp = update(
            &mut s,
            cust,
            o(json!({"Id":c["Id"],"SyncToken":"0","sparse":true,"Notes":"m"})),
            200,
        )
        .expect("sparse");
        assert_eq!(sp["CompanyName"], "Cy Co");
        assert_eq!(sp["Notes"], "m");
        let full = update(
            &mut s,
            cust,
            o(json!({"Id":c["Id"],"SyncToken":"1","DisplayName":"Cy"})),
            300,
        )
        .expect("full");
        assert!(full.get("CompanyName").is_none());
        assert_eq!(full["SyncToken"], "2");
        let stale = update(
            &mut s,
            cust,
            o(json!({"Id":c["Id"],"SyncToken":"1","DisplayName":"Cy"})),
            300,
        )
        .unwrap_err();
        assert_eq!(stale.code(), "5010");
    }

    #[test]
    fn references_are_checked() {
        let (mut s, _, _, _, inv, cid, _) = setup();
        let e = create(&mut s, inv, o(json!({"CustomerRef":{"value":"999"},"Line":[{"DetailType":"SalesItemLineDetail","Amount":1}]})), 1).unwrap_err();
        assert_eq!(e.code(), "2500");
        let e = create(&mut s, inv, o(json!({"CustomerRef":{"value":cid.to_string()},"Line":[{"DetailType":"SalesItemLineDetail","Amount":1,"SalesItemLineDetail":{"ItemRef":{"value":"999"}}}]})), 1).unwrap_err();
        assert_eq!(
            e.errors[0].detail,
            "Invalid Reference Id : Line.SalesItemLineDetail.ItemRef"
        );
        let e = create(
            &mut s,
            inv,
            o(json!({"CustomerRef":{"value":cid.to_string()}})),
            1,
        )
        .unwrap_err();
        assert_eq!(e.code(), "2020");
        let e = create(&mut s, inv, o(json!({"CustomerRef":{"value":cid.to_string()},"Line":[{"DetailType":"SalesItemLineDetail","Amount":"abc"}]})), 1).unwrap_err();
        assert_eq!(e.code(), "2080");
    }
}
