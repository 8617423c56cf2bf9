//! What the simulated Web Connector needs from QuickBooks: the contract between the Web Connector
//! simulation (`qbwc`) and the simulated company file (`qbd`).

/// A failure QuickBooks reports instead of a response (sent to the agent as `hresult`/`message`
/// in `receiveResponseXML` or `connectionError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hresult {
    /// e.g. `0x80040400`.
    pub code: String,
    /// e.g. `QuickBooks found an error when parsing the provided XML text stream.`
    pub message: String,
}

impl Hresult {
    pub fn parse_error() -> Self {
        Hresult {
            code: "0x80040400".into(),
            message: "QuickBooks found an error when parsing the provided XML text stream.".into(),
        }
    }
}

/// QuickBooks Desktop with a company file open, as the Web Connector reaches it.
pub trait QuickBooksHost: Send + Sync {
    /// Full path of the open company file (`strCompanyFileName`).
    fn company_file_name(&self) -> String;
    /// qbXML versions the host supports, highest last (e.g. `["1.0", ..., "13.0"]`).
    fn supported_versions(&self) -> Vec<String>;
    /// The `strHCPResponse` of a session's first `sendRequestXML`: Host, Company and Preferences
    /// query responses (requestID 0, 1, 2), the company carrying the `FileID` DataExt stamped
    /// under `owner_id`.
    fn hcp_response(&self, owner_id: &str, file_id: &str) -> String;
    /// Opens the company file for a session; Err is what `connectionError` reports.
    fn open(&self, company_file: &str) -> Result<(), Hresult>;
    /// Processes one qbXML request document and returns the response document.
    fn process(&self, request: &str) -> Result<String, Hresult>;
    /// The session ended: iterators die.
    fn end_session(&self);
    /// Whether the answer to the request just processed is to be lost on its way back (the
    /// write was applied; the transport fails). Asked once after each request.
    fn take_drop_response(&self) -> bool {
        false
    }
    /// Whether the answer to the request just processed (`response`) reaches the agent with a
    /// byte that is not UTF-8 (a company file with Latin-1 text; the request was applied), and
    /// where: a byte offset in `response`, on a character boundary. Asked once after each
    /// request QuickBooks answered with a response.
    fn take_garble(&self, _response: &str) -> Option<usize> {
        None
    }
}
