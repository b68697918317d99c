//! The `tracing` spans of calls, with OpenTelemetry's RPC conventions as fields
//! (`rpc.system`, `rpc.service`, `rpc.method`, addresses, `otel.name`/`otel.kind` for
//! `tracing-opentelemetry`) and the TARS ones (`tars.request_id`, `tars.message_type`,
//! `tars.return_code`, `tars.dyed`). Without a subscriber they cost one check of an atomic.

use std::net::SocketAddr;

use tracing::field::Empty;
use tracing::Span;

use super::TraceContext;

/// The span of a request a server serves; its trace context follows ([`record_context`]).
pub(crate) fn server_span(
    servant: &str,
    function: &str,
    peer: SocketAddr,
    request_id: i32,
    message_type: i32,
    parent_span_id: Option<super::SpanId>,
    dyed: Option<&str>,
) -> Span {
    let span = tracing::info_span!(
        "tars.server",
        otel.name = %format_args!("{servant}/{function}"),
        otel.kind = "server",
        otel.status_code = Empty,
        rpc.system = "tars",
        rpc.service = servant,
        rpc.method = function,
        client.address = %peer.ip(),
        client.port = peer.port(),
        client.ipv4 = Empty,
        tars.interface = servant,
        tars.method = function,
        tars.protocol = Empty,
        tars.request_id = request_id,
        tars.message_type = message_type,
        tars.return_code = Empty,
        tars.dyed = Empty,
        trace_id = Empty,
        span_id = Empty,
        parent_span_id = Empty,
    );
    record_parent_and_dye(&span, parent_span_id, dyed);
    span
}

/// The span of a call a client makes; its trace context follows ([`record_context`]).
pub(crate) fn client_span(
    servant: &str,
    function: &str,
    message_type: i32,
    parent_span_id: Option<super::SpanId>,
    dyed: Option<&str>,
) -> Span {
    let span = tracing::info_span!(
        "tars.client",
        otel.name = %format_args!("{servant}/{function}"),
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "tars",
        rpc.service = servant,
        rpc.method = function,
        server.address = Empty,
        server.port = Empty,
        client.ipv4 = Empty,
        tars.interface = servant,
        tars.method = function,
        tars.protocol = Empty,
        tars.client.version = concat!("tars-rs/", env!("CARGO_PKG_VERSION")),
        tars.request_id = Empty,
        tars.message_type = message_type,
        tars.return_code = Empty,
        tars.dyed = Empty,
        trace_id = Empty,
        span_id = Empty,
        parent_span_id = Empty,
    );
    record_parent_and_dye(&span, parent_span_id, dyed);
    span
}

/// The span of an HTTP request an HTTP servant serves, with OpenTelemetry's HTTP server
/// fields (`host`: the host the request named, without its port); its trace context follows
/// ([`record_context`]), `http.route` and the status when it is answered
/// ([`record_http_outcome`]).
#[cfg(feature = "http")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn http_server_span(
    method: &str,
    path: &str,
    protocol_version: &str,
    host: Option<&str>,
    peer: SocketAddr,
    server_port: u16,
    parent_span_id: Option<super::SpanId>,
    dyed: Option<&str>,
) -> Span {
    let span = tracing::info_span!(
        "http.server",
        otel.name = method,
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = method,
        http.route = Empty,
        http.response.status_code = Empty,
        url.path = path,
        network.protocol.name = "http",
        network.protocol.version = protocol_version,
        client.address = %peer.ip(),
        client.port = peer.port(),
        server.address = host,
        server.port = server_port,
        tars.dyed = Empty,
        trace_id = Empty,
        span_id = Empty,
        parent_span_id = Empty,
    );
    record_parent_and_dye(&span, parent_span_id, dyed);
    span
}

/// Records an HTTP request's route and status on its span (`otel.name` becomes
/// `METHOD route`); a 5xx status is an error, as the conventions have it for servers.
#[cfg(feature = "http")]
pub(crate) fn record_http_outcome(span: &Span, method: &str, route: &str, status: u16) {
    if span.is_disabled() {
        return;
    }
    span.record("otel.name", format_args!("{method} {route}"));
    span.record("http.route", route);
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
}

/// Records what the zipkin plugin of TarsGo tags its spans with beyond the span's own
/// fields: the request's protocol (`tars`, `tup`, `json`, by `iVersion`), and `client.ipv4`
/// (a server span's caller, a client span's own address when the process knows it).
pub(crate) fn record_zipkin_tags(span: &Span, version: i16, client_ipv4: Option<&str>) {
    if span.is_disabled() {
        return;
    }
    let protocol = match version {
        2 | 3 => "tup",
        5 => "json",
        _ => "tars",
    };
    span.record("tars.protocol", protocol);
    if let Some(ip) = client_ipv4 {
        span.record("client.ipv4", ip);
    }
}

/// Records a call's outcome on its span: the TARS return code, and an error status for
/// anything but success.
pub(crate) fn record_code(span: &Span, code: i32) {
    if span.is_disabled() {
        return;
    }
    span.record("tars.return_code", code);
    if code != 0 {
        span.record("otel.status_code", "ERROR");
    }
}

/// Fills in the fields every kind of span has from the start: the parent, the dye.
fn record_parent_and_dye(span: &Span, parent_span_id: Option<super::SpanId>, dyed: Option<&str>) {
    if span.is_disabled() {
        return;
    }
    if let Some(parent) = parent_span_id {
        span.record("parent_span_id", tracing::field::display(parent));
    }
    if let Some(key) = dyed {
        span.record("tars.dyed", key);
    }
}

/// Gives `span` its trace context once it is final (with OpenTelemetry, the ids are its
/// OpenTelemetry span's, known only after the span is made): the `trace_id` and `span_id`
/// fields, recorded once, and SkyWalking's decision to report the span's segment.
pub(crate) fn record_context(span: &Span, trace: Option<&TraceContext>) {
    if span.is_disabled() {
        return;
    }
    // First: SkyWalking hears of the call's `span_id` below only once it records the span.
    #[cfg(feature = "skywalking")]
    super::skywalking::span_context(span, trace);
    if let Some(t) = trace {
        span.record("trace_id", tracing::field::display(t.trace_id));
        span.record("span_id", tracing::field::display(t.span_id));
    }
}
