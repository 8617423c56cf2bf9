//! Reports into tables: a report, whatever QuickBooks product it came from, is flattened into a
//! header, its leaf columns and its rows (each with its section path), then stored as one
//! `qbsync.report_run` with its `report_column` and `report_row` rows.

pub mod qbd;
pub mod qbo;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::{Map, Value};
use tokio_postgres::Client;

/// The run's header: period, basis, currency and options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportHeader {
    pub report_basis: Option<String>,
    pub start_period: Option<NaiveDate>,
    pub end_period: Option<NaiveDate>,
    pub summarize_columns_by: Option<String>,
    pub currency: Option<String>,
    pub options: Map<String, Value>,
    pub generated_at: Option<DateTime<FixedOffset>>,
    pub no_report_data: bool,
    /// The header exactly as received.
    pub raw: Value,
}

/// A leaf column (grouped columns are flattened; their group title is kept).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportColumn {
    pub key: String,
    pub title: String,
    pub col_type: Option<String>,
    pub group_title: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowType {
    Header,
    Data,
    Summary,
}

impl RowType {
    pub fn as_str(self) -> &'static str {
        match self {
            RowType::Header => "header",
            RowType::Data => "data",
            RowType::Summary => "summary",
        }
    }
}

/// One report row with the titles of the sections around it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub section_path: Vec<String>,
    pub section_group: Option<String>,
    pub row_type: RowType,
    /// One value per column, "" when empty.
    pub values: Vec<String>,
    /// The QuickBooks Id behind each value, when the report gives one.
    pub ids: Vec<Option<String>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlatReport {
    pub name: String,
    pub header: ReportHeader,
    pub columns: Vec<ReportColumn>,
    pub rows: Vec<ReportRow>,
}

/// Rows per INSERT: keeps the statement's parameter bounded for ledger-sized reports.
const ROWS_PER_INSERT: usize = 2000;

/// Whether `v` is a plain decimal as QuickBooks writes amounts: `-?digits(.digits)?`.
fn is_decimal(v: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = v.strip_prefix('-').unwrap_or(v);
    match unsigned.split_once('.') {
        Some((whole, frac)) => digits(whole) && digits(frac),
        None => digits(unsigned),
    }
}

