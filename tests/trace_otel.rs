//! A three-hop trace with OpenTelemetry (feature `opentelemetry`): Rust client → Rust servant
//! → Rust servant → the official Node server (@tars/rpc). One trace id across every hop,
//! parent/child links between the spans (read from an in-memory exporter), the dye and a
//! shrinking `iTimeout` at the Node hop, and the reply's status map set by a servant arriving
//! at the client.

#[allow(dead_code)] // This binary uses part of the shared helpers.
mod support;

/// Reporting to a SkyWalking OAP (feature `skywalking`).
#[cfg(feature = "skywalking")]
mod skywalking;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::trace::{SpanKind, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use support::node::start_node_server;
use support::server::hello::test_app::{Hello, HelloProxy};
use tars::application::Server;
use tars::client::{CallOptions, Communicator};
use tars::{Context, Status};
use tracing::instrument::WithSubscriber;
use tracing_subscriber::layer::SubscriberExt;

/// A hop: waits a little (so the deadline visibly shrinks), then calls the next hop and
/// returns its answer; records the dye it was called with; sets a reply status entry.
struct Hop {
    name: &'static str,
    next: HelloProxy,
    seen_dye: Arc<Mutex<Option<String>>>,
}

#[tars::servant]
impl Hello for Hop {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, ctx: &Context, s_req: String) -> Result<(i32, String), Status> {
        *self.seen_dye.lock().unwrap() = ctx.dye_key().map(String::from);
        ctx.set_response_status("served-by", self.name);
        tokio::time::sleep(Duration::from_millis(50)).await;
        // No options: the trace, the dye and the deadline come along on their own.
        let (_, answer) = self.next.test_hello(&s_req).await?;
        Ok((0, answer))
    }
}

async fn serve(name: &'static str, obj: &str, next: HelloProxy, seen_dye: Arc<Mutex<Option<String>>>) -> Server {
    support::server::serve(obj, Hop { name, next, seen_dye }).await
}

