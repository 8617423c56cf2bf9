//! Test harness: a fresh database with `CREATE EXTENSION qbsync` in the system PostgreSQL
//! cluster (set up by scripts/setup.sh), a sandbox on a loopback port, the agent running in
//! this process on that database, and a company connected to the sandbox.

pub mod agent_process;
pub mod browser;
pub mod fault_tally;
pub mod sampler;

use qbsync_agent::qbwc::{self, qwc::QwcSettings, QbwcService};
use qbsync_agent::{database_config, runner, AgentConfig};
use qbsync_sandbox::qbd::{QbdCompany, QbdConfig};
use qbsync_sandbox::qbwc::{
    QuickBooksHost, SessionEnd, SessionReport, WebConnector, WebConnectorConfig,
};
use qbsync_sandbox::{Admin, RunningSandbox, SandboxConfig, SeedSize};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_postgres::{Client, NoTls, Row};

type AgentHandle = (
    watch::Sender<bool>,
    JoinHandle<Result<(), qbsync_agent::AgentError>>,
);

static DATABASES: AtomicUsize = AtomicUsize::new(0);

pub struct Options {
    pub sandbox: SandboxConfig,
    pub start_agent: bool,
    pub operation_result: bool,
    /// Use pg_cron's database (`cron.database_name`, set up by scripts/setup.sh) instead of a
    /// fresh one: it is cleared (jobs unscheduled, qbsync dropped) at the start and at the end,
    /// so that no job of the test keeps running. One test at a time may use it.
    pub pg_cron: bool,
}

