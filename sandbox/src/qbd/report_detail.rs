//! Detail reports: General Ledger, Open Invoices, Transaction List by Date, Customer Balance
//! Detail, A/R and A/P aging (summary and detail), and the custom transaction detail report.
//! Columns follow `IncludeColumn` when given.

use super::ids::{format_date, parse_date};
use super::kinds::Kind;
use super::ledger::Posting;
use super::money::fmt_amount;
use super::report::{amount_of, basis, Ctx};
use super::report_build::{as_of_subtitle, period_subtitle, Col, Row, Table};
use super::report_summary::row_key;
use super::store::Record;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// A column a detail report can show, by `IncludeColumn`/`ColType` name.
fn column(name: &str) -> Col {
    let (title, data_type) = match name {
        "TxnType" => ("Type", "STRTYPE"),
        "Date" => ("Date", "DATETYPE"),
        "RefNumber" => ("Num", "STRTYPE"),
        "Name" => ("Name", "STRTYPE"),
        "Memo" => ("Memo", "STRTYPE"),
        "Account" => ("Account", "STRTYPE"),
        "SplitAccount" => ("Split", "STRTYPE"),
        "Class" => ("Class", "STRTYPE"),
        "DueDate" => ("Due Date", "DATETYPE"),
        "Aging" => ("Aging", "INTTYPE"),
        "Terms" => ("Terms", "STRTYPE"),
        "Amount" => ("Amount", "AMTTYPE"),
        "Debit" => ("Debit", "AMTTYPE"),
        "Credit" => ("Credit", "AMTTYPE"),
        "OpenBalance" => ("Open Balance", "AMTTYPE"),
        "RunningBalance" => ("Balance", "AMTTYPE"),
        "TxnID" => ("Trans ID", "IDTYPE"),
        "TxnNumber" => ("Trans #", "INTTYPE"),
        "ModifiedTime" => ("Last modified", "DATETIMETYPE"),
        _ => ("", "STRTYPE"),
    };
    let col_type: &'static str = match name {
        "TxnType" => "TxnType",
        "Date" => "Date",
        "RefNumber" => "RefNumber",
        "Name" => "Name",
        "Memo" => "Memo",
        "Account" => "Account",
        "SplitAccount" => "SplitAccount",
        "Class" => "Class",
        "DueDate" => "DueDate",
        "Aging" => "Aging",
        "Terms" => "Terms",
        "Amount" => "Amount",
        "Debit" => "Debit",
        "Credit" => "Credit",
        "OpenBalance" => "OpenBalance",
        "RunningBalance" => "RunningBalance",
        "TxnID" => "TxnID",
        "TxnNumber" => "TxnNumber",
        "ModifiedTime" => "ModifiedTime",
        _ => "Blank",
    };
    Col::new(title, col_type, data_type)
}

/// The blank label column plus the requested (or default) columns.
fn columns(ctx: &Ctx<'_>, default: &[&str]) -> (Vec<Col>, Vec<String>) {
    let names: Vec<String> = if ctx.p.include_columns.is_empty() {
        default.iter().map(|s| s.to_string()).collect()
    } else {
        ctx.p.include_columns.clone()
    };
    let mut cols = vec![Col::new("", "Blank", "STRTYPE")];
    cols.extend(names.iter().map(|n| column(n)));
    (cols, names)
}

/// Values of one detail line.
#[derive(Default)]
struct Line {
    kind: Option<Kind>,
    date: Option<NaiveDate>,
    num: Option<String>,
    name: Option<String>,
    memo: Option<String>,
    account: Option<String>,
    split: Option<String>,
    class: Option<String>,
    due: Option<NaiveDate>,
    aging: Option<i64>,
    terms: Option<String>,
    amount: i64,
    open: Option<i64>,
    running: Option<i64>,
    txn_id: Option<String>,
    txn_number: Option<u64>,
    modified: Option<String>,
}

