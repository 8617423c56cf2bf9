//! Add, Mod, Void and Del against the store, with QuickBooks' rules: references must resolve
//! (3140), list names are unique in their name space (3100), Mods name an existing object
//! (3120) with its current `EditSequence` (3200), line Mods with `TxnLineID` -1 add a line and
//! lines not sent are removed, payments apply only what is open (3210), and every change issues
//! a new `EditSequence`/`TimeModified` — also on the invoices and bills a payment touches.

use super::ids::{format_date, parse_date};
use super::kinds::{Kind, Namespace};
use super::lines::{
    applied, build_line, copy_resolving, journal_line, merge_line, ref_to, resolve_ref,
};
use super::money::{fmt_amount, parse_amount};
use super::status::Status;
use super::store::{Deleted, Record, Store};
use super::totals::{applications, line_sum, open_amount, recompute, remove, set_leaf};
use chrono::{Duration, NaiveDate};
use qbsync_qbxml::Element;
use std::collections::{BTreeSet, HashMap};

/// When a write happens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteCtx {
    pub now: i64,
    pub today: NaiveDate,
}

/// Request fields QuickBooks accepts on Add/Mod but does not keep as such.
const NOT_KEPT: &[&str] = &[
    "OpenBalance",
    "OpenBalanceDate",
    "SetCredit",
    "LinkToTxnID",
    "DataExt",
    "CashBackInfoAdd",
    "CashBackInfoMod",
    "IsAutoApply",
    "ApplyCheckToTxnAdd",
    "ApplyCheckToTxnMod",
    "ClearExpenseLines",
    "ClearItemLines",
];

/// Add-side names whose Ret counterpart is called differently.
fn ret_name(name: &str) -> &str {
    match name {
        "AdditionalNotes" => "AdditionalNotesRet",
        "AdditionalNotesMod" => "AdditionalNotesRet",
        "Contacts" => "ContactsRet",
        "ContactsMod" => "ContactsRet",
        _ => name,
    }
}

fn line_base<'a>(kind: Kind, name: &'a str, suffix: &str) -> Option<&'a str> {
    let base = name.strip_suffix(suffix)?;
    kind.lines().contains(&base).then_some(base)
}

fn is_group_line(name: &str) -> bool {
    name.contains("LineGroup") || name.contains("ItemGroupLine")
}

fn account_of_type(store: &Store, account_type: &str, name_hint: Option<&str>) -> Option<Element> {
    let accounts: Vec<&Record> = store
        .of_kind(Kind::Account)
        .filter(|a| a.text("AccountType") == Some(account_type) && a.is_active())
        .collect();
    let pick = name_hint
        .and_then(|h| accounts.iter().find(|a| a.name() == h).copied())
        .or_else(|| accounts.first().copied())?;
    Some(ref_to(store, "", pick))
}

fn default_ref(
    store: &Store,
    body: &mut Element,
    field: &str,
    account_type: &str,
    hint: Option<&str>,
) {
    if body.find(field).is_none() {
        if let Some(mut r) = account_of_type(store, account_type, hint) {
            r.name = field.to_string();
            body.children.push(r);
        }
    }
}

/// The full name a list record would have with `body`.
fn full_name_of(store: &Store, body: &Element) -> String {
    let name = body.child_text("Name").unwrap_or("");
    match body
        .find("ParentRef")
        .and_then(|p| p.child_text("ListID"))
        .and_then(|id| store.get(id))
    {
        Some(parent) => format!("{}:{}", store.full_name(parent), name),
        None => name.to_string(),
    }
}

fn check_unique(
    store: &Store,
    kind: Kind,
    body: &Element,
    except: Option<&str>,
) -> Result<(), Status> {
    let full = full_name_of(store, body).to_lowercase();
    let kinds: Vec<Kind> = match kind.namespace() {
        Namespace::Names => super::kinds::ENTITIES.to_vec(),
        Namespace::Items => super::kinds::ITEMS.to_vec(),
        Namespace::Own => vec![kind],
    };
    let leaf = body.child_text("Name").unwrap_or("").to_lowercase();
    let taken = store.of_kinds(&kinds).any(|r| {
        Some(r.id.as_str()) != except
            && r.name().to_lowercase() == leaf
            && store.full_name(r).to_lowercase() == full
    });
    if taken {
        return Err(Status::duplicate_name(
            body.child_text("Name").unwrap_or(""),
        ));
    }
    Ok(())
}

