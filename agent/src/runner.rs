//! The agent's main loop: wake on NOTIFY or every sweep interval, find companies with work,
//! and run one worker per company, at most `--max-companies` at once. A worker holds an
//! advisory-lock lease on its company, so several agents can share one database without working
//! the same company twice; the companies one agent has no slot for are left to the others, or
//! started here as soon as one of its workers ends (`schedule` decides the order).

use crate::config::AgentConfig;
use crate::db;
use crate::error::AgentError;
use crate::keys::{self, KeyError};
use crate::listener::{self, Wake};
use crate::qbo::{QboClient, RealmLimitsRegistry, TokenSource};
use crate::schedule::{Candidate, Schedule, Turn};
use crate::sessions::Sessions;
use crate::sync::{populate, push, refresh, Company, CompanyCtx};
use crate::tasks::{self, Task, TaskKind};
use qbsync_catalog::{qbo_entity, Entity, QBD_ENTITIES, QBD_SCHEMA, QBO_ENTITIES, QBO_SCHEMA};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{debug, error, info, info_span, warn, Instrument};

/// First key of the per-company advisory lock ("qbsy").
const LEASE_KEY: i32 = 0x7162_7379;

struct Shared {
    cfg: Arc<AgentConfig>,
    http: reqwest::Client,
    limits: RealmLimitsRegistry,
    /// Companies with work wait for one of this agent's slots: a worker gives its slot up
    /// after its current task (or push pass) instead of going on with the next.
    others_waiting: AtomicBool,
    sessions: Arc<Sessions>,
    /// Each company's token source, kept between turns with its access token, so that a task
    /// does not begin by reading and opening the stored token again.
    tokens: std::sync::Mutex<HashMap<i64, Arc<TokenSource>>>,
}

impl Shared {
    /// The company's token source: the one of its earlier turns, unless its token URL changed.
    fn token_source(&self, company: &Company) -> Result<Arc<TokenSource>, AgentError> {
        let mut sources = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = sources.get(&company.id) {
            if t.token_url() == company.token_url {
                return Ok(Arc::clone(t));
            }
        }
        let t = Arc::new(TokenSource::new(
            self.cfg.database.clone(),
            company.id,
            company.token_url.clone(),
            self.http.clone(),
            self.cfg.secret_key.clone().ok_or(KeyError::Missing)?,
        ));
        sources.insert(company.id, Arc::clone(&t));
        Ok(t)
    }
}

struct Worker {
    more: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

/// SQL listing the companies that have queued tasks or pending rows, each with whether another
/// session holds its lease, in the order they should get a slot: free ones first, then by their
/// oldest queued task (FIFO across companies); pushes alone (no task) come before tasks, since
/// a push pass is short and someone waits for the row's Id.
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
    // The main loop's own session never holds a lease, so any other holder is a worker: of
    // this agent for the companies it works (known without asking), else of another agent.
    format!(
        "WITH leased AS MATERIALIZED ( \
             SELECT l.objid::int8 AS company_id FROM pg_locks l \
             WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid() \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid::int8 = {LEASE_KEY} AND l.objsubid = 2) \
         SELECT c.id, c.id IN (SELECT company_id FROM leased) AS leased_elsewhere \
         FROM qbsync.company c WHERE c.kind = 'qbo' AND c.error IS NULL AND ({}) \
         ORDER BY leased_elsewhere, \
                  (SELECT min(t.created_at) FROM qbsync.task t WHERE t.company_id = c.id AND t.status = 'queued') NULLS FIRST, \
                  c.id",
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
) -> Result<Vec<Candidate>, tokio_postgres::Error> {
    Ok(db
        .query(work_sql, &[])
        .await?
        .iter()
        .map(|r| Candidate {
            company: r.get(0),
            leased_elsewhere: r.get(1),
        })
        .collect())
}

/// The periodic pass: re-queues the tasks of dead agents, measures the queue, lists the work.
async fn sweep_once(
    db: &tokio_postgres::Client,
    cfg: &AgentConfig,
    work_sql: &str,
    depth_sql: &str,
) -> Result<Vec<Candidate>, tokio_postgres::Error> {
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
        others_waiting: AtomicBool::new(false),
        // A worker's own session and its populate writers, for as many workers as run at once.
        sessions: Arc::new(Sessions::new(
            cfg.database.clone(),
            cfg.max_companies.max(1) * (1 + crate::sync::writer::WRITERS),
        )),
        tokens: std::sync::Mutex::new(HashMap::new()),
    });
    let mut db = db::connect(&cfg.database).await?;
    // Before any work: secrets this agent cannot open must stop it here, not per company.
    let key = cfg.secret_key.as_ref().ok_or(KeyError::Missing)?;
    keys::check_registered(&db, key).await?;
    info!(key = %key.public_key().fingerprint(), "agent key matches the registered one");
    info!(database = %crate::config::describe(&cfg.database), agent = %cfg.agent_id, max_companies = cfg.max_companies, "agent started");
    // Enough for one company's turn, populate writers included.
    shared.sessions.warm(1 + crate::sync::writer::WRITERS);
    let (wake_tx, mut wake_rx) = mpsc::channel::<Wake>(1024);
    let listener = tokio::spawn(listener::listen(
        cfg.database.clone(),
        wake_tx,
        shutdown.clone(),
    ));
    let mut sweep = tokio::time::interval(cfg.sweep_interval);
    let work_sql = companies_with_work_sql();
    let depth_sql = queue_depth_sql();
    let (ended_tx, mut ended_rx) = mpsc::unbounded_channel::<Ended>();
    let mut workers = Workers::new(shared, shutdown.clone(), ended_tx);
    let mut stop = shutdown.clone();
    loop {
        let next = tokio::select! {
            w = wake_rx.recv() => match w {
                Some(Wake { company: Some(c) }) => workers.woken(c),
                _ => {
                    workers.schedule.wake_all();
                    Next::Look
                }
            },
            Some(e) = ended_rx.recv() => workers.ended(e),
            _ = sweep.tick() => {
                workers.schedule.wake_all();
                Next::Sweep
            }
            _ = stop.changed() => break,
        };
        let found = match next {
            Next::Nothing => continue,
            Next::Look => companies_with_work(&db, &work_sql).await,
            Next::Sweep => sweep_once(&db, &cfg, &work_sql, &depth_sql).await,
        };
        match found {
            Ok(found) => workers.fill(&found),
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
            }
        }
    }
    info!("shutting down: waiting for workers to reach a safe point");
    for (_, w) in workers.running {
        let _ = w.handle.await;
    }
    let _ = listener.await;
    Ok(())
}

