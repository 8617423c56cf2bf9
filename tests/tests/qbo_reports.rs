//! Reports into tables: every QuickBooks Online report the catalogue lists runs through
//! `qb_report()` into report_run / report_column / report_row, runs are kept per task so two can be
//! compared in SQL, and the figures follow the sandbox's ledger.

use qbsync_tests::Env;

fn count(row: tokio_postgres::Row) -> i64 {
    row.get(0)
}

/// Runs `report` with `params` (JSON) and returns its run id.
async fn run(env: &Env, report: &str, params: &str) -> i64 {
    let (task, status) = env
        .run_task(&format!(
            "SELECT qbsync.qb_report('acme', '{report}', '{params}')"
        ))
        .await;
    let error: Option<String> = env
        .one(&format!("SELECT error FROM qbsync.task WHERE id = {task}"))
        .await
        .get(0);
    assert_eq!(status, "done", "{report}: {error:?}");
    env.one(&format!(
        "SELECT id FROM qbsync.report_run WHERE task_id = {task}"
    ))
    .await
    .get(0)
}

/// The amount in column `col_key` of the summary row of the section whose group is `group`.
async fn summary(env: &Env, run_id: i64, group: &str, col_key: &str) -> f64 {
    env.one(&format!(
        "SELECT amount::float8 FROM qbsync.report_value WHERE run_id = {run_id} AND row_type = 'summary' \
         AND section_group = '{group}' AND col_key = '{col_key}' ORDER BY cardinality(section_path), row_no LIMIT 1"
    ))
    .await
    .get::<_, Option<f64>>(0)
    .unwrap_or_else(|| panic!("run {run_id}: no {group} summary in {col_key}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_report_lands_in_tables() {
    let env = Env::start().await;
    let names: Vec<String> = env
        .texts("SELECT name FROM qbsync.report_kind WHERE company_kind = 'qbo' ORDER BY name")
        .await;
    assert!(names.len() >= 25, "{names:?}");
    for name in &names {
        let params = if name == "AccountList" {
            "{}"
        } else if name.starts_with("Aged") {
            r#"{"aging_period": 30, "num_periods": 4}"#
        } else {
            r#"{"date_macro": "This Calendar Year"}"#
        };
        let id = run(&env, name, params).await;
        let r = env
            .one(&format!(
                "SELECT report, column_count, row_count, header->>'ReportName', \
                 (SELECT count(*) FROM qbsync.report_column WHERE run_id = {id}), \
                 (SELECT count(*) FROM qbsync.report_row WHERE run_id = {id}) \
                 FROM qbsync.report_run WHERE id = {id}"
            ))
            .await;
        assert_eq!(r.get::<_, String>(0), *name);
        assert_eq!(r.get::<_, String>(3), *name);
        assert!(r.get::<_, i32>(1) >= 2, "{name}: columns");
        assert_eq!(i64::from(r.get::<_, i32>(1)), r.get::<_, i64>(4), "{name}");
        assert_eq!(i64::from(r.get::<_, i32>(2)), r.get::<_, i64>(5), "{name}");
    }
    // The seeded company has ledger data: the main reports have rows, and every row has one
    // value per column.
    for name in [
        "ProfitAndLoss",
        "BalanceSheet",
        "GeneralLedger",
        "AgedReceivables",
        "TransactionList",
    ] {
        let rows = count(
            env.one(&format!(
                "SELECT count(*) FROM qbsync.report_row r JOIN qbsync.report_run run ON run.id = r.run_id \
                 WHERE run.report = '{name}'"
            ))
            .await,
        );
        assert!(rows > 0, "{name} has rows");
    }
    let ragged = count(
        env.one(
            "SELECT count(*) FROM qbsync.report_row r JOIN qbsync.report_run run ON run.id = r.run_id \
             WHERE cardinality(r.\"values\") <> run.column_count",
        )
        .await,
    );
    assert_eq!(ragged, 0);
    let runs = count(env.one("SELECT count(*) FROM qbsync.report_runs WHERE company = 'acme' AND task_status = 'done'").await);
    assert_eq!(runs as usize, names.len());
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profit_and_loss_follows_a_posted_invoice_and_runs_compare_in_sql() {
    let env = Env::start().await;
    env.populate().await;
    let period = env
        .text(
            "SELECT json_build_object('start_date', date_trunc('month', current_date)::date, 'end_date', current_date)::text",
        )
        .await;
    let cash = period.replacen('{', r#"{"accounting_method": "Cash", "#, 1);
    let accrual_before = run(&env, "ProfitAndLoss", &period).await;
    let cash_before = run(&env, "ProfitAndLoss", &cash).await;

    let customer = env.active_id("qbo.customer", "", 0).await;
    let inv = env.add_invoice(&customer, "RPT-1", &[(2.0, 250.0)]).await;
    let row = env.wait_row("qbo.invoice", inv).await;
    assert_eq!(row.status, "ok", "{:?}", row.message);

    let accrual_after = run(&env, "ProfitAndLoss", &period).await;
    let cash_after = run(&env, "ProfitAndLoss", &cash).await;

    // Two runs side by side, row by row, in SQL.
    let diff: f64 = env
        .one(&format!(
            "SELECT (b.amount - a.amount)::float8 FROM qbsync.report_value a \
             JOIN qbsync.report_value b ON b.section_path = a.section_path AND b.row_type = a.row_type \
                  AND b.label IS NOT DISTINCT FROM a.label AND b.col_key = a.col_key \
             WHERE a.run_id = {accrual_before} AND b.run_id = {accrual_after} \
               AND a.row_type = 'summary' AND a.section_group = 'NetIncome' AND a.col_key = 'total'"
        ))
        .await
        .get(0);
    assert!((diff - 500.0).abs() < 0.001, "net income moved by {diff}");
    // The same through the wide form.
    let income_diff: f64 = env
        .one(&format!(
            "SELECT ((SELECT (cells->>'total')::numeric FROM qbsync.report_row WHERE run_id = {accrual_after} AND row_type = 'summary' AND section_group = 'Income') \
                   - (SELECT (cells->>'total')::numeric FROM qbsync.report_row WHERE run_id = {accrual_before} AND row_type = 'summary' AND section_group = 'Income'))::float8"
        ))
        .await
        .get(0);
    assert!(
        (income_diff - 500.0).abs() < 0.001,
        "income moved by {income_diff}"
    );
    // Cash basis: an unpaid invoice is not income yet.
    let cash_diff = summary(&env, cash_after, "NetIncome", "total").await
        - summary(&env, cash_before, "NetIncome", "total").await;
    assert!(
        cash_diff.abs() < 0.001,
        "cash net income moved by {cash_diff}"
    );
    let basis: String = env
        .text(&format!(
            "SELECT report_basis FROM qbsync.report_run WHERE id = {cash_after}"
        ))
        .await;
    assert_eq!(basis, "Cash");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_balance_and_periods_become_columns() {
    let env = Env::start().await;
    let bs = run(&env, "BalanceSheet", r#"{"date_macro": "All"}"#).await;
    let assets = summary(&env, bs, "TotalAssets", "total").await;
    let liabilities_equity = summary(&env, bs, "TotalLiabilitiesAndEquity", "total").await;
    assert!(assets.abs() > 0.0);
    assert!(
        (assets - liabilities_equity).abs() < 0.005,
        "{assets} vs {liabilities_equity}"
    );
    // Nested sections keep their path.
    let nested = count(
        env.one(&format!(
            "SELECT count(*) FROM qbsync.report_row WHERE run_id = {bs} AND section_path[1] = 'ASSETS' AND cardinality(section_path) >= 3"
        ))
        .await,
    );
    assert!(nested > 0);

    let tb = run(&env, "TrialBalance", r#"{"date_macro": "All"}"#).await;
    let r = env
        .one(&format!(
            "SELECT \"values\" FROM qbsync.report_row WHERE run_id = {tb} AND row_type = 'summary' ORDER BY row_no DESC LIMIT 1"
        ))
        .await;
    let totals: Vec<String> = r.get(0);
    assert_eq!(totals.len(), 3, "{totals:?}");
    assert_eq!(totals[1], totals[2], "debits equal credits");

    // The last three months, by month.
    let params = env
        .text(
            "SELECT json_build_object('start_date', (date_trunc('month', current_date) - interval '2 months')::date, \
                    'end_date', current_date, 'summarize_column_by', 'Month')::text",
        )
        .await;
    let pl = run(&env, "ProfitAndLoss", &params).await;
    let cols: Vec<(String, Option<chrono::NaiveDate>)> = env
        .db
        .query(
            &format!("SELECT title, start_date FROM qbsync.report_column WHERE run_id = {pl} ORDER BY col_no"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expected: Vec<String> = env.texts("SELECT to_char(m, 'Mon YYYY') FROM generate_series(date_trunc('month', current_date) - interval '2 months', \
             date_trunc('month', current_date), interval '1 month') m").await;
    let titles: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(titles.len(), 5, "{titles:?}");
    assert_eq!(
        titles[1..4],
        expected.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );
    assert_eq!(titles[4], "Total");
    assert!(
        cols[1..4].iter().all(|c| c.1.is_some()),
        "month columns carry their dates"
    );
    let r = env
        .one(&format!(
            "SELECT summarize_columns_by, start_period = (date_trunc('month', current_date) - interval '2 months')::date, \
                    end_period = current_date FROM qbsync.report_run WHERE id = {pl}"
        ))
        .await;
    assert_eq!(r.get::<_, String>(0), "Month");
    assert!(r.get::<_, bool>(1) && r.get::<_, bool>(2));
    // Each month's net income adds up to the total.
    let months: f64 = env
        .one(&format!(
            "SELECT coalesce(sum(amount), 0)::float8 FROM qbsync.report_value WHERE run_id = {pl} AND row_type = 'summary' \
             AND section_group = 'NetIncome' AND start_date IS NOT NULL"
        ))
        .await
        .get(0);
    let total = summary(&env, pl, "NetIncome", "total").await;
    assert!((months - total).abs() < 0.005, "{months} vs {total}");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aging_reports_bucket_what_is_owed() {
    let env = Env::start().await;
    let aged = run(&env, "AgedReceivables", "{}").await;
    let buckets: Vec<(String, String)> = env
        .db
        .query(
            &format!("SELECT title, col_key FROM qbsync.report_column WHERE run_id = {aged} ORDER BY col_no"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let titles: Vec<&str> = buckets.iter().map(|b| b.0.as_str()).collect();
    assert_eq!(
        titles,
        [
            "",
            "Current",
            "1 - 30",
            "31 - 60",
            "61 - 90",
            "91 and over",
            "Total"
        ]
    );
    // Per customer, the buckets add up to the total (long form).
    let off = count(
        env.one(&format!(
            "SELECT count(*) FROM (SELECT row_no, sum(amount) FILTER (WHERE col_key <> 'total') AS buckets, \
                    sum(amount) FILTER (WHERE col_key = 'total') AS total \
             FROM qbsync.report_value WHERE run_id = {aged} AND row_type = 'data' GROUP BY row_no) t \
             WHERE abs(coalesce(buckets, 0) - coalesce(total, 0)) > 0.005"
        ))
        .await,
    );
    assert_eq!(off, 0);
    let aged_total = summary(&env, aged, "GrandTotal", "total").await;
    // The same receivables, seen by CustomerBalance.
    let balance = run(&env, "CustomerBalance", "{}").await;
    let balance_total: f64 = env
        .one(&format!(
            "SELECT amount::float8 FROM qbsync.report_value WHERE run_id = {balance} AND row_type = 'summary' \
             AND col_no = (SELECT max(col_no) FROM qbsync.report_column WHERE run_id = {balance}) ORDER BY row_no DESC LIMIT 1"
        ))
        .await
        .get(0);
    assert!(
        (aged_total - balance_total).abs() < 0.005,
        "{aged_total} vs {balance_total}"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_calls_are_checked_and_refusals_are_reported() {
    let env = Env::start().await;
    for (sql, expected) in [
        ("SELECT qbsync.qb_report('acme', 'ProfitAndLos')", "unknown report \"ProfitAndLos\""),
        ("SELECT qbsync.qb_report('acme', 'ProfitAndLoss', '{\"start_date\": \"2026-02-30\"}')", "must be a date"),
        ("SELECT qbsync.qb_report('acme', 'ProfitAndLoss', '{\"accounting_method\": \"cash\"}')", "Use one of: Accrual, Cash"),
        ("SELECT qbsync.qb_report('acme', 'TrialBalance', '{\"summarize_column_by\": \"Month\"}')", "has no parameter \"summarize_column_by\""),
        ("SELECT qbsync.qb_report('acme', 'ProfitAndLoss', '{\"start_date\": \"2026-03-01\", \"end_date\": \"2026-01-01\"}')", "starts (2026-03-01) after it ends"),
        ("SELECT qbsync.qb_report('acme', 'ProfitAndLoss', '{\"date_macro\": \"This Month\", \"end_date\": \"2026-01-01\"}')", "either date_macro or start_date/end_date"),
        ("SELECT qbsync.qb_report('nobody', 'ProfitAndLoss')", "company \"nobody\" does not exist"),
    ] {
        let e = env.error_of(sql).await;
        assert!(e.contains(expected), "{sql}: {e}");
    }
    // What only QuickBooks can judge fails the task with its reason; nothing half-stored.
    let (task, status) = env
        .run_task(r#"SELECT qbsync.qb_report('acme', 'CustomerSales', '{"customer": "abc"}')"#)
        .await;
    assert_eq!(status, "failed");
    let error = env
        .text(&format!("SELECT error FROM qbsync.task WHERE id = {task}"))
        .await;
    assert!(error.contains("customer"), "{error}");
    assert_eq!(
        count(
            env.one(&format!(
                "SELECT count(*) FROM qbsync.report_run WHERE task_id = {task}"
            ))
            .await
        ),
        0
    );
    env.finish().await;
}
