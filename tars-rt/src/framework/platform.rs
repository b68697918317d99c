//! What the TARS platform offers a server, in one handle servant code can keep: its settings
//! (`app`, `server`, `basepath`, …), its communicator, events to tarsnotify, properties and
//! manual stat reports, config files from tarsconfig, and its log level. TarsGo reaches these
//! through package globals; here
//! [`Application::platform`](crate::application::Application::platform) hands out the handle
//! (before the server starts too: what needs the running server works once it runs), and
//! [`platform()`] finds the running server's from anywhere.

use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use tokio::sync::Notify;

use crate::client::{Communicator, Proxy};
use crate::config::Config;
use crate::sync::{lock, read, write};

use super::client::FrameworkClient;
use super::log::{LogError, LogHandle, LogLevel};
use super::notify::{Notifier, NotifyLevel};
use super::property::{Policy, Property};
use super::remote_config::{ConfigLevel, LoadedConfig, RemoteConfig, RemoteConfigError};
use super::reporter::Identity;
use super::stat::{Outcome, StatPoint};

/// Called with every config file pulled from tarsconfig.
pub type ConfigListener = Arc<dyn Fn(&LoadedConfig) + Send + Sync>;

/// A running server's view of the TARS platform. Cheap to clone.
#[derive(Clone)]
pub struct Platform {
    inner: Arc<Inner>,
}

struct Inner {
    /// The config at [`Platform::new`], then the one the server started on.
    config: RwLock<Arc<Config>>,
    client: FrameworkClient,
    notifier: OnceLock<Notifier>,
    remote_config: OnceLock<RemoteConfig>,
    log: OnceLock<LogHandle>,
    listeners: RwLock<Vec<ConfigListener>>,
    stop: Notify,
    stop_requested: Mutex<bool>,
    /// Graceful restarts asked for (`tars.gracerestart`), waiting for the server to act.
    restart: Notify,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field(
                "server",
                &self.config().server.as_ref().map(|s| format!("{}.{}", s.app, s.server)),
            )
            .finish()
    }
}

static RUNNING: OnceLock<Platform> = OnceLock::new();

/// The platform of the server this process runs (the first one started), if any.
pub fn platform() -> Option<Platform> {
    RUNNING.get().cloned()
}

impl Platform {
    /// The platform of a server on `config`, with its communicator
    /// ([`FrameworkClient::for_application`]).
    pub(crate) fn new(config: Config) -> Self {
        let client = FrameworkClient::for_application(&config);
        Platform {
            inner: Arc::new(Inner {
                config: RwLock::new(Arc::new(config)),
                client,
                notifier: OnceLock::new(),
                remote_config: OnceLock::new(),
                log: OnceLock::new(),
                listeners: RwLock::default(),
                stop: Notify::new(),
                stop_requested: Mutex::new(false),
                restart: Notify::new(),
            }),
        }
    }

    /// The whole config file: the one the server started on (before it starts, the one the
    /// application was made with).
    pub fn config(&self) -> Arc<Config> {
        read(&self.inner.config).clone()
    }

    /// The server's communicator, for calls to other services.
    pub fn communicator(&self) -> &Communicator {
        self.inner.client.communicator()
    }

    /// The framework services as the server's client sees them.
    pub fn framework(&self) -> &FrameworkClient {
        &self.inner.client
    }

    /// Tells tarsnotify (the web console's events) something at `level`.
    pub fn notify(&self, level: NotifyLevel, message: impl Into<String>) {
        match self.inner.notifier.get() {
            Some(n) => n.notify(level, message),
            None => Notifier::disabled().notify(level, message),
        }
    }

    /// The property `name`, reported to tarsproperty with `policies`.
    pub fn property(&self, name: &str, policies: &[Policy]) -> Property {
        self.inner.client.property(name, policies)
    }

    /// Counts work that did not go through a proxy as a call to `point.slave_name`
    /// (TarsGo's `ReportStat`); `master_name`/`master_ip` empty take this server's.
    pub fn report_stat(&self, point: StatPoint<'_>, outcome: Outcome, elapsed: Duration) {
        let Some(reporter) = self.inner.client.reporter() else {
            return;
        };
        let id = reporter.identity();
        let master_name = id.module_name.clone();
        let point = StatPoint {
            master_name: if point.master_name.is_empty() {
                &master_name
            } else {
                point.master_name
            },
            master_ip: if point.master_ip.is_empty() {
                &id.local_ip
            } else {
                point.master_ip
            },
            ..point
        };
        reporter.report_stat(point, outcome, elapsed);
    }

