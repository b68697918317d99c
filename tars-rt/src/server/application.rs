//! Bootstrap: config → adapters → listeners; the running [`Server`] handle; shutdown.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinSet;

use std::collections::BTreeMap;

use crate::config::{AdapterConfig, Config, ConfigError, EMBEDDED_DEFAULT};
use crate::filter::ServerFilter;
use crate::log::{LogSettings, Logger};
use crate::report::config::{ConfigLevel, LoadedConfig};
use crate::report::notify::Notifier;
use crate::transport::budget::MemoryBudget;
use crate::transport::endpoint::{Endpoint, EndpointError, Transport};
use crate::transport::tls;

use super::admin::{AdapterView, AdminCommand, AdminServant, ADMIN_ADAPTER, ADMIN_OBJ};
use super::admission::Admission;
use super::connection::{self, ConnectionSettings};
use super::dispatch::{AdapterProperties, Served, ServerProtocol, TarsProtocol};
use super::platform::Platform;
use super::servant::Servant;
use super::{udp, InFlight};

/// Why a server cannot start.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The config file is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The config has no `<server>` section.
    #[error("the config file has no <tars><application><server> section")]
    NoServerSection,
    /// A command-line argument is wrong.
    #[error("{0}")]
    Usage(String),
    /// An endpoint string is wrong.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// A servant was added but no adapter serves it.
    #[error("no adapter serves {servant}: add a <...Adapter> with servant={servant} to the config, or call Application::endpoint")]
    NoAdapter {
        /// The servant name.
        servant: String,
    },
    /// An adapter names a servant the application does not provide.
    #[error("adapter {adapter} serves {servant}, which the application does not provide")]
    UnknownServant {
        /// The adapter section.
        adapter: String,
        /// The servant name.
        servant: String,
    },
    /// An adapter's protocol is neither `tars` nor one the application registered.
    #[error("adapter {adapter} uses protocol '{protocol}', which is not tars and was not registered with Application::protocol")]
    UnknownProtocol {
        /// The adapter section.
        adapter: String,
        /// The protocol name.
        protocol: String,
    },
    /// Adapters name the same endpoint, and not all of them speak TARS (only TARS adapters
    /// can share one, their servants told apart by name).
    #[error("adapters {adapters:?} name the same endpoint {endpoint}, and only TARS adapters can share one")]
    SharedEndpoint {
        /// The endpoint.
        endpoint: String,
        /// The adapter sections.
        adapters: Vec<String>,
    },
    /// An `ssl` adapter's TLS settings are unusable.
    #[error("adapter {adapter}: {source}")]
    Tls {
        /// The adapter section.
        adapter: String,
        /// What is wrong.
        source: crate::transport::tls::TlsError,
    },
    /// A listener could not be bound.
    #[error("cannot listen on {endpoint} for {servant}: {source}")]
    Bind {
        /// The servant.
        servant: String,
        /// The endpoint.
        endpoint: String,
        /// The OS error.
        source: std::io::Error,
    },
}

crate::debug_as_display!(ServerError);

/// A TARS server application: its config, servants and filters.
///
/// ```no_run
/// # use tars_rt as tars;
/// # async fn demo(servant: impl tars::server::Servant) -> Result<(), tars::server::ServerError> {
/// tars::server::Application::from_args()?
///     .servant("TestApp.HelloServer.HelloObj", servant)
///     .run()
///     .await
/// # }
/// ```
pub struct Application {
    config: Config,
    servants: Vec<(String, Arc<dyn Servant>)>,
    protocols: HashMap<String, Arc<dyn ServerProtocol>>,
    filters: Vec<Arc<dyn ServerFilter>>,
    communicator: std::sync::OnceLock<crate::client::Communicator>,
    platform: std::sync::OnceLock<Platform>,
    admin_commands: BTreeMap<String, AdminCommand>,
    remote_configs: Vec<(String, ConfigLevel)>,
    loggers: Vec<Logger>,
    remote_log: bool,
}

