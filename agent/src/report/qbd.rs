//! QuickBooks Desktop `ReportRet` flattened into a [`FlatReport`]. Desktop reports are flat
//! lists of rows: a `TextRow` opens a section (its title joins the section path), a
//! `SubtotalRow` closes the innermost one, and a `TotalRow` is the report's grand total.

use super::{FlatReport, ReportColumn, ReportHeader, ReportRow, RowType};
use chrono::NaiveDate;
use qbsync_qbxml::response::{Report, RowKind};
use serde_json::{json, Map};

/// Flattens `report` (run as `name` with `period`/`basis` as asked).
pub fn flatten(
    name: &str,
    report: &Report,
    period: (Option<NaiveDate>, Option<NaiveDate>),
    summarize_by: Option<&str>,
) -> FlatReport {
    let mut columns: Vec<ReportColumn> = Vec::new();
    for c in &report.columns {
        let title = c.title();
        let mut key = if title.is_empty() {
            c.col_type.clone()
        } else {
            title.clone()
        };
        if key.is_empty() || columns.iter().any(|o| o.key == key) {
            key = format!("col{}", c.col_id);
        }
        columns.push(ReportColumn {
            key,
            title,
            col_type: Some(c.col_type.clone()).filter(|t| !t.is_empty()),
            group_title: None,
            start_date: None,
            end_date: None,
        });
    }
    let ids: Vec<&str> = report.columns.iter().map(|c| c.col_id.as_str()).collect();
    let mut path: Vec<String> = Vec::new();
    let mut rows = Vec::with_capacity(report.rows.len());
    for r in &report.rows {
        let values: Vec<String> = ids
            .iter()
            .map(|id| r.cell(id).unwrap_or_default().to_string())
            .collect();
        match r.kind {
            RowKind::TextRow => {
                let title = r.value.clone().unwrap_or_default();
                path.push(title.clone());
                let mut vals = vec![String::new(); ids.len().max(1)];
                vals[0] = title;
                rows.push(row(&path, RowType::Header, vals, r.row_type.clone()));
            }
            RowKind::DataRow => rows.push(row(&path, RowType::Data, values, r.row_type.clone())),
            RowKind::SubtotalRow => {
                rows.push(row(&path, RowType::Summary, values, r.row_type.clone()));
                path.pop();
            }
            RowKind::TotalRow => {
                path.clear();
                rows.push(row(&path, RowType::Summary, values, Some("total".into())));
            }
        }
    }
    let mut options = Map::new();
    options.insert("ReportTitle".into(), json!(report.title));
    options.insert("ReportSubtitle".into(), json!(report.subtitle));
    FlatReport {
        name: name.to_string(),
        header: ReportHeader {
            report_basis: report.basis.clone(),
            start_period: period.0,
            end_period: period.1,
            summarize_columns_by: summarize_by.map(str::to_owned),
            currency: None,
            no_report_data: report.rows.is_empty(),
            options,
            generated_at: None,
            raw: json!({
                "ReportTitle": report.title, "ReportSubtitle": report.subtitle, "ReportBasis": report.basis,
                "NumRows": report.num_rows, "NumColumns": report.num_columns, "NumColTitleRows": report.num_col_title_rows,
            }),
        },
        columns,
        rows,
    }
}

fn row(
    path: &[String],
    row_type: RowType,
    values: Vec<String>,
    group: Option<String>,
) -> ReportRow {
    let n = values.len();
    ReportRow {
        section_path: path.to_vec(),
        section_group: group,
        row_type,
        values,
        ids: vec![None; n],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qbsync_qbxml::response::parse_report;
    use qbsync_qbxml::Element;

    #[test]
    fn text_rows_open_sections_and_subtotals_close_them() {
        let xml = r#"<ReportRet><ReportTitle>Profit &amp; Loss</ReportTitle><ReportSubtitle>January 2024</ReportSubtitle>
<ReportBasis>Accrual</ReportBasis><NumRows>5</NumRows><NumColumns>2</NumColumns><NumColTitleRows>1</NumColTitleRows>
<ColDesc colID="1" dataType="STRTYPE"><ColTitle titleRow="1"/><ColType>Label</ColType></ColDesc>
<ColDesc colID="2" dataType="AMTTYPE"><ColTitle titleRow="1" value="TOTAL"/><ColType>Total</ColType></ColDesc>
<ReportData>
<TextRow rowNumber="1" value="Income"/>
<DataRow rowNumber="2"><RowData rowType="account" value="Sales"/><ColData colID="1" value="Sales"/><ColData colID="2" value="275.00"/></DataRow>
<SubtotalRow rowNumber="3"><ColData colID="1" value="Total Income"/><ColData colID="2" value="275.00"/></SubtotalRow>
<TotalRow rowNumber="4"><ColData colID="1" value="Net Income"/><ColData colID="2" value="275.00"/></TotalRow>
</ReportData></ReportRet>"#;
        let report = parse_report(&Element::parse(xml).expect("xml"));
        let flat = flatten("ProfitAndLossStandard", &report, (None, None), None);
        assert_eq!(
            flat.columns
                .iter()
                .map(|c| c.key.as_str())
                .collect::<Vec<_>>(),
            ["Label", "TOTAL"]
        );
        let kinds: Vec<_> = flat
            .rows
            .iter()
            .map(|r| (r.row_type, r.section_path.join("/"), r.values[0].clone()))
            .collect();
        assert_eq!(
            kinds,
            [
                (RowType::Header, "Income".to_string(), "Income".to_string()),
                (RowType::Data, "Income".to_string(), "Sales".to_string()),
                (
                    RowType::Summary,
                    "Income".to_string(),
                    "Total Income".to_string()
                ),
                (RowType::Summary, String::new(), "Net Income".to_string()),
            ]
        );
        assert_eq!(flat.header.report_basis.as_deref(), Some("Accrual"));
    }
}
