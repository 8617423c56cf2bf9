//! Values QuickBooks shows but does not store on the record itself: account, customer and
//! vendor balances, inventory on hand, and which payments are linked to which transactions.
//! Computed from the whole file once per change (keyed by the store's generation).

use super::kinds::Kind;
use super::ledger::{postings, Posting};
use super::money::{parse_amount, parse_dec, Dec};
use super::store::Store;
use std::collections::HashMap;

/// A payment linked to an invoice or bill.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub from: String,
    pub kind: Kind,
    pub date: Option<String>,
    pub ref_number: Option<String>,
    /// Amount applied (positive).
    pub amount: i64,
}

#[derive(Debug)]
pub(crate) struct Derived {
    pub generation: u64,
    pub postings: Vec<Posting>,
    /// Debit-positive sum per account `ListID`.
    pub account_sum: HashMap<String, i64>,
    /// Accounts-receivable balance per customer (debit positive).
    pub receivable: HashMap<String, i64>,
    /// Accounts-payable balance per vendor (credit positive).
    pub payable: HashMap<String, i64>,
    /// Quantity bought minus sold per inventory item.
    pub item_moves: HashMap<String, Dec>,
    /// Payments per invoice/bill `TxnID`.
    pub links: HashMap<String, Vec<Link>>,
}

impl Derived {
    pub fn compute(store: &Store) -> Derived {
        let postings = postings(store);
        let account_type: HashMap<&str, &str> = store
            .of_kind(Kind::Account)
            .map(|a| (a.id.as_str(), a.text("AccountType").unwrap_or("")))
            .collect();
        let mut account_sum: HashMap<String, i64> = HashMap::new();
        let mut receivable: HashMap<String, i64> = HashMap::new();
        let mut payable: HashMap<String, i64> = HashMap::new();
        for p in &postings {
            *account_sum.entry(p.account.clone()).or_default() += p.amount;
            let t = account_type.get(p.account.as_str()).copied().unwrap_or("");
            if let Some(e) = &p.entity {
                match t {
                    "AccountsReceivable" => *receivable.entry(e.clone()).or_default() += p.amount,
                    "AccountsPayable" => *payable.entry(e.clone()).or_default() -= p.amount,
                    _ => {}
                }
            }
        }
        let mut item_moves: HashMap<String, Dec> = HashMap::new();
        for r in store.txns() {
            let sign: Dec = match r.kind {
                Kind::Bill | Kind::Check => 1,
                Kind::Invoice | Kind::SalesReceipt => -1,
                Kind::CreditMemo => 1,
                _ => continue,
            };
            if r.voided {
                continue;
            }
            for l in &r.body.children {
                if !(l.name.ends_with("LineRet") && l.name != "ExpenseLineRet") {
                    continue;
                }
                let Some(item) = l
                    .find("ItemRef")
                    .and_then(|i| i.child_text("ListID"))
                    .and_then(|id| store.get_of(&[Kind::ItemInventory], id))
                else {
                    continue;
                };
                let q = l
                    .child_text("Quantity")
                    .and_then(parse_dec)
                    .unwrap_or(100_000);
                *item_moves.entry(item.id.clone()).or_default() += sign * q;
            }
        }
        let mut links: HashMap<String, Vec<Link>> = HashMap::new();
        for k in [Kind::ReceivePayment, Kind::BillPaymentCheck] {
            for p in store.of_kind(k) {
                for a in p.body.find_all("AppliedToTxnRet") {
                    let Some(t) = a.child_text("TxnID") else {
                        continue;
                    };
                    links.entry(t.to_string()).or_default().push(Link {
                        from: p.id.clone(),
                        kind: k,
                        date: p.text("TxnDate").map(str::to_string),
                        ref_number: p.ref_number().map(str::to_string),
                        amount: a.child_text("Amount").and_then(parse_amount).unwrap_or(0),
                    });
                }
            }
        }
        Derived {
            generation: store.generation,
            postings,
            account_sum,
            receivable,
            payable,
            item_moves,
            links,
        }
    }
}
