//! The TARS client. A [`Communicator`] per process makes proxies from object strings
//! (`App.Server.Obj@tcp -h 10.0.0.1 -p 10015`, or `App.Server.Obj` with a discovery source
//! such as the registry); every proxy shares one connection per endpoint, multiplexed by
//! request id.
//!
//! A call goes down the layers of [`path`]: the proxy, per-call filters, scope (dye, trace,
//! span) and stat, the deadline, routing ([`crate::discovery`] ▸ [`crate::balance`] ▸
//! health ▸ another endpoint), per-attempt filters, and the connection.
//!
//! Calls can be one-way, carry `context`/`status` maps both ways, be routed by hash
//! ([`CallOptions::hash`]) and run in a set ([`ServantProxy::with_set`]).
//!
//! This module knows endpoints, connections and packets, not the TARS platform: the
//! framework wing plugs tarsregistry in as a [`Discover`](crate::discovery::Discover)
//! source and tarsstat as a [`CallObserver`].

mod communicator;
mod connection;
mod error;
mod observe;
pub mod path;
mod pool;
mod proxy;
pub mod push;
mod request;
mod routing;
mod scope;
mod set;

/// The protocol a proxy speaks (see [`ServantProxy::set_protocol`]).
pub use crate::protocol::Encoding;
pub use communicator::{Communicator, CommunicatorBuilder};
pub use error::{CallError, CallErrorKind, ConnectionError};
pub use observe::{CallObserver, EndedCall};
pub use proxy::{CallOptions, Proxy, Reply, ReplyFields, ServantProxy};
pub use push::{PushEvent, PushMessage, PushStream};
pub use request::{CallResult, ClientNext, ClientRequest, ClientResponse};
