//! The [`Reporter`]: call statistics to tarsstat ([`super::stat`]) and properties to
//! tarsproperty ([`super::property`]), with the head fields TarsGo writes.
//!
//! It counts the calls a communicator's proxies make (as that communicator's
//! [`CallObserver`]) and, in a server, the requests each adapter serves (as the adapter's
//! [`ServeObserver`], with TarsCpp's adapter properties). What it collects is sent by
//! background tasks once per report interval, through the wing's own communicator (whose
//! calls are not counted, so reporting never reports itself). Reporting never blocks a call:
//! recording is a few field comparisons under an uncontended lock, memory is capped per
//! interval, and a framework service that is down only costs a log line per interval.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use crate::client::{CallErrorKind, CallObserver, Communicator, EndedCall, Proxy};
use crate::config::{ClientConfig, Config, SetDivision};
use crate::server::ServeObserver;
use crate::status::Code;
use crate::Status;

use super::idl::{PropertyFProxy, StatFProxy, StatPropMsgBody, StatPropMsgHead};
use super::property::{self, Policy, Property};
use super::stat::{self, Outcome, StatPoint};

/// The version tars-rs reports as its TARS version (`tarsVersion` in stat heads, the node's
/// `reportVersion`, the admin command `tars.viewversion`).
pub const TARS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `masterName` of requests a server counts, as TarsGo writes it.
pub const MASTER_FROM_SERVER: &str = "stat_from_server";
/// `masterName` of one-way requests a server counts.
pub const MASTER_ONE_WAY: &str = "one_way_client";
/// `masterName` of the requests an HTTP servant answers (TarsGo's `TarsHttpMux`).
pub const MASTER_HTTP: &str = "http_client";

/// At most this many heads per `reportMicMsg`/`reportPropMsg` call (tarsstat merges calls;
/// a bounded call stays far below any peer's maximum package length).
const HEADS_PER_CALL: usize = 500;

/// How a process names itself in reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Identity {
    /// `masterName` of its calls and `moduleName` of its properties: `modulename` from
    /// `<client>`, else `App.Server` in a server, else `tup_client` (TarsGo's default).
    pub module_name: String,
    /// `App.Server`, in a server: the `slaveName` of the requests it serves.
    pub server_name: Option<String>,
    /// Its IP (`localip`, else the address the host routes outward from).
    pub local_ip: String,
    /// Its set, `(name, area, group)`, when it runs in one.
    pub set: Option<SetDivision>,
}

impl Identity {
    /// The identity a config file gives.
    pub fn from_config(config: &Config) -> Self {
        let set = config.set().cloned();
        let server_name = config.server.as_ref().map(|s| format!("{}.{}", s.app, s.server));
        let module_name = match (&config.client.module_name, &server_name) {
            (Some(m), _) if !m.is_empty() => m.clone(),
            (_, Some(s)) => s.clone(),
            _ => "tup_client".to_string(),
        };
        let local_ip = config
            .server
            .as_ref()
            .and_then(|s| s.local_ip.clone())
            .filter(|ip| !ip.is_empty())
            .unwrap_or_else(local_ip);
        Identity {
            module_name,
            server_name,
            local_ip,
            set,
        }
    }

    /// A client-only process's identity from its `<client>` settings.
    pub fn from_client_config(config: &ClientConfig) -> Self {
        Identity::from_config(&Config {
            client: config.clone(),
            ..Config::default()
        })
    }

    /// `name.area.group` without the dots (`abc`), as set-qualified names carry it.
    fn set_suffix(&self) -> Option<String> {
        self.set.as_ref().map(|s| format!("{}{}{}", s.name, s.area, s.group))
    }

    /// `masterName` of this process's calls: in a set, TarsGo's `App.Server.<set>@<version>`.
    fn master_name(&self) -> String {
        match (&self.server_name, self.set_suffix()) {
            (Some(s), Some(set)) => format!("{s}.{set}@{TARS_VERSION}"),
            _ => self.module_name.clone(),
        }
    }

    /// `moduleName` of this process's properties: in a set, `App.Server.<set>`.
    fn property_module(&self) -> String {
        match (&self.server_name, self.set_suffix()) {
            (Some(s), Some(set)) => format!("{s}.{set}"),
            _ => self.module_name.clone(),
        }
    }

