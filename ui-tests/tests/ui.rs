// IDL cases name their .tars files relative to trybuild's generated crate
// (target/tests/trybuild/ui-tests), whose CARGO_MANIFEST_DIR include_tars! resolves against;
// they assume the default target directory.
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
