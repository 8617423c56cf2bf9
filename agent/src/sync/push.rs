//! Push: rows whose `operation` is set go to QuickBooks, and the outcome is written back on the
//! row and in `qbsync.sync_result`.
//!
//! Exactly once: a row is marked `sending` with its `request_id` committed before the request
//! leaves. A row found `sending` at claim time is one whose answer never arrived (crash, network
//! loss): it is sent alone, with its own requestid so QuickBooks can replay its first answer,
//! and, for an add, only after a query by its natural key shows QuickBooks does not have it yet
//! (real QuickBooks is reported to be unreliable about requestid).

use super::{query_literal, stage, Company, CompanyCtx};
use crate::error::AgentError;
use crate::qbo::{FaultError, QboError};
use qbsync_catalog::{
    body_from_row, child_parent_column, writeback_sql, Entity, VoidStyle, QBO_SCHEMA,
};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::time::Instant;
use tracing::{info, instrument, warn};

/// QuickBooks accepts at most 30 items in one batch.
const BATCH_MAX: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Add,
    Update,
    Refresh,
    Void,
    Delete,
}

impl Operation {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "add" => Operation::Add,
            "update" => Operation::Update,
            "refresh" => Operation::Refresh,
            "void" => Operation::Void,
            "delete" => Operation::Delete,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Operation::Add => "add",
            Operation::Update => "update",
            Operation::Refresh => "refresh",
            Operation::Void => "void",
            Operation::Delete => "delete",
        }
    }
}

/// A row claimed for pushing.
#[derive(Debug)]
struct Claimed {
    local_id: i64,
    row: Map<String, Value>,
    lines: Option<Vec<Map<String, Value>>>,
    op: Operation,
    request_id: String,
    /// A previous push of this row may have reached QuickBooks without its answer reaching us.
    recovering: bool,
}

impl Claimed {
    fn qb_id(&self) -> Option<&str> {
        self.row.get("id").and_then(Value::as_str)
    }

    fn id_and_token(&self) -> Value {
        json!({"Id": self.qb_id().unwrap_or_default(), "SyncToken": self.row.get("sync_token").and_then(Value::as_str).unwrap_or("0")})
    }
}

/// What QuickBooks did with one row.
#[derive(Debug)]
enum Outcome {
    /// The object as QuickBooks now has it; `what` is the past tense shown to the user.
    Done {
        object: Value,
        what: &'static str,
        message: Option<String>,
    },
    /// A transaction that no longer exists in QuickBooks.
    Deleted { message: Option<String> },
    /// QuickBooks refused: the row keeps the user's version, with the reason.
    Failed(FaultError, Vec<FaultError>),
    /// No definitive answer (network, throttled past retries, service down): try again later.
    Unknown(String),
}

/// Counts of one push round.
#[derive(Debug, Default, Clone, Copy)]
pub struct PushSummary {
    pub ok: i64,
    pub failed: i64,
    /// Rows left for a later attempt because QuickBooks gave no definitive answer.
    pub deferred: i64,
}

/// Pushes every pending row of `entity`, 30 at a time, until none is left or QuickBooks stops
/// answering definitively.
#[instrument(skip_all, fields(company = %ctx.company.name, entity = entity.name))]
pub async fn push_entity(
    ctx: &mut CompanyCtx,
    entity: &'static Entity,
    task: Option<i64>,
) -> Result<PushSummary, AgentError> {
    let mut summary = PushSummary::default();
    loop {
        ctx.check_shutdown()?;
        let claimed = claim(ctx, entity).await?;
        if claimed.is_empty() {
            return Ok(summary);
        }
        let (mut single, mut batchable): (Vec<Claimed>, Vec<Claimed>) =
            claimed.into_iter().partition(|c| {
                c.recovering
                    || c.op == Operation::Refresh
                    || (c.op == Operation::Void && entity.void == VoidStyle::OperationVoid)
            });
        if batchable.len() == 1 {
            single.append(&mut batchable);
        }
        let mut outcomes: Vec<(Claimed, Outcome)> = Vec::new();
        for c in single {
            let started = Instant::now();
            let outcome = push_one(ctx, entity, &c).await;
            info!(
                local_id = c.local_id,
                op = c.op.as_str(),
                ms = started.elapsed().as_millis() as u64,
                "pushed"
            );
            outcomes.push((c, outcome));
        }
        if !batchable.is_empty() {
            let results = push_batch(ctx, entity, &batchable).await;
            outcomes.extend(batchable.into_iter().zip(results));
        }
        let company = ctx.company.clone();
        let tx = ctx.db.transaction().await?;
        let mut round = PushSummary::default();
        for (c, outcome) in &outcomes {
            match write_back(&tx, &company, entity, c, outcome, task).await? {
                Written::Ok => round.ok += 1,
                Written::Failed => round.failed += 1,
                Written::Deferred => round.deferred += 1,
            }
        }
        crate::tasks::progress(&tx, task, round.ok + round.failed, round.failed as i32).await?;
        tx.commit().await?;
        summary.ok += round.ok;
        summary.failed += round.failed;
        summary.deferred += round.deferred;
        if round.deferred > 0 {
            warn!(
                deferred = round.deferred,
                "QuickBooks gave no answer for some rows; they will be retried"
            );
            return Ok(summary);
        }
    }
}

