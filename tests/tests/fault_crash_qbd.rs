//! The crash part of the fault matrix for QuickBooks Desktop: the real agent process
//! (`qbsync-agent-faulty`, the agent's main.rs with fail points compiled in) serving the Web
//! Connector endpoint, killed with SIGKILL at each step of a Desktop push while the sandbox's
//! simulated Web Connector is in the middle of a session, then started again and the Web
//! Connector session run again.
//!
//! The Desktop side is a SOAP server the Web Connector calls, so "killed after QuickBooks applied
//! the set, before its answer arrived" is the agent killed while the Web Connector holds
//! QuickBooks' answer: its `receiveResponseXML` finds no agent (the session fails), and the next
//! session's error recovery asks QuickBooks for the stored answers of the set (status check)
//! instead of sending it again.
//!
//! Every change (add, update, void, delete) must reach the company file exactly once: counted
//! by Name/RefNumber in the sandbox and by the requests QuickBooks processed (a status check's
//! stored answers are not processed again), with its row `ok` holding that record's
//! ListID/TxnID and EditSequence and one `ok` outgoing `sync_result`. Each test prints one
//! summary line on stderr, as tests/tests/fault_crash.rs does:
//! `fault-matrix: scenario=<name> faults=<n> pushed=<n> duplicates=<n> lost=<n>`.
//! docs/reliability.md maps each fault to its guarantee and its test.

use qbsync_qbxml::Element;
use qbsync_sandbox::qbd::QbdCompany;
use qbsync_sandbox::qbwc::{Hresult, QuickBooksHost, SessionEnd, SessionReport};
use qbsync_tests::agent_process::{wait_until, AgentOptions, AgentProcess};
use qbsync_tests::fault_tally::Tally;
use qbsync_tests::{desktop, Desktop, Env, DESKTOP_PASSWORD};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

const AGENT: &str = env!("CARGO_BIN_EXE_qbsync-agent-faulty");
/// Bound of every wait for the agent.
const WAIT: Duration = Duration::from_secs(60);

/// A Desktop company ("shop") whose Web Connector calls an agent process on a fixed loopback
/// port (the .QWC's AppURL does not change when the agent is restarted).
struct Shop {
    env: Env,
    d: Desktop,
    addr: String,
    url: String,
}

impl Shop {
    async fn start(customers: usize) -> Shop {
        let mut env = Env::start().await;
        // The agent processes are the test's; the in-process endpoint of `desktop` only sets up.
        env.stop_agent().await;
        let d = desktop(&env, customers).await;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let url = format!("http://{addr}/qbwc");
        Shop { env, d, addr, url }
    }

    /// Starts an agent process serving the endpoint and waits until it listens.
    async fn spawn(&self, name: &str, failpoints: Option<&str>) -> AgentProcess {
        let mut opts = AgentOptions::named(name).qbwc_bind(&self.addr);
        if let Some(f) = failpoints {
            opts = opts.failpoints(f);
        }
        let mut agent = AgentProcess::spawn(AGENT, &self.env, opts);
        let deadline = Instant::now() + WAIT;
        while tokio::net::TcpStream::connect(&self.addr).await.is_err() {
            agent.assert_running();
            assert!(Instant::now() < deadline, "the agent did not listen");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        agent
    }

    /// A Web Connector session against the agent process, QuickBooks reached through `host`.
    fn session(&self, host: Arc<dyn QuickBooksHost>) -> tokio::task::JoinHandle<SessionReport> {
        let wc = self.d.connector_to(&self.url, host, DESKTOP_PASSWORD);
        tokio::spawn(async move { wc.run_session().await })
    }

    fn company(&self) -> Arc<dyn QuickBooksHost> {
        Arc::new(self.d.company.clone())
    }

    /// A session that must end normally.
    async fn clean_session(&self) -> SessionReport {
        Desktop::closed(self.session(self.company()).await.expect("session task"))
    }

    /// A session during which the agent stops at `failpoint` and is killed: the session fails.
    async fn killed_at(
        &self,
        mut agent: AgentProcess,
        failpoint: &str,
        host: Arc<dyn QuickBooksHost>,
    ) -> SessionReport {
        let session = self.session(host);
        agent.wait_failpoint(failpoint, WAIT).await;
        agent.kill().await;
        let report = session.await.expect("session task");
        assert!(
            matches!(report.end, SessionEnd::Failed { .. }),
            "the session ends with the agent: {:?}",
            report.end
        );
        report
    }

    async fn shop_id(&self) -> i64 {
        self.env
            .one("SELECT id FROM qbsync.company WHERE name = 'shop'")
            .await
            .get(0)
    }
}

/// The company file, whose first processed message set is applied and its answer then held by
/// the Web Connector until the test releases it: the agent is killed meanwhile, so the answer
/// finds no agent (or a restarted one that does not know the session).
struct HoldingHost {
    company: QbdCompany,
    armed: AtomicBool,
    holding: AtomicBool,
    release: Mutex<mpsc::Receiver<()>>,
}

impl HoldingHost {
    fn new(company: QbdCompany) -> (Arc<HoldingHost>, mpsc::Sender<()>) {
        let (tx, rx) = mpsc::channel();
        let host = Arc::new(HoldingHost {
            company,
            armed: AtomicBool::new(true),
            holding: AtomicBool::new(false),
            release: Mutex::new(rx),
        });
        (host, tx)
    }

