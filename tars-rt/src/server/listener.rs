//! Bind and accept: the listening sockets of an application's endpoints, what each accepts
//! (`allow`/`deny`, `maxconns`, the TLS handshake), and the connections it holds; and the
//! [`Listeners`] handle that stops them all gracefully.
//!
//! A TCP (or `ssl`) endpoint accepts connections and serves each in a task of its own
//! ([`super::connection`]); a UDP endpoint serves datagrams ([`super::udp`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::net::{TcpListener, TcpSocket, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::AdapterConfig;
use crate::sync::lock;
use crate::transport::budget::MemoryBudget;
use crate::transport::endpoint::{Endpoint, Proto};

use super::connection::{self, ConnectionSettings};
use super::error::ServerError;
use super::in_flight::InFlight;
use super::observe::ServeObserver;
use super::plan::{AcceptPlan, EndpointPlan, Serve};
use super::protocol::ServerProtocol;

/// How long a client has to complete the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// An adapter as it is bound.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BoundAdapter {
    /// The adapter's settings.
    pub config: AdapterConfig,
    /// Its endpoint, with the real port when the config said 0.
    pub endpoint: Endpoint,
    /// The socket address it listens on.
    pub local_addr: SocketAddr,
    /// Its open connections (TCP and `ssl` adapters).
    pub(crate) connections: Option<Arc<Connections>>,
}

impl BoundAdapter {
    /// The adapter's section name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The servant it serves.
    pub fn servant(&self) -> &str {
        &self.config.servant
    }

    /// Its open connections: (id, peer, connected at), oldest first.
    pub fn connections(&self) -> Vec<(u64, SocketAddr, SystemTime)> {
        self.connections.as_ref().map(|c| c.snapshot()).unwrap_or_default()
    }
}

/// The listening endpoints of an application, serving until stopped.
pub struct Listeners {
    bound: Vec<BoundAdapter>,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    in_flight: Arc<InFlight>,
    /// The listening sockets, for a graceful restart to hand over.
    #[cfg(unix)]
    inheritable: Vec<super::restart::Inheritable>,
}

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listeners").field("bound", &self.bound).finish()
    }
}

impl Listeners {
    /// Binds every endpoint of `plans` and starts serving.
    pub(crate) async fn bind(plans: Vec<EndpointPlan>, budget: &Arc<MemoryBudget>) -> Result<Listeners, ServerError> {
        let (shutdown, shutdown_rx) = watch::channel(false);
        let in_flight = Arc::new(InFlight::default());
        let mut tasks = JoinSet::new();
        let mut bound = Vec::new();
        #[cfg(unix)]
        let mut inheritable = Vec::new();
        for plan in plans {
            let first = &plan.adapters[0];
            let bind_err = |source| ServerError::Bind {
                servant: first.servant.clone(),
                endpoint: first.endpoint.to_string(),
                source,
            };
            let (local, connections) = match plan.endpoint.proto {
                Proto::Tcp | Proto::Ssl => {
                    // After a graceful restart, the socket the previous process listened on.
                    #[cfg(unix)]
                    let inherited = super::restart::take_tcp(&plan.endpoint.address());
                    #[cfg(not(unix))]
                    let inherited: Option<std::net::TcpListener> = None;
                    let listener = match inherited {
                        Some(l) => TcpListener::from_std(l).map_err(bind_err)?,
                        None => listen(&plan.endpoint, &plan.accept).await.map_err(bind_err)?,
                    };
                    #[cfg(unix)]
                    inheritable.push(
                        super::restart::Inheritable::of(
                            super::restart::key("tcp", &plan.endpoint.address()),
                            &listener,
                        )
                        .map_err(bind_err)?,
                    );
                    let local = listener.local_addr().map_err(bind_err)?;
                    let connections = Arc::new(Connections::new(plan.observer.clone(), plan.accept.max_conns));
                    let accepting = Accepting {
                        plan: plan.accept.clone(),
                        serve: plan.serve.clone(),
                        #[cfg(feature = "http")]
                        local,
                        connections: connections.clone(),
                        budget: budget.clone(),
                        in_flight: in_flight.clone(),
                    };
                    tasks.spawn(accepting.run(listener, shutdown_rx.clone()));
                    (local, Some(connections))
                }
                Proto::Udp => {
                    // The plan puts only framed protocols on UDP endpoints.
                    let Some(protocol) = plan.serve.protocol() else {
                        continue;
                    };
                    #[cfg(unix)]
                    let inherited = super::restart::take_udp(&plan.endpoint.address());
                    #[cfg(not(unix))]
                    let inherited: Option<std::net::UdpSocket> = None;
                    let socket = match inherited {
                        Some(s) => UdpSocket::from_std(s).map_err(bind_err)?,
                        None => UdpSocket::bind(plan.endpoint.address()).await.map_err(bind_err)?,
                    };
                    #[cfg(unix)]
                    inheritable.push(
                        super::restart::Inheritable::of(super::restart::key("udp", &plan.endpoint.address()), &socket)
                            .map_err(bind_err)?,
                    );
                    let local = socket.local_addr().map_err(bind_err)?;
                    tasks.spawn(super::udp::serve(
                        socket,
                        protocol.clone(),
                        plan.accept.max_in_flight,
                        shutdown_rx.clone(),
                        in_flight.clone(),
                    ));
                    (local, None)
                }
            };
            for adapter in plan.adapters {
                let mut endpoint = adapter.endpoint.clone();
                endpoint.port = local.port();
                tracing::info!(servant = %adapter.servant, endpoint = %endpoint, "adapter listening");
                bound.push(BoundAdapter {
                    config: adapter,
                    endpoint,
                    local_addr: local,
                    connections: connections.clone(),
                });
            }
        }
        Ok(Listeners {
            bound,
            shutdown,
            tasks,
            in_flight,
            #[cfg(unix)]
            inheritable,
        })
    }

