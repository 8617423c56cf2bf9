//! The aging and balance reports, for customers (AgedReceivables, AgedReceivableDetail,
//! CustomerBalance, CustomerBalanceDetail) and, through `payables`, vendors: built from the
//! open items of `openitems` as of the report date.
//!
//! Aging: days past due = (report date, or today with `aging_method=Current`) − due date;
//! `Current` when not past due, then `aging_period`-day buckets (`1 - 30`, `31 - 60`, ...),
//! the last of `num_periods` open-ended (`91 and over`). `past_due=N` keeps items at least N
//! days past due.

use super::chart::Chart;
use super::detail::col;
use super::ledger::name_of;
use super::openitems::{open_items, Item, Side};
use super::params::Params;
use super::render::{blanks, cell, cell_id, date, money, money_or_blank, Cell, Column, Row};
use super::tree::blank_cells;
use super::{Built, Ctx};
use std::collections::BTreeMap;

fn party_column(side: Side) -> Column {
    match side {
        Side::Receivable => Column::new("", "Customer", "customer"),
        Side::Payable => Column::new("", "Vendor", "vendor"),
    }
}

/// The open items passing the report's filters, with each party's display name.
fn items(ctx: &Ctx, p: &Params, side: Side) -> Vec<(String, Item)> {
    let chart = Chart::load(ctx.store);
    let ids = match side {
        Side::Receivable => &p.filters.customer,
        Side::Payable => &p.filters.vendor,
    };
    let mut out: Vec<(String, Item)> = open_items(ctx.store, &chart, side, p.report_date)
        .into_iter()
        .filter(|i| ids.as_ref().is_none_or(|ids| ids.contains(&i.party)))
        .filter(|i| {
            p.filters
                .department
                .as_ref()
                .is_none_or(|d| i.department.is_some_and(|x| d.contains(&x)))
        })
        .filter(|i| p.past_due.is_none_or(|n| days_past_due(p, i) >= n))
        .map(|i| (name_of(ctx.store, side.party(), i.party), i))
        .collect();
    out.sort_by(|a, b| {
        a.0.to_lowercase()
            .cmp(&b.0.to_lowercase())
            .then(a.1.party.cmp(&b.1.party))
            .then(a.1.date.cmp(&b.1.date))
            .then(a.1.id.cmp(&b.1.id))
    });
    out
}

/// Per party, in name order (reversed with `sort_order=descend`).
fn by_party(items: Vec<(String, Item)>, descend: bool) -> Vec<(String, u64, Vec<Item>)> {
    let mut out: Vec<(String, u64, Vec<Item>)> = Vec::new();
    for (name, i) in items {
        match out.last_mut() {
            Some(last) if last.1 == i.party => last.2.push(i),
            _ => out.push((name, i.party, vec![i])),
        }
    }
    if descend {
        out.reverse();
    }
    out
}

fn days_past_due(p: &Params, i: &Item) -> i64 {
    let at = if p.age_from_today {
        p.today
    } else {
        p.report_date
    };
    (at - i.due).num_days()
}

/// 0 = Current, 1..=num_periods the past-due buckets.
fn bucket(p: &Params, i: &Item) -> usize {
    let days = days_past_due(p, i);
    if days <= 0 {
        return 0;
    }
    let b = (days - 1) / p.aging_period + 1;
    b.min(p.num_periods) as usize
}

/// Column titles: `Current`, `1 - 30`, ..., `91 and over`.
fn bucket_titles(p: &Params) -> Vec<String> {
    let n = p.num_periods;
    let per = p.aging_period;
    let mut t = vec!["Current".to_string()];
    for i in 0..n {
        if i + 1 == n {
            t.push(format!("{} and over", i * per + 1));
        } else {
            t.push(format!("{} - {}", i * per + 1, (i + 1) * per));
        }
    }
    t
}

pub fn aged(ctx: &Ctx, p: &Params, side: Side) -> Built {
    let titles = bucket_titles(p);
    let mut columns = vec![party_column(side)];
    for (i, t) in titles.iter().enumerate() {
        let key = if i == 0 {
            "current".to_string()
        } else {
            (i - 1).to_string()
        };
        columns.push(Column::new(t.clone(), "Money", key));
    }
    columns.push(Column::new("Total", "Money", "total"));
    let width = titles.len() + 1;
    let mut grand = vec![0i64; width];
    let mut rows = Vec::new();
    for (name, party, list) in by_party(items(ctx, p, side), p.descend) {
        let mut v = vec![0i64; width];
        for i in &list {
            v[bucket(p, i)] += i.open;
            v[width - 1] += i.open;
        }
        for (g, x) in grand.iter_mut().zip(&v) {
            *g += *x;
        }
        let mut c = vec![cell_id(name, Some(party))];
        c.extend(v.iter().map(|x| cell(money_or_blank(*x))));
        rows.push(Row::data(c));
    }
    let empty = rows.is_empty();
    let total = if empty {
        blank_cells("TOTAL", width)
    } else {
        let mut c = vec![cell("TOTAL")];
        c.extend(grand.iter().map(|x| cell(money(*x))));
        c
    };
    rows.push(Row::summary_only("GrandTotal", total));
    Built {
        columns,
        rows,
        empty,
    }
}

