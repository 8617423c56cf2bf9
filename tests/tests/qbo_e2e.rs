//! End to end against QuickBooks Online (the sandbox): every qb_* function, every operation
//! value, the error paths, refresh of inserts/updates/deletes/deactivations, token refresh and
//! 429 handling. Each test has its own database, sandbox and agent.

use qbsync_sandbox::{SandboxConfig, SeedSize};
use qbsync_tests::{Env, Options};
use serde_json::json;
use std::time::Duration;

fn count(row: tokio_postgres::Row) -> i64 {
    row.get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn populate_loads_every_entity_with_lines_and_history() {
    let env = Env::start().await;
    let (task, status) = env.run_task("SELECT qbsync.qb_populate('acme')").await;
    assert_eq!(status, "done");
    for (table, entity) in [
        ("account", "Account"),
        ("customer", "Customer"),
        ("vendor", "Vendor"),
        ("item", "Item"),
        ("invoice", "Invoice"),
        ("payment", "Payment"),
        ("sales_receipt", "SalesReceipt"),
    ] {
        let local = count(env.one(&format!("SELECT count(*) FROM qbo.{table}")).await);
        assert_eq!(
            local as usize,
            env.qb().count(entity),
            "{table} rows match QuickBooks"
        );
        let populated = count(
            env.one(&format!("SELECT count(*) FROM qbsync.history WHERE entity = '{entity}' AND populated_at IS NOT NULL AND row_count = {local}"))
                .await,
        );
        assert_eq!(populated, 1, "history of {entity}");
    }
    // Inactive customers are loaded too (name-list queries hide them unless asked).
    assert!(
        count(
            env.one("SELECT count(*) FROM qbo.customer WHERE NOT active")
                .await
        ) > 0
    );
    // Lines land in child tables, in order, with typed columns.
    let lines = count(env.one("SELECT count(*) FROM qbo.invoice_line l JOIN qbo.invoice i ON i.local_id = l.invoice_local_id").await);
    let expected: i64 = env
        .one("SELECT sum(jsonb_array_length(data->'Line'))::bigint FROM qbo.invoice")
        .await
        .get(0);
    assert_eq!(lines, expected);
    let mismatched = count(
        env.one(
            "SELECT count(*) FROM qbo.invoice i WHERE i.total_amt <> (SELECT coalesce(sum(amount), 0) FROM qbo.invoice_line l \
             WHERE l.invoice_local_id = i.local_id AND l.detail_type = 'SalesItemLineDetail')",
        )
        .await,
    );
    assert_eq!(
        mismatched, 0,
        "invoice totals equal the sum of their item lines"
    );
    assert!(count(env.one("SELECT count(*) FROM qbo.payment_line WHERE txn_type = 'Invoice' AND txn_id IS NOT NULL").await) > 0);
    let row = env.one(&format!("SELECT rows_done, entities_done, entities_total, requested_by = current_user FROM qbsync.task WHERE id = {task}")).await;
    let total: i64 = env
        .one("SELECT sum(row_count)::bigint FROM qbsync.history")
        .await
        .get(0);
    assert_eq!(row.get::<_, i64>(0), total);
    let entities = count(
        env.one("SELECT count(*) FROM qbsync.entity WHERE company_kind = 'qbo'")
            .await,
    ) as i32;
    assert_eq!(row.get::<_, i32>(1), entities);
    assert_eq!(row.get::<_, i32>(2), entities);
    assert!(row.get::<_, bool>(3));
    // A second populate changes nothing and duplicates nothing.
    env.populate().await;
    let again: i64 = env.one("SELECT count(*) FROM qbo.customer").await.get(0);
    assert_eq!(again as usize, env.qb().count("Customer"));
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_functions_refuse_bad_input_with_clear_errors() {
    let env = Env::with(Options {
        start_agent: false,
        ..Default::default()
    })
    .await;
    let e = env
        .error_of("SELECT qbsync.qb_refresh('acme', '{invoice}')")
        .await;
    assert!(
        e.contains("qbo.invoice has never been populated for company \"acme\""),
        "{e}"
    );
    assert!(e.contains("qb_populate('acme'"), "{e}");
    let e = env.error_of("SELECT qbsync.qb_populate('nope')").await;
    assert!(e.contains("company \"nope\" does not exist"), "{e}");
    let e = env
        .error_of("SELECT qbsync.qb_populate('acme', '{invoices_typo}')")
        .await;
    assert!(e.contains("unknown table \"invoices_typo\""), "{e}");
    // Tasks are queued with the caller's name; qb_stop stops a queued one at once.
    let task: i64 = env
        .one("SELECT qbsync.qb_update('acme', '{qbo.customer, Invoice}')")
        .await
        .get(0);
    let row = env
        .one(&format!(
            "SELECT kind, entities, status, requested_by FROM qbsync.task WHERE id = {task}"
        ))
        .await;
    assert_eq!(row.get::<_, String>(0), "update");
    assert_eq!(
        row.get::<_, Vec<String>>(1),
        vec!["Customer".to_string(), "Invoice".to_string()]
    );
    assert_eq!(row.get::<_, String>(2), "queued");
    let stopped: i64 = env
        .one(&format!("SELECT qbsync.qb_stop({task})"))
        .await
        .get(0);
    assert_eq!(stopped, task);
    assert_eq!(
        env.one(&format!("SELECT status FROM qbsync.task WHERE id = {task}"))
            .await
            .get::<_, String>(0),
        "stopped"
    );
    let e = env
        .error_of(&format!("SELECT qbsync.qb_stop({task})"))
        .await;
    assert!(e.contains("has already finished (stopped)"), "{e}");
    let e = env
        .error_of("SELECT qbsync.qb_update_and_refresh('acme')")
        .await;
    assert!(e.contains("qbo.account has never been populated"), "{e}");

    // The trigger checks every operation an application writes.
    let e = env.error_of(&format!("INSERT INTO qbo.customer (company_id, display_name, operation) VALUES ({}, 'X', 'frobnicate')", env.company_id)).await;
    assert!(
        e.contains("qbo.customer: row local_id=") && e.contains("unknown operation \"frobnicate\""),
        "{e}"
    );
    assert!(e.contains("add, update, refresh, void, delete"), "{e}");
    let e = env.error_of(&format!("INSERT INTO qbo.customer (company_id, display_name, operation) VALUES ({}, 'X', 'update')", env.company_id)).await;
    assert!(
        e.contains("has no QuickBooks Id yet") && e.contains("operation = 'add'"),
        "{e}"
    );
    let e = env.error_of(&format!("INSERT INTO qbo.customer (company_id, id, display_name, operation) VALUES ({}, '77', 'X', 'add')", env.company_id)).await;
    assert!(e.contains("already in QuickBooks as Id 77"), "{e}");
    let e = env.error_of(&format!("INSERT INTO qbo.customer (company_id, id, display_name, operation) VALUES ({}, '77', 'X', 'void')", env.company_id)).await;
    assert!(
        e.contains("cannot void Customer records") && e.contains("makes the record inactive"),
        "{e}"
    );
    env.exec("SELECT qbsync.qb_enable_table('acme', 'vendor', direction => 'incoming')")
        .await;
    let e = env
        .error_of(&format!(
            "INSERT INTO qbo.vendor (company_id, display_name, operation) VALUES ({}, 'V', 'add')",
            env.company_id
        ))
        .await;
    assert!(e.contains("incoming-only for company \"acme\""), "{e}");
    // A valid operation marks the row pending.
    let local = env
        .insert("qbo.customer", "display_name, operation", "'Fine', ' ADD '")
        .await;
    let row = env
        .one(&format!(
            "SELECT operation, sync_status FROM qbo.customer WHERE local_id = {local}"
        ))
        .await;
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, String>(1)),
        ("add".to_string(), "pending".to_string())
    );
    // Secrets are not readable by PUBLIC.
    env.exec("DO $$ BEGIN CREATE ROLE qbsync_test_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$").await;
    env.exec("SET ROLE qbsync_test_reader").await;
    let e = env
        .error_of("SELECT refresh_token_sealed FROM qbsync.company_secret")
        .await;
    assert!(e.contains("permission denied"), "{e}");
    env.exec("RESET ROLE").await;
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_add_update_refresh_delete_live() {
    let env = Env::start().await;
    env.populate().await;
    let local = env
        .insert(
            "qbo.customer",
            "display_name, email, operation",
            "'Heron Ltd', 'ap@heron.test', 'add'",
        )
        .await;
    let row = env.wait_row("qbo.customer", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(
        row.operation, None,
        "operation is cleared when the record is written back"
    );
    let id = row.id.expect("QuickBooks Id written back");
    let qb = env
        .qb()
        .read("Customer", &id)
        .expect("created in QuickBooks");
    assert_eq!(qb["PrimaryEmailAddr"]["Address"], "ap@heron.test");
    let r = env.one(&format!("SELECT sync_token, data->>'DisplayName', last_updated_time IS NOT NULL FROM qbo.customer WHERE local_id = {local}")).await;
    assert_eq!(r.get::<_, String>(0), "0");
    assert_eq!(r.get::<_, String>(1), "Heron Ltd");
    assert!(r.get::<_, bool>(2));
    let logged = count(env.one(&format!("SELECT count(*) FROM qbsync.sync_result WHERE local_id = {local} AND entity = 'Customer' AND direction = 'outgoing' AND operation = 'add' AND outcome = 'ok' AND qb_id = '{id}' AND task_id IS NULL")).await);
    assert_eq!(logged, 1);

    // update: a sparse update of the typed column.
    env.exec(&format!("UPDATE qbo.customer SET phone = '+1 555 0199', operation = 'update' WHERE local_id = {local}")).await;
    let row = env.wait_row("qbo.customer", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(
        env.qb().read("Customer", &id).unwrap()["PrimaryPhone"]["FreeFormNumber"],
        "+1 555 0199"
    );
    assert_eq!(
        env.qb().read("Customer", &id).unwrap()["PrimaryEmailAddr"]["Address"],
        "ap@heron.test",
        "sparse keeps other fields"
    );
    assert_eq!(
        env.one(&format!(
            "SELECT sync_token FROM qbo.customer WHERE local_id = {local}"
        ))
        .await
        .get::<_, String>(0),
        "1"
    );

    // refresh: re-reads one record changed in QuickBooks.
    env.qb()
        .sparse_update("Customer", &id, json!({"CompanyName": "Heron Holdings"}))
        .unwrap();
    env.exec(&format!(
        "UPDATE qbo.customer SET operation = 'refresh' WHERE local_id = {local}"
    ))
    .await;
    assert_eq!(env.wait_row("qbo.customer", local).await.status, "ok");
    assert_eq!(
        env.one(&format!(
            "SELECT company_name FROM qbo.customer WHERE local_id = {local}"
        ))
        .await
        .get::<_, String>(0),
        "Heron Holdings"
    );

    // delete on a name list deactivates, and the row says so.
    env.exec(&format!(
        "UPDATE qbo.customer SET operation = 'delete' WHERE local_id = {local}"
    ))
    .await;
    let row = env.wait_row("qbo.customer", local).await;
    assert_eq!(row.status, "ok");
    assert!(row
        .message
        .unwrap_or_default()
        .contains("cannot delete a Customer; it was made inactive"));
    let r = env
        .one(&format!(
            "SELECT active, display_name FROM qbo.customer WHERE local_id = {local}"
        ))
        .await;
    assert!(!r.get::<_, bool>(0));
    assert_eq!(r.get::<_, String>(1), "Heron Ltd (deleted)");
    assert_eq!(env.qb().read("Customer", &id).unwrap()["Active"], false);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_add_with_lines_void_and_delete() {
    let env = Env::start().await;
    env.populate().await;
    let customer = env.add_customer("Line Test Co").await;
    let local = env
        .add_invoice(&customer, "T-100", &[(3.0, 40.0), (1.0, 15.5)])
        .await;
    let row = env.wait_row("qbo.invoice", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let id = row.id.unwrap();
    let r = env.one(&format!("SELECT total_amt::float8, balance::float8, customer_ref FROM qbo.invoice WHERE local_id = {local}")).await;
    assert_eq!(r.get::<_, f64>(0), 135.5);
    assert_eq!(r.get::<_, f64>(1), 135.5);
    assert_eq!(r.get::<_, String>(2), customer);
    // Lines are rewritten from QuickBooks' answer, with their QuickBooks line ids.
    assert_eq!(count(env.one(&format!("SELECT count(*) FROM qbo.invoice_line WHERE invoice_local_id = {local} AND line_id IS NOT NULL")).await), 2);
    assert_eq!(
        env.qb().read("Invoice", &id).unwrap()["Line"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["DetailType"] == "SalesItemLineDetail")
            .count(),
        2
    );

    env.exec(&format!(
        "UPDATE qbo.invoice SET operation = 'void' WHERE local_id = {local}"
    ))
    .await;
    let row = env.wait_row("qbo.invoice", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let r = env.one(&format!("SELECT total_amt::float8, private_note, sync_token FROM qbo.invoice WHERE local_id = {local}")).await;
    assert_eq!(r.get::<_, f64>(0), 0.0);
    assert_eq!(r.get::<_, String>(1), "Voided");
    assert_eq!(r.get::<_, String>(2), "1");
    assert_eq!(count(env.one(&format!("SELECT count(*) FROM qbsync.sync_result WHERE local_id = {local} AND operation = 'void' AND outcome = 'ok'")).await), 1);

    // delete of a transaction removes it in QuickBooks and here.
    let other = env.add_invoice(&customer, "T-101", &[(1.0, 10.0)]).await;
    let other_id = env.wait_row("qbo.invoice", other).await.id.unwrap();
    env.exec(&format!(
        "UPDATE qbo.invoice SET operation = 'delete' WHERE local_id = {other}"
    ))
    .await;
    assert_eq!(env.wait_row("qbo.invoice", other).await.status, "removed");
    assert!(
        env.qb().read("Invoice", &other_id).is_none(),
        "deleted in QuickBooks"
    );
    assert_eq!(
        count(
            env.one(&format!(
                "SELECT count(*) FROM qbo.invoice_line WHERE invoice_local_id = {other}"
            ))
            .await
        ),
        0
    );
    assert_eq!(count(env.one(&format!("SELECT count(*) FROM qbsync.sync_result WHERE local_id = {other} AND operation = 'delete' AND outcome = 'ok' AND qb_id = '{other_id}'")).await), 1);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_applies_to_an_invoice_and_voids() {
    let env = Env::start().await;
    env.populate().await;
    let customer = env.add_customer("Payer Inc").await;
    let inv = env.add_invoice(&customer, "P-1", &[(2.0, 50.0)]).await;
    let inv_id = env.wait_row("qbo.invoice", inv).await.id.unwrap();
    env.exec(&format!(
        "WITH p AS (INSERT INTO qbo.payment (company_id, customer_ref, total_amt, txn_date, payment_ref_num) VALUES ({}, '{customer}', 60, current_date, 'CHK-9') RETURNING local_id, company_id) \
         INSERT INTO qbo.payment_line (payment_local_id, company_id, line_num, amount, txn_id, txn_type) SELECT local_id, company_id, 1, 60, '{inv_id}', 'Invoice' FROM p",
        env.company_id
    ))
    .await;
    let pay: i64 = env
        .one("SELECT local_id FROM qbo.payment WHERE payment_ref_num = 'CHK-9'")
        .await
        .get(0);
    env.exec(&format!(
        "UPDATE qbo.payment SET operation = 'add' WHERE local_id = {pay}"
    ))
    .await;
    let row = env.wait_row("qbo.payment", pay).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(
        env.qb().read("Invoice", &inv_id).unwrap()["Balance"].as_f64(),
        Some(40.0),
        "partial payment applied"
    );
    let (_, status) = env
        .run_task("SELECT qbsync.qb_refresh('acme', '{invoice}')")
        .await;
    assert_eq!(status, "done");
    assert_eq!(
        env.one(&format!(
            "SELECT balance::float8 FROM qbo.invoice WHERE local_id = {inv}"
        ))
        .await
        .get::<_, f64>(0),
        40.0
    );
    env.exec(&format!(
        "UPDATE qbo.payment SET operation = 'void' WHERE local_id = {pay}"
    ))
    .await;
    let row = env.wait_row("qbo.payment", pay).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let r = env
        .one(&format!(
            "SELECT total_amt::float8, private_note FROM qbo.payment WHERE local_id = {pay}"
        ))
        .await;
    assert_eq!(r.get::<_, f64>(0), 0.0);
    assert!(r.get::<_, String>(1).starts_with("Voided"));
    assert_eq!(
        env.qb().read("Invoice", &inv_id).unwrap()["Balance"].as_f64(),
        Some(100.0),
        "void restores the balance"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_name_and_stale_sync_token_are_row_errors() {
    let env = Env::start().await;
    env.populate().await;
    let taken: String = env
        .one("SELECT display_name FROM qbo.customer WHERE active ORDER BY local_id LIMIT 1")
        .await
        .get(0);
    let local = env
        .insert(
            "qbo.customer",
            "display_name, operation",
            &format!("'{}', 'add'", taken.replace('\'', "''")),
        )
        .await;
    let row = env.wait_row("qbo.customer", local).await;
    assert_eq!(row.status, "error");
    assert_eq!(
        row.operation.as_deref(),
        Some("add"),
        "the row is kept for the user to fix"
    );
    assert!(
        row.message
            .as_deref()
            .unwrap_or("")
            .starts_with("[6240] Duplicate Name Exists Error"),
        "{:?}",
        row.message
    );
    let r = env.one(&format!("SELECT code, message FROM qbsync.sync_result WHERE local_id = {local} AND outcome = 'error'")).await;
    assert_eq!(r.get::<_, String>(0), "6240");
    assert_eq!(
        count(
            env.one(&format!(
                "SELECT count(*) FROM qbsync.messages WHERE local_id = {local} AND code = '6240'"
            ))
            .await
        ),
        1
    );
    // Fix and retry.
    env.exec(&format!("UPDATE qbo.customer SET display_name = 'Unique Name 42', operation = 'add' WHERE local_id = {local}")).await;
    let row = env.wait_row("qbo.customer", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);

    // Someone edits the record in QuickBooks; our update carries the old SyncToken.
    let id = row.id.unwrap();
    env.qb()
        .sparse_update("Customer", &id, json!({"Notes": "edited in QuickBooks"}))
        .unwrap();
    env.exec(&format!(
        "UPDATE qbo.customer SET phone = '1', operation = 'update' WHERE local_id = {local}"
    ))
    .await;
    let row = env.wait_row("qbo.customer", local).await;
    assert_eq!(row.status, "error");
    let msg = row.message.unwrap_or_default();
    assert!(
        msg.starts_with("[5010] Stale Object Error") && msg.contains("operation = 'refresh'"),
        "{msg}"
    );
    assert_eq!(
        env.qb().read("Customer", &id).unwrap().get("PrimaryPhone"),
        None,
        "nothing was applied"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operation_result_setting_writes_only_the_outcome() {
    let env = Env::with(Options {
        operation_result: true,
        ..Default::default()
    })
    .await;
    let local = env
        .insert(
            "qbo.customer",
            "display_name, operation",
            "'Outcome Only', 'add'",
        )
        .await;
    let row = env.wait_row("qbo.customer", local).await;
    assert_eq!(row.status, "ok");
    assert_eq!(row.operation.as_deref(), Some("added"));
    assert!(
        row.id.is_some(),
        "the Id is still written: later operations need it"
    );
    let r = env.one(&format!("SELECT data = '{{}}'::jsonb, last_updated_time IS NULL FROM qbo.customer WHERE local_id = {local}")).await;
    assert!(
        r.get::<_, bool>(0) && r.get::<_, bool>(1),
        "the record itself is not rewritten"
    );
    let dup = env
        .insert(
            "qbo.customer",
            "display_name, operation",
            "'Outcome Only', 'add'",
        )
        .await;
    let row = env.wait_row("qbo.customer", dup).await;
    assert_eq!(
        (row.status.as_str(), row.operation.as_deref()),
        ("error", Some("error"))
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_applies_inserts_updates_deletes_and_deactivations() {
    let env = Env::start().await;
    env.populate().await;
    let qb = env.qb();
    let created = qb
        .create("Customer", json!({"DisplayName": "Made In QuickBooks"}))
        .unwrap();
    let changed: String = env
        .one("SELECT id FROM qbo.customer WHERE active ORDER BY local_id DESC LIMIT 1")
        .await
        .get(0);
    qb.sparse_update("Customer", &changed, json!({"CompanyName": "Renamed Co"}))
        .unwrap();
    let quiet: String = env.active_id("qbo.customer", "balance = 0", 0).await;
    qb.deactivate("Customer", &quiet).unwrap();
    let unpaid: String = env.one("SELECT id FROM qbo.invoice WHERE balance = total_amt AND total_amt > 0 ORDER BY local_id LIMIT 1").await.get(0);
    qb.delete("Invoice", &unpaid).unwrap();
    let voided: String = env.one(&format!("SELECT id FROM qbo.invoice WHERE balance = total_amt AND total_amt > 0 AND id <> '{unpaid}' ORDER BY local_id LIMIT 1")).await.get(0);
    qb.void("Invoice", &voided).unwrap();

    let (task, status) = env.run_task("SELECT qbsync.qb_refresh('acme')").await;
    assert_eq!(status, "done");
    let new_id = created["Id"].as_str().unwrap();
    assert_eq!(
        env.one(&format!(
            "SELECT display_name FROM qbo.customer WHERE id = '{new_id}'"
        ))
        .await
        .get::<_, String>(0),
        "Made In QuickBooks"
    );
    assert_eq!(
        env.one(&format!(
            "SELECT company_name FROM qbo.customer WHERE id = '{changed}'"
        ))
        .await
        .get::<_, String>(0),
        "Renamed Co"
    );
    let r = env
        .one(&format!(
            "SELECT active, display_name LIKE '% (deleted)' FROM qbo.customer WHERE id = '{quiet}'"
        ))
        .await;
    assert!(!r.get::<_, bool>(0) && r.get::<_, bool>(1));
    assert_eq!(
        count(
            env.one(&format!(
                "SELECT count(*) FROM qbo.invoice WHERE id = '{unpaid}'"
            ))
            .await
        ),
        0
    );
    assert_eq!(
        env.one(&format!(
            "SELECT total_amt::float8 FROM qbo.invoice WHERE id = '{voided}'"
        ))
        .await
        .get::<_, f64>(0),
        0.0
    );
    let r = env.one(&format!(
        "SELECT count(*) FILTER (WHERE operation = 'insert' AND entity = 'Customer'), count(*) FILTER (WHERE operation = 'delete' AND qb_id = '{unpaid}'), \
         count(*) FILTER (WHERE operation = 'update' AND entity = 'Invoice' AND qb_id = '{voided}') FROM qbsync.sync_result WHERE task_id = {task} AND direction = 'incoming'"
    ))
    .await;
    assert_eq!(
        (r.get::<_, i64>(0), r.get::<_, i64>(1), r.get::<_, i64>(2)),
        (1, 1, 1)
    );
    // The cursor moved: a second refresh brings nothing new.
    let (task2, _) = env.run_task("SELECT qbsync.qb_refresh('acme')").await;
    let again = count(env.one(&format!("SELECT count(*) FROM qbsync.sync_result WHERE task_id = {task2} AND operation = 'insert'")).await);
    assert_eq!(again, 0);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_falls_back_to_queries_when_the_cursor_is_too_old() {
    let env = Env::start().await;
    env.populate().await;
    let changed: String = env.active_id("qbo.customer", "", 0).await;
    env.qb()
        .sparse_update(
            "Customer",
            &changed,
            json!({"CompanyName": "Old Cursor Co"}),
        )
        .unwrap();
    let gone: String = env.one("SELECT id FROM qbo.invoice WHERE balance = total_amt AND total_amt > 0 ORDER BY local_id LIMIT 1").await.get(0);
    env.qb().delete("Invoice", &gone).unwrap();
    env.exec("UPDATE qbsync.history SET change_cursor = change_cursor - interval '40 days'")
        .await;
    let (cdc_before, query_before) = (env.route_calls("cdc"), env.route_calls("query"));
    let (_, status) = env
        .run_task("SELECT qbsync.qb_refresh('acme', '{customer, invoice}')")
        .await;
    assert_eq!(status, "done");
    assert_eq!(
        env.route_calls("cdc"),
        cdc_before,
        "no CDC call for a cursor older than 30 days"
    );
    assert!(env.route_calls("query") > query_before);
    assert_eq!(
        env.one(&format!(
            "SELECT company_name FROM qbo.customer WHERE id = '{changed}'"
        ))
        .await
        .get::<_, String>(0),
        "Old Cursor Co"
    );
    assert_eq!(
        count(
            env.one(&format!(
                "SELECT count(*) FROM qbo.invoice WHERE id = '{gone}'"
            ))
            .await
        ),
        0,
        "full reload removed the deleted invoice"
    );
    let fresh = count(env.one("SELECT count(*) FROM qbsync.history WHERE change_cursor > now() - interval '1 day' AND entity IN ('Customer', 'Invoice')").await);
    assert_eq!(fresh, 2, "both cursors moved forward");
    let untouched = count(
        env.one(
            "SELECT count(*) FROM qbsync.history WHERE change_cursor < now() - interval '30 days'",
        )
        .await,
    );
    let others = count(
        env.one("SELECT count(*) - 2 FROM qbsync.entity WHERE company_kind = 'qbo'")
            .await,
    );
    assert_eq!(untouched, others, "tables not asked for were left alone");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qb_update_pushes_flagged_rows_in_batches_and_update_and_refresh() {
    let mut env = Env::start().await;
    env.populate().await;
    env.stop_agent().await;
    env.exec(&format!(
        "INSERT INTO qbo.customer (company_id, display_name, operation) SELECT {}, 'Batch ' || g, 'add' FROM generate_series(1, 5) g",
        env.company_id
    ))
    .await;
    let task: i64 = env
        .one("SELECT qbsync.qb_update('acme', '{customer}')")
        .await
        .get(0);
    let batches_before = env.route_calls("batch");
    env.start_agent();
    assert_eq!(env.wait_task(task).await, "done");
    let r = env.one(&format!("SELECT count(*) FILTER (WHERE outcome = 'ok'), count(*) FROM qbsync.sync_result WHERE task_id = {task} AND direction = 'outgoing'")).await;
    assert_eq!((r.get::<_, i64>(0), r.get::<_, i64>(1)), (5, 5));
    assert_eq!(count(env.one("SELECT count(*) FROM qbo.customer WHERE display_name LIKE 'Batch %' AND id IS NOT NULL AND operation IS NULL").await), 5);
    assert_eq!(env.qb().api_creates("Customer"), 5);
    let batches_after = env.route_calls("batch");
    assert_eq!(
        batches_after - batches_before,
        1,
        "five adds went in one batch call"
    );
    assert_eq!(
        env.one(&format!(
            "SELECT rows_done FROM qbsync.task WHERE id = {task}"
        ))
        .await
        .get::<_, i64>(0),
        5
    );

    // update_and_refresh: push a local change, then bring in a remote one.
    env.stop_agent().await;
    let remote = env
        .qb()
        .create("Customer", json!({"DisplayName": "Remote Arrival"}))
        .unwrap();
    env.exec("UPDATE qbo.customer SET email = 'b1@x.test', operation = 'update' WHERE display_name = 'Batch 1'").await;
    let task: i64 = env
        .one("SELECT qbsync.qb_update_and_refresh('acme', '{customer}')")
        .await
        .get(0);
    env.start_agent();
    assert_eq!(env.wait_task(task).await, "done");
    let id: String = env
        .one("SELECT id FROM qbo.customer WHERE display_name = 'Batch 1'")
        .await
        .get(0);
    assert_eq!(
        env.qb().read("Customer", &id).unwrap()["PrimaryEmailAddr"]["Address"],
        "b1@x.test"
    );
    let rid = remote["Id"].as_str().unwrap();
    assert_eq!(
        count(
            env.one(&format!(
                "SELECT count(*) FROM qbo.customer WHERE id = '{rid}'"
            ))
            .await
        ),
        1
    );
    assert_eq!(
        env.one(&format!(
            "SELECT entities_done, entities_total FROM qbsync.task WHERE id = {task}"
        ))
        .await
        .get::<_, i32>(1),
        2
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_while_no_agent_listened_is_swept_up() {
    let mut env = Env::start().await;
    env.stop_agent().await;
    let local = env
        .insert(
            "qbo.customer",
            "display_name, operation",
            "'Nobody Listened', 'add'",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    env.start_agent();
    let row = env.wait_row("qbo.customer", local).await;
    assert_eq!(row.status, "ok");
    assert!(row.id.is_some());
    assert_eq!(env.qb().api_creates("Customer"), 1);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qb_stop_stops_a_running_populate_at_an_entity_boundary() {
    let env = Env::with_sandbox(SandboxConfig {
        seed: SeedSize::scaled(200),
        ..Default::default()
    })
    .await;
    env.qb().set_latency_ms(150);
    let task: i64 = env.one("SELECT qbsync.qb_populate('acme')").await.get(0);
    // Wait until it works on its second entity, then ask it to stop.
    for _ in 0..400 {
        let e: Option<String> = env
            .one(&format!(
                "SELECT current_entity FROM qbsync.task WHERE id = {task}"
            ))
            .await
            .get(0);
        if e.as_deref() == Some("Customer") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    env.exec(&format!("SELECT qbsync.qb_stop({task})")).await;
    assert_eq!(env.wait_task(task).await, "stopped");
    let r = env.one(&format!("SELECT entities_done, entities_total, current_entity FROM qbsync.task WHERE id = {task}")).await;
    assert!(r.get::<_, i32>(0) < r.get::<_, i32>(1));
    // Never mid-record: the entity in progress finished whole, the later ones never started.
    assert_eq!(
        count(env.one("SELECT count(*) FROM qbo.customer").await) as usize,
        env.qb().count("Customer")
    );
    assert_eq!(
        count(env.one("SELECT count(*) FROM qbo.sales_receipt").await),
        0
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_access_token_is_refreshed_and_the_rotated_refresh_token_kept() {
    let env = Env::with_sandbox(SandboxConfig {
        rotate_refresh_every_secs: 0,
        ..Default::default()
    })
    .await;
    let first = env
        .open_secret("SELECT refresh_token_sealed FROM qbsync.company_secret")
        .await;
    assert_eq!(
        Some(first.clone()),
        env.qb().current_refresh_token(),
        "rotated token stored"
    );
    env.qb().advance_clock(3700);
    env.populate().await;
    let r = env
        .one("SELECT refresh_token_sealed, refresh_count FROM qbsync.company_secret")
        .await;
    let second =
        qbsync_secret::open(env.secret_key(), r.get(0)).expect("sealed to the agent's key");
    assert_ne!(second, first);
    assert_eq!(Some(second), env.qb().current_refresh_token());
    assert_eq!(r.get::<_, i64>(1), 2);
    assert!(
        env.qb().stats().unauthorized_401 >= 1,
        "the expired token was refused, then refreshed"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_token_is_refreshed_before_it_expires() {
    let env = Env::with_sandbox(SandboxConfig {
        access_token_ttl_secs: 301,
        ..Default::default()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    env.populate().await;
    let stats = env.qb().stats();
    assert_eq!(stats.unauthorized_401, 0, "never sent an expiring token");
    assert!(stats.token_refreshes >= 2);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_grant_stops_the_company_and_shows_in_status() {
    let env = Env::start().await;
    env.populate().await;
    env.qb().revoke_refresh_tokens();
    env.qb().advance_clock(3700);
    let (task, status) = env.run_task("SELECT qbsync.qb_refresh('acme')").await;
    assert_eq!(status, "failed");
    let err: String = env
        .one(&format!("SELECT error FROM qbsync.task WHERE id = {task}"))
        .await
        .get(0);
    assert!(err.contains("invalid_grant"), "{err}");
    let r = env
        .one("SELECT state, flag FROM qbsync.status WHERE company = 'acme'")
        .await;
    assert!(r
        .get::<_, String>(0)
        .starts_with("Needs attention: QuickBooks refused the refresh token (invalid_grant"));
    assert_eq!(r.get::<_, String>(1), "red");
    assert_eq!(
        count(
            env.one("SELECT count(*) FROM qbsync.messages WHERE code = 'company'")
                .await
        ),
        1
    );
    let e = env.error_of("SELECT qbsync.qb_refresh('acme')").await;
    assert!(
        e.contains("needs attention") && e.contains("SET error = NULL"),
        "{e}"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_requests_wait_for_retry_after_and_succeed() {
    let env = Env::with_sandbox(SandboxConfig {
        time_scale: 60.0,
        ..Default::default()
    })
    .await;
    env.qb().force_throttle_next(3);
    let local = env
        .insert(
            "qbo.customer",
            "display_name, operation",
            "'Patient Customer', 'add'",
        )
        .await;
    let row = env.wait_row("qbo.customer", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(env.qb().stats().throttled_429, 3);
    assert_eq!(
        env.qb().api_creates("Customer"),
        1,
        "throttled requests were not executed twice"
    );

    // The sandbox's own 10-in-flight and per-minute limits: a populate under them completes.
    env.qb().set_xml_throttle(true);
    env.qb().force_throttle_next(2);
    env.populate().await;
    assert_eq!(
        count(env.one("SELECT count(*) FROM qbo.invoice").await) as usize,
        env.qb().count("Invoice")
    );
    env.finish().await;
}

fn lost_response(path: &str) -> qbsync_sandbox::FailRule {
    // QuickBooks applies the request, then the answer is lost (a 503 reaches the agent).
    qbsync_sandbox::FailRule {
        after_execute: true,
        ..qbsync_sandbox::FailRule::new(path, 1, 503)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_answer_is_lost_is_applied_once() {
    let env = Env::start().await;
    env.populate().await;
    // With requestid honoured or ignored (as real QuickBooks is reported to do), one create only.
    for (ignore, name) in [(false, "Lost Answer One"), (true, "Lost Answer Two")] {
        env.qb().set_ignore_request_id(ignore);
        let before = env.qb().api_creates("Customer");
        env.qb().fail_next(lost_response("/customer?"));
        let local = env
            .insert(
                "qbo.customer",
                "display_name, operation",
                &format!("'{name}', 'add'"),
            )
            .await;
        let row = env.wait_row("qbo.customer", local).await;
        assert_eq!(row.status, "ok", "{:?}", row.message);
        assert_eq!(
            env.qb().api_creates("Customer") - before,
            1,
            "ignore_request_id={ignore}"
        );
        assert_eq!(env.qb().find("Customer", "DisplayName", name).len(), 1);
        assert!(row
            .message
            .unwrap_or_default()
            .contains("earlier attempt whose answer was lost"));
    }
    // Without a natural key to look for, the same requestid is sent again and replayed. (Pushed
    // outgoing-only: both directions would require a reference number.)
    env.qb().set_ignore_request_id(false);
    env.exec("SELECT qbsync.qb_enable_table('acme', 'payment', direction => 'outgoing')")
        .await;
    let customer: String = env.active_id("qbo.customer", "", 0).await;
    env.qb().fail_next(lost_response("/payment?"));
    let pay = env
        .insert(
            "qbo.payment",
            "customer_ref, total_amt, txn_date, operation",
            &format!("'{customer}', 12.5, current_date, 'add'"),
        )
        .await;
    let row = env.wait_row("qbo.payment", pay).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(env.qb().api_creates("Payment"), 1);
    assert!(
        env.qb().stats().request_id_replays >= 1,
        "the retry was answered from the requestid store"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_cdc_answer_is_completed_by_queries() {
    let env = Env::start().await;
    env.populate().await;
    let before = count(env.one("SELECT count(*) FROM qbo.customer").await);
    for i in 0..1005 {
        env.qb()
            .create(
                "Customer",
                json!({"DisplayName": format!("Bulk Arrival {i:04}")}),
            )
            .unwrap();
    }
    let (_, status) = env.run_task("SELECT qbsync.qb_refresh('acme')").await;
    assert_eq!(status, "done");
    assert_eq!(
        count(env.one("SELECT count(*) FROM qbo.customer").await) - before,
        1005,
        "nothing lost beyond the 1000 cap"
    );
    let cdc_calls: u64 = env.route_calls("cdc");
    assert!(
        cdc_calls >= 2,
        "the full answer was asked again entity by entity ({cdc_calls} CDC calls)"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_left_running_by_a_dead_agent_is_queued_again_and_finished() {
    let mut env = Env::start().await;
    env.stop_agent().await;
    // What a killed agent leaves behind: a running task with an old heartbeat and no lease.
    let task: i64 = env
        .one(&format!(
            "INSERT INTO qbsync.task (company_id, kind, entities, status, started_at, heartbeat_at, locked_by, entities_total) \
             VALUES ({}, 'populate', '{{Customer}}', 'running', now() - interval '20 minutes', now() - interval '10 minutes', 'dead-agent', 1) \
             RETURNING id",
            env.company_id
        ))
        .await
        .get(0);
    env.start_agent();
    assert_eq!(env.wait_task(task).await, "done");
    assert_eq!(
        count(env.one("SELECT count(*) FROM qbo.customer").await) as usize,
        env.qb().count("Customer")
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_of_several_pages_asks_the_count_with_the_pages_after_the_first() {
    let env = Env::with(Options::seeded(SeedSize {
        customers: 2500,
        ..SeedSize::small()
    }))
    .await;
    let route = |name: &str| env.requests_to(name);
    let (queries, batches) = (route("GET /query"), route("POST /batch"));
    let (_, status) = env
        .run_task("SELECT qbsync.qb_populate('acme', '{customer}')")
        .await;
    assert_eq!(status, "done");
    assert_eq!(
        count(env.one("SELECT count(DISTINCT id) FROM qbo.customer").await) as usize,
        env.qb().count("Customer")
    );
    // The first page alone (1,000 of them), then one batch call with the next pages and the
    // count of what is left after the first page: not a count of its own before them.
    assert_eq!(
        (
            route("GET /query") - queries,
            route("POST /batch") - batches
        ),
        (1, 1),
        "requests of a 2,500-customer load"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_load_starts_on_sessions_the_agent_opened_ahead() {
    let env = Env::start().await;
    // The agent's own connection and its listener, a worker session and two populate writers.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut before = env.other_sessions().await;
    while before.len() < 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "the agent opened no sessions ahead of its first load: {before:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        before = env.other_sessions().await;
    }
    env.populate().await;
    let after = env.other_sessions().await;
    assert!(
        after.iter().all(|p| before.contains(p)),
        "the first populate opened no session of its own: {before:?}, then {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_task_works_on_the_sessions_of_the_one_before() {
    let env = Env::start().await;
    env.populate().await;
    let before = env.other_sessions().await;
    env.populate().await;
    env.populate().await;
    let after = env.other_sessions().await;
    assert!(
        after.iter().all(|p| before.contains(p)),
        "the later populates opened no session of their own: {before:?}, then {after:?}"
    );
}
