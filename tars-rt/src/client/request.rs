//! What a call is on its way down the client's path ([`ClientRequest`]) and on its way back
//! ([`ClientResponse`]): the types client filters see.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::balance::HashKey;
use crate::context::Current;
use crate::protocol::{RequestPacket, ResponsePacket};
use crate::transport::endpoint::Endpoint;

use super::error::CallError;
use super::push::PushHub;

/// How a call ends: the reply, or why there is none.
pub type CallResult = Result<ClientResponse, CallError>;

/// The rest of a client path, as a client filter sees it.
pub type ClientNext<'a> = crate::filter::Next<'a, ClientRequest, CallResult>;

/// A call on its way out of a client.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientRequest {
    /// The packet to send; filters may change its context, status, body or function.
    /// `iRequestId` and `iTimeout` are set when it leaves, from the connection and the
    /// deadline.
    pub packet: RequestPacket,
    /// When the caller stops waiting. Every layer below the filters works within it, and the
    /// server is told what is left of it (`iTimeout`); a filter may move it.
    pub deadline: Instant,
    /// A one-way call gets no reply.
    pub one_way: bool,
    /// Routes the call by hash (set with [`CallOptions::hash`](super::CallOptions::hash)).
    pub hash: Option<HashKey>,
    /// Dyes the call with this key (`STATUS_DYED_KEY` and the DYED flag).
    pub dye: Option<String>,
    /// The request being served that this call continues: its trace, its dye (unless `dye`
    /// says otherwise) and its deadline, which already bounds `deadline`. `None` outside a
    /// request, or for a call made with [`CallOptions::detached`](super::CallOptions::detached).
    pub parent: Option<Arc<Current>>,
    /// The endpoint chosen, in per-attempt filters; `None` in per-call filters, before
    /// routing.
    pub endpoint: Option<Arc<Endpoint>>,
    /// The push streams of the proxy that makes the call: the connection it goes on sends
    /// them its pushes.
    pub(crate) push_to: Option<Arc<PushHub>>,
}

impl ClientRequest {
    /// A two-way call of `packet` within `timeout`, continuing nothing.
    pub fn new(packet: RequestPacket, timeout: Duration) -> Self {
        ClientRequest {
            packet,
            deadline: Instant::now() + timeout,
            one_way: false,
            hash: None,
            dye: None,
            parent: None,
            endpoint: None,
            push_to: None,
        }
    }

    /// The time left before the deadline.
    pub fn timeout(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Moves the deadline to `timeout` from now.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.deadline = Instant::now() + timeout;
    }
}

/// A reply on its way back to the caller (one-way calls get an empty one).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ClientResponse {
    /// The reply.
    pub packet: ResponsePacket,
    /// The endpoint that answered (the one the call went to).
    pub endpoint: Option<Arc<Endpoint>>,
}

impl ClientResponse {
    /// A reply `packet` from `endpoint`.
    pub fn new(packet: ResponsePacket, endpoint: Option<Arc<Endpoint>>) -> Self {
        ClientResponse { packet, endpoint }
    }

    /// The reply to hand the caller, with `value` decoded from it.
    pub fn into_reply<T>(self, value: T) -> super::Reply<T> {
        super::Reply {
            value,
            context: self.packet.context,
            status: self.packet.status,
            endpoint: self.endpoint,
        }
    }
}
