//! The TARS server core: servants, the path a request takes to them ([`path`]), the
//! protocols adapters speak, and the listeners that accept connections.
//!
//! A request goes down the layers of [`path`]: admission (-9 over capacity at once, -6 when
//! late), its scope and span, the observer (stat and properties, when the framework wing
//! plugs them in), the filters, and dispatch to the servant. Connections read with
//! backpressure and write replies in batches (`connection`); graceful shutdown tells
//! clients to reconnect elsewhere (`_reconnect_`) and waits for requests in flight
//! ([`Listeners::stop`]).
//!
//! The [`Application`](crate::application::Application) puts it together from a config file;
//! servants come from `#[tars::servant]`. This module knows nothing of tarsnode, tarsstat or
//! the other framework services: they plug in through [`ServeObserver`].

mod access;
mod admission;
mod call;
mod connection;
mod context;
mod dispatch;
mod error;
#[cfg(feature = "http")]
pub mod http;
mod in_flight;
mod listener;
mod observe;
pub mod path;
pub(crate) mod plan;
mod protocol;
pub mod push;
mod reply;
mod request;
#[cfg(unix)]
pub(crate) mod restart;
mod scope;
mod servant;
mod tars;
mod udp;

/// How a request's `sBuffer` is encoded (the protocol floor's, which clients choose too).
pub use crate::protocol::Encoding;
pub use call::Call;
pub use context::Context;
pub use error::ServerError;
pub use listener::{BoundAdapter, Listeners};
pub use observe::ServeObserver;
pub use plan::AdapterLiveness;
pub use protocol::{Handled, ServerProtocol};
pub use push::{ConnectionHooks, PushError, PushSender, RawPush, RawPushServant};
pub use reply::TarsReply;
pub use request::{ServerNext, ServerRequest, ServerResponse};
#[cfg(unix)]
pub use restart::{GRACE_RESTART, INHERIT_PREFIX};
pub use servant::Servant;
