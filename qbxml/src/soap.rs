//! The Web Connector's SOAP 1.1 document/literal envelopes (namespace `http://developer.intuit.com/`).
//!
//! Both ends of the protocol use this module: the agent is the SOAP *server* ([`parse_call`],
//! [`reply_envelope`], [`fault_envelope`]); the simulated Web Connector is the *client*
//! ([`call_envelope`], [`parse_reply`]).
//!
//! Writing follows what QBWC (a .NET 2.0 `SoapHttpClientProtocol`) puts on the wire: an XML
//! declaration, `soap:Envelope` declaring the `xsi`/`xsd` namespaces, the body element in the
//! Intuit namespace as default namespace, children in WSDL order, empty strings as `<name />`
//! (with the space), text escaped for `<`, `>`, `&` (and `\r` as `&#xD;` so it survives parsing).
//! qbXML documents therefore travel as escaped text (`&lt;?xml …`).
//!
//! Reading is lenient: any namespace prefix, element names matched case-insensitively
//! (`strCompanyFileName` / `strCompanyFilename`), missing string children read as `""` (the WSDL
//! declares them `minOccurs="0"`, a null), integers trimmed and accepted as `"13"` or `"13.0"`.
//! Nothing here panics on input: every malformation is a [`SoapError`].

use crate::tree::{Element, XmlError};
use std::fmt::Write as _;

/// Target namespace of the Web Connector WSDL.
pub const NAMESPACE: &str = "http://developer.intuit.com/";
/// SOAP 1.1 envelope namespace.
pub const ENVELOPE_NAMESPACE: &str = "http://schemas.xmlsoap.org/soap/envelope/";

const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="utf-8"?>"#;
const ENVELOPE_OPEN: &str = concat!(
    r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/""#,
    r#" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#,
    r#" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>"#
);
const ENVELOPE_CLOSE: &str = "</soap:Body></soap:Envelope>";

/// Every operation name, in the order of the WSDL (then the three interactive ones).
pub const OPERATIONS: [&str; 11] = [
    "serverVersion",
    "clientVersion",
    "authenticate",
    "sendRequestXML",
    "receiveResponseXML",
    "connectionError",
    "getLastError",
    "closeConnection",
    "getInteractiveURL",
    "interactiveDone",
    "interactiveRejected",
];

/// One Web Connector call (the body element of a request envelope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// Usually without children; some WSDL copies declare an optional `strVersion`.
    ServerVersion {
        str_version: Option<String>,
    },
    ClientVersion {
        str_version: String,
    },
    Authenticate {
        user_name: String,
        password: String,
    },
    SendRequestXml {
        ticket: String,
        /// Escaped qbXML on the first call of a session, `""` afterwards.
        hcp_response: String,
        company_file_name: String,
        country: String,
        major_version: i32,
        minor_version: i32,
    },
    ReceiveResponseXml {
        ticket: String,
        /// The qbXML response, `""` when QuickBooks failed (then `hresult`/`message` are set).
        response: String,
        hresult: String,
        message: String,
    },
    ConnectionError {
        ticket: String,
        hresult: String,
        message: String,
    },
    GetLastError {
        ticket: String,
    },
    CloseConnection {
        ticket: String,
    },
    GetInteractiveUrl {
        wc_ticket: String,
        session_id: String,
    },
    InteractiveDone {
        wc_ticket: String,
    },
    InteractiveRejected {
        wc_ticket: String,
        reason: String,
    },
}

impl Call {
    /// The operation name (= body element local name, and the SOAPAction suffix).
    pub fn operation(&self) -> &'static str {
        match self {
            Call::ServerVersion { .. } => "serverVersion",
            Call::ClientVersion { .. } => "clientVersion",
            Call::Authenticate { .. } => "authenticate",
            Call::SendRequestXml { .. } => "sendRequestXML",
            Call::ReceiveResponseXml { .. } => "receiveResponseXML",
            Call::ConnectionError { .. } => "connectionError",
            Call::GetLastError { .. } => "getLastError",
            Call::CloseConnection { .. } => "closeConnection",
            Call::GetInteractiveUrl { .. } => "getInteractiveURL",
            Call::InteractiveDone { .. } => "interactiveDone",
            Call::InteractiveRejected { .. } => "interactiveRejected",
        }
    }

    /// The quoted SOAPAction header value QBWC sends: `"http://developer.intuit.com/<op>"`.
    pub fn soap_action(&self) -> String {
        format!("\"{NAMESPACE}{}\"", self.operation())
    }

    /// The ticket the call carries (`wcTicket` for the interactive ones), if any.
    pub fn ticket(&self) -> Option<&str> {
        match self {
            Call::ServerVersion { .. } | Call::ClientVersion { .. } | Call::Authenticate { .. } => {
                None
            }
            Call::SendRequestXml { ticket, .. }
            | Call::ReceiveResponseXml { ticket, .. }
            | Call::ConnectionError { ticket, .. }
            | Call::GetLastError { ticket }
            | Call::CloseConnection { ticket } => Some(ticket),
            Call::GetInteractiveUrl { wc_ticket, .. }
            | Call::InteractiveDone { wc_ticket }
            | Call::InteractiveRejected { wc_ticket, .. } => Some(wc_ticket),
        }
    }

    /// The children in WSDL order: (element name, text).
    fn children(&self) -> Vec<(&'static str, String)> {
        match self {
            Call::ServerVersion { str_version } => match str_version {
                Some(v) => vec![("strVersion", v.clone())],
                None => vec![],
            },
            Call::ClientVersion { str_version } => vec![("strVersion", str_version.clone())],
            Call::Authenticate {
                user_name,
                password,
            } => vec![
                ("strUserName", user_name.clone()),
                ("strPassword", password.clone()),
            ],
            Call::SendRequestXml {
                ticket,
                hcp_response,
                company_file_name,
                country,
                major_version,
                minor_version,
            } => vec![
                ("ticket", ticket.clone()),
                ("strHCPResponse", hcp_response.clone()),
                ("strCompanyFileName", company_file_name.clone()),
                ("qbXMLCountry", country.clone()),
                ("qbXMLMajorVers", major_version.to_string()),
                ("qbXMLMinorVers", minor_version.to_string()),
            ],
            Call::ReceiveResponseXml {
                ticket,
                response,
                hresult,
                message,
            } => vec![
                ("ticket", ticket.clone()),
                ("response", response.clone()),
                ("hresult", hresult.clone()),
                ("message", message.clone()),
            ],
            Call::ConnectionError {
                ticket,
                hresult,
                message,
            } => vec![
                ("ticket", ticket.clone()),
                ("hresult", hresult.clone()),
                ("message", message.clone()),
            ],
            Call::GetLastError { ticket } | Call::CloseConnection { ticket } => {
                vec![("ticket", ticket.clone())]
            }
            Call::GetInteractiveUrl {
                wc_ticket,
                session_id,
            } => vec![
                ("wcTicket", wc_ticket.clone()),
                ("sessionID", session_id.clone()),
            ],
            Call::InteractiveDone { wc_ticket } => vec![("wcTicket", wc_ticket.clone())],
            Call::InteractiveRejected { wc_ticket, reason } => {
                vec![("wcTicket", wc_ticket.clone()), ("reason", reason.clone())]
            }
        }
    }
}

