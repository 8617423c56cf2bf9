//! `qbsync-agent logs`: one Markdown file to attach to a support request: agent version, the
//! effective configuration, company settings, recent tasks and `qbsync.messages`.
//!
//! Secrets never enter it: nothing is selected from `qbsync.company_secret` or
//! `qbsync.qbwc_credential` but whether a row exists and when it was refreshed or changed, the
//! database password is shown only as "set", and `company.settings` keys that look like
//! credentials are redacted.

use crate::config::AgentConfig;
use serde_json::Value;
use std::fmt::Write as _;
use tokio_postgres::config::Host;
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;

const REDACTED: &str = "(redacted)";
/// Key fragments of `company.settings` entries whose values are never shown.
const SECRET_KEYS: &[&str] = &[
    "secret",
    "token",
    "password",
    "passwd",
    "key",
    "credential",
    "auth",
    "cookie",
];

/// A Markdown table cell: one line, pipes escaped.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn md_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return "(none)\n".into();
    }
    let mut s = format!("| {} |\n", headers.join(" | "));
    s.push_str(&format!("|{}\n", " --- |".repeat(headers.len())));
    for r in rows {
        s.push_str(&format!(
            "| {} |\n",
            r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    s
}

/// Runs `sql` (every column cast to text) and renders it as a table, or says why it could not.
async fn section(
    db: &Client,
    headers: &[&str],
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> String {
    match db.query(sql, params).await {
        Ok(rows) => {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| {
                            r.try_get::<_, Option<String>>(i)
                                .ok()
                                .flatten()
                                .unwrap_or_default()
                        })
                        .collect()
                })
                .collect();
            md_table(headers, &cells)
        }
        Err(e) => format!(
            "(could not be read: {})\n",
            crate::error::describe_db_error(&e)
        ),
    }
}

/// `settings` with the values of credential-like keys replaced, at any depth.
pub fn redact_settings(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let lower = k.to_ascii_lowercase();
                    if SECRET_KEYS.iter().any(|s| lower.contains(s)) {
                        (k.clone(), Value::String(REDACTED.into()))
                    } else {
                        (k.clone(), redact_settings(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_settings).collect()),
        other => other.clone(),
    }
}

/// The database connection and agent settings this command resolved (flags, DATABASE_URL,
/// PG*), with the password shown only as set or not.
pub fn describe_config(cfg: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = cfg
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(h) => h.clone(),
            Host::Unix(p) => p.display().to_string(),
        })
        .collect();
    let ports: Vec<String> = cfg.get_ports().iter().map(u16::to_string).collect();
    let defaults = AgentConfig::new(cfg.clone());
    let mut s = String::new();
    let _ = writeln!(s, "- database host: {}", hosts.join(","));
    let _ = writeln!(
        s,
        "- database port: {}",
        if ports.is_empty() {
            "5432 (default)".into()
        } else {
            ports.join(",")
        }
    );
    let _ = writeln!(s, "- database user: {}", cfg.get_user().unwrap_or("?"));
    let _ = writeln!(
        s,
        "- database name: {}",
        cfg.get_dbname().unwrap_or("(same as user)")
    );
    let _ = writeln!(
        s,
        "- database password: {}",
        if cfg.get_password().is_some() {
            "set (redacted)"
        } else {
            "not set"
        }
    );
    let _ = writeln!(
        s,
        "- agent defaults: sweep {} ms, {} companies at once, {} requests/min, {} batch calls/min, {} in flight, page {}, write batch {}, HTTP timeout {} s, stale task after {} s",
        defaults.sweep_interval.as_millis(),
        defaults.max_companies,
        defaults.requests_per_minute,
        defaults.batch_per_minute,
        defaults.max_in_flight,
        defaults.page_size,
        defaults.write_batch,
        defaults.http_timeout.as_secs(),
        defaults.stale_task_after.as_secs()
    );
    for var in [
        "RUST_LOG",
        "QBSYNC_LOG_JSON",
        "QBSYNC_QBWC_BIND",
        "QBSYNC_METRICS_BIND",
        "QBSYNC_MAX_COMPANIES",
    ] {
        if let Ok(v) = std::env::var(var) {
            let _ = writeln!(s, "- {var}={v}");
        }
    }
    if std::env::var_os("DATABASE_URL").is_some() {
        let _ = writeln!(
            s,
            "- DATABASE_URL: set (shown above as its parts, without the password)"
        );
    }
    s
}

