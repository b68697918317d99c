//! The connection pool: one [`Remote`] per endpoint address, shared by every proxy that routes
//! to it (and by every communicator made from the same one), holding the endpoint's health
//! and its one multiplexed connection.
//!
//! Getting the connection takes a lock only to clone an `Arc`; a dial runs in its own task,
//! and everyone who needs the connection meanwhile waits for that one dial (no lock is held
//! across it, and a caller that gives up does not cancel it for the others).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::watch;

use crate::balance::EndpointHealth;
use crate::config::ClientConfig;
use crate::sync::lock;
use crate::transport::endpoint::{Endpoint, Proto};

use super::connection::{Connection, ConnectionOptions, KeepAlive};
use super::push::{PushRoute, PUSH_KEEP_ALIVE};

type Dialed = Option<Result<Arc<Connection>, Arc<std::io::Error>>>;

/// One endpoint as this communicator sees it.
pub(crate) struct Remote {
    pub(crate) endpoint: Arc<Endpoint>,
    pub(crate) health: EndpointHealth,
    /// An object served at the endpoint, named in the connection's keep-alive pings.
    object: Arc<OnceLock<String>>,
    /// Where the pushes of the endpoint's connections go.
    pub(crate) pushes: Arc<PushRoute>,
    slot: Mutex<Slot>,
    dialer: Dialer,
}

enum Slot {
    Idle,
    Dialing(watch::Receiver<Dialed>),
    Ready(Arc<Connection>),
}

/// How connections are opened.
#[derive(Clone)]
pub(crate) struct Dialer {
    pub(crate) connect_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) write_stall: Duration,
    pub(crate) queue_len: usize,
    pub(crate) keep_alive: KeepAlive,
    /// Built on the first `ssl` connection.
    pub(crate) tls: Arc<std::sync::OnceLock<Result<Arc<tokio_rustls::rustls::ClientConfig>, String>>>,
    pub(crate) tls_config: crate::transport::tls::TlsConfig,
}

impl Dialer {
    pub(crate) fn new(config: &ClientConfig) -> Self {
        Dialer {
            connect_timeout: config.client_dial_timeout,
            idle_timeout: config.client_idle_timeout,
            write_stall: config.client_write_timeout,
            queue_len: config.client_queue_len,
            keep_alive: KeepAlive {
                always: (!config.keep_alive_interval.is_zero()).then_some(config.keep_alive_interval),
                // TarsGo's push clients ping every half `ClientIdleTimeout`; at most every
                // PUSH_KEEP_ALIVE here, so that a server's usual 60 s idle limit keeps them.
                pushed: (config.client_idle_timeout / 2).clamp(Duration::from_millis(10), PUSH_KEEP_ALIVE),
                check_every: config.check_status_interval.max(Duration::from_millis(10)),
            },
            tls: Arc::default(),
            tls_config: config.tls.clone(),
        }
    }

    async fn dial(
        &self,
        endpoint: &Endpoint,
        ping_as: &Arc<OnceLock<String>>,
        pushes: &Arc<PushRoute>,
    ) -> std::io::Result<Arc<Connection>> {
        let tls = match endpoint.proto {
            Proto::Ssl => {
                let config = self
                    .tls
                    .get_or_init(|| crate::transport::tls::client_config(&self.tls_config).map_err(|e| e.to_string()));
                Some(
                    config
                        .clone()
                        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
                )
            }
            _ => None,
        };
        let options = ConnectionOptions {
            idle_timeout: self.idle_timeout,
            write_stall: self.write_stall,
            queue_len: self.queue_len,
            keep_alive: self.keep_alive,
            ping_as: ping_as.clone(),
            pushes: pushes.clone(),
        };
        Connection::open(endpoint, self.connect_timeout, options, tls).await
    }
}

