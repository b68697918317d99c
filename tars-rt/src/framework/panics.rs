//! Servant panics, as the framework hears of them: the caller already got -99 and the
//! connection lives on; tarsnotify is told (an error, at most once per interval, with how
//! many panicked since the last report), and, when the application asks for it, the process
//! exits after telling, as TarsGo's `CheckPanic` does (tarsnode then restarts it).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::notify::{Notifier, NotifyLevel};

/// What the process does about servant panics.
#[derive(Debug)]
pub(crate) struct PanicWatch {
    notifier: Notifier,
    every: Duration,
    exit: bool,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Panics not reported yet.
    unreported: u64,
    /// When tarsnotify was last told.
    reported_at: Option<Instant>,
}

/// How long the last notification may take before the process exits.
const EXIT_FLUSH: Duration = Duration::from_secs(1);

impl PanicWatch {
    /// Tells `notifier` at most once per `every`; exits the process after a panic if `exit`.
    pub(crate) fn new(notifier: Notifier, every: Duration, exit: bool) -> Self {
        PanicWatch {
            notifier,
            every,
            exit,
            state: Mutex::default(),
        }
    }

    /// `servant.function` panicked with `what`. Returns the message sent to tarsnotify, if
    /// one was.
    pub(crate) fn panicked(&self, servant: &str, function: &str, what: &str) -> Option<String> {
        let message = {
            let mut state = crate::sync::lock(&self.state);
            state.unreported += 1;
            let now = Instant::now();
            let due = state.reported_at.is_none_or(|at| now.duration_since(at) >= self.every);
            if !due && !self.exit {
                return None;
            }
            let message = format!(
                "servant panicked: {servant}.{function}: {what} ({} panic{} since the last report)",
                state.unreported,
                if state.unreported == 1 { "" } else { "s" }
            );
            state.unreported = 0;
            state.reported_at = Some(now);
            message
        };
        self.notifier.notify(NotifyLevel::Error, message.clone());
        if self.exit {
            tracing::error!("exiting after a servant panic (exit on panic is set)");
            let notifier = self.notifier.clone();
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => drop(rt.spawn(async move {
                    notifier.flush(EXIT_FLUSH).await;
                    std::process::exit(255);
                })),
                Err(_) => std::process::exit(255),
            }
        }
        Some(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn panics_are_reported_once_per_interval_with_their_count() {
        let watch = PanicWatch::new(Notifier::disabled(), Duration::from_secs(60), false);
        let first = watch.panicked("A.B.Obj", "f", "boom").unwrap();
        assert!(first.contains("A.B.Obj.f: boom (1 panic since"), "{first}");
        assert_eq!(watch.panicked("A.B.Obj", "f", "again"), None);
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(watch.panicked("A.B.Obj", "g", "more"), None);
        tokio::time::advance(Duration::from_secs(30)).await;
        let next = watch.panicked("A.B.Obj", "g", "last").unwrap();
        assert!(next.contains("g: last (3 panics since the last report)"), "{next}");
    }
}
