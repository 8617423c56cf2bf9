//! TaxSummary and the inventory valuation reports.
//!
//! - TaxSummary: per tax rate, the taxable amount and tax of the sales forms dated in the
//!   period, from their `TxnTaxDetail.TaxLine[]` (`TaxLineDetail.TaxRateRef`,
//!   `NetAmountTaxable`, `Amount`); credit memos and refund receipts count negative.
//! - InventoryValuationSummary: [sim] the current `QtyOnHand` of items with `TrackQtyOnHand`,
//!   valued at `PurchaseCost` (the sandbox keeps no inventory movements, so not as of the date).
//! - InventoryValuationDetail: [sim] always empty (no movements are kept).

use super::chart::ref_id;
use super::detail::col;
use super::ledger::{date_field, home, name_of, rate};
use super::params::Params;
use super::postings::cents;
use super::render::{cell, cell_id, money, Column, Row};
use super::tree::blank_cells;
use super::{Built, Ctx};
use serde_json::Value;
use std::collections::BTreeMap;

pub fn tax_summary(ctx: &Ctx, p: &Params) -> Built {
    let columns = vec![
        Column::new("", "String", "tax_rate"),
        Column::new("Taxable Amount", "Money", "taxable_amount"),
        Column::new("Tax Amount", "Money", "tax_amount"),
    ];
    let store = ctx.store;
    let mut per_rate: BTreeMap<u64, (i64, i64)> = BTreeMap::new();
    for (entity, sign) in [
        ("Invoice", 1),
        ("SalesReceipt", 1),
        ("CreditMemo", -1),
        ("RefundReceipt", -1),
    ] {
        let Some(ti) = store.table_index(entity) else {
            continue;
        };
        for rec in store.tables[ti].rows.values().filter(|r| !r.deleted) {
            let o = &rec.obj;
            let Some(d) = date_field(o, "TxnDate") else {
                continue;
            };
            if d < p.start || d > p.end {
                continue;
            }
            let r = rate(o);
            let tax_lines = o
                .get("TxnTaxDetail")
                .and_then(|t| t.get("TaxLine"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for tl in tax_lines {
                let det = tl.get("TaxLineDetail");
                let Some(rate_id) = ref_id(det.and_then(|d| d.get("TaxRateRef"))) else {
                    continue;
                };
                let e = per_rate.entry(rate_id).or_insert((0, 0));
                e.0 += sign * home(cents(det.and_then(|d| d.get("NetAmountTaxable"))), r);
                e.1 += sign * home(cents(tl.get("Amount")), r);
            }
        }
    }
    let mut named: Vec<(String, u64)> = per_rate
        .keys()
        .map(|id| (name_of(store, "TaxRate", *id), *id))
        .collect();
    named.sort_by(|a, b| {
        a.0.to_lowercase()
            .cmp(&b.0.to_lowercase())
            .then(a.1.cmp(&b.1))
    });
    if p.descend {
        named.reverse();
    }
    let (mut taxable, mut tax) = (0, 0);
    let mut rows = Vec::new();
    for (name, id) in named {
        let (a, t) = per_rate[&id];
        taxable += a;
        tax += t;
        rows.push(Row::data(vec![
            cell_id(name, Some(id)),
            cell(money(a)),
            cell(money(t)),
        ]));
    }
    let empty = rows.is_empty();
    let total = if empty {
        blank_cells("TOTAL", 2)
    } else {
        vec![cell("TOTAL"), cell(money(taxable)), cell(money(tax))]
    };
    rows.push(Row::summary_only("GrandTotal", total));
    Built {
        columns,
        rows,
        empty,
    }
}

pub fn inventory_summary(ctx: &Ctx, p: &Params) -> Built {
    let columns = vec![
        Column::new("", "ProductsAndService", "product"),
        Column::new("Qty", "String", "qty"),
        Column::new("Asset Value", "Money", "asset_value"),
        Column::new("Calc. Avg", "Money", "calc_avg"),
    ];
    let store = ctx.store;
    let mut items: Vec<(String, u64, f64, i64)> = Vec::new();
    if let Some(ti) = store.table_index("Item") {
        for (id, rec) in &store.tables[ti].rows {
            let o = &rec.obj;
            if rec.deleted
                || !rec.active
                || o.get("TrackQtyOnHand").and_then(Value::as_bool) != Some(true)
                || p.filters.item.as_ref().is_some_and(|ids| !ids.contains(id))
            {
                continue;
            }
            let qty = o.get("QtyOnHand").and_then(Value::as_f64).unwrap_or(0.0);
            let cost = cents(o.get("PurchaseCost"));
            let name = name_of(store, "Item", *id);
            items.push((name, *id, qty, (qty * cost as f64).round() as i64));
        }
    }
    items.sort_by(|a, b| {
        a.0.to_lowercase()
            .cmp(&b.0.to_lowercase())
            .then(a.1.cmp(&b.1))
    });
    if p.descend {
        items.reverse();
    }
    let (mut tq, mut tv) = (0.0, 0);
    let mut rows = Vec::new();
    for (name, id, q, v) in &items {
        tq += q;
        tv += v;
        let avg = if q.abs() > 1e-9 {
            money((*v as f64 / q).round() as i64)
        } else {
            String::new()
        };
        rows.push(Row::data(vec![
            cell_id(name.clone(), Some(*id)),
            cell(format!("{q}")),
            cell(money(*v)),
            cell(avg),
        ]));
    }
    let empty = rows.is_empty();
    let total = if empty {
        blank_cells("TOTAL", 3)
    } else {
        vec![
            cell("TOTAL"),
            cell(format!("{tq}")),
            cell(money(tv)),
            cell(""),
        ]
    };
    rows.push(Row::summary_only("GrandTotal", total));
    Built {
        columns,
        rows,
        empty,
    }
}

pub fn inventory_detail(_ctx: &Ctx, _p: &Params) -> Built {
    Built {
        columns: vec![
            col("Date", "Date", "tx_date"),
            col("Transaction Type", "String", "txn_type"),
            col("Num", "String", "doc_num"),
            col("Name", "String", "name"),
            col("Qty", "String", "qty_change"),
            col("Rate", "Money", "rate"),
            col("FIFO Cost", "Money", "fifo_cost"),
            col("Qty On Hand", "String", "qty_on_hand"),
            col("Asset Value", "Money", "asset_value"),
        ],
        rows: Vec::new(),
        empty: true,
    }
}