/// What an operation returns: `authenticate` an `ArrayOfString`, `receiveResponseXML` an int,
/// every other operation a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Text(String),
    Strings(Vec<String>),
    Int(i32),
}

impl Reply {
    /// The text of a `Text` reply.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Reply::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The strings of a `Strings` reply.
    pub fn as_strings(&self) -> Option<&[String]> {
        match self {
            Reply::Strings(s) => Some(s),
            _ => None,
        }
    }

    /// The value of an `Int` reply.
    pub fn as_int(&self) -> Option<i32> {
        match self {
            Reply::Int(i) => Some(*i),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SoapError {
    #[error("malformed SOAP document: {0}")]
    Xml(#[from] XmlError),
    #[error("not a SOAP envelope: root element is <{0}>")]
    NotAnEnvelope(String),
    #[error("the SOAP envelope has no Body")]
    NoBody,
    #[error("the SOAP Body is empty")]
    EmptyBody,
    #[error("unknown Web Connector operation {0:?}")]
    UnknownOperation(String),
    #[error("{operation}: missing element <{element}>")]
    MissingElement {
        operation: &'static str,
        element: &'static str,
    },
    #[error("{operation}: <{element}> is not an integer: {value:?}")]
    InvalidInt {
        operation: String,
        element: &'static str,
        value: String,
    },
    #[error("SOAP fault {code}: {message}")]
    Fault { code: String, message: String },
    #[error("{0:?} is not a response element (expected <operationResponse>)")]
    NotAResponse(String),
    /// A request envelope whose bytes are not UTF-8 where text is needed (only the qbXML
    /// `response` of `receiveResponseXML` may be, see [`parse_call_bytes`]).
    #[error("{place} is not valid UTF-8 (byte offset {offset})")]
    InvalidUtf8 { place: String, offset: u64 },
}

/// Server side: decodes a request envelope into its [`Call`], dispatching on the body element's
/// local name whatever its prefix or namespace.
pub fn parse_call(body: &str) -> Result<Call, SoapError> {
    let envelope = Element::parse(body)?;
    let op_el = body_element(&envelope)?;
    let local = op_el.local_name();
    let Some(op) = OPERATIONS
        .iter()
        .find(|o| o.eq_ignore_ascii_case(local))
        .copied()
    else {
        return Err(SoapError::UnknownOperation(local.to_string()));
    };
    let s = |name: &str| text_child(op_el, &[name]);
    let call = match op {
        "serverVersion" => Call::ServerVersion {
            str_version: find_child(op_el, &["strVersion"]).map(|e| e.text.clone()),
        },
        "clientVersion" => Call::ClientVersion {
            str_version: s("strVersion"),
        },
        "authenticate" => Call::Authenticate {
            user_name: s("strUserName"),
            password: s("strPassword"),
        },
        "sendRequestXML" => Call::SendRequestXml {
            ticket: s("ticket"),
            hcp_response: s("strHCPResponse"),
            // `eq_ignore_ascii_case` also accepts `strCompanyFilename`.
            company_file_name: s("strCompanyFileName"),
            country: s("qbXMLCountry"),
            major_version: int_child(op_el, op, "qbXMLMajorVers")?,
            minor_version: int_child(op_el, op, "qbXMLMinorVers")?,
        },
        "receiveResponseXML" => Call::ReceiveResponseXml {
            ticket: s("ticket"),
            response: s("response"),
            hresult: s("hresult"),
            message: s("message"),
        },
        "connectionError" => Call::ConnectionError {
            ticket: s("ticket"),
            hresult: s("hresult"),
            message: s("message"),
        },
        "getLastError" => Call::GetLastError {
            ticket: s("ticket"),
        },
        "closeConnection" => Call::CloseConnection {
            ticket: s("ticket"),
        },
        "getInteractiveURL" => Call::GetInteractiveUrl {
            wc_ticket: s("wcTicket"),
            session_id: s("sessionID"),
        },
        "interactiveDone" => Call::InteractiveDone {
            wc_ticket: s("wcTicket"),
        },
        _ => Call::InteractiveRejected {
            wc_ticket: s("wcTicket"),
            reason: s("reason"),
        },
    };
    Ok(call)
}

/// Where the qbXML `response` of a `receiveResponseXML` stops being UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8 {
    /// Offset, in the qbXML document (the element's text with the SOAP escapes resolved), of
    /// the first byte that is not part of a UTF-8 character.
    pub offset: usize,
    /// Length of the qbXML document in bytes.
    pub len: usize,
}

/// A request envelope read from bytes by [`parse_call_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedCall {
    /// Every string of the call is UTF-8.
    Call(Call),
    /// `receiveResponseXML` whose qbXML `response` is not UTF-8: the envelope, ticket, hresult
    /// and message are readable, the answer is not. Its bytes are not kept: whatever QuickBooks
    /// meant by them is unknown, and decoding them with replacement characters would store
    /// something QuickBooks never said.
    UnreadableResponse {
        ticket: String,
        hresult: String,
        message: String,
        invalid: InvalidUtf8,
    },
}

/// Server side, from the raw HTTP body: like [`parse_call`], but an envelope that is not UTF-8
/// is still read when only the qbXML of a `receiveResponseXML` is affected (a company file with
/// Latin-1 text, a corrupted answer), so the session and the request it answers can be named.
/// Invalid bytes anywhere else (markup, ticket, another operation's strings) are
/// [`SoapError::InvalidUtf8`]; a `message` that is not UTF-8 is kept with `\xNN` escapes (it
/// is only shown). Nothing is ever decoded with replacement characters.
pub fn parse_call_bytes(body: &[u8]) -> Result<ParsedCall, SoapError> {
    if let Ok(text) = std::str::from_utf8(body) {
        return parse_call(text).map(ParsedCall::Call);
    }
    let raw = RawCall::read(body)?;
    let Some(op) = OPERATIONS
        .iter()
        .find(|o| o.as_bytes().eq_ignore_ascii_case(&raw.operation))
        .copied()
    else {
        return Err(SoapError::UnknownOperation(escape_bytes(&raw.operation)));
    };
    if let Some(position) = raw.invalid_markup {
        return Err(SoapError::InvalidUtf8 {
            place: format!("the {op} envelope's markup"),
            offset: position,
        });
    }
    let utf8 = |name: &str| -> Result<String, SoapError> {
        let bytes = raw.child(name);
        String::from_utf8(bytes.to_vec()).map_err(|e| SoapError::InvalidUtf8 {
            place: format!("{op} <{name}>"),
            offset: e.utf8_error().valid_up_to() as u64,
        })
    };
    if op != "receiveResponseXML" {
        // The invalid bytes are in one of its strings: name the first.
        for (name, text) in &raw.children {
            if let Err(e) = std::str::from_utf8(text) {
                return Err(SoapError::InvalidUtf8 {
                    place: format!("{op} <{}>", escape_bytes(name)),
                    offset: e.valid_up_to() as u64,
                });
            }
        }
        return Err(SoapError::InvalidUtf8 {
            place: format!("the {op} envelope"),
            offset: std::str::from_utf8(body)
                .err()
                .map_or(0, |e| e.valid_up_to() as u64),
        });
    }
    let ticket = utf8("ticket")?;
    let hresult = utf8("hresult")?;
    let message = escape_bytes(raw.child("message"));
    let response = raw.child("response");
    Ok(match std::str::from_utf8(response) {
        Ok(text) => ParsedCall::Call(Call::ReceiveResponseXml {
            ticket,
            response: text.to_string(),
            hresult,
            message,
        }),
        Err(e) => ParsedCall::UnreadableResponse {
            ticket,
            hresult,
            message,
            invalid: InvalidUtf8 {
                offset: e.valid_up_to(),
                len: response.len(),
            },
        },
    })
}

/// `bytes` as text, each byte that is not part of a UTF-8 character written `\xNN`.
fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    out
}

/// A request envelope read as bytes: the operation element and the raw text of its children.
struct RawCall {
    /// Local name of the first element in `Envelope/Body`.
    operation: Vec<u8>,
    /// (local name, text with entities resolved, as bytes) of the operation's child elements.
    children: Vec<(Vec<u8>, Vec<u8>)>,
    /// Position of the first byte that is not UTF-8 outside the children's text.
    invalid_markup: Option<u64>,
}

impl RawCall {
    /// The text of the first child called `name` (ASCII case-insensitive); empty when missing
    /// (a null, as in [`parse_call`]).
    fn child(&self, name: &str) -> &[u8] {
        self.children
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map_or(&[][..], |(_, t)| t.as_slice())
    }

