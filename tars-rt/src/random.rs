//! Pseudo-random numbers for spreading load (a balancer's starting point, a random pick) and
//! for trace and span ids: xorshift* per thread, seeded from the operating system's random
//! source (through the standard library's `RandomState`), so processes started at the same
//! instant do not walk in step. Fast, not for anything secret.

use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};

/// A random `u64`.
pub(crate) fn random_u64() -> u64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(std::thread::current().id()) | 1);
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn threads_draw_different_numbers() {
        let here = super::random_u64();
        let there = std::thread::spawn(super::random_u64).join().unwrap();
        assert_ne!(here, there);
        assert_ne!(super::random_u64(), super::random_u64());
    }
}
