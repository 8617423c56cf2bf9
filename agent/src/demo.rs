//! The demo: a fresh database with the extension, the loopback QuickBooks sandbox and the agent,
//! walked through what a DBA and an application do, printing what happened.

use crate::{runner, AgentConfig};
use anyhow::{bail, Context};
use qbsync_sandbox::{SandboxConfig, SeedSize};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_postgres::{Client, NoTls};

async fn connect(cfg: &tokio_postgres::Config) -> anyhow::Result<Client> {
    let (client, conn) = cfg
        .connect(NoTls)
        .await
        .context("connecting to PostgreSQL")?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

fn step(title: &str) {
    println!("\n== {title}");
}

/// Waits until `task` finishes; fails if it did not end `done`.
async fn wait_task(db: &Client, task: i64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let row = db
            .query_one(
                "SELECT status, coalesce(error, '') FROM qbsync.task WHERE id = $1",
                &[&task],
            )
            .await?;
        let status: String = row.get(0);
        match status.as_str() {
            "done" => return Ok(()),
            "failed" | "stopped" => bail!("task {task} {status}: {}", row.get::<_, String>(1)),
            _ if Instant::now() > deadline => bail!("task {task} still {status} after 10 minutes"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Waits until the mirror row leaves `pending`/`sending`; returns its sync_status.
async fn wait_row(db: &Client, table: &str, local_id: i64) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let sql = format!("SELECT coalesce(sync_status, '') FROM {table} WHERE local_id = $1");
    loop {
        let status: String = match db.query_opt(sql.as_str(), &[&local_id]).await? {
            Some(r) => r.get(0),
            None => return Ok("removed".into()),
        };
        if status != "pending" && status != "sending" {
            return Ok(status);
        }
        if Instant::now() > deadline {
            bail!("{table} local_id={local_id} still {status} after 60 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits for task `task` and prints its outcome.
async fn task_line(db: &Client, task: i64) -> anyhow::Result<()> {
    let r = db
        .query_one(
            "SELECT kind, status, rows_done, coalesce(error, '') FROM qbsync.task WHERE id = $1",
            &[&task],
        )
        .await?;
    println!(
        "  task {task} {}: {} ({} records){}",
        r.get::<_, String>(0),
        r.get::<_, String>(1),
        r.get::<_, i64>(2),
        match r.get::<_, String>(3) {
            e if e.is_empty() => String::new(),
            e => format!(" {e}"),
        }
    );
    Ok(())
}

/// The QuickBooks Desktop part: a company file behind a simulated Web Connector that drives the
/// agent's SOAP endpoint over loopback HTTP.
async fn desktop(db: &Client, app_cfg: &tokio_postgres::Config) -> anyhow::Result<()> {
    use crate::qbwc::{self, qwc::QwcSettings, QbwcService};
    use qbsync_sandbox::qbd::{QbdCompany, QbdConfig};
    use qbsync_sandbox::qbwc::{WebConnector, WebConnectorConfig};

    step("13. QuickBooks Desktop: SELECT qbsync.qb_add_qbd_company('shop', 'qbwc-shop', ...)");
    let password = "demo passphrase";
    let connect: i64 = db
        .query_one(
            "SELECT qbsync.qb_add_qbd_company('shop', 'qbwc-shop', $1)",
            &[&password],
        )
        .await?
        .get(0);
    let r = db
        .query_one(
            "SELECT qbwc_owner_id, qbwc_file_id FROM qbsync.company WHERE name = 'shop'",
            &[],
        )
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!(
        "http://127.0.0.1:{}{}",
        listener.local_addr()?.port(),
        qbwc::DEFAULT_PATH
    );
    let (stop, stop_rx) = watch::channel(false);
    let service = QbwcService::new(app_cfg.clone());
    let server =
        tokio::spawn(
            async move { qbwc::serve(service, listener, qbwc::DEFAULT_PATH, stop_rx).await },
        );
    let qwc = QwcSettings {
        app_name: "qbsync shop".into(),
        app_url: url.clone(),
        support_url: url.replace(qbwc::DEFAULT_PATH, "/"),
        user_name: "qbwc-shop".into(),
        owner_id: r.get::<_, Option<String>>(0).unwrap_or_default(),
        file_id: r.get::<_, Option<String>>(1).unwrap_or_default(),
        run_every_minutes: 5,
    }
    .to_xml()?;
    println!("  Web Connector endpoint {url}; the .QWC file (qbsync-agent qwc --company shop --url ...):");
    for line in qwc
        .lines()
        .filter(|l| l.contains("AppURL") || l.contains("UserName") || l.contains("FileID"))
    {
        println!("    {}", line.trim());
    }
    let company = QbdCompany::seeded(QbdConfig {
        customers: 100,
        ..Default::default()
    });
    let admin = company.admin();
    println!(
        "  company file {:?}: {} customers, {} invoices",
        company.company_file_name(),
        admin.count("Customer").unwrap_or(0),
        admin.count("Invoice").unwrap_or(0)
    );
    let wc_cfg = WebConnectorConfig::from_qwc(&qwc, password)?;
    let wc = WebConnector::new(wc_cfg, std::sync::Arc::new(company.clone()))?;
    let session = |title: &str| println!("  Web Connector session: {title}");

    step("14. the Web Connector connects, then SELECT qbsync.qb_populate('shop')");
    session("connect");
    let report = wc.run_session().await;
    println!("    calls: {}", report.operations().join(" -> "));
    task_line(db, connect).await?;
    let populate: i64 = db
        .query_one("SELECT qbsync.qb_populate('shop')", &[])
        .await?
        .get(0);
    let started = Instant::now();
    let report = wc.run_session().await;
    println!(
        "  populate session: {} qbXML requests, progress {:?}, {} ms",
        report.requests,
        report.progress(),
        started.elapsed().as_millis()
    );
    task_line(db, populate).await?;
    for r in db
        .query(
            "SELECT e.table_name, h.row_count FROM qbsync.history h JOIN qbsync.entity e ON e.name = h.entity \
             WHERE e.company_kind = 'qbd' ORDER BY e.ord",
            &[],
        )
        .await?
    {
        print!("{}={} ", r.get::<_, String>(0), r.get::<_, Option<i64>>(1).unwrap_or(0));
    }
    println!();

    step("15. a QuickBooks user edits the file, then SELECT qbsync.qb_refresh('shop')");
    admin.advance_clock(3600);
    if let Some(id) = admin
        .ids("Customer")
        .ok()
        .and_then(|ids| ids.first().cloned())
    {
        let _ = admin.modify(
            "Customer",
            &id,
            qbsync_qbxml::Element::new("Mod").leaf("CompanyName", "Changed In QuickBooks Desktop"),
        );
    }
    if let Some(id) = admin
        .ids("Invoice")
        .ok()
        .and_then(|ids| ids.first().cloned())
    {
        let _ = admin.delete("Invoice", &id);
    }
    let refresh: i64 = db
        .query_one("SELECT qbsync.qb_refresh('shop')", &[])
        .await?
        .get(0);
    let report = wc.run_session().await;
    println!("  refresh session: {} qbXML requests", report.requests);
    task_line(db, refresh).await?;
    for r in db
        .query(
            "SELECT entity, operation, count(*) FROM qbsync.sync_result WHERE task_id = $1 GROUP BY 1, 2 ORDER BY 1, 2",
            &[&refresh],
        )
        .await?
    {
        println!("    {} {}: {}", r.get::<_, String>(0), r.get::<_, String>(1), r.get::<_, i64>(2));
    }

    step(
        "16. SELECT qbsync.qb_report('shop', 'ProfitAndLossStandard', '{\"date_macro\": \"All\"}')",
    );
    let task: i64 = db
        .query_one(
            "SELECT qbsync.qb_report('shop', 'ProfitAndLossStandard', '{\"date_macro\": \"All\"}')",
            &[],
        )
        .await?
        .get(0);
    wc.run_session().await;
    task_line(db, task).await?;
    for r in db
        .query(
            "SELECT label, value FROM qbsync.report_value WHERE run_id = (SELECT id FROM qbsync.report_run WHERE task_id = $1) \
             AND row_type = 'summary' AND col_no = 2 ORDER BY row_no",
            &[&task],
        )
        .await?
    {
        println!(
            "    {:<28} {:>12}",
            r.get::<_, Option<String>>(0).unwrap_or_default(),
            r.get::<_, Option<String>>(1).unwrap_or_default()
        );
    }
    let stats = admin.stats();
    println!(
        "  the company file answered {} message sets; {} parse errors",
        stats.message_sets, stats.parse_errors
    );
    let _ = stop.send(true);
    let _ = server.await;
    Ok(())
}

pub async fn run(
    admin_cfg: tokio_postgres::Config,
    database: &str,
    customers: usize,
) -> anyhow::Result<()> {
    println!("qbsync demo: PostgreSQL + extension + agent + loopback QuickBooks Online and QuickBooks Desktop");

    step("1. QuickBooks Online sandbox");
    let sandbox = qbsync_sandbox::start(SandboxConfig {
        seed: SeedSize::scaled(customers),
        ..Default::default()
    })
    .await
    .context("starting the sandbox")?;
    let qb = sandbox.admin().clone();
    println!(
        "sandbox on {} (realm {}): {} customers, {} items, {} invoices, {} payments, {} sales receipts",
        sandbox.base_url(),
        sandbox.realm_id(),
        qb.count("Customer"),
        qb.count("Item"),
        qb.count("Invoice"),
        qb.count("Payment"),
        qb.count("SalesReceipt")
    );

    step("2. database with the extension");
    let admin = connect(&admin_cfg).await?;
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
        ))
        .await?;
    admin
        .batch_execute(&format!("CREATE DATABASE \"{database}\""))
        .await?;
    let mut app_cfg = admin_cfg.clone();
    app_cfg.dbname(database);
    let mut db = connect(&app_cfg).await?;
    db.batch_execute("CREATE EXTENSION qbsync CASCADE")
        .await
        .context("CREATE EXTENSION qbsync (run scripts/setup.sh first)")?;
    println!("CREATE EXTENSION qbsync in database {database}");

    step("3. agent, with its key (qbsync-agent keygen --output agent.key, then the SQL it prints)");
    // The demo keeps the secret key in memory; a real agent reads it from its key file.
    let key = qbsync_secret::generate();
    let public = key.public_key().to_base64();
    let fingerprint: String = db
        .query_one("SELECT qbsync.qb_set_agent_key($1)", &[&public])
        .await
        .context("registering the agent key")?
        .get(0);
    println!("SELECT qbsync.qb_set_agent_key('{public}');  -- {fingerprint}");
    println!("company secrets are stored sealed to this key; only the agent can open them");

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut cfg = AgentConfig::new(app_cfg.clone()).with_secret_key(key);
    cfg.sweep_interval = Duration::from_secs(1);
    let agent = tokio::spawn(runner::run(cfg, stop_rx));
    println!("agent running (LISTEN qbsync + sweep every second)");

    let defaults = SandboxConfig::default();
    step("4. SELECT qbsync.qb_add_company(...)");
    let task: i64 = db
        .query_one(
            "SELECT qbsync.qb_add_company('demo', $1, $2, $3, $4, api_base => $5, token_url => $6)",
            &[
                &sandbox.realm_id(),
                &defaults.client_id,
                &defaults.client_secret,
                &defaults.refresh_token,
                &sandbox.api_base(),
                &sandbox.token_url(),
            ],
        )
        .await?
        .get(0);
    wait_task(&db, task).await?;
    let name: Option<String> = db
        .query_one(
            "SELECT quickbooks_name FROM qbsync.company WHERE name = 'demo'",
            &[],
        )
        .await?
        .get(0);
    println!(
        "connected to QuickBooks company {:?} (task {task})",
        name.unwrap_or_default()
    );

    step("5. SELECT qbsync.qb_populate('demo')");
    let started = Instant::now();
    let task: i64 = db
        .query_one("SELECT qbsync.qb_populate('demo')", &[])
        .await?
        .get(0);
    wait_task(&db, task).await?;
    let secs = started.elapsed().as_secs_f64();
    let rows: i64 = db
        .query_one("SELECT rows_done FROM qbsync.task WHERE id = $1", &[&task])
        .await?
        .get(0);
    for r in db
        .query(
            "SELECT e.schema_name || '.' || e.table_name, h.row_count FROM qbsync.history h JOIN qbsync.entity e ON e.name = h.entity \
             JOIN qbsync.company c ON c.id = h.company_id WHERE c.name = 'demo' ORDER BY e.ord",
            &[],
        )
        .await?
    {
        println!("  {:<20} {:>8} rows", r.get::<_, String>(0), r.get::<_, i64>(1));
    }
    let lines: i64 = db
        .query_one("SELECT count(*) FROM qbo.invoice_line", &[])
        .await?
        .get(0);
    println!("  {:<20} {:>8} rows", "qbo.invoice_line", lines);
    println!(
        "populated {rows} records in {secs:.2} s = {:.0} records/s (task {task})",
        rows as f64 / secs
    );

    step("6. a QuickBooks user changes things behind our back, then SELECT qbsync.qb_refresh('demo')");
    let row = db
        .query_one("SELECT id, display_name FROM qbo.customer WHERE active AND balance = 0 ORDER BY local_id LIMIT 1", &[])
        .await?;
    let (quiet_id, quiet_name): (String, String) = (row.get(0), row.get(1));
    let row = db
        .query_one(
            "SELECT id, display_name FROM qbo.customer WHERE active ORDER BY local_id DESC LIMIT 1",
            &[],
        )
        .await?;
    let (phone_id, phone_name): (String, String) = (row.get(0), row.get(1));
    let unpaid: String = db
        .query_one("SELECT id FROM qbo.invoice WHERE balance = total_amt AND total_amt > 0 ORDER BY local_id LIMIT 1", &[])
        .await?
        .get(0);
    qb.sparse_update(
        "Customer",
        &phone_id,
        json!({"PrimaryPhone": {"FreeFormNumber": "+1 555 0100"}}),
    )?;
    let created = qb.create("Customer", json!({"DisplayName": "Walk-in Garden Supply"}))?;
    qb.delete("Invoice", &unpaid)?;
    qb.deactivate("Customer", &quiet_id)?;
    println!(
        "  changed phone of {phone_name} (Id {phone_id}); created customer Id {}",
        created["Id"].as_str().unwrap_or("?")
    );
    println!("  deleted invoice Id {unpaid}; deactivated customer {quiet_name} (Id {quiet_id})");
    let task: i64 = db
        .query_one("SELECT qbsync.qb_refresh('demo')", &[])
        .await?
        .get(0);
    wait_task(&db, task).await?;
    for r in db
        .query(
            "SELECT entity, operation, count(*) FROM qbsync.sync_result WHERE task_id = $1 GROUP BY 1, 2 ORDER BY 1, 2",
            &[&task],
        )
        .await?
    {
        println!("  refresh: {} {} x{}", r.get::<_, String>(0), r.get::<_, String>(1), r.get::<_, i64>(2));
    }
    let row = db
        .query_one("SELECT phone FROM qbo.customer WHERE id = $1", &[&phone_id])
        .await?;
    println!(
        "  qbo.customer Id {phone_id} phone is now {:?}",
        row.get::<_, Option<String>>(0).unwrap_or_default()
    );
    let row = db
        .query_one(
            "SELECT display_name, active FROM qbo.customer WHERE id = $1",
            &[&quiet_id],
        )
        .await?;
    println!(
        "  qbo.customer Id {quiet_id} is now {:?}, active = {}",
        row.get::<_, String>(0),
        row.get::<_, bool>(1)
    );
    let gone: i64 = db
        .query_one("SELECT count(*) FROM qbo.invoice WHERE id = $1", &[&unpaid])
        .await?
        .get(0);
    println!("  qbo.invoice Id {unpaid} rows left: {gone}");

    step("7. the application adds a customer: INSERT ... operation = 'add'");
    let started = Instant::now();
    let local: i64 = db
        .query_one(
            "INSERT INTO qbo.customer (company_id, display_name, email, operation) \
             SELECT id, 'Blue Heron Landscaping', 'ap@blueheron.test', 'add' FROM qbsync.company WHERE name = 'demo' RETURNING local_id",
            &[],
        )
        .await?
        .get(0);
    let status = wait_row(&db, "qbo.customer", local).await?;
    let elapsed = started.elapsed();
    let row = db
        .query_one(
            "SELECT id, sync_token, operation FROM qbo.customer WHERE local_id = $1",
            &[&local],
        )
        .await?;
    let customer_id: Option<String> = row.get(0);
    println!(
        "  local_id {local} -> QuickBooks Id {:?}, SyncToken {:?}, status {status}, operation {:?}: {} ms from INSERT to written-back Id",
        customer_id.clone().unwrap_or_default(),
        row.get::<_, Option<String>>(1).unwrap_or_default(),
        row.get::<_, Option<String>>(2),
        elapsed.as_millis()
    );
    let Some(customer_id) = customer_id else {
        bail!("the customer was not added")
    };

    step("8. ... and an invoice with two lines for that customer");
    let item: String = db
        .query_one(
            "SELECT id FROM qbo.item WHERE active ORDER BY local_id LIMIT 1",
            &[],
        )
        .await?
        .get(0);
    let started = Instant::now();
    let invoice: i64 = {
        let tx = db.transaction().await?;
        let invoice: i64 = tx
            .query_one(
                "INSERT INTO qbo.invoice (company_id, customer_ref, doc_number, txn_date, operation) \
                 SELECT id, $1, 'DEMO-1001', current_date, 'add' FROM qbsync.company WHERE name = 'demo' RETURNING local_id",
                &[&customer_id],
            )
            .await?
            .get(0);
        tx.execute(
            "INSERT INTO qbo.invoice_line (invoice_local_id, company_id, line_num, item_ref, qty, unit_price, amount, description) \
             SELECT $1, company_id, n, $2, q, 40, q * 40, d FROM qbo.invoice, (VALUES (1, 3, 'Lawn care'), (2, 1, 'Hedge trimming')) v(n, q, d) \
             WHERE local_id = $1",
            &[&invoice, &item],
        )
        .await?;
        tx.commit().await?;
        invoice
    };
    let status = wait_row(&db, "qbo.invoice", invoice).await?;
    let row = db
        .query_one("SELECT id, total_amt::text, balance::text, coalesce(sync_message, '') FROM qbo.invoice WHERE local_id = $1", &[&invoice])
        .await?;
    println!(
        "  invoice DEMO-1001 -> Id {:?}, TotalAmt {:?} (computed by QuickBooks), status {status} {}, {} ms",
        row.get::<_, Option<String>>(0).unwrap_or_default(),
        row.get::<_, Option<String>>(1).unwrap_or_default(),
        row.get::<_, String>(3),
        started.elapsed().as_millis()
    );

    step("9. void it: UPDATE qbo.invoice SET operation = 'void'");
    db.execute(
        "UPDATE qbo.invoice SET operation = 'void' WHERE local_id = $1",
        &[&invoice],
    )
    .await?;
    let status = wait_row(&db, "qbo.invoice", invoice).await?;
    let row = db
        .query_one("SELECT total_amt::text, coalesce(private_note, ''), sync_token FROM qbo.invoice WHERE local_id = $1", &[&invoice])
        .await?;
    println!(
        "  status {status}: TotalAmt now {:?}, PrivateNote {:?}, SyncToken {:?}",
        row.get::<_, Option<String>>(0).unwrap_or_default(),
        row.get::<_, String>(1),
        row.get::<_, Option<String>>(2).unwrap_or_default()
    );

    step("10. a duplicate name is refused by QuickBooks and reported on the row");
    let dup: i64 = db
        .query_one(
            "INSERT INTO qbo.customer (company_id, display_name, operation) \
             SELECT id, 'Blue Heron Landscaping', 'add' FROM qbsync.company WHERE name = 'demo' RETURNING local_id",
            &[],
        )
        .await?
        .get(0);
    let status = wait_row(&db, "qbo.customer", dup).await?;
    let row = db
        .query_one(
            "SELECT operation, sync_message FROM qbo.customer WHERE local_id = $1",
            &[&dup],
        )
        .await?;
    println!(
        "  local_id {dup}: status {status}, operation {:?}\n  sync_message: {}",
        row.get::<_, Option<String>>(0),
        row.get::<_, Option<String>>(1).unwrap_or_default()
    );

    step("11. SELECT qbsync.qb_report('demo', 'ProfitAndLoss', '{\"date_macro\": \"This Month\"}') and AgedReceivables");
    for (report, params) in [
        ("ProfitAndLoss", r#"{"date_macro": "This Month"}"#),
        ("AgedReceivables", "{}"),
    ] {
        let started = Instant::now();
        let task: i64 = db
            .query_one(
                "SELECT qbsync.qb_report('demo', $1, $2::text::jsonb)",
                &[&report, &params],
            )
            .await?
            .get(0);
        wait_task(&db, task).await?;
        let run = db
            .query_one(
                "SELECT id, row_count, column_count, coalesce(report_basis, ''), coalesce(start_period::text, ''), coalesce(end_period::text, '') \
                 FROM qbsync.report_run WHERE task_id = $1",
                &[&task],
            )
            .await?;
        let run_id: i64 = run.get(0);
        println!(
            "  {report}: run {run_id}, {} rows x {} columns, basis {:?}, period {}..{}, {} ms",
            run.get::<_, i32>(1),
            run.get::<_, i32>(2),
            run.get::<_, String>(3),
            run.get::<_, String>(4),
            run.get::<_, String>(5),
            started.elapsed().as_millis()
        );
        for r in db
            .query(
                "SELECT array_to_string(section_path, ' > '), label, value FROM qbsync.report_value \
                 WHERE run_id = $1 AND row_type = 'summary' AND col_key = 'total' AND cardinality(section_path) = 1 ORDER BY row_no",
                &[&run_id],
            )
            .await?
        {
            println!(
                "    {:<28} {:<28} {:>12}",
                r.get::<_, String>(0),
                r.get::<_, Option<String>>(1).unwrap_or_default(),
                r.get::<_, Option<String>>(2).unwrap_or_default()
            );
        }
    }

    step("12. SELECT * FROM qbsync.status; SELECT * FROM qbsync.messages");
    for r in db
        .query(
            "SELECT company, state, flag, errors, requested_by FROM qbsync.status",
            &[],
        )
        .await?
    {
        println!(
            "  status: {} | {} | flag {} | errors {} | last task by {}",
            r.get::<_, String>(0),
            r.get::<_, String>(1),
            r.get::<_, String>(2),
            r.get::<_, i32>(3),
            r.get::<_, Option<String>>(4).unwrap_or_default()
        );
    }
    for r in db.query("SELECT table_name, local_id, operation, code, message FROM qbsync.messages ORDER BY at", &[]).await? {
        println!(
            "  message: {} local_id={} {} [{}] {}",
            r.get::<_, Option<String>>(0).unwrap_or_default(),
            r.get::<_, Option<i64>>(1).map(|v| v.to_string()).unwrap_or_default(),
            r.get::<_, String>(2),
            r.get::<_, Option<String>>(3).unwrap_or_default(),
            r.get::<_, Option<String>>(4).unwrap_or_default()
        );
    }
    let stats = qb.stats();
    println!(
        "\nsandbox saw {} API requests; {} token refreshes",
        stats.requests_total, stats.token_refreshes
    );

    desktop(&db, &app_cfg).await?;

    let _ = stop_tx.send(true);
    agent.await.context("agent task")?.context("agent")?;
    sandbox.shutdown().await;
    println!("\ndone. The database {database} is kept: psql -d {database} -c 'SELECT * FROM qbsync.sync_result'");
    Ok(())
}
