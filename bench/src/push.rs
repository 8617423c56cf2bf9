//! Push: the time from committing `operation = 'add'` on one row to its written-back Id (a
//! trigger notifies the benchmark the moment the agent's write-back sets the Id), one row at a
//! time; then the throughput of a single statement flagging many rows at once.

use crate::agent::{Agent, Limits};
use crate::populate::unthrottled_sandbox;
use crate::setup::BenchDb;
use anyhow::{bail, Context, Result};
use futures_util::StreamExt;
use qbsync_sandbox::SeedSize;
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

#[derive(Debug, Clone, Serialize)]
pub struct PushResult {
    pub singles: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub bulk: usize,
    pub bulk_seconds: f64,
    pub bulk_rows_per_sec: f64,
    /// Customers the sandbox holds beyond its seed, which must equal singles + bulk.
    pub created_in_quickbooks: usize,
    pub agent_peak_rss_mib: f64,
}

const NOTIFY_SQL: &str = "\
CREATE FUNCTION public.bench_pushed() RETURNS trigger LANGUAGE plpgsql AS $$ \
BEGIN PERFORM pg_notify('bench_pushed', NEW.local_id::text); RETURN NULL; END $$; \
CREATE TRIGGER bench_pushed AFTER UPDATE ON qbo.customer FOR EACH ROW \
WHEN (OLD.id IS NULL AND NEW.id IS NOT NULL) EXECUTE FUNCTION public.bench_pushed();";

/// Quantile `q` of sorted `v` (nearest rank).
fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

pub async fn run(agent_bin: &Path, singles: usize, bulk: usize) -> Result<PushResult> {
    let sandbox = unthrottled_sandbox(SeedSize::small()).await?;
    let seeded = sandbox.admin().count("Customer");
    let db = BenchDb::create("qbsync_bench_push").await?;
    let (company, connect) = db.add_company("bench", &sandbox).await?;
    db.client.batch_execute(NOTIFY_SQL).await?;
    let agent = Agent::spawn(agent_bin, &db, "bench-push", Limits::OFF)?;
    db.wait_task(connect, Duration::from_secs(60)).await?;

    // The notifications, stamped when they arrive.
    let (listener, mut conn) = db.cfg.connect(NoTls).await.context("LISTEN session")?;
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, i64)>();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(Ok(m)) = messages.next().await {
            if let AsyncMessage::Notification(n) = m {
                if let Ok(id) = n.payload().parse() {
                    let _ = tx.send((Instant::now(), id));
                }
            }
        }
    });
    listener.batch_execute("LISTEN bench_pushed").await?;

    let insert = db
        .client
        .prepare(
            "INSERT INTO qbo.customer (company_id, display_name, operation) VALUES ($1, $2, 'add') RETURNING local_id",
        )
        .await?;
    let mut latencies = Vec::with_capacity(singles);
    for i in 0..singles {
        let name = format!("Bench Single {i:05}");
        let began = Instant::now();
        let local: i64 = db
            .client
            .query_one(&insert, &[&company, &name])
            .await?
            .get(0);
        loop {
            let (at, id) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .with_context(|| format!("row {local} ({name}) never got its Id"))?
                .context("LISTEN session ended")?;
            if id == local {
                latencies.push(at.duration_since(began).as_secs_f64() * 1000.0);
                break;
            }
        }
    }
    latencies.sort_by(f64::total_cmp);

    let began = Instant::now();
    let flagged = db
        .client
        .execute(
            "INSERT INTO qbo.customer (company_id, display_name, operation) \
             SELECT $1, format('Bench Bulk %s', lpad(g::text, 6, '0')), 'add' FROM generate_series(1, $2::int) g",
            &[&company, &(bulk as i32)],
        )
        .await? as usize;
    let mut seen = 0usize;
    while seen < flagged {
        tokio::time::timeout(Duration::from_secs(120), rx.recv())
            .await
            .with_context(|| {
                format!(
                    "{} of {flagged} flagged rows still without an Id",
                    flagged - seen
                )
            })?
            .context("LISTEN session ended")?;
        seen += 1;
    }
    let bulk_seconds = began.elapsed().as_secs_f64();
    let agent_peak_rss_mib = agent.peak_rss_mib()?;
    agent.stop().await;
    let not_ok = db
        .count("SELECT count(*) FROM qbo.customer WHERE display_name LIKE 'Bench %' AND sync_status IS DISTINCT FROM 'ok'")
        .await?;
    let created_in_quickbooks = sandbox.admin().count("Customer") - seeded;
    db.drop_database().await?;
    sandbox.shutdown().await;
    if not_ok != 0 || created_in_quickbooks != singles + flagged {
        bail!(
            "push: {not_ok} rows not ok, {created_in_quickbooks} customers created for {} rows",
            singles + flagged
        );
    }
    let r = PushResult {
        singles,
        p50_ms: quantile(&latencies, 0.50),
        p90_ms: quantile(&latencies, 0.90),
        p99_ms: quantile(&latencies, 0.99),
        max_ms: latencies.last().copied().unwrap_or(0.0),
        bulk: flagged,
        bulk_seconds,
        bulk_rows_per_sec: flagged as f64 / bulk_seconds,
        created_in_quickbooks,
        agent_peak_rss_mib,
    };
    eprintln!(
        "push: {singles} single rows p50 {:.1} ms p99 {:.1} ms; {flagged} flagged at once in {bulk_seconds:.2} s ({:.0}/s)",
        r.p50_ms, r.p99_ms, r.bulk_rows_per_sec
    );
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v, 1.0), 100.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
