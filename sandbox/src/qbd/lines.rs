//! Building stored aggregates from request aggregates: references resolved to
//! `ListID` + `FullName` (or refused with 3140), transaction lines with their `TxnLineID`,
//! `Amount = Quantity × Rate` and item defaults, deposit lines for payments, and payment
//! applications (`AppliedToTxnAdd` → `AppliedToTxnRet`) checked against what is still open.

use super::kinds::{ref_targets, Kind, ENTITIES, ITEMS};
use super::money::{fmt_amount, fmt_price, parse_amount, parse_dec, rate_of, times, Dec};
use super::status::Status;
use super::store::{Record, Store};
use super::totals::{applications, open_amount, set_leaf};
use qbsync_qbxml::Element;

/// How a reference's target kinds are named in a 3140 message.
fn ref_label(targets: &[Kind]) -> &'static str {
    if targets == ITEMS {
        "Item"
    } else if targets == ENTITIES {
        "Entity"
    } else {
        targets.first().map_or("Object", |k| k.label())
    }
}

/// A reference aggregate as stored: `ListID` and `FullName` of the target.
pub(crate) fn ref_to(store: &Store, name: &str, target: &Record) -> Element {
    Element::new(name)
        .leaf("ListID", target.id.clone())
        .leaf("FullName", store.label(target))
}

/// Resolves reference `r` made in a `owner` (`line`: inside one of its lines).
pub(crate) fn resolve_ref(
    store: &Store,
    owner: Kind,
    r: &Element,
    line: bool,
) -> Result<Element, Status> {
    let Some(targets) = ref_targets(&r.name, owner) else {
        return Ok(r.clone());
    };
    match store.resolve(targets, r) {
        Some(t) => Ok(ref_to(store, &r.name, t)),
        None => {
            let shown = r
                .child_text("FullName")
                .filter(|s| !s.is_empty())
                .or_else(|| r.child_text("ListID"))
                .unwrap_or("");
            Err(Status::invalid_reference(
                ref_label(targets),
                shown,
                owner.name(),
                line,
            ))
        }
    }
}

/// A deep copy of `src` with every `*Ref` aggregate resolved.
pub(crate) fn copy_resolving(
    store: &Store,
    owner: Kind,
    src: &Element,
    line: bool,
) -> Result<Element, Status> {
    if src.name.ends_with("Ref") && !src.children.is_empty() {
        return resolve_ref(store, owner, src, line);
    }
    let mut out = Element::new(src.name.clone());
    out.attrs = src.attrs.clone();
    out.text = src.text.clone();
    for c in &src.children {
        out.children.push(copy_resolving(store, owner, c, line)?);
    }
    Ok(out)
}

fn is_sales_line(base: &str) -> bool {
    matches!(
        base,
        "InvoiceLine" | "SalesReceiptLine" | "CreditMemoLine" | "EstimateLine" | "SalesOrderLine"
    )
}

/// The first non-empty text at one of `paths` in an item.
fn item_text<'a>(item: &'a Record, paths: &[&[&str]]) -> Option<&'a str> {
    paths
        .iter()
        .find_map(|p| item.body.path(p).map(|e| e.text.as_str()))
        .filter(|s| !s.is_empty())
}

/// Sales price of an item.
pub(crate) fn item_price(item: &Record) -> Option<Dec> {
    item_text(
        item,
        &[
            &["SalesOrPurchase", "Price"],
            &["SalesAndPurchase", "SalesPrice"],
            &["SalesPrice"],
        ],
    )
    .and_then(parse_dec)
}

/// Purchase cost of an item.
pub(crate) fn item_cost(item: &Record) -> Option<Dec> {
    item_text(
        item,
        &[
            &["SalesAndPurchase", "PurchaseCost"],
            &["PurchaseCost"],
            &["SalesOrPurchase", "Price"],
        ],
    )
    .and_then(parse_dec)
}

