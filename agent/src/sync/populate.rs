//! Full load of one entity: paged queries (MAXRESULTS 1000, every row active or not), fetched
//! ahead of the database writes by [`super::fetch`] and written in large COPY batches, so
//! QuickBooks and PostgreSQL work at the same time and memory stays bounded by a few pages
//! whatever the size of the company.
//!
//! Each write batch commits a checkpoint on the task (the last Id written and when the load
//! began) with the rows, so a task re-run after a crash goes on after that Id instead of loading
//! the entity again: no row read twice, `rows_done` exact.

use super::fetch::{self, FetchPlan, Fetched, FetchedPage};
use super::writer::{Mark, Piece, Writers};
use super::{stage, CompanyCtx};
use crate::error::AgentError;
use crate::tasks;
use chrono::{DateTime, FixedOffset, Utc};
use qbsync_catalog::{Entity, EntityKind, QBO_SCHEMA};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::mpsc::{self, error::TryRecvError};
use tokio::sync::watch;
use tokio::task::JoinHandle;
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

/// Pages of one entity on their way: the fetcher sends them here.
type Pages = mpsc::Receiver<Result<Fetched, AgentError>>;

/// How far the fetcher runs ahead of the writers, in pages: a whole write batch and a round in
/// flight, so that fetching goes on while the writers write.
fn pages_ahead(ctx: &CompanyCtx, plan: &FetchPlan) -> usize {
    (ctx.cfg.write_batch.div_ceil(plan.page_size.max(1) as usize) + plan.width).max(1)
}

fn fetch_plan(ctx: &CompanyCtx, entity: &'static Entity, resume: Option<&Resume>) -> FetchPlan {
    FetchPlan {
        entity,
        after: resume.map(|r| r.after),
        page_size: ctx.cfg.page_size,
        width: fetch::round_width(ctx.cfg.page_size, ctx.cfg.fetch_records),
    }
}

async fn resume_of(
    ctx: &CompanyCtx,
    entity: &Entity,
    task: Option<i64>,
) -> Result<Option<Resume>, AgentError> {
    if entity.kind == EntityKind::Singleton {
        return Ok(None);
    }
    resume_point(ctx, entity, task).await
}

/// Aborts the task it holds when dropped (a load that fails or stops takes its fetcher along).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Loads every `entity` record of the company; returns the number of records read.
pub async fn populate(
    ctx: &mut CompanyCtx,
    entity: &'static Entity,
    task: Option<i64>,
) -> Result<i64, AgentError> {
    let resume = resume_of(ctx, entity, task).await?;
    let plan = fetch_plan(ctx, entity, resume.as_ref());
    let (tx, mut rx) = mpsc::channel(pages_ahead(ctx, &plan));
    let _fetcher = AbortOnDrop(tokio::spawn(fetch::fetch_pages(
        Arc::clone(&ctx.qbo),
        plan,
        tx,
        ctx.shutdown.clone(),
    )));
    load_entity(ctx, entity, task, resume, &mut rx).await
}

