//! A simulated QuickBooks Desktop company file, reached through qbXML (the reference sheet
//! `shared/docs/quickbooks-desktop.md`, §7–§17 and §19–§20): message sets validated against
//! Intuit's XSDs with `xmllint`, list and transaction queries with iterators, Add/Mod/Void/Del
//! with `EditSequence`, deleted-object queries, error recovery, reports computed from the
//! stored data, and fault injection for tests.
//!
//! ```no_run
//! use qbsync_sandbox::qbd::{QbdCompany, QbdConfig};
//! let qb = QbdCompany::seeded(QbdConfig::default());
//! let rs = qb.process(r#"<?xml version="1.0"?><?qbxml version="13.0"?>
//! <QBXML><QBXMLMsgsRq onError="continueOnError"><CustomerQueryRq><MaxReturned>5</MaxReturned>
//! </CustomerQueryRq></QBXMLMsgsRq></QBXML>"#);
//! assert!(rs.is_ok());
//! ```

mod admin;
mod deleted;
mod derived;
mod hcp;
mod ids;
mod kinds;
mod ledger;
mod lines;
mod money;
mod query;
mod recovery;
mod report;
mod report_build;
mod report_detail;
mod report_summary;
mod request;
mod ret;
mod schema;
mod seed;
mod status;
mod store;
mod totals;
mod validate;
mod write;

pub use admin::{QbdAdmin, QbdAdminError, QbdStats};
pub use ids::HostZone;
pub use status::{Severity, Status};

use crate::qbwc::host::{Hresult, QuickBooksHost};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// How the simulated company file is made.
#[derive(Debug, Clone)]
pub struct QbdConfig {
    /// Customers to seed (the other lists and transactions scale with it; 0 = chart of
    /// accounts, items and standard lists only).
    pub customers: usize,
    /// `CompanyName` of `CompanyRet`.
    pub company_name: String,
    /// Full path of the company file (`strCompanyFileName`).
    pub company_file: String,
    /// The QuickBooks machine's time zone (§10).
    pub host_zone: HostZone,
    /// `SupportedQBXMLVersion` values, highest last; requests declaring another version fail
    /// with a parse error.
    pub supported_versions: Vec<String>,
    /// Page size of an iterator `Start` without `MaxReturned`; None = everything in one page
    /// (§19).
    pub default_iterator_page: Option<usize>,
    /// `ProductName` of `HostRet`.
    pub product_name: String,
    /// `MajorVersion` of `HostRet` (24 = QuickBooks 2014).
    pub product_major: u32,
    /// Folder holding `qbxml-13.0/` and `qbxml-16.0/`; None = `QBSYNC_QB_SCHEMAS` or
    /// `shared/quickbooks` beside the workspace.
    pub schema_dir: Option<PathBuf>,
    /// Seed of the deterministic sample data.
    pub seed: u64,
}

/// qbXML versions QuickBooks 2014 (R24) advertises: 1.0 … 13.0.
pub fn versions_qb2014() -> Vec<String> {
    [
        "1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0", "6.0", "7.0", "8.0", "9.0", "10.0",
        "11.0", "12.0", "13.0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// [`versions_qb2014`] plus 14.0, 15.0 and 16.0 (a current QuickBooks Desktop).
pub fn versions_to_16() -> Vec<String> {
    let mut v = versions_qb2014();
    v.extend(["14.0", "15.0", "16.0"].iter().map(|s| s.to_string()));
    v
}

impl Default for QbdConfig {
    fn default() -> Self {
        QbdConfig {
            customers: 250,
            company_name: "qbsync sample".into(),
            company_file:
                r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\qbsync sample.QBW"
                    .into(),
            host_zone: HostZone::default(),
            supported_versions: versions_qb2014(),
            default_iterator_page: None,
            product_name: "QuickBooks Pro 2014".into(),
            product_major: 24,
            schema_dir: None,
            seed: 0x5EED_0DE5,
        }
    }
}

/// Counters of what the company file has processed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub message_sets: u64,
    pub parse_errors: u64,
    pub requests: BTreeMap<String, u64>,
    pub statuses: BTreeMap<u32, u64>,
}

/// Faults armed by tests.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    /// Status code the first write item of the next message set with a write gets.
    pub next_write: Option<u32>,
    /// The next message set's response is "lost" after QuickBooks applied it.
    pub lose_next_response: bool,
    /// Responses still delivered intact before `garble_responses` take effect.
    pub garble_after: u32,
    /// This many responses (after `garble_after`) reach the agent with a byte that is not UTF-8.
    pub garble_responses: u32,
    /// Only responses holding this text count (and it gets the byte); None = every response.
    pub garble_containing: Option<String>,
    /// The next `open` fails with this.
    pub next_open: Option<Hresult>,
    /// Emit values outside the XSD (`PreferredDeliveryMethod` `Mail`, `ColType`
    /// `UnitOfMeasureUnit`) so lenient parsers get exercised.
    pub off_schema_values: bool,
}

/// Everything behind the company's lock.
#[derive(Debug)]
pub(crate) struct State {
    pub cfg: QbdConfig,
    pub schema_root: PathBuf,
    /// Seconds added to the real clock.
    pub clock_offset: i64,
    pub store: store::Store,
    pub iterators: HashMap<String, query::Iter>,
    pub recovery: recovery::Recovery,
    pub faults: Faults,
    pub counters: Counters,
    /// `FileID` values stamped under each `OwnerID` (QBWC's private DataExt on Company).
    pub stamps: BTreeMap<String, String>,
    pub drop_response: bool,
    pub derived: Option<Arc<derived::Derived>>,
}

