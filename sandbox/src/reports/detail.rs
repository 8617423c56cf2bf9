//! What the detail reports (ProfitAndLossDetail, GeneralLedger, JournalReport, the transaction
//! lists) share: their columns (`ColKey`s as QuickBooks names them: `tx_date`, `txn_type`,
//! `doc_num`, `name`, `memo`, `split_acc`, `subt_nat_amount`, `rbal_nat_amount`, ...), the
//! transaction cells (type and name carry their `id`), and postings merged for display: the
//! balancing side of a transaction (its A/R, A/P or bank share per line) is one line per
//! account, the other postings one line each.

use super::ledger::{Ledger, Posting};
use super::render::{cell, cell_id, date, Cell, Column};
use std::collections::HashMap;

pub fn col(title: &str, ty: &'static str, key: &str) -> Column {
    Column::new(title, ty, key)
}

/// Date, Transaction Type, Num, Name, Memo/Description, Split, Amount, Balance.
pub fn ledger_columns() -> Vec<Column> {
    vec![
        col("Date", "Date", "tx_date"),
        col("Transaction Type", "String", "txn_type"),
        col("Num", "String", "doc_num"),
        col("Name", "String", "name"),
        col("Memo/Description", "String", "memo"),
        col("Split", "String", "split_acc"),
        col("Amount", "Money", "subt_nat_amount"),
        col("Balance", "Money", "rbal_nat_amount"),
    ]
}

/// A posting line as shown.
#[derive(Debug, Clone)]
pub struct Line {
    pub txn: usize,
    pub account: usize,
    /// Debit positive.
    pub amount: i64,
    pub memo: String,
    pub counter: bool,
}

/// Merges the balancing postings of each transaction per account; keeps the order of first
/// appearance.
pub fn merge(ledger: &Ledger<'_>, ps: &[&Posting<'_>]) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::with_capacity(ps.len());
    let mut at: HashMap<(usize, usize), usize> = HashMap::new();
    for p in ps {
        if p.counter {
            if let Some(i) = at.get(&(p.txn, p.account)) {
                out[*i].amount += p.amount;
                continue;
            }
            at.insert((p.txn, p.account), out.len());
        }
        let txn_memo = ledger.txns[p.txn].memo;
        out.push(Line {
            txn: p.txn,
            account: p.account,
            amount: p.amount,
            memo: if p.counter {
                txn_memo.to_string()
            } else {
                p.memo.unwrap_or(txn_memo).to_string()
            },
            counter: p.counter,
        });
    }
    out.retain(|l| l.amount != 0);
    out
}

/// The `Split` of a line: the other side's account, `-Split-` when there are several.
pub fn split(ledger: &Ledger, l: &Line) -> String {
    let t = &ledger.txns[l.txn];
    let others: Vec<usize> = if t.counters.is_empty() {
        t.lines
            .iter()
            .copied()
            .filter(|a| *a != l.account)
            .collect()
    } else if l.counter {
        t.lines.clone()
    } else {
        t.counters.clone()
    };
    match others.as_slice() {
        [] => String::new(),
        [one] => ledger.account_name(*one).to_string(),
        _ => "-Split-".to_string(),
    }
}

/// `[date, type (id), num, name (id)]` of a transaction.
pub fn txn_cells(ledger: &Ledger, t: usize) -> [Cell; 4] {
    let txn = &ledger.txns[t];
    let name = match ledger.party(txn) {
        Some((entity, id)) => cell_id(ledger.name_of(entity, id), Some(id)),
        None => cell(""),
    };
    [
        cell(date(txn.date)),
        cell_id(txn.label, Some(txn.id)),
        cell(txn.doc),
        name,
    ]
}

/// An account name cell with its id.
pub fn account_cell(ledger: &Ledger, a: usize) -> Cell {
    let acc = ledger.chart.get(a);
    cell_id(acc.full_name.clone(), acc.id)
}
