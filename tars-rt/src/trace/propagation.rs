//! Trace context formats in a request's `status` map.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::base64::{base64_decode, base64_encode_into, encode_sw8};
use super::{Formats, SpanId, TraceContext, TraceId};
use crate::protocol::TARSMESSAGETYPETRACE;

/// What an incoming request carries for propagators: its `status` map and `iMessageType`.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Carrier<'a> {
    /// The request's `status`.
    pub status: &'a BTreeMap<String, String>,
    /// The request's `iMessageType` flags.
    pub message_type: i32,
}

impl<'a> Carrier<'a> {
    /// The carrier of a request with `status` and `message_type`.
    pub fn new(status: &'a BTreeMap<String, String>, message_type: i32) -> Self {
        Carrier { status, message_type }
    }
}

/// What an outgoing request offers propagators to write into.
#[derive(Debug)]
#[non_exhaustive]
pub struct CarrierMut<'a> {
    /// The request's `status`.
    pub status: &'a mut BTreeMap<String, String>,
    /// The request's `iMessageType` flags.
    pub message_type: &'a mut i32,
    /// The endpoint the call goes to (`host:port`), when known: SkyWalking records it.
    pub peer: Option<&'a str>,
}

impl<'a> CarrierMut<'a> {
    /// The carrier of an outgoing request's `status` and `message_type`, going to `peer`.
    pub fn new(status: &'a mut BTreeMap<String, String>, message_type: &'a mut i32, peer: Option<&'a str>) -> Self {
        CarrierMut {
            status,
            message_type,
            peer,
        }
    }
}

