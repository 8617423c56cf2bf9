//! QuickBooks Online report JSON (`GET /reports/{name}`) flattened into a [`FlatReport`]:
//! nested `Columns` become leaf columns, nested `Section` rows become a section path on each row.

use super::{FlatReport, ReportColumn, ReportHeader, ReportRow, RowType};
use crate::error::AgentError;
use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::mem::size_of;

/// Memory the flattened form of one report may take. Flattening multiplies: every row is
/// padded to the column count and carries the titles of all its sections, and every leaf
/// column its group's title, so a body of a few megabytes (3 bytes per empty row or column)
/// could otherwise ask for terabytes and abort the agent. Real reports stay far below.
pub const MAX_FLAT_BYTES: usize = 256 << 20;

/// What is left of the memory budget of one flattening.
struct Budget(usize);

/// The budget ran out.
struct TooLarge;

impl Budget {
    fn charge(&mut self, bytes: usize) -> Result<(), TooLarge> {
        self.0 = self.0.checked_sub(bytes).ok_or(TooLarge)?;
        Ok(())
    }
}

fn strings_len<'a>(it: impl IntoIterator<Item = &'a String>) -> usize {
    it.into_iter().map(|s| size_of::<String>() + s.len()).sum()
}

fn column_cost(c: &ReportColumn) -> usize {
    size_of::<ReportColumn>()
        + c.key.len()
        + c.title.len()
        + c.col_type.as_ref().map_or(0, String::len)
        + c.group_title.as_ref().map_or(0, String::len)
}

fn row_cost(r: &ReportRow) -> usize {
    size_of::<ReportRow>()
        + strings_len(&r.section_path)
        + r.section_group.as_ref().map_or(0, String::len)
        + strings_len(&r.values)
        + r.ids.len() * size_of::<Option<String>>()
        + r.ids.iter().flatten().map(String::len).sum::<usize>()
}

/// Column keys taken so far, and per base key the next numeric suffix to try.
#[derive(Default)]
struct Keys {
    taken: HashSet<String>,
    next_suffix: HashMap<String, usize>,
}

impl Keys {
    /// `key`, or `key_N` for the first free N from `from` on. Keys name the cells of the wide
    /// form, so they must be unique within a run, and a suffixed key can itself be taken (a
    /// ColKey `a_3`). Each base resumes where it stopped, so n columns cost O(n), not O(n²).
    fn unique(&mut self, key: String, from: usize) -> String {
        let key = if self.taken.contains(&key) {
            let next = self.next_suffix.entry(key.clone()).or_insert(from);
            *next = (*next).max(from);
            loop {
                let candidate = format!("{key}_{next}");
                *next += 1;
                if !self.taken.contains(&candidate) {
                    break candidate;
                }
            }
        } else {
            key
        };
        self.taken.insert(key.clone());
        key
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn date(v: &Value, key: &str) -> Option<NaiveDate> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

/// `[{"Name": .., "Value": ..}]` as an object.
fn name_values(v: Option<&Value>) -> Map<String, Value> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| {
            Some((
                o.get("Name")?.as_str()?.to_owned(),
                o.get("Value").cloned().unwrap_or(Value::Null),
            ))
        })
        .collect()
}

fn header(h: &Value) -> ReportHeader {
    let options = name_values(h.get("Option"));
    ReportHeader {
        report_basis: text(h, "ReportBasis"),
        start_period: date(h, "StartPeriod"),
        end_period: date(h, "EndPeriod"),
        summarize_columns_by: text(h, "SummarizeColumnsBy"),
        currency: text(h, "Currency"),
        no_report_data: options.get("NoReportData").and_then(Value::as_str) == Some("true"),
        options,
        generated_at: h
            .get("Time")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok()),
        raw: h.clone(),
    }
}

fn columns_into(
    cols: &Value,
    group: Option<&str>,
    out: &mut Vec<ReportColumn>,
    keys: &mut Keys,
    budget: &mut Budget,
) -> Result<(), TooLarge> {
    for c in cols
        .get("Column")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let title = c
            .get("ColTitle")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if let Some(nested) = c.get("Columns") {
            columns_into(nested, Some(&title), out, keys, budget)?;
            continue;
        }
        let meta = name_values(c.get("MetaData"));
        let meta_str = |k: &str| meta.get(k).and_then(Value::as_str).map(str::to_owned);
        let meta_date = |k: &str| {
            meta.get(k)
                .and_then(Value::as_str)
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        };
        let key = meta_str("ColKey")
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| match (&title, group) {
                (t, Some(g)) if !t.is_empty() => format!("{g} {t}"),
                (t, None) if !t.is_empty() => t.clone(),
                _ => format!("col{}", out.len() + 1),
            });
        let column = ReportColumn {
            key: keys.unique(key, out.len() + 1),
            title,
            col_type: text(c, "ColType"),
            group_title: group.map(str::to_owned),
            start_date: meta_date("StartDate"),
            end_date: meta_date("EndDate"),
        };
        budget.charge(column_cost(&column))?;
        out.push(column);
    }
    Ok(())
}

