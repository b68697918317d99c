//! The path of a TARS request through an adapter, built once per endpoint. Its layers, in the
//! order a request goes down them, each with one job:
//!
//! 1. **admission** (`super::admission`): the adapter's `queuecap` (over it: -9 at once),
//!    `threads` and `queuetimeout` (a request that waited past it, or past its own
//!    `iTimeout`, answers -6 without running);
//! 2. **scope** (`super::scope`): the request's `tracing` span, and what the calls its
//!    servant makes inherit ([`crate::context::Current`]: trace, dye, deadline);
//! 3. **observe**: the adapter's [`ServeObserver`] times the handling (the framework wing
//!    reports it to tarsproperty as `handleTime`);
//! 4. **filters** ([`Application::filter`](crate::application::Application::filter)),
//!    outermost first (see [`crate::filter`]);
//! 5. **dispatch** (`super::dispatch`): the servant the request names, its method, its
//!    results.
//!
//! Admission tells the observer how long a request waited and whether it was refused; and
//! when the path answers, whichever layer answered, the observer hears the answer (the
//! framework wing counts it for tarsstat). With no filters and no observer, each layer calls
//! the next directly.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::Instrument;

use crate::context::Current;
use crate::filter::{BoxFuture, Chain, End};
use crate::trace::chain::ChainLog;
use crate::trace::TraceContext;
use crate::transport::budget::Lease;

use super::admission::{Admission, Admit};
use super::observe::ServeObserver;
use super::request::{ServerRequest, ServerResponse};
use super::servant::Servant;
use crate::protocol::Encoding;

/// One servant on an endpoint, with its adapter's admission and observer.
pub(crate) struct Served {
    /// Shared with the replies that name it.
    pub(crate) name: Arc<str>,
    pub(crate) servant: Arc<dyn Servant>,
    pub(crate) admission: Arc<Admission>,
    pub(crate) observer: Option<Arc<dyn ServeObserver>>,
}

/// The path of the requests to the servants of one endpoint (several adapters may share
/// one endpoint; their servants are told apart by `sServantName`).
pub(crate) struct RequestPath {
    servants: Vec<Served>,
    filters: Chain<ServerRequest, ServerResponse>,
    handle_timeout: Option<Duration>,
    /// TarsWeb's call chain, when the framework wing logs it.
    chain: Option<Arc<ChainLog>>,
}

/// A decoded request on its way down the path.
pub(crate) struct Incoming {
    pub(crate) request: ServerRequest,
    pub(crate) encoding: Encoding,
    /// The request's share of the server's memory, handed to its arguments.
    pub(crate) lease: Option<Lease>,
}

impl RequestPath {
    pub(crate) fn new(
        servants: Vec<Served>,
        filters: Chain<ServerRequest, ServerResponse>,
        handle_timeout: Option<Duration>,
        chain: Option<Arc<ChainLog>>,
    ) -> Self {
        assert!(!servants.is_empty(), "an endpoint serves at least one servant");
        RequestPath {
            servants,
            filters,
            handle_timeout,
            chain,
        }
    }

    /// The servant called `name`.
    pub(crate) fn served(&self, name: &str) -> Option<&Served> {
        self.servants.iter().find(|s| &*s.name == name)
    }

    /// The connection hooks of the servants here (see [`super::push::ConnectionHooks`]).
    pub(crate) fn connection_hooks(&self) -> impl Iterator<Item = &dyn super::push::ConnectionHooks> {
        self.servants.iter().filter_map(|s| s.servant.connection_hooks())
    }

    /// The servant whose adapter's limits and observer a request for `called` (the servant it
    /// names, if the endpoint serves it) goes through: its own, or, for a name the endpoint
    /// does not serve (answered -4 by dispatch, after the filters), the endpoint's first
    /// servant's.
    pub(crate) fn admitting<'a>(&'a self, called: Option<&'a Served>) -> &'a Served {
        called.unwrap_or(&self.servants[0])
    }

