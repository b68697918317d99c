//! `<client>` and its per-object sections.

use std::collections::BTreeMap;
use std::time::Duration;

use super::format::Domain;
use super::keys::{Keys, UnsupportedKey};
use super::ConfigError;
use crate::protocol::Encoding;
use crate::trace::Formats;
use crate::transport::tls::TlsConfig;

/// `<client>`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// `locator`: the registry's QueryObj.
    pub locator: Option<String>,
    /// `stat`: the stat servant.
    pub stat: Option<String>,
    /// `property`: the property servant.
    pub property: Option<String>,
    /// `modulename`: this process as a caller, for stat.
    pub module_name: Option<String>,
    /// `async-invoke-timeout`: the default call timeout.
    pub async_invoke_timeout: Duration,
    /// `refresh-endpoint-interval`: registry refresh period.
    pub refresh_endpoint_interval: Duration,
    /// `report-interval`: the stat and property period of a client-only process.
    pub report_interval: Duration,
    /// `check-status-interval`: how often idle connections are checked for a keep-alive
    /// ping.
    pub check_status_interval: Duration,
    /// `keep-alive-interval`: a connection that has sent nothing for this long sends a
    /// one-way `tars_ping`, as TarsGo does (0: off).
    pub keep_alive_interval: Duration,
    /// `clientqueuelen`: requests waiting for a connection's writer; a call finding it full
    /// waits for room (within its deadline).
    pub client_queue_len: usize,
    /// `clientidletimeout`: a connection with no calls for this long closes.
    pub client_idle_timeout: Duration,
    /// `clientwritetimeout`: a connection whose requests make no progress for this long (the
    /// server stopped reading) is closed and its calls fail (0: never).
    pub client_write_timeout: Duration,
    /// `clientdialtimeout`: connect timeout.
    pub client_dial_timeout: Duration,
    /// `objqueuemax`: calls in flight through one proxy; more fail at once with -13, as
    /// TarsGo refuses them ("invoke queue is full").
    pub obj_queue_max: usize,
    /// `ca`, `cert`, `key`: TLS for `ssl` endpoints.
    pub tls: TlsConfig,
    /// `trace-formats` (tars-rs's key): the trace context formats a trace started in this
    /// process writes into its calls, e.g. `w3c,tars` (the default), `b3`, `w3c,tars,b3`. A
    /// trace that came in continues in the formats it came in.
    pub trace_formats: Option<Formats>,
    /// `trace_param_max_len`: TarsWeb's call chain logs parameters up to this many KB (1 by
    /// default, as TarsGo).
    pub trace_param_max_len: Option<usize>,
    /// Per-object sections (`<TestApp.HelloServer.HelloObj>`).
    pub objects: BTreeMap<String, ObjectConfig>,
    /// TARS keys read but not acted on, reported at start.
    pub unsupported: Vec<UnsupportedKey>,
    /// Keys no TARS runtime knows: the application's own.
    pub extra: BTreeMap<String, String>,
}

/// One object's section under `<client>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectConfig {
    /// `timeout`: the default timeout of calls to this object (tars-rs's key).
    pub timeout: Option<Duration>,
    /// `protocol`: how calls to this object encode their arguments and results: `tars`
    /// (the default), `tup`, `tup2` or `json` (tars-rs's key; TarsGo and TarsCpp set it in
    /// code, `TarsSetProtocol`, `tars_set_protocol`).
    pub protocol: Option<Encoding>,
    /// TARS keys read but not acted on, reported at start.
    pub unsupported: Vec<UnsupportedKey>,
    /// Other keys.
    pub extra: BTreeMap<String, String>,
}

impl ClientConfig {
    /// The keys reported unsupported, the objects' included.
    pub fn unsupported_keys(&self) -> impl Iterator<Item = &UnsupportedKey> {
        self.unsupported
            .iter()
            .chain(self.objects.values().flat_map(|o| &o.unsupported))
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            locator: None,
            stat: None,
            property: None,
            module_name: None,
            async_invoke_timeout: Duration::from_millis(3000),
            refresh_endpoint_interval: Duration::from_millis(60_000),
            report_interval: Duration::from_millis(10_000),
            check_status_interval: Duration::from_millis(1000),
            keep_alive_interval: Duration::ZERO,
            client_queue_len: 10_000,
            client_idle_timeout: Duration::from_secs(600),
            client_write_timeout: Duration::from_millis(3000),
            client_dial_timeout: Duration::from_millis(3000),
            obj_queue_max: 100_000,
            tls: TlsConfig::default(),
            trace_formats: None,
            trace_param_max_len: None,
            objects: BTreeMap::new(),
            unsupported: Vec::new(),
            extra: BTreeMap::new(),
        }
    }
}

