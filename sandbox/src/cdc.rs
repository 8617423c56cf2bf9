//! Change Data Capture (reference sheet §5): changed and deleted objects since a time, at most
//! 1000 in one response across all requested entities.

use crate::clock::parse_datetime_ms;
use crate::fault::Fault;
use crate::store::Store;

pub const CDC_MAX_OBJECTS: usize = 1000;
pub const CDC_WINDOW_SECS: i64 = 30 * 86_400;

/// Builds the value of `CDCResponse`: `[{"QueryResponse":[{"Customer":[...],...},{}]}]`.
pub fn cdc(
    store: &Store,
    entities: Option<&str>,
    changed_since: Option<&str>,
    now_ms: i64,
    strict: bool,
) -> Result<String, Fault> {
    cdc_capped(
        store,
        entities,
        changed_since,
        now_ms,
        strict,
        CDC_MAX_OBJECTS,
    )
}

fn cdc_capped(
    store: &Store,
    entities: Option<&str>,
    changed_since: Option<&str>,
    now_ms: i64,
    strict: bool,
    cap: usize,
) -> Result<String, Fault> {
    let Some(entities) = entities.filter(|e| !e.trim().is_empty()) else {
        return Err(Fault::required_param("entities"));
    };
    let Some(since) = changed_since.filter(|s| !s.trim().is_empty()) else {
        return Err(Fault::required_param("changedSince"));
    };
    let since_ms = parse_datetime_ms(since)
        .ok_or_else(|| Fault::invalid_query(format!("Invalid changedSince value: {since}")))?;
    if strict && since_ms < now_ms - CDC_WINDOW_SECS * 1000 {
        // [sim] strict mode: the documented 30-day look-back enforced.
        return Err(Fault::invalid_query(
            "changedSince must be within the last 30 days",
        ));
    }
    let mut tables = Vec::new();
    for name in entities.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match store.table_index(name) {
            Some(ti) if store.entity(ti).cdc => tables.push(ti),
            _ => {
                return Err(Fault::invalid_query(format!(
                    "invalid context declaration: {name}"
                )))
            }
        }
    }
    let mut budget = cap;
    let mut groups = Vec::with_capacity(tables.len());
    for ti in tables {
        let recs = store.changes(ti, since_ms, budget);
        budget -= recs.len();
        let group = if recs.is_empty() {
            "{}".to_string()
        } else {
            let rows: Vec<String> = recs
                .iter()
                .map(|r| serde_json::to_string(&r.obj).unwrap_or_default())
                .collect();
            format!(
                "{{\"{}\":[{}],\"startPosition\":1,\"maxResults\":{}}}",
                store.entity(ti).name,
                rows.join(","),
                recs.len()
            )
        };
        groups.push(group);
    }
    Ok(format!("[{{\"QueryResponse\":[{}]}}]", groups.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities;
    use serde_json::{json, Value};

    fn o(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn groups_order_deletes_and_cap() {
        let mut s = Store::new();
        let acc = s.table_index("Account").expect("a");
        let cust = s.table_index("Customer").expect("c");
        let inv = s.table_index("Invoice").expect("i");
        entities::create(
            &mut s,
            acc,
            o(json!({"Name":"Sales","AccountType":"Income"})),
            1_000,
        )
        .expect("acc");
        let c = entities::create(&mut s, cust, o(json!({"DisplayName":"A"})), 2_000).expect("c");
        let i1 = entities::create(&mut s, inv, o(json!({"CustomerRef":{"value":c["Id"]},"Line":[{"DetailType":"SalesItemLineDetail","Amount":5}]})), 3_000).expect("i1");
        entities::create(&mut s, inv, o(json!({"CustomerRef":{"value":c["Id"]},"Line":[{"DetailType":"SalesItemLineDetail","Amount":6}]})), 2_500).expect("i2");
        entities::delete(
            &mut s,
            inv,
            o(json!({"Id":i1["Id"],"SyncToken":"0"})),
            4_000,
        )
        .expect("del");
        let out = cdc(
            &s,
            Some("Invoice,Customer,Item"),
            Some("1970-01-01T00:00:00Z"),
            5_000_000,
            false,
        )
        .expect("cdc");
        let v: Value = serde_json::from_str(&out).expect("json");
        let groups = v[0]["QueryResponse"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(groups.len(), 3);
        let invs = groups[0]["Invoice"].as_array().cloned().unwrap_or_default();
        assert_eq!(invs.len(), 2);
        assert_eq!(invs[1]["status"], "Deleted", "deleted after active");
        assert_eq!(invs[1].as_object().map(|m| m.len()), Some(4));
        assert_eq!(groups[1]["Customer"][0]["DisplayName"], "A");
        assert_eq!(groups[2], json!({}), "no changes: empty entry");
        // Total cap across entities.
        let capped = cdc_capped(
            &s,
            Some("Invoice,Customer"),
            Some("1970-01-01T00:00:00Z"),
            5_000_000,
            false,
            2,
        )
        .expect("cdc");
        let v: Value = serde_json::from_str(&capped).expect("json");
        assert_eq!(v[0]["QueryResponse"][0]["maxResults"], 2);
        assert_eq!(
            v[0]["QueryResponse"][1],
            json!({}),
            "the cap is shared across entities"
        );
        let capped = cdc_capped(
            &s,
            Some("Invoice"),
            Some("1970-01-01T00:00:00Z"),
            5_000_000,
            false,
            1,
        )
        .expect("cdc");
        assert!(
            !capped.contains("Deleted"),
            "active objects come first when truncating"
        );
        // Strict mode refuses old cursors; lenient does not.
        assert_eq!(
            cdc(
                &s,
                Some("Invoice"),
                Some("1970-01-01"),
                100 * 86_400_000,
                true
            )
            .unwrap_err()
            .status,
            400
        );
        assert!(cdc(&s, Some("Nope"), Some("1970-01-01"), 0, false).is_err());
        assert_eq!(
            cdc(&s, Some("Invoice"), None, 0, false).unwrap_err().code(),
            "2020"
        );
    }
}
