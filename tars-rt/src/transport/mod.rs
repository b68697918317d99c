//! Bytes on the network: the TARS frame (a 4-byte big-endian length that counts itself, then
//! a packet), endpoints, and TCP/UDP plumbing shared by the server and the client. It knows
//! frames, not what is inside them. [`reader`] and [`writer`] are the two halves of a framed
//! connection, shared by the server and the client; [`budget`] bounds the memory requests in
//! flight may take.

pub mod budget;
pub mod endpoint;
pub mod frame;
pub mod reader;
pub mod tls;
pub mod udp;
pub mod writer;
