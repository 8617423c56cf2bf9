//! Installs the entity catalogue: the `qbsync.entity` rows and the mirror tables, both generated
//! from `qbsync_catalog`, the same catalogue the agent maps rows with.

use pgrx::prelude::*;
use qbsync_catalog::{
    qbd_mirror_tables_ddl, qbd_reports, DeleteStyle, EntityKind, ParamKind, QbdKind, ReportParam,
    QBD_ENTITIES, QBD_REPORT_PARAMS, QBD_SCHEMA, QBO_ENTITIES, QBO_REPORTS, QBO_SCHEMA,
    REPORT_PARAMS,
};

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Creates the mirror tables and fills `qbsync.entity`; called once by `CREATE EXTENSION`.
#[pg_extern]
fn _install_catalog() -> Result<(), pgrx::spi::Error> {
    Spi::run(&qbsync_catalog::mirror_tables_ddl(QBO_SCHEMA, QBO_ENTITIES))?;
    for (ord, e) in QBO_ENTITIES.iter().enumerate() {
        let children: Vec<String> = e.children.iter().map(|c| quote(c.table)).collect();
        Spi::run(&format!(
            "INSERT INTO qbsync.entity (name, company_kind, schema_name, table_name, entity_kind, can_create, can_update, delete_style, \
             can_void, cdc, natural_key, natural_key_column, child_tables, ord, is_payment, payer_column) \
             VALUES ({}, 'qbo', {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, ARRAY[{}]::text[], {}, {}, {})",
            quote(e.name),
            quote(QBO_SCHEMA),
            quote(e.table),
            quote(match e.kind {
                EntityKind::NameList => "list",
                EntityKind::Transaction => "txn",
        EntityKind::Singleton => "singleton",
            }),
            e.create,
            e.update,
            quote(match e.delete_style() {
                DeleteStyle::Delete => "delete",
                DeleteStyle::Deactivate => "deactivate",
                DeleteStyle::Refused => "refused",
            }),
            e.can_void(),
            e.cdc,
            e.natural_key.map(quote).unwrap_or_else(|| "NULL".into()),
            e.natural_key
                .and_then(|k| e.columns.iter().find(|c| c.path == [k]))
                .map(|c| quote(c.name))
                .unwrap_or_else(|| "NULL".into()),
            children.join(", "),
            ord + 1,
            e.is_payment(),
            e.payer_column().map(quote).unwrap_or_else(|| "NULL".into()),
        ))?;
    }
    install_qbd_catalog()?;
    install_reports()?;
    Spi::run(&pending_view_sql())
}

/// `qbsync.pending`: every mirror row waiting to be pushed or being pushed, across all tables of
/// both kinds, so "what is pending?" is one query.
fn pending_view_sql() -> String {
    let qbo = QBO_ENTITIES.iter().map(|e| {
        (
            format!("{QBO_SCHEMA}.{}", e.table),
            e.name.to_string(),
            "id",
        )
    });
    let qbd = QBD_ENTITIES.iter().map(|e| {
        (
            format!("{QBD_SCHEMA}.{}", e.table),
            format!("{}{}", qbsync_catalog::QBD_ENTITY_PREFIX, e.name),
            e.key_column(),
        )
    });
    let selects: Vec<String> = qbo
        .chain(qbd)
        .map(|(table, entity, key)| {
            format!(
                "SELECT c.name AS company, {} AS table_name, {} AS entity, x.local_id, x.{key}::text AS quickbooks_id, \
                 x.operation, x.sync_status, x.sync_message \
                 FROM {table} x JOIN qbsync.company c ON c.id = x.company_id WHERE x.sync_status IN ('pending', 'sending')",
                quote(&table),
                quote(&entity),
            )
        })
        .collect();
    format!(
        "CREATE VIEW qbsync.pending AS {};\n\
         COMMENT ON VIEW qbsync.pending IS 'Mirror rows waiting to be pushed to QuickBooks (pending) or being pushed (sending), in every table';",
        selects.join("\nUNION ALL ")
    )
}

