//! Fuzz target bodies (all but the IDL compiler's). Shared by `fuzz_targets/*.rs` and, via
//! `#[path]`, by the workspace test `tests/fuzz_corpus.rs`, so this file uses only `tars`,
//! `bytes` and `serde_json`, and finds the structs generated from `rich.tars` at
//! `super::rich` (each including module's parent provides that module).
//!
//! Every function must return normally on any input; a panic is a finding. Besides "does
//! not panic", each checks a property: what decodes re-encodes to something that decodes to
//! an equal value, with byte-identical re-encoding.

use std::collections::BTreeMap;
use std::fmt::Debug;

use bytes::{Bytes, BytesMut};
use serde_json::Value;
use tars::codec::{self, DecodeError, TarsStruct};
use tars::config::{Config, Domain};
use tars::protocol::json::TarsJson;
use tars::protocol::tup::{UniAttribute, Version};
use tars::protocol::{RequestPacket, ResponsePacket};
use tars::server::{Call, Encoding};
use tars::transport::endpoint::Endpoint;
use tars::transport::frame::decode_frame;

use super::rich::common::Point;
use super::rich::other::UsesRich;
use super::rich::rich::{Color, Everything};

/// The largest frame accepted, as a server's default `maxPackageLength`.
pub const MAX_FRAME: usize = 10 * 1024 * 1024;

/// Equality that treats NaN as equal to itself: `PartialEq`, else the same `Debug` text
/// (floats print as `NaN`, so NaN-carrying values compare by their text).
fn same<T: PartialEq + Debug>(a: &T, b: &T) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

/// `value` (decoded from some input) must encode to bytes that `decode` reads back as an
/// equal value, and that value must encode to the same bytes.
fn round_trip<T, F>(value: &T, decode: F)
where
    T: TarsStruct + PartialEq + Debug,
    F: Fn(&Bytes) -> Result<T, DecodeError>,
{
    let bytes = codec::to_bytes(value);
    let back = match decode(&bytes) {
        Ok(v) => v,
        Err(e) => panic!("re-encoded value does not decode: {e}\nvalue: {value:?}\nbytes: {bytes:02x?}"),
    };
    assert!(same(&back, value), "round trip changed the value:\n{value:?}\n{back:?}");
    assert_eq!(codec::to_bytes(&back), bytes, "re-encoding is not stable for {value:?}");
}

/// Splits `data` into frames as a connection's read loop does: until more bytes are needed
/// or the stream is rejected. Checks that frames account for exactly the bytes consumed.
pub fn frames(data: &[u8]) -> Vec<Bytes> {
    let header = |at: usize| u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
    let mut buf = BytesMut::from(data);
    let mut out = Vec::new();
    let mut consumed = 0;
    loop {
        match decode_frame(&mut buf, MAX_FRAME) {
            Ok(Some(frame)) => {
                let len = header(consumed);
                assert_eq!(frame.len() + 4, len, "frame length disagrees with its header");
                assert_eq!(&frame[..], &data[consumed + 4..consumed + len]);
                consumed += len;
                out.push(frame);
            }
            Ok(None) => {
                let rest = data.len() - consumed;
                assert!(
                    rest < 4 || header(consumed) > rest,
                    "decode_frame wants more bytes although a whole frame is buffered"
                );
                break;
            }
            Err(_) => break,
        }
    }
    assert_eq!(&buf[..], &data[consumed..], "decode_frame lost or kept the wrong bytes");
    out
}

/// `request_frame`: a byte stream from a client → frames → `RequestPacket`s; what decodes
/// round-trips.
pub fn request_frame(data: &[u8]) {
    for payload in frames(data) {
        if let Ok(req) = codec::from_bytes::<RequestPacket>(&payload) {
            round_trip(&req, codec::from_bytes::<RequestPacket>);
        }
    }
}

/// `response_frame`: a byte stream from a server → frames → `ResponsePacket`s through the
/// lenient client decoder; what decodes round-trips, and the strict decoder agrees with it
/// whenever the strict one succeeds.
pub fn response_frame(data: &[u8]) {
    for payload in frames(data) {
        if let Ok(rsp) = tars::protocol::decode_response(&payload) {
            round_trip(&rsp, tars::protocol::decode_response);
            if let Ok(strict) = codec::from_bytes::<ResponsePacket>(&payload) {
                assert_eq!(strict, rsp, "strict and lenient decoders disagree");
            }
        }
    }
}

/// Whether a JSON value holds a `null` anywhere: a NaN float's JSON form.
fn has_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(items) => items.iter().any(has_null),
        Value::Object(o) => o.values().any(has_null),
        _ => false,
    }
}

/// The JSON form of a value must read back as a value with the same JSON form. JSON has no
/// NaN: a NaN float is written as `null`, which a struct field reads as its default (as it
/// reads any `null` field), so with a `null` only a second round trip must be stable.
fn json_round_trip<T: TarsJson + Debug>(value: &T) {
    let json = value.to_json();
    let back = match T::from_json(&json) {
        Ok(v) => v,
        Err(e) => panic!("JSON form does not read back: {e}\nvalue: {value:?}\njson: {json}"),
    };
    if has_null(&json) {
        let json = back.to_json();
        let again = T::from_json(&json).expect("JSON form read back once reads back again");
        assert_eq!(again.to_json(), json, "second JSON round trip changed {value:?}");
    } else {
        assert_eq!(back.to_json(), json, "JSON round trip changed {value:?}");
    }
}

