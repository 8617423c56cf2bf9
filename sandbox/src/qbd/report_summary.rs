//! Summary reports from the ledger: Profit & Loss, Balance Sheet, Trial Balance, customer and
//! vendor balance summaries, Sales by Customer, and the custom summary report
//! (`SummarizeRowsBy` × `SummarizeColumnsBy`).

use super::kinds::Kind;
use super::ledger::{debit_normal, Posting};
use super::money::fmt_amount;
use super::report::{basis, period_columns, Ctx, Period};
use super::report_build::{as_of_subtitle, period_subtitle, Col, Row, Table};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

fn values_cells(label: &str, vals: &[i64]) -> Vec<String> {
    let mut c = vec![label.to_string()];
    c.extend(vals.iter().map(|v| fmt_amount(*v)));
    if vals.len() > 1 {
        c.push(fmt_amount(vals.iter().sum()));
    }
    c
}

fn data(rt: &'static str, label: &str, vals: &[i64]) -> Row {
    Row::Data {
        row_data: Some((rt, label.to_string())),
        cells: values_cells(label, vals),
    }
}

fn subtotal(label: &str, vals: &[i64]) -> Row {
    Row::Subtotal {
        row_data: None,
        cells: values_cells(label, vals),
    }
}

fn add(a: &[i64], b: &[i64], sign: i64) -> Vec<i64> {
    a.iter().zip(b).map(|(x, y)| x + sign * y).collect()
}

/// Accounts of the given types, sorted by full name.
fn accounts_of(ctx: &Ctx<'_>, types: &[&str]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = ctx
        .store
        .of_kind(Kind::Account)
        .filter(|a| types.contains(&a.text("AccountType").unwrap_or("")))
        .map(|a| (ctx.store.full_name(a), a.id.clone()))
        .collect();
    v.sort();
    v
}

/// Natural-sign sum of an account's postings in each period (flows).
fn flows(ctx: &Ctx<'_>, account: &str, periods: &[Period]) -> Vec<i64> {
    let sign = if debit_normal(ctx.account_type(account)) {
        1
    } else {
        -1
    };
    periods
        .iter()
        .map(|p| {
            sign * ctx
                .postings(Some(p.from), Some(p.to))
                .filter(|x| x.account == account)
                .map(|x| x.amount)
                .sum::<i64>()
        })
        .collect()
}

/// One section (`types`) of a flow report: text row, account rows, subtotal; returns the
/// section totals.
fn section(
    ctx: &Ctx<'_>,
    rows: &mut Vec<Row>,
    title: &str,
    types: &[&str],
    periods: &[Period],
) -> Vec<i64> {
    rows.push(Row::Text(title.to_string()));
    let mut total = vec![0; periods.len()];
    for (name, id) in accounts_of(ctx, types) {
        let v = flows(ctx, &id, periods);
        if v.iter().all(|x| *x == 0) {
            continue;
        }
        total = add(&total, &v, 1);
        rows.push(data("account", &name, &v));
    }
    rows.push(subtotal(&format!("Total {title}"), &total));
    total
}

/// `ProfitAndLossStandard`.
pub(crate) fn profit_and_loss(ctx: &Ctx<'_>) -> Table {
    let periods = ctx.periods();
    let mut rows = vec![Row::Text("Ordinary Income/Expense".into())];
    let income = section(ctx, &mut rows, "Income", &["Income"], &periods);
    let cogs = section(
        ctx,
        &mut rows,
        "Cost of Goods Sold",
        &["CostOfGoodsSold"],
        &periods,
    );
    let gross = add(&income, &cogs, -1);
    rows.push(subtotal("Gross Profit", &gross));
    let expense = section(ctx, &mut rows, "Expense", &["Expense"], &periods);
    let ordinary = add(&gross, &expense, -1);
    rows.push(subtotal("Net Ordinary Income", &ordinary));
    rows.push(Row::Text("Other Income/Expense".into()));
    let oi = section(ctx, &mut rows, "Other Income", &["OtherIncome"], &periods);
    let oe = section(ctx, &mut rows, "Other Expense", &["OtherExpense"], &periods);
    let other = add(&oi, &oe, -1);
    rows.push(subtotal("Net Other Income", &other));
    let net = add(&ordinary, &other, 1);
    rows.push(Row::Total(values_cells("Net Income", &net)));
    Table {
        title: "Profit & Loss".into(),
        subtitle: period_subtitle(Some(ctx.start()), Some(ctx.end())),
        basis: basis(&ctx.p),
        cols: period_columns(&periods),
        rows,
    }
}

const PNL: &[&str] = &[
    "Income",
    "OtherIncome",
    "CostOfGoodsSold",
    "Expense",
    "OtherExpense",
];

