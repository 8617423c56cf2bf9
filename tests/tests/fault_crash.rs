//! The crash part of the fault matrix: the real agent process (`qbsync-agent-faulty`, the
//! agent's main.rs with fail points compiled in) against PostgreSQL and the sandbox, killed
//! with SIGKILL at each step of a push and of a populate, its database sessions cut, its
//! database out of reach for a while, and two agents sharing four companies.
//!
//! After each fault the agent is started again (without fail points) and every change must be
//! in QuickBooks exactly once, with its row `ok`, holding that record's Id, and one `ok`
//! outgoing `sync_result`. Each test prints one summary line on stderr (past the harness's
//! capture): `fault-matrix: scenario=<name> faults=<n> pushed=<n> duplicates=<n> lost=<n>`.
//! docs/reliability.md maps each fault to its guarantee and its test.

use qbsync_sandbox::{Admin, FailRule, RunningSandbox, SandboxConfig, SeedSize};
use qbsync_tests::agent_process::{wait_until, AgentOptions, AgentProcess};
use qbsync_tests::fault_tally::Tally;
use qbsync_tests::{sampler, Env, Options};
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const AGENT: &str = env!("CARGO_BIN_EXE_qbsync-agent-faulty");
/// Bound of every wait for the agent.
const WAIT: Duration = Duration::from_secs(60);

fn spawn(env: &Env, opts: AgentOptions) -> AgentProcess {
    AgentProcess::spawn(AGENT, env, opts)
}

/// The sandbox applies the next request whose path contains `path`, then holds its answer
/// (20 s, then a 503): the agent is killed while the answer is on its way.
fn answer_held(path: &str) -> FailRule {
    FailRule {
        after_execute: true,
        hold_ms: 20_000,
        ..FailRule::new(path, 1, 503)
    }
}

/// An add that must reach QuickBooks exactly once: its row, and how QuickBooks finds it.
struct Add<'a> {
    table: &'a str,
    entity: &'a str,
    field: &'a str,
    value: String,
    local_id: i64,
}

/// Waits for the row, then checks: one record in QuickBooks with that natural key, the row
/// `ok` with that record's Id, one `ok` outgoing result. Returns the Id.
async fn check_add(env: &Env, qb: &Admin, add: &Add<'_>, t: &mut Tally) -> Option<String> {
    let row = env.wait_row(add.table, add.local_id).await;
    let ids = qb.find(add.entity, add.field, &add.value);
    let results: i64 = env
        .db
        .query_one(
            "SELECT count(*) FROM qbsync.sync_result WHERE direction = 'outgoing' AND entity = $1 \
             AND local_id = $2 AND outcome = 'ok'",
            &[&add.entity, &add.local_id],
        )
        .await
        .unwrap()
        .get(0);
    t.duplicates += ids.len().saturating_sub(1) as u32;
    let right = ids.len() == 1
        && row.status == "ok"
        && row.id.as_deref() == Some(ids[0].as_str())
        && results == 1;
    if right {
        t.pushed += 1;
    } else {
        t.lost += 1;
        eprintln!(
            "{} {}={:?} local_id={}: QuickBooks ids {ids:?}, row {row:?}, ok results {results}",
            add.entity, add.field, add.value, add.local_id
        );
    }
    row.id
}

/// Inserts a customer to add for `company`; returns its local_id.
async fn insert_customer(env: &Env, company: i64, name: &str) -> i64 {
    env.db
        .query_one(
            "INSERT INTO qbo.customer (company_id, display_name, operation) VALUES ($1, $2, 'add') RETURNING local_id",
            &[&company, &name],
        )
        .await
        .unwrap()
        .get(0)
}

fn customer(name: &str, local_id: i64) -> Add<'static> {
    Add {
        table: "qbo.customer",
        entity: "Customer",
        field: "DisplayName",
        value: name.to_string(),
        local_id,
    }
}