impl Application {
    /// An application on `config`.
    pub fn new(config: Config) -> Self {
        Application {
            config,
            servants: Vec::new(),
            protocols: HashMap::new(),
            filters: Vec::new(),
            communicator: std::sync::OnceLock::new(),
            platform: std::sync::OnceLock::new(),
            admin_commands: BTreeMap::new(),
            remote_configs: Vec::new(),
            loggers: Vec::new(),
            remote_log: false,
        }
    }

    /// The server's view of the TARS platform (notify, properties, stat, remote config,
    /// log level, settings), for servants to keep. It sees the config as it is at the first
    /// call.
    pub fn platform(&self) -> Platform {
        self.platform
            .get_or_init(|| Platform::new(Arc::new(self.config.clone()), self.communicator()))
            .clone()
    }

    /// Registers an admin command (`tars.mycommand` or any name) that operators run from
    /// the web console; it gets the text after the name. A name of the built-in commands
    /// replaces the built-in one.
    pub fn admin_command(
        mut self,
        name: &str,
        handler: impl Fn(&str) -> Result<String, String> + Send + Sync + 'static,
    ) -> Self {
        self.admin_commands.insert(name.to_string(), Arc::new(handler));
        self
    }

    /// Pulls config file `file` from tarsconfig (`config=`, server level) into `basepath`
    /// when the server starts (TarsGo's `AddConfig`); `tars.loadconfig` pulls it again.
    /// A file that cannot be pulled leaves the local copy and is logged.
    pub fn remote_config(self, file: &str) -> Self {
        self.remote_config_at(file, ConfigLevel::Server)
    }

    /// Pulls `file` at `level` (app, server or host) when the server starts.
    pub fn remote_config_at(mut self, file: &str, level: ConfigLevel) -> Self {
        self.remote_configs.push((file.to_string(), level));
        self
    }

    /// Calls `listener` with every config file pulled from tarsconfig (at start, by
    /// `tars.loadconfig`, or by [`Platform::load_config`]).
    pub fn on_config(self, listener: impl Fn(&LoadedConfig) + Send + Sync + 'static) -> Self {
        self.platform().add_listener(Arc::new(listener));
        self
    }

    /// A named logger: the `tracing` events with target `logger.name` go to its own file
    /// (and to tarslog if it is remote) instead of the main log.
    pub fn logger(mut self, logger: Logger) -> Self {
        self.loggers.push(logger);
        self
    }

    /// Sends the main log to tarslog (`log=`) too.
    pub fn remote_log(mut self) -> Self {
        self.remote_log = true;
        self
    }

    /// The application's client side, for servants that call other services: the config's
    /// `<client>` settings (its `locator` included), its set, and the registry cache under
    /// `datapath` ([`Communicator::for_application`](crate::client::Communicator::for_application)).
    /// One per application; clones share connections.
    pub fn communicator(&self) -> crate::client::Communicator {
        self.communicator
            .get_or_init(|| crate::client::Communicator::for_application(&self.config))
            .clone()
    }

    /// Reads `--config=FILE` (or `--config FILE`) from the command line, as tarsnode starts
    /// services; without it, runs on the embedded default config. Any other argument is an
    /// error naming it (a typo such as `--conf=` must not start the server on the default).
    pub fn from_args() -> Result<Self, ServerError> {
        Self::from_args_or(EMBEDDED_DEFAULT)
    }

    /// Like [`Application::from_args`], with `default_config` (TARS config text) used when no
    /// `--config` is given.
    pub fn from_args_or(default_config: &str) -> Result<Self, ServerError> {
        Self::from_arg_list(std::env::args().skip(1), default_config)
    }

