//! SkyWalking reporting (feature `skywalking`), against a double of the OAP's segment service
//! (`TraceSegmentReportService/collect`, a tonic server recording what it is sent): the
//! segments of a two-hop chain with their spans and references, the bounded buffer when the
//! OAP is slow or gone, and sampling.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tars::application::Server;
use tars::client::{CallOptions, Communicator};
use tars::context::Current;
use tars::trace::skywalking::proto::{Commands, RefType, SegmentObject, SpanLayer, SpanObject, SpanType};
use tars::trace::skywalking::{Reporter, ReporterStats, Settings, SkyWalkingLayer, COMPONENT_ID};
use tars::{Context, Status};
use tonic::codegen::{http, BoxFuture, Service, StdError};
use tracing::instrument::WithSubscriber;
use tracing_subscriber::layer::SubscriberExt;

use super::support::server::hello::test_app::{Hello, HelloProxy};
use super::support::server::FailsOnRequest;

/// The OAP's segment service, recording every segment it is sent.
#[derive(Clone, Default)]
struct Oap {
    segments: Arc<Mutex<Vec<SegmentObject>>>,
    arrived: Arc<tokio::sync::Notify>,
}

const COLLECT: &str = "/skywalking.v3.TraceSegmentReportService/collect";

impl tonic::server::ClientStreamingService<SegmentObject> for Oap {
    type Response = Commands;
    type Future = BoxFuture<tonic::Response<Commands>, tonic::Status>;

    fn call(&mut self, request: tonic::Request<tonic::Streaming<SegmentObject>>) -> Self::Future {
        let oap = self.clone();
        Box::pin(async move {
            let mut stream = request.into_inner();
            while let Some(segment) = stream.message().await? {
                oap.segments.lock().unwrap().push(segment);
                oap.arrived.notify_waiters();
            }
            Ok(tonic::Response::new(Commands::default()))
        })
    }
}

impl<B> Service<http::Request<B>> for Oap
where
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let oap = self.clone();
        Box::pin(async move {
            if req.uri().path() != COLLECT {
                return Ok(tonic::Status::unimplemented(req.uri().path().to_string()).into_http());
            }
            let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::<Commands, SegmentObject>::default());
            Ok(grpc.client_streaming(oap, req).await)
        })
    }
}

impl tonic::server::NamedService for Oap {
    const NAME: &'static str = "skywalking.v3.TraceSegmentReportService";
}

impl Oap {
    /// Serves on a free port of 127.0.0.1; its address.
    fn start(&self) -> String {
        let incoming = tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = incoming.local_addr().unwrap();
        let router = tonic::transport::Server::builder().add_service(self.clone());
        tokio::spawn(router.serve_with_incoming(incoming));
        addr.to_string()
    }

    /// The segments, once `n` have arrived.
    async fn wait_for(&self, n: usize) -> Vec<SegmentObject> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let arrived = self.arrived.notified();
            let segments = self.segments.lock().unwrap().clone();
            if segments.len() >= n {
                return segments;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("{} of {n} segments arrived: {segments:#?}", segments.len());
            }
        }
    }
}

/// Calls `next` with what it is asked, and answers what `next` answers.
struct Front {
    next: HelloProxy,
}

#[tars::servant]
impl Hello for Front {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, _ctx: &Context, s_req: String) -> Result<(i32, String), Status> {
        let (_, answer) = self.next.test_hello(&s_req).await?;
        Ok((0, answer))
    }
}

async fn serve(obj: &str, servant: impl tars::server::Servant) -> (Server, String) {
    let server = super::support::server::serve(obj, servant).await;
    let endpoint = server.endpoint(obj).unwrap().to_string();
    (server, endpoint)
}

fn proxy(comm: &Communicator, obj: &str, endpoint: &str) -> HelloProxy {
    comm.string_to_proxy(&format!("{obj}@{endpoint}")).unwrap()
}

/// Reports to `reporter` from this thread while the guard lives.
fn reporting(reporter: &Reporter) -> tracing::subscriber::DefaultGuard {
    let subscriber = tracing_subscriber::registry().with(SkyWalkingLayer::new(reporter.clone()));
    tracing::subscriber::set_default(subscriber)
}

