//! TarsWeb's call chain ("tars-trace"): within a TARS trace (`STATUS_TRACE_KEY` with the
//! TRACE flag), every call and request writes one line per span event to the remote log
//! `_t_trace_`, which tarslog turns into the call-chain view, exactly as TarsGo's
//! `tars.Trace` and TarsCpp's `TARS_TRACE` write them:
//!
//! ```text
//! 2026-12-03 17:00:00|f-<trace>|<span>|<parent>|cs|App.Server|App.Other.Obj|func|1764781200123|0|<base64 params>|
//! ```
//!
//! - a call (client side) writes `cs` when it is sent and `cr` when its reply comes, keyed
//!   `trace|span|parent` (its own span, and the span of the request it is made in, or its
//!   own for a call that starts the trace);
//! - a request (server side) writes `sr` when it is received and `ss` when it is answered,
//!   keyed `trace|<caller's span>|*` (a TARS server's span is its caller's);
//! - the client field is this process's module (`App.Server`), the server field the object
//!   called; the time is in ms; the return code is the call's (0 for `cs`, `sr` and `ss`, as
//!   TarsGo writes them);
//! - the trace type (the hex digit before the trace id's `-`, and an optional `.KB` after it)
//!   says which events log their parameters, bit by bit from low to high: `cs`, `cr`, `sr`,
//!   `ss`; parameters longer than `trace_param_max_len` KB (1 by default, or the trace's own)
//!   log `{"trace_param_over_max_len":true}` instead. A request's parameters are a JSON
//!   object by parameter name (the return value under `tars_ret`); a call's, which the
//!   runtime sees encoded, are the TARS fields by tag (`{"1":…,"2":…}`).
//!
//! Lines go to a [`ChainLog`]: the framework wing gives the server and the communicator of
//! an application whose config names tarslog one that sends them there. Without one nothing
//! is formatted.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};

use super::{Formats, TraceContext};
use crate::codec::{Reader, TypeCode};

/// The remote log the lines go to.
pub const CHAIN_LOG: &str = "_t_trace_";

/// A span event of the call chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annotation {
    /// Client send (`cs`).
    ClientSend,
    /// Client receive (`cr`).
    ClientReceive,
    /// Server receive (`sr`).
    ServerReceive,
    /// Server send (`ss`).
    ServerSend,
}

impl Annotation {
    fn code(self) -> &'static str {
        match self {
            Annotation::ClientSend => "cs",
            Annotation::ClientReceive => "cr",
            Annotation::ServerReceive => "sr",
            Annotation::ServerSend => "ss",
        }
    }

    /// The trace type's bit that asks for this event's parameters.
    fn bit(self) -> u8 {
        match self {
            Annotation::ClientSend => 1,
            Annotation::ClientReceive => 2,
            Annotation::ServerReceive => 4,
            Annotation::ServerSend => 8,
        }
    }
}

/// Where call-chain lines go (each a whole line, `\n` included).
pub trait ChainSink: Send + Sync + 'static {
    /// Takes one line.
    fn write(&self, line: String);
}

/// Where one server's or communicator's call-chain lines go, and the module they name as
/// the client (`modulename`, or `App.Server`).
pub struct ChainLog {
    sink: Arc<dyn ChainSink>,
    module: String,
}

impl ChainLog {
    /// Lines naming `module` to `sink`.
    pub fn new(module: impl Into<String>, sink: Arc<dyn ChainSink>) -> Self {
        ChainLog {
            sink,
            module: module.into(),
        }
    }
}

impl std::fmt::Debug for ChainLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainLog").field("module", &self.module).finish()
    }
}

static PARAM_MAX_KB: AtomicUsize = AtomicUsize::new(1);
static LOCAL_IP: RwLock<String> = RwLock::new(String::new());

/// `trace_param_max_len` (KB): longer parameters are not logged (process-wide, as TarsGo
/// has it).
pub fn set_param_max_len(kb: usize) {
    PARAM_MAX_KB.store(kb, Ordering::Relaxed);
}

/// This host's IP, as client spans tag themselves (`client.ipv4`).
pub fn set_local_ip(ip: &str) {
    *crate::sync::write(&LOCAL_IP) = ip.to_string();
}

/// This host's IP, if the process said.
pub(crate) fn local_ip() -> Option<String> {
    let ip = crate::sync::read(&LOCAL_IP);
    (!ip.is_empty()).then(|| ip.clone())
}

/// The call-chain keys of one traced call or request, and where its lines go.
#[derive(Debug, Clone)]
pub(crate) struct ChainSpan {
    log: Arc<ChainLog>,
    trace: String,
    span: String,
    parent: String,
    trace_type: u8,
    max_kb: usize,
}

