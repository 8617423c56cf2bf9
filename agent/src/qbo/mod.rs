//! QuickBooks Online API client: faults, OAuth2 tokens, rate limits and retries.

mod client;
mod fault;
#[doc(hidden)]
pub mod fuzzing;
mod limits;
mod oauth;
mod page;

pub use client::{QboClient, QueryPage, QueryPages, BATCH_MAX_ITEMS};
pub use fault::{parse_fault, parse_fault_body, parse_fault_value, FaultError, QboError};
pub use limits::{Budget, RealmLimits, RealmLimitsRegistry, Slot};
pub use oauth::TokenSource;