fn item_cells(i: &Item, name: Option<(&str, u64)>, with_due: bool) -> Vec<Cell> {
    let mut c = vec![
        cell(date(i.date)),
        cell_id(i.label, Some(i.id)),
        cell(i.doc.clone()),
    ];
    if let Some((n, id)) = name {
        c.push(cell_id(n, Some(id)));
    }
    if with_due {
        c.push(cell(date(i.due)));
    }
    c.push(cell(money(i.amount)));
    c.push(cell(money(i.open)));
    c
}

pub fn aged_detail(ctx: &Ctx, p: &Params, side: Side) -> Built {
    let (title, key) = match side {
        Side::Receivable => ("Customer", "cust_name"),
        Side::Payable => ("Vendor", "vend_name"),
    };
    let columns = vec![
        col("Date", "Date", "tx_date"),
        col("Transaction Type", "String", "txn_type"),
        col("Num", "String", "doc_num"),
        col(title, "String", key),
        col("Due Date", "Date", "due_date"),
        col("Amount", "Money", "subt_amount"),
        col("Open Balance", "Money", "subt_open_bal"),
    ];
    let titles = bucket_titles(p);
    let mut buckets: BTreeMap<usize, Vec<(String, Item)>> = BTreeMap::new();
    for (name, i) in items(ctx, p, side) {
        buckets.entry(bucket(p, &i)).or_default().push((name, i));
    }
    let (mut amt, mut open) = (0, 0);
    let mut rows = Vec::new();
    // Oldest first, Current last, as QuickBooks lists them.
    for (b, mut list) in buckets.into_iter().rev() {
        list.sort_by(|x, y| {
            x.1.due
                .cmp(&y.1.due)
                .then(x.1.date.cmp(&y.1.date))
                .then(x.1.id.cmp(&y.1.id))
        });
        if p.descend {
            list.reverse();
        }
        let label = match b {
            0 => "Current".to_string(),
            b if b == titles.len() - 1 => format!(
                "{} or more days past due",
                (b as i64 - 1) * p.aging_period + 1
            ),
            b => format!("{} days past due", titles[b]),
        };
        let (mut a, mut o) = (0, 0);
        let data: Vec<Row> = list
            .iter()
            .map(|(name, i)| {
                a += i.amount;
                o += i.open;
                Row::data(item_cells(i, Some((name, i.party)), true))
            })
            .collect();
        amt += a;
        open += o;
        let mut summary = blank_cells(format!("Total for {label}"), 4);
        summary.extend([cell(money(a)), cell(money(o))]);
        rows.push(Row::section(blank_cells(label, 6), data, summary));
    }
    let empty = rows.is_empty();
    let mut total = blank_cells("TOTAL", 4);
    if empty {
        total.extend(blanks(2));
    } else {
        total.extend([cell(money(amt)), cell(money(open))]);
    }
    rows.push(Row::summary_only("GrandTotal", total));
    Built {
        columns,
        rows,
        empty,
    }
}

pub fn balance(ctx: &Ctx, p: &Params, side: Side) -> Built {
    let columns = vec![party_column(side), Column::new("Total", "Money", "total")];
    let mut grand = 0;
    let mut rows = Vec::new();
    for (name, party, list) in by_party(items(ctx, p, side), p.descend) {
        let v: i64 = list.iter().map(|i| i.open).sum();
        grand += v;
        rows.push(Row::data(vec![cell_id(name, Some(party)), cell(money(v))]));
    }
    let empty = rows.is_empty();
    let total = if empty { "".to_string() } else { money(grand) };
    rows.push(Row::summary_only(
        "GrandTotal",
        vec![cell("TOTAL"), cell(total)],
    ));
    Built {
        columns,
        rows,
        empty,
    }
}

pub fn balance_detail(ctx: &Ctx, p: &Params, side: Side) -> Built {
    let columns = vec![
        col("Date", "Date", "tx_date"),
        col("Transaction Type", "String", "txn_type"),
        col("Num", "String", "doc_num"),
        col("Due Date", "Date", "due_date"),
        col("Amount", "Money", "subt_amount"),
        col("Open Balance", "Money", "subt_open_bal"),
        col("Balance", "Money", "rbal_open_bal"),
    ];
    let (mut amt, mut open) = (0, 0);
    let mut rows = Vec::new();
    for (name, party, list) in by_party(items(ctx, p, side), p.descend) {
        let (mut a, mut o) = (0, 0);
        let mut data: Vec<Row> = list
            .iter()
            .map(|i| {
                a += i.amount;
                o += i.open;
                let mut c = item_cells(i, None, true);
                c.push(cell(money(o)));
                Row::data(c)
            })
            .collect();
        if p.descend {
            data.reverse();
        }
        amt += a;
        open += o;
        let mut summary = blank_cells(format!("Total for {name}"), 3);
        summary.extend([cell(money(a)), cell(money(o)), cell("")]);
        let mut header = vec![cell_id(name, Some(party))];
        header.extend(blanks(6));
        rows.push(Row::section(header, data, summary));
    }
    let empty = rows.is_empty();
    let mut total = blank_cells("TOTAL", 3);
    if empty {
        total.extend(blanks(3));
    } else {
        total.extend([cell(money(amt)), cell(money(open)), cell("")]);
    }
    rows.push(Row::summary_only("GrandTotal", total));
    Built {
        columns,
        rows,
        empty,
    }
}
