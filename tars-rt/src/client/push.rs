//! Messages a server pushes to a client, as the proxy's [`PushStream`] yields them.
//!
//! A push is a packet with `iRequestId` 0 on a connection the client opened (calls never use
//! id 0). [`ServantProxy::on_push`](super::ServantProxy::on_push) subscribes a proxy: from
//! then on, every connection its calls use hands the pushes that arrive on it to the proxy's
//! streams, as TarsGo's `SetPushCallback` does for the adapters its proxy calls through. So
//! the usual flow is: subscribe, make the call that registers with the server (`connect`),
//! read the stream.
//!
//! While a proxy is subscribed its connections stay open when idle, and the ones opened
//! after it subscribed (so: subscribe first) send a one-way `tars_ping` every
//! `keep-alive-interval` (or, when that is not set, every half `clientidletimeout`, at most
//! [`PUSH_KEEP_ALIVE`]), so that the server and the network in between keep them. When a connection that brought pushes closes, or its server says
//! `_reconnect_` (it is going away), the stream yields [`PushEvent::Disconnected`]: the
//! server knows nothing of the next connection until the client registers again.
//!
//! A stream holds at most [`PUSH_STREAM_CAPACITY`] events and [`PUSH_STREAM_BYTES`] of
//! payload not yet read; while it is full the connection stops reading (calls on it wait too)
//! and TCP holds the server back: read the stream, or drop it.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, Semaphore};

use crate::codec::{DecodeError, Reader, TarsStruct};
use crate::protocol::{ResponsePacket, STATUS_PUSH_FUNCTION};
use crate::sync::lock;
use crate::transport::endpoint::Endpoint;

use super::error::ConnectionError;

/// The events a [`PushStream`] holds unread, at most.
pub const PUSH_STREAM_CAPACITY: usize = 1024;

/// The payload bytes a [`PushStream`] holds unread, at most (a push larger than this waits for
/// an empty stream, then goes alone): without it, 1,024 pushes of the largest frame a
/// connection reads (10 MB) could wait in one stream.
pub const PUSH_STREAM_BYTES: usize = 16 * 1024 * 1024;

/// The longest a subscribed connection stays quiet before it pings, when
/// `keep-alive-interval` is not set (servers commonly close connections idle for 60 s).
pub const PUSH_KEEP_ALIVE: Duration = Duration::from_secs(30);

/// What a [`PushStream`] yields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PushEvent {
    /// A message the server pushed.
    Message(PushMessage),
    /// A connection that brought pushes closed, or its server asked clients to move away
    /// (`_reconnect_`): pushes from that server stop until a call through the proxy opens a
    /// new connection. Register with the server again.
    Disconnected {
        /// The server's endpoint.
        endpoint: Arc<Endpoint>,
        /// Why.
        reason: ConnectionError,
    },
}

/// One pushed message.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PushMessage {
    /// The server that pushed it.
    pub endpoint: Arc<Endpoint>,
    /// The message: the push's `sBuffer`.
    pub payload: Bytes,
    /// The interface method whose results the payload holds, when the server names one
    /// (TarsCpp's `async_response_push_<method>` writes `TARS_FUNC` in `status`).
    pub function: Option<String>,
    /// The push's `iRet` (TarsCpp's typed pushes carry the method's code; raw pushes 0).
    pub code: i32,
    /// The push's `context` map.
    pub context: BTreeMap<String, String>,
}

impl PushMessage {
    pub(crate) fn from_packet(endpoint: Arc<Endpoint>, mut packet: ResponsePacket) -> Self {
        PushMessage {
            endpoint,
            function: packet.status.remove(STATUS_PUSH_FUNCTION),
            payload: packet.s_buffer,
            code: packet.i_ret,
            context: packet.context,
        }
    }

    /// The payload decoded as a TARS struct (its fields, as the server's `push_struct` or a
    /// TarsGo server's `push.Send(ctx, st.ToBytes())` wrote them).
    pub fn decode<T: TarsStruct>(&self) -> Result<T, DecodeError> {
        T::decode_fields(&mut Reader::from_bytes(&self.payload))
    }

    /// Field `tag` of the payload (a typed push: the return value at tag 0, `out` parameters
    /// at theirs).
    pub fn field<T: crate::codec::TarsDecode>(&self, tag: u8) -> Result<T, DecodeError> {
        Reader::from_bytes(&self.payload)
            .read_field::<T>(tag)?
            .ok_or_else(|| DecodeError::Custom(format!("the push has no field with tag {tag}")))
    }
}

/// The pushes of a proxy's connections; see the [module docs](self). Ends when the proxy and
/// all its clones are gone.
#[derive(Debug)]
pub struct PushStream {
    rx: mpsc::Receiver<PushEvent>,
    /// The payload bytes the stream may still take ([`PUSH_STREAM_BYTES`] when empty).
    room: Arc<Semaphore>,
}