    /// `slaveName` of the requests this server serves.
    fn served_name(&self) -> String {
        let base = self.server_name.clone().unwrap_or_else(|| self.module_name.clone());
        match self.set_suffix() {
            Some(set) => format!("{base}.{set}"),
            None => base,
        }
    }
}

/// `App.Server.Obj` → `App.Server`: the `slaveName` of calls to an object (TarsGo and
/// TarsCpp cut at the second dot); `None` for a name without two parts.
pub fn slave_name(object: &str) -> Option<&str> {
    let first = object.find('.')?;
    match object[first + 1..].find('.') {
        Some(second) => Some(&object[..first + 1 + second]),
        None => (first + 1 < object.len()).then_some(object),
    }
}

/// The address this host routes outward from (no packet is sent), else 127.0.0.1.
pub fn local_ip() -> String {
    static IP: OnceLock<String> = OnceLock::new();
    IP.get_or_init(|| {
        std::net::UdpSocket::bind("0.0.0.0:0")
            .and_then(|s| {
                s.connect("10.255.255.255:1")?;
                s.local_addr()
            })
            .map(|a| a.ip())
            .ok()
            .filter(|ip| !ip.is_unspecified())
            .map_or_else(|| "127.0.0.1".to_string(), |ip| ip.to_string())
    })
    .clone()
}

/// What a communicator reports, and where to.
pub struct Reporter {
    identity: Identity,
    master_name: String,
    served_name: String,
    client_stats: stat::StatCollector,
    server_stats: stat::StatCollector,
    properties: Mutex<HashMap<String, Arc<property::PropertyState>>>,
    stat: Option<StatFProxy>,
    property: Option<PropertyFProxy>,
    stat_interval: Duration,
    property_interval: Duration,
    started: OnceLock<()>,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter")
            .field("identity", &self.identity)
            .field(
                "stat",
                &self.stat.as_ref().map(|p| p.servant_proxy().name().to_string()),
            )
            .field(
                "property",
                &self.property.as_ref().map(|p| p.servant_proxy().name().to_string()),
            )
            .finish()
    }
}

impl Reporter {
    /// A reporter for a process named by `identity`, sending to the `stat` and `property`
    /// objects of `config` through `framework` (a communicator that observes nothing).
    pub(crate) fn new(
        identity: Identity,
        config: &ClientConfig,
        intervals: (Duration, Duration),
        framework: &Communicator,
    ) -> Self {
        let proxy = |obj: &Option<String>| {
            let obj = obj.as_deref().map(str::trim).filter(|o| !o.is_empty())?;
            // Without a registry, only an object with its endpoints written out can be found.
            if config.locator.is_none() && !obj.contains('@') {
                tracing::debug!(object = obj, "no locator: not reporting to {obj}");
                return None;
            }
            match framework.servant_proxy(obj) {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::warn!(object = obj, error = %e, "unusable framework object; not reporting to it");
                    None
                }
            }
        };