/// A populate task's loads, one entity after the other, skipping those an earlier run of the
/// task completed. One fetcher goes through the entities in the same order and may start on
/// the next entity while this one's last batches are written, so a load does not begin by
/// waiting for QuickBooks; it never runs more than one entity ahead, which bounds the pages in
/// memory. False when the task stopped on request at an entity boundary.
pub async fn populate_task(
    ctx: &mut CompanyCtx,
    task: i64,
    entities: &[&'static Entity],
) -> Result<bool, AgentError> {
    let completed = tasks::populated_entities(&ctx.db, task).await?;
    let mut loads = Vec::new();
    for &e in entities {
        if !completed.iter().any(|c| c == e.name) {
            loads.push((e, resume_of(ctx, e, Some(task)).await?));
        }
    }
    // The entity being loaded, as its index in `loads`: the fetcher waits for entity i - 1
    // to be under way before it starts on entity i.
    let (loading, mut loading_rx) = watch::channel(0usize);
    let mut receivers = Vec::with_capacity(loads.len());
    let mut jobs = Vec::with_capacity(loads.len());
    for (e, resume) in &loads {
        let plan = fetch_plan(ctx, e, resume.as_ref());
        let (tx, rx) = mpsc::channel(pages_ahead(ctx, &plan));
        receivers.push(rx);
        jobs.push((plan, tx));
    }
    let qbo = Arc::clone(&ctx.qbo);
    let shutdown = ctx.shutdown.clone();
    let _fetcher = AbortOnDrop(tokio::spawn(async move {
        for (i, (plan, tx)) in jobs.into_iter().enumerate() {
            if loading_rx.wait_for(|&l| l + 1 >= i).await.is_err() {
                return;
            }
            if !fetch::fetch_pages(Arc::clone(&qbo), plan, tx, shutdown.clone()).await {
                return;
            }
        }
    }));
    for (i, ((e, resume), mut rx)) in loads.into_iter().zip(receivers).enumerate() {
        let _ = loading.send(i);
        if !tasks::begin_entity(&ctx.db, task, e.name).await? {
            return Ok(false);
        }
        load_entity(ctx, e, Some(task), resume, &mut rx).await?;
        tasks::end_entity(&ctx.db, task).await?;
    }
    Ok(true)
}

/// One entity's load from `pages`, resumed after `resume` if an earlier run left off there.
#[instrument(skip_all, fields(company = %ctx.company.name, entity = entity.name))]
async fn load_entity(
    ctx: &mut CompanyCtx,
    entity: &'static Entity,
    task: Option<i64>,
    resume: Option<Resume>,
    rx: &mut Pages,
) -> Result<i64, AgentError> {
    let began = std::time::Instant::now();
    // A resumed load keeps the first run's start, so that the rows it wrote before the crash are
    // not taken for records deleted in QuickBooks at the end.
    // `had_rows`: whether the table held rows of this company before; if not, none can be
    // older than the load, and the removal at its end is skipped.
    let (db_start, had_rows): (DateTime<Utc>, bool) = match &resume {
        Some(r) => {
            info!(after_id = r.after, "resuming an interrupted load");
            (r.began, true)
        }
        None => {
            let row = ctx
                .db
                .query_one(
                    &format!(
                        "SELECT now(), EXISTS (SELECT 1 FROM {QBO_SCHEMA}.{} WHERE company_id = $1)",
                        entity.table
                    ),
                    &[&ctx.company.id],
                )
                .await?;
            (row.get(0), row.get(1))
        }
    };
    let cursor = resume
        .as_ref()
        .and_then(|r| r.cursor)
        .map(|c| c.fixed_offset());
    let mut writers = Writers::new(
        &ctx.sessions,
        std::mem::take(&mut ctx.writer_dbs),
        entity,
        ctx.company.id,
        &ctx.company.name,
        task,
    );
    let loaded = load(ctx, entity, rx, &mut writers, db_start, cursor).await;
    let waited = writers.waited;
    let (total, cursor) = match loaded {
        Ok(cursor) => {
            let (total, connections) = writers.finish().await?;
            ctx.writer_dbs = connections;
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
    let removed = if had_rows {
        db_tx
            .execute(
                &format!(
                    "DELETE FROM {QBO_SCHEMA}.{} WHERE company_id = $1 AND id IS NOT NULL \
                     AND linked AND (sync_status IS NULL OR sync_status = 'ok') AND synced_at < $2",
                    entity.table
                ),
                &[&ctx.company.id, &db_start],
            )
            .await?
    } else {
        0
    };
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

/// Records received and not yet handed to a writer, in Id order.
#[derive(Default)]
struct Pending {
    pieces: VecDeque<Piece>,
    rows: usize,
}

impl Pending {
    fn push(&mut self, page: FetchedPage) {
        if page.rows > 0 {
            self.rows += page.rows;
            self.pieces.push_back(Piece {
                rows: page.rows,
                page: Arc::new(page),
                skip: 0,
            });
        }
    }

    /// The first `n` records (all, if fewer), splitting a page if need be.
    fn take(&mut self, n: usize) -> Vec<Piece> {
        let mut taken = Vec::new();
        let mut want = n.min(self.rows);
        while want > 0 {
            let Some(front) = self.pieces.front_mut() else {
                break;
            };
            if front.rows > want {
                taken.push(Piece {
                    page: Arc::clone(&front.page),
                    skip: front.skip,
                    rows: want,
                });
                front.skip += want;
                front.rows -= want;
                self.rows -= want;
                break;
            }
            want -= front.rows;
            self.rows -= front.rows;
            taken.extend(self.pieces.pop_front());
        }
        taken
    }
}

/// Receives the pages and hands them to the writers in batches of up to `write_batch`
/// records. A free writer does not wait for a full batch: once a quarter of one is in hand and
/// no page is waiting, it goes, and when both writers are free they share it, a page split
/// between them if need be (the first pages of every load, all of a small one). QuickBooks'
/// time on the first page (the next refresh starts there), or the resumed one.
async fn load(
    ctx: &mut CompanyCtx,
    entity: &Entity,
    rx: &mut Pages,
    writers: &mut Writers,
    began: DateTime<Utc>,
    mut cursor: Option<DateTime<FixedOffset>>,
) -> Result<Option<DateTime<FixedOffset>>, AgentError> {
    let full = ctx.cfg.write_batch.max(1);
    let early = (full / 4).max(1);
    let mut pending = Pending::default();
    loop {
        while pending.rows >= full {
            ctx.check_shutdown()?;
            let n = next_share(writers, pending.rows, early).await?.min(full);
            writers
                .write(pending.take(n), Mark { began, cursor }, true)
                .await?;
        }
        let received = if pending.rows < early {
            rx.recv().await
        } else if writers.free().await? > 0 {
            // The fetcher sends a round's pages one after the other: let it finish first.
            tokio::task::yield_now().await;
            match rx.try_recv() {
                Ok(m) => Some(m),
                Err(TryRecvError::Disconnected) => None,
                Err(TryRecvError::Empty) => {
                    ctx.check_shutdown()?;
                    let n = next_share(writers, pending.rows, early).await?;
                    writers
                        .write(pending.take(n), Mark { began, cursor }, true)
                        .await?;
                    continue;
                }
            }
        } else {
            // Both writers busy: take pages as they come until one is free.
            tokio::select! {
                m = rx.recv() => m,
                freed = writers.until_free() => {
                    freed?;
                    continue;
                }
            }
        };
        match received {
            Some(Ok(Fetched::Page(page))) => {
                if cursor.is_none() {
                    cursor = page.time;
                }
                pending.push(page);
            }
            Some(Ok(Fetched::End)) => break,
            Some(Err(e)) => return Err(e),
            None => {
                ctx.check_shutdown()?;
                return Err(AgentError::Invalid(format!(
                    "{}: the page fetcher stopped before the last page; the load is not complete",
                    entity.name
                )));
            }
        }
    }
    // The last records, shared by the writers that are free.
    while pending.rows > 0 {
        ctx.check_shutdown()?;
        let n = next_share(writers, pending.rows, early).await?;
        let batch = pending.take(n);
        writers
            .write(batch, Mark { began, cursor }, pending.rows > 0)
            .await?;
    }
    Ok(cursor)
}

/// Waits for a free writer, then says how many of the `pending` records it takes ([`share`]).
async fn next_share(
    writers: &mut Writers,
    pending: usize,
    early: usize,
) -> Result<usize, AgentError> {
    if writers.free().await? == 0 {
        writers.until_free().await?;
    }
    Ok(share(pending, writers.in_flight(), early))
}

/// How many of the `pending` records the next batch takes, so that the two writers end about
/// together: half of what is pending plus what the other writer still has to write
/// (`in_flight`, counted whole), or all of it when what would be left is under `early`, a
/// quarter batch, not worth a transaction of its own. Two free writers share what is pending;
/// a writer freed while the other is busy leaves it its part of the last pages of a load,
/// instead of taking a full batch and writing alone at the end.
fn share(pending: usize, in_flight: usize, early: usize) -> usize {
    let n = (pending + in_flight).div_ceil(2).min(pending);
    if pending - n < early {
        pending
    } else {
        n
    }
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

    fn fetched(rows: usize) -> FetchedPage {
        FetchedPage {
            page: crate::qbo::QueryPage::from_body(String::new()),
            spans: Vec::new(),
            overlaps: false,
            rows,
            time: None,
        }
    }

    #[test]
    fn pending_records_are_taken_in_order_splitting_pages() {
        let mut pending = Pending::default();
        pending.push(fetched(1000));
        pending.push(fetched(0));
        pending.push(fetched(999));
        assert_eq!((pending.rows, pending.pieces.len()), (1999, 2));
        let a = pending.take(500);
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].skip, a[0].rows), (0, 500));
        let b = pending.take(1000);
        assert_eq!(
            b.iter().map(|p| (p.skip, p.rows)).collect::<Vec<_>>(),
            [(500, 500), (0, 500)]
        );
        assert!(Arc::ptr_eq(&a[0].page, &b[0].page));
        assert_eq!(pending.rows, 499);
        let c = pending.take(5000);
        assert_eq!((c[0].skip, c[0].rows), (500, 499));
        assert_eq!((pending.rows, pending.pieces.len()), (0, 0));
        assert!(pending.take(10).is_empty());
    }

    #[test]
    fn two_free_writers_share_what_is_pending() {
        assert_eq!(share(1001, 0, 500), 501);
        // The other writer busy with 500 records: this one takes the rest.
        assert_eq!(share(1001, 500, 500), 1001);
        // Halves below a quarter batch are not worth two transactions.
        assert_eq!(share(1001, 0, 600), 1001);
    }

    #[test]
    fn a_writer_freed_first_leaves_the_other_its_part_of_the_last_pages() {
        // The last 3,000 records arrive while both write 500: the first writer to be free
        // takes 1,750, the other the last 1,250 (it was 2,000 and 1,000, the second writer
        // then writing alone).
        assert_eq!(share(3000, 500, 500), 1750);
        assert_eq!(share(1250, 1750, 500), 1250);
        // Plenty pending: full batches (the caller caps at one).
        assert_eq!(share(6000, 2000, 500), 4000);
        // A rest under a quarter batch goes along.
        assert_eq!(share(1200, 700, 500), 1200);
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
