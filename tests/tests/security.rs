//! Security: the qbsync roles (reader, writer, admin) through real login connections, row-level
//! security limiting a role to its companies, secrets sealed at rest to the agent's key, the
//! agent refusing a key that is not the registered one, SECURITY DEFINER functions with a fixed
//! search_path, and planted secrets that must never reach the agent's log, the web page,
//! /metrics or the troubleshooting bundle.
//!
//! Login roles are cluster-wide and tests run in parallel: each test makes its own, with a unique
//! name and a password, connects over TCP on loopback (pg_hba allows scram-sha-256 there; the
//! Unix socket is peer-only) and drops them at the end.

use qbsync_agent::database_config;
use qbsync_agent::qbwc::{self, qwc::QwcSettings};
use qbsync_sandbox::qbd::{QbdCompany, QbdConfig};
use qbsync_sandbox::qbwc::{SessionEnd, WebConnector, WebConnectorConfig};
use qbsync_sandbox::{SandboxConfig, SeedSize};
use qbsync_tests::{Env, Options};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio_postgres::{Client, NoTls};

const AGENT: &str = env!("CARGO_BIN_EXE_qbsync-agent-faulty");
const PASSWORD: &str = "role-pass-1";
static ROLES: AtomicUsize = AtomicUsize::new(0);

/// Login roles this test made; dropped by [`Roles::drop_all`].
struct Roles {
    admin: Client,
    names: Vec<String>,
}

impl Roles {
    async fn new() -> Roles {
        let mut base = database_config(std::env::var("DATABASE_URL").ok().as_deref()).unwrap();
        base.dbname("postgres");
        let (admin, conn) = base.connect(NoTls).await.expect("PostgreSQL");
        tokio::spawn(conn);
        Roles {
            admin,
            names: Vec::new(),
        }
    }

    /// A new login role that is a member of `group` (e.g. qbsync_reader), connected to `env`'s
    /// database over TCP with its own password.
    async fn login(&mut self, env: &Env, group: &str) -> (String, Client) {
        let name = format!(
            "qbsync_sec_{}_{}",
            std::process::id(),
            ROLES.fetch_add(1, Ordering::SeqCst)
        );
        self.admin
            .batch_execute(&format!(
                "CREATE ROLE {name} LOGIN PASSWORD '{PASSWORD}' IN ROLE {group}"
            ))
            .await
            .unwrap();
        self.names.push(name.clone());
        let mut cfg = env.database_config();
        cfg.host("127.0.0.1").user(&name).password(PASSWORD);
        let (client, conn) = cfg
            .connect(NoTls)
            .await
            .unwrap_or_else(|e| panic!("log in as {name} over TCP: {e}"));
        tokio::spawn(conn);
        (name, client)
    }

    async fn drop_all(self) {
        for name in &self.names {
            let _ = self
                .admin
                .batch_execute(&format!("DROP ROLE IF EXISTS {name}"))
                .await;
        }
    }
}

/// The error message (and hint) `sql` fails with, run by `db`.
async fn refused(db: &Client, sql: &str) -> String {
    match db.batch_execute(sql).await {
        Ok(()) => panic!("expected {sql} to be refused"),
        Err(e) => {
            let d = e.as_db_error().expect("a database error");
            format!("{} HINT: {}", d.message(), d.hint().unwrap_or(""))
        }
    }
}