        Reporter {
            master_name: identity.master_name(),
            served_name: identity.served_name(),
            client_stats: stat::StatCollector::new(TARS_VERSION, stat::DEFAULT_MAX_HEADS),
            server_stats: stat::StatCollector::new(TARS_VERSION, stat::DEFAULT_MAX_HEADS),
            properties: Mutex::default(),
            stat: proxy(&config.stat).map(StatFProxy::from_servant_proxy),
            property: proxy(&config.property).map(PropertyFProxy::from_servant_proxy),
            stat_interval: intervals.0.max(Duration::from_millis(100)),
            property_interval: intervals.1.max(Duration::from_millis(100)),
            identity,
            started: OnceLock::new(),
        }
    }

    /// Whether properties go anywhere (`property=` is set).
    pub fn reports_properties(&self) -> bool {
        self.property.is_some()
    }

    /// How this process names itself.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Starts the report loops on the current runtime, once (lazily, since a communicator
    /// may be built outside one). They stop when the reporter is dropped.
    fn start(self: &Arc<Self>) {
        if self.started.get().is_some() {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.started.set(()).is_err() {
            return;
        }
        if self.stat.is_some() {
            let weak = Arc::downgrade(self);
            rt.spawn(every(self.stat_interval, weak, |r| async move { r.send_stats().await }));
        }
        if self.property.is_some() {
            let weak = Arc::downgrade(self);
            rt.spawn(every(self.property_interval, weak, |r| async move {
                r.send_properties().await
            }));
        }
    }

    /// Counts a call this process made to `object`.
    pub(crate) fn client_call(
        self: &Arc<Self>,
        object: &str,
        function: &str,
        endpoint: Option<(&str, u16)>,
        return_value: i32,
        outcome: Outcome,
        elapsed: Duration,
    ) {
        if self.stat.is_none() {
            return;
        }
        self.start();
        let Some(slave) = slave_name(object) else {
            return;
        };
        let set = self.identity.set.as_ref();
        let slave_with_set;
        let slave = match self.identity.set_suffix() {
            Some(suffix) => {
                slave_with_set = format!("{slave}.{suffix}");
                &slave_with_set
            }
            None => slave,
        };
        let (ip, port) = endpoint.unwrap_or(("", 0));
        self.client_stats.record(
            StatPoint {
                master_name: &self.master_name,
                slave_name: slave,
                interface_name: function,
                master_ip: &self.identity.local_ip,
                slave_ip: ip,
                slave_port: i32::from(port),
                return_value,
                slave_set: set.map(|s| (s.name.as_str(), s.area.as_str(), s.group.as_str())),
            },
            outcome,
            elapsed,
        );
    }

    /// Counts a request this server served (TarsGo's server-side stat: `masterName`
    /// `stat_from_server`, or `one_way_client` for one-way requests).
    pub(crate) fn served(self: &Arc<Self>, function: &str, one_way: bool, return_value: i32, elapsed: Duration) {
        if self.stat.is_none() {
            return;
        }
        self.start();
        let set = self.identity.set.as_ref();
        self.server_stats.record(
            StatPoint {
                master_name: if one_way { MASTER_ONE_WAY } else { MASTER_FROM_SERVER },
                slave_name: &self.served_name,
                interface_name: function,
                master_ip: "",
                slave_ip: &self.identity.local_ip,
                slave_port: 0,
                return_value,
                slave_set: set.map(|s| (s.name.as_str(), s.area.as_str(), s.group.as_str())),
            },
            if return_value == 0 {
                Outcome::Success
            } else {
                Outcome::Exception
            },
            elapsed,
        );
    }

    /// Counts a request an HTTP servant answered, as TarsGo's `TarsHttpMux` does: master
    /// `http_client` at the client's address, slave this server at the adapter's port,
    /// interface the route pattern, an exception when the servant's rule says so.
    #[cfg(feature = "http")]
    pub(crate) fn served_http(self: &Arc<Self>, exchange: &crate::server::http::HttpExchange<'_>) {
        if self.stat.is_none() {
            return;
        }
        self.start();
        let set = self.identity.set.as_ref();
        self.server_stats.record(
            StatPoint {
                master_name: MASTER_HTTP,
                slave_name: &self.served_name,
                interface_name: exchange.route,
                master_ip: exchange.client,
                slave_ip: &self.identity.local_ip,
                slave_port: i32::from(exchange.local_port),
                return_value: 0,
                slave_set: set.map(|s| (s.name.as_str(), s.area.as_str(), s.group.as_str())),
            },
            if exchange.exception {
                Outcome::Exception
            } else {
                Outcome::Success
            },
            exchange.elapsed,
        );
    }

    /// Counts work that did not go through a proxy (TarsGo's `ReportStat`), as a call from
    /// this process.
    pub fn report_stat(self: &Arc<Self>, point: StatPoint<'_>, outcome: Outcome, elapsed: Duration) {
        if self.stat.is_none() {
            return;
        }
        self.start();
        self.client_stats.record(point, outcome, elapsed);
    }

    /// The property `name`, created with `policies` the first time (later calls return the
    /// same property, with its first policies).
    pub fn property(self: &Arc<Self>, name: &str, policies: &[Policy]) -> Property {
        self.start();
        let mut all = crate::sync::lock(&self.properties);
        let state = all
            .entry(name.to_string())
            .or_insert_with(|| Arc::new(property::PropertyState::new(name.to_string(), policies.to_vec())))
            .clone();
        Property { state }
    }

    /// Sends what was counted since the last report (both directions).
    pub async fn send_stats(&self) {
        let Some(proxy) = &self.stat else { return };
        for (from_client, collector) in [(true, &self.client_stats), (false, &self.server_stats)] {
            let (heads, dropped) = collector.take();
            if dropped > 0 {
                tracing::warn!(
                    dropped,
                    "stat: too many distinct call heads in one interval; calls not counted"
                );
            }
            let mut heads = heads.into_iter().peekable();
            while heads.peek().is_some() {
                let chunk: BTreeMap<_, _> = heads.by_ref().take(HEADS_PER_CALL).collect();
                if let Err(e) = proxy.report_mic_msg(&chunk, from_client).await {
                    tracing::debug!(error = %e, "stat report failed");
                }
            }
        }
    }

    /// Sends the properties' values of the interval.
    pub async fn send_properties(&self) {
        let Some(proxy) = &self.property else { return };
        let props: Vec<_> = crate::sync::lock(&self.properties).values().cloned().collect();
        let module = self.identity.property_module();
        let (set_name, set_area, set_id) = match &self.identity.set {
            Some(s) => (s.name.clone(), s.area.clone(), s.group.clone()),
            None => Default::default(),
        };
        let mut msg = BTreeMap::new();
        for p in props {
            let Some(values) = p.take() else { continue };
            let head = StatPropMsgHead {
                module_name: module.clone(),
                ip: self.identity.local_ip.clone(),
                property_name: p.name.clone(),
                set_name: set_name.clone(),
                set_area: set_area.clone(),
                set_id: set_id.clone(),
                s_container: String::new(),
                i_property_ver: 2,
            };
            msg.insert(head, StatPropMsgBody { v_info: values });
        }
        let mut heads = msg.into_iter().peekable();
        while heads.peek().is_some() {
            let chunk: BTreeMap<_, _> = heads.by_ref().take(HEADS_PER_CALL).collect();
            if let Err(e) = proxy.report_prop_msg(&chunk).await {
                tracing::debug!(error = %e, "property report failed");
            }
        }
    }

    /// Sends everything collected so far (at shutdown).
    pub async fn flush(&self) {
        tokio::join!(self.send_stats(), self.send_properties());
    }
}

