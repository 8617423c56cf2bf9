//! ProfitAndLoss, BalanceSheet and TrialBalance (ProfitAndLossDetail is in `ledgers`,
//! CashFlow in `cashflow`).
//!
//! - ProfitAndLoss: postings on income and expense accounts dated in the period, in the
//!   sections of §7 (`Income`, `COGS`, `GrossProfit`, `Expenses`, `NetOperatingIncome`,
//!   `OtherIncome`, `OtherExpenses`, `NetOtherIncome`, `NetIncome`). As in QuickBooks' answers,
//!   Income and Expenses always appear (a Header and a Summary of `""` when they have no
//!   account), COGS and the Other sections only when they have accounts.
//! - BalanceSheet: balances as of the end date (of each period column); Equity ends with
//!   `Retained Earnings` (income and expense before the fiscal year holding that date, plus a
//!   retained earnings account's own postings) and `Net Income` (the fiscal year to that date),
//!   so TOTAL ASSETS = TOTAL LIABILITIES AND EQUITY.
//! - TrialBalance: the same closing, one Debit or Credit per account as of the end date; the
//!   two totals are equal.

use super::chart::Kind;
use super::columns::MoneyCols;
use super::ledger::{Ledger, Posting};
use super::params::Params;
use super::period::fiscal_year_start;
use super::render::{cell, cell_id, money, money_or_blank, Column, Row};
use super::tree::{account_rows, add_into, blank_cells, money_cells};
use super::{Built, Ctx};
use crate::fault::Fault;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// One account section of the profit and loss.
pub struct Group {
    pub kind: Kind,
    pub group: &'static str,
    pub title: &'static str,
    pub total: &'static str,
    /// Shown even without accounts.
    pub always: bool,
}

pub const INCOME: Group = Group {
    kind: Kind::Income,
    group: "Income",
    title: "Income",
    total: "Total Income",
    always: true,
};
pub const COGS: Group = Group {
    kind: Kind::Cogs,
    group: "COGS",
    title: "Cost of Goods Sold",
    total: "Total Cost of Goods Sold",
    always: false,
};
pub const EXPENSES: Group = Group {
    kind: Kind::Expense,
    group: "Expenses",
    title: "Expenses",
    total: "Total Expenses",
    always: true,
};
pub const OTHER_INCOME: Group = Group {
    kind: Kind::OtherIncome,
    group: "OtherIncome",
    title: "Other Income",
    total: "Total Other Income",
    always: false,
};
pub const OTHER_EXPENSES: Group = Group {
    kind: Kind::OtherExpense,
    group: "OtherExpenses",
    title: "Other Expenses",
    total: "Total Other Expenses",
    always: false,
};

/// The profit and loss layout around per-group sections: `section(group)` gives the group's
/// row (None when it has nothing to show) and its totals. Returns the rows.
pub fn pnl_layout(
    mut section: impl FnMut(&Group) -> (Option<Row>, Vec<i64>),
    summary: impl Fn(&'static str, &'static str, &[i64]) -> Row,
) -> Vec<Row> {
    let sub = |a: &[i64], b: &[i64]| a.iter().zip(b).map(|(x, y)| x - y).collect::<Vec<_>>();
    let mut rows = Vec::new();
    let (inc_row, inc) = section(&INCOME);
    let (cogs_row, cogs) = section(&COGS);
    let (exp_row, exp) = section(&EXPENSES);
    let (oi_row, oi) = section(&OTHER_INCOME);
    let (oe_row, oe) = section(&OTHER_EXPENSES);
    let gross = sub(&inc, &cogs);
    let noi = sub(&gross, &exp);
    let other = sub(&oi, &oe);
    let mut net = noi.clone();
    add_into(&mut net, &other);
    rows.extend(inc_row);
    rows.extend(cogs_row);
    rows.push(summary("GrossProfit", "Gross Profit", &gross));
    rows.extend(exp_row);
    rows.push(summary("NetOperatingIncome", "Net Operating Income", &noi));
    let has_other = oi_row.is_some() || oe_row.is_some();
    rows.extend(oi_row);
    rows.extend(oe_row);
    if has_other {
        rows.push(summary("NetOtherIncome", "Net Other Income", &other));
    }
    rows.push(summary("NetIncome", "Net Income", &net));
    rows
}

