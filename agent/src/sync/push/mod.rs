//! Push: rows whose `operation` is set go to QuickBooks, and the outcome is written back on the
//! row and in `qbsync.sync_result`.
//!
//! Exactly once: a row is marked `sending` with its `request_id` committed before the request
//! leaves. A row found `sending` at claim time is one whose answer never arrived (crash, network
//! loss): it is sent alone, with its own requestid so QuickBooks can replay its first answer,
//! and, for an add, only after a query by its natural key shows QuickBooks does not have it yet
//! (real QuickBooks is reported to be unreliable about requestid).

use super::CompanyCtx;
use crate::error::AgentError;
use crate::failpoint;
use crate::qbo::FaultError;
use qbsync_catalog::{Entity, VoidStyle};
use serde_json::{json, Map, Value};
use std::time::Instant;
use tracing::{info, instrument, warn};

mod claim;
mod conflict;
mod duplicates;
mod items;
mod send;
mod writeback;

use claim::claim;
use duplicates::PaymentMatch;
use send::{push_batchable, push_one};
use writeback::{write_back, Written};

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
    /// Rows of each child table (`entity.children[i]`), in `line_num` order.
    children: Vec<Vec<Map<String, Value>>>,
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
    /// A stale write settled by the company's conflict policy: written like `Done`, with the
    /// losing side's values kept in the `sync_result` row's detail.
    Conflict {
        object: Value,
        what: &'static str,
        message: String,
        detail: Value,
    },
    /// A transaction that no longer exists in QuickBooks.
    Deleted { message: Option<String> },
    /// QuickBooks refused: the row keeps the user's version, with the reason.
    Failed(FaultError, Vec<FaultError>),
    /// No definitive answer (network, throttled past retries, service down): try again later.
    Unknown(String),
    /// Not sent: the company needs a person (refresh token refused, key missing). The row
    /// goes back to `pending` for when the company is reconnected.
    Blocked(String),
}

/// Counts of one push round.
#[derive(Debug, Default, Clone, Copy)]
pub struct PushSummary {
    pub ok: i64,
    pub failed: i64,
    /// Rows left for a later attempt because QuickBooks gave no definitive answer.
    pub deferred: i64,
}

/// The company's payment rule for `entity`, when it is a payment synced in both directions.
async fn payment_match(
    ctx: &CompanyCtx,
    entity: &Entity,
) -> Result<Option<PaymentMatch>, AgentError> {
    if !entity.is_payment() {
        return Ok(None);
    }
    let row = ctx
        .db
        .query_opt(
            "SELECT payment_match FROM qbsync.sync_table WHERE company_id = $1 AND entity = $2 AND direction = 'both'",
            &[&ctx.company.id, &entity.name],
        )
        .await?;
    Ok(row
        .and_then(|r| r.get::<_, Option<String>>(0))
        .and_then(|s| PaymentMatch::parse(&s)))
}

/// The company's item policy, when `entity` has lines that can name an item.
async fn item_policy(
    ctx: &CompanyCtx,
    entity: &Entity,
) -> Result<Option<items::ItemPolicy>, AgentError> {
    let names_items = entity
        .children
        .iter()
        .any(|ch| ch.columns.iter().any(|c| c.name == "item_name"));
    if !names_items {
        return Ok(None);
    }
    let r = ctx
        .db
        .query_one(
            "SELECT create_missing_items, item_income_account, item_expense_account FROM qbsync.company WHERE id = $1",
            &[&ctx.company.id],
        )
        .await?;
    Ok(Some(items::ItemPolicy {
        create_missing: r.get(0),
        income_account: r.get(1),
        expense_account: r.get(2),
    }))
}

/// The company's conflict policy (`qbsync.company.conflict_policy`).
async fn conflict_policy(ctx: &CompanyCtx) -> Result<conflict::Policy, AgentError> {
    let r = ctx
        .db
        .query_one(
            "SELECT conflict_policy FROM qbsync.company WHERE id = $1",
            &[&ctx.company.id],
        )
        .await?;
    let text: String = r.get(0);
    conflict::Policy::parse(&text)
        .ok_or_else(|| AgentError::Invalid(format!("unknown conflict_policy {text:?}")))
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
    let payment_match = payment_match(ctx, entity).await?;
    let items = item_policy(ctx, entity).await?;
    let policy = conflict_policy(ctx).await?;
    let mut first_round = true;
    loop {
        ctx.check_shutdown()?;
        if !first_round {
            failpoint::hit("push.batch_between").await;
        }
        first_round = false;
        let claimed = claim(ctx, entity).await?;
        if claimed.is_empty() {
            return Ok(summary);
        }
        failpoint::hit("push.before_request").await;
        let mut outcomes: Vec<(Claimed, Outcome)> = Vec::new();
        let mut ready = Vec::with_capacity(claimed.len());
        for mut c in claimed {
            match &items {
                Some(policy) => match items::resolve(ctx, entity, &mut c, policy, task).await {
                    Ok(()) => ready.push(c),
                    Err(outcome) => outcomes.push((c, outcome)),
                },
                None => ready.push(c),
            }
        }
        let (mut single, mut batchable): (Vec<Claimed>, Vec<Claimed>) =
            ready.into_iter().partition(|c| {
                c.recovering
                    || c.op == Operation::Refresh
                    // A payment add is matched against QuickBooks first, so it goes alone.
                    || (c.op == Operation::Add && payment_match.is_some())
                    || (c.op == Operation::Void && entity.void == VoidStyle::OperationVoid)
            });
        if batchable.len() == 1 {
            single.append(&mut batchable);
        }
        for (n, c) in single.into_iter().enumerate() {
            if n > 0 {
                failpoint::hit("push.row_between").await;
            }
            let started = Instant::now();
            let outcome = push_one(ctx, entity, &c, payment_match).await;
            info!(
                local_id = c.local_id,
                op = c.op.as_str(),
                ms = started.elapsed().as_millis() as u64,
                "pushed"
            );
            outcomes.push((c, outcome));
        }
        if !batchable.is_empty() {
            let results = push_batchable(ctx, entity, &batchable, payment_match).await;
            outcomes.extend(batchable.into_iter().zip(results));
        }
        // Stale writes (a QuickBooks user changed the record meanwhile) go to the policy.
        for (c, outcome) in outcomes.iter_mut() {
            if conflict::is_stale(c, outcome) {
                let refused = std::mem::replace(outcome, Outcome::Unknown(String::new()));
                *outcome = conflict::settle(ctx, entity, c, policy, refused).await;
            }
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
        failpoint::hit("push.after_response").await;
        tx.commit().await?;
        crate::metrics::records_synced(
            &company.name,
            entity.name,
            crate::metrics::OUTGOING,
            round.ok,
        );
        crate::metrics::records_failed(
            &company.name,
            entity.name,
            crate::metrics::OUTGOING,
            round.failed,
        );
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
