//! Prometheus metrics of the agent, served as text on `GET /metrics` (`run --metrics-bind`).
//!
//! Built on the `prometheus` crate (without default features: no protobuf) rather than
//! `metrics` + `metrics-exporter-prometheus`: the metric families are plain statics in one
//! registry, so there is no global recorder to install before anything is counted (the agent
//! embedded in a test or another program counts too), and its dependency tree is a handful of
//! small crates (no quanta, sketches or crossbeam).
//!
//! One function per event keeps call sites to one line. Labels stay bounded: company *names*
//! (as many as companies), catalogue entity names, fixed directions, endpoint kinds, status
//! classes and task kinds; never a record, task or request id.

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Path the metrics are served on.
pub const PATH: &str = "/metrics";

/// Direction label: QuickBooks to Postgres.
pub const INCOMING: &str = "incoming";
/// Direction label: Postgres to QuickBooks.
pub const OUTGOING: &str = "outgoing";

struct Metrics {
    registry: Registry,
    records_synced: IntCounterVec,
    records_failed: IntCounterVec,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    throttled: IntCounter,
    throttle_wait_seconds: prometheus::Counter,
    queued_tasks: IntGaugeVec,
    pending_rows: IntGaugeVec,
    task_seconds: HistogramVec,
    /// Company names by id, for the code that only has the id (QuickBooks Desktop sessions).
    names: Mutex<HashMap<i64, String>>,
}

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new();
    let counter =
        |name: &str, help: &str, labels: &[&str]| -> Result<IntCounterVec, prometheus::Error> {
            let c = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(c.clone()))?;
            Ok(c)
        };
    let gauge =
        |name: &str, help: &str, labels: &[&str]| -> Result<IntGaugeVec, prometheus::Error> {
            let g = IntGaugeVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(g.clone()))?;
            Ok(g)
        };
    let histogram = |name: &str,
                     help: &str,
                     labels: &[&str],
                     buckets: Vec<f64>|
     -> Result<HistogramVec, prometheus::Error> {
        let h = HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels)?;
        registry.register(Box::new(h.clone()))?;
        Ok(h)
    };
    let records_synced = counter(
        "qbsync_records_synced_total",
        "Records written to Postgres (incoming) or accepted by QuickBooks (outgoing)",
        &["company", "entity", "direction"],
    )?;
    let records_failed = counter(
        "qbsync_records_failed_total",
        "Records that could not be synced (see qbsync.messages)",
        &["company", "entity", "direction"],
    )?;
    let requests = counter(
        "qbsync_quickbooks_requests_total",
        "HTTP requests to QuickBooks by endpoint kind and status class (2xx, 4xx, 429, 5xx, error)",
        &["endpoint", "status"],
    )?;
    let request_seconds = histogram(
        "qbsync_quickbooks_request_duration_seconds",
        "Latency of HTTP requests to QuickBooks (one attempt, until the body is read)",
        &["endpoint"],
        vec![
            0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0,
        ],
    )?;
    let task_seconds = histogram(
        "qbsync_task_duration_seconds",
        "Time from a task's start to its end, by kind and final status",
        &["kind", "status"],
        vec![
            0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0,
        ],
    )?;
    let queued_tasks = gauge(
        "qbsync_queue_tasks",
        "Queued tasks per company (refreshed at every sweep)",
        &["company"],
    )?;
    let pending_rows = gauge(
        "qbsync_queue_pending_rows",
        "Mirror rows waiting to be pushed (pending or sending) per company (refreshed at every sweep)",
        &["company"],
    )?;
    let throttled = IntCounter::new(
        "qbsync_throttled_total",
        "Requests QuickBooks throttled (HTTP 429)",
    )?;
    registry.register(Box::new(throttled.clone()))?;
    let throttle_wait_seconds = prometheus::Counter::new(
        "qbsync_throttle_wait_seconds_total",
        "Seconds spent waiting before retrying throttled requests",
    )?;
    registry.register(Box::new(throttle_wait_seconds.clone()))?;
    Ok(Metrics {
        registry,
        records_synced,
        records_failed,
        requests,
        request_seconds,
        throttled,
        throttle_wait_seconds,
        queued_tasks,
        pending_rows,
        task_seconds,
        names: Mutex::new(HashMap::new()),
    })
}

/// None only if the fixed definitions above were invalid (a programming error, logged once);
/// the agent then runs without metrics rather than failing.
static METRICS: LazyLock<Option<Metrics>> = LazyLock::new(|| match build() {
    Ok(m) => Some(m),
    Err(e) => {
        tracing::error!(error = %e, "metrics unavailable");
        None
    }
});

fn with(f: impl FnOnce(&Metrics)) {
    if let Some(m) = METRICS.as_ref() {
        f(m)
    }
}

/// Records `n` records of `entity` synced for `company` in `direction` ([`INCOMING`], [`OUTGOING`]).
pub fn records_synced(company: &str, entity: &str, direction: &str, n: i64) {
    if n > 0 {
        with(|m| {
            m.records_synced
                .with_label_values(&[company, entity, direction])
                .inc_by(n as u64)
        });
    }
}

