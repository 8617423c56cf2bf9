//! US sales tax on sales forms (Invoice, SalesReceipt, Estimate, CreditMemo, RefundReceipt;
//! fields per Finance.xsd `TxnTaxDetail`, `TaxLineDetail`, `SalesItemLineDetail.TaxCodeRef`).
//!
//! As in a US QuickBooks Online company, a line's `TaxCodeRef` only says whether the line is
//! taxable: the pseudo codes `TAX` and `NON` (anything else → 400 `6100` `Invalid Line TaxCode
//! in the request`). The rate comes from the transaction's `TxnTaxDetail.TxnTaxCodeRef`, a
//! TaxCode of the list (2500 unknown, 610 inactive) whose `SalesTaxRateList` names TaxRates:
//! one `TaxLine` per rate, `Amount` = round2(taxable × RateValue / 100), `TotalTax` their sum.
//! A `TotalTax` the client sends overrides the computed one.

use super::{money, num, resolve_ref, round2, Obj};
use crate::fault::Fault;
use crate::store::Store;
use serde_json::{json, Map, Value};

/// 400 `6100`, as QuickBooks answers a line tax code other than `TAX`/`NON` in a US company.
fn invalid_line_tax_code(supplied: &str) -> Fault {
    Fault::new(
        400,
        "ValidationFault",
        "6100",
        "Invalid Line TaxCode in the request",
        format!(
            "Invalid Line TaxCode in the request : Valid line TaxCodes for US should be TAX or NON. Supplied value: {supplied}."
        ),
        Some(""),
    )
}

/// Normalises a sales line detail's `TaxCodeRef` (`{"value":"TAX"}`, `"TAX"`, case-insensitive)
/// to `{"value":"TAX"|"NON"}`; true when the line is taxable. Absent: not taxable ([sim]: the
/// item's `Taxable` is not consulted).
pub(super) fn line_tax_code(detail: &mut Obj) -> Result<bool, Fault> {
    let raw = match detail.get("TaxCodeRef") {
        None => return Ok(false),
        Some(Value::Null) => {
            detail.remove("TaxCodeRef");
            return Ok(false);
        }
        Some(Value::Object(m)) => match m.get("value") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        },
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let code = raw.trim().to_ascii_uppercase();
    let taxable = match code.as_str() {
        "TAX" => true,
        "NON" => false,
        _ => return Err(invalid_line_tax_code(raw.trim())),
    };
    detail.insert("TaxCodeRef".into(), json!({ "value": code }));
    Ok(taxable)
}