/// Natural-sign balance of an account at `end` (balance-sheet accounts: everything so far).
fn balance_at(ctx: &Ctx<'_>, account: &str, end: NaiveDate) -> i64 {
    let sign = if debit_normal(ctx.account_type(account)) {
        1
    } else {
        -1
    };
    sign * ctx
        .postings(None, Some(end))
        .filter(|x| x.account == account)
        .map(|x| x.amount)
        .sum::<i64>()
}

/// Profit (credit positive) of P&L postings within `from..=to`.
fn profit(ctx: &Ctx<'_>, from: Option<NaiveDate>, to: Option<NaiveDate>) -> i64 {
    -ctx.postings(from, to)
        .filter(|p| PNL.contains(&ctx.account_type(&p.account)))
        .map(|p| p.amount)
        .sum::<i64>()
}

fn fiscal_start(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d)
}

/// Period ends for balance reports: one per column period, or just the report date.
fn ends(ctx: &Ctx<'_>) -> Vec<Period> {
    if ctx.p.columns_by == "TotalOnly" || ctx.p.from.is_none() {
        let e = ctx.end();
        return vec![Period {
            label: "TOTAL".into(),
            from: e,
            to: e,
        }];
    }
    ctx.periods()
}

fn balance_columns(ends: &[Period]) -> Vec<Col> {
    let mut cols = vec![Col::label()];
    for p in ends {
        let title = if ends.len() == 1 {
            "TOTAL".to_string()
        } else {
            p.label.clone()
        };
        cols.push(Col::new(
            title,
            if ends.len() == 1 { "Total" } else { "Amount" },
            "AMTTYPE",
        ));
    }
    cols
}

fn balance_cells(label: &str, vals: &[i64]) -> Vec<String> {
    let mut c = vec![label.to_string()];
    c.extend(vals.iter().map(|v| fmt_amount(*v)));
    c
}

fn balance_section(
    ctx: &Ctx<'_>,
    rows: &mut Vec<Row>,
    title: &str,
    types: &[&str],
    ends: &[Period],
) -> Vec<i64> {
    rows.push(Row::Text(title.to_string()));
    let mut total = vec![0; ends.len()];
    for (name, id) in accounts_of(ctx, types) {
        let v: Vec<i64> = ends.iter().map(|p| balance_at(ctx, &id, p.to)).collect();
        if v.iter().all(|x| *x == 0) {
            continue;
        }
        total = add(&total, &v, 1);
        rows.push(Row::Data {
            row_data: Some(("account", name.clone())),
            cells: balance_cells(&name, &v),
        });
    }
    rows.push(Row::Subtotal {
        row_data: None,
        cells: balance_cells(&format!("Total {title}"), &total),
    });
    total
}

/// `BalanceSheetStandard`.
pub(crate) fn balance_sheet(ctx: &Ctx<'_>) -> Table {
    let ends = ends(ctx);
    let mut rows = vec![Row::Text("ASSETS".into())];
    let current = balance_section(
        ctx,
        &mut rows,
        "Current Assets",
        &["Bank", "AccountsReceivable", "OtherCurrentAsset"],
        &ends,
    );
    let fixed = balance_section(ctx, &mut rows, "Fixed Assets", &["FixedAsset"], &ends);
    let other = balance_section(ctx, &mut rows, "Other Assets", &["OtherAsset"], &ends);
    let assets = add(&add(&current, &fixed, 1), &other, 1);
    rows.push(Row::Subtotal {
        row_data: None,
        cells: balance_cells("TOTAL ASSETS", &assets),
    });
    rows.push(Row::Text("LIABILITIES & EQUITY".into()));
    let liab = balance_section(
        ctx,
        &mut rows,
        "Liabilities",
        &[
            "AccountsPayable",
            "CreditCard",
            "OtherCurrentLiability",
            "LongTermLiability",
        ],
        &ends,
    );
    let mut equity = balance_section(ctx, &mut rows, "Equity", &["Equity"], &ends);
    // Retained earnings and this year's net income close the equity section.
    rows.pop();
    let retained: Vec<i64> = ends
        .iter()
        .map(|p| profit(ctx, None, fiscal_start(p.to).pred_opt()))
        .collect();
    let net: Vec<i64> = ends
        .iter()
        .map(|p| profit(ctx, Some(fiscal_start(p.to)), Some(p.to)))
        .collect();
    rows.push(Row::Data {
        row_data: Some(("label", "Retained Earnings".into())),
        cells: balance_cells("Retained Earnings", &retained),
    });
    rows.push(Row::Data {
        row_data: Some(("label", "Net Income".into())),
        cells: balance_cells("Net Income", &net),
    });
    equity = add(&add(&equity, &retained, 1), &net, 1);
    rows.push(Row::Subtotal {
        row_data: None,
        cells: balance_cells("Total Equity", &equity),
    });
    rows.push(Row::Total(balance_cells(
        "TOTAL LIABILITIES & EQUITY",
        &add(&liab, &equity, 1),
    )));
    Table {
        title: "Balance Sheet".into(),
        subtitle: as_of_subtitle(ctx.end()),
        basis: basis(&ctx.p),
        cols: balance_columns(&ends),
        rows,
    }
}

