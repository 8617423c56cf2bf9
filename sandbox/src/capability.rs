//! What an API client may do to an entity, read from the catalogue (`create`, `update`,
//! `delete_style()`; reference sheet §3.4, §13). A QuickBooks user (the admin path) is not
//! bound by these: tax codes and rates are made inside QuickBooks, not through the API.

use crate::fault::Fault;
use qbsync_catalog::{DeleteStyle, Entity};
use serde_json::{Map, Value};

/// The write an API request asks for, as far as capabilities go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    /// Full or sparse update, `Active:false` deactivation included.
    Update,
    Delete,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "Create",
            Operation::Update => "Update",
            Operation::Delete => "Delete",
        }
    }

    /// Create or update, decided the way the write itself is: a body with an `Id` updates.
    pub fn of_save(body: &Map<String, Value>) -> Self {
        if body.get("Id").is_some_and(|v| !v.is_null()) {
            Operation::Update
        } else {
            Operation::Create
        }
    }
}

/// Whether QuickBooks Online lets an application do `op` on `entity`.
pub fn allowed(entity: &Entity, op: Operation) -> bool {
    match op {
        Operation::Create => entity.create,
        Operation::Update => entity.update,
        Operation::Delete => entity.delete_style() == DeleteStyle::Delete,
    }
}

/// 400 / `500` `Unsupported Operation` unless the catalogue allows `op` on `entity`.
pub fn check(entity: &Entity, op: Operation) -> Result<(), Fault> {
    if allowed(entity, op) {
        return Ok(());
    }
    tracing::info!(
        entity = entity.name,
        operation = op.name(),
        "operation refused by the catalogue"
    );
    Err(Fault::unsupported_entity_operation(op.name(), entity.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use qbsync_catalog::qbo_entity;

    fn e(name: &str) -> &'static Entity {
        qbo_entity(name).expect("catalogue entity")
    }

    #[test]
    fn follows_the_catalogue() {
        assert!(check(e("Customer"), Operation::Create).is_ok());
        assert!(check(e("Customer"), Operation::Update).is_ok());
        assert!(check(e("Invoice"), Operation::Delete).is_ok());
        assert!(check(e("TaxAgency"), Operation::Create).is_ok());
        for (name, op) in [
            ("TaxCode", Operation::Create),
            ("TaxRate", Operation::Create),
            ("TaxCode", Operation::Update),
            ("TaxAgency", Operation::Update),
            ("TaxAgency", Operation::Delete),
            ("Customer", Operation::Delete),
            ("Class", Operation::Delete),
        ] {
            let f = check(e(name), op).expect_err(name);
            assert_eq!((f.status, f.code()), (400, "500"), "{name} {op:?}");
            assert_eq!(f.errors[0].message, "Unsupported Operation");
            assert_eq!(
                f.errors[0].detail,
                format!("Operation {} {name} is not supported.", op.name())
            );
        }
    }

    #[test]
    fn save_is_an_update_when_the_body_has_an_id() {
        let with_id = serde_json::json!({"Id": "3", "SyncToken": "0"});
        let without = serde_json::json!({"Name": "x", "Id": null});
        let obj = |v: &Value| v.as_object().cloned().unwrap_or_default();
        assert_eq!(Operation::of_save(&obj(&with_id)), Operation::Update);
        assert_eq!(Operation::of_save(&obj(&without)), Operation::Create);
    }
}
