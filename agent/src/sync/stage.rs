//! Incoming objects reach the mirror tables through a temporary staging table: raw JSON is
//! streamed in with binary COPY, then one statement per table (generated from the catalogue)
//! turns it into typed columns, upserts and rewrites child lines.

use bytes::{BufMut, BytesMut};
use futures_util::pin_mut;
use postgres_types::{to_sql_checked, IsNull, ToSql, Type};
use qbsync_catalog::{upsert_sql, Entity, UpsertSql, QBO_SCHEMA, STAGE_TABLE, UPSERTED_TABLE};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::{Client, Transaction};

/// A JSON text sent as `jsonb` without parsing it here (binary jsonb = version byte 1 + text).
#[derive(Debug)]
pub struct RawJsonb<'a>(pub &'a str);

impl ToSql for RawJsonb<'_> {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.put_u8(1);
        out.put_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB
    }

    to_sql_checked!();
}

/// Creates this session's staging tables (once per connection).
pub async fn prepare(db: &Client) -> Result<(), tokio_postgres::Error> {
    db.batch_execute(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS {STAGE_TABLE} (data jsonb NOT NULL); \
         CREATE TEMP TABLE IF NOT EXISTS {UPSERTED_TABLE} (local_id bigint, id text, inserted boolean)"
    ))
    .await
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Upserted {
    pub inserted: i64,
    pub updated: i64,
}

/// Upserts `objects` (JSON texts of `entity`) for `company`. When `log_task` is given, each row
/// touched gets an incoming `qbsync.sync_result` row (refresh); populate passes None.
pub async fn upsert(
    tx: &Transaction<'_>,
    company: i64,
    entity: &Entity,
    objects: &[&str],
    log: Option<Option<i64>>,
) -> Result<Upserted, tokio_postgres::Error> {
    upsert_with(
        tx,
        company,
        &upsert_sql(QBO_SCHEMA, entity),
        entity.name,
        objects,
        log,
    )
    .await
}

/// [`upsert`] with the statements given: the QuickBooks Desktop tables have their own
/// (`qbd_upsert_sql`); `entity_name` is what `qbsync.sync_result` records.
pub async fn upsert_with(
    tx: &Transaction<'_>,
    company: i64,
    sql: &UpsertSql,
    entity_name: &str,
    objects: &[&str],
    log: Option<Option<i64>>,
) -> Result<Upserted, tokio_postgres::Error> {
    // A record PostgreSQL cannot store would fail the whole batch: it is left out, named in
    // qbsync.messages, and the others go in.
    let mut storable = Vec::with_capacity(objects.len());
    for o in objects {
        match unstorable(o) {
            None => storable.push(*o),
            Some(what) => refuse(tx, company, entity_name, o, what, log.flatten()).await?,
        }
    }
    // Only child lines and result rows read which rows the upsert touched.
    let counted_only = sql.children.is_empty() && log.is_none();
    tx.batch_execute(&if counted_only {
        format!("TRUNCATE {STAGE_TABLE}")
    } else {
        format!("TRUNCATE {STAGE_TABLE}, {UPSERTED_TABLE}")
    })
    .await?;
    let sink = tx
        .copy_in(&format!("COPY {STAGE_TABLE} (data) FROM STDIN BINARY"))
        .await?;
    let writer = BinaryCopyInWriter::new(sink, &[Type::JSONB]);
    pin_mut!(writer);
    for o in &storable {
        writer
            .as_mut()
            .write(&[&RawJsonb(o) as &(dyn ToSql + Sync)])
            .await?;
    }
    writer.finish().await?;
    if counted_only {
        let row = tx.query_one(&sql.counted, &[&company]).await?;
        return Ok(Upserted {
            inserted: row.get(0),
            updated: row.get(1),
        });
    }
    tx.execute(&sql.parent, &[&company]).await?;
    for (delete, insert) in &sql.children {
        tx.execute(delete.as_str(), &[]).await?;
        tx.execute(insert.as_str(), &[]).await?;
    }
    if let Some(task) = log {
        tx.execute(
            &format!(
                "INSERT INTO qbsync.sync_result (task_id, company_id, entity, local_id, qb_id, direction, operation, outcome) \
                 SELECT $1, $2, $3, local_id, id, 'incoming', CASE WHEN inserted THEN 'insert' ELSE 'update' END, 'ok' \
                 FROM {UPSERTED_TABLE}"
            ),
            &[&task, &company, &entity_name],
        )
        .await?;
    }
    let row = tx
        .query_one(
            &format!("SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM {UPSERTED_TABLE}"),
            &[],
        )
        .await?;
    Ok(Upserted {
        inserted: row.get(0),
        updated: row.get(1),
    })
}

/// Why PostgreSQL cannot store this JSON text, if it cannot: `jsonb` and `text` hold no NUL
/// (`\u0000`) and no unpaired UTF-16 surrogate escape, both of which are valid JSON that
/// QuickBooks may send inside a string.
pub fn unstorable(json: &str) -> Option<&'static str> {
    const NUL: &str = "a NUL character (\\u0000)";
    const LONE: &str = "an unpaired UTF-16 surrogate escape";
    let b = json.as_bytes();
    let mut i = 0;
    // A high surrogate waiting for its low half.
    let mut high = false;
    while i < b.len() {
        if b[i] != b'\\' {
            if high {
                return Some(LONE);
            }
            i += 1;
            continue;
        }
        let unit = (b.get(i + 1) == Some(&b'u'))
            .then(|| b.get(i + 2..i + 6))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u16::from_str_radix(h, 16).ok());
        match unit {
            Some(0) => return Some(NUL),
            Some(0xD800..=0xDBFF) if !high => high = true,
            Some(0xDC00..=0xDFFF) if high => high = false,
            Some(0xD800..=0xDFFF) => return Some(LONE),
            Some(_) if high => return Some(LONE),
            Some(_) => {}
            None if high => return Some(LONE),
            None => {}
        }
        i += if unit.is_some() { 6 } else { 2 };
    }
    high.then_some(LONE)
}

