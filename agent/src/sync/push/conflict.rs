//! Stale writes (QuickBooks fault 5010): a QuickBooks user changed the record after the row
//! was read, so the row's SyncToken is old. The company's `conflict_policy` decides who wins;
//! nothing is ever overwritten without a trace in `qbsync.sync_result`.
//!
//! Before any policy applies, an update is compared with QuickBooks' copy: when QuickBooks
//! already holds every value sent, the write was applied by an earlier attempt whose answer
//! was lost (QuickBooks ignoring requestid refuses the resend as stale), so the row is `ok`.

use super::send::push_one;
use super::{Claimed, Operation, Outcome};
use crate::qbo::FaultError;
use crate::sync::CompanyCtx;
use qbsync_catalog::{body_from_row, Entity};
use serde_json::{json, Map, Value};
use tracing::{info, warn};

/// The company's `qbsync.company.conflict_policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Report,
    QuickBooksWins,
    PostgresWins,
}

impl Policy {
    pub fn parse(s: &str) -> Option<Policy> {
        Some(match s {
            "report" => Policy::Report,
            "quickbooks_wins" => Policy::QuickBooksWins,
            "postgres_wins" => Policy::PostgresWins,
            _ => return None,
        })
    }
}

/// Whether `outcome` is QuickBooks refusing `c`'s write as stale.
pub(super) fn is_stale(c: &Claimed, outcome: &Outcome) -> bool {
    matches!(
        c.op,
        Operation::Update | Operation::Void | Operation::Delete
    ) && matches!(outcome, Outcome::Failed(f, _) if f.code == "5010")
}

/// `sent` is contained in `have`: objects key by key, arrays element by element, numbers by
/// value (QuickBooks may write 12.5 as 12.50), a null sent matching an absent value.
fn holds(have: Option<&Value>, sent: &Value) -> bool {
    match (have, sent) {
        (None | Some(Value::Null), Value::Null) => true,
        (Some(Value::Object(h)), Value::Object(s)) => s.iter().all(|(k, v)| holds(h.get(k), v)),
        (Some(Value::Array(h)), Value::Array(s)) => {
            h.len() == s.len() && h.iter().zip(s).all(|(h, s)| holds(Some(h), s))
        }
        (Some(Value::Number(h)), Value::Number(s)) => h.as_f64() == s.as_f64(),
        (Some(Value::String(h)), Value::Number(s)) | (Some(Value::Number(s)), Value::String(h)) => {
            h.parse::<f64>().ok() == s.as_f64()
        }
        (Some(h), s) => h == s,
        (None, _) => false,
    }
}

/// The values an update of `c` writes (no keys QuickBooks owns).
fn sent_values(entity: &Entity, c: &Claimed) -> Map<String, Value> {
    match body_from_row(entity, &c.row, &c.children) {
        Value::Object(mut m) => {
            for k in ["Id", "SyncToken", "sparse"] {
                m.remove(k);
            }
            m
        }
        _ => Map::new(),
    }
}

fn token_of(v: &Value) -> &str {
    v.get("SyncToken").and_then(Value::as_str).unwrap_or("?")
}

fn changed_at(v: &Value) -> &str {
    v.pointer("/MetaData/LastUpdatedTime")
        .and_then(Value::as_str)
        .unwrap_or("unknown time")
}

/// The row error of a conflict left to a person: the fault, both versions, what to do.
fn reported(
    c: &Claimed,
    f: &FaultError,
    all: &[FaultError],
    current: &Value,
    note: &str,
) -> Outcome {
    let mut f = f.clone();
    f.detail = format!(
        "{}; conflict: a QuickBooks user changed this record after the row was read (row SyncToken {}, QuickBooks SyncToken {}, changed there at {}); nothing was overwritten and the row keeps your change{note}",
        f.detail,
        c.row.get("sync_token").and_then(Value::as_str).unwrap_or("?"),
        token_of(current),
        changed_at(current),
    );
    Outcome::Failed(
        f.clone(),
        std::iter::once(f)
            .chain(all.iter().skip(1).cloned())
            .collect(),
    )
}