impl Remote {
    /// The endpoint's live connection, dialling one if there is none.
    pub(crate) async fn connection(self: &Arc<Self>) -> Result<Arc<Connection>, Arc<std::io::Error>> {
        let mut dialed = {
            let mut slot = lock(&self.slot);
            match &*slot {
                Slot::Ready(c) if c.is_usable() => return Ok(c.clone()),
                Slot::Dialing(rx) => rx.clone(),
                _ => {
                    let (tx, rx) = watch::channel(None);
                    *slot = Slot::Dialing(rx.clone());
                    let remote = self.clone();
                    tokio::spawn(async move {
                        let result = remote
                            .dialer
                            .dial(&remote.endpoint, &remote.object, &remote.pushes)
                            .await;
                        let result = result.map_err(|e| {
                            tracing::debug!(endpoint = %remote.endpoint, error = %e, "connect failed");
                            Arc::new(e)
                        });
                        *lock(&remote.slot) = match &result {
                            Ok(c) => Slot::Ready(c.clone()),
                            Err(_) => Slot::Idle,
                        };
                        let _ = tx.send(Some(result));
                    });
                    rx
                }
            }
        };
        loop {
            if let Some(result) = dialed.borrow_and_update().clone() {
                return result;
            }
            if dialed.changed().await.is_err() {
                // The dial task ended without a word (the runtime is shutting down).
                return Err(Arc::new(std::io::Error::other("the connect was abandoned")));
            }
        }
    }

    fn is_connected(&self) -> bool {
        !matches!(&*lock(&self.slot), Slot::Idle)
    }

    /// Notes that `object` is served here: keep-alive pings name it.
    pub(crate) fn serves(&self, object: &str) {
        if self.object.get().is_none() {
            let _ = self.object.set(object.to_string());
        }
    }

    /// Told that a call sent with `timeout` expired on this endpoint's connection (see
    /// [`Connection::call_timed_out`]).
    pub(crate) fn call_timed_out(&self, timeout: Duration) {
        if let Slot::Ready(c) = &*lock(&self.slot) {
            c.call_timed_out(timeout);
        }
    }

    /// Calls in flight on the endpoint's connection.
    pub(crate) fn in_flight(&self) -> usize {
        match &*lock(&self.slot) {
            Slot::Ready(c) => c.in_flight(),
            _ => 0,
        }
    }
}

/// The remotes of one communicator, by address. A remote outlives the proxies that use it
/// (a proxy made per request still finds the connection of the last one), and is dropped
/// once no proxy uses it and its connection has closed.
pub(crate) struct Pool {
    remotes: Mutex<HashMap<(Proto, String, u16), Arc<Remote>>>,
    dialer: Dialer,
}

impl Pool {
    /// A pool opening connections as `dialer` says.
    pub(crate) fn new(dialer: Dialer) -> Self {
        Pool {
            remotes: Mutex::default(),
            dialer,
        }
    }

    /// The remote for `endpoint`, shared with every other user of the same address.
    pub(crate) fn remote(&self, endpoint: &Endpoint) -> Arc<Remote> {
        let key = (endpoint.proto, endpoint.host.clone(), endpoint.port);
        let mut remotes = lock(&self.remotes);
        if let Some(r) = remotes.get(&key) {
            return r.clone();
        }
        remotes.retain(|_, r| Arc::strong_count(r) > 1 || r.is_connected());
        let endpoint = Arc::new(endpoint.clone());
        let remote = Arc::new(Remote {
            pushes: Arc::new(PushRoute::new(endpoint.clone())),
            endpoint,
            health: EndpointHealth::default(),
            object: Arc::default(),
            slot: Mutex::new(Slot::Idle),
            dialer: self.dialer.clone(),
        });
        remotes.insert(key, remote.clone());
        remote
    }

    /// The remote for `endpoint`, if some proxy uses it.
    pub(crate) fn get(&self, endpoint: &Endpoint) -> Option<Arc<Remote>> {
        let key = (endpoint.proto, endpoint.host.clone(), endpoint.port);
        lock(&self.remotes).get(&key).cloned()
    }
}
