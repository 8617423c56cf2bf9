//! TransactionList, TransactionListWithSplits, TransactionListByCustomer,
//! TransactionListByVendor and AccountList.
//!
//! A transaction row: date, type (with the transaction's `id`), number, `Posting` (`Yes`, or
//! `No` for estimates and purchase orders), name (customer/vendor/employee with `id`), memo,
//! `Account` (its balancing account under the accrual rules: A/R of an invoice, the bank of a
//! cheque, the first line's account of a journal entry), `Split` (the other account, or
//! `-Split-`), and the amount in that account's natural sign (a bill is positive on A/P, a
//! cheque negative on the bank; TotalAmt for journal entries and non-posting forms).

use super::detail::{account_cell, col, merge, txn_cells};
use super::ledger::{Filters, Ledger};
use super::params::Params;
use super::render::{blanks, cell, cell_id, money, Cell, Column, Row};
use super::tree::blank_cells;
use super::{Built, Ctx};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Customer,
    Vendor,
}

fn list_columns() -> Vec<Column> {
    vec![
        col("Date", "Date", "tx_date"),
        col("Transaction Type", "String", "txn_type"),
        col("Num", "String", "doc_num"),
        col("Posting", "String", "is_no_post"),
        col("Name", "String", "name"),
        col("Memo/Description", "String", "memo"),
        col("Account", "String", "account_name"),
        col("Split", "String", "other_account"),
        col("Amount", "Money", "subt_nat_amount"),
    ]
}

/// The transactions of the period passing the filters (their customer/vendor/employee/
/// department; for item/class/account filters, one of their postings), by date (reversed with
/// descend).
fn selected(ledger: &Ledger, p: &Params) -> Vec<usize> {
    let f = &p.filters;
    let party = Filters {
        customer: f.customer.clone(),
        vendor: f.vendor.clone(),
        employee: f.employee.clone(),
        department: f.department.clone(),
        ..Filters::default()
    };
    let rest = Filters {
        item: f.item.clone(),
        class: f.class.clone(),
        account: f.account.clone(),
        ..Filters::default()
    };
    let by_posting = rest != Filters::default();
    let mut v: Vec<usize> = (0..ledger.txns.len())
        .filter(|t| {
            let txn = &ledger.txns[*t];
            txn.date >= p.start
                && txn.date <= p.end
                && party.dims(&txn.dims)
                && (!by_posting
                    || ledger
                        .postings_of(*t)
                        .iter()
                        .any(|x| rest.posting(x, &ledger.chart)))
        })
        .collect();
    if p.descend {
        v.reverse();
    }
    v
}

fn posting_cell(ledger: &Ledger, t: usize) -> Cell {
    cell(if ledger.txns[t].posting { "Yes" } else { "No" })
}

fn txn_row(ledger: &Ledger, t: usize) -> Row {
    let txn = &ledger.txns[t];
    let [d, ty, num, name] = txn_cells(ledger, t);
    let primary = txn.primary.or(txn.lines.first().copied());
    let mut others: Vec<usize> = txn
        .counters
        .iter()
        .chain(&txn.lines)
        .copied()
        .filter(|a| Some(*a) != primary)
        .collect();
    others.dedup();
    let split = match others.as_slice() {
        [] => String::new(),
        [one] => ledger.account_name(*one).to_string(),
        _ => "-Split-".to_string(),
    };
    Row::data(vec![
        d,
        ty,
        num,
        posting_cell(ledger, t),
        name,
        cell(txn.memo),
        primary.map(|a| account_cell(ledger, a)).unwrap_or_default(),
        cell(split),
        cell(money(txn.amount)),
    ])
}

pub fn transaction_list(ctx: &Ctx, p: &Params) -> Built {
    let ledger = ctx.ledger(p.basis);
    let rows: Vec<Row> = selected(&ledger, p)
        .into_iter()
        .map(|t| txn_row(&ledger, t))
        .collect();
    Built {
        columns: list_columns(),
        empty: rows.is_empty(),
        rows,
    }
}

