//! The QuickBooks entity catalogue: which entities qbsync mirrors, their typed columns and
//! child tables, what QuickBooks lets each of them do, and the SQL and JSON mapping derived from
//! that. The extension generates its mirror tables from it, the agent maps rows with it and the
//! sandbox routes requests with it, so the three can never disagree.

mod ddl;
mod entity;
mod mapping;
mod qbd;
mod query;
mod report;

pub use ddl::{child_parent_column, mirror_tables_ddl};
pub use entity::{
    qbo_entity, ChildTable, Column, DeleteStyle, Entity, EntityKind, SqlType, VoidStyle,
    QBO_ENTITIES,
};
pub use mapping::{
    body_from_row, extract_expr, line_from_row, upsert_sql, writeback_sql, UpsertSql, STAGE_TABLE,
    UPSERTED_TABLE,
};
pub use qbd::reports::{
    qbd_report, qbd_reports, QbdReport, QbdReportFamily, AGING_REPORT_TYPES,
    GENERAL_DETAIL_REPORT_TYPES, GENERAL_SUMMARY_REPORT_TYPES, QBD_REPORT_PARAMS,
    REPORT_DATE_MACROS, SUMMARIZE_COLUMNS_BY as QBD_SUMMARIZE_COLUMNS_BY, SUMMARIZE_ROWS_BY,
};
pub use qbd::{
    qbd_entity, qbd_mirror_tables_ddl, qbd_mod_name, qbd_upsert_sql, qbd_writeback_sql, QbdColumn,
    QbdDelete, QbdEntity, QbdKind, QbdLines, QbdType, QBD_ENTITIES, QBD_ENTITY_PREFIX,
    QBD_LINE_ID_COLUMN, QBD_LIST_KEY_COLUMNS, QBD_MOD_RENAMES, QBD_SCHEMA, QBD_TXN_KEY_COLUMNS,
};
pub use query::query_literal;
pub use report::{
    qbo_report, report_param, ParamKind, Report, ReportParam, QBO_REPORTS, REPORT_PARAMS,
};

/// Schema holding the QuickBooks Online mirror tables.
pub const QBO_SCHEMA: &str = "qbo";

/// Values an application may write into a mirror row's `operation` column.
pub const OPERATIONS: &[&str] = &["add", "update", "refresh", "void", "delete"];

/// The channel the extension NOTIFYs and the agent LISTENs on.
pub const NOTIFY_CHANNEL: &str = "qbsync";
