//! Placeholder replaced below once the sandbox admin API is settled.
pub async fn run(_admin: tokio_postgres::Config, _database: &str, _customers: usize) -> anyhow::Result<()> {
    anyhow::bail!("demo not built yet")
}