/// One trace context format (as OpenTelemetry's text-map propagators).
pub trait Propagator: Send + Sync + 'static {
    /// Reads this format from an incoming request. With `found` still `None`, a context in
    /// this format becomes the request's; with `found` set by an earlier propagator, this
    /// one only adds what its format carries beyond the ids.
    fn extract(&self, carrier: &Carrier<'_>, found: &mut Option<TraceContext>);

    /// Writes `ctx` (whose `span_id` is the outgoing call's) into an outgoing request.
    fn inject(&self, ctx: &TraceContext, carrier: &mut CarrierMut<'_>);
}

/// W3C trace context: `traceparent: 00-<trace id>-<span id>-<flags>` and `tracestate`.
#[derive(Debug, Default, Clone, Copy)]
pub struct W3c;

/// The status keys of [`W3c`].
pub const TRACEPARENT: &str = "traceparent";
/// See [`TRACEPARENT`].
pub const TRACESTATE: &str = "tracestate";

impl W3c {
    fn parse(value: &str) -> Option<(TraceId, SpanId, bool)> {
        let mut parts = value.trim().split('-');
        let version = parts.next()?;
        let (trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?);
        let lower_hex = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if version.len() != 2 || version == "ff" || !lower_hex(version) || flags.len() != 2 || !lower_hex(flags) {
            return None;
        }
        if version == "00" && parts.next().is_some() {
            return None;
        }
        if !lower_hex(trace) || !lower_hex(span) {
            return None;
        }
        let (trace, span) = (TraceId::from_hex(trace)?, SpanId::from_hex(span)?);
        if trace.0 == 0 || span.0 == 0 {
            return None;
        }
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some((trace, span, flags & 1 == 1))
    }
}

impl Propagator for W3c {
    fn extract(&self, carrier: &Carrier<'_>, found: &mut Option<TraceContext>) {
        let Some((trace_id, span_id, sampled)) = carrier.status.get(TRACEPARENT).and_then(|v| Self::parse(v)) else {
            return;
        };
        let ctx = found.get_or_insert_with(|| TraceContext::new(trace_id, span_id, sampled));
        ctx.formats = ctx.formats.with(Formats::W3C);
        if let Some(state) = carrier.status.get(TRACESTATE) {
            ctx.tracestate = state.clone();
        }
    }

    fn inject(&self, ctx: &TraceContext, carrier: &mut CarrierMut<'_>) {
        if !ctx.formats.contains(Formats::W3C) {
            return;
        }
        let flags = if ctx.sampled { "01" } else { "00" };
        carrier.status.insert(
            TRACEPARENT.into(),
            format!("00-{}-{}-{flags}", ctx.trace_id, ctx.span_id),
        );
        if !ctx.tracestate.is_empty() {
            carrier.status.insert(TRACESTATE.into(), ctx.tracestate.clone());
        }
    }
}

/// TARS's own trace ("tars-trace"): `status["STATUS_TRACE_KEY"] = "<trace id>|<span id>"` with
/// the TRACE flag (0x100), as TarsGo's `newMessage` and TarsCpp's `checkTrace` write it. The
/// trace id keeps its type prefix (`f-…`); a context that did not come as a TARS trace gets
/// none (see [`TraceContext::with_tars_trace`] to open one).
#[derive(Debug, Default, Clone, Copy)]
pub struct TarsTrace;

/// The status key of [`TarsTrace`].
pub const STATUS_TRACE_KEY: &str = "STATUS_TRACE_KEY";

impl Propagator for TarsTrace {
    fn extract(&self, carrier: &Carrier<'_>, found: &mut Option<TraceContext>) {
        // TarsGo and TarsCpp read the key only with the flag.
        if carrier.message_type & TARSMESSAGETYPETRACE == 0 {
            return;
        }
        let Some(key) = carrier.status.get(STATUS_TRACE_KEY) else {
            return;
        };
        // `trace|span`, or `trace|parent|span` (gateways), where the caller's span is the
        // second field for TarsGo.
        let mut fields = key.split('|');
        let (Some(trace), Some(span)) = (fields.next(), fields.next()) else {
            return;
        };
        if trace.is_empty() {
            return;
        }
        let ctx = found.get_or_insert_with(|| {
            // The id after the type prefix is 32 hex digits from TarsGo and TarsCpp;
            // anything else still makes a stable trace id.
            let bare = trace.split_once('-').map_or(trace, |(_, id)| id);
            TraceContext::new(
                TraceId::from_hex(bare).unwrap_or_else(|| TraceId(hash128(trace))),
                SpanId::from_hex(span)
                    .or_else(|| (!span.is_empty()).then(|| SpanId(hash128(span) as u64)))
                    .unwrap_or_else(SpanId::random),
                true,
            )
        });
        ctx.tars_trace_id = Some(trace.into());
        ctx.tars_parent = (!span.is_empty()).then(|| span.into());
        ctx.formats = ctx.formats.with(Formats::TARS);
    }

    fn inject(&self, ctx: &TraceContext, carrier: &mut CarrierMut<'_>) {
        if !ctx.formats.contains(Formats::TARS) {
            return;
        }
        if let Some(trace) = &ctx.tars_trace_id {
            carrier
                .status
                .insert(STATUS_TRACE_KEY.into(), format!("{trace}|{}", ctx.span_id));
            *carrier.message_type |= TARSMESSAGETYPETRACE;
        }
    }
}

/// Zipkin's B3, in both encodings: the `x-b3-traceid`, `x-b3-spanid`, `x-b3-sampled` and
/// `x-b3-flags` keys (as zipkin-go, and TarsGo's zipkin plugin through it, write them into
/// `status`) and the single `b3: {trace}-{span}[-{sampling}[-{parent}]]`. Extraction reads
/// either (the single key first); injection writes the multi keys.
#[derive(Debug, Default, Clone, Copy)]
pub struct B3;

/// The keys of [`B3`].
pub const B3_SINGLE: &str = "b3";
/// See [`B3_SINGLE`].
pub const B3_TRACE_ID: &str = "x-b3-traceid";
/// See [`B3_SINGLE`].
pub const B3_SPAN_ID: &str = "x-b3-spanid";
/// See [`B3_SINGLE`].
pub const B3_PARENT_SPAN_ID: &str = "x-b3-parentspanid";
/// See [`B3_SINGLE`].
pub const B3_SAMPLED: &str = "x-b3-sampled";
/// See [`B3_SINGLE`].
pub const B3_FLAGS: &str = "x-b3-flags";

impl B3 {
    /// A trace id of 16 or 32 hex digits and a span id of 16, neither all zeros.
    fn ids(trace: &str, span: &str) -> Option<(TraceId, SpanId)> {
        let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
        if !matches!(trace.len(), 16 | 32) || span.len() != 16 || !hex(trace) || !hex(span) {
            return None;
        }
        // A 64-bit trace id is the low half of a 128-bit one (as W3C writes it, zero-padded).
        let trace = TraceId(u128::from_str_radix(trace, 16).ok()?);
        let span = SpanId(u64::from_str_radix(span, 16).ok()?);
        (trace.0 != 0 && span.0 != 0).then_some((trace, span))
    }

    /// The sampling state: `1`/`d` (debug) sampled, `0` not; absent means "decide here",
    /// which continues the trace sampled.
    fn sampled(value: Option<&str>) -> bool {
        !matches!(value.map(str::trim), Some("0" | "false"))
    }

    fn single(value: &str) -> Option<(TraceId, SpanId, bool)> {
        let mut parts = value.trim().split('-');
        let (trace, span) = (parts.next()?, parts.next()?);
        let (trace, span) = Self::ids(trace, span)?;
        Some((trace, span, Self::sampled(parts.next())))
    }

    fn multi(status: &BTreeMap<String, String>) -> Option<(TraceId, SpanId, bool)> {
        let (trace, span) = Self::ids(status.get(B3_TRACE_ID)?.trim(), status.get(B3_SPAN_ID)?.trim())?;
        let debug = status.get(B3_FLAGS).is_some_and(|f| f.trim() == "1");
        Some((
            trace,
            span,
            debug || Self::sampled(status.get(B3_SAMPLED).map(String::as_str)),
        ))
    }
}

impl Propagator for B3 {
    fn extract(&self, carrier: &Carrier<'_>, found: &mut Option<TraceContext>) {
        let ids = carrier
            .status
            .get(B3_SINGLE)
            .and_then(|v| Self::single(v))
            .or_else(|| Self::multi(carrier.status));
        if let Some((trace_id, span_id, sampled)) = ids {
            let ctx = found.get_or_insert_with(|| TraceContext::new(trace_id, span_id, sampled));
            ctx.formats = ctx.formats.with(Formats::B3);
        }
    }

    fn inject(&self, ctx: &TraceContext, carrier: &mut CarrierMut<'_>) {
        if !ctx.formats.contains(Formats::B3) {
            return;
        }
        // A 64-bit trace id goes as 16 digits, as zipkin-go sends it.
        let trace = if ctx.trace_id.0 >> 64 == 0 {
            format!("{:016x}", ctx.trace_id.0)
        } else {
            ctx.trace_id.to_string()
        };
        carrier.status.insert(B3_TRACE_ID.into(), trace);
        carrier.status.insert(B3_SPAN_ID.into(), ctx.span_id.to_string());
        carrier
            .status
            .insert(B3_SAMPLED.into(), if ctx.sampled { "1" } else { "0" }.into());
    }
}

/// SkyWalking's cross-process context (`sw8`), as go2sky encodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sw8 {
    /// The trace id (opaque).
    pub trace_id: String,
    /// The caller's segment.
    pub parent_segment_id: String,
    /// The caller's exit span within its segment.
    pub parent_span_id: i32,
    /// The caller's service.
    pub parent_service: String,
    /// The caller's service instance.
    pub parent_instance: String,
    /// The operation of the caller's entry span.
    pub parent_endpoint: String,
    /// The address the caller used to reach this service.
    pub address: String,
}