    /// Like [`Application::from_args_or`] with explicit arguments (without the program name).
    pub fn from_arg_list(args: impl IntoIterator<Item = String>, default_config: &str) -> Result<Self, ServerError> {
        let mut args = args.into_iter();
        let mut path = None;
        // `--config=FILE` as tarsnode writes it; `-config` too, as Go's flag package reads it.
        while let Some(arg) = args.next() {
            let flag = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'));
            match flag.map(|f| f.split_once('=').unwrap_or((f, ""))) {
                Some(("config", "")) if !arg.contains('=') => {
                    let file = args
                        .next()
                        .ok_or_else(|| ServerError::Usage("--config needs a file name".into()))?;
                    path = Some(file);
                }
                Some(("config", file)) if !file.is_empty() => path = Some(file.to_string()),
                _ => {
                    return Err(ServerError::Usage(format!(
                        "unknown argument '{arg}': the server takes --config=FILE (a TARS config file)"
                    )))
                }
            }
        }
        let config = match path {
            Some(p) => Config::from_file(p)?,
            None => default_config.parse()?,
        };
        Ok(Application::new(config))
    }

    /// The config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Serves `servant` as the object `name`: a full name (`TestApp.HelloServer.HelloObj`)
    /// or a short one (`HelloObj`, prefixed with the config's `app.server.`).
    pub fn servant(mut self, name: &str, servant: impl Servant) -> Self {
        let name = self.full_name(name);
        self.servants.push((name, Arc::new(servant)));
        self
    }

    /// Binds the object `name` to `endpoint` (`tcp -h 127.0.0.1 -p 0` picks a free port),
    /// adding an adapter with default settings or replacing the endpoint of the config's.
    pub fn endpoint(mut self, name: &str, endpoint: &str) -> Result<Self, ServerError> {
        let name = self.full_name(name);
        let endpoint: Endpoint = endpoint.parse()?;
        let server = self.config.server.as_mut().ok_or(ServerError::NoServerSection)?;
        match server.adapters.iter_mut().find(|a| a.servant == name) {
            Some(a) => a.endpoint = endpoint,
            None => server
                .adapters
                .push(AdapterConfig::new(format!("{name}Adapter"), endpoint, name)),
        }
        Ok(self)
    }

    /// Adds a server filter; filters run in the order added (the first is outermost).
    pub fn filter(mut self, filter: impl ServerFilter) -> Self {
        self.filters.push(Arc::new(filter));
        self
    }

    /// Registers a non-TARS protocol: adapters with `protocol=NAME` speak it.
    pub fn protocol(mut self, name: &str, protocol: Arc<dyn ServerProtocol>) -> Self {
        self.protocols.insert(name.to_string(), protocol);
        self
    }

    fn full_name(&self, name: &str) -> String {
        match (&self.config.server, name.contains('.')) {
            (Some(s), false) => format!("{}.{}.{}", s.app, s.server, name),
            _ => name.to_string(),
        }
    }

