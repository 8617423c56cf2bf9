//! The payment rule: when payments are synced in both directions, a payment the application adds
//! may already have been entered in QuickBooks by a person. Before adding one, QuickBooks is
//! searched by the company's `payment_match` rule; a match is linked instead of added, or refused
//! when another mirror row already holds it.

use super::{Claimed, Outcome};
use crate::qbo::FaultError;
use crate::sync::{query_literal, CompanyCtx};
use qbsync_catalog::{body_from_row, Entity, QBO_SCHEMA};
use serde_json::Value;

/// How an existing QuickBooks payment is recognised (`qbsync.sync_table.payment_match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentMatch {
    /// Same reference number (PaymentRefNum, or DocNumber of a bill payment) and same payer.
    Reference,
    /// Same payer, amount and date.
    AmountDate,
}

impl PaymentMatch {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reference" => Some(PaymentMatch::Reference),
            "amount_date" => Some(PaymentMatch::AmountDate),
            _ => None,
        }
    }
}

/// The payer reference and the reference-number field of a payment entity.
fn fields(entity: &Entity) -> (&'static str, &'static str) {
    (
        entity.payer_key().unwrap_or("CustomerRef"),
        entity.natural_key.unwrap_or("PaymentRefNum"),
    )
}

fn refused(local_id: i64, message: String) -> Outcome {
    Outcome::Failed(
        FaultError {
            code: "duplicate".into(),
            message,
            detail: format!("local_id={local_id}"),
            element: None,
        },
        vec![],
    )
}

fn ref_value(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::Object(m) => m.get("value").and_then(Value::as_str).map(str::to_owned),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn amount(v: &Value) -> Option<f64> {
    match v.get("TotalAmt")? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Checks `c` (an add) against QuickBooks under `rule`. None: nothing matches, add it.
pub(super) async fn check(
    ctx: &CompanyCtx,
    entity: &Entity,
    c: &Claimed,
    rule: PaymentMatch,
) -> Option<Outcome> {
    let body = body_from_row(entity, &c.row, &c.children);
    let (payer_key, ref_key) = fields(entity);
    let Some(payer) = ref_value(&body, payer_key) else {
        return Some(refused(
            c.local_id,
            format!(
                "{} local_id={} has no {payer_key}; payments synced both ways are matched by payer",
                entity.name, c.local_id
            ),
        ));
    };
    let query = match rule {
        PaymentMatch::Reference => {
            let Some(reference) = body
                .get(ref_key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            else {
                return Some(refused(
                    c.local_id,
                    format!(
                        "{} local_id={} has no {ref_key}; with payment_match = 'reference' every payment added from Postgres needs one, so that a payment also entered in QuickBooks is recognised",
                        entity.name, c.local_id
                    ),
                ));
            };
            format!(
                "SELECT * FROM {} WHERE {ref_key} = {} MAXRESULTS 1000",
                entity.name,
                query_literal(reference)
            )
        }
        PaymentMatch::AmountDate => {
            let (Some(date), Some(_)) =
                (body.get("TxnDate").and_then(Value::as_str), amount(&body))
            else {
                return Some(refused(
                    c.local_id,
                    format!(
                        "{} local_id={} needs TxnDate and TotalAmt; with payment_match = 'amount_date' a payment is recognised by payer, amount and date",
                        entity.name, c.local_id
                    ),
                ));
            };
            format!(
                "SELECT * FROM {} WHERE TxnDate = {} MAXRESULTS 1000",
                entity.name,
                query_literal(date)
            )
        }
    };
    let found = match ctx.qbo.query_objects(entity.name, &query).await {
        Ok(objects) => objects,
        Err(e) => return Some(super::send::failure(e)),
    };
    let wanted = amount(&body);
    let matched = found.into_iter().find(|o| {
        ref_value(o, payer_key).as_deref() == Some(payer.as_str())
            && (rule == PaymentMatch::Reference
                || matches!((amount(o), wanted), (Some(a), Some(b)) if (a - b).abs() < 0.005))
    })?;
    let qb_id = matched
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let holder = ctx
        .db
        .query_opt(
            &format!(
                "SELECT local_id FROM {QBO_SCHEMA}.{} WHERE company_id = $1 AND id = $2",
                entity.table
            ),
            &[&ctx.company.id, &qb_id],
        )
        .await;
    let how = match rule {
        PaymentMatch::Reference => format!("{ref_key} and {payer_key}"),
        PaymentMatch::AmountDate => format!("{payer_key}, TotalAmt and TxnDate"),
    };
    match holder {
        Ok(Some(row)) => {
            let other: i64 = row.get(0);
            Some(refused(
                c.local_id,
                format!(
                    "QuickBooks already has this payment (Id {qb_id}, same {how}), synced to local_id={other}; not added again. Delete this row or clear its operation"
                ),
            ))
        }
        Ok(None) => Some(Outcome::Done {
            object: matched,
            what: "linked",
            message: Some(format!(
                "QuickBooks already had this payment (Id {qb_id}, same {how}); linked to it instead of adding a duplicate"
            )),
        }),
        Err(e) => Some(Outcome::Unknown(crate::error::describe_db_error(&e))),
    }
}
