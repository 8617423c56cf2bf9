//! In-memory company data: one table per catalogue entity, keyed by numeric Id, with a
//! LastUpdatedTime index (CDC, incremental queries) and a name index (uniqueness).

use crate::clock::meta_time;
use crate::query::{order_values, Condition, Op, Query, Selection};
use chrono::NaiveDate;
use qbsync_catalog::{Entity, QBO_ENTITIES};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The Id of a singleton's one object (CompanyInfo, Preferences), in its own table: it is not
/// taken from the realm's Id sequence.
pub const SINGLETON_ID: u64 = 1;

/// One stored object. Deleted transactions stay as tombstones (for CDC and the 610 answer).
#[derive(Debug, Clone)]
pub struct Record {
    pub obj: Map<String, Value>,
    /// `MetaData.LastUpdatedTime` in epoch seconds (of the deletion for tombstones).
    pub lut: i64,
    pub deleted: bool,
    /// `Active` (true for transactions).
    pub active: bool,
}

#[derive(Debug)]
pub struct Table {
    pub entity: &'static Entity,
    pub rows: BTreeMap<u64, Record>,
    pub by_lut: BTreeSet<(i64, u64)>,
}

/// The result of a query, ready to wrap.
#[derive(Debug)]
pub enum QueryOutput {
    Count(usize),
    /// `(serialised rows joined by commas, row count)`.
    Rows(String, usize),
}

/// All data of the one realm.
#[derive(Debug)]
pub struct Store {
    next_id: u64,
    pub tables: Vec<Table>,
    names: HashMap<(&'static str, String), (usize, u64)>,
    doc_numbers: HashMap<usize, u64>,
    /// During a batch: objects with a larger Id (created by earlier items) are invisible.
    pub visible_max_id: Option<u64>,
    /// Exchange rates (QuickBooks' `ExchangeRate`, not a catalogue entity) by source currency
    /// code and the date they apply from.
    pub exchange_rates: BTreeMap<String, BTreeMap<NaiveDate, RateEntry>>,
}

/// One exchange rate: units of the home currency per unit of the source currency, from its
/// date on (until the next one).
#[derive(Debug, Clone, PartialEq)]
pub struct RateEntry {
    pub rate: f64,
    /// Moves on every change of this date's rate.
    pub sync_token: u64,
    /// Epoch seconds of the last change.
    pub updated: i64,
}

/// Which uniqueness group an entity's name belongs to: customers, vendors and employees share one.
fn name_group(e: &Entity) -> Option<(&'static str, &'static str)> {
    if !e.is_name_list() {
        return None;
    }
    let key = e.natural_key?;
    if key != "DisplayName" && key != "Name" {
        return None;
    }
    let group = if matches!(e.name, "Customer" | "Vendor" | "Employee") {
        "party"
    } else {
        e.name
    };
    Some((group, key))
}

pub fn is_lut_field(path: &[String]) -> bool {
    path.len() == 2
        && path[0].eq_ignore_ascii_case("MetaData")
        && path[1].eq_ignore_ascii_case("LastUpdatedTime")
}

impl Store {
    pub fn new() -> Self {
        Store {
            next_id: 1,
            tables: QBO_ENTITIES
                .iter()
                .map(|e| Table {
                    entity: e,
                    rows: BTreeMap::new(),
                    by_lut: BTreeSet::new(),
                })
                .collect(),
            names: HashMap::new(),
            doc_numbers: HashMap::new(),
            visible_max_id: None,
            exchange_rates: BTreeMap::new(),
        }
    }

    /// Sets the rate of `code` from `date` on; returns the stored entry (SyncToken + 1 when
    /// it replaces a different rate of that date).
    pub fn set_exchange_rate(
        &mut self,
        code: &str,
        date: NaiveDate,
        rate: f64,
        now: i64,
    ) -> RateEntry {
        let day = self
            .exchange_rates
            .entry(code.to_string())
            .or_default()
            .entry(date)
            .or_insert(RateEntry {
                rate,
                sync_token: 0,
                updated: now,
            });
        if day.rate != rate {
            day.rate = rate;
            day.sync_token += 1;
            day.updated = now;
        }
        day.clone()
    }

