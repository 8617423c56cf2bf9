//! A simulated QuickBooks Web Connector (QBWC): the SOAP *client* that polls an agent's `AppURL`
//! and relays qbXML to QuickBooks (reference `shared/docs/quickbooks-desktop.md` §1–§6, §19,
//! §20). QuickBooks itself is reached through [`QuickBooksHost`].
//!
//! - [`client`]: HTTP with QBWC's headers (quoted `SOAPAction`, `Expect: 100-continue`,
//!   keep-alive, the .NET `User-Agent`);
//! - [`session`]: one update session, the call sequence of §4 with the return conventions of §3;
//! - [`scheduler`]: runs sessions every `RunEveryNMinutes`/`RunEveryNSeconds`;
//! - [`qwc`]: the .QWC registration file.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use qbsync_sandbox::qbwc::*;
//! # async fn demo(host: Arc<dyn QuickBooksHost>, qwc: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let config = WebConnectorConfig::from_qwc(qwc, "secret")?;
//! let wc = WebConnector::new(config, host)?;
//! let report = wc.run_session().await;
//! println!("{:?} after {} requests", report.end, report.requests);
//! # Ok(()) }
//! ```

pub mod client;
pub mod host;
pub mod qwc;
pub mod scheduler;
pub mod session;

pub use client::{ClientError, HttpOptions, SoapClient};
pub use host::{Hresult, QuickBooksHost};
pub use qwc::{QwcError, QwcFile, RunEvery};
pub use scheduler::{ScheduleOptions, SchedulerHandle};
pub use session::{CallRecord, LastErrorCause, SessionEnd, SessionReport};

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The client version QBWC 2.3 reports in `clientVersion`.
pub const DEFAULT_CLIENT_VERSION: &str = "2.3.0.215";

/// `0x80040401`, the failure the open-company-file knob injects.
pub fn could_not_access_quickbooks() -> Hresult {
    Hresult {
        code: "0x80040401".into(),
        message: "Could not access QuickBooks.".into(),
    }
}

/// What the simulated user does after `getInteractiveURL` (no browser here).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InteractiveChoice {
    /// Calls `interactiveDone(wcTicket)`.
    #[default]
    Done,
    /// Calls `interactiveRejected(wcTicket, reason)`.
    Reject(String),
}

/// One registered application as the Web Connector knows it.
#[derive(Debug, Clone)]
pub struct WebConnectorConfig {
    /// `AppURL`: the agent's SOAP endpoint.
    pub app_url: String,
    /// `UserName` (`strUserName`).
    pub user_name: String,
    /// The password entered in QBWC (`strPassword`).
    pub password: String,
    /// `OwnerID` of the .QWC: owner of the `FileID` DataExt in the HCP response.
    pub owner_id: String,
    /// `FileID` of the .QWC.
    pub file_id: String,
    /// `strVersion` of `clientVersion`.
    pub client_version: String,
    /// `qbXMLCountry`.
    pub country: String,
    /// The .QWC `Scheduler` interval, if any.
    pub run_every: Option<Duration>,
    /// Pause after `getLastError` = `NoOp` before the next `sendRequestXML` (QBWC: 5 s).
    pub noop_wait: Duration,
    /// Simulator-only guard against endless loops: most `sendRequestXML` calls per session
    /// (and most `connectionError` retries).
    pub max_round_trips: u32,
    /// Whether the simulated user continues after a `clientVersion` `W:` warning.
    pub accept_warnings: bool,
    /// What the simulated user does in interactive mode.
    pub interactive: InteractiveChoice,
    pub http: HttpOptions,
}

impl WebConnectorConfig {
    pub fn new(
        app_url: impl Into<String>,
        user_name: impl Into<String>,
        password: impl Into<String>,
        owner_id: impl Into<String>,
        file_id: impl Into<String>,
    ) -> Self {
        WebConnectorConfig {
            app_url: app_url.into(),
            user_name: user_name.into(),
            password: password.into(),
            owner_id: owner_id.into(),
            file_id: file_id.into(),
            client_version: DEFAULT_CLIENT_VERSION.into(),
            country: "US".into(),
            run_every: None,
            noop_wait: Duration::from_secs(5),
            max_round_trips: 10_000,
            accept_warnings: true,
            interactive: InteractiveChoice::Done,
            http: HttpOptions::default(),
        }
    }

    /// From a .QWC document plus the password the user types into QBWC.
    pub fn from_qwc(qwc: &str, password: impl Into<String>) -> Result<Self, QwcError> {
        Ok(Self::from_qwc_file(&QwcFile::parse(qwc)?, password))
    }

