//! Which endpoint a call goes to. [`Balance`] is the seam: given the candidates and their
//! health, it picks one. [`RoundRobin`] spreads calls evenly and skips endpoints that are
//! resting after failures. Health is tracked per endpoint in [`EndpointHealth`].
//!
//! This module knows nothing of packets or sockets.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::transport::endpoint::Endpoint;

/// Failure bookkeeping for one endpoint: after a failure it rests, for longer the more it
/// keeps failing (1 s, 2 s, 4 s … up to 30 s), and is tried again after.
#[derive(Debug, Default)]
pub struct EndpointHealth {
    consecutive_failures: AtomicU32,
    rest_until: Mutex<Option<Instant>>,
    successes: AtomicU64,
}

impl EndpointHealth {
    /// Records a success: the endpoint is healthy again.
    pub fn success(&self) {
        self.successes.fetch_add(1, Ordering::Relaxed);
        if self.consecutive_failures.swap(0, Ordering::AcqRel) != 0 {
            *self.rest_until.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }

    /// Records a failure to connect or a broken connection.
    pub fn failure(&self) {
        let n = self.consecutive_failures.fetch_add(1, Ordering::AcqRel) + 1;
        let rest = Duration::from_secs(1u64 << (n - 1).min(5)).min(Duration::from_secs(30));
        *self.rest_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + rest);
    }

    /// Whether the endpoint may be tried now.
    pub fn is_available(&self) -> bool {
        match *self.rest_until.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(until) => Instant::now() >= until,
            None => true,
        }
    }

    /// Failures since the last success.
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures.load(Ordering::Acquire)
    }
}

/// A candidate endpoint with its health.
pub struct Candidate<'a> {
    /// The endpoint.
    pub endpoint: &'a Endpoint,
    /// Its health.
    pub health: &'a EndpointHealth,
}

/// Picks an endpoint for a call.
pub trait Balance: Send + Sync + 'static {
    /// The index in `candidates` to try, given an optional hash code of the call; `None`
    /// when the list is empty.
    fn pick(&self, candidates: &[Candidate<'_>], hash: Option<u64>) -> Option<usize>;
}

/// Round-robin over the available endpoints; when every endpoint is resting, the one whose
/// rest ends first is tried anyway (a call is better than no call).
#[derive(Debug, Default)]
pub struct RoundRobin {
    next: AtomicUsize,
}

impl Balance for RoundRobin {
    fn pick(&self, candidates: &[Candidate<'_>], hash: Option<u64>) -> Option<usize> {
        if candidates.is_empty() {
            return None;
        }
        let n = candidates.len();
        let start = match hash {
            Some(h) => (h % n as u64) as usize,
            None => self.next.fetch_add(1, Ordering::Relaxed) % n,
        };
        (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| candidates[i].health.is_available())
            .or_else(|| (0..n).min_by_key(|&i| candidates[i].health.consecutive_failures()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_skips_resting_endpoints() {
        let eps: Vec<Endpoint> = (1..=3).map(|p| Endpoint::tcp("h", p)).collect();
        let health: Vec<EndpointHealth> = (0..3).map(|_| EndpointHealth::default()).collect();
        let c: Vec<Candidate<'_>> = eps
            .iter()
            .zip(&health)
            .map(|(e, h)| Candidate { endpoint: e, health: h })
            .collect();
        let rr = RoundRobin::default();
        let picks: Vec<usize> = (0..6).map(|_| rr.pick(&c, None).unwrap()).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2]);
        health[1].failure();
        let picks: Vec<usize> = (0..4).map(|_| rr.pick(&c, None).unwrap()).collect();
        assert!(!picks.contains(&1), "{picks:?}");
        health[1].success();
        assert!(health[1].is_available());
        for h in &health {
            h.failure();
        }
        assert!(rr.pick(&c, None).is_some(), "all resting: still pick one");
        assert_eq!(rr.pick(&c, Some(7)), Some(0));
    }
}
