//! The QuickBooks Web Connector service: QuickBooks Desktop has no network API, so the Web
//! Connector on the customer's machine polls this SOAP endpoint, asks for qbXML requests, runs
//! them against the open company file and posts the responses back. Each company logs in with
//! its own user name and password (stored as a bcrypt hash in the database).

pub mod hcp;
pub mod qwc;
pub mod session;

use crate::db;
use crate::qbd::populate::Populate;
use crate::qbd::push::{self, Push};
use crate::qbd::Work;
use crate::tasks::{self, TaskKind};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use qbsync_catalog::{qbd_entity, QBD_ENTITIES, QBD_SCHEMA};
use qbsync_qbxml::soap::{self, Call, InvalidUtf8, ParsedCall, Reply};
use session::Sessions;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{watch, Mutex};
use tokio_postgres::Client;
use tracing::{info, info_span, warn, Instrument};

/// Default path of the SOAP endpoint (the .QWC AppURL ends with it).
pub const DEFAULT_PATH: &str = "/qbwc";

/// What `receiveResponseXML` returns when QuickBooks could not process a request (Intuit's sample).
const RECEIVE_FAILED: i32 = -101;

/// Unreadable (not UTF-8) answers before the session gives up on a request: in a row for a
/// push or report, while reading one entity for a populate or refresh. A company file that
/// always answers so (a record stored in Latin-1) ends the work with an error instead of looping.
const UNREADABLE_ASKS: u32 = 3;

/// Why an answer could not be read; the wording of task errors and row messages.
fn unreadable_reason(invalid: InvalidUtf8) -> String {
    format!(
        "QuickBooks Desktop sent a response that is not valid UTF-8 (byte offset {})",
        invalid.offset
    )
}

pub struct QbwcService {
    database: tokio_postgres::Config,
    client: Mutex<Option<Arc<Client>>>,
    /// The connection incoming records are staged and upserted on (its temporary tables are
    /// per connection, so Desktop writes take turns on it).
    writer: Mutex<Option<Client>>,
    /// The task each session is working on, by ticket.
    work: std::sync::Mutex<HashMap<String, Work>>,
    agent_id: String,
    /// MaxReturned of populate iterators.
    pub page_size: u32,
    pub sessions: Sessions,
}

#[derive(Debug, thiserror::Error)]
enum ServiceError {
    #[error("database: {}", crate::error::describe_db_error(.0))]
    Db(#[from] tokio_postgres::Error),
}

impl QbwcService {
    pub fn new(database: tokio_postgres::Config) -> Arc<Self> {
        Arc::new(QbwcService {
            database,
            client: Mutex::new(None),
            writer: Mutex::new(None),
            work: std::sync::Mutex::new(HashMap::new()),
            agent_id: format!("qbsync-agent-{}-qbwc", std::process::id()),
            page_size: 100,
            sessions: Sessions::default(),
        })
    }

    fn take_work(&self, ticket: &str) -> Option<Work> {
        self.work
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(ticket)
    }

    fn put_work(&self, ticket: &str, work: Work) {
        self.work
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ticket.to_string(), work);
    }

    /// One connection shared by all calls (tokio-postgres pipelines them); reopened when lost.
    async fn db(&self) -> Result<Arc<Client>, tokio_postgres::Error> {
        let mut guard = self.client.lock().await;
        if let Some(c) = guard.as_ref().filter(|c| !c.is_closed()) {
            return Ok(c.clone());
        }
        let c = Arc::new(db::connect(&self.database).await?);
        *guard = Some(c.clone());
        Ok(c)
    }

    pub fn router(self: &Arc<Self>, path: &str) -> Router {
        Router::new()
            .route(path, post(handle))
            .with_state(self.clone())
    }

