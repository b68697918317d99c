//! The server end to end over TCP, with a raw client: dispatch, out parameters, errors.

use std::time::Duration;

use crate::support::raw::{args, request, Conn};
use tars::application::Server;
use tars::codec::{Reader, TarsEncode};
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

    async fn test_hello(&self, ctx: &Context, s_req: String) -> Result<(i32, String), Status> {
        if s_req == "fail" {
            return Err(Status::new(-77, "asked to fail"));
        }
        if s_req == "panic" {
            panic!("asked to panic");
        }
        if let Some(ms) = s_req.strip_prefix("sleep ") {
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap())).await;
        }
        ctx.set_response_context("echo-peer", ctx.peer().ip().to_string());
        Ok((s_req.len() as i32, s_req))
    }
}

async fn start() -> Server {
    Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
        .servant(OBJ, HelloImp)
        .endpoint(OBJ, "tcp -h 127.0.0.1 -p 0 -t 60000")
        .unwrap()
        .start()
        .await
        .unwrap()
}

fn hello_args(s: &str) -> tars::bytes::Bytes {
    args(|b| s.to_string().encode(1, b))
}

#[tokio::test]
async fn test_hello_returns_ret_and_out() {
    let server = start().await;
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    let rsp = c.call(&request(1, OBJ, "testHello", hello_args("hello tars"))).await;
    assert_eq!((rsp.i_ret, rsp.i_request_id, rsp.i_version), (0, 1, 1));
    let mut r = Reader::from_bytes(&rsp.s_buffer);
    assert_eq!(r.read_field::<i32>(0).unwrap(), Some(10));
    assert_eq!(r.read_field::<String>(2).unwrap().as_deref(), Some("hello tars"));
    assert_eq!(rsp.context.get("echo-peer").map(String::as_str), Some("127.0.0.1"));
    let rsp = c.call(&request(2, OBJ, "test", Default::default())).await;
    assert_eq!(
        (
            rsp.i_ret,
            Reader::from_bytes(&rsp.s_buffer).read_field::<i32>(0).unwrap()
        ),
        (0, Some(0))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn errors_map_to_return_codes() {
    let server = start().await;
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    let rsp = c.call(&request(1, OBJ, "testHello", hello_args("fail"))).await;
    assert_eq!((rsp.i_ret, rsp.s_result_desc.as_str()), (-77, "asked to fail"));
    assert!(rsp.s_buffer.is_empty());
    let rsp = c.call(&request(2, OBJ, "noSuchFunc", Default::default())).await;
    assert_eq!(rsp.i_ret, -3, "{}", rsp.s_result_desc);
    assert!(rsp.s_result_desc.contains("noSuchFunc"));
    let rsp = c
        .call(&request(3, "TestApp.HelloServer.Nope", "test", Default::default()))
        .await;
    assert_eq!(rsp.i_ret, -4);
    assert!(rsp.s_result_desc.contains("TestApp.HelloServer.Nope"));
    // Parameter of the wrong type: an int where a string is expected.
    let rsp = c.call(&request(4, OBJ, "testHello", args(|b| 5i32.encode(1, b)))).await;
    assert_eq!(rsp.i_ret, -1);
    assert!(rsp.s_result_desc.contains("sReq"), "{}", rsp.s_result_desc);
    let rsp = c.call(&request(5, OBJ, "testHello", Default::default())).await;
    assert_eq!(rsp.i_ret, -1);
    assert!(rsp.s_result_desc.contains("missing"), "{}", rsp.s_result_desc);
    let rsp = c.call(&request(6, OBJ, "testHello", hello_args("panic"))).await;
    assert_eq!(rsp.i_ret, -99);
    assert!(rsp.s_result_desc.contains("asked to panic"), "{}", rsp.s_result_desc);
    // The connection still works.
    let rsp = c.call(&request(7, OBJ, "tars_ping", Default::default())).await;
    assert_eq!((rsp.i_ret, rsp.s_buffer.len()), (0, 0));
    server.shutdown().await;
}

#[tokio::test]
async fn requests_on_one_connection_run_concurrently() {
    let server = start().await;
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    // A slow request first, a fast one second: the fast reply must come back first.
    c.send(&request(1, OBJ, "testHello", hello_args("sleep 300"))).await;
    c.send(&request(2, OBJ, "testHello", hello_args("quick"))).await;
    assert_eq!(c.recv().await.i_request_id, 2);
    assert_eq!(c.recv().await.i_request_id, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn one_way_requests_get_no_reply() {
    let server = start().await;
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    let mut one_way = request(1, OBJ, "testHello", hello_args("x"));
    one_way.c_packet_type = 1;
    c.send(&one_way).await;
    let rsp = c.call(&request(2, OBJ, "test", Default::default())).await;
    assert_eq!(rsp.i_request_id, 2, "the one-way request must not have been answered");
    server.shutdown().await;
}

#[tokio::test]
async fn several_servants_share_one_endpoint_tcp_and_udp() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let udp = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let adapter = |name: &str, ep: &str| {
        format!("<{name}Adapter>\nendpoint={ep}\nservant=TestApp.HelloServer.{name}\n</{name}Adapter>\n")
    };
    let tcp = format!("tcp -h 127.0.0.1 -p {port} -t 60000");
    let udp = format!("udp -h 127.0.0.1 -p {udp}");
    let config = format!(
        "<tars><application><server>\napp=TestApp\nserver=HelloServer\n{}{}{}{}</server></application></tars>",
        adapter("HelloObj", &tcp),
        adapter("OtherObj", &tcp),
        adapter("HelloUdpObj", &udp),
        adapter("OtherUdpObj", &udp),
    );
    let server = Application::new(config.parse().unwrap())
        .servant("HelloObj", HelloImp)
        .servant("OtherObj", HelloImp)
        .servant("HelloUdpObj", HelloImp)
        .servant("OtherUdpObj", HelloImp)
        .start()
        .await
        .unwrap();
    // Every adapter tells where it is bound, UDP included.
    let bound: Vec<(&str, u16)> = server
        .adapters()
        .iter()
        .map(|b| (b.servant(), b.endpoint.port))
        .collect();
    assert_eq!(bound.len(), 4);
    assert_eq!(
        server.local_addr("TestApp.HelloServer.OtherUdpObj").unwrap().port(),
        server.endpoint("TestApp.HelloServer.HelloUdpObj").unwrap().port
    );
    let comm = tars::client::Communicator::new();
    for (name, ep) in [
        ("HelloObj", &tcp),
        ("OtherObj", &tcp),
        ("HelloUdpObj", &udp),
        ("OtherUdpObj", &udp),
    ] {
        let p: hello::test_app::HelloProxy = comm
            .string_to_proxy(&format!("TestApp.HelloServer.{name}@{ep}"))
            .unwrap();
        assert_eq!(p.test_hello(name).await.unwrap().1, name);
    }
    let nobody: hello::test_app::HelloProxy = comm
        .string_to_proxy(&format!("TestApp.HelloServer.Nobody@{tcp}"))
        .unwrap();
    assert_eq!(nobody.test().await.unwrap_err().code(), tars::Code::NoSuchServant);
    server.shutdown().await;
}