fn cells(names: &[String], l: &Line, label: &str) -> Vec<String> {
    let mut c = vec![label.to_string()];
    for n in names {
        c.push(match n.as_str() {
            "TxnType" => l.kind.map(|k| k.name().to_string()).unwrap_or_default(),
            "Date" => l.date.map(format_date).unwrap_or_default(),
            "RefNumber" => l.num.clone().unwrap_or_default(),
            "Name" => l.name.clone().unwrap_or_default(),
            "Memo" => l.memo.clone().unwrap_or_default(),
            "Account" => l.account.clone().unwrap_or_default(),
            "SplitAccount" => l.split.clone().unwrap_or_default(),
            "Class" => l.class.clone().unwrap_or_default(),
            "DueDate" => l.due.map(format_date).unwrap_or_default(),
            "Aging" => l
                .aging
                .filter(|a| *a > 0)
                .map(|a| a.to_string())
                .unwrap_or_default(),
            "Terms" => l.terms.clone().unwrap_or_default(),
            "Amount" => fmt_amount(l.amount),
            "Debit" => {
                if l.amount > 0 {
                    fmt_amount(l.amount)
                } else {
                    String::new()
                }
            }
            "Credit" => {
                if l.amount < 0 {
                    fmt_amount(-l.amount)
                } else {
                    String::new()
                }
            }
            "OpenBalance" => l.open.map(fmt_amount).unwrap_or_default(),
            "RunningBalance" => l.running.map(fmt_amount).unwrap_or_default(),
            "TxnID" => l.txn_id.clone().unwrap_or_default(),
            "TxnNumber" => l.txn_number.map(|n| n.to_string()).unwrap_or_default(),
            "ModifiedTime" => l.modified.clone().unwrap_or_default(),
            _ => String::new(),
        });
    }
    c
}

/// A subtotal/total row: amount-like columns summed, the label in the first column.
fn sum_cells(
    names: &[String],
    label: &str,
    amount: i64,
    open: i64,
    running: Option<i64>,
) -> Vec<String> {
    let l = Line {
        amount,
        open: Some(open),
        running,
        ..Line::default()
    };
    let mut c = cells(names, &l, label);
    for (i, n) in names.iter().enumerate() {
        if !matches!(
            n.as_str(),
            "Amount" | "Debit" | "Credit" | "OpenBalance" | "RunningBalance"
        ) {
            c[i + 1] = String::new();
        }
    }
    c
}

fn line_of_posting(ctx: &Ctx<'_>, p: &Posting, split: Option<String>) -> Line {
    let t = ctx.store.get(&p.txn_id);
    Line {
        kind: Some(p.kind),
        date: Some(p.date),
        num: p.ref_number.clone(),
        name: p.entity.as_ref().map(|e| ctx.name(e)),
        memo: p.memo.clone(),
        account: Some(ctx.name(&p.account)),
        split,
        class: t.and_then(|t| t.ref_id("ClassRef")).map(|c| ctx.name(c)),
        amount: p.amount,
        txn_id: Some(p.txn_id.clone()),
        txn_number: t.and_then(|t| t.txn_number),
        ..Line::default()
    }
}

/// The other side of a posting: the single other account, or `-SPLIT-`.
fn split_of(ctx: &Ctx<'_>, p: &Posting) -> String {
    let others: Vec<&Posting> = ctx
        .d
        .postings
        .iter()
        .filter(|x| x.txn_id == p.txn_id && x.account != p.account)
        .collect();
    match others.as_slice() {
        [one] => ctx.name(&one.account),
        [] => String::new(),
        many if many.iter().all(|x| x.account == many[0].account) => ctx.name(&many[0].account),
        _ => "-SPLIT-".into(),
    }
}

