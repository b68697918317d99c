//! One connection to one endpoint, shared by every proxy of a communicator: requests are
//! multiplexed by `iRequestId`. The shared batching writer ([`crate::transport::writer`])
//! sends queued frames; a reader task hands each reply to the call waiting for it. The
//! in-flight map is RAII: a call that times out or is dropped removes its entry, and a
//! connection that dies fails all of its calls at once.
//!
//! A connection is let go, failing its calls so that the next ones dial afresh, when the
//! server stops reading (a write makes no progress for `clientwritetimeout`) or stops
//! writing half-way through a reply (see [`Connection::call_timed_out`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::codec::{DecodeError, Reader, TarsStruct};
use crate::protocol::ResponsePacket;
use crate::sync::lock;
use crate::transport::endpoint::{Endpoint, Proto};
use crate::transport::frame;
use crate::transport::reader::FrameReader;
use crate::transport::udp;
use crate::transport::writer::{self, Outgoing};

use super::error::ConnectionError;
use super::push::PushRoute;

/// The largest reply a client accepts.
const MAX_REPLY: usize = 100 * 1024 * 1024;

/// What the connection hands a call waiting on it.
#[derive(Debug)]
pub(crate) enum Delivered {
    Reply(ResponsePacket),
    /// The reply to this call could not be decoded.
    Undecodable(DecodeError),
    /// The connection failed.
    Closed(ConnectionError),
}

type Waiters = Mutex<HashMap<i32, oneshot::Sender<Delivered>>>;

/// What the connection's tasks and its handle share.
struct Shared {
    waiters: Waiters,
    closed: AtomicBool,
    /// The server asked clients to move away (`_reconnect_`).
    draining: AtomicBool,
    /// Set once to stop the reader and the writer.
    stop: watch::Sender<bool>,
    opened: Instant,
    /// Milliseconds after `opened` of the last call sent.
    last_used_ms: AtomicU64,
    /// Milliseconds after `opened` of the last byte received.
    last_read_ms: AtomicU64,
    /// Whether the reader holds part of a frame.
    mid_frame: AtomicBool,
    /// Where pushes go, and who hears that the connection is gone.
    pushes: Arc<PushRoute>,
    /// Whether the push subscribers were told the connection is gone (or draining).
    told: AtomicBool,
}

impl Shared {
    fn since_opened(&self) -> u64 {
        self.opened.elapsed().as_millis() as u64
    }

    /// Closes the connection: no new calls, every waiting call fails with `reason`, the
    /// reader and writer stop.
    fn shut(&self, reason: ConnectionError) {
        self.closed.store(true, Ordering::Release);
        self.tell_subscribers(&reason);
        let pending: Vec<_> = lock(&self.waiters).drain().collect();
        for (_, tx) in pending {
            let _ = tx.send(Delivered::Closed(reason.clone()));
        }
        let _ = self.stop.send(true);
    }

    /// Tells the push subscribers, once, that this connection is gone or going.
    fn tell_subscribers(&self, reason: &ConnectionError) {
        if !self.told.swap(true, Ordering::AcqRel) {
            self.pushes.disconnected(reason.clone());
        }
    }

    /// Hands a reply to its call; returns a push, for the reader to deliver.
    fn deliver(&self, rsp: ResponsePacket) -> Option<ResponsePacket> {
        if rsp.i_request_id != 0 {
            self.complete(rsp.i_request_id, Delivered::Reply(rsp));
            return None;
        }
        // `_reconnect_`: the server is going away; new calls go elsewhere while the calls
        // already sent on this connection finish here.
        if rsp.s_result_desc == "_reconnect_" {
            tracing::debug!("server asked to reconnect");
            self.draining.store(true, Ordering::Release);
            self.tell_subscribers(&ConnectionError::Reconnect);
            return None;
        }
        Some(rsp)
    }

    /// Hands `outcome` to the call waiting for `id`; a reply nobody waits for (timed out,
    /// cancelled) is dropped.
    fn complete(&self, id: i32, outcome: Delivered) {
        if let Some(tx) = lock(&self.waiters).remove(&id) {
            let _ = tx.send(outcome);
        }
    }

