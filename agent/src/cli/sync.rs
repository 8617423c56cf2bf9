//! `qbsync-agent sync <company> [populate|refresh|update]`: queues a task through the SQL API
//! and follows its row until it ends, with a progress bar on a terminal and plain lines
//! otherwise. A running agent does the work; the command only watches (and asks it to stop).

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::future::Future;
use std::io::Write;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

/// What to run; each is one SQL function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Action {
    /// Full load from QuickBooks (`qb_populate`).
    Populate,
    /// Changes since the last sync (`qb_refresh`).
    Refresh,
    /// Push the rows whose operation is set (`qb_update`).
    Update,
}

impl Action {
    fn function(self) -> &'static str {
        match self {
            Action::Populate => "qbsync.qb_populate",
            Action::Refresh => "qbsync.qb_refresh",
            Action::Update => "qbsync.qb_update",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Action::Populate => "populate",
            Action::Refresh => "refresh",
            Action::Update => "update",
        }
    }
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// An indicatif bar (standard output is a terminal).
    Bar,
    /// One line per change of progress (a pipe, a file, a CI log).
    Lines,
}

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub company: String,
    pub action: Action,
    /// Mirror tables; None for every enabled table.
    pub tables: Option<Vec<String>>,
    /// How long to wait for the task to end.
    pub timeout: Duration,
    /// How often the task row is read.
    pub poll: Duration,
    pub progress: Progress,
}

/// How the followed task ended (or why the command stopped following it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Failed(String),
    Stopped(String),
    /// The task had not ended when the timeout passed; it was left as it was.
    TimedOut {
        status: String,
    },
}

impl Outcome {
    /// Process exit code: 0 done, 1 failed, 2 stopped, 3 timed out.
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::Failed(_) => 1,
            Outcome::Stopped(_) => 2,
            Outcome::TimedOut { .. } => 3,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SyncReport {
    pub task: i64,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq)]
struct TaskState {
    status: String,
    entities_done: i32,
    entities_total: i32,
    rows_done: i64,
    current_entity: Option<String>,
    errors: i32,
    error: Option<String>,
}

impl TaskState {
    fn finished(&self) -> bool {
        !matches!(self.status.as_str(), "queued" | "running")
    }

    fn line(&self, task: i64) -> String {
        let mut s = format!(
            "task {task} {}: {}/{} entities, {} rows",
            self.status, self.entities_done, self.entities_total, self.rows_done
        );
        if let Some(e) = &self.current_entity {
            s.push_str(&format!(", current {e}"));
        }
        if self.errors > 0 {
            s.push_str(&format!(", {} errors", self.errors));
        }
        s
    }
}

async fn read_state(db: &Client, task: i64) -> anyhow::Result<TaskState> {
    let r = db
        .query_one(
            "SELECT status, entities_done, entities_total, rows_done, current_entity, errors, error \
             FROM qbsync.task WHERE id = $1",
            &[&task],
        )
        .await
        .map_err(|e| anyhow::anyhow!(crate::error::describe_db_error(&e)))
        .with_context(|| format!("reading task {task}"))?;
    Ok(TaskState {
        status: r.get(0),
        entities_done: r.get(1),
        entities_total: r.get(2),
        rows_done: r.get(3),
        current_entity: r.get(4),
        errors: r.get(5),
        error: r.get(6),
    })
}

/// Parses `90`, `90s`, `15m`, `1h` or `1h30m` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(n) = s.parse::<u64>() {
        return Ok(Duration::from_secs(n));
    }
    let mut total = 0u64;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(format!("unknown unit '{c}' in \"{s}\" (use s, m, h or d)")),
        };
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("a number must come before '{c}' in \"{s}\""))?;
        total = total.saturating_add(n.saturating_mul(unit));
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!("\"{s}\" ends without a unit (s, m, h or d)"));
    }
    Ok(Duration::from_secs(total))
}

const BAR_TEMPLATE: &str = "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} entities  {msg}";

enum Display {
    Bar(ProgressBar),
    Lines(Option<TaskState>),
}