/// `GeneralLedger`: postings per account with a running balance.
pub(crate) fn general_ledger(ctx: &Ctx<'_>) -> Table {
    let (cols, names) = columns(
        ctx,
        &[
            "TxnType",
            "Date",
            "RefNumber",
            "Name",
            "Memo",
            "SplitAccount",
            "Amount",
            "RunningBalance",
        ],
    );
    let mut accounts: Vec<(String, String)> = ctx
        .store
        .of_kind(Kind::Account)
        .map(|a| (ctx.store.full_name(a), a.id.clone()))
        .collect();
    accounts.sort();
    let mut rows = Vec::new();
    let mut grand = 0;
    for (name, id) in accounts {
        let opening: i64 = match ctx.p.from.and_then(|f| f.pred_opt()) {
            Some(before) => ctx
                .postings(None, Some(before))
                .filter(|p| p.account == id)
                .map(|p| p.amount)
                .sum(),
            None => 0,
        };
        let mut ps: Vec<&Posting> = ctx
            .postings(ctx.p.from, ctx.p.to)
            .filter(|p| p.account == id)
            .collect();
        if ps.is_empty() && opening == 0 {
            continue;
        }
        ps.sort_by_key(|p| (p.date, p.seq));
        rows.push(Row::Text(name.clone()));
        let mut running = opening;
        let mut sum = 0;
        for p in ps {
            running += p.amount;
            sum += p.amount;
            let mut l = line_of_posting(ctx, p, Some(split_of(ctx, p)));
            l.running = Some(running);
            rows.push(Row::Data {
                row_data: None,
                cells: cells(&names, &l, ""),
            });
        }
        grand += sum;
        rows.push(Row::Subtotal {
            row_data: Some(("account", name.clone())),
            cells: sum_cells(&names, &format!("Total {name}"), sum, 0, Some(running)),
        });
    }
    rows.push(Row::Total(sum_cells(&names, "TOTAL", grand, 0, None)));
    Table {
        title: "General Ledger".into(),
        subtitle: period_subtitle(ctx.p.from, ctx.p.to),
        basis: basis(&ctx.p),
        cols,
        rows,
    }
}

/// An open A/R or A/P item.
struct Open<'a> {
    r: &'a Record,
    entity: String,
    date: NaiveDate,
    due: NaiveDate,
    open: i64,
}

fn open_items<'a>(ctx: &'a Ctx<'_>, receivable: bool, as_of: NaiveDate) -> Vec<Open<'a>> {
    let kinds: &[Kind] = if receivable {
        &[Kind::Invoice, Kind::CreditMemo, Kind::ReceivePayment]
    } else {
        &[Kind::Bill]
    };
    let mut out = Vec::new();
    for r in ctx.store.of_kinds(kinds) {
        let Some(date) = r.txn_date() else { continue };
        if date > as_of || r.voided {
            continue;
        }
        let open = match r.kind {
            Kind::Invoice => amount_of(r, "BalanceRemaining"),
            Kind::CreditMemo => -amount_of(r, "CreditRemaining"),
            Kind::ReceivePayment => -amount_of(r, "UnusedPayment"),
            Kind::Bill => amount_of(r, "OpenAmount"),
            _ => 0,
        };
        if open == 0 {
            continue;
        }
        let entity = r
            .kind
            .entity_field()
            .and_then(|f| r.ref_id(f))
            .unwrap_or("")
            .to_string();
        if let Some(e) = &ctx.p.entities {
            if !e.contains(&entity) {
                continue;
            }
        }
        let due = r.text("DueDate").and_then(parse_date).unwrap_or(date);
        out.push(Open {
            r,
            entity,
            date,
            due,
            open,
        });
    }
    out.sort_by_key(|o| (o.date, o.r.seq));
    out
}

