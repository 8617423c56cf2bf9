//! Oracles shared by the fuzz targets. They are written independently of the code under test
//! (no `qbsync_qbxml::tree` parsing here) so that a writer and its own reader cannot agree on
//! the same mistake.

pub mod qbo_query;
pub mod xml10;

use serde_json::Value;

/// The value at `path` in `v` the way Postgres' `#>>` walks it: object keys, and numeric
/// segments as array indexes.
pub fn json_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, seg| match cur {
        Value::Object(m) => m.get(*seg),
        Value::Array(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// `#>>` as text: strings unquoted, other values as JSON text, JSON null as SQL NULL.
pub fn json_text_at(v: &Value, path: &[&str]) -> Option<String> {
    match json_at(v, path)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
