//! SkyWalking (cargo feature `skywalking`): the `tars.server`, `tars.client` and `http.server`
//! spans reported to a SkyWalking OAP as go2sky, SkyWalking's Go agent, reports a Go service's.
//!
//! The spans of one trace in one process are one **segment**: an entry span for the request
//! served (`tars.server`), an exit span for each call it makes (`tars.client`, its peer the
//! endpoint's `host:port`); a call made outside any request is an exit span with a segment of
//! its own. Spans are of layer `RPCFramework` and component [`COMPONENT_ID`], marked as errors
//! when the TARS return code is not 0, tagged `rpc.service`, `rpc.method`, `tars.return_code`
//! (and `tars.dyed`), timed in milliseconds. A request that came with `sw8` gets a
//! CrossProcess reference to the caller's segment; a call writes `sw8` naming this segment
//! and its exit span, so the next hop's reference points here. A trace started here gets a
//! SkyWalking trace id of its own (the trace id of its other formats, in hex).
//!
//! An HTTP servant's request is an entry span as go2sky's `net/http` middleware reports one:
//! operation `/{METHOD}{path}`, layer `Http`, component [`HTTP_COMPONENT_ID`], tags
//! `http.method`, `url` (host and path) and `status_code`, and an error (with go2sky's log
//! line) from status 400 up.
//!
//! [`SkyWalkingLayer`] is a `tracing_subscriber` layer: it composes with OpenTelemetry's and
//! the application's own. A segment is queued when its last span closes, to a [`Reporter`]
//! whose bounded buffer drops (and counts) what the OAP cannot take in time; no request
//! waits on it.
//!
//! ```no_run
//! # use tars_rt as tars;
//! use tars::trace::skywalking::{Reporter, Settings, SkyWalkingLayer};
//! use tracing_subscriber::layer::SubscriberExt;
//! let reporter = Reporter::start(Settings::new("oap:11800", "App.Client", "App.Client@10.0.0.1"))?;
//! let subscriber = tracing_subscriber::registry().with(SkyWalkingLayer::new(reporter));
//! tracing::subscriber::set_global_default(subscriber)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A server started by the application reports from its config's `<skywalking>` section;
//! [`layer()`] is the layer that reports to the reporter it starts ([`set_reporter`]).

pub mod proto;
mod reporter;

use std::cell::RefCell;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::{LookupSpan, SpanData as _};
use tracing_subscriber::Layer;

pub use reporter::{Reporter, ReporterStats, Settings, SkyWalkingError, DEFAULT_BUFFER};

use self::proto::{KeyStringValuePair, Log, RefType, SegmentObject, SegmentReference, SpanLayer, SpanObject, SpanType};
use super::{SpanId, Sw8, TraceContext};

/// The component of tars-rs's spans: `rpc` (50) in the OAP's `component-libraries.yml`,
/// which has no TARS entry (0 would be `Unknown`).
pub const COMPONENT_ID: i32 = 50;

/// The component of HTTP servants' spans: `http` (49), the generic HTTP server of the OAP's
/// list (go2sky's middleware reports 5004, `GoHttpServer`).
pub const HTTP_COMPONENT_ID: i32 = 49;

const SERVER_SPAN: &str = "tars.server";
const CLIENT_SPAN: &str = "tars.client";
const HTTP_SERVER_SPAN: &str = "http.server";

/// The `tracing` layer that reports the spans of requests and calls (see the module docs),
/// to its own reporter or to the process's ([`layer()`]).
pub struct SkyWalkingLayer {
    reporter: Option<Reporter>,
}

impl std::fmt::Debug for SkyWalkingLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SkyWalkingLayer")
            .field("reporter", &self.reporter)
            .finish()
    }
}

impl SkyWalkingLayer {
    /// A layer that reports to `reporter`.
    pub fn new(reporter: Reporter) -> Self {
        SkyWalkingLayer {
            reporter: Some(reporter),
        }
    }

