//! Rules of the transactions beyond invoices, payments and sales receipts (reference sheet §3,
//! §13; fields per Finance.xsd): Estimate, CreditMemo, RefundReceipt (sales lines),
//! Bill, VendorCredit, Purchase, PurchaseOrder (expense lines), JournalEntry, Deposit,
//! Transfer, BillPayment (lines linked to bills), TimeActivity and Attachable (metadata). What an API client may do
//! to them is decided elsewhere (`capability`); these are the rules every write follows.

use super::{
    applications, bump, default_deposit_account, fill_doc_and_dates, money, num, opt_money,
    parse_id, ref_value, resolve_ref, round2, str_field, Obj,
};
use crate::clock::local_date;
use crate::fault::Fault;
use crate::store::Store;
use qbsync_catalog::EntityKind;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Applies the rules of `store.entity(ti)` to the normalised body `w`; false when the entity is
/// not one of these transactions.
pub(super) fn normalize(
    store: &Store,
    ti: usize,
    w: &mut Obj,
    old: Option<&Obj>,
    now: i64,
) -> Result<bool, Fault> {
    match store.entity(ti).name {
        "Estimate" | "CreditMemo" | "RefundReceipt" => sales(store, ti, w, old, now)?,
        "Bill" | "VendorCredit" | "Purchase" | "PurchaseOrder" => expense(store, ti, w, old, now)?,
        "JournalEntry" => journal_entry(store, w, now)?,
        "Deposit" => deposit(store, w, now)?,
        "Transfer" => transfer(store, w, now)?,
        "BillPayment" => bill_payment(store, w, old, now)?,
        "TimeActivity" => time_activity(store, w, now)?,
        "Attachable" => attachable(store, w)?,
        _ => return Ok(false),
    }
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

/// A required reference to a live, active `entity`: 2020 when absent, 2500 when unknown, 610
/// when inactive. Stored as `{"value","name"}`.
fn required_ref(store: &Store, w: &mut Obj, field: &str, entity: &str) -> Result<u64, Fault> {
    match w.get(field).cloned().filter(|v| !v.is_null()) {
        Some(v) => {
            let (id, name) = resolve_ref(store, entity, &v, field, true)?;
            w.insert(field.into(), ref_value(id, &name));
            Ok(id)
        }
        None => Err(Fault::required_param(field)),
    }
}

/// An optional reference (checked when present) inside `obj`; `path` names it in faults.
fn optional_ref(
    store: &Store,
    obj: &mut Obj,
    field: &str,
    entity: &str,
    path: &str,
) -> Result<(), Fault> {
    match obj.get(field).cloned() {
        Some(Value::Null) => {
            obj.remove(field);
        }
        Some(v) => {
            let (id, name) = resolve_ref(store, entity, &v, path, true)?;
            obj.insert(field.into(), ref_value(id, &name));
        }
        None => {}
    }
    Ok(())
}

/// A required reference inside a line detail.
fn required_detail_ref(
    store: &Store,
    detail: &mut Obj,
    field: &str,
    entity: &str,
    path: &str,
) -> Result<(), Fault> {
    if detail.get(field).is_none_or(Value::is_null) {
        return Err(Fault::required_param(path));
    }
    optional_ref(store, detail, field, entity, path)
}

/// An enumeration field: `default` when absent, 2170 when not one of `allowed`.
fn enum_field(
    w: &mut Obj,
    field: &str,
    allowed: &[&str],
    default: Option<&str>,
) -> Result<Option<String>, Fault> {
    let Some(v) = str_field(w, field).or(default).map(str::to_string) else {
        return Ok(None);
    };
    if !allowed.contains(&v.as_str()) {
        return Err(Fault::invalid_enum(field, &v));
    }
    w.insert(field.into(), Value::from(v.clone()));
    Ok(Some(v))
}

fn default_txn_date(w: &mut Obj, now: i64) {
    if str_field(w, "TxnDate").is_none() {
        w.insert("TxnDate".into(), Value::from(local_date(now)));
    }
}

fn f(obj: &Obj, field: &str) -> f64 {
    obj.get(field).and_then(Value::as_f64).unwrap_or(0.0)
}

fn ref_id(obj: &Obj, field: &str) -> Option<u64> {
    obj.get(field)
        .and_then(|r| r.get("value"))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// The lines of a body as objects (2010 when `Line` is not an array of objects).
fn line_objects(w: &Obj) -> Result<Vec<Obj>, Fault> {
    match w.get("Line") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|l| match l {
                Value::Object(m) => Ok(m.clone()),
                _ => Err(Fault::unsupported_property("Line")),
            })
            .collect(),
        Some(Value::Null) | None => Ok(Vec::new()),
        Some(_) => Err(Fault::unsupported_property("Line")),
    }
}

/// The detail object of a line named by its DetailType (an empty one when absent).
fn detail_of(l: &Obj, dt: &str) -> Result<Obj, Fault> {
    match l.get(dt) {
        Some(Value::Object(d)) => Ok(d.clone()),
        None | Some(Value::Null) => Ok(Map::new()),
        Some(_) => Err(Fault::unsupported_property(&format!("Line.{dt}"))),
    }
}

fn number_line(l: &mut Obj, n: usize, amount: f64) {
    l.insert("Id".into(), Value::from(n.to_string()));
    l.insert("LineNum".into(), Value::from(n));
    l.insert("Amount".into(), num(amount));
}

/// The first active account of `ty`, preferring one named `preferred`.
fn account_of_type(store: &Store, ty: &str, preferred: &str) -> Option<(u64, String)> {
    let ti = store.table_index("Account")?;
    let rows = store.tables[ti]
        .rows
        .iter()
        .filter(|(_, r)| !r.deleted && r.active)
        .filter(|(_, r)| r.obj.get("AccountType").and_then(Value::as_str) == Some(ty));
    let mut first = None;
    for (id, r) in rows {
        let name = r.obj.get("Name").and_then(Value::as_str).unwrap_or("");
        if name == preferred {
            return Some((*id, name.to_string()));
        }
        first.get_or_insert((*id, name.to_string()));
    }
    first
}

/// A reference to an account: the one sent (checked), else the default of `ty` if the chart
/// has one ([sim] left out when it has none).
fn account_ref_or_default(
    store: &Store,
    obj: &mut Obj,
    field: &str,
    path: &str,
    ty: &str,
    preferred: &str,
) -> Result<(), Fault> {
    if obj.get(field).is_some_and(|v| !v.is_null()) {
        return optional_ref(store, obj, field, "Account", path);
    }
    match account_of_type(store, ty, preferred) {
        Some((id, name)) => {
            obj.insert(field.into(), ref_value(id, &name));
        }
        None => {
            obj.remove(field);
        }
    }
    Ok(())
}

pub(crate) const AP_ACCOUNT: &str = "Accounts Payable (A/P)";

// ---------------------------------------------------------------------------------------------
// Sales-like: Estimate, CreditMemo, RefundReceipt.