/// Runs `job` every `period` (the first after one period) while `owner` lives.
async fn every<T, F, Fut>(period: Duration, owner: Weak<T>, job: F)
where
    F: Fn(Arc<T>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(owner) = owner.upgrade() else { return };
        job(owner).await;
    }
}

/// The stat of the calls a communicator makes: its [`CallObserver`].
pub(crate) struct CallStats(pub(crate) Arc<Reporter>);

impl CallObserver for CallStats {
    /// Counts the call as TarsGo does: `returnValue` is the reply's `iRet` (0 after a
    /// timeout, -1 when no reply came), its time counted whatever the outcome.
    fn call_ended(&self, call: &EndedCall<'_>) {
        let (endpoint, ret, outcome) = match call.result {
            Ok(rsp) => {
                let ret = rsp.packet.i_ret;
                let outcome = if ret == 0 { Outcome::Success } else { Outcome::Exception };
                (rsp.endpoint.as_deref(), ret, outcome)
            }
            Err(e) => {
                let (ret, outcome) = match &e.kind {
                    CallErrorKind::Timeout => (0, Outcome::Timeout),
                    CallErrorKind::Server { code, .. } => (*code, Outcome::Exception),
                    _ => (-1, Outcome::Exception),
                };
                (e.endpoint.as_deref(), ret, outcome)
            }
        };
        self.0.client_call(
            call.object,
            call.function,
            endpoint.map(|e| (e.host.as_str(), e.port)),
            ret,
            outcome,
            call.elapsed,
        );
    }
}

/// What one adapter reports: the stat of the requests it answers, and the properties TarsCpp
/// reports per adapter (`<adapter>.queue`: requests ahead of one when it arrives;
/// `.timeoutNum`: requests answered -6; `.connectRate`: connections in use, in percent of
/// `maxconns`), with how long requests wait and run (`.queueTime`, `.handleTime`, in ms).
pub(crate) struct AdapterReport {
    reporter: Option<Arc<Reporter>>,
    properties: Option<AdapterProperties>,
    /// Where servant panics go (tarsnotify, and the exit when asked).
    panics: Option<Arc<super::panics::PanicWatch>>,
}

struct AdapterProperties {
    queue: Property,
    queue_time: Property,
    handle_time: Property,
    timeouts: Property,
    connect_rate: Property,
}

