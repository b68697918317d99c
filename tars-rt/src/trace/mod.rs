//! Distributed tracing across TARS calls.
//!
//! A call carries its trace context in the request's `status` map, as TARS peers do. A
//! [`Propagator`] reads one format from an incoming request and writes it into an outgoing
//! one; the runtime runs every registered propagator ([`set_propagators`]), by default:
//!
//! - [`W3c`]: `traceparent`/`tracestate`, what TarsGo's OpenTelemetry middleware exchanges;
//! - [`TarsTrace`]: TARS's own `STATUS_TRACE_KEY` (`traceID|spanID`) with the 0x100 TRACE flag,
//!   as TarsGo and TarsCpp write it, so a chain mixing them keeps one trace id;
//! - [`SkyWalking`]: the `sw8` context of SkyWalking agents (go2sky).
//!
//! [`B3`] (Zipkin) is there to register, and HTTP servants read it from request headers.
//!
//! Formats found in a request are continued in the calls its servant makes; a call outside
//! any request starts a trace (W3C) when a `tracing` subscriber records its span. Sampling
//! decisions travel with the context: a sampled-out trace stays sampled out.
//!
//! Every server request and client call is a `tracing` span (`tars.server`, `tars.client`)
//! with the OpenTelemetry RPC conventions as fields; with the `opentelemetry` cargo feature
//! those spans are OpenTelemetry spans whose parent is the caller's (see `otel` (feature `opentelemetry`)).
//! With the `skywalking` cargo feature they can be reported to a SkyWalking OAP as go2sky
//! reports a Go service's (see `skywalking` (feature `skywalking`)).

mod base64;
pub mod chain;
mod ids;
mod propagation;
mod spans;

#[cfg(feature = "opentelemetry")]
pub mod otel;
#[cfg(feature = "skywalking")]
pub mod skywalking;

use std::sync::{Arc, RwLock};

pub use ids::{set_started_formats, started_formats, Formats, SpanId, TraceContext, TraceId};
pub(crate) use propagation::set_sw8_address;
pub use propagation::{
    Carrier, CarrierMut, Propagator, SkyWalking, Sw8, TarsTrace, W3c, B3, B3_FLAGS, B3_PARENT_SPAN_ID, B3_SAMPLED,
    B3_SINGLE, B3_SPAN_ID, B3_TRACE_ID, STATUS_TRACE_KEY, SW8, SW8_CORRELATION, TRACEPARENT, TRACESTATE,
};
pub(crate) use spans::{client_span, record_code, record_context, record_zipkin_tags, server_span};
#[cfg(feature = "http")]
pub(crate) use spans::{http_server_span, record_http_outcome};

type Registered = Arc<[Arc<dyn Propagator>]>;

fn registry() -> &'static RwLock<Registered> {
    static PROPAGATORS: std::sync::OnceLock<RwLock<Registered>> = std::sync::OnceLock::new();
    PROPAGATORS.get_or_init(|| {
        let defaults: Vec<Arc<dyn Propagator>> =
            vec![Arc::new(W3c), Arc::new(TarsTrace), Arc::new(B3), Arc::new(SkyWalking)];
        RwLock::new(defaults.into())
    })
}

/// The propagators every server and client of the process use, in order: the first that
/// finds a context in a request gives the trace and span ids; the others add what they
/// carry.
pub fn set_propagators(propagators: Vec<Arc<dyn Propagator>>) {
    *crate::sync::write(registry()) = propagators.into();
}

/// The propagators in use.
pub fn propagators() -> Arc<[Arc<dyn Propagator>]> {
    crate::sync::read(registry()).clone()
}

/// The trace context of an incoming request, as the propagators read it. Propagators read
/// `status`, so a request with an empty one (most requests, when nothing traces) carries
/// none and costs no look-up.
pub fn extract(carrier: &Carrier<'_>) -> Option<TraceContext> {
    if carrier.status.is_empty() {
        return None;
    }
    let mut found = None;
    for p in propagators().iter() {
        p.extract(carrier, &mut found);
    }
    found
}

/// Writes `ctx` into an outgoing request with every propagator.
pub fn inject(ctx: &TraceContext, carrier: &mut CarrierMut<'_>) {
    for p in propagators().iter() {
        p.inject(ctx, carrier);
    }
}