fn employee_name(body: &mut Element) {
    if body.child_text("Name").is_some_and(|n| !n.is_empty()) {
        return;
    }
    let parts: Vec<&str> = ["FirstName", "MiddleName", "LastName"]
        .iter()
        .filter_map(|f| body.child_text(f))
        .filter(|s| !s.is_empty())
        .collect();
    let name = parts.join(" ");
    set_leaf(body, "Name", name);
}

fn list_defaults(kind: Kind, body: &mut Element) {
    if body.find("IsActive").is_none() {
        body.children
            .push(Element::new("IsActive").with_text("true"));
    }
    if kind == Kind::Customer {
        if body.find("JobStatus").is_none() {
            body.children
                .push(Element::new("JobStatus").with_text("None"));
        }
        if body.find("PreferredDeliveryMethod").is_none() {
            body.children
                .push(Element::new("PreferredDeliveryMethod").with_text("None"));
        }
    }
}

fn terms_days(store: &Store, body: &Element) -> i64 {
    body.find("TermsRef")
        .and_then(|t| t.child_text("ListID"))
        .and_then(|id| store.get(id))
        .and_then(|t| t.text("StdDueDays"))
        .and_then(|d| d.parse().ok())
        .unwrap_or(0)
}

fn txn_defaults(store: &Store, kind: Kind, body: &mut Element, ctx: &WriteCtx) {
    if body.find("TxnDate").is_none() {
        body.children
            .push(Element::new("TxnDate").with_text(format_date(ctx.today)));
    }
    if kind.auto_ref() && body.find("RefNumber").is_none() {
        body.children
            .push(Element::new("RefNumber").with_text(store.next_ref_number(kind)));
    }
    match kind {
        Kind::Invoice | Kind::CreditMemo | Kind::ReceivePayment => {
            default_ref(store, body, "ARAccountRef", "AccountsReceivable", None)
        }
        Kind::Bill | Kind::BillPaymentCheck => {
            default_ref(store, body, "APAccountRef", "AccountsPayable", None)
        }
        _ => {}
    }
    if matches!(kind, Kind::ReceivePayment | Kind::SalesReceipt) {
        default_ref(
            store,
            body,
            "DepositToAccountRef",
            "OtherCurrentAsset",
            Some("Undeposited Funds"),
        );
    }
    if matches!(kind, Kind::Invoice | Kind::Bill) && body.find("DueDate").is_none() {
        let date = body
            .child_text("TxnDate")
            .and_then(parse_date)
            .unwrap_or(ctx.today);
        let due = date + Duration::days(terms_days(store, body));
        body.children
            .push(Element::new("DueDate").with_text(format_date(due)));
    }
}

fn check_balanced(body: &Element) -> Result<(), Status> {
    let d = line_sum(body, "JournalDebitLine");
    let c = line_sum(body, "JournalCreditLine");
    if d != c {
        return Err(Status::invalid_value(
            "JournalEntry",
            &fmt_amount(d - c),
            "The transaction is not in balance.  Make sure the amounts in the detail area on the Debit side equal the amounts on the Credit side.",
        ));
    }
    Ok(())
}

/// Auto-applies `total` to the customer's open invoices, oldest first.
fn auto_apply(store: &Store, customer: &str, total: i64) -> Vec<Element> {
    let mut open: Vec<&Record> = store
        .of_kind(Kind::Invoice)
        .filter(|i| i.ref_id("CustomerRef") == Some(customer) && !i.voided)
        .collect();
    open.sort_by_key(|i| (i.txn_date(), i.seq));
    let mut left = total;
    let mut out = Vec::new();
    for inv in open {
        if left <= 0 {
            break;
        }
        let o = open_amount(store, inv);
        if o <= 0 {
            continue;
        }
        let a = o.min(left);
        left -= a;
        out.push(
            Element::new("AppliedToTxnRet")
                .leaf("TxnID", inv.id.clone())
                .leaf("Amount", fmt_amount(a)),
        );
    }
    out
}

