//! Lines to tarslog: queued (bounded by bytes; over it, dropped and counted), sent by one
//! task in batches of at most [`BATCH`] lines per logger, at least every second, as TarsGo's
//! remote logger does (`LogF.loggerbyInfo`; dyed lines with `LogF.logger` to
//! `tars_dyeing`/`dyeing`, as TarsCpp does).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};

use crate::client::CallOptions;

use super::super::idl::{LogInfo, LogProxy};
use super::{LogSettings, LogStats};

/// Lines per call.
pub(crate) const BATCH: usize = 2000;
/// At most this many bytes wait for tarslog.
const QUEUE_BYTES: usize = 16 << 20;
/// How often the queue is sent.
const PERIOD: Duration = Duration::from_secs(1);
const CALL_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Default)]
struct Queue {
    /// (logger name, line); the main log's name is empty.
    lines: VecDeque<(Arc<str>, String)>,
    dyed: VecDeque<String>,
    bytes: usize,
    flushed: Vec<oneshot::Sender<()>>,
}

struct Inner {
    queue: Mutex<Queue>,
    wake: Notify,
    stats: Arc<LogStats>,
}

#[derive(Clone)]
pub(crate) struct RemoteQueue {
    inner: Arc<Inner>,
}

impl RemoteQueue {
    /// Starts the sending task (on the current tokio runtime).
    pub(crate) fn start(proxy: LogProxy, settings: &LogSettings, stats: Arc<LogStats>) -> Self {
        let inner = Arc::new(Inner {
            queue: Mutex::default(),
            wake: Notify::new(),
            stats,
        });
        let info = LogInfo {
            appname: settings.app.clone(),
            servername: settings.server.clone(),
            s_format: "%Y%m%d".into(),
            setdivision: settings.set.clone(),
            ..LogInfo::default()
        };
        tokio::spawn(send_loop(Arc::downgrade(&inner), proxy, info));
        RemoteQueue { inner }
    }

    fn admit(&self, q: &mut Queue, len: usize) -> bool {
        if q.bytes + len > QUEUE_BYTES {
            self.inner.stats.dropped_remote.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        q.bytes += len;
        true
    }

    pub(crate) fn push(&self, logger: Arc<str>, line: String) {
        let full = {
            let mut q = crate::sync::lock(&self.inner.queue);
            if !self.admit(&mut q, line.len()) {
                return;
            }
            q.lines.push_back((logger, line));
            q.lines.len() >= BATCH
        };
        if full {
            self.inner.wake.notify_one();
        }
    }

    pub(crate) fn push_dyed(&self, line: String) {
        let mut q = crate::sync::lock(&self.inner.queue);
        if self.admit(&mut q, line.len()) {
            q.dyed.push_back(line);
        }
    }

    /// Waits (at most `limit`) until what is queued now was sent.
    pub(crate) async fn flush(&self, limit: Duration) {
        let (tx, rx) = oneshot::channel();
        crate::sync::lock(&self.inner.queue).flushed.push(tx);
        self.inner.wake.notify_one();
        let _ = tokio::time::timeout(limit, rx).await;
    }
}

async fn send_loop(inner: std::sync::Weak<Inner>, proxy: LogProxy, info: LogInfo) {
    let opts = CallOptions::new().timeout(CALL_TIMEOUT);
    loop {
        let Some(strong) = inner.upgrade() else { return };
        let _ = tokio::time::timeout(PERIOD, strong.wake.notified()).await;
        loop {
            let (batch, dyed, flushed) = {
                let mut q = crate::sync::lock(&strong.queue);
                let n = q.lines.len().min(BATCH);
                let batch: Vec<(Arc<str>, String)> = q.lines.drain(..n).collect();
                let m = q.dyed.len().min(BATCH);
                let dyed: Vec<String> = q.dyed.drain(..m).collect();
                q.bytes -=
                    batch.iter().map(|(_, l)| l.len()).sum::<usize>() + dyed.iter().map(String::len).sum::<usize>();
                let done = q.lines.is_empty() && q.dyed.is_empty();
                (
                    batch,
                    dyed,
                    if done {
                        std::mem::take(&mut q.flushed)
                    } else {
                        Vec::new()
                    },
                )
            };
            if batch.is_empty() && dyed.is_empty() {
                flushed.into_iter().for_each(|f| {
                    let _ = f.send(());
                });
                break;
            }
            // One call per logger, lines in the order they were logged.
            let mut names: Vec<Arc<str>> = Vec::new();
            for (name, _) in &batch {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
            for name in names {
                let lines: Vec<String> = batch
                    .iter()
                    .filter(|(n, _)| *n == name)
                    .map(|(_, l)| l.clone())
                    .collect();
                let count = lines.len() as u64;
                let info = LogInfo {
                    s_filename: name.to_string(),
                    ..info.clone()
                };
                match proxy.loggerby_info_with(&opts, &info, &lines).await {
                    Ok(_) => strong.stats.sent_remote.fetch_add(count, Ordering::Relaxed),
                    Err(e) => {
                        tracing::debug!(error = %e, "tarslog: sending log lines failed");
                        strong.stats.failed_remote.fetch_add(count, Ordering::Relaxed)
                    }
                };
            }
            if !dyed.is_empty() {
                let count = dyed.len() as u64;
                match proxy
                    .logger_with(&opts, "tars_dyeing", "dyeing", "roll", "%Y%m%d", &dyed)
                    .await
                {
                    Ok(_) => strong.stats.sent_remote.fetch_add(count, Ordering::Relaxed),
                    Err(_) => strong.stats.failed_remote.fetch_add(count, Ordering::Relaxed),
                };
            }
            flushed.into_iter().for_each(|f| {
                let _ = f.send(());
            });
        }
    }
}
