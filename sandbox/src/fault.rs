//! QuickBooks fault envelopes (reference sheet §8, §9, §10) with their exact texts.

use serde::Serialize;
use serde_json::Value;

/// Detail of 610 for a reference to an inactive name-list record (and, [sim], an unknown one).
pub const INACTIVE_DETAIL: &str = "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.";
/// Detail of 610 for any access to a deleted transaction.
pub const DELETED_TXN_DETAIL: &str =
    "Object Not Found : Another user has deleted this transaction.";
/// [sim] the other user named in the 5010 detail.
pub const OTHER_USER: &str = "Sandbox User";
pub const THROTTLE_MESSAGE: &str = "message=ThrottleExceeded; errorCode=003001; statusCode=429";
pub const THROTTLE_DETAIL: &str = "The request limit was reached.  Try again later";

/// One entry of `Fault.Error`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultError {
    #[serde(rename = "Message")]
    pub message: String,
    #[serde(rename = "Detail")]
    pub detail: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
}

/// A QuickBooks fault: HTTP status, `type`, one or more errors, and whether the envelope
/// carries `time` (2030 does not).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("HTTP {status} {}", self.summary())]
pub struct Fault {
    pub status: u16,
    pub kind: String,
    pub errors: Vec<FaultError>,
    pub with_time: bool,
}

#[derive(Serialize)]
struct FaultBody<'a> {
    #[serde(rename = "Error")]
    error: &'a [FaultError],
    #[serde(rename = "type")]
    kind: &'a str,
}

impl Fault {
    pub fn new(
        status: u16,
        kind: &str,
        code: &str,
        message: &str,
        detail: impl Into<String>,
        element: Option<&str>,
    ) -> Self {
        Fault {
            status,
            kind: kind.to_string(),
            errors: vec![FaultError {
                message: message.to_string(),
                detail: detail.into(),
                code: code.to_string(),
                element: element.map(str::to_string),
            }],
            with_time: true,
        }
    }

    fn validation(
        code: &str,
        message: &str,
        detail: impl Into<String>,
        element: Option<&str>,
    ) -> Self {
        Fault::new(400, "ValidationFault", code, message, detail, element)
    }

    pub fn code(&self) -> &str {
        self.errors.first().map(|e| e.code.as_str()).unwrap_or("")
    }

