//! The standard TARS config file (`--config=HelloServer.conf`, written by tarsnode for every
//! service) as typed settings: `<tars><application>` with its `<server>` (and one section per
//! adapter) and `<client>` sections. Every key TarsCpp and TarsGo read is parsed; keys this
//! crate does not know are kept in `extra` for the application. A value that does not parse is
//! an error naming its line.
//!
//! This module only reads settings; it starts nothing.

mod format;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

pub use format::{Domain, Param, ParseError};

use crate::transport::endpoint::{Endpoint, EndpointError};
use crate::transport::tls::TlsConfig;

/// Why a config file cannot be used.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not in the TARS config format.
    #[error("config syntax error at {0}")]
    Syntax(#[from] ParseError),
    /// A value does not parse.
    #[error("line {line}: invalid {key}={value}: {reason}")]
    Invalid {
        /// 1-based line.
        line: usize,
        /// The key.
        key: String,
        /// The value as written.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A required section or key is absent.
    #[error("missing {0}")]
    Missing(String),
}

crate::debug_as_display!(ConfigError);

/// The whole file: `<tars><application>…</application></tars>`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `enableset`: the service runs in a set (`setdivision`).
    pub enable_set: bool,
    /// `setdivision`: `name.area.group`.
    pub set_division: Option<String>,
    /// `<server>`, absent in client-only processes.
    pub server: Option<ServerConfig>,
    /// `<client>`.
    pub client: ClientConfig,
    /// The parsed tree, for sections and keys of the application's own.
    pub tree: Domain,
}

/// `<server>`.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `app`: the application name (`TestApp`).
    pub app: String,
    /// `server`: the server name (`HelloServer`).
    pub server: String,
    /// `local`: the admin endpoint tarsnode talks to.
    pub local: Option<Endpoint>,
    /// `node`: tarsnode's ServerObj, for keepAlive.
    pub node: Option<String>,
    /// `localip`.
    pub local_ip: Option<String>,
    /// `basepath`, `datapath`, `logpath`.
    pub base_path: String,
    /// `datapath`.
    pub data_path: String,
    /// `logpath`.
    pub log_path: String,
    /// `logsize` in bytes (`10M`, `50MB`, `1048576`).
    pub log_size: u64,
    /// `lognum`: rolled log files kept.
    pub log_num: u32,
    /// `logLevel` (`loglevel`): DEBUG, INFO, WARN, ERROR, NONE.
    pub log_level: String,
    /// `log`: the remote log servant.
    pub log: Option<String>,
    /// `config`: the config servant.
    pub config: Option<String>,
    /// `notify`: the notify servant.
    pub notify: Option<String>,
    /// `maxroutine` (TarsGo) / `netthread` (TarsCpp): worker parallelism hints.
    pub max_routine: usize,
    /// `netthread`.
    pub net_thread: usize,
    /// `queuecap`: default admission cap for adapters that do not set their own.
    pub queue_cap: usize,
    /// `zombietimeout`.
    pub zombie_timeout: Duration,
    /// `accepttimeout`.
    pub accept_timeout: Duration,
    /// `readtimeout`: a frame must be complete this long after its first byte arrived, or
    /// the connection closes (slow-drip protection; 0: no limit).
    pub read_timeout: Duration,
    /// `writetimeout`: a connection whose replies make no progress for this long (the
    /// client stopped reading) is closed (0: never).
    pub write_timeout: Duration,
    /// `maxrequestmemory`: the memory, across every adapter, that requests in flight may
    /// take, counting their bytes and what they take once decoded; requests past it are
    /// answered -9 (overload) instead of being buffered (0: no limit).
    pub max_request_memory: u64,
    /// `malloctrim`: when a burst of large requests is over, hand the memory it freed back to
    /// the OS (glibc's `malloc_trim`; default N).
    pub malloc_trim: bool,
    /// `handletimeout`: the longest a servant method may run (0: no limit).
    pub handle_timeout: Duration,
    /// `idletimeout`: default idle close for connections.
    pub idle_timeout: Duration,
    /// `gracedowntimeout`: how long shutdown waits for in-flight requests.
    pub grace_down_timeout: Duration,
    /// `maxPackageLength` (also `maxpackagelength`): largest accepted frame.
    pub max_package_length: usize,
    /// `propertyreportinterval`.
    pub property_report_interval: Duration,
    /// `statreportinterval`.
    pub stat_report_interval: Duration,
    /// `mainloopticker`: keepAlive period to tarsnode.
    pub main_loop_ticker: Duration,
    /// `tcpreadbuffer` (0: OS default).
    pub tcp_read_buffer: usize,
    /// `tcpwritebuffer` (0: OS default).
    pub tcp_write_buffer: usize,
    /// `tcpnodelay`.
    pub tcp_no_delay: bool,
    /// `ca`, `cert`, `key`, `verifyclient`, `ciphers`.
    pub tls: TlsConfig,
    /// One per `<...Adapter>` subsection.
    pub adapters: Vec<AdapterConfig>,
    /// Keys not listed above.
    pub extra: BTreeMap<String, String>,
}