fn tag<'a>(span: &'a SpanObject, key: &str) -> Option<&'a str> {
    span.tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
}

/// The segment whose first span is `kind` `operation`.
fn segment<'a>(segments: &'a [SegmentObject], kind: SpanType, operation: &str) -> &'a SegmentObject {
    segments
        .iter()
        .find(|s| s.spans[0].span_type == kind as i32 && s.spans[0].operation_name == operation)
        .unwrap_or_else(|| panic!("no segment starting with {kind:?} {operation}: {segments:#?}"))
}

/// go2sky's own example context: trace `1f2d4bf4…`, segment `1e7c204a…`, its exit span 3,
/// service `service`, instance `instance`, endpoint `propagation`, address
/// `propagation:5566`.
const GO2SKY_SW8: &str = "1-MWYyZDRiZjQ3YmY3MTFlYWI3OTRhY2RlNDgwMDExMjI=-MWU3YzIwNGE3YmY3MTFlYWI4NThhY2RlNDgwMDExMjI=-3-c2VydmljZQ==-aW5zdGFuY2U=-cHJvcGFnYXRpb24=-cHJvcGFnYXRpb246NTU2Ng==";

/// A go2sky caller → A → B: A's segment refers to the caller's, B's to A's segment and its
/// exit span; every span is what go2sky would report for an RPC framework. Then a trace
/// started at A, failing at B: error flags and return codes, and no reference at A.
#[tokio::test]
async fn a_chain_reports_a_segment_per_hop_linked_by_sw8() {
    let oap = Oap::default();
    let reporter = Reporter::start(Settings::new(oap.start(), "TestApp.Chain", "TestApp.Chain@127.0.0.1")).unwrap();
    let _guard = reporting(&reporter);
    let comm = Communicator::new();
    const A: &str = "TestApp.SwA.HelloObj";
    const B: &str = "TestApp.SwB.HelloObj";
    let (b, b_endpoint) = serve(B, FailsOnRequest).await;
    let (a, a_endpoint) = serve(
        A,
        Front {
            next: proxy(&comm, B, &b_endpoint),
        },
    )
    .await;
    let b_port = b_endpoint
        .split("-p ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let to_a = proxy(&comm, A, &a_endpoint);

    // The caller is go2sky's: no span of ours, its sw8 as it wrote it.
    let no_spans = tracing::subscriber::NoSubscriber::default();
    let opts = CallOptions::new().status("sw8", GO2SKY_SW8);
    let reply = to_a
        .test_hello_with(&opts, "hi")
        .with_subscriber(no_spans)
        .await
        .unwrap();
    assert_eq!(reply.value.1, "hi");
    let segments = oap.wait_for(2).await;
    let at_a = segment(&segments, SpanType::Entry, &format!("{A}/testHello"));
    let at_b = segment(&segments, SpanType::Entry, &format!("{B}/testHello"));
    for s in [at_a, at_b] {
        assert_eq!(s.trace_id, "1f2d4bf47bf711eab794acde48001122", "the caller's trace");
        assert_eq!(
            (s.service.as_str(), s.service_instance.as_str()),
            ("TestApp.Chain", "TestApp.Chain@127.0.0.1")
        );
        assert_eq!(s.trace_segment_id.len(), 32);
        for span in &s.spans {
            assert_eq!(span.span_layer, SpanLayer::RpcFramework as i32);
            assert_eq!(span.component_id, COMPONENT_ID);
            assert!(!span.is_error);
            assert_eq!(tag(span, "tars.return_code"), Some("0"));
            assert!(span.start_time > 1_600_000_000_000 && span.start_time <= span.end_time);
        }
    }
    assert_ne!(at_a.trace_segment_id, at_b.trace_segment_id);
    // A: the entry (its parent the go2sky caller's segment), and the call to B.
    assert_eq!(at_a.spans.len(), 2, "{at_a:#?}");
    let (entry, exit) = (&at_a.spans[0], &at_a.spans[1]);
    assert_eq!((entry.span_id, entry.parent_span_id), (0, -1));
    assert!(
        entry.peer.starts_with("127.0.0.1:"),
        "the caller's address: {}",
        entry.peer
    );
    assert_eq!(tag(entry, "rpc.service"), Some(A));
    assert_eq!(tag(entry, "rpc.method"), Some("testHello"));
    let parent = &entry.refs[..];
    assert_eq!(parent.len(), 1);
    let parent = &parent[0];
    assert_eq!(parent.ref_type, RefType::CrossProcess as i32);
    assert_eq!(parent.trace_id, "1f2d4bf47bf711eab794acde48001122");
    assert_eq!(parent.parent_trace_segment_id, "1e7c204a7bf711eab858acde48001122");
    assert_eq!(parent.parent_span_id, 3);
    assert_eq!(
        (
            parent.parent_service.as_str(),
            parent.parent_service_instance.as_str(),
            parent.parent_endpoint.as_str(),
            parent.network_address_used_at_peer.as_str()
        ),
        ("service", "instance", "propagation", "propagation:5566")
    );
    assert_eq!(exit.span_type, SpanType::Exit as i32);
    assert_eq!((exit.span_id, exit.parent_span_id), (1, 0));
    assert_eq!(exit.operation_name, format!("{B}/testHello"));
    assert_eq!(exit.peer, format!("127.0.0.1:{b_port}"));
    assert_eq!(tag(exit, "rpc.service"), Some(B));
    assert!(exit.refs.is_empty());
    // B: one entry, whose parent is A's segment and the exit span that called it.
    assert_eq!(at_b.spans.len(), 1, "{at_b:#?}");
    let b_ref = &at_b.spans[0].refs[0];
    assert_eq!(b_ref.ref_type, RefType::CrossProcess as i32);
    assert_eq!(b_ref.trace_id, at_a.trace_id);
    assert_eq!(b_ref.parent_trace_segment_id, at_a.trace_segment_id);
    assert_eq!(b_ref.parent_span_id, exit.span_id);
    assert_eq!(b_ref.parent_service, "TestApp.Chain");
    assert_eq!(b_ref.parent_service_instance, "TestApp.Chain@127.0.0.1");
    assert_eq!(b_ref.parent_endpoint, format!("{A}/testHello"));
    assert_eq!(
        b_ref.network_address_used_at_peer,
        format!("127.0.0.1:{b_port}"),
        "the address A called"
    );

    // A trace that starts at A (nothing came in), failing at B with -42.
    let e = to_a
        .test_hello("fail")
        .with_subscriber(tracing::subscriber::NoSubscriber::default())
        .await
        .unwrap_err();
    assert_eq!(e.code().value(), -42);
    let segments = oap.wait_for(4).await;
    let started = &segments[2..];
    let at_a = segment(started, SpanType::Entry, &format!("{A}/testHello"));
    let at_b = segment(started, SpanType::Entry, &format!("{B}/testHello"));
    assert!(at_a.spans[0].refs.is_empty(), "a trace started here");
    assert_eq!(at_a.trace_id.len(), 32, "a fresh trace id: {}", at_a.trace_id);
    assert_ne!(at_a.trace_id, "1f2d4bf47bf711eab794acde48001122");
    assert_eq!(at_b.trace_id, at_a.trace_id);
    assert_eq!(at_b.spans[0].refs[0].parent_trace_segment_id, at_a.trace_segment_id);
    for span in at_a.spans.iter().chain(&at_b.spans) {
        assert!(span.is_error, "{span:#?}");
        assert_eq!(tag(span, "tars.return_code"), Some("-42"));
    }
    let stats = reporter.stats();
    assert_eq!((stats.dropped, stats.failed, stats.sampled_out), (0, 0, 0), "{stats:?}");
    drop((a, b));
}

/// An HTTP servant's request, with go2sky's sw8, and the TARS call its handler makes: an
/// entry span as go2sky's `net/http` middleware reports one (operation, layer, component,
/// tags), the call an exit span of the same segment, the called server's segment referring to
/// it; a failing route's span an error with go2sky's log.
#[cfg(feature = "http")]
#[tokio::test]
async fn an_http_request_is_an_entry_span_as_go2skys_middleware_reports_it() {
    use super::support::http;
    use tars::trace::skywalking::HTTP_COMPONENT_ID;

    let oap = Oap::default();
    let reporter = Reporter::start(Settings::new(
        oap.start(),
        "TestApp.Gateway",
        "TestApp.Gateway@127.0.0.1",
    ))
    .unwrap();
    let _guard = reporting(&reporter);
    let cfg = http::config("", "tcp -h 127.0.0.1 -p 0 -t 60000", "");
    let (server, addr) = http::start(&cfg).await.unwrap();
    let mut conn = http::Conn::h1(addr).await;
    let answer = conn.send("GET", "/api/tars/x", &[("sw8", GO2SKY_SW8)], "").await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);

    let segments = oap.wait_for(2).await;
    let at_gateway = segment(&segments, SpanType::Entry, "/GET/api/tars/x");
    let at_backend = segment(
        &segments,
        SpanType::Entry,
        &format!("{}/testHello", super::support::server::OBJ),
    );
    assert_eq!(
        at_gateway.trace_id, "1f2d4bf47bf711eab794acde48001122",
        "the caller's trace"
    );
    assert_eq!(at_gateway.spans.len(), 2, "{at_gateway:#?}");
    let (entry, exit) = (&at_gateway.spans[0], &at_gateway.spans[1]);
    assert_eq!(entry.span_layer, SpanLayer::Http as i32);
    assert_eq!(entry.component_id, HTTP_COMPONENT_ID);
    assert!(!entry.is_error && entry.logs.is_empty());
    assert_eq!(tag(entry, "http.method"), Some("GET"));
    assert_eq!(tag(entry, "url"), Some("localhost/api/tars/x"), "the Host and the path");
    assert_eq!(tag(entry, "status_code"), Some("200"));
    assert!(entry.peer.starts_with("127.0.0.1:"), "the client: {}", entry.peer);
    assert_eq!(entry.refs.len(), 1);
    assert_eq!(
        entry.refs[0].parent_trace_segment_id,
        "1e7c204a7bf711eab858acde48001122"
    );
    assert_eq!(entry.refs[0].parent_span_id, 3);
    // The handler's TARS call: an exit span of the request's segment, as a servant's are.
    assert_eq!(
        (exit.span_type, exit.span_id, exit.parent_span_id),
        (SpanType::Exit as i32, 1, 0)
    );
    assert_eq!(exit.span_layer, SpanLayer::RpcFramework as i32);
    assert_eq!(exit.component_id, COMPONENT_ID);
    let backend_ref = &at_backend.spans[0].refs[0];
    assert_eq!(backend_ref.parent_trace_segment_id, at_gateway.trace_segment_id);
    assert_eq!(backend_ref.parent_span_id, exit.span_id);
    assert_eq!(backend_ref.parent_endpoint, "/GET/api/tars/x");

    for (path, status) in [("/fail", "500"), ("/no/such/route", "404")] {
        let answer = conn.get(path).await;
        assert_eq!(answer.status.as_str(), status);
    }
    let segments = oap.wait_for(4).await;
    for (path, status) in [("/fail", "500"), ("/no/such/route", "404")] {
        let failed = &segment(&segments, SpanType::Entry, &format!("/GET{path}")).spans[0];
        assert!(failed.is_error, "{failed:#?}");
        assert_eq!(tag(failed, "status_code"), Some(status));
        assert_eq!(failed.logs.len(), 1);
        let log = &failed.logs[0].data;
        assert_eq!(
            (log[0].key.as_str(), log[0].value.as_str()),
            ("Error on handling request", "")
        );
        assert!(failed.refs.is_empty(), "a trace started here");
    }
    let stats = reporter.stats();
    assert_eq!((stats.dropped, stats.failed), (0, 0), "{stats:?}");
    server.shutdown().await;
}

