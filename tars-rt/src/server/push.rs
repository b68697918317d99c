//! Pushing to clients: messages a server sends on a client's connection when it chooses, not
//! in answer to a request (chat, notifications, game state).
//!
//! A push is a `ResponsePacket` with `iRequestId` 0 and the message in `sBuffer`, written on
//! the client's connection (TCP or TLS), or sent as a datagram to the client's address (UDP),
//! as TarsGo's `push.Send` and TarsCpp's saved `CurrentPtr` do. Clients never use request id
//! 0 for a call: they hand such packets to the proxy's push stream.
//!
//! A servant gets a [`PushSender`] from the request it serves
//! ([`Context::push_sender`](super::Context::push_sender)) and keeps it as long as it likes:
//! it is cheap to clone, `Send`, and pushes until the connection closes, then says so with
//! [`PushError::Closed`]. With [`ConnectionHooks`] (`#[tars::servant(hooks)]`) a servant also
//! hears of every connection opened and closed on its adapter, to keep a registry of
//! connected clients.
//!
//! Pushes share the connection's write queue with the replies, and what they may hold in it
//! is bounded ([`PUSH_QUEUE_BYTES`]): a client that stops reading gets its pushes refused
//! ([`PushError::Full`]), not buffered without limit, until the server's `writetimeout` lets
//! the connection go.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use bytes::{Bytes, BytesMut};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, Notify, OwnedSemaphorePermit, Semaphore, TryAcquireError};

use crate::codec::TarsStruct;
use crate::protocol::{ResponsePacket, STATUS_PUSH_FUNCTION, TARSVERSION};
use crate::transport::frame;
use crate::transport::writer::Outgoing;

/// The most bytes of pushes one connection holds queued, not yet written. A single push
/// larger than this is still sent, alone.
pub const PUSH_QUEUE_BYTES: usize = 4 * 1024 * 1024;

/// Why a push was not sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The connection is gone: the client disconnected, or the server closed it.
    #[error(
        "cannot push to {peer}: the connection is closed (forget this client; it registers again when it reconnects)"
    )]
    Closed {
        /// The client's address.
        peer: SocketAddr,
    },
    /// The client is not reading: what was pushed to it before still waits to be written.
    #[error("cannot push {bytes} bytes to {peer}: earlier pushes still wait to be written (at most {} bytes per connection); the client is not reading, try again later or drop it", PUSH_QUEUE_BYTES)]
    Full {
        /// The client's address.
        peer: SocketAddr,
        /// The size of the push refused.
        bytes: usize,
    },
    /// The datagram could not be sent (UDP).
    #[error("cannot push to {peer}: {source}")]
    Io {
        /// The client's address.
        peer: SocketAddr,
        /// What the socket said.
        #[source]
        source: std::io::Error,
    },
}

/// Pushes to one client connection; see the [module docs](self).
#[derive(Clone)]
pub struct PushSender {
    link: Arc<Link>,
}

/// One client connection, as pushes reach it.
struct Link {
    id: u64,
    peer: SocketAddr,
    route: Route,
    /// Bytes of pushes queued and not yet written.
    queued: Arc<Semaphore>,
    closed: AtomicBool,
    on_close: Notify,
}

enum Route {
    /// The connection's write queue. Weak: a sender kept by a servant does not keep the
    /// connection's writer alive once the connection is done.
    Stream(mpsc::WeakSender<Outgoing>),
    /// The adapter's socket, and the client's address.
    Datagram(Weak<UdpSocket>),
}

