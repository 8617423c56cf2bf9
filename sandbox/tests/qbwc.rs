//! The simulated Web Connector against a scripted fake agent (a SOAP server in this file) and a
//! fake QuickBooks host: exact call sequences, envelopes and headers (reference §1–§6, §20).

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use qbsync_qbxml::soap::{self, Call, Reply};
use qbsync_sandbox::qbwc::{
    ClientError, Hresult, InteractiveChoice, Knobs, LastErrorCause, QuickBooksHost,
    ScheduleOptions, SessionEnd, WebConnector, WebConnectorConfig,
};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TICKET: &str = "ea0bf596-1b3c-4e4a-9d57-0f2d1c3a5b77";
const FILE: &str = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\Acme & Co.QBW";
const OWNER: &str = "{87EDAAF8-637E-4203-867F-4BA79C2F8998}";
const FILE_ID: &str = "{CA1C3EB8-1B61-4747-A743-8D5B438B83AC}";
const REQ1: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<?qbxml version=\"13.0\"?>\n<QBXML><QBXMLMsgsRq onError=\"continueOnError\"><CustomerQueryRq requestID=\"1\"><FullName>Smith &amp; Sons</FullName></CustomerQueryRq></QBXMLMsgsRq></QBXML>";
const REQ2: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<?qbxml version=\"13.0\"?>\n<QBXML><QBXMLMsgsRq onError=\"continueOnError\"><ItemQueryRq requestID=\"2\"/></QBXMLMsgsRq></QBXML>";
const REQ_BAD: &str = "<?xml version=\"1.0\"?>\n<?qbxml version=\"13.0\"?>\n<QBXML><QBXMLMsgsRq onError=\"rollbackOnError\"><BadRq/></QBXMLMsgsRq></QBXML>";
const PARSE_ERROR: &str = "QuickBooks found an error when parsing the provided XML text stream.";

const ENV_OPEN: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><soap:Body>";
const ENV_CLOSE: &str = "</soap:Body></soap:Envelope>";

// ---------------------------------------------------------------------------------------------
// The fake agent (SOAP server)

struct Recorded {
    headers: HeaderMap,
    body: String,
    call: Call,
    peer: SocketAddr,
    at: Instant,
}

/// A canned HTTP answer for an operation, instead of a SOAP reply.
#[derive(Clone)]
struct Raw {
    status: StatusCode,
    content_type: &'static str,
    body: String,
}

#[derive(Default)]
struct FakeAgent {
    log: Mutex<Vec<Recorded>>,
    replies: Mutex<HashMap<&'static str, VecDeque<Reply>>>,
    raw: Mutex<HashMap<&'static str, Raw>>,
}

impl FakeAgent {
    /// Queues replies for `op` (used in order; afterwards the default).
    fn script(&self, op: &'static str, replies: impl IntoIterator<Item = Reply>) {
        self.replies
            .lock()
            .expect("lock")
            .entry(op)
            .or_default()
            .extend(replies);
    }

    fn raw(&self, op: &'static str, raw: Raw) {
        self.raw.lock().expect("lock").insert(op, raw);
    }

    fn next_reply(&self, call: &Call) -> Reply {
        let op = call.operation();
        if let Some(r) = self
            .replies
            .lock()
            .expect("lock")
            .get_mut(op)
            .and_then(VecDeque::pop_front)
        {
            return r;
        }
        match op {
            "serverVersion" => text("fake-agent 1.0"),
            "authenticate" => strings(&[TICKET, ""]),
            "receiveResponseXML" => Reply::Int(100),
            "connectionError" => text("done"),
            "getLastError" => text("No more work"),
            "closeConnection" => text("OK"),
            "getInteractiveURL" => text("https://localhost/interactive?t=1&u=2"),
            "interactiveDone" => text("Done"),
            _ => text(""),
        }
    }

    fn bodies(&self) -> Vec<String> {
        self.log
            .lock()
            .expect("lock")
            .iter()
            .map(|r| r.body.clone())
            .collect()
    }

    fn operations(&self) -> Vec<&'static str> {
        self.log
            .lock()
            .expect("lock")
            .iter()
            .map(|r| r.call.operation())
            .collect()
    }
}

