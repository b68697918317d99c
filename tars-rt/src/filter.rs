//! Filter chains: ordered middleware around the real call path, on both sides.
//!
//! A server filter sees every request an adapter admits, after the request is decoded and
//! before the servant is looked up, and the response before it is encoded. Filters run in the
//! order they were added: the first added is the outermost, so it sees the request first and
//! the response last. Client filters ([`ClientFilter`]) wrap each outgoing call the same way,
//! between the proxy and the connection. A filter can read and change the request (servant, function, context,
//! status, `sBuffer`), answer without calling the rest of the chain (an error code, a cached
//! reply), and read or change the response, timing what it wraps.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use crate::protocol::RequestPacket;
use crate::Status;

/// A request on its way to a servant.
#[derive(Debug, Clone)]
pub struct ServerRequest {
    /// The caller.
    pub peer: SocketAddr,
    /// When the request was read off the connection.
    pub received: Instant,
    /// The decoded packet; `s_buffer` holds the encoded arguments.
    pub packet: RequestPacket,
}

/// A response on its way back.
#[derive(Debug, Clone, Default, PartialEq)]
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
}

impl ServerResponse {
    /// A response carrying `status` and no results.
    pub fn from_status(status: &Status) -> Self {
        ServerResponse {
            code: status.code().value(),
            message: status.message().to_string(),
            ..Default::default()
        }
    }
}

/// Middleware around a server's dispatch.
#[async_trait::async_trait]
pub trait ServerFilter: Send + Sync + 'static {
    /// Handles `req`, usually by calling `next.run(req)` and looking at what comes back.
    async fn call(&self, req: ServerRequest, next: ServerNext<'_>) -> ServerResponse;
}

/// The end of a server filter chain: the dispatch to the servant.
#[async_trait::async_trait]
pub(crate) trait ServerEndpoint: Send + Sync {
    async fn serve(&self, req: ServerRequest) -> ServerResponse;
}

/// The rest of the chain after the current filter.
pub struct ServerNext<'a> {
    rest: &'a [Arc<dyn ServerFilter>],
    endpoint: &'a dyn ServerEndpoint,
}

impl<'a> ServerNext<'a> {
    pub(crate) fn new(filters: &'a [Arc<dyn ServerFilter>], endpoint: &'a dyn ServerEndpoint) -> Self {
        ServerNext {
            rest: filters,
            endpoint,
        }
    }

    /// Passes the request to the next filter, or to the servant after the last one.
    pub async fn run(self, req: ServerRequest) -> ServerResponse {
        match self.rest.split_first() {
            Some((filter, rest)) => {
                filter
                    .call(
                        req,
                        ServerNext {
                            rest,
                            endpoint: self.endpoint,
                        },
                    )
                    .await
            }
            None => self.endpoint.serve(req).await,
        }
    }
}

/// A call on its way out of a client.
#[derive(Debug, Clone)]
pub struct ClientRequest {
    /// The packet to send; filters may change its context, status, body or function.
    /// `iRequestId` and `iTimeout` are set when it leaves, from the connection and the
    /// deadline.
    pub packet: crate::protocol::RequestPacket,
    /// When the caller stops waiting. Every layer below the filters works within it, and
    /// the server is told what is left of it (`iTimeout`); a filter may move it.
    pub deadline: std::time::Instant,
    /// A one-way call gets no reply.
    pub one_way: bool,
    /// Routes the call by hash (set with [`crate::client::CallOptions::hash`]).
    pub hash: Option<crate::balance::HashKey>,
}

impl ClientRequest {
    /// The time left before the deadline.
    pub fn timeout(&self) -> std::time::Duration {
        self.deadline.saturating_duration_since(std::time::Instant::now())
    }

    /// Moves the deadline to `timeout` from now.
    pub fn set_timeout(&mut self, timeout: std::time::Duration) {
        self.deadline = std::time::Instant::now() + timeout;
    }
}

/// A reply on its way back to the caller (one-way calls get an empty one).
#[derive(Debug, Clone, Default)]
pub struct ClientResponse {
    /// The reply.
    pub packet: crate::protocol::ResponsePacket,
    /// The endpoint that answered (the one the call went to).
    pub endpoint: Option<std::sync::Arc<crate::transport::endpoint::Endpoint>>,
}

/// Middleware around each client call, outermost first (as server filters).
#[async_trait::async_trait]
pub trait ClientFilter: Send + Sync + 'static {
    /// Handles `req`, usually by calling `next.run(req)`.
    async fn call(&self, req: ClientRequest, next: ClientNext<'_>) -> Result<ClientResponse, crate::client::CallError>;
}

/// The end of a client filter chain: the transport.
#[async_trait::async_trait]
pub(crate) trait ClientEndpoint: Send + Sync {
    async fn send(&self, req: ClientRequest) -> Result<ClientResponse, crate::client::CallError>;
}

/// The rest of a client chain.
pub struct ClientNext<'a> {
    rest: &'a [Arc<dyn ClientFilter>],
    endpoint: &'a dyn ClientEndpoint,
}

impl<'a> ClientNext<'a> {
    pub(crate) fn new(filters: &'a [Arc<dyn ClientFilter>], endpoint: &'a dyn ClientEndpoint) -> Self {
        ClientNext {
            rest: filters,
            endpoint,
        }
    }

    /// Passes the call to the next filter, or to the network after the last one.
    pub async fn run(self, req: ClientRequest) -> Result<ClientResponse, crate::client::CallError> {
        match self.rest.split_first() {
            Some((filter, rest)) => {
                filter
                    .call(
                        req,
                        ClientNext {
                            rest,
                            endpoint: self.endpoint,
                        },
                    )
                    .await
            }
            None => self.endpoint.send(req).await,
        }
    }
}
