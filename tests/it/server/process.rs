//! The server as a process: the hello_server example started with a config file, stopped by
//! SIGTERM (connected clients get `_reconnect_`, the process exits 0); and a non-TARS
//! protocol on an adapter.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::raw::{request, Conn};
use tars::bytes::{Bytes, BytesMut};
use tars::filter::BoxFuture;
use tars::server::{Handled, ServerProtocol};
use tars::transport::frame::FrameError;
use tars::Application;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn example(name: &str) -> std::path::PathBuf {
    // target/debug/deps/<this test> → target/debug/examples/<name>
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("examples").join(name)
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_the_example_server_gracefully() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = std::env::temp_dir().join(format!("tars-rs-proc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("HelloServer.conf");
    let text = std::fs::read_to_string("examples/config.conf")
        .unwrap()
        // Logs and data in the test's own directory, the admin port ephemeral.
        .replace("path=.", &format!("path={}", dir.display()))
        .replace("-p 19385", "-p 0")
        .replace("-p 10016", &format!("-p {port}"));
    std::fs::write(&conf, text).unwrap();
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
        _peer: SocketAddr,
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