/// Payment applications of a payment: builds them and checks the payment covers them.
fn payment_applications(
    store: &Store,
    kind: Kind,
    body: &Element,
    srcs: &[&Element],
    payer: Option<&str>,
) -> Result<Vec<Element>, Status> {
    let entity = kind.entity_field().and_then(|f| {
        body.find(f)
            .and_then(|r| r.child_text("ListID"))
            .map(str::to_string)
    });
    let mut pending: HashMap<String, i64> = HashMap::new();
    let mut out = Vec::new();
    for src in srcs {
        let tid = src.child_text("TxnID").unwrap_or("").to_string();
        let already = pending.get(&tid).copied().unwrap_or(0);
        let (ret, tid, amount) = applied(store, kind, entity.as_deref(), src, payer, already)?;
        *pending.entry(tid).or_default() += amount;
        out.push(ret);
    }
    if kind == Kind::ReceivePayment {
        if let Some(total) = body.child_text("TotalAmount").and_then(parse_amount) {
            let sum: i64 = pending.values().sum();
            if sum > total {
                return Err(Status::invalid_value(
                    "TotalAmount",
                    &fmt_amount(total),
                    "The amount applied is more than the payment amount.",
                ));
            }
        }
    }
    Ok(out)
}

fn targets_of(body: &Element) -> BTreeSet<String> {
    body.find_all("AppliedToTxnRet")
        .filter_map(|a| a.child_text("TxnID"))
        .map(str::to_string)
        .collect()
}

/// Recomputes a transaction and re-stamps the invoices/bills its payments touch.
fn settle(store: &mut Store, id: &str, touched: &BTreeSet<String>, now: i64) {
    recompute(store, id);
    for t in touched {
        if store.get(t).is_some() {
            recompute(store, t);
            store.touch(t, now);
        }
    }
}

/// `{Kind}Add` → a new record; returns its id.
pub(crate) fn add(
    store: &mut Store,
    kind: Kind,
    src: &Element,
    ctx: &WriteCtx,
) -> Result<String, Status> {
    let mut body = Element::new(kind.ret());
    let mut applied_src: Vec<&Element> = Vec::new();
    let mut auto = false;
    for c in &src.children {
        let n = c.name.as_str();
        if NOT_KEPT.contains(&n) || is_group_line(n) {
            if n == "IsAutoApply" {
                auto = c.text == "true" || c.text == "1";
            }
            continue;
        }
        if let Some(base) = line_base(kind, n, "Add") {
            let lid = store.ids.txn_id(ctx.now);
            body.children.push(build_line(store, kind, base, c, lid)?);
        } else if kind == Kind::JournalEntry
            && (n == "JournalDebitLine" || n == "JournalCreditLine")
        {
            let lid = store.ids.txn_id(ctx.now);
            body.children
                .push(journal_line(store, c, n == "JournalDebitLine", lid)?);
        } else if n == "AppliedToTxnAdd" {
            applied_src.push(c);
        } else {
            let mut v = copy_resolving(store, kind, c, false)?;
            v.name = ret_name(n).to_string();
            body.children.push(v);
        }
    }
    if kind.is_txn() {
        txn_defaults(store, kind, &mut body, ctx);
        if kind.applies() {
            let mut apps = payment_applications(store, kind, &body, &applied_src, None)?;
            if auto && apps.is_empty() {
                if let (Some(c), Some(t)) = (
                    body.find("CustomerRef")
                        .and_then(|r| r.child_text("ListID")),
                    body.child_text("TotalAmount").and_then(parse_amount),
                ) {
                    apps = auto_apply(store, c, t);
                }
            }
            body.children.extend(apps);
        }
        if kind == Kind::JournalEntry {
            check_balanced(&body)?;
        }
    } else {
        if kind == Kind::Employee {
            employee_name(&mut body);
        }
        check_unique(store, kind, &body, None)?;
        list_defaults(kind, &mut body);
    }
    let id = if kind.is_txn() {
        store.ids.txn_id(ctx.now)
    } else {
        store.ids.list_id(ctx.now)
    };
    let es = store.ids.edit_sequence(ctx.now);
    let touched = targets_of(&body);
    store.insert(Record {
        kind,
        id: id.clone(),
        seq: 0,
        created: ctx.now,
        modified: ctx.now,
        edit_seq: es,
        txn_number: None,
        voided: false,
        body,
    });
    settle(store, &id, &touched, ctx.now);
    Ok(id)
}

/// Merges a Mod aggregate into a stored aggregate (sent children replace; empty clears).
fn merge_aggregate(dst: &mut Element, src: &Element) {
    for c in &src.children {
        let is_leaf = c.children.is_empty() || c.name.ends_with("Ref");
        if is_leaf {
            dst.children.retain(|x| x.name != c.name);
            if !(c.text.is_empty() && c.children.is_empty()) {
                dst.children.push(c.clone());
            }
        } else {
            match dst.children.iter_mut().find(|x| x.name == c.name) {
                Some(x) => merge_aggregate(x, c),
                None => dst.children.push(c.clone()),
            }
        }
    }
}

