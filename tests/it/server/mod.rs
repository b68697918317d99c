//! The server: serving, code-first servants, hostile peers, limits, a server process,
//! protocols, TLS.

mod basic;
mod code_first;
mod hostile;
mod limits;
mod process;
mod protocols;
mod tls;
