//! # tars
//!
//! TARS RPC for Rust, wire-compatible with the C++, Go, Java and Node implementations.
//!
//! This is the facade crate users depend on. It re-exports the runtime ([`tars_rt`]) and the
//! procedural macros ([`tars_macros`]):
//!
//! ```
//! use tars::TarsStruct;
//!
//! #[derive(TarsStruct, Debug, PartialEq)]
//! #[tars(default)] // implement Default with the IDL defaults below
//! struct Hello {
//!     #[tars(tag = 0, require)]
//!     id: i32,
//!     #[tars(tag = 1, default = "world")]
//!     name: String,
//! }
//!
//! let bytes = tars::codec::to_bytes(&Hello { id: 7, name: "tars".into() });
//! let back: Hello = tars::codec::from_bytes(&bytes).unwrap();
//! assert_eq!(back, Hello { id: 7, name: "tars".into() });
//! assert_eq!(Hello::default().name, "world");
//! ```

#![warn(missing_docs)]

#[cfg(feature = "protobuf")]
pub use tars_macros::include_proto;
pub use tars_macros::{include_tars, servant, TarsEnum, TarsStruct};
/// The call being served, as a servant method sees it (`tars::server::Context`).
pub use tars_rt::server::Context;
pub use tars_rt::*;

/// A TARS server application (see [`application`]).
pub use tars_rt::application::Application;

#[doc(hidden)]
pub use tars_rt::__private;

/// Includes a file that `tars_build` generated into `OUT_DIR` from a `build.rs`:
/// `include_generated!("hello")` is `OUT_DIR/hello.rs`, the code of `hello.tars` (or
/// `hello.proto`), the same code `include_tars!` (or `include_proto!`) makes.
///
/// ```ignore
/// mod hello {
///     tars::include_generated!("hello");
/// }
/// ```
#[macro_export]
macro_rules! include_generated {
    ($name:literal) => {
        ::core::include!(::core::concat!(::core::env!("OUT_DIR"), "/", $name, ".rs"));
    };
}

/// The README's examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
