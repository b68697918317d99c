//! How a communicator tells the world about the calls it made: one [`CallObserver`] per
//! communicator hears how each call ended and how long it took. The framework wing's stat
//! reporter is one (it counts calls for tarsstat); a metrics exporter could be another.
//! Observing happens on every call's path, after the call: an observer must be quick and
//! must not block.

use std::time::Duration;

use super::request::CallResult;

/// Hears about every call a communicator makes.
pub trait CallObserver: Send + Sync + 'static {
    /// A call ended.
    fn call_ended(&self, call: &EndedCall<'_>);
}

/// One call that ended.
#[derive(Debug)]
#[non_exhaustive]
pub struct EndedCall<'a> {
    /// The object called (`App.Server.Obj`).
    pub object: &'a str,
    /// The function called.
    pub function: &'a str,
    /// How it ended (the endpoint is in the reply, or in the error).
    pub result: &'a CallResult,
    /// How long it took, from the layer after the per-call filters on.
    pub elapsed: Duration,
}
