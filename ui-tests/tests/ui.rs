// IDL cases name their .tars files beside them: include_tars! looks there when the crate
// root (trybuild's generated crate, under the target directory) has no such file, so the
// cases pass with any CARGO_TARGET_DIR.
//! Compile-fail and pass cases for `#[derive(TarsStruct)]` / `#[derive(TarsEnum)]`.
//!
//! Regenerate the expected `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p ui-tests`, then read every diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/**/*.rs");
    t.pass("tests/pass/*.rs");
}
