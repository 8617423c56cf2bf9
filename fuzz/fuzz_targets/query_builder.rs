//! Arbitrary strings into the query and request builders.
//!
//! - QuickBooks Online: a value quoted with `query_literal` into the agent's query shapes can
//!   never leave its literal: the query reads as the same words with exactly that value, under
//!   both readings of a backslash (see `qbsync_fuzz::qbo_query`).
//! - qbXML (`qbxml/src/request.rs`): rows, names, ids and criteria with arbitrary text either
//!   make the builder refuse with a `RequestError`, or produce XML that a conforming XML 1.0
//!   parser reads back as exactly the element that was built (no injected element, text and
//!   attributes unchanged), also inside a message set and inside the SOAP reply that carries it.
#![no_main]

use arbitrary::Arbitrary;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use libfuzzer_sys::fuzz_target;
use qbsync_catalog::{query_literal, QbdColumn, QbdEntity, QbdType, QBD_ENTITIES, QBO_ENTITIES};
use qbsync_fuzz::qbo_query::{tokens, Reading, Tok};
use qbsync_fuzz::xml10;
use qbsync_qbxml::request::{self as rq, LineRows, Lookup, MessageSet, OnError};
use qbsync_qbxml::soap::{reply_envelope, Reply};
use qbsync_qbxml::Element;
use serde_json::{json, Map, Value};

/// The shapes the agent builds (`agent/src/sync`); `{v}` is where the quoted value goes.
const QBO_TEMPLATES: &[&str] = &[
    "SELECT * FROM Item WHERE Name = {v} AND Active IN (true,false) MAXRESULTS 1",
    "SELECT * FROM Item WHERE Name = {v} MAXRESULTS 1",
    "SELECT * FROM Account WHERE AccountType = {v} AND Active = true MAXRESULTS 1",
    "SELECT * FROM Payment WHERE PaymentRefNum = {v} MAXRESULTS 1000",
    "SELECT * FROM BillPayment WHERE TxnDate = {v} MAXRESULTS 1000",
    "SELECT * FROM Customer WHERE Metadata.LastUpdatedTime >= {v} AND Active IN (true,false) \
     ORDERBY Metadata.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000",
];

#[derive(Arbitrary, Debug)]
enum Val {
    Absent,
    Null,
    /// A value of the column's type that the builders accept.
    Sample,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Arbitrary, Debug)]
enum Input {
    Qbo {
        template: u8,
        value: String,
    },
    Row {
        entity: u8,
        modify: bool,
        request_id: String,
        key: Val,
        edit_sequence: Val,
        values: Vec<Val>,
        lines: Vec<(u8, Vec<Vec<Val>>)>,
    },
    Lookup {
        entity: u8,
        ids: bool,
        values: Vec<String>,
        request_id: String,
    },
    Query {
        entity: u8,
        request_id: String,
        max_returned: Option<u32>,
        modified: (Option<i64>, Option<i64>),
        txn_dates: (Option<i32>, Option<i32>),
        include_ret: Vec<String>,
        owner_id: Option<String>,
        iterator: Option<(bool, String)>,
    },
    Delete {
        entity: u8,
        void: bool,
        id: String,
        request_id: String,
    },
    Deleted {
        txn: bool,
        types: Vec<(u8, Option<String>)>,
        from: Option<i64>,
        request_id: String,
    },
    Report {
        kind: u8,
        name: (u8, Option<String>),
        date_macro: Option<(u8, Option<String>)>,
        period: (Option<i32>, Option<i32>),
        columns_by: Option<(u8, Option<String>)>,
        rows_by: Option<(u8, Option<String>)>,
        include: Vec<(u8, Option<String>)>,
        request_id: String,
    },
    MessageSet {
        new_id: Option<String>,
        old_id: Option<String>,
        include: Vec<String>,
    },
    /// One column value alone through `format_value`, the builders' value path.
    Value {
        column: u16,
        value: Val,
    },
}

