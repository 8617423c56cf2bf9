//! Pushing QuickBooks Desktop rows through the Web Connector: rows of `qbd.*` tables whose
//! `operation` is set go to the simulated company file in message sets, and the outcome comes
//! back on the row and in `qbsync.sync_result`, including the error recovery of a lost response.

use qbsync_qbxml::Element;
use qbsync_sandbox::qbwc::SessionEnd;
use qbsync_tests::{desktop, Desktop, Env, DESKTOP_PASSWORD};

/// (sync_status, sync_message, operation, key) of a row.
async fn state(
    env: &Env,
    table: &str,
    local: i64,
) -> (String, Option<String>, Option<String>, Option<String>) {
    let key = if table.ends_with("customer") {
        "list_id"
    } else {
        "txn_id"
    };
    let r = env
        .one(&format!(
            "SELECT coalesce(sync_status, ''), sync_message, operation, {key} FROM qbd.{table} WHERE local_id = {local}"
        ))
        .await;
    (r.get(0), r.get(1), r.get(2), r.get(3))
}

/// (outcome, code) of the last outgoing result of a row.
async fn last_result(env: &Env, entity: &str, local: i64) -> (String, Option<String>) {
    let r = env
        .one(&format!(
            "SELECT outcome, code FROM qbsync.sync_result WHERE direction = 'outgoing' AND entity = 'qbd:{entity}' \
             AND local_id = {local} ORDER BY id DESC LIMIT 1"
        ))
        .await;
    (r.get(0), r.get(1))
}

