//! List and transaction queries (§8–§9): `ListID`/`FullName`/`TxnID`/`RefNumber` lookups,
//! `ListFilter`/`TxnFilter` criteria, `ActiveStatus` (default `ActiveOnly`), modified-date
//! windows, `IncludeLineItems`/`IncludeLinkedTxns`/`IncludeRetElement`, `metaData`, and
//! iterators (`Start`/`Continue`/`Stop`; `Continue` must resend the same criteria).

use super::ids::{parse_date, HostZone};
use super::kinds::Kind;
use super::money::parse_amount;
use super::ret::{render, RenderOpts};
use super::status::Status;
use super::store::{Record, Store};
use super::State;
use chrono::{Datelike, Duration, NaiveDate};
use qbsync_qbxml::Element;
use std::collections::VecDeque;

/// What a handler produced for one request: its status, `*Ret` children and count attributes.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub status: Status,
    pub rets: Vec<Element>,
    /// `retCount`, `iteratorRemainingCount`, `iteratorID` (in that order, as present).
    pub attrs: Vec<(String, String)>,
}

impl Outcome {
    pub fn status(status: Status) -> Outcome {
        Outcome {
            status,
            rets: Vec::new(),
            attrs: Vec::new(),
        }
    }
}

/// A live iterator: the ids still to return and the criteria it was started with.
#[derive(Debug, Clone)]
pub(crate) struct Iter {
    pub request: String,
    pub fingerprint: String,
    pub remaining: VecDeque<String>,
}

#[derive(Debug, Default)]
struct Criteria {
    ids: Vec<String>,
    names: Vec<String>,
    refs: Vec<String>,
    refs_case_sensitive: bool,
    max: Option<usize>,
    active: Option<String>,
    from_mod: Option<i64>,
    to_mod: Option<i64>,
    name_match: Option<(String, String)>,
    name_from: Option<String>,
    name_to: Option<String>,
    account_types: Vec<String>,
    total_balance: Option<(String, i64)>,
    from_date: Option<NaiveDate>,
    to_date: Option<NaiveDate>,
    entity: Option<(Vec<String>, bool)>,
    account: Option<(Vec<String>, bool)>,
    ref_match: Option<(String, String)>,
    ref_from: Option<String>,
    ref_to: Option<String>,
    paid: Option<String>,
    opts: RenderOpts,
}

fn texts(e: &Element, name: &str) -> Vec<String> {
    e.find_all(name).map(|c| c.text.clone()).collect()
}

fn datetime(zone: HostZone, e: &Element, name: &str) -> Result<Option<i64>, Status> {
    match e.child_text(name) {
        None | Some("") => Ok(None),
        Some(v) => zone
            .parse_datetime(v)
            .map(Some)
            .ok_or_else(|| Status::bad_date(v, name)),
    }
}

fn date(e: &Element, name: &str) -> Result<Option<NaiveDate>, Status> {
    match e.child_text(name) {
        None | Some("") => Ok(None),
        Some(v) => parse_date(v)
            .map(Some)
            .ok_or_else(|| Status::bad_date(v, name)),
    }
}

/// Date range of a `DateMacro` relative to `today`.
pub(crate) fn date_macro(m: &str, today: NaiveDate) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let d = |y: i32, mo: u32, da: u32| NaiveDate::from_ymd_opt(y, mo, da);
    let month_start = d(today.year(), today.month(), 1);
    let next_month = if today.month() == 12 {
        d(today.year() + 1, 1, 1)
    } else {
        d(today.year(), today.month() + 1, 1)
    };
    let last_month_end = month_start.and_then(|s| s.pred_opt());
    let last_month_start = last_month_end.and_then(|e| d(e.year(), e.month(), 1));
    let week_start = today - Duration::days(i64::from(today.weekday().num_days_from_sunday()));
    let quarter_month = (today.month() - 1) / 3 * 3 + 1;
    let q_start = d(today.year(), quarter_month, 1);
    let q_end = if quarter_month == 10 {
        d(today.year(), 12, 31)
    } else {
        d(today.year(), quarter_month + 3, 1).and_then(|x| x.pred_opt())
    };
    match m {
        "Today" => (Some(today), Some(today)),
        "Yesterday" => (today.pred_opt(), today.pred_opt()),
        "ThisWeek" => (Some(week_start), Some(week_start + Duration::days(6))),
        "ThisWeekToDate" => (Some(week_start), Some(today)),
        "LastWeek" => (
            Some(week_start - Duration::days(7)),
            Some(week_start - Duration::days(1)),
        ),
        "ThisMonth" => (month_start, next_month.and_then(|n| n.pred_opt())),
        "ThisMonthToDate" => (month_start, Some(today)),
        "LastMonth" => (last_month_start, last_month_end),
        "ThisQuarter" => (q_start, q_end),
        "ThisQuarterToDate" => (q_start, Some(today)),
        "ThisYear" => (d(today.year(), 1, 1), d(today.year(), 12, 31)),
        "ThisYearToDate" => (d(today.year(), 1, 1), Some(today)),
        "LastYear" => (d(today.year() - 1, 1, 1), d(today.year() - 1, 12, 31)),
        "LastYearToDate" => (d(today.year() - 1, 1, 1), today.with_year(today.year() - 1)),
        _ => (None, None),
    }
}

