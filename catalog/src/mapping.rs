//! Mapping between QuickBooks JSON objects and mirror rows, both ways.
//!
//! Incoming objects are streamed into a staging table as raw `jsonb` and turned into typed
//! columns by Postgres itself (`upsert_sql`), so the agent never parses a field it only copies.
//! Outgoing rows are read as `to_jsonb(row)` and turned into a QuickBooks body by `body_from_row`.

use crate::ddl::child_parent_column;
use crate::entity::{Column, Entity, SqlType};
use serde_json::{Map, Value};
use std::fmt::Write;

/// Temporary table (one `data jsonb` column) that incoming objects are copied into.
pub const STAGE_TABLE: &str = "qbsync_stage";
/// Temporary table receiving `(local_id, id, inserted)` of the rows an upsert touched.
pub const UPSERTED_TABLE: &str = "qbsync_upserted";

/// SQL expression reading `column` out of the jsonb expression `src`, typed.
pub fn extract_expr(column: &Column, src: &str) -> String {
    let path = column.path.join(",");
    let text = format!("({src} #>> '{{{path}}}')");
    match column.sql_type {
        SqlType::Text => text,
        other => format!("NULLIF({text}, '')::{}", other.sql()),
    }
}

/// The statements that upsert one staged batch of an entity, in execution order.
#[derive(Debug, Clone)]
pub struct UpsertSql {
    /// Upserts parents from the stage into the mirror table (`$1` = company id), skipping rows
    /// with a local change waiting to be pushed or a failed push the user has yet to fix, and records what it touched in
    /// [`UPSERTED_TABLE`].
    pub parent: String,
    /// The same upsert answering its counts (inserted, updated) instead of filling
    /// [`UPSERTED_TABLE`], for when nothing reads that table after it (no child lines, no
    /// result rows).
    pub counted: String,
    /// For each child table: delete the lines of the touched parents, then insert the new ones.
    pub children: Vec<(String, String)>,
}

/// The last statement of [`UpsertSql::counted`], after the `up` CTE.
pub(crate) const COUNT_UPSERTED: &str =
    "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up";

/// Builds the upsert statements for `entity` in `schema`.
pub fn upsert_sql(schema: &str, entity: &Entity) -> UpsertSql {
    let t = format!("{schema}.{}", entity.table);
    let cols: Vec<&str> = entity.columns.iter().map(|c| c.name).collect();
    let exprs: Vec<String> = entity
        .columns
        .iter()
        .map(|c| extract_expr(c, "s.data"))
        .collect();
    let mut up = String::new();
    let _ = write!(
        up,
        "WITH up AS (INSERT INTO {t} AS t (company_id, id, sync_token, {cols}, data, sync_status, sync_message, synced_at) \
         SELECT DISTINCT ON (s.data->>'Id') $1::bigint, s.data->>'Id', s.data->>'SyncToken', {exprs}, s.data, 'ok', NULL, now() \
         FROM {STAGE_TABLE} s ORDER BY s.data->>'Id' \
         ON CONFLICT (company_id, id) DO UPDATE SET sync_token = EXCLUDED.sync_token, {sets}, data = EXCLUDED.data, \
         sync_status = 'ok', sync_message = NULL, synced_at = EXCLUDED.synced_at \
         WHERE t.linked AND (t.sync_status IS NULL OR t.sync_status = 'ok') \
         RETURNING t.local_id, t.id, (t.xmax = 0) AS inserted)",
        cols = cols.join(", "),
        exprs = exprs.join(", "),
        sets = cols.iter().map(|c| format!("{c} = EXCLUDED.{c}")).collect::<Vec<_>>().join(", "),
    );
    let children = entity
        .children
        .iter()
        .map(|child| {
            let ct = format!("{schema}.{}", child.table);
            let pc = child_parent_column(entity);
            // A parent just inserted has a new local key, so no lines yet: only updated parents
            // have old lines to remove (a fresh populate skips the join altogether).
            let delete = format!("DELETE FROM {ct} c USING {UPSERTED_TABLE} u WHERE c.{pc} = u.local_id AND NOT u.inserted");
            let ccols: Vec<&str> = child.columns.iter().map(|c| c.name).collect();
            let cexprs: Vec<String> = child.columns.iter().map(|c| extract_expr(c, "l.line")).collect();
            let insert = format!(
                "INSERT INTO {ct} ({pc}, company_id, line_num, {ccols}, data) \
                 SELECT p.local_id, p.company_id, l.ord, {cexprs}, l.line \
                 FROM {UPSERTED_TABLE} u JOIN {t} p ON p.local_id = u.local_id, \
                 jsonb_array_elements(CASE WHEN jsonb_typeof(p.data->'{arr}') = 'array' THEN p.data->'{arr}' ELSE '[]'::jsonb END) \
                 WITH ORDINALITY AS l(line, ord)",
                ccols = ccols.join(", "),
                cexprs = cexprs.join(", "),
                arr = child.array,
            );
            (delete, insert)
        })
        .collect();
    UpsertSql {
        parent: format!("{up} INSERT INTO {UPSERTED_TABLE} (local_id, id, inserted) SELECT local_id, id, inserted FROM up"),
        counted: format!("{up} {COUNT_UPSERTED}"),
        children,
    }
}

