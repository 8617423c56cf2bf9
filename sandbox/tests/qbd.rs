//! Drives the simulated QuickBooks Desktop company file (`qbsync_sandbox::qbd`) with real qbXML
//! documents built with the shared element tree. Every request a test expects QuickBooks to
//! accept is first checked with xmllint against the XSD of its declared version, and every
//! response is checked against the same XSD (strict output), so the reference sheet's
//! fidelity checklist (§20 items 9–25) is exercised end to end.

use qbsync_qbxml::Element;
use qbsync_sandbox::qbd::{versions_to_16, QbdCompany, QbdConfig};
use qbsync_sandbox::qbwc::host::{Hresult, QuickBooksHost};
use std::collections::HashSet;
use std::io::Write;
use std::process::{Command, Stdio};

// ---------------------------------------------------------------------------------------------
// Helpers

fn schema_root() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/quickbooks"
    ))
}

fn xsd_for(version: &str) -> std::path::PathBuf {
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major >= 14 {
        schema_root().join("qbxml-16.0/qbxmlops160.xsd")
    } else {
        schema_root().join("qbxml-13.0/qbxmlops130.xsd")
    }
}

fn xmllint(version: &str, doc: &str) -> Result<(), String> {
    let mut child = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(xsd_for(version))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("xmllint: {e}"))?;
    let input = doc.as_bytes().to_vec();
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = writer.join();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn company(customers: usize) -> QbdCompany {
    QbdCompany::seeded(QbdConfig {
        customers,
        ..QbdConfig::default()
    })
}

fn msgs(rqs: Vec<Element>) -> Element {
    let mut m = Element::new("QBXMLMsgsRq").attr("onError", "continueOnError");
    m.children = rqs;
    m
}

fn doc(version: &str, m: Element) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<?qbxml version=\"{version}\"?>\n{}",
        Element::new("QBXML").child(m).to_xml()
    )
}

/// Sends an XSD-valid message set; returns `QBXMLMsgsRs` and the raw response text, after
/// checking the text's shape and its validity against the same XSD.
fn exchange(qb: &QbdCompany, version: &str, m: Element) -> (Element, String) {
    let d = doc(version, m);
    if let Err(e) = xmllint(version, &d) {
        panic!("test request is not XSD-valid: {e}\n{d}");
    }
    let text = match qb.process(&d) {
        Ok(t) => t,
        Err(h) => panic!("QuickBooks rejected a valid request: {h:?}\n{d}"),
    };
    assert!(
        text.starts_with("<?xml version=\"1.0\" ?>\n<QBXML>\n"),
        "{text}"
    );
    assert!(!text.contains("<?qbxml"), "no qbXML PI in responses");
    assert!(!text.contains('\r'));
    if let Err(e) = xmllint(version, &text) {
        panic!(
            "response is not XSD-valid: {e}\n{}",
            &text[..text.len().min(4000)]
        );
    }
    let root = Element::parse(&text).expect("response parses");
    let rs = root.find("QBXMLMsgsRs").cloned().expect("QBXMLMsgsRs");
    (rs, text)
}

fn send(qb: &QbdCompany, rqs: Vec<Element>) -> Vec<Element> {
    exchange(qb, "13.0", msgs(rqs)).0.children
}

fn one(qb: &QbdCompany, rq: Element) -> Element {
    send(qb, vec![rq]).into_iter().next().expect("one response")
}

fn code(rs: &Element) -> &str {
    rs.get_attr("statusCode").unwrap_or("?")
}

fn severity(rs: &Element) -> &str {
    rs.get_attr("statusSeverity").unwrap_or("?")
}

fn message(rs: &Element) -> &str {
    rs.get_attr("statusMessage").unwrap_or("")
}

fn rets<'a>(rs: &'a Element, name: &'a str) -> Vec<&'a Element> {
    rs.find_all(name).collect()
}

fn text<'a>(e: &'a Element, path: &[&str]) -> &'a str {
    e.path(path).map(|x| x.text.as_str()).unwrap_or("")
}

fn cents(s: &str) -> i64 {
    let neg = s.starts_with('-');
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let v: i64 = digits.parse().unwrap_or(0);
    let v = if s.contains('.') { v } else { v * 100 };
    if neg {
        -v
    } else {
        v
    }
}

fn rq(name: &str, id: &str) -> Element {
    Element::new(name).attr("requestID", id)
}

fn r(name: &str, list_id: &str) -> Element {
    Element::new(name).leaf("ListID", list_id)
}

fn by_name(name: &str, full_name: &str) -> Element {
    Element::new(name).leaf("FullName", full_name)
}

fn parse_error() -> Hresult {
    Hresult::parse_error()
}

fn customer_ids(qb: &QbdCompany) -> Vec<String> {
    qb.admin().ids("Customer").expect("customers")
}

fn active_customer(qb: &QbdCompany) -> Element {
    let rs = one(
        qb,
        rq("CustomerQueryRq", "c")
            .leaf("MaxReturned", "1")
            .leaf("ActiveStatus", "ActiveOnly"),
    );
    rs.find("CustomerRet").cloned().expect("an active customer")
}

fn first_item(qb: &QbdCompany, kind: &str) -> Element {
    let rs = one(
        qb,
        rq(&format!("{kind}QueryRq"), "i").leaf("MaxReturned", "1"),
    );
    rs.find(&format!("{kind}Ret")).cloned().expect("an item")
}

fn invoice_add(customer: &str, lines: Vec<Element>) -> Element {
    let mut add = Element::new("InvoiceAdd").child(r("CustomerRef", customer));
    add.children.extend(lines);
    rq("InvoiceAddRq", "inv").child(add)
}

fn sales_line(item: &str, qty: &str) -> Element {
    Element::new("InvoiceLineAdd")
        .child(r("ItemRef", item))
        .leaf("Quantity", qty)
}

// ---------------------------------------------------------------------------------------------
// §20.9 invalid requests → HRESULT 0x80040400, empty response

#[test]
fn invalid_documents_are_parse_errors() {
    let qb = company(30);
    let good = rq("CustomerQueryRq", "1")
        .leaf("MaxReturned", "5")
        .leaf("ActiveStatus", "All");
    assert!(qb.process(&doc("13.0", msgs(vec![good.clone()]))).is_ok());
    let h = parse_error();
    assert_eq!(h.code, "0x80040400");
    assert_eq!(
        h.message,
        "QuickBooks found an error when parsing the provided XML text stream."
    );

    // Out-of-order elements.
    let out_of_order = rq("CustomerQueryRq", "1")
        .leaf("ActiveStatus", "All")
        .leaf("MaxReturned", "5");
    let d = doc("13.0", msgs(vec![out_of_order]));
    assert!(xmllint("13.0", &d).is_err());
    assert_eq!(qb.process(&d), Err(h.clone()));

    // Unknown element, and MaxReturned after FullName (§8).
    let unknown = rq("CustomerQueryRq", "1").leaf("Bogus", "x");
    assert_eq!(
        qb.process(&doc("13.0", msgs(vec![unknown]))),
        Err(h.clone())
    );
    let mixed = rq("CustomerQueryRq", "1")
        .leaf("FullName", "Someone")
        .leaf("MaxReturned", "5");
    assert_eq!(qb.process(&doc("13.0", msgs(vec![mixed]))), Err(h.clone()));

    // A memorized-report request does not exist in the schema (§16).
    let memorized = rq("MemorizedReportQueryRq", "1").leaf("ReportName", "Mine");
    assert_eq!(
        qb.process(&doc("13.0", msgs(vec![memorized]))),
        Err(h.clone())
    );

    // rollbackOnError: valid for the XSD, refused by QuickBooks (§7, §19).
    let rollback = Element::new("QBXMLMsgsRq")
        .attr("onError", "rollbackOnError")
        .child(good.clone());
    let d = doc("13.0", rollback);
    assert_eq!(xmllint("13.0", &d), Ok(()));
    assert_eq!(qb.process(&d), Err(h.clone()));

    // A version above what the host advertises, and no version PI at all.
    let d16 = doc("16.0", msgs(vec![good.clone()]));
    assert_eq!(xmllint("16.0", &d16), Ok(()));
    assert_eq!(qb.process(&d16), Err(h.clone()));
    let no_pi = format!(
        "<?xml version=\"1.0\"?>\n{}",
        Element::new("QBXML").child(msgs(vec![good])).to_xml()
    );
    assert_eq!(qb.process(&no_pi), Err(h.clone()));

    // Not XML at all.
    assert_eq!(
        qb.process("<?qbxml version=\"13.0\"?><QBXML><QBXMLMsgsRq"),
        Err(h.clone())
    );
    let stats = qb.admin().stats();
    assert_eq!(stats.parse_errors, 8);
    assert_eq!(stats.message_sets, 1);
}

#[test]
fn transaction_queries_reject_bare_modified_dates() {
    // §8/§20.12: transactions take ModifiedDateRangeFilter only.
    let qb = company(20);
    let bare = rq("InvoiceQueryRq", "1").leaf("FromModifiedDate", "2024-01-01T00:00:00");
    let d = doc("13.0", msgs(vec![bare]));
    assert!(xmllint("13.0", &d).is_err());
    assert_eq!(qb.process(&d), Err(parse_error()));
    let ok = rq("InvoiceQueryRq", "1").child(
        Element::new("ModifiedDateRangeFilter").leaf("FromModifiedDate", "2024-01-01T00:00:00"),
    );
    let rs = one(&qb, ok);
    assert_eq!(code(&rs), "0");
}

