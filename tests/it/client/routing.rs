//! Routing end to end: hash calls, routekey, static weights, a user's discovery source and
//! balancer, the one deadline that filters may move, and replies that do not decode.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::server::hello::test_app::HelloProxy;
use crate::support::server::OBJ;
use tars::application::Server;
use tars::balance::{Balance, ConsistentHash, HashKey, ModHash, Random};
use tars::client::{CallOptions, Communicator};
use tars::client::{CallResult, ClientNext, ClientRequest};
use tars::discovery::{Discover, Endpoints, Resolution, Target};
use tars::filter::Filter;
use tars::transport::endpoint::Endpoint;
use tars::Application;
use tars::{Context, Status};
use tokio::sync::watch;

mod route {
    tars::include_tars!("tests/idl/route.tars");
}

/// `n` servers on distinct loopback addresses (127.0.0.1, .2, …): hash rings keep one
/// endpoint per host, as TarsGo's do.
async fn servers(n: usize) -> Vec<Server> {
    let mut all = Vec::new();
    for i in 1..=n {
        all.push(crate::support::server::start_on("", &format!("tcp -h 127.0.0.{i} -p 0 -t 60000"), "").await);
    }
    all
}

fn endpoints(servers: &[Server], extra: impl Fn(usize) -> String) -> String {
    servers
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}{}", s.endpoint(OBJ).unwrap(), extra(i)))
        .collect::<Vec<_>>()
        .join(":")
}

#[tokio::test]
async fn hash_calls_stick_to_the_endpoint_tarsgo_would_choose() {
    let servers = servers(3).await;
    let list = endpoints(&servers, |_| String::new());
    let eps = Endpoint::parse_list(&list).unwrap();
    let p: HelloProxy = Communicator::new().string_to_proxy(&format!("{OBJ}@{list}")).unwrap();
    for (opts, hash) in [
        (
            CallOptions::new().hash_key("user-1"),
            HashKey::Mod(tars::balance::hash_string("user-1")),
        ),
        (CallOptions::new().hash(42), HashKey::Mod(42)),
        (
            CallOptions::new().consistent_hash_key("user-2"),
            HashKey::Consistent(tars::balance::hash_string("user-2")),
        ),
    ] {
        let expected = match hash {
            HashKey::Mod(_) => ModHash.build(&eps).pick(Some(hash), &|_| true),
            HashKey::Consistent(_) => ConsistentHash.build(&eps).pick(Some(hash), &|_| true),
        }
        .map(|i| eps[i].address());
        for _ in 0..10 {
            let r = p.test_hello_with(&opts, "h").await.unwrap();
            assert_eq!(Some(r.endpoint.unwrap().address()), expected, "{hash:?}");
        }
    }
    // Codes spread over the servers.
    let mut used = std::collections::HashSet::new();
    for code in 0..12u32 {
        let r = p.test_hello_with(&CallOptions::new().hash(code), "k").await.unwrap();
        used.insert(r.endpoint.unwrap().address());
    }
    assert!(used.len() > 1, "{used:?}");
}

struct WhoAmI;

#[tars::servant]
impl route::test_app::Route for WhoAmI {
    async fn whoami(&self, ctx: &Context, _uid: String) -> Result<String, Status> {
        Ok(ctx.request_status().get("STATUS_GRID_KEY").cloned().unwrap_or_default())
    }
}

