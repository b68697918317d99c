//! `include_tars!`: generated types, their codec, and their bytes against `@tars/stream`.

mod basic;
mod node;
mod roundtrip;

/// `tests/idl/rich.tars`: every type the IDL has, across two modules and an include.
pub(crate) mod rich {
    tars::include_tars!("tests/idl/rich.tars");
}
