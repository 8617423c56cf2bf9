//! The agent within QuickBooks' budget: batch calls while the batch bucket has tokens, single
//! requests (several in flight) when only the request bucket has, and a limiter in scaled
//! time that keeps every request under the sandbox's own limits (no 429).

use qbsync_agent::{runner, AgentConfig, AgentError};
use qbsync_sandbox::{SandboxConfig, SeedSize};
use qbsync_tests::{Env, Options};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// An agent in this process with its own request budget, stopped by [`stop`].
struct Agent(watch::Sender<bool>, JoinHandle<Result<(), AgentError>>);

fn start_agent(env: &Env, budget: impl FnOnce(&mut AgentConfig)) -> Agent {
    let mut cfg = AgentConfig::new(env.database_config()).with_secret_key(env.secret_key().clone());
    cfg.sweep_interval = Duration::from_millis(300);
    budget(&mut cfg);
    let (tx, rx) = watch::channel(false);
    Agent(tx, tokio::spawn(runner::run(cfg, rx)))
}

async fn stop(agent: Agent) {
    let _ = agent.0.send(true);
    agent.1.await.expect("agent task").expect("agent");
}

/// A company on a sandbox configured as `sandbox`, connected by an agent with `budget`.
async fn connected(sandbox: SandboxConfig, budget: impl FnOnce(&mut AgentConfig)) -> (Env, Agent) {
    let env = Env::with(Options {
        sandbox,
        start_agent: false,
        ..Default::default()
    })
    .await;
    let agent = start_agent(&env, budget);
    let connect: i64 = env
        .one("SELECT max(id) FROM qbsync.task WHERE kind = 'connect'")
        .await
        .get(0);
    assert_eq!(env.wait_task(connect).await, "done", "connect task");
    (env, agent)
}

/// Flags `n` new customers named `<prefix> <i>` for adding, in one statement.
async fn flag_customers(env: &Env, prefix: &str, n: i32) {
    env.db
        .execute(
            "INSERT INTO qbo.customer (company_id, display_name, operation) \
             SELECT $1, $2 || ' ' || lpad(i::text, 3, '0'), 'add' FROM generate_series(1, $3) i",
            &[&env.company_id, &prefix, &n],
        )
        .await
        .expect("flagging customers");
}

/// Waits until no `<prefix> %` customer is pending or sending; returns how many are not `ok`.
async fn wait_pushed(env: &Env, prefix: &str, within: Duration) -> i64 {
    let deadline = Instant::now() + within;
    let pattern = format!("{prefix} %");
    loop {
        let r = env
            .db
            .query_one(
                "SELECT count(*) FILTER (WHERE sync_status IN ('pending', 'sending')), \
                 count(*) FILTER (WHERE sync_status IS DISTINCT FROM 'ok') \
                 FROM qbo.customer WHERE display_name LIKE $1",
                &[&pattern],
            )
            .await
            .expect("counting pushed rows");
        let (waiting, not_ok): (i64, i64) = (r.get(0), r.get(1));
        if waiting == 0 {
            return not_ok;
        }
        assert!(Instant::now() < deadline, "{waiting} rows still waiting");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_go_as_single_requests_when_no_batch_call_is_left() {
    // One batch call a minute (the agent keeps it to its burst of one): the first round of 30
    // goes as a batch, the next 45 rows as single requests rather than waiting a minute.
    let (env, agent) = connected(SandboxConfig::default(), |cfg| {
        cfg.requests_per_minute = 100_000;
        cfg.batch_per_minute = 1;
    })
    .await;
    // Slow answers, so that single requests of one round overlap when they go together.
    env.qb().set_latency_ms(30);
    let before = env.qb().stats();
    flag_customers(&env, "Budget Row", 75).await;
    assert_eq!(
        wait_pushed(&env, "Budget Row", Duration::from_secs(60)).await,
        0
    );
    let after = env.qb().stats();
    assert_eq!(env.requests_to("POST /batch"), 1, "one batch call");
    assert_eq!(env.requests_to("POST /customer"), 45, "the rest one by one");
    assert_eq!(
        env.qb().api_creates("Customer"),
        75,
        "each row created once"
    );
    assert_eq!(after.throttled_429, before.throttled_429);
    assert!(
        (2..=10).contains(&after.max_in_flight_observed),
        "single requests of a round go together, up to the cap: {}",
        after.max_in_flight_observed
    );
    stop(agent).await;
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limiter_in_scaled_time_is_never_throttled() {
    // A small budget (60 requests and 3 batch calls a minute), 30 times faster than real time,
    // enforced by the sandbox; the agent's limiter scaled alike keeps to it.
    const SCALE: f64 = 30.0;
    let sandbox = SandboxConfig {
        seed: SeedSize::small(),
        time_scale: SCALE,
        requests_per_minute: 60,
        batch_per_minute: 3,
        ..Default::default()
    };
    let (env, agent) = connected(sandbox, |cfg| {
        cfg.requests_per_minute = 60;
        cfg.batch_per_minute = 3;
        cfg.time_scale = SCALE;
    })
    .await;
    let before = env.qb().stats();
    let began = Instant::now();
    flag_customers(&env, "Scaled Row", 240).await;
    assert_eq!(
        wait_pushed(&env, "Scaled Row", Duration::from_secs(60)).await,
        0
    );
    let simulated_minutes = began.elapsed().as_secs_f64() * SCALE / 60.0;
    let after = env.qb().stats();
    assert_eq!(
        after.throttled_429, before.throttled_429,
        "nothing throttled"
    );
    assert_eq!(after.error_answers, before.error_answers);
    assert_eq!(env.qb().api_creates("Customer"), 240);
    // Batch calls did 30 rows each, and single requests the rest, within the budget.
    let batches = env.requests_to("POST /batch");
    let singles = env.requests_to("POST /customer");
    assert_eq!(
        batches * 30 + singles,
        240,
        "{batches} batches, {singles} singles"
    );
    assert!(
        batches >= 3 && singles > 0,
        "{batches} batches, {singles} singles"
    );
    assert!(
        simulated_minutes < 4.0,
        "240 rows at 60 + 29 × 3 a minute take under 2 simulated minutes, not {simulated_minutes:.1}"
    );
    stop(agent).await;
    env.finish().await;
}
