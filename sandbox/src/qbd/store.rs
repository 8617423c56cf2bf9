//! The company file's tables: every list record and transaction as its `*Ret` body (without
//! the core fields, which live on [`Record`]), an id index, and the deleted-object log.

use super::ids::{parse_date, IdGen};
use super::kinds::Kind;
use super::money::parse_amount;
use chrono::NaiveDate;
use qbsync_qbxml::Element;
use std::collections::{BTreeMap, HashMap};

/// One stored object.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub kind: Kind,
    /// `ListID` or `TxnID`.
    pub id: String,
    /// Creation order (stable sort key).
    pub seq: u64,
    pub created: i64,
    pub modified: i64,
    pub edit_seq: i64,
    /// `TxnNumber` of transactions.
    pub txn_number: Option<u64>,
    /// Set by `TxnVoidRq`.
    pub voided: bool,
    /// `{Kind}Ret` with every child except the core fields (`ListID`/`TxnID`, `TimeCreated`,
    /// `TimeModified`, `EditSequence`, `TxnNumber`) and fields computed on output.
    pub body: Element,
}

impl Record {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.body.child_text(name).filter(|s| !s.is_empty())
    }

    /// `Name` of a list record (empty for transactions).
    pub fn name(&self) -> &str {
        self.text("Name").unwrap_or("")
    }

    pub fn ref_number(&self) -> Option<&str> {
        self.text("RefNumber")
    }

    /// The `ListID` inside reference `field` (`CustomerRef`).
    pub fn ref_id(&self, field: &str) -> Option<&str> {
        self.body
            .find(field)
            .and_then(|r| r.child_text("ListID"))
            .filter(|s| !s.is_empty())
    }

    pub fn is_active(&self) -> bool {
        self.text("IsActive") != Some("false")
    }

    /// Amount field in cents (0 when absent).
    pub fn amount(&self, field: &str) -> i64 {
        self.text(field).and_then(parse_amount).unwrap_or(0)
    }

    pub fn txn_date(&self) -> Option<NaiveDate> {
        self.text("TxnDate").and_then(parse_date)
    }
}

/// A deleted list record or transaction, as `ListDeletedQueryRq`/`TxnDeletedQueryRq` list it.
#[derive(Debug, Clone)]
pub(crate) struct Deleted {
    pub kind: Kind,
    pub id: String,
    pub created: i64,
    pub deleted: i64,
    /// `FullName` of a list record, `RefNumber` of a transaction.
    pub label: Option<String>,
}

/// All records, by kind and creation order, with an id index.
#[derive(Debug, Default)]
pub(crate) struct Store {
    tables: BTreeMap<Kind, BTreeMap<u64, Record>>,
    index: HashMap<String, (Kind, u64)>,
    pub deleted: Vec<Deleted>,
    pub ids: IdGen,
    next_seq: u64,
    next_txn_number: u64,
    /// Bumped on every change (caches of derived values key on it).
    pub generation: u64,
    /// Payment applications by target `TxnID`: payer `TxnID` → amount (cents).
    applied: HashMap<String, BTreeMap<String, i64>>,
    /// Targets each payer applies to (to undo its entries).
    payer_targets: HashMap<String, Vec<String>>,
}

impl Store {
    /// Adds a new record; `seq` and `txn_number` are assigned here.
    pub fn insert(&mut self, mut r: Record) {
        self.next_seq += 1;
        r.seq = self.next_seq;
        if r.kind.is_txn() {
            self.next_txn_number += 1;
            r.txn_number = Some(self.next_txn_number);
        }
        self.index.insert(r.id.clone(), (r.kind, r.seq));
        let id = r.id.clone();
        self.tables.entry(r.kind).or_default().insert(r.seq, r);
        self.generation += 1;
        self.reindex_payer(&id);
    }

    /// Refreshes the application index for transaction `id` (after any change to it).
    pub fn reindex_payer(&mut self, id: &str) {
        self.unindex_payer(id);
        self.index_payer(id);
    }

