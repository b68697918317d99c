//! Server push, both ends in tars-rs: the servant keeps the `PushSender` of each client that
//! called `connect` and pushes to it; the proxy reads its `on_push` stream. Raw, struct and
//! named pushes, the connection hooks, 1,000 clients, a client that stops reading, a closed
//! connection, the server going away, idle push connections kept open, UDP, and TarsGo's push
//! client (opt-in: when the TarsGo peer is built).

use std::time::Duration;

use tars::bytes::Bytes;
use tars::client::{Communicator, Proxy, PushEvent, PushMessage, PushStream};
use tars::codec::{encode_exact, TarsEncode};
use tars::config::ClientConfig;
use tars::server::{PushError, PushSender};
use tars::Application;

use crate::support::push::push_idl::test_app::{PushProxy, Tick};
use crate::support::push::{config, PushImp, PUSH_OBJ};
use crate::support::raw::{request, Conn};
use crate::support::wait_for;

async fn start(server_keys: &str, endpoint: &str) -> (tars::application::Server, PushImp) {
    let imp = PushImp::default();
    let server = Application::new(config(server_keys, endpoint).parse().unwrap())
        .servant(PUSH_OBJ, imp.clone())
        .start()
        .await
        .unwrap();
    (server, imp)
}

fn proxy(comm: &Communicator, server: &tars::application::Server) -> PushProxy {
    comm.string_to_proxy(&format!("{PUSH_OBJ}@{}", server.endpoints(PUSH_OBJ)))
        .unwrap()
}

/// The next message on `stream`, within 5 s.
async fn next_message(stream: &mut PushStream) -> PushMessage {
    match tokio::time::timeout(Duration::from_secs(5), stream.recv()).await {
        Ok(Some(PushEvent::Message(m))) => m,
        other => panic!("expected a pushed message, got {other:?}"),
    }
}

