//! `qbsync-agent`: run the sync agent, the loopback QuickBooks sandbox, or the demo.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use qbsync_agent::{database_config, demo, runner, AgentConfig};
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
        .unwrap_or_else(|_| EnvFilter::new("info,tokio_postgres=warn"));
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

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(cli.log_json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Run(args) => {
                let mut cfg = AgentConfig::new(database_config(args.database_url.as_deref())?);
                cfg.sweep_interval = Duration::from_millis(args.sweep_interval_ms.max(100));
                cfg.requests_per_minute = args.requests_per_minute;
                runner::run(cfg, shutdown_signal())
                    .await
                    .context("agent stopped with an error")
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
                Ok(())
            }
            Command::Demo(args) => {
                let admin = database_config(args.database_url.as_deref())?;
                demo::run(admin, &args.database, args.customers).await
            }
        }
    })
}
