//! Arbitrary JSON through the catalogue's QuickBooks Online mapping, for every entity.
//!
//! Incoming objects become typed columns in Postgres (`upsert_sql`: `data #>> '{path}'` per
//! column), outgoing rows become a QuickBooks body in Rust (`body_from_row`, `line_from_row`).
//! The target reads the input either as a QuickBooks object (columns extracted by the
//! catalogue's paths, as the upsert does, then sent back) or as a mirror row as `to_jsonb(row)`
//! gives it, and checks: nothing panics, and every writable column of the row is in the body at
//! its catalogue path, as it was in the row (no column overwrites another, no line array
//! overwrites a column).
//!
//! Input: byte 0 picks the entity, byte 1 the reading, the rest is JSON (non-JSON is skipped).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qbsync_catalog::{body_from_row, line_from_row, Column, Entity, QBO_ENTITIES};
use qbsync_fuzz::{json_at, json_text_at};
use serde_json::{Map, Value};

/// The row the upsert makes of `obj`: each column's `#>>` text, and `data` = the object.
fn row_from_object(columns: &[Column], obj: &Value) -> Map<String, Value> {
    let mut row: Map<String, Value> = columns
        .iter()
        .map(|c| {
            let v = json_text_at(obj, c.path).map_or(Value::Null, Value::String);
            (c.name.to_string(), v)
        })
        .collect();
    row.insert("data".into(), obj.clone());
    row
}

fn objects(v: Option<&Value>) -> Vec<Map<String, Value>> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_object().cloned())
            .collect(),
        _ => Vec::new(),
    }
}

/// Every writable, non-NULL column of `row` is at its path in `out`, unchanged.
fn check_columns(what: &str, columns: &[Column], row: &Map<String, Value>, out: &Value) {
    for c in columns.iter().filter(|c| c.writable) {
        let Some(v) = row.get(c.name).filter(|v| !v.is_null()) else {
            continue;
        };
        assert_eq!(
            json_at(out, c.path),
            Some(v),
            "{what}.{} (path {:?}) did not reach the body: {out}",
            c.name,
            c.path
        );
    }
}

fn check(entity: &Entity, row: &Map<String, Value>, children: &[Vec<Map<String, Value>>]) {
    let body = body_from_row(entity, row, children);
    serde_json::to_string(&body).expect("body serialises");
    check_columns(entity.table, entity.columns, row, &body);
    for (child, rows) in entity.children.iter().zip(children) {
        if rows.is_empty() {
            continue;
        }
        let lines = body.get(child.array).and_then(Value::as_array);
        assert_eq!(
            lines.map(Vec::len),
            Some(rows.len()),
            "{}: {body}",
            child.table
        );
        for (i, r) in rows.iter().enumerate() {
            let line = line_from_row(child.columns, r);
            assert_eq!(lines.and_then(|l| l.get(i)), Some(&line));
            check_columns(child.table, child.columns, r, &line);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [pick, reading, json @ ..] = data else {
        return;
    };
    let Ok(value) = serde_json::from_slice::<Value>(json) else {
        return;
    };
    let entity = &QBO_ENTITIES[usize::from(*pick) % QBO_ENTITIES.len()];
    if reading % 2 == 0 {
        // A QuickBooks object, as populate/refresh store it, then pushed back.
        let row = row_from_object(entity.columns, &value);
        let children: Vec<Vec<Map<String, Value>>> = entity
            .children
            .iter()
            .map(|child| {
                objects(value.get(child.array))
                    .into_iter()
                    .map(|line| row_from_object(child.columns, &Value::Object(line)))
                    .collect()
            })
            .collect();
        check(entity, &row, &children);
    } else {
        // A mirror row as `to_jsonb(row)`, its line rows under "_children" (one array per
        // child table), as push reads them.
        let Value::Object(mut row) = value else {
            return;
        };
        let children: Vec<Vec<Map<String, Value>>> = match row.remove("_children") {
            Some(Value::Array(tables)) => tables.iter().map(|t| objects(Some(t))).collect(),
            _ => Vec::new(),
        };
        check(entity, &row, &children);
    }
});