impl PushStream {
    /// The next event; `None` once the proxy is gone.
    pub async fn recv(&mut self) -> Option<PushEvent> {
        let event = self.rx.recv().await;
        self.read(event)
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<PushEvent> {
        let event = self.rx.try_recv().ok();
        self.read(event)
    }

    /// Gives the room `event` took back.
    fn read(&self, event: Option<PushEvent>) -> Option<PushEvent> {
        if let Some(e) = &event {
            self.room.add_permits(room_taken(e) as usize);
        }
        event
    }
}

/// The room `event` takes in a stream: its payload, at most the whole stream's.
fn room_taken(event: &PushEvent) -> u32 {
    match event {
        PushEvent::Message(m) => m.payload.len().min(PUSH_STREAM_BYTES) as u32,
        PushEvent::Disconnected { .. } => 0,
    }
}

impl futures_util::Stream for PushStream {
    type Item = PushEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<PushEvent>> {
        let polled = self.rx.poll_recv(cx);
        polled.map(|event| self.read(event))
    }
}

/// The sending side of one [`PushStream`].
#[derive(Debug, Clone)]
struct StreamTx {
    tx: mpsc::Sender<PushEvent>,
    room: Arc<Semaphore>,
}

impl StreamTx {
    /// Sends `event` once the stream has room for it; gives up if the stream is dropped
    /// meanwhile (a stream nobody reads never frees its room).
    async fn send(&self, event: PushEvent) {
        let taken = room_taken(&event);
        let room = tokio::select! {
            room = self.room.acquire_many(taken) => room,
            () = self.tx.closed() => return,
        };
        let Ok(room) = room else {
            return;
        };
        // Given back by the stream when it reads the event.
        room.forget();
        let _ = self.tx.send(event).await;
    }
}

/// A proxy's subscribers: its streams. Shared by the proxy's clones; the connections it
/// calls through hold it weakly.
#[derive(Debug, Default)]
pub(crate) struct PushHub {
    streams: Mutex<Vec<StreamTx>>,
}

impl PushHub {
    /// A new stream of this hub's events.
    pub(crate) fn subscribe(&self) -> PushStream {
        let (tx, rx) = mpsc::channel(PUSH_STREAM_CAPACITY);
        let room = Arc::new(Semaphore::new(PUSH_STREAM_BYTES));
        let mut streams = lock(&self.streams);
        streams.retain(|s| !s.tx.is_closed());
        streams.push(StreamTx { tx, room: room.clone() });
        PushStream { rx, room }
    }

    /// Whether some stream is still read.
    fn is_wanted(&self) -> bool {
        lock(&self.streams).iter().any(|s| !s.tx.is_closed())
    }

    fn senders(&self) -> Vec<StreamTx> {
        lock(&self.streams).clone()
    }
}

/// Where the pushes of one endpoint's connections go: the hubs of the proxies that called
/// through it. One per endpoint (its connections come and go, the subscriptions stay).
#[derive(Debug)]
pub(crate) struct PushRoute {
    endpoint: Arc<Endpoint>,
    hubs: Mutex<Vec<Weak<PushHub>>>,
}

impl PushRoute {
    pub(crate) fn new(endpoint: Arc<Endpoint>) -> Self {
        PushRoute {
            endpoint,
            hubs: Mutex::default(),
        }
    }

    /// Sends this endpoint's pushes to `hub` too.
    pub(crate) fn add(&self, hub: &Arc<PushHub>) {
        let mut hubs = lock(&self.hubs);
        if hubs.iter().any(|h| std::ptr::eq(h.as_ptr(), Arc::as_ptr(hub))) {
            return;
        }
        hubs.retain(|h| h.strong_count() > 0);
        hubs.push(Arc::downgrade(hub));
    }

    /// Whether some subscriber still reads this endpoint's pushes.
    pub(crate) fn is_wanted(&self) -> bool {
        lock(&self.hubs)
            .iter()
            .any(|h| h.upgrade().is_some_and(|h| h.is_wanted()))
    }

    fn senders(&self) -> Vec<StreamTx> {
        let hubs: Vec<Arc<PushHub>> = lock(&self.hubs).iter().filter_map(Weak::upgrade).collect();
        hubs.iter().flat_map(|h| h.senders()).collect()
    }

    /// Hands a pushed packet to every subscriber, waiting while a stream is full (the
    /// connection's reader calls this: a full stream holds the connection's reads back).
    pub(crate) async fn deliver(&self, packet: ResponsePacket) {
        let senders = self.senders();
        if senders.is_empty() {
            tracing::debug!(endpoint = %self.endpoint, bytes = packet.s_buffer.len(), "push with no subscriber dropped");
            return;
        }
        let event = PushEvent::Message(PushMessage::from_packet(self.endpoint.clone(), packet));
        for stream in senders {
            stream.send(event.clone()).await;
        }
    }

