//! One update session, in the order QBWC makes the calls (reference §3, §4, §19, §20 items 1–8):
//!
//! ```text
//! serverVersion → clientVersion (W:/E:/O:) → authenticate
//!   nvu → end            none/busy → closeConnection
//!   ""/path → open the company file (failure → connectionError: done / "" / path)
//! sendRequestXML (first: HCP response) ⇄ QuickBooks ⇄ receiveResponseXML
//!   ""  → getLastError      0..99 → sendRequestXML      100 → closeConnection
//!   < 0 → getLastError      getLastError: NoOp → wait, sendRequestXML again;
//!                           "Interactive mode" → getInteractiveURL → interactiveDone/Rejected
//!                           other text → closeConnection
//! ```

use super::client::ClientError;
use super::host::{Hresult, QuickBooksHost};
use super::{could_not_access_quickbooks, InteractiveChoice, SoapClient, WebConnector};
use qbsync_qbxml::soap::{Call, Reply};
use std::sync::Arc;

/// QBWC's log line when a service faults on `serverVersion` / `clientVersion`: the update goes on.
const NO_SUPPORT: &str =
    "This application does not contain support for {op}. Allowing update operation for backward compatibility.";

/// One SOAP call of a session and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub call: Call,
    pub result: Result<Reply, ClientError>,
}

impl CallRecord {
    pub fn operation(&self) -> &'static str {
        self.call.operation()
    }
}

/// Why QBWC called `getLastError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastErrorCause {
    /// `sendRequestXML` returned `""`.
    EmptyRequest,
    /// `receiveResponseXML` returned this negative value.
    Negative(i32),
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// `receiveResponseXML` returned 100; `closeConnection` answered `message`.
    Closed { message: String },
    /// `getLastError` answered `message` (shown to the user), then `closeConnection` answered
    /// `close_message`. After `sendRequestXML` = `""` this is the usual end of a session.
    LastError {
        cause: LastErrorCause,
        message: String,
        close_message: String,
    },
    /// `authenticate` answered `nvu`: no further call.
    NotValidUser,
    /// `authenticate` answered `none` (or `busy`, treated alike, §19); `closeConnection` followed.
    NoWork {
        busy: bool,
        wait_seconds: Option<u64>,
        close_message: String,
    },
    /// `clientVersion` answered `E:`/`O:` (or `W:` and the user declined); no further call.
    ClientVersionRejected { answer: String },
    /// Opening the company file failed and `connectionError` answered `done` (no further call).
    ConnectionError {
        hresult: String,
        message: String,
        answer: String,
    },
    /// `getLastError` answered `Interactive mode`.
    Interactive { url: String, close_message: String },
    /// The fault knob dropped the transport after QuickBooks applied request number
    /// `after_requests`; its `receiveResponseXML` was never sent.
    TransportDropped { after_requests: u32 },
    /// A call failed (transport, HTTP status, SOAP fault, unreadable or unexpected reply);
    /// QBWC shows the error and ends the session.
    Failed {
        operation: &'static str,
        error: ClientError,
    },
    /// The simulator's round-trip cap was reached (`closeConnection` is called when a ticket
    /// is held and the cap hit the request loop).
    RoundTripCap {
        limit: u32,
        close_message: Option<String>,
    },
    /// The QuickBooks host panicked.
    HostFailed { message: String },
}

/// What happened in one session. Tests assert on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionReport {
    /// Every SOAP call in order, with its result.
    pub calls: Vec<CallRecord>,
    pub end: SessionEnd,
    /// qbXML requests QuickBooks processed (exchanges).
    pub requests: u32,
    /// `serverVersion`'s answer.
    pub server_version: Option<String>,
    /// `clientVersion` `W:` texts and the backward-compatibility notes.
    pub warnings: Vec<String>,
    /// `authenticate[0]`.
    pub ticket: Option<String>,
    /// The company file opened (`strCompanyFileName`).
    pub company_file: Option<String>,
    /// `authenticate[2]`: seconds to wait before the next update.
    pub wait_seconds: Option<u64>,
    /// `authenticate[3]`: minimum run-every-N-seconds.
    pub min_run_every_seconds: Option<u64>,
    /// `getInteractiveURL`'s answer.
    pub interactive_url: Option<String>,
    /// One entry per answer sent garbled (the fault knob or the host asked for it): the byte
    /// offset in the qbXML response where the byte that is not UTF-8 was put. The recorded
    /// `receiveResponseXML` call holds the response as QuickBooks wrote it.
    pub garbled: Vec<usize>,
}

