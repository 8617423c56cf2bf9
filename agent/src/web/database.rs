//! The page's own PostgreSQL connection: opened on first use, opened again when it was lost
//! (server restart, network), so the page recovers by itself instead of failing until restarted.
//!
//! One connection is enough: tokio-postgres pipelines concurrent queries on it, and every query
//! of the page is a single statement (no transaction spans two requests).
//!
//! It is a plain session, not marked `qbsync.agent = on` like the agent's own: the page acts
//! for a person, so `qb_link`'s `operation = 'refresh'` must go through the trigger like an
//! application's would.

use super::WebError;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::{Client, NoTls};

pub struct Database {
    config: tokio_postgres::Config,
    client: tokio::sync::Mutex<Option<Arc<Client>>>,
}

impl Database {
    pub fn new(mut config: tokio_postgres::Config) -> Database {
        // Tells the page's session apart from the agent's in pg_stat_activity.
        config.application_name("qbsync-web");
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        Database {
            config,
            client: tokio::sync::Mutex::new(None),
        }
    }

    /// The open connection, or a new one when there is none or it closed.
    pub async fn client(&self) -> Result<Arc<Client>, WebError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(client.clone());
        }
        let target = crate::config::describe(&self.config);
        let (client, connection) =
            self.config
                .connect(NoTls)
                .await
                .map_err(|source| WebError::Connect {
                    target: target.clone(),
                    source,
                })?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "web page database connection closed");
            }
        });
        // A slow query must not hold a browser tab (and the connection) for ever.
        client
            .batch_execute("SET statement_timeout = '60s'")
            .await
            .map_err(|source| WebError::Connect { target, source })?;
        let client = Arc::new(client);
        *slot = Some(client.clone());
        Ok(client)
    }
}
