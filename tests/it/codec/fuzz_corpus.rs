//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) and the minimized crash reproducers
//! (`fuzz/regressions/<target>/`) through the same target bodies cargo-fuzz runs
//! (`fuzz/src/targets.rs`), so every input the fuzzer ever tripped on stays fixed. The `idl`
//! target is replayed by a test in `tars-build/src/idl/tests.rs`.

use std::path::{Path, PathBuf};

/// The structs `fuzz/src/targets.rs` finds at `super::rich` (`fuzz/idl/rich.tars` is a copy
/// of `tests/idl/rich.tars`).
use crate::idl::rich;

// The fuzz crate calls these from its own binaries: `pub` there, unused or unreachable here.
#[allow(dead_code, unreachable_pub)]
#[path = "../../../fuzz/src/targets.rs"]
mod targets;

/// Every file of `fuzz/corpus/<target>` and `fuzz/regressions/<target>`.
fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn replay(target: &str, run: fn(&[u8])) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no corpus for {target}");
    for path in files {
        let data = std::fs::read(&path).unwrap();
        if let Err(panic) = std::panic::catch_unwind(|| run(&data)) {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(non-string panic)");
            panic!("{target}: {} panics: {msg}", path.display());
        }
    }
}

#[test]
fn request_frame() {
    replay("request_frame", targets::request_frame);
}

#[test]
fn response_frame() {
    replay("response_frame", targets::response_frame);
}

#[test]
fn generated_structs() {
    replay("generated_structs", targets::generated_structs);
}

#[test]
fn tup() {
    replay("tup", targets::tup);
}

#[test]
fn json_body() {
    replay("json_body", targets::json_body);
}

#[test]
fn config() {
    replay("config", targets::config);
}

#[test]
fn http_headers() {
    replay("http_headers", targets::http_headers);
}

proptest::proptest! {
    /// Random header lines (no fuzzer runs in CI): the extraction never panics and keeps its
    /// properties.
    #[test]
    fn http_headers_on_random_lines(lines in proptest::collection::vec(
        (
            proptest::sample::select(vec!["traceparent", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled",
                "sw8", "x-tars-dye", "x-real-ip", "x-forwarded-for", "x-forwarded-for-pound", "tracestate"]),
            "[ -~]{0,80}",
        ),
        0..8,
    )) {
        let text: String = lines.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        targets::http_headers(text.as_bytes());
    }
}
