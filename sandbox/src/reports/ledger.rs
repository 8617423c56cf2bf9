//! The posting model: every live stored transaction turned into dated journal postings
//! (account, debit-positive amount in home-currency cents, customer/vendor/employee/item/class/
//! department, memo), under the accrual rules of `postings` or, for `accounting_method=Cash`,
//! converted by `cash`. Each transaction's postings sum to zero, so every report built on them
//! balances. Deleted transactions (tombstones) post nothing; voided ones carry zero amounts
//! (how the sandbox stores a void) and so post nothing either, though they still list.

use super::chart::{ref_id, Chart, Kind};
use super::params::Basis;
use super::{cash, postings};
use crate::store::Store;
use chrono::NaiveDate;
use serde_json::{Map, Value};

/// The transactions reports read, in the order they sort on one date.
pub const TXN_ENTITIES: [&str; 14] = [
    "Invoice",
    "SalesReceipt",
    "CreditMemo",
    "RefundReceipt",
    "Payment",
    "Deposit",
    "Transfer",
    "Bill",
    "VendorCredit",
    "BillPayment",
    "Purchase",
    "JournalEntry",
    "Estimate",
    "PurchaseOrder",
];

/// Who and what a posting is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dims {
    pub customer: Option<u64>,
    pub vendor: Option<u64>,
    pub employee: Option<u64>,
    pub item: Option<u64>,
    pub class: Option<u64>,
    pub department: Option<u64>,
}

/// A posting drafted by a rule, in the transaction's currency (cents, debit positive).
/// `counter` marks the balancing side (A/R, A/P, the bank or deposit account), which detail
/// reports show as one line per transaction and account.
#[derive(Debug, Clone, PartialEq)]
pub struct Leg<'a> {
    pub account: usize,
    pub amount: i64,
    pub counter: bool,
    pub dims: Dims,
    pub memo: Option<&'a str>,
    pub qty: Option<f64>,
}

/// A transaction as reports list it.
#[derive(Debug, Clone)]
pub struct Txn<'a> {
    pub id: u64,
    pub date: NaiveDate,
    /// The report spelling of its type: `Invoice`, `Sales Receipt`, `Bill Payment (Check)`, ...
    pub label: &'static str,
    pub doc: &'a str,
    pub memo: &'a str,
    /// Transaction-level customer/vendor/employee and department.
    pub dims: Dims,
    pub posting: bool,
    /// The balancing account of the accrual rules (A/R of an invoice, the bank of a cheque).
    pub primary: Option<usize>,
    /// The amount on `primary` in that account's natural sign (else TotalAmt), home cents.
    pub amount: i64,
    /// Distinct accounts of the accrual lines and of the balancing side.
    pub lines: Vec<usize>,
    pub counters: Vec<usize>,
}

/// One dated posting in home-currency cents.
#[derive(Debug, Clone, PartialEq)]
pub struct Posting<'a> {
    pub txn: usize,
    pub date: NaiveDate,
    pub account: usize,
    pub amount: i64,
    pub counter: bool,
    pub dims: Dims,
    pub memo: Option<&'a str>,
    pub qty: Option<f64>,
}

/// The company's books for one report run.
#[derive(Debug)]
pub struct Ledger<'a> {
    pub store: &'a Store,
    pub chart: Chart,
    pub txns: Vec<Txn<'a>>,
    pub postings: Vec<Posting<'a>>,
    /// Range of `postings` belonging to each transaction.
    spans: Vec<(usize, usize)>,
}

/// Report filters (`customer`, `vendor`, `item`, `class`, `department`, `account` Ids).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub customer: Option<Vec<u64>>,
    pub vendor: Option<Vec<u64>>,
    pub employee: Option<Vec<u64>>,
    pub item: Option<Vec<u64>>,
    pub class: Option<Vec<u64>>,
    pub department: Option<Vec<u64>>,
    pub account: Option<Vec<u64>>,
}

fn allows(filter: &Option<Vec<u64>>, v: Option<u64>) -> bool {
    match filter {
        None => true,
        Some(ids) => v.is_some_and(|v| ids.contains(&v)),
    }
}

impl Filters {
    pub fn dims(&self, d: &Dims) -> bool {
        allows(&self.customer, d.customer)
            && allows(&self.vendor, d.vendor)
            && allows(&self.employee, d.employee)
            && allows(&self.item, d.item)
            && allows(&self.class, d.class)
            && allows(&self.department, d.department)
    }

