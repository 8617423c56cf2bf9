//! A report task for a QuickBooks Online company: fetch the report named in the task, flatten
//! it and store it as one run.

use super::CompanyCtx;
use crate::error::AgentError;
use crate::report;
use crate::tasks::Task;
use qbsync_catalog::{qbo_report, report_param};
use serde_json::Value;
use tracing::info;

/// Query parameters of a report request, by their catalogue names.
type ReportQuery = Vec<(&'static str, String)>;

/// The report name and the query parameters to send, checked against the catalogue again
/// (the extension already refused anything else; a hand-made task row must not slip through).
fn request(params: &Value) -> Result<(&'static str, ReportQuery), AgentError> {
    let name = params
        .get("report")
        .and_then(Value::as_str)
        .ok_or_else(|| AgentError::Invalid("report task without a report name".into()))?;
    let report = qbo_report(name)
        .ok_or_else(|| AgentError::Invalid(format!("unknown report \"{name}\"")))?;
    let mut query = Vec::new();
    if let Some(Value::Object(map)) = params.get("params") {
        for (k, v) in map {
            let p = report_param(k)
                .filter(|p| report.params.contains(&p.name))
                .ok_or_else(|| {
                    AgentError::Invalid(format!("report {} has no parameter \"{k}\"", report.name))
                })?;
            let value = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            query.push((p.name, value));
        }
    }
    Ok((report.name, query))
}

/// Runs the report of `task` and stores it; returns the run id.
pub async fn run(ctx: &mut CompanyCtx, task: &Task) -> Result<i64, AgentError> {
    let (name, query) = request(&task.params)?;
    ctx.db
        .execute(
            "UPDATE qbsync.task SET current_entity = $2, heartbeat_at = now() WHERE id = $1",
            &[&task.id, &name],
        )
        .await?;
    let body = ctx.qbo.report(name, query).await?;
    let flat = report::qbo::flatten(name, &body)?;
    let params = task
        .params
        .get("params")
        .cloned()
        .unwrap_or(Value::Object(Default::default()));
    let run = report::store(&mut ctx.db, ctx.company.id, Some(task.id), &params, &flat).await?;
    ctx.db
        .execute(
            "UPDATE qbsync.task SET entities_done = 1, rows_done = $2, heartbeat_at = now() WHERE id = $1",
            &[&task.id, &(flat.rows.len() as i64)],
        )
        .await?;
    info!(
        report = name,
        run,
        rows = flat.rows.len(),
        columns = flat.columns.len(),
        "report stored"
    );
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_uses_catalogue_spelling_and_refuses_unknown_params() {
        let (name, q) =
            request(&json!({"report": "profitandloss", "params": {"start_date": "2026-01-01"}}))
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(name, "ProfitAndLoss");
        assert_eq!(q, [("start_date", "2026-01-01".to_string())]);
        assert!(request(&json!({"report": "ProfitAndLoss", "params": {"bogus": 1}})).is_err());
        // A real parameter, but not one this report takes.
        assert!(
            request(&json!({"report": "ProfitAndLoss", "params": {"aging_period": 15}})).is_err()
        );
        let (_, q) = request(&json!({"report": "AgedReceivables", "params": {"aging_period": 15}}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(q, [("aging_period", "15".to_string())]);
        assert!(request(&json!({"report": "Nope"})).is_err());
    }
}