/// `generated_structs`: bytes → the structs `include_tars!` generates for `rich.tars`
/// (every IDL type, nesting, enums, struct map keys, tags ≥ 15); what decodes round-trips
/// in the binary and the JSON forms.
pub fn generated_structs(data: &[u8]) {
    let bytes = Bytes::copy_from_slice(data);
    if let Ok(v) = codec::from_bytes::<Everything>(&bytes) {
        round_trip(&v, codec::from_bytes::<Everything>);
        json_round_trip(&v);
    }
    if let Ok(v) = codec::from_bytes::<UsesRich>(&bytes) {
        round_trip(&v, codec::from_bytes::<UsesRich>);
        json_round_trip(&v);
    }
    if let Ok(v) = codec::from_bytes::<Point>(&bytes) {
        round_trip(&v, codec::from_bytes::<Point>);
        json_round_trip(&v);
    }
    // Containers of structs and enums, as a field at tag 0.
    if let Ok(Some(v)) = codec::decode_field::<Vec<UsesRich>>(&bytes, 0) {
        let again = codec::encode_field(&v, 0);
        let back = codec::decode_field::<Vec<UsesRich>>(&again, 0).expect("re-encoded vector decodes");
        assert!(same(&back, &Some(v)));
    }
    if let Ok(Some(v)) = codec::decode_field::<BTreeMap<Point, Vec<Color>>>(&bytes, 0) {
        let again = codec::encode_field(&v, 0);
        let back = codec::decode_field::<BTreeMap<Point, Vec<Color>>>(&again, 0).expect("re-encoded map decodes");
        assert!(same(&back, &Some(v.clone())));
        json_round_trip(&v);
    }
}

/// `tup`: bytes → a TUP `sBuffer` in versions 2 and 3; what decodes round-trips, and its
/// values read as a few types; the same bytes as a server call's TUP arguments.
pub fn tup(data: &[u8]) {
    let body = Bytes::copy_from_slice(data);
    for version in [Version::V2, Version::V3] {
        if let Ok(attr) = UniAttribute::decode(&body, version) {
            let encoded = attr.encode();
            let back = match UniAttribute::decode(&encoded, version) {
                Ok(v) => v,
                Err(e) => panic!("re-encoded TUP does not decode: {e}\n{attr:?}"),
            };
            assert_eq!(back, attr, "TUP round trip changed the attributes");
            assert_eq!(back.encode(), encoded, "TUP re-encoding is not stable");
            for name in attr.clone().into_values().keys() {
                let _ = attr.get::<String>(name);
                let _ = attr.get::<i32>(name);
                let _ = attr.get::<Vec<String>>(name);
                let _ = attr.get::<Everything>(name);
            }
        }
        let encoding = match version {
            Version::V2 => Encoding::TupV2,
            Version::V3 => Encoding::TupV3,
        };
        if let Ok(mut call) = Call::new("f", encoding, body.clone(), None) {
            let s = call.arg::<String>(1, "s");
            let _ = call.arg::<i32>(2, "i");
            let _ = call.arg::<UsesRich>(3, "u");
            if let Ok(s) = s {
                call.set_out(2, "o", &s);
            }
            call.set_return(&0i32);
            let results = call.into_results();
            UniAttribute::decode(&results, version).expect("the reply's TUP decodes");
        }
    }
}

/// Reads parameter `name` as `T` from a JSON call; what reads must read back from its JSON
/// form, as a reply would carry it.
fn json_arg<T: tars::codec::TarsDecode + TarsJson + Debug>(call: &Call, tag: u8, name: &str) {
    if let Ok(v) = call.arg::<T>(tag, name) {
        json_round_trip(&v);
    }
}

/// `json_body`: bytes → the `sBuffer` of a JSON (`iVersion` 5) request → every parameter
/// read as several types → a JSON reply.
pub fn json_body(data: &[u8]) {
    let body = Bytes::copy_from_slice(data);
    let Ok(mut call) = Call::new("f", Encoding::Json, body, None) else {
        return;
    };
    // The parameter names the body has (Call does not list them), plus ones it may lack.
    let mut names: Vec<String> = match serde_json::from_slice::<Value>(data) {
        Ok(Value::Object(o)) => o.keys().take(16).cloned().collect(),
        _ => Vec::new(),
    };
    names.push("missing".into());
    for (tag, name) in names.iter().enumerate() {
        let tag = tag as u8;
        json_arg::<String>(&call, tag, name);
        json_arg::<i32>(&call, tag, name);
        json_arg::<i64>(&call, tag, name);
        json_arg::<u32>(&call, tag, name);
        json_arg::<bool>(&call, tag, name);
        json_arg::<f64>(&call, tag, name);
        json_arg::<Bytes>(&call, tag, name);
        json_arg::<Vec<String>>(&call, tag, name);
        json_arg::<BTreeMap<i32, String>>(&call, tag, name);
        json_arg::<BTreeMap<String, Vec<i32>>>(&call, tag, name);
        json_arg::<Color>(&call, tag, name);
        json_arg::<Point>(&call, tag, name);
        json_arg::<Everything>(&call, tag, name);
        json_arg::<UsesRich>(&call, tag, name);
    }
    if let Some(name) = names.first() {
        if let Ok(v) = call.arg::<UsesRich>(0, name) {
            call.set_out(1, "out", &v);
        }
    }
    call.set_return(&(names.len() as i32));
    let reply = call.into_results();
    match serde_json::from_slice::<Value>(&reply) {
        Ok(Value::Object(o)) => assert!(o.contains_key("tars_ret")),
        other => panic!("JSON reply is not an object: {other:?}"),
    }
}