#[tokio::test]
async fn routekey_parameters_travel_as_the_grid_key_and_route_by_hash() {
    const ROUTE: &str = "TestApp.RouteServer.RouteObj";
    let mut servers = Vec::new();
    for i in 1..=3 {
        servers.push(
            Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
                .servant(ROUTE, WhoAmI)
                .endpoint(ROUTE, &format!("tcp -h 127.0.0.{i} -p 0 -t 60000"))
                .unwrap()
                .start()
                .await
                .unwrap(),
        );
    }
    let list: Vec<String> = servers.iter().map(|s| s.endpoint(ROUTE).unwrap().to_string()).collect();
    let p: route::test_app::RouteProxy = Communicator::new()
        .string_to_proxy(&format!("{ROUTE}@{}", list.join(":")))
        .unwrap();
    let mut seen: HashMap<String, String> = HashMap::new();
    for round in 0..5 {
        for uid in ["alice", "bob", "carol", "dave"] {
            let r = p.whoami_with(&CallOptions::new(), uid).await.unwrap();
            assert_eq!(r.value, uid);
            let at = r.endpoint.unwrap().address();
            assert_eq!(
                *seen.entry(uid.to_string()).or_insert(at.clone()),
                at,
                "round {round}: {uid} moved"
            );
        }
    }
    let used: std::collections::HashSet<&String> = seen.values().collect();
    assert!(used.len() > 1, "four keys all on one server: {seen:?}");
}

#[tokio::test]
async fn static_weights_share_the_calls() {
    let servers = servers(3).await;
    let weights = [100, 50, 25];
    let list = endpoints(&servers, |i| format!(" -w {} -v 1", weights[i]));
    let p: HelloProxy = Communicator::new().string_to_proxy(&format!("{OBJ}@{list}")).unwrap();
    let mut count: HashMap<u16, usize> = HashMap::new();
    let calls = 10_000;
    for _ in 0..calls {
        let r = p.test_hello_with(&CallOptions::new(), "w").await.unwrap();
        *count.entry(r.endpoint.unwrap().port).or_default() += 1;
    }
    for (s, w) in servers.iter().zip(weights) {
        let share = count[&s.local_addr(OBJ).unwrap().port()] as f64 / calls as f64;
        let expected = f64::from(w) / 175.0;
        assert!(
            (share - expected).abs() <= 0.05,
            "weight {w}: share {share:.3}, expected {expected:.3}"
        );
    }
}

/// A discovery source the test drives by hand.
struct Manual(watch::Sender<Resolution>);

impl Discover for Manual {
    fn watch(&self, _target: &Target) -> watch::Receiver<Resolution> {
        self.0.subscribe()
    }
}

