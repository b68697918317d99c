//! Consistent hashing on a Ketama ring, as TarsGo builds it: each endpoint (one per host, in
//! TarsGo's hashing order) gets 25 MD5 digests of `"<host>_<i>"` (its static weight / 4 when
//! every endpoint has static weights), each digest giving four little-endian 32-bit points.
//! A call's hash code goes to the first point at or after it, wrapping around; endpoints that
//! cannot take calls are passed over, which is where the ring would send the call with
//! their points removed. Adding one endpoint to N moves about 1/(N+1) of the keys.

use md5::{Digest, Md5};

use super::hash::hash_order;
use super::{Balance, HashKey, Picker};
use crate::transport::endpoint::Endpoint;

/// Points per endpoint without static weights: 100, i.e. 25 digests.
const VIRTUAL_NODES: i32 = 100;

/// A Ketama ring.
#[derive(Debug, Default, Clone, Copy)]
pub struct ConsistentHash;

struct Ring {
    /// (point, endpoint index), sorted by point, one endpoint per point (the last one
    /// placed there, as TarsGo's map keeps).
    points: Vec<(u32, usize)>,
}

impl Balance for ConsistentHash {
    fn build(&self, endpoints: &[Endpoint]) -> Box<dyn Picker> {
        let weighted = !endpoints.is_empty() && endpoints.iter().all(|e| e.weight_type == 1);
        let mut points: Vec<(u32, usize)> = Vec::new();
        for i in hash_order(endpoints) {
            let e = &endpoints[i];
            let weight = if weighted { e.weight } else { VIRTUAL_NODES };
            let digests = if weight > 0 { (weight / 4).max(1) } else { 0 };
            for d in 0..digests {
                let digest = Md5::digest(format!("{}_{d}", e.host).as_bytes());
                for word in digest.chunks_exact(4) {
                    let point = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
                    points.push((point, i));
                }
            }
        }
        // Stable: among equal points the last placed comes last; keep that one.
        points.sort_by_key(|&(p, _)| p);
        let mut unique: Vec<(u32, usize)> = Vec::with_capacity(points.len());
        for (p, i) in points {
            match unique.last_mut() {
                Some(last) if last.0 == p => last.1 = i,
                _ => unique.push((p, i)),
            }
        }
        Box::new(Ring { points: unique })
    }
}

impl Picker for Ring {
    fn pick(&self, hash: Option<HashKey>, usable: &dyn Fn(usize) -> bool) -> Option<usize> {
        if self.points.is_empty() {
            return None;
        }
        let code = hash.map_or_else(|| crate::random::random_u64() as u32, |h| h.code());
        let start = self.points.partition_point(|&(p, _)| p < code) % self.points.len();
        let n = self.points.len();
        (0..n).map(|k| self.points[(start + k) % n].1).find(|&i| usable(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eps(n: u16) -> Vec<Endpoint> {
        (1..=n)
            .map(|i| {
                let mut e = Endpoint::tcp(format!("10.0.0.{i}"), 10000 + i);
                e.timeout_ms = 60000;
                e
            })
            .collect()
    }

    #[test]
    fn one_joining_endpoint_moves_about_its_share_of_keys() {
        let before = ConsistentHash.build(&eps(4));
        let after = ConsistentHash.build(&eps(5));
        let keys = 10_000u32;
        let moved = (0..keys)
            .map(|k| k.wrapping_mul(2_654_435_761))
            .filter(|&code| {
                let h = Some(HashKey::Consistent(code));
                before.pick(h, &|_| true) != after.pick(h, &|_| true)
            })
            .count();
        let share = moved as f64 / f64::from(keys);
        assert!(share <= 1.0 / 5.0 + 0.05, "{share}");
    }

    #[test]
    fn passing_over_an_endpoint_is_removing_its_points() {
        let all = eps(3);
        let ring = ConsistentHash.build(&all);
        let without = ConsistentHash.build(&[all[0].clone(), all[2].clone()]);
        for code in (0..1000u32).map(|k| k.wrapping_mul(4_294_967)) {
            let h = Some(HashKey::Consistent(code));
            let skip = ring.pick(h, &|i| i != 1).unwrap();
            let removed = without.pick(h, &|_| true).unwrap();
            assert_eq!(skip, if removed == 0 { 0 } else { 2 });
        }
    }
}
