//! The integration tests of tars-rs, through the public API, in one binary (one link, one copy
//! of the shared helpers), a module per area. Tests that change something process-wide (a
//! global allocator, the process's `tracing` subscriber) or measure the process's memory have
//! binaries of their own: `allocations`, `memory`, `logs`, `trace_otel`.

#[path = "../support/mod.rs"]
mod support;

mod client;
mod codec;
mod framework;
pub(crate) mod idl;
mod interop;
#[cfg(feature = "protobuf")]
mod protobuf;
mod push;
mod server;
mod trace;
