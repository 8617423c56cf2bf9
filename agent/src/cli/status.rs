//! `qbsync-agent status`: `qbsync.status` as an aligned table.

use super::aligned_table;
use anyhow::Context;
use std::io::Write;
use tokio_postgres::Client;

/// Writes one line per company: company, state, flag, errors, requested_by, next scheduled sync.
pub async fn run<W: Write>(db: &Client, out: &mut W) -> anyhow::Result<()> {
    let rows = db
        .query(
            "SELECT company, coalesce(state, ''), coalesce(flag, ''), coalesce(errors::text, '0'), \
                    coalesce(requested_by, ''), \
                    coalesce(to_char(next_sync_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC', '-') \
             FROM qbsync.status ORDER BY company",
            &[],
        )
        .await
        .map_err(|e| anyhow::anyhow!(crate::error::describe_db_error(&e)))
        .context("reading qbsync.status")?;
    if rows.is_empty() {
        writeln!(
            out,
            "No companies yet: add one with qbsync.qb_add_company(...)"
        )?;
        return Ok(());
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| (0..6).map(|i| r.get::<_, String>(i)).collect())
        .collect();
    out.write_all(
        aligned_table(
            &[
                "COMPANY",
                "STATE",
                "FLAG",
                "ERRORS",
                "REQUESTED BY",
                "NEXT SYNC",
            ],
            &cells,
        )
        .as_bytes(),
    )?;
    Ok(())
}
