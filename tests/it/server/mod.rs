//! The server: serving, code-first servants, hostile peers, limits, a server process,
//! protocols, TLS.

mod basic;
mod code_first;
mod hostile;
#[cfg(feature = "http")]
pub(crate) mod http;
mod limits;
mod process;
mod protocols;
pub(crate) mod tls;
