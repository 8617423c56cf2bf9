//! Throttled: the sandbox enforcing QuickBooks Online's limits (500 requests and 40 batch calls
//! per minute, 10 in flight) in scaled time, the agent's limiter scaled alike, and the useful
//! work the agent gets done per simulated minute as a share of the best any client could do
//! under those limits.
//!
//! The best client: batch calls count against the 500 too, and each carries up to 30 items, so
//! over T simulated minutes starting with full buckets it does at most
//! `30·B·(1+T) + (R−B)·(1+T)` units (R = 500, B = 40): every batch token on a full batch, every
//! other request token on one single unit. The in-flight cap is left out: the sandbox answers
//! in milliseconds, so 10 in flight carry far more than 500 a minute.

use crate::agent::{Agent, Limits};
use crate::setup::BenchDb;
use anyhow::{bail, Context, Result};
use futures_util::StreamExt;
use qbsync_sandbox::{RunningSandbox, SandboxConfig, SeedSize, Stats};
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

/// QuickBooks Online's limits per realm (reference sheet §9).
const REQUESTS_PER_MINUTE: u32 = 500;
const BATCH_PER_MINUTE: u32 = 40;
const MAX_IN_FLIGHT: u32 = 10;
/// Items one batch call carries at most.
const BATCH_ITEMS: f64 = 30.0;

/// The token route: refreshing the access token is not an API request and is not throttled.
const TOKEN_ROUTE: &str = "POST /oauth2/v1/tokens/bearer";
const BATCH_ROUTE: &str = "POST /batch";

#[derive(Debug, Clone)]
pub struct ThrottledArgs {
    /// Simulated seconds per real second, for the sandbox and the agent alike.
    pub time_scale: f64,
    /// Customers flagged `add` by one statement (0: no push run).
    pub push_rows: usize,
    /// Customers in the sandbox to populate (0: no populate run).
    pub populate_records: usize,
    /// MAXRESULTS of the agent's populate pages.
    pub page_size: u32,
}