    /// Tells the subscribers that a connection closed or is draining (not waiting: the marker
    /// goes out on its own task when a stream is full).
    pub(crate) fn disconnected(&self, reason: ConnectionError) {
        for stream in self.senders() {
            let event = PushEvent::Disconnected {
                endpoint: self.endpoint.clone(),
                reason: reason.clone(),
            };
            // The marker takes no room: only the event slots can be full.
            if let Err(mpsc::error::TrySendError::Full(event)) = stream.tx.try_send(event) {
                tokio::spawn(async move {
                    let _ = stream.tx.send(event).await;
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> Arc<Endpoint> {
        Arc::new(Endpoint::tcp("127.0.0.1", 1))
    }

    fn push(body: &'static [u8]) -> ResponsePacket {
        ResponsePacket {
            s_buffer: Bytes::from_static(body),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn every_stream_of_every_subscribed_hub_gets_each_push() {
        let route = PushRoute::new(endpoint());
        let (a, b) = (Arc::new(PushHub::default()), Arc::new(PushHub::default()));
        let (mut a1, mut a2, mut b1) = (a.subscribe(), a.subscribe(), b.subscribe());
        route.add(&a);
        route.add(&a);
        route.add(&b);
        route.deliver(push(b"one")).await;
        for s in [&mut a1, &mut a2, &mut b1] {
            match s.recv().await.unwrap() {
                PushEvent::Message(m) => assert_eq!(&m.payload[..], b"one"),
                other => panic!("{other:?}"),
            }
            assert!(
                s.try_recv().is_none(),
                "one event per stream, however often the hub is added"
            );
        }
        route.disconnected(ConnectionError::ClosedByPeer);
        assert!(matches!(a1.recv().await, Some(PushEvent::Disconnected { .. })));
    }

    /// A stream holds at most PUSH_STREAM_BYTES unread: past it the delivery (the
    /// connection's reader) waits until the stream is read; a push larger than the whole
    /// room goes once the stream is empty; a dropped stream holds nothing back.
    #[tokio::test(start_paused = true)]
    async fn a_stream_holds_a_bounded_number_of_bytes() {
        let route = PushRoute::new(endpoint());
        let hub = Arc::new(PushHub::default());
        let mut stream = hub.subscribe();
        route.add(&hub);
        let mib = |n: usize| ResponsePacket {
            s_buffer: Bytes::from(vec![7u8; n << 20]),
            ..Default::default()
        };
        for _ in 0..PUSH_STREAM_BYTES >> 20 {
            route.deliver(mib(1)).await;
        }
        let wait = Duration::from_secs(60);
        assert!(
            tokio::time::timeout(wait, route.deliver(mib(1))).await.is_err(),
            "the stream is full"
        );
        // The push that timed out was given up; one read makes room for the next.
        assert!(stream.try_recv().is_some());
        tokio::time::timeout(wait, route.deliver(mib(1))).await.unwrap();
        // A push larger than the room goes alone, once everything before it is read.
        let mut big = std::pin::pin!(route.deliver(mib(20)));
        assert!(tokio::time::timeout(wait, big.as_mut()).await.is_err());
        while let Some(PushEvent::Message(m)) = stream.try_recv() {
            assert_eq!(m.payload.len(), 1 << 20);
        }
        tokio::time::timeout(wait, big).await.unwrap();
        match stream.recv().await {
            Some(PushEvent::Message(m)) => assert_eq!(m.payload.len(), 20 << 20),
            other => panic!("{other:?}"),
        }
        // A full stream that is dropped does not hold the reader.
        for _ in 0..PUSH_STREAM_BYTES >> 20 {
            route.deliver(mib(1)).await;
        }
        let mut blocked = std::pin::pin!(route.deliver(mib(1)));
        assert!(tokio::time::timeout(wait, blocked.as_mut()).await.is_err());
        drop(stream);
        tokio::time::timeout(wait, blocked).await.unwrap();
    }

    #[tokio::test]
    async fn a_route_is_wanted_while_a_stream_is_read() {
        let route = PushRoute::new(endpoint());
        let hub = Arc::new(PushHub::default());
        route.add(&hub);
        assert!(!route.is_wanted(), "no stream yet");
        let stream = hub.subscribe();
        assert!(route.is_wanted());
        drop(stream);
        assert!(!route.is_wanted());
        let _stream = hub.subscribe();
        drop(hub);
        assert!(!route.is_wanted(), "the proxy is gone");
    }

    #[test]
    fn typed_pushes_name_their_method_and_decode() {
        let mut packet = push(b"\x06\x02hi");
        packet.status.insert(STATUS_PUSH_FUNCTION.into(), "pushMsg".into());
        let m = PushMessage::from_packet(endpoint(), packet);
        assert_eq!(m.function.as_deref(), Some("pushMsg"));
        assert_eq!(m.field::<String>(0).unwrap(), "hi");
        assert!(m.field::<String>(1).is_err());
    }
}