    /// Pulls `file` from tarsconfig (server level) into `basepath`, and tells the
    /// [`on_config`](crate::application::Application::on_config) listeners.
    pub async fn load_config(&self, file: &str) -> Result<LoadedConfig, RemoteConfigError> {
        self.load_config_at(file, ConfigLevel::Server).await
    }

    /// Pulls `file` at `level`.
    pub async fn load_config_at(&self, file: &str, level: ConfigLevel) -> Result<LoadedConfig, RemoteConfigError> {
        let rc = self.remote_config();
        let loaded = rc.load(file, level).await?;
        let listeners = read(&self.inner.listeners).clone();
        for l in listeners {
            l(&loaded);
        }
        Ok(loaded)
    }

    /// The log level, when the server's logs are tars-rs's.
    pub fn log_level(&self) -> Option<LogLevel> {
        self.inner.log.get().map(LogHandle::level)
    }

    /// Changes the log level (as `tars.setloglevel`), when the server's logs are tars-rs's.
    pub fn set_log_level(&self, level: LogLevel) -> Result<(), LogError> {
        match self.inner.log.get() {
            Some(h) => h.set_level(level),
            None => Err(LogError::NotInstalled),
        }
    }

    /// The installed logs.
    pub fn log(&self) -> Option<&LogHandle> {
        self.inner.log.get()
    }

    /// Asks the server to stop, as SIGTERM does (the admin `shutdown`).
    pub fn request_stop(&self) {
        *lock(&self.inner.stop_requested) = true;
        self.inner.stop.notify_waiters();
    }

    /// Asks the running server for a graceful restart (as SIGUSR1 does): a new process of
    /// the same binary takes the listening sockets over, then this one stops gracefully.
    pub fn request_restart(&self) {
        self.inner.restart.notify_one();
    }

    /// Resolves at each [`request_restart`](Self::request_restart).
    pub async fn restart_requested(&self) {
        self.inner.restart.notified().await;
    }

    /// Resolves when [`request_stop`](Self::request_stop) was called.
    pub async fn stop_requested(&self) {
        loop {
            let notified = self.inner.stop.notified();
            if *lock(&self.inner.stop_requested) {
                return;
            }
            notified.await;
        }
    }

    pub(crate) fn remote_config(&self) -> &RemoteConfig {
        self.inner.remote_config.get_or_init(|| {
            let config = self.config();
            let ip = self.local_ip();
            let (app, server, base) = match &config.server {
                Some(s) => (s.app.as_str(), s.server.as_str(), s.base_path.as_str()),
                None => ("", "", "."),
            };
            let proxy = config
                .server
                .as_ref()
                .and_then(|s| s.config.as_deref())
                .and_then(|obj| self.framework_proxy(obj));
            RemoteConfig::new(proxy, app, server, &self.set_name(), &ip, std::path::Path::new(base))
        })
    }

    /// This server's IP (`localip`, else the host's outward address).
    pub(crate) fn local_ip(&self) -> String {
        Identity::from_config(&self.config()).local_ip
    }

    /// The set division (`name.area.group`) when `enableset`, else empty.
    pub(crate) fn set_name(&self) -> String {
        self.config().set().map(ToString::to_string).unwrap_or_default()
    }

    /// A proxy for framework object `obj` (tarsnotify, tarsconfig, …).
    pub(crate) fn framework_proxy<P: Proxy>(&self, obj: &str) -> Option<P> {
        self.inner.client.proxy(obj)
    }

    /// The server started on `config`.
    pub(crate) fn set_config(&self, config: Config) {
        *write(&self.inner.config) = Arc::new(config);
    }

    pub(crate) fn set_notifier(&self, n: Notifier) {
        let _ = self.inner.notifier.set(n);
    }

    pub(crate) fn notifier(&self) -> Notifier {
        self.inner.notifier.get().cloned().unwrap_or_else(Notifier::disabled)
    }

    pub(crate) fn set_log(&self, h: LogHandle) {
        let _ = self.inner.log.set(h);
    }

    pub(crate) fn add_listener(&self, l: ConfigListener) {
        write(&self.inner.listeners).push(l);
    }

    pub(crate) fn register_running(&self) {
        let _ = RUNNING.set(self.clone());
    }
}
