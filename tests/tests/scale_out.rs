//! Scale out: the real agent process works at most `--max-companies` companies at once and
//! leaves the rest for later or for another agent; two agents on one database share the
//! companies and never work one together.
//!
//! Every company is its own QuickBooks company (a sandbox serves one realm) answering with some
//! latency, so that a populate lasts long enough for the samples to see who works what.

use qbsync_sandbox::{RunningSandbox, SandboxConfig};
use qbsync_tests::agent_process::{wait_until, AgentOptions, AgentProcess};
use qbsync_tests::{sampler, Env, Options};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const AGENT: &str = env!("CARGO_BIN_EXE_qbsync-agent-faulty");
/// Bound of every wait for the agents.
const WAIT: Duration = Duration::from_secs(120);
/// Each QuickBooks answer takes this long: a populate of the small sample company (one page
/// per table) then lasts a couple of seconds.
const LATENCY_MS: u64 = 40;

/// `n` companies with a populate queued each (after their connect task): "acme" on the Env's
/// sandbox and the others on their own. Returns the extra sandboxes, to shut down at the end.
async fn companies_with_a_populate(env: &Env, n: usize) -> Vec<RunningSandbox> {
    env.qb().set_latency_ms(LATENCY_MS);
    let mut extra = Vec::new();
    for i in 2..=n {
        let sandbox = qbsync_sandbox::start(SandboxConfig {
            realm_id: format!("91303500000002{i:02}"),
            ..Default::default()
        })
        .await
        .expect("sandbox");
        sandbox.admin().set_latency_ms(LATENCY_MS);
        env.add_company(&format!("company{i}"), &sandbox).await;
        extra.push(sandbox);
    }
    env.exec("SELECT qbsync.qb_populate(name) FROM qbsync.company ORDER BY id")
        .await;
    extra
}

/// An Env whose agent processes the test starts itself.
async fn env_without_agent() -> Env {
    Env::with(Options {
        start_agent: false,
        ..Default::default()
    })
    .await
}

/// What the samples saw, at their busiest.
#[derive(Default, Debug)]
struct Busiest {
    samples: u64,
    /// Most companies with a running task at once.
    running: i64,
    /// Per agent (task `locked_by`), most companies with a running task at once.
    running_by_agent: BTreeMap<String, i64>,
    /// Per agent (`application_name`), most company leases held at once.
    leases_by_agent: BTreeMap<String, i64>,
    /// A company with two running tasks, or leased by two sessions, in one sample.
    overlaps: Vec<String>,
}

const RUNNING_SQL: &str = "SELECT company_id, locked_by FROM qbsync.task WHERE status = 'running'";

/// Per key, how many distinct companies; companies seen twice go to `overlaps`.
fn count_by(rows: &[(i64, String)], overlaps: &mut Vec<String>) -> BTreeMap<String, i64> {
    let mut seen = BTreeSet::new();
    let mut by: BTreeMap<String, i64> = BTreeMap::new();
    for (company, who) in rows {
        if !seen.insert(*company) {
            overlaps.push(format!("company {company} twice in {rows:?}"));
        }
        *by.entry(who.clone()).or_default() += 1;
    }
    by
}

fn keep_max(max: &mut BTreeMap<String, i64>, now: BTreeMap<String, i64>) {
    for (who, n) in now {
        let m = max.entry(who).or_default();
        *m = (*m).max(n);
    }
}

/// Samples running tasks and leases every 20 ms on its own session until `stop` is set.
fn watch(env: &Env, stop: Arc<AtomicBool>) -> Arc<Mutex<Busiest>> {
    let busiest = Arc::new(Mutex::new(Busiest::default()));
    let out = busiest.clone();
    let queries = vec![RUNNING_SQL.to_string(), sampler::leases_sql()];
    sampler::sample(env, queries, stop, move |rows| {
        let running = sampler::pairs(&rows[0]);
        let leases = sampler::pairs(&rows[1]);
        let mut b = out.lock().unwrap();
        b.samples += 1;
        b.running = b.running.max(running.len() as i64);
        let mut overlaps = Vec::new();
        let by_agent = count_by(&running, &mut overlaps);
        keep_max(&mut b.running_by_agent, by_agent);
        let by_agent = count_by(&leases, &mut overlaps);
        keep_max(&mut b.leases_by_agent, by_agent);
        b.overlaps.extend(overlaps);
    });
    busiest
}