    pub fn from_qwc_file(qwc: &QwcFile, password: impl Into<String>) -> Self {
        let mut c = Self::new(
            qwc.app_url.clone(),
            qwc.user_name.clone(),
            password,
            qwc.owner_id.clone(),
            qwc.file_id.clone(),
        );
        c.run_every = qwc.scheduler.map(|s| s.interval());
        c
    }
}

#[derive(Debug, Default)]
struct KnobState {
    drop_next_response: bool,
    fail_opens: u32,
    garble_responses: u32,
}

/// Fault injection, shared (clones are the same knobs): a test, or the simulated company file
/// itself, arms them while a session runs.
#[derive(Debug, Clone, Default)]
pub struct Knobs(Arc<Mutex<KnobState>>);

impl Knobs {
    fn state(&self) -> MutexGuard<'_, KnobState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next qbXML request is applied by QuickBooks, then the transport drops: its
    /// `receiveResponseXML` is never sent and the session ends as on a connection loss.
    pub fn drop_next_response(&self) {
        self.state().drop_next_response = true;
    }

    /// Whether a response drop is armed.
    pub fn is_drop_armed(&self) -> bool {
        self.state().drop_next_response
    }

    /// The next `times` attempts to open the company file fail with `0x80040401` (reported to
    /// the agent with `connectionError`) without reaching the host.
    pub fn fail_next_open(&self, times: u32) {
        self.state().fail_opens = times;
    }

    /// The next `count` qbXML answers are applied by QuickBooks as usual, then sent to the
    /// agent in `receiveResponseXML` with a byte that is not UTF-8 inside the first `Name`
    /// (see [`session::garble_offset`], [`session::garbled_envelope`]).
    pub fn garble_next_responses(&self, count: u32) {
        self.state().garble_responses = count;
    }

    /// Disarms everything.
    pub fn clear(&self) {
        *self.state() = KnobState::default();
    }

    pub(crate) fn take_drop(&self) -> bool {
        std::mem::take(&mut self.state().drop_next_response)
    }

    pub(crate) fn take_garble(&self) -> bool {
        let mut s = self.state();
        let armed = s.garble_responses > 0;
        s.garble_responses = s.garble_responses.saturating_sub(1);
        armed
    }

    pub(crate) fn take_open_failure(&self) -> bool {
        let mut s = self.state();
        if s.fail_opens > 0 {
            s.fail_opens -= 1;
            true
        } else {
            false
        }
    }
}

/// The simulated Web Connector for one registered application and one QuickBooks.
pub struct WebConnector {
    config: WebConnectorConfig,
    host: Arc<dyn QuickBooksHost>,
    client: Mutex<SoapClient>,
    knobs: Knobs,
}

impl std::fmt::Debug for WebConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConnector")
            .field("app_url", &self.config.app_url)
            .field("user_name", &self.config.user_name)
            .finish()
    }
}

impl WebConnector {
    pub fn new(
        config: WebConnectorConfig,
        host: Arc<dyn QuickBooksHost>,
    ) -> Result<Self, ClientError> {
        let client = SoapClient::new(&config.app_url, &config.http)?;
        Ok(WebConnector {
            config,
            host,
            client: Mutex::new(client),
            knobs: Knobs::default(),
        })
    }

    /// Shares `knobs` (e.g. a handle the simulated company file holds, so it can ask for the
    /// next response to be dropped).
    pub fn with_knobs(mut self, knobs: Knobs) -> Self {
        self.knobs = knobs;
        self
    }

    pub fn config(&self) -> &WebConnectorConfig {
        &self.config
    }

    pub fn host(&self) -> &Arc<dyn QuickBooksHost> {
        &self.host
    }

    /// The fault-injection knobs (clone to keep a handle).
    pub fn knobs(&self) -> &Knobs {
        &self.knobs
    }

    /// One update session ("Update Selected").
    pub async fn run_session(&self) -> SessionReport {
        session::run(self).await
    }

    /// Runs sessions on the .QWC schedule until stopped (see [`scheduler`]).
    pub fn start_scheduler(self: &Arc<Self>, options: ScheduleOptions) -> SchedulerHandle {
        scheduler::start(Arc::clone(self), options)
    }

    fn client(&self) -> SoapClient {
        self.client
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A connection loss: pooled keep-alive connections are closed with the old client.
    fn reset_client(&self) {
        if let Ok(fresh) = SoapClient::new(&self.config.app_url, &self.config.http) {
            *self.client.lock().unwrap_or_else(|p| p.into_inner()) = fresh;
        }
    }
}
