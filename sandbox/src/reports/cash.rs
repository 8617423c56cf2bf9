//! Cash basis ([sim] a documented approximation of QuickBooks' cash method): income and expense
//! are recognised when paid.
//!
//! - Invoices, credit memos, bills and vendor credits post nothing themselves.
//! - A Payment posts its deposit account as usual; each line applied to an invoice posts that
//!   invoice's income-side postings (income, discounts, sales tax) scaled by
//!   `applied / invoice total`, dated on the payment; a line applying a credit memo posts the
//!   memo's postings scaled the same way; any unapplied amount stays on A/R.
//! - A BillPayment likewise posts the paid bill's expense lines in proportion; unapplied money
//!   stays on A/P.
//! - Everything else (sales receipts, refunds, purchases, deposits, transfers, journal
//!   entries) posts as under accrual.

use super::chart::Chart;
use super::ledger::Leg;
use super::postings::{self, cents, lines};
use crate::store::Store;
use serde_json::{Map, Value};

type Obj = Map<String, Value>;

/// The cash-basis legs of a transaction whose accrual legs are `accrual`.
pub fn legs<'o>(
    chart: &mut Chart,
    store: &'o Store,
    entity: &str,
    obj: &'o Obj,
    accrual: &[Leg<'o>],
) -> Vec<Leg<'o>> {
    match entity {
        "Invoice" | "CreditMemo" | "Bill" | "VendorCredit" => Vec::new(),
        "Payment" => settle(chart, store, obj, accrual, -1),
        "BillPayment" => settle(chart, store, obj, accrual, 1),
        _ => accrual.to_vec(),
    }
}

/// The line legs (not the A/R or A/P side) of a live document and their sum.
fn profile<'o>(
    chart: &mut Chart,
    store: &'o Store,
    entity: &str,
    id: u64,
) -> Option<(Vec<Leg<'o>>, i64)> {
    let ti = store.table_index(entity)?;
    let rec = store.live(ti, id)?;
    let legs: Vec<Leg> = postings::accrual(chart, store, entity, &rec.obj)
        .into_iter()
        .filter(|l| !l.counter)
        .collect();
    let sum: i64 = legs.iter().map(|l| l.amount).sum();
    (sum != 0).then_some((legs, sum))
}

/// `legs` scaled so that they sum to `target` exactly (the largest one takes the rounding).
pub fn allocate<'o>(legs: &[Leg<'o>], sum: i64, target: i64) -> Vec<Leg<'o>> {
    let mut out: Vec<Leg> = legs
        .iter()
        .map(|l| {
            let mut s = l.clone();
            let ratio = target as f64 / sum as f64;
            s.amount = (l.amount as f64 * ratio).round() as i64;
            s.qty = l.qty.map(|q| q * ratio);
            s
        })
        .collect();
    let got: i64 = out.iter().map(|l| l.amount).sum();
    if let Some(big) = out.iter_mut().max_by_key(|l| l.amount.abs()) {
        big.amount += target - got;
    }
    out
}

/// A payment (`sign` -1: its A/R leg is a credit) or bill payment (`sign` 1: A/P debit):
/// the balancing side as posted, the open-item side replaced by the documents it pays.
fn settle<'o>(
    chart: &mut Chart,
    store: &'o Store,
    obj: &'o Obj,
    accrual: &[Leg<'o>],
    sign: i64,
) -> Vec<Leg<'o>> {
    let mut out: Vec<Leg> = accrual.iter().filter(|l| l.counter).cloned().collect();
    let Some(open) = accrual.iter().find(|l| !l.counter).cloned() else {
        return out;
    };
    let mut settled = 0i64;
    for l in lines(obj) {
        let x = cents(l.get("Amount"));
        let link = l
            .get("LinkedTxn")
            .and_then(Value::as_array)
            .and_then(|a| a.first());
        let ty = link
            .and_then(|lt| lt.get("TxnType"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let dir = match ty {
            "Invoice" | "Bill" => 1,
            "CreditMemo" => -1,
            _ => continue,
        };
        let part = sign * dir * x;
        if part == 0 {
            continue;
        }
        let id = link
            .and_then(|lt| lt.get("TxnId"))
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok());
        match id.and_then(|id| profile(chart, store, ty, id)) {
            Some((legs, sum)) => out.extend(allocate(&legs, sum, part)),
            None => out.push(Leg {
                amount: part,
                ..open.clone()
            }),
        }
        settled += part;
    }
    let rest = open.amount - settled;
    if rest != 0 {
        out.push(Leg {
            amount: rest,
            ..open
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::ledger::Dims;

    fn leg(amount: i64) -> Leg<'static> {
        Leg {
            account: 0,
            amount,
            counter: false,
            dims: Dims::default(),
            memo: None,
            qty: None,
        }
    }

    #[test]
    fn allocation_is_exact() {
        let legs = [leg(-3333), leg(-3333), leg(-3334)];
        let out = allocate(&legs, -10000, -5000);
        assert_eq!(out.iter().map(|l| l.amount).sum::<i64>(), -5000);
        let out = allocate(&[leg(-100), leg(7)], -93, -31);
        assert_eq!(out.iter().map(|l| l.amount).sum::<i64>(), -31);
    }
}
