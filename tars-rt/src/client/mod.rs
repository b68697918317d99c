//! The TARS client. A [`Communicator`] per process makes proxies from object strings
//! (`App.Server.Obj@tcp -h 10.0.0.1 -p 10015`, or `App.Server.Obj` with a registry); every
//! proxy of a communicator shares one connection per endpoint, multiplexed by request id.
//!
//! # The call path
//!
//! A call goes down these layers, each a small type with one job:
//!
//! 1. **proxy** (generated typed proxies and [`ServantProxy`]): encodes the
//!    arguments and builds a [`ClientRequest`](crate::filter::ClientRequest) with the call's
//!    one deadline (its timeout, or the proxy's);
//! 2. **user filters** ([`crate::filter::ClientFilter`]), outermost first: may read or change
//!    the request (its deadline too), answer it, or look at the reply;
//! 3. **deadline** (`routing`): everything below happens within the request's deadline;
//!    what is left of it when the request leaves is written once into `iTimeout`; a call
//!    that runs out of time fails with -7 and counts against its endpoint;
//! 4. **routing** (`routing`): the endpoints from discovery
//!    ([`crate::discovery::Discover`]), a balancer ([`crate::balance::Balance`]) rebuilt when
//!    they change, endpoint health ([`crate::balance::EndpointHealth`]), and a retry on
//!    another endpoint when a connect fails;
//! 5. **connection pool** (`pool`): the endpoint's one connection, dialled once for all
//!    callers;
//! 6. **framed connection** (`connection`): request ids, the in-flight map, and the
//!    transport's reader and batching writer ([`crate::transport`]).
//!
//! Calls can be one-way, carry `context`/`status` maps both ways, be routed by hash
//! ([`CallOptions::hash`]) and run in a set ([`ServantProxy::with_set`]).

mod communicator;
mod connection;
mod error;
mod pool;
mod proxy;
mod routing;
mod scope;
mod set;

pub use communicator::{Communicator, CommunicatorBuilder};
pub use error::{CallError, CallErrorKind, ConnectionError};
pub use proxy::{CallOptions, Proxy, Reply, ReplyFields, ServantProxy};