/// SkyWalking's `sw8` context: `1-<b64 trace>-<b64 segment>-<span>-<b64 service>-<b64
/// instance>-<b64 endpoint>-<b64 address>` (and an empty `sw8-correlation`). A tars-rs hop
/// continues the trace as a segment of its own named after the trace's span.
#[derive(Debug, Default, Clone, Copy)]
pub struct SkyWalking;

/// The status keys of [`SkyWalking`].
pub const SW8: &str = "sw8";
/// See [`SW8`].
pub const SW8_CORRELATION: &str = "sw8-correlation";

impl SkyWalking {
    fn parse(value: &str) -> Option<(bool, Sw8)> {
        let f: Vec<&str> = value.split('-').collect();
        if f.len() < 8 {
            return None;
        }
        let text = |s: &str| base64_decode(s).and_then(|b| String::from_utf8(b).ok());
        Some((
            f[0] == "1",
            Sw8 {
                trace_id: text(f[1])?,
                parent_segment_id: text(f[2])?,
                parent_span_id: f[3].parse().ok()?,
                parent_service: text(f[4])?,
                parent_instance: text(f[5])?,
                parent_endpoint: text(f[6])?,
                address: text(f[7])?,
            },
        ))
    }
}

impl Propagator for SkyWalking {
    fn extract(&self, carrier: &Carrier<'_>, found: &mut Option<TraceContext>) {
        let Some((sampled, sw8)) = carrier.status.get(SW8).and_then(|v| Self::parse(v)) else {
            return;
        };
        let ctx = found.get_or_insert_with(|| {
            let trace_id = TraceId::from_hex(&sw8.trace_id).unwrap_or_else(|| TraceId(hash128(&sw8.trace_id)));
            TraceContext::new(trace_id, SpanId::random(), sampled)
        });
        ctx.sw8 = Some(Arc::new(sw8));
        ctx.formats = ctx.formats.with(Formats::SW8);
    }

