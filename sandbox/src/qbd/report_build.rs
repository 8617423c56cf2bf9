//! The `ReportRet` shape (§16): title, subtitle, basis, counts, `ColDesc` per column and
//! `ReportData` rows (`TextRow`, `DataRow`, `SubtotalRow`, `TotalRow`), built from a simple
//! table model the report functions fill.

use chrono::{Datelike, NaiveDate};
use qbsync_qbxml::Element;

/// One column.
#[derive(Debug, Clone)]
pub(crate) struct Col {
    pub title: String,
    /// `ColType` (`Label`, `Amount`, `Total`, `Date`, ...).
    pub col_type: &'static str,
    /// `dataType` attribute (`STRTYPE`, `AMTTYPE`, ...).
    pub data_type: &'static str,
}

impl Col {
    pub fn new(title: impl Into<String>, col_type: &'static str, data_type: &'static str) -> Col {
        Col {
            title: title.into(),
            col_type,
            data_type,
        }
    }

    /// The unnamed first column holding row labels.
    pub fn label() -> Col {
        Col::new("", "Label", "STRTYPE")
    }
}

/// One row; `cells` has one entry per column ("" = no `ColData`).
#[derive(Debug, Clone)]
pub(crate) enum Row {
    Text(String),
    Data {
        row_data: Option<(&'static str, String)>,
        cells: Vec<String>,
    },
    Subtotal {
        row_data: Option<(&'static str, String)>,
        cells: Vec<String>,
    },
    Total(Vec<String>),
}

/// A whole report.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub title: String,
    pub subtitle: String,
    pub basis: Option<String>,
    pub cols: Vec<Col>,
    pub rows: Vec<Row>,
}

fn cells(e: Element, cols: &[Col], cells: &[String]) -> Element {
    let mut e = e;
    for (i, v) in cells.iter().enumerate() {
        if v.is_empty() || i >= cols.len() {
            continue;
        }
        e.children.push(
            Element::new("ColData")
                .attr("colID", (i + 1).to_string())
                .attr("value", v.clone()),
        );
    }
    e
}

fn row_data(e: Element, rd: &Option<(&'static str, String)>) -> Element {
    match rd {
        Some((t, v)) => e.child(
            Element::new("RowData")
                .attr("rowType", *t)
                .attr("value", v.clone()),
        ),
        None => e,
    }
}

impl Table {
    /// The `ReportRet` element.
    pub fn to_ret(&self) -> Element {
        let mut e = Element::new("ReportRet")
            .leaf("ReportTitle", self.title.clone())
            .leaf("ReportSubtitle", self.subtitle.clone());
        if let Some(b) = &self.basis {
            e = e.leaf("ReportBasis", b.clone());
        }
        e = e
            .leaf("NumRows", self.rows.len().to_string())
            .leaf("NumColumns", self.cols.len().to_string())
            .leaf("NumColTitleRows", "1");
        for (i, c) in self.cols.iter().enumerate() {
            let mut title = Element::new("ColTitle").attr("titleRow", "1");
            if !c.title.is_empty() {
                title = title.attr("value", c.title.clone());
            }
            e = e.child(
                Element::new("ColDesc")
                    .attr("colID", (i + 1).to_string())
                    .attr("dataType", c.data_type)
                    .child(title)
                    .leaf("ColType", c.col_type),
            );
        }
        let mut data = Element::new("ReportData");
        for (n, r) in self.rows.iter().enumerate() {
            let num = (n + 1).to_string();
            let row = match r {
                Row::Text(v) => Element::new("TextRow")
                    .attr("rowNumber", num)
                    .attr("value", v.clone()),
                Row::Data {
                    row_data: rd,
                    cells: c,
                } => cells(
                    row_data(Element::new("DataRow").attr("rowNumber", num), rd),
                    &self.cols,
                    c,
                ),
                Row::Subtotal {
                    row_data: rd,
                    cells: c,
                } => cells(
                    row_data(Element::new("SubtotalRow").attr("rowNumber", num), rd),
                    &self.cols,
                    c,
                ),
                Row::Total(c) => cells(
                    Element::new("TotalRow").attr("rowNumber", num),
                    &self.cols,
                    c,
                ),
            };
            data.children.push(row);
        }
        if !data.children.is_empty() {
            e = e.child(data);
        }
        e
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn long_date(d: NaiveDate, with_year: bool) -> String {
    let m = MONTHS[d.month0() as usize];
    if with_year {
        format!("{m} {}, {}", d.day(), d.year())
    } else {
        format!("{m} {}", d.day())
    }
}

/// `January 1 through March 31, 2024`, `All Transactions`, ...
pub(crate) fn period_subtitle(from: Option<NaiveDate>, to: Option<NaiveDate>) -> String {
    match (from, to) {
        (Some(f), Some(t)) => format!(
            "{} through {}",
            long_date(f, f.year() != t.year()),
            long_date(t, true)
        ),
        (Some(f), None) => format!("From {}", long_date(f, true)),
        (None, Some(t)) => format!("Through {}", long_date(t, true)),
        (None, None) => "All Transactions".into(),
    }
}

/// `As of March 31, 2024`.
pub(crate) fn as_of_subtitle(d: NaiveDate) -> String {
    format!("As of {}", long_date(d, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_ret_counts_rows_and_columns() {
        let t = Table {
            title: "Profit & Loss".into(),
            subtitle: period_subtitle(
                NaiveDate::from_ymd_opt(2024, 1, 1),
                NaiveDate::from_ymd_opt(2024, 3, 31),
            ),
            basis: Some("Accrual".into()),
            cols: vec![Col::label(), Col::new("TOTAL", "Total", "AMTTYPE")],
            rows: vec![
                Row::Text("Income".into()),
                Row::Data {
                    row_data: Some(("account", "Sales".into())),
                    cells: vec!["Sales".into(), "275.00".into()],
                },
                Row::Total(vec!["Net Income".into(), "275.00".into()]),
            ],
        };
        let e = t.to_ret();
        assert_eq!(
            e.child_text("ReportSubtitle"),
            Some("January 1 through March 31, 2024")
        );
        assert_eq!(e.child_text("NumRows"), Some("3"));
        assert_eq!(e.child_text("NumColumns"), Some("2"));
        let data = e.find("ReportData").expect("data");
        assert_eq!(data.children[1].children.len(), 3);
        assert_eq!(
            as_of_subtitle(NaiveDate::from_ymd_opt(2024, 2, 9).unwrap_or_default()),
            "As of February 9, 2024"
        );
    }
}