#[tokio::test]
async fn raw_struct_and_named_pushes_reach_the_proxy_stream() {
    let (server, imp) = start("", "tcp -h 127.0.0.1 -p 0 -t 60000").await;
    let comm = Communicator::new();
    let p = proxy(&comm, &server);
    let mut stream = p.on_push();
    let (ret, welcome) = p.connect("ann").await.unwrap();
    assert_eq!(ret, 0);
    let client = imp.clients().pop().expect("registered");
    assert_eq!(welcome, format!("ann is client {}", client.id()));

    client.push(Bytes::from_static(b"hello")).unwrap();
    let tick = Tick {
        seq: 7,
        text: "seven".into(),
    };
    client.push_struct(&tick).unwrap();
    let results = encode_exact(|b| {
        0i32.encode(0, b);
        "typed".to_string().encode(1, b);
    });
    client.push_named("pushMsg", results).unwrap();

    let raw = next_message(&mut stream).await;
    assert_eq!(
        (&raw.payload[..], raw.function.as_deref(), raw.code),
        (&b"hello"[..], None, 0)
    );
    assert_eq!(raw.endpoint.port, server.local_addr(PUSH_OBJ).unwrap().port());
    assert_eq!(next_message(&mut stream).await.decode::<Tick>().unwrap(), tick);
    let named = next_message(&mut stream).await;
    assert_eq!(named.function.as_deref(), Some("pushMsg"));
    assert_eq!(named.field::<String>(1).unwrap(), "typed");

    // Calls go on as before on the same connection, and a second stream of the same proxy
    // (or a clone) gets the pushes too.
    let mut second = p.clone().on_push();
    assert_eq!(p.disconnect().await.unwrap(), 0);
    client.push(Bytes::from_static(b"after")).unwrap();
    assert_eq!(&next_message(&mut stream).await.payload[..], b"after");
    assert_eq!(&next_message(&mut second).await.payload[..], b"after");
    assert_eq!(
        imp.seen.lock().unwrap().opened.len(),
        1,
        "one connection for calls and pushes"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn hooks_hear_connections_and_a_closed_connection_fails_pushes() {
    let (server, imp) = start("", "tcp -h 127.0.0.1 -p 0 -t 60000").await;
    let comm = Communicator::new();
    let p = proxy(&comm, &server);
    let _stream = p.on_push();
    p.connect("bo").await.unwrap();
    let client = imp.clients().pop().unwrap();
    assert_eq!(imp.seen.lock().unwrap().opened, vec![client.id()]);
    assert!(!client.is_closed());

    // The client goes away: the hook hears it, the registry forgets it, pushes fail.
    drop((p, _stream, comm));
    tokio::time::timeout(Duration::from_secs(5), client.closed())
        .await
        .expect("the sender learns that the connection closed");
    assert_eq!(imp.seen.lock().unwrap().closed, vec![client.id()]);
    assert!(imp.clients().is_empty());
    let err = client.push(Bytes::from_static(b"late")).unwrap_err();
    assert!(matches!(err, PushError::Closed { .. }), "{err}");
    assert!(err.to_string().contains("connection is closed"), "{err}");
    assert!(matches!(
        client.push_when_ready(Bytes::from_static(b"late")).await,
        Err(PushError::Closed { .. })
    ));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_fan_out_to_a_thousand_clients() {
    const CLIENTS: usize = 1000;
    let (server, imp) = start("", "tcp -h 127.0.0.1 -p 0 -t 60000").await;
    let mut streams = Vec::with_capacity(CLIENTS);
    let mut proxies = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        // A communicator each: a connection each, as 1,000 processes would have.
        let comm = Communicator::new();
        let p = proxy(&comm, &server);
        streams.push(p.on_push());
        p.connect(&format!("c{i}")).await.unwrap();
        proxies.push((comm, p));
    }
    let clients = imp.clients();
    assert_eq!(clients.len(), CLIENTS);
    for round in 0..3u8 {
        for c in &clients {
            c.push(vec![round; 64]).unwrap();
        }
        for s in &mut streams {
            assert_eq!(&next_message(s).await.payload[..], &[round; 64][..]);
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_gets_pushes_refused_then_dropped() {
    let (server, imp) = start("writetimeout=300", "tcp -h 127.0.0.1 -p 0 -t 60000").await;
    let mut conn = Conn::connect(server.local_addr(PUSH_OBJ).unwrap()).await;
    let args = encode_exact(|b| "mute".to_string().encode(1, b));
    let rsp = conn.call(&request(1, PUSH_OBJ, "connect", args)).await;
    assert_eq!(rsp.i_ret, 0);
    let client = imp.clients().pop().unwrap();
    // The client reads nothing more: the socket buffers fill, then the connection's queue,
    // then pushes are refused instead of piling up.
    let chunk = Bytes::from(vec![1u8; 256 * 1024]);
    let mut pushed = 0usize;
    let refused = loop {
        match client.push(chunk.clone()) {
            Ok(()) => pushed += chunk.len(),
            Err(e) => break e,
        }
        assert!(pushed < 64 << 20, "64 MiB queued for a client that reads nothing");
        tokio::task::yield_now().await;
    };
    assert!(matches!(refused, PushError::Full { .. }), "{refused}");
    assert!(refused.to_string().contains("not reading"), "{refused}");
    // The queue holds at most PUSH_QUEUE_BYTES; the rest sits in the sockets' buffers.
    assert!(
        pushed <= tars::server::push::PUSH_QUEUE_BYTES + (16 << 20),
        "{pushed} bytes accepted"
    );
    // The stalled write lets the connection go after `writetimeout`.
    tokio::time::timeout(Duration::from_secs(5), client.closed())
        .await
        .unwrap();
    wait_for("the close hook", Duration::from_secs(5), || {
        imp.seen.lock().unwrap().closed.len() == 1
    })
    .await;
    drop(conn);
    server.shutdown().await;
}

#[tokio::test]
async fn the_stream_says_when_the_server_goes_away() {
    let (server, imp) = start("", "tcp -h 127.0.0.1 -p 0 -t 60000").await;
    let comm = Communicator::new();
    let p = proxy(&comm, &server);
    let mut stream = p.on_push();
    p.connect("cy").await.unwrap();
    imp.clients()[0].push(Bytes::from_static(b"before")).unwrap();
    assert_eq!(&next_message(&mut stream).await.payload[..], b"before");
    server.shutdown().await;
    match tokio::time::timeout(Duration::from_secs(5), stream.recv()).await {
        Ok(Some(PushEvent::Disconnected { endpoint, reason })) => {
            assert_eq!(endpoint.host, "127.0.0.1");
            assert!(matches!(reason, tars::client::ConnectionError::Reconnect), "{reason}");
        }
        other => panic!("expected the reconnect marker, got {other:?}"),
    }
}

#[tokio::test]
async fn a_new_connection_after_a_restart_brings_pushes_again() {
    let (server, imp) = start("", "tcp -h 127.0.0.1 -p 0 -t 60000").await;
    let endpoint = server.endpoints(PUSH_OBJ);
    let port = server.local_addr(PUSH_OBJ).unwrap().port();
    let comm = Communicator::new();
    let p: PushProxy = comm.string_to_proxy(&format!("{PUSH_OBJ}@{endpoint}")).unwrap();
    let mut stream = p.on_push();
    p.connect("di").await.unwrap();
    server.shutdown().await;
    assert!(matches!(
        tokio::time::timeout(Duration::from_secs(5), stream.recv()).await,
        Ok(Some(PushEvent::Disconnected { .. }))
    ));
    drop(imp);
    // The server comes back on the same port; the client registers again on the marker.
    let (server, imp) = start("", &format!("tcp -h 127.0.0.1 -p {port} -t 60000")).await;
    p.connect("di").await.unwrap();
    imp.clients()[0].push(Bytes::from_static(b"again")).unwrap();
    assert_eq!(&next_message(&mut stream).await.payload[..], b"again");
    server.shutdown().await;
}

#[tokio::test]
async fn idle_push_connections_ping_and_stay_open() {
    // The server closes connections that send nothing for 250 ms.
    let (server, imp) = start("", "tcp -h 127.0.0.1 -p 0 -t 250").await;
    let mut settings = ClientConfig::default();
    // The client closes idle connections after 100 ms; a subscribed one stays, and pings
    // every 50 ms, which keeps the server from closing it.
    settings.client_idle_timeout = Duration::from_millis(100);
    settings.check_status_interval = Duration::from_millis(10);
    let comm = Communicator::builder().config(settings).build();
    let p = proxy(&comm, &server);
    let mut stream = p.on_push();
    p.connect("ed").await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let client = imp.clients().pop().unwrap();
    client.push(Bytes::from_static(b"still here")).unwrap();
    assert_eq!(&next_message(&mut stream).await.payload[..], b"still here");
    assert_eq!(
        imp.seen.lock().unwrap().opened.len(),
        1,
        "the same connection all along"
    );

    // Without a stream, the same settings close the idle connection.
    drop(stream);
    wait_for("the idle connection to close", Duration::from_secs(5), || {
        imp.seen.lock().unwrap().closed.len() == 1
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn udp_clients_get_pushes_as_datagrams() {
    let (server, imp) = start("", "udp -h 127.0.0.1 -p 0 -t 60000").await;
    let comm = Communicator::new();
    let p = proxy(&comm, &server);
    let mut stream = p.on_push();
    p.connect("fay").await.unwrap();
    let client: PushSender = imp.clients().pop().unwrap();
    client.push(Bytes::from_static(b"by datagram")).unwrap();
    assert_eq!(&next_message(&mut stream).await.payload[..], b"by datagram");
    assert!(
        imp.seen.lock().unwrap().opened.is_empty(),
        "UDP has no connections to hear of"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_raw_push_frame_is_a_response_with_request_id_zero() {
    let (server, imp) = start("", "tcp -h 127.0.0.1 -p 0 -t 60000").await;
    let mut conn = Conn::connect(server.local_addr(PUSH_OBJ).unwrap()).await;
    let args = encode_exact(|b| "raw".to_string().encode(1, b));
    assert_eq!(conn.call(&request(9, PUSH_OBJ, "connect", args)).await.i_ret, 0);
    imp.clients()[0].push(Bytes::from_static(b"bytes")).unwrap();
    let push = conn.recv().await;
    assert_eq!(
        (push.i_version, push.c_packet_type, push.i_request_id, push.i_ret),
        (1, 0, 0, 0)
    );
    assert_eq!(&push.s_buffer[..], b"bytes");
    assert!(push.status.is_empty() && push.context.is_empty() && push.s_result_desc.is_empty());
    server.shutdown().await;
}