/// Connection ids, unique in the process.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl PushSender {
    /// The sender for a TCP or TLS connection whose writer reads `queue`.
    pub(crate) fn stream(peer: SocketAddr, queue: &mpsc::Sender<Outgoing>) -> Self {
        Self::new(peer, Route::Stream(queue.downgrade()))
    }

    /// The sender for a UDP client at `peer`, through the adapter's `socket`.
    pub(crate) fn datagram(peer: SocketAddr, socket: &Arc<UdpSocket>) -> Self {
        Self::new(peer, Route::Datagram(Arc::downgrade(socket)))
    }

    fn new(peer: SocketAddr, route: Route) -> Self {
        PushSender {
            link: Arc::new(Link {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                peer,
                route,
                queued: Arc::new(Semaphore::new(PUSH_QUEUE_BYTES)),
                closed: AtomicBool::new(false),
                on_close: Notify::new(),
            }),
        }
    }

    /// Marks the connection closed: pushes fail from now on, and [`closed`](Self::closed)
    /// returns.
    pub(crate) fn close(&self) {
        self.link.closed.store(true, Ordering::Release);
        self.link.on_close.notify_waiters();
    }

    /// The connection's id, unique in the process: two senders with the same id push to the
    /// same connection (a registry of clients may key on it).
    pub fn id(&self) -> u64 {
        self.link.id
    }

    /// The client's address.
    pub fn peer(&self) -> SocketAddr {
        self.link.peer
    }

    /// Whether the connection has closed (pushes fail).
    pub fn is_closed(&self) -> bool {
        self.link.closed.load(Ordering::Acquire)
            || match &self.link.route {
                Route::Stream(queue) => queue.upgrade().is_none_or(|q| q.is_closed()),
                Route::Datagram(socket) => socket.strong_count() == 0,
            }
    }

    /// Waits until the connection closes (at once if it has).
    pub async fn closed(&self) {
        loop {
            let notified = self.link.on_close.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    /// Pushes `message` as the push's `sBuffer`, as TarsGo's `push.Send` does. Returns once it
    /// is queued; fails at once if the connection is closed or the client is not reading.
    pub fn push(&self, message: impl Into<Bytes>) -> Result<(), PushError> {
        self.try_send(push_frame(message.into(), None))
    }

    /// Pushes `value` encoded with the TARS codec (its fields, as a TarsGo client decodes a
    /// struct from a push's bytes with `ReadFrom`).
    pub fn push_struct<T: TarsStruct>(&self, value: &T) -> Result<(), PushError> {
        self.push(crate::codec::encode_exact(|b| value.encode_fields(b)))
    }

    /// Pushes the results of interface method `function` (`results`: the return value at tag
    /// 0, `out` parameters at their tags), named in the push's `status` as TarsCpp's generated
    /// `async_response_push_<function>` does, for clients that dispatch pushes by method.
    pub fn push_named(&self, function: &str, results: impl Into<Bytes>) -> Result<(), PushError> {
        self.try_send(push_frame(results.into(), Some(function)))
    }

    /// Like [`push`](Self::push), but waits while earlier pushes fill the connection's queue,
    /// instead of failing. Fails if the connection closes meanwhile.
    pub async fn push_when_ready(&self, message: impl Into<Bytes>) -> Result<(), PushError> {
        let frame = push_frame(message.into(), None);
        let queue = match &self.link.route {
            Route::Stream(queue) => queue,
            Route::Datagram(_) => return self.try_send(frame),
        };
        let closed = || PushError::Closed { peer: self.peer() };
        let room = tokio::select! {
            room = self.link.queued.clone().acquire_many_owned(charge(frame.len())) => room.map_err(|_| closed())?,
            _ = self.closed() => return Err(closed()),
        };
        let queue = queue.upgrade().ok_or_else(closed)?;
        let out = Outgoing {
            frame,
            permit: Some(room),
        };
        tokio::select! {
            sent = queue.send(out) => sent.map_err(|_| closed()),
            _ = self.closed() => Err(closed()),
        }
    }

    fn try_send(&self, frame: Bytes) -> Result<(), PushError> {
        let peer = self.peer();
        if self.link.closed.load(Ordering::Acquire) {
            return Err(PushError::Closed { peer });
        }
        match &self.link.route {
            Route::Stream(queue) => {
                let queue = queue.upgrade().ok_or(PushError::Closed { peer })?;
                let full = || PushError::Full {
                    peer,
                    bytes: frame.len(),
                };
                let room: OwnedSemaphorePermit =
                    match self.link.queued.clone().try_acquire_many_owned(charge(frame.len())) {
                        Ok(room) => room,
                        Err(TryAcquireError::NoPermits) => return Err(full()),
                        Err(TryAcquireError::Closed) => return Err(PushError::Closed { peer }),
                    };
                let bytes = frame.len();
                queue
                    .try_send(Outgoing {
                        frame,
                        permit: Some(room),
                    })
                    .map_err(|e| match e {
                        mpsc::error::TrySendError::Full(_) => PushError::Full { peer, bytes },
                        mpsc::error::TrySendError::Closed(_) => PushError::Closed { peer },
                    })
            }
            Route::Datagram(socket) => {
                let socket = socket.upgrade().ok_or(PushError::Closed { peer })?;
                match socket.try_send_to(&frame, peer) {
                    Ok(_) => Ok(()),
                    // The socket's send buffer is full: the datagram would be dropped anyway.
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Err(PushError::Full {
                        peer,
                        bytes: frame.len(),
                    }),
                    Err(source) => Err(PushError::Io { peer, source }),
                }
            }
        }
    }
}

impl std::fmt::Debug for PushSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushSender")
            .field("id", &self.link.id)
            .field("peer", &self.link.peer)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// What a push of `len` bytes takes from the connection's queue: its size, and the whole
/// queue for one larger than the queue (sent alone).
fn charge(len: usize) -> u32 {
    len.min(PUSH_QUEUE_BYTES) as u32
}

/// A push's frame: a `ResponsePacket` with request id 0 (TarsCpp writes `iVersion` 1, as
/// here; TarsGo 0: clients read neither).
fn push_frame(message: Bytes, function: Option<&str>) -> Bytes {
    let packet = ResponsePacket {
        i_version: TARSVERSION,
        i_request_id: 0,
        s_buffer: message,
        status: function
            .map(|f| [(STATUS_PUSH_FUNCTION.to_string(), f.to_string())].into())
            .unwrap_or_default(),
        ..ResponsePacket::default()
    };
    let mut buf = BytesMut::with_capacity(32 + packet.s_buffer.len());
    frame::encode_frame(&mut buf, |b| packet.encode_fields(b));
    buf.freeze()
}

/// What a servant hears of the connections of its adapter (TarsGo's push server `OnConnect`
/// and `OnClose`, TarsCpp's `doClose`): put `#[tars::servant(hooks)]` on the servant's impl
/// and implement this trait for the same type. TCP and TLS connections only: UDP has none.
///
/// The hooks run on the connection's task: they should be quick (keep a sender in a map,
/// spawn a task for anything slow).
pub trait ConnectionHooks: Send + Sync {
    /// A client connected: `client` pushes to it until it closes.
    fn on_connect(&self, client: &PushSender) {
        let _ = client;
    }

    /// The client's connection closed (either side); pushes to it now fail.
    fn on_close(&self, client: &PushSender) {
        let _ = client;
    }
}

/// A push server as TarsGo writes one (`tars/protocol/push`: `push.NewServer`): clients
/// (TarsGo's `push.Client.Connect`) call it with raw bytes, not IDL arguments, and get raw
/// bytes back; the server keeps each caller's [`PushSender`] to push to it.
///
/// Serve it with [`RawPushServant`]. Servants with an IDL interface push the same way, from
/// any method ([`Context::push_sender`](super::Context::push_sender)).
pub trait RawPush: Send + Sync + 'static {
    /// A client called (TarsGo's client calls `push`; any function but `tars_ping` comes
    /// here, as in TarsGo) with `request`, the call's whole `sBuffer`: the answer is the
    /// reply's whole `sBuffer`. `client` pushes to the caller's connection. Implement it as
    /// an `async fn`.
    fn on_connect(
        &self,
        client: PushSender,
        request: Bytes,
    ) -> impl std::future::Future<Output = Result<Bytes, crate::Status>> + Send;

    /// The client's connection closed (TarsGo's `OnClose`).
    fn on_close(&self, client: &PushSender) {
        let _ = client;
    }
}

