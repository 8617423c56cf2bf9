//! `ListDeletedQueryRq` and `TxnDeletedQueryRq` (§11): the deletion log filtered by type and
//! `DeletedDateRangeFilter`, as `ListDeletedRet`/`TxnDeletedRet` rows. No iterators (the XSD
//! rejects the attribute).

use super::kinds::Kind;
use super::query::Outcome;
use super::status::Status;
use super::State;
use qbsync_qbxml::Element;

/// Runs a deleted-object query; `txn` selects `TxnDeletedQueryRq`.
pub(crate) fn query(st: &mut State, rq: &Element, txn: bool) -> Outcome {
    let zone = st.zone();
    let type_field = if txn { "TxnDelType" } else { "ListDelType" };
    let wanted: Vec<&str> = rq.find_all(type_field).map(|e| e.text.as_str()).collect();
    let (mut from, mut to) = (None, None);
    if let Some(f) = rq.find("DeletedDateRangeFilter") {
        for (field, slot) in [("FromDeletedDate", &mut from), ("ToDeletedDate", &mut to)] {
            if let Some(v) = f.child_text(field).filter(|v| !v.is_empty()) {
                match zone.parse_datetime(v) {
                    Some(t) => *slot = Some(t),
                    None => return Outcome::status(Status::bad_date(v, field)),
                }
            }
        }
    }
    let include: Vec<&str> = rq
        .find_all("IncludeRetElement")
        .map(|e| e.text.as_str())
        .collect();
    let mut rows: Vec<Element> = Vec::new();
    for d in &st.store.deleted {
        if d.kind.is_txn() != txn || !wanted.contains(&d.kind.name()) {
            continue;
        }
        if from.is_some_and(|f| d.deleted < f) || to.is_some_and(|t| d.deleted > t) {
            continue;
        }
        let (ret, id_field, label_field) = if txn {
            ("TxnDeletedRet", "TxnID", "RefNumber")
        } else {
            ("ListDeletedRet", "ListID", "FullName")
        };
        let mut e = Element::new(ret)
            .leaf(type_field, d.kind.name())
            .leaf(id_field, d.id.clone())
            .leaf("TimeCreated", zone.format_datetime(d.created))
            .leaf("TimeDeleted", zone.format_datetime(d.deleted));
        if let Some(l) = d.label.as_ref().filter(|l| !l.is_empty()) {
            e = e.leaf(label_field, l.clone());
        }
        if !include.is_empty() {
            e.children.retain(|c| include.contains(&c.name.as_str()));
        }
        rows.push(e);
    }
    Outcome {
        status: if rows.is_empty() {
            Status::no_match()
        } else {
            Status::ok()
        },
        attrs: vec![("retCount".into(), rows.len().to_string())],
        rets: rows,
    }
}

/// The kind a `ListDelType`/`TxnDelType`/`TxnVoidType` names, when the file keeps that kind.
pub(crate) fn kind_of(type_name: &str, txn: bool) -> Option<Kind> {
    Kind::from_name(type_name).filter(|k| k.is_txn() == txn)
}