    /// Walks the envelope with quick-xml's byte reader (it checks well-formedness but never
    /// decodes), keeping the text of `Envelope/Body/{operation}/{child}` as bytes. The same
    /// documents are accepted as by [`parse_call`]: the same depth limit, end tags matching,
    /// only the predefined entities.
    fn read(body: &[u8]) -> Result<RawCall, SoapError> {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_reader(body);
        let malformed = |reader: &quick_xml::Reader<&[u8]>, message: String| {
            SoapError::Xml(XmlError::Malformed {
                position: reader.buffer_position(),
                message,
            })
        };
        // Open elements; `Envelope/Body/{operation}/{child}` is depth 4 once the first Body
        // and its first element are open.
        let mut depth = 0usize;
        let mut root: Option<Vec<u8>> = None;
        let mut body_seen = false;
        let mut body_open = false;
        let mut operation: Option<Vec<u8>> = None;
        let mut operation_open = false;
        let mut children: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut invalid_markup: Option<u64> = None;
        loop {
            let at = reader.buffer_position();
            let event = reader
                .read_event()
                .map_err(|e| malformed(&reader, e.to_string()))?;
            // Text directly inside a child of the operation: kept as bytes.
            let in_child = depth == 4 && operation_open;
            let markup: &[u8] = match &event {
                Event::Start(start) | Event::Empty(start) => {
                    if depth >= crate::tree::MAX_DEPTH {
                        return Err(SoapError::Xml(XmlError::TooDeep {
                            position: reader.buffer_position(),
                        }));
                    }
                    for a in start.attributes() {
                        a.map_err(|e| malformed(&reader, e.to_string()))?;
                    }
                    let open = matches!(event, Event::Start(_));
                    let local = local_name_bytes(start.name().as_ref()).to_vec();
                    match depth {
                        0 => root = Some(local),
                        1 if !body_seen && local == b"Body" => {
                            body_seen = true;
                            body_open = open;
                        }
                        2 if body_open && operation.is_none() => {
                            operation = Some(local);
                            operation_open = open;
                        }
                        3 if operation_open => children.push((local, Vec::new())),
                        _ => {}
                    }
                    if !open && depth == 0 {
                        break;
                    }
                    depth += usize::from(open);
                    start
                }
                Event::End(end) => {
                    depth = depth.saturating_sub(1);
                    match depth {
                        0 => break,
                        1 => body_open = false,
                        2 => operation_open = false,
                        _ => {}
                    }
                    end
                }
                Event::Text(t) if in_child => {
                    if let Some((_, text)) = children.last_mut() {
                        text.extend_from_slice(t);
                    }
                    continue;
                }
                Event::CData(c) if in_child => {
                    if let Some((_, text)) = children.last_mut() {
                        text.extend_from_slice(c);
                    }
                    continue;
                }
                Event::GeneralRef(r) => {
                    let resolved = match r
                        .resolve_char_ref()
                        .map_err(|e| malformed(&reader, e.to_string()))?
                    {
                        Some(ch) => ch.to_string(),
                        None => {
                            let name = std::str::from_utf8(r).map_err(|_| {
                                malformed(&reader, "an entity name is not UTF-8".into())
                            })?;
                            quick_xml::escape::resolve_predefined_entity(name)
                                .ok_or_else(|| {
                                    malformed(&reader, format!("unknown entity &{name};"))
                                })?
                                .to_string()
                        }
                    };
                    if let Some((_, text)) = children.last_mut().filter(|_| in_child) {
                        text.extend_from_slice(resolved.as_bytes());
                    }
                    continue;
                }
                Event::Eof => {
                    return Err(if root.is_none() {
                        SoapError::Xml(XmlError::NoRoot)
                    } else {
                        malformed(&reader, "document ends inside an element".into())
                    });
                }
                Event::Text(t) => t,
                Event::CData(c) => c,
                Event::Decl(d) => d,
                Event::PI(p) => p,
                Event::Comment(c) => c,
                Event::DocType(d) => d,
            };
            if invalid_markup.is_none() && std::str::from_utf8(markup).is_err() {
                invalid_markup = Some(at);
            }
        }
        let root = root.unwrap_or_default();
        if root != b"Envelope" {
            return Err(SoapError::NotAnEnvelope(escape_bytes(&root)));
        }
        if !body_seen {
            return Err(SoapError::NoBody);
        }
        let operation = operation.ok_or(SoapError::EmptyBody)?;
        Ok(RawCall {
            operation,
            children,
            invalid_markup,
        })
    }
}

/// `soap:Body` → `Body`.
fn local_name_bytes(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// Client side: the request envelope exactly as QBWC sends it.
pub fn call_envelope(call: &Call) -> String {
    let op = call.operation();
    let children = call.children();
    let mut out = String::with_capacity(
        512 + children
            .iter()
            .map(|(_, v)| v.len() + v.len() / 8)
            .sum::<usize>(),
    );
    out.push_str(XML_DECLARATION);
    out.push_str(ENVELOPE_OPEN);
    if children.is_empty() {
        let _ = write!(out, "<{op} xmlns=\"{NAMESPACE}\" />");
    } else {
        let _ = write!(out, "<{op} xmlns=\"{NAMESPACE}\">");
        for (name, value) in &children {
            push_leaf(&mut out, name, value);
        }
        let _ = write!(out, "</{op}>");
    }
    out.push_str(ENVELOPE_CLOSE);
    out
}

/// Server side: the response envelope for `call_operation`:
/// `<{op}Response xmlns="…"><{op}Result>…</{op}Result></{op}Response>`, an `ArrayOfString` as
/// `<string>` children.
pub fn reply_envelope(call_operation: &str, reply: &Reply) -> String {
    let op = call_operation;
    let mut out = String::with_capacity(
        512 + match reply {
            Reply::Text(t) => t.len() + t.len() / 8,
            Reply::Strings(s) => s.iter().map(|v| v.len() + 20).sum(),
            Reply::Int(_) => 0,
        },
    );
    out.push_str(XML_DECLARATION);
    out.push_str(ENVELOPE_OPEN);
    let _ = write!(out, "<{op}Response xmlns=\"{NAMESPACE}\">");
    let result = format!("{op}Result");
    match reply {
        Reply::Text(t) => push_leaf(&mut out, &result, t),
        Reply::Int(i) => push_leaf(&mut out, &result, &i.to_string()),
        Reply::Strings(items) if items.is_empty() => {
            let _ = write!(out, "<{result} />");
        }
        Reply::Strings(items) => {
            let _ = write!(out, "<{result}>");
            for item in items {
                push_leaf(&mut out, "string", item);
            }
            let _ = write!(out, "</{result}>");
        }
    }
    let _ = write!(out, "</{op}Response>");
    out.push_str(ENVELOPE_CLOSE);
    out
}

/// Client side: decodes a response envelope into (operation, reply). The reply's shape follows
/// the operation (`authenticate` → `Strings`, `receiveResponseXML` → `Int`, others → `Text`;
/// an unknown operation whose result has `<string>` children → `Strings`). A missing result
/// element (a null) reads as an empty reply. A `Fault` body is [`SoapError::Fault`].
pub fn parse_reply(body: &str) -> Result<(String, Reply), SoapError> {
    let envelope = Element::parse(body)?;
    let resp = body_element(&envelope)?;
    let local = resp.local_name();
    if local == "Fault" {
        return Err(fault_of(resp));
    }
    let Some(stem) = local
        .strip_suffix("Response")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
    else {
        return Err(SoapError::NotAResponse(local.to_string()));
    };
    let op = OPERATIONS
        .iter()
        .find(|o| o.eq_ignore_ascii_case(&stem))
        .map(|o| o.to_string())
        .unwrap_or(stem);
    let result_name = format!("{op}Result");
    let result = resp
        .children
        .iter()
        .find(|c| c.local_name().eq_ignore_ascii_case(&result_name));
    let strings = |r: Option<&Element>| -> Vec<String> {
        r.map(|r| {
            r.children
                .iter()
                .filter(|c| c.local_name() == "string")
                .map(|c| c.text.clone())
                .collect()
        })
        .unwrap_or_default()
    };
    let reply = match op.as_str() {
        "authenticate" => Reply::Strings(strings(result)),
        "receiveResponseXML" => {
            let text = result.map(|r| r.text.as_str()).unwrap_or("");
            Reply::Int(parse_int(text).ok_or_else(|| SoapError::InvalidInt {
                operation: op.clone(),
                element: "receiveResponseXMLResult",
                value: text.to_string(),
            })?)
        }
        _ => match result {
            Some(r) if r.children.iter().any(|c| c.local_name() == "string") => {
                Reply::Strings(strings(Some(r)))
            }
            Some(r) => Reply::Text(r.text.clone()),
            None => Reply::Text(String::new()),
        },
    };
    Ok((op, reply))
}

/// A SOAP 1.1 `Client` fault, for requests that cannot be decoded (send it with HTTP 500).
pub fn fault_envelope(message: &str) -> String {
    let mut out = String::with_capacity(400 + message.len());
    out.push_str(XML_DECLARATION);
    out.push_str(ENVELOPE_OPEN);
    out.push_str("<soap:Fault><faultcode>soap:Client</faultcode>");
    push_leaf(&mut out, "faultstring", message);
    out.push_str("<detail /></soap:Fault>");
    out.push_str(ENVELOPE_CLOSE);
    out
}

/// The first element inside `Envelope/Body`.
fn body_element(envelope: &Element) -> Result<&Element, SoapError> {
    if envelope.local_name() != "Envelope" {
        return Err(SoapError::NotAnEnvelope(envelope.name.clone()));
    }
    let body = envelope.find_local("Body").ok_or(SoapError::NoBody)?;
    body.children.first().ok_or(SoapError::EmptyBody)
}

fn fault_of(fault: &Element) -> SoapError {
    let text = |name: &str| {
        fault
            .children
            .iter()
            .find(|c| c.local_name() == name)
            .map(|c| c.text.clone())
            .unwrap_or_default()
    };
    SoapError::Fault {
        code: text("faultcode"),
        message: text("faultstring"),
    }
}

/// The first child whose local name is one of `names` (ASCII case-insensitive).
fn find_child<'a>(parent: &'a Element, names: &[&str]) -> Option<&'a Element> {
    parent.children.iter().find(|c| {
        let local = c.local_name();
        names.iter().any(|n| n.eq_ignore_ascii_case(local))
    })
}