impl ChainSpan {
    fn of(ctx: &TraceContext) -> Option<(&str, u8, usize)> {
        if !ctx.formats.contains(Formats::TARS) {
            return None;
        }
        let trace = ctx.tars_trace_id.as_deref()?;
        // `f-…`, or `f.2-…` (hex type, then the trace's own limit in KB).
        let flags = trace.split_once('-').map_or("", |(f, _)| f);
        let mut parts = flags.split('.');
        let trace_type = parts.next().and_then(|t| u8::from_str_radix(t, 16).ok()).unwrap_or(0);
        let trace_type = if trace_type > 15 { 0 } else { trace_type };
        let global = PARAM_MAX_KB.load(Ordering::Relaxed);
        let max_kb = parts
            .next()
            .and_then(|l| l.parse().ok())
            .map_or(global, |own: usize| own.max(global));
        Some((trace, trace_type, max_kb))
    }

    /// For a call whose context (its span the call's) is `ctx`, logged to `log`. Boxed: the
    /// call's future holds it while the call runs, and should not grow by it when untraced.
    pub(crate) fn client(ctx: &TraceContext, log: &Arc<ChainLog>) -> Option<Box<ChainSpan>> {
        let (trace, trace_type, max_kb) = Self::of(ctx)?;
        let span = ctx.span_id.to_string();
        Some(Box::new(ChainSpan {
            log: log.clone(),
            trace: trace.to_string(),
            parent: ctx.tars_parent.as_deref().map_or_else(|| span.clone(), str::to_string),
            span,
            trace_type,
            max_kb,
        }))
    }

    /// For a request served in `ctx` (which keeps the caller's TARS span), logged to `log`.
    pub(crate) fn server(ctx: &TraceContext, log: &Arc<ChainLog>) -> Option<Box<ChainSpan>> {
        let (trace, trace_type, max_kb) = Self::of(ctx)?;
        Some(Box::new(ChainSpan {
            log: log.clone(),
            trace: trace.to_string(),
            span: ctx
                .tars_parent
                .as_deref()
                .map_or_else(|| ctx.span_id.to_string(), str::to_string),
            parent: "*".into(),
            trace_type,
            max_kb,
        }))
    }

    /// Whether event `a` logs its parameters.
    pub(crate) fn wants_params(&self, a: Annotation) -> bool {
        self.trace_type & a.bit() != 0
    }

    /// Writes the line of event `a` at `at_ms` (ms since the epoch); `params` (JSON) is
    /// logged if the trace type asks for it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn log(&self, a: Annotation, at_ms: u64, server: &str, function: &str, ret: i32, params: Option<&str>) {
        let data = match params {
            Some(p) if self.wants_params(a) => {
                if p.len() > self.max_kb.saturating_mul(1024) {
                    r#"{"trace_param_over_max_len":true}"#
                } else {
                    p
                }
            }
            _ => "",
        };
        let (span, parent) = (&self.span, &self.parent);
        let key = format!("{}|{span}|{parent}", self.trace);
        let module = &self.log.module;
        let time = chrono::Local::now().format("%Y-%m-%d %H:%M:%S");
        self.log.sink.write(format!(
            "{time}|{key}|{}|{module}|{server}|{function}|{at_ms}|{ret}|{}|\n",
            a.code(),
            super::base64::base64_encode(data.as_bytes()),
        ));
    }
}

impl ChainSpan {
    /// Writes event `a` of a call now, its parameters rendered from the TARS-encoded `body`
    /// when the trace asks for them.
    pub(crate) fn log_call(&self, a: Annotation, server: &str, function: &str, ret: i32, body: &[u8]) {
        let params = self.wants_params(a).then(|| fields_json(body)).flatten();
        self.log(a, now_ms(), server, function, ret, params.as_deref());
    }
}

/// Now, in ms since the epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A call's TARS-encoded fields as a JSON object keyed by tag, for the call chain (the
/// runtime does not know a call's parameter names). Structs are objects keyed by tag too,
/// byte vectors base64 strings; `None` if the bytes do not decode.
pub(crate) fn fields_json(body: &[u8]) -> Option<String> {
    let mut r = Reader::new(body);
    let mut fields = Map::new();
    while r.remaining() > 0 {
        let head = r.read_head().ok()?;
        fields.insert(head.tag.to_string(), value(&mut r, head.ty, 0)?);
    }
    serde_json::to_string(&Value::Object(fields)).ok()
}

