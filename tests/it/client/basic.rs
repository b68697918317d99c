//! The Rust client against the Rust server: timeouts, error codes, context maps, UDP,
//! filters, many concurrent calls (every method shape of interop.tars, one-way included, is
//! in `client::protocols`, once per protocol).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::echo::interop::interop::EchoProxy;
use crate::support::echo::item;
use tars::application::Server;
use tars::client::{CallError, CallErrorKind, CallOptions, Communicator};
use tars::client::{CallResult, ClientNext, ClientRequest};
use tars::filter::Filter;
use tars::Application;

const ECHO: &str = "TestApp.HelloServer.EchoObj";
const ECHO_UDP: &str = "TestApp.HelloServer.EchoUdpObj";

async fn start() -> Server {
    Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
        .servant(ECHO, crate::support::echo::EchoImp::default())
        .endpoint(ECHO, "tcp -h 127.0.0.1 -p 0 -t 60000")
        .unwrap()
        .servant(ECHO_UDP, crate::support::echo::EchoImp::default())
        .endpoint(ECHO_UDP, "udp -h 127.0.0.1 -p 0")
        .unwrap()
        .start()
        .await
        .unwrap()
}

fn obj(server: &Server, name: &str) -> String {
    format!("{name}@{}", server.endpoint(name).unwrap())
}

#[tokio::test]
async fn errors_carry_code_description_and_location() {
    let server = start().await;
    let target = obj(&server, ECHO);
    let p: EchoProxy = Communicator::new().string_to_proxy(&target).unwrap();
    let e = p.fail(-77, "custom failure").await.unwrap_err();
    assert_eq!((e.code().value(), e.message().as_str()), (-77, "custom failure"));
    assert_eq!(
        e.to_string(),
        format!(
            "{ECHO}.fail at {} failed with -77: custom failure",
            server.endpoint(ECHO).unwrap()
        )
    );
    // Timeout: -7, and nothing left in flight.
    let e = p
        .slow_with(&CallOptions::new().timeout(Duration::from_millis(100)), 2000)
        .await
        .unwrap_err();
    assert!(e.is_timeout());
    assert_eq!(e.code(), -7);
    let ep = server.endpoint(ECHO).unwrap().clone();
    let comm = Communicator::new();
    let p2: EchoProxy = comm.string_to_proxy(&target).unwrap();
    let p2 = p2.with_timeout(Duration::from_millis(50));
    assert_eq!(p2.slow(1000).await.unwrap_err().code(), -7);
    assert_eq!(comm.in_flight(&ep), 0);
    // Unknown function and servant through an untyped proxy.
    let raw = comm.servant_proxy(&target).unwrap();
    let e = raw
        .invoke("noSuchFunc", Default::default(), &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.code(), -3);
    let other = comm.servant_proxy(&format!("TestApp.HelloServer.Nope@{ep}")).unwrap();
    assert_eq!(
        other
            .invoke("x", Default::default(), &CallOptions::new())
            .await
            .unwrap_err()
            .code(),
        -4
    );
    // Bad object strings quote the string.
    let e = comm.servant_proxy("A.B.C@tcp -h 127.0.0.1").unwrap_err();
    assert!(e.to_string().contains("'tcp -h 127.0.0.1'"), "{e}");
    server.shutdown().await;
}