/// The text of a string child; a missing child (null) is `""`.
fn text_child(parent: &Element, names: &[&str]) -> String {
    find_child(parent, names)
        .map(|e| e.text.clone())
        .unwrap_or_default()
}

fn int_child(
    parent: &Element,
    operation: &'static str,
    name: &'static str,
) -> Result<i32, SoapError> {
    let el = find_child(parent, &[name]).ok_or(SoapError::MissingElement {
        operation,
        element: name,
    })?;
    parse_int(&el.text).ok_or_else(|| SoapError::InvalidInt {
        operation: operation.to_string(),
        element: name,
        value: el.text.clone(),
    })
}

/// `" 13 "` → 13; also `"13.0"` (some integrations send the version as a decimal string).
fn parse_int(text: &str) -> Option<i32> {
    let t = text.trim();
    if let Ok(i) = t.parse::<i32>() {
        return Some(i);
    }
    let (whole, frac) = t.split_once('.')?;
    if !frac.is_empty() && frac.bytes().all(|b| b == b'0') {
        whole.parse::<i32>().ok()
    } else {
        None
    }
}

/// `<name>escaped</name>`, or `<name />` when `value` is empty.
fn push_leaf(out: &mut String, name: &str, value: &str) {
    if value.is_empty() {
        let _ = write!(out, "<{name} />");
    } else {
        let _ = write!(out, "<{name}>");
        push_escaped(out, value);
        let _ = write!(out, "</{name}>");
    }
}