fn id_or_name_filter(f: &Element) -> (Vec<String>, bool) {
    let mut v = texts(f, "ListID");
    v.extend(texts(f, "FullName"));
    let mut children = false;
    for n in ["ListIDWithChildren", "FullNameWithChildren"] {
        if let Some(x) = f.child_text(n) {
            v.push(x.to_string());
            children = true;
        }
    }
    (v, children)
}

fn parse(rq: &Element, zone: HostZone, today: NaiveDate) -> Result<Criteria, Status> {
    let mut c = Criteria {
        ids: texts(rq, "ListID"),
        names: texts(rq, "FullName"),
        ..Criteria::default()
    };
    c.ids.extend(texts(rq, "TxnID"));
    c.refs = texts(rq, "RefNumber");
    let cs = texts(rq, "RefNumberCaseSensitive");
    if !cs.is_empty() {
        c.refs = cs;
        c.refs_case_sensitive = true;
    }
    c.max = rq
        .child_text("MaxReturned")
        .and_then(|m| m.trim().parse::<usize>().ok());
    c.active = rq.child_text("ActiveStatus").map(str::to_string);
    c.from_mod = datetime(zone, rq, "FromModifiedDate")?;
    c.to_mod = datetime(zone, rq, "ToModifiedDate")?;
    if let Some(f) = rq.find("ModifiedDateRangeFilter") {
        c.from_mod = datetime(zone, f, "FromModifiedDate")?;
        c.to_mod = datetime(zone, f, "ToModifiedDate")?;
    }
    if let Some(f) = rq.find("TxnDateRangeFilter") {
        c.from_date = date(f, "FromTxnDate")?;
        c.to_date = date(f, "ToTxnDate")?;
        if let Some(m) = f.child_text("DateMacro") {
            (c.from_date, c.to_date) = date_macro(m, today);
        }
    }
    if let Some(f) = rq.find("NameFilter") {
        c.name_match = Some((
            f.child_text("MatchCriterion")
                .unwrap_or("StartsWith")
                .to_string(),
            f.child_text("Name").unwrap_or("").to_lowercase(),
        ));
    }
    if let Some(f) = rq.find("NameRangeFilter") {
        c.name_from = f.child_text("FromName").map(str::to_lowercase);
        c.name_to = f.child_text("ToName").map(str::to_lowercase);
    }
    c.account_types = texts(rq, "AccountType");
    if let Some(f) = rq.find("TotalBalanceFilter") {
        c.total_balance = Some((
            f.child_text("Operator").unwrap_or("Equal").to_string(),
            f.child_text("Amount").and_then(parse_amount).unwrap_or(0),
        ));
    }
    if let Some(f) = rq.find("EntityFilter") {
        c.entity = Some(id_or_name_filter(f));
    }
    if let Some(f) = rq.find("AccountFilter") {
        c.account = Some(id_or_name_filter(f));
    }
    if let Some(f) = rq.find("RefNumberFilter") {
        c.ref_match = Some((
            f.child_text("MatchCriterion")
                .unwrap_or("StartsWith")
                .to_string(),
            f.child_text("RefNumber").unwrap_or("").to_lowercase(),
        ));
    }
    if let Some(f) = rq.find("RefNumberRangeFilter") {
        c.ref_from = f.child_text("FromRefNumber").map(str::to_string);
        c.ref_to = f.child_text("ToRefNumber").map(str::to_string);
    }
    c.paid = rq.child_text("PaidStatus").map(str::to_string);
    c.opts = RenderOpts {
        lines: rq.child_text("IncludeLineItems") == Some("true"),
        linked: rq.child_text("IncludeLinkedTxns") == Some("true"),
        include: texts(rq, "IncludeRetElement"),
        off_schema: false,
    };
    Ok(c)
}

