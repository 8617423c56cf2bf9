//! The wider QuickBooks Online catalogue: more name lists, and each entity's real capabilities
//! enforced (read-only entities refuse writes, create-only ones refuse changes, name lists
//! deactivate instead of deleting), with errors that say what to do instead.

use qbsync_tests::Env;
use serde_json::json;

fn count(row: tokio_postgres::Row) -> i64 {
    row.get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_list_is_populated_and_its_capabilities_are_in_the_catalogue() {
    let env = Env::start().await;
    env.populate().await;
    for (table, entity) in [
        ("employee", "Employee"),
        ("class", "Class"),
        ("department", "Department"),
        ("term", "Term"),
        ("payment_method", "PaymentMethod"),
        ("tax_agency", "TaxAgency"),
        ("tax_code", "TaxCode"),
        ("tax_rate", "TaxRate"),
    ] {
        let local = count(env.one(&format!("SELECT count(*) FROM qbo.{table}")).await) as usize;
        assert_eq!(local, env.qb().count(entity), "{table}");
        assert!(local > 0, "the sample company has {entity} records");
    }
    // Inactive tax codes come too: the Active filter is lifted for them.
    assert!(
        count(
            env.one("SELECT count(*) FROM qbo.tax_code WHERE NOT active")
                .await
        ) > 0
    );
    let r = env
        .one(
            "SELECT string_agg(table_name || ':' || can_create || '/' || can_update || '/' || delete_style, ' ' ORDER BY table_name) \
             FROM qbsync.entity WHERE company_kind = 'qbo' AND table_name IN ('tax_code', 'tax_agency', 'class', 'invoice')",
        )
        .await;
    assert_eq!(
        r.get::<_, String>(0),
        "class:true/true/deactivate invoice:true/true/delete tax_agency:true/false/refused tax_code:false/false/refused"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_writes_say_what_to_do_instead() {
    let env = Env::start().await;
    env.populate().await;
    let c = env.company_id;
    let e = env
        .error_of(&format!(
            "INSERT INTO qbo.tax_code (company_id, name, operation) VALUES ({c}, 'GST', 'add')"
        ))
        .await;
    assert!(
        e.contains(
            "qbo.tax_code: QuickBooks Online does not let applications create TaxCode records"
        ),
        "{e}"
    );
    assert!(e.contains("qbsync.qb_refresh('acme', '{tax_code}')"), "{e}");
    let e = env
        .error_of("UPDATE qbo.tax_agency SET display_name = 'X', operation = 'update'")
        .await;
    assert!(
        e.contains("does not let applications change TaxAgency records")
            && e.contains("Make the change in QuickBooks"),
        "{e}"
    );
    let e = env
        .error_of("UPDATE qbo.tax_rate SET operation = 'delete'")
        .await;
    assert!(
        e.contains("does not let applications delete or deactivate TaxRate records"),
        "{e}"
    );
    let e = env
        .error_of("UPDATE qbo.employee SET operation = 'void'")
        .await;
    assert!(
        e.contains("cannot void Employee records") && e.contains("makes the record inactive"),
        "{e}"
    );
    // A refresh of one record is always allowed.
    let local: i64 = env
        .one("SELECT local_id FROM qbo.tax_code ORDER BY local_id LIMIT 1")
        .await
        .get(0);
    env.exec(&format!(
        "UPDATE qbo.tax_code SET operation = 'refresh' WHERE local_id = {local}"
    ))
    .await;
    assert_eq!(env.wait_row("qbo.tax_code", local).await.status, "ok");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_name_lists_are_added_changed_and_deactivated() {
    let env = Env::start().await;
    env.populate().await;
    let employee = env
        .insert(
            "qbo.employee",
            "given_name, family_name, display_name, email, operation",
            "'Ada', 'Byron', 'Ada Byron', 'ada@x.test', 'add'",
        )
        .await;
    let row = env.wait_row("qbo.employee", employee).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(
        env.qb().read("Employee", &row.id.unwrap()).unwrap()["PrimaryEmailAddr"]["Address"],
        "ada@x.test"
    );

    let parent = env
        .insert("qbo.class", "name, operation", "'Landscaping', 'add'")
        .await;
    let parent_id = env
        .wait_row("qbo.class", parent)
        .await
        .id
        .expect("class added");
    let child = env
        .insert(
            "qbo.class",
            "name, parent_ref, operation",
            &format!("'Lawns', '{parent_id}', 'add'"),
        )
        .await;
    assert_eq!(env.wait_row("qbo.class", child).await.status, "ok");
    assert_eq!(
        env.one(&format!(
            "SELECT fully_qualified_name FROM qbo.class WHERE local_id = {child}"
        ))
        .await
        .get::<_, String>(0),
        "Landscaping:Lawns"
    );

    let term = env
        .insert(
            "qbo.term",
            "name, due_days, operation",
            "'Net 45', 45, 'add'",
        )
        .await;
    assert_eq!(env.wait_row("qbo.term", term).await.status, "ok");
    let method = env
        .insert(
            "qbo.payment_method",
            "name, operation",
            "'Gift card', 'add'",
        )
        .await;
    let row = env.wait_row("qbo.payment_method", method).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(
        env.one(&format!(
            "SELECT payment_type FROM qbo.payment_method WHERE local_id = {method}"
        ))
        .await
        .get::<_, String>(0),
        "NON_CREDIT_CARD"
    );
    let agency = env
        .insert(
            "qbo.tax_agency",
            "display_name, operation",
            "'County Tax Office', 'add'",
        )
        .await;
    assert_eq!(
        env.wait_row("qbo.tax_agency", agency).await.status,
        "ok",
        "a tax agency can be created"
    );

    env.exec(&format!(
        "UPDATE qbo.term SET due_days = 60, operation = 'update' WHERE local_id = {term}"
    ))
    .await;
    assert_eq!(env.wait_row("qbo.term", term).await.status, "ok");
    env.exec(&format!(
        "UPDATE qbo.class SET operation = 'delete' WHERE local_id = {child}"
    ))
    .await;
    let row = env.wait_row("qbo.class", child).await;
    assert!(row
        .message
        .unwrap_or_default()
        .contains("cannot delete a Class; it was made inactive"));
    assert!(!env
        .one(&format!(
            "SELECT active FROM qbo.class WHERE local_id = {child}"
        ))
        .await
        .get::<_, bool>(0));

    // Employees share the display-name namespace with customers and vendors.
    let taken: String = env
        .one("SELECT display_name FROM qbo.customer WHERE active ORDER BY local_id LIMIT 1")
        .await
        .get(0);
    let dup = env
        .insert(
            "qbo.employee",
            "display_name, operation",
            &format!("'{}', 'add'", taken.replace('\'', "''")),
        )
        .await;
    let row = env.wait_row("qbo.employee", dup).await;
    assert_eq!(row.status, "error");
    assert!(row.message.unwrap_or_default().starts_with("[6240]"));
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entities_outside_cdc_are_refreshed_by_query() {
    let env = Env::start().await;
    env.populate().await;
    let agency: String = env
        .one("SELECT id FROM qbo.tax_agency ORDER BY local_id LIMIT 1")
        .await
        .get(0);
    let made = env
        .qb()
        .create(
            "TaxCode",
            json!({"Name": "Made By A User", "Taxable": true}),
        )
        .unwrap();
    let rate = env
        .qb()
        .create(
            "TaxRate",
            json!({"Name": "New Rate", "RateValue": 2.5, "AgencyRef": {"value": agency}}),
        )
        .unwrap();
    let before = env.route_calls("cdc");
    let (_, status) = env
        .run_task("SELECT qbsync.qb_refresh('acme', '{tax_code, tax_rate}')")
        .await;
    assert_eq!(status, "done");
    assert_eq!(
        env.route_calls("cdc"),
        before,
        "CDC does not cover tax codes and rates"
    );
    let id = made["Id"].as_str().unwrap();
    assert_eq!(
        env.one(&format!("SELECT name FROM qbo.tax_code WHERE id = '{id}'"))
            .await
            .get::<_, String>(0),
        "Made By A User"
    );
    let id = rate["Id"].as_str().unwrap();
    assert_eq!(
        env.one(&format!(
            "SELECT rate_value::float8 FROM qbo.tax_rate WHERE id = '{id}'"
        ))
        .await
        .get::<_, f64>(0),
        2.5
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn singletons_are_read_and_updated_never_added_or_deleted() {
    let env = Env::start().await;
    env.populate().await;
    let r = env
        .one("SELECT count(*), max(company_name), max(id) FROM qbo.company_info")
        .await;
    assert_eq!(
        (
            r.get::<_, i64>(0),
            r.get::<_, Option<String>>(1).as_deref(),
            r.get::<_, Option<String>>(2).as_deref()
        ),
        (1, Some("Sandbox Company_US_1"), Some("1"))
    );
    assert_eq!(
        count(
            env.one("SELECT count(*) FROM qbo.preferences WHERE home_currency = 'USD'")
                .await
        ),
        1
    );
    env.exec(
        "UPDATE qbo.company_info SET legal_name = 'Sandbox Holdings LLC', operation = 'update'",
    )
    .await;
    let local: i64 = env
        .one("SELECT local_id FROM qbo.company_info")
        .await
        .get(0);
    let row = env.wait_row("qbo.company_info", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(
        env.qb().read("CompanyInfo", "1").unwrap()["LegalName"],
        "Sandbox Holdings LLC"
    );
    env.exec("UPDATE qbo.preferences SET custom_txn_numbers = true, operation = 'update'")
        .await;
    let local: i64 = env.one("SELECT local_id FROM qbo.preferences").await.get(0);
    assert_eq!(env.wait_row("qbo.preferences", local).await.status, "ok");
    assert_eq!(
        env.qb().read("Preferences", "1").unwrap()["SalesFormsPrefs"]["CustomTxnNumbers"],
        true
    );
    let e = env.error_of(&format!("INSERT INTO qbo.company_info (company_id, company_name, operation) VALUES ({}, 'Second', 'add')", env.company_id)).await;
    assert!(
        e.contains("QuickBooks has exactly one CompanyInfo per company")
            && e.contains("UPDATE qbo.company_info"),
        "{e}"
    );
    let e = env
        .error_of("UPDATE qbo.preferences SET operation = 'delete'")
        .await;
    assert!(
        e.contains("exactly one Preferences per company; it can be read and updated, not deleted"),
        "{e}"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_attachables_and_currencies() {
    let env = Env::start().await;
    env.populate().await;
    // Budgets are read-only, with their amounts per account and period in budget_detail.
    assert_eq!(
        count(env.one("SELECT count(*) FROM qbo.budget").await) as usize,
        env.qb().count("Budget")
    );
    assert!(
        count(
            env.one("SELECT count(*) FROM qbo.budget WHERE NOT active")
                .await
        ) > 0,
        "inactive budgets too"
    );
    assert!(count(env.one("SELECT count(*) FROM qbo.budget_detail WHERE account_ref IS NOT NULL AND amount IS NOT NULL").await) > 0);
    let e = env
        .error_of(&format!(
            "INSERT INTO qbo.budget (company_id, name, operation) VALUES ({}, 'B', 'add')",
            env.company_id
        ))
        .await;
    assert!(
        e.contains("does not let applications create Budget records"),
        "{e}"
    );

    // An attachable note on an invoice: added, then deleted.
    let invoice: String = env
        .one("SELECT id FROM qbo.invoice ORDER BY local_id LIMIT 1")
        .await
        .get(0);
    let note = env
        .insert(
            "qbo.attachable",
            "note, entity_type, entity_ref, operation",
            &format!("'Signed copy on file', 'Invoice', '{invoice}', 'add'"),
        )
        .await;
    let row = env.wait_row("qbo.attachable", note).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let id = row.id.unwrap();
    assert_eq!(
        env.qb().read("Attachable", &id).unwrap()["AttachableRef"][0]["EntityRef"]["value"],
        invoice.as_str()
    );
    env.exec(&format!(
        "UPDATE qbo.attachable SET operation = 'delete' WHERE local_id = {note}"
    ))
    .await;
    assert_eq!(env.wait_row("qbo.attachable", note).await.status, "removed");
    assert!(env.qb().read("Attachable", &id).is_none());

    // A currency: added by code, deactivated on delete.
    let gbp = env
        .insert("qbo.company_currency", "code, operation", "'GBP', 'add'")
        .await;
    let row = env.wait_row("qbo.company_currency", gbp).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(
        env.one(&format!(
            "SELECT name FROM qbo.company_currency WHERE local_id = {gbp}"
        ))
        .await
        .get::<_, String>(0),
        "British Pound Sterling"
    );
    env.exec(&format!(
        "UPDATE qbo.company_currency SET operation = 'delete' WHERE local_id = {gbp}"
    ))
    .await;
    let row = env.wait_row("qbo.company_currency", gbp).await;
    assert!(row.message.unwrap_or_default().contains("made inactive"));
    assert!(!env
        .one(&format!(
            "SELECT active FROM qbo.company_currency WHERE local_id = {gbp}"
        ))
        .await
        .get::<_, bool>(0));
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_fields_are_kept_and_writable() {
    let env = Env::start().await;
    env.populate().await;
    let c = env.company_id;
    let customer: String = env.active_id("qbo.customer", "", 0).await;
    let item: String = env.active_id("qbo.item", "", 0).await;
    env.exec(&format!(
        "WITH i AS (INSERT INTO qbo.invoice (company_id, customer_ref, doc_number) VALUES ({c}, '{customer}', 'CF-1') RETURNING local_id) \
         , l AS (INSERT INTO qbo.invoice_line (invoice_local_id, company_id, line_num, item_ref, amount) SELECT local_id, {c}, 1, '{item}', 10 FROM i) \
         INSERT INTO qbo.invoice_custom_field (invoice_local_id, company_id, line_num, definition_id, name, field_type, string_value) \
         SELECT local_id, {c}, 1, '1', 'Crew', 'StringType', 'North' FROM i"
    ))
    .await;
    let local: i64 = env
        .one("SELECT local_id FROM qbo.invoice WHERE doc_number = 'CF-1'")
        .await
        .get(0);
    env.exec(&format!(
        "UPDATE qbo.invoice SET operation = 'add' WHERE local_id = {local}"
    ))
    .await;
    let row = env.wait_row("qbo.invoice", local).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    let id = row.id.unwrap();
    assert_eq!(
        env.qb().read("Invoice", &id).unwrap()["CustomField"][0]["StringValue"],
        "North"
    );
    // Written back from QuickBooks' answer, then changed from SQL.
    env.exec(&format!("UPDATE qbo.invoice_custom_field SET string_value = 'South' WHERE invoice_local_id = {local}")).await;
    env.exec(&format!(
        "UPDATE qbo.invoice SET operation = 'update' WHERE local_id = {local}"
    ))
    .await;
    assert_eq!(env.wait_row("qbo.invoice", local).await.status, "ok");
    assert_eq!(
        env.qb().read("Invoice", &id).unwrap()["CustomField"][0]["StringValue"],
        "South"
    );
    assert_eq!(count(env.one(&format!("SELECT count(*) FROM qbo.invoice_line WHERE invoice_local_id = {local} AND item_ref = '{item}'")).await), 1, "lines kept");
    // Changed in QuickBooks, it comes back by refresh.
    env.qb().sparse_update("Invoice", &id, json!({"CustomField": [{"DefinitionId": "1", "Name": "Crew", "Type": "StringType", "StringValue": "East"}]})).unwrap();
    let (_, status) = env
        .run_task("SELECT qbsync.qb_refresh('acme', '{invoice}')")
        .await;
    assert_eq!(status, "done");
    let v: String = env
        .one(&format!(
            "SELECT string_value FROM qbo.invoice_custom_field WHERE invoice_local_id = {local}"
        ))
        .await
        .get(0);
    assert_eq!(v, "East");
    env.finish().await;
}