    /// Binds every adapter and starts serving; returns at once with a handle.
    pub async fn start(mut self) -> Result<Server, ServerError> {
        let mut server_cfg = self.config.server.clone().ok_or(ServerError::NoServerSection)?;
        let platform = self.platform();
        platform.register_running();
        self.install_logs(&platform, &server_cfg);
        let notifier = Notifier::new(
            server_cfg.notify.as_deref().and_then(|o| platform.framework_proxy(o)),
            &server_cfg.app,
            &server_cfg.server,
            &platform.set_name(),
            &platform.local_ip(),
        );
        platform.set_notifier(notifier.clone());
        for (file, level) in std::mem::take(&mut self.remote_configs) {
            if let Err(e) = platform.load_config_at(&file, level).await {
                tracing::error!(file = %file, error = %e, "remote config not loaded; the local copy (if any) stays");
            }
        }
        // The admin object on `local=`, as TarsGo and TarsCpp serve it.
        let admin_adapters = Arc::new(std::sync::OnceLock::new());
        if let Some(local) = server_cfg.local.clone() {
            server_cfg
                .adapters
                .push(AdapterConfig::new(ADMIN_ADAPTER.into(), local, ADMIN_OBJ.into()));
            let admin = AdminServant {
                platform: platform.clone(),
                commands: Arc::new(std::mem::take(&mut self.admin_commands)),
                adapters: admin_adapters.clone(),
            };
            self.servants.push((ADMIN_OBJ.to_string(), Arc::new(admin)));
        }
        let mut views: Vec<AdapterView> = Vec::new();
        let mut heartbeat_adapters = Vec::new();
        for (name, _) in &self.servants {
            if !server_cfg.adapters.iter().any(|a| &a.servant == name) {
                return Err(ServerError::NoAdapter { servant: name.clone() });
            }
        }
        let reporter = self.communicator().reporter().cloned();
        let filters: Arc<[Arc<dyn ServerFilter>]> = self.filters.into();
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let in_flight = Arc::new(InFlight::default());
        let budget = MemoryBudget::new(
            usize::try_from(server_cfg.max_request_memory).unwrap_or(usize::MAX),
            server_cfg.malloc_trim,
        );
        let nonzero = |d: Duration| (!d.is_zero()).then_some(d);
        let mut tasks = JoinSet::new();
        let mut bound = Vec::new();
        // Adapters that name the same endpoint share one listener, their servants told apart
        // by name; the first of them gives the connection settings.
        let mut groups: Vec<Vec<&AdapterConfig>> = Vec::new();
        for adapter in &server_cfg.adapters {
            let same = |a: &&AdapterConfig| {
                let (x, y) = (&a.endpoint, &adapter.endpoint);
                (x.transport, &x.host, x.port) == (y.transport, &y.host, y.port)
            };
            match groups.iter_mut().find(|g| g.first().is_some_and(same)) {
                Some(group) => group.push(adapter),
                None => groups.push(vec![adapter]),
            }
        }
        for group in groups {
            let adapter = group[0];
            let protocol: Arc<dyn ServerProtocol> = if group.iter().all(|a| a.protocol == "tars") {
                let mut servants = Vec::new();
                for a in &group {
                    let servant = self
                        .servants
                        .iter()
                        .find(|(n, _)| *n == a.servant)
                        .map(|(_, s)| s.clone())
                        .ok_or_else(|| ServerError::UnknownServant {
                            adapter: a.name.clone(),
                            servant: a.servant.clone(),
                        })?;
                    let admission = Arc::new(Admission::new(a.threads, a.queue_cap, a.queue_timeout));
                    let zombie_check = admission.clone();
                    let zombie_after = server_cfg.zombie_timeout;
                    heartbeat_adapters.push(crate::report::node::HeartbeatAdapter {
                        name: a.name.clone(),
                        is_zombie: Arc::new(move || zombie_check.is_zombie(zombie_after)),
                    });
                    servants.push(Served {
                        name: a.servant.as_str().into(),
                        servant,
                        admission,
                        properties: reporter
                            .as_ref()
                            .filter(|r| r.reports_properties())
                            .map(|r| AdapterProperties::new(r, &a.name)),
                    });
                }
                Arc::new(TarsProtocol::new(
                    servants,
                    filters.clone(),
                    server_cfg.max_package_length,
                    nonzero(server_cfg.handle_timeout),
                    budget.clone(),
                    reporter.clone(),
                ))
            } else if let [only] = &group[..] {
                heartbeat_adapters.push(crate::report::node::HeartbeatAdapter {
                    name: only.name.clone(),
                    is_zombie: Arc::new(|| false),
                });
                self.protocols
                    .get(&only.protocol)
                    .cloned()
                    .ok_or_else(|| ServerError::UnknownProtocol {
                        adapter: only.name.clone(),
                        protocol: only.protocol.clone(),
                    })?
            } else {
                return Err(ServerError::SharedEndpoint {
                    endpoint: adapter.endpoint.to_string(),
                    adapters: group.iter().map(|a| a.name.clone()).collect(),
                });
            };
            let bind_err = |source| ServerError::Bind {
                servant: adapter.servant.clone(),
                endpoint: adapter.endpoint.to_string(),
                source,
            };
            let mut group_connections = None;
            let local = match adapter.endpoint.transport {
                Transport::Tcp | Transport::Ssl => {
                    let tls = match adapter.endpoint.transport {
                        Transport::Ssl => {
                            // The adapter's own keys, else the server's.
                            let mut tls = adapter.tls.clone();
                            let base = &server_cfg.tls;
                            tls.cert = tls.cert.or_else(|| base.cert.clone());
                            tls.key = tls.key.or_else(|| base.key.clone());
                            tls.ca = tls.ca.or_else(|| base.ca.clone());
                            tls.verify_client |= base.verify_client;
                            let config = tls::server_config(&tls).map_err(|source| ServerError::Tls {
                                adapter: adapter.name.clone(),
                                source,
                            })?;
                            Some(tokio_rustls::TlsAcceptor::from(config))
                        }
                        _ => None,
                    };
                    let listener = listen(&adapter.endpoint, adapter.backlog).await.map_err(bind_err)?;
                    let local = listener.local_addr().map_err(bind_err)?;
                    let connections = Arc::new(Connections {
                        rate: reporter
                            .as_ref()
                            .filter(|r| r.reports_properties() && adapter.max_conns > 0)
                            .map(|r| {
                                (
                                    r.property(&format!("{}.connectRate", adapter.name), &[crate::report::Policy::Avg]),
                                    adapter.max_conns,
                                )
                            }),
                        ..Connections::default()
                    });
                    group_connections = Some(connections.clone());
                    let settings = AcceptSettings {
                        connections,
                        access: AccessList::new(adapter),
                        max_conns: adapter.max_conns,
                        idle_timeout: nonzero(Duration::from_millis(adapter.endpoint.timeout_ms)),
                        frame_timeout: nonzero(server_cfg.read_timeout),
                        write_stall: nonzero(server_cfg.write_timeout),
                        max_in_flight: adapter.max_in_flight,
                        budget: budget.clone(),
                        tls,
                    };
                    tasks.spawn(accept_loop(
                        listener,
                        protocol,
                        Arc::new(settings),
                        shutdown_rx.clone(),
                        in_flight.clone(),
                    ));
                    local
                }
                Transport::Udp => {
                    let socket = UdpSocket::bind(adapter.endpoint.address()).await.map_err(bind_err)?;
                    let local = socket.local_addr().map_err(bind_err)?;
                    tasks.spawn(udp::serve(
                        socket,
                        protocol,
                        adapter.max_in_flight,
                        shutdown_rx.clone(),
                        in_flight.clone(),
                    ));
                    local
                }
            };
            for a in group {
                let mut endpoint = a.endpoint.clone();
                endpoint.port = local.port();
                tracing::info!(servant = %a.servant, endpoint = %endpoint, "adapter listening");
                views.push(AdapterView {
                    config: a.clone(),
                    bound: endpoint.clone(),
                    connections: group_connections.clone(),
                });
                bound.push(BoundAdapter {
                    adapter: a.name.clone(),
                    servant: a.servant.clone(),
                    endpoint,
                    local_addr: local,
                });
            }
        }
        let _ = admin_adapters.set(views);
        let heartbeat = server_cfg
            .node
            .as_deref()
            .and_then(|o| platform.framework_proxy(o))
            .map(|node| {
                crate::report::node::spawn(
                    node,
                    server_cfg.app.clone(),
                    server_cfg.server.clone(),
                    heartbeat_adapters,
                    server_cfg.main_loop_ticker,
                )
            });
        notifier.report("restart");
        Ok(Server {
            bound,
            shutdown: shutdown_tx,
            tasks,
            in_flight,
            grace: server_cfg.grace_down_timeout,
            platform,
            heartbeat,
        })
    }

