//! One HTTP connection: hyper serves it (HTTP/1.1 with keep-alive, or HTTP/2 when the client
//! opens with its preface or picks `h2` by ALPN), and a watchdog in the same task closes it
//! when it is idle past `-t`, when the client has stopped reading its responses past
//! `writetimeout`, or, gracefully, when the server stops.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::server::in_flight::InFlight;

use super::service::HttpAdapter;
use super::{MAX_HEADERS, MAX_HEADER_BYTES};

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
    /// hyper's settings for one adapter.
    pub(crate) fn builder(&self) -> auto::Builder<TokioExecutor> {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        let head_time = self.idle_timeout.map_or(MAX_HEADER_TIME, |t| t.min(MAX_HEADER_TIME));
        builder
            .http1()
            .timer(TokioTimer::new())
            .keep_alive(true)
            .header_read_timeout(head_time)
            .max_buf_size(MAX_HEADER_BYTES)
            .max_headers(MAX_HEADERS);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(MAX_HEADER_BYTES as u32)
            .max_concurrent_streams(256);
        builder
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
    let check_every = [settings.idle_timeout, settings.write_stall]
        .into_iter()
        .flatten()
        .min()
        .map_or(Duration::from_secs(1), |t| (t / 4).max(Duration::from_millis(10)));
    let mut watchdog = tokio::time::interval_at(Instant::now() + check_every, check_every);
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
                if let Some(stall) = settings.write_stall {
                    if activity.write_stalled_for() >= stall {
                        tracing::warn!(%peer, "closing an HTTP connection whose client stopped reading its responses");
                        return;
                    }
                }
                if let Some(idle) = settings.idle_timeout {
                    if !stopping && activity.idle_for() >= idle {
                        tracing::debug!(%peer, "closing an idle HTTP connection");
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        }
    }
}

/// What the watchdog knows of a connection: when bytes last moved, since when a write has
/// been waiting on the client, and how many requests are being answered.
struct Activity {
    epoch: Instant,
    /// Milliseconds after `epoch` when a read or a write last made progress.
    last_moved_ms: AtomicU64,
    /// Milliseconds after `epoch` (plus one) since a write has been waiting; 0: none is.
    write_waiting_since_ms: AtomicU64,
    requests: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity {
            epoch: Instant::now(),
            last_moved_ms: AtomicU64::new(0),
            write_waiting_since_ms: AtomicU64::new(0),
            requests: AtomicUsize::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn moved(&self) {
        self.last_moved_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// How long nothing moved with no request in flight (zero while one is).
    fn idle_for(&self) -> Duration {
        if self.requests.load(Ordering::Relaxed) > 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(self.now_ms().saturating_sub(self.last_moved_ms.load(Ordering::Relaxed)))
    }

    fn write_stalled_for(&self) -> Duration {
        match self.write_waiting_since_ms.load(Ordering::Relaxed) {
            0 => Duration::ZERO,
            since => Duration::from_millis(self.now_ms().saturating_sub(since - 1)),
        }
    }

    fn request(self: &Arc<Self>) -> RequestGuard {
        self.requests.fetch_add(1, Ordering::Relaxed);
        RequestGuard(self.clone())
    }
}

/// A request being answered on the connection (it is not idle meanwhile).
struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.moved();
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
            self.activity.moved();
        }
        polled
    }
}

impl<IO: AsyncWrite + Unpin> Watched<IO> {
    fn watch_write<T>(&self, polled: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        let waiting = &self.activity.write_waiting_since_ms;
        match &polled {
            Poll::Pending => {
                if waiting.load(Ordering::Relaxed) == 0 {
                    waiting.store(self.activity.now_ms() + 1, Ordering::Relaxed);
                }
            }
            Poll::Ready(_) => {
                waiting.store(0, Ordering::Relaxed);
                self.activity.moved();
            }
        }
        polled
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Watched<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch_write(polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch_write(polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch_write(polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
