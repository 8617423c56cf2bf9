//! Claiming pending rows: SKIP LOCKED, marked `sending`, requestid committed before any request.

use super::{Claimed, Operation, BATCH_MAX};
use crate::error::AgentError;
use crate::sync::CompanyCtx;
use qbsync_catalog::{child_parent_column, Entity, QBO_SCHEMA};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Claims up to 30 pending rows (SKIP LOCKED), marks them `sending` and gives each a requestid,
/// committed before any request is sent.
pub(super) async fn claim(
    ctx: &mut CompanyCtx,
    entity: &Entity,
) -> Result<Vec<Claimed>, AgentError> {
    let t = format!("{QBO_SCHEMA}.{}", entity.table);
    let tx = ctx.db.transaction().await?;
    let rows = tx
        .query(
            &format!(
                "SELECT t.local_id, to_jsonb(t), t.sync_status = 'sending' FROM {t} t \
                 WHERE t.company_id = $1 AND t.linked AND t.sync_status IN ('pending', 'sending') AND t.operation IS NOT NULL \
                 ORDER BY t.local_id LIMIT $2 FOR UPDATE SKIP LOCKED"
            ),
            &[&ctx.company.id, &BATCH_MAX],
        )
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    // A row whose JSON cannot be decoded (serde_json stops at 128 levels of nesting, which `data`
    // can exceed when changed after `operation` was set, or a line's `data`) gets a row error
    // instead of stopping the push of every other row.
    let mut unreadable: HashMap<i64, String> = HashMap::new();
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
    let pc = child_parent_column(entity);
    let mut children: HashMap<i64, Vec<Vec<Map<String, Value>>>> = HashMap::new();
    for (i, child) in entity.children.iter().enumerate() {
        for r in tx
            .query(
                &format!(
                    "SELECT l.{pc}, to_jsonb(l) FROM {QBO_SCHEMA}.{} l WHERE l.{pc} = ANY($1) ORDER BY l.{pc}, l.line_num",
                    child.table
                ),
                &[&ids],
            )
            .await?
        {
            let parent: i64 = r.get(0);
            match r.try_get::<_, Value>(1) {
                Ok(Value::Object(m)) => {
                    let per_child = children.entry(parent).or_insert_with(|| vec![Vec::new(); entity.children.len()]);
                    per_child[i].push(m);
                }
                Ok(_) => {}
                Err(e) => {
                    unreadable.insert(parent, format!("a line in {QBO_SCHEMA}.{}: {e}", child.table));
                }
            }
        }
    }
    for r in &rows {
        if let Err(e) = r.try_get::<_, Value>(1) {
            unreadable.insert(r.get(0), format!("the row: {e}"));
        }
    }
    for (local_id, why) in &unreadable {
        let message = format!(
            "row local_id={local_id} cannot be read to be sent ({why}); is its data nested too deeply? \
             Nothing was sent: fix the row and set operation again"
        );
        tx.execute(
            &format!(
                "INSERT INTO qbsync.sync_result (company_id, entity, local_id, qb_id, direction, operation, outcome, code, message) \
                 SELECT $2, $3, t.local_id, t.id, 'outgoing', t.operation, 'error', 'qbsync', $4 FROM {t} t WHERE t.local_id = $1"
            ),
            &[local_id, &ctx.company.id, &entity.name, &message],
        )
        .await?;
        tx.execute(
            &format!("UPDATE {t} SET sync_status = 'error', sync_message = $2, request_id = NULL WHERE local_id = $1"),
            &[local_id, &message],
        )
        .await?;
    }
    tx.commit().await?;
    let mut claimed = Vec::new();
    for r in rows {
        let local_id: i64 = r.get(0);
        if unreadable.contains_key(&local_id) {
            continue;
        }
        let Ok(Value::Object(row)) = r.try_get::<_, Value>(1) else {
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
            children: children.remove(&local_id).unwrap_or_default(),
            row,
        });
    }
    Ok(claimed)
}