fn text_match(criterion: &str, have: &str, want: &str) -> bool {
    let have = have.to_lowercase();
    match criterion {
        "Contains" => have.contains(want),
        "EndsWith" => have.ends_with(want),
        _ => have.starts_with(want),
    }
}

/// Compares reference numbers numerically when both are numbers.
fn ref_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.to_lowercase().cmp(&b.to_lowercase()),
    }
}

/// Whether record `r` is, or descends from, one of the named list records.
fn in_named(store: &Store, id: Option<&str>, wanted: &(Vec<String>, bool), kinds: &[Kind]) -> bool {
    let Some(id) = id else { return false };
    let targets: Vec<&str> = wanted
        .0
        .iter()
        .filter_map(|w| {
            store
                .get_of(kinds, w)
                .or_else(|| store.find_by_name(kinds, w))
                .map(|r| r.id.as_str())
        })
        .collect();
    let mut cur = Some(id.to_string());
    let mut depth = 0;
    while let Some(c) = cur.take() {
        if targets.contains(&c.as_str()) {
            return true;
        }
        if !wanted.1 || depth > 16 {
            break;
        }
        depth += 1;
        cur = store
            .get(&c)
            .and_then(|r| r.ref_id("ParentRef"))
            .map(str::to_string);
    }
    false
}

fn mentions_account(e: &Element, ids: &[&str]) -> bool {
    e.children.iter().any(|c| {
        (c.name.ends_with("AccountRef")
            && c.child_text("ListID").is_some_and(|id| ids.contains(&id)))
            || mentions_account(c, ids)
    })
}

fn list_matches(st: &mut State, r: &Record, c: &Criteria) -> bool {
    let active = c.active.as_deref().unwrap_or("ActiveOnly");
    match active {
        "All" => {}
        "InactiveOnly" if r.is_active() => return false,
        "ActiveOnly" if !r.is_active() => return false,
        _ => {}
    }
    if c.from_mod.is_some_and(|f| r.modified < f) || c.to_mod.is_some_and(|t| r.modified > t) {
        return false;
    }
    let name = st.store.label(r).to_lowercase();
    if let Some((crit, want)) = &c.name_match {
        if !text_match(crit, &name, want) {
            return false;
        }
    }
    if c.name_from.as_ref().is_some_and(|f| &name < f)
        || c.name_to.as_ref().is_some_and(|t| &name > t)
    {
        return false;
    }
    if !c.account_types.is_empty()
        && !c
            .account_types
            .iter()
            .any(|t| Some(t.as_str()) == r.text("AccountType"))
    {
        return false;
    }
    if let Some((op, amount)) = &c.total_balance {
        let d = st.derived();
        let bal = match r.kind {
            Kind::Customer => d.receivable.get(&r.id).copied().unwrap_or(0),
            Kind::Vendor => d.payable.get(&r.id).copied().unwrap_or(0),
            _ => 0,
        };
        let ok = match op.as_str() {
            "LessThan" => bal < *amount,
            "LessThanEqual" => bal <= *amount,
            "GreaterThan" => bal > *amount,
            "GreaterThanEqual" => bal >= *amount,
            _ => bal == *amount,
        };
        if !ok {
            return false;
        }
    }
    true
}

fn txn_matches(store: &Store, r: &Record, c: &Criteria) -> bool {
    if c.from_mod.is_some_and(|f| r.modified < f) || c.to_mod.is_some_and(|t| r.modified > t) {
        return false;
    }
    if c.from_date.is_some() || c.to_date.is_some() {
        let Some(d) = r.txn_date() else { return false };
        if c.from_date.is_some_and(|f| d < f) || c.to_date.is_some_and(|t| d > t) {
            return false;
        }
    }
    if let Some(wanted) = &c.entity {
        let id = r.kind.entity_field().and_then(|f| r.ref_id(f));
        if !in_named(store, id, wanted, &super::kinds::ENTITIES) {
            return false;
        }
    }
    if let Some(wanted) = &c.account {
        let ids: Vec<&str> = wanted
            .0
            .iter()
            .filter_map(|w| {
                store
                    .get_of(&[Kind::Account], w)
                    .or_else(|| store.find_by_name(&[Kind::Account], w))
                    .map(|a| a.id.as_str())
            })
            .collect();
        if !mentions_account(&r.body, &ids) {
            return false;
        }
    }
    let refn = r.ref_number().unwrap_or("");
    if let Some((crit, want)) = &c.ref_match {
        if !text_match(crit, refn, want) {
            return false;
        }
    }
    if c.ref_from
        .as_ref()
        .is_some_and(|f| ref_cmp(refn, f).is_lt())
        || c.ref_to.as_ref().is_some_and(|t| ref_cmp(refn, t).is_gt())
    {
        return false;
    }
    match c.paid.as_deref() {
        Some("PaidOnly") if r.text("IsPaid") != Some("true") => return false,
        Some("NotPaidOnly") if r.text("IsPaid") == Some("true") => return false,
        _ => {}
    }
    true
}

