//! The page's reads: companies (`qbsync.status`), recent activity, messages and the sync
//! results with their filters. Every filter value is a bound parameter. Times are formatted by
//! PostgreSQL, in the session's time zone, as the status view formats its own.

use super::filters::{contains_pattern, PerPage, ResultFilters};
use super::WebError;
use chrono::NaiveDateTime;
use tokio_postgres::Client;

/// Rows of the activity and message tables.
const RECENT: i64 = 20;

pub struct CompanyRow {
    pub name: String,
    pub kind: String,
    pub state: String,
    pub flag: String,
    pub errors: i64,
    pub errors_last_day: i64,
    pub requested_by: String,
    pub last_sync_at: String,
    /// When pg_cron next runs one of the company's scheduled tasks (qb_schedule), or empty.
    pub next_sync_at: String,
}

pub async fn companies(db: &Client) -> Result<Vec<CompanyRow>, WebError> {
    let rows = db
        .query(
            "SELECT company, kind, coalesce(state, ''), coalesce(flag, 'blue'), errors::bigint, errors_last_day, \
                    coalesce(requested_by, ''), coalesce(to_char(last_sync_at, 'YYYY-MM-DD HH24:MI:SS'), ''), \
                    coalesce(to_char(next_sync_at, 'YYYY-MM-DD HH24:MI:SS'), '') \
             FROM qbsync.status ORDER BY company",
            &[],
        )
        .await
        .map_err(WebError::query("reading qbsync.status"))?;
    Ok(rows
        .iter()
        .map(|r| CompanyRow {
            name: r.get(0),
            kind: r.get(1),
            state: r.get(2),
            flag: r.get(3),
            errors: r.get(4),
            errors_last_day: r.get(5),
            requested_by: r.get(6),
            last_sync_at: r.get(7),
            next_sync_at: r.get(8),
        })
        .collect())
}

pub struct ActivityRow {
    pub at: String,
    pub company: String,
    pub table: String,
    pub local_id: String,
    pub qb_id: String,
    pub direction: String,
    pub what: String,
    pub message: String,
}

pub async fn recent_activity(db: &Client) -> Result<Vec<ActivityRow>, WebError> {
    let rows = db
        .query(
            "SELECT to_char(at, 'YYYY-MM-DD HH24:MI:SS'), company, coalesce(table_name, entity), \
                    coalesce(local_id::text, ''), coalesce(qb_id, ''), direction, what, coalesce(message, '') \
             FROM qbsync.recent_activity ORDER BY at DESC LIMIT $1",
            &[&RECENT],
        )
        .await
        .map_err(WebError::query("reading qbsync.recent_activity"))?;
    Ok(rows
        .iter()
        .map(|r| ActivityRow {
            at: r.get(0),
            company: r.get(1),
            table: r.get(2),
            local_id: r.get(3),
            qb_id: r.get(4),
            direction: r.get(5),
            what: r.get(6),
            message: r.get(7),
        })
        .collect())
}

pub struct MessageRow {
    pub at: String,
    pub company: String,
    pub task_id: String,
    pub table: String,
    pub local_id: String,
    pub operation: String,
    pub code: String,
    pub reason: String,
}

pub async fn messages(db: &Client) -> Result<Vec<MessageRow>, WebError> {
    let rows = db
        .query(
            "SELECT coalesce(to_char(at, 'YYYY-MM-DD HH24:MI:SS'), ''), company, coalesce(task_id::text, ''), \
                    coalesce(table_name, entity, ''), coalesce(local_id::text, ''), coalesce(operation, ''), \
                    coalesce(code, ''), coalesce(message, '') \
             FROM qbsync.messages ORDER BY at DESC NULLS LAST LIMIT $1",
            &[&RECENT],
        )
        .await
        .map_err(WebError::query("reading qbsync.messages"))?;
    Ok(rows
        .iter()
        .map(|r| MessageRow {
            at: r.get(0),
            company: r.get(1),
            task_id: r.get(2),
            table: r.get(3),
            local_id: r.get(4),
            operation: r.get(5),
            code: r.get(6),
            reason: r.get(7),
        })
        .collect())
}

