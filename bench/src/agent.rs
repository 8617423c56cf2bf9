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
    /// Simulated seconds per real second of the agent's buckets (`--time-scale`): the
    /// sandbox's own time scale, so both count the same minutes.
    pub time_scale: f64,
    /// MAXRESULTS of the agent's populate pages (`--page-size`); None for its default (1000).
    pub page_size: Option<u32>,
    /// Records a populate asks for at once (`--populate-fetch-records`); None for the default.
    pub fetch_records: Option<u32>,
}

impl Limits {
    /// Throttling off: the sandbox enforces none either.
    pub const OFF: Limits = Limits {
        requests_per_minute: 10_000_000,
        batch_per_minute: 10_000_000,
        max_in_flight: 10,
        time_scale: 1.0,
        page_size: None,
        fetch_records: None,
    };

    /// QuickBooks Online's limits (500 requests and 40 batch calls a minute, 10 in flight),
    /// counted in minutes `time_scale` times shorter than real ones.
    pub fn quickbooks(time_scale: f64) -> Limits {
        Limits {
            requests_per_minute: 500,
            batch_per_minute: 40,
            max_in_flight: 10,
            time_scale,
            page_size: None,
            fetch_records: None,
        }
    }

    /// The agent's command-line flags for these limits.
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--requests-per-minute".to_string(),
            self.requests_per_minute.to_string(),
            "--batch-per-minute".to_string(),
            self.batch_per_minute.to_string(),
            "--max-in-flight".to_string(),
            self.max_in_flight.to_string(),
            "--time-scale".to_string(),
            self.time_scale.to_string(),
        ];
        if let Some(p) = self.page_size {
            args.extend(["--page-size".to_string(), p.to_string()]);
        }
        if let Some(r) = self.fetch_records {
            args.extend(["--populate-fetch-records".to_string(), r.to_string()]);
        }
        args
    }
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
        Self::spawn_capped(bin, db, name, limits, None)
    }

    /// The same, working at most `max_companies` companies at once (`--max-companies`; None
    /// for the agent's default).
    pub fn spawn_capped(
        bin: &Path,
        db: &BenchDb,
        name: &str,
        limits: Limits,
        max_companies: Option<usize>,
    ) -> Result<Agent> {
        let log = std::env::temp_dir().join(format!("{}-{name}.log", db.name));
        let file = std::fs::File::create(&log).context("agent log file")?;
        let cap: Vec<String> = max_companies
            .map(|n| vec!["--max-companies".to_string(), n.to_string()])
            .unwrap_or_default();
        let child = Command::new(bin)
            .arg("run")
            // The default sweep (5 s): tasks and pushes wake the agent by NOTIFY, and a faster
            // sweep would only add its queries to what PostgreSQL does during a measurement.
            .args(limits.args())
            .args(cap)
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
            // Warnings only, unless asked (QBSYNC_BENCH_AGENT_LOG=info shows each entity's pace).
            .env(
                "RUST_LOG",
                std::env::var("QBSYNC_BENCH_AGENT_LOG").unwrap_or_else(|_| "warn".into()),
            )
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

    /// CPU time the agent has used so far (user + system), in seconds.
    pub fn cpu_seconds(&self) -> Result<f64> {
        cpu_seconds(&format!("/proc/{}/stat", self.pid))
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// User + system CPU seconds of the process whose `/proc/<pid>/stat` is `path`. The counts are
/// in clock ticks, which Linux reports at USER_HZ = 100 whatever the kernel's own tick.
pub fn cpu_seconds(path: &str) -> Result<f64> {
    let stat = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("a /proc stat line")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 11 and 12 here, where the state
    // (field 3) is 0.
    let ticks = |i: usize| -> Result<f64> {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .with_context(|| format!("field {i} of {path}"))
    };
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}