    pub fn summary(&self) -> String {
        self.errors
            .iter()
            .map(|e| format!("{} {}: {}", e.code, e.message, e.detail))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// 400 / 500 `Unsupported Operation` for a path nothing serves.
    pub fn unsupported_path(path: &str, full: &str) -> Self {
        Fault::validation(
            "500",
            "Unsupported Operation",
            format!("Operation Could not find resource for relative : {path} of full path: {full} is not supported."),
            Some(""),
        )
    }

    /// 400 / 500 `Unsupported Operation` for an operation the entity does not have.
    pub fn unsupported_operation(what: &str) -> Self {
        Fault::validation(
            "500",
            "Unsupported Operation",
            format!("Operation {what} is not supported."),
            Some(""),
        )
    }

    /// 400 / `500` `Unsupported Operation` for a write the entity refuses from an API client
    /// ([sim] Detail `Operation Create TaxCode is not supported.`).
    pub fn unsupported_entity_operation(operation: &str, entity: &str) -> Self {
        Fault::unsupported_operation(&format!("{operation} {entity}"))
    }

    pub fn invalid_utf8() -> Self {
        Fault::validation(
            "500",
            "Unsupported Operation",
            "Operation Request has invalid UTF-8 characters is not supported.",
            Some(""),
        )
    }

    pub fn object_not_found(detail: &str) -> Self {
        Fault::validation("610", "Object Not Found", detail, Some(""))
    }

    pub fn deleted_txn() -> Self {
        Fault::object_not_found(DELETED_TXN_DETAIL)
    }

    pub fn inactive_reference() -> Self {
        Fault::object_not_found(INACTIVE_DETAIL)
    }

    pub fn unsupported_property(name: &str) -> Self {
        Fault::validation(
            "2010",
            "Request has invalid or unsupported property",
            format!("Property Name:{name} specified is unsupported or invalid"),
            None,
        )
    }

    pub fn required_param(name: &str) -> Self {
        Fault::validation(
            "2020",
            "Required param missing",
            format!("Required parameter {name} is missing in the request"),
            Some(""),
        )
    }

    /// 2030: no `time`, `element:"Id"`.
    pub fn invalid_id(supplied: &str) -> Self {
        let mut f = Fault::validation(
            "2030",
            "Invalid ID",
            format!("Id should be a valid number. Supplied value:{supplied}"),
            Some("Id"),
        );
        f.with_time = false;
        f
    }

    pub fn length_exceeds(detail: impl Into<String>) -> Self {
        Fault::validation("2050", "Length exceeds limit", detail, Some(""))
    }

    pub fn illegal_number(field: &str, value: &str) -> Self {
        Fault::validation(
            "2080",
            "Illegal number format",
            format!("Illegal number format : {field} : {value}"),
            Some(""),
        )
    }

    pub fn invalid_enum(field: &str, value: &str) -> Self {
        Fault::validation(
            "2170",
            "Invalid Enumeration",
            format!("Invalid Enumeration : {value} for {field}"),
            Some(""),
        )
    }

    pub fn invalid_reference(path: &str) -> Self {
        Fault::validation(
            "2500",
            "Invalid Reference Id",
            format!("Invalid Reference Id : {path}"),
            Some(""),
        )
    }

    pub fn parse_query(detail: impl Into<String>) -> Self {
        Fault::validation("4000", "Error parsing query", detail, None)
    }

    pub fn invalid_query(detail: impl Into<String>) -> Self {
        Fault::validation(
            "4001",
            "Invalid query",
            format!("QueryValidationError: {}", detail.into()),
            None,
        )
    }

    pub fn stale_object() -> Self {
        Fault::validation(
            "5010",
            "Stale Object Error",
            format!(
                "Stale Object Error : You and {OTHER_USER} were working on this at the same time. {OTHER_USER} finished before you did, so your work was not saved."
            ),
            Some(""),
        )
    }

    pub fn business(detail: impl Into<String>) -> Self {
        Fault::validation(
            "6000",
            "A business validation error has occurred while processing your request",
            format!("Business Validation Error: {}", detail.into()),
            Some(""),
        )
    }

    pub fn request_id_too_long(max: usize) -> Self {
        Fault::business(format!(
            "You cannot enter more than {max} characters in the request_id field"
        ))
    }

    pub fn duplicate_name() -> Self {
        Fault::validation(
            "6240",
            "Duplicate Name Exists Error",
            "The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.",
            None,
        )
    }

    /// [sim] items and accounts: same code, wording adapted.
    pub fn duplicate_list_name(what: &str) -> Self {
        Fault::validation(
            "6240",
            "Duplicate Name Exists Error",
            format!("The name supplied already exists. : Another {what} is already using this name. Please use a different name."),
            None,
        )
    }

    /// [sim] code 6000 (the sheet records no code for this message).
    pub fn list_has_balance() -> Self {
        Fault::validation(
            "6000",
            "Delete List Has Balance Error",
            "Business Validation Error: The customer has an open balance and cannot be made inactive.",
            Some(""),
        )
    }

    pub fn system_fault() -> Self {
        Fault::new(
            500,
            "SystemFault",
            "10000",
            "An application error has occurred",
            "An application error has occurred while processing your request",
            Some(""),
        )
    }

    /// [sim] a token for another company: 401 code 3100.
    pub fn wrong_realm(realm: &str) -> Self {
        Fault::new(
            401,
            "SERVICE",
            "3100",
            "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=401",
            format!("The token does not give access to company {realm}"),
            None,
        )
    }

    /// `{"Error":[...],"type":...}` — the value of the `Fault` key.
    pub fn body_value(&self) -> Value {
        serde_json::to_value(FaultBody {
            error: &self.errors,
            kind: &self.kind,
        })
        .unwrap_or(Value::Null)
    }

    /// The full standard envelope `{"Fault":{...},"time":"..."}`.
    pub fn envelope(&self, time: &str) -> String {
        let body = serde_json::to_string(&FaultBody {
            error: &self.errors,
            kind: &self.kind,
        })
        .unwrap_or_default();
        if self.with_time {
            format!("{{\"Fault\":{body},\"time\":{}}}", json_str(time))
        } else {
            format!("{{\"Fault\":{body}}}")
        }
    }
}

pub fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// The 401 lower-case envelope of §8.1; `time` is epoch milliseconds.
pub fn auth_envelope(detail: &str, time_ms: i64) -> String {
    format!(
        concat!(
            "{{\"warnings\":null,\"intuitObject\":null,\"fault\":{{\"error\":[{{\"message\":\"message=AuthenticationFailed; errorCode=003200; statusCode=401\",",
            "\"detail\":{},\"code\":\"3200\",\"element\":null}}],\"type\":\"AUTHENTICATION\"}},\"report\":null,\"queryResponse\":null,",
            "\"batchItemResponse\":[],\"attachableResponse\":[],\"syncErrorResponse\":null,\"requestId\":null,\"time\":{},\"status\":null,\"cdcresponse\":[]}}"
        ),
        json_str(detail),
        time_ms
    )
}

/// The JSON 429 body of §9 (no `element`, two spaces after `reached.`).
pub fn throttle_json(time: &str) -> String {
    let f = Fault {
        status: 429,
        kind: "SERVICE".to_string(),
        errors: vec![FaultError {
            message: THROTTLE_MESSAGE.to_string(),
            detail: THROTTLE_DETAIL.to_string(),
            code: "3001".to_string(),
            element: None,
        }],
        with_time: true,
    };
    f.envelope(time)
}

/// The XML 429 body real QuickBooks sometimes sends to JSON clients.
pub fn throttle_xml(time: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<IntuitResponse xmlns=\"http://schema.intuit.com/finance/v3\" time=\"{time}\">\n  <Fault type=\"SERVICE\"><Error code=\"3001\"><Message>{THROTTLE_MESSAGE}</Message>\n  <Detail>{THROTTLE_DETAIL}</Detail></Error></Fault></IntuitResponse>"
    )
}