    /// Runs a request for `called` (the servant it names, if the endpoint serves it) down the
    /// path.
    // Not an `async fn`: its arguments would be stored twice in the future (rust-lang/rust#62958),
    // and this future lives in every request's box.
    #[allow(clippy::manual_async_fn)] // rust-lang/rust#62958: see above.
    pub(crate) fn serve<'a>(
        &'a self,
        called: Option<&'a Served>,
        incoming: Incoming,
    ) -> impl Future<Output = ServerResponse> + Send + 'a {
        async move {
            let packet = &incoming.request.packet;
            let served = self.admitting(called);
            let received = incoming.request.received;
            let deadline = (packet.i_timeout > 0).then(|| received + Duration::from_millis(packet.i_timeout as u64));
            // Layer 1: admission.
            let ahead = served.observer.as_ref().map(|_| served.admission.admitted());
            let admitted = match served.admission.admit(received, deadline) {
                Admit::Done(answer) => answer,
                Admit::Wait(waiting) => waiting.await,
            };
            if let (Some(observer), Some(ahead)) = (&served.observer, ahead) {
                observer.admitted(ahead, received.elapsed(), admitted.as_ref().err());
            }
            let _permit = match admitted {
                Ok(permit) => permit,
                Err(status) => return ServerResponse::from_status(&status),
            };
            // Layer 2: the scope, around the rest (boxed, so that the wrappers move a pointer, not
            // the large future).
            let (current, span) = super::scope::enter(packet, incoming.request.peer, received);
            #[cfg(feature = "opentelemetry")]
            let measured = crate::trace::otel::metrics::Timed::request(packet, incoming.request.peer);
            let handling = Box::pin(self.handle(served, called, incoming, current.clone()));
            let rsp = current.scope(handling.instrument(span.clone())).await;
            crate::trace::record_code(&span, rsp.code);
            #[cfg(feature = "opentelemetry")]
            if let Some(measured) = measured {
                measured.end(i64::from(rsp.code));
            }
            rsp
        }
    }

    /// Layers 3 to 5, in one state machine (each layer a nested future would copy the
    /// request and the futures below it once more): the handling timed for the observer, the
    /// filters, dispatch.
    #[allow(clippy::manual_async_fn)] // rust-lang/rust#62958: see above.
    fn handle<'a>(
        &'a self,
        served: &'a Served,
        called: Option<&'a Served>,
        incoming: Incoming,
        current: Arc<Current>,
    ) -> impl Future<Output = ServerResponse> + Send + 'a {
        async move {
            let started = served.observer.as_ref().map(|_| tokio::time::Instant::now());
            // The request's parts move straight into the layer below (no local holds them
            // across an await, which would store them in this future once more).
            let rsp = if self.filters.is_empty() {
                let servant = called.map(|s| &*s.servant);
                let (request, encoding, lease) = (incoming.request, incoming.encoding, incoming.lease);
                super::dispatch::dispatch(
                    servant,
                    request,
                    encoding,
                    lease,
                    current.trace.clone(),
                    self.handle_timeout,
                    self.chain.as_ref(),
                )
                .await
            } else {
                let end = Dispatching {
                    path: self,
                    encoding: incoming.encoding,
                    lease: Mutex::new(incoming.lease),
                    trace: current.trace.clone(),
                };
                self.filters.run(incoming.request, &end).await
            };
            if let (Some(observer), Some(started)) = (&served.observer, started) {
                observer.handled(started.elapsed(), rsp.code);
            }
            rsp
        }
    }

    /// Layer 5 after the filters: the servant the request names (filters may have renamed
    /// it).
    fn dispatch(
        &self,
        req: ServerRequest,
        encoding: Encoding,
        lease: Option<Lease>,
        trace: Option<TraceContext>,
    ) -> impl Future<Output = ServerResponse> + Send + '_ {
        // Through the `dyn Servant` itself: `Arc<dyn Servant>` is a servant too, and calling
        // the Arc's implementation would box the future twice.
        let servant: Option<&dyn Servant> = self.served(&req.packet.s_servant_name).map(|s| &*s.servant);
        super::dispatch::dispatch(
            servant,
            req,
            encoding,
            lease,
            trace,
            self.handle_timeout,
            self.chain.as_ref(),
        )
    }
}

/// The end of the filter chain: dispatch, with what the request brought that filters do not
/// see.
struct Dispatching<'a> {
    path: &'a RequestPath,
    encoding: Encoding,
    /// Taken once, by the first (and usually only) dispatch.
    lease: Mutex<Option<Lease>>,
    trace: Option<TraceContext>,
}

impl End<ServerRequest, ServerResponse> for Dispatching<'_> {
    fn run(&self, req: ServerRequest) -> BoxFuture<'_, ServerResponse> {
        let lease = crate::sync::lock(&self.lease).take();
        Box::pin(self.path.dispatch(req, self.encoding, lease, self.trace.clone()))
    }
}
