//! The running [`Server`]: its listeners and the framework wing around them, and the graceful
//! stop tarsnode expects.

use std::net::SocketAddr;
use std::time::Duration;

use crate::framework::Platform;
use crate::server::{BoundAdapter, Listeners};
use crate::transport::endpoint::Endpoint;

/// How long shutdown waits for tarsnotify, tarsstat and tarslog to take the last reports.
const FINAL_REPORT_LIMIT: Duration = Duration::from_secs(1);

/// A running server.
#[derive(Debug)]
pub struct Server {
    listeners: Listeners,
    platform: Platform,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
    grace: Duration,
}

impl Server {
    pub(super) fn new(
        listeners: Listeners,
        platform: Platform,
        heartbeat: Option<tokio::task::JoinHandle<()>>,
        grace: Duration,
    ) -> Self {
        Server {
            listeners,
            platform,
            heartbeat,
            grace,
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
    /// `gracedowntimeout`), then sends the last reports and log lines.
    pub async fn shutdown(mut self) {
        // tarsnode stops expecting heartbeats once it knows; the platform is told first.
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        let notifier = self.platform.notifier();
        notifier.report("stop");
        self.listeners.stop(self.grace).await;
        let log = self.platform.log().cloned();
        tokio::join!(
            notifier.flush(FINAL_REPORT_LIMIT),
            self.platform.framework().flush(FINAL_REPORT_LIMIT),
            async {
                if let Some(l) = log {
                    l.flush(FINAL_REPORT_LIMIT).await;
                }
            }
        );
    }

    /// Serves until SIGTERM, Ctrl-C or the admin `shutdown`, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        tokio::select! {
            _ = wait_for_signal() => {}
            _ = self.platform.stop_requested() => {}
        }
        tracing::info!("shutting down");
        self.shutdown().await;
    }
}

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
