//! QuickBooks Desktop sync, one Web Connector exchange at a time: the Web Connector asks for a
//! qbXML message set, runs it against the company file and hands the response back, so each
//! task is a state machine the session advances between `sendRequestXML` and
//! `receiveResponseXML`.

pub mod populate;

use crate::error::AgentError;
use populate::Populate;
use tokio_postgres::Client;

/// The work a session is doing.
pub enum Work {
    Populate(Populate),
}

impl Work {
    pub fn task(&self) -> i64 {
        match self {
            Work::Populate(p) => p.task,
        }
    }

    /// The next qbXML message set.
    pub fn request(&self) -> Result<String, AgentError> {
        match self {
            Work::Populate(p) => p.request(),
        }
    }

    /// Takes QuickBooks' response; true when the task is complete.
    pub async fn absorb(
        &mut self,
        db: &mut Client,
        company: i64,
        response: &str,
    ) -> Result<bool, AgentError> {
        match self {
            Work::Populate(p) => p.absorb(db, company, response).await,
        }
    }

    /// Percent done, below 100.
    pub fn progress(&self) -> i32 {
        match self {
            Work::Populate(p) => p.progress(),
        }
    }
}
