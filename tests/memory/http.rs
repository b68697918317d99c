//! An HTTP servant's memory: thousands of idle keep-alive connections (each after one
//! request, so hyper's buffers exist) and bodies streamed at a server that limits them.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::mem;
use crate::support::http::{config, start, Conn};

/// Reads one response (head and the small body of `/hello/x`) off `s`.
async fn read_answer(s: &mut TcpStream) {
    let mut buf = [0u8; 512];
    let mut got = 0;
    while got == 0 || !buf[..got].ends_with(b"hello x") {
        let n = s.read(&mut buf[got..]).await.unwrap();
        assert!(n > 0, "closed before answering");
        got += n;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_cost_a_few_kib_each() {
    let _turn = mem::TURN.lock().await;
    // 4,000 client sockets and 4,000 server ones in this process (the CI's limit of open
    // files is 20,000); `examples/conn_memory --http` measures 10,000 across processes.
    const CONNS: usize = 4000;
    let (server, addr) = start(&config("", "tcp -h 127.0.0.1 -p 0 -t 600000", "maxconns=5000"))
        .await
        .unwrap();
    let base = mem::rss_mib();
    let mut conns = Vec::with_capacity(CONNS);
    for _ in 0..CONNS {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /hello/x HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
        read_answer(&mut s).await;
        conns.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let grown = mem::rss_mib() - base;
    let per_conn_kib = grown * 1024.0 / CONNS as f64;
    eprintln!("{CONNS} idle HTTP keep-alive connections: +{grown:.1} MiB, {per_conn_kib:.1} KiB each (both ends)");
    // Both ends live in this process: the client's socket costs little, the server's task,
    // hyper's connection state and buffers the rest.
    assert!(per_conn_kib < 32.0, "{per_conn_kib:.1} KiB per idle connection");
    let mut c = Conn::h1(addr).await;
    assert_eq!(c.get("/hello/still").await.body, "hello still");
    drop(conns);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_streamed_past_the_limit_are_cut_off_without_growing() {
    let _turn = mem::TURN.lock().await;
    let (server, addr) = start(&config(
        "maxPackageLength=1048576",
        "tcp -h 127.0.0.1 -p 0 -t 60000",
        "",
    ))
    .await
    .unwrap();
    mem::reset_peak();
    let base = mem::rss_mib();
    // 50 clients each stream a chunked body of up to 64 MiB at the echo route.
    let mut tasks = Vec::new();
    for _ in 0..50 {
        tasks.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(b"POST /api/echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
                .await
                .unwrap();
            let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "z".repeat(64 * 1024));
            let mut sent = 0usize;
            for _ in 0..1024 {
                if s.write_all(chunk.as_bytes()).await.is_err() {
                    break;
                }
                sent += 64 * 1024;
            }
            let mut head = [0u8; 12];
            let answered = s.read_exact(&mut head).await.is_ok();
            (sent, answered.then(|| String::from_utf8_lossy(&head).into_owned()))
        }));
    }
    for t in tasks {
        let (sent, head) = tokio::time::timeout(Duration::from_secs(30), t).await.unwrap().unwrap();
        assert!(sent < 64 << 20, "the whole 64 MiB body was read");
        if let Some(head) = head {
            assert_eq!(head, "HTTP/1.1 413");
        }
    }
    let peak = mem::peak_mib() - base;
    eprintln!("50 streamed bodies over a 1 MiB limit: peak +{peak:.1} MiB");
    assert!(peak < 160.0, "peak grew by {peak:.1} MiB");
    server.shutdown().await;
}
