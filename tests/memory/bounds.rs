//! Connections that hold the server without doing anything: bytes dripped slowly to keep a
//! connection open, frames that never complete, and a burst of connections.

use std::time::{Duration, Instant};

use crate::support::raw::{frame_of, request, Conn};
use crate::support::server::{hello_args, start, start_on, OBJ};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `bytes` one byte every `every` until the server closes the connection; returns how
/// long that took, or `None` if it was still open after `limit`.
async fn drip(mut s: TcpStream, bytes: Vec<u8>, every: Duration, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut sink = [0u8; 64];
    for b in bytes.iter().cycle() {
        if start.elapsed() > limit {
            return None;
        }
        if s.write_all(&[*b]).await.is_err() {
            return Some(start.elapsed());
        }
        // A closed connection shows as EOF (or a reset) on read.
        match tokio::time::timeout(every, s.read(&mut sink)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            _ => {}
        }
    }
    None
}

#[tokio::test]
async fn dripping_bytes_does_not_keep_a_connection_open_past_the_idle_timeout() {
    let _turn = crate::mem::TURN.lock().await;
    // `-t 1000`: idle after a second without a complete request; maxconns 50, all taken by
    // connections that send one byte every 200 ms of a request that never ends.
    let server = start_on("", "tcp -h 127.0.0.1 -p 0 -t 1000", "maxconns=50").await;
    let addr = server.local_addr(OBJ).unwrap();
    let frame = frame_of(&request(1, OBJ, "testHello", hello_args("x"))).to_vec();
    let mut drippers = Vec::new();
    for _ in 0..50 {
        let s = TcpStream::connect(addr).await.unwrap();
        drippers.push(tokio::spawn(drip(
            s,
            frame[..frame.len() - 1].to_vec(),
            Duration::from_millis(200),
            Duration::from_secs(10),
        )));
    }
    for d in drippers {
        let closed = d.await.unwrap().expect("a dripping connection must be closed");
        assert!(closed < Duration::from_secs(5), "closed only after {closed:?}");
    }
    // The slots are free again.
    let mut c = Conn::connect(addr).await;
    let rsp = c.call(&request(2, OBJ, "testHello", hello_args("hi"))).await;
    assert_eq!(rsp.i_ret, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_frame_must_complete_within_the_read_timeout() {
    let _turn = crate::mem::TURN.lock().await;
    // A long idle timeout, but a frame that started must end within `readtimeout`.
    let server = start("readtimeout=800", "").await;
    let addr = server.local_addr(OBJ).unwrap();
    let frame = frame_of(&request(1, OBJ, "testHello", hello_args("x"))).to_vec();
    let s = TcpStream::connect(addr).await.unwrap();
    let closed = drip(
        s,
        frame[..frame.len() - 1].to_vec(),
        Duration::from_millis(100),
        Duration::from_secs(10),
    )
    .await
    .expect("a frame that never completes must close the connection");
    assert!(closed < Duration::from_secs(4), "closed only after {closed:?}");
    // Whole requests, however far apart, are fine.
    let mut c = Conn::connect(addr).await;
    for id in 0..3 {
        let rsp = c.call(&request(id, OBJ, "testHello", hello_args("hi"))).await;
        assert_eq!(rsp.i_ret, 0);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_connections_is_accepted_without_syn_retries() {
    let _turn = crate::mem::TURN.lock().await;
    let server = start("", "maxconns=5000").await;
    let addr = server.local_addr(OBJ).unwrap();
    // The listening socket's backlog, as `ss` shows it (Send-Q of a LISTEN socket).
    if let Ok(out) = std::process::Command::new("ss")
        .args(["-ltnH", &format!("sport = :{}", addr.port())])
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        let backlog: Option<u32> = text.split_whitespace().nth(2).and_then(|v| v.parse().ok());
        let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(4096);
        assert_eq!(backlog, Some(4096.min(somaxconn)), "ss says: {text}");
    }
    let start = Instant::now();
    let calls: Vec<_> = (0..2000)
        .map(|i| {
            tokio::spawn(async move {
                let mut c = Conn::connect(addr).await;
                c.call(&request(i, OBJ, "test", Default::default())).await.i_ret
            })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.unwrap(), 0);
    }
    let took = start.elapsed();
    eprintln!("2000 connections, one call each: {took:?}");
    // A full accept queue drops the handshake and the client retries after a second.
    assert!(took < Duration::from_millis(2500), "took {took:?}");
    server.shutdown().await;
}