    /// Handles one frame from the server: a reply, a push (returned, for the reader to
    /// deliver), or bytes that do not decode (which fail the call they name, if they name
    /// one, at once rather than at its deadline).
    fn receive(&self, frame: &Bytes) -> Option<ResponsePacket> {
        match crate::protocol::decode_response(frame) {
            Ok(rsp) => self.deliver(rsp),
            Err(e) => {
                match request_id_of(frame) {
                    Some(id) if id != 0 => {
                        tracing::warn!(request_id = id, error = %e, "undecodable reply");
                        self.complete(id, Delivered::Undecodable(e));
                    }
                    _ => tracing::warn!(error = %e, "undecodable frame from the server dropped"),
                }
                None
            }
        }
    }
}

/// The request id of a reply that does not decode: its tag 3, or tag 4 in the
/// `RequestPacket` layout TUP replies (`iVersion` 2 and 3) come in.
fn request_id_of(frame: &Bytes) -> Option<i32> {
    let mut r = Reader::from_bytes(frame);
    let version = r.read_field::<i16>(1).ok()??;
    let tag = if matches!(version, 2 | 3) && crate::protocol::is_request_layout(&r) {
        4
    } else {
        3
    };
    Reader::from_bytes(frame).read_field::<i32>(tag).ok()?
}

pub(crate) struct Connection {
    outgoing: mpsc::Sender<Outgoing>,
    shared: Arc<Shared>,
    /// Request ids, unique on this connection.
    next_id: AtomicI32,
}

/// A registered call; dropping it (timeout, cancellation) removes it from the map.
pub(crate) struct Pending {
    id: i32,
    shared: Arc<Shared>,
    pub(crate) rx: oneshot::Receiver<Delivered>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        lock(&self.shared.waiters).remove(&self.id);
    }
}

/// How a connection behaves once open.
pub(crate) struct ConnectionOptions {
    /// Close after this long without calls (zero: never).
    pub idle_timeout: Duration,
    /// Close when a write makes no progress for this long (zero: never).
    pub write_stall: Duration,
    /// Frames that may wait for the writer (`clientqueuelen`).
    pub queue_len: usize,
    /// When the connection pings.
    pub keep_alive: KeepAlive,
    /// The object keep-alive pings name, once it is known.
    pub ping_as: Arc<OnceLock<String>>,
    /// Where pushes go.
    pub pushes: Arc<PushRoute>,
}

/// When a connection that has sent nothing for a while sends a one-way `tars_ping`, as
/// TarsGo does, checked every `check_every` (`check-status-interval`): after `always`
/// (`keep-alive-interval`), if set; and while a proxy reads its pushes, after `pushed`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeepAlive {
    pub(crate) always: Option<Duration>,
    pub(crate) pushed: Duration,
    pub(crate) check_every: Duration,
}

