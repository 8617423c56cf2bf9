//! Writing the outcome of a push back on the row and in `qbsync.sync_result`.

use super::{Claimed, Operation, Outcome};
use crate::error::AgentError;
use crate::qbo::FaultError;
use crate::sync::{stage, Company};
use qbsync_catalog::{writeback_sql, Entity, QBO_SCHEMA};
use serde_json::{json, Value};

pub(super) enum Written {
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
    /// Detail of an `ok` row (a settled conflict's losing values).
    detail: Option<&'a Value>,
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
        detail: ok_detail,
    } = r;
    let (outcome, code, msg, detail) = match fault {
        Some((f, all)) => (
            "error",
            Some(f.code.clone()),
            Some(f.text()),
            Some(json!(all.iter().map(|e| json!({"code": e.code, "message": e.message, "detail": e.detail, "element": e.element})).collect::<Vec<_>>())),
        ),
        None => ("ok", None, message.map(str::to_owned), ok_detail.cloned()),
    };
    tx.execute(
        "INSERT INTO qbsync.sync_result (task_id, company_id, entity, local_id, qb_id, direction, operation, outcome, code, message, detail) \
         VALUES ($1, $2, $3, $4, $5, 'outgoing', $6, $7, $8, $9, $10)",
        &[&task, &company.id, &entity.name, &c.local_id, &qb_id, &operation, &outcome, &code, &msg, &detail],
    )
    .await?;
    Ok(())
}

pub(super) async fn write_back(
    tx: &tokio_postgres::Transaction<'_>,
    company: &Company,
    entity: &Entity,
    c: &Claimed,
    outcome: &Outcome,
    task: Option<i64>,
) -> Result<Written, AgentError> {
    let t = format!("{QBO_SCHEMA}.{}", entity.table);
    let op_result = company.operation_result;
    // A settled conflict is written as a success; its detail goes to sync_result.
    let settled = match outcome {
        Outcome::Done {
            object,
            what,
            message,
        } => Some((object, *what, message.as_deref(), None)),
        Outcome::Conflict {
            object,
            what,
            message,
            detail,
        } => Some((object, *what, Some(message.as_str()), Some(detail))),
        _ => None,
    };
    if let Some((object, what, message, detail)) = settled {
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
                    &[&c.local_id, &qb_id, &token, &what, &message],
                )
                .await?;
        } else {
            tx.execute(
                writeback_sql(QBO_SCHEMA, entity).as_str(),
                &[&c.local_id, object, &message],
            )
            .await?;
            stage::rewrite_children(tx, entity, c.local_id).await?;
        }
        let op = match what {
            "deactivated" => "deactivate",
            "linked" => "link",
            _ => c.op.as_str(),
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
                message,
                detail,
            },
            task,
        )
        .await?;
        return Ok(Written::Ok);
    }
    match outcome {
        Outcome::Done { .. } | Outcome::Conflict { .. } => Ok(Written::Ok),
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
                detail: None,
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
                detail: None,
            };
            log_result(tx, company, entity, c, row, task).await?;
            Ok(Written::Failed)
        }
        Outcome::Blocked(reason) => {
            // The requestid stays: if an earlier attempt did reach QuickBooks, a resend replays it.
            tx.execute(
                &format!("UPDATE {t} SET sync_status = 'pending', sync_message = $2 WHERE local_id = $1"),
                &[
                    &c.local_id,
                    &format!("waiting: the company must be reconnected to QuickBooks before this row can be sent: {reason}"),
                ],
            )
            .await?;
            Ok(Written::Deferred)
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
