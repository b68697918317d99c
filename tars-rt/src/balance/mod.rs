//! Which endpoint a call goes to.
//!
//! A [`Balance`] is a policy: when discovery hands the client a new endpoint list, the
//! policy builds a [`Picker`] for it (a ring, a weighted sequence), and every call asks the
//! picker for an endpoint among those whose [`EndpointHealth`] lets them take calls. Nothing
//! is rebuilt per call.
//!
//! The policies, as in TarsGo's `selector`:
//!
//! | policy | picks |
//! |---|---|
//! | [`RoundRobin`] | each endpoint in turn, from a random start (the default) |
//! | [`Random`] | uniformly at random |
//! | [`Weighted`] | in proportion to the endpoints' static weights (`-w`, `weight`), smoothly interleaved |
//! | [`ModHash`] | by a call's hash code modulo the endpoint count, as TarsGo orders endpoints |
//! | [`ConsistentHash`] | by a call's hash code on a Ketama ring: adding one of N endpoints moves about 1/N of the keys |
//!
//! [`Auto`] is what a proxy uses unless told otherwise: [`Weighted`] when every endpoint
//! asks for static weights (`-v 1`), [`RoundRobin`] otherwise. A call with a hash key
//! ([`HashKey`]) goes through [`ModHash`] or [`ConsistentHash`] whatever the proxy's
//! policy, as in TarsGo.
//!
//! This module knows endpoints, not packets or sockets.

mod hash;
mod health;
mod ketama;
mod round_robin;
mod weighted;

use std::fmt;

pub use hash::{hash_string, ModHash};
pub use health::{
    EndpointHealth, FAIL_STREAK, FAIL_STREAK_TIME, RETRY_AFTER, WINDOW, WINDOW_FAIL_RATIO, WINDOW_MIN_FAILURES,
};
pub use ketama::ConsistentHash;
pub use round_robin::{Random, RoundRobin};
pub use weighted::Weighted;

use crate::transport::endpoint::{Endpoint, Proto};

/// A call's routing key: calls with the same key go to the same endpoint as long as the
/// endpoint list does not change. It changes the route only: TarsGo and TarsCpp clients send
/// nothing for it (no HASH flag), and neither does tars-rs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashKey {
    /// `code % n` over the endpoints (TarsGo's `ModHash`).
    Mod(u32),
    /// A point on the Ketama ring (TarsGo's `ConsistentHash`).
    Consistent(u32),
}

impl HashKey {
    /// The hash code.
    pub fn code(&self) -> u32 {
        match *self {
            HashKey::Mod(c) | HashKey::Consistent(c) => c,
        }
    }
}

/// A load-balancing policy.
pub trait Balance: Send + Sync + 'static {
    /// A picker for `endpoints`; called when the list changes, never per call.
    fn build(&self, endpoints: &[Endpoint]) -> Box<dyn Picker>;
}

/// Picks endpoints out of one endpoint list.
pub trait Picker: Send + Sync + 'static {
    /// The index (into the list the picker was built for) of the endpoint for a call with
    /// `hash`, among those `usable` accepts; `None` if it accepts none.
    fn pick(&self, hash: Option<HashKey>, usable: &dyn Fn(usize) -> bool) -> Option<usize>;
}

impl fmt::Debug for dyn Balance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Balance")
    }
}

/// TarsGo's default: [`Weighted`] when every endpoint has static weights (`-v 1`),
/// [`RoundRobin`] otherwise.
#[derive(Debug, Default, Clone, Copy)]
pub struct Auto;

impl Balance for Auto {
    fn build(&self, endpoints: &[Endpoint]) -> Box<dyn Picker> {
        if !endpoints.is_empty() && endpoints.iter().all(|e| e.weight_type == 1) {
            Weighted.build(endpoints)
        } else {
            RoundRobin.build(endpoints)
        }
    }
}

/// The first index from `start` (wrapping) that `usable` accepts.
pub(crate) fn first_usable(n: usize, start: usize, usable: &dyn Fn(usize) -> bool) -> Option<usize> {
    (0..n).map(|k| (start + k) % n).find(|&i| usable(i))
}

/// The slots of static weights: weights are scaled so that the largest gets between
/// [`MIN_RANGE`] and [`MAX_RANGE`] slots.
const MIN_RANGE: i64 = 10;
/// See [`MIN_RANGE`].
const MAX_RANGE: i64 = 100;

/// An endpoint as TarsGo prints it (its `Key`): what orders endpoints for hashing.
pub(crate) fn tarsgo_key(e: &Endpoint) -> String {
    let proto = if e.proto == Proto::Udp { "udp" } else { "tcp" };
    format!("{proto} -h {} -p {} -t {}", e.host, e.port, e.timeout_ms)
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
mod tarsgo_vectors {
    //! The endpoints a TarsGo client picks for hash calls, for fixed keys and endpoint lists
    //! (`testdata/tarsgo_picks.json`, derived from TarsGo v1.4.5's `selector` and endpoint
    //! ordering): tars-rs must pick the same.

    use super::*;

    #[test]
    fn mod_hash_and_ketama_pick_what_tarsgo_picks() {
        let doc: serde_json::Value = serde_json::from_str(include_str!("testdata/tarsgo_picks.json")).unwrap();
        let mut checked = 0;
        for case in doc["cases"].as_array().unwrap() {
            let endpoints: Vec<Endpoint> = case["endpoints"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap().parse().unwrap())
                .collect();
            let (modulo, ring) = (ModHash.build(&endpoints), ConsistentHash.build(&endpoints));
            let at = |i: usize| endpoints[i].address();
            for pick in case["picks"].as_array().unwrap() {
                let code = pick["code"].as_u64().unwrap() as u32;
                if let Some(key) = pick["key"].as_str() {
                    assert_eq!(hash_string(key), code, "HashString({key:?})");
                }
                let m = modulo.pick(Some(HashKey::Mod(code)), &|_| true).map(at);
                let k = ring.pick(Some(HashKey::Consistent(code)), &|_| true).map(at);
                assert_eq!(
                    m.as_deref(),
                    pick["mod"].as_str(),
                    "{}: mod hash of {code}",
                    case["name"]
                );
                assert_eq!(
                    k.as_deref(),
                    pick["ketama"].as_str(),
                    "{}: ketama of {code}",
                    case["name"]
                );
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked}");
    }
}
