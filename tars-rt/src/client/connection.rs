//! One connection to one endpoint, shared by every proxy of a communicator: requests are
//! multiplexed by `iRequestId`. A writer task sends queued frames in batches; a reader task
//! hands each reply to the call waiting for it. The in-flight map is RAII: a call that times
//! out or is dropped removes its entry, and a connection that dies fails all of its calls at
//! once.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::protocol::ResponsePacket;
use crate::transport::endpoint::{Endpoint, Transport};
use crate::transport::frame;

/// The largest reply a client accepts.
const MAX_REPLY: usize = 100 * 1024 * 1024;
/// Frames waiting for the writer.
const SEND_QUEUE: usize = 10_000;

/// How a call ended on the connection.
#[derive(Debug)]
pub(crate) enum Outcome {
    Reply(ResponsePacket),
    /// The connection failed with this reason.
    Closed(String),
}

type Waiters = Arc<Mutex<HashMap<i32, oneshot::Sender<Outcome>>>>;

pub(crate) struct Connection {
    outgoing: mpsc::Sender<Bytes>,
    waiters: Waiters,
    closed: Arc<AtomicBool>,
    /// The server asked clients to move away (`_reconnect_`).
    draining: Arc<AtomicBool>,
    /// Tells the writer to close the connection (idle).
    close: Arc<Notify>,
    opened: Instant,
    /// Milliseconds after `opened` of the last call sent.
    last_used_ms: AtomicU64,
}

/// A registered call; dropping it (timeout, cancellation) removes it from the map.
pub(crate) struct Pending {
    id: i32,
    waiters: Waiters,
    pub(crate) rx: oneshot::Receiver<Outcome>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        lock(&self.waiters).remove(&self.id);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Nothing holding this lock can leave the map inconsistent.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Connection {
    /// Connects (TCP) or binds and connects (UDP) within `connect_timeout`; the connection
    /// closes itself after `idle_timeout` without calls (zero: never).
    /// `tls` is required for `ssl` endpoints.
    pub(crate) async fn open(
        endpoint: &Endpoint,
        connect_timeout: Duration,
        idle_timeout: Duration,
        tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
    ) -> std::io::Result<Arc<Connection>> {
        let waiters: Waiters = Arc::default();
        let closed = Arc::new(AtomicBool::new(false));
        let close = Arc::new(Notify::new());
        let draining = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel::<Bytes>(SEND_QUEUE);
        let addr = endpoint.address();
        let timed_out = || std::io::Error::new(std::io::ErrorKind::TimedOut, format!("connect to {addr} timed out"));
        match endpoint.transport {
            Transport::Tcp => {
                let stream = tokio::time::timeout(connect_timeout, TcpStream::connect(&addr))
                    .await
                    .map_err(|_| timed_out())??;
                stream.set_nodelay(true)?;
                let (rd, wr) = stream.into_split();
                tokio::spawn(write_tcp(wr, rx, closed.clone(), close.clone()));
                tokio::spawn(read_tcp(rd, waiters.clone(), closed.clone(), draining.clone()));
            }
            Transport::Ssl => {
                let tls =
                    tls.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no TLS configuration"))?;
                let name = crate::transport::tls::server_name(&endpoint.host)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
                // One deadline for the TCP connect and the handshake.
                let stream = tokio::time::timeout(connect_timeout, async {
                    let tcp = TcpStream::connect(&addr).await?;
                    tcp.set_nodelay(true)?;
                    tokio_rustls::TlsConnector::from(tls).connect(name, tcp).await
                })
                .await
                .map_err(|_| timed_out())??;
                let (rd, wr) = tokio::io::split(stream);
                tokio::spawn(write_tcp(wr, rx, closed.clone(), close.clone()));
                tokio::spawn(read_tcp(rd, waiters.clone(), closed.clone(), draining.clone()));
            }
            Transport::Udp => {
                let peer: SocketAddr = tokio::net::lookup_host(&addr).await?.next().ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::NotFound, format!("no address for {addr}"))
                })?;
                let local = if peer.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
                let socket = Arc::new(UdpSocket::bind(local).await?);
                socket.connect(peer).await?;
                tokio::spawn(write_udp(socket.clone(), rx));
                tokio::spawn(read_udp(socket, waiters.clone(), closed.clone()));
            }
        }
        let conn = Arc::new(Connection {
            outgoing: tx,
            waiters,
            closed,
            draining,
            close,
            opened: Instant::now(),
            last_used_ms: AtomicU64::new(0),
        });
        if !idle_timeout.is_zero() {
            tokio::spawn(close_when_idle(Arc::downgrade(&conn), idle_timeout));
        }
        Ok(conn)
    }

    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_used_ms.load(Ordering::Relaxed));
        self.opened.elapsed().saturating_sub(last)
    }

    /// Whether new calls may use this connection.
    pub(crate) fn is_usable(&self) -> bool {
        !self.closed.load(Ordering::Acquire) && !self.draining.load(Ordering::Acquire)
    }

    /// Calls waiting on this connection.
    pub(crate) fn in_flight(&self) -> usize {
        lock(&self.waiters).len()
    }

    /// Registers call `id` before its frame is sent.
    pub(crate) fn register(&self, id: i32) -> Pending {
        self.last_used_ms
            .store(self.opened.elapsed().as_millis() as u64, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.waiters).insert(id, tx);
        if self.closed.load(Ordering::Acquire) {
            // Closed between the check and the insert: fail now rather than wait.
            if let Some(tx) = lock(&self.waiters).remove(&id) {
                let _ = tx.send(Outcome::Closed("connection closed".into()));
            }
        }
        Pending {
            id,
            waiters: self.waiters.clone(),
            rx,
        }
    }

    /// Queues a frame; fails if the connection is gone.
    pub(crate) async fn send(&self, frame: Bytes) -> Result<(), String> {
        self.last_used_ms
            .store(self.opened.elapsed().as_millis() as u64, Ordering::Relaxed);
        self.outgoing
            .send(frame)
            .await
            .map_err(|_| "connection closed".to_string())
    }
}

