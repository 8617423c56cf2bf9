//! QuickBooks Desktop answers that are not UTF-8 (a company file holding Latin-1 text, an answer
//! corrupted on its way): the agent's SOAP endpoint still reads the envelope and the ticket,
//! never decodes the answer (no replacement characters reach the mirror), asks a read again,
//! recovers a push through message-set error recovery so each change lands once, and names the
//! request and the reason when it gives up. The simulated company file garbles its answers
//! after processing the request (`QbdAdmin::garble_responses_after`,
//! `garble_responses_containing`): writes are applied.

use qbsync_qbxml::soap::{self, Call, Reply};
use qbsync_sandbox::qbwc::{LastErrorCause, SessionEnd, SessionReport};
use qbsync_tests::{desktop, Desktop, Env, DESKTOP_PASSWORD};

/// The reason every message gives, followed by ` (byte offset N)`.
const REASON: &str = "QuickBooks Desktop sent a response that is not valid UTF-8";

/// (status, error, rows_done) of a task.
async fn task(env: &Env, id: i64) -> (String, Option<String>, i64) {
    let r = env
        .one(&format!(
            "SELECT status, error, rows_done FROM qbsync.task WHERE id = {id}"
        ))
        .await;
    (r.get(0), r.get(1), r.get(2))
}

/// Rows of a Desktop table holding U+FFFD anywhere (a lossy decoding would put it there).
async fn replacement_characters(env: &Env, table: &str) -> i64 {
    env.one(&format!(
        "SELECT count(*) FROM qbd.{table} t WHERE strpos(to_jsonb(t)::text, chr(65533)) > 0"
    ))
    .await
    .get(0)
}

/// The CustomerQueryRq iterators started in a session.
fn customer_iterator_starts(report: &SessionReport) -> usize {
    report
        .sent_requests()
        .iter()
        .filter(|r| r.contains("<CustomerQueryRq") && r.contains("iterator=\"Start\""))
        .count()
}

/// Every customer of the mirror has the Name and EditSequence QuickBooks holds for its ListID;
/// returns how many there are.
async fn mirror_matches_quickbooks(env: &Env, d: &Desktop) -> usize {
    let admin = d.company.admin();
    let rows: Vec<(String, String, String)> = env
        .db
        .query(
            "SELECT list_id, name, edit_sequence FROM qbd.customer ORDER BY local_id",
            &[],
        )
        .await
        .expect("customers")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    for (list_id, name, edit) in &rows {
        let ret = admin
            .get(list_id)
            .unwrap_or_else(|| panic!("{list_id} is not in QuickBooks"));
        assert_eq!(ret.child_text("Name"), Some(name.as_str()), "{list_id}");
        assert_eq!(
            ret.child_text("EditSequence"),
            Some(edit.as_str()),
            "{list_id}"
        );
    }
    let distinct: i64 = env
        .one("SELECT count(DISTINCT list_id) FROM qbd.customer")
        .await
        .get(0);
    assert_eq!(distinct as usize, rows.len(), "no ListID twice");
    rows.len()
}

/// QuickBooks' customers with this name.
fn customers_named(d: &Desktop, name: &str) -> Vec<String> {
    let admin = d.company.admin();
    admin
        .ids("Customer")
        .unwrap_or_default()
        .into_iter()
        .filter(|id| {
            admin
                .get(id)
                .is_some_and(|r| r.child_text("Name") == Some(name))
        })
        .collect()
}

