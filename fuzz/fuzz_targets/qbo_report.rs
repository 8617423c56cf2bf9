//! Arbitrary bytes as the answer to `GET /reports/{name}`, read as the agent reads a report
//! task's answer (`qbsync_agent::qbo::fuzzing::report`: UTF-8 check, JSON, `flatten`, and the
//! column and row JSON `report::store` inserts). Nothing panics, and what is stored holds
//! together: column keys are unique (they name the cells of the wide form), every row has a
//! value and an id slot per column, `cells` only names columns, and a cell stored as a number
//! is exactly the text QuickBooks sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qbsync_agent::qbo::fuzzing::{self, Endpoint};
use qbsync_fuzz::decimal_value;
use serde_json::Value;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = fuzzing::answer(Endpoint::Report, 200, None, data) else {
        return;
    };
    let Ok((flat, columns, rows)) = fuzzing::report("ProfitAndLoss", &text) else {
        return;
    };
    let keys: HashSet<&str> = flat.columns.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys.len(),
        flat.columns.len(),
        "column keys are not unique: {:?}",
        flat.columns.iter().map(|c| &c.key).collect::<Vec<_>>()
    );
    assert_eq!(columns.len(), flat.columns.len());
    assert_eq!(rows.len(), flat.rows.len());
    for (row, json) in flat.rows.iter().zip(&rows) {
        assert!(row.values.len() >= flat.columns.len());
        assert_eq!(row.values.len(), row.ids.len());
        let Some(Value::Object(cells)) = json.get("cells") else {
            panic!("row without cells: {json}");
        };
        for (k, v) in cells {
            let Some(i) = flat.columns.iter().position(|c| c.key == *k) else {
                panic!("cell {k} names no column");
            };
            let text = &row.values[i];
            match v {
                Value::String(s) => assert_eq!(s, text),
                Value::Number(n) => assert_eq!(
                    decimal_value(&n.to_string()),
                    decimal_value(text),
                    "cell {k}: {text} stored as {n}"
                ),
                other => panic!("cell {k} is {other}"),
            }
        }
        serde_json::to_string(json).expect("row JSON serialises");
    }
});
