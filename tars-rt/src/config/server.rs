//! `<server>` and its adapters.

use std::collections::BTreeMap;
use std::time::Duration;

use super::format::Domain;
use super::keys::{Keys, UnsupportedKey};
use super::values::{AdapterProtocol, LogLevel};
use super::ConfigError;
use crate::transport::endpoint::Endpoint;
use crate::transport::tls::TlsConfig;

/// `<server>`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// `app`: the application name (`TestApp`).
    pub app: String,
    /// `server`: the server name (`HelloServer`).
    pub server: String,
    /// `local`: the admin endpoint tarsnode talks to.
    pub local: Option<Endpoint>,
    /// `node`: tarsnode's ServerObj, for keepAlive.
    pub node: Option<String>,
    /// `localip`: this host's IP, as the framework should see it.
    pub local_ip: Option<String>,
    /// `nodename` (TarsCpp) or `node_name` (TarsGo): the host's name in tarsnotify events
    /// (`localip`, else the host's outward address, when absent).
    pub node_name: Option<String>,
    /// `basepath`: where remote config files go.
    pub base_path: String,
    /// `datapath`: where the registry's endpoint cache goes.
    pub data_path: String,
    /// `logpath`: logs go under `logpath/<app>/<server>/`.
    pub log_path: String,
    /// `logsize` in bytes (`10M`, `50MB`, `1048576`).
    pub log_size: u64,
    /// `lognum`: rolled log files kept.
    pub log_num: u32,
    /// `logLevel` (`loglevel` too).
    pub log_level: LogLevel,
    /// `logtraceid` (tars-rs's, default Y): log lines written within a traced request or
    /// call end with ` trace_id=… span_id=…` (see `framework::log`).
    pub log_trace_ids: bool,
    /// `log`: the remote log servant.
    pub log: Option<String>,
    /// `config`: the config servant.
    pub config: Option<String>,
    /// `notify`: the notify servant.
    pub notify: Option<String>,
    /// `queuecap`: the `queuecap` of adapters that do not set theirs (TarsGo's rule).
    pub queue_cap: usize,
    /// `maxroutine` (TarsGo): the `threads` of adapters that do not set theirs (0: no limit).
    pub max_routine: usize,
    /// `zombietimeout`: an adapter whose handlers are all busy and none started for this
    /// long is left out of the heartbeat, so tarsnode restarts the server (TarsGo's rule).
    pub zombie_timeout: Duration,
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
    /// `gracedowntimeout`: how long shutdown waits for in-flight requests.
    pub grace_down_timeout: Duration,
    /// `deactivating-timeout` (tarsnode writes it, 2000 ms in the standard template): how long
    /// tarsnode waits after `AdminF.shutdown` before SIGKILL, clamped to 2–60 s as tarsnode
    /// clamps it. When set, the whole stop fits in it (see [`ServerConfig::stop_limit`]).
    pub deactivating_timeout: Option<Duration>,
    /// `maxPackageLength` (also `maxpackagelength`): largest accepted frame.
    pub max_package_length: usize,
    /// `propertyreportinterval`.
    pub property_report_interval: Duration,
    /// `statreportinterval`.
    pub stat_report_interval: Duration,
    /// `mainloopticker`: keepAlive period to tarsnode.
    pub main_loop_ticker: Duration,
    /// `tcpreadbuffer`: the receive buffer of accepted connections (0: the OS default).
    pub tcp_read_buffer: usize,
    /// `tcpwritebuffer`: the send buffer of accepted connections (0: the OS default).
    pub tcp_write_buffer: usize,
    /// `tcpnodelay`: `TCP_NODELAY` on accepted connections (default Y, as TarsCpp).
    pub tcp_no_delay: bool,
    /// `ca`, `cert`, `key`, `verifyclient`: TLS of `ssl` adapters that have no keys of
    /// their own.
    pub tls: TlsConfig,
    /// One per `<...Adapter>` subsection.
    pub adapters: Vec<AdapterConfig>,
    /// TARS keys read but not acted on, reported at start.
    pub unsupported: Vec<UnsupportedKey>,
    /// Keys no TARS runtime knows: the application's own.
    pub extra: BTreeMap<String, String>,
}

impl ServerConfig {
    /// The keys reported unsupported, the adapters' included.
    pub fn unsupported_keys(&self) -> impl Iterator<Item = &UnsupportedKey> {
        self.unsupported
            .iter()
            .chain(self.adapters.iter().flat_map(|a| &a.unsupported))
    }
}