/// Claims up to 30 pending rows (SKIP LOCKED), marks them `sending` and gives each a requestid,
/// committed before any request is sent.
async fn claim(ctx: &mut CompanyCtx, entity: &Entity) -> Result<Vec<Claimed>, AgentError> {
    let t = format!("{QBO_SCHEMA}.{}", entity.table);
    let tx = ctx.db.transaction().await?;
    let rows = tx
        .query(
            &format!(
                "SELECT t.local_id, to_jsonb(t), t.sync_status = 'sending' FROM {t} t \
                 WHERE t.company_id = $1 AND t.sync_status IN ('pending', 'sending') AND t.operation IS NOT NULL \
                 ORDER BY t.local_id LIMIT $2 FOR UPDATE SKIP LOCKED"
            ),
            &[&ctx.company.id, &BATCH_MAX],
        )
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    let rids: HashMap<i64, String> = tx
        .query(
            &format!(
                "UPDATE {t} SET sync_status = 'sending', request_id = coalesce(request_id, gen_random_uuid()::text) \
                 WHERE local_id = ANY($1) RETURNING local_id, request_id"
            ),
            &[&ids],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut lines: HashMap<i64, Vec<Map<String, Value>>> = HashMap::new();
    if let Some(child) = entity.children.first() {
        let pc = child_parent_column(entity);
        for r in tx
            .query(
                &format!("SELECT l.{pc}, to_jsonb(l) FROM {QBO_SCHEMA}.{} l WHERE l.{pc} = ANY($1) ORDER BY l.{pc}, l.line_num", child.table),
                &[&ids],
            )
            .await?
        {
            if let Value::Object(m) = r.get::<_, Value>(1) {
                lines.entry(r.get(0)).or_default().push(m);
            }
        }
    }
    tx.commit().await?;
    let mut claimed = Vec::new();
    for r in rows {
        let local_id: i64 = r.get(0);
        let Value::Object(row) = r.get::<_, Value>(1) else {
            continue;
        };
        let op_text = row
            .get("operation")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Some(op) = Operation::parse(&op_text) else {
            // Only the agent's own outcome words can be here without passing the trigger.
            ctx.db
                .execute(
                    &format!("UPDATE {t} SET sync_status = 'ok' WHERE local_id = $1"),
                    &[&local_id],
                )
                .await?;
            continue;
        };
        claimed.push(Claimed {
            local_id,
            op,
            request_id: rids.get(&local_id).cloned().unwrap_or_default(),
            recovering: r.get(2),
            lines: lines.remove(&local_id),
            row,
        });
    }
    Ok(claimed)
}

fn failure(e: QboError) -> Outcome {
    match e {
        QboError::Fault { errors, .. } if !errors.is_empty() => {
            Outcome::Failed(errors[0].clone(), errors)
        }
        other if other.is_transient() => Outcome::Unknown(other.to_string()),
        other => Outcome::Failed(
            FaultError {
                code: "qbsync".into(),
                message: other.to_string(),
                detail: String::new(),
                element: None,
            },
            vec![],
        ),
    }
}

fn is_already_deleted(f: &FaultError) -> bool {
    f.code == "610" && f.detail.contains("deleted")
}

/// The body sent for an add or an update of `c`.
fn entity_body(entity: &Entity, c: &Claimed) -> Value {
    let mut body = body_from_row(entity, &c.row, c.lines.as_deref());
    if c.op == Operation::Update {
        if let (Value::Object(b), Value::Object(keys)) = (&mut body, c.id_and_token()) {
            b.extend(keys);
            b.insert("sparse".into(), Value::Bool(true));
        }
    }
    body
}

/// Looks for a record an earlier, unanswered add of `c` may have created.
async fn find_by_natural_key(
    ctx: &CompanyCtx,
    entity: &Entity,
    c: &Claimed,
) -> Result<Option<Value>, QboError> {
    let Some(key) = entity.natural_key else {
        return Ok(None);
    };
    let body = body_from_row(entity, &c.row, None);
    let Some(value) = body.get(key).and_then(Value::as_str) else {
        return Ok(None);
    };
    let active = if entity.is_name_list() {
        " AND Active IN (true,false)"
    } else {
        ""
    };
    let q = format!(
        "SELECT * FROM {} WHERE {key} = {}{active} MAXRESULTS 2",
        entity.name,
        query_literal(value)
    );
    let page = ctx.qbo.query(&q).await?;
    let (objects, _) = page.objects(entity.name)?;
    if objects.len() != 1 {
        return Ok(None);
    }
    serde_json::from_str(objects[0].get())
        .map(Some)
        .map_err(|e| QboError::Decode(e.to_string()))
}

/// Answer-less attempts at one create before leaving it for a later round.
const CREATE_ATTEMPTS: u32 = 4;

/// Creates `c` once: after a failure without an answer (the create may have been applied),
/// QuickBooks is asked by natural key before the same request (same requestid) is sent again.
async fn add_once(ctx: &CompanyCtx, entity: &Entity, c: &Claimed) -> Outcome {
    let body = entity_body(entity, c);
    let mut look_first = c.recovering;
    let mut attempt = 0;
    loop {
        if look_first {
            match find_by_natural_key(ctx, entity, c).await {
                Ok(Some(object)) => {
                    return Outcome::Done {
                        object,
                        what: "added",
                        message: Some("already in QuickBooks from an earlier attempt whose answer was lost; linked to it".into()),
                    }
                }
                Ok(None) => {}
                Err(e) => return failure(e),
            }
        }
        match ctx.qbo.create(entity.resource, &body, &c.request_id).await {
            Ok(object) => {
                return Outcome::Done {
                    object,
                    what: "added",
                    message: None,
                }
            }
            Err(e) if e.is_transient() && attempt + 1 < CREATE_ATTEMPTS => {
                attempt += 1;
                warn!(local_id = c.local_id, error = %e, attempt, "create not confirmed; checking QuickBooks before sending it again");
                tokio::time::sleep(std::time::Duration::from_millis(250 << attempt)).await;
                look_first = true;
            }
            Err(e) => return failure(e),
        }
    }
}

/// How QuickBooks is asked to apply a write (everything but add's body and refresh).
struct WriteRequest {
    /// `operation` of a batch item.
    batch_operation: &'static str,
    /// `optionsData` of a batch item.
    batch_options: Option<&'static str>,
    /// Query parameters of the single-entity call.
    params: &'static [(&'static str, &'static str)],
    body: Value,
}

/// The request for an add, update, void or delete of `c` (reference sheet §3); None for a
/// refresh, which is a read.
fn write_request(entity: &Entity, c: &Claimed) -> Option<WriteRequest> {
    let sparse = |mut b: Value| {
        b["sparse"] = Value::Bool(true);
        b
    };
    let (batch_operation, batch_options, params, body): (
        _,
        _,
        &'static [(&'static str, &'static str)],
        _,
    ) = match c.op {
        Operation::Add => ("create", None, &[], entity_body(entity, c)),
        Operation::Update => ("update", None, &[], entity_body(entity, c)),
        Operation::Void if entity.void == VoidStyle::OperationVoid => {
            ("void", None, &[("operation", "void")], c.id_and_token())
        }
        Operation::Void => (
            "update",
            Some("void"),
            &[("operation", "update"), ("include", "void")],
            sparse(c.id_and_token()),
        ),
        // Name lists cannot be deleted: QuickBooks' delete is deactivation.
        Operation::Refresh => return None,
        Operation::Delete if entity.is_name_list() => {
            let mut b = sparse(c.id_and_token());
            b["Active"] = Value::Bool(false);
            ("update", None, &[], b)
        }
        Operation::Delete => ("delete", None, &[("operation", "delete")], c.id_and_token()),
    };
    Some(WriteRequest {
        batch_operation,
        batch_options,
        params,
        body,
    })
}

/// What a successful answer to `c`'s request means for the row.
fn success(entity: &Entity, c: &Claimed, object: Value) -> Outcome {
    let (what, message) = match c.op {
        Operation::Delete if !entity.is_name_list() => return Outcome::Deleted { message: None },
        Operation::Delete => (
            "deactivated",
            Some(format!(
                "QuickBooks cannot delete a {}; it was made inactive instead",
                entity.name
            )),
        ),
        Operation::Add => ("added", None),
        Operation::Update => ("updated", None),
        Operation::Void => ("voided", None),
        Operation::Refresh => ("refreshed", None),
    };
    Outcome::Done {
        object,
        what,
        message,
    }
}

/// What a refusal means for the row: asking to delete (or re-read) a transaction QuickBooks
/// already deleted is not an error.
fn refusal(entity: &Entity, c: &Claimed, first: FaultError, all: Vec<FaultError>) -> Outcome {
    match c.op {
        Operation::Delete if !entity.is_name_list() && is_already_deleted(&first) => {
            Outcome::Deleted {
                message: Some("was already deleted in QuickBooks".into()),
            }
        }
        Operation::Refresh if is_already_deleted(&first) => Outcome::Deleted {
            message: Some("no longer in QuickBooks: it was deleted there".into()),
        },
        _ => Outcome::Failed(first, all),
    }
}

fn answered(entity: &Entity, c: &Claimed, result: Result<Value, QboError>) -> Outcome {
    match result.map_err(failure) {
        Ok(object) => success(entity, c, object),
        Err(Outcome::Failed(first, all)) => refusal(entity, c, first, all),
        Err(other) => other,
    }
}

async fn push_one(ctx: &CompanyCtx, entity: &Entity, c: &Claimed) -> Outcome {
    match c.op {
        Operation::Add => add_once(ctx, entity, c).await,
        _ => match write_request(entity, c) {
            Some(req) => answered(
                entity,
                c,
                ctx.qbo
                    .write(entity.resource, req.params, &req.body, &c.request_id)
                    .await,
            ),
            None => answered(
                entity,
                c,
                ctx.qbo
                    .read(entity.resource, c.qb_id().unwrap_or_default())
                    .await,
            ),
        },
    }
}

/// Sends rows (writes only: refreshes go alone) as one batch call; items are matched to rows
/// by `bId`.
async fn push_batch(ctx: &CompanyCtx, entity: &Entity, rows: &[Claimed]) -> Vec<Outcome> {
    let items: Vec<Value> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, c)| write_request(entity, c).map(|req| (i, req)))
        .map(|(i, req)| {
            let mut item = json!({"bId": format!("b{i}"), "operation": req.batch_operation, entity.name: req.body});
            if let Some(o) = req.batch_options {
                item["optionsData"] = Value::String(o.into());
            }
            item
        })
        .collect();
    let batch_id = uuid::Uuid::new_v4().to_string();
    let answers = match ctx.qbo.batch(items, &batch_id).await {
        Ok(a) => a,
        Err(e) => return rows.iter().map(|_| failure_clone(&e)).collect(),
    };
    let mut by_bid: HashMap<String, Value> = answers
        .into_iter()
        .filter_map(|a| {
            a.get("bId")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .map(|b| (b, a))
        })
        .collect();
    rows.iter()
        .enumerate()
        .map(|(i, c)| {
            let Some(mut answer) = by_bid.remove(&format!("b{i}")) else {
                return Outcome::Unknown("batch answer has no item for this row".into());
            };
            if let Some(fault) = answer.get("Fault") {
                let errors = crate::qbo::parse_fault_value(fault)
                    .map(|(_, e)| e)
                    .unwrap_or_default();
                return match errors.first() {
                    Some(f) => refusal(entity, c, f.clone(), errors.clone()),
                    None => Outcome::Unknown("batch item fault without errors".into()),
                };
            }
            success(
                entity,
                c,
                answer
                    .get_mut(entity.name)
                    .map(Value::take)
                    .unwrap_or(Value::Null),
            )
        })
        .collect()
}

