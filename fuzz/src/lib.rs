//! Fuzz target bodies for tars-rs. Each `fuzz_targets/<name>.rs` is a one-line libFuzzer
//! entry point calling a function here, so the replay tests run exactly the same code:
//!
//! * [`targets`] (everything but the IDL compiler) is also compiled into the workspace's
//!   `tests/fuzz_corpus.rs` with `#[path]`, which replays `corpus/` and `regressions/`;
//! * [`idl`] runs the `.tars` compiler of `tars-build` (what `include_tars!` calls) on
//!   inputs in memory; its replay is a test in `tars-build/src/idl/tests.rs`.

/// Structs generated from `idl/rich.tars` (a copy of the workspace's `tests/idl/rich.tars`).
/// [`targets`] names them as `crate::rich`, so each crate including it declares this module
/// with its own path to the IDL.
pub mod rich {
    tars::include_tars!("idl/rich.tars");
}

pub mod targets;

pub mod idl;