#[test]
fn deleted_and_report_queries_reject_iterators_and_versions_are_enforced() {
    // §20.14: no iterator attribute on deleted-object and report queries.
    let qb = company(20);
    let it = rq("ListDeletedQueryRq", "1")
        .attr("iterator", "Start")
        .leaf("ListDelType", "Customer");
    assert_eq!(qb.process(&doc("13.0", msgs(vec![it]))), Err(parse_error()));
    let rep = rq("GeneralSummaryReportQueryRq", "1")
        .attr("iterator", "Start")
        .leaf("GeneralSummaryReportType", "ProfitAndLossStandard");
    assert_eq!(
        qb.process(&doc("13.0", msgs(vec![rep]))),
        Err(parse_error())
    );
    // 16.0-only TxnDelType values fail under 13.0 and pass under 16.0 on a 16.0 host.
    let payroll = rq("TxnDeletedQueryRq", "1").leaf("TxnDelType", "PayrollLiabilityAdjustment");
    let d13 = doc("13.0", msgs(vec![payroll.clone()]));
    assert!(xmllint("13.0", &d13).is_err());
    assert_eq!(qb.process(&d13), Err(parse_error()));
    let qb16 = QbdCompany::seeded(QbdConfig {
        customers: 10,
        supported_versions: versions_to_16(),
        ..QbdConfig::default()
    });
    let (rs, _) = exchange(&qb16, "16.0", msgs(vec![payroll]));
    let first = &rs.children[0];
    assert_eq!(code(first), "1");
    assert_eq!(
        qb16.supported_versions().last().map(String::as_str),
        Some("16.0")
    );
    // 16.0 output follows the 16.0 sequences.
    let (rs, _) = exchange(
        &qb16,
        "16.0",
        msgs(vec![
            rq("CustomerQueryRq", "3")
                .leaf("MaxReturned", "5")
                .leaf("ActiveStatus", "All"),
            rq("InvoiceQueryRq", "4")
                .leaf("MaxReturned", "5")
                .leaf("IncludeLineItems", "true")
                .leaf("IncludeLinkedTxns", "true"),
            rq("ItemQueryRq", "5"),
            rq("GeneralSummaryReportQueryRq", "6")
                .leaf("GeneralSummaryReportType", "BalanceSheetStandard"),
        ]),
    );
    assert!(rs.children.iter().all(|r| code(r) == "0"));
    // The 16.0 host still answers older versions with their own XSD.
    let (rs, _) = exchange(
        &qb16,
        "13.0",
        msgs(vec![rq("CustomerQueryRq", "2").leaf("MaxReturned", "1")]),
    );
    assert_eq!(code(&rs.children[0]), "0");
}

// ---------------------------------------------------------------------------------------------
// §20.10 requestID, continueOnError / stopOnError, responseData, requestID length

#[test]
fn request_ids_are_echoed_only_when_sent_and_statuses_mix() {
    let qb = company(30);
    let cust = active_customer(&qb);
    let id = text(&cust, &["ListID"]).to_string();
    let rs = send(
        &qb,
        vec![
            rq("CustomerQueryRq", "found").leaf("ListID", id.as_str()),
            Element::new("CustomerQueryRq").leaf("FullName", "Nobody At All"),
            rq("VendorQueryRq", "none").child(
                Element::new("NameFilter")
                    .leaf("MatchCriterion", "StartsWith")
                    .leaf("Name", "zzzz"),
            ),
            rq("InvoiceAddRq", "bad")
                .child(Element::new("InvoiceAdd").child(by_name("CustomerRef", "Joe Smith"))),
            rq("EmployeeQueryRq", "after").leaf("MaxReturned", "1"),
        ],
    );
    assert_eq!(rs.len(), 5);
    assert_eq!(rs[0].get_attr("requestID"), Some("found"));
    assert_eq!(code(&rs[0]), "0");
    assert_eq!(rs[1].get_attr("requestID"), None, "absent when not sent");
    assert_eq!(code(&rs[1]), "500");
    assert_eq!(code(&rs[2]), "1");
    assert_eq!(severity(&rs[2]), "Info");
    assert_eq!(
        message(&rs[2]),
        "A query request did not find a matching object in QuickBooks"
    );
    assert_eq!(code(&rs[3]), "3140");
    assert_eq!(
        message(&rs[3]),
        "There is an invalid reference to QuickBooks Customer \"Joe Smith\" in the Invoice.  QuickBooks error message: Invalid argument.  The specified record does not exist in the list."
    );
    assert!(rs[3].children.is_empty(), "error Rs is an empty element");
    assert_eq!(code(&rs[4]), "0");

    // stopOnError: Info and Warn do not stop; the first Error does.
    let stop = Element::new("QBXMLMsgsRq")
        .attr("onError", "stopOnError")
        .child(rq("CustomerQueryRq", "1").leaf("FullName", "Nobody At All"))
        .child(
            rq("VendorQueryRq", "2").child(
                Element::new("NameFilter")
                    .leaf("MatchCriterion", "StartsWith")
                    .leaf("Name", "zzzz"),
            ),
        )
        .child(
            rq("InvoiceAddRq", "3")
                .child(Element::new("InvoiceAdd").child(by_name("CustomerRef", "Joe Smith"))),
        )
        .child(rq("EmployeeQueryRq", "4").leaf("MaxReturned", "1"));
    let (rs, _) = exchange(&qb, "13.0", stop);
    let ids: Vec<&str> = rs
        .children
        .iter()
        .filter_map(|c| c.get_attr("requestID"))
        .collect();
    assert_eq!(ids, ["1", "2", "3"]);
}

#[test]
fn response_data_none_and_long_request_ids() {
    let qb = company(20);
    let m = Element::new("QBXMLMsgsRq")
        .attr("responseData", "includeNone")
        .attr("onError", "continueOnError")
        .child(rq("CustomerQueryRq", "1").leaf("MaxReturned", "3"));
    let (rs, _) = exchange(&qb, "13.0", m);
    assert_eq!(code(&rs.children[0]), "0");
    assert!(rs.children[0].children.is_empty());
    let long = "x".repeat(51);
    let rs = one(&qb, rq("CustomerQueryRq", &long).leaf("MaxReturned", "1"));
    assert_eq!(code(&rs), "1060");
    assert_eq!(rs.get_attr("requestID"), Some(long.as_str()));
    assert_eq!(
        message(&rs),
        format!("The request ID \"{long}\" is invalid, possibly too long, max 50 chars.")
    );
}

// ---------------------------------------------------------------------------------------------
// §20.11 ActiveStatus, §20.15 codes 1 and 500

#[test]
fn active_status_defaults_to_active_only() {
    let qb = company(40);
    let count = |status: Option<&str>| {
        let mut q = rq("CustomerQueryRq", "1");
        if let Some(s) = status {
            q = q.leaf("ActiveStatus", s);
        }
        let rs = one(&qb, q);
        rets(&rs, "CustomerRet")
            .iter()
            .map(|c| text(c, &["IsActive"]).to_string())
            .collect::<Vec<_>>()
    };
    let default = count(None);
    let active = count(Some("ActiveOnly"));
    let inactive = count(Some("InactiveOnly"));
    let all = count(Some("All"));
    assert_eq!(default, active);
    assert!(default.iter().all(|a| a == "true"));
    assert!(!inactive.is_empty() && inactive.iter().all(|a| a == "false"));
    assert_eq!(all.len(), active.len() + inactive.len());
    assert_eq!(all.len(), customer_ids(&qb).len());

    // Deactivating is not deleting: the record stays, found with All / by ListID.
    let cust = active_customer(&qb);
    let id = text(&cust, &["ListID"]).to_string();
    qb.admin().deactivate("Customer", &id).expect("deactivate");
    let rs = one(&qb, rq("CustomerQueryRq", "1").leaf("ListID", id.as_str()));
    assert_eq!(text(&rs.children[0], &["IsActive"]), "false");
    let deleted = one(
        &qb,
        rq("ListDeletedQueryRq", "2").leaf("ListDelType", "Customer"),
    );
    assert!(rets(&deleted, "ListDeletedRet")
        .iter()
        .all(|d| text(d, &["ListID"]) != id));
}

#[test]
fn missing_list_ids_give_500_warn_with_what_was_found() {
    let qb = company(20);
    let id = text(&active_customer(&qb), &["ListID"]).to_string();
    let rs = one(
        &qb,
        rq("CustomerQueryRq", "1")
            .leaf("ListID", id.as_str())
            .leaf("ListID", "80FFFFFF-1405768916"),
    );
    assert_eq!(code(&rs), "500");
    assert_eq!(severity(&rs), "Warn");
    assert_eq!(
        message(&rs),
        "The query request has not been fully completed. There was a required element (\"80FFFFFF-1405768916\") that could not be found in QuickBooks."
    );
    assert_eq!(rets(&rs, "CustomerRet").len(), 1);
    let rs = one(
        &qb,
        rq("InvoiceQueryRq", "2").leaf("TxnID", "FFFF-1405768916"),
    );
    assert_eq!(code(&rs), "500");
    let rs = one(&qb, rq("InvoiceQueryRq", "3").leaf("RefNumber", "NO-SUCH"));
    assert_eq!(code(&rs), "1");
}

// ---------------------------------------------------------------------------------------------
// §20.12 modified-date windows, §20.17 IDs and times

