//! The bytes of a protobuf call over TARS, as TarsGo's `protoc-gen-go-tarsrpc` code sends
//! and reads them (its generated `SayHelloWithContext` and `Dispatch`): an ordinary
//! `RequestPacket` (iVersion 1, normal packet) whose `sFuncName` is the method's Go name and
//! whose `sBuffer` is `proto.Marshal(&input)`; an ordinary `ResponsePacket` (iVersion 1,
//! iRet 0) whose `sBuffer` is `proto.Marshal(&res)`.

use tars::bytes::Bytes;
use tars::client::Communicator;
use tars::protocol::{RequestPacket, ResponsePacket};
use tars::Application;
use tars::{Context, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::raw::{frame_of, request, Conn};

mod pb {
    tars::include_proto!("examples/proto/helloworld.proto");
}

use pb::helloworld::{Greeter, GreeterProxy, HelloReply, HelloRequest};

const OBJ: &str = "TestApp.PbServer.GreeterObj";

/// `HelloRequest{name: "tars"}` as Go's `proto.Marshal` writes it: field 1, wire type 2.
const REQUEST: &[u8] = b"\x0a\x04tars";
/// `HelloReply{message: "hello tars"}`.
const REPLY: &[u8] = b"\x0a\x0ahello tars";

struct GreeterImp;

#[tars::servant]
impl Greeter for GreeterImp {
    async fn say_hello(&self, _ctx: &Context, req: HelloRequest) -> Result<HelloReply, Status> {
        Ok(HelloReply {
            message: format!("hello {}", req.name),
        })
    }
}

#[tokio::test]
async fn the_server_answers_tarsgos_request_bytes_with_tarsgos_reply_bytes() {
    let server = Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
        .servant(OBJ, GreeterImp)
        .endpoint(OBJ, "tcp -h 127.0.0.1 -p 0 -t 60000")
        .unwrap()
        .start()
        .await
        .unwrap();
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    let rsp = c.call(&request(7, OBJ, "SayHello", Bytes::from_static(REQUEST))).await;
    assert_eq!((rsp.i_version, rsp.c_packet_type, rsp.i_request_id), (1, 0, 7));
    assert_eq!((rsp.i_ret, rsp.s_result_desc.as_str()), (0, ""));
    assert_eq!(&rsp.s_buffer[..], REPLY);
    // The method's proto name in snake case is not its wire name.
    let rsp = c.call(&request(8, OBJ, "say_hello", Bytes::from_static(REQUEST))).await;
    assert_eq!(rsp.i_ret, -3, "{}", rsp.s_result_desc);
    // A body that is not the message: a server decode error.
    let rsp = c
        .call(&request(9, OBJ, "SayHello", Bytes::from_static(b"\x0a\xff")))
        .await;
    assert_eq!(rsp.i_ret, -1, "{}", rsp.s_result_desc);
    server.shutdown().await;
}

#[tokio::test]
async fn the_proxy_sends_tarsgos_request_bytes_and_reads_its_reply() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut len = [0u8; 4];
        s.read_exact(&mut len).await.unwrap();
        let mut rest = vec![0u8; u32::from_be_bytes(len) as usize - 4];
        s.read_exact(&mut rest).await.unwrap();
        let req: RequestPacket = tars::codec::from_bytes(&Bytes::from(rest)).unwrap();
        let rsp = ResponsePacket {
            i_version: 1,
            i_request_id: req.i_request_id,
            s_buffer: Bytes::from_static(REPLY),
            ..ResponsePacket::default()
        };
        s.write_all(&frame_of(&rsp)).await.unwrap();
        req
    });
    let proxy: GreeterProxy = Communicator::new()
        .string_to_proxy(&format!("{OBJ}@tcp -h 127.0.0.1 -p {} -t 3000", addr.port()))
        .unwrap();
    let reply = proxy.say_hello(&HelloRequest { name: "tars".into() }).await.unwrap();
    assert_eq!(reply.message, "hello tars");
    let req = peer.await.unwrap();
    assert_eq!((req.i_version, req.c_packet_type, req.i_message_type), (1, 0, 0));
    assert_eq!(
        (req.s_servant_name.as_str(), req.s_func_name.as_str()),
        (OBJ, "SayHello")
    );
    assert_eq!(&req.s_buffer[..], REQUEST);
}
