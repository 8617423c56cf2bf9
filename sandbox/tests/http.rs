//! End-to-end tests over real loopback HTTP.

use qbsync_sandbox::{start, FailRule, RunningSandbox, SandboxConfig, SeedSize};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};

struct T {
    sb: RunningSandbox,
    http: reqwest::Client,
    token: String,
}

type Resp = (StatusCode, HeaderMap, Value, String);

async fn refresh(
    http: &reqwest::Client,
    sb: &RunningSandbox,
    refresh_token: &str,
) -> (StatusCode, HeaderMap, Value) {
    let r = http
        .post(sb.token_url())
        .basic_auth("sandbox-client", Some("sandbox-secret"))
        .header("Accept", "application/json")
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .expect("token request");
    let status = r.status();
    let headers = r.headers().clone();
    let v = r.json::<Value>().await.unwrap_or(Value::Null);
    (status, headers, v)
}

impl T {
    async fn new(cfg: SandboxConfig) -> T {
        let sb = start(cfg).await.expect("start sandbox");
        let http = reqwest::Client::new();
        let (status, _, v) = refresh(&http, &sb, "sandbox-refresh-0").await;
        assert_eq!(status, 200);
        let token = v["access_token"]
            .as_str()
            .expect("access token")
            .to_string();
        T { sb, http, token }
    }

    async fn small() -> T {
        T::new(SandboxConfig::default()).await
    }

