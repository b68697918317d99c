//! The TARS server: an [`Application`] reads the standard TARS config file (or runs on an
//! embedded default), binds one adapter per servant (TCP or UDP), and serves each request in
//! its own task through the filter chain to the servant. Over-capacity requests are answered
//! -9 at once, late ones -6; SIGTERM or Ctrl-C stops accepting, tells clients to reconnect
//! elsewhere (`_reconnect_`), and waits for in-flight requests before returning.
//!
//! Servants come from `#[tars::servant]`; this module never looks inside their arguments.

mod admin;
mod admission;
mod application;
mod call;
mod connection;
mod dispatch;
mod platform;
mod scope;
mod servant;
mod udp;

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

pub use admin::{AdminCommand, ADMIN_ADAPTER, ADMIN_OBJ};
pub use application::{Application, BoundAdapter, Server, ServerError};
pub use call::{Call, Encoding};
pub use dispatch::{Outcome, Reply, ServerProtocol};
pub use platform::{platform, ConfigListener, Platform};
pub use servant::Servant;

/// Requests being served across the application, for graceful shutdown.
#[derive(Default)]
pub(crate) struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

impl InFlight {
    pub(crate) fn enter(self: &std::sync::Arc<Self>) -> InFlightOwned {
        self.count.fetch_add(1, Ordering::AcqRel);
        InFlightOwned(self.clone())
    }

    /// Waits until no request is in flight.
    pub(crate) async fn drained(&self) {
        loop {
            let notified = self.idle.notified();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// One in-flight request; counts down on drop.
pub(crate) struct InFlightOwned(std::sync::Arc<InFlight>);

impl Drop for InFlightOwned {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}