fn col_data(v: Option<&Value>, width: usize) -> (Vec<String>, Vec<Option<String>>) {
    let cells = v
        .and_then(|v| v.get("ColData"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut values: Vec<String> = cells
        .iter()
        .map(|c| match c.get("value") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        })
        .collect();
    let mut ids: Vec<Option<String>> = cells.iter().map(|c| text(c, "id")).collect();
    values.resize(width.max(values.len()), String::new());
    ids.resize(values.len(), None);
    (values, ids)
}

/// Appends `row` to `out` if the budget allows it.
fn push_row(out: &mut Vec<ReportRow>, row: ReportRow, budget: &mut Budget) -> Result<(), TooLarge> {
    budget.charge(row_cost(&row))?;
    out.push(row);
    Ok(())
}

fn rows_into(
    rows: &Value,
    path: &[String],
    group: Option<&str>,
    width: usize,
    out: &mut Vec<ReportRow>,
    budget: &mut Budget,
) -> Result<(), TooLarge> {
    for row in rows
        .get("Row")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let is_section = row.get("type").and_then(Value::as_str) == Some("Section")
            || row.get("Header").is_some()
            || row.get("Rows").is_some()
            || row.get("Summary").is_some();
        if !is_section {
            let (values, ids) = col_data(Some(row), width);
            let data = ReportRow {
                section_path: path.to_vec(),
                section_group: group.map(str::to_owned),
                row_type: RowType::Data,
                values,
                ids,
            };
            push_row(out, data, budget)?;
            continue;
        }
        let section_group = text(row, "group");
        let (header_values, header_ids) = col_data(row.get("Header"), width);
        // A section is named by its header's first cell, else by its group (NetIncome, ...).
        let title = header_values
            .first()
            .filter(|t| !t.is_empty())
            .cloned()
            .or_else(|| section_group.clone())
            .unwrap_or_default();
        let mut inner = path.to_vec();
        inner.push(title);
        let group = section_group.as_deref().or(group);
        if row.get("Header").is_some() {
            let header = ReportRow {
                section_path: inner.clone(),
                section_group: group.map(str::to_owned),
                row_type: RowType::Header,
                values: header_values,
                ids: header_ids,
            };
            push_row(out, header, budget)?;
        }
        if let Some(nested) = row.get("Rows") {
            rows_into(nested, &inner, group, width, out, budget)?;
        }
        if row.get("Summary").is_some() {
            let (values, ids) = col_data(row.get("Summary"), width);
            let summary = ReportRow {
                section_path: inner,
                section_group: group.map(str::to_owned),
                row_type: RowType::Summary,
                values,
                ids,
            };
            push_row(out, summary, budget)?;
        }
    }
    Ok(())
}

/// Flattens a report body; `name` is used when the header does not carry one.
pub fn flatten(name: &str, body: &Value) -> Result<FlatReport, AgentError> {
    flatten_within(name, body, MAX_FLAT_BYTES)
}