#[tokio::test]
async fn many_concurrent_calls_share_one_connection() {
    let server = start().await;
    let p: EchoProxy = Communicator::new().string_to_proxy(&obj(&server, ECHO)).unwrap();
    let mut tasks = Vec::new();
    for i in 0..500 {
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            let s = format!("call-{i}");
            assert_eq!(p.echo_string(&s).await.unwrap(), s);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    server.shutdown().await;
}

#[tokio::test]
async fn udp_endpoints_work() {
    let server = start().await;
    let p: EchoProxy = Communicator::new().string_to_proxy(&obj(&server, ECHO_UDP)).unwrap();
    assert_eq!(p.echo_string("over udp").await.unwrap(), "over udp");
    assert_eq!(p.echo_item(&item(3)).await.unwrap(), item(3));
    server.shutdown().await;
}

/// Adds a context entry, counts calls, and rejects one function without sending it.
struct Stamp(Arc<AtomicUsize>);

impl Filter<ClientRequest, CallResult> for Stamp {
    async fn call(&self, mut req: ClientRequest, next: ClientNext<'_>) -> CallResult {
        self.0.fetch_add(1, Ordering::Relaxed);
        if req.packet.s_func_name == "nothing" {
            let kind = CallErrorKind::Rejected(tars::Status::new(-1001, "blocked by filter"));
            return Err(CallError::new(
                &req.packet.s_servant_name,
                &req.packet.s_func_name,
                None,
                kind,
            ));
        }
        req.packet.context.insert("stamped".into(), "yes".into());
        let mut rsp = next.run(req).await?;
        rsp.packet.context.insert("seen-by-filter".into(), "yes".into());
        Ok(rsp)
    }
}

#[tokio::test]
async fn client_filters_wrap_calls_and_maps_travel_both_ways() {
    let server = start().await;
    let count = Arc::new(AtomicUsize::new(0));
    let comm = Communicator::builder().filter(Stamp(count.clone())).build();
    let p: EchoProxy = comm.string_to_proxy(&obj(&server, ECHO)).unwrap();
    let reply = p
        .echo_string_with(&CallOptions::new().context("user", "u1"), "x")
        .await
        .unwrap();
    assert_eq!(reply.value, "x");
    assert_eq!(reply.context.get("seen-by-filter").map(String::as_str), Some("yes"));
    let e = p.nothing().await.unwrap_err();
    assert_eq!((e.code().value(), e.message().as_str()), (-1001, "blocked by filter"));
    assert_eq!(count.load(Ordering::Relaxed), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn idle_connections_close_and_reopen_on_the_next_call() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A server that answers every request with success and counts connections opened and
    // closed by the client.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let opened = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicUsize::new(0));
    let (o, c) = (opened.clone(), closed.clone());
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            o.fetch_add(1, Ordering::SeqCst);
            let c = c.clone();
            tokio::spawn(async move {
                let mut buf = tars::bytes::BytesMut::new();
                loop {
                    while let Ok(Some(f)) = tars::transport::frame::decode_frame(&mut buf, 1 << 20) {
                        let req: tars::protocol::RequestPacket = tars::codec::from_bytes(&f).unwrap();
                        let rsp = tars::protocol::ResponsePacket {
                            i_version: 1,
                            i_request_id: req.i_request_id,
                            ..Default::default()
                        };
                        s.write_all(&crate::support::raw::frame_of(&rsp)).await.unwrap();
                    }
                    if matches!(s.read_buf(&mut buf).await, Ok(0) | Err(_)) {
                        c.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                }
            });
        }
    });
    let comm = Communicator::builder().idle_timeout(Duration::from_millis(400)).build();
    let p: EchoProxy = comm
        .string_to_proxy(&format!("{ECHO}@tcp -h 127.0.0.1 -p {port}"))
        .unwrap();
    p.nothing().await.unwrap();
    p.nothing().await.unwrap();
    assert_eq!((opened.load(Ordering::SeqCst), closed.load(Ordering::SeqCst)), (1, 0));
    let start = Instant::now();
    while closed.load(Ordering::SeqCst) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the idle connection was never closed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(start.elapsed() >= Duration::from_millis(50));
    p.nothing().await.unwrap();
    assert_eq!(opened.load(Ordering::SeqCst), 2, "the next call opens a new connection");
}

#[tokio::test]
async fn communicators_take_the_client_section_of_a_config_file() {
    let server = start().await;
    let config: tars::config::Config = format!(
        "<tars><application><client>
async-invoke-timeout=5000
<{ECHO}>
timeout=40
</{ECHO}>
</client></application></tars>"
    )
    .parse()
    .unwrap();
    let comm = Communicator::from_config(&config.client);
    let p: EchoProxy = comm.string_to_proxy(&obj(&server, ECHO)).unwrap();
    // The per-object timeout (40 ms) wins over the default (5 s).
    let start = Instant::now();
    assert_eq!(p.slow(3000).await.unwrap_err().code(), -7);
    assert!(start.elapsed() < Duration::from_millis(2500));
    let other = comm
        .servant_proxy(&format!("Other.Obj@{}", server.endpoint(ECHO).unwrap()))
        .unwrap();
    assert_eq!(other.timeout(), Duration::from_millis(5000));
    server.shutdown().await;
}
