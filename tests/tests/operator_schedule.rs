//! Scheduling with the real pg_cron (preloaded and pointed at its database by scripts/setup.sh):
//! qb_schedule creates, changes and lists jobs; a job really fires and queues a task that the
//! agent runs; qbsync.status shows the next scheduled sync; removing a schedule or its company
//! removes the pg_cron job.

use qbsync_tests::{Env, Options};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qb_schedule_creates_lists_runs_and_removes_pg_cron_jobs() {
    let mut env = Env::with(Options {
        pg_cron: true,
        ..Default::default()
    })
    .await;
    env.populate().await;

    // Default: refresh every two hours.
    let row = env
        .one("SELECT kind, schedule, active, next_run_at = qbsync.cron_next('0 */2 * * *'), job_name FROM qbsync.qb_schedule('acme')")
        .await;
    assert_eq!(row.get::<_, String>(0), "refresh");
    assert_eq!(row.get::<_, String>(1), "0 */2 * * *");
    assert!(row.get::<_, bool>(2), "job active");
    assert!(row.get::<_, bool>(3), "next run is the next even hour");
    assert_eq!(row.get::<_, String>(4), "qbsync acme refresh");
    let job = env
        .one("SELECT jobid, command, schedule FROM cron.job WHERE jobname = 'qbsync acme refresh'")
        .await;
    assert_eq!(
        job.get::<_, String>(1),
        "SELECT qbsync._run_schedule('acme', 'refresh')"
    );

    // The status view says when the next scheduled sync is (UTC even hour, within two hours).
    let status = env
        .one("SELECT next_sync_at = qbsync.cron_next('0 */2 * * *'), next_sync_at > now() AND next_sync_at <= now() + interval '2 hours', \
              extract(minute FROM next_sync_at AT TIME ZONE 'UTC')::int, state FROM qbsync.status WHERE company = 'acme'")
        .await;
    assert!(status.get::<_, bool>(0) && status.get::<_, bool>(1));
    assert_eq!(status.get::<_, i32>(2), 0);
    let state: String = status.get(3);
    assert!(
        state.starts_with("Last sync ") && state.contains(", next "),
        "{state}"
    );

    // A role limited to another company does not learn when acme is scheduled.
    let role = format!("qbsync_sched_{}", std::process::id());
    env.exec(&format!(
        "CREATE ROLE {role} NOLOGIN IN ROLE qbsync_reader; \
         INSERT INTO qbsync.company (name, kind, realm_id) VALUES ('other', 'qbo', '1'); \
         SELECT qbsync.qb_limit_role('{role}', '{{other}}')"
    ))
    .await;
    let seen = env
        .one(&format!(
            "SELECT qbsync._next_scheduled(id) IS NOT NULL, qbsync._next_scheduled(id, '{role}') IS NULL \
             FROM qbsync.company WHERE name = 'acme'"
        ))
        .await;
    env.exec(&format!(
        "DELETE FROM qbsync.company WHERE name = 'other'; DROP OWNED BY {role}; DROP ROLE {role}"
    ))
    .await;
    assert!(seen.get::<_, bool>(0), "the caller sees acme's next run");
    assert!(seen.get::<_, bool>(1), "the limited role does not");

    // Calling again changes the same job instead of adding one. First, a pause: pg_cron 1.4
    // reloads its jobs after a change to cron.job, and a change that commits while that reload
    // reads the table is lost until the next change (the reload marks its cache valid at the
    // end). The unscheduling just above starts such a reload; changing the job at once made
    // pg_cron keep the old two-hour schedule in two CI runs.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let n: i64 = env
        .one("SELECT count(*) FROM qbsync.qb_schedule('acme', 'refresh', '* * * * *')")
        .await
        .get(0);
    assert_eq!(n, 1);
    let again = env
        .one("SELECT count(*), min(jobid), min(schedule) FROM cron.job WHERE jobname = 'qbsync acme refresh'")
        .await;
    assert_eq!(again.get::<_, i64>(0), 1);
    assert_eq!(again.get::<_, i64>(1), job.get::<_, i64>(0));
    assert_eq!(again.get::<_, String>(2), "* * * * *");

    // pg_cron fires it at a minute boundary: a refresh task requested by pg_cron, run by the
    // agent. Up to three boundaries are allowed.
    let deadline = Instant::now() + Duration::from_secs(190);
    let task: i64 = loop {
        let row = env
            .db
            .query_opt(
                "SELECT id FROM qbsync.task WHERE kind = 'refresh' AND requested_by = 'pg_cron (' || current_user || ')' ORDER BY id LIMIT 1",
                &[],
            )
            .await
            .expect("task query");
        if let Some(row) = row {
            break row.get(0);
        }
        assert!(
            Instant::now() < deadline,
            "pg_cron did not queue the refresh within 190 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(env.wait_task(task).await, "done");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let last: Option<String> = env
            .one("SELECT last_status FROM qbsync.qb_schedules('acme') WHERE kind = 'refresh'")
            .await
            .get(0);
        if last.as_deref() == Some("succeeded") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "job run not recorded as succeeded: {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // A job does not queue a second task of a kind still queued (a slow refresh cannot pile up).
    env.stop_agent().await;
    let first: i64 = env
        .one("SELECT qbsync._run_schedule('acme', 'refresh')")
        .await
        .get(0);
    let second: i64 = env
        .one("SELECT qbsync._run_schedule('acme', 'refresh')")
        .await
        .get(0);
    assert_eq!(first, second);
    env.exec("SELECT qbsync.qb_unschedule('acme', 'refresh')")
        .await;
    env.start_agent();
    assert_eq!(env.wait_task(first).await, "done");

    // Refusals name the reason.
    let bad = env
        .error_of("SELECT * FROM qbsync.qb_schedule('acme', 'refresh', 'every hour')")
        .await;
    assert!(
        bad.contains("\"every hour\" is not a cron schedule") && bad.contains("minute hour"),
        "{bad}"
    );
    let kind = env
        .error_of("SELECT * FROM qbsync.qb_schedule('acme', 'report', '0 * * * *')")
        .await;
    assert!(kind.contains("cannot schedule \"report\""), "{kind}");
    let company = env
        .error_of("SELECT * FROM qbsync.qb_schedule('nobody')")
        .await;
    assert!(company.contains("nobody"), "{company}");
    let table = env
        .error_of("SELECT * FROM qbsync.qb_schedule('acme', 'refresh', '0 * * * *', ARRAY['qbo.no_such_table'])")
        .await;
    assert!(table.contains("no_such_table"), "{table}");

    // Unschedule removes the pg_cron job; the status has no next sync any more.
    let none: i64 = env.one("SELECT count(*) FROM cron.job").await.get(0);
    assert_eq!(none, 0, "qb_unschedule removed the job");
    assert!(!env
        .one("SELECT qbsync.qb_unschedule('acme', 'refresh')")
        .await
        .get::<_, bool>(0));
    let next: Option<chrono::DateTime<chrono::Utc>> = env
        .one("SELECT next_sync_at FROM qbsync.status WHERE company = 'acme'")
        .await
        .get(0);
    assert_eq!(next, None);

    // Two kinds at once; the earliest is the next sync. Deleting the company removes its jobs.
    env.exec("SELECT count(*) FROM qbsync.qb_schedule('acme', 'update', '*/5 * * * *')")
        .await;
    env.exec("SELECT count(*) FROM qbsync.qb_schedule('acme', 'populate', '0 3 * * 0')")
        .await;
    let listed: i64 = env
        .one("SELECT count(*) FROM qbsync.qb_schedules()")
        .await
        .get(0);
    assert_eq!(listed, 2);
    let earliest: bool = env
        .one("SELECT next_sync_at = qbsync.cron_next('*/5 * * * *') FROM qbsync.status WHERE company = 'acme'")
        .await
        .get(0);
    assert!(earliest);
    env.stop_agent().await;
    env.exec("DELETE FROM qbsync.company WHERE name = 'acme'")
        .await;
    let left: i64 = env.one("SELECT count(*) FROM cron.job").await.get(0);
    assert_eq!(left, 0, "a deleted company's jobs are unscheduled");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qb_schedule_outside_pg_crons_database_says_where_it_must_run() {
    let env = Env::start().await;
    let err = env
        .error_of("SELECT * FROM qbsync.qb_schedule('acme')")
        .await;
    assert!(
        err.contains("pg_cron is not installed in database"),
        "{err}"
    );
    assert!(
        err.contains("cron.database_name") && err.contains("qbsync"),
        "{err}"
    );
    let listed: i64 = env
        .one("SELECT count(*) FROM qbsync.qb_schedules()")
        .await
        .get(0);
    assert_eq!(listed, 0);
    let next: Option<chrono::DateTime<chrono::Utc>> = env
        .one("SELECT next_sync_at FROM qbsync.status WHERE company = 'acme'")
        .await
        .get(0);
    assert_eq!(next, None);
    env.finish().await;
}
