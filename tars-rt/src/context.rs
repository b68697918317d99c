//! What the request being served passes on to the calls made while serving it.
//!
//! [`Current`] is what the request passes on, without the user threading anything: while a
//! servant handles a request, every call it makes through any proxy carries the request's
//! trace context and dye, and at most what is left of its deadline. It lives in a
//! task-local; [`spawn`] starts a task that keeps it (a plain `tokio::spawn` does not).
//!
//! The call itself, as a servant method sees it, is the server's `Context`.

use std::sync::Arc;

use tokio::time::Instant;

use crate::trace::TraceContext;

tokio::task_local! {
    static CURRENT: Arc<Current>;
}

/// What a request being served passes on to the calls made while serving it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Current {
    /// When the request's caller stops waiting: calls made meanwhile wait no longer.
    pub deadline: Option<Instant>,
    /// The request's dye (`STATUS_DYED_KEY`): calls made meanwhile are dyed the same.
    pub dye: Option<String>,
    /// The request's trace context at this server (its span is the server's span): calls
    /// made meanwhile are its children.
    pub trace: Option<TraceContext>,
}

impl Current {
    /// The context that `deadline` bounds: calls made within it wait no longer.
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The context that dyes every call made within it with `key`.
    pub fn dye(mut self, key: impl Into<String>) -> Self {
        self.dye = Some(key.into());
        self
    }

    /// The context whose calls continue `trace` (their spans its children).
    pub fn trace(mut self, trace: TraceContext) -> Self {
        self.trace = Some(trace);
        self
    }

    /// The current request's, if the task runs within one.
    pub fn get() -> Option<Arc<Current>> {
        CURRENT.try_with(Arc::clone).ok()
    }

    /// Runs `fut` with `self` as the current request's context (the server does this for
    /// every request; a client may do it to dye or trace a batch of calls).
    pub async fn scope<F: std::future::Future>(self: Arc<Self>, fut: F) -> F::Output {
        CURRENT.scope(self, fut).await
    }
}

/// Spawns a task that keeps the current request's context: its calls inherit the trace,
/// the dye and the deadline as the request's own would.
pub fn spawn<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    match Current::get() {
        Some(current) => tokio::spawn(CURRENT.scope(current, fut)),
        None => tokio::spawn(fut),
    }
}
