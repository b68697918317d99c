//! The request/response protocol an adapter speaks: framing, and what to do with each
//! request. TARS itself ([`super::tars`]: TARS, TUP and JSON requests) is one; an
//! application can put any other [`ServerProtocol`] on an adapter (`protocol=NAME`,
//! TarsCpp's `not_tars`).

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::time::Instant;

use crate::filter::BoxFuture;
use crate::transport::frame::FrameError;

use super::push::PushSender;
use super::reply::TarsReply;

/// What to do after handling one request.
#[derive(Debug)]
pub enum Handled {
    /// Send these bytes (a complete frame).
    Send(Bytes),
    /// Send this TARS reply, encoded where it is written: a reply ready at once goes straight
    /// into the connection's batch of replies, with no buffer of its own.
    Reply(TarsReply),
    /// Send nothing (one-way requests).
    Nothing,
    /// The request was not understood: close the connection.
    Close,
}

impl Handled {
    /// The frame to send, in a buffer of its own; `None` when nothing is to be sent.
    pub fn into_frame(self) -> Option<Bytes> {
        match self {
            Handled::Send(frame) => Some(frame),
            Handled::Reply(reply) => Some(reply.into_frame()),
            Handled::Nothing | Handled::Close => None,
        }
    }
}

/// A server-side protocol: framing and request handling.
pub trait ServerProtocol: Send + Sync + 'static {
    /// Takes one complete request off the front of `buf`, `Ok(None)` if more bytes are
    /// needed; an error closes the connection.
    fn split_frame(&self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError>;

    /// Handles one request (as returned by `split_frame`, or one UDP datagram) read at
    /// `received`. The connection polls the returned future once where it reads, and only
    /// spawns it as a task if it is not done then: a request answered at once costs no task,
    /// and its reply leaves with the others of the same read in one write.
    ///
    /// `client` is the connection the request came on (its address: `client.peer()`); a
    /// protocol that lets its handlers push keeps a clone.
    fn handle(self: Arc<Self>, client: &PushSender, request: Bytes, received: Instant) -> BoxFuture<'static, Handled>;

    /// A TCP or TLS connection opened (UDP has none): `client` pushes to it until it closes.
    fn connected(&self, client: &PushSender) {
        let _ = client;
    }

    /// That connection closed.
    fn disconnected(&self, client: &PushSender) {
        let _ = client;
    }

    /// `Some(max)` if frames are TARS frames (a 4-byte big-endian length that counts
    /// itself) of at most `max` bytes: the connection then reads a large frame's bytes only
    /// as the server's memory budget allows. `None` for other framings.
    fn max_frame_length(&self) -> Option<usize> {
        None
    }

    /// The answer to a request the server has no room for (a UDP datagram over the
    /// adapter's in-flight cap, a request past the memory budget): an overload reply, or
    /// `None` to drop it.
    fn overload_reply(&self, _request: &Bytes) -> Option<Bytes> {
        None
    }

    /// A message pushed to each connection on graceful shutdown.
    fn goodbye(&self) -> Option<Bytes> {
        None
    }
}