fn sample(c: &QbdColumn) -> Value {
    match c.ty {
        QbdType::Str => {
            let limit = if c.max_len == 0 { 64 } else { c.max_len };
            json!("Smith & Sons <Ltd> \"O'Brien\"\r\n"
                .chars()
                .take(limit)
                .collect::<String>())
        }
        QbdType::Id => json!("80000001-1405768916"),
        QbdType::Guid => json!("{CA1C3EB8-1B61-4747-A743-8D5B438B83AC}"),
        QbdType::Amt => json!(1234.5),
        QbdType::Price => json!("19.999999"),
        QbdType::Quan => json!(2),
        QbdType::Percent => json!("7.5"),
        QbdType::Float => json!(1.25),
        QbdType::Int => json!(7),
        QbdType::Bool => json!(true),
        QbdType::Date => json!("2024-03-31"),
        QbdType::DateTime => json!("2024-03-31T10:00:00"),
        QbdType::Enum(values) => json!(values.first().copied().unwrap_or_default()),
    }
}

fn value(v: &Val, c: &QbdColumn) -> Option<Value> {
    match v {
        Val::Absent => None,
        Val::Null => Some(Value::Null),
        Val::Sample => Some(sample(c)),
        Val::Text(s) => Some(json!(s)),
        Val::Int(i) => Some(json!(i)),
        Val::Float(f) => Some(serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)),
        Val::Bool(b) => Some(json!(b)),
    }
}

fn row(columns: &[QbdColumn], vals: &[Val]) -> Map<String, Value> {
    columns
        .iter()
        .zip(vals)
        .filter_map(|(c, v)| value(v, c).map(|v| (c.name.to_string(), v)))
        .collect()
}

fn pick<'a>(list: &[&'a str], (i, custom): &'a (u8, Option<String>)) -> &'a str {
    match custom {
        Some(s) => s.as_str(),
        None => list[usize::from(*i) % list.len()],
    }
}

fn datetime(secs: Option<i64>) -> Option<NaiveDateTime> {
    secs.and_then(|s| DateTime::from_timestamp(s, 0))
        .map(|d| d.naive_utc())
}

fn date(days: Option<i32>) -> Option<NaiveDate> {
    days.and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// What the agent sends for a request, read back by a conforming parser at every layer.
fn check(e: &Element) {
    xml10::assert_written_faithfully(&e.to_xml(), e);
    let set = MessageSet::new(OnError::ContinueOnError).with(e.clone());
    let doc = set.to_xml();
    xml10::assert_written_faithfully(&doc, &set.to_element());
    let env = reply_envelope("sendRequestXML", &Reply::Text(doc.clone()));
    let node = xml10::parse(&env).unwrap_or_else(|err| panic!("envelope not XML 1.0: {err}"));
    let carried = node
        .children
        .iter()
        .find(|c| c.name.ends_with("Body"))
        .and_then(|b| b.children.first())
        .and_then(|r| r.children.first())
        .map(|r| r.text.as_str());
    assert_eq!(
        carried,
        Some(doc.as_str()),
        "the envelope changes the qbXML"
    );
}

fn entity(i: u8) -> &'static QbdEntity {
    &QBD_ENTITIES[usize::from(i) % QBD_ENTITIES.len()]
}

