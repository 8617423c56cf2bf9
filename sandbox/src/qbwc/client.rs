//! The HTTP side of the Web Connector: one SOAP call = one `POST` to `AppURL`, with the headers
//! QBWC's .NET 2.0 web-services client sends (reference §1), and the checks that client makes on
//! the answer (status, `text/xml` content type, SOAP fault, operation name).

use qbsync_qbxml::soap::{self, Call, Reply, SoapError};
use reqwest::header::{HeaderMap, HeaderValue, CONNECTION, CONTENT_TYPE, EXPECT, USER_AGENT};
use std::time::Duration;

/// QBWC's `User-Agent` (the .NET 2.0 SOAP client).
pub const QBWC_USER_AGENT: &str =
    "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 2.0.50727.1433)";
/// The request `Content-Type`.
pub const CONTENT_TYPE_XML: &str = "text/xml; charset=utf-8";

/// Why a SOAP call did not produce a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
    /// Connection refused/reset, timeout, TLS failure…
    #[error("transport error: {0}")]
    Http(String),
    /// A non-2xx status without a SOAP fault in the body.
    #[error("the request failed with HTTP status {status}: {body}")]
    Status { status: u16, body: String },
    /// What .NET says when the answer is not `text/xml`.
    #[error("Client found response content type of '{0}', but expected 'text/xml'.")]
    ContentType(String),
    #[error("SOAP fault {code}: {message}")]
    Fault { code: String, message: String },
    /// The answer is not a SOAP response envelope the client can read.
    #[error("malformed SOAP response: {0}")]
    Malformed(String),
    /// The answer is for another operation.
    #[error("expected {expected}Response, got {got}Response")]
    WrongOperation { expected: &'static str, got: String },
    /// The reply has the wrong shape for the operation (e.g. too few authenticate strings).
    #[error("{operation}: unexpected reply {reply}")]
    UnexpectedReply {
        operation: &'static str,
        reply: String,
    },
}

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Per-call timeout (the .NET default is 100 s).
    pub timeout: Duration,
    /// Accept self-signed certificates on `https://` AppURLs.
    pub accept_invalid_certs: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(100),
            accept_invalid_certs: false,
        }
    }
}

/// A SOAP client bound to one `AppURL`; clones share the connection pool (keep-alive).
#[derive(Debug, Clone)]
pub struct SoapClient {
    http: reqwest::Client,
    url: String,
}

impl SoapClient {
    pub fn new(app_url: &str, options: &HttpOptions) -> Result<SoapClient, ClientError> {
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, HeaderValue::from_static(QBWC_USER_AGENT));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_XML));
        headers.insert(EXPECT, HeaderValue::from_static("100-continue"));
        headers.insert(CONNECTION, HeaderValue::from_static("Keep-Alive"));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .http1_only()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .danger_accept_invalid_certs(options.accept_invalid_certs)
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(SoapClient {
            http,
            url: app_url.to_string(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends `call` and reads its reply.
    pub async fn call(&self, call: &Call) -> Result<Reply, ClientError> {
        self.call_with_body(call, soap::call_envelope(call).into_bytes())
            .await
    }

    /// Sends `body` as the envelope of `call` (e.g. one with bytes that are not UTF-8) and
    /// reads the reply to `call`.
    pub async fn call_with_body(&self, call: &Call, body: Vec<u8>) -> Result<Reply, ClientError> {
        let response = self
            .http
            .post(&self.url)
            .header("SOAPAction", call.soap_action())
            .body(body)
            .send()
            .await
            .map_err(|e| ClientError::Http(error_chain(&e)))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = response
            .text()
            .await
            .map_err(|e| ClientError::Http(error_chain(&e)))?;
        let is_xml = content_type
            .split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/xml"));
        if !status.is_success() {
            // A SOAP 1.1 fault comes with 500 and text/xml.
            if is_xml {
                if let Err(SoapError::Fault { code, message }) = soap::parse_reply(&body) {
                    return Err(ClientError::Fault { code, message });
                }
            }
            return Err(ClientError::Status {
                status: status.as_u16(),
                body: truncate(&body, 500),
            });
        }
        if !is_xml {
            return Err(ClientError::ContentType(content_type));
        }
        let (operation, reply) = soap::parse_reply(&body).map_err(|e| match e {
            SoapError::Fault { code, message } => ClientError::Fault { code, message },
            other => ClientError::Malformed(other.to_string()),
        })?;
        if operation != call.operation() {
            return Err(ClientError::WrongOperation {
                expected: call.operation(),
                got: operation,
            });
        }
        Ok(reply)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
