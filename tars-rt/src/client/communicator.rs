//! The [`Communicator`]: one per process, cheap to clone. It owns the connection pool (one
//! connection per endpoint, shared by every proxy), the discovery source (the registry when
//! a `locator` is set), the default balancing policy, request ids, client filters and the
//! `<client>` settings, and makes proxies from object strings.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::balance::{Auto, Balance};
use crate::config::{ClientConfig, Config};
use crate::discovery::{Discover, DiscoveryError, Registry, StaticDiscovery, Target};
use crate::filter::ClientFilter;
use crate::report::{Identity, Policy, Property, Reporter};
use crate::transport::endpoint::Endpoint;

use super::error::{CallError, CallErrorKind};
use super::pool::{Dialer, Pool, Remote};
use super::proxy::{Proxy, ServantProxy};
use super::routing::Router;

/// The client side of a process.
#[derive(Clone)]
pub struct Communicator {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    next_id: AtomicI32,
    pool: Pool,
    dialer: Dialer,
    filters: Arc<[Arc<dyn ClientFilter>]>,
    discovery: Option<Arc<dyn Discover>>,
    balance: Arc<dyn Balance>,
    /// The caller's set, for set-mode lookups.
    set: Option<String>,
    /// Stat and property reporting, when `stat` or `property` is set.
    reporter: Option<Arc<Reporter>>,
}

/// Builds a [`Communicator`].
#[derive(Default)]
pub struct CommunicatorBuilder {
    config: ClientConfig,
    filters: Vec<Arc<dyn ClientFilter>>,
    discovery: Option<Arc<dyn Discover>>,
    balance: Option<Arc<dyn Balance>>,
    set: Option<String>,
    cache_file: Option<PathBuf>,
    identity: Option<Identity>,
    report_intervals: Option<(Duration, Duration)>,
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
    pub fn tls(mut self, tls: crate::transport::tls::TlsConfig) -> Self {
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

    /// The registry (`locator`): `tars.tarsregistry.QueryObj@tcp -h HOST -p PORT[:…]`.
    /// Objects named without endpoints (`App.Server.Obj`) are looked up there.
    pub fn locator(mut self, locator: impl Into<String>) -> Self {
        self.config.locator = Some(locator.into());
        self
    }

    /// How often the registry is asked again (`refresh-endpoint-interval`, 60 s).
    pub fn refresh_interval(mut self, every: Duration) -> Self {
        self.config.refresh_endpoint_interval = every;
        self
    }

    /// Where endpoints from the registry are saved, to be used at the next start if the
    /// registry cannot be reached then.
    pub fn cache_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.cache_file = Some(path.into());
        self
    }

    /// Another source for objects named without endpoints, instead of the registry.
    pub fn discovery(mut self, discovery: Arc<dyn Discover>) -> Self {
        self.discovery = Some(discovery);
        self
    }

    /// The balancing policy of proxies that do not choose their own ([`Auto`] by default).
    pub fn balance(mut self, balance: Arc<dyn Balance>) -> Self {
        self.balance = Some(balance);
        self
    }

    /// Runs the caller in `set` (`name.area.group`, TarsGo's `enableset`/`setdivision`):
    /// objects are looked up within it and calls carry its name.
    pub fn set_division(mut self, set: Option<String>) -> Self {
        self.set = set;
        self
    }

    /// How this process names itself to tarsstat and tarsproperty (by default, from the
    /// `<client>` settings: `modulename`, else `tup_client`).
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// How often stat and properties are reported (by default `report-interval`).
    pub fn report_intervals(mut self, stat: Duration, property: Duration) -> Self {
        self.report_intervals = Some((stat, property));
        self
    }

    /// The communicator.
    pub fn build(self) -> Communicator {
        let dialer = Dialer::new(&self.config);
        let discovery = self.discovery.or_else(|| {
            let locator = self.config.locator.clone()?;
            // The registry is asked through a communicator of its own (same settings, no
            // locator), which keeps the two free of reference cycles.
            let mut config = self.config.clone();
            config.locator = None;
            let registry_comm = Communicator::builder().config(config).build();
            match registry_comm.servant_proxy(&locator) {
                Ok(proxy) => {
                    let mut registry = Registry::builder(proxy).refresh_interval(self.config.refresh_endpoint_interval);
                    if let Some(file) = &self.cache_file {
                        registry = registry.cache_file(file);
                    }
                    Some(Arc::new(registry.build()) as Arc<dyn Discover>)
                }
                Err(e) => {
                    tracing::error!(%locator, error = %e, "unusable locator; objects must name their endpoints");
                    None
                }
            }
        });
        let reports = |o: &Option<String>| o.as_deref().is_some_and(|o| !o.trim().is_empty());
        let reporter = (reports(&self.config.stat) || reports(&self.config.property)).then(|| {
            // Framework calls go through a communicator of their own, which reports nothing.
            let mut config = self.config.clone();
            config.stat = None;
            config.property = None;
            let internal = Communicator::builder().config(config).build();
            let identity = self
                .identity
                .unwrap_or_else(|| Identity::from_client_config(&self.config));
            let every = self.config.report_interval;
            Arc::new(Reporter::new(
                identity,
                &self.config,
                self.report_intervals.unwrap_or((every, every)),
                internal,
            ))
        });
        Communicator {
            inner: Arc::new(Inner {
                reporter,
                config: self.config,
                next_id: AtomicI32::new(1),
                pool: Pool::default(),
                dialer,
                filters: self.filters.into(),
                discovery,
                balance: self.balance.unwrap_or_else(|| Arc::new(Auto)),
                set: self.set,
            }),
        }
    }
}