/// Records that QuickBooks' record `json` was not stored because it holds `what`.
async fn refuse(
    tx: &Transaction<'_>,
    company: i64,
    entity_name: &str,
    json: &str,
    what: &str,
    task: Option<i64>,
) -> Result<(), tokio_postgres::Error> {
    #[derive(serde::Deserialize, Default)]
    struct Ids {
        #[serde(rename = "Id")]
        id: Option<String>,
        #[serde(rename = "ListID")]
        list_id: Option<String>,
        #[serde(rename = "TxnID")]
        txn_id: Option<String>,
    }
    let ids: Ids = serde_json::from_str(json).unwrap_or_default();
    let qb_id = ids.id.or(ids.list_id).or(ids.txn_id);
    let message = format!(
        "QuickBooks record {entity_name} {} holds {what}, which PostgreSQL cannot store; it was not loaded (change that text in QuickBooks, then refresh)",
        qb_id.as_deref().unwrap_or("(no Id)")
    );
    tracing::warn!(
        entity = entity_name,
        qb_id = qb_id.as_deref().unwrap_or(""),
        what,
        "record not stored"
    );
    tx.execute(
        "INSERT INTO qbsync.sync_result (task_id, company_id, entity, qb_id, direction, operation, outcome, message) \
         VALUES ($1, $2, $3, $4, 'incoming', 'insert', 'error', $5)",
        &[&task, &company, &entity_name, &qb_id, &message],
    )
    .await?;
    Ok(())
}

/// Rewrites the child lines of the one row `local_id` from its `data` (after a push write-back).
pub async fn rewrite_children(
    tx: &Transaction<'_>,
    entity: &Entity,
    local_id: i64,
) -> Result<(), tokio_postgres::Error> {
    if entity.children.is_empty() {
        return Ok(());
    }
    tx.batch_execute(&format!("TRUNCATE {UPSERTED_TABLE}"))
        .await?;
    tx.execute(
        &format!("INSERT INTO {UPSERTED_TABLE} (local_id, inserted) VALUES ($1, false)"),
        &[&local_id],
    )
    .await?;
    for (delete, insert) in &upsert_sql(QBO_SCHEMA, entity).children {
        tx.execute(delete.as_str(), &[]).await?;
        tx.execute(insert.as_str(), &[]).await?;
    }
    Ok(())
}

/// Records the entity's sync state after a populate or refresh.
pub async fn record_history(
    tx: &Transaction<'_>,
    company: i64,
    entity: &Entity,
    cursor: chrono::DateTime<chrono::FixedOffset>,
    populated: bool,
) -> Result<(), tokio_postgres::Error> {
    let table = format!("{QBO_SCHEMA}.{}", entity.table);
    record_history_of(tx, company, entity.name, &table, cursor, populated).await
}

/// [`record_history`] for any mirror table (`qbd.customer` under `qbd:Customer`).
pub async fn record_history_of(
    tx: &Transaction<'_>,
    company: i64,
    entity_name: &str,
    table: &str,
    cursor: chrono::DateTime<chrono::FixedOffset>,
    populated: bool,
) -> Result<(), tokio_postgres::Error> {
    let count_sql = format!("SELECT count(*) FROM {table} WHERE company_id = $1");
    let count: i64 = tx.query_one(count_sql.as_str(), &[&company]).await?.get(0);
    tx.execute(
        "INSERT INTO qbsync.history AS h (company_id, entity, populated_at, change_cursor, last_refresh_at, row_count) \
         VALUES ($1, $2, CASE WHEN $4 THEN now() END, $3, now(), $5) \
         ON CONFLICT (company_id, entity) DO UPDATE SET \
           populated_at = CASE WHEN $4 THEN now() ELSE h.populated_at END, \
           change_cursor = $3, last_refresh_at = now(), row_count = $5",
        &[&company, &entity_name, &cursor, &populated, &count],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::unstorable;

    #[test]
    fn text_postgres_cannot_store_is_found() {
        assert_eq!(unstorable(r#"{"Id":"1","DisplayName":"Ann"}"#), None);
        assert!(unstorable(r#"{"DisplayName":"A\u0000B"}"#).is_some_and(|w| w.contains("NUL")));
        assert!(unstorable(r#"{"n":"\u0000"}"#).is_some());
        // An escaped backslash followed by "u0000" is text, not a NUL.
        assert_eq!(unstorable(r#"{"n":"\\u0000"}"#), None);
        // A surrogate pair is fine; either half alone is not.
        assert_eq!(unstorable(r#"{"n":"\ud83d\ude00"}"#), None);
        assert!(unstorable(r#"{"n":"\ud83d"}"#).is_some_and(|w| w.contains("surrogate")));
        assert!(unstorable(r#"{"n":"\ud83dx"}"#).is_some());
        assert!(unstorable(r#"{"n":"\ude00"}"#).is_some());
        assert!(unstorable(r#"{"n":"\ud83d\u0041"}"#).is_some());
        assert_eq!(unstorable(r#"{"n":"\u00e9\n"}"#), None);
    }
}
