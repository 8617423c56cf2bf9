//! Push for QuickBooks Desktop: rows of the `qbd` tables whose `operation` is set go to
//! QuickBooks through the Web Connector, and the outcome is written back on the row and in
//! `qbsync.sync_result`, with the same row contract as the QuickBooks Online push.
//!
//! Rows are claimed (SKIP LOCKED) up to [`BATCH_MAX`] at a time, name lists before
//! transactions, removals (void, delete) after everything else and transactions before the
//! lists they use. A claimed row is `sending` with its batch's message set ID in `request_id`,
//! committed before the message set leaves: one `continueOnError` message set per batch, with
//! `newMessageSetID` = that ID so QuickBooks remembers the outcome, and every request's
//! `requestID` = `{table}.{local_id}` (the follow-up query of a void: `{table}.{local_id}.q`).
//!
//! Exactly once (reference sheet §15): a row found with a `request_id` at the start of a push
//! was sent without its answer reaching us. Its set is asked for first (status check:
//! `oldMessageSetID` = `newMessageSetID`, no requests); QuickBooks' stored answers are applied
//! as if they had just arrived (code 0), or, when QuickBooks has no record of the set (600),
//! the rows go back to `pending` and are sent again in a new set. A set whose answers are
//! written back is then forgotten (`oldMessageSetID` alone). A pending row that still has a
//! `request_id` is never claimed into a new set, so an add can never be sent twice.
//!
//! Status codes (§14): 0 (and other Info/Warn codes) write the returned `*Ret` back; 1/500 on a
//! `refresh` mean the record is gone from QuickBooks; 3170/3175/3176/3180 (locks) and 1000
//! leave the row `pending` for the next session, which is not an error; 3120 on a delete means
//! it was already deleted; every other error is a row error with the code, QuickBooks' message
//! and what to do.
//!
//! A stale EditSequence (3200: a QuickBooks user changed the record after the row was read) goes
//! to the company's `conflict_policy`: `report` leaves a row error saying to take QuickBooks'
//! version (`operation = 'refresh'`) and reapply; `quickbooks_wins` re-reads the row in the same
//! session; `postgres_wins` asks QuickBooks for the record in the same session (its current
//! EditSequence and the values about to be overwritten, `{table}.{local_id}.pw`), then sends the
//! Mod once more in a new message set with that EditSequence, recording the overwritten values
//! in `sync_result.detail`; refused as stale again, it is reported. Until the resend is claimed
//! the row is `pending` with its old EditSequence, so an agent dying in between sends the
//! update again, meets the 3200 again and settles it the same way. The resend's message set ID
//! starts with `qbp-`: when its answer is recovered by a status check after a crash, the result
//! still says the change was written over a QuickBooks user's (their values, read by the agent
//! that died, are not recorded then).
//!
//! Crash tests stop the agent at the fail points `qbd.push.before_request`,
//! `qbd.push.after_response` and `qbd.push.batch_between` (see `crate::failpoint`).

use crate::error::AgentError;
use crate::failpoint;
use qbsync_catalog::{
    qbd_entity, qbd_upsert_sql, qbd_writeback_sql, QbdEntity, QBD_ENTITIES, QBD_SCHEMA,
    UPSERTED_TABLE,
};
use qbsync_qbxml::request::{
    add_rq, delete_rq, lookup_rq, mod_rq, txn_void_rq, LineRows, Lookup, MessageSet, OnError,
    MAX_MESSAGE_SET_ID,
};
use qbsync_qbxml::response::{parse_response, ret_to_json, Response, Severity};
use qbsync_qbxml::Element;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use tokio_postgres::{Client, GenericClient};
use tracing::{info, warn};

/// Writes per message set.
pub const BATCH_MAX: usize = 20;

/// Prefix of the message set IDs a push uses (`qbs-` + 19 hex digits: 23 characters).
const SET_PREFIX: &str = "qbs-";

/// Prefix of the message set of a `postgres_wins` resend, so that a status check after a crash
/// still knows the answer is an overwrite (same length as [`SET_PREFIX`]).
const OVERWRITE_PREFIX: &str = "qbp-";

/// Suffix of the requestID of the query that re-reads a voided transaction.
const FOLLOW_UP: &str = ".q";

/// Suffix of the requestID of the query that reads QuickBooks' copy before a `postgres_wins`
/// resend.
const REREAD: &str = ".pw";

/// Lock and transient codes: the write was not applied and may work later.
const RETRY_LATER: &[i64] = &[1000, 3170, 3175, 3176, 3180];

/// The `operation` values a push carries out.
const FORWARD_OPS: &[&str] = &["add", "update", "refresh"];
const REMOVAL_OPS: &[&str] = &["void", "delete"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Update,
    Refresh,
    Void,
    Delete,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "add" => Op::Add,
            "update" => Op::Update,
            "refresh" => Op::Refresh,
            "void" => Op::Void,
            "delete" => Op::Delete,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Update => "update",
            Op::Refresh => "refresh",
            Op::Void => "void",
            Op::Delete => "delete",
        }
    }

    /// The past tense written into `operation` when the company has `operation_result` set.
    fn done(self) -> &'static str {
        match self {
            Op::Add => "added",
            Op::Update => "updated",
            Op::Refresh => "refreshed",
            Op::Void => "voided",
            Op::Delete => "deleted",
        }
    }
}

/// A claimed row.
#[derive(Debug, Clone)]
struct Row {
    entity: &'static QbdEntity,
    local_id: i64,
    /// None when `operation` holds something a push does not do (it is then refused).
    op: Option<Op>,
    operation: String,
    row: Map<String, Value>,
    /// Left in `sync_message` when the write succeeds (what was not sent).
    note: Option<String>,
    /// Set on the `postgres_wins` resend of a Mod QuickBooks refused as stale.
    conflict: Option<Conflict>,
}

/// What a `postgres_wins` resend overwrites: QuickBooks' copy as read after the 3200.
#[derive(Debug, Clone)]
struct Conflict {
    /// The EditSequence QuickBooks refused (the row's).
    row_edit_sequence: String,
    /// QuickBooks' EditSequence, sent with the resend.
    quickbooks_edit_sequence: String,
    /// QuickBooks' TimeModified: when the QuickBooks user changed it.
    changed_at: String,
    /// The refusal (status detail of the 3200).
    refusal: Value,
    /// QuickBooks' record before the resend (`*Ret` as JSON).
    current: Value,
}

impl Conflict {
    fn message(&self) -> String {
        format!(
            "conflict: Postgres version written over QuickBooks change (a QuickBooks user changed it at {}, EditSequence {}; their values are in sync_result.detail)",
            self.changed_at, self.quickbooks_edit_sequence
        )
    }

    fn detail(&self, operation: &str) -> Value {
        json!({
            "policy": "postgres_wins",
            "operation": operation,
            "row_edit_sequence": self.row_edit_sequence,
            "quickbooks_edit_sequence": self.quickbooks_edit_sequence,
            "quickbooks_changed_at": self.changed_at,
            "quickbooks": self.refusal,
            "overwritten": self.current,
        })
    }
}