/// A plain decimal without sign, leading zeros in its whole part or trailing zeros in its
/// fraction ("-012.50" → (true, "12.5")); zero is unsigned.
fn canonical_decimal(v: &str) -> (bool, String) {
    let (negative, unsigned) = match v.strip_prefix('-') {
        Some(u) => (true, u),
        None => (false, v),
    };
    let (whole, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let whole = whole.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let text = match (whole.is_empty(), frac.is_empty()) {
        (true, true) => return (false, "0".into()),
        (true, false) => format!("0.{frac}"),
        (false, true) => whole.to_string(),
        (false, false) => format!("{whole}.{frac}"),
    };
    (negative, text)
}

/// A cell as a JSON value for the wide form: numbers as numbers, empty cells left out.
fn cell_value(v: &str) -> Option<Value> {
    if v.is_empty() {
        return None;
    }
    if is_decimal(v) {
        if let Ok(n) = serde_json::from_str::<serde_json::Number>(v) {
            // Only when the number is exactly the text: past 15 significant digits an f64
            // rounds, and `cells` would hold another amount than `values`. Rust prints an f64
            // in plain decimal notation, with the shortest digits that read back the same.
            let exact = n.is_i64()
                || n.is_u64()
                || n.as_f64()
                    .is_some_and(|f| canonical_decimal(&f.to_string()) == canonical_decimal(v));
            if exact {
                return Some(Value::Number(n));
            }
        }
    }
    Some(Value::String(v.to_string()))
}

/// A column as `store` inserts it into `qbsync.report_column`.
pub(crate) fn column_json(no: usize, c: &ReportColumn) -> Value {
    serde_json::json!({
        "col_no": no + 1, "col_key": c.key, "title": c.title, "col_type": c.col_type,
        "group_title": c.group_title, "start_date": c.start_date, "end_date": c.end_date,
    })
}

/// A row as `store` inserts it into `qbsync.report_row` (`no` counts from 0).
pub(crate) fn row_json(no: usize, row: &ReportRow, columns: &[ReportColumn]) -> Value {
    let mut cells = Map::new();
    for (c, v) in columns.iter().zip(&row.values) {
        if let Some(v) = cell_value(v) {
            cells.insert(c.key.clone(), v);
        }
    }
    serde_json::json!({
        "row_no": no + 1,
        "depth": row.section_path.len(),
        "section_path": row.section_path,
        "section_group": row.section_group,
        "row_type": row.row_type.as_str(),
        "label": row.values.first().filter(|v| !v.is_empty()),
        "ref_id": row.ids.first().cloned().flatten(),
        "values": row.values,
        "ids": row.ids,
        "cells": cells,
    })
}

/// Stores `report` as one run of `task` in a single transaction; returns the run id.
pub async fn store(
    db: &mut Client,
    company: i64,
    task: Option<i64>,
    params: &Value,
    report: &FlatReport,
) -> Result<i64, tokio_postgres::Error> {
    let tx = db.transaction().await?;
    let h = &report.header;
    let row = tx
        .query_one(
            "INSERT INTO qbsync.report_run (task_id, company_id, report, params, report_basis, start_period, end_period, \
             summarize_columns_by, currency, no_report_data, options, header, generated_at, column_count, row_count) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            &[
                &task,
                &company,
                &report.name,
                params,
                &h.report_basis,
                &h.start_period,
                &h.end_period,
                &h.summarize_columns_by,
                &h.currency,
                &h.no_report_data,
                &Value::Object(h.options.clone()),
                &h.raw,
                &h.generated_at,
                &(report.columns.len() as i32),
                &(report.rows.len() as i32),
            ],
        )
        .await?;
    let run: i64 = row.get(0);
    let columns: Vec<Value> = report
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| column_json(i, c))
        .collect();
    tx.execute(
        "INSERT INTO qbsync.report_column (run_id, col_no, col_key, title, col_type, group_title, start_date, end_date) \
         SELECT $1, c.* FROM jsonb_to_recordset($2) AS c(col_no int, col_key text, title text, col_type text, \
         group_title text, start_date date, end_date date)",
        &[&run, &Value::Array(columns)],
    )
    .await?;
    for (chunk_no, chunk) in report.rows.chunks(ROWS_PER_INSERT).enumerate() {
        let rows: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, r)| row_json(chunk_no * ROWS_PER_INSERT + i, r, &report.columns))
            .collect();
        tx.execute(
            "INSERT INTO qbsync.report_row (run_id, row_no, depth, section_path, section_group, row_type, label, ref_id, \
             \"values\", ids, cells) \
             SELECT $1, r.* FROM jsonb_to_recordset($2) AS r(row_no int, depth int, section_path text[], \
             section_group text, row_type text, label text, ref_id text, \"values\" text[], ids text[], cells jsonb)",
            &[&run, &Value::Array(rows)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_numbers_as_numbers() {
        assert_eq!(cell_value("275.00"), Some(serde_json::json!(275.00)));
        assert_eq!(cell_value("-12.5"), Some(serde_json::json!(-12.5)));
        assert_eq!(cell_value("12"), Some(serde_json::json!(12)));
        assert_eq!(cell_value(""), None);
        assert_eq!(
            cell_value("Total Income"),
            Some(serde_json::json!("Total Income"))
        );
        assert_eq!(
            cell_value("2026-01-01"),
            Some(serde_json::json!("2026-01-01"))
        );
        assert_eq!(cell_value("-"), Some(serde_json::json!("-")));
        assert_eq!(cell_value("1."), Some(serde_json::json!("1.")));
        assert_eq!(cell_value("-0.00"), Some(serde_json::json!(-0.0)));
        assert_eq!(cell_value("0.1"), Some(serde_json::json!(0.1)));
    }

    #[test]
    fn cells_too_precise_for_a_double_stay_text() {
        // An f64 keeps 15 to 17 significant digits: these would have been stored rounded
        // (12345678901234567.5 as 12345678901234568) while `values` kept the exact text.
        for v in [
            "12345678901234567.5",
            "0.12345678901234567891",
            "123456789012345678901234",
        ] {
            assert_eq!(cell_value(v), Some(serde_json::json!(v)), "{v}");
        }
        // Integers within 64 bits are exact; so is any decimal of up to 15 digits.
        assert_eq!(
            cell_value("18446744073709551615"),
            Some(serde_json::json!(u64::MAX))
        );
        assert_eq!(
            cell_value("-9223372036854775808"),
            Some(serde_json::json!(i64::MIN))
        );
        assert_eq!(
            cell_value("1234567890123.45"),
            Some(serde_json::json!(1234567890123.45))
        );
        assert_eq!(canonical_decimal("-012.50"), (true, "12.5".into()));
        assert_eq!(canonical_decimal("-0.0"), (false, "0".into()));
    }
}
