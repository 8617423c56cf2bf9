//! Accrual posting rules, one per transaction entity (amounts in the transaction's currency,
//! cents, debit positive). Sales and expense lines post in pairs (the line and its share of the
//! balancing account, with the line's item/class), so a report filtered by item or class still
//! balances.
//!
//! - Invoice: Dr A/R (`ARAccountRef`, default A/R) / Cr each line's item `IncomeAccountRef`;
//!   discount lines Dr `DiscountAccountRef` (default `Discounts given`); TotalAmt above the
//!   lines (sales tax) Cr each `TxnTaxDetail.TaxLine`'s agency account `<agency> Payable` (the
//!   chart's account of that name, else a synthetic one), the rest (a TotalTax override) on the
//!   first of them, else on a sales tax payable account.
//! - SalesReceipt: the same with `DepositToAccountRef` (default Undeposited Funds) for A/R.
//! - CreditMemo, RefundReceipt: the reverse of Invoice, SalesReceipt.
//! - Payment: Dr `DepositToAccountRef` (default Undeposited Funds) / Cr A/R, TotalAmt.
//! - Deposit: Dr `DepositToAccountRef` / Cr each line's `DepositLineDetail.AccountRef`, or for a
//!   line linked to a payment or receipt, that transaction's deposit account (default
//!   Undeposited Funds).
//! - Transfer: Dr `ToAccountRef` / Cr `FromAccountRef`.
//! - Bill: Dr each line's `AccountBasedExpenseLineDetail.AccountRef` or item
//!   `ExpenseAccountRef` (default: the first cost of goods sold account) / Cr A/P; TotalAmt
//!   above the lines Dr the sales tax account. VendorCredit: the reverse.
//! - Purchase: the expense lines / Cr `AccountRef`; reversed when `Credit` is true.
//! - BillPayment: Dr A/P / Cr `CheckPayment.BankAccountRef` or `CreditCardPayment.CCAccountRef`.
//! - JournalEntry: each line on its `AccountRef` by `PostingType`.
//! - Estimate, PurchaseOrder, TimeActivity: nothing.

use super::chart::{ref_id, Chart, Fallback};
use super::ledger::{txn_dims, Dims, Leg};
use crate::store::Store;
use serde_json::{Map, Value};

type Obj = Map<String, Value>;

/// Cents of a money field.
pub fn cents(v: Option<&Value>) -> i64 {
    v.and_then(Value::as_f64)
        .filter(|x| x.is_finite())
        .map(|x| (x * 100.0).round() as i64)
        .unwrap_or(0)
}

/// The line objects of a transaction.
pub fn lines(obj: &Obj) -> impl Iterator<Item = &Obj> {
    obj.get("Line")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

fn detail<'o>(l: &'o Obj, key: &str) -> Option<&'o Obj> {
    l.get(key).and_then(Value::as_object)
}

