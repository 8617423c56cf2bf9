//! Populate of QuickBooks Desktop tables: each entity is read with an iterator (Start, then
//! Continue with the same criteria until none remain; Account and Employee queries have no
//! iterator and come back whole), every page upserted into the `qbd` mirror table.

use crate::error::AgentError;
use crate::sync::stage;
use chrono::Utc;
use qbsync_catalog::{qbd_upsert_sql, QbdEntity, QbdKind};
use qbsync_qbxml::request::{
    list_query_rq, txn_query_rq, ListQuery, MessageSet, OnError, TxnQuery,
};
use qbsync_qbxml::response::{parse_response, ret_to_json};
use tokio_postgres::Client;
use tracing::info;

pub struct Populate {
    pub task: i64,
    entities: Vec<&'static QbdEntity>,
    index: usize,
    /// The open iterator of the current entity.
    iterator: Option<String>,
    page_size: u32,
    rows: i64,
}

impl Populate {
    pub fn new(task: i64, entities: Vec<&'static QbdEntity>, page_size: u32) -> Self {
        Populate {
            task,
            entities,
            index: 0,
            iterator: None,
            page_size,
            rows: 0,
        }
    }

    fn entity(&self) -> Option<&'static QbdEntity> {
        self.entities.get(self.index).copied()
    }

    pub fn request(&self) -> Result<String, AgentError> {
        let Some(e) = self.entity() else {
            return Err(AgentError::Invalid(
                "populate has nothing left to read".into(),
            ));
        };
        let invalid = |err: qbsync_qbxml::request::RequestError| {
            AgentError::Invalid(format!("{}: {err}", e.name))
        };
        let rq = match e.kind {
            QbdKind::List => {
                let q = ListQuery::sync(e, self.page_size, None);
                let q = match &self.iterator {
                    Some(id) => q.continued(id),
                    None => q,
                };
                list_query_rq(e, "1", &q).map_err(invalid)?
            }
            QbdKind::Txn => {
                let q = TxnQuery::sync(e, self.page_size, None);
                let q = match &self.iterator {
                    Some(id) => q.continued(id),
                    None => q,
                };
                txn_query_rq(e, "1", &q).map_err(invalid)?
            }
        };
        Ok(MessageSet::new(OnError::ContinueOnError).with(rq).to_xml())
    }

    /// Stores one page; true once every entity has been read.
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
        let objects: Vec<String> = rs.rets.iter().map(|r| ret_to_json(r).to_string()).collect();
        let texts: Vec<&str> = objects.iter().map(String::as_str).collect();
        let tx = db.transaction().await?;
        let sql = qbd_upsert_sql(qbsync_catalog::QBD_SCHEMA, e);
        if !texts.is_empty() {
            stage::upsert_with(&tx, company, &sql, &e.sql_name(), &texts, None).await?;
        }
        self.rows += texts.len() as i64;
        tx.execute(
            "UPDATE qbsync.task SET current_entity = $2, rows_done = rows_done + $3, heartbeat_at = now() WHERE id = $1",
            &[&self.task, &e.sql_name(), &(texts.len() as i64)],
        )
        .await?;
        let more = rs.has_more() && rs.iterator_id.is_some();
        if more {
            self.iterator = rs.iterator_id.clone();
        } else {
            stage::record_history_of(
                &tx,
                company,
                &e.sql_name(),
                &e.qualified_table(),
                Utc::now().fixed_offset(),
                true,
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
                "Desktop entity populated"
            );
            self.iterator = None;
            self.index += 1;
        }
        tx.commit().await?;
        Ok(self.index >= self.entities.len())
    }

    pub fn progress(&self) -> i32 {
        let total = self.entities.len().max(1);
        ((100 * self.index / total) as i32).min(99)
    }
}