    fn unindex_payer(&mut self, id: &str) {
        if let Some(old) = self.payer_targets.remove(id) {
            for t in old {
                if let Some(m) = self.applied.get_mut(&t) {
                    m.remove(id);
                    if m.is_empty() {
                        self.applied.remove(&t);
                    }
                }
            }
        }
    }

    fn index_payer(&mut self, id: &str) {
        let Some(r) = self.get(id) else { return };
        let apps: Vec<(String, i64)> = r
            .body
            .find_all("AppliedToTxnRet")
            .filter_map(|a| {
                let t = a.child_text("TxnID")?.to_string();
                let amt = a.child_text("Amount").and_then(parse_amount).unwrap_or(0);
                Some((t, amt))
            })
            .collect();
        if apps.is_empty() {
            return;
        }
        let mut targets = Vec::new();
        for (t, amt) in apps {
            *self
                .applied
                .entry(t.clone())
                .or_default()
                .entry(id.to_string())
                .or_default() += amt;
            targets.push(t);
        }
        self.payer_targets.insert(id.to_string(), targets);
    }

    /// What payments apply to `target`: `(payer TxnID, amount)`.
    pub fn applications(&self, target: &str) -> Vec<(String, i64)> {
        self.applied
            .get(target)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default()
    }

    pub fn get(&self, id: &str) -> Option<&Record> {
        let (k, s) = self.index.get(id)?;
        self.tables.get(k)?.get(s)
    }

