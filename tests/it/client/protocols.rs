//! Proxies that speak TUP (v3, v2) and JSON as well as TARS: every method shape against a
//! tars-rs server, the protocol set per proxy, per call and in the config, and replies as
//! other servers write them (TarsGo's TUP, broken bodies) from a scripted peer.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tars::application::Server;
use tars::bytes::{Bytes, BytesMut};
use tars::client::{CallOptions, Communicator, Encoding};
use tars::codec::{self, Reader, TarsEncode, TarsStruct};
use tars::protocol::tup::{UniAttribute, Version};
use tars::protocol::{RequestPacket, ResponsePacket};
use tars::transport::frame;
use tars::Application;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::echo::hello::test_app::HelloProxy;
use crate::support::echo::interop::interop::EchoProxy;
use crate::support::echo::{every_shape, EchoImp, HelloImp};

const HELLO: &str = "TestApp.HelloServer.HelloObj";
const ECHO: &str = "TestApp.HelloServer.EchoObj";

const ALL: [Encoding; 4] = [Encoding::Tars, Encoding::TupV3, Encoding::TupV2, Encoding::Json];

async fn start() -> Server {
    Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
        .servant(HELLO, HelloImp)
        .endpoint(HELLO, "tcp -h 127.0.0.1 -p 0 -t 60000")
        .unwrap()
        .servant(ECHO, EchoImp::default())
        .endpoint(ECHO, "tcp -h 127.0.0.1 -p 0 -t 60000")
        .unwrap()
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_shape_over_every_protocol() {
    let server = start().await;
    let comm = Communicator::new();
    let hello: HelloProxy = comm
        .string_to_proxy(&format!("{HELLO}@{}", server.endpoint(HELLO).unwrap()))
        .unwrap();
    let echo: EchoProxy = comm
        .string_to_proxy(&format!("{ECHO}@{}", server.endpoint(ECHO).unwrap()))
        .unwrap();
    for protocol in ALL {
        let (hello, echo) = (hello.with_protocol(protocol), echo.with_protocol(protocol));
        every_shape(&format!("{protocol} to tars-rs"), &hello, &echo).await;
        // Framework codes come back through each protocol too: the deadline (-7) here.
        let e = echo
            .slow_with(&CallOptions::new().timeout(std::time::Duration::from_millis(100)), 2000)
            .await
            .unwrap_err();
        assert_eq!(e.code(), -7, "{protocol}: {e}");
    }
    // The untyped proxy says what it speaks; the typed ones can be switched in place.
    let mut echo = echo;
    echo.set_protocol(Encoding::Json);
    assert_eq!(tars::client::Proxy::servant_proxy(&echo).protocol(), Encoding::Json);
    assert_eq!(echo.echo_string("set in place").await.unwrap(), "set in place");
    server.shutdown().await;
}

/// A peer that records each request and answers it with the frame `answer` makes.
struct Peer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<RequestPacket>>>,
}

impl Peer {
    async fn start(answer: impl Fn(&RequestPacket) -> Bytes + Send + Sync + 'static) -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (log, answer) = (seen.clone(), Arc::new(answer));
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let (log, answer) = (log.clone(), answer.clone());
                tokio::spawn(async move {
                    let mut buf = BytesMut::new();
                    loop {
                        while let Ok(Some(f)) = frame::decode_frame(&mut buf, 1 << 20) {
                            let req: RequestPacket = codec::from_bytes(&f).unwrap();
                            let reply = answer(&req);
                            log.lock().unwrap().push(req);
                            if s.write_all(&reply).await.is_err() {
                                return;
                            }
                        }
                        if matches!(s.read_buf(&mut buf).await, Ok(0) | Err(_)) {
                            return;
                        }
                    }
                });
            }
        });
        Peer { addr, seen }
    }

    fn object(&self) -> String {
        format!("Test.Peer.Obj@tcp -h 127.0.0.1 -p {} -t 60000", self.addr.port())
    }

    fn last(&self) -> RequestPacket {
        self.seen.lock().unwrap().last().cloned().unwrap()
    }
}

fn framed<T: TarsStruct>(packet: &T) -> Bytes {
    let mut out = BytesMut::new();
    frame::encode_frame(&mut out, |b| packet.encode_fields(b));
    out.freeze()
}

/// A reply in the `RequestPacket` layout, as TarsCpp, @tars/rpc and TarsGo (v3) answer TUP.
fn request_layout(req: &RequestPacket, body: Bytes, status: &[(&str, &str)]) -> Bytes {
    framed(&RequestPacket {
        i_version: req.i_version,
        i_request_id: req.i_request_id,
        s_servant_name: req.s_servant_name.clone(),
        s_func_name: req.s_func_name.clone(),
        s_buffer: body,
        status: status.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Default::default()
    })
}

