//! HTTP calls to one QuickBooks Online company (realm), within its request budget, with
//! retries for throttling and service errors and one token refresh after a 401.

use super::fault::{parse_fault, QboError};
use super::limits::{RealmLimits, Slot};
use super::oauth::TokenSource;
pub use super::page::QueryPage;
use crate::metrics;
use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, FixedOffset};
use reqwest::{header, Method};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::{debug, instrument, warn, Instrument};

/// Minor version every request declares (reference sheet §11).
const MINOR_VERSION: &str = "75";

/// How long a throttled request keeps waiting QuickBooks out. A 429 was never executed, so
/// waiting is always safe; QuickBooks' limits are per minute, so a storm past this is an outage.
const THROTTLE_BUDGET: Duration = Duration::from_secs(15 * 60);

/// QuickBooks accepts at most 30 items in one `/batch` call (reference sheet §6, §9).
pub const BATCH_MAX_ITEMS: usize = 30;

#[derive(Clone)]
pub(super) struct ApiRequest {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<(String, &'static str)>,
    batch: bool,
    /// Whether an answer-less failure (5xx, network) may be retried here. Not for creates:
    /// QuickBooks may have applied them, and only the caller can check before sending again.
    retry_unknown: bool,
}

impl ApiRequest {
    /// The route kind, for metrics (bounded: no ids).
    fn endpoint(&self) -> &'static str {
        if self.batch {
            "batch"
        } else if self.method == Method::POST {
            "entity_write"
        } else if self.path == "query" {
            "query"
        } else if self.path == "cdc" {
            "cdc"
        } else if self.path.starts_with("reports/") {
            "report"
        } else {
            "entity_read"
        }
    }
}

pub struct QboClient {
    http: reqwest::Client,
    company_base: String,
    tokens: Arc<TokenSource>,
    limits: Arc<RealmLimits>,
    max_retries: usize,
}

/// The entity object in a single-entity answer (`{"Customer":{...},"time":...}`).
pub fn entity_object(mut v: Value) -> Result<Value, QboError> {
    if let Value::Object(map) = &mut v {
        if let Some(key) = map.keys().find(|k| k.as_str() != "time").cloned() {
            return map
                .remove(&key)
                .ok_or_else(|| QboError::Decode("empty entity response".into()));
        }
    }
    Err(QboError::Decode("entity response is not an object".into()))
}

/// The text of an HTTP answer, or the error it stands for. Bytes, not `text()`: `text()` would
/// replace invalid UTF-8 with U+FFFD and the row would silently get garbage, so an invalid body
/// is refused as a whole instead. A non-2xx answer becomes its fault, classified by status.
pub(super) fn answer_text(
    req: &ApiRequest,
    status: u16,
    retry_after: Option<Duration>,
    body: Vec<u8>,
) -> Result<String, QboError> {
    let body = String::from_utf8(body).map_err(|e| {
        // On a success status QuickBooks may have applied the request: an unknown outcome
        // (retried, then recovered by requestid or natural key), like a body cut short.
        let garbled = if (200..300).contains(&status) { QboError::Garbled } else { QboError::Decode };
        garbled(format!(
            "{} /{}{} answered HTTP {status} with a body that is not valid UTF-8 (at byte {}); nothing from it was stored",
            req.method,
            req.path,
            // The query names the entity and page (STARTPOSITION) that could not be read.
            req.query
                .iter()
                .find(|(k, _)| *k == "query")
                .map(|(_, q)| format!(" ({q})"))
                .unwrap_or_default(),
            e.utf8_error().valid_up_to()
        ))
    })?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(parse_fault(status, retry_after, &body))
    }
}

/// A `/query` answer's text as a page (read lazily by [`QueryPage::objects`]).
pub(super) fn read_query(body: String) -> QueryPage {
    QueryPage::new(body)
}

/// The objects of `entity` on `page`, decoded (lookups; populate keeps them raw).
pub(super) fn read_objects(page: &QueryPage, entity: &str) -> Result<Vec<Value>, QboError> {
    let (objects, _) = page.objects(entity)?;
    objects
        .iter()
        .map(|o| {
            serde_json::from_str(o.get()).map_err(|e| QboError::Decode(format!("{entity}: {e}")))
        })
        .collect()
}

