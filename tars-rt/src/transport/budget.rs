//! One bound on the memory a server spends on requests in flight, shared by every
//! connection and adapter: the bytes of frames being read, and of requests being served
//! (their raw bytes plus what they take once decoded). A request that does not fit is refused
//! with the overload code instead of being buffered; a large frame still arriving waits for
//! room (its sender feels TCP backpressure) and may take at most half of the budget, so
//! frames that drip in slowly can never starve requests that are already whole.
//!
//! With `malloctrim=Y`, when a burst of large requests is over (usage falls to a quarter of its
//! high-water mark, and that mark was at least [`RELEASE_AFTER`]), the freed memory is handed
//! back to the operating system with glibc's `malloc_trim`: the allocator otherwise keeps it
//! for the life of the process. It is off by default: trimming walks every arena under its
//! lock, a cost only a server that sees rare bursts of large requests wants to pay.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// The budget. Cheap to share (`Arc`).
#[derive(Debug)]
pub(crate) struct MemoryBudget {
    limit: usize,
    used: AtomicUsize,
    /// The most used since memory was last handed back to the OS.
    high_water: AtomicUsize,
    freed: Notify,
    /// Frames waiting in `lease_for_frame`: only then does giving back wake anyone.
    waiting: AtomicUsize,
    /// Whether the end of a burst hands free memory back to the OS (`malloctrim`).
    trim: bool,
}

/// How high usage must have been for its end to hand memory back to the OS.
pub(crate) const RELEASE_AFTER: usize = 32 << 20;

impl MemoryBudget {
    /// A budget of `limit` bytes (0: no limit); with `trim`, the end of a burst hands free
    /// memory back to the OS.
    pub(crate) fn new(limit: usize, trim: bool) -> Arc<Self> {
        Arc::new(MemoryBudget {
            limit: if limit == 0 { usize::MAX } else { limit },
            used: AtomicUsize::new(0),
            high_water: AtomicUsize::new(0),
            freed: Notify::new(),
            waiting: AtomicUsize::new(0),
            trim,
        })
    }

    /// The limit in bytes.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes in use now.
    #[cfg(test)]
    fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    /// Takes `bytes` if they fit under `ceiling` (or if nothing is in use at all, so one
    /// request larger than the ceiling can still be served alone).
    fn take(&self, bytes: usize, ceiling: usize) -> bool {
        let taken = self.used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
            let fits = used.checked_add(bytes).is_some_and(|total| total <= ceiling);
            (fits || used == 0).then(|| used.saturating_add(bytes))
        });
        match taken {
            Ok(before) => {
                self.high_water
                    .fetch_max(before.saturating_add(bytes), Ordering::AcqRel);
                true
            }
            Err(_) => false,
        }
    }

    fn give_back(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        let now = self.used.fetch_sub(bytes, Ordering::AcqRel) - bytes;
        if self.waiting.load(Ordering::Acquire) > 0 {
            self.freed.notify_waiters();
        }
        let high = self.high_water.load(Ordering::Acquire);
        if self.trim
            && high >= RELEASE_AFTER
            && now <= high / 4
            && self
                .high_water
                .compare_exchange(high, now, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            release_free_memory();
        }
    }

    /// A lease of `bytes` for a request, or `None` if the budget cannot hold it now.
    pub(crate) fn try_lease(self: &Arc<Self>, bytes: usize) -> Option<Lease> {
        self.take(bytes, self.limit).then(|| Lease {
            budget: self.clone(),
            held: AtomicUsize::new(bytes),
        })
    }

    /// A lease of `bytes` for a frame still arriving: waits until it fits within half of
    /// the budget.
    pub(crate) async fn lease_for_frame(self: &Arc<Self>, bytes: usize) -> Lease {
        let ceiling = self.limit / 2;
        if self.take(bytes, ceiling) {
            return Lease {
                budget: self.clone(),
                held: AtomicUsize::new(bytes),
            };
        }
        // Counted as waiting for as long as this future lives (it may be cancelled).
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&self.waiting);
        loop {
            let freed = self.freed.notified();
            if self.take(bytes, ceiling) {
                return Lease {
                    budget: self.clone(),
                    held: AtomicUsize::new(bytes),
                };
            }
            freed.await;
        }
    }
}

/// Hands the allocator's free memory back to the OS, off the async threads.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        fn trim() {
            extern "C" {
                fn malloc_trim(pad: usize) -> std::os::raw::c_int;
            }
            // SAFETY: glibc's `malloc_trim` has no preconditions: it locks each arena in turn
            // and only returns whole free pages to the kernel; any thread may call it.
            unsafe {
                malloc_trim(0);
            }
        }
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(trim)),
            Err(_) => trim(),
        }
    }
}

/// Bytes held from a [`MemoryBudget`]; given back on drop.
#[derive(Debug)]
pub(crate) struct Lease {
    budget: Arc<MemoryBudget>,
    held: AtomicUsize,
}

impl Lease {
    /// Takes `bytes` more, if the budget holds them.
    pub(crate) fn grow(&self, bytes: usize) -> bool {
        if bytes == 0 {
            return true;
        }
        // Growing never counts as "nothing in use": this lease already is.
        let ok = self
            .budget
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.budget.limit)
            })
            .is_ok();
        if ok {
            self.held.fetch_add(bytes, Ordering::AcqRel);
        }
        ok
    }

    /// Bytes held.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }
}

impl crate::codec::Allowance for Lease {
    fn draw(&self, bytes: usize) -> bool {
        self.grow(bytes)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.budget.give_back(*self.held.get_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn leases_fit_the_budget_and_give_back_on_drop() {
        let b = MemoryBudget::new(100, false);
        let a = b.try_lease(60).unwrap();
        assert!(b.try_lease(50).is_none());
        assert!(a.grow(40));
        assert!(!a.grow(1));
        assert_eq!(b.used(), 100);
        drop(a);
        assert_eq!(b.used(), 0);
        // Alone, a request larger than the budget is still served.
        let big = b.try_lease(500).unwrap();
        assert!(b.try_lease(1).is_none());
        drop(big);
        // A frame still arriving waits for half the budget to be free.
        let held = b.try_lease(70).unwrap();
        let waiting = tokio::spawn({
            let b = b.clone();
            async move { b.lease_for_frame(40).await.held() }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(held);
        assert_eq!(waiting.await.unwrap(), 40);
        assert_eq!(b.used(), 0);
    }
}