fn response(req: &RequestPacket, ret: i32, body: Bytes) -> Bytes {
    framed(&ResponsePacket {
        i_version: req.i_version,
        i_request_id: req.i_request_id,
        i_ret: ret,
        s_buffer: body,
        ..Default::default()
    })
}

fn tup(version: Version, values: &[(&str, &str, i32)]) -> Bytes {
    let mut a = UniAttribute::new(version);
    for (name, ty, v) in values {
        a.put(name, ty, v);
    }
    a.encode()
}

#[tokio::test]
async fn the_protocol_is_set_per_proxy_per_call_and_in_the_config() {
    // Answers `testHello` in whatever the request spoke, echoing its `sReq` as `sRsp`.
    let peer = Peer::start(|req| match req.i_version {
        2 | 3 => {
            let v = if req.i_version == 2 { Version::V2 } else { Version::V3 };
            let args = UniAttribute::decode(&req.s_buffer, v).unwrap();
            let mut out = UniAttribute::new(v);
            out.put("", "int32", &0i32);
            out.put("sRsp", "string", &args.get::<String>("sReq").unwrap().unwrap());
            request_layout(req, out.encode(), &[])
        }
        5 => {
            let args: serde_json::Value = serde_json::from_slice(&req.s_buffer).unwrap();
            let body = serde_json::json!({"tars_ret": 0, "sRsp": args["sReq"]});
            response(req, 0, body.to_string().into())
        }
        _ => {
            let s: String = codec::decode_field(&req.s_buffer, 1).unwrap().unwrap();
            let mut b = BytesMut::new();
            0i32.encode(0, &mut b);
            s.encode(2, &mut b);
            response(req, 0, b.freeze())
        }
    })
    .await;
    let comm = Communicator::new();
    let hello: HelloProxy = comm.string_to_proxy(&peer.object()).unwrap();
    for protocol in ALL {
        let hello = hello.with_protocol(protocol);
        assert_eq!(hello.test_hello("x").await.unwrap(), (0, "x".to_string()));
        assert_eq!(peer.last().i_version, protocol.version());
        // The per-call setting wins over the proxy's.
        let opts = CallOptions::new().protocol(Encoding::Json);
        assert_eq!(hello.test_hello_with(&opts, "y").await.unwrap().value.1, "y");
        assert_eq!(peer.last().i_version, 5);
        hello.test_hello_oneway("z").await.unwrap();
    }
    // What each protocol puts in sBuffer.
    let body = |protocol| {
        let hello = hello.with_protocol(protocol);
        let peer = &peer;
        async move {
            hello.test_hello("b").await.unwrap();
            peer.last().s_buffer
        }
    };
    assert_eq!(&body(Encoding::Json).await[..], br#"{"sReq":"b"}"#);
    let v3: std::collections::BTreeMap<String, Bytes> = Reader::from_bytes(&body(Encoding::TupV3).await)
        .read_field(0)
        .unwrap()
        .unwrap();
    assert_eq!(v3["sReq"], codec::encode_field("b", 0));
    let v2: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Bytes>> =
        Reader::from_bytes(&body(Encoding::TupV2).await)
            .read_field(0)
            .unwrap()
            .unwrap();
    assert_eq!(v2["sReq"]["string"], codec::encode_field("b", 0));

    // `protocol=` on the object's section of the config.
    let config = |value: &str| {
        format!("<tars><application><client>\n<Test.Peer.Obj>\nprotocol={value}\n</Test.Peer.Obj>\n</client></application></tars>")
    };
    let cfg: tars::config::Config = config("tup2").parse().unwrap();
    let comm = Communicator::builder().config(cfg.client).build();
    let hello: HelloProxy = comm.string_to_proxy(&peer.object()).unwrap();
    assert_eq!(tars::client::Proxy::servant_proxy(&hello).protocol(), Encoding::TupV2);
    assert_eq!(hello.test_hello("c").await.unwrap().1, "c");
    assert_eq!(peer.last().i_version, 2);
    let e = config("xml").parse::<tars::config::Config>().unwrap_err().to_string();
    assert_eq!(
        e,
        "line 3: invalid protocol=xml: unknown protocol [xml] (expected tars, tup, tup2 or json)"
    );
}

#[tokio::test]
async fn replies_as_other_servers_write_them() {
    // By the function called: each answers one way.
    let peer = Peer::start(|req| {
        let v = if req.i_version == 2 { Version::V2 } else { Version::V3 };
        match req.s_func_name.as_str() {
            // TarsGo: the return value under `tars_ret` alone, no result keys in status.
            "test" if req.i_version == 3 => request_layout(req, tup(v, &[("tars_ret", "int32", 11)]), &[]),
            // TarsGo's TUP v2: a ResponsePacket, its code in iRet.
            "test" => response(req, 0, tup(v, &[("tars_ret", "int32", 12)])),
            // TarsCpp and @tars/rpc: the code in status, with the result keys.
            "testHello" => request_layout(
                req,
                tup(v, &[]),
                &[("STATUS_RESULT_CODE", "-21"), ("STATUS_RESULT_DESC", "denied")],
            ),
            // TarsGo's v2 error: iRet.
            "echoString" => response(req, -3, Bytes::new()),
            // A TUP reply without the result.
            "echoKind" => request_layout(req, tup(v, &[("other", "int32", 1)]), &[]),
            // A TUP reply whose body is not a UniAttribute.
            "echoItem" => request_layout(req, Bytes::from_static(b"\xff\xff"), &[]),
            // A code that is not a number.
            _ => request_layout(req, tup(v, &[]), &[("STATUS_RESULT_CODE", "many")]),
        }
    })
    .await;
    let comm = Communicator::new();
    let hello: HelloProxy = comm.string_to_proxy(&peer.object()).unwrap();
    let echo: EchoProxy = comm.string_to_proxy(&peer.object()).unwrap();
    let (hello3, hello2) = (
        hello.with_protocol(Encoding::TupV3),
        hello.with_protocol(Encoding::TupV2),
    );
    assert_eq!(hello3.test().await.unwrap(), 11);
    assert_eq!(hello2.test().await.unwrap(), 12);
    for hello in [&hello3, &hello2] {
        let e = hello.test_hello("x").await.unwrap_err();
        assert_eq!(e.code(), -21, "{e}");
        assert!(e.to_string().contains("denied"), "{e}");
    }
    for protocol in [Encoding::TupV3, Encoding::TupV2] {
        let echo = echo.with_protocol(protocol);
        assert_eq!(echo.echo_string("x").await.unwrap_err().code(), -3);
        let e = echo.echo_kind(Default::default()).await.unwrap_err();
        assert_eq!(e.code(), -12, "{e}");
        assert!(e.to_string().contains("no result ''"), "{e}");
        let e = echo.echo_item(&crate::support::echo::item(1)).await.unwrap_err();
        assert_eq!(e.code(), -12, "{e}");
        let e = echo.echo_bytes(b"x").await.unwrap_err();
        assert_eq!(e.code(), -12, "{e}");
        assert!(e.to_string().contains("many"), "{e}");
    }
}

#[tokio::test]
async fn json_replies_that_are_not_objects_are_decode_errors() {
    let peer = Peer::start(|req| {
        let body: &'static [u8] = match req.s_func_name.as_str() {
            "test" => b"[1, 2]",
            "testHello" => b"{\"tars_ret\": 0",
            "echoString" => b"{\"tars_ret\": 5}",
            "echoKind" => b"{}",
            _ => b"{\"tars_ret\": 1, \"sum\": \"9007199254740993\"}",
        };
        response(req, 0, Bytes::from_static(body))
    })
    .await;
    let comm = Communicator::new();
    let hello: HelloProxy = comm.string_to_proxy(&peer.object()).unwrap();
    let echo: EchoProxy = comm.string_to_proxy(&peer.object()).unwrap();
    let (hello, echo) = (hello.with_protocol(Encoding::Json), echo.with_protocol(Encoding::Json));
    let e = hello.test().await.unwrap_err();
    assert_eq!(e.code(), -12, "{e}");
    assert!(e.to_string().contains("expected an object"), "{e}");
    assert_eq!(hello.test_hello("x").await.unwrap_err().code(), -12);
    let e = echo.echo_string("x").await.unwrap_err();
    assert_eq!(e.code(), -12, "{e}");
    assert!(e.to_string().contains("tars_ret"), "{e}");
    let e = echo.echo_kind(Default::default()).await.unwrap_err();
    assert!(e.to_string().contains("no result 'tars_ret'"), "{e}");
    // 64-bit numbers as strings, as JavaScript servers write them.
    let (ret, sum) = echo.scalars(true, 0, 0, 0, 0, 0.0, 0.0, 0, 0, 0).await.unwrap();
    assert_eq!((ret, sum), (1, 9_007_199_254_740_993));
}