/// The sections of an empty profit and loss: summaries only, every value `""`.
pub fn empty_pnl(width: usize) -> Vec<Row> {
    [
        ("Income", "Total Income"),
        ("GrossProfit", "Gross Profit"),
        ("Expenses", "Total Expenses"),
        ("NetOperatingIncome", "Net Operating Income"),
        ("NetIncome", "Net Income"),
    ]
    .into_iter()
    .map(|(g, t)| Row::summary_only(g, blank_cells(t, width)))
    .collect()
}

fn in_period(x: &Posting, p: &Params) -> bool {
    x.date >= p.start && x.date <= p.end
}

pub fn profit_and_loss(ctx: &Ctx, p: &Params) -> Result<Built, Fault> {
    let ledger = ctx.ledger(p.basis);
    let cands: Vec<&Posting> = ledger
        .postings
        .iter()
        .filter(|x| {
            in_period(x, p)
                && ledger.kind(x.account).is_pnl()
                && p.filters.posting(x, &ledger.chart)
        })
        .collect();
    let cols = MoneyCols::build(&ledger, p, &cands, true)?;
    let n = cols.len();
    let mut columns = vec![Column::new("", "Account", "account")];
    columns.extend(cols.columns());
    if cands.is_empty() {
        return Ok(Built {
            columns,
            rows: empty_pnl(n),
            empty: true,
        });
    }
    let mut vals: BTreeMap<usize, Vec<i64>> = BTreeMap::new();
    for x in &cands {
        let v = vals.entry(x.account).or_insert_with(|| vec![0; n]);
        cols.add(v, x, ledger.kind(x.account).natural(x.amount));
    }
    let section = |g: &Group| {
        let sub: BTreeMap<usize, Vec<i64>> = vals
            .iter()
            .filter(|(a, _)| ledger.kind(**a) == g.kind)
            .map(|(a, v)| (*a, v.clone()))
            .collect();
        let (rows, sum) = account_rows(&ledger, &sub, n);
        if rows.is_empty() {
            let row = g.always.then(|| Row::Section {
                group: Some(g.group),
                header: Some(blank_cells(g.title, n)),
                rows: Vec::new(),
                summary: Some(blank_cells(g.total, n)),
            });
            return (row, vec![0; n]);
        }
        let row = Row::section(blank_cells(g.title, n), rows, money_cells(g.total, &sum))
            .with_group(g.group);
        (Some(row), sum)
    };
    let rows = pnl_layout(section, |g, t, v| Row::summary_only(g, money_cells(t, v)));
    Ok(Built {
        columns,
        rows,
        empty: false,
    })
}

/// A balance sheet group: a section of accounts of `kinds`.
fn bs_section(
    ledger: &Ledger,
    vals: &BTreeMap<usize, Vec<i64>>,
    kinds: &[Kind],
    group: &'static str,
    title: &str,
    n: usize,
) -> Option<(Row, Vec<i64>)> {
    let sub: BTreeMap<usize, Vec<i64>> = vals
        .iter()
        .filter(|(a, _)| kinds.contains(&ledger.kind(**a)))
        .map(|(a, v)| (*a, v.clone()))
        .collect();
    let (rows, sum) = account_rows(ledger, &sub, n);
    if rows.is_empty() {
        return None;
    }
    Some((
        Row::section(
            blank_cells(title, n),
            rows,
            money_cells(format!("Total {title}"), &sum),
        )
        .with_group(group),
        sum,
    ))
}

/// A section made of sub-sections (Current Assets, ...): None when they are all empty.
fn parent_section(
    parts: Vec<Option<(Row, Vec<i64>)>>,
    group: &'static str,
    title: &str,
    total: &str,
    n: usize,
    always: bool,
) -> Option<(Row, Vec<i64>)> {
    let mut sum = vec![0; n];
    let mut rows = Vec::new();
    for (r, s) in parts.into_iter().flatten() {
        add_into(&mut sum, &s);
        rows.push(r);
    }
    if rows.is_empty() && !always {
        return None;
    }
    let summary = if rows.is_empty() {
        blank_cells(total, n)
    } else {
        money_cells(total, &sum)
    };
    Some((
        Row::Section {
            group: Some(group),
            header: Some(blank_cells(title, n)),
            rows,
            summary: Some(summary),
        },
        sum,
    ))
}

