//! Full load of one entity: paged queries (MAXRESULTS 1000, every row active or not), fetched
//! ahead of the database writes by [`super::fetch`] and written in large COPY batches, so
//! QuickBooks and PostgreSQL work at the same time and memory stays bounded by a few pages
//! whatever the size of the company.
//!
//! Each write batch commits a checkpoint on the task (the last Id written and when the load
//! began) with the rows, so a task re-run after a crash goes on after that Id instead of loading
//! the entity again: no row read twice, `rows_done` exact.

use super::fetch::{self, FetchPlan, FetchedPage};
use super::writer::{Mark, Writers};
use super::{stage, CompanyCtx};
use crate::error::AgentError;
use crate::tasks;
use chrono::{DateTime, FixedOffset, Utc};
use qbsync_catalog::{Entity, EntityKind, QBO_SCHEMA};
use std::sync::Arc;
use tokio::sync::mpsc;
use tracing::{info, instrument};

/// The populate query for page `start` (1-based) of the records after Id `after` (all when
/// None). Entities with an Active filter need `Active IN (true,false)`, or QuickBooks silently
/// leaves inactive rows out. Resuming by Id rather than by position stays exact when records
/// were deleted in QuickBooks meanwhile (positions would shift and skip some).
pub fn page_query(entity: &Entity, after: Option<u64>, start: u64, page_size: u32) -> String {
    // One record per company, and QuickBooks does not page Preferences.
    if entity.kind == EntityKind::Singleton {
        return format!("SELECT * FROM {}", entity.name);
    }
    let mut conditions = Vec::new();
    if entity.active_filter {
        conditions.push("Active IN (true,false)".to_owned());
    }
    if let Some(after) = after {
        conditions.push(format!("Id > '{after}'"));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    format!(
        "SELECT * FROM {}{filter} ORDERBY Id STARTPOSITION {start} MAXRESULTS {page_size}",
        entity.name
    )
}

/// Where an interrupted load of this entity by this task stopped.
struct Resume {
    after: u64,
    began: DateTime<Utc>,
    /// QuickBooks' time on the first run's first page: the next refresh starts there.
    cursor: Option<DateTime<Utc>>,
}

/// The checkpoint an earlier run of `task` left for `entity`, if it stopped mid-load.
async fn resume_point(
    ctx: &CompanyCtx,
    entity: &Entity,
    task: Option<i64>,
) -> Result<Option<Resume>, AgentError> {
    let Some(task) = task else { return Ok(None) };
    let row = ctx
        .db
        .query_opt(
            "SELECT (c->>'after')::int8, (c->>'began')::timestamptz, (c->>'cursor')::timestamptz FROM qbsync.task t, \
             LATERAL (SELECT t.checkpoint -> $2) AS x(c) WHERE t.id = $1 AND c ? 'after'",
            &[&task, &entity.name],
        )
        .await?;
    Ok(row.and_then(|r| {
        Some(Resume {
            after: u64::try_from(r.get::<_, Option<i64>>(0)?).ok()?,
            began: r.get::<_, Option<DateTime<Utc>>>(1)?,
            cursor: r.get(2),
        })
    }))
}

/// Loads every `entity` record of the company; returns the number of records read.
#[instrument(skip_all, fields(company = %ctx.company.name, entity = entity.name))]
pub async fn populate(
    ctx: &mut CompanyCtx,
    entity: &'static Entity,
    task: Option<i64>,
) -> Result<i64, AgentError> {
    let began = std::time::Instant::now();
    stage::prepare(&ctx.db).await?;
    let resume = if entity.kind == EntityKind::Singleton {
        None
    } else {
        resume_point(ctx, entity, task).await?
    };
    // A resumed load keeps the first run's start, so that the rows it wrote before the crash are
    // not taken for records deleted in QuickBooks at the end.
    let db_start: DateTime<Utc> = match &resume {
        Some(r) => {
            info!(after_id = r.after, "resuming an interrupted load");
            r.began
        }
        None => ctx.db.query_one("SELECT now()", &[]).await?.get(0),
    };
    let plan = FetchPlan {
        entity,
        after: resume.as_ref().map(|r| r.after),
        page_size: ctx.cfg.page_size,
        width: (ctx.cfg.fetch_records / ctx.cfg.page_size.max(1) as usize).max(1),
    };
    // Room for a whole write batch and a round in flight, so the fetcher keeps going while
    // the writer writes.
    let ahead = ctx.cfg.write_batch.div_ceil(plan.page_size.max(1) as usize) + plan.width;
    let (tx, mut rx) = mpsc::channel::<Result<FetchedPage, AgentError>>(ahead.max(1));
    let fetcher = tokio::spawn(fetch::fetch_pages(
        Arc::clone(&ctx.qbo),
        plan,
        tx,
        ctx.shutdown.clone(),
    ));

    let cursor = resume
        .as_ref()
        .and_then(|r| r.cursor)
        .map(|c| c.fixed_offset());
    let mut writers = Writers::new(
        ctx.cfg.database.clone(),
        ctx.spare_db.take(),
        entity,
        ctx.company.id,
        &ctx.company.name,
        task,
    );
    let loaded = load(ctx, &mut rx, &mut writers, db_start, cursor).await;
    fetcher.abort();
    let waited = writers.waited;
    let (total, cursor) = match loaded {
        Ok(cursor) => {
            let (total, spare) = writers.finish().await?;
            ctx.spare_db = spare;
            (total, cursor)
        }
        Err(e) => {
            writers.abandon().await;
            return Err(e);
        }
    };
    ctx.check_shutdown()?;
    // Everything QuickBooks still has was just rewritten; older rows were deleted there.
    let db_tx = ctx.db.transaction().await?;
    let removed = db_tx
        .execute(
            &format!(
                "DELETE FROM {QBO_SCHEMA}.{} WHERE company_id = $1 AND id IS NOT NULL \
                 AND linked AND (sync_status IS NULL OR sync_status = 'ok') AND synced_at < $2",
                entity.table
            ),
            &[&ctx.company.id, &db_start],
        )
        .await?;
    let cursor = cursor.unwrap_or_else(|| db_start.fixed_offset());
    stage::record_history(&db_tx, ctx.company.id, entity, cursor, true).await?;
    tasks::checkpoint_done(&db_tx, task, entity.name).await?;
    db_tx
        .execute(
            "INSERT INTO qbsync.sync_result (task_id, company_id, entity, direction, operation, outcome, message) \
             VALUES ($1, $2, $3, 'incoming', 'populate', 'ok', $4)",
            &[&task, &ctx.company.id, &entity.name, &format!("{total} records loaded, {removed} no longer in QuickBooks removed")],
        )
        .await?;
    db_tx.commit().await?;
    let secs = began.elapsed().as_secs_f64();
    info!(
        rows = total,
        removed,
        secs,
        write_wait_secs = waited.as_secs_f64(),
        rows_per_sec = (total as f64 / secs.max(1e-9)) as u64,
        "populated"
    );
    Ok(total)
}

/// Receives the pages and hands them to the writers in batches of `write_batch` records;
/// QuickBooks' time on the first page (the next refresh starts there), or the resumed one.
async fn load(
    ctx: &mut CompanyCtx,
    rx: &mut mpsc::Receiver<Result<FetchedPage, AgentError>>,
    writers: &mut Writers,
    began: DateTime<Utc>,
    mut cursor: Option<DateTime<FixedOffset>>,
) -> Result<Option<DateTime<FixedOffset>>, AgentError> {
    let mut pending: Vec<FetchedPage> = Vec::new();
    let mut pending_rows = 0usize;
    let mut finished = false;
    while !finished {
        match rx.recv().await {
            Some(Ok(page)) => {
                if cursor.is_none() {
                    cursor = page.time;
                }
                pending_rows += page.rows;
                pending.push(page);
            }
            Some(Err(e)) => return Err(e),
            None => finished = true,
        }
        if pending_rows >= ctx.cfg.write_batch || (finished && !pending.is_empty()) {
            ctx.check_shutdown()?;
            let mark = Mark { began, cursor };
            let batch = std::mem::take(&mut pending);
            pending_rows = 0;
            writers.write(&mut ctx.db, batch, mark, !finished).await?;
        }
    }
    Ok(cursor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use qbsync_catalog::qbo_entity;

    #[test]
    fn name_lists_ask_for_inactive_rows_too() {
        let q = page_query(qbo_entity("Customer").unwrap(), None, 1001, 1000);
        assert_eq!(q, "SELECT * FROM Customer WHERE Active IN (true,false) ORDERBY Id STARTPOSITION 1001 MAXRESULTS 1000");
        assert_eq!(
            page_query(qbo_entity("Preferences").unwrap(), Some(3), 1, 1000),
            "SELECT * FROM Preferences"
        );
        // TaxAgency has no Active field: no filter.
        let q = page_query(qbo_entity("TaxAgency").unwrap(), None, 1, 1000);
        assert_eq!(
            q,
            "SELECT * FROM TaxAgency ORDERBY Id STARTPOSITION 1 MAXRESULTS 1000"
        );
        let q = page_query(qbo_entity("Invoice").unwrap(), None, 1, 1000);
        assert_eq!(
            q,
            "SELECT * FROM Invoice ORDERBY Id STARTPOSITION 1 MAXRESULTS 1000"
        );
    }

    #[test]
    fn a_resumed_load_asks_for_the_records_after_the_checkpoint() {
        assert_eq!(
            page_query(qbo_entity("Customer").unwrap(), Some(1000), 1, 1000),
            "SELECT * FROM Customer WHERE Active IN (true,false) AND Id > '1000' ORDERBY Id STARTPOSITION 1 MAXRESULTS 1000"
        );
        assert_eq!(
            page_query(qbo_entity("Invoice").unwrap(), Some(7), 1001, 1000),
            "SELECT * FROM Invoice WHERE Id > '7' ORDERBY Id STARTPOSITION 1001 MAXRESULTS 1000"
        );
    }
}