/// One adapter: a servant bound to an endpoint.
#[derive(Debug, Clone)]
pub struct AdapterConfig {
    /// The section name (`TestApp.HelloServer.HelloObjAdapter`).
    pub name: String,
    /// `endpoint`.
    pub endpoint: Endpoint,
    /// `servant`: the object name (`TestApp.HelloServer.HelloObj`).
    pub servant: String,
    /// `protocol`: `tars` (default), or another protocol registered with the application.
    pub protocol: String,
    /// `threads`: requests executed at once. 0 (the default here) means no limit: servants
    /// are async, so a waiting request holds no thread. TarsCpp's default is 1 because its
    /// servants block their thread.
    pub threads: usize,
    /// `queuecap`: requests admitted at once, waiting or running; over it the server answers
    /// -9 (overload) at once.
    pub queue_cap: usize,
    /// `queuetimeout`: a request that waited longer answers -6 without running.
    pub queue_timeout: Duration,
    /// `maxconns`: connections at once.
    pub max_conns: usize,
    /// `maxinflight`: requests read from one connection and not yet answered (the answer
    /// written). At the cap the server stops reading the connection, so a client that
    /// pipelines without reading feels TCP backpressure instead of growing the server.
    pub max_in_flight: usize,
    /// `backlog`: the listen backlog (the kernel caps it at `net.core.somaxconn`).
    pub backlog: u32,
    /// `allow`: client IPs allowed (empty: all), entries may end in `*`.
    pub allow: Vec<String>,
    /// `deny`: client IPs refused.
    pub deny: Vec<String>,
    /// `order`: `allow,deny` (default) or `deny,allow`.
    pub order: String,
    /// `handlegroup`.
    pub handle_group: Option<String>,
    /// TLS for `ssl` endpoints.
    pub tls: TlsConfig,
    /// Keys not listed above.
    pub extra: BTreeMap<String, String>,
}

impl AdapterConfig {
    /// An adapter with TarsCpp's default limits.
    pub fn new(name: String, endpoint: Endpoint, servant: String) -> Self {
        AdapterConfig {
            name,
            endpoint,
            servant,
            protocol: "tars".into(),
            threads: 0,
            queue_cap: DEFAULT_QUEUE_CAP,
            queue_timeout: Duration::from_millis(DEFAULT_QUEUE_TIMEOUT_MS),
            max_conns: DEFAULT_MAX_CONNS,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            backlog: DEFAULT_BACKLOG,
            allow: Vec::new(),
            deny: Vec::new(),
            order: "allow,deny".into(),
            handle_group: None,
            tls: TlsConfig::default(),
            extra: BTreeMap::new(),
        }
    }
}

