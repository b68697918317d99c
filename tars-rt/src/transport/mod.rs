//! Bytes on the network: the TARS frame (a 4-byte big-endian length that counts itself, then
//! a packet), endpoints, and TCP/UDP plumbing shared by the server and the client. It knows
//! frames, not what is inside them.

pub mod endpoint;
pub mod frame;
pub mod tls;
