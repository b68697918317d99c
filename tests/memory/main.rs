//! Memory under hostile and heavy load, measured as the process's resident memory: a binary of
//! its own, so no other test's allocations move the figures, and its tests take turns.

#[allow(dead_code)] // This binary uses part of the shared helpers.
#[path = "../support/mod.rs"]
mod support;

mod bounds;
mod client;
#[cfg(feature = "http")]
mod http;
mod mem;
mod server;