    fn url(&self, tail: &str) -> String {
        format!(
            "{}/company/{}/{}",
            self.sb.api_base(),
            self.sb.realm_id(),
            tail
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

    async fn get(&self, tail: &str) -> Resp {
        self.send(
            self.http
                .get(self.url(tail))
                .bearer_auth(&self.token)
                .header("Accept", "application/json"),
        )
        .await
    }

    async fn post(&self, tail: &str, body: &Value) -> Resp {
        self.send(
            self.http
                .post(self.url(tail))
                .bearer_auth(&self.token)
                .header("Content-Type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    async fn query(&self, q: &str) -> Resp {
        self.send(
            self.http
                .get(self.url("query"))
                .query(&[("query", q), ("minorversion", "75")])
                .bearer_auth(&self.token),
        )
        .await
    }
}

fn code(v: &Value) -> &str {
    v["Fault"]["Error"][0]["code"].as_str().unwrap_or("")
}

fn detail(v: &Value) -> &str {
    v["Fault"]["Error"][0]["Detail"].as_str().unwrap_or("")
}

#[tokio::test]
async fn token_refresh_rotation_and_invalid_grant() {
    let t = T::small().await;
    let sb = &t.sb;
    // Within 24 h the same refresh token comes back.
    let (s, h, v) = refresh(&t.http, sb, "sandbox-refresh-0").await;
    assert_eq!(s, 200);
    assert!(h.get("intuit_tid").is_some());
    assert_eq!(v["refresh_token"], "sandbox-refresh-0");
    assert_eq!(v["expires_in"], 3600);
    assert_eq!(v["x_refresh_token_expires_in"], 8_726_400);
    assert_eq!(v["token_type"], "bearer");
    // A day later it rotates; the old value is then rejected.
    sb.admin().advance_clock(86_401);
    let (s, _, v) = refresh(&t.http, sb, "sandbox-refresh-0").await;
    assert_eq!(s, 200);
    let rotated = v["refresh_token"].as_str().expect("rt").to_string();
    assert_ne!(rotated, "sandbox-refresh-0");
    let (s, h, v) = refresh(&t.http, sb, "sandbox-refresh-0").await;
    assert_eq!(s, 400);
    assert!(h.get("intuit_tid").is_some());
    assert_eq!(
        v,
        json!({"error":"invalid_grant","error_description":"Token invalid"})
    );
    // rotate_refresh_every_secs = 0: every refresh rotates.
    sb.admin().set_rotate_refresh_every_secs(0);
    let (_, _, v) = refresh(&t.http, sb, &rotated).await;
    let next = v["refresh_token"].as_str().expect("rt").to_string();
    assert_ne!(next, rotated);
    assert_eq!(
        sb.admin().current_refresh_token().as_deref(),
        Some(next.as_str())
    );
    // Revocation.
    sb.admin().revoke_refresh_tokens();
    let (s, _, v) = refresh(&t.http, sb, &next).await;
    assert_eq!(
        (s.as_u16(), v["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // Wrong client secret.
    let r = t
        .http
        .post(sb.token_url())
        .basic_auth("sandbox-client", Some("nope"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 401);
    // Re-consent via the authorization code grant.
    let r = t
        .http
        .post(sb.token_url())
        .basic_auth("sandbox-client", Some("sandbox-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "sandbox-auth-code"),
            ("redirect_uri", "http://localhost/cb"),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 200);
    assert!(sb.admin().stats().token_refreshes >= 5);
    t.sb.shutdown().await;
}

#[tokio::test]
async fn unauthorized_envelope() {
    let t = T::small().await;
    let (s, h, v, _) = t.send(t.http.get(t.url("customer/1"))).await;
    assert_eq!(s, 401);
    assert_eq!(
        h.get("www-authenticate").and_then(|v| v.to_str().ok()),
        Some("Bearer realm=\"Intuit\", error=\"invalid_token\"")
    );
    assert_eq!(
        h.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(v["fault"]["error"][0]["code"], "3200");
    assert_eq!(
        v["fault"]["error"][0]["message"],
        "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    );
    assert_eq!(v["fault"]["type"], "AUTHENTICATION");
    assert!(v["time"].is_i64(), "time is epoch milliseconds");
    assert_eq!(v["cdcresponse"], json!([]));
    assert_eq!(v["batchItemResponse"], json!([]));
    // A valid token works until the clock passes its hour.
    let (s, ..) = t.get("customer/1").await;
    assert_ne!(s, 401);
    t.sb.admin().advance_clock(3_601);
    let (s, _, v, _) = t.get("customer/1").await;
    assert_eq!(s, 401);
    assert!(v["fault"]["error"][0]["detail"]
        .as_str()
        .unwrap_or("")
        .starts_with("Token expired"));
    t.sb.shutdown().await;
}

#[tokio::test]
async fn create_read_update_and_conflicts() {
    let t = T::small().await;
    let (s, h, v, _) = t
        .post(
            "customer?minorversion=75",
            &json!({"DisplayName":"Jack Sprat","PrimaryEmailAddr":{"Address":"jack@example.com"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        h.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json;charset=utf-8")
    );
    for name in ["intuit-tid", "qbo-version", "service-time"] {
        assert!(h.get(name).is_some(), "{name}");
    }
    let c = &v["Customer"];
    assert!(
        v["time"]
            .as_str()
            .is_some_and(|t| t.len() == 29 && t.contains('.')),
        "{}",
        v["time"]
    );
    let id = c["Id"].as_str().expect("id").to_string();
    assert!(id.parse::<u64>().is_ok());
    assert_eq!(c["SyncToken"], "0");
    assert_eq!(c["domain"], "QBO");
    assert_eq!(c["sparse"], false);
    assert!(
        c["MetaData"]["CreateTime"].is_string() && c["MetaData"]["LastUpdatedTime"].is_string()
    );

    let (s, _, v, _) = t.get(&format!("customer/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(v["Customer"]["DisplayName"], "Jack Sprat");

    t.sb.admin().advance_clock(5);
    let (_, _, v, _) = t
        .post(
            "customer",
            &json!({"Id": id, "SyncToken":"0","sparse":true,"Notes":"VIP"}),
        )
        .await;
    assert_eq!(v["Customer"]["SyncToken"], "1");
    assert_eq!(
        v["Customer"]["PrimaryEmailAddr"]["Address"], "jack@example.com",
        "sparse keeps other fields"
    );
    let lut = v["Customer"]["MetaData"]["LastUpdatedTime"].clone();
    assert_ne!(lut, c["MetaData"]["LastUpdatedTime"]);

    // No-op update: nothing moves.
    t.sb.admin().advance_clock(5);
    let (_, _, v, _) = t
        .post(
            "customer",
            &json!({"Id": id, "SyncToken":"1","sparse":true,"Notes":"VIP"}),
        )
        .await;
    assert_eq!(v["Customer"]["SyncToken"], "1");
    assert_eq!(v["Customer"]["MetaData"]["LastUpdatedTime"], lut);

    // Stale SyncToken.
    let (s, h, v, _) = t
        .post(
            "customer",
            &json!({"Id": id, "SyncToken":"0","sparse":true,"Notes":"x"}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        h.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(code(&v), "5010");
    assert_eq!(v["Fault"]["Error"][0]["Message"], "Stale Object Error");
    assert!(detail(&v).contains("were working on this at the same time"));
    assert!(v["time"].is_string());

    // Full update clears omitted fields.
    let (_, _, v, _) = t
        .post(
            "customer",
            &json!({"Id": id, "SyncToken":"1","DisplayName":"Jack Sprat"}),
        )
        .await;
    assert_eq!(v["Customer"]["SyncToken"], "2");
    assert!(v["Customer"].get("Notes").is_none());
    assert!(v["Customer"].get("PrimaryEmailAddr").is_none());

    // Duplicate names across customers and vendors.
    let (s, _, v, _) = t.post("vendor", &json!({"DisplayName":"jack sprat"})).await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6240"));
    assert_eq!(
        v["Fault"]["Error"][0]["Message"],
        "Duplicate Name Exists Error"
    );

    // Deactivate: " (deleted)" appended; name becomes free.
    let (_, _, v, _) = t
        .post(
            "customer",
            &json!({"Id": id, "SyncToken":"2","sparse":true,"Active":false}),
        )
        .await;
    assert_eq!(v["Customer"]["DisplayName"], "Jack Sprat (deleted)");
    assert_eq!(v["Customer"]["FullyQualifiedName"], "Jack Sprat (deleted)");
    assert_eq!(v["Customer"]["Active"], false);
    assert_eq!(v["Customer"]["SyncToken"], "3");
    let (s, ..) = t.post("vendor", &json!({"DisplayName":"Jack Sprat"})).await;
    assert_eq!(s, 200);

    // Name lists cannot be deleted; bad ids; unknown paths.
    let (s, _, v, _) = t
        .post(
            "customer?operation=delete",
            &json!({"Id": id, "SyncToken":"3"}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "500"));
    assert_eq!(v["Fault"]["Error"][0]["Message"], "Unsupported Operation");
    let (s, _, v, _) = t.get("customer/1.5").await;
    assert_eq!((s.as_u16(), code(&v)), (400, "2030"));
    assert!(v.get("time").is_none());
    assert_eq!(v["Fault"]["Error"][0]["element"], "Id");
    let (s, _, v, _) = t.get("customer/1/5").await;
    assert_eq!((s.as_u16(), code(&v)), (400, "500"));
    assert!(detail(&v).starts_with("Operation Could not find resource for relative : /v3/company/"));
    let (s, _, v, _) = t.post("widget", &json!({})).await;
    assert_eq!((s.as_u16(), code(&v)), (400, "500"));
    // Another company.
    let other = format!("{}/company/123/customer/1", t.sb.api_base());
    let (s, ..) = t.send(t.http.get(other).bearer_auth(&t.token)).await;
    assert_eq!(s, 401);
    assert_eq!(t.sb.admin().api_creates("Customer"), 1);
    assert_eq!(t.sb.admin().api_creates("Vendor"), 1);
    t.sb.shutdown().await;
}

/// Id of the first row of a query.
async fn first_id(t: &T, entity: &str, q: &str) -> (String, Value) {
    let (_, _, v, _) = t.query(q).await;
    let row = v["QueryResponse"][entity][0].clone();
    (row["Id"].as_str().expect("row id").to_string(), row)
}

#[tokio::test]
async fn invoices_delete_void_and_payments() {
    let t = T::small().await;
    let (cust, _) = first_id(
        &t,
        "Customer",
        "select * from Customer where Balance = '0' maxresults 1",
    )
    .await;
    let (item, _) = first_id(&t, "Item", "select * from Item maxresults 1").await;
    let line = |amt: f64| json!({"DetailType":"SalesItemLineDetail","Amount":amt,"SalesItemLineDetail":{"ItemRef":{"value":item},"Qty":1,"UnitPrice":amt}});
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"Line":[line(100.0), line(25.0)]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let inv = v["Invoice"].clone();
    assert_eq!(inv["TotalAmt"], json!(125.0));
    assert_eq!(inv["Balance"], json!(125.0));
    assert!(inv["DocNumber"].as_str().is_some_and(|d| !d.is_empty()));
    let inv_id = inv["Id"].as_str().expect("id").to_string();
    let (_, _, c, _) = t.get(&format!("customer/{cust}")).await;
    assert_eq!(c["Customer"]["Balance"], json!(125.0));

    // Invalid references.
    let (_, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":"99999"},"Line":[line(1.0)]}),
        )
        .await;
    assert_eq!(code(&v), "2500");
    let (_, _, v, _) = t.post("invoice", &json!({"CustomerRef":{"value":cust},"Line":[{"DetailType":"SalesItemLineDetail","Amount":1,"SalesItemLineDetail":{"ItemRef":{"value":"99999"}}}]})).await;
    assert_eq!(
        (code(&v), detail(&v)),
        (
            "2500",
            "Invalid Reference Id : Line.SalesItemLineDetail.ItemRef"
        )
    );
    let (_, _, v, _) = t.post("invoice", &json!({"Line":[line(1.0)]})).await;
    assert_eq!(code(&v), "2020");

    // A partial payment, then its void restores the balance.
    let (s, _, v, _) = t.post("payment", &json!({"CustomerRef":{"value":cust},"TotalAmt":80,"PrivateNote":"cheque","Line":[{"Amount":50,"LinkedTxn":[{"TxnId":inv_id,"TxnType":"Invoice"}]}]})).await;
    assert_eq!(s, 200, "{v}");
    let pay = v["Payment"].clone();
    assert_eq!(pay["UnappliedAmt"], json!(30.0));
    let (_, _, v, _) = t.get(&format!("invoice/{inv_id}")).await;
    assert_eq!(v["Invoice"]["Balance"], json!(75.0));
    let (_, _, c, _) = t.get(&format!("customer/{cust}")).await;
    assert_eq!(c["Customer"]["Balance"], json!(75.0));
    // The customer now has a balance: cannot be deactivated.
    let st = c["Customer"]["SyncToken"].clone();
    let (s, _, v, _) = t
        .post(
            "customer",
            &json!({"Id":cust,"SyncToken":st,"sparse":true,"Active":false}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        v["Fault"]["Error"][0]["Message"],
        "Delete List Has Balance Error"
    );

    let pid = pay["Id"].as_str().expect("pid");
    let (s, _, v, _) = t
        .post(
            "payment?operation=update&include=void",
            &json!({"Id":pid,"SyncToken":pay["SyncToken"],"sparse":true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Payment"]["TotalAmt"], json!(0.0));
    assert_eq!(
        v["Payment"]["PrivateNote"]
            .as_str()
            .map(|n| n.starts_with("Voided")),
        Some(true)
    );
    assert!(v["Payment"]["PrivateNote"]
        .as_str()
        .unwrap_or("")
        .contains("cheque"));
    assert_eq!(v["Payment"]["SyncToken"], "1");
    let (_, _, v, _) = t.get(&format!("invoice/{inv_id}")).await;
    assert_eq!(v["Invoice"]["Balance"], json!(125.0));
    // ?operation=void is for invoices only.
    let (s, _, v, _) = t
        .post("payment?operation=void", &json!({"Id":pid,"SyncToken":"1"}))
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "500"));

    // Void the invoice.
    let (_, _, cur, _) = t.get(&format!("invoice/{inv_id}")).await;
    let (s, _, v, _) = t
        .post(
            "invoice?operation=void",
            &json!({"Id":inv_id,"SyncToken":cur["Invoice"]["SyncToken"]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let voided = &v["Invoice"];
    assert_eq!(voided["PrivateNote"], "Voided");
    assert_eq!(voided["TotalAmt"], json!(0.0));
    assert!(voided["Line"]
        .as_array()
        .is_some_and(|ls| ls.iter().all(|l| l["Amount"] == json!(0.0))));
    let before: u64 = cur["Invoice"]["SyncToken"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert_eq!(voided["SyncToken"], (before + 1).to_string());
    let (_, _, c, _) = t.get(&format!("customer/{cust}")).await;
    assert_eq!(c["Customer"]["Balance"], json!(0.0));

    // Delete a transaction; every later access is 610.
    let (_, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"Line":[line(10.0)]}),
        )
        .await;
    let del_id = v["Invoice"]["Id"].as_str().expect("id").to_string();
    let (s, _, v, _) = t
        .post(
            "invoice?operation=delete",
            &json!({"Id":del_id,"SyncToken":"0"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        v["Invoice"],
        json!({"domain":"QBO","status":"Deleted","Id":del_id})
    );
    assert!(v["time"].is_string());
    let (s, _, v, _) = t.get(&format!("invoice/{del_id}")).await;
    assert_eq!((s.as_u16(), code(&v)), (400, "610"));
    assert_eq!(
        detail(&v),
        "Object Not Found : Another user has deleted this transaction."
    );
    let (_, _, v, _) = t
        .post(
            "invoice",
            &json!({"Id":del_id,"SyncToken":"0","sparse":true,"PrivateNote":"x"}),
        )
        .await;
    assert_eq!(code(&v), "610");
    let (_, _, v, _) = t
        .post(
            "invoice?operation=delete",
            &json!({"Id":del_id,"SyncToken":"0"}),
        )
        .await;
    assert_eq!(code(&v), "610");
    // Delete without SyncToken.
    let (_, _, v, _) = t
        .post("invoice?operation=delete", &json!({"Id":inv_id}))
        .await;
    assert_eq!(code(&v), "2020");

    // Sales receipt void via update&include=void.
    let (_, _, v, _) = t
        .post(
            "salesreceipt",
            &json!({"CustomerRef":{"value":cust},"Line":[line(40.0)]}),
        )
        .await;
    let sr = v["SalesReceipt"].clone();
    assert_eq!(sr["TotalAmt"], json!(40.0));
    let (_, _, v, _) = t
        .post(
            "salesreceipt?operation=update&include=void",
            &json!({"Id":sr["Id"],"SyncToken":"0","sparse":true}),
        )
        .await;
    assert_eq!(v["SalesReceipt"]["TotalAmt"], json!(0.0));
    assert_eq!(v["SalesReceipt"]["PrivateNote"], "Voided");
    t.sb.shutdown().await;
}

#[tokio::test]
async fn query_paging_active_filter_and_errors() {
    let t = T::small().await;
    // Paging 5 at a time through the 23 active customers.
    let mut ids = Vec::new();
    let mut start = 1;
    for _ in 0..10 {
        let (s, _, v, _) = t
            .query(&format!(
                "select * from Customer STARTPOSITION {start} MAXRESULTS 5"
            ))
            .await;
        assert_eq!(s, 200);
        let rows = v["QueryResponse"]["Customer"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if rows.is_empty() {
            assert_eq!(v["QueryResponse"], json!({}));
            break;
        }
        assert_eq!(v["QueryResponse"]["startPosition"], start);
        assert_eq!(v["QueryResponse"]["maxResults"], rows.len());
        assert!(rows.iter().all(|r| r["Active"] == true));
        ids.extend(
            rows.iter()
                .map(|r| r["Id"].as_str().unwrap_or("").to_string()),
        );
        start += 5;
    }
    assert_eq!(ids.len(), 23);
    let mut dedup = ids.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), 23, "no row twice");
    let (_, _, v, _) = t
        .query("SELECT COUNT(*) FROM Customer WHERE Active IN (true,false)")
        .await;
    assert_eq!(v["QueryResponse"], json!({"totalCount": 25}));
    let (_, _, v, _) = t.query("select count(*) from customer").await;
    assert_eq!(v["QueryResponse"]["totalCount"], 23);
    let (_, _, v, _) = t.query("select * from Customer where Active = false").await;
    assert_eq!(v["QueryResponse"]["maxResults"], 2);
    assert!(v["QueryResponse"]["Customer"][0]["DisplayName"]
        .as_str()
        .unwrap_or("")
        .ends_with(" (deleted)"));
    // Default page size 100; ordering; LIKE; incremental pattern.
    let (_, _, v, _) = t.query("select * from Invoice").await;
    assert_eq!(v["QueryResponse"]["maxResults"], 40);
    let (_, _, v, _) = t
        .query("select * from Invoice ORDER BY TotalAmt DESC MAXRESULTS 3")
        .await;
    let amts: Vec<f64> = v["QueryResponse"]["Invoice"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["TotalAmt"].as_f64()).collect())
        .unwrap_or_default();
    assert_eq!(amts.len(), 3);
    assert!(amts[0] >= amts[1] && amts[1] >= amts[2]);
    let (_, _, v, _) = t
        .query("select * from Customer where DisplayName LIKE 'Amy%'")
        .await;
    assert!(v["QueryResponse"]["Customer"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    let (_, _, v, _) = t
        .query("SELECT * FROM Customer WHERE Metadata.LastUpdatedTime >= '2000-01-01T00:00:00-08:00' AND Active IN (true,false) ORDERBY Metadata.LastUpdatedTime ASC STARTPOSITION 1 MAXRESULTS 1000")
        .await;
    assert_eq!(v["QueryResponse"]["maxResults"], 25);
    let (_, _, v, _) = t
        .query("select * from Customer where DisplayName = 'Nobody Here'")
        .await;
    assert_eq!(v["QueryResponse"], json!({}));
    assert!(v["time"].is_string());
    // POST /query with application/text.
    let (s, _, v, _) = t
        .send(
            t.http
                .post(t.url("query"))
                .bearer_auth(&t.token)
                .header("Content-Type", "application/text")
                .body("select count(*) from Item"),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["QueryResponse"]["totalCount"], 10);
    // Errors.
    let (s, _, v, _) = t.query("select * from Customer MAXRESULTS 1500").await;
    assert_eq!((s.as_u16(), code(&v)), (400, "4001"));
    assert_eq!(
        detail(&v),
        "QueryValidationError: value 1500 is too large. Max allowed value is 1000"
    );
    let (_, _, v, _) = t.query("select * from Customer MAXRESULTS 0").await;
    assert_eq!(
        detail(&v),
        "QueryValidationError: value 0 is too small. Min allowed value is 1"
    );
    let (_, _, v, _) = t.query("select * from Custmoer").await;
    assert_eq!(v["Fault"]["Error"][0]["Message"], "Invalid query");
    assert_eq!(
        detail(&v),
        "QueryValidationError: invalid context declaration: Custmoer"
    );
    assert_eq!(v["Fault"]["type"], "ValidationFault");
    let (_, _, v, _) = t
        .query("select * from Customer where DisplayName = 'a' OR DisplayName = 'b'")
        .await;
    assert_eq!(code(&v), "4000");
    // CompanyInfo.
    let (s, _, v, _) = t.get(&format!("companyinfo/{}", t.sb.realm_id())).await;
    assert_eq!(s, 200);
    assert!(v["CompanyInfo"]["CompanyName"].is_string());
    let (_, _, v, _) = t.query("select * from CompanyInfo").await;
    assert_eq!(
        v["QueryResponse"]["CompanyInfo"].as_array().map(Vec::len),
        Some(1)
    );
    t.sb.shutdown().await;
}

#[tokio::test]
async fn cdc_changes_deletes_and_cap() {
    let t = T::small().await;
    let admin = t.sb.admin().clone();
    let since = chrono_like(admin.now_secs() - 1);
    admin.advance_clock(10);
    // Changes behind the agent's back.
    let (cust, _) = first_id(
        &t,
        "Customer",
        "select * from Customer where Balance = '0' maxresults 1",
    )
    .await;
    admin
        .sparse_update("Customer", &cust, json!({"Notes":"changed by a user"}))
        .expect("update");
    let (inv, _) = first_id(
        &t,
        "Invoice",
        "select * from Invoice where Balance > '0' maxresults 1",
    )
    .await;
    admin.delete("Invoice", &inv).expect("delete");
    let (s, _, v, _) = t
        .get(&format!(
            "cdc?entities=Invoice,Customer,Item&changedSince={}",
            urlenc(&since)
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    let groups = v["CDCResponse"][0]["QueryResponse"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(groups.len(), 3);
    let invs = groups[0]["Invoice"].as_array().cloned().unwrap_or_default();
    let deleted: Vec<&Value> = invs.iter().filter(|o| o["status"] == "Deleted").collect();
    assert_eq!(deleted.len(), 1);
    let d = deleted[0].as_object().expect("obj");
    let mut keys: Vec<&str> = d.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, vec!["Id", "MetaData", "domain", "status"]);
    assert_eq!(d["Id"], inv);
    assert!(d["MetaData"]["LastUpdatedTime"].is_string());
    assert_eq!(
        invs.last().map(|o| o["status"].clone()),
        Some(json!("Deleted")),
        "deleted after active"
    );
    let custs = groups[1]["Customer"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(custs
        .iter()
        .any(|c| c["Id"] == cust.as_str() && c["Notes"] == "changed by a user"));
    assert_eq!(groups[2], json!({}));
    assert!(v["time"].is_string());

    // Old cursors: lenient by default, 400 in strict mode.
    let old = chrono_like(admin.now_secs() - 40 * 86_400);
    let (s, ..) = t
        .get(&format!(
            "cdc?entities=Customer&changedSince={}",
            urlenc(&old)
        ))
        .await;
    assert_eq!(s, 200);
    admin.set_strict_cdc(true);
    let (s, ..) = t
        .get(&format!(
            "cdc?entities=Customer&changedSince={}",
            urlenc(&old)
        ))
        .await;
    assert_eq!(s, 400);
    admin.set_strict_cdc(false);
    let (_, _, v, _) = t
        .get(&format!(
            "cdc?entities=TaxCode&changedSince={}",
            urlenc(&since)
        ))
        .await;
    assert_eq!(code(&v), "4001");
    t.sb.shutdown().await;

    // The 1000-object cap is summed over all entities.
    let cfg = SandboxConfig {
        seed: SeedSize::scaled(800),
        ..SandboxConfig::default()
    };
    let t = T::new(cfg).await;
    let old = chrono_like(t.sb.admin().now_secs() - 25 * 86_400);
    let (_, _, v, _) = t
        .get(&format!(
            "cdc?entities=Customer,Invoice,Item&changedSince={}",
            urlenc(&old)
        ))
        .await;
    let groups = v["CDCResponse"][0]["QueryResponse"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let total: usize = groups
        .iter()
        .map(|g| {
            g.as_object()
                .map(|m| {
                    m.values()
                        .filter_map(Value::as_array)
                        .map(Vec::len)
                        .sum::<usize>()
                })
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(total, 1000);
    assert_eq!(groups[0]["maxResults"], 800);
    assert_eq!(groups[1]["maxResults"], 200);
    assert_eq!(groups[2], json!({}));
    let lut: Vec<&str> = groups[1]["Invoice"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o["MetaData"]["LastUpdatedTime"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        lut.windows(2).all(|w| w[0] <= w[1]),
        "ascending LastUpdatedTime"
    );
    t.sb.shutdown().await;
}

fn chrono_like(secs: i64) -> String {
    // RFC 3339 in UTC, built without extra dependencies.
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn urlenc(s: &str) -> String {
    s.replace(':', "%3A").replace('+', "%2B")
}

#[tokio::test]
async fn batch_mixed_results() {
    let t = T::small().await;
    let (pay_id, pay) = first_id(&t, "Payment", "select * from Payment maxresults 1").await;
    let (cust, c) = first_id(&t, "Customer", "select * from Customer maxresults 1").await;
    let body = json!({"BatchItemRequest":[
        {"bId":"b1","operation":"create","Vendor":{"DisplayName":"Batch Vendor"}},
        {"bId":"b2","operation":"delete","Invoice":{"Id":"99999","SyncToken":"0"}},
        {"bId":"b3","operation":"update","Customer":{"Id":cust,"SyncToken":"77","sparse":true,"Notes":"x"}},
        {"bId":"b4","operation":"update","optionsData":"void","Payment":{"Id":pay_id,"SyncToken":pay["SyncToken"],"sparse":true}},
        {"bId":"b5","Query":"select count(*) from Vendor"},
        {"bId":"b6","operation":"update","Customer":{"Id":cust,"SyncToken":c["SyncToken"],"sparse":true,"Notes":"batch"}}
    ]});
    let (s, _, v, _) = t.post("batch", &body).await;
    assert_eq!(s, 200, "{v}");
    let items = v["BatchItemResponse"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let by = |bid: &str| {
        items
            .iter()
            .find(|i| i["bId"] == bid)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(by("b1")["Vendor"]["DisplayName"], "Batch Vendor");
    assert_eq!(by("b2")["Fault"]["Error"][0]["code"], "610");
    assert_eq!(by("b3")["Fault"]["Error"][0]["code"], "5010");
    assert_eq!(by("b4")["Payment"]["TotalAmt"], json!(0.0));
    assert!(by("b4")["Payment"]["PrivateNote"]
        .as_str()
        .unwrap_or("")
        .starts_with("Voided"));
    assert_eq!(
        by("b5")["QueryResponse"]["totalCount"],
        8,
        "the query does not see b1's vendor"
    );
    assert_eq!(by("b6")["Customer"]["Notes"], "batch");
    assert!(v["time"].is_string());
    assert_eq!(t.sb.admin().api_creates("Vendor"), 1);

    let items: Vec<Value> = (0..31)
        .map(|i| json!({"bId":format!("q{i}"),"Query":"select * from Item"}))
        .collect();
    let (s, _, v, _) = t.post("batch", &json!({"BatchItemRequest":items})).await;
    assert_eq!(s, 400, "{v}");
    let big = "x".repeat(5 * 1024 * 1024);
    let (s, h, _, text) = t
        .post("batch", &json!({"BatchItemRequest":[], "pad": big}))
        .await;
    assert_eq!(s, 413);
    assert!(h
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html")));
    assert!(text.contains("<html>"));
    t.sb.shutdown().await;
}

#[tokio::test]
async fn request_id_replay_and_ignore_switch() {
    let t = T::small().await;
    let (cust, _) = first_id(&t, "Customer", "select * from Customer maxresults 1").await;
    let inv = json!({"CustomerRef":{"value":cust},"DocNumber":"RID-1","Line":[{"DetailType":"SalesItemLineDetail","Amount":9}]});
    let (s1, _, _, b1) = t.post("invoice?requestid=abc-123", &inv).await;
    t.sb.admin().advance_clock(3);
    let (s2, _, _, b2) = t.post("invoice?requestid=abc-123", &inv).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(b1, b2, "byte-for-byte replay (same time too)");
    assert_eq!(t.sb.admin().api_creates("Invoice"), 1);
    assert_eq!(t.sb.admin().find("Invoice", "DocNumber", "RID-1").len(), 1);
    // Error replies replay too.
    let (_, _, _, e1) = t
        .post(
            "customer?requestid=dup-name",
            &json!({"DisplayName":"Amy Smith"}),
        )
        .await;
    let (_, _, _, e2) = t
        .post(
            "customer?requestid=dup-name",
            &json!({"DisplayName":"Someone Else"}),
        )
        .await;
    assert_eq!(e1, e2);
    // Too long.
    let long = "r".repeat(51);
    let (s, _, v, _) = t.post(&format!("invoice?requestid={long}"), &inv).await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"));
    assert_eq!(detail(&v), "Business Validation Error: You cannot enter more than 50 characters in the request_id field");
    // Batch ids over 36 fail every item.
    let (s, _, v, _) = t
        .post(
            &format!("batch?requestid={}", "b".repeat(37)),
            &json!({"BatchItemRequest":[{"bId":"1","Query":"select * from Item"}]}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        v["BatchItemResponse"][0]["Fault"]["Error"][0]["code"],
        "6000"
    );
    // The switch: duplicates happen.
    t.sb.admin().set_ignore_request_id(true);
    let (_, _, v, _) = t.post("invoice?requestid=abc-123", &inv).await;
    assert!(v["Invoice"]["Id"].is_string());
    assert_eq!(t.sb.admin().find("Invoice", "DocNumber", "RID-1").len(), 2);
    assert_eq!(t.sb.admin().api_creates("Invoice"), 2);
    assert!(t.sb.admin().stats().request_id_replays >= 2);
    t.sb.shutdown().await;
}

#[tokio::test]
async fn throttle_429_with_scaled_retry_after() {
    let cfg = SandboxConfig {
        requests_per_minute: 5,
        time_scale: 60.0,
        ..SandboxConfig::default()
    };
    let t = T::new(cfg).await;
    let info = format!("companyinfo/{}", t.sb.realm_id());
    let before = t.sb.admin().count("Vendor");
    let mut statuses = Vec::new();
    for i in 0..7 {
        let (s, h, v, text) = t
            .post(
                "vendor",
                &json!({"DisplayName": format!("Throttle Vendor {i}")}),
            )
            .await;
        statuses.push(s.as_u16());
        if s == 429 {
            assert_eq!(
                h.get("retry-after").and_then(|v| v.to_str().ok()),
                Some("1")
            );
            assert_eq!(v["Fault"]["type"], "SERVICE");
            assert_eq!(code(&v), "3001");
            assert_eq!(
                v["Fault"]["Error"][0]["Message"],
                "message=ThrottleExceeded; errorCode=003001; statusCode=429"
            );
            assert!(text.contains("The request limit was reached.  Try again later"));
        }
    }
    assert_eq!(statuses, vec![200, 200, 200, 200, 200, 429, 429]);
    assert_eq!(
        t.sb.admin().count("Vendor"),
        before + 5,
        "throttled requests are not executed"
    );
    // One simulated minute later (one real second at scale 60) the bucket is full again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (s, ..) = t.get(&info).await;
    assert_eq!(s, 200);
    // XML switch and forced throttles.
    t.sb.admin().set_xml_throttle(true);
    t.sb.admin().force_throttle_next(1);
    let (s, h, _, text) = t.get(&info).await;
    assert_eq!(s, 429);
    assert!(text.starts_with("<?xml") && text.contains("<Error code=\"3001\">"));
    assert!(h
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("xml")));
    let (s, ..) = t.get(&info).await;
    assert_eq!(s, 200);
    assert!(t.sb.admin().stats().throttled_429 >= 3);
    t.sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_cap() {
    let cfg = SandboxConfig {
        max_in_flight: 2,
        ..SandboxConfig::default()
    };
    let t = std::sync::Arc::new(T::new(cfg).await);
    t.sb.admin().set_latency_ms(300);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let t = std::sync::Arc::clone(&t);
        set.spawn(async move {
            t.get(&format!("companyinfo/{}", t.sb.realm_id()))
                .await
                .0
                .as_u16()
        });
    }
    let mut codes = Vec::new();
    while let Some(r) = set.join_next().await {
        codes.push(r.expect("task"));
    }
    codes.sort_unstable();
    assert!(codes.iter().all(|c| *c == 200 || *c == 429), "{codes:?}");
    let ok = codes.iter().filter(|c| **c == 200).count();
    assert!((1..=2).contains(&ok), "{codes:?}");
    assert!(codes.contains(&429), "{codes:?}");
    assert_eq!(t.sb.admin().stats().max_in_flight_observed, 2);
}

#[tokio::test]
async fn fault_injection() {
    let t = T::small().await;
    t.sb.admin().fail_next(FailRule::new("/invoice", 1, 500));
    let (cust, _) = first_id(&t, "Customer", "select * from Customer maxresults 1").await;
    let inv = json!({"CustomerRef":{"value":cust},"Line":[{"DetailType":"SalesItemLineDetail","Amount":3}]});
    let (s, _, v, _) = t.post("invoice", &inv).await;
    assert_eq!((s.as_u16(), code(&v)), (500, "10000"));
    assert_eq!(v["Fault"]["type"], "SystemFault");
    let before = t.sb.admin().count("Invoice");
    let (s, ..) = t.post("invoice", &inv).await;
    assert_eq!(s, 200);
    // A lost response: executed, then a 503.
    let mut rule = FailRule::new("/invoice", 1, 503);
    rule.after_execute = true;
    t.sb.admin().fail_next(rule);
    let (s, ..) = t.post("invoice", &inv).await;
    assert_eq!(s, 503);
    assert_eq!(t.sb.admin().count("Invoice"), before + 2);
    // Over HTTP admin.
    let r = t
        .http
        .post(format!("{}/admin/fail_next", t.sb.base_url()))
        .json(&json!({"path_contains":"/query","status":400,"code":"6000","count":1}))
        .send()
        .await
        .expect("admin");
    assert_eq!(r.status(), 200);
    let (s, _, v, _) = t.query("select * from Item").await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"));
    let r = t
        .http
        .get(format!("{}/admin/count/Customer", t.sb.base_url()))
        .send()
        .await
        .expect("admin");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["count"], 25);
    t.sb.shutdown().await;
}

#[tokio::test]
async fn large_company_seeds_and_pages_quickly() {
    let began = std::time::Instant::now();
    let seed = SeedSize {
        customers: 100_000,
        vendors: 10,
        items: 10,
        invoices: 1_000,
        payments: 100,
        sales_receipts: 100,
        ..SeedSize::small()
    };
    let cfg = SandboxConfig {
        seed,
        requests_per_minute: 100_000,
        ..SandboxConfig::default()
    };
    let t = T::new(cfg).await;
    let seeded = began.elapsed();
    assert_eq!(t.sb.admin().count("Customer"), 100_000);
    let page_start = std::time::Instant::now();
    let (s, _, v, _) = t.query("select * from Customer where Active IN (true,false) STARTPOSITION 90001 MAXRESULTS 1000").await;
    let page = page_start.elapsed();
    assert_eq!(s, 200);
    assert_eq!(v["QueryResponse"]["maxResults"], 1000);
    assert_eq!(
        v["QueryResponse"]["Customer"][0]["Id"]
            .as_str()
            .and_then(|i| i.parse::<u64>().ok())
            .map(|i| i > 90_000),
        Some(true)
    );
    eprintln!("seeded 100k customers in {seeded:?}; page of 1000 in {page:?}");
    assert!(seeded.as_secs() < 30, "seeding took {seeded:?}");
    assert!(page.as_secs() < 5, "page took {page:?}");
    t.sb.shutdown().await;
}

/// The exact 400 / `500` fault of a write the catalogue refuses.
fn assert_unsupported(s: StatusCode, h: &HeaderMap, v: &Value, detail: &str) {
    assert_eq!(s, 400, "{v}");
    assert_eq!(
        h.get("content-type").and_then(|c| c.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(
        v["Fault"],
        json!({"Error":[{"Message":"Unsupported Operation","Detail":detail,"code":"500","element":""}],"type":"ValidationFault"})
    );
    assert!(v["time"].is_string(), "{v}");
}

#[tokio::test]
async fn tax_lists_refuse_writes_the_catalogue_forbids() {
    let t = T::small().await;
    let admin = t.sb.admin().clone();
    // TaxCode: read-only for an API client.
    let (s, h, v, _) = t
        .post(
            "taxcode",
            &json!({"Name":"New code","SalesTaxRateList":{"TaxRateDetail":[]}}),
        )
        .await;
    assert_unsupported(s, &h, &v, "Operation Create TaxCode is not supported.");
    let (rate_id, _) = first_id(
        &t,
        "TaxRate",
        "select * from TaxRate where Name = 'California'",
    )
    .await;
    let (s, h, v, _) = t
        .post(
            "taxrate",
            &json!({"Name":"R","RateValue":1,"AgencyRef":{"value":"1"}}),
        )
        .await;
    assert_unsupported(s, &h, &v, "Operation Create TaxRate is not supported.");
    let (s, h, v, _) = t
        .post(
            "taxrate",
            &json!({"Id":rate_id,"SyncToken":"0","sparse":true,"Active":false}),
        )
        .await;
    assert_unsupported(s, &h, &v, "Operation Update TaxRate is not supported.");
    // TaxAgency: create yes, update (full, sparse) and delete no.
    let (agency_id, agency) = first_id(&t, "TaxAgency", "select * from TaxAgency").await;
    for body in [
        json!({"Id":agency_id,"SyncToken":agency["SyncToken"],"sparse":true,"TaxRegistrationNumber":"X"}),
        json!({"Id":agency_id,"SyncToken":agency["SyncToken"],"DisplayName":"Renamed"}),
    ] {
        let (s, h, v, _) = t.post("taxagency", &body).await;
        assert_unsupported(s, &h, &v, "Operation Update TaxAgency is not supported.");
    }
    let (s, h, v, _) = t
        .post(
            "taxagency?operation=delete",
            &json!({"Id":agency_id,"SyncToken":"0"}),
        )
        .await;
    assert_unsupported(s, &h, &v, "Operation Delete TaxAgency is not supported.");
    let (s, _, v, _) = t
        .post("taxagency", &json!({"DisplayName":"City of San Pablo"}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["TaxAgency"].get("Active").is_none());
    assert_eq!(admin.api_creates("TaxAgency"), 1);
    // Name lists: delete refused, naming the entity.
    let (class_id, _) = first_id(&t, "Class", "select * from Class maxresults 1").await;
    let (s, h, v, _) = t
        .post(
            "class?operation=delete",
            &json!({"Id":class_id,"SyncToken":"0"}),
        )
        .await;
    assert_unsupported(s, &h, &v, "Operation Delete Class is not supported.");
    // The same in batch items, beside an allowed one.
    let body = json!({"BatchItemRequest":[
        {"bId":"c","operation":"create","TaxCode":{"Name":"Batch code"}},
        {"bId":"u","operation":"update","TaxAgency":{"Id":agency_id,"SyncToken":"0","sparse":true,"Active":false}},
        {"bId":"p","operation":"create","PaymentMethod":{"Name":"Gift card"}}
    ]});
    let (s, _, v, _) = t.post("batch", &body).await;
    assert_eq!(s, 200, "{v}");
    let item = |bid: &str| {
        v["BatchItemResponse"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["bId"] == bid).cloned())
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        item("c")["Fault"],
        json!({"Error":[{"Message":"Unsupported Operation","Detail":"Operation Create TaxCode is not supported.","code":"500","element":""}],"type":"ValidationFault"})
    );
    assert_eq!(
        item("u")["Fault"]["Error"][0]["Detail"],
        "Operation Update TaxAgency is not supported."
    );
    assert_eq!(item("p")["PaymentMethod"]["Type"], "NON_CREDIT_CARD");
    // A QuickBooks user can still make tax codes and rates.
    let rate = admin
        .create(
            "TaxRate",
            json!({"Name":"Alameda County","RateValue":0.5,"AgencyRef":{"value":agency_id}}),
        )
        .expect("admin creates a tax rate");
    admin
        .create(
            "TaxCode",
            json!({"Name":"Alameda","SalesTaxRateList":{"TaxRateDetail":[{"TaxRateRef":{"value":rate["Id"]}}]}}),
        )
        .expect("admin creates a tax code");
    assert!(admin.deactivate("TaxAgency", &agency_id).is_err());
    assert_eq!(admin.count("TaxCode"), 3);
    t.sb.shutdown().await;
}

#[tokio::test]
async fn tax_lists_active_filter_and_cdc() {
    let t = T::small().await;
    let admin = t.sb.admin().clone();
    // TaxCode hides its inactive code unless asked; TaxAgency has no Active filter.
    let (_, _, v, _) = t.query("select * from TaxCode").await;
    let codes = v["QueryResponse"]["TaxCode"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(codes.len(), 1, "{v}");
    assert_eq!(codes[0]["Name"], "California");
    let (_, _, v, _) = t
        .query("select count(*) from TaxCode where Active IN (true,false)")
        .await;
    assert_eq!(v["QueryResponse"]["totalCount"], 2);
    admin
        .create("TaxAgency", json!({"DisplayName":"Second agency"}))
        .expect("agency");
    let (_, _, v, _) = t.query("select * from TaxAgency").await;
    assert_eq!(v["QueryResponse"]["maxResults"], 2, "{v}");
    let (_, _, v, _) = t.query("select count(*) from Employee").await;
    assert_eq!(
        v["QueryResponse"]["totalCount"], 4,
        "one employee is inactive"
    );
    // CDC: tax lists are not served, the other new lists are.
    let since = chrono_like(admin.now_secs() - 30 * 86_400);
    for entities in ["TaxCode", "Customer,TaxCode", "TaxRate", "TaxAgency"] {
        let (s, _, v, _) = t
            .get(&format!(
                "cdc?entities={entities}&changedSince={}",
                urlenc(&since)
            ))
            .await;
        assert_eq!((s.as_u16(), code(&v)), (400, "4001"), "{entities}: {v}");
    }
    let (s, _, v, _) = t
        .get(&format!(
            "cdc?entities=Employee,Class,Department,Term,PaymentMethod&changedSince={}",
            urlenc(&since)
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    let groups = v["CDCResponse"][0]["QueryResponse"].clone();
    assert_eq!(
        groups[0]["Employee"].as_array().map(Vec::len),
        Some(5),
        "inactive ones included"
    );
    assert_eq!(groups[1]["Class"].as_array().map(Vec::len), Some(4));
    assert_eq!(groups[3]["Term"].as_array().map(Vec::len), Some(4));
    assert!(!v.to_string().contains("TaxCode"));
    t.sb.shutdown().await;
}

#[tokio::test]
async fn employee_names_and_class_hierarchy() {
    let t = T::small().await;
    let (_, cust) = first_id(&t, "Customer", "select * from Customer maxresults 1").await;
    let taken = cust["DisplayName"].as_str().expect("name").to_string();
    let dup = json!({"Error":[{"Message":"Duplicate Name Exists Error","Detail":"The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.","code":"6240"}],"type":"ValidationFault"});
    let (s, _, v, _) = t
        .post("employee", &json!({"DisplayName":taken,"GivenName":"X"}))
        .await;
    assert_eq!(s, 400);
    assert_eq!(v["Fault"], dup);
    let (s, _, v, _) = t
        .post(
            "employee",
            &json!({"GivenName":"Tess","FamilyName":"Ortega"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Employee"]["DisplayName"], "Tess Ortega");
    let (s, _, v, _) = t
        .post("customer", &json!({"DisplayName":"tess ortega"}))
        .await;
    assert_eq!((s.as_u16(), v["Fault"].clone()), (400, dup));
    // Class with a parent.
    let (parent, p) = first_id(
        &t,
        "Class",
        "select * from Class where Name = 'Residential'",
    )
    .await;
    assert_eq!(p["FullyQualifiedName"], "Residential");
    let (s, _, v, _) = t
        .post(
            "class",
            &json!({"Name":"Lawn Care","ParentRef":{"value":parent}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Class"]["FullyQualifiedName"], "Residential:Lawn Care");
    assert_eq!(v["Class"]["SubClass"], true);
    let (_, _, q, _) = t
        .query("select * from Class where FullyQualifiedName = 'Residential:Lawn Care'")
        .await;
    assert_eq!(q["QueryResponse"]["Class"][0]["Id"], v["Class"]["Id"]);
    let (s, _, v, _) = t
        .post(
            "class",
            &json!({"Name":"Orphan","ParentRef":{"value":"99999"}}),
        )
        .await;
    assert_eq!(
        (s.as_u16(), code(&v), detail(&v)),
        (400, "2500", "Invalid Reference Id : ParentRef")
    );
    let (s, _, v, _) = t.post("class", &json!({"Name":"residential"})).await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6240"), "{v}");
    // Deactivating a sub-class renames it as QuickBooks does.
    let (_, child) = first_id(
        &t,
        "Class",
        "select * from Class where Name = 'Maintenance'",
    )
    .await;
    assert_eq!(child["FullyQualifiedName"], "Commercial:Maintenance");
    let (s, _, v, _) = t
        .post(
            "class",
            &json!({"Id":child["Id"],"SyncToken":child["SyncToken"],"sparse":true,"Active":false}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["Class"]["FullyQualifiedName"],
        "Commercial:Maintenance (deleted)"
    );
    t.sb.shutdown().await;
}

/// References for the transaction tests: (customer, vendor, employee, item, expense account,
/// checking, savings).
async fn refs(t: &T) -> [String; 7] {
    let (cust, _) = first_id(
        t,
        "Customer",
        "select * from Customer where Balance = '0' maxresults 1",
    )
    .await;
    let (vendor, _) = first_id(t, "Vendor", "select * from Vendor maxresults 1").await;
    let (emp, _) = first_id(t, "Employee", "select * from Employee maxresults 1").await;
    let (item, _) = first_id(t, "Item", "select * from Item maxresults 1").await;
    let acc = |name: &'static str| format!("select * from Account where Name = '{name}'");
    let (expense, _) = first_id(t, "Account", &acc("Office Expenses")).await;
    let (checking, _) = first_id(t, "Account", &acc("Checking")).await;
    let (savings, _) = first_id(t, "Account", &acc("Savings")).await;
    [cust, vendor, emp, item, expense, checking, savings]
}

fn expense_lines(expense: &str, amounts: &[f64]) -> Value {
    Value::Array(
        amounts
            .iter()
            .map(|a| {
                json!({"DetailType":"AccountBasedExpenseLineDetail","Amount":a,
                "AccountBasedExpenseLineDetail":{"AccountRef":{"value":expense}}})
            })
            .collect(),
    )
}

#[tokio::test]
async fn every_new_transaction_type_is_created_read_and_queried() {
    let t = T::small().await;
    let [cust, vendor, emp, item, expense, checking, savings] = refs(&t).await;
    let sales = json!([{"DetailType":"SalesItemLineDetail","Amount":60,"SalesItemLineDetail":{"ItemRef":{"value":item},"Qty":2,"UnitPrice":30}}]);
    let exp = expense_lines(&expense, &[45.0, 5.25]);
    let (_, _, v, _) = t
        .post(
            "bill",
            &json!({"VendorRef":{"value":vendor},"Line":[{"DetailType":"AccountBasedExpenseLineDetail","Amount":100,"AccountBasedExpenseLineDetail":{"AccountRef":{"value":expense}}}]}),
        )
        .await;
    let bill_to_pay = v["Bill"]["Id"].as_str().expect("bill").to_string();
    let cases: Vec<(&str, &str, Value, &str, Value)> = vec![
        (
            "estimate",
            "Estimate",
            json!({"CustomerRef":{"value":cust},"Line":sales}),
            "TotalAmt",
            json!(60.0),
        ),
        (
            "creditmemo",
            "CreditMemo",
            json!({"CustomerRef":{"value":cust},"Line":sales}),
            "RemainingCredit",
            json!(60.0),
        ),
        (
            "refundreceipt",
            "RefundReceipt",
            json!({"CustomerRef":{"value":cust},"DepositToAccountRef":{"value":checking},"Line":sales}),
            "TotalAmt",
            json!(60.0),
        ),
        (
            "bill",
            "Bill",
            json!({"VendorRef":{"value":vendor},"TxnDate":"2024-05-01","Line":exp}),
            "Balance",
            json!(50.25),
        ),
        (
            "vendorcredit",
            "VendorCredit",
            json!({"VendorRef":{"value":vendor},"Line":exp}),
            "TotalAmt",
            json!(50.25),
        ),
        (
            "purchase",
            "Purchase",
            json!({"AccountRef":{"value":checking},"PaymentType":"Cash","EntityRef":{"value":vendor,"type":"Vendor"},"Line":exp}),
            "TotalAmt",
            json!(50.25),
        ),
        (
            "purchaseorder",
            "PurchaseOrder",
            json!({"VendorRef":{"value":vendor},"Line":[{"DetailType":"ItemBasedExpenseLineDetail","ItemBasedExpenseLineDetail":{"ItemRef":{"value":item},"Qty":4,"UnitPrice":2.5}}]}),
            "POStatus",
            json!("Open"),
        ),
        (
            "journalentry",
            "JournalEntry",
            json!({"Line":[
            {"DetailType":"JournalEntryLineDetail","Amount":75,"JournalEntryLineDetail":{"PostingType":"Debit","AccountRef":{"value":expense}}},
            {"DetailType":"JournalEntryLineDetail","Amount":75,"JournalEntryLineDetail":{"PostingType":"Credit","AccountRef":{"value":checking}}}]}),
            "TotalAmt",
            json!(75.0),
        ),
        (
            "deposit",
            "Deposit",
            json!({"DepositToAccountRef":{"value":checking},"Line":[{"DetailType":"DepositLineDetail","Amount":20,"DepositLineDetail":{"AccountRef":{"value":expense}}}]}),
            "TotalAmt",
            json!(20.0),
        ),
        (
            "transfer",
            "Transfer",
            json!({"FromAccountRef":{"value":checking},"ToAccountRef":{"value":savings},"Amount":250}),
            "Amount",
            json!(250.0),
        ),
        (
            "billpayment",
            "BillPayment",
            json!({"VendorRef":{"value":vendor},"PayType":"Check","TotalAmt":40,"CheckPayment":{"BankAccountRef":{"value":checking}},
            "Line":[{"Amount":40,"LinkedTxn":[{"TxnId":bill_to_pay,"TxnType":"Bill"}]}]}),
            "TotalAmt",
            json!(40.0),
        ),
        (
            "timeactivity",
            "TimeActivity",
            json!({"NameOf":"Employee","EmployeeRef":{"value":emp},"Hours":2,"Minutes":30,"CustomerRef":{"value":cust}}),
            "Minutes",
            json!(30),
        ),
    ];
    for (resource, entity, body, field, want) in cases {
        let (s, h, v, _) = t.post(resource, &body).await;
        assert_eq!(s, 200, "{entity}: {v}");
        assert_eq!(
            h.get("content-type").and_then(|c| c.to_str().ok()),
            Some("application/json;charset=utf-8")
        );
        let obj = &v[entity];
        assert_eq!(obj[field], want, "{entity}.{field}");
        assert_eq!(
            (obj["SyncToken"].clone(), obj["domain"].clone()),
            (json!("0"), json!("QBO")),
            "{entity}"
        );
        let id = obj["Id"].as_str().expect("id").to_string();
        let (s, _, r, _) = t.get(&format!("{resource}/{id}")).await;
        assert_eq!(s, 200, "{entity}");
        assert_eq!(&r[entity], obj, "{entity} read back");
        let (s, _, q, _) = t
            .query(&format!("select * from {entity} where Id = '{id}'"))
            .await;
        assert_eq!(s, 200, "{entity}");
        assert_eq!(
            q["QueryResponse"][entity][0]["Id"],
            id.as_str(),
            "{entity} query"
        );
        // A sparse update of the memo.
        let (s, _, u, _) = t
            .post(
                resource,
                &json!({"Id":id,"SyncToken":"0","sparse":true,"PrivateNote":"checked"}),
            )
            .await;
        assert_eq!(s, 200, "{entity}: {u}");
        assert_eq!(u[entity]["SyncToken"], "1", "{entity}");
        assert_eq!(u[entity][field], want, "{entity} kept {field}");
    }
    let (_, _, v, _) = t.get(&format!("bill/{bill_to_pay}")).await;
    assert_eq!(v["Bill"]["Balance"], json!(60.0));
    // Seeded counts of the small company, one more each after the creates above.
    for (entity, n) in [
        ("Estimate", 3),
        ("CreditMemo", 2),
        ("RefundReceipt", 1),
        ("Bill", 4 + 1),
        ("BillPayment", 2),
        ("VendorCredit", 1),
        ("Purchase", 3),
        ("PurchaseOrder", 2),
        ("JournalEntry", 2),
        ("Deposit", 1),
        ("Transfer", 1),
        ("TimeActivity", 3),
    ] {
        let (_, _, v, _) = t.query(&format!("select count(*) from {entity}")).await;
        assert_eq!(v["QueryResponse"]["totalCount"], n + 1, "{entity}");
    }
    // Required fields through the API.
    let (s, _, v, _) = t
        .post(
            "purchase",
            &json!({"AccountRef":{"value":checking},"PaymentType":"Wire","Line":exp}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "2170"));
    let (_, _, v, _) = t.post("bill", &json!({"Line":exp})).await;
    assert_eq!(
        (code(&v), detail(&v)),
        (
            "2020",
            "Required parameter VendorRef is missing in the request"
        )
    );
    let (_, _, v, _) = t
        .post("transfer", &json!({"FromAccountRef":{"value":checking},"ToAccountRef":{"value":checking},"Amount":5}))
        .await;
    assert_eq!(code(&v), "6000");
    t.sb.shutdown().await;
}

#[tokio::test]
async fn unbalanced_journal_entry_is_refused_with_6000() {
    let t = T::small().await;
    let [_, _, _, _, expense, checking, _] = refs(&t).await;
    let body = |credit: f64| {
        json!({"DocNumber":"JE-T","Line":[
            {"DetailType":"JournalEntryLineDetail","Amount":75,"JournalEntryLineDetail":{"PostingType":"Debit","AccountRef":{"value":expense}}},
            {"DetailType":"JournalEntryLineDetail","Amount":credit,"JournalEntryLineDetail":{"PostingType":"Credit","AccountRef":{"value":checking}}}]})
    };
    let (s, h, v, _) = t.post("journalentry", &body(70.0)).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(
        h.get("content-type").and_then(|c| c.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(code(&v), "6000");
    assert_eq!(
        v["Fault"]["Error"][0]["Message"],
        "A business validation error has occurred while processing your request"
    );
    assert!(
        detail(&v).starts_with("Business Validation Error: Transaction must be balanced"),
        "{v}"
    );
    assert_eq!(v["Fault"]["type"], "ValidationFault");
    let (_, _, n, _) = t
        .query("select count(*) from JournalEntry where DocNumber = 'JE-T'")
        .await;
    assert_eq!(n["QueryResponse"]["totalCount"], 0, "nothing stored");
    let (s, _, v, _) = t.post("journalentry", &body(75.0)).await;
    assert_eq!(s, 200, "{v}");
    // An update that unbalances it is refused too, and the entry stays as it was.
    let id = v["JournalEntry"]["Id"].as_str().expect("id").to_string();
    let mut upd = body(80.0);
    upd["Id"] = json!(id);
    upd["SyncToken"] = json!("0");
    let (_, _, v, _) = t.post("journalentry", &upd).await;
    assert_eq!(code(&v), "6000");
    let (_, _, v, _) = t.get(&format!("journalentry/{id}")).await;
    assert_eq!(v["JournalEntry"]["SyncToken"], "0");
    assert_eq!(v["JournalEntry"]["TotalAmt"], json!(75.0));
    t.sb.shutdown().await;
}

#[tokio::test]
async fn bill_payment_void_restores_the_bill_balance() {
    let t = T::small().await;
    let [_, vendor, _, _, expense, checking, _] = refs(&t).await;
    let (_, _, v, _) = t
        .post(
            "bill",
            &json!({"VendorRef":{"value":vendor},"Line":expense_lines(&expense, &[200.0])}),
        )
        .await;
    let bill = v["Bill"].clone();
    let bill_id = bill["Id"].as_str().expect("bill").to_string();
    assert_eq!(bill["Balance"], json!(200.0));
    let (_, _, vend, _) = t.get(&format!("vendor/{vendor}")).await;
    let vendor_balance = vend["Vendor"]["Balance"].as_f64().expect("balance");
    let pay = |amount: f64| {
        json!({"VendorRef":{"value":vendor},"PayType":"Check","TotalAmt":amount,"PrivateNote":"cheque 77",
            "CheckPayment":{"BankAccountRef":{"value":checking}},
            "Line":[{"Amount":amount,"LinkedTxn":[{"TxnId":bill_id,"TxnType":"Bill"}]}]})
    };
    // More than the bill's open balance: 6000.
    let (s, _, v, _) = t.post("billpayment", &pay(250.0)).await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"));
    let (s, _, v, _) = t.post("billpayment", &pay(80.0)).await;
    assert_eq!(s, 200, "{v}");
    let bp = v["BillPayment"].clone();
    let (_, _, v, _) = t.get(&format!("bill/{bill_id}")).await;
    assert_eq!(v["Bill"]["Balance"], json!(120.0));
    assert_eq!(v["Bill"]["SyncToken"], "1");
    assert_eq!(v["Bill"]["LinkedTxn"][0]["TxnType"], "BillPayment");
    let (_, _, vend, _) = t.get(&format!("vendor/{vendor}")).await;
    assert_eq!(
        vend["Vendor"]["Balance"].as_f64(),
        Some(((vendor_balance - 80.0) * 100.0).round() / 100.0)
    );
    // ?operation=void is for invoices only.
    let (s, _, v, _) = t
        .post(
            "billpayment?operation=void",
            &json!({"Id":bp["Id"],"SyncToken":"0"}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "500"));
    let (s, _, v, _) = t
        .post(
            "billpayment?operation=update&include=void",
            &json!({"Id":bp["Id"],"SyncToken":"0","sparse":true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let voided = &v["BillPayment"];
    assert_eq!(voided["TotalAmt"], json!(0.0));
    assert_eq!(voided["Line"], json!([]));
    assert_eq!(voided["PrivateNote"], "Voided cheque 77");
    assert_eq!(voided["SyncToken"], "1");
    let (_, _, v, _) = t.get(&format!("bill/{bill_id}")).await;
    assert_eq!(v["Bill"]["Balance"], json!(200.0));
    assert_eq!(v["Bill"]["LinkedTxn"], json!([]));
    let (_, _, vend, _) = t.get(&format!("vendor/{vendor}")).await;
    assert_eq!(vend["Vendor"]["Balance"].as_f64(), Some(vendor_balance));
    // Voiding again changes nothing; a batch void works the same way.
    let (_, _, v, _) = t
        .post(
            "billpayment?operation=update&include=void",
            &json!({"Id":bp["Id"],"SyncToken":"1","sparse":true}),
        )
        .await;
    assert_eq!(v["BillPayment"]["SyncToken"], "1");
    let (_, _, v, _) = t.post("billpayment", &pay(50.0)).await;
    let bp2 = v["BillPayment"]["Id"].clone();
    let (s, _, v, _) = t
        .post(
            "batch",
            &json!({"BatchItemRequest":[{"bId":"v1","operation":"update","optionsData":"void",
                "BillPayment":{"Id":bp2,"SyncToken":"0","sparse":true}}]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["BatchItemResponse"][0]["BillPayment"]["TotalAmt"],
        json!(0.0)
    );
    let (_, _, v, _) = t.get(&format!("bill/{bill_id}")).await;
    assert_eq!(v["Bill"]["Balance"], json!(200.0));
    t.sb.shutdown().await;
}

#[tokio::test]
async fn time_activity_is_not_in_cdc_but_other_transactions_are() {
    let t = T::small().await;
    let admin = t.sb.admin().clone();
    let since = chrono_like(admin.now_secs() - 1);
    admin.advance_clock(10);
    let [_, vendor, emp, _, expense, _, _] = refs(&t).await;
    let (s, _, v, _) = t
        .post(
            "timeactivity",
            &json!({"NameOf":"Employee","EmployeeRef":{"value":emp},"Hours":1}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, _, v, _) = t
        .post(
            "bill",
            &json!({"VendorRef":{"value":vendor},"Line":expense_lines(&expense, &[10.0])}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let bill_id = v["Bill"]["Id"].clone();
    let (s, _, v, _) = t
        .get(&format!(
            "cdc?entities=TimeActivity&changedSince={}",
            urlenc(&since)
        ))
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "4001"), "{v}");
    let (s, _, v, _) = t
        .get(&format!(
            "cdc?entities=Bill,TimeActivity&changedSince={}",
            urlenc(&since)
        ))
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "4001"));
    let (s, _, v, _) = t
        .get(&format!(
            "cdc?entities=Bill,Estimate,JournalEntry,BillPayment&changedSince={}",
            urlenc(&since)
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    let groups = v["CDCResponse"][0]["QueryResponse"].clone();
    assert_eq!(groups[0]["Bill"][0]["Id"], bill_id);
    assert_eq!(groups[1], json!({}));
    assert_eq!(groups[2], json!({}));
    assert_eq!(groups[3], json!({}));
    // Query is how time activities are read: the new one shows.
    let (s, _, v, _) = t
        .query("select * from TimeActivity where MetaData.LastUpdatedTime > '2000-01-01T00:00:00-08:00' orderby MetaData.LastUpdatedTime desc maxresults 1")
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["QueryResponse"]["TimeActivity"][0]["Hours"], 1);
    t.sb.shutdown().await;
}

#[tokio::test]
async fn deleted_bill_answers_610_and_unlinks_its_payments() {
    let t = T::small().await;
    let [_, vendor, _, _, expense, _, _] = refs(&t).await;
    let admin = t.sb.admin().clone();
    let since = chrono_like(admin.now_secs() - 1);
    admin.advance_clock(10);
    let (_, _, v, _) = t
        .post(
            "bill",
            &json!({"VendorRef":{"value":vendor},"Line":expense_lines(&expense, &[90.0])}),
        )
        .await;
    let bill_id = v["Bill"]["Id"].as_str().expect("bill").to_string();
    let (s, _, v, _) = t
        .post(
            "billpayment",
            &json!({"VendorRef":{"value":vendor},"PayType":"Check","TotalAmt":30,
                "Line":[{"Amount":30,"LinkedTxn":[{"TxnId":bill_id,"TxnType":"Bill"}]}]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let bp_id = v["BillPayment"]["Id"].as_str().expect("bp").to_string();
    let (_, _, cur, _) = t.get(&format!("bill/{bill_id}")).await;
    let (s, _, v, _) = t
        .post(
            "bill?operation=delete",
            &json!({"Id":bill_id,"SyncToken":cur["Bill"]["SyncToken"]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["Bill"],
        json!({"domain":"QBO","status":"Deleted","Id":bill_id})
    );
    let (s, _, v, _) = t.get(&format!("bill/{bill_id}")).await;
    assert_eq!((s.as_u16(), code(&v)), (400, "610"));
    assert_eq!(
        detail(&v),
        "Object Not Found : Another user has deleted this transaction."
    );
    let (_, _, v, _) = t
        .post(
            "bill",
            &json!({"Id":bill_id,"SyncToken":"1","sparse":true,"PrivateNote":"x"}),
        )
        .await;
    assert_eq!(code(&v), "610");
    let (_, _, v, _) = t
        .post(
            "bill?operation=delete",
            &json!({"Id":bill_id,"SyncToken":"1"}),
        )
        .await;
    assert_eq!(code(&v), "610");
    let (_, _, v, _) = t
        .query(&format!("select count(*) from Bill where Id = '{bill_id}'"))
        .await;
    assert_eq!(v["QueryResponse"]["totalCount"], 0);
    // The payment stays, without its line for the deleted bill.
    let (_, _, v, _) = t.get(&format!("billpayment/{bp_id}")).await;
    assert_eq!(v["BillPayment"]["Line"], json!([]));
    assert_eq!(v["BillPayment"]["TotalAmt"], json!(30.0));
    assert_eq!(v["BillPayment"]["SyncToken"], "1");
    // A new payment cannot name the deleted bill.
    let (_, _, v, _) = t
        .post(
            "billpayment",
            &json!({"VendorRef":{"value":vendor},"PayType":"Check","TotalAmt":5,
                "Line":[{"Amount":5,"LinkedTxn":[{"TxnId":bill_id,"TxnType":"Bill"}]}]}),
        )
        .await;
    assert_eq!(code(&v), "610");
    // CDC reports the deletion with the four keys.
    let (_, _, v, _) = t
        .get(&format!(
            "cdc?entities=Bill&changedSince={}",
            urlenc(&since)
        ))
        .await;
    let bills = v["CDCResponse"][0]["QueryResponse"][0]["Bill"].clone();
    assert_eq!(
        bills[0]
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec![
            "Id".to_string(),
            "MetaData".to_string(),
            "domain".to_string(),
            "status".to_string()
        ])
    );
    t.sb.shutdown().await;
}

#[tokio::test]
async fn company_info_and_preferences_are_singletons() {
    let t = T::small().await;
    let admin = t.sb.admin().clone();
    let since = chrono_like(admin.now_secs() - 1);
    admin.advance_clock(10);
    // CompanyInfo: by the realm (how clients read it), by its Id "1", and by query.
    let (s, h, by_realm, _) = t.get(&format!("companyinfo/{}", t.sb.realm_id())).await;
    assert_eq!(s, 200);
    assert_eq!(
        h.get("content-type").and_then(|c| c.to_str().ok()),
        Some("application/json;charset=utf-8")
    );
    let info = by_realm["CompanyInfo"].clone();
    assert_eq!(info["CompanyName"], "Sandbox Company_US_1");
    assert_eq!(
        (info["Id"].as_str(), info["SyncToken"].as_str()),
        (Some("1"), Some("0"))
    );
    let (s, _, by_id, _) = t.get("companyinfo/1").await;
    assert_eq!(s, 200);
    assert_eq!(by_id["CompanyInfo"], info);
    let (_, _, v, _) = t.query("select * from CompanyInfo").await;
    assert_eq!(v["QueryResponse"]["CompanyInfo"], json!([info.clone()]));
    assert_eq!(v["QueryResponse"]["maxResults"], 1);
    let (s, _, v, _) = t.get("companyinfo/2").await;
    assert_eq!((s.as_u16(), code(&v)), (400, "610"));
    // Sparse update: SyncToken and LastUpdatedTime move; a repeat is a no-op; stale → 5010.
    let (s, _, v, _) = t
        .post(
            "companyinfo",
            &json!({"Id":"1","SyncToken":"0","sparse":true,"LegalName":"Sandbox Company US LLC","Country":"CA"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let updated = v["CompanyInfo"].clone();
    assert_eq!(updated["SyncToken"], "1");
    assert_eq!(updated["LegalName"], "Sandbox Company US LLC");
    assert_eq!(updated["CompanyName"], "Sandbox Company_US_1");
    assert_eq!(updated["Country"], "US", "read-only");
    assert_ne!(
        updated["MetaData"]["LastUpdatedTime"],
        info["MetaData"]["LastUpdatedTime"]
    );
    admin.advance_clock(5);
    let (_, _, v, _) = t
        .post(
            "companyinfo",
            &json!({"Id":"1","SyncToken":"1","sparse":true,"LegalName":"Sandbox Company US LLC"}),
        )
        .await;
    assert_eq!(v["CompanyInfo"], updated, "no change, no new SyncToken");
    let (s, _, v, _) = t
        .post(
            "companyinfo",
            &json!({"Id":"1","SyncToken":"0","sparse":true,"LegalName":"x"}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "5010"));
    let (_, _, v, _) = t.get(&format!("companyinfo/{}", t.sb.realm_id())).await;
    assert_eq!(v["CompanyInfo"], updated);
    // Never created or deleted (REST and batch).
    for res in ["companyinfo", "preferences"] {
        let name = if res == "companyinfo" {
            "CompanyInfo"
        } else {
            "Preferences"
        };
        let (s, h, v, _) = t.post(res, &json!({"CompanyName":"Second Co"})).await;
        assert_unsupported(
            s,
            &h,
            &v,
            &format!("Operation Create {name} is not supported."),
        );
        let (s, h, v, _) = t
            .post(
                &format!("{res}?operation=delete"),
                &json!({"Id":"1","SyncToken":"1"}),
            )
            .await;
        assert_unsupported(
            s,
            &h,
            &v,
            &format!("Operation Delete {name} is not supported."),
        );
    }
    let (s, _, v, _) = t
        .post(
            "batch",
            &json!({"BatchItemRequest":[{"bId":"1","operation":"create","CompanyInfo":{"CompanyName":"B"}}]}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        v["BatchItemResponse"][0]["Fault"]["Error"][0]["code"],
        "500"
    );
    assert_eq!(admin.count("CompanyInfo"), 1);
    assert_eq!(admin.count("Preferences"), 1);

    // Preferences: read without an Id; queries ignore paging.
    let (s, _, v, _) = t.get("preferences").await;
    assert_eq!(s, 200);
    let prefs = v["Preferences"].clone();
    assert_eq!(prefs["Id"], "1");
    assert_eq!(prefs["CurrencyPrefs"]["MultiCurrencyEnabled"], false);
    assert_eq!(prefs["CurrencyPrefs"]["HomeCurrency"]["value"], "USD");
    for section in [
        "AccountingInfoPrefs",
        "SalesFormsPrefs",
        "TaxPrefs",
        "OtherPrefs",
    ] {
        assert!(prefs[section].is_object(), "{section}");
    }
    for q in [
        "select * from Preferences",
        "select * from Preferences startposition 5 maxresults 1",
        "select * from Preferences STARTPOSITION 3",
    ] {
        let (s, _, v, _) = t.query(q).await;
        assert_eq!(s, 200, "{q}");
        assert_eq!(
            v["QueryResponse"]["Preferences"],
            json!([prefs.clone()]),
            "{q}"
        );
        assert_eq!(v["QueryResponse"]["startPosition"], 1, "{q}");
        assert_eq!(v["QueryResponse"]["maxResults"], 1, "{q}");
    }
    // A writable preference, sparse; the rest of its section stays.
    let (s, _, v, _) = t
        .post(
            "preferences",
            &json!({"Id":"1","SyncToken":"0","sparse":true,"SalesFormsPrefs":{"CustomTxnNumbers":true}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let p = &v["Preferences"];
    assert_eq!(p["SyncToken"], "1");
    assert_eq!(p["SalesFormsPrefs"]["CustomTxnNumbers"], true);
    assert_eq!(
        p["SalesFormsPrefs"]["AllowDiscount"],
        prefs["SalesFormsPrefs"]["AllowDiscount"]
    );
    assert_eq!(p["AccountingInfoPrefs"], prefs["AccountingInfoPrefs"]);
    // The home currency cannot be changed (multicurrency: see `multicurrency_*` below).
    let (s, _, v, _) = t
        .post(
            "preferences",
            &json!({"Id":"1","SyncToken":"1","sparse":true,"CurrencyPrefs":{"HomeCurrency":{"value":"EUR"}}}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"), "{v}");
    assert!(detail(&v).starts_with("Business Validation Error: "));
    let (_, _, v, _) = t.get("preferences").await;
    assert_eq!(
        v["Preferences"]["CurrencyPrefs"]["MultiCurrencyEnabled"],
        false
    );
    assert_eq!(v["Preferences"]["SyncToken"], "1");
    // Both changes show in CDC.
    let (s, _, v, _) = t
        .get(&format!(
            "cdc?entities=CompanyInfo,Preferences&changedSince={}",
            urlenc(&since)
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    let groups = &v["CDCResponse"][0]["QueryResponse"];
    assert_eq!(groups[0]["CompanyInfo"][0]["SyncToken"], "1");
    assert_eq!(groups[1]["Preferences"][0]["SyncToken"], "1");
    t.sb.shutdown().await;
}

#[tokio::test]
async fn budgets_are_read_only_and_seeded() {
    let t = T::small().await;
    let (_, _, v, _) = t.query("select * from Budget").await;
    let active = v["QueryResponse"]["Budget"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(active.len(), 1, "the inactive budget is hidden");
    let b = &active[0];
    assert_eq!(b["Id"], "175");
    assert_eq!(
        (b["BudgetType"].as_str(), b["BudgetEntryType"].as_str()),
        (Some("ProfitAndLoss"), Some("Monthly"))
    );
    assert_eq!(b["BudgetDetail"].as_array().map(Vec::len), Some(24));
    let (_, _, v, _) = t
        .query("select count(*) from Budget where Active in (true, false)")
        .await;
    assert_eq!(v["QueryResponse"]["totalCount"], 2);
    let (s, _, v, _) = t.get("budget/176").await;
    assert_eq!(s, 200);
    assert_eq!(v["Budget"]["Active"], false);
    // An API client cannot create or change one.
    let (s, h, v, _) = t
        .post(
            "budget",
            &json!({"Name":"Mine","StartDate":"2025-01-01","EndDate":"2025-12-31"}),
        )
        .await;
    assert_unsupported(s, &h, &v, "Operation Create Budget is not supported.");
    let (s, h, v, _) = t
        .post(
            "budget",
            &json!({"Id":"175","SyncToken":"0","sparse":true,"Name":"Renamed"}),
        )
        .await;
    assert_unsupported(s, &h, &v, "Operation Update Budget is not supported.");
    let (s, h, v, _) = t
        .post(
            "budget?operation=delete",
            &json!({"Id":"175","SyncToken":"0"}),
        )
        .await;
    assert_unsupported(s, &h, &v, "Operation Delete Budget is not supported.");
    // A QuickBooks user can switch it off; that shows in CDC as an update.
    let admin = t.sb.admin().clone();
    let since = chrono_like(admin.now_secs() - 1);
    admin.advance_clock(5);
    admin.deactivate("Budget", "175").expect("deactivate");
    let (_, _, v, _) = t
        .get(&format!(
            "cdc?entities=Budget&changedSince={}",
            urlenc(&since)
        ))
        .await;
    assert_eq!(
        v["CDCResponse"][0]["QueryResponse"][0]["Budget"][0]["Active"],
        false
    );
    let (_, _, v, _) = t.query("select * from Budget").await;
    assert_eq!(v["QueryResponse"], json!({}));
    t.sb.shutdown().await;
}

#[tokio::test]
async fn attachables_attach_to_live_records_and_delete() {
    let t = T::small().await;
    let admin = t.sb.admin().clone();
    let (_, _, v, _) = t.query("select * from Attachable").await;
    let seeded = v["QueryResponse"]["Attachable"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(seeded.len(), 2);
    assert!(seeded
        .iter()
        .all(|a| a["AttachableRef"][0]["EntityRef"]["type"] == "Invoice"));
    let since = chrono_like(admin.now_secs() - 1);
    admin.advance_clock(5);
    let (inv, _) = first_id(&t, "Invoice", "select * from Invoice maxresults 1").await;
    let (s, _, v, _) = t
        .post(
            "attachable",
            &json!({"FileName":"receipt.png","Note":"Paid in person","AttachableRef":[{"EntityRef":{"type":"Invoice","value":inv},"IncludeOnSend":true}]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let a = v["Attachable"].clone();
    assert_eq!(a["ContentType"], "image/png");
    assert_eq!(a["SyncToken"], "0");
    assert_eq!(
        a["AttachableRef"],
        json!([{"EntityRef":{"type":"Invoice","value":inv},"IncludeOnSend":true}])
    );
    let id = a["Id"].as_str().expect("id").to_string();
    assert_eq!(admin.api_creates("Attachable"), 1);
    let (s, _, v, _) = t.get(&format!("attachable/{id}")).await;
    assert_eq!(
        (s.as_u16(), v["Attachable"]["FileName"].as_str()),
        (200, Some("receipt.png"))
    );
    let (_, _, v, _) = t
        .query(&format!("select * from Attachable where Id = '{id}'"))
        .await;
    assert_eq!(
        v["QueryResponse"]["Attachable"][0]["Note"],
        "Paid in person"
    );
    // Refusals: nothing to keep, an unknown record, a deleted one.
    let (s, _, v, _) = t
        .post("attachable", &json!({"ContentType":"image/png"}))
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "2020"));
    let (s, _, v, _) = t
        .post(
            "attachable",
            &json!({"Note":"x","AttachableRef":[{"EntityRef":{"type":"Invoice","value":"99999"}}]}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "2500"));
    assert_eq!(detail(&v), "Invalid Reference Id : AttachableRef.EntityRef");
    let (cust, _) = first_id(&t, "Customer", "select * from Customer maxresults 1").await;
    let (s, _, v, _) = t
        .post(
            "attachable",
            &json!({"Note":"x","AttachableRef":[{"EntityRef":{"type":"Invoice","value":cust}}]}),
        )
        .await;
    assert_eq!(
        (s.as_u16(), code(&v)),
        (400, "2500"),
        "a customer's Id is no invoice"
    );
    let (s, _, v, _) = t
        .post(
            "attachable",
            &json!({"Note":"Call before delivery","AttachableRef":[{"EntityRef":{"type":"Customer","value":cust}}]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // Delete (transaction style): a tombstone, 610 afterwards, a deletion in CDC.
    let (s, _, v, _) = t
        .post(
            "attachable?operation=delete",
            &json!({"Id":id,"SyncToken":"0"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["Attachable"],
        json!({"domain":"QBO","status":"Deleted","Id":id})
    );
    let (s, _, v, _) = t.get(&format!("attachable/{id}")).await;
    assert_eq!((s.as_u16(), code(&v)), (400, "610"));
    assert_eq!(
        detail(&v),
        "Object Not Found : Another user has deleted this transaction."
    );
    let (s, _, v, _) = t
        .post(
            "attachable",
            &json!({"Id":id,"SyncToken":"0","sparse":true,"Note":"y"}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "610"));
    let (_, _, v, _) = t
        .get(&format!(
            "cdc?entities=Attachable&changedSince={}",
            urlenc(&since)
        ))
        .await;
    let changed = v["CDCResponse"][0]["QueryResponse"][0]["Attachable"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(changed.len(), 2, "{v}");
    assert_eq!(changed[1]["status"], "Deleted");
    t.sb.shutdown().await;
}

#[tokio::test]
async fn company_currencies_create_duplicate_and_deactivate() {
    let t = T::small().await;
    let (_, _, v, _) = t.query("select * from CompanyCurrency").await;
    let codes: Vec<Value> = v["QueryResponse"]["CompanyCurrency"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| c["Code"].clone())
        .collect();
    assert_eq!(codes, [json!("EUR"), json!("CAD")]);
    let (s, _, v, _) = t.post("companycurrency", &json!({"Code":"GBP"})).await;
    assert_eq!(s, 200, "{v}");
    let gbp = v["CompanyCurrency"].clone();
    assert_eq!(
        (gbp["Name"].as_str(), gbp["Active"].as_bool()),
        (Some("British Pound Sterling"), Some(true))
    );
    let (s, _, v, _) = t.post("companycurrency", &json!({"Code":"GBP"})).await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6240"));
    assert_eq!(
        v["Fault"]["Error"][0]["Message"],
        "Duplicate Name Exists Error"
    );
    for bad in [
        json!({"Code":"POUND"}),
        json!({"Code":"G1"}),
        json!({"Code":"QQQ"}),
    ] {
        let (s, _, v, _) = t.post("companycurrency", &bad).await;
        assert_eq!((s.as_u16(), code(&v)), (400, "2170"), "{bad}");
    }
    let (s, _, v, _) = t.post("companycurrency", &json!({"Name":"Yen"})).await;
    assert_eq!((s.as_u16(), code(&v)), (400, "2020"));
    // Deactivation: Active:false, the code keeps its spelling; delete is refused.
    let (s, _, v, _) = t
        .post(
            "companycurrency",
            &json!({"Id":gbp["Id"],"SyncToken":"0","sparse":true,"Active":false}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let off = &v["CompanyCurrency"];
    assert_eq!(
        (
            off["Code"].as_str(),
            off["Name"].as_str(),
            off["Active"].as_bool(),
            off["SyncToken"].as_str()
        ),
        (
            Some("GBP"),
            Some("British Pound Sterling"),
            Some(false),
            Some("1")
        )
    );
    let (s, h, v, _) = t
        .post(
            "companycurrency?operation=delete",
            &json!({"Id":gbp["Id"],"SyncToken":"1"}),
        )
        .await;
    assert_unsupported(
        s,
        &h,
        &v,
        "Operation Delete CompanyCurrency is not supported.",
    );
    // No implicit Active filter on this list.
    let (_, _, v, _) = t.query("select count(*) from CompanyCurrency").await;
    assert_eq!(v["QueryResponse"]["totalCount"], 3);
    let (_, _, v, _) = t
        .query("select * from CompanyCurrency where Active = false")
        .await;
    assert_eq!(v["QueryResponse"]["CompanyCurrency"][0]["Code"], "GBP");
    t.sb.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Payment shapes an accounting integration relies on: split, partial, overpayment, credit memo
// applied through a payment, $0 invoice.

/// A fresh customer (no balance) and an item Id.
async fn payer(t: &T, name: &str) -> (String, String) {
    let (s, _, v, _) = t.post("customer", &json!({"DisplayName": name})).await;
    assert_eq!(s, 200, "{v}");
    let cust = v["Customer"]["Id"].as_str().expect("cust").to_string();
    let (item, _) = first_id(t, "Item", "select * from Item maxresults 1").await;
    (cust, item)
}

fn sales_lines(item: &str, amounts: &[f64]) -> Value {
    Value::Array(
        amounts
            .iter()
            .map(|a| json!({"DetailType":"SalesItemLineDetail","Amount":a,"SalesItemLineDetail":{"ItemRef":{"value":item}}}))
            .collect(),
    )
}

async fn new_txn(
    t: &T,
    resource: &str,
    entity: &str,
    cust: &str,
    item: &str,
    amounts: &[f64],
) -> Value {
    let (s, _, v, _) = t
        .post(
            resource,
            &json!({"CustomerRef":{"value":cust},"Line":sales_lines(item, amounts)}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v[entity].clone()
}

/// A payment body; `lines` are (TxnId, TxnType, Amount).
fn payment(cust: &str, total: f64, lines: &[(&Value, &str, f64)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(id, ty, a)| json!({"Amount":a,"LinkedTxn":[{"TxnId":id,"TxnType":ty}]}))
        .collect();
    json!({"CustomerRef":{"value":cust},"TotalAmt":total,"Line":lines})
}

async fn read_obj(t: &T, resource: &str, entity: &str, id: &Value) -> Value {
    let (s, _, v, _) = t
        .get(&format!("{resource}/{}", id.as_str().unwrap_or("")))
        .await;
    assert_eq!(s, 200, "{v}");
    v[entity].clone()
}

async fn customer_balance(t: &T, cust: &str) -> Value {
    read_obj(t, "customer", "Customer", &json!(cust)).await["Balance"].clone()
}

#[tokio::test]
async fn split_payment_pays_several_invoices() {
    let t = T::small().await;
    let (cust, item) = payer(&t, "Split Payer").await;
    let a = new_txn(&t, "invoice", "Invoice", &cust, &item, &[120.0]).await;
    let b = new_txn(&t, "invoice", "Invoice", &cust, &item, &[50.0, 30.0]).await;
    assert_eq!(customer_balance(&t, &cust).await, json!(200.0));
    let body = payment(
        &cust,
        150.0,
        &[(&a["Id"], "Invoice", 120.0), (&b["Id"], "Invoice", 30.0)],
    );
    let (s, _, v, _) = t.post("payment", &body).await;
    assert_eq!(s, 200, "{v}");
    let p = &v["Payment"];
    assert_eq!(p["UnappliedAmt"], json!(0.0));
    assert_eq!(p["Line"].as_array().map(Vec::len), Some(2));
    let ia = read_obj(&t, "invoice", "Invoice", &a["Id"]).await;
    let ib = read_obj(&t, "invoice", "Invoice", &b["Id"]).await;
    assert_eq!(
        (ia["Balance"].clone(), ib["Balance"].clone()),
        (json!(0.0), json!(50.0))
    );
    for inv in [&ia, &ib] {
        assert_eq!(inv["SyncToken"], "1");
        assert_eq!(
            inv["LinkedTxn"],
            json!([{"TxnId":p["Id"],"TxnType":"Payment"}])
        );
    }
    assert_eq!(customer_balance(&t, &cust).await, json!(50.0));
    // Voiding it reopens both.
    let (s, _, v, _) = t
        .post(
            "payment?operation=update&include=void",
            &json!({"Id":p["Id"],"SyncToken":"0","sparse":true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        read_obj(&t, "invoice", "Invoice", &a["Id"]).await["Balance"],
        json!(120.0)
    );
    assert_eq!(
        read_obj(&t, "invoice", "Invoice", &b["Id"]).await["Balance"],
        json!(80.0)
    );
    assert_eq!(customer_balance(&t, &cust).await, json!(200.0));
    t.sb.shutdown().await;
}

#[tokio::test]
async fn partial_payments_bring_an_invoice_to_zero() {
    let t = T::small().await;
    let (cust, item) = payer(&t, "Partial Payer").await;
    let inv = new_txn(&t, "invoice", "Invoice", &cust, &item, &[90.0]).await;
    let mut pids = Vec::new();
    for (amt, bal) in [(40.0, 50.0), (25.5, 24.5), (24.5, 0.0)] {
        let (s, _, v, _) = t
            .post(
                "payment",
                &payment(&cust, amt, &[(&inv["Id"], "Invoice", amt)]),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["Payment"]["UnappliedAmt"], json!(0.0));
        pids.push(json!({"TxnId":v["Payment"]["Id"],"TxnType":"Payment"}));
        let now = read_obj(&t, "invoice", "Invoice", &inv["Id"]).await;
        assert_eq!(now["Balance"], json!(bal));
        assert_eq!(customer_balance(&t, &cust).await, json!(bal));
    }
    let now = read_obj(&t, "invoice", "Invoice", &inv["Id"]).await;
    assert_eq!(now["SyncToken"], "3");
    assert_eq!(now["LinkedTxn"], Value::Array(pids));
    let (_, _, v, _) = t
        .query(&format!(
            "select * from Invoice where Id = '{}' and Balance = '0'",
            inv["Id"].as_str().unwrap_or("")
        ))
        .await;
    assert_eq!(
        v["QueryResponse"]["Invoice"].as_array().map(Vec::len),
        Some(1)
    );
    // A fourth payment finds nothing open.
    let (s, _, v, _) = t
        .post(
            "payment",
            &payment(&cust, 1.0, &[(&inv["Id"], "Invoice", 1.0)]),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"));
    t.sb.shutdown().await;
}

#[tokio::test]
async fn overpayment_is_unapplied_credit_and_overapplying_is_6000() {
    let t = T::small().await;
    let (cust, item) = payer(&t, "Over Payer").await;
    let inv = new_txn(&t, "invoice", "Invoice", &cust, &item, &[60.0]).await;
    let (s, _, v, _) = t
        .post(
            "payment",
            &payment(&cust, 100.0, &[(&inv["Id"], "Invoice", 60.0)]),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Payment"]["TotalAmt"], json!(100.0));
    assert_eq!(v["Payment"]["UnappliedAmt"], json!(40.0));
    assert_eq!(
        read_obj(&t, "invoice", "Invoice", &inv["Id"]).await["Balance"],
        json!(0.0)
    );
    assert_eq!(customer_balance(&t, &cust).await, json!(0.0));
    // A line above the invoice's open balance.
    let inv2 = new_txn(&t, "invoice", "Invoice", &cust, &item, &[30.0]).await;
    let (s, h, v, _) = t
        .post(
            "payment",
            &payment(&cust, 100.0, &[(&inv2["Id"], "Invoice", 35.0)]),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"));
    assert_eq!(
        h.get("content-type").and_then(|c| c.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(
        v["Fault"]["Error"][0]["Message"],
        "A business validation error has occurred while processing your request"
    );
    assert_eq!(
        detail(&v),
        format!(
            "Business Validation Error: The payment amount applied to invoice {} exceeds its open balance of 30.00.",
            inv2["Id"].as_str().unwrap_or("")
        )
    );
    // Lines above TotalAmt.
    let (s, _, v, _) = t
        .post(
            "payment",
            &payment(&cust, 20.0, &[(&inv2["Id"], "Invoice", 25.0)]),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"));
    assert_eq!(
        read_obj(&t, "invoice", "Invoice", &inv2["Id"]).await["Balance"],
        json!(30.0)
    );
    t.sb.shutdown().await;
}

#[tokio::test]
async fn credit_memo_applied_to_an_invoice_with_a_zero_payment() {
    let t = T::small().await;
    let admin = t.sb.admin().clone();
    let (cust, item) = payer(&t, "Credit Payer").await;
    let inv = new_txn(&t, "invoice", "Invoice", &cust, &item, &[100.0]).await;
    let cm = new_txn(&t, "creditmemo", "CreditMemo", &cust, &item, &[40.0]).await;
    assert_eq!(cm["RemainingCredit"], json!(40.0));
    assert_eq!(cm["Balance"], json!(40.0));
    let since = chrono_like(admin.now_secs() - 1);
    admin.advance_clock(5);

    // The credit is larger than the memo, the lines do not balance: 6000, nothing moves.
    let (s, _, v, _) = t
        .post(
            "payment",
            &payment(
                &cust,
                0.0,
                &[
                    (&inv["Id"], "Invoice", 45.0),
                    (&cm["Id"], "CreditMemo", 45.0),
                ],
            ),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"));
    assert!(
        detail(&v).contains("exceeds its remaining credit of 40.00"),
        "{v}"
    );
    let (s, _, v, _) = t
        .post(
            "payment",
            &payment(
                &cust,
                0.0,
                &[
                    (&inv["Id"], "Invoice", 40.0),
                    (&cm["Id"], "CreditMemo", 30.0),
                ],
            ),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"));
    assert_eq!(
        detail(&v),
        "Business Validation Error: The amount applied to invoices (40.00) must equal the payment amount (0.00) plus the credits applied (30.00)."
    );

    // The QuickBooks way: a $0 payment, invoice line 40, credit memo line 40.
    let (s, _, v, _) = t
        .post(
            "payment",
            &payment(
                &cust,
                0.0,
                &[
                    (&inv["Id"], "Invoice", 40.0),
                    (&cm["Id"], "CreditMemo", 40.0),
                ],
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let p = v["Payment"].clone();
    assert_eq!(p["TotalAmt"], json!(0.0));
    assert_eq!(p["UnappliedAmt"], json!(0.0));
    let inv_now = read_obj(&t, "invoice", "Invoice", &inv["Id"]).await;
    assert_eq!(inv_now["Balance"], json!(60.0));
    assert_eq!(inv_now["SyncToken"], "1");
    assert_eq!(
        inv_now["LinkedTxn"],
        json!([{"TxnId":p["Id"],"TxnType":"Payment"}])
    );
    let cm_now = read_obj(&t, "creditmemo", "CreditMemo", &cm["Id"]).await;
    assert_eq!(cm_now["RemainingCredit"], json!(0.0));
    assert_eq!(cm_now["Balance"], json!(0.0));
    assert_eq!(cm_now["SyncToken"], "1");
    assert_ne!(
        cm_now["MetaData"]["LastUpdatedTime"],
        cm["MetaData"]["LastUpdatedTime"]
    );
    assert_eq!(
        cm_now["LinkedTxn"],
        json!([{"TxnId":p["Id"],"TxnType":"Payment"}])
    );
    assert_eq!(customer_balance(&t, &cust).await, json!(60.0));
    // Both show up in CDC.
    let (s, _, v, _) = t
        .get(&format!(
            "cdc?entities=Invoice,CreditMemo,Payment&changedSince={}",
            urlenc(&since)
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    let groups = v["CDCResponse"][0]["QueryResponse"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ids_of = |entity: &str| -> Vec<Value> {
        groups
            .iter()
            .filter_map(|g| g[entity].as_array())
            .flatten()
            .map(|o| o["Id"].clone())
            .collect()
    };
    assert!(ids_of("Invoice").contains(&inv["Id"]));
    assert!(ids_of("CreditMemo").contains(&cm["Id"]));
    assert!(ids_of("Payment").contains(&p["Id"]));

    // Voiding the payment restores both.
    let (s, _, v, _) = t
        .post(
            "payment?operation=update&include=void",
            &json!({"Id":p["Id"],"SyncToken":"0","sparse":true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        read_obj(&t, "invoice", "Invoice", &inv["Id"]).await["Balance"],
        json!(100.0)
    );
    let cm_now = read_obj(&t, "creditmemo", "CreditMemo", &cm["Id"]).await;
    assert_eq!(cm_now["RemainingCredit"], json!(40.0));
    assert_eq!(cm_now["SyncToken"], "2");
    assert_eq!(cm_now["LinkedTxn"], json!([]));
    assert_eq!(customer_balance(&t, &cust).await, json!(100.0));

    // Money and credit together (invoice 100 = TotalAmt 75 + credit 25), then delete it.
    let (s, _, v, _) = t
        .post(
            "payment",
            &payment(
                &cust,
                75.0,
                &[
                    (&inv["Id"], "Invoice", 100.0),
                    (&cm["Id"], "CreditMemo", 25.0),
                ],
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let p2 = v["Payment"].clone();
    assert_eq!(
        read_obj(&t, "invoice", "Invoice", &inv["Id"]).await["Balance"],
        json!(0.0)
    );
    assert_eq!(
        read_obj(&t, "creditmemo", "CreditMemo", &cm["Id"]).await["RemainingCredit"],
        json!(15.0)
    );
    assert_eq!(customer_balance(&t, &cust).await, json!(0.0));
    let (s, _, v, _) = t
        .post(
            "payment?operation=delete",
            &json!({"Id":p2["Id"],"SyncToken":"0"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        read_obj(&t, "invoice", "Invoice", &inv["Id"]).await["Balance"],
        json!(100.0)
    );
    assert_eq!(
        read_obj(&t, "creditmemo", "CreditMemo", &cm["Id"]).await["RemainingCredit"],
        json!(40.0)
    );

    // Deleting an applied credit memo: the payment loses its credit line and the invoice line
    // the credit paid; the invoice is open again.
    let (s, _, v, _) = t
        .post(
            "payment",
            &payment(
                &cust,
                0.0,
                &[
                    (&inv["Id"], "Invoice", 40.0),
                    (&cm["Id"], "CreditMemo", 40.0),
                ],
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let p3 = v["Payment"].clone();
    assert_eq!(customer_balance(&t, &cust).await, json!(60.0));
    let cm_now = read_obj(&t, "creditmemo", "CreditMemo", &cm["Id"]).await;
    let (s, _, v, _) = t
        .post(
            "creditmemo?operation=delete",
            &json!({"Id":cm["Id"],"SyncToken":cm_now["SyncToken"]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let p3_now = read_obj(&t, "payment", "Payment", &p3["Id"]).await;
    assert_eq!(p3_now["Line"], json!([]));
    assert_eq!(p3_now["SyncToken"], "1");
    assert_eq!(p3_now["UnappliedAmt"], json!(0.0));
    let inv_now = read_obj(&t, "invoice", "Invoice", &inv["Id"]).await;
    assert_eq!(inv_now["Balance"], json!(100.0));
    assert_eq!(inv_now["LinkedTxn"], json!([]));
    assert_eq!(customer_balance(&t, &cust).await, json!(100.0));
    let (s, _, v, _) = t
        .get(&format!("creditmemo/{}", cm["Id"].as_str().unwrap_or("")))
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "610"));
    // A credit line naming the deleted memo: 610.
    let (s, _, v, _) = t
        .post(
            "payment",
            &payment(
                &cust,
                0.0,
                &[(&inv["Id"], "Invoice", 1.0), (&cm["Id"], "CreditMemo", 1.0)],
            ),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "610"));
    t.sb.shutdown().await;
}

#[tokio::test]
async fn zero_dollar_invoice_has_nothing_to_pay() {
    let t = T::small().await;
    let (cust, item) = payer(&t, "Zero Payer").await;
    let inv = new_txn(&t, "invoice", "Invoice", &cust, &item, &[0.0]).await;
    assert_eq!(inv["TotalAmt"], json!(0.0));
    assert_eq!(inv["Balance"], json!(0.0));
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"Line":[
                {"DetailType":"SalesItemLineDetail","Amount":25,"SalesItemLineDetail":{"ItemRef":{"value":item}}},
                {"DetailType":"SalesItemLineDetail","Amount":0,"SalesItemLineDetail":{"ItemRef":{"value":item},"Qty":0,"UnitPrice":10}},
                {"DetailType":"DiscountLineDetail","Amount":25,"DiscountLineDetail":{"PercentBased":false}}]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Invoice"]["TotalAmt"], json!(0.0));
    assert_eq!(v["Invoice"]["Balance"], json!(0.0));
    assert_eq!(customer_balance(&t, &cust).await, json!(0.0));
    let (s, _, v, _) = t
        .post(
            "payment",
            &payment(&cust, 5.0, &[(&inv["Id"], "Invoice", 5.0)]),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"));
    t.sb.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Multicurrency and sales tax.

async fn exchange_rate(t: &T, code: &str, as_of: &str) -> Resp {
    t.get(&format!(
        "exchangerate?sourcecurrencycode={code}&asofdate={as_of}"
    ))
    .await
}

#[tokio::test]
async fn multicurrency_off_refuses_foreign_currencies() {
    let t = T::small().await;
    let (s, _, v, _) = t.get("preferences").await;
    assert_eq!(s, 200);
    assert_eq!(
        v["Preferences"]["CurrencyPrefs"]["MultiCurrencyEnabled"],
        false
    );
    // EUR is in the CompanyCurrency list, but multicurrency is off.
    let (s, _, v, _) = t
        .post(
            "customer",
            &json!({"DisplayName":"Euro Too Early","CurrencyRef":{"value":"EUR"}}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"), "{v}");
    assert_eq!(
        detail(&v),
        "Business Validation Error: Multicurrency is not turned on for this company: amounts can only be in the home currency USD, not EUR."
    );
    let (cust, item) = payer(&t, "Dollar Client").await;
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"CurrencyRef":{"value":"EUR"},"Line":sales_lines(&item, &[10.0])}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"), "{v}");
    // The home currency is fine, and no exchange rate shows while multicurrency is off.
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"CurrencyRef":{"value":"usd"},"Line":sales_lines(&item, &[10.0])}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let inv = &v["Invoice"];
    assert_eq!(
        inv["CurrencyRef"],
        json!({"value":"USD","name":"United States Dollar"})
    );
    for f in ["ExchangeRate", "HomeTotalAmt", "HomeBalance"] {
        assert!(inv.get(f).is_none(), "{f}: {inv}");
    }
    // No exchange rates without multicurrency.
    let (s, _, v, _) = exchange_rate(&t, "EUR", "2030-01-01").await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"), "{v}");
    let (s, _, v, _) = t
        .post(
            "exchangerate",
            &json!({"SourceCurrencyCode":"EUR","Rate":1.1,"AsOfDate":"2030-01-01"}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"), "{v}");
    t.sb.shutdown().await;
}

#[tokio::test]
async fn multicurrency_on_exchange_rates_and_foreign_invoices() {
    let t = T::small().await;
    let admin = t.sb.admin().clone();
    let (_, seeded) = first_id(&t, "Invoice", "select * from Invoice maxresults 1").await;
    assert!(seeded.get("ExchangeRate").is_none());

    // Turned on with a sparse update of Preferences.
    let (s, _, v, _) = t
        .post(
            "preferences",
            &json!({"Id":"1","SyncToken":"0","sparse":true,"CurrencyPrefs":{"MultiCurrencyEnabled":true}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["Preferences"]["CurrencyPrefs"]["MultiCurrencyEnabled"],
        true
    );
    assert_eq!(
        v["Preferences"]["CurrencyPrefs"]["HomeCurrency"]["value"],
        "USD"
    );
    assert_eq!(v["Preferences"]["SyncToken"], "1");
    // ... and never off again.
    let (s, _, v, _) = t
        .post(
            "preferences",
            &json!({"Id":"1","SyncToken":"1","sparse":true,"CurrencyPrefs":{"MultiCurrencyEnabled":false}}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"), "{v}");
    assert_eq!(
        detail(&v),
        "Business Validation Error: Multicurrency cannot be turned off once it has been turned on."
    );
    // The admin knob is then a no-op.
    let p = admin.enable_multicurrency().expect("already on");
    assert_eq!(p["SyncToken"], "1");

    // Existing transactions are in the home currency at rate 1 (SyncToken unchanged).
    let old = read_obj(&t, "invoice", "Invoice", &seeded["Id"]).await;
    assert_eq!(old["ExchangeRate"], json!(1.0));
    assert_eq!(old["HomeTotalAmt"], old["TotalAmt"]);
    assert_eq!(old["HomeBalance"], old["Balance"]);
    assert_eq!(old["SyncToken"], seeded["SyncToken"]);

    // The ExchangeRate endpoint: the seeded rate, then rates set by date.
    let (s, _, v, _) = exchange_rate(&t, "EUR", "2030-01-01").await;
    assert_eq!(s, 200, "{v}");
    let r = &v["ExchangeRate"];
    assert_eq!(
        (
            r["SourceCurrencyCode"].clone(),
            r["TargetCurrencyCode"].clone(),
            r["Rate"].clone(),
            r["AsOfDate"].clone()
        ),
        (json!("EUR"), json!("USD"), json!(1.08), json!("2030-01-01"))
    );
    for (day, rate) in [("2030-01-01", 1.2), ("2030-06-01", 1.3)] {
        let (s, _, v, _) = t
            .post(
                "exchangerate",
                &json!({"SourceCurrencyCode":"EUR","TargetCurrencyCode":"USD","Rate":rate,"AsOfDate":day}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["ExchangeRate"]["Rate"], json!(rate));
        assert_eq!(v["ExchangeRate"]["SyncToken"], "0");
    }
    for (day, rate) in [
        ("2029-12-31", 1.08),
        ("2030-01-01", 1.2),
        ("2030-05-31", 1.2),
        ("2030-06-01", 1.3),
        ("2031-01-01", 1.3),
    ] {
        let (s, _, v, _) = exchange_rate(&t, "eur", day).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["ExchangeRate"]["Rate"], json!(rate), "{day}");
    }
    // Changing one date's rate moves its SyncToken; a stale one is refused.
    let body = json!({"SourceCurrencyCode":"EUR","Rate":1.25,"AsOfDate":"2029-01-01"});
    let (s, _, v, _) = t.post("exchangerate", &body).await;
    assert_eq!(
        (s.as_u16(), v["ExchangeRate"]["SyncToken"].clone()),
        (200, json!("0"))
    );
    let (s, _, v, _) = t
        .post(
            "exchangerate",
            &json!({"SourceCurrencyCode":"EUR","Rate":1.26,"AsOfDate":"2029-01-01","SyncToken":"0"}),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["ExchangeRate"]["SyncToken"].clone()),
        (200, json!("1"))
    );
    let (s, _, v, _) = t
        .post(
            "exchangerate",
            &json!({"SourceCurrencyCode":"EUR","Rate":1.27,"AsOfDate":"2029-01-01","SyncToken":"0"}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "5010"), "{v}");
    for (body, want) in [
        (json!({"SourceCurrencyCode":"USD","Rate":1}), "6000"),
        (json!({"SourceCurrencyCode":"EURO","Rate":1}), "2170"),
        (json!({"Rate":1}), "2020"),
        (json!({"SourceCurrencyCode":"EUR"}), "2020"),
        (json!({"SourceCurrencyCode":"EUR","Rate":0}), "6000"),
        (json!({"SourceCurrencyCode":"EUR","Rate":"x"}), "2080"),
        (
            json!({"SourceCurrencyCode":"EUR","Rate":1,"AsOfDate":"soon"}),
            "2010",
        ),
        (
            json!({"SourceCurrencyCode":"EUR","Rate":1,"TargetCurrencyCode":"CAD"}),
            "6000",
        ),
    ] {
        let (s, _, v, _) = t.post("exchangerate", &body).await;
        assert_eq!((s.as_u16(), code(&v)), (400, want), "{body} {v}");
    }
    let (s, _, v, _) = t.get("exchangerate?asofdate=2030-01-01").await;
    assert_eq!((s.as_u16(), code(&v)), (400, "2020"), "{v}");
    // The home currency is always 1.
    let (s, _, v, _) = exchange_rate(&t, "USD", "2030-01-01").await;
    assert_eq!(
        (s, v["ExchangeRate"]["Rate"].clone()),
        (StatusCode::OK, json!(1.0))
    );

    // A EUR customer; GBP is not a company currency yet.
    let (s, _, v, _) = t
        .post(
            "customer",
            &json!({"DisplayName":"Euro Client","CurrencyRef":{"value":"EUR"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let euro = v["Customer"].clone();
    assert_eq!(euro["CurrencyRef"], json!({"value":"EUR","name":"Euro"}));
    let cust = euro["Id"].as_str().unwrap_or("").to_string();
    let (s, _, v, _) = t
        .post(
            "customer",
            &json!({"DisplayName":"Pound Client","CurrencyRef":{"value":"GBP"}}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "2500"), "{v}");
    assert_eq!(detail(&v), "Invalid Reference Id : CurrencyRef");
    let (item, _) = first_id(&t, "Item", "select * from Item maxresults 1").await;

    // An invoice takes the customer's currency and the rate of its TxnDate.
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"TxnDate":"2030-03-15","Line":sales_lines(&item, &[60.0, 40.0])}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let inv = v["Invoice"].clone();
    assert_eq!(inv["CurrencyRef"], json!({"value":"EUR","name":"Euro"}));
    assert_eq!(inv["ExchangeRate"], json!(1.2));
    assert_eq!(inv["TotalAmt"], json!(100.0));
    assert_eq!(inv["HomeTotalAmt"], json!(120.0));
    assert_eq!(inv["Balance"], json!(100.0));
    assert_eq!(inv["HomeBalance"], json!(120.0));
    // The customer's Balance stays in euros.
    assert_eq!(customer_balance(&t, &cust).await, json!(100.0));
    // No TxnDate: today's rate (the seeded one).
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"Line":sales_lines(&item, &[10.0])}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["Invoice"]["ExchangeRate"].clone(),
            v["Invoice"]["HomeTotalAmt"].clone()
        ),
        (json!(1.08), json!(10.8))
    );
    // An explicit ExchangeRate is kept.
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"CurrencyRef":{"value":"EUR"},"ExchangeRate":1.5,"TxnDate":"2030-03-15","Line":sales_lines(&item, &[100.0])}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let explicit = v["Invoice"].clone();
    assert_eq!(explicit["ExchangeRate"], json!(1.5));
    assert_eq!(explicit["HomeTotalAmt"], json!(150.0));
    // ... also through a sparse update that leaves it out.
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"Id":explicit["Id"],"SyncToken":"0","sparse":true,"Line":sales_lines(&item, &[200.0])}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["Invoice"]["ExchangeRate"].clone(),
            v["Invoice"]["HomeTotalAmt"].clone()
        ),
        (json!(1.5), json!(300.0))
    );
    // Another currency than the customer's: refused.
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"CurrencyRef":{"value":"USD"},"Line":sales_lines(&item, &[10.0])}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"), "{v}");
    assert_eq!(
        detail(&v),
        "Business Validation Error: The transaction currency USD does not match the customer's currency EUR."
    );
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"ExchangeRate":-1,"Line":sales_lines(&item, &[10.0])}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"), "{v}");

    // A payment is in the customer's currency; applying it moves HomeBalance at the invoice's rate.
    let (s, _, v, _) = t
        .post(
            "payment",
            &payment(&cust, 40.0, &[(&inv["Id"], "Invoice", 40.0)]),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Payment"]["CurrencyRef"]["value"], "EUR");
    assert_eq!(v["Payment"]["ExchangeRate"], json!(1.08));
    assert!(v["Payment"].get("HomeTotalAmt").is_none(), "not in the XSD");
    let inv_now = read_obj(&t, "invoice", "Invoice", &inv["Id"]).await;
    assert_eq!(inv_now["Balance"], json!(60.0));
    assert_eq!(inv_now["HomeBalance"], json!(72.0));
    assert_eq!(inv_now["HomeTotalAmt"], json!(120.0));
    // A dollar customer's invoice cannot be paid in euros.
    let (usd_cust, _) = payer(&t, "Dollar Client").await;
    let usd_inv = new_txn(&t, "invoice", "Invoice", &usd_cust, &item, &[30.0]).await;
    assert_eq!(usd_inv["ExchangeRate"], json!(1.0));
    let mut body = payment(&usd_cust, 30.0, &[(&usd_inv["Id"], "Invoice", 30.0)]);
    body["CurrencyRef"] = json!({"value":"EUR"});
    let (s, _, v, _) = t.post("payment", &body).await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"), "{v}");

    // A customer with transactions keeps its currency; one without may change it.
    let (s, _, v, _) = t
        .post(
            "customer",
            &json!({"Id":cust,"SyncToken":euro["SyncToken"],"sparse":true,"CurrencyRef":{"value":"CAD"}}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6000"), "{v}");
    assert_eq!(
        detail(&v),
        "Business Validation Error: The currency of a customer with transactions cannot be changed (EUR to CAD)."
    );
    let (s, _, v, _) = t
        .post(
            "customer",
            &json!({"DisplayName":"Undecided","CurrencyRef":{"value":"EUR"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, _, v, _) = t
        .post(
            "customer",
            &json!({"Id":v["Customer"]["Id"],"SyncToken":"0","sparse":true,"CurrencyRef":{"value":"CAD"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["Customer"]["CurrencyRef"],
        json!({"value":"CAD","name":"Canadian Dollar"})
    );

    // A vendor's bill in Canadian dollars at a rate a QuickBooks user set.
    let rate = admin
        .set_exchange_rate("CAD", "2030-02-01", 0.8)
        .expect("admin rate");
    assert_eq!(rate["Rate"], json!(0.8));
    assert_eq!(
        admin.exchange_rate("CAD", "2030-02-15").expect("read")["Rate"],
        json!(0.8)
    );
    let (s, _, v, _) = t
        .post(
            "vendor",
            &json!({"DisplayName":"Maple Supply","CurrencyRef":{"value":"CAD"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let vendor = v["Vendor"]["Id"].clone();
    let (acct, _) = first_id(
        &t,
        "Account",
        "select * from Account where AccountType = 'Expense' maxresults 1",
    )
    .await;
    let (s, _, v, _) = t
        .post(
            "bill",
            &json!({"VendorRef":{"value":vendor},"TxnDate":"2030-02-10","Line":[
                {"DetailType":"AccountBasedExpenseLineDetail","Amount":250,"AccountBasedExpenseLineDetail":{"AccountRef":{"value":acct}}}]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let bill = &v["Bill"];
    assert_eq!(bill["CurrencyRef"]["value"], "CAD");
    assert_eq!(bill["ExchangeRate"], json!(0.8));
    assert_eq!(bill["HomeBalance"], json!(200.0));
    assert!(
        bill.get("HomeTotalAmt").is_none(),
        "Bill has HomeBalance only"
    );
    t.sb.shutdown().await;
}

#[tokio::test]
async fn multicurrency_admin_knob_over_http() {
    let t = T::new(SandboxConfig {
        seed: SeedSize::empty(),
        ..SandboxConfig::default()
    })
    .await;
    let b = t.sb.base_url();
    let r = t
        .http
        .post(format!("{b}/admin/enable_multicurrency"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["CurrencyPrefs"]["MultiCurrencyEnabled"], true);
    let r = t
        .http
        .post(format!("{b}/admin/exchange_rate"))
        .json(&json!({"code":"CHF","as_of":"2030-01-01","rate":1.15}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 200);
    let (s, _, v, _) = exchange_rate(&t, "CHF", "2030-07-01").await;
    assert_eq!(
        (s, v["ExchangeRate"]["Rate"].clone()),
        (StatusCode::OK, json!(1.15))
    );
    let r = t
        .http
        .get(format!("{b}/admin/exchange_rate?code=CHF&as_of=2030-07-01"))
        .send()
        .await
        .expect("send");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["Rate"], json!(1.15));
    t.sb.shutdown().await;
}

/// The Id of the seeded active tax code "California" (7.25 %) and its rate.
async fn california(t: &T) -> (String, String) {
    let (code, row) = first_id(
        t,
        "TaxCode",
        "select * from TaxCode where Name = 'California'",
    )
    .await;
    let rate = row["SalesTaxRateList"]["TaxRateDetail"][0]["TaxRateRef"]["value"]
        .as_str()
        .unwrap_or("")
        .to_string();
    (code, rate)
}

fn taxed_lines(item: &str, lines: &[(f64, &str)]) -> Value {
    Value::Array(
        lines
            .iter()
            .map(|(a, tc)| json!({"DetailType":"SalesItemLineDetail","Amount":a,"SalesItemLineDetail":{"ItemRef":{"value":item},"TaxCodeRef":{"value":tc}}}))
            .collect(),
    )
}

#[tokio::test]
async fn sales_tax_on_taxable_lines() {
    let t = T::small().await;
    let (tax_code, rate_id) = california(&t).await;
    let (cust, item) = payer(&t, "Tax Payer").await;
    // One taxable and one non-taxable line at 7.25 %.
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"Line":taxed_lines(&item, &[(100.0, "TAX"), (50.0, "NON")]),
                "TxnTaxDetail":{"TxnTaxCodeRef":{"value":tax_code}}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let inv = v["Invoice"].clone();
    let td = &inv["TxnTaxDetail"];
    assert_eq!(td["TxnTaxCodeRef"]["value"], json!(tax_code));
    assert_eq!(td["TotalTax"], json!(7.25));
    assert_eq!(
        td["TaxLine"],
        json!([{"Amount":7.25,"DetailType":"TaxLineDetail","TaxLineDetail":{
            "TaxRateRef":{"value":rate_id},"PercentBased":true,"TaxPercent":7.25,"NetAmountTaxable":100.0}}])
    );
    assert_eq!(inv["TotalAmt"], json!(157.25));
    assert_eq!(inv["Balance"], json!(157.25));
    assert_eq!(
        inv["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"],
        json!({"value":"TAX"})
    );
    assert_eq!(inv["Line"][2]["DetailType"], "SubTotalLineDetail");
    assert_eq!(inv["Line"][2]["Amount"], json!(150.0));
    assert_eq!(customer_balance(&t, &cust).await, json!(157.25));
    // Changing the lines (sparse, TxnTaxDetail not sent) recomputes the tax.
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"Id":inv["Id"],"SyncToken":"0","sparse":true,"Line":taxed_lines(&item, &[(200.0, "tax")])}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Invoice"]["TxnTaxDetail"]["TotalTax"], json!(14.5));
    assert_eq!(v["Invoice"]["TotalAmt"], json!(214.5));
    // Paying it in full closes it.
    let (s, _, v, _) = t
        .post(
            "payment",
            &payment(&cust, 214.5, &[(&inv["Id"], "Invoice", 214.5)]),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        read_obj(&t, "invoice", "Invoice", &inv["Id"]).await["Balance"],
        json!(0.0)
    );

    // NON lines only: no tax, even with a tax code.
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"Line":taxed_lines(&item, &[(80.0, "NON")]),
                "TxnTaxDetail":{"TxnTaxCodeRef":{"value":tax_code}}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Invoice"]["TxnTaxDetail"]["TotalTax"], json!(0.0));
    assert_eq!(v["Invoice"]["TotalAmt"], json!(80.0));
    // No TaxCodeRef, no TxnTaxDetail: untaxed as before.
    let plain = new_txn(&t, "invoice", "Invoice", &cust, &item, &[10.0]).await;
    assert!(plain.get("TxnTaxDetail").is_none());

    // The other sales forms compute it too.
    for (resource, entity) in [
        ("salesreceipt", "SalesReceipt"),
        ("estimate", "Estimate"),
        ("creditmemo", "CreditMemo"),
        ("refundreceipt", "RefundReceipt"),
    ] {
        let (s, _, v, _) = t
            .post(
                resource,
                &json!({"CustomerRef":{"value":cust},"Line":taxed_lines(&item, &[(40.0, "TAX"), (10.0, "NON")]),
                    "TxnTaxDetail":{"TxnTaxCodeRef":{"value":tax_code}}}),
            )
            .await;
        assert_eq!(s, 200, "{resource} {v}");
        assert_eq!(
            v[entity]["TxnTaxDetail"]["TotalTax"],
            json!(2.9),
            "{resource}"
        );
        assert_eq!(v[entity]["TotalAmt"], json!(52.9), "{resource}");
        if entity == "CreditMemo" {
            assert_eq!(v[entity]["RemainingCredit"], json!(52.9));
        }
    }

    // A code with two rates: one TaxLine each.
    let admin = t.sb.admin().clone();
    let (_, row) = first_id(
        &t,
        "TaxCode",
        "select * from TaxCode where Name = 'San Pablo' and Active = false",
    )
    .await;
    let pair = admin
        .create(
            "TaxCode",
            json!({"Name":"California + City","SalesTaxRateList":row["SalesTaxRateList"]}),
        )
        .expect("admin tax code");
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"Line":taxed_lines(&item, &[(100.0, "TAX")]),
                "TxnTaxDetail":{"TxnTaxCodeRef":{"value":pair["Id"]}}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let td = &v["Invoice"]["TxnTaxDetail"];
    assert_eq!(td["TaxLine"].as_array().map(Vec::len), Some(2));
    assert_eq!(td["TaxLine"][1]["TaxLineDetail"]["TaxPercent"], json!(1.5));
    assert_eq!(td["TotalTax"], json!(8.75));
    assert_eq!(v["Invoice"]["TotalAmt"], json!(108.75));

    // Voiding zeroes the tax.
    let (s, _, v, _) = t
        .post(
            "invoice?operation=void",
            &json!({"Id":v["Invoice"]["Id"],"SyncToken":"0"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Invoice"]["TxnTaxDetail"]["TotalTax"], json!(0.0));
    t.sb.shutdown().await;
}

#[tokio::test]
async fn sales_tax_codes_are_checked() {
    let t = T::small().await;
    let (tax_code, _) = california(&t).await;
    let (cust, item) = payer(&t, "Tax Checker").await;
    // A line takes TAX or NON only (US): a TaxCode Id is refused with 6100.
    for bad in [tax_code.as_str(), "XYZ"] {
        let (s, _, v, _) = t
            .post(
                "invoice",
                &json!({"CustomerRef":{"value":cust},"Line":taxed_lines(&item, &[(10.0, bad)])}),
            )
            .await;
        assert_eq!((s.as_u16(), code(&v)), (400, "6100"), "{v}");
        assert_eq!(
            v["Fault"]["Error"][0]["Message"],
            "Invalid Line TaxCode in the request"
        );
        assert_eq!(
            detail(&v),
            format!("Invalid Line TaxCode in the request : Valid line TaxCodes for US should be TAX or NON. Supplied value: {bad}.")
        );
    }
    let (s, _, v, _) = t
        .post(
            "estimate",
            &json!({"CustomerRef":{"value":cust},"Line":taxed_lines(&item, &[(10.0, "TAXX")])}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "6100"), "{v}");
    // The transaction's code must be a TaxCode of the list: 2500 unknown, 610 inactive.
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"Line":taxed_lines(&item, &[(10.0, "TAX")]),
                "TxnTaxDetail":{"TxnTaxCodeRef":{"value":"99999"}}}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "2500"), "{v}");
    assert_eq!(
        detail(&v),
        "Invalid Reference Id : TxnTaxDetail.TxnTaxCodeRef"
    );
    let (inactive, _) = first_id(&t, "TaxCode", "select * from TaxCode where Active = false").await;
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"Line":taxed_lines(&item, &[(10.0, "TAX")]),
                "TxnTaxDetail":{"TxnTaxCodeRef":{"value":inactive}}}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "610"), "{v}");
    // TAX lines without a transaction tax code owe nothing.
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"Line":taxed_lines(&item, &[(10.0, "TAX")])}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["Invoice"]["TxnTaxDetail"],
        json!({"TotalTax":0.0,"TaxLine":[]})
    );
    assert_eq!(v["Invoice"]["TotalAmt"], json!(10.0));
    t.sb.shutdown().await;
}

#[tokio::test]
async fn sales_tax_explicit_total_tax_overrides() {
    let t = T::small().await;
    let (tax_code, _) = california(&t).await;
    let (cust, item) = payer(&t, "Tax Override").await;
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"Line":taxed_lines(&item, &[(100.0, "TAX")]),
                "TxnTaxDetail":{"TxnTaxCodeRef":{"value":tax_code},"TotalTax":5}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let inv = v["Invoice"].clone();
    assert_eq!(inv["TxnTaxDetail"]["TotalTax"], json!(5.0));
    assert_eq!(
        inv["TxnTaxDetail"]["TaxLine"][0]["Amount"],
        json!(7.25),
        "computed"
    );
    assert_eq!(inv["TotalAmt"], json!(105.0));
    assert_eq!(inv["Balance"], json!(105.0));
    // The override survives a sparse update that does not touch the tax ...
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"Id":inv["Id"],"SyncToken":"0","sparse":true,"PrivateNote":"agreed tax"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Invoice"]["TxnTaxDetail"]["TotalTax"], json!(5.0));
    assert_eq!(v["Invoice"]["TotalAmt"], json!(105.0));
    // ... a new TotalTax replaces it ...
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"Id":inv["Id"],"SyncToken":"1","sparse":true,
                "TxnTaxDetail":{"TxnTaxCodeRef":{"value":tax_code},"TotalTax":6.5}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Invoice"]["TotalAmt"], json!(106.5));
    // ... and sending the code without TotalTax goes back to the computed tax.
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"Id":inv["Id"],"SyncToken":"2","sparse":true,
                "TxnTaxDetail":{"TxnTaxCodeRef":{"value":tax_code}}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Invoice"]["TxnTaxDetail"]["TotalTax"], json!(7.25));
    assert_eq!(v["Invoice"]["TotalAmt"], json!(107.25));
    // A computed tax echoed back with changed lines is recomputed, not an override.
    let mut full = v["Invoice"].clone();
    full["Line"] = taxed_lines(&item, &[(10.0, "TAX")]);
    let (s, _, v, _) = t.post("invoice", &full).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Invoice"]["TxnTaxDetail"]["TotalTax"], json!(0.73));
    assert_eq!(v["Invoice"]["TotalAmt"], json!(10.73));
    // A bad TotalTax.
    let (s, _, v, _) = t
        .post(
            "invoice",
            &json!({"CustomerRef":{"value":cust},"Line":taxed_lines(&item, &[(10.0, "TAX")]),
                "TxnTaxDetail":{"TotalTax":"lots"}}),
        )
        .await;
    assert_eq!((s.as_u16(), code(&v)), (400, "2080"), "{v}");
    t.sb.shutdown().await;
}
