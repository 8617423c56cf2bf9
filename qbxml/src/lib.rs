//! qbXML and QuickBooks Web Connector documents, shared by the agent (the SOAP service and qbXML
//! client) and the sandbox (the simulated Web Connector and company file):
//! - [`tree`]: a generic element tree, parsed leniently and written with escaping, in the order
//!   the elements were added (qbXML's XSD sequences make order significant);
//! - [`soap`]: the Web Connector's SOAP 1.1 document/literal envelopes;
//! - [`request`]: qbXML 13.0 requests built from the QuickBooks Desktop catalogue;
//! - [`response`]: qbXML responses read leniently, `*Ret` elements as JSON, reports.

pub mod request;
pub mod response;
pub mod soap;
pub mod tree;

pub use tree::{Element, XmlError};
