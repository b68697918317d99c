//! A scripted TARS server for client tests: it decodes each request and does what the test's
//! script says for that connection and request (answer, answer late, stall half-way through
//! a reply, never read), so client behaviour under faulty servers can be asserted.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tars::bytes::{Bytes, BytesMut};
use tars::codec::{self, TarsEncode, TarsStruct};
use tars::protocol::{RequestPacket, ResponsePacket};
use tars::transport::frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the fake does with one request.
#[derive(Debug, Clone)]
pub(crate) enum Act {
    /// Answers at once: `int` 0 at tag 0, plus the request's tag-1 string echoed at tag 2
    /// (`testHello`'s `sRsp`).
    Answer,
    /// Waits, then answers with `padding` extra bytes in the reply's body.
    #[allow(dead_code)] // Used by the `memory` binary only.
    AnswerLate { after: Duration, padding: usize },
    /// Sends the first half of the reply and then nothing, keeping the connection open.
    HalfThenStall,
}

/// A running fake: its address and the connections it accepted.
pub(crate) struct Fake {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
}

/// Starts a fake whose `script(connection, request)` (both counted from 0) says what to do.
pub(crate) async fn start(script: impl Fn(usize, usize) -> Act + Send + Sync + 'static) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let script = Arc::new(script);
    let count = connections.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let n = count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(s, n, script.clone()));
        }
    });
    Fake { addr, connections }
}

/// Starts a fake that accepts connections and never reads from them.
pub(crate) async fn start_deaf() -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let count = connections.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(s);
        }
    });
    Fake { addr, connections }
}

pub(crate) fn reply_to(req: &RequestPacket, padding: usize) -> Bytes {
    let mut body = BytesMut::new();
    0i32.encode(0, &mut body);
    if let Ok(Some(s)) = codec::decode_field::<String>(&req.s_buffer, 1) {
        s.encode(2, &mut body);
    }
    if padding > 0 {
        Bytes::from(vec![7u8; padding]).encode(3, &mut body);
    }
    let rsp = ResponsePacket {
        i_version: 1,
        i_request_id: req.i_request_id,
        s_buffer: body.freeze(),
        ..ResponsePacket::default()
    };
    let mut out = BytesMut::new();
    frame::encode_frame(&mut out, |b| rsp.encode_fields(b));
    out.freeze()
}

async fn serve(mut s: TcpStream, conn: usize, script: Arc<dyn Fn(usize, usize) -> Act + Send + Sync>) {
    let mut buf = BytesMut::new();
    let mut n = 0;
    loop {
        while let Ok(Some(f)) = frame::decode_frame(&mut buf, 1 << 30) {
            let req: RequestPacket = codec::from_bytes(&f).unwrap();
            match script(conn, n) {
                Act::Answer => {
                    if s.write_all(&reply_to(&req, 0)).await.is_err() {
                        return;
                    }
                }
                Act::AnswerLate { after, padding } => {
                    tokio::time::sleep(after).await;
                    let reply = reply_to(&req, padding);
                    if s.write_all(&reply).await.is_err() {
                        return;
                    }
                }
                Act::HalfThenStall => {
                    let reply = reply_to(&req, 0);
                    let _ = s.write_all(&reply[..reply.len() / 2]).await;
                    // Keep the connection open, reading and ignoring everything.
                    let mut sink = vec![0u8; 64 * 1024];
                    while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {}
                    return;
                }
            }
            n += 1;
        }
        match s.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}
