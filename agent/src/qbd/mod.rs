//! QuickBooks Desktop sync, one Web Connector exchange at a time: the Web Connector asks for a
//! qbXML message set, runs it against the company file and hands the response back, so each
//! task is a state machine the session advances between `sendRequestXML` and
//! `receiveResponseXML`.

pub mod populate;
pub mod push;
pub mod report;

use crate::error::AgentError;
use populate::Populate;
use push::Push;
use qbsync_qbxml::Element;
use report::RunReport;
use tokio_postgres::Client;

/// The work a session is doing.
pub enum Work {
    Populate(Populate),
    Report(RunReport),
    Push(Push),
}

impl Work {
    /// The task the work belongs to; None for a push the session started on its own.
    pub fn task(&self) -> Option<i64> {
        match self {
            Work::Populate(p) => Some(p.task),
            Work::Report(r) => Some(r.task),
            Work::Push(p) => p.task(),
        }
    }

    /// The next qbXML message set.
    pub fn request(&self) -> Result<String, AgentError> {
        match self {
            Work::Populate(p) => p.request(),
            Work::Report(r) => r.request(),
            Work::Push(p) => p.request(),
        }
    }

    /// Takes QuickBooks' response; true when the task is complete.
    pub async fn absorb(
        &mut self,
        db: &mut Client,
        company: i64,
        response: &str,
    ) -> Result<bool, AgentError> {
        match self {
            Work::Populate(p) => p.absorb(db, company, response).await,
            Work::Report(r) => r.absorb(db, company, response).await,
            Work::Push(p) => p.absorb(db, company, response).await,
        }
    }

    /// QuickBooks could not process the last request (`hresult` in receiveResponseXML); the
    /// work records what that means for its rows before the task ends.
    pub async fn rejected(
        &mut self,
        db: &mut Client,
        company: i64,
        hresult: &str,
        message: &str,
    ) -> Result<(), AgentError> {
        match self {
            Work::Push(p) => p.rejected(db, company, hresult, message).await,
            Work::Populate(_) | Work::Report(_) => Ok(()),
        }
    }

    /// The request just sent (the one an answer is for), for messages.
    pub fn last_request(&self) -> RequestSummary {
        match self.request() {
            Ok(xml) => RequestSummary::of(&xml),
            Err(e) => RequestSummary {
                text: format!("a request that cannot be written again ({e})"),
                message_set: None,
            },
        }
    }

    /// Percent done, below 100.
    pub fn progress(&self) -> i32 {
        match self {
            Work::Populate(p) => p.progress(),
            Work::Report(_) => 50,
            Work::Push(p) => p.progress(),
        }
    }
}

/// A qbXML request message set as it is named in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSummary {
    /// e.g. `CustomerQueryRq (requestID 1, iterator Continue)`, or `message set qbs-… with
    /// CustomerAddRq (requestID customer.7), …`.
    pub text: String,
    /// Its error recovery ID (`newMessageSetID`, else `oldMessageSetID`).
    pub message_set: Option<String>,
}

/// Requests named one by one in a summary; the rest are counted.
const NAMED_REQUESTS: usize = 5;

impl RequestSummary {
    /// Names the requests of a qbXML document qbsync wrote.
    pub fn of(xml: &str) -> RequestSummary {
        let Ok(doc) = Element::parse(xml) else {
            return RequestSummary {
                text: "a qbXML request".into(),
                message_set: None,
            };
        };
        let Some(set) = doc.find("QBXMLMsgsRq") else {
            return RequestSummary {
                text: format!("a <{}> document", doc.name),
                message_set: None,
            };
        };
        let new = set.get_attr("newMessageSetID");
        let old = set.get_attr("oldMessageSetID");
        let mut items: Vec<String> = set
            .children
            .iter()
            .take(NAMED_REQUESTS)
            .map(|rq| {
                let details: Vec<String> = [("requestID", "requestID"), ("iterator", "iterator")]
                    .iter()
                    .filter_map(|(attr, label)| rq.get_attr(attr).map(|v| format!("{label} {v}")))
                    .collect();
                if details.is_empty() {
                    rq.name.clone()
                } else {
                    format!("{} ({})", rq.name, details.join(", "))
                }
            })
            .collect();
        if set.children.len() > NAMED_REQUESTS {
            items.push(format!("{} more", set.children.len() - NAMED_REQUESTS));
        }
        let listed = items.join(", ");
        let text = match (new, old) {
            (Some(n), Some(o)) if n == o && set.children.is_empty() => {
                format!("the status check of message set {n}")
            }
            (None, Some(o)) if set.children.is_empty() => {
                format!("the clearing of message set {o}")
            }
            (Some(n), _) => format!("message set {n} with {listed}"),
            _ => listed,
        };
        RequestSummary {
            text,
            message_set: new.or(old).map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RequestSummary;

    #[test]
    fn requests_are_named_with_their_ids_and_message_set() {
        let read = RequestSummary::of(
            r#"<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="continueOnError"><CustomerQueryRq requestID="1" iterator="Continue" iteratorID="{x}"><MaxReturned>100</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>"#,
        );
        assert_eq!(
            read.text,
            "CustomerQueryRq (requestID 1, iterator Continue)"
        );
        assert_eq!(read.message_set, None);
        let adds: String = (1..=7)
            .map(|i| format!(r#"<CustomerAddRq requestID="customer.{i}"><CustomerAdd><Name>N{i}</Name></CustomerAdd></CustomerAddRq>"#))
            .collect();
        let push = RequestSummary::of(&format!(
            r#"<QBXML><QBXMLMsgsRq onError="continueOnError" newMessageSetID="qbs-1">{adds}</QBXMLMsgsRq></QBXML>"#
        ));
        assert_eq!(
            push.text,
            "message set qbs-1 with CustomerAddRq (requestID customer.1), CustomerAddRq (requestID customer.2), CustomerAddRq (requestID customer.3), CustomerAddRq (requestID customer.4), CustomerAddRq (requestID customer.5), 2 more"
        );
        assert_eq!(push.message_set.as_deref(), Some("qbs-1"));
        let check = RequestSummary::of(
            r#"<QBXML><QBXMLMsgsRq onError="continueOnError" oldMessageSetID="qbs-1" newMessageSetID="qbs-1"></QBXMLMsgsRq></QBXML>"#,
        );
        assert_eq!(check.text, "the status check of message set qbs-1");
        let clear = RequestSummary::of(
            r#"<QBXML><QBXMLMsgsRq onError="continueOnError" oldMessageSetID="qbs-1"/></QBXML>"#,
        );
        assert_eq!(clear.text, "the clearing of message set qbs-1");
        assert_eq!(clear.message_set.as_deref(), Some("qbs-1"));
        assert_eq!(RequestSummary::of("not xml").text, "a qbXML request");
    }
}
