//! A Desktop report task: one report query per task (reports have no iterators), stored in the
//! same report tables as QuickBooks Online runs.

use crate::error::AgentError;
use crate::report;
use crate::tasks::Task;
use chrono::NaiveDate;
use qbsync_catalog::{qbd_report, QbdReport, QbdReportFamily};
use qbsync_qbxml::request::{
    report_query_rq, MessageSet, OnError, ReportBasis, ReportDates, ReportKind, ReportQuery,
};
use qbsync_qbxml::response::parse_response;
use serde_json::Value;
use tokio_postgres::Client;
use tracing::info;

/// Columns of a custom transaction detail report when the call names none (qbXML needs one).
const CUSTOM_DETAIL_COLUMNS: &[&str] = &[
    "TxnType",
    "Date",
    "RefNumber",
    "Name",
    "Account",
    "Memo",
    "Amount",
];

pub struct RunReport {
    pub task: i64,
    report: QbdReport,
    params: Value,
    query: ReportQuery,
    period: (Option<NaiveDate>, Option<NaiveDate>),
}

fn date(v: &Value, key: &str) -> Result<Option<NaiveDate>, AgentError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                AgentError::Invalid(format!("report parameter {key} is not a date: {s}"))
            })
        })
        .transpose()
}

impl RunReport {
    /// The report of `task` (`params` = `{"report": name, "params": {...}}` as qb_report() stored it).
    pub fn new(task: &Task) -> Result<Self, AgentError> {
        let name = task
            .params
            .get("report")
            .and_then(Value::as_str)
            .ok_or_else(|| AgentError::Invalid("report task without a report name".into()))?;
        let report = qbd_report(name).ok_or_else(|| {
            AgentError::Invalid(format!("unknown QuickBooks Desktop report \"{name}\""))
        })?;
        let params = task
            .params
            .get("params")
            .cloned()
            .unwrap_or(Value::Object(Default::default()));
        let text = |k: &str| params.get(k).and_then(Value::as_str).map(str::to_owned);
        let kind = match report.family {
            QbdReportFamily::GeneralSummary => ReportKind::GeneralSummary(report.name.into()),
            QbdReportFamily::GeneralDetail => ReportKind::GeneralDetail(report.name.into()),
            QbdReportFamily::Aging => ReportKind::Aging(report.name.into()),
            QbdReportFamily::CustomSummary => ReportKind::CustomSummary,
            QbdReportFamily::CustomDetail => ReportKind::CustomDetail,
        };
        let period = (date(&params, "start_date")?, date(&params, "end_date")?);
        let mut query = ReportQuery::new(kind);
        query.dates = match (text("date_macro"), period) {
            (Some(m), _) => Some(ReportDates::Macro(m)),
            (None, (None, None)) => None,
            (None, (from, to)) => Some(ReportDates::Period { from, to }),
        };
        query.summarize_columns_by = text("summarize_column_by");
        query.summarize_rows_by = text("summarize_rows_by");
        if report.family != QbdReportFamily::Aging {
            query.basis = match text("accounting_method").as_deref() {
                Some("Cash") => Some(ReportBasis::Cash),
                Some("Accrual") => Some(ReportBasis::Accrual),
                _ => None,
            };
        }
        if report.family == QbdReportFamily::CustomDetail {
            query.include_columns = CUSTOM_DETAIL_COLUMNS
                .iter()
                .map(|c| c.to_string())
                .collect();
            if query.summarize_rows_by.is_none() {
                query.summarize_rows_by = Some("Account".into());
            }
        }
        Ok(RunReport {
            task: task.id,
            report,
            params,
            query,
            period,
        })
    }

    pub fn request(&self) -> Result<String, AgentError> {
        let rq = report_query_rq("1", &self.query)
            .map_err(|e| AgentError::Invalid(format!("report {}: {e}", self.report.name)))?;
        Ok(MessageSet::new(OnError::ContinueOnError).with(rq).to_xml())
    }

    /// Stores the report; always completes the task.
    pub async fn absorb(
        &mut self,
        db: &mut Client,
        company: i64,
        response: &str,
    ) -> Result<bool, AgentError> {
        let name = self.report.name;
        let parsed = parse_response(response).map_err(|e| {
            AgentError::Invalid(format!(
                "report {name}: unreadable QuickBooks response: {e}"
            ))
        })?;
        let rs = parsed.responses.first().ok_or_else(|| {
            AgentError::Invalid(format!(
                "report {name}: QuickBooks answered without a response"
            ))
        })?;
        if rs.is_error() {
            return Err(AgentError::Invalid(format!(
                "report {name}: QuickBooks refused it [{}] {}",
                rs.status_code.unwrap_or_default(),
                rs.status_message
            )));
        }
        let ret = rs.report().ok_or_else(|| {
            AgentError::Invalid(format!("report {name}: QuickBooks returned no ReportRet"))
        })?;
        let flat = report::qbd::flatten(
            name,
            &ret,
            self.period,
            self.query.summarize_columns_by.as_deref(),
        );
        let run = report::store(db, company, Some(self.task), &self.params, &flat).await?;
        db.execute(
            "UPDATE qbsync.task SET entities_done = 1, rows_done = $2, current_entity = $3, heartbeat_at = now() WHERE id = $1",
            &[&self.task, &(flat.rows.len() as i64), &name],
        )
        .await?;
        info!(
            report = name,
            run,
            rows = flat.rows.len(),
            "Desktop report stored"
        );
        Ok(true)
    }
}
