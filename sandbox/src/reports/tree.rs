//! Account rows of the summary statements: one `Data` row per account (name with its `id`,
//! then one money cell per column), sub-accounts nested in a `Section` of their parent
//! (`Header` = the parent, its own amounts as a first `Data` row, `Summary` =
//! `Total <parent>`), as in Intuit's ProfitAndLoss example. Sorted by name.

use super::ledger::Ledger;
use super::render::{blanks, cell, cell_id, money, money_or_blank, Cell, Row};
use std::collections::{BTreeMap, BTreeSet};

/// `[label, money...]`.
pub fn money_cells(label: impl Into<String>, vals: &[i64]) -> Vec<Cell> {
    let mut c = vec![cell(label)];
    c.extend(vals.iter().map(|v| cell(money(*v))));
    c
}

/// `[label, "", ...]` with `n` blanks.
pub fn blank_cells(label: impl Into<String>, n: usize) -> Vec<Cell> {
    let mut c = vec![cell(label)];
    c.extend(blanks(n));
    c
}

pub fn add_into(total: &mut [i64], v: &[i64]) {
    for (t, x) in total.iter_mut().zip(v) {
        *t += *x;
    }
}

/// Rows for `vals` (account -> one natural-signed amount per column, `width` columns) and
/// their column sums. Accounts whose values are all zero are left out.
pub fn account_rows(
    ledger: &Ledger,
    vals: &BTreeMap<usize, Vec<i64>>,
    width: usize,
) -> (Vec<Row>, Vec<i64>) {
    let chart = &ledger.chart;
    let mut included: BTreeSet<usize> = BTreeSet::new();
    for (a, v) in vals {
        if v.iter().any(|x| *x != 0) {
            let mut cur = Some(*a);
            while let Some(c) = cur {
                if !included.insert(c) {
                    break;
                }
                cur = chart.get(c).parent;
            }
        }
    }
    let mut children: BTreeMap<Option<usize>, Vec<usize>> = BTreeMap::new();
    for a in &included {
        let parent = chart.get(*a).parent.filter(|p| included.contains(p));
        children.entry(parent).or_default().push(*a);
    }
    for kids in children.values_mut() {
        kids.sort_by(|x, y| {
            let (a, b) = (chart.get(*x), chart.get(*y));
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then(x.cmp(y))
        });
    }
    let zero = vec![0i64; width];
    let mut total = zero.clone();
    let mut rows = Vec::new();
    for top in children.get(&None).cloned().unwrap_or_default() {
        let (row, sum) = emit(ledger, vals, &children, top, &zero);
        add_into(&mut total, &sum);
        rows.push(row);
    }
    (rows, total)
}

fn emit(
    ledger: &Ledger,
    vals: &BTreeMap<usize, Vec<i64>>,
    children: &BTreeMap<Option<usize>, Vec<usize>>,
    a: usize,
    zero: &[i64],
) -> (Row, Vec<i64>) {
    let acc = ledger.chart.get(a);
    let own = vals.get(&a).map(Vec::as_slice).unwrap_or(zero);
    let data = |v: &[i64]| {
        let mut c = vec![cell_id(acc.name.clone(), acc.id)];
        c.extend(v.iter().map(|x| cell(money_or_blank(*x))));
        Row::data(c)
    };
    let Some(kids) = children.get(&Some(a)) else {
        return (data(own), own.to_vec());
    };
    let mut sum = own.to_vec();
    let mut rows = Vec::new();
    if own.iter().any(|x| *x != 0) {
        rows.push(data(own));
    }
    for k in kids {
        let (r, s) = emit(ledger, vals, children, *k, zero);
        add_into(&mut sum, &s);
        rows.push(r);
    }
    let mut header = vec![cell_id(acc.name.clone(), acc.id)];
    header.extend(blanks(zero.len()));
    let row = Row::section(
        header,
        rows,
        money_cells(format!("Total {}", acc.name), &sum),
    );
    (row, sum)
}