    /// The server's logs under `logpath`, unless the process logs its own way.
    fn install_logs(&mut self, platform: &Platform, server: &crate::config::ServerConfig) {
        if server.log_path.is_empty() || tracing::dispatcher::has_been_set() {
            return;
        }
        let mut settings = LogSettings::from_server_config(server);
        settings.loggers = std::mem::take(&mut self.loggers);
        settings.remote_main = self.remote_log;
        settings.set = platform.set_name();
        let remote = server.log.as_deref().and_then(|o| platform.framework_proxy(o));
        match crate::log::install(&settings, remote) {
            Ok(handle) => platform.set_log(handle),
            Err(e) => tracing::debug!(error = %e, "tars-rs logs not installed"),
        }
    }

    /// Starts, serves until SIGTERM or Ctrl-C, then shuts down gracefully.
    pub async fn run(self) -> Result<(), ServerError> {
        let server = self.start().await?;
        tokio::select! {
            _ = wait_for_signal() => {}
            _ = server.platform.stop_requested() => {}
        }
        tracing::info!("shutting down");
        server.shutdown().await;
        Ok(())
    }
}

/// A TCP listener on `endpoint` with `backlog` pending connections (the peers listen with
/// 4096; the OS default of std and tokio is 128, which drops handshakes in a burst).
async fn listen(endpoint: &Endpoint, backlog: u32) -> std::io::Result<TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host(endpoint.address()).await? {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        match socket.bind(addr).and_then(|_| socket.listen(backlog)) {
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

/// A running server.
pub struct Server {
    bound: Vec<BoundAdapter>,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    in_flight: Arc<InFlight>,
    grace: Duration,
    platform: Platform,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
}

/// How long shutdown waits for tarsnotify, tarsstat and tarslog to take the last reports.
const FINAL_REPORT_LIMIT: Duration = Duration::from_secs(1);

/// An adapter as it is bound.
#[derive(Debug, Clone)]
pub struct BoundAdapter {
    /// The adapter's section name.
    pub adapter: String,
    /// The servant it serves.
    pub servant: String,
    /// Its endpoint, with the real port when the config said 0.
    pub endpoint: Endpoint,
    /// The socket address it listens on.
    pub local_addr: SocketAddr,
}

impl Server {
    /// Every adapter, TCP and UDP, with the endpoint it is bound to.
    pub fn adapters(&self) -> &[BoundAdapter] {
        &self.bound
    }

    /// The address servant `name` listens on (its first adapter's; see [`Server::adapters`]
    /// for all of them).
    pub fn local_addr(&self, name: &str) -> Option<SocketAddr> {
        self.bound.iter().find(|b| b.servant == name).map(|b| b.local_addr)
    }

    /// The endpoint of servant `name`, as clients write it (its first adapter's).
    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.bound.iter().find(|b| b.servant == name).map(|b| &b.endpoint)
    }

    /// Every endpoint of servant `name` (a servant may have a TCP and a UDP adapter), joined
    /// by `:` as an object string takes them: `Name@{endpoints}`.
    pub fn endpoints(&self, name: &str) -> String {
        let eps: Vec<String> = self
            .bound
            .iter()
            .filter(|b| b.servant == name)
            .map(|b| b.endpoint.to_string())
            .collect();
        eps.join(":")
    }

    /// Stops accepting, pushes `_reconnect_` to every connection, waits for in-flight
    /// requests (up to `gracedowntimeout`), then stops.
    pub async fn shutdown(mut self) {
        // tarsnode stops expecting heartbeats once it knows; the platform is told first.
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        let notifier = self.platform.notifier();
        notifier.report("stop");
        let _ = self.shutdown.send(true);
        if tokio::time::timeout(self.grace, self.in_flight.drained())
            .await
            .is_err()
        {
            tracing::warn!(
                grace_ms = self.grace.as_millis() as u64,
                "in-flight requests did not finish in time"
            );
        }
        // Give connection tasks a moment to flush the last replies, then stop them.
        let _ = tokio::time::timeout(Duration::from_millis(200), async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        self.tasks.abort_all();
        let reporter = self.platform.communicator().reporter().cloned();
        let log = self.platform.log().cloned();
        tokio::join!(
            notifier.flush(FINAL_REPORT_LIMIT),
            async {
                if let Some(r) = reporter {
                    let _ = tokio::time::timeout(FINAL_REPORT_LIMIT, r.flush()).await;
                }
            },
            async {
                if let Some(l) = log {
                    l.flush(FINAL_REPORT_LIMIT).await;
                }
            }
        );
    }

    /// The server's view of the platform.
    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// Serves until SIGTERM, Ctrl-C or the admin `shutdown`, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        tokio::select! {
            _ = wait_for_signal() => {}
            _ = self.platform.stop_requested() => {}
        }
        self.shutdown().await;
    }
}