async fn sync_status(env: &Env, table: &str, local_id: i64) -> String {
    env.db
        .query_one(
            &format!("SELECT coalesce(sync_status, '') FROM {table} WHERE local_id = $1"),
            &[&local_id],
        )
        .await
        .unwrap()
        .get(0)
}

/// An environment whose company is connected (by the in-process agent, then stopped): the
/// tests start the agent processes themselves.
async fn connected(populate: bool) -> Env {
    let mut env = Env::start().await;
    if populate {
        env.populate().await;
    }
    env.stop_agent().await;
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_before_the_request_the_add_is_sent_once_after_restart() {
    let env = connected(false).await;
    let mut t = Tally::new("kill_before_request");
    let creates = env.qb().api_creates("Customer");
    let mut agent = spawn(
        &env,
        AgentOptions::named("fault-before-request").failpoints("push.before_request=return"),
    );
    let local = insert_customer(&env, env.company_id, "Crash Before Request").await;
    agent.wait_failpoint("push.before_request", WAIT).await;
    // Claimed with its requestid committed, nothing sent.
    let r = env
        .one(&format!(
            "SELECT sync_status, request_id IS NOT NULL FROM qbo.customer WHERE local_id = {local}"
        ))
        .await;
    assert_eq!(
        (r.get::<_, String>(0).as_str(), r.get::<_, bool>(1)),
        ("sending", true)
    );
    assert_eq!(env.qb().api_creates("Customer"), creates);
    agent.kill().await;
    t.faults += 1;

    let agent = spawn(&env, AgentOptions::named("fault-before-request-2"));
    check_add(
        &env,
        env.qb(),
        &customer("Crash Before Request", local),
        &mut t,
    )
    .await;
    assert_eq!(env.qb().api_creates("Customer") - creates, 1, "sent once");
    agent.kill().await;
    env.finish().await;
    t.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_quickbooks_applied_the_add_the_record_is_adopted_once() {
    let env = connected(true).await;
    let mut t = Tally::new("kill_after_apply_natural_key");

    // A customer, requestid honoured: applied, answer held, agent killed while waiting for it.
    env.qb().fail_next(answer_held("/customer?"));
    let agent = spawn(&env, AgentOptions::named("fault-after-apply"));
    let name = "Answer Never Came";
    let local = insert_customer(&env, env.company_id, name).await;
    wait_until("QuickBooks to apply the add", WAIT, || async {
        env.qb().find("Customer", "DisplayName", name).len() == 1
    })
    .await;
    agent.kill().await;
    t.faults += 1;
    assert_eq!(sync_status(&env, "qbo.customer", local).await, "sending");
    let mut agent = spawn(&env, AgentOptions::named("fault-after-apply-2"));
    check_add(&env, env.qb(), &customer(name, local), &mut t).await;
    let message = env
        .wait_row("qbo.customer", local)
        .await
        .message
        .unwrap_or_default();
    assert!(
        message.contains("earlier attempt whose answer was lost"),
        "{message}"
    );

    // An invoice, with QuickBooks ignoring requestid: only the lookup by DocNumber can save it.
    env.qb().set_ignore_request_id(true);
    env.qb().fail_next(answer_held("/invoice?"));
    let replays = env.qb().stats().request_id_replays;
    let buyer = env.active_id("qbo.customer", "", 0).await;
    let local = env
        .add_invoice(&buyer, "CRASH-1001", &[(2.0, 10.0), (1.0, 5.5)])
        .await;
    wait_until("QuickBooks to apply the invoice", WAIT, || async {
        env.qb().find("Invoice", "DocNumber", "CRASH-1001").len() == 1
    })
    .await;
    agent.assert_running();
    agent.kill().await;
    t.faults += 1;
    let agent = spawn(&env, AgentOptions::named("fault-after-apply-3"));
    let invoice = Add {
        table: "qbo.invoice",
        entity: "Invoice",
        field: "DocNumber",
        value: "CRASH-1001".into(),
        local_id: local,
    };
    check_add(&env, env.qb(), &invoice, &mut t).await;
    assert_eq!(
        env.qb().stats().request_id_replays,
        replays,
        "found by DocNumber, not replayed"
    );
    let lines: i64 = env
        .one(&format!(
            "SELECT count(*) FROM qbo.invoice_line WHERE invoice_local_id = {local} AND line_id IS NOT NULL"
        ))
        .await
        .get(0);
    assert_eq!(lines, 2, "the adopted invoice keeps its lines");
    agent.kill().await;
    env.finish().await;
    t.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_quickbooks_applied_a_keyless_add_requestid_replays_it() {
    let env = connected(true).await;
    let mut t = Tally::new("kill_after_apply_requestid");
    // A payment without a reference number has no natural key: the requestid is all there is.
    env.exec("SELECT qbsync.qb_enable_table('acme', 'payment', direction => 'outgoing')")
        .await;
    let payer = env.active_id("qbo.customer", "", 0).await;
    let payments = env.qb().count("Payment");
    env.qb().fail_next(answer_held("/payment?"));
    let agent = spawn(&env, AgentOptions::named("fault-keyless"));
    let local = env
        .insert(
            "qbo.payment",
            "customer_ref, total_amt, txn_date, operation",
            &format!("'{payer}', 43.21, current_date, 'add'"),
        )
        .await;
    wait_until("QuickBooks to apply the payment", WAIT, || async {
        env.qb().count("Payment") == payments + 1
    })
    .await;
    agent.kill().await;
    t.faults += 1;
    let replays = env.qb().stats().request_id_replays;
    let agent = spawn(&env, AgentOptions::named("fault-keyless-2"));
    let row = env.wait_row("qbo.payment", local).await;
    let added = env.qb().count("Payment") - payments;
    t.duplicates += added.saturating_sub(1) as u32;
    let in_qb = row
        .id
        .as_deref()
        .and_then(|id| env.qb().read("Payment", id))
        .is_some();
    if row.status == "ok" && added == 1 && in_qb {
        t.pushed += 1;
    } else {
        t.lost += 1;
        eprintln!("payment: row {row:?}, {added} added, row's Id in QuickBooks: {in_qb}");
    }
    assert!(
        env.qb().stats().request_id_replays > replays,
        "the resend was answered from the requestid store"
    );
    agent.kill().await;
    env.finish().await;
    t.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_before_the_write_back_commits_the_row_keeps_the_same_id() {
    let env = connected(false).await;
    let mut t = Tally::new("kill_before_write_back");
    let mut agent = spawn(
        &env,
        AgentOptions::named("fault-write-back").failpoints("push.after_response=return"),
    );
    let name = "Crash Before Commit";
    let local = insert_customer(&env, env.company_id, name).await;
    agent.wait_failpoint("push.after_response", WAIT).await;
    let ids = env.qb().find("Customer", "DisplayName", name);
    assert_eq!(ids.len(), 1, "QuickBooks answered");
    assert_eq!(
        sync_status(&env, "qbo.customer", local).await,
        "sending",
        "not committed"
    );
    agent.kill().await;
    t.faults += 1;
    let agent = spawn(&env, AgentOptions::named("fault-write-back-2"));
    let id = check_add(&env, env.qb(), &customer(name, local), &mut t).await;
    assert_eq!(
        id.as_deref(),
        Some(ids[0].as_str()),
        "the Id QuickBooks gave the first time"
    );
    agent.kill().await;
    env.finish().await;
    t.finish();
}

/// Inserts `n` customers named `prefix NN` in one statement (one claim, one batch).
async fn insert_customers(env: &Env, prefix: &str, n: i64) -> Vec<(String, i64)> {
    env.db
        .query(
            "INSERT INTO qbo.customer (company_id, display_name, operation) \
             SELECT $1, $2 || ' ' || lpad(i::text, 2, '0'), 'add' FROM generate_series(1, $3::int8) i \
             RETURNING display_name, local_id",
            &[&env.company_id, &prefix, &n],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_in_the_middle_of_a_batch_every_row_lands_once() {
    let env = connected(false).await;
    let mut t = Tally::new("kill_mid_batch");

    // 30 rows in one batch call: QuickBooks applies it, the agent dies waiting for the answer.
    env.qb().fail_next(answer_held("/batch?"));
    let agent = spawn(&env, AgentOptions::named("fault-batch"));
    let rows = insert_customers(&env, "Batch Crash", 30).await;
    wait_until("QuickBooks to apply the batch", WAIT, || async {
        rows.iter()
            .all(|(n, _)| env.qb().find("Customer", "DisplayName", n).len() == 1)
    })
    .await;
    agent.kill().await;
    t.faults += 1;
    // Recovering, the rows go one by one: killed again between two of them.
    let mut agent = spawn(
        &env,
        AgentOptions::named("fault-batch-2").failpoints("push.row_between=return"),
    );
    agent.wait_failpoint("push.row_between", WAIT).await;
    agent.kill().await;
    t.faults += 1;
    let agent = spawn(&env, AgentOptions::named("fault-batch-3"));
    for (name, local) in &rows {
        check_add(&env, env.qb(), &customer(name, *local), &mut t).await;
    }
    agent.kill().await;

    // 70 rows: three rounds; killed after the first round committed.
    let mut agent = spawn(
        &env,
        AgentOptions::named("fault-rounds").failpoints("push.batch_between=return"),
    );
    let rows = insert_customers(&env, "Round Crash", 70).await;
    agent.wait_failpoint("push.batch_between", WAIT).await;
    let done: i64 = env
        .one("SELECT count(*) FROM qbo.customer WHERE display_name LIKE 'Round Crash %' AND sync_status = 'ok'")
        .await
        .get(0);
    assert_eq!(done, 30, "one round written back before the kill");
    agent.kill().await;
    t.faults += 1;
    let agent = spawn(&env, AgentOptions::named("fault-rounds-2"));
    for (name, local) in &rows {
        check_add(&env, env.qb(), &customer(name, *local), &mut t).await;
    }
    agent.kill().await;
    env.finish().await;
    t.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn populate_killed_between_pages_completes_without_duplicates() {
    let mut env = Env::with(Options::seeded(SeedSize {
        customers: 2500,
        ..SeedSize::small()
    }))
    .await;
    env.stop_agent().await;
    let mut t = Tally::new("kill_mid_populate");
    let mut agent = spawn(
        &env,
        AgentOptions {
            populate_write_batch: 1000,
            ..AgentOptions::named("fault-populate").failpoints("populate.between_pages=return")
        },
    );
    let task: i64 = env
        .one("SELECT qbsync.qb_populate('acme', '{customer}')")
        .await
        .get(0);
    agent.wait_failpoint("populate.between_pages", WAIT).await;
    let staged: i64 = env.one("SELECT count(*) FROM qbo.customer").await.get(0);
    // The first batch: at most a write batch (1000), less when the two writers share the
    // first page.
    assert!(
        (1..=1000).contains(&staged),
        "the first batch staged and committed before the kill, not {staged} rows"
    );
    agent.kill().await;
    t.faults += 1;
    let r = env
        .db
        .query_one(
            "SELECT (checkpoint->'Customer'->>'after')::int8, rows_done FROM qbsync.task WHERE id = $1",
            &[&task],
        )
        .await
        .unwrap();
    let (after, done_before): (Option<i64>, i64) = (r.get(0), r.get(1));
    let max_id: i64 = env
        .one("SELECT max(id::int8) FROM qbo.customer")
        .await
        .get(0);
    assert_eq!(
        after,
        Some(max_id),
        "the checkpoint is the last Id staged, committed with the rows"
    );
    assert_eq!(done_before, staged, "rows_done counts the committed rows");

    // The task of the dead agent is queued again (after 1 s here, 5 min by default) and rerun:
    // it goes on after the checkpoint instead of loading the staged rows again.
    let agent = spawn(&env, AgentOptions::named("fault-populate-2"));
    assert_eq!(env.wait_task(task).await, "done");
    let r = env
        .db
        .query_one(
            "SELECT rows_done, entities_done, entities_total, checkpoint->'Customer' FROM qbsync.task WHERE id = $1",
            &[&task],
        )
        .await
        .unwrap();
    let (rows_done, entities_done, entities_total): (i64, i32, i32) =
        (r.get(0), r.get(1), r.get(2));
    assert_eq!(
        rows_done,
        env.qb().count("Customer") as i64,
        "each record read once across the two runs"
    );
    assert_eq!(entities_done, entities_total);
    assert_eq!(
        r.get::<_, serde_json::Value>(3),
        serde_json::json!({"done": true})
    );
    let r = env
        .one("SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE sync_status = 'ok') FROM qbo.customer")
        .await;
    let (rows, distinct, ok): (i64, i64, i64) = (r.get(0), r.get(1), r.get(2));
    let expected = env.qb().count("Customer") as i64;
    t.duplicates += (rows - distinct) as u32;
    t.lost += (expected - distinct).max(0) as u32 + (rows - ok) as u32;
    assert_eq!(distinct, expected, "every customer of the sandbox, once");
    agent.kill().await;
    env.finish().await;
    let line = format!("fault-matrix: scenario=kill_mid_populate loaded={distinct}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    t.finish();
}

/// Terminates the agent's sessions (its `application_name`) matching `filter` (SQL on
/// pg_stat_activity); returns how many.
async fn terminate(env: &Env, agent: &str, filter: &str) -> i64 {
    env.db
        .query_one(
            &format!(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid() AND {filter}"
            ),
            &[&agent],
        )
        .await
        .unwrap()
        .get(0)
}

async fn any_sending(env: &Env) -> bool {
    env.one("SELECT EXISTS (SELECT 1 FROM qbo.customer WHERE sync_status = 'sending')")
        .await
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_sessions_terminated_while_pushing_changes_still_land_once() {
    let env = connected(false).await;
    let mut t = Tally::new("sessions_terminated");
    let mut agent = spawn(&env, AgentOptions::named("fault-sessions"));
    // Slow answers, so that the sessions die while requests are in flight.
    env.qb().set_latency_ms(700);
    let mut adds = Vec::new();
    for i in 0..10 {
        let name = format!("Session Cut {i:02}");
        let local = insert_customer(&env, env.company_id, &name).await;
        adds.push(customer(&name, local));
    }
    wait_until("a push in flight", WAIT, || any_sending(&env)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        terminate(&env, agent.name(), "true").await > 0,
        "the agent had sessions"
    );
    t.faults += 1;
    for add in &adds {
        check_add(&env, env.qb(), add, &mut t).await;
    }
    agent.assert_running();

    // The LISTEN session alone: a change made right after is still picked up.
    env.qb().set_latency_ms(0);
    wait_until("the agent to LISTEN again", WAIT, || async {
        env.db
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'LISTEN%'",
                &[&agent.name()],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
            > 0
    })
    .await;
    assert_eq!(
        terminate(&env, agent.name(), "query ILIKE 'LISTEN%'").await,
        1
    );
    t.faults += 1;
    let local = insert_customer(&env, env.company_id, "After Listen Lost").await;
    check_add(
        &env,
        env.qb(),
        &customer("After Listen Lost", local),
        &mut t,
    )
    .await;
    agent.assert_running();
    agent.kill().await;
    env.finish().await;
    t.finish();
}

/// A PostgreSQL restart, without restarting the cluster that the other tests share: every
/// session of the agent is terminated at once and the database refuses new connections
/// (`ALLOW_CONNECTIONS false`) for three seconds, which is what the agent sees of a restart.
/// The application's own session stays, so changes can be made while the agent is cut off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_out_of_reach_for_seconds_the_agent_waits_and_resumes() {
    let env = connected(false).await;
    let mut t = Tally::new("database_restart");
    let mut agent = spawn(&env, AgentOptions::named("fault-restart"));
    let mut adds = Vec::new();
    for i in 0..3 {
        let name = format!("Before Restart {i:02}");
        adds.push(customer(
            &name,
            insert_customer(&env, env.company_id, &name).await,
        ));
    }
    for add in &adds {
        env.wait_row(add.table, add.local_id).await;
    }
    env.qb().set_latency_ms(700);
    for i in 0..5 {
        let name = format!("During Restart {i:02}");
        adds.push(customer(
            &name,
            insert_customer(&env, env.company_id, &name).await,
        ));
    }
    wait_until("a push in flight", WAIT, || any_sending(&env)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let db: String = env.one("SELECT current_database()").await.get(0);
    // PostgreSQL refuses this from a session of the database itself.
    let mut cfg = env.database_config();
    cfg.dbname("postgres");
    let (admin, conn) = cfg
        .connect(tokio_postgres::NoTls)
        .await
        .expect("admin session");
    tokio::spawn(conn);
    admin
        .batch_execute(&format!("ALTER DATABASE {db} WITH ALLOW_CONNECTIONS false"))
        .await
        .unwrap();
    let cut = terminate(&env, agent.name(), "true").await;
    t.faults += 1;
    for i in 0..5 {
        let name = format!("While Down {i:02}");
        adds.push(customer(
            &name,
            insert_customer(&env, env.company_id, &name).await,
        ));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sessions: i64 = env
        .db
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            &[&agent.name()],
        )
        .await
        .unwrap()
        .get(0);
    admin
        .batch_execute(&format!("ALTER DATABASE {db} WITH ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    assert!(
        cut > 0 && sessions == 0,
        "the agent was cut off ({cut} sessions ended, {sessions} left)"
    );
    agent.assert_running();
    env.qb().set_latency_ms(0);
    for add in &adds {
        check_add(&env, env.qb(), add, &mut t).await;
    }
    agent.assert_running();
    agent.kill().await;
    env.finish().await;
    t.finish();
}

/// Company leases seen in pg_locks: which agent (application_name) held which company.
#[derive(Default)]
struct LeaseLog {
    samples: u64,
    /// A company held by two sessions in one sample (never, by the advisory lock).
    overlaps: Vec<String>,
    /// Per company, every agent seen holding it.
    holders: HashMap<i64, BTreeSet<String>>,
    /// The last sample: (company, agent).
    last: Vec<(i64, String)>,
}

/// Samples the leases every 20 ms on its own session until `stop` is set.
fn watch_leases(env: &Env, stop: Arc<AtomicBool>) -> Arc<Mutex<LeaseLog>> {
    let log = Arc::new(Mutex::new(LeaseLog::default()));
    let out = log.clone();
    sampler::sample(env, vec![sampler::leases_sql()], stop, move |rows| {
        let sample = sampler::pairs(&rows[0]);
        let mut log = out.lock().unwrap();
        log.samples += 1;
        let mut seen = BTreeSet::new();
        for (company, agent) in &sample {
            if !seen.insert(*company) {
                log.overlaps
                    .push(format!("company {company} in {sample:?}"));
            }
            log.holders
                .entry(*company)
                .or_default()
                .insert(agent.clone());
        }
        log.last = sample;
    });
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_never_work_one_company_together_and_a_killed_ones_companies_move() {
    let env = Env::with(Options {
        start_agent: false,
        ..Default::default()
    })
    .await;
    let mut t = Tally::new("two_agents");
    // Four companies, each its own QuickBooks company (sandbox).
    let mut extra: Vec<RunningSandbox> = Vec::new();
    let mut companies: Vec<(i64, String)> = vec![(env.company_id, "acme".into())];
    for n in 2..=4 {
        let sandbox = qbsync_sandbox::start(SandboxConfig {
            realm_id: format!("913035000000000{n}"),
            ..Default::default()
        })
        .await
        .expect("sandbox");
        let name = format!("company{n}");
        let id = env.add_company(&name, &sandbox).await;
        companies.push((id, name));
        extra.push(sandbox);
    }
    let qb_of = |i: usize| -> &Admin {
        if i == 0 {
            env.qb()
        } else {
            extra[i - 1].admin()
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let leases = watch_leases(&env, stop.clone());
    let a = spawn(&env, AgentOptions::named("fault-agent-a"));
    let b = spawn(&env, AgentOptions::named("fault-agent-b"));
    wait_until("the four connect tasks", WAIT, || async {
        env.one("SELECT count(*) = 4 FROM qbsync.task WHERE kind = 'connect' AND status = 'done'")
            .await
            .get(0)
    })
    .await;

    // Both agents running: 8 rows per company.
    let mut adds: Vec<(usize, Add)> = Vec::new();
    for (i, (company, _)) in companies.iter().enumerate() {
        for n in 0..8 {
            let name = format!("Shared {i} {n:02}");
            adds.push((
                i,
                customer(&name, insert_customer(&env, *company, &name).await),
            ));
        }
    }
    for (_, add) in &adds {
        env.wait_row(add.table, add.local_id).await;
    }

    // Slow answers, rows in flight, then one agent is killed while holding companies.
    for i in 0..4 {
        qb_of(i).set_latency_ms(1500);
    }
    for (i, (company, _)) in companies.iter().enumerate() {
        for n in 0..3 {
            let name = format!("Handed Over {i} {n:02}");
            adds.push((
                i,
                customer(&name, insert_customer(&env, *company, &name).await),
            ));
        }
    }
    let deadline = std::time::Instant::now() + WAIT;
    let held: Vec<(i64, String)> = loop {
        let held = sampler::pairs(&env.db.query(&sampler::leases_sql(), &[]).await.unwrap());
        if !held.is_empty() {
            break held;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no agent held a company"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let victim_name = held[0].1.clone();
    let victim_companies: BTreeSet<i64> = held
        .iter()
        .filter(|(_, n)| *n == victim_name)
        .map(|(c, _)| *c)
        .collect();
    let (victim, mut survivor) = if victim_name == a.name() {
        (a, b)
    } else {
        (b, a)
    };
    victim.kill().await;
    t.faults += 1;
    // Still slow enough that the survivor's leases show in the samples.
    for i in 0..4 {
        qb_of(i).set_latency_ms(300);
    }
    // Every company now goes to the survivor: a task each, and more rows.
    for (i, (company, name)) in companies.iter().enumerate() {
        let name_row = format!("After Kill {i}");
        adds.push((
            i,
            customer(&name_row, insert_customer(&env, *company, &name_row).await),
        ));
        env.db
            .execute("SELECT qbsync.qb_update($1, '{customer}')", &[name])
            .await
            .unwrap();
    }
    for (i, add) in &adds {
        check_add(&env, qb_of(*i), add, &mut t).await;
    }
    wait_until("the update tasks", WAIT, || async {
        env.one("SELECT count(*) = 4 FROM qbsync.task WHERE kind = 'update' AND status = 'done'")
            .await
            .get(0)
    })
    .await;
    let by: Vec<String> = env
        .db
        .query(
            "SELECT DISTINCT locked_by FROM qbsync.task WHERE kind = 'update'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        by,
        vec![survivor.agent_id()],
        "the survivor took every company"
    );
    survivor.assert_running();
    stop.store(true, Ordering::SeqCst);
    let (samples, overlaps, holders) = {
        let log = leases.lock().unwrap();
        (log.samples, log.overlaps.clone(), log.holders.clone())
    };
    assert!(samples > 10, "the leases were sampled ({samples})");
    assert!(
        overlaps.is_empty(),
        "a company held twice at once: {overlaps:?}"
    );
    for c in &victim_companies {
        let seen = holders.get(c).cloned().unwrap_or_default();
        assert!(
            seen.contains(survivor.name()),
            "company {c} of the killed agent was taken over (holders seen: {seen:?})"
        );
    }
    let _ = std::io::stderr().write_all(
        format!(
            "fault-matrix: scenario=two_agents lease_samples={samples} killed_holding={} holders={holders:?}\n",
            victim_companies.len()
        )
        .as_bytes(),
    );
    survivor.kill().await;
    for s in extra {
        s.shutdown().await;
    }
    env.finish().await;
    t.finish();
}
