//! The process's client of the framework services, and the communicator built on it: names
//! resolved through tarsregistry (`locator`), calls counted for tarsstat (`stat`), properties
//! reported to tarsproperty (`property`), all over one set of connections.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::client::{Communicator, Proxy};
use crate::config::{ClientConfig, Config};
use crate::trace::chain::ChainLog;

use super::idl::LogProxy;
use super::log::LogSettings;

use super::property::{Policy, Property};
use super::registry::Registry;
use super::reporter::{CallStats, Identity, Reporter};

/// The framework services as a process's client sees them, and its communicator.
///
/// ```no_run
/// # use tars_rt as tars;
/// # fn demo(config: &tars::config::ClientConfig) {
/// let framework = tars::framework::FrameworkClient::from_config(config);
/// let comm = framework.communicator(); // resolves names with the locator, counts calls
/// let hits = framework.property("cache.hits", &[tars::framework::property::Policy::Sum]);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct FrameworkClient {
    /// The process's communicator: the registry's names, calls counted.
    communicator: Communicator,
    /// The same connections and names, observing nothing: for the wing's own calls.
    framework: Communicator,
    reporter: Option<Arc<Reporter>>,
    /// TarsWeb's call chain to tarslog, when a server's config names it.
    chain: Option<Arc<ChainLog>>,
}

impl FrameworkClient {
    /// For a client-only process: the `<client>` settings (`locator`, `stat`, `property`,
    /// `modulename`, `report-interval`, and the core's keys).
    pub fn from_config(config: &ClientConfig) -> Self {
        for key in config.unsupported_keys() {
            tracing::warn!("config {key}");
        }
        Self::builder(config.clone()).build()
    }

    /// A builder on the `<client>` settings `config`, for what a config file does not say.
    pub fn builder(config: ClientConfig) -> FrameworkClientBuilder {
        FrameworkClientBuilder {
            config,
            set: None,
            identity: None,
            intervals: None,
            cache_file: None,
            node_name: None,
        }
    }

    /// For a server's config as tarsnode writes it: the `<client>` settings, the set
    /// (`enableset`/`setdivision`), the registry's cache file under `datapath`, the server's
    /// identity and its report intervals.
    pub fn for_application(config: &Config) -> Self {
        let mut builder = Self::builder(config.client.clone())
            .set_division(config.set().map(ToString::to_string))
            .identity(Identity::from_config(config));
        if let Some(name) = config.server.as_ref().and_then(|s| s.node_name.clone()) {
            builder = builder.node_name(name);
        }
        if let Some(s) = &config.server {
            builder = builder.report_intervals(s.stat_report_interval, s.property_report_interval);
            if !s.data_path.is_empty() {
                builder =
                    builder.cache_file(PathBuf::from(&s.data_path).join(format!("{}.{}.tarsdat", s.app, s.server)));
            }
        }
        let mut client = builder.build();
        // TarsWeb's call chain goes to tarslog (`_t_trace_`), named after this module.
        let tarslog = config.server.as_ref().and_then(|s| Some((s, s.log.as_deref()?.trim())));
        if let Some((server, obj)) = tarslog.filter(|(_, obj)| !obj.is_empty()) {
            match client.framework.servant_proxy(obj) {
                Ok(proxy) => {
                    let mut settings = LogSettings::from_server_config(server);
                    settings.set = config.set().map(ToString::to_string).unwrap_or_default();
                    let sink = super::log::call_chain_sink(&settings, LogProxy::from_servant_proxy(proxy));
                    let chain = Arc::new(ChainLog::new(Identity::from_config(config).module_name, sink));
                    client.communicator = client.communicator.to_builder().call_chain(chain.clone()).build();
                    client.chain = Some(chain);
                }
                Err(e) => tracing::warn!(log = %obj, error = %e, "<server> log= is not a usable object; no call chain"),
            }
        }
        client
    }

    /// TarsWeb's call chain to tarslog, when the config names tarslog (`<server> log=`).
    pub fn call_chain(&self) -> Option<&Arc<ChainLog>> {
        self.chain.as_ref()
    }

    fn build(b: FrameworkClientBuilder) -> Self {
        let config = &b.config;
        let identity = b.identity.unwrap_or_else(|| Identity::from_client_config(config));
        let every = config.report_interval;
        let intervals = b.intervals.unwrap_or((every, every));
        let (set, cache_file) = (b.set, b.cache_file);
        let node_name = b.node_name.unwrap_or_else(|| identity.local_ip.clone());
        let named = |o: &Option<String>| o.as_deref().map(str::trim).filter(|o| !o.is_empty()).map(String::from);
        let base = Communicator::builder()
            .config(config.clone())
            .framework_keys_handled()
            .set_division(set)
            .build();
        // The wing's own calls carry `node_name`; the process's calls are left as they are.
        let tagged = |c: &Communicator| c.to_builder().filter(NodeName(node_name.clone())).build();
        let communicator = match named(&config.locator) {
            None => base,
            // The registry is asked through the locator's endpoints, on the same connections.
            Some(locator) => match tagged(&base).servant_proxy(&locator) {
                Ok(query) => {
                    let mut registry = Registry::builder(query).refresh_interval(config.refresh_endpoint_interval);
                    if let Some(file) = cache_file {
                        registry = registry.cache_file(file);
                    }
                    base.to_builder().discovery(Arc::new(registry.build())).build()
                }
                Err(e) => {
                    tracing::error!(%locator, error = %e, "unusable locator; objects must name their endpoints");
                    base
                }
            },
        };
        let framework = tagged(&communicator);
        let reporter = (named(&config.stat).is_some() || named(&config.property).is_some())
            .then(|| Arc::new(Reporter::new(identity, config, intervals, &framework)));
        let communicator = match &reporter {
            Some(r) => communicator
                .to_builder()
                .observer(Arc::new(CallStats(r.clone())))
                .build(),
            None => communicator,
        };
        FrameworkClient {
            communicator,
            framework,
            reporter,
            chain: None,
        }
    }

