//! The test/demo control surface of the company file: act as a QuickBooks user behind the
//! agent's back (add, modify, deactivate, void, delete — each issuing a new `EditSequence` and
//! `TimeModified`), read and count records, arm faults (lock/permission codes on the next
//! write, a lost response, garbled (non-UTF-8) responses, a failing open, values outside the
//! XSD), move the clock, and read statistics.

use super::kinds::Kind;
use super::ret::{render, RenderOpts};
use super::schema;
use super::status::Status;
use super::write::{self, WriteCtx};
use super::{QbdCompany, State};
use crate::qbwc::host::Hresult;
use qbsync_qbxml::Element;
use std::collections::BTreeMap;

/// Errors of admin actions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QbdAdminError {
    #[error("unknown object type {0}")]
    UnknownKind(String),
    #[error("no {0} with id {1}")]
    NotFound(String, String),
    #[error("QuickBooks refused: {} {}", .0.code, .0.message)]
    Refused(Status),
}

/// What the company file has processed and holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QbdStats {
    /// Message sets that passed the parse checks.
    pub message_sets: u64,
    /// Documents rejected with HRESULT `0x80040400`.
    pub parse_errors: u64,
    /// Requests processed, by request element (`CustomerQueryRq`).
    pub requests: BTreeMap<String, u64>,
    /// Responses by `statusCode`.
    pub statuses: BTreeMap<u32, u64>,
    /// Stored records by type.
    pub records: BTreeMap<String, usize>,
    /// Entries in the deleted-object log.
    pub deleted: usize,
    /// Live iterators.
    pub iterators: usize,
    /// Message sets remembered for error recovery.
    pub recovery_sets: usize,
}

/// Cheap-clone control handle on a [`QbdCompany`].
#[derive(Clone, Debug)]
pub struct QbdAdmin {
    company: QbdCompany,
}

fn kind(name: &str) -> Result<Kind, QbdAdminError> {
    Kind::from_name(name).ok_or_else(|| QbdAdminError::UnknownKind(name.to_string()))
}

fn ctx(st: &State) -> WriteCtx {
    let now = st.now();
    WriteCtx {
        now,
        today: st.zone().date(now),
    }
}

fn ret_of(st: &mut State, id: &str) -> Option<Element> {
    let d = st.derived();
    let r = st.store.get(id)?;
    let opts = RenderOpts {
        linked: true,
        ..RenderOpts::full()
    };
    let mut e = render(&st.store, &d, st.zone(), r, &opts);
    if let Ok(s) = schema::load(&st.schema_root, "13.0") {
        s.conform_global(&mut e);
    }
    Some(e)
}

impl QbdAdmin {
    pub(crate) fn new(company: QbdCompany) -> Self {
        QbdAdmin { company }
    }

    /// Adds a record as a QuickBooks user would: `fields` holds the children of a
    /// `{kind}Add` (its own name does not matter). Returns the new `*Ret`.
    pub fn add(&self, kind_name: &str, fields: Element) -> Result<Element, QbdAdminError> {
        let k = kind(kind_name)?;
        let mut st = self.company.lock();
        let c = ctx(&st);
        let id = write::add(&mut st.store, k, &fields, &c).map_err(QbdAdminError::Refused)?;
        ret_of(&mut st, &id).ok_or(QbdAdminError::NotFound(kind_name.into(), id))
    }

    /// Changes fields of a record (children as in a `{kind}Mod`, without `ListID`/`TxnID`
    /// and `EditSequence`); lines follow the Mod rules.
    pub fn modify(
        &self,
        kind_name: &str,
        id: &str,
        fields: Element,
    ) -> Result<Element, QbdAdminError> {
        let k = kind(kind_name)?;
        let mut st = self.company.lock();
        if st.store.get_of(&[k], id).is_none() {
            return Err(QbdAdminError::NotFound(kind_name.into(), id.into()));
        }
        let c = ctx(&st);
        write::apply_mod(&mut st.store, k, id, &fields, &c, false)
            .map_err(QbdAdminError::Refused)?;
        ret_of(&mut st, id).ok_or(QbdAdminError::NotFound(kind_name.into(), id.into()))
    }