/// One adapter: a servant bound to an endpoint.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AdapterConfig {
    /// The section name (`TestApp.HelloServer.HelloObjAdapter`).
    pub name: String,
    /// `endpoint`; its `-t` closes connections idle that long, as TarsCpp does.
    pub endpoint: Endpoint,
    /// `servant`: the object name (`TestApp.HelloServer.HelloObj`).
    pub servant: String,
    /// `protocol`: `tars` (default), or another protocol registered with the application.
    pub protocol: AdapterProtocol,
    /// `threads`: requests executed at once. 0 (the default here, unless `maxroutine` says
    /// otherwise) means no limit: servants are async, so a waiting request holds no thread.
    /// TarsCpp's default is 1 because its servants block their thread.
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
    /// TLS for `ssl` endpoints (the server's when absent).
    pub tls: TlsConfig,
    /// TARS keys read but not acted on, reported at start.
    pub unsupported: Vec<UnsupportedKey>,
    /// Keys no TARS runtime knows: the application's own.
    pub extra: BTreeMap<String, String>,
}

impl AdapterConfig {
    /// An adapter of `servant` on `endpoint`, with the defaults below.
    pub fn new(name: String, endpoint: Endpoint, servant: String) -> Self {
        AdapterConfig {
            name,
            endpoint,
            servant,
            protocol: AdapterProtocol::Tars,
            threads: 0,
            queue_cap: DEFAULT_QUEUE_CAP,
            queue_timeout: Duration::from_millis(DEFAULT_QUEUE_TIMEOUT_MS),
            max_conns: DEFAULT_MAX_CONNS,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            backlog: DEFAULT_BACKLOG,
            allow: Vec::new(),
            deny: Vec::new(),
            order: "allow,deny".into(),
            tls: TlsConfig::default(),
            unsupported: Vec::new(),
            extra: BTreeMap::new(),
        }
    }
}

/// Default `queuecap` (TarsCpp's `AdminAdapter`'s).
pub const DEFAULT_QUEUE_CAP: usize = 10_240;
/// Default `queuetimeout` in ms (TarsCpp's `AdminAdapter`'s).
pub const DEFAULT_QUEUE_TIMEOUT_MS: u64 = 60_000;
/// Default `maxconns` (TarsCpp's `AdminAdapter`'s).
pub const DEFAULT_MAX_CONNS: usize = 1024;
/// Default `maxinflight`: requests in flight per connection.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;
/// Default `backlog`: TarsCpp listens with 10240, TarsGo with the kernel's `somaxconn`.
pub const DEFAULT_BACKLOG: u32 = 4096;
/// Default `readtimeout` in ms: how long one frame may take to arrive.
pub const DEFAULT_READ_TIMEOUT_MS: u64 = 60_000;
/// Default `writetimeout` in ms: how long replies may make no progress.
pub const DEFAULT_WRITE_TIMEOUT_MS: u64 = 30_000;
/// Default `maxrequestmemory`: 256 MiB.
pub const DEFAULT_MAX_REQUEST_MEMORY: u64 = 256 << 20;

/// The keys of TarsCpp's and TarsGo's servers that do nothing here, and why.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("netthread", "the tokio runtime's worker threads do the network work"),
    (
        "accepttimeout",
        "TarsGo's accept poll period: accepting here wakes on each connection and on shutdown",
    ),
    (
        "idletimeout",
        "idle connections close after their endpoint's -t, as TarsCpp does",
    ),
    (
        "statreportchannelbuflen",
        "stat heads are capped per report interval (20000), not queued",
    ),
    (
        "closecout",
        "the process's standard streams are left as tarsnode opened them",
    ),
    ("manuallisten", "adapters listen when the application starts"),
    ("opencoroutine", "servants are async already"),
    ("coroutinememsize", "servants are async already"),
    ("coroutinestack", "servants are async already"),
    (
        "emptyconntimeout",
        "a connection that sends nothing closes after its endpoint's -t",
    ),
    (
        "samplerate",
        "TarsGo's zipkin sampling: traces follow the caller's sampling decision",
    ),
    (
        "sampletype",
        "TarsGo's zipkin sampling: traces follow the caller's sampling decision",
    ),
    (
        "sampleaddress",
        "TarsGo's zipkin reporter: spans go where the tracing subscriber sends them",
    ),
    (
        "sampleencoding",
        "TarsGo's zipkin reporter: spans go where the tracing subscriber sends them",
    ),
    (
        "backpacketlimit",
        "replies are written in batches with backpressure (writetimeout)",
    ),
    (
        "backpacketmin",
        "replies are written in batches with backpressure (writetimeout)",
    ),
    ("reportflow", "TarsCpp's flow report is not sent"),
    ("checkset", "set calls are checked by the registry's lookups"),
    ("logstatreport", "TarsCpp's stat log is not written"),
];

/// Keys tarsnode writes into `<server>` and reads back itself.
const TARSNODE: &[&str] = &[
    "activating-timeout",
    "hearttimeout",
    "env",
    "packageFormat",
    "backupfiles",
    "enableworking",
    "jvmparams",
    "mainclass",
    "classpath",
    "entrance",
    "java",
    "nodejs",
    "php",
    "start_output",
    "bakflag",
    "baktype",
    "ms-check-timeout",
];

