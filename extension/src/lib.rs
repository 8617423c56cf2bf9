//! The qbsync extension: the SQL surface of the sync (catalogue, mirror tables, qb_* functions,
//! views). It does no I/O with QuickBooks: the functions enqueue tasks that the agent runs.

use pgrx::prelude::*;

mod catalog;
mod schedule;
mod seal;

::pgrx::pg_module_magic!(name, version);

extension_sql_file!("../sql/bootstrap.sql", name = "bootstrap", bootstrap);

extension_sql_file!("../sql/api.sql", name = "api", requires = ["bootstrap"]);

extension_sql_file!("../sql/link.sql", name = "link", requires = ["api"]);

extension_sql_file!("../sql/report.sql", name = "report", requires = ["api"]);

extension_sql_file!("../sql/qbd.sql", name = "qbd", requires = ["api"]);

extension_sql_file!(
    "../sql/schedule.sql",
    name = "schedule",
    requires = ["api", schedule::_cron_next_epoch]
);

extension_sql_file!(
    "../sql/operator.sql",
    name = "operator",
    requires = ["link", "report", "schedule"]
);

extension_sql_file!(
    "../sql/security.sql",
    name = "security",
    requires = ["operator", "qbd", seal::_seal]
);

// Mirror tables come from the shared catalogue, so they are created by Rust once the rest exists;
// the roles' privileges and row-level security then cover them too.
extension_sql!(
    "SELECT qbsync._install_catalog();\nSELECT qbsync._secure();",
    name = "install_catalog",
    finalize
);