impl Default for Communicator {
    fn default() -> Self {
        Communicator::builder().build()
    }
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

    /// A communicator for a whole application's config, as tarsnode writes it: the
    /// `<client>` settings, the set (`enableset`/`setdivision`), and the registry's cache
    /// file under the server's `datapath`.
    pub fn for_application(config: &Config) -> Self {
        let mut builder = Communicator::builder().config(config.client.clone());
        if config.enable_set {
            builder = builder.set_division(config.set_division.clone());
        }
        if let Some(server) = config.server.as_ref().filter(|s| !s.data_path.is_empty()) {
            let file = PathBuf::from(&server.data_path).join(format!("{}.{}.tarsdat", server.app, server.server));
            builder = builder.cache_file(file);
        }
        if let Some(server) = &config.server {
            builder = builder.report_intervals(server.stat_report_interval, server.property_report_interval);
        }
        builder.identity(Identity::from_config(config)).build()
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// A typed proxy for `object`: `App.Server.Obj@tcp -h HOST -p PORT [-t MS][:...]`, or
    /// `App.Server.Obj` alone when the communicator has a locator (or another discovery
    /// source).
    pub fn string_to_proxy<P: Proxy>(&self, object: &str) -> Result<P, CallError> {
        self.servant_proxy(object).map(P::from_servant_proxy)
    }

    /// An untyped proxy for `object`.
    pub fn servant_proxy(&self, object: &str) -> Result<ServantProxy, CallError> {
        let object = object.trim();
        let bad = |e: DiscoveryError| CallError::new(object, "", None, CallErrorKind::Discovery(e));
        let direct = object.contains('@');
        let (name, discovery): (String, Arc<dyn Discover>) = if direct {
            let (name, list) = StaticDiscovery::parse(object).map_err(bad)?;
            (name, Arc::new(list))
        } else {
            let discovery = self.inner.discovery.clone().ok_or_else(|| {
                bad(DiscoveryError::NoLocator {
                    object: object.to_string(),
                })
            })?;
            (object.to_string(), discovery)
        };
        let timeout = self
            .inner
            .config
            .objects
            .get(&name)
            .and_then(|o| o.get("timeout"))
            .and_then(|t| t.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(self.inner.config.async_invoke_timeout);
        // Sets are a registry matter: an object with its endpoints written out is outside.
        let set = if direct { None } else { self.inner.set.clone() };
        let target = Target::new(name).in_set(set);
        let router = Router::new(target, discovery, self.inner.balance.clone());
        Ok(ServantProxy::new(self.clone(), router, timeout))
    }

    /// Stat and property reporting, when the settings name `stat` or `property`.
    pub fn reporter(&self) -> Option<&Arc<Reporter>> {
        self.inner.reporter.as_ref()
    }

    /// The property `name`, reported to tarsproperty every `propertyreportinterval` with
    /// `policies` (TarsGo's `CreatePropertyReport`). Asking again for a name returns the
    /// same property. Without a `property` object in the settings, values go nowhere.
    pub fn property(&self, name: &str, policies: &[Policy]) -> Property {
        match &self.inner.reporter {
            Some(r) => r.property(name, policies),
            None => Property::detached(name, policies),
        }
    }

    pub(crate) fn filters(&self) -> Arc<[Arc<dyn ClientFilter>]> {
        self.inner.filters.clone()
    }

    pub(crate) fn remote(&self, endpoint: &Endpoint) -> Arc<Remote> {
        self.inner.pool.remote(endpoint, &self.inner.dialer)
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

    /// Calls in flight on the connection to `endpoint` (for tests and metrics).
    pub fn in_flight(&self, endpoint: &Endpoint) -> usize {
        self.inner.pool.get(endpoint).map_or(0, |r| r.in_flight())
    }
}
