//! # tars-rt
//!
//! The runtime behind the [`tars`](https://docs.rs/tars) facade crate. Users normally depend on
//! `tars` and never name this crate.
//!
//! | module | owns |
//! |---|---|
//! | [`codec`] | the TARS binary encoding: type codes, heads, [`codec::TarsEncode`]/[`codec::TarsDecode`] |

// Generated code names the runtime as `::tars::__private`; this makes that path resolve inside
// tars-rt too, so the runtime can derive codecs for its own types.
extern crate self as tars;

pub mod codec;

#[doc(hidden)]
pub mod __private;

// The derives, for this crate's own tests (users get them from the `tars` facade).
#[cfg(test)]
pub(crate) use tars_macros::{TarsEnum as TarsEnumForTests, TarsStruct as TarsStructForTests};