#[test]
fn modified_date_windows_for_lists_and_transactions() {
    let qb = company(40);
    let admin = qb.admin();
    let t0 = admin.now();
    admin.advance_clock(7_200);
    let cust = text(&active_customer(&qb), &["ListID"]).to_string();
    admin
        .modify(
            "Customer",
            &cust,
            Element::new("Mod").leaf("Phone", "555-0000"),
        )
        .expect("user edit");
    let inv = admin.ids("Invoice").expect("invoices")[3].clone();
    admin
        .modify(
            "Invoice",
            &inv,
            Element::new("Mod").leaf("Memo", "Edited by a user"),
        )
        .expect("user edit");
    let window_start = admin.format_time(t0 + 3_600);
    // Offset-less local time reads the same as the offset QuickBooks itself writes.
    let local = window_start[..19].to_string();
    for from in [window_start.as_str(), local.as_str()] {
        let rs = one(
            &qb,
            rq("CustomerQueryRq", "1")
                .leaf("ActiveStatus", "All")
                .leaf("FromModifiedDate", from),
        );
        let ids: Vec<&str> = rets(&rs, "CustomerRet")
            .iter()
            .map(|c| text(c, &["ListID"]))
            .collect();
        assert_eq!(ids, [cust.as_str()]);
        let rs = one(
            &qb,
            rq("InvoiceQueryRq", "2")
                .child(Element::new("ModifiedDateRangeFilter").leaf("FromModifiedDate", from)),
        );
        let ids: Vec<&str> = rets(&rs, "InvoiceRet")
            .iter()
            .map(|c| text(c, &["TxnID"]))
            .collect();
        assert_eq!(ids, [inv.as_str()]);
    }
    let rs = one(
        &qb,
        rq("CustomerQueryRq", "3")
            .leaf("ActiveStatus", "All")
            .leaf("ToModifiedDate", local.as_str()),
    );
    assert!(rets(&rs, "CustomerRet")
        .iter()
        .all(|c| text(c, &["ListID"]) != cust));
    assert_eq!(rets(&rs, "CustomerRet").len(), customer_ids(&qb).len() - 1);
}

#[test]
fn ids_and_times_have_quickbooks_shapes() {
    let qb = company(30);
    let rs = one(&qb, rq("CustomerQueryRq", "1").leaf("ActiveStatus", "All"));
    for c in rets(&rs, "CustomerRet") {
        let id = text(c, &["ListID"]);
        let (hex, secs) = id.split_once('-').expect("ListID has a dash");
        assert!(
            hex.len() == 8 && hex.starts_with('8') && hex.chars().all(|x| x.is_ascii_hexdigit()),
            "{id}"
        );
        assert!(secs.parse::<i64>().is_ok(), "{id}");
        // Standard offset all year, including summer (§10).
        assert!(text(c, &["TimeCreated"]).ends_with("-05:00"));
        assert!(text(c, &["TimeModified"]).ends_with("-05:00"));
        assert!(text(c, &["EditSequence"]).len() <= 16);
    }
    let rs = one(
        &qb,
        rq("InvoiceQueryRq", "2")
            .leaf("MaxReturned", "20")
            .leaf("IncludeLineItems", "true"),
    );
    for i in rets(&rs, "InvoiceRet") {
        let id = text(i, &["TxnID"]);
        let (hex, secs) = id.split_once('-').expect("TxnID has a dash");
        assert!(
            hex.len() < 8 && hex.chars().all(|x| x.is_ascii_hexdigit()),
            "{id}"
        );
        assert!(secs.parse::<i64>().is_ok());
        for l in i.find_all("InvoiceLineRet") {
            assert!(text(l, &["TxnLineID"]).contains('-'));
        }
    }
    assert!(qb.admin().now_text().ends_with("-05:00"));
}

// ---------------------------------------------------------------------------------------------
// §20.13 iterators

#[test]
fn iterators_page_through_everything_once() {
    let qb = company(120);
    let total = customer_ids(&qb).len();
    let criteria = |it: &str, id: Option<&str>| {
        let mut q = rq("CustomerQueryRq", "7").attr("iterator", it);
        if let Some(id) = id {
            q = q.attr("iteratorID", id);
        }
        q.leaf("MaxReturned", "50")
            .leaf("ActiveStatus", "All")
            .leaf("FromModifiedDate", "2000-01-01T00:00:00")
            .leaf("OwnerID", "0")
    };
    let first = one(&qb, criteria("Start", None));
    assert_eq!(code(&first), "0");
    let iter_id = first
        .get_attr("iteratorID")
        .expect("iteratorID")
        .to_string();
    assert!(iter_id.starts_with('{') && iter_id.ends_with('}') && iter_id.len() == 38);
    assert_eq!(first.get_attr("retCount"), Some("50"));
    let mut remaining: usize = first
        .get_attr("iteratorRemainingCount")
        .and_then(|r| r.parse().ok())
        .expect("remaining");
    assert_eq!(remaining, total - 50);
    let mut seen: HashSet<String> = rets(&first, "CustomerRet")
        .iter()
        .map(|c| text(c, &["ListID"]).to_string())
        .collect();
    let mut pages = 1;
    while remaining > 0 {
        let page = one(&qb, criteria("Continue", Some(&iter_id)));
        assert_eq!(code(&page), "0");
        assert_eq!(page.get_attr("iteratorID"), Some(iter_id.as_str()));
        let got = rets(&page, "CustomerRet");
        assert_eq!(
            page.get_attr("retCount"),
            Some(got.len().to_string().as_str())
        );
        for c in got {
            assert!(
                seen.insert(text(c, &["ListID"]).to_string()),
                "no duplicates"
            );
        }
        remaining = page
            .get_attr("iteratorRemainingCount")
            .and_then(|r| r.parse().ok())
            .expect("remaining");
        pages += 1;
    }
    assert_eq!(seen.len(), total);
    assert_eq!(pages, total.div_ceil(50));
    // The finished iterator is gone.
    let after = one(&qb, criteria("Continue", Some(&iter_id)));
    assert_eq!(code(&after), "3391");
    assert_eq!(
        message(&after),
        format!("The iteratorID \"{iter_id}\" is not valid.")
    );
}

#[test]
fn iterator_continue_needs_the_same_criteria_and_dies_with_the_session() {
    let qb = company(60);
    let start = one(
        &qb,
        rq("InvoiceQueryRq", "1")
            .attr("iterator", "Start")
            .leaf("MaxReturned", "25")
            .leaf("IncludeLineItems", "true"),
    );
    let id = start.get_attr("iteratorID").expect("id").to_string();
    assert!(start
        .find("InvoiceRet")
        .and_then(|i| i.find("InvoiceLineRet"))
        .is_some());
    let changed = one(
        &qb,
        rq("InvoiceQueryRq", "2")
            .attr("iterator", "Continue")
            .attr("iteratorID", id.as_str())
            .leaf("MaxReturned", "25"),
    );
    assert_eq!(code(&changed), "3391");
    assert_eq!(severity(&changed), "Error");
    let same = one(
        &qb,
        rq("InvoiceQueryRq", "3")
            .attr("iterator", "Continue")
            .attr("iteratorID", id.as_str())
            .leaf("MaxReturned", "25")
            .leaf("IncludeLineItems", "true"),
    );
    assert_eq!(code(&same), "0");
    assert_eq!(rets(&same, "InvoiceRet").len(), 25);
    let stopped = one(
        &qb,
        rq("InvoiceQueryRq", "4")
            .attr("iterator", "Stop")
            .attr("iteratorID", id.as_str())
            .leaf("MaxReturned", "25")
            .leaf("IncludeLineItems", "true"),
    );
    assert_eq!(code(&stopped), "0");
    assert_eq!(qb.admin().stats().iterators, 0);
    // Iterators do not survive the session.
    let start = one(
        &qb,
        rq("VendorQueryRq", "5")
            .attr("iterator", "Start")
            .leaf("MaxReturned", "2"),
    );
    let vid = start.get_attr("iteratorID").expect("id").to_string();
    assert_eq!(qb.admin().stats().iterators, 1);
    qb.end_session();
    let dead = one(
        &qb,
        rq("VendorQueryRq", "6")
            .attr("iterator", "Continue")
            .attr("iteratorID", vid.as_str())
            .leaf("MaxReturned", "2"),
    );
    assert_eq!(code(&dead), "3391");
    // Start without MaxReturned returns everything in one page (§19).
    let all = one(
        &qb,
        rq("VendorQueryRq", "7")
            .attr("iterator", "Start")
            .leaf("ActiveStatus", "All"),
    );
    assert_eq!(all.get_attr("iteratorRemainingCount"), Some("0"));
    assert_eq!(
        rets(&all, "VendorRet").len(),
        qb.admin().count("Vendor").unwrap_or(0)
    );
}

// ---------------------------------------------------------------------------------------------
// §20.16, §20.18, §20.19 writes and their status codes

