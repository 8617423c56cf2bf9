//! The report JSON shape of reference sheet §7 and `Report.xsd`, written with its keys in the
//! order QuickBooks sends them (the crate's `serde_json` maps sort keys, so reports are written
//! by hand): `Header` fields in XSD order, `Columns.Column[]`, `Rows.Row[]` with nested
//! `Section` rows (`type`, `group`, `Header`, `Rows`, `Summary`) and `Data` rows
//! (`type`, `ColData`). Every cell value is a string; money is `"275.00"`, empty is `""`.

use crate::fault::json_str;
use chrono::NaiveDate;

/// A JSON value whose objects keep their key order.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

impl J {
    fn write(&self, out: &mut String) {
        match self {
            J::Str(s) => out.push_str(&json_str(s)),
            J::Arr(items) => {
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    x.write(out);
                }
                out.push(']');
            }
            J::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&json_str(k));
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.write(&mut out);
        out
    }
}

fn s(v: impl Into<String>) -> J {
    J::Str(v.into())
}

/// Cents as QuickBooks writes money in reports: `"275.00"`, `"-65.00"`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let a = cents.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Money, or `""` for zero (data cells without an amount).
pub fn money_or_blank(cents: i64) -> String {
    if cents == 0 {
        String::new()
    } else {
        money(cents)
    }
}

pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// One `ColData` entry: a value and, on entity cells, the entity's Id.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    pub value: String,
    pub id: Option<String>,
}

impl Cell {
    fn to_j(&self) -> J {
        let mut f = vec![("value", s(self.value.clone()))];
        if let Some(id) = &self.id {
            f.push(("id", s(id.clone())));
        }
        J::Obj(f)
    }
}

pub fn cell(value: impl Into<String>) -> Cell {
    Cell {
        value: value.into(),
        id: None,
    }
}

pub fn cell_id(value: impl Into<String>, id: Option<u64>) -> Cell {
    Cell {
        value: value.into(),
        id: id.map(|i| i.to_string()),
    }
}

/// `n` empty cells.
pub fn blanks(n: usize) -> Vec<Cell> {
    vec![Cell::default(); n]
}

/// A report row.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Data {
        group: Option<&'static str>,
        cells: Vec<Cell>,
    },
    Section {
        group: Option<&'static str>,
        header: Option<Vec<Cell>>,
        rows: Vec<Row>,
        summary: Option<Vec<Cell>>,
    },
}

impl Row {
    pub fn data(cells: Vec<Cell>) -> Row {
        Row::Data { group: None, cells }
    }

    /// A section with a header, its rows and a summary (no `group`).
    pub fn section(header: Vec<Cell>, rows: Vec<Row>, summary: Vec<Cell>) -> Row {
        Row::Section {
            group: None,
            header: Some(header),
            rows,
            summary: Some(summary),
        }
    }

    /// A `group` section that is only a summary line (GrossProfit, NetIncome, GrandTotal, ...).
    pub fn summary_only(group: &'static str, summary: Vec<Cell>) -> Row {
        Row::Section {
            group: Some(group),
            header: None,
            rows: Vec::new(),
            summary: Some(summary),
        }
    }

    pub fn with_group(mut self, g: &'static str) -> Row {
        match &mut self {
            Row::Data { group, .. } | Row::Section { group, .. } => *group = Some(g),
        }
        self
    }

    fn to_j(&self) -> J {
        let cells = |c: &[Cell]| J::Arr(c.iter().map(Cell::to_j).collect());
        match self {
            Row::Data { group, cells: c } => {
                let mut f = vec![("type", s("Data"))];
                if let Some(g) = group {
                    f.push(("group", s(*g)));
                }
                f.push(("ColData", cells(c)));
                J::Obj(f)
            }
            Row::Section {
                group,
                header,
                rows,
                summary,
            } => {
                let mut f = vec![("type", s("Section"))];
                if let Some(g) = group {
                    f.push(("group", s(*g)));
                }
                if let Some(h) = header {
                    f.push(("Header", J::Obj(vec![("ColData", cells(h))])));
                }
                if !rows.is_empty() {
                    f.push(("Rows", rows_j(rows)));
                }
                if let Some(sm) = summary {
                    f.push(("Summary", J::Obj(vec![("ColData", cells(sm))])));
                }
                J::Obj(f)
            }
        }
    }
}

/// `{"Row":[...]}`, or `{}` when there are none (the XSD's `Row` is optional).
fn rows_j(rows: &[Row]) -> J {
    if rows.is_empty() {
        J::Obj(Vec::new())
    } else {
        J::Obj(vec![("Row", J::Arr(rows.iter().map(Row::to_j).collect()))])
    }
}

