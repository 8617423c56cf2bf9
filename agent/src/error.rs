//! The agent's error type, with the decision it implies.

use crate::qbo::QboError;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("database: {}", describe_db_error(.0))]
    Db(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Qbo(#[from] QboError),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    #[error("stopped")]
    Shutdown,
}

impl AgentError {
    /// Whether the work can be retried later unchanged (network, throttle, database blip).
    pub fn is_transient(&self) -> bool {
        match self {
            AgentError::Db(e) => e.is_closed() || e.as_db_error().is_none(),
            AgentError::Qbo(e) => e.is_transient(),
            AgentError::Invalid(_) | AgentError::Key(_) => false,
            AgentError::Shutdown => true,
        }
    }
}

/// tokio-postgres prints only "db error"; the server's message, detail and hint are what help.
pub fn describe_db_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{} ({})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(&format!("; {d}"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("; hint: {h}"));
            }
            s
        }
        None => e.to_string(),
    }
}
