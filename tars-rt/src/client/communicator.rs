//! The [`Communicator`]: one per process, cheap to clone. It owns the connections (one per
//! endpoint, shared by every proxy), endpoint health, request ids, client filters and the
//! `<client>` settings, and makes proxies from object strings.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::balance::{Balance, EndpointHealth, RoundRobin};
use crate::config::ClientConfig;
use crate::discovery::{Discover, StaticDiscovery};
use crate::filter::ClientFilter;
use crate::transport::endpoint::Endpoint;

use super::connection::{Connection, ConnectionOptions};
use super::error::{CallError, CallErrorKind};
use super::proxy::{Proxy, ProxyInner, ServantProxy};

type Slot = Arc<tokio::sync::Mutex<Option<Arc<Connection>>>>;

/// The client side of a process.
#[derive(Clone)]
pub struct Communicator {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    next_id: AtomicI32,
    slots: Mutex<HashMap<Endpoint, Slot>>,
    health: Mutex<HashMap<Endpoint, Arc<EndpointHealth>>>,
    filters: Arc<[Arc<dyn ClientFilter>]>,
    discovery: Option<Arc<dyn Discover>>,
    /// Built on the first `ssl` connection from the `<client>` TLS keys.
    tls: std::sync::OnceLock<Result<Arc<tokio_rustls::rustls::ClientConfig>, String>>,
}

/// Builds a [`Communicator`].
#[derive(Default)]
pub struct CommunicatorBuilder {
    config: ClientConfig,
    filters: Vec<Arc<dyn ClientFilter>>,
    discovery: Option<Arc<dyn Discover>>,
}

impl CommunicatorBuilder {
    /// Settings from a config file's `<client>` section.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// The default call timeout (`async-invoke-timeout`).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.async_invoke_timeout = timeout;
        self
    }

    /// Connections close after this long without calls (`clientidletimeout`, 10 minutes by
    /// default; zero keeps them open).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.client_idle_timeout = timeout;
        self
    }

    /// A connection whose requests make no progress for this long (the server stopped
    /// reading) is closed and its calls fail (`clientwritetimeout`, 3 s by default; zero
    /// waits for ever).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.config.client_write_timeout = timeout;
        self
    }

    /// TLS for `ssl` endpoints: the CA that signed the servers' certificates, and this
    /// client's certificate and key when servers verify clients.
    pub fn tls(mut self, tls: crate::config::TlsConfig) -> Self {
        self.config.tls = tls;
        self
    }

    /// The connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.client_dial_timeout = timeout;
        self
    }

    /// Adds a client filter (the first added is the outermost).
    pub fn filter(mut self, filter: impl ClientFilter) -> Self {
        self.filters.push(Arc::new(filter));
        self
    }

    /// Where objects named without endpoints (`App.Server.Obj`) are looked up.
    pub fn discovery(mut self, discovery: Arc<dyn Discover>) -> Self {
        self.discovery = Some(discovery);
        self
    }

    /// The communicator.
    pub fn build(self) -> Communicator {
        Communicator {
            inner: Arc::new(Inner {
                config: self.config,
                next_id: AtomicI32::new(1),
                slots: Mutex::default(),
                health: Mutex::default(),
                filters: self.filters.into(),
                discovery: self.discovery,
                tls: std::sync::OnceLock::new(),
            }),
        }
    }
}

