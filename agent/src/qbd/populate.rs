//! Reading QuickBooks Desktop tables into the `qbd` mirror, for populate and refresh.
//!
//! Populate reads each entity whole with an iterator (Start, then Continue with the same
//! criteria until none remain; Account and Employee queries have no iterator and come back
//! whole). Refresh reads what changed since the entity's cursor (lists: `FromModifiedDate`,
//! transactions: `ModifiedDateRangeFilter`), then what was deleted since then
//! (`ListDeletedQuery`/`TxnDeletedQuery`), and deletes those rows.
//!
//! The cursor is the newest `TimeModified` already mirrored, read back in the offset QuickBooks
//! wrote it in and sent without offset in that wall-clock time, less a 10-minute overlap
//! (QuickBooks reports wrong offsets around daylight saving time, reference sheet §10). Records
//! that come back unchanged (same EditSequence) are skipped by the upsert.

use crate::error::AgentError;
use crate::sync::stage;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use qbsync_catalog::{qbd_upsert_sql, QbdEntity, QbdKind, QBD_SCHEMA};
use qbsync_qbxml::request::{
    list_deleted_query_rq, list_query_rq, txn_deleted_query_rq, txn_query_rq, ListQuery,
    MessageSet, OnError, TxnQuery,
};
use qbsync_qbxml::response::{parse_response, ret_to_json, Response};
use tokio_postgres::Client;
use tracing::info;

/// Overlap of consecutive refresh windows.
const OVERLAP_SECS: i64 = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Modified,
    Deleted,
}

pub struct Populate {
    pub task: i64,
    entities: Vec<&'static QbdEntity>,
    /// Refresh: where each entity's window starts (None = from the beginning). Populate: empty.
    since: Vec<Option<NaiveDateTime>>,
    refresh: bool,
    index: usize,
    phase: Phase,
    /// The open iterator of the current entity.
    iterator: Option<String>,
    page_size: u32,
    rows: i64,
    /// Records of the current entity written so far (taken off `rows` when it is read again).
    entity_rows: i64,
    /// Unreadable answers while reading the current entity. Counted per entity, not "in a
    /// row": reading it again brings readable pages before the bad one again.
    unreadable: u32,
    deleted: i64,
}

impl Populate {
    /// A full read of `entities`.
    pub fn new(task: i64, entities: Vec<&'static QbdEntity>, page_size: u32) -> Self {
        Populate {
            task,
            since: vec![None; entities.len()],
            entities,
            refresh: false,
            index: 0,
            phase: Phase::Modified,
            iterator: None,
            page_size,
            rows: 0,
            entity_rows: 0,
            unreadable: 0,
            deleted: 0,
        }
    }

    /// A read of what changed in `entities` since their cursors.
    pub async fn refresh(
        db: &Client,
        company: i64,
        task: i64,
        entities: Vec<&'static QbdEntity>,
        page_size: u32,
    ) -> Result<Self, AgentError> {
        let mut since = Vec::with_capacity(entities.len());
        for e in &entities {
            since.push(cursor(db, company, e).await?);
        }
        Ok(Populate {
            since,
            refresh: true,
            ..Populate::new(task, entities, page_size)
        })
    }