/// Waits until `reporter` has seen `segments` segments go: to the OAP, dropped, or failed.
async fn until_accounted(reporter: &Reporter, done: impl Fn(&ReporterStats) -> bool) -> ReporterStats {
    let started = Instant::now();
    loop {
        let stats = reporter.stats();
        if done(&stats) {
            return stats;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{stats:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// An OAP that takes connections but never answers, and one that is gone: requests never
/// wait for either, and past the buffer's few segments every segment is dropped and counted.
#[tokio::test]
async fn a_slow_or_absent_oap_costs_requests_nothing_and_drops_past_the_buffer() {
    // Connections are accepted (the kernel's backlog) and never read.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // A port nothing listens on.
    let gone = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    const OBJ: &str = "TestApp.SwBuffer.HelloObj";
    let (server, endpoint) = serve(OBJ, FailsOnRequest).await;
    let comm = Communicator::new();
    let to_server = proxy(&comm, OBJ, &endpoint);
    const BUFFER: usize = 3;
    for oap in [silent.local_addr().unwrap().to_string(), gone.to_string()] {
        let reporter =
            Reporter::start(Settings::new(&oap, "TestApp.Buffer", "TestApp.Buffer@127.0.0.1").buffer(BUFFER)).unwrap();
        let _guard = reporting(&reporter);
        const CALLS: u64 = 20;
        let started = Instant::now();
        for _ in 0..CALLS {
            to_server.test_hello("hi").await.unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(5), "calls waited on the OAP");
        // Each call is two segments (the client's, the server's); at most a buffer's worth
        // waits and a buffer's worth is in the call the OAP does not answer.
        let total = 2 * CALLS;
        let stats = until_accounted(&reporter, |s| s.dropped >= total - 2 * BUFFER as u64).await;
        assert_eq!(stats.reported, 0, "{oap}: {stats:?}");
        assert!(stats.dropped + stats.failed <= total, "{oap}: {stats:?}");
    }
    drop(silent);
    server.shutdown().await;
}

/// With a sample rate of 0, a trace started here reports nothing: neither the call's segment
/// nor the server's; one that came sampled in sw8 is reported.
#[tokio::test]
async fn a_sample_rate_of_zero_reports_only_what_came_sampled() {
    let oap = Oap::default();
    let reporter =
        Reporter::start(Settings::new(oap.start(), "TestApp.Sampled", "TestApp.Sampled@127.0.0.1").sample_rate(0.0))
            .unwrap();
    let _guard = reporting(&reporter);
    const OBJ: &str = "TestApp.SwSampled.HelloObj";
    let (server, endpoint) = serve(OBJ, FailsOnRequest).await;
    let comm = Communicator::new();
    let to_server = proxy(&comm, OBJ, &endpoint);
    to_server.test_hello("hi").await.unwrap();
    to_server.test_hello("hi").await.unwrap();
    // Both ends decided before the replies came back.
    let stats = reporter.stats();
    assert_eq!(stats.sampled_out, 4, "{stats:?}");
    let stats = reporter.stats();
    assert_eq!((stats.reported, stats.dropped, stats.failed), (0, 0, 0), "{stats:?}");
    assert!(oap.segments.lock().unwrap().is_empty());

    // A call outside any request, scoped by `Current::scope` in a trace that came sampled in
    // sw8: reported whatever the rate, as go2sky does, its segment continuing the caller's.
    let status = BTreeMap::from([("sw8".to_string(), GO2SKY_SW8.to_string())]);
    let caller = tars::trace::extract(&tars::trace::Carrier::new(&status, 0)).expect("sw8 read");
    Arc::new(Current::default().trace(caller))
        .scope(to_server.test_hello("hi"))
        .await
        .unwrap();
    let segments = oap.wait_for(2).await;
    let batch = segment(&segments, SpanType::Exit, &format!("{OBJ}/testHello"));
    assert_eq!(batch.trace_id, "1f2d4bf47bf711eab794acde48001122");
    assert_eq!(
        batch.spans[0].refs[0].parent_trace_segment_id,
        "1e7c204a7bf711eab858acde48001122"
    );
    let at_server = segment(&segments, SpanType::Entry, &format!("{OBJ}/testHello"));
    assert_eq!(at_server.trace_id, batch.trace_id);
    assert_eq!(
        at_server.spans[0].refs[0].parent_trace_segment_id,
        batch.trace_segment_id
    );
    server.shutdown().await;
}