/// Ids matching the criteria, in QuickBooks' order, and the first named id that was missing.
fn matching(st: &mut State, kinds: &[Kind], c: &Criteria) -> (Vec<String>, Option<String>) {
    let store = &st.store;
    let txn = kinds.iter().any(|k| k.is_txn());
    if !c.ids.is_empty() || !c.names.is_empty() {
        let mut found = Vec::new();
        let mut missing = None;
        for id in &c.ids {
            match store.get_of(kinds, id) {
                Some(r) => found.push(r.id.clone()),
                None => missing = missing.or(Some(id.clone())),
            }
        }
        for n in &c.names {
            match store.find_by_name(kinds, n) {
                Some(r) => found.push(r.id.clone()),
                None => missing = missing.or(Some(n.clone())),
            }
        }
        return (found, missing);
    }
    if !c.refs.is_empty() {
        let mut recs: Vec<&Record> = store
            .of_kinds(kinds)
            .filter(|r| {
                let rn = r.ref_number().unwrap_or("");
                c.refs.iter().any(|w| {
                    if c.refs_case_sensitive {
                        w == rn
                    } else {
                        w.eq_ignore_ascii_case(rn)
                    }
                })
            })
            .collect();
        recs.sort_by_key(|r| (r.txn_date(), r.seq));
        return (recs.iter().map(|r| r.id.clone()).collect(), None);
    }
    if txn {
        let mut recs: Vec<&Record> = store
            .of_kinds(kinds)
            .filter(|r| txn_matches(store, r, c))
            .collect();
        recs.sort_by_key(|r| (r.txn_date(), r.seq));
        (recs.iter().map(|r| r.id.clone()).collect(), None)
    } else {
        let candidates: Vec<Record> = st.store.of_kinds(kinds).cloned().collect();
        let mut keep: Vec<(String, u64, String)> = Vec::new();
        for r in &candidates {
            if list_matches(st, r, c) {
                keep.push((st.store.label(r).to_lowercase(), r.seq, r.id.clone()));
            }
        }
        keep.sort();
        (keep.into_iter().map(|(_, _, id)| id).collect(), None)
    }
}

fn fingerprint(rq: &Element) -> String {
    let mut e = rq.clone();
    e.attrs
        .retain(|(k, _)| !matches!(k.as_str(), "requestID" | "iterator" | "iteratorID"));
    e.to_xml()
}

fn render_ids(st: &mut State, ids: &[String], opts: &RenderOpts) -> Vec<Element> {
    let d = st.derived();
    let zone = st.zone();
    let mut o = opts.clone();
    o.off_schema = st.faults.off_schema_values;
    ids.iter()
        .filter_map(|id| st.store.get(id))
        .map(|r| render(&st.store, &d, zone, r, &o))
        .collect()
}

fn page_status(total: usize, missing: &Option<String>) -> Status {
    match missing {
        Some(m) => Status::partly_found(m),
        None if total == 0 => Status::no_match(),
        None => Status::ok(),
    }
}

