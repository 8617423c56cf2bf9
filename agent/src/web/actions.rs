//! The page's POST actions: queue a refresh or a sync for a company, and link or unlink the
//! local rows behind selected sync results. Each answers with a redirect back to the page (same
//! filters) and a flash saying what happened, row by row; PostgreSQL's refusals are shown as
//! PostgreSQL words them.

use super::filters::ResultFilters;
use super::flash::Notice;
use super::{csrf, SharedState, WebError};
use axum::extract::State;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use std::collections::HashSet;
use tokio_postgres::Client;

/// Form field naming the company a refresh or sync is for (`company` is the results filter).
pub const TARGET_COMPANY: &str = "target_company";
/// Form field (repeated) of the selected sync results.
pub const RESULT: &str = "result";

type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// PostgreSQL's message with its detail and hint, or the error itself when the server sent
/// none (then it is not a refusal but a failure, and the caller gives up).
fn refusal(e: &tokio_postgres::Error) -> Option<String> {
    let db = e.as_db_error()?;
    let mut text = db.message().to_string();
    if let Some(detail) = db.detail() {
        text.push_str(&format!(" ({detail})"));
    }
    if let Some(hint) = db.hint() {
        if !text.ends_with(['.', '!', '?']) {
            text.push('.');
        }
        text.push_str(&format!(" Hint: {hint}"));
    }
    Some(text)
}

/// 303 back to the page with these filters, showing `notices` there.
fn back(
    state: &SharedState,
    filters: &ResultFilters,
    notices: Vec<Notice>,
) -> Result<Response, WebError> {
    let cookie = state.flashes.put(notices)?;
    Ok((
        StatusCode::SEE_OTHER,
        [(LOCATION, filters.href()), (SET_COOKIE, cookie)],
    )
        .into_response())
}

#[derive(Clone, Copy)]
enum CompanyTask {
    Refresh,
    Sync,
}

impl CompanyTask {
    fn sql(self) -> &'static str {
        match self {
            CompanyTask::Refresh => "SELECT qbsync.qb_refresh($1)",
            CompanyTask::Sync => "SELECT qbsync.qb_update_and_refresh($1)",
        }
    }

    fn label(self) -> &'static str {
        match self {
            CompanyTask::Refresh => "Refresh",
            CompanyTask::Sync => "Sync (push, then refresh)",
        }
    }
}

/// POST /refresh: `qbsync.qb_refresh(company)`.
pub async fn refresh(state: State<SharedState>, form: Form<Fields>) -> Result<Response, WebError> {
    company_task(state, form, CompanyTask::Refresh).await
}

/// POST /sync: `qbsync.qb_update_and_refresh(company)`.
pub async fn sync(state: State<SharedState>, form: Form<Fields>) -> Result<Response, WebError> {
    company_task(state, form, CompanyTask::Sync).await
}

async fn company_task(
    State(state): State<SharedState>,
    Form(fields): Form<Fields>,
    task: CompanyTask,
) -> Result<Response, WebError> {
    if !state.csrf.accepts(&fields) {
        return Ok(csrf::refused());
    }
    let filters = ResultFilters::from_pairs(&fields);
    let Some(company) = field(&fields, TARGET_COMPANY).filter(|c| !c.is_empty()) else {
        return back(
            &state,
            &filters,
            vec![Notice::refused("No company was named.")],
        );
    };
    let db = state.db.client().await?;
    let notice = match db.query_one(task.sql(), &[&company]).await {
        Ok(row) => {
            let id: i64 = row.get(0);
            tracing::info!(
                company,
                task = id,
                kind = task.label(),
                "task queued from the web page"
            );
            Notice::done(format!(
                "{} of {company} queued as task {id}.",
                task.label()
            ))
        }
        Err(e) => match refusal(&e) {
            Some(why) => Notice::refused(format!("{} of {company} refused: {why}", task.label())),
            None => {
                return Err(WebError::Query {
                    what: "queueing the task",
                    source: e,
                })
            }
        },
    };
    back(&state, &filters, vec![notice])
}

