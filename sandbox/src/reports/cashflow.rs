//! CashFlow (statement of cash flows, indirect method) on the accrual books: Net Income of the
//! period, adjusted by the change of every current asset and liability account other than
//! cash (operating), of fixed and other assets (investing) and of long-term liabilities and
//! equity (financing). [sim] Cash is the Bank accounts (Undeposited Funds is an operating
//! adjustment). The net cash increase equals the change of the bank balances, so
//! `Cash at end of period` = `Cash at beginning of period` + `Net cash increase for period`.

use super::chart::Kind;
use super::columns::MoneyCols;
use super::ledger::Posting;
use super::params::{Basis, Params};
use super::render::{Column, Row};
use super::tree::{account_rows, add_into, blank_cells, money_cells};
use super::{Built, Ctx};
use crate::fault::Fault;
use std::collections::BTreeMap;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Activity {
    Operating,
    Investing,
    Financing,
}

fn activity(k: Kind) -> Option<Activity> {
    match k {
        Kind::Receivable
        | Kind::OtherCurrentAsset
        | Kind::Payable
        | Kind::CreditCard
        | Kind::OtherCurrentLiability => Some(Activity::Operating),
        Kind::FixedAsset | Kind::OtherAsset => Some(Activity::Investing),
        Kind::LongTermLiability | Kind::Equity => Some(Activity::Financing),
        _ => None,
    }
}

pub fn cash_flow(ctx: &Ctx, p: &Params) -> Result<Built, Fault> {
    let ledger = ctx.ledger(Basis::Accrual);
    let cols = MoneyCols::build(&ledger, p, &[], true)?;
    let n = cols.len();
    let mut columns = vec![Column::new("", "Account", "account")];
    columns.extend(cols.columns());
    let sel: Vec<&Posting> = ledger
        .postings
        .iter()
        .filter(|x| x.date <= p.end && p.filters.posting(x, &ledger.chart))
        .collect();
    let in_range = sel.iter().filter(|x| x.date >= p.start).count();
    if in_range == 0 {
        return Ok(Built {
            columns,
            rows: vec![
                Row::summary_only(
                    "OperatingActivities",
                    blank_cells("Net cash provided by operating activities", n),
                ),
                Row::summary_only(
                    "CashIncrease",
                    blank_cells("Net cash increase for period", n),
                ),
                Row::summary_only("EndingCash", blank_cells("Cash at end of period", n)),
            ],
            empty: true,
        });
    }
    // Bank balance before each column: a running sum over the date-ordered postings.
    let bank: Vec<(chrono::NaiveDate, i64)> = sel
        .iter()
        .filter(|x| ledger.kind(x.account) == Kind::Bank)
        .scan(0i64, |acc, x| {
            *acc += x.amount;
            Some((x.date, *acc))
        })
        .collect();
    let begin: Vec<i64> = cols
        .cols
        .iter()
        .map(|c| {
            let k = bank.partition_point(|(d, _)| *d < c.start);
            k.checked_sub(1).map_or(0, |i| bank[i].1)
        })
        .collect();
    let mut net = vec![0i64; n];
    let mut adj: BTreeMap<usize, Vec<i64>> = BTreeMap::new();
    for x in sel.iter().filter(|x| x.date >= p.start) {
        let kind = ledger.kind(x.account);
        if kind.is_pnl() {
            cols.add(&mut net, x, -x.amount);
        } else if activity(kind).is_some() {
            cols.add(
                adj.entry(x.account).or_insert_with(|| vec![0; n]),
                x,
                -x.amount,
            );
        }
    }
    let part = |a: Activity| -> BTreeMap<usize, Vec<i64>> {
        adj.iter()
            .filter(|(acc, _)| activity(ledger.kind(**acc)) == Some(a))
            .map(|(acc, v)| (*acc, v.clone()))
            .collect()
    };
    let mut rows = Vec::new();
    let mut increase = net.clone();
    // Operating.
    let (op_rows, op_sum) = account_rows(&ledger, &part(Activity::Operating), n);
    let mut op_total = net.clone();
    add_into(&mut op_total, &op_sum);
    let mut op_inner = vec![Row::data(money_cells("Net Income", &net)).with_group("NetIncome")];
    if !op_rows.is_empty() {
        let title = "Adjustments to reconcile Net Income to Net Cash provided by operations:";
        op_inner.push(
            Row::section(
                blank_cells(title, n),
                op_rows,
                money_cells(format!("Total {title}"), &op_sum),
            )
            .with_group("OperatingAdjustments"),
        );
    }
    rows.push(
        Row::section(
            blank_cells("OPERATING ACTIVITIES", n),
            op_inner,
            money_cells("Net cash provided by operating activities", &op_total),
        )
        .with_group("OperatingActivities"),
    );
    add_into(&mut increase, &op_sum);
    for (a, group, title, total) in [
        (
            Activity::Investing,
            "InvestingActivities",
            "INVESTING ACTIVITIES",
            "Net cash provided by investing activities",
        ),
        (
            Activity::Financing,
            "FinancingActivities",
            "FINANCING ACTIVITIES",
            "Net cash provided by financing activities",
        ),
    ] {
        let (r, s) = account_rows(&ledger, &part(a), n);
        if r.is_empty() {
            continue;
        }
        rows.push(Row::section(blank_cells(title, n), r, money_cells(total, &s)).with_group(group));
        add_into(&mut increase, &s);
    }
    let mut end = begin.clone();
    add_into(&mut end, &increase);
    rows.push(Row::summary_only(
        "CashIncrease",
        money_cells("Net cash increase for period", &increase),
    ));
    rows.push(Row::summary_only(
        "BeginningCash",
        money_cells("Cash at beginning of period", &begin),
    ));
    rows.push(Row::summary_only(
        "EndingCash",
        money_cells("Cash at end of period", &end),
    ));
    Ok(Built {
        columns,
        rows,
        empty: false,
    })
}