pub fn with_splits(ctx: &Ctx, p: &Params) -> Built {
    let ledger = ctx.ledger(p.basis);
    let columns = vec![
        col("Date", "Date", "tx_date"),
        col("Transaction Type", "String", "txn_type"),
        col("Num", "String", "doc_num"),
        col("Posting", "String", "is_no_post"),
        col("Name", "String", "name"),
        col("Memo/Description", "String", "memo"),
        col("Account", "String", "account_name"),
        col("Amount", "Money", "subt_nat_amount"),
    ];
    let mut rows = Vec::new();
    for t in selected(&ledger, p) {
        let [d, ty, num, name] = txn_cells(&ledger, t);
        let header = vec![
            d,
            ty,
            num,
            posting_cell(&ledger, t),
            name,
            cell(ledger.txns[t].memo),
            cell(""),
            cell(""),
        ];
        let ps: Vec<_> = ledger.postings_of(t).iter().collect();
        let mut lines = merge(&ledger, &ps);
        lines.sort_by_key(|l| !l.counter);
        let data = lines
            .iter()
            .map(|l| {
                let mut c = blanks(5);
                c.push(cell(l.memo.clone()));
                c.push(account_cell(&ledger, l.account));
                c.push(cell(money(l.amount)));
                Row::data(c)
            })
            .collect();
        rows.push(Row::Section {
            group: None,
            header: Some(header),
            rows: data,
            summary: None,
        });
    }
    Built {
        columns,
        empty: rows.is_empty(),
        rows,
    }
}

pub fn by_party(ctx: &Ctx, p: &Params, party: Party) -> Built {
    let ledger = ctx.ledger(p.basis);
    let mut groups: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for t in selected(&ledger, p) {
        let d = &ledger.txns[t].dims;
        let who = match party {
            Party::Customer => d.customer,
            Party::Vendor => d.vendor,
        };
        if let Some(id) = who {
            groups.entry(id).or_default().push(t);
        }
    }
    let entity = match party {
        Party::Customer => "Customer",
        Party::Vendor => "Vendor",
    };
    let mut named: Vec<(String, u64)> = groups
        .keys()
        .map(|id| (ledger.name_of(entity, *id), *id))
        .collect();
    named.sort_by(|a, b| {
        a.0.to_lowercase()
            .cmp(&b.0.to_lowercase())
            .then(a.1.cmp(&b.1))
    });
    if p.descend {
        named.reverse();
    }
    let mut rows = Vec::new();
    for (name, id) in named {
        let ts = &groups[&id];
        let sum: i64 = ts.iter().map(|t| ledger.txns[*t].amount).sum();
        let mut header = vec![cell_id(name.clone(), Some(id))];
        header.extend(blanks(8));
        let mut summary = blank_cells(format!("Total for {name}"), 7);
        summary.push(cell(money(sum)));
        rows.push(Row::section(
            header,
            ts.iter().map(|t| txn_row(&ledger, *t)).collect(),
            summary,
        ));
    }
    Built {
        columns: list_columns(),
        empty: rows.is_empty(),
        rows,
    }
}

pub fn account_list(ctx: &Ctx, p: &Params) -> Built {
    let ledger = ctx.ledger(super::params::Basis::Accrual);
    let columns = vec![
        col("Account", "Account", "account_name"),
        col("Type", "String", "account_type"),
        col("Detail Type", "String", "detail_acc_type"),
        col("Description", "String", "account_desc"),
        col("Balance", "Money", "account_bal"),
    ];
    let mut balances: BTreeMap<usize, i64> = BTreeMap::new();
    for x in &ledger.postings {
        *balances.entry(x.account).or_insert(0) += x.amount;
    }
    let mut rows: Vec<Row> = ledger
        .chart
        .ordered()
        .into_iter()
        .filter(|a| {
            let acc = ledger.chart.get(*a);
            acc.active
                && acc.id.is_some()
                && p.filters
                    .account
                    .as_ref()
                    .is_none_or(|ids| acc.id.is_some_and(|id| ids.contains(&id)))
        })
        .map(|a| {
            let acc = ledger.chart.get(a);
            let bal = if acc.kind.is_pnl() {
                String::new()
            } else {
                money(acc.kind.natural(balances.get(&a).copied().unwrap_or(0)))
            };
            Row::data(vec![
                account_cell(&ledger, a),
                cell(acc.account_type.clone()),
                cell(acc.sub_type.clone()),
                cell(acc.description.clone()),
                cell(bal),
            ])
        })
        .collect();
    if p.descend {
        rows.reverse();
    }
    Built {
        columns,
        empty: rows.is_empty(),
        rows,
    }
}
