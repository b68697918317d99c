//! The application: a TARS server as tarsnode runs it. [`Application`] reads the standard
//! config file (`--config=…`, or an embedded default), takes the servants, filters and
//! protocols, and [`start`](Application::start)s in three steps:
//!
//! 1. **plan** (`crate::server::plan`): adapters grouped by endpoint, servants found,
//!    admission, TLS and each adapter's observer set up; every mistake is an error naming
//!    the adapter, before anything listens;
//! 2. **bind** ([`Listeners`]): the listeners, accepting connections;
//! 3. **run** ([`Server`]): the framework wing around it (the platform with its logs,
//!    tarsnotify, remote config, the admin object on `local=`, the heartbeat to tarsnode),
//!    until SIGTERM, Ctrl-C or the admin `shutdown`, then a graceful stop.
//!
//! The communicator and the [`Platform`] exist from [`Application::new`] on, so servants can
//! keep them; the platform takes the config the server starts on.

mod server;
#[cfg(feature = "skywalking")]
mod skywalking;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use crate::client::Communicator;
use crate::config::{AdapterConfig, Config, ServerConfig, EMBEDDED_DEFAULT};
use crate::filter::{Chain, Filter};
use crate::framework::admin::{AdminCommand, AdminServant, CommandError, ADMIN_ADAPTER, ADMIN_OBJ};
use crate::framework::log::{self, LogSettings, Logger};
use crate::framework::notify::Notifier;
use crate::framework::panics::PanicWatch;
use crate::framework::remote_config::{ConfigLevel, LoadedConfig};
use crate::framework::reporter::AdapterReport;
use crate::framework::{node, Platform};
use crate::server::plan::{self, PlanInputs};
use crate::server::{Listeners, Servant, ServeObserver, ServerError, ServerProtocol, ServerRequest, ServerResponse};
use crate::transport::budget::MemoryBudget;
use crate::transport::endpoint::Endpoint;

pub use server::Server;

/// A TARS server application: its config, servants and filters.
///
/// ```no_run
/// # use tars_rt as tars;
/// # async fn demo(servant: impl tars::server::Servant) -> Result<(), tars::server::ServerError> {
/// tars::application::Application::from_args()?
///     .servant("TestApp.HelloServer.HelloObj", servant)
///     .run()
///     .await
/// # }
/// ```
pub struct Application {
    config: Config,
    servants: Vec<(String, Arc<dyn Servant>)>,
    #[cfg(feature = "http")]
    http_servants: Vec<(String, crate::server::http::HttpServant)>,
    protocols: HashMap<String, Arc<dyn ServerProtocol>>,
    filters: Chain<ServerRequest, ServerResponse>,
    platform: Platform,
    admin_commands: BTreeMap<String, AdminCommand>,
    remote_configs: Vec<(String, ConfigLevel)>,
    loggers: Vec<Logger>,
    remote_log: bool,
    log_trace_ids: Option<bool>,
    exit_on_panic: bool,
    #[cfg(feature = "skywalking")]
    skywalking: Option<crate::trace::skywalking::Settings>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let servants: Vec<&str> = self.servants.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Application")
            .field("servants", &servants)
            .field("platform", &self.platform)
            .finish()
    }
}

impl Application {
    /// An application on `config`.
    pub fn new(config: Config) -> Self {
        Application {
            platform: Platform::new(config.clone()),
            config,
            servants: Vec::new(),
            #[cfg(feature = "http")]
            http_servants: Vec::new(),
            protocols: HashMap::new(),
            filters: Chain::default(),
            admin_commands: BTreeMap::new(),
            remote_configs: Vec::new(),
            loggers: Vec::new(),
            remote_log: false,
            log_trace_ids: None,
            exit_on_panic: false,
            #[cfg(feature = "skywalking")]
            skywalking: None,
        }
    }

    /// The server's view of the TARS platform (its communicator, notify, properties, stat,
    /// remote config, log level, settings), for servants to keep.
    pub fn platform(&self) -> Platform {
        self.platform.clone()
    }

    /// Registers an admin command (`tars.mycommand` or any name) that operators run from
    /// the web console; it gets the text after the name. A name of the built-in commands
    /// replaces the built-in one.
    pub fn admin_command(
        mut self,
        name: &str,
        handler: impl Fn(&str) -> Result<String, CommandError> + Send + Sync + 'static,
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
        self.platform.add_listener(Arc::new(listener));
        self
    }

