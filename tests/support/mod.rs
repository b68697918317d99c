//! Shared helpers of the integration tests: servants, servers on inline configs, raw TARS
//! peers, fakes of misbehaving servers, the Node.js peer, doubles of the framework services.

pub(crate) mod echo;
pub(crate) mod fake;
pub(crate) mod framework;
#[cfg(feature = "http")]
pub(crate) mod http;
pub(crate) mod node;
pub(crate) mod push;
pub(crate) mod raw;
pub(crate) mod registry;
pub(crate) mod server;

use std::time::Duration;

/// A port of 127.0.0.1 nothing listens on now, for a process that listens where it is told
/// (a peer, a restarted server).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (at most `within`) until `done` holds, checking every 10 ms; panics naming `what`.
pub(crate) async fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