/// One `Columns.Column` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub title: String,
    pub ty: &'static str,
    pub key: String,
    /// Period columns carry `StartDate` / `EndDate` MetaData.
    pub period: Option<(NaiveDate, NaiveDate)>,
}

impl Column {
    pub fn new(title: impl Into<String>, ty: &'static str, key: impl Into<String>) -> Column {
        Column {
            title: title.into(),
            ty,
            key: key.into(),
            period: None,
        }
    }

    fn to_j(&self) -> J {
        let nv = |n: &'static str, v: String| J::Obj(vec![("Name", s(n)), ("Value", s(v))]);
        let mut meta = Vec::new();
        if let Some((a, b)) = self.period {
            meta.push(nv("StartDate", date(a)));
            meta.push(nv("EndDate", date(b)));
        }
        meta.push(nv("ColKey", self.key.clone()));
        J::Obj(vec![
            ("ColTitle", s(self.title.clone())),
            ("ColType", s(self.ty)),
            ("MetaData", J::Arr(meta)),
        ])
    }
}

/// The report `Header`, fields in `ReportHeader` (Report.xsd) order; absent fields are omitted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    pub time: String,
    pub report_name: String,
    pub date_macro: Option<String>,
    pub report_basis: Option<&'static str>,
    pub start_period: Option<NaiveDate>,
    pub end_period: Option<NaiveDate>,
    pub summarize_columns_by: Option<String>,
    pub currency: String,
    pub customer: Option<String>,
    pub vendor: Option<String>,
    pub employee: Option<String>,
    pub item: Option<String>,
    pub class: Option<String>,
    pub department: Option<String>,
    pub options: Vec<(&'static str, String)>,
}

impl Header {
    fn to_j(&self) -> J {
        let mut f = vec![
            ("Time", s(self.time.clone())),
            ("ReportName", s(self.report_name.clone())),
        ];
        let mut opt = |k: &'static str, v: &Option<String>| {
            if let Some(v) = v {
                f.push((k, s(v.clone())));
            }
        };
        opt("DateMacro", &self.date_macro);
        opt("ReportBasis", &self.report_basis.map(str::to_string));
        opt("StartPeriod", &self.start_period.map(date));
        opt("EndPeriod", &self.end_period.map(date));
        opt("SummarizeColumnsBy", &self.summarize_columns_by);
        opt("Currency", &Some(self.currency.clone()));
        opt("Customer", &self.customer);
        opt("Vendor", &self.vendor);
        opt("Employee", &self.employee);
        opt("Item", &self.item);
        opt("Class", &self.class);
        opt("Department", &self.department);
        let options = self
            .options
            .iter()
            .map(|(n, v)| J::Obj(vec![("Name", s(*n)), ("Value", s(v.clone()))]))
            .collect();
        f.push(("Option", J::Arr(options)));
        J::Obj(f)
    }
}

/// The bare report body (no wrapper, no `time`).
pub fn report(header: &Header, columns: &[Column], rows: &[Row]) -> String {
    J::Obj(vec![
        ("Header", header.to_j()),
        (
            "Columns",
            J::Obj(vec![(
                "Column",
                J::Arr(columns.iter().map(Column::to_j).collect()),
            )]),
        ),
        ("Rows", rows_j(rows)),
    ])
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats_like_quickbooks() {
        assert_eq!(money(27500), "275.00");
        assert_eq!(money(-6500), "-65.00");
        assert_eq!(money(-5), "-0.05");
        assert_eq!(money(0), "0.00");
        assert_eq!(money_or_blank(0), "");
    }

    #[test]
    fn keys_keep_their_order() {
        let row = Row::section(
            vec![cell("Income"), cell("")],
            vec![Row::data(vec![cell_id("Services", Some(6)), cell("1.00")])],
            vec![cell("Total Income"), cell("1.00")],
        )
        .with_group("Income");
        let j = row.to_j().to_json();
        assert_eq!(
            j,
            r#"{"type":"Section","group":"Income","Header":{"ColData":[{"value":"Income"},{"value":""}]},"Rows":{"Row":[{"type":"Data","ColData":[{"value":"Services","id":"6"},{"value":"1.00"}]}]},"Summary":{"ColData":[{"value":"Total Income"},{"value":"1.00"}]}}"#
        );
        let h = Header {
            time: "t".into(),
            report_name: "ProfitAndLoss".into(),
            currency: "USD".into(),
            customer: Some("1".into()),
            options: vec![("NoReportData", "false".into())],
            ..Header::default()
        };
        assert_eq!(
            h.to_j().to_json(),
            r#"{"Time":"t","ReportName":"ProfitAndLoss","Currency":"USD","Customer":"1","Option":[{"Name":"NoReportData","Value":"false"}]}"#
        );
    }
}