impl Options {
    /// The default options with the sandbox seeded with `seed`.
    pub fn seeded(seed: SeedSize) -> Self {
        Options {
            sandbox: SandboxConfig {
                seed,
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sandbox: SandboxConfig {
                seed: SeedSize::small(),
                ..Default::default()
            },
            start_agent: true,
            operation_result: false,
            pg_cron: false,
        }
    }
}

pub struct Env {
    /// The application's connection (not the agent's: its writes go through the trigger).
    pub db: Client,
    pub company_id: i64,
    pub sandbox: RunningSandbox,
    /// The in-process agent's HTTP timeout towards QuickBooks, when a test shortens it (taken
    /// at the next [`Env::start_agent`]); None keeps the production default.
    pub agent_http_timeout: Option<Duration>,
    dbname: String,
    pg_cron: bool,
    admin: Client,
    app_cfg: tokio_postgres::Config,
    agent: Option<AgentHandle>,
    /// The agent's key pair for this test; its public half is registered in the database.
    secret_key: qbsync_secret::SecretKey,
    key_file: std::path::PathBuf,
}

/// State of one mirror row after a push.
#[derive(Debug)]
pub struct RowState {
    pub status: String,
    pub message: Option<String>,
    pub id: Option<String>,
    pub operation: Option<String>,
}

async fn connect(cfg: &tokio_postgres::Config) -> Client {
    let (client, conn) = cfg
        .connect(NoTls)
        .await
        .expect("connect to PostgreSQL (run scripts/setup.sh)");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// Leaves pg_cron's database as scripts/setup.sh made it: pg_cron, no jobs, no qbsync.
const CLEAR_PG_CRON_DATABASE: &str = "CREATE EXTENSION IF NOT EXISTS pg_cron; \
     SELECT cron.unschedule(jobid) FROM cron.job; DELETE FROM cron.job_run_details; \
     DROP EXTENSION IF EXISTS qbsync CASCADE; DROP EXTENSION IF EXISTS pgcrypto";

impl Env {
    pub async fn start() -> Env {
        Self::with(Options::default()).await
    }

    /// A default environment whose sandbox is configured as given.
    pub async fn with_sandbox(sandbox: SandboxConfig) -> Env {
        Self::with(Options {
            sandbox,
            ..Default::default()
        })
        .await
    }

    pub async fn with(opts: Options) -> Env {
        let mut base = database_config(std::env::var("DATABASE_URL").ok().as_deref())
            .expect("database config");
        base.dbname("postgres");
        let admin = connect(&base).await;
        let dbname = if opts.pg_cron {
            admin
                .query_one("SHOW cron.database_name", &[])
                .await
                .expect("pg_cron is loaded (run scripts/setup.sh)")
                .get(0)
        } else {
            format!(
                "qbsync_t_{}_{}",
                std::process::id(),
                DATABASES.fetch_add(1, Ordering::SeqCst)
            )
        };
        if !opts.pg_cron {
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
                .await
                .unwrap();
            admin
                .batch_execute(&format!("CREATE DATABASE {dbname}"))
                .await
                .unwrap();
        }
        let mut app_cfg = base.clone();
        app_cfg.dbname(&dbname);
        let db = connect(&app_cfg).await;
        if opts.pg_cron {
            // Never dropped: pg_cron's scheduler would stop with its database until a restart.
            db.batch_execute(CLEAR_PG_CRON_DATABASE)
                .await
                .expect("clearing pg_cron's database");
        }
        db.batch_execute("CREATE EXTENSION qbsync CASCADE")
            .await
            .expect("CREATE EXTENSION qbsync (is it installed?)");
        // Every test has its own agent key: registered here, and in a file for agent processes.
        let secret_key = qbsync_secret::generate();
        let key_file = std::env::temp_dir().join(format!("{dbname}.key"));
        let _ = std::fs::remove_file(&key_file);
        qbsync_secret::write_new_secret_key(&key_file, &secret_key).expect("writing the key file");
        db.query_one(
            "SELECT qbsync.qb_set_agent_key($1)",
            &[&secret_key.public_key().to_base64()],
        )
        .await
        .expect("registering the agent key");
        let sandbox = qbsync_sandbox::start(opts.sandbox.clone())
            .await
            .expect("sandbox");
        let mut env = Env {
            db,
            company_id: 0,
            sandbox,
            agent_http_timeout: None,
            dbname,
            pg_cron: opts.pg_cron,
            admin,
            app_cfg,
            agent: None,
            secret_key,
            key_file,
        };
        let task: i64 = env
            .db
            .query_one(
                "SELECT qbsync.qb_add_company('acme', $1, $2, $3, $4, api_base => $5, token_url => $6, operation_result => $7)",
                &[
                    &env.sandbox.realm_id(),
                    &opts.sandbox.client_id,
                    &opts.sandbox.client_secret,
                    &opts.sandbox.refresh_token,
                    &env.sandbox.api_base(),
                    &env.sandbox.token_url(),
                    &opts.operation_result,
                ],
            )
            .await
            .unwrap()
            .get(0);
        env.company_id = env
            .db
            .query_one("SELECT id FROM qbsync.company WHERE name = 'acme'", &[])
            .await
            .unwrap()
            .get(0);
        // Payments start incoming-only; the tests push them, matched by reference number.
        env.db
            .batch_execute(
                "SELECT qbsync.qb_enable_table('acme', t, direction => 'both', payment_match => 'reference') \
                 FROM unnest(ARRAY['payment', 'bill_payment']) AS t",
            )
            .await
            .unwrap();
        if opts.start_agent {
            env.start_agent();
            assert_eq!(env.wait_task(task).await, "done", "connect task");
        }
        env
    }

    /// Connection settings of this test's database (for services the test starts itself).
    pub fn database_config(&self) -> tokio_postgres::Config {
        self.app_cfg.clone()
    }

    /// The agent's secret key of this test.
    pub fn secret_key(&self) -> &qbsync_secret::SecretKey {
        &self.secret_key
    }

    /// The file holding [`Env::secret_key`], for `qbsync-agent run --secret-key-file`
    /// (or QBSYNC_SECRET_KEY_FILE).
    pub fn key_file(&self) -> &std::path::Path {
        &self.key_file
    }

    /// Opens the sealed secret the first column of `sql` returns (bytea), as the agent would.
    pub async fn open_secret(&self, sql: &str) -> String {
        let sealed: Vec<u8> = self.one(sql).await.get(0);
        qbsync_secret::open(&self.secret_key, &sealed).expect("a secret sealed to this test's key")
    }

    pub fn qb(&self) -> &Admin {
        self.sandbox.admin()
    }

    /// API requests the sandbox received on `route` (`"POST /batch"`, `"GET /query"`, ...).
    pub fn requests_to(&self, route: &str) -> u64 {
        self.qb()
            .stats()
            .requests_by_route
            .get(route)
            .copied()
            .unwrap_or(0)
    }

    /// The process ids of the other sessions on the test's database (the agent's), in order.
    pub async fn other_sessions(&self) -> Vec<i32> {
        self.one(
            "SELECT coalesce(array_agg(pid ORDER BY pid), '{}') FROM pg_stat_activity \
             WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
        )
        .await
        .get(0)
    }

    /// Adds company `name` on `sandbox` (its own: a sandbox serves one realm, so give each its
    /// own `realm_id`) with the sandbox's default credentials; returns the company's id. Its
    /// connect task is queued.
    pub async fn add_company(&self, name: &str, sandbox: &RunningSandbox) -> i64 {
        let d = SandboxConfig::default();
        self.db
            .execute(
                "SELECT qbsync.qb_add_company($1, $2, $3, $4, $5, api_base => $6, token_url => $7)",
                &[
                    &name,
                    &sandbox.realm_id(),
                    &d.client_id,
                    &d.client_secret,
                    &d.refresh_token,
                    &sandbox.api_base(),
                    &sandbox.token_url(),
                ],
            )
            .await
            .unwrap_or_else(|e| panic!("adding company {name}: {e:?}"));
        self.db
            .query_one("SELECT id FROM qbsync.company WHERE name = $1", &[&name])
            .await
            .unwrap()
            .get(0)
    }

    /// Requests the sandbox has served on routes whose name contains `part` (e.g. "cdc").
    pub fn route_calls(&self, part: &str) -> u64 {
        self.qb()
            .stats()
            .requests_by_route
            .iter()
            .filter(|(r, _)| r.contains(part))
            .map(|(_, n)| *n)
            .sum()
    }

    pub fn start_agent(&mut self) {
        assert!(self.agent.is_none(), "agent already running");
        let mut cfg =
            AgentConfig::new(self.app_cfg.clone()).with_secret_key(self.secret_key.clone());
        cfg.sweep_interval = Duration::from_millis(300);
        // Let the sandbox be the one that throttles.
        cfg.requests_per_minute = 100_000;
        cfg.batch_per_minute = 100_000;
        if let Some(t) = self.agent_http_timeout {
            cfg.http_timeout = t;
        }
        let (tx, rx) = watch::channel(false);
        self.agent = Some((tx, tokio::spawn(runner::run(cfg, rx))));
    }

    pub async fn stop_agent(&mut self) {
        if let Some((tx, handle)) = self.agent.take() {
            let _ = tx.send(true);
            handle.await.expect("agent task").expect("agent");
        }
    }

    pub async fn one(&self, sql: &str) -> Row {
        self.db
            .query_one(sql, &[])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
    }

    /// The first column of every row `sql` returns, as text.
    pub async fn texts(&self, sql: &str) -> Vec<String> {
        self.db
            .query(sql, &[])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    pub async fn exec(&self, sql: &str) {
        self.db
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    }

    /// The SQL error message (with hint) a statement fails with.
    pub async fn error_of(&self, sql: &str) -> String {
        match self.db.batch_execute(sql).await {
            Ok(()) => panic!("expected an error from {sql}"),
            Err(e) => {
                let db = e.as_db_error().expect("a database error");
                format!("{} HINT: {}", db.message(), db.hint().unwrap_or(""))
            }
        }
    }

    /// Runs `sql` (which returns a task id) and waits for the task; returns (task, status).
    pub async fn run_task(&self, sql: &str) -> (i64, String) {
        let task: i64 = self.one(sql).await.get(0);
        (task, self.wait_task(task).await)
    }

    pub async fn wait_task(&self, task: i64) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let status: String = self
                .db
                .query_one("SELECT status FROM qbsync.task WHERE id = $1", &[&task])
                .await
                .unwrap()
                .get(0);
            if !matches!(status.as_str(), "queued" | "running") {
                return status;
            }
            assert!(Instant::now() < deadline, "task {task} still {status}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn populate(&self) {
        let (task, status) = self.run_task("SELECT qbsync.qb_populate('acme')").await;
        assert_eq!(status, "done", "populate task {task}");
    }

    /// Waits until the row is no longer pending or sending.
    pub async fn wait_row(&self, table: &str, local_id: i64) -> RowState {
        let deadline = Instant::now() + Duration::from_secs(60);
        let sql = format!("SELECT coalesce(sync_status, ''), sync_message, id, operation FROM {table} WHERE local_id = $1");
        loop {
            let row = self.db.query_opt(sql.as_str(), &[&local_id]).await.unwrap();
            let Some(row) = row else {
                return RowState {
                    status: "removed".into(),
                    message: None,
                    id: None,
                    operation: None,
                };
            };
            let status: String = row.get(0);
            if status != "pending" && status != "sending" {
                return RowState {
                    status,
                    message: row.get(1),
                    id: row.get(2),
                    operation: row.get(3),
                };
            }
            assert!(
                Instant::now() < deadline,
                "{table} local_id={local_id} still {status}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Inserts a row (`columns`/`values` SQL fragments, company_id added) and returns its local_id.
    pub async fn insert(&self, table: &str, columns: &str, values: &str) -> i64 {
        self.one(&format!(
            "INSERT INTO {table} (company_id, {columns}) VALUES ({}, {values}) RETURNING local_id",
            self.company_id
        ))
        .await
        .get(0)
    }

    /// The first value of the first row of `sql`, as text.
    pub async fn text(&self, sql: &str) -> String {
        self.one(sql).await.get(0)
    }

    /// QuickBooks Id of the `n`th (from 0) active row of `table` matching `condition` (SQL, or "").
    pub async fn active_id(&self, table: &str, condition: &str, n: i64) -> String {
        let and = if condition.is_empty() {
            String::new()
        } else {
            format!(" AND {condition}")
        };
        self.text(&format!(
            "SELECT id FROM {table} WHERE active{and} ORDER BY local_id OFFSET {n} LIMIT 1"
        ))
        .await
    }

    /// Adds a customer through the mirror and returns its QuickBooks Id.
    pub async fn add_customer(&self, name: &str) -> String {
        let local = self
            .insert(
                "qbo.customer",
                "display_name, operation",
                &format!("'{name}', 'add'"),
            )
            .await;
        self.wait_row("qbo.customer", local)
            .await
            .id
            .expect("customer added")
    }

    /// Inserts an invoice for `customer` with item lines `(qty, unit_price)` and sets it to be
    /// added; returns its local_id (the push happens in the background).
    pub async fn add_invoice(&self, customer: &str, doc: &str, lines: &[(f64, f64)]) -> i64 {
        let item: String = self
            .one("SELECT id FROM qbo.item WHERE active ORDER BY local_id LIMIT 1")
            .await
            .get(0);
        let values: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(n, (qty, price))| {
                format!("((SELECT local_id FROM i), (SELECT company_id FROM i), {}, '{item}', {qty}, {price}, {})", n + 1, qty * price)
            })
            .collect();
        self.exec(&format!(
            "WITH i AS (INSERT INTO qbo.invoice (company_id, customer_ref, doc_number, txn_date) \
             VALUES ({}, '{customer}', '{doc}', current_date) RETURNING local_id, company_id) \
             INSERT INTO qbo.invoice_line (invoice_local_id, company_id, line_num, item_ref, qty, unit_price, amount) VALUES {}",
            self.company_id,
            values.join(", ")
        ))
        .await;
        let local: i64 = self
            .one(&format!(
                "SELECT local_id FROM qbo.invoice WHERE doc_number = '{doc}'"
            ))
            .await
            .get(0);
        self.exec(&format!(
            "UPDATE qbo.invoice SET operation = 'add' WHERE local_id = {local}"
        ))
        .await;
        local
    }

    /// Adds a payment from `customer` of `total`, applied as `(TxnType, TxnId, amount)` lines;
    /// returns its row state once pushed.
    pub async fn add_payment(
        &self,
        customer: &str,
        reference: &str,
        total: f64,
        lines: &[(&str, &str, f64)],
    ) -> (i64, RowState) {
        let c = self.company_id;
        self.exec(&format!(
            "INSERT INTO qbo.payment (company_id, customer_ref, total_amt, txn_date, payment_ref_num) \
             VALUES ({c}, '{customer}', {total}, current_date, '{reference}')"
        ))
        .await;
        let local: i64 = self
            .one(&format!(
                "SELECT local_id FROM qbo.payment WHERE payment_ref_num = '{reference}'"
            ))
            .await
            .get(0);
        for (n, (kind, id, amount)) in lines.iter().enumerate() {
            self.exec(&format!(
                "INSERT INTO qbo.payment_line (payment_local_id, company_id, line_num, amount, txn_id, txn_type) \
                 VALUES ({local}, {c}, {}, {amount}, '{id}', '{kind}')",
                n + 1
            ))
            .await;
        }
        self.exec(&format!(
            "UPDATE qbo.payment SET operation = 'add' WHERE local_id = {local}"
        ))
        .await;
        (local, self.wait_row("qbo.payment", local).await)
    }

    pub async fn finish(mut self) {
        self.stop_agent().await;
        let Env {
            db,
            admin,
            dbname,
            pg_cron,
            sandbox,
            key_file,
            ..
        } = self;
        let _ = std::fs::remove_file(key_file);
        if pg_cron {
            // Back to what setup left: pg_cron's database with pg_cron and no jobs.
            db.batch_execute(CLEAR_PG_CRON_DATABASE)
                .await
                .expect("clearing pg_cron's database");
        }
        drop(db);
        sandbox.shutdown().await;
        if !pg_cron {
            let _ = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
                .await;
        }
    }
}

/// The Web Connector password of the Desktop company [`desktop`] registers.
pub const DESKTOP_PASSWORD: &str = "correct horse battery";

/// A QuickBooks Desktop company ("shop") served through the agent's Web Connector endpoint.
pub struct Desktop {
    /// The simulated company file.
    pub company: QbdCompany,
    /// The agent's SOAP endpoint.
    pub url: String,
    pub owner_id: String,
    pub file_id: String,
    _stop: watch::Sender<bool>,
}

/// Registers company "shop" (Web Connector user `qbwc-shop`, password [`DESKTOP_PASSWORD`]),
/// serves the agent's Web Connector endpoint on a loopback port and seeds a company file with
/// `customers` customers.
pub async fn desktop(env: &Env, customers: usize) -> Desktop {
    env.exec(&format!(
        "SELECT qbsync.qb_add_qbd_company('shop', 'qbwc-shop', '{DESKTOP_PASSWORD}')"
    ))
    .await;
    let r = env
        .one("SELECT qbwc_owner_id, qbwc_file_id FROM qbsync.company WHERE name = 'shop'")
        .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}{}",
        listener.local_addr().unwrap().port(),
        qbwc::DEFAULT_PATH
    );
    let service = QbwcService::new(env.database_config());
    let (stop, rx) = watch::channel(false);
    tokio::spawn(async move {
        let _ = qbwc::serve(service, listener, qbwc::DEFAULT_PATH, rx).await;
    });
    Desktop {
        company: QbdCompany::seeded(QbdConfig {
            customers,
            ..Default::default()
        }),
        url,
        owner_id: r.get(0),
        file_id: r.get(1),
        _stop: stop,
    }
}

impl Desktop {
    /// One Web Connector session with the right password, which must end normally.
    pub async fn session(&self) -> SessionReport {
        Self::closed(self.connector(DESKTOP_PASSWORD).run_session().await)
    }

    /// `report`, which must be of a session that ended normally (closed by the agent).
    pub fn closed(report: SessionReport) -> SessionReport {
        assert!(
            matches!(report.end, SessionEnd::Closed { .. }),
            "{:?} after {:?}; last error {:?}",
            report.end,
            report.operations(),
            report.last_error()
        );
        report
    }

    /// Inserts an invoice of "shop" for `customer` with one 'Installation' line per quantity
    /// (at 55), then flags it `add`; returns its local_id.
    pub async fn new_invoice(
        env: &Env,
        customer: &str,
        reference: &str,
        quantities: &[i32],
    ) -> i64 {
        let c = Self::company_id(env).await;
        let local: i64 = env
            .one(&format!(
                "INSERT INTO qbd.invoice (company_id, customer_full_name, ref_number, txn_date) \
                 VALUES ({c}, '{customer}', '{reference}', current_date) RETURNING local_id"
            ))
            .await
            .get(0);
        for (n, q) in quantities.iter().enumerate() {
            env.exec(&format!(
                "INSERT INTO qbd.invoice_line (invoice_local_id, company_id, line_num, item_full_name, quantity, rate) \
                 VALUES ({local}, {c}, {}, 'Installation', {q}, 55)",
                n + 1
            ))
            .await;
        }
        env.exec(&format!(
            "UPDATE qbd.invoice SET operation = 'add' WHERE local_id = {local}"
        ))
        .await;
        local
    }

    /// The id of company "shop".
    pub async fn company_id(env: &Env) -> i64 {
        env.one("SELECT id FROM qbsync.company WHERE name = 'shop'")
            .await
            .get(0)
    }

    /// Inserts a customer of "shop" to be added; returns its local_id.
    pub async fn new_customer(env: &Env, name: &str) -> i64 {
        let c = Self::company_id(env).await;
        env.one(&format!(
            "INSERT INTO qbd.customer (company_id, name, operation) VALUES ({c}, '{name}', 'add') RETURNING local_id"
        ))
        .await
        .get(0)
    }

    /// A Web Connector set up from the .QWC file the agent writes, with `password` typed in.
    pub fn connector(&self, password: &str) -> WebConnector {
        self.connector_to(&self.url, Arc::new(self.company.clone()), password)
    }

    /// The same for the endpoint at `app_url` (e.g. an agent process's), reaching QuickBooks
    /// through `host` (e.g. a wrapper of [`Desktop::company`] that holds answers).
    pub fn connector_to(
        &self,
        app_url: &str,
        host: Arc<dyn QuickBooksHost>,
        password: &str,
    ) -> WebConnector {
        let qwc = QwcSettings {
            app_name: "qbsync shop".into(),
            app_url: app_url.to_string(),
            support_url: app_url.replace(qbwc::DEFAULT_PATH, "/"),
            user_name: "qbwc-shop".into(),
            owner_id: self.owner_id.clone(),
            file_id: self.file_id.clone(),
            run_every_minutes: 5,
        }
        .to_xml()
        .expect("qwc");
        let mut cfg = WebConnectorConfig::from_qwc(&qwc, password).expect("the .QWC parses");
        cfg.noop_wait = std::time::Duration::from_millis(10);
        WebConnector::new(cfg, host).expect("web connector")
    }
}
