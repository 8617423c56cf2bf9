//! qbsync benchmarks: the real agent binary, PostgreSQL with the installed extension and the
//! sandbox on loopback, plus the tap-quickbooks peer. Prints figures and writes them as JSON for
//! bench/plot.py and docs/benchmarks.md. Run through bench/run.sh (it builds and installs
//! everything first).

mod agent;
mod peer;
mod populate;
mod push;
mod scaleout;
mod setup;
mod throttled;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "qbsync benchmarks (see docs/benchmarks.md)")]
struct Cli {
    /// The agent binary under test (a release build).
    #[arg(long, default_value = "target/release/qbsync-agent")]
    agent: PathBuf,
    /// Python of the venv with bench/peer/requirements.txt; without it the peer is skipped.
    #[arg(long, env = "QBSYNC_BENCH_PYTHON")]
    peer_python: Option<PathBuf>,
    /// Where the figures go (JSON).
    #[arg(long, default_value = "bench/results/latest.json")]
    out: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Everything below, in one run.
    All(AllArgs),
    /// Populate at each size, with the bare COPY ceiling and the peer.
    Populate(PopulateArgs),
    /// Push latency one row at a time, and throughput of many rows flagged at once.
    Push(PushArgs),
    /// Populate and push against QuickBooks' limits (500 requests, 40 batch calls a minute, 10
    /// in flight) in scaled time: useful work as a share of the best any client could do.
    Throttled(ThrottledArgs),
    /// Many companies, each throttled like QuickBooks: one agent with a cap on companies worked
    /// at once, then two such agents on the same database.
    ScaleOut(ScaleOutArgs),
}

#[derive(clap::Args, Clone)]
struct PopulateArgs {
    /// Records in the sandbox per run (customers 40%, items 10%, invoices 50%).
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    sizes: Vec<usize>,
    /// The peer runs at sizes up to this (it reads about 1,000 records/s).
    #[arg(long, default_value_t = 100_000)]
    peer_max: usize,
}

#[derive(clap::Args, Clone)]
struct PushArgs {
    #[arg(long, default_value_t = 1000)]
    singles: usize,
    #[arg(long, default_value_t = 10_000)]
    bulk: usize,
}

#[derive(clap::Args, Clone)]
struct ThrottledArgs {
    /// Simulated seconds per real second, for the sandbox and the agent's limiter alike.
    #[arg(long, default_value_t = 10.0)]
    time_scale: f64,
    /// Customers flagged 'add' by one statement for the throttled push (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    throttled_push_rows: usize,
    /// Customers in the sandbox for the throttled populate (0 skips it).
    #[arg(long, default_value_t = 200_010)]
    throttled_records: usize,
    /// MAXRESULTS of the agent's pages in the throttled populate: small, so that the budget,
    /// not PostgreSQL, is the limit.
    #[arg(long, default_value_t = 10)]
    throttled_page_size: u32,
}

impl ThrottledArgs {
    fn args(&self) -> throttled::ThrottledArgs {
        throttled::ThrottledArgs {
            time_scale: self.time_scale,
            push_rows: self.throttled_push_rows,
            populate_records: self.throttled_records,
            page_size: self.throttled_page_size,
        }
    }
}

#[derive(clap::Args, Clone)]
struct ScaleOutArgs {
    /// Companies, each its own QuickBooks company (sandbox realm).
    #[arg(long, default_value_t = 20)]
    scale_out_companies: usize,
    /// Each agent's --max-companies: 20 companies make 4 rounds of 5 for one agent and 2 for
    /// two, so the ideal ratio is exactly one half.
    #[arg(long, default_value_t = 5)]
    scale_out_max_companies: usize,
    /// Records per company (40% customers, 10% items, 50% invoices).
    #[arg(long, default_value_t = 5000)]
    scale_out_records: usize,
    /// MAXRESULTS of the agents' pages: small, so that each company's budget, not the CPU, is
    /// the limit.
    #[arg(long, default_value_t = 1)]
    scale_out_page_size: u32,
    /// Simulated seconds per real second, for the sandboxes and the agents alike: at 10, a
    /// company's populate of 5,000 one-record pages takes about 18 s, nearly all of it waiting
    /// for its budget (the first minute's burst covers 1,660 pages), and ten companies at once
    /// stay within two CPUs.
    #[arg(long, default_value_t = 10.0)]
    scale_out_time_scale: f64,
}

impl ScaleOutArgs {
    fn args(&self) -> scaleout::ScaleOutArgs {
        scaleout::ScaleOutArgs {
            companies: self.scale_out_companies,
            max_companies: self.scale_out_max_companies,
            records: self.scale_out_records,
            page_size: self.scale_out_page_size,
            time_scale: self.scale_out_time_scale,
        }
    }
}

#[derive(clap::Args, Clone)]
struct AllArgs {
    #[command(flatten)]
    populate: PopulateArgs,
    #[command(flatten)]
    push: PushArgs,
    #[command(flatten)]
    throttled: ThrottledArgs,
    #[command(flatten)]
    scale_out: ScaleOutArgs,
}

#[derive(Debug, Default, Serialize)]
struct Results {
    machine: Machine,
    populate: Vec<populate::PopulateResult>,
    push: Option<push::PushResult>,
    throttled: Option<throttled::ThrottledResult>,
    scale_out: Option<scaleout::ScaleOutResult>,
}

#[derive(Debug, Default, Serialize)]
struct Machine {
    cpus: usize,
    cpu_model: String,
    memory_gib: f64,
    postgres: String,
    date: String,
}

async fn machine() -> Result<Machine> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    let mut cfg = setup::base_config()?;
    cfg.dbname("postgres");
    let db = setup::connect(&cfg).await?;
    let postgres: String = db.query_one("SELECT version()", &[]).await?.get(0);
    Ok(Machine {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model: cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            .unwrap_or_default(),
        memory_gib: mem_kb / 1024.0 / 1024.0,
        postgres,
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
    })
}

async fn run_populate(cli: &Cli, a: &PopulateArgs, r: &mut Results) -> Result<()> {
    for &size in &a.sizes {
        let python = cli.peer_python.as_deref().filter(|_| size <= a.peer_max);
        r.populate
            .push(populate::run(&cli.agent, size, python).await?);
        write(cli, r)?;
    }
    Ok(())
}

fn write(cli: &Cli, r: &Results) -> Result<()> {
    if let Some(dir) = cli.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&cli.out, serde_json::to_string_pretty(r)?)
        .with_context(|| format!("writing {}", cli.out.display()))
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let mut r = Results {
        machine: machine().await?,
        ..Default::default()
    };
    match &cli.command {
        Command::All(a) => {
            run_populate(&cli, &a.populate, &mut r).await?;
            r.push = Some(push::run(&cli.agent, a.push.singles, a.push.bulk).await?);
            write(&cli, &r)?;
            r.throttled = Some(throttled::run(&cli.agent, &a.throttled.args()).await?);
            write(&cli, &r)?;
            r.scale_out = Some(scaleout::run(&cli.agent, &a.scale_out.args()).await?);
        }
        Command::Populate(a) => run_populate(&cli, a, &mut r).await?,
        Command::Push(a) => r.push = Some(push::run(&cli.agent, a.singles, a.bulk).await?),
        Command::Throttled(a) => r.throttled = Some(throttled::run(&cli.agent, &a.args()).await?),
        Command::ScaleOut(a) => r.scale_out = Some(scaleout::run(&cli.agent, &a.args()).await?),
    }
    write(&cli, &r)?;
    println!("{}", serde_json::to_string_pretty(&r)?);
    Ok(())
}
