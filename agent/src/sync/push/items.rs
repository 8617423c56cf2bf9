//! Items on first use: a transaction line may name its product (`item_name`) instead of giving
//! its QuickBooks Id (`item_ref`). Before the transaction is sent, each such name is looked up
//! (mirror first, then QuickBooks) and, when the company allows it, created in QuickBooks; the
//! line then carries the Id.

use super::{Claimed, Operation, Outcome};
use crate::qbo::{FaultError, QboError};
use crate::sync::{query_literal, stage, CompanyCtx};
use qbsync_catalog::{qbo_entity, Entity, QBO_SCHEMA};
use serde_json::{json, Value};
use tracing::info;

/// Where a missing item's accounts come from, and whether it may be created at all.
#[derive(Debug, Clone, Default)]
pub struct ItemPolicy {
    pub create_missing: bool,
    pub income_account: Option<String>,
    pub expense_account: Option<String>,
}

fn line_failure(c: &Claimed, message: String) -> Outcome {
    Outcome::Failed(
        FaultError {
            code: "item".into(),
            message,
            detail: format!("local_id={}", c.local_id),
            element: Some("ItemRef".into()),
        },
        vec![],
    )
}

fn text<'a>(m: &'a serde_json::Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// Fills `item_ref` on every line of `c` that names an item without its Id. Err: the outcome
/// for the row (an item that cannot be found or made), and nothing is sent.
pub(super) async fn resolve(
    ctx: &mut CompanyCtx,
    entity: &Entity,
    c: &mut Claimed,
    policy: &ItemPolicy,
    task: Option<i64>,
) -> Result<(), Outcome> {
    if !matches!(c.op, Operation::Add | Operation::Update) {
        return Ok(());
    }
    for (i, child) in entity.children.iter().enumerate() {
        if !child.columns.iter().any(|col| col.name == "item_name") {
            continue;
        }
        let purchase = child
            .columns
            .iter()
            .any(|col| col.path.first() == Some(&"ItemBasedExpenseLineDetail"));
        let Some(lines) = c.children.get_mut(i) else {
            continue;
        };
        for line in lines.iter_mut() {
            if text(line, "item_ref").is_some() {
                continue;
            }
            let Some(name) = text(line, "item_name").map(|n| n.trim().to_owned()) else {
                continue;
            };
            let line_num = line.get("line_num").cloned().unwrap_or(Value::Null);
            let id = match find_or_create(ctx, &name, purchase, policy, c.local_id, entity, task).await {
                Ok(id) => id,
                Err(Missing::NotAllowed) => {
                    return Err(line_failure(
                        c,
                        format!(
                            "{} local_id={} line {line_num}: item \"{name}\" is not in QuickBooks. Add it to qbo.item first, or let qbsync create items on first use: \
                             UPDATE qbsync.company SET create_missing_items = true WHERE name = '{}'",
                            entity.name, c.local_id, ctx.company.name.replace('\'', "''")
                        ),
                    ))
                }
                Err(Missing::Inactive(id)) => {
                    return Err(line_failure(
                        c,
                        format!(
                            "{} local_id={} line {line_num}: item \"{name}\" (Id {id}) is inactive in QuickBooks; make it active again or choose another item",
                            entity.name, c.local_id
                        ),
                    ))
                }
                Err(Missing::Failed(outcome)) => return Err(outcome),
            };
            line.insert("item_ref".into(), Value::String(id));
        }
    }
    Ok(())
}

enum Missing {
    NotAllowed,
    Inactive(String),
    Failed(Outcome),
}

impl From<QboError> for Missing {
    fn from(e: QboError) -> Self {
        Missing::Failed(super::send::failure(e))
    }
}

async fn query_one(ctx: &CompanyCtx, entity: &str, q: &str) -> Result<Option<Value>, QboError> {
    Ok(ctx.qbo.query_objects(entity, q).await?.into_iter().next())
}