async fn count(db: &Client, sql: &str) -> i64 {
    db.query_one(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        .get(0)
}

/// A second company, "beta", on the same sandbox, connected and populated.
async fn add_beta(env: &Env) -> i64 {
    let d = SandboxConfig::default();
    let (task, status) = env
        .run_task(&format!(
            "SELECT qbsync.qb_add_company('beta', '{}', '{}', '{}', '{}', api_base => '{}', token_url => '{}')",
            env.sandbox.realm_id(),
            d.client_id,
            d.client_secret,
            env.qb().current_refresh_token().unwrap_or(d.refresh_token),
            env.sandbox.api_base(),
            env.sandbox.token_url()
        ))
        .await;
    assert_eq!(status, "done", "connect beta (task {task})");
    let (_, status) = env.run_task("SELECT qbsync.qb_populate('beta')").await;
    assert_eq!(status, "done");
    env.one("SELECT id FROM qbsync.company WHERE name = 'beta'")
        .await
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_reads_mirror_rows_but_changes_nothing_and_sees_no_secrets() {
    let env = Env::start().await;
    env.populate().await;
    let mut roles = Roles::new().await;
    let (_, reader) = roles.login(&env, "qbsync_reader").await;

    assert!(count(&reader, "SELECT count(*) FROM qbo.customer").await > 0);
    assert!(count(&reader, "SELECT count(*) FROM qbo.invoice_line").await > 0);
    assert_eq!(
        count(&reader, "SELECT count(*) FROM qbsync.status").await,
        1
    );
    assert!(count(&reader, "SELECT count(*) FROM qbsync.entity").await > 0);
    assert!(count(&reader, "SELECT count(*) FROM qbsync.sync_results").await > 0);

    let e = refused(&reader, "UPDATE qbo.customer SET operation = 'update'").await;
    assert!(e.contains("permission denied for table customer"), "{e}");
    for secret in ["company_secret", "qbwc_credential", "agent_key"] {
        let e = refused(&reader, &format!("SELECT * FROM qbsync.{secret}")).await;
        assert!(e.contains("permission denied"), "{secret}: {e}");
    }
    let e = refused(
        &reader,
        "SELECT qbsync.qb_add_company('x', '1', 'c', 's', 'r')",
    )
    .await;
    assert!(
        e.contains("permission denied for function qb_add_company"),
        "{e}"
    );
    let e = refused(&reader, "SELECT qbsync.qb_populate('acme')").await;
    assert!(
        e.contains("permission denied for function qb_populate"),
        "{e}"
    );

    drop(reader);
    env.finish().await;
    roles.drop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writer_sets_operation_and_the_agent_pushes_but_cannot_add_companies() {
    let env = Env::start().await;
    env.populate().await;
    let mut roles = Roles::new().await;
    let (name, writer) = roles.login(&env, "qbsync_writer").await;

    // An update of an existing customer, and a new one, both pushed by the agent.
    let local: i64 = count(
        &writer,
        "SELECT min(local_id) FROM qbo.customer WHERE active",
    )
    .await;
    writer
        .batch_execute(&format!(
            "UPDATE qbo.customer SET email = 'writer@example.test', operation = 'update' WHERE local_id = {local}"
        ))
        .await
        .unwrap();
    let row = env.wait_row("qbo.customer", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let id = row.id.expect("QuickBooks Id");
    assert_eq!(
        env.qb().read("Customer", &id).expect("in QuickBooks")["PrimaryEmailAddr"]["Address"],
        "writer@example.test"
    );
    let added: i64 = writer
        .query_one(
            "INSERT INTO qbo.customer (company_id, display_name, operation) \
             SELECT id, 'Added By A Writer', 'add' FROM qbsync.company WHERE name = 'acme' RETURNING local_id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let row = env.wait_row("qbo.customer", added).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert!(row.id.is_some());

    // Queuing work is a writer's; the task records who asked.
    let task: i64 = writer
        .query_one("SELECT qbsync.qb_refresh('acme', '{customer}')", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(env.wait_task(task).await, "done");
    assert_eq!(
        env.text(&format!(
            "SELECT requested_by FROM qbsync.task WHERE id = {task}"
        ))
        .await,
        name
    );

    for secret in ["company_secret", "qbwc_credential", "agent_key"] {
        let e = refused(&writer, &format!("SELECT * FROM qbsync.{secret}")).await;
        assert!(e.contains("permission denied"), "{secret}: {e}");
    }
    let e = refused(
        &writer,
        "SELECT qbsync.qb_add_company('x', '1', 'c', 's', 'r')",
    )
    .await;
    assert!(
        e.contains("permission denied for function qb_add_company"),
        "{e}"
    );
    let e = refused(
        &writer,
        "SELECT qbsync.qb_enable_table('acme', 'customer', false)",
    )
    .await;
    assert!(e.contains("permission denied"), "{e}");
    let e = refused(&writer, "UPDATE qbsync.company SET settings = '{}'").await;
    assert!(e.contains("permission denied"), "{e}");
    let e = refused(
        &writer,
        "SELECT qbsync.qb_set_refresh_token('acme', 'stolen-consent')",
    )
    .await;
    assert!(e.contains("permission denied"), "{e}");

    // The agent's marker setting does not let a writer past the mirror trigger: the row is
    // still checked (void of a name-list row is refused) and nothing is queued unchecked.
    let e = refused(
        &writer,
        &format!("SET qbsync.agent = 'on'; UPDATE qbo.customer SET operation = 'void' WHERE local_id = {local}"),
    )
    .await;
    assert!(e.contains(&format!("local_id={local}")), "{e}");
    writer.batch_execute("RESET qbsync.agent").await.unwrap();
    assert_eq!(
        count(
            &env.db,
            &format!("SELECT count(*) FROM qbo.customer WHERE local_id = {local} AND operation IS NOT NULL")
        )
        .await,
        0
    );

    drop(writer);
    env.finish().await;
    roles.drop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_adds_companies_and_schedules_but_reads_no_secrets() {
    let env = Env::with(Options {
        pg_cron: true,
        ..Default::default()
    })
    .await;
    let mut roles = Roles::new().await;
    let (_, admin) = roles.login(&env, "qbsync_admin").await;
    let (_, reader) = roles.login(&env, "qbsync_reader").await;

    let d = SandboxConfig::default();
    let task: i64 = admin
        .query_one(
            "SELECT qbsync.qb_add_company('beta', $1, $2, $3, $4, api_base => $5, token_url => $6)",
            &[
                &env.sandbox.realm_id(),
                &d.client_id,
                &d.client_secret,
                &env.qb().current_refresh_token().unwrap_or(d.refresh_token),
                &env.sandbox.api_base(),
                &env.sandbox.token_url(),
            ],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        env.wait_task(task).await,
        "done",
        "the agent opened beta's sealed secrets"
    );
    admin
        .batch_execute(
            "SELECT qbsync.qb_enable_table('beta', 'customer', direction => 'incoming'); \
             SELECT qbsync.qb_add_qbd_company('shop', 'qbwc-shop', 'long enough password'); \
             SELECT qbsync.qb_set_qbwc_password('shop', 'another long password'); \
             UPDATE qbsync.company SET settings = '{\"region\": \"eu\"}' WHERE name = 'beta'",
        )
        .await
        .unwrap();

    // Storing a re-consented refresh token is the admin's, sealed by the function (the admin
    // cannot read company_secret); wrong calls say why.
    let before: i64 = count(
        &env.db,
        "SELECT count(*) FROM qbsync.task WHERE kind = 'connect'",
    )
    .await;
    let connect: i64 = admin
        .query_one(
            "SELECT qbsync.qb_set_refresh_token('beta', $1)",
            &[&env.qb().current_refresh_token().unwrap_or_default()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(env.wait_task(connect).await, "done");
    assert_eq!(
        count(
            &env.db,
            "SELECT count(*) FROM qbsync.task WHERE kind = 'connect'"
        )
        .await,
        before + 1
    );
    for (sql, expected) in [
        (
            "SELECT qbsync.qb_set_refresh_token('nobody', 'x')",
            "company \"nobody\" does not exist",
        ),
        (
            "SELECT qbsync.qb_set_refresh_token('beta', '  ')",
            "an empty refresh token for company \"beta\"",
        ),
        (
            "SELECT qbsync.qb_set_refresh_token('shop', 'x')",
            "is a QuickBooks Desktop company",
        ),
    ] {
        let e = refused(&admin, sql).await;
        assert!(e.contains(expected), "{sql}: {e}");
    }

    // Scheduling goes through pg_cron, which the admin cannot reach itself.
    let job = admin
        .query_one(
            "SELECT kind, schedule, active FROM qbsync.qb_schedule('beta', 'refresh', '0 3 * * *')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(job.get::<_, String>(1), "0 3 * * *");
    assert_eq!(job.get::<_, Option<bool>>(2), Some(true));
    let next: Option<chrono::DateTime<chrono::Utc>> = reader
        .query_one(
            "SELECT next_sync_at FROM qbsync.status WHERE company = 'beta'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(next.is_some(), "a reader sees the next scheduled sync");
    assert_eq!(
        count(&reader, "SELECT count(*) FROM qbsync.qb_schedules()").await,
        1
    );
    let e = refused(&reader, "SELECT qbsync.qb_schedule('beta')").await;
    assert!(e.contains("permission denied"), "{e}");
    assert!(admin
        .query_one("SELECT qbsync.qb_unschedule('beta', 'refresh')", &[])
        .await
        .unwrap()
        .get::<_, bool>(0));

    for secret in ["company_secret", "qbwc_credential"] {
        let e = refused(&admin, &format!("SELECT * FROM qbsync.{secret}")).await;
        assert!(e.contains("permission denied"), "{secret}: {e}");
    }

    drop((admin, reader));
    env.finish().await;
    roles.drop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_level_security_limits_a_role_to_its_companies() {
    let env = Env::start().await;
    env.populate().await;
    let beta = add_beta(&env).await;
    env.exec("SELECT qbsync.qb_report('beta', 'ProfitAndLoss'); SELECT qbsync.qb_report('acme', 'ProfitAndLoss')")
        .await;
    let mut roles = Roles::new().await;
    let (reader_name, reader) = roles.login(&env, "qbsync_reader").await;
    let (writer_name, writer) = roles.login(&env, "qbsync_writer").await;
    let (_, admin) = roles.login(&env, "qbsync_admin").await;
    let beta_rows = |table: &str| format!("SELECT count(*) FROM {table} WHERE company_id = {beta}");

    // Unlimited, a reader sees both companies.
    assert_eq!(
        count(&reader, "SELECT count(*) FROM qbsync.company").await,
        2
    );
    assert!(count(&reader, &beta_rows("qbo.customer")).await > 0);

    let limited: Vec<i64> = admin
        .query_one(
            &format!("SELECT qbsync.qb_limit_role('{reader_name}', '{{acme}}')"),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(limited, vec![env.company_id]);
    admin
        .batch_execute(&format!(
            "SELECT qbsync.qb_limit_role('{writer_name}', '{{acme}}')"
        ))
        .await
        .unwrap();
    // Wait for the reports so that their rows exist before they are counted.
    for task in env
        .db
        .query("SELECT id FROM qbsync.task WHERE kind = 'report'", &[])
        .await
        .unwrap()
    {
        assert_eq!(env.wait_task(task.get(0)).await, "done");
    }
    let beta_runs = format!("(SELECT id FROM qbsync.report_run WHERE company_id = {beta})");
    let beta_report_rows: i64 = count(
        &env.db,
        &format!("SELECT count(*) FROM qbsync.report_row WHERE run_id IN {beta_runs}"),
    )
    .await;
    assert!(beta_report_rows > 0);
    let beta_run_ids: Vec<i64> = env
        .db
        .query(beta_runs.trim_matches(|c| c == '(' || c == ')'), &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();

    for table in [
        "qbo.customer",
        "qbo.invoice",
        "qbo.invoice_line",
        "qbsync.sync_result",
        "qbsync.task",
        "qbsync.history",
        "qbsync.sync_table",
        "qbsync.report_run",
    ] {
        assert_eq!(
            count(&reader, &beta_rows(table)).await,
            0,
            "{table} of beta is hidden"
        );
        assert!(
            count(
                &reader,
                &format!(
                    "SELECT count(*) FROM {table} WHERE company_id = {}",
                    env.company_id
                )
            )
            .await
                > 0,
            "{table} of acme is visible"
        );
    }
    for (table, expected_acme) in [("qbsync.report_row", true), ("qbsync.report_column", true)] {
        let hidden: i64 = reader
            .query_one(
                &format!("SELECT count(*) FROM {table} WHERE run_id = ANY ($1)"),
                &[&beta_run_ids],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(hidden, 0, "{table} of beta's runs is hidden");
        assert_eq!(
            count(&reader, &format!("SELECT count(*) FROM {table}")).await > 0,
            expected_acme
        );
    }
    assert_eq!(
        count(&reader, "SELECT count(*) FROM qbsync.company").await,
        1
    );
    assert_eq!(
        count(
            &reader,
            "SELECT count(*) FROM qbsync.status WHERE company = 'beta'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &reader,
            "SELECT count(*) FROM qbsync.sync_results WHERE company = 'beta'"
        )
        .await,
        0
    );

    // The limited writer can neither change nor queue work for beta.
    let updated = writer
        .execute(
            &format!("UPDATE qbo.customer SET operation = 'refresh' WHERE company_id = {beta}"),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(updated, 0);
    let e = refused(
        &writer,
        &format!("INSERT INTO qbo.customer (company_id, display_name) VALUES ({beta}, 'Sneaky')"),
    )
    .await;
    assert!(e.contains("row-level security"), "{e}");
    let e = refused(&writer, "SELECT qbsync.qb_refresh('beta')").await;
    assert!(e.contains("company \"beta\" does not exist"), "{e}");
    assert_eq!(
        count(&env.db, &format!("SELECT count(*) FROM qbo.customer WHERE company_id = {beta} AND operation IS NOT NULL")).await,
        0
    );
    // ... while acme's rows are still its to push.
    assert_eq!(
        writer
            .execute(
                &format!("UPDATE qbo.customer SET operation = 'refresh' WHERE local_id = (SELECT min(local_id) FROM qbo.customer WHERE company_id = {})", env.company_id),
                &[],
            )
            .await
            .unwrap(),
        1
    );

    // Nor can the limited roles learn which companies another role sees (beta's schedule
    // likewise: tests/tests/operator_schedule.rs, where pg_cron is).
    for (who, db) in [("reader", &reader), ("writer", &writer)] {
        let other: Vec<i64> = db
            .query_one("SELECT qbsync._visible_companies('qbsync_admin')", &[])
            .await
            .unwrap()
            .get(0);
        assert!(
            other.is_empty(),
            "{who} asked about qbsync_admin: {other:?}"
        );
        let own: Vec<i64> = db
            .query_one("SELECT qbsync._visible_companies()", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(own, vec![env.company_id], "{who}");
    }

    // Lifting the limit shows everything again.
    admin
        .batch_execute(&format!(
            "SELECT qbsync.qb_limit_role('{reader_name}', NULL)"
        ))
        .await
        .unwrap();
    assert!(count(&reader, &beta_rows("qbo.customer")).await > 0);

    drop((reader, writer, admin));
    env.finish().await;
    roles.drop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_stored_sealed_to_the_agent_key() {
    let sandbox = SandboxConfig {
        client_secret: "PLANTED-CLIENT-SECRET-7f3a".into(),
        refresh_token: "PLANTED-REFRESH-TOKEN-91c2".into(),
        seed: SeedSize::small(),
        ..Default::default()
    };
    let env = Env::with_sandbox(sandbox).await;
    env.populate().await;
    env.exec("SELECT qbsync.qb_add_qbd_company('shop', 'qbwc-shop', 'PLANTED-QBWC-PASSWORD-5d')")
        .await;

    // The stored bytes, every column of every row, hold none of the secrets.
    let rows = env
        .db
        .query("SELECT s::text, client_secret_sealed, refresh_token_sealed, access_token_sealed FROM qbsync.company_secret s", &[])
        .await
        .unwrap();
    let access = env
        .open_secret("SELECT access_token_sealed FROM qbsync.company_secret")
        .await;
    for row in &rows {
        let text: String = row.get(0);
        let mut bytes = text.into_bytes();
        for col in 1..=3 {
            bytes.extend(row.get::<_, Option<Vec<u8>>>(col).unwrap_or_default());
        }
        for secret in [
            "PLANTED-CLIENT-SECRET-7f3a",
            "PLANTED-REFRESH-TOKEN-91c2",
            access.as_str(),
        ] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} stored in the clear"
            );
        }
    }
    assert_eq!(
        env.open_secret("SELECT client_secret_sealed FROM qbsync.company_secret")
            .await,
        "PLANTED-CLIENT-SECRET-7f3a"
    );
    let hash = env
        .text("SELECT password_hash FROM qbsync.qbwc_credential")
        .await;
    assert!(hash.starts_with("$2"), "bcrypt: {hash}");
    assert!(!hash.contains("PLANTED-QBWC-PASSWORD-5d"));

    // Replacing the key would strand the sealed secrets: refused, pointing at rekey.
    let other = qbsync_secret::generate().public_key().to_base64();
    let e = env
        .error_of(&format!("SELECT qbsync.qb_set_agent_key('{other}')"))
        .await;
    assert!(
        e.contains("would make them unreadable") && e.contains("qbsync-agent rekey"),
        "{e}"
    );
    // Without a key, nothing can be stored, and the error says how to make one.
    env.exec("DELETE FROM qbsync.agent_key").await;
    let e = env
        .error_of("SELECT qbsync.qb_add_company('x', '1', 'c', 's', 'r')")
        .await;
    assert!(
        e.contains("no agent key is registered") && e.contains("qbsync-agent keygen"),
        "{e}"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rekey_reseals_every_secret_to_the_new_key() {
    let mut env = Env::start().await;
    env.stop_agent().await;
    let before = env
        .open_secret("SELECT refresh_token_sealed FROM qbsync.company_secret")
        .await;
    let dir = std::env::temp_dir().join(format!(
        "qbsync-rekey-{}-{}",
        std::process::id(),
        env.company_id
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let new_file = dir.join("new.key");
    let keygen = tokio::process::Command::new(AGENT)
        .args(["keygen", "--output"])
        .arg(&new_file)
        .output()
        .await
        .unwrap();
    assert!(keygen.status.success(), "{keygen:?}");
    let printed = String::from_utf8_lossy(&keygen.stdout).to_string();
    let new = qbsync_secret::read_secret_key(&new_file).unwrap();
    assert!(
        printed.contains(&format!(
            "SELECT qbsync.qb_set_agent_key('{}');",
            new.public_key().to_base64()
        )),
        "{printed}"
    );
    // keygen never overwrites a key.
    let again = tokio::process::Command::new(AGENT)
        .args(["keygen", "--output"])
        .arg(&new_file)
        .output()
        .await
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("refusing to overwrite"));

    let rekey = tokio::process::Command::new(AGENT)
        .args(["rekey", "--old-key-file"])
        .arg(env.key_file())
        .arg("--new-key-file")
        .arg(&new_file)
        .env("DATABASE_URL", conninfo(&env))
        .output()
        .await
        .unwrap();
    assert!(
        rekey.status.success(),
        "{}",
        String::from_utf8_lossy(&rekey.stderr)
    );
    let sealed: Vec<u8> = env
        .one("SELECT refresh_token_sealed FROM qbsync.company_secret")
        .await
        .get(0);
    assert_eq!(qbsync_secret::open(&new, &sealed).unwrap(), before);
    assert!(qbsync_secret::open(env.secret_key(), &sealed).is_err());
    assert_eq!(
        env.text("SELECT fingerprint FROM qbsync.agent_key").await,
        new.public_key().fingerprint()
    );
    let _ = std::fs::remove_dir_all(&dir);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_definer_functions_have_a_fixed_search_path() {
    let env = Env::with(Options {
        start_agent: false,
        ..Default::default()
    })
    .await;
    let rows = env
        .db
        .query(
            "SELECT p.proname::text, coalesce(array_to_string(p.proconfig, ';'), '') FROM pg_proc p \
             JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e' \
             JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'qbsync' \
             WHERE p.prosecdef ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    for expected in [
        "qb_add_company",
        "qb_add_qbd_company",
        "qb_set_qbwc_password",
        "qb_schedule",
        "_visible_companies",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    for row in &rows {
        let (name, config): (String, String) = (row.get(0), row.get(1));
        assert!(
            config.contains("search_path=pg_catalog, qbsync, pg_temp"),
            "{name} has no fixed search_path: {config:?}"
        );
    }
    env.finish().await;
}

/// libpq conninfo of `env`'s database for an agent process.
fn conninfo(env: &Env) -> String {
    let cfg = env.database_config();
    let host = match cfg.get_hosts().first() {
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        None => "/var/run/postgresql".into(),
    };
    let mut s = format!(
        "host={host} user={} dbname={}",
        cfg.get_user().unwrap_or("postgres"),
        cfg.get_dbname().unwrap_or("postgres")
    );
    if let Some(port) = cfg.get_ports().first() {
        s.push_str(&format!(" port={port}"));
    }
    s
}

fn free_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

/// `qbsync-agent run` on `env`'s database with `key_file`, its stderr collected.
fn spawn_agent(
    env: &Env,
    key_file: &std::path::Path,
    binds: [&str; 3],
) -> (tokio::process::Child, Arc<Mutex<String>>) {
    let mut child = tokio::process::Command::new(AGENT)
        .args([
            "run",
            "--sweep-interval-ms",
            "300",
            "--requests-per-minute",
            "100000",
        ])
        .args([
            "--qbwc-bind",
            binds[0],
            "--metrics-bind",
            binds[1],
            "--web-bind",
            binds[2],
        ])
        .env("DATABASE_URL", conninfo(env))
        .env("QBSYNC_SECRET_KEY_FILE", key_file)
        .env("RUST_LOG", "debug")
        .env_remove("FAILPOINTS")
        .env_remove("QBSYNC_WEB_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the agent");
    let log = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("piped stderr");
    let sink = log.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
            s.push_str(&line);
            s.push('\n');
        }
    });
    (child, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_refuses_a_key_that_is_not_the_registered_one() {
    let env = Env::with(Options {
        start_agent: false,
        ..Default::default()
    })
    .await;
    let wrong = qbsync_secret::generate();
    let file = std::env::temp_dir().join(format!(
        "qbsync-wrong-{}-{}.key",
        std::process::id(),
        env.company_id
    ));
    let _ = std::fs::remove_file(&file);
    qbsync_secret::write_new_secret_key(&file, &wrong).unwrap();
    let (mut child, log) = spawn_agent(&env, &file, ["off", "off", "off"]);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the agent stops at once")
        .unwrap();
    assert!(!status.success());
    // Let the reader drain the last lines.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let text = log.lock().unwrap().clone();
    assert!(text.contains(&wrong.public_key().fingerprint()), "{text}");
    assert!(
        text.contains(&env.secret_key().public_key().fingerprint()),
        "{text}"
    );
    assert!(
        text.contains("does not belong to the agent key registered"),
        "{text}"
    );
    assert_eq!(
        count(
            &env.db,
            "SELECT count(*) FROM qbsync.task WHERE status <> 'queued'"
        )
        .await,
        0,
        "no work was done"
    );
    let _ = std::fs::remove_file(&file);
    env.finish().await;
}

async fn http_get(addr: &str, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf).into_owned()
}

async fn wait_listening(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {addr}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_never_reach_the_log_page_metrics_or_bundle() {
    const CLIENT_SECRET: &str = "PLANTED-CLIENT-SECRET-e41b";
    const REFRESH_TOKEN: &str = "PLANTED-REFRESH-TOKEN-0c77";
    const QBWC_PASSWORD: &str = "PLANTED-QBWC-PASSWORD-a9";
    const WRONG_PASSWORD: &str = "PLANTED-WRONG-PASSWORD-3e";
    let env = Env::with(Options {
        sandbox: SandboxConfig {
            client_secret: CLIENT_SECRET.into(),
            refresh_token: REFRESH_TOKEN.into(),
            // Every token refresh rotates the refresh token too.
            rotate_refresh_every_secs: 0,
            seed: SeedSize::small(),
            ..Default::default()
        },
        start_agent: false,
        ..Default::default()
    })
    .await;
    env.exec(&format!(
        "SELECT qbsync.qb_add_qbd_company('shop', 'qbwc-shop', '{QBWC_PASSWORD}')"
    ))
    .await;
    let (qbwc_addr, metrics_addr, web_addr) = (free_port(), free_port(), free_port());
    let (mut child, log) =
        spawn_agent(&env, env.key_file(), [&qbwc_addr, &metrics_addr, &web_addr]);

    // Through a connect, a populate, a push and a token refresh after expiry.
    let connect: i64 = count(
        &env.db,
        "SELECT min(id) FROM qbsync.task WHERE kind = 'connect'",
    )
    .await;
    assert_eq!(env.wait_task(connect).await, "done");
    env.populate().await;
    env.add_customer("Log Watcher Ltd").await;
    env.qb().advance_clock(3700);
    let (_, status) = env.run_task("SELECT qbsync.qb_refresh('acme')").await;
    assert_eq!(status, "done");
    let access = env
        .open_secret("SELECT access_token_sealed FROM qbsync.company_secret")
        .await;
    let rotated = env
        .open_secret("SELECT refresh_token_sealed FROM qbsync.company_secret")
        .await;
    assert_ne!(rotated, REFRESH_TOKEN, "the refresh token was rotated");

    // A Web Connector session with a wrong password, then the right one, against the agent.
    wait_listening(&qbwc_addr).await;
    let r = env
        .one("SELECT qbwc_owner_id, qbwc_file_id FROM qbsync.company WHERE name = 'shop'")
        .await;
    let url = format!("http://{qbwc_addr}{}", qbwc::DEFAULT_PATH);
    let qwc = QwcSettings {
        app_name: "qbsync shop".into(),
        app_url: url.clone(),
        support_url: format!("http://{qbwc_addr}/"),
        user_name: "qbwc-shop".into(),
        owner_id: r.get(0),
        file_id: r.get(1),
        run_every_minutes: 5,
    }
    .to_xml()
    .unwrap();
    let company = Arc::new(QbdCompany::seeded(QbdConfig {
        customers: 3,
        ..Default::default()
    }));
    let connector = |password: &str| {
        let mut cfg = WebConnectorConfig::from_qwc(&qwc, password).expect("the .QWC parses");
        cfg.noop_wait = Duration::from_millis(10);
        WebConnector::new(cfg, company.clone()).expect("web connector")
    };
    let report = connector(WRONG_PASSWORD).run_session().await;
    assert!(
        matches!(report.end, SessionEnd::NotValidUser),
        "{:?}",
        report.end
    );
    let report = connector(QBWC_PASSWORD).run_session().await;
    assert!(
        report.operations().contains(&"sendRequestXML"),
        "{:?}",
        report.end
    );

    wait_listening(&web_addr).await;
    let page = http_get(&web_addr, "/").await;
    assert!(page.contains("acme"), "{page}");
    let metrics = http_get(&metrics_addr, "/metrics").await;
    assert!(metrics.contains("qbsync_records_synced_total"), "{metrics}");
    let bundle = tokio::process::Command::new(AGENT)
        .args(["logs", "--output", "-"])
        .env("DATABASE_URL", conninfo(&env))
        .output()
        .await
        .unwrap();
    assert!(
        bundle.status.success(),
        "{}",
        String::from_utf8_lossy(&bundle.stderr)
    );
    let bundle = String::from_utf8_lossy(&bundle.stdout).into_owned();
    assert!(bundle.contains("acme"), "{bundle}");

    let pid = child.id().expect("pid").to_string();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    let _ = tokio::time::timeout(Duration::from_secs(20), child.wait()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = log.lock().unwrap().clone();
    assert!(log.contains("DEBUG"), "the agent logged at debug: {log}");

    for secret in [
        CLIENT_SECRET,
        REFRESH_TOKEN,
        rotated.as_str(),
        access.as_str(),
        QBWC_PASSWORD,
        WRONG_PASSWORD,
    ] {
        for (what, text) in [
            ("log", &log),
            ("web page", &page),
            ("metrics", &metrics),
            ("bundle", &bundle),
        ] {
            assert!(
                !text.contains(secret),
                "{secret} leaked into the {what}:\n{text}"
            );
        }
    }
    env.finish().await;
}