    fn entity(&self) -> Option<&'static QbdEntity> {
        self.entities.get(self.index).copied()
    }

    /// The entity being read (its QuickBooks name); None once every entity is read.
    pub fn entity_name(&self) -> Option<&'static str> {
        self.entity().map(|e| e.name)
    }

    /// Counts an unreadable answer for the current entity; returns how many there were.
    pub fn note_unreadable(&mut self) -> u32 {
        self.unreadable += 1;
        self.unreadable
    }

    /// The answer to the last request could not be read: asks for it again. An iterator cannot
    /// go back a page, so a page of the current entity is asked for by reading the entity again
    /// from its start (its records are upserted by key: nothing is duplicated) and the records
    /// counted for it come off the task's count; the deleted-records query is simply sent again.
    pub async fn read_again(&mut self, db: &Client) -> Result<(), AgentError> {
        if self.phase == Phase::Deleted {
            return Ok(());
        }
        self.iterator = None;
        if self.entity_rows > 0 {
            db.execute(
                "UPDATE qbsync.task SET rows_done = greatest(rows_done - $2, 0), heartbeat_at = now() WHERE id = $1",
                &[&self.task, &self.entity_rows],
            )
            .await?;
            self.rows -= self.entity_rows;
            self.entity_rows = 0;
        }
        Ok(())
    }

    pub fn request(&self) -> Result<String, AgentError> {
        let Some(e) = self.entity() else {
            return Err(AgentError::Invalid("nothing left to read".into()));
        };
        let invalid = |err: qbsync_qbxml::request::RequestError| {
            AgentError::Invalid(format!("{}: {err}", e.name))
        };
        let since = self.since.get(self.index).copied().flatten();
        let rq = match (self.phase, e.kind) {
            (Phase::Modified, QbdKind::List) => {
                let q = ListQuery::sync(e, self.page_size, since);
                let q = match &self.iterator {
                    Some(id) => q.continued(id),
                    None => q,
                };
                list_query_rq(e, "1", &q).map_err(invalid)?
            }
            (Phase::Modified, QbdKind::Txn) => {
                let q = TxnQuery::sync(e, self.page_size, since);
                let q = match &self.iterator {
                    Some(id) => q.continued(id),
                    None => q,
                };
                txn_query_rq(e, "1", &q).map_err(invalid)?
            }
            (Phase::Deleted, kind) => {
                let del_type = e.del_type.unwrap_or(e.name);
                match kind {
                    QbdKind::List => list_deleted_query_rq("1", &[del_type], since, None),
                    QbdKind::Txn => txn_deleted_query_rq("1", &[del_type], since, None),
                }
                .map_err(invalid)?
            }
        };
        Ok(MessageSet::new(OnError::ContinueOnError).with(rq).to_xml())
    }

    /// Takes one response; true once every entity has been read.
    pub async fn absorb(
        &mut self,
        db: &mut Client,
        company: i64,
        response: &str,
    ) -> Result<bool, AgentError> {
        let Some(e) = self.entity() else {
            return Ok(true);
        };
        let parsed = parse_response(response).map_err(|err| {
            AgentError::Invalid(format!("{}: unreadable QuickBooks response: {err}", e.name))
        })?;
        let Some(rs) = parsed.responses.first() else {
            return Err(AgentError::Invalid(format!(
                "{}: QuickBooks answered without a response",
                e.name
            )));
        };
        // Code 1 (nothing found) is an empty page, not a failure.
        if rs.is_error() && !rs.is_empty_result() {
            return Err(AgentError::Invalid(format!(
                "{}: QuickBooks refused the query [{}] {}",
                e.name,
                rs.status_code.unwrap_or_default(),
                rs.status_message
            )));
        }
        match self.phase {
            Phase::Modified => self.absorb_page(db, company, e, rs).await?,
            Phase::Deleted => self.absorb_deleted(db, company, e, rs).await?,
        }
        Ok(self.index >= self.entities.len())
    }

    async fn absorb_page(
        &mut self,
        db: &mut Client,
        company: i64,
        e: &'static QbdEntity,
        rs: &Response,
    ) -> Result<(), AgentError> {
        let objects: Vec<String> = rs.rets.iter().map(|r| ret_to_json(r).to_string()).collect();
        let texts: Vec<&str> = objects.iter().map(String::as_str).collect();
        let tx = db.transaction().await?;
        if !texts.is_empty() {
            let sql = qbd_upsert_sql(QBD_SCHEMA, e);
            // A refresh records each row it changed; a populate does not.
            let log = self.refresh.then_some(Some(self.task));
            stage::upsert_with(&tx, company, &sql, &e.sql_name(), &texts, log).await?;
        }
        self.rows += texts.len() as i64;
        self.entity_rows += texts.len() as i64;
        let company_name = crate::metrics::company_name(company);
        crate::metrics::records_synced(
            &company_name,
            e.name,
            crate::metrics::INCOMING,
            texts.len() as i64,
        );
        tx.execute(
            "UPDATE qbsync.task SET current_entity = $2, rows_done = rows_done + $3, heartbeat_at = now() WHERE id = $1",
            &[&self.task, &e.sql_name(), &(texts.len() as i64)],
        )
        .await?;
        if rs.has_more() && rs.iterator_id.is_some() {
            self.iterator = rs.iterator_id.clone();
        } else {
            self.iterator = None;
            if self.refresh && e.del_type.is_some() {
                self.phase = Phase::Deleted;
            } else {
                self.entity_done(&tx, company, e).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn absorb_deleted(
        &mut self,
        db: &mut Client,
        company: i64,
        e: &'static QbdEntity,
        rs: &Response,
    ) -> Result<(), AgentError> {
        let key_element = e.key_element();
        let ids: Vec<String> = rs
            .rets
            .iter()
            .filter_map(|r| r.child_text(key_element).map(str::to_owned))
            .collect();
        let tx = db.transaction().await?;
        if !ids.is_empty() {
            // A row with a local change waiting keeps it: the push will report the record gone.
            let n = tx
                .execute(
                    &format!(
                        "WITH gone AS (DELETE FROM {} t WHERE t.company_id = $1 AND t.{} = ANY($2) \
                         AND (t.sync_status IS NULL OR t.sync_status = 'ok') RETURNING t.local_id, t.{}) \
                         INSERT INTO qbsync.sync_result (task_id, company_id, entity, local_id, qb_id, direction, operation, outcome) \
                         SELECT $3, $1, $4, local_id, {}, 'incoming', 'delete', 'ok' FROM gone",
                        e.qualified_table(),
                        e.key_column(),
                        e.key_column(),
                        e.key_column()
                    ),
                    &[&company, &ids, &Some(self.task), &e.sql_name()],
                )
                .await?;
            self.deleted += n as i64;
        }
        self.entity_done(&tx, company, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn entity_done(
        &mut self,
        tx: &tokio_postgres::Transaction<'_>,
        company: i64,
        e: &'static QbdEntity,
    ) -> Result<(), AgentError> {
        stage::record_history_of(
            tx,
            company,
            &e.sql_name(),
            &e.qualified_table(),
            Utc::now().fixed_offset(),
            !self.refresh,
        )
        .await?;
        tx.execute(
            "UPDATE qbsync.task SET entities_done = entities_done + 1 WHERE id = $1",
            &[&self.task],
        )
        .await?;
        info!(
            entity = e.name,
            rows = self.rows,
            deleted = self.deleted,
            refresh = self.refresh,
            "Desktop entity read"
        );
        self.index += 1;
        self.phase = Phase::Modified;
        self.entity_rows = 0;
        self.unreadable = 0;
        Ok(())
    }

    pub fn progress(&self) -> i32 {
        let total = self.entities.len().max(1);
        ((100 * self.index / total) as i32).min(99)
    }
}

/// Where `entity`'s refresh window starts: the newest `TimeModified` mirrored, in QuickBooks'
/// own wall-clock time, less the overlap; None (everything) when nothing is mirrored yet.
async fn cursor(
    db: &Client,
    company: i64,
    entity: &QbdEntity,
) -> Result<Option<NaiveDateTime>, AgentError> {
    let row = db
        .query_opt(
            &format!(
                "SELECT data->>'TimeModified' FROM {} WHERE company_id = $1 AND time_modified IS NOT NULL \
                 ORDER BY time_modified DESC LIMIT 1",
                entity.qualified_table()
            ),
            &[&company],
        )
        .await?;
    Ok(row
        .and_then(|r| r.get::<_, Option<String>>(0))
        .and_then(|t| window_start(&t)))
}

/// `2014-07-19T07:21:56-05:00` → `2014-07-19T07:11:56` (QuickBooks' wall clock, less the overlap).
fn window_start(time_modified: &str) -> Option<NaiveDateTime> {
    let t = DateTime::parse_from_rfc3339(time_modified).ok()?;
    Some(t.naive_local() - Duration::seconds(OVERLAP_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_starts_in_quickbooks_wall_clock_time_with_overlap() {
        let w = window_start("2014-07-19T07:21:56-05:00").expect("time");
        assert_eq!(w.to_string(), "2014-07-19 07:11:56");
        assert!(window_start("yesterday").is_none());
    }
}
