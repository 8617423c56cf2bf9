//! Linking existing records: matching local rows to QuickBooks records by a key (sure,
//! ambiguous, none), linking and unlinking by hand, unlinked rows left out of syncs with the
//! cascade reported, and no silent duplicates.

use qbsync_tests::Env;
use serde_json::json;

fn count(row: tokio_postgres::Row) -> i64 {
    row.get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qb_match_links_sure_matches_and_lists_the_others() {
    let env = Env::start().await;
    env.populate().await;
    let nick = env.qb().create("Customer", json!({"DisplayName": "Nick Brown", "PrimaryEmailAddr": {"Address": "nick@brown.test"}})).unwrap();
    let nick_id = nick["Id"].as_str().unwrap().to_string();
    let (task, _) = env
        .run_task("SELECT qbsync.qb_refresh('acme', '{customer}')")
        .await;
    assert!(task > 0);
    let r = env.one("SELECT id, display_name FROM qbo.customer WHERE active AND id <> '' ORDER BY local_id LIMIT 1").await;
    let (same_id, same_name): (String, String) = (r.get(0), r.get(1));
    // Local rows the application had before connecting (no Id, no operation).
    let exact = env
        .insert(
            "qbo.customer",
            "display_name",
            &format!("'{}'", same_name.replace('\'', "''")),
        )
        .await;
    let reversed = env
        .insert("qbo.customer", "display_name", "'Brown, Nick'")
        .await;
    let twin_a = env
        .insert(
            "qbo.customer",
            "display_name, email",
            "'Twin A', 'NICK@brown.test'",
        )
        .await;
    let twin_b = env
        .insert(
            "qbo.customer",
            "display_name, email",
            "'Twin B', 'nick@brown.test '",
        )
        .await;
    let lonely = env
        .insert("qbo.customer", "display_name", "'Nobody Like Me'")
        .await;

    // By email: two local rows for one QuickBooks customer is ambiguous; nothing is linked.
    let rows = env
        .db
        .query(
            "SELECT local_id, qb_id, status FROM qbsync.qb_match('acme', 'customer', 'email')",
            &[],
        )
        .await
        .unwrap();
    let found: Vec<(i64, String, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        found,
        vec![
            (twin_a, nick_id.clone(), "ambiguous".into()),
            (twin_b, nick_id.clone(), "ambiguous".into())
        ]
    );

    // By exact name: the sure match is linked, and the copy from populate gives way to it.
    let rows = env
        .db
        .query(
            "SELECT local_id, qb_id, status FROM qbsync.qb_match('acme', 'customer', 'name')",
            &[],
        )
        .await
        .unwrap();
    let found: Vec<(i64, String, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(found, vec![(exact, same_id.clone(), "linked".into())]);
    let row = env.wait_row("qbo.customer", exact).await;
    assert_eq!(
        (row.status.as_str(), row.id.as_deref()),
        ("ok", Some(same_id.as_str()))
    );
    assert_eq!(
        count(
            env.one(&format!(
                "SELECT count(*) FROM qbo.customer WHERE id = '{same_id}'"
            ))
            .await
        ),
        1,
        "no duplicate row"
    );
    assert_eq!(
        env.qb().api_creates("Customer"),
        0,
        "nothing was created in QuickBooks"
    );

    // By normalised name: "Brown, Nick" ~ "Nick Brown" is only a candidate for a person.
    let rows = env.db.query("SELECT local_id, qb_id, status FROM qbsync.qb_match('acme', 'customer', 'normalized_name')", &[]).await.unwrap();
    let found: Vec<(i64, String, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .filter(|(_, _, s)| s != "linked")
        .collect();
    assert_eq!(found, vec![(reversed, nick_id.clone(), "candidate".into())]);
    assert!(
        !found.iter().any(|(l, _, _)| *l == lonely),
        "no match, no row"
    );
    // Until someone decides, the candidate cannot be added as a new customer.
    let e = env
        .error_of(&format!(
            "UPDATE qbo.customer SET operation = 'add' WHERE local_id = {reversed}"
        ))
        .await;
    assert!(
        e.contains("may already be in QuickBooks") && e.contains("qb_link"),
        "{e}"
    );
    // A person decides: link it.
    env.exec(&format!(
        "SELECT qbsync.qb_link('qbo.customer', {reversed}, '{nick_id}')"
    ))
    .await;
    let row = env.wait_row("qbo.customer", reversed).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);
    assert_eq!(
        env.one(&format!(
            "SELECT display_name FROM qbo.customer WHERE local_id = {reversed}"
        ))
        .await
        .get::<_, String>(0),
        "Nick Brown"
    );
    // The unmatched row is new: it can be added.
    env.exec(&format!(
        "UPDATE qbo.customer SET operation = 'add' WHERE local_id = {lonely}"
    ))
    .await;
    assert_eq!(env.wait_row("qbo.customer", lonely).await.status, "ok");
    assert_eq!(env.qb().api_creates("Customer"), 1);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlinked_rows_are_left_out_and_the_cascade_is_reported() {
    let env = Env::start().await;
    env.populate().await;
    let r = env
        .one("SELECT c.local_id, c.id, count(*) FROM qbo.customer c JOIN qbo.invoice i ON i.customer_ref = c.id GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1")
        .await;
    let (local, id, invoices): (i64, String, i64) = (r.get(0), r.get(1), r.get(2));
    let dependents: i64 = env
        .one(&format!("SELECT qbsync.qb_unlink('qbo.customer', {local})"))
        .await
        .get(0);
    assert!(
        dependents >= invoices,
        "{dependents} dependents reported, {invoices} invoices"
    );
    let message: String = env
        .one(&format!("SELECT message FROM qbsync.sync_result WHERE operation = 'unlink' AND local_id = {local}"))
        .await
        .get(0);
    assert!(message.contains("qbo.invoice: "), "{message}");

    // Changes in QuickBooks no longer reach the unlinked row, and it cannot be pushed.
    env.qb()
        .sparse_update(
            "Customer",
            &id,
            json!({"CompanyName": "Changed While Unlinked"}),
        )
        .unwrap();
    let (_, status) = env
        .run_task("SELECT qbsync.qb_refresh('acme', '{customer}')")
        .await;
    assert_eq!(status, "done");
    let company: Option<String> = env
        .one(&format!(
            "SELECT company_name FROM qbo.customer WHERE local_id = {local}"
        ))
        .await
        .get(0);
    assert_ne!(company.as_deref(), Some("Changed While Unlinked"));
    let e = env
        .error_of(&format!(
            "UPDATE qbo.customer SET operation = 'update' WHERE local_id = {local}"
        ))
        .await;
    assert!(
        e.contains("is unlinked from QuickBooks") && e.contains("qb_link"),
        "{e}"
    );

    // Linked again, it takes QuickBooks' version.
    env.exec(&format!(
        "SELECT qbsync.qb_link('qbo.customer', {local}, '{id}')"
    ))
    .await;
    assert_eq!(env.wait_row("qbo.customer", local).await.status, "ok");
    let company: String = env
        .one(&format!(
            "SELECT company_name FROM qbo.customer WHERE local_id = {local}"
        ))
        .await
        .get(0);
    assert_eq!(company, "Changed While Unlinked");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_document_number_is_refused_before_it_reaches_quickbooks() {
    let env = Env::start().await;
    env.populate().await;
    let r = env.one("SELECT doc_number, id, customer_ref FROM qbo.invoice WHERE doc_number IS NOT NULL ORDER BY local_id LIMIT 1").await;
    let (doc, id, customer): (String, String, String) = (r.get(0), r.get(1), r.get(2));
    let e = env
        .error_of(&format!(
            "INSERT INTO qbo.invoice (company_id, customer_ref, doc_number, operation) VALUES ({}, '{customer}', '{doc}', 'add')",
            env.company_id
        ))
        .await;
    assert!(
        e.contains(&format!(
            "doc_number \"{doc}\", which QuickBooks already has as Id {id}"
        )),
        "{e}"
    );
    assert!(e.contains("qbsync.qb_link('qbo.invoice'"), "{e}");
    let e = env
        .error_of("SELECT * FROM qbsync.qb_match('acme', 'item', 'email')")
        .await;
    assert!(e.contains("qbo.item cannot be matched by \"email\""), "{e}");
    env.finish().await;
}
