//! The [`Communicator`]: the client side of a process, cheap to clone. It owns the call path
//! its proxies share ([`super::path`]): the connection pool (one connection per endpoint),
//! the filters and the call observer; and what proxies are made with: the `<client>` settings,
//! the discovery source for objects named without endpoints, the default balancing policy,
//! and the caller's set.
//!
//! A communicator made with [`Communicator::new`] or [`Communicator::builder`] knows the
//! endpoints written in object strings and any [`Discover`] source it is given, nothing of
//! the TARS platform. The framework wing builds one on the same pieces that also resolves
//! names through tarsregistry and counts its calls for tarsstat
//! (`Communicator::from_config`, `Communicator::for_application`).

use std::sync::Arc;
use std::time::Duration;

use crate::balance::{Auto, Balance};
use crate::config::ClientConfig;
use crate::discovery::{Discover, DiscoveryError, StaticDiscovery, Target};
use crate::filter::{Chain, Filter};
use crate::trace::chain::ChainLog;
use crate::transport::endpoint::Endpoint;
use crate::transport::tls::TlsConfig;

use super::error::{CallError, CallErrorKind};
use super::observe::CallObserver;
use super::path::CallPath;
use super::pool::{Dialer, Pool};
use super::proxy::{Proxy, ServantProxy};
use super::request::{CallResult, ClientRequest};
use super::routing::Router;

/// The client side of a process.
#[derive(Clone)]
pub struct Communicator {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    path: Arc<CallPath>,
    discovery: Option<Arc<dyn Discover>>,
    balance: Arc<dyn Balance>,
    /// The caller's set, for set-mode lookups.
    set: Option<String>,
    /// What [`Communicator::to_builder`] starts from.
    parts: Parts,
}

/// The pieces of a communicator that a builder sets.
#[derive(Clone, Default)]
struct Parts {
    per_call: Chain<ClientRequest, CallResult>,
    per_attempt: Chain<ClientRequest, CallResult>,
    observer: Option<Arc<dyn CallObserver>>,
    chain: Option<Arc<ChainLog>>,
}

impl std::fmt::Debug for Communicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Communicator")
            .field("discovery", &self.inner.discovery.is_some())
            .field("set", &self.inner.set)
            .field("filters", &self.inner.parts.per_call.len())
            .field("attempt_filters", &self.inner.parts.per_attempt.len())
            .field("observed", &self.inner.parts.observer.is_some())
            .finish()
    }
}

/// Builds a [`Communicator`].
#[derive(Default)]
#[must_use]
pub struct CommunicatorBuilder {
    config: ClientConfig,
    /// The connections of the communicator this one is made from.
    pool: Option<Arc<Pool>>,
    parts: Parts,
    discovery: Option<Arc<dyn Discover>>,
    balance: Option<Arc<dyn Balance>>,
    set: Option<String>,
    /// The framework wing uses `locator`, `stat` and `property` itself.
    framework_keys_handled: bool,
}