fn open_line(ctx: &Ctx<'_>, o: &Open<'_>, as_of: NaiveDate) -> Line {
    Line {
        kind: Some(o.r.kind),
        date: Some(o.date),
        num: o.r.ref_number().map(str::to_string),
        name: Some(ctx.name(&o.entity)),
        memo: o.r.text("Memo").map(str::to_string),
        terms: o.r.ref_id("TermsRef").map(|t| ctx.name(t)),
        due: Some(o.due),
        aging: Some((as_of - o.due).num_days()),
        amount: o.open,
        open: Some(o.open),
        txn_id: Some(o.r.id.clone()),
        txn_number: o.r.txn_number,
        ..Line::default()
    }
}

/// `OpenInvoices`: open A/R items per customer.
pub(crate) fn open_invoices(ctx: &Ctx<'_>) -> Table {
    let as_of = ctx.end();
    let (cols, names) = columns(
        ctx,
        &[
            "TxnType",
            "Date",
            "RefNumber",
            "Terms",
            "DueDate",
            "Aging",
            "OpenBalance",
        ],
    );
    let mut per: BTreeMap<String, Vec<Open<'_>>> = BTreeMap::new();
    for o in open_items(ctx, true, as_of) {
        per.entry(ctx.name(&o.entity)).or_default().push(o);
    }
    let mut rows = Vec::new();
    let mut grand = 0;
    for (cust, items) in per {
        rows.push(Row::Text(cust.clone()));
        let mut sum = 0;
        for o in &items {
            sum += o.open;
            rows.push(Row::Data {
                row_data: None,
                cells: cells(&names, &open_line(ctx, o, as_of), ""),
            });
        }
        grand += sum;
        rows.push(Row::Subtotal {
            row_data: Some(("customer", cust.clone())),
            cells: sum_cells(&names, &format!("Total {cust}"), sum, sum, None),
        });
    }
    rows.push(Row::Total(sum_cells(&names, "TOTAL", grand, grand, None)));
    Table {
        title: "Open Invoices".into(),
        subtitle: as_of_subtitle(as_of),
        basis: None,
        cols,
        rows,
    }
}

/// The main account and amount of a transaction for list reports.
fn main_account(r: &Record) -> (Option<&str>, i64) {
    let acct = [
        "ARAccountRef",
        "APAccountRef",
        "DepositToAccountRef",
        "BankAccountRef",
        "AccountRef",
    ]
    .iter()
    .find_map(|f| r.ref_id(f));
    let amount = [
        "Subtotal",
        "TotalAmount",
        "AmountDue",
        "Amount",
        "DepositTotal",
    ]
    .iter()
    .find_map(|f| r.text(f).map(|_| amount_of(r, f)))
    .unwrap_or_else(|| {
        r.body
            .find_all("JournalDebitLine")
            .map(|l| {
                l.child_text("Amount")
                    .and_then(super::money::parse_amount)
                    .unwrap_or(0)
            })
            .sum()
    });
    (acct, amount)
}

/// `TxnListByDate`: every transaction in the period, by date.
pub(crate) fn txn_list_by_date(ctx: &Ctx<'_>) -> Table {
    let (cols, names) = columns(
        ctx,
        &[
            "TxnType",
            "Date",
            "RefNumber",
            "Name",
            "Memo",
            "Account",
            "Amount",
        ],
    );
    let mut txns: Vec<&Record> = ctx
        .store
        .txns()
        .filter(|r| {
            r.txn_date().is_some_and(|d| {
                ctx.p.from.is_none_or(|f| d >= f) && ctx.p.to.is_none_or(|t| d <= t)
            }) && (ctx.p.txn_types.is_empty()
                || ctx
                    .p
                    .txn_types
                    .iter()
                    .any(|t| t == "All" || t == r.kind.name()))
        })
        .collect();
    txns.sort_by_key(|r| (r.txn_date(), r.seq));
    let mut rows = Vec::new();
    for r in txns {
        let entity = r.kind.entity_field().and_then(|f| r.ref_id(f));
        if let Some(e) = &ctx.p.entities {
            if !entity.is_some_and(|x| e.contains(x)) {
                continue;
            }
        }
        let (acct, amount) = main_account(r);
        let l = Line {
            kind: Some(r.kind),
            date: r.txn_date(),
            num: r.ref_number().map(str::to_string),
            name: entity.map(|e| ctx.name(e)),
            memo: r.text("Memo").map(str::to_string),
            account: acct.map(|a| ctx.name(a)),
            amount,
            txn_id: Some(r.id.clone()),
            txn_number: r.txn_number,
            ..Line::default()
        };
        rows.push(Row::Data {
            row_data: None,
            cells: cells(&names, &l, ""),
        });
    }
    Table {
        title: "Transaction List by Date".into(),
        subtitle: period_subtitle(ctx.p.from, ctx.p.to),
        basis: None,
        cols,
        rows,
    }
}