/// Spans recorded in memory through tracing-opentelemetry, for this thread while the guard
/// lives.
fn recorded_spans() -> (
    InMemorySpanExporter,
    SdkTracerProvider,
    tracing::subscriber::DefaultGuard,
) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("tars-rs-test")));
    let guard = tracing::subscriber::set_default(subscriber);
    (exporter, provider, guard)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn one_trace_across_three_hops_to_the_node_server() {
    let (exporter, provider, _guard) = recorded_spans();

    let node = tokio::task::spawn_blocking(start_node_server).await.unwrap();
    let comm = Communicator::new();
    let to_node: HelloProxy = comm
        .string_to_proxy(&format!("TestApp.NodeServer.HelloObj@{}", node.tcp))
        .unwrap();
    let (dye_a, dye_b) = (Arc::default(), Arc::default());
    let b = serve("b", "TestApp.B.HelloObj", to_node, Arc::clone(&dye_b)).await;
    let to_b: HelloProxy = comm
        .string_to_proxy(&format!(
            "TestApp.B.HelloObj@{}",
            b.endpoint("TestApp.B.HelloObj").unwrap()
        ))
        .unwrap();
    let a = serve("a", "TestApp.A.HelloObj", to_b, Arc::clone(&dye_a)).await;
    let to_a: HelloProxy = comm
        .string_to_proxy(&format!(
            "TestApp.A.HelloObj@{}",
            a.endpoint("TestApp.A.HelloObj").unwrap()
        ))
        .unwrap();

    let opts = CallOptions::new().timeout(Duration::from_millis(3000)).dye("user-42");
    let reply = to_a.test_hello_with(&opts, "__describe__").await.unwrap();
    // The reply's status map, set by servant A, reaches the client.
    assert_eq!(reply.status.get("served-by").map(String::as_str), Some("a"));
    // Both Rust hops knew the request was dyed, and passed it on.
    assert_eq!(dye_a.lock().unwrap().as_deref(), Some("user-42"));
    assert_eq!(dye_b.lock().unwrap().as_deref(), Some("user-42"));
    let seen: serde_json::Value = serde_json::from_str(&reply.value.1).unwrap();
    let status = &seen["status"];
    assert_eq!(status["STATUS_DYED_KEY"], "user-42", "{seen}");
    let message_type = seen["iMessageType"].as_i64().unwrap();
    assert_eq!(message_type & 0x04, 0x04, "the DYED flag reaches the Node hop");
    let timeout = seen["iTimeout"].as_i64().unwrap();
    assert!(
        (1..=2900).contains(&timeout),
        "the deadline shrinks along the chain: {timeout} ms left"
    );

    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let find = |name: &str, kind: SpanKind| -> SpanData {
        spans
            .iter()
            .find(|s| s.name == name && s.span_kind == kind)
            .unwrap_or_else(|| {
                panic!(
                    "no {kind:?} span {name}: {:?}",
                    spans.iter().map(|s| &s.name).collect::<Vec<_>>()
                )
            })
            .clone()
    };
    let client = find("TestApp.A.HelloObj/testHello", SpanKind::Client);
    let a_server = find("TestApp.A.HelloObj/testHello", SpanKind::Server);
    let a_client = find("TestApp.B.HelloObj/testHello", SpanKind::Client);
    let b_server = find("TestApp.B.HelloObj/testHello", SpanKind::Server);
    let b_client = find("TestApp.NodeServer.HelloObj/testHello", SpanKind::Client);
    let trace = client.span_context.trace_id();
    for s in [&a_server, &a_client, &b_server, &b_client] {
        assert_eq!(s.span_context.trace_id(), trace, "{} is in another trace", s.name);
    }
    assert_eq!(a_server.parent_span_id, client.span_context.span_id());
    assert_eq!(a_client.parent_span_id, a_server.span_context.span_id());
    assert_eq!(b_server.parent_span_id, a_client.span_context.span_id());
    assert_eq!(b_client.parent_span_id, b_server.span_context.span_id());
    // The Node hop got the W3C context of the call that reached it.
    let expected = format!(
        "00-{}-{}-01",
        hex(&trace.to_bytes()),
        hex(&b_client.span_context.span_id().to_bytes())
    );
    assert_eq!(status["traceparent"], expected.as_str(), "{seen}");
    // Spans carry the RPC conventions and the dye.
    let attr = |s: &SpanData, key: &str| {
        s.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.to_string())
    };
    assert_eq!(attr(&a_server, "rpc.system").as_deref(), Some("tars"));
    assert_eq!(attr(&a_server, "rpc.method").as_deref(), Some("testHello"));
    assert_eq!(attr(&a_server, "tars.dyed").as_deref(), Some("user-42"));
    assert_eq!(attr(&b_client, "tars.return_code").as_deref(), Some("0"));
    // And the tags TarsGo's zipkin plugin puts on its spans.
    for s in [&a_server, &a_client] {
        assert_eq!(attr(s, "tars.method").as_deref(), Some("testHello"));
        assert_eq!(attr(s, "tars.protocol").as_deref(), Some("tars"));
    }
    assert_eq!(attr(&a_server, "tars.interface").as_deref(), Some("TestApp.A.HelloObj"));
    assert_eq!(attr(&a_client, "tars.interface").as_deref(), Some("TestApp.B.HelloObj"));
    assert_eq!(attr(&a_server, "client.ipv4").as_deref(), Some("127.0.0.1"));
    let version = attr(&a_client, "tars.client.version").unwrap_or_default();
    assert!(version.starts_with("tars-rs/"), "{version}");
    drop((a, b, node));
}

