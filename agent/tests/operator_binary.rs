//! The operator commands through the real binary: `run --metrics-bind` serves /metrics,
//! `sync` (stdout a pipe, so plain progress lines) exits 0 when the populate is done, and
//! `status` lists the company.

use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;

const COMPANY: &str = "opbin";

async fn http_get(addr: &str, path: &str) -> Option<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .ok()?;
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.ok()?;
    String::from_utf8(buf).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_status_and_metrics_through_the_binary() {
    let common::BinaryEnv {
        base,
        admin,
        db,
        dbname,
        sandbox,
        key_file,
    } = common::setup(COMPANY).await;

    let host = std::env::var("PGHOST").unwrap_or_else(|_| "/var/run/postgresql".into());
    let user = base.get_user().unwrap_or("postgres").to_string();
    let url = format!("host={host} user={user} dbname={dbname}");
    let metrics_addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let bin = env!("CARGO_BIN_EXE_qbsync-agent");
    let mut agent = tokio::process::Command::new(bin)
        .args([
            "run",
            "--sweep-interval-ms",
            "300",
            "--qbwc-bind",
            "off",
            "--metrics-bind",
            &metrics_addr,
        ])
        .env("DATABASE_URL", &url)
        .env("QBSYNC_SECRET_KEY_FILE", &key_file)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start qbsync-agent run");

    let sync = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(bin)
            .args(["sync", "opbin", "populate", "--timeout", "100s"])
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .output(),
    )
    .await
    .expect("sync ends")
    .unwrap();
    let stdout = String::from_utf8_lossy(&sync.stdout);
    assert!(
        sync.status.success(),
        "{:?}\n{stdout}\n{}",
        sync.status,
        String::from_utf8_lossy(&sync.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains(" done: ") && l.contains(" entities, ")),
        "{stdout}"
    );
    assert!(stdout.contains("populate opbin: done in"), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}'),
        "no terminal escapes on a pipe: {stdout:?}"
    );

    // A refresh of a table that does not exist fails: non-zero exit, the error printed.
    let bad = tokio::process::Command::new(bin)
        .args([
            "sync",
            "opbin",
            "refresh",
            "--tables",
            "no_such_table",
            "--timeout",
            "10s",
        ])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("no_such_table"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );

    let status = tokio::process::Command::new(bin)
        .arg("status")
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    assert!(status.status.success());
    let table = String::from_utf8_lossy(&status.stdout);
    assert!(table.starts_with("COMPANY"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("opbin ") && l.contains("(done)")),
        "{table}"
    );

    let metrics = http_get(&metrics_addr, "/metrics")
        .await
        .expect("the agent serves /metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(
        metrics.contains(
            r#"qbsync_records_synced_total{company="opbin",direction="incoming",entity="Customer"}"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"qbsync_quickbooks_request_duration_seconds_count{endpoint="query"}"#)
    );
    assert!(metrics.contains(r#"qbsync_quickbooks_requests_total{endpoint="token",status="2xx"}"#));

    agent.kill().await.expect("stop the agent");
    sandbox.shutdown().await;
    drop(db);
    let _ = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
        .await;
    let _ = std::fs::remove_file(&key_file);
}
