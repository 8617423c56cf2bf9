//! The sync operations for one QuickBooks Online company: populate (full load), refresh
//! (changes since the cursor) and push (rows whose `operation` is set).

pub mod fetch;
pub mod populate;
pub mod push;
pub mod refresh;
pub mod report;
pub mod stage;
pub mod writer;

// Quoting for QuickBooks query strings; in the catalogue so the fuzz targets reach it.
pub use qbsync_catalog::query_literal;

use crate::config::AgentConfig;
use crate::error::AgentError;
use crate::qbo::QboClient;
use std::sync::Arc;
use tokio::sync::watch;
use tokio_postgres::Client;

/// A company as the agent needs it.
#[derive(Debug, Clone)]
pub struct Company {
    pub id: i64,
    pub name: String,
    pub realm_id: String,
    pub api_base: String,
    pub token_url: String,
    pub operation_result: bool,
}

/// Everything an operation on one company needs; owned by that company's worker.
pub struct CompanyCtx {
    pub company: Company,
    pub db: Client,
    /// The connections populate writes on (see [`writer`]), opened by the first load of the
    /// worker's turn and kept for the rest of it.
    pub writer_dbs: Vec<Client>,
    /// Where sessions come from (and go back to at the end of the turn).
    pub sessions: Arc<crate::sessions::Sessions>,
    pub qbo: Arc<QboClient>,
    pub cfg: Arc<AgentConfig>,
    pub shutdown: watch::Receiver<bool>,
}

impl CompanyCtx {
    pub fn check_shutdown(&self) -> Result<(), AgentError> {
        if *self.shutdown.borrow() {
            Err(AgentError::Shutdown)
        } else {
            Ok(())
        }
    }
}