fn qbo(template: u8, value: &str) {
    let natural_key;
    let template = match QBO_TEMPLATES.get(usize::from(template)) {
        Some(t) => *t,
        None => {
            // send.rs: a natural-key lookup of any entity that has one.
            let e = &QBO_ENTITIES[usize::from(template) % QBO_ENTITIES.len()];
            let active = if e.active_filter {
                " AND Active IN (true,false)"
            } else {
                ""
            };
            let key = e.natural_key.unwrap_or("Id");
            natural_key = format!(
                "SELECT * FROM {} WHERE {key} = {{v}}{active} MAXRESULTS 2",
                e.name
            );
            natural_key.as_str()
        }
    };
    let query = template.replace("{v}", &query_literal(value));
    let reference = template.replace("{v}", "'X'");
    for reading in [Reading::KeepBackslash, Reading::DropBackslash] {
        let expected: Vec<Tok> = tokens(&reference, reading)
            .expect("template tokenises")
            .into_iter()
            .map(|t| match t {
                Tok::Str(_) => Tok::Str(value.to_string()),
                w => w,
            })
            .collect();
        match tokens(&query, reading) {
            Ok(got) => assert_eq!(got, expected, "{reading:?}: {query}"),
            Err(e) => panic!("{reading:?}: {e}"),
        }
    }
}

/// Every typed column of every entity and line table, for picking one by index.
fn all_columns() -> Vec<&'static QbdColumn> {
    QBD_ENTITIES
        .iter()
        .flat_map(|e| {
            e.columns
                .iter()
                .chain(e.lines.iter().flat_map(|l| l.columns.iter()))
        })
        .collect()
}

