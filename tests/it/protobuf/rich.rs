//! `tests/idl/proto/rich.proto`: every scalar type, `repeated`, `map`, `oneof`, nested and
//! imported messages, an enum, `optional`, a well-known type; served and called over TARS.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tars::application::Server;
use tars::client::{CallOptions, Communicator};
use tars::Application;
use tars::{Context, Status};

pub(crate) mod pb {
    tars::include_proto!("tests/idl/proto/rich.proto");
}

use pb::common::v1::Point;
use pb::rich::everything::{inner::Deeper, Choice, Inner};
use pb::rich::{Color, Everything, Ping, Rich, RichProxy};

const OBJ: &str = "TestApp.PbServer.RichObj";

#[derive(Default, Clone)]
struct RichImp {
    notes: Arc<Mutex<Vec<String>>>,
}

#[tars::servant]
impl Rich for RichImp {
    async fn echo(&self, _ctx: &Context, req: Everything) -> Result<Everything, Status> {
        Ok(req)
    }

    async fn fail_with(&self, _ctx: &Context, req: Ping) -> Result<Ping, Status> {
        let code: i32 = req.note.parse().map_err(|_| Status::new(1, "the note is not a code"))?;
        Err(Status::new(code, format!("failed with {code} as asked")))
    }

    async fn notify(&self, _ctx: &Context, req: Ping) -> Result<(), Status> {
        self.notes.lock().unwrap().push(req.note);
        Ok(())
    }
}

async fn serve(imp: RichImp) -> (Server, RichProxy) {
    let server = Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
        .servant(OBJ, imp)
        .endpoint(OBJ, "tcp -h 127.0.0.1 -p 0 -t 60000")
        .unwrap()
        .start()
        .await
        .unwrap();
    let proxy = Communicator::new()
        .string_to_proxy(&format!("{OBJ}@{}", server.endpoint(OBJ).unwrap()))
        .unwrap();
    (server, proxy)
}

fn everything() -> Everything {
    Everything {
        f_double: -1.5,
        f_float: 2.25,
        f_int32: -7,
        f_int64: i64::MIN,
        f_uint32: u32::MAX,
        f_uint64: u64::MAX,
        f_sint32: -300,
        f_sint64: -9_000_000_000,
        f_fixed32: 0xdead_beef,
        f_fixed64: 1 << 60,
        f_sfixed32: -1,
        f_sfixed64: -2,
        f_bool: true,
        f_string: "héllo".into(),
        f_bytes: vec![0, 1, 2, 255],
        numbers: vec![1, -2, 3],
        words: vec!["a".into(), "".into(), "ç".into()],
        counts: HashMap::from([("x".to_string(), 1), ("y".to_string(), -2)]),
        color: Color::Green as i32,
        point: Some(Point { x: 3, y: -4 }),
        path: vec![Point { x: 1, y: 1 }, Point::default()],
        inner: Some(Inner {
            label: "in".into(),
            deeper: Some(Deeper { deep: true }),
        }),
        choice: Some(Choice::Nested(Inner {
            label: "chosen".into(),
            deeper: None,
        })),
        at: Some(tars::protobuf::prost_types::Timestamp {
            seconds: 1_700_000_000,
            nanos: 5,
        }),
        maybe: Some(0),
    }
}

#[tokio::test]
async fn every_kind_of_field_round_trips_through_a_protobuf_servant() {
    let (server, proxy) = serve(RichImp::default()).await;
    let sent = everything();
    assert_eq!(proxy.echo(&sent).await.unwrap(), sent);
    for choice in [Choice::Text("t".into()), Choice::Number(-5)] {
        let with = Everything {
            choice: Some(choice),
            ..Everything::default()
        };
        assert_eq!(proxy.echo(&with).await.unwrap(), with);
    }
    // The empty message is an empty sBuffer, both ways.
    assert_eq!(proxy.echo(&Everything::default()).await.unwrap(), Everything::default());
    server.shutdown().await;
}

#[tokio::test]
async fn errors_are_return_codes_and_empty_replies_allow_one_way_calls() {
    let imp = RichImp::default();
    let (server, proxy) = serve(imp.clone()).await;
    let e = proxy.fail_with(&Ping { note: "-42".into() }).await.unwrap_err();
    assert_eq!(e.code(), -42);
    assert!(e.message().contains("failed with -42 as asked"), "{e}");
    proxy.notify(&Ping { note: "two-way".into() }).await.unwrap();
    proxy.notify_oneway(&Ping { note: "one-way".into() }).await.unwrap();
    crate::support::wait_for("the one-way note", Duration::from_secs(5), || {
        imp.notes.lock().unwrap().len() == 2
    })
    .await;
    assert_eq!(*imp.notes.lock().unwrap(), ["two-way", "one-way"]);
    // Call options (context, status, timeout) apply as for any TARS call.
    let reply = proxy
        .echo_with(
            &CallOptions::new().timeout(Duration::from_secs(1)).context("k", "v"),
            &Everything::default(),
        )
        .await
        .unwrap();
    assert_eq!(reply.value, Everything::default());
    // The servant describes itself as a TARS object does.
    assert_eq!(pb::rich::RICH_SERVICE.module, "rich");
    let names: Vec<&str> = pb::rich::RICH_SERVICE.methods.iter().map(|m| m.name).collect();
    assert_eq!(names, ["Echo", "FailWith", "Notify"]);
    server.shutdown().await;
}

#[tokio::test]
async fn a_protobuf_servant_and_an_idl_servant_share_one_endpoint() {
    use crate::support::server::hello::test_app::HelloProxy;
    use crate::support::server::{SleepyHello, OBJ as HELLO_OBJ};
    let server = Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
        .servant(OBJ, RichImp::default())
        .servant(HELLO_OBJ, SleepyHello)
        .endpoint(OBJ, "tcp -h 127.0.0.1 -p 0 -t 60000")
        .unwrap()
        .endpoint(HELLO_OBJ, "tcp -h 127.0.0.1 -p 0 -t 60000")
        .unwrap()
        .start()
        .await
        .unwrap();
    let (pb_at, hello_at) = (server.local_addr(OBJ).unwrap(), server.local_addr(HELLO_OBJ).unwrap());
    assert_eq!(pb_at, hello_at, "one listener, the servants told apart by name");
    let comm = Communicator::new();
    let rich: RichProxy = comm
        .string_to_proxy(&format!("{OBJ}@{}", server.endpoint(OBJ).unwrap()))
        .unwrap();
    let hello: HelloProxy = comm
        .string_to_proxy(&format!("{HELLO_OBJ}@{}", server.endpoint(HELLO_OBJ).unwrap()))
        .unwrap();
    let ping = Everything {
        f_string: "pb".into(),
        ..Everything::default()
    };
    assert_eq!(rich.echo(&ping).await.unwrap(), ping);
    assert_eq!(hello.test_hello("tars").await.unwrap(), (0, "tars".to_string()));
    server.shutdown().await;
}
