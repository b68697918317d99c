//! What an HTTP request's headers say about where it comes from: the trace it continues,
//! its dye, and the client's address behind proxies. Header values are untrusted: anything
//! malformed is ignored, never an error, and nothing read here grows with the request.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::http::{header, HeaderMap, Request};

use crate::trace::{self, Carrier, Propagator, TraceContext, B3};

/// The request header whose value dyes the request (TARS's dye key: every TARS call the
/// handler makes carries it, and dyed logs follow it).
pub const DYE_HEADER: &str = "x-tars-dye";

/// The headers trace formats read, as their `status` keys (header names are lower case).
const TRACE_HEADERS: [&str; 9] = [
    trace::TRACEPARENT,
    trace::TRACESTATE,
    trace::B3_SINGLE,
    trace::B3_TRACE_ID,
    trace::B3_SPAN_ID,
    trace::B3_SAMPLED,
    trace::B3_FLAGS,
    trace::SW8,
    trace::SW8_CORRELATION,
];

/// The proxy headers that name the client, in TarsGo's order.
const CLIENT_HEADERS: [&str; 3] = ["x-real-ip", "x-forwarded-for-pound", "x-forwarded-for"];

/// The longest header value a trace format is read from (a W3C `traceparent` is 55 bytes,
/// an `sw8` a few hundred).
const MAX_TRACE_VALUE: usize = 2048;

/// The longest dye accepted.
const MAX_DYE: usize = 256;

/// The longest host name taken from a request (a DNS name's limit).
const MAX_HOST: usize = 253;

/// The trace context and the dye `headers` carry. The registered propagators read them as
/// they read a TARS request's `status`, and B3 is read whether registered or not (a B3
/// request enters through a Zipkin-instrumented proxy more often than not).
pub fn incoming_context(headers: &HeaderMap) -> (Option<TraceContext>, Option<String>) {
    // One pass over the headers (a handful, usually), comparing names: cheaper than a
    // hashed look-up of each name this reads.
    let mut status = BTreeMap::new();
    let mut dye_value = None;
    for (name, value) in headers {
        let name = name.as_str();
        if name == DYE_HEADER {
            // The first, as `HeaderMap::get` reads it.
            dye_value.get_or_insert(value);
        } else if TRACE_HEADERS.contains(&name) && value.len() <= MAX_TRACE_VALUE {
            if let Ok(value) = value.to_str() {
                // The first of repeated headers, as `HeaderMap::get` reads them.
                status.entry(name.to_string()).or_insert_with(|| value.to_string());
            }
        }
    }
    let dye = dye_value
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|d| !d.is_empty() && d.len() <= MAX_DYE)
        .map(str::to_string);
    if status.is_empty() {
        return (None, dye);
    }
    let carrier = Carrier::new(&status, 0);
    let mut found = trace::extract(&carrier);
    if found.is_none() {
        B3.extract(&carrier, &mut found);
    }
    (found, dye)
}

/// The client's address as TarsGo's `TarsHttpMux` reads it: `X-Real-Ip`, else
/// `X-Forwarded-For-Pound`, else the first address of `X-Forwarded-For`, else the peer's IP.
/// A header value that is not an address is skipped (it would be a stat head of its own).
pub fn client_address(headers: &HeaderMap, peer: SocketAddr) -> String {
    // The first value of each proxy header, in one pass.
    let mut found: [Option<&str>; 3] = [None; 3];
    for (name, value) in headers {
        if let Some(i) = CLIENT_HEADERS.iter().position(|h| *h == name.as_str()) {
            if found[i].is_none() {
                found[i] = value.to_str().ok();
            }
        }
    }
    let address = |value: &str| {
        let candidate = value.split(',').next()?.trim();
        candidate.parse::<std::net::IpAddr>().ok().map(|ip| ip.to_string())
    };
    found
        .into_iter()
        .flatten()
        .find_map(address)
        .unwrap_or_else(|| peer.ip().to_string())
}