async fn handle(
    State(agent): State<Arc<FakeAgent>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let xml = [(header::CONTENT_TYPE, "text/xml; charset=utf-8")];
    let call = match soap::parse_call(&body) {
        Ok(c) => c,
        Err(e) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                xml,
                soap::fault_envelope(&e.to_string()),
            )
                .into_response()
        }
    };
    let op = call.operation();
    agent.log.lock().expect("lock").push(Recorded {
        headers,
        body,
        call: call.clone(),
        peer,
        at: Instant::now(),
    });
    if let Some(raw) = agent.raw.lock().expect("lock").get(op).cloned() {
        return (
            raw.status,
            [(header::CONTENT_TYPE, raw.content_type)],
            raw.body,
        )
            .into_response();
    }
    let reply = agent.next_reply(&call);
    (StatusCode::OK, xml, soap::reply_envelope(op, &reply)).into_response()
}

async fn start_agent() -> (Arc<FakeAgent>, String) {
    let agent = Arc::new(FakeAgent::default());
    let app = Router::new()
        .route("/qbwc", post(handle))
        .with_state(Arc::clone(&agent));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    (agent, format!("http://{addr}/qbwc"))
}

fn text(s: &str) -> Reply {
    Reply::Text(s.to_string())
}

fn strings(s: &[&str]) -> Reply {
    Reply::Strings(s.iter().map(|x| x.to_string()).collect())
}

// ---------------------------------------------------------------------------------------------
// The fake QuickBooks

#[derive(Default)]
struct FakeHost {
    opened: Mutex<Vec<String>>,
    open_failures: Mutex<VecDeque<Hresult>>,
    processed: Mutex<Vec<String>>,
    hcp_args: Mutex<Vec<(String, String)>>,
    ended: AtomicU32,
}

fn hcp(owner: &str, file_id: &str) -> String {
    format!(
        "<?xml version=\"1.0\" ?>\n<QBXML>\n<QBXMLMsgsRs>\n<HostQueryRs requestID=\"0\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\">\n<HostRet><ProductName>QuickBooks Pro 2014</ProductName><MajorVersion>24</MajorVersion><MinorVersion>0</MinorVersion><Country>US</Country><SupportedQBXMLVersion>1.0</SupportedQBXMLVersion><SupportedQBXMLVersion>13.0</SupportedQBXMLVersion><IsAutomaticLogin>false</IsAutomaticLogin><QBFileMode>SingleUser</QBFileMode></HostRet>\n</HostQueryRs>\n<CompanyQueryRs requestID=\"1\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\">\n<CompanyRet><IsSampleCompany>false</IsSampleCompany><CompanyName>Acme &amp; Co</CompanyName><DataExtRet><OwnerID>{owner}</OwnerID><DataExtName>FileID</DataExtName><DataExtType>STR255TYPE</DataExtType><DataExtValue>{file_id}</DataExtValue></DataExtRet></CompanyRet>\n</CompanyQueryRs>\n<PreferencesQueryRs requestID=\"2\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\">\n</PreferencesQueryRs>\n</QBXMLMsgsRs>\n</QBXML>\n"
    )
}

fn response_for(n: usize) -> String {
    format!("<?xml version=\"1.0\" ?>\n<QBXML>\n<QBXMLMsgsRs>\n<CustomerQueryRs requestID=\"{n}\" statusCode=\"1\" statusSeverity=\"Info\" statusMessage=\"A query request did not find a matching object in QuickBooks\" />\n</QBXMLMsgsRs>\n</QBXML>\n")
}

impl QuickBooksHost for FakeHost {
    fn company_file_name(&self) -> String {
        FILE.to_string()
    }

