//! Call durations as OpenTelemetry metrics, named as TarsGo's OpenTelemetry middleware
//! (`contrib/middleware/opentelemetry`) names them, so dashboards built on TarsGo services
//! read tars-rs ones too:
//!
//! - [`SERVER_DURATION`] (`tars.server.duration`, unit `ms`): a request served, with
//!   `tars.master.name` (the caller's `TARS_MASTER_NAME` status entry, empty when absent),
//!   `tars.master.ip` (the caller's address), `tars.slave.name` (`App.Server` of the servant),
//!   `tars.slave.ip` (this host's outward address, found as TarsGo finds it), `tars.interface`
//!   (the servant), `tars.method`, `tars.version` (tars-rt's) and [`RET`] (`tars.rpc.ret`,
//!   the TARS return code of the reply);
//! - [`CLIENT_DURATION`] (`tars.client.duration`, unit `ms`): a call made, with the attributes
//!   of TarsGo's client span that are the call's and not the request's: `tars.master.ip`
//!   (this host), `tars.slave.name`, `tars.slave.ip` (the endpoint that answered; empty when
//!   none did), `tars.interface`, `tars.method`, `tars.protocol` (`tars`, `tup`, `tup2`,
//!   `json`), `tars.version` and `tars.rpc.ret` (the reply's code, or the client's error
//!   code: -7 timeout, …).
//!
//! The meter is the global provider's (`opentelemetry::global::set_meter_provider`), scope
//! `tars-rt` with tars-rt's version and the schema URL TarsGo declares (semconv 1.17.0); a
//! provider installed later is picked up at the next call. Durations are milliseconds as
//! `f64`, so a sub-millisecond call is not recorded as 0 (TarsGo truncates to whole
//! milliseconds; the histogram's buckets are the same). Two differences from TarsGo: its
//! server histogram records `tars.rpc.ret` 0 for every request (the code is never assigned
//! there), tars-rs records the reply's; and `tars.set_division` is left out. With no
//! provider installed (OpenTelemetry's no-op one), a call costs one read of the global
//! provider and nothing is built.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use opentelemetry::metrics::{Histogram, MeterProvider};
use opentelemetry::{global, InstrumentationScope, KeyValue, Value};

use crate::protocol::{Encoding, RequestPacket};

/// The histogram of requests served.
pub const SERVER_DURATION: &str = "tars.server.duration";
/// The histogram of calls made.
pub const CLIENT_DURATION: &str = "tars.client.duration";
/// The attribute with the TARS return code (TarsGo's `TarsRpcRetKey`).
pub const RET: &str = "tars.rpc.ret";
/// The instrumentation scope's name.
pub const SCOPE: &str = "tars-rt";
/// The status entry TarsGo's client middleware sends with the caller's module name.
const MASTER_NAME: &str = "TARS_MASTER_NAME";
const SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.17.0";
const VERSION: &str = env!("CARGO_PKG_VERSION");

type Provider = Arc<dyn MeterProvider + Send + Sync>;

/// The histograms of one global provider.
struct Instruments {
    provider: Provider,
    server: Histogram<f64>,
    client: Histogram<f64>,
}

static INSTRUMENTS: RwLock<Option<Instruments>> = RwLock::new(None);

/// `pick`'s histogram from the global provider, or `None` for the no-op provider.
fn histogram(pick: fn(&Instruments) -> &Histogram<f64>) -> Option<Histogram<f64>> {
    let provider = global::meter_provider();
    // OpenTelemetry's no-op provider (there until the application installs one) is a
    // zero-sized type; a provider that records keeps state (the SDK's is a pointer).
    if std::mem::size_of_val(&*provider) == 0 {
        return None;
    }
    if let Some(i) = &*crate::sync::read(&INSTRUMENTS) {
        if Arc::ptr_eq(&i.provider, &provider) {
            return Some(pick(i).clone());
        }
    }
    let scope = InstrumentationScope::builder(SCOPE)
        .with_version(VERSION)
        .with_schema_url(SCHEMA_URL)
        .build();
    let meter = provider.meter_with_scope(scope);
    let instruments = Instruments {
        server: meter
            .f64_histogram(SERVER_DURATION)
            .with_unit("ms")
            .with_description("Duration of TARS requests served")
            .build(),
        client: meter
            .f64_histogram(CLIENT_DURATION)
            .with_unit("ms")
            .with_description("Duration of TARS calls made")
            .build(),
        provider,
    };
    let h = pick(&instruments).clone();
    *crate::sync::write(&INSTRUMENTS) = Some(instruments);
    Some(h)
}

/// This host's outward address, as TarsGo's `getOutboundIP` finds it (the source address
/// of a UDP socket connected to 8.8.8.8: a route look-up, nothing is sent); empty when there
/// is no route.
fn local_ip() -> Value {
    static IP: OnceLock<Arc<str>> = OnceLock::new();
    let ip = IP.get_or_init(|| {
        let found = UdpSocket::bind("0.0.0.0:0").and_then(|s| {
            s.connect("8.8.8.8:80")?;
            s.local_addr()
        });
        found.map(|a| a.ip().to_string()).unwrap_or_default().into()
    });
    Value::from(ip.clone())
}