impl Connection {
    /// Connects (TCP) or binds and connects (UDP) within `connect_timeout`. `tls` is
    /// required for `ssl` endpoints.
    pub(crate) async fn open(
        endpoint: &Endpoint,
        connect_timeout: Duration,
        options: ConnectionOptions,
        tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
    ) -> std::io::Result<Arc<Connection>> {
        let (stop, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            waiters: Mutex::default(),
            closed: AtomicBool::new(false),
            draining: AtomicBool::new(false),
            stop,
            opened: Instant::now(),
            last_used_ms: AtomicU64::new(0),
            last_read_ms: AtomicU64::new(0),
            mid_frame: AtomicBool::new(false),
            pushes: options.pushes.clone(),
            told: AtomicBool::new(false),
        });
        let (tx, rx) = mpsc::channel::<Outgoing>(options.queue_len.max(1));
        let addr = endpoint.address();
        let timed_out = || std::io::Error::new(std::io::ErrorKind::TimedOut, format!("connect to {addr} timed out"));
        let stall = (!options.write_stall.is_zero()).then_some(options.write_stall);
        match endpoint.proto {
            Proto::Tcp => {
                let stream = tokio::time::timeout(connect_timeout, TcpStream::connect(&addr))
                    .await
                    .map_err(|_| timed_out())??;
                stream.set_nodelay(true)?;
                let (rd, wr) = stream.into_split();
                tokio::spawn(write_stream(wr, rx, stall, shared.clone()));
                tokio::spawn(read_stream(rd, shared.clone()));
            }
            Proto::Ssl => {
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
                tokio::spawn(write_stream(wr, rx, stall, shared.clone()));
                tokio::spawn(read_stream(rd, shared.clone()));
            }
            Proto::Udp => {
                let peer: SocketAddr = tokio::net::lookup_host(&addr).await?.next().ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::NotFound, format!("no address for {addr}"))
                })?;
                let local = if peer.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
                let socket = Arc::new(UdpSocket::bind(local).await?);
                socket.connect(peer).await?;
                tokio::spawn(write_udp(socket.clone(), rx));
                tokio::spawn(read_udp(socket, Arc::downgrade(&shared)));
            }
        }
        let conn = Arc::new(Connection {
            outgoing: tx,
            shared,
            next_id: AtomicI32::new(1),
        });
        if !options.idle_timeout.is_zero() {
            tokio::spawn(close_when_idle(Arc::downgrade(&conn), options.idle_timeout));
        }
        // Pings only where they are wanted: with `keep-alive-interval`, or for a proxy reading
        // its pushes (it subscribes before the call that opens the connection); not a timer
        // per connection otherwise.
        if options.keep_alive.always.is_some() || options.pushes.is_wanted() {
            tokio::spawn(keep_alive_pings(
                Arc::downgrade(&conn),
                options.keep_alive,
                options.ping_as,
            ));
        }
        Ok(conn)
    }

    fn idle_for(&self) -> Duration {
        let last = self.shared.last_used_ms.load(Ordering::Relaxed);
        Duration::from_millis(self.shared.since_opened().saturating_sub(last))
    }

    /// A request id: positive, never 0 (pushes use 0), wrapping.
    pub(crate) fn next_request_id(&self) -> i32 {
        loop {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            if id > 0 {
                return id;
            }
            let _ = self
                .next_id
                .compare_exchange(id.wrapping_add(1), 1, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// Whether new calls may use this connection.
    pub(crate) fn is_usable(&self) -> bool {
        !self.shared.closed.load(Ordering::Acquire) && !self.shared.draining.load(Ordering::Acquire)
    }

    /// Calls waiting on this connection.
    pub(crate) fn in_flight(&self) -> usize {
        lock(&self.shared.waiters).len()
    }

    /// Registers call `id` before its frame is sent (by [`Connection::send`], which marks
    /// the connection used).
    pub(crate) fn register(&self, id: i32) -> Pending {
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.waiters).insert(id, tx);
        if self.shared.closed.load(Ordering::Acquire) {
            // Closed between the check and the insert: fail now rather than wait.
            if let Some(tx) = lock(&self.shared.waiters).remove(&id) {
                let _ = tx.send(Delivered::Closed(ConnectionError::Closed));
            }
        }
        Pending {
            id,
            shared: self.shared.clone(),
            rx,
        }
    }

    /// Queues a frame; fails if the connection is gone.
    pub(crate) async fn send(&self, frame: Bytes) -> Result<(), ConnectionError> {
        self.shared
            .last_used_ms
            .store(self.shared.since_opened(), Ordering::Relaxed);
        self.outgoing
            .send(Outgoing::frame(frame))
            .await
            .map_err(|_| ConnectionError::Closed)
    }

    /// Told that a call of `timeout` expired on this connection: if a reply has stopped
    /// arriving half-way (part of a frame is buffered and no byte came for half of that
    /// timeout), the connection is stuck for every call behind it, so it is closed and the
    /// next calls dial afresh.
    pub(crate) fn call_timed_out(&self, timeout: Duration) {
        let s = &self.shared;
        if !s.mid_frame.load(Ordering::Acquire) {
            return;
        }
        let silent = Duration::from_millis(s.since_opened().saturating_sub(s.last_read_ms.load(Ordering::Acquire)));
        if silent >= timeout / 2 {
            tracing::warn!(
                silent_ms = silent.as_millis() as u64,
                "the server stopped in the middle of a reply; closing the connection"
            );
            s.shut(ConnectionError::StalledReply);
        }
    }
}

/// Closes the connection once no call has been sent for `idle`, none is in flight, and no
/// proxy reads the pushes that come on it.
async fn close_when_idle(conn: Weak<Connection>, idle: Duration) {
    loop {
        let wait = match conn.upgrade() {
            Some(c) if c.shared.closed.load(Ordering::Acquire) => return,
            Some(c) if c.in_flight() == 0 && c.idle_for() >= idle && !c.shared.pushes.is_wanted() => {
                tracing::debug!("closing idle client connection");
                c.shared.shut(ConnectionError::Idle);
                return;
            }
            Some(c) => idle.saturating_sub(c.idle_for()).max(Duration::from_millis(10)),
            None => return,
        };
        tokio::time::sleep(wait).await;
    }
}

/// Sends a one-way `tars_ping` (as TarsGo's `doKeepAlive` does: iVersion 1, the object's
/// name, no reply) whenever the connection has sent nothing for the [`KeepAlive`] interval,
/// so that the server, load balancers and firewalls do not drop it. A ping is not a call: it
/// does not keep the connection from closing for being idle (pushes being read do).
async fn keep_alive_pings(conn: Weak<Connection>, keep_alive: KeepAlive, ping_as: Arc<OnceLock<String>>) {
    let mut last_sent = Instant::now();
    loop {
        tokio::time::sleep(keep_alive.check_every).await;
        let Some(c) = conn.upgrade() else { return };
        // Closed, or told to move away (`_reconnect_`): nothing more to keep alive here.
        if !c.is_usable() {
            return;
        }
        let after = match keep_alive.always {
            Some(after) => after,
            None if c.shared.pushes.is_wanted() => keep_alive.pushed,
            None => continue,
        };
        let since_call = c.idle_for();
        if since_call < after || last_sent.elapsed() < after {
            continue;
        }
        let Some(object) = ping_as.get() else { continue };
        let ping = crate::protocol::RequestPacket {
            i_version: crate::protocol::TARSVERSION,
            c_packet_type: crate::protocol::TARSONEWAY,
            i_request_id: c.next_request_id(),
            s_servant_name: object.clone(),
            s_func_name: "tars_ping".into(),
            i_timeout: after.as_millis().min(i32::MAX as u128) as i32,
            ..Default::default()
        };
        let frame = crate::codec::encode_exact(|b| frame::encode_frame(b, |b| ping.encode_fields(b)));
        if c.outgoing.try_send(Outgoing::frame(frame)).is_ok() {
            tracing::trace!(object = %object, "keep-alive ping");
            last_sent = Instant::now();
        }
    }
}

async fn read_stream<R: AsyncRead + Unpin>(rd: R, shared: Arc<Shared>) {
    let mut reader = FrameReader::new(rd, MAX_REPLY);
    let mut stop = shared.stop.subscribe();
    let reason = 'read: loop {
        loop {
            match reader.next_buffered() {
                Ok(Some(f)) => {
                    if let Some(push) = shared.receive(&f) {
                        shared.pushes.deliver(push).await;
                    }
                }
                Ok(None) => break,
                Err(e) => break 'read ConnectionError::BadFrame(e),
            }
        }
        shared
            .mid_frame
            .store(reader.mid_frame_since().is_some(), Ordering::Release);
        tokio::select! {
            read = reader.fill() => match read {
                Ok(0) => break ConnectionError::ClosedByPeer,
                Ok(_) => shared.last_read_ms.store(shared.since_opened(), Ordering::Release),
                Err(e) => break ConnectionError::Io(Arc::new(e)),
            },
            _ = stop.changed() => return,
        }
    };
    shared.shut(reason);
}