/// The host a request named (HTTP/2's `:authority`, an absolute URI's, else `Host`), without
/// its port, as OpenTelemetry's `server.address`; `None` when it named none, or one longer
/// than a DNS name can be.
pub(crate) fn requested_host<B>(req: &Request<B>) -> Option<&str> {
    let host = match req.uri().host() {
        Some(host) => host,
        None => {
            let value = req.headers().get(header::HOST)?.to_str().ok()?;
            match value.strip_prefix('[') {
                // An IPv6 literal keeps its brackets, as `Uri::host` gives it.
                Some(rest) => &value[..rest.find(']')? + 2],
                None => value.split(':').next().unwrap_or_default(),
            }
        }
    };
    (!host.is_empty() && host.len() <= MAX_HOST).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn each_trace_format_starts_the_request_as_its_child() {
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        let cases = [
            headers(&[("traceparent", &format!("00-{trace}-00f067aa0ba902b7-01"))]),
            headers(&[("b3", &format!("{trace}-00f067aa0ba902b7-1"))]),
            headers(&[("X-B3-TraceId", trace), ("X-B3-SpanId", "00f067aa0ba902b7")]),
        ];
        for h in cases {
            let (ctx, _) = incoming_context(&h);
            assert_eq!(ctx.expect("a context").trace_id.to_string(), trace, "{h:?}");
        }
        let (none, dye) = incoming_context(&headers(&[("traceparent", "garbage"), ("b3", "0")]));
        assert!(none.is_none() && dye.is_none());
    }

    #[test]
    fn the_dye_header_dyes_and_oversized_values_are_ignored() {
        let (_, dye) = incoming_context(&headers(&[("x-tars-dye", " user42 ")]));
        assert_eq!(dye.as_deref(), Some("user42"));
        let long = "a".repeat(MAX_DYE + 1);
        assert_eq!(incoming_context(&headers(&[("x-tars-dye", &long)])).1, None);
        let long_sw8 = "1-".repeat(MAX_TRACE_VALUE);
        assert!(incoming_context(&headers(&[("sw8", &long_sw8)])).0.is_none());
    }

    #[test]
    fn the_requested_host_is_the_authority_without_its_port() {
        let host = |uri: &str, host_header: Option<&str>| {
            let mut req = Request::builder().uri(uri);
            if let Some(h) = host_header {
                req = req.header(header::HOST, h);
            }
            requested_host(&req.body(()).unwrap()).map(str::to_string)
        };
        assert_eq!(host("/a", Some("example.com:8080")), Some("example.com".into()));
        assert_eq!(host("/a", Some("example.com")), Some("example.com".into()));
        assert_eq!(host("/a", Some("[::1]:80")), Some("[::1]".into()));
        assert_eq!(host("http://h2.example/a", Some("other")), Some("h2.example".into()));
        assert_eq!(host("/a", None), None);
        assert_eq!(host("/a", Some(":80")), None);
        assert_eq!(host("/a", Some("[::1")), None, "an unclosed literal");
        assert_eq!(host("/a", Some(&"h".repeat(300))), None, "longer than a DNS name");
    }

    #[test]
    fn the_client_address_follows_the_proxy_headers_in_tarsgo_order() {
        let peer: SocketAddr = "10.0.0.9:4242".parse().unwrap();
        assert_eq!(client_address(&HeaderMap::new(), peer), "10.0.0.9");
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4, 10.0.0.1"),
            ("x-forwarded-for-pound", "5.6.7.8"),
        ]);
        assert_eq!(client_address(&h, peer), "5.6.7.8");
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 10.0.0.1")]);
        assert_eq!(client_address(&h, peer), "1.2.3.4");
        let h = headers(&[("x-real-ip", "not an address"), ("x-forwarded-for", "::1")]);
        assert_eq!(client_address(&h, peer), "::1");
    }
}
