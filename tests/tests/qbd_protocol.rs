//! Web Connector protocol paths beyond the normal session: the company file cannot be opened
//! (connectionError), QuickBooks cannot parse a request (hresult), a QuickBooks too old for
//! qbXML 13.0, and update-then-refresh on a Desktop company.

use qbsync_qbxml::Element;
use qbsync_sandbox::qbd::{QbdCompany, QbdConfig};
use qbsync_sandbox::qbwc::host::{Hresult, QuickBooksHost};
use qbsync_sandbox::qbwc::{SessionEnd, WebConnector};
use qbsync_tests::{desktop, Env, DESKTOP_PASSWORD};
use std::sync::Arc;

async fn status(env: &Env, task: i64) -> (String, Option<String>) {
    let r = env
        .one(&format!(
            "SELECT status, error FROM qbsync.task WHERE id = {task}"
        ))
        .await;
    (r.get(0), r.get(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_file_that_cannot_be_opened_is_answered_done_and_retried_later() {
    let env = Env::start().await;
    let d = desktop(&env, 5).await;
    let wc = d.connector(DESKTOP_PASSWORD);
    wc.run_session().await; // connect
    let task: i64 = env
        .one("SELECT qbsync.qb_populate('shop', '{customer}')")
        .await
        .get(0);
    wc.knobs().fail_next_open(1);
    let report = wc.run_session().await;
    assert!(
        matches!(report.end, SessionEnd::ConnectionError { .. }),
        "{:?}",
        report.end
    );
    let last = report
        .calls
        .last()
        .map(|c| c.operation())
        .unwrap_or_default();
    assert_eq!(last, "connectionError");
    assert_eq!(
        status(&env, task).await.0,
        "queued",
        "nothing ran against an unopened file"
    );
    // The next scheduled session works.
    let report = wc.run_session().await;
    assert!(
        matches!(report.end, SessionEnd::Closed { .. }),
        "{:?}",
        report.end
    );
    assert_eq!(status(&env, task).await.0, "done");
    env.finish().await;
}

/// QuickBooks that cannot parse anything it is sent.
struct Unparsable(QbdCompany);

impl QuickBooksHost for Unparsable {
    fn company_file_name(&self) -> String {
        self.0.company_file_name()
    }
    fn supported_versions(&self) -> Vec<String> {
        self.0.supported_versions()
    }
    fn hcp_response(&self, owner_id: &str, file_id: &str) -> String {
        self.0.hcp_response(owner_id, file_id)
    }
    fn open(&self, company_file: &str) -> Result<(), Hresult> {
        self.0.open(company_file)
    }
    fn process(&self, _request: &str) -> Result<String, Hresult> {
        Err(Hresult::parse_error())
    }
    fn end_session(&self) {
        self.0.end_session()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_quickbooks_cannot_parse_fails_its_task_with_the_hresult() {
    let env = Env::start().await;
    let d = desktop(&env, 5).await;
    d.connector(DESKTOP_PASSWORD).run_session().await; // connect
    let task: i64 = env
        .one("SELECT qbsync.qb_populate('shop', '{customer}')")
        .await
        .get(0);
    let good = d.connector(DESKTOP_PASSWORD);
    let wc = WebConnector::new(
        good.config().clone(),
        Arc::new(Unparsable(d.company.clone())),
    )
    .unwrap();
    let report = wc.run_session().await;
    let shown = report.last_error().unwrap_or_default().to_string();
    assert!(shown.contains("0x80040400"), "{shown}");
    assert!(
        report.progress().iter().any(|p| *p < 0),
        "receiveResponseXML answered negative"
    );
    let (s, error) = status(&env, task).await;
    assert_eq!(s, "failed");
    assert!(error
        .unwrap_or_default()
        .contains("QuickBooks found an error when parsing"));
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quickbooks_without_qbxml_13_gets_no_request() {
    let env = Env::start().await;
    let mut d = desktop(&env, 5).await;
    d.company = QbdCompany::seeded(QbdConfig {
        customers: 5,
        supported_versions: ["1.0", "2.0", "5.0", "8.0", "12.0"]
            .iter()
            .map(|v| v.to_string())
            .collect(),
        ..Default::default()
    });
    let report = d.connector(DESKTOP_PASSWORD).run_session().await;
    let shown = report.last_error().unwrap_or_default().to_string();
    assert!(
        shown.contains("needs qbXML 13.0") && shown.contains("12.0"),
        "{shown}"
    );
    assert_eq!(report.requests, 0);
    assert_eq!(
        env.text("SELECT status FROM qbsync.task WHERE kind = 'connect' AND company_id = (SELECT id FROM qbsync.company WHERE name = 'shop')")
            .await,
        "queued"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_and_refresh_pushes_then_reads_back() {
    let env = Env::start().await;
    let d = desktop(&env, 10).await;
    let wc = d.connector(DESKTOP_PASSWORD);
    wc.run_session().await; // connect
    env.exec("SELECT qbsync.qb_populate('shop', '{customer}')")
        .await;
    wc.run_session().await;
    let company: i64 = env
        .one("SELECT id FROM qbsync.company WHERE name = 'shop'")
        .await
        .get(0);
    let local: i64 = env
        .one(&format!(
            "INSERT INTO qbd.customer (company_id, name, company_name) VALUES ({company}, 'Pushed From Postgres', 'PG Inc') RETURNING local_id"
        ))
        .await
        .get(0);
    let admin = d.company.admin();
    admin.advance_clock(600);
    let other = admin.ids("Customer").unwrap()[0].clone();
    admin
        .modify(
            "Customer",
            &other,
            Element::new("Mod").leaf("CompanyName", "Edited In QuickBooks"),
        )
        .unwrap();
    env.exec(&format!(
        "UPDATE qbd.customer SET operation = 'add' WHERE local_id = {local}"
    ))
    .await;
    let refresh: i64 = env
        .one("SELECT qbsync.qb_update_and_refresh('shop', '{customer}')")
        .await
        .get(0);
    let report = wc.run_session().await;
    assert!(
        matches!(report.end, SessionEnd::Closed { .. }),
        "{:?}",
        report.end
    );
    let (s, error) = status(&env, refresh).await;
    assert_eq!(s, "done", "{error:?}");
    let update_status = env
        .text(&format!("SELECT status FROM qbsync.task WHERE kind = 'update' AND id < {refresh} ORDER BY id DESC LIMIT 1"))
        .await;
    assert_eq!(update_status, "done");
    let r = env
        .one(&format!(
            "SELECT list_id, sync_status FROM qbd.customer WHERE local_id = {local}"
        ))
        .await;
    assert!(r.get::<_, Option<String>>(0).is_some());
    assert_eq!(r.get::<_, String>(1), "ok");
    assert_eq!(
        env.text(&format!(
            "SELECT company_name FROM qbd.customer WHERE list_id = '{other}'"
        ))
        .await,
        "Edited In QuickBooks"
    );
    assert_eq!(
        admin
            .find("Customer", "Pushed From Postgres")
            .map(|_| 1)
            .unwrap_or(0),
        1
    );
    env.finish().await;
}

/// QuickBooks that pauses after its first answer until the test says go on.
struct Pausing {
    inner: QbdCompany,
    answered: std::sync::Mutex<Option<std::sync::mpsc::Sender<()>>>,
    resume: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl QuickBooksHost for Pausing {
    fn company_file_name(&self) -> String {
        self.inner.company_file_name()
    }
    fn supported_versions(&self) -> Vec<String> {
        self.inner.supported_versions()
    }
    fn hcp_response(&self, owner_id: &str, file_id: &str) -> String {
        self.inner.hcp_response(owner_id, file_id)
    }
    fn open(&self, company_file: &str) -> Result<(), Hresult> {
        self.inner.open(company_file)
    }
    fn process(&self, request: &str) -> Result<String, Hresult> {
        let answer = self.inner.process(request);
        let first = self.answered.lock().ok().and_then(|mut a| a.take());
        if let Some(tx) = first {
            let _ = tx.send(());
            if let Ok(rx) = self.resume.lock() {
                let _ = rx.recv_timeout(std::time::Duration::from_secs(30));
            }
        }
        answer
    }
    fn end_session(&self) {
        self.inner.end_session()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qb_stop_ends_a_desktop_populate_between_exchanges() {
    let env = Env::start().await;
    let d = desktop(&env, 250).await;
    d.connector(DESKTOP_PASSWORD).run_session().await; // connect
    let task: i64 = env.one("SELECT qbsync.qb_populate('shop')").await.get(0);
    let (answered_tx, answered_rx) = std::sync::mpsc::channel();
    let (resume_tx, resume_rx) = std::sync::mpsc::channel();
    let host = Pausing {
        inner: d.company.clone(),
        answered: std::sync::Mutex::new(Some(answered_tx)),
        resume: std::sync::Mutex::new(resume_rx),
    };
    let good = d.connector(DESKTOP_PASSWORD);
    let wc = WebConnector::new(good.config().clone(), Arc::new(host)).unwrap();
    let session = tokio::spawn(async move { wc.run_session().await });
    tokio::task::spawn_blocking(move || {
        answered_rx.recv_timeout(std::time::Duration::from_secs(60))
    })
    .await
    .unwrap()
    .expect("the first request was answered");
    env.exec(&format!("SELECT qbsync.qb_stop({task})")).await;
    let _ = resume_tx.send(());
    let report = session.await.unwrap();
    let (s, _) = status(&env, task).await;
    assert_eq!(s, "stopped", "{:?}", report.end);
    let read: i64 = env.one("SELECT count(*) FROM qbd.customer").await.get(0);
    assert!(
        read < d.company.admin().count("Customer").unwrap() as i64,
        "stopped before reading everything"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_answers_expect_100_continue_before_the_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let env = Env::start().await;
    let d = desktop(&env, 5).await;
    let authority = d
        .url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let body = qbsync_qbxml::soap::call_envelope(&qbsync_qbxml::soap::Call::ServerVersion {
        str_version: None,
    });
    let mut stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    // Headers only, as the Web Connector sends them, then wait for the interim answer.
    let head = format!(
        "POST /qbwc HTTP/1.1\r\nHost: {authority}\r\nContent-Type: text/xml; charset=utf-8\r\n\
         SOAPAction: \"http://developer.intuit.com/serverVersion\"\r\nExpect: 100-continue\r\n\
         Content-Length: {}\r\nConnection: Keep-Alive\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 256];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
        .await
        .expect("an interim answer before the body is sent")
        .unwrap();
    let interim = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(interim.starts_with("HTTP/1.1 100 Continue"), "{interim}");
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut chunk = vec![0u8; 4096];
    // The envelope's closing tag, whatever its prefix, ends the answer.
    while !String::from_utf8_lossy(&answer)
        .trim_end()
        .ends_with("Envelope>")
    {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("the SOAP answer")
            .unwrap();
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..n]);
    }
    let answer = String::from_utf8_lossy(&answer).to_string();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("serverVersionResult") && answer.contains("qbsync"),
        "{answer}"
    );
    assert!(
        answer
            .to_lowercase()
            .contains("content-type: text/xml; charset=utf-8"),
        "{answer}"
    );
    env.finish().await;
}
