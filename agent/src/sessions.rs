//! Database sessions for the company workers, kept between turns: a task starts on a warm
//! backend with its staging tables made, instead of opening (and warming) a new session for
//! every task. Sessions come back only from a turn that ended cleanly, with its lease given back.

use crate::db;
use crate::sync::stage;
use std::sync::{Arc, Mutex};
use tokio_postgres::Client;
use tracing::debug;

pub struct Sessions {
    database: tokio_postgres::Config,
    idle: Mutex<Vec<Client>>,
    /// Idle sessions kept at most; the rest are closed.
    cap: usize,
}

impl Sessions {
    pub fn new(database: tokio_postgres::Config, cap: usize) -> Self {
        Sessions {
            database,
            idle: Mutex::new(Vec::new()),
            cap,
        }
    }

    /// An idle session, or a new one.
    pub async fn take(&self) -> Result<Client, tokio_postgres::Error> {
        match self.take_idle() {
            Some(c) => Ok(c),
            None => self.open().await,
        }
    }

    /// An idle session that is still open, if any.
    pub fn take_idle(&self) -> Option<Client> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(c) = idle.pop() {
            if !c.is_closed() {
                return Some(c);
            }
        }
        None
    }

    /// A new session with its staging tables.
    pub async fn open(&self) -> Result<Client, tokio_postgres::Error> {
        let c = db::connect(&self.database).await?;
        stage::prepare(&c).await?;
        Ok(c)
    }

    /// Opens `n` sessions in the background and keeps them idle, so that the agent's first
    /// task (a company's populate, say: a worker session and its writers) starts on open ones
    /// as later tasks do. A session that cannot be opened now is opened when a task needs it.
    pub fn warm(self: &Arc<Self>, n: usize) {
        for _ in 0..n.min(self.cap) {
            let sessions = Arc::clone(self);
            tokio::spawn(async move {
                match sessions.open().await {
                    Ok(c) => sessions.give_back([c]),
                    Err(e) => debug!(error = %e, "could not open a session ahead of the work"),
                }
            });
        }
    }

    /// Keeps `sessions` for later turns (up to the cap). Only sessions outside any transaction
    /// and holding no lease may come back.
    pub fn give_back(&self, sessions: impl IntoIterator<Item = Client>) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        for c in sessions {
            if idle.len() < self.cap && !c.is_closed() {
                idle.push(c);
            }
        }
    }
}
