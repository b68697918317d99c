//! The server's memory under attack stays bounded: a client that pipelines requests and never
//! reads, thousands of headers announcing huge frames, and requests built to inflate when
//! decoded. Each test measures this process's resident memory (the server runs in it), so
//! the tests take turns.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::mem;
use crate::support::raw::{frame_of, request, Conn};
use crate::support::server::{hello_args, start, OBJ};
use tars::bytes::{Bytes, BytesMut};
use tars::codec::TarsEncode;
use tars::protocol::RequestPacket;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Calls `testHello` on a fresh connection and expects the echo within `within`.
async fn served_within(addr: std::net::SocketAddr, within: Duration) {
    let call = async {
        let mut c = Conn::connect(addr).await;
        c.call(&request(7, OBJ, "testHello", hello_args("still here"))).await
    };
    let rsp = tokio::time::timeout(within, call)
        .await
        .expect("another client must be served meanwhile");
    assert_eq!(rsp.i_ret, 0, "{}", rsp.s_result_desc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_pipelines_and_never_reads_is_bounded_then_dropped() {
    let _turn = mem::TURN.lock().await;
    let server = start("writetimeout=1000", "").await;
    let addr = server.local_addr(OBJ).unwrap();
    mem::reset_peak();
    let base = mem::rss_mib();

    // Up to 1M `testHello` requests in 1000-request writes; the reads never come.
    let mut chunk = BytesMut::new();
    for id in 1..=1000 {
        chunk.extend_from_slice(&frame_of(&request(id, OBJ, "testHello", hello_args("hello"))));
    }
    let chunk = chunk.freeze();
    let mut storm = TcpStream::connect(addr).await.unwrap();
    let writer = tokio::spawn(async move {
        let mut sent = 0usize;
        for _ in 0..1000 {
            if storm.write_all(&chunk).await.is_err() {
                break;
            }
            sent += 1000;
        }
        (sent, storm)
    });

    tokio::time::sleep(Duration::from_millis(1500)).await;
    served_within(addr, Duration::from_secs(2)).await;
    let peak = mem::peak_mib() - base;

    // The server stops reading at the connection's in-flight cap, its replies stall, and
    // after `writetimeout` it closes the connection: the writer's next write fails.
    let (sent, mut storm) = tokio::time::timeout(Duration::from_secs(20), writer)
        .await
        .expect("the server must drop a connection that never reads")
        .unwrap();
    let mut replies = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), storm.read_to_end(&mut replies)).await;
    let after = mem::rss_mib() - base;
    eprintln!("pipelining storm: {sent} requests written, peak +{peak:.1} MiB, after +{after:.1} MiB");
    assert!(sent < 1_000_000, "the server read all {sent} requests: no backpressure");
    assert!(peak < 64.0, "peak grew by {peak:.1} MiB");
    assert!(after < 32.0, "{after:.1} MiB kept after the storm");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_announcing_huge_frames_reserve_nothing() {
    let _turn = mem::TURN.lock().await;
    let server = start("", "maxconns=5000").await;
    let addr = server.local_addr(OBJ).unwrap();
    let base = mem::virtual_mib();
    // 2,000 connections, each announcing a 10 MiB frame and sending 100 bytes of it.
    let mut header = (10u32 << 20).to_be_bytes().to_vec();
    header.extend_from_slice(&[0u8; 100]);
    let mut conns = Vec::new();
    for _ in 0..2000 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&header).await.unwrap();
        conns.push(s);
    }
    // Give the server time to read them all, watching the address space meanwhile.
    let mut grown: f64 = 0.0;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(1500) {
        grown = grown.max(mem::virtual_mib() - base);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    served_within(addr, Duration::from_secs(2)).await;
    eprintln!("2000 announced 10 MiB frames: address space +{grown:.0} MiB");
    assert!(grown < 1024.0, "the address space grew by {grown:.0} MiB");
    drop(conns);
    server.shutdown().await;
}