/// The name of a top-level customer the seeded company file has.
fn existing_customer(d: &Desktop) -> String {
    let admin = d.company.admin();
    admin
        .ids("Customer")
        .unwrap()
        .iter()
        .filter_map(|id| admin.get(id))
        .find(|r| r.child_text("Sublevel") == Some("0"))
        .and_then(|r| r.child_text("Name").map(str::to_string))
        .expect("a top-level customer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adds_and_updates_write_back_ids_and_edit_sequences() {
    let env = Env::start().await;
    let d = desktop(&env, 5).await;
    let admin = d.company.admin();
    let customer = Desktop::new_customer(&env, "Acme Hardware").await;
    let invoice = Desktop::new_invoice(&env, "Acme Hardware", "QBS-1001", &[2, 3]).await;

    let report = d.session().await;
    // One message set: the customer before the invoice that refers to it, with recovery ID.
    let sent = report.sent_requests();
    let batch = sent.first().expect("a message set");
    assert!(batch.contains("newMessageSetID=\"qbs-"), "{batch}");
    assert!(batch.contains("onError=\"continueOnError\""), "{batch}");
    let (c, i) = (
        batch.find("<CustomerAddRq").expect("customer add"),
        batch.find("<InvoiceAddRq").expect("invoice add"),
    );
    assert!(c < i, "lists go before transactions");
    // The set is forgotten once written back.
    assert!(sent
        .last()
        .is_some_and(|x| x.contains("oldMessageSetID") && !x.contains("newMessageSetID")));
    assert_eq!(admin.stats().recovery_sets, 0);

    let (status, message, operation, list_id) = state(&env, "customer", customer).await;
    assert_eq!(status, "ok", "{message:?}");
    assert_eq!(operation, None);
    let list_id = list_id.expect("ListID written back");
    let edit: String = env
        .text(&format!(
            "SELECT edit_sequence FROM qbd.customer WHERE local_id = {customer}"
        ))
        .await;
    assert_eq!(Some(edit.clone()), admin.edit_sequence(&list_id));
    assert_eq!(
        admin
            .get(&list_id)
            .and_then(|r| r.child_text("Name").map(str::to_string))
            .as_deref(),
        Some("Acme Hardware")
    );

    let (status, message, _, txn_id) = state(&env, "invoice", invoice).await;
    assert_eq!(status, "ok", "{message:?}");
    let txn_id = txn_id.expect("TxnID written back");
    let r = env
        .one(&format!(
            "SELECT edit_sequence, subtotal::text, customer_list_id, \
             (SELECT count(*) FROM qbd.invoice_line l WHERE l.invoice_local_id = i.local_id AND l.txn_line_id IS NOT NULL), \
             (SELECT sum(amount)::text FROM qbd.invoice_line l WHERE l.invoice_local_id = i.local_id) \
             FROM qbd.invoice i WHERE local_id = {invoice}"
        ))
        .await;
    assert_eq!(
        Some(r.get::<_, String>(0)),
        admin.edit_sequence(&txn_id),
        "EditSequence written back"
    );
    assert_eq!(r.get::<_, String>(1), "275.00");
    assert_eq!(
        r.get::<_, Option<String>>(2).as_deref(),
        Some(list_id.as_str())
    );
    assert_eq!(
        r.get::<_, i64>(3),
        2,
        "lines rewritten with their TxnLineIDs"
    );
    assert_eq!(r.get::<_, String>(4), "275.00");
    assert_eq!(
        last_result(&env, "Invoice", invoice).await,
        ("ok".to_string(), None)
    );
    let results: i64 = env
        .one("SELECT count(*) FROM qbsync.sync_result WHERE direction = 'outgoing' AND operation = 'add' AND outcome = 'ok'")
        .await
        .get(0);
    assert_eq!(results, 2);

    // An update: QuickBooks issues a new EditSequence, written back.
    env.exec(&format!(
        "UPDATE qbd.customer SET company_name = 'Acme Hardware Inc', operation = 'update' WHERE local_id = {customer}"
    ))
    .await;
    d.session().await;
    let (status, message, _, _) = state(&env, "customer", customer).await;
    assert_eq!(status, "ok", "{message:?}");
    let edit2: String = env
        .text(&format!(
            "SELECT edit_sequence FROM qbd.customer WHERE local_id = {customer}"
        ))
        .await;
    assert_ne!(edit2, edit);
    assert_eq!(Some(edit2), admin.edit_sequence(&list_id));
    assert_eq!(
        admin
            .get(&list_id)
            .and_then(|r| r.child_text("CompanyName").map(str::to_string))
            .as_deref(),
        Some("Acme Hardware Inc")
    );

    // A QuickBooks user changes the customer: the row's EditSequence is stale (3200).
    admin.advance_clock(60);
    admin
        .modify(
            "Customer",
            &list_id,
            Element::new("Mod").leaf("CompanyName", "Changed In QuickBooks"),
        )
        .unwrap();
    env.exec(&format!(
        "UPDATE qbd.customer SET job_title = 'Owner', operation = 'update' WHERE local_id = {customer}"
    ))
    .await;
    d.session().await;
    let (status, message, operation, _) = state(&env, "customer", customer).await;
    assert_eq!(status, "error");
    let message = message.unwrap_or_default();
    assert!(
        message.contains("3200") && message.contains("operation = 'refresh'"),
        "{message}"
    );
    assert_eq!(operation.as_deref(), Some("update"), "the request is kept");
    assert_eq!(
        last_result(&env, "Customer", customer).await,
        ("error".to_string(), Some("3200".to_string()))
    );

    // Taking QuickBooks' version, then reapplying the change, works.
    env.exec(&format!(
        "UPDATE qbd.customer SET operation = 'refresh' WHERE local_id = {customer}"
    ))
    .await;
    d.session().await;
    let r = env
        .one(&format!(
            "SELECT sync_status, company_name, job_title, edit_sequence FROM qbd.customer WHERE local_id = {customer}"
        ))
        .await;
    assert_eq!(r.get::<_, String>(0), "ok");
    assert_eq!(
        r.get::<_, Option<String>>(1).as_deref(),
        Some("Changed In QuickBooks")
    );
    assert_eq!(r.get::<_, Option<String>>(2), None, "QuickBooks' version");
    assert_eq!(Some(r.get::<_, String>(3)), admin.edit_sequence(&list_id));
    env.exec(&format!(
        "UPDATE qbd.customer SET job_title = 'Owner', operation = 'update' WHERE local_id = {customer}"
    ))
    .await;
    d.session().await;
    assert_eq!(state(&env, "customer", customer).await.0, "ok");
    assert_eq!(
        admin
            .get(&list_id)
            .and_then(|r| r.child_text("JobTitle").map(str::to_string))
            .as_deref(),
        Some("Owner")
    );
    assert_eq!(admin.stats().parse_errors, 0);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_row_errors_and_do_not_stop_the_batch() {
    let env = Env::start().await;
    let d = desktop(&env, 5).await;
    let taken = existing_customer(&d);
    let duplicate = Desktop::new_customer(&env, &taken).await;
    let good = Desktop::new_customer(&env, "Brand New Customer").await;
    let bad_ref = Desktop::new_invoice(&env, "Nobody Such", "QBS-2001", &[1]).await;
    let good_invoice = Desktop::new_invoice(&env, "Brand New Customer", "QBS-2002", &[1]).await;
    let before = d.company.admin().count("Customer").unwrap();

    let report = d.session().await;
    assert_eq!(
        report.sent_requests().len(),
        2,
        "one batch and its clear: {:?}",
        report.sent_requests()
    );

    let (status, message, operation, id) = state(&env, "customer", duplicate).await;
    assert_eq!(status, "error");
    assert!(message.unwrap_or_default().contains("3100"));
    assert_eq!(operation.as_deref(), Some("add"));
    assert_eq!(id, None);
    assert_eq!(
        last_result(&env, "Customer", duplicate).await,
        ("error".to_string(), Some("3100".to_string()))
    );

    let (status, message, _, id) = state(&env, "invoice", bad_ref).await;
    assert_eq!(status, "error");
    let message = message.unwrap_or_default();
    assert!(
        message.contains("3140") && message.contains("Nobody Such"),
        "{message}"
    );
    assert_eq!(id, None);
    assert_eq!(
        last_result(&env, "Invoice", bad_ref).await.1.as_deref(),
        Some("3140")
    );

    // continueOnError: the good rows of the same message set went through.
    assert_eq!(state(&env, "customer", good).await.0, "ok");
    assert_eq!(state(&env, "invoice", good_invoice).await.0, "ok");
    assert_eq!(d.company.admin().count("Customer").unwrap(), before + 1);

    // An error row is not sent again until the application sets operation again.
    let report = d.connector(DESKTOP_PASSWORD).run_session().await;
    assert!(
        matches!(report.end, SessionEnd::NoWork { .. }),
        "{:?}",
        report.end
    );
    let errors: i64 = env
        .one("SELECT count(*) FROM qbsync.messages WHERE company = 'shop' AND code IN ('3100', '3140')")
        .await
        .get(0);
    assert_eq!(errors, 2, "errors show in qbsync.messages");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn void_and_delete_follow_operation_result() {
    let env = Env::start().await;
    let d = desktop(&env, 5).await;
    let admin = d.company.admin();
    let customer = existing_customer(&d);
    let voided = Desktop::new_invoice(&env, &customer, "QBS-3001", &[4]).await;
    let deleted = Desktop::new_invoice(&env, &customer, "QBS-3002", &[1]).await;
    d.session().await;
    let voided_id = state(&env, "invoice", voided).await.3.expect("added");
    let deleted_id = state(&env, "invoice", deleted).await.3.expect("added");
    let edit_before = admin.edit_sequence(&voided_id);

    env.exec(&format!(
        "UPDATE qbd.invoice SET operation = 'void' WHERE local_id = {voided}; \
         UPDATE qbd.invoice SET operation = 'delete' WHERE local_id = {deleted}"
    ))
    .await;
    d.session().await;
    // Voided: kept, amounts zero, QuickBooks' new EditSequence read back.
    let r = env
        .one(&format!(
            "SELECT sync_status, sync_message, subtotal::text, edit_sequence, operation FROM qbd.invoice WHERE local_id = {voided}"
        ))
        .await;
    assert_eq!(
        r.get::<_, String>(0),
        "ok",
        "{:?}",
        r.get::<_, Option<String>>(1)
    );
    assert_eq!(r.get::<_, String>(2), "0.00");
    assert_eq!(Some(r.get::<_, String>(3)), admin.edit_sequence(&voided_id));
    assert_ne!(admin.edit_sequence(&voided_id), edit_before);
    assert_eq!(r.get::<_, Option<String>>(4), None);
    assert_eq!(
        last_result(&env, "Invoice", voided).await,
        ("ok".to_string(), None)
    );
    // Deleted: gone from QuickBooks and, without operation_result, from the table.
    assert!(admin.get(&deleted_id).is_none());
    assert_eq!(state_count(&env, deleted).await, 0);
    let r = env
        .one(&format!(
            "SELECT operation, outcome, qb_id FROM qbsync.sync_result WHERE local_id = {deleted} AND entity = 'qbd:Invoice' ORDER BY id DESC LIMIT 1"
        ))
        .await;
    assert_eq!(r.get::<_, String>(0), "delete");
    assert_eq!(r.get::<_, String>(1), "ok");
    assert_eq!(
        r.get::<_, Option<String>>(2).as_deref(),
        Some(deleted_id.as_str())
    );

    // With operation_result the row stays and operation says what happened.
    env.exec("UPDATE qbsync.company SET operation_result = true WHERE name = 'shop'")
        .await;
    let temp = Desktop::new_customer(&env, "Short Lived Customer").await;
    d.session().await;
    let (status, _, operation, list_id) = state(&env, "customer", temp).await;
    assert_eq!(status, "ok");
    assert_eq!(operation.as_deref(), Some("added"));
    let list_id = list_id.expect("ListID");
    env.exec(&format!(
        "UPDATE qbd.customer SET operation = 'delete' WHERE local_id = {temp}"
    ))
    .await;
    d.session().await;
    let (status, _, operation, _) = state(&env, "customer", temp).await;
    assert_eq!(status, "ok");
    assert_eq!(operation.as_deref(), Some("deleted"));
    assert!(admin.get(&list_id).is_none());
    env.finish().await;
}

async fn state_count(env: &Env, invoice: i64) -> i64 {
    env.one(&format!(
        "SELECT count(*) FROM qbd.invoice WHERE local_id = {invoice}"
    ))
    .await
    .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_record_stays_pending_until_the_next_session() {
    let env = Env::start().await;
    let d = desktop(&env, 5).await;
    let admin = d.company.admin();
    admin.fail_next_write(3170);
    let customer = Desktop::new_customer(&env, "Locked Out Customer").await;
    d.session().await;
    let (status, message, operation, id) = state(&env, "customer", customer).await;
    assert_eq!(status, "pending");
    assert!(message.unwrap_or_default().contains("3170"));
    assert_eq!(operation.as_deref(), Some("add"));
    assert_eq!(id, None);
    let errors: i64 = env
        .one("SELECT count(*) FROM qbsync.sync_result WHERE outcome = 'error'")
        .await
        .get(0);
    assert_eq!(errors, 0, "a lock is not an error");
    assert!(admin.find("Customer", "Locked Out Customer").is_none());

    // The next session (started because rows are pending, no task queued) sends it again.
    d.session().await;
    let (status, message, _, id) = state(&env, "customer", customer).await;
    assert_eq!(status, "ok", "{message:?}");
    assert_eq!(message, None);
    let id = id.expect("ListID");
    assert_eq!(
        admin
            .find("Customer", "Locked Out Customer")
            .and_then(|r| r.child_text("ListID").map(str::to_string)),
        Some(id)
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_response_is_recovered_and_applied_exactly_once() {
    let env = Env::start().await;
    let d = desktop(&env, 5).await;
    let admin = d.company.admin();
    let customers = admin.count("Customer").unwrap();
    let invoices = admin.count("Invoice").unwrap();
    let customer = Desktop::new_customer(&env, "Lost Answer Customer").await;
    let invoice = Desktop::new_invoice(&env, "Lost Answer Customer", "QBS-4001", &[1, 1]).await;

    // QuickBooks applies the message set; its answer never reaches the agent.
    let wc = d.connector(DESKTOP_PASSWORD);
    wc.knobs().drop_next_response();
    let report = wc.run_session().await;
    assert!(
        matches!(report.end, SessionEnd::TransportDropped { .. }),
        "{:?}",
        report.end
    );
    assert_eq!(admin.count("Customer").unwrap(), customers + 1);
    assert_eq!(admin.count("Invoice").unwrap(), invoices + 1);
    let r = env
        .one(&format!(
            "SELECT sync_status, request_id FROM qbd.customer WHERE local_id = {customer}"
        ))
        .await;
    assert_eq!(r.get::<_, String>(0), "sending");
    let set: String = r.get(1);
    assert!(set.starts_with("qbs-") && set.len() <= 23, "{set}");
    let sent = report.sent_requests();
    assert!(sent[0].contains(&format!("newMessageSetID=\"{set}\"")));

    // The next session asks QuickBooks for the stored answers instead of sending again.
    let report = d.session().await;
    let sent = report.sent_requests();
    let check = sent.first().expect("status check");
    assert!(
        check.contains(&format!("newMessageSetID=\"{set}\""))
            && check.contains(&format!("oldMessageSetID=\"{set}\""))
            && !check.contains("AddRq"),
        "{check}"
    );
    assert!(
        sent.iter().all(|x| !x.contains("CustomerAddRq")),
        "{sent:?}"
    );
    assert!(sent.last().is_some_and(
        |x| x.contains(&format!("oldMessageSetID=\"{set}\"")) && !x.contains("newMessageSetID")
    ));
    assert_eq!(
        admin.count("Customer").unwrap(),
        customers + 1,
        "added once"
    );
    assert_eq!(admin.count("Invoice").unwrap(), invoices + 1, "added once");
    assert_eq!(admin.stats().recovery_sets, 0, "the stored set is cleared");

    let (status, message, _, list_id) = state(&env, "customer", customer).await;
    assert_eq!(status, "ok", "{message:?}");
    let in_qb = admin
        .find("Customer", "Lost Answer Customer")
        .expect("in QuickBooks");
    assert_eq!(list_id.as_deref(), in_qb.child_text("ListID"));
    let edit: String = env
        .text(&format!(
            "SELECT edit_sequence FROM qbd.customer WHERE local_id = {customer}"
        ))
        .await;
    assert_eq!(Some(edit.as_str()), in_qb.child_text("EditSequence"));
    let (status, message, _, txn_id) = state(&env, "invoice", invoice).await;
    assert_eq!(status, "ok", "{message:?}");
    let lines: i64 = env
        .one(&format!(
            "SELECT count(*) FROM qbd.invoice_line WHERE invoice_local_id = {invoice} AND txn_line_id IS NOT NULL"
        ))
        .await
        .get(0);
    assert_eq!(lines, 2);
    assert!(admin.get(&txn_id.expect("TxnID")).is_some());
    let adds: i64 = env
        .one(&format!(
            "SELECT count(*) FROM qbsync.sync_result WHERE entity = 'qbd:Customer' AND local_id = {customer} AND operation = 'add'"
        ))
        .await
        .get(0);
    assert_eq!(adds, 1);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_set_quickbooks_never_received_is_sent_again() {
    let env = Env::start().await;
    let d = desktop(&env, 5).await;
    let admin = d.company.admin();
    let customers = admin.count("Customer").unwrap();
    let customer = Desktop::new_customer(&env, "Never Arrived Customer").await;
    // As if the agent had marked it and stopped before the Web Connector delivered the set.
    env.exec(&format!(
        "UPDATE qbd.customer SET sync_status = 'sending', request_id = 'qbs-00000000000000000' WHERE local_id = {customer}"
    ))
    .await;
    let report = d.session().await;
    let sent = report.sent_requests();
    assert!(
        sent[0].contains("oldMessageSetID=\"qbs-00000000000000000\""),
        "{sent:?}"
    );
    assert!(sent[1].contains("CustomerAddRq"), "{sent:?}");
    let (status, message, _, id) = state(&env, "customer", customer).await;
    assert_eq!(status, "ok", "{message:?}");
    assert!(id.is_some());
    assert_eq!(admin.count("Customer").unwrap(), customers + 1);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qb_update_runs_a_push_task() {
    let env = Env::start().await;
    let d = desktop(&env, 5).await;
    // Connect first, so the push runs as the task.
    session_or_nothing(&d).await;
    let customer = Desktop::new_customer(&env, "Task Pushed Customer").await;
    let task: i64 = env.one("SELECT qbsync.qb_update('shop')").await.get(0);
    d.session().await;
    let r = env
        .one(&format!(
            "SELECT status, error, rows_done, entities_done = entities_total FROM qbsync.task WHERE id = {task}"
        ))
        .await;
    assert_eq!(
        r.get::<_, String>(0),
        "done",
        "{:?}",
        r.get::<_, Option<String>>(1)
    );
    assert_eq!(r.get::<_, i64>(2), 1);
    assert!(r.get::<_, bool>(3));
    assert_eq!(state(&env, "customer", customer).await.0, "ok");
    let logged: Option<i64> = env
        .one(&format!(
            "SELECT task_id FROM qbsync.sync_result WHERE entity = 'qbd:Customer' AND local_id = {customer}"
        ))
        .await
        .get(0);
    assert_eq!(logged, Some(task));

    // Nothing pending: the task is done at once.
    let task: i64 = env.one("SELECT qbsync.qb_update('shop')").await.get(0);
    let report = d.connector(DESKTOP_PASSWORD).run_session().await;
    assert!(
        matches!(report.end, SessionEnd::LastError { .. }),
        "{:?}",
        report.end
    );
    assert_eq!(
        env.text(&format!("SELECT status FROM qbsync.task WHERE id = {task}"))
            .await,
        "done"
    );
    env.finish().await;
}

/// A session for the connect task alone.
async fn session_or_nothing(d: &Desktop) {
    let report = d.connector(DESKTOP_PASSWORD).run_session().await;
    assert!(
        !matches!(
            report.end,
            SessionEnd::Failed { .. } | SessionEnd::TransportDropped { .. }
        ),
        "{:?}",
        report.end
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_deleted_in_quickbooks_answer_3120_and_500_on_the_row() {
    let env = Env::start().await;
    let d = desktop(&env, 10).await;
    d.connector(DESKTOP_PASSWORD).run_session().await; // connect
    env.exec("SELECT qbsync.qb_populate('shop', '{customer}')")
        .await;
    d.session().await;
    let admin = d.company.admin();
    let ids = admin.ids("Customer").unwrap();
    // Two customers with no transactions, deleted by a QuickBooks user after they were mirrored.
    let added: Vec<String> = ["Gone Before Update", "Gone Before Refresh"]
        .iter()
        .map(|n| {
            admin
                .add("Customer", Element::new("Add").leaf("Name", *n))
                .unwrap()
                .child_text("ListID")
                .unwrap()
                .to_string()
        })
        .collect();
    env.exec("SELECT qbsync.qb_refresh('shop', '{customer}')")
        .await;
    d.session().await;
    for id in &added {
        admin.delete("Customer", id).unwrap();
    }
    let local = |id: &str| format!("SELECT local_id FROM qbd.customer WHERE list_id = '{id}'");
    let upd: i64 = env.one(&local(&added[0])).await.get(0);
    let refr: i64 = env.one(&local(&added[1])).await.get(0);
    env.exec(&format!(
        "UPDATE qbd.customer SET company_name = 'New Name', operation = 'update' WHERE local_id = {upd}; \
         UPDATE qbd.customer SET operation = 'refresh' WHERE local_id = {refr}"
    ))
    .await;
    d.session().await;
    // The update cannot find its target: a row error with QuickBooks' code, nothing created.
    let (status, message, _, _) = state(&env, "customer", upd).await;
    assert_eq!(status, "error", "{message:?}");
    assert_eq!(
        last_result(&env, "Customer", upd).await.1.as_deref(),
        Some("3120")
    );
    // The refresh finds nothing (status 500 Warn / 1): the record is gone here too.
    let gone: i64 = env
        .one(&format!(
            "SELECT count(*) FROM qbd.customer WHERE local_id = {refr}"
        ))
        .await
        .get(0);
    assert_eq!(gone, 0);
    assert_eq!(admin.count("Customer").unwrap(), ids.len());
    // Kinds do not mix: a Desktop company cannot use qbo tables, nor an Online one qbd tables.
    let e = env
        .error_of(&format!(
            "INSERT INTO qbo.customer (company_id, display_name, operation) VALUES ({}, 'x', 'add')",
            Desktop::company_id(&env).await
        ))
        .await;
    assert!(
        e.contains("QuickBooks Desktop company and cannot use qbo tables"),
        "{e}"
    );
    let e = env
        .error_of(&format!(
            "INSERT INTO qbd.customer (company_id, name, operation) VALUES ({}, 'x', 'add')",
            env.company_id
        ))
        .await;
    assert!(
        e.contains("QuickBooks Online company and cannot use qbd tables"),
        "{e}"
    );
    // Desktop payments both ways are refused until they are matched before adding.
    let e = env
        .error_of("SELECT qbsync.qb_enable_table('shop', 'receive_payment', direction => 'both', payment_match => 'reference')")
        .await;
    assert!(e.contains("cannot be synced in both directions yet"), "{e}");
    let e = env
        .error_of(&format!(
            "SELECT qbsync.qb_link('qbd.customer', {upd}, 'x')"
        ))
        .await;
    assert!(e.contains("QuickBooks Online tables only"), "{e}");
    env.finish().await;
}