/// What the main loop does after an event.
enum Next {
    Nothing,
    /// Look for companies with work and fill the free slots.
    Look,
    /// The same, after the periodic chores (stale tasks, queue gauges).
    Sweep,
}

/// A worker's end, which frees its slot.
struct Ended {
    company: i64,
    turn: Turn,
}

/// Reports the end of a worker's turn to the main loop when dropped, so that a slot comes back
/// even when the worker panics.
struct EndReport {
    company: i64,
    turn: Turn,
    tx: mpsc::UnboundedSender<Ended>,
}

impl Drop for EndReport {
    fn drop(&mut self) {
        let _ = self.tx.send(Ended {
            company: self.company,
            turn: self.turn,
        });
    }
}

/// This agent's workers, at most `--max-companies` at once.
struct Workers {
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    running: HashMap<i64, Worker>,
    schedule: Schedule,
    ended_tx: mpsc::UnboundedSender<Ended>,
}

impl Workers {
    fn new(
        shared: Arc<Shared>,
        shutdown: watch::Receiver<bool>,
        ended_tx: mpsc::UnboundedSender<Ended>,
    ) -> Self {
        Workers {
            schedule: Schedule::new(shared.cfg.max_companies),
            shared,
            shutdown,
            running: HashMap::new(),
            ended_tx,
        }
    }

    fn start(&mut self, company: i64) {
        let more = Arc::new(AtomicBool::new(true));
        let report = EndReport {
            company,
            turn: Turn::Stopped,
            tx: self.ended_tx.clone(),
        };
        let handle = tokio::spawn(
            company_worker(
                self.shared.clone(),
                company,
                more.clone(),
                self.shutdown.clone(),
                report,
            )
            .instrument(info_span!("company", id = company)),
        );
        self.running.insert(company, Worker { more, handle });
    }

    fn others_waiting(&self) -> bool {
        self.shared.others_waiting.load(Ordering::SeqCst)
    }

    fn set_others_waiting(&self, waiting: bool) {
        self.shared.others_waiting.store(waiting, Ordering::SeqCst);
    }

    /// A notification named `company`. Without a free slot it waits like the others: the
    /// workers give their slots up after their current task and the next look decides.
    fn woken(&mut self, company: i64) -> Next {
        self.schedule.wake(company);
        if let Some(w) = self.running.get(&company) {
            w.more.store(true, Ordering::SeqCst);
        } else if self.running.len() < self.schedule.max() {
            self.start(company);
        } else {
            self.set_others_waiting(true);
        }
        Next::Nothing
    }

    /// A worker ended: its slot goes at once to a waiting company, if any.
    fn ended(&mut self, e: Ended) -> Next {
        // Work announced after the worker's last look at `more` must not wait for the sweep.
        let more = self
            .running
            .remove(&e.company)
            .is_some_and(|w| w.more.load(Ordering::SeqCst));
        self.schedule.ended(e.company, e.turn, Instant::now());
        debug!(company = e.company, turn = ?e.turn, more, "worker ended");
        let restart = more && e.turn == Turn::Finished;
        if restart {
            self.schedule.wake(e.company);
        }
        if self.others_waiting() {
            Next::Look
        } else if restart {
            self.start(e.company);
            Next::Nothing
        } else {
            Next::Nothing
        }
    }