fn item_desc(item: &Record, sales: bool) -> Option<&str> {
    if sales {
        item_text(
            item,
            &[
                &["SalesOrPurchase", "Desc"],
                &["SalesAndPurchase", "SalesDesc"],
                &["SalesDesc"],
                &["ItemDesc"],
            ],
        )
    } else {
        item_text(
            item,
            &[
                &["SalesAndPurchase", "PurchaseDesc"],
                &["PurchaseDesc"],
                &["SalesOrPurchase", "Desc"],
            ],
        )
    }
}

/// Fills a line's computed fields. `recompute` = the request did not fix `Amount` (it is
/// `Quantity × Rate`, the rate defaulting to the item's price or cost).
pub(crate) fn finish_line(store: &Store, base: &str, line: &mut Element, recompute: bool) {
    let priced = is_sales_line(base) || base == "PurchaseOrderLine" || base == "ItemLine";
    if !priced {
        let a = line
            .child_text("Amount")
            .and_then(parse_amount)
            .unwrap_or(0);
        set_leaf(line, "Amount", fmt_amount(a));
        return;
    }
    let rate_field = if base == "ItemLine" { "Cost" } else { "Rate" };
    let sales = is_sales_line(base);
    let item = line
        .find("ItemRef")
        .and_then(|r| r.child_text("ListID"))
        .and_then(|id| store.get(id));
    if line.find("Desc").is_none() {
        if let Some(d) = item.and_then(|i| item_desc(i, sales)) {
            let d = d.to_string();
            set_leaf(line, "Desc", d);
        }
    }
    let qty = line.child_text("Quantity").and_then(parse_dec);
    let mut rate = line.child_text(rate_field).and_then(parse_dec);
    if line.find("RatePercent").is_some() {
        rate = None;
    }
    if recompute {
        if rate.is_none() && line.find("RatePercent").is_none() {
            rate = item.and_then(|i| if sales { item_price(i) } else { item_cost(i) });
        }
        let amount = match rate {
            Some(r) => {
                set_leaf(line, rate_field, fmt_price(r));
                times(qty.unwrap_or(100_000), r)
            }
            None => line
                .child_text("Amount")
                .and_then(parse_amount)
                .unwrap_or(0),
        };
        set_leaf(line, "Amount", fmt_amount(amount));
    } else {
        let amount = line
            .child_text("Amount")
            .and_then(parse_amount)
            .unwrap_or(0);
        set_leaf(line, "Amount", fmt_amount(amount));
        if let (Some(q), None) = (qty, rate) {
            if q != 0 && line.find("RatePercent").is_none() {
                set_leaf(line, rate_field, fmt_price(rate_of(amount, q)));
            }
        }
    }
}

/// A new line `{base}Ret` from a `{base}Add` (or a `{base}Mod` with `TxnLineID` -1).
pub(crate) fn build_line(
    store: &Store,
    owner: Kind,
    base: &str,
    src: &Element,
    line_id: String,
) -> Result<Element, Status> {
    if base == "DepositLine" {
        if let Some(pid) = src.child_text("PaymentTxnID") {
            return deposit_payment_line(store, owner, src, pid, line_id);
        }
    }
    let mut line = Element::new(format!("{base}Ret")).leaf("TxnLineID", line_id);
    for c in &src.children {
        if c.name == "TxnLineID" {
            continue;
        }
        line.children.push(copy_resolving(store, owner, c, true)?);
    }
    let recompute = src.find("Amount").is_none();
    finish_line(store, base, &mut line, recompute);
    Ok(line)
}