/// A `/cdc` answer.
pub(super) fn read_cdc(body: &str) -> Result<Value, QboError> {
    serde_json::from_str(body).map_err(|e| QboError::Decode(format!("cdc response: {e}")))
}

/// A `GET /{resource}/{id}` answer: the entity object.
pub(super) fn read_entity(body: &str) -> Result<Value, QboError> {
    entity_object(serde_json::from_str(body).map_err(|e| QboError::Decode(e.to_string()))?)
}

/// A `POST /{resource}` answer: the entity object. A 2xx body that does not parse was cut
/// short, and the write may have been applied: its outcome is unknown (`Garbled`).
pub(super) fn read_written(body: &str) -> Result<Value, QboError> {
    entity_object(serde_json::from_str(body).map_err(|e| QboError::Garbled(e.to_string()))?)
}

/// A `POST /batch` answer: its `BatchItemResponse` items (a cut-short body is `Garbled`, as
/// for a single write).
pub(super) fn read_batch(body: &str) -> Result<Vec<Value>, QboError> {
    let mut v: Value = serde_json::from_str(body)
        .map_err(|e| QboError::Garbled(format!("batch response: {e}")))?;
    match v.get_mut("BatchItemResponse").map(Value::take) {
        Some(Value::Array(items)) => Ok(items),
        _ => Err(QboError::Decode(
            "batch response without BatchItemResponse".into(),
        )),
    }
}

/// The answers to the queries of one `/batch` call, in the order asked: each a page or the
/// fault QuickBooks gave that query (see [`QboClient::query_batch`]).
pub type QueryPages = Vec<Result<QueryPage, QboError>>;

/// A batch item's answer: a query's page or a fault, keyed by `bId`.
#[derive(Deserialize)]
struct BatchQueryItem<'a> {
    #[serde(rename = "bId", default)]
    bid: Option<&'a str>,
    #[serde(rename = "QueryResponse", borrow, default)]
    response: Option<&'a RawValue>,
    #[serde(rename = "Fault", default)]
    fault: Option<Value>,
}

#[derive(Deserialize)]
struct BatchQueryEnvelope<'a> {
    #[serde(rename = "BatchItemResponse", borrow)]
    items: Vec<BatchQueryItem<'a>>,
    #[serde(default)]
    time: Option<String>,
}

/// The `bId` of the `i`-th query of a batch.
fn query_bid(i: usize) -> String {
    format!("q{i}")
}

/// A `POST /batch` answer to `count` queries (`bId` `q0`, `q1`, ...): each item's page, in
/// the order asked, as if it had come from `GET /query` (the batch's `time` on every page), or
/// the fault QuickBooks gave that item.
pub(super) fn read_query_batch(body: &str, count: usize) -> Result<QueryPages, QboError> {
    let env: BatchQueryEnvelope<'_> = serde_json::from_str(body)
        .map_err(|e| QboError::Decode(format!("batch query response: {e}")))?;
    let time = env
        .time
        .as_deref()
        .map(|t| Value::String(t.to_string()).to_string())
        .unwrap_or_else(|| "null".into());
    let mut by_bid: HashMap<&str, BatchQueryItem<'_>> = env
        .items
        .into_iter()
        .filter_map(|item| item.bid.map(|b| (b, item)))
        .collect();
    Ok((0..count)
        .map(|i| {
            let bid = query_bid(i);
            match by_bid.remove(bid.as_str()) {
                Some(item) => batch_query_page(item, &time, &bid),
                None => Err(QboError::Decode(format!("batch answer has no item {bid}"))),
            }
        })
        .collect())
}

/// One item of a batch query answer as a page, or its fault.
fn batch_query_page(
    item: BatchQueryItem<'_>,
    time: &str,
    bid: &str,
) -> Result<QueryPage, QboError> {
    if let Some(fault) = &item.fault {
        let (kind, errors) = super::fault::parse_fault_value(fault)
            .ok_or_else(|| QboError::Decode(format!("batch item {bid}: unreadable fault")))?;
        // A batch item's fault is QuickBooks refusing that query: a 400 had it come alone.
        return Err(QboError::Fault {
            status: 400,
            kind,
            errors,
        });
    }
    let response = item
        .response
        .ok_or_else(|| QboError::Decode(format!("batch item {bid} has no QueryResponse")))?;
    Ok(read_query(format!(
        "{{\"QueryResponse\":{},\"time\":{time}}}",
        response.get()
    )))
}

