//! The real `qbsync-agent run` process against PostgreSQL (with the installed extension) and
//! the sandbox: configured by DATABASE_URL, it connects, populates, pushes a live change, and
//! stops cleanly on SIGTERM.

use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

mod common;

const COMPANY: &str = "bin";

async fn wait_for(db: &Client, sql: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if db.query_one(sql, &[]).await.unwrap().get::<_, bool>(0) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_binary_syncs_and_stops_cleanly_on_sigterm() {
    let common::BinaryEnv {
        base,
        admin,
        db,
        dbname,
        sandbox,
        key_file,
    } = common::setup(COMPANY).await;
    db.execute("SELECT qbsync.qb_populate('bin')", &[])
        .await
        .unwrap();

    let host = std::env::var("PGHOST").unwrap_or_else(|_| "/var/run/postgresql".into());
    let user = base.get_user().unwrap_or("postgres").to_string();
    let mut agent = tokio::process::Command::new(env!("CARGO_BIN_EXE_qbsync-agent"))
        .args(["run", "--sweep-interval-ms", "500"])
        .env("QBSYNC_SECRET_KEY_FILE", &key_file)
        .env(
            "DATABASE_URL",
            format!("host={host} user={user} dbname={dbname}"),
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start qbsync-agent");

    wait_for(
        &db,
        "SELECT count(*) = 2 FROM qbsync.task WHERE status = 'done'",
        "connect and populate",
    )
    .await;
    let customers: i64 = db
        .query_one("SELECT count(*) FROM qbo.customer", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(customers as usize, sandbox.admin().count("Customer"));
    db.execute(
        "INSERT INTO qbo.customer (company_id, display_name, operation) SELECT id, 'From The Binary', 'add' FROM qbsync.company",
        &[],
    )
    .await
    .unwrap();
    wait_for(&db, "SELECT id IS NOT NULL AND sync_status = 'ok' FROM qbo.customer WHERE display_name = 'From The Binary'", "live add").await;

    let pid = agent.id().expect("pid").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(20), agent.wait())
        .await
        .expect("agent stops within 20 s")
        .unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");

    sandbox.shutdown().await;
    drop(db);
    let _ = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
        .await;
    let _ = std::fs::remove_file(&key_file);
}
