//! Static weights (`-w WEIGHT -v 1`, EndpointF `weight`/`weightType`): TarsGo's smooth
//! weighted list. Weights are scaled so the smallest gets at least 1 in `max/min` (between 10
//! and 100 slots for the largest), then a smooth weighted round-robin lays the endpoints out
//! in one list that interleaves them; calls walk the list.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{static_weight_list, Balance, HashKey, Picker};
use crate::random::random_u64;
use crate::transport::endpoint::Endpoint;

/// Calls in proportion to the endpoints' static weights.
#[derive(Debug, Default, Clone, Copy)]
pub struct Weighted;

struct WeightedPicker {
    /// Endpoint indices, each as often as its share.
    list: Vec<usize>,
    n: usize,
    next: AtomicUsize,
}

impl Balance for Weighted {
    fn build(&self, endpoints: &[Endpoint]) -> Box<dyn Picker> {
        // Without usable weights, every endpoint once.
        let list = static_weight_list(endpoints).unwrap_or_else(|| (0..endpoints.len()).collect());
        Box::new(WeightedPicker {
            n: endpoints.len(),
            next: AtomicUsize::new(random_u64() as usize),
            list,
        })
    }
}

impl Picker for WeightedPicker {
    fn pick(&self, _hash: Option<HashKey>, usable: &dyn Fn(usize) -> bool) -> Option<usize> {
        if self.list.is_empty() {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let len = self.list.len();
        (0..len)
            .map(|k| self.list[(start + k) % len])
            .find(|&i| usable(i))
            .or_else(|| (0..self.n).find(|&i| usable(i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weighted(host: &str, port: u16, weight: i32) -> Endpoint {
        let mut e = Endpoint::tcp(host, port);
        e.timeout_ms = 60000;
        e.weight = weight;
        e.weight_type = 1;
        e
    }

    #[test]
    fn equal_weights_get_ten_slots_each() {
        let eps: Vec<Endpoint> = (1..=3)
            .map(|i| weighted(&format!("127.0.0.{i}"), 19385 + i, 3))
            .collect();
        let list = static_weight_list(&eps).unwrap();
        assert_eq!(list.len(), 30);
        assert!((0..3).all(|i| list.iter().filter(|&&x| x == i).count() == 10));
    }

    #[test]
    fn shares_follow_the_weights() {
        let eps = [weighted("a", 1, 100), weighted("b", 2, 50), weighted("c", 3, 25)];
        let p = Weighted.build(&eps);
        let mut seen = [0usize; 3];
        for _ in 0..10_000 {
            seen[p.pick(None, &|_| true).unwrap()] += 1;
        }
        let total: usize = seen.iter().sum();
        for (i, share) in [4.0 / 7.0, 2.0 / 7.0, 1.0 / 7.0].iter().enumerate() {
            let got = seen[i] as f64 / total as f64;
            assert!((got - share).abs() < 0.05, "{seen:?}");
        }
        assert!(static_weight_list(&[Endpoint::tcp("a", 1)]).is_none());
    }
}
