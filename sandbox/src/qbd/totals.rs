//! Transaction totals QuickBooks computes (`Subtotal`, `TotalAmount`, `BalanceRemaining`,
//! `AppliedAmount`, `IsPaid`, `AmountDue`, `OpenAmount`, `UnusedPayment`, `DepositTotal`, ...),
//! all `AMTTYPE` with two decimals. Called after every write to a transaction and to the
//! transactions a payment applies to.

use super::kinds::Kind;
use super::money::{fmt_amount, parse_amount};
use super::store::{Record, Store};
use qbsync_qbxml::Element;

/// Sets `name` to `value` in `e` (replacing, or appending when absent).
pub(crate) fn set_leaf(e: &mut Element, name: &str, value: impl Into<String>) {
    let value = value.into();
    match e.children.iter_mut().find(|c| c.name == name) {
        Some(c) => {
            c.text = value;
            c.children.clear();
        }
        None => {
            e.children.push(Element::new(name).with_text(value));
        }
    }
}

pub(crate) fn remove(e: &mut Element, name: &str) {
    e.children.retain(|c| c.name != name);
}

/// Sum of `Amount` over the children called `line`.
pub(crate) fn line_sum(body: &Element, line: &str) -> i64 {
    body.find_all(line)
        .map(|l| l.child_text("Amount").and_then(parse_amount).unwrap_or(0))
        .sum()
}

fn lines_total(r: &Record) -> i64 {
    r.kind
        .lines()
        .iter()
        .map(|base| line_sum(&r.body, &format!("{base}Ret")))
        .sum()
}

/// What the payments in the file apply to `target`: `(payment TxnID, amount)` pairs.
pub(crate) fn applications(store: &Store, target: &str) -> Vec<(String, i64)> {
    store.applications(target)
}

/// Amount still open on an invoice or bill (before the caller's own change).
pub(crate) fn open_amount(store: &Store, target: &Record) -> i64 {
    let total = match target.kind {
        Kind::Bill => target.amount("AmountDue"),
        _ => lines_total(target),
    };
    let paid: i64 = applications(store, &target.id).iter().map(|(_, a)| a).sum();
    total - paid
}

/// Recomputes the totals of transaction `id` from its lines and the payments applied to it.
pub(crate) fn recompute(store: &mut Store, id: &str) {
    let Some(r) = store.get(id) else { return };
    let kind = r.kind;
    let lines = if r.voided { 0 } else { lines_total(r) };
    let applied: i64 = if matches!(kind, Kind::Invoice | Kind::Bill) {
        applications(store, id).iter().map(|(_, a)| a).sum()
    } else {
        0
    };
    let applied_out: i64 = r
        .body
        .find_all("AppliedToTxnRet")
        .map(|a| a.child_text("Amount").and_then(parse_amount).unwrap_or(0))
        .sum();
    let Some(r) = store.get_mut(id) else { return };
    let b = &mut r.body;
    match kind {
        Kind::Invoice => {
            set_leaf(b, "Subtotal", fmt_amount(lines));
            set_leaf(b, "SalesTaxPercentage", "0.00");
            set_leaf(b, "SalesTaxTotal", fmt_amount(0));
            set_leaf(b, "AppliedAmount", fmt_amount(-applied));
            let balance = lines - applied;
            set_leaf(b, "BalanceRemaining", fmt_amount(balance));
            set_leaf(b, "IsPaid", if balance <= 0 { "true" } else { "false" });
        }
        Kind::SalesReceipt | Kind::Estimate | Kind::SalesOrder => {
            set_leaf(b, "Subtotal", fmt_amount(lines));
            set_leaf(b, "SalesTaxPercentage", "0.00");
            set_leaf(b, "SalesTaxTotal", fmt_amount(0));
            set_leaf(b, "TotalAmount", fmt_amount(lines));
        }
        Kind::CreditMemo => {
            set_leaf(b, "Subtotal", fmt_amount(lines));
            set_leaf(b, "SalesTaxPercentage", "0.00");
            set_leaf(b, "SalesTaxTotal", fmt_amount(0));
            set_leaf(b, "TotalAmount", fmt_amount(lines));
            set_leaf(b, "CreditRemaining", fmt_amount(lines));
        }
        Kind::PurchaseOrder => {
            set_leaf(b, "TotalAmount", fmt_amount(lines));
        }
        Kind::Bill => {
            set_leaf(b, "AmountDue", fmt_amount(lines));
            let open = lines - applied;
            set_leaf(b, "OpenAmount", fmt_amount(open));
            set_leaf(b, "IsPaid", if open <= 0 { "true" } else { "false" });
        }
        Kind::Check => {
            set_leaf(b, "Amount", fmt_amount(lines));
        }
        Kind::Deposit => {
            set_leaf(b, "DepositTotal", fmt_amount(lines));
        }
        Kind::ReceivePayment => {
            let total = if r.voided {
                0
            } else {
                b.child_text("TotalAmount")
                    .and_then(parse_amount)
                    .unwrap_or(applied_out)
            };
            set_leaf(b, "TotalAmount", fmt_amount(total));
            set_leaf(b, "UnusedPayment", fmt_amount(total - applied_out));
            set_leaf(b, "UnusedCredits", fmt_amount(0));
        }
        Kind::BillPaymentCheck => {
            set_leaf(b, "Amount", fmt_amount(applied_out));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_leaf_replaces_or_appends() {
        let mut e = Element::new("X").leaf("A", "1");
        set_leaf(&mut e, "A", "2");
        set_leaf(&mut e, "B", "3");
        assert_eq!(e.child_text("A"), Some("2"));
        assert_eq!(e.child_text("B"), Some("3"));
        remove(&mut e, "A");
        assert!(e.find("A").is_none());
        let body = Element::new("InvoiceRet")
            .child(Element::new("InvoiceLineRet").leaf("Amount", "1.50"))
            .child(Element::new("InvoiceLineRet").leaf("Amount", "2"));
        assert_eq!(line_sum(&body, "InvoiceLineRet"), 350);
    }
}