/// The local row behind a sync result.
struct Target {
    company: String,
    entity: String,
    /// `schema.table`, None when the entity is not in the catalogue.
    table: Option<String>,
    /// Quoted for SQL (from the catalogue, quoted all the same).
    quoted_table: Option<String>,
    local_id: Option<i64>,
    qb_id: Option<String>,
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn target(db: &Client, result_id: i64) -> Result<Option<Target>, tokio_postgres::Error> {
    let row = db
        .query_opt(
            "SELECT c.name, sr.entity, en.schema_name, en.table_name, sr.local_id, sr.qb_id \
             FROM qbsync.sync_result sr JOIN qbsync.company c ON c.id = sr.company_id \
             LEFT JOIN qbsync.entity en ON en.name = sr.entity WHERE sr.id = $1",
            &[&result_id],
        )
        .await?;
    Ok(row.map(|r| {
        let schema: Option<String> = r.get(2);
        let table: Option<String> = r.get(3);
        let (table, quoted_table) = match (schema, table) {
            (Some(s), Some(t)) => (
                Some(format!("{s}.{t}")),
                Some(format!("{}.{}", quote_ident(&s), quote_ident(&t))),
            ),
            _ => (None, None),
        };
        Target {
            company: r.get(0),
            entity: r.get(1),
            table,
            quoted_table,
            local_id: r.get(4),
            qb_id: r.get(5),
        }
    }))
}

#[derive(Clone, Copy, PartialEq)]
enum LinkAction {
    Link,
    Unlink,
}

/// POST /results/link: `qbsync.qb_link(table, local_id, qb_id)` for each selected row.
pub async fn link(state: State<SharedState>, form: Form<Fields>) -> Result<Response, WebError> {
    link_rows(state, form, LinkAction::Link).await
}

/// POST /results/unlink: `qbsync.qb_unlink(table, local_id)` for each selected row.
pub async fn unlink(state: State<SharedState>, form: Form<Fields>) -> Result<Response, WebError> {
    link_rows(state, form, LinkAction::Unlink).await
}

async fn link_rows(
    State(state): State<SharedState>,
    Form(fields): Form<Fields>,
    action: LinkAction,
) -> Result<Response, WebError> {
    if !state.csrf.accepts(&fields) {
        return Ok(csrf::refused());
    }
    let filters = ResultFilters::from_pairs(&fields);
    let selected: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == RESULT)
        .map(|(_, v)| v.as_str())
        .collect();
    if selected.is_empty() {
        return back(
            &state,
            &filters,
            vec![Notice::refused(
                "No row was selected: tick the box of each row first.",
            )],
        );
    }
    let db = state.db.client().await?;
    let mut notices = Vec::new();
    // Two results of the same record are one row to (un)link.
    let mut seen: HashSet<(String, i64)> = HashSet::new();
    for raw in selected {
        let Ok(result_id) = raw.trim().parse::<i64>() else {
            notices.push(Notice::refused(format!("\"{raw}\" is not a result id.")));
            continue;
        };
        let target = target(&db, result_id)
            .await
            .map_err(WebError::query("reading the selected result"))?;
        let Some(t) = target else {
            notices.push(Notice::refused(format!(
                "Result {result_id} no longer exists (pruned?)."
            )));
            continue;
        };
        let (Some(table), Some(quoted), Some(local_id)) =
            (t.table.clone(), t.quoted_table.clone(), t.local_id)
        else {
            notices.push(Notice::refused(format!(
                "Result {result_id} ({}) has no local row to link or unlink.",
                t.entity
            )));
            continue;
        };
        if !seen.insert((table.clone(), local_id)) {
            continue;
        }
        let notice = match action {
            LinkAction::Unlink => unlink_one(&db, &t, &table, local_id).await?,
            LinkAction::Link => link_one(&db, &t, &table, &quoted, local_id).await?,
        };
        notices.push(notice);
    }
    back(&state, &filters, notices)
}

async fn unlink_one(
    db: &Client,
    t: &Target,
    table: &str,
    local_id: i64,
) -> Result<Notice, WebError> {
    match db
        .query_one("SELECT qbsync.qb_unlink($1, $2)", &[&table, &local_id])
        .await
    {
        Ok(row) => {
            let still_referring: i64 = row.get(0);
            tracing::info!(company = %t.company, table, local_id, "row unlinked from the web page");
            let mut text = format!("Unlinked {table} local_id={local_id} ({}", t.company);
            if let Some(id) = &t.qb_id {
                text.push_str(&format!(", QuickBooks Id {id}"));
            }
            text.push_str("): it is left out of every sync.");
            if still_referring > 0 {
                text.push_str(&format!(
                    " {still_referring} rows still refer to it and keep syncing."
                ));
            }
            Ok(Notice::done(text))
        }
        Err(e) => match refusal(&e) {
            Some(why) => Ok(Notice::refused(format!(
                "{table} local_id={local_id}: {why}"
            ))),
            None => Err(WebError::Query {
                what: "unlinking a row",
                source: e,
            }),
        },
    }
}

async fn link_one(
    db: &Client,
    t: &Target,
    table: &str,
    quoted: &str,
    local_id: i64,
) -> Result<Notice, WebError> {
    // The row's own Id first (it is what the row stands for now), else the one the result saw.
    // to_jsonb: tables without an `id` column give NULL here and qb_link gives the reason.
    let mirror_id = db
        .query_opt(
            &format!("SELECT to_jsonb(t) ->> 'id' FROM {quoted} t WHERE t.local_id = $1"),
            &[&local_id],
        )
        .await;
    let mirror_id: Option<String> = match mirror_id {
        Ok(row) => row.and_then(|r| r.get(0)),
        Err(e) => match refusal(&e) {
            Some(why) => {
                return Ok(Notice::refused(format!(
                    "{table} local_id={local_id}: {why}"
                )))
            }
            None => {
                return Err(WebError::Query {
                    what: "reading the row to link",
                    source: e,
                })
            }
        },
    };
    let Some(qb_id) = mirror_id.or_else(|| t.qb_id.clone()) else {
        return Ok(Notice::refused(format!(
            "{table} local_id={local_id} has no QuickBooks Id to link to: use qbsync.qb_link('{table}', {local_id}, '<QuickBooks Id>') or qbsync.qb_match."
        )));
    };
    match db
        .query_one(
            "SELECT qbsync.qb_link($1, $2, $3)",
            &[&table, &local_id, &qb_id],
        )
        .await
    {
        Ok(_) => {
            tracing::info!(company = %t.company, table, local_id, qb_id, "row linked from the web page");
            Ok(Notice::done(format!(
                "Linked {table} local_id={local_id} to QuickBooks Id {qb_id} ({}); it will be refreshed from QuickBooks.",
                t.company
            )))
        }
        Err(e) => match refusal(&e) {
            Some(why) => Ok(Notice::refused(format!(
                "{table} local_id={local_id}: {why}"
            ))),
            None => Err(WebError::Query {
                what: "linking a row",
                source: e,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(super::quote_ident("customer"), "\"customer\"");
        assert_eq!(super::quote_ident("we\"ird"), "\"we\"\"ird\"");
    }
}
