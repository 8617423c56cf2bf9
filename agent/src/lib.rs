//! qbsync agent: runs the tasks the extension enqueues and pushes the rows applications flag,
//! between Postgres and QuickBooks Online.

pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod failpoint;
pub mod keys;
pub mod listener;
pub mod metrics;
pub mod qbd;
pub mod qbo;
pub mod qbwc;
pub mod report;
pub mod runner;
pub mod schedule;
pub mod sessions;
pub mod sync;
pub mod tasks;
pub mod web;

pub use config::{database_config, AgentConfig};
pub use error::AgentError;