/// Default `queuecap` (TarsCpp's adapter default).
pub const DEFAULT_QUEUE_CAP: usize = 10_240;
/// Default `queuetimeout` in ms (TarsCpp's adapter default).
pub const DEFAULT_QUEUE_TIMEOUT_MS: u64 = 60_000;
/// Default `maxconns` (TarsCpp's adapter default).
pub const DEFAULT_MAX_CONNS: usize = 1024;
/// Default `maxinflight`: requests in flight per connection.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;
/// Default `backlog` (what TarsCpp and TarsGo listen with).
pub const DEFAULT_BACKLOG: u32 = 4096;
/// Default `readtimeout` in ms: how long one frame may take to arrive.
pub const DEFAULT_READ_TIMEOUT_MS: u64 = 60_000;
/// Default `writetimeout` in ms: how long replies may make no progress.
pub const DEFAULT_WRITE_TIMEOUT_MS: u64 = 30_000;
/// Default `maxrequestmemory`: 256 MiB.
pub const DEFAULT_MAX_REQUEST_MEMORY: u64 = 256 << 20;

/// `<client>`.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `locator`: the registry's QueryObj.
    pub locator: Option<String>,
    /// `stat`: the stat servant.
    pub stat: Option<String>,
    /// `property`: the property servant.
    pub property: Option<String>,
    /// `modulename`: this process as a caller, for stat.
    pub module_name: Option<String>,
    /// `sync-invoke-timeout`.
    pub sync_invoke_timeout: Duration,
    /// `async-invoke-timeout`: the default call timeout.
    pub async_invoke_timeout: Duration,
    /// `refresh-endpoint-interval`: registry refresh period.
    pub refresh_endpoint_interval: Duration,
    /// `report-interval`: stat report period.
    pub report_interval: Duration,
    /// `check-status-interval`: endpoint health check period.
    pub check_status_interval: Duration,
    /// `keep-alive-interval`: `tars_ping` period (0: off).
    pub keep_alive_interval: Duration,
    /// `sample-rate`.
    pub sample_rate: u32,
    /// `max-sample-count`.
    pub max_sample_count: u32,
    /// `asyncthread`.
    pub async_thread: usize,
    /// `netthread`.
    pub net_thread: usize,
    /// `clientqueuelen`: send queue per connection.
    pub client_queue_len: usize,
    /// `clientidletimeout`.
    pub client_idle_timeout: Duration,
    /// `clientreadtimeout`.
    pub client_read_timeout: Duration,
    /// `clientwritetimeout`: a connection whose requests make no progress for this long (the
    /// server stopped reading) is closed and its calls fail (0: never).
    pub client_write_timeout: Duration,
    /// `clientdialtimeout`: connect timeout.
    pub client_dial_timeout: Duration,
    /// `objqueuemax`: in-flight calls per object.
    pub obj_queue_max: usize,
    /// `ca`, `cert`, `key`.
    pub tls: TlsConfig,
    /// Per-object subsections (`<TestApp.HelloServer.HelloObj>`), raw.
    pub objects: BTreeMap<String, BTreeMap<String, String>>,
    /// Keys not listed above.
    pub extra: BTreeMap<String, String>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            locator: None,
            stat: None,
            property: None,
            module_name: None,
            sync_invoke_timeout: Duration::from_millis(3000),
            async_invoke_timeout: Duration::from_millis(3000),
            refresh_endpoint_interval: Duration::from_millis(60_000),
            report_interval: Duration::from_millis(10_000),
            check_status_interval: Duration::from_millis(1000),
            keep_alive_interval: Duration::ZERO,
            sample_rate: 0,
            max_sample_count: 0,
            async_thread: 3,
            net_thread: 1,
            client_queue_len: 10_000,
            client_idle_timeout: Duration::from_secs(600),
            client_read_timeout: Duration::from_secs(600),
            client_write_timeout: Duration::from_millis(3000),
            client_dial_timeout: Duration::from_millis(3000),
            obj_queue_max: 100_000,
            tls: TlsConfig::default(),
            objects: BTreeMap::new(),
            extra: BTreeMap::new(),
        }
    }
}