/// Every pushed customer: once in QuickBooks, and its row `ok` with that ListID and
/// EditSequence, with exactly one `ok` outgoing result and no error result.
async fn landed_once(env: &Env, d: &Desktop, rows: &[(i64, String)]) {
    let admin = d.company.admin();
    for (local, name) in rows {
        let ids = customers_named(d, name);
        assert_eq!(ids.len(), 1, "{name} is in QuickBooks once: {ids:?}");
        let r = env
            .one(&format!(
                "SELECT sync_status, sync_message, list_id, edit_sequence, request_id FROM qbd.customer WHERE local_id = {local}"
            ))
            .await;
        let (status, message): (String, Option<String>) = (r.get(0), r.get(1));
        assert_eq!(status, "ok", "{name}: {message:?}");
        assert_eq!(message, None, "{name}");
        assert_eq!(
            r.get::<_, Option<String>>(2).as_deref(),
            Some(ids[0].as_str())
        );
        assert_eq!(r.get::<_, Option<String>>(3), admin.edit_sequence(&ids[0]));
        assert_eq!(
            r.get::<_, Option<String>>(4),
            None,
            "{name}: request_id cleared"
        );
        let results = env
            .one(&format!(
                "SELECT count(*) FILTER (WHERE outcome = 'ok'), count(*) FILTER (WHERE outcome = 'error') \
                 FROM qbsync.sync_result WHERE direction = 'outgoing' AND entity = 'qbd:Customer' AND local_id = {local}"
            ))
            .await;
        assert_eq!(
            (results.get::<_, i64>(0), results.get::<_, i64>(1)),
            (1, 0),
            "{name}: one ok result"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_populate_page_that_is_not_utf8_is_asked_again_and_the_mirror_is_complete() {
    let env = Env::start().await;
    let d = desktop(&env, 250).await;
    let admin = d.company.admin();
    let task_id: i64 = env
        .one("SELECT qbsync.qb_populate('shop', '{customer}')")
        .await
        .get(0);
    // Page 1 (iterator Start) arrives; page 2 (Continue) comes back with a Latin-1 byte.
    admin.garble_responses_after(1, 1);
    let report = d.session().await;
    assert_eq!(report.garbled.len(), 1, "one answer garbled");
    // An iterator cannot go back a page: the entity is read again from its start.
    assert_eq!(
        customer_iterator_starts(&report),
        2,
        "{:?}",
        report.sent_requests()
    );
    let (status, error, rows_done) = task(&env, task_id).await;
    assert_eq!(status, "done", "{error:?}");
    assert_eq!(error, None);

    let in_quickbooks = admin.count("Customer").expect("customers");
    assert!(in_quickbooks > 200, "more than two pages: {in_quickbooks}");
    assert_eq!(mirror_matches_quickbooks(&env, &d).await, in_quickbooks);
    assert_eq!(
        rows_done as usize, in_quickbooks,
        "pages read twice are counted once"
    );
    assert_eq!(replacement_characters(&env, "customer").await, 0);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_whose_answers_stay_unreadable_fails_naming_the_entity_request_and_reason() {
    let env = Env::start().await;
    let d = desktop(&env, 250).await;
    let admin = d.company.admin();
    // A customer stored in Latin-1, on the second page (100 a page): every answer naming it is
    // unreadable. Reading the entity again brings page 1 back readable each time, so only a
    // count per entity (not "in a row") ends this.
    let latin1 = admin
        .ids("Customer")
        .expect("customers")
        .iter()
        .skip(150)
        .filter_map(|id| admin.get(id))
        .find(|r| r.child_text("Sublevel") == Some("0"))
        .and_then(|r| r.child_text("Name").map(str::to_string))
        .filter(|n| !n.contains(['&', '<', '>', '\'', '"']))
        .expect("a plain top-level customer on page 2");
    admin.garble_responses_containing(&format!("<Name>{latin1}</Name>"), u32::MAX);
    let task_id: i64 = env
        .one("SELECT qbsync.qb_populate('shop', '{customer}')")
        .await
        .get(0);
    let report = d.connector(DESKTOP_PASSWORD).run_session().await;
    assert_eq!(report.garbled.len(), 3, "asked three times, then given up");
    assert_eq!(customer_iterator_starts(&report), 3);
    let offset = *report.garbled.last().expect("a garbled answer");
    let reason = format!("{REASON} (byte offset {offset})");
    // A negative receiveResponseXML: the Web Connector asks getLastError, shows it and closes.
    let SessionEnd::LastError { cause, message, .. } = &report.end else {
        panic!("{:?} after {:?}", report.end, report.operations());
    };
    assert_eq!(*cause, LastErrorCause::Negative(-101));
    assert!(message.contains(&reason), "{message}");
    assert_eq!(
        report.operations()[report.operations().len() - 2..],
        ["getLastError", "closeConnection"]
    );

    let (status, error, _) = task(&env, task_id).await;
    assert_eq!(status, "failed");
    let error = error.expect("the task says why");
    println!("garbled: populate task error: {error}");
    assert!(error.starts_with("Customer: "), "{error}");
    assert!(error.contains(&reason), "{error}");
    assert!(
        error.contains("CustomerQueryRq (requestID 1, iterator Continue)"),
        "names the request: {error}"
    );
    assert!(error.contains("3 unreadable answers"), "{error}");
    let shown = env
        .one(&format!(
            "SELECT count(*), min(entity) FROM qbsync.messages WHERE company = 'shop' AND task_id = {task_id} \
             AND code = 'task' AND message = $${error}$$"
        ))
        .await;
    assert_eq!(
        shown.get::<_, i64>(0),
        1,
        "qbsync.messages shows the task error"
    );
    assert_eq!(
        shown.get::<_, Option<String>>(1).as_deref(),
        Some("qbd:Customer"),
        "with the entity being read"
    );
    // What was written (page 1) is QuickBooks' data; nothing of the unreadable page is there,
    // and nothing was decoded with replacement characters.
    mirror_matches_quickbooks(&env, &d).await;
    assert_eq!(replacement_characters(&env, "customer").await, 0);
    let written: i64 = env
        .one(&format!(
            "SELECT count(*) FROM qbd.customer WHERE name = $${latin1}$$"
        ))
        .await
        .get(0);
    assert_eq!(written, 0);

    // Once the record is readable again, the next populate completes.
    admin.garble_next_responses(0);
    let again: i64 = env
        .one("SELECT qbsync.qb_populate('shop', '{customer}')")
        .await
        .get(0);
    d.session().await;
    assert_eq!(task(&env, again).await.0, "done");
    assert_eq!(
        mirror_matches_quickbooks(&env, &d).await,
        admin.count("Customer").expect("customers")
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_whose_answer_is_not_utf8_is_recovered_and_each_add_lands_once() {
    let env = Env::start().await;
    let d = desktop(&env, 5).await;
    let admin = d.company.admin();
    let customers = admin.count("Customer").expect("customers");
    let invoices = admin.count("Invoice").expect("invoices");
    let mut rows = Vec::new();
    for n in 1..=3 {
        let name = format!("Garbled Answer Customer {n}");
        rows.push((Desktop::new_customer(&env, &name).await, name));
    }
    let invoice =
        Desktop::new_invoice(&env, "Garbled Answer Customer 1", "QBS-8001", &[1, 1]).await;

    // QuickBooks applies the message set; its answer reaches the agent unreadable.
    admin.garble_next_responses(1);
    let report = d.session().await;
    assert_eq!(report.garbled.len(), 1);
    let sent = report.sent_requests();
    let set = sent[0]
        .split("newMessageSetID=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the batch has a message set ID")
        .to_string();
    assert!(sent[0].contains("<CustomerAddRq") && sent[0].contains("<InvoiceAddRq"));
    // Not sent again: QuickBooks is asked for the set's stored answers, then the set is cleared.
    assert!(
        sent[1].contains(&format!("oldMessageSetID=\"{set}\""))
            && sent[1].contains(&format!("newMessageSetID=\"{set}\""))
            && !sent[1].contains("AddRq"),
        "{}",
        sent[1]
    );
    assert!(sent[1..].iter().all(|x| !x.contains("AddRq")), "{sent:?}");
    assert!(sent.last().is_some_and(
        |x| x.contains(&format!("oldMessageSetID=\"{set}\"")) && !x.contains("newMessageSetID")
    ));
    // The unreadable answer did not end the session: the agent asked for the next request.
    let progress = report.progress();
    assert!(progress[0] >= 0 && progress[0] < 100, "{progress:?}");
    assert_eq!(progress.last(), Some(&100));

    assert_eq!(admin.count("Customer").expect("customers"), customers + 3);
    assert_eq!(admin.count("Invoice").expect("invoices"), invoices + 1);
    assert_eq!(admin.stats().recovery_sets, 0, "the stored set is cleared");
    landed_once(&env, &d, &rows).await;
    let r = env
        .one(&format!(
            "SELECT sync_status, txn_id, (SELECT count(*) FROM qbd.invoice_line l WHERE l.invoice_local_id = i.local_id AND l.txn_line_id IS NOT NULL) \
             FROM qbd.invoice i WHERE local_id = {invoice}"
        ))
        .await;
    assert_eq!(r.get::<_, String>(0), "ok");
    let txn_id: String = r.get(1);
    assert!(admin.get(&txn_id).is_some());
    assert_eq!(r.get::<_, i64>(2), 2, "the lines got their TxnLineIDs");
    assert_eq!(replacement_characters(&env, "customer").await, 0);
    assert_eq!(replacement_characters(&env, "invoice").await, 0);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_whose_answers_stay_unreadable_is_recovered_at_the_next_session_once() {
    let env = Env::start().await;
    let d = desktop(&env, 5).await;
    let admin = d.company.admin();
    // Connect first, so the push runs as a qb_update task.
    let report = d.connector(DESKTOP_PASSWORD).run_session().await;
    assert!(
        !matches!(report.end, SessionEnd::Failed { .. }),
        "{:?}",
        report.end
    );
    let customers = admin.count("Customer").expect("customers");
    let mut rows = Vec::new();
    for n in 1..=2 {
        let name = format!("Unreadable Answer Customer {n}");
        rows.push((Desktop::new_customer(&env, &name).await, name));
    }
    let task_id: i64 = env.one("SELECT qbsync.qb_update('shop')").await.get(0);

    // The batch's answer and the answers to two status checks are all unreadable.
    admin.garble_next_responses(3);
    let report = d.connector(DESKTOP_PASSWORD).run_session().await;
    assert_eq!(report.garbled.len(), 3);
    let SessionEnd::LastError { cause, message, .. } = &report.end else {
        panic!("{:?} after {:?}", report.end, report.operations());
    };
    assert_eq!(*cause, LastErrorCause::Negative(-101));
    println!("garbled: getLastError after a push: {message}");
    let offset = *report.garbled.last().expect("garbled");
    assert!(
        message.contains(&format!("{REASON} (byte offset {offset})"))
            && message.contains("the status check of message set qbs-")
            && message.contains("next session"),
        "{message}"
    );
    let adds = report
        .sent_requests()
        .iter()
        .filter(|r| r.contains("CustomerAddRq"))
        .count();
    assert_eq!(adds, 1, "the adds went once");
    assert_eq!(admin.count("Customer").expect("customers"), customers + 2);
    // The task waits for the next session; the rows say why their outcome is not known yet.
    assert_eq!(task(&env, task_id).await.0, "queued");
    for (local, name) in &rows {
        let r = env
            .one(&format!(
                "SELECT sync_status, sync_message, request_id FROM qbd.customer WHERE local_id = {local}"
            ))
            .await;
        assert_eq!(r.get::<_, String>(0), "sending", "{name}");
        let message: String = r.get(1);
        println!("garbled: {name}: {message}");
        assert!(
            message.contains(REASON) && message.contains("unknown"),
            "{name}: {message}"
        );
        assert!(r.get::<_, Option<String>>(2).is_some(), "{name}");
    }

    // Readable again: the status check applies QuickBooks' stored answers; nothing is resent.
    let report = d.session().await;
    assert!(
        report
            .sent_requests()
            .iter()
            .all(|r| !r.contains("CustomerAddRq")),
        "{:?}",
        report.sent_requests()
    );
    assert_eq!(admin.count("Customer").expect("customers"), customers + 2);
    landed_once(&env, &d, &rows).await;
    let (status, error, rows_done) = task(&env, task_id).await;
    assert_eq!(status, "done", "{error:?}");
    assert_eq!(rows_done, 2);
    assert_eq!(admin.stats().recovery_sets, 0);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_reads_envelopes_that_are_not_utf8_instead_of_refusing_them() {
    let env = Env::start().await;
    let d = desktop(&env, 0).await;
    let http = reqwest::Client::new();
    let post = |body: Vec<u8>, action: &'static str| {
        http.post(&d.url)
            .header("Content-Type", "text/xml; charset=utf-8")
            .header(
                "SOAPAction",
                format!("\"http://developer.intuit.com/{action}\""),
            )
            .body(body)
            .send()
    };
    let garble = |xml: String| -> Vec<u8> {
        xml.replace("@@", "\u{1}")
            .into_bytes()
            .into_iter()
            .map(|b| if b == 1 { 0xE9 } else { b })
            .collect()
    };
    // A receiveResponseXML for a ticket nobody holds: read, and answered like any unknown
    // ticket (a negative value), not with HTTP 400.
    let body = garble(soap::call_envelope(&Call::ReceiveResponseXml {
        ticket: "no-such-ticket".into(),
        response: "<QBXML><Name>Caf@@</Name></QBXML>".into(),
        hresult: String::new(),
        message: String::new(),
    }));
    let response = post(body, "receiveResponseXML").await.expect("answered");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("body");
    assert_eq!(
        soap::parse_reply(&text).expect("a reply"),
        ("receiveResponseXML".to_string(), Reply::Int(-101))
    );
    // Invalid bytes where text must be read: a SOAP fault naming the place.
    let body = garble(soap::call_envelope(&Call::SendRequestXml {
        ticket: "t".into(),
        hcp_response: "<QBXML>@@</QBXML>".into(),
        company_file_name: String::new(),
        country: "US".into(),
        major_version: 13,
        minor_version: 0,
    }));
    let response = post(body, "sendRequestXML").await.expect("answered");
    assert_eq!(response.status(), 500);
    let text = response.text().await.expect("body");
    match soap::parse_reply(&text) {
        Err(soap::SoapError::Fault { message, .. }) => assert_eq!(
            message,
            "sendRequestXML <strHCPResponse> is not valid UTF-8 (byte offset 7)"
        ),
        other => panic!("{other:?}"),
    }
    env.finish().await;
}
