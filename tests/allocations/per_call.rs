//! Heap allocations per request on the server and per call on the client, counted by a
//! global allocator, with a ceiling each: the hot paths must not grow allocations unnoticed.
//!
//! The peer on the other side of each measurement (a raw TARS client for the server, a raw
//! TARS server for the client) runs on a thread whose allocations are not counted, so the
//! count is the tars-rs side's alone. Run with `--nocapture` to see the figures.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::Ordering::Relaxed;

use crate::support::raw::{frame_of, request};
use crate::support::server::{hello, hello_args, OBJ};
use tars::bytes::BytesMut;
use tars::codec::{self, TarsEncode};
use tars::protocol::{RequestPacket, ResponsePacket};
use tars::transport::frame;

use crate::{ALLOCATIONS, TURN, UNCOUNTED};

/// Calls in flight on the one connection, as in the benchmarks.
const IN_FLIGHT: usize = 64;
const PAYLOAD: usize = 128;

/// Ceilings, allocations and reallocations per request/call, one above what was measured
/// when they were set. Server, 9: the request's two name strings, its argument, the results
/// buffer and its shared header, three futures (the handling, its inner part and the
/// servant's), the request's context. Client, 6.1: the packet's two name strings, the
/// arguments, the frame, the reply slot, the reply's string.
const SERVER_CEILING: f64 = 10.0;
const CLIENT_CEILING: f64 = 7.0;

#[test]
fn allocations_per_request_and_per_call() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = per_request_on_the_server(&rt);
    let client = per_call_on_the_client(&rt);
    eprintln!("allocations: {server:.2} per request (server), {client:.2} per call (client)");
    assert!(
        server <= SERVER_CEILING,
        "{server:.2} allocations per request on the server"
    );
    assert!(
        client <= CLIENT_CEILING,
        "{client:.2} allocations per call on the client"
    );
}

/// A raw client sends rounds of `IN_FLIGHT` pipelined `testHello` requests and reads the
/// replies; returns the server's allocations per request over the measured rounds.
fn per_request_on_the_server(rt: &tokio::runtime::Runtime) -> f64 {
    let server = rt.block_on(crate::support::server::start("", ""));
    let addr = server.local_addr(OBJ).unwrap();
    let (warmup, measured) = (50, 500);
    let peer = std::thread::spawn(move || {
        UNCOUNTED.with(|u| u.set(true));
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        let mut round = Vec::new();
        for id in 0..IN_FLIGHT {
            let req = request(id as i32 + 1, OBJ, "testHello", hello_args(&"x".repeat(PAYLOAD)));
            round.extend_from_slice(&frame_of(&req));
        }
        let mut buf = BytesMut::with_capacity(1 << 20);
        let mut run = |rounds: usize| {
            for _ in 0..rounds {
                stream.write_all(&round).unwrap();
                for _ in 0..IN_FLIGHT {
                    let reply = next_frame(&mut stream, &mut buf).expect("the server closed the connection");
                    let rsp: ResponsePacket = codec::from_bytes(&reply).unwrap();
                    assert_eq!(rsp.i_ret, 0);
                }
            }
        };
        run(warmup);
        let before = ALLOCATIONS.load(Relaxed);
        run(measured);
        ALLOCATIONS.load(Relaxed) - before
    });
    let allocations = peer.join().unwrap();
    rt.block_on(server.shutdown());
    allocations as f64 / (measured * IN_FLIGHT) as f64
}

/// `IN_FLIGHT` tasks call `testHello` through one proxy (one connection) against a raw
/// server; returns the client's allocations per call.
fn per_call_on_the_client(rt: &tokio::runtime::Runtime) -> f64 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        UNCOUNTED.with(|u| u.set(true));
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_nodelay(true).unwrap();
        let mut buf = BytesMut::with_capacity(1 << 20);
        let mut out = BytesMut::new();
        while let Some(frame) = next_frame(&mut stream, &mut buf) {
            let req: RequestPacket = codec::from_bytes(&frame).unwrap();
            let rsp = ResponsePacket {
                i_version: 1,
                i_request_id: req.i_request_id,
                s_buffer: {
                    // testHello's reply: the return value at tag 0, the echo at tag 2.
                    let mut b = BytesMut::new();
                    0i32.encode(0, &mut b);
                    let s: String = codec::decode_field(&req.s_buffer, 1).unwrap().unwrap();
                    s.encode(2, &mut b);
                    b.freeze()
                },
                ..ResponsePacket::default()
            };
            out.clear();
            frame::encode_frame(&mut out, |b| tars::codec::TarsStruct::encode_fields(&rsp, b));
            // The raw server answers as soon as it reads; the client batches on its side.
            if stream.write_all(&out).is_err() {
                break;
            }
        }
    });
    let (warmup, measured) = (200, 2000);
    rt.block_on(async move {
        let comm = tars::client::Communicator::new();
        let proxy: hello::test_app::HelloProxy = comm
            .string_to_proxy(&format!("{OBJ}@tcp -h 127.0.0.1 -p {} -t 60000", addr.port()))
            .unwrap();
        let arg = "x".repeat(PAYLOAD);
        let round = |calls: usize| {
            let tasks: Vec<_> = (0..IN_FLIGHT)
                .map(|_| {
                    let (proxy, arg) = (proxy.clone(), arg.clone());
                    tokio::spawn(async move {
                        for _ in 0..calls {
                            let (ret, echo) = proxy.test_hello(&arg).await.unwrap();
                            assert_eq!((ret, echo.len()), (0, PAYLOAD));
                        }
                    })
                })
                .collect();
            async move {
                for t in tasks {
                    t.await.unwrap();
                }
            }
        };
        round(warmup).await;
        let before = ALLOCATIONS.load(Relaxed);
        round(measured).await;
        // The spawns and the task list of the round: 2 + IN_FLIGHT allocations in all.
        let allocations = ALLOCATIONS.load(Relaxed) - before;
        allocations as f64 / (measured * IN_FLIGHT) as f64
    })
}

/// The next frame's payload from a blocking stream; `None` once the peer has closed it.
fn next_frame(stream: &mut TcpStream, buf: &mut BytesMut) -> Option<tars::bytes::Bytes> {
    loop {
        if let Some(f) = frame::decode_frame(buf, 1 << 30).unwrap() {
            return Some(f);
        }
        let mut chunk = [0u8; 64 * 1024];
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}
