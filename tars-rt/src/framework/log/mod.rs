//! A TARS server's logs, as tarsnode and the web console expect them: the service's
//! `tracing` events go to `logpath/<App>/<Server>/<App>.<Server>.log` (rolled at `logsize`,
//! `lognum` files kept), at the level `logLevel` sets and `tars.setloglevel` changes at run
//! time. Named loggers (TarsGo's `GetLogger("TLOG")`, `GetDayLogger("TLOG", 1)`) are
//! `tracing` targets with a file of their own (`<App>.<Server>_TLOG.log`, or
//! `<App>.<Server>_TLOG_20261130.log` by day); a logger may also go to tarslog
//! (`LogF.loggerbyInfo`, TarsGo's `GetRemoteLogger`). Events of dyed requests also go to
//! the dye log (`logpath/tars_dyeing/dyeing.log`, and tarslog's `tars_dyeing`).
//!
//! Writing never blocks the code that logs: lines go through a bounded queue to a writer
//! thread (and to a task that batches them to tarslog); when a queue is full, lines are
//! dropped and counted. [`Application`](crate::application::Application) installs this for a
//! server whose config names a `logpath`, unless the process already has a `tracing`
//! subscriber; [`layer`] gives the same as a layer to compose with others.
//!
//! Lines read `2026-11-30 23:59:59.123|src/main.rs:42|INFO|message key=value`, TarsGo's
//! layout (time, place, level, text). A line logged while a request of a trace is served (in
//! its task, or one started with `tars::context::spawn`) ends with
//! ` trace_id=<32 hex> span_id=<16 hex>`, the request's trace and its span at this server (as
//! its `tars.server`/`http.server` span shows them), so one grep for a trace id finds every
//! line of every hop ([`LogSettings::trace_ids`], `logtraceid=N` turns it off). The ids come
//! from the request's task-local context when a line is written: nothing is kept per span. They go last, as the event's own ` key=value` fields do: the `|` columns TARS
//! tools split on (time, place, level, text) stay as TarsGo and TarsCpp write them.

mod file;
mod remote;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Local};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::{reload, Layer, Registry};

pub use file::Roll;

pub use crate::config::LogLevel;

use super::idl::LogProxy;

/// At most this many bytes of lines wait for the writer thread.
const QUEUE_BYTES: usize = 32 << 20;
/// A longer line is cut there.
const MAX_LINE: usize = 64 << 10;

/// The `tracing` filter of a TARS log level.
fn level_filter(level: LogLevel) -> LevelFilter {
    match level {
        LogLevel::Tars => LevelFilter::TRACE,
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Error => LevelFilter::ERROR,
        LogLevel::None => LevelFilter::OFF,
    }
}

/// A named logger: the events whose `tracing` target is `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Logger {
    /// The target, and the file's suffix (`<App>.<Server>_<name>.log`).
    pub name: String,
    /// How its file rolls.
    pub roll: Roll,
    /// Whether it has a local file.
    pub local: bool,
    /// Whether its lines also go to tarslog.
    pub remote: bool,
}

impl Logger {
    /// A logger rolled by size, like the main log.
    pub fn new(name: impl Into<String>) -> Self {
        Logger {
            name: name.into(),
            roll: Roll::BySize,
            local: true,
            remote: false,
        }
    }

    /// Rolled `roll` instead.
    pub fn roll(mut self, roll: Roll) -> Self {
        self.roll = roll;
        self
    }

    /// Also sent to tarslog.
    pub fn remote(mut self) -> Self {
        self.remote = true;
        self
    }

    /// Only sent to tarslog, with no local file.
    pub fn remote_only(mut self) -> Self {
        self.remote = true;
        self.local = false;
        self
    }
}

/// Where and how a server logs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LogSettings {
    /// `logpath`: files go under `<logpath>/<app>/<server>/`, the dye log under
    /// `<logpath>/tars_dyeing/`.
    pub log_path: PathBuf,
    /// `app`.
    pub app: String,
    /// `server`.
    pub server: String,
    /// `logsize`: a file rolls at this size.
    pub max_size: u64,
    /// `lognum`: files kept per log.
    pub max_files: usize,
    /// `logLevel`.
    pub level: LogLevel,
    /// Named loggers.
    pub loggers: Vec<Logger>,
    /// Whether the main log also goes to tarslog.
    pub remote_main: bool,
    /// The server's set (`name.area.group`), for tarslog; empty outside sets.
    pub set: String,
    /// `logtraceid` (default Y): lines logged within a traced request or call end with
    /// ` trace_id=… span_id=…`.
    pub trace_ids: bool,
}