    /// Starts the companies the schedule picks among `found`, and tells the workers of the
    /// others found that they have more to do.
    fn fill(&mut self, found: &[Candidate]) {
        for c in found {
            if let Some(w) = self.running.get(&c.company) {
                w.more.store(true, Ordering::SeqCst);
            }
        }
        let running: HashSet<i64> = self.running.keys().copied().collect();
        let pick = self.schedule.pick(found, &running);
        for &company in &pick.start {
            self.start(company);
        }
        self.set_others_waiting(pick.waiting > 0);
        if pick.waiting > 0 {
            debug!(
                running = self.running.len(),
                waiting = pick.waiting,
                "every slot is taken; companies wait for one"
            );
        }
    }
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

/// One turn on a company; `report` tells the main loop how it ended when the worker is gone.
async fn company_worker(
    shared: Arc<Shared>,
    company_id: i64,
    more: Arc<AtomicBool>,
    shutdown: watch::Receiver<bool>,
    mut report: EndReport,
) {
    report.turn = match work_company(&shared, company_id, &more, shutdown).await {
        Ok(turn) => turn,
        Err(e) => {
            match e {
                AgentError::Shutdown => {}
                e if e.is_transient() => {
                    warn!(error = %e, "company worker paused; will retry at the next sweep")
                }
                e => error!(error = %e, "company worker failed"),
            }
            Turn::Stopped
        }
    };
}

/// Takes the company's lease on `db`; false when another session holds it.
async fn take_lease(
    db: &tokio_postgres::Client,
    company_id: i64,
) -> Result<bool, tokio_postgres::Error> {
    Ok(db
        .query_one(
            "SELECT pg_try_advisory_lock($1, $2::int4)",
            &[&LEASE_KEY, &(company_id as i32)],
        )
        .await?
        .get(0))
}

/// Gives the lease back before the slot is reported free, so that the look for work that
/// follows does not take this agent's closing session for another agent holding the company.
/// True when it was given back (a session still holding it must not be reused).
async fn release_lease(db: &tokio_postgres::Client, company_id: i64) -> bool {
    match db
        .query_one(
            "SELECT pg_advisory_unlock($1, $2::int4)",
            &[&LEASE_KEY, &(company_id as i32)],
        )
        .await
    {
        Ok(row) => row.get(0),
        Err(e) => {
            // The session's end releases it anyway.
            debug!(error = %crate::error::describe_db_error(&e), "could not release the lease");
            false
        }
    }
}

async fn work_company(
    shared: &Shared,
    company_id: i64,
    more: &AtomicBool,
    shutdown: watch::Receiver<bool>,
) -> Result<Turn, AgentError> {
    let db = shared.sessions.take().await?;
    if !take_lease(&db, company_id).await? {
        debug!("another agent works this company");
        shared.sessions.give_back([db]);
        return Ok(Turn::Stopped);
    }
    let Some(company) = load_company(&db, company_id).await? else {
        if release_lease(&db, company_id).await {
            shared.sessions.give_back([db]);
        }
        return Ok(Turn::Stopped);
    };
    let cfg = &shared.cfg;
    let tokens = shared.token_source(&company)?;
    let limits = shared.limits.get(&company.realm_id, cfg.budget());
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
        writer_dbs: Vec::new(),
        sessions: Arc::clone(&shared.sessions),
        qbo,
        cfg: cfg.clone(),
        shutdown,
    };
    let turn = work_turn(&mut ctx, shared, more).await;
    if release_lease(&ctx.db, company_id).await && turn.is_ok() {
        shared
            .sessions
            .give_back(std::iter::once(ctx.db).chain(ctx.writer_dbs));
    }
    turn
}

/// The company's queued tasks, then its pushes, until nothing is left; between two of them the
/// slot goes to a company waiting for one, if any.
async fn work_turn(
    ctx: &mut CompanyCtx,
    shared: &Shared,
    more: &AtomicBool,
) -> Result<Turn, AgentError> {
    loop {
        more.store(false, Ordering::SeqCst);
        ctx.check_shutdown()?;
        if let Some(task) = tasks::claim(&ctx.db, ctx.company.id, &ctx.cfg.agent_id).await? {
            run_task(ctx, task).await?;
        } else {
            let mut progressed = false;
            let mut deferred = false;
            for e in QBO_ENTITIES {
                let s = push::push_entity(ctx, e, None).await?;
                progressed |= s.ok + s.failed > 0;
                deferred |= s.deferred > 0;
            }
            if deferred {
                return Ok(Turn::Stopped);
            }
            if !progressed && !more.load(Ordering::SeqCst) {
                return Ok(Turn::Finished);
            }
        }
        if shared.others_waiting.load(Ordering::SeqCst) {
            return Ok(Turn::Yielded);
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
            let entities = allowed(ctx, &entities, "outgoing").await?;
            populate::populate_task(ctx, task.id, &entities).await
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
