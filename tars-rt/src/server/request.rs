//! What a request is on its way to a servant ([`ServerRequest`]) and what comes back
//! ([`ServerResponse`]): the types server filters see.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::time::Instant;

use crate::protocol::RequestPacket;
use crate::Status;

use super::push::PushSender;

/// The rest of a server path, as a server filter sees it.
pub type ServerNext<'a> = crate::filter::Next<'a, ServerRequest, ServerResponse>;

/// A request on its way to a servant.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerRequest {
    /// The caller.
    pub peer: SocketAddr,
    /// When the request was read off the connection.
    pub received: Instant,
    /// The decoded packet; `s_buffer` holds the encoded arguments.
    pub packet: RequestPacket,
    /// The connection the request came on.
    pub(crate) client: Option<PushSender>,
}

impl ServerRequest {
    /// A request of `packet` from `peer`, received now.
    pub fn new(peer: SocketAddr, packet: RequestPacket) -> Self {
        ServerRequest {
            peer,
            received: Instant::now(),
            packet,
            client: None,
        }
    }

    /// Pushes to the connection the request came on (see [`super::push`]); `None` for a
    /// request built by hand.
    pub fn push_sender(&self) -> Option<&PushSender> {
        self.client.as_ref()
    }
}

/// A response on its way back.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ServerResponse {
    /// `iRet`: 0, a framework code (negative) or the application's own.
    pub code: i32,
    /// `sResultDesc`.
    pub message: String,
    /// The encoded return value and `out` parameters (empty on error).
    pub body: Bytes,
    /// The response `context` map.
    pub context: BTreeMap<String, String>,
    /// The response `status` map.
    pub status: BTreeMap<String, String>,
    /// What the servant's panic said, when it panicked (the response is then -99).
    pub(crate) panic: Option<Arc<str>>,
}

impl ServerResponse {
    /// A successful response with `body` (the encoded results).
    pub fn ok(body: Bytes) -> Self {
        ServerResponse {
            body,
            ..ServerResponse::default()
        }
    }

    /// A response carrying `status` and no results.
    pub fn from_status(status: &Status) -> Self {
        ServerResponse {
            code: status.code().value(),
            message: status.message().to_string(),
            ..Default::default()
        }
    }
}
