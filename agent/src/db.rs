//! Postgres connections for the agent.

use tokio_postgres::{Client, NoTls};
use tracing::warn;

/// Opens a connection whose writes the mirror-table trigger recognises as the agent's own
/// (`qbsync.agent = on`), so write-backs are not mistaken for application requests.
pub async fn connect(cfg: &tokio_postgres::Config) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = cfg.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            warn!(error = %e, "database connection closed");
        }
    });
    client.batch_execute("SET qbsync.agent = 'on'").await?;
    Ok(client)
}
