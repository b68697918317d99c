//! Static weights (`-w WEIGHT -v 1`, EndpointF `weight`/`weightType`): TarsGo's smooth
//! weighted list. Weights are scaled so the smallest gets at least 1 in `max/min` (between 10
//! and 100 slots for the largest), then a smooth weighted round-robin lays the endpoints out
//! in one list that interleaves them; calls walk the list.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::hash::tarsgo_key;
use super::{random_u64, Balance, HashKey, Picker};
use crate::transport::endpoint::Endpoint;

const MIN_RANGE: i64 = 10;
const MAX_RANGE: i64 = 100;

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

/// TarsGo's static weight list for `endpoints` (indices into it), or `None` unless every
/// endpoint has weight type 1 and the weights can be scaled.
pub(crate) fn static_weight_list(endpoints: &[Endpoint]) -> Option<Vec<usize>> {
    if endpoints.is_empty() || endpoints.iter().any(|e| e.weight_type != 1) {
        return None;
    }
    let weights: Vec<i64> = endpoints.iter().map(|e| i64::from(e.weight)).collect();
    let (min, max) = (*weights.iter().min()?, *weights.iter().max()?);
    if max <= 0 {
        return None;
    }
    let (range, mut total) = if min > 0 {
        ((max / min).clamp(MIN_RANGE, MAX_RANGE), 0)
    } else {
        (1, 1)
    };
    let mut list = Vec::new();
    // (current weight, endpoint), and each endpoint's scaled weight.
    let mut current: Vec<(i64, usize)> = Vec::new();
    let mut scaled = vec![0i64; endpoints.len()];
    for (i, w) in weights.iter().enumerate() {
        let w = w * range / max;
        if w > 0 {
            total += w;
            scaled[i] = w;
            current.push((w, i));
        } else {
            list.push(i);
        }
    }
    let keys: Vec<String> = endpoints.iter().map(tarsgo_key).collect();
    for _ in 0..total {
        // Ascending by current weight, ties by the endpoint string; the largest is chosen.
        current.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| keys[a.1].cmp(&keys[b.1])));
        let mut next = Vec::with_capacity(current.len());
        for (k, &(w, i)) in current.iter().enumerate().rev() {
            if k == current.len() - 1 {
                list.push(i);
                next.push((w - total + scaled[i], i));
            } else {
                next.push((w + scaled[i], i));
            }
        }
        current = next;
    }
    Some(list)
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
