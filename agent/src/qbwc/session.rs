//! Web Connector sessions: a ticket per successful `authenticate`, the company it belongs to,
//! what QuickBooks told us in the first `sendRequestXML`, and the last error for `getLastError`.

use super::hcp::HostInfo;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sessions without a call for this long are forgotten (the Web Connector gave up).
const IDLE_LIMIT: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, Clone)]
pub struct Session {
    pub company_id: i64,
    pub company: String,
    pub last_seen: Instant,
    pub host: Option<HostInfo>,
    /// Text for `getLastError`: why the last call ended the exchange.
    pub last_error: Option<String>,
    /// Message sets sent and answered in this session.
    pub exchanges: u32,
    /// Whether the session already started a push of its own (once per session: rows a lock
    /// kept back wait for the next one).
    pub pushed: bool,
    /// Answers in a row that could not be read because they were not UTF-8 (reset by any
    /// readable answer); bounds how often one request is asked again.
    pub unreadable_in_a_row: u32,
}

#[derive(Default)]
pub struct Sessions {
    by_ticket: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    pub fn open(&self, company_id: i64, company: &str) -> String {
        let ticket = uuid::Uuid::new_v4().to_string();
        let mut map = self.by_ticket.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, s| s.last_seen.elapsed() < IDLE_LIMIT);
        map.insert(
            ticket.clone(),
            Session {
                company_id,
                company: company.to_string(),
                last_seen: Instant::now(),
                host: None,
                last_error: None,
                exchanges: 0,
                pushed: false,
                unreadable_in_a_row: 0,
            },
        );
        ticket
    }

    /// Runs `f` on the session of `ticket`; None for an unknown or expired ticket.
    pub fn with<R>(&self, ticket: &str, f: impl FnOnce(&mut Session) -> R) -> Option<R> {
        let mut map = self.by_ticket.lock().unwrap_or_else(|e| e.into_inner());
        let s = map
            .get_mut(ticket)
            .filter(|s| s.last_seen.elapsed() < IDLE_LIMIT)?;
        s.last_seen = Instant::now();
        Some(f(s))
    }

    /// Tickets of the open sessions of a company.
    pub fn tickets_of(&self, company_id: i64) -> Vec<String> {
        self.by_ticket
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, s)| s.company_id == company_id)
            .map(|(t, _)| t.clone())
            .collect()
    }

    pub fn close(&self, ticket: &str) -> Option<Session> {
        self.by_ticket
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(ticket)
    }

    pub fn len(&self) -> usize {
        self.by_ticket.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
