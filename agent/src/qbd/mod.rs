//! QuickBooks Desktop sync, one Web Connector exchange at a time: the Web Connector asks for a
//! qbXML message set, runs it against the company file and hands the response back, so each
//! task is a state machine the session advances between `sendRequestXML` and
//! `receiveResponseXML`.

pub mod populate;
pub mod push;
pub mod report;

use crate::error::AgentError;
use populate::Populate;
use push::Push;
use report::RunReport;
use tokio_postgres::Client;

/// The work a session is doing.
pub enum Work {
    Populate(Populate),
    Report(RunReport),
    Push(Push),
}

impl Work {
    /// The task the work belongs to; None for a push the session started on its own.
    pub fn task(&self) -> Option<i64> {
        match self {
            Work::Populate(p) => Some(p.task),
            Work::Report(r) => Some(r.task),
            Work::Push(p) => p.task(),
        }
    }

    /// The next qbXML message set.
    pub fn request(&self) -> Result<String, AgentError> {
        match self {
            Work::Populate(p) => p.request(),
            Work::Report(r) => r.request(),
            Work::Push(p) => p.request(),
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
            Work::Report(r) => r.absorb(db, company, response).await,
            Work::Push(p) => p.absorb(db, company, response).await,
        }
    }

    /// QuickBooks could not process the last request (`hresult` in receiveResponseXML); the
    /// work records what that means for its rows before the task ends.
    pub async fn rejected(
        &mut self,
        db: &mut Client,
        company: i64,
        hresult: &str,
        message: &str,
    ) -> Result<(), AgentError> {
        match self {
            Work::Push(p) => p.rejected(db, company, hresult, message).await,
            Work::Populate(_) | Work::Report(_) => Ok(()),
        }
    }

    /// Percent done, below 100.
    pub fn progress(&self) -> i32 {
        match self {
            Work::Populate(p) => p.progress(),
            Work::Report(_) => 50,
            Work::Push(p) => p.progress(),
        }
    }
}