    fn supported_versions(&self) -> Vec<String> {
        ["1.0", "2.0", "5.0", "12.0", "13.0"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn hcp_response(&self, owner_id: &str, file_id: &str) -> String {
        self.hcp_args
            .lock()
            .expect("lock")
            .push((owner_id.to_string(), file_id.to_string()));
        hcp(owner_id, file_id)
    }

    fn open(&self, company_file: &str) -> Result<(), Hresult> {
        self.opened
            .lock()
            .expect("lock")
            .push(company_file.to_string());
        match self.open_failures.lock().expect("lock").pop_front() {
            Some(h) => Err(h),
            None => Ok(()),
        }
    }

    fn process(&self, request: &str) -> Result<String, Hresult> {
        let mut p = self.processed.lock().expect("lock");
        p.push(request.to_string());
        if request.contains("rollbackOnError") {
            return Err(Hresult::parse_error());
        }
        Ok(response_for(p.len()))
    }

    fn end_session(&self) {
        self.ended.fetch_add(1, Ordering::SeqCst);
    }
}

impl FakeHost {
    fn processed(&self) -> Vec<String> {
        self.processed.lock().expect("lock").clone()
    }
    fn opened(&self) -> Vec<String> {
        self.opened.lock().expect("lock").clone()
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn qwc(url: &str, schedule: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<QBWCXML>
  <AppName>PG Sync</AppName>
  <AppID></AppID>
  <AppURL>{url}</AppURL>
  <AppDescription>Postgres sync</AppDescription>
  <UserName>sync</UserName>
  <OwnerID>{OWNER}</OwnerID>
  <FileID>{FILE_ID}</FileID>
  <QBType>QBFS</QBType>
  <Style>Document</Style>
  <Scheduler>{schedule}</Scheduler>
  <IsReadOnly>false</IsReadOnly>
  <AuthFlags>0xF</AuthFlags>
</QBWCXML>"#
    )
}

fn config(url: &str) -> WebConnectorConfig {
    let mut c = WebConnectorConfig::from_qwc(
        &qwc(url, "<RunEveryNMinutes>5</RunEveryNMinutes>"),
        "s3cr&t",
    )
    .expect("qwc");
    c.noop_wait = Duration::from_millis(10);
    c
}

async fn setup() -> (Arc<FakeAgent>, Arc<FakeHost>, WebConnectorConfig) {
    let (agent, url) = start_agent().await;
    (agent, Arc::new(FakeHost::default()), config(&url))
}

fn connector(cfg: WebConnectorConfig, host: &Arc<FakeHost>) -> WebConnector {
    WebConnector::new(cfg, Arc::clone(host) as Arc<dyn QuickBooksHost>).expect("connector")
}

fn envelope(inner: &str) -> String {
    format!("{ENV_OPEN}{inner}{ENV_CLOSE}")
}

/// The .NET XmlWriter escaping of text.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn send_envelope(hcp: &str, file: &str) -> String {
    let hcp = if hcp.is_empty() {
        "<strHCPResponse />".to_string()
    } else {
        format!("<strHCPResponse>{}</strHCPResponse>", esc(hcp))
    };
    envelope(&format!(
        "<sendRequestXML xmlns=\"http://developer.intuit.com/\"><ticket>{TICKET}</ticket>{hcp}<strCompanyFileName>{}</strCompanyFileName><qbXMLCountry>US</qbXMLCountry><qbXMLMajorVers>13</qbXMLMajorVers><qbXMLMinorVers>0</qbXMLMinorVers></sendRequestXML>",
        esc(file)
    ))
}

fn ticket_envelope(op: &str) -> String {
    envelope(&format!(
        "<{op} xmlns=\"http://developer.intuit.com/\"><ticket>{TICKET}</ticket></{op}>"
    ))
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn normal_session_two_exchanges_then_100() {
    let (agent, host, cfg) = setup().await;
    agent.script("sendRequestXML", [text(REQ1), text(REQ2)]);
    agent.script("receiveResponseXML", [Reply::Int(50), Reply::Int(100)]);
    let wc = connector(cfg, &host);
    let report = wc.run_session().await;

    let ops = [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ];
    assert_eq!(report.operations(), ops);
    assert_eq!(agent.operations(), ops);
    assert_eq!(
        report.end,
        SessionEnd::Closed {
            message: "OK".into()
        }
    );
    assert_eq!(report.requests, 2);
    assert_eq!(report.progress(), [50, 100]);
    assert_eq!(report.server_version.as_deref(), Some("fake-agent 1.0"));
    assert_eq!(report.ticket.as_deref(), Some(TICKET));
    assert_eq!(report.company_file.as_deref(), Some(FILE));
    assert_eq!(report.sent_requests(), [REQ1, REQ2]);
    assert!(report.calls.iter().all(|c| c.result.is_ok()));

    // The exact envelopes, byte for byte.
    let bodies = agent.bodies();
    assert_eq!(
        bodies[0],
        envelope("<serverVersion xmlns=\"http://developer.intuit.com/\" />")
    );
    assert_eq!(
        bodies[1],
        envelope("<clientVersion xmlns=\"http://developer.intuit.com/\"><strVersion>2.3.0.215</strVersion></clientVersion>")
    );
    assert_eq!(
        bodies[2],
        envelope("<authenticate xmlns=\"http://developer.intuit.com/\"><strUserName>sync</strUserName><strPassword>s3cr&amp;t</strPassword></authenticate>")
    );
    assert_eq!(bodies[3], send_envelope(&hcp(OWNER, FILE_ID), FILE));
    assert!(bodies[3].contains("<strHCPResponse>&lt;?xml version=\"1.0\" ?&gt;\n&lt;QBXML&gt;"));
    assert_eq!(
        bodies[4],
        envelope(&format!(
            "<receiveResponseXML xmlns=\"http://developer.intuit.com/\"><ticket>{TICKET}</ticket><response>{}</response><hresult /><message /></receiveResponseXML>",
            esc(&response_for(1))
        ))
    );
    assert!(bodies[4].contains("<response>&lt;?xml version=\"1.0\" ?&gt;\n&lt;QBXML&gt;\n"));
    assert_eq!(bodies[5], send_envelope("", FILE));
    assert_eq!(bodies[7], ticket_envelope("closeConnection"));

    // Headers of every call, and one keep-alive connection for the session.
    let log = agent.log.lock().expect("lock");
    for r in log.iter() {
        let h = |name: &str| {
            r.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        assert_eq!(
            h("soapaction"),
            format!("\"http://developer.intuit.com/{}\"", r.call.operation())
        );
        assert_eq!(h("content-type"), "text/xml; charset=utf-8");
        assert_eq!(h("expect"), "100-continue");
        assert!(h("connection").eq_ignore_ascii_case("keep-alive"));
        assert_eq!(
            h("user-agent"),
            "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 2.0.50727.1433)"
        );
    }
    assert!(log.iter().all(|r| r.peer == log[0].peer), "one connection");
    drop(log);

    // QuickBooks saw the qbXML unescaped, the .QWC's owner/file ids, one session.
    assert_eq!(host.opened(), [FILE]);
    assert_eq!(host.processed(), [REQ1, REQ2]);
    assert_eq!(
        *host.hcp_args.lock().expect("lock"),
        [(OWNER.to_string(), FILE_ID.to_string())]
    );
    assert_eq!(host.ended.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn empty_send_request_ends_with_get_last_error() {
    let (agent, host, cfg) = setup().await;
    agent.script("sendRequestXML", [text(REQ1), text("")]);
    agent.script("receiveResponseXML", [Reply::Int(0)]);
    agent.script("getLastError", [text("Sync complete: 1 request")]);
    agent.script("closeConnection", [text("Complete!")]);
    let report = connector(cfg, &host).run_session().await;
    assert_eq!(
        report.operations(),
        [
            "serverVersion",
            "clientVersion",
            "authenticate",
            "sendRequestXML",
            "receiveResponseXML",
            "sendRequestXML",
            "getLastError",
            "closeConnection"
        ]
    );
    assert_eq!(
        report.end,
        SessionEnd::LastError {
            cause: LastErrorCause::EmptyRequest,
            message: "Sync complete: 1 request".into(),
            close_message: "Complete!".into(),
        }
    );
    assert_eq!(report.last_error(), Some("Sync complete: 1 request"));
    assert_eq!(report.requests, 1);
    assert_eq!(agent.bodies()[6], ticket_envelope("getLastError"));
    assert_eq!(host.ended.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn nvu_ends_after_authenticate() {
    let (agent, host, cfg) = setup().await;
    agent.script("authenticate", [strings(&["", "nvu"])]);
    let report = connector(cfg, &host).run_session().await;
    assert_eq!(
        report.operations(),
        ["serverVersion", "clientVersion", "authenticate"]
    );
    assert_eq!(agent.operations().len(), 3);
    assert_eq!(report.end, SessionEnd::NotValidUser);
    assert!(host.opened().is_empty());
    assert_eq!(host.ended.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn none_and_busy_close_without_exchange() {
    let (agent, host, cfg) = setup().await;
    agent.script(
        "authenticate",
        [
            strings(&[TICKET, "none", "30", "120"]),
            strings(&[TICKET, "busy"]),
        ],
    );
    let wc = connector(cfg, &host);
    let report = wc.run_session().await;
    assert_eq!(
        report.operations(),
        [
            "serverVersion",
            "clientVersion",
            "authenticate",
            "closeConnection"
        ]
    );
    assert_eq!(
        report.end,
        SessionEnd::NoWork {
            busy: false,
            wait_seconds: Some(30),
            close_message: "OK".into()
        }
    );
    assert_eq!(report.wait_seconds, Some(30));
    assert_eq!(report.min_run_every_seconds, Some(120));
    assert_eq!(agent.bodies()[3], ticket_envelope("closeConnection"));

    let report = wc.run_session().await;
    assert_eq!(
        report.end,
        SessionEnd::NoWork {
            busy: true,
            wait_seconds: None,
            close_message: "OK".into()
        }
    );
    assert!(host.opened().is_empty());
    assert!(host.processed().is_empty());
}

#[tokio::test]
async fn negative_receive_response_gets_last_error_then_closes() {
    let (agent, host, cfg) = setup().await;
    agent.script("sendRequestXML", [text(REQ1)]);
    agent.script("receiveResponseXML", [Reply::Int(-101)]);
    agent.script("getLastError", [text("Customer table is locked")]);
    let report = connector(cfg, &host).run_session().await;
    assert_eq!(
        report.operations(),
        [
            "serverVersion",
            "clientVersion",
            "authenticate",
            "sendRequestXML",
            "receiveResponseXML",
            "getLastError",
            "closeConnection"
        ]
    );
    assert_eq!(
        report.end,
        SessionEnd::LastError {
            cause: LastErrorCause::Negative(-101),
            message: "Customer table is locked".into(),
            close_message: "OK".into(),
        }
    );
}

#[tokio::test]
async fn noop_waits_then_sends_again() {
    let (agent, host, mut cfg) = setup().await;
    cfg.noop_wait = Duration::from_millis(300);
    agent.script("sendRequestXML", [text(""), text(REQ1)]);
    agent.script("getLastError", [text("NoOp")]);
    let report = connector(cfg, &host).run_session().await;
    assert_eq!(
        report.operations(),
        [
            "serverVersion",
            "clientVersion",
            "authenticate",
            "sendRequestXML",
            "getLastError",
            "sendRequestXML",
            "receiveResponseXML",
            "closeConnection"
        ]
    );
    assert_eq!(
        report.end,
        SessionEnd::Closed {
            message: "OK".into()
        }
    );
    let log = agent.log.lock().expect("lock");
    let paused = log[5].at.duration_since(log[4].at);
    assert!(paused >= Duration::from_millis(300), "{paused:?}");
    // Only the session's first sendRequestXML carries the HCP response.
    assert_eq!(log[3].body, send_envelope(&hcp(OWNER, FILE_ID), FILE));
    assert_eq!(log[5].body, send_envelope("", FILE));
    assert_eq!(host.processed(), [REQ1]);
}

#[tokio::test]
async fn default_noop_wait_is_five_seconds() {
    let c = WebConnectorConfig::new("http://localhost/q", "u", "p", OWNER, FILE_ID);
    assert_eq!(c.noop_wait, Duration::from_secs(5));
    assert_eq!(c.client_version, "2.3.0.215");
    assert_eq!(c.country, "US");
}

#[tokio::test]
async fn client_version_error_warning_and_update_required() {
    let (agent, host, cfg) = setup().await;
    agent.script(
        "clientVersion",
        [
            text("E:This server needs Web Connector 2.3 or later"),
            text("O:2.3.0.215"),
            text("W:Please upgrade soon"),
        ],
    );
    let wc = connector(cfg.clone(), &host);
    let report = wc.run_session().await;
    assert_eq!(report.operations(), ["serverVersion", "clientVersion"]);
    assert_eq!(
        report.end,
        SessionEnd::ClientVersionRejected {
            answer: "E:This server needs Web Connector 2.3 or later".into()
        }
    );
    let report = wc.run_session().await;
    assert_eq!(report.operations(), ["serverVersion", "clientVersion"]);
    assert_eq!(
        report.end,
        SessionEnd::ClientVersionRejected {
            answer: "O:2.3.0.215".into()
        }
    );
    // W: and the user accepts: the session goes on.
    let report = wc.run_session().await;
    assert_eq!(report.warnings, ["Please upgrade soon"]);
    assert_eq!(
        report.operations(),
        [
            "serverVersion",
            "clientVersion",
            "authenticate",
            "sendRequestXML",
            "getLastError",
            "closeConnection"
        ]
    );
    // W: and the user declines.
    agent.script("clientVersion", [text("W:Please upgrade soon")]);
    let mut declining = cfg;
    declining.accept_warnings = false;
    let report = connector(declining, &host).run_session().await;
    assert_eq!(report.operations(), ["serverVersion", "clientVersion"]);
    assert_eq!(
        report.end,
        SessionEnd::ClientVersionRejected {
            answer: "W:Please upgrade soon".into()
        }
    );
}

#[tokio::test]
async fn connection_error_on_open_answered_done() {
    let (agent, host, cfg) = setup().await;
    let wc = connector(cfg, &host);
    wc.knobs().fail_next_open(1);
    let report = wc.run_session().await;
    assert_eq!(
        report.operations(),
        [
            "serverVersion",
            "clientVersion",
            "authenticate",
            "connectionError"
        ]
    );
    assert_eq!(
        agent.bodies()[3],
        envelope(&format!("<connectionError xmlns=\"http://developer.intuit.com/\"><ticket>{TICKET}</ticket><hresult>0x80040401</hresult><message>Could not access QuickBooks.</message></connectionError>"))
    );
    assert_eq!(
        report.end,
        SessionEnd::ConnectionError {
            hresult: "0x80040401".into(),
            message: "Could not access QuickBooks.".into(),
            answer: "done".into()
        }
    );
    assert!(host.opened().is_empty(), "the knob fails before QuickBooks");
    // The knob was one-shot.
    let report = wc.run_session().await;
    assert!(matches!(report.end, SessionEnd::LastError { .. }));
    assert_eq!(host.opened(), [FILE]);
}

#[tokio::test]
async fn connection_error_retries_current_file_and_given_path() {
    let (agent, host, cfg) = setup().await;
    agent.script(
        "authenticate",
        [strings(&[TICKET, "C:\\Company\\Wrong.QBW"])],
    );
    agent.script(
        "connectionError",
        [text(""), text("C:\\Company\\Right.QBW")],
    );
    let not_running = Hresult {
        code: "0x80040416".into(),
        message: "If the QuickBooks company data file is not open, a call to the \"BeginSession\" method must include the name of the data file.".into(),
    };
    host.open_failures
        .lock()
        .expect("lock")
        .extend([not_running.clone(), not_running]);
    let report = connector(cfg, &host).run_session().await;
    assert_eq!(
        report.operations(),
        [
            "serverVersion",
            "clientVersion",
            "authenticate",
            "connectionError",
            "connectionError",
            "sendRequestXML",
            "getLastError",
            "closeConnection"
        ]
    );
    // The path from authenticate, then the open file (""), then the path from connectionError.
    assert_eq!(
        host.opened(),
        ["C:\\Company\\Wrong.QBW", FILE, "C:\\Company\\Right.QBW"]
    );
    assert_eq!(
        report.company_file.as_deref(),
        Some("C:\\Company\\Right.QBW")
    );
    assert!(agent.bodies()[3].contains("<hresult>0x80040416</hresult>"));
    assert!(agent.bodies()[5]
        .contains("<strCompanyFileName>C:\\Company\\Right.QBW</strCompanyFileName>"));
}

#[tokio::test]
async fn parse_error_hresult_is_forwarded() {
    let (agent, host, cfg) = setup().await;
    agent.script("sendRequestXML", [text(REQ_BAD)]);
    agent.script("receiveResponseXML", [Reply::Int(100)]);
    let report = connector(cfg, &host).run_session().await;
    assert_eq!(
        report.operations(),
        [
            "serverVersion",
            "clientVersion",
            "authenticate",
            "sendRequestXML",
            "receiveResponseXML",
            "closeConnection"
        ]
    );
    assert_eq!(
        agent.bodies()[4],
        envelope(&format!("<receiveResponseXML xmlns=\"http://developer.intuit.com/\"><ticket>{TICKET}</ticket><response /><hresult>0x80040400</hresult><message>{PARSE_ERROR}</message></receiveResponseXML>"))
    );
    match &report.calls[4].call {
        Call::ReceiveResponseXml {
            response,
            hresult,
            message,
            ..
        } => {
            assert_eq!(response, "");
            assert_eq!(hresult, "0x80040400");
            assert_eq!(message, PARSE_ERROR);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(host.processed(), [REQ_BAD]);
}

#[tokio::test]
async fn dropped_transport_after_quickbooks_applied_the_request() {
    let (agent, host, cfg) = setup().await;
    agent.script("sendRequestXML", [text(REQ1), text(REQ2)]);
    // A knob handle shared before the connector exists (as the company file would hold it).
    let knobs = Knobs::default();
    let wc = connector(cfg, &host).with_knobs(knobs.clone());
    knobs.drop_next_response();
    assert!(wc.knobs().is_drop_armed());
    let report = wc.run_session().await;
    assert_eq!(
        report.operations(),
        [
            "serverVersion",
            "clientVersion",
            "authenticate",
            "sendRequestXML"
        ]
    );
    assert_eq!(
        report.end,
        SessionEnd::TransportDropped { after_requests: 1 }
    );
    assert_eq!(report.requests, 1);
    // QuickBooks applied it; the agent never heard back.
    assert_eq!(host.processed(), [REQ1]);
    assert_eq!(host.ended.load(Ordering::SeqCst), 1);
    assert!(!wc.knobs().is_drop_armed());

    // The next session starts over, on a new connection.
    let first_peer = agent.log.lock().expect("lock")[0].peer;
    let report = wc.run_session().await;
    assert_eq!(
        report.end,
        SessionEnd::Closed {
            message: "OK".into()
        }
    );
    assert_eq!(host.processed(), [REQ1, REQ2]);
    let log = agent.log.lock().expect("lock");
    assert_ne!(
        log[4].peer, first_peer,
        "the dropped connection is not reused"
    );
    assert_eq!(log[7].body, send_envelope(&hcp(OWNER, FILE_ID), FILE));
}

#[tokio::test]
async fn interactive_mode() {
    let (agent, host, mut cfg) = setup().await;
    agent.script(
        "getLastError",
        [text("Interactive mode"), text("Interactive mode")],
    );
    let report = connector(cfg.clone(), &host).run_session().await;
    assert_eq!(
        report.operations(),
        [
            "serverVersion",
            "clientVersion",
            "authenticate",
            "sendRequestXML",
            "getLastError",
            "getInteractiveURL",
            "interactiveDone",
            "closeConnection"
        ]
    );
    assert_eq!(
        report.end,
        SessionEnd::Interactive {
            url: "https://localhost/interactive?t=1&u=2".into(),
            close_message: "OK".into()
        }
    );
    let bodies = agent.bodies();
    assert!(bodies[5].contains(&format!("<wcTicket>{TICKET}</wcTicket><sessionID>")));
    assert_eq!(
        bodies[6],
        envelope(&format!("<interactiveDone xmlns=\"http://developer.intuit.com/\"><wcTicket>{TICKET}</wcTicket></interactiveDone>"))
    );

    cfg.interactive = InteractiveChoice::Reject("Not now".into());
    let report = connector(cfg, &host).run_session().await;
    assert_eq!(report.operations()[6], "interactiveRejected");
    assert!(agent.bodies()[14].contains("<reason>Not now</reason>"));
}

#[tokio::test]
async fn round_trip_cap_stops_an_endless_session() {
    let (agent, host, mut cfg) = setup().await;
    cfg.max_round_trips = 3;
    agent.script("sendRequestXML", std::iter::repeat_n(text(REQ2), 10));
    agent.script("receiveResponseXML", std::iter::repeat_n(Reply::Int(0), 10));
    let report = connector(cfg, &host).run_session().await;
    assert_eq!(
        report.end,
        SessionEnd::RoundTripCap {
            limit: 3,
            close_message: Some("OK".into())
        }
    );
    assert_eq!(report.requests, 3);
    assert_eq!(report.operations().last(), Some(&"closeConnection"));
    assert_eq!(report.operations().len(), 3 + 6 + 1);
}

#[tokio::test]
async fn faults_content_types_and_transport_errors() {
    // A service without serverVersion (SOAP fault): QBWC goes on.
    let (agent, host, cfg) = setup().await;
    agent.raw(
        "serverVersion",
        Raw {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            content_type: "text/xml; charset=utf-8",
            body: soap::fault_envelope(
                "Server did not recognize the value of HTTP Header SOAPAction",
            ),
        },
    );
    let report = connector(cfg, &host).run_session().await;
    assert!(matches!(
        &report.calls[0].result,
        Err(ClientError::Fault { message, .. }) if message.contains("SOAPAction")
    ));
    assert!(report.warnings[0].contains("does not contain support for serverVersion"));
    assert!(matches!(report.end, SessionEnd::LastError { .. }));

    // An HTML answer to authenticate ends the session with .NET's complaint.
    let (agent, host, cfg) = setup().await;
    agent.raw(
        "authenticate",
        Raw {
            status: StatusCode::OK,
            content_type: "text/html",
            body: "<html>oops</html>".into(),
        },
    );
    let report = connector(cfg, &host).run_session().await;
    assert_eq!(
        report.end,
        SessionEnd::Failed {
            operation: "authenticate",
            error: ClientError::ContentType("text/html".into())
        }
    );
    assert!(host.opened().is_empty());

    // A fault on sendRequestXML.
    let (agent, host, cfg) = setup().await;
    agent.raw(
        "sendRequestXML",
        Raw {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            content_type: "text/xml",
            body: soap::fault_envelope("boom"),
        },
    );
    let report = connector(cfg, &host).run_session().await;
    assert_eq!(
        report.end,
        SessionEnd::Failed {
            operation: "sendRequestXML",
            error: ClientError::Fault {
                code: "soap:Client".into(),
                message: "boom".into()
            }
        }
    );
    assert_eq!(host.ended.load(Ordering::SeqCst), 1);

    // A 404 and a short authenticate answer.
    let (agent, host, cfg) = setup().await;
    agent.raw(
        "clientVersion",
        Raw {
            status: StatusCode::NOT_FOUND,
            content_type: "text/plain",
            body: "no".into(),
        },
    );
    let report = connector(cfg.clone(), &host).run_session().await;
    assert!(matches!(
        report.end,
        SessionEnd::Failed {
            operation: "clientVersion",
            error: ClientError::Status { status: 404, .. }
        }
    ));
    let (agent, host, cfg) = setup().await;
    agent.script("authenticate", [strings(&[TICKET])]);
    let report = connector(cfg, &host).run_session().await;
    assert!(matches!(
        report.end,
        SessionEnd::Failed {
            operation: "authenticate",
            error: ClientError::UnexpectedReply { .. }
        }
    ));

    // Nobody listening.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let report = connector(config(&format!("http://127.0.0.1:{port}/qbwc")), &host)
        .run_session()
        .await;
    assert!(matches!(
        report.end,
        SessionEnd::Failed {
            operation: "serverVersion",
            error: ClientError::Http(_)
        }
    ));
}

#[tokio::test]
async fn config_from_qwc() {
    let cfg = WebConnectorConfig::from_qwc(
        &qwc(
            "https://sync.example.com/qbwc",
            "<RunEveryNSeconds>45</RunEveryNSeconds>",
        ),
        "pw",
    )
    .expect("qwc");
    assert_eq!(cfg.app_url, "https://sync.example.com/qbwc");
    assert_eq!(cfg.user_name, "sync");
    assert_eq!(cfg.password, "pw");
    assert_eq!(cfg.owner_id, OWNER);
    assert_eq!(cfg.file_id, FILE_ID);
    assert_eq!(cfg.client_version, "2.3.0.215");
    assert_eq!(cfg.run_every, Some(Duration::from_secs(45)));
    assert!(WebConnectorConfig::from_qwc(&qwc("http://sync.example.com/qbwc", ""), "pw").is_err());
}

#[tokio::test]
async fn scheduler_runs_every_interval_and_stops_by_itself() {
    let (agent, url) = start_agent().await;
    let host = Arc::new(FakeHost::default());
    let cfg =
        WebConnectorConfig::from_qwc(&qwc(&url, "<RunEveryNSeconds>60</RunEveryNSeconds>"), "pw")
            .expect("qwc");
    let wc = Arc::new(connector(cfg, &host));
    let began = Instant::now();
    // 60 simulated seconds = 100 ms.
    let handle = wc.start_scheduler(ScheduleOptions {
        time_scale: 600.0,
        max_sessions: Some(3),
        ..ScheduleOptions::default()
    });
    let reports = tokio::time::timeout(Duration::from_secs(10), handle.join())
        .await
        .expect("stops by itself");
    let elapsed = began.elapsed();
    assert_eq!(reports.len(), 3);
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(reports
        .iter()
        .all(|r| matches!(r.end, SessionEnd::LastError { .. })));
    let log = agent.log.lock().expect("lock");
    let starts: Vec<Instant> = log
        .iter()
        .filter(|r| r.call.operation() == "serverVersion")
        .map(|r| r.at)
        .collect();
    assert_eq!(starts.len(), 3);
}

#[tokio::test]
async fn scheduler_honours_wait_seconds_and_stop() {
    let (agent, url) = start_agent().await;
    let host = Arc::new(FakeHost::default());
    // authenticate asks to wait 600 s (= 1 s at this scale) before the next update.
    agent.script("authenticate", [strings(&[TICKET, "none", "600"])]);
    let cfg =
        WebConnectorConfig::from_qwc(&qwc(&url, "<RunEveryNSeconds>6</RunEveryNSeconds>"), "pw")
            .expect("qwc");
    let wc = Arc::new(connector(cfg, &host));
    let handle = wc.start_scheduler(ScheduleOptions {
        time_scale: 600.0,
        ..ScheduleOptions::default()
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while handle.sessions_run() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Every 10 ms normally, but the first session postponed the second by 1 s.
    assert_eq!(handle.sessions_run(), 1);
    assert!(!handle.is_finished());
    let reports = tokio::time::timeout(Duration::from_secs(5), handle.stop())
        .await
        .expect("stops");
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].end,
        SessionEnd::NoWork {
            busy: false,
            wait_seconds: Some(600),
            close_message: "OK".into()
        }
    );
}