#[test]
fn add_and_mod_issue_new_edit_sequences_and_stale_ones_fail_3200() {
    let qb = company(20);
    let add = one(
        &qb,
        rq("CustomerAddRq", "1").child(
            Element::new("CustomerAdd")
                .leaf("Name", "Acme Hardware")
                .leaf("CompanyName", "Acme Hardware Inc"),
        ),
    );
    assert_eq!(code(&add), "0");
    let ret = add.find("CustomerRet").expect("ret");
    let id = text(ret, &["ListID"]).to_string();
    let es1 = text(ret, &["EditSequence"]).to_string();
    assert_eq!(text(ret, &["FullName"]), "Acme Hardware");
    assert_eq!(text(ret, &["Balance"]), "0.00");
    let modify = |es: &str, company: &str, rid: &str| {
        rq("CustomerModRq", rid).child(
            Element::new("CustomerMod")
                .leaf("ListID", id.as_str())
                .leaf("EditSequence", es)
                .leaf("CompanyName", company),
        )
    };
    let m1 = one(&qb, modify(&es1, "Globex Supply LLC", "2"));
    let es2 = text(&m1.children[0], &["EditSequence"]).to_string();
    let m2 = one(&qb, modify(&es2, "Globex Supply 2", "3"));
    let es3 = text(&m2.children[0], &["EditSequence"]).to_string();
    let n = |s: &str| s.parse::<i64>().unwrap_or(0);
    assert!(
        n(&es1) < n(&es2) && n(&es2) < n(&es3),
        "strictly increasing within a second"
    );
    let (rs, raw) = exchange(&qb, "13.0", msgs(vec![modify(&es1, "Stale", "8")]));
    let stale = &rs.children[0];
    assert_eq!(code(stale), "3200");
    assert_eq!(severity(stale), "Error");
    assert_eq!(
        message(stale),
        format!("The provided edit sequence \"{es1}\" is out-of-date. ")
    );
    assert!(raw.contains(&format!(
        "<CustomerModRs requestID=\"8\" statusCode=\"3200\" statusSeverity=\"Error\" statusMessage=\"The provided edit sequence &quot;{es1}&quot; is out-of-date. \" />"
    )));
    // A user edit behind the agent's back also moves the EditSequence.
    qb.admin()
        .modify(
            "Customer",
            &id,
            Element::new("Mod").leaf("Phone", "555-1111"),
        )
        .expect("edit");
    let rs = one(&qb, modify(&es3, "Too Late", "9"));
    assert_eq!(code(&rs), "3200");
}

#[test]
fn duplicate_names_missing_targets_and_invalid_references() {
    let qb = company(20);
    let cust = active_customer(&qb);
    let name = text(&cust, &["Name"]).to_string();
    // 3100: customers and vendors share one name list.
    let dup = one(
        &qb,
        rq("VendorAddRq", "1").child(Element::new("VendorAdd").leaf("Name", name.as_str())),
    );
    assert_eq!(code(&dup), "3100");
    assert_eq!(
        message(&dup),
        format!("The name \"{name}\" of the list element is already in use.")
    );
    // 3120: Mod of an object that does not exist.
    let missing = one(
        &qb,
        rq("CustomerModRq", "2").child(
            Element::new("CustomerMod")
                .leaf("ListID", "8000001B-1405768916")
                .leaf("EditSequence", "1405768916")
                .leaf("Phone", "1"),
        ),
    );
    assert_eq!(code(&missing), "3120");
    assert_eq!(
        message(&missing),
        "Object \"8000001B-1405768916\" specified in the request cannot be found.  QuickBooks error message: Invalid argument.  The specified record does not exist in the list."
    );
    // 3140, line form.
    let line = one(
        &qb,
        rq("SalesOrderAddRq", "3").child(
            Element::new("SalesOrderAdd")
                .child(r("CustomerRef", text(&cust, &["ListID"])))
                .child(
                    Element::new("SalesOrderLineAdd")
                        .child(by_name("ItemRef", "Shipping Item - QuickBooks Inte"))
                        .leaf("Quantity", "1"),
                ),
        ),
    );
    assert_eq!(code(&line), "3140");
    assert_eq!(
        message(&line),
        "There is an invalid reference to QuickBooks Item \"Shipping Item - QuickBooks Inte\" in the SalesOrder line.  QuickBooks error message: Invalid argument.  The specified record does not exist in the list."
    );
    // Hierarchical names: a job under the customer.
    let job = one(
        &qb,
        rq("CustomerAddRq", "4").child(
            Element::new("CustomerAdd")
                .leaf("Name", "Bathroom")
                .child(r("ParentRef", text(&cust, &["ListID"]))),
        ),
    );
    assert_eq!(code(&job), "0");
    let j = job.find("CustomerRet").expect("job");
    assert_eq!(text(j, &["FullName"]), format!("{name}:Bathroom"));
    assert_eq!(text(j, &["Sublevel"]), "1");
}

#[test]
fn injected_lock_feature_and_permission_codes() {
    let qb = company(20);
    let cust = active_customer(&qb);
    let id = text(&cust, &["ListID"]).to_string();
    let es = text(&cust, &["EditSequence"]).to_string();
    let m = || {
        rq("CustomerModRq", "1").child(
            Element::new("CustomerMod")
                .leaf("ListID", id.as_str())
                .leaf("EditSequence", es.as_str())
                .leaf("Phone", "555-2222"),
        )
    };
    for c in [3170u32, 3175, 3176, 3180, 3250, 3260] {
        qb.admin().fail_next_write(c);
        // A query in the same message set does not consume the fault.
        let rs = send(
            &qb,
            vec![rq("CustomerQueryRq", "q").leaf("MaxReturned", "1"), m()],
        );
        assert_eq!(code(&rs[0]), "0");
        assert_eq!(code(&rs[1]), c.to_string());
        assert_eq!(severity(&rs[1]), "Error");
        assert!(rs[1].children.is_empty());
    }
    assert!(message(&one(&qb, {
        qb.admin().fail_next_write(3250);
        m()
    }))
    .starts_with("This feature is not enabled"));
    let ok = one(&qb, m());
    assert_eq!(code(&ok), "0", "the fault is consumed by one write");
}

// ---------------------------------------------------------------------------------------------
// §20.20 IncludeRetElement, §20.21 order and amounts

#[test]
fn include_ret_element_returns_partial_rets() {
    let qb = company(20);
    let rs = one(
        &qb,
        rq("CustomerQueryRq", "1")
            .leaf("MaxReturned", "3")
            .leaf("IncludeRetElement", "EditSequence")
            .leaf("IncludeRetElement", "ListID"),
    );
    for c in rets(&rs, "CustomerRet") {
        let names: Vec<&str> = c.children.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(
            names,
            ["ListID", "EditSequence"],
            "XSD order whatever the request order"
        );
    }
    let add = one(
        &qb,
        rq("VendorAddRq", "2")
            .child(
                Element::new("VendorAdd")
                    .leaf("Name", "Partial Vendor")
                    .leaf("CompanyName", "PV"),
            )
            .leaf("IncludeRetElement", "ListID")
            .leaf("IncludeRetElement", "EditSequence"),
    );
    let v = add.find("VendorRet").expect("ret");
    assert_eq!(v.children.len(), 2);
    let id = text(v, &["ListID"]).to_string();
    let es = text(v, &["EditSequence"]).to_string();
    let m = one(
        &qb,
        rq("VendorModRq", "3")
            .child(
                Element::new("VendorMod")
                    .leaf("ListID", id.as_str())
                    .leaf("EditSequence", es.as_str())
                    .leaf("CompanyName", "PV2"),
            )
            .leaf("IncludeRetElement", "EditSequence"),
    );
    let v = m.find("VendorRet").expect("ret");
    assert_eq!(v.children.len(), 1);
    assert_ne!(text(v, &["EditSequence"]), es);
    // Fields not returned were not cleared.
    let full = qb.admin().get(&id).expect("vendor");
    assert_eq!(text(&full, &["CompanyName"]), "PV2");
    assert_eq!(text(&full, &["Name"]), "Partial Vendor");
}

#[test]
fn amounts_have_two_decimals_and_lines_compute() {
    let qb = company(20);
    let cust = text(&active_customer(&qb), &["ListID"]).to_string();
    let item = first_item(&qb, "ItemService");
    let price = text(&item, &["SalesOrPurchase", "Price"]).to_string();
    let rs = one(
        &qb,
        invoice_add(
            &cust,
            vec![
                sales_line(text(&item, &["ListID"]), "3"),
                Element::new("InvoiceLineAdd")
                    .child(r("ItemRef", text(&item, &["ListID"])))
                    .leaf("Desc", "Flat fee")
                    .leaf("Amount", "10"),
            ],
        ),
    );
    assert_eq!(code(&rs), "0");
    let inv = rs.find("InvoiceRet").expect("invoice");
    let lines = rets(inv, "InvoiceLineRet");
    assert_eq!(lines.len(), 2);
    assert_eq!(text(lines[0], &["Rate"]), price);
    assert_eq!(cents(text(lines[0], &["Amount"])), 3 * cents(&price));
    assert_eq!(text(lines[1], &["Amount"]), "10.00");
    let subtotal = 3 * cents(&price) + 1000;
    assert_eq!(cents(text(inv, &["Subtotal"])), subtotal);
    assert_eq!(cents(text(inv, &["BalanceRemaining"])), subtotal);
    assert_eq!(text(inv, &["IsPaid"]), "false");
    for amt in ["Subtotal", "BalanceRemaining", "AppliedAmount"] {
        let v = text(inv, &[amt]);
        assert_eq!(v.split('.').nth(1).map(str::len), Some(2), "{amt} = {v}");
    }
    assert!(
        text(inv, &["RefNumber"]).parse::<u64>().is_ok(),
        "QuickBooks numbers invoices"
    );
}

// ---------------------------------------------------------------------------------------------
// Payments, line mods, void/delete (§12, §13, §20.22)