/// Merges a `{base}Mod` into the stored line (fields sent replace the stored ones).
pub(crate) fn merge_line(
    store: &Store,
    owner: Kind,
    base: &str,
    stored: &Element,
    m: &Element,
) -> Result<Element, Status> {
    let mut line = stored.clone();
    for c in &m.children {
        if c.name == "TxnLineID" {
            continue;
        }
        let v = copy_resolving(store, owner, c, true)?;
        line.children.retain(|x| x.name != c.name);
        if !(v.text.is_empty() && v.children.is_empty()) {
            line.children.push(v);
        }
    }
    let rate_field = if base == "ItemLine" { "Cost" } else { "Rate" };
    let recompute = m.find("Amount").is_none()
        && (m.find("Quantity").is_some()
            || m.find(rate_field).is_some()
            || m.find("ItemRef").is_some());
    finish_line(store, base, &mut line, recompute);
    Ok(line)
}

fn deposit_payment_line(
    store: &Store,
    owner: Kind,
    src: &Element,
    payment_id: &str,
    line_id: String,
) -> Result<Element, Status> {
    let Some(p) = store.get_of(&[Kind::ReceivePayment, Kind::SalesReceipt], payment_id) else {
        return Err(Status::invalid_reference(
            "Transaction",
            payment_id,
            owner.name(),
            true,
        ));
    };
    let mut line = Element::new("DepositLineRet")
        .leaf("TxnType", p.kind.name())
        .leaf("TxnID", p.id.clone())
        .leaf("TxnLineID", line_id);
    if let Some(c) = p.body.find("CustomerRef") {
        line.children.push(c.clone().with_name("EntityRef"));
    }
    if let Some(a) = p.body.find("DepositToAccountRef") {
        line.children.push(a.clone().with_name("AccountRef"));
    }
    if let Some(m) = src.child_text("OverrideMemo").or_else(|| p.text("Memo")) {
        line = line.leaf("Memo", m);
    }
    if let Some(n) = src.child_text("OverrideCheckNumber") {
        line = line.leaf("CheckNumber", n);
    }
    if let Some(pm) = p.body.find("PaymentMethodRef") {
        line.children.push(pm.clone());
    }
    let amount = match p.kind {
        Kind::SalesReceipt => p.amount("TotalAmount"),
        _ => p.amount("TotalAmount"),
    };
    line = line.leaf("Amount", fmt_amount(amount));
    Ok(line)
}

trait WithName {
    fn with_name(self, name: &str) -> Self;
}

impl WithName for Element {
    fn with_name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }
}

/// A journal line (`JournalDebitLine`/`JournalCreditLine`) with its `TxnLineID`.
pub(crate) fn journal_line(
    store: &Store,
    src: &Element,
    debit: bool,
    line_id: String,
) -> Result<Element, Status> {
    let name = if debit {
        "JournalDebitLine"
    } else {
        "JournalCreditLine"
    };
    let mut line = Element::new(name).leaf("TxnLineID", line_id);
    for c in &src.children {
        if matches!(c.name.as_str(), "TxnLineID" | "JournalLineType") {
            continue;
        }
        line.children
            .push(copy_resolving(store, Kind::JournalEntry, c, true)?);
    }
    finish_line(store, name, &mut line, false);
    Ok(line)
}

