//! Sending claimed rows to QuickBooks, one by one or in a batch, and reading what each answer
//! means for the row.

use super::duplicates::{self, PaymentMatch};
use super::{Claimed, Operation, Outcome};
use crate::qbo::{FaultError, QboError, Slot};
use crate::sync::{query_literal, CompanyCtx};
use qbsync_catalog::{body_from_row, DeleteStyle, Entity, VoidStyle};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Instant;
use tracing::{info, warn, Instrument};

pub(super) fn failure(e: QboError) -> Outcome {
    match e {
        QboError::Fault { errors, .. } if !errors.is_empty() => {
            Outcome::Failed(errors[0].clone(), errors)
        }
        other if other.is_transient() => Outcome::Unknown(other.to_string()),
        // Not QuickBooks refusing the row: the company is stopped until a person reconnects it.
        other if other.needs_a_person() => Outcome::Blocked(other.to_string()),
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
    let mut body = body_from_row(entity, &c.row, &c.children);
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
    let body = body_from_row(entity, &c.row, &[]);
    let Some(value) = body.get(key).and_then(Value::as_str) else {
        return Ok(None);
    };
    let active = if entity.active_filter {
        " AND Active IN (true,false)"
    } else {
        ""
    };
    let q = format!(
        "SELECT * FROM {} WHERE {key} = {}{active} MAXRESULTS 2",
        entity.name,
        query_literal(value)
    );
    let mut objects = ctx.qbo.query_objects(entity.name, &q).await?;
    Ok(if objects.len() == 1 {
        objects.pop()
    } else {
        None
    })
}

/// Answer-less attempts at one create before leaving it for a later round.
const CREATE_ATTEMPTS: u32 = 4;

/// `POST /{resource}` creating `body`, paid by `slot` if the caller holds one (taken: only the
/// first attempt is prepaid).
async fn create(
    ctx: &CompanyCtx,
    resource: &str,
    body: &Value,
    request_id: &str,
    slot: &mut Option<Slot>,
) -> Result<Value, QboError> {
    match slot.take() {
        Some(s) => ctx.qbo.create_with(resource, body, request_id, s).await,
        None => ctx.qbo.create(resource, body, request_id).await,
    }
}

/// Creates `c` once: after a failure without an answer (the create may have been applied),
/// QuickBooks is asked by natural key before the same request (same requestid) is sent again.
/// `slot` pays the first create, if given.
async fn add_once(
    ctx: &CompanyCtx,
    entity: &Entity,
    c: &Claimed,
    mut slot: Option<Slot>,
) -> Outcome {
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
        match create(ctx, entity.resource, &body, &c.request_id, &mut slot).await {
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
            // An earlier attempt may have been applied: the next one must look first.
            Err(e) if look_first && e.needs_a_person() => return Outcome::Unknown(e.to_string()),
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
        Operation::Delete if entity.delete_style() == DeleteStyle::Deactivate => {
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
        Operation::Delete if entity.delete_style() == DeleteStyle::Delete => {
            return Outcome::Deleted { message: None }
        }
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
        Operation::Delete
            if entity.delete_style() == DeleteStyle::Delete && is_already_deleted(&first) =>
        {
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

pub(super) async fn push_one(
    ctx: &CompanyCtx,
    entity: &Entity,
    c: &Claimed,
    payment_match: Option<PaymentMatch>,
) -> Outcome {
    push_one_paid(ctx, entity, c, payment_match, None).await
}

/// [`push_one`], its first write paid by `slot` when the caller holds one.
async fn push_one_paid(
    ctx: &CompanyCtx,
    entity: &Entity,
    c: &Claimed,
    payment_match: Option<PaymentMatch>,
    slot: Option<Slot>,
) -> Outcome {
    match c.op {
        Operation::Add => {
            if let Some(rule) = payment_match {
                if let Some(outcome) = duplicates::check(ctx, entity, c, rule).await {
                    return outcome;
                }
            }
            add_once(ctx, entity, c, slot).await
        }
        _ => match write_request(entity, c) {
            Some(req) => answered(entity, c, write(ctx, entity, c, &req, slot).await),
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

/// `POST /{resource}` applying `req` to `c`, paid by `slot` if given.
async fn write(
    ctx: &CompanyCtx,
    entity: &Entity,
    c: &Claimed,
    req: &WriteRequest,
    slot: Option<Slot>,
) -> Result<Value, QboError> {
    match slot {
        Some(s) => {
            ctx.qbo
                .write_with(entity.resource, req.params, &req.body, &c.request_id, s)
                .await
        }
        None => {
            ctx.qbo
                .write(entity.resource, req.params, &req.body, &c.request_id)
                .await
        }
    }
}

/// Sends rows that could go in one batch call (independent writes). With a batch token free
/// they go as one batch; without one, as single requests rather than waiting for the batch
/// bucket, since the request bucket still has tokens that would otherwise go unused (a batch
/// token buys 30 rows for one request; 40 a minute of them leave 460 requests for singles).
/// The next round asks again, so a batch token freed meanwhile is used by it. Deciding per
/// round keeps every batch full.
pub(super) async fn push_batchable(
    ctx: &CompanyCtx,
    entity: &Entity,
    rows: &[Claimed],
    payment_match: Option<PaymentMatch>,
) -> Vec<Outcome> {
    let slot = ctx.qbo.slot().await;
    match slot {
        Slot::Batch => push_batch(ctx, entity, rows, slot).await,
        Slot::Single => push_singles(ctx, entity, rows, payment_match, slot).await,
    }
}

/// Sends independent rows one request each, all at once: the client keeps at most the realm's
/// in-flight cap on the wire, so the round takes about rows / cap answers, not rows. `slot`
/// pays the first one. Outcomes come in the order of `rows`.
async fn push_singles(
    ctx: &CompanyCtx,
    entity: &Entity,
    rows: &[Claimed],
    payment_match: Option<PaymentMatch>,
    slot: Slot,
) -> Vec<Outcome> {
    let mut slot = Some(slot);
    let sends = rows.iter().map(|c| {
        let paid = slot.take();
        let span = tracing::info_span!("push_row", local_id = c.local_id, op = c.op.as_str());
        async move {
            let started = Instant::now();
            let outcome = push_one_paid(ctx, entity, c, payment_match, paid).await;
            info!(ms = started.elapsed().as_millis() as u64, "pushed");
            outcome
        }
        .instrument(span)
    });
    futures_util::future::join_all(sends).await
}

/// Sends rows (writes only: refreshes go alone) as one batch call paid by `slot`; items are
/// matched to rows by `bId`.
async fn push_batch(
    ctx: &CompanyCtx,
    entity: &Entity,
    rows: &[Claimed],
    slot: Slot,
) -> Vec<Outcome> {
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
    let answers = match ctx.qbo.batch_with(items, &batch_id, slot).await {
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
        // The batch never left (no token): the rows wait for the company to be reconnected.
        None if e.needs_a_person() => Outcome::Blocked(e.to_string()),
        None => Outcome::Unknown(e.to_string()),
    }
}