/// Serves a [`RawPush`] as a TARS object.
pub struct RawPushServant<T>(pub T);

/// What `tars.viewstatus` and the IDL view show of a [`RawPushServant`]: one function,
/// `push`, taking and returning raw bytes.
static RAW_PUSH_INTERFACE: crate::idl::InterfaceDesc = crate::idl::InterfaceDesc {
    module: "tars",
    name: "Push",
    methods: &[crate::idl::MethodDesc {
        name: "push",
        ret: Some("vector<byte>"),
        ret_tup_type: Some("list<char>"),
        params: &[],
    }],
};

#[async_trait::async_trait]
impl<T: RawPush> super::Servant for RawPushServant<T> {
    fn interface(&self) -> &'static crate::idl::InterfaceDesc {
        &RAW_PUSH_INTERFACE
    }

    async fn dispatch(&self, ctx: &super::Context, call: &mut super::Call) -> Result<(), crate::Status> {
        let Some(request) = call.raw_body().cloned() else {
            return Err(crate::Status::decode_error(format!(
                "{}: a push server takes TARS requests (iVersion 1), not {:?}",
                call.function(),
                call.encoding()
            )));
        };
        let client = ctx
            .push_sender()
            .ok_or_else(|| crate::Status::unknown("a push server needs the caller's connection"))?;
        let answer = self.0.on_connect(client, request).await?;
        call.set_raw_results(&answer);
        Ok(())
    }

    fn connection_hooks(&self) -> Option<&dyn ConnectionHooks> {
        Some(self)
    }
}

