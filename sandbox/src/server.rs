//! HTTP: the axum router, the QuickBooks API dispatcher, the token endpoint and the response
//! envelope (headers, content types, `time`).

use crate::batch;
use crate::cdc;
use crate::clock::envelope_time;
use crate::fault::{self, json_str, Fault};
use crate::ops::{self, WriteKind};
use crate::state::{lock, Shared, StoredReply};
use crate::throttle::retry_after_secs;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

pub const JSON_OK: &str = "application/json;charset=utf-8";
pub const JSON_ERR: &str = "application/json";
pub const QBO_VERSION: &str = "1944.190";
/// `requestid` length limits (§12).
pub const MAX_REQUEST_ID: usize = 50;
pub const MAX_BATCH_REQUEST_ID: usize = 36;

/// A response before headers are attached.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    pub extra: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn ok(body: String) -> Self {
        Reply {
            status: 200,
            content_type: JSON_OK,
            body,
            extra: Vec::new(),
        }
    }

    pub fn fault(f: &Fault, now_ms: i64) -> Self {
        Reply {
            status: f.status,
            content_type: JSON_ERR,
            body: f.envelope(&envelope_time(now_ms)),
            extra: Vec::new(),
        }
    }

    /// `{"<key>":<json>,"time":"..."}`
    pub fn wrapped(key: &str, json: &str, now_ms: i64) -> Self {
        Reply::ok(format!(
            "{{{}:{json},\"time\":{}}}",
            json_str(key),
            json_str(&envelope_time(now_ms))
        ))
    }
}

fn tid() -> String {
    let u = uuid::Uuid::new_v4().simple().to_string();
    format!("1-{}-{}", &u[..8], &u[8..])
}

/// Marks a reply whose body [`finish`] corrupts (`FailRule::invalid_utf8`); also sent as a header.
const INVALID_UTF8_HEADER: &str = "x-sandbox-invalid-utf8";

/// The body with the bytes 0xC3 0x28 (an invalid UTF-8 sequence) put inside its first JSON
/// string value, or at its start when it has none.
fn invalid_utf8(body: String) -> Vec<u8> {
    let mut bytes = body.into_bytes();
    let at = bytes
        .windows(3)
        .position(|w| w == b"\":\"")
        .map(|p| p + 3)
        .unwrap_or(0);
    bytes.splice(at..at, [0xC3, 0x28]);
    bytes
}