/// An HTTP request with a `traceparent` header: its `http.server` span is a child of the
/// caller's span, named after the route, with OpenTelemetry's HTTP fields; the TARS call its
/// handler makes is the span's child.
#[cfg(feature = "http")]
#[tokio::test]
async fn an_http_request_is_a_server_span_under_the_callers_with_http_fields() {
    let (exporter, provider, _guard) = recorded_spans();

    let cfg = support::http::config("", "tcp -h 127.0.0.1 -p 0 -t 60000", "");
    let (server, addr) = support::http::start(&cfg).await.unwrap();
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let mut c = support::http::Conn::h1(addr).await;
    let a = c
        .send(
            "GET",
            "/api/tars/x",
            &[("traceparent", &format!("00-{trace}-{caller_span}-01"))],
            "",
        )
        .await;
    assert_eq!(a.status.as_u16(), 200, "{}", a.body);
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let http = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Server && s.name == "GET /api/tars/{name}")
        .unwrap_or_else(|| panic!("no HTTP span: {:?}", spans.iter().map(|s| &s.name).collect::<Vec<_>>()));
    assert_eq!(hex(&http.span_context.trace_id().to_bytes()), trace);
    assert_eq!(hex(&http.parent_span_id.to_bytes()), caller_span);
    let attr = |key: &str| {
        http.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.to_string())
    };
    assert_eq!(attr("http.request.method").as_deref(), Some("GET"));
    assert_eq!(attr("http.route").as_deref(), Some("/api/tars/{name}"));
    assert_eq!(attr("http.response.status_code").as_deref(), Some("200"));
    assert_eq!(attr("url.path").as_deref(), Some("/api/tars/x"));
    assert_eq!(
        attr("server.address").as_deref(),
        Some("localhost"),
        "the Host header's"
    );
    let call = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Client && s.name == "TestApp.HelloServer.HelloObj/testHello")
        .expect("the handler's TARS call");
    assert_eq!(call.parent_span_id, http.span_context.span_id());
    assert_eq!(call.span_context.trace_id(), http.span_context.trace_id());
    server.shutdown().await;
}

/// With a meter provider installed globally, calls that answer 0 and -42 give the histograms
/// TarsGo's OpenTelemetry middleware names: `tars.server.duration` and its client
/// counterpart `tars.client.duration`, in ms, with `tars.rpc.ret` and the TarsGo attributes.
#[tokio::test]
async fn call_durations_are_histograms_named_as_tarsgo_names_them() {
    use opentelemetry_sdk::metrics::data::{AggregatedMetrics, HistogramDataPoint, MetricData};
    use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};

    // Spans recorded as in the other tests of this binary: a thread without a subscriber
    // making the first calls may register the call sites while another test sets its own,
    // and `tracing` can then cache them as disabled for that test.
    let (_spans, _tracer, _guard) = recorded_spans();
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    opentelemetry::global::set_meter_provider(provider.clone());

    const OBJ: &str = "TestApp.Measured.HelloObj";
    let (server, proxy): (_, HelloProxy) = support::server::serve_alone(OBJ, support::server::FailsOnRequest).await;
    proxy.test_hello("ok").await.unwrap();
    proxy.test_hello("ok").await.unwrap();
    let e = proxy.test_hello("fail").await.unwrap_err();
    assert_eq!(e.code().value(), -42);
    // An HTTP servant's request, as TarsGo's HTTP handler records it.
    let cfg = support::http::config("", "tcp -h 127.0.0.1 -p 0 -t 60000", "");
    let (http, addr) = support::http::start(&cfg).await.unwrap();
    let path = "/hello/measured";
    assert_eq!(support::http::Conn::h1(addr).await.get(path).await.status.as_u16(), 200);
    provider.force_flush().unwrap();

    let exported = exporter.get_finished_metrics().unwrap();
    let metric = |name: &str| {
        let (scope, metric) = exported
            .iter()
            .flat_map(|r| r.scope_metrics())
            .flat_map(|s| s.metrics().map(move |m| (s.scope(), m)))
            .filter(|(_, m)| m.name() == name)
            .last()
            .unwrap_or_else(|| panic!("no {name}"));
        assert_eq!(scope.name(), "tars-rt");
        assert_eq!(metric.unit(), "ms");
        match metric.data() {
            AggregatedMetrics::F64(MetricData::Histogram(h)) => h.data_points().cloned().collect::<Vec<_>>(),
            other => panic!("{name} is not a histogram: {other:?}"),
        }
    };
    let attr = |p: &HistogramDataPoint<f64>, key: &str| {
        p.attributes()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.to_string())
    };
    // This test's calls (other tests of this binary call other objects meanwhile).
    let ours = |points: Vec<HistogramDataPoint<f64>>| -> Vec<HistogramDataPoint<f64>> {
        points
            .into_iter()
            .filter(|p| attr(p, "tars.interface").as_deref() == Some(OBJ))
            .collect()
    };
    for (name, side) in [("tars.server.duration", "server"), ("tars.client.duration", "client")] {
        let points = ours(metric(name));
        let by_ret = |ret: &str| {
            points
                .iter()
                .find(|p| attr(p, "tars.rpc.ret").as_deref() == Some(ret))
                .unwrap_or_else(|| panic!("{name}: no point with tars.rpc.ret={ret}"))
        };
        assert_eq!(points.len(), 2, "{name}: {points:?}");
        let (ok, failed) = (by_ret("0"), by_ret("-42"));
        assert_eq!((ok.count(), failed.count()), (2, 1), "{name}");
        for p in [ok, failed] {
            assert_eq!(attr(p, "tars.method").as_deref(), Some("testHello"), "{name}");
            assert_eq!(
                attr(p, "tars.slave.name").as_deref(),
                Some("TestApp.Measured"),
                "{name}"
            );
            assert_eq!(
                attr(p, "tars.version").as_deref(),
                Some(env!("CARGO_PKG_VERSION")),
                "{name}"
            );
            assert!(attr(p, "tars.master.ip").is_some(), "{name}");
            assert!(p.sum() >= 0.0, "{name}");
        }
        if side == "server" {
            // The caller's address, and its TARS_MASTER_NAME (none sent here: empty, as TarsGo).
            assert_eq!(attr(ok, "tars.master.ip").as_deref(), Some("127.0.0.1"));
            assert_eq!(attr(ok, "tars.master.name").as_deref(), Some(""));
            assert!(attr(ok, "tars.slave.ip").is_some());
        } else {
            assert_eq!(attr(ok, "tars.slave.ip").as_deref(), Some("127.0.0.1"));
            assert_eq!(attr(ok, "tars.protocol").as_deref(), Some("tars"));
        }
    }
    let web: Vec<_> = metric("tars.server.duration")
        .into_iter()
        .filter(|p| attr(p, "http.path").as_deref() == Some(path))
        .collect();
    assert_eq!(web.len(), 1, "{web:?}");
    for (key, value) in [
        ("http.method", "GET"),
        ("http.proto", "HTTP/1.1"),
        ("component", "web"),
        ("tars.rpc.ret", "200"),
    ] {
        assert_eq!(attr(&web[0], key).as_deref(), Some(value), "{key}");
    }
    http.shutdown().await;
    server.shutdown().await;
}

