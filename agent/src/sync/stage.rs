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
    tx.batch_execute(&format!("TRUNCATE {STAGE_TABLE}, {UPSERTED_TABLE}"))
        .await?;
    let sink = tx
        .copy_in(&format!("COPY {STAGE_TABLE} (data) FROM STDIN BINARY"))
        .await?;
    let writer = BinaryCopyInWriter::new(sink, &[Type::JSONB]);
    pin_mut!(writer);
    for o in objects {
        writer
            .as_mut()
            .write(&[&RawJsonb(o) as &(dyn ToSql + Sync)])
            .await?;
    }
    writer.finish().await?;
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
