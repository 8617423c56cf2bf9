//! Sales reports: CustomerSales, ClassSales, DepartmentSales (income-account postings per
//! customer, class or department, with the money columns of `summarize_column_by`), ItemSales
//! (quantity, amount, % of sales and average price per product/service) and CustomerIncome
//! (income, expenses and net income per customer). Postings without the name go to
//! `Not Specified`; `GrandTotal` `TOTAL` ends each report. The shared grouping also serves
//! VendorExpenses (`payables`).

use super::chart::Kind;
use super::columns::{dim_entity, dim_of, MoneyCols};
use super::ledger::{Ledger, Posting};
use super::params::{Dim, Params};
use super::render::{cell, cell_id, money, money_or_blank, Cell, Column, Row};
use super::tree::blank_cells;
use super::{Built, Ctx};
use crate::fault::Fault;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Customer,
    Class,
    Department,
}

/// Postings in the period on accounts of `kinds` that pass the filters.
fn candidates<'l, 'a>(ledger: &'l Ledger<'a>, p: &Params, kinds: &[Kind]) -> Vec<&'l Posting<'a>> {
    ledger
        .postings
        .iter()
        .filter(|x| {
            x.date >= p.start
                && x.date <= p.end
                && kinds.contains(&ledger.kind(x.account))
                && p.filters.posting(x, &ledger.chart)
        })
        .collect()
}

/// Group keys in display order: by name, `Not Specified` (None) last.
fn ordered_keys<V>(
    ledger: &Ledger,
    dim: Dim,
    groups: &BTreeMap<Option<u64>, V>,
    descend: bool,
) -> Vec<(Option<u64>, String)> {
    let mut keys: Vec<(Option<u64>, String)> = groups
        .keys()
        .map(|k| match k {
            Some(id) => (Some(*id), ledger.name_of(dim_entity(dim), *id)),
            None => (None, "Not Specified".to_string()),
        })
        .collect();
    keys.sort_by(|a, b| {
        a.0.is_none()
            .cmp(&b.0.is_none())
            .then_with(|| a.1.to_lowercase().cmp(&b.1.to_lowercase()))
            .then(a.0.cmp(&b.0))
    });
    if descend {
        keys.reverse();
    }
    keys
}

fn label_cell(key: Option<u64>, name: String) -> Cell {
    cell_id(name, key)
}

/// Amounts on accounts of `kinds` (natural sign) per name of `dim`, one row each.
pub fn grouped(
    ctx: &Ctx,
    p: &Params,
    kinds: &[Kind],
    dim: Dim,
    label: Column,
) -> Result<Built, Fault> {
    let ledger = ctx.ledger(p.basis);
    let cands = candidates(&ledger, p, kinds);
    let cols = MoneyCols::build(&ledger, p, &cands, true)?;
    let n = cols.len();
    let mut columns = vec![label];
    columns.extend(cols.columns());
    let mut groups: BTreeMap<Option<u64>, Vec<i64>> = BTreeMap::new();
    for x in &cands {
        let v = groups
            .entry(dim_of(&x.dims, dim))
            .or_insert_with(|| vec![0; n]);
        cols.add(v, x, ledger.kind(x.account).natural(x.amount));
    }
    let mut total = vec![0i64; n];
    let mut rows = Vec::new();
    for (key, name) in ordered_keys(&ledger, dim, &groups, p.descend) {
        let v = &groups[&key];
        let mut c = vec![label_cell(key, name)];
        for (i, x) in v.iter().enumerate() {
            total[i] += x;
            c.push(cell(if i + 1 == n {
                money(*x)
            } else {
                money_or_blank(*x)
            }));
        }
        rows.push(Row::data(c));
    }
    let empty = cands.is_empty();
    let summary = if empty {
        blank_cells("TOTAL", n)
    } else {
        let mut c = vec![cell("TOTAL")];
        c.extend(total.iter().map(|x| cell(money(*x))));
        c
    };
    rows.push(Row::summary_only("GrandTotal", summary));
    Ok(Built {
        columns,
        rows,
        empty,
    })
}

pub fn sales_by(ctx: &Ctx, p: &Params, by: By) -> Result<Built, Fault> {
    let (dim, label) = match by {
        By::Customer => (Dim::Customers, Column::new("", "Customer", "customer")),
        By::Class => (Dim::Classes, Column::new("", "Class", "class")),
        By::Department => (
            Dim::Departments,
            Column::new("", "Department", "department"),
        ),
    };
    grouped(ctx, p, &[Kind::Income], dim, label)
}