/// Runs a `*QueryRq` over `kinds`.
pub(crate) fn query(st: &mut State, rq: &Element, kinds: &[Kind]) -> Outcome {
    let zone = st.zone();
    let today = zone.date(st.now());
    let c = match parse(rq, zone, today) {
        Ok(c) => c,
        Err(s) => return Outcome::status(s),
    };
    let meta = rq.get_attr("metaData").unwrap_or("NoMetaData");
    match rq.get_attr("iterator") {
        Some("Continue") => continue_iter(st, rq, &c),
        Some("Stop") => {
            let id = rq.get_attr("iteratorID").unwrap_or("").to_string();
            if st.iterators.remove(&id).is_none() {
                return Outcome::status(Status::bad_iterator(&id));
            }
            Outcome {
                status: Status::ok(),
                rets: Vec::new(),
                attrs: vec![
                    ("retCount".into(), "0".into()),
                    ("iteratorRemainingCount".into(), "0".into()),
                    ("iteratorID".into(), id),
                ],
            }
        }
        Some("Start") => {
            let (ids, missing) = matching(st, kinds, &c);
            let page = c
                .max
                .or(st.cfg.default_iterator_page)
                .unwrap_or(usize::MAX)
                .max(1);
            let total = ids.len();
            let mut rest: VecDeque<String> = ids.into();
            let first: Vec<String> = (0..page.min(total))
                .filter_map(|_| rest.pop_front())
                .collect();
            let iter_id = format!("{{{}}}", uuid::Uuid::new_v4());
            let remaining = rest.len();
            if remaining > 0 {
                st.iterators.insert(
                    iter_id.clone(),
                    Iter {
                        request: rq.name.clone(),
                        fingerprint: fingerprint(rq),
                        remaining: rest,
                    },
                );
            }
            let rets = render_ids(st, &first, &c.opts);
            Outcome {
                status: page_status(total, &missing),
                attrs: vec![
                    ("retCount".into(), rets.len().to_string()),
                    ("iteratorRemainingCount".into(), remaining.to_string()),
                    ("iteratorID".into(), iter_id),
                ],
                rets,
            }
        }
        _ => {
            let (mut ids, missing) = matching(st, kinds, &c);
            let total = ids.len();
            if let Some(m) = c.max {
                ids.truncate(m);
            }
            if meta == "MetaDataOnly" {
                return Outcome {
                    status: page_status(total, &missing),
                    rets: Vec::new(),
                    attrs: vec![("retCount".into(), total.to_string())],
                };
            }
            let rets = render_ids(st, &ids, &c.opts);
            Outcome {
                status: page_status(total, &missing),
                attrs: vec![("retCount".into(), rets.len().to_string())],
                rets,
            }
        }
    }
}

fn continue_iter(st: &mut State, rq: &Element, c: &Criteria) -> Outcome {
    let id = rq.get_attr("iteratorID").unwrap_or("").to_string();
    let fp = fingerprint(rq);
    let Some(it) = st.iterators.get_mut(&id) else {
        return Outcome::status(Status::bad_iterator(&id));
    };
    if it.fingerprint != fp || it.request != rq.name {
        return Outcome::status(Status::bad_iterator(&id));
    }
    let page = c
        .max
        .or(st.cfg.default_iterator_page)
        .unwrap_or(usize::MAX)
        .max(1);
    let n = page.min(it.remaining.len());
    let ids: Vec<String> = it.remaining.drain(..n).collect();
    let remaining = it.remaining.len();
    if remaining == 0 {
        st.iterators.remove(&id);
    }
    let rets = render_ids(st, &ids, &c.opts);
    Outcome {
        status: if rets.is_empty() {
            Status::no_match()
        } else {
            Status::ok()
        },
        attrs: vec![
            ("retCount".into(), rets.len().to_string()),
            ("iteratorRemainingCount".into(), remaining.to_string()),
            ("iteratorID".into(), id),
        ],
        rets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_macros_cover_the_usual_periods() {
        let today = NaiveDate::from_ymd_opt(2024, 5, 15).unwrap_or_default();
        let (f, t) = date_macro("ThisMonth", today);
        assert_eq!(f, NaiveDate::from_ymd_opt(2024, 5, 1));
        assert_eq!(t, NaiveDate::from_ymd_opt(2024, 5, 31));
        let (f, t) = date_macro("LastMonth", today);
        assert_eq!(f, NaiveDate::from_ymd_opt(2024, 4, 1));
        assert_eq!(t, NaiveDate::from_ymd_opt(2024, 4, 30));
        let (f, t) = date_macro("ThisQuarter", today);
        assert_eq!(f, NaiveDate::from_ymd_opt(2024, 4, 1));
        assert_eq!(t, NaiveDate::from_ymd_opt(2024, 6, 30));
        assert_eq!(date_macro("All", today), (None, None));
    }

    #[test]
    fn text_and_ref_matching() {
        assert!(text_match("Contains", "Acme Hardware", "hard"));
        assert!(text_match("StartsWith", "Acme", "ac"));
        assert!(!text_match("EndsWith", "Acme", "ac"));
        assert!(ref_cmp("9", "10").is_lt());
        assert!(ref_cmp("A9", "A10").is_gt());
        let a = Element::new("CustomerQueryRq")
            .attr("requestID", "1")
            .attr("iterator", "Start");
        let b = Element::new("CustomerQueryRq")
            .attr("iterator", "Continue")
            .attr("iteratorID", "x");
        assert_eq!(fingerprint(&a), fingerprint(&b));
    }
}
