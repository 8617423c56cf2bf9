//! The agent's error type, with the decision it implies.

use crate::qbo::QboError;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("database: {0}")]
    Db(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Qbo(#[from] QboError),
    #[error("{0}")]
    Invalid(String),
    #[error("stopped")]
    Shutdown,
}

impl AgentError {
    /// Whether the work can be retried later unchanged (network, throttle, database blip).
    pub fn is_transient(&self) -> bool {
        match self {
            AgentError::Db(e) => e.is_closed() || e.as_db_error().is_none(),
            AgentError::Qbo(e) => e.is_transient(),
            AgentError::Invalid(_) => false,
            AgentError::Shutdown => true,
        }
    }
}