/// The config a server runs on when started without `--config`: `TestApp.HelloServer`
/// with no adapters (the application adds its servants' adapters).
pub const EMBEDDED_DEFAULT: &str = "<tars>
  <application>
    <server>
      app=TestApp
      server=HelloServer
    </server>
    <client>
      async-invoke-timeout=3000
    </client>
  </application>
</tars>
";

impl Config {
    /// Reads and parses a config file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        text.parse()
    }
}

impl std::str::FromStr for Config {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Config, ConfigError> {
        let tree = Domain::parse(text)?;
        let app = tree
            .domain("tars/application")
            .ok_or_else(|| ConfigError::Missing("section <tars><application>".into()))?;
        let mut keys = Keys::new(app);
        let enable_set = keys.bool("enableset", false)?;
        let set_division = keys.string("setdivision");
        let server = app.domain("server").map(parse_server).transpose()?;
        let client = app.domain("client").map(parse_client).transpose()?.unwrap_or_default();
        Ok(Config {
            enable_set,
            set_division,
            server,
            client,
            tree: tree.clone(),
        })
    }
}

fn parse_server(d: &Domain) -> Result<ServerConfig, ConfigError> {
    let mut k = Keys::new(d);
    let app = k
        .string("app")
        .ok_or_else(|| ConfigError::Missing("app= in <server>".into()))?;
    let server = k
        .string("server")
        .ok_or_else(|| ConfigError::Missing("server= in <server>".into()))?;
    let local = k.endpoint("local")?;
    let max_package_length = match k.size("maxPackageLength", 0)? {
        0 => k.size("maxpackagelength", 10 * 1024 * 1024)?,
        n => n,
    } as usize;
    let log_level = k
        .string("logLevel")
        .or_else(|| k.string("loglevel"))
        .unwrap_or_else(|| "DEBUG".into());
    let mut adapters = Vec::new();
    for sub in &d.domains {
        adapters.push(parse_adapter(sub)?);
    }
    let cfg = ServerConfig {
        app,
        server,
        local,
        node: k.string("node"),
        local_ip: k.string("localip"),
        base_path: k.string("basepath").unwrap_or_default(),
        data_path: k.string("datapath").unwrap_or_default(),
        log_path: k.string("logpath").unwrap_or_default(),
        log_size: k.size("logsize", 10 * 1024 * 1024)?,
        log_num: k.int("lognum", 10)?,
        log_level,
        log: k.string("log"),
        config: k.string("config"),
        notify: k.string("notify"),
        max_routine: k.int("maxroutine", 0)?,
        net_thread: k.int("netthread", 1)?,
        queue_cap: k.int("queuecap", 10_000)?,
        zombie_timeout: k.ms("zombietimeout", 0)?,
        accept_timeout: k.ms("accepttimeout", 500)?,
        read_timeout: k.ms("readtimeout", DEFAULT_READ_TIMEOUT_MS)?,
        write_timeout: k.ms("writetimeout", DEFAULT_WRITE_TIMEOUT_MS)?,
        max_request_memory: k.size("maxrequestmemory", DEFAULT_MAX_REQUEST_MEMORY)?,
        malloc_trim: k.bool("malloctrim", false)?,
        handle_timeout: k.ms("handletimeout", 0)?,
        idle_timeout: k.ms("idletimeout", 600_000)?,
        grace_down_timeout: k.ms("gracedowntimeout", 60_000)?,
        max_package_length,
        property_report_interval: k.ms("propertyreportinterval", 10_000)?,
        stat_report_interval: k.ms("statreportinterval", 10_000)?,
        main_loop_ticker: k.ms("mainloopticker", 10_000)?,
        tcp_read_buffer: k.size("tcpreadbuffer", 0)? as usize,
        tcp_write_buffer: k.size("tcpwritebuffer", 0)? as usize,
        tcp_no_delay: k.bool("tcpnodelay", true)?,
        tls: k.tls()?,
        adapters,
        extra: BTreeMap::new(),
    };
    Ok(ServerConfig { extra: k.rest(), ..cfg })
}

