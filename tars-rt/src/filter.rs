//! Filters: your code on a call path, on both sides, with one generic shape.
//!
//! A [`Filter`] sees each request on its way, passes it on with [`Next::run`] (or answers it
//! itself: an error code, a cached reply), and sees the response on its way back, timing
//! what it wraps. Filters run in the order they were added: the first added is the
//! outermost, so it sees the request first and the response last.
//!
//! | side | request → response | where the filters sit |
//! |---|---|---|
//! | server | [`ServerRequest`](crate::server::ServerRequest) → [`ServerResponse`](crate::server::ServerResponse) | after admission, the request's scope and its stat, before dispatch ([`crate::server`]) |
//! | client, per call | [`ClientRequest`](crate::client::ClientRequest) → [`CallResult`](crate::client::CallResult) | first, before the call's scope, deadline and routing ([`crate::client`]) |
//! | client, per attempt | the same, with the endpoint chosen | between routing and the connection: once per endpoint tried |
//!
//! ```
//! # use tars_rt as tars;
//! use tars::filter::Filter;
//! use tars::server::{ServerNext, ServerRequest, ServerResponse};
//!
//! /// Logs how long each request takes.
//! struct Timing;
//!
//! impl Filter<ServerRequest, ServerResponse> for Timing {
//!     async fn call(&self, req: ServerRequest, next: ServerNext<'_>) -> ServerResponse {
//!         let started = std::time::Instant::now();
//!         let function = req.packet.s_func_name.clone();
//!         let rsp = next.run(req).await;
//!         tracing::info!(%function, code = rsp.code, took = ?started.elapsed());
//!         rsp
//!     }
//! }
//! ```
//!
//! With no filter on a path, the path calls straight through: nothing is boxed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed future, as a filter chain runs one.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Code around a call path (see the [module docs](self)): `Req` is what goes down the path,
/// `Rsp` what comes back.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a filter of `{Req}`",
    note = "implement `tars::filter::Filter<{Req}, {Rsp}>` with `async fn call(&self, req: {Req}, next: tars::filter::Next<'_, {Req}, {Rsp}>) -> {Rsp}`"
)]
pub trait Filter<Req, Rsp>: Send + Sync + 'static {
    /// Handles `req`, usually by calling `next.run(req)` and looking at what comes back.
    fn call(&self, req: Req, next: Next<'_, Req, Rsp>) -> impl Future<Output = Rsp> + Send;
}

/// The rest of the path after a filter: the filters after it, then the path's own layers.
pub struct Next<'a, Req, Rsp> {
    rest: &'a [Arc<dyn DynFilter<Req, Rsp>>],
    end: &'a dyn End<Req, Rsp>,
}

impl<Req: Send + 'static, Rsp: Send + 'static> Next<'_, Req, Rsp> {
    /// Passes the request on: to the next filter, or past the last one down the path.
    pub async fn run(self, req: Req) -> Rsp {
        match self.rest.split_first() {
            Some((filter, rest)) => filter.call(req, Next { rest, end: self.end }).await,
            None => self.end.run(req).await,
        }
    }
}

impl<Req, Rsp> std::fmt::Debug for Next<'_, Req, Rsp> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next").field("filters_left", &self.rest.len()).finish()
    }
}

/// [`Filter`] in a form a chain can hold (`dyn`), its future boxed.
trait DynFilter<Req, Rsp>: Send + Sync {
    fn call<'a>(&'a self, req: Req, next: Next<'a, Req, Rsp>) -> BoxFuture<'a, Rsp>;
}

impl<F, Req, Rsp> DynFilter<Req, Rsp> for F
where
    F: Filter<Req, Rsp>,
    Req: Send + 'static,
    Rsp: Send + 'static,
{
    fn call<'a>(&'a self, req: Req, next: Next<'a, Req, Rsp>) -> BoxFuture<'a, Rsp> {
        Box::pin(Filter::call(self, req, next))
    }
}

/// What the last filter of a chain passes the request to: the rest of the path.
pub(crate) trait End<Req, Rsp>: Send + Sync {
    fn run(&self, req: Req) -> BoxFuture<'_, Rsp>;
}

/// Filters in the order they were added. Cheap to clone.
pub(crate) struct Chain<Req, Rsp> {
    filters: Arc<[Arc<dyn DynFilter<Req, Rsp>>]>,
}

impl<Req, Rsp> Clone for Chain<Req, Rsp> {
    fn clone(&self) -> Self {
        Chain {
            filters: self.filters.clone(),
        }
    }
}

impl<Req, Rsp> Default for Chain<Req, Rsp> {
    fn default() -> Self {
        Chain { filters: Arc::new([]) }
    }
}

impl<Req: Send + 'static, Rsp: Send + 'static> Chain<Req, Rsp> {
    /// The chain with `filter` added last (innermost).
    pub(crate) fn with(&self, filter: impl Filter<Req, Rsp>) -> Self {
        let mut filters: Vec<Arc<dyn DynFilter<Req, Rsp>>> = self.filters.to_vec();
        filters.push(Arc::new(filter));
        Chain {
            filters: filters.into(),
        }
    }

    /// Whether there is no filter: the path then calls straight through.
    pub(crate) fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// How many filters there are.
    pub(crate) fn len(&self) -> usize {
        self.filters.len()
    }

    /// Runs `req` through the filters, then `end`.
    pub(crate) async fn run(&self, req: Req, end: &dyn End<Req, Rsp>) -> Rsp {
        Next {
            rest: &self.filters,
            end,
        }
        .run(req)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Push(&'static str);

    impl Filter<Vec<&'static str>, Vec<&'static str>> for Push {
        async fn call(
            &self,
            mut req: Vec<&'static str>,
            next: Next<'_, Vec<&'static str>, Vec<&'static str>>,
        ) -> Vec<&'static str> {
            req.push(self.0);
            let mut rsp = next.run(req).await;
            rsp.push(self.0);
            rsp
        }
    }

    struct Echo;

    impl End<Vec<&'static str>, Vec<&'static str>> for Echo {
        fn run(&self, mut req: Vec<&'static str>) -> BoxFuture<'_, Vec<&'static str>> {
            req.push("end");
            Box::pin(async move { req })
        }
    }

    #[tokio::test]
    async fn the_first_filter_added_is_the_outermost() {
        let chain = Chain::default().with(Push("a")).with(Push("b"));
        assert_eq!(chain.len(), 2);
        assert_eq!(chain.run(vec![], &Echo).await, ["a", "b", "end", "b", "a"]);
        assert_eq!(Chain::default().run(vec![], &Echo).await, ["end"]);
    }
}
