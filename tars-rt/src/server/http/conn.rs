//! One HTTP connection: hyper serves it (HTTP/1.1 with keep-alive, or HTTP/2 when the client
//! opens with its preface or picks `h2` by ALPN), and a watchdog in the same task closes it
//! when it is idle past `-t`, when the client has stopped reading its responses past
//! `writetimeout`, or, gracefully, when the server stops.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::server::in_flight::InFlight;

use super::service::HttpAdapter;
use super::MAX_HEADER_BYTES;

/// The longest a client may take to send a request's head, whatever `-t` says.
const MAX_HEADER_TIME: Duration = Duration::from_secs(30);

/// How an HTTP endpoint keeps its connections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HttpConnectionSettings {
    /// Close a connection with no request in flight and no byte moving for this long (`-t`).
    pub(crate) idle_timeout: Option<Duration>,
    /// Close a connection whose response has not moved for this long (`writetimeout`).
    pub(crate) write_stall: Option<Duration>,
}

impl HttpConnectionSettings {
    /// hyper's settings for one adapter. Slow heads are cut by the connection's watchdog, not
    /// by hyper's `header_read_timeout`, which arms a timer for every request.
    pub(crate) fn builder(&self) -> auto::Builder<TokioExecutor> {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .keep_alive(true)
            .header_read_timeout(None)
            // hyper's own limit of headers is MAX_HEADERS (100), parsed on the stack; setting
            // it, even to the same value, makes hyper allocate the slots on every request.
            .max_buf_size(MAX_HEADER_BYTES);
        builder
            .http2()
            .max_header_list_size(MAX_HEADER_BYTES as u32)
            .max_concurrent_streams(256);
        builder
    }

    /// How long a client may take to send a request's head: `-t`, at most 30 s.
    fn head_timeout(&self) -> Duration {
        self.idle_timeout.map_or(MAX_HEADER_TIME, |t| t.min(MAX_HEADER_TIME))
    }
}

/// Serves one accepted connection (after its TLS handshake, for `ssl` endpoints) until it
/// closes, its watchdog closes it, or the server stops.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn serve_connection<IO>(
    io: IO,
    peer: SocketAddr,
    local: SocketAddr,
    adapter: Arc<HttpAdapter>,
    hyper: Arc<auto::Builder<TokioExecutor>>,
    settings: HttpConnectionSettings,
    mut shutdown: watch::Receiver<bool>,
    in_flight: Arc<InFlight>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = Watched {
        inner: io,
        activity: activity.clone(),
    };
    let busy = activity.clone();
    let service = hyper::service::service_fn(move |req| {
        let (adapter, in_flight, busy) = (adapter.clone(), in_flight.clone(), busy.clone());
        async move {
            let _busy = busy.request();
            Ok::<_, std::convert::Infallible>(adapter.handle(req, peer, local, in_flight).await)
        }
    });
    let conn = hyper.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);
    let head_timeout = settings.head_timeout();
    let check_every = [settings.idle_timeout, settings.write_stall, Some(head_timeout)]
        .into_iter()
        .flatten()
        .min()
        .map_or(Duration::from_secs(1), |t| (t / 4).max(Duration::from_millis(10)));
    let mut watchdog = tokio::time::interval_at(Instant::now() + check_every, check_every);
    watchdog.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // What the previous tick saw, and for how long it has not changed.
    let (mut seen, mut unchanged) = (activity.snapshot(), Duration::ZERO);
    let mut stopping = *shutdown.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(%peer, error = %e, "HTTP connection ended with an error");
                }
                return;
            }
            changed = shutdown.changed(), if !stopping => {
                // The server stops (or is gone): answer what is in flight with
                // `Connection: close`, close idle connections now.
                stopping = true;
                let _ = changed;
                conn.as_mut().graceful_shutdown();
            }
            _ = watchdog.tick() => {
                let now = activity.snapshot();
                unchanged = if now == seen { unchanged + check_every } else { Duration::ZERO };
                seen = now;
                if activity.head_waiting_for() > head_timeout {
                    tracing::warn!(%peer, "closing an HTTP connection whose request head did not come in time");
                    return;
                }
                if let Some(stall) = settings.write_stall {
                    if now.write_waiting && unchanged >= stall {
                        tracing::warn!(%peer, "closing an HTTP connection whose client stopped reading its responses");
                        return;
                    }
                }
                if let Some(idle) = settings.idle_timeout {
                    if !stopping && now.requests == 0 && unchanged >= idle {
                        tracing::debug!(%peer, "closing an idle HTTP connection");
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        }
    }
}