    /// Starts the process that takes over (a graceful restart): this binary again, inheriting
    /// every listening socket; it tells this one when it serves (SIGUSR2).
    #[cfg(unix)]
    pub(crate) fn spawn_successor(&self) -> std::io::Result<std::process::Child> {
        super::restart::spawn(&self.inheritable)
    }

    /// Every adapter, TCP and UDP, with the endpoint it is bound to.
    pub fn adapters(&self) -> &[BoundAdapter] {
        &self.bound
    }

    /// Stops accepting, pushes `_reconnect_` to every connection, serves what clients still
    /// send before they move, and waits (up to `grace`) for requests in flight and for the
    /// connections to go quiet; what is left then is stopped.
    pub async fn stop(mut self, grace: Duration) {
        let _ = self.shutdown.send(true);
        let drained = async {
            self.in_flight.drained().await;
            // Connections end once quiet after their goodbye; their last replies go out.
            while self.tasks.join_next().await.is_some() {}
        };
        if tokio::time::timeout(grace, drained).await.is_err() {
            tracing::warn!(
                grace_ms = grace.as_millis() as u64,
                "in-flight requests or connections did not finish in time"
            );
        }
        self.tasks.abort_all();
    }
}

/// A TCP listener on `endpoint` with `backlog` pending connections (TarsCpp listens with
/// 10240, TarsGo with the kernel's `somaxconn`; the default of std and tokio is 128, which
/// drops handshakes in a burst), and the socket buffer sizes accepted connections inherit.
async fn listen(endpoint: &Endpoint, plan: &AcceptPlan) -> std::io::Result<TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host(endpoint.address()).await? {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        if let Some(size) = plan.recv_buffer {
            socket.set_recv_buffer_size(size)?;
        }
        if let Some(size) = plan.send_buffer {
            socket.set_send_buffer_size(size)?;
        }
        match socket.bind(addr).and_then(|_| socket.listen(plan.backlog)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no address for {}", endpoint.address()),
        )
    }))
}

/// An adapter's open connections (`maxconns`, `tars.connection`).
pub(crate) struct Connections {
    observer: Option<Arc<dyn ServeObserver>>,
    max: usize,
    next: AtomicU64,
    live: Mutex<BTreeMap<u64, (SocketAddr, SystemTime)>>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections")
            .field("open", &self.len())
            .field("max", &self.max)
            .finish()
    }
}

impl Connections {
    fn new(observer: Option<Arc<dyn ServeObserver>>, max: usize) -> Self {
        Connections {
            observer,
            max,
            next: AtomicU64::new(0),
            live: Mutex::default(),
        }
    }