    fn inject(&self, ctx: &TraceContext, carrier: &mut CarrierMut<'_>) {
        // Reported to SkyWalking: the call's own segment and exit span.
        #[cfg(feature = "skywalking")]
        if let Some(value) = super::skywalking::exit_sw8(ctx, carrier.peer) {
            carrier.status.insert(SW8.into(), value);
            carrier.status.entry(SW8_CORRELATION.into()).or_default();
            return;
        }
        let Some(sw8) = &ctx.sw8 else {
            return;
        };
        // Not reported here: the trace's own segment and service pass through, this span as
        // the segment (span 1 of it).
        let value = encode_sw8(
            ctx.sampled,
            &sw8.trace_id,
            &ctx.span_id.to_string(),
            1,
            &sw8.parent_service,
            &sw8.parent_instance,
            &sw8.parent_endpoint,
            carrier.peer.unwrap_or_default(),
        );
        carrier.status.insert(SW8.into(), value);
        carrier.status.entry(SW8_CORRELATION.into()).or_default();
    }
}

/// Writes `address` (`host:port`, the endpoint a call goes to, known only once it is routed)
/// as the network address of the request's `sw8`, when a propagator wrote one without it: the
/// next hop's segment refers to it, as go2sky writes the peer it called.
pub(crate) fn set_sw8_address(status: &mut BTreeMap<String, String>, address: impl FnOnce() -> String) {
    // Only the sw8 a propagator wrote with the address left empty (the caller's own stays).
    if let Some(value) = status.get_mut(SW8).filter(|v| v.ends_with('-')) {
        base64_encode_into(value, address().as_bytes());
    }
}

