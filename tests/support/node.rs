//! The official Node.js TARS implementation as a test peer (`tests/node`, pinned by its
//! package-lock.json). Installs it with `npm ci` on first use.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `tests/node` folder, with `node_modules` installed.
pub(crate) fn peer_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    if !dir.join("node_modules/@tars/stream").exists() {
        install(&dir);
    }
    dir
}

/// Runs `node <script> <args>` in the peer folder and returns its output, failing the test
/// with the script's stderr if it exits non-zero.
pub(crate) fn run(script: &str, args: &[&str]) -> Output {
    let dir = peer_dir();
    let out = Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(&dir)
        .output()
        .expect("node must be installed to run the interop tests");
    assert!(
        out.status.success(),
        "node {script} {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `npm ci`, serialized across test processes by an atomic `mkdir` lock.
fn install(dir: &Path) {
    let lock = dir.join(".install-lock");
    let start = Instant::now();
    while std::fs::create_dir(&lock).is_err() {
        if dir.join("node_modules/@tars/stream").exists() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "timed out waiting for {}",
            lock.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status();
    let _ = std::fs::remove_dir(&lock);
    let status = status.expect("npm must be installed to run the interop tests");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

/// The official Node server (`tests/node/mock_server.js`, @tars/rpc) on an ephemeral port,
/// TCP and UDP; killed on drop.
pub(crate) struct NodeServer {
    child: Child,
    /// Its TCP endpoint.
    pub tcp: String,
    /// Its UDP endpoint.
    pub udp: String,
}

impl Drop for NodeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the Node server (blocking: call it from `spawn_blocking`).
pub(crate) fn start_node_server() -> NodeServer {
    let dir = peer_dir();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("node")
        .args([
            "mock_server.js",
            &port.to_string(),
            "127.0.0.1",
            "--exit-on-stdin-close",
        ])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(ready["ready"], true);
    NodeServer {
        child,
        tcp: ready["tcp"].as_str().unwrap().into(),
        udp: ready["udp"].as_str().unwrap().into(),
    }
}