/// How an adapter accepts connections.
struct AcceptSettings {
    access: AccessList,
    max_conns: usize,
    idle_timeout: Option<Duration>,
    frame_timeout: Option<Duration>,
    write_stall: Option<Duration>,
    max_in_flight: usize,
    budget: Arc<MemoryBudget>,
    /// For `ssl` endpoints.
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// The adapter's open connections (`maxconns`, `tars.connection`).
    connections: Arc<Connections>,
}

/// An adapter's open connections.
#[derive(Default)]
pub(crate) struct Connections {
    /// `<adapter>.connectRate`: connections in use, in percent of `maxconns`.
    rate: Option<(crate::report::Property, usize)>,
    next: std::sync::atomic::AtomicU64,
    live: std::sync::Mutex<std::collections::BTreeMap<u64, (SocketAddr, std::time::SystemTime)>>,
}

impl Connections {
    fn add(&self, peer: SocketAddr) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut live = self.lock();
        live.insert(id, (peer, std::time::SystemTime::now()));
        if let Some((rate, max)) = &self.rate {
            rate.report((live.len() * 100 / max) as i64);
        }
        id
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// (id, peer, connected at), oldest first.
    pub(crate) fn snapshot(&self) -> Vec<(u64, SocketAddr, std::time::SystemTime)> {
        self.lock().iter().map(|(id, (p, t))| (*id, *p, *t)).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<u64, (SocketAddr, std::time::SystemTime)>> {
        crate::sync::lock(&self.live)
    }
}

/// How long a client has to complete the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

async fn accept_loop(
    listener: TcpListener,
    protocol: Arc<dyn ServerProtocol>,
    settings: Arc<AcceptSettings>,
    mut shutdown: watch::Receiver<bool>,
    in_flight: Arc<InFlight>,
) {
    let conns = settings.connections.clone();
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
        if !settings.access.allows(peer.ip()) {
            tracing::warn!(%peer, "connection refused by allow/deny list");
            continue;
        }
        if settings.max_conns > 0 && conns.len() >= settings.max_conns {
            tracing::warn!(%peer, max_conns = settings.max_conns, "connection refused: maxconns reached");
            continue;
        }
        let conn_id = conns.add(peer);
        let (protocol, settings, conns, shutdown, in_flight) = (
            protocol.clone(),
            settings.clone(),
            conns.clone(),
            shutdown.clone(),
            in_flight.clone(),
        );
        tasks.spawn(async move {
            let _ = stream.set_nodelay(true);
            let conn = ConnectionSettings {
                idle_timeout: settings.idle_timeout,
                frame_timeout: settings.frame_timeout,
                write_stall: settings.write_stall,
                max_in_flight: settings.max_in_flight,
                budget: Some(settings.budget.clone()),
            };
            match &settings.tls {
                None => {
                    let (rd, wr) = stream.into_split();
                    connection::serve(rd, wr, peer, protocol, conn, shutdown, in_flight).await;
                }
                Some(acceptor) => match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => {
                        let (rd, wr) = tokio::io::split(tls);
                        connection::serve(rd, wr, peer, protocol, conn, shutdown, in_flight).await;
                    }
                    Ok(Err(e)) => tracing::warn!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::warn!(%peer, "TLS handshake timed out"),
                },
            }
            conns.remove(conn_id);
        });
        while tasks.try_join_next().is_some() {}
    }
    // Connections send `_reconnect_` and drain on the same signal.
    while tasks.join_next().await.is_some() {}
}