impl CommunicatorBuilder {
    /// Settings from a config file's `<client>` section: timeouts, connections, TLS, and the
    /// per-object sections. `locator`, `stat` and `property` are the framework wing's: a
    /// communicator from `Communicator::from_config` uses them.
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
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.config.tls = tls;
        self
    }

    /// The connect timeout (`clientdialtimeout`).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.client_dial_timeout = timeout;
        self
    }

    /// Adds a per-call filter: it sees each call once, before its scope, deadline and
    /// routing (the first added is the outermost). See [`crate::filter`].
    pub fn filter(mut self, filter: impl Filter<ClientRequest, CallResult>) -> Self {
        self.parts.per_call = self.parts.per_call.with(filter);
        self
    }

    /// Adds a per-attempt filter: it sees each attempt of a call on an endpoint, with the
    /// endpoint chosen (`req.endpoint`), between routing and the connection.
    pub fn attempt_filter(mut self, filter: impl Filter<ClientRequest, CallResult>) -> Self {
        self.parts.per_attempt = self.parts.per_attempt.with(filter);
        self
    }

    /// Writes TarsWeb's call chain (`cs` and `cr` lines of calls in TARS traces) to `log`
    /// (the framework wing sets it when the config names tarslog).
    pub fn call_chain(mut self, log: Arc<ChainLog>) -> Self {
        self.parts.chain = Some(log);
        self
    }

    /// Tells `observer` about every call (after it ended).
    pub fn observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.parts.observer = Some(observer);
        self
    }

    /// The source of endpoints for objects named without them (`App.Server.Obj`).
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

    /// The framework wing builds on this communicator and acts on `locator`, `stat` and
    /// `property` itself: no warning that they are unused.
    pub(crate) fn framework_keys_handled(mut self) -> Self {
        self.framework_keys_handled = true;
        self
    }

    /// The communicator.
    pub fn build(self) -> Communicator {
        let named =
            |o: &Option<String>| o.as_deref().is_some_and(|o| !o.trim().is_empty()) && !self.framework_keys_handled;
        if named(&self.config.locator) && self.discovery.is_none() {
            tracing::warn!(
                "<client> locator= is not used by this communicator (built without discovery): \
                 objects must name their endpoints; Communicator::from_config resolves names through the registry"
            );
        }
        if (named(&self.config.stat) || named(&self.config.property)) && self.parts.observer.is_none() {
            tracing::warn!(
                "<client> stat=/property= are not used by this communicator (built without an observer): \
                 Communicator::from_config reports to tarsstat and tarsproperty"
            );
        }
        // Process-wide, as TarsGo's communicator sets them: how traces started here are
        // written, and what TarsWeb's call chain logs.
        if let Some(formats) = self.config.trace_formats {
            crate::trace::set_started_formats(formats);
        }
        if let Some(kb) = self.config.trace_param_max_len {
            crate::trace::chain::set_param_max_len(kb);
        }
        let pool = self
            .pool
            .unwrap_or_else(|| Arc::new(Pool::new(Dialer::new(&self.config))));
        let parts = self.parts;
        Communicator {
            inner: Arc::new(Inner {
                path: Arc::new(CallPath::new(
                    pool,
                    parts.per_call.clone(),
                    parts.per_attempt.clone(),
                    parts.observer.clone(),
                    parts.chain.clone(),
                )),
                parts,
                config: self.config,
                discovery: self.discovery,
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

    /// A builder that starts from this communicator: its settings, discovery, balancing,
    /// set, filters and observer, and **its connections**, which the new communicator
    /// shares (one set of connections per process, whatever each part of it adds).
    pub fn to_builder(&self) -> CommunicatorBuilder {
        let inner = &self.inner;
        CommunicatorBuilder {
            config: inner.config.clone(),
            pool: Some(inner.path.pool.clone()),
            parts: inner.parts.clone(),
            discovery: inner.discovery.clone(),
            balance: Some(inner.balance.clone()),
            set: inner.set.clone(),
            framework_keys_handled: true,
        }
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Whether `other` shares this communicator's connections.
    pub fn shares_connections_with(&self, other: &Communicator) -> bool {
        Arc::ptr_eq(&self.inner.path.pool, &other.inner.path.pool)
    }

    /// A typed proxy for `object`: `App.Server.Obj@tcp -h HOST -p PORT [-t MS][:...]`, or
    /// `App.Server.Obj` alone when the communicator has a discovery source (the registry).
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
        let object = self.inner.config.objects.get(&name);
        let timeout = object
            .and_then(|o| o.timeout)
            .unwrap_or(self.inner.config.async_invoke_timeout);
        let protocol = object.and_then(|o| o.protocol).unwrap_or_default();
        // Sets are a registry matter: an object with its endpoints written out is outside.
        let set = if direct { None } else { self.inner.set.clone() };
        let target = Target::new(name).in_set(set);
        let router = Router::new(target, discovery, self.inner.balance.clone());
        let max_in_flight = self.inner.config.obj_queue_max;
        Ok(ServantProxy::new(self.inner.path.clone(), router, timeout, max_in_flight).with_protocol(protocol))
    }

    /// Calls in flight on the connection to `endpoint` (for tests and metrics).
    pub fn in_flight(&self, endpoint: &Endpoint) -> usize {
        self.inner.path.pool.get(endpoint).map_or(0, |r| r.in_flight())
    }
}