/// The Id of the company's item called `name` (QuickBooks compares item names without case).
async fn find_or_create(
    ctx: &mut CompanyCtx,
    name: &str,
    purchase: bool,
    policy: &ItemPolicy,
    local_id: i64,
    parent: &Entity,
    task: Option<i64>,
) -> Result<String, Missing> {
    let mirrored = ctx
        .db
        .query_opt(
            &format!(
                "SELECT id, active FROM {QBO_SCHEMA}.item WHERE company_id = $1 AND id IS NOT NULL AND lower(name) = lower($2) \
                 ORDER BY active DESC LIMIT 1"
            ),
            &[&ctx.company.id, &name],
        )
        .await
        .map_err(|e| Missing::Failed(Outcome::Unknown(crate::error::describe_db_error(&e))))?;
    if let Some(r) = mirrored {
        let (id, active): (String, Option<bool>) = (r.get(0), r.get(1));
        return if active == Some(false) {
            Err(Missing::Inactive(id))
        } else {
            Ok(id)
        };
    }
    let found = query_one(
        ctx,
        "Item",
        &format!(
            "SELECT * FROM Item WHERE Name = {} AND Active IN (true,false) MAXRESULTS 1",
            query_literal(name)
        ),
    )
    .await?;
    if let Some(item) = found {
        let id = item
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if item.get("Active") == Some(&Value::Bool(false)) {
            return Err(Missing::Inactive(id));
        }
        store_item(ctx, &item).await?;
        return Ok(id);
    }
    if !policy.create_missing {
        return Err(Missing::NotAllowed);
    }
    let income = match &policy.income_account {
        Some(a) => a.clone(),
        None => first_account(ctx, &["Income"]).await?,
    };
    let mut body = json!({
        "Name": name,
        "Type": if purchase { "NonInventory" } else { "Service" },
        "IncomeAccountRef": {"value": income},
    });
    if purchase {
        let expense = match &policy.expense_account {
            Some(a) => a.clone(),
            None => first_account(ctx, &["Cost of Goods Sold", "Expense"]).await?,
        };
        body["ExpenseAccountRef"] = json!({"value": expense});
    }
    // The same requestid for the same name: a retried create is answered from QuickBooks' replay.
    let request_id = format!(
        "qbsync-item-{}-{:x}",
        ctx.company.id,
        fnv1a(&name.to_lowercase())
    );
    let item = match ctx.qbo.create("item", &body, &request_id).await {
        Ok(item) => item,
        // Created meanwhile (another row, another agent): take that one.
        Err(QboError::Fault { errors, .. }) if errors.iter().any(|e| e.code == "6240") => {
            query_one(
                ctx,
                "Item",
                &format!(
                    "SELECT * FROM Item WHERE Name = {} MAXRESULTS 1",
                    query_literal(name)
                ),
            )
            .await?
            .ok_or(Missing::NotAllowed)?
        }
        Err(e) => return Err(e.into()),
    };
    let id = item
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    store_item(ctx, &item).await?;
    let message = format!(
        "created on first use by {} local_id={local_id} (Type {}, income account {income})",
        parent.name,
        body["Type"].as_str().unwrap_or_default()
    );
    info!(item = name, id = %id, "item created on first use");
    ctx.db
        .execute(
            "INSERT INTO qbsync.sync_result (task_id, company_id, entity, qb_id, direction, operation, outcome, message) \
             VALUES ($1, $2, 'Item', $3, 'outgoing', 'add', 'ok', $4)",
            &[&task, &ctx.company.id, &id, &message],
        )
        .await
        .map_err(|e| Missing::Failed(Outcome::Unknown(crate::error::describe_db_error(&e))))?;
    Ok(id)
}

/// The first active account of the first of `types` QuickBooks has.
async fn first_account(ctx: &CompanyCtx, types: &[&str]) -> Result<String, Missing> {
    for t in types {
        let q = format!(
            "SELECT * FROM Account WHERE AccountType = {} AND Active = true MAXRESULTS 1",
            query_literal(t)
        );
        if let Some(a) = query_one(ctx, "Account", &q).await? {
            if let Some(id) = a.get("Id").and_then(Value::as_str) {
                return Ok(id.to_owned());
            }
        }
    }
    Err(Missing::Failed(Outcome::Failed(
        FaultError {
            code: "item".into(),
            message: format!(
                "cannot create an item: QuickBooks has no active {} account; set qbsync.company.item_income_account / item_expense_account",
                types.join(" or ")
            ),
            detail: String::new(),
            element: None,
        },
        vec![],
    )))
}

/// Keeps the mirror in step, so the next line naming the item finds it without asking QuickBooks.
async fn store_item(ctx: &mut CompanyCtx, item: &Value) -> Result<(), Missing> {
    let Some(entity) = qbo_entity("Item") else {
        return Ok(());
    };
    let text = item.to_string();
    let db_err = |e: tokio_postgres::Error| {
        Missing::Failed(Outcome::Unknown(crate::error::describe_db_error(&e)))
    };
    // A separate short transaction: the item exists in QuickBooks whatever happens to the row.
    let tx = ctx.db.transaction().await.map_err(db_err)?;
    stage::upsert(&tx, ctx.company.id, entity, &[text.as_str()], None)
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(())
}

/// FNV-1a, for a short stable requestid per item name.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}