impl SessionReport {
    fn new() -> Self {
        SessionReport {
            calls: Vec::new(),
            end: SessionEnd::NotValidUser,
            requests: 0,
            server_version: None,
            warnings: Vec::new(),
            ticket: None,
            company_file: None,
            wait_seconds: None,
            min_run_every_seconds: None,
            interactive_url: None,
            garbled: Vec::new(),
        }
    }

    /// The operation names in call order.
    pub fn operations(&self) -> Vec<&'static str> {
        self.calls.iter().map(CallRecord::operation).collect()
    }

    /// The text `getLastError` returned last (what QBWC shows as the error).
    pub fn last_error(&self) -> Option<&str> {
        self.calls
            .iter()
            .rev()
            .find_map(|c| match (&c.call, &c.result) {
                (Call::GetLastError { .. }, Ok(Reply::Text(t))) => Some(t.as_str()),
                _ => None,
            })
    }

    /// The values `receiveResponseXML` returned, in order.
    pub fn progress(&self) -> Vec<i32> {
        self.calls
            .iter()
            .filter_map(|c| match (&c.call, &c.result) {
                (Call::ReceiveResponseXml { .. }, Ok(Reply::Int(i))) => Some(*i),
                _ => None,
            })
            .collect()
    }

    /// The qbXML requests the agent sent (non-empty `sendRequestXML` answers).
    pub fn sent_requests(&self) -> Vec<&str> {
        self.calls
            .iter()
            .filter_map(|c| match (&c.call, &c.result) {
                (Call::SendRequestXml { .. }, Ok(Reply::Text(t))) if !t.is_empty() => {
                    Some(t.as_str())
                }
                _ => None,
            })
            .collect()
    }
}

/// What follows `getLastError`.
enum Next {
    SendAgain,
    End(SessionEnd),
}

struct Session<'a> {
    wc: &'a WebConnector,
    client: SoapClient,
    report: SessionReport,
    touched_quickbooks: bool,
}

pub(crate) async fn run(wc: &WebConnector) -> SessionReport {
    let mut s = Session {
        wc,
        client: wc.client(),
        report: SessionReport::new(),
        touched_quickbooks: false,
    };
    let end = match s.drive().await {
        Ok(end) | Err(end) => end,
    };
    if s.touched_quickbooks {
        // Iterators die with the session.
        let _ = s.host(|h| h.end_session()).await;
    }
    tracing::debug!(end = ?end, requests = s.report.requests, "Web Connector session ended");
    s.report.end = end;
    s.report
}

