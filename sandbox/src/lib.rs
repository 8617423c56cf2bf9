//! A loopback simulation of the QuickBooks Online Accounting API v3, faithful to the
//! reference sheet (`shared/docs/quickbooks-online.md`), including the real service's quirks.
//!
//! ```no_run
//! # async fn demo() -> Result<(), qbsync_sandbox::SandboxError> {
//! let sb = qbsync_sandbox::start(qbsync_sandbox::SandboxConfig::default()).await?;
//! println!("API at {}/company/{}/...", sb.api_base(), sb.realm_id());
//! sb.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod batch;
mod capability;
mod cdc;
mod clock;
mod config;
mod entities;
mod fault;
mod oauth;
mod ops;
pub mod qbd;
pub mod qbwc;
mod query;
mod reports;
mod seed;
mod server;
mod state;
mod store;
mod throttle;

pub use admin::{Admin, AdminError};
pub use config::{SandboxConfig, SeedSize};
pub use fault::{Fault, FaultError};
pub use state::{FailRule, KnobPatch, Knobs, Stats};

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// A sandbox serving on loopback. Dropping it without [`RunningSandbox::shutdown`] leaves the
/// server task running until the runtime stops.
pub struct RunningSandbox {
    addr: SocketAddr,
    realm_id: String,
    admin: Admin,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("addr", &self.addr)
            .field("realm_id", &self.realm_id)
            .finish()
    }
}

impl RunningSandbox {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/v3`; the agent builds `{api_base}/company/{realm}/...`.
    pub fn api_base(&self) -> String {
        format!("{}/v3", self.base_url())
    }

    /// `http://127.0.0.1:PORT/oauth2/v1/tokens/bearer`
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/v1/tokens/bearer", self.base_url())
    }

    pub fn realm_id(&self) -> &str {
        &self.realm_id
    }

    pub fn admin(&self) -> &Admin {
        &self.admin
    }

    /// Stops accepting connections and waits (at most 5 s) for the server to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let abort = self.task.abort_handle();
        if tokio::time::timeout(std::time::Duration::from_secs(5), &mut self.task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

/// Binds, seeds the sample company and spawns the server on the current tokio runtime.
pub async fn start(config: SandboxConfig) -> Result<RunningSandbox, SandboxError> {
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| SandboxError::Bind {
            addr: config.bind,
            source,
        })?;
    let addr = listener.local_addr()?;
    let clock = clock::Clock::new();
    let mut data = store::Store::new();
    let began = std::time::Instant::now();
    seed::seed(&mut data, &config.seed, &config.realm_id, clock.now_secs());
    tracing::info!(%addr, realm = %config.realm_id, seed_ms = began.elapsed().as_millis() as u64, "QuickBooks sandbox listening");
    let realm_id = config.realm_id.clone();
    let shared = Arc::new(state::Shared::new(config, data, clock));
    let app = server::router(Arc::clone(&shared));
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = rx.await;
        });
        if let Err(e) = served.await {
            tracing::error!(error = %e, "sandbox server stopped");
        }
    });
    Ok(RunningSandbox {
        addr,
        realm_id,
        admin: Admin::new(shared),
        stop: Some(tx),
        task,
    })
}
