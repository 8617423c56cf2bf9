//! `qbsync-agent`: run the sync agent, the loopback QuickBooks sandbox, or the demo.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use qbsync_agent::{cli, database_config, demo, metrics, qbwc, runner, web, AgentConfig};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "qbsync-agent",
    version,
    about = "Keeps Postgres in two-way sync with QuickBooks"
)]
struct Cli {
    /// Log as JSON lines instead of text.
    #[arg(long, global = true, env = "QBSYNC_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the agent: LISTEN for work, sweep periodically, sync companies.
    Run(RunArgs),
    /// Serve the loopback QuickBooks Online sandbox.
    Sandbox(SandboxArgs),
    /// Start Postgres work, the sandbox and the agent, and walk through populate, refresh and push.
    Demo(DemoArgs),
    /// Write the .QWC file that registers a QuickBooks Desktop company with the Web Connector.
    Qwc(QwcArgs),
    /// Print every company's state (qbsync.status) as a table.
    Status(StatusArgs),
    /// Run populate, refresh or update for a company and follow it until it ends (needs a running agent).
    Sync(SyncCmdArgs),
    /// Write a troubleshooting bundle (tasks, messages, settings; secrets redacted) to one Markdown file.
    Logs(LogsArgs),
    /// Make the agent's key pair: the secret key goes to a new file, the public key is printed
    /// with the SQL that registers it.
    Keygen(KeygenArgs),
    /// Re-seal every stored secret from the old key to the new one and register the new key.
    Rekey(RekeyArgs),
}

#[derive(Args)]
struct KeygenArgs {
    /// The file to write the secret key to (created with mode 0600; never overwritten).
    #[arg(long)]
    output: std::path::PathBuf,
}

#[derive(Args)]
struct RekeyArgs {
    /// libpq connection string or URL; without it the PG* environment variables are used.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// The key the secrets are sealed to now (the registered one).
    #[arg(long)]
    old_key_file: std::path::PathBuf,
    /// The key to seal them to (from `qbsync-agent keygen`).
    #[arg(long)]
    new_key_file: std::path::PathBuf,
}

