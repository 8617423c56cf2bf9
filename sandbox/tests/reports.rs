//! `GET /reports/{ReportName}` over real loopback HTTP: shapes, numbers that follow the books,
//! parameters and faults.

use chrono::{Duration, NaiveDate};
use qbsync_catalog::QBO_REPORTS;
use qbsync_sandbox::{start, RunningSandbox, SandboxConfig};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};

struct T {
    sb: RunningSandbox,
    http: reqwest::Client,
    token: String,
}

type Resp = (StatusCode, HeaderMap, Value, String);

impl T {
    async fn new() -> T {
        let sb = start(SandboxConfig::default())
            .await
            .expect("start sandbox");
        let http = reqwest::Client::new();
        let v: Value = http
            .post(sb.token_url())
            .basic_auth("sandbox-client", Some("sandbox-secret"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "sandbox-refresh-0"),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token json");
        let token = v["access_token"]
            .as_str()
            .expect("access token")
            .to_string();
        T { sb, http, token }
    }

    fn url(&self, tail: &str) -> String {
        format!(
            "{}/company/{}/{tail}",
            self.sb.api_base(),
            self.sb.realm_id()
        )
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let r = req.send().await.expect("request");
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let v = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, headers, v, text)
    }

    async fn report(&self, name: &str, params: &[(&str, &str)]) -> Resp {
        self.send(
            self.http
                .get(self.url(&format!("reports/{name}")))
                .query(params)
                .query(&[("minorversion", "75")])
                .bearer_auth(&self.token),
        )
        .await
    }

    /// A report that must succeed.
    async fn ok(&self, name: &str, params: &[(&str, &str)]) -> Value {
        let (s, _, v, text) = self.report(name, params).await;
        assert_eq!(s, 200, "{name} {params:?}: {text}");
        v
    }

    async fn post(&self, resource: &str, body: &Value) -> Value {
        let (s, _, v, text) = self
            .send(
                self.http
                    .post(self.url(resource))
                    .bearer_auth(&self.token)
                    .header("Content-Type", "application/json")
                    .body(body.to_string()),
            )
            .await;
        assert_eq!(s, 200, "POST {resource}: {text}");
        v
    }

    /// The sandbox's "today" (company time), from the `Today` macro.
    async fn today(&self) -> NaiveDate {
        let v = self.ok("ProfitAndLoss", &[("date_macro", "Today")]).await;
        date(v["Header"]["StartPeriod"].as_str().unwrap_or(""))
    }

    async fn customer(&self, name: &str) -> String {
        let v = self.post("customer", &json!({"DisplayName": name})).await;
        v["Customer"]["Id"]
            .as_str()
            .expect("customer id")
            .to_string()
    }