/// A domain with line numbers cleared, to compare a parsed file with its re-parsed
/// `Display` form.
fn without_lines(d: &Domain) -> Domain {
    let mut d = d.clone();
    d.line = 0;
    for p in d.params.values_mut() {
        p.line = 0;
    }
    d.domains = d.domains.iter().map(without_lines).collect();
    d
}

/// `config`: text → the config file format (which must re-parse from its `Display` form)
/// → typed server/client config; and the text as an endpoint and an endpoint list (which
/// must re-parse from their `Display` form).
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(tree) = Domain::parse(text) {
        let written = tree.to_string();
        match Domain::parse(&written) {
            Ok(back) => assert_eq!(
                without_lines(&back),
                without_lines(&tree),
                "config re-parsed differently from its Display form:\n{written}"
            ),
            Err(e) => panic!("Display form of a parsed config does not parse: {e}\n{written}"),
        }
    }
    let _ = text.parse::<Config>();
    if let Ok(ep) = text.parse::<Endpoint>() {
        endpoint_round_trip(&ep);
    }
    if let Ok(list) = Endpoint::parse_list(text) {
        for ep in &list {
            endpoint_round_trip(ep);
        }
        // A list re-parses unless a host holds the ':' that separates endpoints.
        if list
            .iter()
            .all(|e| !e.host.contains(':') && !e.bind.as_deref().unwrap_or("").contains(':'))
        {
            let joined = list.iter().map(ToString::to_string).collect::<Vec<_>>().join(":");
            assert_eq!(Endpoint::parse_list(&joined).as_ref(), Ok(&list), "{joined}");
        }
    }
}

fn endpoint_round_trip(ep: &Endpoint) {
    let text = ep.to_string();
    match text.parse::<Endpoint>() {
        Ok(back) => assert_eq!(&back, ep, "endpoint re-parsed differently from '{text}'"),
        Err(e) => panic!("Display form of an endpoint does not parse: {e}"),
    }
    let _ = ep.address();
}

/// An HTTP request's headers as an HTTP servant reads them: the trace context, the dye and the
/// client's address behind proxies. `data` is `name: value` lines; lines that are not a valid
/// header are skipped, as hyper would have refused them.
pub fn http_headers(data: &[u8]) {
    use tars::server::http::axum::http::{HeaderMap, HeaderName, HeaderValue};
    let mut headers = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    let (trace, dye) = tars::server::http::incoming_context(&headers);
    if let Some(t) = trace {
        assert!(t.trace_id.0 != 0 && t.span_id.0 != 0, "a zero id was accepted: {t:?}");
    }
    if let Some(d) = dye {
        assert!(!d.is_empty() && d.len() <= 256, "dye {d:?}");
    }
    let peer = "10.0.0.1:80".parse().unwrap();
    let client = tars::server::http::client_address(&headers, peer);
    assert!(
        client.parse::<std::net::IpAddr>().is_ok(),
        "the client address is not an address: {client:?}"
    );
    trace_status(&headers);
}

/// The same pairs as a TARS request's `status` (with the trace flag, so TARS's own key is
/// read too): every registered propagator reads them; a context found is continued by a call
/// whose `status`, read back, is the same trace at the call's span.
fn trace_status(headers: &tars::server::http::axum::http::HeaderMap) {
    use std::collections::BTreeMap;
    use tars::protocol::TARSMESSAGETYPETRACE;
    use tars::trace::{extract, inject, Carrier, CarrierMut};
    let status: BTreeMap<String, String> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let Some(found) = extract(&Carrier::new(&status, TARSMESSAGETYPETRACE)) else {
        return;
    };
    let call = found.child();
    let (mut written, mut message_type) = (BTreeMap::new(), 0);
    inject(
        &call,
        &mut CarrierMut::new(&mut written, &mut message_type, Some("10.0.0.2:8080")),
    );
    let Some(read) = extract(&Carrier::new(&written, message_type)) else {
        panic!("{found:?} continued as {written:?}, which reads as no trace");
    };
    assert_eq!(read.trace_id, call.trace_id, "{found:?} continued as {written:?}");
    assert_eq!(read.formats, call.formats, "{written:?}");
}