impl<T: RawPush> ConnectionHooks for RawPushServant<T> {
    fn on_close(&self, client: &PushSender) {
        self.0.on_close(client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> SocketAddr {
        "127.0.0.1:9".parse().unwrap()
    }

    #[tokio::test]
    async fn a_push_is_a_response_with_request_id_zero() {
        let (tx, mut rx) = mpsc::channel(4);
        let sender = PushSender::stream(peer(), &tx);
        sender.push(&b"tick 1"[..]).unwrap();
        sender.push_named("pushMsg", Bytes::from_static(b"\x06\x02hi")).unwrap();
        for (body, function) in [(&b"tick 1"[..], None), (&b"\x06\x02hi"[..], Some("pushMsg"))] {
            let out = rx.recv().await.unwrap();
            let rsp = crate::protocol::decode_response(&out.frame.slice(4..)).unwrap();
            assert_eq!((rsp.i_version, rsp.i_request_id, rsp.i_ret), (1, 0, 0));
            assert_eq!(&rsp.s_buffer[..], body);
            assert_eq!(rsp.status.get(STATUS_PUSH_FUNCTION).map(String::as_str), function);
            assert_eq!(rsp.s_result_desc, "");
        }
    }

    #[tokio::test]
    async fn pushes_past_the_queue_limit_are_refused_until_written() {
        let (tx, mut rx) = mpsc::channel(1024);
        let sender = PushSender::stream(peer(), &tx);
        let chunk = Bytes::from(vec![7u8; 1024 * 1024]);
        // Each takes a bit more than 1 MiB with its header: three fit, the fourth does not.
        for _ in 0..3 {
            sender.push(chunk.clone()).unwrap();
        }
        let refused = sender.push(chunk.clone()).unwrap_err();
        assert!(
            matches!(refused, PushError::Full { bytes, .. } if bytes > 1024 * 1024),
            "{refused}"
        );
        // Written (the writer drops the frame and its permit): room again.
        drop(rx.recv().await.unwrap());
        sender.push(chunk.clone()).unwrap();
        // One push larger than the whole queue still goes, alone.
        while rx.try_recv().is_ok() {}
        sender.push(Bytes::from(vec![0u8; 2 * PUSH_QUEUE_BYTES])).unwrap();
    }

    #[tokio::test]
    async fn a_closed_connection_fails_pushes_and_wakes_waiters() {
        let (tx, rx) = mpsc::channel(4);
        let sender = PushSender::stream(peer(), &tx);
        let waiter = tokio::spawn({
            let s = sender.clone();
            async move { s.closed().await }
        });
        tokio::task::yield_now().await;
        sender.close();
        waiter.await.unwrap();
        assert!(matches!(sender.push(&b"x"[..]), Err(PushError::Closed { .. })));
        drop((tx, rx));
        // A sender whose queue is gone is closed too, without being told.
        let (tx, rx) = mpsc::channel(4);
        let orphan = PushSender::stream(peer(), &tx);
        drop((tx, rx));
        assert!(orphan.is_closed());
        assert!(matches!(
            orphan.push_when_ready(&b"x"[..]).await,
            Err(PushError::Closed { .. })
        ));
    }
}
