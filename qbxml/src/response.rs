//! qbXML responses, read leniently: real QuickBooks answers carry values and elements the XSD
//! does not know (`PreferredDeliveryMethod` `Mail`, report `ColType` `UnitOfMeasureUnit`), so
//! nothing here rejects an unknown element or value; only a document that is not XML, or has no
//! `QBXMLMsgsRs`, is an error.
//!
//! - [`parse_response`]: the message set status and every `*Rs` with its status attributes,
//!   iterator state, `*Ret` elements and `ErrorRecovery`;
//! - [`ret_to_json`]: a `*Ret` as JSON for the mirror row's `data` column (typed columns are
//!   then extracted by the catalogue's paths);
//! - [`parse_report`]: a `ReportRet` as columns and rows.

use crate::tree::{Element, XmlError};
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("not a qbXML response: {0}")]
    NotQbxml(String),
}

/// `statusSeverity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Severity {
    Info,
    Warn,
    Error,
    /// Absent or unknown (kept as sent).
    Other(String),
}

impl Severity {
    fn parse(s: Option<&str>) -> Severity {
        match s {
            Some("Info") => Severity::Info,
            Some("Warn") => Severity::Warn,
            Some("Error") => Severity::Error,
            other => Severity::Other(other.unwrap_or_default().to_string()),
        }
    }
}

/// `ErrorRecovery` in an Add/Mod/Void/Del response: what QuickBooks actually wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErrorRecovery {
    pub list_id: Option<String>,
    pub owner_id: Option<String>,
    pub txn_id: Option<String>,
    pub txn_number: Option<String>,
    pub edit_sequence: Option<String>,
    pub external_guid: Option<String>,
}

/// One `*Rs` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Element name: `CustomerQueryRs`, `InvoiceAddRs`, `TxnDelRs`, ...
    pub name: String,
    /// Echo of the request's `requestID` (absent when the request had none).
    pub request_id: Option<String>,
    /// `statusCode`; `None` when absent or not a number.
    pub status_code: Option<i64>,
    pub status_severity: Severity,
    pub status_message: String,
    pub ret_count: Option<u64>,
    pub iterator_remaining_count: Option<u64>,
    pub iterator_id: Option<String>,
    /// The children whose name ends in `Ret` (`CustomerRet`, `ReportRet`, `ListDeletedRet`, ...).
    pub rets: Vec<Element>,
    pub error_recovery: Option<ErrorRecovery>,
    /// The whole element, for responses whose content is not a `*Ret` (`TxnDelRs` has
    /// `TxnDelType`, `TxnID`, `TimeDeleted`, ... directly).
    pub element: Element,
}

impl Response {
    /// The request type: the name without `Rs` (`CustomerQuery`).
    pub fn request_type(&self) -> &str {
        self.name.strip_suffix("Rs").unwrap_or(&self.name)
    }

    /// Severity Error (or a code of 1000 and more without a severity).
    pub fn is_error(&self) -> bool {
        match &self.status_severity {
            Severity::Error => true,
            Severity::Info | Severity::Warn => false,
            Severity::Other(_) => self.status_code.is_none_or(|c| c >= 1000),
        }
    }

    /// Code 1: a query found nothing (Info, not an error).
    pub fn is_empty_result(&self) -> bool {
        self.status_code == Some(1)
    }

    /// Whether an iterator has pages left.
    pub fn has_more(&self) -> bool {
        self.iterator_remaining_count.is_some_and(|n| n > 0)
    }

    /// The first `*Ret`.
    pub fn ret(&self) -> Option<&Element> {
        self.rets.first()
    }

    /// The `ReportRet` of a report query, parsed.
    pub fn report(&self) -> Option<Report> {
        self.rets
            .iter()
            .find(|r| r.name == "ReportRet")
            .map(parse_report)
    }
}

/// A parsed qbXML response document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QbxmlResponse {
    /// `QBXMLMsgsRs@newMessageSetID`.
    pub new_message_set_id: Option<String>,
    /// `QBXMLMsgsRs@messageSetStatusCode` (present only when recovery attributes were sent).
    pub message_set_status_code: Option<String>,
    /// The `*Rs` elements in document order.
    pub responses: Vec<Response>,
}

