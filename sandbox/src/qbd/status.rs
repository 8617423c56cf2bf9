//! qbXML status codes and their messages (§14), literal where recorded (note the double spaces
//! between sentences and the trailing space of 3200).

use qbsync_qbxml::Element;

/// `statusSeverity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warn,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "Info",
            Severity::Warn => "Warn",
            Severity::Error => "Error",
        }
    }
}

/// The status of one `*Rs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub code: u32,
    pub severity: Severity,
    pub message: String,
}

const NOT_IN_LIST: &str =
    "QuickBooks error message: Invalid argument.  The specified record does not exist in the list.";

impl Status {
    fn new(code: u32, severity: Severity, message: impl Into<String>) -> Status {
        Status {
            code,
            severity,
            message: message.into(),
        }
    }

    /// 0 `Status OK`.
    pub fn ok() -> Status {
        Status::new(0, Severity::Info, "Status OK")
    }

    /// 1 (Info): the query matched nothing.
    pub fn no_match() -> Status {
        Status::new(
            1,
            Severity::Info,
            "A query request did not find a matching object in QuickBooks",
        )
    }

    /// 500 (Warn): a `ListID`/`FullName`/`TxnID` named in a query does not exist.
    pub fn partly_found(value: &str) -> Status {
        Status::new(
            500,
            Severity::Warn,
            format!("The query request has not been fully completed. There was a required element (\"{value}\") that could not be found in QuickBooks."),
        )
    }

    /// 1000: internal error.
    pub fn internal() -> Status {
        Status::new(
            1000,
            Severity::Error,
            "There has been an internal error when processing the request.",
        )
    }

    /// 1060: `requestID` longer than 50 characters.
    pub fn bad_request_id(value: &str) -> Status {
        Status::new(
            1060,
            Severity::Error,
            format!("The request ID \"{value}\" is invalid, possibly too long, max 50 chars."),
        )
    }

    /// 3020: a date the XSD pattern lets through but the calendar does not.
    pub fn bad_date(value: &str, field: &str) -> Status {
        Status::new(
            3020,
            Severity::Error,
            format!(
                "There was an error when converting the date value \"{value}\" in the field \"{field}\"."
            ),
        )
    }

    /// 3100: the list name is taken.
    pub fn duplicate_name(name: &str) -> Status {
        Status::new(
            3100,
            Severity::Error,
            format!("The name \"{name}\" of the list element is already in use."),
        )
    }

    /// 3120: the object a Mod/Del/Void names does not exist.
    pub fn missing_object(id: &str) -> Status {
        Status::new(
            3120,
            Severity::Error,
            format!("Object \"{id}\" specified in the request cannot be found.  {NOT_IN_LIST}"),
        )
    }

    /// 3140: a reference in an Add/Mod points nowhere (`line` for the line form).
    pub fn invalid_reference(label: &str, value: &str, owner: &str, line: bool) -> Status {
        let place = if line {
            format!("{owner} line")
        } else {
            owner.to_string()
        };
        Status::new(
            3140,
            Severity::Error,
            format!(
                "There is an invalid reference to QuickBooks {label} \"{value}\" in the {place}.  {NOT_IN_LIST}"
            ),
        )
    }

    /// 3170: the list was modified by another user.
    pub fn modified_by_other(list: &str, element: &str) -> Status {
        Status::new(
            3170,
            Severity::Error,
            format!("There was an error when modifying a {list} list, element \"{element}\".  QuickBooks error message: This list has been modified by another user."),
        )
    }

    /// 3175: the list's internals could not be locked.
    pub fn cannot_lock(list: &str) -> Status {
        Status::new(
            3175,
            Severity::Error,
            format!("There was an error when locking the {list} list.  QuickBooks error message: The internals of the list could not be locked."),
        )
    }

    /// 3176: the record lock could not be acquired.
    pub fn lock_failed(list: &str, element: &str) -> Status {
        Status::new(
            3176,
            Severity::Error,
            format!("There was an error when locking {list} \"{element}\".  QuickBooks error message: Failed to acquire the lock; the record is being edited by another user."),
        )
    }