/// What the watchdog knows of a connection, kept without reading the clock on every read or
/// write: how often bytes moved, whether a write waits on the client, how many requests are
/// being answered, and since when the head of the next request has been coming in.
struct Activity {
    epoch: Instant,
    /// Reads and writes that moved bytes.
    moved: AtomicU64,
    write_waiting: AtomicBool,
    requests: AtomicUsize,
    /// Milliseconds after `epoch` (plus one) when bytes came with no request being answered:
    /// the head of the next one has started; 0 when none has.
    head_since_ms: AtomicU64,
}

/// One look at a connection's [`Activity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    moved: u64,
    write_waiting: bool,
    requests: usize,
}

impl Activity {
    fn new() -> Self {
        Activity {
            epoch: Instant::now(),
            moved: AtomicU64::new(0),
            write_waiting: AtomicBool::new(false),
            requests: AtomicUsize::new(0),
            head_since_ms: AtomicU64::new(0),
        }
    }

    fn snapshot(&self) -> Seen {
        Seen {
            moved: self.moved.load(Ordering::Relaxed),
            write_waiting: self.write_waiting.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64 + 1
    }

    fn read_some(&self) {
        self.moved.fetch_add(1, Ordering::Relaxed);
        // The clock is read once per request: for its first bytes.
        if self.requests.load(Ordering::Relaxed) == 0 && self.head_since_ms.load(Ordering::Relaxed) == 0 {
            self.head_since_ms.store(self.now_ms(), Ordering::Relaxed);
        }
    }

    /// How long the head of a request has been coming in (zero when none is).
    fn head_waiting_for(&self) -> Duration {
        match self.head_since_ms.load(Ordering::Relaxed) {
            0 => Duration::ZERO,
            since => Duration::from_millis(self.now_ms().saturating_sub(since)),
        }
    }

    fn request(self: &Arc<Self>) -> RequestGuard {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.head_since_ms.store(0, Ordering::Relaxed);
        RequestGuard(self.clone())
    }
}

/// A request being answered on the connection (it is not idle meanwhile).
struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.moved.fetch_add(1, Ordering::Relaxed);
        self.0.requests.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The connection's socket, telling [`Activity`] when bytes move and when writes wait.
struct Watched<IO> {
    inner: IO,
    activity: Arc<Activity>,
}

impl<IO: AsyncRead + Unpin> AsyncRead for Watched<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read_some();
        }
        polled
    }
}

impl<IO: AsyncWrite + Unpin> Watched<IO> {
    /// Notes a write (or flush) that waits on the client, and bytes written: a flush that
    /// finds nothing to write is no activity (hyper flushes whenever it is polled).
    fn watch_write<T>(&self, polled: Poll<io::Result<T>>, wrote: impl FnOnce(&T) -> bool) -> Poll<io::Result<T>> {
        let waiting = matches!(polled, Poll::Pending);
        self.activity.write_waiting.store(waiting, Ordering::Relaxed);
        if let Poll::Ready(Ok(done)) = &polled {
            if wrote(done) {
                self.activity.moved.fetch_add(1, Ordering::Relaxed);
            }
        }
        polled
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Watched<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch_write(polled, |n| *n > 0)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch_write(polled, |n| *n > 0)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch_write(polled, |_| false)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
