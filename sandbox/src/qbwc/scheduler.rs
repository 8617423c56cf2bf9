//! Auto-run: a session every `RunEveryNMinutes`/`RunEveryNSeconds` (the .QWC `Scheduler`),
//! one at a time, until stopped or until `max_sessions` have run.
//!
//! - The interval counts from the start of one session to the start of the next (a session
//!   longer than the interval is followed at once).
//! - `authenticate[2]` (seconds to wait before the next update) postpones the next session to
//!   that many seconds after the session ended; `authenticate[3]` (minimum run-every-N-seconds)
//!   raises the interval from then on.
//! - `time_scale` = simulated seconds per real second: 60 turns a 5-minute schedule into 5 s.
//! - Without a schedule (no `Scheduler` in the .QWC and no `interval` option) one session runs,
//!   like "Update Selected".
//! - Stopping interrupts the wait between sessions; a running session finishes first.

use super::session::SessionReport;
use super::WebConnector;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct ScheduleOptions {
    /// Overrides the .QWC interval (simulated time).
    pub interval: Option<Duration>,
    /// Simulated seconds per real second (> 0; 1.0 = real time).
    pub time_scale: f64,
    /// Stop by itself after this many sessions.
    pub max_sessions: Option<u32>,
    /// Run the first session at once (otherwise after one interval).
    pub run_immediately: bool,
}

impl Default for ScheduleOptions {
    fn default() -> Self {
        ScheduleOptions {
            interval: None,
            time_scale: 1.0,
            max_sessions: None,
            run_immediately: true,
        }
    }
}

/// A running scheduler.
#[derive(Debug)]
pub struct SchedulerHandle {
    stop: watch::Sender<bool>,
    reports: Arc<Mutex<Vec<SessionReport>>>,
    task: JoinHandle<()>,
}

impl SchedulerHandle {
    /// The reports of the sessions run so far.
    pub fn reports(&self) -> Vec<SessionReport> {
        self.reports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn sessions_run(&self) -> usize {
        self.reports.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether the scheduler has stopped (by itself or after [`SchedulerHandle::stop`]).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Stops after the running session (if any) and returns every report.
    pub async fn stop(self) -> Vec<SessionReport> {
        let _ = self.stop.send(true);
        self.join().await
    }

    /// Waits until the scheduler stops by itself (`max_sessions`, or no schedule).
    pub async fn join(self) -> Vec<SessionReport> {
        let _ = self.task.await;
        std::mem::take(&mut *self.reports.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

pub(crate) fn start(wc: Arc<WebConnector>, options: ScheduleOptions) -> SchedulerHandle {
    let (stop, mut stopped) = watch::channel(false);
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reports);
    let task = tokio::spawn(async move {
        let scale = if options.time_scale.is_finite() && options.time_scale > 0.0 {
            options.time_scale
        } else {
            1.0
        };
        let real = |simulated: Duration| simulated.div_f64(scale);
        let mut interval = options.interval.or(wc.config().run_every);
        let mut next = if options.run_immediately {
            Instant::now()
        } else {
            Instant::now() + real(interval.unwrap_or_default())
        };
        let mut runs = 0u32;
        loop {
            if options.max_sessions.is_some_and(|max| runs >= max) {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(next) => {}
                _ = stopped.wait_for(|s| *s) => break,
            }
            if *stopped.borrow() {
                break;
            }
            let started = Instant::now();
            let report = wc.run_session().await;
            runs += 1;
            if let (Some(i), Some(min)) = (interval, report.min_run_every_seconds) {
                interval = Some(i.max(Duration::from_secs(min)));
            }
            let wait = report.wait_seconds.filter(|w| *w > 0);
            sink.lock().unwrap_or_else(|p| p.into_inner()).push(report);
            let Some(every) = interval else { break };
            next = match wait {
                Some(w) => Instant::now() + real(Duration::from_secs(w)),
                None => started + real(every),
            };
        }
    });
    SchedulerHandle {
        stop,
        reports,
        task,
    }
}
