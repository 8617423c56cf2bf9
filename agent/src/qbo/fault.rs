//! QuickBooks errors, parsed from every envelope the service uses (reference sheet §8–§10):
//! `Fault.Error[]`, the lower-case 401 envelope `fault.error[]`, and XML bodies sent although
//! JSON was asked for. Classification is by HTTP status first, never by content type.

use quick_xml::events::Event;
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// One entry of a QuickBooks fault.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FaultError {
    pub code: String,
    pub message: String,
    pub detail: String,
    pub element: Option<String>,
}

impl FaultError {
    /// Message and detail, without the code (which has a column of its own).
    pub fn text(&self) -> String {
        if self.detail.is_empty() || self.detail == self.message {
            self.message.clone()
        } else {
            format!("{}: {}", self.message, self.detail)
        }
    }
}

impl fmt::Display for FaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)?;
        if !self.detail.is_empty() && self.detail != self.message {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QboError {
    /// A definitive answer about the request (validation, business rule, not found, ...).
    #[error("QuickBooks fault (HTTP {status}, {kind}): {}", first(.errors))]
    Fault {
        status: u16,
        kind: String,
        errors: Vec<FaultError>,
    },
    #[error("throttled by QuickBooks (HTTP 429)")]
    Throttled { retry_after: Option<Duration> },
    #[error("QuickBooks rejected the access token (HTTP 401): {detail}")]
    Unauthorized { detail: String },
    #[error("QuickBooks service error (HTTP {status}): {detail}")]
    Server {
        status: u16,
        retry_after: Option<Duration>,
        detail: String,
    },
    #[error("network error talking to QuickBooks: {0}")]
    Network(#[from] reqwest::Error),
    #[error("QuickBooks refused the refresh token ({error}: {description}); reconnect the company to QuickBooks")]
    InvalidGrant { error: String, description: String },
    #[error("token endpoint answered HTTP {status}: {body}")]
    TokenEndpoint { status: u16, body: String },
    #[error("unexpected response from QuickBooks: {0}")]
    Decode(String),
    /// Not sent: a `/batch` call takes at most 30 items.
    #[error("a QuickBooks batch call takes at most 30 items, not {0}")]
    BatchTooLarge(usize),
    /// A success status whose body cannot be read (cut short, garbled): QuickBooks may well
    /// have applied the request, so its outcome is unknown, as after a lost answer.
    #[error("QuickBooks answered but its answer could not be read (cut short?): {0}")]
    Garbled(String),
    #[error("token store: {0}")]
    TokenStore(#[from] tokio_postgres::Error),
    #[error("stored credentials cannot be used: {0}; re-add the company's tokens, or run the agent with the key they were sealed to")]
    Sealed(#[from] qbsync_secret::SecretError),
}

fn first(errors: &[FaultError]) -> String {
    errors.first().map(ToString::to_string).unwrap_or_default()
}

impl QboError {
    /// Worth trying again after a pause: the request may well succeed later.
    pub fn is_transient(&self) -> bool {
        match self {
            QboError::Throttled { .. } | QboError::Server { .. } | QboError::Garbled(_) => true,
            QboError::Network(e) => !e.is_builder() && !e.is_redirect(),
            _ => false,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            QboError::Throttled { retry_after } => {
                Some(retry_after.unwrap_or(Duration::from_secs(60)))
            }
            QboError::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The first fault entry, when QuickBooks gave a definitive answer about this record.
    pub fn fault(&self) -> Option<&FaultError> {
        match self {
            QboError::Fault { errors, .. } => errors.first(),
            _ => None,
        }
    }

    /// Whether the whole company must stop until a person acts.
    pub fn needs_a_person(&self) -> bool {
        matches!(self, QboError::InvalidGrant { .. } | QboError::Sealed(_))
            || matches!(self.fault(), Some(f) if f.code == "3100" || f.code == "6190")
    }
}

#[derive(Deserialize)]
struct ErrorJson {
    #[serde(alias = "Message", default)]
    message: Option<String>,
    #[serde(alias = "Detail", default)]
    detail: Option<String>,
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    element: Option<String>,
}

#[derive(Deserialize)]
struct FaultJson {
    #[serde(alias = "Error", default)]
    error: Vec<ErrorJson>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct EnvelopeJson {
    #[serde(alias = "Fault", default)]
    fault: Option<FaultJson>,
}

fn from_json_fault(f: FaultJson) -> (String, Vec<FaultError>) {
    let errors = f
        .error
        .into_iter()
        .map(|e| FaultError {
            code: match e.code {
                Some(serde_json::Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => String::new(),
            },
            message: e.message.unwrap_or_default(),
            detail: e.detail.unwrap_or_default(),
            element: e.element.filter(|s| !s.is_empty()),
        })
        .collect();
    (f.kind.unwrap_or_default(), errors)
}

/// Parses a fault body (JSON `Fault`/`fault` envelope, a batch item `Fault` object, or XML).
pub fn parse_fault_body(body: &str) -> Option<(String, Vec<FaultError>)> {
    let trimmed = body.trim_start();
    if trimmed.starts_with('<') {
        return parse_xml_fault(trimmed);
    }
    let env: EnvelopeJson = serde_json::from_str(trimmed).ok()?;
    env.fault.map(from_json_fault)
}

/// Parses the `Fault` object of a batch item.
pub fn parse_fault_value(v: &serde_json::Value) -> Option<(String, Vec<FaultError>)> {
    serde_json::from_value::<FaultJson>(v.clone())
        .ok()
        .map(from_json_fault)
}

fn parse_xml_fault(xml: &str) -> Option<(String, Vec<FaultError>)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut kind = String::new();
    let mut errors = Vec::new();
    let mut current: Option<FaultError> = None;
    let mut field: Option<&'static str> = None;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => match e.local_name().as_ref() {
                b"Fault" => {
                    for a in e.attributes().flatten() {
                        if a.key.local_name().as_ref() == b"type" {
                            kind = a.unescape_value().ok()?.into_owned();
                        }
                    }
                }
                b"Error" => {
                    let mut err = FaultError::default();
                    for a in e.attributes().flatten() {
                        match a.key.local_name().as_ref() {
                            b"code" => err.code = a.unescape_value().ok()?.into_owned(),
                            b"element" => err.element = Some(a.unescape_value().ok()?.into_owned()),
                            _ => {}
                        }
                    }
                    current = Some(err);
                }
                b"Message" => field = Some("message"),
                b"Detail" => field = Some("detail"),
                _ => {}
            },
            Event::Text(t) => {
                if let (Some(err), Some(f)) = (current.as_mut(), field) {
                    let text = t.decode().ok()?.into_owned();
                    match f {
                        "message" => err.message.push_str(&text),
                        _ => err.detail.push_str(&text),
                    }
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"Error" => errors.extend(current.take()),
                b"Message" | b"Detail" => field = None,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    (!errors.is_empty()).then_some((kind, errors))
}

/// Turns a non-2xx response into an error, by HTTP status first.
pub fn parse_fault(status: u16, retry_after: Option<Duration>, body: &str) -> QboError {
    let parsed = parse_fault_body(body);
    let detail = parsed
        .as_ref()
        .and_then(|(_, e)| e.first())
        .map(|e| {
            if e.detail.is_empty() {
                e.message.clone()
            } else {
                e.detail.clone()
            }
        })
        .unwrap_or_else(|| body.chars().take(200).collect());
    match status {
        401 => QboError::Unauthorized { detail },
        429 => QboError::Throttled { retry_after },
        500..=599 => QboError::Server {
            status,
            retry_after,
            detail,
        },
        _ => match parsed {
            Some((kind, errors)) if !errors.is_empty() => QboError::Fault {
                status,
                kind,
                errors,
            },
            _ => QboError::Fault {
                status,
                kind: "HTTP".into(),
                errors: vec![FaultError {
                    code: status.to_string(),
                    message: format!("HTTP {status}"),
                    detail,
                    element: None,
                }],
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_fault_with_missing_element_and_time() {
        let body = r#"{"Fault":{"Error":[{"Message":"Duplicate Name Exists Error","Detail":"The name supplied already exists. : Another customer, vendor or employee is already using this name.","code":"6240"}],"type":"ValidationFault"}}"#;
        let e = parse_fault(400, None, body);
        let f = e.fault().unwrap();
        assert_eq!(f.code, "6240");
        assert!(f
            .to_string()
            .starts_with("[6240] Duplicate Name Exists Error: The name supplied"));
        assert!(!e.is_transient());
    }

    #[test]
    fn lower_case_401_envelope() {
        let body = r#"{"warnings":null,"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","detail":"Token expired: AB01","code":"3200","element":null}],"type":"AUTHENTICATION"},"time":1601391072830}"#;
        match parse_fault(401, None, body) {
            QboError::Unauthorized { detail } => assert_eq!(detail, "Token expired: AB01"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn xml_throttle_is_classified_by_status_and_parsed() {
        let body = r#"<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2016-04-06T08:44:36.431-07:00"><Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.  Try again later</Detail></Error></Fault></IntuitResponse>"#;
        let e = parse_fault(429, Some(Duration::from_secs(2)), body);
        assert!(e.is_transient());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
        let (kind, errors) = parse_fault_body(body).unwrap();
        assert_eq!(kind, "SERVICE");
        assert_eq!(errors[0].code, "3001");
        assert_eq!(
            errors[0].detail,
            "The request limit was reached.  Try again later"
        );
    }

    #[test]
    fn throttle_without_retry_after_waits_a_minute() {
        assert_eq!(
            parse_fault(429, None, "").retry_after(),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn multi_error_and_html_bodies() {
        let body = r#"{"Fault":{"Error":[{"Message":"A","Detail":"a","code":"2020","element":""},{"Message":"B","code":"2010"}],"type":"ValidationFault"},"time":"x"}"#;
        match parse_fault(400, None, body) {
            QboError::Fault { errors, .. } => {
                assert_eq!(errors.len(), 2);
                assert_eq!(errors[0].element, None);
            }
            other => panic!("{other:?}"),
        }
        let e = parse_fault(
            413,
            None,
            "<html><body>Request Entity Too Large</body></html>",
        );
        assert_eq!(e.fault().unwrap().code, "413");
        assert!(parse_fault(503, None, "").is_transient());
    }
}