fn failure_clone(e: &QboError) -> Outcome {
    match e.fault().filter(|_| !e.is_transient()) {
        Some(f) => Outcome::Failed(f.clone(), vec![f.clone()]),
        None => Outcome::Unknown(e.to_string()),
    }
}

enum Written {
    Ok,
    Failed,
    Deferred,
}

/// One outgoing `qbsync.sync_result` row.
struct ResultRow<'a> {
    qb_id: Option<&'a str>,
    operation: &'a str,
    fault: Option<(&'a FaultError, &'a [FaultError])>,
    message: Option<&'a str>,
}

async fn log_result(
    tx: &tokio_postgres::Transaction<'_>,
    company: &Company,
    entity: &Entity,
    c: &Claimed,
    r: ResultRow<'_>,
    task: Option<i64>,
) -> Result<(), tokio_postgres::Error> {
    let ResultRow {
        qb_id,
        operation,
        fault,
        message,
    } = r;
    let (outcome, code, msg, detail) = match fault {
        Some((f, all)) => (
            "error",
            Some(f.code.clone()),
            Some(f.text()),
            Some(json!(all.iter().map(|e| json!({"code": e.code, "message": e.message, "detail": e.detail, "element": e.element})).collect::<Vec<_>>())),
        ),
        None => ("ok", None, message.map(str::to_owned), None),
    };
    tx.execute(
        "INSERT INTO qbsync.sync_result (task_id, company_id, entity, local_id, qb_id, direction, operation, outcome, code, message, detail) \
         VALUES ($1, $2, $3, $4, $5, 'outgoing', $6, $7, $8, $9, $10)",
        &[&task, &company.id, &entity.name, &c.local_id, &qb_id, &operation, &outcome, &code, &msg, &detail],
    )
    .await?;
    Ok(())
}