#[test]
fn receive_payment_pays_invoices_and_links_them() {
    let qb = company(20);
    let cust = text(&active_customer(&qb), &["ListID"]).to_string();
    let item = first_item(&qb, "ItemService");
    let inv = one(
        &qb,
        invoice_add(&cust, vec![sales_line(text(&item, &["ListID"]), "2")]),
    );
    let inv = inv.find("InvoiceRet").expect("invoice").clone();
    let txn = text(&inv, &["TxnID"]).to_string();
    let total = cents(text(&inv, &["Subtotal"]));
    let es_before = text(&inv, &["EditSequence"]).to_string();
    let fmt = |c: i64| format!("{}.{:02}", c / 100, c % 100);
    let pay = |amount: i64, rid: &str| {
        rq("ReceivePaymentAddRq", rid).child(
            Element::new("ReceivePaymentAdd")
                .child(r("CustomerRef", &cust))
                .leaf("TotalAmount", fmt(amount))
                .child(
                    Element::new("AppliedToTxnAdd")
                        .leaf("TxnID", txn.as_str())
                        .leaf("PaymentAmount", fmt(amount)),
                ),
        )
    };
    let over = one(&qb, pay(total + 1, "1"));
    assert_eq!(code(&over), "3210");
    assert_eq!(
        message(&over),
        format!("The \"AppliedToTxnAdd payment amount\" field has an invalid value \"{}\".  QuickBooks error message: You cannot pay more than the amount due.", fmt(total + 1))
    );
    let half = one(&qb, pay(total / 2, "2"));
    assert_eq!(code(&half), "0");
    let p = half.find("ReceivePaymentRet").expect("payment");
    assert_eq!(text(p, &["AppliedToTxnRet", "TxnType"]), "Invoice");
    assert_eq!(text(p, &["UnusedPayment"]), "0.00");
    let q = |rid: &str| {
        one(
            &qb,
            rq("InvoiceQueryRq", rid)
                .leaf("TxnID", txn.as_str())
                .leaf("IncludeLinkedTxns", "true"),
        )
    };
    let after_half = q("3");
    let i = after_half.find("InvoiceRet").expect("invoice");
    assert_eq!(cents(text(i, &["BalanceRemaining"])), total - total / 2);
    assert_eq!(cents(text(i, &["AppliedAmount"])), -(total / 2));
    assert_eq!(text(i, &["IsPaid"]), "false");
    assert_ne!(
        text(i, &["EditSequence"]),
        es_before,
        "payment re-stamps the invoice"
    );
    let link = i.find("LinkedTxn").expect("linked payment");
    assert_eq!(text(link, &["TxnType"]), "ReceivePayment");
    assert_eq!(cents(text(link, &["Amount"])), -(total / 2));
    assert!(
        i.find("InvoiceLineRet").is_none(),
        "no lines without IncludeLineItems"
    );
    let rest = one(&qb, pay(total - total / 2, "4"));
    assert_eq!(code(&rest), "0");
    let paid = q("5");
    let i = paid.find("InvoiceRet").expect("invoice");
    assert_eq!(text(i, &["BalanceRemaining"]), "0.00");
    assert_eq!(text(i, &["IsPaid"]), "true");
    assert_eq!(rets(i, "LinkedTxn").len(), 2);
    let open = one(
        &qb,
        rq("InvoiceQueryRq", "6").leaf("PaidStatus", "NotPaidOnly"),
    );
    assert!(rets(&open, "InvoiceRet")
        .iter()
        .all(|x| text(x, &["TxnID"]) != txn));
}

#[test]
fn line_mods_add_with_minus_one_and_drop_unsent_lines() {
    let qb = company(20);
    let cust = text(&active_customer(&qb), &["ListID"]).to_string();
    let item = first_item(&qb, "ItemService");
    let item_id = text(&item, &["ListID"]).to_string();
    let add = one(
        &qb,
        invoice_add(
            &cust,
            vec![
                sales_line(&item_id, "1"),
                sales_line(&item_id, "2"),
                sales_line(&item_id, "3"),
            ],
        ),
    );
    let inv = add.find("InvoiceRet").expect("invoice");
    let txn = text(inv, &["TxnID"]).to_string();
    let es = text(inv, &["EditSequence"]).to_string();
    let first_line = text(rets(inv, "InvoiceLineRet")[0], &["TxnLineID"]).to_string();
    let m = one(
        &qb,
        rq("InvoiceModRq", "1").child(
            Element::new("InvoiceMod")
                .leaf("TxnID", txn.as_str())
                .leaf("EditSequence", es.as_str())
                .leaf("Memo", "Revised")
                .child(
                    Element::new("InvoiceLineMod")
                        .leaf("TxnLineID", first_line.as_str())
                        .leaf("Quantity", "5"),
                )
                .child(
                    Element::new("InvoiceLineMod")
                        .leaf("TxnLineID", "-1")
                        .child(r("ItemRef", &item_id))
                        .leaf("Desc", "Added line")
                        .leaf("Amount", "12.34"),
                ),
        ),
    );
    assert_eq!(code(&m), "0");
    let inv = m.find("InvoiceRet").expect("invoice");
    let lines = rets(inv, "InvoiceLineRet");
    assert_eq!(lines.len(), 2, "the two lines not sent were removed");
    assert_eq!(text(lines[0], &["TxnLineID"]), first_line);
    assert_eq!(text(lines[0], &["Quantity"]), "5");
    assert_ne!(text(lines[1], &["TxnLineID"]), "-1");
    assert_eq!(text(lines[1], &["Amount"]), "12.34");
    assert_eq!(text(inv, &["Memo"]), "Revised");
    let price = cents(text(&item, &["SalesOrPurchase", "Price"]));
    assert_eq!(cents(text(inv, &["Subtotal"])), 5 * price + 1234);
}

#[test]
fn void_keeps_delete_removes_and_both_are_logged_correctly() {
    let qb = company(20);
    let cust = text(&active_customer(&qb), &["ListID"]).to_string();
    let item = text(&first_item(&qb, "ItemService"), &["ListID"]).to_string();
    let a = one(&qb, invoice_add(&cust, vec![sales_line(&item, "2")]));
    let a_id = text(&a.children[0], &["TxnID"]).to_string();
    let b = one(&qb, invoice_add(&cust, vec![sales_line(&item, "1")]));
    let b_id = text(&b.children[0], &["TxnID"]).to_string();
    let b_ref = text(&b.children[0], &["RefNumber"]).to_string();
    let before = qb.admin().now();
    let rs = send(
        &qb,
        vec![
            rq("TxnVoidRq", "9")
                .leaf("TxnVoidType", "Invoice")
                .leaf("TxnID", a_id.as_str()),
            rq("TxnDelRq", "10")
                .leaf("TxnDelType", "Invoice")
                .leaf("TxnID", b_id.as_str()),
            rq("TxnVoidRq", "11")
                .leaf("TxnVoidType", "Invoice")
                .leaf("TxnID", "FFFF-1"),
        ],
    );
    assert_eq!(code(&rs[0]), "0");
    assert_eq!(text(&rs[0], &["TxnVoidType"]), "Invoice");
    assert_eq!(text(&rs[0], &["TxnID"]), a_id);
    assert_eq!(code(&rs[1]), "0");
    assert_eq!(text(&rs[1], &["TxnDelType"]), "Invoice");
    assert_eq!(text(&rs[1], &["RefNumber"]), b_ref);
    assert_eq!(code(&rs[2]), "3120");
    let voided = one(
        &qb,
        rq("InvoiceQueryRq", "1")
            .leaf("TxnID", a_id.as_str())
            .leaf("IncludeLineItems", "true"),
    );
    let v = voided.find("InvoiceRet").expect("void keeps the invoice");
    assert_eq!(text(v, &["Subtotal"]), "0.00");
    assert!(rets(v, "InvoiceLineRet")
        .iter()
        .all(|l| text(l, &["Amount"]) == "0.00"));
    assert!(text(v, &["Memo"]).starts_with("VOID"));
    let gone = one(&qb, rq("InvoiceQueryRq", "2").leaf("TxnID", b_id.as_str()));
    assert_eq!(code(&gone), "500");
    let del = one(
        &qb,
        rq("TxnDeletedQueryRq", "3")
            .leaf("TxnDelType", "Invoice")
            .child(Element::new("DeletedDateRangeFilter").leaf(
                "FromDeletedDate",
                qb.admin().format_time(before - 1).as_str(),
            )),
    );
    let rows = rets(&del, "TxnDeletedRet");
    assert_eq!(rows.len(), 1);
    let names: Vec<&str> = rows[0].children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "TxnDelType",
            "TxnID",
            "TimeCreated",
            "TimeDeleted",
            "RefNumber"
        ]
    );
    assert_eq!(text(rows[0], &["TxnID"]), b_id);
    assert_eq!(del.get_attr("retCount"), Some("1"));
    assert!(del.get_attr("iteratorID").is_none());

    // ListDelRq: an unused record goes to ListDeletedQuery; a used one is refused.
    let v = one(
        &qb,
        rq("VendorAddRq", "4").child(Element::new("VendorAdd").leaf("Name", "Short Lived Vendor")),
    );
    let vid = text(&v.children[0], &["ListID"]).to_string();
    let rs = send(
        &qb,
        vec![
            rq("ListDelRq", "11")
                .leaf("ListDelType", "Vendor")
                .leaf("ListID", vid.as_str()),
            rq("ListDelRq", "12")
                .leaf("ListDelType", "Customer")
                .leaf("ListID", cust.as_str()),
        ],
    );
    assert_eq!(code(&rs[0]), "0");
    assert_eq!(text(&rs[0], &["FullName"]), "Short Lived Vendor");
    assert_eq!(code(&rs[1]), "3180");
    let ld = one(
        &qb,
        rq("ListDeletedQueryRq", "5")
            .leaf("ListDelType", "Vendor")
            .leaf("ListDelType", "Customer"),
    );
    let rows = rets(&ld, "ListDeletedRet");
    let v = rows
        .iter()
        .find(|r| text(r, &["ListID"]) == vid)
        .expect("logged");
    let names: Vec<&str> = v.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ListDelType",
            "ListID",
            "TimeCreated",
            "TimeDeleted",
            "FullName"
        ]
    );
    assert!(
        rows.iter().any(|r| text(r, &["ListDelType"]) == "Customer"),
        "seeded deletions"
    );
    let none = one(
        &qb,
        rq("ListDeletedQueryRq", "6").leaf("ListDelType", "Employee"),
    );
    assert_eq!(code(&none), "1");
}