#[tokio::test]
async fn a_user_discovery_source_and_balancer_plug_in() {
    let servers = servers(2).await;
    let (tx, _rx) = watch::channel(Resolution::Pending);
    let manual = Arc::new(Manual(tx));
    let comm = Communicator::builder()
        .discovery(manual.clone())
        .balance(Arc::new(Random))
        .build();
    let p: HelloProxy = comm.string_to_proxy(OBJ).unwrap();
    let first = servers[0].endpoint(OBJ).unwrap().clone();
    let second = servers[1].endpoint(OBJ).unwrap().clone();
    // The first call waits until the source answers.
    let call = tokio::spawn({
        let p = p.clone();
        async move { p.test_hello_with(&CallOptions::new(), "x").await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    manual
        .0
        .send_replace(Resolution::Ready(Arc::new(Endpoints::active(vec![first.clone()]))));
    assert_eq!(call.await.unwrap().unwrap().endpoint.unwrap().port, first.port);
    manual
        .0
        .send_replace(Resolution::Ready(Arc::new(Endpoints::active(vec![second.clone()]))));
    for _ in 0..5 {
        let r = p.test_hello_with(&CallOptions::new(), "y").await.unwrap();
        assert_eq!(r.endpoint.unwrap().port, second.port);
    }
    // A proxy of its own balancer.
    let p2 = HelloProxy::from_servant_proxy(p.servant_proxy().with_balance(Arc::new(ModHash)));
    assert_eq!(p2.test_hello("z").await.unwrap().1, "z");
}

/// Shortens every call's deadline to 150 ms.
struct Hurry;

impl Filter<ClientRequest, CallResult> for Hurry {
    async fn call(&self, mut req: ClientRequest, next: ClientNext<'_>) -> CallResult {
        req.set_timeout(Duration::from_millis(150));
        next.run(req).await
    }
}

/// Tells what deadline the request arrived with.
struct Deadline;

#[tars::servant]
impl crate::support::server::hello::test_app::Hello for Deadline {
    async fn test(&self, ctx: &Context) -> Result<i32, Status> {
        Ok(ctx.remaining().map_or(-1, |d| d.as_millis() as i32))
    }

    async fn test_hello(&self, _ctx: &Context, s: String) -> Result<(i32, String), Status> {
        tokio::time::sleep(Duration::from_millis(s.parse().unwrap())).await;
        Ok((0, s))
    }
}

#[tokio::test]
async fn one_deadline_which_a_filter_may_move_and_the_server_is_told() {
    let server = Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
        .servant(OBJ, Deadline)
        .endpoint(OBJ, "tcp -h 127.0.0.1 -p 0 -t 60000")
        .unwrap()
        .start()
        .await
        .unwrap();
    let obj = format!("{OBJ}@{}", server.endpoint(OBJ).unwrap());
    let plain: HelloProxy = Communicator::new().string_to_proxy(&obj).unwrap();
    let told = plain
        .test_with(&CallOptions::new().timeout(Duration::from_secs(2)))
        .await
        .unwrap()
        .value;
    assert!((1500..=2000).contains(&told), "iTimeout {told} ms for a 2 s call");
    let hurried: HelloProxy = Communicator::builder()
        .filter(Hurry)
        .build()
        .string_to_proxy(&obj)
        .unwrap();
    let told = hurried
        .test_with(&CallOptions::new().timeout(Duration::from_secs(2)))
        .await
        .unwrap()
        .value;
    assert!(
        (1..=150).contains(&told),
        "iTimeout {told} ms after the filter moved the deadline"
    );
    let start = Instant::now();
    let e = hurried
        .test_hello_with(&CallOptions::new().timeout(Duration::from_secs(2)), "1000")
        .await
        .unwrap_err();
    assert_eq!(e.code(), -7);
    assert!(start.elapsed() < Duration::from_millis(900), "{:?}", start.elapsed());
}

#[tokio::test]
async fn a_reply_that_does_not_decode_fails_its_call_at_once() {
    use tars::codec::TarsEncode;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = tars::bytes::BytesMut::new();
        loop {
            if let Ok(Some(f)) = tars::transport::frame::decode_frame(&mut buf, 1 << 20) {
                let req: tars::protocol::RequestPacket = tars::codec::from_bytes(&f).unwrap();
                // Request id and the fields before iRet are fine; iRet is a string.
                let mut body = tars::bytes::BytesMut::new();
                1i16.encode(1, &mut body);
                0i8.encode(2, &mut body);
                req.i_request_id.encode(3, &mut body);
                0i32.encode(4, &mut body);
                "not an int".encode(5, &mut body);
                let mut out = tars::bytes::BytesMut::new();
                tars::transport::frame::encode_frame(&mut out, |b| b.extend_from_slice(&body));
                s.write_all(&out).await.unwrap();
                continue;
            }
            if s.read_buf(&mut buf).await.unwrap() == 0 {
                return;
            }
        }
    });
    let p: HelloProxy = Communicator::new()
        .string_to_proxy(&format!("{OBJ}@tcp -h 127.0.0.1 -p {port}"))
        .unwrap();
    let start = Instant::now();
    let e = p
        .test_hello_with(&CallOptions::new().timeout(Duration::from_secs(5)), "x")
        .await
        .unwrap_err();
    assert_eq!(e.code(), -12, "{e}");
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(std::error::Error::source(&e).is_some());
}

use tars::client::Proxy;

#[tokio::test]
async fn a_hash_call_whose_endpoint_is_down_moves_on() {
    let up = crate::support::server::start("", "").await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Both on 127.0.0.1: the hash ring holds one of them, possibly the dead one.
    let list = format!("{}:tcp -h 127.0.0.1 -p {dead} -t 60000", up.endpoint(OBJ).unwrap());
    let p: HelloProxy = Communicator::new().string_to_proxy(&format!("{OBJ}@{list}")).unwrap();
    for code in 0..8 {
        let r = p.test_hello_with(&CallOptions::new().hash(code), "h").await.unwrap();
        assert_eq!(r.endpoint.unwrap().port, up.local_addr(OBJ).unwrap().port());
    }
}