pub(super) fn parse(d: &Domain) -> Result<ServerConfig, ConfigError> {
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
    let log_level = match k.parsed::<LogLevel>("logLevel")? {
        Some(level) => level,
        None => k.parsed::<LogLevel>("loglevel")?.unwrap_or(LogLevel::Debug),
    };
    let node_name = k.string("nodename").or_else(|| k.string("node_name"));
    let queue_cap = k.int("queuecap", DEFAULT_QUEUE_CAP)?;
    let max_routine = k.int("maxroutine", 0)?;
    for (key, why) in UNSUPPORTED {
        k.unsupported(key, why);
    }
    for key in TARSNODE {
        k.tarsnode(key);
    }
    let mut adapters = Vec::new();
    for sub in &d.domains {
        adapters.push(parse_adapter(sub, queue_cap, max_routine)?);
    }
    let cfg = ServerConfig {
        app,
        server,
        local,
        node: k.string("node"),
        local_ip: k.string("localip"),
        node_name,
        base_path: k.string("basepath").unwrap_or_default(),
        data_path: k.string("datapath").unwrap_or_default(),
        log_path: k.string("logpath").unwrap_or_default(),
        log_size: k.size("logsize", 10 * 1024 * 1024)?,
        log_num: k.int("lognum", 10)?,
        log_level,
        log_trace_ids: k.bool("logtraceid", true)?,
        log: k.string("log"),
        config: k.string("config"),
        notify: k.string("notify"),
        queue_cap,
        max_routine,
        zombie_timeout: k.ms("zombietimeout", 10_000)?,
        read_timeout: k.ms("readtimeout", DEFAULT_READ_TIMEOUT_MS)?,
        write_timeout: k.ms("writetimeout", DEFAULT_WRITE_TIMEOUT_MS)?,
        max_request_memory: k.size("maxrequestmemory", DEFAULT_MAX_REQUEST_MEMORY)?,
        malloc_trim: k.bool("malloctrim", false)?,
        handle_timeout: k.ms("handletimeout", 0)?,
        grace_down_timeout: k.ms("gracedowntimeout", 60_000)?,
        deactivating_timeout: k
            .opt_ms("deactivating-timeout")?
            .map(|d| d.clamp(Duration::from_secs(2), Duration::from_secs(60))),
        max_package_length,
        property_report_interval: k.ms("propertyreportinterval", 10_000)?,
        stat_report_interval: k.ms("statreportinterval", 10_000)?,
        main_loop_ticker: k.ms("mainloopticker", 10_000)?,
        tcp_read_buffer: k.size("tcpreadbuffer", 0)? as usize,
        tcp_write_buffer: k.size("tcpwritebuffer", 0)? as usize,
        tcp_no_delay: k.bool("tcpnodelay", true)?,
        tls: k.tls()?,
        adapters,
        unsupported: Vec::new(),
        extra: BTreeMap::new(),
    };
    let (unsupported, extra) = k.finish();
    Ok(ServerConfig {
        unsupported,
        extra,
        ..cfg
    })
}

fn parse_adapter(d: &Domain, queue_cap: usize, threads: usize) -> Result<AdapterConfig, ConfigError> {
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
    k.unsupported(
        "handlegroup",
        "TarsCpp 1.x's shared handle threads: each adapter admits its own requests (threads, queuecap)",
    );
    let why = "TarsCpp's authentication handshake: use allow/deny, or TLS with verifyclient=Y";
    k.unsupported("accesskey", why);
    k.unsupported("secretkey", why);
    let protocol = k.parsed::<AdapterProtocol>("protocol")?.unwrap_or_default();
    let cfg = AdapterConfig {
        protocol,
        threads: k.int("threads", threads)?,
        queue_cap: k.int("queuecap", queue_cap)?,
        queue_timeout: k.ms("queuetimeout", DEFAULT_QUEUE_TIMEOUT_MS)?,
        max_conns: k.int("maxconns", DEFAULT_MAX_CONNS)?,
        max_in_flight: k.int("maxinflight", DEFAULT_MAX_IN_FLIGHT)?,
        backlog: k.int("backlog", DEFAULT_BACKLOG)?,
        allow: list(k.string("allow")),
        deny: list(k.string("deny")),
        order: k.string("order").unwrap_or_else(|| "allow,deny".into()),
        tls: k.tls()?,
        ..AdapterConfig::new(d.name.clone(), endpoint, servant)
    };
    let (unsupported, extra) = k.finish();
    Ok(AdapterConfig {
        unsupported,
        extra,
        ..cfg
    })
}
