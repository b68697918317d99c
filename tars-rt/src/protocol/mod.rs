//! The TARS framework's wire contract: the request/response envelopes, the protocol
//! constants, and the interfaces of the framework servers (registry, stat, property, notify,
//! log, config, node, admin).
//!
//! Everything here is compiled by `include_tars!` from the `.tars` files in `tars-rt/idl/`,
//! so the runtime speaks exactly what its IDL says. This module knows packets, not sockets.

pub mod json;
pub mod tup;

mod generated {
    tars_macros::include_tars!("idl/Framework.tars", with_tars);
}

/// Every type, constant and interface descriptor of the framework IDLs (TARS module `tars`).
pub mod framework {
    pub use super::generated::tars::*;
}

pub use framework::{RequestPacket, ResponsePacket};
