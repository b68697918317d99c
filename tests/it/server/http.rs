//! HTTP servants: an axum router served as a TARS object beside a TARS one, over sockets
//! with hyper's client: routes, 404, keep-alive, HTTP/2, TLS with ALPN, limits and hostile
//! clients, admission, graceful shutdown, and trace/dye continuity into TARS calls.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tars::application::Server;
use tars::server::http::axum::http::StatusCode;
use tars::server::http::axum::Router;
use tars::server::ServerError;
use tars::Application;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::http::{config, start, Conn, Mirror, HTTP_OBJ};
use crate::support::server::hello::test_app::HelloProxy;
use crate::support::server::OBJ;

async fn plain() -> (Server, SocketAddr) {
    start(&config("", "tcp -h 127.0.0.1 -p 0 -t 60000", "")).await.unwrap()
}

#[tokio::test]
async fn routes_answer_on_one_keep_alive_connection_and_unknown_paths_get_404() {
    let (server, addr) = plain().await;
    let mut c = Conn::h1(addr).await;
    let a = c.get("/hello/world").await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "hello world"));
    let a = c.send("POST", "/api/echo", &[], "some bytes").await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "some bytes"));
    let a = c.get("/api/tars/gateway").await;
    // Through the TARS object: not dyed (a trace of its own only if spans are recorded).
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.ends_with('|') && a.body.matches('|').count() == 2, "{}", a.body);
    let a = c.get("/nowhere").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(
        c.get("/whoami").await.body,
        "TestApp.HelloServer",
        "handlers reach the platform"
    );
    // Still the same connection: keep-alive.
    assert_eq!(c.get("/hello/again").await.body, "hello again");
    assert_eq!(
        server
            .adapters()
            .iter()
            .find(|a| a.servant() == HTTP_OBJ)
            .unwrap()
            .connections()
            .len(),
        1
    );
    server.shutdown().await;
}

#[tokio::test]
async fn http2_with_prior_knowledge_on_the_same_port() {
    let (server, addr) = plain().await;
    let mut c = Conn::h2_over(TcpStream::connect(addr).await.unwrap()).await;
    let a = c.get("/hello/h2").await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "hello h2"));
    assert_eq!(a.status, StatusCode::OK);
    let a = c.get("/api/tars/x").await;
    assert!(a.body.ends_with('|') && a.body.matches('|').count() == 2, "{}", a.body);
    server.shutdown().await;
}