/// The stored record a Mod/Void/Del names, of the right kind.
fn target<'a>(store: &'a Store, kind: Kind, id: &str) -> Result<&'a Record, Status> {
    store
        .get(id)
        .filter(|r| r.kind == kind)
        .ok_or_else(|| Status::missing_object(id))
}

/// `{Kind}Mod` → the changed record's id.
pub(crate) fn modify(
    store: &mut Store,
    kind: Kind,
    src: &Element,
    ctx: &WriteCtx,
) -> Result<String, Status> {
    let id_field = if kind.is_txn() { "TxnID" } else { "ListID" };
    let id = src.child_text(id_field).unwrap_or("").to_string();
    let rec = target(store, kind, &id)?;
    let sent_es = src.child_text("EditSequence").unwrap_or("");
    if sent_es != rec.edit_seq.to_string() {
        return Err(Status::stale(sent_es));
    }
    apply_mod(store, kind, &id, src, ctx, true)
}

/// Applies Mod fields to record `id` (`checked` = request from the agent; admin edits skip
/// the EditSequence check but follow the same rules).
pub(crate) fn apply_mod(
    store: &mut Store,
    kind: Kind,
    id: &str,
    src: &Element,
    ctx: &WriteCtx,
    _checked: bool,
) -> Result<String, Status> {
    let rec = target(store, kind, id)?;
    let mut body = rec.body.clone();
    let old_targets = targets_of(&body);
    let mut line_mods: Vec<(&str, &Element)> = Vec::new();
    let mut journal_mods: Vec<&Element> = Vec::new();
    let mut applied_mods: Vec<&Element> = Vec::new();
    let mut renamed = false;
    for c in &src.children {
        let n = c.name.as_str();
        if matches!(n, "ListID" | "TxnID" | "EditSequence")
            || NOT_KEPT.contains(&n)
            || is_group_line(n)
        {
            continue;
        }
        if let Some(base) = line_base(kind, n, "Mod") {
            line_mods.push((base, c));
        } else if n == "JournalLineMod" {
            journal_mods.push(c);
        } else if n == "AppliedToTxnMod" {
            applied_mods.push(c);
        } else {
            let target_name = ret_name(n).to_string();
            if n == "Name" || n == "ParentRef" {
                renamed = true;
            }
            if n.ends_with("Ref") {
                let v = if c.children.is_empty() {
                    c.clone()
                } else {
                    resolve_ref(store, kind, c, false)?
                };
                body.children.retain(|x| x.name != target_name);
                if !v.children.is_empty() {
                    body.children.push(v);
                }
            } else if c.children.is_empty() {
                body.children.retain(|x| x.name != target_name);
                if !c.text.is_empty() {
                    body.children
                        .push(Element::new(target_name).with_text(c.text.clone()));
                }
            } else {
                let v = copy_resolving(store, kind, c, false)?;
                match body.children.iter_mut().find(|x| x.name == target_name) {
                    Some(x) if !target_name.ends_with("Ret") => merge_aggregate(x, &v),
                    _ => {
                        body.children
                            .retain(|x| x.name != target_name || target_name.ends_with("Ret"));
                        let mut v = v;
                        v.name = target_name;
                        body.children.push(v);
                    }
                }
            }
        }
    }
    // Lines: per line type, once any line is sent, the lines sent are the lines.
    let bases: BTreeSet<&str> = line_mods.iter().map(|(b, _)| *b).collect();
    for base in bases {
        let ret = format!("{base}Ret");
        let mut new_lines = Vec::new();
        for (_, m) in line_mods.iter().filter(|(b, _)| *b == base) {
            let lid = m.child_text("TxnLineID").unwrap_or("");
            if lid == "-1" {
                let nid = store.ids.txn_id(ctx.now);
                new_lines.push(build_line(store, kind, base, m, nid)?);
            } else {
                let stored = body
                    .find_all(&ret)
                    .find(|l| l.child_text("TxnLineID") == Some(lid))
                    .ok_or_else(|| Status::missing_object(lid))?;
                new_lines.push(merge_line(store, kind, base, stored, m)?);
            }
        }
        body.children.retain(|c| c.name != ret);
        body.children.extend(new_lines);
    }
    if !journal_mods.is_empty() {
        let mut new_lines = Vec::new();
        for m in journal_mods {
            let lid = m.child_text("TxnLineID").unwrap_or("");
            let debit_sent = m.child_text("JournalLineType").map(|t| t == "Debit");
            if lid == "-1" {
                let nid = store.ids.txn_id(ctx.now);
                new_lines.push(journal_line(store, m, debit_sent.unwrap_or(true), nid)?);
            } else {
                let stored = body
                    .children
                    .iter()
                    .filter(|l| l.name == "JournalDebitLine" || l.name == "JournalCreditLine")
                    .find(|l| l.child_text("TxnLineID") == Some(lid))
                    .ok_or_else(|| Status::missing_object(lid))?;
                let debit = debit_sent.unwrap_or(stored.name == "JournalDebitLine");
                let mut merged = merge_line(store, kind, "JournalLine", stored, m)?;
                merged.children.retain(|c| c.name != "JournalLineType");
                merged.name = if debit {
                    "JournalDebitLine"
                } else {
                    "JournalCreditLine"
                }
                .into();
                new_lines.push(merged);
            }
        }
        body.children
            .retain(|c| c.name != "JournalDebitLine" && c.name != "JournalCreditLine");
        body.children.extend(new_lines);
        check_balanced(&body)?;
    }
    if kind.applies() && !applied_mods.is_empty() {
        let apps = payment_applications(store, kind, &body, &applied_mods, Some(id))?;
        remove(&mut body, "AppliedToTxnRet");
        body.children.extend(apps);
    } else if kind == Kind::ReceivePayment {
        // A changed TotalAmount must still cover what is applied.
        if let Some(total) = body.child_text("TotalAmount").and_then(parse_amount) {
            let sum = line_sum(&body, "AppliedToTxnRet");
            if sum > total {
                return Err(Status::invalid_value(
                    "TotalAmount",
                    &fmt_amount(total),
                    "The amount applied is more than the payment amount.",
                ));
            }
        }
    }
    if !kind.is_txn() {
        if kind == Kind::Employee {
            employee_name(&mut body);
        }
        if renamed {
            check_unique(store, kind, &body, Some(id))?;
        }
    }
    let mut touched = old_targets;
    touched.extend(targets_of(&body));
    if let Some(r) = store.get_mut(id) {
        r.body = body;
    }
    store.touch(id, ctx.now);
    settle(store, id, &touched, ctx.now);
    Ok(id.to_string())
}

