//! Fuzz target bodies for tars-rs. Each `fuzz_targets/<name>.rs` is a one-line libFuzzer
//! entry point calling a function here, so the replay tests run exactly the same code:
//!
//! * [`targets`] (everything but the IDL compiler) is also compiled into the workspace's
//!   `tests/fuzz_corpus.rs` with `#[path]`, which replays `corpus/` and `regressions/`;
//! * [`idl`] compiles the `.tars` front end of the `tars-macros` proc macro as ordinary
//!   modules (a proc-macro crate cannot be a library dependency); its replay is a test in
//!   `tars-macros/src/idl/tests.rs`.

/// Structs generated from `idl/rich.tars` (a copy of the workspace's `tests/idl/rich.tars`).
/// [`targets`] names them as `crate::rich`, so each crate including it declares this module
/// with its own path to the IDL.
pub mod rich {
    tars::include_tars!("idl/rich.tars");
}

pub mod targets;

// The compiler front end and code generator of `tars-macros`, from its source files. `gen`
// names `crate::codegen`, `crate::interface` and `crate::ir`, so they sit at this crate's
// root as in `tars-macros` (when `gen` names another module of that crate, add it here).
#[allow(dead_code, clippy::all)]
#[path = "../../tars-macros/src/codegen.rs"]
mod codegen;
#[allow(dead_code, clippy::all)]
#[path = "../../tars-macros/src/interface.rs"]
mod interface;
#[allow(dead_code, clippy::all)]
#[path = "../../tars-macros/src/ir.rs"]
mod ir;

pub mod idl;
