//! The official Node.js implementation (`@tars/rpc`) calling tars-rs, and called by it; and,
//! opt-in, TarsGo's genuine peers (skipped with a message when they are not built).

use std::path::PathBuf;
use std::time::Duration;

#[cfg(feature = "http")]
mod http_to_node;
mod node_client;
mod node_server;
mod tarsgo_protocols;
mod tarsgo_push;

/// A TarsGo peer binary, if built: `$TARSGO_PEER_OUT/bin/NAME`, by default in `.peers/tarsgo`
/// beside the repository (where `../shared/peers/tarsgo/build.sh` and
/// `tests/peers/tarsgo/build.sh` put them).
fn tarsgo_bin(name: &str) -> Option<PathBuf> {
    let out = match std::env::var_os("TARSGO_PEER_OUT") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()?
            .join(".peers/tarsgo"),
    };
    let bin = out.join("bin").join(name);
    bin.exists().then_some(bin)
}

/// Waits (up to 20 s) until something listens on 127.0.0.1:`port`.
async fn wait_for_port(port: u16) {
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the TarsGo peer did not listen on {port}");
}

/// A peer process, stopped (SIGTERM, then waited for) when dropped: a failing assertion does
/// not leave it running.
struct Peer(std::process::Child);

impl Peer {
    /// Asks the peer to stop as its framework stops it (TarsGo: gracefully, on SIGTERM).
    fn terminate(&self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            self.terminate();
            let _ = self.0.wait();
        }
    }
}