/// `allow`/`deny` lists with TarsCpp's `order` rules; a `*` matches one address segment.
struct AccessList {
    allow: Vec<String>,
    deny: Vec<String>,
    deny_first: bool,
}

impl AccessList {
    fn new(a: &AdapterConfig) -> Self {
        let deny_first = a.order.to_ascii_lowercase().replace(' ', "").starts_with("deny");
        AccessList {
            allow: a.allow.clone(),
            deny: a.deny.clone(),
            deny_first,
        }
    }

    fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        }
        .to_string();
        let matches = |list: &[String]| list.iter().any(|p| pattern_matches(p, &ip));
        if self.deny_first {
            if matches(&self.deny) {
                return false;
            }
            self.allow.is_empty() || matches(&self.allow)
        } else {
            if matches(&self.allow) {
                return true;
            }
            if matches(&self.deny) {
                return false;
            }
            self.allow.is_empty()
        }
    }
}

fn pattern_matches(pattern: &str, ip: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == ip;
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let a: Vec<&str> = ip.split('.').collect();
    // A trailing `*` also covers the remaining segments (`10.0.*`).
    if p.last() == Some(&"*") && p.len() <= a.len() {
        return p.iter().zip(&a).all(|(p, a)| *p == "*" || p == a);
    }
    p.len() == a.len() && p.iter().zip(&a).all(|(p, a)| *p == "*" || p == a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let app = Application::from_arg_list(args(&[]), EMBEDDED_DEFAULT).unwrap();
        assert_eq!(app.config().server.as_ref().unwrap().server, "HelloServer");
        for bad in [&["--conf=x.conf"][..], &["--config"], &["--config="], &["serve"]] {
            let e = Application::from_arg_list(args(bad), EMBEDDED_DEFAULT).err().unwrap();
            assert!(matches!(e, ServerError::Usage(_)), "{bad:?}: {e}");
        }
        let e = Application::from_arg_list(args(&["--conf=x.conf"]), EMBEDDED_DEFAULT)
            .err()
            .unwrap();
        assert_eq!(
            format!("{e:?}"),
            "unknown argument '--conf=x.conf': the server takes --config=FILE (a TARS config file)"
        );
        for good in [&["--config=/nonexistent"][..], &["-config", "/nonexistent"]] {
            let e = Application::from_arg_list(args(good), EMBEDDED_DEFAULT).err().unwrap();
            assert!(e.to_string().contains("/nonexistent"), "{e}");
        }
    }

    #[test]
    fn access_lists() {
        let mut a = AdapterConfig::new("A".into(), "tcp -h 0.0.0.0 -p 1".parse().unwrap(), "S".into());
        let all = AccessList::new(&a);
        assert!(all.allows("1.2.3.4".parse().unwrap()));
        a.allow = vec!["127.0.0.1".into(), "10.0.*".into()];
        let l = AccessList::new(&a);
        assert!(l.allows("127.0.0.1".parse().unwrap()));
        assert!(l.allows("10.0.5.6".parse().unwrap()));
        assert!(!l.allows("10.1.5.6".parse().unwrap()));
        a.allow = vec![];
        a.deny = vec!["192.168.*.*".into()];
        let d = AccessList::new(&a);
        assert!(!d.allows("192.168.1.1".parse().unwrap()));
        assert!(d.allows("192.169.1.1".parse().unwrap()));
    }
}