impl Default for Communicator {
    fn default() -> Self {
        Communicator::builder().build()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The entry for `endpoint`, created on first use; the key is cloned only then.
fn get_or_insert<V: Default + Clone>(map: &Mutex<HashMap<Endpoint, V>>, endpoint: &Endpoint) -> V {
    let mut map = lock(map);
    if let Some(v) = map.get(endpoint) {
        return v.clone();
    }
    map.entry(endpoint.clone()).or_default().clone()
}

impl Communicator {
    /// A communicator with default settings.
    pub fn new() -> Self {
        Communicator::default()
    }

    /// A builder.
    pub fn builder() -> CommunicatorBuilder {
        CommunicatorBuilder::default()
    }

    /// A communicator on a config file's `<client>` settings.
    pub fn from_config(config: &ClientConfig) -> Self {
        Communicator::builder().config(config.clone()).build()
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// A typed proxy for `object`: `App.Server.Obj@tcp -h HOST -p PORT [-t MS][:...]`, or
    /// `App.Server.Obj` alone when the communicator has a discovery source.
    pub fn string_to_proxy<P: Proxy>(&self, object: &str) -> Result<P, CallError> {
        self.servant_proxy(object).map(P::from_servant_proxy)
    }

    /// An untyped proxy for `object`.
    pub fn servant_proxy(&self, object: &str) -> Result<ServantProxy, CallError> {
        let object = object.trim();
        let bad = |name: &str, why: String| CallError::new(name, "", None, CallErrorKind::NoEndpoint(why));
        let (name, discovery): (&str, Arc<dyn Discover>) = match object.split_once('@') {
            Some((name, eps)) => {
                let endpoints = Endpoint::parse_list(eps).map_err(|e| bad(name.trim(), e.to_string()))?;
                (name.trim(), Arc::new(StaticDiscovery::new(endpoints)))
            }
            None => match &self.inner.discovery {
                Some(d) => (object, d.clone()),
                None => {
                    return Err(bad(
                        object,
                        format!(
                        "'{object}' names no endpoint (Obj@tcp -h HOST -p PORT) and the communicator has no registry"
                    ),
                    ))
                }
            },
        };
        if name.is_empty() {
            return Err(bad(name, format!("'{object}' has no object name before '@'")));
        }
        let timeout = self
            .inner
            .config
            .objects
            .get(name)
            .and_then(|o| o.get("timeout"))
            .and_then(|t| t.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(self.inner.config.async_invoke_timeout);
        let balance: Arc<dyn Balance> = Arc::new(RoundRobin::default());
        Ok(ServantProxy::new(
            ProxyInner {
                comm: self.clone(),
                name: name.to_string(),
                discovery,
                balance,
            },
            timeout,
        ))
    }

    pub(crate) fn filters(&self) -> Arc<[Arc<dyn ClientFilter>]> {
        self.inner.filters.clone()
    }

    /// Request ids: positive, never 0 (pushes use 0), wrapping.
    pub(crate) fn next_request_id(&self) -> i32 {
        loop {
            let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
            if id > 0 {
                return id;
            }
            let _ = self
                .inner
                .next_id
                .compare_exchange(id.wrapping_add(1), 1, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    pub(crate) fn health(&self, endpoint: &Endpoint) -> Arc<EndpointHealth> {
        get_or_insert(&self.inner.health, endpoint)
    }

    /// The live connection to `endpoint`, opening one (once, whoever asks) if needed.
    pub(crate) async fn connection(&self, endpoint: &Endpoint, deadline: Instant) -> std::io::Result<Arc<Connection>> {
        let slot = get_or_insert(&self.inner.slots, endpoint);
        let mut guard = slot.lock().await;
        if let Some(conn) = guard.as_ref().filter(|c| c.is_usable()) {
            return Ok(conn.clone());
        }
        let budget = deadline
            .saturating_duration_since(Instant::now())
            .min(self.inner.config.client_dial_timeout);
        let tls = match endpoint.transport {
            crate::transport::endpoint::Transport::Ssl => {
                let config = self.inner.tls.get_or_init(|| {
                    crate::transport::tls::client_config(&self.inner.config.tls).map_err(|e| e.to_string())
                });
                Some(
                    config
                        .clone()
                        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
                )
            }
            _ => None,
        };
        let options = ConnectionOptions {
            idle_timeout: self.inner.config.client_idle_timeout,
            write_stall: self.inner.config.client_write_timeout,
        };
        let conn = Connection::open(endpoint, budget, options, tls).await?;
        *guard = Some(conn.clone());
        Ok(conn)
    }

    /// Calls in flight on the connection to `endpoint` (for tests and metrics).
    pub fn in_flight(&self, endpoint: &Endpoint) -> usize {
        let slot = lock(&self.inner.slots).get(endpoint).cloned();
        slot.and_then(|s| s.try_lock().ok().and_then(|g| g.as_ref().map(|c| c.in_flight())))
            .unwrap_or(0)
    }
}