impl State {
    /// Current simulated time (unix seconds).
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_offset
    }

    pub fn zone(&self) -> HostZone {
        self.cfg.host_zone
    }

    /// Balances, links and postings for the current data (cached per generation).
    pub fn derived(&mut self) -> Arc<derived::Derived> {
        if let Some(d) = &self.derived {
            if d.generation == self.store.generation {
                return Arc::clone(d);
            }
        }
        let d = Arc::new(derived::Derived::compute(&self.store));
        self.derived = Some(Arc::clone(&d));
        d
    }
}

/// A simulated QuickBooks Desktop with one company file open. Cheap to clone; all clones share
/// the same company.
#[derive(Clone)]
pub struct QbdCompany {
    inner: Arc<Mutex<State>>,
}

impl std::fmt::Debug for QbdCompany {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.lock();
        f.debug_struct("QbdCompany")
            .field("company_file", &st.cfg.company_file)
            .finish()
    }
}

impl QbdCompany {
    /// A company file with the deterministic sample data of `cfg` (see the README).
    pub fn seeded(cfg: QbdConfig) -> QbdCompany {
        let schema_root = cfg
            .schema_dir
            .clone()
            .unwrap_or_else(schema::default_schema_root);
        let mut st = State {
            cfg,
            schema_root,
            clock_offset: 0,
            store: store::Store::default(),
            iterators: HashMap::new(),
            recovery: recovery::Recovery::default(),
            faults: Faults::default(),
            counters: Counters::default(),
            stamps: BTreeMap::new(),
            drop_response: false,
            derived: None,
        };
        seed::seed(&mut st);
        QbdCompany {
            inner: Arc::new(Mutex::new(st)),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Processes one qbXML request document (§7): the response document, or the HRESULT
    /// QuickBooks reports when it cannot parse the request.
    pub fn process(&self, request: &str) -> Result<String, Hresult> {
        request::process(self, request)
    }

    /// Whether the last response was "lost" (an armed fault): the Web Connector simulation
    /// should drop it instead of delivering it. Reading clears the flag.
    pub fn take_drop_response(&self) -> bool {
        std::mem::take(&mut self.lock().drop_response)
    }

    /// Whether `response`, just produced, is to reach the agent garbled (an armed fault,
    /// [`QbdAdmin::garble_next_responses`]), and where the Web Connector simulation puts the
    /// Latin-1 byte: inside the armed text, else inside the first `Name`. Each garbled (or
    /// skipped) response uses up one of the armed ones; responses without the armed text do
    /// not count.
    pub fn take_garble(&self, response: &str) -> Option<usize> {
        let f = &mut self.lock().faults;
        if f.garble_responses == 0 {
            return None;
        }
        let offset = match &f.garble_containing {
            // Just after the text's first character: inside it.
            Some(text) => {
                let at = response.find(text.as_str())?;
                at + text.chars().next().map_or(0, char::len_utf8)
            }
            None => crate::qbwc::session::garble_offset(response),
        };
        if f.garble_after > 0 {
            f.garble_after -= 1;
            return None;
        }
        f.garble_responses -= 1;
        Some(offset)
    }

    /// The test/demo control surface.
    pub fn admin(&self) -> QbdAdmin {
        QbdAdmin::new(self.clone())
    }

    /// Full path of the open company file.
    pub fn company_file_name(&self) -> String {
        self.lock().cfg.company_file.clone()
    }

    /// `SupportedQBXMLVersion` values, highest last.
    pub fn supported_versions(&self) -> Vec<String> {
        self.lock().cfg.supported_versions.clone()
    }

    /// Host, Company and Preferences query responses (requestID 0, 1, 2) as QBWC sends them
    /// in the first `sendRequestXML`; stamps `file_id` under `owner_id` the first time.
    pub fn hcp_response(&self, owner_id: &str, file_id: &str) -> String {
        hcp::hcp_response(self, owner_id, file_id)
    }

    /// Opens the company file for a session (`""` = the one already open).
    pub fn open(&self, company_file: &str) -> Result<(), Hresult> {
        let mut st = self.lock();
        if let Some(h) = st.faults.next_open.take() {
            return Err(h);
        }
        if company_file.is_empty() || company_file.eq_ignore_ascii_case(&st.cfg.company_file) {
            Ok(())
        } else {
            Err(Hresult {
                code: "0x80040401".into(),
                message: "Could not access QuickBooks.".into(),
            })
        }
    }

    /// The session ended: iterators die (§9, §19).
    pub fn end_session(&self) {
        self.lock().iterators.clear();
    }
}

impl QuickBooksHost for QbdCompany {
    fn company_file_name(&self) -> String {
        QbdCompany::company_file_name(self)
    }

    fn supported_versions(&self) -> Vec<String> {
        QbdCompany::supported_versions(self)
    }

    fn hcp_response(&self, owner_id: &str, file_id: &str) -> String {
        QbdCompany::hcp_response(self, owner_id, file_id)
    }

    fn open(&self, company_file: &str) -> Result<(), Hresult> {
        QbdCompany::open(self, company_file)
    }

    fn process(&self, request: &str) -> Result<String, Hresult> {
        QbdCompany::process(self, request)
    }

    fn end_session(&self) {
        QbdCompany::end_session(self)
    }

    fn take_drop_response(&self) -> bool {
        QbdCompany::take_drop_response(self)
    }

    fn take_garble(&self, response: &str) -> Option<usize> {
        QbdCompany::take_garble(self, response)
    }
}
