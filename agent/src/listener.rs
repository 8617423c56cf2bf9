//! LISTEN qbsync on a dedicated connection. Notifications are only wake-up hints: the runner
//! also sweeps periodically, so a lost notification or a dropped listener strands nothing.

use futures_util::{stream, StreamExt};
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_postgres::{AsyncMessage, NoTls};
use tracing::{info, warn};

/// What a notification asks for.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub struct Wake {
    /// Company with new work; None = look at every company.
    #[serde(default)]
    pub company: Option<i64>,
}

/// Forwards notifications to `tx` until shutdown, reconnecting with capped backoff.
pub async fn listen(
    cfg: tokio_postgres::Config,
    tx: mpsc::Sender<Wake>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut delay = Duration::from_millis(250);
    loop {
        if *shutdown.borrow() {
            return;
        }
        match cfg.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let mut messages = stream::poll_fn(move |cx| connection.poll_message(cx));
                let listening = async {
                    client
                        .batch_execute(&format!("LISTEN {}", qbsync_catalog::NOTIFY_CHANNEL))
                        .await
                };
                // The LISTEN must be driven by polling the connection; run both together.
                let mut listen_fut = Box::pin(listening);
                let mut subscribed = false;
                info!("listening for notifications");
                // A missed notification while we were away: sweep everything once.
                let _ = tx.send(Wake::default()).await;
                loop {
                    tokio::select! {
                        r = &mut listen_fut, if !subscribed => {
                            subscribed = true;
                            if let Err(e) = r { warn!(error = %e, "LISTEN failed"); break; }
                            delay = Duration::from_millis(250);
                        }
                        msg = messages.next() => match msg {
                            Some(Ok(AsyncMessage::Notification(n))) => {
                                let wake = serde_json::from_str::<Wake>(n.payload()).unwrap_or_default();
                                if tx.send(wake).await.is_err() { return; }
                            }
                            Some(Ok(_)) => {}
                            Some(Err(e)) => { warn!(error = %e, "listener connection error"); break; }
                            None => { warn!("listener connection closed"); break; }
                        },
                        _ = shutdown.changed() => return,
                    }
                }
                drop(listen_fut);
                drop(client);
            }
            Err(e) => warn!(error = %e, "listener cannot connect"),
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.changed() => return,
        }
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}
