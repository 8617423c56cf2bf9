//! Direction per company and table (incoming, outgoing, both), enforced in SQL and by the agent,
//! and the rule that keeps payments synced both ways from being recorded twice.

use qbsync_tests::Env;
use serde_json::json;

fn count(row: tokio_postgres::Row) -> i64 {
    row.get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directions_are_enforced_both_ways() {
    let env = Env::start().await;
    env.populate().await;

    // A new company gets payments incoming-only; both ways needs a payment_match rule.
    // (Loopback only: the agent checks beta's credentials against the sandbox, which refuses them.)
    env.exec(&format!(
        "SELECT qbsync.qb_add_company('beta', 'realm-b', 'id', 'secret', 'token', api_base => '{}', token_url => '{}')",
        env.sandbox.api_base(),
        env.sandbox.token_url()
    ))
    .await;
    let r = env
        .one("SELECT direction, payment_match FROM qbsync.sync_table st JOIN qbsync.company c ON c.id = st.company_id WHERE c.name = 'beta' AND entity = 'Payment'")
        .await;
    assert_eq!(r.get::<_, String>(0), "incoming");
    assert_eq!(r.get::<_, Option<String>>(1), None);
    let e = env
        .error_of("SELECT qbsync.qb_enable_table('beta', 'payment', direction => 'both')")
        .await;
    assert!(
        e.contains("without a rule that prevents duplicate payments"),
        "{e}"
    );
    assert!(e.contains("payment_match"), "{e}");
    let e = env
        .error_of("UPDATE qbsync.sync_table SET direction = 'both' WHERE entity = 'BillPayment'")
        .await;
    assert!(
        e.contains("BillPayment cannot be synced in both directions"),
        "{e}"
    );
    let e = env
        .error_of("SELECT qbsync.qb_enable_table('beta', 'customer', payment_match => 'reference')")
        .await;
    assert!(e.contains("payment tables only"), "{e}");
    // Outgoing-only needs no rule: nothing comes back to be counted twice.
    env.exec("SELECT qbsync.qb_enable_table('beta', 'payment', direction => 'outgoing')")
        .await;

    // Incoming-only: writes are refused at the row and by qb_update.
    env.exec("SELECT qbsync.qb_enable_table('acme', 'customer', direction => 'incoming')")
        .await;
    let e = env
        .error_of(&format!(
            "INSERT INTO qbo.customer (company_id, display_name, operation) VALUES ({}, 'Inbound Only', 'add')",
            env.company_id
        ))
        .await;
    assert!(e.contains("incoming-only"), "{e}");
    let e = env
        .error_of("SELECT qbsync.qb_update('acme', '{customer}')")
        .await;
    assert!(
        e.contains("incoming-only") && e.contains("not pushed"),
        "{e}"
    );

    // Outgoing-only: not read back, neither when named nor in a refresh of everything.
    env.exec("SELECT qbsync.qb_enable_table('acme', 'vendor', direction => 'outgoing')")
        .await;
    let e = env
        .error_of("SELECT qbsync.qb_refresh('acme', '{vendor}')")
        .await;
    assert!(
        e.contains("outgoing-only") && e.contains("not read from QuickBooks"),
        "{e}"
    );
    let e = env
        .error_of("SELECT qbsync.qb_populate('acme', '{vendor}')")
        .await;
    assert!(e.contains("outgoing-only"), "{e}");
    let vendors = count(env.one("SELECT count(*) FROM qbo.vendor").await);
    let customers = count(env.one("SELECT count(*) FROM qbo.customer").await);
    env.qb()
        .create(
            "Vendor",
            json!({"DisplayName": "Made In QuickBooks Vendor"}),
        )
        .unwrap();
    env.qb()
        .create(
            "Customer",
            json!({"DisplayName": "Made In QuickBooks Customer"}),
        )
        .unwrap();
    let (_, status) = env.run_task("SELECT qbsync.qb_refresh('acme')").await;
    assert_eq!(status, "done");
    assert_eq!(
        count(env.one("SELECT count(*) FROM qbo.vendor").await),
        vendors
    );
    assert_eq!(
        count(env.one("SELECT count(*) FROM qbo.customer").await),
        customers + 1,
        "incoming tables are still refreshed"
    );
    // ... and it still pushes.
    let v = env
        .insert(
            "qbo.vendor",
            "display_name, operation",
            "'Outbound Vendor', 'add'",
        )
        .await;
    let row = env.wait_row("qbo.vendor", v).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert!(row.id.is_some());
    env.finish().await;
}

/// A payment the application adds while a QuickBooks user has entered the same one.
async fn add_local_payment(env: &Env, customer: &str, reference: Option<&str>, total: f64) -> i64 {
    let reference = reference.map_or("NULL".to_string(), |r| format!("'{r}'"));
    env.insert(
        "qbo.payment",
        "customer_ref, total_amt, txn_date, payment_ref_num, operation",
        &format!("'{customer}', {total}, current_date, {reference}, 'add'"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_synced_both_ways_are_never_recorded_twice() {
    let env = Env::start().await;
    env.populate().await;
    let customer: String = env.active_id("qbo.customer", "", 0).await;
    let other: String = env.active_id("qbo.customer", "", 1).await;
    let today: String = env.text("SELECT current_date::text").await;
    let entered = |reference: &str, total: f64| {
        let mut body =
            json!({"CustomerRef": {"value": customer}, "TotalAmt": total, "TxnDate": today});
        if !reference.is_empty() {
            body["PaymentRefNum"] = json!(reference);
        }
        env.qb().create("Payment", body).unwrap()["Id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let creates = env.qb().api_creates("Payment");

    // Entered in QuickBooks, not yet refreshed: the application's copy is linked to it.
    let qb_500 = entered("CHK-500", 75.0);
    let local = add_local_payment(&env, &customer, Some("CHK-500"), 75.0).await;
    let row = env.wait_row("qbo.payment", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(row.id.as_deref(), Some(qb_500.as_str()));
    assert!(row
        .message
        .unwrap_or_default()
        .contains("instead of adding a duplicate"));
    let r = env
        .one(&format!(
            "SELECT operation, code FROM qbsync.sync_result WHERE local_id = {local} AND entity = 'Payment' ORDER BY id DESC LIMIT 1"
        ))
        .await;
    assert_eq!(r.get::<_, String>(0), "link");
    // A refresh brings nothing twice.
    let (_, status) = env
        .run_task("SELECT qbsync.qb_refresh('acme', '{payment}')")
        .await;
    assert_eq!(status, "done");
    assert_eq!(
        count(
            env.one(&format!(
                "SELECT count(*) FROM qbo.payment WHERE id = '{qb_500}'"
            ))
            .await
        ),
        1
    );

    // Entered in QuickBooks and already refreshed in as its own row: the second copy is refused
    // as soon as it is written, naming the QuickBooks record.
    let qb_501 = entered("CHK-501", 20.0);
    let (_, status) = env
        .run_task("SELECT qbsync.qb_refresh('acme', '{payment}')")
        .await;
    assert_eq!(status, "done");
    let e = env
        .error_of(&format!(
            "INSERT INTO qbo.payment (company_id, customer_ref, total_amt, txn_date, payment_ref_num, operation) \
             VALUES ({}, '{customer}', 20, current_date, 'CHK-501', 'add')",
            env.company_id
        ))
        .await;
    assert!(
        e.contains(&format!("QuickBooks already has as Id {qb_501}")),
        "{e}"
    );

    // Under the reference rule a payment needs a reference number.
    let local = add_local_payment(&env, &customer, None, 5.0).await;
    let row = env.wait_row("qbo.payment", local).await;
    assert_eq!(row.status, "error");
    assert!(row
        .message
        .unwrap_or_default()
        .contains("has no PaymentRefNum"));

    // The same reference from another payer is a different payment: it is added.
    let local = add_local_payment(&env, &other, Some("CHK-500"), 75.0).await;
    let row = env.wait_row("qbo.payment", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_ne!(row.id.as_deref(), Some(qb_500.as_str()));
    assert_eq!(
        env.qb().api_creates("Payment"),
        creates + 1,
        "only the genuinely new payment was created"
    );

    // Matching by payer, amount and date instead.
    env.exec("SELECT qbsync.qb_enable_table('acme', 'payment', payment_match => 'amount_date')")
        .await;
    let qb_cash = entered("", 33.33);
    let local = add_local_payment(&env, &customer, None, 33.33).await;
    let row = env.wait_row("qbo.payment", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(row.id.as_deref(), Some(qb_cash.as_str()));
    // Already refreshed in as its own row: the application's copy is refused by the agent.
    let qb_cash2 = entered("", 44.44);
    let (_, status) = env
        .run_task("SELECT qbsync.qb_refresh('acme', '{payment}')")
        .await;
    assert_eq!(status, "done");
    let local = add_local_payment(&env, &customer, None, 44.44).await;
    let row = env.wait_row("qbo.payment", local).await;
    assert_eq!(row.status, "error");
    let msg = row.message.unwrap_or_default();
    assert!(
        msg.contains(&format!(
            "QuickBooks already has this payment (Id {qb_cash2}"
        )),
        "{msg}"
    );
    assert!(msg.contains("synced to local_id="), "{msg}");
    assert_eq!(
        count(
            env.one(&format!(
                "SELECT count(*) FROM qbo.payment WHERE id = '{qb_cash2}'"
            ))
            .await
        ),
        1
    );
    let local = add_local_payment(&env, &customer, None, 33.34).await;
    let row = env.wait_row("qbo.payment", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_ne!(
        row.id.as_deref(),
        Some(qb_cash.as_str()),
        "a different amount is a new payment"
    );
    assert_eq!(env.qb().api_creates("Payment"), creates + 2);
    env.finish().await;
}