/// A quantity as shown: whole numbers without decimals.
fn qty(q: f64) -> String {
    if (q - q.round()).abs() < 1e-9 {
        format!("{}", q.round() as i64)
    } else {
        let s = format!("{q:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

pub fn item_sales(ctx: &Ctx, p: &Params) -> Built {
    let ledger = ctx.ledger(p.basis);
    let columns = vec![
        Column::new("", "ProductsAndService", "product"),
        Column::new("Quantity", "String", "quantity"),
        Column::new("Amount", "Money", "amount"),
        Column::new("% of Sales", "Rate", "percent_of_sales"),
        Column::new("Avg Price", "Money", "avg_price"),
    ];
    let cands = candidates(&ledger, p, &[Kind::Income]);
    let mut groups: BTreeMap<Option<u64>, (i64, f64)> = BTreeMap::new();
    for x in &cands {
        let g = groups.entry(x.dims.item).or_insert((0, 0.0));
        g.0 -= x.amount;
        g.1 += x.qty.unwrap_or(0.0);
    }
    let total: i64 = groups.values().map(|g| g.0).sum();
    let total_qty: f64 = groups.values().map(|g| g.1).sum();
    let pct = |a: i64| {
        if total == 0 {
            String::new()
        } else {
            format!("{:.2}%", a as f64 * 100.0 / total as f64)
        }
    };
    let avg = |a: i64, q: f64| {
        if q.abs() < 1e-9 {
            String::new()
        } else {
            money((a as f64 / q).round() as i64)
        }
    };
    let mut rows = Vec::new();
    for (key, name) in ordered_keys(&ledger, Dim::ProductsAndServices, &groups, p.descend) {
        let (a, q) = groups[&key];
        rows.push(Row::data(vec![
            label_cell(key, name),
            cell(if q.abs() < 1e-9 {
                String::new()
            } else {
                qty(q)
            }),
            cell(money(a)),
            cell(pct(a)),
            cell(avg(a, q)),
        ]));
    }
    let empty = cands.is_empty();
    let summary = if empty {
        blank_cells("TOTAL", 4)
    } else {
        vec![
            cell("TOTAL"),
            cell(qty(total_qty)),
            cell(money(total)),
            cell(pct(total)),
            cell(avg(total, total_qty)),
        ]
    };
    rows.push(Row::summary_only("GrandTotal", summary));
    Built {
        columns,
        rows,
        empty,
    }
}

pub fn customer_income(ctx: &Ctx, p: &Params) -> Built {
    let ledger = ctx.ledger(p.basis);
    let columns = vec![
        Column::new("", "Customer", "customer"),
        Column::new("Income", "Money", "income"),
        Column::new("Expenses", "Money", "expenses"),
        Column::new("Net Income", "Money", "net_income"),
    ];
    let cands = candidates(
        &ledger,
        p,
        &[
            Kind::Income,
            Kind::OtherIncome,
            Kind::Cogs,
            Kind::Expense,
            Kind::OtherExpense,
        ],
    );
    let mut groups: BTreeMap<Option<u64>, (i64, i64)> = BTreeMap::new();
    for x in &cands {
        let kind = ledger.kind(x.account);
        let g = groups.entry(x.dims.customer).or_insert((0, 0));
        if kind.credit_natural() {
            g.0 -= x.amount;
        } else {
            g.1 += x.amount;
        }
    }
    let (mut ti, mut te) = (0, 0);
    let mut rows = Vec::new();
    for (key, name) in ordered_keys(&ledger, Dim::Customers, &groups, p.descend) {
        let (i, e) = groups[&key];
        ti += i;
        te += e;
        rows.push(Row::data(vec![
            label_cell(key, name),
            cell(money(i)),
            cell(money(e)),
            cell(money(i - e)),
        ]));
    }
    let empty = cands.is_empty();
    let summary = if empty {
        blank_cells("TOTAL", 3)
    } else {
        vec![
            cell("TOTAL"),
            cell(money(ti)),
            cell(money(te)),
            cell(money(ti - te)),
        ]
    };
    rows.push(Row::summary_only("GrandTotal", summary));
    Built {
        columns,
        rows,
        empty,
    }
}
