//! QuickBooks Desktop through the Web Connector: the simulated Web Connector (sandbox) drives the
//! agent's SOAP endpoint over loopback HTTP, with the simulated company file behind it.

use qbsync_catalog::QBD_ENTITIES;
use qbsync_sandbox::qbwc::SessionEnd;
use qbsync_tests::{desktop, Env, DESKTOP_PASSWORD as PASSWORD};

async fn task_status(env: &Env, sql: &str) -> (String, Option<String>) {
    let r = env
        .one(&format!(
            "SELECT status, error FROM qbsync.task WHERE id = ({sql})"
        ))
        .await;
    (r.get(0), r.get(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_connector_sessions_log_in_check_the_file_and_connect() {
    let env = Env::start().await;
    let d = desktop(&env, 5).await;

    // A wrong password: nvu, nothing else happens.
    let report = d.connector("wrong password").run_session().await;
    assert!(
        matches!(report.end, SessionEnd::NotValidUser),
        "{:?}",
        report.end
    );
    assert_eq!(
        report.operations(),
        ["serverVersion", "clientVersion", "authenticate"]
    );

    // The right one: the first sendRequestXML carries the company information; the connect
    // task completes and nothing else is queued, so the exchange ends with getLastError.
    let report = d.connector(PASSWORD).run_session().await;
    assert_eq!(
        report.operations(),
        [
            "serverVersion",
            "clientVersion",
            "authenticate",
            "sendRequestXML",
            "getLastError",
            "closeConnection"
        ],
        "{:?}",
        report.end
    );
    assert!(report
        .last_error()
        .unwrap_or_default()
        .contains("nothing more to do"));
    let (status, error) = task_status(&env, "SELECT id FROM qbsync.task WHERE kind = 'connect' AND company_id = (SELECT id FROM qbsync.company WHERE name = 'shop')").await;
    assert_eq!(status, "done", "{error:?}");
    assert_eq!(
        env.text("SELECT quickbooks_name FROM qbsync.company WHERE name = 'shop'")
            .await,
        "qbsync sample"
    );

    // Nothing queued: authenticate answers "none".
    let report = d.connector(PASSWORD).run_session().await;
    assert!(
        matches!(report.end, SessionEnd::NoWork { .. }),
        "{:?}",
        report.end
    );

    // Another company file (its FileID stamp differs): refused, and the reason is shown.
    env.exec("SELECT qbsync.qb_populate('shop', '{customer}')")
        .await;
    d.company
        .admin()
        .set_file_stamp(&d.owner_id, "{00000000-1111-2222-3333-444444444444}");
    let report = d.connector(PASSWORD).run_session().await;
    let shown = report.last_error().unwrap_or_default().to_string();
    assert!(shown.contains("is not the one registered"), "{shown}");
    assert_eq!(
        env.text("SELECT status FROM qbsync.task WHERE kind = 'populate'")
            .await,
        "queued",
        "no work was done against the wrong file"
    );
    // Secrets: only a bcrypt hash is stored.
    let hash = env
        .text("SELECT password_hash FROM qbsync.qbwc_credential")
        .await;
    assert!(hash.starts_with("$2a$") && !hash.contains(PASSWORD));
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn populate_reads_every_desktop_table_through_iterators() {
    let env = Env::start().await;
    let d = desktop(&env, 250).await;
    let task: i64 = env.one("SELECT qbsync.qb_populate('shop')").await.get(0);
    let report = d.connector(PASSWORD).run_session().await;
    assert!(
        matches!(report.end, SessionEnd::Closed { .. }),
        "{:?} after {:?}",
        report.end,
        report.operations()
    );
    let (status, error) = task_status(&env, &task.to_string()).await;
    assert_eq!(status, "done", "{error:?}");
    // Progress went up and ended at 100.
    let progress = report.progress();
    assert_eq!(progress.last(), Some(&100));
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");

    let admin = d.company.admin();
    for e in QBD_ENTITIES {
        let expected = admin
            .count(e.name)
            .unwrap_or_else(|err| panic!("{}: {err:?}", e.name));
        let local: i64 = env
            .one(&format!("SELECT count(*) FROM qbd.{} WHERE company_id = (SELECT id FROM qbsync.company WHERE name = 'shop')", e.table))
            .await
            .get(0);
        assert_eq!(local as usize, expected, "{}", e.name);
    }
    // More customers than one iterator page: several CustomerQueryRq went out.
    let stats = admin.stats();
    assert!(
        stats.requests.get("CustomerQueryRq").copied().unwrap_or(0) >= 3,
        "{:?}",
        stats.requests
    );
    assert_eq!(
        stats.parse_errors, 0,
        "every request validated against the XSD"
    );
    // Keys, EditSequence and lines arrived.
    let r = env
        .one("SELECT count(*) FILTER (WHERE list_id IS NULL OR edit_sequence IS NULL OR time_modified IS NULL) FROM qbd.customer")
        .await;
    assert_eq!(r.get::<_, i64>(0), 0);
    let lines: i64 = env
        .one("SELECT count(*) FROM qbd.invoice_line")
        .await
        .get(0);
    assert!(lines > 0);
    let populated: i64 = env
        .one("SELECT count(*) FROM qbsync.history WHERE entity LIKE 'qbd:%' AND populated_at IS NOT NULL")
        .await
        .get(0);
    assert_eq!(populated as usize, QBD_ENTITIES.len());

    // A second populate changes nothing it does not need to (same EditSequences).
    let before: i64 = env.one("SELECT count(*) FROM qbd.customer").await.get(0);
    env.exec("SELECT qbsync.qb_populate('shop', '{customer}')")
        .await;
    let report = d.connector(PASSWORD).run_session().await;
    assert!(
        matches!(report.end, SessionEnd::Closed { .. }),
        "{:?}",
        report.end
    );
    let after: i64 = env.one("SELECT count(*) FROM qbd.customer").await.get(0);
    assert_eq!(before, after);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_brings_changes_and_deletions_made_in_quickbooks() {
    use qbsync_qbxml::Element;
    let env = Env::start().await;
    let d = desktop(&env, 30).await;
    env.exec("SELECT qbsync.qb_populate('shop')").await;
    let report = d.connector(PASSWORD).run_session().await;
    assert!(
        matches!(report.end, SessionEnd::Closed { .. }),
        "{:?}",
        report.end
    );

    // A QuickBooks user works in the company file an hour later.
    let admin = d.company.admin();
    admin.advance_clock(3600);
    let customers = admin.ids("Customer").unwrap();
    let renamed = customers[0].clone();
    admin
        .modify(
            "Customer",
            &renamed,
            Element::new("Mod").leaf("CompanyName", "Renamed In QuickBooks"),
        )
        .unwrap();
    let inactive = customers[1].clone();
    admin.deactivate("Customer", &inactive).unwrap();
    let new_customer = admin
        .add(
            "Customer",
            Element::new("Add").leaf("Name", "Added In QuickBooks"),
        )
        .unwrap();
    let new_id = new_customer.child_text("ListID").unwrap().to_string();
    let invoices = admin.ids("Invoice").unwrap();
    let deleted_invoice = invoices[0].clone();
    admin.delete("Invoice", &deleted_invoice).unwrap();
    let edit_before: String = env
        .text(&format!(
            "SELECT edit_sequence FROM qbd.customer WHERE list_id = '{renamed}'"
        ))
        .await;

    let task: i64 = env.one("SELECT qbsync.qb_refresh('shop')").await.get(0);
    let report = d.connector(PASSWORD).run_session().await;
    assert!(
        matches!(report.end, SessionEnd::Closed { .. }),
        "{:?}",
        report.end
    );
    let (status, error) = task_status(&env, &task.to_string()).await;
    assert_eq!(status, "done", "{error:?}");

    let r = env
        .one(&format!(
            "SELECT company_name, edit_sequence FROM qbd.customer WHERE list_id = '{renamed}'"
        ))
        .await;
    assert_eq!(
        r.get::<_, Option<String>>(0).as_deref(),
        Some("Renamed In QuickBooks")
    );
    assert_ne!(
        r.get::<_, String>(1),
        edit_before,
        "the new EditSequence is kept"
    );
    assert_eq!(
        env.text(&format!(
            "SELECT is_active::text FROM qbd.customer WHERE list_id = '{inactive}'"
        ))
        .await,
        "false",
        "a deactivated customer is updated, not deleted"
    );
    assert_eq!(
        env.text(&format!(
            "SELECT name FROM qbd.customer WHERE list_id = '{new_id}'"
        ))
        .await,
        "Added In QuickBooks"
    );
    let gone: i64 = env
        .one(&format!(
            "SELECT count(*) FROM qbd.invoice WHERE txn_id = '{deleted_invoice}'"
        ))
        .await
        .get(0);
    assert_eq!(gone, 0, "the invoice deleted in QuickBooks is deleted here");
    let admin_customers = admin.count("Customer").unwrap() as i64;
    let local: i64 = env.one("SELECT count(*) FROM qbd.customer").await.get(0);
    assert_eq!(local, admin_customers);
    // Only what changed was written: the records inside the overlap window came back with the
    // same EditSequence and were skipped.
    let logged: Vec<(String, String, i64)> = env
        .db
        .query(
            &format!(
                "SELECT entity, operation, count(*) FROM qbsync.sync_result WHERE task_id = {task} GROUP BY 1, 2 ORDER BY 1, 2"
            ),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert!(
        logged.contains(&("qbd:Customer".into(), "insert".into(), 1)),
        "{logged:?}"
    );
    assert!(
        logged.contains(&("qbd:Customer".into(), "update".into(), 2)),
        "{logged:?}"
    );
    assert!(
        logged.contains(&("qbd:Invoice".into(), "delete".into(), 1)),
        "{logged:?}"
    );
    // The modified-date filters went out in the shape each query needs (validated by the sandbox).
    let stats = admin.stats();
    assert_eq!(stats.parse_errors, 0);
    assert!(
        stats
            .requests
            .get("TxnDeletedQueryRq")
            .copied()
            .unwrap_or(0)
            > 0,
        "{:?}",
        stats.requests
    );
    assert!(
        stats
            .requests
            .get("ListDeletedQueryRq")
            .copied()
            .unwrap_or(0)
            > 0,
        "{:?}",
        stats.requests
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_reports_land_in_the_report_tables() {
    let env = Env::start().await;
    let d = desktop(&env, 30).await;
    let runs = [
        (
            "ProfitAndLossStandard",
            r#"{"date_macro": "All", "accounting_method": "Accrual"}"#,
        ),
        ("BalanceSheetStandard", r#"{"date_macro": "All"}"#),
        ("ARAgingSummary", "{}"),
        ("GeneralLedger", r#"{"date_macro": "All"}"#),
        (
            "CustomSummary",
            r#"{"date_macro": "All", "summarize_column_by": "TotalOnly", "summarize_rows_by": "Customer"}"#,
        ),
        ("CustomTxnDetail", r#"{"date_macro": "All"}"#),
    ];
    let mut tasks = Vec::new();
    for (name, params) in runs {
        let t: i64 = env
            .one(&format!(
                "SELECT qbsync.qb_report('shop', '{name}', '{params}')"
            ))
            .await
            .get(0);
        tasks.push((name, t));
    }
    let report = d.connector(PASSWORD).run_session().await;
    assert!(
        matches!(report.end, SessionEnd::Closed { .. }),
        "{:?}",
        report.end
    );
    for (name, task) in &tasks {
        let (status, error) = task_status(&env, &task.to_string()).await;
        assert_eq!(status, "done", "{name}: {error:?}");
        let r = env
            .one(&format!(
                "SELECT report, row_count, column_count, (SELECT count(*) FROM qbsync.report_row WHERE run_id = r.id) \
                 FROM qbsync.report_run r WHERE task_id = {task}"
            ))
            .await;
        assert_eq!(r.get::<_, String>(0), *name);
        assert!(r.get::<_, i32>(1) > 0, "{name} has rows");
        assert!(r.get::<_, i32>(2) >= 2, "{name} has columns");
        assert_eq!(i64::from(r.get::<_, i32>(1)), r.get::<_, i64>(3));
    }
    // The profit and loss has sections and ends with its net income.
    let pl = tasks[0].1;
    let r = env
        .one(&format!(
            "SELECT label, row_type, cardinality(section_path) FROM qbsync.report_row \
             WHERE run_id = (SELECT id FROM qbsync.report_run WHERE task_id = {pl}) ORDER BY row_no DESC LIMIT 1"
        ))
        .await;
    assert_eq!(r.get::<_, String>(1), "summary");
    assert_eq!(
        r.get::<_, i32>(2),
        0,
        "the grand total is outside every section"
    );
    let sections: i64 = env
        .one(&format!(
            "SELECT count(DISTINCT section_path[1]) FROM qbsync.report_row \
             WHERE run_id = (SELECT id FROM qbsync.report_run WHERE task_id = {pl}) AND cardinality(section_path) > 0"
        ))
        .await
        .get(0);
    let dump: Vec<String> = env.texts(&format!("SELECT row_type || ' ' || array_to_string(section_path, '>') || ' | ' || coalesce(label, '') || ' | ' || coalesce(section_group, '') FROM qbsync.report_row WHERE run_id = (SELECT id FROM qbsync.report_run WHERE task_id = {pl}) ORDER BY row_no")).await;
    assert!(sections >= 2, "income and expense sections: {dump:#?}");
    // Desktop runs appear beside Online ones.
    let listed: i64 = env
        .one("SELECT count(*) FROM qbsync.report_runs WHERE company = 'shop' AND task_status = 'done'")
        .await
        .get(0);
    assert_eq!(listed as usize, tasks.len());
    assert_eq!(d.company.admin().stats().parse_errors, 0);
    env.finish().await;
}