    fn reporter(&self) -> Option<Reporter> {
        match &self.reporter {
            Some(r) => Some(r.clone()),
            None => crate::sync::read(process_reporter()).clone(),
        }
    }
}

/// A layer that reports to the process's reporter ([`set_reporter`]; the application sets
/// it from the config), and records nothing while there is none.
pub fn layer() -> SkyWalkingLayer {
    SkyWalkingLayer { reporter: None }
}

fn process_reporter() -> &'static RwLock<Option<Reporter>> {
    static REPORTER: RwLock<Option<Reporter>> = RwLock::new(None);
    &REPORTER
}

/// Sets the reporter of [`layer()`]s (`None`: they stop recording).
pub fn set_reporter(reporter: Option<Reporter>) {
    *crate::sync::write(process_reporter()) = reporter;
}

/// The reporter of [`layer()`]s.
pub fn current_reporter() -> Option<Reporter> {
    crate::sync::read(process_reporter()).clone()
}

/// Whether the current `tracing` subscriber has a [`SkyWalkingLayer`].
pub fn layer_installed() -> bool {
    tracing::dispatcher::get_default(|d| d.downcast_ref::<SkyWalkingLayer>().is_some())
}

/// A tars span as the layer keeps it, in the span's extensions.
enum Tracked {
    /// A request's span, or a call's made outside any request, before its trace context is
    /// known (it comes right after the span is made, through [`span_context`]): whether the
    /// segment is reported, what it continues.
    Pending(Reporter, SpanFields),
    /// A span of a reported segment.
    Sampled(Arc<Segment>, SpanFields),
    /// A span of a trace that is not reported: the calls made within it are not either.
    Unsampled,
}

/// What a span records, from its fields.
struct SpanFields {
    kind: SpanType,
    span_id: i32,
    parent_span_id: i32,
    start: i64,
    service: String,
    method: String,
    /// `client.address` of a server span, `server.address` of a client span.
    host: String,
    port: Option<u64>,
    code: Option<i64>,
    dyed: Option<String>,
    /// An HTTP request's own fields (an `http.server` span).
    http: Option<Box<HttpFields>>,
}

/// What an `http.server` span records beyond the fields all spans share.
#[derive(Default)]
struct HttpFields {
    method: String,
    path: String,
    /// The `Host` the request named (`server.address`).
    host: String,
    status: Option<u64>,
}

impl SpanFields {
    fn new(kind: SpanType, http: bool) -> Self {
        SpanFields {
            http: http.then(Box::default),
            kind,
            span_id: 0,
            parent_span_id: -1,
            start: now_ms(),
            service: String::new(),
            method: String::new(),
            host: String::new(),
            port: None,
            code: None,
            dyed: None,
        }
    }

    fn operation(&self) -> String {
        match &self.http {
            Some(http) => format!("/{}{}", http.method, http.path),
            None => format!("{}/{}", self.service, self.method),
        }
    }

    /// The tags, error flag and logs of the span as it ends.
    fn outcome(&self) -> (Vec<KeyStringValuePair>, bool, Vec<Log>) {
        let Some(http) = &self.http else {
            let mut tags = vec![
                tag("rpc.service", self.service.clone()),
                tag("rpc.method", self.method.clone()),
            ];
            if let Some(code) = self.code {
                tags.push(tag("tars.return_code", code.to_string()));
            }
            if let Some(dye) = &self.dyed {
                tags.push(tag("tars.dyed", dye.clone()));
            }
            return (tags, self.code.is_some_and(|c| c != 0), Vec::new());
        };
        let mut tags = vec![
            tag("http.method", http.method.clone()),
            tag("url", format!("{}{}", http.host, http.path)),
        ];
        if let Some(status) = http.status {
            tags.push(tag("status_code", status.to_string()));
        }
        if let Some(dye) = &self.dyed {
            tags.push(tag("tars.dyed", dye.clone()));
        }
        let error = http.status.is_some_and(|s| s >= 400);
        // go2sky's `span.Error(time, "Error on handling request")`: a log whose one pair is
        // that text as its key.
        let logs = if error {
            vec![Log {
                time: now_ms(),
                data: vec![tag("Error on handling request", String::new())],
            }]
        } else {
            Vec::new()
        };
        (tags, error, logs)
    }