impl Row {
    fn new(entity: &'static QbdEntity, local_id: i64, row: Value) -> Row {
        let row = match row {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let operation = row
            .get("operation")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Row {
            entity,
            local_id,
            op: Op::parse(&operation),
            operation,
            row,
            note: None,
            conflict: None,
        }
    }

    /// The EditSequence the row was read with.
    fn edit_sequence(&self) -> &str {
        self.row
            .get("edit_sequence")
            .and_then(Value::as_str)
            .unwrap_or("?")
    }

    /// The requestID of its write.
    fn key(&self) -> String {
        format!("{}.{}", self.entity.table, self.local_id)
    }

    /// ListID / TxnID.
    fn qb_id(&self) -> Option<&str> {
        self.row
            .get(self.entity.key_column())
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    fn op_name(&self) -> &str {
        match self.op {
            Some(op) => op.as_str(),
            None => self.operation.as_str(),
        }
    }
}

/// What QuickBooks did with one row.
#[derive(Debug)]
enum Outcome {
    /// Written: `object` is the `*Ret` as JSON; `whole` when it is the complete record (else
    /// only its keys are trusted); `detail` goes to the `sync_result`.
    Done {
        object: Value,
        whole: bool,
        message: Option<String>,
        detail: Option<Value>,
    },
    /// No longer in QuickBooks.
    Deleted { message: Option<String> },
    /// Refused: the row keeps its values, with the reason.
    Failed {
        code: String,
        message: String,
        detail: Value,
    },
    /// Not applied now (lock): pending again, retried at the next session.
    Deferred(String),
    /// Never reached QuickBooks: pending again, sent in a new message set.
    Resend,
    /// Sent, but no answer for it came back: stays `sending` for the next session's recovery.
    Unanswered,
    /// A stale write (3200) settled as `quickbooks_wins`: the row's change is discarded (kept in
    /// the `sync_result` detail) and the row is re-read from QuickBooks in this push.
    Reread { message: String, detail: Value },
    /// A stale Mod (3200) settled as `postgres_wins`: pending again; QuickBooks' copy is read
    /// in this push and the Mod sent once more with its EditSequence. `refusal` is the 3200's
    /// status detail.
    Overwrite { message: String, refusal: Value },
}

fn failed(code: impl Into<String>, message: impl Into<String>) -> Outcome {
    Outcome::Failed {
        code: code.into(),
        message: message.into(),
        detail: Value::Null,
    }
}

/// The exchange the push is in.
#[derive(Debug)]
enum Step {
    /// Asks QuickBooks for the stored answers of a set sent earlier.
    Check { set: String, rows: Vec<Row> },
    /// Makes QuickBooks forget a set whose answers are written back.
    Clear { set: String },
    /// Sends a batch.
    Send {
        set: String,
        rows: Vec<Row>,
        xml: String,
    },
    /// Reads QuickBooks' copy of rows whose Mod was stale (with their refusals), before the
    /// `postgres_wins` resend (queries only: nothing for QuickBooks to remember).
    Reread {
        rows: Vec<(Row, Value)>,
        xml: String,
    },
}

/// Counts of one write-back.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    ok: i64,
    failed: i64,
    deferred: i64,
}

pub struct Push {
    task: Option<i64>,
    company: i64,
    operation_result: bool,
    /// `qbsync.company.conflict_policy`.
    conflict_policy: String,
    /// The tables claimed from, in catalogue order.
    entities: Vec<&'static QbdEntity>,
    /// Message sets still to be asked about.
    recover: VecDeque<String>,
    step: Option<Step>,
    /// Rows left pending for a later session (locks), by table: not claimed again by this push.
    deferred: HashMap<&'static str, Vec<i64>>,
    /// Rows whose Mod was stale under `postgres_wins`, to re-read and send again, with the
    /// refusal's status detail.
    overwrite: Vec<(Row, Value)>,
    /// Rows expected and rows answered, for progress.
    total: i64,
    answered: i64,
    tally: Tally,
}

/// `UNION ALL` of `part(entity)` over every Desktop table.
fn union_all(part: impl Fn(&QbdEntity) -> String) -> String {
    QBD_ENTITIES
        .iter()
        .map(part)
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// SQL condition (on `qbsync.company c`) true when the company has Desktop rows to push: an
/// operation waiting, or a push whose answer was lost.
pub fn pending_condition() -> String {
    QBD_ENTITIES
        .iter()
        .map(|e| {
            format!(
                "EXISTS (SELECT 1 FROM {QBD_SCHEMA}.{} x WHERE x.company_id = c.id AND x.linked \
                 AND x.sync_status IN ('pending', 'sending') AND x.operation IS NOT NULL)",
                e.table
            )
        })
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// Whether the company has Desktop rows to push.
pub async fn has_pending(db: &Client, company: i64) -> Result<bool, tokio_postgres::Error> {
    Ok(db
        .query_one(
            &format!(
                "SELECT {} FROM qbsync.company c WHERE c.id = $1",
                pending_condition()
            ),
            &[&company],
        )
        .await?
        .get(0))
}

fn new_set_id(prefix: &str) -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    let keep = MAX_MESSAGE_SET_ID
        .saturating_sub(prefix.len())
        .min(hex.len());
    format!("{prefix}{}", &hex[..keep])
}

fn is_set_id(id: &str) -> bool {
    !id.is_empty() && id.chars().count() <= MAX_MESSAGE_SET_ID
}

impl Push {
    /// Claims the company's pending Desktop rows (of the task's tables when `task` is given)
    /// and prepares the first message set; None when there is nothing to push.
    pub async fn start(
        db: &Client,
        company: i64,
        task: Option<i64>,
    ) -> Result<Option<Push>, AgentError> {
        let settings = db
            .query_one(
                "SELECT operation_result, conflict_policy FROM qbsync.company WHERE id = $1",
                &[&company],
            )
            .await?;
        let operation_result: bool = settings.get(0);
        let conflict_policy: String = settings.get(1);
        let entities = match task {
            Some(t) => task_entities(db, company, t).await?,
            None => QBD_ENTITIES.iter().collect(),
        };
        // A row marked sending without a set never left (the set is stored with the mark).
        for e in QBD_ENTITIES {
            db.execute(
                &format!(
                    "UPDATE {QBD_SCHEMA}.{} SET sync_status = 'pending' \
                     WHERE company_id = $1 AND sync_status = 'sending' AND request_id IS NULL",
                    e.table
                ),
                &[&company],
            )
            .await?;
        }
        let sets: Vec<String> = db
            .query(
                &format!(
                    "SELECT DISTINCT request_id FROM ({}) s ORDER BY 1",
                    union_all(|e| format!(
                        "SELECT request_id FROM {QBD_SCHEMA}.{} WHERE company_id = $1 AND linked \
                         AND request_id IS NOT NULL AND sync_status IN ('pending', 'sending')",
                        e.table
                    ))
                ),
                &[&company],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut total: i64 = 0;
        for e in &entities {
            total += db
                .query_one(
                    &format!(
                        "SELECT count(*) FROM {QBD_SCHEMA}.{} WHERE company_id = $1 AND linked \
                         AND sync_status = 'pending' AND request_id IS NULL AND operation IS NOT NULL",
                        e.table
                    ),
                    &[&company],
                )
                .await?
                .get::<_, i64>(0);
        }
        if sets.is_empty() && total == 0 {
            return Ok(None);
        }
        if !sets.is_empty() {
            info!(
                company,
                sets = sets.len(),
                "Desktop push: recovering message sets whose answers were lost"
            );
        }
        let mut push = Push {
            task,
            company,
            operation_result,
            conflict_policy,
            entities,
            recover: sets.into(),
            step: None,
            deferred: HashMap::new(),
            overwrite: Vec::new(),
            total: total.max(1),
            answered: 0,
            tally: Tally::default(),
        };
        push.prepare(db).await?;
        if push.step.is_none() {
            push.finish_task(db).await?;
            return Ok(None);
        }
        push.before_request().await;
        Ok(Some(push))
    }

    pub fn task(&self) -> Option<i64> {
        self.task
    }

    /// The next qbXML message set.
    pub fn request(&self) -> Result<String, AgentError> {
        let invalid =
            |e: qbsync_qbxml::request::RequestError| AgentError::Invalid(format!("push: {e}"));
        match &self.step {
            None => Err(AgentError::Invalid("push has nothing left to send".into())),
            Some(Step::Send { xml, .. } | Step::Reread { xml, .. }) => Ok(xml.clone()),
            Some(Step::Check { set, .. }) => Ok(MessageSet::new(OnError::ContinueOnError)
                .with_old_message_set_id(set)
                .and_then(|m| m.with_new_message_set_id(set))
                .map_err(invalid)?
                .to_xml()),
            Some(Step::Clear { set }) => Ok(MessageSet::new(OnError::ContinueOnError)
                .with_old_message_set_id(set)
                .map_err(invalid)?
                .to_xml()),
        }
    }

    /// Takes QuickBooks' answer to the last message set; true when the push is complete.
    pub async fn absorb(
        &mut self,
        db: &mut Client,
        company: i64,
        response: &str,
    ) -> Result<bool, AgentError> {
        let Some(step) = self.step.take() else {
            return Ok(true);
        };
        let parsed = match parse_response(response) {
            Ok(p) => p,
            Err(e) => {
                // Rows of a set stay `sending`: the next session asks QuickBooks about them.
                return Err(AgentError::Invalid(format!(
                    "push: unreadable QuickBooks response: {e}"
                )));
            }
        };
        let code = parsed.message_set_status_code.as_deref().map(str::trim);
        let by_id: HashMap<&str, &Response> = parsed
            .responses
            .iter()
            .filter_map(|r| r.request_id.as_deref().map(|id| (id, r)))
            .collect();
        let cleared = matches!(step, Step::Clear { .. });
        match step {
            Step::Clear { set } => {
                if code.is_some_and(|c| c != "0") {
                    info!(
                        set,
                        code, "QuickBooks had already forgotten the message set"
                    );
                }
            }
            Step::Check { set, rows } => {
                // 0: QuickBooks kept the answers; 600: it never received the set.
                let kept = match code {
                    Some(c) => c == "0",
                    None => !parsed.responses.is_empty(),
                };
                let outcomes: Vec<(Row, Outcome)> = if kept {
                    info!(
                        set,
                        answers = parsed.responses.len(),
                        "QuickBooks kept the answers of a message set whose response was lost; applying them"
                    );
                    let overwrite = set.starts_with(OVERWRITE_PREFIX);
                    rows.into_iter()
                        .map(|r| {
                            let o = match by_id.get(r.key().as_str()) {
                                Some(rs) => outcome(&r, rs, follow_up(&by_id, &r)),
                                // Not part of what QuickBooks received: send it again.
                                None => Outcome::Resend,
                            };
                            let o = if overwrite { recovered_overwrite(o) } else { o };
                            (r, o)
                        })
                        .collect()
                } else if code == Some("600") {
                    info!(
                        set,
                        rows = rows.len(),
                        "QuickBooks never received the message set; sending its rows again"
                    );
                    rows.into_iter().map(|r| (r, Outcome::Resend)).collect()
                } else {
                    let message = format!(
                        "QuickBooks could not say whether message set {set} was applied (messageSetStatusCode {}); check this record in QuickBooks, then set operation again",
                        code.unwrap_or("missing")
                    );
                    rows.into_iter()
                        .map(|r| (r, failed("qbsync", message.clone())))
                        .collect()
                };
                let resend_only = outcomes.iter().all(|(_, o)| matches!(o, Outcome::Resend));
                self.write_answers(db, company, outcomes).await?;
                if !resend_only {
                    self.step = Some(Step::Clear { set });
                }
            }
            Step::Send { set, rows, .. } => {
                let outcomes: Vec<(Row, Outcome)> = if code == Some("9001") {
                    // The ID was taken by another stored set: nothing was processed.
                    warn!(
                        set,
                        "message set ID already used in QuickBooks; sending again"
                    );
                    rows.into_iter().map(|r| (r, Outcome::Resend)).collect()
                } else {
                    rows.into_iter()
                        .map(|r| {
                            let o = match by_id.get(r.key().as_str()) {
                                Some(rs) => outcome(&r, rs, follow_up(&by_id, &r)),
                                None => Outcome::Unanswered,
                            };
                            (r, o)
                        })
                        .collect()
                };
                let all_answered = outcomes
                    .iter()
                    .all(|(_, o)| !matches!(o, Outcome::Unanswered | Outcome::Resend));
                self.write_answers(db, company, outcomes).await?;
                // Forgotten only once every answer is written back; otherwise the next session
                // asks for it.
                if all_answered {
                    self.step = Some(Step::Clear { set });
                }
            }
            Step::Reread { rows, .. } => self.resend_stale(db, company, rows, &by_id).await?,
        }
        if self.step.is_none() {
            if cleared && self.answered < self.total {
                failpoint::hit("qbd.push.batch_between").await;
            }
            self.prepare(&*db).await?;
        }
        if self.step.is_none() {
            self.finish_task(&*db).await?;
            info!(
                company,
                ok = self.tally.ok,
                failed = self.tally.failed,
                deferred = self.tally.deferred,
                "Desktop push done"
            );
            return Ok(true);
        }
        self.before_request().await;
        Ok(false)
    }

    /// The fail point of a message set claimed (its rows `sending` with its ID committed) and
    /// built, before the Web Connector is given it.
    async fn before_request(&self) {
        if matches!(self.step, Some(Step::Send { .. })) {
            failpoint::hit("qbd.push.before_request").await;
        }
    }

    /// `postgres_wins`, after QuickBooks' copies of stale rows were read: each row still
    /// waiting to be updated is claimed into a new message set and its Mod built again with
    /// QuickBooks' EditSequence (the values are the row's, read now). A row whose copy could
    /// not be read is reported as under `report`.
    async fn resend_stale(
        &mut self,
        db: &mut Client,
        company: i64,
        rows: Vec<(Row, Value)>,
        by_id: &HashMap<&str, &Response>,
    ) -> Result<(), AgentError> {
        let set = new_set_id(OVERWRITE_PREFIX);
        let mut ms = MessageSet::new(OnError::ContinueOnError)
            .with_new_message_set_id(&set)
            .map_err(|e| AgentError::Invalid(format!("push: {e}")))?;
        let mut sendable = Vec::new();
        let mut refused = Vec::new();
        for (stale, refusal) in rows {
            // Changed by the application meanwhile: its new operation goes its own way.
            let Some(mut r) = claim_stale(&*db, company, &stale, &set).await? else {
                continue;
            };
            let answer = by_id.get(format!("{}{REREAD}", r.key()).as_str()).copied();
            let current = answer
                .filter(|rs| !rs.is_error())
                .and_then(Response::ret)
                .map(ret_to_json);
            let sequence = current
                .as_ref()
                .and_then(|c| c.get("EditSequence"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let (Some(current), Some(sequence)) = (current, sequence) else {
                let why = match answer {
                    Some(rs) => format!(
                        "{}: {}",
                        rs.status_code.unwrap_or(-1),
                        rs.status_message.trim_end()
                    ),
                    None => "no answer".into(),
                };
                let message = format!(
                    "QuickBooks error 3200: the row's EditSequence {} is out-of-date; conflict: a QuickBooks user changed this record after the row was read, and postgres_wins could not read QuickBooks' copy to send the change again ({why}); nothing was overwritten and the row keeps your change (set operation = 'refresh' to take QuickBooks' version)",
                    stale.edit_sequence()
                );
                refused.push((
                    r,
                    Outcome::Failed {
                        code: "3200".into(),
                        message,
                        detail: refusal,
                    },
                ));
                continue;
            };
            r.row
                .insert("edit_sequence".into(), Value::String(sequence.clone()));
            r.conflict = Some(Conflict {
                row_edit_sequence: stale.edit_sequence().to_string(),
                quickbooks_edit_sequence: sequence,
                changed_at: current
                    .get("TimeModified")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown time")
                    .to_string(),
                refusal,
                current,
            });
            match build(&*db, &mut r).await? {
                Ok(requests) => {
                    for q in requests {
                        ms.push(q);
                    }
                    sendable.push(r);
                }
                Err(message) => refused.push((r, failed("qbsync", message))),
            }
        }
        self.write_all(db, company, &refused).await?;
        if !sendable.is_empty() {
            info!(
                company,
                set,
                rows = sendable.len(),
                "Desktop push: sending stale updates again over QuickBooks' version (postgres_wins)"
            );
            self.step = Some(Step::Send {
                set,
                rows: sendable,
                xml: ms.to_xml(),
            });
        }
        Ok(())
    }

    /// QuickBooks could not process the last message set (`hresult` in receiveResponseXML).
    /// A parse error (`0x80040400`) means nothing was applied and resending would fail the
    /// same way: the batch's rows become errors. Other failures leave them for recovery.
    pub async fn rejected(
        &mut self,
        db: &mut Client,
        company: i64,
        hresult: &str,
        message: &str,
    ) -> Result<(), AgentError> {
        if let Some(Step::Send { rows, .. }) = self.step.take() {
            if hresult.trim().eq_ignore_ascii_case("0x80040400") {
                let text = format!(
                    "QuickBooks rejected the message set this row was in ({hresult}: {message}); the row or another one of its batch holds a value QuickBooks cannot read"
                );
                let outcomes: Vec<(Row, Outcome)> = rows
                    .into_iter()
                    .map(|r| (r, failed(hresult.trim(), text.clone())))
                    .collect();
                self.write_all(db, company, &outcomes).await?;
            }
        }
        Ok(())
    }

    /// Percent done, below 100.
    pub fn progress(&self) -> i32 {
        ((100 * self.answered / self.total.max(1)) as i32).clamp(0, 99)
    }

    /// Decides the next exchange: a recovery check, or the next batch (claimed and committed
    /// here). Rows whose request cannot be built are written back as errors at once.
    async fn prepare<C: GenericClient + Sync>(&mut self, db: &C) -> Result<(), AgentError> {
        loop {
            if let Some(set) = self.recover.pop_front() {
                let rows = set_rows(db, self.company, &set).await?;
                if rows.is_empty() {
                    continue;
                }
                if !is_set_id(&set) {
                    let message = format!(
                        "request_id {set:?} is not a message set ID qbsync sent, so QuickBooks cannot be asked whether the change was applied; check this record in QuickBooks, then set operation again"
                    );
                    let outcomes: Vec<(Row, Outcome)> = rows
                        .into_iter()
                        .map(|r| (r, failed("qbsync", message.clone())))
                        .collect();
                    self.write_all_with(db, self.company, &outcomes).await?;
                    continue;
                }
                self.step = Some(Step::Check { set, rows });
                return Ok(());
            }
            if !self.overwrite.is_empty() {
                let stale = std::mem::take(&mut self.overwrite);
                let mut ms = MessageSet::new(OnError::ContinueOnError);
                let mut rows = Vec::new();
                let mut refused = Vec::new();
                for (r, refusal) in stale {
                    let id = r.qb_id().unwrap_or_default().to_string();
                    match lookup_rq(
                        r.entity,
                        &format!("{}{REREAD}", r.key()),
                        Lookup::Ids(&[id.as_str()]),
                    ) {
                        Ok(q) => {
                            ms.push(q);
                            rows.push((r, refusal));
                        }
                        Err(e) => {
                            let message = format!(
                                "QuickBooks error 3200: the row's EditSequence {} is out-of-date; conflict: a QuickBooks user changed this record after the row was read, and postgres_wins cannot ask QuickBooks for its copy ({e}); nothing was overwritten and the row keeps your change",
                                r.edit_sequence()
                            );
                            refused.push((
                                r,
                                Outcome::Failed {
                                    code: "3200".into(),
                                    message,
                                    detail: refusal,
                                },
                            ));
                        }
                    }
                }
                self.write_all_with(db, self.company, &refused).await?;
                if !rows.is_empty() {
                    self.step = Some(Step::Reread {
                        rows,
                        xml: ms.to_xml(),
                    });
                    return Ok(());
                }
                continue;
            }
            let set = new_set_id(SET_PREFIX);
            let claimed = self.claim(db, &set).await?;
            if claimed.is_empty() {
                self.step = None;
                return Ok(());
            }
            let mut ms = MessageSet::new(OnError::ContinueOnError)
                .with_new_message_set_id(&set)
                .map_err(|e| AgentError::Invalid(format!("push: {e}")))?;
            let mut sendable = Vec::new();
            let mut refused = Vec::new();
            for mut r in claimed {
                match build(db, &mut r).await? {
                    Ok(requests) => {
                        for q in requests {
                            ms.push(q);
                        }
                        sendable.push(r);
                    }
                    Err(message) => refused.push((r, failed("qbsync", message))),
                }
            }
            self.write_all_with(db, self.company, &refused).await?;
            if sendable.is_empty() {
                continue;
            }
            info!(
                company = self.company,
                set,
                rows = sendable.len(),
                "Desktop push: sending a batch"
            );
            self.step = Some(Step::Send {
                set,
                rows: sendable,
                xml: ms.to_xml(),
            });
            return Ok(());
        }
    }

    /// Claims up to [`BATCH_MAX`] pending rows into message set `set`: each table's rows in
    /// one statement (SKIP LOCKED), committed at once.
    async fn claim<C: GenericClient + Sync>(
        &self,
        db: &C,
        set: &str,
    ) -> Result<Vec<Row>, AgentError> {
        let mut out: Vec<Row> = Vec::new();
        let removal_order: Vec<&'static QbdEntity> = self.entities.iter().rev().copied().collect();
        for (ops, order) in [(FORWARD_OPS, &self.entities), (REMOVAL_OPS, &removal_order)] {
            let ops: Vec<&str> = ops.to_vec();
            for e in order.iter() {
                let room = BATCH_MAX.saturating_sub(out.len()) as i64;
                if room == 0 {
                    return Ok(out);
                }
                let skip: Vec<i64> = self.deferred.get(e.table).cloned().unwrap_or_default();
                let t = e.qualified_table();
                let rows = db
                    .query(
                        &format!(
                            "UPDATE {t} t SET sync_status = 'sending', request_id = $3 \
                             WHERE t.local_id IN (SELECT x.local_id FROM {t} x WHERE x.company_id = $1 AND x.linked \
                               AND x.sync_status = 'pending' AND x.request_id IS NULL AND x.operation = ANY($4) \
                               AND x.local_id <> ALL($5) ORDER BY x.local_id LIMIT $2 FOR UPDATE SKIP LOCKED) \
                             RETURNING t.local_id, to_jsonb(t)"
                        ),
                        &[&self.company, &room, &set, &ops, &skip],
                    )
                    .await?;
                let mut rows: Vec<Row> = rows
                    .iter()
                    .map(|r| Row::new(e, r.get(0), r.get(1)))
                    .collect();
                rows.sort_by_key(|r| r.local_id);
                out.extend(rows);
            }
        }
        Ok(out)
    }

    async fn write_all(
        &mut self,
        db: &mut Client,
        company: i64,
        outcomes: &[(Row, Outcome)],
    ) -> Result<(), AgentError> {
        let tx = db.transaction().await?;
        self.write_all_with(&tx, company, outcomes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Self::write_all`] for QuickBooks' answers to a message set (sent, or kept for a status
    /// check): stale writes settled by the conflict policy first (only QuickBooks' own answers,
    /// so a refusal qbsync words itself is never settled again), and the fail point of an
    /// answer in with its write-back not committed.
    async fn write_answers(
        &mut self,
        db: &mut Client,
        company: i64,
        outcomes: Vec<(Row, Outcome)>,
    ) -> Result<(), AgentError> {
        let outcomes: Vec<(Row, Outcome)> = outcomes
            .into_iter()
            .map(|(r, o)| {
                let o = settle(&self.conflict_policy, &r, &o).unwrap_or(o);
                (r, o)
            })
            .collect();
        let tx = db.transaction().await?;
        self.write_all_with(&tx, company, &outcomes).await?;
        failpoint::hit("qbd.push.after_response").await;
        tx.commit().await?;
        Ok(())
    }

    async fn write_all_with<C: GenericClient + Sync>(
        &mut self,
        db: &C,
        company: i64,
        outcomes: &[(Row, Outcome)],
    ) -> Result<(), AgentError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let mut round = Tally::default();
        let company_name = crate::metrics::company_name(company);
        for (r, o) in outcomes {
            match o {
                Outcome::Failed { .. } => crate::metrics::records_failed(
                    &company_name,
                    r.entity.name,
                    crate::metrics::OUTGOING,
                    1,
                ),
                Outcome::Done { .. } | Outcome::Deleted { .. } => crate::metrics::records_synced(
                    &company_name,
                    r.entity.name,
                    crate::metrics::OUTGOING,
                    1,
                ),
                _ => {}
            }
            match o {
                Outcome::Deferred(_) => {
                    round.deferred += 1;
                    self.deferred
                        .entry(r.entity.table)
                        .or_default()
                        .push(r.local_id);
                }
                Outcome::Failed { .. } => round.failed += 1,
                Outcome::Done { .. } | Outcome::Deleted { .. } => round.ok += 1,
                Outcome::Overwrite { refusal, .. } => {
                    self.overwrite.push((r.clone(), refusal.clone()))
                }
                Outcome::Resend | Outcome::Unanswered | Outcome::Reread { .. } => {}
            }
            write_back(db, company, self.operation_result, r, o, self.task).await?;
        }
        if let Some(task) = self.task {
            db.execute(
                "UPDATE qbsync.task SET rows_done = rows_done + $2, errors = errors + $3, heartbeat_at = now() WHERE id = $1",
                &[&task, &(round.ok + round.failed), &(round.failed as i32)],
            )
            .await?;
        }
        self.answered += round.ok + round.failed + round.deferred;
        self.tally.ok += round.ok;
        self.tally.failed += round.failed;
        self.tally.deferred += round.deferred;
        Ok(())
    }

    async fn finish_task<C: GenericClient + Sync>(&self, db: &C) -> Result<(), AgentError> {
        if let Some(task) = self.task {
            db.execute(
                "UPDATE qbsync.task SET entities_done = entities_total, heartbeat_at = now() WHERE id = $1",
                &[&task],
            )
            .await?;
        }
        Ok(())
    }
}

/// The tables of an `update` task, without those that are incoming-only for the company.
async fn task_entities(
    db: &Client,
    company: i64,
    task: i64,
) -> Result<Vec<&'static QbdEntity>, AgentError> {
    let names: Vec<String> = db
        .query_one("SELECT entities FROM qbsync.task WHERE id = $1", &[&task])
        .await?
        .get(0);
    let incoming: Vec<String> = db
        .query(
            "SELECT entity FROM qbsync.sync_table WHERE company_id = $1 AND direction = 'incoming'",
            &[&company],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let wanted: Vec<&'static QbdEntity> = names.iter().filter_map(|n| qbd_entity(n)).collect();
    Ok(QBD_ENTITIES
        .iter()
        .filter(|e| wanted.iter().any(|w| w.name == e.name))
        .filter(|e| {
            let skip = incoming.iter().any(|i| *i == e.sql_name());
            if skip {
                info!(
                    entity = e.name,
                    "skipped: the table is incoming-only for this company"
                );
            }
            !skip
        })
        .collect())
}

/// The rows (of every Desktop table) whose push went out in message set `set`.
async fn set_rows<C: GenericClient + Sync>(
    db: &C,
    company: i64,
    set: &str,
) -> Result<Vec<Row>, AgentError> {
    let sql = union_all(|e| {
        format!(
            "SELECT '{table}'::text, t.local_id, to_jsonb(t) FROM {QBD_SCHEMA}.{table} t \
             WHERE t.company_id = $1 AND t.linked AND t.request_id = $2 AND t.sync_status IN ('pending', 'sending')",
            table = e.table
        )
    });
    let mut rows = Vec::new();
    for r in db.query(&sql, &[&company, &set]).await? {
        let table: String = r.get(0);
        if let Some(e) = qbd_entity(&table) {
            rows.push(Row::new(e, r.get(1), r.get(2)));
        }
    }
    Ok(rows)
}

/// Claims the row of `stale` into message set `set` when it is still waiting for that update
/// (pending, not in another set): the row as it is now, None when the application changed it.
async fn claim_stale<C: GenericClient + Sync>(
    db: &C,
    company: i64,
    stale: &Row,
    set: &str,
) -> Result<Option<Row>, AgentError> {
    let t = stale.entity.qualified_table();
    let row = db
        .query_opt(
            &format!(
                "UPDATE {t} t SET sync_status = 'sending', request_id = $3 \
                 WHERE t.company_id = $1 AND t.local_id = $2 AND t.linked AND t.sync_status = 'pending' \
                   AND t.request_id IS NULL AND t.operation = 'update' \
                 RETURNING to_jsonb(t)"
            ),
            &[&company, &stale.local_id, &set],
        )
        .await?;
    Ok(row.map(|r| Row::new(stale.entity, stale.local_id, r.get(0))))
}

/// The line rows of `r`, per line table of its entity, in line order.
async fn line_rows<C: GenericClient + Sync>(
    db: &C,
    r: &Row,
) -> Result<Vec<(&'static str, Vec<Map<String, Value>>)>, AgentError> {
    let mut out = Vec::new();
    for l in r.entity.lines {
        let rows = db
            .query(
                &format!(
                    "SELECT to_jsonb(l) FROM {} l WHERE l.{}_local_id = $1 ORDER BY l.line_num",
                    l.qualified_table(),
                    r.entity.table
                ),
                &[&r.local_id],
            )
            .await?;
        let lines = rows
            .iter()
            .filter_map(|x| match x.get::<_, Value>(0) {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .collect();
        out.push((l.table, lines));
    }
    Ok(out)
}

/// Whether the row's `data` holds item group lines, which have no line table (a Mod sending
/// lines would drop them).
fn has_group_lines(r: &Row) -> bool {
    match r.row.get("data") {
        Some(Value::Object(data)) => data.iter().any(|(k, v)| {
            k.ends_with("LineGroupRet")
                && match v {
                    Value::Array(a) => !a.is_empty(),
                    Value::Null => false,
                    _ => true,
                }
        }),
        _ => false,
    }
}

/// The requests carrying out `r`'s operation; Err(reason) when it cannot be sent.
async fn build<C: GenericClient + Sync>(
    db: &C,
    r: &mut Row,
) -> Result<Result<Vec<Element>, String>, AgentError> {
    let e = r.entity;
    let key = r.key();
    let Some(op) = r.op else {
        return Ok(Err(format!(
            "operation {:?} is not one QuickBooks Desktop can carry out (add, update, refresh, void or delete)",
            r.operation
        )));
    };
    if op != Op::Add && r.qb_id().is_none() {
        return Ok(Err(format!(
            "the row has no {} yet, so it cannot be {}; use operation = 'add' to create it in QuickBooks first",
            e.key_element(),
            op.done()
        )));
    }
    let id = r.qb_id().unwrap_or_default().to_string();
    let built = match op {
        Op::Add => {
            let lines = line_rows(db, r).await?;
            let sets: Vec<LineRows<'_>> = lines
                .iter()
                .map(|(table, rows)| LineRows { table, rows })
                .collect();
            add_rq(e, &key, &r.row, &sets).map(|q| vec![q])
        }
        Op::Update => {
            let lines = if e.lines.is_empty() {
                Vec::new()
            } else if has_group_lines(r) {
                r.note = Some(
                    "lines were not sent: the transaction has item group lines, which qbsync does not send back; change its lines in QuickBooks"
                        .into(),
                );
                Vec::new()
            } else {
                line_rows(db, r).await?
            };
            let sets: Vec<LineRows<'_>> = lines
                .iter()
                .map(|(table, rows)| LineRows { table, rows })
                .collect();
            mod_rq(e, &key, &r.row, &sets).map(|q| vec![q])
        }
        Op::Refresh => lookup_rq(e, &key, Lookup::Ids(&[id.as_str()])).map(|q| vec![q]),
        // The void answer has no record: the transaction is read again right after it.
        Op::Void => txn_void_rq(e, &key, &id).and_then(|v| {
            lookup_rq(e, &format!("{key}{FOLLOW_UP}"), Lookup::Ids(&[id.as_str()]))
                .map(|q| vec![v, q])
        }),
        Op::Delete => delete_rq(e, &key, &id).map(|q| vec![q]),
    };
    Ok(built.map_err(|err| err.to_string()))
}

fn follow_up<'a>(by_id: &HashMap<&str, &'a Response>, r: &Row) -> Option<&'a Response> {
    by_id
        .get(format!("{}{FOLLOW_UP}", r.key()).as_str())
        .copied()
}

fn status_detail(rs: &Response) -> Value {
    json!({
        "requestID": rs.request_id,
        "request": rs.request_type(),
        "statusCode": rs.status_code,
        "statusSeverity": match &rs.status_severity {
            Severity::Info => "Info".to_string(),
            Severity::Warn => "Warn".to_string(),
            Severity::Error => "Error".to_string(),
            Severity::Other(s) => s.clone(),
        },
        "statusMessage": rs.status_message,
    })
}

/// The record an answer without a `*Ret` identifies (ErrorRecovery, or a void's own fields).
fn keys_of(r: &Row, rs: &Response) -> Value {
    let mut m = Map::new();
    if let Some(er) = &rs.error_recovery {
        for (k, v) in [
            ("ListID", &er.list_id),
            ("TxnID", &er.txn_id),
            ("TxnNumber", &er.txn_number),
            ("EditSequence", &er.edit_sequence),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), Value::String(v.clone()));
            }
        }
    }
    for k in ["TxnID", "ListID", "TimeModified"] {
        if let Some(v) = rs.element.child_text(k) {
            m.entry(k.to_string())
                .or_insert_with(|| Value::String(v.to_string()));
        }
    }
    if !m.contains_key(r.entity.key_element()) {
        if let Some(id) = r.qb_id() {
            m.insert(r.entity.key_element().into(), Value::String(id.into()));
        }
    }
    Value::Object(m)
}

/// What one answer means for its row (`follow` is the re-read after a void).
fn outcome(r: &Row, rs: &Response, follow: Option<&Response>) -> Outcome {
    if rs.is_error() {
        return refusal(r, rs);
    }
    let code = rs.status_code.unwrap_or_default();
    let warning = (code != 0).then(|| format!("{code}: {}", rs.status_message.trim_end()));
    let message = match (&r.note, warning) {
        (Some(n), Some(w)) => Some(format!("{n}; QuickBooks: {w}")),
        (Some(n), None) => Some(n.clone()),
        (None, w) => w,
    };
    let whole = |ret: &Element, message: Option<String>| Outcome::Done {
        object: ret_to_json(ret),
        whole: true,
        message,
        detail: None,
    };
    match r.op {
        Some(Op::Add) | Some(Op::Update) => match rs.ret() {
            Some(ret) => whole(ret, message),
            None => Outcome::Done {
                object: keys_of(r, rs),
                whole: false,
                message,
                detail: None,
            },
        },
        // 1 (no match) or 500 (the named record could not be found): gone from QuickBooks.
        Some(Op::Refresh) => match rs.ret() {
            Some(ret) => whole(ret, None),
            None => Outcome::Deleted {
                message: Some("no longer in QuickBooks: it was deleted there".into()),
            },
        },
        Some(Op::Void) => match follow.filter(|f| !f.is_error()).and_then(Response::ret) {
            Some(ret) => whole(ret, message),
            None => Outcome::Done {
                object: keys_of(r, rs),
                whole: false,
                message: Some("voided; QuickBooks' voided copy could not be read back: set operation = 'refresh' to read it".into()),
                detail: None,
            },
        },
        Some(Op::Delete) => Outcome::Deleted { message },
        None => failed("qbsync", "unexpected answer for an operation that was not sent"),
    }
}

/// What an error answer means for its row.
fn refusal(r: &Row, rs: &Response) -> Outcome {
    let code = rs.status_code.unwrap_or(-1);
    let text = rs.status_message.trim_end();
    if RETRY_LATER.contains(&code) {
        return Outcome::Deferred(format!(
            "QuickBooks could not save it now ({code}: {text}); it is sent again at the next Web Connector session"
        ));
    }
    let own = r
        .qb_id()
        .is_some_and(|id| text.contains(&format!("\"{id}\"")));
    if code == 3120 && own && r.op == Some(Op::Delete) {
        return Outcome::Deleted {
            message: Some("was already deleted in QuickBooks".into()),
        };
    }
    let hint = match code {
        3100 => " (choose another name, then set operation again)",
        3120 if own => " (the record is no longer in QuickBooks: it was deleted there; set operation = 'refresh' to remove this row)",
        3120 | 3140 => " (a record this row refers to is not in QuickBooks: add it or correct the reference, then set operation again)",
        3200 => " (the row is older than QuickBooks' copy, which a QuickBooks user changed: set operation = 'refresh' to take QuickBooks' version, then reapply your change)",
        3210 => " (correct the value, then set operation again)",
        3250 => " (this QuickBooks edition or its preferences do not allow it)",
        3260 | 3261 => " (the QuickBooks user the Web Connector logs in as lacks the permission)",
        _ => "",
    };
    Outcome::Failed {
        code: code.to_string(),
        message: format!("QuickBooks error {code}: {text}{hint}"),
        detail: status_detail(rs),
    }
}

/// A stale EditSequence (3200): a QuickBooks user changed the record after the row was read.
/// `quickbooks_wins` re-reads it (the change is discarded, kept in the result's detail);
/// `postgres_wins` has QuickBooks' copy read and the Mod sent once more with its EditSequence
/// (reported when that is stale again); `report` leaves a row error naming the conflict. Also
/// turns the answer to a `postgres_wins` resend into the result naming what was overwritten.
fn settle(policy: &str, r: &Row, o: &Outcome) -> Option<Outcome> {
    if let (
        Some(c),
        Outcome::Done {
            object,
            whole,
            message,
            ..
        },
    ) = (&r.conflict, o)
    {
        let text = match message {
            Some(m) => format!("{}; {m}", c.message()),
            None => c.message(),
        };
        return Some(Outcome::Done {
            object: object.clone(),
            whole: *whole,
            message: Some(text),
            detail: Some(c.detail(r.op_name())),
        });
    }
    let Outcome::Failed {
        code,
        message,
        detail,
    } = o
    else {
        return None;
    };
    if code != "3200" || !matches!(r.op, Some(Op::Update | Op::Void | Op::Delete)) {
        return None;
    }
    let sequence = r.edit_sequence();
    if policy == "quickbooks_wins" {
        let mut discarded = r.row.clone();
        for k in [
            "data",
            "sync_status",
            "sync_message",
            "request_id",
            "synced_at",
        ] {
            discarded.remove(k);
        }
        return Some(Outcome::Reread {
            message: format!(
                "conflict: QuickBooks version kept (a QuickBooks user changed it after the row was read; the row's {} with EditSequence {sequence} was discarded, see sync_result.detail)",
                r.op_name()
            ),
            detail: json!({
                "policy": "quickbooks_wins",
                "operation": r.op_name(),
                "row_edit_sequence": sequence,
                "quickbooks": detail,
                "discarded": discarded,
            }),
        });
    }
    // Only a Mod carries an EditSequence to renew (void and delete send none).
    if policy == "postgres_wins" && r.op == Some(Op::Update) {
        let Some(c) = &r.conflict else {
            return Some(Outcome::Overwrite {
                message: format!(
                    "conflict: a QuickBooks user changed this record after the row was read (row EditSequence {sequence}); postgres_wins: QuickBooks' EditSequence is read and the change sent again"
                ),
                refusal: detail.clone(),
            });
        };
        // Sent once more already: a QuickBooks user changed it again meanwhile.
        return Some(Outcome::Failed {
            code: code.clone(),
            message: format!(
                "{message}; conflict: a QuickBooks user changed this record after the row was read (row EditSequence {}); postgres_wins sent the change once more with QuickBooks' EditSequence {} and QuickBooks changed again meanwhile; nothing was overwritten and the row keeps your change (set operation again to retry)",
                c.row_edit_sequence, c.quickbooks_edit_sequence
            ),
            detail: json!({
                "policy": "postgres_wins",
                "operation": r.op_name(),
                "row_edit_sequence": c.row_edit_sequence,
                "quickbooks_edit_sequence": c.quickbooks_edit_sequence,
                "quickbooks": detail,
                "first_refusal": c.refusal,
            }),
        });
    }
    Some(Outcome::Failed {
        code: code.clone(),
        message: format!(
            "{message}; conflict: a QuickBooks user changed this record after the row was read (row EditSequence {sequence}, QuickBooks holds a newer one); nothing was overwritten and the row keeps your change"
        ),
        detail: detail.clone(),
    })
}

/// The stored answer of a `postgres_wins` resend, recovered by a status check after the agent
/// stopped: what QuickBooks held before died with the agent, so the result says the change was
/// written over a QuickBooks user's without their values.
fn recovered_overwrite(o: Outcome) -> Outcome {
    match o {
        Outcome::Done {
            object,
            whole,
            message,
            detail,
        } => {
            let text = "conflict: Postgres version written over QuickBooks change (postgres_wins; its answer was recovered after the agent stopped, so the QuickBooks values it replaced were not recorded)";
            Outcome::Done {
                object,
                whole,
                message: Some(match message {
                    Some(m) => format!("{text}; {m}"),
                    None => text.to_string(),
                }),
                detail: Some(
                    detail
                        .unwrap_or_else(|| json!({"policy": "postgres_wins", "overwritten": null})),
                ),
            }
        }
        other => other,
    }
}

/// Rewrites the line tables of row `local_id` from its `data`.
async fn rewrite_lines<C: GenericClient + Sync>(
    db: &C,
    entity: &QbdEntity,
    local_id: i64,
) -> Result<(), tokio_postgres::Error> {
    if entity.lines.is_empty() {
        return Ok(());
    }
    db.execute(&format!("TRUNCATE {UPSERTED_TABLE}"), &[])
        .await?;
    db.execute(
        &format!("INSERT INTO {UPSERTED_TABLE} (local_id, inserted) VALUES ($1, false)"),
        &[&local_id],
    )
    .await?;
    for (delete, insert) in &qbd_upsert_sql(QBD_SCHEMA, entity).children {
        db.execute(delete.as_str(), &[]).await?;
        db.execute(insert.as_str(), &[]).await?;
    }
    Ok(())
}

/// One outgoing `qbsync.sync_result` row.
#[allow(clippy::too_many_arguments)]
async fn log_result<C: GenericClient + Sync>(
    db: &C,
    company: i64,
    r: &Row,
    qb_id: Option<&str>,
    outcome: &str,
    code: Option<&str>,
    message: Option<&str>,
    detail: Option<&Value>,
    task: Option<i64>,
) -> Result<(), tokio_postgres::Error> {
    db.execute(
        "INSERT INTO qbsync.sync_result (task_id, company_id, entity, local_id, qb_id, direction, operation, outcome, code, message, detail) \
         VALUES ($1, $2, $3, $4, $5, 'outgoing', $6, $7, $8, $9, $10)",
        &[&task, &company, &r.entity.sql_name(), &r.local_id, &qb_id, &r.op_name(), &outcome, &code, &message, &detail],
    )
    .await?;
    Ok(())
}

async fn write_back<C: GenericClient + Sync>(
    db: &C,
    company: i64,
    operation_result: bool,
    r: &Row,
    outcome: &Outcome,
    task: Option<i64>,
) -> Result<(), AgentError> {
    let e = r.entity;
    let t = e.qualified_table();
    let key = e.key_column();
    match outcome {
        Outcome::Done {
            object,
            whole,
            message,
            detail,
        } => {
            let qb_id = object
                .get(e.key_element())
                .and_then(Value::as_str)
                .or(r.qb_id())
                .map(str::to_owned);
            let edit_sequence = object.get("EditSequence").and_then(Value::as_str);
            // A refresh may already have brought the new record in as its own row: this row wins.
            if r.op == Some(Op::Add) {
                db.execute(
                    &format!(
                        "DELETE FROM {t} WHERE company_id = $1 AND {key} = $2 AND local_id <> $3 \
                         AND (sync_status IS NULL OR sync_status = 'ok')"
                    ),
                    &[&company, &qb_id, &r.local_id],
                )
                .await?;
            }
            if operation_result || !whole {
                let what: Option<&str> = operation_result.then(|| r.op.map_or("done", Op::done));
                db.execute(
                    &format!(
                        "UPDATE {t} SET {key} = coalesce($2, {key}), edit_sequence = coalesce($3, edit_sequence), \
                         operation = $4, sync_status = 'ok', sync_message = $5, synced_at = now(), request_id = NULL \
                         WHERE local_id = $1"
                    ),
                    &[&r.local_id, &qb_id, &edit_sequence, &what, message],
                )
                .await?;
            } else {
                db.execute(
                    qbd_writeback_sql(QBD_SCHEMA, e).as_str(),
                    &[&r.local_id, object, message],
                )
                .await?;
                rewrite_lines(db, e, r.local_id).await?;
            }
            log_result(
                db,
                company,
                r,
                qb_id.as_deref(),
                "ok",
                None,
                message.as_deref(),
                detail.as_ref(),
                task,
            )
            .await?;
        }
        Outcome::Deleted { message } => {
            if operation_result {
                db.execute(
                    &format!(
                        "UPDATE {t} SET operation = 'deleted', sync_status = 'ok', sync_message = $2, \
                         synced_at = now(), request_id = NULL WHERE local_id = $1"
                    ),
                    &[&r.local_id, message],
                )
                .await?;
            } else {
                db.execute(
                    &format!("DELETE FROM {t} WHERE local_id = $1"),
                    &[&r.local_id],
                )
                .await?;
            }
            log_result(
                db,
                company,
                r,
                r.qb_id(),
                "ok",
                None,
                message.as_deref(),
                None,
                task,
            )
            .await?;
        }
        Outcome::Failed {
            code,
            message,
            detail,
        } => {
            warn!(table = e.table, local_id = r.local_id, code, %message, "QuickBooks refused a row");
            db.execute(
                &format!(
                    "UPDATE {t} SET sync_status = 'error', sync_message = $2, synced_at = now(), request_id = NULL, \
                     operation = CASE WHEN $3 THEN 'error' ELSE operation END WHERE local_id = $1"
                ),
                &[&r.local_id, message, &operation_result],
            )
            .await?;
            let detail = (!detail.is_null()).then_some(detail);
            log_result(
                db,
                company,
                r,
                r.qb_id(),
                "error",
                Some(code.as_str()),
                Some(message.as_str()),
                detail,
                task,
            )
            .await?;
        }
        Outcome::Deferred(message) => {
            info!(table = e.table, local_id = r.local_id, %message, "row left for the next session");
            db.execute(
                &format!(
                    "UPDATE {t} SET sync_status = 'pending', request_id = NULL, sync_message = $2 WHERE local_id = $1"
                ),
                &[&r.local_id, message],
            )
            .await?;
        }
        Outcome::Resend => {
            db.execute(
                &format!(
                    "UPDATE {t} SET sync_status = 'pending', request_id = NULL WHERE local_id = $1"
                ),
                &[&r.local_id],
            )
            .await?;
        }
        Outcome::Reread { message, detail } => {
            info!(
                table = e.table,
                local_id = r.local_id,
                "stale write: QuickBooks' version is kept; re-reading the row"
            );
            db.execute(
                &format!(
                    "UPDATE {t} SET operation = 'refresh', sync_status = 'pending', request_id = NULL, sync_message = $2 \
                     WHERE local_id = $1"
                ),
                &[&r.local_id, message],
            )
            .await?;
            log_result(
                db,
                company,
                r,
                r.qb_id(),
                "ok",
                None,
                Some(message.as_str()),
                Some(detail),
                task,
            )
            .await?;
        }
        Outcome::Overwrite { message, .. } => {
            info!(
                table = e.table,
                local_id = r.local_id,
                "stale update: postgres_wins; reading QuickBooks' EditSequence to send it again"
            );
            // Pending with its old EditSequence until the resend is claimed: a crash before
            // then sends the update again and settles the same way.
            db.execute(
                &format!(
                    "UPDATE {t} SET sync_status = 'pending', request_id = NULL, sync_message = $2 WHERE local_id = $1"
                ),
                &[&r.local_id, message],
            )
            .await?;
        }
        Outcome::Unanswered => {
            db.execute(
                &format!("UPDATE {t} SET sync_message = $2 WHERE local_id = $1"),
                &[
                    &r.local_id,
                    &"sent, but QuickBooks' answer for this row did not arrive; QuickBooks is asked at the next Web Connector session",
                ],
            )
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(op: &str, data: Value) -> Row {
        let e = qbd_entity("Customer").expect("customer");
        Row::new(
            e,
            7,
            json!({"operation": op, "list_id": "80000001-1", "name": "Acme", "data": data}),
        )
    }

    fn rs(xml: &str) -> Response {
        parse_response(&format!("<QBXML><QBXMLMsgsRs>{xml}</QBXMLMsgsRs></QBXML>"))
            .expect("parses")
            .responses
            .remove(0)
    }

    #[test]
    fn set_ids_fit_the_limit_and_differ() {
        let a = new_set_id(SET_PREFIX);
        assert_eq!(a.chars().count(), MAX_MESSAGE_SET_ID);
        assert!(a.starts_with(SET_PREFIX) && is_set_id(&a));
        assert_ne!(a, new_set_id(SET_PREFIX));
        let b = new_set_id(OVERWRITE_PREFIX);
        assert!(b.starts_with(OVERWRITE_PREFIX) && b.chars().count() == MAX_MESSAGE_SET_ID);
        assert!(!is_set_id(&"x".repeat(36)));
    }

    #[test]
    fn status_codes_map_to_row_outcomes() {
        let r = row("update", json!({}));
        assert_eq!(r.key(), "customer.7");
        let lock = rs(
            r#"<CustomerModRs requestID="customer.7" statusCode="3170" statusSeverity="Error" statusMessage="modified by another user" />"#,
        );
        assert!(matches!(outcome(&r, &lock, None), Outcome::Deferred(_)));
        let stale = rs(
            r#"<CustomerModRs requestID="customer.7" statusCode="3200" statusSeverity="Error" statusMessage="The provided edit sequence &quot;1&quot; is out-of-date. " />"#,
        );
        match outcome(&r, &stale, None) {
            Outcome::Failed { code, message, .. } => {
                assert_eq!(code, "3200");
                assert!(message.contains("operation = 'refresh'"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let ok = rs(
            r#"<CustomerModRs requestID="customer.7" statusCode="0" statusSeverity="Info" statusMessage="Status OK"><CustomerRet><ListID>80000001-1</ListID><EditSequence>9</EditSequence><Name>Acme</Name></CustomerRet></CustomerModRs>"#,
        );
        match outcome(&r, &ok, None) {
            Outcome::Done {
                object,
                whole,
                message,
                ..
            } => {
                assert!(whole && message.is_none());
                assert_eq!(object["EditSequence"], json!("9"));
            }
            other => panic!("{other:?}"),
        }
        let gone = rs(
            r#"<CustomerQueryRs requestID="customer.7" statusCode="500" statusSeverity="Warn" statusMessage="not found" />"#,
        );
        assert!(matches!(
            outcome(&row("refresh", json!({})), &gone, None),
            Outcome::Deleted { .. }
        ));
        let missing = rs(
            r#"<ListDelRs requestID="customer.7" statusCode="3120" statusSeverity="Error" statusMessage="Object &quot;80000001-1&quot; specified in the request cannot be found.  QuickBooks error message: Invalid argument." />"#,
        );
        assert!(matches!(
            outcome(&row("delete", json!({})), &missing, None),
            Outcome::Deleted { .. }
        ));
        let dup = rs(
            r#"<CustomerAddRs requestID="customer.7" statusCode="3100" statusSeverity="Error" statusMessage="The name &quot;Acme&quot; of the list element is already in use." />"#,
        );
        assert!(matches!(
            outcome(&row("add", json!({})), &dup, None),
            Outcome::Failed { code, .. } if code == "3100"
        ));
    }

    #[test]
    fn answers_without_a_record_keep_the_keys_error_recovery_gives() {
        let r = row("add", json!({}));
        let answer = rs(
            r#"<CustomerAddRs requestID="customer.7" statusCode="0" statusSeverity="Info" statusMessage="Status OK"><ErrorRecovery><ListID>80000009-2</ListID><EditSequence>5</EditSequence></ErrorRecovery></CustomerAddRs>"#,
        );
        match outcome(&r, &answer, None) {
            Outcome::Done { object, whole, .. } => {
                assert!(!whole);
                assert_eq!(object["ListID"], json!("80000009-2"));
                assert_eq!(object["EditSequence"], json!("5"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn postgres_wins_rereads_then_resends_once() {
        let stale = rs(
            r#"<CustomerModRs requestID="customer.7" statusCode="3200" statusSeverity="Error" statusMessage="The provided edit sequence &quot;1&quot; is out-of-date. " />"#,
        );
        let mut r = row("update", json!({}));
        r.row.insert("edit_sequence".into(), json!("1"));
        let refused = outcome(&r, &stale, None);
        // First refusal: read QuickBooks' copy and send again.
        match settle("postgres_wins", &r, &refused) {
            Some(Outcome::Overwrite { message, refusal }) => {
                assert!(message.contains("row EditSequence 1"), "{message}");
                assert_eq!(refusal["statusCode"], json!(3200));
            }
            other => panic!("{other:?}"),
        }
        // report and other operations are untouched by the policy.
        assert!(matches!(
            settle("report", &r, &refused),
            Some(Outcome::Failed { .. })
        ));
        let void = row("void", json!({}));
        assert!(matches!(
            settle("postgres_wins", &void, &outcome(&void, &stale, None)),
            Some(Outcome::Failed { .. })
        ));
        // The resend carries what it overwrites.
        r.conflict = Some(Conflict {
            row_edit_sequence: "1".into(),
            quickbooks_edit_sequence: "5".into(),
            changed_at: "2024-07-19T07:21:56-05:00".into(),
            refusal: json!({"statusCode": 3200}),
            current: json!({"ListID": "80000001-1", "CompanyName": "Theirs"}),
        });
        r.row.insert("edit_sequence".into(), json!("5"));
        let ok = rs(
            r#"<CustomerModRs requestID="customer.7" statusCode="0" statusSeverity="Info" statusMessage="Status OK"><CustomerRet><ListID>80000001-1</ListID><EditSequence>6</EditSequence><Name>Acme</Name></CustomerRet></CustomerModRs>"#,
        );
        match settle("postgres_wins", &r, &outcome(&r, &ok, None)) {
            Some(Outcome::Done {
                message, detail, ..
            }) => {
                assert!(message
                    .unwrap_or_default()
                    .starts_with("conflict: Postgres version written over QuickBooks change"));
                let detail = detail.expect("detail");
                assert_eq!(detail["overwritten"]["CompanyName"], json!("Theirs"));
                assert_eq!(detail["quickbooks_edit_sequence"], json!("5"));
                assert_eq!(detail["row_edit_sequence"], json!("1"));
            }
            other => panic!("{other:?}"),
        }
        // Stale again: reported, never a third send.
        match settle("postgres_wins", &r, &outcome(&r, &stale, None)) {
            Some(Outcome::Failed { code, message, .. }) => {
                assert_eq!(code, "3200");
                assert!(
                    message.contains("postgres_wins sent the change once more"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn group_lines_are_detected() {
        assert!(has_group_lines(&row(
            "update",
            json!({"InvoiceLineGroupRet": [{"TxnLineID": "1"}]})
        )));
        assert!(!has_group_lines(&row(
            "update",
            json!({"InvoiceLineRet": [{"TxnLineID": "1"}]})
        )));
    }
}
