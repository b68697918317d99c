//! Admission control for one adapter, TarsCpp's model: at most `queuecap` requests are
//! admitted at once (waiting or running; over that the server answers -9 at once), at most
//! `threads` run at once (0: no limit, the natural choice for async servants), and a request
//! that waited past `queuetimeout` or past its own `iTimeout` answers -6 without running.
//!
//! It also tells when the adapter is a zombie (TarsGo's rule): every handler busy and none
//! started for `zombietimeout`; the server then stops sending tarsnode its heartbeat, so
//! tarsnode restarts it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};
use tokio::time::Instant;

use crate::Status;

pub(crate) struct Admission {
    running: Option<Arc<Semaphore>>,
    admitted: AtomicUsize,
    queue_cap: usize,
    queue_timeout: Duration,
    /// When a request last started running, in ms after `epoch` (only with a handler pool).
    last_start_ms: AtomicU64,
    epoch: Instant,
}

/// Held while a request is admitted; releases its slots on drop.
pub(crate) struct Permit<'a> {
    admission: &'a Admission,
    _running: Option<OwnedSemaphorePermit>,
}

/// What admission says about a request.
pub(crate) enum Admit<'a> {
    /// Admitted or refused, at once.
    Done(Result<Permit<'a>, Status>),
    /// Waiting for a handler (`threads`).
    Wait(crate::filter::BoxFuture<'a, Result<Permit<'a>, Status>>),
}

impl<'a> Admit<'a> {
    /// The answer, waiting for it if need be.
    #[cfg(test)]
    pub(crate) async fn answer(self) -> Result<Permit<'a>, Status> {
        match self {
            Admit::Done(r) => r,
            Admit::Wait(w) => w.await,
        }
    }
}

impl Permit<'_> {
    /// Holds a handler too; the adapter has started a request now.
    fn running(&mut self, handler: OwnedSemaphorePermit) {
        self._running = Some(handler);
        let now = self.admission.epoch.elapsed().as_millis() as u64;
        self.admission.last_start_ms.store(now, Ordering::Relaxed);
    }
}

/// `permit`, unless the request's time ran out meanwhile.
fn admitted_in_time(permit: Permit<'_>, received: Instant, wait_until: Instant) -> Result<Permit<'_>, Status> {
    if Instant::now() >= wait_until {
        return Err(queue_timeout(received));
    }
    Ok(permit)
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.admission.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Admission {
    pub(crate) fn new(threads: usize, queue_cap: usize, queue_timeout: Duration) -> Self {
        Admission {
            running: (threads > 0).then(|| Arc::new(Semaphore::new(threads))),
            admitted: AtomicUsize::new(0),
            queue_cap: if queue_cap == 0 { usize::MAX } else { queue_cap },
            queue_timeout,
            last_start_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// Whether every handler is busy and none has started a request for `timeout`. Without
    /// a handler pool (`threads=0`) an adapter is never a zombie, as in TarsGo without
    /// `maxroutine`.
    pub(crate) fn is_zombie(&self, timeout: Duration) -> bool {
        let Some(sem) = &self.running else { return false };
        let last = Duration::from_millis(self.last_start_ms.load(Ordering::Relaxed));
        sem.available_permits() == 0 && self.epoch.elapsed().saturating_sub(last) > timeout
    }

    /// Admits a request received at `received` whose caller waits until `deadline`: at once
    /// (admitted or refused), or, when it has to wait for a handler, a future that does.
    pub(crate) fn admit(&self, received: Instant, deadline: Option<Instant>) -> Admit<'_> {
        let before = self.admitted.fetch_add(1, Ordering::AcqRel);
        let mut permit = Permit {
            admission: self,
            _running: None,
        };
        if before >= self.queue_cap {
            return Admit::Done(Err(Status::overload(format!(
                "server overloaded: {} requests already queued (queuecap)",
                self.queue_cap
            ))));
        }
        let queue_deadline = received + self.queue_timeout;
        let wait_until = deadline.map_or(queue_deadline, |d| d.min(queue_deadline));
        if let Some(sem) = &self.running {
            match sem.clone().try_acquire_owned() {
                Ok(p) => permit.running(p),
                Err(TryAcquireError::Closed) => return Admit::Done(Err(Status::unknown("server is shutting down"))),
                // Only a request that has to wait holds a timer, boxed: every request's
                // future stays small.
                Err(TryAcquireError::NoPermits) => {
                    let sem = sem.clone();
                    return Admit::Wait(Box::pin(async move {
                        match tokio::time::timeout_at(wait_until, sem.acquire_owned()).await {
                            Ok(Ok(p)) => permit.running(p),
                            Ok(Err(_)) => return Err(Status::unknown("server is shutting down")),
                            Err(_) => return Err(queue_timeout(received)),
                        }
                        admitted_in_time(permit, received, wait_until)
                    }));
                }
            }
        }
        Admit::Done(admitted_in_time(permit, received, wait_until))
    }

    /// Requests admitted now, waiting or running.
    pub(crate) fn admitted(&self) -> usize {
        self.admitted.load(Ordering::Acquire)
    }
}

fn queue_timeout(received: Instant) -> Status {
    Status::queue_timeout(format!(
        "server queue timeout: the request waited {} ms without running",
        received.elapsed().as_millis()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Code;

    #[tokio::test(start_paused = true)]
    async fn a_full_pool_that_starts_nothing_is_a_zombie() {
        let a = Admission::new(1, 10, Duration::from_secs(10));
        assert!(!a.is_zombie(Duration::ZERO));
        let busy = a.admit(Instant::now(), None).answer().await.unwrap();
        assert!(!a.is_zombie(Duration::from_secs(60)));
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(a.is_zombie(Duration::from_secs(60)));
        drop(busy);
        assert!(!a.is_zombie(Duration::from_millis(1)));
        assert!(!Admission::new(0, 10, Duration::from_secs(1)).is_zombie(Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn overload_and_queue_timeout() {
        let a = Admission::new(1, 2, Duration::from_millis(50));
        let now = Instant::now();
        let first = a.admit(now, None).answer().await.unwrap();
        // Second waits for the only running slot and times out in the queue.
        let second = a.admit(Instant::now(), None).answer().await;
        assert_eq!(second.err().map(|s| s.code()), Some(Code::QueueTimeout));
        // With one running and one waiting, a third is over queuecap at once.
        let waiting = a.admit(Instant::now(), None).answer();
        tokio::pin!(waiting);
        assert!(futures_poll_once(&mut waiting).await.is_none());
        let third = a.admit(Instant::now(), None).answer().await;
        assert_eq!(third.err().map(|s| s.code()), Some(Code::ServerOverload));
        drop(first);
        assert!(waiting.await.is_ok());
        assert_eq!(a.admitted(), 0);
        // A request whose caller's deadline has passed does not run.
        let b = Admission::new(0, 10, Duration::from_secs(10));
        let late = b.admit(now, Some(now)).answer().await;
        assert_eq!(late.err().map(|s| s.code()), Some(Code::QueueTimeout));
    }

    async fn futures_poll_once<F: std::future::Future + Unpin>(f: &mut F) -> Option<F::Output> {
        use std::task::Poll;
        std::future::poll_fn(|cx| match std::pin::Pin::new(&mut *f).poll(cx) {
            Poll::Ready(v) => Poll::Ready(Some(v)),
            Poll::Pending => Poll::Ready(None),
        })
        .await
    }
}
