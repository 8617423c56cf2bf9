//! Installs the entity catalogue: the `qbsync.entity` rows and the mirror tables, both generated
//! from `qbsync_catalog`, the same catalogue the agent maps rows with.

use pgrx::prelude::*;
use qbsync_catalog::{DeleteStyle, EntityKind, QBO_ENTITIES, QBO_SCHEMA};

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
             can_void, cdc, natural_key, natural_key_column, child_tables, ord) \
             VALUES ({}, 'qbo', {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, ARRAY[{}]::text[], {})",
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
