//! The `idl` target: the `.tars` compiler of `include_tars!` (lexer → parser → resolver →
//! code generator), from `tars-build`, reading the fuzz input and the files it may include
//! from memory.

use std::path::{Path, PathBuf};

use tars_build::idl::{compile_lenient, Options, Parts, Source};

/// Files the fuzzed main file may `#include` (`#include "rich_common.tars"`): the copies of
/// the workspace's `tests/idl/rich*.tars` and the framework IDLs of `tars-rt/idl`, except
/// `Framework.tars`, which includes them all: generating all of them for most inputs made
/// the target 20 times slower.
pub const INCLUDABLE: &[(&str, &str)] = &[
    ("rich_common.tars", include_str!("../../idl/rich_common.tars")),
    ("rich.tars", include_str!("../../idl/rich.tars")),
    ("AdminF.tars", include_str!("../../../tars-rt/idl/AdminF.tars")),
    ("BaseF.tars", include_str!("../../../tars-rt/idl/BaseF.tars")),
    ("ConfigF.tars", include_str!("../../../tars-rt/idl/ConfigF.tars")),
    ("EndpointF.tars", include_str!("../../../tars-rt/idl/EndpointF.tars")),
    ("LogF.tars", include_str!("../../../tars-rt/idl/LogF.tars")),
    ("NodeF.tars", include_str!("../../../tars-rt/idl/NodeF.tars")),
    ("NotifyF.tars", include_str!("../../../tars-rt/idl/NotifyF.tars")),
    ("PropertyF.tars", include_str!("../../../tars-rt/idl/PropertyF.tars")),
    ("QueryF.tars", include_str!("../../../tars-rt/idl/QueryF.tars")),
    ("RequestF.tars", include_str!("../../../tars-rt/idl/RequestF.tars")),
    ("StatF.tars", include_str!("../../../tars-rt/idl/StatF.tars")),
];

/// The main file (the fuzz input) and [`INCLUDABLE`], in memory under `/idl`.
struct Mem<'a> {
    main: &'a str,
}

impl Source for Mem<'_> {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        if path == Path::new("/idl/main.tars") {
            return Ok(self.main.to_string());
        }
        INCLUDABLE
            .iter()
            .find(|(name, _)| path == PathBuf::from("/idl").join(name))
            .map(|(_, text)| text.to_string())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}

/// Compiles `data` (if UTF-8) as the main `.tars` file, as `include_tars!` does: load and
/// check it, render every error, generate the Rust code (also next to errors: the items that
/// resolved, and stand-ins for those that did not), which must parse as a Rust file. Must
/// never panic.
pub fn fuzz(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    compile(text, Options::default());
    // The framework's own IDLs may use names starting with `tars`.
    if text.contains("tars") {
        let mut options = Options::default();
        options.with_tars = true;
        compile(text, options);
    }
}

fn compile(text: &str, options: Options) {
    let mem = Mem { main: text };
    let (tokens, errors) = compile_lenient(&mem, Path::new("/idl/main.tars"), "main.tars", options, Parts::All);
    for e in &errors {
        assert!(!e.is_empty());
    }
    if let Err(e) = syn::parse2::<syn::File>(tokens.clone()) {
        panic!(
            "include_tars! generated code that is not a Rust file: {e}\n--- IDL ---\n{text}\n--- code ---\n{tokens}"
        );
    }
}
