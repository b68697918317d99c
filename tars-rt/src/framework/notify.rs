//! Events for tarsnotify (the web console's event list): `restart` when a server starts,
//! `stop` when it stops, every admin command, and what the service itself reports at three
//! levels. Events are sent in order by one background task; when tarsnotify is slow or
//! down, at most [`QUEUE`] events wait and later ones are dropped (and logged).

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::client::CallOptions;

use super::idl::{NotifyProxy, Notifylevel, ReportInfo, ReportType};

/// How many events may wait for tarsnotify.
pub const QUEUE: usize = 1024;

/// How long one event may take to send.
const SEND_TIMEOUT: Duration = Duration::from_secs(3);

/// An event's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyLevel {
    /// Informational.
    Normal,
    /// Needs attention.
    Warn,
    /// Something failed.
    Error,
}

impl From<NotifyLevel> for Notifylevel {
    fn from(l: NotifyLevel) -> Self {
        match l {
            NotifyLevel::Normal => Notifylevel::Notifynormal,
            NotifyLevel::Warn => Notifylevel::Notifywarn,
            NotifyLevel::Error => Notifylevel::Notifyerror,
        }
    }
}

enum Msg {
    Event(ReportInfo),
    Flushed(oneshot::Sender<()>),
}

/// Sends events to tarsnotify for a server. Cheap to clone; a notifier without a `notify`
/// object only logs.
#[derive(Clone)]
pub struct Notifier {
    queue: Option<mpsc::Sender<Msg>>,
    app: String,
    server: String,
    set: String,
    node_name: String,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("enabled", &self.queue.is_some())
            .field("server", &format_args!("{}.{}", self.app, self.server))
            .finish()
    }
}

impl Notifier {
    /// A notifier for server `app.server` in `set` (empty outside sets) on host
    /// `node_name`, sending through `proxy` (none: events are only logged). Must be called
    /// within a tokio runtime when `proxy` is set.
    pub(crate) fn new(proxy: Option<NotifyProxy>, app: &str, server: &str, set: &str, node_name: &str) -> Self {
        let queue = proxy.map(|proxy| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(send_loop(proxy, rx));
            tx
        });
        Notifier {
            queue,
            app: app.into(),
            server: server.into(),
            set: set.into(),
            node_name: node_name.into(),
        }
    }

    /// A notifier that only logs.
    pub fn disabled() -> Self {
        Notifier {
            queue: None,
            app: String::new(),
            server: String::new(),
            set: String::new(),
            node_name: String::new(),
        }
    }

    /// A framework event (`restart`, `stop`, an admin command): TARS's REPORT type.
    pub(crate) fn report(&self, message: impl Into<String>) {
        self.push(ReportType::Report, NotifyLevel::Normal, message.into());
    }

    /// Tells the console something at `level` (TarsCpp's `TARS_NOTIFY_NORMAL/WARN/ERROR`,
    /// TarsGo's `ReportNotifyInfo`).
    pub fn notify(&self, level: NotifyLevel, message: impl Into<String>) {
        self.push(ReportType::Notify, level, message.into());
    }

    fn push(&self, kind: ReportType, level: NotifyLevel, message: String) {
        tracing::info!(target: "tars::notify", ?level, "{message}");
        let Some(queue) = &self.queue else { return };
        let info = ReportInfo {
            e_type: kind,
            s_app: self.app.clone(),
            s_set: self.set.clone(),
            s_container: String::new(),
            s_server: self.server.clone(),
            s_message: message,
            s_thread_id: String::new(),
            e_level: level.into(),
            s_node_name: self.node_name.clone(),
        };
        if queue.try_send(Msg::Event(info)).is_err() {
            tracing::warn!("tarsnotify is not keeping up: event dropped");
        }
    }

    /// Waits (at most `limit`) until the events pushed so far are sent.
    pub async fn flush(&self, limit: Duration) {
        let Some(queue) = &self.queue else { return };
        let (tx, rx) = oneshot::channel();
        let _ = tokio::time::timeout(limit, async {
            if queue.send(Msg::Flushed(tx)).await.is_ok() {
                let _ = rx.await;
            }
        })
        .await;
    }
}

async fn send_loop(proxy: NotifyProxy, mut rx: mpsc::Receiver<Msg>) {
    let opts = CallOptions::new().timeout(SEND_TIMEOUT);
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Event(info) => {
                if let Err(e) = proxy.report_notify_info_with(&opts, &info).await {
                    tracing::debug!(error = %e, "notify failed");
                }
            }
            Msg::Flushed(done) => {
                let _ = done.send(());
            }
        }
    }
}
