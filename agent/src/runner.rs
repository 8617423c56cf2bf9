//! The agent's main loop: wake on NOTIFY or every sweep interval, find companies with work,
//! and run one worker per company. A worker holds an advisory-lock lease on its company, so
//! several agents can share one database without working the same company twice.

use crate::config::AgentConfig;
use crate::db;
use crate::error::AgentError;
use crate::keys::{self, KeyError};
use crate::listener::{self, Wake};
use crate::qbo::{QboClient, RealmLimitsRegistry, TokenSource};
use crate::sync::{populate, push, refresh, Company, CompanyCtx};
use crate::tasks::{self, Task, TaskKind};
use qbsync_catalog::{qbo_entity, Entity, QBD_ENTITIES, QBD_SCHEMA, QBO_ENTITIES, QBO_SCHEMA};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{error, info, info_span, warn, Instrument};

/// First key of the per-company advisory lock ("qbsy").
const LEASE_KEY: i32 = 0x7162_7379;

struct Shared {
    cfg: Arc<AgentConfig>,
    http: reqwest::Client,
    limits: RealmLimitsRegistry,
}

struct Worker {
    more: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

/// SQL listing the companies that have queued tasks or pending rows.
fn companies_with_work_sql() -> String {
    let mut parts = vec![
        "EXISTS (SELECT 1 FROM qbsync.task t WHERE t.company_id = c.id AND t.status = 'queued')"
            .to_string(),
    ];
    for e in QBO_ENTITIES {
        parts.push(format!(
            "EXISTS (SELECT 1 FROM {QBO_SCHEMA}.{} x WHERE x.company_id = c.id AND x.sync_status IN ('pending', 'sending'))",
            e.table
        ));
    }
    format!(
        "SELECT c.id FROM qbsync.company c WHERE c.kind = 'qbo' AND c.error IS NULL AND ({})",
        parts.join(" OR ")
    )
}

/// SQL counting, per company, queued tasks and mirror rows waiting to be pushed (Online and
/// Desktop tables), for the queue-depth gauges.
fn queue_depth_sql() -> String {
    let pending: Vec<String> = QBO_ENTITIES
        .iter()
        .map(|e| format!("SELECT company_id FROM {QBO_SCHEMA}.{} WHERE sync_status IN ('pending', 'sending')", e.table))
        .chain(QBD_ENTITIES.iter().map(|e| {
            format!("SELECT company_id FROM {QBD_SCHEMA}.{} WHERE sync_status IN ('pending', 'sending')", e.table)
        }))
        .collect();
    format!(
        "SELECT c.name, \
                (SELECT count(*) FROM qbsync.task t WHERE t.company_id = c.id AND t.status = 'queued'), \
                coalesce(p.n, 0) \
         FROM qbsync.company c \
         LEFT JOIN (SELECT company_id, count(*) AS n FROM ({}) u GROUP BY company_id) p ON p.company_id = c.id",
        pending.join(" UNION ALL ")
    )
}

/// Refreshes the queue-depth gauges; a failure only costs the gauges, never the agent.
async fn refresh_queue_depth(db: &tokio_postgres::Client, sql: &str) {
    match db.query(sql, &[]).await {
        Ok(rows) => {
            let depth: Vec<(String, i64, i64)> = rows
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect();
            crate::metrics::queue_depth(&depth);
        }
        Err(e) => {
            warn!(error = %crate::error::describe_db_error(&e), "could not measure the queue")
        }
    }
}

async fn companies_with_work(
    db: &tokio_postgres::Client,
    work_sql: &str,
) -> Result<Vec<i64>, tokio_postgres::Error> {
    Ok(db
        .query(work_sql, &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// The periodic pass: re-queues the tasks of dead agents, measures the queue, lists the work.
async fn sweep_once(
    db: &tokio_postgres::Client,
    cfg: &AgentConfig,
    work_sql: &str,
    depth_sql: &str,
) -> Result<Vec<i64>, tokio_postgres::Error> {
    let requeued = tasks::requeue_stale(db, cfg.stale_task_after, LEASE_KEY).await?;
    if requeued > 0 {
        warn!(
            requeued,
            "re-queued tasks of an agent that stopped answering"
        );
    }
    refresh_queue_depth(db, depth_sql).await;
    companies_with_work(db, work_sql).await
}

/// Runs until `shutdown` turns true; in-flight work stops at the next safe point. Losing the
/// database (a restart, a dropped connection) pauses the work until it is back.
pub async fn run(cfg: AgentConfig, shutdown: watch::Receiver<bool>) -> Result<(), AgentError> {
    let cfg = Arc::new(cfg);
    let http = reqwest::Client::builder()
        .timeout(cfg.http_timeout)
        .user_agent(concat!("qbsync-agent/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AgentError::Invalid(format!("HTTP client: {e}")))?;
    let shared = Arc::new(Shared {
        cfg: cfg.clone(),
        http,
        limits: RealmLimitsRegistry::default(),
    });
    let mut db = db::connect(&cfg.database).await?;
    // Before any work: secrets this agent cannot open must stop it here, not per company.
    let key = cfg.secret_key.as_ref().ok_or(KeyError::Missing)?;
    keys::check_registered(&db, key).await?;
    info!(key = %key.public_key().fingerprint(), "agent key matches the registered one");
    info!(database = %crate::config::describe(&cfg.database), agent = %cfg.agent_id, "agent started");
    let (wake_tx, mut wake_rx) = mpsc::channel::<Wake>(1024);
    let listener = tokio::spawn(listener::listen(
        cfg.database.clone(),
        wake_tx,
        shutdown.clone(),
    ));
    let mut sweep = tokio::time::interval(cfg.sweep_interval);
    let work_sql = companies_with_work_sql();
    let depth_sql = queue_depth_sql();
    let mut workers: HashMap<i64, Worker> = HashMap::new();
    let mut stop = shutdown.clone();
    loop {
        let found: Result<Vec<i64>, tokio_postgres::Error> = tokio::select! {
            w = wake_rx.recv() => match w {
                Some(Wake { company: Some(c) }) => Ok(vec![c]),
                _ => companies_with_work(&db, &work_sql).await,
            },
            _ = sweep.tick() => sweep_once(&db, &cfg, &work_sql, &depth_sql).await,
            _ = stop.changed() => break,
        };
        let companies = match found {
            Ok(c) => c,
            Err(e) => {
                // A restarted or unreachable PostgreSQL must not stop the agent: try again at the
                // next sweep, on a new connection when this one is gone.
                warn!(error = %crate::error::describe_db_error(&e), "cannot look for work; retrying at the next sweep");
                if db.is_closed() {
                    match db::connect(&cfg.database).await {
                        Ok(c) => {
                            info!("reconnected to the database");
                            db = c;
                        }
                        Err(e) => {
                            warn!(error = %crate::error::describe_db_error(&e), "cannot reconnect to the database")
                        }
                    }
                }
                continue;
            }
        };
        workers.retain(|_, w| !w.handle.is_finished());
        for company in companies {
            match workers.get(&company) {
                Some(w) => w.more.store(true, Ordering::SeqCst),
                None => {
                    let more = Arc::new(AtomicBool::new(true));
                    let handle = tokio::spawn(
                        company_worker(shared.clone(), company, more.clone(), shutdown.clone())
                            .instrument(info_span!("company", id = company)),
                    );
                    workers.insert(company, Worker { more, handle });
                }
            }
        }
    }
    info!("shutting down: waiting for workers to reach a safe point");
    for (_, w) in workers {
        let _ = w.handle.await;
    }
    let _ = listener.await;
    Ok(())
}

async fn load_company(
    db: &tokio_postgres::Client,
    id: i64,
) -> Result<Option<Company>, tokio_postgres::Error> {
    Ok(db
        .query_opt(
            "SELECT id, name, coalesce(realm_id, ''), api_base, token_url, operation_result FROM qbsync.company \
             WHERE id = $1 AND kind = 'qbo' AND error IS NULL",
            &[&id],
        )
        .await?
        .map(|r| Company {
            id: r.get(0),
            name: r.get(1),
            realm_id: r.get(2),
            api_base: r.get(3),
            token_url: r.get(4),
            operation_result: r.get(5),
        }))
}

async fn company_worker(
    shared: Arc<Shared>,
    company_id: i64,
    more: Arc<AtomicBool>,
    shutdown: watch::Receiver<bool>,
) {
    if let Err(e) = work_company(&shared, company_id, &more, shutdown).await {
        match e {
            AgentError::Shutdown => {}
            e if e.is_transient() => {
                warn!(error = %e, "company worker paused; will retry at the next sweep")
            }
            e => error!(error = %e, "company worker failed"),
        }
    }
}

async fn work_company(
    shared: &Shared,
    company_id: i64,
    more: &AtomicBool,
    shutdown: watch::Receiver<bool>,
) -> Result<(), AgentError> {
    let db = db::connect(&shared.cfg.database).await?;
    let leased: bool = db
        .query_one(
            "SELECT pg_try_advisory_lock($1, $2::int4)",
            &[&LEASE_KEY, &(company_id as i32)],
        )
        .await?
        .get(0);
    if !leased {
        return Ok(()); // another agent works this company
    }
    let Some(company) = load_company(&db, company_id).await? else {
        return Ok(());
    };
    crate::sync::stage::prepare(&db).await?;
    let cfg = &shared.cfg;
    let tokens = Arc::new(TokenSource::new(
        cfg.database.clone(),
        company.id,
        company.token_url.clone(),
        shared.http.clone(),
        cfg.secret_key.clone().ok_or(KeyError::Missing)?,
    ));
    let limits = shared.limits.get(
        &company.realm_id,
        cfg.requests_per_minute,
        cfg.batch_per_minute,
        cfg.max_in_flight,
    );
    let qbo = Arc::new(QboClient::new(
        shared.http.clone(),
        &company.api_base,
        &company.realm_id,
        tokens,
        limits,
    ));
    let mut ctx = CompanyCtx {
        company,
        db,
        qbo,
        cfg: cfg.clone(),
        shutdown,
    };
    loop {
        more.store(false, Ordering::SeqCst);
        ctx.check_shutdown()?;
        if let Some(task) = tasks::claim(&ctx.db, company_id, &cfg.agent_id).await? {
            run_task(&mut ctx, task).await?;
            continue;
        }
        let mut progressed = false;
        let mut deferred = false;
        for e in QBO_ENTITIES {
            let s = push::push_entity(&mut ctx, e, None).await?;
            progressed |= s.ok + s.failed > 0;
            deferred |= s.deferred > 0;
        }
        if deferred || (!progressed && !more.load(Ordering::SeqCst)) {
            return Ok(());
        }
    }
}

fn task_entities(task: &Task) -> Vec<&'static Entity> {
    task.entities.iter().filter_map(|n| qbo_entity(n)).collect()
}

/// Runs a task to its end and records the outcome; only a shutdown leaves it for later.
async fn run_task(ctx: &mut CompanyCtx, task: Task) -> Result<(), AgentError> {
    let span = info_span!("task", id = task.id, kind = ?task.kind);
    let result = execute(ctx, &task).instrument(span).await;
    match result {
        Ok(true) => tasks::finish(&ctx.db, task.id, "done", None).await?,
        Ok(false) => tasks::finish(&ctx.db, task.id, "stopped", Some("stopped on request")).await?,
        Err(AgentError::Shutdown) => {
            ctx.db
                .execute(
                    "UPDATE qbsync.task SET status = 'queued', locked_by = NULL WHERE id = $1",
                    &[&task.id],
                )
                .await?;
            return Err(AgentError::Shutdown);
        }
        Err(e) => {
            error!(task = task.id, error = %e, "task failed");
            tasks::finish(&ctx.db, task.id, "failed", Some(&e.to_string())).await?;
        }
    }
    Ok(())
}

/// Returns false when the task stopped on request at an entity boundary.
async fn execute(ctx: &mut CompanyCtx, task: &Task) -> Result<bool, AgentError> {
    let entities = task_entities(task);
    let id = Some(task.id);
    match task.kind {
        TaskKind::Connect => {
            let info = ctx.qbo.company_info(&ctx.company.realm_id).await?;
            let name = info
                .get("CompanyName")
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            ctx.db
                .execute(
                    "UPDATE qbsync.company SET quickbooks_name = $2 WHERE id = $1",
                    &[&ctx.company.id, &name],
                )
                .await?;
            info!(
                quickbooks_name = name.as_deref().unwrap_or(""),
                "company connected"
            );
            Ok(true)
        }
        TaskKind::Populate => {
            // A task re-run after a crash skips the entities it completed before.
            let completed = tasks::populated_entities(&ctx.db, task.id).await?;
            for e in allowed(ctx, &entities, "outgoing").await? {
                if completed.iter().any(|c| c == e.name) {
                    continue;
                }
                if !tasks::begin_entity(&ctx.db, task.id, e.name).await? {
                    return Ok(false);
                }
                populate::populate(ctx, e, id).await?;
                tasks::end_entity(&ctx.db, task.id).await?;
            }
            Ok(true)
        }
        TaskKind::Refresh => refresh_all(ctx, task, &entities).await,
        TaskKind::Report => {
            crate::sync::report::run(ctx, task).await?;
            Ok(true)
        }
        TaskKind::Update => push_all(ctx, task, &entities).await,
        TaskKind::UpdateAndRefresh => {
            ctx.db
                .execute("UPDATE qbsync.task SET entities_total = 2 * cardinality(entities) WHERE id = $1", &[&task.id])
                .await?;
            Ok(push_all(ctx, task, &entities).await? && refresh_all(ctx, task, &entities).await?)
        }
    }
}

/// `entities` without those whose direction excludes `excluded` ('incoming' for a push,
/// 'outgoing' for a refresh); each one left out is logged.
async fn allowed(
    ctx: &CompanyCtx,
    entities: &[&'static Entity],
    excluded: &str,
) -> Result<Vec<&'static Entity>, AgentError> {
    let rows = ctx
        .db
        .query(
            "SELECT entity FROM qbsync.sync_table WHERE company_id = $1 AND direction = $2",
            &[&ctx.company.id, &excluded],
        )
        .await?;
    let skipped: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    Ok(entities
        .iter()
        .copied()
        .filter(|e| {
            let skip = skipped.iter().any(|s| s == e.name);
            if skip {
                info!(
                    entity = e.name,
                    direction = excluded,
                    "skipped: the table is {excluded}-only"
                );
            }
            !skip
        })
        .collect())
}

async fn push_all(
    ctx: &mut CompanyCtx,
    task: &Task,
    entities: &[&'static Entity],
) -> Result<bool, AgentError> {
    for e in allowed(ctx, entities, "incoming").await? {
        if !tasks::begin_entity(&ctx.db, task.id, e.name).await? {
            return Ok(false);
        }
        let s = push::push_entity(ctx, e, Some(task.id)).await?;
        if s.deferred > 0 {
            return Err(AgentError::Invalid(format!(
                "QuickBooks did not confirm {} {} change(s); they stay pending and are retried automatically",
                s.deferred, e.name
            )));
        }
        tasks::end_entity(&ctx.db, task.id).await?;
    }
    Ok(true)
}

async fn refresh_all(
    ctx: &mut CompanyCtx,
    task: &Task,
    entities: &[&'static Entity],
) -> Result<bool, AgentError> {
    let entities = allowed(ctx, entities, "outgoing").await?;
    let mut changes = refresh::fetch_changes(ctx, &entities).await?;
    for e in entities {
        if !tasks::begin_entity(&ctx.db, task.id, e.name).await? {
            return Ok(false);
        }
        if let Some(c) = changes.remove(e.name) {
            refresh::apply(ctx, e, c, Some(task.id)).await?;
        }
        tasks::end_entity(&ctx.db, task.id).await?;
    }
    Ok(true)
}