    /// The process's communicator, for the calls the service makes.
    pub fn communicator(&self) -> &Communicator {
        &self.communicator
    }

    /// Stat and property reporting, when the settings name `stat` or `property`.
    pub fn reporter(&self) -> Option<&Arc<Reporter>> {
        self.reporter.as_ref()
    }

    /// The property `name`, reported to tarsproperty every `propertyreportinterval` with
    /// `policies` (TarsGo's `CreatePropertyReport`). Asking again for a name returns the
    /// same property. Without a `property` object in the settings, values go nowhere.
    pub fn property(&self, name: &str, policies: &[Policy]) -> Property {
        match &self.reporter {
            Some(r) => r.property(name, policies),
            None => Property::detached(name, policies),
        }
    }

    /// A proxy for framework object `obj` (tarsnotify, tarsconfig, …) on the communicator
    /// the wing's own calls go through; `None` (and a log line) when it cannot be made.
    pub(crate) fn proxy<P: Proxy>(&self, obj: &str) -> Option<P> {
        let obj = obj.trim();
        if obj.is_empty() {
            return None;
        }
        match self.framework.string_to_proxy(obj) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!(object = obj, error = %e, "unusable framework object");
                None
            }
        }
    }

    /// Sends the stat and properties collected so far, within `limit` (at shutdown).
    pub async fn flush(&self, limit: Duration) {
        if let Some(r) = &self.reporter {
            let _ = tokio::time::timeout(limit, r.flush()).await;
        }
    }
}

/// Builds a [`FrameworkClient`].
#[derive(Debug)]
#[must_use]
pub struct FrameworkClientBuilder {
    config: ClientConfig,
    set: Option<String>,
    identity: Option<Identity>,
    intervals: Option<(Duration, Duration)>,
    cache_file: Option<PathBuf>,
    node_name: Option<String>,
}

impl FrameworkClientBuilder {
    /// The name of the node (host) this process runs on, sent as the `node_name` context
    /// entry of its calls, as TarsGo sends it (by default the identity's IP).
    pub fn node_name(mut self, name: impl Into<String>) -> Self {
        self.node_name = Some(name.into());
        self
    }

    /// Runs the caller in `set` (`name.area.group`): objects are looked up within it and
    /// calls carry its name.
    pub fn set_division(mut self, set: Option<String>) -> Self {
        self.set = set;
        self
    }

    /// How this process names itself to tarsstat and tarsproperty (by default from the
    /// settings: `modulename`, else `tup_client`).
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// How often stat and properties are sent (by default `report-interval`).
    pub fn report_intervals(mut self, stat: Duration, property: Duration) -> Self {
        self.intervals = Some((stat, property));
        self
    }

    /// Where endpoints from the registry are saved, to be used at the next start if the
    /// registry cannot be reached then.
    pub fn cache_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.cache_file = Some(path.into());
        self
    }

    /// The framework client.
    pub fn build(self) -> FrameworkClient {
        FrameworkClient::build(self)
    }
}

/// Puts the `node_name` context entry into the framework calls (keepAlive, reportVersion,
/// the registry's look-ups, stat, property, notify, config, log), as TarsGo 1.4.5 does; a
/// call that already carries one keeps it.
struct NodeName(String);

impl crate::filter::Filter<crate::client::ClientRequest, crate::client::CallResult> for NodeName {
    async fn call(
        &self,
        mut req: crate::client::ClientRequest,
        next: crate::filter::Next<'_, crate::client::ClientRequest, crate::client::CallResult>,
    ) -> crate::client::CallResult {
        req.packet
            .context
            .entry(NODE_NAME.to_string())
            .or_insert_with(|| self.0.clone());
        next.run(req).await
    }
}

/// The context key of [`FrameworkClientBuilder::node_name`].
pub const NODE_NAME: &str = "node_name";

/// The communicators the framework wing builds.
impl Communicator {
    /// A communicator on a config file's `<client>` settings, `locator`, `stat` and
    /// `property` included (see [`FrameworkClient::from_config`]).
    pub fn from_config(config: &ClientConfig) -> Communicator {
        FrameworkClient::from_config(config).communicator
    }

    /// A communicator for a whole application's config (see
    /// [`FrameworkClient::for_application`]).
    pub fn for_application(config: &Config) -> Communicator {
        FrameworkClient::for_application(config).communicator
    }
}
