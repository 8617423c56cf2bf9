//! Scale out: many companies on one database, each its own QuickBooks company (a sandbox serves
//! one realm) throttled like QuickBooks in scaled time, each given the same populate. Run A:
//! one agent working at most M companies at once. Run B: two such agents. Each company's
//! populate is bound by its own realm's budget, not by the CPU, so the second agent's M slots
//! should halve the time.

use crate::agent::{cpu_seconds, Agent, Limits};
use crate::populate::seed;
use crate::setup::BenchDb;
use anyhow::{bail, Context, Result};
use qbsync_sandbox::{RunningSandbox, SandboxConfig};
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Bound of one run.
const WITHIN: Duration = Duration::from_secs(1800);
/// QuickBooks Online's limits per realm (reference sheet §9).
const REQUESTS_PER_MINUTE: u32 = 500;
const BATCH_PER_MINUTE: u32 = 40;
const MAX_IN_FLIGHT: u32 = 10;

#[derive(Debug, Clone)]
pub struct ScaleOutArgs {
    pub companies: usize,
    /// Each agent's `--max-companies`.
    pub max_companies: usize,
    /// Records per company (40% customers, 10% items, 50% invoices with 3 lines).
    pub records: usize,
    /// MAXRESULTS of the agent's populate pages: small, so that each company's budget is the
    /// limit.
    pub page_size: u32,
    /// Simulated seconds per real second, for the sandboxes and the agents alike.
    pub time_scale: f64,
}

/// One run: `agents` agents, each working at most `max_companies` at once.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleOutRun {
    pub agents: usize,
    /// From the populates being queued to the last one done (the database's clock).
    pub seconds: f64,
    /// Mean time of one company's populate, from its start to its end.
    pub company_seconds: f64,
    /// Customers, items and invoices written, all companies together.
    pub records: i64,
    /// Most companies with a running populate at once (sampled every 50 ms), all agents and
    /// per agent.
    pub peak_companies: i64,
    pub peak_companies_per_agent: i64,
    /// Populates each agent ran.
    pub populates_by_agent: Vec<i64>,
    /// API requests the sandboxes received, and how many they answered 429.
    pub requests: u64,
    pub throttled_429: u64,
    /// CPU time of the agents and of this process (the sandboxes) during the populates: far
    /// below 2 CPUs × `seconds` when the companies' budgets, not the CPU, set the pace.
    pub agent_cpu_seconds: f64,
    pub sandbox_cpu_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleOutResult {
    pub companies: usize,
    pub max_companies: usize,
    pub records_per_company: usize,
    pub page_size: u32,
    pub time_scale: f64,
    pub one_agent: ScaleOutRun,
    pub two_agents: ScaleOutRun,
    /// two_agents.seconds / one_agent.seconds (target: about 0.5).
    pub ratio: f64,
}

/// `n` sandboxes, each its own realm seeded alike, throttling like QuickBooks in scaled time.
async fn sandboxes(a: &ScaleOutArgs) -> Result<Vec<RunningSandbox>> {
    let mut out = Vec::with_capacity(a.companies);
    for i in 0..a.companies {
        let sandbox = qbsync_sandbox::start(SandboxConfig {
            realm_id: format!("9130350000{:06}", 300 + i),
            seed: seed(a.records),
            time_scale: a.time_scale,
            requests_per_minute: REQUESTS_PER_MINUTE,
            batch_per_minute: BATCH_PER_MINUTE,
            max_in_flight: MAX_IN_FLIGHT,
            ..SandboxConfig::default()
        })
        .await
        .with_context(|| format!("starting sandbox {i}"))?;
        out.push(sandbox);
    }
    Ok(out)
}

/// What the sandboxes counted so far: (API requests, 429 answers).
fn sandbox_counts(sandboxes: &[RunningSandbox]) -> (u64, u64) {
    sandboxes.iter().fold((0, 0), |(r, t), s| {
        let st = s.admin().stats();
        (
            r + st.requests_total - st.token_refreshes,
            t + st.throttled_429,
        )
    })
}

