//! Incremental refresh: CDC since each entity's cursor, applied entity by entity (changed
//! objects upserted, deleted transactions removed, deactivations arrive as updates).
//!
//! CDC has limits (reference sheet §5): 30 days of look-back and 1000 objects per answer across
//! all entities, without paging. When an answer is full it is asked again entity by entity;
//! when one entity alone fills it, or its cursor is older than 29 days, that entity falls back
//! to queries: name lists by `Metadata.LastUpdatedTime` (they are never deleted, only
//! deactivated, which is an update), transactions by a full reload, because a query cannot see
//! a deleted transaction and only a reload can tell which ones are gone.

use super::{populate, query_literal, stage, CompanyCtx};
use crate::error::AgentError;
use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, SecondsFormat};
use qbsync_catalog::{qbo_entity, DeleteStyle, Entity, QBO_SCHEMA};
use serde_json::Value;
use std::collections::HashMap;
use tracing::{info, instrument, warn};

/// CDC answers at most this many objects in total.
pub const CDC_CAP: usize = 1000;
/// Cursors older than this are not trusted to CDC (which promises 30 days).
const CDC_MAX_AGE_DAYS: i64 = 29;

/// Overlap re-read before each cursor: upserts are idempotent, a missed change is not.
const CURSOR_OVERLAP_SECS: i64 = 1;

/// The `changedSince` for a cursor. MetaData times have whole seconds while the server `time`
/// a cursor comes from has milliseconds: a change made in the cursor's own second carries an
/// earlier-looking LastUpdatedTime, so the cursor is floored to the second, minus an overlap.
pub fn changed_since(cursor: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    let floored = cursor - ChronoDuration::nanoseconds(i64::from(cursor.timestamp_subsec_nanos()));
    floored - ChronoDuration::seconds(CURSOR_OVERLAP_SECS)
}

/// What a refresh will apply to one entity.
#[derive(Debug)]
pub enum Changes {
    /// From CDC: changed objects (in full) and ids of deleted ones, as of `cursor`.
    Cdc {
        changed: Vec<Value>,
        deleted: Vec<String>,
        cursor: DateTime<FixedOffset>,
    },
    /// CDC cannot serve this entity; query instead.
    Fallback {
        since: Option<DateTime<FixedOffset>>,
        reason: &'static str,
    },
}

/// Splits one CDC answer into objects per entity (tolerating missing or empty groups).
pub fn parse_cdc(resp: &Value) -> HashMap<String, Vec<Value>> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    let groups = resp
        .get("CDCResponse")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("QueryResponse").and_then(Value::as_array))
        .flatten();
    for group in groups {
        if let Value::Object(map) = group {
            for (k, v) in map {
                if let (Some(e), Value::Array(items)) = (qbo_entity(k), v) {
                    out.entry(e.name.to_string())
                        .or_default()
                        .extend(items.iter().cloned());
                }
            }
        }
    }
    out
}

pub(crate) fn server_time(resp: &Value) -> Option<DateTime<FixedOffset>> {
    resp.get("time")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
}

