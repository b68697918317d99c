//! TarsGo's push client (`tests/peers/tarsgo/push-client`, built from TarsGo's own
//! `tars/protocol/push`) against a tars-rs push server: the `push` call with raw bytes, the
//! pushes, and `_reconnect_` when the server stops, then a new connection to its successor.
//! And the other way round, TarsGo's push server (`tests/peers/tarsgo/push-server`) with a
//! tars-rs client reading `on_push()`. Opt-in: skipped with a message unless the TarsGo peers
//! are built (`tests/peers/tarsgo/README.md`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tars::bytes::Bytes;
use tars::client::PushEvent;
use tars::server::{PushSender, RawPush, RawPushServant};
use tars::{Application, Status};

use super::{tarsgo_bin, wait_for_port, Peer};
use crate::support::free_port;

const OBJ: &str = "TestApp.PushServer.MessageObj";

/// TarsGo's examples/PushServer, in tars-rs: echo the request, then push three messages.
#[derive(Clone, Default)]
struct ThreePushes {
    closed: Arc<Mutex<usize>>,
}

impl RawPush for ThreePushes {
    async fn on_connect(&self, client: PushSender, request: Bytes) -> Result<Bytes, Status> {
        tokio::spawn(async move {
            for i in 0..3 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                client.push(format!("msg{i}")).unwrap();
            }
        });
        Ok(request)
    }

    fn on_close(&self, _client: &PushSender) {
        *self.closed.lock().unwrap() += 1;
    }
}

async fn start(port: u16, imp: &ThreePushes) -> tars::application::Server {
    let config = format!(
        "<tars><application><server>
app=TestApp
server=PushServer
<TestApp.PushServer.MessageObjAdapter>
endpoint=tcp -h 127.0.0.1 -p {port} -t 60000
servant={OBJ}
</TestApp.PushServer.MessageObjAdapter>
</server></application></tars>"
    );
    Application::new(config.parse().unwrap())
        .servant(OBJ, RawPushServant(imp.clone()))
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_push_client_gets_pushes_and_follows_reconnect() {
    let Some(bin) = tarsgo_bin("tarsgo-push-client") else {
        eprintln!("skipped: the TarsGo push client is not built (see tests/peers/tarsgo/README.md)");
        return;
    };
    let imp = ThreePushes::default();
    let server = start(0, &imp).await;
    let port = server.local_addr(OBJ).unwrap().port();
    let mut child = Command::new(bin)
        .args(["-obj", &format!("{OBJ}@tcp -h 127.0.0.1 -p {port} -t 60000")])
        .args(["-req", "hello", "-count", "3", "-reconnect", "-timeout", "20s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(serde_json::from_str::<serde_json::Value>(&line).unwrap());
        }
    });
    connected_and_three_pushes(&mut rx).await;
    // The server stops: TarsGo's client reads `_reconnect_`, and connects to the next one.
    server.shutdown().await;
    let server = start(port, &imp).await;
    assert_eq!(next_event(&mut rx).await.0, "reconnect");
    connected_and_three_pushes(&mut rx).await;
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(
        *imp.closed.lock().unwrap() >= 1,
        "the first connection's close was heard"
    );
    server.shutdown().await;
}

type Events = tokio::sync::mpsc::UnboundedReceiver<serde_json::Value>;

/// The client's next JSON line: its `event`, and the whole line.
async fn next_event(rx: &mut Events) -> (String, serde_json::Value) {
    let event = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("the TarsGo client said nothing for 20 s")
        .expect("the TarsGo client ended early");
    (event["event"].as_str().unwrap_or_default().to_string(), event)
}

/// `connected` with the echoed request, and the three pushes. TarsGo hands each frame to a
/// goroutine of its own: the pushes may come in any order, and before `connected`.
async fn connected_and_three_pushes(rx: &mut Events) {
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let (kind, e) = next_event(rx).await;
        match kind.as_str() {
            "connected" => {
                assert_eq!(e["reply"], "hello", "the raw reply is the raw request");
                seen.push("connected".to_string());
            }
            "push" => seen.push(e["data"].as_str().unwrap_or_default().to_string()),
            // Connect tried while the server restarts.
            "error" => {}
            other => panic!("unexpected {other}: {e}"),
        }
    }
    seen.sort();
    assert_eq!(seen, ["connected", "msg0", "msg1", "msg2"]);
}