impl QbxmlResponse {
    /// The response to the request with `requestID` = `request_id`.
    pub fn by_request_id(&self, request_id: &str) -> Option<&Response> {
        self.responses
            .iter()
            .find(|r| r.request_id.as_deref() == Some(request_id))
    }
}

fn opt_text(e: &Element, name: &str) -> Option<String> {
    e.find(name).map(|c| c.text.clone())
}

fn parse_rs(e: &Element) -> Response {
    let attr = |n: &str| e.get_attr(n).map(str::to_string);
    let number = |n: &str| e.get_attr(n).and_then(|v| v.trim().parse().ok());
    Response {
        name: e.name.clone(),
        request_id: attr("requestID"),
        status_code: e.get_attr("statusCode").and_then(|v| v.trim().parse().ok()),
        status_severity: Severity::parse(e.get_attr("statusSeverity")),
        status_message: attr("statusMessage").unwrap_or_default(),
        ret_count: number("retCount"),
        iterator_remaining_count: number("iteratorRemainingCount"),
        iterator_id: attr("iteratorID"),
        rets: e
            .children
            .iter()
            .filter(|c| c.name.ends_with("Ret"))
            .cloned()
            .collect(),
        error_recovery: e.find("ErrorRecovery").map(|r| ErrorRecovery {
            list_id: opt_text(r, "ListID"),
            owner_id: opt_text(r, "OwnerID"),
            txn_id: opt_text(r, "TxnID"),
            txn_number: opt_text(r, "TxnNumber"),
            edit_sequence: opt_text(r, "EditSequence"),
            external_guid: opt_text(r, "ExternalGUID"),
        }),
        element: e.clone(),
    }
}

/// Parses a qbXML response document (the `response` of `receiveResponseXML`, or the
/// `strHCPResponse` of the first `sendRequestXML`).
pub fn parse_response(xml: &str) -> Result<QbxmlResponse, ResponseError> {
    let root = Element::parse(xml)?;
    let msgs = if root.local_name() == "QBXMLMsgsRs" {
        &root
    } else if root.local_name() == "QBXML" {
        root.find_local("QBXMLMsgsRs")
            .ok_or_else(|| ResponseError::NotQbxml("QBXML has no QBXMLMsgsRs".into()))?
    } else {
        return Err(ResponseError::NotQbxml(format!(
            "the root element is {}, not QBXML",
            root.name
        )));
    };
    Ok(QbxmlResponse {
        new_message_set_id: msgs.get_attr("newMessageSetID").map(str::to_string),
        message_set_status_code: msgs.get_attr("messageSetStatusCode").map(str::to_string),
        responses: msgs.children.iter().map(parse_rs).collect(),
    })
}

/// Elements that may repeat inside a `*Ret`: always JSON arrays, even when there is one, so a
/// path into them is stable. Names ending in `LineRet` or `LineGroupRet` are arrays too.
pub const REPEATED_ELEMENTS: &[&str] = &[
    "LinkedTxn",
    "DataExtRet",
    "AppliedToTxnRet",
    "JournalDebitLine",
    "JournalCreditLine",
    "TxnLineDetail",
    "ContactsRet",
    "AdditionalContactRef",
    "ShipToAddress",
    "AdditionalNotesRet",
    "PrefillAccountRef",
    "SupportedQBXMLVersion",
    "ItemGroupLineRet",
    "ColDesc",
    "ColTitle",
    "ColData",
];

/// Whether `name` is always an array in [`ret_to_json`].
pub fn is_repeated(name: &str) -> bool {
    REPEATED_ELEMENTS.contains(&name) || name.ends_with("LineRet") || name.ends_with("LineGroupRet")
}

