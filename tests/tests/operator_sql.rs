//! The operator's SQL: recent activity, the sync results page with link status, and retention.

use qbsync_tests::Env;

fn count(row: tokio_postgres::Row) -> i64 {
    row.get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_results_and_retention() {
    let mut env = Env::start().await;
    env.populate().await;
    let added = env.add_customer("Operator View Customer").await;
    let local: i64 = env
        .one(&format!(
            "SELECT local_id FROM qbo.customer WHERE id = '{added}'"
        ))
        .await
        .get(0);
    // A refusal, so there is an error result too.
    let dup = env
        .insert(
            "qbo.customer",
            "display_name, operation",
            "'Operator View Customer', 'add'",
        )
        .await;
    let row = env.wait_row("qbo.customer", dup).await;
    assert_eq!(row.status, "error");

    let r = env
        .one(&format!(
            "SELECT what, direction, table_name FROM qbsync.recent_activity WHERE local_id = {local} ORDER BY at DESC LIMIT 1"
        ))
        .await;
    assert_eq!(r.get::<_, String>(0), "added");
    assert_eq!(r.get::<_, String>(1), "outgoing");
    assert_eq!(r.get::<_, String>(2), "qbo.customer");

    // The results page: the refusal with its code, and link status following qb_unlink.
    let r = env
        .one(&format!(
            "SELECT outcome, details, link_status FROM qbsync.sync_results WHERE local_key = {dup} ORDER BY date DESC LIMIT 1"
        ))
        .await;
    assert_eq!(r.get::<_, String>(0), "error");
    assert!(
        r.get::<_, String>(1).contains("[6240]"),
        "{}",
        r.get::<_, String>(1)
    );
    assert_eq!(r.get::<_, String>(2), "linked");
    env.exec(&format!("SELECT qbsync.qb_unlink('qbo.customer', {local})"))
        .await;
    let status: Vec<String> = env.texts(&format!("SELECT DISTINCT link_status FROM qbsync.sync_results WHERE local_key = {local} AND entity_type = 'Customer'")).await;
    assert_eq!(status, ["unlinked"]);

    // Retention: only what is older than the window goes; running and queued tasks stay. (The
    // agent is stopped so the queued task below stays queued.)
    env.stop_agent().await;
    let before = count(env.one("SELECT count(*) FROM qbsync.sync_result").await);
    env.exec(
        "UPDATE qbsync.sync_result SET at = now() - interval '120 days' WHERE id IN (SELECT id FROM qbsync.sync_result ORDER BY id LIMIT 3); \
         UPDATE qbsync.task SET finished_at = now() - interval '120 days' WHERE id = (SELECT min(id) FROM qbsync.task WHERE status = 'done'); \
         INSERT INTO qbsync.task (company_id, kind, status, created_at) SELECT id, 'refresh', 'queued', now() - interval '200 days' FROM qbsync.company WHERE name = 'acme'",
    )
    .await;
    let queued_before = count(
        env.one("SELECT count(*) FROM qbsync.task WHERE status = 'queued'")
            .await,
    );
    let r = env.one("SELECT results_removed, tasks_removed, report_runs_removed FROM qbsync.qb_prune('90 days')").await;
    assert_eq!(r.get::<_, i64>(0), 3);
    assert_eq!(r.get::<_, i64>(1), 1);
    assert_eq!(r.get::<_, i64>(2), 0);
    assert_eq!(
        count(env.one("SELECT count(*) FROM qbsync.sync_result").await),
        before - 3
    );
    assert_eq!(
        count(
            env.one("SELECT count(*) FROM qbsync.task WHERE status = 'queued'")
                .await
        ),
        queued_before
    );
    let e = env.error_of("SELECT qbsync.qb_prune('1 minute')").await;
    assert!(e.contains("at least one hour"), "{e}");

    // What is pending: rows flagged while no agent runs, in any table, until pushed.
    let local = env
        .insert(
            "qbo.customer",
            "display_name, operation",
            "'Pending Pelican', 'add'",
        )
        .await;
    let update_id = env.active_id("qbo.vendor", "", 0).await;
    env.exec(&format!("UPDATE qbo.vendor SET operation = 'update', company_name = 'Pending Co' WHERE id = '{update_id}'"))
        .await;
    let pending: Vec<(String, String, Option<String>, String)> = env
        .db
        .query("SELECT table_name, operation, quickbooks_id, sync_status FROM qbsync.pending WHERE company = 'acme' ORDER BY table_name", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        pending,
        [
            (
                "qbo.customer".to_string(),
                "add".to_string(),
                None,
                "pending".to_string()
            ),
            (
                "qbo.vendor".to_string(),
                "update".to_string(),
                Some(update_id),
                "pending".to_string()
            ),
        ]
    );
    env.exec("DELETE FROM qbsync.task WHERE status = 'queued'")
        .await;
    env.start_agent();
    assert_eq!(env.wait_row("qbo.customer", local).await.status, "ok");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while count(env.one("SELECT count(*) FROM qbsync.pending").await) > 0 {
        assert!(std::time::Instant::now() < deadline, "rows still pending");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    env.finish().await;
}