/// TarsGo's push server (its `tars/protocol/push` server, as examples/PushServer uses it)
/// and a tars-rs client: the raw `push` call answered with its own bytes, TarsGo's three
/// pushes on the stream (`iVersion` 0, every field but `sBuffer` zero), then, when TarsGo
/// stops gracefully on SIGTERM, the `Disconnected` marker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tarsgo_push_server_pushes_to_a_tars_rs_client() {
    let Some(bin) = tarsgo_bin("tarsgo-push-server") else {
        eprintln!("skipped: the TarsGo push server is not built (see tests/peers/tarsgo/README.md)");
        return;
    };
    // TarsGo listens where its config says: a port free a moment ago.
    let port = free_port();
    let dir = tempfile_dir();
    let config = dir.join("server.conf");
    std::fs::write(
        &config,
        format!(
            "<tars><application><server>
app=TestApp
server=PushServer
logpath={log}
<TestApp.PushServer.MessageObjAdapter>
endpoint=tcp -h 127.0.0.1 -p {port} -t 60000
servant={OBJ}
protocol=not_tars
threads=1
</TestApp.PushServer.MessageObjAdapter>
</server></application></tars>",
            log = dir.display()
        ),
    )
    .unwrap();
    let mut peer = Peer(
        Command::new(bin)
            .arg(format!("--config={}", config.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (tx, mut server_said) = tokio::sync::mpsc::unbounded_channel();
    let stdout = peer.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(serde_json::from_str::<serde_json::Value>(&line).unwrap());
        }
    });
    wait_for_port(port).await;

    let comm = tars::client::Communicator::new();
    let proxy = comm
        .servant_proxy(&format!("{OBJ}@tcp -h 127.0.0.1 -p {port} -t 60000"))
        .unwrap();
    // Subscribe first: the connection the call opens brings the pushes.
    let mut pushes = proxy.on_push();
    let reply = proxy
        .invoke("push", Bytes::from_static(b"hello"), &tars::client::CallOptions::new())
        .await
        .unwrap();
    assert_eq!(&reply.packet.s_buffer[..], b"hello", "the raw reply is the raw request");
    let (event, line) = next_event(&mut server_said).await;
    assert_eq!(
        (event.as_str(), &line["request"]),
        ("connect", &serde_json::json!("hello"))
    );

    let mut got = Vec::new();
    while got.len() < 3 {
        match next_push(&mut pushes).await {
            PushEvent::Message(m) => {
                assert_eq!(m.code, 0);
                assert!(m.function.is_none() && m.context.is_empty(), "{m:?}");
                got.push(String::from_utf8(m.payload.to_vec()).unwrap());
            }
            other => panic!("a push expected: {other:?}"),
        }
    }
    got.sort();
    assert_eq!(got, ["msg0", "msg1", "msg2"]);

    // TarsGo stops gracefully: it tells its clients `_reconnect_`, and the stream says so.
    peer.terminate();
    match next_push(&mut pushes).await {
        PushEvent::Disconnected { endpoint, reason } => {
            assert_eq!(endpoint.port, port);
            assert!(
                matches!(reason, tars::client::ConnectionError::Reconnect),
                "TarsGo's _reconnect_, not a dropped connection: {reason:?}"
            );
        }
        other => panic!("the disconnect marker expected: {other:?}"),
    }
    let status = tokio::task::spawn_blocking(move || peer.0.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "TarsGo stopped gracefully: {status}");
    let _ = std::fs::remove_dir_all(dir);
}

async fn next_push(pushes: &mut tars::client::PushStream) -> PushEvent {
    tokio::time::timeout(Duration::from_secs(20), pushes.recv())
        .await
        .expect("nothing on the push stream for 20 s")
        .expect("the push stream ended")
}

/// A fresh directory for the TarsGo server's config and logs.
fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tarsgo-push-server-{}-{}", std::process::id(), line!()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