impl LogSettings {
    /// From a `<server>` section.
    pub fn from_server_config(server: &crate::config::ServerConfig) -> Self {
        LogSettings {
            log_path: PathBuf::from(&server.log_path),
            app: server.app.clone(),
            server: server.server.clone(),
            max_size: server.log_size,
            max_files: server.log_num as usize,
            level: server.log_level,
            loggers: Vec::new(),
            remote_main: false,
            set: String::new(),
            trace_ids: server.log_trace_ids,
        }
    }

    fn dir(&self) -> PathBuf {
        self.log_path.join(&self.app).join(&self.server)
    }

    fn stem(&self) -> String {
        format!("{}.{}", self.app, self.server)
    }
}

/// What the logs dropped.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct LogStats {
    /// Lines dropped because the writer thread was behind.
    pub dropped_local: AtomicU64,
    /// Lines dropped because tarslog was behind or down.
    pub dropped_remote: AtomicU64,
    /// Lines tarslog accepted.
    pub sent_remote: AtomicU64,
    /// Lines tarslog did not accept (the call failed).
    pub failed_remote: AtomicU64,
}

/// Why the logs cannot be installed or changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// The process has a `tracing` subscriber of its own, which is kept.
    #[error("the process already has a tracing subscriber (its own choice is kept)")]
    SubscriberSet,
    /// The server's logs are not tars-rs's: no `logpath`, or the process has its own
    /// subscriber.
    #[error(
        "the server's logs are not written by tars-rs (no logpath, or the process has its own tracing subscriber)"
    )]
    NotInstalled,
    /// `tracing` refused the change.
    #[error("tracing refused the log change: {0}")]
    Tracing(String),
}

/// Controls an installed log: its level, and waiting for lines to be written.
#[derive(Clone)]
pub struct LogHandle {
    reload: Arc<dyn Fn(LevelFilter) -> Result<(), LogError> + Send + Sync>,
    level: Arc<std::sync::Mutex<LogLevel>>,
    writer: SyncSender<Record>,
    remote: Option<remote::RemoteQueue>,
    stats: Arc<LogStats>,
}

impl std::fmt::Debug for LogHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogHandle").field("level", &self.level()).finish()
    }
}

impl LogHandle {
    /// Changes the level (what `tars.setloglevel` does).
    pub fn set_level(&self, level: LogLevel) -> Result<(), LogError> {
        (self.reload)(level_filter(level))?;
        *crate::sync::lock(&self.level) = level;
        Ok(())
    }

    /// The level now.
    pub fn level(&self) -> LogLevel {
        *crate::sync::lock(&self.level)
    }

    /// What was dropped and sent.
    pub fn stats(&self) -> &LogStats {
        &self.stats
    }

    /// Waits (at most `limit`) until the lines logged so far are in their files, and sent
    /// to tarslog when it is up.
    pub async fn flush(&self, limit: Duration) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let writer = self.writer.clone();
        let _ = tokio::time::timeout(limit, async move {
            // The queue may be full: retry until there is room, within the limit.
            let mut msg = Record::Flush(tx);
            loop {
                match writer.try_send(msg) {
                    Ok(()) => break,
                    Err(TrySendError::Full(m)) => {
                        msg = m;
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    Err(TrySendError::Disconnected(_)) => return,
                }
            }
            let _ = rx.await;
        })
        .await;
        if let Some(remote) = &self.remote {
            remote.flush(limit).await;
        }
    }
}