/// A `GET /reports/{name}` answer (QuickBooks sends the report bare, no wrapper).
pub(super) fn read_report(name: &str, body: &str) -> Result<Value, QboError> {
    serde_json::from_str(body).map_err(|e| QboError::Decode(format!("report {name}: {e}")))
}

impl QboClient {
    pub fn new(
        http: reqwest::Client,
        api_base: &str,
        realm: &str,
        tokens: Arc<TokenSource>,
        limits: Arc<RealmLimits>,
    ) -> Self {
        QboClient {
            http,
            company_base: format!("{}/company/{}", api_base.trim_end_matches('/'), realm),
            tokens,
            limits,
            max_retries: 8,
        }
    }

    /// One attempt: waits for a place among the requests in flight, pays the budget (less
    /// what `prepaid` covers), sends. The place first: QuickBooks counts a request when it
    /// arrives, so the time between paying and sending is kept short (see `limits::burst`).
    async fn send_once(&self, req: &ApiRequest, prepaid: Option<Slot>) -> Result<String, QboError> {
        let _permit = self
            .limits
            .in_flight
            .acquire()
            .await
            .map_err(|_| QboError::Decode("limiter closed".into()))?;
        self.limits.pay(req.batch, prepaid).await;
        let token = self.tokens.access_token().await?;
        let mut builder = self
            .http
            .request(
                req.method.clone(),
                format!("{}/{}", self.company_base, req.path),
            )
            .bearer_auth(&token)
            .header(header::ACCEPT, "application/json")
            .query(&[("minorversion", MINOR_VERSION)])
            .query(&req.query);
        if let Some((body, content_type)) = &req.body {
            builder = builder
                .header(header::CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        let started = std::time::Instant::now();
        let resp = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                metrics::quickbooks_request(req.endpoint(), "error", started.elapsed());
                return Err(e.into());
            }
        };
        let status = resp.status().as_u16();
        let tid = resp
            .headers()
            .get("intuit-tid")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        // Bytes, not text(): see `answer_text`.
        let body = resp.bytes().await;
        metrics::quickbooks_request(
            req.endpoint(),
            if body.is_ok() {
                metrics::status_class(status)
            } else {
                "error"
            },
            started.elapsed(),
        );
        let body = body?.to_vec();
        debug!(
            status,
            intuit_tid = tid.as_deref().unwrap_or(""),
            "response"
        );
        let answer = answer_text(req, status, retry_after, body);
        if let Err(QboError::Unauthorized { .. }) = answer {
            self.tokens.reject(&token).await;
        }
        answer
    }

    async fn send(&self, req: ApiRequest) -> Result<String, QboError> {
        self.send_paid(req, None).await
    }

    /// Sends `req`, its first attempt paid by `prepaid` (see [`Slot`]); every retry pays again.
    async fn send_paid(&self, req: ApiRequest, prepaid: Option<Slot>) -> Result<String, QboError> {
        let span = tracing::info_span!("qbo_request", method = %req.method, path = %req.path);
        // Taken by the first attempt only. A Mutex, not a Cell: the future must stay Send.
        let prepaid = Mutex::new(prepaid);
        let first_payment = || prepaid.lock().unwrap_or_else(|p| p.into_inner()).take();
        async {
            let mut refreshed = false;
            let started = std::time::Instant::now();
            loop {
                let result = (|| self.send_once(&req, first_payment()))
                    .retry(
                        ExponentialBuilder::default()
                            .with_min_delay(Duration::from_millis(250))
                            .with_max_delay(Duration::from_secs(60))
                            .with_max_times(self.max_retries)
                            .with_jitter(),
                    )
                    .when(|e| e.is_transient() && (req.retry_unknown || matches!(e, QboError::Throttled { .. })))
                    // Retry-After from QuickBooks overrides our own backoff; None still ends the retries.
                    .adjust(|e, backoff| backoff.map(|d| e.retry_after().unwrap_or(d)))
                    .notify(|e, d| {
                        if matches!(e, QboError::Throttled { .. }) {
                            metrics::throttle_wait(d);
                        }
                        warn!(error = %e, wait_ms = d.as_millis() as u64, "retrying QuickBooks request")
                    })
                    .await;
                match result {
                    Err(QboError::Unauthorized { .. }) if !refreshed => refreshed = true,
                    // Still throttled after the retries above: keep waiting within the budget.
                    Err(e @ QboError::Throttled { .. }) if started.elapsed() < THROTTLE_BUDGET => {
                        let wait = e.retry_after().unwrap_or(Duration::from_secs(60));
                        metrics::throttle_wait(wait);
                        warn!(wait_ms = wait.as_millis() as u64, "still throttled by QuickBooks; waiting");
                        tokio::time::sleep(wait).await;
                    }
                    other => return other,
                }
            }
        }
        .instrument(span)
        .await
    }

