//! The agent under test: the release binary as its own process, so that its memory is its own
//! (peak resident set from /proc) and nothing of the benchmark runs inside it.

use crate::setup::BenchDb;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::process::{Child, Command};
use tokio_postgres::config::Host;

/// QuickBooks limits the agent enforces on itself (per realm).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub requests_per_minute: u32,
    pub batch_per_minute: u32,
    pub max_in_flight: usize,
}

impl Limits {
    /// Throttling off: the sandbox enforces none either.
    pub const OFF: Limits = Limits {
        requests_per_minute: 10_000_000,
        batch_per_minute: 10_000_000,
        max_in_flight: 10,
    };
}

pub struct Agent {
    child: Child,
    pid: u32,
    pub log: PathBuf,
}

/// libpq conninfo for `db` naming the agent `name` (pg_stat_activity.application_name).
fn conninfo(db: &BenchDb, name: &str) -> String {
    let mut parts = Vec::new();
    match db.cfg.get_hosts().first() {
        Some(Host::Tcp(h)) => parts.push(format!("host='{h}'")),
        Some(Host::Unix(p)) => parts.push(format!("host='{}'", p.display())),
        None => {}
    }
    if let Some(port) = db.cfg.get_ports().first() {
        parts.push(format!("port={port}"));
    }
    if let Some(user) = db.cfg.get_user() {
        parts.push(format!("user='{user}'"));
    }
    parts.push(format!("dbname='{}'", db.name));
    parts.push(format!("application_name='{name}'"));
    parts.join(" ")
}

impl Agent {
    /// Starts `bin run` on `db`; its log goes to `<tmp>/<db>-<name>.log`.
    pub fn spawn(bin: &Path, db: &BenchDb, name: &str, limits: Limits) -> Result<Agent> {
        let log = std::env::temp_dir().join(format!("{}-{name}.log", db.name));
        let file = std::fs::File::create(&log).context("agent log file")?;
        let child = Command::new(bin)
            .arg("run")
            .args(["--sweep-interval-ms", "200"])
            .args([
                "--requests-per-minute",
                &limits.requests_per_minute.to_string(),
            ])
            .args(["--batch-per-minute", &limits.batch_per_minute.to_string()])
            .args(["--max-in-flight", &limits.max_in_flight.to_string()])
            .args([
                "--qbwc-bind",
                "off",
                "--metrics-bind",
                "off",
                "--web-bind",
                "off",
            ])
            .env("DATABASE_URL", conninfo(db, name))
            .env("QBSYNC_SECRET_KEY_FILE", &db.key_file)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(file))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "starting {} (build it: cargo build --release -p qbsync-agent)",
                    bin.display()
                )
            })?;
        let pid = child.id().context("agent process id")?;
        Ok(Agent {
            child,
            pid,
            log: log.clone(),
        })
    }

    /// Peak resident set size so far, in MiB (VmHWM).
    pub fn peak_rss_mib(&self) -> Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .context("reading the agent's /proc status")?;
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .context("VmHWM in /proc status")?;
        Ok(kb / 1024.0)
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
