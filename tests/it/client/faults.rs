//! Client fault handling: a server that dies mid-call, one that never answers, an endpoint
//! that is down, a server that restarts gracefully.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::support::echo::interop::interop::EchoProxy;
use crate::support::free_port;
use tars::application::Server;
use tars::client::{CallOptions, Communicator};
use tars::Application;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

const ECHO: &str = "TestApp.HelloServer.EchoObj";

async fn start_on(port: u16) -> Server {
    Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
        .servant(ECHO, crate::support::echo::EchoImp::default())
        .endpoint(ECHO, &format!("tcp -h 127.0.0.1 -p {port} -t 60000"))
        .unwrap()
        .start()
        .await
        .unwrap()
}

fn target(port: u16) -> String {
    format!("{ECHO}@tcp -h 127.0.0.1 -p {port} -t 60000")
}

#[tokio::test]
async fn a_server_dying_mid_call_fails_the_call_fast_and_the_next_call_reconnects() {
    // A "server" that reads the request and then dies (closes the socket).
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let dying = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 64];
        let _ = s.read(&mut buf).await;
        drop(s);
        drop(listener);
    });
    let comm = Communicator::new();
    let p: EchoProxy = comm.string_to_proxy(&target(port)).unwrap();
    let start = Instant::now();
    let e = p
        .slow_with(&CallOptions::new().timeout(Duration::from_secs(10)), 1)
        .await
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "must fail fast, took {:?}",
        start.elapsed()
    );
    assert_eq!(e.code(), -13, "{e}");
    dying.await.unwrap();
    // While nothing listens, calls fail to connect (-8) quickly.
    let e = p.slow(1).await.unwrap_err();
    assert_eq!(e.code(), -8, "{e}");
    // The server comes back on the same port: the next call reconnects.
    let server = start_on(port).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    let start = Instant::now();
    loop {
        match p.slow(1).await {
            Ok(v) => {
                assert_eq!(v, 1);
                break;
            }
            Err(e) => assert!(start.elapsed() < Duration::from_secs(10), "did not reconnect: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_and_leaves_nothing_behind() {
    // Accepts and reads everything, answers nothing.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 1 << 16];
                while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    let comm = Communicator::new();
    let p: EchoProxy = comm.string_to_proxy(&target(addr.port())).unwrap();
    let p = p.with_timeout(Duration::from_millis(20));
    let start = Instant::now();
    let mut timeouts = 0;
    for _ in 0..100 {
        let batch: Vec<_> = (0..1000)
            .map(|_| {
                let p = p.clone();
                tokio::spawn(async move { p.nothing().await })
            })
            .collect();
        for t in batch {
            let e = t.await.unwrap().unwrap_err();
            assert_eq!(e.code(), -7);
            timeouts += 1;
        }
    }
    assert_eq!(timeouts, 100_000);
    let ep = format!("tcp -h 127.0.0.1 -p {}", addr.port()).parse().unwrap();
    assert_eq!(
        comm.in_flight(&ep),
        0,
        "timed-out calls must leave the in-flight map empty"
    );
    println!("100000 timed-out calls in {:?}", start.elapsed());
}

#[tokio::test]
async fn with_one_of_two_endpoints_down_every_call_succeeds() {
    let server = start_on(0).await;
    let up = server.endpoint(ECHO).unwrap().port;
    let down = free_port();
    let comm = Communicator::new();
    let obj = format!("{ECHO}@tcp -h 127.0.0.1 -p {down} -t 60000:tcp -h 127.0.0.1 -p {up} -t 60000");
    let p: EchoProxy = comm.string_to_proxy(&obj).unwrap();
    for i in 0..200 {
        let s = format!("call {i}");
        assert_eq!(p.echo_string(&s).await.unwrap(), s);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_graceful_restart_moves_calls_to_a_fresh_connection() {
    let server = start_on(0).await;
    let port = server.endpoint(ECHO).unwrap().port;
    let comm = Communicator::new();
    let p: EchoProxy = comm.string_to_proxy(&target(port)).unwrap();
    assert_eq!(p.echo_string("before").await.unwrap(), "before");
    // A call in flight during shutdown still completes.
    let in_flight = {
        let p = p.clone();
        tokio::spawn(async move { p.slow(300).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.shutdown().await;
    assert_eq!(in_flight.await.unwrap().unwrap(), 300);
    // The replacement comes up; calls go to a new connection without a failed call.
    let server = start_on(port).await;
    assert_eq!(p.echo_string("after").await.unwrap(), "after");
    server.shutdown().await;
}

fn hello_proxy(comm: &Communicator, addrs: &[SocketAddr]) -> crate::support::server::hello::test_app::HelloProxy {
    let eps: Vec<String> = addrs
        .iter()
        .map(|a| format!("tcp -h 127.0.0.1 -p {} -t 60000", a.port()))
        .collect();
    comm.string_to_proxy(&format!("TestApp.HelloServer.HelloObj@{}", eps.join(":")))
        .unwrap()
}

#[tokio::test]
async fn a_reply_stalled_mid_frame_closes_the_connection_and_the_next_call_reconnects() {
    use crate::support::fake::{self, Act};
    // The first connection sends half of its first reply and then nothing.
    let fake = fake::start(|conn, _| if conn == 0 { Act::HalfThenStall } else { Act::Answer }).await;
    let comm = Communicator::new();
    let p = hello_proxy(&comm, &[fake.addr]);
    let short = CallOptions::new().timeout(Duration::from_millis(300));
    let e = p.test_hello_with(&short, "one").await.unwrap_err();
    assert_eq!(e.code(), -7, "{e}");
    let (ret, echo) = p
        .test_hello_with(&short, "two")
        .await
        .expect("a fresh connection")
        .value;
    assert_eq!((ret, echo.as_str()), (0, "two"));
    assert_eq!(fake.connections.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_endpoint_that_stalls_is_avoided_and_the_healthy_one_serves() {
    use crate::support::fake::{self, Act};
    let stalling = fake::start(|_, _| Act::HalfThenStall).await;
    let fine = fake::start(|_, _| Act::Answer).await;
    let comm = Communicator::new();
    let p = hello_proxy(&comm, &[stalling.addr, fine.addr]);
    let short = CallOptions::new().timeout(Duration::from_millis(200));
    let mut failed = 0;
    for i in 0..30 {
        if p.test_hello_with(&short, &format!("call {i}")).await.is_err() {
            failed += 1;
        }
    }
    assert!(failed <= 2, "{failed} of 30 calls failed");
}

#[tokio::test]
async fn a_server_that_stops_reading_is_let_go() {
    let deaf = crate::support::fake::start_deaf().await;
    let comm = Communicator::builder()
        .write_timeout(Duration::from_millis(300))
        .build();
    let p = hello_proxy(&comm, &[deaf.addr]);
    let big = "x".repeat(4 << 20);
    let opts = CallOptions::new().timeout(Duration::from_millis(200));
    // The socket buffers fill up, the writes stall, the connection is closed; later calls
    // dial again.
    let start = Instant::now();
    while deaf.connections.load(std::sync::atomic::Ordering::SeqCst) < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the stalled connection was never let go"
        );
        let e = p.test_hello_with(&opts, &big).await.unwrap_err();
        assert!(
            matches!(e.code(), tars::Code::InvokeTimeout | tars::Code::SendRequestError),
            "{e}"
        );
    }
}