impl Session<'_> {
    /// One recorded SOAP call.
    async fn raw(&mut self, call: Call) -> Result<Reply, ClientError> {
        tracing::trace!(operation = call.operation(), "Web Connector call");
        let result = self.client.call(&call).await;
        self.report.calls.push(CallRecord {
            call,
            result: result.clone(),
        });
        result
    }

    /// One recorded SOAP call sent with `body` as its envelope.
    async fn raw_with_body(&mut self, call: Call, body: Vec<u8>) -> Result<Reply, SessionEnd> {
        let result = self.client.call_with_body(&call, body).await;
        let operation = call.operation();
        self.report.calls.push(CallRecord {
            call,
            result: result.clone(),
        });
        result.map_err(|error| SessionEnd::Failed { operation, error })
    }

    async fn call(&mut self, call: Call) -> Result<Reply, SessionEnd> {
        let operation = call.operation();
        self.raw(call)
            .await
            .map_err(|error| SessionEnd::Failed { operation, error })
    }

    /// A call whose result is a string.
    async fn text(&mut self, call: Call) -> Result<String, SessionEnd> {
        let operation = call.operation();
        match self.call(call).await? {
            Reply::Text(t) => Ok(t),
            other => Err(unexpected(operation, &other)),
        }
    }

    async fn host<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn QuickBooksHost) -> T + Send + 'static,
    ) -> Result<T, SessionEnd> {
        let host = Arc::clone(&self.wc.host);
        tokio::task::spawn_blocking(move || f(host.as_ref()))
            .await
            .map_err(|e| SessionEnd::HostFailed {
                message: e.to_string(),
            })
    }

    async fn close(&mut self, ticket: &str) -> Result<String, SessionEnd> {
        self.text(Call::CloseConnection {
            ticket: ticket.to_string(),
        })
        .await
    }

    async fn drive(&mut self) -> Result<SessionEnd, SessionEnd> {
        let wc = self.wc;
        let cfg = &wc.config;

        match self.raw(Call::ServerVersion { str_version: None }).await {
            Ok(Reply::Text(v)) => self.report.server_version = Some(v),
            Ok(other) => return Err(unexpected("serverVersion", &other)),
            Err(ClientError::Fault { .. }) => self
                .report
                .warnings
                .push(NO_SUPPORT.replace("{op}", "serverVersion")),
            Err(error) => {
                return Err(SessionEnd::Failed {
                    operation: "serverVersion",
                    error,
                })
            }
        }

        let answer = match self
            .raw(Call::ClientVersion {
                str_version: cfg.client_version.clone(),
            })
            .await
        {
            Ok(Reply::Text(t)) => t,
            Ok(other) => return Err(unexpected("clientVersion", &other)),
            Err(ClientError::Fault { .. }) => {
                self.report
                    .warnings
                    .push(NO_SUPPORT.replace("{op}", "clientVersion"));
                String::new()
            }
            Err(error) => {
                return Err(SessionEnd::Failed {
                    operation: "clientVersion",
                    error,
                })
            }
        };
        if let Some(warning) = answer.strip_prefix("W:") {
            self.report.warnings.push(warning.to_string());
            if !cfg.accept_warnings {
                return Ok(SessionEnd::ClientVersionRejected { answer });
            }
        } else if answer.starts_with("E:") || answer.starts_with("O:") {
            return Ok(SessionEnd::ClientVersionRejected { answer });
        }

        let strings = match self
            .call(Call::Authenticate {
                user_name: cfg.user_name.clone(),
                password: cfg.password.clone(),
            })
            .await?
        {
            Reply::Strings(s) if s.len() >= 2 => s,
            other => return Err(unexpected("authenticate", &other)),
        };
        let ticket = strings[0].clone();
        let status = strings[1].clone();
        self.report.ticket = Some(ticket.clone());
        self.report.wait_seconds = strings.get(2).and_then(|s| s.trim().parse().ok());
        self.report.min_run_every_seconds = strings.get(3).and_then(|s| s.trim().parse().ok());
        if status.eq_ignore_ascii_case("nvu") {
            return Ok(SessionEnd::NotValidUser);
        }
        let busy = status.eq_ignore_ascii_case("busy");
        if busy || status.eq_ignore_ascii_case("none") {
            let close_message = self.close(&ticket).await?;
            return Ok(SessionEnd::NoWork {
                busy,
                wait_seconds: self.report.wait_seconds,
                close_message,
            });
        }

        // Open the company file ("" = the one open in QuickBooks).
        self.touched_quickbooks = true;
        let mut target = if status.is_empty() {
            self.host(|h| h.company_file_name()).await?
        } else {
            status
        };
        let mut failures = 0u32;
        loop {
            let opened: Result<(), Hresult> = if wc.knobs.take_open_failure() {
                Err(could_not_access_quickbooks())
            } else {
                let path = target.clone();
                self.host(move |h| h.open(&path)).await?
            };
            let Err(h) = opened else { break };
            failures += 1;
            let answer = self
                .text(Call::ConnectionError {
                    ticket: ticket.clone(),
                    hresult: h.code.clone(),
                    message: h.message.clone(),
                })
                .await?;
            if answer.eq_ignore_ascii_case("done") {
                return Ok(SessionEnd::ConnectionError {
                    hresult: h.code,
                    message: h.message,
                    answer,
                });
            }
            if failures >= cfg.max_round_trips {
                return Ok(SessionEnd::RoundTripCap {
                    limit: cfg.max_round_trips,
                    close_message: None,
                });
            }
            target = if answer.is_empty() {
                self.host(|h| h.company_file_name()).await?
            } else {
                answer
            };
        }
        self.report.company_file = Some(target.clone());

        let versions = self.host(|h| h.supported_versions()).await?;
        let (major_version, minor_version) = highest_version(&versions);
        let mut first = true;
        let mut round_trips = 0u32;
        loop {
            if round_trips >= cfg.max_round_trips {
                let close_message = self.close(&ticket).await?;
                return Ok(SessionEnd::RoundTripCap {
                    limit: cfg.max_round_trips,
                    close_message: Some(close_message),
                });
            }
            round_trips += 1;
            let hcp_response = if first {
                let (owner, file) = (cfg.owner_id.clone(), cfg.file_id.clone());
                self.host(move |h| h.hcp_response(&owner, &file)).await?
            } else {
                String::new()
            };
            first = false;
            let request = self
                .text(Call::SendRequestXml {
                    ticket: ticket.clone(),
                    hcp_response,
                    company_file_name: target.clone(),
                    country: cfg.country.clone(),
                    major_version,
                    minor_version,
                })
                .await?;
            if request.is_empty() {
                match self
                    .after_error(&ticket, LastErrorCause::EmptyRequest)
                    .await?
                {
                    Next::SendAgain => continue,
                    Next::End(end) => return Ok(end),
                }
            }

            self.report.requests += 1;
            let processed = self.host(move |h| h.process(&request)).await?;
            // The Web Connector's own knob, or the company file asking for its answer to be lost.
            let host_drop = self.host(|h| h.take_drop_response()).await?;
            if wc.knobs.take_drop() || host_drop {
                // QuickBooks applied the request; the answer never reaches the agent.
                wc.reset_client();
                return Ok(SessionEnd::TransportDropped {
                    after_requests: self.report.requests,
                });
            }
            // Garbled after QuickBooks processed (and applied) the request: the answer that
            // reaches the agent is not UTF-8.
            let garble = match &processed {
                Ok(response) if wc.knobs.take_garble() => Some(garble_offset(response)),
                Ok(response) => {
                    let response = response.clone();
                    self.host(move |h| h.take_garble(&response)).await?
                }
                Err(_) => None,
            };
            let (response, hresult, message) = match processed {
                Ok(response) => (response, String::new(), String::new()),
                Err(h) => (String::new(), h.code, h.message),
            };
            let call = Call::ReceiveResponseXml {
                ticket: ticket.clone(),
                response,
                hresult,
                message,
            };
            let reply = if let Some(offset) = garble {
                let body = garbled_envelope(&call, offset);
                self.report.garbled.push(offset);
                self.raw_with_body(call, body).await?
            } else {
                self.call(call).await?
            };
            let percent = match reply {
                Reply::Int(i) => i,
                other => return Err(unexpected("receiveResponseXML", &other)),
            };
            if percent < 0 {
                match self
                    .after_error(&ticket, LastErrorCause::Negative(percent))
                    .await?
                {
                    Next::SendAgain => continue,
                    Next::End(end) => return Ok(end),
                }
            }
            if percent >= 100 {
                let message = self.close(&ticket).await?;
                return Ok(SessionEnd::Closed { message });
            }
        }
    }

    /// `getLastError` and what its answer leads to.
    async fn after_error(
        &mut self,
        ticket: &str,
        cause: LastErrorCause,
    ) -> Result<Next, SessionEnd> {
        let message = self
            .text(Call::GetLastError {
                ticket: ticket.to_string(),
            })
            .await?;
        if message.eq_ignore_ascii_case("NoOp") {
            tokio::time::sleep(self.wc.config.noop_wait).await;
            return Ok(Next::SendAgain);
        }
        if message.eq_ignore_ascii_case("Interactive mode") {
            return Ok(Next::End(self.interactive(ticket).await?));
        }
        let close_message = self.close(ticket).await?;
        Ok(Next::End(SessionEnd::LastError {
            cause,
            message,
            close_message,
        }))
    }

    /// Interactive mode: QBWC would open the URL in a browser; the simulated user finishes (or
    /// rejects) at once.
    async fn interactive(&mut self, ticket: &str) -> Result<SessionEnd, SessionEnd> {
        let url = self
            .text(Call::GetInteractiveUrl {
                wc_ticket: ticket.to_string(),
                session_id: format!("{{{}}}", uuid::Uuid::new_v4()).to_uppercase(),
            })
            .await?;
        self.report.interactive_url = Some(url.clone());
        let follow_up = match &self.wc.config.interactive {
            InteractiveChoice::Done => Call::InteractiveDone {
                wc_ticket: ticket.to_string(),
            },
            InteractiveChoice::Reject(reason) => Call::InteractiveRejected {
                wc_ticket: ticket.to_string(),
                reason: reason.clone(),
            },
        };
        self.text(follow_up).await?;
        let close_message = self.close(ticket).await?;
        Ok(SessionEnd::Interactive { url, close_message })
    }
}