// ---------------------------------------------------------------------------------------------
// §20.23 error recovery

#[test]
fn error_recovery_remembers_checks_replays_and_forgets() {
    let qb = company(20);
    let add =
        |name: &str| rq("CustomerAddRq", "7").child(Element::new("CustomerAdd").leaf("Name", name));
    let with_ids = |old: Option<&str>, new: Option<&str>, rqs: Vec<Element>| {
        let mut m = Element::new("QBXMLMsgsRq");
        if let Some(o) = old {
            m = m.attr("oldMessageSetID", o);
        }
        if let Some(n) = new {
            m = m.attr("newMessageSetID", n);
        }
        m = m.attr("onError", "continueOnError");
        m.children = rqs;
        m
    };
    let before = qb.admin().count("Customer").unwrap_or(0);
    let (rs, _) = exchange(
        &qb,
        "13.0",
        with_ids(None, Some("SYNC-000042"), vec![add("Recovered Customer")]),
    );
    assert_eq!(rs.get_attr("newMessageSetID"), Some("SYNC-000042"));
    assert_eq!(rs.get_attr("messageSetStatusCode"), Some("0"));
    let first = rs.children[0].clone();
    let er = first.find("ErrorRecovery").expect("ErrorRecovery");
    let id = text(first.find("CustomerRet").expect("ret"), &["ListID"]).to_string();
    assert_eq!(text(er, &["ListID"]), id);
    assert!(!text(er, &["EditSequence"]).is_empty());

    // Status check: old = new, no requests → the stored outcome.
    let (rs, _) = exchange(
        &qb,
        "13.0",
        with_ids(Some("SYNC-000042"), Some("SYNC-000042"), vec![]),
    );
    assert_eq!(rs.get_attr("messageSetStatusCode"), Some("0"));
    assert_eq!(rs.children, vec![first.clone()]);
    // Identical resend: replayed, not applied twice.
    let (rs, _) = exchange(
        &qb,
        "13.0",
        with_ids(None, Some("SYNC-000042"), vec![add("Recovered Customer")]),
    );
    assert_eq!(rs.children, vec![first.clone()]);
    assert_eq!(qb.admin().count("Customer").unwrap_or(0), before + 1);
    // Same ID, different body → 9001.
    let (rs, _) = exchange(
        &qb,
        "13.0",
        with_ids(None, Some("SYNC-000042"), vec![add("Someone Else")]),
    );
    assert_eq!(rs.get_attr("messageSetStatusCode"), Some("9001"));
    assert!(rs.children.is_empty());
    // Forget it; then the status check has nothing → 600.
    let (rs, _) = exchange(&qb, "13.0", with_ids(Some("SYNC-000042"), None, vec![]));
    assert_eq!(rs.get_attr("messageSetStatusCode"), Some("0"));
    let (rs, _) = exchange(
        &qb,
        "13.0",
        with_ids(Some("SYNC-000042"), Some("SYNC-000042"), vec![]),
    );
    assert_eq!(rs.get_attr("messageSetStatusCode"), Some("600"));
    let (rs, _) = exchange(&qb, "13.0", with_ids(Some("NEVER-SEEN"), None, vec![]));
    assert_eq!(rs.get_attr("messageSetStatusCode"), Some("600"));
    // No recovery attributes → no messageSetStatusCode.
    let (rs, _) = exchange(
        &qb,
        "13.0",
        msgs(vec![rq("CustomerQueryRq", "1").leaf("MaxReturned", "1")]),
    );
    assert!(rs.get_attr("messageSetStatusCode").is_none());
    // IDs longer than 23 characters are refused.
    let long = doc(
        "13.0",
        with_ids(None, Some("ABCDEFGHIJKLMNOPQRSTUVWX"), vec![]),
    );
    assert_eq!(qb.process(&long), Err(parse_error()));
}

#[test]
fn a_lost_response_can_be_recovered_after_the_write_was_applied() {
    let qb = company(20);
    let admin = qb.admin();
    admin.lose_next_response();
    // A query-only set does not trip the fault.
    let _ = one(&qb, rq("CustomerQueryRq", "1").leaf("MaxReturned", "1"));
    assert!(!qb.take_drop_response());
    let m = Element::new("QBXMLMsgsRq")
        .attr("newMessageSetID", "SYNC-LOST-1")
        .attr("onError", "continueOnError")
        .child(
            rq("InvoiceAddRq", "1").child(
                Element::new("InvoiceAdd")
                    .child(r("CustomerRef", text(&active_customer(&qb), &["ListID"])))
                    .leaf("RefNumber", "LOST-1")
                    .child(sales_line(
                        text(&first_item(&qb, "ItemService"), &["ListID"]),
                        "1",
                    )),
            ),
        );
    let (rs, _) = exchange(&qb, "13.0", m);
    assert_eq!(code(&rs.children[0]), "0");
    assert!(
        qb.take_drop_response(),
        "the simulated Web Connector must drop this response"
    );
    assert!(!qb.take_drop_response(), "reading clears the flag");
    assert!(
        admin.find("Invoice", "LOST-1").is_some(),
        "the write was applied"
    );
    let check = Element::new("QBXMLMsgsRq")
        .attr("oldMessageSetID", "SYNC-LOST-1")
        .attr("newMessageSetID", "SYNC-LOST-1")
        .attr("onError", "continueOnError");
    let (rs, _) = exchange(&qb, "13.0", check);
    let er = rs.children[0].find("ErrorRecovery").expect("ErrorRecovery");
    assert!(!text(er, &["TxnID"]).is_empty());
    assert!(!text(er, &["TxnNumber"]).is_empty());
    assert_eq!(admin.stats().recovery_sets, 1);
}

// ---------------------------------------------------------------------------------------------
// §20.24 reports

fn report(qb: &QbdCompany, rq: Element) -> Element {
    let rs = one(qb, rq);
    assert_eq!(code(&rs), "0", "{}", message(&rs));
    rs.find("ReportRet").cloned().expect("ReportRet")
}