/// Closes the connection once no call has been sent for `idle` and none is in flight.
async fn close_when_idle(conn: Weak<Connection>, idle: Duration) {
    loop {
        let wait = match conn.upgrade() {
            Some(c) if c.closed.load(Ordering::Acquire) => return,
            Some(c) if c.in_flight() == 0 && c.idle_for() >= idle => {
                tracing::debug!("closing idle client connection");
                c.closed.store(true, Ordering::Release);
                c.close.notify_one();
                return;
            }
            Some(c) => idle.saturating_sub(c.idle_for()).max(Duration::from_millis(10)),
            None => return,
        };
        tokio::time::sleep(wait).await;
    }
}

fn fail_all(waiters: &Waiters, closed: &AtomicBool, reason: &str) {
    closed.store(true, Ordering::Release);
    let pending: Vec<_> = lock(waiters).drain().collect();
    for (_, tx) in pending {
        let _ = tx.send(Outcome::Closed(reason.to_string()));
    }
}

fn deliver(waiters: &Waiters, draining: &AtomicBool, rsp: ResponsePacket) {
    if rsp.i_request_id == 0 {
        // A push. `_reconnect_`: the server is going away; new calls go elsewhere while the
        // calls already sent on this connection finish here.
        if rsp.s_result_desc == "_reconnect_" {
            tracing::debug!("server asked to reconnect");
            draining.store(true, Ordering::Release);
        }
        return;
    }
    // A reply nobody waits for (timed out, cancelled) is dropped.
    if let Some(tx) = lock(waiters).remove(&rsp.i_request_id) {
        let _ = tx.send(Outcome::Reply(rsp));
    }
}

async fn read_tcp<R: AsyncRead + Unpin>(
    mut rd: R,
    waiters: Waiters,
    closed: Arc<AtomicBool>,
    draining: Arc<AtomicBool>,
) {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let reason = loop {
        loop {
            match frame::decode_frame(&mut buf, MAX_REPLY) {
                Ok(Some(f)) => match crate::protocol::decode_response(&f) {
                    Ok(rsp) => deliver(&waiters, &draining, rsp),
                    Err(e) => tracing::warn!(error = %e, "undecodable response dropped"),
                },
                Ok(None) => break,
                Err(e) => {
                    fail_all(&waiters, &closed, &format!("bad frame from server: {e}"));
                    return;
                }
            }
        }
        if buf.capacity() - buf.len() < 8 * 1024 {
            buf.reserve(64 * 1024);
        }
        match rd.read_buf(&mut buf).await {
            Ok(0) => break "connection closed by the server".to_string(),
            Ok(_) => {}
            Err(e) => break format!("connection failed: {e}"),
        }
    };
    fail_all(&waiters, &closed, &reason);
}

async fn write_tcp<W: AsyncWrite + Unpin>(
    mut wr: W,
    mut rx: mpsc::Receiver<Bytes>,
    closed: Arc<AtomicBool>,
    close: Arc<Notify>,
) {
    let mut batch = BytesMut::new();
    loop {
        let first = tokio::select! {
            f = rx.recv() => match f {
                Some(f) => f,
                None => break,
            },
            _ = close.notified() => break,
        };
        let r = if rx.is_empty() {
            wr.write_all(&first).await
        } else {
            batch.extend_from_slice(&first);
            while batch.len() < 256 * 1024 {
                match rx.try_recv() {
                    Ok(more) => batch.extend_from_slice(&more),
                    Err(_) => break,
                }
            }
            let r = wr.write_all(&batch).await;
            batch.clear();
            r
        };
        if r.is_err() || closed.load(Ordering::Acquire) {
            break;
        }
    }
    let _ = wr.shutdown().await;
}

async fn write_udp(socket: Arc<UdpSocket>, mut rx: mpsc::Receiver<Bytes>) {
    while let Some(datagram) = rx.recv().await {
        if let Err(e) = socket.send(&datagram).await {
            tracing::debug!(error = %e, "udp send failed");
        }
    }
}

async fn read_udp(socket: Arc<UdpSocket>, waiters: Waiters, closed: Arc<AtomicBool>) {
    let mut buf = vec![0u8; 65_536];
    let never = AtomicBool::new(false);
    loop {
        // The writer owns the other handle; when every sender is gone the connection is
        // dropped and this task ends with the last call.
        let n = tokio::select! {
            r = socket.recv(&mut buf) => match r {
                Ok(n) => n,
                Err(e) => {
                    // ICMP port unreachable and similar: UDP has no connection to lose.
                    tracing::debug!(error = %e, "udp receive failed");
                    continue;
                }
            },
            _ = tokio::time::sleep(Duration::from_secs(60)) => {
                if Arc::strong_count(&waiters) == 1 {
                    closed.store(true, Ordering::Release);
                    return;
                }
                continue;
            }
        };
        let mut data = BytesMut::from(&buf[..n]);
        if let Ok(Some(f)) = frame::decode_frame(&mut data, MAX_REPLY) {
            if let Ok(rsp) = crate::protocol::decode_response(&f) {
                deliver(&waiters, &never, rsp);
            }
        }
    }
}