    pub(super) fn get(path: String, query: Vec<(&'static str, String)>) -> ApiRequest {
        ApiRequest {
            method: Method::GET,
            path,
            query,
            body: None,
            batch: false,
            retry_unknown: true,
        }
    }

    pub(super) fn post(
        path: String,
        query: Vec<(&'static str, String)>,
        body: String,
        batch: bool,
        retry_unknown: bool,
    ) -> ApiRequest {
        ApiRequest {
            method: Method::POST,
            path,
            query,
            body: Some((body, "application/json")),
            batch,
            retry_unknown,
        }
    }

    /// `GET /query`: one page, as text.
    #[instrument(skip(self))]
    pub async fn query(&self, query: &str) -> Result<QueryPage, QboError> {
        let body = self
            .send(Self::get(
                "query".into(),
                vec![("query", query.to_string())],
            ))
            .await?;
        Ok(read_query(body))
    }

    /// Waits for a request token of this realm's budget, and takes a batch token too if one
    /// is free right now. Hand the [`Slot`] to one of the `*_with` calls (or
    /// [`QboClient::query_batch`]): its first attempt is then already paid. On
    /// [`Slot::Batch`] send a batch call, on [`Slot::Single`] a single request, so neither
    /// bucket idles while the other has tokens.
    pub fn slot(&self) -> impl Future<Output = Slot> + Send + '_ {
        self.limits.slot()
    }

    /// Requests this realm may have in flight at once (the useful concurrency of callers).
    pub fn max_in_flight(&self) -> usize {
        self.limits.max_in_flight()
    }

    /// `GET /query`: one page, as text, its first attempt paid by `slot` (see
    /// [`QboClient::slot`]; a [`Slot::Batch`] spent here loses its batch token).
    #[instrument(skip(self, slot))]
    pub async fn query_with(&self, query: &str, slot: Slot) -> Result<QueryPage, QboError> {
        let body = self
            .send_paid(
                Self::get("query".into(), vec![("query", query.to_string())]),
                Some(slot),
            )
            .await?;
        Ok(read_query(body))
    }

    /// `POST /batch` with one `{"bId": "q<i>", "Query": ...}` item per query (at most 30), its
    /// first attempt paid by `slot` (on a [`Slot::Single`] it still waits for a batch token).
    /// The outer error is the call's (throttled past the retries, network, ...); each inner
    /// result is that query's page, as [`QboClient::query`] would give it, or its fault, in
    /// the order of `queries`. Read-only, so retried like a `GET`. No queries: no call, and the
    /// slot is lost.
    #[instrument(skip(self, queries, slot), fields(queries = queries.len()))]
    pub async fn query_batch(
        &self,
        queries: &[String],
        slot: Slot,
    ) -> Result<QueryPages, QboError> {
        if queries.len() > BATCH_MAX_ITEMS {
            return Err(QboError::BatchTooLarge(queries.len()));
        }
        if queries.is_empty() {
            return Ok(Vec::new());
        }
        let items: Vec<Value> = queries
            .iter()
            .enumerate()
            .map(|(i, q)| serde_json::json!({"bId": query_bid(i), "Query": q}))
            .collect();
        let body = serde_json::json!({ "BatchItemRequest": items }).to_string();
        let req = Self::post("batch".into(), vec![], body, true, true);
        read_query_batch(&self.send_paid(req, Some(slot)).await?, queries.len())
    }

    /// `GET /query` for objects of `entity`, decoded (for lookups: a page of populate is
    /// streamed as raw text instead, see [`QueryPage`]).
    pub async fn query_objects(&self, entity: &str, query: &str) -> Result<Vec<Value>, QboError> {
        let page = self.query(query).await?;
        read_objects(&page, entity)
    }

    /// `GET /cdc` for `entities` changed since `since`.
    #[instrument(skip(self))]
    pub async fn cdc(
        &self,
        entities: &[&str],
        since: DateTime<FixedOffset>,
    ) -> Result<Value, QboError> {
        let body = self
            .send(Self::get(
                "cdc".into(),
                vec![
                    ("entities", entities.join(",")),
                    (
                        "changedSince",
                        since.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
                    ),
                ],
            ))
            .await?;
        read_cdc(&body)
    }

    /// `GET /{resource}/{id}`: the entity object.
    #[instrument(skip(self))]
    pub async fn read(&self, resource: &str, id: &str) -> Result<Value, QboError> {
        let body = self
            .send(Self::get(format!("{resource}/{id}"), vec![]))
            .await?;
        read_entity(&body)
    }

    /// `POST /{resource}` with `params` (operation=..., include=...), under `request_id`;
    /// returns the entity object QuickBooks answered with. Updates, deletes and voids carry
    /// the SyncToken, so QuickBooks refuses a second application: they are retried here.
    #[instrument(skip(self, body))]
    pub async fn write(
        &self,
        resource: &str,
        params: &[(&'static str, &str)],
        body: &Value,
        request_id: &str,
    ) -> Result<Value, QboError> {
        self.post_entity(resource, params, body, request_id, true, None)
            .await
    }

    /// [`QboClient::write`] with its first attempt paid by `slot` (see [`QboClient::slot`]).
    #[instrument(skip(self, body, slot))]
    pub async fn write_with(
        &self,
        resource: &str,
        params: &[(&'static str, &str)],
        body: &Value,
        request_id: &str,
        slot: Slot,
    ) -> Result<Value, QboError> {
        self.post_entity(resource, params, body, request_id, true, Some(slot))
            .await
    }

    /// `POST /{resource}` creating a record. Only a throttled request (never executed) is
    /// retried here; after any other failure the caller must look before creating again.
    #[instrument(skip(self, body))]
    pub async fn create(
        &self,
        resource: &str,
        body: &Value,
        request_id: &str,
    ) -> Result<Value, QboError> {
        self.post_entity(resource, &[], body, request_id, false, None)
            .await
    }

    /// [`QboClient::create`] with its first attempt paid by `slot` (see [`QboClient::slot`]).
    #[instrument(skip(self, body, slot))]
    pub async fn create_with(
        &self,
        resource: &str,
        body: &Value,
        request_id: &str,
        slot: Slot,
    ) -> Result<Value, QboError> {
        self.post_entity(resource, &[], body, request_id, false, Some(slot))
            .await
    }

    async fn post_entity(
        &self,
        resource: &str,
        params: &[(&'static str, &str)],
        body: &Value,
        request_id: &str,
        retry_unknown: bool,
        prepaid: Option<Slot>,
    ) -> Result<Value, QboError> {
        let mut query: Vec<(&'static str, String)> =
            params.iter().map(|(k, v)| (*k, v.to_string())).collect();
        query.push(("requestid", request_id.to_string()));
        let req = Self::post(
            resource.to_string(),
            query,
            body.to_string(),
            false,
            retry_unknown,
        );
        read_written(&self.send_paid(req, prepaid).await?)
    }

    /// `POST /batch`: the `BatchItemResponse` array (HTTP 200 even when items fail). Not
    /// retried after an answer-less failure: its creates are checked by the caller first.
    #[instrument(skip(self, items), fields(items = items.len()))]
    pub async fn batch(&self, items: Vec<Value>, request_id: &str) -> Result<Vec<Value>, QboError> {
        self.batch_paid(items, request_id, None).await
    }

    /// [`QboClient::batch`] with its first attempt paid by `slot` (see [`QboClient::slot`]).
    #[instrument(skip(self, items, slot), fields(items = items.len()))]
    pub async fn batch_with(
        &self,
        items: Vec<Value>,
        request_id: &str,
        slot: Slot,
    ) -> Result<Vec<Value>, QboError> {
        self.batch_paid(items, request_id, Some(slot)).await
    }

    async fn batch_paid(
        &self,
        items: Vec<Value>,
        request_id: &str,
        prepaid: Option<Slot>,
    ) -> Result<Vec<Value>, QboError> {
        let body = serde_json::json!({ "BatchItemRequest": items }).to_string();
        let req = Self::post(
            "batch".into(),
            vec![("requestid", request_id.to_string())],
            body,
            true,
            false,
        );
        read_batch(&self.send_paid(req, prepaid).await?)
    }

    /// `GET /reports/{name}` with `params`: the report body (QuickBooks sends it bare, no wrapper).
    #[instrument(skip(self))]
    pub async fn report(
        &self,
        name: &str,
        params: Vec<(&'static str, String)>,
    ) -> Result<Value, QboError> {
        let body = self
            .send(Self::get(format!("reports/{name}"), params))
            .await?;
        read_report(name, &body)
    }

    /// `GET /companyinfo/{realm}`.
    pub async fn company_info(&self, realm: &str) -> Result<Value, QboError> {
        self.read("companyinfo", realm).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &[u8]) -> Result<String, QboError> {
        let req = QboClient::get(
            "query".into(),
            vec![("query", "SELECT * FROM Customer".into())],
        );
        answer_text(&req, status, None, body.to_vec())
    }

    #[test]
    fn answers_are_read_by_status_and_utf8() {
        assert_eq!(answer(200, b"{}").ok().as_deref(), Some("{}"));
        // A success that cannot be read may have been applied: unknown, not refused.
        match answer(200, b"{\"a\":\"\xff\"}") {
            Err(QboError::Garbled(m)) => assert!(
                m.contains("(SELECT * FROM Customer)") && m.contains("at byte 6"),
                "{m}"
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(answer(400, b"\xff"), Err(QboError::Decode(_))));
        assert!(matches!(
            answer(401, b"{}"),
            Err(QboError::Unauthorized { .. })
        ));
        assert!(matches!(
            answer(404, b""),
            Err(QboError::Fault { status: 404, .. })
        ));
    }

    #[test]
    fn readers_of_each_call() {
        let page = read_query(
            r#"{"QueryResponse":{"customer":[{"Id":"1"}]},"time":"2026-01-01T00:00:00Z"}"#.into(),
        );
        let objects = read_objects(&page, "Customer").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(objects, [serde_json::json!({"Id": "1"})]);
        assert!(read_entity(r#"{"time":"x"}"#).is_err());
        assert!(matches!(
            read_written(r#"{"Customer":{"Id":"#),
            Err(QboError::Garbled(_))
        ));
        assert!(matches!(
            read_batch(r#"{"BatchItemResponse":{}}"#),
            Err(QboError::Decode(_))
        ));
        assert_eq!(
            read_batch(r#"{"BatchItemResponse":[{"bId":"b0"}]}"#)
                .map(|v| v.len())
                .ok(),
            Some(1)
        );
        assert!(read_cdc("[").is_err() && read_report("X", "").is_err());
    }

    #[test]
    fn batch_queries_are_pages_matched_by_bid() {
        // Items out of order, one fault, one missing: each query gets its own answer.
        let body = r#"{"BatchItemResponse":[
            {"QueryResponse":{"Customer":[{"Id":"3"}],"startPosition":31},"bId":"q1"},
            {"Fault":{"Error":[{"Message":"bad","Detail":"parse","code":"4000"}],"type":"ValidationFault"},"bId":"q2"},
            {"QueryResponse":{"Customer":[{"Id":"1"},{"Id":"2"}]},"bId":"q0"}
        ],"time":"2026-01-01T00:00:00.000-08:00"}"#;
        let pages = read_query_batch(body, 4).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pages.len(), 4);
        let ids = |i: usize| -> Vec<Value> {
            match &pages[i] {
                Ok(p) => read_objects(p, "Customer").unwrap_or_else(|e| panic!("{e}")),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(
            ids(0),
            [
                serde_json::json!({"Id": "1"}),
                serde_json::json!({"Id": "2"})
            ]
        );
        assert_eq!(ids(1), [serde_json::json!({"Id": "3"})]);
        let time = pages[0]
            .as_ref()
            .ok()
            .and_then(|p| p.objects("Customer").ok()?.1);
        assert!(time.is_some(), "the batch's time is the page's");
        assert!(
            matches!(&pages[2], Err(QboError::Fault { errors, .. }) if errors[0].code == "4000")
        );
        assert!(matches!(&pages[3], Err(QboError::Decode(m)) if m.contains("q3")));
        assert!(read_query_batch("{", 1).is_err());
    }
}