async fn wait_all_done(env: &Env, agents: &mut [&mut AgentProcess]) {
    wait_until("every task done", WAIT, || {
        for a in agents.iter_mut() {
            a.assert_running();
        }
        async move {
            env.one("SELECT count(*) FILTER (WHERE status <> 'done') = 0 FROM qbsync.task")
                .await
                .get(0)
        }
    })
    .await;
}

/// Stops the sampler and returns what it saw.
fn stop_watching(stop: &AtomicBool, busiest: &Mutex<Busiest>) -> Busiest {
    stop.store(true, Ordering::SeqCst);
    std::mem::take(&mut *busiest.lock().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_agent_works_at_most_its_cap_and_finishes_every_company() {
    let env = env_without_agent().await;
    let extra = companies_with_a_populate(&env, 5).await;
    let stop = Arc::new(AtomicBool::new(false));
    let busiest = watch(&env, stop.clone());
    let mut agent =
        AgentProcess::spawn(AGENT, &env, AgentOptions::named("capped").max_companies(2));
    wait_all_done(&env, &mut [&mut agent]).await;
    let b = stop_watching(&stop, &busiest);
    eprintln!("scale-out: one agent, cap 2: {b:?}");

    assert!(b.samples > 10, "the work was sampled ({b:?})");
    assert!(b.overlaps.is_empty(), "{:?}", b.overlaps);
    assert_eq!(
        b.running, 2,
        "at most 2 companies had a running task at once, and 2 did ({b:?})"
    );
    let leases = b.leases_by_agent.get("capped").copied().unwrap_or(0);
    assert!(leases <= 2, "at most 2 companies leased at once ({b:?})");
    let populated: i64 = env
        .one("SELECT count(*) FROM qbsync.task WHERE kind = 'populate' AND status = 'done'")
        .await
        .get(0);
    assert_eq!(populated, 5, "every company was populated");
    let customers: i64 = env
        .one("SELECT count(DISTINCT company_id) FROM qbo.customer")
        .await
        .get(0);
    assert_eq!(customers, 5, "every company's customers are in the mirror");

    agent.kill().await;
    for s in extra {
        s.shutdown().await;
    }
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_capped_agents_share_the_companies_and_never_work_one_together() {
    let env = env_without_agent().await;
    let extra = companies_with_a_populate(&env, 6).await;
    let stop = Arc::new(AtomicBool::new(false));
    let busiest = watch(&env, stop.clone());
    let mut a = AgentProcess::spawn(AGENT, &env, AgentOptions::named("agent-a").max_companies(2));
    let mut b = AgentProcess::spawn(AGENT, &env, AgentOptions::named("agent-b").max_companies(2));
    wait_all_done(&env, &mut [&mut a, &mut b]).await;
    let seen = stop_watching(&stop, &busiest);
    eprintln!("scale-out: two agents, cap 2 each: {seen:?}");

    assert!(seen.samples > 10, "the work was sampled ({seen:?})");
    assert!(
        seen.overlaps.is_empty(),
        "a company worked twice at once: {:?}",
        seen.overlaps
    );
    for (agent, n) in seen.leases_by_agent.iter().chain(&seen.running_by_agent) {
        assert!(*n <= 2, "{agent} worked {n} companies at once ({seen:?})");
    }
    // Each task row names the agent that ran it.
    let by: Vec<String> = env
        .texts("SELECT DISTINCT locked_by FROM qbsync.task WHERE kind = 'populate' ORDER BY 1")
        .await;
    let mut both = vec![a.agent_id(), b.agent_id()];
    both.sort();
    assert_eq!(by, both, "both agents ran populates");
    // Two tasks of one company run by different agents never overlap in time.
    let overlapping: i64 = env
        .one(
            "SELECT count(*) FROM qbsync.task x JOIN qbsync.task y ON x.company_id = y.company_id \
             AND x.id < y.id AND x.locked_by <> y.locked_by \
             WHERE x.started_at < y.finished_at AND y.started_at < x.finished_at",
        )
        .await
        .get(0);
    assert_eq!(
        overlapping, 0,
        "no company was worked by both agents at once"
    );

    a.kill().await;
    b.kill().await;
    for s in extra {
        s.shutdown().await;
    }
    env.finish().await;
}