/// Writes the object QuickBooks answered a push with (`$2`, jsonb) back into the row with
/// local key `$1`, clearing `operation`; `$3` is the message to leave in `sync_message`.
/// Child rows are then rewritten with [`UpsertSql::children`] after putting `$1` in
/// [`UPSERTED_TABLE`].
pub fn writeback_sql(schema: &str, entity: &Entity) -> String {
    let sets: Vec<String> = entity
        .columns
        .iter()
        .map(|c| format!("{} = {}", c.name, extract_expr(c, "$2::jsonb")))
        .collect();
    format!(
        "UPDATE {schema}.{} t SET id = $2::jsonb->>'Id', sync_token = $2::jsonb->>'SyncToken', {}, data = $2::jsonb, \
         operation = NULL, sync_status = 'ok', sync_message = $3, synced_at = now(), request_id = NULL \
         WHERE t.local_id = $1",
        entity.table,
        sets.join(", ")
    )
}

/// Keys QuickBooks owns: never sent back on add, and on update only `Id`/`SyncToken` as the
/// caller sets them.
const SERVER_KEYS: &[&str] = &[
    "Id",
    "SyncToken",
    "MetaData",
    "domain",
    "sparse",
    "status",
    "time",
];

fn set_path(target: &mut Value, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *target = value;
        return;
    };
    if let Ok(index) = first.parse::<usize>() {
        if !target.is_array() {
            *target = Value::Array(Vec::new());
        }
        if let Value::Array(items) = target {
            while items.len() <= index {
                items.push(Value::Object(Map::new()));
            }
            set_path(&mut items[index], rest, value);
        }
    } else {
        if !target.is_object() {
            *target = Value::Object(Map::new());
        }
        if let Value::Object(map) = target {
            set_path(
                map.entry(first.to_string()).or_insert(Value::Null),
                rest,
                value,
            );
        }
    }
}

/// Applies the writable typed columns of `row` (a `to_jsonb(row)` object) over `base`.
/// A NULL column leaves the field as it is in `base`: it means "not set here", not "clear".
fn apply_columns(base: &mut Value, columns: &[Column], row: &Map<String, Value>) {
    for c in columns.iter().filter(|c| c.writable) {
        if let Some(v) = row.get(c.name).filter(|v| !v.is_null()) {
            set_path(base, c.path, v.clone());
        }
    }
}

fn data_object(row: &Map<String, Value>) -> Value {
    match row.get("data") {
        Some(Value::Object(m)) => Value::Object(m.clone()),
        _ => Value::Object(Map::new()),
    }
}

/// The QuickBooks line object for one child-table row.
pub fn line_from_row(columns: &[Column], row: &Map<String, Value>) -> Value {
    let mut line = data_object(row);
    apply_columns(&mut line, columns, row);
    if let Some(Value::String(id)) = row.get("line_id") {
        set_path(&mut line, &["Id"], Value::String(id.clone()));
    }
    // QuickBooks needs DetailType to name the detail object the line carries.
    if let Value::Object(map) = &mut line {
        if !map.contains_key("DetailType") {
            if let Some(detail) = map.keys().find(|k| k.ends_with("LineDetail")).cloned() {
                map.insert("DetailType".into(), Value::String(detail));
            }
        }
    }
    line
}

