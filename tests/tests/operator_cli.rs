//! The operator commands (`status`, `sync`, `logs`) as library calls against a real database
//! with the in-process agent and the sandbox, and the Prometheus endpoint over loopback.

use qbsync_agent::cli::{self, sync};
use qbsync_agent::metrics;
use qbsync_tests::Env;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

fn options(action: sync::Action, timeout: Duration) -> sync::SyncOptions {
    sync::SyncOptions {
        company: "acme".into(),
        action,
        tables: None,
        timeout,
        poll: Duration::from_millis(20),
        progress: sync::Progress::Lines,
    }
}

/// GET `path` over loopback HTTP/1.1; returns the whole response (head and body).
async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    String::from_utf8(buf).unwrap()
}

/// The value of the sample line starting with `prefix` (name and labels), if any.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_lists_the_company_as_a_table() {
    let env = Env::start().await;
    let db = cli::connect(&env.database_config()).await.unwrap();
    let mut out = Vec::new();
    cli::status::run(&db, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("COMPANY"), "{text}");
    assert!(
        lines[0].contains("REQUESTED BY") && lines[0].contains("NEXT SYNC"),
        "{text}"
    );
    let acme = lines
        .iter()
        .find(|l| l.starts_with("acme "))
        .unwrap_or_else(|| panic!("no acme row in:\n{text}"));
    // The connect task finished: its state and flag are shown in their columns.
    assert!(acme.contains("Last sync"), "{acme}");
    assert!(acme.contains("blue"), "{acme}");
    assert_eq!(acme.find("blue"), lines[0].find("FLAG"), "aligned:\n{text}");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_populate_follows_the_task_to_done_with_progress_lines() {
    let env = Env::start().await;
    let db = cli::connect(&env.database_config()).await.unwrap();
    let mut out = Vec::new();
    let report = sync::run(
        &db,
        &options(sync::Action::Populate, Duration::from_secs(120)),
        &mut out,
        std::future::pending(),
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(report.outcome, sync::Outcome::Done, "{text}");
    assert_eq!(report.outcome.exit_code(), 0);
    let task = report.task;
    assert!(
        text.contains(&format!("task {task} queued")),
        "queued line:\n{text}"
    );
    let progress: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with(&format!("task {task} ")) && l.contains(" entities, "))
        .collect();
    assert!(progress.len() >= 2, "progress lines:\n{text}");
    let last = progress.last().unwrap();
    assert!(last.starts_with(&format!("task {task} done: ")), "{text}");
    let (done, total): (i32, i32) = {
        let r = env
            .one(&format!(
                "SELECT entities_done, entities_total FROM qbsync.task WHERE id = {task}"
            ))
            .await;
        (r.get(0), r.get(1))
    };
    assert!(total > 0);
    assert!(
        last.contains(&format!("{done}/{total} entities")),
        "{last} vs {done}/{total}"
    );
    assert!(text.contains("populate acme: done in"), "{text}");
    let customers: i64 = env.one("SELECT count(*) FROM qbo.customer").await.get(0);
    assert_eq!(customers as usize, env.qb().count("Customer"));
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_without_an_agent_times_out_and_ctrl_c_stops_the_task() {
    let mut env = Env::start().await;
    env.stop_agent().await;
    let db = cli::connect(&env.database_config()).await.unwrap();

    let mut out = Vec::new();
    let began = Instant::now();
    let report = sync::run(
        &db,
        &options(sync::Action::Populate, Duration::from_millis(300)),
        &mut out,
        std::future::pending(),
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(began.elapsed() < Duration::from_secs(10));
    assert_eq!(
        report.outcome,
        sync::Outcome::TimedOut {
            status: "queued".into()
        }
    );
    assert_ne!(report.outcome.exit_code(), 0);
    assert!(text.contains("is `qbsync-agent run` running"), "{text}");
    let status: String = env
        .one(&format!(
            "SELECT status FROM qbsync.task WHERE id = {}",
            report.task
        ))
        .await
        .get(0);
    assert_eq!(status, "queued", "a timeout leaves the task alone");
    env.exec(&format!("SELECT qbsync.qb_stop({})", report.task))
        .await;

    // Ctrl-C: qb_stop() on the task, then the command reports it stopped.
    let mut out = Vec::new();
    let report = sync::run(
        &db,
        &options(sync::Action::Populate, Duration::from_secs(30)),
        &mut out,
        tokio::time::sleep(Duration::from_millis(100)),
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        matches!(report.outcome, sync::Outcome::Stopped(_)),
        "{report:?}\n{text}"
    );
    assert_eq!(report.outcome.exit_code(), 2);
    let row = env
        .one(&format!(
            "SELECT status, stop_requested FROM qbsync.task WHERE id = {}",
            report.task
        ))
        .await;
    assert_eq!(row.get::<_, String>(0), "stopped");
    assert!(row.get::<_, bool>(1));
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_bundle_has_tasks_and_messages_and_no_secrets() {
    let mut env = Env::start().await;
    env.populate().await;
    env.stop_agent().await;
    env.exec(
        "INSERT INTO qbsync.sync_result (company_id, entity, direction, operation, outcome, code, message) \
         SELECT id, 'Customer', 'outgoing', 'add', 'error', '6240', 'Duplicate Name Exists Error (planted)' \
         FROM qbsync.company WHERE name = 'acme'",
    )
    .await;
    env.exec(
        "UPDATE qbsync.company_secret SET client_secret_sealed = qbsync._seal('PLANTED-CLIENT-SECRET'), \
             refresh_token_sealed = qbsync._seal('PLANTED-REFRESH-TOKEN'), \
             access_token_sealed = qbsync._seal('PLANTED-ACCESS-TOKEN'), refreshed_at = now(); \
         UPDATE qbsync.company SET settings = '{\"api_key\": \"PLANTED-SETTING-KEY\", \"region\": \"eu-west\"}'; \
         SELECT qbsync.qb_add_qbd_company('desk', 'planted-qbwc-user', 'PLANTED-QBWC-PASSWORD');",
    )
    .await;
    let client_id: String = env
        .one("SELECT client_id FROM qbsync.company_secret")
        .await
        .get(0);
    let hash: String = env
        .one("SELECT password_hash FROM qbsync.qbwc_credential")
        .await
        .get(0);

    let cfg = env.database_config();
    let db = cli::connect(&cfg).await.unwrap();
    let text = cli::logs::bundle(&db, &cfg, None).await.unwrap();

    for secret in [
        "PLANTED-CLIENT-SECRET",
        "PLANTED-REFRESH-TOKEN",
        "PLANTED-ACCESS-TOKEN",
        "PLANTED-SETTING-KEY",
        "PLANTED-QBWC-PASSWORD",
        "planted-qbwc-user",
        client_id.as_str(),
        hash.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret} leaked into:\n{text}");
    }
    assert!(text.contains(&format!("qbsync-agent {}", env!("CARGO_PKG_VERSION"))));
    // Presence of credentials is shown, their values are not.
    assert!(
        text.contains("| acme | refresh and access token |"),
        "{text}"
    );
    assert!(
        text.contains("| desk | set (password stored hashed) |"),
        "{text}"
    );
    assert!(text.contains("eu-west"), "{text}");
    assert!(text.contains("(redacted)"), "{text}");
    // Tasks and messages.
    let populate_task: i64 = env
        .one("SELECT max(id) FROM qbsync.task WHERE kind = 'populate'")
        .await
        .get(0);
    assert!(
        text.contains(&format!("| {populate_task} | acme | populate | done |")),
        "{text}"
    );
    assert!(
        text.contains("Duplicate Name Exists Error (planted)"),
        "{text}"
    );
    assert!(text.contains("## Recent tasks (last 50)"));
    assert!(text.contains("## Messages (last 100)"));

    // --company limits the bundle to one company.
    let only_desk = cli::logs::bundle(&db, &cfg, Some("desk")).await.unwrap();
    assert!(!only_desk.contains("Duplicate Name Exists Error (planted)"));
    assert!(!only_desk.contains("| acme |"), "{only_desk}");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_endpoint_shows_records_and_request_latency_after_a_populate() {
    let env = Env::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = watch::channel(false);
    let server = tokio::spawn(metrics::serve(listener, stop_rx));

    let before = sample(
        &metrics::render(),
        r#"qbsync_records_synced_total{company="acme",direction="incoming",entity="Customer"}"#,
    )
    .unwrap_or(0.0);
    env.populate().await;
    let response = http_get(addr, "/metrics").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("text/plain; version=0.0.4"), "{response}");
    let customers = sample(
        &response,
        r#"qbsync_records_synced_total{company="acme",direction="incoming",entity="Customer"}"#,
    )
    .unwrap_or_else(|| panic!("no Customer counter in:\n{response}"));
    assert!(
        customers - before >= env.qb().count("Customer") as f64,
        "{customers} - {before}"
    );
    let queries = sample(
        &response,
        r#"qbsync_quickbooks_request_duration_seconds_count{endpoint="query"}"#,
    )
    .expect("query latency histogram");
    assert!(queries >= 1.0);
    assert!(response.contains(
        r#"qbsync_quickbooks_request_duration_seconds_bucket{endpoint="query",le="+Inf"}"#
    ));
    assert!(
        sample(
            &response,
            r#"qbsync_quickbooks_requests_total{endpoint="query",status="2xx"}"#
        )
        .unwrap_or(0.0)
            >= 1.0
    );
    assert!(
        sample(
            &response,
            r#"qbsync_task_duration_seconds_count{kind="populate",status="done"}"#
        )
        .unwrap_or(0.0)
            >= 1.0
    );
    // The sweep (every 300 ms here) publishes the queue gauges.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = http_get(addr, "/metrics").await;
        if text.contains(r#"qbsync_queue_tasks{company="acme"} "#)
            && text.contains(r#"qbsync_queue_pending_rows{company="acme"} "#)
        {
            break;
        }
        assert!(Instant::now() < deadline, "no queue gauges in:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!response.contains("company=\"1\""), "no ids as labels");
    let _ = stop_tx.send(true);
    server.await.unwrap().unwrap();
    env.finish().await;
}
