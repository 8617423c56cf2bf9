//! The operator web page in a real browser (headless Chromium over WebDriver): flags, filters,
//! unlink and link, the refresh and sync buttons, and the token login with CSRF. Each test has
//! its own database, sandbox, agent, web server and browser, all on loopback. Screenshots of
//! the main steps go to target/screenshots/.

use qbsync_agent::web::{self, WebConfig};
use qbsync_tests::browser::{Browser, WAIT};
use qbsync_tests::Env;
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The badge colours of the page's CSS, as WebDriver reports computed colours.
const BLUE: &str = "rgba(37, 99, 235, 1)";
const RED: &str = "rgba(220, 38, 38, 1)";

/// Serves the page for `env`'s database on a loopback port; returns its base URL.
async fn serve_page(env: &Env, token: Option<&str>) -> (String, watch::Sender<bool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, rx) = watch::channel(false);
    let config = WebConfig {
        database: env.database_config(),
        token: token.map(str::to_string),
    };
    tokio::spawn(async move {
        if let Err(e) = web::serve(config, listener, rx).await {
            panic!("web page: {e}");
        }
    });
    (base, stop)
}

/// The task id in a flash line "... queued as task N."
fn queued_task(flash: &str) -> i64 {
    let at = flash
        .find("as task ")
        .unwrap_or_else(|| panic!("no task id in the flash: {flash}"))
        + 8;
    flash[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .unwrap()
}

async fn count(env: &Env, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> i64 {
    env.db
        .query_one(sql, params)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        .get(0)
}

/// The flag badge of `company`: its data-flag and computed background colour.
async fn flag(browser: &Browser, company: &str) -> (String, String) {
    let badge = browser
        .find(&format!(".flag[data-company=\"{company}\"]"))
        .await;
    (
        badge.attr("data-flag").await.unwrap().unwrap_or_default(),
        badge.css_value("background-color").await.unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_are_blue_when_healthy_and_red_after_a_failing_sync() {
    let mut env = Env::start().await;
    env.populate().await;
    // A second company with nothing wrong: a Desktop one, Ready.
    env.exec("SELECT qbsync.qb_add_qbd_company('shop', 'qbwc-shop', 'correct horse battery')")
        .await;
    let (base, stop) = serve_page(&env, None).await;
    let browser = Browser::start("flags").await;
    browser.goto(&format!("{base}/")).await;
    browser.screenshot("1-healthy").await;
    assert_eq!(flag(&browser, "acme").await, ("blue".into(), BLUE.into()));
    assert_eq!(flag(&browser, "shop").await, ("blue".into(), BLUE.into()));

    // A sync that fails for real: a customer under a name QuickBooks already has (6240). The
    // agent is stopped so the row waits for the task the Sync button queues.
    env.stop_agent().await;
    let taken: String = env
        .text("SELECT display_name FROM qbo.customer WHERE active ORDER BY local_id LIMIT 1")
        .await;
    let dup = env
        .insert(
            "qbo.customer",
            "display_name, operation",
            &format!("'{}', 'add'", taken.replace('\'', "''")),
        )
        .await;
    // Around it, what a day brings: two customers that go through, and one made in QuickBooks
    // that the refresh half brings in.
    env.exec(&format!(
        "INSERT INTO qbo.customer (company_id, display_name, email, operation) VALUES \
         ({0}, 'Blue Heron Landscaping', 'ap@blueheron.test', 'add'), ({0}, 'Kestrel Supply Co', NULL, 'add')",
        env.company_id
    ))
    .await;
    env.qb()
        .create(
            "Customer",
            serde_json::json!({"DisplayName": "Osprey Marine (made in QuickBooks)"}),
        )
        .unwrap();
    browser
        .click_and_load("button.sync[data-company=\"acme\"]")
        .await;
    let flash = browser.text("#flash").await;
    let task = queued_task(&flash);
    assert!(
        flash.contains("Sync (push, then refresh) of acme queued as task"),
        "{flash}"
    );
    assert_eq!(
        env.text(&format!("SELECT kind FROM qbsync.task WHERE id = {task}"))
            .await,
        "update_and_refresh"
    );
    env.start_agent();
    let status = env.wait_task(task).await;
    assert!(matches!(status.as_str(), "done" | "failed"), "{status}");
    let row = env.wait_row("qbo.customer", dup).await;
    assert_eq!(row.status, "error", "{row:?}");

    browser.goto(&format!("{base}/")).await;
    assert_eq!(flag(&browser, "acme").await, ("red".into(), RED.into()));
    assert_eq!(flag(&browser, "shop").await, ("blue".into(), BLUE.into()));
    let messages = browser.text("#messages").await;
    assert!(messages.contains("6240"), "{messages}");
    let results = browser.text("#results").await;
    assert!(results.contains("[6240]"), "{results}");
    browser.screenshot("2-red").await;

    browser.close().await;
    let _ = stop.send(true);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_narrow_the_results_table() {
    let env = Env::start().await;
    env.populate().await;
    let mut ids = Vec::new();
    for name in ["Filter Alpha", "Filter Beta", "Filter Gamma"] {
        ids.push(env.add_customer(name).await);
    }
    let (base, stop) = serve_page(&env, None).await;
    let browser = Browser::start("filters").await;
    browser.goto(&format!("{base}/")).await;
    browser.screenshot("1-default").await;

    // The default since is the start of the last completed task (the populate).
    let since = browser.attr("#since", "value").await.unwrap_or_default();
    assert!(!since.is_empty(), "a completed task gives a default since");
    let note = browser.text("#since-note").await;
    assert!(note.contains("last completed task"), "{note}");
    let where_since = "date >= $1::text::timestamp";
    let all = count(
        &env,
        &format!("SELECT count(*) FROM qbsync.sync_results WHERE {where_since}"),
        &[&since],
    )
    .await;
    let shown: i64 = browser.text("#result-count").await.parse().unwrap();
    assert_eq!(shown, all);
    assert!(
        all > 25,
        "populate gives a result per table, more than a page: {all}"
    );
    assert_eq!(browser.find_all("tr.result").await.len(), 25);
    assert_eq!(
        browser.text("#page-of").await,
        format!("Page 1 of {}", (all + 24) / 25)
    );

    // By entity.
    browser
        .find("#filter-entity")
        .await
        .select_by_value("Customer")
        .await
        .unwrap();
    browser.click_and_load("#apply-filters").await;
    let customers = count(
        &env,
        &format!("SELECT count(*) FROM qbsync.sync_results WHERE {where_since} AND entity_type = 'Customer'"),
        &[&since],
    )
    .await;
    assert_eq!(customers, 4, "the populate summary and the three adds");
    assert_eq!(browser.text("#result-count").await, customers.to_string());
    assert_eq!(browser.find_all("tr.result").await.len() as i64, customers);
    browser.screenshot("2-entity").await;

    // And free text: one QuickBooks Id.
    let id = &ids[1];
    let q = browser.find("#filter-q").await;
    q.clear().await.unwrap();
    q.send_keys(id).await.unwrap();
    browser.click_and_load("#apply-filters").await;
    let pattern = format!("%{id}%");
    let expected = count(
        &env,
        &format!(
            "SELECT count(*) FROM qbsync.sync_results WHERE {where_since} AND entity_type = 'Customer' \
             AND (quickbooks_id ILIKE $2 OR local_key::text ILIKE $2 OR details ILIKE $2)"
        ),
        &[&since, &pattern],
    )
    .await;
    assert!(
        expected >= 1 && expected < customers,
        "{expected} of {customers}"
    );
    assert_eq!(browser.text("#result-count").await, expected.to_string());
    let rows = browser.find_all("tr.result").await;
    assert_eq!(rows.len() as i64, expected);
    let mut found = false;
    for row in rows {
        let cell = row
            .find(fantoccini::Locator::Css("td.quickbooks-id"))
            .await
            .unwrap();
        found |= cell.text().await.unwrap() == *id;
    }
    assert!(found, "the row of QuickBooks Id {id} is shown");
    // The filters stay in the form.
    assert_eq!(
        browser.attr("#filter-q", "value").await.as_deref(),
        Some(id.as_str())
    );
    assert_eq!(
        browser.attr("#since", "value").await.as_deref(),
        Some(since.as_str())
    );
    browser.screenshot("3-entity-and-id").await;

    // Paging keeps the filters: back to all entities, page 2.
    browser.goto(&format!("{base}/")).await;
    browser.click_and_load("#next-page").await;
    assert_eq!(
        browser.text("#page-of").await,
        format!("Page 2 of {}", (all + 24) / 25)
    );
    assert!(browser.current_url().await.contains("page=2"));
    assert_eq!(
        browser.find_all("tr.result").await.len() as i64,
        (all - 25).min(25)
    );
    browser.screenshot("4-page-2").await;

    browser.close().await;
    let _ = stop.send(true);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlink_and_link_from_the_results_table() {
    let env = Env::start().await;
    env.populate().await;
    let qb_id = env.add_customer("Unlink Me Ltd").await;
    let local: i64 = env
        .one(&format!(
            "SELECT local_id FROM qbo.customer WHERE id = '{qb_id}'"
        ))
        .await
        .get(0);
    let result: i64 = env
        .one(&format!(
            "SELECT result_id FROM qbsync.sync_results WHERE entity_type = 'Customer' AND local_key = {local} ORDER BY result_id DESC LIMIT 1"
        ))
        .await
        .get(0);
    let (base, stop) = serve_page(&env, None).await;
    let browser = Browser::start("link").await;
    browser.goto(&format!("{base}/")).await;
    let row = format!("tr.result[data-result-id=\"{result}\"]");
    assert_eq!(
        browser.text(&format!("{row} td.link-status")).await,
        "linked"
    );
    // Rows without a local key (the populate summaries) have no box to tick.
    let summaries = browser
        .find_all("tr.result[data-outcome=\"ok\"]")
        .await
        .len();
    assert!(
        summaries
            > browser
                .find_all("tr.result input[type=checkbox]")
                .await
                .len()
    );

    browser
        .find(&format!("{row} input[type=checkbox][name=result]"))
        .await
        .click()
        .await
        .unwrap();
    browser.screenshot("1-selected").await;
    browser.click_and_load("#unlink-selected").await;
    let flash = browser.text("#flash").await;
    assert!(
        flash.contains(&format!(
            "Unlinked qbo.customer local_id={local} (acme, QuickBooks Id {qb_id})"
        )),
        "{flash}"
    );
    // As qb_unlink leaves it: not linked, nothing pending, and the reason on the row.
    let r = env
        .one(&format!("SELECT linked, operation, sync_status, sync_message FROM qbo.customer WHERE local_id = {local}"))
        .await;
    assert!(!r.get::<_, bool>(0));
    assert_eq!(r.get::<_, Option<String>>(1), None);
    assert_eq!(r.get::<_, Option<String>>(2), None);
    assert!(r.get::<_, String>(3).starts_with("unlinked by "));
    assert_eq!(
        env.text(&format!(
            "SELECT link_status FROM qbsync.sync_results WHERE result_id = {result}"
        ))
        .await,
        "unlinked"
    );
    assert_eq!(
        browser.text(&format!("{row} td.link-status")).await,
        "unlinked"
    );
    browser.screenshot("2-unlinked").await;

    // Linked again with the row's QuickBooks Id, and refreshed from QuickBooks.
    browser
        .find(&format!("{row} input[type=checkbox][name=result]"))
        .await
        .click()
        .await
        .unwrap();
    browser.click_and_load("#link-selected").await;
    let flash = browser.text("#flash").await;
    assert!(
        flash.contains(&format!(
            "Linked qbo.customer local_id={local} to QuickBooks Id {qb_id} (acme)"
        )),
        "{flash}"
    );
    assert!(env
        .one(&format!(
            "SELECT linked FROM qbo.customer WHERE local_id = {local}"
        ))
        .await
        .get::<_, bool>(0));
    assert_eq!(
        browser.text(&format!("{row} td.link-status")).await,
        "linked"
    );
    let refreshed = env.wait_row("qbo.customer", local).await;
    assert_eq!(refreshed.status, "ok", "{refreshed:?}");
    browser.screenshot("3-linked").await;

    // Desktop tables cannot be linked yet: qb_link's reason is shown as it is.
    env.exec("SELECT qbsync.qb_add_qbd_company('shop', 'qbwc-shop', 'correct horse battery')")
        .await;
    let desk: i64 = env
        .one(
            "INSERT INTO qbd.customer (company_id, list_id, name, full_name) \
             SELECT id, '80000001-1', 'Desk Row', 'Desk Row' FROM qbsync.company WHERE name = 'shop' RETURNING local_id",
        )
        .await
        .get(0);
    let desk_result: i64 = env
        .one(&format!(
            "INSERT INTO qbsync.sync_result (company_id, entity, local_id, qb_id, direction, operation, outcome) \
             SELECT id, 'qbd:Customer', {desk}, '80000001-1', 'incoming', 'insert', 'ok' FROM qbsync.company WHERE name = 'shop' RETURNING id"
        ))
        .await
        .get(0);
    browser.goto(&format!("{base}/?company=shop&since=")).await;
    browser
        .find(&format!(
            "tr.result[data-result-id=\"{desk_result}\"] input[type=checkbox]"
        ))
        .await
        .click()
        .await
        .unwrap();
    browser.click_and_load("#link-selected").await;
    let flash = browser.text("#flash").await;
    assert!(
        flash.contains(
            "qbd.customer: linking and matching work on QuickBooks Online tables only so far"
        ),
        "{flash}"
    );
    assert!(flash.contains("Hint: See docs/desktop.md"), "{flash}");
    assert!(
        browser.current_url().await.contains("company=shop"),
        "back to the same filters"
    );
    browser.screenshot("4-desktop-refused").await;

    browser.close().await;
    let _ = stop.send(true);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_button_enqueues_a_task_or_shows_why_not() {
    let env = Env::start().await;
    // A company name with markup: shown as text, never as HTML.
    env.exec(
        "SELECT qbsync.qb_add_qbd_company('<em>desk</em>', 'qbwc-desk', 'correct horse battery')",
    )
    .await;
    let (base, stop) = serve_page(&env, None).await;
    let browser = Browser::start("refresh").await;
    browser.goto(&format!("{base}/")).await;
    assert!(browser.find_all("#companies em").await.is_empty());
    assert!(browser.text("#companies").await.contains("<em>desk</em>"));

    // Never populated: qb_refresh refuses, and the flash gives its message and hint.
    browser
        .click_and_load("button.refresh[data-company=\"acme\"]")
        .await;
    let flash = browser.text("#flash li.refused").await;
    assert!(
        flash.starts_with("Refresh of acme refused: qbsync: "),
        "{flash}"
    );
    assert!(
        flash.contains("has never been populated for company \"acme\""),
        "{flash}"
    );
    assert!(
        flash.contains("Hint: Run SELECT qbsync.qb_populate('acme'"),
        "{flash}"
    );
    browser.screenshot("1-refused").await;

    env.populate().await;
    let before = count(
        &env,
        "SELECT count(*) FROM qbsync.task WHERE kind = 'refresh'",
        &[],
    )
    .await;
    browser.goto(&format!("{base}/")).await;
    browser
        .click_and_load("button.refresh[data-company=\"acme\"]")
        .await;
    let flash = browser.text("#flash li.done").await;
    let task = queued_task(&flash);
    assert_eq!(flash, format!("Refresh of acme queued as task {task}."));
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM qbsync.task WHERE kind = 'refresh'",
            &[]
        )
        .await,
        before + 1
    );
    let r = env
        .one(&format!(
            "SELECT kind, requested_by, requested_by = current_user FROM qbsync.task WHERE id = {task}"
        ))
        .await;
    assert_eq!(r.get::<_, String>(0), "refresh");
    assert!(!r.get::<_, String>(1).is_empty());
    assert!(r.get::<_, bool>(2), "requested by the page's database user");
    browser.screenshot("2-queued").await;
    assert_eq!(env.wait_task(task).await, "done");
    // The flash is shown once.
    browser.goto(&format!("{base}/")).await;
    assert!(browser.find_all("#flash").await.is_empty());

    // The escaped name goes through a form and back.
    browser
        .click_and_load("button.refresh[data-company=\"<em>desk</em>\"]")
        .await;
    let flash = browser.text("#flash").await;
    assert!(
        flash.starts_with("Refresh of <em>desk</em> refused: "),
        "{flash}"
    );

    // The page's connection is lost (server restart, network): the page opens a new one.
    let terminated = count(
        &env,
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'qbsync-web' AND datname = current_database()) t",
        &[],
    )
    .await;
    assert_eq!(terminated, 1);
    let deadline = Instant::now() + WAIT;
    while count(
        &env,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'qbsync-web' AND datname = current_database()",
        &[],
    )
    .await
        > 0
    {
        assert!(Instant::now() < deadline, "the page's session was not terminated");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    browser.goto(&format!("{base}/")).await;
    assert_eq!(
        browser.find_all("#companies").await.len(),
        1,
        "the next view reconnects"
    );
    browser.screenshot("3-reconnected").await;

    browser.close().await;
    let _ = stop.send(true);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_guards_the_page_and_posts_need_the_csrf_field() {
    const TOKEN: &str = "web-page-test-token-0123456789";
    let env = Env::start().await;
    let (base, stop) = serve_page(&env, Some(TOKEN)).await;
    let browser = Browser::start("login").await;

    browser.goto(&format!("{base}/")).await;
    assert_eq!(browser.current_url().await, format!("{base}/login"));
    browser.screenshot("1-login").await;
    browser
        .find("#token")
        .await
        .send_keys("not-the-token")
        .await
        .unwrap();
    browser.click_and_load("#log-in").await;
    assert_eq!(
        browser.text("#login-refused").await,
        "That token is not right."
    );
    assert!(browser.find_all("#companies").await.is_empty());
    browser.screenshot("2-refused").await;
    browser.find("#token").await.send_keys(TOKEN).await.unwrap();
    browser.click_and_load("#log-in").await;
    assert_eq!(browser.current_url().await, format!("{base}/"));
    browser.find(".flag[data-company=\"acme\"]").await;
    browser.screenshot("3-in").await;

    // Scripts: the bearer token, and the CSRF field on every POST.
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let res = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login");
    let res = http
        .post(format!("{base}/sync"))
        .form(&[("target_company", "acme")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let page = http
        .get(format!("{base}/"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &html[at..at + 64];
    let tasks = count(&env, "SELECT count(*) FROM qbsync.task", &[]).await;
    let res = http
        .post(format!("{base}/sync"))
        .bearer_auth(TOKEN)
        .form(&[("target_company", "acme")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = http
        .post(format!("{base}/results/unlink"))
        .bearer_auth(TOKEN)
        .form(&[("result", "1"), ("csrf", "from-another-page")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        count(&env, "SELECT count(*) FROM qbsync.task", &[]).await,
        tasks,
        "nothing was queued"
    );
    // With it, the POST works (the refusal comes from qb_update_and_refresh: never populated).
    let res = http
        .post(format!("{base}/sync"))
        .bearer_auth(TOKEN)
        .form(&[("target_company", "acme"), ("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("qbsync_flash="));

    // Logging out ends the browser's session.
    browser.click_and_load("#log-out").await;
    browser.goto(&format!("{base}/")).await;
    assert_eq!(browser.current_url().await, format!("{base}/login"));

    browser.close().await;
    let _ = stop.send(true);
    env.finish().await;
}