/// A line for the writer thread.
enum Record {
    Line {
        file: usize,
        time: DateTime<Local>,
        line: String,
    },
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// The `tracing` layer that writes the logs.
pub struct TarsLogLayer {
    /// Target → file index (0: the main log) and remote name, for named loggers.
    loggers: Vec<(String, Option<usize>, Option<Arc<str>>)>,
    remote_main: Option<Arc<str>>,
    dye_file: usize,
    writer: SyncSender<Record>,
    queued: Arc<AtomicUsize>,
    remote: Option<remote::RemoteQueue>,
    /// `App.Server|`, the prefix of dyed lines at tarslog.
    dye_prefix: String,
    stats: Arc<LogStats>,
    /// Whether lines end with the trace and span ids of the request they were logged in.
    trace_ids: bool,
}

/// The layer for `settings`, and the handle that changes its level, with lines to tarslog
/// through `remote` (when given). Call within a tokio runtime when `remote` is given.
pub fn layer(settings: &LogSettings, remote: Option<LogProxy>) -> (TarsLogLayer, impl Layer<Registry>, LogHandle) {
    let dir = settings.dir();
    let stem = settings.stem();
    let mut files = vec![file::RollingFile::new(
        &dir,
        &stem,
        Roll::BySize,
        settings.max_size,
        settings.max_files,
    )];
    let stats = Arc::new(LogStats::default());
    let remote = remote.map(|p| remote::RemoteQueue::start(p, settings, stats.clone()));
    let mut loggers = Vec::new();
    for l in &settings.loggers {
        let file = l.local.then(|| {
            files.push(file::RollingFile::new(
                &dir,
                &format!("{stem}_{}", l.name),
                l.roll,
                settings.max_size,
                settings.max_files,
            ));
            files.len() - 1
        });
        let remote_name = (l.remote && remote.is_some()).then(|| Arc::from(l.name.as_str()));
        loggers.push((l.name.clone(), file, remote_name));
    }
    files.push(file::RollingFile::new(
        &settings.log_path.join("tars_dyeing"),
        "dyeing",
        Roll::BySize,
        settings.max_size,
        settings.max_files,
    ));
    let dye_file = files.len() - 1;
    let queued = Arc::new(AtomicUsize::new(0));
    // Lines are bounded by bytes (`QUEUE_BYTES`); the channel's own bound only caps the
    // number of small ones.
    let (tx, rx) = sync_channel(64 * 1024);
    {
        let queued = queued.clone();
        let spawned = std::thread::Builder::new()
            .name("tars-log".into())
            .spawn(move || write_loop(rx, files, queued));
        if let Err(e) = spawned {
            eprintln!("tars-rs: cannot start the log writer thread: {e}");
        }
    }
    let (filter, reload_handle) = reload::Layer::new(level_filter(settings.level));
    let handle = LogHandle {
        reload: Arc::new(move |f| reload_handle.reload(f).map_err(|e| LogError::Tracing(e.to_string()))),
        level: Arc::new(std::sync::Mutex::new(settings.level)),
        writer: tx.clone(),
        remote: remote.clone(),
        stats: stats.clone(),
    };
    let layer = TarsLogLayer {
        loggers,
        remote_main: (settings.remote_main && remote.is_some()).then(|| Arc::from("")),
        dye_file,
        writer: tx,
        queued,
        remote,
        dye_prefix: format!("{}.{}|", settings.app, settings.server),
        stats,
        trace_ids: settings.trace_ids,
    };
    (layer, filter, handle)
}

/// Installs the logs as the process's `tracing` subscriber. Fails when the process already
/// has one (its own choice is kept).
pub fn install(settings: &LogSettings, remote: Option<LogProxy>) -> Result<LogHandle, LogError> {
    if tracing::dispatcher::has_been_set() {
        return Err(LogError::SubscriberSet);
    }
    let (layer, filter, handle) = layer(settings, remote);
    let subscriber = tracing_subscriber::registry().with(filter).with(layer);
    tracing::subscriber::set_global_default(subscriber).map_err(|_| LogError::SubscriberSet)?;
    Ok(handle)
}

fn write_loop(rx: Receiver<Record>, mut files: Vec<file::RollingFile>, queued: Arc<AtomicUsize>) {
    let mut failed = vec![false; files.len()];
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(record) = next.take() {
            match record {
                Record::Line { file, time, line } => {
                    queued.fetch_sub(line.len(), Ordering::Relaxed);
                    let Some(f) = files.get_mut(file) else { continue };
                    match f.write(&time, line.as_bytes()) {
                        Ok(()) => failed[file] = false,
                        // Said once per failure streak, on stderr (the log is what failed).
                        Err(e) if !failed[file] => {
                            failed[file] = true;
                            eprintln!("tars-rs: cannot write {}: {e}", f.current_path(&time).display());
                        }
                        Err(_) => {}
                    }
                }
                Record::Flush(done) => {
                    for f in &mut files {
                        let _ = f.flush();
                    }
                    let _ = done.send(());
                }
            }
            next = rx.try_recv().ok();
        }
        // The queue is empty: what was written reaches the files.
        for f in &mut files {
            let _ = f.flush();
        }
    }
}