    /// Marks a list record inactive (`IsActive` false); it is not a deletion.
    pub fn deactivate(&self, kind_name: &str, id: &str) -> Result<Element, QbdAdminError> {
        self.modify(kind_name, id, Element::new("Mod").leaf("IsActive", "false"))
    }

    /// Voids a transaction.
    pub fn void(&self, kind_name: &str, id: &str) -> Result<Element, QbdAdminError> {
        let k = kind(kind_name)?;
        let mut st = self.company.lock();
        let c = ctx(&st);
        write::void(&mut st.store, k, id, &c).map_err(QbdAdminError::Refused)?;
        ret_of(&mut st, id).ok_or(QbdAdminError::NotFound(kind_name.into(), id.into()))
    }

    /// Deletes a list record or transaction (logged for the deleted-object queries).
    pub fn delete(&self, kind_name: &str, id: &str) -> Result<(), QbdAdminError> {
        let k = kind(kind_name)?;
        let mut st = self.company.lock();
        let c = ctx(&st);
        let r = if k.is_txn() {
            write::delete_txn(&mut st.store, k, id, &c)
        } else {
            write::delete_list(&mut st.store, k, id, &c)
        };
        r.map(|_| ()).map_err(QbdAdminError::Refused)
    }

    /// The full `*Ret` (lines and linked transactions included) of a record.
    pub fn get(&self, id: &str) -> Option<Element> {
        ret_of(&mut self.company.lock(), id)
    }

    /// The `*Ret` of the record of `kind` with this full name (or `RefNumber` for
    /// transactions).
    pub fn find(&self, kind_name: &str, name: &str) -> Option<Element> {
        let k = Kind::from_name(kind_name)?;
        let mut st = self.company.lock();
        let id = if k.is_txn() {
            st.store
                .of_kind(k)
                .find(|r| r.ref_number() == Some(name))
                .map(|r| r.id.clone())
        } else {
            st.store.find_by_name(&[k], name).map(|r| r.id.clone())
        }?;
        ret_of(&mut st, &id)
    }

    /// Ids of every record of a kind, in creation order.
    pub fn ids(&self, kind_name: &str) -> Result<Vec<String>, QbdAdminError> {
        let k = kind(kind_name)?;
        Ok(self
            .company
            .lock()
            .store
            .of_kind(k)
            .map(|r| r.id.clone())
            .collect())
    }

    /// Number of records of a kind.
    pub fn count(&self, kind_name: &str) -> Result<usize, QbdAdminError> {
        let k = kind(kind_name)?;
        Ok(self.company.lock().store.count(k))
    }

    /// Current `EditSequence` of a record.
    pub fn edit_sequence(&self, id: &str) -> Option<String> {
        self.company
            .lock()
            .store
            .get(id)
            .map(|r| r.edit_seq.to_string())
    }

    /// The first write item of the next message set that has one fails with `code`
    /// (3170, 3175, 3176, 3180, 3250, 3260, 3261).
    pub fn fail_next_write(&self, code: u32) {
        self.company.lock().faults.next_write = Some(code);
    }

    /// The next message set with a write is applied, remembered for error recovery, and its
    /// response flagged as lost ([`QbdCompany::take_drop_response`]).
    pub fn lose_next_response(&self) {
        self.company.lock().faults.lose_next_response = true;
    }

    /// The next `count` responses (reads and writes alike) are processed as usual, writes
    /// applied and remembered for error recovery, then reach the agent with a byte that is not
    /// UTF-8 (0xE9, `é` in Latin-1, inside the first `Name`), as answers from a company file
    /// holding Latin-1 text would ([`QbdCompany::take_garble`]). Answers to error recovery
    /// status checks count as responses too.
    pub fn garble_next_responses(&self, count: u32) {
        self.garble_responses_after(0, count);
    }

    /// Like [`garble_next_responses`](Self::garble_next_responses), after `after` more
    /// responses delivered intact (e.g. the second page of an iterator).
    pub fn garble_responses_after(&self, after: u32, count: u32) {
        let f = &mut self.company.lock().faults;
        f.garble_after = after;
        f.garble_responses = count;
        f.garble_containing = None;
    }