/// The rates (TaxRate Id, RateValue) of a tax code's `SalesTaxRateList`.
fn sales_rates(store: &Store, code: &Obj) -> Vec<(String, f64)> {
    let Some(rate_ti) = store.table_index("TaxRate") else {
        return Vec::new();
    };
    let details = code
        .get("SalesTaxRateList")
        .and_then(|l| l.get("TaxRateDetail"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    details
        .iter()
        .filter_map(|d| {
            let id = d.get("TaxRateRef")?.get("value")?.as_str()?.to_string();
            let rec = store.get(rate_ti, id.parse().ok()?)?;
            let rate = rec.obj.get("RateValue")?.as_f64()?;
            Some((id, rate))
        })
        .collect()
}

/// Sum of a stored TxnTaxDetail's TaxLine amounts.
fn tax_line_sum(td: &Map<String, Value>) -> f64 {
    let sum: f64 = td
        .get("TaxLine")
        .and_then(Value::as_array)
        .map(|ls| {
            ls.iter()
                .filter_map(|l| l.get("Amount").and_then(Value::as_f64))
                .sum()
        })
        .unwrap_or(0.0);
    round2(sum)
}

/// Computes `TxnTaxDetail` of a sales form whose lines add up to `taxable` on `TAX` lines;
/// returns the tax to add to the subtotal. Without a TxnTaxDetail and with no taxable line the
/// form has no tax (and no TxnTaxDetail).
///
/// `TotalTax` override ([sim] how "sent" is told apart on an update, where the stored
/// TxnTaxDetail comes back in the body): a `TotalTax` in the body overrides the computed tax
/// when it differs from the stored one, or when the stored one was itself an override (it
/// differed from the sum of its TaxLines). Echoing the stored value back after changing the
/// lines therefore recomputes it; send `TxnTaxDetail` without `TotalTax` to drop an override.
/// The TaxLines always show the computed amounts.
pub(super) fn apply_sales_tax(
    store: &Store,
    w: &mut Obj,
    old: Option<&Obj>,
    taxable: f64,
) -> Result<f64, Fault> {
    let td = match w.get("TxnTaxDetail") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => return Err(Fault::unsupported_property("TxnTaxDetail")),
    };
    let Some(td) = td.or_else(|| (taxable > 0.0).then(Map::new)) else {
        w.remove("TxnTaxDetail");
        return Ok(0.0);
    };
    let mut out = Map::new();
    let mut lines = Vec::new();
    if let Some(v) = td.get("TxnTaxCodeRef").filter(|v| !v.is_null()) {
        let path = "TxnTaxDetail.TxnTaxCodeRef";
        let (id, name) = resolve_ref(store, "TaxCode", v, path, true)?;
        out.insert(
            "TxnTaxCodeRef".into(),
            json!({"value": id.to_string(), "name": name}),
        );
        let code = store
            .table_index("TaxCode")
            .and_then(|ti| store.live(ti, id))
            .map(|r| r.obj.clone())
            .unwrap_or_default();
        for (rate_id, rate) in sales_rates(store, &code) {
            let amount = round2(taxable * rate / 100.0);
            lines.push(json!({
                "Amount": num(amount),
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {
                    "TaxRateRef": {"value": rate_id},
                    "PercentBased": true,
                    "TaxPercent": rate,
                    "NetAmountTaxable": num(taxable),
                }
            }));
        }
    }
    let computed = round2(
        lines
            .iter()
            .filter_map(|l| l.get("Amount").and_then(Value::as_f64))
            .sum(),
    );
    let sent = match td.get("TotalTax").filter(|v| !v.is_null()) {
        Some(v) => Some(money(v, "TxnTaxDetail.TotalTax")?),
        None => None,
    };
    let stored = old
        .and_then(|o| o.get("TxnTaxDetail"))
        .and_then(Value::as_object);
    let overridden = match (sent, stored) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(s), Some(st)) => {
            let st_total = st.get("TotalTax").and_then(Value::as_f64).unwrap_or(0.0);
            (s - st_total).abs() > 0.005 || (st_total - tax_line_sum(st)).abs() > 0.005
        }
    };
    let total_tax = match sent {
        Some(s) if overridden => round2(s),
        _ => computed,
    };
    if total_tax < 0.0 {
        return Err(Fault::business("The total tax cannot be negative."));
    }
    out.insert("TotalTax".into(), num(total_tax));
    out.insert("TaxLine".into(), Value::Array(lines));
    w.insert("TxnTaxDetail".into(), Value::Object(out));
    Ok(total_tax)
}

/// A voided form owes no tax: TotalTax and the TaxLine amounts go to 0.
pub(super) fn zero_tax(obj: &mut Obj) {
    let Some(Value::Object(td)) = obj.get_mut("TxnTaxDetail") else {
        return;
    };
    td.insert("TotalTax".into(), num(0.0));
    if let Some(Value::Array(lines)) = td.get_mut("TaxLine") {
        for l in lines.iter_mut() {
            if let Some(m) = l.as_object_mut() {
                m.insert("Amount".into(), num(0.0));
                if let Some(Value::Object(d)) = m.get_mut("TaxLineDetail") {
                    d.insert("NetAmountTaxable".into(), num(0.0));
                }
            }
        }
    }
}