/// Asks QuickBooks what changed for `entities` since their cursors.
#[instrument(skip_all, fields(company = %ctx.company.name))]
pub async fn fetch_changes(
    ctx: &CompanyCtx,
    entities: &[&'static Entity],
) -> Result<HashMap<&'static str, Changes>, AgentError> {
    let names: Vec<&str> = entities.iter().map(|e| e.name).collect();
    let rows = ctx
        .db
        .query(
            "SELECT entity, change_cursor, now() FROM qbsync.history WHERE company_id = $1 AND entity = ANY($2)",
            &[&ctx.company.id, &names],
        )
        .await?;
    let now: DateTime<FixedOffset> = match rows.first() {
        Some(r) => r.get::<_, DateTime<chrono::Utc>>(2).fixed_offset(),
        None => ctx
            .db
            .query_one("SELECT now()", &[])
            .await?
            .get::<_, DateTime<chrono::Utc>>(0)
            .fixed_offset(),
    };
    let cursors: HashMap<String, Option<DateTime<FixedOffset>>> = rows
        .iter()
        .map(|r| {
            (
                r.get::<_, String>(0),
                r.get::<_, Option<DateTime<chrono::Utc>>>(1)
                    .map(|d| d.fixed_offset()),
            )
        })
        .collect();
    let mut result = HashMap::new();
    let mut via_cdc: Vec<(&'static Entity, DateTime<FixedOffset>)> = Vec::new();
    for e in entities {
        match cursors.get(e.name).copied().flatten() {
            None => {
                result.insert(
                    e.name,
                    Changes::Fallback {
                        since: None,
                        reason: "no change cursor",
                    },
                );
            }
            Some(c) if !e.cdc => {
                result.insert(
                    e.name,
                    Changes::Fallback {
                        since: Some(c),
                        reason: "not covered by CDC",
                    },
                );
            }
            Some(c) if now - c > ChronoDuration::days(CDC_MAX_AGE_DAYS) => {
                result.insert(
                    e.name,
                    Changes::Fallback {
                        since: Some(c),
                        reason: "cursor older than CDC's 30 days",
                    },
                );
            }
            Some(c) => via_cdc.push((e, c)),
        }
    }
    if via_cdc.is_empty() {
        return Ok(result);
    }
    let since = via_cdc.iter().map(|(_, c)| *c).min().unwrap_or(now);
    let all: Vec<&str> = via_cdc.iter().map(|(e, _)| e.name).collect();
    let resp = ctx.qbo.cdc(&all, changed_since(since)).await?;
    let mut parsed = parse_cdc(&resp);
    let total: usize = parsed.values().map(Vec::len).sum();
    let cursor = server_time(&resp).unwrap_or(now);
    if total < CDC_CAP || via_cdc.len() == 1 {
        for (e, _) in &via_cdc {
            let objects = parsed.remove(e.name).unwrap_or_default();
            result.insert(e.name, split(objects, cursor, total >= CDC_CAP, e));
        }
        return Ok(result);
    }
    warn!(total, "CDC answer is full; asking entity by entity");
    for (e, c) in &via_cdc {
        let resp = ctx.qbo.cdc(&[e.name], changed_since(*c)).await?;
        let cursor = server_time(&resp).unwrap_or(now);
        let objects = parse_cdc(&resp).remove(e.name).unwrap_or_default();
        let full = objects.len() >= CDC_CAP;
        result.insert(e.name, split(objects, cursor, full, e));
    }
    Ok(result)
}

pub(crate) fn split(
    objects: Vec<Value>,
    cursor: DateTime<FixedOffset>,
    full: bool,
    _e: &Entity,
) -> Changes {
    if full {
        return Changes::Fallback {
            since: None,
            reason: "CDC answer hit its 1000-object cap",
        }
        .with_since_from(&objects);
    }
    let (deleted, changed): (Vec<Value>, Vec<Value>) = objects
        .into_iter()
        .partition(|o| o.get("status").and_then(Value::as_str) == Some("Deleted"));
    let deleted = deleted
        .iter()
        .filter_map(|o| o.get("Id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    Changes::Cdc {
        changed,
        deleted,
        cursor,
    }
}

impl Changes {
    /// A capped answer still tells where the changes start: query from its oldest object.
    fn with_since_from(self, objects: &[Value]) -> Changes {
        match self {
            Changes::Fallback { reason, .. } => {
                let since = objects
                    .iter()
                    .filter_map(|o| {
                        o.pointer("/MetaData/LastUpdatedTime")
                            .and_then(Value::as_str)
                    })
                    .filter_map(|t| DateTime::parse_from_rfc3339(t).ok())
                    .min();
                Changes::Fallback { since, reason }
            }
            other => other,
        }
    }
}

/// Applies `changes` to `entity`; returns the number of records changed locally.
#[instrument(skip_all, fields(company = %ctx.company.name, entity = entity.name))]
pub async fn apply(
    ctx: &mut CompanyCtx,
    entity: &'static Entity,
    changes: Changes,
    task: Option<i64>,
) -> Result<i64, AgentError> {
    match changes {
        Changes::Cdc {
            changed,
            deleted,
            cursor,
        } => {
            stage::prepare(&ctx.db).await?;
            let texts: Vec<String> = changed.iter().map(Value::to_string).collect();
            let tx = ctx.db.transaction().await?;
            let up = stage::upsert(
                &tx,
                ctx.company.id,
                entity,
                &texts.iter().map(String::as_str).collect::<Vec<_>>(),
                Some(task),
            )
            .await?;
            let removed = apply_deletes(&tx, ctx.company.id, entity, &deleted, task).await?;
            stage::record_history(&tx, ctx.company.id, entity, cursor, false).await?;
            let n = up.inserted + up.updated + removed;
            crate::tasks::progress(&tx, task, n, 0).await?;
            tx.commit().await?;
            crate::metrics::records_synced(
                &ctx.company.name,
                entity.name,
                crate::metrics::INCOMING,
                n,
            );
            info!(
                inserted = up.inserted,
                updated = up.updated,
                deleted = removed,
                "refreshed by CDC"
            );
            Ok(n)
        }
        // Only entities that cannot be deleted can be caught up by LastUpdatedTime alone.
        Changes::Fallback { since, reason } => {
            match (since, entity.delete_style() != DeleteStyle::Delete) {
                (Some(since), true) => {
                    info!(reason, "refreshing by LastUpdatedTime query");
                    query_since(ctx, entity, since, task).await
                }
                _ => {
                    info!(reason, "refreshing by full reload");
                    populate::populate(ctx, entity, task).await
                }
            }
        }
    }
}

async fn apply_deletes(
    tx: &tokio_postgres::Transaction<'_>,
    company: i64,
    entity: &Entity,
    ids: &[String],
    task: Option<i64>,
) -> Result<i64, AgentError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let t = format!("{QBO_SCHEMA}.{}", entity.table);
    let removed = tx
        .execute(
            &format!(
                "WITH d AS (DELETE FROM {t} WHERE company_id = $1 AND id = ANY($2) \
                   AND linked AND (sync_status IS NULL OR sync_status = 'ok') RETURNING local_id, id) \
                 INSERT INTO qbsync.sync_result (task_id, company_id, entity, local_id, qb_id, direction, operation, outcome) \
                 SELECT $3, $1, $4, local_id, id, 'incoming', 'delete', 'ok' FROM d"
            ),
            &[&company, &ids, &task, &entity.name],
        )
        .await?;
    // A local change waiting for a record QuickBooks no longer has cannot be pushed: say so.
    tx.execute(
        &format!(
            "UPDATE {t} SET sync_status = 'error', synced_at = now(), request_id = NULL, \
             sync_message = 'deleted in QuickBooks while a local change was waiting; the change was not sent' \
             WHERE company_id = $1 AND id = ANY($2) AND linked AND sync_status IN ('pending', 'sending', 'error')"
        ),
        &[&company, &ids],
    )
    .await?;
    Ok(removed as i64)
}

/// Name-list fallback: every record changed since `since`, paged by LastUpdatedTime.
async fn query_since(
    ctx: &mut CompanyCtx,
    entity: &'static Entity,
    since: DateTime<FixedOffset>,
    task: Option<i64>,
) -> Result<i64, AgentError> {
    stage::prepare(&ctx.db).await?;
    let since_lit =
        query_literal(&changed_since(since).to_rfc3339_opts(SecondsFormat::Secs, false));
    let page_size = ctx.cfg.page_size;
    let mut start = 1u64;
    let mut total = 0i64;
    let mut cursor: Option<DateTime<FixedOffset>> = None;
    loop {
        ctx.check_shutdown()?;
        let active = if entity.active_filter {
            " AND Active IN (true,false)"
        } else {
            ""
        };
        let q = format!(
            "SELECT * FROM {} WHERE Metadata.LastUpdatedTime >= {since_lit}{active} \
             ORDERBY Metadata.LastUpdatedTime STARTPOSITION {start} MAXRESULTS {page_size}",
            entity.name
        );
        let page = ctx.qbo.query(&q).await?;
        let (objects, time) = page.objects(entity.name)?;
        cursor = cursor.or(time);
        let n = objects.len();
        let tx = ctx.db.transaction().await?;
        let up = stage::upsert(
            &tx,
            ctx.company.id,
            entity,
            &objects.iter().map(|o| o.get()).collect::<Vec<_>>(),
            Some(task),
        )
        .await?;
        crate::tasks::progress(&tx, task, up.inserted + up.updated, 0).await?;
        tx.commit().await?;
        crate::metrics::records_synced(
            &ctx.company.name,
            entity.name,
            crate::metrics::INCOMING,
            up.inserted + up.updated,
        );
        total += up.inserted + up.updated;
        start += n as u64;
        if n < page_size as usize {
            break;
        }
    }
    let tx = ctx.db.transaction().await?;
    let cursor = match cursor {
        Some(c) => c,
        None => tx
            .query_one("SELECT now()", &[])
            .await?
            .get::<_, DateTime<chrono::Utc>>(0)
            .fixed_offset(),
    };
    stage::record_history(&tx, ctx.company.id, entity, cursor, false).await?;
    tx.commit().await?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cdc_groups_are_split_and_deletes_separated() {
        let resp = json!({"CDCResponse":[{"QueryResponse":[
            {"Invoice":[{"Id":"1","SyncToken":"2"},{"status":"Deleted","domain":"QBO","Id":"9","MetaData":{"LastUpdatedTime":"2026-11-01T00:00:00-08:00"}}],"startPosition":1,"maxResults":2},
            {},
            {"Customer":[{"Id":"5","Active":false}],"startPosition":1,"maxResults":1,"totalCount":1}
        ]}],"time":"2026-11-02T10:00:00.123-08:00"});
        let mut parsed = parse_cdc(&resp);
        assert_eq!(parsed["Customer"].len(), 1);
        let cursor = server_time(&resp).unwrap();
        match split(
            parsed.remove("Invoice").unwrap(),
            cursor,
            false,
            qbo_entity("Invoice").unwrap(),
        ) {
            Changes::Cdc {
                changed, deleted, ..
            } => {
                assert_eq!(changed.len(), 1);
                assert_eq!(deleted, vec!["9".to_string()]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cursor_is_floored_to_the_second_with_overlap() {
        let c = DateTime::parse_from_rfc3339("2026-11-21T20:26:13.452-08:00").unwrap();
        assert_eq!(changed_since(c).to_rfc3339(), "2026-11-21T20:26:12-08:00");
    }

    #[test]
    fn a_full_answer_falls_back_from_its_oldest_change() {
        let objects: Vec<Value> = (0..CDC_CAP)
            .map(|i| json!({"Id": i.to_string(), "MetaData": {"LastUpdatedTime": format!("2026-11-01T00:{:02}:00-08:00", i % 60)}}))
            .collect();
        let now = DateTime::parse_from_rfc3339("2026-11-02T00:00:00-08:00").unwrap();
        match split(objects, now, true, qbo_entity("Customer").unwrap()) {
            Changes::Fallback { since: Some(s), .. } => {
                assert_eq!(s.to_rfc3339(), "2026-11-01T00:00:00-08:00")
            }
            other => panic!("{other:?}"),
        }
    }
}
