//! Populate batches written by two connections of the load's own, side by side. A load is
//! limited by PostgreSQL, and one backend works on one core, so two let PostgreSQL use two; the
//! load hands a batch to whichever connection is free and goes on receiving pages meanwhile.
//!
//! Each batch is its own transaction with its progress and its checkpoint, and the
//! transactions commit in batch order: a checkpoint never covers a batch that is not
//! committed, so a load killed at any point resumes exactly after the last committed batch.

use super::fetch::{self, FetchedPage};
use super::stage;
use crate::error::AgentError;
use crate::metrics;
use crate::sessions::Sessions;
use crate::tasks;
use chrono::{DateTime, FixedOffset, Utc};
use qbsync_catalog::{Entity, EntityKind, UpsertSql};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::{JoinError, JoinHandle};
use tokio_postgres::Client;

/// Connections a load writes on at once.
pub const WRITERS: usize = 2;

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
    /// The entity's upsert statements, built once for the load.
    sql: Arc<UpsertSql>,
    company_id: i64,
    company_name: String,
    task: Option<i64>,
}

/// Records `skip..skip + rows` of a page's new records (a page may be shared by two batches,
/// so that both writers start on the first page of a load).
pub struct Piece {
    pub page: Arc<FetchedPage>,
    pub skip: usize,
    pub rows: usize,
}

impl Piece {
    /// The JSON texts of the piece's records.
    fn objects(&self) -> impl Iterator<Item = &str> {
        // A page that starts with the last record of the page before: written once.
        self.page
            .spans
            .iter()
            .skip(usize::from(self.page.overlaps) + self.skip)
            .take(self.rows)
            .map(|span| self.page.page.text_at(span.clone()))
    }
}

/// A batch's place in the commit order: it commits after `previous` did, then says so.
struct Turn {
    previous: Option<oneshot::Receiver<()>>,
    done: oneshot::Sender<()>,
}

type Written = (Client, Result<i64, AgentError>);

/// The writers of one entity's load.
pub struct Writers {
    target: Target,
    /// Connections not writing.
    idle: Vec<Client>,
    /// Connections being opened or readied for this entity (while the first pages are fetched).
    opening: Vec<JoinHandle<Result<Client, AgentError>>>,
    /// Batches being written, oldest first, with their record counts.
    busy: VecDeque<(JoinHandle<Written>, usize)>,
    /// The commit of the last batch handed out.
    last: Option<oneshot::Receiver<()>>,
    written: i64,
    /// Time the load waited for a writer to be free.
    pub waited: Duration,
}

impl Writers {
    /// Writers for one load: `connections` kept from an earlier load of the same turn, idle
    /// sessions, and as many new ones as [`WRITERS`] still needs. Each is readied in the
    /// background while the first page is fetched: planning the entity's upsert loads its
    /// table's catalogue entries into the backend then, not during the first batch.
    pub fn new(
        sessions: &Arc<Sessions>,
        mut connections: Vec<Client>,
        entity: &'static Entity,
        company_id: i64,
        company_name: &str,
        task: Option<i64>,
    ) -> Self {
        while connections.len() < WRITERS {
            match sessions.take_idle() {
                Some(c) => connections.push(c),
                None => break,
            }
        }
        let sql = Arc::new(qbsync_catalog::upsert_sql(
            qbsync_catalog::QBO_SCHEMA,
            entity,
        ));
        let missing = WRITERS.saturating_sub(connections.len());
        let opening = connections
            .into_iter()
            .map(Some)
            .chain(std::iter::repeat_with(|| None).take(missing))
            .map(|kept| {
                let sessions = Arc::clone(sessions);
                let sql = Arc::clone(&sql);
                tokio::spawn(async move {
                    let c = match kept {
                        Some(c) => c,
                        None => sessions.open().await?,
                    };
                    c.prepare(&sql.counted).await?;
                    Ok(c)
                })
            })
            .collect();
        Writers {
            target: Target {
                entity,
                sql,
                company_id,
                company_name: company_name.to_owned(),
                task,
            },
            idle: Vec::new(),
            opening,
            busy: VecDeque::new(),
            last: None,
            written: 0,
            waited: Duration::ZERO,
        }
    }

    /// How many batches handed over now would start at once (or as soon as their connection
    /// is open).
    pub async fn free(&mut self) -> Result<usize, AgentError> {
        while self.busy.front().is_some_and(|(h, _)| h.is_finished()) {
            self.until_free().await?;
        }
        Ok(self.idle.len() + self.opening.len())
    }

    /// Waits until the oldest batch is written and its connection free. Cancel-safe: dropped
    /// before the batch ends, it leaves the batch where it was.
    pub async fn until_free(&mut self) -> Result<(), AgentError> {
        let Some((oldest, _)) = self.busy.front_mut() else {
            return Ok(());
        };
        let joined = oldest.await;
        self.busy.pop_front();
        self.settle(joined)
    }

    /// Records in the batches being written.
    pub fn in_flight(&self) -> usize {
        self.busy.iter().map(|(_, rows)| rows).sum()
    }

    fn settle(&mut self, joined: Result<Written, JoinError>) -> Result<(), AgentError> {
        let (client, result) =
            joined.map_err(|e| AgentError::Invalid(format!("populate writer stopped: {e}")))?;
        self.idle.push(client);
        self.written += result?;
        Ok(())
    }