    /// Mutable access; counts as a change.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Record> {
        let (k, s) = *self.index.get(id)?;
        self.generation += 1;
        self.tables.get_mut(&k)?.get_mut(&s)
    }

    /// A record of one of `kinds` with this id.
    pub fn get_of(&self, kinds: &[Kind], id: &str) -> Option<&Record> {
        self.get(id).filter(|r| kinds.contains(&r.kind))
    }

    pub fn remove(&mut self, id: &str) -> Option<Record> {
        let (k, s) = *self.index.get(id)?;
        self.unindex_payer(id);
        self.index.remove(id);
        self.generation += 1;
        self.tables.get_mut(&k)?.remove(&s)
    }

    /// Records of a kind in creation order.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Record> + '_ {
        self.tables.get(&kind).into_iter().flat_map(|t| t.values())
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.tables.get(&kind).map_or(0, BTreeMap::len)
    }

    /// Records of several kinds.
    pub fn of_kinds<'a>(&'a self, kinds: &'a [Kind]) -> impl Iterator<Item = &'a Record> + 'a {
        kinds.iter().flat_map(move |k| self.of_kind(*k))
    }

    /// Every transaction, in creation order within each kind.
    pub fn txns(&self) -> impl Iterator<Item = &Record> + '_ {
        self.tables
            .iter()
            .filter(|(k, _)| k.is_txn())
            .flat_map(|(_, t)| t.values())
    }

    /// `Parent:Child` full name of a list record.
    pub fn full_name(&self, r: &Record) -> String {
        let mut parts = vec![r.name().to_string()];
        let mut cur = r.ref_id("ParentRef").map(str::to_string);
        while let Some(pid) = cur.take() {
            if parts.len() > 16 {
                break;
            }
            match self.get(&pid) {
                Some(p) => {
                    parts.push(p.name().to_string());
                    cur = p.ref_id("ParentRef").map(str::to_string);
                }
                None => break,
            }
        }
        parts.reverse();
        parts.join(":")
    }

    /// Depth below the top level (0 = top).
    pub fn sublevel(&self, r: &Record) -> usize {
        let mut n = 0;
        let mut cur = r.ref_id("ParentRef").map(str::to_string);
        while let Some(pid) = cur.take() {
            n += 1;
            if n > 16 {
                break;
            }
            cur = self
                .get(&pid)
                .and_then(|p| p.ref_id("ParentRef"))
                .map(str::to_string);
        }
        n
    }

    /// How a reference to `r` is labelled: the full name of a list record, the `RefNumber`
    /// of a transaction.
    pub fn label(&self, r: &Record) -> String {
        if r.kind.is_txn() {
            r.ref_number().unwrap_or("").to_string()
        } else if r.kind.has_full_name() {
            self.full_name(r)
        } else {
            r.name().to_string()
        }
    }

    /// The record of one of `kinds` whose full name is `name` (case-insensitive).
    pub fn find_by_name(&self, kinds: &[Kind], name: &str) -> Option<&Record> {
        let want = name.to_lowercase();
        // Cheap test on the last segment first; full names only for candidates.
        let leaf = want.rsplit(':').next().unwrap_or(&want).to_string();
        for k in kinds {
            let found = self.of_kind(*k).find(|r| {
                let own = if r.kind.is_txn() {
                    r.ref_number().unwrap_or("")
                } else {
                    r.name()
                };
                own.to_lowercase() == leaf && self.label(r).to_lowercase() == want
            });
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// Resolves a reference aggregate (`ListID` wins over `FullName`).
    pub fn resolve(&self, kinds: &[Kind], reference: &Element) -> Option<&Record> {
        if let Some(id) = reference.child_text("ListID").filter(|s| !s.is_empty()) {
            return self.get_of(kinds, id);
        }
        let name = reference.child_text("FullName").filter(|s| !s.is_empty())?;
        self.find_by_name(kinds, name)
    }

    /// Whether any other record refers to `id` (in a reference or an applied transaction).
    pub fn is_referenced(&self, id: &str) -> bool {
        fn mentions(e: &Element, id: &str) -> bool {
            e.children.iter().any(|c| {
                ((c.name == "ListID" || c.name == "TxnID" || c.name == "PaymentTxnID")
                    && c.text == id)
                    || mentions(c, id)
            })
        }
        self.tables
            .values()
            .flat_map(|t| t.values())
            .any(|r| r.id != id && mentions(&r.body, id))
    }

    /// The next free numeric `RefNumber` of a kind.
    pub fn next_ref_number(&self, kind: Kind) -> String {
        let max = self
            .of_kind(kind)
            .filter_map(|r| r.ref_number().and_then(|s| s.parse::<u64>().ok()))
            .max()
            .unwrap_or(1000);
        (max + 1).to_string()
    }

    /// Sets new `TimeModified`/`EditSequence` on a record.
    pub fn touch(&mut self, id: &str, now: i64) {
        let es = self.ids.edit_sequence(now);
        if let Some(r) = self.get_mut(id) {
            r.modified = now;
            r.edit_seq = es;
        }
        self.reindex_payer(id);
    }

    /// The log of deletions.
    pub fn log_deleted(&mut self, r: &Record, label: Option<String>, now: i64) {
        self.deleted.push(Deleted {
            kind: r.kind,
            id: r.id.clone(),
            created: r.created,
            deleted: now,
            label,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(kind: Kind, id: &str, body: Element) -> Record {
        Record {
            kind,
            id: id.into(),
            seq: 0,
            created: 1,
            modified: 1,
            edit_seq: 1,
            txn_number: None,
            voided: false,
            body,
        }
    }

    #[test]
    fn full_names_follow_parents_and_lookup_is_case_insensitive() {
        let mut s = Store::default();
        s.insert(rec(
            Kind::Customer,
            "A",
            Element::new("CustomerRet").leaf("Name", "Acme"),
        ));
        s.insert(rec(
            Kind::Customer,
            "B",
            Element::new("CustomerRet")
                .leaf("Name", "Roof")
                .child(Element::new("ParentRef").leaf("ListID", "A")),
        ));
        let b = s.get("B").expect("B");
        assert_eq!(s.full_name(b), "Acme:Roof");
        assert_eq!(s.sublevel(b), 1);
        assert_eq!(
            s.find_by_name(&[Kind::Customer], "acme:roof")
                .map(|r| r.id.as_str()),
            Some("B")
        );
        assert!(s.is_referenced("A"));
        assert!(!s.is_referenced("B"));
        let r = Element::new("CustomerRef").leaf("FullName", "Acme");
        assert_eq!(
            s.resolve(&[Kind::Customer], &r).map(|r| r.id.as_str()),
            Some("A")
        );
        assert!(s.resolve(&[Kind::Vendor], &r).is_none());
    }
}
