//! HTTP servants: an [`axum::Router`] (or any tower service) served as a TARS object, on the
//! adapter the config gives it, as TarsGo's `AddHttpServant` serves an `http.ServeMux`.
//!
//! ```no_run
//! # use tars_rt as tars;
//! use tars::server::http::axum::{routing::get, Router};
//!
//! # async fn demo(hello: impl tars::server::Servant) -> Result<(), tars::server::ServerError> {
//! let router = Router::new().route("/hello/{name}", get(|| async { "hello" }));
//! tars::application::Application::from_args()?
//!     .servant("TestApp.HelloServer.HelloObj", hello)
//!     .http_servant("TestApp.HelloServer.HttpObj", router)
//!     .run()
//!     .await
//! # }
//! ```
//!
//! The object's adapter (`protocol=http`, or `not_tars` as TarsWeb writes it, or none) gives
//! the endpoint (`tcp`, or `ssl` with the TLS keys of TARS adapters and ALPN for HTTP/2),
//! `maxconns`, `allow`/`deny`, the idle close (`-t`), and admission (`threads`, `queuecap`,
//! `queuetimeout`: a request refused answers 503). HTTP/1.1 with keep-alive and HTTP/2 (h2c,
//! and over TLS) are served by hyper.
//!
//! Handlers reach the platform (config, communicator, properties, notify) as an extractor,
//! `Extension<Platform>`, which the application adds to every route; a TARS call a handler
//! makes continues the request's trace and dye.
//!
//! Each request, in the order it meets them (`service`):
//!
//! 1. the in-flight count graceful shutdown waits on, and admission;
//! 2. its scope: the trace context of the request headers (W3C `traceparent`, B3 single or
//!    multi, SkyWalking `sw8`) continued, the dye of [`DYE_HEADER`], and a `tracing` span
//!    `http.server` with OpenTelemetry's HTTP server fields; every TARS call the handler
//!    makes continues that trace and dye ([`Current`](crate::context::Current));
//! 3. the body limited to `maxPackageLength` bytes (413 past it);
//! 4. the router, which records the route it matched;
//! 5. stat, as TarsGo's `TarsHttpMux` reports it: master `http_client` from the client's
//!    address (`X-Real-Ip`, `X-Forwarded-For-Pound`, the first `X-Forwarded-For`, else the
//!    peer), interface the **route pattern** (`/hello/{name}`; [`UNMATCHED_ROUTE`] for
//!    requests no route matched, never the raw path), an exception when the status is 400
//!    or more (replace the rule with [`HttpServant::exception_if`]).
//!
//! Bad input is bounded: header bytes ([`MAX_HEADER_BYTES`]: 431 past it) and count
//! ([`MAX_HEADERS`]), the time to send a request's headers (slowloris: `endpoint -t`, at
//! most 30 s), connections that stop reading their responses (`writetimeout`), idle
//! keep-alive connections (`-t`).

mod conn;
mod headers;
mod service;

use std::sync::Arc;

pub use axum;
use axum::http::StatusCode;
use axum::Router;

pub(crate) use conn::{serve_connection, HttpConnectionSettings};
pub use headers::{client_address, incoming_context, DYE_HEADER};
pub(crate) use service::HttpAdapter;

/// The most bytes a request's head (request line and headers) may take.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The most headers a request may carry.
pub const MAX_HEADERS: usize = 100;

/// The interface name stat counts requests under when no route matched them.
pub const UNMATCHED_ROUTE: &str = "(unmatched)";

/// An HTTP object: the router that answers its requests and the rule that says which
/// answers stat counts as exceptions.
#[derive(Clone)]
pub struct HttpServant {
    router: Router,
    exception: Arc<dyn Fn(StatusCode) -> bool + Send + Sync>,
    /// Puts into every request's extensions what the servant gives its handlers (the
    /// application's `Platform`).
    extend: Option<Extend>,
}

/// Puts values into a request's extensions.
pub(crate) type Extend = Arc<dyn Fn(&mut axum::http::Extensions) + Send + Sync>;

impl std::fmt::Debug for HttpServant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServant").finish_non_exhaustive()
    }
}

impl HttpServant {
    /// The object that `router` answers; its route patterns name its interfaces in stat.
    pub fn new(router: Router) -> Self {
        HttpServant {
            router,
            exception: Arc::new(|status| status.as_u16() >= 400),
            extend: None,
        }
    }

    /// The object that any tower service answers (every request counted under
    /// [`UNMATCHED_ROUTE`], since a plain service has no route patterns).
    pub fn from_service<S>(service: S) -> Self
    where
        S: tower::Service<axum::extract::Request, Error = std::convert::Infallible> + Clone + Send + Sync + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        HttpServant::new(Router::new().fallback_service(service))
    }

    /// Gives every handler `value` through the `axum::Extension<T>` extractor (the application gives its
    /// [`Platform`](crate::framework::Platform) so). Put into each request as it comes in:
    /// unlike `Router::layer(Extension(..))`, no route is wrapped once more.
    pub fn with_extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        let before = self.extend.take();
        self.extend = Some(Arc::new(move |extensions| {
            if let Some(before) = &before {
                before(extensions);
            }
            extensions.insert(value.clone());
        }));
        self
    }

    /// Counts an answer with status `is_exception(status)` as an exception in stat (TarsGo's
    /// `AddHttpServantWithExceptionStatusChecker`); the default is any status of 400 or more.
    pub fn exception_if(mut self, is_exception: impl Fn(StatusCode) -> bool + Send + Sync + 'static) -> Self {
        self.exception = Arc::new(is_exception);
        self
    }
}

impl From<Router> for HttpServant {
    fn from(router: Router) -> Self {
        HttpServant::new(router)
    }
}

/// One answered HTTP request, as an adapter's observer hears of it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct HttpExchange<'a> {
    /// The route pattern that matched, or [`UNMATCHED_ROUTE`].
    pub route: &'a str,
    /// The client's address (from the proxy headers, else the peer's IP).
    pub client: &'a str,
    /// The port the request came in on.
    pub local_port: u16,
    /// The response status.
    pub status: u16,
    /// Whether the servant's rule counts the status as an exception.
    pub exception: bool,
    /// From the request's headers read to its response's headers ready.
    pub elapsed: std::time::Duration,
}