/// Settles a stale refusal of `c` (see [`is_stale`]) under `policy`.
pub(super) async fn settle(
    ctx: &CompanyCtx,
    entity: &Entity,
    c: &Claimed,
    policy: Policy,
    outcome: Outcome,
) -> Outcome {
    let Outcome::Failed(fault, all) = outcome else {
        return outcome;
    };
    let id = c.qb_id().unwrap_or_default();
    // QuickBooks' copy now: to compare, to name its version, or to keep it.
    let current = match ctx.qbo.read(entity.resource, id).await {
        Ok(v) => v,
        Err(e) => {
            warn!(local_id = c.local_id, error = %e, "stale write: QuickBooks' copy could not be read; reporting the refusal");
            return Outcome::Failed(fault, all);
        }
    };
    let sent = sent_values(entity, c);
    if c.op == Operation::Update && holds(Some(&current), &Value::Object(sent.clone())) {
        info!(
            local_id = c.local_id,
            "stale update already holds in QuickBooks: an earlier attempt was applied"
        );
        return Outcome::Done {
            object: current,
            what: "updated",
            message: Some(
                "already in QuickBooks from an earlier attempt whose answer was lost".into(),
            ),
        };
    }
    match policy {
        Policy::Report => reported(
            c,
            &fault,
            &all,
            &current,
            " (set operation = 'refresh' to take QuickBooks' version, then reapply your change; or choose a policy with qbsync.qb_set_conflict_policy)",
        ),
        Policy::QuickBooksWins => Outcome::Conflict {
            message: format!(
                "conflict: QuickBooks version kept (a QuickBooks user changed it at {}, SyncToken {}; this row's {} with SyncToken {} was discarded, see sync_result.detail)",
                changed_at(&current),
                token_of(&current),
                c.op.as_str(),
                c.row.get("sync_token").and_then(Value::as_str).unwrap_or("?"),
            ),
            detail: json!({
                "policy": "quickbooks_wins",
                "operation": c.op.as_str(),
                "row_sync_token": c.row.get("sync_token"),
                "quickbooks_sync_token": token_of(&current),
                "quickbooks_changed_at": changed_at(&current),
                "discarded": sent,
            }),
            what: "refreshed",
            object: current,
        },
        Policy::PostgresWins => {
            // Once, with QuickBooks' current SyncToken and a requestid of its own (the first
            // one's stored answer is the refusal).
            let mut row = c.row.clone();
            row.insert("sync_token".into(), Value::String(token_of(&current).into()));
            let again = Claimed {
                local_id: c.local_id,
                row,
                children: c.children.clone(),
                op: c.op,
                request_id: format!("{}-pw", c.request_id),
                recovering: false,
            };
            match push_one(ctx, entity, &again, None).await {
                Outcome::Done { object, what, .. } => Outcome::Conflict {
                    message: format!(
                        "conflict: Postgres version written over QuickBooks change (a QuickBooks user changed it at {}, SyncToken {}; their values are in sync_result.detail)",
                        changed_at(&current),
                        token_of(&current),
                    ),
                    detail: json!({
                        "policy": "postgres_wins",
                        "operation": c.op.as_str(),
                        "row_sync_token": c.row.get("sync_token"),
                        "quickbooks_sync_token": token_of(&current),
                        "quickbooks_changed_at": changed_at(&current),
                        "overwritten": current,
                    }),
                    what,
                    object,
                },
                Outcome::Deleted { message } => Outcome::Deleted { message },
                Outcome::Failed(f, all2) if f.code == "5010" => {
                    let latest = ctx.qbo.read(entity.resource, id).await.unwrap_or(current);
                    reported(
                        c,
                        &f,
                        &all2,
                        &latest,
                        " (postgres_wins sent it once more and QuickBooks changed again meanwhile; set operation again to retry)",
                    )
                }
                other => other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_compares_what_was_sent_only() {
        let have = json!({"DisplayName": "A", "Balance": 12.50, "PrimaryPhone": {"FreeFormNumber": "1"}, "Notes": "x"});
        assert!(holds(
            Some(&have),
            &json!({"DisplayName": "A", "PrimaryPhone": {"FreeFormNumber": "1"}})
        ));
        assert!(holds(
            Some(&have),
            &json!({"Balance": 12.5, "Missing": null})
        ));
        assert!(holds(Some(&have), &json!({"Balance": "12.5"})));
        assert!(!holds(
            Some(&have),
            &json!({"PrimaryPhone": {"FreeFormNumber": "2"}})
        ));
        assert!(!holds(Some(&have), &json!({"Other": "y"})));
        assert!(!holds(
            Some(&json!({"Line": [1, 2]})),
            &json!({"Line": [1]})
        ));
    }

    #[test]
    fn policies_parse() {
        assert_eq!(Policy::parse("report"), Some(Policy::Report));
        assert_eq!(
            Policy::parse("quickbooks_wins"),
            Some(Policy::QuickBooksWins)
        );
        assert_eq!(Policy::parse("postgres_wins"), Some(Policy::PostgresWins));
        assert_eq!(Policy::parse("random"), None);
    }
}