/// `CustomerBalanceDetail`: A/R postings per customer with a running balance.
pub(crate) fn customer_balance_detail(ctx: &Ctx<'_>) -> Table {
    let (cols, names) = columns(
        ctx,
        &[
            "TxnType",
            "Date",
            "RefNumber",
            "Account",
            "Amount",
            "RunningBalance",
        ],
    );
    let mut per: BTreeMap<String, Vec<&Posting>> = BTreeMap::new();
    for p in ctx.postings(None, Some(ctx.end())) {
        if ctx.account_type(&p.account) != "AccountsReceivable" {
            continue;
        }
        let Some(e) = &p.entity else { continue };
        per.entry(ctx.name(e)).or_default().push(p);
    }
    let mut rows = Vec::new();
    let mut grand = 0;
    for (cust, mut ps) in per {
        let sum: i64 = ps.iter().map(|p| p.amount).sum();
        if sum == 0 && ps.is_empty() {
            continue;
        }
        ps.sort_by_key(|p| (p.date, p.seq));
        rows.push(Row::Text(cust.clone()));
        let mut running = 0;
        for p in ps {
            running += p.amount;
            let mut l = line_of_posting(ctx, p, None);
            l.running = Some(running);
            rows.push(Row::Data {
                row_data: None,
                cells: cells(&names, &l, ""),
            });
        }
        grand += sum;
        rows.push(Row::Subtotal {
            row_data: Some(("customer", cust.clone())),
            cells: sum_cells(&names, &format!("Total {cust}"), sum, 0, Some(running)),
        });
    }
    rows.push(Row::Total(sum_cells(
        &names,
        "TOTAL",
        grand,
        0,
        Some(grand),
    )));
    Table {
        title: "Customer Balance Detail".into(),
        subtitle: "All Transactions".into(),
        basis: None,
        cols,
        rows,
    }
}

const BUCKETS: [&str; 5] = ["Current", "1 - 30", "31 - 60", "61 - 90", "> 90"];

fn bucket(days: i64) -> usize {
    match days {
        d if d <= 0 => 0,
        1..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        _ => 4,
    }
}

