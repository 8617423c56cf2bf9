//! The Web Connector's SOAP 1.1 document/literal envelopes (namespace `http://developer.intuit.com/`).
