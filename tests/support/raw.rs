//! A minimal TARS client over a raw socket, to test the server byte by byte (the real client
//! is tested on its own).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use tars::bytes::{Bytes, BytesMut};
use tars::codec::{self, TarsStruct};
use tars::protocol::{RequestPacket, ResponsePacket};
use tars::transport::frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub(crate) fn request(id: i32, servant: &str, func: &str, body: Bytes) -> RequestPacket {
    RequestPacket {
        i_version: 1,
        i_request_id: id,
        s_servant_name: servant.into(),
        s_func_name: func.into(),
        s_buffer: body,
        i_timeout: 3000,
        ..RequestPacket::default()
    }
}

pub(crate) fn frame_of<T: TarsStruct>(packet: &T) -> Bytes {
    let mut buf = BytesMut::new();
    frame::encode_frame(&mut buf, |b| packet.encode_fields(b));
    buf.freeze()
}

pub(crate) struct Conn {
    pub stream: TcpStream,
    buf: BytesMut,
}

impl Conn {
    pub(crate) async fn connect(addr: SocketAddr) -> Conn {
        Conn {
            stream: TcpStream::connect(addr).await.unwrap(),
            buf: BytesMut::new(),
        }
    }

    pub(crate) async fn send<T: TarsStruct>(&mut self, packet: &T) {
        self.stream.write_all(&frame_of(packet)).await.unwrap();
    }

    pub(crate) async fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// The next frame's payload, or `None` if the server closed the connection.
    pub(crate) async fn recv_frame(&mut self) -> Option<Bytes> {
        loop {
            if let Some(f) = frame::decode_frame(&mut self.buf, 1 << 30).unwrap() {
                return Some(f);
            }
            match self.stream.read_buf(&mut self.buf).await {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    pub(crate) async fn recv(&mut self) -> ResponsePacket {
        codec::from_bytes(&self.recv_frame().await.expect("connection closed")).unwrap()
    }

    pub(crate) async fn call(&mut self, req: &RequestPacket) -> ResponsePacket {
        self.send(req).await;
        self.recv().await
    }
}

pub(crate) fn args(f: impl FnOnce(&mut BytesMut)) -> Bytes {
    let mut b = BytesMut::new();
    f(&mut b);
    b.freeze()
}

#[allow(dead_code)]
pub(crate) fn no_maps() -> BTreeMap<String, String> {
    BTreeMap::new()
}