    /// The next `count` responses that hold `text` (e.g. `<Name>Café René</Name>`) get the
    /// Latin-1 byte inside it, as every answer naming a record stored in Latin-1 would; other
    /// responses are not affected and do not count. `u32::MAX` is "always".
    pub fn garble_responses_containing(&self, text: &str, count: u32) {
        let f = &mut self.company.lock().faults;
        f.garble_after = 0;
        f.garble_responses = count;
        f.garble_containing = Some(text.to_string());
    }

    /// The next `open` fails with `hresult` (e.g. `0x80040401`).
    pub fn fail_next_open(&self, hresult: Hresult) {
        self.company.lock().faults.next_open = Some(hresult);
    }

    /// Emit values real QuickBooks sends that the XSD lacks (`PreferredDeliveryMethod`
    /// `Mail`, report `ColType` `UnitOfMeasureUnit`).
    pub fn set_off_schema_values(&self, on: bool) {
        self.company.lock().faults.off_schema_values = on;
    }

    /// Moves the company's clock forward (or back with a negative value).
    pub fn advance_clock(&self, secs: i64) {
        self.company.lock().clock_offset += secs;
    }

    /// The company's current time (unix seconds).
    pub fn now(&self) -> i64 {
        self.company.lock().now()
    }

    /// The current time as QuickBooks writes it (`2024-07-19T07:21:56-05:00`).
    pub fn now_text(&self) -> String {
        let st = self.company.lock();
        st.zone().format_datetime(st.now())
    }

    /// Formats an instant as QuickBooks does.
    pub fn format_time(&self, secs: i64) -> String {
        self.company.lock().zone().format_datetime(secs)
    }

    /// Stamps (or re-stamps) the `FileID` DataExt QBWC keeps under `owner_id`.
    pub fn set_file_stamp(&self, owner_id: &str, file_id: &str) {
        self.company
            .lock()
            .stamps
            .insert(owner_id.to_string(), file_id.to_string());
    }

    /// Statistics.
    pub fn stats(&self) -> QbdStats {
        let st = self.company.lock();
        let mut records = BTreeMap::new();
        for k in super::kinds::ALL {
            let n = st.store.count(k);
            if n > 0 {
                records.insert(k.name().to_string(), n);
            }
        }
        QbdStats {
            message_sets: st.counters.message_sets,
            parse_errors: st.counters.parse_errors,
            requests: st.counters.requests.clone(),
            statuses: st.counters.statuses.clone(),
            records,
            deleted: st.store.deleted.len(),
            iterators: st.iterators.len(),
            recovery_sets: st.recovery.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::qbd::{QbdCompany, QbdConfig};

    #[test]
    fn garbled_responses_come_after_the_ones_left_intact() {
        let qb = QbdCompany::seeded(QbdConfig {
            customers: 0,
            ..Default::default()
        });
        let named = "<QBXML><Name>Acme</Name></QBXML>";
        assert_eq!(qb.take_garble(named), None, "nothing armed");
        qb.admin().garble_responses_after(1, 2);
        let taken: Vec<Option<usize>> = (0..5).map(|_| qb.take_garble(named)).collect();
        assert_eq!(taken, [None, Some(13), Some(13), None, None]);
        qb.admin().garble_next_responses(1);
        assert_eq!(qb.take_garble("<QBXML/>"), Some(0));
        assert_eq!(qb.take_garble("<QBXML/>"), None);
        // Only answers naming the record count; the byte goes inside its name.
        qb.admin()
            .garble_responses_containing("<Name>Café</Name>", 2);
        assert_eq!(qb.take_garble(named), None);
        let cafe = "<QBXML><Name>Acme</Name><Name>Café</Name></QBXML>";
        assert_eq!(qb.take_garble(cafe), Some(25));
        assert_eq!(qb.take_garble(named), None);
        assert_eq!(qb.take_garble(cafe), Some(25));
        assert_eq!(qb.take_garble(cafe), None, "used up");
    }
}
