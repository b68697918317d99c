//! The running [`Server`]: its listeners and the framework wing around them, and the graceful
//! stop tarsnode expects.

use std::net::SocketAddr;
use std::time::Duration;

use crate::framework::Platform;
use crate::server::{BoundAdapter, Listeners};
use crate::transport::endpoint::Endpoint;

/// How long shutdown waits for tarsnotify, tarsstat and tarslog to take the last reports.
const FINAL_REPORT_LIMIT: Duration = Duration::from_secs(1);

/// What a stop takes besides the drain: the connections' last writes (`Listeners::stop`)
/// and some room before the process exits.
const AFTER_DRAIN: Duration = Duration::from_millis(300);

/// How long a pod of K8SFramework has between SIGTERM and SIGKILL: the stop fits in it when
/// the config does not say `deactivating-timeout`.
pub(super) const KUBERNETES_STOP_LIMIT: Duration = Duration::from_secs(10);

/// Whether the process runs in a Kubernetes pod (the variable every pod gets).
pub(super) fn in_kubernetes() -> bool {
    std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
}

/// How long each part of a stop may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StopBudget {
    /// Waiting for requests in flight.
    pub(super) drain: Duration,
    /// The last reports and log lines.
    pub(super) final_reports: Duration,
}

impl StopBudget {
    /// With `deactivating-timeout` (tarsnode's wait before SIGKILL), everything fits in it: a
    /// fifth (at most a second) for the last reports, the rest, less [`AFTER_DRAIN`], for the
    /// drain. Without, the drain takes up to `gracedowntimeout`.
    pub(super) fn new(grace_down: Duration, deactivating: Option<Duration>) -> Self {
        match deactivating {
            Some(limit) => {
                let final_reports = (limit / 5).min(FINAL_REPORT_LIMIT);
                StopBudget {
                    drain: limit.saturating_sub(final_reports + AFTER_DRAIN).min(grace_down),
                    final_reports,
                }
            }
            None => StopBudget {
                drain: grace_down,
                final_reports: FINAL_REPORT_LIMIT,
            },
        }
    }
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    listeners: Listeners,
    platform: Platform,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
    budget: StopBudget,
}

impl Server {
    pub(super) fn new(
        listeners: Listeners,
        platform: Platform,
        heartbeat: Option<tokio::task::JoinHandle<()>>,
        budget: StopBudget,
    ) -> Self {
        Server {
            listeners,
            platform,
            heartbeat,
            budget,
        }
    }

    /// Every adapter, TCP and UDP, with the endpoint it is bound to.
    pub fn adapters(&self) -> &[BoundAdapter] {
        self.listeners.adapters()
    }

    fn first_of(&self, servant: &str) -> Option<&BoundAdapter> {
        self.adapters().iter().find(|b| b.servant() == servant)
    }

    /// The address servant `name` listens on (its first adapter's; see [`Server::adapters`]
    /// for all of them).
    pub fn local_addr(&self, name: &str) -> Option<SocketAddr> {
        self.first_of(name).map(|b| b.local_addr)
    }