/// Text escaping as .NET's XmlWriter does it (`<`, `>`, `&`), plus `\r` as a character reference
/// so a parser's line-end normalisation cannot eat it.
fn push_escaped(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QBXML_REQUEST: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<?qbxml version=\"13.0\"?>\n<QBXML><QBXMLMsgsRq onError=\"continueOnError\"><CustomerQueryRq requestID=\"1\"><FullName>Smith &amp; Sons</FullName></CustomerQueryRq></QBXMLMsgsRq></QBXML>";

    fn all_calls() -> Vec<Call> {
        vec![
            Call::ServerVersion { str_version: None },
            Call::ServerVersion {
                str_version: Some("2.3.0.215".into()),
            },
            Call::ClientVersion {
                str_version: "2.3.0.215".into(),
            },
            Call::Authenticate {
                user_name: "sync".into(),
                password: "p<a>ss&\"word'".into(),
            },
            Call::SendRequestXml {
                ticket: "ea0bf596-1".into(),
                hcp_response: QBXML_REQUEST.into(),
                company_file_name: "C:\\Company Files\\Acme & Co.QBW".into(),
                country: "US".into(),
                major_version: 13,
                minor_version: 0,
            },
            Call::SendRequestXml {
                ticket: "t".into(),
                hcp_response: String::new(),
                company_file_name: String::new(),
                country: "US".into(),
                major_version: -1,
                minor_version: 2,
            },
            Call::ReceiveResponseXml {
                ticket: "t".into(),
                response: "<?xml version=\"1.0\" ?>\r\n<QBXML>\n</QBXML>\n".into(),
                hresult: String::new(),
                message: String::new(),
            },
            Call::ReceiveResponseXml {
                ticket: "t".into(),
                response: String::new(),
                hresult: "0x80040400".into(),
                message: "QuickBooks found an error when parsing the provided XML text stream."
                    .into(),
            },
            Call::ConnectionError {
                ticket: "t".into(),
                hresult: "0x80040401".into(),
                message: "Could not access QuickBooks.".into(),
            },
            Call::GetLastError { ticket: "t".into() },
            Call::CloseConnection { ticket: "t".into() },
            Call::GetInteractiveUrl {
                wc_ticket: "t".into(),
                session_id: "s-1".into(),
            },
            Call::InteractiveDone {
                wc_ticket: "t".into(),
            },
            Call::InteractiveRejected {
                wc_ticket: "t".into(),
                reason: "user said no".into(),
            },
        ]
    }

    #[test]
    fn every_call_round_trips() {
        for call in all_calls() {
            let xml = call_envelope(&call);
            let back = parse_call(&xml).unwrap_or_else(|e| panic!("{xml}: {e}"));
            assert_eq!(back, call, "{xml}");
        }
        let ops: Vec<&str> = all_calls().iter().map(Call::operation).collect();
        for op in OPERATIONS {
            assert!(ops.contains(&op), "{op} not covered");
        }
    }

    #[test]
    fn every_reply_round_trips() {
        let replies = [
            ("serverVersion", Reply::Text("qbsync 0.1.0".into())),
            ("clientVersion", Reply::Text(String::new())),
            ("clientVersion", Reply::Text("W:please upgrade".into())),
            (
                "authenticate",
                Reply::Strings(vec!["ea0bf596".into(), String::new()]),
            ),
            (
                "authenticate",
                Reply::Strings(vec![
                    "t".into(),
                    "C:\\a & b\\Company.QBW".into(),
                    "30".into(),
                    String::new(),
                ]),
            ),
            ("authenticate", Reply::Strings(vec![])),
            ("sendRequestXML", Reply::Text(QBXML_REQUEST.into())),
            ("sendRequestXML", Reply::Text(String::new())),
            ("receiveResponseXML", Reply::Int(100)),
            ("receiveResponseXML", Reply::Int(-101)),
            ("receiveResponseXML", Reply::Int(0)),
            ("connectionError", Reply::Text("done".into())),
            ("getLastError", Reply::Text("NoOp".into())),
            ("closeConnection", Reply::Text("OK".into())),
            (
                "getInteractiveURL",
                Reply::Text("https://localhost/i?a=1&b=2".into()),
            ),
            ("interactiveDone", Reply::Text("Done".into())),
            ("interactiveRejected", Reply::Text("ok".into())),
        ];
        for (op, reply) in replies {
            let xml = reply_envelope(op, &reply);
            let (back_op, back) = parse_reply(&xml).unwrap_or_else(|e| panic!("{xml}: {e}"));
            assert_eq!(back_op, op);
            assert_eq!(back, reply, "{xml}");
        }
    }

    #[test]
    fn envelopes_are_written_like_qbwc() {
        assert_eq!(
            call_envelope(&Call::ServerVersion { str_version: None }),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><soap:Body><serverVersion xmlns=\"http://developer.intuit.com/\" /></soap:Body></soap:Envelope>"
        );
        let send = call_envelope(&Call::SendRequestXml {
            ticket: "t1".into(),
            hcp_response: String::new(),
            company_file_name: "C:\\x.QBW".into(),
            country: "US".into(),
            major_version: 13,
            minor_version: 0,
        });
        assert!(
            send.contains("<soap:Body><sendRequestXML xmlns=\"http://developer.intuit.com/\"><ticket>t1</ticket><strHCPResponse /><strCompanyFileName>C:\\x.QBW</strCompanyFileName><qbXMLCountry>US</qbXMLCountry><qbXMLMajorVers>13</qbXMLMajorVers><qbXMLMinorVers>0</qbXMLMinorVers></sendRequestXML></soap:Body>"),
            "{send}"
        );
        let recv = call_envelope(&Call::ReceiveResponseXml {
            ticket: "t1".into(),
            response: "<QBXML />".into(),
            hresult: String::new(),
            message: String::new(),
        });
        assert!(
            recv.contains(
                "<response>&lt;QBXML /&gt;</response><hresult /><message /></receiveResponseXML>"
            ),
            "{recv}"
        );
        assert_eq!(
            Call::GetLastError { ticket: "x".into() }.soap_action(),
            "\"http://developer.intuit.com/getLastError\""
        );
    }

    #[test]
    fn reply_envelope_shape() {
        let xml = reply_envelope(
            "authenticate",
            &Reply::Strings(vec!["abc".into(), String::new()]),
        );
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope"));
        assert!(
            xml.contains("<authenticateResponse xmlns=\"http://developer.intuit.com/\"><authenticateResult><string>abc</string><string /></authenticateResult></authenticateResponse>"),
            "{xml}"
        );
        let xml = reply_envelope("receiveResponseXML", &Reply::Int(42));
        assert!(xml.contains("<receiveResponseXMLResult>42</receiveResponseXMLResult>"));
        let xml = reply_envelope("sendRequestXML", &Reply::Text(String::new()));
        assert!(xml.contains("<sendRequestXMLResult />"), "{xml}");
    }

    #[test]
    fn observed_envelopes_parse() {
        // §1, as printed (with line breaks).
        let server_version = "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"\n xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><soap:Body>\n<serverVersion xmlns=\"http://developer.intuit.com/\" /></soap:Body></soap:Envelope>";
        assert_eq!(
            parse_call(server_version).expect("serverVersion"),
            Call::ServerVersion { str_version: None }
        );
        let auth_reply = "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns1=\"http://developer.intuit.com/\">\n <SOAP-ENV:Body><ns1:authenticateResponse><ns1:authenticateResult>\n  <ns1:string>ea0bf596-…</ns1:string><ns1:string></ns1:string>\n </ns1:authenticateResult></ns1:authenticateResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>";
        assert_eq!(
            parse_reply(auth_reply).expect("authenticate reply"),
            (
                "authenticate".to_string(),
                Reply::Strings(vec!["ea0bf596-…".into(), String::new()])
            )
        );
        // §4: hresult/message as empty elements after the response.
        let recv = "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><soap:Body><receiveResponseXML xmlns=\"http://developer.intuit.com/\"><ticket>T</ticket><response>&lt;?xml version=\"1.0\" ?&gt;\n&lt;QBXML&gt;\n&lt;QBXMLMsgsRs&gt;\n&lt;CustomerAddRs requestID=\"1\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\"&gt;&lt;CustomerRet&gt;&lt;Name&gt;A &amp;amp; B&lt;/Name&gt;&lt;/CustomerRet&gt;&lt;/CustomerAddRs&gt;\n&lt;/QBXMLMsgsRs&gt;\n&lt;/QBXML&gt;\n</response><hresult /><message /></receiveResponseXML></soap:Body></soap:Envelope>";
        match parse_call(recv).expect("receiveResponseXML") {
            Call::ReceiveResponseXml {
                ticket,
                response,
                hresult,
                message,
            } => {
                assert_eq!(ticket, "T");
                assert!(response.starts_with("<?xml version=\"1.0\" ?>\n<QBXML>"));
                assert!(response.contains("<Name>A &amp; B</Name>"), "{response}");
                assert_eq!(hresult, "");
                assert_eq!(message, "");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lenient_server_side_parsing() {
        // Prefixed body element, lower-case "Filename", ints as decimal strings with spaces,
        // RPC-style xsi:type attributes, CDATA.
        let xml = "<env:Envelope xmlns:env=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:q=\"http://developer.intuit.com/\"><env:Header/><env:Body><q:sendRequestXML><q:ticket xsi:type=\"xsd:string\">T</q:ticket><q:strHCPResponse><![CDATA[<QBXML/>]]></q:strHCPResponse><q:strCompanyFilename>C:\\a.QBW</q:strCompanyFilename><q:qbXMLCountry>US</q:qbXMLCountry><q:qbXMLMajorVers> 13 </q:qbXMLMajorVers><q:qbXMLMinorVers>0.0</q:qbXMLMinorVers></q:sendRequestXML></env:Body></env:Envelope>";
        assert_eq!(
            parse_call(xml).expect("lenient"),
            Call::SendRequestXml {
                ticket: "T".into(),
                hcp_response: "<QBXML/>".into(),
                company_file_name: "C:\\a.QBW".into(),
                country: "US".into(),
                major_version: 13,
                minor_version: 0,
            }
        );
        // Missing string children are nulls, read as "".
        let xml = "<Envelope><Body><receiveResponseXML><ticket>T</ticket></receiveResponseXML></Body></Envelope>";
        assert_eq!(
            parse_call(xml).expect("nulls"),
            Call::ReceiveResponseXml {
                ticket: "T".into(),
                response: String::new(),
                hresult: String::new(),
                message: String::new(),
            }
        );
        // Replies with other prefixes, and a null result.
        let xml = "<s:Envelope xmlns:s=\"x\"><s:Body><n:sendRequestXMLResponse xmlns:n=\"y\"/></s:Body></s:Envelope>";
        assert_eq!(
            parse_reply(xml).expect("null"),
            ("sendRequestXML".into(), Reply::Text(String::new()))
        );
        let xml = "<s:Envelope xmlns:s=\"x\"><s:Body><n:receiveResponseXMLResponse><n:receiveResponseXMLResult> -101 </n:receiveResponseXMLResult></n:receiveResponseXMLResponse></s:Body></s:Envelope>";
        assert_eq!(
            parse_reply(xml).expect("int"),
            ("receiveResponseXML".into(), Reply::Int(-101))
        );
    }

    #[test]
    fn qbxml_is_escaped_inside_strings() {
        let call = Call::SendRequestXml {
            ticket: "t".into(),
            hcp_response: QBXML_REQUEST.into(),
            company_file_name: "c".into(),
            country: "US".into(),
            major_version: 13,
            minor_version: 0,
        };
        let xml = call_envelope(&call);
        assert!(xml.contains("<strHCPResponse>&lt;?xml version=\"1.0\" encoding=\"utf-8\"?&gt;\n&lt;?qbxml version=\"13.0\"?&gt;\n&lt;QBXML&gt;"), "{xml}");
        assert!(xml.contains("Smith &amp;amp; Sons"), "{xml}");
        assert_eq!(xml.matches("<?xml").count(), 1);
        let reply = reply_envelope("sendRequestXML", &Reply::Text(QBXML_REQUEST.into()));
        assert!(reply.contains("<sendRequestXMLResult>&lt;?xml"), "{reply}");
        assert_eq!(
            parse_reply(&reply).expect("reply").1,
            Reply::Text(QBXML_REQUEST.into())
        );
    }

    #[test]
    fn faults() {
        let xml = fault_envelope("cannot decode <request> & more");
        assert!(xml.contains(
            "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>cannot decode &lt;request&gt; &amp; more</faultstring><detail /></soap:Fault>"
        ), "{xml}");
        match parse_reply(&xml) {
            Err(SoapError::Fault { code, message }) => {
                assert_eq!(code, "soap:Client");
                assert_eq!(message, "cannot decode <request> & more");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let bad = [
            "",
            "not xml",
            "<a><b></a>",
            "<soap:Envelope><soap:Body>",
            "<Body><serverVersion/></Body>",
            "<Envelope/>",
            "<Envelope><Header/></Envelope>",
            "<Envelope><Body/></Envelope>",
            "<Envelope><Body>text only</Body></Envelope>",
            "<Envelope><Body><frobnicate/></Body></Envelope>",
            "<Envelope><Body><sendRequestXML><ticket>t</ticket></sendRequestXML></Body></Envelope>",
            "<Envelope><Body><sendRequestXML><qbXMLMajorVers>x</qbXMLMajorVers><qbXMLMinorVers>0</qbXMLMinorVers></sendRequestXML></Body></Envelope>",
            "<Envelope><Body><sendRequestXML><qbXMLMajorVers>99999999999</qbXMLMajorVers><qbXMLMinorVers>0</qbXMLMinorVers></sendRequestXML></Body></Envelope>",
            "<Envelope><Body><ticket>&bogus;</ticket></Body></Envelope>",
        ];
        for b in bad {
            assert!(parse_call(b).is_err(), "{b:?} parsed");
            assert!(parse_reply(b).is_err(), "{b:?} parsed as reply");
        }
        let bad_replies = [
            "<Envelope><Body><receiveResponseXMLResponse><receiveResponseXMLResult>lots</receiveResponseXMLResult></receiveResponseXMLResponse></Body></Envelope>",
            "<Envelope><Body><receiveResponseXMLResponse/></Body></Envelope>",
            "<Envelope><Body><Response/></Body></Envelope>",
            "<Envelope><Body><authenticate/></Body></Envelope>",
        ];
        for b in bad_replies {
            assert!(parse_reply(b).is_err(), "{b:?} parsed as reply");
        }
    }

    /// Text escaped as QBWC escapes it, byte by byte (what is not ASCII is left as it is).
    fn escape_raw(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for &b in raw {
            match b {
                b'<' => out.extend_from_slice(b"&lt;"),
                b'>' => out.extend_from_slice(b"&gt;"),
                b'&' => out.extend_from_slice(b"&amp;"),
                b'\r' => out.extend_from_slice(b"&#xD;"),
                b => out.push(b),
            }
        }
        out
    }

    /// A receiveResponseXML envelope as QBWC sends it, with raw bytes as response and message.
    fn receive_envelope(ticket: &[u8], response: &[u8], message: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(XML_DECLARATION.as_bytes());
        out.extend_from_slice(ENVELOPE_OPEN.as_bytes());
        out.extend_from_slice(
            b"<receiveResponseXML xmlns=\"http://developer.intuit.com/\"><ticket>",
        );
        out.extend_from_slice(ticket);
        out.extend_from_slice(b"</ticket><response>");
        out.extend_from_slice(&escape_raw(response));
        out.extend_from_slice(b"</response><hresult />");
        if message.is_empty() {
            out.extend_from_slice(b"<message />");
        } else {
            out.extend_from_slice(b"<message>");
            out.extend_from_slice(&escape_raw(message));
            out.extend_from_slice(b"</message>");
        }
        out.extend_from_slice(b"</receiveResponseXML>");
        out.extend_from_slice(ENVELOPE_CLOSE.as_bytes());
        out
    }

    /// A qbXML answer naming a customer in Latin-1 (`Café René`: 0xE9 is not UTF-8 there).
    const LATIN1_ANSWER: &[u8] = b"<?xml version=\"1.0\" ?>\r\n<QBXML>\n<QBXMLMsgsRs>\n<CustomerQueryRs requestID=\"1\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\"><CustomerRet><ListID>80000001-1</ListID><Name>Smith &amp; Caf\xE9 Ren\xE9</Name></CustomerRet></CustomerQueryRs>\n</QBXMLMsgsRs>\n</QBXML>\n";

    #[test]
    fn bytes_that_are_utf8_read_as_parse_call_reads_them() {
        for call in all_calls() {
            let xml = call_envelope(&call);
            assert_eq!(
                parse_call_bytes(xml.as_bytes()).expect("parses"),
                ParsedCall::Call(call),
                "{xml}"
            );
        }
        let bytes = receive_envelope(b"T", "<QBXML>Café</QBXML>".as_bytes(), b"");
        match parse_call_bytes(&bytes).expect("parses") {
            ParsedCall::Call(Call::ReceiveResponseXml { response, .. }) => {
                assert_eq!(response, "<QBXML>Café</QBXML>")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_response_that_is_not_utf8_is_named_by_ticket_and_offset_never_decoded() {
        let bytes = receive_envelope(b"ea0bf596-1", LATIN1_ANSWER, b"");
        assert!(std::str::from_utf8(&bytes).is_err());
        // What the agent's endpoint did before: a String body cannot even be had.
        assert!(String::from_utf8(bytes.clone()).is_err());
        let first_bad = LATIN1_ANSWER
            .iter()
            .position(|&b| b == 0xE9)
            .expect("a Latin-1 byte");
        assert_eq!(
            parse_call_bytes(&bytes).expect("the envelope is readable"),
            ParsedCall::UnreadableResponse {
                ticket: "ea0bf596-1".into(),
                hresult: String::new(),
                message: String::new(),
                invalid: InvalidUtf8 {
                    // In the qbXML itself: `&amp;`, `&lt;`, `&#xD;` of the envelope are resolved.
                    offset: first_bad,
                    len: LATIN1_ANSWER.len(),
                },
            }
        );
        // Prefixes, other case, a Header, CDATA and text split by entities: the same reading.
        let mut lenient = b"<env:Envelope xmlns:env=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:q=\"http://developer.intuit.com/\"><env:Header/><env:Body><q:ReceiveResponseXml><q:TICKET>T-2</q:TICKET><q:response><![CDATA[<QBXML><Name>".to_vec();
        lenient.extend_from_slice(b"a\xE9]]>&lt;/Name&gt;&lt;/QBXML&gt;</q:response><q:hresult/><q:message/></q:ReceiveResponseXml></env:Body></env:Envelope>");
        assert_eq!(
            parse_call_bytes(&lenient).expect("lenient"),
            ParsedCall::UnreadableResponse {
                ticket: "T-2".into(),
                hresult: String::new(),
                message: String::new(),
                invalid: InvalidUtf8 {
                    offset: "<QBXML><Name>a".len(),
                    len: "<QBXML><Name>a\u{1}</Name></QBXML>".len(),
                },
            }
        );
    }

    #[test]
    fn a_message_that_is_not_utf8_is_kept_with_escapes() {
        let bytes = receive_envelope(b"T", b"", b"QuickBooks a trouv\xE9 une erreur");
        assert_eq!(
            parse_call_bytes(&bytes).expect("parses"),
            ParsedCall::Call(Call::ReceiveResponseXml {
                ticket: "T".into(),
                response: String::new(),
                hresult: String::new(),
                message: "QuickBooks a trouv\\xE9 une erreur".into(),
            })
        );
    }

    #[test]
    fn invalid_utf8_anywhere_else_is_an_error_naming_the_place() {
        let place = |bytes: &[u8]| match parse_call_bytes(bytes) {
            Err(SoapError::InvalidUtf8 { place, offset }) => (place, offset),
            other => panic!("{other:?}"),
        };
        // The ticket: the session cannot be named.
        assert_eq!(
            place(&receive_envelope(b"T\xFF", b"<QBXML/>", b"")),
            ("receiveResponseXML <ticket>".to_string(), 1)
        );
        // Another operation's string (the company information of the first sendRequestXML).
        let send = call_envelope(&Call::SendRequestXml {
            ticket: "T".into(),
            hcp_response: "<QBXML>@@</QBXML>".into(),
            company_file_name: "C:\\a.QBW".into(),
            country: "US".into(),
            major_version: 13,
            minor_version: 0,
        })
        .replace("@@", "\u{1}")
        .into_bytes();
        let send: Vec<u8> = send
            .into_iter()
            .map(|b| if b == 1 { 0xC3 } else { b })
            .collect();
        assert_eq!(
            place(&send),
            ("sendRequestXML <strHCPResponse>".to_string(), 7)
        );
        // Markup: an element name, a comment.
        let insert = |what: &[u8], before: &[u8]| {
            let mut b = receive_envelope(b"T", b"<QBXML/>", b"");
            let at = b
                .windows(before.len())
                .position(|w| w == before)
                .expect("anchor");
            b.splice(at..at, what.iter().copied());
            b
        };
        for bytes in [
            insert(b"<h\xE9/>", b"<hresult"),
            insert(b"<!-- \xE9 -->", b"<soap:Body"),
        ] {
            assert_eq!(
                place(&bytes).0,
                "the receiveResponseXML envelope's markup",
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn malformed_bytes_are_an_error_not_a_panic() {
        let bad: [&[u8]; 12] = [
            b"\xFF",
            b"<a>\xE9",
            b"<a><b>\xE9</a>",
            b"<Envelope>\xE9</Envelope>",
            b"<Envelope><Header/>\xE9</Envelope>",
            b"<Envelope><Body>\xE9</Body></Envelope>",
            b"<Body><receiveResponseXML><response>\xE9</response></receiveResponseXML></Body>",
            b"<Envelope><Body><frob\xE9/></Body></Envelope>",
            b"<Envelope><Body><receiveResponseXML><response>\xE9&bogus;</response></receiveResponseXML></Body></Envelope>",
            b"<Envelope><Body><receiveResponseXML><response>\xE9</response>",
            b"<Envelope><Body><receiveResponseXML><response a=\"\xE9>x</response></receiveResponseXML></Body></Envelope>",
            b"<Envelope><Body><receiveResponseXML><response>\xE9&#0;</response></receiveResponseXML></Body></Envelope>",
        ];
        for b in bad {
            assert!(parse_call_bytes(b).is_err(), "{b:?} parsed");
        }
        let deep = [
            &b"<Envelope><Body><receiveResponseXML><response>\xE9"[..],
            &b"<a>".repeat(crate::tree::MAX_DEPTH)[..],
        ]
        .concat();
        assert!(matches!(
            parse_call_bytes(&deep),
            Err(SoapError::Xml(XmlError::TooDeep { .. }))
        ));
    }
}
