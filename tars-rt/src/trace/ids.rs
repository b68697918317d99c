//! Where a span sits in a trace: the trace and span ids, and the context each trace format
//! needs to continue it. Beneath both [`crate::context`] (a request's context carries its
//! trace) and the propagators and spans of [`super`].

use std::fmt;

use super::Sw8;

/// A 128-bit trace id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId(pub u128);

/// A 64-bit span id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId(pub u64);

impl TraceId {
    /// A random, non-zero id.
    pub fn random() -> Self {
        let id = (u128::from(crate::random::random_u64()) << 64) | u128::from(crate::random::random_u64());
        TraceId(id.max(1))
    }

    /// Parses 32 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        (s.len() == 32)
            .then(|| u128::from_str_radix(s, 16).ok())
            .flatten()
            .map(TraceId)
    }
}

impl SpanId {
    /// A random, non-zero id.
    pub fn random() -> Self {
        SpanId(crate::random::random_u64().max(1))
    }

    /// Parses 16 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        (s.len() == 16)
            .then(|| u64::from_str_radix(s, 16).ok())
            .flatten()
            .map(SpanId)
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

/// Where a span sits in a trace, and what each format needs to continue it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceContext {
    /// The trace.
    pub trace_id: TraceId,
    /// The span: in an incoming request, the caller's; in an outgoing one, the call's.
    pub span_id: SpanId,
    /// Whether the trace is recorded (W3C flag 01, sw8's first field).
    pub sampled: bool,
    /// W3C `tracestate`, passed on as it came.
    pub tracestate: String,
    /// TARS's own trace id (`f-<32 hex>`, with its type prefix), when the trace is a TARS
    /// trace: continued as is.
    pub tars_trace_id: Option<String>,
    /// A SkyWalking context, when the caller sent one.
    pub sw8: Option<Sw8>,
}

impl TraceContext {
    /// The context of span `span_id` in trace `trace_id` (what a [`Propagator`](super::Propagator) reads out of
    /// a request).
    pub fn new(trace_id: TraceId, span_id: SpanId, sampled: bool) -> Self {
        TraceContext {
            trace_id,
            span_id,
            sampled,
            tracestate: String::new(),
            tars_trace_id: None,
            sw8: None,
        }
    }

    /// A new trace, sampled.
    pub fn new_root() -> Self {
        TraceContext {
            trace_id: TraceId::random(),
            span_id: SpanId::random(),
            sampled: true,
            tracestate: String::new(),
            tars_trace_id: None,
            sw8: None,
        }
    }

    /// The same trace, at a new span (a call made from this one).
    pub fn child(&self) -> Self {
        TraceContext {
            span_id: SpanId::random(),
            ..self.clone()
        }
    }

    /// Opens a TARS trace on this context, as TarsGo's `current.OpenTarsTrace` does: calls
    /// carry `STATUS_TRACE_KEY` with the 0x100 flag from here on. `trace_type` is TARS's
    /// 4-bit switch for logging parameters (15: all of them).
    pub fn with_tars_trace(mut self, trace_type: u8) -> Self {
        self.tars_trace_id = Some(format!("{:x}-{}", trace_type & 0xf, self.trace_id));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_as_lowercase_hex_of_fixed_width() {
        assert_eq!(TraceId(0xab).to_string(), format!("{:0>32}", "ab"));
        assert_eq!(SpanId(0xab).to_string(), "00000000000000ab");
        assert_eq!(
            TraceId::from_hex("0af7651916cd43dd8448eb211c80319c")
                .unwrap()
                .to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert!(TraceId::from_hex("0af7").is_none());
        assert_eq!(SpanId::from_hex("b7ad6b7169203331").unwrap().0, 0xb7ad6b7169203331);
    }
}
