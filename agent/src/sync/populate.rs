//! Full load of one entity: paged queries (MAXRESULTS 1000, every row active or not), fetched
//! one page ahead of the database writes and written in large COPY batches, so memory stays
//! bounded by a few pages whatever the size of the company.
//!
//! Each write batch commits a checkpoint on the task (the last Id written and when the load
//! began) with the rows, so a task re-run after a crash goes on after that Id instead of loading
//! the entity again: no row read twice, `rows_done` exact.

use super::{stage, CompanyCtx};
use crate::error::AgentError;
use crate::metrics;
use crate::qbo::QueryPage;
use crate::tasks;
use chrono::{DateTime, FixedOffset, Utc};
use qbsync_catalog::{Entity, EntityKind, QBO_SCHEMA};
use std::sync::Arc;
use tokio::sync::mpsc;
use tracing::{info, instrument};

/// Pages fetched ahead of the writer.
const PAGES_AHEAD: usize = 2;

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

/// The numeric Id of the last record of a written batch (QuickBooks Online Ids are integers;
/// the query orders by Id).
fn last_id(objects: &[&str]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct WithId<'a> {
        #[serde(rename = "Id", borrow)]
        id: std::borrow::Cow<'a, str>,
    }
    let last = objects.last()?;
    serde_json::from_str::<WithId>(last).ok()?.id.parse().ok()
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
    let after = resume.as_ref().map(|r| r.after);
    let (tx, mut rx) = mpsc::channel::<Result<(QueryPage, usize), AgentError>>(PAGES_AHEAD);
    let qbo = Arc::clone(&ctx.qbo);
    let page_size = ctx.cfg.page_size;
    let mut shutdown = ctx.shutdown.clone();
    let fetcher = tokio::spawn(async move {
        let mut start = 1u64;
        loop {
            let query = page_query(entity, after, start, page_size);
            let page = tokio::select! {
                p = qbo.query(&query) => p,
                _ = shutdown.changed() => return,
            };
            let item = page.map_err(AgentError::from).and_then(|p| {
                let n = p.objects(entity.name)?.0.len();
                Ok((p, n))
            });
            let last = match &item {
                Ok((_, n)) => *n < page_size as usize,
                Err(_) => true,
            };
            if let Ok((_, n)) = &item {
                start += *n as u64;
            }
            if tx.send(item).await.is_err() || last {
                return;
            }
        }
    });

    let mut cursor: Option<DateTime<FixedOffset>> = resume
        .as_ref()
        .and_then(|r| r.cursor)
        .map(|c| c.fixed_offset());
    let mut pending: Vec<QueryPage> = Vec::new();
    let mut pending_rows = 0usize;
    let mut total = 0i64;
    let mut finished = false;
    while !finished {
        match rx.recv().await {
            Some(Ok((page, n))) => {
                if cursor.is_none() {
                    cursor = page.objects(entity.name)?.1;
                }
                pending_rows += n;
                pending.push(page);
            }
            Some(Err(e)) => {
                fetcher.abort();
                return Err(e);
            }
            None => finished = true,
        }
        if pending_rows >= ctx.cfg.write_batch || (finished && !pending.is_empty()) {
            ctx.check_shutdown()?;
            let mark = Mark {
                began: db_start,
                cursor,
            };
            total += write_pages(ctx, entity, &pending, task, mark).await?;
            pending.clear();
            pending_rows = 0;
            if !finished {
                crate::failpoint::hit("populate.between_pages").await;
            }
        }
    }
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
        rows_per_sec = (total as f64 / secs.max(1e-9)) as u64,
        "populated"
    );
    Ok(total)
}

/// What a checkpoint keeps besides the last Id: when the load began and QuickBooks' time then.
struct Mark {
    began: DateTime<Utc>,
    cursor: Option<DateTime<FixedOffset>>,
}

async fn write_pages(
    ctx: &mut CompanyCtx,
    entity: &Entity,
    pages: &[QueryPage],
    task: Option<i64>,
    mark: Mark,
) -> Result<i64, AgentError> {
    let mut objects: Vec<&str> = Vec::new();
    for p in pages {
        objects.extend(p.objects(entity.name)?.0.into_iter().map(|o| o.get()));
    }
    let n = objects.len() as i64;
    let tx = ctx.db.transaction().await?;
    stage::upsert(&tx, ctx.company.id, entity, &objects, None).await?;
    tasks::progress(&tx, task, n, 0).await?;
    if entity.kind != EntityKind::Singleton {
        if let Some(after) = last_id(&objects) {
            let cursor = mark.cursor.map(|c| c.with_timezone(&Utc));
            tasks::checkpoint(&tx, task, entity.name, after, mark.began, cursor).await?;
        }
    }
    tx.commit().await?;
    metrics::records_synced(&ctx.company.name, entity.name, metrics::INCOMING, n);
    Ok(n)
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

    #[test]
    fn the_checkpoint_is_the_last_records_id() {
        assert_eq!(
            last_id(&[r#"{"Id":"5"}"#, r#"{"Name":"x","Id":"1024"}"#]),
            Some(1024)
        );
        assert_eq!(last_id(&[]), None);
        assert_eq!(last_id(&[r#"{"Id":"not a number"}"#]), None);
    }
}
