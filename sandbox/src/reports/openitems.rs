//! Open receivables and payables as of a date, per customer or vendor, as QuickBooks' aging and
//! balance reports list them (so their total equals the A/R or A/P account on the balance
//! sheet at that date):
//!
//! - receivables: each invoice's total less what payments dated on or before the date applied
//!   to it; each credit memo's credit not yet applied (negative); each payment's unapplied
//!   amount (negative); journal entry lines on an A/R account naming a customer;
//! - payables: each bill's total less the bill payments applied by the date; each vendor
//!   credit (negative; the sandbox never applies them); each bill payment's unapplied amount
//!   (negative); journal entry lines on an A/P account naming a vendor (credits positive).
//!
//! Amounts are home-currency cents (each document at its own `ExchangeRate`).

use super::chart::{ref_id, Chart, Kind};
use super::ledger::{date_field, home, rate, text};
use super::postings::{cents, lines};
use crate::store::Store;
use chrono::NaiveDate;
use serde_json::{Map, Value};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Receivable,
    Payable,
}

impl Side {
    /// The name list the party belongs to.
    pub fn party(self) -> &'static str {
        match self {
            Side::Receivable => "Customer",
            Side::Payable => "Vendor",
        }
    }
}

/// One open document.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub party: u64,
    pub label: &'static str,
    pub id: u64,
    pub doc: String,
    pub date: NaiveDate,
    pub due: NaiveDate,
    /// The document's amount, signed (credits negative).
    pub amount: i64,
    /// What is still open, signed.
    pub open: i64,
    pub department: Option<u64>,
}

type Obj = Map<String, Value>;

/// Live records of `entity` dated on or before `as_of`.
fn dated<'s>(store: &'s Store, entity: &str, as_of: NaiveDate) -> Vec<(u64, &'s Obj, NaiveDate)> {
    let Some(ti) = store.table_index(entity) else {
        return Vec::new();
    };
    store.tables[ti]
        .rows
        .iter()
        .filter(|(_, r)| !r.deleted)
        .filter_map(|(id, r)| {
            let d = date_field(&r.obj, "TxnDate")?;
            (d <= as_of).then_some((*id, &r.obj, d))
        })
        .collect()
}

fn linked(l: &Obj) -> Option<(&str, u64)> {
    let lt = l.get("LinkedTxn")?.as_array()?.first()?;
    Some((
        lt.get("TxnType")?.as_str()?,
        lt.get("TxnId")?.as_str()?.parse().ok()?,
    ))
}

fn item(
    party: u64,
    label: &'static str,
    id: u64,
    obj: &Obj,
    date: NaiveDate,
    amount: i64,
    open: i64,
) -> Item {
    Item {
        party,
        label,
        id,
        doc: text(obj, "DocNumber"),
        date,
        due: date_field(obj, "DueDate").unwrap_or(date),
        amount,
        open,
        department: ref_id(obj.get("DepartmentRef")),
    }
}

/// The open items of `side` as of `as_of`.
pub fn open_items(store: &Store, chart: &Chart, side: Side, as_of: NaiveDate) -> Vec<Item> {
    let (pay_entity, party_field, docs, credit, account_kind) = match side {
        Side::Receivable => (
            "Payment",
            "CustomerRef",
            "Invoice",
            "CreditMemo",
            Kind::Receivable,
        ),
        Side::Payable => (
            "BillPayment",
            "VendorRef",
            "Bill",
            "VendorCredit",
            Kind::Payable,
        ),
    };
    let mut out = Vec::new();
    let mut applied: HashMap<(String, u64), i64> = HashMap::new();
    for (id, o, d) in dated(store, pay_entity, as_of) {
        let Some(party) = ref_id(o.get(party_field)) else {
            continue;
        };
        let (mut to_docs, mut from_credits) = (0, 0);
        for l in lines(o) {
            let x = cents(l.get("Amount"));
            if let Some((ty, doc)) = linked(l) {
                *applied.entry((ty.to_string(), doc)).or_insert(0) += x;
                if ty == credit {
                    from_credits += x;
                } else {
                    to_docs += x;
                }
            }
        }
        let r = rate(o);
        let total = cents(o.get("TotalAmt"));
        let unapplied = total - to_docs + from_credits;
        if unapplied != 0 {
            let label = match (side, o.get("PayType").and_then(Value::as_str)) {
                (Side::Receivable, _) => "Payment",
                (Side::Payable, Some("CreditCard")) => "Bill Payment (Credit Card)",
                (Side::Payable, _) => "Bill Payment (Check)",
            };
            out.push(item(
                party,
                label,
                id,
                o,
                d,
                -home(total, r),
                -home(unapplied, r),
            ));
        }
    }
    for (entity, sign) in [(docs, 1i64), (credit, -1i64)] {
        for (id, o, d) in dated(store, entity, as_of) {
            let Some(party) = ref_id(o.get(party_field)) else {
                continue;
            };
            let r = rate(o);
            let total = cents(o.get("TotalAmt"));
            let used = applied.get(&(entity.to_string(), id)).copied().unwrap_or(0);
            let open = total - used;
            if open == 0 {
                continue;
            }
            let label = match entity {
                "CreditMemo" => "Credit Memo",
                "VendorCredit" => "Vendor Credit",
                "Invoice" => "Invoice",
                _ => "Bill",
            };
            out.push(item(
                party,
                label,
                id,
                o,
                d,
                sign * home(total, r),
                sign * home(open, r),
            ));
        }
    }
    for (id, o, d) in dated(store, "JournalEntry", as_of) {
        let r = rate(o);
        for l in lines(o) {
            let Some(det) = l.get("JournalEntryLineDetail") else {
                continue;
            };
            let on_side = ref_id(det.get("AccountRef"))
                .and_then(|a| chart.by_id(a))
                .is_some_and(|a| chart.get(a).kind == account_kind);
            let entity = det.get("Entity");
            let party = entity
                .filter(|e| e.get("Type").and_then(Value::as_str) == Some(side.party()))
                .and_then(|e| ref_id(e.get("EntityRef")));
            let (true, Some(party)) = (on_side, party) else {
                continue;
            };
            let a = home(cents(l.get("Amount")), r);
            let debit = det.get("PostingType").and_then(Value::as_str) == Some("Debit");
            // Receivables grow with debits, payables with credits.
            let v = if debit == (side == Side::Receivable) {
                a
            } else {
                -a
            };
            if v != 0 {
                out.push(item(party, "Journal Entry", id, o, d, v, v));
            }
        }
    }
    out
}
