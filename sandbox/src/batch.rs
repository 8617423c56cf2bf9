//! `/batch` (reference sheet §6): up to 30 independent items keyed by `bId`, HTTP 200 with a
//! per-item `Fault` for failures; no item sees what an earlier item created.

use crate::cdc;
use crate::fault::Fault;
use crate::ops::{self, WriteKind};
use crate::store::Store;
use serde_json::{Map, Value};

pub const MAX_BATCH_ITEMS: usize = 30;
/// [sim] request bodies above this size get the 413 HTML page.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The outcome of a batch: the `BatchItemResponse` array JSON and the entities created.
#[derive(Debug)]
pub struct BatchOutcome {
    pub items_json: String,
    pub created: Vec<&'static str>,
}

fn fault_item(f: &Fault, bid: &str) -> String {
    format!(
        "{{\"Fault\":{},\"bId\":{}}}",
        f.body_value(),
        crate::fault::json_str(bid)
    )
}

/// Runs a batch. `request_id_fault` (a too-long `requestid`) fails every item with it.
pub fn run(
    store: &mut Store,
    body: &[u8],
    now_ms: i64,
    strict_cdc: bool,
    request_id_fault: Option<&Fault>,
) -> Result<BatchOutcome, Fault> {
    let req = ops::parse_body(body)?;
    let items = match req.get("BatchItemRequest") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(Fault::unsupported_property("BatchItemRequest")),
        None => return Err(Fault::required_param("BatchItemRequest")),
    };
    if items.len() > MAX_BATCH_ITEMS {
        // [sim] code 2050 for the 31-item rejection.
        return Err(Fault::length_exceeds(format!(
            "Batch request exceeds the maximum of {MAX_BATCH_ITEMS} items: {} items supplied",
            items.len()
        )));
    }
    let now = now_ms.div_euclid(1000);
    store.visible_max_id = Some(store.last_id());
    let mut out = Vec::with_capacity(items.len());
    let mut created = Vec::new();
    for item in items {
        let empty = Map::new();
        let item = item.as_object().unwrap_or(&empty);
        let bid = item
            .get("bId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Some(f) = request_id_fault {
            out.push(fault_item(f, &bid));
            continue;
        }
        match run_item(store, item, now_ms, strict_cdc, now) {
            Ok((key, json, made)) => {
                if let Some(e) = made {
                    created.push(e);
                }
                out.push(format!(
                    "{{{}:{json},\"bId\":{}}}",
                    crate::fault::json_str(&key),
                    crate::fault::json_str(&bid)
                ));
            }
            Err(f) => out.push(fault_item(&f, &bid)),
        }
    }
    store.visible_max_id = None;
    Ok(BatchOutcome {
        items_json: format!("[{}]", out.join(",")),
        created,
    })
}

type ItemResult = Result<(String, String, Option<&'static str>), Fault>;

fn run_item(
    store: &mut Store,
    item: &Map<String, Value>,
    now_ms: i64,
    strict_cdc: bool,
    now: i64,
) -> ItemResult {
    if let Some(q) = item.get("Query") {
        let text = q
            .as_str()
            .ok_or_else(|| Fault::unsupported_property("Query"))?;
        return Ok(("QueryResponse".into(), ops::run_query(store, text)?, None));
    }
    if let Some(c) = item.get("CDCQuery") {
        let entities = c.get("Entities").and_then(Value::as_str);
        let since = c.get("ChangedSince").and_then(Value::as_str);
        return Ok((
            "CDCResponse".into(),
            cdc::cdc(store, entities, since, now_ms, strict_cdc)?,
            None,
        ));
    }
    if item.contains_key("ReportQuery") {
        return Err(Fault::unsupported_operation("ReportQuery"));
    }
    let mut found = None;
    for (k, v) in item {
        if matches!(k.as_str(), "bId" | "operation" | "optionsData") {
            continue;
        }
        match store
            .table_index(k)
            .filter(|ti| store.entity(*ti).name == k)
        {
            Some(ti) if found.is_none() => found = Some((ti, v)),
            _ => return Err(Fault::unsupported_property(k)),
        }
    }
    let Some((ti, v)) = found else {
        return Err(Fault::required_param("BatchItemRequest entity"));
    };
    let body = v
        .as_object()
        .cloned()
        .ok_or_else(|| Fault::unsupported_property(store.entity(ti).name))?;
    let kind = WriteKind::from_batch(
        item.get("operation").and_then(Value::as_str),
        item.get("optionsData").and_then(Value::as_str),
    )?;
    let r = ops::write(store, ti, kind, body, now)?;
    Ok((r.entity.to_string(), r.json, r.created.then_some(r.entity)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_are_independent_and_keyed() {
        let mut s = Store::new();
        let body = json!({"BatchItemRequest":[
            {"bId":"a","operation":"create","Customer":{"DisplayName":"New"}},
            {"bId":"b","operation":"update","Customer":{"Id":"1","SyncToken":"0","sparse":true,"Notes":"x"}},
            {"bId":"c","Query":"select count(*) from Customer"},
            {"bId":"d","operation":"create","Bogus":{}}
        ]});
        let out = run(&mut s, body.to_string().as_bytes(), 10_000, false, None).expect("batch");
        let v: Value = serde_json::from_str(&out.items_json).expect("json");
        assert_eq!(v[0]["bId"], "a");
        assert_eq!(v[0]["Customer"]["Id"], "1");
        assert_eq!(
            v[1]["Fault"]["Error"][0]["code"], "610",
            "item b cannot see item a's create"
        );
        assert_eq!(
            v[2]["QueryResponse"]["totalCount"], 0,
            "the query does not see it either"
        );
        assert_eq!(v[3]["Fault"]["Error"][0]["code"], "2010");
        assert_eq!(out.created, vec!["Customer"]);
        assert!(s.visible_max_id.is_none());
    }

    #[test]
    fn too_many_items() {
        let mut s = Store::new();
        let items: Vec<Value> = (0..31)
            .map(|i| json!({"bId":i.to_string(),"Query":"select * from Item"}))
            .collect();
        let e = run(
            &mut s,
            json!({"BatchItemRequest":items}).to_string().as_bytes(),
            0,
            false,
            None,
        )
        .unwrap_err();
        assert_eq!(e.status, 400);
    }
}