/// One throttled run.
#[derive(Debug, Clone, Serialize)]
pub struct ThrottledRun {
    /// Useful units: rows created (push) or query pages answered with records (populate).
    pub units: u64,
    pub real_seconds: f64,
    pub simulated_minutes: f64,
    /// The best any client could do in the same simulated minutes.
    pub best_units: f64,
    pub percent_of_best: f64,
    pub units_per_simulated_minute: f64,
    /// API requests the sandbox received (token refreshes excluded, 429s included).
    pub requests: u64,
    pub batch_calls: u64,
    pub throttled_429: u64,
    /// API answers with an error status other than 429.
    pub error_answers: u64,
    /// Push: rows not `ok` at the end. Populate: always 0 (the task fails instead).
    pub rows_not_ok: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThrottledResult {
    pub time_scale: f64,
    pub requests_per_minute: u32,
    pub batch_per_minute: u32,
    pub max_in_flight: u32,
    pub page_size: u32,
    /// None when asked for no rows.
    pub push: Option<ThrottledRun>,
    /// None when asked for no records.
    pub populate: Option<ThrottledRun>,
}

/// The most units any client can get done in `minutes` simulated minutes from full buckets.
pub fn best_units(minutes: f64, per_minute: u32, batch_per_minute: u32) -> f64 {
    let (r, b) = (f64::from(per_minute), f64::from(batch_per_minute));
    (BATCH_ITEMS * b + (r - b)) * (1.0 + minutes.max(0.0))
}

/// A sandbox seeded with `seed` that throttles like QuickBooks, in minutes `time_scale` times
/// shorter than real ones.
async fn throttled_sandbox(seed: SeedSize, time_scale: f64) -> Result<RunningSandbox> {
    qbsync_sandbox::start(SandboxConfig {
        seed,
        time_scale,
        requests_per_minute: REQUESTS_PER_MINUTE,
        batch_per_minute: BATCH_PER_MINUTE,
        max_in_flight: MAX_IN_FLIGHT,
        ..SandboxConfig::default()
    })
    .await
    .context("starting the throttled sandbox")
}

/// A fresh database with company `bench` on `sandbox` and an agent limited like QuickBooks,
/// connected, with both budgets (the sandbox's and the agent's) full again.
async fn connected(
    agent_bin: &Path,
    sandbox: &RunningSandbox,
    name: &str,
    limits: Limits,
) -> Result<(BenchDb, i64, Agent)> {
    let db = BenchDb::create(&format!("qbsync_bench_{name}")).await?;
    let (company, connect) = db.add_company("bench", sandbox).await?;
    let agent = Agent::spawn(agent_bin, &db, &format!("bench-{name}"), limits)?;
    let run = db.wait_task(connect, Duration::from_secs(60)).await?;
    if run.status != "done" {
        bail!("connecting: task {} ({:?})", run.status, run.error);
    }
    // The connection spent a few requests: one simulated minute refills every bucket, so the
    // run starts from full buckets, as the best client's does.
    tokio::time::sleep(Duration::from_secs_f64(66.0 / limits.time_scale)).await;
    Ok((db, company, agent))
}

/// What the sandbox counted between `before` and `after`.
fn requests_between(before: &Stats, after: &Stats) -> (u64, u64, u64, u64) {
    let route = |s: &Stats, r: &str| s.requests_by_route.get(r).copied().unwrap_or(0);
    let api = |s: &Stats| s.requests_total - route(s, TOKEN_ROUTE);
    (
        api(after) - api(before),
        route(after, BATCH_ROUTE) - route(before, BATCH_ROUTE),
        after.throttled_429 - before.throttled_429,
        after.error_answers - before.error_answers,
    )
}

/// A run's figures from its units, real duration and the sandbox's counts.
fn figures(
    units: u64,
    real_seconds: f64,
    time_scale: f64,
    before: &Stats,
    after: &Stats,
    rows_not_ok: i64,
) -> ThrottledRun {
    let simulated_minutes = real_seconds * time_scale / 60.0;
    let best = best_units(simulated_minutes, REQUESTS_PER_MINUTE, BATCH_PER_MINUTE);
    let (requests, batch_calls, throttled_429, error_answers) = requests_between(before, after);
    ThrottledRun {
        units,
        real_seconds,
        simulated_minutes,
        best_units: best,
        percent_of_best: 100.0 * units as f64 / best,
        units_per_simulated_minute: units as f64 / simulated_minutes.max(f64::MIN_POSITIVE),
        requests,
        batch_calls,
        throttled_429,
        error_answers,
        rows_not_ok,
    }
}

/// Notifies `bench_pushed` when the agent's write-back gives a customer its Id.
const NOTIFY_SQL: &str = "\
CREATE FUNCTION public.bench_pushed() RETURNS trigger LANGUAGE plpgsql AS $$ \
BEGIN PERFORM pg_notify('bench_pushed', NEW.local_id::text); RETURN NULL; END $$; \
CREATE TRIGGER bench_pushed AFTER UPDATE ON qbo.customer FOR EACH ROW \
WHEN (OLD.id IS NULL AND NEW.id IS NOT NULL) EXECUTE FUNCTION public.bench_pushed();";

/// A session listening on `bench_pushed`, and each notification's arrival time. The session
/// listens as long as the returned client lives.
async fn listen_pushed(
    db: &BenchDb,
) -> Result<(tokio_postgres::Client, mpsc::UnboundedReceiver<Instant>)> {
    let (listener, mut conn) = db.cfg.connect(NoTls).await.context("LISTEN session")?;
    let (tx, rx) = mpsc::unbounded_channel::<Instant>();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(Ok(m)) = messages.next().await {
            if matches!(m, AsyncMessage::Notification(_)) && tx.send(Instant::now()).is_err() {
                return;
            }
        }
    });
    listener.batch_execute("LISTEN bench_pushed").await?;
    Ok((listener, rx))
}

/// Push: `rows` customers flagged `add` by one statement; from its commit to the last
/// write-back. Useful units: the rows created.
async fn push(agent_bin: &Path, a: &ThrottledArgs) -> Result<ThrottledRun> {
    let sandbox = throttled_sandbox(SeedSize::small(), a.time_scale).await?;
    let seeded = sandbox.admin().count("Customer");
    let (db, company, agent) = connected(
        agent_bin,
        &sandbox,
        "throttled_push",
        Limits::quickbooks(a.time_scale),
    )
    .await?;
    db.client.batch_execute(NOTIFY_SQL).await?;
    let (_listener, mut pushed) = listen_pushed(&db).await?;
    let before = sandbox.admin().stats();
    let flagged = db
        .client
        .execute(
            "INSERT INTO qbo.customer (company_id, display_name, operation) \
             SELECT $1, format('Throttled %s', lpad(g::text, 6, '0')), 'add' FROM generate_series(1, $2::int) g",
            &[&company, &(a.push_rows as i32)],
        )
        .await? as usize;
    let began = Instant::now();
    let mut last = began;
    // Bounded: a tenth of the best client's pace would still be done by then.
    let limit = Duration::from_secs_f64(
        60.0 / a.time_scale * 10.0 * flagged as f64
            / best_units(0.0, REQUESTS_PER_MINUTE, BATCH_PER_MINUTE)
            + 60.0,
    );
    for seen in 0..flagged {
        last = tokio::time::timeout(limit, pushed.recv())
            .await
            .with_context(|| {
                format!(
                    "{} of {flagged} rows still without an Id (agent log {})",
                    flagged - seen,
                    agent.log.display()
                )
            })?
            .context("LISTEN session ended")?;
    }
    let after = sandbox.admin().stats();
    agent.stop().await;
    let not_ok = db
        .count("SELECT count(*) FROM qbo.customer WHERE display_name LIKE 'Throttled %' AND sync_status IS DISTINCT FROM 'ok'")
        .await?;
    let created = sandbox.admin().count("Customer") - seeded;
    db.drop_database().await?;
    sandbox.shutdown().await;
    if created != flagged {
        bail!("throttled push: {created} customers created for {flagged} rows");
    }
    let real = last.duration_since(began).as_secs_f64();
    Ok(figures(
        created as u64,
        real,
        a.time_scale,
        &before,
        &after,
        not_ok,
    ))
}

