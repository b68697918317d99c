//! The TARS client: a [`Communicator`] per process makes proxies from object strings
//! (`App.Server.Obj@tcp -h 127.0.0.1 -p 10015 -t 60000`); calls from every proxy share one
//! connection per endpoint, multiplexed by request id. Calls have a timeout (sent to the
//! server as the remaining budget in `iTimeout`), can be one-way, carry `context`/`status`
//! maps both ways, and pass through the client filter chain. Endpoints come from a
//! [`Discover`](crate::discovery::Discover) source and are chosen by a
//! [`Balance`](crate::balance::Balance) policy.

mod communicator;
mod connection;
mod error;
mod proxy;

pub use communicator::{Communicator, CommunicatorBuilder};
pub use error::{CallError, CallErrorKind};
pub use proxy::{CallOptions, Proxy, Reply, ServantProxy};
