//! Hash routing as TarsGo does it, so a tars-rs client sends a key to the same endpoint as a
//! TarsGo client given the same endpoints:
//!
//! - the endpoints are ordered by the CRC-32 (IEEE) of their TarsGo string,
//!   `"<tcp|udp> -h <host> -p <port> -t <timeout>"`, and an endpoint whose host is already in
//!   the list is left out (TarsGo keys its selectors by host);
//! - with static weights on every endpoint the code indexes TarsGo's weighted list, else
//!   the list itself: `code % len`;
//! - endpoints that cannot take calls are left out first, as TarsGo removes inactive
//!   endpoints from its selectors.
//!
//! [`hash_string`] turns a string key into a code as TarsGo's `HashString` does.

use super::{static_weight_list, tarsgo_key, Balance, HashKey, Picker};
use crate::random::random_u64;
use crate::transport::endpoint::Endpoint;

/// TarsGo's `HashString`: `h = 5 * h + c` over the key's characters (Unicode code points),
/// wrapping at 32 bits.
pub fn hash_string(key: &str) -> u32 {
    key.chars().fold(0u32, |h, c| h.wrapping_mul(5).wrapping_add(c as u32))
}

/// The endpoints in TarsGo's hashing order, one per host: indices into `endpoints`.
pub(crate) fn hash_order(endpoints: &[Endpoint]) -> Vec<usize> {
    let mut order: Vec<(u32, usize)> = endpoints
        .iter()
        .enumerate()
        .map(|(i, e)| (crc32fast::hash(tarsgo_key(e).as_bytes()), i))
        .collect();
    order.sort_by_key(|&(crc, _)| crc);
    let mut hosts = std::collections::HashSet::new();
    order
        .into_iter()
        .filter(|&(_, i)| hosts.insert(endpoints[i].host.as_str()))
        .map(|(_, i)| i)
        .collect()
}

/// `code % n` over the endpoints in TarsGo's order.
#[derive(Debug, Default, Clone, Copy)]
pub struct ModHash;

struct ModHashPicker {
    endpoints: Vec<Endpoint>,
    /// Indices in hashing order.
    order: Vec<usize>,
    /// Positions in `order`, repeated by weight, when every endpoint has static weights.
    weighted: Option<Vec<usize>>,
}

impl Balance for ModHash {
    fn build(&self, endpoints: &[Endpoint]) -> Box<dyn Picker> {
        let order = hash_order(endpoints);
        let ordered: Vec<Endpoint> = order.iter().map(|&i| endpoints[i].clone()).collect();
        Box::new(ModHashPicker {
            weighted: static_weight_list(&ordered),
            endpoints: endpoints.to_vec(),
            order,
        })
    }
}

impl ModHashPicker {
    fn select(order: &[usize], weighted: Option<&[usize]>, code: u32) -> Option<usize> {
        if order.is_empty() {
            return None;
        }
        Some(match weighted {
            Some(list) if !list.is_empty() => order[list[code as usize % list.len()]],
            _ => order[code as usize % order.len()],
        })
    }
}

impl Picker for ModHashPicker {
    fn pick(&self, hash: Option<HashKey>, usable: &dyn Fn(usize) -> bool) -> Option<usize> {
        let code = hash.map_or_else(|| random_u64() as u32, |h| h.code());
        if self.order.iter().all(|&i| usable(i)) {
            return Self::select(&self.order, self.weighted.as_deref(), code);
        }
        // Some endpoints are out: hash over the others, as TarsGo's selector would hold them.
        let order: Vec<usize> = self.order.iter().copied().filter(|&i| usable(i)).collect();
        let ordered: Vec<Endpoint> = order.iter().map(|&i| self.endpoints[i].clone()).collect();
        let weighted = static_weight_list(&ordered);
        Self::select(&order, weighted.as_deref(), code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_string_matches_tarsgo() {
        assert_eq!(hash_string(""), 0);
        assert_eq!(hash_string("a"), 97);
        assert_eq!(hash_string("ab"), 5 * 97 + 98);
        // Code points, not bytes: '中' is U+4E2D.
        assert_eq!(hash_string("中"), 0x4E2D);
    }

    #[test]
    fn endpoints_are_ordered_by_the_crc_of_their_tarsgo_string_one_per_host() {
        let eps: Vec<Endpoint> = (1..=3)
            .map(|i| {
                let mut e = Endpoint::tcp(format!("10.0.0.{i}"), 10000 + i);
                e.timeout_ms = 60000;
                e
            })
            .collect();
        assert_eq!(tarsgo_key(&eps[0]), "tcp -h 10.0.0.1 -p 10001 -t 60000");
        // CRC-32s 1830020451, 628283593, 491926447.
        assert_eq!(hash_order(&eps), vec![2, 1, 0]);
        let mut shared = eps.clone();
        shared[1].host = "10.0.0.1".into();
        assert_eq!(hash_order(&shared).len(), 2);
    }
}