/// `TrialBalance`: debit/credit balances at the report date (income and expense accounts for
/// the fiscal year; earlier years in Retained Earnings).
pub(crate) fn trial_balance(ctx: &Ctx<'_>) -> Table {
    let end = ctx.end();
    let fy = fiscal_start(end);
    let mut rows = Vec::new();
    let (mut dr, mut cr) = (0i64, 0i64);
    let mut all: Vec<(String, String)> = ctx
        .store
        .of_kind(Kind::Account)
        .map(|a| (ctx.store.full_name(a), a.id.clone()))
        .collect();
    all.sort();
    let mut push = |rows: &mut Vec<Row>, name: &str, sum: i64| {
        if sum == 0 {
            return;
        }
        let (d, c) = if sum > 0 {
            (fmt_amount(sum), String::new())
        } else {
            (String::new(), fmt_amount(-sum))
        };
        if sum > 0 {
            dr += sum;
        } else {
            cr -= sum;
        }
        rows.push(Row::Data {
            row_data: Some(("account", name.to_string())),
            cells: vec![name.to_string(), d, c],
        });
    };
    for (name, id) in &all {
        let pnl = PNL.contains(&ctx.account_type(id));
        let from = if pnl { Some(fy) } else { None };
        let sum: i64 = ctx
            .postings(from, Some(end))
            .filter(|p| &p.account == id)
            .map(|p| p.amount)
            .sum();
        push(&mut rows, name, sum);
    }
    let retained = -profit(ctx, None, fy.pred_opt());
    push(&mut rows, "Retained Earnings", retained);
    rows.push(Row::Total(vec![
        "TOTAL".into(),
        fmt_amount(dr),
        fmt_amount(cr),
    ]));
    Table {
        title: "Trial Balance".into(),
        subtitle: as_of_subtitle(end),
        basis: basis(&ctx.p),
        cols: vec![
            Col::label(),
            Col::new("Debit", "Debit", "AMTTYPE"),
            Col::new("Credit", "Credit", "AMTTYPE"),
        ],
        rows,
    }
}

/// `CustomerBalanceSummary` / `VendorBalanceSummary`: A/R or A/P balance per name.
pub(crate) fn entity_balances(ctx: &Ctx<'_>, customers: bool) -> Table {
    let ends = ends(ctx);
    let (acct_type, kind, rt, sign) = if customers {
        ("AccountsReceivable", Kind::Customer, "customer", 1)
    } else {
        ("AccountsPayable", Kind::Vendor, "vendor", -1)
    };
    let mut per: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (i, p) in ends.iter().enumerate() {
        for x in ctx.postings(None, Some(p.to)) {
            if ctx.account_type(&x.account) != acct_type {
                continue;
            }
            let Some(e) = &x.entity else { continue };
            if ctx.store.get(e).map(|r| r.kind) != Some(kind) {
                continue;
            }
            let v = per
                .entry(ctx.name(e))
                .or_insert_with(|| vec![0; ends.len()]);
            v[i] += sign * x.amount;
        }
    }
    let mut rows = Vec::new();
    let mut total = vec![0; ends.len()];
    for (name, v) in per {
        if v.iter().all(|x| *x == 0) {
            continue;
        }
        total = add(&total, &v, 1);
        rows.push(Row::Data {
            row_data: Some((rt, name.clone())),
            cells: balance_cells(&name, &v),
        });
    }
    rows.push(Row::Total(balance_cells("TOTAL", &total)));
    Table {
        title: if customers {
            "Customer Balance Summary"
        } else {
            "Vendor Balance Summary"
        }
        .into(),
        subtitle: as_of_subtitle(ctx.end()),
        basis: basis(&ctx.p),
        cols: balance_columns(&ends),
        rows,
    }
}

