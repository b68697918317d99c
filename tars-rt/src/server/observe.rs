//! How an adapter tells the world about the requests it serves: a [`ServeObserver`] per
//! adapter hears about admission (how many were ahead, how long a request waited, whether it
//! was refused), about each request once answered, and about its connections. The framework
//! wing's reporter is one (stat to tarsstat; `queue`, `queueTime`, `handleTime`,
//! `timeoutNum` and `connectRate` to tarsproperty, as TarsCpp names them). Observing happens
//! on every request's path: an observer must be quick and must not block.

use std::time::Duration;

use crate::Status;

/// Hears about one adapter's requests and connections. Every method has a default that
/// does nothing.
pub trait ServeObserver: Send + Sync + 'static {
    /// A request passed admission, or was refused by it (`refused`: -9 over `queuecap`, -6
    /// past `queuetimeout` or its own timeout): `ahead` requests were admitted before it,
    /// and it waited `waited` for a handler.
    fn admitted(&self, ahead: usize, waited: Duration, refused: Option<&Status>) {
        let _ = (ahead, waited, refused);
    }

    /// The servant (with the filters) handled a request in `took`, answering `code`.
    fn handled(&self, took: Duration, code: i32) {
        let _ = (took, code);
    }

    /// A request was answered `code` (whatever answered it: the servant, a filter, or
    /// admission) `elapsed` after it was received. One-way requests are answered too, with
    /// nothing sent.
    fn answered(&self, function: &str, one_way: bool, code: i32, elapsed: Duration) {
        let _ = (function, one_way, code, elapsed);
    }

    /// An HTTP servant's adapter answered a request.
    #[cfg(feature = "http")]
    fn http_answered(&self, exchange: &super::http::HttpExchange<'_>) {
        let _ = exchange;
    }

    /// A servant method of `servant` panicked while serving `function` (the caller got -99);
    /// `what` is the panic's message.
    fn panicked(&self, servant: &str, function: &str, what: &str) {
        let _ = (servant, function, what);
    }

    /// The adapter holds `open` connections, out of at most `max` (0: no limit).
    fn connections(&self, open: usize, max: usize) {
        let _ = (open, max);
    }
}