    /// The rate of `code` on `date`: the latest one set on or before it, else ([sim]) the
    /// earliest one after it. With the date the rate was set for.
    pub fn exchange_rate_on(&self, code: &str, date: NaiveDate) -> Option<(NaiveDate, &RateEntry)> {
        let days = self.exchange_rates.get(code)?;
        days.range(..=date)
            .next_back()
            .or_else(|| days.range(date..).next())
            .map(|(d, r)| (*d, r))
    }

    /// The one object of a singleton entity (CompanyInfo, Preferences), if seeded.
    pub fn singleton(&self, name: &str) -> Option<&Map<String, Value>> {
        let ti = self.table_index(name)?;
        self.live(ti, SINGLETON_ID).map(|r| &r.obj)
    }

    /// Index of a catalogue entity by its QuickBooks name (case-insensitive).
    pub fn table_index(&self, name: &str) -> Option<usize> {
        self.tables
            .iter()
            .position(|t| t.entity.name.eq_ignore_ascii_case(name))
    }

    pub fn table_by_resource(&self, resource: &str) -> Option<usize> {
        self.tables
            .iter()
            .position(|t| t.entity.resource == resource)
    }

    pub fn entity(&self, ti: usize) -> &'static Entity {
        self.tables[ti].entity
    }

    pub fn alloc_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The highest Id handed out so far.
    pub fn last_id(&self) -> u64 {
        self.next_id - 1
    }

    pub fn next_doc_number(&mut self, ti: usize) -> u64 {
        let n = self.doc_numbers.entry(ti).or_insert(1000);
        *n += 1;
        *n
    }

    fn visible(&self, id: u64) -> bool {
        self.visible_max_id.is_none_or(|m| id <= m)
    }

    /// A record (including tombstones) as the current request may see it.
    pub fn get(&self, ti: usize, id: u64) -> Option<&Record> {
        if !self.visible(id) {
            return None;
        }
        self.tables.get(ti)?.rows.get(&id)
    }

    /// A live (not deleted) object.
    pub fn live(&self, ti: usize, id: u64) -> Option<&Record> {
        self.get(ti, id).filter(|r| !r.deleted)
    }

    /// Who holds `name` in the entity's uniqueness group, if anyone.
    pub fn name_holder(&self, ti: usize, name: &str) -> Option<(usize, u64)> {
        let (group, _) = name_group(self.entity(ti))?;
        self.names.get(&(group, name.to_lowercase())).copied()
    }

    fn unindex_name(&mut self, ti: usize, id: u64) {
        let Some((group, key)) = name_group(self.entity(ti)) else {
            return;
        };
        let Some(old) = self.tables[ti].rows.get(&id) else {
            return;
        };
        if let Some(name) = old.obj.get(key).and_then(Value::as_str) {
            let k = (group, name.to_lowercase());
            if self.names.get(&k) == Some(&(ti, id)) {
                self.names.remove(&k);
            }
        }
    }

    /// Only active records hold their name: a deactivated one is renamed " (deleted)" anyway.
    fn index_name(&mut self, ti: usize, id: u64, obj: &Map<String, Value>) {
        let Some((group, key)) = name_group(self.entity(ti)) else {
            return;
        };
        if obj.get("Active").and_then(Value::as_bool) == Some(false) {
            return;
        }
        if let Some(name) = obj.get(key).and_then(Value::as_str) {
            self.names.insert((group, name.to_lowercase()), (ti, id));
        }
    }