/// A stable 128-bit hash (FNV-1a), for ids that are not hex.
fn hash128(s: &str) -> u128 {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in s.bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    h.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carrier(status: &BTreeMap<String, String>, message_type: i32) -> Carrier<'_> {
        Carrier { status, message_type }
    }

    #[test]
    fn b3_reads_both_encodings_and_writes_what_zipkin_go_writes() {
        let single = BTreeMap::from([(
            B3_SINGLE.to_string(),
            "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90".to_string(),
        )]);
        let mut found = None;
        B3.extract(&carrier(&single, 0), &mut found);
        let ctx = found.unwrap();
        assert_eq!(ctx.trace_id.to_string(), "80f198ee56343ba864fe8b2a57d3eff7");
        assert_eq!(ctx.span_id.to_string(), "e457b5a2e4d86bd1");
        assert!(ctx.sampled);

        let multi = BTreeMap::from([
            (B3_TRACE_ID.to_string(), "463AC35C9F6413AD".to_string()),
            (B3_SPAN_ID.to_string(), "a2fb4a1d1a96d312".to_string()),
            (B3_SAMPLED.to_string(), "0".to_string()),
        ]);
        let mut found = None;
        B3.extract(&carrier(&multi, 0), &mut found);
        let ctx = found.unwrap();
        assert_eq!(ctx.trace_id.0, 0x463ac35c9f6413ad, "a 64-bit id, upper case accepted");
        assert!(!ctx.sampled);
        let mut out = BTreeMap::new();
        let mut mt = 0;
        B3.inject(&ctx, &mut CarrierMut::new(&mut out, &mut mt, None));
        assert_eq!(out[B3_TRACE_ID], "463ac35c9f6413ad");
        assert_eq!(out[B3_SPAN_ID], "a2fb4a1d1a96d312");
        assert_eq!(out[B3_SAMPLED], "0");

        for bad in [
            "0",
            "80f198ee56343ba864fe8b2a57d3eff7",
            "80f198ee56343ba8-e457b5a2e4d86bd",
            "00000000000000000000000000000000-e457b5a2e4d86bd1",
            "80f198ee56343bz864fe8b2a57d3eff7-e457b5a2e4d86bd1",
            "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1é",
        ] {
            assert!(B3::single(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn w3c_round_trips_and_rejects_malformed_values() {
        let status = BTreeMap::from([(
            TRACEPARENT.to_string(),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00".to_string(),
        )]);
        let mut found = None;
        W3c.extract(&carrier(&status, 0), &mut found);
        let ctx = found.unwrap();
        assert_eq!(ctx.trace_id.to_string(), "0af7651916cd43dd8448eb211c80319c");
        assert!(!ctx.sampled, "a sampled-out trace stays sampled out");
        let mut out = BTreeMap::new();
        let mut mt = 0;
        W3c.inject(
            &ctx,
            &mut CarrierMut {
                status: &mut out,
                message_type: &mut mt,
                peer: None,
            },
        );
        assert_eq!(out, status);
        for bad in [
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01",
        ] {
            assert!(W3c::parse(bad).is_none(), "{bad}");
        }
    }

    /// A context with a TARS trace, as in TarsGo's worked example.
    fn tarsgo_traced() -> TraceContext {
        let mut ctx = TraceContext::new(
            TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
            SpanId::from_hex("b7ad6b7169203331").unwrap(),
            true,
        );
        ctx.tars_trace_id = Some("f-0af7651916cd43dd8448eb211c80319c".into());
        ctx.formats = Formats::TARS;
        ctx
    }

    /// The status map and message type after [`TarsTrace`] injects `ctx` into a request
    /// whose message type was `message_type`.
    fn inject_tars_trace(ctx: &TraceContext, mut message_type: i32) -> (BTreeMap<String, String>, i32) {
        let mut status = BTreeMap::new();
        TarsTrace.inject(
            ctx,
            &mut CarrierMut {
                status: &mut status,
                message_type: &mut message_type,
                peer: None,
            },
        );
        (status, message_type)
    }

    #[test]
    fn tars_trace_writes_what_tarsgo_writes() {
        // TarsGo, root `OpenTarsTrace` then a call: the key is `traceID|spanID`, flag 0x100.
        let ctx = tarsgo_traced();
        let (status, mt) = inject_tars_trace(&ctx, 0x04);
        assert_eq!(mt, 0x104);
        assert_eq!(
            status[STATUS_TRACE_KEY],
            "f-0af7651916cd43dd8448eb211c80319c|b7ad6b7169203331"
        );
        // Read back by the next hop: same trace, the caller's span; without the flag, nothing.
        let mut found = None;
        TarsTrace.extract(&carrier(&status, 0), &mut found);
        assert!(found.is_none());
        TarsTrace.extract(&carrier(&status, 0x100), &mut found);
        let next = found.unwrap().child();
        assert_eq!(
            next.tars_trace_id.as_deref(),
            Some("f-0af7651916cd43dd8448eb211c80319c")
        );
        assert_eq!(next.trace_id, ctx.trace_id);
        assert_ne!(next.span_id, ctx.span_id);
        // A root context opens a TARS trace the way TarsGo's OpenTarsTrace(ctx, true) names it.
        assert!(TraceContext::new_root()
            .with_tars_trace(15)
            .tars_trace_id
            .unwrap()
            .starts_with("f-"));
    }

    #[test]
    fn the_trace_key_and_flags_encode_byte_for_byte_as_tarsgo_writes_them() {
        use crate::codec::TarsEncode;
        // TarsGo `RequestPacket.WriteTo` for the worked example of TRACE key + flag: tag 3
        // iMessageType 0x100, tag 10 the status map.
        let ctx = tarsgo_traced();
        let (status, mt) = inject_tars_trace(&ctx, 0);
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let mut buf = bytes::BytesMut::new();
        mt.encode(3, &mut buf);
        assert_eq!(hex(&buf), "310100");
        let mut buf = bytes::BytesMut::new();
        status.encode(10, &mut buf);
        assert_eq!(
            hex(&buf),
            "a8000106105354415455535f54524143455f4b45591633662d30616637363531393136636434336464383434386562323131633830333139637c62376164366237313639323033333331"
        );
    }

    #[test]
    fn sw8_reads_go2sky_and_continues_the_trace() {
        let value = "1-MWYyZDRiZjQ3YmY3MTFlYWI3OTRhY2RlNDgwMDExMjI=-MWU3YzIwNGE3YmY3MTFlYWI4NThhY2RlNDgwMDExMjI=-0-c2VydmljZQ==-aW5zdGFuY2U=-cHJvcGFnYXRpb24=-cHJvcGFnYXRpb246NTU2Ng==";
        let (sampled, sw8) = SkyWalking::parse(value).unwrap();
        assert!(sampled);
        assert_eq!(sw8.trace_id, "1f2d4bf47bf711eab794acde48001122");
        assert_eq!(
            (sw8.parent_service.as_str(), sw8.address.as_str()),
            ("service", "propagation:5566")
        );
        assert_eq!(
            super::super::base64::base64_encode(b"propagation:5566"),
            "cHJvcGFnYXRpb246NTU2Ng=="
        );
        let status = BTreeMap::from([(SW8.to_string(), value.to_string())]);
        let mut found = None;
        SkyWalking.extract(&carrier(&status, 0), &mut found);
        let ctx = found.unwrap();
        assert_eq!(ctx.trace_id.to_string(), "1f2d4bf47bf711eab794acde48001122");
        let (mut out, mut mt) = (BTreeMap::new(), 0);
        SkyWalking.inject(
            &ctx.child(),
            &mut CarrierMut {
                status: &mut out,
                message_type: &mut mt,
                peer: Some("10.0.0.1:80"),
            },
        );
        let (_, again) = SkyWalking::parse(&out[SW8]).unwrap();
        assert_eq!(
            (again.trace_id.as_str(), again.address.as_str()),
            (sw8.trace_id.as_str(), "10.0.0.1:80")
        );
    }
}