    async fn answer(&self, call: Call) -> Result<Reply, ServiceError> {
        Ok(match call {
            Call::ServerVersion { .. } => {
                Reply::Text(format!("qbsync {}", env!("CARGO_PKG_VERSION")))
            }
            // Every Web Connector version that speaks this protocol is accepted.
            Call::ClientVersion { .. } => Reply::Text(String::new()),
            Call::Authenticate {
                user_name,
                password,
            } => self.authenticate(&user_name, &password).await?,
            Call::SendRequestXml {
                ticket,
                hcp_response,
                ..
            } => Reply::Text(self.send_request(&ticket, &hcp_response).await?),
            Call::ReceiveResponseXml {
                ticket,
                response,
                hresult,
                message,
            } => Reply::Int(
                self.receive_response(&ticket, &response, &hresult, &message)
                    .await?,
            ),
            Call::ConnectionError {
                ticket,
                hresult,
                message,
            } => {
                warn!(%hresult, %message, "the Web Connector could not open the company file");
                self.record_error(
                    &ticket,
                    format!("QuickBooks could not be reached ({hresult}): {message}"),
                )
                .await?;
                Reply::Text("done".into())
            }
            Call::GetLastError { ticket } => Reply::Text(
                self.sessions
                    .with(&ticket, |s| s.last_error.clone())
                    .flatten()
                    .unwrap_or_else(|| "qbsync: nothing more to do in this session".into()),
            ),
            Call::CloseConnection { ticket } => {
                // A task cut short stays running; it is re-queued and resumed at the next session.
                if let Some(work) = self.take_work(&ticket) {
                    self.requeue(&work).await?;
                }
                let s = self.sessions.close(&ticket);
                Reply::Text(match s {
                    Some(s) => format!("qbsync: session closed after {} exchange(s)", s.exchanges),
                    None => "qbsync: unknown session".into(),
                })
            }
            Call::GetInteractiveUrl { .. } => Reply::Text(String::new()),
            Call::InteractiveDone { .. } | Call::InteractiveRejected { .. } => {
                Reply::Text("Done".into())
            }
        })
    }

    async fn authenticate(&self, user: &str, password: &str) -> Result<Reply, ServiceError> {
        let db = self.db().await?;
        let company: Option<i64> = db
            .query_one("SELECT qbsync._qbwc_login($1, $2)", &[&user, &password])
            .await?
            .get(0);
        let Some(company_id) = company else {
            warn!(user, "Web Connector login refused");
            return Ok(Reply::Strings(vec![String::new(), "nvu".into()]));
        };
        let row = db
            .query_one(
                &format!(
                    "SELECT name, error, coalesce(company_file, ''), \
                     EXISTS (SELECT 1 FROM qbsync.task t WHERE t.company_id = c.id AND t.status IN ('queued', 'running')) \
                     OR {} \
                     FROM qbsync.company c WHERE id = $1",
                    push::pending_condition()
                ),
                &[&company_id],
            )
            .await?;
        let (name, error, file, work): (String, Option<String>, String, bool) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        if let Some(e) = error {
            warn!(company = %name, error = %e, "company needs attention; no session");
            return Ok(Reply::Strings(vec![String::new(), "nvu".into()]));
        }
        // The Web Connector runs one session per application at a time: an earlier session of
        // this company still open lost its connection (e.g. a dropped response) and will not
        // call closeConnection. Its task goes back to the queue; its rows are recovered.
        for stale in self.sessions.tickets_of(company_id) {
            if let Some(w) = self.take_work(&stale) {
                self.requeue(&w).await?;
            }
            self.sessions.close(&stale);
        }
        let ticket = self.sessions.open(company_id, &name);
        info!(company = %name, work, "Web Connector session opened");
        Ok(Reply::Strings(if work {
            vec![ticket, file]
        } else {
            // Nothing queued: come back at the scheduled interval.
            vec![ticket, "none".into()]
        }))
    }

    async fn record_error(&self, ticket: &str, error: String) -> Result<(), ServiceError> {
        self.sessions.with(ticket, |s| s.last_error = Some(error));
        Ok(())
    }