    fn holding(&self) -> bool {
        self.holding.load(Ordering::SeqCst)
    }
}

impl QuickBooksHost for HoldingHost {
    fn company_file_name(&self) -> String {
        self.company.company_file_name()
    }
    fn supported_versions(&self) -> Vec<String> {
        self.company.supported_versions()
    }
    fn hcp_response(&self, owner_id: &str, file_id: &str) -> String {
        self.company.hcp_response(owner_id, file_id)
    }
    fn open(&self, company_file: &str) -> Result<(), Hresult> {
        self.company.open(company_file)
    }
    fn process(&self, request: &str) -> Result<String, Hresult> {
        let answer = self.company.process(request);
        if self.armed.swap(false, Ordering::SeqCst) {
            // Runs on a blocking thread of the Web Connector's session: waiting here is the
            // Web Connector holding QuickBooks' answer.
            self.holding.store(true, Ordering::SeqCst);
            let rx = self.release.lock().unwrap_or_else(|e| e.into_inner());
            let _ = rx.recv_timeout(WAIT);
        }
        answer
    }
    fn end_session(&self) {
        self.company.end_session()
    }
    fn take_drop_response(&self) -> bool {
        self.company.take_drop_response()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Update,
    Void,
    Delete,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Update => "update",
            Op::Void => "void",
            Op::Delete => "delete",
        }
    }
}

/// A change that must reach the company file exactly once.
#[derive(Debug, Clone)]
struct Change {
    /// `Customer` or `Invoice`.
    kind: &'static str,
    op: Op,
    local_id: i64,
    /// Name (customer) or RefNumber (invoice).
    name: String,
    /// ListID/TxnID of a record that existed before (update, void, delete).
    id: Option<String>,
    /// The value an update writes (JobTitle).
    value: Option<String>,
}

impl Change {
    fn table(&self) -> &'static str {
        if self.kind == "Customer" {
            "qbd.customer"
        } else {
            "qbd.invoice"
        }
    }

    /// ListID / TxnID.
    fn id_element(&self) -> &'static str {
        if self.kind == "Customer" {
            "ListID"
        } else {
            "TxnID"
        }
    }

    fn key_column(&self) -> &'static str {
        if self.kind == "Customer" {
            "list_id"
        } else {
            "txn_id"
        }
    }

    /// The request QuickBooks processes for it.
    fn request(&self) -> String {
        match self.op {
            Op::Add => format!("{}AddRq", self.kind),
            Op::Update => format!("{}ModRq", self.kind),
            Op::Void => "TxnVoidRq".into(),
            Op::Delete => {
                if self.kind == "Customer" {
                    "ListDelRq".into()
                } else {
                    "TxnDelRq".into()
                }
            }
        }
    }
}

/// The records of `kind` with this Name (customers) or RefNumber (invoices).
fn records(d: &Desktop, kind: &str, name: &str) -> Vec<Element> {
    let admin = d.company.admin();
    let field = if kind == "Customer" {
        "Name"
    } else {
        "RefNumber"
    };
    admin
        .ids(kind)
        .expect("kind")
        .iter()
        .filter_map(|id| admin.get(id))
        .filter(|r| r.child_text(field) == Some(name))
        .collect()
}

async fn insert_customer(shop: &Shop, name: &str) -> i64 {
    let c = shop.shop_id().await;
    shop.env
        .db
        .query_one(
            "INSERT INTO qbd.customer (company_id, name, operation) VALUES ($1, $2, 'add') RETURNING local_id",
            &[&c, &name],
        )
        .await
        .expect("insert customer")
        .get(0)
}

