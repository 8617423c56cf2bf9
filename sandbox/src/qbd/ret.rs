//! Turning a stored record into the `*Ret` QuickBooks returns: core fields, computed fields
//! (`FullName`, `Sublevel`, balances, `QuantityOnHand`), references with current names, line
//! items only when asked for, `LinkedTxn` when asked for, and `IncludeRetElement` applied.
//! The caller puts the result into XSD order.

use super::derived::Derived;
use super::ids::HostZone;
use super::kinds::Kind;
use super::ledger::debit_normal;
use super::money::{fmt_amount, fmt_dec, parse_dec};
use super::store::{Record, Store};
use super::totals::set_leaf;
use qbsync_qbxml::Element;

/// What the query asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct RenderOpts {
    /// `IncludeLineItems`.
    pub lines: bool,
    /// `IncludeLinkedTxns`.
    pub linked: bool,
    /// `IncludeRetElement` values (empty = everything).
    pub include: Vec<String>,
    /// Fault injection: values outside the XSD.
    pub off_schema: bool,
}

impl RenderOpts {
    /// Everything (write responses and admin reads).
    pub fn full() -> RenderOpts {
        RenderOpts {
            lines: true,
            linked: false,
            include: Vec::new(),
            off_schema: false,
        }
    }
}

fn is_line(name: &str) -> bool {
    name.ends_with("LineRet") || name == "JournalDebitLine" || name == "JournalCreditLine"
}

/// Refreshes the `FullName` of every reference that points at a stored record.
fn refresh_refs(store: &Store, e: &mut Element) {
    for c in &mut e.children {
        if c.name.ends_with("Ref") {
            if let Some(t) = c.child_text("ListID").and_then(|id| store.get(id)) {
                let label = store.label(t);
                if c.find("FullName").is_some() || !label.is_empty() {
                    set_leaf(c, "FullName", label);
                }
            }
        } else if !c.children.is_empty() {
            refresh_refs(store, c);
        }
    }
}

/// Sum over a record and its descendants (jobs, sub-accounts).
fn with_descendants(store: &Store, r: &Record, own: &dyn Fn(&str) -> i64) -> i64 {
    let mut total = own(&r.id);
    for c in store.of_kind(r.kind) {
        if c.ref_id("ParentRef") == Some(r.id.as_str()) {
            total += with_descendants(store, c, own);
        }
    }
    total
}

fn applied_ret(store: &Store, a: &Element) -> Element {
    let mut out = a.clone();
    if let Some(t) = a.child_text("TxnID").and_then(|id| store.get(id)) {
        set_leaf(&mut out, "TxnType", t.kind.name());
        if let Some(d) = t.text("TxnDate") {
            set_leaf(&mut out, "TxnDate", d);
        }
        if let Some(n) = t.ref_number() {
            set_leaf(&mut out, "RefNumber", n);
        }
        let bal = match t.kind {
            Kind::Bill => t.text("OpenAmount"),
            _ => t.text("BalanceRemaining"),
        };
        if let Some(b) = bal {
            set_leaf(&mut out, "BalanceRemaining", b);
        }
    } else if out.find("TxnType").is_none() {
        set_leaf(&mut out, "TxnType", "Invoice");
    }
    out
}

/// The `*Ret` of a record.
pub(crate) fn render(
    store: &Store,
    d: &Derived,
    zone: HostZone,
    r: &Record,
    o: &RenderOpts,
) -> Element {
    let mut e = Element::new(r.kind.ret());
    let id_field = if r.kind.is_txn() { "TxnID" } else { "ListID" };
    e = e
        .leaf(id_field, r.id.clone())
        .leaf("TimeCreated", zone.format_datetime(r.created))
        .leaf("TimeModified", zone.format_datetime(r.modified))
        .leaf("EditSequence", r.edit_seq.to_string());
    if let Some(n) = r.txn_number {
        e = e.leaf("TxnNumber", n.to_string());
    }
    for c in &r.body.children {
        if !o.lines && is_line(&c.name) {
            continue;
        }
        if c.name == "AppliedToTxnRet" {
            e.children.push(applied_ret(store, c));
        } else {
            e.children.push(c.clone());
        }
    }
    refresh_refs(store, &mut e);
    if !r.kind.is_txn() {
        if r.kind.has_full_name() {
            set_leaf(&mut e, "FullName", store.full_name(r));
            set_leaf(&mut e, "Sublevel", store.sublevel(r).to_string());
        }
        if e.find("IsActive").is_none() {
            e = e.leaf("IsActive", "true");
        }
    }
    match r.kind {
        Kind::Customer => {
            let own = |id: &str| d.receivable.get(id).copied().unwrap_or(0);
            set_leaf(&mut e, "Balance", fmt_amount(own(&r.id)));
            set_leaf(
                &mut e,
                "TotalBalance",
                fmt_amount(with_descendants(store, r, &own)),
            );
            if o.off_schema {
                set_leaf(&mut e, "PreferredDeliveryMethod", "Mail");
            }
        }
        Kind::Vendor => {
            set_leaf(
                &mut e,
                "Balance",
                fmt_amount(d.payable.get(&r.id).copied().unwrap_or(0)),
            );
        }
        Kind::Account => {
            let sign = if debit_normal(r.text("AccountType").unwrap_or("")) {
                1
            } else {
                -1
            };
            let own = |id: &str| sign * d.account_sum.get(id).copied().unwrap_or(0);
            set_leaf(&mut e, "Balance", fmt_amount(own(&r.id)));
            set_leaf(
                &mut e,
                "TotalBalance",
                fmt_amount(with_descendants(store, r, &own)),
            );
        }
        Kind::ItemInventory => {
            let base = r.text("QuantityOnHand").and_then(parse_dec).unwrap_or(0);
            let moved = d.item_moves.get(&r.id).copied().unwrap_or(0);
            set_leaf(&mut e, "QuantityOnHand", fmt_dec(base + moved));
            if let Some(c) = r.text("PurchaseCost") {
                set_leaf(&mut e, "AverageCost", c);
            }
        }
        _ => {}
    }
    if o.linked {
        if let Some(links) = d.links.get(&r.id) {
            for l in links {
                let mut lt = Element::new("LinkedTxn")
                    .leaf("TxnID", l.from.clone())
                    .leaf("TxnType", l.kind.name())
                    .leaf("TxnDate", l.date.clone().unwrap_or_default());
                if let Some(n) = &l.ref_number {
                    lt = lt.leaf("RefNumber", n.clone());
                }
                lt = lt
                    .leaf("LinkType", "AMTTYPE")
                    .leaf("Amount", fmt_amount(-l.amount));
                e.children.push(lt);
            }
        }
    }
    if !o.include.is_empty() {
        e.children
            .retain(|c| o.include.iter().any(|i| i == &c.name));
    }
    e
}
