//! Watching the database while agents work: queries run every 20 ms on a session of their own
//! until the test says stop, each sample handed to the test's own bookkeeping.

use crate::Env;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_postgres::Row;

/// First key of the agent's per-company advisory lock (runner.rs `LEASE_KEY`, "qbsy").
pub const LEASE_KEY: i64 = 0x7162_7379;

/// The company leases held on this test's database at one instant: (company id, the holder's
/// `application_name`, which is the agent's name).
pub fn leases_sql() -> String {
    format!(
        "SELECT l.objid::int8, a.application_name FROM pg_locks l \
         JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.classid::int8 = {LEASE_KEY} AND l.objsubid = 2 \
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
}

/// Every 20 ms until `stop` is set, runs `queries` in turn and hands their rows (in the same
/// order) to `each`; a sample in which a query fails is skipped.
pub fn sample(
    env: &Env,
    queries: Vec<String>,
    stop: Arc<AtomicBool>,
    mut each: impl FnMut(Vec<Vec<Row>>) + Send + 'static,
) -> JoinHandle<()> {
    let cfg = env.database_config();
    tokio::spawn(async move {
        let (db, conn) = cfg
            .connect(tokio_postgres::NoTls)
            .await
            .expect("sampler session");
        tokio::spawn(conn);
        while !stop.load(Ordering::SeqCst) {
            let mut rows = Vec::with_capacity(queries.len());
            for q in &queries {
                match db.query(q.as_str(), &[]).await {
                    Ok(r) => rows.push(r),
                    Err(_) => break,
                }
            }
            if rows.len() == queries.len() {
                each(rows);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

/// (company id, holder) pairs of a [`leases_sql`] sample, or of any query of that shape.
pub fn pairs(rows: &[Row]) -> Vec<(i64, String)> {
    rows.iter()
        .map(|r| (r.get(0), r.get::<_, Option<String>>(1).unwrap_or_default()))
        .collect()
}