    /// The next qbXML message set for the session, or "" when there is nothing (more) to send.
    async fn send_request(&self, ticket: &str, hcp_response: &str) -> Result<String, ServiceError> {
        let Some(company_id) = self.sessions.with(ticket, |s| s.company_id) else {
            return Ok(String::new());
        };
        if !hcp_response.trim().is_empty() {
            if let Err(reason) = self
                .check_company_file(ticket, company_id, hcp_response)
                .await?
            {
                warn!(%reason, "company file refused");
                self.record_error(ticket, reason).await?;
                return Ok(String::new());
            }
        }
        if self
            .sessions
            .with(ticket, |s| s.host.is_none())
            .unwrap_or(true)
        {
            self.record_error(
                ticket,
                "qbsync: the Web Connector sent no company information; nothing is sent".into(),
            )
            .await?;
            return Ok(String::new());
        }
        self.next_request(ticket, company_id).await
    }

    /// The request of the session's current task, claiming the next queued task when there is
    /// none; "" when the company has nothing queued.
    async fn next_request(&self, ticket: &str, company_id: i64) -> Result<String, ServiceError> {
        let db = self.db().await?;
        loop {
            if let Some(work) = self.take_work(ticket) {
                // qb_stop(): a read stops between two exchanges (a push finishes its rows).
                if let (Work::Populate(_), Some(task)) = (&work, work.task()) {
                    let stop: bool = db
                        .query_one(
                            "SELECT stop_requested FROM qbsync.task WHERE id = $1",
                            &[&task],
                        )
                        .await?
                        .get(0);
                    if stop {
                        tasks::finish(&db, task, "stopped", Some("stopped on request")).await?;
                        info!(task, "Desktop task stopped on request");
                        continue;
                    }
                }
                match work.request() {
                    Ok(xml) => {
                        self.put_work(ticket, work);
                        return Ok(xml);
                    }
                    Err(e) => {
                        finish(&db, &work, "failed", Some(&e.to_string())).await?;
                        self.record_error(ticket, format!("qbsync: {e}")).await?;
                        continue;
                    }
                }
            }
            let Some(task) = tasks::claim(&db, company_id, &self.agent_id).await? else {
                // Nothing queued: rows waiting to be pushed go once per session.
                if self.start_push(ticket, company_id, None).await? {
                    continue;
                }
                return Ok(String::new());
            };
            match task.kind {
                // The company file was checked by this session's first call.
                TaskKind::Connect => tasks::finish(&db, task.id, "done", None).await?,
                TaskKind::Populate => {
                    let entities = desktop_entities(&task, "populate");
                    self.put_work(
                        ticket,
                        Work::Populate(Populate::new(task.id, entities, self.page_size)),
                    );
                }
                TaskKind::Report => match crate::qbd::report::RunReport::new(&task) {
                    Ok(run) => self.put_work(ticket, Work::Report(run)),
                    Err(e) => tasks::finish(&db, task.id, "failed", Some(&e.to_string())).await?,
                },
                TaskKind::Refresh => {
                    let entities = desktop_entities(&task, "refresh");
                    match Populate::refresh(&db, company_id, task.id, entities, self.page_size)
                        .await
                    {
                        Ok(read) => self.put_work(ticket, Work::Populate(read)),
                        Err(e) => {
                            tasks::finish(&db, task.id, "failed", Some(&e.to_string())).await?
                        }
                    }
                }
                TaskKind::Update => {
                    if !self.start_push(ticket, company_id, Some(task.id)).await? {
                        tasks::finish(&db, task.id, "done", None).await?;
                    }
                }
                other => {
                    tasks::finish(
                        &db,
                        task.id,
                        "failed",
                        Some(&format!(
                            "{other:?} is not available for QuickBooks Desktop companies yet"
                        )),
                    )
                    .await?;
                }
            }
        }
    }

