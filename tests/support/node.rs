//! The official Node.js TARS implementation as a test peer (`tests/node`, pinned by its
//! package-lock.json). Installs it with `npm ci` on first use.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The `tests/node` folder, with `node_modules` installed.
pub fn peer_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    if !dir.join("node_modules/@tars/stream").exists() {
        install(&dir);
    }
    dir
}

/// Runs `node <script> <args>` in the peer folder and returns its output, failing the test
/// with the script's stderr if it exits non-zero.
pub fn run(script: &str, args: &[&str]) -> Output {
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
