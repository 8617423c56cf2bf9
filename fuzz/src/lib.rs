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

/// A decimal number's value as (negative, significant digits, exponent of the last digit):
/// `"-012.50"` and `"-1.25e1"` are both `(true, "125", -1)`; zero is `(false, "", 0)`. Takes
/// the plain decimals QuickBooks writes and JSON numbers (with an exponent). None for anything
/// else.
pub fn decimal_value(s: &str) -> Option<(bool, String, i64)> {
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (
            &s[..i],
            s[i + 1..].trim_start_matches('+').parse::<i64>().ok()?,
        ),
        None => (s, 0),
    };
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty()
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{whole}{frac}");
    let mut exp = exp.checked_sub(i64::try_from(frac.len()).ok()?)?;
    let trimmed = digits.trim_start_matches('0');
    let significant = trimmed.trim_end_matches('0');
    if significant.is_empty() {
        return Some((false, String::new(), 0));
    }
    exp = exp.checked_add(i64::try_from(trimmed.len() - significant.len()).ok()?)?;
    Some((negative, significant.to_string(), exp))
}