/// The QuickBooks Desktop mirror tables (schema qbd) and their `qbsync.entity` rows, named
/// `qbd:<object>` because QuickBooks Online uses the same object names.
fn install_qbd_catalog() -> Result<(), pgrx::spi::Error> {
    Spi::run(&qbd_mirror_tables_ddl(QBD_SCHEMA, QBD_ENTITIES))?;
    let base = QBO_ENTITIES.len();
    for (ord, e) in QBD_ENTITIES.iter().enumerate() {
        let children: Vec<String> = e.lines.iter().map(|l| quote(l.table)).collect();
        let natural_key_column = match e.kind {
            QbdKind::List => "full_name",
            QbdKind::Txn => "ref_number",
        };
        let has_natural_key = e.kind == QbdKind::List || e.column(natural_key_column).is_some();
        let is_payment = matches!(e.name, "ReceivePayment" | "BillPaymentCheck");
        let payer = match e.name {
            "ReceivePayment" => Some("customer_list_id"),
            "BillPaymentCheck" => Some("payee_list_id"),
            _ => None,
        }
        .filter(|c| e.column(c).is_some());
        Spi::run(&format!(
            "INSERT INTO qbsync.entity (name, company_kind, schema_name, table_name, entity_kind, can_create, can_update, delete_style, \
             can_void, cdc, natural_key, natural_key_column, child_tables, ord, is_payment, payer_column) \
             VALUES ({}, 'qbd', {}, {}, {}, {}, {}, {}, {}, false, {}, {}, ARRAY[{}]::text[], {}, {}, {})",
            quote(&e.sql_name()),
            quote(QBD_SCHEMA),
            quote(e.table),
            quote(match e.kind {
                QbdKind::List => "list",
                QbdKind::Txn => "txn",
            }),
            e.add,
            e.modify,
            quote(if e.can_delete() { "delete" } else { "refused" }),
            e.can_void(),
            if has_natural_key { quote(if e.kind == QbdKind::List { "FullName" } else { "RefNumber" }) } else { "NULL".into() },
            if has_natural_key { quote(natural_key_column) } else { "NULL".into() },
            children.join(", "),
            base + ord + 1,
            is_payment,
            payer.map(quote).unwrap_or_else(|| "NULL".into()),
        ))?;
    }
    Ok(())
}

fn text_array(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("ARRAY[{}]::text[]", quoted.join(", "))
}

/// Fills `qbsync.report_kind` and `qbsync.report_param`, which `qb_report()` checks calls against.
fn install_reports() -> Result<(), pgrx::spi::Error> {
    install_report_params("qbo", REPORT_PARAMS)?;
    install_report_params("qbd", QBD_REPORT_PARAMS)?;
    for r in qbd_reports() {
        Spi::run(&format!(
            "INSERT INTO qbsync.report_kind (name, company_kind, report_group, params, description) \
             VALUES ({}, 'qbd', {}, {}, {})",
            quote(r.name),
            quote(r.family.label()),
            text_array(r.family.params()),
            quote(&format!("QuickBooks Desktop {} report {}", r.family.label(), r.name)),
        ))?;
    }
    for r in QBO_REPORTS {
        Spi::run(&format!(
            "INSERT INTO qbsync.report_kind (name, company_kind, report_group, params, description) \
             VALUES ({}, 'qbo', {}, {}, {})",
            quote(r.name),
            quote(r.group),
            text_array(r.params),
            quote(r.doc),
        ))?;
    }
    Ok(())
}

fn install_report_params(
    company_kind: &str,
    params: &[ReportParam],
) -> Result<(), pgrx::spi::Error> {
    for p in params {
        let (value_kind, choices) = match p.kind {
            ParamKind::Date => ("date", "NULL".to_string()),
            ParamKind::Choice(values) => ("choice", text_array(values)),
            ParamKind::Ids => ("ids", "NULL".to_string()),
            ParamKind::Count => ("count", "NULL".to_string()),
        };
        Spi::run(&format!(
            "INSERT INTO qbsync.report_param (name, company_kind, value_kind, choices, description) VALUES ({}, {}, {}, {}, {})",
            quote(p.name),
            quote(company_kind),
            quote(value_kind),
            choices,
            quote(p.doc),
        ))?;
    }
    Ok(())
}

/// The version of the entity catalogue compiled into this extension, for the agent to check it
/// maps rows with the same catalogue.
#[pg_extern]
fn catalog_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
