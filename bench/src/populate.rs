//! Populate at a given size: the agent's end-to-end rate and peak memory, the rate of a bare
//! COPY of the same customer rows into the same mirror table (the ceiling PostgreSQL sets), and
//! the peer (tap-quickbooks) reading the same sandbox.

use crate::agent::{Agent, Limits};
use crate::peer::{self, PeerRun};
use crate::setup::BenchDb;
use anyhow::{Context, Result};
use futures_util::{SinkExt, TryStreamExt};
use qbsync_sandbox::{RunningSandbox, SandboxConfig, SeedSize};
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};

const WITHIN: Duration = Duration::from_secs(3600);

/// `records` split as 40% customers, 10% items and 50% invoices of three item lines each.
pub fn seed(records: usize) -> SeedSize {
    SeedSize {
        customers: records * 4 / 10,
        items: (records / 10).max(1),
        invoices: records / 2,
        invoice_lines: 3,
        ..SeedSize::empty()
    }
}

/// A sandbox with `seed` and no throttling (so the client, not the budget, sets the pace).
pub async fn unthrottled_sandbox(seed: SeedSize) -> Result<RunningSandbox> {
    qbsync_sandbox::start(SandboxConfig {
        seed,
        requests_per_minute: 100_000_000,
        batch_per_minute: 100_000_000,
        max_in_flight: 64,
        ..SandboxConfig::default()
    })
    .await
    .context("starting the sandbox")
}

#[derive(Debug, Clone, Serialize)]
pub struct PopulateResult {
    pub records: usize,
    pub seed_seconds: f64,
    /// Customers, items and invoices (each a record; invoice lines counted apart).
    pub loaded: i64,
    pub invoice_lines: i64,
    pub seconds: f64,
    pub records_per_sec: f64,
    pub agent_peak_rss_mib: f64,
    /// CPU the agent used (user + system), connecting the company included.
    pub agent_cpu_seconds: f64,
    /// Customers alone, into an empty mirror table.
    pub customers: i64,
    pub customer_seconds: f64,
    pub customer_rows_per_sec: f64,
    pub customer_agent_peak_rss_mib: f64,
    pub customer_agent_cpu_seconds: f64,
    /// A single binary COPY of the same customer rows into the same (emptied) mirror table.
    pub copy_seconds: f64,
    pub copy_rows_per_sec: f64,
    /// customer_rows_per_sec / copy_rows_per_sec.
    pub copy_ratio: f64,
    /// Every customers-alone run and its COPY (see [`pairs_at`]); the figures above are the
    /// median pair's.
    pub copy_pairs: Vec<CopyPair>,
    pub peer: Option<PeerRun>,
    /// records_per_sec / the peer's rows per second on the same data.
    pub peer_ratio: Option<f64>,
}

pub async fn run(
    agent_bin: &Path,
    records: usize,
    peer_python: Option<&Path>,
) -> Result<PopulateResult> {
    let began = Instant::now();
    let sandbox = unthrottled_sandbox(seed(records)).await?;
    let seed_seconds = began.elapsed().as_secs_f64();
    eprintln!("populate {records}: sandbox seeded in {seed_seconds:.1} s");

    // Customers, items and invoices in one task, by a fresh agent.
    let db = BenchDb::create("qbsync_bench_populate").await?;
    let (_, connect) = db.add_company("bench", &sandbox).await?;
    let agent = Agent::spawn(agent_bin, &db, "bench-populate", Limits::OFF)?;
    db.wait_task(connect, Duration::from_secs(60)).await?;
    db.client.batch_execute("CHECKPOINT").await?;
    let run = db
        .run_task(
            "SELECT qbsync.qb_populate('bench', '{customer,item,invoice}')",
            WITHIN,
        )
        .await
        .with_context(|| format!("agent log: {}", agent.log.display()))?;
    let agent_peak_rss_mib = agent.peak_rss_mib()?;
    let agent_cpu_seconds = agent.cpu_seconds()?;
    agent.stop().await;
    let loaded = db
        .count("SELECT (SELECT count(*) FROM qbo.customer) + (SELECT count(*) FROM qbo.item) + (SELECT count(*) FROM qbo.invoice)")
        .await?;
    let invoice_lines = db.count("SELECT count(*) FROM qbo.invoice_line").await?;
    db.drop_database().await?;
    eprintln!(
        "populate {records}: {loaded} records ({invoice_lines} invoice lines) in {:.2} s, peak RSS {agent_peak_rss_mib:.0} MiB, agent CPU {agent_cpu_seconds:.2} s",
        run.seconds
    );

    // Customers alone, then the bare COPY of the same rows, as many times as the size needs.
    let mut copy_pairs = Vec::new();
    for _ in 0..pairs_at(records) {
        let pair = customers_and_copy(agent_bin, &sandbox).await?;
        eprintln!(
            "populate {records}: {} customers in {:.3} s ({:.0}/s, agent CPU {:.3} s); bare COPY {:.3} s ({:.0}/s): {:.0}%",
            pair.customers,
            pair.customer_seconds,
            pair.customers as f64 / pair.customer_seconds,
            pair.customer_agent_cpu_seconds,
            pair.copy_seconds,
            pair.customers as f64 / pair.copy_seconds,
            pair.ratio * 100.0
        );
        copy_pairs.push(pair);
    }
    let median = median_pair(&copy_pairs).context("no customers run")?;
    let customers = median.customers;
    let customer_rows_per_sec = customers as f64 / median.customer_seconds;
    let copy_rows_per_sec = customers as f64 / median.copy_seconds;

    let peer = match peer_python {
        Some(python) => Some(peer::run(python, &sandbox).await?),
        None => None,
    };
    let records_per_sec = loaded as f64 / run.seconds;
    let peer_ratio = peer.as_ref().map(|p| records_per_sec / p.rows_per_sec);
    sandbox.shutdown().await;
    Ok(PopulateResult {
        records,
        seed_seconds,
        loaded,
        invoice_lines,
        seconds: run.seconds,
        records_per_sec,
        agent_peak_rss_mib,
        agent_cpu_seconds,
        customers,
        customer_seconds: median.customer_seconds,
        customer_rows_per_sec,
        customer_agent_peak_rss_mib: median.customer_agent_peak_rss_mib,
        customer_agent_cpu_seconds: median.customer_agent_cpu_seconds,
        copy_seconds: median.copy_seconds,
        copy_rows_per_sec,
        copy_ratio: median.ratio,
        copy_pairs,
        peer,
        peer_ratio,
    })
}

