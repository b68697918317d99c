//! Endpoint health with the rules TarsGo and TarsCpp clients use, so a tars-rs client takes
//! a failing server out of rotation exactly when its peers would:
//!
//! - out after [`FAIL_STREAK`] failures in a row with no success for [`FAIL_STREAK_TIME`];
//! - out when, within a [`WINDOW`], at least [`WINDOW_MIN_FAILURES`] calls failed and they
//!   are at least [`WINDOW_FAIL_RATIO`] of the calls;
//! - a failure is a connect error, a broken connection, or a timeout;
//! - an endpoint that is out gets one probe call after [`RETRY_AFTER`]; its success brings
//!   the endpoint back, its failure keeps it out for another period.
//!
//! When every endpoint is out, the router still tries one rather than fail without dialling.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

// tokio's clock, so tests (and users' tests) can pause time through the rules below.
use tokio::time::Instant;

/// Failures in a row that take an endpoint out (with [`FAIL_STREAK_TIME`]).
pub const FAIL_STREAK: u32 = 5;
/// How long without a success a failure streak must last.
pub const FAIL_STREAK_TIME: Duration = Duration::from_secs(5);
/// The window over which the failure ratio is measured.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Failures within a window that, at [`WINDOW_FAIL_RATIO`], take an endpoint out.
pub const WINDOW_MIN_FAILURES: u32 = 2;
/// The failure ratio within a window that takes an endpoint out.
pub const WINDOW_FAIL_RATIO: f64 = 0.5;
/// How long an endpoint stays out before a probe.
pub const RETRY_AFTER: Duration = Duration::from_secs(30);

/// The health of one endpoint.
#[derive(Debug)]
pub struct EndpointHealth {
    /// Fast path: most endpoints are healthy most of the time.
    active: AtomicBool,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    streak: u32,
    last_success: Instant,
    window_start: Instant,
    window_calls: u32,
    window_failures: u32,
    out_since: Option<Instant>,
    probing: bool,
}

impl Default for EndpointHealth {
    fn default() -> Self {
        let now = Instant::now();
        EndpointHealth {
            active: AtomicBool::new(true),
            state: Mutex::new(State {
                streak: 0,
                last_success: now,
                window_start: now,
                window_calls: 0,
                window_failures: 0,
                out_since: None,
                probing: false,
            }),
        }
    }
}

impl EndpointHealth {
    /// Records a successful call (any reply from the server counts).
    pub fn success(&self) {
        let now = Instant::now();
        let mut s = crate::sync::lock(&self.state);
        s.roll_window(now);
        s.window_calls += 1;
        s.streak = 0;
        s.last_success = now;
        if s.out_since.take().is_some() {
            tracing::info!("endpoint healthy again");
            s.probing = false;
            self.active.store(true, Ordering::Release);
        }
    }

    /// Records a failed call: connect error, broken connection or timeout. Returns `true`
    /// if this failure took the endpoint out.
    pub fn failure(&self) -> bool {
        let now = Instant::now();
        let mut s = crate::sync::lock(&self.state);
        s.roll_window(now);
        s.window_calls += 1;
        s.window_failures += 1;
        s.streak += 1;
        if s.out_since.is_some() {
            // A failed probe: out for another period.
            s.out_since = Some(now);
            s.probing = false;
            return false;
        }
        let streak = s.streak >= FAIL_STREAK && now.duration_since(s.last_success) >= FAIL_STREAK_TIME;
        let ratio = s.window_failures >= WINDOW_MIN_FAILURES
            && f64::from(s.window_failures) >= WINDOW_FAIL_RATIO * f64::from(s.window_calls);
        if streak || ratio {
            s.out_since = Some(now);
            self.active.store(false, Ordering::Release);
            return true;
        }
        false
    }

    /// Whether a call may go to the endpoint now. An endpoint that is out answers `true`
    /// once per [`RETRY_AFTER`]: that call is its probe.
    pub fn is_available(&self) -> bool {
        if self.active.load(Ordering::Acquire) {
            return true;
        }
        let mut s = crate::sync::lock(&self.state);
        match s.out_since {
            None => true,
            Some(since) if !s.probing && since.elapsed() >= RETRY_AFTER => {
                s.probing = true;
                true
            }
            Some(_) => false,
        }
    }

    /// Whether the endpoint is in rotation (not out after failures).
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }
}

impl State {
    fn roll_window(&mut self, now: Instant) {
        if now.duration_since(self.window_start) >= WINDOW {
            self.window_start = now;
            self.window_calls = 0;
            self.window_failures = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_failures_at_half_the_calls_take_an_endpoint_out() {
        let h = EndpointHealth::default();
        for _ in 0..3 {
            h.success();
        }
        assert!(!h.failure());
        assert!(h.is_active());
        // 2 failures of 5 calls: 40%, still in.
        assert!(!h.failure());
        assert!(h.is_active());
        // 3 of 6: 50%, out.
        assert!(h.failure());
        assert!(!h.is_active());
        assert!(!h.is_available());
    }

    #[tokio::test(start_paused = true)]
    async fn five_failures_in_a_row_for_five_seconds_take_an_endpoint_out() {
        let h = EndpointHealth::default();
        for _ in 0..40 {
            h.success();
        }
        // Within the window the ratio stays low; the streak decides.
        for _ in 0..FAIL_STREAK {
            assert!(!h.failure());
        }
        tokio::time::advance(FAIL_STREAK_TIME).await;
        assert!(h.failure(), "a streak of 6 with no success for 5 s");
        assert!(!h.is_available());
    }

    #[tokio::test(start_paused = true)]
    async fn an_endpoint_out_gets_one_probe_after_thirty_seconds() {
        let h = EndpointHealth::default();
        h.failure();
        assert!(h.failure(), "2 of 2 failed");
        tokio::time::advance(RETRY_AFTER - Duration::from_millis(1)).await;
        assert!(!h.is_available(), "not before RETRY_AFTER");
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(h.is_available(), "the probe");
        assert!(!h.is_available(), "one probe at a time");
        h.success();
        assert!(h.is_active() && h.is_available());
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_keeps_it_out_for_another_period() {
        let h = EndpointHealth::default();
        h.failure();
        h.failure();
        tokio::time::advance(RETRY_AFTER).await;
        assert!(h.is_available());
        h.failure();
        assert!(!h.is_available());
        tokio::time::advance(RETRY_AFTER).await;
        assert!(h.is_available(), "the next probe");
    }

    #[tokio::test(start_paused = true)]
    async fn the_failure_ratio_is_counted_per_minute() {
        let h = EndpointHealth::default();
        for _ in 0..3 {
            h.success();
        }
        h.failure();
        // A new window: the old calls no longer count, and one failure is not enough.
        tokio::time::advance(WINDOW).await;
        h.success();
        assert!(!h.failure(), "1 failure of 2 calls in this window");
        assert!(h.failure(), "2 of 3");
    }
}
