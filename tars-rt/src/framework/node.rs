//! The heartbeat to tarsnode (`ServerF`): `reportVersion` and a first `keepAlive` at start,
//! then one `keepAlive` per adapter (and for `AdminAdapter`) every `mainloopticker`, as
//! TarsGo sends them. tarsnode restarts a server it has not heard from for about a minute,
//! so an adapter that is a zombie (every handler stuck) is left out of the heartbeat.

use std::future::Future;
use std::time::Duration;

use crate::client::CallOptions;
use crate::server::AdapterLiveness;

use super::idl::{ServerFProxy, ServerInfo};

/// How long one heartbeat may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);

/// The shortest period between two rounds, whatever `mainloopticker` says.
const MIN_PERIOD: Duration = Duration::from_millis(10);

/// One message of the heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Beat {
    /// `reportVersion`, once at start.
    Version,
    /// `keepAlive` for the adapter named (empty: the server as a whole, at start).
    Alive(String),
}

/// Sends the heartbeat of server `app.server` until the returned task is aborted.
pub(crate) fn spawn(
    node: ServerFProxy,
    app: String,
    server: String,
    adapters: Vec<AdapterLiveness>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    let send = move |beat: Beat| {
        let (node, app, server) = (node.clone(), app.clone(), server.clone());
        async move {
            let opts = CallOptions::new().timeout(CALL_TIMEOUT);
            let result = match &beat {
                Beat::Version => {
                    node.report_version_with(&opts, &app, &server, super::reporter::TARS_VERSION)
                        .await
                }
                Beat::Alive(adapter) => {
                    let info = ServerInfo {
                        application: app,
                        server_name: server,
                        pid: std::process::id() as i32,
                        adapter: adapter.clone(),
                    };
                    node.keep_alive_with(&opts, &info).await
                }
            };
            if let Err(e) = result {
                tracing::warn!(?beat, error = %e, "tarsnode: heartbeat failed");
            }
        }
    };
    tokio::spawn(beat_forever(send, adapters, every))
}

/// The heartbeat's schedule: what is sent when, whoever carries it.
async fn beat_forever<F, Fut>(send: F, adapters: Vec<AdapterLiveness>, every: Duration)
where
    F: Fn(Beat) -> Fut,
    Fut: Future<Output = ()>,
{
    send(Beat::Version).await;
    send(Beat::Alive(String::new())).await;
    let period = every.max(MIN_PERIOD);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for adapter in &adapters {
            if adapter.is_zombie() {
                tracing::error!(adapter = %adapter.name(), "adapter is a zombie (every handler busy past zombietimeout): no heartbeat for it");
                continue;
            }
            send(Beat::Alive(adapter.name().to_string())).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    use tokio::time::{sleep, Instant};

    use super::*;

    /// The schedule with a recorder as its carrier, one adapter ("A") whose zombie flag the
    /// test holds and one ("B") always alive. Paused time: each sleep runs every timer due
    /// before it ends, at its own instant.
    #[tokio::test(start_paused = true)]
    async fn one_keep_alive_per_live_adapter_every_period() {
        let sent: Arc<Mutex<Vec<(Duration, Beat)>>> = Arc::default();
        let zombie = Arc::new(AtomicBool::new(false));
        let adapters = vec![
            AdapterLiveness::new("A", {
                let zombie = zombie.clone();
                move || zombie.load(Ordering::Relaxed)
            }),
            AdapterLiveness::new("B", || false),
        ];
        let start = Instant::now();
        let record = {
            let sent = sent.clone();
            move |beat| {
                sent.lock().unwrap().push((start.elapsed(), beat));
                std::future::ready(())
            }
        };
        let task = tokio::spawn(beat_forever(record, adapters, Duration::from_secs(10)));
        let taken = |sent: &Mutex<Vec<_>>| std::mem::take(&mut *sent.lock().unwrap());
        let alive = |at: u64, name: &str| (Duration::from_secs(at), Beat::Alive(name.into()));

        sleep(Duration::from_secs(25)).await;
        assert_eq!(
            taken(&sent),
            vec![
                (Duration::ZERO, Beat::Version),
                (Duration::ZERO, Beat::Alive(String::new())),
                alive(10, "A"),
                alive(10, "B"),
                alive(20, "A"),
                alive(20, "B"),
            ]
        );
        zombie.store(true, Ordering::Relaxed);
        sleep(Duration::from_secs(20)).await;
        assert_eq!(taken(&sent), vec![alive(30, "B"), alive(40, "B")]);
        zombie.store(false, Ordering::Relaxed);
        sleep(Duration::from_secs(10)).await;
        assert_eq!(taken(&sent), vec![alive(50, "A"), alive(50, "B")]);
        task.abort();
    }
}