/// A `*Ret` (or any element) as JSON: child elements become object keys (in document order
/// when serde_json keeps order; jsonb does not anyway), repeated elements and the ones
/// [`is_repeated`] names become arrays, leaves become strings (qbXML text, unconverted), and
/// attributes become `@name` keys (a leaf with attributes: `{"@a": …, "#text": …}`).
pub fn ret_to_json(ret: &Element) -> Value {
    let mut obj = Map::new();
    for (k, v) in &ret.attrs {
        obj.insert(format!("@{k}"), Value::String(v.clone()));
    }
    if ret.children.is_empty() {
        if obj.is_empty() {
            return Value::String(ret.text.clone());
        }
        if !ret.text.is_empty() {
            obj.insert("#text".into(), Value::String(ret.text.clone()));
        }
        return Value::Object(obj);
    }
    for c in &ret.children {
        let v = ret_to_json(c);
        match obj.get_mut(&c.name) {
            Some(Value::Array(items)) => items.push(v),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, v]);
            }
            None => {
                let v = if is_repeated(&c.name) {
                    Value::Array(vec![v])
                } else {
                    v
                };
                obj.insert(c.name.clone(), v);
            }
        }
    }
    Value::Object(obj)
}

/// A report, as the agent stores it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub title: String,
    pub subtitle: String,
    pub basis: Option<String>,
    pub num_rows: Option<u64>,
    pub num_columns: Option<u64>,
    pub num_col_title_rows: Option<u64>,
    pub columns: Vec<ReportColumn>,
    pub rows: Vec<ReportRow>,
}

/// A `ColDesc`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportColumn {
    pub col_id: String,
    pub titles: Vec<ColTitle>,
    /// `ColType`: `Label`, `Amount`, `Total`, ... (unknown values kept).
    pub col_type: String,
    /// `dataType`: `AMTTYPE`, `STRTYPE`, ...
    pub data_type: String,
}

impl ReportColumn {
    /// The column's title rows joined with a space (`"Jan 24"`), empty when none has a value.
    pub fn title(&self) -> String {
        self.titles
            .iter()
            .map(|t| t.value.as_str())
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A `ColTitle`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ColTitle {
    pub title_row: String,
    pub value: String,
}

/// The kind of a report row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum RowKind {
    DataRow,
    TextRow,
    SubtotalRow,
    TotalRow,
}

/// A row of `ReportData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    pub row_number: Option<u64>,
    pub kind: RowKind,
    /// `RowData@rowType` (`account`, `customer`, ...).
    pub row_type: Option<String>,
    /// `RowData@value`, or a `TextRow`'s `value`.
    pub value: Option<String>,
    pub cells: Vec<ReportCell>,
}

impl ReportRow {
    /// The value of column `col_id`.
    pub fn cell(&self, col_id: &str) -> Option<&str> {
        self.cells
            .iter()
            .find(|c| c.col_id == col_id)
            .map(|c| c.value.as_str())
    }
}

/// A `ColData`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportCell {
    pub col_id: String,
    pub value: String,
    pub data_type: Option<String>,
}