/// The keys of TarsCpp's and TarsGo's clients that do nothing here, and why.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "sync-invoke-timeout",
        "tars-rs calls are async: async-invoke-timeout applies to every call",
    ),
    ("sample-rate", "TarsCpp 1.x's stat sampling: every call is counted"),
    ("max-sample-count", "TarsCpp 1.x's stat sampling: every call is counted"),
    (
        "asyncthread",
        "replies wake the calling task on the tokio runtime, no callback threads",
    ),
    (
        "asyncqueuecap",
        "replies wake the calling task on the tokio runtime, no callback queue",
    ),
    ("netthread", "the tokio runtime's worker threads do the network work"),
    (
        "clientreadtimeout",
        "TarsGo's read poll period: replies are read as they arrive",
    ),
    (
        "reqdefaulttimeout",
        "TarsGo parses it and uses nothing: async-invoke-timeout applies",
    ),
    (
        "connect-timeout",
        "TarsCpp's name: clientdialtimeout sets the connect timeout",
    ),
    (
        "sendqueuelimit",
        "TarsCpp's name: clientqueuelen bounds a connection's queue",
    ),
    ("timeoutcheckinterval", "each call has its own timer"),
    (
        "report-timeout",
        "reports time out with the call timeout of the framework proxies (3 s)",
    ),
    ("max-report-size", "reports are split at 500 heads per call"),
    ("min-timeout", "a call's timeout is used as given"),
    ("timeout-log-flag", "timeouts are logged at debug level"),
    ("mergenetasync", "replies wake the calling task directly"),
    ("ignore-signal", "signals are the application's"),
    ("localip", "the server's localip names this host"),
];

pub(super) fn parse(d: &Domain) -> Result<ClientConfig, ConfigError> {
    let mut k = Keys::new(d);
    let dflt = ClientConfig::default();
    let ms = |k: &mut Keys<'_>, key: &str, d: Duration| k.ms(key, d.as_millis() as u64);
    for (key, why) in UNSUPPORTED {
        k.unsupported(key, why);
    }
    let mut objects = BTreeMap::new();
    for o in &d.domains {
        objects.insert(o.name.clone(), parse_object(o)?);
    }
    let cfg = ClientConfig {
        locator: k.string("locator"),
        stat: k.string("stat"),
        property: k.string("property"),
        module_name: k.string("modulename"),
        async_invoke_timeout: ms(&mut k, "async-invoke-timeout", dflt.async_invoke_timeout)?,
        refresh_endpoint_interval: ms(&mut k, "refresh-endpoint-interval", dflt.refresh_endpoint_interval)?,
        report_interval: ms(&mut k, "report-interval", dflt.report_interval)?,
        check_status_interval: ms(&mut k, "check-status-interval", dflt.check_status_interval)?,
        keep_alive_interval: ms(&mut k, "keep-alive-interval", dflt.keep_alive_interval)?,
        client_queue_len: k.int("clientqueuelen", dflt.client_queue_len)?.max(1),
        client_idle_timeout: ms(&mut k, "clientidletimeout", dflt.client_idle_timeout)?,
        client_write_timeout: ms(&mut k, "clientwritetimeout", dflt.client_write_timeout)?,
        client_dial_timeout: ms(&mut k, "clientdialtimeout", dflt.client_dial_timeout)?,
        obj_queue_max: k.int("objqueuemax", dflt.obj_queue_max)?,
        tls: k.tls()?,
        trace_formats: k.parsed::<Formats>("trace-formats")?,
        trace_param_max_len: k.parsed::<usize>("trace_param_max_len")?,
        objects,
        unsupported: Vec::new(),
        extra: BTreeMap::new(),
    };
    let (unsupported, extra) = k.finish();
    Ok(ClientConfig {
        unsupported,
        extra,
        ..cfg
    })
}

fn parse_object(d: &Domain) -> Result<ObjectConfig, ConfigError> {
    let mut k = Keys::new(d);
    let why = "per-object TLS: the <client> section's ca/cert/key apply to every object";
    for key in ["ca", "cert", "key", "ciphers"] {
        k.unsupported(key, why);
    }
    let why = "TarsCpp's authentication handshake: calls go unauthenticated, use TLS with a client certificate instead";
    k.unsupported("accesskey", why);
    k.unsupported("secretkey", why);
    let timeout = k.opt_ms("timeout")?;
    let protocol = k.parsed::<Encoding>("protocol")?;
    let (unsupported, extra) = k.finish();
    Ok(ObjectConfig {
        timeout,
        protocol,
        unsupported,
        extra,
    })
}