impl TarsLogLayer {
    fn queue(&self, file: usize, time: DateTime<Local>, line: String) {
        let len = line.len();
        if self.queued.fetch_add(len, Ordering::Relaxed) + len > QUEUE_BYTES {
            self.queued.fetch_sub(len, Ordering::Relaxed);
            self.stats.dropped_local.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if self.writer.try_send(Record::Line { file, time, line }).is_err() {
            self.queued.fetch_sub(len, Ordering::Relaxed);
            self.stats.dropped_local.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl<S: Subscriber> Layer<S> for TarsLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        let meta = event.metadata();
        let now = Local::now();
        let mut line = String::with_capacity(128);
        let _ = write!(line, "{}|", now.format("%Y-%m-%d %H:%M:%S%.3f"));
        match (meta.file(), meta.line()) {
            (Some(f), Some(l)) => {
                let _ = write!(line, "{f}:{l}|");
            }
            _ => {
                let _ = write!(line, "{}|", meta.target());
            }
        }
        line.push_str(level_name(meta.level()));
        line.push('|');
        event.record(&mut LineVisitor {
            line: &mut line,
            first: true,
        });
        if line.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        if self.trace_ids {
            append_trace_ids(&mut line);
        }
        line.push('\n');

        let named = self.loggers.iter().find(|(name, _, _)| name == meta.target());
        let (file, remote_name) = match named {
            Some((_, file, remote)) => (*file, remote.clone()),
            None => (Some(0), self.remote_main.clone()),
        };
        if let (Some(remote), Some(name)) = (&self.remote, remote_name) {
            remote.push(name, line.clone());
        }
        if let Some(dye) = crate::context::Current::get().and_then(|c| c.dye.clone()) {
            let _ = dye;
            self.queue(self.dye_file, now, line.clone());
            if let Some(remote) = &self.remote {
                remote.push_dyed(format!("{}{line}", self.dye_prefix));
            }
        }
        if let Some(file) = file {
            self.queue(file, now, line);
        }
    }
}

/// ` trace_id=… span_id=…` of the request the line is logged while serving (the ids of its
/// trace context, which its span shows too), if it belongs to a trace. Read from the
/// request's task-local context, only for lines written: a request logs nothing costs
/// nothing.
fn append_trace_ids(line: &mut String) {
    use std::fmt::Write as _;
    let Some(current) = crate::context::Current::get() else {
        return;
    };
    if let Some(trace) = &current.trace {
        let _ = write!(line, " trace_id={} span_id={}", trace.trace_id, trace.span_id);
    }
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "TARS",
        Level::DEBUG => "DEBUG",
        Level::INFO => "INFO",
        Level::WARN => "WARN",
        Level::ERROR => "ERROR",
    }
}

/// Writes the message, then ` key=value` for the other fields.
struct LineVisitor<'a> {
    line: &'a mut String,
    first: bool,
}

impl LineVisitor<'_> {
    fn sep(&mut self, field: &tracing::field::Field) -> bool {
        let message = field.name() == "message";
        if !message {
            self.line.push(' ');
            self.line.push_str(field.name());
            self.line.push('=');
        }
        self.first = false;
        message
    }
}

impl tracing::field::Visit for LineVisitor<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.sep(field);
        self.line.push_str(value);
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.sep(field);
        let _ = write!(self.line, "{value:?}");
    }
}

/// TarsWeb's call chain to tarslog: the lines of [`crate::trace::chain`] go to the remote
/// log `_t_trace_` (queued and sent as the other remote lines are, by a task started with
/// the first line).
pub fn call_chain_sink(settings: &LogSettings, remote: LogProxy) -> Arc<dyn crate::trace::chain::ChainSink> {
    Arc::new(CallChainToTarslog {
        settings: settings.clone(),
        remote,
        queue: std::sync::OnceLock::new(),
        name: Arc::from(crate::trace::chain::CHAIN_LOG),
    })
}

struct CallChainToTarslog {
    settings: LogSettings,
    remote: LogProxy,
    queue: std::sync::OnceLock<remote::RemoteQueue>,
    name: Arc<str>,
}

impl crate::trace::chain::ChainSink for CallChainToTarslog {
    fn write(&self, line: String) {
        // Lines are written by calls and requests, on the runtime the queue's task needs.
        let queue = self.queue.get_or_init(|| {
            remote::RemoteQueue::start(self.remote.clone(), &self.settings, Arc::new(LogStats::default()))
        });
        queue.push(self.name.clone(), line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logtraceid_reaches_the_settings() {
        let conf = |extra: &str| -> crate::config::ServerConfig {
            let text = format!("<tars><application><server>\napp=A\nserver=S\n{extra}\n</server></application></tars>");
            text.parse::<crate::config::Config>().unwrap().server.unwrap()
        };
        assert!(LogSettings::from_server_config(&conf("")).trace_ids);
        assert!(!LogSettings::from_server_config(&conf("logtraceid=N")).trace_ids);
    }
}