    /// A named logger: the `tracing` events with target `logger.name` go to its own file
    /// (and to tarslog if it is remote) instead of the main log.
    pub fn logger(mut self, logger: Logger) -> Self {
        self.loggers.push(logger);
        self
    }

    /// Exits the process (code 255, after telling tarsnotify) when a servant panics, as
    /// TarsGo's `CheckPanic` does; tarsnode then restarts the server. Off by default: the
    /// call answers -99, the panic is reported, and the server goes on.
    pub fn exit_on_panic(mut self, exit: bool) -> Self {
        self.exit_on_panic = exit;
        self
    }

    /// Reports the spans of requests and calls to a SkyWalking OAP with `settings`, instead
    /// of what the config's `<skywalking>` section says (see [`crate::trace::skywalking`]).
    #[cfg(feature = "skywalking")]
    pub fn skywalking(mut self, settings: crate::trace::skywalking::Settings) -> Self {
        self.skywalking = Some(settings);
        self
    }

    /// Sends the main log to tarslog (`log=`) too.
    pub fn remote_log(mut self) -> Self {
        self.remote_log = true;
        self
    }

    /// Whether log lines written within a traced request or call end with
    /// ` trace_id=… span_id=…` (see [`crate::framework::log`]); overrides the config's
    /// `logtraceid` (default Y).
    pub fn log_trace_ids(mut self, on: bool) -> Self {
        self.log_trace_ids = Some(on);
        self
    }