async fn insert_invoice(shop: &Shop, customer: &str, reference: &str) -> i64 {
    let c = shop.shop_id().await;
    let local: i64 = shop
        .env
        .db
        .query_one(
            "INSERT INTO qbd.invoice (company_id, customer_full_name, ref_number, txn_date) \
             VALUES ($1, $2, $3, current_date) RETURNING local_id",
            &[&c, &customer, &reference],
        )
        .await
        .expect("insert invoice")
        .get(0);
    shop.env
        .db
        .execute(
            "INSERT INTO qbd.invoice_line (invoice_local_id, company_id, line_num, item_full_name, quantity, rate) \
             VALUES ($1, $2, 1, 'Installation', 2, 55)",
            &[&local, &c],
        )
        .await
        .expect("insert line");
    shop.env
        .exec(&format!(
            "UPDATE qbd.invoice SET operation = 'add' WHERE local_id = {local}"
        ))
        .await;
    local
}

/// The id of a row pushed already.
async fn id_of(shop: &Shop, table: &str, key: &str, local: i64) -> String {
    shop.env
        .text(&format!(
            "SELECT coalesce({key}, '') FROM {table} WHERE local_id = {local}"
        ))
        .await
}

/// A connect session, then records for the update, the void and the delete, pushed by the
/// in-process endpoint; then the mix of changes (not yet pushed): `adds` customers, an invoice
/// for the first of them, an update, a void and a delete.
async fn mix(shop: &Shop, tag: &str, adds: usize) -> Vec<Change> {
    // The in-process endpoint of `desktop` shares the database: it sets up, then stays idle.
    let setup = |shop: &Shop| {
        let wc = shop.d.connector(DESKTOP_PASSWORD);
        async move { wc.run_session().await }
    };
    setup(shop).await;
    let keep = format!("{tag} Kept");
    let kept = insert_customer(shop, &keep).await;
    let void_ref = format!("{tag}-V");
    let delete_ref = format!("{tag}-D");
    let voided = insert_invoice(shop, &keep, &void_ref).await;
    let deleted = insert_invoice(shop, &keep, &delete_ref).await;
    let report = setup(shop).await;
    assert!(
        matches!(report.end, SessionEnd::Closed { .. }),
        "{:?}",
        report.end
    );
    let kept_id = id_of(shop, "qbd.customer", "list_id", kept).await;
    let voided_id = id_of(shop, "qbd.invoice", "txn_id", voided).await;
    let deleted_id = id_of(shop, "qbd.invoice", "txn_id", deleted).await;
    assert!(!kept_id.is_empty() && !voided_id.is_empty() && !deleted_id.is_empty());

    let mut changes = Vec::new();
    let mut first = String::new();
    for n in 1..=adds {
        let name = format!("{tag} Add {n:02}");
        if n == 1 {
            first = name.clone();
        }
        changes.push(Change {
            kind: "Customer",
            op: Op::Add,
            local_id: insert_customer(shop, &name).await,
            name,
            id: None,
            value: None,
        });
    }
    let reference = format!("{tag}-A");
    changes.push(Change {
        kind: "Invoice",
        op: Op::Add,
        local_id: insert_invoice(shop, &first, &reference).await,
        name: reference,
        id: None,
        value: None,
    });
    let title = format!("{tag} Title");
    shop.env
        .db
        .execute(
            "UPDATE qbd.customer SET job_title = $2, operation = 'update' WHERE local_id = $1",
            &[&kept, &title],
        )
        .await
        .expect("update");
    changes.push(Change {
        kind: "Customer",
        op: Op::Update,
        local_id: kept,
        name: keep,
        id: Some(kept_id),
        value: Some(title),
    });
    shop.env
        .exec(&format!(
            "UPDATE qbd.invoice SET operation = 'void' WHERE local_id = {voided}; \
             UPDATE qbd.invoice SET operation = 'delete' WHERE local_id = {deleted}"
        ))
        .await;
    changes.push(Change {
        kind: "Invoice",
        op: Op::Void,
        local_id: voided,
        name: void_ref,
        id: Some(voided_id),
        value: None,
    });
    changes.push(Change {
        kind: "Invoice",
        op: Op::Delete,
        local_id: deleted,
        name: delete_ref,
        id: Some(deleted_id),
        value: None,
    });
    changes
}

/// Requests QuickBooks has processed, by request element.
fn processed(d: &Desktop) -> BTreeMap<String, u64> {
    d.company.admin().stats().requests
}