#[derive(Args)]
struct StatusArgs {
    /// libpq connection string or URL; without it the PG* environment variables are used.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Args)]
struct SyncCmdArgs {
    /// libpq connection string or URL; without it the PG* environment variables are used.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// The company (as given to qbsync.qb_add_company).
    company: String,
    /// What to run.
    #[arg(value_enum, default_value_t = cli::sync::Action::Refresh)]
    action: cli::sync::Action,
    /// Mirror tables to sync, comma-separated (default: every enabled table).
    #[arg(long, value_delimiter = ',')]
    tables: Option<Vec<String>>,
    /// Stop waiting after this long (e.g. 90s, 15m, 1h); the task is left running or queued.
    #[arg(long, default_value = "1h", value_parser = cli::sync::parse_duration)]
    timeout: Duration,
    /// Print progress lines even on a terminal (no progress bar).
    #[arg(long)]
    no_progress_bar: bool,
}

#[derive(Args)]
struct LogsArgs {
    /// libpq connection string or URL; without it the PG* environment variables are used.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Only this company's tasks, messages and settings.
    #[arg(long)]
    company: Option<String>,
    /// The Markdown file to write ("-" for standard output); default qbsync-logs-<time>.md.
    #[arg(long)]
    output: Option<std::path::PathBuf>,
}

#[derive(Args)]
struct QwcArgs {
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// The company (as given to qbsync.qb_add_qbd_company).
    #[arg(long)]
    company: String,
    /// The agent's Web Connector endpoint as the Windows machine reaches it, e.g.
    /// https://sync.example.com/qbwc (http only for localhost).
    #[arg(long)]
    url: String,
    /// Minutes between Web Connector sessions.
    #[arg(long, default_value_t = 5)]
    minutes: u32,
    /// Write here instead of standard output.
    #[arg(long)]
    output: Option<std::path::PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    /// libpq connection string or URL; without it the PG* environment variables are used.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// How often to look for work without a notification (ms).
    #[arg(long, default_value_t = 5000)]
    sweep_interval_ms: u64,
    /// Request budget per QuickBooks realm per minute.
    #[arg(long, default_value_t = 500)]
    requests_per_minute: u32,
    /// Batch calls per QuickBooks realm per minute.
    #[arg(long, default_value_t = 40)]
    batch_per_minute: u32,
    /// Requests in flight per QuickBooks realm at once.
    #[arg(long, default_value_t = 10)]
    max_in_flight: usize,
    /// Simulated seconds per real second for the request budget, like the sandbox's knob: the
    /// buckets refill this many times faster (benchmarks against a time-scaled sandbox).
    #[arg(long, default_value_t = 1.0, hide = true)]
    time_scale: f64,
    /// MAXRESULTS of populate and refresh queries (1..=1000); small pages make the request
    /// budget, not PostgreSQL, the limit of a benchmark.
    #[arg(long, default_value_t = 1000, hide = true, value_parser = clap::value_parser!(u32).range(1..=1000))]
    page_size: u32,
    /// Seconds without a heartbeat after which a running task whose company no agent holds is
    /// queued again (its agent died).
    #[arg(long, default_value_t = 300)]
    stale_task_after_secs: u64,
    /// Companies worked at once; the others wait for a free slot, or for another agent on the
    /// same database.
    #[arg(long, env = "QBSYNC_MAX_COMPANIES", default_value_t = qbsync_agent::config::DEFAULT_MAX_COMPANIES)]
    max_companies: usize,
    /// Records written to PostgreSQL per COPY batch during populate.
    #[arg(long, default_value_t = 2000)]
    populate_write_batch: usize,
    /// Records a populate asks QuickBooks for at once, in pages of --page-size: 30 pages to a
    /// /batch call when the budget has a batch token free, one to a single query otherwise.
    /// Bounds the memory of a load.
    #[arg(long, default_value_t = 3000, value_parser = clap::value_parser!(u32).range(1..))]
    populate_fetch_records: u32,
    /// Address of the QuickBooks Web Connector endpoint (QuickBooks Desktop companies); "off"
    /// to serve none. Put a TLS proxy in front when it is not on loopback.
    #[arg(long, env = "QBSYNC_QBWC_BIND", default_value = "127.0.0.1:8080")]
    qbwc_bind: String,
    /// Address of the Prometheus endpoint (GET /metrics); "off" to serve none.
    #[arg(long, env = "QBSYNC_METRICS_BIND", default_value = "127.0.0.1:9187")]
    metrics_bind: String,
    /// Address of the operator web page; "off" to serve none. An address other than loopback
    /// needs --web-token.
    #[arg(long, env = "QBSYNC_WEB_BIND", default_value = "127.0.0.1:8090")]
    web_bind: String,
    /// Token that protects the web page: log in with it on /login, or send
    /// "Authorization: Bearer <token>". Without it the page is served on loopback only.
    #[arg(long, env = "QBSYNC_WEB_TOKEN", hide_env_values = true)]
    web_token: Option<String>,
    /// The agent's secret key (from `qbsync-agent keygen`); it opens the company secrets, which
    /// are stored sealed to its public key.
    #[arg(long, env = "QBSYNC_SECRET_KEY_FILE")]
    secret_key_file: std::path::PathBuf,
}

#[derive(Args)]
struct SandboxArgs {
    #[arg(long, default_value = "127.0.0.1:8899")]
    bind: std::net::SocketAddr,
    /// Customers in the seeded sample company (other lists and transactions scale with it).
    #[arg(long, default_value_t = 25)]
    customers: usize,
    /// Simulated minutes per real minute for throttle windows (60 = a minute passes in a second).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
}

#[derive(Args)]
struct DemoArgs {
    /// Connection to a database the demo may create its own database from.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Name of the database the demo (re)creates.
    #[arg(long, default_value = "qbsync_demo")]
    database: String,
    /// Customers in the sample company.
    #[arg(long, default_value_t = 2000)]
    customers: usize,
}

fn init_tracing(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tokio_postgres=warn"))
        // tokio-postgres logs every statement's parameters at debug, a Web Connector password
        // among them: never below info, whatever RUST_LOG asks for.
        .add_directive(
            "tokio_postgres::query=info"
                .parse()
                .expect("a constant, valid filter directive"),
        );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// A watch channel that turns true on Ctrl-C or SIGTERM.
fn shutdown_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                        let _ = tx.send(true);
                        return;
                    }
                };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        let _ = tx.send(true);
    });
    rx
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    init_tracing(cli.log_json);
    // Crash-test fail points (FAILPOINTS); nothing unless built with feature `failpoints`.
    let _failpoints = qbsync_agent::failpoint::setup();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Run(args) => {
                let key = qbsync_secret::read_secret_key(&args.secret_key_file)
                    .context("reading the agent's secret key")?;
                let mut cfg = AgentConfig::new(database_config(args.database_url.as_deref())?)
                    .with_secret_key(key);
                cfg.sweep_interval = Duration::from_millis(args.sweep_interval_ms.max(100));
                cfg.requests_per_minute = args.requests_per_minute;
                cfg.batch_per_minute = args.batch_per_minute;
                cfg.max_in_flight = args.max_in_flight.max(1);
                cfg.time_scale = if args.time_scale.is_finite() && args.time_scale > 0.0 {
                    args.time_scale
                } else {
                    anyhow::bail!("--time-scale must be a positive number, not {}", args.time_scale)
                };
                cfg.page_size = args.page_size;
                cfg.stale_task_after = Duration::from_secs(args.stale_task_after_secs);
                cfg.max_companies = args.max_companies.max(1);
                cfg.write_batch = args.populate_write_batch.max(1);
                cfg.fetch_records = args.populate_fetch_records as usize;
                // Checked before anything listens: an unprotected page must stop the start.
                let web_token = args.web_token.filter(|t| !t.is_empty());
                let web_addr = if args.web_bind == "off" {
                    None
                } else {
                    let addr: std::net::SocketAddr = args
                        .web_bind
                        .parse()
                        .with_context(|| format!("--web-bind {}", args.web_bind))?;
                    web::check_exposure(addr, web_token.as_deref())?;
                    Some(addr)
                };
                let shutdown = shutdown_signal();
                if args.qbwc_bind != "off" {
                    let addr: std::net::SocketAddr = args
                        .qbwc_bind
                        .parse()
                        .with_context(|| format!("--qbwc-bind {}", args.qbwc_bind))?;
                    let listener = tokio::net::TcpListener::bind(addr)
                        .await
                        .with_context(|| format!("binding the Web Connector endpoint on {addr}"))?;
                    tracing::info!(%addr, path = qbwc::DEFAULT_PATH, "Web Connector endpoint listening");
                    let service = qbwc::QbwcService::new(cfg.database.clone());
                    let stop = shutdown.clone();
                    tokio::spawn(async move {
                        if let Err(e) = qbwc::serve(service, listener, qbwc::DEFAULT_PATH, stop).await {
                            tracing::error!(error = %e, "Web Connector endpoint stopped");
                        }
                    });
                }
                if args.metrics_bind != "off" {
                    let addr: std::net::SocketAddr = args
                        .metrics_bind
                        .parse()
                        .with_context(|| format!("--metrics-bind {}", args.metrics_bind))?;
                    let listener = tokio::net::TcpListener::bind(addr)
                        .await
                        .with_context(|| format!("binding the metrics endpoint on {addr}"))?;
                    tracing::info!(%addr, path = metrics::PATH, "metrics endpoint listening");
                    let stop = shutdown.clone();
                    tokio::spawn(async move {
                        if let Err(e) = metrics::serve(listener, stop).await {
                            tracing::error!(error = %e, "metrics endpoint stopped");
                        }
                    });
                }
                if let Some(addr) = web_addr {
                    let listener = tokio::net::TcpListener::bind(addr)
                        .await
                        .with_context(|| format!("binding the web page on {addr}"))?;
                    tracing::info!(%addr, login = web_token.is_some(), "web page listening");
                    let config = web::WebConfig {
                        database: cfg.database.clone(),
                        token: web_token,
                    };
                    let stop = shutdown.clone();
                    tokio::spawn(async move {
                        if let Err(e) = web::serve(config, listener, stop).await {
                            tracing::error!(error = %e, "web page stopped");
                        }
                    });
                }
                runner::run(cfg, shutdown)
                    .await
                    .context("agent stopped with an error")?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Status(args) => {
                let db = cli::connect(&database_config(args.database_url.as_deref())?).await?;
                let mut out = std::io::stdout().lock();
                cli::status::run(&db, &mut out).await?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Sync(args) => {
                let db = cli::connect(&database_config(args.database_url.as_deref())?).await?;
                let stdout = std::io::stdout();
                let progress = if stdout.is_terminal() && !args.no_progress_bar {
                    cli::sync::Progress::Bar
                } else {
                    cli::sync::Progress::Lines
                };
                let opts = cli::sync::SyncOptions {
                    company: args.company,
                    action: args.action,
                    tables: args.tables,
                    timeout: args.timeout,
                    poll: Duration::from_millis(500),
                    progress,
                };
                let cancel = async {
                    if tokio::signal::ctrl_c().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                };
                let mut out = stdout.lock();
                let report = cli::sync::run(&db, &opts, &mut out, cancel).await?;
                Ok(ExitCode::from(report.outcome.exit_code()))
            }
            Command::Logs(args) => {
                let cfg = database_config(args.database_url.as_deref())?;
                let db = cli::connect(&cfg).await?;
                let text = cli::logs::bundle(&db, &cfg, args.company.as_deref()).await?;
                let path = args.output.unwrap_or_else(|| {
                    format!("qbsync-logs-{}.md", chrono::Utc::now().format("%Y%m%d-%H%M%S")).into()
                });
                if path.as_os_str() == "-" {
                    print!("{text}");
                } else {
                    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("troubleshooting bundle written to {}", path.display());
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Qwc(args) => {
                let db = qbsync_agent::db::connect(&database_config(args.database_url.as_deref())?)
                    .await
                    .context("connecting to PostgreSQL")?;
                let row = db
                    .query_opt(
                        "SELECT c.name, c.qbwc_owner_id, c.qbwc_file_id, q.user_name FROM qbsync.company c \
                         JOIN qbsync.qbwc_credential q ON q.company_id = c.id WHERE c.name = $1 AND c.kind = 'qbd'",
                        &[&args.company],
                    )
                    .await
                    .context("reading the company")?;
                let Some(row) = row else {
                    anyhow::bail!("no QuickBooks Desktop company \"{}\" (see qbsync.qb_add_qbd_company)", args.company);
                };
                let support = match args.url.split_once("://") {
                    Some((scheme, rest)) => format!("{scheme}://{}/", rest.split('/').next().unwrap_or(rest)),
                    None => args.url.clone(),
                };
                let settings = qbwc::qwc::QwcSettings {
                    app_name: format!("qbsync {}", row.get::<_, String>(0)),
                    app_url: args.url.clone(),
                    support_url: support,
                    user_name: row.get(3),
                    owner_id: row.get::<_, Option<String>>(1).unwrap_or_default(),
                    file_id: row.get::<_, Option<String>>(2).unwrap_or_default(),
                    run_every_minutes: args.minutes,
                };
                let xml = settings.to_xml()?;
                match args.output {
                    Some(path) => std::fs::write(&path, xml).with_context(|| format!("writing {}", path.display()))?,
                    None => print!("{xml}"),
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Sandbox(args) => {
                let config = qbsync_sandbox::SandboxConfig {
                    bind: args.bind,
                    seed: qbsync_sandbox::SeedSize::scaled(args.customers),
                    time_scale: args.time_scale,
                    ..Default::default()
                };
                let sandbox = qbsync_sandbox::start(config)
                    .await
                    .context("starting the sandbox")?;
                println!("QuickBooks Online sandbox on {}", sandbox.base_url());
                println!("  api_base   {}", sandbox.api_base());
                println!("  token_url  {}", sandbox.token_url());
                println!("  realm_id   {}", sandbox.realm_id());
                let d = qbsync_sandbox::SandboxConfig::default();
                println!("  client     {} / {}", d.client_id, d.client_secret);
                println!("  refresh    {}", d.refresh_token);
                let mut stop = shutdown_signal();
                let _ = stop.changed().await;
                sandbox.shutdown().await;
                Ok(ExitCode::SUCCESS)
            }
            Command::Keygen(args) => {
                let key = qbsync_secret::generate();
                qbsync_secret::write_new_secret_key(&args.output, &key)?;
                let public = key.public_key();
                println!("secret key written to {} (keep it with the agent; it never goes to the database)", args.output.display());
                println!("public key {} ({})", public.to_base64(), public.fingerprint());
                println!("register it in the database (as a qbsync_admin):");
                println!("  SELECT qbsync.qb_set_agent_key('{}');", public.to_base64());
                println!("then start the agent with --secret-key-file {}", args.output.display());
                Ok(ExitCode::SUCCESS)
            }
            Command::Rekey(args) => {
                let old = qbsync_secret::read_secret_key(&args.old_key_file).context("reading the old key")?;
                let new = qbsync_secret::read_secret_key(&args.new_key_file).context("reading the new key")?;
                let mut db = qbsync_agent::db::connect(&database_config(args.database_url.as_deref())?)
                    .await
                    .context("connecting to PostgreSQL")?;
                let n = qbsync_agent::keys::rekey(&mut db, &old, &new).await?;
                println!(
                    "re-sealed the secrets of {n} companies to {}; restart the agents with --secret-key-file {}",
                    new.public_key().fingerprint(),
                    args.new_key_file.display()
                );
                Ok(ExitCode::SUCCESS)
            }
            Command::Demo(args) => {
                let admin = database_config(args.database_url.as_deref())?;
                demo::run(admin, &args.database, args.customers).await?;
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}