/// The byte a Latin-1 company file writes for `é`; never valid UTF-8 before ASCII.
pub const LATIN1_E_ACUTE: u8 = 0xE9;

/// Where a garbled answer gets its stray byte: inside the text of the first `<Name>` (a name
/// in Latin-1), else inside the first `statusMessage`, else at the start.
pub fn garble_offset(response: &str) -> usize {
    const NAME: &str = "<Name>";
    const STATUS: &str = "statusMessage=\"";
    response
        .find(NAME)
        .map(|p| p + NAME.len())
        .or_else(|| response.find(STATUS).map(|p| p + STATUS.len()))
        .unwrap_or(0)
}

/// The envelope of `call` (a `receiveResponseXML`) with [`LATIN1_E_ACUTE`] put into its qbXML
/// response at byte `offset` (e.g. [`garble_offset`]; moved back to a character boundary if
/// needed). Other calls are written as they are.
pub fn garbled_envelope(call: &Call, offset: usize) -> Vec<u8> {
    let Call::ReceiveResponseXml {
        ticket,
        response,
        hresult,
        message,
    } = call
    else {
        return qbsync_qbxml::soap::call_envelope(call).into_bytes();
    };
    let mut offset = offset.min(response.len());
    while !response.is_char_boundary(offset) {
        offset -= 1;
    }
    // An ASCII marker the escaping leaves alone, replaced by the byte once written.
    let mut marker = String::from("qbsync-garble-7f3a9c");
    while response.contains(&marker) || ticket.contains(&marker) || message.contains(&marker) {
        marker.push('x');
    }
    let marked = Call::ReceiveResponseXml {
        ticket: ticket.clone(),
        response: format!("{}{marker}{}", &response[..offset], &response[offset..]),
        hresult: hresult.clone(),
        message: message.clone(),
    };
    let mut body = qbsync_qbxml::soap::call_envelope(&marked).into_bytes();
    if let Some(at) = body
        .windows(marker.len())
        .position(|w| w == marker.as_bytes())
    {
        body.splice(at..at + marker.len(), [LATIN1_E_ACUTE]);
    }
    body
}

