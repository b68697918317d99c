//! Round-robin from a random start, and random.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{first_usable, Balance, HashKey, Picker};
use crate::random::random_u64;
use crate::transport::endpoint::Endpoint;

/// Each endpoint in turn, starting at a random one (so many clients do not all hit the
/// first endpoint first); endpoints that cannot take calls are skipped.
#[derive(Debug, Default, Clone, Copy)]
pub struct RoundRobin;

struct RoundRobinPicker {
    n: usize,
    next: AtomicUsize,
}

impl Balance for RoundRobin {
    fn build(&self, endpoints: &[Endpoint]) -> Box<dyn Picker> {
        Box::new(RoundRobinPicker {
            n: endpoints.len(),
            next: AtomicUsize::new(random_u64() as usize),
        })
    }
}

impl Picker for RoundRobinPicker {
    fn pick(&self, _hash: Option<HashKey>, usable: &dyn Fn(usize) -> bool) -> Option<usize> {
        if self.n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed) % self.n;
        first_usable(self.n, start, usable)
    }
}

/// An endpoint chosen uniformly at random among those that can take calls.
#[derive(Debug, Default, Clone, Copy)]
pub struct Random;

struct RandomPicker {
    n: usize,
}

impl Balance for Random {
    fn build(&self, endpoints: &[Endpoint]) -> Box<dyn Picker> {
        Box::new(RandomPicker { n: endpoints.len() })
    }
}

impl Picker for RandomPicker {
    fn pick(&self, _hash: Option<HashKey>, usable: &dyn Fn(usize) -> bool) -> Option<usize> {
        if self.n == 0 {
            return None;
        }
        let start = (random_u64() % self.n as u64) as usize;
        first_usable(self.n, start, usable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eps(n: u16) -> Vec<Endpoint> {
        (1..=n).map(|p| Endpoint::tcp("h", p)).collect()
    }

    #[test]
    fn round_robin_takes_turns_and_skips_unusable_endpoints() {
        let p = RoundRobin.build(&eps(3));
        let first = p.pick(None, &|_| true).unwrap();
        let next: Vec<usize> = (0..5).map(|_| p.pick(None, &|_| true).unwrap()).collect();
        assert_eq!(next, (1..=5).map(|k| (first + k) % 3).collect::<Vec<_>>());
        for _ in 0..6 {
            assert_ne!(p.pick(None, &|i| i != 1), Some(1));
        }
        assert_eq!(p.pick(None, &|_| false), None);
        assert_eq!(RoundRobin.build(&[]).pick(None, &|_| true), None);
    }

    #[test]
    fn random_spreads_calls() {
        let p = Random.build(&eps(4));
        let mut seen = [0usize; 4];
        for _ in 0..4000 {
            seen[p.pick(None, &|_| true).unwrap()] += 1;
        }
        assert!(seen.iter().all(|&c| (800..1200).contains(&c)), "{seen:?}");
        assert_eq!(p.pick(None, &|i| i == 2), Some(2));
    }
}
