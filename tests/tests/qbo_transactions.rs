//! QuickBooks Online transactions beyond invoices and payments: estimates, credit memos, refund
//! receipts, bills and bill payments, vendor credits, purchases, purchase orders, journal
//! entries, deposits, transfers and time activities, with their line tables.

use qbsync_tests::Env;
use serde_json::json;

fn count(row: tokio_postgres::Row) -> i64 {
    row.get(0)
}

/// Adds an account through the mirror (operation = 'add') and returns its QuickBooks Id.
async fn add_account(env: &Env, name: &str, account_type: &str) -> String {
    let local = env
        .insert(
            "qbo.account",
            "name, account_type, operation",
            &format!("'{name}', '{account_type}', 'add'"),
        )
        .await;
    let row = env.wait_row("qbo.account", local).await;
    row.id
        .unwrap_or_else(|| panic!("account {name} not added: {:?}", row.message))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transaction_type_is_populated_with_its_lines() {
    let env = Env::start().await;
    env.populate().await;
    for (table, entity) in [
        ("estimate", "Estimate"),
        ("credit_memo", "CreditMemo"),
        ("refund_receipt", "RefundReceipt"),
        ("bill", "Bill"),
        ("vendor_credit", "VendorCredit"),
        ("purchase", "Purchase"),
        ("purchase_order", "PurchaseOrder"),
        ("journal_entry", "JournalEntry"),
        ("deposit", "Deposit"),
        ("transfer", "Transfer"),
        ("bill_payment", "BillPayment"),
        ("time_activity", "TimeActivity"),
    ] {
        let local = count(env.one(&format!("SELECT count(*) FROM qbo.{table}")).await) as usize;
        assert_eq!(local, env.qb().count(entity), "{table}");
    }
    for child in [
        "estimate_line",
        "bill_line",
        "journal_entry_line",
        "purchase_line",
    ] {
        assert!(
            count(env.one(&format!("SELECT count(*) FROM qbo.{child}")).await) > 0,
            "{child} has rows"
        );
    }
    // Journal entries balance, line by line, as mirrored.
    let unbalanced = count(
        env.one(
            "SELECT count(*) FROM (SELECT journal_entry_local_id FROM qbo.journal_entry_line GROUP BY 1 \
             HAVING sum(amount) FILTER (WHERE posting_type = 'Debit') <> sum(amount) FILTER (WHERE posting_type = 'Credit')) u",
        )
        .await,
    );
    assert_eq!(unbalanced, 0);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bills_journal_entries_transfers_and_estimates_are_pushed() {
    let env = Env::start().await;
    env.populate().await;
    let c = env.company_id;
    let expense = add_account(&env, "Test Supplies", "Expense").await;
    let vendor: String = env.active_id("qbo.vendor", "", 0).await;

    // A bill with two expense lines.
    env.exec(&format!(
        "WITH b AS (INSERT INTO qbo.bill (company_id, vendor_ref, doc_number, txn_date) VALUES ({c}, '{vendor}', 'B-77', current_date) RETURNING local_id) \
         INSERT INTO qbo.bill_line (bill_local_id, company_id, line_num, amount, account_ref, description) \
         SELECT local_id, {c}, n, a, '{expense}', d FROM b, (VALUES (1, 120.0, 'Mulch'), (2, 30.5, 'Gloves')) v(n, a, d)"
    ))
    .await;
    let bill: i64 = env
        .one("SELECT local_id FROM qbo.bill WHERE doc_number = 'B-77'")
        .await
        .get(0);
    env.exec(&format!(
        "UPDATE qbo.bill SET operation = 'add' WHERE local_id = {bill}"
    ))
    .await;
    let row = env.wait_row("qbo.bill", bill).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let bill_id = row.id.unwrap();
    let r = env
        .one(&format!(
            "SELECT total_amt::float8, balance::float8 FROM qbo.bill WHERE local_id = {bill}"
        ))
        .await;
    assert_eq!((r.get::<_, f64>(0), r.get::<_, f64>(1)), (150.5, 150.5));
    assert_eq!(count(env.one(&format!("SELECT count(*) FROM qbo.bill_line WHERE bill_local_id = {bill} AND detail_type = 'AccountBasedExpenseLineDetail'")).await), 2);

    // update (sparse) and delete.
    env.exec(&format!("UPDATE qbo.bill SET private_note = 'checked', operation = 'update' WHERE local_id = {bill}")).await;
    assert_eq!(env.wait_row("qbo.bill", bill).await.status, "ok");
    assert_eq!(
        env.qb().read("Bill", &bill_id).unwrap()["PrivateNote"],
        "checked"
    );
    env.exec(&format!(
        "UPDATE qbo.bill SET operation = 'delete' WHERE local_id = {bill}"
    ))
    .await;
    assert_eq!(env.wait_row("qbo.bill", bill).await.status, "removed");
    assert!(env.qb().read("Bill", &bill_id).is_none());

    // A balanced journal entry goes through; an unbalanced one is refused on the row.
    let bank: String = env
        .one("SELECT id FROM qbo.account WHERE account_type = 'Bank' ORDER BY local_id LIMIT 1")
        .await
        .get(0);
    for (doc, credit) in [("JE-1", 75.0), ("JE-2", 70.0)] {
        env.exec(&format!(
            "WITH j AS (INSERT INTO qbo.journal_entry (company_id, doc_number, txn_date) VALUES ({c}, '{doc}', current_date) RETURNING local_id) \
             INSERT INTO qbo.journal_entry_line (journal_entry_local_id, company_id, line_num, amount, posting_type, account_ref) \
             SELECT local_id, {c}, n, a, p, acc FROM j, (VALUES (1, 75.0, 'Debit', '{expense}'), (2, {credit}, 'Credit', '{bank}')) v(n, a, p, acc)"
        ))
        .await;
        env.exec(&format!(
            "UPDATE qbo.journal_entry SET operation = 'add' WHERE doc_number = '{doc}'"
        ))
        .await;
    }
    let je1: i64 = env
        .one("SELECT local_id FROM qbo.journal_entry WHERE doc_number = 'JE-1'")
        .await
        .get(0);
    let je2: i64 = env
        .one("SELECT local_id FROM qbo.journal_entry WHERE doc_number = 'JE-2'")
        .await
        .get(0);
    let row = env.wait_row("qbo.journal_entry", je1).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(
        env.one(&format!(
            "SELECT total_amt::float8 FROM qbo.journal_entry WHERE local_id = {je1}"
        ))
        .await
        .get::<_, f64>(0),
        75.0
    );
    let row = env.wait_row("qbo.journal_entry", je2).await;
    assert_eq!(row.status, "error");
    assert!(row.message.unwrap_or_default().starts_with("[6000]"));

    // A transfer between two bank accounts (no lines).
    let savings = add_account(&env, "Test Savings", "Bank").await;
    let transfer = env
        .insert(
            "qbo.transfer",
            "from_account_ref, to_account_ref, amount, txn_date, operation",
            &format!("'{bank}', '{savings}', 500, current_date, 'add'"),
        )
        .await;
    let row = env.wait_row("qbo.transfer", transfer).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);

    // An estimate for a customer; estimates cannot be voided, and the error says to delete.
    let customer: String = env.active_id("qbo.customer", "", 0).await;
    let item: String = env.active_id("qbo.item", "", 0).await;
    env.exec(&format!(
        "WITH e AS (INSERT INTO qbo.estimate (company_id, customer_ref, doc_number, txn_date) VALUES ({c}, '{customer}', 'E-5', current_date) RETURNING local_id) \
         INSERT INTO qbo.estimate_line (estimate_local_id, company_id, line_num, item_ref, qty, unit_price, amount) SELECT local_id, {c}, 1, '{item}', 4, 25, 100 FROM e"
    ))
    .await;
    env.exec("UPDATE qbo.estimate SET operation = 'add' WHERE doc_number = 'E-5'")
        .await;
    let est: i64 = env
        .one("SELECT local_id FROM qbo.estimate WHERE doc_number = 'E-5'")
        .await
        .get(0);
    let row = env.wait_row("qbo.estimate", est).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(
        env.one(&format!(
            "SELECT total_amt::float8, txn_status FROM qbo.estimate WHERE local_id = {est}"
        ))
        .await
        .get::<_, f64>(0),
        100.0
    );
    let e = env
        .error_of(&format!(
            "UPDATE qbo.estimate SET operation = 'void' WHERE local_id = {est}"
        ))
        .await;
    assert!(
        e.contains("cannot void Estimate records") && e.contains("operation = 'delete'"),
        "{e}"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bill_payment_pays_a_bill_and_its_void_restores_the_balance() {
    let env = Env::start().await;
    env.populate().await;
    let c = env.company_id;
    let expense = add_account(&env, "Test Repairs", "Expense").await;
    let vendor: String = env.active_id("qbo.vendor", "", 0).await;
    env.exec(&format!(
        "WITH b AS (INSERT INTO qbo.bill (company_id, vendor_ref, doc_number, txn_date) VALUES ({c}, '{vendor}', 'B-90', current_date) RETURNING local_id) \
         INSERT INTO qbo.bill_line (bill_local_id, company_id, line_num, amount, account_ref) SELECT local_id, {c}, 1, 200, '{expense}' FROM b"
    ))
    .await;
    env.exec("UPDATE qbo.bill SET operation = 'add' WHERE doc_number = 'B-90'")
        .await;
    let bill: i64 = env
        .one("SELECT local_id FROM qbo.bill WHERE doc_number = 'B-90'")
        .await
        .get(0);
    let bill_id = env.wait_row("qbo.bill", bill).await.id.expect("bill added");
    env.exec(&format!(
        "WITH p AS (INSERT INTO qbo.bill_payment (company_id, vendor_ref, pay_type, total_amt, txn_date, doc_number, data) \
                    VALUES ({c}, '{vendor}', 'Check', 80, current_date, 'BP-1', \
                            jsonb_build_object('CheckPayment', jsonb_build_object('BankAccountRef', jsonb_build_object('value', \
                              (SELECT id FROM qbo.account WHERE account_type = 'Bank' ORDER BY local_id LIMIT 1))))) RETURNING local_id) \
         INSERT INTO qbo.bill_payment_line (bill_payment_local_id, company_id, line_num, amount, txn_id, txn_type) SELECT local_id, {c}, 1, 80, '{bill_id}', 'Bill' FROM p"
    ))
    .await;
    env.exec("UPDATE qbo.bill_payment SET operation = 'add' WHERE doc_number = 'BP-1'")
        .await;
    let pay: i64 = env
        .one("SELECT local_id FROM qbo.bill_payment WHERE doc_number = 'BP-1'")
        .await
        .get(0);
    let row = env.wait_row("qbo.bill_payment", pay).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(
        env.qb().read("Bill", &bill_id).unwrap()["Balance"].as_f64(),
        Some(120.0)
    );
    let (_, status) = env
        .run_task("SELECT qbsync.qb_refresh('acme', '{bill}')")
        .await;
    assert_eq!(status, "done");
    assert_eq!(
        env.one(&format!(
            "SELECT balance::float8 FROM qbo.bill WHERE local_id = {bill}"
        ))
        .await
        .get::<_, f64>(0),
        120.0
    );

    env.exec(&format!(
        "UPDATE qbo.bill_payment SET operation = 'void' WHERE local_id = {pay}"
    ))
    .await;
    let row = env.wait_row("qbo.bill_payment", pay).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let r = env
        .one(&format!(
            "SELECT total_amt::float8, private_note FROM qbo.bill_payment WHERE local_id = {pay}"
        ))
        .await;
    assert_eq!(r.get::<_, f64>(0), 0.0);
    assert!(r
        .get::<_, Option<String>>(1)
        .unwrap_or_default()
        .starts_with("Voided"));
    assert_eq!(
        env.qb().read("Bill", &bill_id).unwrap()["Balance"].as_f64(),
        Some(200.0)
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_activities_are_outside_cdc_and_refreshed_by_reload() {
    let env = Env::start().await;
    env.populate().await;
    let employee: String = env.active_id("qbo.employee", "", 0).await;
    let local = env
        .insert(
            "qbo.time_activity",
            "name_of, employee_ref, hours, minutes, description, txn_date, operation",
            &format!("'Employee', '{employee}', 2, 30, 'Pruning', current_date, 'add'"),
        )
        .await;
    let row = env.wait_row("qbo.time_activity", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let made = env.qb().create("TimeActivity", json!({"NameOf": "Employee", "EmployeeRef": {"value": employee}, "Hours": 1, "Minutes": 0, "Description": "Made in QuickBooks"})).unwrap();
    let before = env.route_calls("cdc");
    let (_, status) = env
        .run_task("SELECT qbsync.qb_refresh('acme', '{time_activity}')")
        .await;
    assert_eq!(status, "done");
    assert_eq!(
        env.route_calls("cdc"),
        before,
        "no CDC call for an entity CDC does not cover"
    );
    let id = made["Id"].as_str().unwrap();
    assert_eq!(
        env.one(&format!(
            "SELECT description FROM qbo.time_activity WHERE id = '{id}'"
        ))
        .await
        .get::<_, String>(0),
        "Made in QuickBooks"
    );
    assert_eq!(
        count(env.one("SELECT count(*) FROM qbo.time_activity").await) as usize,
        env.qb().count("TimeActivity")
    );
    env.finish().await;
}