fn parse_adapter(d: &Domain) -> Result<AdapterConfig, ConfigError> {
    let mut k = Keys::new(d);
    let endpoint = k
        .endpoint("endpoint")?
        .ok_or_else(|| ConfigError::Missing(format!("endpoint= in <{}> (line {})", d.name, d.line)))?;
    let servant = k
        .string("servant")
        .ok_or_else(|| ConfigError::Missing(format!("servant= in <{}> (line {})", d.name, d.line)))?;
    let list = |v: Option<String>| -> Vec<String> {
        v.map(|v| {
            v.split([';', ',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
    };
    let cfg = AdapterConfig {
        name: d.name.clone(),
        endpoint,
        servant,
        protocol: k.string("protocol").unwrap_or_else(|| "tars".into()),
        threads: k.int("threads", 0)?,
        queue_cap: k.int("queuecap", DEFAULT_QUEUE_CAP)?,
        queue_timeout: k.ms("queuetimeout", DEFAULT_QUEUE_TIMEOUT_MS)?,
        max_conns: k.int("maxconns", DEFAULT_MAX_CONNS)?,
        max_in_flight: k.int("maxinflight", DEFAULT_MAX_IN_FLIGHT)?,
        backlog: k.int("backlog", DEFAULT_BACKLOG)?,
        allow: list(k.string("allow")),
        deny: list(k.string("deny")),
        order: k.string("order").unwrap_or_else(|| "allow,deny".into()),
        handle_group: k.string("handlegroup"),
        tls: k.tls()?,
        extra: BTreeMap::new(),
    };
    Ok(AdapterConfig { extra: k.rest(), ..cfg })
}

fn parse_client(d: &Domain) -> Result<ClientConfig, ConfigError> {
    let mut k = Keys::new(d);
    let dflt = ClientConfig::default();
    let ms = |k: &mut Keys<'_>, key: &str, d: Duration| k.ms(key, d.as_millis() as u64);
    let cfg = ClientConfig {
        locator: k.string("locator"),
        stat: k.string("stat"),
        property: k.string("property"),
        module_name: k.string("modulename"),
        sync_invoke_timeout: ms(&mut k, "sync-invoke-timeout", dflt.sync_invoke_timeout)?,
        async_invoke_timeout: ms(&mut k, "async-invoke-timeout", dflt.async_invoke_timeout)?,
        refresh_endpoint_interval: ms(&mut k, "refresh-endpoint-interval", dflt.refresh_endpoint_interval)?,
        report_interval: ms(&mut k, "report-interval", dflt.report_interval)?,
        check_status_interval: ms(&mut k, "check-status-interval", dflt.check_status_interval)?,
        keep_alive_interval: ms(&mut k, "keep-alive-interval", dflt.keep_alive_interval)?,
        sample_rate: k.int("sample-rate", 0)?,
        max_sample_count: k.int("max-sample-count", 0)?,
        async_thread: k.int("asyncthread", dflt.async_thread)?,
        net_thread: k.int("netthread", dflt.net_thread)?,
        client_queue_len: k.int("clientqueuelen", dflt.client_queue_len)?,
        client_idle_timeout: ms(&mut k, "clientidletimeout", dflt.client_idle_timeout)?,
        client_read_timeout: ms(&mut k, "clientreadtimeout", dflt.client_read_timeout)?,
        client_write_timeout: ms(&mut k, "clientwritetimeout", dflt.client_write_timeout)?,
        client_dial_timeout: ms(&mut k, "clientdialtimeout", dflt.client_dial_timeout)?,
        obj_queue_max: k.int("objqueuemax", dflt.obj_queue_max)?,
        tls: k.tls()?,
        objects: d
            .domains
            .iter()
            .map(|o| {
                (
                    o.name.clone(),
                    o.params.iter().map(|(k, p)| (k.clone(), p.value.clone())).collect(),
                )
            })
            .collect(),
        extra: BTreeMap::new(),
    };
    Ok(ClientConfig { extra: k.rest(), ..cfg })
}

/// Typed access to a section's keys; what is not taken ends up in `extra`.
struct Keys<'a> {
    domain: &'a Domain,
    left: BTreeMap<String, String>,
}

impl<'a> Keys<'a> {
    fn new(domain: &'a Domain) -> Self {
        let left = domain
            .params
            .iter()
            .map(|(k, p)| (k.clone(), p.value.clone()))
            .collect();
        Keys { domain, left }
    }

    fn take(&mut self, key: &str) -> Option<&'a Param> {
        self.left.remove(key);
        self.domain.params.get(key).filter(|p| !p.value.is_empty())
    }

    fn invalid(p: &Param, key: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            line: p.line,
            key: key.to_string(),
            value: p.value.clone(),
            reason: reason.into(),
        }
    }

    fn string(&mut self, key: &str) -> Option<String> {
        self.take(key).map(|p| p.value.clone())
    }

    fn int<T: std::str::FromStr>(&mut self, key: &str, default: T) -> Result<T, ConfigError> {
        match self.take(key) {
            None => Ok(default),
            Some(p) => p
                .value
                .parse()
                .map_err(|_| Self::invalid(p, key, "not a non-negative integer")),
        }
    }

    fn ms(&mut self, key: &str, default_ms: u64) -> Result<Duration, ConfigError> {
        match self.take(key) {
            None => Ok(Duration::from_millis(default_ms)),
            Some(p) => p
                .value
                .parse()
                .map(Duration::from_millis)
                .map_err(|_| Self::invalid(p, key, "not a number of milliseconds")),
        }
    }

    fn bool(&mut self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.take(key) {
            None => Ok(default),
            Some(p) => match p.value.to_ascii_lowercase().as_str() {
                "y" | "yes" | "true" | "1" | "on" => Ok(true),
                "n" | "no" | "false" | "0" | "off" => Ok(false),
                _ => Err(Self::invalid(p, key, "expected Y or N")),
            },
        }
    }

    /// `1048576`, `512K`, `10M`, `10MB`, `1G`.
    fn size(&mut self, key: &str, default: u64) -> Result<u64, ConfigError> {
        let Some(p) = self.take(key) else {
            return Ok(default);
        };
        let v = p.value.to_ascii_uppercase();
        let v = v.trim_end_matches('B');
        let (num, mult) = match v.chars().last() {
            Some('K') => (&v[..v.len() - 1], 1u64 << 10),
            Some('M') => (&v[..v.len() - 1], 1 << 20),
            Some('G') => (&v[..v.len() - 1], 1 << 30),
            _ => (v, 1),
        };
        num.trim()
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(mult))
            .ok_or_else(|| Self::invalid(p, key, "not a size (e.g. 1048576, 512K, 10M)"))
    }

    fn endpoint(&mut self, key: &str) -> Result<Option<Endpoint>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(p) => p
                .value
                .parse()
                .map(Some)
                .map_err(|e: EndpointError| Self::invalid(p, key, e.reason)),
        }
    }

    fn tls(&mut self) -> Result<TlsConfig, ConfigError> {
        Ok(TlsConfig {
            ca: self.string("ca"),
            cert: self.string("cert"),
            key: self.string("key"),
            verify_client: self.bool("verifyclient", false)?,
            ciphers: self.string("ciphers"),
        })
    }

    fn rest(self) -> BTreeMap<String, String> {
        self.left
    }
}

#[cfg(test)]
mod tests;
