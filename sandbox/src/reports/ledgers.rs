//! GeneralLedger, JournalReport and ProfitAndLossDetail: postings transaction by transaction.
//!
//! - GeneralLedger: one `Section` per account with activity in the period or an opening
//!   balance (Header: the account with its `id`; a `Beginning Balance` row; one row per
//!   posting with the running balance in the account's natural sign; Summary `Total for X`
//!   with the period's amount and the closing balance). Sub-accounts are listed flat.
//! - JournalReport: one `Section` per transaction (its debit and credit lines, Summary = the
//!   two totals), then `GrandTotal` `TOTAL`.
//! - ProfitAndLossDetail: the profit and loss sections with one account `Section` per account
//!   holding its postings.

use super::chart::Kind;
use super::detail::{account_cell, col, ledger_columns, merge, split, txn_cells, Line};
use super::ledger::{Ledger, Posting};
use super::params::Params;
use super::period::fiscal_year_start;
use super::render::{blanks, cell, money, money_or_blank, Cell, Row};
use super::statements::{empty_pnl, pnl_layout, Group};
use super::tree::blank_cells;
use super::{Built, Ctx};
use std::collections::BTreeMap;

/// A posting row of the ledger layout with `running` balance.
fn ledger_row(ledger: &Ledger, l: &Line, kind: Kind, running: i64) -> Row {
    let mut c: Vec<Cell> = txn_cells(ledger, l.txn).into();
    c.push(cell(l.memo.clone()));
    c.push(cell(split(ledger, l)));
    c.push(cell(money(kind.natural(l.amount))));
    c.push(cell(money(running)));
    Row::data(c)
}

/// One account's section: its lines (natural sign, running from `opening`).
fn account_section(
    ledger: &Ledger,
    a: usize,
    lines: &[Line],
    opening: Option<i64>,
    descend: bool,
) -> (Row, i64) {
    let kind = ledger.kind(a);
    let mut rows = Vec::new();
    let mut running = opening.unwrap_or(0);
    if let Some(o) = opening {
        let mut c = vec![cell("Beginning Balance")];
        c.extend(blanks(6));
        c.push(cell(money(o)));
        rows.push(Row::data(c));
    }
    let mut sum = 0;
    let mut body = Vec::new();
    for l in lines {
        let v = kind.natural(l.amount);
        running += v;
        sum += v;
        body.push(ledger_row(ledger, l, kind, running));
    }
    if descend {
        body.reverse();
    }
    rows.extend(body);
    let name = ledger.account_name(a).to_string();
    let mut header = vec![account_cell(ledger, a)];
    header.extend(blanks(7));
    let mut summary = vec![cell(format!("Total for {name}"))];
    summary.extend(blanks(5));
    summary.push(cell(money(sum)));
    summary.push(cell(if opening.is_some() {
        money(running)
    } else {
        String::new()
    }));
    (Row::section(header, rows, summary), sum)
}

fn by_account<'p, 'a>(
    ps: impl Iterator<Item = &'p Posting<'a>>,
) -> BTreeMap<usize, Vec<&'p Posting<'a>>> {
    let mut m: BTreeMap<usize, Vec<&Posting>> = BTreeMap::new();
    for x in ps {
        m.entry(x.account).or_default().push(x);
    }
    m
}

pub fn general_ledger(ctx: &Ctx, p: &Params) -> Built {
    let ledger = ctx.ledger(p.basis);
    let fy = fiscal_year_start(p.start, p.fy_month);
    let sel: Vec<&Posting> = ledger
        .postings
        .iter()
        .filter(|x| x.date <= p.end && p.filters.posting(x, &ledger.chart))
        .collect();
    let mut opening: BTreeMap<usize, i64> = BTreeMap::new();
    for x in sel.iter().filter(|x| x.date < p.start) {
        let kind = ledger.kind(x.account);
        if !kind.is_pnl() || x.date >= fy {
            *opening.entry(x.account).or_insert(0) += kind.natural(x.amount);
        }
    }
    let in_range = by_account(sel.iter().copied().filter(|x| x.date >= p.start));
    let mut rows = Vec::new();
    for a in ledger.chart.ordered() {
        let open = opening.get(&a).copied().filter(|o| *o != 0);
        let lines = in_range
            .get(&a)
            .map(|ps| merge(&ledger, ps))
            .unwrap_or_default();
        if lines.is_empty() && open.is_none() {
            continue;
        }
        rows.push(account_section(&ledger, a, &lines, Some(open.unwrap_or(0)), p.descend).0);
    }
    Built {
        columns: ledger_columns(),
        empty: rows.is_empty(),
        rows,
    }
}