/// `App.Server` of `App.Server.Obj`.
fn app_server(servant: &str) -> String {
    servant
        .rsplit_once('.')
        .map_or(servant, |(app_server, _)| app_server)
        .to_owned()
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A request served or a call made, being timed for its histogram with its attributes; the
/// code (and, for a call, the endpoint that answered) joins them when it ends.
pub(crate) struct Timed {
    histogram: Histogram<f64>,
    started: Instant,
    attributes: Vec<KeyValue>,
}

impl Timed {
    fn new(histogram: Histogram<f64>, attributes: Vec<KeyValue>) -> Box<Timed> {
        Box::new(Timed {
            histogram,
            started: Instant::now(),
            attributes,
        })
    }

    /// Starts timing `packet` from `peer` for [`SERVER_DURATION`]; `None` (nothing done)
    /// when no meter provider is installed.
    pub(crate) fn request(packet: &RequestPacket, peer: SocketAddr) -> Option<Box<Timed>> {
        let histogram = histogram(|i| &i.server)?;
        let servant = &packet.s_servant_name;
        let mut attributes = Vec::with_capacity(8);
        attributes.extend([
            KeyValue::new(
                "tars.master.name",
                packet.status.get(MASTER_NAME).cloned().unwrap_or_default(),
            ),
            KeyValue::new("tars.master.ip", ip(peer.ip())),
            KeyValue::new("tars.slave.name", app_server(servant)),
            KeyValue::new("tars.slave.ip", local_ip()),
            KeyValue::new("tars.interface", servant.clone()),
            KeyValue::new("tars.method", packet.s_func_name.clone()),
            KeyValue::new("tars.version", VERSION),
        ]);
        Some(Timed::new(histogram, attributes))
    }

    /// Starts timing an HTTP servant's request for [`SERVER_DURATION`], with the attributes
    /// TarsGo's `BuildHttpHandler` gives it (`http.method`, `http.path`, `http.scheme`,
    /// `http.proto`, `component` `web`; the status code is its [`RET`]).
    #[cfg(feature = "http")]
    pub(crate) fn http_request(method: &str, path: &str, scheme: &str, proto: &str) -> Option<Box<Timed>> {
        let histogram = histogram(|i| &i.server)?;
        let mut attributes = Vec::with_capacity(6);
        attributes.extend([
            KeyValue::new("http.method", method.to_owned()),
            KeyValue::new("http.path", path.to_owned()),
            KeyValue::new("http.scheme", scheme.to_owned()),
            KeyValue::new("http.proto", proto.to_owned()),
            KeyValue::new("component", "web"),
        ]);
        Some(Timed::new(histogram, attributes))
    }

    /// Starts timing the call of `packet` for [`CLIENT_DURATION`]; `None` (nothing done)
    /// when no meter provider is installed.
    pub(crate) fn call(packet: &RequestPacket) -> Option<Box<Timed>> {
        let histogram = histogram(|i| &i.client)?;
        let servant = &packet.s_servant_name;
        let protocol = Encoding::from_version(packet.i_version).unwrap_or_default().name();
        let mut attributes = Vec::with_capacity(8);
        attributes.extend([
            KeyValue::new("tars.master.ip", local_ip()),
            KeyValue::new("tars.slave.name", app_server(servant)),
            KeyValue::new("tars.interface", servant.clone()),
            KeyValue::new("tars.method", packet.s_func_name.clone()),
            KeyValue::new("tars.protocol", protocol),
            KeyValue::new("tars.version", VERSION),
        ]);
        Some(Timed::new(histogram, attributes))
    }

    /// Records a call, ended with `code` from `slave_ip` (the endpoint that answered).
    pub(crate) fn end_call(mut self, code: i32, slave_ip: Option<&str>) {
        self.attributes
            .push(KeyValue::new("tars.slave.ip", slave_ip.unwrap_or_default().to_owned()));
        self.end(i64::from(code));
    }

    /// Records a request or call, answered with `code` (a TARS code, or an HTTP status).
    pub(crate) fn end(mut self, code: i64) {
        self.attributes.push(KeyValue::new(RET, code));
        self.histogram.record(millis(self.started.elapsed()), &self.attributes);
    }
}

fn ip(ip: IpAddr) -> String {
    ip.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_measured_without_a_meter_provider() {
        // No test of this crate installs one: the global provider is OpenTelemetry's no-op.
        let packet = RequestPacket::default();
        assert!(Timed::request(&packet, "127.0.0.1:1".parse().unwrap()).is_none());
        assert!(Timed::call(&packet).is_none());
        assert_eq!(app_server("App.Server.Obj"), "App.Server");
        assert_eq!(app_server("Obj"), "Obj");
    }
}
