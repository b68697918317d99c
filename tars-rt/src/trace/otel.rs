//! OpenTelemetry (cargo feature `opentelemetry`): with a `tracing-opentelemetry` layer
//! installed, the `tars.server` and `tars.client` spans are OpenTelemetry spans. A server
//! span's parent is the caller's span from the request's trace context (W3C `traceparent`,
//! TARS's trace key or `sw8`, whichever the propagators found), and a client call sends its
//! own span's ids, so a trace passes through TarsGo (its OpenTelemetry middleware reads
//! and writes the same `status` keys) and tars-rs services unbroken.
//!
//! Installing the layer (crates `opentelemetry_sdk`, `tracing-opentelemetry`,
//! `tracing-subscriber`; the package `examples/otel-chain` exports over OTLP):
//!
//! ```ignore
//! use opentelemetry::trace::TracerProvider as _;
//! use tracing_subscriber::layer::SubscriberExt;
//! let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
//! let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("my-service"));
//! tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).unwrap();
//! ```

pub mod metrics;

use std::str::FromStr;

use opentelemetry::trace::{SpanContext, TraceContextExt, TraceFlags, TraceState};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{SpanId, TraceContext, TraceId};

fn to_otel(ctx: &TraceContext) -> SpanContext {
    let flags = if ctx.sampled {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    SpanContext::new(
        opentelemetry::trace::TraceId::from_bytes(ctx.trace_id.0.to_be_bytes()),
        opentelemetry::trace::SpanId::from_bytes(ctx.span_id.0.to_be_bytes()),
        flags,
        true,
        TraceState::from_str(&ctx.tracestate).unwrap_or_default(),
    )
}

/// The ids of `span`'s OpenTelemetry span, carried into `ctx` (which keeps what other
/// formats need); `ctx` as it is when the span is not recorded.
fn with_span_ids(span: &tracing::Span, ctx: Option<TraceContext>) -> Option<TraceContext> {
    let otel = span.context();
    let sc = otel.span().span_context().clone();
    if !sc.is_valid() {
        return ctx;
    }
    let mut ctx = ctx.unwrap_or_else(TraceContext::new_root);
    ctx.trace_id = TraceId(u128::from_be_bytes(sc.trace_id().to_bytes()));
    ctx.span_id = SpanId(u64::from_be_bytes(sc.span_id().to_bytes()));
    ctx.sampled = sc.is_sampled();
    let state = sc.trace_state().header();
    if !state.is_empty() {
        ctx.tracestate = state;
    }
    Some(ctx)
}

/// Makes the caller's span the parent of a server span; the server's context then carries
/// the server span's own ids.
pub(crate) fn server_span_context(
    span: &tracing::Span,
    incoming: Option<&TraceContext>,
    here: Option<TraceContext>,
) -> Option<TraceContext> {
    if span.is_disabled() {
        return here;
    }
    if let Some(caller) = incoming {
        span.set_parent(opentelemetry::Context::new().with_remote_span_context(to_otel(caller)));
    }
    // The ids the calls made here send on, and the span's `trace_id`/`span_id` fields (what
    // log lines carry), are the OpenTelemetry span's, which an APM shows.
    with_span_ids(span, here)
}

/// The context a client call sends: its span's ids (its parent is the span it was made
/// in, the server's when a servant makes it).
pub(crate) fn client_span_context(
    span: &tracing::Span,
    parent: Option<&TraceContext>,
    ctx: Option<TraceContext>,
) -> Option<TraceContext> {
    if span.is_disabled() {
        return ctx;
    }
    // A call made outside any tars span but within a remote context (a batch scoped by
    // `Current::scope`) hangs off that context.
    if let Some(p) = parent {
        if !tracing::Span::current().context().span().span_context().is_valid() {
            span.set_parent(opentelemetry::Context::new().with_remote_span_context(to_otel(p)));
        }
    }
    with_span_ids(span, ctx)
}
