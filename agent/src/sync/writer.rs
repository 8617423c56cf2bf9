//! Populate batches written two at a time: one on the worker's own connection, one on a second
//! connection opened for the load. A load is limited by PostgreSQL, and one backend works on
//! one core, so two let PostgreSQL use two.
//!
//! Each batch is its own transaction with its progress and its checkpoint, and the
//! transactions commit in batch order: a checkpoint never covers a batch that is not
//! committed, so a load killed at any point resumes exactly after the last committed batch.

use super::fetch::{self, FetchedPage};
use super::stage;
use crate::db;
use crate::error::AgentError;
use crate::metrics;
use crate::tasks;
use chrono::{DateTime, FixedOffset, Utc};
use qbsync_catalog::{Entity, EntityKind};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_postgres::Client;

/// What a checkpoint keeps besides the last Id: when the load began and QuickBooks' time then.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    pub began: DateTime<Utc>,
    pub cursor: Option<DateTime<FixedOffset>>,
}

/// Where a batch's rows go.
#[derive(Clone)]
struct Target {
    entity: &'static Entity,
    company_id: i64,
    company_name: String,
    task: Option<i64>,
}

/// A batch's place in the commit order: it commits after `previous` did, then says so.
struct Turn {
    previous: Option<oneshot::Receiver<()>>,
    done: oneshot::Sender<()>,
}

type Spawned = JoinHandle<(Client, Result<i64, AgentError>)>;

/// The writers of one entity's load.
pub struct Writers {
    target: Target,
    database: tokio_postgres::Config,
    /// The second connection, when it is not writing.
    spare: Option<Client>,
    /// The batch being written on the second connection.
    busy: Option<Spawned>,
    /// The commit of the last batch handed out.
    last: Option<oneshot::Receiver<()>>,
    written: i64,
    /// Time the load waited on writes of its own connection.
    pub waited: Duration,
}

impl Writers {
    /// Writers for one load; `spare` is a second connection kept from an earlier load, if any.
    pub fn new(
        database: tokio_postgres::Config,
        spare: Option<Client>,
        entity: &'static Entity,
        company_id: i64,
        company_name: &str,
        task: Option<i64>,
    ) -> Self {
        Writers {
            target: Target {
                entity,
                company_id,
                company_name: company_name.to_owned(),
                task,
            },
            database,
            spare,
            busy: None,
            last: None,
            written: 0,
            waited: Duration::ZERO,
        }
    }

    /// Writes `pages`: on the second connection if it is free and more batches follow (the load
    /// goes on meanwhile), else on `db` while the second connection works.
    pub async fn write(
        &mut self,
        db: &mut Client,
        pages: Vec<FetchedPage>,
        mark: Mark,
        more_follow: bool,
    ) -> Result<(), AgentError> {
        if self.busy.as_ref().is_some_and(|h| h.is_finished()) {
            self.reap().await?;
        }
        let (done, next) = oneshot::channel();
        let turn = Turn {
            previous: self.last.replace(next),
            done,
        };
        if self.busy.is_none() && more_follow {
            let mut client = match self.spare.take() {
                Some(c) => c,
                None => {
                    let c = db::connect(&self.database).await?;
                    stage::prepare(&c).await?;
                    c
                }
            };
            let target = self.target.clone();
            self.busy = Some(tokio::spawn(async move {
                let r = write_batch(&mut client, &target, &pages, mark, turn, true).await;
                (client, r)
            }));
            return Ok(());
        }
        let began = Instant::now();
        let result = write_batch(db, &self.target, &pages, mark, turn, more_follow).await;
        self.waited += began.elapsed();
        match result {
            Ok(n) => {
                self.written += n;
                Ok(())
            }
            // The batch before it may still be running: wait for it so nothing runs on after
            // the load fails, and report its error first (it caused this one's, if any).
            Err(e) => match self.reap().await {
                Err(first) => Err(first),
                Ok(()) => Err(e),
            },
        }
    }

    /// Waits for the batch on the second connection, if any; its connection is free again.
    async fn reap(&mut self) -> Result<(), AgentError> {
        let Some(handle) = self.busy.take() else {
            return Ok(());
        };
        let began = Instant::now();
        let joined = handle.await;
        self.waited += began.elapsed();
        let (client, result) =
            joined.map_err(|e| AgentError::Invalid(format!("populate writer stopped: {e}")))?;
        self.spare = Some(client);
        self.written += result?;
        Ok(())
    }

    /// Waits for every batch; the number of records written, and the second connection for
    /// the next load.
    pub async fn finish(mut self) -> Result<(i64, Option<Client>), AgentError> {
        self.reap().await?;
        Ok((self.written, self.spare))
    }

    /// Waits for a batch still being written, ignoring how it ends (the load already failed);
    /// the second connection is closed, as its state is unknown.
    pub async fn abandon(mut self) {
        let _ = self.reap().await;
    }
}

/// One batch in one transaction: the rows, the task's progress and checkpoint, committed in turn.
async fn write_batch(
    db: &mut Client,
    target: &Target,
    pages: &[FetchedPage],
    mark: Mark,
    turn: Turn,
    more_follow: bool,
) -> Result<i64, AgentError> {
    let entity = target.entity;
    let mut objects: Vec<&str> = Vec::with_capacity(pages.iter().map(|p| p.rows).sum());
    for p in pages {
        let (on_page, _) = p.page.objects(entity.name)?;
        // A page that starts with the last record of the page before: written once.
        objects.extend(
            on_page
                .into_iter()
                .skip(usize::from(p.overlaps))
                .map(|o| o.get()),
        );
    }
    let n = objects.len() as i64;
    let tx = db.transaction().await?;
    stage::upsert(&tx, target.company_id, entity, &objects, None).await?;
    // The task row is updated only once the batch before has committed: both batches update
    // it, and the later one holding its lock while waiting for the earlier would deadlock.
    if let Some(previous) = turn.previous {
        previous.await.map_err(|_| {
            AgentError::Invalid(format!(
                "{}: an earlier batch of this load failed; this one is not committed",
                entity.name
            ))
        })?;
    }
    tasks::progress(&tx, target.task, n, 0).await?;
    if entity.kind != EntityKind::Singleton {
        if let Some(after) = objects.last().and_then(|o| fetch::record_id(o)) {
            let cursor = mark.cursor.map(|c| c.with_timezone(&Utc));
            tasks::checkpoint(&tx, target.task, entity.name, after, mark.began, cursor).await?;
        }
    }
    tx.commit().await?;
    if more_follow {
        crate::failpoint::hit("populate.between_pages").await;
    }
    let _ = turn.done.send(());
    metrics::records_synced(&target.company_name, entity.name, metrics::INCOMING, n);
    Ok(n)
}