/// Removes every application of `target` from the payments; returns the payments changed.
fn unlink_payments(store: &mut Store, target: &str) -> Vec<String> {
    let payers: Vec<String> = applications(store, target)
        .into_iter()
        .map(|(p, _)| p)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for p in &payers {
        if let Some(r) = store.get_mut(p) {
            r.body.children.retain(|a| {
                !(a.name == "AppliedToTxnRet" && a.child_text("TxnID") == Some(target))
            });
        }
    }
    payers
}

/// `TxnVoidRq`: amounts to zero, memo marked, the transaction kept.
pub(crate) fn void(store: &mut Store, kind: Kind, id: &str, ctx: &WriteCtx) -> Result<(), Status> {
    if !kind.voidable() {
        return Err(Status::missing_object(id));
    }
    target(store, kind, id)?;
    let payers = unlink_payments(store, id);
    let mut touched: BTreeSet<String> = BTreeSet::new();
    if let Some(r) = store.get_mut(id) {
        r.voided = true;
        touched = targets_of(&r.body);
        for c in &mut r.body.children {
            let amount_line = c.name.ends_with("LineRet")
                || c.name.starts_with("Journal")
                || c.name == "AppliedToTxnRet";
            if amount_line && c.find("Amount").is_some() {
                set_leaf(c, "Amount", fmt_amount(0));
            }
        }
        let memo = r.body.child_text("Memo").unwrap_or("").to_string();
        let memo = if memo.is_empty() {
            "VOID:".to_string()
        } else {
            format!("VOID: {memo}")
        };
        set_leaf(&mut r.body, "Memo", memo);
    }
    store.touch(id, ctx.now);
    for p in &payers {
        recompute(store, p);
        store.touch(p, ctx.now);
    }
    settle(store, id, &touched, ctx.now);
    Ok(())
}