/// A key from a counter, 4 ASCII characters.
fn key(i: usize) -> String {
    const SYMBOLS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..4).map(|k| SYMBOLS[(i >> (6 * k)) & 63] as char).collect()
}

/// About `size` bytes of request whose decoded form is many times larger.
fn amplifying_requests(size: usize) -> Vec<RequestPacket> {
    // A context map of tiny entries (8 bytes each on the wire).
    let context: BTreeMap<String, String> = (0..size / 8).map(|i| (key(i), String::new())).collect();
    let with_context = RequestPacket {
        context,
        ..request(1, OBJ, "testHello", hello_args("sleep 1500"))
    };
    // A JSON body with an array of zeros (2 bytes per value).
    let mut json = String::from("{\"sReq\":\"sleep 1500\",\"pad\":[0");
    json.push_str(&",0".repeat(size / 2));
    json.push_str("]}");
    let with_json = RequestPacket {
        i_version: 5,
        ..request(2, OBJ, "testHello", Bytes::from(json))
    };
    // A TUP v3 map of tiny entries (9 bytes each).
    let mut tup: BTreeMap<String, Bytes> = (0..size / 9).map(|i| (key(i), Bytes::new())).collect();
    tup.insert("sReq".into(), tars::codec::encode_field("sleep 1500", 0));
    let mut body = BytesMut::new();
    tup.encode(0, &mut body);
    let with_tup = RequestPacket {
        i_version: 3,
        ..request(3, OBJ, "testHello", body.freeze())
    };
    vec![with_context, with_json, with_tup]
}

/// The return code of a reply: a ResponsePacket's `iRet`, or a TUP reply's (RequestPacket
/// layout) `STATUS_RESULT_CODE`.
fn reply_code(frame: &Bytes) -> (i32, i32) {
    if let Ok(rsp) = tars::codec::from_bytes::<tars::protocol::ResponsePacket>(frame) {
        return (rsp.i_request_id, rsp.i_ret);
    }
    let tup: RequestPacket = tars::codec::from_bytes(frame).expect("a TARS or TUP reply");
    let code = tup
        .status
        .get(tars::protocol::tup::STATUS_RESULT_CODE)
        .map_or(0, |c| c.parse().unwrap());
    (tup.i_request_id, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_inflate_when_decoded_are_bounded_by_the_request_memory() {
    let _turn = mem::TURN.lock().await;
    let server = start("maxrequestmemory=200M\nmalloctrim=Y", "").await;
    let addr = server.local_addr(OBJ).unwrap();
    let mut frames: Vec<Bytes> = Vec::new();
    for round in 0..2 {
        for mut r in amplifying_requests(9_000_000) {
            r.i_request_id += 10 * round;
            frames.push(frame_of(&r));
        }
    }
    mem::reset_peak();
    let base = mem::rss_mib();
    let mut c = Conn::connect(addr).await;
    for f in &frames {
        c.send_raw(f).await.unwrap();
    }
    drop(frames);
    let mut codes = Vec::new();
    for _ in 0..6 {
        let frame = tokio::time::timeout(Duration::from_secs(30), c.recv_frame())
            .await
            .expect("every request gets a reply")
            .expect("the connection stays open");
        codes.push(reply_code(&frame));
    }
    let peak = mem::peak_mib() - base;
    drop(c);
    // The memory goes back to the OS shortly after the burst.
    let start = Instant::now();
    let mut after = mem::rss_mib() - base;
    while after >= 64.0 && start.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        after = mem::rss_mib() - base;
    }
    eprintln!("six ~9 MB inflating requests: replies {codes:?}, peak +{peak:.0} MiB, after +{after:.0} MiB");
    assert!(
        codes.iter().any(|c| c.1 == -9),
        "requests past the budget are refused with -9: {codes:?}"
    );
    assert!(peak < 260.0, "peak grew by {peak:.0} MiB");
    assert!(after < 64.0, "{after:.0} MiB kept afterwards");
    server.shutdown().await;
}