    /// Inserts or replaces an object; `lut` must already be in its MetaData.
    pub fn put(&mut self, ti: usize, id: u64, obj: Map<String, Value>, lut: i64) {
        self.unindex_name(ti, id);
        self.index_name(ti, id, &obj);
        let active = obj.get("Active").and_then(Value::as_bool).unwrap_or(true);
        let table = &mut self.tables[ti];
        if let Some(old) = table.rows.get(&id) {
            table.by_lut.remove(&(old.lut, id));
        }
        table.by_lut.insert((lut, id));
        table.rows.insert(
            id,
            Record {
                obj,
                lut,
                deleted: false,
                active,
            },
        );
    }

    /// Replaces an object without moving its LastUpdatedTime (derived fields such as a
    /// customer's Balance).
    pub fn put_in_place(&mut self, ti: usize, id: u64, obj: Map<String, Value>) {
        if let Some(r) = self.tables[ti].rows.get_mut(&id) {
            r.obj = obj;
        }
    }

    /// Turns an object into a tombstone deleted at `now`.
    pub fn tombstone(&mut self, ti: usize, id: u64, now: i64) {
        self.unindex_name(ti, id);
        let table = &mut self.tables[ti];
        let Some(rec) = table.rows.get_mut(&id) else {
            return;
        };
        table.by_lut.remove(&(rec.lut, id));
        table.by_lut.insert((now, id));
        let mut obj = Map::new();
        obj.insert("status".into(), Value::from("Deleted"));
        obj.insert("domain".into(), Value::from("QBO"));
        obj.insert("Id".into(), Value::from(id.to_string()));
        let mut meta = Map::new();
        meta.insert("LastUpdatedTime".into(), Value::from(meta_time(now)));
        obj.insert("MetaData".into(), Value::Object(meta));
        *rec = Record {
            obj,
            lut: now,
            deleted: true,
            active: false,
        };
    }

    /// Live objects of an entity, inactive included.
    pub fn count(&self, ti: usize) -> usize {
        self.tables[ti].rows.values().filter(|r| !r.deleted).count()
    }

