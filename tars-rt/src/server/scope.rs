//! The second layer of a request's path (after admission): the scope it is served in. The
//! caller's trace is continued (this server's span a child of the caller's), and what the
//! request passes on to the calls its servant makes ([`Current`]: trace, dye, deadline) is
//! set for the rest of the path. The span is the request's `tracing` span.

use std::sync::Arc;

use crate::context::Current;
use crate::protocol::STATUS_DYED_KEY;
use crate::protocol::TARSMESSAGETYPEDYED;
use crate::trace::{self, TraceContext};

/// The span and the context a request is served in: the caller's trace continued (this
/// server's span its child), its dye, and its deadline.
pub(crate) fn enter(
    packet: &crate::protocol::RequestPacket,
    peer: std::net::SocketAddr,
    received: tokio::time::Instant,
) -> (Arc<Current>, tracing::Span) {
    let carrier = trace::Carrier {
        status: &packet.status,
        message_type: packet.i_message_type,
    };
    let incoming = trace::extract(&carrier);
    let here = incoming.as_ref().map(TraceContext::child);
    let dye = (packet.i_message_type & TARSMESSAGETYPEDYED != 0)
        .then(|| packet.status.get(STATUS_DYED_KEY).cloned())
        .flatten();
    let deadline = (packet.i_timeout > 0).then(|| received + std::time::Duration::from_millis(packet.i_timeout as u64));
    let span = trace::server_span(
        &packet.s_servant_name,
        &packet.s_func_name,
        peer,
        packet.i_request_id,
        packet.i_message_type,
        incoming.as_ref().map(|c| c.span_id),
        dye.as_deref(),
    );
    if !span.is_disabled() {
        let ipv4 = match peer.ip() {
            std::net::IpAddr::V4(ip) => Some(ip.to_string()),
            std::net::IpAddr::V6(_) => None,
        };
        trace::record_zipkin_tags(&span, packet.i_version, ipv4.as_deref());
    }
    #[cfg(feature = "opentelemetry")]
    let here = trace::otel::server_span_context(&span, incoming.as_ref(), here);
    trace::record_context(&span, here.as_ref());
    let current = Current {
        deadline,
        dye,
        trace: here,
    };
    (Arc::new(current), span)
}