/// Records `n` records of `entity` that failed to sync.
pub fn records_failed(company: &str, entity: &str, direction: &str, n: i64) {
    if n > 0 {
        with(|m| {
            m.records_failed
                .with_label_values(&[company, entity, direction])
                .inc_by(n as u64)
        });
    }
}

/// Remembers the name of company `id` for [`company_name`].
pub fn remember_company(id: i64, name: &str) {
    with(|m| {
        let mut names = m.names.lock().unwrap_or_else(|p| p.into_inner());
        if names.get(&id).map(String::as_str) != Some(name) {
            names.insert(id, name.to_string());
        }
    });
}

/// The label of company `id`: its name when known, else "unknown" (never the id).
pub fn company_name(id: i64) -> String {
    METRICS
        .as_ref()
        .and_then(|m| {
            m.names
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&id)
                .cloned()
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Status class of an HTTP status: "2xx", "3xx", "4xx", "429" (throttled) or "5xx".
pub fn status_class(status: u16) -> &'static str {
    match status {
        429 => "429",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Records one request to QuickBooks: `endpoint` is the route kind (query, cdc, batch,
/// entity_read, entity_write, report, token), `status` a status class or "error" (no answer).
pub fn quickbooks_request(endpoint: &str, status: &str, elapsed: Duration) {
    with(|m| {
        m.requests.with_label_values(&[endpoint, status]).inc();
        m.request_seconds
            .with_label_values(&[endpoint])
            .observe(elapsed.as_secs_f64());
    });
}

/// Records a throttled (429) request and the wait before it is retried.
pub fn throttle_wait(wait: Duration) {
    with(|m| {
        m.throttled.inc();
        m.throttle_wait_seconds.inc_by(wait.as_secs_f64());
    });
}

/// Replaces the queue gauges: (company, queued tasks, pending rows) for every company.
pub fn queue_depth(companies: &[(String, i64, i64)]) {
    with(|m| {
        m.queued_tasks.reset();
        m.pending_rows.reset();
        for (company, tasks, rows) in companies {
            m.queued_tasks.with_label_values(&[company]).set(*tasks);
            m.pending_rows.with_label_values(&[company]).set(*rows);
        }
    });
}

/// Records a finished task of `kind` (connect, populate, ...) ending in `status`.
pub fn task_finished(kind: &str, status: &str, seconds: f64) {
    with(|m| {
        m.task_seconds
            .with_label_values(&[kind, status])
            .observe(seconds.max(0.0))
    });
}

/// Every metric in the Prometheus text exposition format.
pub fn render() -> String {
    let Some(m) = METRICS.as_ref() else {
        return String::new();
    };
    let mut buf = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&m.registry.gather(), &mut buf) {
        tracing::warn!(error = %e, "encoding metrics");
    }
    String::from_utf8(buf).unwrap_or_default()
}

async fn metrics_handler() -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)],
        render(),
    )
}

/// The `GET /metrics` route.
pub fn router() -> Router {
    Router::new().route(PATH, get(metrics_handler))
}

/// Serves `GET /metrics` on `listener` until `shutdown` turns true.
pub async fn serve(
    listener: tokio::net::TcpListener,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    axum::serve(listener, router())
        .with_graceful_shutdown(async move {
            while !*shutdown.borrow() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_show_in_the_exposition() {
        records_synced("unit_co", "Customer", INCOMING, 3);
        records_failed("unit_co", "Invoice", OUTGOING, 1);
        records_synced("unit_co", "Customer", INCOMING, 0);
        quickbooks_request("query", status_class(200), Duration::from_millis(20));
        quickbooks_request("batch", status_class(429), Duration::from_millis(5));
        throttle_wait(Duration::from_secs(2));
        queue_depth(&[("unit_co".into(), 2, 7)]);
        task_finished("populate", "done", 1.5);
        let text = render();
        assert!(text.contains(
            r#"qbsync_records_synced_total{company="unit_co",direction="incoming",entity="Customer"} 3"#
        ), "{text}");
        assert!(text.contains(
            r#"qbsync_records_failed_total{company="unit_co",direction="outgoing",entity="Invoice"} 1"#
        ));
        assert!(
            text.contains(r#"qbsync_quickbooks_requests_total{endpoint="batch",status="429"} 1"#)
        );
        assert!(text.contains(
            r#"qbsync_quickbooks_request_duration_seconds_bucket{endpoint="query",le="0.025"} 1"#
        ));
        assert!(text.contains(r#"qbsync_queue_pending_rows{company="unit_co"} 7"#));
        assert!(
            text.contains(r#"qbsync_task_duration_seconds_count{kind="populate",status="done"} 1"#)
        );
        assert!(text.contains("qbsync_throttle_wait_seconds_total 2"));
        queue_depth(&[]);
        assert!(!render().contains(r#"qbsync_queue_pending_rows{company="unit_co"}"#));
    }

    #[test]
    fn unknown_companies_are_not_labelled_by_id() {
        assert_eq!(company_name(-42), "unknown");
        remember_company(-41, "desk");
        assert_eq!(company_name(-41), "desk");
    }
}
