//! Agent configuration: the database (libpq-style conninfo, URL, or the PG* variables) and the
//! knobs of the sync loop.

use std::time::Duration;
use tokio_postgres::config::Host;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid database connection string: {0}")]
    Database(#[from] tokio_postgres::Error),
    #[error("invalid {name}: {value}")]
    Invalid { name: &'static str, value: String },
}

/// Companies an agent works at once unless told otherwise. A worker spends its time waiting on
/// QuickBooks, whose budget is per company (realm), not per agent, so CPUs are not what limits
/// it: its PostgreSQL session (the lease) and its share of PostgreSQL's writes are. Eight keeps
/// an agent near ten sessions (workers, listener, main loop), so that three agents still fit in
/// PostgreSQL's default 100 connections beside the applications, whatever the machine; a
/// count from the CPUs would give 4 on a 2-core host and 128 on a large one, neither of which
/// follows from what a worker waits on.
pub const DEFAULT_MAX_COMPANIES: usize = 8;

#[derive(Clone)]
pub struct AgentConfig {
    pub database: tokio_postgres::Config,
    /// The agent's secret key: opens the company secrets sealed to its public key. Held in
    /// memory only; `run` refuses to start without it.
    pub secret_key: Option<qbsync_secret::SecretKey>,
    /// Name of this agent in `qbsync.task.locked_by`.
    pub agent_id: String,
    /// How often to look for work even without a notification.
    pub sweep_interval: Duration,
    /// A running task whose agent has not shown a sign of life for this long is re-queued.
    pub stale_task_after: Duration,
    /// Companies this agent works at once (`--max-companies`); the others wait for a slot or
    /// are taken by another agent.
    pub max_companies: usize,
    pub requests_per_minute: u32,
    pub batch_per_minute: u32,
    pub max_in_flight: usize,
    /// Simulated seconds per real second for the request budget (1 = real time): the buckets
    /// refill this many times faster, to match a sandbox run with the same time scale.
    pub time_scale: f64,
    /// MAXRESULTS of populate queries (QuickBooks allows 1..=1000).
    pub page_size: u32,
    /// Objects written to Postgres per COPY batch during populate.
    pub write_batch: usize,
    /// Records a populate asks for at once: `fetch_records / page_size` pages, 30 to a
    /// `/batch` call or one to a single query, as the budget allows. Bounds a load's memory.
    pub fetch_records: usize,
    pub http_timeout: Duration,
}

impl AgentConfig {
    pub fn new(database: tokio_postgres::Config) -> Self {
        AgentConfig {
            database,
            secret_key: None,
            agent_id: format!("qbsync-agent-{}", std::process::id()),
            sweep_interval: Duration::from_secs(5),
            stale_task_after: Duration::from_secs(300),
            max_companies: DEFAULT_MAX_COMPANIES,
            requests_per_minute: 500,
            batch_per_minute: 40,
            max_in_flight: 10,
            time_scale: 1.0,
            page_size: 1000,
            write_batch: 2000,
            fetch_records: 3000,
            http_timeout: Duration::from_secs(120),
        }
    }
}

impl AgentConfig {
    /// The request budget of one realm, as this configuration sets it.
    pub fn budget(&self) -> crate::qbo::Budget {
        crate::qbo::Budget {
            requests_per_minute: self.requests_per_minute,
            batch_per_minute: self.batch_per_minute,
            max_in_flight: self.max_in_flight,
            time_scale: self.time_scale,
        }
    }

    /// The same configuration holding `key`.
    pub fn with_secret_key(mut self, key: qbsync_secret::SecretKey) -> Self {
        self.secret_key = Some(key);
        self
    }
}

// Written out so that neither the key nor the database password can reach a log line.
impl std::fmt::Debug for AgentConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentConfig")
            .field("database", &describe(&self.database))
            .field(
                "secret_key",
                &self
                    .secret_key
                    .as_ref()
                    .map(|k| format!("redacted (public {})", k.public_key().fingerprint())),
            )
            .field("agent_id", &self.agent_id)
            .field("sweep_interval", &self.sweep_interval)
            .field("stale_task_after", &self.stale_task_after)
            .field("max_companies", &self.max_companies)
            .field("requests_per_minute", &self.requests_per_minute)
            .field("batch_per_minute", &self.batch_per_minute)
            .field("max_in_flight", &self.max_in_flight)
            .field("time_scale", &self.time_scale)
            .field("page_size", &self.page_size)
            .field("write_batch", &self.write_batch)
            .field("fetch_records", &self.fetch_records)
            .field("http_timeout", &self.http_timeout)
            .finish()
    }
}

/// Database configuration from a conninfo string or URL when given, else from the libpq
/// environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), defaulting to the local socket.
pub fn database_config(conninfo: Option<&str>) -> Result<tokio_postgres::Config, ConfigError> {
    let mut cfg: tokio_postgres::Config = match conninfo {
        Some(s) if !s.trim().is_empty() => s.parse()?,
        _ => tokio_postgres::Config::new(),
    };
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if cfg.get_hosts().is_empty() {
        match env("PGHOST") {
            Some(h) => {
                for host in h.split(',') {
                    cfg.host(host);
                }
            }
            None => {
                cfg.host("/var/run/postgresql");
            }
        }
    }
    if cfg.get_ports().is_empty() {
        if let Some(p) = env("PGPORT") {
            cfg.port(p.parse().map_err(|_| ConfigError::Invalid {
                name: "PGPORT",
                value: p.clone(),
            })?);
        }
    }
    if cfg.get_user().is_none() {
        // Like libpq: the operating-system user name when PGUSER is not set.
        let user = env("PGUSER")
            .or_else(|| env("USER"))
            .or_else(|| env("LOGNAME"))
            .or_else(os_user)
            .unwrap_or_else(|| "postgres".into());
        cfg.user(&user);
    }
    if cfg.get_password().is_none() {
        if let Some(p) = env("PGPASSWORD") {
            cfg.password(p);
        }
    }
    if cfg.get_dbname().is_none() {
        if let Some(d) = env("PGDATABASE") {
            cfg.dbname(&d);
        }
    }
    // A name given in the connection string stays: it tells several agents apart in pg_stat_activity.
    if cfg.get_application_name().is_none() {
        cfg.application_name("qbsync-agent");
    }
    Ok(cfg)
}

fn os_user() -> Option<String> {
    let out = std::process::Command::new("id").arg("-un").output().ok()?;
    let name = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!name.is_empty()).then_some(name)
}

/// `host=... dbname=...` for log lines (never the password).
pub fn describe(cfg: &tokio_postgres::Config) -> String {
    let host = match cfg.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "?".into(),
    };
    format!(
        "host={host} dbname={} user={}",
        cfg.get_dbname().unwrap_or("(default)"),
        cfg.get_user().unwrap_or("?")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_neither_the_key_nor_the_password() {
        let mut db = tokio_postgres::Config::new();
        db.host("/tmp")
            .user("agent")
            .password("PLANTED-DB-PASSWORD");
        let key = qbsync_secret::generate();
        let cfg = AgentConfig::new(db).with_secret_key(key.clone());
        let shown = format!("{cfg:?}");
        assert!(!shown.contains(&key.to_base64()), "{shown}");
        assert!(!shown.contains("PLANTED-DB-PASSWORD"), "{shown}");
        assert!(shown.contains(&key.public_key().fingerprint()), "{shown}");
    }
}
