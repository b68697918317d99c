//! The server as a process: the hello_server example started with a config file, stopped by
//! SIGTERM (connected clients get `_reconnect_`, the process exits 0); and a non-TARS
//! protocol on an adapter.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::free_port;
use crate::support::raw::{request, Conn};
use tars::bytes::{Bytes, BytesMut};
use tars::filter::BoxFuture;
use tars::server::{Handled, PushSender, ServerProtocol};
use tars::transport::frame::FrameError;
use tars::Application;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `examples/config.conf` in a directory of its own (logs and data there), HelloObj on
/// `port`, the admin object on `admin_port`: the directory and the config file.
fn example_config(name: &str, port: u16, admin_port: u16) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("tars-rs-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("HelloServer.conf");
    let text = std::fs::read_to_string("examples/config.conf")
        .unwrap()
        .replace("path=.", &format!("path={}", dir.display()))
        .replace("-p 19385", &format!("-p {admin_port}"))
        .replace("-p 10016", &format!("-p {port}"));
    std::fs::write(&conf, text).unwrap();
    (dir, conf)
}

/// Starts example `name` on `conf`, and a proxy to its admin object on `admin_port`.
#[cfg(unix)]
fn spawn_example(
    name: &str,
    conf: &std::path::Path,
    admin_port: u16,
) -> (std::process::Child, crate::support::framework::idl::AdminFProxy) {
    let child = Command::new(example(name))
        .arg(format!("--config={}", conf.display()))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let admin = tars::client::Communicator::new()
        .string_to_proxy(&format!("AdminObj@tcp -h 127.0.0.1 -p {admin_port} -t 3000"))
        .unwrap();
    (child, admin)
}

fn example(name: &str) -> std::path::PathBuf {
    // target/debug/deps/<this test> → target/debug/examples/<name>
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("examples").join(name)
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_the_example_server_gracefully() {
    let port = free_port();
    let (dir, conf) = example_config("proc", port, 0);
    let bin = example("hello_server");
    assert!(bin.exists(), "{} is built by `cargo test`", bin.display());
    let mut child = Command::new(&bin)
        .arg(format!("--config={}", conf.display()))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let start = Instant::now();
    let mut c = loop {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(_) => break Conn::connect(addr).await,
            Err(_) if start.elapsed() < Duration::from_secs(10) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(e) => panic!("the example server did not start: {e}"),
        }
    };
    let rsp = c
        .call(&request(1, "TestApp.HelloServer.HelloObj", "test", Default::default()))
        .await;
    assert_eq!(rsp.i_ret, 0);
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let push = tokio::time::timeout(Duration::from_secs(5), c.recv()).await.unwrap();
    assert_eq!((push.i_request_id, push.s_result_desc.as_str()), (0, "_reconnect_"));
    let code = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(code.success(), "exit status {code}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A line protocol: each request is a line, the reply is the line upper-cased.
struct Shout;

impl ServerProtocol for Shout {
    fn split_frame(&self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        Ok(buf
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| buf.split_to(i + 1).freeze()))
    }

    fn handle(
        self: Arc<Self>,
        _client: &PushSender,
        request: Bytes,
        _received: tokio::time::Instant,
    ) -> BoxFuture<'static, Handled> {
        Box::pin(std::future::ready(Handled::Send(Bytes::from(
            request.to_ascii_uppercase(),
        ))))
    }
}

#[tokio::test]
async fn adapters_can_speak_another_protocol() {
    let config = "<tars><application><server>
app=TestApp
server=HelloServer
<ShoutAdapter>
endpoint=tcp -h 127.0.0.1 -p 0
servant=TestApp.HelloServer.ShoutObj
protocol=shout
</ShoutAdapter>
</server></application></tars>";
    let server = Application::new(config.parse().unwrap())
        .protocol("shout", Arc::new(Shout))
        .start()
        .await
        .unwrap();
    let mut s = tokio::net::TcpStream::connect(server.local_addr("TestApp.HelloServer.ShoutObj").unwrap())
        .await
        .unwrap();
    s.write_all(b"hello\nworld\n").await.unwrap();
    let mut got = vec![0u8; 12];
    s.read_exact(&mut got).await.unwrap();
    assert_eq!(got, b"HELLO\nWORLD\n");
    server.shutdown().await;
    // An unregistered protocol is an error naming the adapter.
    let err = Application::new(config.parse().unwrap()).start().await.err().unwrap();
    assert!(err.to_string().contains("ShoutAdapter"), "{err}");
}

