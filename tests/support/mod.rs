//! Shared helpers for the integration tests. (`echo.rs`, the Rust servants foreign clients
//! call, is included only by the tests that need it.)
#![allow(dead_code)]

pub mod fake;
pub mod framework;
pub mod mem;
pub mod node;
pub mod raw;
pub mod registry;
pub mod server;
