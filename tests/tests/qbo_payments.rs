//! Payment shapes as accounting integrations use them: full, partial (several payments on one
//! invoice), split (one payment over several invoices), overpayment (unapplied credit), a credit
//! memo applied to an invoice, a $0 invoice, and a refund; paid status flows back to the rows.

use qbsync_tests::Env;

async fn balance(env: &Env, local: i64) -> f64 {
    env.one(&format!(
        "SELECT balance::float8 FROM qbo.invoice WHERE local_id = {local}"
    ))
    .await
    .get(0)
}

async fn pushed_invoice(
    env: &Env,
    customer: &str,
    doc: &str,
    lines: &[(f64, f64)],
) -> (i64, String) {
    let local = env.add_invoice(customer, doc, lines).await;
    let row = env.wait_row("qbo.invoice", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    (local, row.id.expect("invoice added"))
}

async fn refresh(env: &Env, tables: &str) {
    let (_, status) = env
        .run_task(&format!("SELECT qbsync.qb_refresh('acme', '{{{tables}}}')"))
        .await;
    assert_eq!(status, "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_split_and_full_payments_flow_back_to_the_invoices() {
    let env = Env::start().await;
    env.populate().await;
    let customer = env.add_customer("Shapes Ltd").await;
    let (a, a_id) = pushed_invoice(&env, &customer, "PS-1", &[(1.0, 100.0)]).await;
    let (b, b_id) = pushed_invoice(&env, &customer, "PS-2", &[(1.0, 50.0)]).await;
    // Partial: two payments on invoice A.
    let (_, row) = env
        .add_payment(&customer, "PS-P1", 40.0, &[("Invoice", &a_id, 40.0)])
        .await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    refresh(&env, "invoice").await;
    assert_eq!(balance(&env, a).await, 60.0);
    // Split: one payment finishes A and pays B in full.
    let (_, row) = env
        .add_payment(
            &customer,
            "PS-P2",
            110.0,
            &[("Invoice", &a_id, 60.0), ("Invoice", &b_id, 50.0)],
        )
        .await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    refresh(&env, "invoice,customer").await;
    assert_eq!(
        (balance(&env, a).await, balance(&env, b).await),
        (0.0, 0.0),
        "paid status is on the invoice rows"
    );
    let owed: f64 = env
        .one(&format!(
            "SELECT balance::float8 FROM qbo.customer WHERE id = '{customer}'"
        ))
        .await
        .get(0);
    assert_eq!(owed, 0.0);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overpayment_leaves_unapplied_credit() {
    let env = Env::start().await;
    env.populate().await;
    let customer = env.add_customer("Over Payer").await;
    let (inv, inv_id) = pushed_invoice(&env, &customer, "OP-1", &[(1.0, 30.0)]).await;
    let (pay, row) = env
        .add_payment(&customer, "OP-P1", 50.0, &[("Invoice", &inv_id, 30.0)])
        .await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let unapplied: f64 = env
        .one(&format!(
            "SELECT unapplied_amt::float8 FROM qbo.payment WHERE local_id = {pay}"
        ))
        .await
        .get(0);
    assert_eq!(unapplied, 20.0);
    refresh(&env, "invoice").await;
    assert_eq!(balance(&env, inv).await, 0.0);
    // Applying more than is owed is refused and reported on the row.
    let (_, other_id) = pushed_invoice(&env, &customer, "OP-2", &[(1.0, 10.0)]).await;
    let (_, row) = env
        .add_payment(&customer, "OP-P2", 25.0, &[("Invoice", &other_id, 25.0)])
        .await;
    assert_eq!(row.status, "error");
    assert!(row.message.unwrap_or_default().starts_with("[6000]"));
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credit_memo_is_applied_to_an_invoice() {
    let env = Env::start().await;
    env.populate().await;
    let c = env.company_id;
    let customer = env.add_customer("Credit Taker").await;
    let (inv, inv_id) = pushed_invoice(&env, &customer, "CM-INV", &[(1.0, 80.0)]).await;
    let item: String = env.active_id("qbo.item", "", 0).await;
    env.exec(&format!(
        "WITH m AS (INSERT INTO qbo.credit_memo (company_id, customer_ref, doc_number, txn_date) VALUES ({c}, '{customer}', 'CM-1', current_date) RETURNING local_id) \
         INSERT INTO qbo.credit_memo_line (credit_memo_local_id, company_id, line_num, item_ref, amount) SELECT local_id, {c}, 1, '{item}', 30 FROM m"
    ))
    .await;
    env.exec("UPDATE qbo.credit_memo SET operation = 'add' WHERE doc_number = 'CM-1'")
        .await;
    let memo: i64 = env
        .one("SELECT local_id FROM qbo.credit_memo WHERE doc_number = 'CM-1'")
        .await
        .get(0);
    let row = env.wait_row("qbo.credit_memo", memo).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let memo_id = row.id.unwrap();
    // The QuickBooks way: a payment of 50 whose lines take 80 off the invoice and 30 off the memo.
    let (_, row) = env
        .add_payment(
            &customer,
            "CM-P1",
            50.0,
            &[("Invoice", &inv_id, 80.0), ("CreditMemo", &memo_id, 30.0)],
        )
        .await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    refresh(&env, "invoice,credit_memo").await;
    assert_eq!(balance(&env, inv).await, 0.0);
    let left: f64 = env
        .one(&format!(
            "SELECT remaining_credit::float8 FROM qbo.credit_memo WHERE local_id = {memo}"
        ))
        .await
        .get(0);
    assert_eq!(left, 0.0);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_invoices_and_refunds() {
    let env = Env::start().await;
    env.populate().await;
    let c = env.company_id;
    let customer = env.add_customer("Zero And Refund").await;
    let (zero, _) = pushed_invoice(&env, &customer, "Z-1", &[(1.0, 0.0)]).await;
    let r = env
        .one(&format!(
            "SELECT total_amt::float8, balance::float8 FROM qbo.invoice WHERE local_id = {zero}"
        ))
        .await;
    assert_eq!(
        (r.get::<_, f64>(0), r.get::<_, f64>(1)),
        (0.0, 0.0),
        "nothing to pay"
    );
    let item: String = env.active_id("qbo.item", "", 0).await;
    env.exec(&format!(
        "WITH r AS (INSERT INTO qbo.refund_receipt (company_id, customer_ref, doc_number, txn_date) VALUES ({c}, '{customer}', 'RF-1', current_date) RETURNING local_id) \
         INSERT INTO qbo.refund_receipt_line (refund_receipt_local_id, company_id, line_num, item_ref, amount) SELECT local_id, {c}, 1, '{item}', 25 FROM r"
    ))
    .await;
    env.exec("UPDATE qbo.refund_receipt SET operation = 'add' WHERE doc_number = 'RF-1'")
        .await;
    let refund: i64 = env
        .one("SELECT local_id FROM qbo.refund_receipt WHERE doc_number = 'RF-1'")
        .await
        .get(0);
    let row = env.wait_row("qbo.refund_receipt", refund).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let total: f64 = env
        .one(&format!(
            "SELECT total_amt::float8 FROM qbo.refund_receipt WHERE local_id = {refund}"
        ))
        .await
        .get(0);
    assert_eq!(total, 25.0);
    env.finish().await;
}
