//! The real agent binary as a child process, for the crash tests (tests/tests/fault_crash.rs):
//! started on an [`Env`]'s database, stopped at a fail point (`FAILPOINTS`), killed with
//! SIGKILL and started again.
//!
//! The binary is `qbsync-agent-faulty`: the agent's own `main.rs` built by this crate against
//! the agent library with its `failpoints` feature (see tests/Cargo.toml). Only integration
//! tests see its path (`env!("CARGO_BIN_EXE_qbsync-agent-faulty")`), so they pass it in.

use crate::Env;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_postgres::config::Host;

/// How to start one agent process.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// Its `application_name` in pg_stat_activity, which tells the agents apart.
    pub name: String,
    /// `FAILPOINTS`, in fail-rs syntax (e.g. `push.before_request=return`); None for none.
    pub failpoints: Option<String>,
    pub sweep_interval_ms: u64,
    /// How long a task of a dead agent waits before it is queued again (production: 300 s).
    pub stale_task_after_secs: u64,
    /// Records per populate COPY batch (production: 5000).
    pub populate_write_batch: usize,
    /// `--qbwc-bind`: where the Web Connector endpoint listens (Desktop tests); None is off.
    pub qbwc_bind: Option<String>,
    /// `--max-companies`: companies worked at once; None for the agent's default.
    pub max_companies: Option<usize>,
}

impl AgentOptions {
    pub fn named(name: &str) -> Self {
        AgentOptions {
            name: name.to_string(),
            failpoints: None,
            sweep_interval_ms: 200,
            stale_task_after_secs: 1,
            populate_write_batch: 5000,
            qbwc_bind: None,
            max_companies: None,
        }
    }

    pub fn failpoints(mut self, spec: &str) -> Self {
        self.failpoints = Some(spec.to_string());
        self
    }

    /// Works at most `n` companies at once.
    pub fn max_companies(mut self, n: usize) -> Self {
        self.max_companies = Some(n);
        self
    }

    /// Serves the Web Connector endpoint on `addr` (e.g. `127.0.0.1:41234`).
    pub fn qbwc_bind(mut self, addr: &str) -> Self {
        self.qbwc_bind = Some(addr.to_string());
        self
    }
}

/// A running `qbsync-agent-faulty run`; killed when dropped.
pub struct AgentProcess {
    child: Child,
    name: String,
    /// Every stderr line so far (the agent's log and the fail point announcements).
    lines: Arc<Mutex<Vec<String>>>,
}

/// libpq conninfo for the test database, naming the agent by `application_name`.
fn conninfo(cfg: &tokio_postgres::Config, application_name: &str) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"));
    let mut parts = Vec::new();
    match cfg.get_hosts().first() {
        Some(Host::Tcp(h)) => parts.push(format!("host={}", quote(h))),
        Some(Host::Unix(p)) => parts.push(format!("host={}", quote(&p.display().to_string()))),
        None => {}
    }
    if let Some(port) = cfg.get_ports().first() {
        parts.push(format!("port={port}"));
    }
    if let Some(user) = cfg.get_user() {
        parts.push(format!("user={}", quote(user)));
    }
    if let Some(db) = cfg.get_dbname() {
        parts.push(format!("dbname={}", quote(db)));
    }
    parts.push(format!("application_name={}", quote(application_name)));
    parts.join(" ")
}

/// The command that starts the agent on `env`'s database: the one place that decides what the
/// agent process is given (database, listeners off, environment).
fn command(bin: &str, env: &Env, opts: &AgentOptions) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("run")
        .args(["--sweep-interval-ms", &opts.sweep_interval_ms.to_string()])
        .args(["--requests-per-minute", "100000"])
        .args([
            "--stale-task-after-secs",
            &opts.stale_task_after_secs.to_string(),
        ])
        .args([
            "--populate-write-batch",
            &opts.populate_write_batch.to_string(),
        ])
        // Several agents run at once: no fixed ports.
        .args([
            "--qbwc-bind",
            opts.qbwc_bind.as_deref().unwrap_or("off"),
            "--metrics-bind",
            "off",
            "--web-bind",
            "off",
        ])
        .env("DATABASE_URL", conninfo(&env.database_config(), &opts.name))
        // The test's agent key, whose public half the test database has registered.
        .env("QBSYNC_SECRET_KEY_FILE", env.key_file())
        .env(
            "RUST_LOG",
            std::env::var("QBSYNC_TEST_AGENT_LOG")
                .unwrap_or_else(|_| "info,tokio_postgres=warn".into()),
        )
        .env_remove("FAILPOINTS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(spec) = &opts.failpoints {
        cmd.env("FAILPOINTS", spec);
    }
    if let Some(n) = opts.max_companies {
        cmd.args(["--max-companies", &n.to_string()]);
    }
    cmd
}

impl AgentProcess {
    /// Starts `bin` (the `qbsync-agent-faulty` binary) on `env`'s database.
    pub fn spawn(bin: &str, env: &Env, opts: AgentOptions) -> AgentProcess {
        let mut child = command(bin, env, &opts)
            .spawn()
            .expect("start qbsync-agent-faulty");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let (sink, name) = (lines.clone(), opts.name.clone());
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                // Captured by the test harness: shown when the test fails.
                eprintln!("[{name}] {line}");
                sink.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        });
        AgentProcess {
            child,
            name: opts.name,
            lines,
        }
    }

    /// Its `application_name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its `qbsync.task.locked_by` (the agent id is made of the process id).
    pub fn agent_id(&self) -> String {
        format!("qbsync-agent-{}", self.child.id().unwrap_or_default())
    }

    fn has_line(&self, needle: &str) -> bool {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|l| l.contains(needle))
    }

    /// Panics (with the end of its log) when the process has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("agent {} exited ({status}):\n{}", self.name, self.tail());
        }
    }

    fn tail(&self) -> String {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Waits (at most `within`) until the agent stops at fail point `name`.
    pub async fn wait_failpoint(&mut self, name: &str, within: Duration) {
        let needle = format!("FAILPOINT {name} reached");
        let deadline = Instant::now() + within;
        while !self.has_line(&needle) {
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "agent {} did not reach fail point {name} within {within:?}:\n{}",
                self.name,
                self.tail()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL, and wait for the process to be gone.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("SIGKILL the agent");
    }
}

/// Polls `check` every 25 ms until it returns true; panics with `what` after `within`.
pub async fn wait_until<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