fn unexpected(operation: &'static str, reply: &Reply) -> SessionEnd {
    SessionEnd::Failed {
        operation,
        error: ClientError::UnexpectedReply {
            operation,
            reply: format!("{reply:?}"),
        },
    }
}

/// The highest `major.minor` the host advertises (`13.0` when it advertises nothing readable).
fn highest_version(versions: &[String]) -> (i32, i32) {
    versions
        .iter()
        .filter_map(|v| {
            let (major, minor) = v.trim().split_once('.').unwrap_or((v.trim(), "0"));
            Some((major.parse::<i32>().ok()?, minor.parse::<i32>().ok()?))
        })
        .max()
        .unwrap_or((13, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_garbled_answer_has_one_latin1_byte_inside_the_first_name() {
        let response = "<?xml version=\"1.0\" ?>\r\n<QBXML><QBXMLMsgsRs><CustomerAddRs requestID=\"customer.1\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\"><CustomerRet><ListID>80000001-1</ListID><Name>A &amp; B</Name></CustomerRet></CustomerAddRs></QBXMLMsgsRs></QBXML>";
        let call = Call::ReceiveResponseXml {
            ticket: "T".into(),
            response: response.into(),
            hresult: String::new(),
            message: String::new(),
        };
        let offset = garble_offset(response);
        assert_eq!(&response[offset - 6..offset], "<Name>");
        let body = garbled_envelope(&call, offset);
        assert!(std::str::from_utf8(&body).is_err());
        assert_eq!(body.iter().filter(|&&b| b == LATIN1_E_ACUTE).count(), 1);
        // The agent's reading: the envelope and ticket are fine, the response is not UTF-8
        // exactly there.
        match qbsync_qbxml::soap::parse_call_bytes(&body) {
            Ok(qbsync_qbxml::soap::ParsedCall::UnreadableResponse {
                ticket, invalid, ..
            }) => {
                assert_eq!(ticket, "T");
                assert_eq!(invalid.offset, offset);
                assert_eq!(invalid.len, response.len() + 1);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(garble_offset("<QBXML statusMessage=\"x\"/>"), 22);
        assert_eq!(garble_offset("<QBXML/>"), 0);
    }

    #[test]
    fn highest_version_is_numeric() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(highest_version(&v(&["1.0", "2.1", "13.0", "5.0"])), (13, 0));
        assert_eq!(highest_version(&v(&["1.0", "16.0", "x"])), (16, 0));
        assert_eq!(highest_version(&v(&["8"])), (8, 0));
        assert_eq!(highest_version(&[]), (13, 0));
    }
}
