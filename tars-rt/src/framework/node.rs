//! The heartbeat to tarsnode (`ServerF`): `reportVersion` and a first `keepAlive` at start,
//! then one `keepAlive` per adapter (and for `AdminAdapter`) every `mainloopticker`, as
//! TarsGo sends them. tarsnode restarts a server it has not heard from for about a minute,
//! so an adapter that is a zombie (every handler stuck) is left out of the heartbeat.

use std::time::Duration;

use crate::client::CallOptions;
use crate::server::AdapterLiveness;

use super::idl::{ServerFProxy, ServerInfo};

/// How long one heartbeat may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);

/// Sends the heartbeat of server `app.server` until the returned task is aborted.
pub(crate) fn spawn(
    node: ServerFProxy,
    app: String,
    server: String,
    adapters: Vec<AdapterLiveness>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let opts = CallOptions::new().timeout(CALL_TIMEOUT);
        let info = |adapter: &str| ServerInfo {
            application: app.clone(),
            server_name: server.clone(),
            pid: std::process::id() as i32,
            adapter: adapter.to_string(),
        };
        if let Err(e) = node
            .report_version_with(&opts, &app, &server, super::reporter::TARS_VERSION)
            .await
        {
            tracing::warn!(error = %e, "tarsnode: reportVersion failed");
        }
        if let Err(e) = node.keep_alive_with(&opts, &info("")).await {
            tracing::warn!(error = %e, "tarsnode: keepAlive failed");
        }
        let mut tick = tokio::time::interval_at(
            tokio::time::Instant::now() + every,
            every.max(Duration::from_millis(10)),
        );
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for adapter in &adapters {
                if adapter.is_zombie() {
                    tracing::error!(adapter = %adapter.name(), "adapter is a zombie (every handler busy past zombietimeout): no heartbeat for it");
                    continue;
                }
                if let Err(e) = node.keep_alive_with(&opts, &info(adapter.name())).await {
                    tracing::warn!(adapter = %adapter.name(), error = %e, "tarsnode: keepAlive failed");
                }
            }
        }
    })
}
