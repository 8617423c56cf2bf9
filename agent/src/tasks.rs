//! Task rows: claiming, progress, stop requests and outcome.

use tokio_postgres::{Client, Transaction};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Connect,
    Populate,
    Refresh,
    Update,
    UpdateAndRefresh,
    Report,
}

impl TaskKind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "connect" => TaskKind::Connect,
            "populate" => TaskKind::Populate,
            "refresh" => TaskKind::Refresh,
            "update" => TaskKind::Update,
            "update_and_refresh" => TaskKind::UpdateAndRefresh,
            "report" => TaskKind::Report,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Task {
    pub id: i64,
    pub kind: TaskKind,
    pub entities: Vec<String>,
    /// What the SQL function was called with (e.g. a report's name and parameters).
    pub params: serde_json::Value,
}

/// Claims the oldest queued task of `company` (SKIP LOCKED: two agents never take the same one).
pub async fn claim(
    db: &Client,
    company: i64,
    agent_id: &str,
) -> Result<Option<Task>, tokio_postgres::Error> {
    let row = db
        .query_opt(
            "UPDATE qbsync.task SET status = 'running', started_at = now(), heartbeat_at = now(), locked_by = $2 \
             WHERE id = (SELECT id FROM qbsync.task WHERE company_id = $1 AND status = 'queued' \
                         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING id, kind, entities, params",
            &[&company, &agent_id],
        )
        .await?;
    Ok(row.and_then(|r| {
        let kind: String = r.get(1);
        TaskKind::parse(&kind).map(|kind| Task {
            id: r.get(0),
            kind,
            entities: r.get(2),
            params: r.get(3),
        })
    }))
}

/// Records where a populate of `entity` got to (the last Id written, when the load began and
/// QuickBooks' time on its first page), in
/// the transaction that wrote those rows.
pub async fn checkpoint(
    db: &Transaction<'_>,
    task: Option<i64>,
    entity: &str,
    after: u64,
    began: chrono::DateTime<chrono::Utc>,
    cursor: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), tokio_postgres::Error> {
    if let Some(task) = task {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        db.execute(
            "UPDATE qbsync.task SET checkpoint = checkpoint || jsonb_build_object($2::text, \
             jsonb_build_object('after', $3::int8, 'began', $4::timestamptz, 'cursor', $5::timestamptz)) WHERE id = $1",
            &[&task, &entity, &after, &began, &cursor],
        )
        .await?;
    }
    Ok(())
}

/// Records that the populate of `entity` is complete, in the transaction that completed it.
pub async fn checkpoint_done(
    db: &Transaction<'_>,
    task: Option<i64>,
    entity: &str,
) -> Result<(), tokio_postgres::Error> {
    if let Some(task) = task {
        db.execute(
            "UPDATE qbsync.task SET checkpoint = checkpoint || jsonb_build_object($2::text, '{\"done\": true}'::jsonb) WHERE id = $1",
            &[&task, &entity],
        )
        .await?;
    }
    Ok(())
}

/// The entities an earlier run of this populate task completed (empty on a first run); sets
/// `entities_done` to their number, which an interrupted run may have left one short.
pub async fn populated_entities(
    db: &Client,
    task: i64,
) -> Result<Vec<String>, tokio_postgres::Error> {
    let row = db
        .query_one(
            "WITH done AS (SELECT coalesce(array_agg(e.key), '{}') AS entities FROM qbsync.task t, \
                 jsonb_each(t.checkpoint) e WHERE t.id = $1 AND e.value ? 'done') \
             UPDATE qbsync.task t SET entities_done = cardinality(done.entities) FROM done \
             WHERE t.id = $1 RETURNING done.entities",
            &[&task],
        )
        .await?;
    Ok(row.get(0))
}

/// Marks the start of an entity; returns false when a stop was requested (the entity boundary
/// is where a task stops).
pub async fn begin_entity(
    db: &Client,
    task: i64,
    entity: &str,
) -> Result<bool, tokio_postgres::Error> {
    let row = db
        .query_one(
            "UPDATE qbsync.task SET current_entity = $2, heartbeat_at = now() WHERE id = $1 RETURNING stop_requested",
            &[&task, &entity],
        )
        .await?;
    Ok(!row.get::<_, bool>(0))
}

pub async fn end_entity(db: &Client, task: i64) -> Result<(), tokio_postgres::Error> {
    db.execute("UPDATE qbsync.task SET entities_done = entities_done + 1, heartbeat_at = now() WHERE id = $1", &[&task])
        .await?;
    Ok(())
}

/// Adds to the task's counters; called inside the transaction that wrote the rows.
pub async fn progress(
    db: &Transaction<'_>,
    task: Option<i64>,
    rows: i64,
    errors: i32,
) -> Result<(), tokio_postgres::Error> {
    if let Some(task) = task {
        db.execute(
            "UPDATE qbsync.task SET rows_done = rows_done + $2, errors = errors + $3, heartbeat_at = now() WHERE id = $1",
            &[&task, &rows, &errors],
        )
        .await?;
    }
    Ok(())
}

pub async fn finish(
    db: &Client,
    task: i64,
    status: &str,
    error: Option<&str>,
) -> Result<(), tokio_postgres::Error> {
    let row = db
        .query_opt(
            "UPDATE qbsync.task SET status = $2, error = $3, finished_at = now(), heartbeat_at = now(), \
             current_entity = CASE WHEN $2 = 'done' THEN NULL ELSE current_entity END WHERE id = $1 \
             RETURNING kind, extract(epoch FROM finished_at - coalesce(started_at, created_at))::float8",
            &[&task, &status, &error],
        )
        .await?;
    if let Some(row) = row {
        let kind: String = row.get(0);
        let seconds: Option<f64> = row.get(1);
        crate::metrics::task_finished(&kind, status, seconds.unwrap_or(0.0));
    }
    Ok(())
}

/// Puts back in the queue the tasks of agents that died: no heartbeat for `after`, and no
/// agent holds the company's lease (a live worker waiting out a long throttle still does).
pub async fn requeue_stale(
    db: &Client,
    after: std::time::Duration,
    lease_key: i32,
) -> Result<u64, tokio_postgres::Error> {
    db.execute(
        "UPDATE qbsync.task t SET status = 'queued', locked_by = NULL \
         WHERE t.status = 'running' AND t.heartbeat_at < now() - make_interval(secs => $1::float8) \
           AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted \
                           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                           AND l.classid::int8 = $2::int8 AND l.objid::int8 = t.company_id AND l.objsubid = 2)",
        &[&after.as_secs_f64(), &i64::from(lease_key)],
    )
    .await
}