/// `(row element name, values by column 1..n)` of every row.
fn rows(ret: &Element) -> Vec<(String, Vec<String>)> {
    let ncol: usize = text(ret, &["NumColumns"]).parse().unwrap_or(0);
    ret.find("ReportData")
        .map(|d| {
            d.children
                .iter()
                .map(|row| {
                    let mut v = vec![String::new(); ncol];
                    if row.name == "TextRow" {
                        if let Some(x) = row.get_attr("value") {
                            v[0] = x.to_string();
                        }
                    }
                    for c in row.find_all("ColData") {
                        let i: usize = c
                            .get_attr("colID")
                            .and_then(|x| x.parse().ok())
                            .unwrap_or(1);
                        if i >= 1 && i <= ncol {
                            v[i - 1] = c.get_attr("value").unwrap_or("").to_string();
                        }
                    }
                    (row.name.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn row(ret: &Element, label: &str) -> Vec<String> {
    rows(ret)
        .into_iter()
        .find(|(_, v)| v.first().map(String::as_str) == Some(label))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no row {label}"))
}

fn summary(kind: &str, columns: Option<&str>) -> Element {
    let mut q = rq("GeneralSummaryReportQueryRq", "r").leaf("GeneralSummaryReportType", kind);
    if let Some(c) = columns {
        q = q.leaf("SummarizeColumnsBy", c);
    }
    q
}

fn account_balance(qb: &QbdCompany, name: &str) -> i64 {
    let rs = one(qb, rq("AccountQueryRq", "a").leaf("FullName", name));
    cents(text(&rs.children[0], &["Balance"]))
}

#[test]
fn balance_reports_agree_with_each_other_and_the_lists() {
    let qb = company(60);
    // Balance sheet balances.
    let bs = report(&qb, summary("BalanceSheetStandard", None));
    assert_eq!(text(&bs, &["ReportTitle"]), "Balance Sheet");
    assert!(text(&bs, &["ReportSubtitle"]).starts_with("As of "));
    assert_eq!(text(&bs, &["ReportBasis"]), "Accrual");
    let assets = cents(&row(&bs, "TOTAL ASSETS")[1]);
    let le = cents(&row(&bs, "TOTAL LIABILITIES & EQUITY")[1]);
    assert_eq!(assets, le);
    assert!(assets > 0);
    assert_eq!(text(&bs, &["NumRows"]), rows(&bs).len().to_string());
    // Trial balance: debits equal credits.
    let tb = report(&qb, summary("TrialBalance", None));
    let total = row(&tb, "TOTAL");
    assert_eq!(total[1], total[2]);
    // A/R: customer balances = aging = the A/R account = the customers' Balance fields.
    let ar = account_balance(&qb, "Accounts Receivable");
    let cbs = report(&qb, summary("CustomerBalanceSummary", None));
    assert_eq!(cents(&row(&cbs, "TOTAL")[1]), ar);
    let aging = report(
        &qb,
        rq("AgingReportQueryRq", "g").leaf("AgingReportType", "ARAgingSummary"),
    );
    let t = row(&aging, "TOTAL");
    assert_eq!(cents(&t[6]), ar);
    assert_eq!(t[1..6].iter().map(|x| cents(x)).sum::<i64>(), ar);
    let custs = one(&qb, rq("CustomerQueryRq", "c").leaf("ActiveStatus", "All"));
    let sum: i64 = rets(&custs, "CustomerRet")
        .iter()
        .map(|c| cents(text(c, &["Balance"])))
        .sum();
    assert_eq!(sum, ar);
    // A/P likewise.
    let ap = account_balance(&qb, "Accounts Payable");
    let vbs = report(&qb, summary("VendorBalanceSummary", None));
    assert_eq!(cents(&row(&vbs, "TOTAL")[1]), ap);
    let apa = report(
        &qb,
        rq("AgingReportQueryRq", "g").leaf("AgingReportType", "APAgingSummary"),
    );
    assert_eq!(cents(&row(&apa, "TOTAL")[6]), ap);
    let detail = report(
        &qb,
        rq("AgingReportQueryRq", "d")
            .leaf("AgingReportType", "ARAgingDetail")
            .leaf("ReportAgingAsOf", "Today"),
    );
    let last = rows(&detail).last().cloned().expect("total row");
    assert_eq!(last.0, "TotalRow");
    assert!(last.1.iter().any(|v| cents(v) == ar));
    let ap_detail = report(
        &qb,
        rq("AgingReportQueryRq", "e").leaf("AgingReportType", "APAgingDetail"),
    );
    assert_eq!(text(&ap_detail, &["ReportTitle"]), "A/P Aging Detail");
}

#[test]
fn profit_and_loss_by_month_adds_up() {
    let qb = company(60);
    let today = qb.admin().now_text()[..10].to_string();
    let from = format!("{}-01-01", &today[..4]);
    let period = || {
        Element::new("ReportPeriod")
            .leaf("FromReportDate", from.as_str())
            .leaf("ToReportDate", today.as_str())
    };
    let total = report(
        &qb,
        rq("GeneralSummaryReportQueryRq", "1")
            .leaf("GeneralSummaryReportType", "ProfitAndLossStandard")
            .child(period())
            .leaf("SummarizeColumnsBy", "TotalOnly")
            .leaf("ReportBasis", "Accrual"),
    );
    assert_eq!(text(&total, &["ReportTitle"]), "Profit & Loss");
    assert_eq!(text(&total, &["NumColumns"]), "2");
    let net = cents(&row(&total, "Net Income")[1]);
    let income = cents(&row(&total, "Total Income")[1]);
    assert!(income > 0);
    let by_month = report(
        &qb,
        rq("GeneralSummaryReportQueryRq", "2")
            .leaf("GeneralSummaryReportType", "ProfitAndLossStandard")
            .child(period())
            .leaf("SummarizeColumnsBy", "Month"),
    );
    let cols: usize = text(&by_month, &["NumColumns"]).parse().unwrap_or(0);
    let months = today[5..7].parse::<usize>().unwrap_or(1);
    assert_eq!(cols, months + 2);
    let r = row(&by_month, "Net Income");
    let monthly: i64 = r[1..cols - 1].iter().map(|x| cents(x)).sum();
    assert_eq!(monthly, cents(&r[cols - 1]));
    assert_eq!(cents(&r[cols - 1]), net);
    let descs: Vec<&str> = by_month
        .find_all("ColDesc")
        .map(|c| text(c, &["ColType"]))
        .collect();
    assert_eq!(descs.first(), Some(&"Label"));
    assert_eq!(descs.last(), Some(&"Total"));
    // Sales by customer, by month.
    let sales = report(
        &qb,
        rq("GeneralSummaryReportQueryRq", "3")
            .leaf("GeneralSummaryReportType", "SalesByCustomerSummary")
            .child(period())
            .leaf("SummarizeColumnsBy", "Month"),
    );
    let data_rows = rows(&sales).iter().filter(|(n, _)| n == "DataRow").count();
    assert!(data_rows > 0);
    assert!(sales
        .find("ReportData")
        .and_then(|d| d.find("DataRow"))
        .and_then(|r| r.find("RowData"))
        .is_some());
}

#[test]
fn detail_and_custom_reports() {
    let qb = company(40);
    let gl = report(
        &qb,
        rq("GeneralDetailReportQueryRq", "1").leaf("GeneralDetailReportType", "GeneralLedger"),
    );
    assert_eq!(text(&gl, &["ReportTitle"]), "General Ledger");
    let total = rows(&gl).last().cloned().expect("rows");
    assert_eq!(total.0, "TotalRow");
    assert_eq!(
        cents(&total.1[7]),
        0,
        "debits and credits cancel over the whole ledger"
    );
    let open = report(
        &qb,
        rq("GeneralDetailReportQueryRq", "2").leaf("GeneralDetailReportType", "OpenInvoices"),
    );
    let ar = account_balance(&qb, "Accounts Receivable");
    let last = rows(&open).last().cloned().expect("rows");
    assert!(last.1.iter().any(|v| cents(v) == ar));
    let list = report(
        &qb,
        rq("GeneralDetailReportQueryRq", "3")
            .leaf("GeneralDetailReportType", "TxnListByDate")
            .child(Element::new("ReportTxnTypeFilter").leaf("TxnTypeFilter", "Invoice"))
            .leaf("IncludeColumn", "TxnType")
            .leaf("IncludeColumn", "Date")
            .leaf("IncludeColumn", "RefNumber")
            .leaf("IncludeColumn", "Amount"),
    );
    assert_eq!(text(&list, &["NumColumns"]), "5");
    let data: Vec<_> = rows(&list)
        .into_iter()
        .filter(|(n, _)| n == "DataRow")
        .collect();
    assert_eq!(data.len(), qb.admin().count("Invoice").unwrap_or(0));
    assert!(data.iter().all(|(_, v)| v[1] == "Invoice"));
    let dates: Vec<&String> = data.iter().map(|(_, v)| &v[2]).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "by date");
    let cbd = report(
        &qb,
        rq("GeneralDetailReportQueryRq", "4")
            .leaf("GeneralDetailReportType", "CustomerBalanceDetail"),
    );
    assert!(rows(&cbd).iter().any(|(n, _)| n == "SubtotalRow"));

    let custom = report(
        &qb,
        rq("CustomSummaryReportQueryRq", "5")
            .leaf("CustomSummaryReportType", "CustomSummary")
            .leaf("SummarizeColumnsBy", "TotalOnly")
            .leaf("SummarizeRowsBy", "Customer"),
    );
    assert!(custom
        .find("ReportData")
        .and_then(|d| d.find("DataRow"))
        .is_some());
    let cd = report(
        &qb,
        rq("CustomDetailReportQueryRq", "6")
            .leaf("CustomDetailReportType", "CustomTxnDetail")
            .leaf("SummarizeRowsBy", "Account")
            .leaf("IncludeColumn", "Date")
            .leaf("IncludeColumn", "Account")
            .leaf("IncludeColumn", "Debit")
            .leaf("IncludeColumn", "Credit"),
    );
    let t = row(&cd, "TOTAL");
    assert_eq!(t[3], t[4], "debits equal credits");
    // CustomSummary without SummarizeRowsBy is rejected (XSD), §20.24.
    let bad = rq("CustomSummaryReportQueryRq", "7")
        .leaf("CustomSummaryReportType", "CustomSummary")
        .leaf("SummarizeColumnsBy", "TotalOnly");
    assert_eq!(
        qb.process(&doc("13.0", msgs(vec![bad]))),
        Err(parse_error())
    );
    // Report types the simulation does not compute: 3250.
    let rs = one(&qb, summary("InventoryValuationSummary", None));
    assert_eq!(code(&rs), "3250");
}

// ---------------------------------------------------------------------------------------------
// §5 host/company/preferences, §20.25 faults, misc

#[test]
fn hcp_response_carries_host_company_and_file_stamp() {
    let qb = company(10);
    let host: &dyn QuickBooksHost = &qb;
    assert!(host.company_file_name().ends_with("qbsync sample.QBW"));
    let owner = "{87EDAAF8-637E-4203-867F-4BA79C2F8998}";
    let file = "{CA1C3EB8-1B61-4747-A743-8D5B438B83AC}";
    let hcp = host.hcp_response(owner, file);
    assert!(hcp.starts_with("<?xml version=\"1.0\" ?>\n"));
    assert_eq!(xmllint("13.0", &hcp), Ok(()));
    let root = Element::parse(&hcp).expect("parse");
    let rs = root.find("QBXMLMsgsRs").expect("msgs");
    let ids: Vec<&str> = rs
        .children
        .iter()
        .filter_map(|c| c.get_attr("requestID"))
        .collect();
    assert_eq!(ids, ["0", "1", "2"]);
    let hostret = rs.children[0].find("HostRet").expect("HostRet");
    assert_eq!(text(hostret, &["ProductName"]), "QuickBooks Pro 2014");
    let versions: Vec<&str> = hostret
        .find_all("SupportedQBXMLVersion")
        .map(|v| v.text.as_str())
        .collect();
    assert_eq!(versions.last(), Some(&"13.0"));
    let names: Vec<&str> = hostret.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.last(), Some(&"QBFileMode"));
    let ext = rs.children[1]
        .path(&["CompanyRet", "DataExtRet"])
        .expect("FileID stamp");
    assert_eq!(text(ext, &["OwnerID"]), owner);
    assert_eq!(text(ext, &["DataExtName"]), "FileID");
    assert_eq!(text(ext, &["DataExtValue"]), file);
    // The stamp stays: a second .qwc FileID does not overwrite it.
    let again = host.hcp_response(owner, "{00000000-0000-0000-0000-000000000001}");
    assert!(again.contains(file));
    // Ordinary Host/Company/Preferences queries.
    let rs = send(
        &qb,
        vec![
            rq("HostQueryRq", "0"),
            rq("CompanyQueryRq", "1").leaf("OwnerID", owner),
            rq("PreferencesQueryRq", "2"),
        ],
    );
    assert!(rs.iter().all(|r| code(r) == "0"));
    assert_eq!(
        text(&rs[1], &["CompanyRet", "CompanyName"]),
        "qbsync sample"
    );
}

#[test]
fn open_failures_and_off_schema_values() {
    let qb = company(10);
    assert_eq!(qb.open(""), Ok(()));
    assert_eq!(qb.open(&qb.company_file_name()), Ok(()));
    let wrong = qb.open(r"C:\Other\Company.QBW").expect_err("mismatch");
    assert_eq!(wrong.code, "0x80040401");
    qb.admin().fail_next_open(Hresult {
        code: "0x80040416".into(),
        message: "QuickBooks is not running".into(),
    });
    assert_eq!(
        qb.open("").map_err(|h| h.code),
        Err("0x80040416".to_string())
    );
    assert_eq!(qb.open(""), Ok(()));

    qb.admin().set_off_schema_values(true);
    let d = doc(
        "13.0",
        msgs(vec![rq("CustomerQueryRq", "1").leaf("MaxReturned", "1")]),
    );
    let text_rs = qb.process(&d).expect("processed");
    assert!(text_rs.contains("<PreferredDeliveryMethod>Mail</PreferredDeliveryMethod>"));
    assert!(
        xmllint("13.0", &text_rs).is_err(),
        "outside the pristine XSD on purpose"
    );
    let d = doc(
        "13.0",
        msgs(vec![
            rq("GeneralSummaryReportQueryRq", "2").leaf("GeneralSummaryReportType", "TrialBalance")
        ]),
    );
    let rep = qb.process(&d).expect("processed");
    assert!(rep.contains("<ColType>UnitOfMeasureUnit</ColType>"));
    qb.admin().set_off_schema_values(false);
    let _ = one(&qb, rq("CustomerQueryRq", "3").leaf("MaxReturned", "1"));
}

#[test]
fn every_supported_kind_queries_adds_and_reads_back() {
    let qb = company(20);
    let kinds = [
        "Customer",
        "Vendor",
        "Employee",
        "Account",
        "ItemService",
        "ItemNonInventory",
        "ItemInventory",
        "ItemOtherCharge",
        "Invoice",
        "SalesReceipt",
        "ReceivePayment",
        "CreditMemo",
        "Estimate",
        "SalesOrder",
        "Bill",
        "BillPaymentCheck",
        "Check",
        "PurchaseOrder",
        "JournalEntry",
        "Deposit",
        "Class",
        "StandardTerms",
        "PaymentMethod",
    ];
    let rs = send(
        &qb,
        kinds
            .iter()
            .enumerate()
            .map(|(i, k)| rq(&format!("{k}QueryRq"), &i.to_string()).leaf("MaxReturned", "3"))
            .collect(),
    );
    for (k, r) in kinds.iter().zip(&rs) {
        assert_eq!(code(r), "0", "{k}: {}", message(r));
        assert!(r.find(&format!("{k}Ret")).is_some(), "{k}");
    }
    let items = one(&qb, rq("ItemQueryRq", "i"));
    let types: HashSet<&str> = items.children.iter().map(|c| c.name.as_str()).collect();
    for t in [
        "ItemServiceRet",
        "ItemNonInventoryRet",
        "ItemInventoryRet",
        "ItemOtherChargeRet",
    ] {
        assert!(types.contains(t), "{t}");
    }
    // One Add of each remaining write shape, all XSD-valid in and out.
    let vendor = text(
        &one(&qb, rq("VendorQueryRq", "v").leaf("MaxReturned", "1")).children[0],
        &["ListID"],
    )
    .to_string();
    let expense = text(
        &one(&qb, rq("AccountQueryRq", "a").leaf("FullName", "Rent")).children[0],
        &["ListID"],
    )
    .to_string();
    let bank = text(
        &one(&qb, rq("AccountQueryRq", "b").leaf("FullName", "Checking")).children[0],
        &["ListID"],
    )
    .to_string();
    let inv_item = text(&first_item(&qb, "ItemInventory"), &["ListID"]).to_string();
    let bill = one(
        &qb,
        rq("BillAddRq", "1").child(
            Element::new("BillAdd")
                .child(r("VendorRef", &vendor))
                .leaf("RefNumber", "V-TEST")
                .child(
                    Element::new("ExpenseLineAdd")
                        .child(r("AccountRef", &expense))
                        .leaf("Amount", "100"),
                )
                .child(
                    Element::new("ItemLineAdd")
                        .child(r("ItemRef", &inv_item))
                        .leaf("Quantity", "2"),
                ),
        ),
    );
    assert_eq!(code(&bill), "0");
    let b = bill.find("BillRet").expect("bill");
    let bill_id = text(b, &["TxnID"]).to_string();
    let due = cents(text(b, &["AmountDue"]));
    assert_eq!(text(b, &["IsPaid"]), "false");
    let pay = one(
        &qb,
        rq("BillPaymentCheckAddRq", "2").child(
            Element::new("BillPaymentCheckAdd")
                .child(r("PayeeEntityRef", &vendor))
                .child(r("BankAccountRef", &bank))
                .leaf("IsToBePrinted", "true")
                .child(
                    Element::new("AppliedToTxnAdd")
                        .leaf("TxnID", bill_id.as_str())
                        .leaf("PaymentAmount", "100.00"),
                ),
        ),
    );
    assert_eq!(code(&pay), "0");
    let bq = one(&qb, rq("BillQueryRq", "3").leaf("TxnID", bill_id.as_str()));
    assert_eq!(cents(text(&bq.children[0], &["OpenAmount"])), due - 10_000);
    let je = one(
        &qb,
        rq("JournalEntryAddRq", "4").child(
            Element::new("JournalEntryAdd")
                .leaf("Memo", "Test entry")
                .child(
                    Element::new("JournalDebitLine")
                        .child(r("AccountRef", &expense))
                        .leaf("Amount", "5.00"),
                )
                .child(
                    Element::new("JournalCreditLine")
                        .child(r("AccountRef", &bank))
                        .leaf("Amount", "5.00"),
                ),
        ),
    );
    assert_eq!(code(&je), "0");
    let unbalanced = one(
        &qb,
        rq("JournalEntryAddRq", "5").child(
            Element::new("JournalEntryAdd")
                .child(
                    Element::new("JournalDebitLine")
                        .child(r("AccountRef", &expense))
                        .leaf("Amount", "5.00"),
                )
                .child(
                    Element::new("JournalCreditLine")
                        .child(r("AccountRef", &bank))
                        .leaf("Amount", "4.00"),
                ),
        ),
    );
    assert_eq!(code(&unbalanced), "3210");
    let check = one(
        &qb,
        rq("CheckAddRq", "6").child(
            Element::new("CheckAdd")
                .child(r("AccountRef", &bank))
                .child(r("PayeeEntityRef", &vendor))
                .child(
                    Element::new("ExpenseLineAdd")
                        .child(r("AccountRef", &expense))
                        .leaf("Amount", "42"),
                ),
        ),
    );
    assert_eq!(text(&check.children[0], &["Amount"]), "42.00");
    let stats = qb.admin().stats();
    assert!(stats.requests.get("CustomerQueryRq").copied().unwrap_or(0) >= 1);
    assert!(stats.statuses.get(&0).copied().unwrap_or(0) > 20);
    let rs = send(
        &qb,
        vec![
            rq("EntityQueryRq", "e").leaf("MaxReturned", "500"),
            rq("TermsQueryRq", "t"),
        ],
    );
    let types: HashSet<&str> = rs[0].children.iter().map(|c| c.name.as_str()).collect();
    assert!(
        types.contains("CustomerRet")
            && types.contains("VendorRet")
            && types.contains("EmployeeRet")
    );
    assert_eq!(rets(&rs[1], "StandardTermsRet").len(), 4);
    // Lists the simulation does not keep are empty rather than errors.
    let rs = one(&qb, rq("SalesRepQueryRq", "7"));
    assert_eq!(code(&rs), "1");
}

#[test]
fn metadata_only_counts_without_returning_objects() {
    let qb = company(30);
    let rs = one(
        &qb,
        rq("CustomerQueryRq", "1")
            .attr("metaData", "MetaDataOnly")
            .leaf("ActiveStatus", "All"),
    );
    assert_eq!(code(&rs), "0");
    assert!(rs.children.is_empty());
    assert_eq!(
        rs.get_attr("retCount"),
        Some(customer_ids(&qb).len().to_string().as_str())
    );
}

#[test]
#[ignore = "timing probe: cargo test -p qbsync-sandbox --test qbd -- --ignored"]
fn large_company_seeds_quickly() {
    let t = std::time::Instant::now();
    let qb = company(3000);
    eprintln!("3000 customers seeded in {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let _ = one(
        &qb,
        rq("CustomerQueryRq", "1")
            .attr("iterator", "Start")
            .leaf("MaxReturned", "100")
            .leaf("ActiveStatus", "All"),
    );
    eprintln!("first page in {:?}", t.elapsed());
}

#[test]
fn report_rows_keep_their_order_through_the_schema_pass() {
    // ReportData is a repeating choice: text, data, subtotal and total rows interleave, and
    // conforming the output to the schema must not group them by element name.
    let qb = company(20);
    let pl = report(&qb, summary("ProfitAndLossStandard", None));
    let data = pl.find("ReportData").expect("ReportData");
    let numbers: Vec<u64> = data
        .children
        .iter()
        .map(|r| {
            r.get_attr("rowNumber")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        })
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    let kinds: Vec<&str> = data.children.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"TextRow"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"TotalRow"), "{kinds:?}");
}
