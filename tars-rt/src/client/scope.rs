//! What a call inherits from the request being served, and its span: the dye, and the trace
//! (a call within a trace is a child span of the request's; a call outside one starts a
//! trace when its span is recorded), written into the outgoing request's `status`.

use crate::context::Current;
use crate::protocol::STATUS_DYED_KEY;
use crate::protocol::TARSMESSAGETYPEDYED;
use std::sync::Arc;

use crate::trace::chain::{ChainLog, ChainSpan};
use crate::trace::{self, TraceContext};

/// A call leaving a client: what it inherits from the request being served (unless
/// `detached`), written into the outgoing request; the call's span, and its keys in
/// TarsWeb's call chain when it is in a TARS trace and the chain is logged.
pub(crate) fn enter(
    packet: &mut crate::protocol::RequestPacket,
    dye: Option<String>,
    current: Option<&Current>,
    chain: Option<&Arc<ChainLog>>,
) -> (tracing::Span, Option<Box<ChainSpan>>) {
    let dye = dye.or_else(|| current.and_then(|c| c.dye.clone()));
    if let Some(key) = &dye {
        packet.status.insert(STATUS_DYED_KEY.into(), key.clone());
        packet.i_message_type |= TARSMESSAGETYPEDYED;
    }
    let parent = current.and_then(|c| c.trace.as_ref());
    let span = trace::client_span(
        &packet.s_servant_name,
        &packet.s_func_name,
        packet.i_message_type,
        parent.map(|p| p.span_id),
        dye.as_deref(),
    );
    if !span.is_disabled() {
        trace::record_zipkin_tags(&span, packet.i_version, trace::chain::local_ip().as_deref());
    }
    // A call within a trace continues it; a call outside one starts a trace when its span
    // is recorded.
    let ctx = match parent {
        Some(p) => Some(p.child()),
        None if !span.is_disabled() => Some(TraceContext::new_root()),
        None => None,
    };
    #[cfg(feature = "opentelemetry")]
    let ctx = trace::otel::client_span_context(&span, parent, ctx);
    trace::record_context(&span, ctx.as_ref());
    if let Some(ctx) = &ctx {
        let mut carrier = trace::CarrierMut {
            status: &mut packet.status,
            message_type: &mut packet.i_message_type,
            peer: None,
        };
        trace::inject(ctx, &mut carrier);
    }
    let chain = chain
        .zip(ctx.as_ref())
        .and_then(|(log, ctx)| ChainSpan::client(ctx, log));
    (span, chain)
}