fn grouped(
    ctx: &Ctx<'_>,
    periods: &[Period],
    key: &dyn Fn(&Posting) -> Option<(&'static str, String)>,
    value: &dyn Fn(&Posting) -> Option<i64>,
) -> BTreeMap<(String, &'static str), Vec<i64>> {
    let mut per: BTreeMap<(String, &'static str), Vec<i64>> = BTreeMap::new();
    for (i, p) in periods.iter().enumerate() {
        for x in ctx.postings(Some(p.from), Some(p.to)) {
            let (Some((rt, k)), Some(v)) = (key(x), value(x)) else {
                continue;
            };
            per.entry((k, rt)).or_insert_with(|| vec![0; periods.len()])[i] += v;
        }
    }
    per
}

/// `SalesByCustomerSummary`: income from sales forms per customer.
pub(crate) fn sales_by_customer(ctx: &Ctx<'_>) -> Table {
    let periods = ctx.periods();
    let key = |x: &Posting| {
        let e = x.entity.as_ref()?;
        (ctx.store.get(e)?.kind == Kind::Customer).then(|| ("customer", ctx.name(e)))
    };
    let value = |x: &Posting| {
        let sales = matches!(
            x.kind,
            Kind::Invoice | Kind::SalesReceipt | Kind::CreditMemo
        );
        (sales && matches!(ctx.account_type(&x.account), "Income" | "OtherIncome"))
            .then_some(-x.amount)
    };
    let per = grouped(ctx, &periods, &key, &value);
    let mut rows = Vec::new();
    let mut total = vec![0; periods.len()];
    for ((name, rt), v) in per {
        total = add(&total, &v, 1);
        rows.push(data(rt, &name, &v));
    }
    rows.push(Row::Total(values_cells("TOTAL", &total)));
    Table {
        title: "Sales by Customer Summary".into(),
        subtitle: period_subtitle(Some(ctx.start()), Some(ctx.end())),
        basis: basis(&ctx.p),
        cols: period_columns(&periods),
        rows,
    }
}

/// The row key of a posting for `SummarizeRowsBy`.
pub(crate) fn row_key(ctx: &Ctx<'_>, by: &str, x: &Posting) -> (&'static str, String) {
    let entity_of = |kinds: &[Kind]| -> Option<String> {
        let e = x.entity.as_ref()?;
        kinds.contains(&ctx.store.get(e)?.kind).then(|| ctx.name(e))
    };
    match by {
        "Customer" => (
            "customer",
            entity_of(&[Kind::Customer]).unwrap_or_else(|| "No name".into()),
        ),
        "Vendor" => (
            "vendor",
            entity_of(&[Kind::Vendor]).unwrap_or_else(|| "No name".into()),
        ),
        "Employee" => (
            "employee",
            entity_of(&[Kind::Employee]).unwrap_or_else(|| "No name".into()),
        ),
        "Payee" => (
            "name",
            entity_of(&super::kinds::ENTITIES).unwrap_or_else(|| "No name".into()),
        ),
        "Class" => {
            let c = ctx
                .store
                .get(&x.txn_id)
                .and_then(|t| t.ref_id("ClassRef"))
                .map(|id| ctx.name(id));
            ("class", c.unwrap_or_else(|| "Unclassified".into()))
        }
        "TotalOnly" => ("label", "TOTAL".into()),
        "Day" | "Week" | "Month" | "Quarter" | "Year" | "TwoWeek" | "FourWeek" | "HalfMonth" => {
            let by = match by {
                "TwoWeek" | "FourWeek" => "Week",
                "HalfMonth" => "Month",
                b => b,
            };
            let p = super::report::periods(by, x.date, x.date);
            (
                "label",
                p.first().map(|p| p.label.clone()).unwrap_or_default(),
            )
        }
        _ => ("account", ctx.name(&x.account)),
    }
}

/// `CustomSummary`: natural-sign amounts (income and expense accounts unless an account
/// filter says otherwise) by `SummarizeRowsBy` and `SummarizeColumnsBy`.
pub(crate) fn custom_summary(ctx: &Ctx<'_>) -> Table {
    let periods = ctx.periods();
    let by = ctx.p.rows_by.clone().unwrap_or_else(|| "Account".into());
    let default_pnl = ctx.p.accounts.is_none() && ctx.p.account_types.is_empty();
    let key = |x: &Posting| Some(row_key(ctx, &by, x));
    let value = |x: &Posting| {
        let t = ctx.account_type(&x.account);
        if default_pnl && !PNL.contains(&t) {
            return None;
        }
        Some(if debit_normal(t) { x.amount } else { -x.amount })
    };
    let per = grouped(ctx, &periods, &key, &value);
    let mut rows = Vec::new();
    let mut total = vec![0; periods.len()];
    for ((name, rt), v) in per {
        total = add(&total, &v, 1);
        rows.push(data(rt, &name, &v));
    }
    rows.push(Row::Total(values_cells("TOTAL", &total)));
    Table {
        title: "Custom Summary Report".into(),
        subtitle: period_subtitle(Some(ctx.start()), Some(ctx.end())),
        basis: basis(&ctx.p),
        cols: period_columns(&periods),
        rows,
    }
}