fn finish(reply: Reply, tid: &str, started: Instant) -> Response {
    let total = started.elapsed().as_millis();
    let corrupt = reply.extra.iter().any(|(k, _)| *k == INVALID_UTF8_HEADER);
    let mut resp = Response::new(if corrupt {
        Body::from(invalid_utf8(reply.body))
    } else {
        Body::from(reply.body)
    });
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    let mut set = |k: &'static str, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    set("content-type", reply.content_type);
    set("intuit-tid", tid);
    set("qbo-version", QBO_VERSION);
    set("service-time", &format!("total={total}, db={}", total / 2));
    for (k, v) in &reply.extra {
        set(k, v);
    }
    resp
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/oauth2/v1/tokens/bearer", post(token))
        .nest("/admin", crate::admin::router())
        .fallback(api)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(shared)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn token(
    State(sh): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let tid = tid();
    let span = tracing::info_span!("oauth_token", tid = %tid);
    async move {
        sh.count_route("POST /oauth2/v1/tokens/bearer");
        let now_ms = sh.clock.now_ms();
        if let Some(rule) = sh.take_fail_rule(&uri.to_string()) {
            return finish(Reply::fault(&rule.fault(), now_ms), &tid, started);
        }
        let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        let knobs = sh.knobs();
        let reply = lock(&sh.oauth).token(
            header(&headers, "authorization"),
            &form,
            now_ms.div_euclid(1000),
            sh.cfg.access_token_ttl_secs,
            knobs.rotate_refresh_every_secs,
        );
        if reply.status == 200 {
            lock(&sh.stats).token_refreshes += 1;
        }
        tracing::info!(
            status = reply.status,
            grant = form.get("grant_type").map(String::as_str).unwrap_or(""),
            "token request"
        );
        let r = Reply {
            status: reply.status,
            content_type: if reply.status == 200 {
                JSON_OK
            } else {
                JSON_ERR
            },
            body: reply.body.to_string(),
            extra: vec![("intuit_tid", tid.clone())],
        };
        finish(r, &tid, started)
    }
    .instrument(span)
    .await
}

/// What the path asks for, after `/v3/company/{realm}/`.
enum Route<'a> {
    Query,
    Cdc,
    Batch,
    Write(usize),
    Read(usize, &'a str),
    ExchangeRate,
    /// `GET /reports/{ReportName}`.
    Report(&'a str),
}

fn route_key(method: &Method, segs: &[&str]) -> String {
    match segs {
        [] => format!("{method} /"),
        [one] => format!("{method} /{one}"),
        [one, ..] => format!("{method} /{one}/{{id}}"),
    }
}

async fn api(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let tid = tid();
    let span = tracing::info_span!("qbo_request", %method, path = %uri.path(), tid = %tid);
    async move {
        let reply = handle(&sh, &method, &uri, &headers, &body).await;
        if reply.status >= 400 && reply.status != 429 {
            lock(&sh.stats).error_answers += 1;
        }
        tracing::info!(
            status = reply.status,
            ms = started.elapsed().as_millis() as u64,
            "done"
        );
        finish(reply, &tid, started)
    }
    .instrument(span)
    .await
}

async fn handle(
    sh: &Arc<Shared>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Reply {
    let path = uri.path();
    let now_ms = sh.clock.now_ms();
    let Some(rest) = path.strip_prefix("/v3/") else {
        sh.count_route("other");
        return Reply {
            status: 404,
            content_type: "text/plain",
            body: "Not Found".to_string(),
            extra: Vec::new(),
        };
    };
    let full = format!(
        "http://{}{}",
        header(headers, "host").unwrap_or("localhost"),
        path
    );
    let segs: Vec<&str> = rest.split('/').collect();
    let (realm, segs) = match segs.as_slice() {
        ["company", realm, tail @ ..] if !realm.is_empty() => (*realm, tail.to_vec()),
        _ => {
            sh.count_route(&format!(
                "{method} /v3/{}",
                segs.first().copied().unwrap_or("")
            ));
            return Reply::fault(&Fault::unsupported_path(path, &full), now_ms);
        }
    };
    sh.count_route(&route_key(method, &segs));
    let path_q = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(path)
        .to_string();
    let fail = sh.take_fail_rule(&path_q);
    if let Some(rule) = fail
        .as_ref()
        .filter(|r| !r.after_execute && !r.invalid_utf8 && !r.truncate_body)
    {
        tracing::warn!(status = rule.status, "injected fault");
        return Reply::fault(&rule.fault(), now_ms);
    }

    // Authentication, then the company.
    if let Err(e) =
        lock(&sh.oauth).check_bearer(header(headers, "authorization"), now_ms.div_euclid(1000))
    {
        lock(&sh.stats).unauthorized_401 += 1;
        return Reply {
            status: 401,
            content_type: JSON_ERR,
            body: fault::auth_envelope(&e.detail(), now_ms),
            extra: vec![(
                "www-authenticate",
                "Bearer realm=\"Intuit\", error=\"invalid_token\"".to_string(),
            )],
        };
    }
    if realm != sh.cfg.realm_id {
        return Reply::fault(&Fault::wrong_realm(realm), now_ms);
    }

    let params: HashMap<String, String> = uri
        .query()
        .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
        .unwrap_or_default();
    let route = {
        let store = lock(&sh.store);
        match (method, segs.as_slice()) {
            (&Method::GET | &Method::POST, ["query"]) => Some(Route::Query),
            (&Method::GET, ["cdc"]) => Some(Route::Cdc),
            (&Method::POST, ["batch"]) => Some(Route::Batch),
            // How clients read the company: `/companyinfo/{realm}`; the object's own Id is "1".
            (&Method::GET, ["companyinfo", id]) => store
                .table_by_resource("companyinfo")
                .map(|ti| Route::Read(ti, if *id == realm { "1" } else { id })),
            // Preferences are read without an Id.
            (&Method::GET, ["preferences"]) => store
                .table_by_resource("preferences")
                .map(|ti| Route::Read(ti, "1")),
            (&Method::GET | &Method::POST, ["exchangerate"]) => Some(Route::ExchangeRate),
            (&Method::GET, ["reports", name]) if crate::reports::is_report(name) => {
                Some(Route::Report(name))
            }
            (&Method::POST, [res]) => store.table_by_resource(res).map(Route::Write),
            (&Method::GET, [res, id]) => store.table_by_resource(res).map(|ti| Route::Read(ti, id)),
            _ => None,
        }
    };
    let Some(route) = route else {
        return Reply::fault(&Fault::unsupported_path(path, &full), now_ms);
    };

    // Throttling: nothing throttled is executed.
    let knobs = sh.knobs();
    let is_batch = matches!(route, Route::Batch);
    if let Some(r) = throttle(sh, is_batch, &knobs, now_ms) {
        return r;
    }
    let Some(_slot) = sh.in_flight.try_enter(sh.cfg.max_in_flight) else {
        return throttled(sh, &knobs, now_ms);
    };
    {
        let mut s = lock(&sh.stats);
        s.max_in_flight_observed = s.max_in_flight_observed.max(sh.in_flight.peak());
    }
    if knobs.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(knobs.latency_ms)).await;
    }
    let now_ms = sh.clock.now_ms();

    let reply = match route {
        Route::Query => {
            let text = if method == Method::POST && !body.is_empty() {
                match std::str::from_utf8(body) {
                    Ok(t) => t.to_string(),
                    Err(_) => return Reply::fault(&Fault::invalid_utf8(), now_ms),
                }
            } else {
                params.get("query").cloned().unwrap_or_default()
            };
            let store = lock(&sh.store);
            match ops::run_query(&store, &text) {
                Ok(qr) => Reply::wrapped("QueryResponse", &qr, now_ms),
                Err(f) => Reply::fault(&f, now_ms),
            }
        }
        Route::Cdc => {
            let store = lock(&sh.store);
            match cdc::cdc(
                &store,
                params.get("entities").map(String::as_str),
                params.get("changedSince").map(String::as_str),
                now_ms,
                knobs.strict_cdc,
            ) {
                Ok(c) => Reply::wrapped("CDCResponse", &c, now_ms),
                Err(f) => Reply::fault(&f, now_ms),
            }
        }
        Route::Read(ti, id) => {
            let store = lock(&sh.store);
            match ops::read(&store, ti, id) {
                Ok((name, json)) => Reply::wrapped(name, &json, now_ms),
                Err(f) => Reply::fault(&f, now_ms),
            }
        }
        Route::Report(name) => {
            // The body is the bare report: no wrapper, no `time` (§7).
            let store = lock(&sh.store);
            match crate::reports::run(&store, name, &params, now_ms.div_euclid(1000)) {
                Ok(body) => Reply::ok(body),
                Err(f) => Reply::fault(&f, now_ms),
            }
        }
        Route::Write(ti) => idempotent(sh, &params, &knobs, false, now_ms, |store| {
            write(sh, store, ti, &params, body, now_ms)
        }),
        Route::ExchangeRate => idempotent(sh, &params, &knobs, false, now_ms, |store| {
            let post = method == Method::POST;
            match crate::entities::exchange_rate_request(
                store,
                post,
                &params,
                body,
                now_ms.div_euclid(1000),
            ) {
                Ok(json) => Reply::wrapped("ExchangeRate", &json, now_ms),
                Err(f) => Reply::fault(&f, now_ms),
            }
        }),
        Route::Batch => {
            if body.len() > batch::MAX_BODY_BYTES {
                return Reply {
                    status: 413,
                    content_type: "text/html",
                    body: fault::too_large_html(),
                    extra: Vec::new(),
                };
            }
            idempotent(sh, &params, &knobs, true, now_ms, |store| {
                let rid_fault = request_id(&params)
                    .filter(|r| r.chars().count() > MAX_BATCH_REQUEST_ID)
                    .map(|_| Fault::request_id_too_long(MAX_BATCH_REQUEST_ID));
                match batch::run(store, body, now_ms, knobs.strict_cdc, rid_fault.as_ref()) {
                    Ok(out) => {
                        count_creates(sh, &out.created);
                        Reply::wrapped("BatchItemResponse", &out.items_json, now_ms)
                    }
                    Err(f) => Reply::fault(&f, now_ms),
                }
            })
        }
    };
    match fail.filter(|r| r.after_execute || r.invalid_utf8 || r.truncate_body) {
        Some(rule) if rule.truncate_body => {
            let mut reply = reply;
            let mut cut = reply.body.len() / 2;
            while !reply.body.is_char_boundary(cut) {
                cut -= 1;
            }
            tracing::warn!(bytes = cut, "answering with a truncated body");
            reply.body.truncate(cut);
            reply.status = 200;
            reply
        }
        Some(rule) if rule.invalid_utf8 => {
            tracing::warn!("answering with invalid UTF-8");
            let mut reply = reply;
            reply.extra.push((INVALID_UTF8_HEADER, "1".to_string()));
            reply
        }
        Some(rule) => {
            if rule.hold_ms > 0 {
                tracing::warn!(hold_ms = rule.hold_ms, "executed; holding the answer");
                tokio::time::sleep(std::time::Duration::from_millis(rule.hold_ms)).await;
            }
            tracing::warn!(status = rule.status, "injected fault after executing");
            Reply::fault(&rule.fault(), now_ms)
        }
        None => reply,
    }
}

fn request_id(params: &HashMap<String, String>) -> Option<&str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("requestid"))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn count_creates(sh: &Shared, created: &[&'static str]) {
    if created.is_empty() {
        return;
    }
    let mut s = lock(&sh.stats);
    for e in created {
        *s.creates_by_entity.entry((*e).to_string()).or_insert(0) += 1;
    }
}

/// Runs `exec` under the store lock, replaying a stored reply for a repeated `requestid`.
fn idempotent(
    sh: &Shared,
    params: &HashMap<String, String>,
    knobs: &crate::state::Knobs,
    is_batch: bool,
    now_ms: i64,
    exec: impl FnOnce(&mut crate::store::Store) -> Reply,
) -> Reply {
    let rid = if knobs.ignore_request_id {
        None
    } else {
        request_id(params).map(str::to_string)
    };
    if let Some(r) = &rid {
        if !is_batch && r.chars().count() > MAX_REQUEST_ID {
            return Reply::fault(&Fault::request_id_too_long(MAX_REQUEST_ID), now_ms);
        }
    }
    let mut store = lock(&sh.store);
    if let Some(r) = &rid {
        if let Some(stored) = lock(&sh.replies).get(r) {
            lock(&sh.stats).request_id_replays += 1;
            tracing::info!(requestid = %r, "replaying stored response");
            return Reply {
                status: stored.status,
                content_type: stored.content_type,
                body: stored.body.clone(),
                extra: Vec::new(),
            };
        }
    }
    let reply = exec(&mut store);
    if let Some(r) = rid {
        lock(&sh.replies).insert(
            r,
            StoredReply {
                status: reply.status,
                content_type: reply.content_type,
                body: reply.body.clone(),
            },
        );
    }
    reply
}

fn write(
    sh: &Shared,
    store: &mut crate::store::Store,
    ti: usize,
    params: &HashMap<String, String>,
    body: &[u8],
    now_ms: i64,
) -> Reply {
    let kind = match WriteKind::from_params(
        params.get("operation").map(String::as_str),
        params.get("include").map(String::as_str),
    ) {
        Ok(k) => k,
        Err(f) => return Reply::fault(&f, now_ms),
    };
    let obj = match ops::parse_body(body) {
        Ok(o) => o,
        Err(f) => return Reply::fault(&f, now_ms),
    };
    match ops::write(store, ti, kind, obj, now_ms.div_euclid(1000)) {
        Ok(r) => {
            if r.created {
                count_creates(sh, &[r.entity]);
            }
            Reply::wrapped(r.entity, &r.json, now_ms)
        }
        Err(f) => {
            tracing::info!(fault = %f, "refused");
            Reply::fault(&f, now_ms)
        }
    }
}

fn throttled(sh: &Shared, knobs: &crate::state::Knobs, now_ms: i64) -> Reply {
    lock(&sh.stats).throttled_429 += 1;
    let time = envelope_time(now_ms);
    let retry = retry_after_secs(knobs.time_scale).to_string();
    tracing::warn!("throttled");
    if knobs.xml_throttle {
        Reply {
            status: 429,
            content_type: "application/xml",
            body: fault::throttle_xml(&time),
            extra: vec![("retry-after", retry)],
        }
    } else {
        Reply {
            status: 429,
            content_type: JSON_ERR,
            body: fault::throttle_json(&time),
            extra: vec![("retry-after", retry)],
        }
    }
}

fn throttle(
    sh: &Shared,
    is_batch: bool,
    knobs: &crate::state::Knobs,
    now_ms: i64,
) -> Option<Reply> {
    {
        let mut k = lock(&sh.knobs);
        if k.force_throttle_next > 0 {
            k.force_throttle_next -= 1;
            drop(k);
            return Some(throttled(sh, knobs, now_ms));
        }
    }
    let t = sh.real_secs();
    let mut b = lock(&sh.buckets);
    let ok = b
        .api
        .try_take(sh.cfg.requests_per_minute, knobs.time_scale, t)
        && (!is_batch
            || b.batch
                .try_take(sh.cfg.batch_per_minute, knobs.time_scale, t));
    drop(b);
    (!ok).then(|| throttled(sh, knobs, now_ms))
}
