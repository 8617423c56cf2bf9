//! A fresh database with the installed extension, the agent's key and QuickBooks Online
//! companies on sandboxes: what every benchmark starts from.

use anyhow::{bail, Context, Result};
use qbsync_sandbox::RunningSandbox;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_postgres::{Client, Config, NoTls};

/// Connection settings from `DATABASE_URL`, else the PG* variables (socket directory, user).
pub fn base_config() -> Result<Config> {
    if let Ok(url) = std::env::var("DATABASE_URL") {
        return url.parse().context("DATABASE_URL");
    }
    let mut cfg = Config::new();
    cfg.host(
        std::env::var("PGHOST")
            .as_deref()
            .unwrap_or("/var/run/postgresql"),
    );
    if let Ok(port) = std::env::var("PGPORT") {
        cfg.port(port.parse().context("PGPORT")?);
    }
    let user = std::env::var("PGUSER")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .or_else(os_user)
        .context("no PGUSER, USER or LOGNAME, and no /etc/passwd entry for this process")?;
    cfg.user(&user);
    Ok(cfg)
}

/// The name of this process's user (as libpq's default), from /proc and /etc/passwd.
fn os_user() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .nth(1)?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
    })
}

pub async fn connect(cfg: &Config) -> Result<Client> {
    let (client, conn) = cfg
        .connect(NoTls)
        .await
        .context("connecting to PostgreSQL")?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// One benchmark database, dropped again by [`BenchDb::drop_database`].
pub struct BenchDb {
    pub client: Client,
    pub cfg: Config,
    pub name: String,
    pub key_file: PathBuf,
    admin: Client,
}

/// How a task ended and how long it took by the database's clock (queued to finished).
#[derive(Debug, Clone)]
pub struct TaskRun {
    pub status: String,
    pub seconds: f64,
    pub error: Option<String>,
}

impl BenchDb {
    /// (Re)creates database `name` with the extension and a new agent key.
    pub async fn create(name: &str) -> Result<BenchDb> {
        let mut base = base_config()?;
        base.dbname("postgres");
        let admin = connect(&base).await?;
        // Two statements: neither may run inside the transaction a multi-statement query is.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .with_context(|| format!("dropping database {name}"))?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .with_context(|| format!("creating database {name}"))?;
        let mut cfg = base.clone();
        cfg.dbname(name);
        let client = connect(&cfg).await?;
        client
            .batch_execute("CREATE EXTENSION qbsync CASCADE")
            .await
            .context("CREATE EXTENSION qbsync (is it installed? bash scripts/setup.sh)")?;
        let key = qbsync_secret::generate();
        let key_file = std::env::temp_dir().join(format!("{name}.key"));
        let _ = std::fs::remove_file(&key_file);
        qbsync_secret::write_new_secret_key(&key_file, &key).context("writing the agent key")?;
        client
            .query_one(
                "SELECT qbsync.qb_set_agent_key($1)",
                &[&key.public_key().to_base64()],
            )
            .await
            .context("registering the agent key")?;
        Ok(BenchDb {
            client,
            cfg,
            name: name.to_string(),
            key_file,
            admin,
        })
    }

    /// Adds company `name` on `sandbox`; returns (company id, connect task id).
    pub async fn add_company(&self, name: &str, sandbox: &RunningSandbox) -> Result<(i64, i64)> {
        let cfg = qbsync_sandbox::SandboxConfig::default();
        let refresh = sandbox
            .admin()
            .current_refresh_token()
            .unwrap_or(cfg.refresh_token);
        let task: i64 = self
            .client
            .query_one(
                "SELECT qbsync.qb_add_company($1, $2, $3, $4, $5, api_base => $6, token_url => $7)",
                &[
                    &name,
                    &sandbox.realm_id(),
                    &cfg.client_id,
                    &cfg.client_secret,
                    &refresh,
                    &sandbox.api_base(),
                    &sandbox.token_url(),
                ],
            )
            .await
            .with_context(|| format!("adding company {name}"))?
            .get(0);
        let id: i64 = self
            .client
            .query_one("SELECT id FROM qbsync.company WHERE name = $1", &[&name])
            .await?
            .get(0);
        Ok((id, task))
    }

    /// Waits for `task` to end (at most `within`).
    pub async fn wait_task(&self, task: i64, within: Duration) -> Result<TaskRun> {
        let deadline = Instant::now() + within;
        loop {
            let r = self
                .client
                .query_one(
                    "SELECT status, extract(epoch FROM finished_at - created_at)::float8, error \
                     FROM qbsync.task WHERE id = $1",
                    &[&task],
                )
                .await?;
            let status: String = r.get(0);
            if matches!(status.as_str(), "done" | "failed" | "stopped") {
                return Ok(TaskRun {
                    status,
                    seconds: r.get::<_, Option<f64>>(1).unwrap_or(0.0),
                    error: r.get(2),
                });
            }
            if Instant::now() > deadline {
                bail!("task {task} still {status} after {within:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs `sql` (a qb_* call returning a task id) and waits for the task to be done.
    pub async fn run_task(&self, sql: &str, within: Duration) -> Result<TaskRun> {
        let task: i64 = self
            .client
            .query_one(sql, &[])
            .await
            .with_context(|| sql.to_string())?
            .get(0);
        let run = self.wait_task(task, within).await?;
        if run.status != "done" {
            bail!("{sql}: task {task} {} ({:?})", run.status, run.error);
        }
        Ok(run)
    }

    pub async fn count(&self, sql: &str) -> Result<i64> {
        Ok(self
            .client
            .query_one(sql, &[])
            .await
            .with_context(|| sql.to_string())?
            .get(0))
    }

    /// Drops the database, unless QBSYNC_BENCH_KEEP is set (to look at what a run wrote).
    pub async fn drop_database(self) -> Result<()> {
        drop(self.client);
        let _ = std::fs::remove_file(&self.key_file);
        if std::env::var_os("QBSYNC_BENCH_KEEP").is_some() {
            eprintln!("keeping database {} (QBSYNC_BENCH_KEEP)", self.name);
            return Ok(());
        }
        self.admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .with_context(|| format!("dropping database {}", self.name))?;
        Ok(())
    }
}