fuzz_target!(|input: Input| {
    let built = match &input {
        Input::Value { column, value: v } => {
            let columns = all_columns();
            let c = columns[usize::from(*column) % columns.len()];
            if let Some(v) = value(v, c) {
                if let Ok(Some(text)) = rq::format_value(c.ty, c.max_len, &v) {
                    let e = Element::new("Rq").leaf(c.path.last().copied().unwrap_or("V"), text);
                    xml10::assert_written_faithfully(&e.to_xml(), &e);
                }
            }
            return;
        }
        Input::Qbo { template, value } => {
            qbo(*template, value);
            return;
        }
        Input::Row {
            entity: i,
            modify,
            request_id,
            key,
            edit_sequence,
            values,
            lines,
        } => {
            let e = entity(*i);
            let mut r = row(e.columns, values);
            let id_col = &e.key_columns()[0];
            if let Some(v) = value(key, id_col) {
                r.insert(e.key_column().to_string(), v);
            }
            let edit_sequence = match edit_sequence {
                Val::Sample => Some(json!("1405768916")),
                v => value(v, id_col),
            };
            if let Some(v) = edit_sequence {
                r.insert("edit_sequence".to_string(), v);
            }
            let line_rows: Vec<(&'static str, Vec<Map<String, Value>>)> = lines
                .iter()
                .filter_map(|(t, rows)| {
                    let def = e.lines.get(usize::from(*t) % e.lines.len().max(1))?;
                    Some((
                        def.table,
                        rows.iter().map(|v| row(def.columns, v)).collect(),
                    ))
                })
                .collect();
            let line_rows: Vec<LineRows<'_>> = line_rows
                .iter()
                .map(|(table, rows)| LineRows { table, rows })
                .collect();
            if *modify {
                rq::mod_rq(e, request_id, &r, &line_rows)
            } else {
                rq::add_rq(e, request_id, &r, &line_rows)
            }
        }
        Input::Lookup {
            entity: i,
            ids,
            values,
            request_id,
        } => {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            let lookup = if *ids {
                Lookup::Ids(&values)
            } else {
                Lookup::Names(&values)
            };
            rq::lookup_rq(entity(*i), request_id, lookup)
        }
        Input::Query {
            entity: i,
            request_id,
            max_returned,
            modified,
            txn_dates,
            include_ret,
            owner_id,
            iterator,
        } => {
            let e = entity(*i);
            let step = iterator.as_ref().map(|(stop, id)| {
                if *stop {
                    rq::IteratorStep::Stop(id.clone())
                } else {
                    rq::IteratorStep::Continue(id.clone())
                }
            });
            match e.kind {
                qbsync_catalog::QbdKind::List => {
                    let q = rq::ListQuery {
                        max_returned: *max_returned,
                        active_status: Some(rq::ActiveStatus::All),
                        from_modified: datetime(modified.0),
                        to_modified: datetime(modified.1),
                        include_ret: include_ret.clone(),
                        owner_id: owner_id.clone(),
                        iterator: step,
                    };
                    rq::list_query_rq(e, request_id, &q)
                }
                qbsync_catalog::QbdKind::Txn => {
                    let q = rq::TxnQuery {
                        max_returned: *max_returned,
                        from_modified: datetime(modified.0),
                        to_modified: datetime(modified.1),
                        from_txn_date: date(txn_dates.0),
                        to_txn_date: date(txn_dates.1),
                        include_line_items: true,
                        include_linked_txns: true,
                        include_ret: include_ret.clone(),
                        owner_id: owner_id.clone(),
                        iterator: step,
                    };
                    rq::txn_query_rq(e, request_id, &q)
                }
            }
        }
        Input::Delete {
            entity: i,
            void,
            id,
            request_id,
        } => {
            if *void {
                rq::txn_void_rq(entity(*i), request_id, id)
            } else {
                rq::delete_rq(entity(*i), request_id, id)
            }
        }
        Input::Deleted {
            txn,
            types,
            from,
            request_id,
        } => {
            let allowed = if *txn {
                rq::TXN_DEL_TYPES
            } else {
                rq::LIST_DEL_TYPES
            };
            let types: Vec<&str> = types.iter().map(|t| pick(allowed, t)).collect();
            if *txn {
                rq::txn_deleted_query_rq(request_id, &types, datetime(*from), None)
            } else {
                rq::list_deleted_query_rq(request_id, &types, datetime(*from), None)
            }
        }
        Input::Report {
            kind,
            name,
            date_macro,
            period,
            columns_by,
            rows_by,
            include,
            request_id,
        } => {
            let kind = match kind % 5 {
                0 => rq::ReportKind::GeneralSummary(
                    pick(rq::GENERAL_SUMMARY_REPORT_TYPES, name).to_string(),
                ),
                1 => rq::ReportKind::GeneralDetail(
                    pick(rq::GENERAL_DETAIL_REPORT_TYPES, name).to_string(),
                ),
                2 => rq::ReportKind::Aging(pick(rq::AGING_REPORT_TYPES, name).to_string()),
                3 => rq::ReportKind::CustomSummary,
                _ => rq::ReportKind::CustomDetail,
            };
            let mut q = rq::ReportQuery::new(kind);
            q.dates = Some(match date_macro {
                Some(m) => rq::ReportDates::Macro(pick(rq::REPORT_DATE_MACROS, m).to_string()),
                None => rq::ReportDates::Period {
                    from: date(period.0),
                    to: date(period.1),
                },
            });
            q.summarize_columns_by = columns_by
                .as_ref()
                .map(|c| pick(rq::SUMMARIZE_COLUMNS_BY, c).to_string());
            q.summarize_rows_by = rows_by
                .as_ref()
                .map(|r| pick(rq::SUMMARIZE_ROWS_BY, r).to_string());
            q.include_columns = include
                .iter()
                .map(|c| pick(rq::INCLUDE_COLUMNS, c).to_string())
                .collect();
            rq::report_query_rq(request_id, &q)
        }
        Input::MessageSet {
            new_id,
            old_id,
            include,
        } => {
            let mut set = MessageSet::new(OnError::StopOnError);
            if let Some(id) = new_id {
                let Ok(s) = set.with_new_message_set_id(id) else {
                    return;
                };
                set = s;
            }
            if let Some(id) = old_id {
                let Ok(s) = set.with_old_message_set_id(id) else {
                    return;
                };
                set = s;
            }
            let names: Vec<&str> = include.iter().map(String::as_str).collect();
            let Ok(rq) = rq::with_include_ret(Element::new("CustomerQueryRq"), &names) else {
                return;
            };
            let set = set.with(rq);
            xml10::assert_written_faithfully(&set.to_xml(), &set.to_element());
            return;
        }
    };
    if let Ok(e) = built {
        check(&e);
    }
});