async fn write_stream<W: AsyncWrite + Unpin>(
    wr: W,
    mut rx: mpsc::Receiver<Outgoing>,
    stall: Option<Duration>,
    shared: Arc<Shared>,
) {
    let mut stop = shared.stop.subscribe();
    let stopped = async move {
        let _ = stop.changed().await;
    };
    if let Err(e) = writer::write_frames(wr, &mut rx, stall, stopped).await {
        tracing::warn!(error = %e, "cannot send to the server; closing the connection");
        shared.shut(ConnectionError::Io(Arc::new(e)));
    }
}

async fn write_udp(socket: Arc<UdpSocket>, mut rx: mpsc::Receiver<Outgoing>) {
    while let Some(datagram) = rx.recv().await {
        if let Err(e) = socket.send(&datagram.frame).await {
            tracing::debug!(error = %e, "udp send failed");
        }
    }
}

async fn read_udp(socket: Arc<UdpSocket>, shared: Weak<Shared>) {
    let mut buf = udp::receive_buffer();
    loop {
        // Ends with the connection: the handle holds the only strong reference.
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
                if shared.strong_count() == 0 {
                    return;
                }
                continue;
            }
        };
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if let Ok(Some(f)) = udp::frame_of(&buf[..n], |b| frame::decode_frame(b, MAX_REPLY)) {
            if let Some(push) = shared.receive(&f) {
                shared.pushes.deliver(push).await;
            }
        }
    }
}