/// A graceful restart under load (SIGUSR1, then `tars.gracerestart`, then SIGUSR1 again):
/// each new process inherits the listening sockets and the old one drains; 16 callers on
/// connections of their own see no failed call, and the pid changes each time.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_restarts_under_load_fail_no_call() {
    restarts_under_load(None).await;
}

/// The same over TLS (`ssl` endpoint): the TLS listener's socket is handed over too.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_restarts_over_tls_fail_no_call() {
    let pki = super::tls::Pki::new("restart");
    restarts_under_load(Some(&pki)).await;
}

#[cfg(unix)]
async fn restarts_under_load(tls: Option<&super::tls::Pki>) {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use tars::client::Communicator;
    use tars::transport::tls::TlsConfig;

    use crate::support::server::hello::test_app::HelloProxy;

    let (port, admin_port) = (free_port(), free_port());
    let name = if tls.is_some() { "restart-tls" } else { "restart" };
    let (dir, conf) = example_config(name, port, admin_port);
    let proto = if tls.is_some() { "ssl" } else { "tcp" };
    // Over TCP, HelloObj is served on a UDP endpoint too, whose socket is handed over as well.
    let udp_port = free_port();
    if tls.is_none() {
        let udp_adapter = format!(
            "<TestApp.HelloServer.HelloObjUdpAdapter>\n        endpoint=udp -h 127.0.0.1 -p {udp_port}\n        servant=TestApp.HelloServer.HelloObj\n      </TestApp.HelloServer.HelloObjUdpAdapter>\n    </server>"
        );
        let text = std::fs::read_to_string(&conf)
            .unwrap()
            .replace("</server>", &udp_adapter);
        std::fs::write(&conf, text).unwrap();
    }
    if let Some(pki) = tls {
        let text = std::fs::read_to_string(&conf).unwrap().replace(
            &format!("endpoint=tcp -h 127.0.0.1 -p {port}"),
            &format!(
                "cert={}\n        key={}\n        endpoint=ssl -h 127.0.0.1 -p {port}",
                pki.path("server.pem"),
                pki.path("server.key")
            ),
        );
        std::fs::write(&conf, text).unwrap();
    }
    let communicator = || match tls {
        Some(pki) => Communicator::builder()
            .tls(TlsConfig::default().ca(pki.path("ca.pem")))
            .build(),
        None => Communicator::new(),
    };
    let (mut first, admin) = spawn_example("hello_server", &conf, admin_port);
    let pid = || {
        let admin = admin.clone();
        async move { admin.get_pid().await.ok() }
    };
    let started = Instant::now();
    let first_pid = loop {
        if let Some(p) = pid().await {
            break p;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(first_pid, i64::from(first.id()));

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let udp_ok = Arc::new(AtomicU64::new(0));
    let callers: Vec<_> = (0..16)
        .map(|i| {
            // A communicator each: a connection each (four of them over UDP, without TLS).
            let over_udp = tls.is_none() && i % 4 == 0;
            let endpoint = if over_udp {
                format!("udp -h 127.0.0.1 -p {udp_port} -t 60000")
            } else {
                format!("{proto} -h 127.0.0.1 -p {port} -t 60000")
            };
            let p: HelloProxy = communicator()
                .string_to_proxy(&format!("TestApp.HelloServer.HelloObj@{endpoint}"))
                .unwrap();
            let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
            let udp_ok = udp_ok.clone();
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match p.test_hello("through a restart").await {
                        Ok(_) => {
                            if over_udp {
                                udp_ok.fetch_add(1, Ordering::Relaxed);
                            }
                            ok.fetch_add(1, Ordering::Relaxed)
                        }
                        Err(e) => {
                            eprintln!("failed call: {e}");
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut pids = vec![first_pid];
    for round in 0..3 {
        let current = *pids.last().unwrap();
        let handed_over = Instant::now();
        if round == 1 {
            assert_eq!(admin.notify("tars.gracerestart").await.unwrap(), "restart gracefully!");
        } else {
            let sent = Command::new("kill")
                .arg("-USR1")
                .arg(current.to_string())
                .status()
                .unwrap();
            assert!(sent.success());
        }
        let next = loop {
            match pid().await {
                Some(p) if p != current => break p,
                _ => {}
            }
            assert!(
                handed_over.elapsed() < Duration::from_secs(20),
                "restart {round} did not happen"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        eprintln!(
            "restart {round}: pid {current} -> {next} in {:?}",
            handed_over.elapsed()
        );
        pids.push(next);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for c in callers {
        c.await.unwrap();
    }
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    let udp_ok = udp_ok.load(Ordering::Relaxed);
    eprintln!("{proto}: {ok} calls ({udp_ok} over UDP) across 3 restarts, {failed} failed; pids {pids:?}");
    assert!(tls.is_some() || udp_ok > 100, "the UDP callers were served: {udp_ok}");
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pids.last().unwrap().to_string())
        .status();
    let code = tokio::task::spawn_blocking(move || first.wait().unwrap())
        .await
        .unwrap();
    assert!(code.success(), "the first process exits 0 after handing over: {code}");
    assert_eq!(failed, 0, "no call may fail across the restarts");
    assert!(ok > 1000, "the load kept going: {ok} calls");
    let unique: std::collections::BTreeSet<_> = pids.iter().collect();
    assert_eq!(unique.len(), 4, "four processes: {pids:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = std::fs::remove_dir_all(dir);
}

/// An HTTP object through graceful restarts: the new process serves the inherited socket;
/// keep-alive connections of the old one close after their last answer (`Connection: close`)
/// or while idle, and a client retries a request whose connection closed before any answer
/// (what HTTP clients do for idempotent requests). No request goes unanswered.
#[cfg(all(unix, feature = "http"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_restarts_keep_an_http_object_answering() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    use crate::support::http::Conn;

    let (port, http_port, admin_port) = (free_port(), free_port(), free_port());
    let (dir, conf) = example_config("restart-http", port, admin_port);
    let http_adapter = format!(
        "<TestApp.HelloServer.HttpObjAdapter>\n        endpoint=tcp -h 127.0.0.1 -p {http_port} -t 60000\n        servant=TestApp.HelloServer.HttpObj\n        protocol=http\n      </TestApp.HelloServer.HttpObjAdapter>\n    </server>"
    );
    let text = std::fs::read_to_string(&conf)
        .unwrap()
        .replace("</server>", &http_adapter);
    std::fs::write(&conf, text).unwrap();
    let (mut first, admin) = spawn_example("http_server", &conf, admin_port);
    let started = Instant::now();
    let mut pid = loop {
        if let Ok(p) = admin.get_pid().await {
            break p;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let addr: SocketAddr = format!("127.0.0.1:{http_port}").parse().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (answered, retried, unanswered) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (stop, answered, retried, unanswered) =
                (stop.clone(), answered.clone(), retried.clone(), unanswered.clone());
            tokio::spawn(async move {
                let mut conn = Conn::h1(addr).await;
                while !stop.load(Ordering::Relaxed) {
                    let mut tries = 0;
                    loop {
                        match conn.try_send("GET", "/hello/restart", &[], "").await {
                            Ok(a) if a.status.is_success() => {
                                answered.fetch_add(1, Ordering::Relaxed);
                                // The old process's last answer says so; move on then.
                                if a.headers.get("connection").is_some_and(|v| v == "close") {
                                    conn = Conn::h1(addr).await;
                                }
                                break;
                            }
                            Ok(a) => panic!("status {}", a.status),
                            // Closed before any answer: safe to send again, on a new connection.
                            Err(e) if tries < 3 && (e.is_closed() || e.is_incomplete_message() || e.is_canceled()) => {
                                tries += 1;
                                retried.fetch_add(1, Ordering::Relaxed);
                                conn = Conn::h1(addr).await;
                            }
                            Err(e) => {
                                eprintln!("unanswered: {e}");
                                unanswered.fetch_add(1, Ordering::Relaxed);
                                conn = Conn::h1(addr).await;
                                break;
                            }
                        }
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut pids = vec![pid];
    for _ in 0..3 {
        assert!(Command::new("kill")
            .arg("-USR1")
            .arg(pid.to_string())
            .status()
            .unwrap()
            .success());
        let since = Instant::now();
        pid = loop {
            match admin.get_pid().await {
                Ok(p) if p != pid => break p,
                _ => {}
            }
            assert!(since.elapsed() < Duration::from_secs(20), "no restart");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        pids.push(pid);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let (answered, retried, unanswered) = (
        answered.load(Ordering::Relaxed),
        retried.load(Ordering::Relaxed),
        unanswered.load(Ordering::Relaxed),
    );
    eprintln!("http: {answered} answered ({retried} retried after a closed connection), {unanswered} unanswered; pids {pids:?}");
    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
    let code = tokio::task::spawn_blocking(move || first.wait().unwrap())
        .await
        .unwrap();
    assert!(code.success(), "{code}");
    assert_eq!(unanswered, 0);
    assert!(answered > 500, "{answered}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = std::fs::remove_dir_all(dir);
}