async fn write_back(
    tx: &tokio_postgres::Transaction<'_>,
    company: &Company,
    entity: &Entity,
    c: &Claimed,
    outcome: &Outcome,
    task: Option<i64>,
) -> Result<Written, AgentError> {
    let t = format!("{QBO_SCHEMA}.{}", entity.table);
    let op_result = company.operation_result;
    match outcome {
        Outcome::Done {
            object,
            what,
            message,
        } => {
            let qb_id = object.get("Id").and_then(Value::as_str);
            let token = object.get("SyncToken").and_then(Value::as_str);
            // A refresh may already have brought the new record in as its own row: this row wins.
            if c.op == Operation::Add {
                tx.execute(
                    &format!("DELETE FROM {t} WHERE company_id = $1 AND id = $2 AND local_id <> $3 AND (sync_status IS NULL OR sync_status = 'ok')"),
                    &[&company.id, &qb_id, &c.local_id],
                )
                .await?;
            }
            if op_result {
                tx.execute(
                    &format!(
                        "UPDATE {t} SET id = $2, sync_token = $3, operation = $4, sync_status = 'ok', sync_message = $5, \
                         synced_at = now(), request_id = NULL WHERE local_id = $1"
                    ),
                    &[&c.local_id, &qb_id, &token, what, message],
                )
                .await?;
            } else {
                tx.execute(
                    writeback_sql(QBO_SCHEMA, entity).as_str(),
                    &[&c.local_id, object, message],
                )
                .await?;
                stage::rewrite_children(tx, entity, c.local_id).await?;
            }
            let op = if *what == "deactivated" {
                "deactivate"
            } else {
                c.op.as_str()
            };
            log_result(
                tx,
                company,
                entity,
                c,
                ResultRow {
                    qb_id,
                    operation: op,
                    fault: None,
                    message: message.as_deref(),
                },
                task,
            )
            .await?;
            Ok(Written::Ok)
        }
        Outcome::Deleted { message } => {
            if op_result {
                tx.execute(
                    &format!(
                        "UPDATE {t} SET operation = 'deleted', sync_status = 'ok', sync_message = $2, synced_at = now(), request_id = NULL \
                         WHERE local_id = $1"
                    ),
                    &[&c.local_id, message],
                )
                .await?;
            } else {
                tx.execute(
                    &format!("DELETE FROM {t} WHERE local_id = $1"),
                    &[&c.local_id],
                )
                .await?;
            }
            let row = ResultRow {
                qb_id: c.qb_id(),
                operation: c.op.as_str(),
                fault: None,
                message: message.as_deref(),
            };
            log_result(tx, company, entity, c, row, task).await?;
            Ok(Written::Ok)
        }
        Outcome::Failed(f, all) => {
            let hint = match f.code.as_str() {
                "5010" => " (the row is older than QuickBooks' copy: set operation = 'refresh' to take QuickBooks' version, then reapply your change)",
                "6240" => " (choose another name, then set operation again)",
                _ => "",
            };
            let message = format!("{f}{hint}");
            tx.execute(
                &format!(
                    "UPDATE {t} SET sync_status = 'error', sync_message = $2, synced_at = now(), request_id = NULL, \
                     operation = CASE WHEN $3 THEN 'error' ELSE operation END WHERE local_id = $1"
                ),
                &[&c.local_id, &message, &op_result],
            )
            .await?;
            let row = ResultRow {
                qb_id: c.qb_id(),
                operation: c.op.as_str(),
                fault: Some((f, all)),
                message: None,
            };
            log_result(tx, company, entity, c, row, task).await?;
            Ok(Written::Failed)
        }
        Outcome::Unknown(reason) => {
            // Stays `sending` with its requestid: the next attempt replays it safely.
            tx.execute(
                &format!("UPDATE {t} SET sync_message = $2 WHERE local_id = $1"),
                &[
                    &c.local_id,
                    &format!("not yet confirmed by QuickBooks, will retry: {reason}"),
                ],
            )
            .await?;
            Ok(Written::Deferred)
        }
    }
}