    fn layer_and_component(&self) -> (SpanLayer, i32) {
        match self.http {
            Some(_) => (SpanLayer::Http, HTTP_COMPONENT_ID),
            None => (SpanLayer::RpcFramework, COMPONENT_ID),
        }
    }
}

struct Visitor<'a> {
    fields: &'a mut SpanFields,
    /// The span id a client span records: its call's `sw8` is written next.
    span_id: Option<String>,
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if let Some(http) = &mut self.fields.http {
            match field.name() {
                "http.request.method" => return http.method = value.to_string(),
                "url.path" => return http.path = value.to_string(),
                "server.address" => return http.host = value.to_string(),
                _ => {}
            }
        }
        match field.name() {
            "rpc.service" => self.fields.service = value.to_string(),
            "rpc.method" => self.fields.method = value.to_string(),
            "server.address" | "client.address" => self.fields.host = value.to_string(),
            "tars.dyed" => self.fields.dyed = Some(value.to_string()),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if let Some(http) = &mut self.fields.http {
            match field.name() {
                "http.response.status_code" => return http.status = Some(value),
                // The span's peer is the client, as a TARS request's.
                "server.port" => return,
                _ => {}
            }
        }
        match field.name() {
            "server.port" | "client.port" => self.fields.port = Some(value),
            "tars.return_code" => self.fields.code = i64::try_from(value).ok(),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        match field.name() {
            "server.port" | "client.port" => self.fields.port = u64::try_from(value).ok(),
            "tars.return_code" => self.fields.code = Some(value),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "client.address" | "server.address" => self.fields.host = format!("{value:?}"),
            "span_id" => self.span_id = Some(format!("{value:?}")),
            _ => {}
        }
    }
}

/// One segment being built: its spans as they end, reported when the last one does.
struct Segment {
    reporter: Reporter,
    id: String,
    trace_id: OnceLock<String>,
    /// The operation of its first span: the endpoint the next hop names as its parent's.
    endpoint: String,
    refs: Mutex<Vec<SegmentReference>>,
    next_span: AtomicI32,
    open: AtomicUsize,
    spans: Mutex<Vec<SpanObject>>,
}

impl Segment {
    /// A segment whose first span is `first`.
    fn open(
        reporter: Reporter,
        first: &SpanFields,
        trace_id: Option<String>,
        refs: Vec<SegmentReference>,
    ) -> Arc<Self> {
        let segment = Segment {
            reporter,
            id: new_id(),
            trace_id: OnceLock::new(),
            endpoint: first.operation(),
            refs: Mutex::new(refs),
            next_span: AtomicI32::new(1),
            open: AtomicUsize::new(1),
            spans: Mutex::new(Vec::new()),
        };
        if let Some(t) = trace_id {
            let _ = segment.trace_id.set(t);
        }
        Arc::new(segment)
    }

    /// A span joining the segment (a call made within its request).
    fn join(&self) -> i32 {
        self.open.fetch_add(1, Ordering::Relaxed);
        self.next_span.fetch_add(1, Ordering::Relaxed)
    }

    fn trace_id(&self) -> &str {
        self.trace_id.get_or_init(new_id)
    }