/// The QuickBooks body for a mirror row: its `data` object without the keys QuickBooks owns,
/// overlaid with the writable typed columns, and each child table's rows (`children[i]` for
/// `entity.children[i]`, in `line_num` order) as its array. A child table without rows leaves
/// the array as it is in `data`.
pub fn body_from_row(
    entity: &Entity,
    row: &Map<String, Value>,
    children: &[Vec<Map<String, Value>>],
) -> Value {
    let mut body = data_object(row);
    if let Value::Object(map) = &mut body {
        for k in SERVER_KEYS {
            map.remove(*k);
        }
    }
    apply_columns(&mut body, entity.columns, row);
    for (child, rows) in entity.children.iter().zip(children) {
        if !rows.is_empty() {
            let array = rows
                .iter()
                .map(|l| line_from_row(child.columns, l))
                .collect();
            set_path(&mut body, &[child.array], Value::Array(array));
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qbo_entity;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn extract_expressions_are_typed() {
        let e = qbo_entity("customer").unwrap();
        assert_eq!(
            extract_expr(e.column("email").unwrap(), "d"),
            "(d #>> '{PrimaryEmailAddr,Address}')"
        );
        assert_eq!(
            extract_expr(e.column("balance").unwrap(), "d"),
            "NULLIF((d #>> '{Balance}'), '')::numeric"
        );
        assert_eq!(
            extract_expr(e.column("active").unwrap(), "d"),
            "NULLIF((d #>> '{Active}'), '')::boolean"
        );
    }

    #[test]
    fn body_overlays_typed_columns_and_drops_server_keys() {
        let e = qbo_entity("Customer").unwrap();
        let row = obj(json!({
            "display_name": "Acme Ltd", "email": "ap@acme.test", "balance": 12.5, "phone": null,
            "data": {"Id": "7", "SyncToken": "3", "MetaData": {}, "DisplayName": "Old", "Notes": "keep",
                     "PrimaryPhone": {"FreeFormNumber": "555"}}
        }));
        let body = body_from_row(e, &row, &[]);
        assert_eq!(
            body,
            json!({"DisplayName": "Acme Ltd", "Notes": "keep", "PrimaryEmailAddr": {"Address": "ap@acme.test"},
                   "PrimaryPhone": {"FreeFormNumber": "555"}})
        );
    }

    #[test]
    fn lines_become_the_line_array_with_detail_type() {
        let e = qbo_entity("invoice").unwrap();
        let row = obj(json!({"customer_ref": "12", "txn_date": "2026-11-01", "data": {}}));
        let lines = vec![
            obj(json!({"amount": 100.0, "item_ref": "3", "qty": 2, "unit_price": 50, "data": {}})),
            obj(
                json!({"amount": 5, "description": "fee", "line_id": "2", "data": {"DetailType": "SalesItemLineDetail"}}),
            ),
        ];
        let body = body_from_row(e, &row, &[lines]);
        assert_eq!(body["CustomerRef"], json!({"value": "12"}));
        assert_eq!(body["TxnDate"], json!("2026-11-01"));
        assert_eq!(
            body["Line"][0],
            json!({"Amount": 100.0, "DetailType": "SalesItemLineDetail",
                   "SalesItemLineDetail": {"ItemRef": {"value": "3"}, "Qty": 2, "UnitPrice": 50}})
        );
        assert_eq!(body["Line"][1]["Id"], json!("2"));
        assert_eq!(body["Line"][1]["Description"], json!("fee"));
    }

    #[test]
    fn every_child_table_becomes_its_array() {
        let e = qbo_entity("Estimate").unwrap();
        let row = obj(
            json!({"customer_ref": "5", "data": {"CustomField": [{"DefinitionId": "1", "StringValue": "old"}]}}),
        );
        let custom = vec![obj(
            json!({"definition_id": "1", "name": "PO", "field_type": "StringType", "string_value": "PO-77", "data": {}}),
        )];
        let body = body_from_row(e, &row, &[vec![], custom]);
        assert_eq!(
            body["CustomField"],
            json!([{"DefinitionId": "1", "Name": "PO", "Type": "StringType", "StringValue": "PO-77"}])
        );
        assert!(
            body.get("Line").is_none(),
            "no line rows: the data's array (none here) is left alone"
        );
    }

    #[test]
    fn numeric_path_segments_build_arrays() {
        let e = qbo_entity("Payment").unwrap();
        let line = line_from_row(
            e.children[0].columns,
            &obj(json!({"amount": 40, "txn_id": "130", "txn_type": "Invoice", "data": {}})),
        );
        assert_eq!(
            line,
            json!({"Amount": 40, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]})
        );
    }

    #[test]
    fn writeback_clears_operation_and_sets_typed_columns() {
        let sql = writeback_sql("qbo", qbo_entity("customer").unwrap());
        assert!(sql.starts_with("UPDATE qbo.customer t SET id = $2::jsonb->>'Id'"));
        assert!(sql.contains("display_name = ($2::jsonb #>> '{DisplayName}')"));
        assert!(sql.contains("operation = NULL"));
    }

    #[test]
    fn upsert_skips_rows_with_pending_local_changes() {
        let e = qbo_entity("Invoice").unwrap();
        let sql = upsert_sql("qbo", e);
        assert!(sql
            .parent
            .contains("WHERE t.linked AND (t.sync_status IS NULL OR t.sync_status = 'ok')"));
        assert!(sql
            .parent
            .contains("NULLIF((s.data #>> '{TxnDate}'), '')::date"));
        assert_eq!(sql.children.len(), 2, "lines and custom fields");
        assert!(sql.children[0]
            .0
            .starts_with("DELETE FROM qbo.invoice_line"));
        assert!(sql.children[0]
            .1
            .contains("WITH ORDINALITY AS l(line, ord)"));
    }
}