    /// Starts a push of the company's pending Desktop rows as the session's work: once per
    /// session without a task (rows a lock kept back wait for the next session), always for an
    /// `update` task. False when there is nothing to push.
    async fn start_push(
        &self,
        ticket: &str,
        company_id: i64,
        task: Option<i64>,
    ) -> Result<bool, ServiceError> {
        if task.is_none() {
            let first = self
                .sessions
                .with(ticket, |s| !std::mem::replace(&mut s.pushed, true))
                .unwrap_or(false);
            if !first {
                return Ok(false);
            }
        }
        let db = self.db().await?;
        match Push::start(&db, company_id, task).await {
            Ok(Some(p)) => {
                info!(task, "Desktop push started");
                self.put_work(ticket, Work::Push(p));
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(e) => {
                warn!(error = %e, "Desktop push could not start");
                if let Some(t) = task {
                    tasks::finish(&db, t, "failed", Some(&e.to_string())).await?;
                }
                self.record_error(ticket, format!("qbsync: {e}")).await?;
                Ok(false)
            }
        }
    }

    /// Puts the task of work cut short back in the queue (resumed at the next session).
    async fn requeue(&self, work: &Work) -> Result<(), ServiceError> {
        if let Some(task) = work.task() {
            let db = self.db().await?;
            db.execute(
                "UPDATE qbsync.task SET status = 'queued', locked_by = NULL WHERE id = $1 AND status = 'running'",
                &[&task],
            )
            .await?;
        }
        Ok(())
    }

    /// Checks the HCP response names the company file registered for this company, and
    /// completes its `connect` tasks. Err(reason) when it is another file.
    async fn check_company_file(
        &self,
        ticket: &str,
        company_id: i64,
        hcp_response: &str,
    ) -> Result<Result<(), String>, ServiceError> {
        let info = match hcp::parse(hcp_response) {
            Ok(info) => info,
            Err(e) => {
                return Ok(Err(format!(
                    "qbsync: the Web Connector's company information could not be read: {e}"
                )))
            }
        };
        let db = self.db().await?;
        let row = db
            .query_one(
                "SELECT name, qbwc_owner_id, qbwc_file_id FROM qbsync.company WHERE id = $1",
                &[&company_id],
            )
            .await?;
        let (name, owner, file_id): (String, Option<String>, Option<String>) =
            (row.get(0), row.get(1), row.get(2));
        let stamped = owner.as_deref().and_then(|o| info.file_id(o));
        if let (Some(expected), Some(found)) = (file_id.as_deref(), stamped) {
            if !expected.eq_ignore_ascii_case(found) {
                return Ok(Err(format!(
                    "qbsync: this company file (FileID {found}) is not the one registered for company \"{name}\" (FileID {expected}); open the right file or re-register the .QWC"
                )));
            }
        }
        if info.version().is_none() {
            let versions: Vec<String> = info
                .versions
                .iter()
                .map(|(a, b)| format!("{a}.{b}"))
                .collect();
            return Ok(Err(format!(
                "qbsync: this QuickBooks speaks qbXML {}; qbsync needs qbXML 13.0 (QuickBooks 2014 or later)",
                if versions.is_empty() { "no version it names".to_string() } else { versions.join(", ") }
            )));
        }
        self.sessions.with(ticket, |s| s.host = Some(info.clone()));
        let done = db
            .execute(
                "UPDATE qbsync.task SET status = 'done', started_at = coalesce(started_at, now()), finished_at = now(), \
                 entities_done = entities_total WHERE company_id = $1 AND kind = 'connect' AND status IN ('queued', 'running')",
                &[&company_id],
            )
            .await?;
        db.execute(
            "UPDATE qbsync.company SET quickbooks_name = coalesce($2, quickbooks_name) WHERE id = $1",
            &[&company_id, &info.company_name],
        )
        .await?;
        if done > 0 {
            info!(company = %name, quickbooks_name = info.company_name.as_deref().unwrap_or(""), "company connected");
        }
        Ok(Ok(()))
    }

    /// Takes QuickBooks' answer to the last request: 0..99 asks for the next request, 100 ends
    /// the session, a negative value makes the Web Connector ask getLastError.
    async fn receive_response(
        &self,
        ticket: &str,
        response: &str,
        hresult: &str,
        message: &str,
    ) -> Result<i32, ServiceError> {
        let Some(company_id) = self.sessions.with(ticket, |s| {
            s.exchanges += 1;
            s.unreadable_in_a_row = 0;
            crate::metrics::remember_company(s.company_id, &s.company);
            s.company_id
        }) else {
            return Ok(RECEIVE_FAILED);
        };
        let Some(mut work) = self.take_work(ticket) else {
            return Ok(100);
        };
        let db = self.db().await?;
        if !hresult.trim().is_empty() {
            let error = format!("QuickBooks could not process the request ({hresult}): {message}");
            {
                let mut writer = self.writer.lock().await;
                if writer.as_ref().is_none_or(|c| c.is_closed()) {
                    let c = db::connect(&self.database).await?;
                    crate::sync::stage::prepare(&c).await?;
                    *writer = Some(c);
                }
                if let Some(c) = writer.as_mut() {
                    if let Err(e) = work.rejected(c, company_id, hresult, message).await {
                        warn!(error = %e, "could not record the failed request on its rows");
                    }
                }
            }
            finish(&db, &work, "failed", Some(&error)).await?;
            self.record_error(ticket, format!("qbsync: {error}"))
                .await?;
            return Ok(RECEIVE_FAILED);
        }
        let outcome = {
            let mut writer = self.writer.lock().await;
            if writer.as_ref().is_none_or(|c| c.is_closed()) {
                let c = db::connect(&self.database).await?;
                crate::sync::stage::prepare(&c).await?;
                *writer = Some(c);
            }
            match writer.as_mut() {
                Some(c) => work.absorb(c, company_id, response).await,
                None => return Ok(RECEIVE_FAILED),
            }
        };
        match outcome {
            Ok(false) => {
                let progress = work.progress();
                self.put_work(ticket, work);
                Ok(progress)
            }
            Ok(true) => {
                finish(&db, &work, "done", None).await?;
                info!(task = work.task(), "Desktop task done");
                self.after_work(ticket, company_id).await
            }
            Err(e) => {
                warn!(task = work.task(), error = %e, "Desktop task failed");
                finish(&db, &work, "failed", Some(&e.to_string())).await?;
                self.record_error(ticket, format!("qbsync: {e}")).await?;
                Ok(RECEIVE_FAILED)
            }
        }
    }
}

impl QbwcService {
    /// What `receiveResponseXML` returns once the session's work is finished: 50 (ask for the
    /// next request) when more is queued or rows wait to be pushed, else 100.
    async fn after_work(&self, ticket: &str, company_id: i64) -> Result<i32, ServiceError> {
        let db = self.db().await?;
        let pushed = self.sessions.with(ticket, |s| s.pushed).unwrap_or(true);
        let more: bool = db
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM qbsync.task WHERE company_id = $1 AND status = 'queued')",
                &[&company_id],
            )
            .await?
            .get(0)
            || (!pushed && push::has_pending(&db, company_id).await?);
        Ok(if more { 50 } else { 100 })
    }

    /// `receiveResponseXML` whose qbXML is not UTF-8 (e.g. a company file with Latin-1 text).
    /// The answer is never decoded: what it says is unknown. A read asks for the page again
    /// (the entity from its start); a push's message set may have been applied, so its rows
    /// stay `sending` and go through message-set error recovery, which asks QuickBooks for its
    /// stored answers before anything is sent again (each change lands once). After
    /// [`UNREADABLE_ASKS`] such answers a read or report fails naming the request and the
    /// reason, and a push is left for the next session's recovery.
    async fn receive_unreadable(
        &self,
        ticket: &str,
        hresult: &str,
        message: &str,
        invalid: InvalidUtf8,
    ) -> Result<i32, ServiceError> {
        if !hresult.trim().is_empty() {
            // QuickBooks failed the request: the response carries nothing to read anyway.
            return self.receive_response(ticket, "", hresult, message).await;
        }
        let Some((company_id, in_a_row)) = self.sessions.with(ticket, |s| {
            s.exchanges += 1;
            s.unreadable_in_a_row += 1;
            crate::metrics::remember_company(s.company_id, &s.company);
            (s.company_id, s.unreadable_in_a_row)
        }) else {
            return Ok(RECEIVE_FAILED);
        };
        let Some(mut work) = self.take_work(ticket) else {
            return Ok(100);
        };
        let db = self.db().await?;
        let reason = unreadable_reason(invalid);
        let request = work.last_request();
        let unreadable = match &mut work {
            Work::Populate(read) => read.note_unreadable(),
            Work::Report(_) | Work::Push(_) => in_a_row,
        };
        let again = unreadable < UNREADABLE_ASKS;
        warn!(
            task = work.task(),
            request = %request.text,
            %reason,
            unreadable,
            bytes = invalid.len,
            "Desktop answer is not UTF-8"
        );
        let subject = match &work {
            Work::Populate(read) => read.entity_name().unwrap_or("read").to_string(),
            Work::Report(_) => "report".to_string(),
            Work::Push(_) => "push".to_string(),
        };
        let give_up = format!(
            "{subject}: {reason} to {}; {unreadable} unreadable answers, nothing of them was written (the company file may hold text that is not UTF-8)",
            request.text
        );
        match work {
            Work::Populate(mut read) => {
                if again {
                    match read.read_again(&db).await {
                        Ok(()) => {
                            let progress = read.progress();
                            self.put_work(ticket, Work::Populate(read));
                            return Ok(progress);
                        }
                        Err(e) => {
                            let error =
                                format!("{subject}: {reason}; reading it again failed: {e}");
                            return self.fail(ticket, &Work::Populate(read), &error).await;
                        }
                    }
                }
                self.fail(ticket, &Work::Populate(read), &give_up).await
            }
            // One request per report, unchanged until its answer is absorbed: ask it again.
            Work::Report(run) => {
                if again {
                    self.put_work(ticket, Work::Report(run));
                    return Ok(50);
                }
                self.fail(ticket, &Work::Report(run), &give_up).await
            }
            Work::Push(sent) => {
                let task = sent.task();
                if let Some(set) = &request.message_set {
                    self.mark_unknown_outcome(&db, company_id, set, &reason, &request.text)
                        .await?;
                }
                if !again {
                    // As after a lost answer: the next session asks QuickBooks about the set.
                    self.requeue(&Work::Push(sent)).await?;
                    self.record_error(
                        ticket,
                        format!("qbsync: {give_up}; QuickBooks is asked for its stored answers at the next session"),
                    )
                    .await?;
                    return Ok(RECEIVE_FAILED);
                }
                // The same recovery as after a lost answer, in this session: the new push asks
                // QuickBooks for the set's stored answers first.
                drop(sent);
                match Push::start(&db, company_id, task).await {
                    Ok(Some(recovery)) => {
                        info!(
                            task,
                            "Desktop push: recovering a message set whose answer was unreadable"
                        );
                        let progress = recovery.progress();
                        self.put_work(ticket, Work::Push(recovery));
                        Ok(progress)
                    }
                    Ok(None) => {
                        if let Some(t) = task {
                            tasks::finish(&db, t, "done", None).await?;
                        }
                        self.after_work(ticket, company_id).await
                    }
                    Err(e) => {
                        warn!(error = %e, "Desktop push recovery could not start");
                        if let Some(t) = task {
                            tasks::finish(
                                &db,
                                t,
                                "failed",
                                Some(&format!(
                                    "{reason} to {}; recovery could not start: {e}",
                                    request.text
                                )),
                            )
                            .await?;
                        }
                        self.record_error(ticket, format!("qbsync: {e}")).await?;
                        Ok(RECEIVE_FAILED)
                    }
                }
            }
        }
    }

    /// Ends the work's task as failed with `error`, which getLastError shows.
    async fn fail(&self, ticket: &str, work: &Work, error: &str) -> Result<i32, ServiceError> {
        let db = self.db().await?;
        warn!(task = work.task(), %error, "Desktop task failed");
        finish(&db, work, "failed", Some(error)).await?;
        self.record_error(ticket, format!("qbsync: {error}"))
            .await?;
        Ok(RECEIVE_FAILED)
    }

    /// Says on the rows of message set `set` why their outcome is not known yet.
    async fn mark_unknown_outcome(
        &self,
        db: &Client,
        company_id: i64,
        set: &str,
        reason: &str,
        request: &str,
    ) -> Result<(), ServiceError> {
        let message = format!(
            "sent in message set {set}; {reason} to {request}, so whether QuickBooks applied it is unknown: QuickBooks is asked for its stored answer (message set error recovery) before anything is sent again"
        );
        for e in QBD_ENTITIES {
            db.execute(
                &format!(
                    "UPDATE {QBD_SCHEMA}.{} SET sync_message = $3 \
                     WHERE company_id = $1 AND request_id = $2 AND sync_status = 'sending'",
                    e.table
                ),
                &[&company_id, &set, &message],
            )
            .await?;
        }
        Ok(())
    }
}

