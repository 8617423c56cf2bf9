//! Entry points for the fuzz targets in `fuzz/` (not an API): each takes an HTTP answer as
//! QuickBooks could send it (status and body bytes) through the functions the agent itself
//! runs it through, in the same order, without a network or a database.

use super::client::{self, ApiRequest, QboClient};
use super::QboError;
use crate::error::AgentError;
use crate::report::{self, FlatReport};
use crate::sync::refresh::{self, Changes, CDC_CAP};
use chrono::{DateTime, FixedOffset};
use qbsync_catalog::Entity;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

pub use super::oauth::Tokens;

/// The calls whose answers the agent reads, each as `QboClient` builds its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Query,
    Cdc,
    Read,
    Write,
    Batch,
    Report,
}

impl Endpoint {
    fn request(self) -> ApiRequest {
        let get = QboClient::get;
        let post = |path: &str, batch| {
            let query = vec![("requestid", "fuzz".to_string())];
            QboClient::post(path.into(), query, "{}".into(), batch, !batch)
        };
        match self {
            Endpoint::Query => get(
                "query".into(),
                vec![(
                    "query",
                    "SELECT * FROM Customer STARTPOSITION 1 MAXRESULTS 1000".into(),
                )],
            ),
            Endpoint::Cdc => get("cdc".into(), vec![("entities", "Customer,Invoice".into())]),
            Endpoint::Read => get("customer/1".into(), vec![]),
            Endpoint::Write => post("customer", false),
            Endpoint::Batch => post("batch", true),
            Endpoint::Report => get("reports/ProfitAndLoss".into(), vec![]),
        }
    }
}

/// The body of an answer as `send_once` passes it on: text for a 2xx answer that is UTF-8,
/// else the error it stands for (`Garbled`, `Decode`, or the fault by status).
pub fn answer(
    endpoint: Endpoint,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<String, QboError> {
    client::answer_text(&endpoint.request(), status, retry_after, body.to_vec())
}

/// A query page as populate reads it (raw objects and server time) and as lookups read it
/// (`query_objects`: the objects decoded).
pub struct QueryRead {
    pub raw: Vec<String>,
    pub time: Option<DateTime<FixedOffset>>,
    pub decoded: Result<Vec<Value>, QboError>,
}

pub fn query_page(body: String, entity: &str) -> Result<QueryRead, QboError> {
    let page = client::read_query(body);
    let (raw, time) = page.objects(entity)?;
    let raw = raw.iter().map(|r| r.get().to_owned()).collect();
    let decoded = client::read_objects(&page, entity);
    Ok(QueryRead { raw, time, decoded })
}

/// A CDC answer as `refresh::fetch_changes` reads it for `entities`: the answer, and the
/// changes per entity, both when the answer is taken as a whole and when it is taken as the
/// answer for each entity on its own (the path after a full answer). `now` stands in for the
/// database clock.
pub fn cdc(
    body: &str,
    entities: &[&'static Entity],
    now: DateTime<FixedOffset>,
) -> Result<(Value, HashMap<&'static str, Changes>), QboError> {
    let resp = client::read_cdc(body)?;
    let mut parsed = refresh::parse_cdc(&resp);
    let total: usize = parsed.values().map(Vec::len).sum();
    let cursor = refresh::server_time(&resp).unwrap_or(now);
    let mut out = HashMap::new();
    if total < CDC_CAP || entities.len() == 1 {
        for e in entities {
            let objects = parsed.remove(e.name).unwrap_or_default();
            out.insert(e.name, refresh::split(objects, cursor, total >= CDC_CAP, e));
        }
    } else {
        for e in entities {
            let objects = refresh::parse_cdc(&resp).remove(e.name).unwrap_or_default();
            let full = objects.len() >= CDC_CAP;
            out.insert(e.name, refresh::split(objects, cursor, full, e));
        }
    }
    Ok((resp, out))
}

/// `GET /{resource}/{id}`: the entity object.
pub fn entity_read(body: &str) -> Result<Value, QboError> {
    client::read_entity(body)
}

/// `POST /{resource}`: the entity object written.
pub fn entity_written(body: &str) -> Result<Value, QboError> {
    client::read_written(body)
}

/// `POST /batch`: the items (each then read by `push::send::push_batch` with
/// `parse_fault_value`).
pub fn batch(body: &str) -> Result<Vec<Value>, QboError> {
    client::read_batch(body)
}

/// A report as `sync::report::run` reads and stores it: the flattened report, and the JSON
/// `report::store` inserts for its columns and rows.
pub fn report(name: &str, body: &str) -> Result<(FlatReport, Vec<Value>, Vec<Value>), AgentError> {
    let body = client::read_report(name, body)?;
    let flat = report::qbo::flatten(name, &body)?;
    let columns = flat
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| report::column_json(i, c))
        .collect();
    let rows = flat
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| report::row_json(i, r, &flat.columns))
        .collect();
    Ok((flat, columns, rows))
}

/// The token endpoint's answer, as `TokenSource::refresh` reads it.
pub fn token(status: u16, body: &[u8]) -> Result<Tokens, QboError> {
    super::oauth::read_token_answer(status, body)
}