/// Parses a `ReportRet` (unknown elements ignored, unknown values kept).
pub fn parse_report(ret: &Element) -> Report {
    let number = |name: &str| ret.child_text(name).and_then(|v| v.trim().parse().ok());
    let columns = ret
        .find_all("ColDesc")
        .map(|d| ReportColumn {
            col_id: d.get_attr("colID").unwrap_or_default().to_string(),
            titles: d
                .find_all("ColTitle")
                .map(|t| ColTitle {
                    title_row: t.get_attr("titleRow").unwrap_or_default().to_string(),
                    value: t.get_attr("value").unwrap_or_default().to_string(),
                })
                .collect(),
            col_type: d.child_text("ColType").unwrap_or_default().to_string(),
            data_type: d.get_attr("dataType").unwrap_or_default().to_string(),
        })
        .collect();
    let rows = ret
        .find("ReportData")
        .map(|data| {
            data.children
                .iter()
                .filter_map(|r| {
                    let kind = match r.name.as_str() {
                        "DataRow" => RowKind::DataRow,
                        "TextRow" => RowKind::TextRow,
                        "SubtotalRow" => RowKind::SubtotalRow,
                        "TotalRow" => RowKind::TotalRow,
                        _ => return None,
                    };
                    let row_data = r.find("RowData");
                    Some(ReportRow {
                        row_number: r.get_attr("rowNumber").and_then(|v| v.trim().parse().ok()),
                        row_type: row_data
                            .and_then(|d| d.get_attr("rowType"))
                            .map(str::to_string),
                        value: row_data
                            .and_then(|d| d.get_attr("value"))
                            .or_else(|| r.get_attr("value"))
                            .map(str::to_string),
                        cells: r
                            .find_all("ColData")
                            .map(|c| ReportCell {
                                col_id: c.get_attr("colID").unwrap_or_default().to_string(),
                                value: c.get_attr("value").unwrap_or_default().to_string(),
                                data_type: c.get_attr("dataType").map(str::to_string),
                            })
                            .collect(),
                        kind,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Report {
        title: ret
            .child_text("ReportTitle")
            .unwrap_or_default()
            .to_string(),
        subtitle: ret
            .child_text("ReportSubtitle")
            .unwrap_or_default()
            .to_string(),
        basis: ret.child_text("ReportBasis").map(str::to_string),
        num_rows: number("NumRows"),
        num_columns: number("NumColumns"),
        num_col_title_rows: number("NumColTitleRows"),
        columns,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The first sendRequestXML's strHCPResponse (reference sheet §5).
    const HCP: &str = r#"<?xml version="1.0" ?>
<QBXML>
<QBXMLMsgsRs>
<HostQueryRs requestID="0" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<HostRet><ProductName>QuickBooks Pro 2014</ProductName><MajorVersion>24</MajorVersion><MinorVersion>0</MinorVersion>
<Country>US</Country><SupportedQBXMLVersion>1.0</SupportedQBXMLVersion><SupportedQBXMLVersion>13.0</SupportedQBXMLVersion>
<IsAutomaticLogin>false</IsAutomaticLogin><QBFileMode>SingleUser</QBFileMode></HostRet>
</HostQueryRs>
<CompanyQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<CompanyRet><IsSampleCompany>false</IsSampleCompany><CompanyName>Acme</CompanyName>
<DataExtRet><OwnerID>{87EDAAF8-637E-4203-867F-4BA79C2F8998}</OwnerID><DataExtName>FileID</DataExtName>
<DataExtType>STR255TYPE</DataExtType><DataExtValue>{CA1C3EB8-1B61-4747-A743-8D5B438B83AC}</DataExtValue></DataExtRet>
</CompanyRet>
</CompanyQueryRs>
<PreferencesQueryRs requestID="2" statusCode="0" statusSeverity="Info" statusMessage="Status OK"><PreferencesRet/></PreferencesQueryRs>
</QBXMLMsgsRs>
</QBXML>
"#;

    #[test]
    fn parses_the_hcp_response() {
        let r = parse_response(HCP).expect("parse");
        assert_eq!(r.responses.len(), 3);
        let host = r.by_request_id("0").expect("host");
        assert_eq!(host.name, "HostQueryRs");
        assert_eq!(host.request_type(), "HostQuery");
        assert_eq!(host.status_code, Some(0));
        assert_eq!(host.status_severity, Severity::Info);
        assert!(!host.is_error());
        let json = ret_to_json(host.ret().expect("HostRet"));
        assert_eq!(json["ProductName"], "QuickBooks Pro 2014");
        assert_eq!(json["SupportedQBXMLVersion"], json!(["1.0", "13.0"]));
        let company = ret_to_json(
            r.by_request_id("1")
                .and_then(|c| c.ret())
                .expect("CompanyRet"),
        );
        assert_eq!(company["DataExtRet"][0]["DataExtName"], "FileID");
        assert_eq!(
            company["DataExtRet"][0]["DataExtValue"],
            "{CA1C3EB8-1B61-4747-A743-8D5B438B83AC}"
        );
        assert_eq!(r.new_message_set_id, None);
        assert_eq!(r.message_set_status_code, None);
    }

    #[test]
    fn parses_iterator_pages_errors_and_lenient_values() {
        let xml = r#"<?xml version="1.0" ?>
<QBXML><QBXMLMsgsRs>
<CustomerQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK"
  retCount="2" iteratorRemainingCount="18" iteratorID="{eb05f701-e727-472f-8ade-6753c4f67a46}">
<CustomerRet><ListID>80000001-1405768916</ListID><TimeCreated>2014-07-19T07:21:56-05:00</TimeCreated>
<EditSequence>1405768916</EditSequence><Name>Smith &amp; Sons</Name><FullName>Smith &amp; Sons</FullName>
<IsActive>true</IsActive><BillAddress><Addr1>1 Main St</Addr1></BillAddress>
<PreferredDeliveryMethod>Mail</PreferredDeliveryMethod><SomeFutureElement>x</SomeFutureElement></CustomerRet>
<CustomerRet><ListID>80000002-1405768916</ListID><Name>Job</Name><ParentRef><ListID>80000001-1405768916</ListID></ParentRef></CustomerRet>
</CustomerQueryRs>
<CustomerModRs requestID="8" statusCode="3200" statusSeverity="Error" statusMessage="The provided edit sequence &quot;1405768916&quot; is out-of-date. " />
<InvoiceQueryRs requestID="9" statusCode="1" statusSeverity="Info" statusMessage="A query request did not find a matching object in QuickBooks" retCount="0" iteratorRemainingCount="0" iteratorID="{x}"/>
<CustomerQueryRs requestID="10" statusCode="500" statusSeverity="Warn" statusMessage="The query request has not been fully completed. There was a required element (&quot;bleech&quot;) that could not be found in QuickBooks."/>
</QBXMLMsgsRs></QBXML>"#;
        let r = parse_response(xml).expect("parse");
        let page = &r.responses[0];
        assert_eq!(page.ret_count, Some(2));
        assert_eq!(page.iterator_remaining_count, Some(18));
        assert!(page.has_more());
        assert_eq!(
            page.iterator_id.as_deref(),
            Some("{eb05f701-e727-472f-8ade-6753c4f67a46}")
        );
        assert_eq!(page.rets.len(), 2);
        let c = ret_to_json(&page.rets[0]);
        assert_eq!(c["Name"], "Smith & Sons");
        assert_eq!(c["BillAddress"]["Addr1"], "1 Main St");
        assert_eq!(c["PreferredDeliveryMethod"], "Mail");
        assert_eq!(c["SomeFutureElement"], "x");
        let stale = r.by_request_id("8").expect("mod");
        assert!(stale.is_error());
        assert_eq!(stale.status_code, Some(3200));
        assert_eq!(
            stale.status_message,
            "The provided edit sequence \"1405768916\" is out-of-date. "
        );
        assert!(stale.rets.is_empty());
        let none = r.by_request_id("9").expect("empty");
        assert!(none.is_empty_result() && !none.is_error() && !none.has_more());
        let warn = r.by_request_id("10").expect("warn");
        assert_eq!(warn.status_severity, Severity::Warn);
        assert!(!warn.is_error());
    }

    #[test]
    fn parses_error_recovery_and_message_set_status() {
        let xml = r#"<?xml version="1.0" ?>
<QBXML><QBXMLMsgsRs newMessageSetID="SYNC-000042" messageSetStatusCode="0">
<InvoiceAddRs requestID="7" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<InvoiceRet><TxnID>4C-1415942229</TxnID><EditSequence>1415942229</EditSequence><TxnNumber>12</TxnNumber>
<CustomerRef><ListID>80000001-1405768916</ListID><FullName>Acme</FullName></CustomerRef>
<LinkedTxn><TxnID>5-1</TxnID><TxnType>ReceivePayment</TxnType><TxnDate>2024-01-02</TxnDate><Amount>-10.00</Amount></LinkedTxn>
<InvoiceLineRet><TxnLineID>4E-1</TxnLineID><ItemRef><FullName>Consulting</FullName></ItemRef><Amount>10.00</Amount></InvoiceLineRet>
<InvoiceLineGroupRet><TxnLineID>4F-1</TxnLineID><InvoiceLineRet><TxnLineID>50-1</TxnLineID></InvoiceLineRet><InvoiceLineRet><TxnLineID>51-1</TxnLineID></InvoiceLineRet></InvoiceLineGroupRet>
</InvoiceRet>
<ErrorRecovery><TxnID>4C-1415942229</TxnID><TxnNumber>12</TxnNumber><EditSequence>1415942229</EditSequence></ErrorRecovery>
</InvoiceAddRs>
<TxnDelRs requestID="10" statusCode="0" statusSeverity="Info" statusMessage="Status OK"><TxnDelType>Invoice</TxnDelType><TxnID>5-1232328071</TxnID><TimeDeleted>2024-01-05T10:00:00-05:00</TimeDeleted></TxnDelRs>
<TxnDeletedQueryRs requestID="5" statusCode="0" statusSeverity="Info" statusMessage="Status OK" retCount="1">
<TxnDeletedRet><TxnDelType>Invoice</TxnDelType><TxnID>5-1232328071</TxnID><TimeCreated>2024-01-01T09:00:00-05:00</TimeCreated><TimeDeleted>2024-01-05T10:00:00-05:00</TimeDeleted><RefNumber>1001</RefNumber></TxnDeletedRet>
</TxnDeletedQueryRs>
</QBXMLMsgsRs></QBXML>"#;
        let r = parse_response(xml).expect("parse");
        assert_eq!(r.new_message_set_id.as_deref(), Some("SYNC-000042"));
        assert_eq!(r.message_set_status_code.as_deref(), Some("0"));
        let add = &r.responses[0];
        let er = add.error_recovery.as_ref().expect("recovery");
        assert_eq!(er.txn_id.as_deref(), Some("4C-1415942229"));
        assert_eq!(er.txn_number.as_deref(), Some("12"));
        assert_eq!(er.list_id, None);
        let inv = ret_to_json(add.ret().expect("InvoiceRet"));
        assert_eq!(inv["CustomerRef"]["ListID"], "80000001-1405768916");
        assert_eq!(inv["TxnNumber"], "12");
        assert_eq!(inv["LinkedTxn"][0]["Amount"], "-10.00");
        assert_eq!(inv["InvoiceLineRet"].as_array().map(Vec::len), Some(1));
        assert_eq!(
            inv["InvoiceLineRet"][0]["ItemRef"]["FullName"],
            "Consulting"
        );
        assert_eq!(
            inv["InvoiceLineGroupRet"][0]["InvoiceLineRet"][1]["TxnLineID"],
            "51-1"
        );
        let del = r.by_request_id("10").expect("del");
        assert!(del.rets.is_empty());
        assert_eq!(del.element.child_text("TxnID"), Some("5-1232328071"));
        let deleted = r.by_request_id("5").expect("deleted");
        assert_eq!(ret_to_json(&deleted.rets[0])["RefNumber"], "1001");
        // Recovery status of an unknown set: no *Rs at all.
        let r = parse_response(
            r#"<?xml version="1.0" ?><QBXML><QBXMLMsgsRs messageSetStatusCode="600"/></QBXML>"#,
        )
        .expect("parse");
        assert_eq!(r.message_set_status_code.as_deref(), Some("600"));
        assert!(r.responses.is_empty());
    }

    #[test]
    fn repeated_elements_and_attributes_in_json() {
        let e = Element::parse(
            "<JournalEntryRet><TxnID>1-1</TxnID><JournalDebitLine><TxnLineID>2</TxnLineID></JournalDebitLine>\
             <JournalCreditLine><TxnLineID>3</TxnLineID></JournalCreditLine><JournalDebitLine><TxnLineID>4</TxnLineID></JournalDebitLine>\
             <Memo/><Odd a=\"1\">t</Odd><Twice>x</Twice><Twice>y</Twice></JournalEntryRet>",
        )
        .expect("xml");
        let j = ret_to_json(&e);
        assert_eq!(
            j["JournalDebitLine"],
            json!([{"TxnLineID": "2"}, {"TxnLineID": "4"}])
        );
        assert_eq!(j["JournalCreditLine"], json!([{"TxnLineID": "3"}]));
        assert_eq!(j["Memo"], "");
        assert_eq!(j["Odd"], json!({"@a": "1", "#text": "t"}));
        assert_eq!(j["Twice"], json!(["x", "y"]));
        assert!(
            is_repeated("ExpenseLineRet")
                && is_repeated("AppliedToTxnRet")
                && !is_repeated("BillAddress")
        );
    }

    #[test]
    fn parses_the_reference_report() {
        let xml = r#"<?xml version="1.0" ?>
<QBXML><QBXMLMsgsRs>
<GeneralSummaryReportQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<ReportRet>
 <ReportTitle>Profit &amp; Loss</ReportTitle><ReportSubtitle>January through March 2024</ReportSubtitle>
 <ReportBasis>Accrual</ReportBasis><NumRows>3</NumRows><NumColumns>2</NumColumns><NumColTitleRows>1</NumColTitleRows>
 <ColDesc colID="1" dataType="STRTYPE"><ColTitle titleRow="1"/><ColType>Label</ColType></ColDesc>
 <ColDesc colID="2" dataType="AMTTYPE"><ColTitle titleRow="1" value="TOTAL"/><ColType>Total</ColType></ColDesc>
 <ColDesc colID="3" dataType="QUANTYPE"><ColTitle titleRow="1" value="Jan"/><ColTitle titleRow="2" value="24"/><ColType>UnitOfMeasureUnit</ColType></ColDesc>
 <ReportData>
  <TextRow rowNumber="1" value="Income"/>
  <DataRow rowNumber="2"><RowData rowType="account" value="Sales"/><ColData colID="1" value="Sales"/><ColData colID="2" value="275.00"/></DataRow>
  <SubtotalRow rowNumber="3"><ColData colID="2" value="275.00"/></SubtotalRow>
  <TotalRow rowNumber="4"><ColData colID="1" value="Net Income"/><ColData colID="2" value="275.00"/></TotalRow>
  <FutureRow rowNumber="5"/>
 </ReportData>
</ReportRet>
</GeneralSummaryReportQueryRs>
</QBXMLMsgsRs></QBXML>"#;
        let r = parse_response(xml).expect("parse");
        let report = r.responses[0].report().expect("report");
        assert_eq!(report.title, "Profit & Loss");
        assert_eq!(report.subtitle, "January through March 2024");
        assert_eq!(report.basis.as_deref(), Some("Accrual"));
        assert_eq!(
            (
                report.num_rows,
                report.num_columns,
                report.num_col_title_rows
            ),
            (Some(3), Some(2), Some(1))
        );
        assert_eq!(report.columns.len(), 3);
        assert_eq!(report.columns[1].col_type, "Total");
        assert_eq!(report.columns[1].data_type, "AMTTYPE");
        assert_eq!(report.columns[1].title(), "TOTAL");
        assert_eq!(report.columns[0].title(), "");
        assert_eq!(report.columns[2].title(), "Jan 24");
        assert_eq!(report.columns[2].col_type, "UnitOfMeasureUnit");
        assert_eq!(report.rows.len(), 4);
        assert_eq!(report.rows[0].kind, RowKind::TextRow);
        assert_eq!(report.rows[0].value.as_deref(), Some("Income"));
        let data = &report.rows[1];
        assert_eq!(
            (data.kind.clone(), data.row_number),
            (RowKind::DataRow, Some(2))
        );
        assert_eq!(data.row_type.as_deref(), Some("account"));
        assert_eq!(data.value.as_deref(), Some("Sales"));
        assert_eq!(data.cell("2"), Some("275.00"));
        assert_eq!(report.rows[2].kind, RowKind::SubtotalRow);
        assert_eq!(report.rows[3].kind, RowKind::TotalRow);
        assert_eq!(report.rows[3].cell("1"), Some("Net Income"));
        let json = serde_json::to_value(&report).expect("serialize");
        assert_eq!(json["rows"][1]["cells"][1]["value"], "275.00");
    }

    #[test]
    fn rejects_what_is_not_a_qbxml_response() {
        assert!(matches!(parse_response("<a>"), Err(ResponseError::Xml(_))));
        assert!(matches!(
            parse_response("<html/>"),
            Err(ResponseError::NotQbxml(_))
        ));
        assert!(matches!(
            parse_response("<QBXML><Other/></QBXML>"),
            Err(ResponseError::NotQbxml(_))
        ));
        let bare =
            parse_response("<QBXMLMsgsRs><XRs statusCode=\"x\"/></QBXMLMsgsRs>").expect("parse");
        assert_eq!(bare.responses[0].status_code, None);
        assert!(bare.responses[0].is_error());
        assert_eq!(
            bare.responses[0].status_severity,
            Severity::Other(String::new())
        );
    }
}
