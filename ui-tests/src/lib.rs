//! trybuild compile-fail cases for the tars macros; see `tests/ui.rs`.