    fn add(&self, peer: SocketAddr) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut live = lock(&self.live);
        live.insert(id, (peer, SystemTime::now()));
        if let Some(observer) = &self.observer {
            observer.connections(live.len(), self.max);
        }
        id
    }

    fn remove(&self, id: u64) {
        lock(&self.live).remove(&id);
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.live).len()
    }

    /// (id, peer, connected at), oldest first.
    pub(crate) fn snapshot(&self) -> Vec<(u64, SocketAddr, SystemTime)> {
        lock(&self.live).iter().map(|(id, (p, t))| (*id, *p, *t)).collect()
    }
}

/// One TCP endpoint's accept loop and what it needs.
struct Accepting {
    plan: AcceptPlan,
    serve: Serve,
    /// The address it listens on.
    #[cfg(feature = "http")]
    local: SocketAddr,
    connections: Arc<Connections>,
    budget: Arc<MemoryBudget>,
    in_flight: Arc<InFlight>,
}

impl Accepting {
    async fn run(self, listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let mut tasks = JoinSet::new();
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = shutdown.changed() => break,
            };
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if !this.plan.access.allows(peer.ip()) {
                tracing::warn!(%peer, "connection refused by allow/deny list");
                continue;
            }
            let max = this.plan.max_conns;
            if max > 0 && this.connections.len() >= max {
                tracing::warn!(%peer, max_conns = max, "connection refused: maxconns reached");
                continue;
            }
            let id = this.connections.add(peer);
            let (this, shutdown) = (this.clone(), shutdown.clone());
            tasks.spawn(async move {
                this.serve(stream, peer, shutdown).await;
                this.connections.remove(id);
            });
            while tasks.try_join_next().is_some() {}
        }
        // Connections send `_reconnect_` and drain on the same signal.
        while tasks.join_next().await.is_some() {}
    }

    async fn serve(&self, stream: tokio::net::TcpStream, peer: SocketAddr, shutdown: watch::Receiver<bool>) {
        if let Err(e) = stream.set_nodelay(self.plan.no_delay) {
            tracing::debug!(%peer, error = %e, "cannot set TCP_NODELAY");
        }
        match &self.plan.tls {
            None => match &self.serve {
                Serve::Frames(protocol) => {
                    // Owned halves: no lock between the reader and the writer.
                    let (rd, wr) = stream.into_split();
                    self.serve_frames(rd, wr, protocol, peer, shutdown).await;
                }
                #[cfg(feature = "http")]
                Serve::Http(http) => self.serve_http(stream, http, peer, shutdown).await,
            },
            Some(acceptor) => match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => match &self.serve {
                    Serve::Frames(protocol) => {
                        let (rd, wr) = tokio::io::split(tls);
                        self.serve_frames(rd, wr, protocol, peer, shutdown).await;
                    }
                    #[cfg(feature = "http")]
                    Serve::Http(http) => self.serve_http(tls, http, peer, shutdown).await,
                },
                Ok(Err(e)) => tracing::warn!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::warn!(%peer, "TLS handshake timed out"),
            },
        }
    }

    async fn serve_frames<R, W>(
        &self,
        rd: R,
        wr: W,
        protocol: &Arc<dyn ServerProtocol>,
        peer: SocketAddr,
        shutdown: watch::Receiver<bool>,
    ) where
        R: tokio::io::AsyncRead + Unpin + Send + 'static,
        W: tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let settings = ConnectionSettings {
            idle_timeout: self.plan.idle_timeout,
            frame_timeout: self.plan.frame_timeout,
            write_stall: self.plan.write_stall,
            max_in_flight: self.plan.max_in_flight,
            budget: Some(self.budget.clone()),
        };
        let (protocol, in_flight) = (protocol.clone(), self.in_flight.clone());
        connection::serve(rd, wr, peer, protocol, settings, shutdown, in_flight).await;
    }

    #[cfg(feature = "http")]
    async fn serve_http<S>(
        &self,
        stream: S,
        http: &super::plan::HttpServe,
        peer: SocketAddr,
        shutdown: watch::Receiver<bool>,
    ) where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        super::http::serve_connection(
            stream,
            peer,
            self.local,
            http.adapter.clone(),
            http.hyper.clone(),
            http.settings,
            shutdown,
            self.in_flight.clone(),
        )
        .await;
    }
}
