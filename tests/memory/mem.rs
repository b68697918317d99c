//! This process's memory, from `/proc/self/status` (Linux): resident set, its peak, and the
//! address space. Tests that assert on them run in the `memory` binary, one at a time
//! ([`TURN`]).

/// One memory measurement at a time: every test of the `memory` binary holds it.
pub(crate) static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn status_kb(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{key} not in /proc/self/status"))
}

/// Resident memory now, in MiB.
pub(crate) fn rss_mib() -> f64 {
    status_kb("VmRSS:") as f64 / 1024.0
}

/// Peak resident memory since the last [`reset_peak`], in MiB.
pub(crate) fn peak_mib() -> f64 {
    status_kb("VmHWM:") as f64 / 1024.0
}

/// Address space now, in MiB.
pub(crate) fn virtual_mib() -> f64 {
    status_kb("VmSize:") as f64 / 1024.0
}

/// Starts a new peak measurement (writes 5 to `/proc/self/clear_refs`).
pub(crate) fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak RSS");
}