    pub fn posting(&self, p: &Posting<'_>, chart: &Chart) -> bool {
        self.dims(&p.dims) && allows(&self.account, chart.get(p.account).id)
    }
}

pub fn text(obj: &Map<String, Value>, k: &str) -> String {
    obj.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

/// A stored date field, or None.
pub fn date_field(obj: &Map<String, Value>, k: &str) -> Option<NaiveDate> {
    obj.get(k)
        .and_then(Value::as_str)
        .and_then(super::period::parse_date)
}

/// TxnDate, else the creation date.
fn txn_date(obj: &Map<String, Value>) -> Option<NaiveDate> {
    date_field(obj, "TxnDate").or_else(|| {
        obj.get("MetaData")
            .and_then(|m| m.get("CreateTime"))
            .and_then(Value::as_str)
            .and_then(|s| s.get(..10))
            .and_then(super::period::parse_date)
    })
}

/// The transaction's `ExchangeRate` (home units per foreign unit), 1 when absent.
pub fn rate(obj: &Map<String, Value>) -> f64 {
    obj.get("ExchangeRate")
        .and_then(Value::as_f64)
        .filter(|r| r.is_finite() && *r > 0.0)
        .unwrap_or(1.0)
}

/// Cents of a transaction-currency amount in home currency.
pub fn home(cents: i64, rate: f64) -> i64 {
    if rate == 1.0 {
        cents
    } else {
        (cents as f64 * rate).round() as i64
    }
}

fn label(entity: &'static str, obj: &Map<String, Value>) -> &'static str {
    let s = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("");
    match entity {
        "SalesReceipt" => "Sales Receipt",
        "CreditMemo" => "Credit Memo",
        "RefundReceipt" => "Refund",
        "VendorCredit" => "Vendor Credit",
        "BillPayment" if s("PayType") == "CreditCard" => "Bill Payment (Credit Card)",
        "BillPayment" => "Bill Payment (Check)",
        "Purchase" => match s("PaymentType") {
            "Check" => "Check",
            "CreditCard" if obj.get("Credit").and_then(Value::as_bool) == Some(true) => {
                "Credit Card Credit"
            }
            "CreditCard" => "Credit Card Expense",
            _ => "Expense",
        },
        "JournalEntry" => "Journal Entry",
        "PurchaseOrder" => "Purchase Order",
        other => other,
    }
}

fn distinct(legs: &[Leg<'_>], counter: bool) -> Vec<usize> {
    let mut out = Vec::new();
    for l in legs.iter().filter(|l| l.counter == counter) {
        if !out.contains(&l.account) {
            out.push(l.account);
        }
    }
    out
}

/// Txn-level dims: the customer/vendor/employee the transaction is with, and its department.
pub fn txn_dims(obj: &Map<String, Value>) -> Dims {
    let mut d = Dims {
        customer: ref_id(obj.get("CustomerRef")),
        vendor: ref_id(obj.get("VendorRef")),
        employee: ref_id(obj.get("EmployeeRef")),
        item: None,
        class: ref_id(obj.get("ClassRef")),
        department: ref_id(obj.get("DepartmentRef")),
    };
    // Purchase.EntityRef names its payee with a type.
    if let Some(e) = obj.get("EntityRef") {
        let id = ref_id(Some(e));
        match e.get("type").and_then(Value::as_str) {
            Some("Customer") => d.customer = d.customer.or(id),
            Some("Employee") => d.employee = d.employee.or(id),
            _ => d.vendor = d.vendor.or(id),
        }
    }
    d
}

/// A record's display name: DisplayName (customers, vendors, employees), else
/// FullyQualifiedName, else Name.
pub fn name_of(store: &Store, entity: &str, id: u64) -> String {
    let Some(rec) = store
        .table_index(entity)
        .and_then(|ti| store.tables[ti].rows.get(&id))
    else {
        return String::new();
    };
    ["DisplayName", "FullyQualifiedName", "Name"]
        .iter()
        .find_map(|k| rec.obj.get(*k).and_then(Value::as_str))
        .unwrap_or("")
        .to_string()
}

/// A stored transaction to post: date, entity order, Id, entity, object.
type Record<'a> = (NaiveDate, usize, u64, &'static str, &'a Map<String, Value>);

/// Moves a rounding residual (from currency conversion) onto the largest posting.
fn balance(ps: &mut [Posting<'_>]) {
    let sum: i64 = ps.iter().map(|p| p.amount).sum();
    if sum != 0 {
        if let Some(p) = ps.iter_mut().max_by_key(|p| p.amount.abs()) {
            p.amount -= sum;
        }
    }
}

impl<'a> Ledger<'a> {
    /// The books under `basis`.
    pub fn build(store: &'a Store, basis: Basis) -> Ledger<'a> {
        let mut chart = Chart::load(store);
        let mut records: Vec<Record<'a>> = Vec::new();
        for (order, entity) in TXN_ENTITIES.iter().enumerate() {
            let Some(ti) = store.table_index(entity) else {
                continue;
            };
            let name = store.entity(ti).name;
            for (id, rec) in &store.tables[ti].rows {
                if rec.deleted {
                    continue;
                }
                if let Some(d) = txn_date(&rec.obj) {
                    records.push((d, order, *id, name, &rec.obj));
                }
            }
        }
        records.sort_by_key(|r| (r.0, r.1, r.2));
        let mut txns = Vec::with_capacity(records.len());
        let mut spans = Vec::with_capacity(records.len());
        let mut all = Vec::new();
        for (date, _, id, entity, obj) in records {
            let accrual = postings::accrual(&mut chart, store, entity, obj);
            let r = rate(obj);
            let total_field = if entity == "Transfer" {
                "Amount"
            } else {
                "TotalAmt"
            };
            let total = home(postings::cents(obj.get(total_field)), r);
            let counters = distinct(&accrual, true);
            let lines = distinct(&accrual, false);
            let primary = counters.first().copied();
            let amount = match primary {
                Some(p) => chart.get(p).kind.natural(home(
                    accrual
                        .iter()
                        .filter(|l| l.counter && l.account == p)
                        .map(|l| l.amount)
                        .sum(),
                    r,
                )),
                None => total,
            };
            let legs = match basis {
                Basis::Accrual => accrual,
                Basis::Cash => cash::legs(&mut chart, store, entity, obj, &accrual),
            };
            let tix = txns.len();
            let mut ps: Vec<Posting> = legs
                .into_iter()
                .map(|l| Posting {
                    txn: tix,
                    date,
                    account: l.account,
                    amount: home(l.amount, r),
                    counter: l.counter,
                    dims: l.dims,
                    memo: l.memo,
                    qty: l.qty,
                })
                .collect();
            balance(&mut ps);
            let from = all.len();
            all.extend(ps.into_iter().filter(|p| p.amount != 0));
            spans.push((from, all.len()));
            let memo = obj.get("PrivateNote").and_then(Value::as_str).unwrap_or("");
            txns.push(Txn {
                id,
                date,
                label: label(entity, obj),
                doc: obj.get("DocNumber").and_then(Value::as_str).unwrap_or(""),
                memo,
                dims: txn_dims(obj),
                posting: !matches!(entity, "Estimate" | "PurchaseOrder"),
                primary,
                amount,
                lines,
                counters,
            });
        }
        Ledger {
            store,
            chart,
            txns,
            postings: all,
            spans,
        }
    }

    /// The postings of transaction `t`.
    pub fn postings_of(&self, t: usize) -> &[Posting<'a>] {
        match self.spans.get(t) {
            Some((a, b)) => &self.postings[*a..*b],
            None => &[],
        }
    }

    pub fn name_of(&self, entity: &str, id: u64) -> String {
        name_of(self.store, entity, id)
    }

    /// The customer, vendor or employee a transaction is with: `(entity, Id)`.
    pub fn party(&self, t: &Txn<'_>) -> Option<(&'static str, u64)> {
        t.dims
            .customer
            .map(|c| ("Customer", c))
            .or(t.dims.vendor.map(|v| ("Vendor", v)))
            .or(t.dims.employee.map(|e| ("Employee", e)))
    }

    pub fn account_name(&self, ix: usize) -> &str {
        &self.chart.get(ix).full_name
    }

    pub fn kind(&self, ix: usize) -> Kind {
        self.chart.get(ix).kind
    }
}
