//! One TCP (or TLS) connection: a reader that takes frames off the stream and runs each
//! request in its own task, so requests on one connection are served concurrently, and the
//! shared batching writer ([`crate::transport::writer`]) for the replies.
//!
//! What bounds a connection:
//! - at most `max_in_flight` requests read but not answered (an answer counts once it is
//!   written): at the cap the reader stops reading and TCP backpressure reaches the client;
//! - a reply write that makes no progress for `write_stall` closes the connection;
//! - a frame whose first bytes arrived must be complete within `frame_timeout`;
//! - `idle_timeout` counts complete requests, not bytes: a peer dripping bytes is idle;
//! - the read buffer follows the bytes that arrive ([`crate::transport::reader`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use std::task::Poll;
use tokio::io::{AsyncRead, AsyncWrite};

use bytes::BytesMut;
use tokio::sync::{mpsc, watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::transport::budget::MemoryBudget;
use crate::transport::reader::FrameReader;
use crate::transport::writer::{self, Outgoing};

use super::in_flight::InFlight;
use super::protocol::{Handled, ServerProtocol};
use super::push::PushSender;

pub(crate) struct ConnectionSettings {
    /// Close after this long without a complete request (and none in flight).
    pub idle_timeout: Option<Duration>,
    /// A frame must be complete this long after its first byte.
    pub frame_timeout: Option<Duration>,
    /// Close when a write makes no progress for this long.
    pub write_stall: Option<Duration>,
    /// Requests read but not yet answered, at most.
    pub max_in_flight: usize,
    /// Large frames wait for room here while they arrive.
    pub budget: Option<Arc<MemoryBudget>>,
}

/// Pushes queued on a connection beyond the replies it may hold, at most (their bytes are
/// bounded apart, see [`super::push::PUSH_QUEUE_BYTES`]).
const PUSH_FRAMES: usize = 1024;

/// Inline replies are handed to the writer once they reach this size (or the read is done).
const REPLY_BATCH: usize = 64 * 1024;

/// Hands the gathered replies to the writer as one frame batch; `false` if it is gone.
async fn send_replies(
    tx: &mpsc::Sender<Outgoing>,
    replies: &mut BytesMut,
    permit: &mut Option<OwnedSemaphorePermit>,
) -> bool {
    if replies.is_empty() {
        return true;
    }
    let out = Outgoing {
        frame: replies.split().freeze(),
        permit: permit.take(),
    };
    tx.send(out).await.is_ok()
}

/// Keeps a request's slot with the batch its reply joined: released once the batch is written.
fn hold_until_written(batch_permit: &mut Option<OwnedSemaphorePermit>, slot: OwnedSemaphorePermit) {
    match batch_permit {
        Some(p) => p.merge(slot),
        None => *batch_permit = Some(slot),
    }
}

/// Why the reader stopped.
enum End {
    PeerClosed,
    ReadFailed(std::io::Error),
    BadFrame(crate::transport::frame::FrameError),
    Idle,
    FrameTimeout,
    WriterGone,
    ProtocolClose,
    /// The server stopped, and the connection went quiet after the goodbye.
    Drained,
}

/// How long a connection of a stopping server stays open after its goodbye with nothing in
/// flight and nothing coming: requests the client wrote before it read the goodbye still
/// arrive (and are served) in that time.
const DRAIN_QUIET: Duration = Duration::from_millis(300);

/// The longest a connection reads after its goodbye.
const DRAIN_LIMIT: Duration = Duration::from_secs(1);

/// Sends the protocol's goodbye (`_reconnect_` for TARS), if it has one; `false` if the
/// writer is gone.
async fn say_goodbye(tx: &mpsc::Sender<Outgoing>, protocol: &dyn ServerProtocol) -> bool {
    match protocol.goodbye() {
        Some(goodbye) => tx.send(Outgoing::frame(goodbye)).await.is_ok(),
        None => true,
    }
}

/// Serves one connection, given its read and write halves (plain TCP or TLS).
pub(crate) async fn serve<R, W>(
    rd: R,
    wr: W,
    peer: SocketAddr,
    protocol: Arc<dyn ServerProtocol>,
    settings: ConnectionSettings,
    mut shutdown: watch::Receiver<bool>,
    in_flight: Arc<InFlight>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let max_in_flight = settings.max_in_flight.max(1);
    // The permits bound the replies the queue can hold; one more for the goodbye, and room
    // for pushes.
    let (tx, mut rx) = mpsc::channel::<Outgoing>(max_in_flight + 1 + PUSH_FRAMES);
    let client = PushSender::stream(peer, &tx);
    protocol.connected(&client);
    let stall = settings.write_stall;
    let writer = tokio::spawn(async move {
        if let Err(e) = writer::write_frames(wr, &mut rx, stall, std::future::pending()).await {
            tracing::debug!(%peer, error = %e, "write failed; closing the connection");
        }
    });
    let slots = Arc::new(Semaphore::new(max_in_flight));
    let close = Arc::new(Notify::new());
    let mut reader = match protocol.max_frame_length() {
        Some(max) => FrameReader::new(rd, max),
        None => FrameReader::opaque(rd),
    }
    .with_budget(settings.budget.clone());
    let mut last_request = Instant::now();
    // One timer for the idle and frame deadlines, re-armed only when it must fire sooner, or
    // when it fired before the (moving) idle deadline: not once per request.
    let never = || Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let timer = tokio::time::sleep_until(never());
    tokio::pin!(timer);

    // Replies of requests answered inline, sent as one frame batch, and their slots.
    let mut replies = BytesMut::new();
    let mut replies_permit: Option<OwnedSemaphorePermit> = None;
    // Once the server stops, the connection drains: `_reconnect_` goes out at once, and
    // requests the client sent before it read that are still served, until nothing is in
    // flight and nothing has come for DRAIN_QUIET (the caller's deadline bounds it all).
    let mut draining = false;
    // And a client that keeps sending past DRAIN_LIMIT (one that ignores the goodbye) is let
    // go then; what it has in flight is still answered.
    let mut drain_until = never();

    let end = 'conn: loop {
        // A slot first: at the cap, nothing more is read until a reply has been written
        // (the replies gathered so far go out first: their slots are among those awaited).
        let slot = match slots.clone().try_acquire_owned() {
            Ok(s) => s,
            Err(_) => {
                if !send_replies(&tx, &mut replies, &mut replies_permit).await {
                    break End::WriterGone;
                }
                tokio::select! {
                    biased;
                    s = slots.clone().acquire_owned() => s.expect("the semaphore is never closed"),
                    _ = tx.closed() => break End::WriterGone,
                    _ = close.notified() => break End::ProtocolClose,
                    _ = shutdown.changed(), if !draining => {
                        draining = true;
                        last_request = Instant::now();
                        drain_until = last_request + DRAIN_LIMIT;
                        if !say_goodbye(&tx, &*protocol).await {
                            break End::WriterGone;
                        }
                        continue;
                    }
                }
            }
        };
        let request = loop {
            match reader.next_split(|buf| protocol.split_frame(buf)) {
                Ok(Some(request)) => break request,
                Ok(None) => {}
                Err(e) => break 'conn End::BadFrame(e),
            }
            // Everything read so far is handled: its replies leave before waiting for more.
            if !send_replies(&tx, &mut replies, &mut replies_permit).await {
                break 'conn End::WriterGone;
            }
            let idle_at = if draining {
                Some((last_request + DRAIN_QUIET).min(drain_until))
            } else {
                settings.idle_timeout.map(|t| last_request + t)
            };
            let frame_at = settings
                .frame_timeout
                .zip(reader.mid_frame_since())
                .map(|(t, since)| since + t);
            let deadline = match (idle_at, frame_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if let Some(at) = deadline {
                if at < timer.deadline() {
                    timer.as_mut().reset(at);
                }
            }
            tokio::select! {
                read = reader.fill() => match read {
                    Ok(0) => break 'conn End::PeerClosed,
                    Ok(_) => {}
                    Err(e) => break 'conn End::ReadFailed(e),
                },
                _ = &mut timer, if deadline.is_some() => {
                    timer.as_mut().reset(never());
                    let now = Instant::now();
                    if frame_at.is_some_and(|at| at <= now) {
                        break 'conn End::FrameTimeout;
                    }
                    if idle_at.is_some_and(|at| at <= now) {
                        if drain_until <= now {
                            break 'conn End::Drained;
                        }
                        // Idle only with nothing in flight (the slot taken for the next
                        // request aside); a long request keeps its connection.
                        if max_in_flight - slots.available_permits() == 1 {
                            break 'conn if draining { End::Drained } else { End::Idle };
                        }
                        last_request = now;
                    }
                }
                _ = tx.closed() => break 'conn End::WriterGone,
                _ = close.notified() => break 'conn End::ProtocolClose,
                _ = shutdown.changed(), if !draining => {
                    draining = true;
                    last_request = Instant::now();
                    drain_until = last_request + DRAIN_LIMIT;
                    if !say_goodbye(&tx, &*protocol).await {
                        break 'conn End::WriterGone;
                    }
                }
            }
        };
        // Received when its last bytes were read (one clock read per read, not per request).
        last_request = reader.last_read();
        // The request's bytes count against the server's memory until it is answered; one
        // that does not fit is refused at once (read, not buffered).
        let bytes_held = match (reader.take_lease(), &settings.budget) {
            (Some(lease), _) => Some(lease),
            (None, Some(budget)) => match budget.try_lease(request.len()) {
                Some(lease) => Some(lease),
                None => {
                    tracing::warn!(%peer, bytes = request.len(), "request refused: the server's request memory is full (maxrequestmemory)");
                    // The refusal joins the replies of this read.
                    if let Some(frame) = protocol.overload_reply(&request) {
                        replies.extend_from_slice(&frame);
                        hold_until_written(&mut replies_permit, slot);
                    }
                    continue;
                }
            },
            (None, None) => None,
        };
        let guard = in_flight.enter();
        // Polled once here: a request answered at once joins the replies of this read, which
        // leave together in one write; one still running continues as a task of its own.
        let mut handling = protocol.clone().handle(&client, request, last_request);
        match std::future::poll_fn(|cx| Poll::Ready(handling.as_mut().poll(cx))).await {
            Poll::Ready(outcome) => {
                // The slot and the request's memory go with `guard` at the end of this turn,
                // unless the reply keeps the slot until it is written.
                match outcome {
                    Handled::Send(frame) => replies.extend_from_slice(&frame),
                    Handled::Reply(reply) => reply.encode_into(&mut replies),
                    Handled::Nothing => continue,
                    Handled::Close => break End::ProtocolClose,
                }
                hold_until_written(&mut replies_permit, slot);
                if replies.len() >= REPLY_BATCH && !send_replies(&tx, &mut replies, &mut replies_permit).await {
                    break End::WriterGone;
                }
            }
            Poll::Pending => {
                let (tx, close) = (tx.clone(), close.clone());
                tokio::spawn(async move {
                    let _bytes_held = bytes_held;
                    match handling.await {
                        Handled::Close => close.notify_one(),
                        outcome => match outcome.into_frame() {
                            Some(frame) => {
                                let _ = tx
                                    .send(Outgoing {
                                        frame,
                                        permit: Some(slot),
                                    })
                                    .await;
                            }
                            None => drop(slot),
                        },
                    }
                    drop(guard);
                });
            }
        }
    };
    // What was answered before the end still goes out; pushes from now on fail.
    send_replies(&tx, &mut replies, &mut replies_permit).await;
    client.close();
    protocol.disconnected(&client);
    match end {
        End::Drained => tracing::debug!(%peer, "connection drained after the goodbye"),
        End::BadFrame(e) => tracing::warn!(%peer, error = %e, "bad frame; closing the connection"),
        End::ReadFailed(e) => tracing::debug!(%peer, error = %e, "read failed"),
        End::Idle => tracing::debug!(%peer, "idle connection closed"),
        End::FrameTimeout => {
            tracing::warn!(%peer, "a frame did not complete within readtimeout; closing the connection")
        }
        End::WriterGone | End::ProtocolClose | End::PeerClosed => {}
    }
    // Requests still running hold their sender; the writer ends once they have replied
    // (or at once, if it already failed).
    drop(tx);
    let _ = writer.await;
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Context;

    use bytes::{BufMut, Bytes};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::transport::frame::{self, FrameError};

    /// Answers every frame at once with the same frame.
    struct Echo;

    impl ServerProtocol for Echo {
        fn split_frame(&self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
            frame::decode_frame(buf, 1 << 20)
        }

        fn handle(
            self: Arc<Self>,
            _client: &PushSender,
            request: Bytes,
            _received: Instant,
        ) -> crate::filter::BoxFuture<'static, Handled> {
            let mut out = BytesMut::new();
            frame::encode_frame(&mut out, |b| b.put_slice(&request));
            Box::pin(std::future::ready(Handled::Send(out.freeze())))
        }
    }

    /// Counts the writes that reach the socket.
    struct CountingWriter<W> {
        inner: W,
        writes: Arc<AtomicUsize>,
    }

    impl<W: AsyncWrite + Unpin> AsyncWrite for CountingWriter<W> {
        fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
            let written = Pin::new(&mut self.inner).poll_write(cx, buf);
            if let Poll::Ready(Ok(n)) = &written {
                if *n > 0 {
                    self.writes.fetch_add(1, Ordering::Relaxed);
                }
            }
            written
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.inner).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.inner).poll_shutdown(cx)
        }
    }

    #[tokio::test]
    async fn requests_answered_at_once_share_one_write() {
        let (client, server) = tokio::io::duplex(1 << 20);
        let (mut client_rd, mut client_wr) = tokio::io::split(client);
        let (server_rd, server_wr) = tokio::io::split(server);
        // 64 pipelined requests, all there before the connection reads.
        let mut wire = BytesMut::new();
        for i in 0..64u32 {
            frame::encode_frame(&mut wire, |b| b.put_u32(i));
        }
        client_wr.write_all(&wire).await.unwrap();

        let writes = Arc::new(AtomicUsize::new(0));
        let settings = ConnectionSettings {
            idle_timeout: None,
            frame_timeout: None,
            write_stall: None,
            max_in_flight: 1024,
            budget: None,
        };
        let (_shutdown_tx, shutdown) = watch::channel(false);
        let writer = CountingWriter {
            inner: server_wr,
            writes: writes.clone(),
        };
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        tokio::spawn(serve(
            server_rd,
            writer,
            peer,
            Arc::new(Echo),
            settings,
            shutdown,
            Arc::new(InFlight::default()),
        ));

        let mut echoed = vec![0u8; wire.len()];
        client_rd.read_exact(&mut echoed).await.unwrap();
        assert_eq!(echoed, wire);
        assert_eq!(writes.load(Ordering::Relaxed), 1, "64 replies, one write");
    }
}