/// Logs a line from within the request it serves.
struct LogsALine;

#[tars::servant]
impl Hello for LogsALine {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, _ctx: &Context, s_req: String) -> Result<(i32, String), Status> {
        tracing::info!("served {s_req}");
        Ok((0, s_req))
    }
}

/// With OpenTelemetry and a `fmt` layer side by side, a line logged in a request names the
/// request's span with its trace and span ids once each: the OpenTelemetry span's, in the
/// caller's trace.
#[tokio::test]
async fn a_log_line_in_a_traced_request_carries_the_ids_once() {
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let written = lines.clone();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("tars-rs-test")))
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || written.clone()),
        );
    let _guard = tracing::subscriber::set_default(subscriber);

    const OBJ: &str = "TestApp.LogsALine.HelloObj";
    let (server, proxy): (_, HelloProxy) = support::server::serve_alone(OBJ, LogsALine).await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let opts = CallOptions::new().status("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"));
    // The caller's own span stays out: the line is the server's.
    proxy
        .test_hello_with(&opts, "hi")
        .with_subscriber(tracing::subscriber::NoSubscriber::default())
        .await
        .unwrap();
    server.shutdown().await;
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("served hi"))
        .unwrap_or_else(|| panic!("no line: {text}"));
    assert_eq!(line.matches("trace_id=").count(), 1, "{line}");
    assert_eq!(line.matches(" span_id=").count(), 1, "{line}");
    assert!(line.contains(&format!("trace_id={trace}")), "{line}");
    provider.force_flush().unwrap();
    let server_span = exporter
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .find(|s| s.span_kind == SpanKind::Server)
        .expect("the server span");
    let span_id = hex(&server_span.span_context.span_id().to_bytes());
    assert!(
        line.contains(&format!(" span_id={span_id}")),
        "the OpenTelemetry span's: {line}"
    );
}