/// Populate: the customers at `page_size` a page, from the task being queued to it being done.
/// Useful units: the pages that carry records (the last one may be short).
async fn populate(agent_bin: &Path, a: &ThrottledArgs) -> Result<ThrottledRun> {
    let seed = SeedSize {
        customers: a.populate_records,
        ..SeedSize::empty()
    };
    let sandbox = throttled_sandbox(seed, a.time_scale).await?;
    let limits = Limits {
        page_size: Some(a.page_size),
        // Rounds of 3,000 pages: each round ends on a batch call with fewer than 30 queries
        // left, so the fewer rounds, the less of the budget goes unused (30,000 records of
        // memory, as 30 pages of 1,000 would be).
        fetch_records: Some(a.page_size.saturating_mul(1000)),
        ..Limits::quickbooks(a.time_scale)
    };
    let (db, _, agent) = connected(agent_bin, &sandbox, "throttled_populate", limits).await?;
    let before = sandbox.admin().stats();
    let run = db
        .run_task(
            "SELECT qbsync.qb_populate('bench', '{customer}')",
            Duration::from_secs(3600),
        )
        .await
        .with_context(|| format!("agent log: {}", agent.log.display()))?;
    let after = sandbox.admin().stats();
    agent.stop().await;
    let loaded = db.count("SELECT count(*) FROM qbo.customer").await?;
    db.drop_database().await?;
    sandbox.shutdown().await;
    if loaded as usize != a.populate_records {
        bail!(
            "throttled populate: {loaded} customers loaded of {}",
            a.populate_records
        );
    }
    let pages = (a.populate_records as u64).div_ceil(u64::from(a.page_size));
    Ok(figures(
        pages,
        run.seconds,
        a.time_scale,
        &before,
        &after,
        0,
    ))
}

fn report(what: &str, r: &ThrottledRun) {
    eprintln!(
        "throttled {what}: {} units in {:.2} simulated min ({:.1} s real): {:.1}% of the best client's {:.0}; \
         {} requests ({} batch calls), {} throttled (429), {} error answers, {} rows not ok",
        r.units,
        r.simulated_minutes,
        r.real_seconds,
        r.percent_of_best,
        r.best_units,
        r.requests,
        r.batch_calls,
        r.throttled_429,
        r.error_answers,
        r.rows_not_ok
    );
}

pub async fn run(agent_bin: &Path, a: &ThrottledArgs) -> Result<ThrottledResult> {
    if !(a.time_scale.is_finite() && a.time_scale > 0.0) || a.page_size == 0 {
        bail!("--time-scale must be positive and --page-size at least 1");
    }
    let push = match a.push_rows {
        0 => None,
        _ => Some(push(agent_bin, a).await?),
    };
    push.iter().for_each(|r| report("push", r));
    let populate = match a.populate_records {
        0 => None,
        _ => Some(populate(agent_bin, a).await?),
    };
    populate.iter().for_each(|r| report("populate", r));
    Ok(ThrottledResult {
        time_scale: a.time_scale,
        requests_per_minute: REQUESTS_PER_MINUTE,
        batch_per_minute: BATCH_PER_MINUTE,
        max_in_flight: MAX_IN_FLIGHT,
        page_size: a.page_size,
        push,
        populate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_client_spends_both_buckets() {
        // At once: 40 full batches and 460 singles.
        assert_eq!(best_units(0.0, 500, 40), 1660.0);
        // Each further minute refills both.
        assert_eq!(best_units(2.0, 500, 40), 3.0 * 1660.0);
        assert_eq!(best_units(-1.0, 500, 40), 1660.0);
    }
}