/// Customers-alone runs measured at a size. At 10k one lasts about 0.1 s and its COPY 0.06 s,
/// and the ratio of one pair moves by ±15% with the machine alone, so five pairs are measured
/// and the median reported (each pair is in the results); larger runs are long enough for one.
pub fn pairs_at(records: usize) -> usize {
    if records <= 10_000 {
        5
    } else {
        1
    }
}

/// One customers-alone populate and the bare COPY of the same rows.
#[derive(Debug, Clone, Serialize)]
pub struct CopyPair {
    pub customers: i64,
    pub customer_seconds: f64,
    pub customer_agent_peak_rss_mib: f64,
    pub customer_agent_cpu_seconds: f64,
    pub copy_seconds: f64,
    /// (customers / customer_seconds) / (customers / copy_seconds).
    pub ratio: f64,
}

/// The pair with the median ratio (the lower middle one of an even count).
fn median_pair(pairs: &[CopyPair]) -> Option<&CopyPair> {
    let mut sorted: Vec<&CopyPair> = pairs.iter().collect();
    sorted.sort_by(|a, b| a.ratio.total_cmp(&b.ratio));
    sorted.get(sorted.len().saturating_sub(1) / 2).copied()
}

/// The customers of `sandbox` loaded alone by a fresh agent into a fresh database, then the
/// bare COPY of the same rows into the same table.
async fn customers_and_copy(agent_bin: &Path, sandbox: &RunningSandbox) -> Result<CopyPair> {
    let db = BenchDb::create("qbsync_bench_customers").await?;
    let (_, connect) = db.add_company("bench", sandbox).await?;
    let agent = Agent::spawn(agent_bin, &db, "bench-customers", Limits::OFF)?;
    db.wait_task(connect, Duration::from_secs(60)).await?;
    db.client.batch_execute("CHECKPOINT").await?;
    let run = db
        .run_task("SELECT qbsync.qb_populate('bench', '{customer}')", WITHIN)
        .await
        .with_context(|| format!("agent log: {}", agent.log.display()))?;
    let customer_agent_peak_rss_mib = agent.peak_rss_mib()?;
    let customer_agent_cpu_seconds = agent.cpu_seconds()?;
    agent.stop().await;
    let customers = db.count("SELECT count(*) FROM qbo.customer").await?;
    let copy_seconds = copy_ceiling(&db).await?;
    db.drop_database().await?;
    Ok(CopyPair {
        customers,
        customer_seconds: run.seconds,
        customer_agent_peak_rss_mib,
        customer_agent_cpu_seconds,
        copy_seconds,
        ratio: copy_seconds / run.seconds,
    })
}

/// Seconds one binary COPY takes to write the rows of qbo.customer back into it, emptied: the
/// same rows, columns, indexes and trigger as the agent wrote them, with nothing else around.
async fn copy_ceiling(db: &BenchDb) -> Result<f64> {
    let chunks: Vec<bytes::Bytes> = db
        .client
        .copy_out("COPY qbo.customer TO STDOUT (FORMAT binary)")
        .await?
        .try_collect()
        .await
        .context("exporting qbo.customer")?;
    db.client
        .batch_execute("TRUNCATE qbo.customer CASCADE")
        .await?;
    // A checkpoint first, as before the agent's run, so that neither pays for earlier writes.
    db.client.batch_execute("CHECKPOINT").await?;
    let began = Instant::now();
    let sink = db
        .client
        .copy_in::<_, bytes::Bytes>("COPY qbo.customer FROM STDIN (FORMAT binary)")
        .await?;
    futures_util::pin_mut!(sink);
    for chunk in chunks {
        sink.send(chunk).await?;
    }
    sink.as_mut()
        .finish()
        .await
        .context("COPY into qbo.customer")?;
    Ok(began.elapsed().as_secs_f64())
}