/// A/R (`receivable`) or A/P aging, summary or `detail`.
pub(crate) fn aging(ctx: &Ctx<'_>, receivable: bool, detail: bool) -> Table {
    let as_of = if ctx.p.aging_today {
        ctx.p.today
    } else {
        ctx.end()
    };
    let items = open_items(ctx, receivable, as_of);
    let side = if receivable { "A/R" } else { "A/P" };
    if detail {
        let (cols, names) = columns(
            ctx,
            &[
                "TxnType",
                "Date",
                "RefNumber",
                "Name",
                "DueDate",
                "Aging",
                "OpenBalance",
            ],
        );
        let mut rows = Vec::new();
        let mut grand = 0;
        for (b, title) in BUCKETS.iter().enumerate() {
            let in_bucket: Vec<&Open<'_>> = items
                .iter()
                .filter(|o| bucket((as_of - o.due).num_days()) == b)
                .collect();
            if in_bucket.is_empty() {
                continue;
            }
            rows.push(Row::Text((*title).to_string()));
            let mut sum = 0;
            for o in in_bucket {
                sum += o.open;
                rows.push(Row::Data {
                    row_data: None,
                    cells: cells(&names, &open_line(ctx, o, as_of), ""),
                });
            }
            grand += sum;
            rows.push(Row::Subtotal {
                row_data: None,
                cells: sum_cells(&names, &format!("Total {title}"), sum, sum, None),
            });
        }
        rows.push(Row::Total(sum_cells(&names, "TOTAL", grand, grand, None)));
        return Table {
            title: format!("{side} Aging Detail"),
            subtitle: as_of_subtitle(as_of),
            basis: None,
            cols,
            rows,
        };
    }
    let rt = if receivable { "customer" } else { "vendor" };
    let mut per: BTreeMap<String, [i64; 5]> = BTreeMap::new();
    for o in &items {
        per.entry(ctx.name(&o.entity)).or_insert([0; 5])[bucket((as_of - o.due).num_days())] +=
            o.open;
    }
    let fmt = |label: &str, v: &[i64; 5]| {
        let mut c = vec![label.to_string()];
        c.extend(v.iter().map(|x| fmt_amount(*x)));
        c.push(fmt_amount(v.iter().sum()));
        c
    };
    let mut rows = Vec::new();
    let mut total = [0i64; 5];
    for (name, v) in &per {
        for (t, x) in total.iter_mut().zip(v) {
            *t += x;
        }
        rows.push(Row::Data {
            row_data: Some((rt, name.clone())),
            cells: fmt(name, v),
        });
    }
    rows.push(Row::Total(fmt("TOTAL", &total)));
    let mut cols = vec![Col::label()];
    cols.extend(BUCKETS.iter().map(|b| Col::new(*b, "Amount", "AMTTYPE")));
    cols.push(Col::new("TOTAL", "Total", "AMTTYPE"));
    Table {
        title: format!("{side} Aging Summary"),
        subtitle: as_of_subtitle(as_of),
        basis: None,
        cols,
        rows,
    }
}

/// `CustomTxnDetail`: postings grouped by `SummarizeRowsBy`, columns from `IncludeColumn`.
pub(crate) fn custom_detail(ctx: &Ctx<'_>) -> Table {
    let (cols, names) = columns(
        ctx,
        &["TxnType", "Date", "RefNumber", "Name", "Account", "Amount"],
    );
    let by = ctx.p.rows_by.clone().unwrap_or_else(|| "Account".into());
    let mut groups: BTreeMap<(String, &'static str), Vec<&Posting>> = BTreeMap::new();
    for p in ctx.postings(ctx.p.from, ctx.p.to) {
        let (rt, k) = row_key(ctx, &by, p);
        groups.entry((k, rt)).or_default().push(p);
    }
    let mut rows = Vec::new();
    let mut grand = 0;
    let grouped = by != "TotalOnly";
    for ((key, rt), mut ps) in groups {
        ps.sort_by_key(|p| (p.date, p.seq));
        if grouped {
            rows.push(Row::Text(key.clone()));
        }
        let mut sum = 0;
        for p in ps {
            sum += p.amount;
            rows.push(Row::Data {
                row_data: None,
                cells: cells(&names, &line_of_posting(ctx, p, Some(split_of(ctx, p))), ""),
            });
        }
        grand += sum;
        if grouped {
            rows.push(Row::Subtotal {
                row_data: Some((rt, key.clone())),
                cells: sum_cells(&names, &format!("Total {key}"), sum, 0, None),
            });
        }
    }
    rows.push(Row::Total(sum_cells(&names, "TOTAL", grand, 0, None)));
    Table {
        title: "Custom Transaction Detail Report".into(),
        subtitle: period_subtitle(ctx.p.from, ctx.p.to),
        basis: basis(&ctx.p),
        cols,
        rows,
    }
}
