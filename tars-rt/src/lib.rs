//! # tars-rt
//!
//! The runtime behind the [`tars`](https://docs.rs/tars) facade crate. Users normally depend on
//! `tars` and never name this crate.
//!
//! ## Floors
//!
//! Each module imports only from the floors below it; nothing low knows what stands on it.
//!
//! | floor | modules | owns | knows nothing of |
//! |---|---|---|---|
//! | 1 wire | [`codec`], [`protocol`], [`status`], [`idl`], [`transport`] | the TARS encoding; packets, TUP, JSON, return codes and status keys; interface descriptors; frames, endpoints, TLS, the framed connection's reader and batching writer, the request memory budget | sockets (codec); proxies, servants, the framework |
//! | 2 shared | [`config`], [`trace`], [`context`], [`balance`], [`discovery`], [`filter`] | the config file as typed settings; trace ids, propagators, spans; the call being served and what it passes on; balancers and endpoint health; the `Discover` trait; the generic filter chain | the client, the server, the framework services |
//! | 3 core | [`client`], [`server`] | communicator, proxies, the call path ([`client::path`]); servants, the request path ([`server::path`]), HTTP servants (`server::http`, feature `http`), plan, listeners, shutdown | tarsregistry, tarsstat, tarsnode… (they plug in through [`discovery::Discover`], [`client::CallObserver`], [`server::ServeObserver`]) |
//! | 4 framework wing | [`framework`] | registry, stat, property, notify, node heartbeat, remote config, logs, the admin servant, the [`framework::Platform`] handle; the framework IDL's proxies | — |
//! | 5 application | [`application`] | [`application::Application`]: plan → bind → run, one communicator per process shared by the wing and the user's proxies | — |
//!
//! `cargo doc` on these modules shows each one's own notes: what it owns and what it must not
//! know.

#![warn(missing_docs)]

// Generated code names the runtime as `::tars::__private`; this makes that path resolve inside
// tars-rt too, so the runtime can derive codecs for its own types.
extern crate self as tars;

pub mod application;
pub mod balance;
pub mod client;
pub mod codec;
pub mod config;
pub mod context;
pub mod discovery;
pub mod filter;
pub mod framework;
pub mod idl;
pub mod protocol;
mod random;
pub mod server;

/// The protobuf crates that protobuf servants and proxies (`include_proto!`) are built on:
/// generated message types derive `prost::Message` through this path, and well-known types
/// (`Timestamp`, `Duration`, `Any`…) are `prost_types`'. Encode and decode messages with
/// `prost::Message` from here, with no version of prost to match.
#[cfg(feature = "protobuf")]
pub mod protobuf {
    pub use prost;
    pub use prost_types;
}
pub mod status;
mod sync;
pub mod trace;
pub mod transport;

/// `serde_json`, whose `Value` is the JSON form of TARS values ([`protocol::json`]).
pub use serde_json;
pub use status::{Code, Status};

/// The `bytes` crate: `vector<byte>` fields are [`bytes::Bytes`].
pub use bytes;

#[doc(hidden)]
pub mod __private;

/// `Debug` for the errors that end up printed by `main() -> Result<(), Box<dyn Error>>`: the
/// message and its causes, as the user should read them, rather than the struct's fields.
macro_rules! debug_as_display {
    ($($t:ty),*) => {$(
        impl ::std::fmt::Debug for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(self, f)?;
                let mut cause = ::std::error::Error::source(self);
                while let Some(e) = cause {
                    write!(f, "\n  caused by: {e}")?;
                    cause = e.source();
                }
                Ok(())
            }
        }
    )*};
}
pub(crate) use debug_as_display;

// The derives, for this crate's own tests (users get them from the `tars` facade).
#[cfg(test)]
pub(crate) use tars_macros::{TarsEnum as TarsEnumForTests, TarsStruct as TarsStructForTests};