    /// `span` ended; the segment goes to the reporter with its last span.
    fn end(&self, span: SpanFields) {
        let peer = match (span.host.is_empty(), span.port) {
            (true, _) => String::new(),
            (false, Some(port)) => format!("{}:{port}", span.host),
            (false, None) => span.host.clone(),
        };
        let (tags, is_error, logs) = span.outcome();
        let (layer, component) = span.layer_and_component();
        let object = SpanObject {
            span_id: span.span_id,
            parent_span_id: span.parent_span_id,
            start_time: span.start,
            end_time: now_ms(),
            refs: Vec::new(),
            operation_name: span.operation(),
            peer,
            span_type: span.kind as i32,
            span_layer: layer as i32,
            component_id: component,
            is_error,
            tags,
            logs,
            skip_analysis: false,
        };
        crate::sync::lock(&self.spans).push(object);
        if self.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.report();
        }
    }

    fn report(&self) {
        let mut spans = std::mem::take(&mut *crate::sync::lock(&self.spans));
        spans.sort_by_key(|s| s.span_id);
        if let Some(first) = spans.first_mut() {
            first.refs = std::mem::take(&mut *crate::sync::lock(&self.refs));
        }
        self.reporter.send(SegmentObject {
            trace_id: self.trace_id().to_string(),
            trace_segment_id: self.id.clone(),
            spans,
            service: self.reporter.inner.service.clone(),
            service_instance: self.reporter.inner.instance.clone(),
            is_size_limited: false,
        });
    }
}

fn tag(key: &str, value: String) -> KeyStringValuePair {
    KeyStringValuePair {
        key: key.to_string(),
        value,
    }
}