/// The 413 HTML page for an oversized request.
pub fn too_large_html() -> String {
    "<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center></body></html>".to_string()
}

/// Default Message/type for an injected fault code.
pub fn default_message(code: &str) -> &'static str {
    match code {
        "10000" => "An application error has occurred",
        "6000" => "A business validation error has occurred while processing your request",
        "610" => "Object Not Found",
        "5010" => "Stale Object Error",
        "3001" => THROTTLE_MESSAGE,
        "500" => "Unsupported Operation",
        "2020" => "Required param missing",
        _ => "Service Unavailable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_envelope_shape() {
        let f = Fault::stale_object();
        let v: Value =
            serde_json::from_str(&f.envelope("2020-09-29T06:02:35.106-08:00")).expect("json");
        assert_eq!(v["Fault"]["type"], "ValidationFault");
        assert_eq!(v["Fault"]["Error"][0]["code"], "5010");
        assert_eq!(v["Fault"]["Error"][0]["element"], "");
        assert!(v["Fault"]["Error"][0]["Detail"]
            .as_str()
            .unwrap_or("")
            .contains("were working on this at the same time"));
        assert_eq!(v["time"], "2020-09-29T06:02:35.106-08:00");
    }

    #[test]
    fn invalid_id_has_no_time_and_names_the_element() {
        let f = Fault::invalid_id("1.5");
        let v: Value = serde_json::from_str(&f.envelope("t")).expect("json");
        assert!(v.get("time").is_none());
        assert_eq!(v["Fault"]["Error"][0]["element"], "Id");
        assert_eq!(
            v["Fault"]["Error"][0]["Detail"],
            "Id should be a valid number. Supplied value:1.5"
        );
    }

    #[test]
    fn auth_envelope_is_lower_case_with_epoch_time() {
        let v: Value = serde_json::from_str(&auth_envelope("Token expired: abc", 1601391072830))
            .expect("json");
        assert_eq!(v["fault"]["error"][0]["code"], "3200");
        assert_eq!(v["fault"]["type"], "AUTHENTICATION");
        assert_eq!(v["time"], 1601391072830i64);
        assert_eq!(v["batchItemResponse"], serde_json::json!([]));
        assert_eq!(v["cdcresponse"], serde_json::json!([]));
        assert!(v["fault"]["error"][0]["element"].is_null());
    }

    #[test]
    fn throttle_bodies() {
        let j = throttle_json("t");
        assert!(j.contains("The request limit was reached.  Try again later"));
        let v: Value = serde_json::from_str(&j).expect("json");
        assert_eq!(v["Fault"]["type"], "SERVICE");
        assert!(v["Fault"]["Error"][0].get("element").is_none());
        assert!(throttle_xml("t").contains("<Error code=\"3001\">"));
    }

    #[test]
    fn element_absent_for_duplicate_name() {
        let v = Fault::duplicate_name().body_value();
        assert!(v["Error"][0].get("element").is_none());
        assert_eq!(v["Error"][0]["Message"], "Duplicate Name Exists Error");
    }
}