/// `TxnDelRq`: removes the transaction and logs it for `TxnDeletedQueryRq`.
pub(crate) fn delete_txn(
    store: &mut Store,
    kind: Kind,
    id: &str,
    ctx: &WriteCtx,
) -> Result<Deleted, Status> {
    target(store, kind, id)?;
    let payers = unlink_payments(store, id);
    let Some(rec) = store.remove(id) else {
        return Err(Status::missing_object(id));
    };
    for p in &payers {
        recompute(store, p);
        store.touch(p, ctx.now);
    }
    for t in targets_of(&rec.body) {
        if store.get(&t).is_some() {
            recompute(store, &t);
            store.touch(&t, ctx.now);
        }
    }
    let label = rec.ref_number().map(str::to_string);
    store.log_deleted(&rec, label, ctx.now);
    store.deleted.last().cloned().ok_or_else(Status::internal)
}

/// `ListDelRq`: removes an unused list record and logs it for `ListDeletedQueryRq`.
pub(crate) fn delete_list(
    store: &mut Store,
    kind: Kind,
    id: &str,
    ctx: &WriteCtx,
) -> Result<Deleted, Status> {
    let rec = target(store, kind, id)?;
    let full = store.label(rec);
    if store.is_referenced(id) {
        return Err(Status::in_use(kind.name(), &full));
    }
    let Some(rec) = store.remove(id) else {
        return Err(Status::missing_object(id));
    };
    store.log_deleted(&rec, Some(full), ctx.now);
    store.deleted.last().cloned().ok_or_else(Status::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(now: i64) -> WriteCtx {
        WriteCtx {
            now,
            today: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default(),
        }
    }

    fn base_store() -> Store {
        let mut s = Store::default();
        let c = ctx(1000);
        for (name, ty) in [
            ("Accounts Receivable", "AccountsReceivable"),
            ("Services", "Income"),
            ("Undeposited Funds", "OtherCurrentAsset"),
        ] {
            add(
                &mut s,
                Kind::Account,
                &Element::new("AccountAdd")
                    .leaf("Name", name)
                    .leaf("AccountType", ty),
                &c,
            )
            .expect("account");
        }
        add(
            &mut s,
            Kind::ItemService,
            &Element::new("ItemServiceAdd").leaf("Name", "Labor").child(
                Element::new("SalesOrPurchase")
                    .leaf("Price", "50")
                    .child(Element::new("AccountRef").leaf("FullName", "Services")),
            ),
            &c,
        )
        .expect("item");
        add(
            &mut s,
            Kind::Customer,
            &Element::new("CustomerAdd").leaf("Name", "Acme"),
            &c,
        )
        .expect("customer");
        s
    }

    fn invoice(s: &mut Store, qty: &str) -> String {
        add(
            s,
            Kind::Invoice,
            &Element::new("InvoiceAdd")
                .child(Element::new("CustomerRef").leaf("FullName", "Acme"))
                .child(
                    Element::new("InvoiceLineAdd")
                        .child(Element::new("ItemRef").leaf("FullName", "Labor"))
                        .leaf("Quantity", qty),
                ),
            &ctx(2000),
        )
        .expect("invoice")
    }

    #[test]
    fn duplicate_names_and_missing_references() {
        let mut s = base_store();
        let dup = add(
            &mut s,
            Kind::Vendor,
            &Element::new("VendorAdd").leaf("Name", "ACME"),
            &ctx(3000),
        );
        assert_eq!(dup.map_err(|e| e.code), Err(3100));
        let bad = add(
            &mut s,
            Kind::Invoice,
            &Element::new("InvoiceAdd")
                .child(Element::new("CustomerRef").leaf("FullName", "Nobody")),
            &ctx(3000),
        );
        assert_eq!(bad.map_err(|e| e.code), Err(3140));
    }

    #[test]
    fn payments_settle_invoices_and_restamp_them() {
        let mut s = base_store();
        let inv = invoice(&mut s, "3");
        let before = s.get(&inv).map(|r| r.edit_seq).unwrap_or(0);
        assert_eq!(
            s.get(&inv).and_then(|r| r.text("BalanceRemaining")),
            Some("150.00")
        );
        let pay = |amount: &str| {
            Element::new("ReceivePaymentAdd")
                .child(Element::new("CustomerRef").leaf("FullName", "Acme"))
                .leaf("TotalAmount", amount)
                .child(
                    Element::new("AppliedToTxnAdd")
                        .leaf("TxnID", inv.clone())
                        .leaf("PaymentAmount", amount),
                )
        };
        let too_much = add(&mut s, Kind::ReceivePayment, &pay("150.01"), &ctx(4000));
        assert_eq!(too_much.map_err(|e| e.code), Err(3210));
        let p = add(&mut s, Kind::ReceivePayment, &pay("150.00"), &ctx(4000)).expect("payment");
        let r = s.get(&inv).expect("inv");
        assert_eq!(r.text("BalanceRemaining"), Some("0.00"));
        assert_eq!(r.text("IsPaid"), Some("true"));
        assert!(r.edit_seq > before);
        delete_txn(&mut s, Kind::ReceivePayment, &p, &ctx(5000)).expect("delete");
        assert_eq!(s.get(&inv).and_then(|r| r.text("IsPaid")), Some("false"));
        assert_eq!(s.deleted.len(), 1);
    }

    #[test]
    fn line_mods_add_keep_and_remove_lines() {
        let mut s = base_store();
        let inv = invoice(&mut s, "1");
        let r = s.get(&inv).expect("inv").clone();
        let first = r
            .body
            .find("InvoiceLineRet")
            .and_then(|l| l.child_text("TxnLineID"))
            .unwrap_or("")
            .to_string();
        let m = Element::new("InvoiceMod")
            .leaf("TxnID", inv.clone())
            .leaf("EditSequence", r.edit_seq.to_string())
            .child(
                Element::new("InvoiceLineMod")
                    .leaf("TxnLineID", first.clone())
                    .leaf("Quantity", "2"),
            )
            .child(
                Element::new("InvoiceLineMod")
                    .leaf("TxnLineID", "-1")
                    .child(Element::new("ItemRef").leaf("FullName", "Labor"))
                    .leaf("Amount", "10.00"),
            );
        modify(&mut s, Kind::Invoice, &m, &ctx(6000)).expect("mod");
        let r2 = s.get(&inv).expect("inv");
        assert_eq!(r2.body.find_all("InvoiceLineRet").count(), 2);
        assert_eq!(r2.text("Subtotal"), Some("110.00"));
        let stale = modify(&mut s, Kind::Invoice, &m, &ctx(6001));
        assert_eq!(stale.map_err(|e| e.code), Err(3200));
        let only_new = Element::new("InvoiceMod")
            .leaf("TxnID", inv.clone())
            .leaf(
                "EditSequence",
                s.get(&inv)
                    .map(|r| r.edit_seq.to_string())
                    .unwrap_or_default(),
            )
            .child(
                Element::new("InvoiceLineMod")
                    .leaf("TxnLineID", first)
                    .leaf("Amount", "5"),
            );
        modify(&mut s, Kind::Invoice, &only_new, &ctx(6002)).expect("mod");
        assert_eq!(
            s.get(&inv)
                .map(|r| r.body.find_all("InvoiceLineRet").count()),
            Some(1)
        );
        let missing = Element::new("InvoiceMod")
            .leaf("TxnID", "FFFF-1")
            .leaf("EditSequence", "1");
        assert_eq!(
            modify(&mut s, Kind::Invoice, &missing, &ctx(1)).map_err(|e| e.code),
            Err(3120)
        );
    }

    #[test]
    fn void_zeroes_and_list_delete_refuses_used_records() {
        let mut s = base_store();
        let inv = invoice(&mut s, "2");
        void(&mut s, Kind::Invoice, &inv, &ctx(7000)).expect("void");
        let r = s.get(&inv).expect("kept");
        assert_eq!(r.text("Subtotal"), Some("0.00"));
        assert!(r.text("Memo").is_some_and(|m| m.starts_with("VOID")));
        let acme = s
            .find_by_name(&[Kind::Customer], "Acme")
            .map(|r| r.id.clone())
            .unwrap_or_default();
        assert_eq!(
            delete_list(&mut s, Kind::Customer, &acme, &ctx(7001))
                .map(|_| ())
                .map_err(|e| e.code),
            Err(3180)
        );
        let v = add(
            &mut s,
            Kind::Vendor,
            &Element::new("VendorAdd").leaf("Name", "Lone"),
            &ctx(7002),
        )
        .expect("vendor");
        let d = delete_list(&mut s, Kind::Vendor, &v, &ctx(7003)).expect("deleted");
        assert_eq!(d.label.as_deref(), Some("Lone"));
    }
}