/// CPU seconds the agents have used so far.
fn agents_cpu(agents: &[Agent]) -> Result<f64> {
    agents.iter().map(Agent::cpu_seconds).sum()
}

/// Most companies with a running task at once, in all and per agent (`locked_by`).
#[derive(Debug, Default)]
struct Peak {
    all: i64,
    per_agent: i64,
}

/// Sets its flag when dropped: the sampler stops on every way out of a run, errors included.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Samples the running tasks every 50 ms on its own session until `stop` is set.
async fn watch_running(db: &BenchDb, stop: Arc<AtomicBool>) -> Result<Arc<Mutex<Peak>>> {
    let client = crate::setup::connect(&db.cfg).await?;
    let peak = Arc::new(Mutex::new(Peak::default()));
    let out = peak.clone();
    tokio::spawn(async move {
        while !stop.load(Ordering::SeqCst) {
            if let Ok(rows) = client
                .query(
                    "SELECT count(*) FROM qbsync.task WHERE status = 'running' GROUP BY locked_by",
                    &[],
                )
                .await
            {
                let counts: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
                let mut p = out.lock().unwrap_or_else(|e| e.into_inner());
                p.all = p.all.max(counts.iter().sum());
                p.per_agent = p.per_agent.max(counts.iter().copied().max().unwrap_or(0));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    Ok(peak)
}

/// Waits until no task of `kind` is queued or running; fails on a task that did not end done.
async fn wait_kind(db: &BenchDb, kind: &str, within: Duration) -> Result<()> {
    let deadline = Instant::now() + within;
    loop {
        let r = db
            .client
            .query_one(
                "SELECT count(*) FILTER (WHERE status IN ('queued', 'running')), \
                        count(*) FILTER (WHERE status IN ('failed', 'stopped')), \
                        max(error) FROM qbsync.task WHERE kind = $1",
                &[&kind],
            )
            .await?;
        let (open, bad): (i64, i64) = (r.get(0), r.get(1));
        if bad > 0 {
            bail!(
                "{bad} {kind} task(s) did not end done: {:?}",
                r.get::<_, Option<String>>(2)
            );
        }
        if open == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{open} {kind} task(s) still open after {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One run with `agents` agents on a fresh database holding every company.
async fn run_once(
    agent_bin: &Path,
    a: &ScaleOutArgs,
    sandboxes: &[RunningSandbox],
    agents: usize,
) -> Result<ScaleOutRun> {
    let db = BenchDb::create("qbsync_bench_scaleout").await?;
    for (i, s) in sandboxes.iter().enumerate() {
        db.add_company(&format!("bench{i:02}"), s).await?;
    }
    let limits = Limits {
        page_size: Some(a.page_size),
        // Rounds of 30 pages: with one-record pages the default (3,000 records) would make the
        // sandboxes walk thousands of records per query and the CPU, not the budget, the limit.
        fetch_records: Some(a.page_size.saturating_mul(30)),
        ..Limits::quickbooks(a.time_scale)
    };
    let mut running = Vec::with_capacity(agents);
    for n in 0..agents {
        let name = format!("bench-scaleout-{agents}-{n}");
        running.push(Agent::spawn_capped(
            agent_bin,
            &db,
            &name,
            limits,
            Some(a.max_companies),
        )?);
    }
    let logs: Vec<String> = running
        .iter()
        .map(|g| g.log.display().to_string())
        .collect();
    wait_kind(&db, "connect", Duration::from_secs(120))
        .await
        .with_context(|| format!("agent logs: {logs:?}"))?;
    // Connecting spent a few requests: one simulated minute refills every bucket, the
    // sandboxes' and the agents', so both runs start from full budgets.
    tokio::time::sleep(Duration::from_secs_f64(66.0 / a.time_scale)).await;

    let (requests_before, throttled_before) = sandbox_counts(sandboxes);
    let agent_cpu_before = agents_cpu(&running)?;
    let sandbox_cpu_before = cpu_seconds("/proc/self/stat")?;
    let stop = Arc::new(AtomicBool::new(false));
    let peak = watch_running(&db, stop.clone()).await?;
    let sampling = StopOnDrop(stop);
    db.client
        .batch_execute(
            "SELECT qbsync.qb_populate(name, '{customer,item,invoice}') FROM qbsync.company ORDER BY id",
        )
        .await?;
    let waited = wait_kind(&db, "populate", WITHIN).await;
    drop(sampling);
    waited.with_context(|| format!("agent logs: {logs:?}"))?;
    let (requests_after, throttled_after) = sandbox_counts(sandboxes);
    let agent_cpu_seconds = agents_cpu(&running)? - agent_cpu_before;
    let sandbox_cpu_seconds = cpu_seconds("/proc/self/stat")? - sandbox_cpu_before;
    for agent in running {
        agent.stop().await;
    }
    let times = db
        .client
        .query_one(
            "SELECT extract(epoch FROM max(finished_at) - min(created_at))::float8, \
                    extract(epoch FROM avg(finished_at - started_at))::float8 \
             FROM qbsync.task WHERE kind = 'populate'",
            &[],
        )
        .await?;
    let populates_by_agent: Vec<i64> = db
        .client
        .query(
            "SELECT count(*) FROM qbsync.task WHERE kind = 'populate' GROUP BY locked_by ORDER BY 1 DESC",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let records = db
        .count("SELECT (SELECT count(*) FROM qbo.customer) + (SELECT count(*) FROM qbo.item) + (SELECT count(*) FROM qbo.invoice)")
        .await?;
    db.drop_database().await?;
    let peak = std::mem::take(&mut *peak.lock().unwrap_or_else(|e| e.into_inner()));
    let run = ScaleOutRun {
        agents,
        seconds: times.get::<_, Option<f64>>(0).unwrap_or(0.0),
        company_seconds: times.get::<_, Option<f64>>(1).unwrap_or(0.0),
        records,
        peak_companies: peak.all,
        peak_companies_per_agent: peak.per_agent,
        populates_by_agent,
        requests: requests_after - requests_before,
        throttled_429: throttled_after - throttled_before,
        agent_cpu_seconds,
        sandbox_cpu_seconds,
    };
    eprintln!(
        "scale-out: {agents} agent(s) x {} companies: {:.2} s ({:.2} s per company), {} records, at most {} companies at once ({} per agent), populates per agent {:?}, {} requests, {} answered 429, CPU {:.1} s agents + {:.1} s sandboxes",
        a.max_companies,
        run.seconds,
        run.company_seconds,
        run.records,
        run.peak_companies,
        run.peak_companies_per_agent,
        run.populates_by_agent,
        run.requests,
        run.throttled_429,
        run.agent_cpu_seconds,
        run.sandbox_cpu_seconds
    );
    Ok(run)
}

pub async fn run(agent_bin: &Path, a: &ScaleOutArgs) -> Result<ScaleOutResult> {
    let began = Instant::now();
    let sandboxes = sandboxes(a).await?;
    eprintln!(
        "scale-out: {} sandboxes of {} records seeded in {:.1} s",
        a.companies,
        a.records,
        began.elapsed().as_secs_f64()
    );
    let one_agent = run_once(agent_bin, a, &sandboxes, 1).await?;
    let two_agents = run_once(agent_bin, a, &sandboxes, 2).await?;
    for s in sandboxes {
        s.shutdown().await;
    }
    let ratio = two_agents.seconds / one_agent.seconds;
    eprintln!(
        "scale-out: two agents took {:.0}% of one agent's time",
        ratio * 100.0
    );
    Ok(ScaleOutResult {
        companies: a.companies,
        max_companies: a.max_companies,
        records_per_company: a.records,
        page_size: a.page_size,
        time_scale: a.time_scale,
        one_agent,
        two_agents,
        ratio,
    })
}
