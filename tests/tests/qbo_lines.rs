//! What transaction lines carry beyond amounts: items named instead of referenced (created on
//! first use when the company allows it), sales tax codes, and foreign currencies with their
//! exchange rates.

use qbsync_tests::Env;

fn count(row: tokio_postgres::Row) -> i64 {
    row.get(0)
}

fn num(row: &tokio_postgres::Row, i: usize) -> f64 {
    row.get::<_, Option<f64>>(i).unwrap_or(f64::NAN)
}

/// Inserts an invoice for `customer` with further header columns `extra` (`(column, SQL value)`)
/// and lines given as SQL value lists for
/// (line_num, amount, qty, unit_price, item_ref, item_name, tax_code_ref), and flags it `add`.
async fn add_invoice(
    env: &Env,
    customer: &str,
    doc: &str,
    extra: &[(&str, &str)],
    lines: &[&str],
) -> i64 {
    let c = env.company_id;
    let cols: String = extra.iter().map(|(k, _)| format!(", {k}")).collect();
    let vals: String = extra.iter().map(|(_, v)| format!(", {v}")).collect();
    let local = env
        .insert(
            "qbo.invoice",
            &format!("customer_ref, doc_number, txn_date{cols}"),
            &format!("'{customer}', '{doc}', current_date{vals}"),
        )
        .await;
    for l in lines {
        env.exec(&format!(
            "INSERT INTO qbo.invoice_line (invoice_local_id, company_id, line_num, amount, qty, unit_price, item_ref, item_name, tax_code_ref) \
             VALUES ({local}, {c}, {l})"
        ))
        .await;
    }
    env.exec(&format!(
        "UPDATE qbo.invoice SET operation = 'add' WHERE local_id = {local}"
    ))
    .await;
    local
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_named_on_lines_are_found_or_created_on_first_use() {
    let env = Env::start().await;
    env.populate().await;
    let customer: String = env.active_id("qbo.customer", "", 0).await;
    let existing: (String, String) = {
        let r = env.one("SELECT id, name FROM qbo.item WHERE active AND item_type = 'Service' ORDER BY local_id LIMIT 1").await;
        (r.get(0), r.get(1))
    };
    let creates = env.qb().api_creates("Item");

    // Not allowed yet: the row says which line and what to do.
    let inv = add_invoice(
        &env,
        &customer,
        "FU-1",
        &[],
        &["1, 30, 1, 30, NULL, 'Gizmo Deluxe', NULL"],
    )
    .await;
    let row = env.wait_row("qbo.invoice", inv).await;
    assert_eq!(row.status, "error");
    let msg = row.message.unwrap_or_default();
    assert!(
        msg.contains("item \"Gizmo Deluxe\" is not in QuickBooks")
            && msg.contains("create_missing_items = true"),
        "{msg}"
    );
    assert_eq!(env.qb().api_creates("Item"), creates);

    // An existing item is found by name (any case) without creating anything.
    let upper = existing.1.to_uppercase().replace('\'', "''");
    let inv2 = add_invoice(
        &env,
        &customer,
        "FU-2",
        &[],
        &[&format!("1, 10, 1, 10, NULL, '{upper}', NULL")],
    )
    .await;
    let row = env.wait_row("qbo.invoice", inv2).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let line_item: String = env
        .one(&format!("SELECT item_ref FROM qbo.invoice_line WHERE invoice_local_id = {inv2} AND detail_type = 'SalesItemLineDetail'"))
        .await
        .get(0);
    assert_eq!(line_item, existing.0);

    // Allowed: created once, then reused.
    env.exec("UPDATE qbsync.company SET create_missing_items = true WHERE name = 'acme'")
        .await;
    env.exec(&format!(
        "UPDATE qbo.invoice SET operation = 'add' WHERE local_id = {inv}"
    ))
    .await;
    let row = env.wait_row("qbo.invoice", inv).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(env.qb().api_creates("Item"), creates + 1);
    let made = env.qb().find("Item", "Name", "Gizmo Deluxe");
    assert_eq!(made.len(), 1);
    let gizmo = made[0].clone();
    assert_eq!(env.qb().read("Item", &gizmo).unwrap()["Type"], "Service");
    let r = env
        .one(&format!("SELECT l.item_ref, l.item_name, (SELECT count(*) FROM qbo.item i WHERE i.id = l.item_ref) FROM qbo.invoice_line l WHERE invoice_local_id = {inv} AND detail_type = 'SalesItemLineDetail'"))
        .await;
    assert_eq!(r.get::<_, String>(0), gizmo);
    assert_eq!(r.get::<_, String>(1), "Gizmo Deluxe");
    assert_eq!(r.get::<_, i64>(2), 1, "the new item is in the mirror");
    let logged = count(
        env.one("SELECT count(*) FROM qbsync.sync_result WHERE entity = 'Item' AND operation = 'add' AND message LIKE 'created on first use by Invoice%'")
            .await,
    );
    assert_eq!(logged, 1);
    let inv3 = add_invoice(
        &env,
        &customer,
        "FU-3",
        &[],
        &["1, 60, 2, 30, NULL, 'gizmo deluxe', NULL"],
    )
    .await;
    let row = env.wait_row("qbo.invoice", inv3).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(
        env.qb().api_creates("Item"),
        creates + 1,
        "reused, not created twice"
    );

    // Purchase lines create a NonInventory item with an expense account.
    let vendor: String = env.active_id("qbo.vendor", "", 0).await;
    let c = env.company_id;
    let bill = env
        .insert(
            "qbo.bill",
            "vendor_ref, txn_date",
            &format!("'{vendor}', current_date"),
        )
        .await;
    env.exec(&format!(
        "INSERT INTO qbo.bill_line (bill_local_id, company_id, line_num, amount, qty, unit_price, item_name) VALUES ({bill}, {c}, 1, 12, 100, 0.12, 'Hex Bolts M8')"
    ))
    .await;
    env.exec(&format!(
        "UPDATE qbo.bill SET operation = 'add' WHERE local_id = {bill}"
    ))
    .await;
    let row = env.wait_row("qbo.bill", bill).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let bolts = env.qb().find("Item", "Name", "Hex Bolts M8");
    assert_eq!(bolts.len(), 1);
    let bolts = env.qb().read("Item", &bolts[0]).unwrap();
    assert_eq!(bolts["Type"], "NonInventory");
    assert!(bolts["ExpenseAccountRef"]["value"].is_string());
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_tax_codes_on_lines_are_sent_and_the_tax_comes_back() {
    let env = Env::start().await;
    env.populate().await;
    let customer: String = env.active_id("qbo.customer", "", 0).await;
    let item: String = env.active_id("qbo.item", "item_type = 'Service'", 0).await;
    let (code, rate): (String, f64) = {
        let r = env
            .one("SELECT tc.id, sum(tr.rate_value)::float8 FROM qbo.tax_code tc \
                  CROSS JOIN jsonb_array_elements(tc.data->'SalesTaxRateList'->'TaxRateDetail') d \
                  JOIN qbo.tax_rate tr ON tr.id = d->'TaxRateRef'->>'value' AND tr.company_id = tc.company_id \
                  WHERE tc.active GROUP BY tc.id ORDER BY tc.id LIMIT 1")
            .await;
        (r.get(0), r.get(1))
    };
    let code_sql = format!("'{code}'");
    let inv = add_invoice(
        &env,
        &customer,
        "TX-1",
        &[("txn_tax_code_ref", code_sql.as_str())],
        &[
            &format!("1, 200, 2, 100, '{item}', NULL, 'TAX'"),
            &format!("2, 50, 1, 50, '{item}', NULL, 'NON'"),
        ],
    )
    .await;
    let row = env.wait_row("qbo.invoice", inv).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let r = env
        .one(&format!("SELECT total_tax::float8, total_amt::float8, txn_tax_code_ref FROM qbo.invoice WHERE local_id = {inv}"))
        .await;
    let tax = ((200.0 * rate / 100.0) * 100.0f64).round() / 100.0;
    assert!(
        (num(&r, 0) - tax).abs() < 0.001,
        "tax {} expected {tax}",
        num(&r, 0)
    );
    assert!(
        (num(&r, 1) - (250.0 + tax)).abs() < 0.001,
        "total {}",
        num(&r, 1)
    );
    assert_eq!(r.get::<_, String>(2), code);
    let codes: Vec<String> = env
        .db
        .query(&format!("SELECT tax_code_ref FROM qbo.invoice_line WHERE invoice_local_id = {inv} AND tax_code_ref IS NOT NULL ORDER BY line_num"), &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(codes, ["TAX", "NON"]);

    // A line tax code QuickBooks does not accept is the row's error, with QuickBooks' code.
    let bad = add_invoice(
        &env,
        &customer,
        "TX-2",
        &[],
        &[&format!("1, 10, 1, 10, '{item}', NULL, 'XYZ'")],
    )
    .await;
    let row = env.wait_row("qbo.invoice", bad).await;
    assert_eq!(row.status, "error");
    let msg = row.message.unwrap_or_default();
    assert!(msg.contains("6100") || msg.contains("TaxCode"), "{msg}");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_currency_transactions_carry_their_exchange_rate() {
    let env = Env::start().await;
    env.qb().enable_multicurrency().unwrap();
    // (EUR is one of the sandbox company's currencies already.)
    env.populate().await;
    let today: String = env.text("SELECT current_date::text").await;
    env.qb().set_exchange_rate("EUR", &today, 1.1).unwrap();
    let item: String = env.active_id("qbo.item", "item_type = 'Service'", 0).await;

    let local = env
        .insert(
            "qbo.customer",
            "display_name, currency_ref, operation",
            "'Euro Kunde GmbH', 'EUR', 'add'",
        )
        .await;
    let row = env.wait_row("qbo.customer", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let customer = row.id.unwrap();
    assert_eq!(
        env.qb().read("Customer", &customer).unwrap()["CurrencyRef"]["value"],
        "EUR"
    );

    // The rate of the day, and the home amount QuickBooks computes from it.
    let inv = add_invoice(
        &env,
        &customer,
        "EU-1",
        &[],
        &[&format!("1, 100, 1, 100, '{item}', NULL, NULL")],
    )
    .await;
    let row = env.wait_row("qbo.invoice", inv).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let r = env
        .one(&format!("SELECT currency_ref, exchange_rate::float8, home_total_amt::float8 FROM qbo.invoice WHERE local_id = {inv}"))
        .await;
    assert_eq!(r.get::<_, String>(0), "EUR");
    assert!((num(&r, 1) - 1.1).abs() < 1e-9);
    assert!((num(&r, 2) - 110.0).abs() < 0.001);

    // A rate given by the application is kept.
    let inv = add_invoice(
        &env,
        &customer,
        "EU-2",
        &[("currency_ref", "'EUR'"), ("exchange_rate", "1.25")],
        &[&format!("1, 80, 1, 80, '{item}', NULL, NULL")],
    )
    .await;
    let row = env.wait_row("qbo.invoice", inv).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let r = env
        .one(&format!("SELECT exchange_rate::float8, home_total_amt::float8 FROM qbo.invoice WHERE local_id = {inv}"))
        .await;
    assert!((num(&r, 0) - 1.25).abs() < 1e-9);
    assert!((num(&r, 1) - 100.0).abs() < 0.001);

    // An invoice in another currency than its customer's is refused with QuickBooks' reason.
    let inv = add_invoice(
        &env,
        &customer,
        "EU-3",
        &[("currency_ref", "'USD'"), ("exchange_rate", "1")],
        &[&format!("1, 5, 1, 5, '{item}', NULL, NULL")],
    )
    .await;
    let row = env.wait_row("qbo.invoice", inv).await;
    assert_eq!(row.status, "error");
    let msg = row.message.unwrap_or_default();
    assert!(
        msg.contains("does not match the customer's currency EUR"),
        "{msg}"
    );
    assert_eq!(env.qb().find("Invoice", "DocNumber", "EU-3").len(), 0);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_carries_its_invoices_company_and_goes_with_it() {
    let env = Env::start().await;
    env.exec(&format!(
        "SELECT qbsync.qb_add_company('beta', 'realm-b', 'id', 'secret', 'token', api_base => '{}', token_url => '{}')",
        env.sandbox.api_base(),
        env.sandbox.token_url()
    ))
    .await;
    let beta: i64 = env
        .one("SELECT id FROM qbsync.company WHERE name = 'beta'")
        .await
        .get(0);
    let c = env.company_id;
    let invoice = env
        .insert("qbo.invoice", "customer_ref, doc_number", "'1', 'FK-1'")
        .await;
    // Row-level security filters lines on company_id: a line cannot claim another company
    // than its invoice's.
    let e = env
        .error_of(&format!(
            "INSERT INTO qbo.invoice_line (invoice_local_id, company_id, line_num, amount) VALUES ({invoice}, {beta}, 1, 5)"
        ))
        .await;
    assert!(e.contains("foreign key"), "{e}");
    env.exec(&format!(
        "INSERT INTO qbo.invoice_line (invoice_local_id, company_id, line_num, amount) VALUES ({invoice}, {c}, 1, 5)"
    ))
    .await;
    env.exec(&format!(
        "DELETE FROM qbo.invoice WHERE local_id = {invoice}"
    ))
    .await;
    assert_eq!(
        count(
            env.one(&format!(
                "SELECT count(*) FROM qbo.invoice_line WHERE invoice_local_id = {invoice}"
            ))
            .await
        ),
        0,
        "the lines went with their invoice"
    );
}
