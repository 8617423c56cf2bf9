//! The peer: Singer's tap-quickbooks 2.5.0 (bench/peer/run_tap.py) reading the same sandbox,
//! customers, items and invoices in one run as the tap is normally used.

use anyhow::{bail, Context, Result};
use qbsync_sandbox::RunningSandbox;
use serde::Serialize;
use std::path::Path;
use tokio::process::Command;

#[derive(Debug, Clone, Serialize)]
pub struct PeerRun {
    pub records: u64,
    pub seconds: f64,
    pub rows_per_sec: f64,
    pub cpu_seconds: f64,
    pub requests: u64,
}

pub async fn run(python: &Path, sandbox: &RunningSandbox) -> Result<PeerRun> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peer/run_tap.py");
    let token = sandbox
        .admin()
        .current_refresh_token()
        .context("the sandbox's refresh token")?;
    let out = Command::new(python)
        .arg(&script)
        .args(["--base-url", &sandbox.base_url()])
        .args(["--refresh-token", &token])
        .args(["--mode", "combined", "--quiet", "--json"])
        .output()
        .await
        .with_context(|| format!("running {} {}", python.display(), script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "the peer failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .rev()
                .take(20)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let json = stdout
        .lines()
        .find_map(|l| l.strip_prefix("peer-json: "))
        .context("no peer-json line in the peer's output")?;
    let v: serde_json::Value = serde_json::from_str(json).context("the peer's JSON line")?;
    let c = &v["combined"];
    let num = |k: &str| c[k].as_f64().with_context(|| format!("peer combined.{k}"));
    let (records, seconds) = (num("records")?, num("seconds")?);
    let run = PeerRun {
        records: records as u64,
        seconds,
        rows_per_sec: records / seconds,
        cpu_seconds: num("cpu_seconds")?,
        requests: num("requests")? as u64,
    };
    eprintln!(
        "peer: tap-quickbooks read {} records in {:.2} s ({:.0}/s)",
        run.records, run.seconds, run.rows_per_sec
    );
    Ok(run)
}