pub fn balance_sheet(ctx: &Ctx, p: &Params) -> Result<Built, Fault> {
    let ledger = ctx.ledger(p.basis);
    let cols = MoneyCols::build(&ledger, p, &[], false)?;
    let n = cols.len();
    let mut columns = vec![Column::new("", "Account", "account")];
    columns.extend(cols.columns());
    let sel: Vec<&Posting> = ledger
        .postings
        .iter()
        .filter(|x| x.date <= p.end && p.filters.posting(x, &ledger.chart))
        .collect();
    if sel.is_empty() {
        return Ok(Built {
            columns,
            rows: vec![
                Row::summary_only("TotalAssets", blank_cells("TOTAL ASSETS", n)),
                Row::summary_only(
                    "TotalLiabilitiesAndEquity",
                    blank_cells("TOTAL LIABILITIES AND EQUITY", n),
                ),
            ],
            empty: true,
        });
    }
    // One pass over the date-ordered postings: the running balance of every account, and
    // income less expenses per fiscal year, snapshotted at each column's end.
    let re_account = ledger.chart.retained_earnings();
    let mut vals: BTreeMap<usize, Vec<i64>> = BTreeMap::new();
    let mut retained = vec![0i64; n];
    let mut net = vec![0i64; n];
    let mut running: BTreeMap<usize, i64> = BTreeMap::new();
    let mut pnl_by_year: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut re_own = 0i64;
    let mut next = 0;
    for (i, c) in cols.cols.iter().enumerate() {
        while let Some(x) = sel.get(next).filter(|x| x.date <= c.end) {
            next += 1;
            if ledger.kind(x.account).is_pnl() {
                *pnl_by_year
                    .entry(fiscal_year_start(x.date, p.fy_month))
                    .or_insert(0) += x.amount;
            } else if Some(x.account) == re_account {
                re_own += x.amount;
            } else {
                *running.entry(x.account).or_insert(0) += x.amount;
            }
        }
        let fy = fiscal_year_start(c.end, p.fy_month);
        net[i] = -pnl_by_year.get(&fy).copied().unwrap_or(0);
        retained[i] = -re_own - pnl_by_year.range(..fy).map(|(_, v)| v).sum::<i64>();
        for (a, v) in &running {
            vals.entry(*a).or_insert_with(|| vec![0; n])[i] = ledger.kind(*a).natural(*v);
        }
    }
    let sec = |kinds: &[Kind], group, title| bs_section(&ledger, &vals, kinds, group, title, n);
    let current = parent_section(
        vec![
            sec(&[Kind::Bank], "BankAccounts", "Bank Accounts"),
            sec(&[Kind::Receivable], "AR", "Accounts Receivable"),
            sec(
                &[Kind::OtherCurrentAsset],
                "OtherCurrentAssets",
                "Other Current Assets",
            ),
        ],
        "CurrentAssets",
        "Current Assets",
        "Total Current Assets",
        n,
        false,
    );
    let assets = parent_section(
        vec![
            current,
            sec(&[Kind::FixedAsset], "FixedAssets", "Fixed Assets"),
            sec(&[Kind::OtherAsset], "OtherAssets", "Other Assets"),
        ],
        "TotalAssets",
        "ASSETS",
        "TOTAL ASSETS",
        n,
        true,
    );
    let current_liab = parent_section(
        vec![
            sec(&[Kind::Payable], "AP", "Accounts Payable"),
            sec(&[Kind::CreditCard], "CreditCards", "Credit Cards"),
            sec(
                &[Kind::OtherCurrentLiability],
                "OtherCurrentLiabilities",
                "Other Current Liabilities",
            ),
        ],
        "CurrentLiabilities",
        "Current Liabilities",
        "Total Current Liabilities",
        n,
        false,
    );
    let liabilities = parent_section(
        vec![
            current_liab,
            sec(
                &[Kind::LongTermLiability],
                "LongTermLiabilities",
                "Long-Term Liabilities",
            ),
        ],
        "Liabilities",
        "Liabilities",
        "Total Liabilities",
        n,
        true,
    );
    // Equity: the equity accounts, Retained Earnings, Net Income.
    let eq_vals: BTreeMap<usize, Vec<i64>> = vals
        .iter()
        .filter(|(a, _)| ledger.kind(**a) == Kind::Equity)
        .map(|(a, v)| (*a, v.clone()))
        .collect();
    let (mut eq_rows, mut eq_sum) = account_rows(&ledger, &eq_vals, n);
    if retained.iter().any(|v| *v != 0) || re_account.is_some() {
        let id = re_account.and_then(|a| ledger.chart.get(a).id);
        let mut c = vec![cell_id("Retained Earnings", id)];
        c.extend(retained.iter().map(|v| cell(money_or_blank(*v))));
        eq_rows.push(Row::data(c));
        add_into(&mut eq_sum, &retained);
    }
    eq_rows.push(Row::data(money_cells("Net Income", &net)).with_group("NetIncome"));
    add_into(&mut eq_sum, &net);
    let equity = (
        Row::section(
            blank_cells("Equity", n),
            eq_rows,
            money_cells("Total Equity", &eq_sum),
        )
        .with_group("Equity"),
        eq_sum,
    );
    let total_le = parent_section(
        vec![liabilities, Some(equity)],
        "TotalLiabilitiesAndEquity",
        "LIABILITIES AND EQUITY",
        "TOTAL LIABILITIES AND EQUITY",
        n,
        true,
    );
    let rows = [assets, total_le]
        .into_iter()
        .flatten()
        .map(|(r, _)| r)
        .collect();
    Ok(Built {
        columns,
        rows,
        empty: false,
    })
}

