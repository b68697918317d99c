//! TUP (v2, v3), JSON (v5) and UDP requests to the same servant.

use crate::support::raw::{frame_of, request, Conn};
use tars::application::Server;
use tars::codec::{self, Reader};
use tars::protocol::tup::{UniAttribute, Version};
use tars::protocol::{RequestPacket, ResponsePacket};
use tars::Application;
use tars::{Context, Status};

use crate::support::server::hello;

const OBJ: &str = "TestApp.HelloServer.HelloObj";

struct HelloImp;

#[tars::servant]
impl hello::test_app::Hello for HelloImp {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, _ctx: &Context, s_req: String) -> Result<(i32, String), Status> {
        if s_req == "fail" {
            return Err(Status::new(-77, "asked to fail"));
        }
        Ok((7, format!("echo:{s_req}")))
    }
}

async fn start(endpoint: &str) -> Server {
    Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
        .servant(OBJ, HelloImp)
        .endpoint(OBJ, endpoint)
        .unwrap()
        .start()
        .await
        .unwrap()
}

async fn tup_call(c: &mut Conn, version: Version, s_req: &str) -> RequestPacket {
    let mut attr = UniAttribute::new(version);
    attr.put("sReq", "string", &s_req.to_string());
    let mut req = request(9, OBJ, "testHello", attr.encode());
    req.i_version = if version == Version::V2 { 2 } else { 3 };
    c.send(&req).await;
    codec::from_bytes(&c.recv_frame().await.unwrap()).unwrap()
}

#[tokio::test]
async fn tup_requests_get_tup_replies() {
    let server = start("tcp -h 127.0.0.1 -p 0").await;
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    for version in [Version::V3, Version::V2] {
        // The reply uses the RequestPacket layout, echoing servant and function.
        let rsp = tup_call(&mut c, version, "tup").await;
        assert_eq!(
            (rsp.i_request_id, rsp.s_servant_name.as_str(), rsp.s_func_name.as_str()),
            (9, OBJ, "testHello")
        );
        let attr = UniAttribute::decode(&rsp.s_buffer, version).unwrap();
        assert_eq!(attr.get::<i32>("").unwrap(), Some(7));
        assert_eq!(attr.get::<i32>("tars_ret").unwrap(), Some(7));
        assert_eq!(attr.get::<String>("sRsp").unwrap().as_deref(), Some("echo:tup"));
        assert!(!rsp.status.contains_key("STATUS_RESULT_CODE"));
        // Errors travel in the status map.
        let rsp = tup_call(&mut c, version, "fail").await;
        assert_eq!(rsp.status["STATUS_RESULT_CODE"], "-77");
        assert_eq!(rsp.status["STATUS_RESULT_DESC"], "asked to fail");
    }
    // v2 replies carry TarsCpp's type names.
    let rsp = tup_call(&mut c, Version::V2, "types").await;
    let raw: std::collections::BTreeMap<String, std::collections::BTreeMap<String, tars::bytes::Bytes>> =
        Reader::from_bytes(&rsp.s_buffer).read_field(0).unwrap().unwrap();
    assert!(raw["sRsp"].contains_key("string"));
    assert!(raw[""].contains_key("int32"));
    server.shutdown().await;
}

#[tokio::test]
async fn json_requests_get_json_replies() {
    let server = start("tcp -h 127.0.0.1 -p 0").await;
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    let mut req = request(3, OBJ, "testHello", br#"{"sReq":"json"}"#.to_vec().into());
    req.i_version = 5;
    let rsp = c.call(&req).await;
    assert_eq!((rsp.i_version, rsp.i_ret), (5, 0));
    let body: serde_json::Value = serde_json::from_slice(&rsp.s_buffer).unwrap();
    assert_eq!(body, serde_json::json!({"tars_ret": 7, "sRsp": "echo:json"}));
    let mut bad = request(4, OBJ, "testHello", br#"{"sReq": 5}"#.to_vec().into());
    bad.i_version = 5;
    let rsp = c.call(&bad).await;
    assert_eq!(rsp.i_ret, -1);
    assert!(rsp.s_result_desc.contains("sReq"), "{}", rsp.s_result_desc);
    let mut unknown = request(5, OBJ, "testHello", Default::default());
    unknown.i_version = 9;
    let rsp = c.call(&unknown).await;
    assert_eq!(rsp.i_ret, -1);
    assert!(rsp.s_result_desc.contains("version 9"));
    server.shutdown().await;
}

#[tokio::test]
async fn udp_adapters_answer_datagrams() {
    let server = start("udp -h 127.0.0.1 -p 0").await;
    let addr = server.local_addr(OBJ).unwrap();
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let req = request(
        11,
        OBJ,
        "testHello",
        crate::support::raw::args(|b| tars::codec::TarsEncode::encode(&"udp".to_string(), 1, b)),
    );
    sock.send_to(&frame_of(&req), addr).await.unwrap();
    let mut buf = vec![0u8; 65536];
    let (n, _) = tokio::time::timeout(std::time::Duration::from_secs(5), sock.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let rsp: ResponsePacket = codec::from_slice(&buf[4..n]).unwrap();
    assert_eq!((rsp.i_request_id, rsp.i_ret), (11, 0));
    let out: Option<String> = Reader::from_bytes(&rsp.s_buffer).read_field(2).unwrap();
    assert_eq!(out.as_deref(), Some("echo:udp"));
    // A truncated datagram is dropped; the next one is served.
    sock.send_to(&frame_of(&req)[..10], addr).await.unwrap();
    sock.send_to(&frame_of(&req), addr).await.unwrap();
    let (n, _) = tokio::time::timeout(std::time::Duration::from_secs(5), sock.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        codec::from_slice::<ResponsePacket>(&buf[4..n]).unwrap().i_request_id,
        11
    );
    server.shutdown().await;
}