#[tokio::test]
async fn a_trace_entering_over_http_continues_into_the_tars_call_with_its_dye() {
    let (server, addr) = plain().await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let mut c = Conn::h1(addr).await;
    // Each format continues as it came: the TARS call carries the same one.
    for (format, headers) in [
        ("w3c", vec![("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))]),
        ("b3", vec![("b3", format!("{trace}-00f067aa0ba902b7-1"))]),
        (
            "b3",
            vec![
                ("x-b3-traceid", trace.to_string()),
                ("x-b3-spanid", "00f067aa0ba902b7".to_string()),
            ],
        ),
        (
            "sw8",
            vec![(
                "sw8",
                // go2sky's encoding of trace id `4bf9…4736`, segment "seg", span 3, service "svc",
                // instance "inst", endpoint "/front", address "10.0.0.1:80".
                format!(
                    "1-{}-c2VnLTE=-3-c3Zj-aW5zdA==-L2Zyb250-MTAuMC4wLjE6ODA=",
                    base64(trace.as_bytes())
                ),
            )],
        ),
    ] {
        let mut h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        h.push(("x-tars-dye", "user42"));
        let a = c.send("GET", "/api/tars/x", &h, "").await;
        assert_eq!(a.status, StatusCode::OK, "{headers:?}");
        let seen: Vec<&str> = a.body.split('|').collect();
        assert_eq!(seen[0], trace, "{headers:?}: {}", a.body);
        assert_eq!(seen[1], format!("Formats({format})"), "{headers:?}");
        assert_eq!(seen[2], "user42");
    }
    server.shutdown().await;
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            out.push(if k <= chunk.len() {
                T[(n >> (18 - 6 * k)) as usize & 63] as char
            } else {
                '='
            });
        }
    }
    out
}

#[tokio::test]
async fn oversized_heads_and_bodies_are_refused_and_the_tars_object_is_unaffected() {
    let (server, addr) = start(&config("maxPackageLength=1024", "tcp -h 127.0.0.1 -p 0 -t 60000", ""))
        .await
        .unwrap();
    // A header past 64 KiB: 431, or the connection closed.
    let big = "x".repeat(70 * 1024);
    let mut c = Conn::h1(addr).await;
    match c.try_send("GET", "/hello/a", &[("x-big", &big)], "").await {
        Ok(a) => assert_eq!(a.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE),
        Err(e) => assert!(e.is_closed() || e.is_incomplete_message(), "{e}"),
    }
    // Too many headers.
    let names: Vec<String> = (0..150).map(|i| format!("x-h{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
    let mut c = Conn::h1(addr).await;
    match c.try_send("GET", "/hello/a", &many, "").await {
        Ok(a) => assert_eq!(a.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE),
        Err(e) => assert!(e.is_closed() || e.is_incomplete_message(), "{e}"),
    }
    // A body over maxPackageLength, declared: 413 before it is read.
    let mut c = Conn::h1(addr).await;
    let a = c.send("POST", "/api/echo", &[], &"b".repeat(2000)).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Undeclared (chunked): the extractor stops at the limit.
    let mut raw = TcpStream::connect(addr).await.unwrap();
    let chunk = "c".repeat(1500);
    raw.write_all(
        format!(
            "POST /api/echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
            chunk.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let head = read_head(&mut raw).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    // A body within the limit still echoes.
    let mut c = Conn::h1(addr).await;
    assert_eq!(c.send("POST", "/api/echo", &[], "small").await.body, "small");
    let tars: HelloProxy = tars::client::Communicator::new()
        .string_to_proxy(&format!("{OBJ}@{}", server.endpoint(OBJ).unwrap()))
        .unwrap();
    assert!(tars.test_hello("still here").await.unwrap().1.ends_with('|'));
    server.shutdown().await;
}

/// Reads an HTTP response head off `s` (up to the blank line), or what came before it closed.
async fn read_head(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("no answer in 10 s"),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// Whether the server closes `s` within `within` (reading and dropping whatever it sends).
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn slow_heads_idle_connections_and_clients_that_stop_reading_are_closed() {
    // `-t 300`: idle connections and heads that take longer go.
    let (server, addr) = start(&config("writetimeout=300", "tcp -h 127.0.0.1 -p 0 -t 300", ""))
        .await
        .unwrap();
    // Slowloris: a head dripped a byte at a time never completes.
    let mut drip = TcpStream::connect(addr).await.unwrap();
    drip.write_all(b"GET /hello/a HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let dripping = tokio::spawn(async move {
        for _ in 0..40 {
            if drip.write_all(b"x").await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    });
    // An idle keep-alive connection, after one request.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /hello/a HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(read_head(&mut idle).await.starts_with("HTTP/1.1 200"));
    // A connection that sends nothing at all.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    assert!(
        closed_within(&mut idle, Duration::from_secs(3)).await,
        "idle keep-alive"
    );
    assert!(closed_within(&mut silent, Duration::from_secs(3)).await, "silent");
    assert!(dripping.await.unwrap(), "the dripped head was cut off");
    // A client that asks for large answers and never reads them.
    let mut greedy = TcpStream::connect(addr).await.unwrap();
    greedy.set_nodelay(true).unwrap();
    let body = "e".repeat(1000);
    let request = format!(
        "POST /api/echo HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut closed = false;
    for _ in 0..20_000 {
        if tokio::time::timeout(Duration::from_secs(2), greedy.write_all(request.as_bytes()))
            .await
            .map_or(true, |r| r.is_err())
        {
            closed = true;
            break;
        }
    }
    if !closed {
        // Everything was accepted into buffers: the server must close it all the same.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        closed =
            greedy.write_all(request.as_bytes()).await.is_err() || greedy.write_all(request.as_bytes()).await.is_err();
    }
    assert!(closed, "the server keeps a client that stopped reading");
    // Meanwhile, and after, requests are answered.
    let mut c = Conn::h1(addr).await;
    assert_eq!(c.get("/hello/b").await.body, "hello b");
    server.shutdown().await;
}

#[tokio::test]
async fn admission_refuses_over_queuecap_with_503() {
    let (server, addr) = start(&config("", "tcp -h 127.0.0.1 -p 0 -t 60000", "threads=1\nqueuecap=1"))
        .await
        .unwrap();
    let mut first = Conn::h1(addr).await;
    let held = tokio::spawn(async move { first.get("/slow/500").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut second = Conn::h1(addr).await;
    let a = second.get("/hello/x").await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.body);
    assert!(a.body.contains("queuecap"), "{}", a.body);
    assert_eq!(held.await.unwrap().body, "slept");
    assert_eq!(second.get("/hello/x").await.body, "hello x");
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_and_closes_keep_alive_connections() {
    let (server, addr) = start(&config("gracedowntimeout=3000", "tcp -h 127.0.0.1 -p 0 -t 60000", ""))
        .await
        .unwrap();
    let mut busy = Conn::h1(addr).await;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /hello/a HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(read_head(&mut idle).await.starts_with("HTTP/1.1 200"));
    let in_flight = tokio::spawn(async move { busy.get("/slow/400").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = tokio::spawn(server.shutdown());
    let a = in_flight.await.unwrap();
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "slept"));
    assert_eq!(
        a.headers.get("connection").map(|v| v.to_str().unwrap()),
        Some("close"),
        "the last answer on a keep-alive connection says so"
    );
    assert!(
        closed_within(&mut idle, Duration::from_secs(2)).await,
        "idle keep-alive closed"
    );
    stopping.await.unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "no longer accepting");
}

#[tokio::test]
async fn tls_with_alpn_serves_http1_and_http2() {
    let pki = super::tls::Pki::new("http");
    let keys = format!("cert={}\nkey={}", pki.path("server.pem"), pki.path("server.key"));
    let (server, addr) = start(&config("", "ssl -h 127.0.0.1 -p 0 -t 60000", &keys))
        .await
        .unwrap();
    for alpn in [&b"http/1.1"[..], &b"h2"[..]] {
        let tls = tls_connect(&pki, addr, alpn).await;
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(alpn));
        let mut c = if alpn == b"h2" {
            Conn::h2_over(tls).await
        } else {
            Conn::h1_over(tls).await
        };
        let a = c.get("/hello/tls").await;
        assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "hello tls"));
    }
    server.shutdown().await;
}

async fn tls_connect(
    pki: &super::tls::Pki,
    addr: SocketAddr,
    alpn: &[u8],
) -> tokio_rustls::client::TlsStream<TcpStream> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(pki.path("ca.pem")).unwrap())
        .unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.unwrap();
    connector
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap()
}

#[tokio::test]
async fn adapters_that_cannot_serve_http_are_start_up_errors_naming_them() {
    let app = |cfg: String| {
        Application::new(cfg.parse().unwrap())
            .servant(OBJ, Mirror)
            .http_servant(HTTP_OBJ, Router::new())
    };
    let e = app(config("", "udp -h 127.0.0.1 -p 0", "")).start().await.unwrap_err();
    assert!(
        e.to_string().contains("HttpObjAdapter") && e.to_string().contains("udp"),
        "{e}"
    );
    let e = app(config("", "tcp -h 127.0.0.1 -p 0", "").replace("protocol=not_tars", "protocol=line"))
        .start()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("protocol=http"), "{e}");
    let no_adapter = crate::support::server::config("", "tcp -h 127.0.0.1 -p 0", "");
    let e = Application::new(no_adapter.parse().unwrap())
        .servant(OBJ, Mirror)
        .http_servant("TestApp.HelloServer.Other", Router::new())
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ServerError::NoAdapter { servant } if servant == "TestApp.HelloServer.Other"),
        "{e}"
    );
}

#[tokio::test]
async fn any_tower_service_is_an_http_servant_counted_under_one_name() {
    use tars::server::http::axum::handler::HandlerWithoutStateExt;
    use tars::server::http::HttpServant;
    let service = (|| async { "from a plain service" }).into_service();
    let cfg = config("", "tcp -h 127.0.0.1 -p 0 -t 60000", "protocol=http");
    let server = Application::new(cfg.replace("protocol=not_tars\n", "").parse().unwrap())
        .servant(OBJ, Mirror)
        .http_servant(HTTP_OBJ, HttpServant::from_service(service))
        .start()
        .await
        .unwrap();
    let mut c = Conn::h1(server.local_addr(HTTP_OBJ).unwrap()).await;
    for path in ["/", "/any/path"] {
        assert_eq!(c.get(path).await.body, "from a plain service");
    }
    server.shutdown().await;
}