    /// Runs a parsed query against table `ti`; `active_only` applies the name-list filter.
    pub fn query(&self, ti: usize, q: &Query, active_only: bool) -> QueryOutput {
        let table = &self.tables[ti];
        // Conditions on MetaData.LastUpdatedTime compare with the indexed seconds directly.
        let mut lut_conds: Vec<(Op, i64)> = Vec::new();
        let mut other: Vec<&Condition> = Vec::new();
        for c in &q.conditions {
            let lit_ms = match c.values.first() {
                Some(crate::query::Literal::Str(s)) if c.op != Op::In && c.op != Op::Like => {
                    crate::clock::parse_datetime_ms(s)
                }
                _ => None,
            };
            match lit_ms {
                Some(ms) if is_lut_field(&c.field) => lut_conds.push((c.op, ms)),
                _ => other.push(c),
            }
        }
        let keep = |r: &Record| -> bool {
            if r.deleted || (active_only && !r.active) {
                return false;
            }
            let lut_ms = r.lut * 1000;
            let lut_ok = lut_conds.iter().all(|(op, ms)| match op {
                Op::Eq => lut_ms == *ms,
                Op::Lt => lut_ms < *ms,
                Op::Gt => lut_ms > *ms,
                Op::Le => lut_ms <= *ms,
                Op::Ge => lut_ms >= *ms,
                Op::In | Op::Like => false,
            });
            lut_ok && other.iter().all(|c| c.matches(&r.obj))
        };
        if q.selection == Selection::Count {
            return QueryOutput::Count(
                table
                    .rows
                    .iter()
                    .filter(|(id, r)| self.visible(**id) && keep(r))
                    .count(),
            );
        }
        let skip = q.start_position.saturating_sub(1);
        let take = q.max_results;
        let visible = |id: &u64| self.visible(*id);
        // Keyset paging (`Id > 'n'`) starts at n instead of walking every record before it, as
        // an index would; the condition is still checked on each record.
        let from = id_lower_bound(&q.conditions);
        let page: Vec<&Record> = match &q.order_by {
            None => table
                .rows
                .range(from..)
                .filter(|(id, _)| visible(id))
                .map(|(_, r)| r)
                .filter(|r| keep(r))
                .skip(skip)
                .take(take)
                .collect(),
            Some(o) if o.field.len() == 1 && o.field[0].eq_ignore_ascii_case("Id") => {
                let it = table
                    .rows
                    .range(from..)
                    .filter(|(id, _)| visible(id))
                    .map(|(_, r)| r);
                if o.descending {
                    table
                        .rows
                        .iter()
                        .rev()
                        .filter(|(id, _)| visible(id))
                        .map(|(_, r)| r)
                        .filter(|r| keep(r))
                        .skip(skip)
                        .take(take)
                        .collect()
                } else {
                    it.filter(|r| keep(r)).skip(skip).take(take).collect()
                }
            }
            Some(o) if is_lut_field(&o.field) => {
                let rows = &table.rows;
                let lookup = |(_, id): &(i64, u64)| rows.get(id);
                if o.descending {
                    table
                        .by_lut
                        .iter()
                        .rev()
                        .filter(|(_, id)| visible(id))
                        .filter_map(lookup)
                        .filter(|r| keep(r))
                        .skip(skip)
                        .take(take)
                        .collect()
                } else {
                    table
                        .by_lut
                        .iter()
                        .filter(|(_, id)| visible(id))
                        .filter_map(lookup)
                        .filter(|r| keep(r))
                        .skip(skip)
                        .take(take)
                        .collect()
                }
            }
            Some(o) => {
                let mut all: Vec<&Record> = table
                    .rows
                    .iter()
                    .filter(|(id, _)| visible(id))
                    .map(|(_, r)| r)
                    .filter(|r| keep(r))
                    .collect();
                all.sort_by(|a, b| {
                    let ord = order_values(&a.obj, &b.obj, &o.field);
                    if o.descending {
                        ord.reverse()
                    } else {
                        ord
                    }
                });
                all.into_iter().skip(skip).take(take).collect()
            }
        };
        let n = page.len();
        // Written straight into the answer, not through a string per object.
        let mut out = Vec::with_capacity(n * 700);
        for (i, r) in page.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if serde_json::to_writer(&mut out, &r.obj).is_err() {
                out.extend_from_slice(b"{}");
            }
        }
        QueryOutput::Rows(String::from_utf8(out).unwrap_or_default(), n)
    }

    /// CDC for one entity: changed (then deleted) objects since `since_secs`, in LastUpdatedTime
    /// order, at most `budget` in all.
    pub fn changes(&self, ti: usize, since_ms: i64, budget: usize) -> Vec<&Record> {
        let table = &self.tables[ti];
        let since_secs = since_ms.div_euclid(1000) + i64::from(since_ms.rem_euclid(1000) != 0);
        let mut live = Vec::new();
        let mut dead = Vec::new();
        for (_, id) in table.by_lut.range((since_secs, 0)..) {
            if live.len() >= budget {
                break;
            }
            let Some(r) = table.rows.get(id) else {
                continue;
            };
            if r.deleted {
                if dead.len() < budget {
                    dead.push(r);
                }
            } else {
                live.push(r);
            }
        }
        let room = budget.saturating_sub(live.len());
        live.extend(dead.into_iter().take(room));
        live
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

/// The smallest Id a query's `Id > n` / `Id >= n` conditions allow (0 when none).
fn id_lower_bound(conditions: &[Condition]) -> u64 {
    conditions
        .iter()
        .filter(|c| c.field.len() == 1 && c.field[0].eq_ignore_ascii_case("Id"))
        .filter_map(|c| {
            let n = match c.values.first()? {
                crate::query::Literal::Str(s) => s.trim().parse::<u64>().ok()?,
                crate::query::Literal::Num(f) if *f >= 0.0 && f.fract() == 0.0 => *f as u64,
                _ => return None,
            };
            match c.op {
                Op::Gt => n.checked_add(1),
                Op::Ge => Some(n),
                _ => None,
            }
        })
        .max()
        .unwrap_or(0)
}