    /// 3180: the list element is in use.
    pub fn in_use(list: &str, element: &str) -> Status {
        Status::new(
            3180,
            Severity::Error,
            format!("There was an error when saving a {list} list, element \"{element}\".  QuickBooks error message: The list element is in use."),
        )
    }

    /// 3200: stale `EditSequence` (trailing space included).
    pub fn stale(edit_sequence: &str) -> Status {
        Status::new(
            3200,
            Severity::Error,
            format!("The provided edit sequence \"{edit_sequence}\" is out-of-date. "),
        )
    }

    /// 3210: a field value QuickBooks refuses.
    pub fn invalid_value(field: &str, value: &str, reason: &str) -> Status {
        Status::new(
            3210,
            Severity::Error,
            format!("The \"{field}\" field has an invalid value \"{value}\".  QuickBooks error message: {reason}"),
        )
    }

    /// 3250: feature not available.
    pub fn feature_unavailable() -> Status {
        Status::new(
            3250,
            Severity::Error,
            "This feature is not enabled or not available in this version of QuickBooks.",
        )
    }

    /// 3260/3261: insufficient permission.
    pub fn permission(code: u32) -> Status {
        Status::new(
            code,
            Severity::Error,
            "Insufficient permission level to perform this action.",
        )
    }

    /// 3391: unknown or expired `iteratorID` (or criteria changed on `Continue`).
    pub fn bad_iterator(id: &str) -> Status {
        Status::new(
            3391,
            Severity::Error,
            format!("The iteratorID \"{id}\" is not valid."),
        )
    }

    /// The injectable lock/feature/permission failures by code.
    pub fn injected(code: u32, list: &str, element: &str) -> Status {
        match code {
            3170 => Status::modified_by_other(list, element),
            3175 => Status::cannot_lock(list),
            3176 => Status::lock_failed(list, element),
            3180 => Status::in_use(list, element),
            3250 => Status::feature_unavailable(),
            3260 | 3261 => Status::permission(code),
            _ => Status::internal(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Sets the status attributes on a response (after `requestID` if present).
    pub fn apply(&self, rs: &mut Element) {
        rs.set_attr("statusCode", self.code.to_string());
        rs.set_attr("statusSeverity", self.severity.as_str());
        rs.set_attr("statusMessage", self.message.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_messages() {
        assert_eq!(
            Status::stale("1416315972").message,
            "The provided edit sequence \"1416315972\" is out-of-date. "
        );
        assert_eq!(
            Status::missing_object("8000001B-1405768916").message,
            "Object \"8000001B-1405768916\" specified in the request cannot be found.  QuickBooks error message: Invalid argument.  The specified record does not exist in the list."
        );
        assert_eq!(
            Status::invalid_reference("Item", "Widget", "SalesOrder", true).message,
            "There is an invalid reference to QuickBooks Item \"Widget\" in the SalesOrder line.  QuickBooks error message: Invalid argument.  The specified record does not exist in the list."
        );
        assert_eq!(
            Status::duplicate_name("Shipping Item - QuickBooks Inte").message,
            "The name \"Shipping Item - QuickBooks Inte\" of the list element is already in use."
        );
        assert_eq!(Status::no_match().severity, Severity::Info);
        assert_eq!(Status::partly_found("x").severity, Severity::Warn);
        assert_eq!(
            Status::invalid_value("AppliedToTxnAdd payment amount", "129.43", "You cannot pay more than the amount due.").message,
            "The \"AppliedToTxnAdd payment amount\" field has an invalid value \"129.43\".  QuickBooks error message: You cannot pay more than the amount due."
        );
        for c in [3170, 3175, 3176, 3180, 3250, 3260] {
            assert_eq!(Status::injected(c, "Customer", "x").code, c);
        }
    }

    #[test]
    fn apply_sets_attributes_in_order() {
        let mut rs = Element::new("CustomerModRs").attr("requestID", "8");
        Status::stale("1").apply(&mut rs);
        let names: Vec<&str> = rs.attrs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["requestID", "statusCode", "statusSeverity", "statusMessage"]
        );
    }
}
