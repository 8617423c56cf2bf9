//! HTTP calls to one QuickBooks Online company (realm), within its request budget, with
//! retries for throttling and service errors and one token refresh after a 401.

use super::fault::{parse_fault, QboError};
use super::limits::RealmLimits;
use super::oauth::TokenSource;
use crate::metrics;
use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, FixedOffset};
use reqwest::{header, Method};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, instrument, warn, Instrument};

/// Minor version every request declares (reference sheet §11).
const MINOR_VERSION: &str = "75";

/// How long a throttled request keeps waiting QuickBooks out. A 429 was never executed, so
/// waiting is always safe; QuickBooks' limits are per minute, so a storm past this is an outage.
const THROTTLE_BUDGET: Duration = Duration::from_secs(15 * 60);

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

/// One page of a `/query` answer, kept as text; objects are borrowed out of it unparsed.
pub struct QueryPage {
    body: String,
}

#[derive(Deserialize)]
struct QueryEnvelope<'a> {
    #[serde(rename = "QueryResponse", borrow)]
    response: HashMap<&'a str, &'a RawValue>,
    #[serde(default)]
    time: Option<String>,
}

impl QueryPage {
    /// The raw objects of `entity` on this page and the server time of the answer.
    pub fn objects<'a>(
        &'a self,
        entity: &str,
    ) -> Result<(Vec<&'a RawValue>, Option<DateTime<FixedOffset>>), QboError> {
        let env: QueryEnvelope<'a> = serde_json::from_str(&self.body)
            .map_err(|e| QboError::Decode(format!("query response: {e}")))?;
        let objects = match env
            .response
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(entity))
        {
            Some((_, raw)) => serde_json::from_str::<Vec<&'a RawValue>>(raw.get())
                .map_err(|e| QboError::Decode(format!("query response {entity}: {e}")))?,
            None => Vec::new(),
        };
        Ok((
            objects,
            env.time
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok()),
        ))
    }
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
    QueryPage { body }
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

    async fn send_once(&self, req: &ApiRequest) -> Result<String, QboError> {
        let _permit = self
            .limits
            .in_flight
            .acquire()
            .await
            .map_err(|_| QboError::Decode("limiter closed".into()))?;
        self.limits.requests.until_ready().await;
        if req.batch {
            self.limits.batches.until_ready().await;
        }
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
        let span = tracing::info_span!("qbo_request", method = %req.method, path = %req.path);
        async {
            let mut refreshed = false;
            let started = std::time::Instant::now();
            loop {
                let result = (|| self.send_once(&req))
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
        self.post_entity(resource, params, body, request_id, true)
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
        self.post_entity(resource, &[], body, request_id, false)
            .await
    }

    async fn post_entity(
        &self,
        resource: &str,
        params: &[(&'static str, &str)],
        body: &Value,
        request_id: &str,
        retry_unknown: bool,
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
        read_written(&self.send(req).await?)
    }

    /// `POST /batch`: the `BatchItemResponse` array (HTTP 200 even when items fail). Not
    /// retried after an answer-less failure: its creates are checked by the caller first.
    #[instrument(skip(self, items), fields(items = items.len()))]
    pub async fn batch(&self, items: Vec<Value>, request_id: &str) -> Result<Vec<Value>, QboError> {
        let body = serde_json::json!({ "BatchItemRequest": items }).to_string();
        let req = Self::post(
            "batch".into(),
            vec![("requestid", request_id.to_string())],
            body,
            true,
            false,
        );
        read_batch(&self.send(req).await?)
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
}