    /// The application's client side, for servants that call other services: the config's
    /// `<client>` settings (its `locator` included), its set, and the registry cache under
    /// `datapath` ([`FrameworkClient::for_application`](crate::framework::FrameworkClient::for_application)). One per application, shared with
    /// the framework wing's own calls: clones share connections.
    pub fn communicator(&self) -> Communicator {
        self.platform.communicator().clone()
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

    /// Serves `servant` (an [`axum::Router`], or any tower
    /// service through [`HttpServant::from_service`](crate::server::http::HttpServant::from_service))
    /// as the HTTP object `name` (full or short, as for [`servant`](Self::servant)), on the
    /// adapter the config gives it (see [`crate::server::http`]). Its handlers can take the
    /// application's [`Platform`] as `Extension<Platform>`.
    #[cfg(feature = "http")]
    pub fn http_servant(mut self, name: &str, servant: impl Into<crate::server::http::HttpServant>) -> Self {
        let name = self.full_name(name);
        let servant = servant.into().with_extension(self.platform());
        self.http_servants.push((name, servant));
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

    /// Adds a server filter; filters run in the order added (the first is outermost). See
    /// [`crate::filter`] and, for where they run, [`crate::server::path`].
    pub fn filter(mut self, filter: impl Filter<ServerRequest, ServerResponse>) -> Self {
        self.filters = self.filters.with(filter);
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

    /// Plans, binds every adapter and starts serving; returns at once with a handle.
    pub async fn start(mut self) -> Result<Server, ServerError> {
        let mut server_cfg = self.config.server.clone().ok_or(ServerError::NoServerSection)?;
        let platform = self.platform.clone();
        platform.set_config(self.config.clone());
        platform.register_running();
        // SkyWalking's reporter before the logs: the subscriber they install reports to it.
        #[cfg(feature = "skywalking")]
        let skywalking = self
            .skywalking
            .take()
            .or_else(|| skywalking::settings_from_config(&self.config, &server_cfg, &platform));
        #[cfg(feature = "skywalking")]
        if let Some(settings) = skywalking.clone() {
            skywalking::start(settings).map_err(ServerError::SkyWalking)?;
        }
        self.install_logs(&server_cfg);
        if let Some(ip) = server_cfg.local_ip.as_deref().filter(|ip| !ip.is_empty()) {
            crate::trace::chain::set_local_ip(ip);
        }
        #[cfg(feature = "skywalking")]
        if skywalking.is_some() {
            skywalking::ensure_layer();
        }
        for key in self.config.unsupported() {
            tracing::warn!("config {key}");
        }
        let notifier = Notifier::new(
            server_cfg.notify.as_deref().and_then(|o| platform.framework_proxy(o)),
            &server_cfg.app,
            &server_cfg.server,
            &platform.set_name(),
            &server_cfg.node_name.clone().unwrap_or_else(|| platform.local_ip()),
        );
        platform.set_notifier(notifier.clone());
        for (file, level) in std::mem::take(&mut self.remote_configs) {
            if let Err(e) = platform.load_config_at(&file, level).await {
                tracing::error!(file = %file, error = %e, "remote config not loaded; the local copy (if any) stays");
            }
        }
        let admin_adapters = self.add_admin(&mut server_cfg);
        let budget = MemoryBudget::new(
            usize::try_from(server_cfg.max_request_memory).unwrap_or(usize::MAX),
            server_cfg.malloc_trim,
        );
        let reporter = platform.framework().reporter().cloned();
        // Servant panics go to tarsnotify (once per stat interval), and end the process when
        // the application asks for it.
        let panics = (server_cfg.notify.is_some() || self.exit_on_panic).then(|| {
            Arc::new(PanicWatch::new(
                notifier.clone(),
                server_cfg.stat_report_interval,
                self.exit_on_panic,
            ))
        });
        let observer = |a: &AdapterConfig| {
            (reporter.is_some() || panics.is_some()).then(|| {
                Arc::new(AdapterReport::new(reporter.as_ref(), panics.clone(), &a.name)) as Arc<dyn ServeObserver>
            })
        };
        let planned = plan::plan(&PlanInputs {
            server: &server_cfg,
            servants: &self.servants,
            protocols: &self.protocols,
            filters: &self.filters,
            observer: &observer,
            budget: &budget,
            chain: self.platform.framework().call_chain(),
            #[cfg(feature = "http")]
            http_servants: &self.http_servants,
        })?;
        let listeners = Listeners::bind(planned.endpoints, &budget).await?;
        let _ = admin_adapters.set(listeners.adapters().to_vec());
        let heartbeat = server_cfg
            .node
            .as_deref()
            .and_then(|o| platform.framework_proxy(o))
            .map(|node| {
                node::spawn(
                    node,
                    server_cfg.app.clone(),
                    server_cfg.server.clone(),
                    planned.liveness,
                    server_cfg.main_loop_ticker,
                )
            });
        notifier.report("restart");
        // Started by a graceful restart: the sockets are ours now; the previous process stops.
        #[cfg(unix)]
        crate::server::restart::tell_parent_ready();
        let stop_limit = server_cfg
            .deactivating_timeout
            .or_else(|| server::in_kubernetes().then_some(server::KUBERNETES_STOP_LIMIT));
        let budget = server::StopBudget::new(server_cfg.grace_down_timeout, stop_limit);
        Ok(Server::new(listeners, platform, heartbeat, budget))
    }

    /// The admin object on `local=`, as TarsGo and TarsCpp serve it; it learns the bound
    /// adapters once they are.
    fn add_admin(&mut self, server_cfg: &mut ServerConfig) -> Arc<OnceLock<Vec<crate::server::BoundAdapter>>> {
        let adapters = Arc::new(OnceLock::new());
        if let Some(local) = server_cfg.local.clone() {
            server_cfg
                .adapters
                .push(AdapterConfig::new(ADMIN_ADAPTER.into(), local, ADMIN_OBJ.into()));
            let admin = AdminServant {
                platform: self.platform.clone(),
                commands: Arc::new(std::mem::take(&mut self.admin_commands)),
                adapters: adapters.clone(),
            };
            self.servants.push((ADMIN_OBJ.to_string(), Arc::new(admin)));
        }
        adapters
    }

    /// The server's logs under `logpath`, unless the process logs its own way.
    fn install_logs(&mut self, server: &ServerConfig) {
        if server.log_path.is_empty() || tracing::dispatcher::has_been_set() {
            return;
        }
        let mut settings = LogSettings::from_server_config(server);
        settings.loggers = std::mem::take(&mut self.loggers);
        settings.remote_main = self.remote_log;
        if let Some(on) = self.log_trace_ids {
            settings.trace_ids = on;
        }
        settings.set = self.platform.set_name();
        let remote = server.log.as_deref().and_then(|o| self.platform.framework_proxy(o));
        #[cfg(feature = "skywalking")]
        let installed = match crate::trace::skywalking::current_reporter() {
            Some(_) => skywalking::install_with_logs(&settings, remote),
            None => log::install(&settings, remote),
        };
        #[cfg(not(feature = "skywalking"))]
        let installed = log::install(&settings, remote);
        match installed {
            Ok(handle) => self.platform.set_log(handle),
            Err(e) => tracing::debug!(error = %e, "tars-rs logs not installed"),
        }
    }

    /// Starts, serves until SIGTERM, Ctrl-C or the admin `shutdown`, then shuts down
    /// gracefully.
    pub async fn run(self) -> Result<(), ServerError> {
        self.start().await?.run_until_signal().await;
        Ok(())
    }
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
}