fn memo(l: &Obj) -> Option<&str> {
    l.get("Description")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The customer/vendor/employee a line names through `Entity` (journal entries:
/// `{"Type","EntityRef"}`; deposits: `{"type","value"}`).
fn entity_dims(mut d: Dims, e: Option<&Value>) -> Dims {
    let Some(e) = e else { return d };
    let (ty, id) = match e.get("EntityRef") {
        Some(r) => (e.get("Type"), ref_id(Some(r))),
        None => (e.get("type"), ref_id(Some(e))),
    };
    match ty
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("customer") => d.customer = id,
        Some("vendor") => d.vendor = id,
        Some("employee") => d.employee = id,
        _ => {}
    }
    d
}

/// Income-side legs of sales lines (credits), discounts (debits) and sales tax (credit).
fn sales_lines<'o>(chart: &mut Chart, store: &Store, obj: &'o Obj, base: Dims) -> Vec<Leg<'o>> {
    let mut out = Vec::new();
    let mut net = 0i64;
    for l in lines(obj) {
        let dt = l.get("DetailType").and_then(Value::as_str).unwrap_or("");
        let a = cents(l.get("Amount"));
        match dt {
            "SalesItemLineDetail" | "GroupLineDetail" | "DescriptionOnly" => {
                let d = detail(l, dt);
                let item = d.and_then(|d| ref_id(d.get("ItemRef")));
                if a == 0 && item.is_none() {
                    continue;
                }
                let mut dims = base;
                dims.item = item;
                dims.class = d.and_then(|d| ref_id(d.get("ClassRef"))).or(base.class);
                let account = chart.item_account(store, item, true, Fallback::Income);
                out.push(Leg {
                    account,
                    amount: -a,
                    counter: false,
                    dims,
                    memo: memo(l),
                    qty: d.and_then(|d| d.get("Qty")).and_then(Value::as_f64),
                });
                net += a;
            }
            "DiscountLineDetail" => {
                let d = detail(l, dt);
                let account = chart.resolve(
                    d.and_then(|d| d.get("DiscountAccountRef")),
                    Fallback::Discount,
                );
                let mut dims = base;
                dims.class = d.and_then(|d| ref_id(d.get("ClassRef"))).or(base.class);
                out.push(Leg {
                    account,
                    amount: a,
                    counter: false,
                    dims,
                    memo: memo(l).or(Some("Discount")),
                    qty: None,
                });
                net -= a;
            }
            _ => {}
        }
    }
    let tax = cents(obj.get("TotalAmt")) - net;
    if tax != 0 {
        out.extend(tax_legs(chart, store, obj, -tax, base));
    }
    out
}

/// The tax agency account of a tax rate: `<agency DisplayName> Payable`.
fn agency_account(chart: &mut Chart, store: &Store, rate: Option<u64>) -> Option<usize> {
    let lookup = |entity: &str, id: u64| {
        let ti = store.table_index(entity)?;
        store.tables[ti].rows.get(&id).map(|r| &r.obj)
    };
    let rate = lookup("TaxRate", rate?)?;
    let agency = lookup("TaxAgency", ref_id(rate.get("AgencyRef"))?)?;
    let name = agency.get("DisplayName")?.as_str()?;
    Some(chart.liability_named(&format!("{name} Payable")))
}

/// Sales tax of `amount` (debit positive): each `TxnTaxDetail.TaxLine` on its agency's
/// account, what they do not cover (a TotalTax override) on the first of them, else on the
/// sales tax fall-back.
fn tax_legs<'o>(
    chart: &mut Chart,
    store: &Store,
    obj: &'o Obj,
    amount: i64,
    base: Dims,
) -> Vec<Leg<'o>> {
    let sign = amount.signum();
    let leg = |account, amount| Leg {
        account,
        amount,
        counter: false,
        dims: base,
        memo: Some("Sales tax"),
        qty: None,
    };
    let mut out = Vec::new();
    let mut rest = amount;
    let tax_lines = obj
        .get("TxnTaxDetail")
        .and_then(|t| t.get("TaxLine"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for tl in tax_lines {
        let a = sign * cents(tl.get("Amount")).abs();
        let rate = ref_id(tl.get("TaxLineDetail").and_then(|d| d.get("TaxRateRef")));
        if a == 0 {
            continue;
        }
        if let Some(acct) = agency_account(chart, store, rate) {
            out.push(leg(acct, a));
            rest -= a;
        }
    }
    if rest != 0 {
        let acct = out
            .first()
            .map(|l| l.account)
            .unwrap_or_else(|| chart.fallback(Fallback::SalesTax));
        out.push(leg(acct, rest));
    }
    out
}

/// Expense-side legs (debits) of Bill, VendorCredit, Purchase lines, plus any tax.
fn expense_lines<'o>(chart: &mut Chart, store: &Store, obj: &'o Obj, base: Dims) -> Vec<Leg<'o>> {
    let mut out = Vec::new();
    let mut net = 0i64;
    for l in lines(obj) {
        let dt = l.get("DetailType").and_then(Value::as_str).unwrap_or("");
        let a = cents(l.get("Amount"));
        let d = detail(l, dt);
        let mut dims = base;
        dims.customer = d
            .and_then(|d| ref_id(d.get("CustomerRef")))
            .or(base.customer);
        dims.class = d.and_then(|d| ref_id(d.get("ClassRef"))).or(base.class);
        let (account, qty) = match dt {
            "AccountBasedExpenseLineDetail" => (
                chart.resolve(d.and_then(|d| d.get("AccountRef")), Fallback::Expense),
                None,
            ),
            "ItemBasedExpenseLineDetail" => {
                dims.item = d.and_then(|d| ref_id(d.get("ItemRef")));
                (
                    chart.item_account(store, dims.item, false, Fallback::ItemCost),
                    d.and_then(|d| d.get("Qty")).and_then(Value::as_f64),
                )
            }
            _ => continue,
        };
        out.push(Leg {
            account,
            amount: a,
            counter: false,
            dims,
            memo: memo(l),
            qty,
        });
        net += a;
    }
    let tax = cents(obj.get("TotalAmt")) - net;
    if tax != 0 {
        out.push(Leg {
            account: chart.fallback(Fallback::SalesTax),
            amount: tax,
            counter: false,
            dims: base,
            memo: Some("Tax"),
            qty: None,
        });
    }
    out
}