    /// An invoice of `amount` on item 12 (Design, income account Services).
    async fn invoice(
        &self,
        cust: &str,
        amount: f64,
        dates: Option<(NaiveDate, NaiveDate)>,
    ) -> Value {
        let mut body = json!({"CustomerRef": {"value": cust}, "Line": [
            {"DetailType": "SalesItemLineDetail", "Amount": amount, "SalesItemLineDetail": {"ItemRef": {"value": "12"}}}
        ]});
        if let Some((txn, due)) = dates {
            body["TxnDate"] = json!(txn.to_string());
            body["DueDate"] = json!(due.to_string());
        }
        self.post("invoice", &body).await["Invoice"].clone()
    }
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// Report money in cents (`""` is 0).
fn cents(s: &str) -> i64 {
    if s.is_empty() {
        return 0;
    }
    (s.parse::<f64>().unwrap_or_else(|_| panic!("money {s:?}")) * 100.0).round() as i64
}

fn rows(v: &Value) -> Vec<Value> {
    v["Row"].as_array().cloned().unwrap_or_default()
}

/// The first section (at any depth) with this `group`.
fn section(rows_v: &Value, group: &str) -> Option<Value> {
    for r in rows(rows_v) {
        if r["group"] == group {
            return Some(r);
        }
        if let Some(found) = section(&r["Rows"], group) {
            return Some(found);
        }
    }
    None
}

/// Cell `i` of the Summary of the section with `group`, in cents.
fn summary(report: &Value, group: &str, i: usize) -> i64 {
    let s = section(&report["Rows"], group).unwrap_or_else(|| panic!("no {group} section"));
    cents(s["Summary"]["ColData"][i]["value"].as_str().unwrap_or(""))
}

fn no_report_data(report: &Value) -> bool {
    report["Header"]["Option"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|o| o["Name"] == "NoReportData" && o["Value"] == "true")
}

/// Data rows (at any depth) as their ColData values.
fn data_rows(rows_v: &Value, out: &mut Vec<Vec<Value>>) {
    for r in rows(rows_v) {
        if r["type"] == "Data" {
            out.push(r["ColData"].as_array().cloned().unwrap_or_default());
        } else {
            data_rows(&r["Rows"], out);
        }
    }
}

/// Every row is a well-formed Section or Data row with one cell per column.
fn check_rows(rows_v: &Value, width: usize, name: &str) {
    assert!(rows_v.is_object(), "{name}: Rows is an object");
    for r in rows(rows_v) {
        let cells_ok = |cd: &Value| {
            let cells = cd["ColData"].as_array().expect("ColData");
            assert_eq!(cells.len(), width, "{name}: {r}");
            for c in cells {
                assert!(c["value"].is_string(), "{name}: {c}");
                assert!(c.get("id").is_none_or(Value::is_string), "{name}: {c}");
            }
        };
        match r["type"].as_str() {
            Some("Data") => cells_ok(&r),
            Some("Section") => {
                assert!(
                    r.get("Header").is_some()
                        || r.get("Summary").is_some()
                        || r.get("Rows").is_some(),
                    "{name}: {r}"
                );
                if let Some(h) = r.get("Header") {
                    cells_ok(h);
                }
                if let Some(s) = r.get("Summary") {
                    cells_ok(s);
                }
                if let Some(inner) = r.get("Rows") {
                    check_rows(inner, width, name);
                }
            }
            other => panic!("{name}: row type {other:?}: {r}"),
        }
    }
}

#[tokio::test]
async fn every_catalogue_report_has_the_report_shape() {
    let t = T::new().await;
    for r in QBO_REPORTS {
        let (s, h, v, text) = t.report(r.name, &[("date_macro", "All")]).await;
        assert_eq!(s, 200, "{}: {text}", r.name);
        assert_eq!(
            h.get("content-type").and_then(|c| c.to_str().ok()),
            Some("application/json;charset=utf-8")
        );
        // The body is the bare report: Header, Columns, Rows, no wrapper and no `time`.
        let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["Columns", "Header", "Rows"], "{}", r.name);
        assert!(
            text.starts_with("{\"Header\":{\"Time\":"),
            "{}: {text}",
            r.name
        );
        let hd = &v["Header"];
        assert_eq!(hd["ReportName"], r.name);
        assert_eq!(hd["Currency"], "USD");
        assert!(hd["Time"].as_str().is_some_and(|t| t.len() == 25), "{hd}");
        let opts = hd["Option"].as_array().expect("Option");
        assert_eq!(
            opts.last().map(|o| o["Name"].clone()),
            Some(json!("NoReportData"))
        );
        let cols = v["Columns"]["Column"].as_array().expect("columns");
        assert!(!cols.is_empty(), "{}", r.name);
        for c in cols {
            assert!(c["ColTitle"].is_string() && c["ColType"].is_string(), "{c}");
            let meta = c["MetaData"].as_array().expect("MetaData");
            assert_eq!(
                meta.last().map(|m| m["Name"].clone()),
                Some(json!("ColKey")),
                "{c}"
            );
        }
        check_rows(&v["Rows"], cols.len(), r.name);
    }
    // Header fields follow Report.xsd's order.
    let (_, _, _, text) = t
        .report(
            "ProfitAndLoss",
            &[
                ("start_date", "2020-01-01"),
                ("end_date", "2020-01-31"),
                ("customer", "22"),
            ],
        )
        .await;
    let order = [
        "\"Time\"",
        "\"ReportName\"",
        "\"ReportBasis\"",
        "\"StartPeriod\"",
        "\"EndPeriod\"",
        "\"SummarizeColumnsBy\"",
        "\"Currency\"",
        "\"Customer\"",
        "\"Option\"",
    ];
    let at: Vec<usize> = order.iter().map(|k| text.find(k).expect(k)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    t.sb.shutdown().await;
}

#[tokio::test]
async fn profit_and_loss_follows_a_new_invoice_and_cash_basis_waits_for_payment() {
    let t = T::new().await;
    let accrual = [("accounting_method", "Accrual")];
    let cash = [("accounting_method", "Cash")];
    let before = t.ok("ProfitAndLoss", &accrual).await;
    let before_cash = t.ok("ProfitAndLoss", &cash).await;
    // Default period: this month to date.
    assert_eq!(before["Header"]["DateMacro"], "this month-to-date");
    assert_eq!(before["Header"]["EndPeriod"], t.today().await.to_string());
    let income = |r: &Value| {
        if no_report_data(r) {
            0
        } else {
            summary(r, "Income", 1)
        }
    };
    let net = |r: &Value| {
        if no_report_data(r) {
            0
        } else {
            summary(r, "NetIncome", 1)
        }
    };

    let cust = t.customer("Report Tester").await;
    let inv = t.invoice(&cust, 1234.56, None).await;
    let after = t.ok("ProfitAndLoss", &accrual).await;
    assert_eq!(income(&after) - income(&before), 123_456);
    assert_eq!(net(&after) - net(&before), 123_456);
    // The Services row (item 12's income account) carries it.
    let mut data = Vec::new();
    data_rows(&after["Rows"], &mut data);
    assert!(data
        .iter()
        .any(|r| r[0]["value"] == "Services" && r[0]["id"] == "6"));

    // Cash basis: nothing until it is paid, then exactly what was paid.
    let unpaid_cash = t.ok("ProfitAndLoss", &cash).await;
    assert_eq!(unpaid_cash["Header"]["ReportBasis"], "Cash");
    assert_eq!(income(&unpaid_cash), income(&before_cash));
    assert_ne!(
        income(&unpaid_cash),
        income(&after),
        "accrual and cash differ"
    );
    t.post(
        "payment",
        &json!({"CustomerRef": {"value": cust}, "TotalAmt": 1000.0,
                "Line": [{"Amount": 1000.0, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}]}),
    )
    .await;
    let paid_cash = t.ok("ProfitAndLoss", &cash).await;
    assert_eq!(income(&paid_cash) - income(&before_cash), 100_000);
    let still = t.ok("ProfitAndLoss", &accrual).await;
    assert_eq!(
        income(&still),
        income(&after),
        "a payment is not income under accrual"
    );

    // A void takes it out again.
    t.post(
        "invoice?operation=void",
        &json!({"Id": inv["Id"], "SyncToken": t.sb.admin().read("Invoice", inv["Id"].as_str().unwrap_or("")).map(|i| i["SyncToken"].clone())}),
    )
    .await;
    let voided = t.ok("ProfitAndLoss", &accrual).await;
    assert_eq!(income(&voided), income(&before));
    // The admin surface computes the same report.
    let via_admin =
        t.sb.admin()
            .report("ProfitAndLoss", &accrual)
            .expect("admin report");
    assert_eq!(summary(&via_admin, "Income", 1), income(&voided));
    t.sb.shutdown().await;
}

#[tokio::test]
async fn balance_sheet_balances_and_trial_balance_debits_equal_credits() {
    let t = T::new().await;
    let check = |bs: &Value, cols: usize| {
        for i in 1..=cols {
            let assets = summary(bs, "TotalAssets", i);
            assert_ne!(assets, 0);
            assert_eq!(
                assets,
                summary(bs, "TotalLiabilitiesAndEquity", i),
                "column {i}"
            );
        }
    };
    let bs = t.ok("BalanceSheet", &[("date_macro", "All")]).await;
    assert!(!no_report_data(&bs));
    check(&bs, 1);
    // Net Income is a Data row of Equity with group NetIncome.
    let equity = section(&bs["Rows"], "Equity").expect("equity");
    assert!(rows(&equity["Rows"])
        .iter()
        .any(|r| r["type"] == "Data" && r["group"] == "NetIncome"));
    // Undeposited Funds and A/R sit under Current Assets.
    assert!(
        section(&bs["Rows"], "AR").is_some() && section(&bs["Rows"], "CurrentAssets").is_some()
    );
    // Cash basis balances too, and by week.
    let today = t.today().await;
    let from = (today - Duration::days(30)).to_string();
    let to = today.to_string();
    let weekly = t
        .ok(
            "BalanceSheet",
            &[
                ("start_date", &from),
                ("end_date", &to),
                ("summarize_column_by", "Week"),
                ("accounting_method", "Cash"),
            ],
        )
        .await;
    let ncols = weekly["Columns"]["Column"].as_array().map_or(0, Vec::len) - 1;
    assert!(ncols >= 5);
    // The first weeks (before the seeded books) are empty; the last one balances.
    let last = summary(&weekly, "TotalAssets", ncols);
    assert_eq!(last, summary(&weekly, "TotalLiabilitiesAndEquity", ncols));

    let tb = t.ok("TrialBalance", &[("date_macro", "All")]).await;
    assert_eq!(tb["Columns"]["Column"][1]["ColTitle"], "Debit");
    assert_eq!(tb["Columns"]["Column"][2]["ColTitle"], "Credit");
    let debits = summary(&tb, "GrandTotal", 1);
    assert!(debits > 0);
    assert_eq!(debits, summary(&tb, "GrandTotal", 2));
    let mut data = Vec::new();
    data_rows(&tb["Rows"], &mut data);
    let (dr, cr): (i64, i64) = data.iter().fold((0, 0), |(d, c), r| {
        (
            d + cents(r[1]["value"].as_str().unwrap_or("")),
            c + cents(r[2]["value"].as_str().unwrap_or("")),
        )
    });
    assert_eq!((dr, cr), (debits, debits));
    // The A/R on the balance sheet is what the aging report says is owed.
    let aging = t.ok("AgedReceivables", &[]).await;
    let ar = section(&bs["Rows"], "AR").expect("AR");
    assert_eq!(
        summary(&aging, "GrandTotal", 6),
        cents(ar["Summary"]["ColData"][1]["value"].as_str().unwrap_or(""))
    );
    t.sb.shutdown().await;
}

#[tokio::test]
async fn aged_receivables_bucket_overdue_invoices() {
    let t = T::new().await;
    let today = t.today().await;
    let cust = t.customer("Slow Payer").await;
    let ago = |d: i64| today - Duration::days(d);
    // (due days ago, amount): Current, 1-30, 31-60, 61-90, 91 and over.
    for (due, amount) in [
        (-5, 10.0),
        (10, 20.0),
        (45, 30.0),
        (75, 40.0),
        (120, 50.0),
        (0, 1.0),
    ] {
        t.invoice(&cust, amount, Some((ago(due + 30), ago(due))))
            .await;
    }
    let v = t.ok("AgedReceivables", &[("customer", &cust)]).await;
    assert_eq!(v["Header"]["Customer"], cust.as_str());
    let titles: Vec<&str> = v["Columns"]["Column"]
        .as_array()
        .expect("cols")
        .iter()
        .map(|c| c["ColTitle"].as_str().unwrap_or(""))
        .collect();
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
    let mut data = Vec::new();
    data_rows(&v["Rows"], &mut data);
    assert_eq!(data.len(), 1);
    let row: Vec<&str> = data[0]
        .iter()
        .map(|c| c["value"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        row,
        [
            "Slow Payer",
            "11.00",
            "20.00",
            "30.00",
            "40.00",
            "50.00",
            "151.00"
        ]
    );
    assert_eq!(data[0][0]["id"], cust.as_str());
    assert_eq!(summary(&v, "GrandTotal", 6), 15_100);

    // Shorter periods, fewer of them.
    let v = t
        .ok(
            "AgedReceivables",
            &[
                ("customer", &cust),
                ("aging_period", "60"),
                ("num_periods", "2"),
            ],
        )
        .await;
    let mut data = Vec::new();
    data_rows(&v["Rows"], &mut data);
    let row: Vec<&str> = data[0]
        .iter()
        .map(|c| c["value"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(row, ["Slow Payer", "11.00", "50.00", "90.00", "151.00"]);

    // The detail lists each invoice under its bucket, oldest first.
    let d = t.ok("AgedReceivableDetail", &[("customer", &cust)]).await;
    let heads: Vec<String> = rows(&d["Rows"])
        .iter()
        .filter_map(|r| {
            r["Header"]["ColData"][0]["value"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(
        heads,
        [
            "91 or more days past due",
            "61 - 90 days past due",
            "31 - 60 days past due",
            "1 - 30 days past due",
            "Current"
        ]
    );
    assert_eq!(summary(&d, "GrandTotal", 6), 15_100);

    // As of a report date before any of them: nothing is owed.
    let early = ago(400).to_string();
    let v = t
        .ok(
            "AgedReceivables",
            &[("customer", &cust), ("report_date", &early)],
        )
        .await;
    assert!(no_report_data(&v));
    t.sb.shutdown().await;
}

#[tokio::test]
async fn customer_balance_is_the_sum_of_open_invoice_balances() {
    let t = T::new().await;
    let cust = t.customer("Balance Checker").await;
    let a = t.invoice(&cust, 300.0, None).await;
    let b = t.invoice(&cust, 125.5, None).await;
    t.post(
        "payment",
        &json!({"CustomerRef": {"value": cust}, "TotalAmt": 100.0,
                "Line": [{"Amount": 100.0, "LinkedTxn": [{"TxnId": a["Id"], "TxnType": "Invoice"}]}]}),
    )
    .await;
    let open: i64 = [&a, &b]
        .iter()
        .map(|i| {
            let stored =
                t.sb.admin()
                    .read("Invoice", i["Id"].as_str().unwrap_or(""))
                    .expect("invoice");
            (stored["Balance"].as_f64().unwrap_or(0.0) * 100.0).round() as i64
        })
        .sum();
    assert_eq!(open, 32_550);
    let v = t.ok("CustomerBalance", &[("customer", &cust)]).await;
    assert_eq!(v["Header"]["DateMacro"], "all");
    let mut data = Vec::new();
    data_rows(&v["Rows"], &mut data);
    assert_eq!(data.len(), 1);
    assert_eq!(cents(data[0][1]["value"].as_str().unwrap_or("")), open);
    assert_eq!(summary(&v, "GrandTotal", 1), open);
    let stored = t.sb.admin().read("Customer", &cust).expect("customer");
    assert_eq!(
        (stored["Balance"].as_f64().unwrap_or(0.0) * 100.0).round() as i64,
        open
    );
    // The detail lists the two invoices with their open balances and a running balance.
    let d = t.ok("CustomerBalanceDetail", &[("customer", &cust)]).await;
    let mut data = Vec::new();
    data_rows(&d["Rows"], &mut data);
    let opens: Vec<i64> = data
        .iter()
        .map(|r| cents(r[5]["value"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(opens, [20_000, 12_550]);
    assert_eq!(cents(data[1][6]["value"].as_str().unwrap_or("")), open);
    // Over every customer the balances add up to the A/R account.
    let all = t.ok("CustomerBalance", &[]).await;
    let bs = t.ok("BalanceSheet", &[("date_macro", "All")]).await;
    let ar = section(&bs["Rows"], "AR").expect("AR");
    assert_eq!(
        summary(&all, "GrandTotal", 1),
        cents(ar["Summary"]["ColData"][1]["value"].as_str().unwrap_or(""))
    );
    t.sb.shutdown().await;
}

#[tokio::test]
async fn summarize_by_month_gives_a_column_per_month_plus_total() {
    let t = T::new().await;
    let cust = t.customer("Monthly").await;
    for (d, amount) in [
        ("2024-01-20", 100.0),
        ("2024-02-10", 200.0),
        ("2024-04-01", 400.0),
    ] {
        let d = date(d);
        t.invoice(&cust, amount, Some((d, d))).await;
    }
    let v = t
        .ok(
            "ProfitAndLoss",
            &[
                ("start_date", "2024-01-15"),
                ("end_date", "2024-04-10"),
                ("summarize_column_by", "Month"),
                ("customer", &cust),
            ],
        )
        .await;
    assert_eq!(v["Header"]["SummarizeColumnsBy"], "Month");
    let cols = v["Columns"]["Column"].as_array().expect("cols");
    let titles: Vec<&str> = cols
        .iter()
        .map(|c| c["ColTitle"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        titles,
        ["", "Jan 2024", "Feb 2024", "Mar 2024", "Apr 2024", "Total"]
    );
    let meta = |i: usize| -> Vec<(String, String)> {
        cols[i]["MetaData"]
            .as_array()
            .expect("meta")
            .iter()
            .map(|m| {
                (
                    m["Name"].as_str().unwrap_or("").to_string(),
                    m["Value"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        meta(1),
        [
            ("StartDate".into(), "2024-01-15".into()),
            ("EndDate".into(), "2024-01-31".into()),
            ("ColKey".into(), "Jan 2024".into())
        ]
    );
    assert_eq!(meta(4)[1], ("EndDate".into(), "2024-04-10".into()));
    assert_eq!(meta(5), [("ColKey".into(), "total".into())]);
    let incomes: Vec<i64> = (1..=5).map(|i| summary(&v, "Income", i)).collect();
    assert_eq!(incomes, [10_000, 20_000, 0, 40_000, 70_000]);
    // By customer: one column for the customer and the total.
    let v = t
        .ok(
            "ProfitAndLoss",
            &[
                ("start_date", "2024-01-01"),
                ("end_date", "2024-12-31"),
                ("summarize_column_by", "Customers"),
                ("customer", &cust),
            ],
        )
        .await;
    let titles: Vec<&str> = v["Columns"]["Column"]
        .as_array()
        .expect("c")
        .iter()
        .map(|c| c["ColTitle"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(titles, ["", "Monthly", "Total"]);
    assert_eq!(
        v["Columns"]["Column"][1]["MetaData"][0]["Value"],
        cust.as_str()
    );
    assert_eq!(summary(&v, "NetIncome", 2), 70_000);
    t.sb.shutdown().await;
}

#[tokio::test]
async fn empty_period_has_no_report_data() {
    let t = T::new().await;
    let v = t
        .ok(
            "ProfitAndLoss",
            &[("start_date", "2001-01-01"), ("end_date", "2001-01-31")],
        )
        .await;
    assert!(no_report_data(&v));
    assert_eq!(v["Header"]["StartPeriod"], "2001-01-01");
    assert!(
        v["Header"].get("DateMacro").is_none(),
        "explicit dates echo no macro"
    );
    let rs = rows(&v["Rows"]);
    let groups: Vec<&str> = rs
        .iter()
        .map(|r| r["group"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        groups,
        [
            "Income",
            "GrossProfit",
            "Expenses",
            "NetOperatingIncome",
            "NetIncome"
        ]
    );
    for r in &rs {
        assert_eq!(r["type"], "Section");
        assert!(r.get("Header").is_none() && r.get("Rows").is_none(), "{r}");
        assert_eq!(r["Summary"]["ColData"][1]["value"], "");
    }
    for name in [
        "BalanceSheet",
        "TrialBalance",
        "GeneralLedger",
        "TransactionList",
        "CustomerSales",
        "CashFlow",
    ] {
        let v = t
            .ok(
                name,
                &[("start_date", "1990-01-01"), ("end_date", "1990-01-31")],
            )
            .await;
        assert!(no_report_data(&v), "{name}");
    }
    t.sb.shutdown().await;
}

#[tokio::test]
async fn unknown_reports_and_bad_parameters_get_the_standard_fault() {
    let t = T::new().await;
    let fault = |v: &Value| {
        (
            v["Fault"]["type"].clone(),
            v["Fault"]["Error"][0]["code"].clone(),
        )
    };
    let (s, h, v, _) = t.report("ProfitAndLose", &[]).await;
    assert_eq!(s, 400);
    assert_eq!(
        h.get("content-type").and_then(|c| c.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(fault(&v), (json!("ValidationFault"), json!("500")));
    assert_eq!(v["Fault"]["Error"][0]["Message"], "Unsupported Operation");
    assert!(v["time"].is_string());
    // Paths are case-sensitive.
    let (s, _, _, _) = t.report("profitandloss", &[]).await;
    assert_eq!(s, 400);

    for (params, code) in [
        (vec![("start_date", "2024-13-01")], "2010"),
        (vec![("end_date", "yesterday")], "2010"),
        (
            vec![("start_date", "2024-02-01"), ("end_date", "2024-01-01")],
            "6000",
        ),
        (vec![("date_macro", "Fortnight")], "2170"),
        (vec![("accounting_method", "Magic")], "2170"),
        (vec![("summarize_column_by", "Hours")], "2170"),
        (vec![("customer", "abc")], "2500"),
    ] {
        let (s, _, v, text) = t.report("ProfitAndLoss", &params).await;
        assert_eq!(s, 400, "{params:?}: {text}");
        assert_eq!(
            fault(&v),
            (json!("ValidationFault"), json!(code)),
            "{params:?}"
        );
    }
    let (_, _, v, _) = t
        .report("ProfitAndLoss", &[("start_date", "2024-13-01")])
        .await;
    assert_eq!(
        v["Fault"]["Error"][0]["Detail"],
        "Property Name:start_date specified is unsupported or invalid"
    );
    // A value the report does not support, an aging bucket count of 0.
    let (s, _, v, _) = t
        .report("BalanceSheet", &[("summarize_column_by", "Customers")])
        .await;
    assert_eq!((s.as_u16(), fault(&v).1), (400, json!("2170")));
    let (s, _, v, _) = t.report("AgedPayables", &[("num_periods", "0")]).await;
    assert_eq!((s.as_u16(), fault(&v).1), (400, json!("2080")));
    // Parameters a report does not take are ignored, as QuickBooks does.
    t.ok(
        "TrialBalance",
        &[("summarize_column_by", "Nonsense"), ("colour", "blue")],
    )
    .await;
    // The admin surface refuses the same way.
    assert!(t
        .sb
        .admin()
        .report("ProfitAndLoss", &[("end_date", "x")])
        .is_err());
    t.sb.shutdown().await;
}

#[tokio::test]
async fn reports_need_a_token_and_count_toward_throttling() {
    let t = T::new().await;
    let (s, h, v, _) = t.send(t.http.get(t.url("reports/ProfitAndLoss"))).await;
    assert_eq!(s, 401);
    assert!(h.get("www-authenticate").is_some());
    assert_eq!(v["fault"]["error"][0]["code"], "3200");
    let before = t.sb.admin().stats();
    t.ok("AccountList", &[]).await;
    let after = t.sb.admin().stats();
    assert_eq!(
        after
            .requests_by_route
            .get("GET /reports/{id}")
            .copied()
            .unwrap_or(0),
        before
            .requests_by_route
            .get("GET /reports/{id}")
            .copied()
            .unwrap_or(0)
            + 1
    );
    t.sb.admin().force_throttle_next(1);
    let (s, _, v, _) = t.report("ProfitAndLoss", &[]).await;
    assert_eq!(s, 429);
    assert_eq!(v["Fault"]["Error"][0]["code"], "3001");
    t.ok("ProfitAndLoss", &[]).await;
    t.sb.shutdown().await;
}

#[tokio::test]
async fn ledgers_and_lists_follow_the_books() {
    let t = T::new().await;
    let cust = t.customer("Ledger Check").await;
    let inv = t.invoice(&cust, 42.0, None).await;
    let id = inv["Id"].as_str().expect("id").to_string();
    // The journal shows the invoice as Dr A/R / Cr Services, and balances.
    let j = t.ok("JournalReport", &[("customer", &cust)]).await;
    let mut data = Vec::new();
    data_rows(&j["Rows"], &mut data);
    let lines: Vec<(String, String, String, String)> = data
        .iter()
        .map(|r| {
            (
                r[1]["value"].as_str().unwrap_or("").to_string(),
                r[5]["value"].as_str().unwrap_or("").to_string(),
                r[6]["value"].as_str().unwrap_or("").to_string(),
                r[7]["value"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (
                "Invoice".into(),
                "Accounts Receivable (A/R)".into(),
                "42.00".into(),
                "".into()
            ),
            (
                "Invoice".into(),
                "Services".into(),
                "".into(),
                "42.00".into()
            ),
        ]
    );
    assert_eq!(data[0][1]["id"], id.as_str());
    assert_eq!(summary(&j, "GrandTotal", 6), summary(&j, "GrandTotal", 7));
    // The general ledger's A/R section ends on the A/R balance.
    let gl = t.ok("GeneralLedger", &[("date_macro", "All")]).await;
    let bs = t.ok("BalanceSheet", &[("date_macro", "All")]).await;
    let ar_gl = rows(&gl["Rows"])
        .into_iter()
        .find(|r| r["Header"]["ColData"][0]["value"] == "Accounts Receivable (A/R)")
        .expect("A/R section");
    let ar_bs = section(&bs["Rows"], "AR").expect("AR");
    assert_eq!(
        ar_gl["Summary"]["ColData"][7]["value"],
        ar_bs["Summary"]["ColData"][1]["value"]
    );
    // The transaction lists carry it.
    let tl = t.ok("TransactionList", &[("customer", &cust)]).await;
    let mut data = Vec::new();
    data_rows(&tl["Rows"], &mut data);
    assert_eq!(data.len(), 1);
    let row: Vec<&str> = data[0]
        .iter()
        .map(|c| c["value"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        &row[1..],
        [
            "Invoice",
            inv["DocNumber"].as_str().unwrap_or(""),
            "Yes",
            "Ledger Check",
            "",
            "Accounts Receivable (A/R)",
            "Services",
            "42.00"
        ]
    );
    let by = t
        .ok("TransactionListByCustomer", &[("customer", &cust)])
        .await;
    assert_eq!(rows(&by["Rows"]).len(), 1);
    assert_eq!(
        rows(&by["Rows"])[0]["Header"]["ColData"][0]["id"],
        cust.as_str()
    );
    // Sales by customer and by item include it.
    let cs = t.ok("CustomerSales", &[("customer", &cust)]).await;
    assert_eq!(summary(&cs, "GrandTotal", 1), 4_200);
    let is = t
        .ok("ItemSales", &[("item", "12"), ("customer", &cust)])
        .await;
    assert_eq!(summary(&is, "GrandTotal", 2), 4_200);
    // The account list has every account with balances on the balance sheet ones.
    let al = t.ok("AccountList", &[]).await;
    let mut data = Vec::new();
    data_rows(&al["Rows"], &mut data);
    let ar = data
        .iter()
        .find(|r| r[0]["value"] == "Accounts Receivable (A/R)")
        .expect("A/R");
    assert_eq!(ar[1]["value"], "Accounts Receivable");
    assert_eq!(ar[4]["value"], ar_bs["Summary"]["ColData"][1]["value"]);
    t.sb.shutdown().await;
}

#[tokio::test]
async fn sales_tax_goes_to_the_agency_account_and_the_tax_summary() {
    let t = T::new().await;
    let (s, _, q, text) = t
        .send(
            t.http
                .get(t.url("query"))
                .query(&[("query", "select * from TaxCode where Name = 'California'")])
                .bearer_auth(&t.token),
        )
        .await;
    assert_eq!(s, 200, "{text}");
    let code = q["QueryResponse"]["TaxCode"][0]["Id"]
        .as_str()
        .expect("tax code")
        .to_string();
    let cust = t.customer("Taxed Buyer").await;
    let before = t.ok("BalanceSheet", &[]).await;
    let inv = t
        .post(
            "invoice",
            &json!({"CustomerRef": {"value": cust}, "TxnTaxDetail": {"TxnTaxCodeRef": {"value": code}},
                    "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 200.0,
                              "SalesItemLineDetail": {"ItemRef": {"value": "12"}, "TaxCodeRef": {"value": "TAX"}}}]}),
        )
        .await["Invoice"]
        .clone();
    let tax = (inv["TxnTaxDetail"]["TotalTax"].as_f64().unwrap_or(0.0) * 100.0).round() as i64;
    let total = (inv["TotalAmt"].as_f64().unwrap_or(0.0) * 100.0).round() as i64;
    assert!(tax > 0, "{inv}");
    // Income is the lines only; the tax is owed to the agency.
    let pl = t.ok("ProfitAndLoss", &[("customer", &cust)]).await;
    assert_eq!(summary(&pl, "Income", 1), total - tax);
    let bs = t.ok("BalanceSheet", &[]).await;
    assert_eq!(
        summary(&bs, "TotalAssets", 1),
        summary(&bs, "TotalLiabilitiesAndEquity", 1)
    );
    let ocl = section(&bs["Rows"], "OtherCurrentLiabilities").expect("tax liability");
    let mut data = Vec::new();
    data_rows(&ocl["Rows"], &mut data);
    assert!(
        data.iter().any(|r| r[0]["value"]
            .as_str()
            .is_some_and(|n| n.ends_with(" Payable"))
            && cents(r[1]["value"].as_str().unwrap_or("")) == tax),
        "{ocl}"
    );
    assert_eq!(
        summary(&bs, "TotalAssets", 1) - summary(&before, "TotalAssets", 1),
        total
    );
    let ts = t.ok("TaxSummary", &[]).await;
    assert_eq!(summary(&ts, "GrandTotal", 2), tax);
    assert_eq!(summary(&ts, "GrandTotal", 1), 20_000);
    t.sb.shutdown().await;
}