/// The entity types that have results, for the entity filter.
pub async fn result_entities(db: &Client) -> Result<Vec<String>, WebError> {
    let rows = db
        .query(
            "SELECT DISTINCT entity FROM qbsync.sync_result ORDER BY 1",
            &[],
        )
        .await
        .map_err(WebError::query(
            "listing the entity types of qbsync.sync_result",
        ))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The task whose start is the default `since`.
pub struct LastDoneTask {
    pub id: i64,
    pub company: String,
    /// `started_at` in the session's time zone, to the second (down, so its own results count).
    pub started: NaiveDateTime,
}

/// The last task with status 'done' (of `company`, or of any company).
pub async fn last_done_task(
    db: &Client,
    company: Option<&str>,
) -> Result<Option<LastDoneTask>, WebError> {
    let row = db
        .query_opt(
            "SELECT t.id, c.name, date_trunc('second', t.started_at)::timestamp \
             FROM qbsync.task t JOIN qbsync.company c ON c.id = t.company_id \
             WHERE t.status = 'done' AND t.started_at IS NOT NULL AND ($1::text IS NULL OR c.name = $1) \
             ORDER BY t.finished_at DESC NULLS LAST, t.id DESC LIMIT 1",
            &[&company],
        )
        .await
        .map_err(WebError::query("finding the last completed task"))?;
    Ok(row.map(|r| LastDoneTask {
        id: r.get(0),
        company: r.get(1),
        started: r.get(2),
    }))
}

pub struct ResultRow {
    pub result_id: i64,
    pub date: String,
    pub company: String,
    pub entity_type: String,
    pub local_key: Option<i64>,
    pub quickbooks_id: String,
    pub direction: String,
    pub outcome: String,
    pub details: String,
    pub link_status: String,
    pub task_id: String,
}

/// The conditions of the results filters over `qbsync.sync_results`, parameters $1..$5.
const RESULTS_WHERE: &str = "($1::text IS NULL OR company = $1) \
     AND ($2::timestamp IS NULL OR date >= $2::timestamp) \
     AND ($3::text IS NULL OR link_status = $3) \
     AND ($4::text IS NULL OR entity_type = $4) \
     AND ($5::text IS NULL OR quickbooks_id ILIKE $5 OR local_key::text ILIKE $5 OR details ILIKE $5)";

/// The filter values in parameter order.
struct Bound {
    company: Option<String>,
    since: Option<NaiveDateTime>,
    status: Option<&'static str>,
    entity: Option<String>,
    pattern: Option<String>,
}

impl Bound {
    fn new(f: &ResultFilters, since: Option<NaiveDateTime>) -> Bound {
        Bound {
            company: f.company.clone(),
            since,
            status: f.status.sql_value(),
            entity: f.entity.clone(),
            pattern: f.q.as_deref().map(contains_pattern),
        }
    }
}

/// How many results match the filters.
pub async fn count_results(
    db: &Client,
    f: &ResultFilters,
    since: Option<NaiveDateTime>,
) -> Result<i64, WebError> {
    let b = Bound::new(f, since);
    let row = db
        .query_one(
            &format!("SELECT count(*) FROM qbsync.sync_results WHERE {RESULTS_WHERE}"),
            &[&b.company, &b.since, &b.status, &b.entity, &b.pattern],
        )
        .await
        .map_err(WebError::query("counting qbsync.sync_results"))?;
    Ok(row.get(0))
}

/// One page of matching results, newest first.
pub async fn results(
    db: &Client,
    f: &ResultFilters,
    since: Option<NaiveDateTime>,
    per_page: PerPage,
    offset: i64,
) -> Result<Vec<ResultRow>, WebError> {
    let b = Bound::new(f, since);
    let limit = per_page.limit();
    let rows = db
        .query(
            &format!(
                "SELECT result_id, to_char(date, 'YYYY-MM-DD HH24:MI:SS'), company, entity_type, local_key, \
                        coalesce(quickbooks_id, ''), direction, outcome, coalesce(details, ''), link_status, \
                        coalesce(task_id::text, '') \
                 FROM qbsync.sync_results WHERE {RESULTS_WHERE} \
                 ORDER BY date DESC, result_id DESC LIMIT $6 OFFSET $7"
            ),
            &[&b.company, &b.since, &b.status, &b.entity, &b.pattern, &limit, &offset],
        )
        .await
        .map_err(WebError::query("reading qbsync.sync_results"))?;
    Ok(rows
        .iter()
        .map(|r| ResultRow {
            result_id: r.get(0),
            date: r.get(1),
            company: r.get(2),
            entity_type: r.get(3),
            local_key: r.get(4),
            quickbooks_id: r.get(5),
            direction: r.get(6),
            outcome: r.get(7),
            details: r.get(8),
            link_status: r.get(9),
            task_id: r.get(10),
        })
        .collect())
}

/// The session's time zone, shown next to the times.
pub async fn time_zone(db: &Client) -> Result<String, WebError> {
    let row = db
        .query_one("SELECT current_setting('TimeZone')", &[])
        .await
        .map_err(WebError::query("reading the time zone"))?;
    Ok(row.get(0))
}