    /// A connection free to write, waiting for one if both are busy.
    async fn free_connection(&mut self) -> Result<Client, AgentError> {
        if let Some(c) = self.idle.pop() {
            return Ok(c);
        }
        let began = Instant::now();
        // One that is ready, else the first: kept sessions come first and ready sooner than
        // new ones.
        let next = (!self.opening.is_empty()).then(|| {
            let i = self
                .opening
                .iter()
                .position(|h| h.is_finished())
                .unwrap_or(0);
            self.opening.remove(i)
        });
        let client = match next {
            Some(opening) => opening
                .await
                .map_err(|e| AgentError::Invalid(format!("opening a populate writer: {e}")))??,
            None => {
                self.until_free().await?;
                self.idle
                    .pop()
                    .ok_or_else(|| AgentError::Invalid("no populate writer left".into()))?
            }
        };
        self.waited += began.elapsed();
        Ok(client)
    }

    /// Hands `pieces` to a free writer (waiting for one if both are busy) and returns; the
    /// batch commits after the batches handed over before it.
    pub async fn write(
        &mut self,
        pieces: Vec<Piece>,
        mark: Mark,
        more_follow: bool,
    ) -> Result<(), AgentError> {
        let mut client = self.free_connection().await?;
        let rows = pieces.iter().map(|p| p.rows).sum();
        let (done, next) = oneshot::channel();
        let turn = Turn {
            previous: self.last.replace(next),
            done,
        };
        let target = self.target.clone();
        self.busy.push_back((
            tokio::spawn(async move {
                let r = write_batch(&mut client, &target, &pieces, mark, turn, more_follow).await;
                (client, r)
            }),
            rows,
        ));
        Ok(())
    }

    /// Waits for every batch; the number of records written, and the connections for the
    /// next load of the turn. The first batch to fail is the error.
    pub async fn finish(mut self) -> Result<(i64, Vec<Client>), AgentError> {
        let began = Instant::now();
        while !self.busy.is_empty() {
            self.until_free().await?;
        }
        for opening in std::mem::take(&mut self.opening) {
            if let Ok(Ok(c)) = opening.await {
                self.idle.push(c);
            }
        }
        self.waited += began.elapsed();
        Ok((self.written, self.idle))
    }

    /// Waits for the batches still being written, ignoring how they end (the load already
    /// failed); their connections are closed, as their state is unknown.
    pub async fn abandon(self) {
        for (batch, _) in self.busy {
            let _ = batch.await;
        }
        for opening in self.opening {
            opening.abort();
        }
    }
}

/// One batch in one transaction: the rows, the task's progress and checkpoint, committed in turn.
async fn write_batch(
    db: &mut Client,
    target: &Target,
    pieces: &[Piece],
    mark: Mark,
    turn: Turn,
    more_follow: bool,
) -> Result<i64, AgentError> {
    let entity = target.entity;
    let mut objects: Vec<&str> = Vec::with_capacity(pieces.iter().map(|p| p.rows).sum());
    for p in pieces {
        objects.extend(p.objects());
    }
    let n = objects.len() as i64;
    let started = Instant::now();
    let tx = db.transaction().await?;
    // A batch's commit need not wait for the disk: if PostgreSQL itself crashes before the WAL
    // reaches it, the batch is lost together with its checkpoint, and the task, run again,
    // fetches those records anew. The load's last commit (its bookkeeping) is synchronous and
    // flushes every batch before it.
    tx.batch_execute("SET LOCAL synchronous_commit = off")
        .await?;
    stage::upsert_with(
        &tx,
        target.company_id,
        &target.sql,
        entity.name,
        &objects,
        None,
    )
    .await?;
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
    tracing::debug!(
        entity = entity.name,
        rows = n,
        secs = started.elapsed().as_secs_f64(),
        "batch committed"
    );
    if more_follow {
        crate::failpoint::hit("populate.between_pages").await;
    }
    let _ = turn.done.send(());
    metrics::records_synced(&target.company_name, entity.name, metrics::INCOMING, n);
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qbo::QueryPage;

    fn page(ids: &[u64], overlaps: bool) -> Arc<FetchedPage> {
        let objects: Vec<String> = ids.iter().map(|i| format!(r#"{{"Id":"{i}"}}"#)).collect();
        let page = QueryPage::from_body(format!(
            r#"{{"QueryResponse":{{"Customer":[{}]}}}}"#,
            objects.join(",")
        ));
        let (spans, _) = page.object_spans("Customer").unwrap();
        Arc::new(FetchedPage {
            page,
            spans,
            overlaps,
            rows: ids.len() - usize::from(overlaps),
            time: None,
        })
    }

    #[test]
    fn a_piece_is_its_share_of_the_new_records() {
        // Record 3 ends the page before and is repeated first here.
        let p = page(&[3, 4, 5, 6, 7], true);
        let ids = |skip, rows| -> Vec<String> {
            let piece = Piece {
                page: Arc::clone(&p),
                skip,
                rows,
            };
            piece
                .objects()
                .filter_map(fetch::record_id)
                .map(|i| i.to_string())
                .collect()
        };
        assert_eq!(ids(0, 4), ["4", "5", "6", "7"]);
        assert_eq!(ids(0, 2), ["4", "5"]);
        assert_eq!(ids(2, 2), ["6", "7"]);
        let first = page(&[1, 2, 3], false);
        let piece = Piece {
            page: first,
            skip: 1,
            rows: 2,
        };
        let got: Vec<u64> = piece.objects().filter_map(fetch::record_id).collect();
        assert_eq!(got, [2, 3]);
    }
}