    /// The endpoint of servant `name`, as clients write it (its first adapter's).
    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.first_of(name).map(|b| &b.endpoint)
    }

    /// Every endpoint of servant `name` (a servant may have a TCP and a UDP adapter), joined
    /// by `:` as an object string takes them: `Name@{endpoints}`.
    pub fn endpoints(&self, name: &str) -> String {
        let eps: Vec<String> = self
            .adapters()
            .iter()
            .filter(|b| b.servant() == name)
            .map(|b| b.endpoint.to_string())
            .collect();
        eps.join(":")
    }

    /// The server's view of the platform.
    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// Tells tarsnode and tarsnotify the server stops, stops the listeners gracefully
    /// (`_reconnect_` to every connection, in-flight requests waited for up to
    /// `gracedowntimeout`), then sends the last reports and log lines. With
    /// `deactivating-timeout` in the config (tarsnode's wait before SIGKILL), the whole stop
    /// fits within it.
    pub async fn shutdown(mut self) {
        // tarsnode stops expecting heartbeats once it knows; the platform is told first.
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        let notifier = self.platform.notifier();
        notifier.report("stop");
        self.listeners.stop(self.budget.drain).await;
        let log = self.platform.log().cloned();
        let limit = self.budget.final_reports;
        tokio::join!(notifier.flush(limit), self.platform.framework().flush(limit), async {
            if let Some(l) = log {
                l.flush(limit).await;
            }
        });
    }

    /// Serves until SIGTERM, Ctrl-C or the admin `shutdown`, then shuts down gracefully. A
    /// graceful restart (SIGUSR1, or the admin command `tars.gracerestart`) hands the
    /// listening sockets to a new process of the same binary and stops this one once the new
    /// one serves (see [`Server::restart`]).
    pub async fn run_until_signal(self) {
        #[cfg(unix)]
        let mut usr1 = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1()).ok();
        loop {
            #[cfg(unix)]
            let restart_signal = async {
                match usr1.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let restart_signal = std::future::pending::<()>();
            tokio::select! {
                _ = wait_for_signal() => break,
                _ = self.platform.stop_requested() => break,
                _ = restart_signal => {}
                _ = self.platform.restart_requested() => {}
            }
            #[cfg(unix)]
            match self.restart().await {
                Ok(()) => break,
                Err(e) => tracing::error!(error = %e, "graceful restart failed; this process serves on"),
            }
        }
        tracing::info!("shutting down");
        self.shutdown().await;
    }

    /// Starts the process that takes over (this binary, same arguments, inheriting every
    /// listening socket, with `GRACE_RESTART=1`) and waits until it serves (it sends SIGUSR2)
    /// — then returns `Ok`, and the caller stops this process gracefully. An error (the new
    /// process cannot start, exits, or stays silent for 30 s) leaves this one serving.
    #[cfg(unix)]
    pub async fn restart(&self) -> std::io::Result<()> {
        use tokio::signal::unix::{signal, SignalKind};
        // Listening before the child exists: SIGUSR2's default action would end this process.
        let mut ready = signal(SignalKind::user_defined2())?;
        let mut child = self.listeners.spawn_successor()?;
        tracing::info!(pid = child.id(), "graceful restart: the new process starts");
        let waited = tokio::time::timeout(RESTART_LIMIT, async {
            loop {
                tokio::select! {
                    _ = ready.recv() => return Ok(()),
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {
                        if let Some(status) = child.try_wait()? {
                            return Err(std::io::Error::other(format!("the new process exited: {status}")));
                        }
                    }
                }
            }
        })
        .await;
        match waited {
            Ok(result) => result,
            Err(_) => {
                let _ = child.kill();
                Err(std::io::Error::other(format!(
                    "the new process did not serve within {} s",
                    RESTART_LIMIT.as_secs()
                )))
            }
        }
    }
}

/// How long a graceful restart waits for the new process to serve.
#[cfg(unix)]
const RESTART_LIMIT: Duration = Duration::from_secs(30);

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let term = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_fits_in_tarsnodes_deactivating_timeout() {
        let s = |ms: u64| Duration::from_millis(ms);
        // The standard template: 2000 ms.
        let b = StopBudget::new(s(60_000), Some(s(2000)));
        assert_eq!((b.drain, b.final_reports), (s(1300), s(400)));
        assert!(b.drain + b.final_reports + AFTER_DRAIN <= s(2000));
        // gracedowntimeout still bounds the drain when shorter.
        assert_eq!(StopBudget::new(s(500), Some(s(10_000))).drain, s(500));
        assert_eq!(StopBudget::new(s(60_000), Some(s(10_000))).drain, s(8700));
        // Without it, gracedowntimeout alone.
        assert_eq!(StopBudget::new(s(5000), None).drain, s(5000));
        // In a K8SFramework pod: 10 s from SIGTERM to SIGKILL.
        let pod = StopBudget::new(s(60_000), Some(KUBERNETES_STOP_LIMIT));
        assert!(pod.drain + pod.final_reports + AFTER_DRAIN <= KUBERNETES_STOP_LIMIT);
    }
}