/// Each line leg followed by its share of the balancing `account`.
fn with_counter(lines: Vec<Leg<'_>>, account: usize) -> Vec<Leg<'_>> {
    let mut out = Vec::with_capacity(lines.len() * 2);
    for l in lines {
        let c = Leg {
            account,
            amount: -l.amount,
            counter: true,
            dims: l.dims,
            memo: None,
            qty: None,
        };
        out.push(l);
        out.push(c);
    }
    out
}

fn negate(mut legs: Vec<Leg<'_>>) -> Vec<Leg<'_>> {
    for l in &mut legs {
        l.amount = -l.amount;
        l.qty = l.qty.map(|q| -q);
    }
    legs
}

fn two(a: usize, a_amt: i64, a_counter: bool, b: usize, dims: Dims) -> Vec<Leg<'static>> {
    let leg = |account, amount, counter| Leg {
        account,
        amount,
        counter,
        dims,
        memo: None,
        qty: None,
    };
    vec![leg(a, a_amt, a_counter), leg(b, -a_amt, !a_counter)]
}

/// The deposit account of a transaction a deposit line links (payment, sales receipt, ...).
fn linked_deposit_account(chart: &mut Chart, store: &Store, l: &Obj) -> Option<usize> {
    let lt = l.get("LinkedTxn")?.as_array()?.first()?;
    let ty = lt.get("TxnType")?.as_str()?;
    let id: u64 = lt.get("TxnId")?.as_str()?.parse().ok()?;
    let ti = store.table_index(ty)?;
    let r = store.tables[ti]
        .rows
        .get(&id)?
        .obj
        .get("DepositToAccountRef");
    Some(chart.resolve(r, Fallback::Undeposited))
}

fn deposit<'o>(chart: &mut Chart, store: &Store, obj: &'o Obj, base: Dims) -> Vec<Leg<'o>> {
    let bank = chart.resolve(obj.get("DepositToAccountRef"), Fallback::Bank);
    let mut legs = Vec::new();
    for l in lines(obj) {
        let a = cents(l.get("Amount"));
        let d = detail(l, "DepositLineDetail");
        let account = match d.and_then(|d| d.get("AccountRef")) {
            Some(r) if !r.is_null() => chart.resolve(Some(r), Fallback::Undeposited),
            _ => linked_deposit_account(chart, store, l)
                .unwrap_or_else(|| chart.fallback(Fallback::Undeposited)),
        };
        let mut dims = entity_dims(base, d.and_then(|d| d.get("Entity")));
        dims.class = d.and_then(|d| ref_id(d.get("ClassRef"))).or(base.class);
        legs.push(Leg {
            account,
            amount: -a,
            counter: false,
            dims,
            memo: memo(l),
            qty: None,
        });
    }
    with_counter(legs, bank)
}