/// Records the outcome of the work's task, if it has one.
async fn finish(
    db: &Client,
    work: &Work,
    status: &str,
    error: Option<&str>,
) -> Result<(), tokio_postgres::Error> {
    match work.task() {
        Some(task) => tasks::finish(db, task, status, error).await,
        None => Ok(()),
    }
}

/// The Desktop entities a task names (`qbd:Customer`, ...), logged as the task starts.
fn desktop_entities(task: &tasks::Task, what: &str) -> Vec<&'static qbsync_catalog::QbdEntity> {
    let entities: Vec<_> = task.entities.iter().filter_map(|n| qbd_entity(n)).collect();
    info!(
        task = task.id,
        entities = entities.len(),
        "Desktop {what} started"
    );
    entities
}

/// The body is taken as bytes, not as a String: a qbXML answer that is not UTF-8 must still
/// reach the session it belongs to, which names the request and the reason.
async fn handle(State(service): State<Arc<QbwcService>>, body: Bytes) -> Response {
    let parsed = match soap::parse_call_bytes(&body) {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "undecodable SOAP request");
            return xml(
                StatusCode::INTERNAL_SERVER_ERROR,
                soap::fault_envelope(&e.to_string()),
            );
        }
    };
    let (op, reply) = match parsed {
        ParsedCall::Call(call) => {
            let op = call.operation();
            let span = info_span!("qbwc", op);
            (op, service.answer(call).instrument(span).await)
        }
        ParsedCall::UnreadableResponse {
            ticket,
            hresult,
            message,
            invalid,
        } => {
            let op = "receiveResponseXML";
            let span = info_span!("qbwc", op);
            let reply = service
                .receive_unreadable(&ticket, &hresult, &message, invalid)
                .instrument(span)
                .await
                .map(Reply::Int);
            (op, reply)
        }
    };
    match reply {
        Ok(reply) => xml(StatusCode::OK, soap::reply_envelope(op, &reply)),
        Err(e) => {
            warn!(error = %e, op, "Web Connector call failed");
            xml(
                StatusCode::INTERNAL_SERVER_ERROR,
                soap::fault_envelope(&e.to_string()),
            )
        }
    }
}

fn xml(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Serves the endpoint on `listener` until `shutdown` turns true.
pub async fn serve(
    service: Arc<QbwcService>,
    listener: tokio::net::TcpListener,
    path: &str,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let app = service.router(path);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            while !*shutdown.borrow() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        })
        .await
}