/// One payment application: `AppliedToTxnAdd`/`AppliedToTxnMod` → stored `AppliedToTxnRet`
/// (`TxnID`, `Amount`, discount), checked against the target's open amount. `payer` is the
/// paying transaction (excluded from "already paid" on a Mod), `pending` what this request
/// already applied to the same target.
pub(crate) fn applied(
    store: &Store,
    owner: Kind,
    entity: Option<&str>,
    src: &Element,
    payer: Option<&str>,
    pending: i64,
) -> Result<(Element, String, i64), Status> {
    let tid = src.child_text("TxnID").unwrap_or("");
    let target_kind = if owner == Kind::BillPaymentCheck {
        Kind::Bill
    } else {
        Kind::Invoice
    };
    let Some(target) = store.get(tid) else {
        return Err(Status::missing_object(tid));
    };
    if target.kind != target_kind {
        return Err(Status::invalid_reference(
            target_kind.name(),
            tid,
            owner.name(),
            false,
        ));
    }
    let target_entity = target.ref_id(target_kind.entity_field().unwrap_or("CustomerRef"));
    if let (Some(want), Some(have)) = (entity, target_entity) {
        if !is_same_or_child(store, want, have) {
            return Err(Status::invalid_reference(
                target_kind.name(),
                tid,
                owner.name(),
                false,
            ));
        }
    }
    let own_previous: i64 = payer.map_or(0, |p| {
        applications(store, tid)
            .iter()
            .filter(|(id, _)| id == p)
            .map(|(_, a)| a)
            .sum()
    });
    let open = open_amount(store, target) + own_previous - pending;
    let amount = src
        .child_text("PaymentAmount")
        .and_then(parse_amount)
        .unwrap_or(open.max(0));
    if amount > open {
        return Err(Status::invalid_value(
            "AppliedToTxnAdd payment amount",
            &fmt_amount(amount),
            "You cannot pay more than the amount due.",
        ));
    }
    let mut ret = Element::new("AppliedToTxnRet")
        .leaf("TxnID", tid)
        .leaf("Amount", fmt_amount(amount));
    for name in ["DiscountAmount", "DiscountAccountRef", "DiscountClassRef"] {
        if let Some(c) = src.find(name) {
            ret.children.push(copy_resolving(store, owner, c, false)?);
        }
    }
    Ok((ret, tid.to_string(), amount))
}

/// Whether `child` is `ancestor` or one of its jobs.
fn is_same_or_child(store: &Store, ancestor: &str, child: &str) -> bool {
    let mut cur = Some(child.to_string());
    let mut n = 0;
    while let Some(id) = cur.take() {
        if id == ancestor {
            return true;
        }
        n += 1;
        if n > 16 {
            break;
        }
        cur = store
            .get(&id)
            .and_then(|r| r.ref_id("ParentRef"))
            .map(str::to_string);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qbd::store::Record;

    fn item(store: &mut Store) -> String {
        let id = "80000001-1".to_string();
        store.insert(Record {
            kind: Kind::ItemService,
            id: id.clone(),
            seq: 0,
            created: 1,
            modified: 1,
            edit_seq: 1,
            txn_number: None,
            voided: false,
            body: Element::new("ItemServiceRet").leaf("Name", "Design").child(
                Element::new("SalesOrPurchase")
                    .leaf("Desc", "Design work")
                    .leaf("Price", "75.00"),
            ),
        });
        id
    }

    #[test]
    fn lines_take_item_defaults_and_multiply() {
        let mut s = Store::default();
        item(&mut s);
        let src = Element::new("InvoiceLineAdd")
            .child(Element::new("ItemRef").leaf("FullName", "design"))
            .leaf("Quantity", "2.5");
        let line = build_line(&s, Kind::Invoice, "InvoiceLine", &src, "A-1".into()).expect("line");
        assert_eq!(line.child_text("Amount"), Some("187.50"));
        assert_eq!(line.child_text("Rate"), Some("75.00"));
        assert_eq!(line.child_text("Desc"), Some("Design work"));
        assert_eq!(
            line.path(&["ItemRef", "ListID"]).map(|e| e.text.as_str()),
            Some("80000001-1")
        );
        let m = Element::new("InvoiceLineMod")
            .leaf("TxnLineID", "A-1")
            .leaf("Quantity", "1");
        let merged = merge_line(&s, Kind::Invoice, "InvoiceLine", &line, &m).expect("merge");
        assert_eq!(merged.child_text("Amount"), Some("75.00"));
    }

    #[test]
    fn unknown_line_item_is_3140_line_form() {
        let s = Store::default();
        let src = Element::new("SalesOrderLineAdd")
            .child(Element::new("ItemRef").leaf("FullName", "Widget"));
        let err = build_line(&s, Kind::SalesOrder, "SalesOrderLine", &src, "1-1".into())
            .expect_err("3140");
        assert_eq!(err.code, 3140);
        assert!(err
            .message
            .contains("QuickBooks Item \"Widget\" in the SalesOrder line."));
    }
}