impl Display {
    fn new(progress: Progress) -> Self {
        match progress {
            Progress::Lines => Display::Lines(None),
            Progress::Bar => {
                let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stdout());
                let style = ProgressStyle::with_template(BAR_TEMPLATE)
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style);
                bar.enable_steady_tick(Duration::from_millis(200));
                Display::Bar(bar)
            }
        }
    }

    fn show<W: Write>(&mut self, out: &mut W, task: i64, state: &TaskState) -> std::io::Result<()> {
        match self {
            Display::Bar(bar) => {
                bar.set_length(state.entities_total.max(0) as u64);
                bar.set_position(state.entities_done.max(0) as u64);
                bar.set_message(format!(
                    "{} {} rows {}",
                    state.status,
                    state.rows_done,
                    state.current_entity.as_deref().unwrap_or("")
                ));
                Ok(())
            }
            Display::Lines(last) => {
                if last.as_ref() != Some(state) {
                    writeln!(out, "{}", state.line(task))?;
                    out.flush()?;
                    *last = Some(state.clone());
                }
                Ok(())
            }
        }
    }

    fn message<W: Write>(&self, out: &mut W, text: &str) -> std::io::Result<()> {
        match self {
            Display::Bar(bar) => {
                bar.println(text);
                Ok(())
            }
            Display::Lines(_) => {
                writeln!(out, "{text}")?;
                out.flush()
            }
        }
    }

    fn finish(&self) {
        if let Display::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// Queues the task and follows it. `cancel` resolving (Ctrl-C) asks the task to stop with
/// `qb_stop` and keeps following it until it has stopped.
pub async fn run<W: Write>(
    db: &Client,
    opts: &SyncOptions,
    out: &mut W,
    cancel: impl Future<Output = ()>,
) -> anyhow::Result<SyncReport> {
    let task: i64 = db
        .query_one(
            &format!("SELECT {}($1, $2)", opts.action.function()),
            &[&opts.company, &opts.tables],
        )
        .await
        .map_err(|e| anyhow::anyhow!(crate::error::describe_db_error(&e)))
        .with_context(|| format!("{} {}", opts.action.name(), opts.company))?
        .get(0);
    let started = Instant::now();
    let deadline = started + opts.timeout;
    let mut display = Display::new(opts.progress);
    display.message(
        out,
        &format!(
            "{} {}: task {task} queued (waiting for an agent to run it)",
            opts.action.name(),
            opts.company
        ),
    )?;
    tokio::pin!(cancel);
    let mut cancelled = false;
    let outcome = loop {
        let state = read_state(db, task).await?;
        display.show(out, task, &state)?;
        if state.finished() {
            let summary = state.line(task);
            display.finish();
            if matches!(display, Display::Bar(_)) {
                writeln!(out, "{summary}")?;
            }
            break match state.status.as_str() {
                "done" => Outcome::Done,
                "stopped" => Outcome::Stopped(state.error.unwrap_or_else(|| "stopped".into())),
                _ => Outcome::Failed(state.error.unwrap_or_else(|| state.status.clone())),
            };
        }
        let now = Instant::now();
        if now >= deadline {
            display.finish();
            break Outcome::TimedOut {
                status: state.status,
            };
        }
        let wait = opts.poll.min(deadline - now);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = &mut cancel, if !cancelled => {
                cancelled = true;
                display.message(out, &format!("stopping task {task} (qb_stop); it stops at the next entity boundary"))?;
                if let Err(e) = db.execute("SELECT qbsync.qb_stop($1)", &[&task]).await {
                    // It may have ended meanwhile: the next read says how.
                    display.message(out, &format!("qb_stop: {}", crate::error::describe_db_error(&e)))?;
                }
            }
        }
    };
    match &outcome {
        Outcome::Done => writeln!(
            out,
            "{} {}: done in {:.1}s",
            opts.action.name(),
            opts.company,
            started.elapsed().as_secs_f64()
        )?,
        Outcome::Failed(e) => writeln!(out, "task {task} failed: {e}")?,
        Outcome::Stopped(e) => writeln!(out, "task {task} stopped: {e}")?,
        Outcome::TimedOut { status } => writeln!(
            out,
            "gave up waiting after {}s: task {task} is still {status}. {} It is left as it is: \
             follow it in qbsync.status, or stop it with SELECT qbsync.qb_stop({task});",
            opts.timeout.as_secs(),
            if status == "queued" {
                "No agent has picked it up: is `qbsync-agent run` running against this database?"
            } else {
                "The agent is still working on it."
            }
        )?,
    }
    out.flush()?;
    Ok(SyncReport { task, outcome })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("45s"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("1h5").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn the_bar_template_is_valid() {
        assert!(ProgressStyle::with_template(BAR_TEMPLATE).is_ok());
    }

    #[test]
    fn exit_codes_tell_outcomes_apart() {
        assert_eq!(Outcome::Done.exit_code(), 0);
        assert_ne!(Outcome::Failed("x".into()).exit_code(), 0);
        assert_ne!(Outcome::Stopped("x".into()).exit_code(), 0);
        assert_ne!(
            Outcome::TimedOut {
                status: "queued".into()
            }
            .exit_code(),
            0
        );
    }
}
