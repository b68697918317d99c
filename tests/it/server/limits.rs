//! Capacity limits, access lists, idle close, filters and graceful shutdown.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::raw::{request, Conn};
use crate::support::server::{SleepyHello, OBJ};
use tars::application::Server;
use tars::config::Config;
use tars::filter::Filter;
use tars::server::{ServerNext, ServerRequest, ServerResponse};
use tars::Application;
use tars::Status;

fn config(adapter_extra: &str, endpoint: &str) -> Config {
    crate::support::server::config("gracedowntimeout=5000", endpoint, adapter_extra)
        .parse()
        .unwrap()
}

async fn start(adapter_extra: &str) -> Server {
    crate::support::server::start_on("gracedowntimeout=5000", "tcp -h 127.0.0.1 -p 0 -t 60000", adapter_extra).await
}

fn hello(s: &str) -> tars::bytes::Bytes {
    crate::support::server::hello_args(s)
}

#[tokio::test]
async fn over_queuecap_answers_overload_at_once() {
    let server = start("threads=1\nqueuecap=2\nqueuetimeout=60000").await;
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    // Two admitted (one running, one waiting); the third is rejected without waiting.
    c.send(&request(1, OBJ, "testHello", hello("sleep 1500"))).await;
    c.send(&request(2, OBJ, "testHello", hello("sleep 1"))).await;
    // Give the server ample time to admit both, even on a loaded machine.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = Instant::now();
    c.send(&request(3, OBJ, "testHello", hello("x"))).await;
    let rsp = c.recv().await;
    assert_eq!((rsp.i_request_id, rsp.i_ret), (3, -9), "{}", rsp.s_result_desc);
    assert!(
        start.elapsed() < Duration::from_millis(1000),
        "rejected at once, not after the queue drained"
    );
    assert_eq!(c.recv().await.i_ret, 0);
    assert_eq!(c.recv().await.i_ret, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn requests_that_waited_too_long_answer_queue_timeout() {
    let server = start("threads=1\nqueuecap=100\nqueuetimeout=100").await;
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    c.send(&request(1, OBJ, "testHello", hello("sleep 500"))).await;
    c.send(&request(2, OBJ, "testHello", hello("never runs"))).await;
    let rsp = c.recv().await;
    assert_eq!((rsp.i_request_id, rsp.i_ret), (2, -6), "{}", rsp.s_result_desc);
    // The caller's own iTimeout counts too.
    let mut short = request(3, OBJ, "testHello", hello("x"));
    short.i_timeout = 50;
    c.send(&short).await;
    let rsp = c.recv().await;
    assert_eq!((rsp.i_request_id, rsp.i_ret), (3, -6));
    assert_eq!(c.recv().await.i_request_id, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn maxconns_closes_extra_connections_and_keeps_serving() {
    let server = start("maxconns=2").await;
    let addr = server.local_addr(OBJ).unwrap();
    let mut a = Conn::connect(addr).await;
    let mut b = Conn::connect(addr).await;
    assert_eq!(a.call(&request(1, OBJ, "test", Default::default())).await.i_ret, 0);
    assert_eq!(b.call(&request(1, OBJ, "test", Default::default())).await.i_ret, 0);
    let mut extra = Conn::connect(addr).await;
    let _ = extra
        .send_raw(&crate::support::raw::frame_of(&request(
            1,
            OBJ,
            "test",
            Default::default(),
        )))
        .await;
    assert!(extra.recv_frame().await.is_none(), "a third connection must be closed");
    assert_eq!(a.call(&request(2, OBJ, "test", Default::default())).await.i_ret, 0);
    drop(b);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut again = Conn::connect(addr).await;
    assert_eq!(again.call(&request(1, OBJ, "test", Default::default())).await.i_ret, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn allow_lists_refuse_other_addresses() {
    let server = start("allow=10.1.2.3").await;
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    let _ = c
        .send_raw(&crate::support::raw::frame_of(&request(
            1,
            OBJ,
            "test",
            Default::default(),
        )))
        .await;
    assert!(c.recv_frame().await.is_none());
    server.shutdown().await;
    let server = start("allow=127.0.0.*").await;
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    assert_eq!(c.call(&request(1, OBJ, "test", Default::default())).await.i_ret, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn idle_connections_close_after_the_endpoint_timeout() {
    let server = Application::new(config("", "tcp -h 127.0.0.1 -p 0 -t 200"))
        .servant(OBJ, SleepyHello)
        .start()
        .await
        .unwrap();
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    assert_eq!(c.call(&request(1, OBJ, "test", Default::default())).await.i_ret, 0);
    let start = Instant::now();
    assert!(tokio::time::timeout(Duration::from_secs(5), c.recv_frame())
        .await
        .unwrap()
        .is_none());
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(150) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    // A request that runs longer than -t keeps its connection.
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    assert_eq!(c.call(&request(1, OBJ, "testHello", hello("sleep 500"))).await.i_ret, 0);
    server.shutdown().await;
}

/// Records the order filters run in, rewrites the request, and short-circuits one function.
struct Tag {
    name: &'static str,
    order: Arc<std::sync::Mutex<Vec<String>>>,
    latencies: Arc<AtomicUsize>,
}

impl Filter<ServerRequest, ServerResponse> for Tag {
    async fn call(&self, mut req: ServerRequest, next: ServerNext<'_>) -> ServerResponse {
        self.order.lock().unwrap().push(format!("{}>", self.name));
        if req.packet.s_func_name == "blocked" {
            return ServerResponse::from_status(&Status::new(-1000, format!("blocked by {}", self.name)));
        }
        let seen = req.packet.context.entry("seen-by".into()).or_default();
        seen.push_str(self.name);
        let start = Instant::now();
        let mut rsp = next.run(req).await;
        self.latencies
            .fetch_add(start.elapsed().as_micros() as usize + 1, Ordering::Relaxed);
        rsp.context.insert(format!("filter-{}", self.name), "done".into());
        self.order.lock().unwrap().push(format!("<{}", self.name));
        rsp
    }
}

#[tokio::test]
async fn server_filters_wrap_dispatch_in_order() {
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let latencies = Arc::new(AtomicUsize::new(0));
    let server = Application::new(config("", "tcp -h 127.0.0.1 -p 0"))
        .servant(OBJ, SleepyHello)
        .filter(Tag {
            name: "a",
            order: order.clone(),
            latencies: latencies.clone(),
        })
        .filter(Tag {
            name: "b",
            order: order.clone(),
            latencies: latencies.clone(),
        })
        .start()
        .await
        .unwrap();
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    let rsp = c.call(&request(1, OBJ, "testHello", hello("hi"))).await;
    assert_eq!(rsp.i_ret, 0);
    let out: Option<String> = tars::codec::Reader::from_bytes(&rsp.s_buffer).read_field(2).unwrap();
    assert_eq!(out.as_deref(), Some("hi|ab"), "filters can modify the request");
    assert_eq!(
        (rsp.context["filter-a"].as_str(), rsp.context["filter-b"].as_str()),
        ("done", "done")
    );
    assert_eq!(*order.lock().unwrap(), ["a>", "b>", "<b", "<a"]);
    assert!(latencies.load(Ordering::Relaxed) >= 2);
    let rsp = c.call(&request(2, OBJ, "blocked", Default::default())).await;
    assert_eq!((rsp.i_ret, rsp.s_result_desc.as_str()), (-1000, "blocked by a"));
    server.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_pushes_reconnect_and_finishes_in_flight_requests() {
    let server = start("").await;
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    c.send(&request(1, OBJ, "testHello", hello("sleep 300"))).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let shutdown = tokio::spawn(server.shutdown());
    // First the push, then the in-flight reply, then the close.
    let push = c.recv().await;
    assert_eq!((push.i_request_id, push.s_result_desc.as_str()), (0, "_reconnect_"));
    let rsp = c.recv().await;
    assert_eq!((rsp.i_request_id, rsp.i_ret), (1, 0));
    shutdown.await.unwrap();
    assert!(c.recv_frame().await.is_none());
}

#[tokio::test]
async fn the_config_file_named_by_config_is_used() {
    let dir = std::env::temp_dir().join(format!("tars-rs-conf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string("examples/config.conf")
        .unwrap()
        // Logs and data in the test's own directory, the admin port ephemeral.
        .replace("path=.", &format!("path={}", dir.display()))
        .replace("-p 19385", "-p 0")
        .replace("-p 10016", "-p 0");
    let path = dir.join("HelloServer.conf");
    std::fs::write(&path, text).unwrap();
    let app = Application::from_arg_list([format!("--config={}", path.display())], "").unwrap();
    let adapter = &app.config().server.as_ref().unwrap().adapters[0];
    assert_eq!((adapter.max_conns, adapter.servant.as_str()), (10240, OBJ));
    let server = app.servant(OBJ, SleepyHello).start().await.unwrap();
    let mut c = Conn::connect(server.local_addr(OBJ).unwrap()).await;
    assert_eq!(c.call(&request(1, OBJ, "test", Default::default())).await.i_ret, 0);
    server.shutdown().await;
    let err = Application::from_arg_list(
        ["--config".to_string(), dir.join("missing.conf").display().to_string()],
        "",
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("missing.conf"), "{err}");
    std::fs::write(
        &path,
        "<tars>\n<application>\n<server>\napp=A\n</application>\n</tars>\n",
    )
    .unwrap();
    let err = Application::from_arg_list([format!("--config={}", path.display())], "")
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "config syntax error at line 5: '</application>' does not close '<server>' (opened on line 3)"
    );
    let _ = std::fs::remove_dir_all(dir);
}