/// [`flatten`] within `max_bytes` (estimated) of flattened form; beyond it the report is
/// refused as too large, before the memory is taken.
pub fn flatten_within(
    name: &str,
    body: &Value,
    max_bytes: usize,
) -> Result<FlatReport, AgentError> {
    let h = body
        .get("Header")
        .ok_or_else(|| AgentError::Invalid(format!("report {name}: answer has no Header")))?;
    let too_large = |_: TooLarge| {
        AgentError::Invalid(format!(
            "report {name} is too large to store: its rows and columns would take over {} MiB; \
             ask for a shorter period or fewer columns",
            max_bytes >> 20
        ))
    };
    let mut budget = Budget(max_bytes);
    let mut columns = Vec::new();
    if let Some(cols) = body.get("Columns") {
        columns_into(cols, None, &mut columns, &mut Keys::default(), &mut budget)
            .map_err(too_large)?;
    }
    let mut rows = Vec::new();
    if let Some(r) = body.get("Rows") {
        rows_into(r, &[], None, columns.len(), &mut rows, &mut budget).map_err(too_large)?;
    }
    Ok(FlatReport {
        name: text(h, "ReportName").unwrap_or_else(|| name.to_owned()),
        header: header(h),
        columns,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
          "Header": {"Time": "2020-09-29T08:13:54-07:00", "ReportName": "ProfitAndLoss", "ReportBasis": "Accrual",
            "StartPeriod": "2015-01-01", "EndPeriod": "2015-07-31", "SummarizeColumnsBy": "Total", "Currency": "USD",
            "Option": [{"Name": "AccountingStandard", "Value": "GAAP"}, {"Name": "NoReportData", "Value": "false"}]},
          "Columns": {"Column": [
            {"ColTitle": "", "ColType": "Account", "MetaData": [{"Name": "ColKey", "Value": "account"}]},
            {"ColTitle": "TOTAL", "ColType": "Money", "MetaData": [{"Name": "ColKey", "Value": "total"}]}]},
          "Rows": {"Row": [
            {"type": "Section", "group": "Income",
             "Header": {"ColData": [{"value": "Income"}, {"value": ""}]},
             "Rows": {"Row": [{"type": "Data", "ColData": [{"value": "Fountains", "id": "48"}, {"value": "275.00"}]}]},
             "Summary": {"ColData": [{"value": "Total Income"}, {"value": "275.00"}]}},
            {"type": "Section", "group": "GrossProfit", "Summary": {"ColData": [{"value": "Gross Profit"}, {"value": "275.00"}]}}]}
        })
    }

    #[test]
    fn sections_become_paths() {
        let r = flatten("ProfitAndLoss", &sample()).expect("flatten");
        assert_eq!(r.header.report_basis.as_deref(), Some("Accrual"));
        assert_eq!(r.header.start_period, NaiveDate::from_ymd_opt(2015, 1, 1));
        assert!(!r.header.no_report_data);
        assert_eq!(
            r.columns.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(),
            ["account", "total"]
        );
        let kinds: Vec<_> = r
            .rows
            .iter()
            .map(|r| (r.row_type, r.section_path.join("/")))
            .collect();
        assert_eq!(
            kinds,
            [
                (RowType::Header, "Income".to_string()),
                (RowType::Data, "Income".to_string()),
                (RowType::Summary, "Income".to_string()),
                (RowType::Summary, "GrossProfit".to_string()),
            ]
        );
        assert_eq!(r.rows[1].ids[0].as_deref(), Some("48"));
        assert_eq!(r.rows[3].section_group.as_deref(), Some("GrossProfit"));
    }

    #[test]
    fn grouped_columns_are_flattened_with_unique_keys() {
        let body = json!({"Header": {}, "Columns": {"Column": [
            {"ColTitle": "", "ColType": "Account"},
            {"ColTitle": "Jan 2026", "Columns": {"Column": [{"ColTitle": "Amount", "ColType": "Money"}, {"ColTitle": "%", "ColType": "Rate"}]}},
            {"ColTitle": "Feb 2026", "Columns": {"Column": [{"ColTitle": "Amount", "ColType": "Money"}]}}]},
            "Rows": {"Row": [{"ColData": [{"value": "x"}]}]}});
        let r = flatten("X", &body).expect("flatten");
        let keys: Vec<_> = r.columns.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            ["col1", "Jan 2026 Amount", "Jan 2026 %", "Feb 2026 Amount"]
        );
        assert_eq!(r.columns[1].group_title.as_deref(), Some("Jan 2026"));
        // Short rows are padded to the column count.
        assert_eq!(r.rows[0].values.len(), 4);
        assert_eq!(r.name, "X");
    }

    #[test]
    fn column_keys_stay_unique_when_a_suffix_is_taken() {
        // The third column "a" used to become "a_3" (its position), which a ColKey already
        // was: two columns shared a key and the wide form (`cells`) lost one of the values.
        let col = |k: &str| json!({"ColTitle": "", "MetaData": [{"Name": "ColKey", "Value": k}]});
        let body = json!({"Header": {}, "Columns": {"Column": [col("a"), col("a_3"), col("a"), col("a"), col("a_3")]}});
        let r = flatten("X", &body).expect("flatten");
        let keys: Vec<_> = r.columns.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["a", "a_3", "a_4", "a_5", "a_3_5"]);
    }

    #[test]
    fn many_colliding_columns_take_linear_time() {
        // Each "a" used to be compared with every earlier key, and a suffix search could
        // restart from the same taken keys: quadratic in the column count.
        let n = 50_000;
        let mut cols: Vec<Value> = (0..n)
            .map(|i| json!({"MetaData": [{"Name": "ColKey", "Value": format!("a_{}", n + i)}]}))
            .collect();
        cols.extend((0..n).map(|_| json!({"MetaData": [{"Name": "ColKey", "Value": "a"}]})));
        let body = json!({"Header": {}, "Columns": {"Column": cols}});
        let started = std::time::Instant::now();
        let r = flatten("X", &body).expect("flatten");
        let keys: HashSet<_> = r.columns.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys.len(), 2 * n);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn a_report_that_would_flatten_too_large_is_refused() {
        // 3 bytes per empty row and per column: rows × columns padded cells, and every row
        // carrying every section title. Refused before the memory is taken.
        let cols: Vec<Value> = (0..2000).map(|_| json!({})).collect();
        let rows: Vec<Value> = (0..2000).map(|_| json!({})).collect();
        let body = json!({"Header": {}, "Columns": {"Column": cols}, "Rows": {"Row": rows}});
        let e = flatten_within("Wide", &body, 16 << 20).expect_err("too large");
        assert!(e.to_string().contains("too large"), "{e}");
        let title = "t".repeat(100_000);
        let mut section = json!({"Row": (0..2000).map(|_| json!({})).collect::<Vec<_>>()});
        for _ in 0..30 {
            section =
                json!({"Row": [{"Header": {"ColData": [{"value": title}]}, "Rows": section}]});
        }
        let body = json!({"Header": {}, "Rows": section});
        assert!(flatten_within("Deep", &body, 16 << 20).is_err());
        // The default budget leaves real reports alone.
        assert!(flatten("P", &sample()).is_ok());
    }

    #[test]
    fn a_body_without_header_is_an_error() {
        assert!(flatten("X", &json!({"Fault": {}})).is_err());
    }
}