pub fn trial_balance(ctx: &Ctx, p: &Params) -> Built {
    let ledger = ctx.ledger(p.basis);
    let columns = vec![
        Column::new("", "Account", "account"),
        Column::new("Debit", "Money", "debit"),
        Column::new("Credit", "Money", "credit"),
    ];
    let fy = fiscal_year_start(p.end, p.fy_month);
    let mut bal: BTreeMap<usize, i64> = BTreeMap::new();
    let mut retained = 0i64;
    let mut any = false;
    let re_account = ledger.chart.retained_earnings();
    for x in ledger
        .postings
        .iter()
        .filter(|x| x.date <= p.end && p.filters.posting(x, &ledger.chart))
    {
        any = true;
        if ledger.kind(x.account).is_pnl() && x.date < fy {
            retained += x.amount;
        } else {
            *bal.entry(x.account).or_insert(0) += x.amount;
        }
    }
    if !any {
        return Built {
            columns,
            rows: vec![Row::summary_only("GrandTotal", blank_cells("TOTAL", 2))],
            empty: true,
        };
    }
    // (kind, sort name, label, id, debit-positive balance)
    let mut entries: Vec<(Kind, String, String, Option<u64>, i64)> = Vec::new();
    match re_account {
        Some(a) => *bal.entry(a).or_insert(0) += retained,
        None if retained != 0 => entries.push((
            Kind::Equity,
            "retained earnings".into(),
            "Retained Earnings".into(),
            None,
            retained,
        )),
        None => {}
    }
    for (a, v) in &bal {
        let acc = ledger.chart.get(*a);
        entries.push((
            acc.kind,
            acc.full_name.to_lowercase(),
            acc.full_name.clone(),
            acc.id,
            *v,
        ));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let (mut debits, mut credits) = (0i64, 0i64);
    let mut rows = Vec::new();
    for (_, _, label, id, v) in entries.into_iter().filter(|e| e.4 != 0) {
        let (dr, cr) = if v > 0 { (v, 0) } else { (0, -v) };
        debits += dr;
        credits += cr;
        rows.push(Row::data(vec![
            cell_id(label, id),
            cell(money_or_blank(dr)),
            cell(money_or_blank(cr)),
        ]));
    }
    let mut total = vec![cell("TOTAL")];
    total.extend([cell(money(debits)), cell(money(credits))]);
    rows.push(Row::summary_only("GrandTotal", total));
    Built {
        columns,
        rows,
        empty: false,
    }
}