/// The CrossProcess reference to the caller's segment that `sw8` names.
fn reference(sw8: &Sw8) -> SegmentReference {
    SegmentReference {
        ref_type: RefType::CrossProcess as i32,
        trace_id: sw8.trace_id.clone(),
        parent_trace_segment_id: sw8.parent_segment_id.clone(),
        parent_span_id: sw8.parent_span_id,
        parent_service: sw8.parent_service.clone(),
        parent_service_instance: sw8.parent_instance.clone(),
        parent_endpoint: sw8.parent_endpoint.clone(),
        network_address_used_at_peer: sw8.address.clone(),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A segment id, or the trace id of a trace SkyWalking hears of first here: 32 hex digits.
fn new_id() -> String {
    format!(
        "{:016x}{:016x}",
        crate::random::random_u64(),
        crate::random::random_u64()
    )
}

impl Tracked {
    /// A pending span learns its trace context: its segment starts (and refers to the
    /// caller's, from `sw8`), or the trace is not reported.
    fn resolve(&mut self, trace: Option<&TraceContext>) {
        let Tracked::Pending(reporter, _) = self else {
            return;
        };
        // go2sky reports a trace that came sampled in sw8 whatever its own sampler says.
        let sampled = match trace {
            Some(t) if t.sw8.is_some() && t.sampled => true,
            Some(t) if !t.sampled => {
                reporter.inner.counters.sampled_out.fetch_add(1, Ordering::Relaxed);
                false
            }
            _ => reporter.sample(),
        };
        let Tracked::Pending(reporter, fields) = std::mem::replace(self, Tracked::Unsampled) else {
            return;
        };
        if !sampled {
            return;
        }
        let sw8 = trace.and_then(|t| t.sw8.as_deref());
        let trace_id = match (sw8, trace) {
            (Some(s), _) => Some(s.trace_id.clone()),
            (None, Some(t)) => Some(t.trace_id.to_string()),
            (None, None) => None,
        };
        let refs = sw8.map(reference).into_iter().collect();
        let segment = Segment::open(reporter, &fields, trace_id, refs);
        *self = Tracked::Sampled(segment, fields);
    }
}

/// A call's exit span, between the ids its span records and the `sw8` its request carries
/// (both on the thread that makes the call, one right after the other).
struct Exit {
    span_id: SpanId,
    segment: Arc<Segment>,
    exit_span: i32,
}

thread_local! {
    static EXIT: RefCell<Option<Exit>> = const { RefCell::new(None) };
}

impl<S> Layer<S> for SkyWalkingLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let (kind, http) = match attrs.metadata().name() {
            SERVER_SPAN => (SpanType::Entry, false),
            HTTP_SERVER_SPAN => (SpanType::Entry, true),
            CLIENT_SPAN => (SpanType::Exit, false),
            _ => return,
        };
        let Some(reporter) = self.reporter() else {
            return;
        };
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut fields = SpanFields::new(kind, http);
        attrs.record(&mut Visitor {
            fields: &mut fields,
            span_id: None,
        });
        let tracked = if kind == SpanType::Entry {
            Tracked::Pending(reporter, fields)
        } else {
            // The segment of the nearest tars span above (the request the call is made in).
            let parent = span.scope().skip(1).find(|s| s.extensions().get::<Tracked>().is_some());
            match parent {
                Some(parent) => {
                    let mut ext = parent.extensions_mut();
                    match ext.get_mut::<Tracked>() {
                        Some(t) => {
                            t.resolve(None);
                            match t {
                                Tracked::Sampled(segment, above) => {
                                    fields.span_id = segment.join();
                                    fields.parent_span_id = above.span_id;
                                    Tracked::Sampled(segment.clone(), fields)
                                }
                                _ => Tracked::Unsampled,
                            }
                        }
                        None => Tracked::Unsampled,
                    }
                }
                // A segment of its own, decided with the call's context.
                None => Tracked::Pending(reporter, fields),
            }
        };
        span.extensions_mut().insert(tracked);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut ext = span.extensions_mut();
        let (segment, fields) = match ext.get_mut::<Tracked>() {
            Some(Tracked::Sampled(segment, fields)) => (Some(segment), fields),
            Some(Tracked::Pending(_, fields)) => (None, fields),
            _ => return,
        };
        let mut visitor = Visitor { fields, span_id: None };
        values.record(&mut visitor);
        let (Some(segment), SpanType::Exit) = (segment, visitor.fields.kind) else {
            return;
        };
        let exit_span = visitor.fields.span_id;
        if let Some(span_id) = visitor.span_id.as_deref().and_then(SpanId::from_hex) {
            let exit = Exit {
                span_id,
                segment: segment.clone(),
                exit_span,
            };
            EXIT.with(|e| *e.borrow_mut() = Some(exit));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let tracked = span.extensions_mut().remove::<Tracked>();
        match tracked {
            Some(Tracked::Sampled(segment, fields)) => segment.end(fields),
            Some(mut pending @ Tracked::Pending(..)) => {
                pending.resolve(None);
                if let Tracked::Sampled(segment, fields) = pending {
                    segment.end(fields);
                }
            }
            _ => {}
        }
    }
}

/// Called by the trace floor when a span has been given its trace context: a request's
/// span starts its segment.
pub(crate) fn span_context(span: &tracing::Span, trace: Option<&TraceContext>) {
    span.with_subscriber(|(id, dispatch)| {
        if dispatch.downcast_ref::<SkyWalkingLayer>().is_none() {
            return;
        }
        let Some(registry) = dispatch.downcast_ref::<tracing_subscriber::Registry>() else {
            return;
        };
        if let Some(data) = registry.span_data(id) {
            if let Some(tracked) = data.extensions_mut().get_mut::<Tracked>() {
                tracked.resolve(trace);
            }
        }
    });
}

/// The `sw8` of the call whose span is `ctx.span_id`, when its exit span is reported: this
/// segment's trace, its id, the exit span's, this service and instance, the segment's
/// endpoint and the address called (`peer`). `None` for a call SkyWalking does not record.
pub(crate) fn exit_sw8(ctx: &TraceContext, peer: Option<&str>) -> Option<String> {
    let exit = EXIT.with(|e| e.borrow_mut().take())?;
    if exit.span_id != ctx.span_id {
        return None;
    }
    let segment = &exit.segment;
    let inner = &segment.reporter.inner;
    Some(super::base64::encode_sw8(
        true,
        segment.trace_id(),
        &segment.id,
        exit.exit_span,
        &inner.service,
        &inner.instance,
        &segment.endpoint,
        peer.unwrap_or_default(),
    ))
}