impl AdapterReport {
    /// The report of adapter `adapter`: its stat (with a reporter), its properties when
    /// properties go anywhere, and its servants' panics (with a watch).
    pub(crate) fn new(
        reporter: Option<&Arc<Reporter>>,
        panics: Option<Arc<super::panics::PanicWatch>>,
        adapter: &str,
    ) -> Self {
        use Policy::{Avg, Max, Sum};
        let properties = reporter
            .filter(|r| r.reports_properties())
            .map(|reporter| AdapterProperties {
                queue: reporter.property(&format!("{adapter}.queue"), &[Avg]),
                queue_time: reporter.property(&format!("{adapter}.queueTime"), &[Avg, Max]),
                handle_time: reporter.property(&format!("{adapter}.handleTime"), &[Avg, Max]),
                timeouts: reporter.property(&format!("{adapter}.timeoutNum"), &[Sum]),
                connect_rate: reporter.property(&format!("{adapter}.connectRate"), &[Avg]),
            });
        AdapterReport {
            reporter: reporter.cloned(),
            properties,
            panics,
        }
    }
}

impl ServeObserver for AdapterReport {
    fn admitted(&self, ahead: usize, waited: Duration, refused: Option<&Status>) {
        let Some(p) = &self.properties else { return };
        p.queue.report(ahead as i64);
        p.queue_time.report(waited.as_millis() as i64);
        if refused.is_some_and(|s| s.code() == Code::QueueTimeout) {
            p.timeouts.report(1);
        }
    }

    fn handled(&self, took: Duration, code: i32) {
        let Some(p) = &self.properties else { return };
        p.handle_time.report(took.as_millis() as i64);
        if code == Code::QueueTimeout.value() {
            p.timeouts.report(1);
        }
    }

    fn answered(&self, function: &str, one_way: bool, code: i32, elapsed: Duration) {
        if let Some(r) = &self.reporter {
            r.served(function, one_way, code, elapsed);
        }
    }

    fn panicked(&self, servant: &str, function: &str, what: &str) {
        if let Some(p) = &self.panics {
            p.panicked(servant, function, what);
        }
    }

    #[cfg(feature = "http")]
    fn http_answered(&self, exchange: &crate::server::http::HttpExchange<'_>) {
        if let Some(r) = &self.reporter {
            r.served_http(exchange);
        }
    }

    fn connections(&self, open: usize, max: usize) {
        if let (Some(p), true) = (&self.properties, max > 0) {
            p.connect_rate.report((open * 100 / max) as i64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Paused time: the report job runs once per period, the first after one period, and
    /// stops when its owner (the reporter) is gone.
    #[tokio::test(start_paused = true)]
    async fn reports_run_once_per_period_while_the_reporter_lives() {
        use std::sync::atomic::{AtomicU32, Ordering};
        let owner = Arc::new(AtomicU32::new(0));
        let period = Duration::from_secs(60);
        let task = tokio::spawn(every(period, Arc::downgrade(&owner), |runs| async move {
            runs.fetch_add(1, Ordering::Relaxed);
        }));
        tokio::time::sleep(period - Duration::from_millis(1)).await;
        assert_eq!(owner.load(Ordering::Relaxed), 0);
        tokio::time::sleep(period * 3).await;
        assert_eq!(owner.load(Ordering::Relaxed), 3);
        drop(owner);
        tokio::time::sleep(period).await;
        assert!(task.is_finished(), "the loop ends with its reporter");
    }

    #[test]
    fn slave_names_cut_at_the_second_dot() {
        assert_eq!(slave_name("App.Server.Obj"), Some("App.Server"));
        assert_eq!(slave_name("App.Server"), Some("App.Server"));
        assert_eq!(slave_name("App.Server.Obj.More"), Some("App.Server"));
        assert_eq!(slave_name("Obj"), None);
        assert_eq!(slave_name("App."), None);
    }

    #[test]
    fn identities_follow_tarsgo() {
        let conf: Config = "<tars><application>enableset=Y\nsetdivision=gz.sz.1\n<server>app=A\nserver=S\nlocalip=10.0.0.1\n</server></application></tars>"
            .parse()
            .unwrap();
        let id = Identity::from_config(&conf);
        assert_eq!(id.module_name, "A.S");
        assert_eq!(id.local_ip, "10.0.0.1");
        assert_eq!(id.master_name(), format!("A.S.gzsz1@{TARS_VERSION}"));
        assert_eq!(id.property_module(), "A.S.gzsz1");
        assert_eq!(id.served_name(), "A.S.gzsz1");
        let client_only = Identity::from_client_config(&ClientConfig::default());
        assert_eq!(client_only.master_name(), "tup_client");
    }
}
