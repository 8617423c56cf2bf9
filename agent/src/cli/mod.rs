//! Operator commands: `status`, `sync` and `logs`. Each talks to PostgreSQL only (the running
//! agent does the QuickBooks work) and writes to a caller-given writer, so the binary prints to
//! standard output and tests read a buffer.

pub mod logs;
pub mod status;
pub mod sync;

use anyhow::Context;
use tokio_postgres::{Client, NoTls};

/// Opens a plain connection for an operator command (not marked as the agent's own session).
pub async fn connect(cfg: &tokio_postgres::Config) -> anyhow::Result<Client> {
    let (client, connection) = cfg.connect(NoTls).await.with_context(|| {
        format!(
            "connecting to PostgreSQL ({})",
            crate::config::describe(cfg)
        )
    })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "database connection closed");
        }
    });
    Ok(client)
}

/// `rows` under `headers` in columns padded to their widest cell.
pub fn aligned_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(cell);
            if i + 1 < widths.len() {
                s.extend(std::iter::repeat_n(
                    ' ',
                    w.saturating_sub(cell.chars().count()),
                ));
            }
        }
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    };
    let mut out = line(&mut headers.iter().copied());
    out.push_str(&line(
        &mut widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    ));
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_line_up() {
        let t = super::aligned_table(
            &["company", "flag"],
            &[
                vec!["acme".into(), "blue".into()],
                vec!["a-much-longer-name".into(), "red".into()],
            ],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "company             flag");
        assert_eq!(lines[2], "acme                blue");
        assert_eq!(lines[3].find("red"), lines[0].find("flag"));
    }
}