/// (sync_status, key, edit_sequence, subtotal) of a row; None when the row is gone.
async fn row_state(
    shop: &Shop,
    c: &Change,
) -> Option<(String, Option<String>, Option<String>, Option<String>)> {
    let subtotal = if c.kind == "Invoice" {
        "subtotal::text"
    } else {
        "NULL::text"
    };
    shop.env
        .db
        .query_opt(
            &format!(
                "SELECT coalesce(sync_status, ''), {}, edit_sequence, {subtotal} FROM {} WHERE local_id = $1",
                c.key_column(),
                c.table()
            ),
            &[&c.local_id],
        )
        .await
        .expect("row state")
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
}

/// Checks every change once the agent is done: in QuickBooks once, its row `ok` with the
/// record's ListID/TxnID and EditSequence (a deleted row removed), one `ok` outgoing result,
/// and QuickBooks processed each request exactly once since `before`.
async fn check(shop: &Shop, changes: &[Change], before: &BTreeMap<String, u64>, t: &mut Tally) {
    let d = &shop.d;
    for c in changes {
        let deadline = Instant::now() + WAIT;
        let state = loop {
            let s = row_state(shop, c).await;
            match &s {
                Some((status, ..)) if status == "pending" || status == "sending" => {
                    assert!(
                        Instant::now() < deadline,
                        "{} local_id={} still {status}",
                        c.table(),
                        c.local_id
                    );
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                _ => break s,
            }
        };
        let found = records(d, c.kind, &c.name);
        let results: i64 = shop
            .env
            .db
            .query_one(
                "SELECT count(*) FROM qbsync.sync_result WHERE direction = 'outgoing' AND entity = $1 \
                 AND local_id = $2 AND operation = $3 AND outcome = 'ok'",
                &[&format!("qbd:{}", c.kind), &c.local_id, &c.op.as_str()],
            )
            .await
            .expect("results")
            .get(0);
        let right = match c.op {
            Op::Delete => {
                found.is_empty()
                    && c.id
                        .as_deref()
                        .and_then(|id| d.company.admin().get(id))
                        .is_none()
                    && state.is_none()
            }
            _ => {
                t.duplicates += found.len().saturating_sub(1) as u32;
                let record = found.first();
                let field = |f: &str| record.and_then(|r| r.child_text(f)).map(str::to_string);
                let key = c.id_element();
                let own = match &state {
                    Some((status, id, edit, _)) => {
                        status == "ok"
                            && id.is_some()
                            && *id == field(key)
                            && *edit == field("EditSequence")
                    }
                    None => false,
                };
                let applied = match c.op {
                    Op::Update => field("JobTitle") == c.value,
                    // Voided once: the memo QuickBooks writes is not doubled.
                    Op::Void => {
                        field("Memo").as_deref() == Some("VOID:")
                            && state.as_ref().and_then(|s| s.3.as_deref()) == Some("0.00")
                    }
                    _ => true,
                };
                found.len() == 1 && own && applied && (c.id.is_none() || c.id == field(key))
            }
        };
        if right && results == 1 {
            t.pushed += 1;
        } else {
            t.lost += 1;
            eprintln!(
                "{} {} {:?} local_id={}: {} record(s) in QuickBooks, row {state:?}, ok results {results}",
                c.op.as_str(),
                c.kind,
                c.name,
                c.local_id,
                found.len()
            );
        }
    }
    // Exactly once as QuickBooks counts it: each request processed once (a status check's
    // stored answers are replayed, not processed).
    let after = processed(d);
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for c in changes {
        *expected.entry(c.request()).or_default() += 1;
    }
    for (request, n) in &expected {
        let done =
            after.get(request).copied().unwrap_or(0) - before.get(request).copied().unwrap_or(0);
        if done > *n {
            t.duplicates += (done - n) as u32;
            eprintln!("{request}: processed {done} times for {n} change(s)");
        }
    }
    assert_eq!(
        d.company.admin().stats().parse_errors,
        0,
        "every request valid"
    );
    let stuck: i64 = shop
        .env
        .one(
            "SELECT (SELECT count(*) FROM qbd.customer WHERE sync_status IN ('pending', 'sending')) \
             + (SELECT count(*) FROM qbd.invoice WHERE sync_status IN ('pending', 'sending'))",
        )
        .await
        .get(0);
    assert_eq!(stuck, 0, "no row left pending or sending");
}

/// How many of the changes' rows have each sync_status.
async fn status_counts(shop: &Shop, changes: &[Change]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for c in changes {
        let status = row_state(shop, c)
            .await
            .map_or("removed".to_string(), |s| s.0);
        *out.entry(status).or_default() += 1;
    }
    out
}

/// (rows sending, distinct message sets among them) of the changes.
async fn sending(shop: &Shop, changes: &[Change]) -> (usize, usize) {
    let mut sets = std::collections::BTreeSet::new();
    let mut n = 0;
    for c in changes {
        let r = shop
            .env
            .db
            .query_one(
                &format!(
                    "SELECT coalesce(sync_status, ''), request_id FROM {} WHERE local_id = $1",
                    c.table()
                ),
                &[&c.local_id],
            )
            .await
            .expect("row");
        if r.get::<_, String>(0) == "sending" {
            n += 1;
            if let Some(s) = r.get::<_, Option<String>>(1) {
                sets.insert(s);
            }
        }
    }
    (n, sets.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_killed_before_the_set_is_handed_over_each_change_is_sent_once() {
    let shop = Shop::start(5).await;
    let mut t = Tally::new("qbd_kill_before_request");
    let changes = mix(&shop, "KB", 3).await;
    let before = processed(&shop.d);

    let agent = shop
        .spawn("qbd-before-request", Some("qbd.push.before_request=return"))
        .await;
    let report = shop
        .killed_at(agent, "qbd.push.before_request", shop.company())
        .await;
    t.faults += 1;
    assert!(report.sent_requests().is_empty(), "nothing handed over");
    assert_eq!(processed(&shop.d), before, "QuickBooks received nothing");
    assert_eq!(
        sending(&shop, &changes).await,
        (changes.len(), 1),
        "every row claimed into one set, committed"
    );

    let mut agent = shop.spawn("qbd-before-request-2", None).await;
    let report = shop.clean_session().await;
    // The status check finds no such set (600): the rows go again, in a new set.
    let sent = report.sent_requests();
    assert!(
        sent[0].contains("oldMessageSetID") && !sent[0].contains("AddRq"),
        "{sent:?}"
    );
    assert!(sent.iter().any(|x| x.contains("CustomerAddRq")), "{sent:?}");
    check(&shop, &changes, &before, &mut t).await;
    agent.assert_running();
    agent.kill().await;
    shop.env.finish().await;
    t.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_killed_while_the_web_connector_holds_quickbooks_answer_the_set_is_recovered_once()
{
    let shop = Shop::start(5).await;
    let mut t = Tally::new("qbd_kill_answer_held");
    let changes = mix(&shop, "AH", 3).await;
    let before = processed(&shop.d);

    // QuickBooks applies the set; the Web Connector holds its answer while the agent is killed,
    // then delivers it to nobody.
    let mut agent = shop.spawn("qbd-answer-held", None).await;
    let (host, release) = HoldingHost::new(shop.d.company.clone());
    let session = shop.session(host.clone());
    wait_until("QuickBooks to apply the set", WAIT, || {
        let held = host.holding();
        async move { held }
    })
    .await;
    agent.assert_running();
    agent.kill().await;
    t.faults += 1;
    let _ = release.send(());
    let report = session.await.expect("session task");
    assert!(
        matches!(
            report.end,
            SessionEnd::Failed {
                operation: "receiveResponseXML",
                ..
            }
        ),
        "{:?}",
        report.end
    );
    for c in changes.iter().filter(|c| c.op == Op::Add) {
        assert_eq!(records(&shop.d, c.kind, &c.name).len(), 1, "applied: {c:?}");
    }
    assert_eq!(sending(&shop, &changes).await, (changes.len(), 1));

    let mut agent = shop.spawn("qbd-answer-held-2", None).await;
    let report = shop.clean_session().await;
    // QuickBooks' stored answers are applied; nothing is sent again; the set is forgotten.
    let sent = report.sent_requests();
    assert!(
        sent[0].contains("oldMessageSetID") && sent[0].contains("newMessageSetID"),
        "{sent:?}"
    );
    assert!(
        sent.iter()
            .all(|x| !x.contains("AddRq") && !x.contains("ModRq") && !x.contains("TxnVoidRq")),
        "{sent:?}"
    );
    assert_eq!(shop.d.company.admin().stats().recovery_sets, 0);
    check(&shop, &changes, &before, &mut t).await;
    agent.assert_running();
    agent.kill().await;

    // Again, but the agent is back before the Web Connector delivers the answer: the new
    // process does not know the session's ticket, refuses the answer (the session ends), and
    // the next session recovers the set from QuickBooks.
    let changes = mix(&shop, "AR", 2).await;
    let before = processed(&shop.d);
    let agent = shop.spawn("qbd-answer-restart", None).await;
    let (host, release) = HoldingHost::new(shop.d.company.clone());
    let session = shop.session(host.clone());
    wait_until("QuickBooks to apply the set", WAIT, || {
        let held = host.holding();
        async move { held }
    })
    .await;
    agent.kill().await;
    t.faults += 1;
    let mut agent = shop.spawn("qbd-answer-restart-2", None).await;
    let _ = release.send(());
    let report = session.await.expect("session task");
    assert!(
        matches!(report.end, SessionEnd::LastError { .. }),
        "the answer is refused by the agent that does not know the session: {:?}",
        report.end
    );
    assert_eq!(sending(&shop, &changes).await, (changes.len(), 1));
    shop.clean_session().await;
    check(&shop, &changes, &before, &mut t).await;
    agent.assert_running();
    agent.kill().await;
    shop.env.finish().await;
    t.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_killed_before_the_write_back_commits_and_again_during_recovery_lands_once() {
    let shop = Shop::start(5).await;
    let mut t = Tally::new("qbd_kill_before_write_back");
    let changes = mix(&shop, "WB", 3).await;
    let before = processed(&shop.d);

    // The answer reached the agent; its write-back transaction is open when it dies.
    let agent = shop
        .spawn("qbd-write-back", Some("qbd.push.after_response=return"))
        .await;
    let report = shop
        .killed_at(agent, "qbd.push.after_response", shop.company())
        .await;
    t.faults += 1;
    assert_eq!(report.sent_requests().len(), 1, "one set sent");
    assert_eq!(
        sending(&shop, &changes).await,
        (changes.len(), 1),
        "not committed"
    );
    let ids: Vec<Option<String>> = changes
        .iter()
        .filter(|c| c.op == Op::Add)
        .map(|c| {
            records(&shop.d, c.kind, &c.name)
                .first()
                .and_then(|r| r.child_text(c.id_element()))
                .map(str::to_string)
        })
        .collect();

    // Recovering, the status check's stored answers arrive: killed again before they commit.
    let agent = shop
        .spawn("qbd-write-back-2", Some("qbd.push.after_response=return"))
        .await;
    let report = shop
        .killed_at(agent, "qbd.push.after_response", shop.company())
        .await;
    t.faults += 1;
    let sent = report.sent_requests();
    assert!(
        sent.len() == 1 && sent[0].contains("oldMessageSetID"),
        "a status check: {sent:?}"
    );
    assert_eq!(sending(&shop, &changes).await, (changes.len(), 1));

    let mut agent = shop.spawn("qbd-write-back-3", None).await;
    shop.clean_session().await;
    check(&shop, &changes, &before, &mut t).await;
    // The rows hold the ids QuickBooks gave the first time.
    for (c, first) in changes.iter().filter(|c| c.op == Op::Add).zip(&ids) {
        let now = id_of(&shop, c.table(), c.key_column(), c.local_id).await;
        assert_eq!(Some(now), *first, "{c:?}");
    }
    agent.assert_running();
    agent.kill().await;
    shop.env.finish().await;
    t.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_killed_between_two_message_sets_every_row_lands_once() {
    let shop = Shop::start(5).await;
    let mut t = Tally::new("qbd_kill_between_sets");
    // 40 customers, an invoice, an update, a void, a delete: 44 rows, sets of 20, 20 and 4.
    let changes = mix(&shop, "BS", 40).await;
    let before = processed(&shop.d);

    let agent = shop
        .spawn("qbd-between-sets", Some("qbd.push.batch_between=return"))
        .await;
    let report = shop
        .killed_at(agent, "qbd.push.batch_between", shop.company())
        .await;
    t.faults += 1;
    // The first set answered, written back and forgotten; the rest not claimed.
    let sent = report.sent_requests();
    assert_eq!(sent.len(), 2, "a set and its clear: {sent:?}");
    assert_eq!(
        status_counts(&shop, &changes).await,
        BTreeMap::from([("ok".to_string(), 20), ("pending".to_string(), 24)]),
        "one set of 20 written back before the kill, the rest not claimed"
    );
    assert_eq!(shop.d.company.admin().stats().recovery_sets, 0);

    // The next session sends the second set; killed as the third is about to be handed over.
    let agent = shop
        .spawn(
            "qbd-between-sets-2",
            Some("qbd.push.before_request=1*off->return"),
        )
        .await;
    let report = shop
        .killed_at(agent, "qbd.push.before_request", shop.company())
        .await;
    t.faults += 1;
    assert_eq!(
        report.sent_requests().len(),
        2,
        "{:?}",
        report.sent_requests()
    );
    assert_eq!(
        sending(&shop, &changes).await,
        (4, 1),
        "the third set claimed, not sent"
    );

    let mut agent = shop.spawn("qbd-between-sets-3", None).await;
    shop.clean_session().await;
    check(&shop, &changes, &before, &mut t).await;
    agent.assert_running();
    agent.kill().await;
    shop.env.finish().await;
    t.finish();
}

/// (sync_status, sync_message, company_name, operation, edit_sequence) of a customer row.
async fn customer_row(
    shop: &Shop,
    local: i64,
) -> (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
) {
    let r = shop
        .env
        .one(&format!(
            "SELECT coalesce(sync_status, ''), sync_message, company_name, operation, edit_sequence \
             FROM qbd.customer WHERE local_id = {local}"
        ))
        .await;
    (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))
}

/// A customer pushed by the in-process endpoint, then edited by a QuickBooks user and updated
/// in Postgres (`Edited In Postgres`) under `postgres_wins`: (local_id, ListID, the row's
/// EditSequence, QuickBooks' EditSequence after the user's edit).
async fn stale_race(shop: &Shop, name: &str) -> (i64, String, String, String) {
    let local = insert_customer(shop, name).await;
    let report = shop.d.connector(DESKTOP_PASSWORD).run_session().await;
    assert!(
        !matches!(report.end, SessionEnd::Failed { .. }),
        "{:?}",
        report.end
    );
    let (status, _, _, _, edit) = customer_row(shop, local).await;
    assert_eq!(status, "ok");
    let list_id = id_of(shop, "qbd.customer", "list_id", local).await;
    let admin = shop.d.company.admin();
    admin.advance_clock(60);
    admin
        .modify(
            "Customer",
            &list_id,
            Element::new("Mod").leaf("CompanyName", "Edited In QuickBooks"),
        )
        .expect("the QuickBooks user's edit");
    let theirs = admin.edit_sequence(&list_id).expect("EditSequence");
    shop.env
        .exec(&format!(
            "UPDATE qbd.customer SET company_name = 'Edited In Postgres', operation = 'update' WHERE local_id = {local}"
        ))
        .await;
    (local, list_id, edit.expect("EditSequence"), theirs)
}

/// (CustomerModRq processed, answers with status 3200) so far.
fn mods_and_stale(d: &Desktop) -> (u64, u64) {
    let stats = d.company.admin().stats();
    (
        stats.requests.get("CustomerModRq").copied().unwrap_or(0),
        stats.statuses.get(&3200).copied().unwrap_or(0),
    )
}

/// Checks a `postgres_wins` race once the agent is done: QuickBooks holds the Postgres value,
/// written by exactly one Mod since `before` (every other Mod refused as stale), the row `ok`
/// with QuickBooks' EditSequence, one `ok` update result naming the conflict.
async fn check_overwrite(
    shop: &Shop,
    local: i64,
    list_id: &str,
    before: (u64, u64),
    mods: u64,
    t: &mut Tally,
) -> (String, serde_json::Value) {
    let deadline = Instant::now() + WAIT;
    let row = loop {
        let row = customer_row(shop, local).await;
        if row.0 != "pending" && row.0 != "sending" {
            break row;
        }
        assert!(
            Instant::now() < deadline,
            "customer {local} still {}",
            row.0
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let admin = shop.d.company.admin();
    let record = admin.get(list_id);
    let in_qb = record
        .as_ref()
        .and_then(|r| r.child_text("CompanyName"))
        .map(str::to_string);
    let (m, stale) = mods_and_stale(&shop.d);
    let (m, stale) = (m - before.0, stale - before.1);
    let r = shop
        .env
        .one(&format!(
            "SELECT count(*), max(message), (array_agg(detail))[1] FROM qbsync.sync_result \
             WHERE direction = 'outgoing' AND local_id = {local} AND operation = 'update' AND outcome = 'ok'"
        ))
        .await;
    let (results, message, detail): (i64, Option<String>, Option<serde_json::Value>) =
        (r.get(0), r.get(1), r.get(2));
    // Applied once: every Mod but one was refused as stale.
    t.duplicates += (m.saturating_sub(stale)).saturating_sub(1) as u32;
    let right = row.0 == "ok"
        && row.2.as_deref() == Some("Edited In Postgres")
        && row.3.is_none()
        && row.4 == admin.edit_sequence(list_id)
        && in_qb.as_deref() == Some("Edited In Postgres")
        && results == 1
        && m == mods
        && m - stale == 1;
    if right {
        t.pushed += 1;
    } else {
        t.lost += 1;
        eprintln!(
            "postgres_wins customer {local}: row {row:?}, QuickBooks {in_qb:?}, {m} Mod(s) with {stale} stale, {results} ok result(s)"
        );
    }
    assert_eq!(admin.stats().parse_errors, 0, "every request valid");
    (
        message.unwrap_or_default(),
        detail.unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_postgres_wins_killed_around_its_resend_overwrites_once() {
    let shop = Shop::start(3).await;
    let mut t = Tally::new("qbd_kill_postgres_wins");
    // The connect session, then the policy.
    shop.d.connector(DESKTOP_PASSWORD).run_session().await;
    shop.env
        .exec("SELECT qbsync.qb_set_conflict_policy('shop', 'postgres_wins')")
        .await;

    // Killed as the resend (QuickBooks' EditSequence read, the row claimed into a new set) is
    // about to be handed over: the next session sends the update again, meets the stale
    // EditSequence again and overwrites once.
    let (local, list_id, row_edit, theirs) = stale_race(&shop, "PW Before Resend").await;
    let before = mods_and_stale(&shop.d);
    let agent = shop
        .spawn(
            "qbd-pw-before-resend",
            Some("qbd.push.before_request=1*off->return"),
        )
        .await;
    let report = shop
        .killed_at(agent, "qbd.push.before_request", shop.company())
        .await;
    t.faults += 1;
    let sent = report.sent_requests();
    assert!(
        sent.len() == 3 && sent[2].contains(&format!("requestID=\"customer.{local}.pw\"")),
        "the stale Mod, its clear, the read of QuickBooks' copy: {sent:?}"
    );
    let r = shop
        .env
        .one(&format!(
            "SELECT sync_status, request_id FROM qbd.customer WHERE local_id = {local}"
        ))
        .await;
    assert_eq!(r.get::<_, String>(0), "sending");
    assert!(r.get::<_, String>(1).starts_with("qbp-"));
    let mut agent = shop.spawn("qbd-pw-before-resend-2", None).await;
    shop.clean_session().await;
    // The first stale Mod, the stale resend of the next session, the overwrite.
    let (message, detail) = check_overwrite(&shop, local, &list_id, before, 3, &mut t).await;
    assert!(
        message.starts_with("conflict: Postgres version written over QuickBooks change"),
        "{message}"
    );
    assert_eq!(
        detail["overwritten"]["CompanyName"],
        serde_json::json!("Edited In QuickBooks"),
        "{detail}"
    );
    assert_eq!(detail["row_edit_sequence"], serde_json::json!(row_edit));
    assert_eq!(
        detail["quickbooks_edit_sequence"],
        serde_json::json!(theirs)
    );
    agent.assert_running();
    agent.kill().await;

    // Killed after QuickBooks applied the resend, before its answer is written back: the
    // status check's stored answer is the overwrite, recorded as such.
    let (local, list_id, _, _) = stale_race(&shop, "PW After Resend").await;
    let before = mods_and_stale(&shop.d);
    let agent = shop
        .spawn(
            "qbd-pw-after-resend",
            Some("qbd.push.after_response=1*off->return"),
        )
        .await;
    shop.killed_at(agent, "qbd.push.after_response", shop.company())
        .await;
    t.faults += 1;
    assert_eq!(
        shop.d
            .company
            .admin()
            .get(&list_id)
            .and_then(|r| r.child_text("CompanyName").map(str::to_string))
            .as_deref(),
        Some("Edited In Postgres"),
        "QuickBooks applied the resend"
    );
    let mut agent = shop.spawn("qbd-pw-after-resend-2", None).await;
    let report = shop.clean_session().await;
    assert!(
        report.sent_requests().iter().all(|x| !x.contains("ModRq")),
        "recovered, not sent again: {:?}",
        report.sent_requests()
    );
    let (message, _) = check_overwrite(&shop, local, &list_id, before, 2, &mut t).await;
    assert!(
        message.starts_with("conflict: Postgres version written over QuickBooks change")
            && message.contains("recovered after the agent stopped"),
        "{message}"
    );
    agent.assert_running();
    agent.kill().await;
    shop.env.finish().await;
    t.finish();
}