fn value(r: &mut Reader<'_>, ty: TypeCode, depth: u8) -> Option<Value> {
    if depth > 32 {
        return None;
    }
    Some(match ty {
        TypeCode::Int1 | TypeCode::Int2 | TypeCode::Int4 | TypeCode::Int8 | TypeCode::Zero => {
            Value::from(r.read_int(ty, TypeCode::Int8, "int").ok()?)
        }
        TypeCode::Float => Value::from(r.read_f32(ty).ok()?),
        TypeCode::Double => Value::from(r.read_f64(ty).ok()?),
        TypeCode::String1 | TypeCode::String4 => {
            Value::from(String::from_utf8_lossy(r.read_string_bytes(ty).ok()?).into_owned())
        }
        TypeCode::SimpleList => {
            let encoded = match r.read_byte_vec(ty).ok()? {
                crate::codec::ByteVec::Borrowed(b) => super::base64::base64_encode(b),
                crate::codec::ByteVec::Owned(b) => super::base64::base64_encode(&b),
            };
            Value::from(encoded)
        }
        TypeCode::List => {
            let n = r.read_len(1).ok()?;
            let mut items = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                let t = r.read_element_head().ok()?;
                items.push(value(r, t, depth + 1)?);
            }
            Value::Array(items)
        }
        TypeCode::Map => {
            let n = r.read_len(2).ok()?;
            let mut pairs = Map::new();
            for _ in 0..n {
                let kt = r.read_element_head().ok()?;
                let k = value(r, kt, depth + 1)?;
                let vt = r.read_head_with_tag(1).ok()?;
                let v = value(r, vt, depth + 1)?;
                let key = match k {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                pairs.insert(key, v);
            }
            Value::Object(pairs)
        }
        TypeCode::StructBegin => {
            let mut fields = Map::new();
            loop {
                let head = r.read_head().ok()?;
                if head.ty == TypeCode::StructEnd {
                    break;
                }
                fields.insert(head.tag.to_string(), value(r, head.ty, depth + 1)?);
            }
            Value::Object(fields)
        }
        TypeCode::StructEnd => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::TarsEncode;
    use crate::trace::{SpanId, TraceId};
    use std::sync::Mutex;

    #[derive(Default)]
    struct Lines(Mutex<Vec<String>>);

    impl ChainSink for Lines {
        fn write(&self, line: String) {
            self.0.lock().unwrap().push(line);
        }
    }

    #[test]
    fn keys_types_and_parameters_follow_tarsgo() {
        let lines = Arc::new(Lines::default());
        let log = Arc::new(ChainLog::new("TestApp.Front", lines.clone()));
        // A request from TarsGo: trace type f (all parameters), the caller's span as TarsGo
        // writes it (32 hex digits).
        let mut here = TraceContext::new(TraceId(7), SpanId(9), true);
        here.tars_trace_id = Some("f-0af7651916cd43dd8448eb211c80319c".into());
        here.tars_parent = Some("030019ac000010796162bc5900000021".into());
        here.formats = Formats::TARS;
        let server = ChainSpan::server(&here, &log).unwrap();
        server.log(
            Annotation::ServerReceive,
            1000,
            "TestApp.Front.Obj",
            "hello",
            0,
            Some(r#"{"s":"x"}"#),
        );
        let call = here.child();
        let client = ChainSpan::client(&call, &log).unwrap();
        client.log(Annotation::ClientReceive, 1001, "TestApp.Back.Obj", "get", -7, None);
        // Type 4 (server receive only) and a trace of its own limit: 0 KB.
        let mut narrow = here.clone();
        narrow.tars_trace_id = Some("4.0-0af7651916cd43dd8448eb211c80319c".into());
        let s = ChainSpan::server(&narrow, &log).unwrap();
        assert!(s.wants_params(Annotation::ServerReceive) && !s.wants_params(Annotation::ServerSend));
        s.log(Annotation::ServerReceive, 1002, "O", "f", 0, Some("{}"));
        // Outside a TARS trace, nothing.
        let mut w3c_only = here.clone();
        w3c_only.formats = Formats::W3C;
        assert!(ChainSpan::server(&w3c_only, &log).is_none());

        let lines = lines.0.lock().unwrap();
        let fields: Vec<Vec<&str>> = lines.iter().map(|l| l.trim_end().split('|').collect()).collect();
        let after_time = |i: usize| fields[i][1..].to_vec();
        assert_eq!(
            after_time(0),
            [
                "f-0af7651916cd43dd8448eb211c80319c",
                "030019ac000010796162bc5900000021",
                "*",
                "sr",
                "TestApp.Front",
                "TestApp.Front.Obj",
                "hello",
                "1000",
                "0",
                &super::super::base64::base64_encode(br#"{"s":"x"}"#),
                ""
            ]
        );
        assert_eq!(
            after_time(1),
            [
                "f-0af7651916cd43dd8448eb211c80319c",
                &call.span_id.to_string(),
                "030019ac000010796162bc5900000021",
                "cr",
                "TestApp.Front",
                "TestApp.Back.Obj",
                "get",
                "1001",
                "-7",
                "",
                ""
            ]
        );
        // The trace's own limit is below the global one (1 KB): the global one applies.
        assert_eq!(fields[2][10], super::super::base64::base64_encode(b"{}"));
        assert!(
            lines.iter().all(|l| l.ends_with("|\n")),
            "tarslog splits lines at `|\\n`"
        );
    }

    #[test]
    fn call_fields_render_by_tag() {
        let mut b = bytes::BytesMut::new();
        "hi".to_string().encode(1, &mut b);
        7i32.encode(2, &mut b);
        vec![1i64, 2].encode(3, &mut b);
        std::collections::BTreeMap::from([("k".to_string(), 1.5f64)]).encode(4, &mut b);
        bytes::Bytes::from_static(b"\x01\x02").encode(5, &mut b);
        assert_eq!(
            fields_json(&b).unwrap(),
            r#"{"1":"hi","2":7,"3":[1,2],"4":{"k":1.5},"5":"AQI="}"#
        );
        assert!(fields_json(b"\xff\xff").is_none());
    }
}
