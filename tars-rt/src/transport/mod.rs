//! Bytes on the network: the TARS frame (a 4-byte big-endian length that counts itself, then
//! a packet), endpoints, TLS, and the plumbing both sides share: the reader and the batching
//! writer of a framed connection, UDP datagrams, and the memory budget of requests in flight.
//! It knows frames, not what is inside them.

pub(crate) mod budget;
pub mod endpoint;
pub mod frame;
pub(crate) mod reader;
pub mod tls;
pub(crate) mod udp;
pub(crate) mod writer;

pub use endpoint::{Endpoint, EndpointError, Proto};
pub use frame::FrameError;
pub use tls::{TlsConfig, TlsError};