fn journal<'o>(chart: &mut Chart, obj: &'o Obj, base: Dims) -> Vec<Leg<'o>> {
    let mut out = Vec::new();
    for l in lines(obj) {
        let Some(d) = detail(l, "JournalEntryLineDetail") else {
            continue;
        };
        let a = cents(l.get("Amount"));
        let amount = match d.get("PostingType").and_then(Value::as_str) {
            Some("Debit") => a,
            Some("Credit") => -a,
            _ => continue,
        };
        let mut dims = entity_dims(base, d.get("Entity"));
        dims.class = ref_id(d.get("ClassRef")).or(base.class);
        dims.department = ref_id(d.get("DepartmentRef")).or(base.department);
        out.push(Leg {
            account: chart.resolve(d.get("AccountRef"), Fallback::Expense),
            amount,
            counter: false,
            dims,
            memo: memo(l),
            qty: None,
        });
    }
    out
}

/// The accrual legs of a stored transaction of `entity` (none for non-posting ones).
pub fn accrual<'o>(chart: &mut Chart, store: &Store, entity: &str, obj: &'o Obj) -> Vec<Leg<'o>> {
    let base = txn_dims(obj);
    let total = cents(obj.get("TotalAmt"));
    match entity {
        "Invoice" | "CreditMemo" => {
            let ar = chart.resolve(obj.get("ARAccountRef"), Fallback::Receivable);
            let legs = with_counter(sales_lines(chart, store, obj, base), ar);
            if entity == "CreditMemo" {
                negate(legs)
            } else {
                legs
            }
        }
        "SalesReceipt" | "RefundReceipt" => {
            let to = chart.resolve(obj.get("DepositToAccountRef"), Fallback::Undeposited);
            let legs = with_counter(sales_lines(chart, store, obj, base), to);
            if entity == "RefundReceipt" {
                negate(legs)
            } else {
                legs
            }
        }
        "Payment" => {
            let to = chart.resolve(obj.get("DepositToAccountRef"), Fallback::Undeposited);
            let ar = chart.resolve(obj.get("ARAccountRef"), Fallback::Receivable);
            two(to, total, true, ar, base)
        }
        "Deposit" => deposit(chart, store, obj, base),
        "Transfer" => {
            let from = chart.resolve(obj.get("FromAccountRef"), Fallback::Bank);
            let to = chart.resolve(obj.get("ToAccountRef"), Fallback::Bank);
            two(from, -cents(obj.get("Amount")), true, to, base)
        }
        "Bill" | "VendorCredit" => {
            let ap = chart.resolve(obj.get("APAccountRef"), Fallback::Payable);
            let legs = with_counter(expense_lines(chart, store, obj, base), ap);
            if entity == "VendorCredit" {
                negate(legs)
            } else {
                legs
            }
        }
        "Purchase" => {
            let fb = if obj.get("PaymentType").and_then(Value::as_str) == Some("CreditCard") {
                Fallback::CreditCard
            } else {
                Fallback::Bank
            };
            let from = chart.resolve(obj.get("AccountRef"), fb);
            let legs = with_counter(expense_lines(chart, store, obj, base), from);
            if obj.get("Credit").and_then(Value::as_bool) == Some(true) {
                negate(legs)
            } else {
                legs
            }
        }
        "BillPayment" => {
            let ap = chart.resolve(obj.get("APAccountRef"), Fallback::Payable);
            let from = if obj.get("PayType").and_then(Value::as_str) == Some("CreditCard") {
                chart.resolve(
                    obj.get("CreditCardPayment")
                        .and_then(|p| p.get("CCAccountRef")),
                    Fallback::CreditCard,
                )
            } else {
                chart.resolve(
                    obj.get("CheckPayment")
                        .and_then(|p| p.get("BankAccountRef")),
                    Fallback::Bank,
                )
            };
            two(from, -total, true, ap, base)
        }
        "JournalEntry" => journal(chart, obj, base),
        _ => Vec::new(),
    }
}
