//! Incoming QuickBooks Desktop records (`*Ret` elements as JSON, see qbsync-qbxml's
//! `ret_to_json`) into mirror rows: staged as raw jsonb, then typed and upserted by Postgres,
//! keyed on ListID/TxnID. A record whose EditSequence equals the stored one is skipped: the
//! overlap window of a refresh and the agent's own writes coming back change nothing.

use super::{QbdColumn, QbdEntity};
use crate::entity::SqlType;
use crate::mapping::{UpsertSql, COUNT_UPSERTED, STAGE_TABLE, UPSERTED_TABLE};

/// SQL expression reading `column` out of the jsonb expression `src`, typed.
fn extract(column: &QbdColumn, src: &str) -> String {
    let text = format!("({src} #>> '{{{}}}')", column.path.join(","));
    match column.sql {
        SqlType::Text => text,
        other => format!("NULLIF({text}, '')::{}", other.sql()),
    }
}

/// The statements that upsert one staged batch of `entity` in `schema` (`$1` = company id).
pub fn qbd_upsert_sql(schema: &str, entity: &QbdEntity) -> UpsertSql {
    let t = format!("{schema}.{}", entity.table);
    let key = entity.key_column();
    let key_path = entity.key_element();
    let all: Vec<&QbdColumn> = entity
        .key_columns()
        .iter()
        .chain(entity.columns.iter())
        .collect();
    let cols: Vec<&str> = all.iter().map(|c| c.name).collect();
    let exprs: Vec<String> = all.iter().map(|c| extract(c, "s.data")).collect();
    let sets: Vec<String> = all
        .iter()
        .filter(|c| c.name != key)
        .map(|c| format!("{0} = EXCLUDED.{0}", c.name))
        .collect();
    let up = format!(
        "WITH up AS (INSERT INTO {t} AS t (company_id, {cols}, data, sync_status, sync_message, synced_at) \
         SELECT DISTINCT ON (s.data->>'{key_path}') $1::bigint, {exprs}, s.data, 'ok', NULL, now() \
         FROM {STAGE_TABLE} s WHERE s.data->>'{key_path}' IS NOT NULL ORDER BY s.data->>'{key_path}' \
         ON CONFLICT (company_id, {key}) DO UPDATE SET {sets}, data = EXCLUDED.data, \
         sync_status = 'ok', sync_message = NULL, synced_at = EXCLUDED.synced_at \
         WHERE t.linked AND (t.sync_status IS NULL OR t.sync_status = 'ok') \
           AND t.edit_sequence IS DISTINCT FROM EXCLUDED.edit_sequence \
         RETURNING t.local_id, t.{key}, (t.xmax = 0) AS inserted)",
        cols = cols.join(", "),
        exprs = exprs.join(", "),
        sets = sets.join(", "),
    );
    let pc = format!("{}_local_id", entity.table);
    let children = entity
        .lines
        .iter()
        .map(|l| {
            let ct = format!("{schema}.{}", l.table);
            let delete = format!("DELETE FROM {ct} c USING {UPSERTED_TABLE} u WHERE c.{pc} = u.local_id");
            let lcols: Vec<&QbdColumn> = l.key_columns().iter().chain(l.columns.iter()).collect();
            let names: Vec<&str> = lcols.iter().map(|c| c.name).collect();
            let lexprs: Vec<String> = lcols.iter().map(|c| extract(c, "l.line")).collect();
            let insert = format!(
                "INSERT INTO {ct} ({pc}, company_id, line_num, {names}, data) \
                 SELECT p.local_id, p.company_id, l.ord, {lexprs}, l.line \
                 FROM {UPSERTED_TABLE} u JOIN {t} p ON p.local_id = u.local_id, \
                 jsonb_array_elements(CASE jsonb_typeof(p.data->'{arr}') WHEN 'array' THEN p.data->'{arr}' \
                 WHEN 'object' THEN jsonb_build_array(p.data->'{arr}') ELSE '[]'::jsonb END) \
                 WITH ORDINALITY AS l(line, ord)",
                names = names.join(", "),
                lexprs = lexprs.join(", "),
                arr = l.ret,
            );
            (delete, insert)
        })
        .collect();
    UpsertSql {
        parent: format!(
            "{up} INSERT INTO {UPSERTED_TABLE} (local_id, id, inserted) SELECT local_id, {key}, inserted FROM up"
        ),
        counted: format!("{up} {COUNT_UPSERTED}"),
        children,
    }
}

/// Writes the `*Ret` QuickBooks answered a push with (`$2`, jsonb: the `*Ret` as qbsync-qbxml's `ret_to_json` gives it) back
/// into the row with local key `$1` of `entity` in `schema`: the QuickBooks key, EditSequence,
/// times and every typed column from the answer, `data` = the answer; `operation` cleared,
/// `sync_status` ok, `$3` left in `sync_message`. The answer is a whole `*Ret` (pushes send no
/// `IncludeRetElement`), so a field it lacks is empty in QuickBooks. The line tables are then
/// rewritten from `data` with [`qbd_upsert_sql`]'s `children` after putting `$1` in
/// [`UPSERTED_TABLE`].
pub fn qbd_writeback_sql(schema: &str, entity: &QbdEntity) -> String {
    let sets: Vec<String> = entity
        .key_columns()
        .iter()
        .chain(entity.columns.iter())
        .map(|c| format!("{} = {}", c.name, extract(c, "$2::jsonb")))
        .collect();
    format!(
        "UPDATE {schema}.{} t SET {}, data = $2::jsonb, \
         operation = NULL, sync_status = 'ok', sync_message = $3, synced_at = now(), request_id = NULL \
         WHERE t.local_id = $1",
        entity.table,
        sets.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qbd::qbd_entity;

    #[test]
    fn upsert_keys_on_the_quickbooks_id_and_skips_unchanged_edit_sequences() {
        let invoice = qbd_entity("Invoice").expect("invoice");
        let sql = qbd_upsert_sql("qbd", invoice);
        assert!(sql.parent.contains("ON CONFLICT (company_id, txn_id)"));
        assert!(sql
            .parent
            .contains("t.edit_sequence IS DISTINCT FROM EXCLUDED.edit_sequence"));
        assert!(sql.parent.contains("(s.data #>> '{TxnID}')"));
        assert_eq!(sql.children.len(), invoice.lines.len());
        assert!(sql.children[0].1.contains("p.data->'InvoiceLineRet'"));
        let customer = qbd_entity("Customer").expect("customer");
        assert!(qbd_upsert_sql("qbd", customer)
            .parent
            .contains("ON CONFLICT (company_id, list_id)"));
    }

    #[test]
    fn writeback_sets_keys_typed_columns_and_clears_operation() {
        let invoice = qbd_entity("Invoice").expect("invoice");
        let sql = qbd_writeback_sql("qbd", invoice);
        assert!(sql.starts_with("UPDATE qbd.invoice t SET txn_id = ($2::jsonb #>> '{TxnID}')"));
        assert!(sql.contains("edit_sequence = ($2::jsonb #>> '{EditSequence}')"));
        assert!(sql.contains("txn_number = NULLIF(($2::jsonb #>> '{TxnNumber}'), '')::numeric"));
        assert!(sql.contains("customer_full_name = ($2::jsonb #>> '{CustomerRef,FullName}')"));
        assert!(sql.contains("data = $2::jsonb, operation = NULL, sync_status = 'ok'"));
        assert!(sql.ends_with("WHERE t.local_id = $1"));
    }
}