/// The bundle as Markdown; `company` limits tasks and messages to one company.
pub async fn bundle(
    db: &Client,
    cfg: &tokio_postgres::Config,
    company: Option<&str>,
) -> anyhow::Result<String> {
    let mut s = String::new();
    writeln!(s, "# qbsync troubleshooting bundle\n")?;
    writeln!(s, "- agent: qbsync-agent {}", env!("CARGO_PKG_VERSION"))?;
    writeln!(s, "- generated: {}", chrono::Utc::now().to_rfc3339())?;
    if let Some(c) = company {
        writeln!(s, "- company filter: {c}")?;
    }
    let server = db
        .query_one(
            "SELECT current_setting('server_version'), \
                    (SELECT extversion FROM pg_extension WHERE extname = 'qbsync'), now()::text",
            &[],
        )
        .await;
    match server {
        Ok(r) => {
            writeln!(s, "- PostgreSQL: {}", r.get::<_, String>(0))?;
            writeln!(
                s,
                "- qbsync extension: {}",
                r.get::<_, Option<String>>(1)
                    .unwrap_or_else(|| "not installed".into())
            )?;
            writeln!(s, "- database time: {}", r.get::<_, String>(2))?;
        }
        Err(e) => writeln!(s, "- PostgreSQL: {}", crate::error::describe_db_error(&e))?,
    }
    writeln!(
        s,
        "\n## Configuration\n\nAs this command resolved it (a running agent's own flags may differ).\n"
    )?;
    s.push_str(&describe_config(cfg));

    writeln!(s, "\n## Status\n")?;
    s.push_str(
        &section(
            db,
            &["company", "kind", "state", "flag", "errors", "errors last day", "task", "requested by", "last sync"],
            "SELECT company, kind, state, flag, errors::text, errors_last_day::text, task_id::text, \
                    requested_by, last_sync_at::text \
             FROM qbsync.status WHERE $1::text IS NULL OR company = $1 ORDER BY company",
            &[&company],
        )
        .await,
    );

    writeln!(s, "\n## Companies\n")?;
    match db
        .query(
            "SELECT name, kind, coalesce(realm_id, ''), api_base, token_url, operation_result::text, \
                    create_missing_items::text, coalesce(quickbooks_name, ''), coalesce(company_file, ''), \
                    settings, coalesce(error, ''), coalesce(error_at::text, ''), created_at::text \
             FROM qbsync.company WHERE $1::text IS NULL OR name = $1 ORDER BY name",
            &[&company],
        )
        .await
    {
        Ok(rows) => {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    let mut v: Vec<String> = (0..9).map(|i| r.get::<_, String>(i)).collect();
                    v.push(redact_settings(&r.get::<_, Value>(9)).to_string());
                    v.extend((10..13).map(|i| r.get::<_, String>(i)));
                    v
                })
                .collect();
            s.push_str(&md_table(
                &["name", "kind", "realm", "api_base", "token_url", "operation_result", "create_missing_items", "quickbooks_name", "company_file", "settings", "error", "error_at", "created_at"],
                &cells,
            ));
        }
        Err(e) => writeln!(s, "(could not be read: {})", crate::error::describe_db_error(&e))?,
    }

    writeln!(s, "\n## Credentials (presence only)\n")?;
    s.push_str(
        &section(
            db,
            &["company", "OAuth tokens", "refreshed at", "refreshes"],
            "SELECT c.name, CASE WHEN s.company_id IS NULL THEN 'none' \
                                 WHEN s.access_token_sealed IS NULL THEN 'refresh token only' \
                                 ELSE 'refresh and access token' END, \
                    coalesce(s.refreshed_at::text, 'never'), coalesce(s.refresh_count::text, '0') \
             FROM qbsync.company c LEFT JOIN qbsync.company_secret s ON s.company_id = c.id \
             WHERE c.kind = 'qbo' AND ($1::text IS NULL OR c.name = $1) ORDER BY c.name",
            &[&company],
        )
        .await,
    );
    s.push('\n');
    s.push_str(
        &section(
            db,
            &["company", "Web Connector login", "changed at"],
            "SELECT c.name, CASE WHEN q.company_id IS NULL THEN 'none' ELSE 'set (password stored hashed)' END, \
                    coalesce(q.changed_at::text, '') \
             FROM qbsync.company c LEFT JOIN qbsync.qbwc_credential q ON q.company_id = c.id \
             WHERE c.kind = 'qbd' AND ($1::text IS NULL OR c.name = $1) ORDER BY c.name",
            &[&company],
        )
        .await,
    );

    writeln!(s, "\n## Tables\n")?;
    s.push_str(
        &section(
            db,
            &["company", "entity", "enabled", "direction", "payment_match", "populated", "cursor", "rows"],
            "SELECT c.name, st.entity, st.enabled::text, st.direction, coalesce(st.payment_match, ''), \
                    coalesce(h.populated_at::text, ''), coalesce(h.change_cursor::text, ''), coalesce(h.row_count::text, '') \
             FROM qbsync.sync_table st JOIN qbsync.company c ON c.id = st.company_id \
             LEFT JOIN qbsync.history h ON h.company_id = st.company_id AND h.entity = st.entity \
             WHERE $1::text IS NULL OR c.name = $1 ORDER BY c.name, st.entity",
            &[&company],
        )
        .await,
    );

    writeln!(s, "\n## Recent tasks (last 50)\n")?;
    s.push_str(
        &section(
            db,
            &["id", "company", "kind", "status", "entities", "rows", "errors", "current", "requested by", "created", "started", "finished", "agent", "error"],
            "SELECT t.id::text, c.name, t.kind, t.status, t.entities_done || '/' || t.entities_total, \
                    t.rows_done::text, t.errors::text, coalesce(t.current_entity, ''), t.requested_by, \
                    t.created_at::text, coalesce(t.started_at::text, ''), coalesce(t.finished_at::text, ''), \
                    coalesce(t.locked_by, ''), coalesce(t.error, '') \
             FROM qbsync.task t JOIN qbsync.company c ON c.id = t.company_id \
             WHERE $1::text IS NULL OR c.name = $1 ORDER BY t.id DESC LIMIT 50",
            &[&company],
        )
        .await,
    );

    writeln!(s, "\n## Messages (last 100)\n")?;
    s.push_str(
        &section(
            db,
            &["at", "company", "task", "table", "entity", "local_id", "qb_id", "direction", "operation", "code", "message"],
            "SELECT coalesce(at::text, ''), company, coalesce(task_id::text, ''), coalesce(table_name, ''), \
                    coalesce(entity, ''), coalesce(local_id::text, ''), coalesce(qb_id, ''), coalesce(direction, ''), \
                    coalesce(operation, ''), coalesce(code, ''), coalesce(message, '') \
             FROM qbsync.messages WHERE $1::text IS NULL OR company = $1 \
             ORDER BY at DESC NULLS LAST LIMIT 100",
            &[&company],
        )
        .await,
    );
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_password_is_never_shown() {
        let mut cfg = tokio_postgres::Config::new();
        cfg.host("127.0.0.1")
            .user("qbsync")
            .dbname("app")
            .password("PLANTED-DB-PASSWORD");
        let text = describe_config(&cfg);
        assert!(!text.contains("PLANTED-DB-PASSWORD"), "{text}");
        assert!(text.contains("database password: set (redacted)"));
        assert!(text.contains("database user: qbsync"));
    }

    #[test]
    fn credential_like_settings_are_redacted_at_any_depth() {
        let v = serde_json::json!({
            "api_key": "PLANTED-1",
            "nested": {"refresh_token": "PLANTED-2", "colour": "blue"},
            "list": [{"Password": "PLANTED-3"}]
        });
        let text = redact_settings(&v).to_string();
        assert!(!text.contains("PLANTED"), "{text}");
        assert!(text.contains("blue"));
    }

    #[test]
    fn cells_stay_on_one_line() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
