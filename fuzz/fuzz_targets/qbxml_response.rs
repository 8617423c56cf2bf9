//! Arbitrary bytes as the qbXML response the Web Connector hands the agent
//! (`receiveResponseXML`): parsing, `*Ret` → JSON and reports never panic, and a tree parsed
//! from well-formed XML writes out and reads back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qbsync_fuzz::xml10;
use qbsync_qbxml::response::{parse_report, parse_response, ret_to_json};
use qbsync_qbxml::Element;

fuzz_target!(|data: &[u8]| {
    // The agent gets the response as a string out of the SOAP envelope.
    let xml = String::from_utf8_lossy(data);

    if let Ok(root) = Element::parse(&xml) {
        let written = root.to_xml();
        let again = Element::parse(&written);
        // Only well-formed input promises a round trip: the lenient reader also takes
        // documents no writer should reproduce (odd names, stray text after the root).
        if xml10::parse(&xml).is_ok() {
            match again {
                Ok(again) => assert_eq!(again, root, "written as {written}"),
                Err(e) => panic!("a parsed tree does not read back ({e}): {written}"),
            }
        }
        let _ = ret_to_json(&root);
        let _ = parse_report(&root);
    }

    let Ok(resp) = parse_response(&xml) else {
        return;
    };
    for r in &resp.responses {
        let _ = (
            r.request_type(),
            r.is_error(),
            r.is_empty_result(),
            r.has_more(),
        );
        let _ = resp.by_request_id(r.request_id.as_deref().unwrap_or_default());
        for ret in &r.rets {
            let json = ret_to_json(ret);
            serde_json::to_string(&json).expect("ret JSON serialises");
        }
        let _ = ret_to_json(&r.element);
        if let Some(report) = r.report() {
            serde_json::to_string(&report).expect("report serialises");
            for c in &report.columns {
                let _ = c.title();
            }
            for row in &report.rows {
                for cell in &row.cells {
                    assert!(row.cell(&cell.col_id).is_some());
                }
            }
        }
    }
});