fn sales(store: &Store, ti: usize, w: &mut Obj, old: Option<&Obj>, now: i64) -> Result<(), Fault> {
    let name = store.entity(ti).name;
    required_ref(store, w, "CustomerRef", "Customer")?;
    let (subtotal, taxable) = super::normalize_sales_lines(store, w, true)?;
    let total = round2(subtotal + super::tax::apply_sales_tax(store, w, old, taxable)?);
    w.insert("TotalAmt".into(), num(total));
    fill_doc_and_dates(store, ti, w, old, now, false);
    match name {
        "Estimate" => {
            enum_field(
                w,
                "TxnStatus",
                &["Pending", "Accepted", "Closed", "Rejected"],
                Some("Pending"),
            )?;
        }
        "CreditMemo" => {
            // Payments apply credit (a line linking the memo): what remains is the total less
            // what they used; the memo's LinkedTxn lists those payments.
            let used = old
                .map(|o| round2(f(o, "TotalAmt") - f(o, "RemainingCredit")))
                .unwrap_or(0.0);
            if total + 0.005 < used {
                return Err(Fault::business(
                    "The credit memo total cannot be less than the credit applied from it.",
                ));
            }
            if used > 0.0 && old.and_then(|o| ref_id(o, "CustomerRef")) != ref_id(w, "CustomerRef")
            {
                return Err(Fault::business(
                    "A credit memo whose credit has been applied cannot be moved to another customer.",
                ));
            }
            w.insert("Balance".into(), num(total - used));
            w.insert("RemainingCredit".into(), num(total - used));
            let linked = old
                .and_then(|o| o.get("LinkedTxn"))
                .cloned()
                .unwrap_or_else(|| json!([]));
            w.insert("LinkedTxn".into(), linked);
        }
        _ => {
            w.insert("Balance".into(), num(0.0));
            default_deposit_account(store, w)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Expense-like: Bill, VendorCredit, Purchase, PurchaseOrder.

/// Validates and renumbers expense lines (`AccountBasedExpenseLineDetail` with an AccountRef,
/// `ItemBasedExpenseLineDetail` with an ItemRef); returns the total.
fn normalize_expense_lines(store: &Store, w: &mut Obj) -> Result<f64, Fault> {
    let mut out = Vec::new();
    let mut total = 0.0;
    for (i, mut l) in line_objects(w)?.into_iter().enumerate() {
        let Some(dt) = str_field(&l, "DetailType").map(str::to_string) else {
            return Err(Fault::required_param("Line.DetailType"));
        };
        let mut detail = detail_of(&l, &dt)?;
        let amount = match dt.as_str() {
            "AccountBasedExpenseLineDetail" => {
                required_detail_ref(
                    store,
                    &mut detail,
                    "AccountRef",
                    "Account",
                    "Line.AccountBasedExpenseLineDetail.AccountRef",
                )?;
                match opt_money(&l, "Amount", "Line.Amount")? {
                    Some(a) => a,
                    None => return Err(Fault::required_param("Line.Amount")),
                }
            }
            "ItemBasedExpenseLineDetail" => {
                required_detail_ref(
                    store,
                    &mut detail,
                    "ItemRef",
                    "Item",
                    "Line.ItemBasedExpenseLineDetail.ItemRef",
                )?;
                let qty = opt_money(&detail, "Qty", "Line.ItemBasedExpenseLineDetail.Qty")?;
                let price = opt_money(
                    &detail,
                    "UnitPrice",
                    "Line.ItemBasedExpenseLineDetail.UnitPrice",
                )?;
                if let Some(q) = qty {
                    detail.insert("Qty".into(), Value::from(q));
                }
                if let Some(p) = price {
                    detail.insert("UnitPrice".into(), Value::from(p));
                }
                match (opt_money(&l, "Amount", "Line.Amount")?, qty, price) {
                    (Some(a), _, _) => a,
                    (None, Some(q), Some(p)) => q * p,
                    _ => return Err(Fault::required_param("Line.Amount")),
                }
            }
            other => return Err(Fault::invalid_enum("Line.DetailType", other)),
        };
        let base = format!("Line.{dt}");
        optional_ref(
            store,
            &mut detail,
            "CustomerRef",
            "Customer",
            &format!("{base}.CustomerRef"),
        )?;
        optional_ref(
            store,
            &mut detail,
            "ClassRef",
            "Class",
            &format!("{base}.ClassRef"),
        )?;
        enum_field(
            &mut detail,
            "BillableStatus",
            &["Billable", "NotBillable", "HasBeenBilled"],
            Some("NotBillable"),
        )?;
        l.insert(dt.clone(), Value::Object(detail));
        number_line(&mut l, i + 1, amount);
        total += amount;
        out.push(Value::Object(l));
    }
    if out.is_empty() {
        return Err(Fault::required_param("Line"));
    }
    w.insert("Line".into(), Value::Array(out));
    Ok(round2(total))
}

fn expense(
    store: &Store,
    ti: usize,
    w: &mut Obj,
    old: Option<&Obj>,
    now: i64,
) -> Result<(), Fault> {
    let name = store.entity(ti).name;
    if name == "Purchase" {
        required_ref(store, w, "AccountRef", "Account")?;
        if str_field(w, "PaymentType").is_none() {
            return Err(Fault::required_param("PaymentType"));
        }
        enum_field(w, "PaymentType", &["Cash", "Check", "CreditCard"], None)?;
        entity_ref(store, w)?;
        optional_ref(
            store,
            w,
            "PaymentMethodRef",
            "PaymentMethod",
            "PaymentMethodRef",
        )?;
        w.entry("Credit").or_insert(Value::Bool(false));
    } else {
        required_ref(store, w, "VendorRef", "Vendor")?;
        account_ref_or_default(
            store,
            w,
            "APAccountRef",
            "APAccountRef",
            "Accounts Payable",
            AP_ACCOUNT,
        )?;
    }
    let total = normalize_expense_lines(store, w)?;
    if total < 0.0 {
        return Err(Fault::business("The transaction total cannot be negative."));
    }
    w.insert("TotalAmt".into(), num(total));
    if name == "PurchaseOrder" {
        // POs are numbered by QuickBooks like sales forms; the others carry the vendor's or
        // the cheque's number, if any.
        fill_doc_and_dates(store, ti, w, old, now, false);
        enum_field(w, "POStatus", &["Open", "Closed"], Some("Open"))?;
    } else {
        default_txn_date(w, now);
    }
    match name {
        "Bill" => bill_rules(store, w, old, total, now)?,
        "VendorCredit" => {
            // [sim] nothing applies a vendor credit here: all of it remains.
            w.insert("Balance".into(), num(total));
        }
        _ => {}
    }
    Ok(())
}

/// Purchase.EntityRef (optional): the payee, a vendor, customer or employee; its `type` picks
/// the list, else the lists are tried in that order.
fn entity_ref(store: &Store, w: &mut Obj) -> Result<(), Fault> {
    let Some(v) = w.get("EntityRef").cloned() else {
        return Ok(());
    };
    if v.is_null() {
        w.remove("EntityRef");
        return Ok(());
    }
    let ty = v.get("type").and_then(Value::as_str).map(str::to_string);
    let lists: Vec<&str> = match ty.as_deref() {
        Some(t @ ("Vendor" | "Customer" | "Employee")) => vec![t],
        Some(other) => return Err(Fault::invalid_enum("EntityRef.type", other)),
        None => vec!["Vendor", "Customer", "Employee"],
    };
    let mut last = Fault::invalid_reference("EntityRef");
    for list in lists {
        match resolve_ref(store, list, &v, "EntityRef", true) {
            Ok((id, name)) => {
                w.insert(
                    "EntityRef".into(),
                    json!({"value": id.to_string(), "name": name, "type": list}),
                );
                return Ok(());
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Bill: DueDate from the term (else the TxnDate), Balance = TotalAmt less what bill payments
/// applied, LinkedTxn kept from the stored bill.
fn bill_rules(
    store: &Store,
    w: &mut Obj,
    old: Option<&Obj>,
    total: f64,
    now: i64,
) -> Result<(), Fault> {
    optional_ref(store, w, "SalesTermRef", "Term", "SalesTermRef")?;
    if str_field(w, "DueDate").is_none() {
        let days = ref_id(w, "SalesTermRef")
            .and_then(|id| store.live(store.table_index("Term")?, id))
            .and_then(|t| t.obj.get("DueDays").and_then(Value::as_i64))
            .unwrap_or(0);
        let txn = w.get("TxnDate").and_then(Value::as_str).unwrap_or("");
        let due = chrono::NaiveDate::parse_from_str(txn, "%Y-%m-%d")
            .map(|d| {
                (d + chrono::Duration::days(days))
                    .format("%Y-%m-%d")
                    .to_string()
            })
            .unwrap_or_else(|_| local_date(now + days * 86_400));
        w.insert("DueDate".into(), Value::from(due));
    }
    let applied = old
        .map(|o| round2(f(o, "TotalAmt") - f(o, "Balance")))
        .unwrap_or(0.0);
    if total + 0.005 < applied {
        return Err(Fault::business(
            "The bill total cannot be less than the payments applied to it.",
        ));
    }
    if applied > 0.0 && old.and_then(|o| ref_id(o, "VendorRef")) != ref_id(w, "VendorRef") {
        return Err(Fault::business(
            "A bill with payments applied cannot be moved to another vendor.",
        ));
    }
    w.insert("Balance".into(), num(total - applied));
    let linked = old
        .and_then(|o| o.get("LinkedTxn"))
        .cloned()
        .unwrap_or_else(|| json!([]));
    w.insert("LinkedTxn".into(), linked);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// JournalEntry, Deposit, Transfer.

fn journal_entry(store: &Store, w: &mut Obj, now: i64) -> Result<(), Fault> {
    let (mut debits, mut credits) = (0.0, 0.0);
    let mut out = Vec::new();
    for (i, mut l) in line_objects(w)?.into_iter().enumerate() {
        match str_field(&l, "DetailType") {
            None => return Err(Fault::required_param("Line.DetailType")),
            Some("JournalEntryLineDetail") => {}
            Some(other) => return Err(Fault::invalid_enum("Line.DetailType", other)),
        }
        let mut d = match l.get("JournalEntryLineDetail") {
            Some(Value::Object(d)) => d.clone(),
            _ => return Err(Fault::required_param("Line.JournalEntryLineDetail")),
        };
        let Some(posting) = str_field(&d, "PostingType").map(str::to_string) else {
            return Err(Fault::required_param(
                "Line.JournalEntryLineDetail.PostingType",
            ));
        };
        if posting != "Debit" && posting != "Credit" {
            return Err(Fault::invalid_enum(
                "Line.JournalEntryLineDetail.PostingType",
                &posting,
            ));
        }
        d.insert("PostingType".into(), Value::from(posting.clone()));
        required_detail_ref(
            store,
            &mut d,
            "AccountRef",
            "Account",
            "Line.JournalEntryLineDetail.AccountRef",
        )?;
        optional_ref(
            store,
            &mut d,
            "ClassRef",
            "Class",
            "Line.JournalEntryLineDetail.ClassRef",
        )?;
        optional_ref(
            store,
            &mut d,
            "DepartmentRef",
            "Department",
            "Line.JournalEntryLineDetail.DepartmentRef",
        )?;
        journal_entity(store, &mut d)?;
        let Some(amount) = opt_money(&l, "Amount", "Line.Amount")? else {
            return Err(Fault::required_param("Line.Amount"));
        };
        if amount < 0.0 {
            return Err(Fault::business(
                "A journal entry line amount cannot be negative.",
            ));
        }
        if posting == "Debit" {
            debits += amount;
        } else {
            credits += amount;
        }
        l.insert("JournalEntryLineDetail".into(), Value::Object(d));
        number_line(&mut l, i + 1, amount);
        out.push(Value::Object(l));
    }
    if out.is_empty() {
        return Err(Fault::required_param("Line"));
    }
    if (round2(debits) - round2(credits)).abs() > 0.005 {
        // [sim] wording: the sheet has no text for this refusal.
        return Err(Fault::business(format!(
            "Transaction must be balanced. Debits {:.2} and credits {:.2} are not equal.",
            round2(debits),
            round2(credits)
        )));
    }
    w.insert("Line".into(), Value::Array(out));
    w.insert("TotalAmt".into(), num(debits));
    w.entry("Adjustment").or_insert(Value::Bool(false));
    default_txn_date(w, now);
    Ok(())
}

/// JournalEntryLineDetail.Entity: `{"Type":"Customer","EntityRef":{"value":..}}` (optional).
fn journal_entity(store: &Store, d: &mut Obj) -> Result<(), Fault> {
    let Some(Value::Object(mut e)) = d.get("Entity").cloned() else {
        return Ok(());
    };
    let ty = str_field(&e, "Type").unwrap_or("").to_string();
    if !["Customer", "Vendor", "Employee"].contains(&ty.as_str()) {
        return Err(Fault::invalid_enum(
            "Line.JournalEntryLineDetail.Entity.Type",
            &ty,
        ));
    }
    required_detail_ref(
        store,
        &mut e,
        "EntityRef",
        &ty,
        "Line.JournalEntryLineDetail.Entity.EntityRef",
    )?;
    d.insert("Entity".into(), Value::Object(e));
    Ok(())
}

fn deposit(store: &Store, w: &mut Obj, now: i64) -> Result<(), Fault> {
    required_ref(store, w, "DepositToAccountRef", "Account")?;
    let mut out = Vec::new();
    let mut total = 0.0;
    for (i, mut l) in line_objects(w)?.into_iter().enumerate() {
        match str_field(&l, "DetailType") {
            None | Some("DepositLineDetail") => {}
            Some(other) => return Err(Fault::invalid_enum("Line.DetailType", other)),
        }
        let Some(amount) = opt_money(&l, "Amount", "Line.Amount")? else {
            return Err(Fault::required_param("Line.Amount"));
        };
        let linked = deposit_links(store, &l)?;
        let has_link = !linked.is_empty();
        if has_link {
            l.insert("LinkedTxn".into(), Value::Array(linked));
        } else {
            l.remove("LinkedTxn");
        }
        let mut has_account = false;
        if let Some(Value::Object(mut d)) = l.get("DepositLineDetail").cloned() {
            has_account = d.get("AccountRef").is_some_and(|v| !v.is_null());
            let p = "Line.DepositLineDetail";
            optional_ref(
                store,
                &mut d,
                "AccountRef",
                "Account",
                &format!("{p}.AccountRef"),
            )?;
            optional_ref(store, &mut d, "ClassRef", "Class", &format!("{p}.ClassRef"))?;
            optional_ref(
                store,
                &mut d,
                "PaymentMethodRef",
                "PaymentMethod",
                &format!("{p}.PaymentMethodRef"),
            )?;
            l.insert("DepositLineDetail".into(), Value::Object(d));
            l.insert("DetailType".into(), Value::from("DepositLineDetail"));
        }
        if !has_account && !has_link {
            return Err(Fault::required_param("Line.DepositLineDetail.AccountRef"));
        }
        number_line(&mut l, i + 1, amount);
        total += amount;
        out.push(Value::Object(l));
    }
    if out.is_empty() {
        return Err(Fault::required_param("Line"));
    }
    if total < 0.0 {
        return Err(Fault::business("The deposit total cannot be negative."));
    }
    w.insert("Line".into(), Value::Array(out));
    w.insert("TotalAmt".into(), num(total));
    default_txn_date(w, now);
    Ok(())
}

/// A deposit line's LinkedTxn: each must name a live transaction of a catalogue type.
fn deposit_links(store: &Store, l: &Obj) -> Result<Vec<Value>, Fault> {
    let links = match l.get("LinkedTxn") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Object(o)) => vec![Value::Object(o.clone())],
        _ => return Ok(Vec::new()),
    };
    let mut out = Vec::with_capacity(links.len());
    for lt in links {
        let ty = lt
            .get("TxnType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let ti = store
            .table_index(&ty)
            .filter(|ti| store.entity(*ti).kind == EntityKind::Transaction)
            .ok_or_else(|| Fault::invalid_enum("Line.LinkedTxn.TxnType", &ty))?;
        let Some(raw) = lt.get("TxnId") else {
            return Err(Fault::required_param("Line.LinkedTxn.TxnId"));
        };
        let id = parse_id(raw).map_err(|_| Fault::invalid_reference("Line.LinkedTxn.TxnId"))?;
        match store.get(ti, id) {
            Some(r) if r.deleted => return Err(Fault::deleted_txn()),
            Some(_) => {}
            None => return Err(Fault::invalid_reference("Line.LinkedTxn.TxnId")),
        }
        let line_id = lt
            .get("TxnLineId")
            .and_then(Value::as_str)
            .unwrap_or("0")
            .to_string();
        out.push(json!({"TxnId": id.to_string(), "TxnType": store.entity(ti).name, "TxnLineId": line_id}));
    }
    Ok(out)
}

fn transfer(store: &Store, w: &mut Obj, now: i64) -> Result<(), Fault> {
    let from = required_ref(store, w, "FromAccountRef", "Account")?;
    let to = required_ref(store, w, "ToAccountRef", "Account")?;
    let Some(amount) = opt_money(w, "Amount", "Amount")? else {
        return Err(Fault::required_param("Amount"));
    };
    if from == to {
        return Err(Fault::business(
            "The accounts transferred from and to must be different.",
        ));
    }
    if amount <= 0.0 {
        return Err(Fault::business(
            "The amount transferred must be greater than zero.",
        ));
    }
    w.insert("Amount".into(), num(amount));
    optional_ref(store, w, "ClassRef", "Class", "ClassRef")?;
    default_txn_date(w, now);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// BillPayment and its effect on bills.

fn bill_payment(store: &Store, w: &mut Obj, old: Option<&Obj>, now: i64) -> Result<(), Fault> {
    required_ref(store, w, "VendorRef", "Vendor")?;
    if str_field(w, "PayType").is_none() {
        return Err(Fault::required_param("PayType"));
    }
    let pay_type = enum_field(w, "PayType", &["Check", "CreditCard"], None)?.unwrap_or_default();
    let Some(total) = opt_money(w, "TotalAmt", "TotalAmt")? else {
        return Err(Fault::required_param("TotalAmt"));
    };
    if total < 0.0 {
        return Err(Fault::business("The payment amount cannot be negative."));
    }
    w.insert("TotalAmt".into(), num(total));
    // [sim] the paying account defaults to the first bank (Checking) or credit-card account.
    let (keep, drop, field, ty, preferred) = if pay_type == "Check" {
        (
            "CheckPayment",
            "CreditCardPayment",
            "BankAccountRef",
            "Bank",
            "Checking",
        )
    } else {
        (
            "CreditCardPayment",
            "CheckPayment",
            "CCAccountRef",
            "Credit Card",
            "",
        )
    };
    w.remove(drop);
    let mut p = match w.get(keep) {
        Some(Value::Object(p)) => p.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(Fault::unsupported_property(keep)),
    };
    account_ref_or_default(
        store,
        &mut p,
        field,
        &format!("{keep}.{field}"),
        ty,
        preferred,
    )?;
    if pay_type == "Check" {
        p.entry("PrintStatus").or_insert(Value::from("NotSet"));
    }
    w.insert(keep.into(), Value::Object(p));
    account_ref_or_default(
        store,
        w,
        "APAccountRef",
        "APAccountRef",
        "Accounts Payable",
        AP_ACCOUNT,
    )?;
    let applied = super::normalize_linked_lines(w, &["Bill"])?
        .get("Bill")
        .copied()
        .unwrap_or(0.0);
    if applied > total + 0.005 {
        return Err(Fault::business(
            "The amount applied to bills exceeds the payment amount.",
        ));
    }
    let old_apps = old.map(applications).unwrap_or_default();
    check_bill_applications(store, w, &old_apps)?;
    default_txn_date(w, now);
    Ok(())
}

/// Checks a bill payment's applications against the bills: live, same vendor, no more than
/// the open balance plus what this payment already applied ([sim] 6000 otherwise).
fn check_bill_applications(
    store: &Store,
    new: &Obj,
    old_apps: &BTreeMap<u64, f64>,
) -> Result<(), Fault> {
    let Some(bill_ti) = store.table_index("Bill") else {
        return Ok(());
    };
    let vendor = ref_id(new, "VendorRef");
    for (bill, amt) in applications(new) {
        let rec = match store.get(bill_ti, bill) {
            Some(r) if r.deleted => return Err(Fault::deleted_txn()),
            Some(r) => r,
            None => return Err(Fault::invalid_reference("Line.LinkedTxn.TxnId")),
        };
        if ref_id(&rec.obj, "VendorRef") != vendor {
            return Err(Fault::business(format!(
                "Bill {bill} belongs to another vendor."
            )));
        }
        let open = f(&rec.obj, "Balance") + old_apps.get(&bill).copied().unwrap_or(0.0);
        if amt > open + 0.005 {
            return Err(Fault::business(format!(
                "The payment amount applied to bill {bill} exceeds its open balance of {:.2}.",
                round2(open)
            )));
        }
    }
    Ok(())
}

/// A vendor's Balance is the sum of its open bill balances ([sim] derived: no new SyncToken).
fn adjust_vendor_balance(store: &mut Store, vendor: Option<u64>, delta: f64) {
    super::adjust_balance_in_place(store, "Vendor", vendor, delta);
}

/// A bill replaced `old` by `new` (either may be absent): its vendor's Balance follows.
pub(super) fn bill_side_effects(store: &mut Store, old: Option<&Obj>, new: Option<&Obj>) {
    let bal = |o: Option<&Obj>| o.map(|o| f(o, "Balance")).unwrap_or(0.0);
    let ov = old.and_then(|o| ref_id(o, "VendorRef"));
    let nv = new.and_then(|o| ref_id(o, "VendorRef"));
    if ov == nv {
        adjust_vendor_balance(store, nv, bal(new) - bal(old));
    } else {
        adjust_vendor_balance(store, ov, -bal(old));
        adjust_vendor_balance(store, nv, bal(new));
    }
}

/// Moves a bill's Balance by `-(new_amt - old_amt)` for bill payment `pid`, keeps its
/// LinkedTxn list, and (a real change) bumps its SyncToken and LastUpdatedTime.
fn apply_to_bill(
    store: &mut Store,
    bill: u64,
    pid: u64,
    old_amt: f64,
    new_amt: f64,
    keep_link: bool,
    now: i64,
) {
    let Some(ti) = store.table_index("Bill") else {
        return;
    };
    let Some(rec) = store.tables[ti].rows.get(&bill).filter(|r| !r.deleted) else {
        return;
    };
    let mut obj = rec.obj.clone();
    let vendor = ref_id(&obj, "VendorRef");
    let delta = new_amt - old_amt;
    obj.insert("Balance".into(), num(f(&obj, "Balance") - delta));
    super::relink_and_store(store, ti, bill, obj, pid, "BillPayment", keep_link, now);
    adjust_vendor_balance(store, vendor, -delta);
}

/// Side effects of a bill payment going from `old` to `new` (create, update, void, delete).
pub(super) fn apply_bill_payment_change(
    store: &mut Store,
    pid: u64,
    old: Option<&Obj>,
    new: Option<&Obj>,
    now: i64,
) {
    let old_apps = old.map(applications).unwrap_or_default();
    let new_apps = new.map(applications).unwrap_or_default();
    let mut bills: Vec<u64> = old_apps.keys().chain(new_apps.keys()).copied().collect();
    bills.sort_unstable();
    bills.dedup();
    for bill in bills {
        let o = old_apps.get(&bill).copied().unwrap_or(0.0);
        let n = new_apps.get(&bill).copied().unwrap_or(0.0);
        let keep = n > 0.0;
        if (o - n).abs() > 0.0001 || keep != (o > 0.0) {
            apply_to_bill(store, bill, pid, o, n, keep, now);
        }
    }
}

/// Removes a deleted bill from every bill payment applied to it: their lines for it go (the
/// money stays paid out, unapplied), each gets a new SyncToken.
pub(super) fn unlink_bill(store: &mut Store, bill: u64, bill_obj: &Obj, now: i64) {
    let Some(pti) = store.table_index("BillPayment") else {
        return;
    };
    let pids: Vec<u64> = match bill_obj.get("LinkedTxn") {
        Some(Value::Array(a)) => a
            .iter()
            .filter(|l| l.get("TxnType").and_then(Value::as_str) == Some("BillPayment"))
            .filter_map(|l| {
                l.get("TxnId")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse().ok())
            })
            .collect(),
        _ => Vec::new(),
    };
    let bill_s = bill.to_string();
    for pid in pids {
        let Some(rec) = store.tables[pti].rows.get(&pid).filter(|r| !r.deleted) else {
            continue;
        };
        let mut obj = rec.obj.clone();
        let lines: Vec<Value> = match obj.get("Line") {
            Some(Value::Array(a)) => a
                .iter()
                .filter(|l| {
                    !l.get("LinkedTxn")
                        .and_then(Value::as_array)
                        .is_some_and(|lts| {
                            lts.iter().any(|lt| {
                                lt.get("TxnId").and_then(Value::as_str) == Some(bill_s.as_str())
                            })
                        })
                })
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        obj.insert("Line".into(), Value::Array(lines));
        bump(&mut obj, now);
        store.put(pti, pid, obj, now);
    }
}

// ---------------------------------------------------------------------------------------------
// TimeActivity.

/// A whole, non-negative number of hours/minutes: 2080 when not whole, 6000 when negative.
fn duration_part(w: &mut Obj, field: &str) -> Result<Option<i64>, Fault> {
    let Some(v) = w.get(field).filter(|v| !v.is_null()).cloned() else {
        w.remove(field);
        return Ok(None);
    };
    let x = money(&v, field)?;
    if x.fract() != 0.0 || x.abs() > 1e9 {
        return Err(Fault::illegal_number(field, &v.to_string()));
    }
    if x < 0.0 {
        return Err(Fault::business(format!("{field} cannot be negative.")));
    }
    let n = x as i64;
    w.insert(field.into(), Value::from(n));
    Ok(Some(n))
}

fn time_activity(store: &Store, w: &mut Obj, now: i64) -> Result<(), Fault> {
    if str_field(w, "NameOf").is_none() {
        return Err(Fault::required_param("NameOf"));
    }
    // [sim] "Other" (XSD) is refused: only employees' and vendors' time is kept.
    let name_of = enum_field(w, "NameOf", &["Employee", "Vendor"], None)?.unwrap_or_default();
    let (want, other) = if name_of == "Employee" {
        ("EmployeeRef", "VendorRef")
    } else {
        ("VendorRef", "EmployeeRef")
    };
    required_ref(store, w, want, &name_of)?;
    // [sim] the reference that does not match NameOf is dropped.
    w.remove(other);
    optional_ref(store, w, "CustomerRef", "Customer", "CustomerRef")?;
    optional_ref(store, w, "ItemRef", "Item", "ItemRef")?;
    optional_ref(store, w, "ClassRef", "Class", "ClassRef")?;
    optional_ref(store, w, "DepartmentRef", "Department", "DepartmentRef")?;
    let hours = duration_part(w, "Hours")?;
    let minutes = duration_part(w, "Minutes")?;
    for part in ["BreakHours", "BreakMinutes", "Seconds"] {
        duration_part(w, part)?;
    }
    let timed = str_field(w, "StartTime").is_some() && str_field(w, "EndTime").is_some();
    if hours.is_none() && minutes.is_none() {
        if !timed {
            return Err(Fault::required_param("Hours"));
        }
    } else {
        w.entry("Hours").or_insert(Value::from(0));
        w.entry("Minutes").or_insert(Value::from(0));
    }
    for rate in ["HourlyRate", "CostRate"] {
        if let Some(r) = opt_money(w, rate, rate)? {
            w.insert(rate.into(), num(r));
        }
    }
    enum_field(
        w,
        "BillableStatus",
        &["Billable", "NotBillable", "HasBeenBilled"],
        Some("NotBillable"),
    )?;
    w.entry("Taxable").or_insert(Value::Bool(false));
    default_txn_date(w, now);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Attachable.

/// [sim] The content type QuickBooks would record for an upload, from the file name.
fn content_type_of(file: &str) -> &'static str {
    let ext = file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("tif" | "tiff") => "image/tiff",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("xls") => "application/vnd.ms-excel",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("doc") => "application/msword",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

/// Attachable (metadata only: no upload endpoint): `FileName` or `Note` required (2020);
/// every `AttachableRef[].EntityRef` must name a catalogue entity (`type`) and a live record of
/// it (`value`), else 2500 `AttachableRef.EntityRef` ([sim] an inactive name-list record may
/// carry attachments); `IncludeOnSend` defaults to false; `Size` a whole number ≥ 0 (2080);
/// `ContentType` defaults from the file name's extension.
fn attachable(store: &Store, w: &mut Obj) -> Result<(), Fault> {
    if str_field(w, "FileName").is_none() && str_field(w, "Note").is_none() {
        return Err(Fault::required_param("FileName or Note"));
    }
    let refs = match w.get("AttachableRef") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Object(one)) => vec![Value::Object(one.clone())],
        Some(_) => return Err(Fault::unsupported_property("AttachableRef")),
    };
    const PATH: &str = "AttachableRef.EntityRef";
    let mut out = Vec::with_capacity(refs.len());
    for r in refs {
        let Value::Object(mut r) = r else {
            return Err(Fault::unsupported_property("AttachableRef"));
        };
        let Some(Value::Object(er)) = r.get("EntityRef").filter(|v| !v.is_null()).cloned() else {
            return Err(Fault::required_param(PATH));
        };
        let ty = er.get("type").and_then(Value::as_str).unwrap_or("").trim();
        let ti = store
            .table_index(ty)
            .filter(|ti| store.entity(*ti).name != "Attachable")
            .ok_or_else(|| Fault::invalid_reference(PATH))?;
        let value = er.get("value").cloned().unwrap_or(Value::Null);
        let (id, _) = super::resolve_ref(store, store.entity(ti).name, &value, PATH, false)?;
        r.insert(
            "EntityRef".into(),
            json!({"type": store.entity(ti).name, "value": id.to_string()}),
        );
        match r.get("IncludeOnSend") {
            Some(Value::Bool(_)) => {}
            _ => {
                r.insert("IncludeOnSend".into(), Value::Bool(false));
            }
        }
        out.push(Value::Object(r));
    }
    if out.is_empty() {
        w.remove("AttachableRef");
    } else {
        w.insert("AttachableRef".into(), Value::Array(out));
    }
    if let Some(v) = w.get("Size").filter(|v| !v.is_null()) {
        let n = money(v, "Size")?;
        if n.fract() != 0.0 || n < 0.0 {
            return Err(Fault::illegal_number("Size", &v.to_string()));
        }
        w.insert("Size".into(), Value::from(n as u64));
    }
    if str_field(w, "ContentType").is_none() {
        if let Some(file) = str_field(w, "FileName").map(str::to_string) {
            w.insert("ContentType".into(), Value::from(content_type_of(&file)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{create, delete, parse_id, update, void};
    use crate::store::Store;
    use qbsync_catalog::VoidStyle;
    use serde_json::{json, Map, Value};

    fn o(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    struct Co {
        s: Store,
        expense: String,
        bank: String,
        savings: String,
        item: String,
        cust: String,
        vendor: String,
        employee: String,
    }

    fn mk(s: &mut Store, entity: &str, body: Value) -> Map<String, Value> {
        let ti = s.table_index(entity).expect(entity);
        create(s, ti, o(body), 100).unwrap_or_else(|e| panic!("{entity}: {e:?}"))
    }

    fn id(obj: &Map<String, Value>) -> String {
        obj["Id"].as_str().unwrap_or("").to_string()
    }

    fn company() -> Co {
        let mut s = Store::new();
        let ap = mk(
            &mut s,
            "Account",
            json!({"Name":"Accounts Payable (A/P)","AccountType":"Accounts Payable"}),
        );
        assert_eq!(ap["Id"], "1");
        mk(
            &mut s,
            "Account",
            json!({"Name":"Undeposited Funds","AccountType":"Other Current Asset"}),
        );
        let bank = id(&mk(
            &mut s,
            "Account",
            json!({"Name":"Checking","AccountType":"Bank"}),
        ));
        let savings = id(&mk(
            &mut s,
            "Account",
            json!({"Name":"Savings","AccountType":"Bank"}),
        ));
        let expense = id(&mk(
            &mut s,
            "Account",
            json!({"Name":"Office Expenses","AccountType":"Expense"}),
        ));
        let income = id(&mk(
            &mut s,
            "Account",
            json!({"Name":"Services","AccountType":"Income"}),
        ));
        let item = id(&mk(
            &mut s,
            "Item",
            json!({"Name":"Hours","IncomeAccountRef":{"value":income}}),
        ));
        let cust = id(&mk(&mut s, "Customer", json!({"DisplayName":"Amy"})));
        let vendor = id(&mk(&mut s, "Vendor", json!({"DisplayName":"Acme Supply"})));
        let employee = id(&mk(&mut s, "Employee", json!({"DisplayName":"Eve Okafor"})));
        Co {
            s,
            expense,
            bank,
            savings,
            item,
            cust,
            vendor,
            employee,
        }
    }

    fn try_create(s: &mut Store, entity: &str, body: Value) -> Result<Map<String, Value>, String> {
        let ti = s.table_index(entity).expect(entity);
        create(s, ti, o(body), 200).map_err(|e| {
            format!(
                "{} {}",
                e.code(),
                e.errors
                    .first()
                    .map(|x| x.detail.clone())
                    .unwrap_or_default()
            )
        })
    }

    fn read(c: &Co, entity: &str, id: &str) -> Map<String, Value> {
        let ti = c.s.table_index(entity).expect(entity);
        let n: u64 = id.parse().expect("id");
        c.s.live(ti, n).expect("live").obj.clone()
    }

    fn bill_body(c: &Co, amounts: &[f64]) -> Value {
        bill_lines(&c.expense, &c.vendor, amounts)
    }

    fn bill_lines(expense: &str, vendor: &str, amounts: &[f64]) -> Value {
        let lines: Vec<Value> = amounts
            .iter()
            .map(|a| {
                json!({"DetailType":"AccountBasedExpenseLineDetail","Amount":a,
                "AccountBasedExpenseLineDetail":{"AccountRef":{"value":expense}}})
            })
            .collect();
        json!({"VendorRef":{"value":vendor},"TxnDate":"2024-03-01","Line":lines})
    }

    fn je(c: &Co, debit: f64, credit: f64) -> Value {
        je_lines(&c.expense, &c.bank, debit, credit)
    }

    fn je_lines(expense: &str, bank: &str, debit: f64, credit: f64) -> Value {
        json!({"Line":[
            {"DetailType":"JournalEntryLineDetail","Amount":debit,"JournalEntryLineDetail":{"PostingType":"Debit","AccountRef":{"value":expense}}},
            {"DetailType":"JournalEntryLineDetail","Amount":credit,"JournalEntryLineDetail":{"PostingType":"Credit","AccountRef":{"value":bank}}}]})
    }

    #[test]
    fn journal_entries_must_balance() {
        let mut c = company();
        let ok = try_create(
            &mut c.s,
            "JournalEntry",
            je_lines(&c.expense, &c.bank, 75.0, 75.0),
        )
        .expect("balanced");
        assert_eq!(ok["TotalAmt"], json!(75.0));
        assert_eq!(ok["Adjustment"], false);
        assert_eq!(ok["Line"][1]["Id"], "2");
        let e = try_create(
            &mut c.s,
            "JournalEntry",
            je_lines(&c.expense, &c.bank, 75.0, 70.0),
        )
        .unwrap_err();
        assert!(
            e.starts_with("6000 Business Validation Error: Transaction must be balanced"),
            "{e}"
        );
        let mut missing = je(&c, 1.0, 1.0);
        missing["Line"][0]["JournalEntryLineDetail"]
            .as_object_mut()
            .map(|d| d.remove("PostingType"));
        assert_eq!(
            try_create(&mut c.s, "JournalEntry", missing).unwrap_err(),
            "2020 Required parameter Line.JournalEntryLineDetail.PostingType is missing in the request"
        );
        let mut bad_acc = je(&c, 1.0, 1.0);
        bad_acc["Line"][1]["JournalEntryLineDetail"]["AccountRef"]["value"] = json!("999");
        assert_eq!(
            try_create(&mut c.s, "JournalEntry", bad_acc).unwrap_err(),
            "2500 Invalid Reference Id : Line.JournalEntryLineDetail.AccountRef"
        );
        let mut bad_type = je(&c, 1.0, 1.0);
        bad_type["Line"][0]["JournalEntryLineDetail"]["PostingType"] = json!("Both");
        assert!(try_create(&mut c.s, "JournalEntry", bad_type)
            .unwrap_err()
            .starts_with("2170"));
        assert!(try_create(&mut c.s, "JournalEntry", json!({"Line":[]}))
            .unwrap_err()
            .starts_with("2020"));
    }

    #[test]
    fn bills_and_bill_payments_move_balances_and_void_restores_them() {
        let mut c = company();
        let bill = try_create(
            &mut c.s,
            "Bill",
            bill_lines(&c.expense, &c.vendor, &[120.0, 30.5]),
        )
        .expect("bill");
        assert_eq!(bill["TotalAmt"], json!(150.5));
        assert_eq!(bill["Balance"], json!(150.5));
        assert_eq!(
            bill["DueDate"], "2024-03-01",
            "no term: due on the bill date"
        );
        assert_eq!(bill["APAccountRef"]["value"], "1");
        assert_eq!(bill["APAccountRef"]["name"], "Accounts Payable (A/P)");
        assert!(bill.get("DocNumber").is_none(), "bills are not numbered");
        let bid = id(&bill);
        assert_eq!(read(&c, "Vendor", &c.vendor)["Balance"], json!(150.5));

        let pay = |amount: f64, total: f64| {
            json!({"VendorRef":{"value":c.vendor},"PayType":"Check","TotalAmt":total,
                "Line":[{"Amount":amount,"LinkedTxn":[{"TxnId":bid,"TxnType":"Bill"}]}]})
        };
        // More than the open balance, or than the payment itself: refused.
        assert!(try_create(&mut c.s, "BillPayment", pay(200.0, 200.0))
            .unwrap_err()
            .starts_with("6000"));
        assert!(try_create(&mut c.s, "BillPayment", pay(50.0, 40.0))
            .unwrap_err()
            .starts_with("6000"));
        let bp = try_create(&mut c.s, "BillPayment", pay(100.0, 100.0)).expect("bp");
        assert_eq!(
            bp["CheckPayment"]["BankAccountRef"]["value"],
            c.bank.as_str()
        );
        let after = read(&c, "Bill", &bid);
        assert_eq!(after["Balance"], json!(50.5));
        assert_eq!(after["SyncToken"], "1");
        assert_eq!(
            after["LinkedTxn"],
            json!([{"TxnId": bp["Id"], "TxnType": "BillPayment"}])
        );
        assert_eq!(read(&c, "Vendor", &c.vendor)["Balance"], json!(50.5));
        // A second payment may only take what is left.
        assert!(try_create(&mut c.s, "BillPayment", pay(60.0, 60.0))
            .unwrap_err()
            .starts_with("6000"));
        // The bill cannot shrink below what was paid.
        let ti = c.s.table_index("Bill").expect("bill");
        let mut shrink = bill_body(&c, &[90.0]);
        shrink["Id"] = json!(bid);
        shrink["SyncToken"] = json!("1");
        let e = update(&mut c.s, ti, o(shrink), 250).unwrap_err();
        assert_eq!(e.code(), "6000");

        // Void: amounts zeroed, lines cleared, "Voided" before the memo, balance restored.
        let pti = c.s.table_index("BillPayment").expect("bp");
        let mut body = o(json!({"Id": bp["Id"], "SyncToken": "0", "sparse": true}));
        let ptext = update(
            &mut c.s,
            pti,
            o(json!({"Id": bp["Id"], "SyncToken": "0", "sparse": true, "PrivateNote": "March rent"})),
            300,
        )
        .expect("memo");
        assert_eq!(ptext["SyncToken"], "1");
        body.insert("SyncToken".into(), json!("1"));
        let v = void(&mut c.s, pti, body, VoidStyle::UpdateIncludeVoid, 400).expect("void");
        assert_eq!(v["TotalAmt"], json!(0.0));
        assert_eq!(v["Line"], json!([]));
        assert_eq!(v["PrivateNote"], "Voided March rent");
        assert_eq!(v["SyncToken"], "2");
        let restored = read(&c, "Bill", &bid);
        assert_eq!(restored["Balance"], json!(150.5));
        assert_eq!(restored["LinkedTxn"], json!([]));
        assert_eq!(read(&c, "Vendor", &c.vendor)["Balance"], json!(150.5));
        // Bill payments cannot use ?operation=void.
        let e = void(
            &mut c.s,
            pti,
            o(json!({"Id": bp["Id"], "SyncToken": "2"})),
            VoidStyle::OperationVoid,
            500,
        )
        .unwrap_err();
        assert_eq!(e.code(), "500");
    }

    #[test]
    fn deleting_a_bill_payment_or_a_paid_bill() {
        let mut c = company();
        let bill =
            try_create(&mut c.s, "Bill", bill_lines(&c.expense, &c.vendor, &[80.0])).expect("bill");
        let bid = id(&bill);
        let bp = try_create(
            &mut c.s,
            "BillPayment",
            json!({"VendorRef":{"value":c.vendor},"PayType":"Check","TotalAmt":30,
                "Line":[{"Amount":30,"LinkedTxn":[{"TxnId":bid,"TxnType":"Bill"}]}]}),
        )
        .expect("bp");
        let pti = c.s.table_index("BillPayment").expect("bp");
        delete(
            &mut c.s,
            pti,
            o(json!({"Id":bp["Id"],"SyncToken":"0"})),
            300,
        )
        .expect("delete");
        assert_eq!(read(&c, "Bill", &bid)["Balance"], json!(80.0));
        // Pay again, then delete the bill: the payment loses its line for it.
        let bp = try_create(
            &mut c.s,
            "BillPayment",
            json!({"VendorRef":{"value":c.vendor},"PayType":"Check","TotalAmt":30,
                "Line":[{"Amount":30,"LinkedTxn":[{"TxnId":bid,"TxnType":"Bill"}]}]}),
        )
        .expect("bp");
        let bill = read(&c, "Bill", &bid);
        let bti = c.s.table_index("Bill").expect("bill");
        delete(
            &mut c.s,
            bti,
            o(json!({"Id":bid,"SyncToken":bill["SyncToken"]})),
            400,
        )
        .expect("delete bill");
        let after = read(&c, "BillPayment", &id(&bp));
        assert_eq!(after["Line"], json!([]));
        assert_eq!(after["TotalAmt"], json!(30.0));
        assert_eq!(after["SyncToken"], "1");
        assert_eq!(read(&c, "Vendor", &c.vendor)["Balance"], json!(0.0));
        // A deleted bill cannot be paid.
        let e = try_create(
            &mut c.s,
            "BillPayment",
            json!({"VendorRef":{"value":c.vendor},"PayType":"Check","TotalAmt":1,
                "Line":[{"Amount":1,"LinkedTxn":[{"TxnId":bid,"TxnType":"Bill"}]}]}),
        )
        .unwrap_err();
        assert!(e.starts_with("610"), "{e}");
    }

    #[test]
    fn bill_payments_check_vendor_and_pay_type() {
        let mut c = company();
        let bill =
            try_create(&mut c.s, "Bill", bill_lines(&c.expense, &c.vendor, &[10.0])).expect("bill");
        let other = id(&mk(&mut c.s, "Vendor", json!({"DisplayName":"Other Co"})));
        let body = |vendor: &str, pay_type: &str| {
            json!({"VendorRef":{"value":vendor},"PayType":pay_type,"TotalAmt":5,
                "Line":[{"Amount":5,"LinkedTxn":[{"TxnId":bill["Id"],"TxnType":"Bill"}]}]})
        };
        assert!(try_create(&mut c.s, "BillPayment", body(&other, "Check"))
            .unwrap_err()
            .starts_with("6000"));
        assert!(
            try_create(&mut c.s, "BillPayment", body(&c.vendor.clone(), "Cash"))
                .unwrap_err()
                .starts_with("2170")
        );
        assert_eq!(
            try_create(
                &mut c.s,
                "BillPayment",
                json!({"VendorRef":{"value":c.vendor},"TotalAmt":5})
            )
            .unwrap_err(),
            "2020 Required parameter PayType is missing in the request"
        );
        assert!(try_create(
            &mut c.s,
            "BillPayment",
            json!({"VendorRef":{"value":c.vendor},"PayType":"Check"})
        )
        .unwrap_err()
        .starts_with("2020 Required parameter TotalAmt"));
        let mut wrong = body(&c.vendor.clone(), "Check");
        wrong["Line"][0]["LinkedTxn"][0]["TxnType"] = json!("Invoice");
        assert!(try_create(&mut c.s, "BillPayment", wrong)
            .unwrap_err()
            .starts_with("2170"));
        // Credit card: no card account in this chart, so no CCAccountRef is made up.
        let cc = try_create(
            &mut c.s,
            "BillPayment",
            body(&c.vendor.clone(), "CreditCard"),
        )
        .expect("cc");
        assert!(cc.get("CheckPayment").is_none());
        assert_eq!(cc["CreditCardPayment"], json!({}));
    }

    #[test]
    fn required_fields_and_references() {
        let mut c = company();
        let line = json!([{"DetailType":"SalesItemLineDetail","Amount":40,"SalesItemLineDetail":{"ItemRef":{"value":c.item},"Qty":2,"UnitPrice":20}}]);
        for entity in ["Estimate", "CreditMemo", "RefundReceipt"] {
            assert_eq!(
                try_create(&mut c.s, entity, json!({"Line": line})).unwrap_err(),
                "2020 Required parameter CustomerRef is missing in the request",
                "{entity}"
            );
            assert_eq!(
                try_create(&mut c.s, entity, json!({"CustomerRef":{"value":c.cust}})).unwrap_err(),
                "2020 Required parameter Line is missing in the request"
            );
            assert_eq!(
                try_create(&mut c.s, entity, json!({"CustomerRef":{"value":c.cust},"Line":[{"DetailType":"SalesItemLineDetail","Amount":1,"SalesItemLineDetail":{}}]})).unwrap_err(),
                "2020 Required parameter Line.SalesItemLineDetail.ItemRef is missing in the request"
            );
            assert_eq!(
                try_create(&mut c.s, entity, json!({"CustomerRef":{"value":c.cust},"Line":[{"DetailType":"SalesItemLineDetail","Amount":1,"SalesItemLineDetail":{"ItemRef":{"value":"999"}}}]})).unwrap_err(),
                "2500 Invalid Reference Id : Line.SalesItemLineDetail.ItemRef"
            );
            let ok = try_create(
                &mut c.s,
                entity,
                json!({"CustomerRef":{"value":c.cust},"Line": line}),
            )
            .expect(entity);
            assert_eq!(ok["TotalAmt"], json!(40.0));
            assert_eq!(ok["DocNumber"], "1001", "{entity} numbered");
            assert_eq!(
                ok["Line"].as_array().map(Vec::len),
                Some(2),
                "subtotal line"
            );
            match entity {
                "Estimate" => assert_eq!(ok["TxnStatus"], "Pending"),
                "CreditMemo" => assert_eq!(ok["RemainingCredit"], json!(40.0)),
                _ => assert_eq!(ok["DepositToAccountRef"]["name"], "Undeposited Funds"),
            }
        }
        assert!(try_create(
            &mut c.s,
            "Estimate",
            json!({"CustomerRef":{"value":c.cust},"Line": line,"TxnStatus":"Maybe"})
        )
        .unwrap_err()
        .starts_with("2170"));

        let exp = json!([{"DetailType":"AccountBasedExpenseLineDetail","Amount":25,"AccountBasedExpenseLineDetail":{"AccountRef":{"value":c.expense}}},
                         {"DetailType":"ItemBasedExpenseLineDetail","ItemBasedExpenseLineDetail":{"ItemRef":{"value":c.item},"Qty":3,"UnitPrice":5}}]);
        for entity in ["Bill", "VendorCredit", "PurchaseOrder"] {
            assert_eq!(
                try_create(&mut c.s, entity, json!({"Line": exp})).unwrap_err(),
                "2020 Required parameter VendorRef is missing in the request"
            );
            let ok = try_create(
                &mut c.s,
                entity,
                json!({"VendorRef":{"value":c.vendor},"Line": exp}),
            )
            .expect(entity);
            assert_eq!(ok["TotalAmt"], json!(40.0), "{entity}");
            assert_eq!(ok["Line"][1]["Amount"], json!(15.0));
            assert_eq!(ok["APAccountRef"]["value"], "1");
        }
        let po = try_create(
            &mut c.s,
            "PurchaseOrder",
            json!({"VendorRef":{"value":c.vendor},"Line": exp}),
        )
        .expect("po");
        assert_eq!(po["POStatus"], "Open");
        assert_eq!(po["DocNumber"], "1002");
        assert_eq!(
            try_create(&mut c.s, "Bill", json!({"VendorRef":{"value":c.vendor},"Line":[{"DetailType":"AccountBasedExpenseLineDetail","Amount":1,"AccountBasedExpenseLineDetail":{}}]})).unwrap_err(),
            "2020 Required parameter Line.AccountBasedExpenseLineDetail.AccountRef is missing in the request"
        );
        assert_eq!(
            try_create(&mut c.s, "Bill", json!({"VendorRef":{"value":c.vendor},"Line":[{"DetailType":"ItemBasedExpenseLineDetail","Amount":1,"ItemBasedExpenseLineDetail":{"ItemRef":{"value":"999"}}}]})).unwrap_err(),
            "2500 Invalid Reference Id : Line.ItemBasedExpenseLineDetail.ItemRef"
        );

        // Purchase: AccountRef and PaymentType; EntityRef optional.
        assert!(try_create(
            &mut c.s,
            "Purchase",
            json!({"PaymentType":"Cash","Line": exp})
        )
        .unwrap_err()
        .starts_with("2020 Required parameter AccountRef"));
        assert!(try_create(
            &mut c.s,
            "Purchase",
            json!({"AccountRef":{"value":c.bank},"Line": exp})
        )
        .unwrap_err()
        .starts_with("2020 Required parameter PaymentType"));
        assert!(try_create(
            &mut c.s,
            "Purchase",
            json!({"AccountRef":{"value":c.bank},"PaymentType":"Barter","Line": exp})
        )
        .unwrap_err()
        .starts_with("2170"));
        let p = try_create(&mut c.s, "Purchase", json!({"AccountRef":{"value":c.bank},"PaymentType":"Check","EntityRef":{"value":c.vendor},"Line": exp})).expect("purchase");
        assert_eq!(p["EntityRef"]["type"], "Vendor");
        assert_eq!(p["TotalAmt"], json!(40.0));
        assert!(try_create(&mut c.s, "Purchase", json!({"AccountRef":{"value":c.bank},"PaymentType":"Cash","EntityRef":{"value":"999"},"Line": exp}))
            .unwrap_err()
            .starts_with("2500 Invalid Reference Id : EntityRef"));

        // Deposit, Transfer.
        assert!(try_create(
            &mut c.s,
            "Deposit",
            json!({"Line":[{"Amount":5,"DepositLineDetail":{"AccountRef":{"value":c.expense}}}]})
        )
        .unwrap_err()
        .starts_with("2020 Required parameter DepositToAccountRef"));
        assert!(try_create(
            &mut c.s,
            "Deposit",
            json!({"DepositToAccountRef":{"value":c.bank},"Line":[{"Amount":5}]})
        )
        .unwrap_err()
        .starts_with("2020 Required parameter Line.DepositLineDetail.AccountRef"));
        let d = try_create(
            &mut c.s,
            "Deposit",
            json!({"DepositToAccountRef":{"value":c.bank},"Line":[
            {"Amount":5,"DepositLineDetail":{"AccountRef":{"value":c.expense}}},
            {"Amount":7.5,"LinkedTxn":[{"TxnId":p["Id"],"TxnType":"Purchase"}]}]}),
        )
        .expect("deposit");
        assert_eq!(d["TotalAmt"], json!(12.5));
        assert_eq!(d["Line"][0]["DetailType"], "DepositLineDetail");
        assert!(try_create(
            &mut c.s,
            "Deposit",
            json!({"DepositToAccountRef":{"value":c.bank},"Line":[
            {"Amount":7.5,"LinkedTxn":[{"TxnId":"999","TxnType":"Payment"}]}]})
        )
        .unwrap_err()
        .starts_with("2500"));
        let t = |from: &str, to: &str, amount: Value| json!({"FromAccountRef":{"value":from},"ToAccountRef":{"value":to},"Amount":amount});
        let (bank, savings) = (c.bank.clone(), c.savings.clone());
        assert!(try_create(&mut c.s, "Transfer", t(&bank, &bank, json!(5)))
            .unwrap_err()
            .starts_with("6000"));
        assert!(
            try_create(&mut c.s, "Transfer", t(&bank, &savings, json!(0)))
                .unwrap_err()
                .starts_with("6000")
        );
        assert!(try_create(
            &mut c.s,
            "Transfer",
            json!({"FromAccountRef":{"value":bank},"Amount":5})
        )
        .unwrap_err()
        .starts_with("2020 Required parameter ToAccountRef"));
        let tr =
            try_create(&mut c.s, "Transfer", t(&bank, &savings, json!("500"))).expect("transfer");
        assert_eq!(tr["Amount"], json!(500.0));
        assert!(tr.get("Line").is_none());
    }

    #[test]
    fn time_activities() {
        let mut c = company();
        let (emp, vendor) = (c.employee.clone(), c.vendor.clone());
        let ok = try_create(
            &mut c.s,
            "TimeActivity",
            json!({"NameOf":"Employee","EmployeeRef":{"value":emp},"Hours":"2","VendorRef":{"value":vendor}}),
        )
        .expect("ta");
        assert_eq!(ok["Hours"], 2);
        assert_eq!(ok["Minutes"], 0);
        assert_eq!(ok["EmployeeRef"]["name"], "Eve Okafor");
        assert!(ok.get("VendorRef").is_none());
        assert!(ok["TxnDate"].is_string());
        assert_eq!(ok["BillableStatus"], "NotBillable");
        assert!(try_create(
            &mut c.s,
            "TimeActivity",
            json!({"NameOf":"Vendor","EmployeeRef":{"value":emp},"Hours":1})
        )
        .unwrap_err()
        .starts_with("2020 Required parameter VendorRef"));
        assert!(try_create(
            &mut c.s,
            "TimeActivity",
            json!({"NameOf":"Vendor","VendorRef":{"value":emp},"Hours":1})
        )
        .unwrap_err()
        .starts_with("2500"));
        assert!(try_create(
            &mut c.s,
            "TimeActivity",
            json!({"NameOf":"Other","Hours":1})
        )
        .unwrap_err()
        .starts_with("2170"));
        assert!(try_create(
            &mut c.s,
            "TimeActivity",
            json!({"EmployeeRef":{"value":emp},"Hours":1})
        )
        .unwrap_err()
        .starts_with("2020 Required parameter NameOf"));
        assert!(try_create(
            &mut c.s,
            "TimeActivity",
            json!({"NameOf":"Employee","EmployeeRef":{"value":emp},"Hours":-1})
        )
        .unwrap_err()
        .starts_with("6000"));
        assert!(try_create(
            &mut c.s,
            "TimeActivity",
            json!({"NameOf":"Employee","EmployeeRef":{"value":emp},"Minutes":1.5})
        )
        .unwrap_err()
        .starts_with("2080"));
        assert!(try_create(
            &mut c.s,
            "TimeActivity",
            json!({"NameOf":"Employee","EmployeeRef":{"value":emp}})
        )
        .unwrap_err()
        .starts_with("2020 Required parameter Hours"));
        let v = try_create(&mut c.s, "TimeActivity", json!({"NameOf":"Vendor","VendorRef":{"value":vendor},"Minutes":45,"TxnDate":"2024-02-02"})).expect("vendor time");
        assert_eq!(
            (v["Hours"].clone(), v["TxnDate"].clone()),
            (json!(0), json!("2024-02-02"))
        );
    }

    #[test]
    fn updates_are_idempotent_and_sparse_keeps_lines() {
        let mut c = company();
        let bill = try_create(
            &mut c.s,
            "Bill",
            bill_lines(&c.expense, &c.vendor, &[10.0, 5.0]),
        )
        .expect("bill");
        let ti = c.s.table_index("Bill").expect("bill");
        let same = update(
            &mut c.s,
            ti,
            o(json!({"Id": bill["Id"], "SyncToken": "0", "sparse": true, "TotalAmt": 999})),
            300,
        )
        .expect("noop");
        assert_eq!(same["SyncToken"], "0", "TotalAmt is computed: no change");
        assert_eq!(same["TotalAmt"], json!(15.0));
        let je_obj = try_create(
            &mut c.s,
            "JournalEntry",
            je_lines(&c.expense, &c.bank, 3.0, 3.0),
        )
        .expect("je");
        let jti = c.s.table_index("JournalEntry").expect("je");
        let again = update(
            &mut c.s,
            jti,
            o(json!({"Id": je_obj["Id"], "SyncToken": "0", "sparse": true, "PrivateNote": "x"})),
            300,
        )
        .expect("memo");
        assert_eq!(again["Line"], je_obj["Line"]);
        assert_eq!(again["SyncToken"], "1");
        let pid = parse_id(&again["Id"]).expect("id");
        assert!(pid > 0);
    }

    #[test]
    fn attachable_rules() {
        let mut co = company();
        let s = &mut co.s;
        let att = s.table_index("Attachable").expect("att");
        let est = s.table_index("Estimate").expect("est");
        let e = create(
            s,
            est,
            o(json!({"CustomerRef":{"value":co.cust},"Line":[{"DetailType":"SalesItemLineDetail","Amount":5,"SalesItemLineDetail":{"ItemRef":{"value":co.item}}}]})),
            10,
        )
        .expect("estimate");
        let a = create(
            s,
            att,
            o(json!({"FileName":"quote.PDF","Size":"1200","AttachableRef":{"EntityRef":{"type":"Estimate","value":e["Id"]}}})),
            11,
        )
        .expect("attachable");
        assert_eq!(a["ContentType"], "application/pdf");
        assert_eq!(a["Size"], 1200);
        assert_eq!(
            a["AttachableRef"],
            json!([{"EntityRef":{"type":"Estimate","value":e["Id"]},"IncludeOnSend":false}])
        );
        let n = create(s, att, o(json!({"Note":"just a note"})), 11).expect("note");
        assert!(n.get("AttachableRef").is_none());
        assert!(n.get("TxnDate").is_none(), "not a dated transaction");
        for (body, code) in [
            (json!({"ContentType":"text/plain"}), "2020"),
            (
                json!({"Note":"x","AttachableRef":[{"EntityRef":{"type":"Estimate","value":"9999"}}]}),
                "2500",
            ),
            (
                json!({"Note":"x","AttachableRef":[{"EntityRef":{"type":"Spaceship","value":e["Id"]}}]}),
                "2500",
            ),
            (
                json!({"Note":"x","AttachableRef":[{"EntityRef":{"type":"Invoice","value":e["Id"]}}]}),
                "2500",
            ),
            (
                json!({"Note":"x","AttachableRef":[{"IncludeOnSend":true}]}),
                "2020",
            ),
            (json!({"Note":"x","Size":-1}), "2080"),
        ] {
            assert_eq!(
                create(s, att, o(body.clone()), 12).unwrap_err().code(),
                code,
                "{body}"
            );
        }
        // A deleted target is no longer a valid reference; the attachable itself deletes.
        delete(s, est, o(json!({"Id":e["Id"],"SyncToken":"0"})), 13).expect("delete estimate");
        let e2 = create(
            s,
            att,
            o(json!({"Note":"late","AttachableRef":[{"EntityRef":{"type":"Estimate","value":e["Id"]}}]})),
            14,
        )
        .unwrap_err();
        assert_eq!(e2.code(), "2500");
        delete(s, att, o(json!({"Id":a["Id"],"SyncToken":"0"})), 15).expect("delete attachable");
        let gone = update(
            s,
            att,
            o(json!({"Id":a["Id"],"SyncToken":"0","sparse":true,"Note":"x"})),
            16,
        )
        .unwrap_err();
        assert_eq!(gone.code(), "610");
    }
}