pub fn journal(ctx: &Ctx, p: &Params) -> Built {
    let ledger = ctx.ledger(p.basis);
    let columns = vec![
        col("Date", "Date", "tx_date"),
        col("Transaction Type", "String", "txn_type"),
        col("Num", "String", "doc_num"),
        col("Name", "String", "name"),
        col("Memo/Description", "String", "memo"),
        col("Account", "String", "account_name"),
        col("Debit", "Money", "debt_amt"),
        col("Credit", "Money", "credit_amt"),
    ];
    let mut per_txn: BTreeMap<usize, Vec<&Posting>> = BTreeMap::new();
    for x in ledger
        .postings
        .iter()
        .filter(|x| x.date >= p.start && x.date <= p.end && p.filters.posting(x, &ledger.chart))
    {
        per_txn.entry(x.txn).or_default().push(x);
    }
    let (mut dr_all, mut cr_all) = (0, 0);
    let mut rows = Vec::new();
    for (t, ps) in &per_txn {
        let mut lines = merge(&ledger, ps);
        lines.sort_by_key(|l| !l.counter);
        let (mut dr, mut cr) = (0, 0);
        let data: Vec<Row> = lines
            .iter()
            .map(|l| {
                let mut c: Vec<Cell> = txn_cells(&ledger, *t).into();
                c.push(cell(l.memo.clone()));
                c.push(account_cell(&ledger, l.account));
                let (d, k) = if l.amount > 0 {
                    (l.amount, 0)
                } else {
                    (0, -l.amount)
                };
                dr += d;
                cr += k;
                c.push(cell(money_or_blank(d)));
                c.push(cell(money_or_blank(k)));
                Row::data(c)
            })
            .collect();
        if data.is_empty() {
            continue;
        }
        dr_all += dr;
        cr_all += cr;
        let mut summary = blanks(6);
        summary.push(cell(money(dr)));
        summary.push(cell(money(cr)));
        rows.push(Row::Section {
            group: None,
            header: None,
            rows: data,
            summary: Some(summary),
        });
    }
    if p.descend {
        rows.reverse();
    }
    let empty = rows.is_empty();
    let mut total = blank_cells("TOTAL", 5);
    if empty {
        total.extend(blanks(2));
    } else {
        total.push(cell(money(dr_all)));
        total.push(cell(money(cr_all)));
    }
    rows.push(Row::summary_only("GrandTotal", total));
    Built {
        columns,
        rows,
        empty,
    }
}

pub fn profit_and_loss_detail(ctx: &Ctx, p: &Params) -> Built {
    let ledger = ctx.ledger(p.basis);
    let columns = ledger_columns();
    let sel = by_account(ledger.postings.iter().filter(|x| {
        x.date >= p.start
            && x.date <= p.end
            && ledger.kind(x.account).is_pnl()
            && p.filters.posting(x, &ledger.chart)
    }));
    if sel.is_empty() {
        return Built {
            columns,
            rows: empty_pnl(7),
            empty: true,
        };
    }
    // Sections carry one money value (in the Amount column).
    let cells = |label: &str, v: i64| -> Vec<Cell> {
        let mut c = blank_cells(label, 5);
        c.push(cell(money(v)));
        c.push(cell(""));
        c
    };
    let order = ledger.chart.ordered();
    let section = |g: &Group| -> (Option<Row>, Vec<i64>) {
        let mut rows = Vec::new();
        let mut total = 0;
        for a in order.iter().filter(|a| ledger.kind(**a) == g.kind) {
            let Some(ps) = sel.get(a) else { continue };
            let lines = merge(&ledger, ps);
            if lines.is_empty() {
                continue;
            }
            let (row, sum) = account_section(&ledger, *a, &lines, None, p.descend);
            total += sum;
            rows.push(row);
        }
        if rows.is_empty() {
            let row = g.always.then(|| Row::Section {
                group: Some(g.group),
                header: Some(blank_cells(g.title, 7)),
                rows: Vec::new(),
                summary: Some(blank_cells(g.total, 7)),
            });
            return (row, vec![0]);
        }
        let row =
            Row::section(blank_cells(g.title, 7), rows, cells(g.total, total)).with_group(g.group);
        (Some(row), vec![total])
    };
    let rows = pnl_layout(section, |g, t, v| {
        Row::summary_only(g, cells(t, v.first().copied().unwrap_or(0)))
    });
    Built {
        columns,
        rows,
        empty: false,
    }
}
