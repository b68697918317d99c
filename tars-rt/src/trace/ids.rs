//! Where a span sits in a trace: the trace and span ids, and the context each trace format
//! needs to continue it. Beneath both [`crate::context`] (a request's context carries its
//! trace) and the propagators and spans of [`super`].

use std::fmt;
use std::sync::Arc;

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

/// Writes the low `digits` hex digits of `value`, lowercase, zero-padded: a tenth of what
/// `{:032x}` costs, and ids are written into every traced request's `status` and log line.
fn write_hex(f: &mut fmt::Formatter<'_>, value: u128, digits: usize) -> fmt::Result {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 32];
    for (i, digit) in buf[..digits].iter_mut().enumerate() {
        *digit = HEX[((value >> (4 * (digits - 1 - i))) & 0xf) as usize];
    }
    // Hex digits are ASCII: this never fails.
    f.write_str(std::str::from_utf8(&buf[..digits]).map_err(|_| fmt::Error)?)
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, self.0, 32)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, u128::from(self.0), 16)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

/// The trace context formats a request carries or a call writes: [`W3c`](super::W3c),
/// [`TarsTrace`](super::TarsTrace), [`B3`](super::B3), [`SkyWalking`](super::SkyWalking).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Formats(u8);

impl Formats {
    /// None.
    pub const NONE: Formats = Formats(0);
    /// W3C `traceparent` / `tracestate`.
    pub const W3C: Formats = Formats(1);
    /// TARS's `STATUS_TRACE_KEY` with the TRACE flag (what TarsWeb's call chain follows).
    pub const TARS: Formats = Formats(2);
    /// Zipkin's B3 (`x-b3-*`, or the single `b3`).
    pub const B3: Formats = Formats(4);
    /// SkyWalking's `sw8`.
    pub const SW8: Formats = Formats(8);

    /// What a trace started here writes unless configured otherwise: W3C and TARS.
    pub const STARTED_DEFAULT: Formats = Formats(1 | 2);

    /// Whether every format of `other` is in `self`.
    pub const fn contains(self, other: Formats) -> bool {
        self.0 & other.0 == other.0
    }

    /// `self` and `other`.
    pub const fn with(self, other: Formats) -> Formats {
        Formats(self.0 | other.0)
    }

    /// Whether there is none.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parses a list such as `w3c,tars,b3` (commas or spaces between; case does not matter).
    /// `sw8` is not a format a trace can start in (SkyWalking's ids come from its agent).
    pub fn parse(list: &str) -> Result<Formats, String> {
        let mut formats = Formats::NONE;
        for name in list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|n| !n.is_empty())
        {
            formats = formats.with(match name.to_ascii_lowercase().as_str() {
                "w3c" | "traceparent" => Formats::W3C,
                "tars" => Formats::TARS,
                "b3" | "zipkin" => Formats::B3,
                other => {
                    return Err(format!(
                        "'{other}' is not a trace format a trace can start in (w3c, tars, b3)"
                    ))
                }
            });
        }
        Ok(formats)
    }
}

impl std::str::FromStr for Formats {
    type Err = String;

    fn from_str(s: &str) -> Result<Formats, String> {
        Formats::parse(s)
    }
}

impl fmt::Debug for Formats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = [
            (Formats::W3C, "w3c"),
            (Formats::TARS, "tars"),
            (Formats::B3, "b3"),
            (Formats::SW8, "sw8"),
        ]
        .into_iter()
        .filter(|(f, _)| self.contains(*f))
        .map(|(_, n)| n)
        .collect();
        write!(f, "Formats({})", names.join(","))
    }
}

/// The formats a trace started in this process writes (set from the config's
/// `<client> trace-formats`).
static STARTED: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(Formats::STARTED_DEFAULT.0);

/// Sets the formats a trace started in this process writes (by default W3C and TARS); a
/// continued trace writes the formats it came in.
pub fn set_started_formats(formats: Formats) {
    STARTED.store(formats.0, std::sync::atomic::Ordering::Relaxed);
}

/// The formats a trace started in this process writes.
pub fn started_formats() -> Formats {
    Formats(STARTED.load(std::sync::atomic::Ordering::Relaxed))
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
    /// trace: continued as is. Shared (as the two fields below): every call made in the
    /// trace carries a copy of the context.
    pub tars_trace_id: Option<Arc<str>>,
    /// The TARS span the calls made here hang from, as the caller wrote it (TarsGo's span
    /// ids are 32 hex digits): a TARS server's span is its caller's.
    pub tars_parent: Option<Arc<str>>,
    /// A SkyWalking context, when the caller sent one.
    pub sw8: Option<Arc<Sw8>>,
    /// The formats the trace came in (or, started here, those it starts in): the formats
    /// calls continuing it write.
    pub formats: Formats,
}

impl TraceContext {
    /// The context of span `span_id` in trace `trace_id` (what a [`Propagator`](super::Propagator) reads out of
    /// a request), in no format yet.
    pub fn new(trace_id: TraceId, span_id: SpanId, sampled: bool) -> Self {
        TraceContext {
            trace_id,
            span_id,
            sampled,
            tracestate: String::new(),
            tars_trace_id: None,
            tars_parent: None,
            sw8: None,
            formats: Formats::NONE,
        }
    }

    /// A new trace, sampled, in the formats traces start in here ([`started_formats`]): with
    /// TARS among them, a TARS trace of type 0 (no parameters logged).
    pub fn new_root() -> Self {
        let mut ctx = TraceContext::new(TraceId::random(), SpanId::random(), true);
        ctx.formats = started_formats();
        if ctx.formats.contains(Formats::TARS) {
            ctx = ctx.with_tars_trace(0);
        }
        ctx
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
    /// 4-bit switch for logging parameters in the call chain (bits from low to high: client
    /// send, client receive, server receive, server send; 15: all of them).
    pub fn with_tars_trace(mut self, trace_type: u8) -> Self {
        self.tars_trace_id = Some(format!("{:x}-{}", trace_type & 0xf, self.trace_id).into());
        self.formats = self.formats.with(Formats::TARS);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_started_here_writes_the_started_formats() {
        let root = TraceContext::new_root();
        assert_eq!(root.formats, Formats::W3C.with(Formats::TARS));
        assert_eq!(
            root.tars_trace_id.as_deref(),
            Some(format!("0-{}", root.trace_id).as_str()),
            "type 0: no parameters"
        );
        assert_eq!(Formats::parse("zipkin tars").unwrap(), Formats::B3.with(Formats::TARS));
        assert!(Formats::parse("sw8").is_err());
        assert_eq!(format!("{:?}", Formats::W3C.with(Formats::B3)), "Formats(w3c,b3)");
    }

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
        assert_eq!(TraceId(u128::MAX).to_string(), "f".repeat(32));
        assert_eq!(SpanId(u64::MAX).to_string(), "f".repeat(16));
        assert_eq!(SpanId(0x0123456789abcdef).to_string(), "0123456789abcdef");
        assert!(TraceId::from_hex("0af7").is_none());
        assert_eq!(SpanId::from_hex("b7ad6b7169203331").unwrap().0, 0xb7ad6b7169203331);
    }
}
